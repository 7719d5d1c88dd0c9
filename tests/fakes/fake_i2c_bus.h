/* A fake I2C bus: an hb_i2c whose transactions are played, byte by byte, against
 * simulated targets (start/write/read/stop, like the wire). Targets are shared with the
 * fake MPSSE, which drives the same byte-level interface from pin wiggles. */
#ifndef FAKE_I2C_BUS_H
#define FAKE_I2C_BUS_H

#include <stdint.h>

#include "hb_i2c.h"

struct fake_i2c_target {
	void *ctx;
	uint8_t addr7;
	/* Address phase: return 1 for ACK. */
	int (*start)(void *ctx, int read);
	/* Master wrote a byte: return 1 for ACK. */
	int (*write)(void *ctx, uint8_t b);
	/* Master reads a byte. */
	uint8_t (*read)(void *ctx);
	void (*stop)(void *ctx);
};

#define FAKE_I2C_MAX_TARGETS 4
struct fake_i2c_bus {
	struct fake_i2c_target t[FAKE_I2C_MAX_TARGETS];
	unsigned n;
	unsigned transactions;
	int fail_with; /* nonzero: every transfer returns this hb_status */
	/* called after each transaction through the hb_i2c (a test can make time pass there:
	 * a host thread held up between asking and getting the answer) */
	void (*after)(void *ctx, uint8_t addr7, const uint8_t *w, unsigned wn, const uint8_t *r,
		      unsigned rn);
	void *after_ctx;
};

/* Open an hb_i2c on the fake bus (close with hb_i2c_close). */
enum hb_status fake_i2c_bus_open(struct fake_i2c_bus *fb, struct hb_i2c **out);
/* The target answering addr7, or NULL. */
struct fake_i2c_target *fake_i2c_bus_find(struct fake_i2c_bus *fb, uint8_t addr7);
/* Play one transaction (also used by the fake vboard server): 0 ok, 1 addr NACK, 2 data NACK. */
int fake_i2c_bus_xfer(struct fake_i2c_bus *fb, uint8_t addr7, const uint8_t *w, unsigned wn,
		      uint8_t *r, unsigned rn);

#endif
