/* An FTDI MPSSE engine for tests, executing the command stream hilbench sends at pin level.
 *
 * Pins: ADBUS0 = SCL (TCK), ADBUS1 = SDA out (TDI/DO), ADBUS2 = SDA in (TDO/DI), tied
 * together on an open-drain bus with pull-ups: a line is low when anyone drives it low
 * (the master through an output at 0, a target, a target stuck mid-byte). Commands:
 * 0x80/0x82 set pins, 0x81/0x83 read pins, 0x11/0x13 clock bytes/bits out on the falling
 * edge, 0x20/0x22 clock bytes/bits in on the rising edge (MSB first; a bit read lands in
 * bit 0 of the answer byte), 0x8E clock bits without data, 0x86 divisor, 0x8A/0x8B
 * divide-by-5 off/on, 0x8C/0x8D three-phase on/off, 0x84/0x85 loopback, 0x97 adaptive
 * clocking off, 0x87 send immediate; anything else is answered 0xFA <opcode>.
 *
 * I2C targets see the bus bit by bit: START and STOP are SDA edges while SCL is high, data
 * is sampled at SCL rising edges, a target drives its ACK and its read data after falling
 * edges and releases SDA after the ninth clock. Byte-level targets (fake_i2c_target) sit
 * behind that engine.
 *
 * Time: every command takes simulated time from t_ns on: a bit lasts
 * (three-phase ? 3 : 2) * (1 + divisor) / (div5 off ? 60 MHz : 12 MHz), i.e. 2.5 us at the
 * 400 kHz divisor 49; a command that clocks nothing takes cmd_ns (assumed 100 ns). Targets
 * see each event at its time (fake_mpsse.t_ns). Answer bytes carry the time they were made;
 * 0x87 marks them sent. */
#ifndef FAKE_MPSSE_H
#define FAKE_MPSSE_H

#include <stddef.h>
#include <stdint.h>

#include "fake_i2c_bus.h"

struct fake_mpsse {
	/* low byte as the MPSSE drives it, and the bus lines */
	uint8_t val, dir;
	int scl, sda;
	/* the bus: byte-level targets behind a bit-level engine */
	struct fake_i2c_bus *bus;
	struct {
		int state;       /* see fake_mpsse.c */
		int is_addr, bits, rw;
		uint8_t sh, tx;
		int sda;         /* 1 = released */
		struct fake_i2c_target *t;
	} tgt;
	int stuck_pulses;        /* a target holds SDA low for this many more SCL rising edges */
	/* settings */
	unsigned divisor;
	int three_phase, div5_off, adaptive_off, loopback_off;
	/* time */
	uint64_t t_ns;           /* simulated time of the command being executed */
	uint64_t cmd_ns;         /* a command that clocks nothing (0 = 100 ns) */
	/* answer bytes: out[outoff..outn), made at out_t[], sent (0x87) at out_sent[] (0 = not) */
	uint8_t out[8192];
	uint64_t out_t[8192], out_sent[8192];
	size_t outn, outoff;
	/* a command split across writes waits here for its remaining bytes */
	uint8_t pend[8];
	size_t pendn;
	/* statistics */
	unsigned starts, stops, bad_opcodes, nacks, bytes_acked;
	uint64_t bits_clocked, send_immediates;
};

/* Power-on state (all pins inputs, bus idle high). Keeps bus and stuck_pulses. */
void fake_mpsse_reset(struct fake_mpsse *m);
/* Execute n command bytes (prefixed by any bytes left pending by the previous call). */
void fake_mpsse_exec(struct fake_mpsse *m, const uint8_t *c, size_t n);
/* Duration of one clocked bit with the current settings, ns. */
uint64_t fake_mpsse_bit_ns(const struct fake_mpsse *m);
/* Drop all answer bytes (purge). */
void fake_mpsse_purge(struct fake_mpsse *m);

#endif
