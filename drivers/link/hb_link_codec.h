/* hilbench — link protocol v1 codec (docs/protocol.md).
 *
 * PURE code: bytes in, bytes out. No I/O, no clock, no allocation, no logging.
 * Used by the host client (hb_link_client.h), the virtual board, the test fake
 * device and the fuzzer. Everything here works on caller-provided buffers.
 *
 * Layers:
 *   1. CRCs:            hb_link_crc8(), hb_link_crc16()
 *   2. Frames:          hb_link_frame_encode(); struct hb_link_decoder, an
 *                       incremental receiver (feed it any chunking of a byte
 *                       stream; it resynchronises exactly per the receiver
 *                       rules of docs/protocol.md §2).
 *   3. Payloads:        one encode/decode pair per message of §4, plus the
 *                       CONFIG region builder (§3.1) and WEIGHTS packer (§3.2).
 *
 * Conventions: every function that produces bytes writes at most `cap` bytes
 * to `out` and reports the count through `*out_len`; it returns HB_ERR_RANGE
 * when `cap` is too small or a value does not fit the wire format, and
 * HB_ERR_ARG for a NULL pointer. Payload decoders return HB_ERR_FORMAT when
 * the payload length is wrong for the message (including a length that does
 * not match an embedded count) and HB_OK otherwise; they ignore the content
 * of reserved bytes (encoders always write 0 there).
 * All multi-byte fields are little-endian on the wire. */
#ifndef HB_LINK_CODEC_H
#define HB_LINK_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hb_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- constants (docs/protocol.md §2–4) ---------------------------------- */

#define HB_LINK_PROTO_VERSION 1
#define HB_LINK_SOF 0xA5
#define HB_LINK_HDR_LEN 6     /* SOF type seq len(2) hcrc */
#define HB_LINK_TRAILER_LEN 2 /* crc16, low byte first */
#define HB_LINK_OVERHEAD (HB_LINK_HDR_LEN + HB_LINK_TRAILER_LEN)
#define HB_LINK_MAX_PAYLOAD 1024
#define HB_LINK_MAX_FRAME (HB_LINK_MAX_PAYLOAD + HB_LINK_OVERHEAD)
#define HB_LINK_RESPONSE_BIT 0x80

#define HB_LINK_MAX_LAYERS 4   /* CONFIG has 4 layer blocks */
#define HB_LINK_MAX_SIZES (HB_LINK_MAX_LAYERS + 1)
#define HB_LINK_MAX_N_OUT 256  /* docs/semantics.md §1: 1 ≤ n_out ≤ 256 */
#define HB_LINK_MAX_N_IN 1024  /* docs/semantics.md §1: 1 ≤ n_in ≤ 1024 */
#define HB_LINK_CONFIG_BYTES 160

/* Largest data chunk one LOAD / STREAM / READ can carry for a given
 * max_payload (identify's max_payload, 1024 in v1). */
#define HB_LINK_LOAD_MAX_DATA(max_payload) ((max_payload) - 5u)   /* 1019 */
#define HB_LINK_STREAM_MAX_DATA(max_payload) ((max_payload) - 4u) /* 1020 */
#define HB_LINK_READ_MAX_DATA(max_payload) (max_payload)          /* 1024 */

/* Message types (request values; a response is type | 0x80). */
enum hb_link_type {
	HB_LINK_IDENTIFY = 0x01,
	HB_LINK_LOAD = 0x02,
	HB_LINK_READ = 0x03,
	HB_LINK_STREAM = 0x04,
	HB_LINK_INFER = 0x05,
	HB_LINK_BATCH = 0x06,
	HB_LINK_COUNTERS = 0x07,
	HB_LINK_RESET = 0x08,
	HB_LINK_CHECK = 0x09,
	HB_LINK_ERROR = 0xFF, /* device → host only */
};

/* ERROR frame reasons (§4.5). */
enum hb_link_reason {
	HB_LINK_R_BAD_HCRC = 1,
	HB_LINK_R_BAD_CRC = 2,
	HB_LINK_R_OVERSIZE = 3,
	HB_LINK_R_TIMEOUT = 4,
	HB_LINK_R_UNKNOWN_TYPE = 5,
	HB_LINK_R_BAD_LENGTH = 6,
	HB_LINK_R_BAD_ARG = 7,
	HB_LINK_R_NOT_CONFIGURED = 8,
	HB_LINK_R_BUSY = 9,
};

