/* hilbench — bench probe host client (see hb_probe.h). */
#define LOG_PREFIX "probe"
#include "hb_probe.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb_link_codec.h"
#include "hb_log.h"

#define NS_PER_MS 1000000ull

struct hb_probe {
	struct hb_transport *t;
	struct hb_probe_opts opts;
	struct hb_clock *clock;
	struct hb_link_decoder dec;
	struct hb_probe_identity id;
	struct hb_probe_stats stats;
	struct hb_probe_stream stream;
	hb_probe_record_fn rec_fn;
	void *rec_ctx;
	bool streaming;
	bool gone;        /* a BOOT frame arrived */
	bool opening;     /* hb_probe_open(): a BOOT frame is a fresh probe, not a reset */
	struct hb_probe_boot boot;
	uint8_t seq;
	uint8_t tx[HB_LINK_MAX_FRAME];
	uint8_t rx_chunk[512];
	char last_error[256];
};

void hb_probe_opts_default(struct hb_probe_opts *o)
{
	memset(o, 0, sizeof *o);
	o->retries = 3;
	o->base_timeout_ms = 200;
}

const char *hb_probe_last_error(const struct hb_probe *p)
{
	return p ? p->last_error : "";
}

const struct hb_probe_identity *hb_probe_identity(const struct hb_probe *p)
{
	return &p->id;
}

const struct hb_probe_stats *hb_probe_stats(const struct hb_probe *p)
{
	return &p->stats;
}

const struct hb_probe_stream *hb_probe_stream(const struct hb_probe *p)
{
	return &p->stream;
}

void hb_probe_set_record_fn(struct hb_probe *p, hb_probe_record_fn fn, void *ctx)
{
	p->rec_fn = fn;
	p->rec_ctx = ctx;
}

__attribute__((format(printf, 3, 4))) static enum hb_status fail(struct hb_probe *p,
								  enum hb_status st,
								  const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->last_error, sizeof p->last_error, fmt, ap);
	va_end(ap);
	hb_err("%s", p->last_error);
	return st;
}

static uint64_t now_ns(struct hb_probe *p)
{
	return p->clock->now_ns(p->clock);
}

static unsigned baud_of(const struct hb_probe *p)
{
	if (p->id.baud)
		return p->id.baud;
	return p->t->baud ? p->t->baud : HBP_DEFAULT_BAUD;
}

static int ms_until(uint64_t now, uint64_t deadline)
{
	if (deadline <= now)
		return 0;
	uint64_t ms = (deadline - now + NS_PER_MS - 1) / NS_PER_MS;
	return ms > 0x7FFFFFFF ? 0x7FFFFFFF : (int)ms;
}

/* What one received frame meant for the request being waited for. */
enum got { G_NOTHING, G_RESPONSE, G_ERROR, G_FOREIGN_ERROR, G_CORRUPT, G_BOOT, G_BAD_DATA };

struct waiting {
	uint8_t type, seq;   /* the request (type 0: nothing awaited) */
	uint8_t *resp;
	size_t cap, len;
	uint8_t reason;
};

