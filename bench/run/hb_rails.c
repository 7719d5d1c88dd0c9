/* hilbench — power rails (hb_rails.h). */
#define LOG_PREFIX "rails"
#include "hb_rails.h"

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "hb_i2c.h"
#include "hb_ina2xx.h"
#include "hb_log.h"
#include "hb_power_sampler.h"
#include "hb_term.h"

/* A stretch of time in which a monitor gave no samples because it had failed (stopped
 * converting, reset for good, gone from the bus): from its last sample to the first one after
 * it came back (0: not back). Windows over it are invalid; the others keep their power. */
struct rail_outage {
	uint64_t from_ns, to_ns;
	char why[120];
};

struct rail {
	const struct hb_board_monitor *mon;
	struct hb_i2c *bus;
	struct hb_ina2xx dev;
	struct hb_power_sampler sampler;
	pthread_t thread;
	bool started;
	struct hb_session_thread *st;   /* handed to the thread */
	pthread_mutex_t mu;
	struct hb_meas_sample *s;       /* guarded by mu */
	size_t n, cap;
	enum hb_status error;           /* last sampler error (HB_OK while healthy) */
	char error_msg[200];
	struct rail_outage *out;        /* guarded by mu */
	size_t n_out, cap_out;
	volatile int stop;
};

struct hb_rails {
	struct hb_session *sess;
	struct rail rail[HB_BOARD_MAX_MONITORS];
	size_t n;
	char unavailable[256];
	uint64_t stop_ns;               /* 0 while running */
};

