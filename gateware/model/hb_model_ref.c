/* hb_model — the per-bit definitions and the literal reference implementation.
 *
 * Everything here follows docs/semantics.md line by line, without any cleverness:
 * hb_model_infer_naive() is the oracle the word-parallel engine (hb_model_fast.c) and the
 * gateware are checked against. Keep it simple rather than fast. */
#include <stdlib.h>
#include <string.h>

#include "hb_model.h"
#include "hb_model_int.h"

uint16_t hb_lfsr_advance(uint16_t s, unsigned n)
{
	while (n--)
		s = hb_lfsr_step(s);
	return s;
}

uint16_t hb_model_input_seed(const struct hb_net *net, unsigned i)
{
	return (uint16_t)(net->in_seed + (uint32_t)net->in_stride * i);
}

int hb_model_input_bit(const struct hb_net *net, unsigned i, uint16_t v, unsigned t)
{
	return hb_lfsr_advance(hb_model_input_seed(net, i), t) < v;
}

int hb_model_weight_bit(const struct hb_net *net, unsigned k, unsigned j, unsigned i, unsigned t)
{
	const struct hb_layer *ly = &net->layers[k];
	uint16_t r = hb_lfsr_advance(ly->wt_seed, t) ^ hb_lfsr_advance(ly->wi_seed, i);
	unsigned m = ly->weights[(size_t)j * ly->n_in + i] & 0x7Fu;
	return (unsigned)(r >> 9) < m;
}

size_t hb_net_synapses(const struct hb_net *net)
{
	size_t n = 0;
	for (unsigned k = 0; k < net->n_layers; k++)
		n += (size_t)net->layers[k].n_in * net->layers[k].n_out;
	return n;
}

size_t hb_model_input_bytes(const struct hb_net *net)
{
	return (size_t)net->layers[0].n_in * hb_model_stream_bytes(net->L);
}

enum hb_status hb_model_encode(const struct hb_net *net, const uint16_t *values, uint8_t *bits)
{
	if (!net || !values || !bits || net->n_layers == 0 || net->L == 0)
		return HB_ERR_ARG;
	size_t stride = hb_model_stream_bytes(net->L);
	for (unsigned i = 0; i < net->layers[0].n_in; i++) {
		uint8_t *row = bits + (size_t)i * stride;
		memset(row, 0, stride);
		uint16_t s = hb_model_input_seed(net, i);
		for (unsigned t = 0; t < net->L; t++) {
			if (s < values[i])
				row[t / 8] |= (uint8_t)(1u << (t % 8));
			s = hb_lfsr_step(s);
		}
	}
	return HB_OK;
}

/* int16(x): keep the low 16 bits, read them as signed. */
static inline int16_t wrap16(int32_t x)
{
	return (int16_t)(uint16_t)(uint32_t)x;
}

int16_t hb_model_current(const struct hb_layer *ly, int E, int H)
{
	int32_t p = (int32_t)(E - H) * ly->i_scale;
	if (p > 32767)
		p = 32767;
	if (p < -32768)
		p = -32768;
	return (int16_t)p;
}

int hb_model_lif_step(const struct hb_layer *ly, int16_t *v, unsigned *rc, int16_t I)
{
	/* >> on a negative int32 is an arithmetic shift with gcc and clang (>>> in the spec). */
	int16_t dv_leak = wrap16((((int32_t)ly->v_rest - (int32_t)*v) * ly->leak) >> 8);
	int16_t dv_in = wrap16(((int32_t)I * ly->gain) >> 8);
	int16_t v_next = wrap16((int32_t)*v + dv_leak + dv_in);
	if (*rc > 0) {
		(*rc)--;
		*v = ly->v_rest;
		return 0;
	}
	if (v_next >= ly->v_th) {
		*v = ly->v_reset;
		*rc = ly->refractory;
		return 1;
	}
	*v = v_next;
	return 0;
}

unsigned hb_model_argmax(const struct hb_model_result *res, unsigned n_out)
{
	const uint16_t *c = res->counts[res->n_layers - 1];
	unsigned best = 0;
	for (unsigned j = 1; j < n_out; j++)
		if (c[j] > c[best])
			best = j;
	return best;
}

