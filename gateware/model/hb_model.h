/* hb_model — the bit-exact golden model of the SC-SNN engine (docs/semantics.md).
 *
 * What it does, in the order a host uses it:
 *   1. hb_net_load()      read a network file (docs/network-format.md) into a struct hb_net;
 *   2. hb_model_encode()  turn layer-0 input values (uint16, probability v/65536) into the
 *                         input bitstreams, in the exact byte layout the gateware receives;
 *   3. hb_model_infer()   run one inference from those bitstreams and return every layer's
 *                         spike counts and the class, exactly as the gateware computes them.
 *
 * The library is pure computation: no I/O except the explicit file loaders
 * (hb_net_load, hb_digits_load), no stdout, no global state. All functions are reentrant.
 *
 * Bitstream layout (input streams, and the optional spike traces):
 *   stride = hb_model_stream_bytes(L) = ceil(L / 8) bytes per stream;
 *   stream i starts at byte i * stride; bit t of stream i is bit (t % 8) (LSB first)
 *   of byte i * stride + t / 8. Unused high bits of the last byte are 0.
 * The gateware streams whole bytes, so a network that is streamed must have L % 8 == 0
 * (in practice L must also be a multiple of the engine's lane count P). The model itself
 * accepts any 1 <= L <= HB_MODEL_MAX_L.
 *
 * Two implementations compute the same bits:
 *   hb_model_infer()        word-parallel (64 time steps per uint64), the one to use;
 *   hb_model_infer_naive()  a literal transcription of docs/semantics.md §7, kept as the
 *                           reference for tests and as the benchmark baseline.
 */
#ifndef HB_MODEL_H
#define HB_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "hb_status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HB_MODEL_MAX_LAYERS 4
#define HB_MODEL_MAX_IN 1024   /* inputs per layer */
#define HB_MODEL_MAX_OUT 256   /* neurons per layer */
#define HB_MODEL_MAX_L 4096    /* bitstream length (time steps) */
#define HB_MODEL_NAME_MAX 64

/* One layer. Parameters are int16 (Q8.8 where they are a value), see semantics §5-6. */
struct hb_layer {
	unsigned n_in;        /* inputs (n_out of the previous layer for k > 0) */
	unsigned n_out;       /* neurons */
	uint16_t wt_seed;     /* W_k(t) = S^t(wt_seed): per-time-step LFSR state, non-zero */
	uint16_t wi_seed;     /* Q_k(i) = S^i(wi_seed): per-input LFSR state, non-zero */
	int16_t i_scale;      /* I = sat16((E - H) * i_scale), Q8.8 */
	int16_t v_th;         /* spike when v_next >= v_th (signed) */
	int16_t v_reset;      /* membrane after a spike */
	int16_t v_rest;       /* membrane at reset and during refractory steps */
	int16_t leak;         /* dv_leak = ((v_rest - v) * leak) >>> 8 */
	int16_t gain;         /* dv_in = (I * gain) >>> 8 */
	uint8_t refractory;   /* steps held at v_rest after a spike, 0..255 */
	/* n_out * n_in weight bytes, row-major: synapse (neuron j, input i) at [j * n_in + i].
	 * Byte = sign << 7 | magnitude; sign 1 = inhibitory; magnitude 0..127 (probability m/128). */
	uint8_t *weights;
};

/* A network. The struct is caller-owned (usually on the stack); hb_net_load()/hb_net_init()
 * fill it and allocate the weight arrays, hb_net_free() releases them. Fields may be read
 * directly; the accessors below exist for code that prefers not to. Changing L after loading
 * is allowed (hb_net_validate() checks it again). */
struct hb_net {
	char name[HB_MODEL_NAME_MAX];
	unsigned n_layers;    /* K, 1..4 */
	unsigned L;           /* default bitstream length from the file */
	uint16_t in_seed;     /* seed_in(i) = (in_seed + in_stride * i) mod 65536 */
	uint16_t in_stride;
	struct hb_layer layers[HB_MODEL_MAX_LAYERS];
};