static enum got frame(struct hb_probe *p, const struct hb_link_event *ev, struct waiting *w)
{
	switch (ev->kind) {
	case HB_LINK_EV_BAD_CRC:
		p->stats.corrupted++;
		return G_CORRUPT;
	case HB_LINK_EV_FRAME:
		break;
	default:
		p->stats.corrupted++;
		return G_NOTHING;
	}
	if (ev->type == HBP_DATA) {
		p->stats.data_frames++;
		if (!p->streaming)
			return G_NOTHING; /* the tail of an earlier stream */
		if (hb_probe_stream_data(&p->stream, ev->seq, ev->payload, ev->len, p->rec_fn,
					 p->rec_ctx) != HB_OK)
			return G_BAD_DATA;
		return G_NOTHING;
	}
	if (ev->type == HBP_BOOT) {
		p->stats.boots++;
		if (hb_probe_boot_decode(ev->payload, ev->len, &p->boot) == HB_OK) {
			if (p->opening)
				return G_NOTHING;
			p->gone = true;
			p->streaming = false;
			return G_BOOT;
		}
		return G_NOTHING;
	}
	if (ev->type == HBP_ERROR) {
		p->stats.device_errors++;
		if (ev->len != 2)
			return G_NOTHING;
		if (!w->type)
			return G_NOTHING;
		w->reason = ev->payload[0];
		return ev->seq == w->seq ? G_ERROR : G_FOREIGN_ERROR;
	}
	if (!w->type || ev->type != (w->type | HBP_RESPONSE_BIT) || ev->seq != w->seq) {
		p->stats.stale++;
		return G_NOTHING;
	}
	if (ev->len > w->cap)
		return G_BAD_DATA;
	memcpy(w->resp, ev->payload, ev->len);
	w->len = ev->len;
	if (w->type == HBP_START) {
		/* DATA frames may follow in the same read: the stream starts here. */
		struct hb_probe_start_result r;
		if (hb_probe_start_result_decode(ev->payload, ev->len, &r) != HB_OK)
			return G_BAD_DATA;
		hb_probe_stream_begin(&p->stream, r.t_start);
		p->streaming = true;
	}
	return G_RESPONSE;
}

/* Read until something that matters for w happens, or until the deadline (G_NOTHING). Every
 * frame of a chunk is decoded (DATA after a response is not lost); a BOOT outranks the rest.
 * With nothing awaited (w->type 0), returns after each read. */
static enum got pump(struct hb_probe *p, struct waiting *w, uint64_t deadline, enum hb_status *io)
{
	*io = HB_OK;
	for (;;) {
		uint64_t now = now_ns(p);
		if (now >= deadline)
			return G_NOTHING;
		size_t got = 0;
		int ms = ms_until(now, deadline);
		enum hb_status st = p->t->ops->read(p->t, p->rx_chunk, sizeof p->rx_chunk, &got,
						    ms ? ms : 1);
		if (st != HB_OK && st != HB_ERR_TIMEOUT) {
			*io = st;
			return G_NOTHING;
		}
		enum got result = G_NOTHING;
		size_t off = 0;
		for (;;) {
			struct hb_link_event ev;
			size_t used;
			hb_link_decoder_feed(&p->dec, p->rx_chunk + off, got - off, &used, &ev);
			off += used;
			if (ev.kind == HB_LINK_EV_NONE)
				break;
			enum got g = frame(p, &ev, w);
			if (g == G_BOOT || (result == G_NOTHING && g != G_NOTHING))
				result = g;
		}
		if (result != G_NOTHING || !w->type)
			return result;
	}
}

static unsigned timeout_ms(const struct hb_probe *p, size_t req, size_t resp, unsigned extra_ms)
{
	uint64_t bits = 10ull * (req + resp + 2 * HBP_OVERHEAD + 512); /* + a TX buffer of data */
	return p->opts.base_timeout_ms + extra_ms + (unsigned)((bits * 1000 + baud_of(p) - 1) / baud_of(p));
}

static bool retryable(uint8_t reason)
{
	return reason == HBP_R_BAD_HCRC || reason == HBP_R_BAD_CRC || reason == HBP_R_OVERSIZE ||
	       reason == HBP_R_TIMEOUT || reason == HBP_R_BUSY;
}