/* Memory regions addressed by LOAD / READ / STREAM (§3). */
enum hb_link_region {
	HB_LINK_REGION_CONFIG = 0,
	HB_LINK_REGION_WEIGHTS = 1,
	HB_LINK_REGION_INPUT = 2,
};

/* IDENTIFY capability bits (§4.1). */
#define HB_LINK_CAP_BATCH (1u << 0)
#define HB_LINK_CAP_READ (1u << 1)
#define HB_LINK_CAP_DONE_PIN (1u << 2)
#define HB_LINK_CAP_BUSY_PIN (1u << 3)
#define HB_LINK_CAP_CHECK (1u << 4)    /* CHECK: CRC-16 of a range (§4.6) */
#define HB_LINK_CAP_PIPELINE (1u << 5) /* LOADs may be pipelined, two outstanding (§2) */

/* "IDENTIFY", "LOAD" … ; for a response type (bit 7 set) the request's name;
 * "ERROR" for 0xFF; "UNKNOWN" otherwise. Never NULL. */
const char *hb_link_type_name(uint8_t type);
/* "BAD_HCRC" … "BUSY"; "UNKNOWN" for any other code. Never NULL. */
const char *hb_link_reason_name(uint8_t reason);
/* True for the reasons after which the host retries (BAD_HCRC, BAD_CRC,
 * TIMEOUT, BUSY; OVERSIZE too, since a corrupted len byte causes it). */
bool hb_link_reason_retryable(uint8_t reason);

/* ---- CRCs ---------------------------------------------------------------- */

/* CRC-8/SMBUS: poly 0x07, init 0x00, no reflection, no xorout. "123456789" → 0xF4.
 * Pass crc = 0 to start; feed the previous result to continue over pieces. */
uint8_t hb_link_crc8(uint8_t crc, const void *data, size_t len);
/* CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, no xorout.
 * "123456789" → 0x29B1. Pass crc = 0xFFFF to start. */
uint16_t hb_link_crc16(uint16_t crc, const void *data, size_t len);
/* The CRC-16 table entry for byte b, computed bit by bit, and the plain one-table loop:
 * references for the tests of the sliced hb_link_crc16(). */
uint16_t hb_link_crc16_table_entry(uint8_t b);
uint16_t hb_link_crc16_bytewise(uint16_t crc, const void *data, size_t len);

/* ---- frames -------------------------------------------------------------- */

/* Encode one frame: SOF, type, seq, len, hcrc, payload, crc16 (lo, hi).
 * len ≤ HB_LINK_MAX_PAYLOAD; payload may be NULL when len is 0.
 * Writes len + 8 bytes. */
enum hb_status hb_link_frame_encode(uint8_t type, uint8_t seq, const void *payload, size_t len,
				    uint8_t *out, size_t cap, size_t *out_len);

/* What the decoder reports. */
enum hb_link_event_kind {
	HB_LINK_EV_NONE = 0,  /* all input consumed, nothing to report yet */
	HB_LINK_EV_FRAME,     /* a complete frame with valid hcrc and crc */
	HB_LINK_EV_BAD_HCRC,  /* header CRC-8 wrong; hunting restarted after its SOF */
	HB_LINK_EV_OVERSIZE,  /* valid header with len > max_payload; hunting again */
	HB_LINK_EV_BAD_CRC,   /* complete frame whose CRC-16 is wrong; dropped */
	HB_LINK_EV_TIMEOUT,   /* hb_link_decoder_timeout() dropped a partial frame */
};

