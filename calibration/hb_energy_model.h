/* hilbench — the analytic FPGA energy model, a C port of SC-NeuroCore's
 * `sc_neurocore.energy.estimate()` (src/sc_neurocore/energy/estimator.py and fpga_models.py)
 * and of the FPGA row of its platform profiler (src/sc_neurocore/profiler/platform_profiler.py).
 *
 * The numbers match the Python double for double: the same formulas, evaluated in the same
 * order, in IEEE-754 double precision. docs/calibration.md lists the formulas and what the
 * model leaves out (static power, I/O, folding).
 *
 * Calibration: hb_cal_fit() fits P = P_static + C_eff * V^2 * f * LUTs * activity to measured
 * points (ordinary least squares), and hb_energy_estimate_calibrated() evaluates the model
 * with the fitted coefficients. */
#ifndef HB_ENERGY_MODEL_H
#define HB_ENERGY_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hb_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One FPGA target (fpga_models.py FPGATarget). */
struct hb_fpga_target {
	const char *name;        /* key used on the command line: "ice40", "ecp5", ... */
	const char *part;        /* SC-NeuroCore's part name: "ice40_hx8k", ... */
	const char *family;      /* "ice40", "ecp5", "xc7a", "xc7z" */
	uint32_t total_luts;
	uint32_t total_bram_kb;
	uint32_t total_dsp;
	double voltage_v;        /* core voltage */
	double max_freq_mhz;     /* typical maximum clock (informative; the model does not clamp) */
	double c_eff_ff;         /* effective capacitance per LUT toggle, femtofarads */
};

/* The target table, in SC-NeuroCore's order (ice40, ecp5, artix7, zynq). */
size_t hb_energy_target_count(void);
const struct hb_fpga_target *hb_energy_target_at(size_t i);
/* Look a target up by name (case-sensitive, as the Python dict). NULL when unknown. */
const struct hb_fpga_target *hb_energy_target_find(const char *name);
/* Write the known names, comma separated ("ice40, ecp5, artix7, zynq"), for error messages. */
void hb_energy_target_names(char *buf, size_t size);

/* Per-module costs (fpga_models.py ModuleCost), exposed for docs and tests. */
enum {
	HB_COST_LIF_LUTS = 120, HB_COST_LIF_FFS = 48,
	HB_COST_EVENT_LUTS = 85, HB_COST_EVENT_FFS = 32,
	HB_COST_ENCODER_LUTS = 40, HB_COST_ENCODER_FFS = 16,
	HB_COST_SYNAPSE_LUTS = 1,
	HB_COST_AXI_LITE_LUTS = 200,
	HB_COST_AER_ENCODER_LUTS = 60,
	HB_COST_AER_ROUTER_LUTS = 100,
	HB_BRAM_BITS_PER_WEIGHT = 16,
	HB_BRAM_MIN_SYNAPSES = 1024, /* weights go to BRAM when synapses > this */
};

#define HB_ENERGY_MAX_LAYERS 32
#define HB_ENERGY_DEFAULT_CLOCK_MHZ 100.0
#define HB_ENERGY_DEFAULT_LENGTH 256u
#define HB_ENERGY_ACTIVITY_CLOCKED 0.5
#define HB_ENERGY_ACTIVITY_EVENT 0.1

struct hb_layer_shape {
	uint32_t n_in;
	uint32_t n_out;
};

/* estimate() keyword arguments. Start from hb_energy_opts_default(). */
struct hb_energy_opts {
	const char *target;        /* default "ice40" */
	uint32_t bitstream_length; /* L, default 256 */
	bool event_driven;         /* activity 0.1, event neuron, AER infrastructure */
	double clock_mhz;          /* default 100 */
	bool include_infra;        /* default true: AXI-Lite (+ AER encoder/router if event-driven) */
};

struct hb_energy_opts hb_energy_opts_default(void);

/* LayerEstimate */
struct hb_layer_estimate {
	uint32_t n_in;
	uint32_t n_out;
	uint64_t n_synapses;
	uint32_t bitstream_length;
	uint64_t luts;
	uint64_t ffs;
	uint64_t bram_bits;
	double dynamic_power_mw;
	uint64_t latency_cycles;
};

/* EnergyReport, plus the calibrated extras (zero / equal to the dynamic figures when the
 * report comes from hb_energy_estimate()). */
