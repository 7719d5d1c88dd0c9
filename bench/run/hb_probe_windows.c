/* hilbench — `hilbench run` through a bench probe (hb_probe_windows.h). */
#define LOG_PREFIX "probe-run"
#include "hb_probe_windows.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hb_clock.h"
#include "hb_ina2xx.h"
#include "hb_log.h"
#include "hb_plot.h"
#include "hb_probe.h"
#include "hb_probe_connect.h"
#include "hb_report.h"
#include "hb_term.h"

/* ---- pure parts ------------------------------------------------------------------------ */

size_t hb_probe_integrate(const struct hb_probe_psample *s, size_t n, uint32_t period_us,
			  double a_us, double b_us, double *mean_mw, double *covered_us,
			  size_t *n_bad)
{
	*mean_mw = NAN;
	*covered_us = 0;
	*n_bad = 0;
	if (!n || !period_us || !(b_us > a_us))
		return 0;
	/* first sample whose conversion ends after a */
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if ((double)s[mid].t_us <= a_us)
			lo = mid + 1;
		else
			hi = mid;
	}
	double sum = 0, cov = 0;
	size_t used = 0;
	for (size_t i = lo; i < n && (double)s[i].t_us - period_us < b_us; i++) {
		double c0 = (double)s[i].t_us - period_us, c1 = (double)s[i].t_us;
		double o = (c1 < b_us ? c1 : b_us) - (c0 > a_us ? c0 : a_us);
		if (o <= 0)
			continue;
		if (!isfinite(s[i].power_mw)) {
			(*n_bad)++;
			continue;
		}
		sum += s[i].power_mw * o;
		cov += o;
		used++;
	}
	if (cov > 0)
		*mean_mw = sum / cov;
	*covered_us = cov;
	return used;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

double hb_probe_percentile(double *v, size_t n, double q)
{
	if (!n)
		return NAN;
	qsort(v, n, sizeof *v, cmp_double);
	double pos = q * (double)(n - 1);
	size_t i = (size_t)floor(pos);
	if (i + 1 >= n)
		return v[n - 1];
	return v[i] + (pos - (double)i) * (v[i + 1] - v[i]);
}

/* Does DONE j .. j+n-1 bound a batch of n whose length in the probe's clock is the device's?
 * *t_begin: its first BUSY rise (after DONE j-1, at or before DONE j). */
static bool batch_at(const uint64_t *done, const uint64_t *busy, size_t n_busy, size_t j,
		     uint32_t n, double device_s, uint64_t *t_begin)
{
	uint64_t after = j ? done[j - 1] : 0, first = done[j];
	size_t lo = 0, hi = n_busy; /* the first BUSY rise after `after` (they are in order) */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (busy[mid] <= after)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == n_busy || busy[lo] > first)
		return false;
	*t_begin = busy[lo];
	/* the two clocks agree to crystal tolerances; a batch taken one inference off differs by
	 * the gap between batches, at least the 5 ms of hb_probe_windows_begin */
	double tol = 2e-6 + fmin(2e-4 * device_s, 2.5e-3);
	double len = (double)(done[j + n - 1] - *t_begin) * 1e-6;
	return fabs(len - device_s) <= tol;
}

size_t hb_probe_find_batch(const uint64_t *done, size_t n_done, const uint64_t *busy,
			   size_t n_busy, size_t k0, uint32_t n, double device_s, uint64_t *t_begin)
{
	for (size_t j = k0; n > 0 && j + n <= n_done; j++)
		if (batch_at(done, busy, n_busy, j, n, device_s, t_begin))
			return j;
	return SIZE_MAX;
}

unsigned hb_probe_pick_adc(double latency_us, uint32_t *period_us)
{
	/* SADC codes 0..3: 9..12 bits, one sample (hbp_ina219_adc_us) */
	unsigned best = 0;
	for (unsigned code = 0; code < 4; code++)
		if (hbp_ina219_adc_us(code) * (double)HB_PROBE_MIN_CONV_PER_INF <= latency_us)
			best = code;
	*period_us = hbp_ina219_adc_us(best);
	return best;
}

