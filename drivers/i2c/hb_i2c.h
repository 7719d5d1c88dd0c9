/* hilbench — I2C bus seam.
 *
 * Backends, chosen by URI:
 *   ftdi-i2c://0403:6014:<serial>/1?speed=400000   FTDI MPSSE (FT232H/FT2232H), libftdi1
 *   i2c-dev:/dev/i2c-1                             Linux i2c-dev (I2C_RDWR)
 *   vboard:/path/to/i2c.sock                       the virtual board's bus (docs/vboard.md)
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

/* One transaction of a batch: START addr+W w[0..wn) [Sr addr+R r[0..rn)] STOP. */
struct hb_i2c_msg {
	uint8_t addr7;
	const uint8_t *w;
	size_t wn;
	uint8_t *r;
	size_t rn;
	/* results */
	enum hb_status status; /* HB_OK, HB_ERR_NACK, or the error that stopped the batch */
	int nack_byte;         /* which byte was not acknowledged: 0 = the address (addr+W, or
				  addr+R of a pure read), 1..wn = w[k-1], wn + 1 = addr+R after
				  the repeated START; -1 = none */
};

/* "address 0x40", "byte 2 (0x12) of the write to 0x40", "the read address 0x40 after the
 * repeated START": what msg->nack_byte names, for messages. */
void hb_i2c_nack_str(const struct hb_i2c_msg *m, char *buf, size_t cap);

struct hb_i2c_ops {
	const char *scheme;
	const char *description;
	const char *example;  /* a URI for messages: "i2c-dev:/dev/i2c-N" */
	int hardware;         /* reaches a real bus (a hardware board's monitors may use it);
				 0 = the virtual board's */
	enum hb_status (*open)(struct hb_i2c *bus, const char *target, const char *params);
	void (*close)(struct hb_i2c *bus);
	/* One transaction: START addr+W w[0..wn) [REPEATED START addr+R r[0..rn)] STOP.
	 * wn == 0: a pure read; rn == 0: a pure write. */
	enum hb_status (*xfer)(struct hb_i2c *bus, uint8_t addr7, const uint8_t *w, size_t wn,
			       uint8_t *r, size_t rn);
	/* Optional: several transactions as one exchange with the adapter (ftdi-i2c: one USB
	 * write, one read). Fills each msg's status; returns the first failure. NULL: the
	 * registry runs them one by one through xfer. */
	enum hb_status (*batch)(struct hb_i2c *bus, struct hb_i2c_msg *m, size_t n);
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
/* The registered backends, in order (i < n); NULL past the end. */
const struct hb_i2c_ops *hb_i2c_backend(size_t i);
/* The backend of a scheme ("ftdi-i2c"), or NULL. */
const struct hb_i2c_ops *hb_i2c_find(const char *scheme);
/* The examples of the backends with ops->hardware == hardware, as "a, b or c". */
void hb_i2c_examples(int hardware, char *buf, size_t cap);
enum hb_status hb_i2c_write(struct hb_i2c *bus, uint8_t addr7, const uint8_t *w, size_t wn);
enum hb_status hb_i2c_read(struct hb_i2c *bus, uint8_t addr7, uint8_t *r, size_t rn);
enum hb_status hb_i2c_write_read(struct hb_i2c *bus, uint8_t addr7, const uint8_t *w, size_t wn,
				 uint8_t *r, size_t rn);
/* Run n transactions back to back (each with its own START and STOP). All of them are
 * attempted; each msg says how it went; the return is the first failure (HB_OK if none).
 * A bus that cannot queue them runs them one by one (nack_byte is then -1 or 0 only when
 * the backend cannot tell which byte). */
enum hb_status hb_i2c_batch(struct hb_i2c *bus, struct hb_i2c_msg *m, size_t n);

#ifdef __cplusplus
}
#endif
#endif
