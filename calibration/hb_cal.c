/* hilbench — fitting the energy model and SC-NeuroCore's form with GSL; held-out validation.
 * (hb_cal.h; method in docs/calibration.md.) GSL's errors are handled here: its default
 * handler (abort) is switched off around every call and each status is checked. */
#include "hb_cal.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multifit.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const term_keys[HB_CAL_NTERMS] = {"static_mw", "clk_pj", "syn_pj", "ops_pj",
						     "wmem_pj", "imem_pj", "lif_pj"};
static const char *const term_labels[HB_CAL_NTERMS] = {
	"static power",          "per clock cycle",        "per synaptic event",
	"per synapse-step",      "per weight-memory read", "per input/spike-memory access",
	"per neuron update"};

/* Order in which terms are given up when the points cannot tell them apart. The memory terms
 * move with the synapse-steps (one input word and one weight read per issue cycle), which carry
 * most of the dynamic energy; synaptic events separate from the schedule only when the inputs
 * vary; neuron updates and synapse-steps are kept longest; the per-cycle energy goes with
 * static power at a single clock. */
static const enum hb_cal_term drop_order[HB_CAL_NTERMS] = {HB_CAL_IMEM, HB_CAL_WMEM, HB_CAL_SYN, HB_CAL_LIF,
							    HB_CAL_OPS,  HB_CAL_CLK,  HB_CAL_STATIC};

const char *hb_cal_term_key(enum hb_cal_term t)
{
	return (unsigned)t < HB_CAL_NTERMS ? term_keys[t] : "?";
}

const char *hb_cal_term_label(enum hb_cal_term t)
{
	return (unsigned)t < HB_CAL_NTERMS ? term_labels[t] : "?";
}

const char *hb_cal_holdout_name(enum hb_cal_holdout h)
{
	switch (h) {
	case HB_CAL_IN_SAMPLE: return "in_sample";
	case HB_CAL_LEAVE_NET_OUT: return "leave_one_network_out";
	case HB_CAL_LEAVE_CLOCK_OUT: return "held_out_clock";
	}
	return "?";
}

/* Regressors of a workload in energy units: nJ per unit coefficient. */
static void regressors(const struct hb_cal_x *x, double r[HB_CAL_NTERMS])
{
	r[HB_CAL_STATIC] = x->t_s * 1e6; /* mW · s = 1e6 nJ */
	r[HB_CAL_CLK] = x->cycles * 1e-3; /* pJ = 1e-3 nJ */
	r[HB_CAL_SYN] = x->syn * 1e-3;
	r[HB_CAL_OPS] = x->ops * 1e-3;
	r[HB_CAL_WMEM] = x->wmem * 1e-3;
	r[HB_CAL_IMEM] = x->imem * 1e-3;
	r[HB_CAL_LIF] = x->lif * 1e-3;
}

/* A point as one equation y = r · coef (energy form; a power point is its energy over 1 s). */
static void row_of(const struct hb_cal_obs *o, double r[HB_CAL_NTERMS], double *y, double *sigma)
{
	regressors(&o->x, r);
	if (o->form == HB_CAL_POWER) {
		*y = o->power_mw * 1e6;
		*sigma = o->power_se_mw * 1e6;
	} else {
		*y = o->energy_nj;
		*sigma = o->energy_se_nj;
	}
	double floor = HB_CAL_SE_FLOOR * fabs(*y);
	if (!(*sigma >= floor))
		*sigma = floor > 0 ? floor : 1e-12;
}

static int popcount_u(unsigned v)
{
	return __builtin_popcount(v);
}

