/* Link protocol v1 codec: CRC check values, spec frame vectors written out byte
 * by byte, the receiver rules of docs/protocol.md §2, payload layouts. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "hb_link_codec.h"

/* ---- CRCs ---------------------------------------------------------------- */

Test(crc, check_values_of_123456789)
{
	cr_assert_eq(hb_link_crc8(0, "123456789", 9), 0xF4);
	cr_assert_eq(hb_link_crc16(0xFFFF, "123456789", 9), 0x29B1);
}

Test(crc, every_table_entry_equals_the_bitwise_definition)
{
	for (unsigned b = 0; b < 256; b++) {
		uint8_t byte = (uint8_t)b;
		/* with a zero register, one byte's CRC is exactly its table entry */
		cr_assert_eq(hb_link_crc16(0, &byte, 1), hb_link_crc16_table_entry(byte), "entry %u", b);
	}
}

Test(crc, sliced_loop_equals_the_byte_loop_at_every_length_and_alignment)
{
	uint8_t buf[300];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (uint8_t)(i * 167u + 13u);
	for (size_t off = 0; off < 9; off++)
		for (size_t len = 0; len + off <= sizeof buf; len += 7)
			cr_assert_eq(hb_link_crc16(0x1D0F, buf + off, len),
				     hb_link_crc16_bytewise(0x1D0F, buf + off, len), "off %zu len %zu", off, len);
}

Test(crc, incremental_equals_one_shot)
{
	uint8_t c8 = hb_link_crc8(hb_link_crc8(0, "1234", 4), "56789", 5);
	uint16_t c16 = hb_link_crc16(hb_link_crc16(0xFFFF, "12345", 5), "6789", 4);
	cr_assert_eq(c8, 0xF4);
	cr_assert_eq(c16, 0x29B1);
}

/* ---- spec frame vectors -------------------------------------------------- */
/* Worked by hand (and cross-checked with an independent bitwise script):
 *
 * IDENTIFY request, seq 0:  A5 | 01 00 00 00 | hcrc | crc lo hi
 *   CRC-8 (poly 07, init 00) over 01 00 00 00:
 *     01 -> 0x01, eight shifts: 02 04 08 10 20 40 80 -> (80<<1)^07 = 07
 *     00 -> 07: 0E 1C 38 70 E0 C7 89 15           -> 15
 *     00 -> 15: 2A 54 A8 57 AE 5B B6 6B           -> 6B
 *     00 -> 6B: D6 AB 51 A2 43 86 0B 16           -> hcrc = 16
 *   CRC-16/CCITT-FALSE over 01 00 00 00, after each byte:
 *     F1D1, 2E3E, FBAC, F274                        -> crc = F274, sent 74 F2 */
static const uint8_t v_identify_req[] = {0xA5, 0x01, 0x00, 0x00, 0x00, 0x16, 0x74, 0xF2};
/* RESET response, seq 0x2A: type 0x88, empty payload.
 *   CRC-8 over 88 2A 00 00: B1, C8, 76, 45 -> 45
 *   CRC-16: F170, 0A16, B74A, 9D3C          -> 3C 9D */
static const uint8_t v_reset_resp[] = {0xA5, 0x88, 0x2A, 0x00, 0x00, 0x45, 0x3C, 0x9D};
/* ERROR(BAD_CRC=2) answering a LOAD (0x02), seq 7: payload 02 02.
 *   CRC-8 over FF 07 02 00: F3, C2, 4E, ED -> ED
 *   CRC-16 over FF 07 02 00 02 02: FF00 6E17 BA2A 2C91 54AC 9633 -> 33 96 */
static const uint8_t v_error[] = {0xA5, 0xFF, 0x07, 0x02, 0x00, 0xED, 0x02, 0x02, 0x33, 0x96};
/* INFER request, seq 1, sample_id 0x12345678 (little-endian 78 56 34 12).
 *   CRC-8 over 05 01 04 00: 1B, 46, C9, 71 -> 71
 *   CRC-16 … 67B0 9672 E7A8 17BA -> BA 17 */
static const uint8_t v_infer_req[] = {0xA5, 0x05, 0x01, 0x04, 0x00, 0x71,
				      0x78, 0x56, 0x34, 0x12, 0xBA, 0x17};
/* READ request, seq 3: region 1 (WEIGHTS), offset 0x400, count 16.
 *   payload 01 | 00 04 00 00 | 10 00; CRC-8 over 03 03 07 00 -> EC; CRC-16 -> 9E85 */
static const uint8_t v_read_req[] = {0xA5, 0x03, 0x03, 0x07, 0x00, 0xEC, 0x01, 0x00, 0x04,
				     0x00, 0x00, 0x10, 0x00, 0x85, 0x9E};