/* ---- the probe ------------------------------------------------------------------------- */

struct pmon {
	const struct hb_board_monitor *mon;
	uint8_t slot;
	int32_t full_scale;        /* shunt register at the PGA's limit (4000 << PG) */
	int32_t bus_mV;
	struct hb_probe_psample *s;
	size_t n, cap;
};

struct hb_probe_windows {
	struct hb_session *sess;
	char uri[400];
	struct hb_transport *t;
	struct hb_probe *p;
	bool started;
	struct pmon mon[HBP_MAX_MONITORS];
	unsigned n_mon;
	uint32_t period_us;
	uint64_t t_start;
	/* edges in probe time */
	uint64_t *done, *busy;
	size_t n_done, cap_done, n_busy, cap_busy;
	uint64_t last_edge;
	size_t k0;                 /* DONE edges that belong to earlier batches */
	bool failed;
	char why[200];
	/* per-inference energies */
	double *e_nj;
	size_t n_e, cap_e;
	double *inf_us;            /* inference lengths */
	size_t n_inf, cap_inf;
	size_t skipped_cov;        /* inferences left out: samples covered < HB_PROBE_MIN_COVERAGE */
	uint64_t i2c_errors;
	uint32_t i2c_hz;
	double *sorted;            /* scratch for percentiles */
	uint64_t span[64][2];      /* the windows, probe µs */
	size_t n_span;
};

static bool grow(void **p, size_t *cap, size_t need, size_t el)
{
	if (need <= *cap)
		return true;
	size_t nc = *cap ? *cap * 2 : 1024;
	while (nc < need)
		nc *= 2;
	void *q = realloc(*p, nc * el);
	if (!q)
		return false;
	*p = q;
	*cap = nc;
	return true;
}

static void fail_pw(struct hb_probe_windows *pw, const char *why)
{
	if (!pw->failed)
		snprintf(pw->why, sizeof pw->why, "%s", why);
	pw->failed = true;
}

static void on_record(void *ctx, const struct hb_probe_record *r)
{
	struct hb_probe_windows *pw = ctx;
	switch (r->kind) {
	case HBP_REC_SAMPLE:
	case HBP_REC_SAMPLE_BUS:
		for (unsigned i = 0; i < pw->n_mon; i++) {
			struct pmon *m = &pw->mon[i];
			if (m->slot != r->index)
				continue;
			if (!grow((void **)&m->s, &m->cap, m->n + 1, sizeof *m->s)) {
				fail_pw(pw, "out of memory for the probe's samples");
				return;
			}
			/* the driver's one power formula (hilbench power shows the same); a reading
			 * at the PGA's limit is no figure (NAN: its interval becomes unavailable) */
			bool sat = r->shunt >= m->full_scale || r->shunt <= -m->full_scale;
			m->s[m->n++] = (struct hb_probe_psample){
				.t_us = r->t_us,
				.power_mw = sat ? NAN
						: hb_ina2xx_power_mw(m->bus_mV, hb_probe_shunt_uV(r->shunt),
								     m->mon->shunt_uohm)};
		}
		break;
	case HBP_REC_EDGE:
		if (r->index == HBP_CAP_DONE_RISE) {
			if (!grow((void **)&pw->done, &pw->cap_done, pw->n_done + 1, sizeof *pw->done))
				return fail_pw(pw, "out of memory for the probe's edges");
			pw->done[pw->n_done++] = r->t_us;
		} else if (r->index == HBP_CAP_BUSY_RISE) {
			if (!grow((void **)&pw->busy, &pw->cap_busy, pw->n_busy + 1, sizeof *pw->busy))
				return fail_pw(pw, "out of memory for the probe's edges");
			pw->busy[pw->n_busy++] = r->t_us;
		}
		pw->last_edge = r->t_us;
		break;
	case HBP_REC_I2C_ERROR:
		pw->i2c_errors++;
		break;
	default:
		break;
	}
}

