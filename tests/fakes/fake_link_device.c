/* A fake gateware speaking link protocol v1. See fake_link_device.h. */
#include "fake_link_device.h"

#include <stdlib.h>
#include <string.h>

#include "hb_clock.h"

#define NEVER UINT64_MAX
#define DEVICE_IBT_NS 10000000ull /* the device's inter-byte timeout: clock_hz / 100 = 10 ms */

/* ---- the line model (fake_link_line_on) ---------------------------------- */

struct lbyte {
	uint8_t b;
	uint64_t t; /* arrival time at the far end */
};

struct lqueue {
	struct lbyte *v;
	size_t head, n, cap;
};

struct fake_link_line {
	struct fake_link_line_cfg cfg;
	struct fake_link_line_stats st;
	uint64_t byte_ns;
	uint64_t rng;
	struct lqueue h2d, d2h;
	uint64_t h2d_free, d2h_free; /* each wire is busy until then */
	uint64_t dev_now;            /* the device's time while it handles an event */
	uint64_t last_rx;            /* arrival of the device's last received byte */
	uint64_t d2h_ready;          /* earliest start of the frame being queued */
	uint64_t busy_until;         /* an INFER/BATCH computes until then */
};

static void lq_push(struct lqueue *q, uint8_t b, uint64_t t)
{
	if (q->head + q->n == q->cap) {
		if (q->head) {
			memmove(q->v, q->v + q->head, q->n * sizeof *q->v);
			q->head = 0;
		} else {
			size_t nc = q->cap ? 2 * q->cap : 4096;
			struct lbyte *nv = realloc(q->v, nc * sizeof *nv);
			if (!nv)
				return; /* the fake loses the byte */
			q->v = nv;
			q->cap = nc;
		}
	}
	q->v[q->head + q->n++] = (struct lbyte){b, t};
}

static const struct lbyte *lq_front(const struct lqueue *q)
{
	return q->n ? &q->v[q->head] : NULL;
}

static void lq_pop(struct lqueue *q)
{
	q->head++;
	if (--q->n == 0)
		q->head = 0;
}

static double rnd01(struct fake_link_line *L)
{
	/* xorshift64* */
	L->rng ^= L->rng >> 12;
	L->rng ^= L->rng << 25;
	L->rng ^= L->rng >> 27;
	return (double)((L->rng * 0x2545F4914F6CDD1Dull) >> 11) / 9007199254740992.0;
}

/* Put one byte on a wire starting at *free (>= at): faults, then 0, 1 or 2 arrivals. */
static void wire_byte(struct fake_link_line *L, struct lqueue *q, uint64_t *free, uint8_t b,
		      double ber, double drop, double dup)
{
	int dropped = 0;
	if (ber > 0) {
		for (int k = 0; k < 10; k++) {
			if (rnd01(L) >= ber)
				continue;
			L->st.bits_flipped++;
			if (k == 0) {
				b = (uint8_t)(rnd01(L) * 256); /* start bit: the receiver syncs wrongly */
				L->st.bytes_garbled++;
			} else if (k == 9) {
				dropped = 1; /* stop bit low: hb_uart_rx drops the byte */
			} else {
				b ^= (uint8_t)(1u << (k - 1));
			}
		}
	}
	if (!dropped && drop > 0 && rnd01(L) < drop)
		dropped = 1;
	*free += L->byte_ns;
	if (dropped) {
		L->st.bytes_dropped++;
		return;
	}
	lq_push(q, b, *free + L->cfg.latency_ns);
	if (dup > 0 && rnd01(L) < dup) {
		L->st.bytes_duped++;
		*free += L->byte_ns;
		lq_push(q, b, *free + L->cfg.latency_ns);
	}
}

static struct fake_link_device *dev_of(struct hb_transport *t)
{
	return t->priv;
}

/* The device's "now": its event time on a line, else the clock. */
static uint64_t dev_now_ns(struct fake_link_device *d)
{
	return d->line ? d->line->dev_now : hb_now_ns();
}