/* The result of one inference. Counts are <= L. */
struct hb_model_result {
	unsigned n_layers;
	uint16_t counts[HB_MODEL_MAX_LAYERS][HB_MODEL_MAX_OUT]; /* counts[k][j], j < n_out[k] */
	unsigned cls;         /* argmax_j counts[K-1][j], ties to the lowest j */
};

/* ---- LFSR and the per-bit definitions (semantics §2-4) ---- */

/* One step of the 16-bit Fibonacci LFSR x^16+x^14+x^13+x^11+1:
 * ((s << 1) & 0xFFFF) | (s15 ^ s13 ^ s12 ^ s10). Never returns 0 for s != 0. */
static inline uint16_t hb_lfsr_step(uint16_t s)
{
	unsigned fb = ((s >> 15) ^ (s >> 13) ^ (s >> 12) ^ (s >> 10)) & 1u;
	return (uint16_t)(((unsigned)s << 1) | fb);
}
/* S^n(s): n steps. */
uint16_t hb_lfsr_advance(uint16_t s, unsigned n);

/* seed_in(i) = (in_seed + in_stride * i) mod 65536 (may be 0 in a malformed net). */
uint16_t hb_model_input_seed(const struct hb_net *net, unsigned i);
/* x_i(t) of a layer-0 input with value v: [S^t(seed_in(i)) < v]. */
int hb_model_input_bit(const struct hb_net *net, unsigned i, uint16_t v, unsigned t);
/* b_{j,i}(t) of layer k: [((S^t(wt_seed) ^ S^i(wi_seed)) >> 9) < m_{j,i}]. Slow (steps the
 * LFSRs from the seeds); for testbenches that want to check single bits. */
int hb_model_weight_bit(const struct hb_net *net, unsigned k, unsigned j, unsigned i, unsigned t);

/* ---- Networks ---- */

/* Load and validate a network file (JSON, docs/network-format.md). On failure returns
 * HB_ERR_NOTFOUND/HB_ERR_PERM/HB_ERR_IO (cannot read), HB_ERR_FORMAT (a directory, syntax,
 * missing or bad field),
 * HB_ERR_CRC (weights checksum) or HB_ERR_RANGE (a value out of range), leaves *net empty,
 * and writes a one-line reason with its position into err (if errlen > 0), e.g.
 *   "digits.json:12:7: layers[0].v_th: expected an integer in -32768..32767, got 40000".
 * hb_net_parse() does the same from memory; `origin` names the text in messages. */
enum hb_status hb_net_load(const char *path, struct hb_net *net, char *err, size_t errlen);
enum hb_status hb_net_parse(const char *text, size_t len, const char *origin, struct hb_net *net,
			    char *err, size_t errlen);
/* Where a field of a network file is, for a caller's message about a value that loaded but
 * does not suit it (e.g. an L the link cannot stream): "path:line:col: key" (layer < 0: a
 * top-level key; layer >= 0: "layers[k].key"), or "path: key" if the file cannot be read
 * again. Always writes a NUL-terminated string (cap > 0). */
void hb_net_where(const char *path, int layer, const char *key, char *out, size_t cap);
/* Write a network as JSON (hex seeds, base64 weights, CRC-32) into a malloc'd string *out;
 * release it with free(). */
enum hb_status hb_net_to_json(const struct hb_net *net, char **out);
/* Release the weight arrays and zero the struct. Safe on a zeroed or already freed net. */
void hb_net_free(struct hb_net *net);

/* Build a network in memory: K layers with the given sizes (sizes[0] = n_in of layer 0,
 * sizes[k+1] = n_out of layer k), zeroed weights, and neutral defaults (seeds 0xACE1/7,
 * wt_seed/wi_seed distinct non-zero, i_scale 256, v_th 256, leak 0, gain 256, the rest 0).
 * The caller then sets parameters and weights. */
enum hb_status hb_net_init(struct hb_net *net, unsigned n_layers, const unsigned *sizes, unsigned L);
/* Check every limit of semantics §1 and the seeds (non-zero, input seeds never 0).
 * Writes the reason into err. */
enum hb_status hb_net_validate(const struct hb_net *net, char *err, size_t errlen);