/* COUNTERS request, seq 255: CRC-8 over 07 FF 00 00 -> 49; CRC-16 -> 1A8E */
static const uint8_t v_counters_req[] = {0xA5, 0x07, 0xFF, 0x00, 0x00, 0x49, 0x8E, 0x1A};

static void check_frame(uint8_t type, uint8_t seq, const uint8_t *pl, size_t len,
			const uint8_t *want, size_t want_len)
{
	uint8_t out[64];
	size_t n = 0;
	cr_assert_eq(hb_link_frame_encode(type, seq, pl, len, out, sizeof out, &n), HB_OK);
	cr_assert_eq(n, want_len);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(out[i], want[i], "type 0x%02x byte %zu: 0x%02x, spec 0x%02x", type, i,
			     out[i], want[i]);
}

Test(frame, spec_vectors)
{
	check_frame(0x01, 0, NULL, 0, v_identify_req, sizeof v_identify_req);
	check_frame(0x88, 0x2A, NULL, 0, v_reset_resp, sizeof v_reset_resp);
	const uint8_t e[] = {0x02, 0x02};
	check_frame(0xFF, 7, e, 2, v_error, sizeof v_error);
	const uint8_t s[] = {0x78, 0x56, 0x34, 0x12};
	check_frame(0x05, 1, s, 4, v_infer_req, sizeof v_infer_req);
	const uint8_t r[] = {0x01, 0x00, 0x04, 0x00, 0x00, 0x10, 0x00};
	check_frame(0x03, 3, r, 7, v_read_req, sizeof v_read_req);
	check_frame(0x07, 0xFF, NULL, 0, v_counters_req, sizeof v_counters_req);
}

Test(frame, payload_encoders_produce_the_spec_payloads)
{
	uint8_t p[16];
	size_t n;
	struct hb_link_span s = {.region = 1, .offset = 0x400, .count = 16};
	cr_assert_eq(hb_link_span_encode(&s, p, sizeof p, &n), HB_OK);
	cr_assert_eq(n, 7);
	cr_assert_arr_eq(p, v_read_req + 6, 7);
	cr_assert_eq(hb_link_u32_encode(0x12345678, p, sizeof p, &n), HB_OK);
	cr_assert_arr_eq(p, v_infer_req + 6, 4);
	struct hb_link_error e = {.reason = HB_LINK_R_BAD_CRC, .request_type = HB_LINK_LOAD};
	cr_assert_eq(hb_link_error_encode(&e, p, sizeof p, &n), HB_OK);
	cr_assert_arr_eq(p, v_error + 6, 2);
}

Test(frame, encode_limits)
{
	static uint8_t big[HB_LINK_MAX_PAYLOAD + 1], out[HB_LINK_MAX_FRAME + 16];
	size_t n = 99;
	cr_assert_eq(hb_link_frame_encode(1, 0, big, sizeof big, out, sizeof out, &n), HB_ERR_RANGE);
	cr_assert_eq(n, 0);
	cr_assert_eq(hb_link_frame_encode(1, 0, big, 1024, out, sizeof out, &n), HB_OK);
	cr_assert_eq(n, 1032);
	cr_assert_eq(hb_link_frame_encode(1, 0, big, 10, out, 17, &n), HB_ERR_RANGE);
	cr_assert_eq(hb_link_frame_encode(1, 0, NULL, 10, out, sizeof out, &n), HB_ERR_ARG);
}

/* ---- decoder ------------------------------------------------------------- */

#define MAXEV 64
struct evlog {
	int n;
	struct hb_link_event ev[MAXEV];
	uint8_t payload[MAXEV][64];
};

static void feed_chunk(struct hb_link_decoder *d, const uint8_t *p, size_t len, struct evlog *log)
{
	size_t off = 0;
	for (;;) {
		size_t used;
		struct hb_link_event ev;
		hb_link_decoder_feed(d, p + off, len - off, &used, &ev);
		cr_assert_leq(used, len - off);
		off += used;
		if (ev.kind == HB_LINK_EV_NONE) {
			cr_assert_eq(off, len, "decoder stopped early without an event");
			return;
		}
		cr_assert_lt(log->n, MAXEV);
		log->ev[log->n] = ev;
		if (ev.kind == HB_LINK_EV_FRAME)
			memcpy(log->payload[log->n], ev.payload, ev.len < 64 ? ev.len : 64);
		log->n++;
	}
}

