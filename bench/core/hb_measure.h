/* hilbench — turning power samples and device timestamps into measured figures.
 *
 * The method (docs/measurement.md):
 *  - The device stamps every batch with its own cycle counter (t_first_start, t_last_done).
 *  - The host maps device cycles to its monotonic clock from sync points: a COUNTERS request
 *    sent at host time a, answered at host time b, reporting cycle c, says "cycle c happened
 *    in [a, b]". A least-squares line through the midpoints gives the map; the uncertainty
 *    is half the worst round trip plus the worst residual.
 *  - A power sample read at host time t_i (a fresh conversion, CNVR set) averaged the rail
 *    over a conversion that ended in (t_{i-1}, t_i], so it covered a sub-interval of
 *    (t_{i-1} - T_conv, t_i]. Only samples whose whole possible interval lies inside the
 *    window, shrunk by the map uncertainty, are used.
 *  - Window power = mean of those samples (equal-length conversions), summed over rails.
 *    Energy = power x device time of the window (exact, from cycles).
 *  - A figure is unavailable, with the reason, when the window holds too few samples,
 *    when a sample is saturated or overflowed, when the sample stream has a hole longer
 *    than a set share of the window, or when the samples cover less than half of it
 *    (conversions missed here and there, spread over a steady window, do not bias the
 *    mean and are only counted). */
#ifndef HB_MEASURE_H
#define HB_MEASURE_H

#include <stddef.h>
#include <stdint.h>

enum hb_meas_flags {
	HB_MEAS_SATURATED = 1u << 0, /* shunt voltage at the PGA limit */
	HB_MEAS_OVERFLOW = 1u << 1,  /* INA219 OVF: power/current arithmetic overflowed */
};

struct hb_meas_sample {
	uint64_t t_ns;    /* host monotonic time at which the fresh conversion was read */
	double power_mw;  /* bus voltage x current of that conversion */
	unsigned flags;   /* enum hb_meas_flags */
};

struct hb_sync_point {
	uint64_t host_before_ns; /* request written */
	uint64_t host_after_ns;  /* response read */
	uint64_t cycle;          /* device cycle counter in the response */
};

struct hb_timemap {
	int valid;
	double ns_per_cycle;    /* fitted (or nominal with one point) */
	double offset_ns;       /* host_ns = offset_ns + cycle * ns_per_cycle */
	double uncertainty_ns;  /* bound on |true - mapped| */
};

/* Fit the map. With one point the slope is the nominal 1e9 / clock_hz; with several, a
 * least-squares line through the midpoints. Returns 0, or -1 when n == 0 or clock_hz == 0. */
int hb_timemap_fit(const struct hb_sync_point *p, size_t n, double clock_hz, struct hb_timemap *m);
double hb_timemap_host_ns(const struct hb_timemap *m, uint64_t cycle);

struct hb_window_power {
	int available;
	char reason[160];   /* why unavailable (empty when available) */
	size_t n_samples;   /* samples used */
	size_t n_gaps;      /* missed conversions detected inside the window */
	double mean_mw;
	double stddev_mw;
};

struct hb_window_opts {
	uint64_t conv_ns;        /* conversion time of one sample (INA219 setting) */
	double guard_ns;         /* extra margin at both ends (map uncertainty) */
	size_t min_samples;      /* fewer usable samples -> unavailable (default 10) */
	double max_gap_fraction; /* longest hole between samples, share of the window (default 0.02) */
	double min_coverage;     /* usable samples x conv_ns must cover this share (default 0.5) */
};

/* Mean rail power over host interval [h0_ns, h1_ns] from one rail's samples (sorted by t_ns). */
void hb_window_power(const struct hb_meas_sample *s, size_t n, double h0_ns, double h1_ns,
		     const struct hb_window_opts *o, struct hb_window_power *out);

/* nJ from mW and seconds. */
static inline double hb_energy_nj(double power_mw, double seconds)
{
	return power_mw * seconds * 1e6;
}

#endif
