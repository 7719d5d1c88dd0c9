/* hilbench bench probe — a simulated bench for the host HAL: INA219 models on the probe's
 * I2C bus, load currents that follow a DUT's BUSY line, and DONE/BUSY edges from a periodic
 * inference workload. Tests and tests/bench/bench_probe.c use it; the virtual board wires
 * the host HAL to its own INA219 model and RTL pins instead.
 *
 * The INA219 is gateware/vboard/ina219_model.c (register-accurate, conversion windows on
 * the simulated time line). Monitor d draws idle_a + (BUSY high ? busy_a : 0); the charge is
 * integrated in closed form, and every model is advanced at each BUSY edge, so its
 * conversions average the exact current. */
#ifndef HBP_SIM_H
#define HBP_SIM_H

#include <stdint.h>

#include "hbp_host.h"
#include "ina219_model.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HBP_SIM_MAX_DEV 8

struct hbp_sim_dev {
	uint8_t addr;
	double idle_a, busy_a;
	uint64_t t_ns; /* the model has been advanced to here */
	struct hb_ina219m m;
};

struct hbp_sim {
	struct hbp_host *host;
	struct hbp_sim_dev dev[HBP_SIM_MAX_DEV];
	unsigned n_dev;
	/* workload: BUSY rises at t0 + k*period and falls busy_ns later; DONE pulses for
	 * done_ns at the fall. period 0 = no inferences. */
	uint64_t w_t0, w_period, w_busy, w_done;
	uint64_t w_next_k;       /* the next inference whose edges are not yet announced */
	uint64_t edges_sent[HBP_N_CAPTURE];
	uint64_t xfers, nacks;
};

/* params may be NULL (defaults); its xfer/xfer_ctx are replaced by the sim's bus. */
struct hbp_sim *hbp_sim_new(const struct hbp_host_params *params);
void hbp_sim_free(struct hbp_sim *s);

/* An INA219 at addr with the given shunt (ohm) and bus voltage (V); noise 0. */
int hbp_sim_add_ina219(struct hbp_sim *s, uint8_t addr, double r_shunt_ohm, double bus_v,
		       double idle_a, double busy_a);
void hbp_sim_workload(struct hbp_sim *s, uint64_t t0_ns, uint64_t period_ns, uint64_t busy_ns);

/* Advance everything to t_ns. */
void hbp_sim_advance(struct hbp_sim *s, uint64_t t_ns);

/* Truth: charge (C) drawn by device d from time 0 to t_ns; time BUSY was high until t_ns. */
double hbp_sim_charge(const struct hbp_sim *s, unsigned d, uint64_t t_ns);
uint64_t hbp_sim_busy_ns(const struct hbp_sim *s, uint64_t t_ns);

#ifdef __cplusplus
}
#endif
#endif
