/* hilbench virtual board — power model and ground truth.
 *
 * The model (docs/vboard.md "Power model") turns the design's per-cycle activity outputs
 * into energy. The harness only sums the activity counts (integers) per cycle; every energy
 * is a linear function of those sums, so the energy between two checkpoints is exact (no
 * floating-point accumulation over cycles). */
#ifndef HB_VB_POWER_H
#define HB_VB_POWER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hb_status.h"

#ifdef __cplusplus
extern "C" {
#endif

struct hb_vb_power_model {
	char family[16];
	double rail_v;        /* monitored rail (board input), volts; the INA219 bus reads this */
	double board_a;       /* constant rail current: regulators' quiescent, oscillator, flash */
	double core_supply_v; /* I_rail += P_core / core_supply_v (LDO: the core voltage) */
	double static_w;      /* core static power */
	double e_clk_j;       /* per clock cycle: clock tree and always-on logic */
	double e_syn_j, e_op_j, e_wmem_j, e_imem_j, e_lif_j, e_uart_j; /* per activity unit */
	double r_shunt_ohm;   /* INA219 shunt */
	unsigned ina_addr;    /* INA219 7-bit address */
	/* Warm-up leakage (docs/vboard.md "Temperature"): the die warms while the engine computes,
	 * towards ΔT_ss = theta_c_per_w · P_idle_rail(f), with time constant thermal_tau_s of
	 * busy time, and during busy cycles the static power grows by leak_per_c per °C:
	 * static_w · (1 + leak_per_c · ΔT(B)), B = busy cycles since power-up. leak_per_c = 0
	 * turns the effect off. */
	double theta_c_per_w; /* °C per W of rail power at thermal equilibrium */
	double thermal_tau_s; /* thermal time constant, s */
	double leak_per_c;    /* relative static-power increase per °C */
};

/* Activity sums since cycle 0 (all integers). */
struct hb_vb_sums {
	uint64_t cycles, syn, ops, wmem, imem, lif, uart, busy;
	uint64_t done;           /* done pulses: inferences completed */
};

/* Activity word of one cycle (also the uniform-segment key): act_syn bits 15:0, act_ops
 * 31:16, wmem 32, imem 33, lif 34, uart 35, busy 36, done 37. */
static inline uint64_t hb_vb_word(uint16_t syn, uint16_t ops, unsigned wmem, unsigned imem,
				  unsigned lif, unsigned uart, unsigned busy, unsigned done)
{
	return (uint64_t)syn | (uint64_t)ops << 16 | (uint64_t)(wmem & 1) << 32 |
	       (uint64_t)(imem & 1) << 33 | (uint64_t)(lif & 1) << 34 | (uint64_t)(uart & 1) << 35 |
	       (uint64_t)(busy & 1) << 36 | (uint64_t)(done & 1) << 37;
}

static inline void hb_vb_word_add(struct hb_vb_sums *s, uint64_t w)
{
	s->cycles++;
	s->syn += w & 0xFFFF;
	s->ops += (w >> 16) & 0xFFFF;
	s->wmem += (w >> 32) & 1;
	s->imem += (w >> 33) & 1;
	s->lif += (w >> 34) & 1;
	s->uart += (w >> 35) & 1;
	s->busy += (w >> 36) & 1;
	s->done += (w >> 37) & 1;
}

void hb_vb_power_defaults(struct hb_vb_power_model *pm);
/* Load an ini file ([power] and [monitor] sections, see gateware/vboard/power-ice40.ini).
 * Unknown keys are an error (a typo never silently does nothing). */
enum hb_status hb_vb_power_load(const char *path, struct hb_vb_power_model *pm);

/* Energy (J) on the core supply / on the monitored rail for the activity in s, at the static
 * power of a cold die (the warm-up leakage depends on when the cycles ran: see below). */
long double hb_vb_core_energy_j(const struct hb_vb_power_model *pm, double clock_hz,
				const struct hb_vb_sums *s);
long double hb_vb_rail_energy_j(const struct hb_vb_power_model *pm, double clock_hz,
				const struct hb_vb_sums *s);
/* Extra core energy (J) of the warm-up leakage between cumulative busy counts b0 <= b1 (busy
 * cycles since power-up); 0 when the effect is off. */
long double hb_vb_leak_extra_j(const struct hb_vb_power_model *pm, double clock_hz, uint64_t b0,
			       uint64_t b1);
/* Die temperature rise (°C) after `busy` busy cycles. */
double hb_vb_temp_rise_c(const struct hb_vb_power_model *pm, double clock_hz, uint64_t busy);
/* Everything between two cumulative sums a (earlier) and b: the rail (or core) energy of the
 * activity b − a plus the warm-up leakage of the busy cycles between them. */
long double hb_vb_rail_energy_between_j(const struct hb_vb_power_model *pm, double clock_hz,
					const struct hb_vb_sums *a, const struct hb_vb_sums *b);
long double hb_vb_core_energy_between_j(const struct hb_vb_power_model *pm, double clock_hz,
					const struct hb_vb_sums *a, const struct hb_vb_sums *b);
/* Cumulative charge through the shunt (C) for sums since cycle 0: rail energy (warm-up
 * leakage included) / rail voltage. */
double hb_vb_charge_c(const struct hb_vb_power_model *pm, double clock_hz,
		      const struct hb_vb_sums *s);
/* Rail power with the design idle (all act_* zero) and the die cold. */
double hb_vb_idle_power_w(const struct hb_vb_power_model *pm, double clock_hz);

/* Ground truth: checkpoints of the sums at cycle boundaries. */
struct hb_vb_ckpt {
	struct hb_vb_sums s;     /* sums over cycles [0, s.cycles) */
	uint64_t word;           /* activity word of the segment ending here, when uniform */
	int uniform;             /* every cycle of the segment ending here had the same activity */
};

struct hb_vb_window {
	uint64_t c0, c1;         /* busy rising edge .. falling edge (cycles [c0, c1)) */
};

struct hb_vb_truth {
	const struct hb_vb_power_model *pm;
	double clock_hz;
	struct hb_vb_ckpt *ck;
	size_t n, cap;
	struct hb_vb_window *win;
	size_t n_win, cap_win;
	uint64_t busy_start;
	int in_busy;
	/* Optional per-cycle history (ring of activity words): makes stamps inside the
	 * last hist_mask+1 cycles exact. */
	const uint64_t *hist;
	uint64_t hist_mask;
};

enum hb_status hb_vb_truth_init(struct hb_vb_truth *t, const struct hb_vb_power_model *pm,
				double clock_hz);
void hb_vb_truth_free(struct hb_vb_truth *t);
/* Record a checkpoint at boundary s->cycles; uniform/word describe the segment since the
 * previous checkpoint. Consecutive uniform segments with the same word merge. */
enum hb_status hb_vb_truth_mark(struct hb_vb_truth *t, const struct hb_vb_sums *s, int uniform,
				uint64_t word);
/* Pin exact checkpoints at boundaries c-k .. c-1 (k <= 8) from the history, so that stamps
 * taken a few cycles before an edge (INFER's t_start precedes busy by the start handshake)
 * stay exact after the history has moved on. s is the sums at boundary c. */
void hb_vb_truth_pin_before(struct hb_vb_truth *t, const struct hb_vb_sums *s, unsigned k);
/* Busy edges (the harness also marks a checkpoint at the same boundary). */
void hb_vb_truth_busy_edge(struct hb_vb_truth *t, uint64_t cycle, int rising);

struct hb_vb_truth_result {
	uint64_t cycles, busy_cycles, done;
	double energy_j, core_energy_j, avg_power_w;
	double idle_power_w;     /* what the board draws idle (no warm-up: it leaks while busy) */
	int exact;  /* both ends fell on checkpoints or inside uniform segments */
};
/* Truth between boundaries c0 < c1. live/live_uniform/live_word: the current sums and the open
 * segment (since the last checkpoint); c1 may not exceed live->cycles. */
enum hb_status hb_vb_truth_query(const struct hb_vb_truth *t, uint64_t c0, uint64_t c1,
				 const struct hb_vb_sums *live, int live_uniform,
				 struct hb_vb_truth_result *out);
/* JSON summary: totals, the model, every busy window with its exact energy. */
enum hb_status hb_vb_truth_write_json(const struct hb_vb_truth *t, const struct hb_vb_sums *live,
				      int live_uniform, FILE *f);

#ifdef __cplusplus
}
#endif
#endif