static uint64_t cycles_now(struct fake_link_device *d)
{
	uint64_t ns = dev_now_ns(d);
	/* 48-bit free-running counter */
	return (uint64_t)((unsigned __int128)ns * d->id.clock_hz / 1000000000u) & 0xFFFFFFFFFFFFull;
}

static void queue(struct fake_link_device *d, const uint8_t *p, size_t n)
{
	if (d->line) {
		/* The transmitter sends frames in the order they are ready: a frame ready now
		 * (an ERROR(BUSY)) goes before one scheduled for later (a result still being
		 * computed), which then moves back by the time the earlier one takes. */
		struct fake_link_line *L = d->line;
		struct lqueue *q = &L->d2h;
		uint64_t R = L->d2h_ready, pre = L->cfg.latency_ns + L->byte_ns;
		size_t k = q->n;
		while (k > 0 && q->v[q->head + k - 1].t - pre >= R)
			k--;
		size_t later = q->n - k;
		struct lbyte *tmp = later ? malloc(later * sizeof *tmp) : NULL;
		if (later && !tmp)
			later = 0, k = q->n;
		if (later) {
			memcpy(tmp, q->v + q->head + k, later * sizeof *tmp);
			q->n = k;
			L->d2h_free = k ? q->v[q->head + k - 1].t - L->cfg.latency_ns : R;
		}
		uint64_t at = R > L->d2h_free ? R : L->d2h_free;
		L->d2h_free = at;
		for (size_t i = 0; i < n; i++) {
			L->st.bytes_d2h++;
			wire_byte(L, q, &L->d2h_free, p[i], L->cfg.ber_d2h, L->cfg.drop_d2h,
				  L->cfg.dup_d2h);
		}
		if (later) {
			uint64_t start = tmp[0].t - pre;
			uint64_t shift = L->d2h_free > start ? L->d2h_free - start : 0;
			for (size_t i = 0; i < later; i++)
				lq_push(q, tmp[i].b, tmp[i].t + shift);
			L->d2h_free = tmp[later - 1].t + shift - L->cfg.latency_ns;
			free(tmp);
		}
		return;
	}
	if (d->out_pos == d->out_n)
		d->out_pos = d->out_n = 0;
	if (n > sizeof d->out - d->out_n)
		n = sizeof d->out - d->out_n; /* overflow: the fake drops bytes */
	memcpy(d->out + d->out_n, p, n);
	d->out_n += n;
}

static void send_frame(struct fake_link_device *d, uint8_t type, uint8_t seq, const uint8_t *pl,
		       size_t len, uint64_t compute_cycles)
{
	uint8_t f[HB_LINK_MAX_FRAME];
	size_t n;
	if (hb_link_frame_encode(type, seq, pl, len, f, sizeof f, &n) != HB_OK)
		return;
	uint64_t ready = dev_now_ns(d);
	if (compute_cycles && d->id.clock_hz)
		ready += (uint64_t)((unsigned __int128)compute_cycles * 1000000000u / d->id.clock_hz);
	if (d->line) {
		d->line->d2h_ready = ready;
		if (compute_cycles)
			d->line->busy_until = ready;
	}
	else if (ready > d->ready_at_ns || d->out_pos == d->out_n)
		d->ready_at_ns = ready;
	if (d->drop_responses) {
		d->drop_responses--;
		return;
	}
	if (d->duplicate_stale) {
		uint8_t g[HB_LINK_MAX_FRAME];
		size_t gn;
		d->duplicate_stale = false;
		if (hb_link_frame_encode(type, (uint8_t)(seq - 1), pl, len, g, sizeof g, &gn) == HB_OK)
			queue(d, g, gn);
	}
	if (d->garbage_before) {
		for (unsigned i = 0; i < d->garbage_before; i++) {
			uint8_t b = (uint8_t)(i == d->garbage_before / 2 ? HB_LINK_SOF : 0x11 * (i + 1));
			queue(d, &b, 1);
		}
		d->garbage_before = 0;
	}
	if (d->corrupt_response_at >= 0 && (size_t)d->corrupt_response_at < n) {
		f[d->corrupt_response_at] ^= 1;
		d->corrupt_response_at = -1;
	}
	if (d->truncate_response) {
		n /= 2;
		d->truncate_response = false;
	}
	queue(d, f, n);
}

