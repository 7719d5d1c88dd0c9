/* hilbench — `hilbench run`: the measurement procedure (docs/measurement.md). */
#define LOG_PREFIX "run"
#include "hb_run.h"

#include <cjson/cJSON.h>
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

#include "hb_board.h"
#include "hb_clock.h"
#include "hb_db.h"
#include "hb_energy_model.h"
#include "hb_flash.h"
#include "hb_i2c.h"
#include "hb_ina2xx.h"
#include "hb_link_client.h"
#include "hb_log.h"
#include "hb_measure.h"
#include "hb_model.h"
#include "hb_outfile.h"
#include "hb_paths.h"
#include "hb_plot.h"
#include "hb_power_sampler.h"
#include "hb_progress.h"
#include "hb_report.h"
#include "hb_stats.h"
#include "hb_term.h"
#include "hb_transport.h"
#include "hb_vboard_proc.h"

#define MAX_WINDOWS 64

void hb_run_opts_default(struct hb_run_opts *o)
{
	memset(o, 0, sizeof *o);
	o->board = "sim";
	o->net = "digits";
	o->windows = 5;
	o->window_s = 3.0;
	o->baseline_s = 2.0;
	o->warmup_s = 0.2;
	o->samples = 50;
	o->seed = 1;
	o->out = stdout;
}

/* ---- power rails: one sampler thread per INA2xx ---------------------------------------- */

struct rail {
	const struct hb_board_monitor *mon;
	struct hb_i2c *bus;
	struct hb_ina2xx dev;
	struct hb_power_sampler sampler;
	pthread_t thread;
	bool started;
	pthread_mutex_t mu;
	struct hb_meas_sample *s; /* guarded by mu */
	size_t n, cap;
	enum hb_status error;     /* first sampler error (HB_OK while healthy) */
	char error_msg[200];
	volatile int stop;
};

static int rail_append(void *ctx, const struct hb_power_sample *ps)
{
	struct rail *r = ctx;
	if (r->stop)
		return 1;
	struct hb_meas_sample m = {.t_ns = ps->t_ns, .flags = 0};
	/* P = V_bus * I from the raw conversions: mV * uV / uohm = mW (finer than the power register). */
	m.power_mw = (double)ps->bus_mV * (double)ps->shunt_uV / (double)r->mon->shunt_uohm;
	if (ps->flags & HB_POWER_SAMPLE_SATURATED)
		m.flags |= HB_MEAS_SATURATED;
	if (ps->flags & HB_POWER_SAMPLE_OVF)
		m.flags |= HB_MEAS_OVERFLOW;
	pthread_mutex_lock(&r->mu);
	if (r->n == r->cap) {
		size_t nc = r->cap ? r->cap * 2 : 4096;
		struct hb_meas_sample *ns = realloc(r->s, nc * sizeof *ns);
		if (!ns) {
			pthread_mutex_unlock(&r->mu);
			return 1;
		}
		r->s = ns;
		r->cap = nc;
	}
	r->s[r->n++] = m;
	pthread_mutex_unlock(&r->mu);
	return 0;
}

static void *rail_thread(void *arg)
{
	struct rail *r = arg;
	enum hb_status st = hb_power_sampler_run(&r->sampler, 0, rail_append, r);
	if (st != HB_OK && !r->stop) {
		pthread_mutex_lock(&r->mu);
		r->error = st;
		snprintf(r->error_msg, sizeof r->error_msg, "power monitor %.24s (%.100s @0x%02x) failed: %.40s",
			 r->mon->rail, r->mon->bus, r->mon->address, hb_strerror(st));
		pthread_mutex_unlock(&r->mu);
		hb_err("%s", r->error_msg);
	}
	return NULL;
}

/* ---- the run context --------------------------------------------------------------------- */

struct window {
	uint32_t n;
	uint64_t t0, t1, busy;      /* device stamps and busy cycles */
	double dev_s;               /* (t1 - t0) / clock */
	struct hb_window_power pw;  /* summed over rails when available */
	double power_mw, e_total_nj, e_dyn_nj, throughput, latency_cycles;
	bool golden_ok;
	bool have_truth;
	struct hb_vboard_truth truth;
	double truth_e_nj, truth_power_mw;
};

