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
	/* Start polling half a period after the last sample. We saw CNVR some time after the
	 * conversion ended (poll step + bus round trip); waiting a whole period from that late
	 * time would add the lateness up from sample to sample until a conversion is
	 * overwritten unread. Half a period leaves room for that lateness and for the chip's
	 * clock running a few percent fast. */
	return s->last_t_ns ? s->last_t_ns + s->period_ns / 2 : 0;
}

/* Read the registers after CNVR was seen at time t; fill out, update the statistics. */
static enum hb_status take(struct hb_power_sampler *s, uint64_t t, uint16_t bus_raw,
			   struct hb_power_sample *out)
{
	struct hb_ina2xx_reading r;
	enum hb_status st = hb_ina2xx_read_after_bus(s->dev, bus_raw, &r);
	if (st != HB_OK && st != HB_ERR_RANGE)
		return st;
	memset(out, 0, sizeof *out);
	out->t_ns = t;
	out->bus_mV = r.bus_mV;
	out->shunt_uV = r.shunt_uV;
	out->current_uA = r.current_uA;
	out->power_uW = r.power_uW;
	if (r.saturated)
		out->flags |= HB_POWER_SAMPLE_SATURATED;
	if (r.ovf)
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
	return st;
}

static enum hb_status stopped(struct hb_power_sampler *s)
{
	hb_err("%s@0x%02x: no conversion in %llu µs: stopped converting", s->dev->chip->name,
	       s->dev->addr, (unsigned long long)(s->stall_periods * s->period_ns / 1000));
	return HB_ERR_TIMEOUT;
}

enum hb_status hb_power_sampler_poll(struct hb_power_sampler *s, struct hb_power_sample *out,
				     int *got)
{
	int ready = 0;
	*got = 0;
	uint64_t t = now(s);
	if (t < hb_power_sampler_due_ns(s))
		return HB_OK;
	uint16_t bus_raw;
	enum hb_status st = hb_ina2xx_ready_bus(s->dev, &ready, &bus_raw);
	if (st != HB_OK)
		return st;
	t = now(s);
	if (!ready) {
		s->polls++;
		if (!s->silent_since_ns)
			s->silent_since_ns = t;
		else if (t - s->silent_since_ns >= (uint64_t)s->stall_periods * s->period_ns)
			return stopped(s);
		return HB_OK;
	}
	*got = 1;
	return take(s, t, bus_raw, out);
}

enum hb_status hb_power_sampler_next(struct hb_power_sampler *s, struct hb_power_sample *out)
{
	uint64_t step = s->period_ns / 8 ? s->period_ns / 8 : 1;
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
		s->clock->sleep_ns(s->clock, step);
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
