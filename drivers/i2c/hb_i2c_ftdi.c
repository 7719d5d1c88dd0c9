/* hilbench — ftdi-i2c: bus, I2C master on an FTDI MPSSE engine (FT2232H/FT232H/FT4232H).
 * URI: ftdi-i2c://VID:PID[:serial]/IF[?speed=100000|400000&timeout=MS]
 *
 * Wiring: ADBUS0 = SCL, ADBUS1 = SDA out, ADBUS2 = SDA in (ADBUS1 and ADBUS2 tied), with
 * pull-ups. Open-drain is emulated through the pin direction: a released line is an input,
 * a driven line is an output at 0. Three-phase clocking keeps SDA valid around SCL edges.
 * Clock: 60 MHz / ((1 + div) * 2) with three-phase = 2/3 of that: div = 20 MHz / speed - 1.
 * Every ACK bit is checked (address or data NACK → HB_ERR_NACK). A bus with SDA held low is
 * clocked up to 9 times to release it, then HB_ERR_IO "bus stuck". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb_ftdi_api.h"
#include "hb_i2c.h"
#include "hb_params.h"
#include "hb_tr_util.h"

#define LOG_PREFIX "ftdi-i2c"
#include "hb_log.h"

/* MPSSE opcodes (FTDI AN_108). */
enum {
	MP_BYTES_OUT_NEG_MSB = 0x11, /* clock data bytes out on -ve edge, MSB first */
	MP_BITS_OUT_NEG_MSB = 0x13,  /* clock data bits out on -ve edge, MSB first */
	MP_BYTES_IN_POS_MSB = 0x20,  /* clock data bytes in on +ve edge, MSB first */
	MP_BITS_IN_POS_MSB = 0x22,   /* clock data bits in on +ve edge, MSB first */
	MP_SET_LOW = 0x80,           /* value, direction of ADBUS0..7 */
	MP_GET_LOW = 0x81,
	MP_SET_HIGH = 0x82,
	MP_LOOPBACK_OFF = 0x85,
	MP_SET_DIVISOR = 0x86,
	MP_SEND_IMMEDIATE = 0x87,
	MP_DIV5_OFF = 0x8A,
	MP_3PHASE_ON = 0x8C,
	MP_ADAPTIVE_OFF = 0x97,
	MP_BAD_OPCODE_ECHO = 0xFA,
};

enum { PIN_SCL = 0x01, PIN_SDA_OUT = 0x02, PIN_SDA_IN = 0x04 };
enum { HOLD_REPEAT = 4 }; /* repeat pin states so each phase lasts >= 4 x ~100 ns at 30 MHz USB */

struct fi_priv {
	struct ftdi_context *ftdi;
	char who[160];
	int timeout_ms;
	uint8_t cmd[4096];
	size_t n;
};

static void put(struct fi_priv *p, uint8_t b)
{
	if (p->n < sizeof p->cmd)
		p->cmd[p->n++] = b;
}

/* SCL/SDA levels as the master wants them; 1 on SDA = released (input). */
static void pins(struct fi_priv *p, int scl, int sda, int reps)
{
	for (int i = 0; i < reps; i++) {
		put(p, MP_SET_LOW);
		put(p, (uint8_t)((scl ? PIN_SCL : 0) | (sda ? PIN_SDA_OUT : 0)));
		put(p, (uint8_t)(PIN_SCL | (sda ? 0 : PIN_SDA_OUT)));
	}
}

static enum hb_status flush_cmds(struct fi_priv *p)
{
	if (p->n > sizeof p->cmd - 1) {
		hb_err("%s: transaction too long for one command buffer", p->who);
		p->n = 0;
		return HB_ERR_RANGE;
	}
	size_t off = 0;
	hb_ftdi_api.set_usb_timeouts(p->ftdi, p->timeout_ms, p->timeout_ms);
	while (off < p->n) {
		int r = hb_ftdi_api.write_data(p->ftdi, p->cmd + off, (int)(p->n - off));
		if (r < 0) {
			p->n = 0;
			return hb_ftdi_status(p->ftdi, HB_FTDI_OP_WRITE, r, p->who);
		}
		if (r == 0) {
			p->n = 0;
			hb_err("%s: MPSSE accepted no command bytes", p->who);
			return HB_ERR_TIMEOUT;
		}
		off += (size_t)r;
	}
	p->n = 0;
	return HB_OK;
}

static enum hb_status read_n(struct fi_priv *p, uint8_t *buf, size_t n)
{
	uint64_t deadline = hb_tr_deadline(p->timeout_ms);
	size_t have = 0;
	while (have < n) {
		int left = hb_tr_left(deadline);
		if (left == 0) {
			hb_err("%s: MPSSE returned %zu of %zu bytes in %d ms", p->who, have, n,
			       p->timeout_ms);
			return HB_ERR_TIMEOUT;
		}
		hb_ftdi_api.set_usb_timeouts(p->ftdi, left, p->timeout_ms);
		int r = hb_ftdi_api.read_data(p->ftdi, buf + have, (int)(n - have));
		if (r < 0)
			return hb_ftdi_status(p->ftdi, HB_FTDI_OP_READ, r, p->who);
		have += (size_t)r;
	}
	return HB_OK;
}

