/* hilbench — the power-trace plot, written by gnuplot without letting outside text become
 * gnuplot code (hb_plot.h, docs/security.md). */
#define _GNU_SOURCE
#define LOG_PREFIX "plot"
#include "hb_plot.h"

#include <errno.h>
#include <math.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hb_log.h"
#include "hb_outfile.h"
#include "hb_term.h"

extern char **environ;

/* ---- the script goes to gnuplot's stdin through a socket (send() with MSG_NOSIGNAL: a
 * gnuplot that dies early is an error, not a SIGPIPE) ---- */

struct wr {
	int fd;
	int failed;
	size_t n;
	char buf[1 << 16];
};

static void wr_flush(struct wr *w)
{
	size_t off = 0;
	while (!w->failed && off < w->n) {
		ssize_t k = send(w->fd, w->buf + off, w->n - off, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			w->failed = errno ? errno : EPIPE;
		else
			off += (size_t)k;
	}
	w->n = 0;
}

static void wr_put(struct wr *w, const char *s, size_t n)
{
	while (n) {
		if (w->n == sizeof w->buf)
			wr_flush(w);
		size_t k = sizeof w->buf - w->n < n ? sizeof w->buf - w->n : n;
		memcpy(w->buf + w->n, s, k);
		w->n += k;
		s += k;
		n -= k;
	}
}

static void wr_printf(struct wr *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void wr_printf(struct wr *w, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n > 0)
		wr_put(w, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* s as a gnuplot double-quoted string that holds only ASCII letters, digits, spaces and
 * octal escapes: nothing in it can end the string, start a command, a comment, a macro
 * (@) or a backquote substitution. Bytes that are not UTF-8, and code points that would
 * drive a terminal or reorder text, become U+FFFD. At most max_bytes of s are used. */
static void gp_string(struct wr *w, const char *s, size_t max_bytes)
{
	static const char fffd[] = "\\357\\277\\275";
	size_t left = strlen(s);
	if (left > max_bytes)
		left = max_bytes;
	wr_put(w, "\"", 1);
	int after_escape = 0; /* gnuplot reads a digit right after \ooo as a fourth octal digit */
	while (left) {
		uint32_t cp;
		size_t n = hb_utf8_seq(s, left, &cp);
		int digit = n == 1 && cp >= '0' && cp <= '9';
		if (n == 1 && ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
			       (digit && !after_escape) || cp == ' ')) {
			wr_put(w, s, 1);
			after_escape = 0;
		} else if (n == 0 || hb_term_unsafe_cp(cp)) {
			wr_put(w, fffd, sizeof fffd - 1);
			after_escape = 1;
			if (n == 0)
				n = 1;
		} else {
			for (size_t i = 0; i < n; i++)
				wr_printf(w, "\\%03o", (unsigned char)s[i]);
			after_escape = 1;
		}
		s += n;
		left -= n;
	}
	wr_put(w, "\"", 1);
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

/* The per-inference energies as a histogram (bins counted here: the script stays data). */
static void write_hist(struct wr *w, const double *v, size_t n)
{
	double lo = INFINITY, hi = -INFINITY;
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(v[i]))
			continue;
		lo = v[i] < lo ? v[i] : lo;
		hi = v[i] > hi ? v[i] : hi;
	}
	if (!(hi >= lo))
		return;
	size_t nb = (size_t)ceil(sqrt((double)n));
	nb = nb < 5 ? 5 : nb > 40 ? 40 : nb;
	double width = hi > lo ? (hi - lo) / (double)nb : (lo != 0 ? fabs(lo) * 1e-3 : 1.0);
	size_t cnt[40] = {0};
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(v[i]))
			continue;
		size_t k = (size_t)((v[i] - lo) / width);
		cnt[k < nb ? k : nb - 1]++;
	}
	wr_printf(w, "unset object\nunset arrow\nunset title\nset yrange [0:*]\nset key top left\n"
		     "set xlabel 'energy per inference (nJ)'\n"
		     "set ylabel 'inferences'\nset style fill solid 0.6\nset boxwidth %.9g\n"
		     "$hist << EOD\n", width * 0.9);
	for (size_t k = 0; k < nb; k++)
		wr_printf(w, "%.9g %zu\n", lo + width * ((double)k + 0.5), cnt[k]);
	wr_printf(w, "EOD\nplot $hist using 1:2 with boxes lc rgb '#1f4e9a' title 'per-inference "
		     "energy (bench probe)'\nunset multiplot\n");
}

