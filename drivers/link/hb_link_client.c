/* hilbench — link protocol v1 host client. See hb_link_client.h and
 * docs/protocol.md ("Host rules", §5 "A noisy line"). */
#define LOG_PREFIX "link"
#include "hb_link_client.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb_log.h"

#define NS_PER_MS 1000000ull
/* The device's inter-byte timeout (protocol §2 rule 4: clock_hz / 100 cycles). */
#define DEVICE_IBT_MS 10u
/* Mismatching bytes closer than this are rewritten as one range (a request costs ~28 bytes). */
#define REPAIR_MERGE_GAP 16u

void hb_link_opts_default(struct hb_link_opts *o)
{
	memset(o, 0, sizeof *o);
	o->retries = 3;
	o->noisy_retries = 64;
	o->baud = 0;
	o->base_timeout_ms = 100;
	o->interbyte_timeout_ms = 100;
	o->drain_quiet_ms = 30;
	o->busy_backoff_ms = 10;
	o->compute_margin_pct = 50;
	o->verify = true;
	o->clock = NULL;
	o->adapt = true;
	o->chunk_min = 16;
	o->shrink_after = 2;
	o->grow_after = 8;
	o->backoff_base_us = 500;
	o->backoff_max_ms = 50;
	o->verify_rounds = 8;
	o->pipeline = true;
}

enum hb_status hb_link_open(struct hb_transport *t, const struct hb_link_opts *opts,
			    struct hb_link **out)
{
	if (!t || !t->ops || !t->ops->read || !t->ops->write || !out)
		return HB_ERR_ARG;
	*out = NULL;
	struct hb_link *l = calloc(1, sizeof *l);
	if (!l)
		return HB_ERR_NOMEM;
	l->t = t;
	if (opts)
		l->opts = *opts;
	else
		hb_link_opts_default(&l->opts);
	if (l->opts.chunk_min < 1)
		l->opts.chunk_min = 1;
	if (l->opts.shrink_after < 1)
		l->opts.shrink_after = 1;
	if (l->opts.grow_after < 1)
		l->opts.grow_after = 1;
	if (l->opts.verify_rounds < 1)
		l->opts.verify_rounds = 1;
	l->clock = l->opts.clock ? l->opts.clock : hb_clock_default();
	hb_link_decoder_init(&l->dec, HB_LINK_MAX_PAYLOAD);
	*out = l;
	return HB_OK;
}

void hb_link_close(struct hb_link *l)
{
	free(l);
}

const char *hb_link_last_error(const struct hb_link *l)
{
	return l ? l->last_error : "";
}

__attribute__((format(printf, 3, 4))) static enum hb_status fail(struct hb_link *l,
								  enum hb_status st,
								  const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(l->last_error, sizeof l->last_error, fmt, ap);
	va_end(ap);
	hb_err("%s", l->last_error);
	return st;
}

static uint64_t now_ns(struct hb_link *l)
{
	return l->clock->now_ns(l->clock);
}

static unsigned baud_of(const struct hb_link *l)
{
	if (l->opts.baud)
		return l->opts.baud;
	if (l->t->baud)
		return l->t->baud;
	return 115200;
}

/* Wire time of n bytes (8N1: 10 bits each). */
static uint64_t wire_ns(const struct hb_link *l, size_t n)
{
	return (uint64_t)n * 10ull * 1000000000ull / baud_of(l);
}

unsigned hb_link_response_timeout_ms(const struct hb_link *l, size_t req_len, size_t resp_len,
				     uint64_t compute_cycles)
{
	uint64_t bits = 10ull * (req_len + resp_len + 2 * HB_LINK_OVERHEAD);
	uint64_t baud = baud_of(l);
	uint64_t ms = l->opts.base_timeout_ms + (bits * 1000 + baud - 1) / baud;
	if (compute_cycles) {
		uint64_t hz = (l->have_identity && l->id.clock_hz) ? l->id.clock_hz : 1000000;
		uint64_t cms = (compute_cycles / hz) * 1000 + ((compute_cycles % hz) * 1000 + hz - 1) / hz;
		ms += cms + (cms * l->opts.compute_margin_pct + 99) / 100;
	}
	return ms > 0x7FFFFFFF ? 0x7FFFFFFF : (unsigned)ms;
}

uint64_t hb_link_estimate_cycles(const struct hb_link *l)
{
	if (l->last_busy_cycles)
		return l->last_busy_cycles;
	if (!l->have_config)
		return 0;
	unsigned P = (l->have_identity && l->id.lanes) ? l->id.lanes : 1;
	uint64_t words = (l->cfg.L + P - 1) / P, c = 0;
	for (unsigned k = 0; k < l->cfg.n_layers && k < HB_LINK_MAX_LAYERS; k++)
		c += (uint64_t)l->cfg.sizes[k + 1] * (l->cfg.sizes[k] + 16u) * words;
	return c;
}

/* ---- adaptation: latency, timeouts, chunk sizes ---------------------------- */

/* The measured latency is trusted once three responses have been timed. */
static bool timed(const struct hb_link *l)
{
	return l->opts.adapt && l->rtt_n >= 3;
}

/* Latency beyond the wire time that a response may still take: srtt + 4 rttvar (as TCP). */
static uint64_t latency_bound_ns(const struct hb_link *l)
{
	return l->srtt_ns + 4 * l->rttvar_ns;
}

/* A response arrived elapsed ns after the request started; wire_time of both frames. */
static void note_rtt(struct hb_link *l, uint64_t elapsed, uint64_t wire_time)
{
	uint64_t x = elapsed > wire_time ? elapsed - wire_time : 0;
	if (l->rtt_n == 0) {
		l->srtt_ns = x;
		l->rttvar_ns = x / 2;
	} else {
		uint64_t d = x > l->srtt_ns ? x - l->srtt_ns : l->srtt_ns - x;
		l->rttvar_ns = (3 * l->rttvar_ns + d) / 4;
		l->srtt_ns = (7 * l->srtt_ns + x) / 8;
	}
	if (l->rtt_n < 1000)
		l->rtt_n++;
}

/* Response timeout for a request without compute time. The protocol's fixed 100 ms covers
 * an unknown host; once the latency is measured it is replaced by that bound plus the
 * device's inter-byte timeout (a frame that lost a byte is answered ERROR(TIMEOUT) that
 * much after its last byte; retrying earlier would feed the retry into the stuck frame). */
static unsigned timeout_ms(struct hb_link *l, size_t req_len, size_t resp_max, uint64_t compute)
{
	unsigned fixed = hb_link_response_timeout_ms(l, req_len, resp_max, compute);
	if (compute || !timed(l))
		return fixed;
	/* after timeouts in a row the host waits twice as long each time (as TCP does): a
	 * latency spike the estimate has not seen yet is not taken for a lost frame again */
	uint64_t ns = wire_ns(l, req_len + resp_max + 2 * HB_LINK_OVERHEAD) +
		      ((latency_bound_ns(l) + (DEVICE_IBT_MS + 2) * NS_PER_MS) << l->rto_shift);
	uint64_t ms = (ns + NS_PER_MS - 1) / NS_PER_MS;
	return ms < fixed ? (unsigned)ms : fixed;
}

/* Quiet time that ends a drain: enough for whatever the failed attempt still set off. */
static uint64_t drain_quiet_ns(const struct hb_link *l)
{
	uint64_t fixed = (uint64_t)l->opts.drain_quiet_ms * NS_PER_MS;
	if (!timed(l))
		return fixed;
	uint64_t q = 2 * latency_bound_ns(l) + wire_ns(l, 2 * HB_LINK_OVERHEAD + 16);
	return q < fixed ? q : fixed;
}

/* Host inter-byte timeout inside a response frame. */
static uint64_t interbyte_ns(const struct hb_link *l)
{
	uint64_t fixed = (uint64_t)l->opts.interbyte_timeout_ms * NS_PER_MS;
	if (!timed(l))
		return fixed;
	uint64_t q = 2 * latency_bound_ns(l) + wire_ns(l, 16) + 4 * NS_PER_MS;
	return q < fixed ? q : fixed;
}

enum dkind { DK_LOAD, DK_STREAM, DK_READ };

static size_t kind_max(const struct hb_link *l, enum dkind k)
{
	return k == DK_READ ? HB_LINK_READ_MAX_DATA(l->id.max_payload)
	       : k == DK_LOAD ? HB_LINK_LOAD_MAX_DATA(l->id.max_payload)
			      : HB_LINK_STREAM_MAX_DATA(l->id.max_payload);
}

/* Data bytes for the next chunk of kind k. */
static size_t chunk_of(struct hb_link *l, enum dkind k)
{
	size_t max = kind_max(l, k);
	uint32_t c = k == DK_READ ? l->chunk_r : l->chunk_w;
	if (!l->opts.adapt || c == 0 || c > max)
		c = (uint32_t)max;
	if (k == DK_READ) {
		l->stats.chunk_read = c;
		if (!l->stats.chunk_read_min || c < l->stats.chunk_read_min)
			l->stats.chunk_read_min = c;
	} else {
		l->stats.chunk_write = c;
		if (!l->stats.chunk_write_min || c < l->stats.chunk_write_min)
			l->stats.chunk_write_min = c;
	}
	return c;
}

/* A chunk went through at its first attempt: after grow_after of them, double. */
static void chunk_clean(struct hb_link *l, enum dkind k)
{
	uint32_t *c = k == DK_READ ? &l->chunk_r : &l->chunk_w;
	unsigned *ok = k == DK_READ ? &l->ok_r : &l->ok_w, *bad = k == DK_READ ? &l->fail_r : &l->fail_w;
	*bad = 0;
	if (!l->opts.adapt || *c == 0 || ++*ok < l->opts.grow_after)
		return;
	*ok = 0;
	*c *= 2;
	if (*c >= kind_max(l, k))
		*c = 0; /* back at the maximum */
	l->stats.grows++;
	hb_dbg("line clean: %s chunks grow to %u bytes", k == DK_READ ? "READ" : "write",
	       *c ? *c : (unsigned)kind_max(l, k));
}

/* An attempt failed in a way a smaller chunk makes less likely: after shrink_after in a
 * row, halve. Returns true if it shrank. */
static bool chunk_failed(struct hb_link *l, enum dkind k, size_t cur)
{
	uint32_t *c = k == DK_READ ? &l->chunk_r : &l->chunk_w;
	unsigned *ok = k == DK_READ ? &l->ok_r : &l->ok_w, *bad = k == DK_READ ? &l->fail_r : &l->fail_w;
	*ok = 0;
	if (!l->opts.adapt || ++*bad < l->opts.shrink_after)
		return false;
	*bad = 0;
	if (cur <= l->opts.chunk_min)
		return false;
	uint32_t n = (uint32_t)(cur / 2);
	*c = n < l->opts.chunk_min ? l->opts.chunk_min : n;
	l->stats.shrinks++;
	hb_dbg("line noisy: %s chunks shrink to %u bytes", k == DK_READ ? "READ" : "write", *c);
	return true;
}

/* ---- one attempt -------------------------------------------------------- */

enum await {
	AW_OK,
	AW_TIMEOUT,   /* response timeout, nothing usable arrived */
	AW_TRUNC,     /* a frame started but was cut by the inter-byte timeout */
	AW_CORRUPT,   /* a complete frame with a bad CRC-16 */
	AW_RETRY_ERR, /* device ERROR with a retryable reason or a foreign seq */
	AW_FATAL,     /* device ERROR that is not retried, or an unusable response */
	AW_IO,        /* transport failure */
};

