/* hilbench — paced sampling of an INA2xx: one sample per conversion, timestamped.
 *
 * The sampler sleeps until the next conversion is due (the device's conversion time),
 * then polls CNVR (at 1/8 of a conversion) and reads the registers once it is set. Each
 * sample carries the host monotonic time (hb_clock, ns) at which CNVR was seen. A sample
 * arriving more than 1.5 conversion periods after the previous one counts as a gap, and the
 * conversions missed in it as dropped. CNVR not set within stall_periods (default 4) periods:
 * HB_ERR_TIMEOUT
 * ("stopped converting"). `hilbench run` and `hilbench power` use this. */
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
	uint64_t t_ns; /* host monotonic time (hb_clock) when the conversion was seen */
	int32_t bus_mV;
	int32_t shunt_uV;
	int32_t current_uA;
	int64_t power_uW;
	unsigned flags;
};

struct hb_power_sampler {
	struct hb_ina2xx *dev;
	struct hb_clock *clock;
	uint64_t period_ns;  /* conversion time */
	unsigned stall_periods; /* no conversion for this many periods: stopped (default 4) */
	uint64_t last_t_ns;  /* time of the previous sample, 0 before the first */
	uint64_t silent_since_ns; /* first poll without CNVR since the last sample */
	/* statistics */
	uint64_t samples;
	uint64_t gaps;
	uint64_t dropped;    /* conversions estimated lost in gaps */
	uint64_t polls;      /* CNVR polls that found nothing new */
	uint64_t saturated;  /* samples flagged saturated or overflowed */
};

/* clock NULL = hb_clock_default(). */
void hb_power_sampler_init(struct hb_power_sampler *s, struct hb_ina2xx *dev,
			   struct hb_clock *clock);
/* Wait for and read the next conversion. HB_ERR_RANGE returns a flagged sample. */
enum hb_status hb_power_sampler_next(struct hb_power_sampler *s, struct hb_power_sample *out);

/* Non-blocking step for callers that serve several monitors: when the next conversion is
 * due, check CNVR once and read if set (*got = 1). Never sleeps. A converter silent for
 * stall_periods periods is HB_ERR_TIMEOUT. */
enum hb_status hb_power_sampler_poll(struct hb_power_sampler *s, struct hb_power_sample *out,
				     int *got);
/* Host time at which polling becomes useful again (0 before the first sample). */
uint64_t hb_power_sampler_due_ns(const struct hb_power_sampler *s);

/* Called per sample; return nonzero to stop. */
typedef int (*hb_power_sample_fn)(void *ctx, const struct hb_power_sample *s);
/* Sample for duration_ns (0 = until fn stops it). Flagged samples are passed on. */
enum hb_status hb_power_sampler_run(struct hb_power_sampler *s, uint64_t duration_ns,
				    hb_power_sample_fn fn, void *ctx);

#endif