struct hb_link_event {
	enum hb_link_event_kind kind;
	/* Header fields as received. For BAD_HCRC they are unchecked (maybe
	 * garbage: the device still echoes seq in its ERROR frame). For TIMEOUT
	 * they are valid only if have_header. */
	uint8_t type;
	uint8_t seq;
	uint16_t len;
	bool have_header;       /* TIMEOUT: the header had been completed */
	size_t received;        /* TIMEOUT: bytes of the partial frame (SOF included) */
	/* FRAME: the payload, pointing into the decoder; valid until the next
	 * call on the decoder. BAD_CRC, and TIMEOUT with have_header: the payload
	 * bytes as received, UNVERIFIED (a device that writes data as it arrives,
	 * as the gateware does, has written them: fakes use this); for TIMEOUT
	 * only received - 6 of them (at most len) are there. NULL otherwise. */
	const uint8_t *payload;
	/* FRAME only: the whole frame (SOF … crc), also valid until the next call. */
	const uint8_t *frame;
	size_t frame_len;
};

struct hb_link_decoder_stats {
	uint64_t frames_ok;
	uint64_t bad_hcrc;
	uint64_t bad_crc;
	uint64_t oversize;
	uint64_t timeouts;
	/* Bytes dropped while hunting for SOF: foreign bytes, the payload bytes
	 * of an oversize frame, and the non-SOF bytes of a bad header that are
	 * re-scanned after it. */
	uint64_t garbage_bytes;
};

/* The receiver state machine. Treat the fields as private; read stats. */
struct hb_link_decoder {
	uint16_t max_payload;
	uint8_t state;                    /* private */
	size_t n;                         /* private: bytes of the current frame */
	size_t need;                      /* private: frame length once the header is known */
	uint8_t replay[HB_LINK_HDR_LEN * 2]; /* private: bytes to re-scan after a bad header */
	size_t replay_n, replay_pos;      /* private */
	uint8_t buf[HB_LINK_MAX_FRAME];   /* private */
	struct hb_link_decoder_stats stats;
};

/* Initialise. max_payload: 1 … HB_LINK_MAX_PAYLOAD; 0 means HB_LINK_MAX_PAYLOAD.
 * (Frames with a larger len are reported as OVERSIZE.) */
void hb_link_decoder_init(struct hb_link_decoder *d, size_t max_payload);
/* Drop any partial frame and pending bytes (keeps stats and max_payload). */
void hb_link_decoder_reset(struct hb_link_decoder *d);

/* Feed bytes. Processes input until it has something to report or the input
 * is exhausted; returns through *ev (kind NONE when nothing happened) and
 * through *consumed how many of `len` input bytes it used. Call again with
 * the rest (data + consumed, len - consumed) until consumed == len AND
 * ev->kind == NONE. len may be 0 (processes internally pending bytes only).
 * Never reads beyond data[len-1]; any chunking gives the same events. */
void hb_link_decoder_feed(struct hb_link_decoder *d, const uint8_t *data, size_t len,
			  size_t *consumed, struct hb_link_event *ev);

/* The caller saw no byte for the inter-byte timeout. If a frame is partly
 * received, drop it and report TIMEOUT (returns true, *ev filled); otherwise
 * return false (ev->kind = NONE). */
bool hb_link_decoder_timeout(struct hb_link_decoder *d, struct hb_link_event *ev);

/* True while the decoder is inside a frame (the inter-byte timeout applies). */
bool hb_link_decoder_in_frame(const struct hb_link_decoder *d);

/* ---- message payloads (§4) ---------------------------------------------- */
/* Requests with an empty payload: IDENTIFY, COUNTERS, RESET (and RESET's
 * response). Encode them with hb_link_frame_encode(type, seq, NULL, 0, …). */

/* IDENTIFY response (§4.1): 40 bytes + 2·(n_layers+1). */
struct hb_link_identity {
	uint8_t proto_version;
	uint8_t family; /* 0 sim, 1 ice40, 2 ecp5, 3 artix7 */
	uint16_t lanes; /* P */
	uint32_t build_hash;
	uint32_t clock_hz;
	uint8_t counter_bits;
	uint8_t max_layers;
	uint16_t max_payload;
	uint16_t max_n_in;
	uint16_t max_n_out;
	uint16_t max_L;
	uint16_t capabilities; /* HB_LINK_CAP_* */
	uint32_t weight_mem_bytes;
	uint32_t input_mem_bytes;
	uint32_t hidden_mem_bits;
	uint8_t configured;
	uint8_t n_layers; /* K, 0 if unconfigured */
	uint16_t L;       /* 0 if unconfigured */
	/* n_in[0], n_out[0] … n_out[K-1]; K+1 entries on the wire (one, 0, when
	 * K = 0). Entries beyond are 0 after decode. */
	uint16_t sizes[HB_LINK_MAX_SIZES];
};
#define HB_LINK_IDENTITY_FIXED_LEN 40
enum hb_status hb_link_identity_encode(const struct hb_link_identity *id, uint8_t *out,
				       size_t cap, size_t *out_len);
