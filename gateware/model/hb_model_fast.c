/* hb_model — word-parallel inference: 64 time steps per uint64.
 *
 * The same computation as hb_model_infer_naive() (docs/semantics.md §7), reorganised:
 *
 * 1. Weight bits by table. With a7(i,t) = (W_k(t) ^ Q_k(i)) >> 9 = w7(t) ^ q7(i), the weight
 *    bit of synapse (j,i) at step t is [a7(i,t) < m_ji]. For one chunk of 64 steps and one
 *    input i, the table T_i[m] (m = 0..127) holds, as a 64-bit mask over the steps, every
 *    step where a7(i,t) < m, already ANDed with the input bits x_i. It is built from
 *    eq[v] = {t : w7(t) = v} (once per chunk) as T_i[m] = T_i[m-1] | eq[(m-1) ^ q7(i)].
 *    Every neuron then gets its 64 synapse bits x_i & b_ji with one load: T_i[m_ji].
 * 2. Input-major order: per chunk, for each input, build T_i (1 KiB, stays in L1) and add its
 *    bits into every neuron's counters; the weights are transposed once per layer so that
 *    input i's column is contiguous.
 * 3. Bit-sliced counters. E_j(t) and H_j(t) for 64 steps are kept as bit planes (plane p =
 *    bit p of the count of every step); adding 64 synapse bits is a ripple-carry add of one
 *    word into the planes (fixed depth: branch-free). The planes are turned back into 64
 *    counts with 8x8 bit-matrix transposes.
 * 4. Inputs that are silent during a chunk (x word 0) are skipped altogether.
 * 5. The LIF update stays scalar (it is per neuron-step, not per synapse-step).
 *
 * Only the order of the additions changes, and integer addition is exact, so the bits are the
 * same as the reference's; tests/unit/model checks that on random networks. */
#include <stdlib.h>
#include <string.h>

#include "hb_activity.h"
#include "hb_model.h"
#include "hb_model_int.h"

#define CHUNK 64
#define MAXPLANES 11 /* counts up to HB_MODEL_MAX_IN = 1024 need 11 bits */

static unsigned bit_length(unsigned x)
{
	unsigned n = 0;
	while (x) {
		n++;
		x >>= 1;
	}
	return n;
}

static inline uint64_t load_le64(const uint8_t *p, size_t n)
{
	uint64_t w = 0;
	for (size_t b = 0; b < n; b++)
		w |= (uint64_t)p[b] << (8 * b);
	return w;
}

/* Transpose an 8x8 bit matrix held in a uint64 (byte r = row r, bit c = column c). */
static inline uint64_t transpose8(uint64_t x)
{
	uint64_t t;
	t = (x ^ (x >> 7)) & UINT64_C(0x00AA00AA00AA00AA);
	x = x ^ t ^ (t << 7);
	t = (x ^ (x >> 14)) & UINT64_C(0x0000CCCC0000CCCC);
	x = x ^ t ^ (t << 14);
	t = (x ^ (x >> 28)) & UINT64_C(0x00000000F0F0F0F0);
	x = x ^ t ^ (t << 28);
	return x;
}

/* Bit-sliced counter (plane p = bit p of the count of each of 64 steps) -> 64 counts. */
static void unslice(const uint64_t *planes, unsigned nplanes, uint16_t *cnt)
{
	for (unsigned g = 0; g < 8; g++) {
		uint64_t lo = 0, hi = 0;
		for (unsigned p = 0; p < nplanes && p < 8; p++)
			lo |= ((planes[p] >> (8 * g)) & 0xFFu) << (8 * p);
		for (unsigned p = 8; p < nplanes; p++)
			hi |= ((planes[p] >> (8 * g)) & 0xFFu) << (8 * (p - 8));
		lo = transpose8(lo);
		hi = transpose8(hi);
		for (unsigned c = 0; c < 8; c++)
			cnt[8 * g + c] = (uint16_t)(((lo >> (8 * c)) & 0xFFu) | ((hi >> (8 * c)) & 0xFFu) << 8);
	}
}

