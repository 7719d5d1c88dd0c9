/* hilbench — calibration files (JSON), points files (CSV) and the SC-NeuroCore export.
 * Formats: docs/calibration.md. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hb_cal.h"

#define SCHEMA "hilbench-calibration/1"

static void add_num(cJSON *o, const char *k, double v)
{
	if (isfinite(v))
		cJSON_AddNumberToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

static void add_point_fields(cJSON *x, const struct hb_cal_obs *o)
{
	if (o->run_id)
		add_num(x, "run_id", (double)o->run_id);
	cJSON_AddStringToObject(x, "net", o->net);
	add_num(x, "L", o->L ? o->L : NAN);
	add_num(x, "clock_hz", o->clock_hz);
}

cJSON *hb_cal_to_json(const struct hb_calibration *c, const struct hb_cal_validation *val, size_t n_val,
		      const struct hb_cal_obs *obs, size_t n_obs)
{
	cJSON *d = cJSON_CreateObject();
	if (!d)
		return NULL;
	cJSON_AddStringToObject(d, "schema", SCHEMA);
	cJSON_AddStringToObject(d, "created_at", c->created_at);
	cJSON_AddStringToObject(d, "board", c->board);
	cJSON_AddStringToObject(d, "family", c->family);
	add_num(d, "lanes", c->lanes);
	add_num(d, "batch_gap_cycles", c->batch_gap);
	cJSON_AddStringToObject(d, "source", c->source);
	if (c->sweep_id)
		add_num(d, "sweep_id", (double)c->sweep_id);
	cJSON *ck = cJSON_AddObjectToObject(d, "clock_hz");
	add_num(ck, "min", c->clock_min_hz);
	add_num(ck, "max", c->clock_max_hz);

	const struct hb_cal_fit *f = &c->fit;
	cJSON *em = cJSON_AddObjectToObject(d, "energy_model");
	cJSON_AddStringToObject(em, "form",
				"E_nJ = static_mw*t_s*1e6 + (clk_pj*cycles + syn_pj*syn + ops_pj*ops + wmem_pj*wmem"
				" + imem_pj*imem + lif_pj*lif)*1e-3");
	cJSON *terms = cJSON_AddArrayToObject(em, "terms");
	cJSON *order = cJSON_CreateArray();
	for (int t = 0; t < HB_CAL_NTERMS; t++) {
		if (!(f->terms & (1u << t)))
			continue;
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "key", hb_cal_term_key((enum hb_cal_term)t));
		cJSON_AddStringToObject(x, "label", hb_cal_term_label((enum hb_cal_term)t));
		add_num(x, "value", f->coef[t]);
		add_num(x, "stderr", f->se[t]);
		cJSON_AddItemToArray(terms, x);
		cJSON_AddItemToArray(order, cJSON_CreateString(hb_cal_term_key((enum hb_cal_term)t)));
	}
	cJSON *cov = cJSON_AddObjectToObject(em, "covariance");
	cJSON_AddItemToObject(cov, "order", order);
	cJSON *mat = cJSON_AddArrayToObject(cov, "matrix");
	for (int a = 0; a < HB_CAL_NTERMS; a++) {
		if (!(f->terms & (1u << a)))
			continue;
		cJSON *row = cJSON_CreateArray();
		for (int b = 0; b < HB_CAL_NTERMS; b++)
			if (f->terms & (1u << b))
				cJSON_AddItemToArray(row, cJSON_CreateNumber(f->cov[a][b]));
		cJSON_AddItemToArray(mat, row);
	}
	add_num(em, "chi2", f->chi2);
	add_num(em, "n_points", (double)f->n);
	add_num(em, "dof", (double)f->dof);
	add_num(em, "rms_relative_residual", f->rms_rel);
	cJSON_AddStringToObject(em, "note", f->note);

	cJSON *sc = cJSON_AddObjectToObject(d, "sc_neurocore");
	if (c->have_sc) {
		cJSON_AddStringToObject(sc, "form", "P_mW = static_mw + c_eff_per_lut_ff*1e-12*f_Hz*luts*activity*voltage_v^2");
		add_num(sc, "luts", c->sc.luts);
		cJSON_AddStringToObject(sc, "luts_source", c->luts_source);
		add_num(sc, "voltage_v", c->sc.voltage_v);
		add_num(sc, "activity", c->sc.activity);
		add_num(sc, "c_eff_per_lut_ff", c->sc.c_eff_ff);
		add_num(sc, "c_eff_stderr_ff", c->sc.c_eff_se_ff);
		add_num(sc, "static_mw", c->sc.static_mw);
		add_num(sc, "static_stderr_mw", c->sc.static_se_mw);
		add_num(sc, "chi2", c->sc.chi2);
		add_num(sc, "n_points", (double)c->sc.n);
	} else {
		cJSON_AddStringToObject(sc, "unavailable", c->sc_note[0] ? c->sc_note : "not fitted");
	}

	cJSON *va = cJSON_AddArrayToObject(d, "validation");
	for (size_t v = 0; v < n_val; v++) {
		const struct hb_cal_validation *V = &val[v];
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "scheme", hb_cal_holdout_name(V->scheme));
		add_num(x, "median_abs_pct", V->median_abs_pct);
		add_num(x, "max_abs_pct", V->max_abs_pct);
		add_num(x, "analytic_median_abs_pct", V->analytic_median_abs_pct);
		add_num(x, "analytic_max_abs_pct", V->analytic_max_abs_pct);
		add_num(x, "dynamic_median_abs_pct", V->dyn_median_abs_pct);
		add_num(x, "dynamic_max_abs_pct", V->dyn_max_abs_pct);
		add_num(x, "points_predicted", (double)V->n_pred);
		add_num(x, "groups", (double)V->n_groups);
		add_num(x, "groups_failed", (double)V->n_groups_failed);
		cJSON_AddStringToObject(x, "note", V->note);
		cJSON *pts = cJSON_AddArrayToObject(x, "points");
		for (size_t i = 0; i < V->n && obs; i++) {
			const struct hb_cal_val_point *p = &V->pts[i];
			cJSON *y = cJSON_CreateObject();
			add_point_fields(y, &obs[p->idx]);
			cJSON_AddStringToObject(y, "quantity", obs[p->idx].idle ? "idle_power_mw"
							       : obs[p->idx].form == HB_CAL_POWER ? "power_mw" : "energy_nj");
			add_num(y, "measured", p->measured);
			add_num(y, "predicted", p->predicted);
			add_num(y, "error_pct", p->err_pct);
			add_num(y, "analytic_error_pct", p->analytic_err_pct);
			add_num(y, "dynamic_error_pct", p->dyn_err_pct);
			cJSON *tk = cJSON_AddArrayToObject(y, "terms");
			for (int t = 0; t < HB_CAL_NTERMS; t++)
				if (p->terms & (1u << t))
					cJSON_AddItemToArray(tk, cJSON_CreateString(hb_cal_term_key((enum hb_cal_term)t)));
			cJSON_AddItemToArray(pts, y);
		}
		cJSON_AddItemToArray(va, x);
	}

	cJSON *pa = cJSON_AddArrayToObject(d, "points");
	for (size_t i = 0; i < n_obs && obs; i++) {
		const struct hb_cal_obs *o = &obs[i];
		cJSON *x = cJSON_CreateObject();
		add_point_fields(x, o);
		cJSON_AddStringToObject(x, "form", o->idle ? "idle" : o->form == HB_CAL_POWER ? "power" : "energy");
		add_num(x, "t_s", o->x.t_s);
		add_num(x, "cycles", o->x.cycles);
		add_num(x, "syn", o->have & (1u << HB_CAL_SYN) ? o->x.syn : NAN);
		add_num(x, "ops", o->have & (1u << HB_CAL_OPS) ? o->x.ops : NAN);
		add_num(x, "wmem", o->have & (1u << HB_CAL_WMEM) ? o->x.wmem : NAN);
		add_num(x, "imem", o->have & (1u << HB_CAL_IMEM) ? o->x.imem : NAN);
		add_num(x, "lif", o->have & (1u << HB_CAL_LIF) ? o->x.lif : NAN);
		add_num(x, "energy_nj", o->form == HB_CAL_ENERGY ? o->energy_nj : NAN);
		add_num(x, "energy_se_nj", o->form == HB_CAL_ENERGY ? o->energy_se_nj : NAN);
		add_num(x, "energy_dynamic_nj", o->energy_dyn_nj);
		add_num(x, "power_mw", o->power_mw > 0 ? o->power_mw : NAN);
		add_num(x, "power_se_mw", o->power_mw > 0 ? o->power_se_mw : NAN);
		add_num(x, "latency_cycles", o->latency_cycles);
		add_num(x, "predicted_cycles", o->predicted_cycles);
		add_num(x, "analytic_nj", o->analytic_nj);
		cJSON_AddItemToArray(pa, x);
	}
	return d;
}

static const cJSON *get(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

static int get_num(const cJSON *o, const char *k, double *v)
{
	const cJSON *x = get(o, k);
	if (cJSON_IsRaw(x) && x->valuestring) { /* an exact figure kept raw in memory */
		char *end;
		double d = strtod(x->valuestring, &end);
		if (end == x->valuestring || *end)
			return -1;
		*v = d;
		return 0;
	}
	if (!cJSON_IsNumber(x))
		return -1;
	*v = x->valuedouble;
	return 0;
}

