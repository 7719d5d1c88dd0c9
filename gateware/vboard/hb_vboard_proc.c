/* hilbench — the virtual board as a child process (hb_vboard_proc.h). */
#define _GNU_SOURCE
#define LOG_PREFIX "vboard"
#include "hb_vboard_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hb_log.h"

struct hb_vboard_proc {
	pid_t pid;
	int ctl_fd;
	struct hb_vboard_info info;
	char rbuf[2048];
	size_t rn;
};

/* Real time for child-process deadlines (the child runs on the wall clock, not a fake). */
static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int is_exe(const char *p) { return access(p, X_OK) == 0; }

enum hb_status hb_vboard_find_exe(char *buf, size_t cap)
{
	const char *env = getenv("HB_VBOARD");
	char self[PATH_MAX];
	ssize_t n;

	if (env && *env) {
		snprintf(buf, cap, "%s", env);
		if (is_exe(buf))
			return HB_OK;
		hb_err("HB_VBOARD=%s is not an executable", env);
		return HB_ERR_NOTFOUND;
	}
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) {
		self[n] = 0;
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = 0;
			if (snprintf(buf, cap, "%s/hilbench-vboard", self) < (int)cap && is_exe(buf))
				return HB_OK;
			if (snprintf(buf, cap, "%s/../bench/hilbench-vboard", self) < (int)cap &&
			    is_exe(buf))
				return HB_OK;
			if (snprintf(buf, cap, "%s/../../bench/hilbench-vboard", self) < (int)cap &&
			    is_exe(buf))
				return HB_OK;
		}
	}
	hb_err("hilbench-vboard not found (set HB_VBOARD, or build with Verilator)");
	return HB_ERR_NOTFOUND;
}

static void kv(struct hb_vboard_info *in, const char *line)
{
	const char *v = strchr(line, ':');
	if (!v)
		return;
	size_t klen = (size_t)(v - line);
	v++;
	while (*v == ' ')
		v++;
#define KEY(k) (klen == sizeof k - 1 && strncmp(line, k, klen) == 0)
	if (KEY("uart"))
		snprintf(in->uart, sizeof in->uart, "%s", v);
	else if (KEY("i2c"))
		snprintf(in->i2c, sizeof in->i2c, "%s", v);
	else if (KEY("ctl"))
		snprintf(in->ctl, sizeof in->ctl, "%s", v);
	else if (KEY("vtime"))
		snprintf(in->vtime, sizeof in->vtime, "%s", v);
	else if (KEY("probe"))
		snprintf(in->probe, sizeof in->probe, "%s", v);
	else if (KEY("pace"))
		snprintf(in->pace, sizeof in->pace, "%s", v);
	else if (KEY("tcp"))
		snprintf(in->tcp, sizeof in->tcp, "%s", v);
	else if (KEY("clock_hz"))
		in->clock_hz = strtod(v, NULL);
	else if (KEY("baud"))
		in->baud = strtod(v, NULL);
	else if (KEY("ina219"))
		in->ina219_addr = (unsigned)strtoul(v, NULL, 0);
	else if (KEY("shunt_uohm"))
		in->shunt_uohm = strtod(v, NULL);
	else if (KEY("rail_mv"))
		in->rail_mv = strtod(v, NULL);
#undef KEY
}

static void reap(pid_t pid)
{
	int st;
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
}

enum hb_status hb_vboard_start(const char *exe, const char *const *args, int timeout_ms,
			       struct hb_vboard_proc **out)
{
	char path[PATH_MAX];
	const char *argv[64];
	int pfd[2], argc = 0;
	enum hb_status st;

