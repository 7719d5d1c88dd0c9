/* The probe firmware's own framing (firmware/core/hbp_frame.c) against the link protocol
 * codec (drivers/link/hb_link_codec.c): same CRCs, same frames, the same receiver rules; and
 * the core's ERROR frames for every kind of bad request, seen on the wire. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "hb_link_codec.h"
#include "hbp_frame.h"
#include "hbp_sim.h"

static uint32_t rng = 12345;
static uint8_t rnd(void)
{
	rng = rng * 1103515245u + 12345u;
	return (uint8_t)(rng >> 16);
}

Test(probe_frame, crcs_match_the_link_codec)
{
	uint8_t buf[300];
	for (size_t n = 0; n < sizeof buf; n++) {
		for (size_t i = 0; i < n; i++)
			buf[i] = rnd();
		cr_assert_eq(hbp_crc16(0xFFFF, buf, n), hb_link_crc16(0xFFFF, buf, n), "length %zu", n);
		cr_assert_eq(hbp_crc8(0, buf, n), hb_link_crc8(0, buf, n), "length %zu", n);
	}
	cr_assert_eq(hbp_crc16(0xFFFF, (const uint8_t *)"123456789", 9), 0x29B1);
	cr_assert_eq(hbp_crc8(0, (const uint8_t *)"123456789", 9), 0xF4);
}

Test(probe_frame, frames_are_byte_identical)
{
	uint8_t p[HBP_MAX_PAYLOAD], a[HBP_MAX_PAYLOAD + 8], b[HBP_MAX_PAYLOAD + 8];
	for (unsigned len = 0; len <= HBP_MAX_PAYLOAD; len++) {
		for (unsigned i = 0; i < len; i++)
			p[i] = rnd();
		uint8_t type = rnd(), seq = rnd();
		size_t na = hbp_frame_build(a, type, seq, p, (uint16_t)len), nb = 0;
		cr_assert_eq(hb_link_frame_encode(type, seq, p, len, b, sizeof b, &nb), HB_OK);
		cr_assert_eq(na, nb);
		cr_assert_eq(memcmp(a, b, na), 0, "payload length %u", len);
	}
}

/* Feed a byte string to the firmware receiver; collect the events. */
static size_t rx_all(struct hbp_rx *r, const uint8_t *p, size_t n, enum hbp_rx_event *ev, size_t cap)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		enum hbp_rx_event e = hbp_rx_byte(r, p[i]);
		for (;;) {
			if (e != HBP_RX_NONE && k < cap)
				ev[k++] = e;
			if (!hbp_rx_has_replay(r))
				break;
			e = hbp_rx_replay(r);
		}
	}
	return k;
}

Test(probe_frame, receiver_follows_the_link_receiver_rules)
{
	struct hbp_rx r;
	hbp_rx_init(&r);
	uint8_t f[80], g[80];
	size_t n, m;
	enum hbp_rx_event ev[8];
	/* a good frame, after garbage */
	uint8_t pl[HBP_SYNC_REQ_LEN] = {1, 2, 3, 4};
	hb_link_frame_encode(HBP_SYNC, 7, pl, sizeof pl, f, sizeof f, &n);
	uint8_t in[100] = {0x00, 0x13, 0x37};
	memcpy(in + 3, f, n);
	cr_assert_eq(rx_all(&r, in, n + 3, ev, 8), 1);
	cr_assert_eq(ev[0], HBP_RX_FRAME);
	cr_assert_eq(r.type, HBP_SYNC);
	cr_assert_eq(r.seq, 7);
	cr_assert_eq(r.len, 4);
	cr_assert_eq(memcmp(r.payload, pl, 4), 0);
	cr_assert_eq(r.garbage, 3);
	/* a bad header CRC, then a good frame that starts inside the bad header: found */
	hb_link_frame_encode(HBP_IDENTIFY, 9, NULL, 0, g, sizeof g, &m);
	uint8_t bad[32] = {0xA5, 0x01, 0xA5};
	memcpy(bad + 2, g, m); /* A5 01 | A5 01 09 00 00 hcrc crc crc */
	cr_assert_eq(rx_all(&r, bad, m + 2, ev, 8), 2);
	cr_assert_eq(ev[0], HBP_RX_BAD_HCRC);
	cr_assert_eq(ev[1], HBP_RX_FRAME);
	cr_assert_eq(r.seq, 9);
	/* a bad payload CRC */
	memcpy(in, f, n);
	in[n - 1] ^= 0x40;
	cr_assert_eq(rx_all(&r, in, n, ev, 8), 1);
	cr_assert_eq(ev[0], HBP_RX_BAD_CRC);
	/* a header announcing more than the probe takes */
	uint8_t big[HBP_MAX_REQ_PAYLOAD + 1] = {0};
	hb_link_frame_encode(HBP_I2C_XFER, 1, big, sizeof big, f, sizeof f + 0, &n);
	cr_assert_eq(rx_all(&r, f, HBP_HDR_LEN, ev, 8), 1);
	cr_assert_eq(ev[0], HBP_RX_OVERSIZE);
	/* a frame cut short: the inter-byte timeout drops it */
	hb_link_frame_encode(HBP_SYNC, 3, pl, sizeof pl, f, sizeof f, &n);
	cr_assert_eq(rx_all(&r, f, n - 3, ev, 8), 0);
	cr_assert(hbp_rx_in_frame(&r));
	cr_assert_eq(hbp_rx_timeout(&r), HBP_RX_TIMEOUT);
	cr_assert_eq(r.seq, 3);
	cr_assert(!hbp_rx_in_frame(&r));
}