static void get_str(const cJSON *o, const char *k, char *buf, size_t cap)
{
	const cJSON *x = get(o, k);
	snprintf(buf, cap, "%s", cJSON_IsString(x) ? x->valuestring : "");
}

enum hb_status hb_cal_from_json(const cJSON *doc, struct hb_calibration *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	const cJSON *s = get(doc, "schema");
	if (!cJSON_IsString(s) || strcmp(s->valuestring, SCHEMA) != 0) {
		snprintf(err, errlen, "schema: expected \"%s\"", SCHEMA);
		return HB_ERR_FORMAT;
	}
	get_str(doc, "created_at", c->created_at, sizeof c->created_at);
	get_str(doc, "board", c->board, sizeof c->board);
	get_str(doc, "family", c->family, sizeof c->family);
	get_str(doc, "source", c->source, sizeof c->source);
	double v;
	if (get_num(doc, "lanes", &v) || !(v >= 16 && v <= 256)) {
		snprintf(err, errlen, "lanes: expected the engine's lane count (16..256)");
		return HB_ERR_FORMAT;
	}
	c->lanes = (unsigned)v;
	c->batch_gap = get_num(doc, "batch_gap_cycles", &v) == 0 && v >= 0 ? (unsigned)v : 0;
	if (get_num(doc, "sweep_id", &v) == 0)
		c->sweep_id = (int64_t)v;
	const cJSON *ck = get(doc, "clock_hz");
	get_num(ck, "min", &c->clock_min_hz);
	get_num(ck, "max", &c->clock_max_hz);

	const cJSON *em = get(doc, "energy_model");
	const cJSON *terms = get(em, "terms");
	if (!cJSON_IsArray(terms) || cJSON_GetArraySize(terms) == 0) {
		snprintf(err, errlen, "energy_model.terms: expected a non-empty array");
		return HB_ERR_FORMAT;
	}
	int idx = 0;
	const cJSON *t;
	cJSON_ArrayForEach(t, terms)
	{
		char key[32];
		get_str(t, "key", key, sizeof key);
		int found = -1;
		for (int k = 0; k < HB_CAL_NTERMS; k++)
			if (strcmp(key, hb_cal_term_key((enum hb_cal_term)k)) == 0)
				found = k;
		double val, se;
		if (found < 0 || get_num(t, "value", &val) || !isfinite(val)) {
			snprintf(err, errlen, "energy_model.terms[%d]: unknown key '%s' or no finite value", idx, key);
			return HB_ERR_FORMAT;
		}
		c->fit.terms |= 1u << found;
		c->fit.coef[found] = val;
		c->fit.se[found] = get_num(t, "stderr", &se) == 0 ? se : NAN;
		idx++;
	}
	/* covariance (optional: prediction errors need it) */
	const cJSON *cov = get(em, "covariance");
	const cJSON *order = get(cov, "order"), *mat = get(cov, "matrix");
	if (cJSON_IsArray(order) && cJSON_IsArray(mat) && cJSON_GetArraySize(order) == cJSON_GetArraySize(mat)) {
		int n = cJSON_GetArraySize(order), map[HB_CAL_NTERMS];
		for (int a = 0; a < n && a < HB_CAL_NTERMS; a++) {
			const cJSON *k = cJSON_GetArrayItem(order, a);
			map[a] = -1;
			for (int q = 0; q < HB_CAL_NTERMS && cJSON_IsString(k); q++)
				if (strcmp(k->valuestring, hb_cal_term_key((enum hb_cal_term)q)) == 0)
					map[a] = q;
		}
		for (int a = 0; a < n && a < HB_CAL_NTERMS; a++) {
			const cJSON *row = cJSON_GetArrayItem(mat, a);
			for (int b = 0; b < n && b < HB_CAL_NTERMS; b++) {
				const cJSON *x = cJSON_GetArrayItem(row, b);
				if (map[a] >= 0 && map[b] >= 0 && cJSON_IsNumber(x))
					c->fit.cov[map[a]][map[b]] = x->valuedouble;
			}
		}
	}
	get_num(em, "chi2", &c->fit.chi2);
	if (get_num(em, "n_points", &v) == 0)
		c->fit.n = (size_t)v;
	if (get_num(em, "dof", &v) == 0)
		c->fit.dof = (size_t)v;
	get_str(em, "note", c->fit.note, sizeof c->fit.note);

	const cJSON *sc = get(doc, "sc_neurocore");
	if (sc && get_num(sc, "c_eff_per_lut_ff", &c->sc.c_eff_ff) == 0) {
		c->have_sc = true;
		get_num(sc, "luts", &c->sc.luts);
		get_num(sc, "voltage_v", &c->sc.voltage_v);
		get_num(sc, "activity", &c->sc.activity);
		get_num(sc, "c_eff_stderr_ff", &c->sc.c_eff_se_ff);
		get_num(sc, "static_mw", &c->sc.static_mw);
		get_num(sc, "static_stderr_mw", &c->sc.static_se_mw);
		get_str(sc, "luts_source", c->luts_source, sizeof c->luts_source);
	} else {
		get_str(sc, "unavailable", c->sc_note, sizeof c->sc_note);
	}
	return HB_OK;
}

