/* hilbench — the report of a run: figures, the profiler table, JSON, CSV, the run history
 * and the power-trace plot (docs/results.md). */
#define LOG_PREFIX "run"
#include "hb_run_int.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hb_energy_model.h"
#include "hb_log.h"
#include "hb_outfile.h"
#include "hb_plot.h"
#include "hb_report.h"
#include "hb_stats.h"
#include "hb_term.h"

/* Median of get() over the windows (only the valid ones when valid_only). */
static double median_of(struct run *r, double (*get)(const struct window *), bool valid_only)
{
	double v[MAX_WINDOWS];
	size_t n = 0;
	for (unsigned i = 0; i < r->n_win; i++) {
		if (valid_only && !hb_run_window_valid(&r->win[i]))
			continue;
		double x = get(&r->win[i]);
		if (!isnan(x))
			v[n++] = x;
	}
	return hb_stats_median(v, n);
}

static double g_lat(const struct window *w) { return w->latency_cycles; }
static double g_thr(const struct window *w) { return w->throughput; }
static double g_pow(const struct window *w) { return w->pw.available ? w->power_mw : NAN; }
static double g_etot(const struct window *w) { return w->pw.available ? w->e_total_nj : NAN; }
static double g_edyn(const struct window *w) { return w->pw.available ? w->e_dyn_nj : NAN; }
static double g_tpow(const struct window *w) { return w->have_truth ? w->truth_power_mw : NAN; }
static double g_te(const struct window *w) { return w->have_truth ? w->truth_e_nj : NAN; }

void hb_run_figures(struct run *r, struct hb_run_figures *f)
{
	memset(f, 0, sizeof *f);
	/* timing: every window measured (the device's stamps do not depend on the monitors) */
	f->latency_cycles = r->n_win ? median_of(r, g_lat, false) : (double)r->latency_cycles;
	f->latency_ms = r->clock_hz > 0 ? f->latency_cycles / r->clock_hz * 1e3 : NAN;
	f->throughput = r->n_win ? median_of(r, g_thr, false) : NAN;
	/* power: each window judged on its own, the figures from the valid ones */
	f->windows_measured = r->n_win;
	f->windows_total = r->o->windows < MAX_WINDOWS ? r->o->windows : MAX_WINDOWS;
	if (f->windows_total < r->n_win)
		f->windows_total = r->n_win;
	size_t at = 0;
	for (unsigned i = 0; i < r->n_win; i++) {
		if (hb_run_window_valid(&r->win[i])) {
			f->windows_valid++;
			continue;
		}
		if (at < sizeof f->windows_invalid)
			at += (size_t)snprintf(f->windows_invalid + at, sizeof f->windows_invalid - at, "%swindow %u: %s",
					       at ? "; " : "", i + 1, r->win[i].pw.reason);
	}
	f->power_ok = f->windows_valid > 0;
	if (r->n_win == 0)
		snprintf(f->power_reason, sizeof f->power_reason, "no window was measured");
	else if (!f->power_ok)
		snprintf(f->power_reason, sizeof f->power_reason, "0 of %u windows valid: %.160s", r->n_win,
			 f->windows_invalid);
	f->power_mw = f->power_ok ? median_of(r, g_pow, true) : NAN;
	f->e_total_nj = f->power_ok ? median_of(r, g_etot, true) : NAN;
	f->e_dyn_nj = f->power_ok && r->have_idle ? median_of(r, g_edyn, true) : NAN;
	/* the truth the figures are checked against: the same (valid) windows; with none valid,
	 * nothing is compared and the truth of every window is reported */
	bool tv = f->windows_valid > 0;
	f->truth_ok = r->sess && hb_session_has_truth(r->sess) && r->n_win > 0;
	for (unsigned i = 0; i < r->n_win; i++)
		if (!tv || hb_run_window_valid(&r->win[i]))
			f->truth_ok = f->truth_ok && r->win[i].have_truth;
	f->truth_power_mw = f->truth_ok ? median_of(r, g_tpow, tv) : NAN;
	f->truth_e_nj = f->truth_ok ? median_of(r, g_te, tv) : NAN;
	f->truth_idle_mw = r->have_idle_truth ? r->idle_truth.avg_power_mw : NAN;
}

static cJSON *num(double x)
{
	return hb_report_json_number(x);
}

