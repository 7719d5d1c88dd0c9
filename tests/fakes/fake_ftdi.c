#include "fake_ftdi.h"

#include <libusb.h>
#include <stdlib.h>
#include <string.h>

#include "hb_ftdi_api.h"

struct fake_ftdi fake_ftdi;
static struct ftdi_context the_ctx; /* only its address is used */

static struct ftdi_context *f_new(void)
{
	return &the_ctx;
}

static void f_free(struct ftdi_context *c)
{
	(void)c;
	fake_ftdi.freed++;
}

static int f_set_interface(struct ftdi_context *c, enum ftdi_interface i)
{
	(void)c;
	fake_ftdi.iface = (int)i;
	return 0;
}

static int f_detach(struct ftdi_context *c, enum ftdi_module_detach_mode m)
{
	(void)c;
	fake_ftdi.detach_mode = (int)m;
	return 0;
}

static int f_open(struct ftdi_context *c, int vid, int pid, const char *desc, const char *serial,
		  unsigned idx)
{
	(void)c, (void)desc, (void)idx;
	if (fake_ftdi.open_ret) {
		fake_ftdi.err = fake_ftdi.open_msg;
		return fake_ftdi.open_ret;
	}
	if (vid != fake_ftdi.vid || pid != fake_ftdi.pid ||
	    (serial && strcmp(serial, fake_ftdi.serial) != 0)) {
		fake_ftdi.err = "device not found";
		return -3;
	}
	fake_ftdi.opened++;
	return 0;
}

static int f_close(struct ftdi_context *c)
{
	(void)c;
	fake_ftdi.closed++;
	return 0;
}

/* libftdi 1.5's ftdi_set_baudrate: the closest divisor of the chip's base clock (12 MHz on
 * the H series, 3 MHz on FT232R/FT-X: base / (n + k/8), n >= 2, or base / 1, base / 1.5),
 * then "about 5 %" tolerance, else -1 "Unsupported baudrate". */
static int f_baud(struct ftdi_context *c, int baud)
{
	(void)c;
	if (baud <= 0) {
		fake_ftdi.err = "Silly baudrate <= 0.";
		return -1;
	}
	int h = fake_ftdi.pid == 0x6010 || fake_ftdi.pid == 0x6011 || fake_ftdi.pid == 0x6014;
	double base = h ? 12e6 : 3e6, best = 0;
	for (long d8 = 8; d8 <= 131071; d8 = d8 == 8 ? 12 : d8 == 12 ? 16 : d8 + 1) {
		double r = base * 8 / (double)d8;
		if (best == 0 || (r > baud ? r - baud : baud - r) < (best > baud ? best - baud : baud - best))
			best = r;
		if (r < baud)
			break;
	}
	if (best * 2 < baud || (best < baud ? best * 21 < baud * 20.0 : baud * 21.0 < best * 20)) {
		fake_ftdi.err = "Unsupported baudrate. Note: bitbang baudrates are automatically multiplied by 4";
		return -1;
	}
	fake_ftdi.baud = baud;
	return 0;
}

static int f_line(struct ftdi_context *c, enum ftdi_bits_type b, enum ftdi_stopbits_type s,
		  enum ftdi_parity_type p)
{
	(void)c;
	fake_ftdi.bits = (int)b, fake_ftdi.stop = (int)s, fake_ftdi.parity = (int)p;
	return 0;
}

static int f_flow(struct ftdi_context *c, int f)
{
	(void)c;
	fake_ftdi.flow = f;
	return 0;
}

static int f_latency(struct ftdi_context *c, unsigned char l)
{
	(void)c;
	if (l < 1) {
		fake_ftdi.err = "latency out of range. Only valid for 1-255";
		return -1;
	}
	fake_ftdi.latency = l;
	return 0;
}

static int f_bitmode(struct ftdi_context *c, unsigned char mask, unsigned char mode)
{
	(void)c;
	fake_ftdi.bitmask = mask;
	fake_ftdi.bitmode = mode;
	return 0;
}

static int f_purge(struct ftdi_context *c)
{
	(void)c;
	fake_ftdi.purges++;
	fake_ftdi.rxn = fake_ftdi.rxoff = 0;
	fake_ftdi.mpsse.outn = fake_ftdi.mpsse.outoff = 0;
	return 0;
}

/* ---- MPSSE ---- */

static void m_out(struct fake_mpsse *m, uint8_t b)
{
	if (m->outn < sizeof m->out)
		m->out[m->outn++] = b;
}