static int rail_append(void *ctx, const struct hb_power_sample *ps)
{
	struct rail *r = ctx;
	if (r->stop)
		return 1;
	struct hb_meas_sample m = {.t_ns = ps->t_ns, .flags = 0};
	/* the driver's one power formula (hilbench power shows the same figure) */
	m.power_mw = hb_ina2xx_power_mw(ps->bus_mV, ps->shunt_uV, r->mon->shunt_uohm);
	if (ps->flags & HB_POWER_SAMPLE_SATURATED)
		m.flags |= HB_MEAS_SATURATED;
	if (ps->flags & HB_POWER_SAMPLE_OVF)
		m.flags |= HB_MEAS_OVERFLOW;
	pthread_mutex_lock(&r->mu);
	if (r->n_out && r->out[r->n_out - 1].to_ns == 0)
		r->out[r->n_out - 1].to_ns = m.t_ns; /* the monitor is back */
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

/* The monitor failed: an outage from its last sample on (the caller holds nothing). */
static void outage_begin(struct rail *r, enum hb_status st)
{
	pthread_mutex_lock(&r->mu);
	r->error = st;
	snprintf(r->error_msg, sizeof r->error_msg, "power monitor %.24s (%.100s @0x%02x) failed: %.40s",
		 r->mon->rail, r->mon->bus, r->mon->address, hb_strerror(st));
	if (r->n_out == r->cap_out) {
		size_t nc = r->cap_out ? r->cap_out * 2 : 4;
		struct rail_outage *no = realloc(r->out, nc * sizeof *no);
		if (no) {
			r->out = no;
			r->cap_out = nc;
		}
	}
	if (r->n_out < r->cap_out) {
		struct rail_outage *o = &r->out[r->n_out++];
		o->from_ns = r->n ? r->s[r->n - 1].t_ns : 0;
		o->to_ns = 0;
		snprintf(o->why, sizeof o->why, "%.60s", hb_strerror(st));
	}
	pthread_mutex_unlock(&r->mu);
	hb_err("%s; windows over the outage are invalid, watching for the monitor to come back",
	       r->error_msg);
}

/* Wait, on the session clock, until the monitor converts again (or the rails stop). Probes
 * every 8 conversion times: no log lines, no bus traffic to speak of. */
static bool wait_for_monitor(struct rail *r)
{
	uint64_t step = 8 * (r->sampler.period_ns ? r->sampler.period_ns : 1000000u);
	while (!r->stop) {
		hb_sleep_ns(step);
		if (r->stop)
			break;
		int ready = 0, reset = 0;
		if (hb_ina2xx_ready(&r->dev, &ready) == HB_OK && ready)
			return true;
		/* a chip that reset is re-initialised here, and converts again */
		if (hb_ina2xx_check_alive(&r->dev, &reset) == HB_OK && reset)
			return true;
	}
	return false;
}

static void *rail_thread(void *arg)
{
	struct rail *r = arg;
	hb_session_thread_enter(r->st);
	r->st = NULL;
	for (;;) {
		enum hb_status st = hb_power_sampler_run(&r->sampler, 0, rail_append, r);
		if (st == HB_OK || r->stop) /* stopped by rail_append: the rails' stop, or no memory */
			break;
		outage_begin(r, st);
		if (!wait_for_monitor(r))
			break;
		hb_info("power monitor %s converts again: sampling resumes", r->mon->rail);
		/* hunt for the next conversion: the old schedule means nothing now */
		r->sampler.locked = 0;
		r->sampler.silent_since_ns = 0;
		r->sampler.due_ns = 0;
	}
	return NULL;
}

enum hb_status hb_rails_open(struct hb_session *s, FILE *out, int quiet, struct hb_rails **rails)
{
	const struct hb_board *b = hb_session_board(s);
	struct hb_rails *R = calloc(1, sizeof *R);
	if (!R)
		return HB_ERR_NOMEM;
	*rails = R;
	R->sess = s;
	if (b->n_monitors == 0) {
		snprintf(R->unavailable, sizeof R->unavailable, "board profile %s has no power monitor",
			 b->name);
		return HB_OK;
	}
	for (size_t i = 0; i < b->n_monitors; i++) {
		const struct hb_board_monitor *m = &b->monitors[i];
		if (strncmp(m->bus, "probe:", 6) == 0)
			continue; /* the probe samples it itself (hb_probe_windows.c) */
		struct rail *rl = &R->rail[R->n];
		memset(rl, 0, sizeof *rl);
		rl->mon = m;
		char uri[400];
		enum hb_status st = hb_session_monitor_uri(s, m, uri, sizeof uri);
		if (st == HB_OK)
			st = hb_i2c_open(uri, &rl->bus);
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
			st = chip ? hb_ina2xx_init(&rl->dev, rl->bus, m->address, chip->model, &c)
				  : HB_ERR_UNSUPPORTED;
		}
		if (st != HB_OK) {
			snprintf(R->unavailable, sizeof R->unavailable,
				 "power monitor %.24s (%.16s at %.120s 0x%02x) not usable: %.40s", m->rail, m->chip,
				 uri, m->address, hb_strerror(st));
			hb_err("%s", R->unavailable);
			if (rl->bus)
				hb_i2c_close(rl->bus);
			rl->bus = NULL;
			return HB_OK; /* timing figures are still worth measuring */
		}
		pthread_mutex_init(&rl->mu, NULL);
		hb_power_sampler_init(&rl->sampler, &rl->dev, NULL);
		/* A board paced to the wall clock keeps pace only on average (a loaded host makes it
		 * fall behind for a moment): allow it 100 ms before calling the monitor stopped. The
		 * gaps still count. In simulated time the chip's own rule holds. */
		if (!hb_session_simulated(s) && hb_session_has_truth(s))
			rl->sampler.stall_periods =
				(unsigned)(100000000u / (rl->dev.conv_ns ? rl->dev.conv_ns : 1000000u)) + 4;
		rl->st = hb_session_thread_prepare(s);
		if (!rl->st || pthread_create(&rl->thread, NULL, rail_thread, rl) != 0) {
			snprintf(R->unavailable, sizeof R->unavailable, "cannot start sampler thread");
			free(rl->st);
			pthread_mutex_destroy(&rl->mu);
			hb_i2c_close(rl->bus);
			rl->bus = NULL;
			return HB_OK;
		}
		rl->started = true;
		R->n++;
		if (out && !quiet) {
			fprintf(out, "power: %s via %s at 0x%02x, shunt %u uohm, conversion %.3f ms\n", m->rail,
				hb_term(uri), m->address, m->shunt_uohm, (double)rl->dev.conv_ns / 1e6);
			fflush(out);
		}
	}
	return HB_OK;
}