static void send_error(struct fake_link_device *d, uint8_t seq, uint8_t reason, uint8_t req_type)
{
	uint8_t p[2] = {reason, req_type};
	if (reason < 16)
		d->errors_sent[reason]++;
	if (reason >= HB_LINK_R_UNKNOWN_TYPE)
		d->counters.frames_rejected++;
	send_frame(d, HB_LINK_ERROR, seq, p, 2, 0);
}

static size_t region_size(struct fake_link_device *d, uint8_t region)
{
	switch (region) {
	case HB_LINK_REGION_CONFIG: return HB_LINK_CONFIG_BYTES;
	case HB_LINK_REGION_WEIGHTS: return d->id.weight_mem_bytes;
	case HB_LINK_REGION_INPUT: return d->id.input_mem_bytes;
	default: return 0;
	}
}

static uint8_t *region_mem(struct fake_link_device *d, uint8_t region)
{
	switch (region) {
	case HB_LINK_REGION_CONFIG: return d->config;
	case HB_LINK_REGION_WEIGHTS: return d->weights;
	default: return d->input;
	}
}

static uint64_t busy_per(struct fake_link_device *d)
{
	if (d->busy_cycles_per_inference)
		return d->busy_cycles_per_inference;
	uint64_t c = 0;
	for (unsigned k = 0; k < d->cfg.n_layers; k++)
		c += (uint64_t)d->cfg.sizes[k + 1] * d->cfg.sizes[k] * (d->cfg.L / d->id.lanes);
	return c;
}

static void infer_once(struct fake_link_device *d, struct hb_link_infer_result *r)
{
	unsigned K = d->cfg.n_layers, n_out = d->cfg.sizes[K], n_in_last = d->cfg.sizes[K - 1];
	size_t ib = hb_link_netcfg_input_bytes(&d->cfg);
	memset(r, 0, sizeof *r);
	r->n_out = (uint16_t)n_out;
	for (size_t i = 0; i < ib; i++)
		r->counts[i % n_out] += (uint16_t)__builtin_popcount(d->input[i]);
	for (unsigned j = 0; j < n_out; j++)
		r->counts[j] += d->weights[d->cfg.w_offset[K - 1] + (size_t)j * n_in_last] & 0x7F;
	for (unsigned j = 1; j < n_out; j++)
		if (r->counts[j] > r->counts[r->class_id])
			r->class_id = (uint8_t)j;
	r->t_start = cycles_now(d);
	r->busy_cycles = (uint32_t)busy_per(d);
	r->t_done = r->t_start + r->busy_cycles;
	d->counters.inferences++;
	d->counters.busy_cycles += r->busy_cycles;
}

