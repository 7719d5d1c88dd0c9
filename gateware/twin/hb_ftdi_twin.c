/* hilbench — the board twin's FTDI chips (hb_ftdi_twin.h). */
#define LOG_PREFIX "ftdi-twin"
#include "hb_ftdi_twin.h"

#include <ftdi.h>
#include <libusb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb_ftdi_api.h"
#include "hb_ftdi_chips.h"
#include "hb_log.h"

#define MAX_DEVS 4
#define BUF_CAP 65536

static struct {
	struct hb_vtime *vt;
	struct hb_ftdi_twin_dev dev[MAX_DEVS];
	size_t n;
	pthread_mutex_t mu; /* stats */
	struct hb_ftdi_twin_stats st;
} g = {.mu = PTHREAD_MUTEX_INITIALIZER};

#define STAT(field, v)                                                                             \
	do {                                                                                       \
		pthread_mutex_lock(&g.mu);                                                         \
		g.st.field += (v);                                                                 \
		pthread_mutex_unlock(&g.mu);                                                       \
	} while (0)

enum { PIN_SCL = 0x01, PIN_SDA_OUT = 0x02, PIN_SDA_IN = 0x04 };

struct twin_ctx {
	struct ftdi_context c;     /* first: the callers hold a struct ftdi_context * */
	const struct hb_ftdi_chip *chip;
	const struct hb_ftdi_twin_dev *dev;
	int iface;                 /* 1..4 (INTERFACE_A..D) */
	int open, mpsse;
	uint32_t baud;
	unsigned latency_ms;
	uint64_t last_pkt_ns;      /* when the chip last sent an IN packet */
	/* IN data: UART bytes from the board, or MPSSE answers */
	uint8_t in[BUF_CAP];
	size_t in_len;
	uint64_t flush_ns;         /* MPSSE: SEND_IMMEDIATE asked for a packet at this time */
	int flush_pending;
	/* MPSSE engine */
	unsigned divisor, div5, three_phase;
	int scl, sda_low;          /* lines as the host drives them (open drain) */
	int in_txn, expect_addr, rd, ack_pending, ack;
	int wired;                 /* this interface's MPSSE pins are the board's I2C bus */
	char err[160];
};

/* ---- time ----------------------------------------------------------------------------------- */

static uint64_t now_ns(void)
{
	return hb_vtime_now_ns(g.vt);
}

static void sleep_until(uint64_t t)
{
	uint64_t n = now_ns();
	if (t > n)
		hb_vtime_sleep_ns(g.vt, t - n);
}

/* The next USB (micro)frame boundary at or after t. */
static uint64_t next_frame(const struct twin_ctx *x, uint64_t t)
{
	uint64_t f = x->chip->usb_frame_ns;
	return (t + f - 1) / f * f;
}

static uint32_t fifo_bytes(const struct twin_ctx *x)
{
	return x->chip->high_speed ? 4096 : 512;
}

static void set_err(struct twin_ctx *x, const char *msg)
{
	snprintf(x->err, sizeof x->err, "%s", msg);
	x->c.error_str = x->err;
}

/* ---- the libftdi calls ------------------------------------------------------------------------ */

static struct ftdi_context *t_new(void)
{
	struct twin_ctx *x = calloc(1, sizeof *x);
	if (!x)
		return NULL;
	x->iface = INTERFACE_A;
	x->latency_ms = 16;
	x->c.usb_read_timeout = 5000;
	x->c.usb_write_timeout = 5000;
	return &x->c;
}

static void t_free(struct ftdi_context *c)
{
	free((struct twin_ctx *)c);
}

static int t_set_interface(struct ftdi_context *c, enum ftdi_interface i)
{
	struct twin_ctx *x = (struct twin_ctx *)c;
	x->iface = i == INTERFACE_ANY ? INTERFACE_A : (int)i;
	return 0;
}

static int t_detach(struct ftdi_context *c, enum ftdi_module_detach_mode m)
{
	(void)c;
	(void)m;
	return 0;
}

