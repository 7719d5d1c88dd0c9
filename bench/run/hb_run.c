/* hilbench — `hilbench run`: the measurement procedure (docs/measurement.md). The kind of
 * board is the session's business (hb_session.h), the power monitors the rails'
 * (hb_rails.h), the figures and outputs the report's (hb_run_report.c). */
#define LOG_PREFIX "run"
#include "hb_run_int.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hb_build.h"
#include "hb_clock.h"
#include "hb_log.h"
#include "hb_paths.h"
#include "hb_progress.h"
#include "hb_stats.h"
#include "hb_term.h"
#include "hb_transport.h"

void hb_run_opts_default(struct hb_run_opts *o)
{
	memset(o, 0, sizeof *o);
	o->board = "sim";
	o->net = "digits";
	o->windows = 5;
	o->window_s = 0; /* by the session: HB_RUN_WINDOW_S_HW or HB_RUN_WINDOW_S_SIM */
	o->baseline_s = 2.0;
	o->warmup_s = 0.2;
	o->samples = 50;
	o->seed = 1;
	o->board_seed = 1;
	o->out = stdout;
}

static void set_err(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(struct run *r, const char *fmt, ...)
{
	if (r->err[0])
		return; /* keep the first cause */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err, sizeof r->err, fmt, ap);
	va_end(ap);
}

static bool stop_requested(struct run *r)
{
	return r->o->interrupted && *r->o->interrupted;
}