static cJSON *measured_json(struct run *r, const struct hb_run_figures *f, bool truth)
{
	cJSON *o = cJSON_CreateObject();
	double lat_c = f->latency_cycles;
	if (truth) { /* the simulator's own count of busy cycles, independent of the device's */
		double v[MAX_WINDOWS];
		size_t n = 0;
		for (unsigned i = 0; i < r->n_win; i++)
			if (r->win[i].have_truth)
				v[n++] = (double)r->win[i].truth.busy_cycles / r->win[i].n;
		lat_c = hb_stats_median(v, n);
	}
	cJSON_AddItemToObject(o, "latency_cycles", num(lat_c));
	cJSON_AddItemToObject(o, "clock_hz", num(r->clock_hz));
	uint64_t inf = 0;
	for (unsigned i = 0; i < r->n_win; i++)
		inf += r->win[i].n;
	cJSON_AddItemToObject(o, "inferences", num((double)inf));
	cJSON *ws = cJSON_AddArrayToObject(o, "windows");
	for (unsigned i = 0; i < r->n_win; i++) {
		const struct window *w = &r->win[i];
		cJSON *x = cJSON_CreateObject();
		cJSON_AddItemToObject(x, "inferences", num(w->n));
		cJSON_AddItemToObject(x, "t_first_start", num((double)w->t0));
		cJSON_AddItemToObject(x, "t_last_done", num((double)w->t1));
		cJSON_AddItemToObject(x, "device_s", num(w->dev_s));
		cJSON_AddItemToObject(x, "latency_cycles", num(w->latency_cycles));
		cJSON_AddItemToObject(x, "throughput_inf_per_s", num(w->throughput));
		if (truth) {
			cJSON_AddItemToObject(x, "p_active_mw", num(w->have_truth ? w->truth_power_mw : NAN));
			cJSON_AddItemToObject(x, "energy_total_nj", num(w->have_truth ? w->truth_e_nj : NAN));
			cJSON_AddItemToObject(x, "exact", cJSON_CreateBool(w->have_truth && w->truth.exact));
		} else {
			cJSON_AddItemToObject(x, "p_active_mw", num(w->pw.available ? w->power_mw : NAN));
			cJSON_AddItemToObject(x, "p_active_stddev_mw", num(w->pw.available ? w->pw.stddev_mw : NAN));
			cJSON_AddItemToObject(x, "energy_total_nj", num(w->pw.available ? w->e_total_nj : NAN));
			cJSON_AddItemToObject(x, "energy_dynamic_nj", num(w->pw.available ? w->e_dyn_nj : NAN));
			cJSON_AddItemToObject(x, "samples", num((double)w->pw.n_samples));
			cJSON_AddItemToObject(x, "dropped_samples", num((double)w->pw.n_gaps));
			cJSON_AddItemToObject(x, "golden_match", cJSON_CreateBool(w->golden_ok));
			cJSON_AddItemToObject(x, "valid", cJSON_CreateBool(hb_run_window_valid(w)));
			if (!w->pw.available)
				cJSON_AddStringToObject(x, "power_unavailable", w->pw.reason);
		}
		cJSON_AddItemToArray(ws, x);
	}
	if (truth) {
		double idle = f->truth_idle_mw;
		cJSON_AddItemToObject(o, "p_idle_mw", num(idle));
		cJSON_AddItemToObject(o, "p_active_mw", num(f->truth_power_mw));
		cJSON_AddItemToObject(o, "energy_total_nj", num(f->truth_e_nj));
		double dyn = NAN;
		if (f->truth_ok && !isnan(idle)) { /* over the valid windows, like the measured figure */
			double v[MAX_WINDOWS];
			size_t n = 0;
			for (unsigned i = 0; i < r->n_win; i++)
				if (!f->windows_valid || hb_run_window_valid(&r->win[i]))
					v[n++] = hb_energy_nj(r->win[i].truth_power_mw - idle, r->win[i].dev_s) /
						 r->win[i].n;
			dyn = hb_stats_median(v, n);
		}
		cJSON_AddItemToObject(o, "energy_dynamic_nj", num(dyn));
		return o;
	}
	cJSON_AddItemToObject(o, "p_idle_mw", num(r->have_idle ? r->p_idle_mw : NAN));
	cJSON_AddItemToObject(o, "p_active_mw", num(f->power_mw));
	cJSON_AddItemToObject(o, "energy_total_nj", num(f->e_total_nj));
	cJSON_AddItemToObject(o, "energy_dynamic_nj", num(f->e_dyn_nj));
	if (!f->power_ok)
		cJSON_AddStringToObject(o, "power_unavailable", f->power_reason);
	if (!r->have_idle && r->idle_pw.reason[0])
		cJSON_AddStringToObject(o, "idle_unavailable", r->idle_pw.reason);
	cJSON *lat = cJSON_AddObjectToObject(o, "latency_host_ms");
	/* In a simulated session the host's round trip is simulated time too: transport and
	 * device, no host computing (docs/measurement.md). */
	cJSON_AddStringToObject(lat, "clock", r->sess && hb_session_simulated(r->sess) ? "simulated" : "host");
	/* the round trips are only summarised once measured: sorting them in place is fine */
	static const double pc[] = {50, 95, 99};
	static const char *nm[] = {"p50", "p95", "p99"};
	for (int k = 0; k < 3; k++)
		cJSON_AddItemToObject(lat, nm[k], num(hb_stats_percentile(r->rtt_ms, r->n_rtt, pc[k])));
	cJSON_AddItemToObject(lat, "n", num((double)r->n_rtt));
	cJSON_AddItemToObject(o, "accuracy", num(r->n_labelled ? (double)r->n_correct / r->n_labelled : NAN));
	cJSON_AddItemToObject(o, "golden_checked", num(r->n_checked));
	cJSON_AddItemToObject(o, "golden_mismatches", num(r->n_mismatch));
	uint64_t samples = 0, dropped = 0;
	if (r->rails)
		hb_rails_totals(r->rails, &samples, &dropped);
	cJSON_AddItemToObject(o, "samples", num((double)samples));
	cJSON_AddItemToObject(o, "dropped_samples", num((double)dropped));
	return o;
}