/* One weighted fit over exactly the terms in `terms`; *rank receives the numerical rank. */
static enum hb_status fit_terms(const struct hb_cal_obs *obs, size_t n, unsigned terms,
				struct hb_cal_fit *fit, size_t *rank)
{
	const size_t p = (size_t)popcount_u(terms);
	int idx[HB_CAL_NTERMS];
	size_t q = 0;
	for (int t = 0; t < HB_CAL_NTERMS; t++)
		if (terms & (1u << t))
			idx[q++] = t;
	if (p == 0 || n < p)
		return HB_ERR_ARG;
	gsl_matrix *X = gsl_matrix_alloc(n, p);
	gsl_vector *y = gsl_vector_alloc(n), *w = gsl_vector_alloc(n), *c = gsl_vector_alloc(p);
	gsl_matrix *cov = gsl_matrix_alloc(p, p);
	gsl_multifit_linear_workspace *ws = gsl_multifit_linear_alloc(n, p);
	enum hb_status st = HB_ERR_NOMEM;
	if (!X || !y || !w || !c || !cov || !ws)
		goto out;
	/* Columns scaled to unit RMS so that the rank tolerance means the same for every term. */
	double scale[HB_CAL_NTERMS] = {0};
	for (size_t i = 0; i < n; i++) {
		double r[HB_CAL_NTERMS], yi, si;
		row_of(&obs[i], r, &yi, &si);
		for (size_t k = 0; k < p; k++)
			scale[k] += r[idx[k]] * r[idx[k]];
	}
	for (size_t k = 0; k < p; k++) {
		scale[k] = sqrt(scale[k] / (double)n);
		if (!(scale[k] > 0) || !isfinite(scale[k])) {
			st = HB_ERR_RANGE; /* a column of zeros (or non-finite): nothing to fit */
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++) {
		double r[HB_CAL_NTERMS], yi, si;
		row_of(&obs[i], r, &yi, &si);
		for (size_t k = 0; k < p; k++)
			gsl_matrix_set(X, i, k, r[idx[k]] / scale[k]);
		gsl_vector_set(y, i, yi);
		gsl_vector_set(w, i, 1.0 / (si * si));
	}
	double chi2 = 0;
	gsl_error_handler_t *old = gsl_set_error_handler_off();
	int rc = gsl_multifit_wlinear_tsvd(X, w, y, 1e-9, c, cov, &chi2, rank, ws);
	gsl_set_error_handler(old);
	if (rc != GSL_SUCCESS) {
		st = HB_ERR_RANGE;
		goto out;
	}
	memset(fit, 0, sizeof *fit);
	fit->terms = terms;
	fit->n = n;
	fit->dof = n - p;
	fit->chi2 = chi2;
	double s2 = fit->dof > 0 && chi2 / (double)fit->dof > 1 ? chi2 / (double)fit->dof : 1;
	for (size_t a = 0; a < p; a++) {
		fit->coef[idx[a]] = gsl_vector_get(c, a) / scale[a];
		for (size_t b = 0; b < p; b++)
			fit->cov[idx[a]][idx[b]] = gsl_matrix_get(cov, a, b) * s2 / (scale[a] * scale[b]);
		fit->se[idx[a]] = sqrt(fit->cov[idx[a]][idx[a]]);
	}
	double ss = 0;
	for (size_t i = 0; i < n; i++) {
		double v = hb_cal_obs_value(&obs[i]);
		double e = (hb_cal_obs_predict(fit, &obs[i]) - v) / v;
		ss += e * e;
	}
	fit->rms_rel = sqrt(ss / (double)n);
	st = HB_OK;
out:
	gsl_matrix_free(X);
	gsl_vector_free(y);
	gsl_vector_free(w);
	gsl_vector_free(c);
	gsl_matrix_free(cov);
	if (ws)
		gsl_multifit_linear_free(ws);
	return st;
}

static void append(char *buf, size_t cap, const char *fmt, const char *a, const char *b)
{
	size_t len = strlen(buf);
	if (len < cap)
		snprintf(buf + len, cap - len, fmt, a, b);
}

enum hb_status hb_cal_fit_energy(const struct hb_cal_obs *obs, size_t n, unsigned want,
				 struct hb_cal_fit *fit, char *why, size_t whylen)
{
	char w[256] = "";
	if (!obs || !fit) {
		snprintf(why, whylen, "no points");
		return HB_ERR_ARG;
	}
	unsigned terms = want & HB_CAL_ALL_TERMS;
	for (size_t i = 0; i < n; i++) {
		terms &= obs[i].have;
		if (!(hb_cal_obs_value(&obs[i]) > 0) || !isfinite(hb_cal_obs_value(&obs[i]))) {
			snprintf(why, whylen, "point %zu has no positive finite %s", i + 1,
				 obs[i].form == HB_CAL_POWER ? "power" : "energy");
			return HB_ERR_ARG;
		}
	}
	/* Terms whose regressor is zero for every point cannot be fitted (e.g. no synaptic event). */
	for (int t = 0; t < HB_CAL_NTERMS; t++) {
		if (!(terms & (1u << t)))
			continue;
		bool any = false;
		for (size_t i = 0; i < n && !any; i++) {
			double r[HB_CAL_NTERMS], y, s;
			row_of(&obs[i], r, &y, &s);
			any = r[t] != 0;
		}
		if (!any) {
			terms &= ~(1u << t);
			append(w, sizeof w, "%s%s left out (zero for every point)", w[0] ? "; " : "", term_keys[t]);
		}
	}
	if (!terms) {
		snprintf(why, whylen, "no term of the model can be fitted from these points%s%s", w[0] ? ": " : "", w);
		return HB_ERR_ARG;
	}
	for (;;) {
		size_t p = (size_t)popcount_u(terms);
		if (n < p + 1) {
			snprintf(why, whylen, "%zu points for %zu terms: a fit needs at least one point more than terms%s%s",
				 n, p, w[0] ? "; " : "", w);
			return HB_ERR_ARG;
		}
		size_t rank = 0;
		enum hb_status st = fit_terms(obs, n, terms, fit, &rank);
		if (st != HB_OK) {
			snprintf(why, whylen, "the weighted least-squares fit failed (%s)", hb_strerror(st));
			return st;
		}
		if (rank == p)
			break;
		/* Rank lost: leave out a term the others already span (its removal keeps the rank),
		 * the first in drop_order: the terms whose energy the others carry best go first. */
		int best = -1;
		for (int d = 0; d < HB_CAL_NTERMS && best < 0; d++) {
			int t = drop_order[d];
			if (!(terms & (1u << t)) || p == 1)
				continue;
			struct hb_cal_fit tmp;
			size_t r2 = 0;
			if (fit_terms(obs, n, terms & ~(1u << t), &tmp, &r2) == HB_OK && r2 == rank)
				best = t;
		}
		if (best < 0) { /* no single removal keeps the rank: drop by order */
			for (int d = 0; d < HB_CAL_NTERMS && best < 0; d++)
				if (terms & (1u << drop_order[d]))
					best = drop_order[d];
		}
		terms &= ~(1u << best);
		append(w, sizeof w, "%s%s left out (not separable from the other terms with these points)",
		       w[0] ? "; " : "", term_keys[best]);
		if (!terms) {
			snprintf(why, whylen, "the points do not determine any term");
			return HB_ERR_ARG;
		}
	}
	/* Backward elimination: a term whose energy is negative (no event gives energy back) or
	 * not distinguishable from 0 (|value| < 2 standard errors) is left out and the rest
	 * refitted, one at a time, the first such term in drop_order (near-collinear terms trade
	 * energy among themselves: which of them carries it is decided by what generalises, not by
	 * which happened to come out worst on these points). */
	for (;;) {
		int worst = -1;
		for (int d = 0; d < HB_CAL_NTERMS && worst < 0; d++) {
			int t = drop_order[d];
			if (!(fit->terms & (1u << t)) || t == HB_CAL_STATIC)
				continue;
			if (fit->coef[t] < 0 || !(fabs(fit->coef[t]) >= 2 * fit->se[t]))
				worst = t;
		}
		if (worst < 0 || popcount_u(fit->terms) <= 1)
			break;
		struct hb_cal_fit next;
		size_t rank = 0;
		unsigned terms_next = fit->terms & ~(1u << worst);
		if (fit_terms(obs, n, terms_next, &next, &rank) != HB_OK || rank != (size_t)popcount_u(terms_next))
			break;
		char why_t[96];
		snprintf(why_t, sizeof why_t, "%s left out (%.3g +- %.2g: %s)", term_keys[worst], fit->coef[worst],
			 fit->se[worst], fit->coef[worst] < 0 ? "negative" : "not significant");
		append(w, sizeof w, "%s%s", w[0] ? "; " : "", why_t);
		*fit = next;
	}
	snprintf(fit->note, sizeof fit->note, "%s", w);
	return HB_OK;
}

static double predict_r(const struct hb_cal_fit *fit, const double r[HB_CAL_NTERMS], double *se)
{
	double e = 0, v = 0;
	for (int a = 0; a < HB_CAL_NTERMS; a++) {
		if (!(fit->terms & (1u << a)))
			continue;
		e += fit->coef[a] * r[a];
		for (int b = 0; b < HB_CAL_NTERMS; b++)
			if (fit->terms & (1u << b))
				v += r[a] * fit->cov[a][b] * r[b];
	}
	if (se)
		*se = sqrt(v > 0 ? v : 0);
	return e;
}

double hb_cal_predict_energy_nj(const struct hb_cal_fit *fit, const struct hb_cal_x *x, double *se_nj)
{
	double r[HB_CAL_NTERMS];
	regressors(x, r);
	return predict_r(fit, r, se_nj);
}

double hb_cal_predict_power_mw(const struct hb_cal_fit *fit, const struct hb_cal_x *x, double *se_mw)
{
	double se = 0;
	double e = hb_cal_predict_energy_nj(fit, x, &se);
	double t = x->t_s > 0 ? x->t_s : NAN;
	if (se_mw)
		*se_mw = se / t / 1e6;
	return e / t / 1e6;
}

double hb_cal_predict_dynamic_nj(const struct hb_cal_fit *fit, const struct hb_cal_x *x)
{
	double r[HB_CAL_NTERMS], e = 0;
	regressors(x, r);
	for (int a = HB_CAL_SYN; a < HB_CAL_NTERMS; a++)
		if (fit->terms & (1u << a))
			e += fit->coef[a] * r[a];
	return e;
}

double hb_cal_obs_value(const struct hb_cal_obs *o)
{
	return o->form == HB_CAL_POWER ? o->power_mw : o->energy_nj;
}

double hb_cal_obs_predict(const struct hb_cal_fit *fit, const struct hb_cal_obs *o)
{
	double e = hb_cal_predict_energy_nj(fit, &o->x, NULL);
	return o->form == HB_CAL_POWER ? e / 1e6 : e;
}

/* ---- SC-NeuroCore's form -------------------------------------------------------------------- */

/* The power of a point: measured, or energy / time. */
static double obs_power(const struct hb_cal_obs *o, double *se)
{
	if (o->power_mw > 0) {
		*se = o->power_se_mw;
		return o->power_mw;
	}
	if (o->form == HB_CAL_ENERGY && o->x.t_s > 0 && o->energy_nj > 0) {
		*se = o->energy_se_nj / o->x.t_s / 1e6;
		return o->energy_nj / o->x.t_s / 1e6;
	}
	*se = 0;
	return NAN;
}

enum hb_status hb_cal_fit_sc(const struct hb_cal_obs *obs, size_t n, double luts, double voltage_v,
			     double activity, struct hb_cal_sc_fit *fit, char *why, size_t whylen)
{
	if (!(luts > 0) || !(voltage_v > 0) || !(activity > 0)) {
		snprintf(why, whylen, "needs the design's LUT count, its core voltage and an activity > 0");
		return HB_ERR_ARG;
	}
	size_t m = 0;
	double fmin = INFINITY, fmax = 0;
	for (size_t i = 0; i < n; i++) {
		double se;
		if (isfinite(obs_power(&obs[i], &se)) && obs[i].clock_hz > 0) {
			m++;
			fmin = fmin < obs[i].clock_hz ? fmin : obs[i].clock_hz;
			fmax = fmax > obs[i].clock_hz ? fmax : obs[i].clock_hz;
		}
	}
	if (m < 3 || !(fmax > fmin * (1 + 1e-9))) {
		snprintf(why, whylen, "needs powers at two clocks or more (and 3 points), have %zu point%s%s", m,
			 m == 1 ? "" : "s", m && !(fmax > fmin * (1 + 1e-9)) ? " at one clock" : "");
		return HB_ERR_ARG;
	}
	gsl_matrix *X = gsl_matrix_alloc(m, 2), *cov = gsl_matrix_alloc(2, 2);
	gsl_vector *y = gsl_vector_alloc(m), *w = gsl_vector_alloc(m), *c = gsl_vector_alloc(2);
	gsl_multifit_linear_workspace *ws = gsl_multifit_linear_alloc(m, 2);
	enum hb_status st = HB_ERR_NOMEM;
	if (!X || !cov || !y || !w || !c || !ws)
		goto out;
	const double xs = fmax * luts * activity * voltage_v * voltage_v * 1e-12; /* column scale */
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		double se, p = obs_power(&obs[i], &se);
		if (!isfinite(p) || !(obs[i].clock_hz > 0))
			continue;
		double x = obs[i].clock_hz * luts * activity * voltage_v * voltage_v * 1e-12;
		double floor = HB_CAL_SE_FLOOR * p;
		if (!(se >= floor))
			se = floor;
		gsl_matrix_set(X, k, 0, 1.0);
		gsl_matrix_set(X, k, 1, x / xs);
		gsl_vector_set(y, k, p);
		gsl_vector_set(w, k, 1.0 / (se * se));
		k++;
	}
	double chi2;
	gsl_error_handler_t *old = gsl_set_error_handler_off();
	int rc = gsl_multifit_wlinear(X, w, y, c, cov, &chi2, ws);
	gsl_set_error_handler(old);
	if (rc != GSL_SUCCESS) {
		snprintf(why, whylen, "the weighted fit failed: %s", gsl_strerror(rc));
		st = HB_ERR_RANGE;
		goto out;
	}
	memset(fit, 0, sizeof *fit);
	fit->luts = luts;
	fit->voltage_v = voltage_v;
	fit->activity = activity;
	fit->n = m;
	fit->dof = m - 2;
	fit->chi2 = chi2;
	double s2 = fit->dof > 0 && chi2 / (double)fit->dof > 1 ? chi2 / (double)fit->dof : 1;
	fit->static_mw = gsl_vector_get(c, 0);
	fit->static_se_mw = sqrt(gsl_matrix_get(cov, 0, 0) * s2);
	/* P_mW = C[fF] · 1e-12 · x  (docs/calibration.md): slope per unit x is C · 1e-12 */
	fit->c_eff_ff = gsl_vector_get(c, 1) / xs;
	fit->c_eff_se_ff = sqrt(gsl_matrix_get(cov, 1, 1) * s2) / xs;
	st = HB_OK;
out:
	gsl_matrix_free(X);
	gsl_matrix_free(cov);
	gsl_vector_free(y);
	gsl_vector_free(w);
	gsl_vector_free(c);
	if (ws)
		gsl_multifit_linear_free(ws);
	return st;
}