	*out = NULL;
	if (!exe) {
		st = hb_vboard_find_exe(path, sizeof path);
		if (st != HB_OK)
			return st;
		exe = path;
	}
	argv[argc++] = exe;
	for (int i = 0; args && args[i]; i++) {
		if (argc == 63)
			return HB_ERR_ARG;
		argv[argc++] = args[i];
	}
	argv[argc] = NULL;
	if (pipe2(pfd, O_CLOEXEC))
		return HB_ERR_IO;
	pid_t pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return HB_ERR_IO;
	}
	if (pid == 0) {
		/* The board must not outlive its parent (a crashed run would leave it spinning). */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		/* Its own process group: a Ctrl-C at the terminal reaches hilbench only, which then
		 * finishes its step and stops the board itself (keeping what it measured). */
		setpgid(0, 0);
		dup2(pfd[1], STDOUT_FILENO);
		execv(exe, (char *const *)argv);
		fprintf(stderr, "cannot run %s: %s\n", exe, strerror(errno));
		_exit(127);
	}
	close(pfd[1]);

	struct hb_vboard_proc *p = calloc(1, sizeof *p);
	if (!p) {
		close(pfd[0]);
		reap(pid);
		return HB_ERR_NOMEM;
	}
	p->pid = pid;
	p->ctl_fd = -1;
	char buf[4096];
	size_t n = 0;
	int64_t deadline = mono_ms() + timeout_ms;
	int ready = 0;
	st = HB_ERR_TIMEOUT;
	while (!ready) {
		int64_t left = deadline - mono_ms();
		if (left <= 0)
			break;
		struct pollfd pf = {.fd = pfd[0], .events = POLLIN};
		int r = poll(&pf, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		ssize_t got = read(pfd[0], buf + n, sizeof buf - 1 - n);
		if (got <= 0) {
			st = HB_ERR_GONE; /* exited before ready */
			break;
		}
		n += (size_t)got;
		buf[n] = 0;
		char *line = buf, *nl;
		while ((nl = strchr(line, '\n'))) {
			*nl = 0;
			if (strcmp(line, "ready") == 0)
				ready = 1;
			else
				kv(&p->info, line);
			line = nl + 1;
		}
		n = strlen(line);
		memmove(buf, line, n + 1);
		if (n == sizeof buf - 1)
			n = 0;
	}
	close(pfd[0]);
	if (!ready || !p->info.uart[0] || !p->info.ctl[0]) {
		int ws;
		pid_t w = 0;
		/* After EOF the child is exiting: give it a moment to become reapable. */
		for (int i = 0; i < 200 && st == HB_ERR_GONE && (w = waitpid(pid, &ws, WNOHANG)) == 0; i++) {
			struct timespec ts = {0, 5000000};
			nanosleep(&ts, NULL);
		}
		if (w == pid || (w == 0 && waitpid(pid, &ws, WNOHANG) == pid)) {
			if (WIFEXITED(ws))
				hb_err("%s exited with status %d before it was ready", exe,
				       WEXITSTATUS(ws));
			else
				hb_err("%s died (signal %d) before it was ready", exe, WTERMSIG(ws));
			p->pid = 0;
		} else {
			hb_err("%s not ready after %d ms", exe, timeout_ms);
			reap(pid);
		}
		if (p->pid) /* reaped above */
			p->pid = 0;
		free(p);
		return ready ? HB_ERR_PROTO : (st == HB_ERR_GONE ? HB_ERR_GONE : HB_ERR_TIMEOUT);
	}
	*out = p;
	return HB_OK;
}

const struct hb_vboard_info *hb_vboard_info(const struct hb_vboard_proc *p) { return &p->info; }
pid_t hb_vboard_pid(const struct hb_vboard_proc *p) { return p->pid; }

static enum hb_status ctl_connect(struct hb_vboard_proc *p)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (p->ctl_fd >= 0)
		return HB_OK;
	if (strlen(p->info.ctl) >= sizeof a.sun_path)
		return HB_ERR_ARG;
	strcpy(a.sun_path, p->info.ctl);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return HB_ERR_IO;
	if (connect(fd, (struct sockaddr *)&a, sizeof a)) {
		hb_err("cannot connect to %s: %s", p->info.ctl, strerror(errno));
		close(fd);
		return HB_ERR_GONE;
	}
	p->ctl_fd = fd;
	p->rn = 0;
	return HB_OK;
}

