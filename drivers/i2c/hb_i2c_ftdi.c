/* hilbench — ftdi-i2c: bus, I2C master on an FTDI MPSSE engine (FT2232H/FT232H/FT4232H).
 * URI: ftdi-i2c://VID:PID[:serial]/IF[?speed=100000|400000&timeout=MS]
 *
 * Wiring: ADBUS0 = SCL, ADBUS1 = SDA out, ADBUS2 = SDA in (ADBUS1 and ADBUS2 tied), with
 * pull-ups. Open-drain is emulated through the pin direction: a released line is an input,
 * a driven line is an output at 0. Three-phase clocking keeps SDA valid around SCL edges.
 * Clock: 60 MHz / ((1 + div) * 2) with three-phase = 2/3 of that: div = 20 MHz / speed - 1.
 * A transaction (or a batch of them) is queued whole — START, address, pointer, repeated
 * START, address, data, STOP and a read of every ACK bit — and sent in one USB write; the
 * one reply carries all ACK bits and data, and a NACK is reported naming the byte. A USB
 * round trip costs at least a 125 us microframe, so one per byte (the old way: 4 per
 * register read) made an INA219 sample take longer than a conversion. A bus with SDA held
 * low is clocked up to 9 times to release it, then HB_ERR_IO "bus stuck". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb_ftdi_api.h"
#include "hb_ftdi_chips.h"
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
	int per_byte;       /* ?batch=0: a USB round trip per written byte (the old way) */
	uint8_t cmd[8192];
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
	/* on the chip's clock: simulated time for a twin's emulated chip */
	struct hb_clock *clk = hb_ftdi_clock();
	uint64_t deadline = hb_tr_deadline_on(clk, p->timeout_ms);
	size_t have = 0;
	while (have < n) {
		int left = hb_tr_left_on(clk, deadline);
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
	unsigned long batch = 1;
	if (st == HB_OK)
		st = hb_params_take_uint(&prm, "ftdi-i2c", "batch", 0, 1, &batch);
	if (st == HB_OK)
		st = hb_params_finish(&prm, "ftdi-i2c");
	if (st == HB_OK)
		st = hb_ftdi_parse_target(target, &tg);
	if (st != HB_OK)
		return st;
	const struct hb_ftdi_chip *chip = hb_ftdi_chip_find((uint16_t)tg.vid, (uint16_t)tg.pid);
	if (chip && !(chip->mpsse_mask >> (tg.iface - 1) & 1)) {
		hb_err("ftdi-i2c://%s: interface %c of the %s has no MPSSE to be an I2C master "
		       "(an FT232H 0403:6014, or interface A/B of an FT2232H/FT4232H)", target,
		       'A' + tg.iface - 1, chip->name);
		return HB_ERR_ARG;
	}
	struct fi_priv *p = calloc(1, sizeof *p);
	if (!p)
		return HB_ERR_NOMEM;
	p->timeout_ms = (int)to;
	p->per_byte = !batch;
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

/* Command bytes one transaction queues (START, bytes, Sr, STOP), to keep a group of them
 * inside the command buffer. */
static size_t cmd_cost(const struct hb_i2c_msg *m)
{
	return 3 * 3 * HOLD_REPEAT * 2 /* START, STOP */ + 4 * 3 * HOLD_REPEAT /* Sr */ +
	       12 * (m->wn + 2) + 15 * m->rn + 8;
}

/* Answer bytes of one transaction: an ACK bit per written byte (address included), then
 * the read address's ACK and the data. */
static int has_write_phase(const struct hb_i2c_msg *m)
{
	return m->wn || !m->rn;
}

static size_t answer_len(const struct hb_i2c_msg *m)
{
	return (has_write_phase(m) ? 1 + m->wn : 0) + (m->rn ? 1 + m->rn : 0);
}

/* Queue a whole transaction: START, address, the written bytes, [Sr, address, the read
 * bytes], STOP, with every ACK bit read back. Nothing waits for an ACK before the next byte
 * is clocked: the ACKs come back together in the reply and are checked there. */
static void queue_msg(struct fi_priv *p, const struct hb_i2c_msg *m)
{
	start(p);
	if (has_write_phase(m)) {
		write_byte(p, (uint8_t)(m->addr7 << 1));
		for (size_t i = 0; i < m->wn; i++)
			write_byte(p, m->w[i]);
	}
	if (m->rn) {
		if (has_write_phase(m))
			repeated_start(p);
		write_byte(p, (uint8_t)(m->addr7 << 1 | 1));
		for (size_t i = 0; i < m->rn; i++)
			read_byte(p, i + 1 == m->rn);
	}
	stop(p);
}

/* Read the ACK bits and data of one transaction out of the reply. */
static void parse_msg(struct fi_priv *p, struct hb_i2c_msg *m, const uint8_t *ans)
{
	size_t k = 0;
	m->nack_byte = -1;
	if (has_write_phase(m)) {
		for (size_t i = 0; i <= m->wn; i++, k++)
			if ((ans[k] & 1) && m->nack_byte < 0)
				m->nack_byte = (int)i;
	}
	if (m->rn) {
		if ((ans[k] & 1) && m->nack_byte < 0)
			m->nack_byte = has_write_phase(m) ? (int)m->wn + 1 : 0;
		k++;
		if (m->nack_byte < 0)
			memcpy(m->r, ans + k, m->rn);
	}
	m->status = m->nack_byte < 0 ? HB_OK : HB_ERR_NACK;
	if (m->nack_byte >= 0) {
		char what[96];
		hb_i2c_nack_str(m, what, sizeof what);
		hb_dbg("%s: %s not acknowledged", p->who, what);
	}
}

/* ?batch=0, for comparison only (bench_ina219_sampling): what this driver did before
 * batching. Each written byte is clocked out and its ACK fetched in its own USB round trip,
 * stopping at a NACK; the read bytes in one more; the STOP in another. */
static enum hb_status per_byte_msg(struct fi_priv *p, struct hb_i2c_msg *m)
{
	enum hb_status st = HB_OK;
	uint8_t ack;
	m->nack_byte = -1;
	start(p);
	if (has_write_phase(m)) {
		for (size_t i = 0; i <= m->wn && st == HB_OK && m->nack_byte < 0; i++) {
			write_byte(p, i == 0 ? (uint8_t)(m->addr7 << 1) : m->w[i - 1]);
			st = exchange(p, &ack, 1);
			if (st == HB_OK && (ack & 1))
				m->nack_byte = (int)i;
		}
	}
	if (st == HB_OK && m->nack_byte < 0 && m->rn) {
		if (has_write_phase(m))
			repeated_start(p);
		write_byte(p, (uint8_t)(m->addr7 << 1 | 1));
		st = exchange(p, &ack, 1);
		if (st == HB_OK && (ack & 1))
			m->nack_byte = has_write_phase(m) ? (int)m->wn + 1 : 0;
		if (st == HB_OK && m->nack_byte < 0) {
			for (size_t i = 0; i < m->rn; i++)
				read_byte(p, i + 1 == m->rn);
			st = exchange(p, m->r, m->rn);
		}
	}
	stop(p);
	enum hb_status st2 = exchange(p, NULL, 0);
	if (st == HB_OK)
		st = st2;
	m->status = st != HB_OK ? st : m->nack_byte < 0 ? HB_OK : HB_ERR_NACK;
	return m->status;
}

static enum hb_status fi_batch(struct hb_i2c *bus, struct hb_i2c_msg *m, size_t n)
{
	struct fi_priv *p = bus->priv;
	enum hb_status first = HB_OK;
	if (p->per_byte) {
		for (size_t i = 0; i < n; i++) {
			enum hb_status st = per_byte_msg(p, &m[i]);
			if (st != HB_OK && first == HB_OK)
				first = st;
			if (st != HB_OK && st != HB_ERR_NACK)
				return st;
		}
		if (first != HB_OK) {
			enum hb_status rs = recover_bus(p);
			if (rs != HB_OK)
				return rs;
		}
		return first;
	}
	uint8_t ans[2048];
	for (size_t i = 0; i < n;) {
		if (m[i].wn > 256 || m[i].rn > 256) {
			m[i].status = HB_ERR_RANGE;
			return HB_ERR_RANGE;
		}
		/* a group: as many transactions as fit the command buffer and the reply */
		size_t j = i, cmd = 0, an = 0;
		while (j < n && m[j].wn <= 256 && m[j].rn <= 256 &&
		       (j == i || (cmd + cmd_cost(&m[j]) < sizeof p->cmd - 8 &&
				   an + answer_len(&m[j]) <= sizeof ans))) {
			cmd += cmd_cost(&m[j]);
			an += answer_len(&m[j]);
			queue_msg(p, &m[j]);
			j++;
		}
		enum hb_status st = exchange(p, ans, an);
		if (st != HB_OK) {
			for (size_t k = i; k < n; k++)
				m[k].status = st;
			if (st != HB_ERR_GONE)
				recover_bus(p);
			return st;
		}
		size_t off = 0;
		for (size_t k = i; k < j; k++) {
			parse_msg(p, &m[k], ans + off);
			off += answer_len(&m[k]);
			if (m[k].status != HB_OK && first == HB_OK)
				first = m[k].status;
		}
		i = j;
	}
	if (first != HB_OK) {
		enum hb_status rs = recover_bus(p);
		if (rs != HB_OK)
			return rs;
	}
	return first;
}

static enum hb_status fi_xfer(struct hb_i2c *bus, uint8_t addr7, const uint8_t *w, size_t wn,
			      uint8_t *r, size_t rn)
{
	struct hb_i2c_msg m = {.addr7 = addr7, .w = w, .wn = wn, .r = r, .rn = rn};
	return fi_batch(bus, &m, 1);
}

const struct hb_i2c_ops hb_i2c_ftdi_ops = {
	.scheme = "ftdi-i2c",
	.description = "I2C master on an FTDI MPSSE (ftdi-i2c://0403:6014/1?speed=400000)",
	.example = "ftdi-i2c://VID:PID/N",
	.hardware = 1,
	.open = fi_open,
	.close = fi_close,
	.xfer = fi_xfer,
	.batch = fi_batch,
};
