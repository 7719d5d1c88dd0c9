/* The analytic FPGA energy model (SC-NeuroCore energy.estimate) and the profiler's FPGA row.
 *
 * Every floating-point expression is evaluated in the order the Python source evaluates it
 * (left to right, double precision), so the results are bit-identical. This file is built with
 * -ffp-contract=off so the compiler cannot fuse a multiply and an add. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_PREFIX "energy"
#include "hb_energy_model.h"
#include "hb_log.h"

/* fpga_models.py TARGETS, in its order. */
static const struct hb_fpga_target targets[] = {
	{
		.name = "ice40", .part = "ice40_hx8k", .family = "ice40",
		.total_luts = 7680, .total_bram_kb = 128, .total_dsp = 0,
		.voltage_v = 1.2, .max_freq_mhz = 150.0, .c_eff_ff = 5.0,
	},
	{
		.name = "ecp5", .part = "ecp5_85k", .family = "ecp5",
		.total_luts = 83640, .total_bram_kb = 3744, .total_dsp = 156,
		.voltage_v = 1.1, .max_freq_mhz = 400.0, .c_eff_ff = 4.0,
	},
	{
		.name = "artix7", .part = "artix7_100t", .family = "xc7a",
		.total_luts = 63400, .total_bram_kb = 4860, .total_dsp = 240,
		.voltage_v = 1.0, .max_freq_mhz = 450.0, .c_eff_ff = 3.5,
	},
	{
		.name = "zynq", .part = "zynq_7020", .family = "xc7z",
		.total_luts = 53200, .total_bram_kb = 4480, .total_dsp = 220,
		.voltage_v = 1.0, .max_freq_mhz = 400.0, .c_eff_ff = 3.5,
	},
};
#define N_TARGETS (sizeof targets / sizeof targets[0])

size_t hb_energy_target_count(void)
{
	return N_TARGETS;
}

const struct hb_fpga_target *hb_energy_target_at(size_t i)
{
	return i < N_TARGETS ? &targets[i] : NULL;
}

const struct hb_fpga_target *hb_energy_target_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < N_TARGETS; i++)
		if (strcmp(targets[i].name, name) == 0)
			return &targets[i];
	return NULL;
}

