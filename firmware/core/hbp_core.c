/* hilbench bench probe — the portable core (see hbp_core.h, docs/probe.md). */
#include "hbp_core.h"

#include <string.h>

#define FIFO_MASK (HBP_FIFO_BYTES - 1u)
#define EDGE_MASK (HBP_EDGE_RING - 1u)
#define DATA_MAX_RECORDS (HBP_MAX_PAYLOAD - HBP_DATA_HDR_LEN)

_Static_assert((HBP_FIFO_BYTES & FIFO_MASK) == 0 && HBP_FIFO_BYTES <= 32768u,
	       "HBP_FIFO_BYTES must be a power of two <= 32 KiB");
_Static_assert((HBP_EDGE_RING & EDGE_MASK) == 0, "HBP_EDGE_RING must be a power of two");

enum job { J_NONE = 0, J_SAMPLE, J_CONFIG, J_RECOVER, J_XFER };

/* Wrap-safe: is time a at or after b? */
static int at_or_after(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}

static uint32_t tick(struct hbp_core *c)
{
	uint32_t t = c->hal->now_us(c->hal->ctx);
	if (t < c->t_prev)
		c->t_hi++;
	c->t_prev = t;
	c->now = t;
	return t;
}

uint64_t hbp_core_time64(const struct hbp_core *c)
{
	return (uint64_t)c->t_hi << 32 | c->t_prev;
}

/* A 32-bit stamp at or before now, extended to 64 bits. */
static uint64_t extend(const struct hbp_core *c, uint32_t t)
{
	return hbp_core_time64(c) - (uint32_t)(c->t_prev - t);
}

void hbp_core_init(struct hbp_core *c, const struct hbp_hal *hal,
		   const struct hbp_boot_info *boot)
{
	memset(c, 0, sizeof *c);
	c->hal = hal;
	if (boot)
		c->boot = *boot;
	hbp_rx_init(&c->rx);
	for (unsigned m = 0; m < HBP_MAX_MONITORS; m++)
		c->mon[m].ptr = 0xFF;
	tick(c);
	c->t_hi = 0;
	hal->capture_enable(hal->ctx, 0);
	/* Announce the boot: the host sees a reset even in the middle of a stream. */
	uint8_t p[HBP_BOOT_LEN] = {0};
	p[0] = c->boot.reset_cause;
	hbp_put16(p + 2, c->boot.boot_count);
	hbp_put16(p + 4, c->boot.watchdog_resets);
	c->resp_len = (uint16_t)hbp_frame_build(c->resp, HBP_BOOT, 0, p, HBP_BOOT_LEN);
}

void hbp_core_capture(struct hbp_core *c, unsigned ch, uint32_t t_us)
{
	uint16_t h = c->e_head;
	if ((uint16_t)(h - c->e_tail) >= HBP_EDGE_RING) {
		c->e_lost++;
		return;
	}
	c->e_t[h & EDGE_MASK] = t_us;
	c->e_ch[h & EDGE_MASK] = (uint8_t)ch;
	c->e_head = (uint16_t)(h + 1);
}

void hbp_core_capture_lost(struct hbp_core *c, unsigned n)
{
	c->e_lost += n;
}

/* ---- responses ------------------------------------------------------------------------ */

static void respond(struct hbp_core *c, uint8_t type, uint8_t seq, const uint8_t *p, uint16_t n)
{
	c->resp_len = (uint16_t)hbp_frame_build(c->resp, type, seq, p, n);
}

static void error_frame(struct hbp_core *c, uint8_t seq, uint8_t reason, uint8_t req_type)
{
	uint8_t p[2] = {reason, req_type};
	respond(c, HBP_ERROR, seq, p, 2);
}

static void send_response(struct hbp_core *c)
{
	const struct hbp_hal *h = c->hal;
	if (!c->resp_len || h->uart_tx_space(h->ctx) < c->resp_len)
		return;
	h->uart_write(h->ctx, c->resp, c->resp_len);
	c->resp_len = 0;
}

/* ---- record FIFO ---------------------------------------------------------------------- */

static void fifo_put(struct hbp_core *c, const uint8_t *p, unsigned n)
{
	unsigned head = (c->f_tail + c->f_count) & FIFO_MASK;
	for (unsigned i = 0; i < n; i++)
		c->fifo[(head + i) & FIFO_MASK] = p[i];
	c->f_count = (uint16_t)(c->f_count + n);
	if (c->f_count > c->f_high)
		c->f_high = c->f_count;
}

static uint8_t fifo_at(const struct hbp_core *c, unsigned off)
{
	return c->fifo[(c->f_tail + off) & FIFO_MASK];
}

static void count_drop(struct hbp_core *c, uint32_t n)
{
	c->cnt.records_dropped += n;
	c->run_dropped += n;
	c->pending_drops += n;
}

/* Append one record (tag, body) stamped t. Inserts GAP records for deltas over 255 µs and,
 * first, a DROPPED marker for records lost since the last one. A record that does not fit
 * is counted as dropped; the chain of deltas continues from the last record appended. */