static void handle(struct fake_link_device *d, uint8_t type, uint8_t seq, const uint8_t *p, size_t len)
{
	uint8_t out[HB_LINK_MAX_PAYLOAD];
	size_t n = 0;
	const uint8_t rt = (uint8_t)(type | HB_LINK_RESPONSE_BIT);

	d->last_seq = seq;
	d->requests[type]++;
	/* on a line, like the gateware: a request while an inference computes gets BUSY */
	if (d->line && d->line->busy_until > d->line->dev_now && hb_link_request_len_ok(type, len)) {
		send_error(d, seq, HB_LINK_R_BUSY, type);
		return;
	}
	if (d->force_error) {
		uint8_t r = d->force_error;
		d->force_error = 0;
		send_error(d, seq, r, type);
		return;
	}
	if (!hb_link_request_len_ok(type, len) && hb_link_type_name(type)[0] == 'U') {
		send_error(d, seq, HB_LINK_R_UNKNOWN_TYPE, type); /* the header was intact (§2) */
		return;
	}
	if (!hb_link_request_len_ok(type, len)) {
		send_error(d, seq, HB_LINK_R_BAD_LENGTH, type);
		return;
	}
	if (d->busy_answers) {
		d->busy_answers--;
		send_error(d, seq, HB_LINK_R_BUSY, type);
		return;
	}
	d->counters.frames_ok++;
	switch (type) {
	case HB_LINK_IDENTIFY: {
		struct hb_link_identity id = d->id;
		id.configured = d->configured;
		memset(id.sizes, 0, sizeof id.sizes);
		id.n_layers = d->configured ? d->cfg.n_layers : 0;
		id.L = d->configured ? d->cfg.L : 0;
		if (d->configured)
			memcpy(id.sizes, d->cfg.sizes, sizeof id.sizes);
		hb_link_identity_encode(&id, out, sizeof out, &n);
		break;
	}
	case HB_LINK_LOAD: {
		struct hb_link_load_req r;
		hb_link_load_req_decode(p, len, &r);
		if (r.region > HB_LINK_REGION_WEIGHTS ||
		    (uint64_t)r.offset + r.count > region_size(d, r.region)) {
			send_error(d, seq, HB_LINK_R_BAD_ARG, type);
			return;
		}
		memcpy(region_mem(d, r.region) + r.offset, r.data, r.count);
		if (r.region == HB_LINK_REGION_CONFIG) {
			hb_link_netcfg_unpack(d->config, sizeof d->config, &d->cfg);
			d->configured = hb_link_netcfg_check(&d->cfg, &d->id, NULL, 0) == HB_OK;
			if (!d->configured) {
				send_error(d, seq, HB_LINK_R_BAD_ARG, type);
				return;
			}
		}
		struct hb_link_span s = {r.region, r.offset, (uint16_t)r.count};
		hb_link_span_encode(&s, out, sizeof out, &n);
		break;
	}
	case HB_LINK_READ: {
		struct hb_link_span s;
		hb_link_span_decode(p, len, &s);
		if (!(d->id.capabilities & HB_LINK_CAP_READ)) {
			send_error(d, seq, HB_LINK_R_UNKNOWN_TYPE, type);
			return;
		}
		if (s.region > HB_LINK_REGION_INPUT || s.count < 1 || s.count > HB_LINK_MAX_PAYLOAD ||
		    (uint64_t)s.offset + s.count > region_size(d, s.region)) {
			send_error(d, seq, HB_LINK_R_BAD_ARG, type);
			return;
		}
		memcpy(out, region_mem(d, s.region) + s.offset, s.count);
		if (s.region == HB_LINK_REGION_WEIGHTS && d->stuck_weight_offset >= 0 &&
		    (uint32_t)d->stuck_weight_offset >= s.offset &&
		    (uint32_t)d->stuck_weight_offset < s.offset + s.count)
			out[d->stuck_weight_offset - s.offset] ^= 1;
		n = s.count;
		break;
	}
	case HB_LINK_CHECK: {
		struct hb_link_span s;
		hb_link_span_decode(p, len, &s);
		if (!(d->id.capabilities & HB_LINK_CAP_CHECK)) {
			send_error(d, seq, HB_LINK_R_UNKNOWN_TYPE, type);
			return;
		}
		if (s.region > HB_LINK_REGION_INPUT || s.count < 1 ||
		    (uint64_t)s.offset + s.count > region_size(d, s.region)) {
			send_error(d, seq, HB_LINK_R_BAD_ARG, type);
			return;
		}
		struct hb_link_check_resp c = {s, hb_link_crc16(0xFFFF, region_mem(d, s.region) + s.offset,
								 s.count)};
		if (s.region == HB_LINK_REGION_WEIGHTS && d->stuck_weight_offset >= 0 &&
		    (uint32_t)d->stuck_weight_offset >= s.offset &&
		    (uint32_t)d->stuck_weight_offset < s.offset + s.count)
			c.crc ^= 0x0101; /* the stuck bit reads wrong here too */
		hb_link_check_resp_encode(&c, out, sizeof out, &n);
		/* the gateware reads one byte per 3 cycles before it answers */
		send_frame(d, rt, seq, out, n, 3ull * s.count);
		return;
	}
	case HB_LINK_STREAM: {
		struct hb_link_stream_req r;
		hb_link_stream_req_decode(p, len, &r);
		if ((uint64_t)r.offset + r.count > d->id.input_mem_bytes) {
			send_error(d, seq, HB_LINK_R_BAD_ARG, type);
			return;
		}
		memcpy(d->input + r.offset, r.data, r.count);
		struct hb_link_stream_resp s = {r.offset, (uint16_t)r.count, cycles_now(d)};
		hb_link_stream_resp_encode(&s, out, sizeof out, &n);
		break;
	}
	case HB_LINK_INFER: {
		if (!d->configured) {
			send_error(d, seq, HB_LINK_R_NOT_CONFIGURED, type);
			return;
		}
		struct hb_link_infer_result r;
		infer_once(d, &r);
		hb_link_u32_decode(p, len, &r.sample_id);
		hb_link_infer_result_encode(&r, out, sizeof out, &n);
		send_frame(d, rt, seq, out, n, r.busy_cycles);
		return;
	}
	case HB_LINK_BATCH: {
		uint32_t cnt;
		hb_link_u32_decode(p, len, &cnt);
		if (!(d->id.capabilities & HB_LINK_CAP_BATCH)) {
			send_error(d, seq, HB_LINK_R_UNKNOWN_TYPE, type);
			return;
		}
		if (!d->configured) {
			send_error(d, seq, HB_LINK_R_NOT_CONFIGURED, type);
			return;
		}
		if (cnt < 1) {
			send_error(d, seq, HB_LINK_R_BAD_ARG, type);
			return;
		}
		struct hb_link_infer_result r;
		struct hb_link_batch_result b = {.n = cnt};
		infer_once(d, &r);
		b.t_first_start = r.t_start;
		d->counters.inferences += cnt - 1;
		d->counters.busy_cycles += (uint64_t)(cnt - 1) * r.busy_cycles;
		b.busy_cycles = (uint64_t)cnt * r.busy_cycles;
		b.t_last_done = r.t_start + b.busy_cycles;
		b.class_id = r.class_id;
		b.n_out = r.n_out;
		memcpy(b.counts, r.counts, sizeof b.counts);
		hb_link_batch_result_encode(&b, out, sizeof out, &n);
		send_frame(d, rt, seq, out, n, b.busy_cycles);
		return;
	}
	case HB_LINK_COUNTERS: {
		struct hb_link_counters c = d->counters;
		c.cycle_now = cycles_now(d);
		c.garbage_bytes = (uint32_t)(d->dec.stats.garbage_bytes - d->garbage_base);
		hb_link_counters_encode(&c, out, sizeof out, &n);
		break;
	}
	case HB_LINK_RESET:
		memset(&d->counters, 0, sizeof d->counters);
		d->garbage_base = d->dec.stats.garbage_bytes;
		break;
	}
	send_frame(d, rt, seq, out, n, 0);
}

