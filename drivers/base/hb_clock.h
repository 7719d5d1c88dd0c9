/* hilbench — the clock seam.
 *
 * Everything that needs "now" or "wait" goes through an hb_clock. Production
 * code uses hb_clock_system() (CLOCK_MONOTONIC, nanosleep). Tests install a
 * fake (see tests/fakes/fake_clock.h) whose sleep advances virtual time
 * instantly, so unit tests never sleep. */
#ifndef HB_CLOCK_H
#define HB_CLOCK_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct hb_clock {
	/* Monotonic time in nanoseconds since an arbitrary epoch. */
	uint64_t (*now_ns)(struct hb_clock *c);
	/* Wait at least ns nanoseconds (fakes advance their time instead). */
	void (*sleep_ns)(struct hb_clock *c, uint64_t ns);
	void *ctx;
};

/* The process-wide monotonic clock. */
struct hb_clock *hb_clock_system(void);

/* The clock used by library code that is not handed one explicitly. */
struct hb_clock *hb_clock_default(void);
/* Replace the default clock (tests); NULL restores the system clock. */
void hb_clock_set_default(struct hb_clock *c);

static inline uint64_t hb_now_ns(void)
{
	struct hb_clock *c = hb_clock_default();
	return c->now_ns(c);
}

static inline void hb_sleep_ns(uint64_t ns)
{
	struct hb_clock *c = hb_clock_default();
	c->sleep_ns(c, ns);
}

#ifdef __cplusplus
}
#endif
#endif
