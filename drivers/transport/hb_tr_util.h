/* hilbench — internal helpers shared by the transport backends (not a public API).
 * I/O deadlines use the system monotonic clock explicitly: a fake clock installed by a test
 * must not stretch or freeze real poll() timeouts. */
#ifndef HB_TR_UTIL_H
#define HB_TR_UTIL_H

#include <stdint.h>

#include "hb_clock.h"

static inline uint64_t hb_tr_now_ms(void)
{
	struct hb_clock *c = hb_clock_system();
	return c->now_ns(c) / 1000000u;
}

/* Deadline for a timeout in ms (negative = wait forever, returns UINT64_MAX). */
static inline uint64_t hb_tr_deadline(int timeout_ms)
{
	return timeout_ms < 0 ? UINT64_MAX : hb_tr_now_ms() + (uint64_t)timeout_ms;
}

/* The same on another clock (an FTDI chip's: simulated time for a board twin's emulated
 * chip, whose reads advance that time). */
static inline uint64_t hb_tr_deadline_on(struct hb_clock *c, int timeout_ms)
{
	return timeout_ms < 0 ? UINT64_MAX : c->now_ns(c) / 1000000u + (uint64_t)timeout_ms;
}

static inline int hb_tr_left_on(struct hb_clock *c, uint64_t deadline)
{
	if (deadline == UINT64_MAX)
		return -1;
	uint64_t now = c->now_ns(c) / 1000000u;
	if (now >= deadline)
		return 0;
	uint64_t d = deadline - now;
	return d > 0x7fffffff ? 0x7fffffff : (int)d;
}

/* Milliseconds left until deadline, for poll(): -1 = forever, 0 = expired. */
static inline int hb_tr_left(uint64_t deadline)
{
	if (deadline == UINT64_MAX)
		return -1;
	uint64_t now = hb_tr_now_ms();
	if (now >= deadline)
		return 0;
	uint64_t d = deadline - now;
	return d > 0x7fffffff ? 0x7fffffff : (int)d;
}

#endif
