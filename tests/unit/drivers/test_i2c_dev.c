/* i2c-dev: the I2C_RDWR path through a fake open/ioctl/close (hb_i2cdev_api). */
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/i2c-dev.h>
#include <linux/i2c.h>
#include <string.h>

#include "fake_clock.h"
#include "fake_i2c_bus.h"
#include "fake_ina219.h"
#include "hb_i2c.h"
#include "hb_i2c_dev.h"
#include "hb_ina2xx.h"

static struct fake_ina219 chip;
static struct fake_i2c_bus fbus;
static int open_errno, closes, rdwr_errno;
static unsigned long funcs = I2C_FUNC_I2C;
static unsigned nmsgs_seen[2];

static int f_open(const char *path, int flags)
{
	(void)flags;
	if (open_errno) {
		errno = open_errno;
		return -1;
	}
	return strcmp(path, "/dev/i2c-7") == 0 ? 42 : (errno = ENOENT, -1);
}

static int f_ioctl(int fd, unsigned long req, void *arg)
{
	cr_assert_eq(fd, 42);
	if (req == I2C_FUNCS) {
		*(unsigned long *)arg = funcs;
		return 0;
	}
	if (req != I2C_RDWR) {
		errno = ENOTTY;
		return -1;
	}
	if (rdwr_errno) {
		errno = rdwr_errno;
		return -1;
	}
	struct i2c_rdwr_ioctl_data *d = arg;
	nmsgs_seen[d->nmsgs - 1]++;
	const uint8_t *w = NULL;
	uint8_t *r = NULL;
	unsigned wn = 0, rn = 0, addr = d->msgs[0].addr;
	for (unsigned i = 0; i < d->nmsgs; i++) {
		cr_assert_eq(d->msgs[i].addr, addr, "one target per transaction");
		if (d->msgs[i].flags & I2C_M_RD)
			r = d->msgs[i].buf, rn = d->msgs[i].len;
		else
			w = d->msgs[i].buf, wn = d->msgs[i].len;
	}
	int rc = fake_i2c_bus_xfer(&fbus, (uint8_t)addr, w, wn, r, rn);
	if (rc) {
		errno = ENXIO;
		return -1;
	}
	return (int)d->nmsgs;
}

static int f_close(int fd)
{
	(void)fd;
	closes++;
	return 0;
}

static void setup(void)
{
	hb_i2cdev_api = (struct hb_i2cdev_api){.open = f_open, .ioctl = f_ioctl, .close = f_close};
	fake_ina219_init(&chip, 0x40, hb_clock_system());
	memset(&fbus, 0, sizeof fbus);
	fbus.t[fbus.n++] = fake_ina219_target(&chip);
	open_errno = rdwr_errno = closes = 0;
	funcs = I2C_FUNC_I2C;
	memset(nmsgs_seen, 0, sizeof nmsgs_seen);
}

TestSuite(i2c_dev, .init = setup, .fini = hb_i2cdev_api_reset);

Test(i2c_dev, combined_write_read_and_ina219)
{
	struct hb_i2c *bus;
	cr_assert_eq(hb_i2c_open("i2c-dev:/dev/i2c-7", &bus), HB_OK);
	struct hb_ina2xx dev;
	struct hb_ina2xx_config c = {.shunt_uohm = 100000, .max_current_uA = 2000000,
				     .bus_adc = -1, .shunt_adc = -1, .mode = -1};
	cr_assert_eq(hb_ina2xx_init(&dev, bus, 0x40, HB_INA219, &c), HB_OK);
	cr_assert_eq(chip.cal, 4096);
	cr_assert_gt(nmsgs_seen[1], 0, "register reads are one combined transaction");
	cr_assert_gt(nmsgs_seen[0], 0, "register writes are one message");
	uint8_t v;
	cr_assert_eq(hb_i2c_read(bus, 0x41, &v, 1), HB_ERR_NACK);
	hb_i2c_close(bus);
	cr_assert_eq(closes, 1);
}

Test(i2c_dev, errors)
{
	struct hb_i2c *bus;
	cr_assert_eq(hb_i2c_open("i2c-dev:/dev/i2c-3", &bus), HB_ERR_NOTFOUND);
	open_errno = EACCES;
	cr_assert_eq(hb_i2c_open("i2c-dev:/dev/i2c-7", &bus), HB_ERR_PERM);
	open_errno = 0;
	funcs = 0; /* SMBus-only adapter */
	cr_assert_eq(hb_i2c_open("i2c-dev:/dev/i2c-7", &bus), HB_ERR_UNSUPPORTED);
	cr_assert_eq(closes, 1);
	funcs = I2C_FUNC_I2C;
	cr_assert_eq(hb_i2c_open("i2c-dev:/dev/i2c-7?speed=1", &bus), HB_ERR_ARG);
	cr_assert_eq(hb_i2c_open("i2c-dev:/dev/i2c-7", &bus), HB_OK);
	uint8_t v[2], reg = 0;
	rdwr_errno = ETIMEDOUT;
	cr_assert_eq(hb_i2c_write_read(bus, 0x40, &reg, 1, v, 2), HB_ERR_TIMEOUT);
	rdwr_errno = EREMOTEIO;
	cr_assert_eq(hb_i2c_write_read(bus, 0x40, &reg, 1, v, 2), HB_ERR_NACK);
	rdwr_errno = ENODEV;
	cr_assert_eq(hb_i2c_write_read(bus, 0x40, &reg, 1, v, 2), HB_ERR_GONE);
	hb_i2c_close(bus);
}
