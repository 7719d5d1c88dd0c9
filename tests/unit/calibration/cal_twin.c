#include "cal_twin.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cal_twin_init(struct cal_twin *tw, const char *family, double noise_uA, uint64_t seed)
{
	memset(tw, 0, sizeof *tw);
	const char *src = getenv("HB_SOURCE_DIR");
	char path[1024];
	snprintf(path, sizeof path, "%s/gateware/vboard/power-%s.ini", src ? src : ".", family);
	if (hb_vb_power_load(path, &tw->pm) != HB_OK)
		return -1;
	tw->noise_uA = noise_uA;
	tw->conv_s = 2.66e-3;
	tw->rng = seed * 0x9E3779B97F4A7C15ull + 1;
	return 0;
}

static double gauss(uint64_t *s)
{
	double u[2];
	for (int k = 0; k < 2; k++) {
		*s ^= *s << 13;
		*s ^= *s >> 7;
		*s ^= *s << 17;
		u[k] = ((*s >> 11) + 0.5) / 9007199254740992.0;
	}
	return sqrt(-2 * log(u[0])) * cos(2 * M_PI * u[1]);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

void cal_twin_point(struct cal_twin *tw, const char *net, unsigned L, double clock_hz,
		    const struct hb_activity *a, unsigned windows, double window_s, double start_s,
		    double gap_s, struct hb_cal_obs *o)
{
	memset(o, 0, sizeof *o);
	snprintf(o->net, sizeof o->net, "%s", net);
	o->L = L;
	o->clock_hz = clock_hz;
	o->form = HB_CAL_ENERGY;
	const uint64_t per = a->cycles + HB_ACTIVITY_BATCH_GAP;
	uint64_t n = (uint64_t)(window_s * clock_hz / (double)per);
	if (n < 1)
		n = 1;
	const uint64_t wc = n * a->cycles + (n - 1) * HB_ACTIVITY_BATCH_GAP;
	double e[64], p[64];
	uint64_t c0 = (uint64_t)(start_s * clock_hz);
	for (unsigned w = 0; w < windows && w < 64; w++) {
		struct hb_vb_sums s0 = {.cycles = c0, .busy = tw->busy},
				  s1 = {.cycles = c0 + wc, .syn = n * a->syn, .ops = n * a->ops, .wmem = n * a->wmem,
					.imem = n * a->imem, .lif = n * a->lif, .busy = tw->busy + n * a->cycles};
		tw->busy += n * a->cycles;
		double ej = (double)hb_vb_rail_energy_between_j(&tw->pm, clock_hz, &s0, &s1);
		double t = (double)wc / clock_hz;
		double conv = t / tw->conv_s;
		double sigma_w = tw->pm.rail_v * tw->noise_uA * 1e-6 / sqrt(conv > 1 ? conv : 1);
		double pw = ej / t + sigma_w * gauss(&tw->rng);
		p[w] = pw * 1e3;
		e[w] = pw * t / (double)n * 1e9;
		c0 += wc + (uint64_t)(gap_s * clock_hz);
	}
	double es[64], ps[64], me = 0, mp = 0;
	memcpy(es, e, windows * sizeof *e);
	memcpy(ps, p, windows * sizeof *p);
	qsort(es, windows, sizeof *es, cmp);
	qsort(ps, windows, sizeof *ps, cmp);
	for (unsigned w = 0; w < windows; w++) {
		me += e[w] / windows;
		mp += p[w] / windows;
	}
	double ve = 0, vp = 0;
	for (unsigned w = 0; w < windows; w++) {
		ve += (e[w] - me) * (e[w] - me);
		vp += (p[w] - mp) * (p[w] - mp);
	}
	o->energy_nj = windows % 2 ? es[windows / 2] : (es[windows / 2 - 1] + es[windows / 2]) / 2;
	o->power_mw = windows % 2 ? ps[windows / 2] : (ps[windows / 2 - 1] + ps[windows / 2]) / 2;
	o->energy_se_nj = windows > 1 ? sqrt(ve / (windows - 1) / windows) : 0;
	o->power_se_mw = windows > 1 ? sqrt(vp / (windows - 1) / windows) : 0;
	o->x.cycles = (double)wc / (double)n;
	o->x.t_s = o->x.cycles / clock_hz;
	o->x.syn = (double)a->syn;
	o->x.ops = (double)a->ops;
	o->x.wmem = (double)a->wmem;
	o->x.imem = (double)a->imem;
	o->x.lif = (double)a->lif;
	o->have = HB_CAL_ALL_TERMS;
	o->latency_cycles = (double)a->cycles;
	o->predicted_cycles = (double)a->cycles;
	o->analytic_nj = NAN;
	/* the bench's dynamic energy: minus the idle power measured (noise-free here) just before */
	struct hb_vb_sums i0 = {.cycles = (uint64_t)(start_s * clock_hz) - (uint64_t)clock_hz},
			  i1 = {.cycles = (uint64_t)(start_s * clock_hz)};
	double p_idle = (double)hb_vb_rail_energy_between_j(&tw->pm, clock_hz, &i0, &i1);
	o->energy_dyn_nj = o->energy_nj - p_idle * o->x.t_s * 1e9;
}

void cal_twin_idle(struct cal_twin *tw, const char *net, unsigned L, double clock_hz, double end_s,
		   double seconds, struct hb_cal_obs *o)
{
	memset(o, 0, sizeof *o);
	snprintf(o->net, sizeof o->net, "%s", net);
	o->L = L;
	o->clock_hz = clock_hz;
	o->form = HB_CAL_POWER;
	o->idle = true;
	struct hb_vb_sums s0 = {.cycles = (uint64_t)((end_s - seconds) * clock_hz)},
			  s1 = {.cycles = (uint64_t)(end_s * clock_hz)};
	double t = (double)(s1.cycles - s0.cycles) / clock_hz;
	double conv = t / tw->conv_s;
	double sigma_w = tw->pm.rail_v * tw->noise_uA * 1e-6 / sqrt(conv > 1 ? conv : 1);
	o->power_mw = ((double)hb_vb_rail_energy_between_j(&tw->pm, clock_hz, &s0, &s1) / t + sigma_w * gauss(&tw->rng)) * 1e3;
	o->power_se_mw = sigma_w * 1e3;
	o->x.t_s = 1;
	o->x.cycles = clock_hz;
	o->have = HB_CAL_ALL_TERMS;
	o->latency_cycles = o->predicted_cycles = o->analytic_nj = o->energy_dyn_nj = NAN;
}

int cal_twin_activity(const struct hb_net *net, unsigned lanes, uint32_t seed, double scale,
		      struct hb_activity *a)
{
	unsigned n_in = net->layers[0].n_in;
	uint16_t *v = malloc(n_in * sizeof *v);
	uint8_t *bits = malloc(hb_model_input_bytes(net));
	uint32_t x = seed * 2654435761u + 1;
	for (unsigned i = 0; i < n_in; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		v[i] = (uint16_t)((x >> 8 & 0xFFFF) * scale);
	}
	int rc = -1;
	if (v && bits && hb_model_encode(net, v, bits) == HB_OK && hb_activity_infer(net, lanes, bits, a, NULL) == HB_OK)
		rc = 0;
	free(v);
	free(bits);
	return rc;
}
