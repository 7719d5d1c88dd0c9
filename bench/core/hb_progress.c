#include "hb_progress.h"

#include <string.h>
#include <unistd.h>

#include "hb_clock.h"
#include "hb_term.h"

void hb_progress_begin(struct hb_progress *p, FILE *out, int quiet, const char *phase, double total,
		       const char *unit)
{
	memset(p, 0, sizeof *p);
	p->out = out;
	p->quiet = quiet;
	p->tty = isatty(fileno(out));
	hb_term_escape(phase, p->phase, sizeof p->phase); /* may quote names from files */
	p->total = total;
	p->unit = unit ? unit : "";
	p->t0_ns = p->last_ns = hb_now_ns();
	p->plain_interval_s = 10.0;
	if (quiet)
		return;
	if (!p->tty) {
		fprintf(out, "%s ...\n", p->phase);
		fflush(out);
	}
}

void hb_progress_update(struct hb_progress *p, double done)
{
	if (p->quiet)
		return;
	uint64_t now = hb_now_ns();
	double el = (double)(now - p->t0_ns) / 1e9;
	double frac = p->total > 0 ? done / p->total : 0;
	if (frac > 1)
		frac = 1;
	char eta[32] = "";
	if (frac > 0.01 && frac < 1)
		snprintf(eta, sizeof eta, ", ETA %.0f s", el * (1 - frac) / frac);
	if (p->tty) {
		if ((now - p->last_ns) < 100000000u && p->drawn)
			return; /* at most 10 redraws per second */
		fprintf(p->out, "\r\033[K%s: %3.0f %% (%.0f/%.0f %s%s)", p->phase, 100 * frac, done,
			p->total, p->unit, eta);
		fflush(p->out);
		p->drawn = 1;
		p->last_ns = now;
	} else if ((double)(now - p->last_ns) / 1e9 >= p->plain_interval_s) {
		fprintf(p->out, "%s: %.0f %% (%.0f/%.0f %s%s)\n", p->phase, 100 * frac, done, p->total,
			p->unit, eta);
		fflush(p->out);
		p->last_ns = now;
	}
}

void hb_progress_end(struct hb_progress *p, const char *result)
{
	if (p->quiet)
		return;
	double el = (double)(hb_now_ns() - p->t0_ns) / 1e9;
	if (p->tty)
		fprintf(p->out, "\r\033[K");
	fprintf(p->out, "%s: %s (%.1f s)\n", p->phase, result ? hb_term(result) : "done", el);
	fflush(p->out);
}
