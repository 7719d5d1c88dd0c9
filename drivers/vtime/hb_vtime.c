/* hilbench — virtual time, host side (hb_vtime.h; wire format hb_vtime_proto.h). */
#include "hb_vtime.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "hb_vtime_proto.h"

#define LOG_PREFIX "vtime"
#include "hb_log.h"

#define MAX_PORTS 32

struct hb_vtime_port {
	struct hb_vtime *vt;
	int fd;
	uint64_t cycle;        /* the board's time at this port's last reply */
	/* UART bytes received and not yet read, per channel (enum hb_vtime_uart) */
	uint8_t rx[HB_VTIME_UART_N][HB_VT_MAX_PAYLOAD];
	size_t rx_off[HB_VTIME_UART_N], rx_len[HB_VTIME_UART_N];
	int parked;
	int dead;              /* the connection failed: every request fails, sleeps return */
};

struct hb_vtime {
	char path[108];
	double clock_hz, baud;
	struct hb_clock clock;
	pthread_mutex_t mu;    /* ports[] */
	struct hb_vtime_port *ports[MAX_PORTS];
	_Atomic uint64_t last_cycle; /* the latest time any port has seen */
	_Atomic uint64_t n_req, n_wait, n_rx, n_tx, n_i2c;
};

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static struct hb_vtime *g_open[4];
static volatile sig_atomic_t *g_abort;
static __thread struct hb_vtime_port *t_port;
static pthread_key_t g_key;
static pthread_once_t g_key_once = PTHREAD_ONCE_INIT;

static void port_free(struct hb_vtime_port *p);

static void thread_exit(void *arg)
{
	struct hb_vtime_port *p = arg;
	if (p)
		port_free(p);
}

static void make_key(void)
{
	pthread_key_create(&g_key, thread_exit);
}

void hb_vtime_set_abort_flag(volatile sig_atomic_t *flag)
{
	g_abort = flag;
}

/* ---- time arithmetic ---------------------------------------------------------------- */

uint64_t hb_vtime_cycle_to_ns(const struct hb_vtime *vt, uint64_t cycle)
{
	return (uint64_t)floorl((long double)cycle * 1e9L / (long double)vt->clock_hz);
}

static uint64_t ns_to_cycle_ceil(const struct hb_vtime *vt, uint64_t ns)
{
	return (uint64_t)ceill((long double)ns * (long double)vt->clock_hz / 1e9L);
}

/* ---- the wire ------------------------------------------------------------------------ */

static enum hb_status send_all(struct hb_vtime_port *p, const uint8_t *b, size_t n)
{
	while (n) {
		ssize_t w = send(p->fd, b, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (!p->dead)
				hb_err("the virtual board's time socket %s: send: %s", p->vt->path,
				       w < 0 ? strerror(errno) : "closed");
			p->dead = 1;
			return HB_ERR_GONE;
		}
		b += w;
		n -= (size_t)w;
	}
	return HB_OK;
}

static enum hb_status recv_all(struct hb_vtime_port *p, uint8_t *b, size_t n)
{
	while (n) {
		ssize_t r = recv(p->fd, b, n, 0);
		if (r < 0 && errno == EINTR) {
			if (g_abort && *g_abort) {
				/* The reply is still on its way: this connection is out of step. */
				p->dead = 1;
				return HB_ERR_INTERRUPTED;
			}
			continue;
		}
		if (r <= 0) {
			if (!p->dead)
				hb_err("the virtual board's time socket %s: %s (board gone?)", p->vt->path,
				       r < 0 ? strerror(errno) : "closed by the board");
			p->dead = 1;
			return HB_ERR_GONE;
		}
		b += r;
		n -= (size_t)r;
	}
	return HB_OK;
}

static enum hb_status request(struct hb_vtime_port *p, uint8_t op, uint8_t flags, uint64_t arg,
			      const void *payload, size_t len)
{
	uint8_t buf[HB_VT_HDR + HB_VT_MAX_PAYLOAD];
	if (p->dead)
		return HB_ERR_GONE;
	if (len > HB_VT_MAX_PAYLOAD)
		return HB_ERR_RANGE;
	hb_vt_put_hdr(buf, op, flags, (uint16_t)len, arg);
	if (len)
		memcpy(buf + HB_VT_HDR, payload, len);
	atomic_fetch_add(&p->vt->n_req, 1);
	p->parked = op == HB_VT_PARK;
	return send_all(p, buf, HB_VT_HDR + len);
}

