/* hilbench — openFPGALoader runner (see hb_flash.h). */
#define _GNU_SOURCE /* pipe2 */
#include "hb_flash.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hb_clock.h"

#define LOG_PREFIX "flash"
#include "hb_log.h"

extern char **environ;

static int executable(const char *p)
{
	struct stat sb;
	return stat(p, &sb) == 0 && S_ISREG(sb.st_mode) && access(p, X_OK) == 0;
}

enum hb_status hb_flash_find_program(char *buf, size_t cap)
{
	const char *env = getenv("HB_OPENFPGALOADER");
	if (env && *env) {
		if (!executable(env)) {
			hb_err("HB_OPENFPGALOADER=%s is not an executable file", env);
			return HB_ERR_NOTFOUND;
		}
		snprintf(buf, cap, "%s", env);
		return HB_OK;
	}
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		const char *end = strchr(path, ':');
		size_t n = end ? (size_t)(end - path) : strlen(path);
		if (n > 0 && n + 16 < cap) {
			snprintf(buf, cap, "%.*s/openFPGALoader", (int)n, path);
			if (executable(buf))
				return HB_OK;
		}
		path += n + (end ? 1 : 0);
	}
	buf[0] = 0;
	hb_err("openFPGALoader not found in PATH (apt install openfpgaloader, or set "
	       "HB_OPENFPGALOADER)");
	return HB_ERR_NOTFOUND;
}

void hb_flash_opts_board(struct hb_flash_opts *o, const char *ofl_board, const char *cable,
			 const char *ftdi_serial, char interface)
{
	memset(o, 0, sizeof *o);
	o->ofl_board = ofl_board && *ofl_board ? ofl_board : NULL;
	o->cable = cable && *cable ? cable : NULL;
	o->ftdi_serial = ftdi_serial && *ftdi_serial ? ftdi_serial : NULL;
	o->interface = interface;
	o->ftdi_channel = -1;
}

enum hb_status hb_flash_build_argv(const struct hb_flash_opts *o, struct hb_flash_argv *a)
{
	memset(a, 0, sizeof *a);
	if (!o->bitstream || !*o->bitstream) {
		hb_err("no bitstream given");
		return HB_ERR_ARG;
	}
	if ((!o->ofl_board || !*o->ofl_board) && (!o->cable || !*o->cable)) {
		hb_err("neither an openFPGALoader board nor a cable is given");
		return HB_ERR_ARG;
	}
	if (o->verify && !o->to_flash) {
		hb_err("--verify applies to SPI flash writes only (openFPGALoader cannot verify "
		       "SRAM)");
		return HB_ERR_ARG;
	}
	if (o->ftdi_channel > 3) {
		hb_err("FTDI channel %d: valid channels are 0-3 (A-D)", o->ftdi_channel);
		return HB_ERR_ARG;
	}
	if (o->interface && (o->interface < 'A' || o->interface > 'D')) {
		hb_err("FTDI interface '%c': valid interfaces are A-D", o->interface);
		return HB_ERR_ARG;
	}
	/* the user's --ftdi-channel, else the interface that programs the board */
	int channel = o->ftdi_channel >= 0 ? o->ftdi_channel
		      : o->interface     ? o->interface - 'A'
					 : -1;
	enum hb_status st = hb_flash_find_program(a->program, sizeof a->program);
	if (st != HB_OK)
		snprintf(a->program, sizeof a->program, "openFPGALoader");
	char **v = a->argv;
	int n = 0;
	v[n++] = a->program;
	if (o->ofl_board && *o->ofl_board) {
		v[n++] = "-b";
		v[n++] = (char *)o->ofl_board;
	}
	if (o->cable && *o->cable) {
		v[n++] = "-c";
		v[n++] = (char *)o->cable;
	}
	if (o->ftdi_serial && *o->ftdi_serial) {
		v[n++] = "--ftdi-serial";
		v[n++] = (char *)o->ftdi_serial;
	}
	if (channel >= 0) {
		snprintf(a->channel, sizeof a->channel, "%d", channel);
		v[n++] = "--ftdi-channel";
		v[n++] = a->channel;
	}
	/* Always explicit: for SPI-mode boards (iCE40) openFPGALoader writes flash unless -m. */
	v[n++] = o->to_flash ? "-f" : "-m";
	if (o->verify)
		v[n++] = "--verify";
	v[n++] = (char *)o->bitstream;
	v[n] = NULL;
	a->argc = n;
	return st;
}

