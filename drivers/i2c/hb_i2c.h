/* hilbench — I2C bus seam.
 *
 * Backends, chosen by URI:
 *   ftdi-i2c://0403:6014:<serial>/1?speed=400000   FTDI MPSSE (FT232H/FT2232H), libftdi1
 *   i2c-dev:/dev/i2c-1                             Linux i2c-dev (I2C_RDWR)
 *   vboard:/path/to/i2c.sock                       the virtual board's bus (docs/vboard.md)
 *   probe:serial:/dev/ttyACM0                      the bench probe's bus (docs/probe.md)
 * Addresses are 7-bit. A missing ACK on the address is HB_ERR_NACK. */
#ifndef HB_I2C_H
#define HB_I2C_H

#include <stddef.h>
#include <stdint.h>

#include "hb_status.h"

#ifdef __cplusplus
extern "C" {
#endif

struct hb_i2c;

struct hb_i2c_ops {
	const char *scheme;
	const char *description;
	enum hb_status (*open)(struct hb_i2c *bus, const char *target, const char *params);
	void (*close)(struct hb_i2c *bus);
	/* One transaction: START addr+W w[0..wn) [REPEATED START addr+R r[0..rn)] STOP.
	 * wn == 0: a pure read; rn == 0: a pure write. */
	enum hb_status (*xfer)(struct hb_i2c *bus, uint8_t addr7, const uint8_t *w, size_t wn,
			       uint8_t *r, size_t rn);
};

struct hb_i2c {
	const struct hb_i2c_ops *ops;
	void *priv;
	char uri[256];
};

enum hb_status hb_i2c_open(const char *uri, struct hb_i2c **out);
enum hb_status hb_i2c_open_ops(const struct hb_i2c_ops *ops, const char *target,
			       const char *params, struct hb_i2c **out);
void hb_i2c_close(struct hb_i2c *bus);
enum hb_status hb_i2c_write(struct hb_i2c *bus, uint8_t addr7, const uint8_t *w, size_t wn);
enum hb_status hb_i2c_read(struct hb_i2c *bus, uint8_t addr7, uint8_t *r, size_t rn);
enum hb_status hb_i2c_write_read(struct hb_i2c *bus, uint8_t addr7, const uint8_t *w, size_t wn,
				 uint8_t *r, size_t rn);

#ifdef __cplusplus
}
#endif
#endif