/* Like the gateware, which writes LOAD/STREAM data bytes as they arrive: a frame whose CRC
 * failed, or that was cut off, has written what it carried at the offsets its arguments (as
 * received, maybe damaged) named, if they were in range (docs/gateware.md). */
static void partial_write(struct fake_link_device *d, const struct hb_link_event *ev, size_t avail)
{
	size_t argn = ev->type == HB_LINK_LOAD ? 5 : ev->type == HB_LINK_STREAM ? 4 : 0;
	const uint8_t *p = ev->payload;
	if (!p || !argn || !ev->have_header || ev->len <= argn)
		return;
	if (avail > ev->len)
		avail = ev->len;
	if (avail <= argn)
		return;
	uint8_t region = ev->type == HB_LINK_LOAD ? p[0] : HB_LINK_REGION_INPUT;
	const uint8_t *o = ev->type == HB_LINK_LOAD ? p + 1 : p;
	uint32_t off = (uint32_t)o[0] | (uint32_t)o[1] << 8 | (uint32_t)o[2] << 16 | (uint32_t)o[3] << 24;
	size_t count = ev->len - argn;
	if (ev->type == HB_LINK_LOAD && region > HB_LINK_REGION_WEIGHTS)
		return;
	if ((uint64_t)off + count > region_size(d, region))
		return;
	memcpy(region_mem(d, region) + off, p + argn, avail - argn);
	if (region == HB_LINK_REGION_CONFIG)
		d->configured = false; /* any CONFIG byte write clears the engine's cfg_valid */
	d->partial_writes++;
}

