/* Golden model: LFSR, LIF arithmetic, word-parallel == reference, encoding layout. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "hb_model.h"

/* ---- LFSR ---------------------------------------------------------------- */

/* An independent LFSR: the state as an array of 16 bits, the feedback read off the
 * polynomial x^16 + x^14 + x^13 + x^11 + 1 (taps at exponents 16, 14, 13, 11 -> bits 15, 13, 12, 10). */
static uint16_t bitwise_step(uint16_t s)
{
	int b[16];
	for (int i = 0; i < 16; i++)
		b[i] = (s >> i) & 1;
	int fb = b[15] ^ b[13] ^ b[12] ^ b[10];
	for (int i = 15; i > 0; i--)
		b[i] = b[i - 1];
	b[0] = fb;
	uint16_t r = 0;
	for (int i = 0; i < 16; i++)
		r |= (uint16_t)(b[i] << i);
	return r;
}

Test(lfsr, sequence_from_ace1)
{
	/* the three terms quoted in docs/semantics.md */
	cr_assert_eq(hb_lfsr_step(0xACE1), 0x59C3);
	cr_assert_eq(hb_lfsr_step(0x59C3), 0xB387);
	uint16_t a = 0xACE1, b = 0xACE1;
	for (int n = 0; n < 1000; n++) {
		cr_assert_eq(a, b, "step %d: 0x%04x vs independent 0x%04x", n, a, b);
		a = hb_lfsr_step(a);
		b = bitwise_step(b);
	}
	cr_assert_eq(hb_lfsr_advance(0xACE1, 1000), a);
}

Test(lfsr, maximal_period_never_zero)
{
	uint16_t s = 0xACE1;
	unsigned n = 0;
	do {
		s = hb_lfsr_step(s);
		cr_assert_neq(s, 0);
		n++;
	} while (s != 0xACE1 && n < 70000);
	cr_assert_eq(n, 65535, "period %u", n);
}

/* ---- LIF ------------------------------------------------------------------ */

static struct hb_layer lif_layer(void)
{
	return (struct hb_layer){.i_scale = 256, .v_th = 1000, .v_reset = -50, .v_rest = 10,
				 .leak = 0, .gain = 256, .refractory = 0};
}

Test(lif, threshold_equality_spikes)
{
	struct hb_layer ly = lif_layer();
	int16_t v = 10;
	unsigned rc = 0;
	/* v_next = 10 + 0 + 989 = 999 < 1000: no spike */
	cr_assert_eq(hb_model_lif_step(&ly, &v, &rc, 989), 0);
	cr_assert_eq(v, 999);
	v = 10;
	/* v_next = 10 + 990 = 1000 == v_th: spike, v <- v_reset */
	cr_assert_eq(hb_model_lif_step(&ly, &v, &rc, 990), 1);
	cr_assert_eq(v, -50);
}

Test(lif, sixteen_bit_wraparound)
{
	struct hb_layer ly = lif_layer();
	ly.v_th = 32767;
	int16_t v = 32000;
	unsigned rc = 0;
	/* 32000 + 1000 = 33000 wraps to 33000 - 65536 (signed compare: below threshold) */
	cr_assert_eq(hb_model_lif_step(&ly, &v, &rc, 1000), 0);
	cr_assert_eq(v, (int16_t)(33000 - 65536));
	/* leak term: v_rest - v = 32767 - (-32768) = 65535; * 200 >>> 8 = 51199; the sum wraps */
	ly.v_rest = 32767;
	ly.leak = 200;
	v = -32768;
	cr_assert_eq(hb_model_lif_step(&ly, &v, &rc, 0), 0);
	cr_assert_eq(v, (int16_t)(uint16_t)(-32768 + (65535 * 200 >> 8)));
	cr_assert_eq(v, 18431);
}

Test(lif, arithmetic_shift_rounds_toward_minus_infinity)
{
	struct hb_layer ly = lif_layer();
	int16_t v = 0;
	unsigned rc = 0;
	ly.gain = 1; /* dv_in = (I * 1) >>> 8 */
	hb_model_lif_step(&ly, &v, &rc, -1);
	cr_assert_eq(v, -1, "(-1) >>> 8 = -1, got %d", v);
	v = 0;
	hb_model_lif_step(&ly, &v, &rc, 255);
	cr_assert_eq(v, 0);
}

