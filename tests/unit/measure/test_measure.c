/* Statistics and the window-power method (docs/measurement.md). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "hb_measure.h"
#include "hb_stats.h"

Test(stats, percentiles_interpolate_between_ranks)
{
	double v[] = {5, 1, 4, 2, 3};
	cr_assert_float_eq(hb_stats_median(v, 5), 3.0, 1e-12);
	double w[] = {10, 20, 30, 40};
	/* type-7: h = (n-1) p; p95 -> h = 2.85 -> 30 + 0.85 * 10 */
	cr_assert_float_eq(hb_stats_percentile(w, 4, 95), 38.5, 1e-12);
	cr_assert_float_eq(hb_stats_percentile(w, 4, 0), 10.0, 1e-12);
	cr_assert_float_eq(hb_stats_percentile(w, 4, 100), 40.0, 1e-12);
	cr_assert(isnan(hb_stats_median(w, 0)));
}

Test(stats, summary_matches_two_pass_formulas)
{
	double v[200];
	double s = 0;
	srand(7);
	for (int i = 0; i < 200; i++) {
		v[i] = 1e6 + (double)(rand() % 1000) / 10.0; /* large offset: Welford must stay exact */
		s += v[i];
	}
	double mean = s / 200, ss = 0;
	for (int i = 0; i < 200; i++)
		ss += (v[i] - mean) * (v[i] - mean);
	struct hb_summary sum;
	hb_stats_summary(v, 200, &sum);
	cr_assert_float_eq(sum.mean, mean, 1e-6);
	cr_assert_float_eq(sum.stddev, sqrt(ss / 199), 1e-6);
	cr_assert_leq(sum.min, sum.median);
	cr_assert_leq(sum.median, sum.max);
}

Test(timemap, recovers_offset_and_drift_within_uncertainty)
{
	/* Device at 10 MHz whose oscillator runs 100 ppm fast relative to the host. */
	double true_ns_per_cycle = 100.0 / 1.0001, true_off = 5e8;
	struct hb_sync_point p[6];
	for (int i = 0; i < 6; i++) {
		uint64_t cyc = (uint64_t)i * 20000000u + 12345u;
		double t = true_off + true_ns_per_cycle * (double)cyc;
		double rtt = 300000.0 + 100000.0 * (i % 3); /* 0.3 .. 0.5 ms, asymmetric */
		p[i].host_before_ns = (uint64_t)(t - rtt * 0.3);
		p[i].host_after_ns = (uint64_t)(t + rtt * 0.7);
		p[i].cycle = cyc;
	}
	struct hb_timemap m;
	cr_assert_eq(hb_timemap_fit(p, 6, 10e6, &m), 0);
	for (int i = 0; i < 6; i++) {
		double truth = true_off + true_ns_per_cycle * (double)p[i].cycle;
		cr_assert_leq(fabs(hb_timemap_host_ns(&m, p[i].cycle) - truth), m.uncertainty_ns,
			      "point %d outside the stated uncertainty", i);
	}
	/* asymmetric round trips bias midpoints by <= 40 us over 10 s: slope within 1e-5 */
	cr_assert_float_eq(m.ns_per_cycle, true_ns_per_cycle, 1e-3);
	/* one point: nominal slope */
	cr_assert_eq(hb_timemap_fit(p, 1, 10e6, &m), 0);
	cr_assert_float_eq(m.ns_per_cycle, 100.0, 1e-12);
	cr_assert_eq(hb_timemap_fit(p, 0, 10e6, &m), -1);
}

/* Samples of a rail drawing idle_mw except active_mw during [a_ns, b_ns): each sample is the
 * exact average over its conversion [t - conv, t], read with a little poll jitter. */
static size_t synth(struct hb_meas_sample *s, size_t cap, double conv, double a_ns, double b_ns,
		    double idle_mw, double active_mw, double end_ns)
{
	size_t n = 0;
	for (double t = conv; t < end_ns && n < cap; t += conv) {
		double lo = t - conv, hi = t;
		double ov = fmax(0, fmin(hi, b_ns) - fmax(lo, a_ns));
		s[n].power_mw = idle_mw + (active_mw - idle_mw) * ov / conv;
		s[n].t_ns = (uint64_t)(t + 20000.0 * ((n * 7) % 5) / 5.0); /* read 0..16 us late */
		s[n].flags = 0;
		n++;
	}
	return n;
}