/* Read one reply of kind `want`; payload into pl (cap bytes), its length into *plen. */
static enum hb_status reply(struct hb_vtime_port *p, uint8_t want, uint8_t *status, void *pl,
			    size_t cap, size_t *plen)
{
	uint8_t h[HB_VT_HDR], op, st;
	uint16_t len;
	uint64_t cyc;
	enum hb_status rc = recv_all(p, h, sizeof h);
	if (rc != HB_OK)
		return rc;
	hb_vt_get_hdr(h, &op, &st, &len, &cyc);
	if (op != want || len > cap) {
		hb_err("the virtual board's time socket %s: reply '%c' (%u bytes) where '%c' was due",
		       p->vt->path, op >= 32 && op < 127 ? op : '?', len, want);
		p->dead = 1;
		return HB_ERR_PROTO;
	}
	if (len && (rc = recv_all(p, pl, len)) != HB_OK)
		return rc;
	if (cyc < p->cycle) {
		hb_err("the virtual board's time went backwards (%llu after %llu)",
		       (unsigned long long)cyc, (unsigned long long)p->cycle);
		p->dead = 1;
		return HB_ERR_PROTO;
	}
	p->cycle = cyc;
	uint64_t seen = atomic_load(&p->vt->last_cycle);
	while (cyc > seen && !atomic_compare_exchange_weak(&p->vt->last_cycle, &seen, cyc))
		;
	if (status)
		*status = st;
	if (plen)
		*plen = len;
	return HB_OK;
}

static enum hb_status connect_port(struct hb_vtime *vt, struct hb_vtime_port **out)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	struct hb_vtime_port *p = calloc(1, sizeof *p);
	if (!p)
		return HB_ERR_NOMEM;
	p->vt = vt;
	snprintf(a.sun_path, sizeof a.sun_path, "%s", vt->path);
	p->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (p->fd < 0 || connect(p->fd, (struct sockaddr *)&a, sizeof a) != 0) {
		hb_err("cannot connect to the virtual board's time socket %s: %s", vt->path,
		       strerror(errno));
		if (p->fd >= 0)
			close(p->fd);
		free(p);
		return errno == ENOENT || errno == ECONNREFUSED ? HB_ERR_NOTFOUND : HB_ERR_IO;
	}
	/* HELLO is answered once the board has registered the port: from then on it holds time
	 * for it, so nothing happens on the board between here and this port's first wait. */
	uint8_t pl[16];
	size_t len = 0;
	enum hb_status st = request(p, HB_VT_HELLO, 0, 0, NULL, 0);
	if (st == HB_OK)
		st = reply(p, HB_VT_TIME, NULL, pl, sizeof pl, &len);
	if (st == HB_OK && len == 16 && vt->clock_hz == 0) {
		memcpy(&vt->clock_hz, pl, 8);
		memcpy(&vt->baud, pl + 8, 8);
	}
	if (st == HB_OK && (len != 16 || !(vt->clock_hz > 0))) {
		hb_err("the virtual board's time socket %s: HELLO answered without a clock", vt->path);
		st = HB_ERR_PROTO;
	}
	if (st != HB_OK) {
		close(p->fd);
		free(p);
		return st;
	}
	pthread_mutex_lock(&vt->mu);
	int slot = -1;
	for (int i = 0; i < MAX_PORTS && slot < 0; i++)
		if (!vt->ports[i])
			slot = i;
	if (slot >= 0)
		vt->ports[slot] = p;
	pthread_mutex_unlock(&vt->mu);
	if (slot < 0) {
		close(p->fd);
		free(p);
		hb_err("more than %d threads talk to the virtual board", MAX_PORTS);
		return HB_ERR_RANGE;
	}
	*out = p;
	return HB_OK;
}

static void port_free(struct hb_vtime_port *p)
{
	struct hb_vtime *vt = p->vt;
	if (vt) {
		pthread_mutex_lock(&vt->mu);
		for (int i = 0; i < MAX_PORTS; i++)
			if (vt->ports[i] == p)
				vt->ports[i] = NULL;
		pthread_mutex_unlock(&vt->mu);
	}
	if (p->fd >= 0)
		close(p->fd); /* the board stops holding time for it */
	if (t_port == p)
		t_port = NULL;
	free(p);
}

void hb_vtime_port_attach(struct hb_vtime_port *p)
{
	pthread_once(&g_key_once, make_key);
	t_port = p;
	pthread_setspecific(g_key, p);
}