Test(lif, refractory_holds_v_rest)
{
	struct hb_layer ly = lif_layer();
	ly.refractory = 3;
	int16_t v = 10;
	unsigned rc = 0;
	cr_assert_eq(hb_model_lif_step(&ly, &v, &rc, 5000), 1);
	cr_assert_eq(rc, 3);
	for (int n = 0; n < 3; n++) {
		cr_assert_eq(hb_model_lif_step(&ly, &v, &rc, 5000), 0, "refractory step %d spiked", n);
		cr_assert_eq(v, ly.v_rest);
	}
	cr_assert_eq(rc, 0);
	cr_assert_eq(hb_model_lif_step(&ly, &v, &rc, 5000), 1, "spikes again after the refractory period");
}

Test(lif, current_saturates)
{
	struct hb_layer ly = lif_layer();
	ly.i_scale = 100;
	cr_assert_eq(hb_model_current(&ly, 327, 0), 32700);
	cr_assert_eq(hb_model_current(&ly, 328, 0), 32767);
	cr_assert_eq(hb_model_current(&ly, 0, 1000), -32768);
	ly.i_scale = -300;
	cr_assert_eq(hb_model_current(&ly, 1000, 0), -32768);
	cr_assert_eq(hb_model_current(&ly, 3, 5), 600);
}

/* ---- encoding ---------------------------------------------------------------- */

Test(encode, byte_layout_matches_the_definition)
{
	static const unsigned sizes[] = {5, 3};
	struct hb_net net;
	cr_assert_eq(hb_net_init(&net, 1, sizes, 37), HB_OK);
	uint16_t vals[5] = {0, 65535, 32768, 1000, 50000};
	size_t nb = hb_model_input_bytes(&net);
	cr_assert_eq(nb, 5 * 5); /* ceil(37/8) = 5 bytes per stream */
	uint8_t *bits = malloc(nb);
	cr_assert_eq(hb_model_encode(&net, vals, bits), HB_OK);
	for (unsigned i = 0; i < 5; i++) {
		for (unsigned t = 0; t < 40; t++) {
			int got = (bits[i * 5 + t / 8] >> (t % 8)) & 1;
			int want = t < 37 ? hb_model_input_bit(&net, i, vals[i], t) : 0;
			cr_assert_eq(got, want, "input %u step %u", i, t);
		}
	}
	/* value 0 never fires; seed_in(i) is in_seed + 7 i */
	cr_assert_eq(bits[0], 0);
	cr_assert_eq(hb_model_input_seed(&net, 3), (uint16_t)(0xACE1 + 21));
	free(bits);
	hb_net_free(&net);
}

/* ---- word-parallel == reference ----------------------------------------------- */

static uint64_t rng = 0x1234567;
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static void random_net(struct hb_net *net, unsigned K, unsigned L, unsigned max_n)
{
	unsigned sizes[HB_MODEL_MAX_LAYERS + 1];
	for (unsigned k = 0; k <= K; k++)
		sizes[k] = 1 + rnd() % max_n;
	cr_assert_eq(hb_net_init(net, K, sizes, L), HB_OK);
	net->in_seed = (uint16_t)(1 + rnd() % 60000);
	net->in_stride = (uint16_t)(1 + rnd() % 31);
	for (unsigned k = 0; k < K; k++) {
		struct hb_layer *ly = &net->layers[k];
		ly->wt_seed = (uint16_t)(1 + rnd() % 65535);
		ly->wi_seed = (uint16_t)(1 + rnd() % 65535);
		/* mostly sensible operating points, sometimes extreme ones (wraparound, saturation) */
		int extreme = rnd() % 5 == 0;
		ly->i_scale = (int16_t)(extreme ? (int)(rnd() % 65536) - 32768 : 16 + (int)(rnd() % 256));
		ly->v_th = (int16_t)(extreme ? (int)(rnd() % 65536) - 32768 : 128 + (int)(rnd() % 2048));
		ly->v_reset = (int16_t)((int)(rnd() % 512) - 256);
		ly->v_rest = (int16_t)((int)(rnd() % 256) - 128);
		ly->leak = (int16_t)(extreme ? (int)(rnd() % 65536) - 32768 : (int)(rnd() % 64));
		ly->gain = (int16_t)(extreme ? (int)(rnd() % 65536) - 32768 : 64 + (int)(rnd() % 512));
		ly->refractory = (uint8_t)(rnd() % 4 == 0 ? rnd() % 256 : rnd() % 3);
		for (size_t q = 0; q < (size_t)ly->n_in * ly->n_out; q++)
			ly->weights[q] = (uint8_t)rnd();
	}
}

