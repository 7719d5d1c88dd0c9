/* The session behind docs/probe-protocol.md's examples (see probe_examples.h).
 *
 * A probe with one INA219 at 0x40 (0.1 ohm shunt, 3.3 V rail, 30 mA, +20 mA while the DUT is
 * busy), a DUT that is busy 400 µs of every 1000 µs from t = 2 ms, nothing at 0x45. */
#include "probe_examples.h"

#include <string.h>

#include "hb_link_codec.h"
#include "hbp_sim.h"

struct frame {
	uint8_t type;
	uint8_t bytes[272];
	size_t len;
};

struct session {
	struct hbp_sim *sim;
	struct hb_link_decoder dec;
	struct probe_example *ex;
	size_t n, cap;
	struct frame q[64]; /* frames from the probe, not yet looked at */
	size_t qn;
	int bad;
};

static struct probe_example *add(struct session *s, const char *name, const char *what, int to)
{
	if (s->n >= s->cap)
		return NULL;
	struct probe_example *e = &s->ex[s->n++];
	memset(e, 0, sizeof *e);
	e->name = name;
	e->what = what;
	e->to_probe = to;
	return e;
}

/* Move whatever the probe has sent by now into the frame queue. */
static void drain(struct session *s)
{
	uint8_t buf[512];
	size_t got;
	while ((got = hbp_host_uart_recv(s->sim->host, buf, sizeof buf)) > 0) {
		size_t off = 0;
		for (;;) {
			struct hb_link_event ev;
			size_t used;
			hb_link_decoder_feed(&s->dec, buf + off, got - off, &used, &ev);
			off += used;
			if (ev.kind == HB_LINK_EV_NONE)
				break;
			if (ev.kind != HB_LINK_EV_FRAME || s->qn == 64 ||
			    ev.frame_len > sizeof s->q[0].bytes) {
				s->bad = 1;
				continue;
			}
			s->q[s->qn].type = ev.type;
			memcpy(s->q[s->qn].bytes, ev.frame, ev.frame_len);
			s->q[s->qn].len = ev.frame_len;
			s->qn++;
		}
	}
}

/* Run until the probe has sent a frame of `type` (at most max_ns more); record it under
 * name (NULL: not recorded). Frames before it are passed over. */
static int collect(struct session *s, uint8_t type, const char *name, const char *what,
		   uint64_t max_ns)
{
	uint64_t end = hbp_host_now_ns(s->sim->host) + max_ns;
	for (;;) {
		drain(s);
		for (size_t i = 0; i < s->qn; i++) {
			if (s->q[i].type != type)
				continue;
			if (name) {
				struct probe_example *e = add(s, name, what, 0);
				if (!e)
					return -1;
				memcpy(e->bytes, s->q[i].bytes, s->q[i].len);
				e->len = s->q[i].len;
			}
			memmove(s->q, s->q + i + 1, (s->qn - i - 1) * sizeof s->q[0]);
			s->qn -= i + 1;
			return 0;
		}
		uint64_t now = hbp_host_now_ns(s->sim->host);
		if (now >= end)
			return -1;
		/* the next byte from the probe, or the probe's next event (it may be about to
		 * answer), whichever comes first */
		uint64_t next = hbp_host_uart_next_rx_ns(s->sim->host);
		uint64_t ev = hbp_host_next_event_ns(s->sim->host);
		uint64_t t = next < ev ? next : ev;
		if (t > end)
			t = end;
		hbp_sim_advance(s->sim, t > now ? t : now + 1);
	}
}

static int send(struct session *s, const char *name, const char *what, uint8_t type, uint8_t seq,
		const uint8_t *p, size_t n)
{
	struct probe_example *e = add(s, name, what, 1);
	if (!e || hb_link_frame_encode(type, seq, p, n, e->bytes, sizeof e->bytes, &e->len) != HB_OK)
		return -1;
	hbp_host_uart_send(s->sim->host, e->bytes, e->len);
	return 0;
}