static void on_event(struct fake_link_device *d, const struct hb_link_event *ev)
{
	switch (ev->kind) {
	case HB_LINK_EV_FRAME:
		handle(d, ev->type, ev->seq, ev->payload, ev->len);
		break;
	case HB_LINK_EV_BAD_HCRC:
		d->counters.frames_bad_hcrc++;
		send_error(d, ev->seq, HB_LINK_R_BAD_HCRC, 0);
		break;
	/* The request type is known once the header passed its CRC (protocol §4.5). */
	case HB_LINK_EV_OVERSIZE:
		d->counters.frames_oversize++;
		send_error(d, ev->seq, HB_LINK_R_OVERSIZE, ev->type);
		break;
	case HB_LINK_EV_BAD_CRC:
		d->counters.frames_bad_crc++;
		partial_write(d, ev, ev->len);
		send_error(d, ev->seq, HB_LINK_R_BAD_CRC, ev->type);
		break;
	case HB_LINK_EV_TIMEOUT:
		d->counters.frames_timeout++;
		if (ev->have_header && ev->received > HB_LINK_HDR_LEN)
			partial_write(d, ev, ev->received - HB_LINK_HDR_LEN);
		send_error(d, ev->seq, HB_LINK_R_TIMEOUT, ev->have_header ? ev->type : 0);
		break;
	default:
		break;
	}
}

static enum hb_status fd_open(struct hb_transport *t, const char *target, const char *params,
			      unsigned baud)
{
	(void)t, (void)target, (void)params, (void)baud;
	return HB_OK;
}

static void fd_close(struct hb_transport *t)
{
	(void)t;
}

/* The device up to time T: the bytes that have arrived by then, in order, and its
 * inter-byte timeout between them. */
static void line_advance(struct fake_link_device *d, uint64_t T)
{
	struct fake_link_line *L = d->line;
	for (;;) {
		const struct lbyte *f = lq_front(&L->h2d);
		uint64_t tb = f ? f->t : NEVER;
		uint64_t tt = hb_link_decoder_in_frame(&d->dec) ? L->last_rx + DEVICE_IBT_NS : NEVER;
		struct hb_link_event ev;
		if (tt <= T && tt < tb) {
			L->dev_now = tt;
			if (hb_link_decoder_timeout(&d->dec, &ev))
				on_event(d, &ev);
			else
				L->last_rx = tt; /* nothing was pending after all */
			continue;
		}
		if (tb > T)
			break;
		uint8_t b = f->b;
		L->dev_now = L->last_rx = tb;
		lq_pop(&L->h2d);
		size_t off = 0;
		for (;;) {
			size_t used;
			hb_link_decoder_feed(&d->dec, &b + off, 1 - off, &used, &ev);
			off += used;
			if (ev.kind == HB_LINK_EV_NONE)
				break;
			on_event(d, &ev);
		}
	}
	if (L->dev_now < T)
		L->dev_now = T;
}

