/* libFuzzer target: the link decoder and every payload codec.
 *
 * Input: byte 0 chooses how the rest is chunked (and where the caller reports
 * an inter-byte timeout); bytes 1… are the line. Every decoded frame is
 * re-encoded (must give the same bytes), and its payload goes through every
 * payload decoder; whatever decodes is re-encoded and decoded again (must be
 * stable; exact bytes where the layout has no reserved fields). Any violation
 * traps. Build: tests/fuzz/run-fuzz.sh (clang), or the standalone replay
 * driver (gcc, test_link_fuzz_corpus). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hb_link_codec.h"

#define CHECK(x) \
	do { \
		if (!(x)) \
			__builtin_trap(); \
	} while (0)

static uint8_t enc1[HB_LINK_MAX_FRAME], enc2[HB_LINK_MAX_FRAME];

/* decode p → encode (enc1) → decode → encode (enc2): enc1 == enc2, and
 * enc1 == p when `exact`. */
#define ROUND_TRIP(T, dec, enc, exact) \
	do { \
		T a_, b_; \
		size_t n1_, n2_; \
		if (dec(p, len, &a_) == HB_OK) { \
			CHECK(enc(&a_, enc1, sizeof enc1, &n1_) == HB_OK); \
			CHECK(n1_ == len); \
			if (exact) \
				CHECK(memcmp(enc1, p, len) == 0); \
			CHECK(dec(enc1, n1_, &b_) == HB_OK); \
			CHECK(enc(&b_, enc2, sizeof enc2, &n2_) == HB_OK); \
			CHECK(n2_ == n1_ && memcmp(enc1, enc2, n1_) == 0); \
		} \
	} while (0)

static void payloads(const uint8_t *p, size_t len)
{
	ROUND_TRIP(struct hb_link_identity, hb_link_identity_decode, hb_link_identity_encode, 1);
	ROUND_TRIP(struct hb_link_load_req, hb_link_load_req_decode, hb_link_load_req_encode,
		   len <= 1024);
	ROUND_TRIP(struct hb_link_span, hb_link_span_decode, hb_link_span_encode, 1);
	ROUND_TRIP(struct hb_link_stream_req, hb_link_stream_req_decode, hb_link_stream_req_encode, 1);
	ROUND_TRIP(struct hb_link_stream_resp, hb_link_stream_resp_decode, hb_link_stream_resp_encode, 1);
	ROUND_TRIP(struct hb_link_check_resp, hb_link_check_resp_decode, hb_link_check_resp_encode, 1);
	ROUND_TRIP(struct hb_link_infer_result, hb_link_infer_result_decode,
		   hb_link_infer_result_encode, 0);
	ROUND_TRIP(struct hb_link_batch_result, hb_link_batch_result_decode,
		   hb_link_batch_result_encode, 0);
	ROUND_TRIP(struct hb_link_counters, hb_link_counters_decode, hb_link_counters_encode, 1);
	ROUND_TRIP(struct hb_link_error, hb_link_error_decode, hb_link_error_encode, 1);
	ROUND_TRIP(struct hb_link_netcfg, hb_link_netcfg_unpack, hb_link_netcfg_pack, 0);
	uint32_t v;
	if (hb_link_u32_decode(p, len, &v) == HB_OK) {
		size_t n;
		CHECK(hb_link_u32_encode(v, enc1, sizeof enc1, &n) == HB_OK);
		CHECK(n == len && memcmp(enc1, p, len) == 0);
	}
	/* The CONFIG image inside a LOAD, checked against a decoded identity. */
	struct hb_link_load_req lr;
	if (hb_link_load_req_decode(p, len, &lr) == HB_OK && lr.count == HB_LINK_CONFIG_BYTES) {
		struct hb_link_netcfg c;
		struct hb_link_identity id = {.lanes = 8, .max_layers = 4, .max_n_in = 1024,
					      .max_n_out = 256, .max_L = 4096,
					      .weight_mem_bytes = 1u << 20,
					      .input_mem_bytes = 1u << 20, .hidden_mem_bits = 1u << 20};
		char why[160];
		CHECK(hb_link_netcfg_unpack(lr.data, lr.count, &c) == HB_OK);
		(void)hb_link_netcfg_check(&c, &id, why, sizeof why);
		(void)hb_link_netcfg_weight_bytes(&c);
	}
}

static void on_event(const struct hb_link_event *ev)
{
	if (ev->kind != HB_LINK_EV_FRAME)
		return;
	size_t n;
	CHECK(ev->len <= HB_LINK_MAX_PAYLOAD);
	CHECK(ev->frame_len == (size_t)ev->len + HB_LINK_OVERHEAD);
	static uint8_t copy[HB_LINK_MAX_FRAME];
	memcpy(copy, ev->frame, ev->frame_len);
	CHECK(hb_link_frame_encode(ev->type, ev->seq, ev->payload, ev->len, enc1, sizeof enc1, &n) ==
	      HB_OK);
	CHECK(n == ev->frame_len && memcmp(enc1, copy, n) == 0);
	(void)hb_link_type_name(ev->type);
	(void)hb_link_request_len_ok(ev->type, ev->len);
	payloads(copy + HB_LINK_HDR_LEN, ev->len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t mode = data[0];
	data++, size--;
	/* Copy to an exact-size heap buffer so ASan catches any over-read. */
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);

	struct hb_link_decoder d;
	hb_link_decoder_init(&d, (mode & 0x40) ? 1 + (mode & 0x3F) * 16 : 0);
	uint32_t rng = mode * 2654435761u + 1;
	size_t off = 0;
	while (off < size) {
		size_t chunk;
		switch (mode & 3) {
		case 0: chunk = size - off; break;
		case 1: chunk = 1; break;
		default:
			rng = rng * 1103515245u + 12345u;
			chunk = 1 + (rng >> 16) % 64;
			break;
		}
		if (chunk > size - off)
			chunk = size - off;
		size_t in = 0;
		for (;;) {
			size_t used;
			struct hb_link_event ev;
			hb_link_decoder_feed(&d, buf + off + in, chunk - in, &used, &ev);
			CHECK(used <= chunk - in);
			in += used;
			if (ev.kind == HB_LINK_EV_NONE)
				break;
			on_event(&ev);
		}
		CHECK(in == chunk);
		off += chunk;
		if ((mode & 0x80) && ((rng >> 8) & 7) == 0) {
			struct hb_link_event ev;
			if (hb_link_decoder_timeout(&d, &ev))
				CHECK(ev.kind == HB_LINK_EV_TIMEOUT || ev.kind == HB_LINK_EV_BAD_HCRC);
		}
	}
	struct hb_link_event ev;
	(void)hb_link_decoder_timeout(&d, &ev);
	CHECK(!hb_link_decoder_in_frame(&d) || ev.kind != HB_LINK_EV_NONE);
	free(buf);
	return 0;
}
