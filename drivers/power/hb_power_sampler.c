/* hilbench — paced INA2xx sampling (see hb_power_sampler.h). */
#include "hb_power_sampler.h"

#include <string.h>

#define LOG_PREFIX "sampler"
#include "hb_log.h"

static uint64_t now(struct hb_power_sampler *s)
{
	return s->clock->now_ns(s->clock);
}

void hb_power_sampler_init(struct hb_power_sampler *s, struct hb_ina2xx *dev,
			   struct hb_clock *clock)
{
	memset(s, 0, sizeof *s);
	s->dev = dev;
	s->clock = clock ? clock : hb_clock_default();
	s->period_ns = dev->conv_ns ? dev->conv_ns : 1000000;
	s->stall_periods = 4;
}

uint64_t hb_power_sampler_due_ns(const struct hb_power_sampler *s)
{
	return s->due_ns;
}

static uint64_t poll_step(const struct hb_power_sampler *s)
{
	return s->period_ns / 8 ? s->period_ns / 8 : 1;
}

/* A conversion read at request time t: fill out, update the statistics. */
static void take(struct hb_power_sampler *s, uint64_t t, const struct hb_ina2xx_reading *r,
		 struct hb_power_sample *out)
{
	memset(out, 0, sizeof *out);
	out->t_ns = t;
	out->bus_mV = r->bus_mV;
	out->shunt_uV = r->shunt_uV;
	out->current_uA = r->current_uA;
	out->power_uW = r->power_uW;
	out->power_mW = r->power_mW;
	out->shunt_raw = r->shunt_raw;
	out->bus_raw = r->bus_raw;
	out->power_raw = r->power_raw;
	if (r->saturated)
		out->flags |= HB_POWER_SAMPLE_SATURATED;
	if (r->ovf)
		out->flags |= HB_POWER_SAMPLE_OVF;
	if (out->flags)
		s->saturated++;
	if (s->last_t_ns && t - s->last_t_ns > s->period_ns + s->period_ns / 2) {
		uint64_t missed = (t - s->last_t_ns + s->period_ns / 2) / s->period_ns - 1;
		s->gaps++;
		s->dropped += missed ? missed : 1;
		out->flags |= HB_POWER_SAMPLE_AFTER_GAP;
	}
	s->last_t_ns = t;
	s->silent_since_ns = 0;
	s->samples++;
}

/* A read asked for at t found no conversion. Silence long enough, by request times, is a
 * stopped monitor, unless the chip merely reset. */
static enum hb_status silent(struct hb_power_sampler *s, uint64_t t)
{
	s->polls++;
	if (!s->silent_since_ns) {
		s->silent_since_ns = t;
		return HB_OK;
	}
	if (t - s->silent_since_ns < (uint64_t)s->stall_periods * s->period_ns)
		return HB_OK;
	int reset = 0;
	enum hb_status st = hb_ina2xx_check_alive(s->dev, &reset);
	if (st != HB_OK)
		return st;
	if (reset) {
		s->resets++;
		s->silent_since_ns = 0;
		s->locked = 0;
		return HB_OK;
	}
	hb_err("%s@0x%02x: reads asked for over %llu µs found no conversion and CAL is intact: "
	       "stopped converting", s->dev->chip->name, s->dev->addr,
	       (unsigned long long)((t - s->silent_since_ns) / 1000));
	return HB_ERR_TIMEOUT;
}

enum hb_status hb_power_sampler_poll(struct hb_power_sampler *s, struct hb_power_sample *out,
				     int *got)
{
	*got = 0;
	uint64_t t = now(s); /* the request time */
	if (t < s->due_ns)
		return HB_OK;
	enum hb_status st;
	int hunted = !s->locked;
	if (!s->locked) {
		/* hunting: a short CNVR poll, which clears nothing */
		int ready = 0;
		st = hb_ina2xx_ready(s->dev, &ready);
		if (st != HB_OK)
			return st;
		if (!ready) {
			s->due_ns = t + poll_step(s);
			return silent(s, t);
		}
		s->locked = 1; /* seen at t: read it whole now, the next one a period later */
	}
	struct hb_ina2xx_reading r;
	enum hb_ina2xx_fresh fresh;
	st = hb_ina2xx_sample(s->dev, &r, &fresh);
	if (st != HB_OK && !(st == HB_ERR_RANGE && fresh == HB_INA2XX_NEW))
		return st;
	switch (fresh) {
	case HB_INA2XX_NEW:
		take(s, t, &r, out);
		*got = 1;
		/* the schedule: a read found on time keeps it (the host's lateness must not add
		 * up from sample to sample); after a hunt, or far off it, the request sets it */
		if (hunted || t > s->anchor_ns + s->period_ns + s->period_ns / 2)
			s->anchor_ns = t;
		else
			s->anchor_ns += s->period_ns;
		if (!r.cnvr) /* it completed during this very read: step back from that edge */
			s->anchor_ns += poll_step(s);
		s->due_ns = s->anchor_ns + s->period_ns;
		return st;
	case HB_INA2XX_TORN: /* the conversion that tore it is flagged: read it at once */
		s->torn++;
		s->silent_since_ns = 0;
		s->due_ns = 0;
		return HB_OK;
	case HB_INA2XX_RESET: /* re-initialised: its conversions start over */
		s->resets++;
		s->silent_since_ns = 0;
		s->locked = 0;
		s->due_ns = t + poll_step(s);
		return HB_OK;
	case HB_INA2XX_NONE:
	default: /* early: back to short polls */
		s->locked = 0;
		s->due_ns = t + poll_step(s);
		return silent(s, t);
	}
}

enum hb_status hb_power_sampler_next(struct hb_power_sampler *s, struct hb_power_sample *out)
{
	for (;;) {
		uint64_t t = now(s), due = hb_power_sampler_due_ns(s);
		if (t < due)
			s->clock->sleep_ns(s->clock, due - t);
		int got;
		enum hb_status st = hb_power_sampler_poll(s, out, &got);
		if (st != HB_OK && !(st == HB_ERR_RANGE && got))
			return st;
		if (got)
			return st;
	}
}

enum hb_status hb_power_sampler_run(struct hb_power_sampler *s, uint64_t duration_ns,
				    hb_power_sample_fn fn, void *ctx)
{
	uint64_t end = now(s) + duration_ns;
	enum hb_status st;
	for (;;) {
		struct hb_power_sample smp;
		st = hb_power_sampler_next(s, &smp);
		if (st != HB_OK && st != HB_ERR_RANGE)
			break;
		st = HB_OK;
		if (fn && fn(ctx, &smp))
			break;
		if (duration_ns && smp.t_ns >= end)
			break;
	}
	hb_ina2xx_range_summary(s->dev); /* a saturated run still going: one line, its count */
	return st;
}
