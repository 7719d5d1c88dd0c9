/* hilbench virtual board — power model and ground truth (see vb_power.h). */
#define LOG_PREFIX "vboard"
#include "vb_power.h"

#include <ini.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hb_log.h"

void hb_vb_power_defaults(struct hb_vb_power_model *pm)
{
	/* Same numbers as gateware/vboard/power-ice40.ini (documented there). */
	memset(pm, 0, sizeof *pm);
	strcpy(pm->family, "ice40");
	pm->rail_v = 3.3;
	pm->board_a = 22e-3;
	pm->core_supply_v = 1.2;
	pm->static_w = 0.25e-3;
	pm->e_clk_j = 40e-12;
	pm->e_syn_j = 0.8e-12;
	pm->e_op_j = 1.0e-12;
	pm->e_wmem_j = 22e-12;
	pm->e_imem_j = 6e-12;
	pm->e_lif_j = 12e-12;
	pm->e_uart_j = 2e-12;
	pm->r_shunt_ohm = 0.5;
	pm->ina_addr = 0x40;
	pm->theta_c_per_w = 60;
	pm->thermal_tau_s = 30;
	pm->leak_per_c = 0.04;
}

struct load_ctx {
	struct hb_vb_power_model *pm;
	const char *path;
	int bad;
};

static int on_kv(void *user, const char *section, const char *name, const char *value)
{
	struct load_ctx *c = user;
	struct hb_vb_power_model *pm = c->pm;
	char *end;
	static const struct {
		const char *section, *key;
		size_t off;
		double scale;
	} keys[] = {
		{"power", "rail_v", offsetof(struct hb_vb_power_model, rail_v), 1},
		{"power", "board_ma", offsetof(struct hb_vb_power_model, board_a), 1e-3},
		{"power", "core_supply_v", offsetof(struct hb_vb_power_model, core_supply_v), 1},
		{"power", "static_mw", offsetof(struct hb_vb_power_model, static_w), 1e-3},
		{"power", "e_clk_pj", offsetof(struct hb_vb_power_model, e_clk_j), 1e-12},
		{"power", "e_syn_pj", offsetof(struct hb_vb_power_model, e_syn_j), 1e-12},
		{"power", "e_op_pj", offsetof(struct hb_vb_power_model, e_op_j), 1e-12},
		{"power", "e_wmem_pj", offsetof(struct hb_vb_power_model, e_wmem_j), 1e-12},
		{"power", "e_imem_pj", offsetof(struct hb_vb_power_model, e_imem_j), 1e-12},
		{"power", "e_lif_pj", offsetof(struct hb_vb_power_model, e_lif_j), 1e-12},
		{"power", "e_uart_pj", offsetof(struct hb_vb_power_model, e_uart_j), 1e-12},
		{"power", "theta_c_per_w", offsetof(struct hb_vb_power_model, theta_c_per_w), 1},
		{"power", "thermal_tau_s", offsetof(struct hb_vb_power_model, thermal_tau_s), 1},
		{"power", "leak_per_c", offsetof(struct hb_vb_power_model, leak_per_c), 1},
		{"monitor", "r_shunt_ohm", offsetof(struct hb_vb_power_model, r_shunt_ohm), 1},
	};

	if (strcmp(section, "power") == 0 && strcmp(name, "family") == 0) {
		/* Written into the truth JSON by printf: a plain identifier only. */
		size_t n = strspn(value, "abcdefghijklmnopqrstuvwxyz0123456789_-");
		if (!*value || value[n] || n >= sizeof pm->family) {
			hb_err("%s: family '%s' is not a family name (a-z, 0-9, _ and -, at most %zu)",
			       c->path, value, sizeof pm->family - 1);
			c->bad = 1;
			return 0;
		}
		snprintf(pm->family, sizeof pm->family, "%s", value);
		return 1;
	}
	if (strcmp(section, "monitor") == 0 && strcmp(name, "ina219_addr") == 0) {
		unsigned long a = strtoul(value, &end, 0);
		if (*end || a > 0x7F) {
			hb_err("%s: ina219_addr '%s' is not a 7-bit address", c->path, value);
			c->bad = 1;
			return 0;
		}
		pm->ina_addr = (unsigned)a;
		return 1;
	}
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (strcmp(section, keys[i].section) == 0 && strcmp(name, keys[i].key) == 0) {
			double v = strtod(value, &end);
			if (end == value || *end || !isfinite(v) || v < 0) {
				hb_err("%s: [%s] %s = '%s' is not a non-negative number", c->path,
				       section, name, value);
				c->bad = 1;
				return 0;
			}
			*(double *)((char *)pm + keys[i].off) = v * keys[i].scale;
			return 1;
		}
	}
	hb_err("%s: unknown key [%s] %s", c->path, section, name);
	c->bad = 1;
	return 0;
}

