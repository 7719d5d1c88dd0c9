/* Byte-level examples of every message, as a client walkthrough (seq 0 … 8).
 * See link_examples.h. */
#include "link_examples.h"

#include <string.h>

static size_t frame(uint8_t type, uint8_t seq, const uint8_t *p, size_t len, uint8_t *out)
{
	size_t n = 0;
	hb_link_frame_encode(type, seq, p, len, out, HB_LINK_MAX_FRAME, &n);
	return n;
}

struct hb_link_netcfg link_example_net(void)
{
	struct hb_link_netcfg c = {.n_layers = 2, .L = 32, .in_seed = 0xACE1, .in_stride = 7,
				   .sizes = {16, 4, 2}};
	c.layer[0] = (struct hb_link_layer){.wt_seed = 0x1D0F, .wi_seed = 0xBEEF, .i_scale = 256,
					    .v_th = 512, .v_reset = 0, .v_rest = 0, .leak = 16,
					    .gain = 256, .refractory = 2};
	c.layer[1] = (struct hb_link_layer){.wt_seed = 0x2E1A, .wi_seed = 0xC0DE, .i_scale = 384,
					    .v_th = 256, .v_reset = -64, .v_rest = 0, .leak = 32,
					    .gain = 256, .refractory = 0};
	hb_link_netcfg_layout(&c, NULL);
	return c;
}

static struct hb_link_identity identity(int configured)
{
	struct hb_link_identity id = {
		.proto_version = 1, .family = 0, .lanes = 8, .build_hash = 0x1234ABCD,
		.clock_hz = 12000000, .counter_bits = 48, .max_layers = 4, .max_payload = 1024,
		.max_n_in = 1024, .max_n_out = 256, .max_L = 1024,
		.capabilities = HB_LINK_CAP_BATCH | HB_LINK_CAP_READ | HB_LINK_CAP_DONE_PIN |
				HB_LINK_CAP_BUSY_PIN,
		.weight_mem_bytes = 65536, .input_mem_bytes = 16384, .hidden_mem_bits = 65536};
	if (configured) {
		struct hb_link_netcfg c = link_example_net();
		id.configured = 1;
		id.n_layers = c.n_layers;
		id.L = c.L;
		memcpy(id.sizes, c.sizes, sizeof id.sizes);
	}
	return id;
}

/* 72 weight bytes: every third synapse inhibitory, magnitudes 7·i mod 128. */
static void weights(uint8_t *w)
{
	for (unsigned i = 0; i < 72; i++)
		w[i] = hb_link_weight_byte(i % 3 == 0, (7 * i) % 128);
}

/* 16 inputs × L/8 = 4 bytes. */
static void inputs(uint8_t *x)
{
	for (unsigned i = 0; i < 64; i++)
		x[i] = (uint8_t)((i * 13) ^ 0x3C);
}

static size_t identify_req(uint8_t *o)
{
	return frame(HB_LINK_IDENTIFY, 0, NULL, 0, o);
}

static size_t identify_resp(uint8_t *o)
{
	uint8_t p[64];
	size_t n;
	struct hb_link_identity id = identity(0);
	hb_link_identity_encode(&id, p, sizeof p, &n);
	return frame(HB_LINK_IDENTIFY | 0x80, 0, p, n, o);
}

static size_t load_config_req(uint8_t *o)
{
	uint8_t img[160], p[HB_LINK_MAX_PAYLOAD];
	size_t n;
	struct hb_link_netcfg c = link_example_net();
	hb_link_netcfg_pack(&c, img, sizeof img, &n);
	struct hb_link_load_req r = {.region = HB_LINK_REGION_CONFIG, .offset = 0, .data = img, .count = n};
	hb_link_load_req_encode(&r, p, sizeof p, &n);
	return frame(HB_LINK_LOAD, 1, p, n, o);
}

static size_t span_frame(uint8_t type, uint8_t seq, uint8_t region, uint32_t off, uint16_t cnt,
			 uint8_t *o)
{
	uint8_t p[8];
	size_t n;
	struct hb_link_span s = {.region = region, .offset = off, .count = cnt};
	hb_link_span_encode(&s, p, sizeof p, &n);
	return frame(type, seq, p, n, o);
}

