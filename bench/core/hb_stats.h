/* hilbench — small statistics helpers for measured figures. */
#ifndef HB_STATS_H
#define HB_STATS_H

#include <stddef.h>

/* Percentile p in [0, 100] of n values, linear interpolation between closest ranks
 * (the "type 7" definition used by numpy's default). The array is sorted in place.
 * Returns NaN for n == 0. */
double hb_stats_percentile(double *v, size_t n, double p);
/* Median (percentile 50); sorts in place. */
double hb_stats_median(double *v, size_t n);

struct hb_summary {
	size_t n;
	double mean, stddev; /* stddev: sample (n-1) standard deviation, 0 for n < 2 */
	double min, max;
	double median;
};

/* Summary of n values (does not modify v). */
void hb_stats_summary(const double *v, size_t n, struct hb_summary *out);

#endif
