/* A calibration point from the virtual board's power model without simulating the RTL: the
 * activity model gives the per-inference sums, vb_power turns a BATCH window of them into rail
 * energy (warm-up leakage included), and the INA219's noise is added as the bench would see it
 * after averaging a window's conversions. For the fit tests and the sweep's fake run. */
#ifndef CAL_TWIN_H
#define CAL_TWIN_H

#include <stdint.h>

#include "hb_activity.h"
#include "hb_cal.h"
#include "vb_power.h"

struct cal_twin {
	struct hb_vb_power_model pm;
	double noise_uA;    /* INA219 current noise per conversion (1 sigma) */
	double conv_s;      /* one conversion (2.66 ms as hilbench run configures it) */
	uint64_t rng;
	uint64_t busy;      /* busy cycles since the board's power-up (warm-up leakage) */
};

/* Load gateware/vboard/power-<family>.ini from HB_SOURCE_DIR (0 on success). */
int cal_twin_init(struct cal_twin *tw, const char *family, double noise_uA, uint64_t seed);

/* A measured point: W windows of `window_s` each, the first starting at `start_s` after
 * power-up, windows `gap_s` apart; the point is the median window, its SE the spread. */
void cal_twin_point(struct cal_twin *tw, const char *net, unsigned L, double clock_hz,
		    const struct hb_activity *a, unsigned windows, double window_s, double start_s,
		    double gap_s, struct hb_cal_obs *o);

/* The idle baseline before a point: `seconds` of idle ending at `end_s` after power-up, as a
 * power-form point with every event 0. */
void cal_twin_idle(struct cal_twin *tw, const char *net, unsigned L, double clock_hz, double end_s,
		   double seconds, struct hb_cal_obs *o);

/* Activity of a network for seeded random inputs with values scaled by `scale`. */
int cal_twin_activity(const struct hb_net *net, unsigned lanes, uint32_t seed, double scale,
		      struct hb_activity *a);

#endif