size_t probe_examples_build(struct probe_example *ex, size_t cap)
{
	struct hbp_host_params hp = {.build_hash = 0x1234ABCD, .watchdog_us = 500000};
	struct session s = {.sim = hbp_sim_new(&hp), .ex = ex, .cap = cap};
	if (!s.sim)
		return 0;
	hb_link_decoder_init(&s.dec, HBP_MAX_PAYLOAD);
	hbp_sim_add_ina219(s.sim, 0x40, 0.1, 3.3, 0.030, 0.020);
	hbp_sim_workload(s.sim, 2000000, 1000000, 400000);
	int bad = 0;
	const uint64_t ms = 1000000;

	bad |= collect(&s, HBP_BOOT, "boot", "BOOT, sent once after power-on", ms);

	bad |= send(&s, "identify_req", "IDENTIFY request, seq 1", HBP_IDENTIFY, 1, NULL, 0);
	bad |= collect(&s, HBP_IDENTIFY | 0x80, "identify_resp",
		       "IDENTIFY response: the host-HAL build of firmware 1.0.0", ms);

	uint8_t cfg[HBP_CONFIG_REQ_LEN] = {0, 0x40, 0x1F, 0x38, 0xA0, 0x86, 0x01, 0x00,
					   0, 0, 0, 0, 4, 0, 0, 0};
	bad |= send(&s, "config_req", "CONFIG_MONITOR request, seq 2: slot 0, INA219 at 0x40",
		    HBP_CONFIG_MONITOR, 2, cfg, sizeof cfg);
	bad |= collect(&s, HBP_CONFIG_MONITOR | 0x80, "config_resp",
		       "CONFIG_MONITOR response: configured, read back, 616 µs cycle", ms);

	uint8_t missing[HBP_CONFIG_REQ_LEN] = {1, 0x45, 0x1F, 0x38, 0xA0, 0x86, 0x01, 0x00};
	bad |= send(&s, "config_missing_req", "CONFIG_MONITOR request, seq 3: slot 1 at 0x45",
		    HBP_CONFIG_MONITOR, 3, missing, sizeof missing);
	bad |= collect(&s, HBP_CONFIG_MONITOR | 0x80, "config_missing_resp",
		       "CONFIG_MONITOR response: nothing answers at 0x45", ms);

	uint8_t start[HBP_START_REQ_LEN] = {0x0C, 0, 0xD0, 0x07};
	bad |= send(&s, "start_req", "START request, seq 4: BUSY rising and falling, flush 2000 µs",
		    HBP_START, 4, start, sizeof start);
	bad |= collect(&s, HBP_START | 0x80, "start_resp",
		       "START response: the stream's time base; slots 0 and 1 in use, 0 working",
		       5 * ms);
	bad |= collect(&s, HBP_DATA, "data",
		       "DATA, seq 0: the stream's first frame", 5 * ms);

	bad |= send(&s, "status_req", "STATUS request, seq 5", HBP_STATUS, 5, NULL, 0);
	bad |= collect(&s, HBP_STATUS | 0x80, "status_resp", "STATUS response, while sampling",
		       5 * ms);

	bad |= send(&s, "stop_req", "STOP request, seq 6", HBP_STOP, 6, NULL, 0);
	bad |= collect(&s, HBP_STOP | 0x80, "stop_resp",
		       "STOP response, after the last DATA frame", 10 * ms);

	uint8_t sync[HBP_SYNC_REQ_LEN] = {0xEF, 0xBE, 0xAD, 0xDE};
	bad |= send(&s, "sync_req", "SYNC request, seq 7, tag 0xDEADBEEF", HBP_SYNC, 7, sync,
		    sizeof sync);
	bad |= collect(&s, HBP_SYNC | 0x80, "sync_resp", "SYNC response", ms);

	uint8_t xfer[3] = {0x40, 2, 0x02};
	bad |= send(&s, "xfer_req", "I2C_XFER request, seq 8: write 02 to 0x40, read 2 bytes",
		    HBP_I2C_XFER, 8, xfer, sizeof xfer);
	bad |= collect(&s, HBP_I2C_XFER | 0x80, "xfer_resp",
		       "I2C_XFER response: the bus voltage register", ms);

	bad |= send(&s, "bad_type_req", "a request of unknown type 0x33, seq 9", 0x33, 9, NULL, 0);
	bad |= collect(&s, HBP_ERROR, "bad_type_resp", "ERROR: UNKNOWN_TYPE for 0x33", ms);

	hbp_sim_free(s.sim);
	return bad || s.bad ? 0 : s.n;
}