static void relerr_json(cJSON *o, const char *key, double m, double t)
{
	cJSON_AddItemToObject(o, key, num(isnan(m) || isnan(t) || t == 0 ? NAN : (m - t) / t));
}

static enum hb_status write_plot(struct run *r, const char *path);

/* An output that could not be written: a complete or partial run becomes failed, with the
 * reason as run.error (the first cause kept). Returns the status to store. */
static enum hb_run_status downgrade(cJSON *run, enum hb_run_status status, const char *why)
{
	if (status != HB_RUN_COMPLETE && status != HB_RUN_PARTIAL)
		return status;
	cJSON_ReplaceItemInObjectCaseSensitive(run, "status", cJSON_CreateString(hb_run_status_name(HB_RUN_FAILED)));
	if (!cJSON_GetObjectItemCaseSensitive(run, "error"))
		cJSON_AddStringToObject(run, "error", why);
	return HB_RUN_FAILED;
}

static bool facts_simulated(struct run *r)
{
	return r->sess && hb_session_simulated(r->sess);
}

enum hb_status hb_run_report(struct run *r, enum hb_run_status status)
{
	struct hb_run_figures f;
	hb_run_figures(r, &f);

	/* Modeled row: the analytic model for the board's family (the virtual board stands in for
	 * an iCE40) at the gateware's clock. */
	struct hb_layer_shape shapes[HB_MODEL_MAX_LAYERS];
	for (unsigned k = 0; k < r->net.n_layers; k++) {
		shapes[k].n_in = r->net.layers[k].n_in;
		shapes[k].n_out = r->net.layers[k].n_out;
	}
	struct hb_energy_opts eo = hb_energy_opts_default();
	const char *target = r->board.family == HB_FAMILY_SIM ? "ice40" : hb_family_name(r->board.family);
	eo.target = target;
	eo.bitstream_length = r->net.L;
	eo.clock_mhz = (r->clock_hz > 0 ? r->clock_hz : (double)r->board.core_clock_hz) / 1e6;
	struct hb_platform_result rows[3];
	size_t nrows = 0;
	struct hb_energy_report er;
	bool have_model = eo.clock_mhz > 0 && hb_energy_estimate(shapes, r->net.n_layers, &eo, &er) == HB_OK;

