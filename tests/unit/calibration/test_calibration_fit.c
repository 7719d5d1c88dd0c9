/* The calibration fit: synthetic sweeps generated here from known coefficients with
 * P_mW = P_static + C_eff[fF] * 1e-12 * f[Hz] * LUTs * activity * V^2, then fitted back. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "hb_energy_model.h"
#include "hb_log.h"

static double truth_mw(double ceff_ff, double p_static, const struct hb_cal_point *p)
{
	return p_static + ceff_ff * 1e-15 * p->voltage_v * p->voltage_v * p->clock_mhz * 1e6 *
				  p->luts * p->activity * 1e3;
}

/* A sweep over clock (12..48 MHz) and design size (1k..6k LUTs) at 1.2 V, activity 0.5. */
static size_t make_sweep(struct hb_cal_point *pts, double ceff, double p_static, double noise_mw)
{
	size_t n = 0;
	const double clocks[] = {12, 24, 36, 48};
	const double luts[] = {1000, 2500, 4000, 6000};
	for (size_t i = 0; i < 4; i++) {
		for (size_t j = 0; j < 4; j++) {
			struct hb_cal_point *p = &pts[n];
			*p = (struct hb_cal_point){.clock_mhz = clocks[i], .luts = luts[j],
						   .activity = 0.5, .voltage_v = 1.2};
			/* deterministic, zero-mean +-noise pattern */
			double e = ((n * 7) % 5 - 2.0) / 2.0 * noise_mw;
			p->power_mw = truth_mw(ceff, p_static, p) + e;
			n++;
		}
	}
	return n;
}

Test(cal_fit, recovers_exact_coefficients)
{
	struct hb_cal_point pts[16];
	size_t n = make_sweep(pts, 4.2, 12.5, 0.0);
	struct hb_cal_coeffs c;
	cr_assert_eq(hb_cal_fit(pts, n, false, &c), HB_OK);
	cr_assert_float_eq(c.c_eff_ff, 4.2, 1e-9);
	cr_assert_float_eq(c.static_power_mw, 12.5, 1e-9);
	cr_assert_float_eq(c.r2, 1.0, 1e-12);
	cr_assert_lt(c.rms_residual_mw, 1e-9);
	cr_assert_eq(c.n_points, 16);
	for (size_t i = 0; i < n; i++)
		cr_assert_float_eq(hb_cal_predict_mw(&c, &pts[i]), pts[i].power_mw, 1e-9);
}

Test(cal_fit, noisy_sweep_stays_close)
{
	struct hb_cal_point pts[16];
	/* the largest point is 5e-15*1.44*48e6*6000*0.5 W = 1.04 mW dynamic + 3 mW static */
	size_t n = make_sweep(pts, 5.0, 3.0, 0.01);
	struct hb_cal_coeffs c;
	cr_assert_eq(hb_cal_fit(pts, n, false, &c), HB_OK);
	cr_assert(fabs(c.c_eff_ff - 5.0) < 0.1, "C_eff %g", c.c_eff_ff);
	cr_assert(fabs(c.static_power_mw - 3.0) < 0.02, "P_static %g", c.static_power_mw);
	cr_assert_gt(c.r2, 0.99);
	cr_assert_gt(c.rms_residual_mw, 0.0);
	cr_assert_lt(c.rms_residual_mw, 0.02);
}

Test(cal_fit, through_origin)
{
	struct hb_cal_point pts[16];
	size_t n = make_sweep(pts, 3.5, 0.0, 0.0);
	struct hb_cal_coeffs c;
	cr_assert_eq(hb_cal_fit(pts, n, true, &c), HB_OK);
	cr_assert_float_eq(c.c_eff_ff, 3.5, 1e-9);
	cr_assert_eq(c.static_power_mw, 0.0);
	/* a free intercept on data with a static offset differs from the forced-zero fit */
	n = make_sweep(pts, 3.5, 10.0, 0.0);
	struct hb_cal_coeffs free_fit, zero_fit;
	cr_assert_eq(hb_cal_fit(pts, n, false, &free_fit), HB_OK);
	cr_assert_eq(hb_cal_fit(pts, n, true, &zero_fit), HB_OK);
	cr_assert_float_eq(free_fit.c_eff_ff, 3.5, 1e-9);
	cr_assert_gt(zero_fit.c_eff_ff, 3.5 + 1.0);
	cr_assert_lt(zero_fit.r2, free_fit.r2);
}

Test(cal_fit, degenerate_sweeps_are_refused)
{
	struct hb_cal_point pts[3];
	struct hb_cal_coeffs c;
	for (size_t i = 0; i < 3; i++)
		pts[i] = (struct hb_cal_point){.clock_mhz = 12, .luts = 1000, .activity = 0.5,
					       .voltage_v = 1.2, .power_mw = 1.0 + i};
	cr_assert_eq(hb_cal_fit(pts, 3, false, &c), HB_ERR_ARG); /* all x equal */
	cr_assert_eq(hb_cal_fit(pts, 1, false, &c), HB_ERR_ARG); /* one point */
	cr_assert_eq(hb_cal_fit(pts, 0, true, &c), HB_ERR_ARG);
	pts[1].power_mw = NAN;
	pts[1].clock_mhz = 24;
	cr_assert_eq(hb_cal_fit(pts, 3, false, &c), HB_ERR_ARG);
}

/* Evaluating the model with calibrated coefficients: with the table's own C_eff and no static
 * power it reproduces the plain estimate; a static term adds P_static to power and
 * P_static * latency to energy. */
Test(cal_fit, calibrated_estimate)
{
	static const struct hb_layer_shape l[] = {{64, 32}, {32, 10}};
	struct hb_energy_opts o = hb_energy_opts_default();
	struct hb_energy_report plain, cal;
	cr_assert_eq(hb_energy_estimate(l, 2, &o, &plain), HB_OK);

	struct hb_cal_coeffs c = {.c_eff_ff = 5.0, .static_power_mw = 0.0};
	strcpy(c.target, "ice40");
	cr_assert_eq(hb_energy_estimate_calibrated(l, 2, &o, &c, &cal), HB_OK);
	cr_assert(cal.calibrated);
	cr_assert_eq(cal.total_dynamic_power_mw, plain.total_dynamic_power_mw);
	cr_assert_eq(cal.energy_total_nj, plain.energy_per_inference_nj);

	c.c_eff_ff = 10.0;
	c.static_power_mw = 2.0;
	cr_assert_eq(hb_energy_estimate_calibrated(l, 2, &o, &c, &cal), HB_OK);
	cr_assert_float_eq(cal.total_dynamic_power_mw, 2 * plain.total_dynamic_power_mw, 1e-12);
	cr_assert_float_eq(cal.total_power_mw, cal.total_dynamic_power_mw + 2.0, 1e-12);
	/* 516 cycles at 100 MHz = 5.16 us; 2 mW * 5.16 us = 10.32 nJ static */
	cr_assert_float_eq(cal.energy_total_nj - cal.energy_per_inference_nj, 10.32, 1e-9);
	struct hb_energy_row row;
	hb_energy_profiler_row(&cal, &row);
	cr_assert_eq(row.power_mw, cal.total_power_mw);
	cr_assert_eq(row.energy_per_inf_nj, cal.energy_total_nj);

	hb_log_set_level(HB_LOG_NONE);
	strcpy(c.target, "ecp5");
	cr_assert_eq(hb_energy_estimate_calibrated(l, 2, &o, &c, &cal), HB_ERR_MISMATCH);
	hb_log_set_level(HB_LOG_WARN);
}
