/* hilbench — link protocol v1 codec: pure bytes in / bytes out.
 * See hb_link_codec.h and docs/protocol.md. */
#include "hb_link_codec.h"

#include <stdio.h>
#include <pthread.h>
#include <string.h>

/* ---- names ------------------------------------------------------------- */

const char *hb_link_type_name(uint8_t type)
{
	if (type == HB_LINK_ERROR)
		return "ERROR";
	switch (type & 0x7F) {
	case HB_LINK_IDENTIFY: return "IDENTIFY";
	case HB_LINK_LOAD: return "LOAD";
	case HB_LINK_READ: return "READ";
	case HB_LINK_STREAM: return "STREAM";
	case HB_LINK_INFER: return "INFER";
	case HB_LINK_BATCH: return "BATCH";
	case HB_LINK_COUNTERS: return "COUNTERS";
	case HB_LINK_RESET: return "RESET";
	case HB_LINK_CHECK: return "CHECK";
	default: return "UNKNOWN";
	}
}

const char *hb_link_reason_name(uint8_t reason)
{
	switch (reason) {
	case HB_LINK_R_BAD_HCRC: return "BAD_HCRC";
	case HB_LINK_R_BAD_CRC: return "BAD_CRC";
	case HB_LINK_R_OVERSIZE: return "OVERSIZE";
	case HB_LINK_R_TIMEOUT: return "TIMEOUT";
	case HB_LINK_R_UNKNOWN_TYPE: return "UNKNOWN_TYPE";
	case HB_LINK_R_BAD_LENGTH: return "BAD_LENGTH";
	case HB_LINK_R_BAD_ARG: return "BAD_ARG";
	case HB_LINK_R_NOT_CONFIGURED: return "NOT_CONFIGURED";
	case HB_LINK_R_BUSY: return "BUSY";
	default: return "UNKNOWN";
	}
}

bool hb_link_reason_retryable(uint8_t reason)
{
	switch (reason) {
	case HB_LINK_R_BAD_HCRC:
	case HB_LINK_R_BAD_CRC:
	case HB_LINK_R_OVERSIZE:
	case HB_LINK_R_TIMEOUT:
	case HB_LINK_R_BUSY:
		return true;
	default:
		return false;
	}
}

const char *hb_link_family_name(uint8_t family)
{
	static const char *const names[] = {"sim", "ice40", "ecp5", "artix7"};
	return family < 4 ? names[family] : "unknown";
}

/* ---- little-endian helpers ---------------------------------------------- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int k = 0; k < 4; k++)
		p[k] = (uint8_t)(v >> (8 * k));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int k = 0; k < 8; k++)
		p[k] = (uint8_t)(v >> (8 * k));
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* ---- CRCs (bitwise: small, and fast enough for a UART) ------------------- */

uint8_t hb_link_crc8(uint8_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;
	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		for (int b = 0; b < 8; b++)
			crc = (crc & 0x80) ? (uint8_t)((crc << 1) ^ 0x07) : (uint8_t)(crc << 1);
	}
	return crc;
}

/* Table-free byte-at-a-time CRC-16/CCITT (poly 0x1021): the 4-bit fold
 * x ^= x >> 4 followed by shifts 12, 5, 0 is the polynomial's expansion. */
/* CRC-16/CCITT-FALSE, eight bytes per step ("slicing by 8"): crc16_tab[k][b] is the CRC
 * register after the byte b, followed by k zero bytes, has been shifted through the
 * polynomial 0x1021 (table 0 is the classic byte table). The tables are filled once, on
 * first use; test_link_codec checks table 0 against the bitwise definition and the sliced
 * loop against the byte loop. */
static uint16_t crc16_tab[8][256];
static pthread_once_t crc16_once = PTHREAD_ONCE_INIT;

uint16_t hb_link_crc16_table_entry(uint8_t b)
{
	unsigned c = (unsigned)b << 8;
	for (int k = 0; k < 8; k++)
		c = (c & 0x8000u) ? ((c << 1) ^ 0x1021u) & 0xFFFFu : (c << 1) & 0xFFFFu;
	return (uint16_t)c;
}

static void crc16_init(void)
{
	for (unsigned b = 0; b < 256; b++)
		crc16_tab[0][b] = hb_link_crc16_table_entry((uint8_t)b);
	for (unsigned k = 1; k < 8; k++)
		for (unsigned b = 0; b < 256; b++) {
			uint16_t prev = crc16_tab[k - 1][b];
			crc16_tab[k][b] = (uint16_t)((prev << 8) ^ crc16_tab[0][prev >> 8]);
		}
}

