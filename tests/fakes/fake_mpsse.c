#include "fake_mpsse.h"

#include <string.h>

/* Target engine states. */
enum {
	T_IDLE,     /* waiting for a START */
	T_RX,       /* shifting in 8 bits (address or written data) */
	T_ACK,      /* driving the ACK through the ninth clock */
	T_TX,       /* shifting out 8 bits of read data */
	T_MACK,     /* SDA released for the master's ACK/NACK on the ninth clock */
	T_IGNORE,   /* not addressed, or NACKed: silent until START/STOP */
};

void fake_mpsse_reset(struct fake_mpsse *m)
{
	m->val = m->dir = 0;
	m->scl = m->sda = 1;
	m->tgt.state = T_IDLE;
	m->tgt.sda = 1;
	m->tgt.t = NULL;
	m->divisor = 0;
	m->three_phase = m->div5_off = m->adaptive_off = m->loopback_off = 0;
	m->outn = m->outoff = m->pendn = 0;
}

void fake_mpsse_purge(struct fake_mpsse *m)
{
	m->outn = m->outoff = 0;
}

uint64_t fake_mpsse_bit_ns(const struct fake_mpsse *m)
{
	uint64_t ticks = (uint64_t)(m->three_phase ? 3 : 2) * (1 + m->divisor);
	return ticks * 1000000000ull / (m->div5_off ? 60000000ull : 12000000ull);
}

static uint64_t cmd_ns(const struct fake_mpsse *m)
{
	return m->cmd_ns ? m->cmd_ns : 100;
}

static void answer(struct fake_mpsse *m, uint8_t b)
{
	if (m->outn < sizeof m->out) {
		m->out_t[m->outn] = m->t_ns;
		m->out_sent[m->outn] = 0;
		m->out[m->outn++] = b;
	}
}

/* ---- the bus ---- */

static int bus_scl(const struct fake_mpsse *m)
{
	return (m->dir & 1) ? (m->val & 1) : 1;
}

static int bus_sda(const struct fake_mpsse *m)
{
	int master = (m->dir & 2) ? (m->val >> 1 & 1) : 1;
	return master && m->tgt.sda && m->stuck_pulses <= 0;
}

static void drive_bit(struct fake_mpsse *m, uint8_t b, int bit)
{
	m->tgt.sda = (b >> (7 - bit)) & 1;
}

static void t_start(struct fake_mpsse *m)
{
	m->starts++;
	m->tgt.state = T_RX;
	m->tgt.is_addr = 1;
	m->tgt.bits = 0;
	m->tgt.sh = 0;
	m->tgt.sda = 1;
}

static void t_stop(struct fake_mpsse *m)
{
	m->stops++;
	if (m->tgt.t)
		m->tgt.t->stop(m->tgt.t->ctx);
	m->tgt.t = NULL;
	m->tgt.state = T_IDLE;
	m->tgt.sda = 1;
}

static void t_rise(struct fake_mpsse *m)
{
	int sda = bus_sda(m);
	switch (m->tgt.state) {
	case T_RX:
		m->tgt.sh = (uint8_t)(m->tgt.sh << 1 | sda);
		m->tgt.bits++;
		break;
	case T_TX:
		m->tgt.bits++;
		break;
	case T_MACK:
		m->tgt.rw = sda; /* the master's ACK (0) or NACK (1) */
		break;
	default:
		break;
	}
}

/* After a falling edge the target sets SDA for the next clock. */
static void t_fall(struct fake_mpsse *m)
{
	struct fake_i2c_target *t = m->tgt.t;
	switch (m->tgt.state) {
	case T_RX: {
		if (m->tgt.bits < 8)
			break;
		int ack;
		if (m->tgt.is_addr) {
			t = m->bus ? fake_i2c_bus_find(m->bus, m->tgt.sh >> 1) : NULL;
			if (m->bus)
				m->bus->transactions++;
			ack = t && t->start(t->ctx, m->tgt.sh & 1);
			m->tgt.t = ack ? t : NULL;
			m->tgt.rw = m->tgt.sh & 1;
		} else {
			ack = t && t->write(t->ctx, m->tgt.sh);
		}
		if (ack) {
			m->bytes_acked++;
			m->tgt.sda = 0;
			m->tgt.state = T_ACK;
		} else {
			m->nacks++;
			m->tgt.state = T_IGNORE;
		}
		break;
	}
	case T_ACK:
		m->tgt.sda = 1;
		if (m->tgt.is_addr && m->tgt.rw) {
			m->tgt.tx = t->read(t->ctx);
			m->tgt.state = T_TX;
			m->tgt.bits = 0;
			drive_bit(m, m->tgt.tx, 0);
		} else {
			m->tgt.state = T_RX;
			m->tgt.bits = 0;
			m->tgt.sh = 0;
		}
		m->tgt.is_addr = 0;
		break;
	case T_TX:
		if (m->tgt.bits < 8) {
			drive_bit(m, m->tgt.tx, m->tgt.bits);
		} else {
			m->tgt.sda = 1;
			m->tgt.state = T_MACK;
		}
		break;
	case T_MACK:
		if (m->tgt.rw == 0) { /* ACK: the next byte */
			m->tgt.tx = t->read(t->ctx);
			m->tgt.state = T_TX;
			m->tgt.bits = 0;
			drive_bit(m, m->tgt.tx, 0);
		} else {
			m->tgt.state = T_IGNORE;
		}
		break;
	default:
		break;
	}
}

/* Bring the bus lines to what the drivers now say, firing edge events. */
static void settle(struct fake_mpsse *m)
{
	int scl = bus_scl(m);
	if (scl != m->scl) {
		m->scl = scl;
		if (scl) {
			t_rise(m);
			if (m->stuck_pulses > 0)
				m->stuck_pulses--;
		} else {
			t_fall(m);
		}
	}
	int sda = bus_sda(m);
	if (sda != m->sda) {
		m->sda = sda;
		if (m->scl) {
			if (!sda)
				t_start(m);
			else
				t_stop(m);
		}
	}
}