enum hb_status hb_flash_format(const struct hb_flash_argv *a, char *buf, size_t cap)
{
	size_t o = 0;
	if (cap == 0)
		return HB_ERR_ARG;
	buf[0] = 0;
	for (int i = 0; i < a->argc; i++) {
		const char *s = a->argv[i];
		int plain = *s != 0;
		for (const char *c = s; *c; c++)
			if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
				    "-_./:=+,@%", *c))
				plain = 0;
		int w;
		if (plain) {
			w = snprintf(buf + o, cap - o, "%s%s", i ? " " : "", s);
		} else {
			w = snprintf(buf + o, cap - o, "%s'", i ? " " : "");
			for (const char *c = s; *c && w >= 0 && o + (size_t)w < cap; c++) {
				int k = *c == '\'' ? snprintf(buf + o + w, cap - o - w, "'\\''")
						   : snprintf(buf + o + w, cap - o - w, "%c", *c);
				w += k;
			}
			if (o + (size_t)w < cap)
				w += snprintf(buf + o + w, cap - o - w, "'");
		}
		if (w < 0 || o + (size_t)w >= cap)
			return HB_ERR_RANGE;
		o += (size_t)w;
	}
	return HB_OK;
}

static int has(const char *out, const char *needle)
{
	return out && strstr(out, needle) != NULL;
}

/* The last line of out containing needle, copied into line. */
static void line_with(const char *out, const char *needle, char *line, size_t cap)
{
	const char *p = NULL, *q = out;
	while ((q = strstr(q, needle)) != NULL)
		p = q++;
	line[0] = 0;
	if (!p)
		return;
	while (p > out && p[-1] != '\n' && p[-1] != '\r')
		p--;
	size_t n = strcspn(p, "\r\n");
	snprintf(line, cap, "%.*s", (int)(n < cap ? n : cap - 1), p);
}

