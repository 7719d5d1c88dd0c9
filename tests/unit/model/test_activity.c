/* The activity model (gateware/model/hb_activity.c) against independent counts: synaptic events
 * from the per-bit definitions of docs/semantics.md, cycles from the formula of
 * docs/gateware.md, and UART edges of hand-drawn frames. (tests/gateware/test_engine.cc checks
 * every count against the verilated engine.) */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "hb_activity.h"
#include "hb_model.h"

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void random_net(struct hb_net *n, uint32_t *s, unsigned K, unsigned L)
{
	unsigned sizes[HB_MODEL_MAX_LAYERS + 1];
	for (unsigned k = 0; k <= K; k++)
		sizes[k] = 1 + rnd(s) % 40;
	cr_assert_eq(hb_net_init(n, K, sizes, L), HB_OK);
	for (unsigned k = 0; k < K; k++) {
		struct hb_layer *ly = &n->layers[k];
		ly->wt_seed = (uint16_t)(rnd(s) | 1);
		ly->wi_seed = (uint16_t)(rnd(s) | 2);
		ly->v_th = (int16_t)(100 + rnd(s) % 600);
		ly->i_scale = 256;
		ly->gain = 256;
		for (unsigned a = 0; a < ly->n_in * ly->n_out; a++)
			ly->weights[a] = (uint8_t)rnd(s);
	}
}

/* Σ over layers, neurons, steps, inputs of x_i(t) AND b_ji(t), one bit at a time. */
static uint64_t naive_events(const struct hb_net *n, const uint8_t *bits)
{
	const size_t stride = hb_model_stream_bytes(n->L);
	uint8_t *spk[HB_MODEL_MAX_LAYERS] = {0};
	for (unsigned k = 0; k < n->n_layers; k++)
		spk[k] = calloc(n->layers[k].n_out, stride);
	struct hb_model_result r;
	cr_assert_eq(hb_model_infer_naive_ex(n, bits, &r, spk), HB_OK);
	uint64_t ev = 0;
	for (unsigned k = 0; k < n->n_layers; k++) {
		const uint8_t *x = k == 0 ? bits : spk[k - 1];
		for (unsigned j = 0; j < n->layers[k].n_out; j++)
			for (unsigned i = 0; i < n->layers[k].n_in; i++)
				for (unsigned t = 0; t < n->L; t++)
					if ((x[i * stride + t / 8] >> (t % 8)) & 1)
						ev += (uint64_t)hb_model_weight_bit(n, k, j, i, t);
	}
	for (unsigned k = 0; k < n->n_layers; k++)
		free(spk[k]);
	return ev;
}

Test(activity, synaptic_events_match_the_bit_definitions)
{
	uint32_t s = 12345;
	for (unsigned t = 0; t < 12; t++) {
		struct hb_net n;
		random_net(&n, &s, 1 + t % 3, 32 * (1 + t % 3));
		size_t nb = hb_model_input_bytes(&n);
		uint8_t *bits = malloc(nb);
		for (size_t b = 0; b < nb; b++)
			bits[b] = (uint8_t)(rnd(&s) & rnd(&s) & 0xFF); /* density ~1/4 */
		struct hb_activity a;
		struct hb_model_result r, g;
		cr_assert_eq(hb_activity_infer(&n, 32, bits, &a, &r), HB_OK);
		cr_assert_eq(hb_model_infer(&n, bits, &g), HB_OK);
		cr_assert_eq(r.cls, g.cls);
		uint64_t want = naive_events(&n, bits);
		cr_assert_eq(a.syn, want, "net %u: %llu events, bit by bit %llu", t, (unsigned long long)a.syn,
			     (unsigned long long)want);
		cr_assert_gt(want, 0u);
		free(bits);
		hb_net_free(&n);
	}
}

/* docs/gateware.md: N = 1 + Σ_k [5 + n_out(WL + C·max(n_in+1, P)) + min(n_in+1, P) + 5]. */
static uint64_t formula(const unsigned *sz, unsigned K, unsigned L, unsigned P)
{
	uint64_t N = 1, B = P / 8, C = L / P;
	for (unsigned k = 0; k < K; k++) {
		uint64_t I = sz[k], J = sz[k + 1];
		N += 5 + J * ((I + B - 2) / B + 2 + C * (I + 1 > P ? I + 1 : P)) + (I + 1 < P ? I + 1 : P) + 5;
	}
	return N;
}