static void append(struct hbp_core *c, uint8_t tag, uint32_t t, const uint8_t *body, unsigned bn)
{
	if (!c->running && !c->stopping)
		return;
	if (c->f_count == 0)
		c->f_oldest = c->now;
	int32_t d = (int32_t)(t - c->t_appended);
	if (d < 0) {
		c->cnt.order_fixes++;
		d = 0;
		t = c->t_appended;
	}
	uint32_t delta = (uint32_t)d;
	unsigned gaps = 0;
	for (uint32_t r = delta >> 8; r; r = r > 0xFFFFu ? r - 0xFFFFu : 0)
		gaps++;
	unsigned need = 4u * gaps + 2u + bn + (c->pending_drops ? 4u : 0u);
	if (HBP_FIFO_BYTES - c->f_count < need) {
		count_drop(c, 1);
		return;
	}
	uint8_t rec[8];
	if (c->pending_drops) {
		uint32_t n = c->pending_drops > 0xFFFFu ? 0xFFFFu : c->pending_drops;
		rec[0] = HBP_REC_DROPPED << 4;
		rec[1] = 0;
		hbp_put16(rec + 2, (uint16_t)n);
		fifo_put(c, rec, 4);
		c->pending_drops -= n;
	}
	uint32_t hi = delta >> 8;
	while (hi) {
		uint32_t k = hi > 0xFFFFu ? 0xFFFFu : hi;
		rec[0] = HBP_REC_GAP << 4;
		rec[1] = 0;
		hbp_put16(rec + 2, (uint16_t)k);
		fifo_put(c, rec, 4);
		hi -= k;
	}
	rec[0] = tag;
	rec[1] = (uint8_t)delta;
	if (bn)
		memcpy(rec + 2, body, bn);
	fifo_put(c, rec, 2 + bn);
	c->t_appended = t;
}

/* Records go into the FIFO in time order. A sample is stamped with the end of the conversion
 * it read, which lies before the read itself, so nothing stamped later than the earliest
 * conversion end still to be read may be appended yet: that time is the horizon. */
static uint32_t horizon(const struct hbp_core *c)
{
	uint32_t h = c->now;
	if (c->op_busy && c->job == J_SAMPLE && at_or_after(h, c->sample_t))
		h = c->sample_t;
	for (unsigned k = 0; k < HBP_MAX_MONITORS; k++) {
		const struct hbp_mon *m = &c->mon[k];
		if (m->addr && m->sampling && (c->running || c->stopping) &&
		    at_or_after(h, m->conv_end))
			h = m->conv_end;
	}
	return at_or_after(h, c->t_appended) ? h : c->t_appended;
}

static void rec_u16(struct hbp_core *c, unsigned kind, unsigned idx, uint32_t t, uint32_t v)
{
	uint8_t b[2];
	hbp_put16(b, (uint16_t)(v > 0xFFFFu ? 0xFFFFu : v));
	append(c, (uint8_t)(kind << 4 | (idx & 0xFu)), t, b, 2);
}

static void rec_i2c_error(struct hbp_core *c, unsigned idx, uint8_t status, uint8_t op)
{
	uint8_t b[2] = {status, op};
	append(c, (uint8_t)(HBP_REC_I2C_ERROR << 4 | (idx & 0xFu)), horizon(c), b, 2);
}

/* Merge captured edges stamped before `horizon` (all of them when all != 0). */
static void drain_edges(struct hbp_core *c, uint32_t horizon, int all)
{
	while (c->e_tail != c->e_head) {
		unsigned i = c->e_tail & EDGE_MASK;
		uint32_t t = c->e_t[i];
		uint8_t ch = c->e_ch[i];
		if (!all && at_or_after(t, horizon))
			break;
		c->e_tail++;
		if (ch < HBP_N_CAPTURE && (c->capture_mask >> ch & 1u)) {
			c->cnt.edges++;
			append(c, (uint8_t)(HBP_REC_EDGE << 4 | ch), t, NULL, 0);
		}
	}
	uint32_t lost = c->e_lost;
	if (lost != c->e_lost_seen) {
		uint32_t d = lost - c->e_lost_seen;
		c->e_lost_seen = lost;
		c->cnt.edges_dropped += d;
		if (c->running || c->stopping)
			count_drop(c, d);
	}
}

/* ---- DATA frames ---------------------------------------------------------------------- */

/* Pack whole records (at most DATA_MAX_RECORDS bytes) into one DATA frame when one is due
 * and the transmitter has room for it. Returns 1 if a frame went out. */