double hb_cal_sc_power_mw(const struct hb_cal_sc_fit *fit, double clock_hz)
{
	return fit->static_mw +
	       fit->c_eff_ff * 1e-12 * clock_hz * fit->luts * fit->activity * fit->voltage_v * fit->voltage_v;
}

/* ---- validation ------------------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double hb_cal_median_abs(const double *v, size_t n)
{
	double *a = malloc((n ? n : 1) * sizeof *a);
	if (!a)
		return NAN;
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (isfinite(v[i]))
			a[m++] = fabs(v[i]);
	double r = NAN;
	if (m) {
		qsort(a, m, sizeof *a, cmp_double);
		r = m % 2 ? a[m / 2] : (a[m / 2 - 1] + a[m / 2]) / 2;
	}
	free(a);
	return r;
}

static double max_abs(const double *v, size_t n)
{
	double m = NAN;
	for (size_t i = 0; i < n; i++)
		if (isfinite(v[i]) && !(fabs(v[i]) <= m))
			m = fabs(v[i]);
	return m;
}

/* Group key of point i under a scheme (network name, or clock). */
static bool same_group(const struct hb_cal_obs *a, const struct hb_cal_obs *b, enum hb_cal_holdout s)
{
	if (s == HB_CAL_LEAVE_NET_OUT)
		return strcmp(a->net, b->net) == 0;
	return fabs(a->clock_hz - b->clock_hz) <= 1e-9 * fabs(a->clock_hz);
}

