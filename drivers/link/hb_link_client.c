/* hilbench — link protocol v1 host client. See hb_link_client.h and
 * docs/protocol.md ("Host rules"). */
#define LOG_PREFIX "link"
#include "hb_link_client.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb_log.h"

#define NS_PER_MS 1000000ull

void hb_link_opts_default(struct hb_link_opts *o)
{
	memset(o, 0, sizeof *o);
	o->retries = 3;
	o->baud = 0;
	o->base_timeout_ms = 100;
	o->interbyte_timeout_ms = 100;
	o->drain_quiet_ms = 30;
	o->busy_backoff_ms = 10;
	o->compute_margin_pct = 50;
	o->verify = true;
	o->clock = NULL;
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

/* ---- the transaction engine ------------------------------------------- */

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

/* Read and discard until the line has been quiet for drain_quiet_ms (at most
 * about base_timeout + drain_quiet in total, so a babbling line cannot hang us). */
static enum hb_status drain(struct hb_link *l)
{
	uint64_t quiet = (uint64_t)l->opts.drain_quiet_ms * NS_PER_MS;
	uint64_t t0 = now_ns(l);
	uint64_t limit = t0 + quiet + (uint64_t)l->opts.base_timeout_ms * NS_PER_MS;
	uint64_t until = t0 + quiet;
	for (;;) {
		uint64_t now = now_ns(l);
		if (now >= until || now >= limit)
			break;
		size_t got = 0;
		enum hb_status st = l->t->ops->read(l->t, l->rx_chunk, sizeof l->rx_chunk, &got,
						    ms_until(now, until));
		if (st != HB_OK && st != HB_ERR_TIMEOUT)
			return st;
		if (got) {
			l->stats.bytes_rx += got;
			until = now_ns(l) + quiet;
		}
	}
	hb_link_decoder_reset(&l->dec);
	return HB_OK;
}

/* Wait for the response to (type, seq). why receives a short description of
 * a non-OK outcome; *st the status to return for AW_FATAL / AW_IO. */
static enum await await_response(struct hb_link *l, uint8_t type, unsigned timeout_ms, void *resp,
				 size_t cap, size_t *resp_len, char *why, size_t why_cap,
				 enum hb_status *st_out)
{
	const uint8_t want = (uint8_t)(type | HB_LINK_RESPONSE_BIT);
	const uint64_t t0 = now_ns(l);
	const uint64_t deadline = t0 + (uint64_t)timeout_ms * NS_PER_MS;
	const uint64_t ib = (uint64_t)l->opts.interbyte_timeout_ms * NS_PER_MS;
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
					 "response truncated: %zu bytes then silence for %u ms",
					 ev.received, l->opts.interbyte_timeout_ms);
				return AW_TRUNC;
			}
			continue;
		}
		if (now >= deadline) {
			l->stats.timeouts++;
			snprintf(why, why_cap, "response timeout after %u ms", timeout_ms);
			return AW_TIMEOUT;
		}
		uint64_t until = deadline;
		if (in_frame && last_byte + ib < until)
			until = last_byte + ib;
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
				if (e.reason == HB_LINK_R_BUSY)
					l->stats.busy++;
				if (ev.seq != l->seq) {
					snprintf(why, why_cap,
						 "device answered ERROR(%s) with seq %u (sent %u): request corrupted on the way",
						 hb_link_reason_name(e.reason), ev.seq, l->seq);
					return AW_RETRY_ERR;
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
	unsigned tmo = hb_link_response_timeout_ms(l, req_len, resp_max, compute_cycles);
	unsigned wr_tmo = hb_link_response_timeout_ms(l, req_len, 0, 0);
	l->stats.requests++;
	if (l->t->ops->flush)
		l->t->ops->flush(l->t);
	hb_link_decoder_reset(&l->dec);

	char why[200] = "";
	enum await last = AW_TIMEOUT;
	unsigned attempts = l->opts.retries + 1;
	for (unsigned a = 0; a < attempts; a++) {
		if (l->opts.abort_now && *l->opts.abort_now)
			return fail(l, HB_ERR_INTERRUPTED, "%s seq %u: interrupted", hb_link_type_name(type),
				    l->seq);
		if (a > 0) {
			l->stats.retries++;
			hb_dbg("%s seq %u: retry %u/%u after: %s", hb_link_type_name(type), l->seq, a,
			       l->opts.retries, why);
			if (last == AW_RETRY_ERR && l->last_reason == HB_LINK_R_BUSY)
				l->clock->sleep_ns(l->clock,
						   (uint64_t)l->opts.busy_backoff_ms * NS_PER_MS);
			st = drain(l);
			if (st != HB_OK)
				return fail(l, st, "%s seq %u: transport read failed: %s",
					    hb_link_type_name(type), l->seq, hb_strerror(st));
		}
		l->last_reason = 0;
		st = l->t->ops->write(l->t, l->tx, flen, (int)wr_tmo);
		if (st != HB_OK)
			return fail(l, st, "%s seq %u: transport write failed: %s",
				    hb_link_type_name(type), l->seq, hb_strerror(st));
		l->stats.attempts++;
		l->stats.bytes_tx += flen;
		enum hb_status fst = HB_OK;
		last = await_response(l, type, tmo, resp, cap, resp_len, why, sizeof why, &fst);
		switch (last) {
		case AW_OK:
			l->stats.payload_tx += req_len;
			l->last_error[0] = 0;
			return HB_OK;
		case AW_FATAL:
		case AW_IO:
			return fail(l, fst, "%s seq %u: %s", hb_link_type_name(type), l->seq, why);
		default:
			break;
		}
	}
	enum hb_status fs = HB_ERR_TIMEOUT;
	if (last == AW_CORRUPT)
		fs = HB_ERR_CRC;
	else if (last == AW_RETRY_ERR && l->last_reason == HB_LINK_R_BUSY)
		fs = HB_ERR_BUSY;
	else if (last == AW_RETRY_ERR)
		fs = HB_ERR_PROTO;
	return fail(l, fs, "%s seq %u: no valid response after %u attempts (last: %s)",
		    hb_link_type_name(type), l->seq, attempts, why);
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
	const uint8_t *p = data;
	size_t chunk = HB_LINK_LOAD_MAX_DATA(l->id.max_payload);
	uint8_t req[HB_LINK_MAX_PAYLOAD];
	for (size_t done = 0; done < n;) {
		size_t c = n - done < chunk ? n - done : chunk;
		struct hb_link_load_req r = {.region = region, .offset = (uint32_t)(offset + done),
					     .data = p + done, .count = c};
		size_t rl, nr;
		st = hb_link_load_req_encode(&r, req, sizeof req, &rl);
		if (st != HB_OK)
			return fail(l, st, "LOAD: cannot encode %zu bytes", c);
		st = hb_link_transact(l, HB_LINK_LOAD, req, rl, l->rx_payload, sizeof l->rx_payload,
				      &nr, HB_LINK_SPAN_LEN, 0);
		if (st != HB_OK)
			return st;
		struct hb_link_span s;
		if (hb_link_span_decode(l->rx_payload, nr, &s) != HB_OK)
			return fail(l, HB_ERR_FORMAT, "LOAD seq %u: malformed %zu-byte response", l->seq, nr);
		if (s.region != region || s.offset != r.offset || s.count != c)
			return fail(l, HB_ERR_PROTO,
				    "LOAD seq %u: device acknowledged region %u offset %u count %u, sent region %u offset %u count %zu",
				    l->seq, s.region, (unsigned)s.offset, s.count, region,
				    (unsigned)r.offset, c);
		done += c;
	}
	return HB_OK;
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
	uint8_t *p = buf;
	size_t chunk = HB_LINK_READ_MAX_DATA(l->id.max_payload);
	for (size_t done = 0; done < n;) {
		size_t c = n - done < chunk ? n - done : chunk;
		struct hb_link_span s = {.region = region, .offset = (uint32_t)(offset + done),
					 .count = (uint16_t)c};
		uint8_t req[HB_LINK_SPAN_LEN];
		size_t rl, nr;
		hb_link_span_encode(&s, req, sizeof req, &rl);
		st = hb_link_transact(l, HB_LINK_READ, req, rl, p + done, c, &nr, c, 0);
		if (st != HB_OK)
			return st;
		if (nr != c)
			return fail(l, HB_ERR_FORMAT, "READ seq %u: asked %zu bytes, got %zu", l->seq, c, nr);
		done += c;
	}
	return HB_OK;
}