/* One clock bit: SCL low (and the data bit on DO), rising edge (sample DI), falling edge. */
static int clock_bit(struct fake_mpsse *m, int out)
{
	uint64_t ph = fake_mpsse_bit_ns(m) / 3, ph3 = fake_mpsse_bit_ns(m) - 2 * ph;
	m->val &= (uint8_t)~1u;
	if (out >= 0)
		m->val = (uint8_t)((m->val & ~2u) | (unsigned)out << 1);
	settle(m);
	m->t_ns += ph;
	m->val |= 1;
	settle(m);
	int in = bus_sda(m);
	m->t_ns += ph;
	m->val &= (uint8_t)~1u;
	settle(m);
	m->t_ns += ph3;
	m->bits_clocked++;
	return in;
}

/* Returns bytes consumed, 0 if the command is incomplete. */
static size_t one(struct fake_mpsse *m, const uint8_t *c, size_t n)
{
	size_t len;
	switch (c[0]) {
	case 0x80:
		if (n < 3)
			return 0;
		m->val = c[1], m->dir = c[2];
		settle(m);
		m->t_ns += cmd_ns(m);
		return 3;
	case 0x82:
		if (n < 3)
			return 0;
		m->t_ns += cmd_ns(m);
		return 3;
	case 0x81: {
		int scl = m->scl, sda = m->sda;
		uint8_t v = (uint8_t)((m->val & ~0x07u) | (unsigned)scl |
				      ((m->dir & 2) ? (m->val & 2u) : (unsigned)sda << 1) |
				      (unsigned)sda << 2);
		answer(m, v);
		m->t_ns += cmd_ns(m);
		return 1;
	}
	case 0x83:
		answer(m, 0xff);
		m->t_ns += cmd_ns(m);
		return 1;
	case 0x11: /* bytes out, -ve edge, MSB first */
		if (n < 3)
			return 0;
		len = (size_t)(c[1] | c[2] << 8) + 1;
		if (n < 3 + len)
			return 0;
		for (size_t i = 0; i < len; i++)
			for (int b = 7; b >= 0; b--)
				clock_bit(m, c[3 + i] >> b & 1);
		return 3 + len;
	case 0x13: /* bits out, -ve edge, MSB first */
		if (n < 3)
			return 0;
		for (int b = 0; b <= c[1] && b < 8; b++)
			clock_bit(m, c[2] >> (7 - b) & 1);
		return 3;
	case 0x20: /* bytes in, +ve edge, MSB first */
		if (n < 3)
			return 0;
		len = (size_t)(c[1] | c[2] << 8) + 1;
		for (size_t i = 0; i < len; i++) {
			uint8_t v = 0;
			for (int b = 0; b < 8; b++)
				v = (uint8_t)(v << 1 | clock_bit(m, -1));
			answer(m, v);
		}
		return 3;
	case 0x22: { /* bits in, +ve edge: they land in the low bits */
		if (n < 2)
			return 0;
		uint8_t v = 0;
		for (int b = 0; b <= c[1] && b < 8; b++)
			v = (uint8_t)(v << 1 | clock_bit(m, -1));
		answer(m, v);
		return 2;
	}
	case 0x8e: /* clock N+1 bits, no data */
		if (n < 2)
			return 0;
		for (int b = 0; b <= c[1]; b++)
			clock_bit(m, -1);
		return 2;
	case 0x86:
		if (n < 3)
			return 0;
		m->divisor = (unsigned)(c[1] | c[2] << 8);
		m->t_ns += cmd_ns(m);
		return 3;
	case 0x9e:
		return n < 3 ? 0 : 3;
	case 0x8a: m->div5_off = 1; break;
	case 0x8b: m->div5_off = 0; break;
	case 0x8c: m->three_phase = 1; break;
	case 0x8d: m->three_phase = 0; break;
	case 0x97: m->adaptive_off = 1; break;
	case 0x85: m->loopback_off = 1; break;
	case 0x84: m->loopback_off = 0; break;
	case 0x87:
		m->send_immediates++;
		for (size_t i = m->outoff; i < m->outn; i++)
			if (!m->out_sent[i])
				m->out_sent[i] = m->t_ns ? m->t_ns : 1;
		break;
	default:
		m->bad_opcodes++;
		answer(m, 0xfa);
		answer(m, c[0]);
		break;
	}
	m->t_ns += cmd_ns(m);
	return 1;
}

void fake_mpsse_exec(struct fake_mpsse *m, const uint8_t *c, size_t n)
{
	/* finish a command that started in the previous write */
	while (m->pendn && n) {
		uint8_t tmp[sizeof m->pend + 300];
		size_t k = m->pendn;
		memcpy(tmp, m->pend, k);
		size_t add = n < sizeof tmp - k ? n : sizeof tmp - k;
		memcpy(tmp + k, c, add);
		size_t used = one(m, tmp, k + add);
		if (!used) {
			if (k + add <= sizeof m->pend) {
				memcpy(m->pend, tmp, k + add);
				m->pendn = k + add;
				return;
			}
			break; /* longer than we can hold: drop it */
		}
		m->pendn = 0;
		c += used - k;
		n -= used - k;
	}
	size_t off = 0;
	while (off < n) {
		size_t k = one(m, c + off, n - off);
		if (k == 0) {
			size_t rest = n - off;
			if (rest <= sizeof m->pend) {
				memcpy(m->pend, c + off, rest);
				m->pendn = rest;
			}
			return;
		}
		off += k;
	}
}
