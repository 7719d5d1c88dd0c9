/* hilbench — transport registry: a URI's scheme picks the backend. */
#include "hb_transport.h"
#include "hb_params.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb_tr_util.h"

#define LOG_PREFIX "transport"
#include "hb_log.h"

extern const struct hb_transport_ops hb_transport_pty_ops;
extern const struct hb_transport_ops hb_transport_tcp_ops;
extern const struct hb_transport_ops hb_transport_rfc2217_ops;
extern const struct hb_transport_ops hb_transport_serial_ops;
extern const struct hb_transport_ops hb_transport_ftdi_ops;
extern const struct hb_transport_ops hb_transport_vtime_ops;

static const struct hb_transport_ops *const registry[] = {
	&hb_transport_serial_ops,
	&hb_transport_ftdi_ops,
	&hb_transport_pty_ops,
	&hb_transport_tcp_ops,
	&hb_transport_rfc2217_ops,
	&hb_transport_vtime_ops,
};

enum hb_status hb_transport_open_ops(const struct hb_transport_ops *ops, const char *target,
				     const char *params, unsigned baud, struct hb_transport **out)
{
	*out = NULL;
	if (!ops || !target)
		return HB_ERR_ARG;
	struct hb_transport *t = calloc(1, sizeof *t);
	if (!t)
		return HB_ERR_NOMEM;
	t->ops = ops;
	t->baud = baud;
	snprintf(t->uri, sizeof t->uri, "%s:%s%s%s", ops->scheme, target, params ? "?" : "",
		 params ? params : "");
	enum hb_status st = ops->open(t, target, params, baud);
	if (st != HB_OK) {
		hb_dbg("open %s: %s", t->uri, hb_strerror(st));
		free(t);
		return st;
	}
	*out = t;
	return HB_OK;
}

enum hb_status hb_transport_open(const char *uri, unsigned baud, struct hb_transport **out)
{
	char tmp[512];
	*out = NULL;
	if (!uri || strlen(uri) >= sizeof tmp) {
		hb_err("transport URI missing or too long");
		return HB_ERR_ARG;
	}
	strcpy(tmp, uri);
	char *scheme, *target, *params;
	if (hb_uri_split(tmp, &scheme, &target, &params) != 0) {
		hb_err("'%s' is not a transport URI (scheme:target, e.g. pty:/dev/pts/3)", uri);
		return HB_ERR_ARG;
	}
	for (size_t i = 0; i < sizeof registry / sizeof registry[0]; i++) {
		if (strcmp(registry[i]->scheme, scheme) == 0)
			return hb_transport_open_ops(registry[i], target, params, baud, out);
	}
	char known[128] = "";
	for (size_t i = 0; i < sizeof registry / sizeof registry[0]; i++) {
		strncat(known, " ", sizeof known - strlen(known) - 1);
		strncat(known, registry[i]->scheme, sizeof known - strlen(known) - 1);
	}
	hb_err("unknown transport scheme '%s' in '%s' (known:%s)", scheme, uri, known);
	return HB_ERR_ARG;
}

const struct hb_transport_ops *hb_transport_backend(size_t i)
{
	return i < sizeof registry / sizeof registry[0] ? registry[i] : NULL;
}

const struct hb_transport_ops *hb_transport_find(const char *scheme)
{
	for (size_t i = 0; scheme && i < sizeof registry / sizeof registry[0]; i++)
		if (strcmp(registry[i]->scheme, scheme) == 0)
			return registry[i];
	return NULL;
}

void hb_transport_examples(int hardware, char *buf, size_t cap)
{
	size_t n = 0, k = 0, total = 0;
	for (size_t i = 0; i < sizeof registry / sizeof registry[0]; i++)
		total += !registry[i]->hardware == !hardware;
	if (cap)
		buf[0] = 0;
	for (size_t i = 0; i < sizeof registry / sizeof registry[0] && n < cap; i++) {
		if (!registry[i]->hardware != !hardware)
			continue;
		k++;
		int w = snprintf(buf + n, cap - n, "%s%s", k == 1 ? "" : k == total ? " or " : ", ",
				 registry[i]->example);
		n += w > 0 ? (size_t)w : 0;
	}
}

void hb_transport_close(struct hb_transport *t)
{
	if (!t)
		return;
	if (t->ops->close)
		t->ops->close(t);
	free(t);
}

enum hb_status hb_transport_read(struct hb_transport *t, void *buf, size_t cap, size_t *got,
				 int timeout_ms)
{
	size_t dummy;
	if (!got)
		got = &dummy;
	*got = 0;
	if (!t || (!buf && cap))
		return HB_ERR_ARG;
	if (cap == 0)
		return HB_OK;
	return t->ops->read(t, buf, cap, got, timeout_ms);
}

enum hb_status hb_transport_read_exact(struct hb_transport *t, void *buf, size_t len,
				       int timeout_ms)
{
	uint64_t deadline = hb_tr_deadline(timeout_ms);
	size_t have = 0;
	while (have < len) {
		size_t got = 0;
		int left = hb_tr_left(deadline);
		if (left == 0)
			return HB_ERR_TIMEOUT;
		enum hb_status st =
			hb_transport_read(t, (uint8_t *)buf + have, len - have, &got, left);
		if (st != HB_OK)
			return st;
		have += got;
	}
	return HB_OK;
}

enum hb_status hb_transport_write(struct hb_transport *t, const void *buf, size_t len,
				  int timeout_ms)
{
	if (!t || (!buf && len))
		return HB_ERR_ARG;
	if (len == 0)
		return HB_OK;
	return t->ops->write(t, buf, len, timeout_ms);
}

enum hb_status hb_transport_flush(struct hb_transport *t)
{
	if (!t)
		return HB_ERR_ARG;
	return t->ops->flush ? t->ops->flush(t) : HB_OK;
}

enum hb_status hb_transport_set_baud(struct hb_transport *t, unsigned baud)
{
	if (!t || baud == 0)
		return HB_ERR_ARG;
	if (!t->ops->set_baud)
		return HB_ERR_UNSUPPORTED;
	enum hb_status st = t->ops->set_baud(t, baud);
	if (st == HB_OK)
		t->baud = baud;
	return st;
}