const char *hb_rails_unavailable(const struct hb_rails *r) { return r->unavailable; }
size_t hb_rails_count(const struct hb_rails *r) { return r->n; }

/* The first outage of the rail that overlaps host interval [h0, h1] (NULL: none). Caller
 * holds rl->mu. */
static const struct rail_outage *outage_over(const struct rail *rl, double h0, double h1)
{
	for (size_t k = 0; k < rl->n_out; k++) {
		const struct rail_outage *o = &rl->out[k];
		if ((double)o->from_ns < h1 && (o->to_ns == 0 || (double)o->to_ns > h0))
			return o;
	}
	return NULL;
}

void hb_rails_window(struct hb_rails *R, double h0, double h1, double guard_ns, double stretch,
		     struct hb_window_power *out)
{
	memset(out, 0, sizeof *out);
	if (R->n == 0) {
		snprintf(out->reason, sizeof out->reason, "%.159s",
			 R->unavailable[0] ? R->unavailable : "no power monitor");
		return;
	}
	double sum = 0, var = 0;
	for (size_t i = 0; i < R->n; i++) {
		struct rail *rl = &R->rail[i];
		struct hb_window_opts wo = {.conv_ns = (uint64_t)((double)rl->dev.conv_ns * stretch),
					    .guard_ns = guard_ns, .min_samples = 10};
		struct hb_window_power w;
		pthread_mutex_lock(&rl->mu);
		const struct rail_outage *o = outage_over(rl, h0, h1);
		if (o) {
			if (o->to_ns)
				snprintf(out->reason, sizeof out->reason,
					 "rail %.24s: power monitor failed (%.40s), no samples from %.4f s to %.4f s",
					 rl->mon->rail, o->why, (double)o->from_ns / 1e9, (double)o->to_ns / 1e9);
			else
				snprintf(out->reason, sizeof out->reason,
					 "rail %.24s: power monitor failed (%.40s), no samples since %.4f s",
					 rl->mon->rail, o->why, (double)o->from_ns / 1e9);
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

void hb_rails_stop(struct hb_rails *R)
{
	if (R->stop_ns)
		return;
	R->stop_ns = hb_session_clock(R->sess)->now_ns(hb_session_clock(R->sess));
	if (R->stop_ns == 0)
		R->stop_ns = 1;
	for (size_t i = 0; i < R->n; i++)
		R->rail[i].stop = 1;
	/* The samplers need simulated time to pass to see the flag: do not hold it meanwhile. */
	hb_session_block_begin(R->sess);
	for (size_t i = 0; i < R->n; i++) {
		struct rail *rl = &R->rail[i];
		if (rl->started)
			pthread_join(rl->thread, NULL);
		rl->started = false;
		if (rl->bus)
			hb_i2c_close(rl->bus);
		rl->bus = NULL;
	}
	hb_session_block_end(R->sess);
}

void hb_rails_totals(struct hb_rails *R, uint64_t *samples, uint64_t *dropped)
{
	*samples = *dropped = 0;
	for (size_t i = 0; i < R->n; i++) {
		struct rail *rl = &R->rail[i];
		pthread_mutex_lock(&rl->mu);
		size_t k = rl->n;
		while (R->stop_ns && k > 0 && rl->s[k - 1].t_ns >= R->stop_ns)
			k--;
		pthread_mutex_unlock(&rl->mu);
		*samples += k;
		*dropped += rl->sampler.dropped;
	}
}

const struct hb_meas_sample *hb_rails_samples(struct hb_rails *R, size_t *n, const char **rail)
{
	*n = 0;
	*rail = "";
	if (R->n == 0)
		return NULL;
	*n = R->rail[0].n;
	*rail = R->rail[0].mon->rail;
	return R->rail[0].s;
}

void hb_rails_free(struct hb_rails *R)
{
	if (!R)
		return;
	hb_rails_stop(R);
	for (size_t i = 0; i < R->n; i++) {
		free(R->rail[i].s);
		free(R->rail[i].out);
		pthread_mutex_destroy(&R->rail[i].mu);
	}
	free(R);
}