enum hb_status hb_flash_classify(const char *out, int exit_code, char *msg, size_t cap)
{
	char line[256];
	if (!out)
		out = "";
	if (has(out, "cannot find board")) {
		line_with(out, "cannot find board", line, sizeof line);
		snprintf(msg, cap, "openFPGALoader does not know this board (%s); "
			 "see 'openFPGALoader --list-boards'", line);
		return HB_ERR_ARG;
	}
	if (has(out, "error : ") && has(out, " not found") && !has(out, "device not found")) {
		line_with(out, "error : ", line, sizeof line);
		snprintf(msg, cap, "unknown cable (%s); see 'openFPGALoader --list-cables'", line);
		return HB_ERR_ARG;
	}
	if (has(out, "inappropriate permissions") || has(out, "unable to open ftdi device: -4") ||
	    has(out, "unable to open ftdi device: -8") || has(out, "LIBUSB_ERROR_ACCESS") ||
	    has(out, "Check permissions")) {
		line_with(out, "unable to open ftdi device", line, sizeof line);
		snprintf(msg, cap, "permission denied on the USB cable (%s): install the udev rule "
			 "(docs/99-hilbench-ftdi.rules), replug, be in group plugdev",
			 line[0] ? line : "permissions");
		return HB_ERR_PERM;
	}
	if (has(out, "unable to open ftdi device: -5") || has(out, "unable to claim usb device")) {
		snprintf(msg, cap, "the FTDI cable is busy: another program holds the interface "
			 "(a running hilbench, a serial console)");
		return HB_ERR_BUSY;
	}
	if (has(out, "unable to open ftdi device")) {
		line_with(out, "unable to open ftdi device", line, sizeof line);
		snprintf(msg, cap, "FTDI cable not found (%s): is the board plugged in, and does "
			 "--ftdi-serial match? ('hilbench doctor' lists USB devices)", line);
		return HB_ERR_NOTFOUND;
	}
	if (has(out, "mismatch between target's idcode and bitstream idcode") ||
	    has(out, "IDCODE mismatch") || has(out, "idcode mismatch")) {
		snprintf(msg, cap, "wrong part: the bitstream was built for a different FPGA than "
			 "the one on the board (IDCODE mismatch)");
		return HB_ERR_MISMATCH;
	}
	if (has(out, " not supported")) {
		line_with(out, " not supported", line, sizeof line);
		snprintf(msg, cap, "wrong board or part: %s", line);
		return HB_ERR_MISMATCH;
	}
	if (has(out, "no device found") || has(out, "No device found") ||
	    has(out, "No cable found")) {
		snprintf(msg, cap, "no FPGA answered on the JTAG chain (board powered? right "
			 "cable/channel?)");
		return HB_ERR_NOTFOUND;
	}
	if (has(out, "fail to open") || has(out, "Fail to open file") ||
	    has(out, "No such file")) {
		line_with(out, "open", line, sizeof line);
		snprintf(msg, cap, "bitstream missing or unreadable (%s)", line);
		return HB_ERR_NOTFOUND;
	}
	if (exit_code == 0) {
		/* iCE40 SRAM load exits 0 even when CDONE never rose: "FAIL" on stderr. */
		if (has(out, "\nFAIL") || strncmp(out, "FAIL", 4) == 0 || has(out, "Fail\n")) {
			snprintf(msg, cap, "openFPGALoader reported FAIL (CDONE did not rise: "
				 "configuration failed)");
			return HB_ERR_IO;
		}
		msg[0] = 0;
		return HB_OK;
	}
	/* Unknown failure: quote the last non-empty line. */
	const char *end = out + strlen(out);
	while (end > out && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	const char *start = end;
	while (start > out && start[-1] != '\n' && start[-1] != '\r')
		start--;
	snprintf(msg, cap, "openFPGALoader failed (exit %d): %.*s", exit_code,
		 (int)(end - start), start);
	return HB_ERR_IO;
}

struct stream {
	int fd;
	int is_err;
	char line[1024];
	size_t n;
};

static void emit(const struct hb_flash_opts *o, struct stream *s, char *all, size_t allcap,
		 size_t *alln)
{
	s->line[s->n] = 0;
	if (o->on_line && s->n)
		o->on_line(o->ctx, s->is_err, s->line);
	int w = snprintf(all + *alln, allcap - *alln, "%s\n", s->line);
	if (w > 0 && *alln + (size_t)w < allcap)
		*alln += (size_t)w;
	s->n = 0;
}

/* Read what is there; split on \r and \n. Returns 0 at EOF. */
static int pump(const struct hb_flash_opts *o, struct stream *s, char *all, size_t allcap,
		size_t *alln)
{
	char buf[512];
	ssize_t r = read(s->fd, buf, sizeof buf);
	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return 1;
	if (r <= 0) {
		if (s->n)
			emit(o, s, all, allcap, alln);
		return 0;
	}
	for (ssize_t i = 0; i < r; i++) {
		char c = buf[i];
		if (c == '\n' || c == '\r') {
			if (s->n)
				emit(o, s, all, allcap, alln);
			else if (c == '\n' && *alln + 1 < allcap)
				all[(*alln)++] = '\n';
		} else if (c == '\x1b') {
			/* colour codes only appear on a tty, but strip ESC anyway */
			if (s->n < sizeof s->line - 1)
				s->line[s->n++] = '^';
		} else if (s->n < sizeof s->line - 1) {
			s->line[s->n++] = c;
		}
	}
	all[*alln] = 0;
	return 1;
}

enum hb_status hb_flash_run(const struct hb_flash_opts *o, struct hb_flash_result *res)
{
	struct hb_flash_argv a;
	memset(res, 0, sizeof *res);
	enum hb_status st = hb_flash_build_argv(o, &a);
	if (st != HB_OK) {
		snprintf(res->message, sizeof res->message, "%s",
			 st == HB_ERR_NOTFOUND ? "openFPGALoader not found" : "invalid options");
		return st;
	}
	if (access(o->bitstream, R_OK) != 0) {
		snprintf(res->message, sizeof res->message, "bitstream %s: %s", o->bitstream,
			 strerror(errno));
		return errno == EACCES ? HB_ERR_PERM : HB_ERR_NOTFOUND;
	}
	int po[2], pe[2];
	if (pipe2(po, O_CLOEXEC) != 0)
		return HB_ERR_IO;
	if (pipe2(pe, O_CLOEXEC) != 0) {
		close(po[0]), close(po[1]);
		return HB_ERR_IO;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	/* Own process group: a timeout kills the program and anything it started. */
	posix_spawnattr_t at;
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&at, 0);
	pid_t pid;
	int rc = posix_spawn(&pid, a.program, &fa, &at, a.argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(po[1]);
	close(pe[1]);
	if (rc != 0) {
		close(po[0]), close(pe[0]);
		snprintf(res->message, sizeof res->message, "cannot run %.200s: %s", a.program,
			 strerror(rc));
		return rc == ENOENT ? HB_ERR_NOTFOUND : HB_ERR_IO;
	}
	char cmd[1024];
	if (hb_flash_format(&a, cmd, sizeof cmd) == HB_OK)
		hb_info("running %s", cmd);
	struct stream s[2] = {{.fd = po[0], .is_err = 0}, {.fd = pe[0], .is_err = 1}};
	enum { ALLCAP = 32768 };
	char *all = malloc(ALLCAP);
	size_t alln = 0;
	if (!all) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(po[0]), close(pe[0]);
		return HB_ERR_NOMEM;
	}
	all[0] = 0;
	struct hb_clock *clk = hb_clock_system();
	int timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 120000;
	uint64_t deadline = clk->now_ns(clk) + (uint64_t)timeout_ms * 1000000u;
	int open_streams = 2;
	while (open_streams) {
		struct pollfd pf[2];
		int np = 0, map[2];
		for (int i = 0; i < 2; i++) {
			if (s[i].fd >= 0) {
				pf[np] = (struct pollfd){.fd = s[i].fd, .events = POLLIN};
				map[np++] = i;
			}
		}
		uint64_t now = clk->now_ns(clk);
		if (now >= deadline) {
			res->timed_out = 1;
			break;
		}
		int left = (int)((deadline - now) / 1000000u) + 1;
		int r = poll(pf, (nfds_t)np, left);
		if (r < 0 && errno != EINTR)
			break;
		for (int k = 0; r > 0 && k < np; k++) {
			if (!(pf[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			struct stream *ss = &s[map[k]];
			if (!pump(o, ss, all, ALLCAP, &alln)) {
				close(ss->fd);
				ss->fd = -1;
				open_streams--;
			}
		}
	}
	int status = 0;
	if (res->timed_out) {
		kill(-pid, SIGTERM);
		for (int i = 0; i < 100; i++) {
			if (waitpid(pid, &status, WNOHANG) == pid)
				goto reaped;
			clk->sleep_ns(clk, 10000000);
		}
		kill(-pid, SIGKILL);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
reaped:
	for (int i = 0; i < 2; i++)
		if (s[i].fd >= 0)
			close(s[i].fd);
	res->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (res->timed_out) {
		free(all);
		snprintf(res->message, sizeof res->message,
			 "openFPGALoader did not finish within %d ms and was killed", timeout_ms);
		return HB_ERR_TIMEOUT;
	}
	st = hb_flash_classify(all, res->exit_code, res->message, sizeof res->message);
	free(all);
	if (st != HB_OK)
		hb_dbg("%s", res->message); /* the caller reports res->message */
	return st;
}