static int t_open(struct ftdi_context *c, int vid, int pid, const char *desc, const char *serial,
		  unsigned int index)
{
	struct twin_ctx *x = (struct twin_ctx *)c;
	(void)desc;
	unsigned seen = 0;
	for (size_t i = 0; i < g.n; i++) {
		const struct hb_ftdi_twin_dev *d = &g.dev[i];
		if (d->vid != vid || d->pid != pid)
			continue;
		if (serial && *serial && d->serial[0] && strcmp(serial, d->serial) != 0)
			continue;
		if (seen++ != index)
			continue;
		x->chip = hb_ftdi_chip_find(d->vid, d->pid);
		if (!x->chip) {
			set_err(x, "unsupported chip");
			return -3;
		}
		if (x->iface < 1 || (unsigned)x->iface > x->chip->n_interfaces) {
			set_err(x, "usb_claim_interface failed");
			return -5;
		}
		x->dev = d;
		x->open = 1;
		x->last_pkt_ns = now_ns();
		STAT(opens, 1);
		return 0;
	}
	set_err(x, "usb device not found");
	return -3;
}

static int t_close(struct ftdi_context *c)
{
	struct twin_ctx *x = (struct twin_ctx *)c;
	x->open = 0;
	return 0;
}

static int t_baud(struct ftdi_context *c, int baud)
{
	struct twin_ctx *x = (struct twin_ctx *)c;
	if (baud <= 0) {
		set_err(x, "Silly baudrate <= 0.");
		return -1;
	}
	if (!x->open) {
		set_err(x, "USB device unavailable");
		return -3;
	}
	if (hb_ftdi_chip_check_baud(x->chip, (uint32_t)baud, NULL, 0) != HB_OK) {
		STAT(refused_bauds, 1);
		set_err(x, "Unsupported baudrate. Note: bitbang baudrates are automatically multiplied by 4");
		return -1;
	}
	x->baud = hb_ftdi_chip_baud_actual(x->chip, (uint32_t)baud);
	return 0;
}

static int t_line(struct ftdi_context *c, enum ftdi_bits_type b, enum ftdi_stopbits_type s,
		  enum ftdi_parity_type p)
{
	(void)c;
	/* the board's UART is 8N1 */
	return b == BITS_8 && s == STOP_BIT_1 && p == NONE ? 0 : -1;
}

static int t_flow(struct ftdi_context *c, int f)
{
	(void)c;
	(void)f;
	return 0;
}

static int t_latency(struct ftdi_context *c, unsigned char l)
{
	struct twin_ctx *x = (struct twin_ctx *)c;
	if (l < 1) {
		set_err(x, "latency out of range. Only valid for 1-255");
		return -1;
	}
	x->latency_ms = l;
	return 0;
}

static int t_bitmode(struct ftdi_context *c, unsigned char mask, unsigned char mode)
{
	struct twin_ctx *x = (struct twin_ctx *)c;
	(void)mask;
	if (mode == BITMODE_MPSSE) {
		if (!(x->chip->mpsse_mask & (1u << (x->iface - 1)))) {
			set_err(x, "unable to configure bitbang mode. Perhaps not a BM/2232C type chip?");
			return -1;
		}
		x->mpsse = 1;
		x->wired = (x->dev->i2c_ifaces >> (x->iface - 1)) & 1;
		x->divisor = 0xFFFF;
		x->div5 = 1;
		x->three_phase = 0;
		x->scl = 1;
		x->sda_low = 0;
		x->in_txn = 0;
	} else {
		x->mpsse = 0;
	}
	x->in_len = 0;
	x->flush_pending = 0;
	return 0;
}

static int t_purge(struct ftdi_context *c)
{
	struct twin_ctx *x = (struct twin_ctx *)c;
	x->in_len = 0;
	x->flush_pending = 0;
	if (!x->mpsse && (x->dev->uart_ifaces & (1u << (x->iface - 1))))
		hb_vtime_uart_flush(g.vt);
	return 0;
}

static void t_timeouts(struct ftdi_context *c, int r, int w)
{
	c->usb_read_timeout = r;
	c->usb_write_timeout = w;
}

static const char *t_errstr(struct ftdi_context *c)
{
	return c->error_str ? c->error_str : "";
}

/* ---- UART ------------------------------------------------------------------------------------- */