Test(infer, word_parallel_equals_reference_on_random_networks, .timeout = 240)
{
	static const unsigned lengths[] = {1, 7, 8, 63, 64, 65, 100, 128, 200, 256};
	unsigned long total_spikes = 0;
	unsigned trials = 0;
	for (unsigned K = 1; K <= 4; K++) {
		for (unsigned li = 0; li < sizeof lengths / sizeof lengths[0]; li++) {
			for (unsigned rep = 0; rep < 3; rep++) {
				struct hb_net net;
				unsigned L = lengths[li];
				random_net(&net, K, L, rep == 2 ? 256 : 40);
				uint16_t *vals = malloc(sizeof *vals * net.layers[0].n_in);
				for (unsigned i = 0; i < net.layers[0].n_in; i++)
					vals[i] = (uint16_t)(rnd() % 4 == 0 ? 0 : rnd());
				uint8_t *bits = malloc(hb_model_input_bytes(&net));
				cr_assert_eq(hb_model_encode(&net, vals, bits), HB_OK);
				/* garbage beyond L in the last byte must be ignored */
				if (L % 8)
					bits[hb_model_stream_bytes(L) - 1] |= (uint8_t)(0xFF << (L % 8));
				uint8_t *sp_a[HB_MODEL_MAX_LAYERS] = {0}, *sp_b[HB_MODEL_MAX_LAYERS] = {0};
				for (unsigned k = 0; k < K; k++) {
					size_t n = net.layers[k].n_out * hb_model_stream_bytes(L);
					sp_a[k] = malloc(n);
					sp_b[k] = malloc(n);
				}
				struct hb_model_result a, b;
				cr_assert_eq(hb_model_infer_ex(&net, bits, &a, sp_a), HB_OK);
				cr_assert_eq(hb_model_infer_naive_ex(&net, bits, &b, sp_b), HB_OK);
				cr_assert_eq(a.n_layers, K);
				for (unsigned k = 0; k < K; k++) {
					for (unsigned j = 0; j < net.layers[k].n_out; j++) {
						cr_assert_eq(a.counts[k][j], b.counts[k][j],
							     "K=%u L=%u rep %u: counts[%u][%u] %u vs reference %u", K, L,
							     rep, k, j, a.counts[k][j], b.counts[k][j]);
						total_spikes += a.counts[k][j];
					}
					cr_assert_eq(memcmp(sp_a[k], sp_b[k], net.layers[k].n_out * hb_model_stream_bytes(L)), 0,
						     "K=%u L=%u: spike trains of layer %u differ", K, L, k);
					free(sp_a[k]);
					free(sp_b[k]);
				}
				cr_assert_eq(a.cls, b.cls);
				trials++;
				free(vals);
				free(bits);
				hb_net_free(&net);
			}
		}
	}
	/* the comparison means something only if the networks were active */
	cr_assert_gt(total_spikes, 100ul * trials, "only %lu spikes in %u trials", total_spikes, trials);
}

Test(infer, class_ties_go_to_lowest_index)
{
	static const unsigned sizes[] = {3, 4};
	struct hb_net net;
	cr_assert_eq(hb_net_init(&net, 1, sizes, 64), HB_OK);
	/* all weights 0: every count is 0, the class is neuron 0 */
	uint16_t vals[3] = {65535, 65535, 65535};
	struct hb_model_result r;
	cr_assert_eq(hb_model_infer_values(&net, vals, &r), HB_OK);
	cr_assert_eq(r.cls, 0);
	/* neurons 1 and 3 identical and strongest: class 1 */
	for (unsigned i = 0; i < 3; i++) {
		net.layers[0].weights[1 * 3 + i] = 127;
		net.layers[0].weights[3 * 3 + i] = 127;
	}
	cr_assert_eq(hb_model_infer_values(&net, vals, &r), HB_OK);
	cr_assert_gt(r.counts[0][1], 0);
	cr_assert_eq(r.counts[0][1], r.counts[0][3]);
	cr_assert_eq(r.cls, 1);
	hb_net_free(&net);
}

Test(infer, rejects_invalid_networks)
{
	static const unsigned sizes[] = {3, 4};
	struct hb_net net;
	struct hb_model_result r;
	uint8_t bits[64] = {0};
	cr_assert_eq(hb_net_init(&net, 1, sizes, 64), HB_OK);
	net.L = 0;
	cr_assert_eq(hb_model_infer(&net, bits, &r), HB_ERR_ARG);
	net.L = 64;
	net.layers[0].wt_seed = 0;
	cr_assert_eq(hb_model_infer(&net, bits, &r), HB_ERR_ARG);
	cr_assert_eq(hb_model_infer_naive(&net, bits, &r), HB_ERR_ARG);
	hb_net_free(&net);
}