static int target_low(const struct fake_mpsse *m)
{
	return m->stuck_pulses > 0;
}

static void m_lines(struct fake_mpsse *m, int *scl, int *sda)
{
	*scl = (m->dir & 1) ? (m->val & 1) : 1;
	int msda = (m->dir & 2) ? (m->val >> 1 & 1) : 1;
	*sda = msda && !target_low(m);
}

static void m_set_low(struct fake_mpsse *m, uint8_t val, uint8_t dir)
{
	int oscl = m->scl, osda = m->sda;
	m->val = val, m->dir = dir;
	int scl, sda;
	m_lines(m, &scl, &sda);
	if (!oscl && scl && m->stuck_pulses > 0) {
		m->stuck_pulses--;
		m_lines(m, &scl, &sda);
	}
	if (oscl && scl && osda && !sda) { /* START or repeated START */
		m->starts++;
		m->phase = 1;
		m->cur = NULL;
		m->master_nacked = 0;
	} else if (oscl && scl && !osda && sda) { /* STOP */
		m->stops++;
		if (m->cur)
			m->cur->stop(m->cur->ctx);
		m->cur = NULL;
		m->phase = 0;
	}
	m->scl = scl, m->sda = sda;
}

static void m_write_byte(struct fake_mpsse *m, uint8_t b)
{
	if (!(m->dir & 2)) { /* SDA not driven: the byte never reaches the bus */
		m->pending_ack = 1;
		return;
	}
	if (m->phase == 1) {
		struct fake_i2c_target *t = m->bus ? fake_i2c_bus_find(m->bus, b >> 1) : NULL;
		if (m->bus)
			m->bus->transactions++;
		if (t && t->start(t->ctx, b & 1)) {
			m->cur = t;
			m->phase = (b & 1) ? 3 : 2;
			m->pending_ack = 0;
		} else {
			m->cur = NULL;
			m->phase = 0;
			m->pending_ack = 1;
		}
	} else if (m->phase == 2 && m->cur) {
		m->pending_ack = m->cur->write(m->cur->ctx, b) ? 0 : 1;
	} else {
		m->pending_ack = 1;
	}
}

/* Returns bytes consumed, 0 if the command is incomplete. */
static size_t m_cmd(struct fake_mpsse *m, const uint8_t *c, size_t n)
{
	size_t len;
	switch (c[0]) {
	case 0x80:
		if (n < 3)
			return 0;
		m_set_low(m, c[1], c[2]);
		return 3;
	case 0x82:
		return n < 3 ? 0 : 3;
	case 0x81: {
		int scl, sda;
		m_lines(m, &scl, &sda);
		m_out(m, (uint8_t)((m->val & ~0x07u) | (unsigned)scl | (m->val & 2) |
				   (unsigned)sda << 2));
		return 1;
	}
	case 0x83:
		m_out(m, 0xff);
		return 1;
	case 0x11: /* bytes out, -ve edge, MSB first */
		if (n < 3)
			return 0;
		len = (size_t)(c[1] | c[2] << 8) + 1;
		if (n < 3 + len)
			return 0;
		for (size_t i = 0; i < len; i++)
			m_write_byte(m, c[3 + i]);
		return 3 + len;
	case 0x13: /* bits out, -ve edge */
		if (n < 3)
			return 0;
		if (m->phase == 3 && (c[2] & 0x80))
			m->master_nacked = 1;
		return 3;
	case 0x20: /* bytes in, +ve edge */
		if (n < 3)
			return 0;
		len = (size_t)(c[1] | c[2] << 8) + 1;
		for (size_t i = 0; i < len; i++) {
			int ok = m->phase == 3 && m->cur && !m->master_nacked && !(m->dir & 2);
			m_out(m, ok ? m->cur->read(m->cur->ctx) : 0xff);
		}
		return 3;
	case 0x22: /* bits in, +ve edge: the ACK bit */
		if (n < 2)
			return 0;
		m_out(m, (m->dir & 2) ? 0x01 : (uint8_t)m->pending_ack);
		return 2;
	case 0x8e: /* clock N+1 bits, no data */
		if (n < 2)
			return 0;
		m->stuck_pulses -= m->stuck_pulses > c[1] ? c[1] + 1 : m->stuck_pulses;
		return 2;
	case 0x86:
		if (n < 3)
			return 0;
		m->divisor = (unsigned)(c[1] | c[2] << 8);
		return 3;
	case 0x9e:
		return n < 3 ? 0 : 3;
	case 0x8a: m->div5_off = 1; return 1;
	case 0x8b: m->div5_off = 0; return 1;
	case 0x8c: m->three_phase = 1; return 1;
	case 0x8d: m->three_phase = 0; return 1;
	case 0x97: m->adaptive_off = 1; return 1;
	case 0x85: m->loopback_off = 1; return 1;
	case 0x84: m->loopback_off = 0; return 1;
	case 0x87: return 1;
	default:
		m->bad_opcodes++;
		m_out(m, 0xfa);
		m_out(m, c[0]);
		return 1;
	}
}