bool hb_probe_windows_wanted(const struct hb_board *b)
{
	for (size_t i = 0; i < b->n_monitors; i++)
		if (strncmp(b->monitors[i].bus, "probe:", 6) == 0)
			return true;
	return false;
}

/* PGA range for a monitor: the smallest of 40/80/160/320 mV that holds max current. */
static unsigned pga_code(const struct hb_board_monitor *m)
{
	double mv = (double)m->max_current_ma * 1e-3 * (double)m->shunt_uohm * 1e-6 * 1e3;
	unsigned pg = 0;
	while (pg < 3 && mv > 40.0 * (1u << pg))
		pg++;
	return pg;
}

/* Read the probe's stream for `ms` of session time (every frame that arrives meanwhile). */
static enum hb_status pump_for(struct hb_probe_windows *pw, double ms)
{
	uint64_t end = hb_now_ns() + (uint64_t)(ms * 1e6);
	while (hb_now_ns() < end) {
		uint64_t left = end - hb_now_ns();
		int t = (int)(left / 1000000u);
		enum hb_status st = hb_probe_poll(pw->p, t > 0 ? t : 1);
		if (st != HB_OK)
			return st;
	}
	return HB_OK;
}

enum hb_status hb_probe_windows_open(struct hb_session *s, double latency_us, FILE *out,
				     int quiet, struct hb_probe_windows **out_pw, char *err,
				     size_t errlen)
{
	const struct hb_board *b = hb_session_board(s);
	struct hb_probe_windows *pw = calloc(1, sizeof *pw);
	*out_pw = pw;
	if (!pw)
		return HB_ERR_NOMEM;
	pw->sess = s;
	enum hb_status st = HB_OK;
	for (size_t i = 0; i < b->n_monitors && st == HB_OK; i++) {
		const struct hb_board_monitor *m = &b->monitors[i];
		if (strncmp(m->bus, "probe:", 6) != 0)
			continue;
		char uri[400];
		st = hb_session_monitor_uri(s, m, uri, sizeof uri);
		if (st != HB_OK) {
			snprintf(err, errlen, "monitor %s: no way to reach its probe in this session",
				 m->rail);
			return st;
		}
		if (!pw->uri[0]) {
			snprintf(pw->uri, sizeof pw->uri, "%s", uri);
		} else if (strcmp(pw->uri, uri) != 0) {
			snprintf(err, errlen, "monitors on two probes (%s, %s): one probe per run",
				 pw->uri, uri);
			return HB_ERR_UNSUPPORTED;
		}
		if (pw->n_mon == HBP_MAX_MONITORS) {
			snprintf(err, errlen, "more than %d monitors on one probe", HBP_MAX_MONITORS);
			return HB_ERR_RANGE;
		}
		pw->mon[pw->n_mon].mon = m;
		pw->mon[pw->n_mon].slot = (uint8_t)pw->n_mon;
		pw->n_mon++;
	}
	st = hb_probe_connect(pw->uri, NULL, &pw->t, &pw->p);
	if (st != HB_OK) {
		snprintf(err, errlen, "cannot open the probe %s: %s", pw->uri,
			 pw->p ? hb_probe_last_error(pw->p) : hb_strerror(st));
		return st;
	}
	pw->i2c_hz = hb_probe_identity(pw->p)->i2c_hz;
	hb_probe_set_record_fn(pw->p, on_record, pw);
	unsigned sadc = hb_probe_pick_adc(latency_us, &pw->period_us);
	for (unsigned i = 0; i < pw->n_mon; i++) {
		struct pmon *pm = &pw->mon[i];
		const struct hb_board_monitor *m = pm->mon;
		/* The rail voltage, once: the probe converts the shunt only (so that each sample
		 * covers its whole conversion period); the bus register still holds the chip's last
		 * bus conversion (power-on mode: shunt and bus, continuous). */
		uint8_t w = HBP_INA219_REG_BUS, r[2] = {0}, i2c = 0;
		st = hb_probe_i2c_xfer(pw->p, m->address, &w, 1, r, 2, &i2c);
		pm->bus_mV = st == HB_OK && i2c == HBP_I2C_OK ? hb_probe_bus_mV((uint16_t)(r[0] << 8 | r[1]))
							      : 0;
		if (pm->bus_mV <= 0) {
			hb_warn("monitor %s: no bus voltage read through the probe; using the profile's "
				"nominal %u mV", m->rail, m->nominal_mv);
			pm->bus_mV = (int32_t)m->nominal_mv;
		}
		/* BRNG 32 V, the PGA for the profile's current, shunt-only continuous (mode 5) */
		uint16_t cfg = (uint16_t)(1u << 13 | pga_code(m) << 11 | sadc << 7 | sadc << 3 | 5u);
		pm->full_scale = (int32_t)(4000u << pga_code(m));
		struct hb_probe_monitor pmc = {.index = pm->slot, .addr = (uint8_t)m->address,
					       .config = cfg, .shunt_uohm = m->shunt_uohm};
		struct hb_probe_config_result res;
		st = hb_probe_configure(pw->p, &pmc, &res);
		if (st != HB_OK || res.result != HBP_I2C_OK) {
			snprintf(err, errlen, "probe %s: configuring monitor %s at 0x%02x: %s", pw->uri,
				 m->rail, m->address,
				 st != HB_OK ? hb_probe_last_error(pw->p) : hb_probe_i2c_status_name(res.result));
			return st != HB_OK ? st : HB_ERR_IO;
		}
	}
	struct hb_probe_start ps = {.capture_mask = 1u << HBP_CAP_DONE_RISE | 1u << HBP_CAP_BUSY_RISE};
	struct hb_probe_start_result sr;
	st = hb_probe_start(pw->p, &ps, &sr);
	if (st != HB_OK) {
		snprintf(err, errlen, "probe %s: START: %s", pw->uri, hb_probe_last_error(pw->p));
		return st;
	}
	pw->started = true;
	pw->t_start = sr.t_start;
	if (out && !quiet) {
		for (unsigned i = 0; i < pw->n_mon; i++)
			hb_term_fprintf(out, "power: %s via the probe %s at 0x%02x, shunt %u uohm, %.0f mV, "
					"conversion %u us (shunt only), SCL %.0f kHz\n",
					pw->mon[i].mon->rail, pw->uri, pw->mon[i].mon->address,
					pw->mon[i].mon->shunt_uohm, (double)pw->mon[i].bus_mV,
					pw->period_us, pw->i2c_hz / 1e3);
		fflush(out);
	}
	return HB_OK;
}