/* HB_ERR_FORMAT if len != 40 + 2·(n_layers+1) or n_layers > 4. */
enum hb_status hb_link_identity_decode(const uint8_t *p, size_t len, struct hb_link_identity *id);
/* "sim", "ice40", "ecp5", "artix7", "unknown". */
const char *hb_link_family_name(uint8_t family);

/* LOAD request: u8 region, u32 offset, data (1 … 1019 bytes). `data` points
 * into the payload after decode. */
struct hb_link_load_req {
	uint8_t region;
	uint32_t offset;
	const uint8_t *data;
	size_t count;
};
enum hb_status hb_link_load_req_encode(const struct hb_link_load_req *r, uint8_t *out, size_t cap,
				       size_t *out_len);
/* HB_ERR_FORMAT if len < 6 (no data). */
enum hb_status hb_link_load_req_decode(const uint8_t *p, size_t len, struct hb_link_load_req *r);

/* LOAD response (7 bytes) and READ request (7 bytes) share this shape:
 * u8 region, u32 offset, u16 count. */
struct hb_link_span {
	uint8_t region;
	uint32_t offset;
	uint16_t count;
};
#define HB_LINK_SPAN_LEN 7
enum hb_status hb_link_span_encode(const struct hb_link_span *s, uint8_t *out, size_t cap,
				   size_t *out_len);
enum hb_status hb_link_span_decode(const uint8_t *p, size_t len, struct hb_link_span *s);
/* READ response: the data itself (count bytes), no codec needed.
 * CHECK request (§4.6): the same span, count 1 … 65535. */

/* CHECK response (9 bytes): the span echoed, then the CRC-16 (hb_link_crc16 from 0xFFFF)
 * of the count bytes of the region from the offset. */
struct hb_link_check_resp {
	struct hb_link_span span;
	uint16_t crc;
};
#define HB_LINK_CHECK_RESP_LEN 9
enum hb_status hb_link_check_resp_encode(const struct hb_link_check_resp *r, uint8_t *out,
					 size_t cap, size_t *out_len);
enum hb_status hb_link_check_resp_decode(const uint8_t *p, size_t len,
					 struct hb_link_check_resp *r);

/* STREAM request: u32 offset, data (1 … 1020 bytes) into INPUT. */
struct hb_link_stream_req {
	uint32_t offset;
	const uint8_t *data;
	size_t count;
};
enum hb_status hb_link_stream_req_encode(const struct hb_link_stream_req *r, uint8_t *out,
					 size_t cap, size_t *out_len);
enum hb_status hb_link_stream_req_decode(const uint8_t *p, size_t len,
					 struct hb_link_stream_req *r);

/* STREAM response (14 bytes): u32 offset, u16 count, u64 stamp. */
struct hb_link_stream_resp {
	uint32_t offset;
	uint16_t count;
	uint64_t stamp; /* device cycle counter when the frame was accepted */
};
#define HB_LINK_STREAM_RESP_LEN 14
enum hb_status hb_link_stream_resp_encode(const struct hb_link_stream_resp *r, uint8_t *out,
					  size_t cap, size_t *out_len);
enum hb_status hb_link_stream_resp_decode(const uint8_t *p, size_t len,
					  struct hb_link_stream_resp *r);

/* INFER and BATCH requests: one u32 (sample_id, resp. n). */
#define HB_LINK_U32_REQ_LEN 4
enum hb_status hb_link_u32_encode(uint32_t v, uint8_t *out, size_t cap, size_t *out_len);
enum hb_status hb_link_u32_decode(const uint8_t *p, size_t len, uint32_t *v);