static int f_read(struct ftdi_context *c, unsigned char *buf, int size)
{
	(void)c;
	fake_ftdi.reads++;
	if (fake_ftdi.vanish_at_read && fake_ftdi.reads >= fake_ftdi.vanish_at_read) {
		fake_ftdi.err = "usb bulk read failed";
		return LIBUSB_ERROR_NO_DEVICE;
	}
	uint8_t *src;
	size_t *n, *off;
	if (fake_ftdi.bitmode == BITMODE_MPSSE) {
		src = fake_ftdi.mpsse.out, n = &fake_ftdi.mpsse.outn, off = &fake_ftdi.mpsse.outoff;
	} else {
		src = fake_ftdi.rx, n = &fake_ftdi.rxn, off = &fake_ftdi.rxoff;
	}
	size_t k = *n - *off;
	if (k > (size_t)size)
		k = (size_t)size;
	memcpy(buf, src + *off, k);
	*off += k;
	if (*off == *n)
		*off = *n = 0;
	return (int)k;
}

static int f_write(struct ftdi_context *c, const unsigned char *buf, int size)
{
	(void)c;
	if (fake_ftdi.vanish_at_read && fake_ftdi.reads >= fake_ftdi.vanish_at_read) {
		fake_ftdi.err = "usb bulk write failed";
		return LIBUSB_ERROR_NO_DEVICE;
	}
	if (fake_ftdi.bitmode == BITMODE_MPSSE) {
		size_t off = 0;
		while (off < (size_t)size) {
			size_t k = m_cmd(&fake_ftdi.mpsse, buf + off, (size_t)size - off);
			if (k == 0)
				break; /* incomplete command: the real chip would wait; tests send whole ones */
			off += k;
		}
		return size;
	}
	size_t room = sizeof fake_ftdi.tx - fake_ftdi.txn;
	size_t k = (size_t)size < room ? (size_t)size : room;
	memcpy(fake_ftdi.tx + fake_ftdi.txn, buf, k);
	fake_ftdi.txn += k;
	return (int)k;
}

static void f_timeouts(struct ftdi_context *c, int r, int w)
{
	(void)c;
	fake_ftdi.read_timeout_ms = r;
	fake_ftdi.write_timeout_ms = w;
}

static const char *f_err(struct ftdi_context *c)
{
	(void)c;
	return fake_ftdi.err ? fake_ftdi.err : "";
}

void fake_ftdi_install(void)
{
	memset(&fake_ftdi, 0, sizeof fake_ftdi);
	fake_ftdi.vid = 0x0403;
	fake_ftdi.pid = 0x6010;
	strcpy(fake_ftdi.serial, "FT000001");
	fake_ftdi.mpsse.scl = fake_ftdi.mpsse.sda = 1;
	hb_ftdi_api = (struct hb_ftdi_api){
		.new_ctx = f_new,
		.free_ctx = f_free,
		.set_interface = f_set_interface,
		.set_module_detach_mode = f_detach,
		.usb_open_desc_index = f_open,
		.usb_close = f_close,
		.set_baudrate = f_baud,
		.set_line_property = f_line,
		.setflowctrl = f_flow,
		.set_latency_timer = f_latency,
		.set_bitmode = f_bitmode,
		.tcioflush = f_purge,
		.read_data = f_read,
		.write_data = f_write,
		.set_usb_timeouts = f_timeouts,
		.get_error_string = f_err,
	};
}

void fake_ftdi_uninstall(void)
{
	hb_ftdi_api_reset();
}

void fake_ftdi_feed(const void *buf, size_t n)
{
	if (fake_ftdi.rxn + n > sizeof fake_ftdi.rx)
		n = sizeof fake_ftdi.rx - fake_ftdi.rxn;
	memcpy(fake_ftdi.rx + fake_ftdi.rxn, buf, n);
	fake_ftdi.rxn += n;
}