static int pack_frame(struct hbp_core *c)
{
	const struct hbp_hal *h = c->hal;
	if (!c->running && !c->stopping)
		return 0;
	if (c->resp_len || c->deferred == HBP_START)
		return 0; /* the response goes first; the stream starts after START's answer */
	int due = c->f_count >= DATA_MAX_RECORDS || c->stopping ||
		  (c->f_count && at_or_after(c->now, c->f_oldest + c->flush_us));
	int heartbeat = at_or_after(c->now, c->last_frame + HBP_HEARTBEAT_US);
	if (!due && !heartbeat)
		return 0;
	if (c->stopping && c->f_count == 0 && !heartbeat)
		return 0;
	unsigned n = 0, nrec = 0;
	uint32_t t = c->t_packed;
	while (n < c->f_count) {
		uint8_t tag = fifo_at(c, n);
		unsigned sz = hbp_rec_size(tag);
		if (n + sz > DATA_MAX_RECORDS)
			break;
		uint32_t dt = fifo_at(c, n + 1);
		if (tag >> 4 == HBP_REC_GAP)
			dt += 256u * (uint32_t)(fifo_at(c, n + 2) | fifo_at(c, n + 3) << 8);
		t += dt;
		n += sz;
		if (tag >> 4 != HBP_REC_GAP)
			nrec++;
	}
	uint16_t len = (uint16_t)(HBP_DATA_HDR_LEN + n);
	if (h->uart_tx_space(h->ctx) < (size_t)len + HBP_OVERHEAD)
		return 0;
	uint8_t hdr[HBP_HDR_LEN + HBP_DATA_HDR_LEN];
	uint16_t crc = hbp_frame_header(hdr, HBP_DATA, c->data_seq++, len);
	hbp_put32(hdr + HBP_HDR_LEN, c->t_packed);
	hbp_put32(hdr + HBP_HDR_LEN + 4, c->run_dropped);
	crc = hbp_crc16(crc, hdr + HBP_HDR_LEN, HBP_DATA_HDR_LEN);
	h->uart_write(h->ctx, hdr, sizeof hdr);
	unsigned first = c->f_tail, run1 = HBP_FIFO_BYTES - first;
	if (run1 > n)
		run1 = n;
	crc = hbp_crc16(crc, c->fifo + first, run1);
	h->uart_write(h->ctx, c->fifo + first, run1);
	if (n > run1) {
		crc = hbp_crc16(crc, c->fifo, n - run1);
		h->uart_write(h->ctx, c->fifo, n - run1);
	}
	uint8_t tail[2];
	hbp_put16(tail, crc);
	h->uart_write(h->ctx, tail, 2);
	c->f_tail = (uint16_t)((c->f_tail + n) & FIFO_MASK);
	c->f_count = (uint16_t)(c->f_count - n);
	c->t_packed = t;
	c->run_records += nrec;
	c->last_frame = c->now;
	if (c->f_count)
		c->f_oldest = c->now;
	return 1;
}

/* ---- the I2C engine ------------------------------------------------------------------- */

static uint32_t op_budget_us(const struct hbp_core *c, const struct hbp_i2c_op *op)
{
	uint32_t hz = c->hal->i2c_hz ? c->hal->i2c_hz : 100000u;
	uint32_t bits = op->kind == HBP_I2C_RECOVER_OP ? 40u : 9u * (op->wn + op->rn + 2u) + 4u;
	return 4u * (uint32_t)((uint64_t)bits * 1000000u / hz) + 2000u;
}

static void start_op(struct hbp_core *c)
{
	c->op_busy = 1;
	c->aborted = 0;
	c->op_start = c->now;
	c->op_deadline = c->now + op_budget_us(c, &c->op);
	c->hal->i2c_start(c->hal->ctx, &c->op);
}

static void op_write(struct hbp_core *c, uint8_t addr, const uint8_t *w, unsigned wn,
		     unsigned rn)
{
	c->op.kind = HBP_I2C_XFER_OP;
	c->op.addr = addr;
	c->op.wn = (uint8_t)wn;
	c->op.rn = (uint8_t)rn;
	if (wn)
		memcpy(c->op.w, w, wn);
	start_op(c);
}

static void read_reg(struct hbp_core *c, struct hbp_mon *m, uint8_t reg)
{
	if (m->ptr == reg) {
		op_write(c, m->addr, NULL, 0, 2); /* the pointer stays: a plain 2-byte read */
	} else {
		op_write(c, m->addr, &reg, 1, 2);
		m->ptr = reg; /* set by the write phase even if the read then fails */
	}
}

static int is_bus_fault(uint8_t st)
{
	return st == HBP_I2C_TIMEOUT || st == HBP_I2C_ARB_LOST || st == HBP_I2C_BUS_STUCK;
}

static void answer_config(struct hbp_core *c, unsigned mi, uint8_t result, uint16_t readback)
{
	if (c->deferred == HBP_CONFIG_MONITOR && c->deferred_mon == mi) {
		uint8_t p[HBP_CONFIG_RESP_LEN];
		p[0] = (uint8_t)mi;
		p[1] = result;
		hbp_put16(p + 2, readback);
		hbp_put32(p + 4, c->mon[mi].period_us);
		c->deferred = 0;
		respond(c, HBP_CONFIG_MONITOR | HBP_RESPONSE_BIT, c->deferred_seq, p, sizeof p);
	}
	if (c->deferred == HBP_START && (c->start_pending >> mi & 1u)) {
		c->start_pending &= (uint8_t)~(1u << mi);
		if (result == HBP_I2C_OK)
			c->start_ok |= (uint8_t)(1u << mi);
		if (!c->start_pending) {
			uint8_t p[HBP_START_RESP_LEN] = {0};
			hbp_put64(p, c->run_start);
			for (unsigned k = 0; k < HBP_MAX_MONITORS; k++)
				if (c->mon[k].addr)
					p[8] |= (uint8_t)(1u << k);
			p[9] = c->start_ok;
			c->deferred = 0;
			respond(c, HBP_START | HBP_RESPONSE_BIT, c->deferred_seq, p, sizeof p);
		}
	}
}

/* A monitor operation failed. */
static void mon_fail(struct hbp_core *c, unsigned mi, uint8_t st, uint8_t op)
{
	struct hbp_mon *m = &c->mon[mi];
	c->cnt.i2c_errors++;
	m->sampling = 0;
	drain_edges(c, horizon(c), 0);
	if (m->state != HBP_MON_ERROR || m->last_err != st)
		rec_i2c_error(c, mi, st, op);
	m->state = HBP_MON_ERROR;
	m->last_err = st;
	m->ptr = 0xFF;
	if (m->fails < 0xFFFFu)
		m->fails++;
	m->retry = c->running;
	m->retry_at = c->now + HBP_RETRY_US;
	if (is_bus_fault(st))
		c->need_recover = 1;
	if (op == HBP_OP_CONFIG)
		answer_config(c, mi, st, 0);
}