struct run {
	const struct hb_run_opts *o;
	struct hb_board board;
	struct hb_net net;
	bool net_loaded;
	char net_path[1024];
	struct hb_digits digits;
	bool have_digits;
	struct hb_vboard_proc *vb;
	struct hb_transport *tr;
	struct hb_link *link;
	struct hb_link_identity id;
	double clock_hz;
	struct rail rails[HB_BOARD_MAX_MONITORS];
	size_t n_rails;
	char power_unavailable[256]; /* why there are no power figures ("" when there are) */
	/* results */
	char started_at[40], finished_at[40];
	unsigned n_checked, n_mismatch, n_correct, n_labelled;
	double *rtt_ms;
	size_t n_rtt;
	uint64_t latency_cycles;     /* from INFER (busy cycles of one inference) */
	struct hb_model_result last_golden;
	bool have_last_golden;
	struct hb_sync_point idle_sync[2];
	struct hb_window_power idle_pw;
	double p_idle_mw;
	bool have_idle;
	bool have_idle_truth;
	struct hb_vboard_truth idle_truth;
	struct window win[MAX_WINDOWS];
	unsigned n_win;
	char err[512];
};

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
		return st == HB_ERR_NOTFOUND ? HB_ERR_ARG : st;
	}
	r->net_loaded = true;
	/* The digits data set goes with 64-input networks named digits. */
	if (hb_net_inputs(&r->net) == HB_DIGITS_PIXELS && strncmp(r->net.name, "digits", 6) == 0) {
		char p[1024];
		snprintf(p, sizeof p, "%s/tests/data/digits/digits.csv", hb_data_dir());
		if (hb_digits_load(p, &r->digits, e, sizeof e) == HB_OK && r->digits.n_test > 0)
			r->have_digits = true;
		else
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
		return;
	}
	uint32_t x = r->o->seed * 2654435761u + s * 40503u + 1u;
	for (unsigned i = 0; i < hb_net_inputs(&r->net); i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		v[i] = (uint16_t)(x >> 8);
	}
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

static enum hb_status start_sim(struct run *r)
{
	char clock[32], baud[32];
	snprintf(clock, sizeof clock, "%llu", (unsigned long long)r->board.core_clock_hz);
	snprintf(baud, sizeof baud, "%u", r->board.uart_baud);
	const char *pace = r->o->pacing ? r->o->pacing : (r->board.sim_pacing[0] ? r->board.sim_pacing : "realtime");
	if (strcmp(pace, "free") == 0)
		pace = "fast";
	/* The INA219 model gets one current LSB (20 uA) of noise per conversion, as a real chip
	 * has: it dithers the 10 uV shunt quantisation, so the mean over a window resolves the
	 * dynamic power far below one LSB (docs/measurement.md). Seeded: runs repeat. */
	const char *args[] = {"--clock-hz", clock, "--baud", baud, "--pace", pace, "--noise-uA", "20",
			      "--seed", "1", NULL};
	struct hb_progress p;
	hb_progress_begin(&p, r->o->out, r->o->quiet, "starting the virtual board", 0, "");
	enum hb_status st = hb_vboard_start(r->o->vboard_exe, args, 20000, &r->vb);
	if (st != HB_OK) {
		hb_progress_end(&p, "failed");
		set_err(r, "could not start the virtual board (hilbench-vboard): %s", hb_strerror(st));
		return st;
	}
	const struct hb_vboard_info *vi = hb_vboard_info(r->vb);
	char res[256];
	snprintf(res, sizeof res, "uart %.100s, i2c %.100s, %.3g MHz, %.10s pacing", vi->uart, vi->i2c,
		 vi->clock_hz / 1e6, pace);
	hb_progress_end(&p, res);
	return HB_OK;
}