uint16_t hb_link_crc16_bytewise(uint16_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;
	pthread_once(&crc16_once, crc16_init);
	for (size_t i = 0; i < len; i++)
		crc = (uint16_t)((crc << 8) ^ crc16_tab[0][((crc >> 8) ^ p[i]) & 0xFFu]);
	return crc;
}

uint16_t hb_link_crc16(uint16_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;
	pthread_once(&crc16_once, crc16_init);
	while (len >= 8) {
		unsigned a = ((unsigned)(crc >> 8) ^ p[0]) & 0xFFu;
		unsigned b = ((unsigned)crc ^ p[1]) & 0xFFu;
		crc = (uint16_t)(crc16_tab[7][a] ^ crc16_tab[6][b] ^ crc16_tab[5][p[2]] ^
				 crc16_tab[4][p[3]] ^ crc16_tab[3][p[4]] ^ crc16_tab[2][p[5]] ^
				 crc16_tab[1][p[6]] ^ crc16_tab[0][p[7]]);
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = (uint16_t)((crc << 8) ^ crc16_tab[0][((crc >> 8) ^ *p++) & 0xFFu]);
	return crc;
}

/* ---- frames -------------------------------------------------------------- */

enum hb_status hb_link_frame_encode(uint8_t type, uint8_t seq, const void *payload, size_t len,
				    uint8_t *out, size_t cap, size_t *out_len)
{
	if (!out || !out_len || (len && !payload))
		return HB_ERR_ARG;
	*out_len = 0;
	if (len > HB_LINK_MAX_PAYLOAD || cap < len + HB_LINK_OVERHEAD)
		return HB_ERR_RANGE;
	out[0] = HB_LINK_SOF;
	out[1] = type;
	out[2] = seq;
	put16(out + 3, (uint16_t)len);
	out[5] = hb_link_crc8(0, out + 1, 4);
	if (len)
		memmove(out + HB_LINK_HDR_LEN, payload, len);
	uint16_t c = hb_link_crc16(0xFFFF, out + 1, 4);
	c = hb_link_crc16(c, out + HB_LINK_HDR_LEN, len);
	put16(out + HB_LINK_HDR_LEN + len, c);
	*out_len = len + HB_LINK_OVERHEAD;
	return HB_OK;
}

enum { ST_HUNT = 0, ST_HDR = 1, ST_BODY = 2 };

void hb_link_decoder_init(struct hb_link_decoder *d, size_t max_payload)
{
	memset(d, 0, sizeof *d);
	if (max_payload == 0 || max_payload > HB_LINK_MAX_PAYLOAD)
		max_payload = HB_LINK_MAX_PAYLOAD;
	d->max_payload = (uint16_t)max_payload;
}

void hb_link_decoder_reset(struct hb_link_decoder *d)
{
	d->state = ST_HUNT;
	d->n = 0;
	d->need = 0;
	d->replay_n = d->replay_pos = 0;
}

bool hb_link_decoder_in_frame(const struct hb_link_decoder *d)
{
	return d->state != ST_HUNT || d->replay_pos < d->replay_n;
}

static void ev_header(struct hb_link_event *ev, const uint8_t *b, enum hb_link_event_kind k)
{
	ev->kind = k;
	ev->type = b[1];
	ev->seq = b[2];
	ev->len = get16(b + 3);
	ev->have_header = true;
}

/* Process one byte; returns true when *ev was filled with an event. */
static bool step(struct hb_link_decoder *d, uint8_t b, struct hb_link_event *ev)
{
	switch (d->state) {
	case ST_HUNT:
		if (b == HB_LINK_SOF) {
			d->buf[0] = b;
			d->n = 1;
			d->state = ST_HDR;
		} else {
			d->stats.garbage_bytes++;
		}
		return false;
	case ST_HDR:
		d->buf[d->n++] = b;
		if (d->n < HB_LINK_HDR_LEN)
			return false;
		if (hb_link_crc8(0, d->buf + 1, 4) != d->buf[5]) {
			/* Re-scan the 5 bytes after this SOF, then whatever was
			 * still pending, before new input. */
			uint8_t tmp[sizeof d->replay];
			size_t rest = d->replay_n - d->replay_pos;
			size_t k = HB_LINK_HDR_LEN - 1;
			if (k + rest > sizeof tmp) /* cannot happen: see docs */
				rest = sizeof tmp - k;
			memcpy(tmp, d->buf + 1, k);
			memcpy(tmp + k, d->replay + d->replay_pos, rest);
			memcpy(d->replay, tmp, k + rest);
			d->replay_n = k + rest;
			d->replay_pos = 0;
			d->state = ST_HUNT;
			d->n = 0;
			d->stats.bad_hcrc++;
			ev_header(ev, d->buf, HB_LINK_EV_BAD_HCRC);
			return true;
		}
		if (get16(d->buf + 3) > d->max_payload) {
			d->state = ST_HUNT;
			d->n = 0;
			d->stats.oversize++;
			ev_header(ev, d->buf, HB_LINK_EV_OVERSIZE);
			return true;
		}
		d->need = HB_LINK_OVERHEAD + get16(d->buf + 3);
		d->state = ST_BODY;
		return false;
	default: { /* ST_BODY */
		d->buf[d->n++] = b;
		if (d->n < d->need)
			return false;
		size_t len = d->need - HB_LINK_OVERHEAD;
		uint16_t c = hb_link_crc16(0xFFFF, d->buf + 1, 4);
		c = hb_link_crc16(c, d->buf + HB_LINK_HDR_LEN, len);
		d->state = ST_HUNT;
		d->n = 0;
		if (c != get16(d->buf + d->need - 2)) {
			d->stats.bad_crc++;
			ev_header(ev, d->buf, HB_LINK_EV_BAD_CRC);
			ev->payload = d->buf + HB_LINK_HDR_LEN; /* unverified */
			return true;
		}
		d->stats.frames_ok++;
		ev_header(ev, d->buf, HB_LINK_EV_FRAME);
		ev->payload = d->buf + HB_LINK_HDR_LEN;
		ev->frame = d->buf;
		ev->frame_len = d->need;
		return true;
	}
	}
}

void hb_link_decoder_feed(struct hb_link_decoder *d, const uint8_t *data, size_t len,
			  size_t *consumed, struct hb_link_event *ev)
{
	size_t i = 0;
	memset(ev, 0, sizeof *ev);
	for (;;) {
		uint8_t b;
		if (d->replay_pos < d->replay_n) {
			b = d->replay[d->replay_pos++];
			if (d->replay_pos == d->replay_n)
				d->replay_pos = d->replay_n = 0;
		} else if (i < len) {
			if (d->state == ST_BODY && d->need - d->n > 1) {
				/* Bulk-copy the body except its last byte, which
				 * step() completes (CRC check, event). */
				size_t k = d->need - d->n - 1;
				if (k > len - i)
					k = len - i;
				memcpy(d->buf + d->n, data + i, k);
				d->n += k;
				i += k;
				continue;
			}
			b = data[i++];
		} else {
			break;
		}
		if (step(d, b, ev))
			break;
	}
	if (consumed)
		*consumed = i;
}

bool hb_link_decoder_timeout(struct hb_link_decoder *d, struct hb_link_event *ev)
{
	size_t used;
	/* Bytes pending for re-scan arrived before the timeout: examine them
	 * first (they can start, but never complete, a header). */
	hb_link_decoder_feed(d, NULL, 0, &used, ev);
	if (ev->kind != HB_LINK_EV_NONE)
		return true;
	if (d->state == ST_HUNT)
		return false;
	ev->kind = HB_LINK_EV_TIMEOUT;
	ev->received = d->n;
	if (d->state == ST_BODY) {
		ev->have_header = true;
		ev->type = d->buf[1];
		ev->seq = d->buf[2];
		ev->len = get16(d->buf + 3);
		ev->payload = d->buf + HB_LINK_HDR_LEN; /* received - 6 bytes, unverified */
	}
	d->stats.timeouts++;
	d->state = ST_HUNT;
	d->n = 0;
	return true;
}

/* ---- payloads ------------------------------------------------------------ */

#define NEED(cap_, n_) \
	do { \
		if (!out || !out_len) \
			return HB_ERR_ARG; \
		*out_len = 0; \
		if ((cap_) < (n_)) \
			return HB_ERR_RANGE; \
	} while (0)

enum hb_status hb_link_identity_encode(const struct hb_link_identity *id, uint8_t *out,
				       size_t cap, size_t *out_len)
{
	if (!id)
		return HB_ERR_ARG;
	if (id->n_layers > HB_LINK_MAX_LAYERS)
		return HB_ERR_RANGE;
	size_t n = HB_LINK_IDENTITY_FIXED_LEN + 2u * (id->n_layers + 1u);
	NEED(cap, n);
	memset(out, 0, n);
	out[0] = id->proto_version;
	out[1] = id->family;
	put16(out + 2, id->lanes);
	put32(out + 4, id->build_hash);
	put32(out + 8, id->clock_hz);
	out[12] = id->counter_bits;
	out[13] = id->max_layers;
	put16(out + 14, id->max_payload);
	put16(out + 16, id->max_n_in);
	put16(out + 18, id->max_n_out);
	put16(out + 20, id->max_L);
	put16(out + 22, id->capabilities);
	put32(out + 24, id->weight_mem_bytes);
	put32(out + 28, id->input_mem_bytes);
	put32(out + 32, id->hidden_mem_bits);
	out[36] = id->configured;
	out[37] = id->n_layers;
	put16(out + 38, id->L);
	for (unsigned k = 0; k <= id->n_layers; k++)
		put16(out + 40 + 2 * k, id->sizes[k]);
	*out_len = n;
	return HB_OK;
}

enum hb_status hb_link_identity_decode(const uint8_t *p, size_t len, struct hb_link_identity *id)
{
	if (!p || !id)
		return HB_ERR_ARG;
	if (len < HB_LINK_IDENTITY_FIXED_LEN + 2)
		return HB_ERR_FORMAT;
	unsigned k = p[37];
	if (k > HB_LINK_MAX_LAYERS || len != HB_LINK_IDENTITY_FIXED_LEN + 2u * (k + 1u))
		return HB_ERR_FORMAT;
	memset(id, 0, sizeof *id);
	id->proto_version = p[0];
	id->family = p[1];
	id->lanes = get16(p + 2);
	id->build_hash = get32(p + 4);
	id->clock_hz = get32(p + 8);
	id->counter_bits = p[12];
	id->max_layers = p[13];
	id->max_payload = get16(p + 14);
	id->max_n_in = get16(p + 16);
	id->max_n_out = get16(p + 18);
	id->max_L = get16(p + 20);
	id->capabilities = get16(p + 22);
	id->weight_mem_bytes = get32(p + 24);
	id->input_mem_bytes = get32(p + 28);
	id->hidden_mem_bits = get32(p + 32);
	id->configured = p[36];
	id->n_layers = (uint8_t)k;
	id->L = get16(p + 38);
	for (unsigned i = 0; i <= k; i++)
		id->sizes[i] = get16(p + 40 + 2 * i);
	return HB_OK;
}

enum hb_status hb_link_load_req_encode(const struct hb_link_load_req *r, uint8_t *out, size_t cap,
				       size_t *out_len)
{
	if (!r || (r->count && !r->data))
		return HB_ERR_ARG;
	if (r->count < 1 || r->count > HB_LINK_LOAD_MAX_DATA(HB_LINK_MAX_PAYLOAD))
		return HB_ERR_RANGE;
	NEED(cap, 5 + r->count);
	out[0] = r->region;
	put32(out + 1, r->offset);
	memmove(out + 5, r->data, r->count);
	*out_len = 5 + r->count;
	return HB_OK;
}

enum hb_status hb_link_load_req_decode(const uint8_t *p, size_t len, struct hb_link_load_req *r)
{
	if (!p || !r)
		return HB_ERR_ARG;
	if (len < 6 || len > HB_LINK_MAX_PAYLOAD)
		return HB_ERR_FORMAT;
	r->region = p[0];
	r->offset = get32(p + 1);
	r->data = p + 5;
	r->count = len - 5;
	return HB_OK;
}

enum hb_status hb_link_span_encode(const struct hb_link_span *s, uint8_t *out, size_t cap,
				   size_t *out_len)
{
	if (!s)
		return HB_ERR_ARG;
	NEED(cap, HB_LINK_SPAN_LEN);
	out[0] = s->region;
	put32(out + 1, s->offset);
	put16(out + 5, s->count);
	*out_len = HB_LINK_SPAN_LEN;
	return HB_OK;
}

enum hb_status hb_link_span_decode(const uint8_t *p, size_t len, struct hb_link_span *s)
{
	if (!p || !s)
		return HB_ERR_ARG;
	if (len != HB_LINK_SPAN_LEN)
		return HB_ERR_FORMAT;
	s->region = p[0];
	s->offset = get32(p + 1);
	s->count = get16(p + 5);
	return HB_OK;
}

enum hb_status hb_link_check_resp_encode(const struct hb_link_check_resp *r, uint8_t *out,
					 size_t cap, size_t *out_len)
{
	if (!r)
		return HB_ERR_ARG;
	NEED(cap, HB_LINK_CHECK_RESP_LEN);
	size_t n;
	hb_link_span_encode(&r->span, out, cap, &n);
	put16(out + HB_LINK_SPAN_LEN, r->crc);
	*out_len = HB_LINK_CHECK_RESP_LEN;
	return HB_OK;
}

enum hb_status hb_link_check_resp_decode(const uint8_t *p, size_t len,
					 struct hb_link_check_resp *r)
{
	if (!p || !r)
		return HB_ERR_ARG;
	if (len != HB_LINK_CHECK_RESP_LEN)
		return HB_ERR_FORMAT;
	hb_link_span_decode(p, HB_LINK_SPAN_LEN, &r->span);
	r->crc = get16(p + HB_LINK_SPAN_LEN);
	return HB_OK;
}

enum hb_status hb_link_stream_req_encode(const struct hb_link_stream_req *r, uint8_t *out,
					 size_t cap, size_t *out_len)
{
	if (!r || (r->count && !r->data))
		return HB_ERR_ARG;
	if (r->count < 1 || r->count > HB_LINK_STREAM_MAX_DATA(HB_LINK_MAX_PAYLOAD))
		return HB_ERR_RANGE;
	NEED(cap, 4 + r->count);
	put32(out, r->offset);
	memmove(out + 4, r->data, r->count);
	*out_len = 4 + r->count;
	return HB_OK;
}

enum hb_status hb_link_stream_req_decode(const uint8_t *p, size_t len,
					 struct hb_link_stream_req *r)
{
	if (!p || !r)
		return HB_ERR_ARG;
	if (len < 5 || len > HB_LINK_MAX_PAYLOAD)
		return HB_ERR_FORMAT;
	r->offset = get32(p);
	r->data = p + 4;
	r->count = len - 4;
	return HB_OK;
}

enum hb_status hb_link_stream_resp_encode(const struct hb_link_stream_resp *r, uint8_t *out,
					  size_t cap, size_t *out_len)
{
	if (!r)
		return HB_ERR_ARG;
	NEED(cap, HB_LINK_STREAM_RESP_LEN);
	put32(out, r->offset);
	put16(out + 4, r->count);
	put64(out + 6, r->stamp);
	*out_len = HB_LINK_STREAM_RESP_LEN;
	return HB_OK;
}

enum hb_status hb_link_stream_resp_decode(const uint8_t *p, size_t len,
					  struct hb_link_stream_resp *r)
{
	if (!p || !r)
		return HB_ERR_ARG;
	if (len != HB_LINK_STREAM_RESP_LEN)
		return HB_ERR_FORMAT;
	r->offset = get32(p);
	r->count = get16(p + 4);
	r->stamp = get64(p + 6);
	return HB_OK;
}

enum hb_status hb_link_u32_encode(uint32_t v, uint8_t *out, size_t cap, size_t *out_len)
{
	NEED(cap, 4);
	put32(out, v);
	*out_len = 4;
	return HB_OK;
}

enum hb_status hb_link_u32_decode(const uint8_t *p, size_t len, uint32_t *v)
{
	if (!p || !v)
		return HB_ERR_ARG;
	if (len != 4)
		return HB_ERR_FORMAT;
	*v = get32(p);
	return HB_OK;
}

enum hb_status hb_link_infer_result_encode(const struct hb_link_infer_result *r, uint8_t *out,
					   size_t cap, size_t *out_len)
{
	if (!r)
		return HB_ERR_ARG;
	if (r->n_out > HB_LINK_MAX_N_OUT)
		return HB_ERR_RANGE;
	size_t n = HB_LINK_INFER_FIXED_LEN + 2u * r->n_out;
	NEED(cap, n);
	put32(out, r->sample_id);
	out[4] = r->class_id;
	out[5] = 0;
	put16(out + 6, r->n_out);
	put64(out + 8, r->t_start);
	put64(out + 16, r->t_done);
	put32(out + 24, r->busy_cycles);
	for (unsigned j = 0; j < r->n_out; j++)
		put16(out + 28 + 2 * j, r->counts[j]);
	*out_len = n;
	return HB_OK;
}

enum hb_status hb_link_infer_result_decode(const uint8_t *p, size_t len,
					   struct hb_link_infer_result *r)
{
	if (!p || !r)
		return HB_ERR_ARG;
	if (len < HB_LINK_INFER_FIXED_LEN)
		return HB_ERR_FORMAT;
	unsigned n_out = get16(p + 6);
	if (n_out > HB_LINK_MAX_N_OUT || len != HB_LINK_INFER_FIXED_LEN + 2u * n_out)
		return HB_ERR_FORMAT;
	memset(r, 0, sizeof *r);
	r->sample_id = get32(p);
	r->class_id = p[4];
	r->n_out = (uint16_t)n_out;
	r->t_start = get64(p + 8);
	r->t_done = get64(p + 16);
	r->busy_cycles = get32(p + 24);
	for (unsigned j = 0; j < n_out; j++)
		r->counts[j] = get16(p + 28 + 2 * j);
	return HB_OK;
}

enum hb_status hb_link_batch_result_encode(const struct hb_link_batch_result *r, uint8_t *out,
					   size_t cap, size_t *out_len)
{
	if (!r)
		return HB_ERR_ARG;
	if (r->n_out > HB_LINK_MAX_N_OUT)
		return HB_ERR_RANGE;
	size_t n = HB_LINK_BATCH_FIXED_LEN + 2u * r->n_out;
	NEED(cap, n);
	put32(out, r->n);
	out[4] = r->class_id;
	out[5] = 0;
	put16(out + 6, r->n_out);
	put64(out + 8, r->t_first_start);
	put64(out + 16, r->t_last_done);
	put64(out + 24, r->busy_cycles);
	for (unsigned j = 0; j < r->n_out; j++)
		put16(out + 32 + 2 * j, r->counts[j]);
	*out_len = n;
	return HB_OK;
}

enum hb_status hb_link_batch_result_decode(const uint8_t *p, size_t len,
					   struct hb_link_batch_result *r)
{
	if (!p || !r)
		return HB_ERR_ARG;
	if (len < HB_LINK_BATCH_FIXED_LEN)
		return HB_ERR_FORMAT;
	unsigned n_out = get16(p + 6);
	if (n_out > HB_LINK_MAX_N_OUT || len != HB_LINK_BATCH_FIXED_LEN + 2u * n_out)
		return HB_ERR_FORMAT;
	memset(r, 0, sizeof *r);
	r->n = get32(p);
	r->class_id = p[4];
	r->n_out = (uint16_t)n_out;
	r->t_first_start = get64(p + 8);
	r->t_last_done = get64(p + 16);
	r->busy_cycles = get64(p + 24);
	for (unsigned j = 0; j < n_out; j++)
		r->counts[j] = get16(p + 32 + 2 * j);
	return HB_OK;
}

enum hb_status hb_link_counters_encode(const struct hb_link_counters *c, uint8_t *out, size_t cap,
				       size_t *out_len)
{
	if (!c)
		return HB_ERR_ARG;
	NEED(cap, HB_LINK_COUNTERS_LEN);
	put64(out, c->cycle_now);
	put32(out + 8, c->frames_ok);
	put32(out + 12, c->frames_bad_hcrc);
	put32(out + 16, c->frames_bad_crc);
	put32(out + 20, c->frames_oversize);
	put32(out + 24, c->frames_timeout);
	put32(out + 28, c->frames_rejected);
	put32(out + 32, c->garbage_bytes);
	put32(out + 36, c->inferences);
	put64(out + 40, c->busy_cycles);
	*out_len = HB_LINK_COUNTERS_LEN;
	return HB_OK;
}

enum hb_status hb_link_counters_decode(const uint8_t *p, size_t len, struct hb_link_counters *c)
{
	if (!p || !c)
		return HB_ERR_ARG;
	if (len != HB_LINK_COUNTERS_LEN)
		return HB_ERR_FORMAT;
	c->cycle_now = get64(p);
	c->frames_ok = get32(p + 8);
	c->frames_bad_hcrc = get32(p + 12);
	c->frames_bad_crc = get32(p + 16);
	c->frames_oversize = get32(p + 20);
	c->frames_timeout = get32(p + 24);
	c->frames_rejected = get32(p + 28);
	c->garbage_bytes = get32(p + 32);
	c->inferences = get32(p + 36);
	c->busy_cycles = get64(p + 40);
	return HB_OK;
}

enum hb_status hb_link_error_encode(const struct hb_link_error *e, uint8_t *out, size_t cap,
				    size_t *out_len)
{
	if (!e)
		return HB_ERR_ARG;
	NEED(cap, HB_LINK_ERROR_LEN);
	out[0] = e->reason;
	out[1] = e->request_type;
	*out_len = HB_LINK_ERROR_LEN;
	return HB_OK;
}

enum hb_status hb_link_error_decode(const uint8_t *p, size_t len, struct hb_link_error *e)
{
	if (!p || !e)
		return HB_ERR_ARG;
	if (len != HB_LINK_ERROR_LEN)
		return HB_ERR_FORMAT;
	e->reason = p[0];
	e->request_type = p[1];
	return HB_OK;
}

bool hb_link_request_len_ok(uint8_t type, size_t len)
{
	switch (type) {
	case HB_LINK_IDENTIFY:
	case HB_LINK_COUNTERS:
	case HB_LINK_RESET:
		return len == 0;
	case HB_LINK_LOAD:
		return len >= 6 && len <= HB_LINK_MAX_PAYLOAD;
	case HB_LINK_READ:
	case HB_LINK_CHECK:
		return len == HB_LINK_SPAN_LEN;
	case HB_LINK_STREAM:
		return len >= 5 && len <= HB_LINK_MAX_PAYLOAD;
	case HB_LINK_INFER:
	case HB_LINK_BATCH:
		return len == 4;
	default:
		return false;
	}
}

/* ---- CONFIG and WEIGHTS -------------------------------------------------- */

static unsigned n_in_of(const struct hb_link_netcfg *c, unsigned k)
{
	return c->sizes[k];
}

static unsigned n_out_of(const struct hb_link_netcfg *c, unsigned k)
{
	return c->sizes[k + 1];
}

size_t hb_link_netcfg_weight_bytes(const struct hb_link_netcfg *c)
{
	size_t n = 0;
	for (unsigned k = 0; k < c->n_layers && k < HB_LINK_MAX_LAYERS; k++)
		n += (size_t)n_out_of(c, k) * n_in_of(c, k);
	return n;
}

size_t hb_link_netcfg_input_bytes(const struct hb_link_netcfg *c)
{
	return (size_t)c->sizes[0] * (c->L / 8u);
}

void hb_link_netcfg_layout(struct hb_link_netcfg *c, size_t *weight_bytes)
{
	size_t off = 0;
	for (unsigned k = 0; k < HB_LINK_MAX_LAYERS; k++) {
		if (k < c->n_layers) {
			c->w_offset[k] = (uint32_t)off;
			off += (size_t)n_out_of(c, k) * n_in_of(c, k);
		} else {
			c->w_offset[k] = 0;
		}
	}
	if (weight_bytes)
		*weight_bytes = off;
}

#define WHY(...) \
	do { \
		if (why && why_cap) \
			snprintf(why, why_cap, __VA_ARGS__); \
		return HB_ERR_RANGE; \
	} while (0)

enum hb_status hb_link_netcfg_check(const struct hb_link_netcfg *c,
				    const struct hb_link_identity *id, char *why, size_t why_cap)
{
	if (why && why_cap)
		why[0] = 0;
	if (!c)
		return HB_ERR_ARG;
	unsigned K = c->n_layers;
	if (K < 1 || K > HB_LINK_MAX_LAYERS)
		WHY("n_layers %u out of range 1..%d", K, HB_LINK_MAX_LAYERS);
	for (unsigned k = 0; k < K; k++) {
		if (n_in_of(c, k) < 1 || n_in_of(c, k) > HB_LINK_MAX_N_IN)
			WHY("layer %u: n_in %u out of range 1..%d", k, n_in_of(c, k),
			    HB_LINK_MAX_N_IN);
		if (n_out_of(c, k) < 1 || n_out_of(c, k) > HB_LINK_MAX_N_OUT)
			WHY("layer %u: n_out %u out of range 1..%d", k, n_out_of(c, k),
			    HB_LINK_MAX_N_OUT);
		if (c->layer[k].wt_seed == 0 || c->layer[k].wi_seed == 0)
			WHY("layer %u: LFSR seeds must be non-zero", k);
	}
	if (c->L < 8 || c->L % 8)
		WHY("L %u must be a positive multiple of 8 (INPUT rows are L/8 bytes)", c->L);
	for (unsigned i = 0; i < c->sizes[0]; i++)
		if ((uint16_t)(c->in_seed + (uint32_t)c->in_stride * i) == 0)
			WHY("input %u: seed in_seed + in_stride*i is 0 (malformed network)", i);
	size_t wb = hb_link_netcfg_weight_bytes(c);
	uint32_t off = 0;
	for (unsigned k = 0; k < K; k++) {
		if (c->w_offset[k] != off)
			WHY("layer %u: w_offset %u, expected %u (call hb_link_netcfg_layout)", k,
			    (unsigned)c->w_offset[k], (unsigned)off);
		off += (uint32_t)n_out_of(c, k) * n_in_of(c, k);
	}
	if (!id)
		return HB_OK;
	if (K > id->max_layers)
		WHY("%u layers, device supports %u", K, id->max_layers);
	for (unsigned k = 0; k < K; k++) {
		if (n_in_of(c, k) > id->max_n_in)
			WHY("layer %u: n_in %u over the device's max_n_in %u", k, n_in_of(c, k),
			    id->max_n_in);
		if (n_out_of(c, k) > id->max_n_out)
			WHY("layer %u: n_out %u over the device's max_n_out %u", k,
			    n_out_of(c, k), id->max_n_out);
	}
	if (c->L > id->max_L)
		WHY("L %u over the device's max_L %u", c->L, id->max_L);
	if (id->lanes == 0 || c->L % id->lanes)
		WHY("L %u is not a multiple of the device's lane count %u", c->L, id->lanes);
	if (wb > id->weight_mem_bytes)
		WHY("weights need %zu bytes, device has %u", wb, (unsigned)id->weight_mem_bytes);
	size_t ib = hb_link_netcfg_input_bytes(c);
	if (ib > id->input_mem_bytes)
		WHY("inputs need %zu bytes, device has %u", ib, (unsigned)id->input_mem_bytes);
	uint64_t hidden = 0;
	for (unsigned k = 0; k + 1 < K; k++)
		hidden += (uint64_t)n_out_of(c, k) * c->L;
	if (hidden > id->hidden_mem_bits)
		WHY("hidden spikes need %llu bits, device has %u", (unsigned long long)hidden,
		    (unsigned)id->hidden_mem_bits);
	return HB_OK;
}

enum hb_status hb_link_netcfg_pack(const struct hb_link_netcfg *c, uint8_t *out, size_t cap,
				   size_t *out_len)
{
	if (!c)
		return HB_ERR_ARG;
	NEED(cap, HB_LINK_CONFIG_BYTES);
	memset(out, 0, HB_LINK_CONFIG_BYTES);
	out[0] = c->n_layers;
	put16(out + 2, c->L);
	put16(out + 4, c->in_seed);
	put16(out + 6, c->in_stride);
	for (unsigned k = 0; k < HB_LINK_MAX_SIZES; k++)
		put16(out + 8 + 2 * k, c->sizes[k]);
	for (unsigned k = 0; k < HB_LINK_MAX_LAYERS; k++) {
		uint8_t *b = out + 32 + 32 * k;
		const struct hb_link_layer *ly = &c->layer[k];
		put16(b + 0, ly->wt_seed);
		put16(b + 2, ly->wi_seed);
		put16(b + 4, (uint16_t)ly->i_scale);
		put16(b + 6, (uint16_t)ly->v_th);
		put16(b + 8, (uint16_t)ly->v_reset);
		put16(b + 10, (uint16_t)ly->v_rest);
		put16(b + 12, (uint16_t)ly->leak);
		put16(b + 14, (uint16_t)ly->gain);
		b[16] = ly->refractory;
		put32(b + 20, c->w_offset[k]);
	}
	*out_len = HB_LINK_CONFIG_BYTES;
	return HB_OK;
}

enum hb_status hb_link_netcfg_unpack(const uint8_t *p, size_t len, struct hb_link_netcfg *c)
{
	if (!p || !c)
		return HB_ERR_ARG;
	if (len != HB_LINK_CONFIG_BYTES)
		return HB_ERR_FORMAT;
	memset(c, 0, sizeof *c);
	c->n_layers = p[0];
	c->L = get16(p + 2);
	c->in_seed = get16(p + 4);
	c->in_stride = get16(p + 6);
	for (unsigned k = 0; k < HB_LINK_MAX_SIZES; k++)
		c->sizes[k] = get16(p + 8 + 2 * k);
	for (unsigned k = 0; k < HB_LINK_MAX_LAYERS; k++) {
		const uint8_t *b = p + 32 + 32 * k;
		struct hb_link_layer *ly = &c->layer[k];
		ly->wt_seed = get16(b + 0);
		ly->wi_seed = get16(b + 2);
		ly->i_scale = (int16_t)get16(b + 4);
		ly->v_th = (int16_t)get16(b + 6);
		ly->v_reset = (int16_t)get16(b + 8);
		ly->v_rest = (int16_t)get16(b + 10);
		ly->leak = (int16_t)get16(b + 12);
		ly->gain = (int16_t)get16(b + 14);
		ly->refractory = b[16];
		c->w_offset[k] = get32(b + 20);
	}
	return HB_OK;
}

enum hb_status hb_link_weights_pack(const struct hb_link_netcfg *c,
				    const uint8_t *const weights[HB_LINK_MAX_LAYERS], uint8_t *out,
				    size_t cap, size_t *out_len)
{
	if (!c || !weights || !out || !out_len)
		return HB_ERR_ARG;
	*out_len = 0;
	if (c->n_layers > HB_LINK_MAX_LAYERS)
		return HB_ERR_RANGE;
	size_t end = 0;
	for (unsigned k = 0; k < c->n_layers; k++) {
		size_t e = (size_t)c->w_offset[k] + (size_t)n_out_of(c, k) * n_in_of(c, k);
		if (!weights[k])
			return HB_ERR_ARG;
		if (e > end)
			end = e;
	}
	if (end > cap)
		return HB_ERR_RANGE;
	memset(out, 0, end);
	for (unsigned k = 0; k < c->n_layers; k++)
		memcpy(out + c->w_offset[k], weights[k], (size_t)n_out_of(c, k) * n_in_of(c, k));
	*out_len = end;
	return HB_OK;
}