static size_t load_config_resp(uint8_t *o)
{
	return span_frame(HB_LINK_LOAD | 0x80, 1, HB_LINK_REGION_CONFIG, 0, 160, o);
}

static size_t load_weights_req(uint8_t *o)
{
	uint8_t w[72], p[128];
	size_t n;
	weights(w);
	struct hb_link_load_req r = {.region = HB_LINK_REGION_WEIGHTS, .offset = 0, .data = w, .count = 72};
	hb_link_load_req_encode(&r, p, sizeof p, &n);
	return frame(HB_LINK_LOAD, 2, p, n, o);
}

static size_t load_weights_resp(uint8_t *o)
{
	return span_frame(HB_LINK_LOAD | 0x80, 2, HB_LINK_REGION_WEIGHTS, 0, 72, o);
}

static size_t read_req(uint8_t *o)
{
	return span_frame(HB_LINK_READ, 3, HB_LINK_REGION_WEIGHTS, 0, 72, o);
}

static size_t read_resp(uint8_t *o)
{
	uint8_t w[72];
	weights(w);
	return frame(HB_LINK_READ | 0x80, 3, w, 72, o);
}

static size_t stream_req(uint8_t *o)
{
	uint8_t x[64], p[128];
	size_t n;
	inputs(x);
	struct hb_link_stream_req r = {.offset = 0, .data = x, .count = 64};
	hb_link_stream_req_encode(&r, p, sizeof p, &n);
	return frame(HB_LINK_STREAM, 4, p, n, o);
}

static size_t stream_resp(uint8_t *o)
{
	uint8_t p[16];
	size_t n;
	struct hb_link_stream_resp r = {.offset = 0, .count = 64, .stamp = 0x0000000012345678ull};
	hb_link_stream_resp_encode(&r, p, sizeof p, &n);
	return frame(HB_LINK_STREAM | 0x80, 4, p, n, o);
}

static size_t infer_req(uint8_t *o)
{
	uint8_t p[4];
	size_t n;
	hb_link_u32_encode(7, p, sizeof p, &n);
	return frame(HB_LINK_INFER, 5, p, n, o);
}

static size_t infer_resp(uint8_t *o)
{
	uint8_t p[64];
	size_t n;
	struct hb_link_infer_result r = {.sample_id = 7, .class_id = 1, .n_out = 2,
					 .t_start = 0x12345700ull, .t_done = 0x12345700ull + 1234,
					 .busy_cycles = 1234, .counts = {3, 17}};
	hb_link_infer_result_encode(&r, p, sizeof p, &n);
	return frame(HB_LINK_INFER | 0x80, 5, p, n, o);
}

static size_t batch_req(uint8_t *o)
{
	uint8_t p[4];
	size_t n;
	hb_link_u32_encode(100, p, sizeof p, &n);
	return frame(HB_LINK_BATCH, 6, p, n, o);
}

static size_t batch_resp(uint8_t *o)
{
	uint8_t p[64];
	size_t n;
	struct hb_link_batch_result r = {.n = 100, .class_id = 1, .n_out = 2,
					 .t_first_start = 0x12400000ull,
					 .t_last_done = 0x12400000ull + 100 * 1234 + 99 * 6,
					 .busy_cycles = 100 * 1234, .counts = {3, 17}};
	hb_link_batch_result_encode(&r, p, sizeof p, &n);
	return frame(HB_LINK_BATCH | 0x80, 6, p, n, o);
}

static size_t counters_req(uint8_t *o)
{
	return frame(HB_LINK_COUNTERS, 7, NULL, 0, o);
}

static size_t counters_resp(uint8_t *o)
{
	uint8_t p[64];
	size_t n;
	struct hb_link_counters c = {.cycle_now = 0x12500000ull, .frames_ok = 8, .frames_bad_hcrc = 0,
				     .frames_bad_crc = 1, .frames_oversize = 0, .frames_timeout = 0,
				     .frames_rejected = 0, .garbage_bytes = 3, .inferences = 101,
				     .busy_cycles = 101 * 1234};
	hb_link_counters_encode(&c, p, sizeof p, &n);
	return frame(HB_LINK_COUNTERS | 0x80, 7, p, n, o);
}

static size_t reset_req(uint8_t *o)
{
	return frame(HB_LINK_RESET, 8, NULL, 0, o);
}

