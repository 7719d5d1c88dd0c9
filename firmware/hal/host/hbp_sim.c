/* hilbench bench probe — simulated bench (see hbp_sim.h). */
#include "hbp_sim.h"

#include <stdlib.h>
#include <string.h>

uint64_t hbp_sim_busy_ns(const struct hbp_sim *s, uint64_t t)
{
	if (!s->w_period || t <= s->w_t0)
		return 0;
	uint64_t d = t - s->w_t0, k = d / s->w_period, rem = d % s->w_period;
	return k * s->w_busy + (rem < s->w_busy ? rem : s->w_busy);
}

double hbp_sim_charge(const struct hbp_sim *s, unsigned d, uint64_t t)
{
	const struct hbp_sim_dev *v = &s->dev[d];
	return v->idle_a * (double)t * 1e-9 + v->busy_a * (double)hbp_sim_busy_ns(s, t) * 1e-9;
}

/* The first BUSY edge after t (UINT64_MAX if none). */
static uint64_t next_change(const struct hbp_sim *s, uint64_t t)
{
	if (!s->w_period)
		return UINT64_MAX;
	if (t < s->w_t0)
		return s->w_t0;
	uint64_t rise = s->w_t0 + (t - s->w_t0) / s->w_period * s->w_period;
	return t < rise + s->w_busy ? rise + s->w_busy : rise + s->w_period;
}

/* Advance model d to t through every BUSY edge on the way: between two calls the model
 * interpolates the charge linearly, which is exact only while the current is constant. */
static void model_to(struct hbp_sim *s, unsigned d, uint64_t t)
{
	struct hbp_sim_dev *v = &s->dev[d];
	while (v->t_ns < t) {
		uint64_t e = next_change(s, v->t_ns);
		uint64_t step = e < t ? e : t;
		hb_ina219m_advance(&v->m, (double)step * 1e-9, hbp_sim_charge(s, d, step));
		v->t_ns = step;
	}
}

static void advance_models(struct hbp_sim *s, uint64_t t)
{
	for (unsigned d = 0; d < s->n_dev; d++)
		model_to(s, d, t);
}

static uint8_t bus_xfer(void *ctx, uint64_t t, uint8_t addr, const uint8_t *w, size_t wn,
			uint8_t *r, size_t rn)
{
	struct hbp_sim *s = ctx;
	s->xfers++;
	for (unsigned d = 0; d < s->n_dev; d++) {
		if (s->dev[d].addr != addr)
			continue;
		model_to(s, d, t);
		return hb_ina219m_xfer(&s->dev[d].m, w, wn, r, rn) == HB_INA219M_ACK
			       ? HBP_I2C_OK
			       : HBP_I2C_NACK_DATA;
	}
	s->nacks++;
	return HBP_I2C_NACK_ADDR;
}

struct hbp_sim *hbp_sim_new(const struct hbp_host_params *params)
{
	struct hbp_sim *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	struct hbp_host_params p = {.watchdog_us = 500000};
	if (params)
		p = *params;
	p.xfer = bus_xfer;
	p.xfer_ctx = s;
	s->host = hbp_host_new(&p);
	if (!s->host) {
		free(s);
		return NULL;
	}
	return s;
}

void hbp_sim_free(struct hbp_sim *s)
{
	if (!s)
		return;
	hbp_host_free(s->host);
	free(s);
}

int hbp_sim_add_ina219(struct hbp_sim *s, uint8_t addr, double r_shunt_ohm, double bus_v,
		       double idle_a, double busy_a)
{
	if (s->n_dev >= HBP_SIM_MAX_DEV)
		return -1;
	struct hbp_sim_dev *v = &s->dev[s->n_dev];
	memset(v, 0, sizeof *v);
	v->addr = addr;
	v->idle_a = idle_a;
	v->busy_a = busy_a;
	struct hb_ina219m_params mp = {.r_shunt_ohm = r_shunt_ohm, .bus_v = bus_v};
	uint64_t now = hbp_host_now_ns(s->host);
	s->n_dev++;
	v->t_ns = now;
	hb_ina219m_init(&v->m, &mp, (double)now * 1e-9, hbp_sim_charge(s, s->n_dev - 1, now));
	return (int)s->n_dev - 1;
}

void hbp_sim_workload(struct hbp_sim *s, uint64_t t0, uint64_t period, uint64_t busy)
{
	s->w_t0 = t0;
	s->w_period = period;
	s->w_busy = busy < period ? busy : period / 2;
	s->w_done = 40; /* one FPGA clock at 25 MHz */
	s->w_next_k = 0;
}

/* Announce (to the host HAL) the edges of inferences that start before t. */
static void announce(struct hbp_sim *s, uint64_t t)
{
	if (!s->w_period)
		return;
	for (;;) {
		uint64_t rise = s->w_t0 + s->w_next_k * s->w_period;
		if (rise > t)
			return;
		uint64_t fall = rise + s->w_busy;
		hbp_host_edge(s->host, HBP_CAP_BUSY_RISE, rise);
		hbp_host_edge(s->host, HBP_CAP_BUSY_FALL, fall);
		hbp_host_edge(s->host, HBP_CAP_DONE_RISE, fall);
		hbp_host_edge(s->host, HBP_CAP_DONE_FALL, fall + s->w_done);
		for (unsigned c = 0; c < HBP_N_CAPTURE; c++)
			s->edges_sent[c]++;
		s->w_next_k++;
	}
}

void hbp_sim_advance(struct hbp_sim *s, uint64_t t)
{
	/* Announce edges a little ahead (in chunks), so the host's edge queue never fills. */
	for (;;) {
		uint64_t now = hbp_host_now_ns(s->host), next = t;
		if (s->w_period && next - now > 256 * s->w_period)
			next = now + 256 * s->w_period;
		announce(s, next);
		hbp_host_advance(s->host, next);
		if (next >= t)
			break;
	}
	advance_models(s, t);
}