static int ms_until(uint64_t now, uint64_t deadline)
{
	if (deadline <= now)
		return 0;
	uint64_t ms = (deadline - now + NS_PER_MS - 1) / NS_PER_MS;
	return ms > 0x7FFFFFFF ? 0x7FFFFFFF : (int)ms;
}

/* Read and discard until `not_before` has passed and then the line has been quiet for
 * `quiet` ns (at most about base_timeout + quiet after that, so a babbling line cannot
 * hang us). quiet 0: only what has already arrived is discarded. */
static enum hb_status drain(struct hb_link *l, uint64_t not_before, uint64_t quiet)
{
	uint64_t t0 = now_ns(l);
	if (quiet == 0) {
		if (l->t->ops->flush)
			l->t->ops->flush(l->t);
		hb_link_decoder_reset(&l->dec);
		return HB_OK;
	}
	uint64_t start = not_before > t0 ? not_before : t0;
	uint64_t limit = start + quiet + (uint64_t)l->opts.base_timeout_ms * NS_PER_MS;
	uint64_t until = start + quiet;
	for (;;) {
		uint64_t now = now_ns(l);
		if (now >= until || now >= limit)
			break;
		size_t got = 0;
		enum hb_status st = l->t->ops->read(l->t, l->rx_chunk, sizeof l->rx_chunk, &got,
						    ms_until(now, until) ? ms_until(now, until) : 1);
		if (st != HB_OK && st != HB_ERR_TIMEOUT)
			return st;
		if (got) {
			l->stats.bytes_rx += got;
			uint64_t t = now_ns(l) + quiet;
			if (t > until)
				until = t;
		}
	}
	hb_link_decoder_reset(&l->dec);
	return HB_OK;
}

/* A request that lost a byte or two on the way leaves the device waiting inside the frame
 * for its inter-byte timeout (10 ms) before it answers ERROR(TIMEOUT). When an answer is
 * late by more than the measured latency, the host sends NUDGE_BYTES bytes of 0x00: they
 * complete such a frame, which the device then answers BAD_CRC at once (our seq). A device
 * that is hunting counts them as garbage; one that is computing ignores them. Only once the
 * latency is measured (adapt), so never on a clean line. Returns the time to nudge at, or
 * UINT64_MAX for never. */
#define NUDGE_BYTES 2u
static uint64_t nudge_at(const struct hb_link *l, uint64_t frame_end, size_t resp_max,
			 uint64_t compute_cycles)
{
	if (!timed(l) || (compute_cycles && !l->id.clock_hz))
		return UINT64_MAX;
	uint64_t compute = compute_cycles ? compute_cycles * 1000000000ull / l->id.clock_hz : 0;
	return frame_end + wire_ns(l, resp_max + HB_LINK_OVERHEAD) + compute + latency_bound_ns(l) +
	       NS_PER_MS;
}

static enum hb_status nudge(struct hb_link *l)
{
	static const uint8_t zeros[NUDGE_BYTES];
	l->stats.nudges++;
	l->stats.bytes_tx += NUDGE_BYTES;
	return l->t->ops->write(l->t, zeros, NUDGE_BYTES, 100);
}

/* Wait for the response to (type, seq). why receives a short description of
 * a non-OK outcome; *st the status to return for AW_FATAL / AW_IO. */
static enum await await_response(struct hb_link *l, uint8_t type, unsigned timeout_ms, void *resp,
				 size_t cap, size_t *resp_len, bool busy_waits, char *why,
				 size_t why_cap, enum hb_status *st_out, uint64_t nudge_ns, uint64_t after_nudge)
{
	const uint8_t want = (uint8_t)(type | HB_LINK_RESPONSE_BIT);
	const uint64_t t0 = now_ns(l);
	uint64_t deadline = t0 + (uint64_t)timeout_ms * NS_PER_MS;
	const uint64_t ib = interbyte_ns(l);
	uint64_t last_byte = t0;
	*st_out = HB_OK;

	for (;;) {
		uint64_t now = now_ns(l);
		bool in_frame = hb_link_decoder_in_frame(&l->dec);
		struct hb_link_event ev;
		if (l->opts.abort_now && *l->opts.abort_now) {
			*st_out = HB_ERR_INTERRUPTED;
			snprintf(why, why_cap, "interrupted");
			return AW_IO;
		}
		if (in_frame && now >= last_byte + ib) {
			hb_link_decoder_timeout(&l->dec, &ev);
			if (ev.kind == HB_LINK_EV_TIMEOUT) {
				l->stats.truncated++;
				snprintf(why, why_cap,
					 "response truncated: %zu bytes then silence for %llu ms",
					 ev.received, (unsigned long long)(ib / NS_PER_MS));
				return AW_TRUNC;
			}
			continue;
		}
		if (now >= deadline) {
			l->stats.timeouts++;
			snprintf(why, why_cap, "response timeout after %u ms", timeout_ms);
			return AW_TIMEOUT;
		}
		if (now >= nudge_ns && !in_frame && last_byte == t0) {
			nudge_ns = UINT64_MAX;
			enum hb_status ns = nudge(l);
			if (ns != HB_OK) {
				*st_out = ns;
				snprintf(why, why_cap, "transport write failed: %s", hb_strerror(ns));
				return AW_IO;
			}
			/* a frame the nudge completed is answered in this time; past it, the
			 * request never reached the device whole (its header was lost) */
			if (now + after_nudge < deadline)
				deadline = now + after_nudge;
		}
		uint64_t until = deadline;
		if (in_frame && last_byte + ib < until)
			until = last_byte + ib;
		if (nudge_ns < until && !in_frame)
			until = nudge_ns > now ? nudge_ns : now + 1;
		size_t got = 0;
		enum hb_status st = l->t->ops->read(l->t, l->rx_chunk, sizeof l->rx_chunk, &got,
						    ms_until(now, until) ? ms_until(now, until) : 1);
		if (st != HB_OK && st != HB_ERR_TIMEOUT) {
			*st_out = st;
			snprintf(why, why_cap, "transport read failed: %s", hb_strerror(st));
			return AW_IO;
		}
		if (!got)
			continue;
		last_byte = now_ns(l);
		l->stats.bytes_rx += got;

		size_t off = 0;
		for (;;) {
			size_t used;
			hb_link_decoder_feed(&l->dec, l->rx_chunk + off, got - off, &used, &ev);
			off += used;
			if (ev.kind == HB_LINK_EV_NONE)
				break;
			switch (ev.kind) {
			case HB_LINK_EV_BAD_HCRC:
			case HB_LINK_EV_OVERSIZE:
				/* Maybe garbage that looked like a SOF: the decoder
				 * re-synchronises, a real response may follow. */
				l->stats.corrupted++;
				hb_dbg("%s seq %u: dropped a bad header (%s)", hb_link_type_name(type),
				       l->seq, ev.kind == HB_LINK_EV_OVERSIZE ? "oversize" : "bad hcrc");
				continue;
			case HB_LINK_EV_BAD_CRC:
				l->stats.corrupted++;
				snprintf(why, why_cap, "corrupted response (CRC-16 mismatch, type 0x%02x seq %u)",
					 ev.type, ev.seq);
				return AW_CORRUPT;
			case HB_LINK_EV_FRAME:
				break;
			default:
				continue;
			}
			/* A well-formed frame. */
			if (ev.type == HB_LINK_ERROR) {
				struct hb_link_error e;
				l->stats.device_errors++;
				if (hb_link_error_decode(ev.payload, ev.len, &e) != HB_OK) {
					l->stats.stale++;
					continue;
				}
				l->last_reason = e.reason;
				l->last_err_ours = ev.seq == l->seq;
				if (e.reason == HB_LINK_R_BUSY)
					l->stats.busy++;
				if (ev.seq != l->seq) {
					snprintf(why, why_cap,
						 "device answered ERROR(%s) with seq %u (sent %u): request corrupted on the way",
						 hb_link_reason_name(e.reason), ev.seq, l->seq);
					return AW_RETRY_ERR;
				}
				if (busy_waits && e.reason == HB_LINK_R_BUSY) {
					/* our earlier attempt of this INFER/BATCH is still
					 * running: its answer has this seq, wait for it */
					hb_dbg("%s seq %u: BUSY with our earlier attempt; waiting for it",
					       hb_link_type_name(type), l->seq);
					continue;
				}
				snprintf(why, why_cap, "device answered ERROR(%s) for %s",
					 hb_link_reason_name(e.reason),
					 hb_link_type_name(e.request_type));
				if (hb_link_reason_retryable(e.reason))
					return AW_RETRY_ERR;
				switch (e.reason) {
				case HB_LINK_R_BAD_ARG: *st_out = HB_ERR_ARG; break;
				default: *st_out = HB_ERR_PROTO; break;
				}
				return AW_FATAL;
			}
			if (ev.type != want || ev.seq != l->seq) {
				l->stats.stale++;
				hb_dbg("%s seq %u: discarded stale %s response seq %u",
				       hb_link_type_name(type), l->seq, hb_link_type_name(ev.type), ev.seq);
				continue;
			}
			if (ev.len > cap) {
				*st_out = HB_ERR_FORMAT;
				snprintf(why, why_cap, "response payload of %u bytes, at most %zu expected",
					 ev.len, cap);
				return AW_FATAL;
			}
			if (ev.len)
				memcpy(resp, ev.payload, ev.len);
			*resp_len = ev.len;
			l->stats.payload_rx += ev.len;
			/* The device sends nothing unsolicited: bytes after the
			 * response are line noise and are not kept. */
			hb_link_decoder_reset(&l->dec);
			return AW_OK;
		}
	}
}

/* One attempt of the request framed in l->tx (flen bytes, sent with l->seq). */
struct attempt {
	enum await a;
	enum hb_status st;     /* AW_FATAL / AW_IO */
	uint64_t frame_end_ns; /* when the request has left the wire (ideally) */
	bool heard;            /* bytes came back (a timeout after them is line noise) */
	char why[200];
};

static void attempt(struct hb_link *l, uint8_t type, size_t flen, unsigned tmo, void *resp,
		    size_t cap, size_t *resp_len, size_t resp_max, uint64_t compute, bool busy_waits,
		    struct attempt *at)
{
	uint64_t t0 = now_ns(l);
	l->last_reason = 0;
	l->last_err_ours = false;
	at->frame_end_ns = t0 + wire_ns(l, flen);
	at->st = l->t->ops->write(l->t, l->tx, flen, (int)hb_link_response_timeout_ms(l, flen, 0, 0));
	if (at->st != HB_OK) {
		at->a = AW_IO;
		snprintf(at->why, sizeof at->why, "transport write failed: %s", hb_strerror(at->st));
		return;
	}
	l->stats.attempts++;
	l->stats.bytes_tx += flen;
	uint64_t rx0 = l->stats.bytes_rx;
	at->a = await_response(l, type, tmo, resp, cap, resp_len, busy_waits, at->why,
			       sizeof at->why, &at->st,
			       /* not while an inference may still compute: its time is an estimate */
			       l->opts.adapt && type != HB_LINK_INFER && type != HB_LINK_BATCH
				       ? nudge_at(l, at->frame_end_ns, resp_max, compute)
				       : UINT64_MAX,
			       wire_ns(l, NUDGE_BYTES + resp_max + HB_LINK_OVERHEAD) +
				       (timed(l) ? latency_bound_ns(l) : 0) + NS_PER_MS);
	at->heard = l->stats.bytes_rx != rx0;
	if (at->a == AW_OK && !compute)
		note_rtt(l, now_ns(l) - t0, wire_ns(l, flen + *resp_len + HB_LINK_OVERHEAD));
	if (at->a == AW_OK)
		l->rto_shift = 0;
	else if (at->a == AW_TIMEOUT && l->rto_shift < 6)
		l->rto_shift++;
}

