#include "fake_i2c_bus.h"

#include <string.h>

struct fake_i2c_target *fake_i2c_bus_find(struct fake_i2c_bus *fb, uint8_t addr7)
{
	for (unsigned i = 0; i < fb->n; i++)
		if (fb->t[i].addr7 == addr7)
			return &fb->t[i];
	return NULL;
}

int fake_i2c_bus_xfer(struct fake_i2c_bus *fb, uint8_t addr7, const uint8_t *w, unsigned wn,
		      uint8_t *r, unsigned rn)
{
	struct fake_i2c_target *t = fake_i2c_bus_find(fb, addr7);
	fb->transactions++;
	if (!t)
		return 1;
	int rc = 0;
	if (wn || !rn) {
		if (!t->start(t->ctx, 0)) {
			rc = 1;
			goto out;
		}
		for (unsigned i = 0; i < wn; i++) {
			if (!t->write(t->ctx, w[i])) {
				rc = 2;
				goto out;
			}
		}
	}
	if (rn) {
		if (!t->start(t->ctx, 1)) {
			rc = 1;
			goto out;
		}
		for (unsigned i = 0; i < rn; i++)
			r[i] = t->read(t->ctx);
	}
out:
	t->stop(t->ctx);
	return rc;
}

static enum hb_status fb_xfer(struct hb_i2c *bus, uint8_t addr7, const uint8_t *w, size_t wn,
			      uint8_t *r, size_t rn)
{
	struct fake_i2c_bus *fb = bus->priv;
	if (fb->fail_with)
		return (enum hb_status)fb->fail_with;
	int rc = fake_i2c_bus_xfer(fb, addr7, w, (unsigned)wn, r, (unsigned)rn);
	if (fb->after)
		fb->after(fb->after_ctx, addr7, w, (unsigned)wn, r, (unsigned)rn);
	return rc ? HB_ERR_NACK : HB_OK;
}

static const struct hb_i2c_ops fake_ops = {
	.scheme = "fake",
	.description = "fake I2C bus (tests)",
	.xfer = fb_xfer,
};

enum hb_status fake_i2c_bus_open(struct fake_i2c_bus *fb, struct hb_i2c **out)
{
	enum hb_status st = hb_i2c_open_ops(&fake_ops, "fake", NULL, out);
	if (st == HB_OK)
		(*out)->priv = fb;
	return st;
}
