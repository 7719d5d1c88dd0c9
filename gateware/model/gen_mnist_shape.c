/* Generate gateware/model/nets/mnist-shape.json: a 784-128-10 network with reproducible
 * pseudo-random weights, for timing and power measurements (its classes mean nothing).
 *
 *   make -C build hb_gen_mnist_shape && build/gateware/model/hb_gen_mnist_shape > nets/mnist-shape.json
 *
 * Weights come from splitmix64 seeded with HB_MNIST_SHAPE_SEED (documented in
 * docs/network-format.md): each byte is sign (p = 1/4 inhibitory) << 7 | magnitude 0..127. */
#include <stdio.h>
#include <stdlib.h>

#include "hb_model.h"

#define HB_MNIST_SHAPE_SEED 0x68696c62656e6368ull /* "hilbench" */

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

int main(void)
{
	static const unsigned sizes[] = {784, 128, 10};
	struct hb_net net;
	uint64_t s = HB_MNIST_SHAPE_SEED;
	if (hb_net_init(&net, 2, sizes, 256) != HB_OK)
		return 1;
	snprintf(net.name, sizeof net.name, "mnist-shape");
	for (unsigned k = 0; k < net.n_layers; k++) {
		struct hb_layer *ly = &net.layers[k];
		for (size_t q = 0; q < (size_t)ly->n_in * ly->n_out; q++) {
			uint64_t r = splitmix64(&s);
			ly->weights[q] = (uint8_t)(((r >> 8) & 3) == 0 ? 0x80 : 0) | (uint8_t)(r & 0x7F);
		}
		/* Rate-coded drive: with inputs near 1/2 and 3/4 excitatory weights of mean 1/2,
		 * the net excitatory count per step is ~ n_in/8; scale it so that neurons fire
		 * at a moderate rate (roughly 0.1-0.3 spikes per step). */
		ly->i_scale = (int16_t)(k == 0 ? 16 : 64);
		ly->v_th = 1024;
		ly->v_reset = 0;
		ly->v_rest = 0;
		ly->leak = 16;
		ly->gain = 256;
		ly->refractory = 1;
	}
	char *json = NULL;
	if (hb_net_to_json(&net, &json) != HB_OK)
		return 1;
	printf("%s\n", json);
	free(json);
	hb_net_free(&net);
	return 0;
}