static int uart_wired(const struct twin_ctx *x)
{
	return (x->dev->uart_ifaces >> (x->iface - 1)) & 1;
}

static int uart_write(struct twin_ctx *x, const uint8_t *b, int n)
{
	/* The bulk OUT transfer: (micro)frames of up to 13 (HS) or 19 (FS) packets. */
	uint32_t per_frame = x->chip->max_packet * (x->chip->high_speed ? 13u : 19u);
	uint64_t frames = ((uint64_t)n + per_frame - 1) / per_frame;
	uint64_t land = next_frame(x, now_ns()) + (frames ? frames - 1 : 0) * x->chip->usb_frame_ns;
	sleep_until(land);
	if (uart_wired(x) && hb_vtime_uart_write(g.vt, b, (size_t)n) != HB_OK) {
		set_err(x, "usb bulk write failed");
		return LIBUSB_ERROR_IO;
	}
	STAT(uart_bytes_out, (uint64_t)n);
	/* beyond the TX FIFO, the transfer waits while the UART drains it */
	if ((uint32_t)n > fifo_bytes(x) && x->baud)
		hb_vtime_sleep_ns(g.vt, ((uint64_t)n - fifo_bytes(x)) * 10u * 1000000000u / x->baud);
	return n;
}

/* Collect UART bytes the board sends until `until` or a packet's worth. */
static void uart_collect(struct twin_ctx *x, uint64_t until, size_t want)
{
	while (x->in_len < want && x->in_len < sizeof x->in) {
		uint64_t n = now_ns();
		if (n >= until)
			break;
		size_t got = 0;
		enum hb_status st = hb_vtime_uart_read(g.vt, x->in + x->in_len, want - x->in_len, &got,
						       until - n);
		if (st != HB_OK)
			break; /* timeout: until reached */
		x->in_len += got;
		STAT(uart_bytes_in, got);
	}
}

/* ---- MPSSE ------------------------------------------------------------------------------------ */

static void answer(struct twin_ctx *x, uint8_t v)
{
	if (x->in_len < sizeof x->in)
		x->in[x->in_len++] = v;
}

static uint64_t bit_ns(const struct twin_ctx *x)
{
	double base = x->div5 ? 12e6 : 60e6;
	double f = base / (2.0 * (1 + x->divisor));
	return (uint64_t)((x->three_phase ? 1.5 : 1.0) * 1e9 / f);
}

/* The host changed the pins: a START or STOP is an SDA edge while SCL is high. */
static void pins(struct twin_ctx *x, int scl, int sda_low, uint64_t *t)
{
	if (x->wired && x->scl && scl && sda_low != x->sda_low) {
		sleep_until(*t);
		if (sda_low) { /* START (or repeated START) */
			x->in_txn = 1;
			x->expect_addr = 1;
		} else if (x->in_txn) { /* STOP */
			hb_vtime_i2c_stop(g.vt);
			x->in_txn = 0;
		}
	}
	x->scl = scl;
	x->sda_low = sda_low;
}

/* One byte clocked out: the address after a START, else data; remember the ACK. */
static void byte_out(struct twin_ctx *x, uint8_t b)
{
	int ack = 0;
	if (x->in_txn && x->expect_addr) {
		hb_vtime_i2c_start(g.vt, b >> 1, b & 1, &ack);
		x->expect_addr = 0;
		x->rd = b & 1;
	} else if (x->in_txn && !x->rd) {
		hb_vtime_i2c_write_byte(g.vt, b, &ack);
	}
	x->ack_pending = 1;
	x->ack = ack;
	STAT(i2c_bytes, 1);
}

static uint8_t byte_in(struct twin_ctx *x)
{
	uint8_t v = 0xFF;
	if (x->in_txn && x->rd)
		hb_vtime_i2c_read_byte(g.vt, 1, &v);
	STAT(i2c_bytes, 1);
	return v;
}

/* Execute the commands in b[0..n) starting at time *t; returns bytes consumed (a command cut
 * at the end of the buffer waits for the next write: the MPSSE does the same). */