static size_t reset_resp(uint8_t *o)
{
	return frame(HB_LINK_RESET | 0x80, 8, NULL, 0, o);
}

static size_t identify_resp_configured(uint8_t *o)
{
	uint8_t p[64];
	size_t n;
	struct hb_link_identity id = identity(1);
	hb_link_identity_encode(&id, p, sizeof p, &n);
	return frame(HB_LINK_IDENTIFY | 0x80, 9, p, n, o);
}

static size_t error_not_configured(uint8_t *o)
{
	uint8_t p[2];
	size_t n;
	struct hb_link_error e = {.reason = HB_LINK_R_NOT_CONFIGURED, .request_type = HB_LINK_INFER};
	hb_link_error_encode(&e, p, sizeof p, &n);
	return frame(HB_LINK_ERROR, 5, p, n, o);
}

static size_t error_bad_crc(uint8_t *o)
{
	uint8_t p[2];
	size_t n;
	struct hb_link_error e = {.reason = HB_LINK_R_BAD_CRC, .request_type = HB_LINK_LOAD};
	hb_link_error_encode(&e, p, sizeof p, &n);
	return frame(HB_LINK_ERROR, 2, p, n, o);
}

static size_t check_req(uint8_t *o)
{
	return span_frame(HB_LINK_CHECK, 10, HB_LINK_REGION_WEIGHTS, 0, 72, o);
}

static size_t check_resp(uint8_t *o)
{
	uint8_t w[72], p[16];
	size_t n;
	weights(w);
	struct hb_link_check_resp r = {{HB_LINK_REGION_WEIGHTS, 0, 72}, hb_link_crc16(0xFFFF, w, 72)};
	hb_link_check_resp_encode(&r, p, sizeof p, &n);
	return frame(HB_LINK_CHECK | 0x80, 10, p, n, o);
}

const struct link_example link_examples[] = {
	{"identify_req", "IDENTIFY request, seq 0", identify_req},
	{"identify_resp", "IDENTIFY response, unconfigured sim device (K = 0: one u16 size)", identify_resp},
	{"load_config_req", "LOAD request, seq 1: CONFIG offset 0, 160 bytes (16-4-2, L 32)", load_config_req},
	{"load_config_resp", "LOAD response, seq 1: region 0, offset 0, count 160", load_config_resp},
	{"load_weights_req", "LOAD request, seq 2: WEIGHTS offset 0, 72 bytes", load_weights_req},
	{"load_weights_resp", "LOAD response, seq 2: region 1, offset 0, count 72", load_weights_resp},
	{"read_req", "READ request, seq 3: WEIGHTS offset 0, count 72", read_req},
	{"read_resp", "READ response, seq 3: the 72 bytes", read_resp},
	{"stream_req", "STREAM request, seq 4: INPUT offset 0, 64 bytes", stream_req},
	{"stream_resp", "STREAM response, seq 4: offset 0, count 64, stamp 0x12345678", stream_resp},
	{"infer_req", "INFER request, seq 5: sample_id 7", infer_req},
	{"infer_resp", "INFER response, seq 5: class 1, counts 3 17, busy 1234", infer_resp},
	{"batch_req", "BATCH request, seq 6: n 100", batch_req},
	{"batch_resp", "BATCH response, seq 6", batch_resp},
	{"counters_req", "COUNTERS request, seq 7", counters_req},
	{"counters_resp", "COUNTERS response, seq 7", counters_resp},
	{"reset_req", "RESET request, seq 8", reset_req},
	{"reset_resp", "RESET response, seq 8 (empty)", reset_resp},
	{"identify_resp_configured", "IDENTIFY response, seq 9, after the CONFIG above", identify_resp_configured},
	{"error_not_configured", "ERROR(NOT_CONFIGURED) answering INFER seq 5", error_not_configured},
	{"error_bad_crc", "ERROR(BAD_CRC) answering the LOAD of seq 2 (type and seq from its header)", error_bad_crc},
	{"check_req", "CHECK request, seq 10: WEIGHTS offset 0, count 72", check_req},
	{"check_resp", "CHECK response, seq 10: region 1, offset 0, count 72, CRC-16 of the 72 bytes", check_resp},
};
const size_t link_examples_count = sizeof link_examples / sizeof link_examples[0];