/* Sum over the monitors of the mean power over [a, b]; NULL when every monitor's samples
 * cover min_cov of it and none is saturated, else the reason. */
static const char *interval_power(struct hb_probe_windows *pw, double a, double b, double min_cov,
				  double *mw, size_t *used)
{
	double sum = 0;
	*used = 0;
	for (unsigned i = 0; i < pw->n_mon; i++) {
		double m, cov;
		size_t bad;
		*used += hb_probe_integrate(pw->mon[i].s, pw->mon[i].n, pw->period_us, a, b, &m, &cov,
					    &bad);
		if (bad)
			return "a shunt reading at the INA219's full scale (saturated)";
		if (!(cov >= min_cov * (b - a)))
			return "the probe's samples do not cover enough of the interval";
		sum += m;
	}
	*mw = sum;
	return NULL;
}

static void put_power(struct hb_window_power *io, bool rails_too, double mw, size_t used)
{
	if (rails_too && io->available) {
		io->mean_mw += mw;
		io->n_samples += used;
		return;
	}
	memset(io, 0, sizeof *io);
	io->available = 1;
	io->mean_mw = mw;
	io->n_samples = used;
}

static void put_unavailable(struct hb_window_power *io, const char *why)
{
	memset(io, 0, sizeof *io);
	snprintf(io->reason, sizeof io->reason, "probe: %.150s", why);
}