static enum hb_status line_read(struct fake_link_device *d, uint8_t *buf, size_t cap, size_t *got,
				int timeout_ms)
{
	struct fake_link_line *L = d->line;
	uint64_t now = hb_now_ns();
	uint64_t deadline = now + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000u;
	for (;;) {
		line_advance(d, now);
		const struct lbyte *f = lq_front(&L->d2h);
		if (f && f->t <= now) {
			while (*got < cap && (f = lq_front(&L->d2h)) && f->t <= now) {
				buf[(*got)++] = f->b;
				lq_pop(&L->d2h);
			}
			return HB_OK;
		}
		/* the next moment anything can happen: a byte reaches either end, or the
		 * device's inter-byte timeout */
		uint64_t nxt = f ? f->t : NEVER;
		const struct lbyte *h = lq_front(&L->h2d);
		if (h && h->t < nxt)
			nxt = h->t;
		if (hb_link_decoder_in_frame(&d->dec) && L->last_rx + DEVICE_IBT_NS < nxt)
			nxt = L->last_rx + DEVICE_IBT_NS;
		if (nxt > deadline) {
			if (deadline > now)
				hb_sleep_ns(deadline - now);
			line_advance(d, deadline);
			return HB_ERR_TIMEOUT;
		}
		if (nxt > now)
			hb_sleep_ns(nxt - now);
		now = nxt > now ? nxt : now;
	}
}

static enum hb_status fd_read(struct hb_transport *t, void *buf, size_t cap, size_t *got,
			      int timeout_ms)
{
	struct fake_link_device *d = dev_of(t);
	*got = 0;
	if (d->line)
		return line_read(d, buf, cap, got, timeout_ms);
	uint64_t now = hb_now_ns();
	uint64_t until = now + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000u;
	if (d->out_pos == d->out_n || d->ready_at_ns > until) {
		/* Nothing arrives within the timeout: let virtual time pass. */
		hb_sleep_ns(until - now);
		if (hb_link_decoder_in_frame(&d->dec)) {
			/* the device's 10 ms inter-byte timeout has long expired */
			struct hb_link_event ev;
			if (hb_link_decoder_timeout(&d->dec, &ev))
				on_event(d, &ev);
		}
		return HB_ERR_TIMEOUT;
	}
	if (d->ready_at_ns > now)
		hb_sleep_ns(d->ready_at_ns - now);
	size_t n = d->out_n - d->out_pos;
	if (n > cap)
		n = cap;
	memcpy(buf, d->out + d->out_pos, n);
	d->out_pos += n;
	*got = n;
	return HB_OK;
}

static enum hb_status fd_write(struct hb_transport *t, const void *buf, size_t len, int timeout_ms)
{
	struct fake_link_device *d = dev_of(t);
	(void)timeout_ms;
	uint8_t tmp[HB_LINK_MAX_FRAME * 2];
	const uint8_t *p = buf;
	if (d->corrupt_request_at >= 0 && (size_t)d->corrupt_request_at < len && len <= sizeof tmp) {
		memcpy(tmp, buf, len);
		tmp[d->corrupt_request_at] ^= 1;
		d->corrupt_request_at = -1;
		p = tmp;
	}
	d->bytes_from_host += len;
	if (d->line) {
		/* the UART sends the bytes one after the other from now (or when the wire is free) */
		struct fake_link_line *L = d->line;
		uint64_t now = hb_now_ns();
		line_advance(d, now);
		if (L->h2d_free < now)
			L->h2d_free = now;
		for (size_t i = 0; i < len; i++) {
			L->st.bytes_h2d++;
			wire_byte(L, &L->h2d, &L->h2d_free, p[i], L->cfg.ber_h2d, L->cfg.drop_h2d,
				  L->cfg.dup_h2d);
		}
		return HB_OK;
	}
	size_t off = 0;
	for (;;) {
		size_t used;
		struct hb_link_event ev;
		hb_link_decoder_feed(&d->dec, p + off, len - off, &used, &ev);
		off += used;
		if (ev.kind == HB_LINK_EV_NONE)
			break;
		on_event(d, &ev);
	}
	return HB_OK;
}