/* Retry accounting for one request (or chunk position). */
struct budget {
	unsigned silent; /* failed attempts with no sign of the device, or BUSY, in a row */
	unsigned total;  /* failed attempts */
};

static bool is_noise(const struct hb_link *l, const struct attempt *at)
{
	return at->a == AW_CORRUPT || at->a == AW_TRUNC || (at->a == AW_TIMEOUT && at->heard) ||
	       (at->a == AW_RETRY_ERR && l->last_reason != HB_LINK_R_BUSY);
}

/* Count a failed attempt; true if another one is allowed. */
static bool budget_next(struct hb_link *l, struct budget *b, const struct attempt *at)
{
	b->total++;
	if (is_noise(l, at)) {
		l->stats.noise_errors++;
		b->silent = 0;
	} else {
		b->silent++;
	}
	if (l->opts.retries == 0 || b->silent > l->opts.retries)
		return false;
	unsigned cap = l->opts.noisy_retries > l->opts.retries ? l->opts.noisy_retries
							     : l->opts.retries;
	return b->total <= cap;
}

/* Before the next attempt: back off, then drain what the failed one set off. */
static enum hb_status pause_before_retry(struct hb_link *l, const struct budget *b,
					 const struct attempt *at)
{
	uint64_t back = 0;
	if (l->opts.adapt && l->opts.backoff_base_us) {
		unsigned k = b->total > 0 ? b->total - 1 : 0;
		back = (uint64_t)l->opts.backoff_base_us * 1000ull << (k < 20 ? k : 20);
		uint64_t cap = (uint64_t)l->opts.backoff_max_ms * NS_PER_MS;
		if (back > cap)
			back = cap;
	}
	if (at->a == AW_RETRY_ERR && l->last_reason == HB_LINK_R_BUSY &&
	    back < (uint64_t)l->opts.busy_backoff_ms * NS_PER_MS)
		back = (uint64_t)l->opts.busy_backoff_ms * NS_PER_MS;
	/* ERROR(BAD_CRC) with our seq: the device read our whole frame and is hunting again;
	 * nothing else is coming. Otherwise wait for quiet. */
	bool settled = l->opts.adapt && at->a == AW_RETRY_ERR && l->last_err_ours &&
		       l->last_reason == HB_LINK_R_BAD_CRC;
	uint64_t quiet = settled ? 0 : drain_quiet_ns(l);
	if (back > quiet || settled) {
		uint64_t s = settled ? back : back - quiet;
		if (s) {
			l->clock->sleep_ns(l->clock, s);
			l->stats.backoff_ns += s;
		}
	}
	return drain(l, at->frame_end_ns, quiet);
}

enum hb_status hb_link_transact(struct hb_link *l, uint8_t type, const void *req, size_t req_len,
				void *resp, size_t cap, size_t *resp_len, size_t resp_max,
				uint64_t compute_cycles)
{
	if (!l || (req_len && !req) || (cap && !resp) || !resp_len)
		return HB_ERR_ARG;
	*resp_len = 0;
	l->seq = l->seq_started ? (uint8_t)(l->seq + 1) : 0;
	l->seq_started = true;
	size_t flen;
	enum hb_status st = hb_link_frame_encode(type, l->seq, req, req_len, l->tx, sizeof l->tx, &flen);
	if (st != HB_OK)
		return fail(l, st, "%s: cannot encode a %zu-byte payload", hb_link_type_name(type),
			    req_len);
	unsigned tmo = timeout_ms(l, req_len, resp_max, compute_cycles);
	l->stats.requests++;
	if (l->t->ops->flush)
		l->t->ops->flush(l->t);
	hb_link_decoder_reset(&l->dec);

	struct budget b = {0};
	struct attempt at = {.a = AW_TIMEOUT};
	bool timed_out = false;
	for (;;) {
		if (l->opts.abort_now && *l->opts.abort_now)
			return fail(l, HB_ERR_INTERRUPTED, "%s seq %u: interrupted", hb_link_type_name(type),
				    l->seq);
		if (b.total) {
			l->stats.retries++;
			hb_dbg("%s seq %u: retry %u after: %s", hb_link_type_name(type), l->seq, b.total,
			       at.why);
			st = pause_before_retry(l, &b, &at);
			if (st != HB_OK)
				return fail(l, st, "%s seq %u: transport read failed: %s",
					    hb_link_type_name(type), l->seq, hb_strerror(st));
		}
		/* an INFER/BATCH attempt that timed out may still be computing: a retry
		 * answered BUSY then means "wait for it" (its answer carries this seq) */
		bool busy_waits = (type == HB_LINK_INFER || type == HB_LINK_BATCH) && timed_out;
		if (!compute_cycles || !l->opts.adapt)
			tmo = b.total ? timeout_ms(l, req_len, resp_max, compute_cycles) : tmo;
		attempt(l, type, flen, tmo, resp, cap, resp_len, resp_max, compute_cycles,
			busy_waits && l->opts.adapt, &at);
		if (at.a == AW_TIMEOUT)
			timed_out = true;
		switch (at.a) {
		case AW_OK:
			l->stats.payload_tx += req_len;
			l->last_error[0] = 0;
			return HB_OK;
		case AW_FATAL:
		case AW_IO:
			return fail(l, at.st, "%s seq %u: %s", hb_link_type_name(type), l->seq, at.why);
		default:
			break;
		}
		if (!budget_next(l, &b, &at))
			break;
	}
	enum hb_status fs = HB_ERR_TIMEOUT;
	if (at.a == AW_CORRUPT)
		fs = HB_ERR_CRC;
	else if (at.a == AW_RETRY_ERR && l->last_reason == HB_LINK_R_BUSY)
		fs = HB_ERR_BUSY;
	else if (at.a == AW_RETRY_ERR)
		fs = HB_ERR_PROTO;
	return fail(l, fs, "%s seq %u: no valid response after %u attempts (last: %s)",
		    hb_link_type_name(type), l->seq, b.total, at.why);
}

/* ---- data: LOAD / STREAM / READ in adaptive chunks ---------------------------- */

/* Regions a damaged write of `region` may have touched: its region byte can arrive as
 * 0 or 1 (CONFIG, WEIGHTS) for a LOAD; a STREAM writes INPUT only. */
static void mark_dirty(struct hb_link *l, enum dkind k, uint8_t region)
{
	if (k == DK_STREAM) {
		l->dirty[HB_LINK_REGION_INPUT] = true;
	} else if (k == DK_LOAD) {
		(void)region;
		l->dirty[HB_LINK_REGION_CONFIG] = true;
		l->dirty[HB_LINK_REGION_WEIGHTS] = true;
	}
}

/* data_xfer flags */
#define XF_UNCONFIRMED_OK 1u /* a write chunk answered BAD_CRC / TIMEOUT (our seq) counts as
				done: the caller reads it back */
#define XF_WHOLE 2u          /* one request, never split (a CONFIG LOAD commits the region) */

/* Move n bytes between buf and [offset, offset + n) of a region. */
static enum hb_status data_xfer(struct hb_link *l, enum dkind k, uint8_t region, uint32_t offset,
				uint8_t *buf, size_t n, unsigned flags, uint64_t *stamp)
{
	const bool unconfirmed_ok = flags & XF_UNCONFIRMED_OK;
	static const char *const names[] = {"LOAD", "STREAM", "READ"};
	const uint8_t type = k == DK_LOAD ? HB_LINK_LOAD : k == DK_STREAM ? HB_LINK_STREAM : HB_LINK_READ;
	uint8_t req[HB_LINK_MAX_PAYLOAD];
	size_t done = 0, c = 0, flen = 0, rl = 0;
	struct budget b = {0};
	struct attempt at = {.a = AW_TIMEOUT};
	bool resend = false;
	unsigned tmo = 0;
	enum hb_status st;

	while (done < n) {
		if (!resend) {
			c = (flags & XF_WHOLE) ? n : chunk_of(l, k);
			if (c > n - done)
				c = n - done;
			uint32_t o = (uint32_t)(offset + done);
			if (k == DK_LOAD) {
				struct hb_link_load_req r = {.region = region, .offset = o, .data = buf + done,
							     .count = c};
				st = hb_link_load_req_encode(&r, req, sizeof req, &rl);
			} else if (k == DK_STREAM) {
				struct hb_link_stream_req r = {.offset = o, .data = buf + done, .count = c};
				st = hb_link_stream_req_encode(&r, req, sizeof req, &rl);
			} else {
				struct hb_link_span s = {.region = region, .offset = o, .count = (uint16_t)c};
				st = hb_link_span_encode(&s, req, sizeof req, &rl);
			}
			if (st != HB_OK)
				return fail(l, st, "%s: cannot encode %zu bytes", names[k], c);
			l->seq = l->seq_started ? (uint8_t)(l->seq + 1) : 0;
			l->seq_started = true;
			hb_link_frame_encode(type, l->seq, req, rl, l->tx, sizeof l->tx, &flen);
			l->stats.requests++;
			size_t resp_max = k == DK_READ ? c : k == DK_LOAD ? HB_LINK_SPAN_LEN
									   : HB_LINK_STREAM_RESP_LEN;
			tmo = timeout_ms(l, rl, resp_max, 0);
			l->stats.timeout_ms = tmo;
			if (!b.total) {
				if (l->t->ops->flush)
					l->t->ops->flush(l->t);
				hb_link_decoder_reset(&l->dec);
			}
		}
		if (b.total) {
			l->stats.retries++;
			hb_dbg("%s seq %u: %s %zu bytes at %u after: %s", names[k], l->seq,
			       resend ? "resending" : "sending", c, (unsigned)(offset + done), at.why);
			st = pause_before_retry(l, &b, &at);
			if (st != HB_OK)
				return fail(l, st, "%s seq %u: transport read failed: %s", names[k], l->seq,
					    hb_strerror(st));
		}
		size_t nr = 0;
		uint8_t *dst = k == DK_READ ? buf + done : l->rx_payload;
		size_t cap = k == DK_READ ? c : sizeof l->rx_payload;
		if (resend)
			tmo = timeout_ms(l, rl, k == DK_READ ? c : k == DK_LOAD ? HB_LINK_SPAN_LEN
									 : HB_LINK_STREAM_RESP_LEN, 0);
		attempt(l, type, flen, tmo, dst, cap, &nr,
			k == DK_READ ? c : k == DK_LOAD ? HB_LINK_SPAN_LEN : HB_LINK_STREAM_RESP_LEN, 0, false,
			&at);
		if (at.a == AW_OK) {
			if (k == DK_READ) {
				if (nr != c)
					return fail(l, HB_ERR_FORMAT, "READ seq %u: asked %zu bytes, got %zu",
						    l->seq, c, nr);
			} else if (k == DK_LOAD) {
				struct hb_link_span s;
				if (hb_link_span_decode(l->rx_payload, nr, &s) != HB_OK)
					return fail(l, HB_ERR_FORMAT, "LOAD seq %u: malformed %zu-byte response",
						    l->seq, nr);
				if (s.region != region || s.offset != offset + done || s.count != c)
					return fail(l, HB_ERR_PROTO,
						    "LOAD seq %u: device acknowledged region %u offset %u count %u, sent region %u offset %u count %zu",
						    l->seq, s.region, (unsigned)s.offset, s.count, region,
						    (unsigned)(offset + done), c);
			} else {
				struct hb_link_stream_resp s;
				if (hb_link_stream_resp_decode(l->rx_payload, nr, &s) != HB_OK)
					return fail(l, HB_ERR_FORMAT, "STREAM seq %u: malformed %zu-byte response",
						    l->seq, nr);
				if (s.offset != offset + done || s.count != c)
					return fail(l, HB_ERR_PROTO,
						    "STREAM seq %u: device acknowledged offset %u count %u, sent offset %u count %zu",
						    l->seq, (unsigned)s.offset, s.count,
						    (unsigned)(offset + done), c);
				if (stamp)
					*stamp = s.stamp;
			}
			l->stats.payload_tx += rl;
			if (!b.total)
				chunk_clean(l, k);
			done += c;
			b = (struct budget){0};
			resend = false;
			continue;
		}
		if (at.a == AW_FATAL || at.a == AW_IO)
			return fail(l, at.st, "%s seq %u: %s", names[k], l->seq, at.why);
		/* An answer with our seq means the device read our header: the frame wrote what
		 * it carried, maybe at a damaged offset. Without it (BAD_HCRC, silence) the header
		 * was lost and nothing was written. */
		if (k != DK_READ && ((l->last_err_ours && l->last_reason != HB_LINK_R_BAD_HCRC) ||
				     at.a == AW_TIMEOUT || at.a == AW_TRUNC || at.a == AW_CORRUPT))
			mark_dirty(l, k, region);
		/* write-then-verify: the device has written what it received of this chunk */
		if (unconfirmed_ok && k != DK_READ && at.a == AW_RETRY_ERR && l->last_err_ours &&
		    (l->last_reason == HB_LINK_R_BAD_CRC || l->last_reason == HB_LINK_R_TIMEOUT)) {
			l->stats.unconfirmed++;
			l->stats.noise_errors++;
			/* a lost byte (TIMEOUT) spoils the rest of the chunk: smaller chunks lose
			 * less; a damaged byte (BAD_CRC) spoils just itself (as good as clean here) */
			if (l->last_reason == HB_LINK_R_TIMEOUT)
				chunk_failed(l, k, c);
			else
				chunk_clean(l, k);
			done += c;
			b = (struct budget){0};
			resend = false;
			continue;
		}
		if (!budget_next(l, &b, &at)) {
			enum hb_status fs = at.a == AW_CORRUPT ? HB_ERR_CRC
					    : at.a == AW_RETRY_ERR && l->last_reason == HB_LINK_R_BUSY ? HB_ERR_BUSY
					    : at.a == AW_RETRY_ERR ? HB_ERR_PROTO
								  : HB_ERR_TIMEOUT;
			return fail(l, fs, "%s seq %u: no valid response after %u attempts (last: %s)",
				    names[k], l->seq, b.total, at.why);
		}
		/* Which side of the line failed: a write's data is in the request, a READ's in the
		 * response (its request is 15 bytes whatever the chunk); a timeout may be either. A
		 * smaller chunk is a new request; the same one is resent as it was (same seq). */
		bool data_side = at.a == AW_TIMEOUT ||
				 (k == DK_READ ? at.a == AW_CORRUPT || at.a == AW_TRUNC
					       : at.a == AW_RETRY_ERR);
		bool shrunk = !(flags & XF_WHOLE) && data_side && chunk_failed(l, k, c);
		resend = !shrunk || c <= chunk_of(l, k);
	}
	l->last_error[0] = 0;
	return HB_OK;
}

