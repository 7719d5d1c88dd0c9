/* hilbench — the power-trace plot of `hilbench run --plot FILE` (gnuplot).
 *
 * The title carries the network's, the board's and the rail's names: text from files other
 * people wrote. gnuplot is an interpreter (its `system` runs shell commands, and it
 * substitutes `backquotes` inside double-quoted strings), so nothing from outside reaches it
 * as script text (docs/security.md):
 *   - each title part is written as a double-quoted string of letters, digits, spaces and
 *     octal escapes only: no quote, backquote, '@', '$', ';', '#' or newline can appear in
 *     the script, whatever the name holds; text that is not UTF-8 or that would drive a
 *     terminal becomes U+FFFD; the title is `noenhanced` (no markup);
 *   - the samples go inline as a data block ($samples << EOD), no temporary file;
 *   - the output path never reaches gnuplot: gnuplot writes to its stdout, which is a file
 *     hilbench created (hb_outfile: no planted symlink followed, renamed into place when
 *     gnuplot succeeded);
 *   - gnuplot is started from an argv (no shell); $HB_GNUPLOT overrides "gnuplot" (tests). */
#ifndef HB_PLOT_H
#define HB_PLOT_H

#include <stddef.h>

#include "hb_status.h"

struct hb_plot_span {
	double t0_s, t1_s; /* a measurement window, in the samples' time base */
};

struct hb_plot {
	const double *t_s;        /* sample times, seconds from the first sample */
	const double *power_mw;   /* sample power; non-finite samples are left out */
	size_t n;
	const struct hb_plot_span *windows; /* shaded behind the trace */
	size_t n_windows;
	int have_idle;            /* draw the idle baseline at idle_mw */
	double idle_mw;
	int simulated_time;       /* the time axis is simulated time (virtual board), not host time */
	int probe_time;           /* ... the bench probe's timer (its samples and windows) */
	/* per-inference energies (nJ), drawn as a histogram under the trace; n_hist 0 = none */
	const double *hist_nj;
	size_t n_hist;
	/* title parts, any bytes (NULL or "" = left out) */
	const char *net, *board, *rail, *rail_label;
};

/* Draw p into path (*.svg or *.png). HB_ERR_ARG for another extension or no samples,
 * HB_ERR_NOTFOUND when gnuplot cannot be started, HB_ERR_IO when it fails or the file cannot
 * be written (logged with the reason). An existing file is replaced only on success. */
enum hb_status hb_plot_write(const struct hb_plot *p, const char *path);

#endif
