#include "hb_measure.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int hb_timemap_fit(const struct hb_sync_point *p, size_t n, double clock_hz, struct hb_timemap *m)
{
	memset(m, 0, sizeof *m);
	if (n == 0 || clock_hz <= 0)
		return -1;
	double slope = 1e9 / clock_hz;
	double half_rtt = 0;
	for (size_t i = 0; i < n; i++) {
		double h = (double)(p[i].host_after_ns - p[i].host_before_ns) / 2.0;
		if (h > half_rtt)
			half_rtt = h;
	}
	/* Least squares on (cycle, midpoint), centred for numerical stability. */
	double cx = 0, cy = 0;
	for (size_t i = 0; i < n; i++) {
		cx += (double)p[i].cycle;
		cy += ((double)p[i].host_before_ns + (double)p[i].host_after_ns) / 2.0;
	}
	cx /= (double)n;
	cy /= (double)n;
	if (n >= 2) {
		double sxx = 0, sxy = 0;
		for (size_t i = 0; i < n; i++) {
			double dx = (double)p[i].cycle - cx;
			double dy = ((double)p[i].host_before_ns + (double)p[i].host_after_ns) / 2.0 - cy;
			sxx += dx * dx;
			sxy += dx * dy;
		}
		if (sxx > 0)
			slope = sxy / sxx;
	}
	m->ns_per_cycle = slope;
	m->offset_ns = cy - slope * cx;
	double resid = 0;
	for (size_t i = 0; i < n; i++) {
		double mid = ((double)p[i].host_before_ns + (double)p[i].host_after_ns) / 2.0;
		double r = fabs(mid - (m->offset_ns + slope * (double)p[i].cycle));
		if (r > resid)
			resid = r;
	}
	m->uncertainty_ns = half_rtt + resid;
	m->valid = 1;
	return 0;
}

double hb_timemap_host_ns(const struct hb_timemap *m, uint64_t cycle)
{
	return m->offset_ns + m->ns_per_cycle * (double)cycle;
}

void hb_window_power(const struct hb_meas_sample *s, size_t n, double h0_ns, double h1_ns,
		     const struct hb_window_opts *o, struct hb_window_power *out)
{
	memset(out, 0, sizeof *out);
	size_t min_samples = o->min_samples ? o->min_samples : 10;
	double max_gap = o->max_gap_fraction > 0 ? o->max_gap_fraction : 0.02;
	double conv = (double)o->conv_ns;
	double lo = h0_ns + o->guard_ns, hi = h1_ns - o->guard_ns;

	if (hi <= lo) {
		snprintf(out->reason, sizeof out->reason,
			 "window of %.3f ms is shorter than its timing uncertainty (2 x %.3f ms)",
			 (h1_ns - h0_ns) / 1e6, o->guard_ns / 1e6);
		return;
	}
	double m2 = 0, mean = 0, hole = 0;
	size_t used = 0, gaps = 0, flagged = 0;
	unsigned flags_seen = 0;
	for (size_t i = 1; i < n; i++) {
		double t_prev = (double)s[i - 1].t_ns, t = (double)s[i].t_ns;
		if (t_prev - conv < lo || t > hi)
			continue;
		/* A read interval of about two conversions or more means a conversion finished
		 * and was overwritten before we read it: a missed sample. */
		if (conv > 0 && t - t_prev > 1.5 * conv)
			gaps += (size_t)((t - t_prev) / conv + 0.5) - 1;
		if (t - t_prev - conv > hole)
			hole = t - t_prev - conv;
		if (s[i].flags) {
			flagged++;
			flags_seen |= s[i].flags;
			continue;
		}
		used++;
		double d = s[i].power_mw - mean;
		mean += d / (double)used;
		m2 += d * (s[i].power_mw - mean);
	}
	out->n_samples = used;
	out->n_gaps = gaps;
	if (flagged) {
		snprintf(out->reason, sizeof out->reason, "%zu sample(s) in the window were %s", flagged,
			 (flags_seen & HB_MEAS_SATURATED) ? "saturated (shunt voltage at the PGA limit)"
							    : "overflowed (INA219 OVF)");
		return;
	}
	if (used < min_samples) {
		snprintf(out->reason, sizeof out->reason,
			 "too few power samples in the window: %zu usable (need %zu; window %.3f ms, "
			 "conversion %.3f ms)",
			 used, min_samples, (hi - lo) / 1e6, conv / 1e6);
		return;
	}
	/* Missed conversions spread over a steady window do not bias the mean; a hole does
	 * (the power may have changed in it), and so does a window mostly unobserved. */
	if (hole > max_gap * (hi - lo)) {
		snprintf(out->reason, sizeof out->reason,
			 "power sample stream has a gap of %.1f ms, %.1f %% of the window (limit %.1f %%)",
			 hole / 1e6, 100.0 * hole / (hi - lo), 100.0 * max_gap);
		return;
	}
	double min_cov = o->min_coverage > 0 ? o->min_coverage : 0.5;
	if (conv > 0 && (double)used * conv < min_cov * (hi - lo)) {
		snprintf(out->reason, sizeof out->reason,
			 "power samples cover only %.1f %% of the window (%zu conversions missed; need %.0f %%)",
			 100.0 * (double)used * conv / (hi - lo), gaps, 100.0 * min_cov);
		return;
	}
	out->mean_mw = mean;
	out->stddev_mw = used > 1 ? sqrt(m2 / (double)(used - 1)) : 0.0;
	out->available = 1;
}
