/* hilbench — the virtual board's time socket: wire format (docs/vboard.md, "Virtual time").
 *
 * One Unix stream socket (`vtime.sock`), one connection per host thread that talks to the
 * board (a "port"). Every message is a 12-byte header, little-endian, then `len` payload
 * bytes:
 *
 *   request  u8 op, u8 flags, u16 len, u64 arg
 *   reply    u8 op, u8 status, u16 len, u64 cycle      (cycle = the board's time now)
 *
 * Time is the board's cycle count. The board advances only while every connected port is
 * waiting (or parked), and only up to the earliest deadline of the waiting ports: a port
 * that is computing (it has a reply and has not sent its next WAIT) holds time where it is.
 * So every action a port takes happens at a defined simulated cycle. */
#ifndef HB_VTIME_PROTO_H
#define HB_VTIME_PROTO_H

#include <stdint.h>

#define HB_VT_HDR 12u
#define HB_VT_MAX_PAYLOAD 4096u

enum hb_vt_op {
	/* requests */
	HB_VT_HELLO = 'H', /* register; reply TIME with payload: f64 clock_hz, f64 baud */
	HB_VT_UART = 'U',  /* payload: bytes for the UART RX pin, queued at this cycle; no reply */
	HB_VT_FLUSH = 'F', /* discard UART bytes the board sent and nobody took yet; no reply */
	HB_VT_I2C = 'I',   /* payload: addr7, wn, rn, w[wn]; reply I2C: status, r[rn] if status 0 */
	HB_VT_WAIT = 'W',  /* arg: deadline cycle; flags: HB_VT_WAKE_RX; reply TIME (+ RX bytes) */
	HB_VT_PARK = 'P',  /* this port holds no time until its next request; no reply */
	HB_VT_NOW = 'Q',   /* reply TIME (and the port holds time again) */
	/* Byte-level I2C, for a bit-level bus master such as an emulated FTDI MPSSE engine
	 * (docs/vboard.md): */
	HB_VT_I2C_ADDR = 'a',  /* arg: addr7 << 1 | R; a (repeated) START and the address byte;
				* reply I2C: status 0 ACK, 1 NACK */
	HB_VT_I2C_WBYTE = 'b', /* arg: the byte; reply I2C: status 0 ACK, 2 NACK */
	HB_VT_I2C_RBYTE = 'c', /* arg: 1 if the master ACKs it; reply I2C: status 0, payload 1 byte
				* (0xFF when no target drives the bus) */
	HB_VT_I2C_STOP = 'd',  /* STOP; no reply */
	/* replies */
	HB_VT_TIME = 'T',
	HB_VT_I2C_REPLY = 'R',
};

enum hb_vt_flags {
	HB_VT_WAKE_RX = 1u << 0, /* WAIT: also wake when the board has UART bytes for the host;
				  * the reply carries them (at most HB_VT_MAX_PAYLOAD) */
	HB_VT_CH_PROBE = 1u << 1, /* UART, FLUSH, WAIT: the bench probe's UART (a board started
				   * with --probe, docs/probe.md section 7) instead of the
				   * gateware's: a second channel with its own bytes each way */
};

/* I2C reply status, as on the I2C socket: 0 ACK, 1 address NACK, 2 data NACK, 3 bus error. */

static inline void hb_vt_put_hdr(uint8_t *p, uint8_t op, uint8_t b1, uint16_t len, uint64_t v)
{
	p[0] = op;
	p[1] = b1;
	p[2] = (uint8_t)len;
	p[3] = (uint8_t)(len >> 8);
	for (int i = 0; i < 8; i++)
		p[4 + i] = (uint8_t)(v >> (8 * i));
}

static inline void hb_vt_get_hdr(const uint8_t *p, uint8_t *op, uint8_t *b1, uint16_t *len,
				 uint64_t *v)
{
	*op = p[0];
	*b1 = p[1];
	*len = (uint16_t)(p[2] | p[3] << 8);
	*v = 0;
	for (int i = 0; i < 8; i++)
		*v |= (uint64_t)p[4 + i] << (8 * i);
}

#endif
