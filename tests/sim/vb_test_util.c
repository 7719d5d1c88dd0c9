#define _GNU_SOURCE
#include "vb_test_util.h"

#ifdef VBT_WITH_LINK
#include "hb_link_client.h"
#include "hb_model.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

int vbt_pty_open(const char *path)
{
	struct termios t;
	int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -1;
	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(fd, TCSANOW, &t);
	}
	return fd;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int vbt_read(int fd, uint8_t *buf, size_t n, int timeout_ms)
{
	size_t got = 0;
	long long end = now_ms() + timeout_ms;
	while (got < n) {
		long long left = end - now_ms();
		if (left <= 0)
			break;
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		int r = poll(&pf, 1, (int)left);
		if (r <= 0)
			continue;
		ssize_t k = read(fd, buf + got, n - got);
		if (k > 0)
			got += (size_t)k;
		else if (k == 0 || (errno != EAGAIN && errno != EINTR))
			return got ? (int)got : -1;
	}
	return (int)got;
}

int vbt_i2c(const char *sock, uint8_t op, uint8_t addr, const uint8_t *w, uint8_t wn, uint8_t *r,
	    uint8_t rn)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	uint8_t req[4 + 255], resp[1 + 255];
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(a.sun_path, sizeof a.sun_path, "%s", sock);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	req[0] = op;
	req[1] = addr;
	req[2] = wn;
	req[3] = rn;
	if (wn)
		memcpy(req + 4, w, wn);
	if (write(fd, req, 4u + wn) != 4 + wn) {
		close(fd);
		return -1;
	}
	size_t got = 0, need = 1;
	while (got < need) {
		ssize_t k = read(fd, resp + got, sizeof resp - got);
		if (k <= 0) {
			close(fd);
			return -1;
		}
		got += (size_t)k;
		if (got >= 1 && resp[0] == 0)
			need = 1u + rn;
	}
	close(fd);
	if (resp[0] == 0 && rn)
		memcpy(r, resp + 1, rn);
	return resp[0];
}

int vbt_ina_read(const char *sock, uint8_t reg, uint16_t *v)
{
	uint8_t r[2];
	int st = vbt_i2c(sock, 'X', 0x40, &reg, 1, r, 2);
	*v = (uint16_t)(r[0] << 8 | r[1]);
	return st;
}

int vbt_ina_write(const char *sock, uint8_t reg, uint16_t v)
{
	uint8_t w[3] = {reg, (uint8_t)(v >> 8), (uint8_t)v};
	return vbt_i2c(sock, 'X', 0x40, w, 3, NULL, 0);
}

void vbt_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

double vbt_cpu_seconds(int pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	unsigned long ut = 0, st = 0;
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

#ifdef VBT_WITH_LINK
/* ---- a transport over the pty for the link client (the drivers' pty: backend is separate) */

static enum hb_status pt_read(struct hb_transport *t, void *buf, size_t cap, size_t *got,
			      int timeout_ms)
{
	struct vbt_pty_transport *p = t->priv;
	struct pollfd pf = {.fd = p->fd, .events = POLLIN};
	*got = 0;
	int r = poll(&pf, 1, timeout_ms);
	if (r == 0)
		return HB_ERR_TIMEOUT;
	ssize_t k = read(p->fd, buf, cap);
	if (k < 0 && errno == EAGAIN)
		return HB_ERR_TIMEOUT;
	if (k <= 0)
		return HB_ERR_GONE;
	*got = (size_t)k;
	return HB_OK;
}

static enum hb_status pt_write(struct hb_transport *t, const void *buf, size_t len, int timeout_ms)
{
	struct vbt_pty_transport *p = t->priv;
	const uint8_t *q = buf;
	while (len) {
		ssize_t k = write(p->fd, q, len);
		if (k < 0 && errno == EAGAIN) {
			struct pollfd pf = {.fd = p->fd, .events = POLLOUT};
			if (poll(&pf, 1, timeout_ms) <= 0)
				return HB_ERR_TIMEOUT;
			continue;
		}
		if (k <= 0)
			return HB_ERR_IO;
		q += k;
		len -= (size_t)k;
	}
	return HB_OK;
}

static enum hb_status pt_flush(struct hb_transport *t)
{
	struct vbt_pty_transport *p = t->priv;
	tcflush(p->fd, TCIOFLUSH);
	return HB_OK;
}

static const struct hb_transport_ops pt_ops = {
	.scheme = "testpty",
	.description = "test pty",
	.read = pt_read,
	.write = pt_write,
	.flush = pt_flush,
};

void vbt_pty_transport_init(struct vbt_pty_transport *p, struct hb_transport *t, int fd)
{
	memset(t, 0, sizeof *t);
	p->fd = fd;
	t->ops = &pt_ops;
	t->priv = p;
	t->baud = 3000000;
}

void vbt_netcfg_from(const struct hb_net *n, struct hb_link_netcfg *c)
{
	memset(c, 0, sizeof *c);
	c->n_layers = (uint8_t)n->n_layers;
	c->L = (uint16_t)n->L;
	c->in_seed = n->in_seed;
	c->in_stride = n->in_stride;
	c->sizes[0] = (uint16_t)n->layers[0].n_in;
	for (unsigned k = 0; k < n->n_layers; k++) {
		const struct hb_layer *ly = &n->layers[k];
		c->sizes[k + 1] = (uint16_t)ly->n_out;
		c->layer[k] = (struct hb_link_layer){ly->wt_seed, ly->wi_seed, ly->i_scale, ly->v_th,
						     ly->v_reset, ly->v_rest, ly->leak, ly->gain,
						     ly->refractory};
	}
	hb_link_netcfg_layout(c, NULL);
}
#endif