enum hb_status hb_vb_power_load(const char *path, struct hb_vb_power_model *pm)
{
	struct load_ctx c = {.pm = pm, .path = path};
	hb_vb_power_defaults(pm);
	int rc = ini_parse(path, on_kv, &c);
	if (rc == -1) {
		hb_err("%s: cannot open", path);
		return HB_ERR_NOTFOUND;
	}
	if (rc != 0 || c.bad) {
		if (!c.bad)
			hb_err("%s: syntax error on line %d", path, rc);
		return HB_ERR_FORMAT;
	}
	if (pm->rail_v <= 0 || pm->core_supply_v <= 0 || pm->r_shunt_ohm <= 0) {
		hb_err("%s: rail_v, core_supply_v and r_shunt_ohm must be > 0", path);
		return HB_ERR_FORMAT;
	}
	if (pm->leak_per_c > 0 && !(pm->thermal_tau_s > 0)) {
		hb_err("%s: leak_per_c needs thermal_tau_s > 0", path);
		return HB_ERR_FORMAT;
	}
	return HB_OK;
}

long double hb_vb_core_energy_j(const struct hb_vb_power_model *pm, double clock_hz,
				const struct hb_vb_sums *s)
{
	long double e = (long double)s->cycles * ((long double)pm->static_w / clock_hz + pm->e_clk_j);
	e += (long double)s->syn * pm->e_syn_j + (long double)s->ops * pm->e_op_j;
	e += (long double)s->wmem * pm->e_wmem_j + (long double)s->imem * pm->e_imem_j;
	e += (long double)s->lif * pm->e_lif_j + (long double)s->uart * pm->e_uart_j;
	return e;
}

long double hb_vb_rail_energy_j(const struct hb_vb_power_model *pm, double clock_hz,
				const struct hb_vb_sums *s)
{
	long double t = (long double)s->cycles / clock_hz;
	return (long double)pm->rail_v *
	       ((long double)pm->board_a * t +
		hb_vb_core_energy_j(pm, clock_hz, s) / (long double)pm->core_supply_v);
}

/* Warm-up leakage. The die warms while the engine computes: with B busy cycles since
 * power-up, ΔT(B) = ΔT_ss · (1 − e^(−B/(τ f))), ΔT_ss = θ · P_idle_rail(f), and the logic's
 * leakage rises by static_w · leak_per_c · ΔT during busy cycles. The temperature is a
 * function of the work done (the cumulative busy count), not of wall or simulated time, so
 * every energy stays a difference of cumulative sums and does not depend on how the host
 * paces the board. Its integral over busy cycles 0..B is
 * static_w · leak_per_c · ΔT_ss · (t − τ (1 − e^(−t/τ))), t = B / f. */
static long double leak_integral_j(const struct hb_vb_power_model *pm, double clock_hz, uint64_t busy)
{
	if (!(pm->leak_per_c > 0) || !(pm->thermal_tau_s > 0) || !(clock_hz > 0))
		return 0;
	long double t = (long double)busy / clock_hz, tau = pm->thermal_tau_s;
	long double dt_ss = (long double)pm->theta_c_per_w * hb_vb_idle_power_w(pm, clock_hz);
	/* t − τ (1 − e^(−t/τ)) = t + τ·expm1(−t/τ), without cancellation for small t */
	long double x = t / tau, g;
	if (x < 1e-3L)
		g = tau * (x * x / 2 - x * x * x / 6 + x * x * x * x / 24);
	else
		g = t + tau * expm1l(-x);
	return (long double)pm->static_w * pm->leak_per_c * dt_ss * g;
}

