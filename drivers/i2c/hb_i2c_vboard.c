/* hilbench — vboard: I2C bus, client of the virtual board's I2C socket (docs/vboard.md).
 * URI: vboard:/path/to/i2c.sock[?timeout=MS]  (reply timeout, default 1000 ms).
 * Request 'X' addr7 wn rn w[wn]; reply status (0 ok, 1 addr NACK, 2 data NACK, 3 bus error)
 * then rn bytes when the status is 0. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hb_i2c.h"
#include "hb_params.h"
#include "hb_tr_sock.h"

#define LOG_PREFIX "vboard-i2c"
#include "hb_log.h"

struct vb_priv {
	int fd;
	int timeout_ms;
	int desync; /* a reply timed out: the stream may hold a late answer */
	char path[108];
	char who[200];
};

static enum hb_status vb_open(struct hb_i2c *bus, const char *target, const char *params)
{
	struct hb_params prm;
	unsigned long to = 1000;
	enum hb_status st = hb_params_parse(&prm, params);
	if (st == HB_OK)
		st = hb_params_take_uint(&prm, "vboard", "timeout", 1, 600000, &to);
	if (st == HB_OK)
		st = hb_params_finish(&prm, "vboard");
	if (st != HB_OK)
		return st;
	struct vb_priv *p = calloc(1, sizeof *p);
	if (!p)
		return HB_ERR_NOMEM;
	p->timeout_ms = (int)to;
	snprintf(p->path, sizeof p->path, "%s", target);
	snprintf(p->who, sizeof p->who, "vboard:%s", target);
	st = hb_sock_connect_unix(target, p->timeout_ms, &p->fd);
	if (st != HB_OK) {
		free(p);
		return st;
	}
	bus->priv = p;
	return HB_OK;
}

static void vb_close(struct hb_i2c *bus)
{
	struct vb_priv *p = bus->priv;
	if (!p)
		return;
	if (p->fd >= 0)
		close(p->fd);
	free(p);
	bus->priv = NULL;
}

static enum hb_status vb_xfer(struct hb_i2c *bus, uint8_t addr7, const uint8_t *w, size_t wn,
			      uint8_t *r, size_t rn)
{
	struct vb_priv *p = bus->priv;
	uint8_t req[4 + 255];
	if (wn > 255 || rn > 255) {
		hb_err("%s: transfer of %zu/%zu bytes exceeds the protocol's 255", p->who, wn, rn);
		return HB_ERR_RANGE;
	}
	if (p->desync) {
		/* A late reply could be taken for the next one: start a fresh connection. */
		close(p->fd);
		p->fd = -1;
		enum hb_status rc = hb_sock_connect_unix(p->path, p->timeout_ms, &p->fd);
		if (rc != HB_OK)
			return rc == HB_ERR_NOTFOUND ? HB_ERR_GONE : rc;
		p->desync = 0;
	}
	req[0] = 'X';
	req[1] = addr7;
	req[2] = (uint8_t)wn;
	req[3] = (uint8_t)rn;
	if (wn)
		memcpy(req + 4, w, wn);
	enum hb_status st = hb_sock_write(p->fd, req, 4 + wn, p->timeout_ms, p->who);
	if (st != HB_OK)
		return st;
	uint8_t status;
	st = hb_sock_read_exact(p->fd, &status, 1, p->timeout_ms, p->who);
	if (st == HB_ERR_TIMEOUT) {
		hb_err("%s: no reply in %d ms (board stalled?)", p->who, p->timeout_ms);
		p->desync = 1;
	}
	if (st != HB_OK)
		return st;
	switch (status) {
	case 0:
		break;
	case 1:
		hb_dbg("%s: address 0x%02x not acknowledged", p->who, addr7);
		return HB_ERR_NACK;
	case 2:
		hb_dbg("%s: data byte not acknowledged by 0x%02x", p->who, addr7);
		return HB_ERR_NACK;
	case 3:
		hb_err("%s: bus error", p->who);
		return HB_ERR_IO;
	default:
		hb_err("%s: reply status %u is not in the protocol", p->who, status);
		p->desync = 1;
		return HB_ERR_PROTO;
	}
	if (rn)
		st = hb_sock_read_exact(p->fd, r, rn, p->timeout_ms, p->who);
	if (st == HB_ERR_TIMEOUT)
		p->desync = 1;
	return st;
}

const struct hb_i2c_ops hb_i2c_vboard_ops = {
	.scheme = "vboard",
	.description = "the virtual board's I2C socket (vboard:/path/i2c.sock)",
	.example = "vboard:",
	.hardware = 0,
	.open = vb_open,
	.close = vb_close,
	.xfer = vb_xfer,
};
