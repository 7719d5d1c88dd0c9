/* hilbench — paced sampling of an INA2xx: one sample per conversion, timestamped.
 *
 * The sampler follows the chip's conversions. Once it has seen one complete (a short CNVR
 * poll found it), it asks for the next sample one conversion period after that request,
 * and so on, one period apart on that schedule (a late request does not push the next one
 * later): one bus batch each (hb_ina2xx_sample: bus/CNVR, power, shunt, bus) that finds
 * the conversion done and reads it whole. A read that finds nothing new (the chip's clock
 * is slower than the nominal period) sends it back to short CNVR polls, 1/8 of a period
 * apart, until the next conversion shows and sets the schedule again.
 *
 * Times are request times: when a read was asked for, on the sampler's clock (the
 * session's; the host monotonic clock on a real bench). A sample's t_ns is the request time
 * of the read that saw its CNVR; the conversion ended before that read ran.
 *
 * Gaps and stalls: a sample more than 1.5 periods after the previous one counts a gap and
 * the conversions missed in it as dropped; a late thread makes gaps, never an error. Only a
 * monitor that really stopped is an error: reads *asked for* over stall_periods periods
 * (default 4) all finding no conversion, and the chip still holding its CAL and
 * configuration (HB_ERR_TIMEOUT, "stopped converting"). A chip that reset (CAL lost) is
 * re-initialised and sampling goes on (counted in resets); one that keeps resetting is
 * HB_ERR_GONE. `hilbench run` and `hilbench power` use this. */
#ifndef HB_POWER_SAMPLER_H
#define HB_POWER_SAMPLER_H

#include <stdint.h>

#include "hb_clock.h"
#include "hb_ina2xx.h"

enum hb_power_sample_flags {
	HB_POWER_SAMPLE_SATURATED = 1u << 0, /* shunt at the PGA limit: value unusable */
	HB_POWER_SAMPLE_OVF = 1u << 1,       /* chip math overflow: current/power unusable */
	HB_POWER_SAMPLE_AFTER_GAP = 1u << 2, /* conversions were missed before this one */
};

struct hb_power_sample {
	uint64_t t_ns; /* request time (sampler clock) of the read that saw this conversion */
	int32_t bus_mV;
	int32_t shunt_uV;
	int32_t current_uA;
	int64_t power_uW;
	double power_mW;  /* hb_ina2xx_power_mw(bus_mV, shunt_uV, R): the figure */
	unsigned flags;
	/* the registers it came from (one conversion) */
	int16_t shunt_raw;
	uint16_t bus_raw, power_raw;
};

struct hb_power_sampler {
	struct hb_ina2xx *dev;
	struct hb_clock *clock;
	uint64_t period_ns;  /* conversion time */
	unsigned stall_periods; /* no conversion for this many periods: stopped (default 4) */
	uint64_t last_t_ns;  /* time of the previous sample, 0 before the first */
	uint64_t due_ns;     /* no read is worth asking for before this (0: at once) */
	uint64_t anchor_ns;  /* the schedule: when the last sample's read was due */
	int locked;          /* the conversion phase is known: the next read is a whole sample */
	uint64_t silent_since_ns; /* request time of the first read since the last conversion
				     that found none (0: none) */
	/* statistics */
	uint64_t samples;
	uint64_t gaps;
	uint64_t dropped;    /* conversions estimated lost in gaps */
	uint64_t polls;      /* reads that found nothing new */
	uint64_t saturated;  /* samples flagged saturated or overflowed */
	uint64_t torn;       /* reads a completing conversion tore (read again at once) */
	uint64_t resets;     /* chip resets repaired */
};

/* clock NULL = hb_clock_default(). */
void hb_power_sampler_init(struct hb_power_sampler *s, struct hb_ina2xx *dev,
			   struct hb_clock *clock);
/* Wait for and read the next conversion. HB_ERR_RANGE returns a flagged sample. */
enum hb_status hb_power_sampler_next(struct hb_power_sampler *s, struct hb_power_sample *out);

/* Non-blocking step for callers that serve several monitors: when a read is due, do one
 * (*got = 1 when it produced a sample). Never sleeps. */
enum hb_status hb_power_sampler_poll(struct hb_power_sampler *s, struct hb_power_sample *out,
				     int *got);
/* Time at which polling becomes useful again (0: now). */
uint64_t hb_power_sampler_due_ns(const struct hb_power_sampler *s);

/* Called per sample; return nonzero to stop. */
typedef int (*hb_power_sample_fn)(void *ctx, const struct hb_power_sample *s);
/* Sample for duration_ns (0 = until fn stops it). Flagged samples are passed on. */
enum hb_status hb_power_sampler_run(struct hb_power_sampler *s, uint64_t duration_ns,
				    hb_power_sample_fn fn, void *ctx);

#endif
