/* A fake FTDI chip behind the hb_ftdi_api table: USB open errors as libftdi1 reports them,
 * UART mode (what the chip received waits in rx, what it sent lands in tx), baud rates
 * refused the way libftdi refuses them, the latency timer, purge, a device that vanishes
 * mid-read, and MPSSE mode executed at pin level by fake_mpsse (I2C targets on the bus).
 * With a clock installed (fake_ftdi.clock, normally a fake clock) USB takes simulated time:
 * 125 us microframes on the high-speed parts (0403:6010/6011/6014), 1 ms frames otherwise;
 * a reply needs the next (micro)frame; the MPSSE's commands take their bus time. */
#ifndef FAKE_FTDI_H
#define FAKE_FTDI_H

#include <stddef.h>
#include <stdint.h>

#include "fake_i2c_bus.h"
#include "fake_mpsse.h"
#include "hb_clock.h"

struct fake_ftdi {
	uint16_t vid, pid;
	char serial[64];
	int open_ret;         /* forced result of usb_open_desc_index (0 = normal) */
	const char *open_msg; /* its error string */
	int iface, detach_mode, opened, closed, freed;
	int baud, bits, stop, parity, flow, latency, bitmode, bitmask, purges;
	int read_timeout_ms, write_timeout_ms;
	/* UART mode */
	uint8_t rx[4096];
	size_t rxn, rxoff;
	uint8_t tx[4096];
	size_t txn;
	int reads, vanish_at_read; /* read number vanish_at_read fails with NO_DEVICE (0 = never) */
	struct fake_mpsse mpsse;
	const char *err;
	/* USB timing: NULL = untimed (answers are there at once) */
	struct hb_clock *clock;
	unsigned usb_writes, usb_reads;
};

extern struct fake_ftdi fake_ftdi;
/* Reset the fake (an FT2232H 0403:6010 serial "FT000001") and install it into hb_ftdi_api. */
void fake_ftdi_install(void);
void fake_ftdi_uninstall(void);
/* Bytes the chip "received on its RX pin", to be read by the host. */
void fake_ftdi_feed(const void *buf, size_t n);
/* The USB (micro)frame of the fake's chip (from its PID), ns. */
uint64_t fake_ftdi_frame_ns(void);

#endif