/* ---- requests ------------------------------------------------------------ */

enum hb_status hb_link_identify(struct hb_link *l, struct hb_link_identity *out)
{
	size_t n;
	enum hb_status st = hb_link_transact(l, HB_LINK_IDENTIFY, NULL, 0, l->rx_payload,
					     sizeof l->rx_payload, &n,
					     HB_LINK_IDENTITY_FIXED_LEN + 2 * HB_LINK_MAX_SIZES, 0);
	if (st != HB_OK)
		return st;
	struct hb_link_identity id;
	if (hb_link_identity_decode(l->rx_payload, n, &id) != HB_OK)
		return fail(l, HB_ERR_FORMAT, "IDENTIFY: malformed %zu-byte identity", n);
	if (id.proto_version != HB_LINK_PROTO_VERSION)
		return fail(l, HB_ERR_UNSUPPORTED, "IDENTIFY: device speaks protocol %u, host speaks %d",
			    id.proto_version, HB_LINK_PROTO_VERSION);
	if (id.max_payload < 16 || id.max_payload > HB_LINK_MAX_PAYLOAD)
		return fail(l, HB_ERR_FORMAT, "IDENTIFY: max_payload %u outside 16..%d",
			    id.max_payload, HB_LINK_MAX_PAYLOAD);
	l->id = id;
	l->have_identity = true;
	hb_link_decoder_init(&l->dec, id.max_payload);
	hb_info("device: %s, P=%u, %u Hz, build %08x, caps 0x%x, %s",
		hb_link_family_name(id.family), id.lanes, (unsigned)id.clock_hz,
		(unsigned)id.build_hash, id.capabilities, id.configured ? "configured" : "unconfigured");
	if (out)
		*out = id;
	return HB_OK;
}

static enum hb_status need_identity(struct hb_link *l)
{
	return l->have_identity ? HB_OK : hb_link_identify(l, NULL);
}

static enum hb_status verify_region(struct hb_link *l, uint8_t region, uint32_t base,
				    const uint8_t *img, size_t n, bool repair, uint64_t *stamp);
static enum hb_status recheck_config(struct hb_link *l);
static bool can_pipeline(const struct hb_link *l);
static enum hb_status pipe_write(struct hb_link *l, uint8_t region, uint32_t offset,
				 const uint8_t *buf, size_t n, bool resend);

enum hb_status hb_link_load(struct hb_link *l, uint8_t region, uint32_t offset, const void *data,
			    size_t n)
{
	if (!l || (n && !data))
		return HB_ERR_ARG;
	if (region != HB_LINK_REGION_CONFIG && region != HB_LINK_REGION_WEIGHTS)
		return fail(l, HB_ERR_ARG, "LOAD: region %u is not CONFIG or WEIGHTS (INPUT is STREAM's)",
			    region);
	enum hb_status st = need_identity(l);
	if (st != HB_OK)
		return st;
	/* A LOAD to CONFIG commits the whole region: it is never split. */
	unsigned flags = region == HB_LINK_REGION_CONFIG &&
				 n <= HB_LINK_LOAD_MAX_DATA(l->id.max_payload) ? XF_WHOLE : 0;
	if (region == HB_LINK_REGION_WEIGHTS)
		l->dirty[region] = false;
	if (region == HB_LINK_REGION_WEIGHTS && can_pipeline(l))
		st = pipe_write(l, region, offset, data, n, !(l->id.capabilities & HB_LINK_CAP_READ));
	else
		st = data_xfer(l, DK_LOAD, region, offset, (uint8_t *)(uintptr_t)data, n, flags, NULL);
	if (st != HB_OK || region != HB_LINK_REGION_WEIGHTS)
		return st;
	/* Every chunk was confirmed, but a damaged attempt may have written at a wrong
	 * offset: with READ, find and repair such bytes (and CONFIG, see recheck_config). */
	if (l->opts.adapt && l->dirty[region] && (l->id.capabilities & HB_LINK_CAP_READ)) {
		st = verify_region(l, region, offset, data, n, true, NULL);
		if (st == HB_OK)
			st = recheck_config(l);
	}
	return st;
}

enum hb_status hb_link_read(struct hb_link *l, uint8_t region, uint32_t offset, void *buf, size_t n)
{
	if (!l || (n && !buf))
		return HB_ERR_ARG;
	enum hb_status st = need_identity(l);
	if (st != HB_OK)
		return st;
	if (!(l->id.capabilities & HB_LINK_CAP_READ))
		return fail(l, HB_ERR_UNSUPPORTED, "READ: device lacks the READ capability");
	return data_xfer(l, DK_READ, region, offset, buf, n, 0, NULL);
}

static const char *region_name(uint8_t region)
{
	return region == HB_LINK_REGION_CONFIG ? "CONFIG"
	       : region == HB_LINK_REGION_WEIGHTS ? "WEIGHTS"
						  : "INPUT";
}

/* Send one write request (a new seq) for [o, o + c) and wait for its answer; an answer is
 * checked (echoed region, offset, count) and a STREAM's stamp goes to *stamp. */
static enum hb_status write_once(struct hb_link *l, enum dkind k, uint8_t region, uint32_t o,
				 const uint8_t *data, size_t c, struct attempt *at, uint64_t *stamp)
{
	uint8_t req[HB_LINK_MAX_PAYLOAD];
	size_t rl, flen, nr = 0;
	enum hb_status st;
	if (k == DK_LOAD) {
		struct hb_link_load_req r = {.region = region, .offset = o, .data = data, .count = c};
		st = hb_link_load_req_encode(&r, req, sizeof req, &rl);
	} else {
		struct hb_link_stream_req r = {.offset = o, .data = data, .count = c};
		st = hb_link_stream_req_encode(&r, req, sizeof req, &rl);
	}
	if (st != HB_OK)
		return fail(l, st, "%s: cannot encode %zu bytes", k == DK_LOAD ? "LOAD" : "STREAM", c);
	l->seq = l->seq_started ? (uint8_t)(l->seq + 1) : 0;
	l->seq_started = true;
	hb_link_frame_encode(k == DK_LOAD ? HB_LINK_LOAD : HB_LINK_STREAM, l->seq, req, rl, l->tx,
			     sizeof l->tx, &flen);
	l->stats.requests++;
	unsigned tmo = timeout_ms(l, rl, k == DK_LOAD ? HB_LINK_SPAN_LEN : HB_LINK_STREAM_RESP_LEN, 0);
	attempt(l, k == DK_LOAD ? HB_LINK_LOAD : HB_LINK_STREAM, flen, tmo, l->rx_payload,
		sizeof l->rx_payload, &nr, k == DK_LOAD ? HB_LINK_SPAN_LEN : HB_LINK_STREAM_RESP_LEN, 0,
		false, at);
	if (at->a != AW_OK)
		return HB_OK;
	l->stats.payload_tx += rl;
	if (k == DK_LOAD) {
		struct hb_link_span sp;
		if (hb_link_span_decode(l->rx_payload, nr, &sp) != HB_OK || sp.region != region ||
		    sp.offset != o || sp.count != c)
			return fail(l, HB_ERR_PROTO, "LOAD seq %u: device acknowledged something else "
				    "than region %u offset %u count %zu", l->seq, region, (unsigned)o, c);
	} else {
		struct hb_link_stream_resp sr;
		if (hb_link_stream_resp_decode(l->rx_payload, nr, &sr) != HB_OK || sr.offset != o ||
		    sr.count != c)
			return fail(l, HB_ERR_PROTO, "STREAM seq %u: device acknowledged something else "
				    "than offset %u count %zu", l->seq, (unsigned)o, c);
		if (stamp)
			*stamp = sr.stamp;
	}
	return HB_OK;
}