/* Accessors (for callers that treat the net as opaque). */
static inline unsigned hb_net_layers(const struct hb_net *n) { return n->n_layers; }
static inline unsigned hb_net_length(const struct hb_net *n) { return n->L; }
static inline unsigned hb_net_inputs(const struct hb_net *n) { return n->layers[0].n_in; }
static inline unsigned hb_net_outputs(const struct hb_net *n) { return n->layers[n->n_layers - 1].n_out; }
static inline const struct hb_layer *hb_net_layer(const struct hb_net *n, unsigned k) { return &n->layers[k]; }
static inline const uint8_t *hb_net_weights(const struct hb_net *n, unsigned k) { return n->layers[k].weights; }
/* Total synapses Σ n_in·n_out. */
size_t hb_net_synapses(const struct hb_net *net);

/* ---- Encoding and inference ---- */

/* Bytes of one bitstream of length L: ceil(L/8). */
static inline size_t hb_model_stream_bytes(unsigned L) { return (L + 7u) / 8u; }
/* Bytes of all layer-0 input bitstreams: n_in[0] * ceil(L/8). */
size_t hb_model_input_bytes(const struct hb_net *net);

/* values[i] (i < n_in[0]) -> bits (hb_model_input_bytes(net) bytes, layout above). */
enum hb_status hb_model_encode(const struct hb_net *net, const uint16_t *values, uint8_t *bits);

/* One inference from the input bitstreams (bits beyond L in the last byte are ignored).
 * spikes, if not NULL, is an array of K pointers; each non-NULL spikes[k] receives the spike
 * trains of layer k, n_out[k] streams in the bitstream layout (n_out[k] * ceil(L/8) bytes).
 * Returns HB_ERR_ARG for a NULL argument or an invalid net, HB_ERR_NOMEM. */
enum hb_status hb_model_infer(const struct hb_net *net, const uint8_t *bits,
			      struct hb_model_result *res);
enum hb_status hb_model_infer_ex(const struct hb_net *net, const uint8_t *bits,
				 struct hb_model_result *res, uint8_t *const *spikes);
/* The literal reference implementation (same contract, 5-20x slower). */
enum hb_status hb_model_infer_naive(const struct hb_net *net, const uint8_t *bits,
				    struct hb_model_result *res);
enum hb_status hb_model_infer_naive_ex(const struct hb_net *net, const uint8_t *bits,
				       struct hb_model_result *res, uint8_t *const *spikes);
/* Convenience: encode values then hb_model_infer(). */
enum hb_status hb_model_infer_values(const struct hb_net *net, const uint16_t *values,
				     struct hb_model_result *res);

/* One LIF update (semantics §6) on (*v, *rc) with current I; returns the spike (0/1).
 * Exposed for unit tests and testbenches. */
int hb_model_lif_step(const struct hb_layer *ly, int16_t *v, unsigned *rc, int16_t I);
/* I = sat16((E - H) * i_scale). */
int16_t hb_model_current(const struct hb_layer *ly, int E, int H);

/* ---- The digits data set (tests/data/digits/digits.csv, docs/network-format.md) ---- */

#define HB_DIGITS_PIXELS 64

struct hb_digits {
	unsigned n;               /* samples */
	uint8_t (*pixels)[HB_DIGITS_PIXELS]; /* n x 64 values 0..16 (8x8 image, row-major) */
	uint8_t *labels;          /* n labels 0..9 */
	uint8_t *held_out;        /* n flags: 1 = held-out (test split), 0 = training */
	unsigned n_test;          /* number of held-out samples */
	unsigned *test_idx;       /* their indices, ascending */
};

/* Load the digits CSV; errors name the line and column. hb_digits_free() releases it. */
enum hb_status hb_digits_load(const char *path, struct hb_digits *d, char *err, size_t errlen);
void hb_digits_free(struct hb_digits *d);
/* Pixel p (0..16) -> input value round(p * 65535 / 16) (0 -> 0, 16 -> 65535). */
uint16_t hb_digits_value(unsigned p);
/* The 64 input values of sample s. */
void hb_digits_values(const struct hb_digits *d, unsigned s, uint16_t values[HB_DIGITS_PIXELS]);

#ifdef __cplusplus
}
#endif
#endif