static enum hb_status flash_board(struct run *r)
{
	if (r->o->no_flash) {
		say(r, "flash: skipped (--no-flash); the bitstream already on the board is used\n");
		return HB_OK;
	}
	/* The bitstream: --bitstream, else what the gateware flow built for this board. */
	char path[1024] = "";
	if (r->o->bitstream) {
		snprintf(path, sizeof path, "%s", r->o->bitstream);
	} else {
		static const char *const ext[] = {"bin", "bit"};
		const char *dir = r->board.family == HB_FAMILY_ICE40 ? "icebreaker"
				  : r->board.family == HB_FAMILY_ECP5 ? "ulx3s" : "arty";
		for (size_t i = 0; i < 2 && !path[0]; i++) {
			char c[1024];
			snprintf(c, sizeof c, "%s/build/gateware/%s/hb_%s.%s", hb_data_dir(), dir, dir, ext[i]);
			if (access(c, R_OK) == 0)
				snprintf(path, sizeof path, "%s", c);
		}
		if (!path[0]) {
			set_err(r, "no bitstream for board %s in build/gateware/%s/: build the board's gateware "
				   "(docs/gateware.md, Build flows), or pass --bitstream FILE, or --no-flash",
				r->board.name, dir);
			return HB_ERR_NOTFOUND;
		}
	}
	struct hb_flash_opts fo = {
		.ofl_board = r->board.ofl_board[0] ? r->board.ofl_board : NULL,
		.cable = r->board.ofl_cable[0] ? r->board.ofl_cable : NULL,
		.ftdi_serial = r->board.usb_serial[0] ? r->board.usb_serial : NULL,
		.ftdi_channel = -1,
		.bitstream = path,
	};
	struct hb_progress p;
	char phase[160];
	snprintf(phase, sizeof phase, "flash %.100s (openFPGALoader, SRAM)", path);
	hb_progress_begin(&p, r->o->out, r->o->quiet, phase, 0, "");
	struct hb_flash_result res;
	enum hb_status st = hb_flash_run(&fo, &res);
	if (st != HB_OK) {
		hb_progress_end(&p, "failed");
		set_err(r, "flash: %s", res.message[0] ? res.message : hb_strerror(st));
		return st;
	}
	hb_progress_end(&p, "done");
	return HB_OK;
}

static enum hb_status open_link(struct run *r)
{
	char uri[400];
	if (r->vb)
		snprintf(uri, sizeof uri, "pty:%s", hb_vboard_info(r->vb)->uart);
	else
		snprintf(uri, sizeof uri, "%s", r->board.uart_uri);
	enum hb_status st = hb_transport_open(uri, r->board.uart_baud, &r->tr);
	if (st != HB_OK) {
		set_err(r, "cannot open the UART %s: %s", uri, hb_strerror(st));
		return st;
	}
	struct hb_link_opts lo;
	hb_link_opts_default(&lo);
	if (r->vb) {
		/* The simulation may run slower than its clock for a while on a busy host: give
		 * every answer more slack than a real board needs. */
		lo.base_timeout_ms = 2000;
		lo.compute_margin_pct = 400;
	}
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
	if (r->board.core_clock_hz && r->id.clock_hz != r->board.core_clock_hz)
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
	if (r->board.n_monitors == 0) {
		snprintf(r->power_unavailable, sizeof r->power_unavailable,
			 "board profile %s has no power monitor", r->board.name);
		return HB_OK;
	}
	for (size_t i = 0; i < r->board.n_monitors; i++) {
		const struct hb_board_monitor *m = &r->board.monitors[i];
		struct rail *rl = &r->rails[r->n_rails];
		memset(rl, 0, sizeof *rl);
		rl->mon = m;
		char uri[400];
		if (r->vb && strncmp(m->bus, "vboard:", 7) == 0 && m->bus[7] == '\0')
			snprintf(uri, sizeof uri, "vboard:%s", hb_vboard_info(r->vb)->i2c);
		else
			snprintf(uri, sizeof uri, "%s", m->bus);
		enum hb_status st = hb_i2c_open(uri, &rl->bus);
		if (st == HB_OK) {
			struct hb_ina2xx_config c = {
				.shunt_uohm = m->shunt_uohm,
				.max_current_uA = m->max_current_ma * 1000u,
				/* Shunt: 12 bit averaged over 4 (2.13 ms), bus: 12 bit (0.53 ms); one
				 * sample every 2.66 ms leaves the host time to read it on a busy bus, and
				 * is still < 0.1 % of a 3 s window. */
				.bus_adc = hb_ina219_adc_code(12, 1),
				.shunt_adc = hb_ina219_adc_code(12, 4),
				.mode = -1,
			};
			const struct hb_ina2xx_chip *chip = hb_ina2xx_chip_by_name(m->chip);
			st = chip ? hb_ina2xx_init(&rl->dev, rl->bus, m->address, HB_INA219, &c)
				  : HB_ERR_UNSUPPORTED;
		}
		if (st != HB_OK) {
			snprintf(r->power_unavailable, sizeof r->power_unavailable,
				 "power monitor %.24s (%.16s at %.120s 0x%02x) not usable: %.40s", m->rail, m->chip, uri,
				 m->address, hb_strerror(st));
			hb_err("%s", r->power_unavailable);
			if (rl->bus)
				hb_i2c_close(rl->bus);
			rl->bus = NULL;
			return HB_OK; /* timing figures are still worth measuring */
		}
		pthread_mutex_init(&rl->mu, NULL);
		hb_power_sampler_init(&rl->sampler, &rl->dev, NULL);
		/* The virtual board keeps pace with the wall clock only on average (a loaded host
		 * makes it fall behind for a moment): allow it 100 ms before calling the monitor
		 * stopped. The gaps still count, and a gapped window is reported unavailable. */
		if (r->vb)
			rl->sampler.stall_periods = (unsigned)(100000000u / (rl->dev.conv_ns ? rl->dev.conv_ns : 1000000u)) + 4;
		if (pthread_create(&rl->thread, NULL, rail_thread, rl) != 0) {
			snprintf(r->power_unavailable, sizeof r->power_unavailable, "cannot start sampler thread");
			pthread_mutex_destroy(&rl->mu);
			hb_i2c_close(rl->bus);
			return HB_OK;
		}
		rl->started = true;
		r->n_rails++;
		say(r, "power: %s via %s at 0x%02x, shunt %u uohm, conversion %.3f ms\n", m->rail, hb_term(uri),
		    m->address, m->shunt_uohm, (double)rl->dev.conv_ns / 1e6);
	}
	return HB_OK;
}