static void config_ok(struct hbp_core *c, unsigned mi)
{
	struct hbp_mon *m = &c->mon[mi];
	/* Conversions restart when the configuration register write completes (just before
	 * this job's first operation finished: c->now then); read each one a little after it
	 * ends. */
	m->guard_us = 4u + m->period_us / 64u;
	m->conv_end = c->now + m->period_us;
	m->since_bus = m->bus_every; /* the first sample reads the bus voltage too */
	if (m->state == HBP_MON_ERROR && c->running) {
		drain_edges(c, horizon(c), 0);
		rec_u16(c, HBP_REC_RECOVERED, mi, horizon(c), m->fails);
	}
	m->sampling = c->running || c->stopping;
	m->state = HBP_MON_OK;
	m->last_err = HBP_I2C_OK;
	m->fails = 0;
	m->retry = 0;
}

static void finish_sample(struct hbp_core *c, unsigned mi, int with_bus, uint16_t bus)
{
	drain_edges(c, c->sample_t, 0);
	/* Conversions not read need no record: samples are stamped on the conversion grid, so
	 * a gap of (k + 1) periods between two samples of a monitor says k were missed. */
	c->cnt.conv_missed += c->sample_missed;
	uint8_t b[4];
	hbp_put16(b, c->sample_shunt);
	hbp_put16(b + 2, bus);
	append(c, (uint8_t)((with_bus ? HBP_REC_SAMPLE_BUS : HBP_REC_SAMPLE) << 4 | mi),
	       c->sample_t, b, with_bus ? 4u : 2u);
	c->cnt.samples++;
}

static void job_done(struct hbp_core *c)
{
	c->job = J_NONE;
	c->job_step = 0;
}

/* The current operation finished with status st. */
static void op_done(struct hbp_core *c, uint8_t st)
{
	unsigned mi = c->job_mon;
	struct hbp_mon *m = &c->mon[mi < HBP_MAX_MONITORS ? mi : 0];
	const uint8_t *r = c->op.r;
	switch (c->job) {
	case J_SAMPLE:
		if (c->job_step == 0) {
			if (st != HBP_I2C_OK) {
				job_done(c);
				mon_fail(c, mi, st, HBP_OP_SAMPLE);
				return;
			}
			c->sample_shunt = (uint16_t)(r[0] << 8 | r[1]);
			if (m->bus_every && m->since_bus >= m->bus_every) {
				m->since_bus = 0;
				c->job_step = 1;
				read_reg(c, m, HBP_INA219_REG_BUS);
				return;
			}
			if (m->since_bus < 0xFFFFu)
				m->since_bus++;
			job_done(c);
			finish_sample(c, mi, 0, 0);
			return;
		}
		job_done(c);
		if (st != HBP_I2C_OK) {
			finish_sample(c, mi, 0, 0); /* the shunt reading is good */
			mon_fail(c, mi, st, HBP_OP_BUS);
			return;
		}
		m->since_bus = 1;
		finish_sample(c, mi, 1, (uint16_t)(r[0] << 8 | r[1]));
		return;
	case J_CONFIG:
		if (c->job_step == 0) {
			if (st != HBP_I2C_OK) {
				job_done(c);
				mon_fail(c, mi, st, HBP_OP_CONFIG);
				return;
			}
			m->ptr = HBP_INA219_REG_CONFIG;
			/* The chip takes the new configuration (and restarts converting) as it
			 * acknowledges the last data byte, two SCL periods before the transfer
			 * ends (STOP, bus free time). */
			c->sample_t = c->now - 2u * 1000000u / (c->hal->i2c_hz ? c->hal->i2c_hz : 100000u);
			c->job_step = 1;
			read_reg(c, m, HBP_INA219_REG_CONFIG);
			return;
		}
		job_done(c);
		if (st != HBP_I2C_OK) {
			mon_fail(c, mi, st, HBP_OP_CONFIG);
			return;
		}
		uint16_t rb = (uint16_t)(r[0] << 8 | r[1]);
		if ((rb & 0x7FFFu) != (m->config & 0x7FFFu)) {
			mon_fail(c, mi, HBP_I2C_MISMATCH, HBP_OP_CONFIG);
			return;
		}
		{
			uint32_t t = c->now;
			c->now = c->sample_t;
			config_ok(c, mi);
			c->now = t;
		}
		answer_config(c, mi, HBP_I2C_OK, rb);
		return;
	case J_RECOVER:
		job_done(c);
		c->need_recover = 0;
		if (st == HBP_I2C_OK || st == HBP_I2C_RECOVERED) {
			if (st == HBP_I2C_RECOVERED || c->bus_stuck) {
				c->cnt.bus_recoveries++;
				drain_edges(c, horizon(c), 0);
				rec_i2c_error(c, HBP_REC_BUS_INDEX, HBP_I2C_RECOVERED, HBP_OP_RECOVERY);
			}
			c->bus_stuck = 0;
			return;
		}
		c->cnt.i2c_errors++;
		if (!c->bus_stuck) {
			drain_edges(c, horizon(c), 0);
			rec_i2c_error(c, HBP_REC_BUS_INDEX, st, HBP_OP_RECOVERY);
		}
		c->bus_stuck = 1;
		c->need_recover = 1;
		c->bus_retry_at = c->now + HBP_RETRY_US;
		/* Anything waiting for the bus gets the answer now rather than never. */
		for (unsigned k = 0; k < HBP_MAX_MONITORS; k++)
			if (c->mon[k].cfg_req) {
				c->mon[k].cfg_req = 0;
				mon_fail(c, k, HBP_I2C_BUS_STUCK, HBP_OP_CONFIG);
			}
		if (c->xfer_pending) {
			c->xfer_pending = 0;
			uint8_t p[1] = {HBP_I2C_BUS_STUCK};
			c->deferred = 0;
			respond(c, HBP_I2C_XFER | HBP_RESPONSE_BIT, c->deferred_seq, p, 1);
		}
		return;
	case J_XFER: {
		job_done(c);
		if (st != HBP_I2C_OK)
			c->cnt.i2c_errors++;
		if (is_bus_fault(st))
			c->need_recover = 1;
		uint8_t p[2 + HBP_I2C_MAX];
		p[0] = st;
		unsigned n = 1;
		if (st == HBP_I2C_OK) {
			memcpy(p + 1, c->op.r, c->op.rn);
			n += c->op.rn;
		}
		for (unsigned k = 0; k < HBP_MAX_MONITORS; k++)
			if (c->mon[k].addr == c->op.addr)
				c->mon[k].ptr = 0xFF; /* the host may have moved the pointer */
		c->deferred = 0;
		respond(c, HBP_I2C_XFER | HBP_RESPONSE_BIT, c->deferred_seq, p, (uint16_t)n);
		return;
	}
	default:
		job_done(c);
		return;
	}
}