static enum hb_status transact(struct hb_probe *p, uint8_t type, const uint8_t *req, size_t req_len,
			       uint8_t *resp, size_t cap, size_t *resp_len, size_t resp_max,
			       bool idempotent, unsigned extra_ms)
{
	p->seq++;
	size_t flen;
	enum hb_status st = hb_link_frame_encode(type, p->seq, req, req_len, p->tx, sizeof p->tx, &flen);
	if (st != HB_OK)
		return fail(p, st, "%s: cannot encode the request", hb_probe_type_name(type));
	struct waiting w = {.type = type, .seq = p->seq, .resp = resp, .cap = cap};
	unsigned tmo = timeout_ms(p, req_len, resp_max, extra_ms);
	p->stats.requests++;
	const char *why = "no answer";
	for (unsigned a = 0; a <= p->opts.retries; a++) {
		if (a) {
			p->stats.retries++;
			hb_dbg("%s seq %u: retry %u after: %s", hb_probe_type_name(type), p->seq, a, why);
		}
		st = p->t->ops->write(p->t, p->tx, flen, (int)tmo);
		if (st != HB_OK)
			return fail(p, st, "%s: transport write failed: %s", hb_probe_type_name(type),
				    hb_strerror(st));
		uint64_t deadline = now_ns(p) + (uint64_t)tmo * NS_PER_MS;
		enum hb_status io;
		enum got g = pump(p, &w, deadline, &io);
		if (io != HB_OK)
			return fail(p, io, "%s: transport read failed: %s", hb_probe_type_name(type),
				    hb_strerror(io));
		switch (g) {
		case G_RESPONSE:
			*resp_len = w.len;
			return HB_OK;
		case G_BOOT:
			if (type == HBP_RESET) {
				*resp_len = 0; /* the answer and the reboot in one read */
				return HB_OK;
			}
			return fail(p, HB_ERR_GONE, "the probe reset during %s (reset cause: %s, boot %u, "
				    "%u watchdog resets since power-on)", hb_probe_type_name(type),
				    hb_probe_reset_cause_name(p->boot.reset_cause), p->boot.boot_count,
				    p->boot.watchdog_resets);
		case G_BAD_DATA:
			return fail(p, HB_ERR_FORMAT, "%s: malformed frame from the probe",
				    hb_probe_type_name(type));
		case G_ERROR:
			if (retryable(w.reason)) {
				why = hb_probe_reason_name(w.reason);
				continue;
			}
			return fail(p, w.reason == HBP_R_BAD_ARG ? HB_ERR_ARG : HB_ERR_PROTO,
				    "the probe answered ERROR(%s) to %s", hb_probe_reason_name(w.reason),
				    hb_probe_type_name(type));
		case G_FOREIGN_ERROR:
		case G_CORRUPT:
			why = g == G_CORRUPT ? "corrupted frame" : "ERROR with a foreign seq";
			continue;
		case G_NOTHING:
			p->stats.timeouts++;
			why = "response timeout";
			if (!idempotent)
				return fail(p, HB_ERR_TIMEOUT, "%s: no answer within %u ms",
					    hb_probe_type_name(type), tmo);
			continue;
		}
	}
	return fail(p, HB_ERR_TIMEOUT, "%s: no usable answer after %u attempts (last: %s)",
		    hb_probe_type_name(type), p->opts.retries + 1, why);
}

enum hb_status hb_probe_identify(struct hb_probe *p, struct hb_probe_identity *id)
{
	uint8_t r[HBP_IDENTIFY_LEN];
	size_t n;
	enum hb_status st = transact(p, HBP_IDENTIFY, NULL, 0, r, sizeof r, &n, sizeof r, true, 0);
	if (st != HB_OK)
		return st;
	if (hb_probe_identity_decode(r, n, id) != HB_OK)
		return fail(p, HB_ERR_FORMAT, "IDENTIFY: a %zu-byte answer (expected %d)", n,
			    HBP_IDENTIFY_LEN);
	if (id->proto_version != HBP_PROTO_VERSION)
		return fail(p, HB_ERR_MISMATCH, "the probe speaks protocol version %u, this hilbench %d",
			    id->proto_version, HBP_PROTO_VERSION);
	p->id = *id;
	return HB_OK;
}

enum hb_status hb_probe_open(struct hb_transport *t, const struct hb_probe_opts *opts,
			     struct hb_probe **out)
{
	if (!t || !t->ops || !t->ops->read || !t->ops->write || !out)
		return HB_ERR_ARG;
	*out = NULL;
	struct hb_probe *p = calloc(1, sizeof *p);
	if (!p)
		return HB_ERR_NOMEM;
	p->t = t;
	if (opts)
		p->opts = *opts;
	else
		hb_probe_opts_default(&p->opts);
	p->clock = p->opts.clock ? p->opts.clock : hb_clock_default();
	p->seq = (uint8_t)(now_ns(p) & 0xFF);
	hb_link_decoder_init(&p->dec, HBP_MAX_PAYLOAD);
	struct hb_probe_identity id;
	p->opening = true;
	enum hb_status st = hb_probe_identify(p, &id);
	p->opening = false;
	if (st != HB_OK) {
		hb_probe_close(p);
		return st;
	}
	*out = p;
	return HB_OK;
}