/* ---- pipelined writes (docs/protocol.md §2 "Pipelining", §5) -------------------- */

/* A LOAD's bytes on the wire beyond its data: framing, region, offset. */
#define LOAD_OVERHEAD (HB_LINK_OVERHEAD + 5u)
/* Requests outstanding at most. The device holds one request while it answers another; a
 * LOAD of at least PIPE_MIN_DATA data bytes lasts longer on the wire than an answer and an
 * ERROR frame together, so however many are outstanding, each is taken before the next one
 * ends (docs/protocol.md §2 "Pipelining"). Depth beyond 2 lets later answers tell at once
 * that an earlier frame was lost, instead of a timeout. */
#define PIPE_DEPTH 8u
#define PIPE_MIN_DATA 12u

static bool can_pipeline(const struct hb_link *l)
{
	return l->opts.adapt && l->opts.pipeline && (l->id.capabilities & HB_LINK_CAP_PIPELINE);
}

static bool can_check(const struct hb_link *l)
{
	return l->opts.adapt && (l->id.capabilities & HB_LINK_CAP_CHECK);
}

static uint64_t isqrt64(uint64_t x)
{
	uint64_t r = 0, b = 1ull << 62;
	while (b > x)
		b >>= 2;
	while (b) {
		if (x >= r + b) {
			x -= r + b;
			r = (r >> 1) + b;
		} else {
			r >>= 1;
		}
		b >>= 2;
	}
	return r;
}

/* Data bytes of the next pipelined chunk. A lost frame (its header or a byte dropped: the
 * frame after a dropped byte is swallowed too) costs about 1.5 chunks of repairs, each
 * chunk costs LOAD_OVERHEAD bytes of framing: with μ lost frames per byte sent, the cost per
 * data byte 1 + h/c + 1.5·μ·(c + h) is least at c = √(h / 1.5μ). μ is measured (decayed
 * counts), so the chunk follows the line; no loss seen: the largest chunk. */
static size_t pipe_chunk(struct hb_link *l)
{
	size_t max = kind_max(l, DK_LOAD), c = max;
	if (l->pm_lost) {
		/* c² = h·bytes / (1.5·lost) = 2·h·bytes / (3·lost) */
		uint64_t q = 2ull * LOAD_OVERHEAD * l->pm_bytes / (3ull * l->pm_lost);
		c = (size_t)isqrt64(q);
		if (c < l->opts.chunk_min)
			c = l->opts.chunk_min;
		if (c < PIPE_MIN_DATA)
			c = PIPE_MIN_DATA;
		if (c > max)
			c = max;
	}
	l->stats.chunk_write = (uint32_t)c;
	if (!l->stats.chunk_write_min || c < l->stats.chunk_write_min)
		l->stats.chunk_write_min = (uint32_t)c;
	return c;
}

/* Data bytes of the next chunk of a repair that is resent until confirmed: a chunk the device
 * does not confirm is sent whole again, so with ε damaged frames per byte sent the cost per
 * data byte (c + h) / (c·(1 − ε)^(c + h)) is least at c = (√(h² + 4h/ε) − h) / 2 (about 30
 * bytes at ε = 1 %). */
static size_t pipe_chunk_confirm(struct hb_link *l)
{
	size_t max = kind_max(l, DK_LOAD), c = max;
	if (l->pm_damaged) {
		uint64_t h = LOAD_OVERHEAD;
		c = (size_t)((isqrt64(h * h + 4 * h * l->pm_bytes / l->pm_damaged) - h) / 2);
		if (c < PIPE_MIN_DATA)
			c = PIPE_MIN_DATA;
		if (c > max)
			c = max;
	}
	return c;
}

static void pipe_note(struct hb_link *l, size_t frame_bytes, bool lost, bool damaged)
{
	l->pm_bytes += frame_bytes;
	if (lost)
		l->pm_lost++;
	if (lost || damaged)
		l->pm_damaged++;
	/* forget slowly: the estimate follows a line that gets better or worse */
	if (l->pm_bytes > 256u * 1024u) {
		l->pm_bytes /= 2;
		l->pm_lost /= 2;
		l->pm_damaged /= 2;
	}
}

enum pe_kind { PE_FRAME, PE_CORRUPT, PE_TIMEOUT, PE_IO };
struct pe {
	uint8_t type, seq;
	size_t len; /* payload in l->rx_payload */
};

/* The next frame from the device (any type, any seq), a corrupted or cut one, or nothing
 * by the deadline. Bytes read but not yet decoded stay in l->pending for the next call:
 * one read may bring several answers. */
static enum pe_kind pipe_await(struct hb_link *l, uint64_t deadline, struct pe *out,
			       enum hb_status *st_out)
{
	const uint64_t ib = interbyte_ns(l);
	uint64_t last_byte = now_ns(l);
	for (;;) {
		for (;;) {
			size_t used;
			struct hb_link_event ev;
			hb_link_decoder_feed(&l->dec, l->pending + l->pend_off, l->pend_n - l->pend_off,
					     &used, &ev);
			l->pend_off += used;
			if (ev.kind == HB_LINK_EV_NONE) {
				if (l->pend_off == l->pend_n)
					break;
				continue;
			}
			if (ev.kind == HB_LINK_EV_BAD_HCRC || ev.kind == HB_LINK_EV_OVERSIZE) {
				l->stats.corrupted++; /* maybe noise that looked like a SOF */
				continue;
			}
			if (ev.kind == HB_LINK_EV_BAD_CRC) {
				l->stats.corrupted++;
				return PE_CORRUPT;
			}
			if (ev.kind != HB_LINK_EV_FRAME || ev.len > sizeof l->rx_payload)
				continue;
			memcpy(l->rx_payload, ev.payload, ev.len);
			out->type = ev.type;
			out->seq = ev.seq;
			out->len = ev.len;
			return PE_FRAME;
		}
		uint64_t now = now_ns(l);
		if (l->opts.abort_now && *l->opts.abort_now) {
			*st_out = HB_ERR_INTERRUPTED;
			return PE_IO;
		}
		bool in_frame = hb_link_decoder_in_frame(&l->dec);
		if (in_frame && now >= last_byte + ib) {
			struct hb_link_event ev;
			if (hb_link_decoder_timeout(&l->dec, &ev)) {
				l->stats.truncated++;
				return PE_CORRUPT;
			}
			continue;
		}
		if (now >= deadline)
			return PE_TIMEOUT;
		uint64_t until = deadline;
		if (in_frame && last_byte + ib < until)
			until = last_byte + ib;
		size_t got = 0;
		enum hb_status st = l->t->ops->read(l->t, l->pending, sizeof l->pending, &got,
						    ms_until(now, until) ? ms_until(now, until) : 1);
		if (st != HB_OK && st != HB_ERR_TIMEOUT) {
			*st_out = st;
			return PE_IO;
		}
		l->pend_n = got;
		l->pend_off = 0;
		if (got) {
			last_byte = now_ns(l);
			l->stats.bytes_rx += got;
		}
	}
}

struct pipe_slot {
	uint8_t seq;
	uint32_t off;
	size_t cnt, flen;
	uint64_t deadline;
};

/* A pipelined chunk whose answer did not come or was an ERROR: the device may have written
 * part of it, or (header damaged) something elsewhere. The read-back repairs both. */
static void pipe_unconfirmed(struct hb_link *l, uint8_t region, const struct pipe_slot *s,
			     bool lost, const char *why)
{
	l->stats.unconfirmed++;
	l->stats.noise_errors++;
	if (lost)
		l->stats.pipe_lost++;
	pipe_note(l, s->flen, lost, true);
	mark_dirty(l, DK_LOAD, region);
	hb_dbg("LOAD seq %u (%zu bytes at %u) left to the read-back: %s", s->seq, s->cnt,
	       (unsigned)s->off, why);
}

struct wspan {
	size_t off, len; /* bytes [off, off + len) of the image */
};

/* Write the spans of img (image byte i goes to region offset base + i) with up to
 * PIPE_DEPTH LOADs outstanding. Chunks the device did not confirm:
 *  - confirm: are queued and sent again in the same pipeline until every chunk is confirmed
 *    (*nredo counts the resends; a confirmed chunk arrived intact, but a damaged one may
 *    have written elsewhere, which the caller must look for when *nredo > 0);
 *  - else with redo (non-NULL): are listed there (*nredo of them) for the caller to resend
 *    one at a time, with retries;
 *  - else: are left to the read-back that follows (write-then-verify). */