static enum hb_status fd_flush(struct hb_transport *t)
{
	struct fake_link_device *d = dev_of(t);
	if (d->line) {
		uint64_t now = hb_now_ns();
		line_advance(d, now);
		const struct lbyte *f;
		while ((f = lq_front(&d->line->d2h)) && f->t <= now)
			lq_pop(&d->line->d2h);
		return HB_OK;
	}
	/* Only what has "arrived" is discarded; a response still in flight
	 * (ready in the future) survives a flush, as on a real line. */
	if (d->ready_at_ns <= hb_now_ns())
		d->out_pos = d->out_n = 0;
	return HB_OK;
}

static enum hb_status fd_set_baud(struct hb_transport *t, unsigned baud)
{
	t->baud = baud;
	return HB_OK;
}

static const struct hb_transport_ops fake_link_ops = {
	.scheme = "fakelink",
	.description = "fake link-protocol device (tests)",
	.open = fd_open,
	.close = fd_close,
	.read = fd_read,
	.write = fd_write,
	.flush = fd_flush,
	.set_baud = fd_set_baud,
};

struct fake_link_device *fake_link_device_new(void)
{
	struct fake_link_device *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	d->transport.ops = &fake_link_ops;
	d->transport.priv = d;
	d->transport.baud = 3000000;
	strcpy(d->transport.uri, "fakelink:");
	d->id = (struct hb_link_identity){
		.proto_version = 1,
		.family = 0,
		.lanes = 8,
		.build_hash = 0xC0DEC0DE,
		.clock_hz = 12000000,
		.counter_bits = 48,
		.max_layers = 4,
		.max_payload = HB_LINK_MAX_PAYLOAD,
		.max_n_in = 1024,
		.max_n_out = 256,
		.max_L = 1024,
		.capabilities = HB_LINK_CAP_BATCH | HB_LINK_CAP_READ,
		.weight_mem_bytes = FAKE_LINK_WMEM,
		.input_mem_bytes = FAKE_LINK_IMEM,
		.hidden_mem_bits = 65536,
	};
	hb_link_decoder_init(&d->dec, HB_LINK_MAX_PAYLOAD);
	d->corrupt_response_at = -1;
	d->corrupt_request_at = -1;
	d->stuck_weight_offset = -1;
	return d;
}

void fake_link_device_free(struct fake_link_device *d)
{
	if (d && d->line) {
		free(d->line->h2d.v);
		free(d->line->d2h.v);
		free(d->line);
	}
	free(d);
}

size_t fake_link_device_pending(const struct fake_link_device *d)
{
	if (d->line)
		return d->line->d2h.n;
	return d->out_n - d->out_pos;
}

void fake_link_line_on(struct fake_link_device *d, const struct fake_link_line_cfg *cfg)
{
	if (!d->line)
		d->line = calloc(1, sizeof *d->line);
	if (!d->line)
		return;
	struct fake_link_line *L = d->line;
	L->cfg = *cfg;
	if (!L->cfg.baud)
		L->cfg.baud = 3000000;
	L->byte_ns = (10ull * 1000000000ull + L->cfg.baud - 1) / L->cfg.baud;
	L->rng = cfg->seed ? cfg->seed : 1;
	L->dev_now = hb_now_ns();
	d->transport.baud = L->cfg.baud;
}

void fake_link_line_faults(struct fake_link_device *d, double ber_h2d, double ber_d2h,
			   double drop_h2d, double dup_h2d)
{
	if (!d->line)
		return;
	d->line->cfg.ber_h2d = ber_h2d;
	d->line->cfg.ber_d2h = ber_d2h;
	d->line->cfg.drop_h2d = drop_h2d;
	d->line->cfg.dup_h2d = dup_h2d;
}

const struct fake_link_line_stats *fake_link_line_stats(const struct fake_link_device *d)
{
	return d->line ? &d->line->st : NULL;
}
