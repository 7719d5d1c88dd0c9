/* hilbench — i2c-dev: bus, Linux /dev/i2c-N through the I2C_RDWR ioctl (one combined
 * transaction: write message, repeated START, read message).
 * URI: i2c-dev:/dev/i2c-1 (no parameters). */
#include <errno.h>
#include <fcntl.h>
#include <linux/i2c-dev.h>
#include <linux/i2c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hb_i2c.h"
#include "hb_i2c_dev.h"
#include "hb_params.h"

#define LOG_PREFIX "i2c-dev"
#include "hb_log.h"

static int real_ioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg);
}

static int real_open(const char *path, int flags)
{
	return open(path, flags);
}

static const struct hb_i2cdev_api real = {.open = real_open, .ioctl = real_ioctl, .close = close};
struct hb_i2cdev_api hb_i2cdev_api = {.open = real_open, .ioctl = real_ioctl, .close = close};

void hb_i2cdev_api_reset(void)
{
	hb_i2cdev_api = real;
}

struct dev_priv {
	int fd;
	char path[200];
};

/* The one place where errno from i2c-dev becomes a status. */
static enum hb_status dev_status(const char *path, int err, const char *what, unsigned addr)
{
	switch (err) {
	case ENXIO:     /* most adapters: address NACK */
	case EREMOTEIO: /* some adapters: NACK */
		hb_dbg("%s: %s: 0x%02x not acknowledged", path, what, addr);
		return HB_ERR_NACK;
	case ETIMEDOUT:
		hb_err("%s: %s: bus timeout (stuck bus or clock stretching)", path, what);
		return HB_ERR_TIMEOUT;
	case EAGAIN:
		hb_err("%s: %s: arbitration lost", path, what);
		return HB_ERR_BUSY;
	case ENOENT:
		hb_err("%s: no such adapter (modprobe i2c-dev?)", path);
		return HB_ERR_NOTFOUND;
	case EACCES:
	case EPERM:
		hb_err("%s: permission denied (add the user to group i2c)", path);
		return HB_ERR_PERM;
	case EBUSY:
		hb_err("%s: %s: busy", path, what);
		return HB_ERR_BUSY;
	case ENODEV:
	case ESHUTDOWN:
		hb_err("%s: %s: adapter gone", path, what);
		return HB_ERR_GONE;
	case EOPNOTSUPP:
		hb_err("%s: %s: adapter cannot do plain I2C transfers", path, what);
		return HB_ERR_UNSUPPORTED;
	default:
		hb_err("%s: %s: %s", path, what, strerror(err));
		return HB_ERR_IO;
	}
}

static enum hb_status dev_open(struct hb_i2c *bus, const char *target, const char *params)
{
	struct hb_params prm;
	enum hb_status st = hb_params_parse(&prm, params);
	if (st == HB_OK)
		st = hb_params_finish(&prm, "i2c-dev");
	if (st != HB_OK)
		return st;
	if (!*target || strlen(target) >= sizeof((struct dev_priv *)0)->path) {
		hb_err("i2c-dev: a device path is needed (i2c-dev:/dev/i2c-1)");
		return HB_ERR_ARG;
	}
	struct dev_priv *p = calloc(1, sizeof *p);
	if (!p)
		return HB_ERR_NOMEM;
	strcpy(p->path, target);
	p->fd = hb_i2cdev_api.open(target, O_RDWR | O_CLOEXEC);
	if (p->fd < 0) {
		st = dev_status(target, errno, "open", 0);
		free(p);
		return st;
	}
	unsigned long funcs = 0;
	if (hb_i2cdev_api.ioctl(p->fd, I2C_FUNCS, &funcs) != 0) {
		st = dev_status(target, errno, "I2C_FUNCS", 0);
	} else if (!(funcs & I2C_FUNC_I2C)) {
		hb_err("%s: adapter has no plain I2C (I2C_RDWR) support (SMBus only)", target);
		st = HB_ERR_UNSUPPORTED;
	}
	if (st != HB_OK) {
		hb_i2cdev_api.close(p->fd);
		free(p);
		return st;
	}
	bus->priv = p;
	return HB_OK;
}

static void dev_close(struct hb_i2c *bus)
{
	struct dev_priv *p = bus->priv;
	if (!p)
		return;
	hb_i2cdev_api.close(p->fd);
	free(p);
	bus->priv = NULL;
}

static enum hb_status dev_xfer(struct hb_i2c *bus, uint8_t addr7, const uint8_t *w, size_t wn,
			       uint8_t *r, size_t rn)
{
	struct dev_priv *p = bus->priv;
	struct i2c_msg msgs[2];
	unsigned n = 0;
	if (wn > 8192 || rn > 8192)
		return HB_ERR_RANGE;
	if (wn || !rn)
		msgs[n++] = (struct i2c_msg){.addr = addr7, .flags = 0, .len = (__u16)wn,
					     .buf = (__u8 *)w};
	if (rn)
		msgs[n++] = (struct i2c_msg){.addr = addr7, .flags = I2C_M_RD, .len = (__u16)rn,
					     .buf = r};
	struct i2c_rdwr_ioctl_data data = {.msgs = msgs, .nmsgs = n};
	if (hb_i2cdev_api.ioctl(p->fd, I2C_RDWR, &data) < 0)
		return dev_status(p->path, errno, "I2C_RDWR", addr7);
	return HB_OK;
}

const struct hb_i2c_ops hb_i2c_dev_ops = {
	.scheme = "i2c-dev",
	.description = "Linux i2c-dev adapter via I2C_RDWR (i2c-dev:/dev/i2c-1)",
	.example = "i2c-dev:/dev/i2c-N",
	.hardware = 1,
	.open = dev_open,
	.close = dev_close,
	.xfer = dev_xfer,
};