/* Feed in chunks of `chunk` bytes (0: all at once). */
static struct hb_link_decoder_stats run(const uint8_t *p, size_t len, size_t chunk, struct evlog *log)
{
	struct hb_link_decoder d;
	hb_link_decoder_init(&d, 0);
	memset(log, 0, sizeof *log);
	if (!chunk)
		chunk = len ? len : 1;
	for (size_t off = 0; off < len; off += chunk)
		feed_chunk(&d, p + off, len - off < chunk ? len - off : chunk, log);
	return d.stats;
}

Test(decoder, one_frame_all_at_once_and_byte_by_byte)
{
	for (size_t chunk = 0; chunk <= 1; chunk++) {
		struct evlog log;
		struct hb_link_decoder_stats st = run(v_infer_req, sizeof v_infer_req, chunk, &log);
		cr_assert_eq(log.n, 1);
		cr_assert_eq(log.ev[0].kind, HB_LINK_EV_FRAME);
		cr_assert_eq(log.ev[0].type, 0x05);
		cr_assert_eq(log.ev[0].seq, 1);
		cr_assert_eq(log.ev[0].len, 4);
		cr_assert_arr_eq(log.payload[0], v_infer_req + 6, 4);
		cr_assert_eq(log.ev[0].frame_len, sizeof v_infer_req);
		cr_assert_eq(st.frames_ok, 1);
		cr_assert_eq(st.garbage_bytes, 0);
	}
}

Test(decoder, garbage_before_a_frame_is_counted_and_dropped)
{
	uint8_t s[32] = {0x00, 0xFF, 0x5A, 0x13, 0x37};
	memcpy(s + 5, v_identify_req, 8);
	struct evlog log;
	struct hb_link_decoder_stats st = run(s, 13, 0, &log);
	cr_assert_eq(log.n, 1);
	cr_assert_eq(log.ev[0].kind, HB_LINK_EV_FRAME);
	cr_assert_eq(log.ev[0].type, 0x01);
	cr_assert_eq(st.garbage_bytes, 5);
}

Test(decoder, sof_inside_garbage)
{
	/* 11 A5 22 33 | A5 01 00 00 00 16 74 F2: the first A5 takes 22 33 A5 01 00 as its
	 * header; CRC-8(22 33 A5 01) = E0 ≠ 00, so BAD_HCRC and the 5 bytes are re-scanned:
	 * 22 33 are garbage, A5 starts the real frame. Garbage: 11, 22, 33. */
	uint8_t s[] = {0x11, 0xA5, 0x22, 0x33, 0xA5, 0x01, 0x00, 0x00, 0x00, 0x16, 0x74, 0xF2};
	for (size_t chunk = 0; chunk <= 5; chunk++) {
		struct evlog log;
		struct hb_link_decoder_stats st = run(s, sizeof s, chunk, &log);
		cr_assert_eq(log.n, 2, "chunk %zu", chunk);
		cr_assert_eq(log.ev[0].kind, HB_LINK_EV_BAD_HCRC);
		cr_assert_eq(log.ev[0].type, 0x22);
		cr_assert_eq(log.ev[1].kind, HB_LINK_EV_FRAME);
		cr_assert_eq(log.ev[1].type, 0x01);
		cr_assert_eq(st.garbage_bytes, 3);
		cr_assert_eq(st.bad_hcrc, 1);
	}
}

Test(decoder, bad_hcrc_with_a_real_frame_starting_inside_the_bad_header)
{
	/* A5 A5 01 00 00 00 16 74 F2: header A5 01 00 00 | 00, CRC-8(A5 01 00 00) = DA ≠ 00;
	 * re-scanning from the byte after the first SOF finds the IDENTIFY frame. */
	uint8_t s[] = {0xA5, 0xA5, 0x01, 0x00, 0x00, 0x00, 0x16, 0x74, 0xF2};
	for (size_t chunk = 0; chunk <= 9; chunk++) {
		struct evlog log;
		struct hb_link_decoder_stats st = run(s, sizeof s, chunk, &log);
		cr_assert_eq(log.n, 2);
		cr_assert_eq(log.ev[0].kind, HB_LINK_EV_BAD_HCRC);
		cr_assert_eq(log.ev[1].kind, HB_LINK_EV_FRAME);
		cr_assert_eq(log.ev[1].type, 0x01);
		cr_assert_eq(log.ev[1].seq, 0);
		cr_assert_eq(st.garbage_bytes, 0);
	}
}