long double hb_vb_leak_extra_j(const struct hb_vb_power_model *pm, double clock_hz, uint64_t b0,
			       uint64_t b1)
{
	if (b1 <= b0)
		return 0;
	return leak_integral_j(pm, clock_hz, b1) - leak_integral_j(pm, clock_hz, b0);
}

double hb_vb_temp_rise_c(const struct hb_vb_power_model *pm, double clock_hz, uint64_t busy)
{
	if (!(pm->thermal_tau_s > 0) || !(clock_hz > 0))
		return 0;
	double t = (double)busy / clock_hz;
	return pm->theta_c_per_w * hb_vb_idle_power_w(pm, clock_hz) * -expm1(-t / pm->thermal_tau_s);
}

static void sums_diff(const struct hb_vb_sums *a, const struct hb_vb_sums *b, struct hb_vb_sums *d)
{
	d->cycles = b->cycles - a->cycles;
	d->syn = b->syn - a->syn;
	d->ops = b->ops - a->ops;
	d->wmem = b->wmem - a->wmem;
	d->imem = b->imem - a->imem;
	d->lif = b->lif - a->lif;
	d->uart = b->uart - a->uart;
	d->busy = b->busy - a->busy;
	d->done = b->done - a->done;
}

long double hb_vb_core_energy_between_j(const struct hb_vb_power_model *pm, double clock_hz,
					const struct hb_vb_sums *a, const struct hb_vb_sums *b)
{
	struct hb_vb_sums d;
	sums_diff(a, b, &d);
	return hb_vb_core_energy_j(pm, clock_hz, &d) + hb_vb_leak_extra_j(pm, clock_hz, a->busy, b->busy);
}

long double hb_vb_rail_energy_between_j(const struct hb_vb_power_model *pm, double clock_hz,
					const struct hb_vb_sums *a, const struct hb_vb_sums *b)
{
	struct hb_vb_sums d;
	sums_diff(a, b, &d);
	return hb_vb_rail_energy_j(pm, clock_hz, &d) +
	       (long double)pm->rail_v * hb_vb_leak_extra_j(pm, clock_hz, a->busy, b->busy) /
		       (long double)pm->core_supply_v;
}

double hb_vb_charge_c(const struct hb_vb_power_model *pm, double clock_hz,
		      const struct hb_vb_sums *s)
{
	struct hb_vb_sums zero = {0};
	return (double)(hb_vb_rail_energy_between_j(pm, clock_hz, &zero, s) / pm->rail_v);
}

double hb_vb_idle_power_w(const struct hb_vb_power_model *pm, double clock_hz)
{
	double p_core = pm->static_w + pm->e_clk_j * clock_hz;
	return pm->rail_v * (pm->board_a + p_core / pm->core_supply_v);
}

enum hb_status hb_vb_truth_init(struct hb_vb_truth *t, const struct hb_vb_power_model *pm,
				double clock_hz)
{
	memset(t, 0, sizeof *t);
	t->pm = pm;
	t->clock_hz = clock_hz;
	struct hb_vb_sums zero = {0};
	return hb_vb_truth_mark(t, &zero, 1, 0);
}

void hb_vb_truth_free(struct hb_vb_truth *t)
{
	free(t->ck);
	free(t->win);
	memset(t, 0, sizeof *t);
}

enum hb_status hb_vb_truth_mark(struct hb_vb_truth *t, const struct hb_vb_sums *s, int uniform,
				uint64_t word)
{
	if (t->n > 0 && t->ck[t->n - 1].s.cycles == s->cycles)
		return HB_OK; /* already marked at this boundary */
	if (t->n >= 2 && uniform && t->ck[t->n - 1].uniform && t->ck[t->n - 1].word == word) {
		t->ck[t->n - 1].s = *s; /* extend the uniform run: interpolation stays exact */
		return HB_OK;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 1024;
		struct hb_vb_ckpt *ck = realloc(t->ck, cap * sizeof *ck);
		if (!ck)
			return HB_ERR_NOMEM;
		t->ck = ck;
		t->cap = cap;
	}
	t->ck[t->n++] = (struct hb_vb_ckpt){.s = *s, .word = word, .uniform = uniform};
	return HB_OK;
}