enum hb_status hb_cal_load(const char *path, struct hb_calibration *c, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return errno == ENOENT ? HB_ERR_NOTFOUND : HB_ERR_IO;
	}
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	size_t got;
	while (buf && (got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += got;
		if (len + 1 == cap) {
			char *nb = cap < (64u << 20) ? realloc(buf, cap * 2) : NULL;
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	fclose(f);
	if (!buf) {
		snprintf(err, errlen, "%s: too large or out of memory", path);
		return HB_ERR_NOMEM;
	}
	buf[len] = 0;
	cJSON *doc = cJSON_Parse(buf);
	free(buf);
	if (!doc) {
		snprintf(err, errlen, "%s: not JSON", path);
		return HB_ERR_FORMAT;
	}
	char e[200];
	enum hb_status st = hb_cal_from_json(doc, c, e, sizeof e);
	cJSON_Delete(doc);
	if (st != HB_OK)
		snprintf(err, errlen, "%s: %s", path, e);
	return st;
}

cJSON *hb_cal_sc_export(const struct hb_calibration *c, const struct hb_cal_device *dev)
{
	if (!c->have_sc)
		return NULL;
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "schema", "hilbench-sc-neurocore-target/1");
	cJSON_AddStringToObject(d, "key", dev->name);
	/* fpga_models.FPGATarget, field for field */
	cJSON *t = cJSON_AddObjectToObject(d, "target");
	cJSON_AddStringToObject(t, "name", dev->name);
	cJSON_AddStringToObject(t, "family", dev->family);
	add_num(t, "total_luts", dev->total_luts);
	add_num(t, "total_bram_kb", dev->total_bram_kb);
	add_num(t, "total_dsp", dev->total_dsp);
	add_num(t, "voltage", c->sc.voltage_v);
	add_num(t, "max_freq_mhz", dev->max_freq_mhz);
	add_num(t, "c_eff_per_lut_ff", c->sc.c_eff_ff);
	/* what FPGATarget has no field for */
	add_num(d, "static_power_mw", c->sc.static_mw);
	add_num(d, "static_power_stderr_mw", c->sc.static_se_mw);
	add_num(d, "c_eff_per_lut_stderr_ff", c->sc.c_eff_se_ff);
	cJSON *p = cJSON_AddObjectToObject(d, "provenance");
	add_num(p, "design_luts", c->sc.luts);
	cJSON_AddStringToObject(p, "luts_source", c->luts_source);
	add_num(p, "activity", c->sc.activity);
	cJSON_AddStringToObject(p, "board", c->board);
	cJSON_AddStringToObject(p, "calibration_created_at", c->created_at);
	cJSON_AddStringToObject(p, "calibration_source", c->source);
	add_num(p, "points", (double)c->sc.n);
	add_num(p, "clock_min_hz", c->clock_min_hz);
	add_num(p, "clock_max_hz", c->clock_max_hz);
	cJSON_AddStringToObject(d, "usage",
				"power_mW = static_power_mw + c_eff_per_lut_ff*1e-15 * voltage^2 * clock_Hz * LUTs"
				" * activity * 1e3 (estimator.py's dynamic term plus the static term)");
	return d;
}

/* ---- points CSV ------------------------------------------------------------------------------- */

enum col {
	C_NET, C_L, C_CLOCK_MHZ, C_CLOCK_HZ, C_CYCLES, C_LATENCY, C_SYN, C_OPS, C_WMEM, C_IMEM, C_LIF,
	C_ENERGY, C_ENERGY_SE, C_POWER, C_POWER_SE, C_ANALYTIC, C_N
};
static const char *const col_names[C_N] = {"net",  "L",    "clock_mhz", "clock_hz", "cycles",
					   "latency_cycles", "syn", "ops", "wmem", "imem", "lif",
					   "energy_nj", "energy_se_nj", "power_mw", "power_se_mw", "analytic_nj"};

/* Split a CSV line in place (RFC 4180 quotes allowed); returns the field count. */
static int split(char *line, char **f, int max)
{
	int n = 0;
	char *p = line;
	for (;;) {
		if (n == max)
			return -1;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '"') {
			char *w = ++p;
			f[n++] = w;
			for (;;) {
				if (*p == '\0')
					return -2; /* unterminated quote */
				if (*p == '"' && p[1] == '"') {
					*w++ = '"';
					p += 2;
				} else if (*p == '"') {
					p++;
					break;
				} else {
					*w++ = *p++;
				}
			}
			*w = '\0';
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p == ',') {
				p++;
				continue;
			}
			return *p == '\0' ? n : -2;
		}
		f[n++] = p;
		char *c = strchr(p, ',');
		char *end = c ? c : p + strlen(p);
		char *t = end;
		while (t > p && (t[-1] == ' ' || t[-1] == '\t'))
			t--;
		if (!c) {
			*t = '\0';
			return n;
		}
		*t = '\0';
		p = c + 1;
	}
}