/* ---- ERROR frames from the core, on the wire ------------------------------------------ */

struct wire {
	struct hbp_sim *sim;
	struct hb_link_decoder dec;
};

static void wire_open(struct wire *w)
{
	w->sim = hbp_sim_new(NULL);
	cr_assert(w->sim);
	hb_link_decoder_init(&w->dec, HBP_MAX_PAYLOAD);
}

/* Send raw bytes, run 20 ms, return the first non-BOOT, non-DATA frame's type and payload. */
static int exchange(struct wire *w, const uint8_t *bytes, size_t n, uint8_t *seq, uint8_t *payload,
		    uint16_t *len)
{
	hbp_host_uart_send(w->sim->host, bytes, n);
	hbp_sim_advance(w->sim, hbp_host_now_ns(w->sim->host) + 20000000ull);
	uint8_t buf[4096];
	size_t got = hbp_host_uart_recv(w->sim->host, buf, sizeof buf), off = 0;
	int type = -1;
	for (;;) {
		struct hb_link_event ev;
		size_t used;
		hb_link_decoder_feed(&w->dec, buf + off, got - off, &used, &ev);
		off += used;
		if (ev.kind == HB_LINK_EV_NONE)
			break;
		cr_assert_eq(ev.kind, HB_LINK_EV_FRAME, "a frame from the probe failed its CRC");
		if (ev.type == HBP_BOOT || ev.type == HBP_DATA || type >= 0)
			continue;
		type = ev.type;
		*seq = ev.seq;
		*len = ev.len;
		memcpy(payload, ev.payload, ev.len);
	}
	return type;
}

static void expect_error(struct wire *w, const uint8_t *bytes, size_t n, uint8_t seq,
			 uint8_t reason, uint8_t req_type)
{
	uint8_t s, p[256];
	uint16_t len;
	int type = exchange(w, bytes, n, &s, p, &len);
	cr_assert_eq(type, HBP_ERROR, "expected ERROR(%u), got type %d", reason, type);
	cr_assert_eq(len, 2);
	cr_assert_eq(s, seq, "ERROR echoes the seq");
	cr_assert_eq(p[0], reason, "reason %u, expected %u", p[0], reason);
	cr_assert_eq(p[1], req_type);
}

