/* A fake FTDI chip behind the hb_ftdi_api table: USB open errors as libftdi1 reports them,
 * UART mode (what the chip received waits in rx, what it sent lands in tx), the latency
 * timer, purge, a device that vanishes mid-read, and MPSSE mode driven by fake_mpsse. */
#ifndef FAKE_FTDI_H
#define FAKE_FTDI_H

#include <stddef.h>
#include <stdint.h>

#include "fake_i2c_bus.h"

struct fake_mpsse {
	/* GPIO low byte as the MPSSE drives it */
	uint8_t val, dir;
	int scl, sda; /* bus line levels */
	struct fake_i2c_bus *bus;
	struct fake_i2c_target *cur;
	int phase;       /* 0 idle, 1 address expected, 2 target receiving, 3 target sending */
	int pending_ack; /* 0 = ACK for the next ACK-bit read, 1 = NACK */
	int master_nacked;
	int stuck_pulses; /* a target holds SDA low for this many more SCL rising edges */
	unsigned divisor;
	int three_phase, div5_off, adaptive_off, loopback_off;
	unsigned starts, stops, bad_opcodes;
	uint8_t out[8192];
	size_t outn, outoff;
};

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
};

extern struct fake_ftdi fake_ftdi;
/* Reset the fake (an FT2232H 0403:6010 serial "FT000001") and install it into hb_ftdi_api. */
void fake_ftdi_install(void);
void fake_ftdi_uninstall(void);
/* Bytes the chip "received on its RX pin", to be read by the host. */
void fake_ftdi_feed(const void *buf, size_t n);

#endif