enum hb_status hb_cal_points_csv(const char *path, struct hb_cal_obs **out, size_t *n_out, char *err,
				 size_t errlen)
{
	*out = NULL;
	*n_out = 0;
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return errno == ENOENT ? HB_ERR_NOTFOUND : HB_ERR_IO;
	}
	char line[4096];
	int colmap[64], ncol = 0, lineno = 0;
	bool header = false, seen[C_N] = {false};
	struct hb_cal_obs *obs = NULL;
	size_t n = 0, cap = 0;
	enum hb_status st = HB_OK;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		size_t len = strlen(line);
		if (len == sizeof line - 1 && line[len - 1] != '\n') {
			snprintf(err, errlen, "%s:%d: line too long", path, lineno);
			st = HB_ERR_FORMAT;
			break;
		}
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#')
			continue;
		char *fld[64];
		int nf = split(p, fld, 64);
		if (nf < 0) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno,
				 nf == -1 ? "more than 64 columns" : "unbalanced double quote");
			st = HB_ERR_FORMAT;
			break;
		}
		if (!header) {
			for (int i = 0; i < nf; i++) {
				colmap[i] = -1;
				for (int c = 0; c < C_N; c++)
					if (strcmp(fld[i], col_names[c]) == 0)
						colmap[i] = c;
				if (colmap[i] < 0) {
					snprintf(err, errlen,
						 "%s:%d: column %d '%s' is not a known column (net, L, clock_mhz, clock_hz, "
						 "cycles, latency_cycles, syn, ops, wmem, imem, lif, energy_nj, "
						 "energy_se_nj, power_mw, power_se_mw, analytic_nj)",
						 path, lineno, i + 1, fld[i]);
					st = HB_ERR_FORMAT;
					goto done;
				}
				if (seen[colmap[i]]) {
					snprintf(err, errlen, "%s:%d: column '%s' appears twice", path, lineno, fld[i]);
					st = HB_ERR_FORMAT;
					goto done;
				}
				seen[colmap[i]] = true;
			}
			ncol = nf;
			header = true;
			if (!seen[C_CLOCK_MHZ] && !seen[C_CLOCK_HZ]) {
				snprintf(err, errlen, "%s:%d: needs a clock_mhz (or clock_hz) column", path, lineno);
				st = HB_ERR_FORMAT;
				goto done;
			}
			if (!seen[C_ENERGY] && !seen[C_POWER]) {
				snprintf(err, errlen, "%s:%d: needs an energy_nj or a power_mw column", path, lineno);
				st = HB_ERR_FORMAT;
				goto done;
			}
			continue;
		}
		if (nf != ncol) {
			snprintf(err, errlen, "%s:%d: %d fields, the header has %d", path, lineno, nf, ncol);
			st = HB_ERR_FORMAT;
			break;
		}
		double v[C_N] = {0};
		bool has[C_N] = {false};
		char net[64] = "";
		for (int i = 0; i < nf; i++) {
			int c = colmap[i];
			if (fld[i][0] == '\0')
				continue; /* empty: unknown for this point */
			if (c == C_NET) {
				snprintf(net, sizeof net, "%s", fld[i]);
				has[c] = true;
				continue;
			}
			char *end;
			errno = 0;
			v[c] = strtod(fld[i], &end);
			if (*end || errno || !isfinite(v[c]) || v[c] < 0) {
				snprintf(err, errlen, "%s:%d: column %s: '%s' is not a non-negative number", path, lineno,
					 col_names[c], fld[i]);
				st = HB_ERR_FORMAT;
				goto done;
			}
			has[c] = true;
		}
		struct hb_cal_obs o;
		memset(&o, 0, sizeof o);
		snprintf(o.net, sizeof o.net, "%s", net);
		o.latency_cycles = o.predicted_cycles = o.analytic_nj = o.energy_dyn_nj = NAN;
		o.clock_hz = has[C_CLOCK_HZ] ? v[C_CLOCK_HZ] : has[C_CLOCK_MHZ] ? v[C_CLOCK_MHZ] * 1e6 : 0;
		if (!(o.clock_hz > 0)) {
			snprintf(err, errlen, "%s:%d: the clock is missing or zero", path, lineno);
			st = HB_ERR_FORMAT;
			break;
		}
		if (has[C_L])
			o.L = (unsigned)v[C_L];
		if (has[C_LATENCY])
			o.latency_cycles = v[C_LATENCY];
		if (has[C_ANALYTIC])
			o.analytic_nj = v[C_ANALYTIC];
		static const int evc[5] = {C_SYN, C_OPS, C_WMEM, C_IMEM, C_LIF};
		static const enum hb_cal_term evt[5] = {HB_CAL_SYN, HB_CAL_OPS, HB_CAL_WMEM, HB_CAL_IMEM, HB_CAL_LIF};
		double *slot[5] = {&o.x.syn, &o.x.ops, &o.x.wmem, &o.x.imem, &o.x.lif};
		bool cyc = has[C_CYCLES] && v[C_CYCLES] > 0;
		if (has[C_POWER]) {
			o.power_mw = v[C_POWER];
			o.power_se_mw = has[C_POWER_SE] ? v[C_POWER_SE] : 0;
		}
		if (has[C_ENERGY]) {
			o.form = HB_CAL_ENERGY;
			o.energy_nj = v[C_ENERGY];
			o.energy_se_nj = has[C_ENERGY_SE] ? v[C_ENERGY_SE] : 0;
			if (cyc) {
				o.x.cycles = v[C_CYCLES];
				o.x.t_s = v[C_CYCLES] / o.clock_hz;
				o.have |= 1u << HB_CAL_STATIC | 1u << HB_CAL_CLK;
			}
			for (int e = 0; e < 5; e++)
				if (has[evc[e]]) {
					*slot[e] = v[evc[e]];
					o.have |= 1u << evt[e];
				}
		} else if (has[C_POWER]) {
			/* power form: quantities per second of computing */
			o.form = HB_CAL_POWER;
			o.x.t_s = 1;
			o.x.cycles = o.clock_hz;
			o.have |= 1u << HB_CAL_STATIC | 1u << HB_CAL_CLK;
			for (int e = 0; e < 5 && cyc; e++)
				if (has[evc[e]]) {
					*slot[e] = v[evc[e]] * o.clock_hz / v[C_CYCLES];
					o.have |= 1u << evt[e];
				}
		} else {
			snprintf(err, errlen, "%s:%d: neither energy_nj nor power_mw is given", path, lineno);
			st = HB_ERR_FORMAT;
			break;
		}
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 32;
			struct hb_cal_obs *t = realloc(obs, nc * sizeof *t);
			if (!t) {
				st = HB_ERR_NOMEM;
				break;
			}
			obs = t;
			cap = nc;
		}
		obs[n++] = o;
	}
	if (st == HB_OK && !header) {
		snprintf(err, errlen, "%s: empty (no header line)", path);
		st = HB_ERR_FORMAT;
	}
