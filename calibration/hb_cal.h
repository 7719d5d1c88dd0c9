/* hilbench — calibration: fitting a board's energy model to measured points (GSL weighted least
 * squares), SC-NeuroCore's C_eff form, held-out validation, and the calibration file.
 * docs/calibration.md explains the method and the formats.
 *
 * The bench's energy model, per inference in a BATCH window on one board:
 *
 *   E = P_static · t + e_clk · cycles + e_syn · syn + e_op · ops + e_wmem · wmem
 *       + e_imem · imem + e_lif · lif
 *
 * t = cycles / f, cycles = the window's cycles per inference (N + the BATCH gap), and the event
 * counts come from the activity model (gateware/model/hb_activity.h). The same model in power
 * form, P = E / t, is used for points that give only a power (a multimeter at a clock).
 * Units: P_static in mW, every per-cycle or per-event energy in pJ, energies in nJ. */
#ifndef HB_CAL_H
#define HB_CAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hb_activity.h"
#include "hb_status.h"

#ifdef __cplusplus
extern "C" {
#endif

struct cJSON;

/* The terms of the energy model, in a fixed order. */
enum hb_cal_term {
	HB_CAL_STATIC = 0, /* P_static, mW (multiplies time) */
	HB_CAL_CLK,        /* pJ per clock cycle */
	HB_CAL_SYN,        /* pJ per synaptic event (AND = 1) */
	HB_CAL_OPS,        /* pJ per synapse-step evaluated */
	HB_CAL_WMEM,       /* pJ per weight-memory read */
	HB_CAL_IMEM,       /* pJ per input/spike-memory access */
	HB_CAL_LIF,        /* pJ per neuron update */
	HB_CAL_NTERMS
};
#define HB_CAL_ALL_TERMS ((1u << HB_CAL_NTERMS) - 1u)

/* "static_mw", "clk_pj", "syn_pj", ... (the keys of the calibration file). */
const char *hb_cal_term_key(enum hb_cal_term t);
/* What the term is, for people: "static power", "per clock cycle", ... */
const char *hb_cal_term_label(enum hb_cal_term t);

/* Per-inference workload: the window's time and cycles per inference and the activity sums. */
struct hb_cal_x {
	double t_s, cycles, syn, ops, wmem, imem, lif;
};

enum hb_cal_form {
	HB_CAL_ENERGY = 0, /* the point gives energy per inference (nJ) */
	HB_CAL_POWER = 1,  /* the point gives only an average power (mW) */
};

/* One measured point. */
struct hb_cal_obs {
	char net[64];            /* network name (leave-one-network-out groups by it); "" unknown */
	unsigned L;              /* 0 unknown */
	double clock_hz;
	enum hb_cal_form form;
	struct hb_cal_x x;       /* per inference (t_s = cycles / clock_hz) */
	unsigned have;           /* bitmask of terms whose regressor is known for this point */
	double energy_nj, energy_se_nj; /* measured per inference and its standard error (0: unknown) */
	double energy_dyn_nj;    /* measured dynamic energy per inference (idle baseline subtracted);
				  * NaN unknown */
	double power_mw, power_se_mw;   /* measured average power while computing, its SE */
	double latency_cycles;   /* measured busy cycles per inference; NaN unknown */
	double predicted_cycles; /* the activity model's N; NaN unknown */
	double analytic_nj;      /* SC-NeuroCore's uncalibrated estimate; NaN unknown */
	int64_t run_id;          /* stored run it came from; 0 none */
	bool idle;               /* an idle-baseline point (power form, every event 0): it pins
				  * static power and the per-cycle energy; validation summaries
				  * leave it out when there are energy points */
};

/* A fit of the energy model. */
struct hb_cal_fit {
	unsigned terms;                   /* bitmask of the fitted terms */
	double coef[HB_CAL_NTERMS];       /* 0 for terms not fitted */
	double se[HB_CAL_NTERMS];         /* standard errors (scaled by sqrt(chi2/dof) when > 1) */
	double cov[HB_CAL_NTERMS][HB_CAL_NTERMS];
	double chi2;                      /* weighted residual sum of squares */
	size_t n, dof;
	double rms_rel;                   /* RMS relative residual over the points */
	char note[256];                   /* terms left out and why; "" when none */
};

/* Weighted least squares (gsl_multifit_wlinear_tsvd) of the energy model to n points over the
 * terms in `want` that every point has. Weights 1/σ², σ = the point's standard error, at least
 * HB_CAL_SE_FLOOR of its value. A term the points cannot tell apart from the others (the
 * design matrix loses rank, e.g. static power and per-cycle energy at a single clock) is left
 * out, the one whose removal raises χ² least, and named in fit->note.
 * HB_ERR_ARG: no usable term, or fewer points than terms + 1 (why says which). */
#define HB_CAL_SE_FLOOR 1e-5
enum hb_status hb_cal_fit_energy(const struct hb_cal_obs *obs, size_t n, unsigned want,
				 struct hb_cal_fit *fit, char *why, size_t whylen);

/* Energy per inference (nJ) and power (mW) the fit predicts for a workload, with the standard
 * error of the prediction from the covariance (NULL allowed). */
double hb_cal_predict_energy_nj(const struct hb_cal_fit *fit, const struct hb_cal_x *x, double *se_nj);
double hb_cal_predict_power_mw(const struct hb_cal_fit *fit, const struct hb_cal_x *x, double *se_mw);
/* The point's measured quantity (energy or power, by its form) and the fit's prediction of it. */
double hb_cal_obs_value(const struct hb_cal_obs *o);
double hb_cal_obs_predict(const struct hb_cal_fit *fit, const struct hb_cal_obs *o);
/* The dynamic part of the prediction (nJ per inference): every term but static power and the
 * per-cycle energy, i.e. what the design's activity adds above idle at that clock. */
double hb_cal_predict_dynamic_nj(const struct hb_cal_fit *fit, const struct hb_cal_x *x);

/* SC-NeuroCore's form: P_mW = P_static + C_eff · 1e-12 · x, x = f · LUTs · activity · V²
 * (docs/calibration.md), fitted with gsl_multifit_wlinear to the points' powers, LUTs = the
 * design's real count (report.json). Needs points at >= 2 clocks. */
struct hb_cal_sc_fit {
	double luts, voltage_v, activity;
	double c_eff_ff, c_eff_se_ff, static_mw, static_se_mw;
	double chi2;
	size_t n, dof;
};
enum hb_status hb_cal_fit_sc(const struct hb_cal_obs *obs, size_t n, double luts, double voltage_v,
			     double activity, struct hb_cal_sc_fit *fit, char *why, size_t whylen);
double hb_cal_sc_power_mw(const struct hb_cal_sc_fit *fit, double clock_hz);

/* Held-out validation: refit without a group of points and predict them. */
enum hb_cal_holdout {
	HB_CAL_IN_SAMPLE = 0,      /* no hold-out: the residuals of the full fit */
	HB_CAL_LEAVE_NET_OUT = 1,  /* each network in turn */
	HB_CAL_LEAVE_CLOCK_OUT = 2 /* each clock in turn */
};
const char *hb_cal_holdout_name(enum hb_cal_holdout h); /* "in_sample", ... */

struct hb_cal_val_point {
	size_t idx;               /* index into the points */
	double measured, predicted; /* the point's quantity (energy nJ or power mW) */
	double err_pct;           /* 100 (predicted − measured) / measured; NaN: no fit for it */
	double analytic_err_pct;  /* the uncalibrated analytic model's error (energy points); NaN */
	double dyn_err_pct;       /* error of the dynamic part: the event terms against the measured
				   * energy above the idle baseline; NaN when unknown */
	unsigned terms;           /* terms of the fit that predicted it */
};

struct hb_cal_validation {
	enum hb_cal_holdout scheme;
	size_t n;                 /* points (all of them) */
	struct hb_cal_val_point *pts; /* n entries, malloc'ed */
	size_t n_pred;            /* points with a prediction */
	size_t n_groups, n_groups_failed;
	double median_abs_pct, max_abs_pct;            /* over predicted points; NaN if none */
	double analytic_median_abs_pct, analytic_max_abs_pct;
	double dyn_median_abs_pct, dyn_max_abs_pct;     /* dynamic energy; NaN if unknown */
	char note[256];
};
enum hb_status hb_cal_validate(const struct hb_cal_obs *obs, size_t n, unsigned want,
			       enum hb_cal_holdout scheme, struct hb_cal_validation *out);
void hb_cal_validation_free(struct hb_cal_validation *v);

/* ---- the calibration (file and DB record) ---- */

struct hb_calibration {
	char created_at[40];
	char board[32], family[16];
	unsigned lanes;
	unsigned batch_gap;       /* BATCH gap cycles the fit assumed (HB_ACTIVITY_BATCH_GAP) */
	char source[160];         /* "sweep 3", "points lab.csv" */
	int64_t sweep_id;         /* 0 when not from a sweep */
	double clock_min_hz, clock_max_hz;
	struct hb_cal_fit fit;
	bool have_sc;
	struct hb_cal_sc_fit sc;
	char sc_note[160];        /* why there is no SC form */
	char luts_source[200];
};

/* The calibration document (JSON, schema "hilbench-calibration/1"), with the validations
 * (may be NULL / 0) and the points. Returned object belongs to the caller. */
struct cJSON *hb_cal_to_json(const struct hb_calibration *c, const struct hb_cal_validation *val,
			     size_t n_val, const struct hb_cal_obs *obs, size_t n_obs);
/* Read a calibration back (the parts prediction needs). Errors name the file and the field. */
enum hb_status hb_cal_from_json(const struct cJSON *doc, struct hb_calibration *c, char *err,
				size_t errlen);
enum hb_status hb_cal_load(const char *path, struct hb_calibration *c, char *err, size_t errlen);

/* What a calibration predicts for one network (its activity) at a clock: latency N cycles
 * (exact, the activity model's), and per inference in a BATCH window of N + batch_gap cycles
 * the energy, the power while computing and the dynamic part, with standard errors. */
struct hb_cal_prediction {
	double latency_cycles, latency_ms, throughput_inf_per_s;
	double window_cycles;     /* N + batch gap */
	double energy_nj, energy_se_nj, power_mw, power_se_mw, dynamic_nj;
};
enum hb_status hb_cal_predict(const struct hb_calibration *c, const struct hb_activity *a, double clock_hz,
			      struct hb_cal_prediction *p);

/* SC-NeuroCore export: a target entry with fpga_models.FPGATarget's field names, plus the
 * static term and where the figures come from. Needs have_sc. device: the part's capacities. */
struct hb_cal_device {
	const char *name;         /* target name, e.g. "ice40up5k_icebreaker_cal" */
	const char *family;       /* SC-NeuroCore family: "ice40", "ecp5", "xc7a" */
	double total_luts, total_bram_kb, total_dsp, max_freq_mhz;
};
struct cJSON *hb_cal_sc_export(const struct hb_calibration *c, const struct hb_cal_device *dev);

/* Points measured elsewhere, as CSV (docs/calibration.md, "Points file"). Header names the
 * columns; clock_mhz (or clock_hz) and energy_nj or power_mw are required, every other column
 * optional; a missing column leaves its term out. *obs is malloc'ed. Errors name line and
 * column. */
enum hb_status hb_cal_points_csv(const char *path, struct hb_cal_obs **obs, size_t *n, char *err,
				 size_t errlen);

/* The points of one stored `hilbench run` (its result document, docs/results.md): the energy
 * point of its windows (median window, standard error from the windows' spread; activity from
 * run.activity) and the power point of its idle baseline (every event 0; *has_idle = false when
 * the run has no baseline figure). analytic_nj from the run's modeled row. HB_ERR_FORMAT with
 * the reason when the run lacks what a fit needs (no windows, no activity, power unavailable). */
enum hb_status hb_cal_obs_from_result(const struct cJSON *doc, int64_t run_id, struct hb_cal_obs *active,
				      struct hb_cal_obs *idle, bool *has_idle, char *why, size_t whylen);

/* Median of |x| over finite values (NaN when none); the helper the summaries use. */
double hb_cal_median_abs(const double *v, size_t n);

#ifdef __cplusplus
}
#endif
#endif