Test(decoder, bad_crc_then_next_frame)
{
	uint8_t s[32];
	memcpy(s, v_infer_req, sizeof v_infer_req);
	s[7] ^= 0x40; /* payload byte */
	memcpy(s + sizeof v_infer_req, v_reset_resp, sizeof v_reset_resp);
	struct evlog log;
	struct hb_link_decoder_stats st = run(s, sizeof v_infer_req + sizeof v_reset_resp, 1, &log);
	cr_assert_eq(log.n, 2);
	cr_assert_eq(log.ev[0].kind, HB_LINK_EV_BAD_CRC);
	cr_assert_eq(log.ev[0].type, 0x05);
	cr_assert_eq(log.ev[0].seq, 1);
	cr_assert_eq(log.ev[1].kind, HB_LINK_EV_FRAME);
	cr_assert_eq(log.ev[1].type, 0x88);
	cr_assert_eq(st.bad_crc, 1);
	cr_assert_eq(st.garbage_bytes, 0);
}

Test(decoder, oversize_then_hunt)
{
	/* Valid header, len 1025: A5 02 01 01 04 4E (CRC-8 over 02 01 01 04 = 4E).
	 * Then 3 payload-ish bytes (garbage) and a real frame. */
	uint8_t s[] = {0xA5, 0x02, 0x01, 0x01, 0x04, 0x4E, 0x01, 0x02, 0x03,
		       0xA5, 0x88, 0x2A, 0x00, 0x00, 0x45, 0x3C, 0x9D};
	struct evlog log;
	struct hb_link_decoder_stats st = run(s, sizeof s, 0, &log);
	cr_assert_eq(log.n, 2);
	cr_assert_eq(log.ev[0].kind, HB_LINK_EV_OVERSIZE);
	cr_assert_eq(log.ev[0].len, 1025);
	cr_assert_eq(log.ev[1].kind, HB_LINK_EV_FRAME);
	cr_assert_eq(st.oversize, 1);
	cr_assert_eq(st.garbage_bytes, 3);

	/* A smaller max_payload (a device's) applies too. */
	struct hb_link_decoder d;
	hb_link_decoder_init(&d, 3);
	size_t used;
	struct hb_link_event ev;
	hb_link_decoder_feed(&d, v_infer_req, sizeof v_infer_req, &used, &ev);
	cr_assert_eq(ev.kind, HB_LINK_EV_OVERSIZE);
	cr_assert_eq(used, 6);
}

Test(decoder, truncated_frame_then_timeout)
{
	struct hb_link_decoder d;
	struct hb_link_event ev;
	size_t used;
	hb_link_decoder_init(&d, 0);
	cr_assert_not(hb_link_decoder_timeout(&d, &ev), "idle decoder has nothing to time out");
	cr_assert_eq(ev.kind, HB_LINK_EV_NONE);

	/* Cut inside the header. */
	hb_link_decoder_feed(&d, v_infer_req, 4, &used, &ev);
	cr_assert_eq(ev.kind, HB_LINK_EV_NONE);
	cr_assert(hb_link_decoder_in_frame(&d));
	cr_assert(hb_link_decoder_timeout(&d, &ev));
	cr_assert_eq(ev.kind, HB_LINK_EV_TIMEOUT);
	cr_assert_eq(ev.received, 4);
	cr_assert_not(ev.have_header);

	/* Cut inside the payload: header fields are reported. */
	hb_link_decoder_feed(&d, v_infer_req, 8, &used, &ev);
	cr_assert(hb_link_decoder_timeout(&d, &ev));
	cr_assert_eq(ev.received, 8);
	cr_assert(ev.have_header);
	cr_assert_eq(ev.type, 0x05);
	cr_assert_eq(ev.seq, 1);

	/* The next frame decodes normally. */
	hb_link_decoder_feed(&d, v_identify_req, sizeof v_identify_req, &used, &ev);
	cr_assert_eq(ev.kind, HB_LINK_EV_FRAME);
	cr_assert_eq(d.stats.timeouts, 2);
	cr_assert_eq(d.stats.frames_ok, 1);
}

Test(decoder, timeout_right_after_a_bad_header_rescans_first)
{
	/* A5 | 00 A5 01 00 00 then silence. Bad header; the re-scan finds the second A5,
	 * which starts a header that is still incomplete: the timeout drops it. */
	uint8_t s[] = {0xA5, 0x00, 0xA5, 0x01, 0x00, 0x00};
	struct hb_link_decoder d;
	struct hb_link_event ev;
	size_t used;
	hb_link_decoder_init(&d, 0);
	hb_link_decoder_feed(&d, s, sizeof s, &used, &ev);
	cr_assert_eq(ev.kind, HB_LINK_EV_BAD_HCRC);
	cr_assert(hb_link_decoder_timeout(&d, &ev));
	cr_assert_eq(ev.kind, HB_LINK_EV_TIMEOUT);
	cr_assert_eq(ev.received, 4); /* A5 01 00 00 */
	cr_assert_eq(d.stats.garbage_bytes, 1);
}

/* A random stream of good, corrupted and truncated frames plus garbage gives the
 * same events whatever the chunking. */
