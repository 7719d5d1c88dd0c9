/* Unit tests of the virtual board's power model and ground truth (gateware/vboard/vb_power.c):
 * the model file, the energy formula, and truth queries against a brute-force integral. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vb_power.h"

static char ini_path[512];

static const char *shipped_ini(void)
{
	const char *src = getenv("HB_SOURCE_DIR");
	cr_assert(src, "HB_SOURCE_DIR set by CTest");
	snprintf(ini_path, sizeof ini_path, "%s/gateware/vboard/power-ice40.ini", src);
	return ini_path;
}

Test(vb_power, shipped_ice40_file_matches_builtin_defaults)
{
	struct hb_vb_power_model a, b;
	cr_assert_eq(hb_vb_power_load(shipped_ini(), &a), HB_OK);
	hb_vb_power_defaults(&b);
	cr_assert_str_eq(a.family, "ice40");
	cr_assert_float_eq(a.rail_v, b.rail_v, 1e-12);
	cr_assert_float_eq(a.board_a, b.board_a, 1e-15);
	cr_assert_float_eq(a.static_w, b.static_w, 1e-15);
	cr_assert_float_eq(a.e_clk_j, b.e_clk_j, 1e-20);
	cr_assert_float_eq(a.e_op_j, b.e_op_j, 1e-20);
	cr_assert_float_eq(a.e_wmem_j, b.e_wmem_j, 1e-20);
	cr_assert_float_eq(a.r_shunt_ohm, b.r_shunt_ohm, 1e-12);
	cr_assert_eq(a.ina_addr, 0x40);
}

Test(vb_power, every_shipped_family_file_loads)
{
	const char *fams[] = {"ice40", "ecp5", "artix7"};
	const char *src = getenv("HB_SOURCE_DIR");
	for (size_t i = 0; i < 3; i++) {
		char path[512];
		struct hb_vb_power_model pm;
		snprintf(path, sizeof path, "%s/gateware/vboard/power-%s.ini", src, fams[i]);
		cr_assert_eq(hb_vb_power_load(path, &pm), HB_OK, "%s", path);
		cr_assert_str_eq(pm.family, fams[i]);
		/* the INA219 shunt must not saturate at PGA /8 (320 mV) even at full activity */
		struct hb_vb_sums full = {.cycles = 1000, .syn = 32000, .ops = 32000, .wmem = 1000,
					  .imem = 1000, .lif = 1000, .uart = 1000};
		double i_max = (double)hb_vb_rail_energy_j(&pm, 100e6, &full) / pm.rail_v /
			       (1000 / 100e6);
		cr_assert_lt(i_max * pm.r_shunt_ohm, 0.32, "%s: %g A", fams[i], i_max);
		/* and the idle reading is well above the 10 uV LSB */
		cr_assert_gt(hb_vb_idle_power_w(&pm, 24e6) / pm.rail_v * pm.r_shunt_ohm, 1e-3);
	}
}

Test(vb_power, unknown_key_is_an_error)
{
	char path[] = "/tmp/hb_vb_power_XXXXXX";
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fprintf(f, "[power]\nrail_v = 3.3\ne_clk_pJ = 40\n");
	fclose(f);
	struct hb_vb_power_model pm;
	cr_assert_eq(hb_vb_power_load(path, &pm), HB_ERR_FORMAT);
	f = fopen(path, "w");
	fprintf(f, "[power]\nrail_v = -1\n");
	fclose(f);
	cr_assert_eq(hb_vb_power_load(path, &pm), HB_ERR_FORMAT);
	unlink(path);
	cr_assert_eq(hb_vb_power_load("/nonexistent/p.ini", &pm), HB_ERR_NOTFOUND);
}

/* The family goes into the truth JSON and numbers into its %g fields: a quote in the family
 * or a non-finite number would make invalid JSON, so the loader refuses them. */
Test(vb_power, family_and_numbers_that_would_break_the_truth_json_are_refused)
{
	static const char *const bad[] = {"[power]\nfamily = ice40\", \"x\": \"y\n",
					  "[power]\nfamily = \x1b[2J\n", "[power]\nrail_v = nan\n",
					  "[power]\ne_clk_pj = inf\n"};
	char path[] = "/tmp/hb_vb_power_XXXXXX";
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	close(fd);
	struct hb_vb_power_model pm;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		FILE *f = fopen(path, "w");
		fputs(bad[i], f);
		fclose(f);
		cr_assert_eq(hb_vb_power_load(path, &pm), HB_ERR_FORMAT, "case %zu accepted", i);
	}
	FILE *f = fopen(path, "w");
	fputs("[power]\nfamily = ecp5\n", f);
	fclose(f);
	cr_assert_eq(hb_vb_power_load(path, &pm), HB_OK);
	cr_assert_str_eq(pm.family, "ecp5");
	unlink(path);
}

