#include "hb_params.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define LOG_PREFIX "params"
#include "hb_log.h"

int hb_parse_ulong(const char *s, unsigned long *v)
{
	char *end;
	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	unsigned long x = strtoul(s, &end, 0);
	if (errno || *end)
		return -1;
	*v = x;
	return 0;
}

enum hb_status hb_params_parse(struct hb_params *p, const char *query)
{
	memset(p, 0, sizeof *p);
	if (!query || !*query)
		return HB_OK;
	if (strlen(query) >= sizeof p->buf) {
		hb_err("parameter string too long");
		return HB_ERR_ARG;
	}
	strcpy(p->buf, query);
	char *save = NULL;
	for (char *tok = strtok_r(p->buf, "&", &save); tok; tok = strtok_r(NULL, "&", &save)) {
		if (p->n == HB_PARAMS_MAX) {
			hb_err("too many parameters (at most %d)", HB_PARAMS_MAX);
			return HB_ERR_ARG;
		}
		char *eq = strchr(tok, '=');
		p->kv[p->n].key = tok;
		p->kv[p->n].val = eq ? eq + 1 : tok + strlen(tok);
		if (eq)
			*eq = 0;
		if (!*tok) {
			hb_err("empty parameter name");
			return HB_ERR_ARG;
		}
		p->n++;
	}
	return HB_OK;
}

const char *hb_params_take(struct hb_params *p, const char *key)
{
	for (unsigned i = 0; i < p->n; i++) {
		if (strcmp(p->kv[i].key, key) == 0) {
			p->kv[i].taken = 1;
			return p->kv[i].val;
		}
	}
	return NULL;
}

enum hb_status hb_params_take_uint(struct hb_params *p, const char *backend, const char *key,
				   unsigned long min, unsigned long max, unsigned long *v)
{
	const char *s = hb_params_take(p, key);
	unsigned long x;
	if (!s)
		return HB_OK;
	if (hb_parse_ulong(s, &x) != 0 || x < min || x > max) {
		hb_err("%s: parameter %s=%s: expected a number in %lu..%lu", backend, key, s, min,
		       max);
		return HB_ERR_ARG;
	}
	*v = x;
	return HB_OK;
}

enum hb_status hb_params_finish(const struct hb_params *p, const char *backend)
{
	enum hb_status st = HB_OK;
	for (unsigned i = 0; i < p->n; i++) {
		if (!p->kv[i].taken) {
			hb_err("%s: unhandled parameter '%s'", backend, p->kv[i].key);
			st = HB_ERR_ARG;
		}
	}
	return st;
}

enum hb_status hb_ftdi_parse_target(const char *target, struct hb_ftdi_target *out)
{
	char tmp[128];
	unsigned long v;
	memset(out, 0, sizeof *out);
	out->iface = 1;
	if (!target || strlen(target) >= sizeof tmp)
		goto bad;
	strcpy(tmp, target);
	char *slash = strchr(tmp, '/');
	if (slash) {
		*slash = 0;
		if (hb_parse_ulong(slash + 1, &v) != 0 || v < 1 || v > 4) {
			hb_err("ftdi: interface '%s' must be 1..4 (A..D)", slash + 1);
			return HB_ERR_ARG;
		}
		out->iface = (unsigned)v;
	}
	char *f[3] = {0};
	char *save = NULL;
	unsigned n = 0;
	for (char *t = strtok_r(tmp, ":", &save); t && n < 3; t = strtok_r(NULL, ":", &save))
		f[n++] = t;
	if (n < 2 || strtok_r(NULL, ":", &save))
		goto bad;
	char *end;
	errno = 0;
	v = strtoul(f[0], &end, 16);
	if (*end || errno || v > 0xffff || !*f[0])
		goto bad;
	out->vid = (unsigned)v;
	v = strtoul(f[1], &end, 16);
	if (*end || errno || v > 0xffff || !*f[1])
		goto bad;
	out->pid = (unsigned)v;
	if (f[2]) {
		if (strlen(f[2]) >= sizeof out->serial)
			goto bad;
		strcpy(out->serial, f[2]);
	}
	return HB_OK;
bad:
	hb_err("ftdi: target '%s' is not VID:PID[:serial]/IF (e.g. 0403:6010:FT1234/2)",
	       target ? target : "");
	return HB_ERR_ARG;
}

int hb_uri_split(char *buf, char **scheme, char **target, char **query)
{
	char *colon = strchr(buf, ':');
	if (!colon)
		return -1;
	*colon = 0;
	*scheme = buf;
	*target = colon + 1;
	if (strncmp(*target, "//", 2) == 0)
		*target += 2;
	*query = strchr(*target, '?');
	if (*query)
		*(*query)++ = 0;
	return 0;
}