void hb_probe_windows_idle(struct hb_probe_windows *pw, bool rails_too, struct hb_window_power *io)
{
	if (pump_for(pw, 5) != HB_OK)
		fail_pw(pw, hb_probe_last_error(pw->p));
	if (pw->failed)
		return put_unavailable(io, pw->why);
	/* from two conversions after START (the chip restarted its cycle there) to the last
	 * conversion read, with no edge inside */
	double a = (double)pw->t_start + 2.0 * pw->period_us;
	if (pw->n_done || pw->n_busy)
		a = fmax(a, (double)pw->last_edge + pw->period_us);
	double b = 0;
	for (unsigned i = 0; i < pw->n_mon; i++)
		if (pw->mon[i].n && (b == 0 || (double)pw->mon[i].s[pw->mon[i].n - 1].t_us < b))
			b = (double)pw->mon[i].s[pw->mon[i].n - 1].t_us;
	double mw;
	size_t used;
	if (!(b > a + 10.0 * pw->period_us))
		return put_unavailable(io, "too few idle samples from the probe");
	const char *why = interval_power(pw, a, b, 0.5, &mw, &used);
	if (why)
		return put_unavailable(io, why);
	put_power(io, rails_too, mw, used);
}

enum hb_status hb_probe_windows_begin(struct hb_probe_windows *pw)
{
	/* The board is quiet between batches: after 5 ms (the probe sends at least every
	 * millisecond) every edge of what went before has arrived. */
	enum hb_status st = pump_for(pw, 5);
	if (st != HB_OK)
		fail_pw(pw, hb_probe_last_error(pw->p));
	if (pw->n_done > pw->k0)
		pw->k0 = pw->n_done;
	return HB_OK; /* a probe failure makes the windows' power unavailable, not the run */
}

static uint64_t last_sample_t(const struct hb_probe_windows *pw)
{
	uint64_t t = UINT64_MAX;
	for (unsigned i = 0; i < pw->n_mon; i++) {
		uint64_t x = pw->mon[i].n ? pw->mon[i].s[pw->mon[i].n - 1].t_us : 0;
		if (x < t)
			t = x;
	}
	return t;
}