/* Start the next job, if any is due. Returns 1 if one started. */
static int pick_job(struct hbp_core *c)
{
	if (c->need_recover) {
		if (c->bus_stuck && !at_or_after(c->now, c->bus_retry_at))
			return 0;
		c->job = J_RECOVER;
		c->op.kind = HBP_I2C_RECOVER_OP;
		c->op.addr = 0;
		c->op.wn = c->op.rn = 0;
		start_op(c);
		return 1;
	}
	if (c->xfer_pending) {
		c->xfer_pending = 0;
		c->job = J_XFER;
		c->op = c->xfer;
		start_op(c);
		return 1;
	}
	for (unsigned k = 0; k < HBP_MAX_MONITORS; k++) {
		struct hbp_mon *m = &c->mon[k];
		if (!m->addr)
			continue;
		if (m->cfg_req || (c->running && m->retry && at_or_after(c->now, m->retry_at))) {
			m->cfg_req = 0;
			m->retry = 0;
			uint8_t w[3] = {HBP_INA219_REG_CONFIG, (uint8_t)(m->config >> 8),
					(uint8_t)m->config};
			c->job = J_CONFIG;
			c->job_mon = (uint8_t)k;
			c->job_step = 0;
			op_write(c, m->addr, w, 3, 0);
			return 1;
		}
	}
	if (!c->running)
		return 0;
	int best = -1;
	for (unsigned k = 0; k < HBP_MAX_MONITORS; k++) {
		const struct hbp_mon *m = &c->mon[k];
		if (!m->addr || !m->sampling || !at_or_after(c->now, m->conv_end + m->guard_us))
			continue;
		if (best < 0 || at_or_after(c->mon[best].conv_end, m->conv_end + 1))
			best = (int)k;
	}
	if (best < 0)
		return 0;
	struct hbp_mon *m = &c->mon[best];
	/* The chip hands out its register as the address byte of the read is acknowledged:
	 * 10 SCL periods into a plain read, 29 into a pointer write + repeated-start read. If
	 * further conversions ended by then (the bus was busy), they are gone: the chip keeps
	 * one result. */
	uint32_t hz = c->hal->i2c_hz ? c->hal->i2c_hz : 100000u;
	uint32_t latch = c->now + (m->ptr == HBP_INA219_REG_SHUNT ? 10u : 29u) * 1000000u / hz;
	uint32_t j = at_or_after(latch, m->conv_end) ? (latch - m->conv_end) / m->period_us : 0;
	c->sample_missed = j;
	c->sample_t = m->conv_end + j * m->period_us;
	m->conv_end = c->sample_t + m->period_us;
	c->job = J_SAMPLE;
	c->job_mon = (uint8_t)best;
	c->job_step = 0;
	read_reg(c, m, HBP_INA219_REG_SHUNT);
	return 1;
}

static void i2c_engine(struct hbp_core *c)
{
	const struct hbp_hal *h = c->hal;
	for (int iter = 0; iter < 8; iter++) {
		if (c->op_busy) {
			uint8_t st = h->i2c_poll(h->ctx);
			if (st == HBP_I2C_BUSY) {
				if (!c->aborted && at_or_after(c->now, c->op_deadline)) {
					h->i2c_abort(h->ctx);
					c->aborted = 1;
					c->abort_at = c->now;
					continue; /* a sane HAL now reports TIMEOUT */
				}
				if (c->aborted && at_or_after(c->now, c->abort_at + HBP_WEDGED_US))
					c->wedged = 1; /* stop kicking the watchdog: reset */
				return;
			}
			if (c->aborted && st == HBP_I2C_OK)
				st = HBP_I2C_TIMEOUT;
			/* A HAL may finish the transfer inside i2c_start() (the STM32 one does):
			 * the time of this run is then 75 µs old, and the configuration write's
			 * completion time sets the conversion schedule. */
			tick(c);
			c->op_busy = 0;
			c->aborted = 0;
			op_done(c, st);
			if (c->op_busy)
				continue;
		}
		if (!pick_job(c))
			return;
	}
}