static void set_dyn(struct hb_cal_val_point *p, const struct hb_cal_fit *f, const struct hb_cal_obs *o)
{
	if (o->form == HB_CAL_ENERGY && isfinite(o->energy_dyn_nj) && o->energy_dyn_nj > 0)
		p->dyn_err_pct = 100 * (hb_cal_predict_dynamic_nj(f, &o->x) - o->energy_dyn_nj) / o->energy_dyn_nj;
}

enum hb_status hb_cal_validate(const struct hb_cal_obs *obs, size_t n, unsigned want,
			       enum hb_cal_holdout scheme, struct hb_cal_validation *out)
{
	memset(out, 0, sizeof *out);
	out->scheme = scheme;
	out->n = n;
	out->pts = calloc(n ? n : 1, sizeof *out->pts);
	struct hb_cal_obs *train = malloc((n ? n : 1) * sizeof *train);
	bool *done = calloc(n ? n : 1, sizeof *done);
	if (!out->pts || !train || !done) {
		free(train);
		free(done);
		hb_cal_validation_free(out);
		return HB_ERR_NOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		out->pts[i].idx = i;
		out->pts[i].measured = hb_cal_obs_value(&obs[i]);
		out->pts[i].predicted = out->pts[i].err_pct = out->pts[i].analytic_err_pct = NAN;
		out->pts[i].dyn_err_pct = NAN;
		if (obs[i].form == HB_CAL_ENERGY && isfinite(obs[i].analytic_nj) && obs[i].energy_nj > 0)
			out->pts[i].analytic_err_pct = 100 * (obs[i].analytic_nj - obs[i].energy_nj) / obs[i].energy_nj;
	}
	char why[256] = "";
	if (scheme == HB_CAL_IN_SAMPLE) {
		struct hb_cal_fit f;
		out->n_groups = 1;
		if (hb_cal_fit_energy(obs, n, want, &f, why, sizeof why) == HB_OK) {
			for (size_t j = 0; j < n; j++) {
				struct hb_cal_val_point *p = &out->pts[j];
				p->predicted = hb_cal_obs_predict(&f, &obs[j]);
				p->err_pct = 100 * (p->predicted - p->measured) / p->measured;
				p->terms = f.terms;
				set_dyn(p, &f, &obs[j]);
			}
		} else {
			out->n_groups_failed = 1;
			snprintf(out->note, sizeof out->note, "%s", why);
		}
	}
	for (size_t i = 0; i < n && scheme != HB_CAL_IN_SAMPLE; i++) {
		if (done[i])
			continue;
		size_t m = 0;
		for (size_t j = 0; j < n; j++) {
			if (same_group(&obs[i], &obs[j], scheme))
				done[j] = true; /* this group's points are predicted by this fit */
			else
				train[m++] = obs[j];
		}
		out->n_groups++;
		struct hb_cal_fit f;
		bool ok = m > 0 && hb_cal_fit_energy(train, m, want, &f, why, sizeof why) == HB_OK;
		if (!ok) {
			out->n_groups_failed++;
			char grp[80];
			if (scheme == HB_CAL_LEAVE_NET_OUT)
				snprintf(grp, sizeof grp, "network %.60s", obs[i].net);
			else
				snprintf(grp, sizeof grp, "clock %.6g MHz", obs[i].clock_hz / 1e6);
			snprintf(out->note, sizeof out->note, "without %.79s: %.160s", grp, m ? why : "no points left");
			continue;
		}
		for (size_t j = 0; j < n; j++) {
			if (!same_group(&obs[i], &obs[j], scheme))
				continue;
			struct hb_cal_val_point *p = &out->pts[j];
			p->predicted = hb_cal_obs_predict(&f, &obs[j]);
			p->err_pct = 100 * (p->predicted - p->measured) / p->measured;
			p->terms = f.terms;
			set_dyn(p, &f, &obs[j]);
		}
	}
	double *e = malloc((n ? n : 1) * sizeof *e), *a = malloc((n ? n : 1) * sizeof *a);
	double *dd = malloc((n ? n : 1) * sizeof *dd);
	bool any_active = false;
	for (size_t i = 0; i < n; i++)
		any_active |= !obs[i].idle;
	if (e && a && dd) {
		for (size_t i = 0; i < n; i++) {
			if (any_active && obs[i].idle) {
				e[i] = a[i] = dd[i] = NAN;
				continue;
			}
			e[i] = out->pts[i].err_pct;
			a[i] = out->pts[i].analytic_err_pct;
			dd[i] = out->pts[i].dyn_err_pct;
			out->n_pred += isfinite(e[i]);
		}
		out->median_abs_pct = hb_cal_median_abs(e, n);
		out->max_abs_pct = max_abs(e, n);
		out->analytic_median_abs_pct = hb_cal_median_abs(a, n);
		out->analytic_max_abs_pct = max_abs(a, n);
		out->dyn_median_abs_pct = hb_cal_median_abs(dd, n);
		out->dyn_max_abs_pct = max_abs(dd, n);
	}
	free(dd);
	bool ok = e && a && dd;
	free(e);
	free(a);
	free(train);
	free(done);
	return ok ? HB_OK : HB_ERR_NOMEM;
}