void hb_energy_target_names(char *buf, size_t size)
{
	size_t used = 0;
	if (!buf || size == 0)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < N_TARGETS && used < size; i++) {
		int w = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", targets[i].name);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

struct hb_energy_opts hb_energy_opts_default(void)
{
	return (struct hb_energy_opts){
		.target = "ice40",
		.bitstream_length = HB_ENERGY_DEFAULT_LENGTH,
		.event_driven = false,
		.clock_mhz = HB_ENERGY_DEFAULT_CLOCK_MHZ,
		.include_infra = true,
	};
}

/* int(np.log2(max(n_in, 2))): for n_in < 2^32 the double log2 is never close enough to an
 * integer to round across it, so this equals the exact integer floor(log2). */
static uint64_t floor_log2(uint32_t v)
{
	uint64_t k = 0;
	if (v < 2)
		v = 2;
	while (v >>= 1)
		k++;
	return k;
}

static enum hb_status estimate_with(const struct hb_layer_shape *layers, size_t n,
				    const struct hb_energy_opts *o, double c_eff_ff,
				    struct hb_energy_report *out)
{
	const struct hb_fpga_target *t = hb_energy_target_find(o->target);
	if (!t) {
		char names[96];
		hb_energy_target_names(names, sizeof names);
		hb_err("unknown target '%s'; known targets: %s", o->target ? o->target : "(null)",
		       names);
		return HB_ERR_NOTFOUND;
	}
	if (n == 0 || n > HB_ENERGY_MAX_LAYERS) {
		hb_err("%zu layers; the model takes 1 to %d", n, HB_ENERGY_MAX_LAYERS);
		return HB_ERR_ARG;
	}
	if (o->bitstream_length == 0) {
		hb_err("bitstream length must be positive");
		return HB_ERR_ARG;
	}
	if (!(o->clock_mhz > 0.0) || !isfinite(o->clock_mhz)) {
		hb_err("clock %g MHz is not a positive number", o->clock_mhz);
		return HB_ERR_ARG;
	}
	for (size_t i = 0; i < n; i++) {
		if (layers[i].n_in == 0 || layers[i].n_out == 0) {
			hb_err("layer %zu has a zero size (%ux%u)", i, layers[i].n_in, layers[i].n_out);
			return HB_ERR_ARG;
		}
	}

	memset(out, 0, sizeof *out);
	out->target = t;
	out->n_layers = n;
	out->clock_mhz = o->clock_mhz;

	const uint64_t neuron_luts = o->event_driven ? HB_COST_EVENT_LUTS : HB_COST_LIF_LUTS;
	const uint64_t neuron_ffs = o->event_driven ? HB_COST_EVENT_FFS : HB_COST_LIF_FFS;
	const double activity = o->event_driven ? HB_ENERGY_ACTIVITY_EVENT
						: HB_ENERGY_ACTIVITY_CLOCKED;
	/* c_eff_f = c_eff * 1e-15; v_sq = voltage ** 2; freq = clock_mhz * 1e6 */
	const double c_eff_f = c_eff_ff * 1e-15;
	const double v_sq = pow(t->voltage_v, 2.0);
	const double freq = o->clock_mhz * 1e6;

	uint64_t sum_luts = 0, sum_ffs = 0, sum_bram = 0, sum_cycles = 0;
	double sum_power = 0.0;
	for (size_t i = 0; i < n; i++) {
		const uint64_t n_in = layers[i].n_in, n_out = layers[i].n_out;
		struct hb_layer_estimate *le = &out->layers[i];
		const uint64_t syn = n_in * n_out;
		const uint64_t mux = floor_log2(layers[i].n_in);
		le->n_in = layers[i].n_in;
		le->n_out = layers[i].n_out;
		le->n_synapses = syn;
		le->bitstream_length = o->bitstream_length;
		le->luts = n_out * neuron_luts + syn * HB_COST_SYNAPSE_LUTS +
			   n_in * HB_COST_ENCODER_LUTS + n_out * (mux > 1 ? mux : 1);
		le->ffs = n_out * neuron_ffs + n_in * HB_COST_ENCODER_FFS;
		le->bram_bits = syn > HB_BRAM_MIN_SYNAPSES ? syn * HB_BRAM_BITS_PER_WEIGHT : 0;
		le->latency_cycles = (uint64_t)o->bitstream_length + 2;
		/* power_w = c_eff_f * v_sq * freq * total_luts * activity; power_mw = power_w * 1e3 */
		double power_w = c_eff_f * v_sq * freq * (double)le->luts * activity;
		le->dynamic_power_mw = power_w * 1e3;

		sum_luts += le->luts;
		sum_ffs += le->ffs;
		sum_bram += le->bram_bits;
		sum_cycles += le->latency_cycles;
		sum_power = sum_power + le->dynamic_power_mw;
	}

	uint64_t infra = 0;
	if (o->include_infra) {
		infra = HB_COST_AXI_LITE_LUTS;
		if (o->event_driven)
			infra += HB_COST_AER_ENCODER_LUTS + HB_COST_AER_ROUTER_LUTS;
	}
	out->infra_luts = infra;
	out->total_luts = sum_luts + infra;
	out->total_ffs = sum_ffs;
	out->total_bram_kb = (double)sum_bram / 8192.0;
	out->total_dynamic_power_mw = sum_power;
	out->total_latency_cycles = sum_cycles;
	out->activity = activity;
	/* latency_s = cycles / (clock_mhz * 1e6); energy_nj = power_mw * latency_s * 1e6 */
	const double latency_s = (double)sum_cycles / (o->clock_mhz * 1e6);
	out->energy_per_inference_nj = sum_power * latency_s * 1e6;
	out->fits_on_target = out->total_luts <= t->total_luts;
	out->utilization_pct = ((double)out->total_luts / (double)t->total_luts) * 100;

	out->calibrated = false;
	out->static_power_mw = 0.0;
	out->total_power_mw = out->total_dynamic_power_mw;
	out->energy_total_nj = out->energy_per_inference_nj;
	return HB_OK;
}

enum hb_status hb_energy_estimate(const struct hb_layer_shape *layers, size_t n,
				  const struct hb_energy_opts *opts, struct hb_energy_report *out)
{
	if (!layers || !opts || !out)
		return HB_ERR_ARG;
	const struct hb_fpga_target *t = hb_energy_target_find(opts->target);
	return estimate_with(layers, n, opts, t ? t->c_eff_ff : 0.0, out);
}

enum hb_status hb_energy_check_chain(const struct hb_layer_shape *layers, size_t n,
				     size_t *bad_index)
{
	for (size_t k = 1; k < n; k++) {
		if (layers[k].n_in != layers[k - 1].n_out) {
			if (bad_index)
				*bad_index = k;
			return HB_ERR_MISMATCH;
		}
	}
	return HB_OK;
}

/* Parse one positive decimal integer at *p (no sign, no spaces); advance *p. */
static int parse_size(const char **p, uint32_t *v)
{
	const char *s = *p;
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	char *end;
	unsigned long long x = strtoull(s, &end, 10);
	if (errno || x == 0 || x > UINT32_MAX)
		return -2;
	*v = (uint32_t)x;
	*p = end;
	return 0;
}

enum hb_status hb_energy_parse_layers(const char *spec, struct hb_layer_shape *layers,
				      size_t max, size_t *n, char *err, size_t err_size)
{
	char dummy[1];
	if (!err || err_size == 0) {
		err = dummy;
		err_size = sizeof dummy;
	}
	err[0] = '\0';
	*n = 0;
	if (!spec || !*spec) {
		snprintf(err, err_size, "empty layer list (expected e.g. 784x128,128x10)");
		return HB_ERR_ARG;
	}
	const char *p = spec;
	if (!strchr(spec, 'x') && !strchr(spec, 'X')) {
		/* a chain of widths: 784-128-10 */
		uint32_t prev;
		int rc = parse_size(&p, &prev);
		size_t count = 0;
		while (rc == 0 && *p == '-') {
			p++;
			uint32_t w;
			rc = parse_size(&p, &w);
			if (rc)
				break;
			if (count >= max) {
				snprintf(err, err_size, "more than %zu layers", max);
				return HB_ERR_ARG;
			}
			layers[count++] = (struct hb_layer_shape){prev, w};
			prev = w;
		}
		if (rc || *p || count == 0) {
			snprintf(err, err_size,
				 "bad layer list '%s': expected N_INxN_OUT,... (e.g. 784x128,128x10) "
				 "or a chain of widths (e.g. 784-128-10) with positive integers",
				 spec);
			return HB_ERR_ARG;
		}
		*n = count;
		return HB_OK;
	}
	size_t count = 0;
	for (;;) {
		const char *item = p;
		uint32_t a, b;
		int rc = parse_size(&p, &a);
		if (rc == 0 && (*p == 'x' || *p == 'X')) {
			p++;
			rc = parse_size(&p, &b);
		} else if (rc == 0) {
			rc = -1;
		}
		if (rc || (*p != ',' && *p != '\0')) {
			size_t len = strcspn(item, ",");
			snprintf(err, err_size,
				 "bad layer %zu '%.*s': expected N_INxN_OUT with positive integers "
				 "below 2^32 (e.g. 784x128)",
				 count + 1, (int)(len > 40 ? 40 : len), item);
			return HB_ERR_ARG;
		}
		if (count >= max) {
			snprintf(err, err_size, "more than %zu layers", max);
			return HB_ERR_ARG;
		}
		layers[count++] = (struct hb_layer_shape){a, b};
		if (*p == '\0')
			break;
		p++; /* ',' */
	}
	*n = count;
	return HB_OK;
}

void hb_energy_profiler_row(const struct hb_energy_report *r, struct hb_energy_row *row)
{
	memset(row, 0, sizeof *row);
	snprintf(row->platform, sizeof row->platform, "fpga_%s", r->target ? r->target->name : "?");
	/* latency_ms = cycles / (clock_mhz * 1e3); throughput = 1 / max(latency_ms / 1000, 1e-9) */
	row->latency_ms = (double)r->total_latency_cycles / (r->clock_mhz * 1e3);
	double lat_s = row->latency_ms / 1000;
	row->throughput_inf_per_s = 1.0 / (lat_s > 1e-9 ? lat_s : 1e-9);
	if (r->calibrated) {
		row->power_mw = r->total_power_mw;
		row->energy_per_inf_nj = r->energy_total_nj;
	} else {
		row->power_mw = r->total_dynamic_power_mw;
		row->energy_per_inf_nj = r->energy_per_inference_nj;
	}
	snprintf(row->notes, sizeof row->notes, "%s %.0f%%", r->fits_on_target ? "fits" : "EXCEEDS",
		 r->utilization_pct);
}

/* ---- calibration ---- */

/* x = f[Hz] * LUTs * activity * V^2; P_mW = P_static + C_eff[fF] * 1e-15 * x * 1e3 */
static double cal_x(const struct hb_cal_point *p)
{
	return p->clock_mhz * 1e6 * p->luts * p->activity * p->voltage_v * p->voltage_v;
}

#define FF_PER_MW_SLOPE 1e12 /* C_eff[fF] = k[mW per x] * 1e12 */

enum hb_status hb_cal_fit(const struct hb_cal_point *pts, size_t n, bool fix_static_zero,
			  struct hb_cal_coeffs *out)
{
	if (!pts || !out || n < (fix_static_zero ? 1u : 2u))
		return HB_ERR_ARG;
	double mx = 0, my = 0;
	for (size_t i = 0; i < n; i++) {
		double x = cal_x(&pts[i]);
		if (!isfinite(x) || !isfinite(pts[i].power_mw))
			return HB_ERR_ARG;
		mx += x;
		my += pts[i].power_mw;
	}
	mx /= (double)n;
	my /= (double)n;

	double k, a;
	if (fix_static_zero) {
		double sxy = 0, sxx = 0;
		for (size_t i = 0; i < n; i++) {
			double x = cal_x(&pts[i]);
			sxy += x * pts[i].power_mw;
			sxx += x * x;
		}
		if (!(sxx > 0))
			return HB_ERR_ARG;
		k = sxy / sxx;
		a = 0;
	} else {
		double sxy = 0, sxx = 0;
		for (size_t i = 0; i < n; i++) {
			double dx = cal_x(&pts[i]) - mx;
			sxy += dx * (pts[i].power_mw - my);
			sxx += dx * dx;
		}
		/* all x equal (relative to their size): slope undetermined */
		if (!(sxx > 0) || sxx <= 1e-24 * mx * mx * (double)n)
			return HB_ERR_ARG;
		k = sxy / sxx;
		a = my - k * mx;
	}

	double ss_res = 0, ss_tot = 0;
	for (size_t i = 0; i < n; i++) {
		double e = pts[i].power_mw - (a + k * cal_x(&pts[i]));
		double d = pts[i].power_mw - my;
		ss_res += e * e;
		ss_tot += d * d;
	}
	memset(out->target, 0, sizeof out->target);
	out->c_eff_ff = k * FF_PER_MW_SLOPE;
	out->static_power_mw = a;
	out->n_points = n;
	out->rms_residual_mw = sqrt(ss_res / (double)n);
	out->r2 = ss_tot > 0 ? 1.0 - ss_res / ss_tot : (ss_res == 0 ? 1.0 : 0.0);
	return HB_OK;
}

double hb_cal_predict_mw(const struct hb_cal_coeffs *c, const struct hb_cal_point *p)
{
	return c->static_power_mw + c->c_eff_ff / FF_PER_MW_SLOPE * cal_x(p);
}

enum hb_status hb_energy_estimate_calibrated(const struct hb_layer_shape *layers, size_t n,
					     const struct hb_energy_opts *opts,
					     const struct hb_cal_coeffs *coeffs,
					     struct hb_energy_report *out)
{
	if (!layers || !opts || !coeffs || !out)
		return HB_ERR_ARG;
	if (coeffs->target[0] && opts->target && strcmp(coeffs->target, opts->target) != 0) {
		hb_err("coefficients fitted for '%s' used for target '%s'", coeffs->target,
		       opts->target);
		return HB_ERR_MISMATCH;
	}
	if (!isfinite(coeffs->c_eff_ff) || !isfinite(coeffs->static_power_mw))
		return HB_ERR_ARG;
	enum hb_status st = estimate_with(layers, n, opts, coeffs->c_eff_ff, out);
	if (st != HB_OK)
		return st;
	out->calibrated = true;
	out->static_power_mw = coeffs->static_power_mw;
	out->total_power_mw = out->total_dynamic_power_mw + coeffs->static_power_mw;
	const double latency_s = (double)out->total_latency_cycles / (out->clock_mhz * 1e6);
	out->energy_total_nj = out->total_power_mw * latency_s * 1e6;
	return HB_OK;
}