Test(vb_power, energy_formula)
{
	struct hb_vb_power_model pm;
	hb_vb_power_defaults(&pm);
	const double f = 24e6;
	struct hb_vb_sums s = {.cycles = 24000, .syn = 1000, .ops = 5000, .wmem = 70, .imem = 30,
			       .lif = 20, .uart = 10};
	double t = s.cycles / f;
	double core = pm.static_w * t + s.cycles * pm.e_clk_j + s.syn * pm.e_syn_j +
		      s.ops * pm.e_op_j + s.wmem * pm.e_wmem_j + s.imem * pm.e_imem_j +
		      s.lif * pm.e_lif_j + s.uart * pm.e_uart_j;
	double rail = pm.rail_v * (pm.board_a * t + core / pm.core_supply_v);
	cr_assert_float_eq((double)hb_vb_core_energy_j(&pm, f, &s), core, core * 1e-12);
	cr_assert_float_eq((double)hb_vb_rail_energy_j(&pm, f, &s), rail, rail * 1e-12);
	/* the charge since power-up also carries the warm-up leakage of its busy cycles (below) */
	s.busy = 12000;
	double leak = (double)hb_vb_leak_extra_j(&pm, f, 0, s.busy);
	cr_assert_gt(leak, 0);
	cr_assert_float_eq(hb_vb_charge_c(&pm, f, &s), (rail + pm.rail_v * leak / pm.core_supply_v) / pm.rail_v,
			   1e-15);
	struct hb_vb_sums idle = {.cycles = 24000};
	cr_assert_float_eq(hb_vb_idle_power_w(&pm, f),
			   (double)hb_vb_rail_energy_j(&pm, f, &idle) / t, 1e-12);
	/* "tens of mA" on the rail, as docs/vboard.md says */
	double i_idle = hb_vb_idle_power_w(&pm, f) / pm.rail_v;
	cr_assert(i_idle > 10e-3 && i_idle < 100e-3, "idle rail current %g A", i_idle);
}

/* A synthetic design: idle stretches, UART-like blips, busy bursts with random activity.
 * Drives the truth exactly like the harness (vboard_loop.hpp) and checks every query
 * against the brute-force integral of the per-cycle words. */
#define NCYC 200000
#define HIST (1u << 14)
static uint64_t words[NCYC];

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

