#include "hb_stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double hb_stats_percentile(double *v, size_t n, double p)
{
	if (n == 0)
		return NAN;
	qsort(v, n, sizeof *v, cmp_double);
	if (p <= 0)
		return v[0];
	if (p >= 100)
		return v[n - 1];
	double h = (double)(n - 1) * p / 100.0;
	size_t lo = (size_t)floor(h);
	size_t hi = lo + 1 < n ? lo + 1 : lo;
	return v[lo] + (h - (double)lo) * (v[hi] - v[lo]);
}

double hb_stats_median(double *v, size_t n)
{
	return hb_stats_percentile(v, n, 50.0);
}

void hb_stats_summary(const double *v, size_t n, struct hb_summary *out)
{
	memset(out, 0, sizeof *out);
	out->n = n;
	if (n == 0) {
		out->mean = out->stddev = out->min = out->max = out->median = NAN;
		return;
	}
	/* Welford: numerically stable mean and variance in one pass. */
	double mean = 0, m2 = 0;
	out->min = out->max = v[0];
	for (size_t i = 0; i < n; i++) {
		double d = v[i] - mean;
		mean += d / (double)(i + 1);
		m2 += d * (v[i] - mean);
		if (v[i] < out->min)
			out->min = v[i];
		if (v[i] > out->max)
			out->max = v[i];
	}
	out->mean = mean;
	out->stddev = n > 1 ? sqrt(m2 / (double)(n - 1)) : 0.0;
	double *tmp = malloc(n * sizeof *tmp);
	if (tmp) {
		memcpy(tmp, v, n * sizeof *tmp);
		out->median = hb_stats_median(tmp, n);
		free(tmp);
	} else {
		out->median = NAN;
	}
}