struct hb_energy_report {
	const struct hb_fpga_target *target;
	size_t n_layers;
	struct hb_layer_estimate layers[HB_ENERGY_MAX_LAYERS];
	uint64_t infra_luts;
	uint64_t total_luts;            /* layers + infra */
	uint64_t total_ffs;             /* layers only, as in SC-NeuroCore */
	double total_bram_kb;           /* bits / 8192 */
	double total_dynamic_power_mw;
	uint64_t total_latency_cycles;
	double energy_per_inference_nj; /* dynamic power x latency */
	double clock_mhz;
	bool fits_on_target;            /* total_luts <= target LUTs */
	double utilization_pct;         /* total_luts / target LUTs * 100 */
	double activity;

	bool calibrated;                /* coefficients came from a fit */
	double static_power_mw;         /* 0 unless calibrated */
	double total_power_mw;          /* dynamic + static */
	double energy_total_nj;         /* total power x latency */
};

/* estimate(layer_sizes, target, bitstream_length, event_driven, clock_mhz, include_infra).
 * Errors: HB_ERR_ARG for n == 0, n > HB_ENERGY_MAX_LAYERS, a zero size, L == 0 or a clock
 * that is not a positive finite number; HB_ERR_NOTFOUND for an unknown target (the message
 * lists the known ones). Layer chaining is not checked (SC-NeuroCore does not either; see
 * hb_energy_check_chain()). */
enum hb_status hb_energy_estimate(const struct hb_layer_shape *layers, size_t n,
				  const struct hb_energy_opts *opts, struct hb_energy_report *out);

/* HB_OK when layers[k].n_in == layers[k-1].n_out for every k; otherwise HB_ERR_MISMATCH and
 * *bad_index = the first k that does not chain. */
enum hb_status hb_energy_check_chain(const struct hb_layer_shape *layers, size_t n,
				     size_t *bad_index);

/* Parse "784x128,128x10" (also "784-128-10" as a chain of widths). On error returns HB_ERR_ARG
 * and writes a human-readable reason to err. */
enum hb_status hb_energy_parse_layers(const char *spec, struct hb_layer_shape *layers,
				      size_t max, size_t *n, char *err, size_t err_size);

/* The profiler's FPGA row (_profile_fpga): what platform_profiler.py derives from a report. */
struct hb_energy_row {
	char platform[32];          /* "fpga_<target>" */
	double latency_ms;          /* cycles / (clock_mhz * 1e3) */
	double throughput_inf_per_s; /* 1 / max(latency_ms / 1000, 1e-9) */
	double power_mw;            /* total dynamic power (total power when calibrated) */
	double energy_per_inf_nj;   /* energy per inference (total when calibrated) */
	char notes[48];             /* "fits NN%" or "EXCEEDS NN%" (utilisation, 0 decimals) */
};

void hb_energy_profiler_row(const struct hb_energy_report *r, struct hb_energy_row *row);

/* ---- calibration ---- */

/* One measured point of a sweep: the design's LUT count, its clock, core voltage and
 * switching activity, and the measured power. */
struct hb_cal_point {
	double clock_mhz;
	double luts;
	double activity;
	double voltage_v;
	double power_mw;
};

/* Fitted coefficients for one target. */
struct hb_cal_coeffs {
	char target[16];        /* target name the fit belongs to */
	double c_eff_ff;        /* fitted effective capacitance per LUT toggle, fF */
	double static_power_mw; /* fitted intercept: power with no switching */
	double r2;              /* coefficient of determination of the fit */
	double rms_residual_mw; /* root-mean-square residual */
	size_t n_points;
};

/* Ordinary least squares of power_mw = P_static + k * x, x = f[Hz] * LUTs * activity * V^2,
 * giving c_eff_ff = k * 1e12 (k in mW per unit of x: P_W = C_F * x, so mW = fF * 1e-12 * x). Needs >= 2 points with distinct x
 * (HB_ERR_ARG otherwise). With fix_static_zero, fits through the origin (P_static = 0). */
enum hb_status hb_cal_fit(const struct hb_cal_point *pts, size_t n, bool fix_static_zero,
			  struct hb_cal_coeffs *out);

/* The model's power prediction for one point with given coefficients (mW). */
double hb_cal_predict_mw(const struct hb_cal_coeffs *c, const struct hb_cal_point *p);

/* hb_energy_estimate() with the target's C_eff replaced by the fitted one, and the fitted
 * static power added once to the total (static_power_mw, total_power_mw, energy_total_nj).
 * The dynamic fields keep their meaning (dynamic only). */
enum hb_status hb_energy_estimate_calibrated(const struct hb_layer_shape *layers, size_t n,
					     const struct hb_energy_opts *opts,
					     const struct hb_cal_coeffs *coeffs,
					     struct hb_energy_report *out);

#ifdef __cplusplus
}
#endif
#endif