static enum hb_status pipe_write_spans(struct hb_link *l, uint8_t region, uint32_t base,
				       const uint8_t *img, const struct wspan *sp, size_t nsp,
				       struct wspan *redo, size_t *nredo, bool confirm)
{
	struct pipe_slot q[PIPE_DEPTH];
	unsigned qn = 0;
	size_t si = 0, done = 0; /* span (the given ones, then the queued resends), bytes sent */
	struct wspan *rq = NULL; /* confirm: chunks to send again */
	size_t rqn = 0, rqcap = 0, rq_limit = 64 * (nsp + PIPE_DEPTH);
	enum hb_status ret = HB_OK;
#define SPAN(i) ((i) < nsp ? &sp[i] : &rq[(i) - nsp])
#define REDO(slot)                                                                              \
	do {                                                                                    \
		struct wspan w_ = {(slot)->off - base, (slot)->cnt};                            \
		if (confirm) {                                                                  \
			if (rqn == rq_limit) {                                                  \
				ret = fail(l, HB_ERR_MISMATCH,                                  \
					   "LOAD: %zu chunks still unconfirmed after %zu resends: the line is too noisy", \
					   rqn - (si > nsp ? si - nsp : 0), rqn);               \
				goto out;                                                       \
			}                                                                       \
			if (rqn == rqcap) {                                                     \
				size_t nc_ = rqcap ? 2 * rqcap : 64;                            \
				struct wspan *r_ = realloc(rq, nc_ * sizeof *r_);               \
				if (!r_) {                                                      \
					ret = HB_ERR_NOMEM;                                     \
					goto out;                                               \
				}                                                               \
				rq = r_;                                                        \
				rqcap = nc_;                                                    \
			}                                                                       \
			rq[rqn++] = w_;                                                         \
			++*nredo;                                                               \
		} else if (redo) {                                                              \
			redo[(*nredo)++] = w_;                                                  \
		}                                                                               \
	} while (0)
	uint64_t wire_free = 0;
	bool corrupt_seen = false, nudged = false;
	uint8_t req[HB_LINK_MAX_PAYLOAD];
	if (l->t->ops->flush)
		l->t->ops->flush(l->t);
	hb_link_decoder_reset(&l->dec);
	l->pend_n = l->pend_off = 0;
	for (;;) {
		while (si < nsp + rqn && done >= SPAN(si)->len) {
			si++;
			done = 0;
		}
		bool more = si < nsp + rqn;
		if (!more && !qn)
			break;
		if (l->opts.abort_now && *l->opts.abort_now) {
			ret = fail(l, HB_ERR_INTERRUPTED, "LOAD seq %u: interrupted", l->seq);
			goto out;
		}
		if (qn < PIPE_DEPTH && more) {
			size_t c = confirm ? pipe_chunk_confirm(l) : pipe_chunk(l), rl, flen,
			       left = SPAN(si)->len - done;
			/* no chunk shorter than PIPE_MIN_DATA: the last two share what is left */
			if (c > left)
				c = left;
			else if (left - c < PIPE_MIN_DATA)
				c = left <= kind_max(l, DK_LOAD) ? left : left / 2;
			size_t at = SPAN(si)->off + done;
			struct hb_link_load_req r = {.region = region, .offset = (uint32_t)(base + at),
						     .data = img + at, .count = c};
			enum hb_status st = hb_link_load_req_encode(&r, req, sizeof req, &rl);
			if (st != HB_OK) {
				ret = fail(l, st, "LOAD: cannot encode %zu bytes", c);
				goto out;
			}
			l->seq = l->seq_started ? (uint8_t)(l->seq + 1) : 0;
			l->seq_started = true;
			hb_link_frame_encode(HB_LINK_LOAD, l->seq, req, rl, l->tx, sizeof l->tx, &flen);
			uint64_t t = now_ns(l);
			st = l->t->ops->write(l->t, l->tx, flen,
					      (int)hb_link_response_timeout_ms(l, flen, 0, 0));
			if (st != HB_OK) {
				ret = fail(l, st, "LOAD seq %u: transport write failed: %s", l->seq,
					   hb_strerror(st));
				goto out;
			}
			l->stats.requests++;
			l->stats.attempts++;
			l->stats.pipelined++;
			nudged = false;
			l->stats.bytes_tx += flen;
			/* when its answer is due: after the bytes ahead of it and its own are on
			 * the wire, the answer's wire time, the latency, and the device's inter-byte
			 * timeout (the last frame of a burst that lost a byte is answered then) */
			if (wire_free < t)
				wire_free = t;
			wire_free += wire_ns(l, flen);
			uint64_t lat = timed(l) ? latency_bound_ns(l)
						: (uint64_t)l->opts.base_timeout_ms * NS_PER_MS;
			q[qn++] = (struct pipe_slot){l->seq, r.offset, c, flen,
						     wire_free + wire_ns(l, HB_LINK_SPAN_LEN + HB_LINK_OVERHEAD) +
							     lat + (DEVICE_IBT_MS + 2) * NS_PER_MS};
			done += c;
			continue;
		}
		struct pe ev;
		enum hb_status ist = HB_OK;
		/* Nothing left to send: a last frame that lost a byte would wait for the device's
		 * inter-byte timeout. Once the answers are late, nudge (see nudge_at), then give the
		 * outstanding ones only the time their answers need. */
		uint64_t due = q[0].deadline;
		uint64_t nudge_t = !more && !nudged && timed(l)
					   ? wire_free + wire_ns(l, HB_LINK_SPAN_LEN + HB_LINK_OVERHEAD) +
						     latency_bound_ns(l) + NS_PER_MS
					   : UINT64_MAX;
		if (nudge_t < due)
			due = nudge_t;
		enum pe_kind k = pipe_await(l, due, &ev, &ist);
		if (k == PE_TIMEOUT && due == nudge_t && now_ns(l) < q[0].deadline) {
			enum hb_status ns = nudge(l);
			if (ns != HB_OK) {
				ret = fail(l, ns, "LOAD seq %u: transport write failed: %s", q[0].seq,
					   hb_strerror(ns));
				goto out;
			}
			nudged = true;
			uint64_t by = now_ns(l) +
				      wire_ns(l, NUDGE_BYTES + qn * (HB_LINK_SPAN_LEN + HB_LINK_OVERHEAD)) +
				      latency_bound_ns(l) + NS_PER_MS;
			for (unsigned i = 0; i < qn; i++)
				if (q[i].deadline > by)
					q[i].deadline = by;
			continue;
		}
		if (k == PE_IO) {
			ret = fail(l, ist, "LOAD seq %u: %s", q[0].seq,
				    ist == HB_ERR_INTERRUPTED ? "interrupted" : hb_strerror(ist));
			goto out;
		}
		if (k == PE_CORRUPT) {
			corrupt_seen = true; /* an answer was damaged on its way back */
			continue;
		}
		unsigned hit = qn;
		if (k == PE_TIMEOUT) {
			l->stats.timeouts++;
			hit = 1; /* the oldest is given up */
			pipe_unconfirmed(l, region, &q[0], !corrupt_seen, "no answer in time");
			REDO(&q[0]);
		} else {
			for (unsigned i = 0; i < qn; i++)
				if (q[i].seq == ev.seq)
					hit = i;
			if (hit == qn) {
				/* not one of ours: an ERROR for a damaged header, or stale */
				if (ev.type == HB_LINK_ERROR)
					l->stats.device_errors++;
				else
					l->stats.stale++;
				continue;
			}
			/* answers come in order: the ones before it were lost */
			for (unsigned i = 0; i < hit; i++) {
				pipe_unconfirmed(l, region, &q[i], !corrupt_seen, "its answer never came");
				REDO(&q[i]);
			}
			const struct pipe_slot *s = &q[hit];
			if (ev.type == HB_LINK_ERROR) {
				struct hb_link_error e = {0};
				l->stats.device_errors++;
				hb_link_error_decode(l->rx_payload, ev.len, &e);
				l->last_reason = e.reason;
				if (!hb_link_reason_retryable(e.reason) && e.reason != HB_LINK_R_OVERSIZE) {
					ret = fail(l, e.reason == HB_LINK_R_BAD_ARG ? HB_ERR_ARG : HB_ERR_PROTO,
						    "LOAD seq %u: device answered ERROR(%s) for %s", s->seq,
						    hb_link_reason_name(e.reason),
						    hb_link_type_name(e.request_type));
					goto out;
				}
				if (e.reason == HB_LINK_R_BUSY)
					l->stats.busy++;
				pipe_unconfirmed(l, region, s, e.reason == HB_LINK_R_TIMEOUT,
						 hb_link_reason_name(e.reason));
				REDO(s);
			} else {
				struct hb_link_span ack;
				if (ev.type != (HB_LINK_LOAD | HB_LINK_RESPONSE_BIT) ||
				    hb_link_span_decode(l->rx_payload, ev.len, &ack) != HB_OK ||
				    ack.region != region || ack.offset != s->off || ack.count != s->cnt) {
					/* a frame noise made up can share our seq: the read-back decides */
					pipe_unconfirmed(l, region, s, false, "answer for another range");
					REDO(s);
				} else {
					l->stats.payload_tx += s->cnt + 5;
					l->stats.payload_rx += ev.len;
					pipe_note(l, s->flen, false, false);
				}
			}
			hit++;
		}
		corrupt_seen = false;
		for (unsigned i = hit; i < qn; i++)
			q[i - hit] = q[i];
		qn -= hit;
	}
	l->last_error[0] = 0;
out:
	l->pend_n = l->pend_off = 0;
	free(rq);
	return ret;
#undef SPAN
#undef REDO
}

/* n bytes of buf to [offset, offset + n) of a region, pipelined. resend: chunks the device
 * did not confirm are sent again one at a time with the usual retries (as data_xfer);
 * otherwise they are left to the caller's read-back. */
static enum hb_status pipe_write(struct hb_link *l, uint8_t region, uint32_t offset,
				 const uint8_t *buf, size_t n, bool resend)
{
	struct wspan sp = {0, n};
	if (!resend)
		return pipe_write_spans(l, region, offset, buf, &sp, 1, NULL, NULL, false);
	/* at most one chunk per PIPE_MIN_DATA bytes, the last one shorter */
	size_t cap = n / PIPE_MIN_DATA + 2, nredo = 0;
	struct wspan *redo = malloc(cap * sizeof *redo);
	if (!redo)
		return HB_ERR_NOMEM;
	enum hb_status st = pipe_write_spans(l, region, offset, buf, &sp, 1, redo, &nredo, false);
	for (size_t i = 0; i < nredo && st == HB_OK; i++) {
		hb_dbg("LOAD: resending %zu bytes at %u", redo[i].len, (unsigned)(offset + redo[i].off));
		st = data_xfer(l, DK_LOAD, region, offset + (uint32_t)redo[i].off,
			       (uint8_t *)(uintptr_t)buf + redo[i].off, redo[i].len, 0, NULL);
	}
	free(redo);
	return st;
}

/* CHECK: the device's CRC-16 of [offset, offset + n). */
enum hb_status hb_link_check(struct hb_link *l, uint8_t region, uint32_t offset, size_t n,
			     uint16_t *crc)
{
	if (!l || !crc || n < 1 || n > 0xFFFF)
		return HB_ERR_ARG;
	enum hb_status st = need_identity(l);
	if (st != HB_OK)
		return st;
	if (!(l->id.capabilities & HB_LINK_CAP_CHECK))
		return fail(l, HB_ERR_UNSUPPORTED, "CHECK: device lacks the CHECK capability");
	struct hb_link_span sp = {region, offset, (uint16_t)n};
	uint8_t req[HB_LINK_SPAN_LEN];
	size_t rl, nr;
	hb_link_span_encode(&sp, req, sizeof req, &rl);
	/* the gateware reads a byte per 3 cycles before it answers */
	st = hb_link_transact(l, HB_LINK_CHECK, req, rl, l->rx_payload, sizeof l->rx_payload, &nr,
			      HB_LINK_CHECK_RESP_LEN, 3ull * n + 64);
	if (st != HB_OK)
		return st;
	l->stats.checks++;
	struct hb_link_check_resp cr;
	if (hb_link_check_resp_decode(l->rx_payload, nr, &cr) != HB_OK || cr.span.region != region ||
	    cr.span.offset != offset || cr.span.count != n)
		return fail(l, HB_ERR_PROTO, "CHECK seq %u: device answered for another range", l->seq);
	*crc = cr.crc;
	return HB_OK;
}

/* Find which parts of [o, o + c) the device holds wrong, with CHECKs instead of a read-back:
 * buf receives what the device holds there, img where a CHECK matched, the bytes read back
 * where the smallest blocks did not. Pieces of at most 65535 bytes, then blocks of 1 KiB,
 * then of 128 bytes: a few damaged spots cost a few dozen CHECKs and small READs. */
static const size_t check_levels[] = {0xFFFF, 1024, 128};
static enum hb_status check_locate_level(struct hb_link *l, uint8_t region, uint32_t base,
					 const uint8_t *img, uint8_t *buf, size_t o, size_t c,
					 unsigned level)
{
	const size_t nl = sizeof check_levels / sizeof check_levels[0];
	size_t bs = check_levels[level];
	for (size_t b = o; b < o + c;) {
		size_t bc = o + c - b > bs ? bs : o + c - b;
		uint16_t crc;
		enum hb_status st = hb_link_check(l, region, base + (uint32_t)b, bc, &crc);
		if (st != HB_OK)
			return st;
		if (crc == hb_link_crc16(0xFFFF, img + b, bc)) {
			memcpy(buf + b, img + b, bc);
		} else {
			l->stats.check_mismatches++;
			if (level + 1 < nl && bc > check_levels[level + 1])
				st = check_locate_level(l, region, base, img, buf, b, bc, level + 1);
			else
				st = hb_link_read(l, region, base + (uint32_t)b, buf + b, bc);
			if (st != HB_OK)
				return st;
		}
		b += bc;
	}
	return HB_OK;
}

/* The ranges where buf differs from img, joined across gaps under REPAIR_MERGE_GAP and each
 * made at least PIPE_MIN_DATA long (so that they can be pipelined); returns the count. */
