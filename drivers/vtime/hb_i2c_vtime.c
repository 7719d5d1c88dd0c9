/* hilbench — vtime-i2c: the virtual board's I2C bus in simulated time (hb_vtime.h).
 * URI: vtime-i2c:/path/to/vtime.sock[?speed=HZ] (SCL, default 400000). The transaction
 * happens at the current simulated cycle; then the caller's simulated time moves on by the
 * bus time a real controller needs at that SCL rate: START, 9 clocks per byte (8 data + ACK)
 * for the address, the written bytes, the repeated START and address of a read, the read
 * bytes, STOP (about 1 clock each for START, Sr and STOP). */
#include <stdlib.h>

#include "hb_i2c.h"
#include "hb_params.h"
#include "hb_vtime.h"

#define LOG_PREFIX "vtime-i2c"
#include "hb_log.h"

struct priv {
	struct hb_vtime *vt;
	unsigned long speed;
};

static enum hb_status vi_open(struct hb_i2c *bus, const char *target, const char *params)
{
	struct hb_params prm;
	unsigned long speed = 400000;
	enum hb_status st = hb_params_parse(&prm, params);
	if (st == HB_OK)
		st = hb_params_take_uint(&prm, "vtime-i2c", "speed", 1000, 3400000, &speed);
	if (st == HB_OK)
		st = hb_params_finish(&prm, "vtime-i2c");
	if (st != HB_OK)
		return st;
	struct hb_vtime *vt = hb_vtime_find(target);
	if (!vt) {
		hb_err("vtime-i2c:%s: no virtual-time session is open for that board", target);
		return HB_ERR_NOTFOUND;
	}
	struct priv *p = calloc(1, sizeof *p);
	if (!p)
		return HB_ERR_NOMEM;
	p->vt = vt;
	p->speed = speed;
	bus->priv = p;
	return HB_OK;
}

static void vi_close(struct hb_i2c *bus)
{
	free(bus->priv);
	bus->priv = NULL;
}

/* SCL clocks of one transaction, as above. */
static unsigned clocks(size_t wn, size_t rn)
{
	unsigned c = 1 + 9 + 9 * (unsigned)wn + 1;
	if (rn)
		c += (wn ? 1 + 9 : 0) + 9 * (unsigned)rn;
	return c;
}

static enum hb_status vi_xfer(struct hb_i2c *bus, uint8_t addr7, const uint8_t *w, size_t wn,
			      uint8_t *r, size_t rn)
{
	struct priv *p = bus->priv;
	uint8_t status = 3;
	enum hb_status st = hb_vtime_i2c(p->vt, addr7, w, wn, r, rn, &status);
	if (st != HB_OK)
		return st;
	/* A NACKed address ends the transaction after its first byte. */
	unsigned c = status == 1 ? 1 + 9 + 1 : clocks(wn, rn);
	st = hb_vtime_sleep_ns(p->vt, (uint64_t)c * 1000000000ull / p->speed);
	if (st != HB_OK)
		return st;
	switch (status) {
	case 0: return HB_OK;
	case 1:
		hb_dbg("address 0x%02x not acknowledged", addr7);
		return HB_ERR_NACK;
	case 2:
		hb_dbg("data byte not acknowledged by 0x%02x", addr7);
		return HB_ERR_NACK;
	default:
		hb_err("bus error talking to 0x%02x", addr7);
		return HB_ERR_IO;
	}
}

const struct hb_i2c_ops hb_i2c_vtime_ops = {
	.scheme = "vtime-i2c",
	.description = "the virtual board's I2C bus in simulated time (vtime-i2c:/path/vtime.sock)",
	.open = vi_open,
	.close = vi_close,
	.xfer = vi_xfer,
};