	char plat[32], notes[128];
	snprintf(plat, sizeof plat, "fpga_%s (measured)", hb_family_name(r->board.family));
	bool timing_ok = r->n_win > 0;
	if (timing_ok && f.power_ok) {
		snprintf(notes, sizeof notes, "total; dynamic %.4g nJ; %u of %u windows; %u/%u golden match%s",
			 f.e_dyn_nj, f.windows_valid, f.windows_total, r->n_checked - r->n_mismatch, r->n_checked,
			 status == HB_RUN_INTERRUPTED ? "; interrupted" : status == HB_RUN_PARTIAL ? "; partial" : "");
		hb_report_row_set(&rows[nrows], plat, f.latency_ms, f.throughput, f.power_mw, f.e_total_nj,
				  HB_SOURCE_MEASURED, notes);
	} else {
		snprintf(notes, sizeof notes, "%.127s", timing_ok ? f.power_reason : (r->err[0] ? r->err : "not measured"));
		hb_report_row_unavailable(&rows[nrows], plat, HB_SOURCE_MEASURED, notes);
		if (timing_ok) { /* keep the timing figures: they were measured */
			rows[nrows].latency_ms = f.latency_ms;
			rows[nrows].throughput_inf_per_s = f.throughput;
		}
	}
	struct hb_platform_result *measured = &rows[nrows++];
	if (have_model) {
		struct hb_energy_row er_row;
		hb_energy_profiler_row(&er, &er_row);
		char mp[48];
		snprintf(mp, sizeof mp, "%s (modeled)", er_row.platform);
		hb_report_row_set(&rows[nrows], mp, er_row.latency_ms, er_row.throughput_inf_per_s,
				  er_row.power_mw, er_row.energy_per_inf_nj, HB_SOURCE_MODELED, er_row.notes);
		/* The model has no static power: compare like with like, the measured dynamic
		 * energy per inference (idle baseline subtracted) with the modeled energy. */
		hb_report_set_ratio_of(measured, f.e_dyn_nj, &rows[nrows]);
		nrows++;
	}
	char cal_err[400] = "";
	if (hb_run_extra_calibrated_row(&r->extra, r->o, hb_family_name(r->board.family), r->clock_hz, &rows[nrows],
					cal_err, sizeof cal_err) > 0)
		nrows++;
	else if (cal_err[0])
		hb_err("%s", cal_err);
	hb_report_sort(rows, nrows);
	/* The table always; the detail lines unless --quiet. */
	fprintf(r->o->out, "%s", r->o->quiet ? "" : "\n");
	hb_report_format_table(r->o->out, rows, nrows, HB_TABLE_DEFAULT);
	if (!r->o->quiet) {
		fprintf(r->o->out, "\n");
		if (timing_ok)
			fprintf(r->o->out,
				"latency: %.0f cycles = %.6f ms at %.6g MHz (device); host round trip p50 %.3f ms "
				"(stream + infer, transport included%s)\n",
				f.latency_cycles, f.latency_ms, r->clock_hz / 1e6,
				hb_stats_median(r->rtt_ms, r->n_rtt),
				hb_session_simulated(r->sess) ? "; simulated time" : "");
		if (timing_ok && r->board.n_monitors > 0) {
			/* k of W: every window judged on its own (docs/measurement.md) */
			fprintf(r->o->out, "windows: %u of %u valid%s", f.windows_valid, f.windows_total,
				f.windows_valid ? "; power and energy from those" : "; no power figure");
			if (f.windows_measured < f.windows_total)
				fprintf(r->o->out, " (%u measured)", f.windows_measured);
			if (f.windows_invalid[0])
				hb_term_fprintf(r->o->out, "; %s", f.windows_invalid);
			fprintf(r->o->out, "\n");
		}
		if (f.power_ok)
			fprintf(r->o->out,
				"power: active %.4f mW, idle %.4f mW; energy per inference %.4f nJ total, %.4f nJ "
				"dynamic\n",
				f.power_mw, r->p_idle_mw, f.e_total_nj, f.e_dyn_nj);
		if (f.power_ok && !r->have_idle)
			hb_term_fprintf(r->o->out, "idle baseline unavailable (%s): no dynamic energy\n",
					r->idle_pw.reason);
		if (f.truth_ok && f.power_ok)
			fprintf(r->o->out,
				"virtual board truth: %.4f mW, %.4f nJ/inference -> measured error %+.3f %% "
				"(power), %+.3f %% (energy)\n",
				f.truth_power_mw, f.truth_e_nj, 100 * (f.power_mw - f.truth_power_mw) / f.truth_power_mw,
				100 * (f.e_total_nj - f.truth_e_nj) / f.truth_e_nj);
		if (r->probe) /* bench/run/hb_probe_windows.c */
			hb_probe_windows_print(r->probe, r->o->out, f.truth_ok ? f.truth_e_nj : NAN);
		if (r->n_labelled)
			fprintf(r->o->out, "accuracy: %.1f %% on %u labelled samples; ", 100.0 * r->n_correct / r->n_labelled,
				r->n_labelled);
		fprintf(r->o->out, "golden model: %u results checked, %u mismatches\n", r->n_checked, r->n_mismatch);
	}