/* INFER response (§4.2): 28 bytes + 2·n_out. */
struct hb_link_infer_result {
	uint32_t sample_id;
	uint8_t class_id;
	uint16_t n_out;   /* ≤ HB_LINK_MAX_N_OUT */
	uint64_t t_start;
	uint64_t t_done;
	uint32_t busy_cycles;
	uint16_t counts[HB_LINK_MAX_N_OUT];
};
#define HB_LINK_INFER_FIXED_LEN 28
enum hb_status hb_link_infer_result_encode(const struct hb_link_infer_result *r, uint8_t *out,
					   size_t cap, size_t *out_len);
/* HB_ERR_FORMAT if len != 28 + 2·n_out or n_out > 256. */
enum hb_status hb_link_infer_result_decode(const uint8_t *p, size_t len,
					   struct hb_link_infer_result *r);

/* BATCH response (§4.3): 32 bytes + 2·n_out. */
struct hb_link_batch_result {
	uint32_t n;
	uint8_t class_id; /* of the last inference */
	uint16_t n_out;
	uint64_t t_first_start;
	uint64_t t_last_done;
	uint64_t busy_cycles; /* total over the n inferences */
	uint16_t counts[HB_LINK_MAX_N_OUT]; /* of the last inference */
};
#define HB_LINK_BATCH_FIXED_LEN 32
enum hb_status hb_link_batch_result_encode(const struct hb_link_batch_result *r, uint8_t *out,
					   size_t cap, size_t *out_len);
enum hb_status hb_link_batch_result_decode(const uint8_t *p, size_t len,
					   struct hb_link_batch_result *r);

/* COUNTERS response (§4.4, 48 bytes). */
struct hb_link_counters {
	uint64_t cycle_now;
	uint32_t frames_ok;
	uint32_t frames_bad_hcrc;
	uint32_t frames_bad_crc;
	uint32_t frames_oversize;
	uint32_t frames_timeout;
	uint32_t frames_rejected;
	uint32_t garbage_bytes;
	uint32_t inferences;
	uint64_t busy_cycles;
};
#define HB_LINK_COUNTERS_LEN 48
enum hb_status hb_link_counters_encode(const struct hb_link_counters *c, uint8_t *out, size_t cap,
				       size_t *out_len);
enum hb_status hb_link_counters_decode(const uint8_t *p, size_t len, struct hb_link_counters *c);

/* ERROR payload (2 bytes): u8 reason, u8 request type (0 if unknown). */
struct hb_link_error {
	uint8_t reason;       /* enum hb_link_reason */
	uint8_t request_type; /* enum hb_link_type or 0 */
};
#define HB_LINK_ERROR_LEN 2
enum hb_status hb_link_error_encode(const struct hb_link_error *e, uint8_t *out, size_t cap,
				    size_t *out_len);
enum hb_status hb_link_error_decode(const uint8_t *p, size_t len, struct hb_link_error *e);

/* Request payload length rules of §4: true if `len` is acceptable for a
 * request of `type` (the device answers BAD_LENGTH otherwise). Unknown types
 * return false. Variable-length requests are bounded by HB_LINK_MAX_PAYLOAD. */
bool hb_link_request_len_ok(uint8_t type, size_t len);

/* ---- CONFIG region (§3.1) and WEIGHTS (§3.2) ---------------------------- */

/* One layer block of CONFIG. Meaning of the fields: docs/semantics.md. */
struct hb_link_layer {
	uint16_t wt_seed;
	uint16_t wi_seed;
	int16_t i_scale; /* Q8.8 */
	int16_t v_th;
	int16_t v_reset;
	int16_t v_rest;
	int16_t leak;
	int16_t gain;
	uint8_t refractory;
};

/* A network as the link sees it: plain data, no dependency on the golden
 * model library (the caller fills it from its own network struct).
 *   sizes[0] = n_in[0], sizes[k+1] = n_out[k]; so n_in[k] = sizes[k].
 *   w_offset[k] is computed by hb_link_netcfg_layout() (layers back to back
 *   from 0); pack/unpack carry whatever is in it. */