static size_t diff_spans(struct hb_link *l, const uint8_t *buf, const uint8_t *img, size_t n,
			 struct wspan *sp)
{
	size_t nsp = 0;
	for (size_t i = 0; i < n;) {
		if (buf[i] == img[i]) {
			i++;
			continue;
		}
		size_t end = i + 1, gap = 0;
		for (size_t j = i + 1; j < n && gap < REPAIR_MERGE_GAP; j++) {
			if (buf[j] != img[j]) {
				end = j + 1;
				gap = 0;
			} else {
				gap++;
			}
		}
		size_t b0 = i;
		if (end - b0 < PIPE_MIN_DATA)
			end = b0 + PIPE_MIN_DATA <= n ? b0 + PIPE_MIN_DATA : n;
		if (end - b0 < PIPE_MIN_DATA)
			b0 = end > PIPE_MIN_DATA ? end - PIPE_MIN_DATA : 0;
		if (nsp && b0 < sp[nsp - 1].off + sp[nsp - 1].len)
			b0 = sp[nsp - 1].off + sp[nsp - 1].len;
		sp[nsp++] = (struct wspan){b0, end - b0};
		l->stats.repairs++;
		l->stats.repaired_bytes += end - b0;
		i = end;
	}
	return nsp;
}

/* Repairs for a device that pipelines LOADs and has CHECK, after a read-back left buf (what
 * the device holds) different from img. The ranges that differ are rewritten pipelined, the
 * chunks the device did not confirm sent again in the same pipeline until every one is
 * confirmed (a confirmed chunk arrived intact: its bytes are where they belong). A damaged
 * chunk may also have written somewhere else (its offset or region hit): then CHECKs of the
 * whole image find what is still wrong, reading back only the small blocks that differ, and
 * another round repairs that. At most verify_rounds rounds. */
static enum hb_status repair_pipelined(struct hb_link *l, uint8_t region, uint32_t base,
				       const uint8_t *img, size_t n, uint8_t *buf)
{
	size_t cap = 2 * (n / PIPE_MIN_DATA) + 4;
	struct wspan *sp = malloc(cap * sizeof *sp);
	enum hb_status st = HB_OK;
	if (!sp) {
		st = HB_ERR_NOMEM;
		goto out;
	}
	size_t nsp = diff_spans(l, buf, img, n, sp);
	for (unsigned cycle = 1; nsp; cycle++) {
		if (cycle > l->opts.verify_rounds) {
			st = fail(l, HB_ERR_MISMATCH,
				  "%s: %zu ranges still differ after %u rounds of repairs (first at offset %zu)",
				  region_name(region), nsp, cycle - 1, base + sp[0].off);
			goto out;
		}
		size_t resent = 0;
		st = pipe_write_spans(l, region, base, img, sp, nsp, NULL, &resent, true);
		if (st != HB_OK)
			goto out;
		hb_dbg("%s repairs: %zu ranges rewritten, %zu chunks resent", region_name(region), nsp,
		       resent);
		if (!resent)
			break; /* every chunk went through at once: none can have strayed */
		st = check_locate_level(l, region, base, img, buf, 0, n, 0);
		if (st != HB_OK)
			goto out;
		nsp = diff_spans(l, buf, img, n, sp);
	}
out:
	l->dirty[region] = false;
	free(sp);
	return st;
}

/* Rewrite [o, o + c) of a region with img[o ..] until the device holds it; cur: what it
 * held (read back). After a failed attempt that the device may have read (an answer with
 * our seq, or anything at all came back), the range is read back: right -> done (the
 * damage was elsewhere in the frame); changed -> the write landed here, try again;
 * unchanged -> its offset (or region) arrived damaged and it wrote somewhere else: the
 * region is marked dirty, so the whole image is read back once more. */
static enum hb_status repair_chunk(struct hb_link *l, enum dkind k, uint8_t region, uint32_t base,
				   uint32_t o, const uint8_t *img, uint8_t *cur, size_t c,
				   uint64_t *stamp, size_t *done)
{
	*done = 0; /* 0: the chunk size shrank, the caller splits the range again */
	static const char *const names[] = {"LOAD", "STREAM", "READ"};
	struct budget b = {0};
	struct attempt at;
	uint8_t now[HB_LINK_MAX_PAYLOAD];
	for (;;) {
		enum hb_status st = write_once(l, k, region, base + o, img + o, c, &at, stamp);
		if (st != HB_OK)
			return st;
		if (at.a == AW_OK) {
			if (!b.total)
				chunk_clean(l, k);
			*done = c;
			return HB_OK;
		}
		if (at.a == AW_FATAL || at.a == AW_IO)
			return fail(l, at.st, "%s seq %u: %s", names[k], l->seq, at.why);
		/* BAD_HCRC: the device dropped our header (the seq it echoes is just the byte in
		 * that position, ours or not); silence: it never saw a frame */
		bool header_lost = (at.a == AW_TIMEOUT && !at.heard) ||
				   (at.a == AW_RETRY_ERR && l->last_reason == HB_LINK_R_BAD_HCRC);
		bool data_side = at.a == AW_TIMEOUT || at.a == AW_RETRY_ERR;
		if (!budget_next(l, &b, &at)) {
			enum hb_status fs = at.a == AW_CORRUPT ? HB_ERR_CRC
					    : at.a == AW_RETRY_ERR ? HB_ERR_PROTO
								  : HB_ERR_TIMEOUT;
			return fail(l, fs, "%s seq %u: repair at %u: no valid response after %u attempts (last: %s)",
				    names[k], l->seq, (unsigned)o, b.total, at.why);
		}
		bool shrunk = data_side && chunk_failed(l, k, c) && c > chunk_of(l, k);
		l->stats.retries++;
		st = pause_before_retry(l, &b, &at);
		if (st != HB_OK)
			return fail(l, st, "%s seq %u: transport read failed: %s", names[k], l->seq,
				    hb_strerror(st));
		if (header_lost) {
			if (shrunk)
				return HB_OK;
			continue; /* nothing was written: send it again */
		}
		st = data_xfer(l, DK_READ, region, base + o, now, c, 0, NULL);
		if (st != HB_OK)
			return st;
		if (memcmp(now, img + o, c) == 0) {
			*done = c;
			return HB_OK;
		}
		if (memcmp(now, cur, c) == 0) {
			hb_dbg("%s at %u: a damaged attempt left the range as it was: it may have "
			       "written elsewhere (%s)", names[k], (unsigned)o, at.why);
			mark_dirty(l, k, region);
		}
		memcpy(cur, now, c);
		if (shrunk)
			return HB_OK;
	}
}

/* Read back [0, n) of region and compare with img. With repair, and when a damaged write
 * may have left wrong bytes (l->dirty), the ranges that differ are written again and the
 * whole image is read once more, up to verify_rounds read-backs; a difference that
 * survives them (or any difference on a clean link) is HB_ERR_MISMATCH. */
static enum hb_status verify_region(struct hb_link *l, uint8_t region, uint32_t base,
				    const uint8_t *img, size_t n, bool repair, uint64_t *stamp)
{
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf)
		return HB_ERR_NOMEM;
	enum hb_status st = HB_OK;
	for (unsigned round = 1;; round++) {
		bool dirty = l->dirty[region];
		l->dirty[region] = false;
		/* The first pass reads every byte back. After repairs that may have strayed, CHECKs
		 * find what is still wrong, reading back only the blocks that differ. */
		if (round > 1 && repair && can_check(l)) {
			st = check_locate_level(l, region, base, img, buf, 0, n, 0);
		} else {
			l->stats.verify_reads++;
			st = hb_link_read(l, region, base, buf, n);
		}
		if (st != HB_OK)
			break;
		size_t first = n;
		for (size_t i = 0; i < n; i++)
			if (buf[i] != img[i]) {
				first = i;
				break;
			}
		if (first == n)
			break;
		hb_dbg("%s read-back %u: differs from offset %zu", region_name(region), round, first);
		if (repair && dirty && region != HB_LINK_REGION_INPUT && can_pipeline(l) && can_check(l)) {
			st = repair_pipelined(l, region, base, img, n, buf);
			break;
		}
		if (!repair || !dirty || round >= l->opts.verify_rounds) {
			st = fail(l, HB_ERR_MISMATCH,
				  "%s read-back differs at offset %zu: wrote 0x%02x, read 0x%02x%s",
				  region_name(region), base + first, img[first], buf[first],
				  dirty ? " (after repairing the damaged writes)" : "");
			break;
		}
		/* rewrite the ranges that differ (gaps under REPAIR_MERGE_GAP bytes joined) */
		enum dkind k = region == HB_LINK_REGION_INPUT ? DK_STREAM : DK_LOAD;
		for (size_t i = first; i < n && st == HB_OK;) {
			if (buf[i] == img[i]) {
				i++;
				continue;
			}
			size_t end = i + 1, gap = 0;
			for (size_t j = i + 1; j < n && gap < REPAIR_MERGE_GAP; j++) {
				if (buf[j] != img[j]) {
					end = j + 1;
					gap = 0;
				} else {
					gap++;
				}
			}
			l->stats.repairs++;
			l->stats.repaired_bytes += end - i;
			hb_dbg("%s read-back: rewriting %zu bytes at %zu", region_name(region), end - i, i);
			/* a repair that ends right cannot have written anywhere else: the next
			 * read-back is needed only if one may have strayed (repair_chunk) */
			while (i < end && st == HB_OK) {
				size_t c = chunk_of(l, k);
				if (c > end - i)
					c = end - i;
				size_t wrote;
				st = repair_chunk(l, k, region, base, (uint32_t)i, img, buf + i, c, stamp,
						  &wrote);
				i += wrote;
			}
		}
		if (st != HB_OK)
			break;
		/* a repair that went through at once cannot have written anywhere else */
		if (!l->dirty[region])
			break;
	}
	free(buf);
	return st;
}

/* Read back [0, n) and compare (no repair): the documented verification. */
static enum hb_status verify(struct hb_link *l, uint8_t region, const uint8_t *img, size_t n)
{
	return verify_region(l, region, 0, img, n, false, NULL);
}

enum hb_status hb_link_load_config(struct hb_link *l, const struct hb_link_netcfg *cfg)
{
	if (!l || !cfg)
		return HB_ERR_ARG;
	enum hb_status st = need_identity(l);
	if (st != HB_OK)
		return st;
	char why[160];
	if (hb_link_netcfg_check(cfg, &l->id, why, sizeof why) != HB_OK)
		return fail(l, HB_ERR_RANGE, "CONFIG rejected before sending: %s", why);
	if (HB_LINK_LOAD_MAX_DATA(l->id.max_payload) < HB_LINK_CONFIG_BYTES)
		return fail(l, HB_ERR_UNSUPPORTED,
			    "CONFIG needs one 160-byte LOAD, device max_payload is %u", l->id.max_payload);
	uint8_t img[HB_LINK_CONFIG_BYTES];
	size_t n;
	hb_link_netcfg_pack(cfg, img, sizeof img, &n);
	l->have_config = false;
	l->last_busy_cycles = 0;
	/* One 160-byte LOAD (the device commits the region when a LOAD to it completes). */
	st = hb_link_load(l, HB_LINK_REGION_CONFIG, 0, img, n);
	if (st != HB_OK)
		return st;
	l->dirty[HB_LINK_REGION_CONFIG] = false; /* committed: the device validated it */
	if (l->opts.verify && (l->id.capabilities & HB_LINK_CAP_READ)) {
		st = verify(l, HB_LINK_REGION_CONFIG, img, n);
		if (st != HB_OK)
			return st;
	}
	l->cfg = *cfg;
	l->have_config = true;
	return HB_OK;
}

