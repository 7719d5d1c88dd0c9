/* A fake hb_clock: sleep advances virtual time instantly. */
#ifndef FAKE_CLOCK_H
#define FAKE_CLOCK_H
#include "hb_clock.h"

struct fake_clock {
	struct hb_clock clock;
	uint64_t now;        /* current virtual time, ns */
	uint64_t slept;      /* total virtual time slept, ns */
	unsigned sleeps;     /* number of sleep calls */
};

/* Initialise and install as the default clock. */
void fake_clock_install(struct fake_clock *fc, uint64_t start_ns);
void fake_clock_uninstall(void);
#endif