void hb_probe_windows_end(struct hb_probe_windows *pw, uint32_t n, double device_s,
			  bool rails_too, struct hb_window_power *io, double *window_s)
{
	char why[200];
	/* Find the batch among the probe's DONE edges: n of them after those that had arrived
	 * before it was sent (k0), spanning from a BUSY rise the length the device's own stamps
	 * give. The device's length only recognises the batch (an edge of an earlier batch that
	 * arrived late shifts the count, not the length); the window's bounds and length are the
	 * probe's. */
	uint64_t t0 = hb_now_ns(), t_begin = UINT64_MAX;
	size_t j0 = SIZE_MAX;
	while (!pw->failed && n > 0) {
		j0 = hb_probe_find_batch(pw->done, pw->n_done, pw->busy, pw->n_busy, pw->k0, n,
					 device_s, &t_begin);
		if (j0 != SIZE_MAX || hb_now_ns() - t0 >= 2000000000ull)
			break;
		if (hb_probe_poll(pw->p, 5) != HB_OK)
			fail_pw(pw, hb_probe_last_error(pw->p));
	}
	if (!pw->failed && j0 == SIZE_MAX) {
		snprintf(why, sizeof why, "no %u DONE edges spanning the batch's %.6f s among the %zu "
			 "that arrived", n, device_s, pw->n_done - pw->k0);
		fail_pw(pw, why);
	}
	if (pw->failed)
		return put_unavailable(io, pw->why);
	pw->k0 = j0 + n; /* the next batch comes after this one */
	uint64_t t_end = pw->done[j0 + n - 1];
	t0 = hb_now_ns();
	while (!pw->failed && last_sample_t(pw) < t_end + 2u * pw->period_us &&
	       hb_now_ns() - t0 < 1000000000ull)
		if (hb_probe_poll(pw->p, 5) != HB_OK)
			fail_pw(pw, hb_probe_last_error(pw->p));
	double mw;
	size_t used;
	const char *bad = interval_power(pw, (double)t_begin, (double)t_end, 0.5, &mw, &used);
	if (bad) {
		put_unavailable(io, bad);
		return;
	}
	put_power(io, rails_too, mw, used);
	*window_s = (double)(t_end - t_begin) * 1e-6;
	if (pw->n_span < sizeof pw->span / sizeof pw->span[0]) {
		pw->span[pw->n_span][0] = t_begin;
		pw->span[pw->n_span][1] = t_end;
		pw->n_span++;
	}
	/* every inference, between consecutive DONE edges (the first from the BUSY rise) */
	double prev = (double)t_begin;
	for (size_t k = j0; k < j0 + n; k++) {
		double d = (double)pw->done[k];
		double emw;
		size_t u;
		if (grow((void **)&pw->inf_us, &pw->cap_inf, pw->n_inf + 1, sizeof *pw->inf_us))
			pw->inf_us[pw->n_inf++] = d - prev;
		if (!interval_power(pw, prev, d, HB_PROBE_MIN_COVERAGE, &emw, &u)) {
			if (grow((void **)&pw->e_nj, &pw->cap_e, pw->n_e + 1, sizeof *pw->e_nj))
				pw->e_nj[pw->n_e++] = hb_energy_nj(emw, (d - prev) * 1e-6);
		} else {
			pw->skipped_cov++;
		}
		prev = d;
	}
}

void hb_probe_windows_stop(struct hb_probe_windows *pw)
{
	if (!pw || !pw->started)
		return;
	struct hb_probe_stop_result r;
	if (hb_probe_stop(pw->p, &r) != HB_OK)
		hb_warn("probe STOP: %s", hb_probe_last_error(pw->p));
	pw->started = false;
}

void hb_probe_windows_stats(struct hb_probe_windows *pw, struct hb_probe_inf_stats *st)
{
	memset(st, 0, sizeof *st);
	st->conv_us = pw->period_us;
	st->i2c_hz = pw->i2c_hz;
	if (pw->p) {
		const struct hb_probe_stream *s = hb_probe_stream(pw->p);
		for (unsigned i = 0; i < pw->n_mon; i++) {
			st->samples += s->samples[pw->mon[i].slot];
			st->missed += s->missed[pw->mon[i].slot];
		}
		st->dropped = s->dropped;
		st->edges = pw->n_done + pw->n_busy;
		st->read_share = st->samples + st->missed
					 ? (double)st->samples / (double)(st->samples + st->missed) : NAN;
	}
	st->e_nj = pw->e_nj;
	st->n = pw->n_e;
	free(pw->sorted);
	pw->sorted = NULL;
	if (pw->n_inf) {
		double *v = malloc(pw->n_inf * sizeof *v);
		if (v) {
			memcpy(v, pw->inf_us, pw->n_inf * sizeof *v);
			st->conv_per_inf = hb_probe_percentile(v, pw->n_inf, 0.5) / pw->period_us;
			free(v);
		}
	}
	if (pw->failed) {
		snprintf(st->reason, sizeof st->reason, "%.190s", pw->why);
		return;
	}
	if (!pw->n_inf) {
		snprintf(st->reason, sizeof st->reason, "no inference measured through the probe");
		return;
	}
	if (st->conv_per_inf < HB_PROBE_MIN_CONV_PER_INF) {
		snprintf(st->reason, sizeof st->reason,
			 "an inference lasts %.1f conversions of %u us (the INA219's fastest); "
			 "per-inference energy needs %d: batch windows only",
			 st->conv_per_inf, pw->period_us, HB_PROBE_MIN_CONV_PER_INF);
		return;
	}
	if (pw->n_e < pw->n_inf / 2) {
		snprintf(st->reason, sizeof st->reason,
			 "%zu of %zu inferences have no figure (the probe's samples cover under "
			 "%.0f %% of them, or a reading saturated)",
			 pw->skipped_cov, pw->n_inf, 100 * HB_PROBE_MIN_COVERAGE);
		return;
	}
	pw->sorted = malloc(pw->n_e * sizeof *pw->sorted);
	if (!pw->sorted) {
		snprintf(st->reason, sizeof st->reason, "out of memory");
		return;
	}
	memcpy(pw->sorted, pw->e_nj, pw->n_e * sizeof *pw->sorted);
	double sum = 0;
	for (size_t i = 0; i < pw->n_e; i++)
		sum += pw->e_nj[i];
	st->mean_nj = sum / (double)pw->n_e;
	st->p5_nj = hb_probe_percentile(pw->sorted, pw->n_e, 0.05);
	st->p50_nj = hb_probe_percentile(pw->sorted, pw->n_e, 0.50);
	st->p95_nj = hb_probe_percentile(pw->sorted, pw->n_e, 0.95);
	st->available = true;
}

