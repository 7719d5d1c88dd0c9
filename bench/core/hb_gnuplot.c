/* hilbench — safe strings for gnuplot scripts (hb_gnuplot.h). */
#define _GNU_SOURCE
#include "hb_gnuplot.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hb_outfile.h"
#include "hb_term.h"

void hb_gp_quote(char *out, size_t cap, const char *s)
{
	size_t o = 0;
	if (cap < 3) {
		if (cap)
			out[0] = '\0';
		return;
	}
	out[o++] = '\'';
	const char *p = s ? s : "";
	size_t left = strlen(p);
	while (left) {
		unsigned c = (unsigned char)*p;
		uint32_t cp;
		/* a whole UTF-8 character, or one byte that is not one (replaced): the SVG stays
		 * valid UTF-8, and no terminal or bidi control gets into the picture */
		size_t len = c >= 0x80 ? hb_utf8_seq(p, left, &cp) : 1;
		int bad = c >= 0x80 && (len == 0 || hb_term_unsafe_cp(cp));
		size_t step = len ? len : 1;
		size_t need = c == '\'' ? 2 : bad ? 1 : step;
		if (o + need + 2 > cap) /* keep room for the closing quote and the NUL */
			break;
		if (c == '\'') {
			out[o++] = '\'';
			out[o++] = '\'';
		} else if (c < 0x20 || c == 0x7f || c == '`' || c == '@' || bad) {
			out[o++] = '_';
		} else {
			memcpy(out + o, p, step);
			o += step;
		}
		p += step;
		left -= step;
	}
	out[o++] = '\'';
	out[o] = '\0';
}

int hb_gp_run(const char *script, const char *out_path, char *err, size_t errlen)
{
	/* hb_outfile: no planted symlink followed; the old file replaced only on success */
	struct hb_outfile of;
	if (hb_outfile_open(&of, out_path) != HB_OK) {
		snprintf(err, errlen, "cannot write %s", of.err);
		return -1;
	}
	fflush(of.f);
	int fd = fileno(of.f);
	int in[2];
	if (pipe2(in, O_CLOEXEC) != 0) {
		hb_outfile_abort(&of);
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		hb_outfile_abort(&of);
		close(in[0]);
		close(in[1]);
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(fd, 1);
		execlp("gnuplot", "gnuplot", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	size_t n = strlen(script), off = 0;
	while (off < n) {
		ssize_t w = write(in[1], script + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	close(in[1]);
	signal(SIGPIPE, old);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(err, errlen, WIFEXITED(status) && WEXITSTATUS(status) == 127
					      ? "cannot run gnuplot (install gnuplot-nox)"
					      : "gnuplot failed (exit %d) writing %s",
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1, out_path);
		hb_outfile_abort(&of);
		return -1;
	}
	if (hb_outfile_commit(&of) != HB_OK) {
		snprintf(err, errlen, "%s", of.err);
		return -1;
	}
	return 0;
}