Test(decoder, chunking_never_changes_the_events)
{
	static uint8_t s[20000];
	size_t n = 0;
	srand(1234);
	while (n < sizeof s - HB_LINK_MAX_FRAME) {
		int kind = rand() % 6;
		if (kind == 0) { /* garbage, SOF-rich */
			int g = rand() % 12;
			for (int i = 0; i < g; i++)
				s[n++] = (uint8_t)(rand() % 3 == 0 ? 0xA5 : rand());
			continue;
		}
		uint8_t pl[300];
		size_t len = (size_t)(rand() % 300), fl;
		for (size_t i = 0; i < len; i++)
			pl[i] = (uint8_t)(rand() % 5 == 0 ? 0xA5 : rand());
		hb_link_frame_encode((uint8_t)rand(), (uint8_t)rand(), pl, len, s + n, sizeof s - n, &fl);
		if (kind == 1)
			s[n + (size_t)rand() % fl] ^= (uint8_t)(1u << (rand() % 8));
		n += fl;
	}
	struct evlog ref, got;
	static const size_t chunks[] = {1, 2, 3, 7, 64, 1000};
	/* Compare a prefix of the event lists: both are capped at MAXEV events. */
	struct hb_link_decoder_stats sref = run(s, 4000, 0, &ref);
	for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
		struct hb_link_decoder_stats sg = run(s, 4000, chunks[c], &got);
		cr_assert_eq(got.n, ref.n, "chunk %zu", chunks[c]);
		for (int i = 0; i < ref.n; i++) {
			cr_assert_eq(got.ev[i].kind, ref.ev[i].kind);
			cr_assert_eq(got.ev[i].type, ref.ev[i].type);
			cr_assert_eq(got.ev[i].seq, ref.ev[i].seq);
			cr_assert_eq(got.ev[i].len, ref.ev[i].len);
		}
		cr_assert_eq(memcmp(&sg, &sref, sizeof sg), 0);
	}
	cr_assert_gt(sref.frames_ok, 3);
}

/* ---- payloads ------------------------------------------------------------ */

Test(payload, identity_round_trip_and_length_rule)
{
	struct hb_link_identity id = {
		.proto_version = 1, .family = 1, .lanes = 32, .build_hash = 0xDEADBEEF,
		.clock_hz = 24000000, .counter_bits = 48, .max_layers = 4, .max_payload = 1024,
		.max_n_in = 1024, .max_n_out = 256, .max_L = 512, .capabilities = 0xF,
		.weight_mem_bytes = 105984, .input_mem_bytes = 25088, .hidden_mem_bits = 65536,
		.configured = 1, .n_layers = 2, .L = 256, .sizes = {784, 128, 10}};
	uint8_t p[64];
	size_t n;
	cr_assert_eq(hb_link_identity_encode(&id, p, sizeof p, &n), HB_OK);
	cr_assert_eq(n, 46);
	cr_assert_eq(p[2], 32);
	cr_assert_eq(p[4], 0xEF);
	cr_assert_eq(p[7], 0xDE);
	cr_assert_eq(p[40], 784 & 0xFF);
	cr_assert_eq(p[41], 784 >> 8);
	cr_assert_eq(p[44], 10);
	struct hb_link_identity back;
	cr_assert_eq(hb_link_identity_decode(p, n, &back), HB_OK);
	cr_assert_eq(memcmp(&back, &id, sizeof id), 0);
	cr_assert_eq(hb_link_identity_decode(p, n - 2, &back), HB_ERR_FORMAT);
	cr_assert_eq(hb_link_identity_decode(p, n + 2, &back), HB_ERR_FORMAT);
	/* Unconfigured: K = 0, one u16 follows. */
	id.configured = 0, id.n_layers = 0, id.L = 0;
	memset(id.sizes, 0, sizeof id.sizes);
	cr_assert_eq(hb_link_identity_encode(&id, p, sizeof p, &n), HB_OK);
	cr_assert_eq(n, 42);
	cr_assert_eq(hb_link_identity_decode(p, 42, &back), HB_OK);
	cr_assert_eq(hb_link_identity_decode(p, 40, &back), HB_ERR_FORMAT);
}

