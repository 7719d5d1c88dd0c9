/* libFuzzer target: the network-file reader (gateware/model/hb_net.c), a file other people
 * write (docs/network-format.md, docs/security.md).
 *
 * Input: the file's bytes, handed over in an exact-size heap buffer without a terminating
 * NUL (ASan sees any read past the end). Checked: the error message is a NUL-terminated
 * string inside its buffer; a network that loads validates, writes back (hb_net_to_json)
 * and reads back to the same network; a small one runs one inference in both models, which
 * must agree. Any violation traps. Build: tests/fuzz/run-fuzz.sh (clang), or the replay
 * driver (gcc, test_fuzz_net_corpus). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hb_log.h"
#include "hb_model.h"

#define CHECK(x) \
	do { \
		if (!(x)) \
			__builtin_trap(); \
	} while (0)

static int same_net(const struct hb_net *a, const struct hb_net *b)
{
	if (strcmp(a->name, b->name) || a->n_layers != b->n_layers || a->L != b->L ||
	    a->in_seed != b->in_seed || a->in_stride != b->in_stride)
		return 0;
	for (unsigned k = 0; k < a->n_layers; k++) {
		const struct hb_layer *x = &a->layers[k], *y = &b->layers[k];
		if (x->n_in != y->n_in || x->n_out != y->n_out || x->wt_seed != y->wt_seed ||
		    x->wi_seed != y->wi_seed || x->i_scale != y->i_scale || x->v_th != y->v_th ||
		    x->v_reset != y->v_reset || x->v_rest != y->v_rest || x->leak != y->leak ||
		    x->gain != y->gain || x->refractory != y->refractory ||
		    memcmp(x->weights, y->weights, (size_t)x->n_in * x->n_out) != 0)
			return 0;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int quiet;
	if (!quiet) {
		hb_log_set_level(HB_LOG_NONE);
		quiet = 1;
	}
	char *text = malloc(size ? size : 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	struct hb_net net;
	char err[256];
	memset(err, 'X', sizeof err);
	enum hb_status st = hb_net_parse(text, size, "fuzz.json", &net, err, sizeof err);
	free(text);
	CHECK(memchr(err, 0, sizeof err) != NULL);
	if (st != HB_OK) {
		CHECK(err[0] != 0); /* every refusal says why */
		return 0;
	}
	CHECK(hb_net_validate(&net, NULL, 0) == HB_OK);
	char *json = NULL;
	CHECK(hb_net_to_json(&net, &json) == HB_OK);
	struct hb_net back;
	CHECK(hb_net_parse(json, strlen(json), "round-trip", &back, err, sizeof err) == HB_OK);
	CHECK(same_net(&net, &back));
	free(json);
	hb_net_free(&back);

	/* One inference when it is cheap: both models must agree bit for bit. */
	if (hb_net_synapses(&net) * net.L <= 200000) {
		size_t nb = hb_model_input_bytes(&net);
		uint8_t *bits = calloc(nb ? nb : 1, 1);
		uint16_t *vals = calloc(net.layers[0].n_in, sizeof *vals);
		if (bits && vals) {
			for (unsigned i = 0; i < net.layers[0].n_in; i++)
				vals[i] = (uint16_t)(i * 2654435761u >> 16);
			struct hb_model_result a, b;
			CHECK(hb_model_encode(&net, vals, bits) == HB_OK);
			CHECK(hb_model_infer(&net, bits, &a) == HB_OK);
			CHECK(hb_model_infer_naive(&net, bits, &b) == HB_OK);
			CHECK(a.cls == b.cls && memcmp(a.counts, b.counts, sizeof a.counts) == 0);
		}
		free(bits);
		free(vals);
	}
	hb_net_free(&net);
	return 0;
}
