/* hb_activity — what the folded engine does during one inference, counted without simulating it.
 *
 * hb_engine (gateware/rtl/hb_engine.v) has activity outputs that drive the virtual board's power
 * model (gateware/vboard/vb_power.c); on a real board they are what the fitted energy model's
 * per-event energies multiply (docs/calibration.md). This module predicts, for any network,
 * lane count P and input, the sum of each output over the busy cycles of one inference:
 *
 *   cycles  N, the busy cycles (the closed formula of docs/gateware.md "Engine timing")
 *   ops     Σ act_ops   synapse-steps evaluated            = P · issue cycles = Σ n_in·n_out·L
 *   syn     Σ act_syn   synapse-steps whose AND was 1      (needs the inference: data dependent)
 *   wmem    Σ act_wmem  weight reads: row fetches + row-cache reads
 *   imem    Σ act_imem  input/spike memory: word reads + hidden spike-word writes (a write in the
 *                       same cycle as a read counts once: the output is one bit per cycle)
 *   lif     Σ act_lif   neuron updates (one time step each) = Σ n_out·L
 *
 * Everything except syn is a closed form of the topology, L and P (O(K·L/P) work); syn costs one
 * golden-model inference with a popcount per synapse word. tests/gateware/test_engine.cc checks
 * every count against the verilated engine's act_* sums on every inference it runs.
 *
 * Outside the busy cycles: streaming one input writes n_in[0]·L/8 bytes to INPUT, one act_imem
 * cycle each (hb_activity_stream_imem); a BATCH starts the next inference HB_ACTIVITY_BATCH_GAP
 * cycles after the previous `done`, cycles with no activity at all. act_uart (hb_top) counts
 * UART line edges; hb_activity_uart_edges() counts them for bytes sent as 8N1 frames. */
#ifndef HB_ACTIVITY_H
#define HB_ACTIVITY_H

#include <stddef.h>
#include <stdint.h>

#include "hb_model.h"

#ifdef __cplusplus
extern "C" {
#endif

struct hb_activity {
	uint64_t cycles; /* busy cycles N */
	uint64_t ops;    /* Σ act_ops */
	uint64_t syn;    /* Σ act_syn (0 from hb_activity_static) */
	uint64_t wmem;   /* Σ act_wmem */
	uint64_t imem;   /* Σ act_imem during the busy cycles */
	uint64_t lif;    /* Σ act_lif */
};

/* Cycles from one BATCH inference's first busy cycle to the next one's, minus N: the link side
 * (hb_cmd) pulses the next start two cycles after `done`, and the engine raises busy the cycle
 * after start. A BATCH window [t_first_start, t_last_done) of n inferences therefore lasts
 * n·N + (n−1)·GAP cycles. */
#define HB_ACTIVITY_BATCH_GAP 3u

/* The busy cycles N of one inference (docs/gateware.md), 0 for an invalid net or lane count.
 * lanes: P, a power of two 16..256 dividing L. */
uint64_t hb_activity_cycles(const struct hb_net *net, unsigned lanes);

/* Every count except syn (set to 0). HB_ERR_ARG: NULL, an invalid net, or lanes that are not a
 * power of two in 16..256 dividing L. */
enum hb_status hb_activity_static(const struct hb_net *net, unsigned lanes, struct hb_activity *a);

/* Every count for one inference from the input bitstreams (hb_model_encode layout). res, if not
 * NULL, receives the inference's result (as hb_model_infer). */
enum hb_status hb_activity_infer(const struct hb_net *net, unsigned lanes, const uint8_t *bits,
				 struct hb_activity *a, struct hb_model_result *res);

/* act_imem cycles of streaming one input (byte-port INPUT writes): n_in[0] · ceil(L/8). */
uint64_t hb_activity_stream_imem(const struct hb_net *net);

/* UART line edges (level changes) of bytes sent back to back as 8N1 frames on an idle-high
 * line, which is left idle (high) after the last stop bit. */
uint64_t hb_activity_uart_edges(const uint8_t *bytes, size_t n);

/* The golden model's inference that also counts the synaptic events (AND = 1) of each layer
 * into syn[k] (K entries, added to). Same contract as hb_model_infer_ex otherwise. */
enum hb_status hb_model_infer_count(const struct hb_net *net, const uint8_t *bits,
				    struct hb_model_result *res, uint8_t *const *spikes,
				    uint64_t *syn);

#ifdef __cplusplus
}
#endif
#endif