/* Send the queued commands plus SEND_IMMEDIATE and collect n answer bytes. */
static enum hb_status exchange(struct fi_priv *p, uint8_t *ans, size_t n)
{
	put(p, MP_SEND_IMMEDIATE);
	enum hb_status st = flush_cmds(p);
	if (st == HB_OK && n)
		st = read_n(p, ans, n);
	return st;
}

static void start(struct fi_priv *p)
{
	pins(p, 1, 1, HOLD_REPEAT);
	pins(p, 1, 0, HOLD_REPEAT);
	pins(p, 0, 0, HOLD_REPEAT);
}

static void repeated_start(struct fi_priv *p)
{
	pins(p, 0, 1, HOLD_REPEAT);
	start(p);
}

static void stop(struct fi_priv *p)
{
	pins(p, 0, 0, HOLD_REPEAT);
	pins(p, 1, 0, HOLD_REPEAT);
	pins(p, 1, 1, HOLD_REPEAT);
}

/* Queue: byte out, then release SDA and clock one ACK bit in (answer: 1 byte, bit 0). */
static void write_byte(struct fi_priv *p, uint8_t b)
{
	put(p, MP_SET_LOW), put(p, 0), put(p, PIN_SCL | PIN_SDA_OUT);
	put(p, MP_BYTES_OUT_NEG_MSB), put(p, 0), put(p, 0), put(p, b);
	put(p, MP_SET_LOW), put(p, 0), put(p, PIN_SCL);
	put(p, MP_BITS_IN_POS_MSB), put(p, 0);
}

/* Queue: clock a byte in with SDA released, then drive ACK (0) or NACK (1). */
static void read_byte(struct fi_priv *p, int nack)
{
	put(p, MP_SET_LOW), put(p, 0), put(p, PIN_SCL);
	put(p, MP_BYTES_IN_POS_MSB), put(p, 0), put(p, 0);
	put(p, MP_SET_LOW), put(p, 0), put(p, PIN_SCL | PIN_SDA_OUT);
	put(p, MP_BITS_OUT_NEG_MSB), put(p, 0), put(p, nack ? 0xff : 0x00);
	pins(p, 0, 1, 1);
}

static enum hb_status sample_pins(struct fi_priv *p, uint8_t *v)
{
	put(p, MP_GET_LOW);
	return exchange(p, v, 1);
}

/* SDA low on an idle bus: a target is mid-byte. Clock it out (up to 9 pulses), then STOP. */
static enum hb_status recover_bus(struct fi_priv *p)
{
	uint8_t v;
	pins(p, 1, 1, 1);
	enum hb_status st = sample_pins(p, &v);
	if (st != HB_OK || (v & PIN_SDA_IN))
		return st;
	hb_warn("%s: SDA held low on an idle bus; clocking it free", p->who);
	for (int i = 0; i < 9; i++) {
		pins(p, 0, 1, HOLD_REPEAT);
		pins(p, 1, 1, HOLD_REPEAT);
		st = sample_pins(p, &v);
		if (st != HB_OK)
			return st;
		if (v & PIN_SDA_IN) {
			stop(p);
			return exchange(p, NULL, 0);
		}
	}
	hb_err("%s: bus stuck: SDA still low after 9 clock pulses (power-cycle the target, "
	       "check pull-ups)", p->who);
	return HB_ERR_IO;
}

static enum hb_status sync_mpsse(struct fi_priv *p)
{
	uint8_t ans[2];
	put(p, 0xAA); /* a bad opcode: the MPSSE answers 0xFA 0xAA */
	enum hb_status st = exchange(p, ans, 2);
	if (st == HB_OK && (ans[0] != MP_BAD_OPCODE_ECHO || ans[1] != 0xAA)) {
		hb_err("%s: MPSSE did not echo the bad-opcode probe (got %02x %02x)", p->who,
		       ans[0], ans[1]);
		return HB_ERR_PROTO;
	}
	return st;
}