Test(payload, infer_and_batch_results)
{
	struct hb_link_infer_result r = {.sample_id = 7, .class_id = 3, .n_out = 10,
					 .t_start = 0x0000123456789ABCull, .t_done = 0x0000123456789ABCull + 500,
					 .busy_cycles = 500};
	for (int j = 0; j < 10; j++)
		r.counts[j] = (uint16_t)(j * 1000 + 1);
	uint8_t p[600];
	size_t n;
	cr_assert_eq(hb_link_infer_result_encode(&r, p, sizeof p, &n), HB_OK);
	cr_assert_eq(n, 48);
	cr_assert_eq(p[8], 0xBC);
	cr_assert_eq(p[13], 0x12);
	cr_assert_eq(p[24], 500 & 0xFF);
	cr_assert_eq(p[28 + 2 * 9], (9001) & 0xFF);
	struct hb_link_infer_result b;
	cr_assert_eq(hb_link_infer_result_decode(p, n, &b), HB_OK);
	cr_assert_eq(memcmp(&b, &r, sizeof r), 0);
	cr_assert_eq(hb_link_infer_result_decode(p, n - 1, &b), HB_ERR_FORMAT);
	p[6] = 0x01, p[7] = 0x01; /* n_out 257 */
	cr_assert_eq(hb_link_infer_result_decode(p, 28 + 2 * 257, &b), HB_ERR_FORMAT);

	struct hb_link_batch_result br = {.n = 1000, .class_id = 9, .n_out = 2, .t_first_start = 5,
					  .t_last_done = 1ull << 40, .busy_cycles = 1ull << 33,
					  .counts = {1, 65535}};
	cr_assert_eq(hb_link_batch_result_encode(&br, p, sizeof p, &n), HB_OK);
	cr_assert_eq(n, 36);
	cr_assert_eq(p[28], 2); /* bit 33 → byte 28 = 0x02 */
	struct hb_link_batch_result bb;
	cr_assert_eq(hb_link_batch_result_decode(p, n, &bb), HB_OK);
	cr_assert_eq(memcmp(&bb, &br, sizeof br), 0);
}

Test(payload, stream_load_counters_error)
{
	uint8_t data[1020], p[1100];
	size_t n;
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)i;
	struct hb_link_stream_req sr = {.offset = 0x01020304, .data = data, .count = 1020};
	cr_assert_eq(hb_link_stream_req_encode(&sr, p, sizeof p, &n), HB_OK);
	cr_assert_eq(n, 1024);
	cr_assert_eq(p[0], 0x04);
	cr_assert_eq(p[4], 0);
	sr.count = 1021;
	cr_assert_eq(hb_link_stream_req_encode(&sr, p, sizeof p, &n), HB_ERR_RANGE);
	struct hb_link_load_req lr = {.region = 1, .offset = 9, .data = data, .count = 1019};
	cr_assert_eq(hb_link_load_req_encode(&lr, p, sizeof p, &n), HB_OK);
	cr_assert_eq(n, 1024);
	struct hb_link_load_req lb;
	cr_assert_eq(hb_link_load_req_decode(p, n, &lb), HB_OK);
	cr_assert_eq(lb.count, 1019);
	cr_assert_eq(lb.offset, 9);
	cr_assert_eq(hb_link_load_req_decode(p, 5, &lb), HB_ERR_FORMAT);
	lr.count = 1020;
	cr_assert_eq(hb_link_load_req_encode(&lr, p, sizeof p, &n), HB_ERR_RANGE);

	struct hb_link_counters c = {.cycle_now = 0xFFFFFFFFFFFFull, .frames_ok = 1, .frames_bad_hcrc = 2,
				     .frames_bad_crc = 3, .frames_oversize = 4, .frames_timeout = 5,
				     .frames_rejected = 6, .garbage_bytes = 7, .inferences = 8,
				     .busy_cycles = 9};
	cr_assert_eq(hb_link_counters_encode(&c, p, sizeof p, &n), HB_OK);
	cr_assert_eq(n, 48);
	for (int k = 0; k < 8; k++)
		cr_assert_eq(p[8 + 4 * k], k + 1);
	cr_assert_eq(p[40], 9);
	struct hb_link_counters cb;
	cr_assert_eq(hb_link_counters_decode(p, n, &cb), HB_OK);
	cr_assert_eq(memcmp(&cb, &c, sizeof c), 0);

	struct hb_link_stream_resp s = {.offset = 1020, .count = 4, .stamp = 0xABCDEF012345ull}, sb;
	cr_assert_eq(hb_link_stream_resp_encode(&s, p, sizeof p, &n), HB_OK);
	cr_assert_eq(n, 14);
	cr_assert_eq(hb_link_stream_resp_decode(p, n, &sb), HB_OK);
	cr_assert_eq(sb.stamp, s.stamp);

	struct hb_link_error e;
	cr_assert_eq(hb_link_error_decode(v_error + 6, 2, &e), HB_OK);
	cr_assert_eq(e.reason, HB_LINK_R_BAD_CRC);
	cr_assert_str_eq(hb_link_reason_name(e.reason), "BAD_CRC");
	cr_assert_str_eq(hb_link_type_name(0x83), "READ");
	cr_assert_str_eq(hb_link_reason_name(0), "UNKNOWN");
}

