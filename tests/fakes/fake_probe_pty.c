/* The simulated probe behind a pty (see fake_probe_pty.h). */
#define _GNU_SOURCE
#include "fake_probe_pty.h"

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static uint64_t wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *bridge(void *arg)
{
	struct fake_probe_pty *f = arg;
	struct hbp_host *h = f->sim->host;
	uint64_t w0 = wall_ns(), s0 = hbp_host_now_ns(h);
	uint8_t buf[4096];
	while (!f->stop) {
		struct pollfd pf = {.fd = f->master, .events = POLLIN};
		poll(&pf, 1, 1);
		ssize_t n = read(f->master, buf, sizeof buf);
		if (n > 0)
			hbp_host_uart_send(h, buf, (size_t)n);
		hbp_sim_advance(f->sim, s0 + (wall_ns() - w0));
		size_t m;
		while ((m = hbp_host_uart_recv(h, buf, sizeof buf)) > 0) {
			size_t off = 0;
			while (off < m) {
				ssize_t w = write(f->master, buf + off, m - off);
				if (w > 0)
					off += (size_t)w;
				else
					usleep(100);
			}
		}
	}
	return NULL;
}

struct fake_probe_pty *fake_probe_pty_new(void)
{
	struct fake_probe_pty *f = calloc(1, sizeof *f);
	if (!f)
		return NULL;
	f->master = f->slave_fd = -1;
	f->sim = hbp_sim_new(NULL);
	if (!f->sim) {
		free(f);
		return NULL;
	}
	return f;
}

int fake_probe_pty_start(struct fake_probe_pty *f)
{
	f->master = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK);
	if (f->master < 0 || grantpt(f->master) || unlockpt(f->master))
		return -1;
	snprintf(f->slave, sizeof f->slave, "%s", ptsname(f->master));
	snprintf(f->uri, sizeof f->uri, "probe:pty:%s", f->slave);
	/* Raw from the start: the probe's BOOT frame must not be echoed back to it. */
	f->slave_fd = open(f->slave, O_RDWR | O_NOCTTY);
	if (f->slave_fd < 0)
		return -1;
	struct termios t;
	tcgetattr(f->slave_fd, &t);
	cfmakeraw(&t);
	tcsetattr(f->slave_fd, TCSANOW, &t);
	return pthread_create(&f->thread, NULL, bridge, f) ? -1 : 0;
}

void fake_probe_pty_free(struct fake_probe_pty *f)
{
	if (!f)
		return;
	if (f->master >= 0) {
		f->stop = 1;
		pthread_join(f->thread, NULL);
		close(f->master);
	}
	if (f->slave_fd >= 0)
		close(f->slave_fd);
	hbp_sim_free(f->sim);
	free(f);
}