static enum hb_status fi_open(struct hb_i2c *bus, const char *target, const char *params)
{
	struct hb_params prm;
	struct hb_ftdi_target tg;
	unsigned long speed = 100000, to = 1000;
	enum hb_status st = hb_params_parse(&prm, params);
	if (st == HB_OK)
		st = hb_params_take_uint(&prm, "ftdi-i2c", "speed", 1000, 1000000, &speed);
	if (st == HB_OK)
		st = hb_params_take_uint(&prm, "ftdi-i2c", "timeout", 1, 600000, &to);
	if (st == HB_OK)
		st = hb_params_finish(&prm, "ftdi-i2c");
	if (st == HB_OK)
		st = hb_ftdi_parse_target(target, &tg);
	if (st != HB_OK)
		return st;
	struct fi_priv *p = calloc(1, sizeof *p);
	if (!p)
		return HB_ERR_NOMEM;
	p->timeout_ms = (int)to;
	snprintf(p->who, sizeof p->who, "ftdi-i2c://%s", target);
	st = hb_ftdi_open_target(&tg, p->who, &p->ftdi);
	if (st != HB_OK) {
		free(p);
		return st;
	}
	int r = hb_ftdi_api.set_bitmode(p->ftdi, 0, BITMODE_RESET);
	if (r >= 0)
		r = hb_ftdi_api.set_latency_timer(p->ftdi, 1);
	if (r >= 0)
		r = hb_ftdi_api.tcioflush(p->ftdi);
	if (r >= 0)
		r = hb_ftdi_api.set_bitmode(p->ftdi, 0, BITMODE_MPSSE);
	if (r < 0)
		st = hb_ftdi_status(p->ftdi, HB_FTDI_OP_CONFIG, r, p->who);
	if (st == HB_OK)
		st = sync_mpsse(p);
	if (st == HB_OK) {
		unsigned div = (unsigned)(20000000ul / speed) - 1;
		if (div > 0xffff)
			div = 0xffff;
		put(p, MP_DIV5_OFF);
		put(p, MP_ADAPTIVE_OFF);
		put(p, MP_3PHASE_ON);
		put(p, MP_LOOPBACK_OFF);
		put(p, MP_SET_DIVISOR), put(p, (uint8_t)div), put(p, (uint8_t)(div >> 8));
		pins(p, 1, 1, 1);
		st = exchange(p, NULL, 0);
		hb_dbg("%s: divisor %u → %lu Hz", p->who, div, 20000000ul / (div + 1));
	}
	if (st == HB_OK)
		st = recover_bus(p);
	if (st != HB_OK) {
		hb_ftdi_close_ctx(p->ftdi);
		free(p);
		return st;
	}
	bus->priv = p;
	return HB_OK;
}

static void fi_close(struct hb_i2c *bus)
{
	struct fi_priv *p = bus->priv;
	if (!p)
		return;
	hb_ftdi_api.set_bitmode(p->ftdi, 0, BITMODE_RESET);
	hb_ftdi_close_ctx(p->ftdi);
	free(p);
	bus->priv = NULL;
}

/* Send addr+dir and the bytes of w, one USB round trip per byte: the ACK of each byte is
 * checked before the next is clocked out (after a NACK the master must stop). */
static enum hb_status write_phase(struct fi_priv *p, uint8_t addr_byte, const uint8_t *w,
				  size_t wn)
{
	for (size_t i = 0; i <= wn; i++) {
		uint8_t ack;
		write_byte(p, i == 0 ? addr_byte : w[i - 1]);
		enum hb_status st = exchange(p, &ack, 1);
		if (st != HB_OK)
			return st;
		if (ack & 1) {
			if (i == 0)
				hb_dbg("%s: address 0x%02x not acknowledged", p->who, addr_byte >> 1);
			else
				hb_dbg("%s: data byte %zu not acknowledged", p->who, i - 1);
			return HB_ERR_NACK;
		}
	}
	return HB_OK;
}

static enum hb_status fi_xfer(struct hb_i2c *bus, uint8_t addr7, const uint8_t *w, size_t wn,
			      uint8_t *r, size_t rn)
{
	struct fi_priv *p = bus->priv;
	enum hb_status st = HB_OK;
	if (rn > 256 || wn > 256)
		return HB_ERR_RANGE;
	start(p);
	if (wn || !rn)
		st = write_phase(p, (uint8_t)(addr7 << 1), w, wn);
	if (st == HB_OK && rn) {
		if (wn || !rn)
			repeated_start(p);
		st = write_phase(p, (uint8_t)(addr7 << 1 | 1), NULL, 0);
		if (st == HB_OK) {
			for (size_t i = 0; i < rn; i++)
				read_byte(p, i + 1 == rn);
			st = exchange(p, r, rn);
		}
	}
	stop(p);
	enum hb_status st2 = exchange(p, NULL, 0);
	if (st == HB_OK)
		st = st2;
	if (st != HB_OK && st != HB_ERR_GONE) {
		enum hb_status rs = recover_bus(p);
		if (rs != HB_OK)
			return rs;
	}
	return st;
}

const struct hb_i2c_ops hb_i2c_ftdi_ops = {
	.scheme = "ftdi-i2c",
	.description = "I2C master on an FTDI MPSSE (ftdi-i2c://0403:6014/1?speed=400000)",
	.example = "ftdi-i2c://VID:PID/N",
	.hardware = 1,
	.open = fi_open,
	.close = fi_close,
	.xfer = fi_xfer,
};