enum hb_status hb_model_infer_naive_ex(const struct hb_net *net, const uint8_t *bits,
				       struct hb_model_result *res, uint8_t *const *spikes)
{
	if (!net || !bits || !res || hb_net_validate(net, NULL, 0) != HB_OK)
		return HB_ERR_ARG;
	unsigned L = net->L;
	size_t stride = hb_model_stream_bytes(L);
	/* x[i * L + t]: input bits of the current layer, one byte per bit. */
	uint8_t *x = malloc((size_t)HB_MODEL_MAX_IN * L);
	uint8_t *y = malloc((size_t)HB_MODEL_MAX_OUT * L);
	uint16_t *W = malloc(sizeof *W * L);
	uint16_t *Q = malloc(sizeof *Q * HB_MODEL_MAX_IN);
	if (!x || !y || !W || !Q) {
		free(x), free(y), free(W), free(Q);
		return HB_ERR_NOMEM;
	}
	memset(res, 0, sizeof *res);
	res->n_layers = net->n_layers;
	for (unsigned i = 0; i < net->layers[0].n_in; i++)
		for (unsigned t = 0; t < L; t++)
			x[(size_t)i * L + t] = (bits[(size_t)i * stride + t / 8] >> (t % 8)) & 1u;

	for (unsigned k = 0; k < net->n_layers; k++) {
		const struct hb_layer *ly = &net->layers[k];
		W[0] = ly->wt_seed;
		for (unsigned t = 1; t < L; t++)
			W[t] = hb_lfsr_step(W[t - 1]);
		Q[0] = ly->wi_seed;
		for (unsigned i = 1; i < ly->n_in; i++)
			Q[i] = hb_lfsr_step(Q[i - 1]);
		for (unsigned j = 0; j < ly->n_out; j++) {
			const uint8_t *wrow = ly->weights + (size_t)j * ly->n_in;
			int16_t v = ly->v_rest;
			unsigned rc = 0, count = 0;
			for (unsigned t = 0; t < L; t++) {
				int E = 0, H = 0;
				for (unsigned i = 0; i < ly->n_in; i++) {
					unsigned m = wrow[i] & 0x7Fu;
					unsigned b = (unsigned)((W[t] ^ Q[i]) >> 9) < m;
					unsigned on = x[(size_t)i * L + t] & b;
					if (wrow[i] & 0x80u)
						H += (int)on;
					else
						E += (int)on;
				}
				int s = hb_model_lif_step(ly, &v, &rc, hb_model_current(ly, E, H));
				y[(size_t)j * L + t] = (uint8_t)s;
				count += (unsigned)s;
			}
			res->counts[k][j] = (uint16_t)count;
		}
		if (spikes && spikes[k]) {
			memset(spikes[k], 0, (size_t)ly->n_out * stride);
			for (unsigned j = 0; j < ly->n_out; j++)
				for (unsigned t = 0; t < L; t++)
					spikes[k][(size_t)j * stride + t / 8] |=
						(uint8_t)(y[(size_t)j * L + t] << (t % 8));
		}
		memcpy(x, y, (size_t)ly->n_out * L); /* this layer's spikes feed the next */
	}
	res->cls = hb_model_argmax(res, net->layers[net->n_layers - 1].n_out);
	free(x), free(y), free(W), free(Q);
	return HB_OK;
}

enum hb_status hb_model_infer_naive(const struct hb_net *net, const uint8_t *bits,
				    struct hb_model_result *res)
{
	return hb_model_infer_naive_ex(net, bits, res, NULL);
}

enum hb_status hb_model_infer_values(const struct hb_net *net, const uint16_t *values,
				     struct hb_model_result *res)
{
	if (!net || !values || !res || net->n_layers == 0)
		return HB_ERR_ARG;
	uint8_t *bits = malloc(hb_model_input_bytes(net) ? hb_model_input_bytes(net) : 1);
	if (!bits)
		return HB_ERR_NOMEM;
	enum hb_status st = hb_model_encode(net, values, bits);
	if (st == HB_OK)
		st = hb_model_infer(net, bits, res);
	free(bits);
	return st;
}
