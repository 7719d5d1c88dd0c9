/* hilbench virtual board — register-accurate model of the TI INA219 current/power monitor.
 *
 * Pure C, no I/O. The owner feeds it the cumulative charge that has flowed through the
 * shunt (coulombs) at increasing simulated times (seconds); the model runs the chip's
 * conversion schedule on that time line and answers I2C transactions. A conversion's shunt
 * voltage is the average current over its own window times R_shunt (the integral of the
 * modelled current over the window, divided by its length), quantised to the 10 uV LSB and
 * clamped to the PGA range. Details and deviations: docs/vboard.md "INA219 model". */
#ifndef HB_INA219_MODEL_H
#define HB_INA219_MODEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
	HB_INA219M_REG_CONFIG = 0,
	HB_INA219M_REG_SHUNT = 1,
	HB_INA219M_REG_BUS = 2,
	HB_INA219M_REG_POWER = 3,
	HB_INA219M_REG_CURRENT = 4,
	HB_INA219M_REG_CAL = 5,
	HB_INA219M_CONFIG_POR = 0x399F,
	HB_INA219M_CFG_RST = 1u << 15,
	HB_INA219M_CFG_BRNG = 1u << 13,
	HB_INA219M_BUS_CNVR = 1u << 1,
	HB_INA219M_BUS_OVF = 1u << 0,
};

/* I2C transaction outcome, the same codes as the vboard I2C socket's status byte. */
enum hb_ina219m_xfer_status {
	HB_INA219M_ACK = 0,
	HB_INA219M_DATA_NACK = 2,
};

struct hb_ina219m_params {
	double r_shunt_ohm;   /* shunt resistance */
	double bus_v;         /* voltage at IN- (the load side) reported by the bus channel */
	double noise_a;       /* Gaussian noise (1 sigma) added to each conversion's current, A */
	uint64_t seed;        /* noise seed */
};

struct hb_ina219m {
	struct hb_ina219m_params p;
	/* registers */
	uint16_t config, cal;
	int16_t shunt, current;
	uint16_t bus_counts;   /* bus voltage in 4 mV counts (register bits 15:3) */
	int cnvr, ovf;         /* register 2 bits 1 and 0 */
	uint16_t power;
	uint8_t pointer;
	/* time line: last (t, q) fed by the owner */
	double t_s, q_c;
	/* conversion in flight */
	int converting;        /* 0 idle, 1 running */
	int continuous;
	double conv_start_s;   /* start of the shunt window (or bus window in bus-only mode) */
	double shunt_end_s;    /* end of the shunt window (== conv_start_s when not converting shunt) */
	double conv_end_s;     /* conversion complete: registers update, CNVR set */
	double q_start, q_shunt_end; /* charge at the window edges */
	int have_q_shunt_end;
	/* faults */
	int stopped;           /* conversions frozen (registers keep the last values) */
	int saturated;         /* shunt reads full scale (as with a shorted/overdriven input) */
	/* statistics */
	uint64_t conversions;
	uint64_t rng;
};

/* Power-on state at time t0 (registers at POR, continuous conversion starts at t0). */
void hb_ina219m_init(struct hb_ina219m *m, const struct hb_ina219m_params *p, double t0_s,
		     double q0_c);
/* Feed the cumulative charge q_c (coulombs) at time t_s (>= the previous time). Runs every
 * conversion that completes in (previous t, t_s]; the charge at instants inside the step is
 * interpolated linearly (exact when the current is constant inside the step, which is the
 * case when the owner stops at next_event()). */
void hb_ina219m_advance(struct hb_ina219m *m, double t_s, double q_c);
/* Time of the next internal event (a window edge), or a huge value when idle. */
double hb_ina219m_next_event(const struct hb_ina219m *m);

/* One I2C transaction addressed to the chip: write wn bytes (pointer [+ MSB LSB]), then read
 * rn bytes from the pointed register (MSB first, repeating). Happens at the current time. */
enum hb_ina219m_xfer_status hb_ina219m_xfer(struct hb_ina219m *m, const uint8_t *w, size_t wn,
					    uint8_t *r, size_t rn);
/* Register access without the I2C framing (reads have the same side effects). */
uint16_t hb_ina219m_read_reg(struct hb_ina219m *m, uint8_t reg);
void hb_ina219m_write_reg(struct hb_ina219m *m, uint8_t reg, uint16_t v);

/* Faults. */
void hb_ina219m_reset(struct hb_ina219m *m);            /* brown-out: everything to POR */
void hb_ina219m_set_stopped(struct hb_ina219m *m, int on);
void hb_ina219m_set_saturated(struct hb_ina219m *m, int on);

/* Datasheet helpers. */
double hb_ina219m_conv_time_s(unsigned adc4);          /* BADC/SADC field -> seconds */
int hb_ina219m_shunt_fullscale(uint16_t config);        /* counts of 10 uV: 4000 << PGA */
/* The register arithmetic, exposed for tests: Current = Shunt * CAL / 4096,
 * Power = |Current| * Bus / 5000 (C truncation); *ovf set when out of range. */
int16_t hb_ina219m_calc_current(int16_t shunt, uint16_t cal, int *ovf);
uint16_t hb_ina219m_calc_power(int16_t current, uint16_t bus_counts, int *ovf);

#ifdef __cplusplus
}
#endif
#endif
