/* hilbench — internal helpers shared by the transport backends (not a public API).
 * I/O deadlines use the system monotonic clock explicitly: a fake clock installed by a test
 * must not stretch or freeze real poll() timeouts. The FTDI backends wait inside libftdi
 * instead, on the clock the chip lives on (hb_ftdi_clock(): a board twin's chips live in
 * simulated time), and use the _on variants with it. */
#ifndef HB_TR_UTIL_H
#define HB_TR_UTIL_H

#include <stdint.h>

#include "hb_clock.h"

static inline uint64_t hb_tr_now_ms_on(struct hb_clock *c)
{
	return c->now_ns(c) / 1000000u;
}

static inline uint64_t hb_tr_now_ms(void)
{
	return hb_tr_now_ms_on(hb_clock_system());
}

/* Deadline for a timeout in ms (negative = wait forever, returns UINT64_MAX) on clock c. */
static inline uint64_t hb_tr_deadline_on(struct hb_clock *c, int timeout_ms)
{
	return timeout_ms < 0 ? UINT64_MAX : hb_tr_now_ms_on(c) + (uint64_t)timeout_ms;
}

/* Milliseconds left until deadline on clock c, for poll(): -1 = forever, 0 = expired. */
static inline int hb_tr_left_on(struct hb_clock *c, uint64_t deadline)
{
	if (deadline == UINT64_MAX)
		return -1;
	uint64_t now = hb_tr_now_ms_on(c);
	if (now >= deadline)
		return 0;
	uint64_t d = deadline - now;
	return d > 0x7fffffff ? 0x7fffffff : (int)d;
}

/* The same on the system clock (the backends that wait in poll()). */
static inline uint64_t hb_tr_deadline(int timeout_ms)
{
	return hb_tr_deadline_on(hb_clock_system(), timeout_ms);
}

static inline int hb_tr_left(uint64_t deadline)
{
	return hb_tr_left_on(hb_clock_system(), deadline);
}

#endif