struct scratch {
	uint64_t *X;     /* current layer's input streams, [n_in][nw] */
	uint64_t *Y;     /* current layer's output spike streams, [n_out][nw] */
	uint16_t *Q7;    /* q7(i) of every input */
	uint64_t *P;     /* bit-sliced counters, [n_out][2 * MAXPLANES] (E planes, then H planes) */
	uint8_t *WT;     /* the layer's weights transposed: [i][j] */
};

enum hb_status hb_model_infer_count(const struct hb_net *net, const uint8_t *bits,
				    struct hb_model_result *res, uint8_t *const *spikes,
				    uint64_t *syn)
{
	if (!net || !bits || !res || hb_net_validate(net, NULL, 0) != HB_OK)
		return HB_ERR_ARG;
	const unsigned L = net->L;
	const unsigned nw = (L + CHUNK - 1) / CHUNK;
	const size_t stride = hb_model_stream_bytes(L);
	unsigned max_in = 0, max_out = 0;
	for (unsigned k = 0; k < net->n_layers; k++) {
		if (net->layers[k].n_in > max_in)
			max_in = net->layers[k].n_in;
		if (net->layers[k].n_out > max_out)
			max_out = net->layers[k].n_out;
	}
	struct scratch s = {
		.X = malloc(sizeof(uint64_t) * nw * (max_in > max_out ? max_in : max_out)),
		.Y = malloc(sizeof(uint64_t) * nw * max_out),
		.Q7 = malloc(sizeof(uint16_t) * max_in),
		.P = malloc(sizeof(uint64_t) * 2 * MAXPLANES * max_out),
		.WT = malloc((size_t)max_in * max_out),
	};
	int16_t *v = malloc(sizeof *v * max_out);
	unsigned *rc = malloc(sizeof *rc * max_out);
	if (!s.X || !s.Y || !s.Q7 || !s.P || !s.WT || !v || !rc) {
		free(s.X), free(s.Y), free(s.Q7), free(s.P), free(s.WT), free(v), free(rc);
		return HB_ERR_NOMEM;
	}
	memset(res, 0, sizeof *res);
	res->n_layers = net->n_layers;

	/* Layer-0 input streams: bytes -> words, bits beyond L cleared. */
	for (unsigned i = 0; i < net->layers[0].n_in; i++) {
		const uint8_t *row = bits + (size_t)i * stride;
		for (unsigned w = 0; w < nw; w++) {
			size_t off = (size_t)w * 8, n = stride - off < 8 ? stride - off : 8;
			uint64_t x = load_le64(row + off, n);
			unsigned valid = L - w * CHUNK;
			if (valid < CHUNK)
				x &= (UINT64_C(1) << valid) - 1;
			s.X[(size_t)i * nw + w] = x;
		}
	}

	for (unsigned k = 0; k < net->n_layers; k++) {
		const struct hb_layer *ly = &net->layers[k];
		const unsigned n_in = ly->n_in, n_out = ly->n_out;
		const unsigned nplanes = bit_length(n_in);
		uint16_t q = ly->wi_seed;
		for (unsigned i = 0; i < n_in; i++) {
			s.Q7[i] = (uint16_t)(q >> 9);
			q = hb_lfsr_step(q);
		}
		for (unsigned j = 0; j < n_out; j++) {
			v[j] = ly->v_rest;
			rc[j] = 0;
			for (unsigned i = 0; i < n_in; i++)
				s.WT[(size_t)i * n_out + j] = ly->weights[(size_t)j * n_in + i];
		}
		uint16_t wstate = ly->wt_seed; /* W_k(t) at the start of the chunk */
		for (unsigned w = 0; w < nw; w++) {
			const unsigned t0 = w * CHUNK;
			const unsigned steps = L - t0 < CHUNK ? L - t0 : CHUNK;
			/* eq[v] = steps of this chunk where w7(t) = v. */
			uint64_t eq[128] = {0};
			for (unsigned t = 0; t < steps; t++) {
				eq[wstate >> 9] |= UINT64_C(1) << t;
				wstate = hb_lfsr_step(wstate);
			}
			/* Input-major: build T_i (1 KiB, stays in L1) and add input i's 64 synapse bits
			 * into the counters of every neuron (weights transposed: column i contiguous). */
			memset(s.P, 0, sizeof(uint64_t) * 2 * MAXPLANES * n_out);
			for (unsigned i = 0; i < n_in; i++) {
				const uint64_t x = s.X[(size_t)i * nw + w];
				if (!x)
					continue;
				uint64_t T[128];
				unsigned q7 = s.Q7[i];
				uint64_t acc = 0;
				T[0] = 0;
				for (unsigned m = 1; m < 128; m++) {
					acc |= eq[(m - 1) ^ q7];
					T[m] = acc & x;
				}
				const uint8_t *wcol = s.WT + (size_t)i * n_out;
				uint64_t events = 0;
				for (unsigned j = 0; j < n_out; j++) {
					unsigned wb = wcol[j];
					uint64_t c = T[wb & 0x7Fu];
					if (syn)
						events += (uint64_t)__builtin_popcountll(c);
					uint64_t *pl = s.P + (size_t)j * 2 * MAXPLANES + (wb >> 7) * MAXPLANES;
					for (unsigned p = 0; p < nplanes; p++) {
						uint64_t carry = pl[p] & c;
						pl[p] ^= c;
						c = carry;
					}
				}
				if (syn)
					syn[k] += events;
			}
			for (unsigned j = 0; j < n_out; j++) {
				const uint64_t *planes = s.P + (size_t)j * 2 * MAXPLANES;
				/* Per step: counts out of the planes, then the scalar LIF update. */
				uint64_t out = 0;
				int16_t vj = v[j];
				unsigned rcj = rc[j];
				uint16_t Ec[CHUNK], Hc[CHUNK];
				unslice(planes, nplanes, Ec);
				unslice(planes + MAXPLANES, nplanes, Hc);
				for (unsigned t = 0; t < steps; t++) {
					int E = Ec[t], H = Hc[t];
					int sp = hb_model_lif_step(ly, &vj, &rcj, hb_model_current(ly, E, H));
					out |= (uint64_t)sp << t;
				}
				v[j] = vj;
				rc[j] = rcj;
				s.Y[(size_t)j * nw + w] = out;
				res->counts[k][j] = (uint16_t)(res->counts[k][j] + __builtin_popcountll(out));
			}
		}
		if (spikes && spikes[k]) {
			for (unsigned j = 0; j < n_out; j++) {
				uint8_t *row = spikes[k] + (size_t)j * stride;
				for (size_t b = 0; b < stride; b++)
					row[b] = (uint8_t)(s.Y[(size_t)j * nw + b / 8] >> (8 * (b % 8)));
			}
		}
		/* This layer's spikes are the next layer's inputs. */
		uint64_t *tmp = s.X;
		s.X = s.Y;
		s.Y = tmp;
	}
	res->cls = hb_model_argmax(res, net->layers[net->n_layers - 1].n_out);
	free(s.X), free(s.Y), free(s.Q7), free(s.P), free(s.WT), free(v), free(rc);
	return HB_OK;
}

enum hb_status hb_model_infer_ex(const struct hb_net *net, const uint8_t *bits,
				 struct hb_model_result *res, uint8_t *const *spikes)
{
	return hb_model_infer_count(net, bits, res, spikes, NULL);
}

enum hb_status hb_model_infer(const struct hb_net *net, const uint8_t *bits, struct hb_model_result *res)
{
	return hb_model_infer_ex(net, bits, res, NULL);
}