Test(probe_frame, bad_requests_get_error_frames)
{
	struct wire w;
	wire_open(&w);
	uint8_t f[128];
	size_t n;
	/* unknown type */
	hb_link_frame_encode(0x33, 1, NULL, 0, f, sizeof f, &n);
	expect_error(&w, f, n, 1, HBP_R_UNKNOWN_TYPE, 0x33);
	/* a response type sent as a request */
	hb_link_frame_encode(HBP_IDENTIFY | 0x80, 2, NULL, 0, f, sizeof f, &n);
	expect_error(&w, f, n, 2, HBP_R_UNKNOWN_TYPE, HBP_IDENTIFY | 0x80);
	/* wrong length for the type */
	uint8_t junk[8] = {0};
	hb_link_frame_encode(HBP_STATUS, 3, junk, 3, f, sizeof f, &n);
	expect_error(&w, f, n, 3, HBP_R_BAD_LENGTH, HBP_STATUS);
	/* bad CRC-16 */
	hb_link_frame_encode(HBP_STATUS, 4, NULL, 0, f, sizeof f, &n);
	f[n - 1] ^= 1;
	expect_error(&w, f, n, 4, HBP_R_BAD_CRC, HBP_STATUS);
	/* bad header CRC */
	hb_link_frame_encode(HBP_STATUS, 5, NULL, 0, f, sizeof f, &n);
	f[5] ^= 1;
	expect_error(&w, f, n, 5, HBP_R_BAD_HCRC, HBP_STATUS);
	/* oversize */
	uint8_t big[100] = {0};
	hb_link_frame_encode(HBP_I2C_XFER, 6, big, sizeof big, f, sizeof f, &n);
	expect_error(&w, f, n, 6, HBP_R_OVERSIZE, HBP_I2C_XFER);
	/* truncated: the probe gives up after its 10 ms inter-byte timeout */
	hb_link_frame_encode(HBP_SYNC, 7, junk, 4, f, sizeof f, &n);
	expect_error(&w, f, n - 2, 7, HBP_R_TIMEOUT, HBP_SYNC);
	/* bad arguments */
	uint8_t cfg[HBP_CONFIG_REQ_LEN] = {7 /* slot 7 */, 0x40, 0x9F, 0x39};
	hb_link_frame_encode(HBP_CONFIG_MONITOR, 8, cfg, sizeof cfg, f, sizeof f, &n);
	expect_error(&w, f, n, 8, HBP_R_BAD_ARG, HBP_CONFIG_MONITOR);
	uint8_t cfg2[HBP_CONFIG_REQ_LEN] = {0, 0x40, 0x03, 0x38}; /* mode 3: triggered */
	hb_link_frame_encode(HBP_CONFIG_MONITOR, 9, cfg2, sizeof cfg2, f, sizeof f, &n);
	expect_error(&w, f, n, 9, HBP_R_BAD_ARG, HBP_CONFIG_MONITOR);
	uint8_t st[HBP_START_REQ_LEN] = {0x10};
	hb_link_frame_encode(HBP_START, 10, st, sizeof st, f, sizeof f, &n);
	expect_error(&w, f, n, 10, HBP_R_BAD_ARG, HBP_START);
	/* wrong state: STOP while stopped, CONFIG and START while running */
	hb_link_frame_encode(HBP_STOP, 11, NULL, 0, f, sizeof f, &n);
	expect_error(&w, f, n, 11, HBP_R_STATE, HBP_STOP);
	uint8_t go[HBP_START_REQ_LEN] = {0};
	uint8_t s, p[256];
	uint16_t len;
	hb_link_frame_encode(HBP_START, 12, go, sizeof go, f, sizeof f, &n);
	cr_assert_eq(exchange(&w, f, n, &s, p, &len), HBP_START | 0x80);
	hb_link_frame_encode(HBP_START, 13, go, sizeof go, f, sizeof f, &n);
	expect_error(&w, f, n, 13, HBP_R_STATE, HBP_START);
	uint8_t cfg3[HBP_CONFIG_REQ_LEN] = {0, 0x40, 0x9F, 0x39};
	hb_link_frame_encode(HBP_CONFIG_MONITOR, 14, cfg3, sizeof cfg3, f, sizeof f, &n);
	expect_error(&w, f, n, 14, HBP_R_STATE, HBP_CONFIG_MONITOR);
	/* and after all that, the probe still answers */
	hb_link_frame_encode(HBP_IDENTIFY, 15, NULL, 0, f, sizeof f, &n);
	cr_assert_eq(exchange(&w, f, n, &s, p, &len), HBP_IDENTIFY | 0x80);
	cr_assert_eq(s, 15);
	cr_assert_eq(hbp_host_core(w.sim->host)->cnt.rx_bad, 4, "BAD_CRC, BAD_HCRC, OVERSIZE, TIMEOUT");
	hbp_sim_free(w.sim);
}

/* Line noise of every kind (random bytes, SOFs, valid headers with random payloads, frames
 * of random types and lengths) never wedges the probe: afterwards it answers IDENTIFY. */
Test(probe_frame, survives_a_storm_of_garbage)
{
	struct wire w;
	wire_open(&w);
	uint8_t junk[4096], f[300];
	for (int round = 0; round < 40; round++) {
		size_t n = 0;
		while (n < sizeof junk - sizeof f) {
			unsigned what = rnd() % 4;
			if (what == 0) {
				junk[n++] = HBP_SOF;
			} else if (what == 1) {
				uint8_t p[70];
				size_t len = rnd() % sizeof p, fl;
				for (size_t i = 0; i < len; i++)
					p[i] = rnd();
				hb_link_frame_encode(rnd() % 12, rnd(), p, len, f, sizeof f, &fl);
				if (rnd() % 2)
					f[rnd() % fl] ^= (uint8_t)(1u << (rnd() % 8));
				memcpy(junk + n, f, fl);
				n += fl;
			} else {
				for (int i = 0; i < 16; i++)
					junk[n++] = rnd();
			}
		}
		hbp_host_uart_send(w.sim->host, junk, n);
		hbp_sim_advance(w.sim, hbp_host_now_ns(w.sim->host) + 40000000ull);
		uint8_t out[8192];
		while (hbp_host_uart_recv(w.sim->host, out, sizeof out))
			;
	}
	/* a STOP in the storm may have started nothing; stop whatever a START started */
	uint8_t s, p[256];
	uint16_t len;
	size_t n;
	hb_link_decoder_reset(&w.dec);
	hb_link_frame_encode(HBP_STOP, 200, NULL, 0, f, sizeof f, &n);
	int t = exchange(&w, f, n, &s, p, &len);
	cr_assert(t == (HBP_STOP | 0x80) || t == HBP_ERROR, "STOP answered with type %d", t);
	hb_link_frame_encode(HBP_IDENTIFY, 201, NULL, 0, f, sizeof f, &n);
	cr_assert_eq(exchange(&w, f, n, &s, p, &len), HBP_IDENTIFY | 0x80);
	cr_assert_eq(s, 201);
	/* (a valid RESET in the noise resets the probe, and counters with it: not the watchdog) */
	cr_assert_eq(hbp_host_stats(w.sim->host)->watchdog_resets, 0, "no watchdog reset");
	cr_assert_gt(hbp_host_stats(w.sim->host)->rx_bytes, 100000);
	hbp_sim_free(w.sim);
}