struct hb_link_netcfg {
	uint8_t n_layers; /* K, 1 … 4 */
	uint16_t L;
	uint16_t in_seed;
	uint16_t in_stride;
	uint16_t sizes[HB_LINK_MAX_SIZES];
	struct hb_link_layer layer[HB_LINK_MAX_LAYERS];
	uint32_t w_offset[HB_LINK_MAX_LAYERS];
};

/* Check the network against the limits of docs/semantics.md (K 1…4, every
 * size ≥ 1, n_in ≤ 1024, n_out ≤ 256, L ≥ 8 and a multiple of 8 so the INPUT
 * layout's L/8 is exact) and, if id is not NULL, against the device
 * (K ≤ max_layers, sizes ≤ max_n_in/max_n_out, L ≤ max_L and a multiple of
 * lanes, weights/inputs fit their memories). On failure returns HB_ERR_RANGE
 * and writes a one-line reason to why (if not NULL). */
enum hb_status hb_link_netcfg_check(const struct hb_link_netcfg *c,
				    const struct hb_link_identity *id, char *why, size_t why_cap);
/* Fill w_offset[] (layer k at Σ_{m<k} n_out[m]·n_in[m]; unused layers 0) and
 * return the total WEIGHTS bytes through *weight_bytes (may be NULL). */
void hb_link_netcfg_layout(struct hb_link_netcfg *c, size_t *weight_bytes);
/* Σ_k n_out[k]·n_in[k]: bytes of WEIGHTS the network uses. */
size_t hb_link_netcfg_weight_bytes(const struct hb_link_netcfg *c);
/* n_in[0]·L/8: bytes of INPUT one inference uses. */
size_t hb_link_netcfg_input_bytes(const struct hb_link_netcfg *c);
/* Build the 160-byte CONFIG image (cap ≥ 160). Unused layer blocks and
 * reserved bytes are 0. Does not validate (call check first). */
enum hb_status hb_link_netcfg_pack(const struct hb_link_netcfg *c, uint8_t *out, size_t cap,
				   size_t *out_len);
/* Parse a CONFIG image (exactly 160 bytes). Does not validate. */
enum hb_status hb_link_netcfg_unpack(const uint8_t *p, size_t len, struct hb_link_netcfg *c);

/* Pack WEIGHTS (§3.2): for layer k, weights[k] is that layer's n_out·n_in
 * synapse bytes, row-major (neuron j, input i at j·n_in + i), already in the
 * wire form sign<<7 | magnitude. Writes layer after layer at the offsets of
 * c->w_offset (call hb_link_netcfg_layout first), reports the image size
 * (max over layers of w_offset + n_out·n_in) through *out_len. */
enum hb_status hb_link_weights_pack(const struct hb_link_netcfg *c,
				    const uint8_t *const weights[HB_LINK_MAX_LAYERS], uint8_t *out,
				    size_t cap, size_t *out_len);
/* One synapse byte from a sign (0 excitatory, 1 inhibitory) and a magnitude
 * 0…127 (docs/semantics.md §4). Returns 0xFF-masked byte; magnitude is
 * clamped to 127. */
static inline uint8_t hb_link_weight_byte(int inhibitory, unsigned magnitude)
{
	return (uint8_t)((inhibitory ? 0x80u : 0u) | (magnitude > 127u ? 127u : magnitude));
}

/* INPUT (§3.3): set time step t of input i in an INPUT image of row stride
 * L/8 bytes (bit t%8 of byte i·L/8 + t/8). */
static inline void hb_link_input_set_bit(uint8_t *img, unsigned L, unsigned i, unsigned t,
					 int bit)
{
	size_t at = (size_t)i * (L / 8u) + t / 8u;
	uint8_t m = (uint8_t)(1u << (t % 8u));
	img[at] = bit ? (uint8_t)(img[at] | m) : (uint8_t)(img[at] & ~m);
}
static inline int hb_link_input_get_bit(const uint8_t *img, unsigned L, unsigned i, unsigned t)
{
	return (img[(size_t)i * (L / 8u) + t / 8u] >> (t % 8u)) & 1;
}

#ifdef __cplusplus
}
#endif
#endif