enum hb_status hb_vtime_port_new(struct hb_vtime *vt, struct hb_vtime_port **out)
{
	return connect_port(vt, out);
}

/* The calling thread's port, opened on first use (a thread the session did not prepare). */
static struct hb_vtime_port *port(struct hb_vtime *vt)
{
	if (t_port && t_port->vt == vt)
		return t_port;
	struct hb_vtime_port *p;
	if (connect_port(vt, &p) != HB_OK)
		return NULL;
	hb_vtime_port_attach(p);
	return p;
}

/* ---- the context --------------------------------------------------------------------- */

static uint64_t clk_now(struct hb_clock *c)
{
	return hb_vtime_now_ns(c->ctx);
}

static void clk_sleep(struct hb_clock *c, uint64_t ns)
{
	hb_vtime_sleep_ns(c->ctx, ns);
}

enum hb_status hb_vtime_open(const char *path, struct hb_vtime **out)
{
	*out = NULL;
	struct hb_vtime *vt = calloc(1, sizeof *vt);
	if (!vt)
		return HB_ERR_NOMEM;
	if (strlen(path) >= sizeof vt->path) {
		free(vt);
		return HB_ERR_ARG;
	}
	snprintf(vt->path, sizeof vt->path, "%s", path);
	pthread_mutex_init(&vt->mu, NULL);
	vt->clock = (struct hb_clock){.now_ns = clk_now, .sleep_ns = clk_sleep, .ctx = vt};
	struct hb_vtime_port *p;
	enum hb_status st = connect_port(vt, &p);
	if (st != HB_OK) {
		pthread_mutex_destroy(&vt->mu);
		free(vt);
		return st;
	}
	hb_vtime_port_attach(p);
	pthread_mutex_lock(&g_mu);
	for (int i = 0; i < 4; i++)
		if (!g_open[i]) {
			g_open[i] = vt;
			break;
		}
	pthread_mutex_unlock(&g_mu);
	*out = vt;
	return HB_OK;
}

struct hb_vtime *hb_vtime_find(const char *path)
{
	struct hb_vtime *r = NULL;
	pthread_mutex_lock(&g_mu);
	for (int i = 0; i < 4 && !r; i++)
		if (g_open[i] && strcmp(g_open[i]->path, path) == 0)
			r = g_open[i];
	pthread_mutex_unlock(&g_mu);
	return r;
}

void hb_vtime_close(struct hb_vtime *vt)
{
	if (!vt)
		return;
	pthread_mutex_lock(&g_mu);
	for (int i = 0; i < 4; i++)
		if (g_open[i] == vt)
			g_open[i] = NULL;
	pthread_mutex_unlock(&g_mu);
	for (int i = 0; i < MAX_PORTS; i++) {
		pthread_mutex_lock(&vt->mu);
		struct hb_vtime_port *p = vt->ports[i];
		vt->ports[i] = NULL;
		pthread_mutex_unlock(&vt->mu);
		if (p) {
			p->vt = NULL;
			if (t_port == p) {
				pthread_once(&g_key_once, make_key);
				pthread_setspecific(g_key, NULL);
			}
			port_free(p);
		}
	}
	pthread_mutex_destroy(&vt->mu);
	free(vt);
}

double hb_vtime_clock_hz(const struct hb_vtime *vt) { return vt->clock_hz; }
double hb_vtime_baud(const struct hb_vtime *vt) { return vt->baud; }
struct hb_clock *hb_vtime_clock(struct hb_vtime *vt) { return &vt->clock; }

uint64_t hb_vtime_now_cycle(struct hb_vtime *vt)
{
	/* A thread without a port (it never talked to the board) sees the latest time known. */
	if (t_port && t_port->vt == vt)
		return t_port->cycle;
	return atomic_load(&vt->last_cycle);
}

uint64_t hb_vtime_now_ns(struct hb_vtime *vt)
{
	return hb_vtime_cycle_to_ns(vt, hb_vtime_now_cycle(vt));
}

static uint8_t ch_flag(unsigned ch)
{
	return ch == HB_VTIME_UART_PROBE ? HB_VT_CH_PROBE : 0;
}

/* WAIT until `deadline` (cycles); with rx, also until bytes of UART channel ch arrive (kept
 * in the port). */
