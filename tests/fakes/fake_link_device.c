/* A fake gateware speaking link protocol v1. See fake_link_device.h. */
#include "fake_link_device.h"

#include <stdlib.h>
#include <string.h>

#include "hb_clock.h"

static struct fake_link_device *dev_of(struct hb_transport *t)
{
	return t->priv;
}

static uint64_t cycles_now(struct fake_link_device *d)
{
	uint64_t ns = hb_now_ns();
	/* 48-bit free-running counter */
	return (uint64_t)((unsigned __int128)ns * d->id.clock_hz / 1000000000u) & 0xFFFFFFFFFFFFull;
}

static void queue(struct fake_link_device *d, const uint8_t *p, size_t n)
{
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
	uint64_t ready = hb_now_ns();
	if (compute_cycles && d->id.clock_hz)
		ready += (uint64_t)((unsigned __int128)compute_cycles * 1000000000u / d->id.clock_hz);
	if (ready > d->ready_at_ns || d->out_pos == d->out_n)
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
	if (d->force_error) {
		uint8_t r = d->force_error;
		d->force_error = 0;
		send_error(d, seq, r, type);
		return;
	}
	if (!hb_link_request_len_ok(type, len) && hb_link_type_name(type)[0] == 'U') {
		send_error(d, seq, HB_LINK_R_UNKNOWN_TYPE, 0);
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
		send_error(d, ev->seq, HB_LINK_R_BAD_CRC, ev->type);
		break;
	case HB_LINK_EV_TIMEOUT:
		d->counters.frames_timeout++;
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

static enum hb_status fd_read(struct hb_transport *t, void *buf, size_t cap, size_t *got,
			      int timeout_ms)
{
	struct fake_link_device *d = dev_of(t);
	*got = 0;
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
	free(d);
}

size_t fake_link_device_pending(const struct fake_link_device *d)
{
	return d->out_n - d->out_pos;
}