Test(vb_power, truth_matches_brute_force_integral)
{
	struct hb_vb_power_model pm;
	struct hb_vb_truth tr;
	static uint64_t hist[HIST];
	uint64_t seed = 12345;
	const double f = 24e6;

	hb_vb_power_defaults(&pm);
	/* workload */
	for (uint64_t c = 0; c < NCYC;) {
		uint64_t r = rnd(&seed) % 4, len = 500 + rnd(&seed) % 20000;
		for (uint64_t k = 0; k < len && c < NCYC; k++, c++) {
			if (r == 0) { /* busy burst */
				int last = k + 1 == len;
				words[c] = hb_vb_word((uint16_t)(rnd(&seed) % 33), 32, k % 4 == 0, 0,
						      k % 32 == 0, 0, !last, last);
			} else if (r == 1) { /* uart blips */
				words[c] = hb_vb_word(0, 0, 0, k % 80 == 0, 0, k % 8 == 0, 0, 0);
			} else {
				words[c] = 0;
			}
		}
	}
	cr_assert_eq(hb_vb_truth_init(&tr, &pm, f), HB_OK);
	tr.hist = hist;
	tr.hist_mask = HIST - 1;
	struct hb_vb_sums s = {0};
	uint64_t prev_word = 0, seg_start = 0, last_mark = 0;
	uint32_t prev_ctl = 0;
	int changed = 0;
	for (uint64_t c = 0; c < NCYC; c++) {
		uint64_t w = words[c];
		uint32_t ctl = (uint32_t)(w >> 36) & 3;
		if (c - last_mark >= 1000 || ctl != prev_ctl) {
			if (ctl != prev_ctl)
				hb_vb_truth_pin_before(&tr, &s, 4);
			hb_vb_truth_mark(&tr, &s, !changed, prev_word);
			if ((ctl ^ prev_ctl) & 1)
				hb_vb_truth_busy_edge(&tr, c, ctl & 1);
			changed = 0;
			seg_start = c;
			last_mark = c;
			prev_ctl = ctl;
		}
		if (w != prev_word && c != seg_start)
			changed = 1;
		prev_word = w;
		hist[c & (HIST - 1)] = w;
		hb_vb_word_add(&s, w);
	}
	cr_assert(tr.n < NCYC / 1000 + 4 * 2 * tr.n_win + 50, "idle runs merge (%zu ckpts)", tr.n);
	cr_assert(tr.n_win > 3);

	/* prefix sums for brute force */
	static struct hb_vb_sums pre[NCYC + 1];
	for (uint64_t c = 0; c < NCYC; c++) {
		pre[c + 1] = pre[c];
		hb_vb_word_add(&pre[c + 1], words[c]);
	}
	int n_exact = 0, n_inexact = 0;
	for (int q = 0; q < 3000; q++) {
		uint64_t c0, c1;
		if (q < 2 * (int)tr.n_win && q / 2 < (int)tr.n_win) {
			/* busy windows and the start handshake 2 cycles before them */
			c0 = tr.win[q / 2].c0 - (q % 2 ? 2 : 0);
			c1 = tr.win[q / 2].c1;
		} else {
			c0 = rnd(&seed) % NCYC;
			c1 = c0 + 1 + rnd(&seed) % (NCYC - c0);
			if (q % 3 == 0) /* near the end: inside the history */
				c0 = NCYC - 1 - rnd(&seed) % (HIST / 2), c1 = NCYC;
		}
		struct hb_vb_truth_result r;
		cr_assert_eq(hb_vb_truth_query(&tr, c0, c1, &s, !changed, &r), HB_OK);
		struct hb_vb_sums d = pre[c1];
		d.cycles -= pre[c0].cycles;
		d.syn -= pre[c0].syn;
		d.ops -= pre[c0].ops;
		d.wmem -= pre[c0].wmem;
		d.imem -= pre[c0].imem;
		d.lif -= pre[c0].lif;
		d.uart -= pre[c0].uart;
		d.busy -= pre[c0].busy;
		d.done -= pre[c0].done;
		double e = (double)hb_vb_rail_energy_between_j(&pm, f, &pre[c0], &pre[c1]);
		cr_assert_eq(r.cycles, c1 - c0);
		if (q < 2 * (int)tr.n_win || c0 >= NCYC - HIST)
			cr_assert(r.exact, "query %d [%llu,%llu) must be exact", q,
				  (unsigned long long)c0, (unsigned long long)c1);
		if (r.exact) {
			n_exact++;
			cr_assert_eq(r.busy_cycles, d.busy);
			cr_assert_eq(r.done, d.done);
			cr_assert_float_eq(r.energy_j, e, e * 1e-12, "[%llu,%llu)",
					   (unsigned long long)c0, (unsigned long long)c1);
		} else {
			n_inexact++;
			/* interpolated: bounded by the activity inside one segment */
			cr_assert_float_eq(r.energy_j, e, e * 1e-3);
		}
		cr_assert_float_eq(r.avg_power_w, r.energy_j / ((c1 - c0) / f), 1e-12);
	}
	cr_assert(n_exact > 0 && n_inexact >= 0);
	struct hb_vb_truth_result r;
	cr_assert_eq(hb_vb_truth_query(&tr, 5, 5, &s, 1, &r), HB_ERR_RANGE);
	cr_assert_eq(hb_vb_truth_query(&tr, 5, NCYC + 1, &s, 1, &r), HB_ERR_RANGE);
	hb_vb_truth_free(&tr);
}

/* The warm-up leakage (docs/vboard.md "Temperature"): the logic leaks more as the die warms
 * from computing, a function of the busy cycles since power-up, so every energy stays a
 * difference of cumulative sums. Checked against a numerical integral of the stated law. */