void hb_vb_truth_pin_before(struct hb_vb_truth *t, const struct hb_vb_sums *s, unsigned k)
{
	struct hb_vb_sums at[8];
	uint64_t c = s->cycles;

	if (!t->hist || k == 0 || k > 8 || c < k)
		return;
	/* at[j] = sums at boundary c - 1 - j */
	struct hb_vb_sums cur = *s;
	for (unsigned j = 0; j < k; j++) {
		uint64_t w = t->hist[(c - 1 - j) & t->hist_mask];
		cur.cycles--;
		cur.syn -= w & 0xFFFF;
		cur.ops -= (w >> 16) & 0xFFFF;
		cur.wmem -= (w >> 32) & 1;
		cur.imem -= (w >> 33) & 1;
		cur.lif -= (w >> 34) & 1;
		cur.uart -= (w >> 35) & 1;
		cur.busy -= (w >> 36) & 1;
		cur.done -= (w >> 37) & 1;
		at[j] = cur;
	}
	for (unsigned j = k; j-- > 0;) {
		if (at[j].cycles <= t->ck[t->n - 1].s.cycles)
			continue;
		/* uniform=0: these pins are exact points, never merged away */
		hb_vb_truth_mark(t, &at[j], 0, 0);
	}
}

void hb_vb_truth_busy_edge(struct hb_vb_truth *t, uint64_t cycle, int rising)
{
	if (rising) {
		t->busy_start = cycle;
		t->in_busy = 1;
		return;
	}
	if (!t->in_busy)
		return;
	t->in_busy = 0;
	if (t->n_win == t->cap_win) {
		size_t cap = t->cap_win ? t->cap_win * 2 : 256;
		struct hb_vb_window *w = realloc(t->win, cap * sizeof *w);
		if (!w)
			return;
		t->win = w;
		t->cap_win = cap;
	}
	t->win[t->n_win++] = (struct hb_vb_window){t->busy_start, cycle};
}

/* Sums at boundary c by the interpolation rule; *exact set when the result is exact. */
static void sums_at(const struct hb_vb_truth *t, uint64_t c, const struct hb_vb_sums *live,
		    int live_uniform, struct hb_vb_sums *out, int *exact)
{
	const struct hb_vb_ckpt *a, *b;
	struct hb_vb_ckpt lv = {.s = *live, .uniform = live_uniform};
	size_t lo = 0, hi = t->n; /* find the last checkpoint with cycles <= c */

	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (t->ck[mid].s.cycles <= c)
			lo = mid;
		else
			hi = mid;
	}
	a = &t->ck[lo];
	b = lo + 1 < t->n ? &t->ck[lo + 1] : &lv;
	if (a->s.cycles == c || b->s.cycles <= a->s.cycles) {
		*out = a->s;
		return;
	}
	if (b->s.cycles == c) {
		*out = b->s;
		return;
	}
	if (!b->uniform && t->hist && live->cycles - a->s.cycles <= t->hist_mask + 1) {
		/* Inside the history window: sum the cycles exactly. */
		*out = a->s;
		for (uint64_t k = a->s.cycles; k < c; k++)
			hb_vb_word_add(out, t->hist[k & t->hist_mask]);
		return;
	}
	/* Linear interpolation of every sum inside the segment (a, b]. */
	long double f = (long double)(c - a->s.cycles) / (long double)(b->s.cycles - a->s.cycles);
#define LERP(x) out->x = a->s.x + (uint64_t)((long double)(b->s.x - a->s.x) * f + 0.5L)
	LERP(syn);
	LERP(ops);
	LERP(wmem);
	LERP(imem);
	LERP(lif);
	LERP(uart);
	LERP(busy);
	LERP(done);
#undef LERP
	out->cycles = c;
	if (!b->uniform)
		*exact = 0;
}

enum hb_status hb_vb_truth_query(const struct hb_vb_truth *t, uint64_t c0, uint64_t c1,
				 const struct hb_vb_sums *live, int live_uniform,
				 struct hb_vb_truth_result *out)
{
	struct hb_vb_sums s0, s1, d;
	int exact = 1;