enum hb_status hb_vboard_ctl(struct hb_vboard_proc *p, const char *cmd, char *reply, size_t cap,
			     int timeout_ms)
{
	enum hb_status st = ctl_connect(p);
	char line[512];
	if (st != HB_OK)
		return st;
	int len = snprintf(line, sizeof line, "%s\n", cmd);
	if (len <= 0 || (size_t)len >= sizeof line || strchr(cmd, '\n'))
		return HB_ERR_ARG;
	if (send(p->ctl_fd, line, (size_t)len, MSG_NOSIGNAL) != len)
		goto gone;
	int64_t deadline = mono_ms() + timeout_ms;
	for (;;) {
		char *nl = memchr(p->rbuf, '\n', p->rn);
		if (nl) {
			size_t l = (size_t)(nl - p->rbuf);
			if (reply && cap) {
				size_t c = l < cap - 1 ? l : cap - 1;
				memcpy(reply, p->rbuf, c);
				reply[c] = 0;
			}
			int ok = l >= 2 && strncmp(p->rbuf, "ok", 2) == 0;
			memmove(p->rbuf, nl + 1, p->rn - l - 1);
			p->rn -= l + 1;
			return ok ? HB_OK : HB_ERR_PROTO;
		}
		int64_t left = deadline - mono_ms();
		if (left <= 0)
			return HB_ERR_TIMEOUT;
		struct pollfd pf = {.fd = p->ctl_fd, .events = POLLIN};
		int r = poll(&pf, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		if (p->rn == sizeof p->rbuf)
			p->rn = 0;
		ssize_t got = recv(p->ctl_fd, p->rbuf + p->rn, sizeof p->rbuf - p->rn, 0);
		if (got <= 0)
			goto gone;
		p->rn += (size_t)got;
	}
gone:
	close(p->ctl_fd);
	p->ctl_fd = -1;
	return HB_ERR_GONE;
}

static const char *field(const char *line, const char *key)
{
	size_t kl = strlen(key);
	for (const char *s = line; (s = strstr(s, key)); s += kl) {
		if ((s == line || s[-1] == ' ') && s[kl] == '=')
			return s + kl + 1;
	}
	return NULL;
}

enum hb_status hb_vboard_parse_truth(const char *line, struct hb_vboard_truth *out)
{
	const char *v;
	memset(out, 0, sizeof *out);
	if (strncmp(line, "ok ", 3) != 0)
		return HB_ERR_PROTO;
#define NUM(key, dst, conv) \
	do { \
		if (!(v = field(line, key))) \
			return HB_ERR_FORMAT; \
		dst = conv; \
	} while (0)
	NUM("cycles", out->cycles, strtoull(v, NULL, 10));
	NUM("energy_nj", out->energy_nj, strtod(v, NULL));
	NUM("avg_power_mw", out->avg_power_mw, strtod(v, NULL));
	NUM("idle_power_mw", out->idle_power_mw, strtod(v, NULL));
	NUM("clock_hz", out->clock_hz, strtod(v, NULL));
#undef NUM
	if ((v = field(line, "busy_cycles")))
		out->busy_cycles = strtoull(v, NULL, 10);
	if ((v = field(line, "done")))
		out->done = strtoull(v, NULL, 10);
	if ((v = field(line, "core_energy_nj")))
		out->core_energy_nj = strtod(v, NULL);
	if ((v = field(line, "exact")))
		out->exact = atoi(v);
	return HB_OK;
}

enum hb_status hb_vboard_truth(struct hb_vboard_proc *p, uint64_t c0, uint64_t c1,
			       struct hb_vboard_truth *out)
{
	char cmd[96], reply[512];
	snprintf(cmd, sizeof cmd, "truth %llu %llu", (unsigned long long)c0, (unsigned long long)c1);
	enum hb_status st = hb_vboard_ctl(p, cmd, reply, sizeof reply, 2000);
	if (st == HB_ERR_PROTO)
		hb_err("truth %llu %llu: %s", (unsigned long long)c0, (unsigned long long)c1, reply);
	if (st != HB_OK)
		return st;
	return hb_vboard_parse_truth(reply, out);
}

enum hb_status hb_vboard_now(struct hb_vboard_proc *p, uint64_t *cycle, double *sim_ns)
{
	char reply[256];
	const char *v;
	enum hb_status st = hb_vboard_ctl(p, "now", reply, sizeof reply, 2000);
	if (st != HB_OK)
		return st;
	if (!(v = field(reply, "cycle")))
		return HB_ERR_FORMAT;
	if (cycle)
		*cycle = strtoull(v, NULL, 10);
	if (sim_ns && (v = field(reply, "sim_ns")))
		*sim_ns = strtod(v, NULL);
	return HB_OK;
}

enum hb_status hb_vboard_fault(struct hb_vboard_proc *p, const char *name, const char *arg)
{
	char cmd[128], reply[256];
	snprintf(cmd, sizeof cmd, "fault %s%s%s", name, arg ? " " : "", arg ? arg : "");
	enum hb_status st = hb_vboard_ctl(p, cmd, reply, sizeof reply, 2000);
	if (st == HB_ERR_PROTO)
		hb_err("%s: %s", cmd, reply);
	return st;
}

enum hb_status hb_vboard_stop(struct hb_vboard_proc *p, int timeout_ms, int *exit_status)
{
	enum hb_status st = HB_OK;
	int ws = 0;
	if (!p)
		return HB_ERR_ARG;
	if (p->ctl_fd >= 0)
		close(p->ctl_fd);
	if (p->pid > 0) {
		kill(p->pid, SIGTERM);
		int64_t deadline = mono_ms() + timeout_ms;
		pid_t r;
		while ((r = waitpid(p->pid, &ws, WNOHANG)) == 0 && mono_ms() < deadline) {
			struct timespec ts = {0, 5000000};
			nanosleep(&ts, NULL);
		}
		if (r == 0) {
			hb_warn("virtual board (pid %d) ignored SIGTERM for %d ms: killing it",
				(int)p->pid, timeout_ms);
			kill(p->pid, SIGKILL);
			waitpid(p->pid, &ws, 0);
			st = HB_ERR_TIMEOUT;
		}
		if (exit_status)
			*exit_status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
	}
	free(p);
	return st;
}
