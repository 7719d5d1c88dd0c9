/* hilbench — safe strings for gnuplot scripts (hb_gnuplot.h). */
#define _GNU_SOURCE
#include "hb_gnuplot.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void hb_gp_quote(char *out, size_t cap, const char *s)
{
	size_t o = 0;
	if (cap < 3) {
		if (cap)
			out[0] = '\0';
		return;
	}
	out[o++] = '\'';
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		unsigned c = *p;
		size_t need = c == '\'' ? 2 : 1;
		if (o + need + 2 > cap) /* keep room for the closing quote and the NUL */
			break;
		if (c == '\'') {
			out[o++] = '\'';
			out[o++] = '\'';
		} else if (c < 0x20 || c == 0x7f || c == '`' || c == '@') {
			out[o++] = '_';
		} else {
			out[o++] = (char)c;
		}
	}
	out[o++] = '\'';
	out[o] = '\0';
}

int hb_gp_run(const char *script, const char *out_path, char *err, size_t errlen)
{
	int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "cannot write %s: %s", out_path, strerror(errno));
		return -1;
	}
	int in[2];
	if (pipe2(in, O_CLOEXEC) != 0) {
		close(fd);
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		close(fd);
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
	close(fd);
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
		unlink(out_path);
		return -1;
	}
	return 0;
}
