/* hilbench bench probe — framing (see hbp_frame.h). */
#include "hbp_frame.h"

#include <string.h>

enum { ST_HUNT = 0, ST_HDR = 1, ST_BODY = 2 };

uint8_t hbp_crc8(uint8_t crc, const uint8_t *p, size_t n)
{
	while (n--) {
		crc ^= *p++;
		for (int b = 0; b < 8; b++)
			crc = (crc & 0x80u) ? (uint8_t)((crc << 1) ^ 0x07u) : (uint8_t)(crc << 1);
	}
	return crc;
}

/* CRC-16/CCITT-FALSE four bits at a time. The table entry for a nibble i of the polynomial
 * 0x1021 (bits 12, 5, 0) is the carry-less product i * 0x1021 = i<<12 ^ i<<5 ^ i, which
 * fits 16 bits for i < 16: no table needed. */
static uint16_t nib(uint16_t crc, unsigned v)
{
	unsigned i = ((crc >> 12) ^ v) & 0xFu;
	return (uint16_t)((crc << 4) ^ (i << 12) ^ (i << 5) ^ i);
}

uint16_t hbp_crc16(uint16_t crc, const uint8_t *p, size_t n)
{
	while (n--) {
		crc = nib(crc, *p >> 4);
		crc = nib(crc, *p++ & 0xFu);
	}
	return crc;
}

uint16_t hbp_frame_header(uint8_t *h, uint8_t type, uint8_t seq, uint16_t len)
{
	h[0] = HBP_SOF;
	h[1] = type;
	h[2] = seq;
	hbp_put16(h + 3, len);
	h[5] = hbp_crc8(0, h + 1, 4);
	return hbp_crc16(0xFFFF, h + 1, 4);
}

size_t hbp_frame_build(uint8_t *out, uint8_t type, uint8_t seq, const uint8_t *payload,
		       uint16_t len)
{
	uint16_t c = hbp_frame_header(out, type, seq, len);
	if (len)
		memmove(out + HBP_HDR_LEN, payload, len);
	c = hbp_crc16(c, out + HBP_HDR_LEN, len);
	hbp_put16(out + HBP_HDR_LEN + len, c);
	return (size_t)len + HBP_OVERHEAD;
}

void hbp_rx_init(struct hbp_rx *r)
{
	memset(r, 0, sizeof *r);
}

int hbp_rx_in_frame(const struct hbp_rx *r)
{
	return r->state != ST_HUNT || r->replay_pos < r->replay_n;
}

static void header_fields(struct hbp_rx *r)
{
	r->type = r->buf[1];
	r->seq = r->buf[2];
	r->len = hbp_get16(r->buf + 3);
}

enum hbp_rx_event hbp_rx_byte(struct hbp_rx *r, uint8_t b)
{
	switch (r->state) {
	case ST_HUNT:
		if (b == HBP_SOF) {
			r->buf[0] = b;
			r->n = 1;
			r->state = ST_HDR;
		} else {
			r->garbage++;
		}
		return HBP_RX_NONE;
	case ST_HDR:
		r->buf[r->n++] = b;
		if (r->n < HBP_HDR_LEN)
			return HBP_RX_NONE;
		header_fields(r);
		r->state = ST_HUNT;
		r->n = 0;
		if (hbp_crc8(0, r->buf + 1, 4) != r->buf[5]) {
			/* Re-scan the five bytes after this SOF, then what was still pending. */
			uint8_t tmp[sizeof r->replay];
			unsigned rest = (unsigned)(r->replay_n - r->replay_pos), k = HBP_HDR_LEN - 1;
			if (k + rest > sizeof tmp)
				rest = sizeof tmp - k; /* cannot happen: at most 5 pending */
			memcpy(tmp, r->buf + 1, k);
			memcpy(tmp + k, r->replay + r->replay_pos, rest);
			memcpy(r->replay, tmp, k + rest);
			r->replay_n = (uint8_t)(k + rest);
			r->replay_pos = 0;
			return HBP_RX_BAD_HCRC;
		}
		if (r->len > HBP_MAX_REQ_PAYLOAD)
			return HBP_RX_OVERSIZE;
		r->need = (uint16_t)(r->len + HBP_OVERHEAD);
		r->n = HBP_HDR_LEN;
		r->state = ST_BODY;
		return HBP_RX_NONE;
	default: {
		r->buf[r->n++] = b;
		if (r->n < r->need)
			return HBP_RX_NONE;
		r->state = ST_HUNT;
		r->n = 0;
		uint16_t c = hbp_crc16(0xFFFF, r->buf + 1, 4);
		c = hbp_crc16(c, r->buf + HBP_HDR_LEN, r->len);
		if (c != hbp_get16(r->buf + HBP_HDR_LEN + r->len))
			return HBP_RX_BAD_CRC;
		r->payload = r->buf + HBP_HDR_LEN;
		return HBP_RX_FRAME;
	}
	}
}

int hbp_rx_has_replay(const struct hbp_rx *r)
{
	return r->replay_pos < r->replay_n;
}

enum hbp_rx_event hbp_rx_replay(struct hbp_rx *r)
{
	if (r->replay_pos >= r->replay_n)
		return HBP_RX_NONE;
	uint8_t b = r->replay[r->replay_pos++];
	if (r->replay_pos == r->replay_n)
		r->replay_pos = r->replay_n = 0;
	return hbp_rx_byte(r, b);
}

enum hbp_rx_event hbp_rx_timeout(struct hbp_rx *r)
{
	if (r->state == ST_HUNT)
		return HBP_RX_NONE;
	if (r->state == ST_BODY || r->n >= 3) {
		r->type = r->buf[1];
		r->seq = r->n >= 3 ? r->buf[2] : 0;
	} else {
		r->type = r->n >= 2 ? r->buf[1] : 0;
		r->seq = 0;
	}
	r->state = ST_HUNT;
	r->n = 0;
	return HBP_RX_TIMEOUT;
}