static size_t mpsse_run(struct twin_ctx *x, const uint8_t *b, size_t n, uint64_t *t)
{
	const uint64_t cmd_ns = 33; /* a non-clocking command: about two 60 MHz cycles */
	size_t i = 0;
	while (i < n) {
		uint8_t op = b[i];
		size_t need = 1;
		STAT(mpsse_cmds, 1);
		if (op < 0x80) {
			/* data shifting: bit 1 = bits (1 length byte) else bytes (2), bit 4 out, bit 5 in */
			int bits = op & 0x02, out = op & 0x10, in = op & 0x20;
			need = bits ? 2 : 3;
			if (i + need > n)
				return i;
			unsigned len = bits ? b[i + 1] + 1u : (unsigned)(b[i + 1] | b[i + 2] << 8) + 1u;
			size_t data = out ? (bits ? 1 : len) : 0;
			if (i + need + data > n)
				return i;
			const uint8_t *d = b + i + need;
			if (bits) {
				if (in) {
					/* the ACK after a written byte (SDA low = ACK), else the line */
					int line = x->ack_pending ? !x->ack : !x->sda_low;
					x->ack_pending = 0;
					answer(x, line ? (uint8_t)((1u << len) - 1) : 0);
				}
				/* bits out: the master's ACK/NACK after a read byte: nothing to do */
				*t += len * bit_ns(x);
			} else {
				for (unsigned k = 0; k < len; k++) {
					sleep_until(*t);
					if (out && !in)
						byte_out(x, d[k]);
					else if (in)
						answer(x, byte_in(x));
					*t += 8 * bit_ns(x);
				}
			}
			i += need + data;
			continue;
		}
		switch (op) {
		case 0x80: /* set low byte: value, direction */
			need = 3;
			if (i + need > n)
				return i;
			{
				uint8_t v = b[i + 1], dir = b[i + 2];
				int scl = (dir & PIN_SCL) ? (v & PIN_SCL) != 0 : 1;
				int sda_low = (dir & PIN_SDA_OUT) && !(v & PIN_SDA_OUT);
				pins(x, scl, sda_low, t);
			}
			break;
		case 0x82: need = 3; break;                      /* set high byte */
		case 0x81:                                        /* get low byte */
			answer(x, (uint8_t)((x->scl ? PIN_SCL : 0) | (x->sda_low ? 0 : PIN_SDA_OUT | PIN_SDA_IN)));
			break;
		case 0x83: answer(x, 0xFF); break;                /* get high byte */
		case 0x84: case 0x85: break;                      /* loopback on / off */
		case 0x86:                                        /* clock divisor */
			need = 3;
			if (i + need > n)
				return i;
			x->divisor = (unsigned)(b[i + 1] | b[i + 2] << 8);
			break;
		case 0x87:                                        /* send immediate */
			x->flush_pending = 1;
			x->flush_ns = *t;
			break;
		case 0x8A: x->div5 = 0; break;
		case 0x8B: x->div5 = 1; break;
		case 0x8C: x->three_phase = 1; break;
		case 0x8D: x->three_phase = 0; break;
		case 0x8E:                                        /* clock n+1 bits, no data */
			need = 2;
			if (i + need > n)
				return i;
			*t += (b[i + 1] + 1u) * bit_ns(x);
			break;
		case 0x8F:                                        /* clock (n+1)*8 bits, no data */
			need = 3;
			if (i + need > n)
				return i;
			*t += ((unsigned)(b[i + 1] | b[i + 2] << 8) + 1u) * 8u * bit_ns(x);
			break;
		case 0x96: case 0x97: break;                      /* adaptive clocking on / off */
		case 0x9E: need = 3; break;                       /* drive only zero (open drain) */
		default:                                          /* bad command: echoed */
			answer(x, 0xFA);
			answer(x, op);
			break;
		}
		if (i + need > n)
			return i;
		*t += cmd_ns;
		i += need;
	}
	return i;
}

/* ---- read and write --------------------------------------------------------------------------- */

static int t_write(struct ftdi_context *c, const unsigned char *buf, int size)
{
	struct twin_ctx *x = (struct twin_ctx *)c;
	if (!x->open)
		return -666;
	STAT(usb_writes, 1);
	if (!x->mpsse)
		return uart_write(x, buf, size);
	/* The commands land at the next frame boundary and run from there. */
	uint64_t t = next_frame(x, now_ns());
	sleep_until(t);
	size_t used = mpsse_run(x, buf, (size_t)size, &t);
	(void)used; /* a command cut short is dropped (hilbench never splits one) */
	return size;
}