/* ---- requests ------------------------------------------------------------------------- */

static void identify(struct hbp_core *c, uint8_t seq)
{
	const struct hbp_hal *h = c->hal;
	uint8_t p[HBP_IDENTIFY_LEN] = {0};
	p[0] = HBP_PROTO_VERSION;
	p[1] = HBP_FW_MAJOR;
	p[2] = HBP_FW_MINOR;
	p[3] = HBP_FW_PATCH;
	hbp_put32(p + 4, h->build_hash);
	hbp_put32(p + 8, HBP_TIMER_HZ);
	hbp_put32(p + 12, h->baud);
	hbp_put32(p + 16, h->i2c_hz);
	hbp_put16(p + 20, h->capabilities);
	p[22] = HBP_MAX_MONITORS;
	p[23] = HBP_N_CAPTURE;
	hbp_put16(p + 24, HBP_MAX_PAYLOAD);
	hbp_put16(p + 26, (uint16_t)(HBP_FIFO_BYTES > 0xFFFFu ? 0xFFFFu : HBP_FIFO_BYTES));
	p[28] = h->board;
	p[29] = c->boot.reset_cause;
	hbp_put16(p + 30, c->boot.boot_count);
	hbp_put16(p + 32, c->boot.watchdog_resets);
	hbp_put16(p + 34, h->sysclk_mhz);
	respond(c, HBP_IDENTIFY | HBP_RESPONSE_BIT, seq, p, sizeof p);
}

static void status(struct hbp_core *c, uint8_t seq)
{
	uint8_t p[HBP_STATUS_LEN] = {0};
	hbp_put64(p, hbp_core_time64(c));
	p[8] = c->running;
	p[9] = c->boot.reset_cause;
	hbp_put16(p + 10, c->boot.watchdog_resets);
	hbp_put32(p + 12, c->cnt.samples);
	hbp_put32(p + 16, c->cnt.records_dropped);
	hbp_put32(p + 20, c->cnt.edges);
	hbp_put32(p + 24, c->cnt.edges_dropped);
	hbp_put32(p + 28, c->cnt.i2c_errors);
	hbp_put32(p + 32, c->cnt.conv_missed);
	hbp_put16(p + 36, c->f_high);
	hbp_put16(p + 38, (uint16_t)(HBP_FIFO_BYTES > 0xFFFFu ? 0xFFFFu : HBP_FIFO_BYTES));
	hbp_put32(p + 40, c->cnt.rx_bad);
	hbp_put32(p + 44, c->cnt.bus_recoveries);
	for (unsigned k = 0; k < HBP_MAX_MONITORS; k++) {
		p[48 + k] = c->mon[k].addr ? c->mon[k].state : HBP_MON_OFF;
		p[52 + k] = c->mon[k].last_err;
	}
	respond(c, HBP_STATUS | HBP_RESPONSE_BIT, seq, p, sizeof p);
}

static void config_monitor(struct hbp_core *c, uint8_t seq, const uint8_t *p)
{
	unsigned mi = p[0], addr = p[1];
	uint16_t cfg = hbp_get16(p + 2);
	uint32_t period = hbp_get32(p + 8);
	if (c->running || c->stopping) {
		error_frame(c, seq, HBP_R_STATE, HBP_CONFIG_MONITOR);
		return;
	}
	unsigned mode = cfg & HBP_INA219_MODE_MASK;
	if (period == 0)
		period = hbp_ina219_cycle_us(cfg);
	if (mi >= HBP_MAX_MONITORS || (addr && (addr < 0x03 || addr > 0x77)) ||
	    (addr && (mode < 5 || (cfg & 0x8000u))) || (addr && (period < 50u || period > 10000000u))) {
		error_frame(c, seq, HBP_R_BAD_ARG, HBP_CONFIG_MONITOR);
		return;
	}
	struct hbp_mon *m = &c->mon[mi];
	memset(m, 0, sizeof *m);
	m->ptr = 0xFF;
	m->addr = (uint8_t)addr;
	m->config = cfg;
	m->shunt_uohm = hbp_get32(p + 4);
	m->period_us = addr ? period : 0;
	m->bus_every = hbp_get16(p + 12);
	if (!addr) {
		uint8_t q[HBP_CONFIG_RESP_LEN] = {(uint8_t)mi, HBP_I2C_OK};
		respond(c, HBP_CONFIG_MONITOR | HBP_RESPONSE_BIT, seq, q, sizeof q);
		return;
	}
	m->state = HBP_MON_OK; /* until the check below says otherwise */
	m->cfg_req = 1;
	c->deferred = HBP_CONFIG_MONITOR;
	c->deferred_seq = seq;
	c->deferred_mon = (uint8_t)mi;
}

