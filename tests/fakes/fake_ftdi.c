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
	fake_mpsse_purge(&fake_ftdi.mpsse);
	return 0;
}

/* ---- USB timing (when a clock is installed) ----
 * A write reaches the chip at once; the MPSSE runs its commands from then on (or from when
 * it finishes the previous ones). Answer bytes leave the chip when 0x87 (send immediate)
 * flushes them, when a packet's worth (max packet - 2 status bytes) has gathered, or when
 * the latency timer runs out; the host gets them in the next (micro)frame after that: "a
 * reply needs the next microframe". A read with nothing on the way returns empty after the
 * latency timer, as the chip's status-only packets make libftdi do. */

static uint64_t usb_now(void)
{
	return fake_ftdi.clock ? fake_ftdi.clock->now_ns(fake_ftdi.clock) : 0;
}

static int high_speed(void)
{
	return fake_ftdi.pid == 0x6010 || fake_ftdi.pid == 0x6011 || fake_ftdi.pid == 0x6014;
}

uint64_t fake_ftdi_frame_ns(void)
{
	return high_speed() ? 125000u : 1000000u;
}

static uint64_t next_frame(uint64_t t)
{
	uint64_t f = fake_ftdi_frame_ns();
	return (t / f + 1) * f;
}

/* When the host can have answer byte i. */
static uint64_t deliver_at(const struct fake_mpsse *m, size_t i)
{
	uint64_t sent = m->out_sent[i];
	size_t pkt = (high_speed() ? 512 : 64) - 2;
	if (!sent && m->outn - m->outoff >= pkt && i < m->outoff + pkt)
		sent = m->out_t[m->outoff + pkt - 1]; /* a full packet goes without waiting */
	if (!sent)
		sent = m->out_t[i] + (uint64_t)(fake_ftdi.latency ? fake_ftdi.latency : 16) * 1000000u;
	return next_frame(sent);
}

static void advance_to(uint64_t t)
{
	uint64_t now = usb_now();
	if (t > now)
		fake_ftdi.clock->sleep_ns(fake_ftdi.clock, t - now);
}

static int f_read(struct ftdi_context *c, unsigned char *buf, int size)
{
	(void)c;
	fake_ftdi.reads++;
	if (fake_ftdi.vanish_at_read && fake_ftdi.reads >= fake_ftdi.vanish_at_read) {
		fake_ftdi.err = "usb bulk read failed";
		return LIBUSB_ERROR_NO_DEVICE;
	}
	if (fake_ftdi.bitmode == BITMODE_MPSSE) {
		struct fake_mpsse *m = &fake_ftdi.mpsse;
		size_t k = 0;
		if (fake_ftdi.clock) {
			fake_ftdi.usb_reads++;
			if (m->outoff == m->outn) {
				/* nothing coming: status-only packets until the latency timer */
				advance_to(next_frame(usb_now() + (uint64_t)(fake_ftdi.latency ? fake_ftdi.latency : 16) * 1000000u - 1));
				return 0;
			}
			advance_to(deliver_at(m, m->outoff));
			uint64_t now = usb_now();
			while (m->outoff + k < m->outn && k < (size_t)size && deliver_at(m, m->outoff + k) <= now)
				k++;
		} else {
			k = m->outn - m->outoff;
			if (k > (size_t)size)
				k = (size_t)size;
		}
		memcpy(buf, m->out + m->outoff, k);
		m->outoff += k;
		if (m->outoff == m->outn)
			m->outoff = m->outn = 0;
		return (int)k;
	}
	size_t k = fake_ftdi.rxn - fake_ftdi.rxoff;
	if (k > (size_t)size)
		k = (size_t)size;
	memcpy(buf, fake_ftdi.rx + fake_ftdi.rxoff, k);
	fake_ftdi.rxoff += k;
	if (fake_ftdi.rxoff == fake_ftdi.rxn)
		fake_ftdi.rxoff = fake_ftdi.rxn = 0;
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
		struct fake_mpsse *m = &fake_ftdi.mpsse;
		uint64_t now = usb_now();
		if (m->t_ns < now)
			m->t_ns = now; /* idle until the data arrives */
		fake_ftdi.usb_writes++;
		fake_mpsse_exec(m, buf, (size_t)size);
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
	fake_mpsse_reset(&fake_ftdi.mpsse);
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
