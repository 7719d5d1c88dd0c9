/* hb_model — the 8x8 digits data set loader (tests/data/digits/digits.csv).
 *
 * File format: text, one sample per line, '#' starts a comment line. A sample line is
 *   label,split,p0,p1,...,p63
 * label 0..9; split 0 = training, 1 = held-out (test); p = pixel 0..16, row-major 8x8. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb_model.h"

static enum hb_status derr(char *err, size_t errlen, enum hb_status st, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static enum hb_status derr(char *err, size_t errlen, enum hb_status st, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return st;
}

void hb_digits_free(struct hb_digits *d)
{
	if (!d)
		return;
	free(d->pixels);
	free(d->labels);
	free(d->held_out);
	free(d->test_idx);
	memset(d, 0, sizeof *d);
}

uint16_t hb_digits_value(unsigned p)
{
	if (p > 16)
		p = 16;
	return (uint16_t)((p * 65535u + 8u) / 16u);
}

void hb_digits_values(const struct hb_digits *d, unsigned s, uint16_t values[HB_DIGITS_PIXELS])
{
	for (unsigned i = 0; i < HB_DIGITS_PIXELS; i++)
		values[i] = hb_digits_value(d->pixels[s][i]);
}

enum hb_status hb_digits_load(const char *path, struct hb_digits *d, char *err, size_t errlen)
{
	if (!path || !d)
		return HB_ERR_ARG;
	memset(d, 0, sizeof *d);
	FILE *f = fopen(path, "r");
	if (!f)
		return derr(err, errlen, errno == ENOENT ? HB_ERR_NOTFOUND : HB_ERR_IO, "%s: %s", path,
			    strerror(errno));
	char *line = NULL;
	size_t lcap = 0, cap = 0;
	unsigned lineno = 0;
	enum hb_status st = HB_OK;
	ssize_t len;
	while ((len = getline(&line, &lcap, f)) >= 0) {
		lineno++;
		if (line[0] == '#' || line[0] == '\n' || (line[0] == '\r' && line[1] == '\n'))
			continue;
		if (d->n == cap) {
			cap = cap ? cap * 2 : 2048;
			void *p = realloc(d->pixels, cap * sizeof *d->pixels);
			void *l = p ? realloc(d->labels, cap) : NULL;
			if (p)
				d->pixels = p;
			if (l)
				d->labels = l;
			void *h = l ? realloc(d->held_out, cap) : NULL;
			if (h)
				d->held_out = h;
			if (!p || !l || !h) {
				st = derr(err, errlen, HB_ERR_NOMEM, "%s: out of memory", path);
				break;
			}
		}
		const char *p = line;
		for (unsigned fi = 0; fi < 2 + HB_DIGITS_PIXELS; fi++) {
			char *end;
			unsigned col = (unsigned)(p - line) + 1;
			long v = strtol(p, &end, 10);
			unsigned hi = fi == 0 ? 9 : fi == 1 ? 1 : 16;
			if (end == p || v < 0 || v > (long)hi) {
				st = derr(err, errlen, HB_ERR_FORMAT,
					  "%s:%u:%u: field %u (%s): expected an integer 0..%u", path, lineno,
					  col, fi + 1, fi == 0 ? "label" : fi == 1 ? "split" : "pixel", hi);
				break;
			}
			if (fi == 0)
				d->labels[d->n] = (uint8_t)v;
			else if (fi == 1)
				d->held_out[d->n] = (uint8_t)v;
			else
				d->pixels[d->n][fi - 2] = (uint8_t)v;
			p = end;
			int last = fi == 1 + HB_DIGITS_PIXELS;
			if (!last && *p != ',') {
				st = derr(err, errlen, HB_ERR_FORMAT, "%s:%u:%u: expected ',' after field %u (%u fields per line)",
					  path, lineno, (unsigned)(p - line) + 1, fi + 1, 2 + HB_DIGITS_PIXELS);
				break;
			}
			if (last && *p && *p != '\n' && *p != '\r') {
				st = derr(err, errlen, HB_ERR_FORMAT, "%s:%u:%u: more than %u fields", path, lineno,
					  (unsigned)(p - line) + 1, 2 + HB_DIGITS_PIXELS);
				break;
			}
			p++;
		}
		if (st != HB_OK)
			break;
		d->n++;
	}
	free(line);
	fclose(f);
	if (st == HB_OK && d->n == 0)
		st = derr(err, errlen, HB_ERR_FORMAT, "%s: no samples", path);
	if (st == HB_OK) {
		d->test_idx = malloc(sizeof *d->test_idx * d->n);
		if (!d->test_idx)
			st = derr(err, errlen, HB_ERR_NOMEM, "%s: out of memory", path);
		for (unsigned s = 0; st == HB_OK && s < d->n; s++)
			if (d->held_out[s])
				d->test_idx[d->n_test++] = s;
	}
	if (st != HB_OK)
		hb_digits_free(d);
	return st;
}