void hb_probe_windows_print(struct hb_probe_windows *pw, FILE *out, double truth_nj)
{
	struct hb_probe_inf_stats st;
	hb_probe_windows_stats(pw, &st);
	fprintf(out, "probe: %llu samples of %.0f us, %.1f %% of conversions read (SCL %.0f kHz), "
		"%llu edges, %llu records dropped\n", (unsigned long long)st.samples, st.conv_us,
		100 * st.read_share, st.i2c_hz / 1e3, (unsigned long long)st.edges,
		(unsigned long long)st.dropped);
	if (!st.available) {
		fprintf(out, "per-inference energy: unavailable: %s\n", st.reason);
		return;
	}
	fprintf(out, "per-inference energy (probe, %zu inferences of %.1f conversions): mean %.4g nJ, "
		"p5 %.4g, p50 %.4g, p95 %.4g nJ", st.n, st.conv_per_inf, st.mean_nj, st.p5_nj,
		st.p50_nj, st.p95_nj);
	if (isfinite(truth_nj) && truth_nj > 0)
		fprintf(out, " (mean vs truth %+.3f %%)", 100 * (st.mean_nj - truth_nj) / truth_nj);
	fprintf(out, "\n");
}

const struct hb_probe_psample *hb_probe_windows_samples(const struct hb_probe_windows *pw,
							size_t *n, const char **rail)
{
	*n = pw->n_mon ? pw->mon[0].n : 0;
	*rail = pw->n_mon ? pw->mon[0].mon->rail : "";
	return pw->n_mon ? pw->mon[0].s : NULL;
}

size_t hb_probe_windows_spans(const struct hb_probe_windows *pw, uint64_t (*span)[2], size_t cap)
{
	size_t n = pw->n_span < cap ? pw->n_span : cap;
	memcpy(span, pw->span, n * sizeof *span);
	return n;
}

void hb_probe_windows_hist(struct hb_probe_windows *pw, struct hb_plot *p)
{
	struct hb_probe_inf_stats st;
	hb_probe_windows_stats(pw, &st);
	p->hist_nj = st.available ? st.e_nj : NULL;
	p->n_hist = st.available ? st.n : 0;
}