/* Read back [0, n) of region and compare with img. */
static enum hb_status verify(struct hb_link *l, uint8_t region, const uint8_t *img, size_t n)
{
	uint8_t buf[HB_LINK_MAX_PAYLOAD];
	size_t chunk = HB_LINK_READ_MAX_DATA(l->id.max_payload);
	for (size_t done = 0; done < n;) {
		size_t c = n - done < chunk ? n - done : chunk;
		enum hb_status st = hb_link_read(l, region, (uint32_t)done, buf, c);
		if (st != HB_OK)
			return st;
		for (size_t i = 0; i < c; i++)
			if (buf[i] != img[done + i])
				return fail(l, HB_ERR_MISMATCH,
					    "%s read-back differs at offset %zu: wrote 0x%02x, read 0x%02x",
					    region == HB_LINK_REGION_CONFIG ? "CONFIG" : "WEIGHTS",
					    done + i, img[done + i], buf[i]);
		done += c;
	}
	return HB_OK;
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
	st = hb_link_load(l, HB_LINK_REGION_CONFIG, 0, img, n);
	if (st != HB_OK)
		return st;
	if (l->opts.verify && (l->id.capabilities & HB_LINK_CAP_READ)) {
		st = verify(l, HB_LINK_REGION_CONFIG, img, n);
		if (st != HB_OK)
			return st;
	}
	l->cfg = *cfg;
	l->have_config = true;
	return HB_OK;
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
	st = hb_link_load(l, HB_LINK_REGION_WEIGHTS, 0, img, n);
	if (st != HB_OK)
		return st;
	if (!l->opts.verify)
		return HB_OK;
	if (!(l->id.capabilities & HB_LINK_CAP_READ)) {
		hb_info("WEIGHTS loaded unverified: device lacks the READ capability");
		return HB_OK;
	}
	st = verify(l, HB_LINK_REGION_WEIGHTS, img, n);
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
	const uint8_t *p = img;
	size_t chunk = HB_LINK_STREAM_MAX_DATA(l->id.max_payload);
	uint8_t req[HB_LINK_MAX_PAYLOAD];
	for (size_t done = 0; done < n;) {
		size_t c = n - done < chunk ? n - done : chunk;
		struct hb_link_stream_req r = {.offset = (uint32_t)done, .data = p + done, .count = c};
		size_t rl, nr;
		hb_link_stream_req_encode(&r, req, sizeof req, &rl);
		st = hb_link_transact(l, HB_LINK_STREAM, req, rl, l->rx_payload, sizeof l->rx_payload,
				      &nr, HB_LINK_STREAM_RESP_LEN, 0);
		if (st != HB_OK)
			return st;
		struct hb_link_stream_resp s;
		if (hb_link_stream_resp_decode(l->rx_payload, nr, &s) != HB_OK)
			return fail(l, HB_ERR_FORMAT, "STREAM seq %u: malformed %zu-byte response", l->seq, nr);
		if (s.offset != r.offset || s.count != c)
			return fail(l, HB_ERR_PROTO,
				    "STREAM seq %u: device acknowledged offset %u count %u, sent offset %u count %zu",
				    l->seq, (unsigned)s.offset, s.count, (unsigned)r.offset, c);
		if (stamp_last)
			*stamp_last = s.stamp;
		done += c;
	}
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
	uint64_t total = expected_cycles_each > UINT64_MAX / n ? UINT64_MAX : expected_cycles_each * n;
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