static void say(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct run *r, const char *fmt, ...)
{
	if (r->o->quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	hb_term_vfprintf(r->o->out, fmt, ap); /* names and descriptions from files: escaped */
	va_end(ap);
	fflush(r->o->out);
}

/* ---- network and inputs -------------------------------------------------------------------- */

static enum hb_status resolve_net(struct run *r)
{
	const char *n = r->o->net;
	if (strchr(n, '/') || strstr(n, ".json"))
		snprintf(r->net_path, sizeof r->net_path, "%s", n);
	else
		snprintf(r->net_path, sizeof r->net_path, "%s/gateware/model/nets/%s.json", hb_data_dir(), n);
	char e[256];
	enum hb_status st = hb_net_load(r->net_path, &r->net, e, sizeof e);
	if (st != HB_OK) {
		if (st == HB_ERR_NOTFOUND && !strchr(n, '/'))
			set_err(r, "no network named '%s' (shipped: digits, mnist-shape; or give a path): %s", n, e);
		else
			set_err(r, "network %s: %s", r->net_path, e);
		return hb_input_error(st) ? HB_ERR_ARG : st;
	}
	r->net_loaded = true;
	if (r->o->L)
		r->net.L = r->o->L;
	/* The digits data set goes with 64-input networks named digits. */
	if (hb_net_inputs(&r->net) == HB_DIGITS_PIXELS && strncmp(r->net.name, "digits", 6) == 0) {
		char p[1024];
		snprintf(p, sizeof p, "%s/tests/data/digits/digits.csv", hb_data_dir());
		if (hb_digits_load(p, &r->digits, e, sizeof e) == HB_OK && r->digits.n_test > 0) {
			r->have_digits = true;
			snprintf(r->extra.data_file, sizeof r->extra.data_file, "%s", p);
		} else
			hb_warn("digits data not loaded (%s): accuracy unavailable", e);
	}
	return HB_OK;
}

/* Input values of sample s: held-out digits, or seeded pseudo-random values. */
static void sample_values(struct run *r, unsigned s, uint16_t *v, int *label)
{
	*label = -1;
	if (r->have_digits) {
		unsigned idx = r->digits.test_idx[s % r->digits.n_test];
		hb_digits_values(&r->digits, idx, v);
		*label = r->digits.labels[idx];
		hb_run_extra_scale_inputs(r->o, v, HB_DIGITS_PIXELS);
		return;
	}
	uint32_t x = r->o->seed * 2654435761u + s * 40503u + 1u;
	for (unsigned i = 0; i < hb_net_inputs(&r->net); i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		v[i] = (uint16_t)(x >> 8);
	}
	hb_run_extra_scale_inputs(r->o, v, hb_net_inputs(&r->net));
}

static void net_to_cfg(const struct hb_net *net, struct hb_link_netcfg *c, const uint8_t **w)
{
	memset(c, 0, sizeof *c);
	c->n_layers = (uint8_t)net->n_layers;
	c->L = (uint16_t)net->L;
	c->in_seed = net->in_seed;
	c->in_stride = net->in_stride;
	c->sizes[0] = (uint16_t)net->layers[0].n_in;
	for (unsigned k = 0; k < net->n_layers; k++) {
		const struct hb_layer *ly = &net->layers[k];
		c->sizes[k + 1] = (uint16_t)ly->n_out;
		c->layer[k].wt_seed = ly->wt_seed;
		c->layer[k].wi_seed = ly->wi_seed;
		c->layer[k].i_scale = ly->i_scale;
		c->layer[k].v_th = ly->v_th;
		c->layer[k].v_reset = ly->v_reset;
		c->layer[k].v_rest = ly->v_rest;
		c->layer[k].leak = ly->leak;
		c->layer[k].gain = ly->gain;
		c->layer[k].refractory = ly->refractory;
		w[k] = ly->weights;
	}
	hb_link_netcfg_layout(c, NULL);
}

/* ---- phases ---------------------------------------------------------------------------------- */

static enum hb_status open_link(struct run *r)
{
	char uri[400];
	enum hb_status st = hb_session_uart_uri(r->sess, uri, sizeof uri);
	if (st == HB_OK)
		st = hb_transport_open(uri, r->board.uart_baud, &r->tr);
	if (st != HB_OK) {
		set_err(r, "cannot open the UART %s: %s", uri, hb_strerror(st));
		return st;
	}
	struct hb_link_opts lo;
	hb_session_link_opts(r->sess, &lo);
	st = hb_link_open(r->tr, &lo, &r->link);
	if (st != HB_OK) {
		set_err(r, "link: %s", hb_strerror(st));
		return st;
	}
	st = hb_link_identify(r->link, &r->id);
	if (st != HB_OK) {
		set_err(r, "the gateware does not answer IDENTIFY on %s: %s", uri, hb_link_last_error(r->link));
		return st;
	}
	r->clock_hz = r->id.clock_hz;
	/* hardware: the gateware runs at what its PLL makes of the clock asked for (25.125 MHz for
	 * 25 on the iCEBreaker), the clock its bitstream was built for */
	double want_hz = r->o->clock_hz;
	struct hb_clkgen cg;
	if (want_hz > 0 && !hb_session_simulated(r->sess) && r->board.build.flow[0] &&
	    hb_build_check_clock(&r->board, (uint64_t)llround(want_hz), &cg, NULL, 0) == HB_OK)
		want_hz = cg.clk_hz;
	if (!hb_session_simulated(r->sess) && want_hz > 0 && fabs(want_hz - r->clock_hz) > 0.5) {
		set_err(r, "the gateware runs at %u Hz, not the %.0f Hz asked for: a clock needs its own bitstream "
			   "(hilbench build --clock-mhz %g, or --bitstream)", r->id.clock_hz, want_hz, r->o->clock_hz / 1e6);
		return HB_ERR_MISMATCH;
	}
	hb_info("identity: weights %u B, inputs %u B, hidden %u bits, max n_in %u, max n_out %u, caps 0x%x",
		r->id.weight_mem_bytes, r->id.input_mem_bytes, r->id.hidden_mem_bits, r->id.max_n_in,
		r->id.max_n_out, r->id.capabilities);
	say(r, "gateware: %s, build %08x, %u lanes, %.6g MHz, max %u layers, max L %u\n",
	    hb_link_family_name(r->id.family), r->id.build_hash, r->id.lanes, r->clock_hz / 1e6,
	    r->id.max_layers, r->id.max_L);
	if (r->id.family != (uint8_t)r->board.family) {
		set_err(r, "the gateware reports family %s but board %s is %s: wrong bitstream?",
			hb_link_family_name(r->id.family), r->board.name, hb_family_name(r->board.family));
		return HB_ERR_MISMATCH;
	}
	if (r->board.core_clock_hz && r->id.clock_hz != r->board.core_clock_hz && !(want_hz > 0))
		hb_warn("gateware clock %u Hz differs from the profile's %llu Hz; using the gateware's",
			r->id.clock_hz, (unsigned long long)r->board.core_clock_hz);
	return HB_OK;
}

static enum hb_status load_network(struct run *r)
{
	struct hb_link_netcfg cfg;
	const uint8_t *w[HB_LINK_MAX_LAYERS] = {0};
	net_to_cfg(&r->net, &cfg, w);
	char why[256];
	if (hb_link_netcfg_check(&cfg, &r->id, why, sizeof why) != HB_OK) {
		set_err(r, "network %s does not fit this gateware: %s", r->net.name, why);
		return HB_ERR_RANGE;
	}
	size_t wbytes = hb_link_netcfg_weight_bytes(&cfg);
	uint8_t *img = calloc(1, wbytes ? wbytes : 1);
	if (!img)
		return HB_ERR_NOMEM;
	size_t len = 0;
	enum hb_status st = hb_link_weights_pack(&cfg, w, img, wbytes, &len);
	struct hb_progress p;
	hb_progress_begin(&p, r->o->out, r->o->quiet, "load network", (double)len, "bytes");
	if (st == HB_OK)
		st = hb_link_load_config(r->link, &cfg);
	bool verified = false;
	if (st == HB_OK)
		st = hb_link_load_weights(r->link, img, len, &verified);
	free(img);
	if (st != HB_OK) {
		hb_progress_end(&p, "failed");
		set_err(r, "loading network %s: %s", r->net.name, hb_link_last_error(r->link));
		return st;
	}
	char res[128];
	snprintf(res, sizeof res, "%s %zu weight bytes, %s", r->net.name, len,
		 verified ? "verified by read-back" : "NOT verified (gateware has no READ)");
	hb_progress_end(&p, res);
	return HB_OK;
}

static enum hb_status open_power(struct run *r)
{
	return hb_rails_open(r->sess, r->o->out, r->o->quiet, &r->rails);
}

/* Monitors on a bench probe: configured once the inference's length is known (it sets the
 * conversion time). A probe that cannot be used leaves the power unavailable, as a monitor
 * that cannot be used does; the timing figures are still measured. */
static enum hb_status open_probe(struct run *r)
{
	char e[300] = "";
	double lat_us = (double)r->latency_cycles / r->clock_hz * 1e6;
	enum hb_status st = hb_probe_windows_open(r->sess, lat_us, r->o->out, r->o->quiet, &r->probe,
						  e, sizeof e);
	if (st == HB_ERR_NOMEM)
		return st;
	if (st != HB_OK) {
		hb_err("%s", e);
		set_err(r, "%s", e);
		hb_probe_windows_free(r->probe);
		r->probe = NULL;
	}
	return HB_OK;
}

static enum hb_status sync_point(struct run *r, struct hb_sync_point *p)
{
	struct hb_link_counters c;
	p->host_before_ns = hb_now_ns();
	enum hb_status st = hb_link_counters(r->link, &c);
	p->host_after_ns = hb_now_ns();
	p->cycle = c.cycle_now;
	if (st != HB_OK)
		set_err(r, "COUNTERS: %s", hb_link_last_error(r->link));
	return st;
}

/* Rails' power over host interval [h0, h1]. A conversion lasts longer in host time than
 * nominally only when the board's time runs slower than the host's: a virtual board paced
 * to the wall clock that fell behind (then the ratio observed over the window). */
static void board_window_power(struct run *r, const struct hb_timemap *m, double h0, double h1,
			       struct hb_window_power *out)
{
	double stretch = 1.0;
	if (!hb_session_simulated(r->sess) && hb_session_has_truth(r->sess)) {
		double k = m->ns_per_cycle * r->clock_hz / 1e9;
		stretch = k > 1.0 ? k : 1.0;
	}
	hb_rails_window(r->rails, h0, h1, m->uncertainty_ns, stretch, out);
}

static bool compare_golden(struct run *r, const struct hb_model_result *g, const uint16_t *counts,
			   unsigned n_out, unsigned cls, const char *what)
{
	unsigned K = r->net.n_layers;
	bool ok = n_out == hb_net_outputs(&r->net) && cls == g->cls;
	for (unsigned j = 0; ok && j < n_out; j++)
		ok = counts[j] == g->counts[K - 1][j];
	if (!ok) {
		char a[256] = "", b[256] = "";
		size_t pa = 0, pb = 0;
		for (unsigned j = 0; j < n_out && j < 12; j++) {
			pa += (size_t)snprintf(a + pa, sizeof a - pa, "%u ", counts[j]);
			pb += (size_t)snprintf(b + pb, sizeof b - pb, "%u ", g->counts[K - 1][j]);
		}
		hb_err("%s: gateware result differs from the golden model: class %u vs %u; counts [%s] vs [%s]",
		       what, cls, g->cls, a, b);
	}
	return ok;
}

/* Single streamed inferences: golden check, accuracy, host round trip. */
static enum hb_status run_singles(struct run *r)
{
	unsigned S = r->o->samples;
	size_t nbytes = hb_model_input_bytes(&r->net);
	uint8_t *bits = malloc(nbytes);
	uint16_t *vals = malloc(sizeof *vals * hb_net_inputs(&r->net));
	r->rtt_ms = calloc(S ? S : 1, sizeof *r->rtt_ms);
	if (!bits || !vals || !r->rtt_ms) {
		free(bits);
		free(vals);
		return HB_ERR_NOMEM;
	}
	struct hb_progress p;
	hb_progress_begin(&p, r->o->out, r->o->quiet, "single inferences (golden check, host latency)", S,
			  "samples");
	enum hb_status st = HB_OK;
	for (unsigned s = 0; s < S && st == HB_OK; s++) {
		if (stop_requested(r))
			break;
		int label;
		sample_values(r, s, vals, &label);
		struct hb_model_result g;
		hb_model_encode(&r->net, vals, bits);
		st = hb_model_infer(&r->net, bits, &g);
		if (st != HB_OK) {
			set_err(r, "golden model: %s", hb_strerror(st));
			break;
		}
		struct hb_link_infer_result res;
		uint64_t t0 = hb_now_ns();
		st = hb_link_stream_inputs(r->link, bits, nbytes, NULL);
		if (st == HB_OK)
			st = hb_link_infer(r->link, s, r->latency_cycles, &res);
		uint64_t t1 = hb_now_ns();
		if (st != HB_OK) {
			set_err(r, "sample %u: %s", s, hb_link_last_error(r->link));
			break;
		}
		r->rtt_ms[r->n_rtt++] = (double)(t1 - t0) / 1e6;
		r->latency_cycles = res.busy_cycles;
		char what[32];
		snprintf(what, sizeof what, "sample %u", s);
		r->n_checked++;
		if (!compare_golden(r, &g, res.counts, res.n_out, res.class_id, what))
			r->n_mismatch++;
		if (label >= 0) {
			r->n_labelled++;
			if ((int)res.class_id == label)
				r->n_correct++;
		}
		r->last_golden = g;
		r->have_last_golden = true;
		hb_progress_update(&p, s + 1);
	}
	char res[160];
	if (r->n_labelled)
		snprintf(res, sizeof res, "%u checked, %u mismatches, accuracy %.1f %% (%u/%u)", r->n_checked,
			 r->n_mismatch, 100.0 * r->n_correct / r->n_labelled, r->n_correct, r->n_labelled);
	else
		snprintf(res, sizeof res, "%u checked, %u mismatches", r->n_checked, r->n_mismatch);
	hb_progress_end(&p, st == HB_OK ? res : "failed");
	if (st == HB_OK && r->n_rtt == S) /* BATCH windows repeat the last sample streamed */
		hb_run_extra_window_input(&r->extra, &r->net, r->id.lanes, bits);
	free(bits);
	free(vals);
	return st;
}

/* Wait `seconds` with the link quiet, watching for Ctrl-C. */
static void quiet_wait(struct run *r, double seconds, struct hb_progress *p)
{
	uint64_t t0 = hb_now_ns(), end = t0 + (uint64_t)(seconds * 1e9);
	while (!stop_requested(r)) {
		uint64_t now = hb_now_ns();
		if (now >= end)
			break;
		if (p)
			hb_progress_update(p, (double)(now - t0) / 1e9);
		uint64_t step = end - now < 50000000u ? end - now : 50000000u;
		hb_sleep_ns(step);
	}
}

static enum hb_status run_baseline(struct run *r)
{
	struct hb_progress p;
	hb_progress_begin(&p, r->o->out, r->o->quiet, "idle baseline", r->o->baseline_s, "s");
	enum hb_status st = sync_point(r, &r->idle_sync[0]);
	if (st != HB_OK)
		return st;
	quiet_wait(r, r->o->baseline_s, &p);
	st = sync_point(r, &r->idle_sync[1]);
	if (st != HB_OK)
		return st;
	struct hb_timemap m;
	hb_timemap_fit(r->idle_sync, 2, r->clock_hz, &m);
	double h0 = hb_timemap_host_ns(&m, r->idle_sync[0].cycle);
	double h1 = hb_timemap_host_ns(&m, r->idle_sync[1].cycle);
	board_window_power(r, &m, h0, h1, &r->idle_pw);
	if (r->probe) /* the probe's monitors, in its own clock */
		hb_probe_windows_idle(r->probe, hb_rails_count(r->rails) > 0, &r->idle_pw);
	r->have_idle = r->idle_pw.available;
	r->p_idle_mw = r->idle_pw.mean_mw;
	if (hb_session_has_truth(r->sess) &&
	    hb_session_truth(r->sess, r->idle_sync[0].cycle, r->idle_sync[1].cycle, &r->idle_truth) == HB_OK)
		r->have_idle_truth = true;
	char res[200];
	if (r->have_idle)
		snprintf(res, sizeof res, "%.4f mW (%zu samples)", r->p_idle_mw, r->idle_pw.n_samples);
	else
		snprintf(res, sizeof res, "power unavailable: %s", r->idle_pw.reason);
	hb_progress_end(&p, res);
	return HB_OK;
}

static uint32_t batch_size(struct run *r, double seconds)
{
	double per = r->latency_cycles ? (double)r->latency_cycles / r->clock_hz : 1e-3;
	double n = seconds / per;
	if (n < 1)
		n = 1;
	if (n > 4e9)
		n = 4e9;
	return (uint32_t)n;
}

static enum hb_status run_windows(struct run *r)
{
	/* warm-up */
	struct hb_link_batch_result b;
	enum hb_status st = hb_link_batch(r->link, batch_size(r, r->o->warmup_s), r->latency_cycles, &b);
	if (st != HB_OK) {
		set_err(r, "warm-up BATCH: %s", hb_link_last_error(r->link));
		return st;
	}
	uint32_t n = batch_size(r, r->window_s);
	struct hb_progress p;
	char phase[96];
	snprintf(phase, sizeof phase, "windows (%u x %u inferences)", r->o->windows, n);
	hb_progress_begin(&p, r->o->out, r->o->quiet, phase, r->o->windows, "windows");
	for (unsigned w = 0; w < r->o->windows && w < MAX_WINDOWS; w++) {
		if (stop_requested(r))
			break;
		struct hb_sync_point sp[2];
		if (r->probe && (st = hb_probe_windows_begin(r->probe)) != HB_OK)
			break;
		if ((st = sync_point(r, &sp[0])) != HB_OK)
			break;
		st = hb_link_batch(r->link, n, r->latency_cycles, &b);
		if (st != HB_OK) {
			set_err(r, "window %u BATCH: %s", w + 1, hb_link_last_error(r->link));
			break;
		}
		if ((st = sync_point(r, &sp[1])) != HB_OK)
			break;
		struct window *wi = &r->win[r->n_win];
		memset(wi, 0, sizeof *wi);
		wi->n = b.n;
		wi->t0 = b.t_first_start;
		wi->t1 = b.t_last_done;
		wi->busy = b.busy_cycles;
		wi->dev_s = (double)(b.t_last_done - b.t_first_start) / r->clock_hz;
		wi->latency_cycles = (double)b.busy_cycles / b.n;
		wi->throughput = wi->dev_s > 0 ? b.n / wi->dev_s : NAN;
		char what[32];
		snprintf(what, sizeof what, "window %u", w + 1);
		wi->golden_ok = r->have_last_golden &&
				compare_golden(r, &r->last_golden, b.counts, b.n_out, b.class_id, what);
		r->n_checked++;
		if (!wi->golden_ok)
			r->n_mismatch++;
		struct hb_timemap m;
		hb_timemap_fit(sp, 2, r->clock_hz, &m);
		board_window_power(r, &m, hb_timemap_host_ns(&m, b.t_first_start),
				   hb_timemap_host_ns(&m, b.t_last_done), &wi->pw);
		double e_s = wi->dev_s; /* energy over the device's window, or the probe's */
		if (r->probe) /* bounded by the probe's own DONE/BUSY stamps */
			hb_probe_windows_end(r->probe, b.n, wi->dev_s, hb_rails_count(r->rails) > 0,
					     &wi->pw, &e_s);
		if (wi->pw.available) {
			wi->power_mw = wi->pw.mean_mw;
			wi->e_total_nj = hb_energy_nj(wi->power_mw, e_s) / b.n;
			wi->e_dyn_nj = r->have_idle ? hb_energy_nj(wi->power_mw - r->p_idle_mw, e_s) / b.n : NAN;
		}
		if (hb_session_has_truth(r->sess) &&
		    hb_session_truth(r->sess, b.t_first_start, b.t_last_done, &wi->truth) == HB_OK) {
			wi->have_truth = true;
			wi->truth_e_nj = wi->truth.energy_nj / b.n;
			wi->truth_power_mw = wi->truth.avg_power_mw;
		}
		r->n_win++;
		hb_progress_update(&p, r->n_win);
		if (wi->pw.available)
			hb_info("window %u: %u inferences in %.4f s, %.4f mW, %.3f nJ/inf", w + 1, b.n, wi->dev_s,
				wi->power_mw, wi->e_total_nj);
	}
	char res[64];
	snprintf(res, sizeof res, "%u of %u windows", r->n_win, r->o->windows);
	hb_progress_end(&p, res);
	return st;
}

/* ---- the procedure --------------------------------------------------------------------------- */

/* A run whose figures passed every check but that measured less than it was asked to: power
 * from k < W windows, or no idle baseline (no dynamic energy). Its status is partial, never
 * complete (docs/measurement.md, "Run status"); the warning names what is missing and why. */
static bool judge_partial(struct run *r, const struct hb_run_figures *f)
{
	size_t at = 0;
	char *w = r->warning;
	size_t cap = sizeof r->warning;
	if (f->windows_valid < f->windows_total)
		at += (size_t)snprintf(w + at, cap - at, "power and energy from %u of %u windows (%.400s)",
				       f->windows_valid, f->windows_total,
				       f->windows_invalid[0] ? f->windows_invalid : "the others were not measured");
	if (!r->have_idle && at < cap)
		at += (size_t)snprintf(w + at, cap - at, "%sidle baseline unavailable (%.200s): no dynamic energy",
				       at ? "; " : "", r->idle_pw.reason);
	if (!at)
		return false;
	hb_warn("partial run: %s", r->warning);
	return true;
}

static void now_iso(char *buf, size_t n)
{
	hb_db_iso8601(time(NULL), buf, n);
}

enum hb_status hb_run(const struct hb_run_opts *o, char *err, size_t errlen)
{
	struct run *r = calloc(1, sizeof *r);
	if (!r)
		return HB_ERR_NOMEM;
	r->o = o;
	now_iso(r->started_at, sizeof r->started_at);
	enum hb_status st;
	char e[512];

	/* Resolve: usage problems are reported before anything starts. */
	const char *bname = o->board ? o->board : "sim";
	st = hb_board_find(bname, o->boards_dir, &r->board, e, sizeof e);
	if (st != HB_OK) {
		snprintf(err, errlen, "%s", e);
		free(r);
		return hb_input_error(st) ? HB_ERR_ARG : st;
	}
	st = resolve_net(r);
	if (st != HB_OK) {
		snprintf(err, errlen, "%s", r->err);
		free(r);
		return st;
	}
	if (r->net.L % 8 != 0) {
		hb_net_where(r->net_path, -1, "L", e, sizeof e);
		snprintf(err, errlen, "%s: %u: streaming needs a multiple of 8 (network %s)", e, r->net.L, r->net.name);
		if (r->have_digits)
			hb_digits_free(&r->digits);
		hb_net_free(&r->net);
		free(r);
		return HB_ERR_ARG;
	}
	/* Outputs: a target that cannot be written is found before anything is flashed or
	 * measured (hb_run_outputs.c). */
	st = hb_run_check_outputs(r, err, errlen);
	if (st != HB_OK) {
		hb_db_close(r->db);
		if (r->have_digits)
			hb_digits_free(&r->digits);
		hb_net_free(&r->net);
		free(r);
		return st;
	}
	say(r, "hilbench run: network %s (%u layers, %zu synapses, L = %u) on board %s (%s)\n", hb_term(r->net.name),
	    r->net.n_layers, hb_net_synapses(&r->net), r->net.L, r->board.name, hb_term(r->board.description));

	enum hb_run_status rs = HB_RUN_FAILED;
	struct hb_session_opts so;
	hb_session_opts_default(&so);
	so.virtual_board = o->virtual_board;
	so.no_flash = o->no_flash;
	so.bitstream = o->bitstream;
	if (!o->virtual_board && o->clock_hz > 0)
		so.clock_hz = (uint64_t)llround(o->clock_hz); /* hardware: that clock's bitstream */
	so.vboard_exe = o->vboard_exe;
	so.pacing = o->pacing;
	so.seed = o->board_seed;
	so.extra_args = o->vboard_args;
	so.out = o->out;
	so.quiet = o->quiet;
	so.abort_now = o->abort_now;
	hb_run_extra_clock(o, &r->board); /* --clock-mhz on a virtual board or twin */
	st = hb_session_open(&r->board, &so, &r->sess);
	if (st == HB_OK) {
		st = hb_session_start(r->sess);
		if (st != HB_OK)
			set_err(r, "%s", hb_session_error(r->sess));
	}
	/* Window length: on hardware long enough that a conversion and the host's timing jitter
	 * are each < 0.1 % of it; in simulated time there is no jitter and the edges are exact,
	 * so a window only needs enough conversions (docs/measurement.md). */
	r->window_s = o->window_s > 0 ? o->window_s
		      : r->sess && hb_session_simulated(r->sess) ? HB_RUN_WINDOW_S_SIM : HB_RUN_WINDOW_S_HW;
	if (st == HB_OK && !stop_requested(r))
		st = open_link(r);
	if (st == HB_OK && !stop_requested(r))
		st = load_network(r);
	if (st == HB_OK && !stop_requested(r))
		st = open_power(r);
	if (st == HB_OK && !stop_requested(r))
		st = run_singles(r);
	if (st == HB_OK && !stop_requested(r) && hb_probe_windows_wanted(&r->board))
		st = open_probe(r);
	if (st == HB_OK && !stop_requested(r))
		st = run_baseline(r);
	if (st == HB_OK && !stop_requested(r))
		st = run_windows(r);
	if (st == HB_ERR_ARG) /* from the device or a driver: not a usage error of this command */
		st = HB_ERR_PROTO;
	if (stop_requested(r)) {
		rs = HB_RUN_INTERRUPTED;
		say(r, "\ninterrupted: keeping what was measured so far\n");
		if (st == HB_OK)
			st = HB_ERR_INTERRUPTED;
	} else if (st == HB_OK) {
		rs = HB_RUN_COMPLETE;
	}
	if (r->rails)
		hb_rails_stop(r->rails);
	hb_probe_windows_stop(r->probe);
	now_iso(r->finished_at, sizeof r->finished_at);

	/* The status is decided before anything is stored, so the record, the exit code and the
	 * table say the same thing. */
	if (st == HB_OK && r->n_mismatch) {
		st = HB_ERR_MISMATCH;
		set_err(r, "%u of %u gateware results differ from the golden model", r->n_mismatch, r->n_checked);
	}
	bool partial = false;
	if (st == HB_OK) {
		struct hb_run_figures f;
		hb_run_figures(r, &f);
		if (!f.power_ok) {
			set_err(r, "power unavailable: %s", f.power_reason);
			/* A board with monitors whose power could not be measured is a failure (a
			 * saturated shunt, a monitor gone); a board without monitors is not. */
			if (r->board.n_monitors > 0)
				st = HB_ERR;
		} else if (f.truth_ok) {
			/* On a virtual board the truth is known: a measurement outside the documented
			 * bound is a failed measurement, not a result (docs/measurement.md). */
			double ee = fabs(f.e_total_nj - f.truth_e_nj) / f.truth_e_nj;
			double pe = fabs(f.power_mw - f.truth_power_mw) / f.truth_power_mw;
			if (!(ee <= HB_RUN_TRUTH_BOUND && pe <= HB_RUN_TRUTH_BOUND)) {
				set_err(r, "measured %s differs from the virtual board's truth by %+.3f %% "
					   "(bound %.1f %%): the measurement chain is wrong (e.g. a profile shunt "
					   "that is not the board's)", ee > pe ? "energy" : "power",
					100 * (ee > pe ? (f.e_total_nj - f.truth_e_nj) / f.truth_e_nj
						       : (f.power_mw - f.truth_power_mw) / f.truth_power_mw),
					100 * HB_RUN_TRUTH_BOUND);
				st = HB_ERR_MISMATCH;
			}
		}
		if (st == HB_OK && f.power_ok)
			partial = judge_partial(r, &f);
	}
	if (rs == HB_RUN_COMPLETE && st != HB_OK)
		rs = HB_RUN_FAILED;
	else if (rs == HB_RUN_COMPLETE && partial)
		rs = HB_RUN_PARTIAL;
	enum hb_status rep = hb_run_report(r, rs);
	if (st == HB_OK && rep != HB_OK)
		st = rep;
	snprintf(err, errlen, "%s", r->err);

	if (r->link)
		hb_link_close(r->link);
	if (r->tr)
		hb_transport_close(r->tr);
	hb_db_close(r->db);
	hb_rails_free(r->rails);
	hb_probe_windows_free(r->probe); /* before the session: it talks through the board */
	hb_session_close(r->sess);
	free(r->rtt_ms);
	if (r->have_digits)
		hb_digits_free(&r->digits);
	hb_net_free(&r->net);
	free(r);
	return st;
}