	cJSON *doc = hb_report_json_new(rows, nrows);
	if (!doc)
		return HB_ERR_NOMEM;
	cJSON *run = cJSON_CreateObject();
	cJSON_AddStringToObject(run, "status", hb_run_status_name(status));
	cJSON_AddStringToObject(run, "board", r->board.name);
	cJSON_AddStringToObject(run, "family", hb_family_name(r->board.family));
	if (r->sess) {
		cJSON_AddStringToObject(run, "session", hb_session_kind(r->sess));
		cJSON_AddStringToObject(run, "time_base", hb_session_simulated(r->sess) ? "simulated" : "host");
		if (hb_session_flashed(r->sess)[0])
			cJSON_AddStringToObject(run, "bitstream", hb_session_flashed(r->sess));
	}
	cJSON_AddStringToObject(run, "net", r->net.name);
	cJSON_AddStringToObject(run, "net_file", r->net_path);
	cJSON_AddItemToObject(run, "L", num(r->net.L));
	cJSON_AddItemToObject(run, "window_s", num(r->window_s));
	cJSON_AddStringToObject(run, "started_at", r->started_at);
	cJSON_AddStringToObject(run, "finished_at", r->finished_at);
	if (r->err[0])
		cJSON_AddStringToObject(run, "error", r->err);
	if (r->warning[0])
		cJSON_AddStringToObject(run, "warning", r->warning);
	/* k of W (docs/results.md): the power figures are from the valid windows only */
	cJSON_AddItemToObject(run, "windows_valid", num(f.windows_valid));
	cJSON_AddItemToObject(run, "windows_measured", num(f.windows_measured));
	cJSON_AddItemToObject(run, "windows_total", num(f.windows_total));
	if (r->link) {
		char h[16];
		snprintf(h, sizeof h, "%08x", r->id.build_hash);
		cJSON_AddStringToObject(run, "build_hash", h);
		cJSON_AddItemToObject(run, "lanes", num(r->id.lanes));
		cJSON_AddItemToObject(run, "link_retries", num((double)r->link->stats.retries));
		cJSON_AddItemToObject(run, "link_bytes_tx", num((double)r->link->stats.bytes_tx));
		struct hb_link_stat ls[HB_LINK_STATS_N]; /* retries, chunk sizes: docs/results.md */
		cJSON *lk = cJSON_AddObjectToObject(run, "link");
		for (size_t i = 0, n = hb_link_stats_list(&r->link->stats, ls, HB_LINK_STATS_N); i < n; i++)
			cJSON_AddItemToObject(lk, ls[i].name, num((double)ls[i].value));
	}
	if (have_model) {
		cJSON_AddStringToObject(run, "model_target", target);
		cJSON_AddItemToObject(run, "model_clock_mhz", num(eo.clock_mhz));
	}
	cJSON *meas = measured_json(r, &f, false);
	{
		/* calibration, sweeps and receipts (hb_run_extra.c) */
		const struct hb_board_monitor *mon = r->board.n_monitors ? &r->board.monitors[0] : NULL;
		unsigned win_bad = 0;
		for (unsigned i = 0; i < r->n_win; i++)
			win_bad += !r->win[i].golden_ok;
		size_t ns = 0;
		const char *rail = NULL;
		const struct hb_meas_sample *smp = r->rails ? hb_rails_samples(r->rails, &ns, &rail) : NULL;
		struct hb_run_facts facts = {
			.rtt_ms = r->rtt_ms, .n_rtt = r->n_rtt, .samples = r->o->samples,
			.labelled = r->n_labelled, .correct = r->n_correct,
			.singles_checked = (unsigned)r->n_rtt, .singles_mismatched = r->n_mismatch - win_bad,
			.net_path = r->net_path, .device_serial = r->board.usb_serial, .fpga_part = r->board.fpga_part,
			.measurement_point = mon ? (mon->label[0] ? mon->label : mon->rail) : NULL,
			.power_sample_rate_hz = smp && ns > 1 && smp[ns - 1].t_ns > smp[0].t_ns
							? (double)(ns - 1) * 1e9 / (double)(smp[ns - 1].t_ns - smp[0].t_ns)
							: NAN,
			.simulated = r->sess && hb_session_simulated(r->sess), .vboard_exe = r->o->vboard_exe,
			.bitstream = r->sess ? hb_session_flashed(r->sess) : NULL,
		};
		hb_run_extra_attach(&r->extra, r->o, &facts, run, meas);
	}
	if (r->probe)
		hb_probe_windows_json(r->probe, run, f.truth_ok ? f.truth_e_nj : NAN);
	hb_report_json_attach(doc, "run", run);
	hb_report_json_attach(doc, "measured", meas);
	if (f.truth_ok) {
		cJSON *t = measured_json(r, &f, true);
		cJSON *acc = cJSON_AddObjectToObject(t, "relative_error");
		relerr_json(acc, "energy_total_nj", f.e_total_nj, f.truth_e_nj);
		relerr_json(acc, "p_active_mw", f.power_mw, f.truth_power_mw);
		relerr_json(acc, "p_idle_mw", r->have_idle ? r->p_idle_mw : NAN, f.truth_idle_mw);
		hb_report_json_attach(doc, "truth", t);
	}

