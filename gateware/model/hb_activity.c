/* hb_activity — the engine's activity per inference in closed form (see hb_activity.h).
 *
 * The schedule of one layer (n_in = I, n_out = J, C = L/P passes per neuron, B = P/8):
 *
 *   5 cycles   S_LPAR (w_offset read)
 *   J times:   S_WLD  WL = nload + 1 cycles, nload = ⌊(I + B − 2)/B⌋ + 1 row-fetch reads
 *              C passes of perm = max(I + 1, P) cycles; a pass issues inputs (s0_v: one
 *              input/spike word read and one row-cache read each) in its first I cycles
 *   S_DRAIN    min(I + 1, P) + 5 cycles
 *
 * plus one final cycle per inference. Counting the outputs of hb_engine.v over that schedule:
 * act_ops = P per issue cycle (J·C·I of them); act_wmem = nload per neuron + one per issue
 * cycle; act_lif = P per pass (the LIF consumes one lane per cycle); act_imem = one per issue
 * cycle, plus, in every layer but the last, one spike-word write per pass, which the RTL
 * raises I + P + 5 cycles after the pass's first cycle (accumulate → hand-over → 4 LIF stages →
 * write). act_imem is one bit, so a write that lands on an issue cycle of a later pass adds
 * nothing. Where it lands depends only on the pass's distance to its neuron's end and on how
 * many neurons follow, so the overlap count is O(C) per layer. */
#include "hb_activity.h"

#include <string.h>

static int lanes_ok(const struct hb_net *net, unsigned P)
{
	return net && P >= 16 && P <= 256 && (P & (P - 1)) == 0 && net->L % P == 0 &&
	       hb_net_validate(net, NULL, 0) == HB_OK;
}

struct lshape {
	uint64_t I, J, C, P, perm, nload, WL;
};

static struct lshape shape(const struct hb_layer *ly, unsigned L, unsigned P)
{
	struct lshape s;
	const uint64_t B = P / 8;
	s.I = ly->n_in;
	s.J = ly->n_out;
	s.P = P;
	s.C = L / P;
	s.perm = s.I + 1 > s.P ? s.I + 1 : s.P;
	s.nload = (s.I + B - 2) / B + 1;
	s.WL = s.nload + 1;
	return s;
}

/* Does the spike-word write of pass c of a neuron (with `after` neurons following it in the
 * layer) land on an issue cycle? Positions are relative to that neuron's first WLD cycle. */
static int write_on_issue(const struct lshape *s, uint64_t c, uint64_t after)
{
	const uint64_t span = s->WL + s->C * s->perm; /* one neuron: row fetch + passes */
	uint64_t pos = s->WL + c * s->perm + s->I + s->P + 5;
	for (;;) {
		if (pos < span) {
			if (pos < s->WL)
				return 0; /* row fetch */
			return (pos - s->WL) % s->perm < s->I;
		}
		if (after == 0)
			return 0; /* the layer's drain */
		pos -= span;
		after--;
	}
}

/* Writes of one layer that coincide with an issue cycle. */
static uint64_t write_overlaps(const struct lshape *s)
{
	/* A write lands at most 2 neurons after its own (I + P + 5 < 2 · span): the outcome for
	 * `after` >= 2 is the same as for 2. */
	uint64_t n = 0;
	for (uint64_t c = 0; c < s->C; c++) {
		uint64_t full = s->J >= 2 ? s->J - 2 : 0; /* neurons with >= 2 followers */
		n += full * (uint64_t)write_on_issue(s, c, 2);
		if (s->J >= 2)
			n += (uint64_t)write_on_issue(s, c, 1);
		n += (uint64_t)write_on_issue(s, c, 0);
	}
	return n;
}

uint64_t hb_activity_cycles(const struct hb_net *net, unsigned lanes)
{
	if (!lanes_ok(net, lanes))
		return 0;
	uint64_t N = 1;
	for (unsigned k = 0; k < net->n_layers; k++) {
		struct lshape s = shape(&net->layers[k], net->L, lanes);
		uint64_t drain = (s.I + 1 < s.P ? s.I + 1 : s.P) + 5;
		N += 5 + s.J * (s.WL + s.C * s.perm) + drain;
	}
	return N;
}

enum hb_status hb_activity_static(const struct hb_net *net, unsigned lanes, struct hb_activity *a)
{
	if (!a || !lanes_ok(net, lanes))
		return HB_ERR_ARG;
	memset(a, 0, sizeof *a);
	a->cycles = hb_activity_cycles(net, lanes);
	for (unsigned k = 0; k < net->n_layers; k++) {
		struct lshape s = shape(&net->layers[k], net->L, lanes);
		const uint64_t issue = s.J * s.C * s.I;
		a->ops += issue * s.P;
		a->wmem += s.J * s.nload + issue;
		a->lif += s.J * s.C * s.P;
		a->imem += issue;
		if (k + 1 < net->n_layers)
			a->imem += s.J * s.C - write_overlaps(&s);
	}
	return HB_OK;
}

enum hb_status hb_activity_infer(const struct hb_net *net, unsigned lanes, const uint8_t *bits,
				 struct hb_activity *a, struct hb_model_result *res)
{
	if (!bits)
		return HB_ERR_ARG;
	enum hb_status st = hb_activity_static(net, lanes, a);
	if (st != HB_OK)
		return st;
	struct hb_model_result tmp;
	uint64_t syn[HB_MODEL_MAX_LAYERS] = {0};
	st = hb_model_infer_count(net, bits, res ? res : &tmp, NULL, syn);
	if (st != HB_OK)
		return st;
	for (unsigned k = 0; k < net->n_layers; k++)
		a->syn += syn[k];
	return HB_OK;
}

uint64_t hb_activity_stream_imem(const struct hb_net *net)
{
	return net ? hb_model_input_bytes(net) : 0;
}

uint64_t hb_activity_uart_edges(const uint8_t *bytes, size_t n)
{
	uint64_t edges = 0;
	unsigned level = 1; /* idle high */
	for (size_t i = 0; i < n; i++) {
		unsigned frame = 0x200u | ((unsigned)bytes[i] << 1); /* start 0, data LSB first, stop 1 */
		for (unsigned b = 0; b < 10; b++) {
			unsigned bit = (frame >> b) & 1u;
			edges += bit != level;
			level = bit;
		}
	}
	return edges;
}