Test(vb_power, warm_up_leakage)
{
	struct hb_vb_power_model pm;
	hb_vb_power_defaults(&pm);
	const double f = 1e6;
	cr_assert_gt(pm.leak_per_c, 0, "the shipped twin models warm-up leakage");
	const double dt_ss = pm.theta_c_per_w * hb_vb_idle_power_w(&pm, f);
	/* temperature: 0 at power-up, 63 % of the way after one time constant of computing */
	cr_assert_float_eq(hb_vb_temp_rise_c(&pm, f, 0), 0, 1e-12);
	uint64_t tau_c = (uint64_t)(pm.thermal_tau_s * f);
	cr_assert_float_eq(hb_vb_temp_rise_c(&pm, f, tau_c), dt_ss * (1 - exp(-1.0)), dt_ss * 1e-9);
	cr_assert_float_eq(hb_vb_temp_rise_c(&pm, f, 40 * tau_c), dt_ss, dt_ss * 1e-9);
	/* extra energy over busy stretches, against Simpson's rule on static_w * leak_per_c * dT */
	const uint64_t win[][2] = {{0, 1000}, {0, tau_c / 3}, {tau_c / 2, 2 * tau_c}, {5 * tau_c, 5 * tau_c + 12345}};
	for (size_t w = 0; w < sizeof win / sizeof win[0]; w++) {
		double t0 = win[w][0] / f, t1 = win[w][1] / f, h = (t1 - t0) / 2000, sum = 0;
		for (int k = 0; k <= 2000; k++) {
			double t = t0 + k * h;
			double p = pm.static_w * pm.leak_per_c * dt_ss * (1 - exp(-t / pm.thermal_tau_s));
			sum += p * (k == 0 || k == 2000 ? 1 : k % 2 ? 4 : 2);
		}
		double want = sum * h / 3;
		double got = (double)hb_vb_leak_extra_j(&pm, f, win[w][0], win[w][1]);
		cr_assert_float_eq(got, want, fabs(want) * 1e-7 + 1e-21, "window %zu: %g J vs %g J", w, got, want);
	}
	/* additive: [a, c) = [a, b) + [b, c) */
	struct hb_vb_sums a = {.cycles = 1000, .busy = 500}, b = {.cycles = 2 * tau_c, .busy = tau_c},
			  c = {.cycles = 6 * tau_c, .busy = 3 * tau_c};
	long double ac = hb_vb_rail_energy_between_j(&pm, f, &a, &c);
	long double ab = hb_vb_rail_energy_between_j(&pm, f, &a, &b), bc = hb_vb_rail_energy_between_j(&pm, f, &b, &c);
	cr_assert_float_eq((double)ac, (double)(ab + bc), (double)ac * 1e-15);
	/* the same busy stretch costs more after much computing; idle costs the same whenever */
	struct hb_vb_sums e0 = {0}, e1 = {.cycles = 100000, .busy = 100000},
			  l0 = {.cycles = 6 * tau_c, .busy = 5 * tau_c},
			  l1 = {.cycles = 6 * tau_c + 100000, .busy = 5 * tau_c + 100000};
	double early = (double)hb_vb_rail_energy_between_j(&pm, f, &e0, &e1);
	double late = (double)hb_vb_rail_energy_between_j(&pm, f, &l0, &l1);
	double grow = pm.rail_v / pm.core_supply_v * pm.static_w * pm.leak_per_c * dt_ss * 0.1;
	cr_assert_gt(late, early);
	cr_assert_float_eq(late - early, grow, grow * 0.01, "late busy stretch costs %g J more, expected ~%g", late - early,
			   grow);
	struct hb_vb_sums i0 = {.cycles = 6 * tau_c, .busy = 5 * tau_c}, i1 = {.cycles = 6 * tau_c + 100000, .busy = 5 * tau_c};
	struct hb_vb_sums j0 = {0}, j1 = {.cycles = 100000};
	cr_assert_float_eq((double)hb_vb_rail_energy_between_j(&pm, f, &i0, &i1),
			   (double)hb_vb_rail_energy_between_j(&pm, f, &j0, &j1), 1e-15);
	/* off: exactly the linear model */
	pm.leak_per_c = 0;
	cr_assert_eq(hb_vb_leak_extra_j(&pm, f, 0, 5 * tau_c), 0);
	struct hb_vb_sums s = {.cycles = 5000, .syn = 100, .busy = 5000};
	cr_assert_float_eq(hb_vb_charge_c(&pm, f, &s), (double)hb_vb_rail_energy_j(&pm, f, &s) / pm.rail_v, 1e-18);
}

Test(vb_power, warm_up_needs_a_time_constant)
{
	char path[] = "/tmp/hb_vb_power_XXXXXX";
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fprintf(f, "[power]\nleak_per_c = 0.05\nthermal_tau_s = 0\n");
	fclose(f);
	struct hb_vb_power_model pm;
	cr_assert_eq(hb_vb_power_load(path, &pm), HB_ERR_FORMAT);
	unlink(path);
}