void hb_probe_close(struct hb_probe *p)
{
	free(p);
}

enum hb_status hb_probe_status(struct hb_probe *p, struct hb_probe_status *s)
{
	uint8_t r[HBP_STATUS_LEN];
	size_t n;
	enum hb_status st = transact(p, HBP_STATUS, NULL, 0, r, sizeof r, &n, sizeof r, true, 0);
	if (st != HB_OK)
		return st;
	if (hb_probe_status_decode(r, n, s) != HB_OK)
		return fail(p, HB_ERR_FORMAT, "STATUS: a %zu-byte answer", n);
	return HB_OK;
}

enum hb_status hb_probe_configure(struct hb_probe *p, const struct hb_probe_monitor *m,
				  struct hb_probe_config_result *res)
{
	uint8_t q[HBP_CONFIG_REQ_LEN], r[HBP_CONFIG_RESP_LEN];
	size_t qn, n;
	if (hb_probe_monitor_encode(m, q, sizeof q, &qn) != HB_OK)
		return HB_ERR_ARG;
	enum hb_status st = transact(p, HBP_CONFIG_MONITOR, q, qn, r, sizeof r, &n, sizeof r, true, 20);
	if (st != HB_OK)
		return st;
	if (hb_probe_config_result_decode(r, n, res) != HB_OK)
		return fail(p, HB_ERR_FORMAT, "CONFIG_MONITOR: a %zu-byte answer", n);
	if (res->index < HBP_MAX_MONITORS)
		p->stream.period_us[res->index] = m->addr ? res->period_us : 0;
	return HB_OK;
}

enum hb_status hb_probe_start(struct hb_probe *p, const struct hb_probe_start *s,
			      struct hb_probe_start_result *res)
{
	uint8_t q[HBP_START_REQ_LEN], r[HBP_START_RESP_LEN];
	size_t qn, n;
	if (hb_probe_start_encode(s, q, sizeof q, &qn) != HB_OK)
		return HB_ERR_ARG;
	/* The stream begins when the answer is decoded (frame()): the probe sends its first
	 * DATA frame after the answer, and the answer carries the time base. */
	p->streaming = false;
	enum hb_status st = transact(p, HBP_START, q, qn, r, sizeof r, &n, sizeof r, false, 50);
	if (st == HB_OK && hb_probe_start_result_decode(r, n, res) != HB_OK)
		st = fail(p, HB_ERR_FORMAT, "START: a %zu-byte answer", n);
	if (st != HB_OK)
		p->streaming = false;
	return st;
}

enum hb_status hb_probe_stop(struct hb_probe *p, struct hb_probe_stop_result *res)
{
	uint8_t r[HBP_STOP_RESP_LEN];
	size_t n;
	/* The probe sends what it holds first: up to a FIFO of records at the baud rate. */
	unsigned drain_ms = (unsigned)((uint64_t)(p->id.fifo_bytes + 1024) * 10 * 1000 / baud_of(p));
	enum hb_status st = transact(p, HBP_STOP, NULL, 0, r, sizeof r, &n, sizeof r, false,
				     drain_ms + 50);
	p->streaming = false;
	if (st != HB_OK)
		return st;
	if (hb_probe_stop_result_decode(r, n, res) != HB_OK)
		return fail(p, HB_ERR_FORMAT, "STOP: a %zu-byte answer", n);
	return HB_OK;
}