static void start(struct hbp_core *c, uint8_t seq, const uint8_t *p)
{
	if (c->running || c->stopping) {
		error_frame(c, seq, HBP_R_STATE, HBP_START);
		return;
	}
	if (p[0] > 0xF) {
		error_frame(c, seq, HBP_R_BAD_ARG, HBP_START);
		return;
	}
	c->capture_mask = p[0];
	c->flush_us = hbp_get16(p + 2) ? hbp_get16(p + 2) : HBP_FLUSH_DEFAULT_US;
	c->running = 1;
	c->run_start = hbp_core_time64(c);
	c->f_tail = c->f_count = c->f_high = 0;
	c->t_appended = c->t_packed = c->now;
	c->last_frame = c->now;
	c->pending_drops = 0;
	c->run_records = c->run_dropped = 0;
	c->data_seq = 0;
	c->e_tail = c->e_head; /* edges from before the start are not part of this run */
	c->e_lost_seen = c->e_lost;
	c->start_pending = c->start_ok = 0;
	for (unsigned k = 0; k < HBP_MAX_MONITORS; k++) {
		struct hbp_mon *m = &c->mon[k];
		if (!m->addr)
			continue;
		m->cfg_req = 1;
		m->retry = 0;
		m->fails = 0;
		m->state = HBP_MON_OK;
		m->last_err = HBP_I2C_OK;
		m->sampling = 0;
		c->start_pending |= (uint8_t)(1u << k);
	}
	c->hal->capture_enable(c->hal->ctx, c->capture_mask);
	if (c->bus_stuck) /* found while stopped: the stream says so first */
		rec_i2c_error(c, HBP_REC_BUS_INDEX, HBP_I2C_BUS_STUCK, HBP_OP_RECOVERY);
	if (c->start_pending) {
		c->deferred = HBP_START; /* answered when every monitor's configuration is done */
		c->deferred_seq = seq;
		return;
	}
	uint8_t q[HBP_START_RESP_LEN] = {0};
	hbp_put64(q, c->run_start);
	respond(c, HBP_START | HBP_RESPONSE_BIT, seq, q, sizeof q);
}

static void stop(struct hbp_core *c, uint8_t seq)
{
	if (!c->running) {
		error_frame(c, seq, HBP_R_STATE, HBP_STOP);
		return;
	}
	c->running = 0;
	c->stopping = 1;
	c->hal->capture_enable(c->hal->ctx, 0);
	for (unsigned k = 0; k < HBP_MAX_MONITORS; k++)
		c->mon[k].retry = 0;
	c->deferred = HBP_STOP;
	c->deferred_seq = seq;
}

static void stop_sampling(struct hbp_core *c)
{
	for (unsigned k = 0; k < HBP_MAX_MONITORS; k++)
		c->mon[k].sampling = 0;
}

/* STOP is answered once the last record has gone out. */
static void stop_progress(struct hbp_core *c)
{
	if (!c->stopping || c->op_busy || c->job != J_NONE)
		return;
	stop_sampling(c);
	drain_edges(c, 0, 1);
	if (c->pending_drops && HBP_FIFO_BYTES - c->f_count >= 4u) {
		rec_u16(c, HBP_REC_DROPPED, 0, c->t_appended, c->pending_drops);
		c->pending_drops = 0;
	}
	if (c->f_count || c->resp_len)
		return;
	c->stopping = 0;
	if (c->deferred == HBP_STOP) {
		uint8_t p[HBP_STOP_RESP_LEN];
		hbp_put64(p, hbp_core_time64(c));
		hbp_put32(p + 8, c->run_records);
		hbp_put32(p + 12, c->run_dropped);
		c->deferred = 0;
		respond(c, HBP_STOP | HBP_RESPONSE_BIT, c->deferred_seq, p, sizeof p);
	}
}

static int len_ok(uint8_t type, uint16_t len)
{
	switch (type) {
	case HBP_IDENTIFY:
	case HBP_STOP:
	case HBP_STATUS:
	case HBP_RESET: return len == 0;
	case HBP_CONFIG_MONITOR: return len == HBP_CONFIG_REQ_LEN;
	case HBP_START: return len == HBP_START_REQ_LEN;
	case HBP_SYNC: return len == HBP_SYNC_REQ_LEN;
	case HBP_I2C_XFER: return len >= 2 && len <= 2 + HBP_I2C_MAX;
	default: return 0;
	}
}

static void request(struct hbp_core *c, uint8_t type, uint8_t seq, const uint8_t *p, uint16_t len)
{
	switch (type) {
	case HBP_IDENTIFY: case HBP_CONFIG_MONITOR: case HBP_START: case HBP_STOP:
	case HBP_STATUS: case HBP_SYNC: case HBP_I2C_XFER: case HBP_RESET:
		break;
	default:
		error_frame(c, seq, HBP_R_UNKNOWN_TYPE, type);
		return;
	}
	if (!len_ok(type, len)) {
		error_frame(c, seq, HBP_R_BAD_LENGTH, type);
		return;
	}
	switch (type) {
	case HBP_IDENTIFY: identify(c, seq); return;
	case HBP_STATUS: status(c, seq); return;
	case HBP_CONFIG_MONITOR: config_monitor(c, seq, p); return;
	case HBP_START: start(c, seq, p); return;
	case HBP_STOP: stop(c, seq); return;
	case HBP_SYNC: {
		uint8_t q[HBP_SYNC_RESP_LEN];
		memcpy(q, p, 4);
		hbp_put64(q + 4, extend(c, c->rx_batch_us));
		hbp_put64(q + 12, hbp_core_time64(c));
		respond(c, HBP_SYNC | HBP_RESPONSE_BIT, seq, q, sizeof q);
		return;
	}
	case HBP_I2C_XFER: {
		unsigned addr = p[0], rn = p[1], wn = len - 2u;
		if (addr > 0x7F || rn > HBP_I2C_MAX || (wn == 0 && rn == 0)) {
			error_frame(c, seq, HBP_R_BAD_ARG, type);
			return;
		}
		memset(&c->xfer, 0, sizeof c->xfer);
		c->xfer.kind = HBP_I2C_XFER_OP;
		c->xfer.addr = (uint8_t)addr;
		c->xfer.wn = (uint8_t)wn;
		c->xfer.rn = (uint8_t)rn;
		memcpy(c->xfer.w, p + 2, wn);
		c->xfer_pending = 1;
		c->deferred = HBP_I2C_XFER;
		c->deferred_seq = seq;
		return;
	}
	case HBP_RESET: {
		respond(c, HBP_RESET | HBP_RESPONSE_BIT, seq, NULL, 0);
		/* Leave time for this answer and whatever is queued before it. */
		uint32_t baud = c->hal->baud ? c->hal->baud : 115200u;
		c->reset_pending = 1;
		c->reset_at = c->now + (uint32_t)((uint64_t)1024u * 10u * 1000000u / baud) + 1000u;
		return;
	}
	}
}

