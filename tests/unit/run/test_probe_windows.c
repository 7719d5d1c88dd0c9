/* The pure parts of `hilbench run` through a bench probe (bench/run/hb_probe_windows.c): the
 * overlap integration of the probe's conversions, percentiles, the ADC choice. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "hb_probe_windows.h"
#include "hbp_proto.h"

/* Conversions of `period` µs back to back, ending at t0 + period, t0 + 2 period, ...; power
 * of conversion k is p(k). */
static struct hb_probe_psample *grid(size_t n, uint32_t period, uint64_t t0, double (*p)(size_t))
{
	struct hb_probe_psample *s = calloc(n, sizeof *s);
	cr_assert_not_null(s);
	for (size_t k = 0; k < n; k++)
		s[k] = (struct hb_probe_psample){.t_us = t0 + (k + 1) * period, .power_mw = p(k)};
	return s;
}

static double p_const(size_t k) { (void)k; return 7.0; }
static double p_ramp(size_t k) { return (double)k; }

Test(probe_windows, a_constant_power_integrates_to_itself_with_full_coverage)
{
	struct hb_probe_psample *s = grid(100, 532, 1000, p_const);
	double mw, cov;
	size_t bad;
	/* an interval that starts and ends inside conversions */
	size_t used = hb_probe_integrate(s, 100, 532, 1000 + 100.5, 1000 + 20 * 532 + 17, &mw, &cov, &bad);
	cr_assert_float_eq(mw, 7.0, 1e-12);
	cr_assert_float_eq(cov, 20 * 532 + 17 - 100.5, 1e-9);
	cr_assert_eq(used, 21, "conversions 0..20 overlap it");
	free(s);
}

Test(probe_windows, partial_conversions_weigh_by_their_overlap)
{
	struct hb_probe_psample *s = grid(10, 100, 0, p_ramp); /* conversion k covers [100k, 100k+100] */
	double mw, cov;
	size_t bad;
	/* 25 µs of conversion 1 (power 1) and 75 µs of conversion 2 (power 2) */
	hb_probe_integrate(s, 10, 100, 175, 275, &mw, &cov, &bad);
	cr_assert_float_eq(cov, 100, 1e-12);
	cr_assert_float_eq(mw, (1 * 25.0 + 2 * 75.0) / 100, 1e-12);
	free(s);
}

Test(probe_windows, conversions_not_read_are_holes_not_zeros)
{
	struct hb_probe_psample *s = grid(10, 100, 0, p_const);
	/* conversions 3 and 4 were not read: drop them */
	for (size_t k = 3; k + 2 < 10; k++)
		s[k] = s[k + 2];
	double mw, cov;
	size_t bad;
	hb_probe_integrate(s, 8, 100, 0, 1000, &mw, &cov, &bad);
	cr_assert_float_eq(mw, 7.0, 1e-12);
	cr_assert_float_eq(cov, 800, 1e-12);
	free(s);
}

Test(probe_windows, an_empty_or_inverted_interval_gives_nothing)
{
	struct hb_probe_psample *s = grid(4, 100, 0, p_const);
	double mw, cov;
	size_t bad;
	cr_assert_eq(hb_probe_integrate(s, 4, 100, 200, 200, &mw, &cov, &bad), 0);
	cr_assert(isnan(mw));
	cr_assert_eq(hb_probe_integrate(s, 4, 100, 1000, 2000, &mw, &cov, &bad), 0);
	cr_assert_eq(cov, 0);
	free(s);
}

Test(probe_windows, a_saturated_reading_is_counted_not_averaged)
{
	struct hb_probe_psample *s = grid(10, 100, 0, p_const);
	s[4].power_mw = NAN;
	double mw, cov;
	size_t bad;
	hb_probe_integrate(s, 10, 100, 350, 650, &mw, &cov, &bad);
	cr_assert_eq(bad, 1);
	cr_assert_float_eq(mw, 7.0, 1e-12);
	hb_probe_integrate(s, 10, 100, 600, 900, &mw, &cov, &bad);
	cr_assert_eq(bad, 0, "outside the interval it does not count");
	free(s);
}

Test(probe_windows, percentiles_interpolate_between_order_statistics)
{
	double v[101];
	for (int i = 0; i <= 100; i++)
		v[i] = (double)((i * 37) % 101); /* 0..100, shuffled */
	cr_assert_float_eq(hb_probe_percentile(v, 101, 0.05), 5.0, 1e-12);
	cr_assert_float_eq(hb_probe_percentile(v, 101, 0.5), 50.0, 1e-12);
	cr_assert_float_eq(hb_probe_percentile(v, 101, 0.95), 95.0, 1e-12);
	double w[4] = {4, 1, 3, 2};
	cr_assert_float_eq(hb_probe_percentile(w, 4, 0.5), 2.5, 1e-12);
	cr_assert(isnan(hb_probe_percentile(w, 0, 0.5)));
}

Test(probe_windows, the_adc_choice_fits_the_minimum_conversions_in_an_inference)
{
	for (double lat = 10; lat < 5000; lat *= 1.3) {
		uint32_t period;
		unsigned code = hb_probe_pick_adc(lat, &period);
		cr_assert_lt(code, 4u);
		cr_assert_eq(period, hbp_ina219_adc_us(code));
		if (code > 0) /* never a longer one than fits */
			cr_assert_leq(period * (double)HB_PROBE_MIN_CONV_PER_INF, lat);
		if (code < 3) /* never a shorter one than needed */
			cr_assert_gt(hbp_ina219_adc_us(code + 1) * (double)HB_PROBE_MIN_CONV_PER_INF, lat);
	}
}

/* Two batches of 5 inferences of 100 µs (BUSY rises 2 µs before each DONE's inference
 * starts back to back), 8 ms apart: the second is found by its length even when the count
 * of edges before it is one short (an edge of the first arrived late). */
Test(probe_windows, a_batch_is_found_by_its_length_not_by_edge_counts)
{
	uint64_t done[10], busy[10];
	for (int b = 0; b < 2; b++)
		for (int i = 0; i < 5; i++) {
			uint64_t start = 1000 + (uint64_t)b * 8500 + (uint64_t)i * 100;
			busy[b * 5 + i] = start;
			done[b * 5 + i] = start + 100;
		}
	const double device_s = 500e-6; /* the second batch by the device: 5 x 100 µs */
	uint64_t t = 0;
	cr_assert_eq(hb_probe_find_batch(done, 10, busy, 10, 5, 5, device_s, &t), 5);
	cr_assert_eq(t, busy[5]);
	/* told 4 edges were earlier (one arrived late): still the second batch */
	cr_assert_eq(hb_probe_find_batch(done, 10, busy, 10, 4, 5, device_s, &t), 5);
	cr_assert_eq(t, busy[5]);
	/* too few edges yet, or a length no run of them has: not found */
	cr_assert_eq(hb_probe_find_batch(done, 9, busy, 9, 4, 5, device_s, &t), SIZE_MAX);
	cr_assert_eq(hb_probe_find_batch(done, 10, busy, 10, 4, 5, device_s * 1.01, &t), SIZE_MAX);
	/* within the clocks' tolerance (100 ppm) it is */
	cr_assert_eq(hb_probe_find_batch(done, 10, busy, 10, 0, 5, device_s * 1.0001, &t), 0);
}