enum hb_status hb_probe_sync(struct hb_probe *p, struct hb_probe_sync_point *sp)
{
	uint8_t q[HBP_SYNC_REQ_LEN], r[HBP_SYNC_RESP_LEN];
	size_t n;
	uint64_t t0 = now_ns(p);
	q[0] = (uint8_t)t0, q[1] = (uint8_t)(t0 >> 8), q[2] = (uint8_t)(t0 >> 16);
	q[3] = (uint8_t)(t0 >> 24);
	enum hb_status st = transact(p, HBP_SYNC, q, sizeof q, r, sizeof r, &n, sizeof r, false, 0);
	uint64_t t1 = now_ns(p);
	if (st != HB_OK)
		return st;
	struct hb_probe_sync_result sr;
	if (hb_probe_sync_result_decode(r, n, &sr) != HB_OK || memcmp(r, q, 4) != 0)
		return fail(p, HB_ERR_FORMAT, "SYNC: malformed answer");
	sp->host_send_ns = t0;
	sp->host_recv_ns = t1;
	sp->probe_rx_us = sr.t_rx;
	sp->probe_tx_us = sr.t_tx;
	sp->req_bytes = HBP_OVERHEAD + HBP_SYNC_REQ_LEN;
	sp->resp_bytes = HBP_OVERHEAD + HBP_SYNC_RESP_LEN;
	return HB_OK;
}

enum hb_status hb_probe_i2c_xfer(struct hb_probe *p, uint8_t addr7, const uint8_t *w, size_t wn,
				 uint8_t *rbuf, size_t rn, uint8_t *i2c_status)
{
	uint8_t q[2 + HBP_I2C_MAX], r[1 + HBP_I2C_MAX];
	size_t qn, n;
	if (hb_probe_xfer_encode(addr7, w, wn, rn, q, sizeof q, &qn) != HB_OK)
		return fail(p, HB_ERR_ARG, "I2C transfer of %zu+%zu bytes: at most %d each way",
			    wn, rn, HBP_I2C_MAX);
	enum hb_status st = transact(p, HBP_I2C_XFER, q, qn, r, sizeof r, &n, 1 + rn, true, 20);
	if (st != HB_OK)
		return st;
	if (hb_probe_xfer_decode(r, n, rn, i2c_status, rbuf) != HB_OK)
		return fail(p, HB_ERR_FORMAT, "I2C_XFER: a %zu-byte answer for %zu bytes", n, rn);
	return HB_OK;
}

enum hb_status hb_probe_reset(struct hb_probe *p)
{
	uint8_t r[1];
	size_t n;
	p->streaming = false;
	enum hb_status st = transact(p, HBP_RESET, NULL, 0, r, sizeof r, &n, 0, false, 0);
	if (st != HB_OK)
		return st;
	/* Wait for the BOOT frame, then identify the fresh probe. */
	struct waiting w = {0};
	uint64_t deadline = now_ns(p) + (uint64_t)timeout_ms(p, 0, HBP_BOOT_LEN, 1000) * NS_PER_MS;
	enum hb_status io;
	while (!p->gone && now_ns(p) < deadline) {
		pump(p, &w, deadline, &io);
		if (io != HB_OK)
			return fail(p, io, "RESET: transport read failed: %s", hb_strerror(io));
	}
	if (!p->gone)
		return fail(p, HB_ERR_TIMEOUT, "RESET: the probe did not announce its reboot");
	p->gone = false;
	struct hb_probe_identity id;
	return hb_probe_identify(p, &id);
}

enum hb_status hb_probe_poll(struct hb_probe *p, int timeout_ms_)
{
	struct waiting w = {0};
	uint64_t deadline = now_ns(p) + (uint64_t)(timeout_ms_ > 0 ? timeout_ms_ : 0) * NS_PER_MS;
	enum hb_status io;
	uint64_t frames = p->stats.data_frames;
	do {
		enum got g = pump(p, &w, deadline, &io);
		if (io != HB_OK)
			return fail(p, io, "transport read failed: %s", hb_strerror(io));
		if (g == G_BOOT)
			return fail(p, HB_ERR_GONE, "the probe reset (reset cause: %s, boot %u, %u "
				    "watchdog resets since power-on)",
				    hb_probe_reset_cause_name(p->boot.reset_cause), p->boot.boot_count,
				    p->boot.watchdog_resets);
		if (g == G_BAD_DATA)
			return fail(p, HB_ERR_FORMAT, "malformed DATA frame from the probe");
	} while (p->stats.data_frames == frames && now_ns(p) < deadline);
	return HB_OK;
}
