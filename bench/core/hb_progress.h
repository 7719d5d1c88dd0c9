/* hilbench — progress lines for long phases (flash, load, baseline, windows).
 *
 * On a terminal: one line redrawn in place ("\r"), with percentage and ETA.
 * Not a terminal: a plain line at start, at most every `plain_interval_s`, and at the end. */
#ifndef HB_PROGRESS_H
#define HB_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

struct hb_progress {
	FILE *out;
	int tty;
	int quiet;
	char phase[64];
	double total;       /* units of work (bytes, seconds, windows) */
	const char *unit;
	uint64_t t0_ns;
	uint64_t last_ns;
	double plain_interval_s;
	int drawn;
};

void hb_progress_begin(struct hb_progress *p, FILE *out, int quiet, const char *phase, double total,
		       const char *unit);
void hb_progress_update(struct hb_progress *p, double done);
/* Finish the line with a short result ("done", "1.23 s", "failed: ..."). */
void hb_progress_end(struct hb_progress *p, const char *result);

#endif