Test(window, uses_only_samples_inside_and_gets_the_active_power)
{
	static struct hb_meas_sample s[20000];
	double conv = 532000.0;
	size_t n = synth(s, 20000, conv, 2.0e9, 4.0e9, 100.0, 130.0, 6.0e9);
	struct hb_window_opts o = {.conv_ns = (uint64_t)conv, .guard_ns = 1e6, .min_samples = 10};
	struct hb_window_power w;
	hb_window_power(s, n, 2.0e9, 4.0e9, &o, &w);
	cr_assert(w.available, "%s", w.reason);
	cr_assert_float_eq(w.mean_mw, 130.0, 1e-9, "edge samples leaked in: %f", w.mean_mw);
	cr_assert_gt(w.n_samples, 3700);
	/* idle before */
	hb_window_power(s, n, 0.1e9, 1.9e9, &o, &w);
	cr_assert(w.available);
	cr_assert_float_eq(w.mean_mw, 100.0, 1e-9);
}

Test(window, short_window_saturation_and_gaps_are_unavailable_with_reason)
{
	static struct hb_meas_sample s[20000];
	double conv = 532000.0;
	size_t n = synth(s, 20000, conv, 2.0e9, 4.0e9, 100.0, 130.0, 6.0e9);
	struct hb_window_opts o = {.conv_ns = (uint64_t)conv, .guard_ns = 1e6, .min_samples = 10};
	struct hb_window_power w;

	hb_window_power(s, n, 2.0e9, 2.004e9, &o, &w);
	cr_assert_not(w.available);
	cr_assert(strstr(w.reason, "too few power samples"), "%s", w.reason);

	hb_window_power(s, n, 2.0e9, 2.0015e9, &o, &w);
	cr_assert_not(w.available);
	cr_assert(strstr(w.reason, "shorter than its timing uncertainty"), "%s", w.reason);

	s[5000].flags = HB_MEAS_SATURATED;
	hb_window_power(s, n, 2.0e9, 4.0e9, &o, &w);
	cr_assert_not(w.available);
	cr_assert(strstr(w.reason, "saturated"), "%s", w.reason);
	s[5000].flags = 0;

	/* drop 10 % of the samples inside the window: a gapped stream */
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (!(i > 4000 && i < 4000 + 400))
			s[m++] = s[i];
	hb_window_power(s, m, 2.0e9, 4.0e9, &o, &w);
	cr_assert_not(w.available);
	cr_assert(strstr(w.reason, "gap of"), "%s", w.reason);
	cr_assert_geq(w.n_gaps, 390);
}

Test(window, scattered_missed_conversions_keep_the_mean_but_a_thin_stream_is_unavailable)
{
	static struct hb_meas_sample s[20000], k[20000];
	double conv = 532000.0;
	size_t n = synth(s, 20000, conv, 2.0e9, 4.0e9, 100.0, 130.0, 6.0e9);
	struct hb_window_opts o = {.conv_ns = (uint64_t)conv, .guard_ns = 1e6, .min_samples = 10};
	struct hb_window_power w;
	/* keep 3 of every 4 conversions: 25 % missed, evenly spread */
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (i % 4 != 1)
			k[m++] = s[i];
	hb_window_power(k, m, 2.0e9, 4.0e9, &o, &w);
	cr_assert(w.available, "%s", w.reason);
	cr_assert_float_eq(w.mean_mw, 130.0, 1e-9);
	cr_assert_geq(w.n_gaps, 900, "missed conversions are still counted: %zu", w.n_gaps);
	/* keep 1 of every 3: under half the window observed */
	m = 0;
	for (size_t i = 0; i < n; i++)
		if (i % 3 == 0)
			k[m++] = s[i];
	hb_window_power(k, m, 2.0e9, 4.0e9, &o, &w);
	cr_assert_not(w.available);
	cr_assert(strstr(w.reason, "cover only"), "%s", w.reason);
}