/* After a damaged WEIGHTS write: one whose region byte arrived as 0 wrote CONFIG, which
 * clears the device's configuration. Check it (identity) and load it again if needed. */
static enum hb_status recheck_config(struct hb_link *l)
{
	if (!l->dirty[HB_LINK_REGION_CONFIG] || !l->have_config)
		return HB_OK;
	struct hb_link_identity id;
	enum hb_status st = hb_link_identify(l, &id);
	if (st != HB_OK)
		return st;
	uint8_t img[HB_LINK_CONFIG_BYTES], rb[HB_LINK_CONFIG_BYTES];
	size_t n;
	hb_link_netcfg_pack(&l->cfg, img, sizeof img, &n);
	bool same = false;
	if (id.configured && (l->id.capabilities & HB_LINK_CAP_READ)) {
		st = hb_link_read(l, HB_LINK_REGION_CONFIG, 0, rb, n);
		if (st != HB_OK)
			return st;
		same = memcmp(rb, img, n) == 0;
	}
	if (id.configured && same) {
		l->dirty[HB_LINK_REGION_CONFIG] = false;
		return HB_OK;
	}
	hb_info("a damaged WEIGHTS write reached CONFIG: loading CONFIG again");
	struct hb_link_netcfg cfg = l->cfg;
	return hb_link_load_config(l, &cfg);
}

enum hb_status hb_link_load_weights(struct hb_link *l, const uint8_t *img, size_t n, bool *verified)
{
	if (verified)
		*verified = false;
	if (!l || (n && !img))
		return HB_ERR_ARG;
	enum hb_status st = need_identity(l);
	if (st != HB_OK)
		return st;
	if (n > l->id.weight_mem_bytes)
		return fail(l, HB_ERR_RANGE, "WEIGHTS: %zu bytes do not fit the device's %u", n,
			    (unsigned)l->id.weight_mem_bytes);
	bool readback = l->opts.verify && (l->id.capabilities & HB_LINK_CAP_READ);
	l->dirty[HB_LINK_REGION_WEIGHTS] = false;
	if (can_pipeline(l))
		st = pipe_write(l, HB_LINK_REGION_WEIGHTS, 0, img, n, !readback);
	else
		st = data_xfer(l, DK_LOAD, HB_LINK_REGION_WEIGHTS, 0, (uint8_t *)(uintptr_t)img, n,
			       readback && l->opts.adapt ? XF_UNCONFIRMED_OK : 0, NULL);
	if (st == HB_OK)
		st = recheck_config(l);
	if (st != HB_OK)
		return st;
	if (!l->opts.verify)
		return HB_OK;
	if (!readback) {
		hb_info("WEIGHTS loaded unverified: device lacks the READ capability");
		return HB_OK;
	}
	st = verify_region(l, HB_LINK_REGION_WEIGHTS, 0, img, n, l->opts.adapt, NULL);
	if (st == HB_OK)
		st = recheck_config(l); /* a repair write may have strayed into CONFIG too */
	if (st == HB_OK && verified)
		*verified = true;
	return st;
}

enum hb_status hb_link_stream_inputs(struct hb_link *l, const void *img, size_t n,
				     uint64_t *stamp_last)
{
	if (!l || (n && !img))
		return HB_ERR_ARG;
	enum hb_status st = need_identity(l);
	if (st != HB_OK)
		return st;
	if (n > l->id.input_mem_bytes)
		return fail(l, HB_ERR_RANGE, "INPUT: %zu bytes do not fit the device's %u", n,
			    (unsigned)l->id.input_mem_bytes);
	/* Write-then-verify only where the read-back can follow. */
	bool readback = l->opts.adapt && (l->id.capabilities & HB_LINK_CAP_READ);
	l->dirty[HB_LINK_REGION_INPUT] = false;
	uint64_t stamp = 0;
	st = data_xfer(l, DK_STREAM, HB_LINK_REGION_INPUT, 0, (uint8_t *)(uintptr_t)img, n,
		       readback ? XF_UNCONFIRMED_OK : 0, &stamp);
	if (st != HB_OK)
		return st;
	/* A damaged STREAM may have left bytes at a wrong offset: read INPUT back and repair. */
	if (readback && l->dirty[HB_LINK_REGION_INPUT]) {
		/* "inputs complete" is then the stamp of the last repair that went through */
		st = verify_region(l, HB_LINK_REGION_INPUT, 0, img, n, true, &stamp);
		if (st != HB_OK)
			return st;
	}
	if (stamp_last)
		*stamp_last = stamp;
	return HB_OK;
}

static enum hb_status check_n_out(struct hb_link *l, const char *what, unsigned n_out)
{
	if (l->have_config && n_out != l->cfg.sizes[l->cfg.n_layers])
		return fail(l, HB_ERR_PROTO, "%s seq %u: device reports n_out %u, CONFIG has %u", what,
			    l->seq, n_out, l->cfg.sizes[l->cfg.n_layers]);
	return HB_OK;
}

enum hb_status hb_link_infer(struct hb_link *l, uint32_t sample_id, uint64_t expected_cycles,
			     struct hb_link_infer_result *out)
{
	if (!l || !out)
		return HB_ERR_ARG;
	enum hb_status st = need_identity(l);
	if (st != HB_OK)
		return st;
	if (!expected_cycles)
		expected_cycles = hb_link_estimate_cycles(l);
	uint8_t req[4];
	size_t rl, nr;
	hb_link_u32_encode(sample_id, req, sizeof req, &rl);
	st = hb_link_transact(l, HB_LINK_INFER, req, rl, l->rx_payload, sizeof l->rx_payload, &nr,
			      HB_LINK_INFER_FIXED_LEN + 2 * HB_LINK_MAX_N_OUT, expected_cycles);
	if (st != HB_OK)
		return st;
	if (hb_link_infer_result_decode(l->rx_payload, nr, out) != HB_OK)
		return fail(l, HB_ERR_FORMAT, "INFER seq %u: malformed %zu-byte result", l->seq, nr);
	if (out->sample_id != sample_id)
		return fail(l, HB_ERR_PROTO, "INFER seq %u: result for sample %u, asked %u", l->seq,
			    (unsigned)out->sample_id, (unsigned)sample_id);
	st = check_n_out(l, "INFER", out->n_out);
	if (st != HB_OK)
		return st;
	l->last_busy_cycles = out->busy_cycles;
	return HB_OK;
}

enum hb_status hb_link_batch(struct hb_link *l, uint32_t n, uint64_t expected_cycles_each,
			     struct hb_link_batch_result *out)
{
	if (!l || !out)
		return HB_ERR_ARG;
	if (n < 1)
		return fail(l, HB_ERR_ARG, "BATCH: n must be at least 1");
	enum hb_status st = need_identity(l);
	if (st != HB_OK)
		return st;
	if (!(l->id.capabilities & HB_LINK_CAP_BATCH))
		return fail(l, HB_ERR_UNSUPPORTED, "BATCH: device lacks the BATCH capability");
	if (!expected_cycles_each)
		expected_cycles_each = hb_link_estimate_cycles(l);
	/* n inferences 3 cycles apart (protocol §4.3) */
	uint64_t total = expected_cycles_each > UINT64_MAX / n - 3 ? UINT64_MAX
				 : expected_cycles_each * n + 3ull * (n - 1);
	uint8_t req[4];
	size_t rl, nr;
	hb_link_u32_encode(n, req, sizeof req, &rl);
	st = hb_link_transact(l, HB_LINK_BATCH, req, rl, l->rx_payload, sizeof l->rx_payload, &nr,
			      HB_LINK_BATCH_FIXED_LEN + 2 * HB_LINK_MAX_N_OUT, total);
	if (st != HB_OK)
		return st;
	if (hb_link_batch_result_decode(l->rx_payload, nr, out) != HB_OK)
		return fail(l, HB_ERR_FORMAT, "BATCH seq %u: malformed %zu-byte result", l->seq, nr);
	if (out->n != n)
		return fail(l, HB_ERR_PROTO, "BATCH seq %u: device ran %u inferences, asked %u", l->seq,
			    (unsigned)out->n, (unsigned)n);
	return check_n_out(l, "BATCH", out->n_out);
}

enum hb_status hb_link_counters(struct hb_link *l, struct hb_link_counters *out)
{
	if (!l || !out)
		return HB_ERR_ARG;
	size_t nr;
	enum hb_status st = hb_link_transact(l, HB_LINK_COUNTERS, NULL, 0, l->rx_payload,
					     sizeof l->rx_payload, &nr, HB_LINK_COUNTERS_LEN, 0);
	if (st != HB_OK)
		return st;
	if (hb_link_counters_decode(l->rx_payload, nr, out) != HB_OK)
		return fail(l, HB_ERR_FORMAT, "COUNTERS seq %u: malformed %zu-byte response", l->seq, nr);
	return HB_OK;
}

enum hb_status hb_link_reset(struct hb_link *l)
{
	if (!l)
		return HB_ERR_ARG;
	size_t nr;
	enum hb_status st = hb_link_transact(l, HB_LINK_RESET, NULL, 0, l->rx_payload,
					     sizeof l->rx_payload, &nr, 0, 0);
	if (st != HB_OK)
		return st;
	if (nr != 0)
		return fail(l, HB_ERR_FORMAT, "RESET seq %u: expected an empty response, got %zu bytes",
			    l->seq, nr);
	return HB_OK;
}

size_t hb_link_stats_list(const struct hb_link_stats *s, struct hb_link_stat *out, size_t cap)
{
	const struct hb_link_stat all[] = {
		{"requests", s->requests},
		{"attempts", s->attempts},
		{"retries", s->retries},
		{"timeouts", s->timeouts},
		{"truncated", s->truncated},
		{"corrupted", s->corrupted},
		{"stale", s->stale},
		{"device_errors", s->device_errors},
		{"busy", s->busy},
		{"noise_errors", s->noise_errors},
		{"bytes_tx", s->bytes_tx},
		{"bytes_rx", s->bytes_rx},
		{"payload_tx", s->payload_tx},
		{"payload_rx", s->payload_rx},
		{"chunk_write", s->chunk_write},
		{"chunk_write_min", s->chunk_write_min},
		{"chunk_read", s->chunk_read},
		{"chunk_read_min", s->chunk_read_min},
		{"chunk_shrinks", s->shrinks},
		{"chunk_grows", s->grows},
		{"backoff_us", s->backoff_ns / 1000},
		{"unconfirmed_writes", s->unconfirmed},
		{"verify_reads", s->verify_reads},
		{"repairs", s->repairs},
		{"repaired_bytes", s->repaired_bytes},
		{"response_timeout_ms", s->timeout_ms},
		{"pipelined_writes", s->pipelined},
		{"pipelined_lost", s->pipe_lost},
		{"checks", s->checks},
		{"check_mismatches", s->check_mismatches},
		{"nudges", s->nudges},
	};
	size_t n = sizeof all / sizeof all[0];
	if (n > cap)
		n = cap;
	if (out)
		memcpy(out, all, n * sizeof *out);
	return n;
}