	/* The outputs were checked before the run (hb_run_outputs.c), but a disk can fill or a
	 * directory go while it measures. So the files go first and the record last: an output
	 * that could not be written makes the run failed in the JSON and the database too, as in
	 * the exit code. The files that carry the document come after those that do not. */
	enum hb_status st = HB_OK;
	char werr[300] = "";
	if (r->o->plot_path) {
		enum hb_status ps = write_plot(r, r->o->plot_path);
		if (ps != HB_OK) {
			st = ps;
			snprintf(werr, sizeof werr, "cannot write --plot %.200s", r->o->plot_path);
		}
	}
	/* hb_outfile: no planted symlink followed, the old file replaced only when complete */
	struct hb_outfile of;
	if (r->o->csv_path) {
		if (hb_outfile_open(&of, r->o->csv_path) != HB_OK ||
		    hb_report_write_csv(of.f, rows, nrows) != HB_OK || hb_outfile_commit(&of) != HB_OK) {
			hb_outfile_abort(&of);
			hb_err("cannot write --csv %s", of.err[0] ? of.err : r->o->csv_path);
			st = HB_ERR_IO;
			if (!werr[0])
				snprintf(werr, sizeof werr, "cannot write --csv %.250s", of.err[0] ? of.err : r->o->csv_path);
		}
	}
	char rerr[400] = "";
	if (st != HB_OK)
		status = downgrade(run, status, werr);
	if (hb_run_extra_receipt(r->o, doc, rerr, sizeof rerr) != HB_OK) {
		hb_err("--receipt %s: %s", r->o->receipt_path, rerr);
		st = HB_ERR_IO;
		if (!werr[0])
			snprintf(werr, sizeof werr, "cannot write --receipt %.200s", r->o->receipt_path);
		status = downgrade(run, status, werr);
	} else if (r->o->receipt_path && !r->o->quiet) {
		fprintf(r->o->out, "receipt: %s%s\n", r->o->receipt_path,
			facts_simulated(r) ? " (SIMULATED: never an instrument measurement)" : "");
	}
	if (r->o->json_path) {
		if (hb_outfile_open(&of, r->o->json_path) != HB_OK ||
		    hb_report_json_write(of.f, doc) != HB_OK || hb_outfile_commit(&of) != HB_OK) {
			hb_outfile_abort(&of);
			hb_err("cannot write --json %s", of.err[0] ? of.err : r->o->json_path);
			st = HB_ERR_IO;
			if (!werr[0])
				snprintf(werr, sizeof werr, "cannot write --json %.250s", of.err[0] ? of.err : r->o->json_path);
			status = downgrade(run, status, werr);
		}
	}
	if (!r->o->no_db) {
		/* opened before the run (hb_run_check_outputs); the same file, its schema known */
		struct hb_db *db = r->db;
		enum hb_status ds = db ? HB_OK : hb_db_open(r->o->db_path, &db);
		if (ds == HB_OK) {
			char *js = cJSON_Print(doc);
			struct hb_db_run dr = {
				.started_at = r->started_at,
				.finished_at = r->finished_at,
				.status = status,
				.board = r->board.name,
				.net = r->net.name,
				.command_line = (char *)(r->o->command_line ? r->o->command_line : "hilbench run"),
				.result_json = js,
				.sweep_id = r->o->sweep_id,
				/* k of W, when the run reached its windows with a monitor to judge them */
				.windows_valid = (int)f.windows_valid,
				.windows_total = r->n_win && r->board.n_monitors ? (int)f.windows_total : 0,
			};
			ds = hb_db_append_run(db, &dr, rows, nrows);
			if (ds == HB_OK && r->o->run_id)
				*r->o->run_id = dr.id;
			if (ds == HB_OK && !r->o->quiet)
				fprintf(r->o->out, "stored as run %lld (hilbench history show %lld)\n", (long long)dr.id,
					(long long)dr.id);
			free(js);
			if (db != r->db)
				hb_db_close(db);
		}
		if (ds != HB_OK) {
			hb_err("results not stored in the database: %s", hb_db_strerror(ds));
			st = ds;
		}
	}
	if (werr[0] && !r->err[0])
		snprintf(r->err, sizeof r->err, "%s", werr);
	cJSON_Delete(doc);
	return st;
}