static void rx_event(struct hbp_core *c, enum hbp_rx_event ev)
{
	struct hbp_rx *r = &c->rx;
	switch (ev) {
	case HBP_RX_NONE: return;
	case HBP_RX_FRAME: request(c, r->type, r->seq, r->payload, r->len); return;
	case HBP_RX_BAD_HCRC: c->cnt.rx_bad++; error_frame(c, r->seq, HBP_R_BAD_HCRC, r->type); return;
	case HBP_RX_OVERSIZE: c->cnt.rx_bad++; error_frame(c, r->seq, HBP_R_OVERSIZE, r->type); return;
	case HBP_RX_BAD_CRC: c->cnt.rx_bad++; error_frame(c, r->seq, HBP_R_BAD_CRC, r->type); return;
	case HBP_RX_TIMEOUT: c->cnt.rx_bad++; error_frame(c, r->seq, HBP_R_TIMEOUT, r->type); return;
	}
}

static void receive(struct hbp_core *c)
{
	const struct hbp_hal *h = c->hal;
	while (!c->resp_len && !c->deferred && !c->reset_pending) {
		if (hbp_rx_has_replay(&c->rx)) {
			rx_event(c, hbp_rx_replay(&c->rx));
			continue;
		}
		if (c->rx_pos >= c->rx_n) {
			uint32_t t = 0;
			size_t n = h->uart_read(h->ctx, c->rx_buf, sizeof c->rx_buf, &t);
			c->rx_pos = 0;
			c->rx_n = (uint8_t)n;
			if (!n)
				break;
			c->rx_last_us = c->now;
			c->rx_batch_us = t;
		}
		rx_event(c, hbp_rx_byte(&c->rx, c->rx_buf[c->rx_pos++]));
	}
	if (!c->resp_len && !c->deferred && hbp_rx_in_frame(&c->rx) && c->rx_pos >= c->rx_n &&
	    at_or_after(c->now, c->rx_last_us + HBP_RX_TIMEOUT_US))
		rx_event(c, hbp_rx_timeout(&c->rx));
}

/* ---- the run loop --------------------------------------------------------------------- */

static void earliest(uint32_t now, uint32_t t, uint32_t *best)
{
	uint32_t d = at_or_after(now, t) ? 1u : t - now;
	if (d < *best)
		*best = d;
}

uint32_t hbp_core_run(struct hbp_core *c)
{
	const struct hbp_hal *h = c->hal;
	tick(c);
	if (c->reset_pending) {
		send_response(c);
		if (!c->resp_len && at_or_after(c->now, c->reset_at)) {
			c->reset_pending = 0;
			h->system_reset(h->ctx);
			return 1;
		}
		h->watchdog_kick(h->ctx);
		return c->resp_len ? 1u : c->reset_at - c->now + 1u;
	}
	send_response(c);
	receive(c);
	i2c_engine(c);
	if (c->running || c->stopping) {
		drain_edges(c, horizon(c), 0);
	} else {
		drain_edges(c, 0, 1); /* nothing is recorded; keep the ring empty */
	}
	send_response(c);
	while (pack_frame(c))
		;
	stop_progress(c);
	send_response(c);
	receive(c); /* a response just left: the next request may be waiting */
	if (!c->wedged)
		h->watchdog_kick(h->ctx);

	uint32_t best = HBP_IDLE_MAX_US;
	if (c->op_busy)
		earliest(c->now, c->aborted ? c->abort_at + HBP_WEDGED_US : c->op_deadline, &best);
	else if (c->job == J_NONE) {
		if (c->need_recover)
			earliest(c->now, c->bus_retry_at, &best);
		for (unsigned k = 0; k < HBP_MAX_MONITORS && !c->need_recover; k++) {
			const struct hbp_mon *m = &c->mon[k];
			if (!m->addr || !c->running)
				continue;
			if (m->sampling)
				earliest(c->now, m->conv_end + m->guard_us, &best);
			else if (m->retry)
				earliest(c->now, m->retry_at, &best);
		}
	}
	if (hbp_rx_in_frame(&c->rx))
		earliest(c->now, c->rx_last_us + HBP_RX_TIMEOUT_US, &best);
	if (c->running) {
		if (c->f_count && !at_or_after(c->now, c->f_oldest + c->flush_us))
			earliest(c->now, c->f_oldest + c->flush_us, &best);
		if (!at_or_after(c->now, c->last_frame + HBP_HEARTBEAT_US))
			earliest(c->now, c->last_frame + HBP_HEARTBEAT_US, &best);
	}
	return best;
}