done:
	fclose(f);
	if (st != HB_OK) {
		free(obs);
		return st;
	}
	*out = obs;
	*n_out = n;
	return HB_OK;
}

/* ---- points from stored runs ------------------------------------------------------------------ */

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* median and standard error of the mean of the finite values */
static void med_se(const double *v, size_t n, double *med, double *se)
{
	double a[128];
	size_t m = 0;
	for (size_t i = 0; i < n && m < 128; i++)
		if (isfinite(v[i]))
			a[m++] = v[i];
	*med = NAN;
	*se = 0;
	if (!m)
		return;
	qsort(a, m, sizeof *a, cmp_dbl);
	*med = m % 2 ? a[m / 2] : (a[m / 2 - 1] + a[m / 2]) / 2;
	if (m > 1) {
		double mean = 0, var = 0;
		for (size_t i = 0; i < m; i++)
			mean += a[i] / (double)m;
		for (size_t i = 0; i < m; i++)
			var += (a[i] - mean) * (a[i] - mean);
		*se = sqrt(var / (double)(m - 1) / (double)m);
	}
}

enum hb_status hb_cal_obs_from_result(const cJSON *doc, int64_t run_id, struct hb_cal_obs *a,
				      struct hb_cal_obs *idle, bool *has_idle, char *why, size_t whylen)
{
	const cJSON *run = get(doc, "run"), *m = get(doc, "measured"), *act = get(run, "activity");
	*has_idle = false;
	if (!run || !m) {
		snprintf(why, whylen, "not a hilbench run result (no run/measured)");
		return HB_ERR_FORMAT;
	}
	if (!act) {
		snprintf(why, whylen, "no activity counts (the run stopped before its windows, or predates them)");
		return HB_ERR_FORMAT;
	}
	memset(a, 0, sizeof *a);
	a->run_id = run_id;
	get_str(run, "net", a->net, sizeof a->net);
	double v;
	if (get_num(run, "L", &v) == 0)
		a->L = (unsigned)v;
	if (get_num(m, "clock_hz", &a->clock_hz) || !(a->clock_hz > 0)) {
		snprintf(why, whylen, "no clock");
		return HB_ERR_FORMAT;
	}
	const cJSON *ws = get(m, "windows");
	int nw = cJSON_GetArraySize(ws);
	if (nw < 1) {
		snprintf(why, whylen, "no measured window");
		return HB_ERR_FORMAT;
	}
	double e[128], p[128], cyc[128], dyn[128];
	size_t k = 0;
	const cJSON *w;
	cJSON_ArrayForEach(w, ws)
	{
		if (k == 128)
			break;
		double n, ds, ee, pp, dd;
		if (get_num(w, "inferences", &n) || get_num(w, "device_s", &ds) || get_num(w, "energy_total_nj", &ee) ||
		    get_num(w, "p_active_mw", &pp) || !(n >= 1)) {
			const cJSON *why_w = get(w, "power_unavailable");
			snprintf(why, whylen, "window %zu has no power%s%s", k + 1, cJSON_IsString(why_w) ? ": " : "",
				 cJSON_IsString(why_w) ? why_w->valuestring : "");
			return HB_ERR_FORMAT;
		}
		e[k] = ee;
		p[k] = pp;
		cyc[k] = ds * a->clock_hz / n;
		dyn[k] = get_num(w, "energy_dynamic_nj", &dd) == 0 ? dd : NAN;
		k++;
	}
	double se, cycles;
	med_se(e, k, &a->energy_nj, &a->energy_se_nj);
	med_se(p, k, &a->power_mw, &a->power_se_mw);
	med_se(cyc, k, &cycles, &se);
	med_se(dyn, k, &a->energy_dyn_nj, &se);
	a->form = HB_CAL_ENERGY;
	a->x.cycles = cycles;
	a->x.t_s = cycles / a->clock_hz;
	double lanes, x;
	if (get_num(act, "lanes", &lanes) || get_num(act, "cycles", &x)) {
		snprintf(why, whylen, "incomplete activity counts");
		return HB_ERR_FORMAT;
	}
	a->predicted_cycles = x;
	static const struct {
		const char *k;
		enum hb_cal_term t;
	} ev[] = {{"syn", HB_CAL_SYN}, {"ops", HB_CAL_OPS}, {"wmem", HB_CAL_WMEM}, {"imem", HB_CAL_IMEM}, {"lif", HB_CAL_LIF}};
	double *slot[] = {&a->x.syn, &a->x.ops, &a->x.wmem, &a->x.imem, &a->x.lif};
	a->have = 1u << HB_CAL_STATIC | 1u << HB_CAL_CLK;
	for (size_t i = 0; i < 5; i++)
		if (get_num(act, ev[i].k, slot[i]) == 0)
			a->have |= 1u << ev[i].t;
	a->latency_cycles = get_num(m, "latency_cycles", &x) == 0 ? x : NAN;
	/* the analytic model: the modeled row's energy */
	a->analytic_nj = NAN;
	const cJSON *rows = get(doc, "rows"), *r;
	cJSON_ArrayForEach(r, rows)
	{
		const cJSON *src = get(r, "source");
		if (cJSON_IsString(src) && strcmp(src->valuestring, "modeled") == 0 && get_num(r, "energy_per_inf_nj", &x) == 0)
			a->analytic_nj = x;
	}
	/* the idle baseline at the same clock */
	double pi;
	if (idle && get_num(m, "p_idle_mw", &pi) == 0 && pi > 0) {
		memset(idle, 0, sizeof *idle);
		idle->run_id = run_id;
		snprintf(idle->net, sizeof idle->net, "%s", a->net);
		idle->L = a->L;
		idle->clock_hz = a->clock_hz;
		idle->form = HB_CAL_POWER;
		idle->idle = true;
		idle->power_mw = pi;
		idle->power_se_mw = a->power_se_mw > 0 ? a->power_se_mw : 0; /* same monitor, similar noise */
		idle->x.t_s = 1;
		idle->x.cycles = a->clock_hz;
		idle->have = HB_CAL_ALL_TERMS;
		idle->latency_cycles = idle->predicted_cycles = idle->analytic_nj = idle->energy_dyn_nj = NAN;
		*has_idle = true;
	}
	return HB_OK;
}
