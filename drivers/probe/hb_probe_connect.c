/* hilbench — opening a bench probe by URI (see hb_probe_connect.h). */
#define LOG_PREFIX "probe"
#include "hb_probe_connect.h"

#include <stdio.h>
#include <string.h>

#include "hb_log.h"
#include "hb_params.h"

enum hb_status hb_probe_uri_parse(const char *uri, char *tr, size_t cap, unsigned *baud)
{
	if (!uri || !tr || !cap || !baud)
		return HB_ERR_ARG;
	if (strncmp(uri, "probe:", 6) == 0)
		uri += 6;
	*baud = HBP_DEFAULT_BAUD;
	const char *q = strchr(uri, '?');
	size_t base = q ? (size_t)(q - uri) : strlen(uri);
	if (base == 0 || !strchr(uri, ':') || strchr(uri, ':') > uri + base) {
		hb_err("'%s' is not a probe URI (probe:<transport URI>, e.g. probe:serial:/dev/ttyACM0)",
		       uri);
		return HB_ERR_ARG;
	}
	if (base + 1 > cap)
		return HB_ERR_RANGE;
	memcpy(tr, uri, base);
	size_t n = base;
	tr[n] = 0;
	int first = 1;
	for (const char *p = q ? q + 1 : NULL; p && *p;) {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);
		if (len > 5 && strncmp(p, "baud=", 5) == 0) {
			char num[24];
			unsigned long v;
			if (len - 5 >= sizeof num) {
				hb_err("probe URI '%s': baud value too long", uri);
				return HB_ERR_ARG;
			}
			memcpy(num, p + 5, len - 5);
			num[len - 5] = 0;
			if (hb_parse_ulong(num, &v) != 0 || v < 1200 || v > 12000000) {
				hb_err("probe URI '%s': baud=%s is not a rate in 1200..12000000", uri, num);
				return HB_ERR_ARG;
			}
			*baud = (unsigned)v;
		} else if (len) {
			if (n + len + 2 > cap)
				return HB_ERR_RANGE;
			tr[n++] = first ? '?' : '&';
			memcpy(tr + n, p, len);
			n += len;
			tr[n] = 0;
			first = 0;
		}
		p = amp ? amp + 1 : NULL;
	}
	return HB_OK;
}

enum hb_status hb_probe_connect(const char *uri, const struct hb_probe_opts *opts,
				struct hb_transport **t_out, struct hb_probe **p_out)
{
	char tr[512];
	unsigned baud;
	*t_out = NULL;
	*p_out = NULL;
	enum hb_status st = hb_probe_uri_parse(uri, tr, sizeof tr, &baud);
	if (st != HB_OK)
		return st;
	struct hb_transport *t;
	st = hb_transport_open(tr, baud, &t);
	if (st != HB_OK)
		return st;
	struct hb_probe *p;
	st = hb_probe_open(t, opts, &p);
	if (st != HB_OK) {
		hb_transport_close(t);
		return st;
	}
	*t_out = t;
	*p_out = p;
	return HB_OK;
}

void hb_probe_disconnect(struct hb_transport *t, struct hb_probe *p)
{
	hb_probe_close(p);
	hb_transport_close(t);
}