	if (c0 >= c1 || c1 > live->cycles)
		return HB_ERR_RANGE;
	sums_at(t, c0, live, live_uniform, &s0, &exact);
	sums_at(t, c1, live, live_uniform, &s1, &exact);
	sums_diff(&s0, &s1, &d);
	out->cycles = d.cycles;
	out->busy_cycles = d.busy;
	out->done = d.done;
	out->energy_j = (double)hb_vb_rail_energy_between_j(t->pm, t->clock_hz, &s0, &s1);
	out->core_energy_j = (double)hb_vb_core_energy_between_j(t->pm, t->clock_hz, &s0, &s1);
	out->avg_power_w = out->energy_j / ((double)d.cycles / t->clock_hz);
	out->idle_power_w = hb_vb_idle_power_w(t->pm, t->clock_hz); /* warm-up leaks only while busy */
	out->exact = exact;
	return HB_OK;
}

enum hb_status hb_vb_truth_write_json(const struct hb_vb_truth *t, const struct hb_vb_sums *live,
				      int live_uniform, FILE *f)
{
	const struct hb_vb_power_model *pm = t->pm;
	struct hb_vb_truth_result all = {0};

	if (live->cycles > 0)
		hb_vb_truth_query(t, 0, live->cycles, live, live_uniform, &all);
	fprintf(f, "{\n  \"clock_hz\": %.0f,\n  \"cycles\": %llu,\n  \"busy_cycles\": %llu,\n"
		"  \"done\": %llu,\n", t->clock_hz, (unsigned long long)live->cycles,
		(unsigned long long)live->busy, (unsigned long long)live->done);
	fprintf(f, "  \"energy_nj\": %.6f,\n  \"core_energy_nj\": %.6f,\n", all.energy_j * 1e9,
		all.core_energy_j * 1e9);
	fprintf(f, "  \"avg_power_mw\": %.9f,\n  \"idle_power_mw\": %.9f,\n", all.avg_power_w * 1e3,
		hb_vb_idle_power_w(pm, t->clock_hz) * 1e3);
	fprintf(f,
		"  \"model\": {\"family\": \"%s\", \"rail_v\": %g, \"board_ma\": %g, "
		"\"core_supply_v\": %g, \"static_mw\": %g, \"e_clk_pj\": %g, \"e_syn_pj\": %g, "
		"\"e_op_pj\": %g, \"e_wmem_pj\": %g, \"e_imem_pj\": %g, \"e_lif_pj\": %g, "
		"\"e_uart_pj\": %g, \"r_shunt_ohm\": %g, \"theta_c_per_w\": %g, \"thermal_tau_s\": %g, "
		"\"leak_per_c\": %g},\n",
		pm->family, pm->rail_v, pm->board_a * 1e3, pm->core_supply_v, pm->static_w * 1e3,
		pm->e_clk_j * 1e12, pm->e_syn_j * 1e12, pm->e_op_j * 1e12, pm->e_wmem_j * 1e12,
		pm->e_imem_j * 1e12, pm->e_lif_j * 1e12, pm->e_uart_j * 1e12, pm->r_shunt_ohm,
		pm->theta_c_per_w, pm->thermal_tau_s, pm->leak_per_c);
	fprintf(f, "  \"temp_rise_c\": %.6f,\n", hb_vb_temp_rise_c(pm, t->clock_hz, live->busy));
	fprintf(f, "  \"busy_windows\": [");
	for (size_t i = 0; i < t->n_win; i++) {
		struct hb_vb_truth_result r = {0};
		hb_vb_truth_query(t, t->win[i].c0, t->win[i].c1, live, live_uniform, &r);
		fprintf(f, "%s\n    {\"c0\": %llu, \"c1\": %llu, \"energy_nj\": %.6f, \"exact\": %d}",
			i ? "," : "", (unsigned long long)t->win[i].c0,
			(unsigned long long)t->win[i].c1, r.energy_j * 1e9, r.exact);
	}
	fprintf(f, "%s]\n}\n", t->n_win ? "\n  " : "");
	return ferror(f) ? HB_ERR_IO : HB_OK;
}