static enum hb_status wait_until(struct hb_vtime_port *p, uint64_t deadline, int rx, unsigned ch)
{
	if (deadline <= p->cycle && !rx)
		return HB_OK;
	atomic_fetch_add(&p->vt->n_wait, 1);
	enum hb_status st = request(p, HB_VT_WAIT, rx ? (uint8_t)(HB_VT_WAKE_RX | ch_flag(ch)) : 0,
				    deadline, NULL, 0);
	size_t len = 0;
	if (st == HB_OK)
		st = reply(p, HB_VT_TIME, NULL, p->rx[ch], sizeof p->rx[ch], &len);
	if (st == HB_OK && len) {
		if (!rx) {
			hb_err("the virtual board sent UART bytes to a wait that did not ask for them");
			p->dead = 1;
			return HB_ERR_PROTO;
		}
		p->rx_off[ch] = 0;
		p->rx_len[ch] = len;
		atomic_fetch_add(&p->vt->n_rx, len);
	}
	return st;
}

enum hb_status hb_vtime_sleep_ns(struct hb_vtime *vt, uint64_t ns)
{
	struct hb_vtime_port *p = port(vt);
	if (!p)
		return HB_ERR_GONE;
	if (p->dead) {
		/* Keep the caller's loops finite: its view of time still moves on. */
		p->cycle += ns_to_cycle_ceil(vt, ns) + 1;
		return HB_ERR_GONE;
	}
	uint64_t now_ns = hb_vtime_cycle_to_ns(vt, p->cycle);
	uint64_t deadline = ns_to_cycle_ceil(vt, now_ns + ns);
	if (ns && deadline <= p->cycle)
		deadline = p->cycle + 1;
	return wait_until(p, deadline, 0, 0);
}

void hb_vtime_park(struct hb_vtime *vt)
{
	struct hb_vtime_port *p = t_port && t_port->vt == vt ? t_port : NULL;
	if (p && !p->dead && !p->parked)
		request(p, HB_VT_PARK, 0, 0, NULL, 0);
}

enum hb_status hb_vtime_resume(struct hb_vtime *vt)
{
	struct hb_vtime_port *p = port(vt);
	if (!p)
		return HB_ERR_GONE;
	if (!p->parked)
		return HB_OK;
	enum hb_status st = request(p, HB_VT_NOW, 0, 0, NULL, 0);
	return st == HB_OK ? reply(p, HB_VT_TIME, NULL, NULL, 0, NULL) : st;
}

enum hb_status hb_vtime_uart_write_ch(struct hb_vtime *vt, unsigned ch, const void *buf,
				      size_t len)
{
	struct hb_vtime_port *p = port(vt);
	if (!p)
		return HB_ERR_GONE;
	if (ch >= HB_VTIME_UART_N)
		return HB_ERR_ARG;
	const uint8_t *b = buf;
	while (len) {
		size_t n = len < HB_VT_MAX_PAYLOAD ? len : HB_VT_MAX_PAYLOAD;
		enum hb_status st = request(p, HB_VT_UART, ch_flag(ch), 0, b, n);
		if (st != HB_OK)
			return st;
		atomic_fetch_add(&vt->n_tx, n);
		b += n;
		len -= n;
	}
	return HB_OK;
}

enum hb_status hb_vtime_uart_read_ch(struct hb_vtime *vt, unsigned ch, void *buf, size_t cap,
				     size_t *got, uint64_t timeout_ns)
{
	struct hb_vtime_port *p = port(vt);
	*got = 0;
	if (!p)
		return HB_ERR_GONE;
	if (ch >= HB_VTIME_UART_N)
		return HB_ERR_ARG;
	if (p->rx_len[ch] == 0) {
		uint64_t now_ns = hb_vtime_cycle_to_ns(vt, p->cycle);
		uint64_t deadline = ns_to_cycle_ceil(vt, now_ns + timeout_ns);
		enum hb_status st = wait_until(p, deadline, 1, ch);
		if (st != HB_OK)
			return st;
		if (p->rx_len[ch] == 0)
			return HB_ERR_TIMEOUT;
	}
	size_t n = p->rx_len[ch] < cap ? p->rx_len[ch] : cap;
	memcpy(buf, p->rx[ch] + p->rx_off[ch], n);
	p->rx_off[ch] += n;
	p->rx_len[ch] -= n;
	*got = n;
	return HB_OK;
}

enum hb_status hb_vtime_uart_flush_ch(struct hb_vtime *vt, unsigned ch)
{
	struct hb_vtime_port *p = port(vt);
	if (!p)
		return HB_ERR_GONE;
	if (ch >= HB_VTIME_UART_N)
		return HB_ERR_ARG;
	p->rx_len[ch] = p->rx_off[ch] = 0;
	return request(p, HB_VT_FLUSH, ch_flag(ch), 0, NULL, 0);
}

