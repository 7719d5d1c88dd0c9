/* bench_model — speed of the golden model and digits accuracy against L.
 *
 *   make -C build bench_model && build/tests/bench/bench_model [--quick]
 *
 * Prints, for the shipped 784-128-10 (mnist-shape) and 64-32-10 (digits) networks at L=256,
 * synapse-steps per second of hb_model_infer() (word-parallel) and of hb_model_infer_naive()
 * (the reference), both measured in this run, and their ratio; then the held-out digits
 * accuracy for L = 32, 64, 128, 256, 512. A synapse-step is one synapse at one time step:
 * Σ_k n_in[k]·n_out[k] · L per inference. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb_activity.h"
#include "hb_clock.h"
#include "hb_model.h"

static const char *root(void)
{
	const char *r = getenv("HB_SOURCE_DIR");
	return r && *r ? r : HB_BENCH_SOURCE_DIR;
}

typedef enum hb_status (*infer_fn)(const struct hb_net *, const uint8_t *, struct hb_model_result *);

/* Run fn on `n_inputs` different encoded inputs until at least min_s seconds have passed. */
static double rate(const struct hb_net *net, uint8_t **bits, unsigned n_inputs, infer_fn fn, double min_s,
		   unsigned *runs_out, unsigned long *checksum)
{
	struct hb_model_result r;
	unsigned runs = 0;
	uint64_t t0 = hb_now_ns(), t1;
	do {
		if (fn(net, bits[runs % n_inputs], &r) != HB_OK) {
			fprintf(stderr, "inference failed\n");
			exit(1);
		}
		*checksum += r.cls + r.counts[0][0];
		runs++;
		t1 = hb_now_ns();
	} while ((double)(t1 - t0) * 1e-9 < min_s);
	*runs_out = runs;
	return (double)hb_net_synapses(net) * net->L * runs / ((double)(t1 - t0) * 1e-9);
}

/* The activity model with its synaptic-event count (lanes 32), as an infer_fn. */
static enum hb_status activity32(const struct hb_net *net, const uint8_t *bits, struct hb_model_result *r)
{
	struct hb_activity a;
	return hb_activity_infer(net, 32, bits, &a, r);
}

/* Nanoseconds per call of the closed forms (everything but the synaptic events). */
static double static_ns(const struct hb_net *net)
{
	struct hb_activity a;
	uint64_t sum = 0, calls = 0, t0 = hb_now_ns(), t1;
	do {
		for (int i = 0; i < 1000; i++, calls++) {
			hb_activity_static(net, 32, &a);
			sum += a.imem;
		}
		t1 = hb_now_ns();
	} while (t1 - t0 < 200000000u);
	return sum ? (double)(t1 - t0) / (double)calls : 0;
}

static int speed(const char *name, const struct hb_digits *d, double min_s, int dense)
{
	char path[1024], err[256];
	struct hb_net net;
	snprintf(path, sizeof path, "%s/gateware/model/nets/%s.json", root(), name);
	if (hb_net_load(path, &net, err, sizeof err) != HB_OK) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	net.L = 256;
	enum { N_INPUTS = 8 };
	uint8_t *bits[N_INPUTS];
	unsigned n_in = hb_net_inputs(&net);
	uint16_t *vals = malloc(sizeof *vals * n_in);
	uint64_t rs = 12345;
	for (unsigned q = 0; q < N_INPUTS; q++) {
		for (unsigned i = 0; i < n_in; i++) {
			if (n_in == HB_DIGITS_PIXELS && d) {
				vals[i] = hb_digits_value(d->pixels[d->test_idx[q]][i]);
			} else { /* MNIST-like: ~80 % dark pixels, the rest bright; or all random */
				rs = rs * 6364136223846793005ull + 1442695040888963407ull;
				vals[i] = !dense && (rs >> 60) < 13 ? 0 : (uint16_t)(rs >> 40);
			}
		}
		bits[q] = malloc(hb_model_input_bytes(&net));
		hb_model_encode(&net, vals, bits[q]);
	}
	unsigned runs_f, runs_n;
	unsigned long cf = 0, cn = 0;
	double fast = rate(&net, bits, N_INPUTS, hb_model_infer, min_s, &runs_f, &cf);
	double naive = rate(&net, bits, N_INPUTS, hb_model_infer_naive, min_s, &runs_n, &cn);
	unsigned runs_a;
	unsigned long ca = 0;
	double act = rate(&net, bits, N_INPUTS, activity32, min_s, &runs_a, &ca);
	struct hb_model_result r;
	hb_model_infer(&net, bits[0], &r);
	unsigned long spikes = 0;
	for (unsigned k = 0; k < net.n_layers; k++)
		for (unsigned j = 0; j < net.layers[k].n_out; j++)
			spikes += r.counts[k][j];
	printf("%-12s %-6s %4u-%u-%u L=%u: word-parallel %8.1f M synapse-steps/s (%6.0f inferences/s), "
	       "naive %7.1f M/s, ratio %.1fx  [%lu spikes in sample 0]\n",
	       name, n_in == HB_DIGITS_PIXELS ? "" : dense ? "dense" : "sparse", net.layers[0].n_in, net.layers[0].n_out, net.layers[net.n_layers - 1].n_out, net.L,
	       fast / 1e6, fast / ((double)hb_net_synapses(&net) * net.L), naive / 1e6, fast / naive, spikes);
	printf("%-12s        activity model (P = 32): with synaptic events %.2fx the inference's time; "
	       "closed forms alone %.0f ns per call\n",
	       "", fast / act, static_ns(&net));
	for (unsigned q = 0; q < N_INPUTS; q++)
		free(bits[q]);
	free(vals);
	hb_net_free(&net);
	return 0;
}

int main(int argc, char **argv)
{
	int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
	char path[1024], err[256];
	struct hb_digits d;
	snprintf(path, sizeof path, "%s/tests/data/digits/digits.csv", root());
	if (hb_digits_load(path, &d, err, sizeof err) != HB_OK) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	double min_s = quick ? 0.3 : 2.0;
	if (speed("mnist-shape", NULL, min_s, 0) || speed("mnist-shape", NULL, min_s, 1) ||
	    speed("digits", &d, min_s, 0))
		return 1;

	struct hb_net net;
	snprintf(path, sizeof path, "%s/gateware/model/nets/digits.json", root());
	if (hb_net_load(path, &net, err, sizeof err) != HB_OK) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	static const unsigned lengths[] = {32, 64, 128, 256, 512};
	printf("digits held-out accuracy (%u samples):", d.n_test);
	for (unsigned li = 0; li < sizeof lengths / sizeof lengths[0]; li++) {
		net.L = lengths[li];
		unsigned ok = 0;
		for (unsigned s = 0; s < d.n_test; s++) {
			uint16_t v[HB_DIGITS_PIXELS];
			struct hb_model_result r;
			hb_digits_values(&d, d.test_idx[s], v);
			hb_model_infer_values(&net, v, &r);
			ok += r.cls == d.labels[d.test_idx[s]];
		}
		printf("  L=%u %.2f%%", net.L, 100.0 * ok / d.n_test);
	}
	printf("\n");
	hb_net_free(&net);
	hb_digits_free(&d);
	return 0;
}