static void close_power(struct run *r)
{
	for (size_t i = 0; i < r->n_rails; i++) {
		struct rail *rl = &r->rails[i];
		rl->stop = 1;
	}
	for (size_t i = 0; i < r->n_rails; i++) {
		struct rail *rl = &r->rails[i];
		if (rl->started)
			pthread_join(rl->thread, NULL);
		rl->started = false;
		if (rl->bus)
			hb_i2c_close(rl->bus);
		rl->bus = NULL;
	}
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

/* Sum the rails' mean power over host interval [h0, h1]. `stretch` >= 1 is how much longer
 * a conversion lasts in host time than its nominal length: 1 for a real INA219 (its own
 * oscillator runs in real time); for the virtual board, whose INA219 converts in simulated
 * time, the ratio of host time to device time observed over the window (the simulation may
 * fall behind the wall clock for a while). */
static void board_window_power(struct run *r, double h0, double h1, double guard_ns, double stretch,
			       struct hb_window_power *out)
{
	memset(out, 0, sizeof *out);
	if (r->n_rails == 0) {
		snprintf(out->reason, sizeof out->reason, "%.159s",
			 r->power_unavailable[0] ? r->power_unavailable : "no power monitor");
		return;
	}
	double sum = 0, var = 0;
	for (size_t i = 0; i < r->n_rails; i++) {
		struct rail *rl = &r->rails[i];
		struct hb_window_opts wo = {.conv_ns = (uint64_t)((double)rl->dev.conv_ns * stretch),
					    .guard_ns = guard_ns, .min_samples = 10};
		struct hb_window_power w;
		pthread_mutex_lock(&rl->mu);
		if (rl->error != HB_OK) {
			snprintf(out->reason, sizeof out->reason, "%s", rl->error_msg);
			pthread_mutex_unlock(&rl->mu);
			return;
		}
		hb_window_power(rl->s, rl->n, h0, h1, &wo, &w);
		pthread_mutex_unlock(&rl->mu);
		out->n_samples += w.n_samples;
		out->n_gaps += w.n_gaps;
		if (!w.available) {
			snprintf(out->reason, sizeof out->reason, "rail %.24s: %.120s", rl->mon->rail, w.reason);
			return;
		}
		sum += w.mean_mw;
		var += w.stddev_mw * w.stddev_mw;
	}
	out->mean_mw = sum;
	out->stddev_mw = sqrt(var);
	out->available = 1;
}

static double conv_stretch(struct run *r, const struct hb_timemap *m)
{
	if (!r->vb)
		return 1.0;
	double k = m->ns_per_cycle * r->clock_hz / 1e9;
	return k > 1.0 ? k : 1.0;
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
	board_window_power(r, h0, h1, m.uncertainty_ns, conv_stretch(r, &m), &r->idle_pw);
	r->have_idle = r->idle_pw.available;
	r->p_idle_mw = r->idle_pw.mean_mw;
	if (r->vb && hb_vboard_truth(r->vb, r->idle_sync[0].cycle, r->idle_sync[1].cycle, &r->idle_truth) == HB_OK)
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
	uint32_t n = batch_size(r, r->o->window_s);
	struct hb_progress p;
	char phase[96];
	snprintf(phase, sizeof phase, "windows (%u x %u inferences)", r->o->windows, n);
	hb_progress_begin(&p, r->o->out, r->o->quiet, phase, r->o->windows, "windows");
	for (unsigned w = 0; w < r->o->windows && w < MAX_WINDOWS; w++) {
		if (stop_requested(r))
			break;
		struct hb_sync_point sp[2];
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
		board_window_power(r, hb_timemap_host_ns(&m, b.t_first_start),
				   hb_timemap_host_ns(&m, b.t_last_done), m.uncertainty_ns, conv_stretch(r, &m),
				   &wi->pw);
		if (wi->pw.available) {
			wi->power_mw = wi->pw.mean_mw;
			wi->e_total_nj = hb_energy_nj(wi->power_mw, wi->dev_s) / b.n;
			wi->e_dyn_nj = r->have_idle ? hb_energy_nj(wi->power_mw - r->p_idle_mw, wi->dev_s) / b.n : NAN;
		}
		if (r->vb && hb_vboard_truth(r->vb, b.t_first_start, b.t_last_done, &wi->truth) == HB_OK) {
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

/* ---- results --------------------------------------------------------------------------------- */

struct figures {
	double latency_cycles, latency_ms, throughput, power_mw, e_total_nj, e_dyn_nj;
	double truth_power_mw, truth_e_nj, truth_idle_mw;
	bool power_ok, truth_ok;
	char power_reason[200];
};

static double median_of(struct run *r, double (*get)(const struct window *))
{
	double v[MAX_WINDOWS];
	size_t n = 0;
	for (unsigned i = 0; i < r->n_win; i++) {
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

static void compute_figures(struct run *r, struct figures *f)
{
	memset(f, 0, sizeof *f);
	f->latency_cycles = r->n_win ? median_of(r, g_lat) : (double)r->latency_cycles;
	f->latency_ms = r->clock_hz > 0 ? f->latency_cycles / r->clock_hz * 1e3 : NAN;
	f->throughput = r->n_win ? median_of(r, g_thr) : NAN;
	f->power_ok = r->n_win > 0;
	for (unsigned i = 0; i < r->n_win; i++)
		if (!r->win[i].pw.available) {
			f->power_ok = false;
			snprintf(f->power_reason, sizeof f->power_reason, "window %u: %s", i + 1, r->win[i].pw.reason);
			break;
		}
	if (r->n_win == 0)
		snprintf(f->power_reason, sizeof f->power_reason, "no window was measured");
	f->power_mw = f->power_ok ? median_of(r, g_pow) : NAN;
	f->e_total_nj = f->power_ok ? median_of(r, g_etot) : NAN;
	f->e_dyn_nj = f->power_ok && r->have_idle ? median_of(r, g_edyn) : NAN;
	f->truth_ok = r->vb && r->n_win > 0;
	for (unsigned i = 0; i < r->n_win; i++)
		f->truth_ok = f->truth_ok && r->win[i].have_truth;
	f->truth_power_mw = f->truth_ok ? median_of(r, g_tpow) : NAN;
	f->truth_e_nj = f->truth_ok ? median_of(r, g_te) : NAN;
	f->truth_idle_mw = r->have_idle_truth ? r->idle_truth.avg_power_mw : NAN;
}

static cJSON *num(double x)
{
	return hb_report_json_number(x);
}

static cJSON *measured_json(struct run *r, const struct figures *f, bool truth)
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
		if (f->truth_ok && !isnan(idle)) {
			double v[MAX_WINDOWS];
			for (unsigned i = 0; i < r->n_win; i++)
				v[i] = hb_energy_nj(r->win[i].truth_power_mw - idle, r->win[i].dev_s) / r->win[i].n;
			dyn = hb_stats_median(v, r->n_win);
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
	cJSON *lat = cJSON_AddObjectToObject(o, "latency_host_ms");
	/* the round trips are only summarised once measured: sorting them in place is fine */
	static const double pc[] = {50, 95, 99};
	static const char *nm[] = {"p50", "p95", "p99"};
	for (int k = 0; k < 3; k++)
		cJSON_AddItemToObject(lat, nm[k], num(hb_stats_percentile(r->rtt_ms, r->n_rtt, pc[k])));
	cJSON_AddItemToObject(lat, "n", num((double)r->n_rtt));
	cJSON_AddItemToObject(o, "accuracy", num(r->n_labelled ? (double)r->n_correct / r->n_labelled : NAN));
	cJSON_AddItemToObject(o, "golden_checked", num(r->n_checked));
	cJSON_AddItemToObject(o, "golden_mismatches", num(r->n_mismatch));
	size_t samples = 0, dropped = 0;
	for (size_t i = 0; i < r->n_rails; i++) {
		samples += (size_t)r->rails[i].sampler.samples;
		dropped += (size_t)r->rails[i].sampler.dropped;
	}
	cJSON_AddItemToObject(o, "samples", num((double)samples));
	cJSON_AddItemToObject(o, "dropped_samples", num((double)dropped));
	return o;
}

static void relerr_json(cJSON *o, const char *key, double m, double t)
{
	cJSON_AddItemToObject(o, key, num(isnan(m) || isnan(t) || t == 0 ? NAN : (m - t) / t));
}

static enum hb_status write_plot(struct run *r, const char *path);

static enum hb_status report(struct run *r, enum hb_run_status status)
{
	struct figures f;
	compute_figures(r, &f);

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
	struct hb_platform_result rows[2];
	size_t nrows = 0;
	struct hb_energy_report er;
	bool have_model = eo.clock_mhz > 0 && hb_energy_estimate(shapes, r->net.n_layers, &eo, &er) == HB_OK;

	char plat[32], notes[128];
	snprintf(plat, sizeof plat, "fpga_%s (measured)", hb_family_name(r->board.family));
	bool timing_ok = r->n_win > 0;
	if (timing_ok && f.power_ok) {
		snprintf(notes, sizeof notes, "total; dynamic %.4g nJ; %u windows; %u/%u golden match%s",
			 f.e_dyn_nj, r->n_win, r->n_checked - r->n_mismatch, r->n_checked,
			 status == HB_RUN_INTERRUPTED ? "; interrupted" : "");
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
		if (measured->available && !isnan(f.e_dyn_nj) && rows[nrows].energy_per_inf_nj > 0) {
			measured->has_ratio = true;
			measured->ratio_to_model = f.e_dyn_nj / rows[nrows].energy_per_inf_nj;
		}
		nrows++;
	}
	hb_report_sort(rows, nrows);
	/* The table always; the detail lines unless --quiet. */
	fprintf(r->o->out, "%s", r->o->quiet ? "" : "\n");
	hb_report_format_table(r->o->out, rows, nrows, HB_TABLE_DEFAULT);
	if (!r->o->quiet) {
		fprintf(r->o->out, "\n");
		if (timing_ok)
			fprintf(r->o->out,
				"latency: %.0f cycles = %.6f ms at %.6g MHz (device); host round trip p50 %.3f ms "
				"(stream + infer, transport included)\n",
				f.latency_cycles, f.latency_ms, r->clock_hz / 1e6,
				hb_stats_median(r->rtt_ms, r->n_rtt));
		if (f.power_ok)
			fprintf(r->o->out,
				"power: active %.4f mW, idle %.4f mW; energy per inference %.4f nJ total, %.4f nJ "
				"dynamic\n",
				f.power_mw, r->p_idle_mw, f.e_total_nj, f.e_dyn_nj);
		if (f.truth_ok && f.power_ok)
			fprintf(r->o->out,
				"virtual board truth: %.4f mW, %.4f nJ/inference -> measured error %+.3f %% "
				"(power), %+.3f %% (energy)\n",
				f.truth_power_mw, f.truth_e_nj, 100 * (f.power_mw - f.truth_power_mw) / f.truth_power_mw,
				100 * (f.e_total_nj - f.truth_e_nj) / f.truth_e_nj);
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
	cJSON_AddStringToObject(run, "net", r->net.name);
	cJSON_AddStringToObject(run, "net_file", r->net_path);
	cJSON_AddItemToObject(run, "L", num(r->net.L));
	cJSON_AddStringToObject(run, "started_at", r->started_at);
	cJSON_AddStringToObject(run, "finished_at", r->finished_at);
	if (r->err[0])
		cJSON_AddStringToObject(run, "error", r->err);
	if (r->link) {
		char h[16];
		snprintf(h, sizeof h, "%08x", r->id.build_hash);
		cJSON_AddStringToObject(run, "build_hash", h);
		cJSON_AddItemToObject(run, "lanes", num(r->id.lanes));
		cJSON_AddItemToObject(run, "link_retries", num((double)r->link->stats.retries));
		cJSON_AddItemToObject(run, "link_bytes_tx", num((double)r->link->stats.bytes_tx));
	}
	if (have_model) {
		cJSON_AddStringToObject(run, "model_target", target);
		cJSON_AddItemToObject(run, "model_clock_mhz", num(eo.clock_mhz));
	}
	hb_report_json_attach(doc, "run", run);
	hb_report_json_attach(doc, "measured", measured_json(r, &f, false));
	if (r->vb) {
		cJSON *t = measured_json(r, &f, true);
		cJSON *acc = cJSON_AddObjectToObject(t, "relative_error");
		relerr_json(acc, "energy_total_nj", f.e_total_nj, f.truth_e_nj);
		relerr_json(acc, "p_active_mw", f.power_mw, f.truth_power_mw);
		relerr_json(acc, "p_idle_mw", r->have_idle ? r->p_idle_mw : NAN, f.truth_idle_mw);
		hb_report_json_attach(doc, "truth", t);
	}

	enum hb_status st = HB_OK;
	/* hb_outfile: no planted symlink followed, the old file replaced only when complete */
	struct hb_outfile of;
	if (r->o->json_path) {
		if (hb_outfile_open(&of, r->o->json_path) != HB_OK ||
		    hb_report_json_write(of.f, doc) != HB_OK || hb_outfile_commit(&of) != HB_OK) {
			hb_outfile_abort(&of);
			hb_err("cannot write --json %s", of.err[0] ? of.err : r->o->json_path);
			st = HB_ERR_IO;
		}
	}
	if (r->o->csv_path) {
		if (hb_outfile_open(&of, r->o->csv_path) != HB_OK ||
		    hb_report_write_csv(of.f, rows, nrows) != HB_OK || hb_outfile_commit(&of) != HB_OK) {
			hb_outfile_abort(&of);
			hb_err("cannot write --csv %s", of.err[0] ? of.err : r->o->csv_path);
			st = HB_ERR_IO;
		}
	}
	if (!r->o->no_db) {
		struct hb_db *db = NULL;
		enum hb_status ds = hb_db_open(r->o->db_path, &db);
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
			};
			ds = hb_db_append_run(db, &dr, rows, nrows);
			if (ds == HB_OK && !r->o->quiet)
				fprintf(r->o->out, "stored as run %lld (hilbench history show %lld)\n", (long long)dr.id,
					(long long)dr.id);
			free(js);
			hb_db_close(db);
		}
		if (ds != HB_OK) {
			hb_err("results not stored in the database: %s", hb_strerror(ds));
			st = ds;
		}
	}
	cJSON_Delete(doc);
	if (r->o->plot_path) {
		enum hb_status ps = write_plot(r, r->o->plot_path);
		if (ps != HB_OK)
			st = ps;
	}
	return st;
}

/* ---- the power-trace plot (gnuplot, bench/run/hb_plot.c) ------------------------------------- */

static enum hb_status write_plot(struct run *r, const char *path)
{
	if (r->n_rails == 0) {
		hb_err("--plot: no power samples to draw (%s)", r->power_unavailable);
		return HB_ERR_UNSUPPORTED;
	}
	struct rail *rl = &r->rails[0];
	pthread_mutex_lock(&rl->mu);
	size_t n = rl->n;
	double *t = malloc((n ? n : 1) * sizeof *t), *pw = malloc((n ? n : 1) * sizeof *pw);
	uint64_t t0 = n ? rl->s[0].t_ns : 0;
	for (size_t i = 0; t && pw && i < n; i++) {
		t[i] = (double)(rl->s[i].t_ns - t0) / 1e9;
		pw[i] = rl->s[i].power_mw;
	}
	pthread_mutex_unlock(&rl->mu);
	/* Windows as shaded rectangles: device seconds, shifted to the plot's host seconds at the
	 * baseline's first sync point. */
	struct hb_plot_span win[MAX_WINDOWS];
	double off = ((double)r->idle_sync[0].host_before_ns - (double)t0) / 1e9 -
		     (double)r->idle_sync[0].cycle / r->clock_hz;
	for (unsigned i = 0; i < r->n_win; i++) {
		win[i].t0_s = (double)r->win[i].t0 / r->clock_hz + off;
		win[i].t1_s = (double)r->win[i].t1 / r->clock_hz + off;
	}
	struct hb_plot p = {.t_s = t, .power_mw = pw, .n = n, .windows = win, .n_windows = r->n_win,
			    .have_idle = r->have_idle, .idle_mw = r->p_idle_mw, .net = r->net.name,
			    .board = r->board.name, .rail = rl->mon->rail, .rail_label = rl->mon->label};
	enum hb_status st = t && pw ? hb_plot_write(&p, path) : HB_ERR_NOMEM;
	free(t);
	free(pw);
	if (st == HB_OK && !r->o->quiet)
		fprintf(r->o->out, "power trace: %s\n", hb_term(path));
	return st;
}

/* ---- the procedure --------------------------------------------------------------------------- */

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
		return st == HB_ERR_NOTFOUND ? HB_ERR_ARG : st;
	}
	st = resolve_net(r);
	if (st != HB_OK) {
		snprintf(err, errlen, "%s", r->err);
		free(r);
		return st;
	}
	if (r->net.L % 8 != 0) {
		snprintf(err, errlen, "network %s has L = %u; streaming needs a multiple of 8", r->net.name, r->net.L);
		hb_net_free(&r->net);
		free(r);
		return HB_ERR_ARG;
	}
	say(r, "hilbench run: network %s (%u layers, %zu synapses, L = %u) on board %s (%s)\n", hb_term(r->net.name),
	    r->net.n_layers, hb_net_synapses(&r->net), r->net.L, r->board.name, hb_term(r->board.description));

	enum hb_run_status rs = HB_RUN_FAILED;
	if (r->board.family == HB_FAMILY_SIM)
		st = start_sim(r);
	else
		st = flash_board(r);
	if (st == HB_OK && !stop_requested(r))
		st = open_link(r);
	if (st == HB_OK && !stop_requested(r))
		st = load_network(r);
	if (st == HB_OK && !stop_requested(r))
		st = open_power(r);
	if (st == HB_OK && !stop_requested(r))
		st = run_singles(r);
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
	close_power(r);
	now_iso(r->finished_at, sizeof r->finished_at);

	enum hb_status rep = report(r, rs);
	if (st == HB_OK && r->n_mismatch) {
		st = HB_ERR_MISMATCH;
		set_err(r, "%u of %u gateware results differ from the golden model", r->n_mismatch, r->n_checked);
	}
	if (st == HB_OK && rep != HB_OK)
		st = rep;
	if (st == HB_OK) {
		struct figures f;
		compute_figures(r, &f);
		if (!f.power_ok) {
			set_err(r, "power unavailable: %s", f.power_reason);
			/* A board with monitors whose power could not be measured is a failure (a
			 * saturated shunt, a monitor gone); a board without monitors is not. */
			if (r->board.n_monitors > 0)
				st = HB_ERR;
		}
	}
	snprintf(err, errlen, "%s", r->err);

	if (r->link)
		hb_link_close(r->link);
	if (r->tr)
		hb_transport_close(r->tr);
	if (r->vb) {
		int es = 0;
		hb_vboard_stop(r->vb, 3000, &es);
	}
	for (size_t i = 0; i < r->n_rails; i++) {
		free(r->rails[i].s);
		pthread_mutex_destroy(&r->rails[i].mu);
	}
	free(r->rtt_ms);
	if (r->have_digits)
		hb_digits_free(&r->digits);
	hb_net_free(&r->net);
	free(r);
	return st;
}
