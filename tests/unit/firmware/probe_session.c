/* Test helper (see probe_session.h). */
#include "probe_session.h"

#include <criterion/criterion.h>
#include <stdlib.h>

static void on_record(void *ctx, const struct hb_probe_record *r)
{
	struct probe_session *s = ctx;
	if (s->n_rec == s->cap_rec) {
		s->cap_rec = s->cap_rec ? 2 * s->cap_rec : 4096;
		s->rec = realloc(s->rec, s->cap_rec * sizeof *s->rec);
		cr_assert(s->rec);
	}
	s->rec[s->n_rec++] = *r;
}

void ps_open(struct probe_session *s, const struct hbp_host_params *hp)
{
	memset(s, 0, sizeof *s);
	s->f = fake_probe_link_new(hp);
	cr_assert(s->f);
	struct hb_probe_opts o;
	hb_probe_opts_default(&o);
	o.clock = &s->f->clock;
	enum hb_status st = hb_probe_open(&s->f->transport, &o, &s->p);
	cr_assert_eq(st, HB_OK, "hb_probe_open: %s", hb_strerror(st));
	hb_probe_set_record_fn(s->p, on_record, s);
}

void ps_close(struct probe_session *s)
{
	hb_probe_close(s->p);
	fake_probe_link_free(s->f);
	free(s->rec);
	memset(s, 0, sizeof *s);
}

uint8_t ps_monitor(struct probe_session *s, unsigned idx, uint8_t addr, uint16_t cfg,
		   uint16_t bus_every)
{
	struct hb_probe_monitor m = {.index = (uint8_t)idx, .addr = addr, .config = cfg,
				     .shunt_uohm = 100000, .bus_every = bus_every};
	struct hb_probe_config_result r;
	enum hb_status st = hb_probe_configure(s->p, &m, &r);
	cr_assert_eq(st, HB_OK, "configure: %s (%s)", hb_strerror(st), hb_probe_last_error(s->p));
	cr_assert_eq(r.index, idx);
	return r.result;
}

uint64_t ps_now(const struct probe_session *s)
{
	return hbp_host_now_ns(s->f->sim->host);
}

void ps_run(struct probe_session *s, uint64_t ns)
{
	uint64_t end = ps_now(s) + ns;
	while (ps_now(s) < end) {
		uint64_t left_ms = (end - ps_now(s) + 999999) / 1000000;
		enum hb_status st = hb_probe_poll(s->p, (int)(left_ms ? left_ms : 1));
		cr_assert_eq(st, HB_OK, "poll: %s (%s)", hb_strerror(st), hb_probe_last_error(s->p));
	}
}

size_t ps_count(const struct probe_session *s, unsigned kind, int index)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n_rec; i++)
		if (s->rec[i].kind == kind && (index < 0 || s->rec[i].index == index))
			n++;
	return n;
}