Test(payload, request_length_rules)
{
	cr_assert(hb_link_request_len_ok(HB_LINK_IDENTIFY, 0));
	cr_assert_not(hb_link_request_len_ok(HB_LINK_IDENTIFY, 1));
	cr_assert_not(hb_link_request_len_ok(HB_LINK_LOAD, 5));
	cr_assert(hb_link_request_len_ok(HB_LINK_LOAD, 1024));
	cr_assert(hb_link_request_len_ok(HB_LINK_READ, 7));
	cr_assert_not(hb_link_request_len_ok(HB_LINK_STREAM, 4));
	cr_assert(hb_link_request_len_ok(HB_LINK_BATCH, 4));
	cr_assert(hb_link_request_len_ok(HB_LINK_CHECK, 7));
	cr_assert_not(hb_link_request_len_ok(HB_LINK_CHECK, 0));
	cr_assert_not(hb_link_request_len_ok(0x0A, 0));
	cr_assert_str_eq(hb_link_type_name(0x89), "CHECK");
	struct hb_link_check_resp cr = {{1, 0x01020304u, 65535}, 0xBEEF}, cd;
	uint8_t cb[16];
	size_t cn;
	cr_assert_eq(hb_link_check_resp_encode(&cr, cb, sizeof cb, &cn), HB_OK);
	cr_assert_eq(cn, HB_LINK_CHECK_RESP_LEN);
	cr_assert_eq(cb[7], 0xEF);
	cr_assert_eq(hb_link_check_resp_decode(cb, cn, &cd), HB_OK);
	cr_assert(cd.span.region == 1 && cd.span.offset == 0x01020304u && cd.span.count == 65535 &&
		  cd.crc == 0xBEEF);
	cr_assert_eq(hb_link_check_resp_decode(cb, cn - 1, &cd), HB_ERR_FORMAT);
	cr_assert_eq(hb_link_check_resp_encode(&cr, cb, 8, &cn), HB_ERR_RANGE);
	cr_assert_not(hb_link_request_len_ok(HB_LINK_ERROR, 2));
	cr_assert(hb_link_reason_retryable(HB_LINK_R_BUSY));
	cr_assert_not(hb_link_reason_retryable(HB_LINK_R_BAD_ARG));
	cr_assert_not(hb_link_reason_retryable(HB_LINK_R_NOT_CONFIGURED));
}

static struct hb_link_netcfg net_784_128_10(void)
{
	struct hb_link_netcfg c = {.n_layers = 2, .L = 256, .in_seed = 0xACE1, .in_stride = 7,
				   .sizes = {784, 128, 10}};
	for (int k = 0; k < 2; k++)
		c.layer[k] = (struct hb_link_layer){.wt_seed = (uint16_t)(0x1234 + k), .wi_seed = 0xBEEF,
						    .i_scale = 256, .v_th = 256, .v_reset = 0,
						    .v_rest = 0, .leak = -20, .gain = 256,
						    .refractory = 2};
	return c;
}

Test(config, layout_and_pack_offsets)
{
	struct hb_link_netcfg c = net_784_128_10();
	size_t wb, n;
	hb_link_netcfg_layout(&c, &wb);
	cr_assert_eq(wb, 784 * 128 + 128 * 10);
	cr_assert_eq(c.w_offset[0], 0);
	cr_assert_eq(c.w_offset[1], 784 * 128);
	cr_assert_eq(hb_link_netcfg_input_bytes(&c), 784 * 32);
	cr_assert_eq(hb_link_netcfg_check(&c, NULL, NULL, 0), HB_OK);
	uint8_t p[160];
	cr_assert_eq(hb_link_netcfg_pack(&c, p, sizeof p, &n), HB_OK);
	cr_assert_eq(n, 160);
	cr_assert_eq(p[0], 2);
	cr_assert_eq(p[1], 0);
	cr_assert_eq(p[2] | p[3] << 8, 256);
	cr_assert_eq(p[4] | p[5] << 8, 0xACE1);
	cr_assert_eq(p[6], 7);
	cr_assert_eq(p[8] | p[9] << 8, 784);
	cr_assert_eq(p[12], 10);
	cr_assert_eq(p[14] | p[15] << 8, 0); /* sizes[3] unused */
	for (int i = 18; i < 32; i++)
		cr_assert_eq(p[i], 0);
	/* layer 1 block at 64: wt_seed, leak (i16 −20 = 0xFFEC at +12), refractory (+16), w_offset (+20) */
	cr_assert_eq(p[64] | p[65] << 8, 0x1235);
	cr_assert_eq(p[64 + 12], 0xEC);
	cr_assert_eq(p[64 + 13], 0xFF);
	cr_assert_eq(p[64 + 16], 2);
	uint32_t wo = (uint32_t)p[84] | (uint32_t)p[85] << 8 | (uint32_t)p[86] << 16 | (uint32_t)p[87] << 24;
	cr_assert_eq(wo, 784 * 128);
	for (int i = 96; i < 160; i++)
		cr_assert_eq(p[i], 0, "unused layer blocks are zero");
	struct hb_link_netcfg back;
	cr_assert_eq(hb_link_netcfg_unpack(p, n, &back), HB_OK);
	uint8_t p2[160];
	cr_assert_eq(hb_link_netcfg_pack(&back, p2, sizeof p2, &n), HB_OK);
	cr_assert_arr_eq(p2, p, 160);
	cr_assert_eq(back.layer[1].leak, -20);
	cr_assert_eq(back.w_offset[1], 784 * 128);
}