static void write_script(struct wr *w, const struct hb_plot *p, const char *term)
{
	/* No `set output`: gnuplot writes the picture to its stdout, our file. */
	wr_printf(w, "set encoding utf8\nset terminal %s\n", term);
	char title[512];
	const char *rail = or_empty(p->rail), *label = or_empty(p->rail_label);
	snprintf(title, sizeof title, "hilbench run: %.120s on %.60s%s%.40s%s%.100s%s",
		 or_empty(p->net), or_empty(p->board), *rail || *label ? " (rail " : "", rail,
		 *rail && *label ? ": " : "", label, *rail || *label ? ")" : "");
	wr_put(w, "set title ", 10);
	gp_string(w, title, sizeof title);
	wr_put(w, " noenhanced\n", 12);
	if (p->n_hist)
		wr_printf(w, "set multiplot layout 2,1\n");
	wr_printf(w, "set xlabel '%s%s time (s)'\nset ylabel 'power (mW)'\nset key bottom right\n",
		  p->probe_time ? "probe " : "", p->simulated_time ? "simulated" : "host");
	for (size_t i = 0; i < p->n_windows; i++) {
		double a = p->windows[i].t0_s, b = p->windows[i].t1_s;
		if (!isfinite(a) || !isfinite(b))
			continue;
		wr_printf(w, "set object %zu rect from %.6f, graph 0 to %.6f, graph 1 fc rgb '#d0e0ff' "
			  "fs solid 0.5 noborder behind\n", i + 1, a, b);
	}
	if (p->have_idle && isfinite(p->idle_mw))
		wr_printf(w, "idle = %.6f\n", p->idle_mw);
	wr_printf(w, "$samples << EOD\n");
	for (size_t i = 0; i < p->n; i++)
		if (isfinite(p->t_s[i]) && isfinite(p->power_mw[i]))
			wr_printf(w, "%.6f %.6f\n", p->t_s[i], p->power_mw[i]);
	wr_printf(w, "EOD\n");
	wr_printf(w, "plot $samples using 1:2 with lines lw 1 lc rgb '#1f4e9a' title 'INA219 samples'%s\n",
		  p->have_idle && isfinite(p->idle_mw)
			  ? ", idle with lines dt 2 lc rgb '#c03030' title 'idle baseline'"
			  : "");
	if (p->n_hist)
		write_hist(w, p->hist_nj, p->n_hist);
}

enum hb_status hb_plot_write(const struct hb_plot *p, const char *path)
{
	if (!p || !path)
		return HB_ERR_ARG;
	if (p->n == 0) {
		hb_err("--plot: no power samples to draw");
		return HB_ERR_ARG;
	}
	const char *ext = strrchr(path, '.');
	const char *term;
	if (ext && strcmp(ext, ".svg") == 0)
		term = "svg size 1000,500 dynamic";
	else if (ext && strcmp(ext, ".png") == 0)
		term = "pngcairo size 1000,500";
	else {
		hb_err("--plot %s: the file name must end in .svg or .png", hb_term(path));
		return HB_ERR_ARG;
	}

	struct hb_outfile out;
	enum hb_status st = hb_outfile_open(&out, path);
	if (st != HB_OK) {
		hb_err("--plot %s", out.err);
		return st;
	}
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		hb_err("--plot: socketpair: %s", strerror(errno));
		hb_outfile_abort(&out);
		return HB_ERR_IO;
	}
	fflush(out.f);
	const char *prog = getenv("HB_GNUPLOT");
	if (!prog || !*prog)
		prog = "gnuplot";
	/* -d: no gnuplotrc, no ~/.gnuplot (the plot does not depend on who runs it) */
	char *argv[] = {(char *)prog, (char *)"-d", NULL};
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 0);
	posix_spawn_file_actions_adddup2(&fa, fileno(out.f), 1);
	pid_t pid;
	int rc = posix_spawnp(&pid, prog, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(sv[1]);
	if (rc != 0) {
		close(sv[0]);
		hb_outfile_abort(&out);
		hb_err("--plot: cannot run %s: %s (install gnuplot-nox)", hb_term(prog), strerror(rc));
		return HB_ERR_NOTFOUND;
	}
	struct wr *w = calloc(1, sizeof *w);
	if (w) {
		w->fd = sv[0];
		write_script(w, p, term);
		wr_flush(w);
	}
	int write_err = w ? w->failed : ENOMEM;
	free(w);
	close(sv[0]); /* EOF: gnuplot draws and exits */
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (write_err || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		hb_outfile_abort(&out);
		if (write_err)
			hb_err("--plot: gnuplot stopped reading the script: %s", strerror(write_err));
		hb_err("--plot: gnuplot failed (%s %d) writing %s",
		       WIFEXITED(status) ? "exit" : "signal",
		       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), hb_term(path));
		return HB_ERR_IO;
	}
	st = hb_outfile_commit(&out);
	if (st != HB_OK)
		hb_err("--plot %s", out.err);
	return st;
}