void hb_cal_validation_free(struct hb_cal_validation *v)
{
	if (!v)
		return;
	free(v->pts);
	v->pts = NULL;
}

enum hb_status hb_cal_predict(const struct hb_calibration *c, const struct hb_activity *a, double clock_hz,
			      struct hb_cal_prediction *p)
{
	memset(p, 0, sizeof *p);
	if (!c || !a || !(clock_hz > 0) || a->cycles == 0)
		return HB_ERR_ARG;
	p->latency_cycles = (double)a->cycles;
	p->latency_ms = p->latency_cycles / clock_hz * 1e3;
	p->throughput_inf_per_s = clock_hz / p->latency_cycles;
	p->window_cycles = (double)a->cycles + c->batch_gap;
	struct hb_cal_x x = {.t_s = p->window_cycles / clock_hz, .cycles = p->window_cycles,
			     .syn = (double)a->syn, .ops = (double)a->ops, .wmem = (double)a->wmem,
			     .imem = (double)a->imem, .lif = (double)a->lif};
	p->energy_nj = hb_cal_predict_energy_nj(&c->fit, &x, &p->energy_se_nj);
	p->power_mw = hb_cal_predict_power_mw(&c->fit, &x, &p->power_se_mw);
	p->dynamic_nj = hb_cal_predict_dynamic_nj(&c->fit, &x);
	return HB_OK;
}
