/* hilbench — I2C bus registry: a URI's scheme picks the backend. */
#include "hb_i2c.h"
#include "hb_params.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_PREFIX "i2c"
#include "hb_log.h"

extern const struct hb_i2c_ops hb_i2c_ftdi_ops;
extern const struct hb_i2c_ops hb_i2c_dev_ops;
extern const struct hb_i2c_ops hb_i2c_vboard_ops;
extern const struct hb_i2c_ops hb_i2c_vtime_ops;

static const struct hb_i2c_ops *const registry[] = {
	&hb_i2c_ftdi_ops,
	&hb_i2c_dev_ops,
	&hb_i2c_vboard_ops,
	&hb_i2c_vtime_ops,
};

enum hb_status hb_i2c_open_ops(const struct hb_i2c_ops *ops, const char *target,
			       const char *params, struct hb_i2c **out)
{
	*out = NULL;
	if (!ops || !target)
		return HB_ERR_ARG;
	struct hb_i2c *bus = calloc(1, sizeof *bus);
	if (!bus)
		return HB_ERR_NOMEM;
	bus->ops = ops;
	snprintf(bus->uri, sizeof bus->uri, "%s:%s%s%s", ops->scheme, target, params ? "?" : "",
		 params ? params : "");
	enum hb_status st = ops->open ? ops->open(bus, target, params) : HB_OK;
	if (st != HB_OK) {
		free(bus);
		return st;
	}
	*out = bus;
	return HB_OK;
}

enum hb_status hb_i2c_open(const char *uri, struct hb_i2c **out)
{
	char tmp[512];
	*out = NULL;
	if (!uri || strlen(uri) >= sizeof tmp) {
		hb_err("I2C URI missing or too long");
		return HB_ERR_ARG;
	}
	strcpy(tmp, uri);
	char *scheme, *target, *params;
	if (hb_uri_split(tmp, &scheme, &target, &params) != 0) {
		hb_err("'%s' is not an I2C URI (e.g. vboard:/tmp/vb/i2c.sock, i2c-dev:/dev/i2c-1)",
		       uri);
		return HB_ERR_ARG;
	}
	for (size_t i = 0; i < sizeof registry / sizeof registry[0]; i++)
		if (strcmp(registry[i]->scheme, scheme) == 0)
			return hb_i2c_open_ops(registry[i], target, params, out);
	hb_err("unknown I2C scheme '%s' in '%s' (known: ftdi-i2c i2c-dev vboard vtime-i2c)", scheme, uri);
	return HB_ERR_ARG;
}

const struct hb_i2c_ops *hb_i2c_backend(size_t i)
{
	return i < sizeof registry / sizeof registry[0] ? registry[i] : NULL;
}

const struct hb_i2c_ops *hb_i2c_find(const char *scheme)
{
	for (size_t i = 0; scheme && i < sizeof registry / sizeof registry[0]; i++)
		if (strcmp(registry[i]->scheme, scheme) == 0)
			return registry[i];
	return NULL;
}

void hb_i2c_examples(int hardware, char *buf, size_t cap)
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

void hb_i2c_close(struct hb_i2c *bus)
{
	if (!bus)
		return;
	if (bus->ops->close)
		bus->ops->close(bus);
	free(bus);
}

static enum hb_status xfer(struct hb_i2c *bus, uint8_t addr7, const uint8_t *w, size_t wn,
			   uint8_t *r, size_t rn)
{
	if (!bus || addr7 > 0x7f || (wn && !w) || (rn && !r))
		return HB_ERR_ARG;
	return bus->ops->xfer(bus, addr7, w, wn, r, rn);
}

void hb_i2c_nack_str(const struct hb_i2c_msg *m, char *buf, size_t cap)
{
	if (m->nack_byte < 0)
		snprintf(buf, cap, "no NACK");
	else if (m->nack_byte == 0)
		snprintf(buf, cap, "address 0x%02x (%s)", m->addr7, m->wn || !m->rn ? "write" : "read");
	else if ((size_t)m->nack_byte <= m->wn)
		snprintf(buf, cap, "byte %d (0x%02x) of the write to 0x%02x", m->nack_byte - 1,
			 m->w[m->nack_byte - 1], m->addr7);
	else
		snprintf(buf, cap, "the read address 0x%02x after the repeated START", m->addr7);
}

enum hb_status hb_i2c_batch(struct hb_i2c *bus, struct hb_i2c_msg *m, size_t n)
{
	if (!bus || (n && !m))
		return HB_ERR_ARG;
	for (size_t i = 0; i < n; i++) {
		m[i].status = HB_ERR;
		m[i].nack_byte = -1;
		if (m[i].addr7 > 0x7f || (m[i].wn && !m[i].w) || (m[i].rn && !m[i].r))
			return HB_ERR_ARG;
	}
	if (bus->ops->batch)
		return bus->ops->batch(bus, m, n);
	enum hb_status first = HB_OK;
	for (size_t i = 0; i < n; i++) {
		m[i].status = bus->ops->xfer(bus, m[i].addr7, m[i].w, m[i].wn, m[i].r, m[i].rn);
		if (m[i].status == HB_ERR_NACK)
			m[i].nack_byte = 0; /* this backend does not say which byte */
		if (m[i].status != HB_OK && first == HB_OK)
			first = m[i].status;
		if (m[i].status != HB_OK && m[i].status != HB_ERR_NACK)
			break; /* the bus itself failed: stop */
	}
	return first;
}

enum hb_status hb_i2c_write(struct hb_i2c *bus, uint8_t addr7, const uint8_t *w, size_t wn)
{
	return xfer(bus, addr7, w, wn, NULL, 0);
}

enum hb_status hb_i2c_read(struct hb_i2c *bus, uint8_t addr7, uint8_t *r, size_t rn)
{
	return xfer(bus, addr7, NULL, 0, r, rn);
}

enum hb_status hb_i2c_write_read(struct hb_i2c *bus, uint8_t addr7, const uint8_t *w, size_t wn,
				 uint8_t *r, size_t rn)
{
	return xfer(bus, addr7, w, wn, r, rn);
}