enum hb_status hb_probe_windows_plot(struct hb_probe_windows *pw, struct hb_plot *p,
				     const char *path)
{
	size_t n;
	const char *rail;
	const struct hb_probe_psample *s = hb_probe_windows_samples(pw, &n, &rail);
	if (!n) {
		hb_err("--plot: no samples from the probe");
		return HB_ERR_UNSUPPORTED;
	}
	double *t = malloc(n * sizeof *t), *mw = malloc(n * sizeof *mw);
	enum hb_status st = HB_ERR_NOMEM;
	if (t && mw) {
		for (size_t i = 0; i < n; i++) {
			t[i] = (double)(s[i].t_us - s[0].t_us) * 1e-6;
			mw[i] = s[i].power_mw;
		}
		struct hb_plot_span win[64];
		size_t nw = pw->n_span < 64 ? pw->n_span : 64;
		for (size_t i = 0; i < nw; i++) {
			win[i].t0_s = (double)(pw->span[i][0] - s[0].t_us) * 1e-6;
			win[i].t1_s = (double)(pw->span[i][1] - s[0].t_us) * 1e-6;
		}
		p->t_s = t;
		p->power_mw = mw;
		p->n = n;
		p->windows = win;
		p->n_windows = nw;
		p->rail = rail;
		p->rail_label = pw->n_mon ? pw->mon[0].mon->label : "";
		p->probe_time = 1;
		hb_probe_windows_hist(pw, p);
		st = hb_plot_write(p, path);
		p->windows = NULL;
	}
	free(t);
	free(mw);
	return st;
}

void hb_probe_windows_json(struct hb_probe_windows *pw, cJSON *run, double truth_nj)
{
	struct hb_probe_inf_stats st;
	hb_probe_windows_stats(pw, &st);
	cJSON *o = cJSON_AddObjectToObject(run, "probe");
	if (!o)
		return;
	cJSON_AddStringToObject(o, "uri", pw->uri);
	cJSON_AddItemToObject(o, "conversion_us", hb_report_json_number(st.conv_us));
	cJSON_AddItemToObject(o, "i2c_hz", hb_report_json_number(st.i2c_hz));
	cJSON_AddItemToObject(o, "samples", hb_report_json_number((double)st.samples));
	cJSON_AddItemToObject(o, "conversions_missed", hb_report_json_number((double)st.missed));
	cJSON_AddItemToObject(o, "conversions_read_share", hb_report_json_number(st.read_share));
	cJSON_AddItemToObject(o, "edges", hb_report_json_number((double)st.edges));
	cJSON_AddItemToObject(o, "records_dropped", hb_report_json_number((double)st.dropped));
	cJSON_AddItemToObject(o, "conversions_per_inference", hb_report_json_number(st.conv_per_inf));
	cJSON *pi = cJSON_AddObjectToObject(o, "per_inference");
	if (!pi)
		return;
	cJSON_AddBoolToObject(pi, "available", st.available);
	if (!st.available) {
		cJSON_AddStringToObject(pi, "reason", st.reason);
		return;
	}
	cJSON_AddItemToObject(pi, "inferences", hb_report_json_number((double)st.n));
	cJSON_AddItemToObject(pi, "energy_mean_nj", hb_report_json_number(st.mean_nj));
	cJSON_AddItemToObject(pi, "energy_p5_nj", hb_report_json_number(st.p5_nj));
	cJSON_AddItemToObject(pi, "energy_p50_nj", hb_report_json_number(st.p50_nj));
	cJSON_AddItemToObject(pi, "energy_p95_nj", hb_report_json_number(st.p95_nj));
	if (isfinite(truth_nj) && truth_nj > 0)
		cJSON_AddItemToObject(pi, "energy_mean_relative_error",
				      hb_report_json_number((st.mean_nj - truth_nj) / truth_nj));
}

void hb_probe_windows_free(struct hb_probe_windows *pw)
{
	if (!pw)
		return;
	hb_probe_windows_stop(pw);
	if (pw->p || pw->t)
		hb_probe_disconnect(pw->t, pw->p);
	for (unsigned i = 0; i < pw->n_mon; i++)
		free(pw->mon[i].s);
	free(pw->done);
	free(pw->busy);
	free(pw->e_nj);
	free(pw->inf_us);
	free(pw->sorted);
	free(pw);
}