enum hb_status hb_vtime_uart_write(struct hb_vtime *vt, const void *buf, size_t len)
{
	return hb_vtime_uart_write_ch(vt, HB_VTIME_UART_BOARD, buf, len);
}

enum hb_status hb_vtime_uart_read(struct hb_vtime *vt, void *buf, size_t cap, size_t *got,
				  uint64_t timeout_ns)
{
	return hb_vtime_uart_read_ch(vt, HB_VTIME_UART_BOARD, buf, cap, got, timeout_ns);
}

enum hb_status hb_vtime_uart_flush(struct hb_vtime *vt)
{
	return hb_vtime_uart_flush_ch(vt, HB_VTIME_UART_BOARD);
}

enum hb_status hb_vtime_i2c(struct hb_vtime *vt, uint8_t addr7, const uint8_t *w, size_t wn,
			    uint8_t *r, size_t rn, uint8_t *status)
{
	struct hb_vtime_port *p = port(vt);
	if (!p)
		return HB_ERR_GONE;
	if (wn > 255 || rn > 255)
		return HB_ERR_RANGE;
	uint8_t req[3 + 255];
	req[0] = addr7;
	req[1] = (uint8_t)wn;
	req[2] = (uint8_t)rn;
	if (wn)
		memcpy(req + 3, w, wn);
	atomic_fetch_add(&vt->n_i2c, 1);
	enum hb_status st = request(p, HB_VT_I2C, 0, 0, req, 3 + wn);
	uint8_t resp[255];
	size_t len = 0;
	if (st == HB_OK)
		st = reply(p, HB_VT_I2C_REPLY, status, resp, sizeof resp, &len);
	if (st != HB_OK)
		return st;
	if (*status == 0) {
		if (len != rn) {
			hb_err("the virtual board answered an I2C read of %zu bytes with %zu", rn, len);
			return HB_ERR_PROTO;
		}
		if (rn)
			memcpy(r, resp, rn);
	}
	return HB_OK;
}

static enum hb_status bus_op(struct hb_vtime *vt, uint8_t op, uint64_t arg, uint8_t *status,
			     uint8_t *byte)
{
	struct hb_vtime_port *p = port(vt);
	if (!p)
		return HB_ERR_GONE;
	enum hb_status st = request(p, op, 0, arg, NULL, 0);
	size_t len = 0;
	uint8_t pl[4] = {0xFF};
	if (st == HB_OK)
		st = reply(p, HB_VT_I2C_REPLY, status, pl, sizeof pl, &len);
	if (st == HB_OK && byte)
		*byte = len ? pl[0] : 0xFF;
	return st;
}

enum hb_status hb_vtime_i2c_start(struct hb_vtime *vt, uint8_t addr7, int read, int *ack)
{
	uint8_t st = 1;
	enum hb_status rc = bus_op(vt, HB_VT_I2C_ADDR, (uint64_t)(addr7 << 1 | (read ? 1 : 0)), &st, NULL);
	*ack = rc == HB_OK && st == 0;
	return rc;
}

enum hb_status hb_vtime_i2c_write_byte(struct hb_vtime *vt, uint8_t v, int *ack)
{
	uint8_t st = 2;
	enum hb_status rc = bus_op(vt, HB_VT_I2C_WBYTE, v, &st, NULL);
	*ack = rc == HB_OK && st == 0;
	return rc;
}

enum hb_status hb_vtime_i2c_read_byte(struct hb_vtime *vt, int master_ack, uint8_t *v)
{
	uint8_t st = 0;
	return bus_op(vt, HB_VT_I2C_RBYTE, master_ack ? 1 : 0, &st, v);
}

enum hb_status hb_vtime_i2c_stop(struct hb_vtime *vt)
{
	struct hb_vtime_port *p = port(vt);
	if (!p)
		return HB_ERR_GONE;
	return request(p, HB_VT_I2C_STOP, 0, 0, NULL, 0);
}

void hb_vtime_get_stats(struct hb_vtime *vt, struct hb_vtime_stats *out)
{
	out->requests = atomic_load(&vt->n_req);
	out->waits = atomic_load(&vt->n_wait);
	out->rx_bytes = atomic_load(&vt->n_rx);
	out->tx_bytes = atomic_load(&vt->n_tx);
	out->i2c = atomic_load(&vt->n_i2c);
}