Test(config, check_reports_the_reason)
{
	char why[160];
	struct hb_link_netcfg c = net_784_128_10();
	hb_link_netcfg_layout(&c, NULL);
	struct hb_link_identity id = {.lanes = 32, .max_layers = 4, .max_n_in = 1024, .max_n_out = 256,
				      .max_L = 512, .weight_mem_bytes = 105984, .input_mem_bytes = 25088,
				      .hidden_mem_bits = 65536};
	cr_assert_eq(hb_link_netcfg_check(&c, &id, why, sizeof why), HB_OK, "%s", why);
	c.L = 1024;
	cr_assert_eq(hb_link_netcfg_check(&c, &id, why, sizeof why), HB_ERR_RANGE);
	cr_assert(strstr(why, "max_L"), "%s", why);
	c.L = 240; /* not a multiple of 32 */
	cr_assert_eq(hb_link_netcfg_check(&c, &id, why, sizeof why), HB_ERR_RANGE);
	cr_assert(strstr(why, "lane"), "%s", why);
	c.L = 12;
	cr_assert_eq(hb_link_netcfg_check(&c, NULL, why, sizeof why), HB_ERR_RANGE);
	cr_assert(strstr(why, "multiple of 8"), "%s", why);
	c = net_784_128_10();
	cr_assert_eq(hb_link_netcfg_check(&c, NULL, why, sizeof why), HB_ERR_RANGE);
	cr_assert(strstr(why, "w_offset"), "%s", why);
	hb_link_netcfg_layout(&c, NULL);
	id.weight_mem_bytes = 1000;
	cr_assert_eq(hb_link_netcfg_check(&c, &id, why, sizeof why), HB_ERR_RANGE);
	cr_assert(strstr(why, "weights need"), "%s", why);
	c.in_seed = 0; c.in_stride = 0;
	cr_assert_eq(hb_link_netcfg_check(&c, NULL, why, sizeof why), HB_ERR_RANGE);
	cr_assert(strstr(why, "seed"), "%s", why);
	c = net_784_128_10();
	c.n_layers = 5;
	cr_assert_eq(hb_link_netcfg_check(&c, NULL, why, sizeof why), HB_ERR_RANGE);
}

Test(config, weights_pack_layer_after_layer)
{
	struct hb_link_netcfg c = {.n_layers = 2, .L = 8, .in_seed = 1, .in_stride = 1, .sizes = {3, 2, 2}};
	hb_link_netcfg_layout(&c, NULL);
	const uint8_t w0[6] = {1, 2, 3, 4, 5, 6};
	const uint8_t w1[4] = {hb_link_weight_byte(1, 5), hb_link_weight_byte(0, 200), 9, 10};
	const uint8_t *const ws[4] = {w0, w1, NULL, NULL};
	uint8_t out[16];
	size_t n;
	cr_assert_eq(hb_link_weights_pack(&c, ws, out, sizeof out, &n), HB_OK);
	cr_assert_eq(n, 10);
	const uint8_t want[10] = {1, 2, 3, 4, 5, 6, 0x85, 0x7F, 9, 10};
	cr_assert_arr_eq(out, want, 10);
	cr_assert_eq(hb_link_weights_pack(&c, ws, out, 9, &n), HB_ERR_RANGE);
}

Test(config, input_bits)
{
	uint8_t img[8] = {0};
	hb_link_input_set_bit(img, 16, 1, 9, 1); /* input 1, step 9: byte 1·2 + 1 = 3, bit 1 */
	cr_assert_eq(img[3], 0x02);
	cr_assert_eq(hb_link_input_get_bit(img, 16, 1, 9), 1);
	hb_link_input_set_bit(img, 16, 1, 9, 0);
	cr_assert_eq(img[3], 0);
}
