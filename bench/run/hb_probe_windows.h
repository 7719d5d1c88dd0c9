/* hilbench — `hilbench run` with a bench probe (docs/measurement.md, "With a probe").
 *
 * When a rail's monitor sits on a probe (bus = probe:...), the host does not poll it: the
 * probe samples the INA219 at its own conversion rate and stamps every sample and every
 * DONE/BUSY edge with one timer. A window is then bounded by the probe's own stamps of the
 * batch's first BUSY rise and last DONE rise, and its energy is the probe's samples
 * integrated between them, with no mapping of device or probe time onto the host's. Each
 * inference is bounded by consecutive DONE edges; when one spans at least
 * HB_PROBE_MIN_CONV_PER_INF conversions its energy is reported one by one (mean,
 * percentiles, histogram).
 *
 * The integration is pure (hb_probe_integrate, hb_probe_percentile), tested on its own. */
#ifndef HB_PROBE_WINDOWS_H
#define HB_PROBE_WINDOWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hb_board.h"
#include "hb_measure.h"
#include "hb_session.h"

struct cJSON;

/* Per-inference energy needs at least this many conversions inside one inference. */
#define HB_PROBE_MIN_CONV_PER_INF 4
/* ... and the share of an interval the samples must cover for its figure to count. */
#define HB_PROBE_MIN_COVERAGE 0.9

/* One conversion read by the probe: its shunt value averages [t_us - period_us, t_us]
 * (shunt-only continuous mode). */
struct hb_probe_psample {
	uint64_t t_us;
	double power_mw;
};

/* Mean power over probe interval [a_us, b_us] from samples sorted by t_us, each weighted by
 * its conversion's overlap with the interval. *covered_us: the overlap in total (holes where
 * conversions were not read are left out of the mean). *n_bad: overlapping samples whose
 * power is not finite (a saturated shunt reading: the caller makes the figure unavailable).
 * Returns the number of samples used. */
size_t hb_probe_integrate(const struct hb_probe_psample *s, size_t n, uint32_t period_us,
			  double a_us, double b_us, double *mean_mw, double *covered_us,
			  size_t *n_bad);
/* The q-quantile (0..1) of v[0..n) (sorted in place), linear between order statistics. */
double hb_probe_percentile(double *v, size_t n, double q);

/* The batch of n inferences among the probe's DONE rises done[k0 ..] (and BUSY rises busy[],
 * both in time order): the first j such that DONE j .. j+n-1, from the first BUSY rise after
 * DONE j-1, span device_s (the device's own length of the batch, to 200 ppm, at most
 * 2.5 ms). The length only recognises the batch, so an edge of an earlier batch that arrived
 * late does not shift the window. Returns j (and *t_begin, that BUSY rise) or SIZE_MAX. */
size_t hb_probe_find_batch(const uint64_t *done, size_t n_done, const uint64_t *busy,
			   size_t n_busy, size_t k0, uint32_t n, double device_s, uint64_t *t_begin);
/* The ADC setting for inferences of latency_us: the longest single conversion (84 ... 532 µs,
 * 9 to 12 bits) that still fits HB_PROBE_MIN_CONV_PER_INF times in one inference, else the
 * fastest. Returns the SADC code; *period_us its conversion time. */
unsigned hb_probe_pick_adc(double latency_us, uint32_t *period_us);

/* Per-inference energy of a run through a probe. */
struct hb_probe_inf_stats {
	bool available;
	char reason[200];          /* why not, when !available */
	size_t n;                  /* inferences with a figure */
	double mean_nj, p5_nj, p50_nj, p95_nj;
	double conv_us;            /* the probe's conversion time */
	double conv_per_inf;       /* median inference length / conversion time */
	const double *e_nj;        /* every inference's energy, in order (histogram) */
	/* the probe's stream over the run */
	uint64_t samples, missed, edges, dropped;
	double read_share;         /* conversions read / conversions made (samples+missed) */
	uint32_t i2c_hz;
};

struct hb_probe_windows;

/* True when a monitor of board b sits on a probe (those monitors are the probe's, not the
 * host's samplers'). */
bool hb_probe_windows_wanted(const struct hb_board *b);
/* Open the probe of b's probe monitors, configure them for inferences of latency_us and
 * start the stream (DONE and BUSY rising edges captured). err gets a reason on failure. */
enum hb_status hb_probe_windows_open(struct hb_session *s, double latency_us, FILE *out,
				     int quiet, struct hb_probe_windows **out_pw, char *err,
				     size_t errlen);
/* Idle power: the probe's samples from its start (after two conversions) to now, no edge
 * inside. Adds to *io when the host's rails measured something, else replaces it. */
void hb_probe_windows_idle(struct hb_probe_windows *pw, bool rails_too,
			   struct hb_window_power *io);
/* Before a window's BATCH: take every record the probe has sent for what went before. */
enum hb_status hb_probe_windows_begin(struct hb_probe_windows *pw);
/* After a BATCH of n inferences that lasted device_s by the device's own stamps: find its n
 * DONE edges among the probe's (device_s only recognises them: the bounds are the probe's
 * stamps), then the window's mean power (added to *io, or replacing it as for idle), and
 * *window_s, its length in the probe's clock. Each inference's energy is kept for the
 * statistics. */
void hb_probe_windows_end(struct hb_probe_windows *pw, uint32_t n, double device_s,
			  bool rails_too, struct hb_window_power *io, double *window_s);
/* Stop the stream (the records still in the probe arrive first). */
void hb_probe_windows_stop(struct hb_probe_windows *pw);
/* The statistics; pointers valid until free. */
void hb_probe_windows_stats(struct hb_probe_windows *pw, struct hb_probe_inf_stats *st);
/* The detail lines of the report: the probe's stream and the per-inference energy (or why
 * not). truth_nj: the virtual board's energy per inference (NAN when there is none). */
void hb_probe_windows_print(struct hb_probe_windows *pw, FILE *out, double truth_nj);
/* Samples of the probe's first monitor (the plot's trace), its rail, and the windows' spans
 * in probe µs. Valid until free. */
const struct hb_probe_psample *hb_probe_windows_samples(const struct hb_probe_windows *pw,
							size_t *n, const char **rail);
size_t hb_probe_windows_spans(const struct hb_probe_windows *pw, uint64_t (*span)[2], size_t cap);
/* --plot: the per-inference histogram into p (when available); and, for a run whose only
 * monitors are on the probe, the whole plot from its samples and windows, in its time. */
struct hb_plot;
void hb_probe_windows_hist(struct hb_probe_windows *pw, struct hb_plot *p);
enum hb_status hb_probe_windows_plot(struct hb_probe_windows *pw, struct hb_plot *p,
				     const char *path);
/* The "probe" object of the run's JSON (docs/results.md). */
void hb_probe_windows_json(struct hb_probe_windows *pw, struct cJSON *run, double truth_nj);
void hb_probe_windows_free(struct hb_probe_windows *pw);

#endif