Test(activity, closed_forms)
{
	const unsigned shapes[][4] = {{784, 128, 10, 0}, {64, 32, 10, 0}, {5, 3, 0, 0}, {300, 40, 20, 7}};
	const unsigned K[] = {2, 2, 1, 3};
	for (unsigned t = 0; t < 4; t++) {
		for (unsigned P = 16; P <= 256; P *= 2) {
			struct hb_net n;
			cr_assert_eq(hb_net_init(&n, K[t], shapes[t], 256), HB_OK);
			struct hb_activity a;
			cr_assert_eq(hb_activity_static(&n, P, &a), HB_OK);
			cr_assert_eq(a.cycles, formula(shapes[t], K[t], 256, P));
			cr_assert_eq(a.cycles, hb_activity_cycles(&n, P));
			uint64_t steps = hb_net_synapses(&n) * 256, lif = 0, reads = 0;
			for (unsigned k = 0; k < K[t]; k++) {
				lif += (uint64_t)shapes[t][k + 1] * 256;
				reads += (uint64_t)shapes[t][k + 1] * ((shapes[t][k] + P / 8 - 2) / (P / 8) + 1);
			}
			cr_assert_eq(a.ops, steps);
			cr_assert_eq(a.lif, lif);
			cr_assert_eq(a.wmem, reads + steps / P);
			/* one read per issue cycle, plus at most one spike-word write per hidden pass */
			uint64_t hidden_passes = 0;
			for (unsigned k = 0; k + 1 < K[t]; k++)
				hidden_passes += (uint64_t)shapes[t][k + 1] * 256 / P;
			cr_assert_geq(a.imem, steps / P);
			cr_assert_leq(a.imem, steps / P + hidden_passes);
			cr_assert_eq(a.syn, 0u);
			hb_net_free(&n);
		}
	}
	/* the documented figures: digits 20,041 and 784-128-10 839,929 cycles at P = 32 */
	struct hb_net n;
	cr_assert_eq(hb_net_init(&n, 2, shapes[1], 256), HB_OK);
	cr_assert_eq(hb_activity_cycles(&n, 32), 20041u);
	hb_net_free(&n);
	cr_assert_eq(hb_net_init(&n, 2, shapes[0], 256), HB_OK);
	cr_assert_eq(hb_activity_cycles(&n, 32), 839929u);
	cr_assert_eq(hb_activity_stream_imem(&n), 784u * 32);
	hb_net_free(&n);
}

Test(activity, bad_lanes)
{
	const unsigned sz[3] = {8, 4, 2};
	struct hb_net n;
	cr_assert_eq(hb_net_init(&n, 2, sz, 96), HB_OK);
	struct hb_activity a;
	cr_assert_eq(hb_activity_static(&n, 32, &a), HB_OK);
	cr_assert_eq(hb_activity_static(&n, 64, &a), HB_ERR_ARG); /* 96 % 64 != 0 */
	cr_assert_eq(hb_activity_static(&n, 24, &a), HB_ERR_ARG);
	cr_assert_eq(hb_activity_static(&n, 8, &a), HB_ERR_ARG);
	cr_assert_eq(hb_activity_static(NULL, 32, &a), HB_ERR_ARG);
	cr_assert_eq(hb_activity_cycles(&n, 64), 0u);
	cr_assert_eq(hb_activity_infer(&n, 32, NULL, &a, NULL), HB_ERR_ARG);
	hb_net_free(&n);
}

Test(activity, uart_edges)
{
	/* 0x55: start 0 then 1 0 1 0 1 0 1 0, stop 1: every bit changes the line: 10 edges */
	const uint8_t a = 0x55, b = 0xFF, c = 0x00;
	cr_assert_eq(hb_activity_uart_edges(&a, 1), 10u);
	cr_assert_eq(hb_activity_uart_edges(&b, 1), 2u);  /* start bit down, data up */
	cr_assert_eq(hb_activity_uart_edges(&c, 1), 2u);  /* down for 9 bits, up at stop */
	const uint8_t two[2] = {0xFF, 0xFF};
	cr_assert_eq(hb_activity_uart_edges(two, 2), 4u);
	cr_assert_eq(hb_activity_uart_edges(NULL, 0), 0u);
}
