/* hilbench bench probe — framing: CRCs, frame headers, the request receiver.
 *
 * The frame is the link protocol's (docs/protocol.md §2), byte for byte; this is a compact
 * re-implementation for the MCU (no allocation, no pthread, a 72-byte receive buffer, a
 * 16-entry CRC table) rather than a build of drivers/link/hb_link_codec.c, whose decoder
 * holds a 1 KiB frame buffer and whose sliced CRC-16 needs 4 KiB of tables.
 * tests/unit/firmware/test_probe_frame.c checks both against each other. */
#ifndef HBP_FRAME_H
#define HBP_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "hbp_proto.h"

uint8_t hbp_crc8(uint8_t crc, const uint8_t *p, size_t n);
uint16_t hbp_crc16(uint16_t crc, const uint8_t *p, size_t n);

/* Write the 6-byte header for (type, seq, len) into h. Returns the CRC-16 state after the
 * header (continue it over the payload, then send it low byte first). */
uint16_t hbp_frame_header(uint8_t *h, uint8_t type, uint8_t seq, uint16_t len);
/* A whole frame into out (len + 8 bytes); returns its length. */
size_t hbp_frame_build(uint8_t *out, uint8_t type, uint8_t seq, const uint8_t *payload,
		       uint16_t len);

/* Receiver for requests (payload <= HBP_MAX_REQ_PAYLOAD), with the link protocol's
 * receiver rules: hunt for SOF, re-scan after a bad header, OVERSIZE, BAD_CRC, and an
 * inter-byte timeout. */
enum hbp_rx_event {
	HBP_RX_NONE = 0,
	HBP_RX_FRAME,    /* a good frame: type, seq, len, payload */
	HBP_RX_BAD_HCRC, /* type/seq as received (unchecked) */
	HBP_RX_OVERSIZE,
	HBP_RX_BAD_CRC,
	HBP_RX_TIMEOUT,
};

struct hbp_rx {
	uint8_t state, n;
	uint16_t need;
	uint8_t buf[HBP_HDR_LEN + HBP_MAX_REQ_PAYLOAD + 2];
	uint8_t replay[2 * HBP_HDR_LEN];
	uint8_t replay_n, replay_pos;
	uint32_t garbage;
	/* the last event */
	uint8_t type, seq;
	uint16_t len;
	const uint8_t *payload;
};

void hbp_rx_init(struct hbp_rx *r);
/* Feed one byte (and then any bytes queued for re-scan: call again with more=0... see
 * hbp_rx_pending). Returns the event the byte completed, or NONE. */
enum hbp_rx_event hbp_rx_byte(struct hbp_rx *r, uint8_t b);
/* Bytes waiting to be re-scanned after a bad header: feed them (hbp_rx_replay) before new
 * input. Returns NONE when there are none left or the next one completed nothing. */
int hbp_rx_has_replay(const struct hbp_rx *r);
enum hbp_rx_event hbp_rx_replay(struct hbp_rx *r);
/* Inside a frame (the inter-byte timeout applies)? */
int hbp_rx_in_frame(const struct hbp_rx *r);
/* The inter-byte timeout expired: drop a partial frame (returns TIMEOUT) or NONE. */
enum hbp_rx_event hbp_rx_timeout(struct hbp_rx *r);

static inline void hbp_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}
static inline void hbp_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}
static inline void hbp_put64(uint8_t *p, uint64_t v)
{
	hbp_put32(p, (uint32_t)v);
	hbp_put32(p + 4, (uint32_t)(v >> 32));
}
static inline uint16_t hbp_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}
static inline uint32_t hbp_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#endif