static int t_read(struct ftdi_context *c, unsigned char *buf, int size)
{
	struct twin_ctx *x = (struct twin_ctx *)c;
	if (!x->open)
		return -666;
	STAT(usb_reads, 1);
	size_t packet = x->chip->max_packet - 2;
	uint64_t lat = (uint64_t)x->latency_ms * 1000000u;
	uint64_t t = now_ns();
	uint64_t pkt;
	if (x->mpsse) {
		if (x->flush_pending)
			pkt = next_frame(x, x->flush_ns > t ? x->flush_ns : t);
		else if (x->in_len >= packet)
			pkt = next_frame(x, t);
		else
			pkt = next_frame(x, x->last_pkt_ns + lat > t ? x->last_pkt_ns + lat : t);
		sleep_until(pkt);
	} else {
		/* a packet when the buffer holds a packet's worth, else when the latency timer
		 * runs out; UART bytes keep arriving meanwhile */
		uint64_t due = x->last_pkt_ns + lat > t ? x->last_pkt_ns + lat : t;
		if (uart_wired(x))
			uart_collect(x, due, packet);
		pkt = next_frame(x, now_ns());
		if (uart_wired(x))
			uart_collect(x, pkt, packet);
		sleep_until(pkt);
	}
	x->last_pkt_ns = pkt;
	x->flush_pending = 0;
	size_t n = x->in_len < (size_t)size ? x->in_len : (size_t)size;
	if (n > packet * 64)
		n = packet * 64;
	if (!n)
		STAT(empty_packets, 1);
	memcpy(buf, x->in, n);
	memmove(x->in, x->in + n, x->in_len - n);
	x->in_len -= n;
	return (int)n;
}

/* ---- install ---------------------------------------------------------------------------------- */

enum hb_status hb_ftdi_twin_install(struct hb_vtime *vt, const struct hb_ftdi_twin_dev *devs,
				    size_t n)
{
	if (!vt || n > MAX_DEVS)
		return HB_ERR_ARG;
	for (size_t i = 0; i < n; i++)
		if (!hb_ftdi_chip_find(devs[i].vid, devs[i].pid)) {
			hb_err("no FTDI chip 0x%04x:0x%04x in the chip table to emulate", devs[i].vid,
			       devs[i].pid);
			return HB_ERR_UNSUPPORTED;
		}
	g.vt = vt;
	memcpy(g.dev, devs, n * sizeof *devs);
	g.n = n;
	memset(&g.st, 0, sizeof g.st);
	hb_ftdi_api.new_ctx = t_new;
	hb_ftdi_api.free_ctx = t_free;
	hb_ftdi_api.set_interface = t_set_interface;
	hb_ftdi_api.set_module_detach_mode = t_detach;
	hb_ftdi_api.usb_open_desc_index = t_open;
	hb_ftdi_api.usb_close = t_close;
	hb_ftdi_api.set_baudrate = t_baud;
	hb_ftdi_api.set_line_property = t_line;
	hb_ftdi_api.setflowctrl = t_flow;
	hb_ftdi_api.set_latency_timer = t_latency;
	hb_ftdi_api.set_bitmode = t_bitmode;
	hb_ftdi_api.tcioflush = t_purge;
	hb_ftdi_api.read_data = t_read;
	hb_ftdi_api.write_data = t_write;
	hb_ftdi_api.set_usb_timeouts = t_timeouts;
	hb_ftdi_api.get_error_string = t_errstr;
	hb_ftdi_api.clock = hb_vtime_clock(vt);
	return HB_OK;
}

void hb_ftdi_twin_uninstall(void)
{
	hb_ftdi_api_reset();
	g.vt = NULL;
	g.n = 0;
}

void hb_ftdi_twin_get_stats(struct hb_ftdi_twin_stats *out)
{
	pthread_mutex_lock(&g.mu);
	*out = g.st;
	pthread_mutex_unlock(&g.mu);
}