/* ---- the power-trace plot (gnuplot, bench/run/hb_plot.c) ------------------------------------- */

static enum hb_status write_plot(struct run *r, const char *path)
{
	size_t ns = 0;
	const char *rail = "";
	if (r->probe && hb_rails_count(r->rails) == 0) { /* the probe's trace, in its own time */
		struct hb_plot pp = {.have_idle = r->have_idle, .idle_mw = r->p_idle_mw,
				     .simulated_time = hb_session_simulated(r->sess), .net = r->net.name,
				     .board = r->board.name};
		enum hb_status pst = hb_probe_windows_plot(r->probe, &pp, path);
		if (pst == HB_OK && !r->o->quiet)
			fprintf(r->o->out, "power trace: %s\n", hb_term(path));
		return pst;
	}
	const struct hb_meas_sample *smp = r->rails ? hb_rails_samples(r->rails, &ns, &rail) : NULL;
	if (!smp) {
		hb_err("--plot: no power samples to draw (%s)", r->rails ? hb_rails_unavailable(r->rails) : "no rails");
		return HB_ERR_UNSUPPORTED;
	}
	/* the samplers are stopped: the array is ours */
	double *t = malloc((ns ? ns : 1) * sizeof *t), *pw = malloc((ns ? ns : 1) * sizeof *pw);
	uint64_t t0 = ns ? smp[0].t_ns : 0;
	for (size_t i = 0; t && pw && i < ns; i++) {
		t[i] = (double)(smp[i].t_ns - t0) / 1e9;
		pw[i] = smp[i].power_mw;
	}
	/* Windows as shaded rectangles: device seconds, shifted to the plot's host seconds at the
	 * baseline's first sync point. */
	struct hb_plot_span win[MAX_WINDOWS];
	double off = ((double)r->idle_sync[0].host_before_ns - (double)t0) / 1e9 -
		     (double)r->idle_sync[0].cycle / r->clock_hz;
	for (unsigned i = 0; i < r->n_win; i++) {
		win[i].t0_s = (double)r->win[i].t0 / r->clock_hz + off;
		win[i].t1_s = (double)r->win[i].t1 / r->clock_hz + off;
	}
	const char *label = "";
	for (size_t i = 0; i < r->board.n_monitors; i++)
		if (strcmp(r->board.monitors[i].rail, rail) == 0)
			label = r->board.monitors[i].label;
	struct hb_plot p = {.t_s = t, .power_mw = pw, .n = ns, .windows = win, .n_windows = r->n_win,
			    .have_idle = r->have_idle, .idle_mw = r->p_idle_mw,
			    .simulated_time = hb_session_simulated(r->sess), .net = r->net.name,
			    .board = r->board.name, .rail = rail, .rail_label = label};
	if (r->probe) /* a probe's monitors besides: its per-inference histogram */
		hb_probe_windows_hist(r->probe, &p);
	enum hb_status st = t && pw ? hb_plot_write(&p, path) : HB_ERR_NOMEM;
	free(t);
	free(pw);
	if (st == HB_OK && !r->o->quiet)
		fprintf(r->o->out, "power trace: %s\n", hb_term(path));
	return st;
}
