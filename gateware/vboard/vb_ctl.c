/* hilbench virtual board — control lines and fault specs, parsed (vb_ctl.h). */
#include "vb_ctl.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The first three take a probability 0..1 as ARG; the others take no ARG. */
static const char *const fault_names[] = {"bit-error", "drop", "dup", "stall", "pty-close",
					   "ina-reset", "ina-stop", "ina-saturate", "clear"};

/* A number of seconds or a rate: finite and >= 0 ("nan" and "inf" are refused). */
static int parse_nonneg(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end || !isfinite(v) || v < 0)
		return -1;
	*out = v;
	return 0;
}

enum hb_status hb_vb_fault_parse(const char *text, struct hb_vb_fault_spec *out)
{
	char buf[128];
	char *at, *arg;
	size_t len;

	memset(out, 0, sizeof *out);
	if (!text || strlen(text) >= sizeof buf)
		return HB_ERR_ARG;
	snprintf(buf, sizeof buf, "%s", text);
	at = strchr(buf, '@');
	if (at) {
		*at++ = 0;
		if (parse_nonneg(at, &out->at_s))
			return HB_ERR_ARG;
	}
	arg = strpbrk(buf, "= ");
	if (arg) {
		*arg++ = 0;
		while (*arg == ' ')
			arg++;
		if (*arg) {
			if (parse_nonneg(arg, &out->arg))
				return HB_ERR_ARG;
			out->has_arg = 1;
		}
	}
	len = strlen(buf);
	if (len == 0 || len >= sizeof out->name)
		return HB_ERR_ARG;
	for (size_t i = 0; i < sizeof fault_names / sizeof fault_names[0]; i++) {
		if (strcmp(buf, fault_names[i]) == 0) {
			memcpy(out->name, buf, len + 1);
			/* bit-error, drop, dup take a probability 0..1; the others no argument */
			if (i < 3 ? (out->has_arg && out->arg > 1.0) : out->has_arg)
				return HB_ERR_RANGE;
			return HB_OK;
		}
	}
	return HB_ERR_NOTFOUND;
}

static void fail(struct hb_vb_ctl_cmd *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct hb_vb_ctl_cmd *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof c->err, fmt, ap);
	va_end(ap);
	c->kind = HB_VB_CTL_ERR;
}

/* A word quoted back in an error: printable ASCII only, at most 40 characters. */
static const char *quoted(const char *w, char *buf, size_t cap)
{
	size_t o = 0;
	for (; *w && o + 1 < cap && o < 40; w++)
		buf[o++] = (*w >= 0x20 && *w < 0x7F) ? *w : '?';
	buf[o] = 0;
	return buf;
}

/* A cycle number: decimal digits, or 0x and hex digits; nothing else, no overflow. */
static int parse_cycle(const char *s, unsigned long long *out)
{
	int hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	const char *d = hex ? s + 2 : s;
	if (!*d)
		return -1;
	for (const char *p = d; *p; p++)
		if (!(hex ? ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') ||
			     (*p >= 'A' && *p <= 'F'))
			  : (*p >= '0' && *p <= '9')))
			return -1;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(d, &end, hex ? 16 : 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

void hb_vb_ctl_parse(const char *line, struct hb_vb_ctl_cmd *c)
{
	char buf[HB_VB_CTL_LINE_MAX + 1], q[48], *save = NULL;
	char *argv[8];
	int argc = 0;

	memset(c, 0, sizeof *c);
	snprintf(buf, sizeof buf, "%s", line ? line : "");
	for (char *tok = strtok_r(buf, " \t\r", &save); tok && argc < 8;
	     tok = strtok_r(NULL, " \t\r", &save))
		argv[argc++] = tok;
	if (argc == 0)
		return fail(c, "empty command");
	if (strcmp(argv[0], "now") == 0) {
		c->kind = HB_VB_CTL_NOW;
	} else if (strcmp(argv[0], "truth") == 0) {
		if (argc != 3)
			return fail(c, "usage: truth C0 C1");
		if (parse_cycle(argv[1], &c->c0) || parse_cycle(argv[2], &c->c1))
			return fail(c, "C0 and C1 must be cycle numbers");
		if (c->c0 >= c->c1)
			return fail(c, "C0 must be < C1");
		c->kind = HB_VB_CTL_TRUTH;
	} else if (strcmp(argv[0], "fault") == 0) {
		char spec[128];
		if (argc < 2)
			return fail(c, "usage: fault NAME [ARG] | fault clear");
		int n = snprintf(spec, sizeof spec, "%s%s%s", argv[1], argc > 2 ? "=" : "",
				 argc > 2 ? argv[2] : "");
		if (n < 0 || (size_t)n >= sizeof spec ||
		    hb_vb_fault_parse(spec, &c->fault) != HB_OK || c->fault.at_s > 0)
			return fail(c, "unknown fault '%s' (bit-error drop dup stall pty-close "
				    "ina-reset ina-stop ina-saturate clear)", quoted(argv[1], q, sizeof q));
		c->kind = HB_VB_CTL_FAULT;
	} else if (strcmp(argv[0], "stats") == 0) {
		c->kind = HB_VB_CTL_STATS;
	} else if (strcmp(argv[0], "quit") == 0) {
		c->kind = HB_VB_CTL_QUIT;
	} else {
		fail(c, "unknown command '%s' (now, truth, fault, stats, quit)", quoted(argv[0], q, sizeof q));
	}
}
