/* hilbench — bench probe protocol v1, host-side codec (see hb_probe_codec.h). */
#include "hb_probe_codec.h"

#include <string.h>

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int k = 0; k < 4; k++)
		p[k] = (uint8_t)(v >> (8 * k));
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

const char *hb_probe_type_name(uint8_t type)
{
	switch (type) {
	case HBP_DATA: return "DATA";
	case HBP_BOOT: return "BOOT";
	case HBP_ERROR: return "ERROR";
	default: break;
	}
	switch (type & 0x7F) {
	case HBP_IDENTIFY: return "IDENTIFY";
	case HBP_CONFIG_MONITOR: return "CONFIG_MONITOR";
	case HBP_START: return "START";
	case HBP_STOP: return "STOP";
	case HBP_STATUS: return "STATUS";
	case HBP_SYNC: return "SYNC";
	case HBP_I2C_XFER: return "I2C_XFER";
	case HBP_RESET: return "RESET";
	default: return "UNKNOWN";
	}
}

const char *hb_probe_reason_name(uint8_t reason)
{
	static const char *const n[] = {"?", "BAD_HCRC", "BAD_CRC", "OVERSIZE", "TIMEOUT",
					"UNKNOWN_TYPE", "BAD_LENGTH", "BAD_ARG", "NOT_CONFIGURED",
					"BUSY", "STATE"};
	return reason >= 1 && reason <= HBP_R_STATE ? n[reason] : "UNKNOWN";
}

const char *hb_probe_i2c_status_name(uint8_t st)
{
	switch (st) {
	case HBP_I2C_OK: return "ok";
	case HBP_I2C_NACK_ADDR: return "address not acknowledged (monitor missing or wrong address)";
	case HBP_I2C_NACK_DATA: return "data byte not acknowledged";
	case HBP_I2C_TIMEOUT: return "I2C peripheral timed out (bus or controller not answering)";
	case HBP_I2C_BUS_STUCK: return "bus stuck: SDA held low, clock pulses did not free it";
	case HBP_I2C_ARB_LOST: return "arbitration lost / bus error";
	case HBP_I2C_MISMATCH: return "configuration register read back differently";
	case HBP_I2C_RECOVERED: return "bus was stuck and was freed by clock pulses";
	default: return "unknown I2C status";
	}
}

const char *hb_probe_reset_cause_name(uint8_t cause)
{
	static const char *const n[] = {"unknown", "power-on", "reset pin", "software",
					"watchdog", "brown-out", "low-power", "window watchdog"};
	return cause < 8 ? n[cause] : "unknown";
}

const char *hb_probe_board_name(uint8_t board)
{
	switch (board) {
	case HBP_BOARD_HOST: return "host (simulated)";
	case HBP_BOARD_BLACKPILL_F411: return "blackpill-f411";
	case HBP_BOARD_NUCLEO_F401: return "nucleo-f401";
	default: return "unknown";
	}
}

#define NEED(n_) \
	do { \
		if (!out || !out_len) \
			return HB_ERR_ARG; \
		*out_len = 0; \
		if (cap < (n_)) \
			return HB_ERR_RANGE; \
	} while (0)

enum hb_status hb_probe_identity_decode(const uint8_t *p, size_t len, struct hb_probe_identity *id)
{
	if (!p || !id)
		return HB_ERR_ARG;
	if (len != HBP_IDENTIFY_LEN)
		return HB_ERR_FORMAT;
	memset(id, 0, sizeof *id);
	id->proto_version = p[0];
	id->fw_major = p[1];
	id->fw_minor = p[2];
	id->fw_patch = p[3];
	id->build_hash = get32(p + 4);
	id->timer_hz = get32(p + 8);
	id->baud = get32(p + 12);
	id->i2c_hz = get32(p + 16);
	id->capabilities = get16(p + 20);
	id->max_monitors = p[22];
	id->n_capture = p[23];
	id->max_payload = get16(p + 24);
	id->fifo_bytes = get16(p + 26);
	id->board = p[28];
	id->reset_cause = p[29];
	id->boot_count = get16(p + 30);
	id->watchdog_resets = get16(p + 32);
	id->sysclk_mhz = get16(p + 34);
	return HB_OK;
}

enum hb_status hb_probe_identity_encode(const struct hb_probe_identity *id, uint8_t *out,
					size_t cap, size_t *out_len)
{
	if (!id)
		return HB_ERR_ARG;
	NEED(HBP_IDENTIFY_LEN);
	memset(out, 0, HBP_IDENTIFY_LEN);
	out[0] = id->proto_version;
	out[1] = id->fw_major;
	out[2] = id->fw_minor;
	out[3] = id->fw_patch;
	put32(out + 4, id->build_hash);
	put32(out + 8, id->timer_hz);
	put32(out + 12, id->baud);
	put32(out + 16, id->i2c_hz);
	put16(out + 20, id->capabilities);
	out[22] = id->max_monitors;
	out[23] = id->n_capture;
	put16(out + 24, id->max_payload);
	put16(out + 26, id->fifo_bytes);
	out[28] = id->board;
	out[29] = id->reset_cause;
	put16(out + 30, id->boot_count);
	put16(out + 32, id->watchdog_resets);
	put16(out + 34, id->sysclk_mhz);
	*out_len = HBP_IDENTIFY_LEN;
	return HB_OK;
}

enum hb_status hb_probe_monitor_encode(const struct hb_probe_monitor *m, uint8_t *out, size_t cap,
				       size_t *out_len)
{
	if (!m)
		return HB_ERR_ARG;
	NEED(HBP_CONFIG_REQ_LEN);
	memset(out, 0, HBP_CONFIG_REQ_LEN);
	out[0] = m->index;
	out[1] = m->addr;
	put16(out + 2, m->config);
	put32(out + 4, m->shunt_uohm);
	put32(out + 8, m->period_us);
	put16(out + 12, m->bus_every);
	*out_len = HBP_CONFIG_REQ_LEN;
	return HB_OK;
}

enum hb_status hb_probe_monitor_decode(const uint8_t *p, size_t len, struct hb_probe_monitor *m)
{
	if (!p || !m)
		return HB_ERR_ARG;
	if (len != HBP_CONFIG_REQ_LEN)
		return HB_ERR_FORMAT;
	m->index = p[0];
	m->addr = p[1];
	m->config = get16(p + 2);
	m->shunt_uohm = get32(p + 4);
	m->period_us = get32(p + 8);
	m->bus_every = get16(p + 12);
	return HB_OK;
}

enum hb_status hb_probe_config_result_decode(const uint8_t *p, size_t len,
					     struct hb_probe_config_result *r)
{
	if (!p || !r)
		return HB_ERR_ARG;
	if (len != HBP_CONFIG_RESP_LEN)
		return HB_ERR_FORMAT;
	r->index = p[0];
	r->result = p[1];
	r->readback = get16(p + 2);
	r->period_us = get32(p + 4);
	return HB_OK;
}

enum hb_status hb_probe_start_encode(const struct hb_probe_start *s, uint8_t *out, size_t cap,
				     size_t *out_len)
{
	if (!s)
		return HB_ERR_ARG;
	NEED(HBP_START_REQ_LEN);
	out[0] = s->capture_mask;
	out[1] = 0;
	put16(out + 2, s->flush_us);
	*out_len = HBP_START_REQ_LEN;
	return HB_OK;
}

enum hb_status hb_probe_start_result_decode(const uint8_t *p, size_t len,
					    struct hb_probe_start_result *r)
{
	if (!p || !r)
		return HB_ERR_ARG;
	if (len != HBP_START_RESP_LEN)
		return HB_ERR_FORMAT;
	r->t_start = get64(p);
	r->enabled = p[8];
	r->ok = p[9];
	return HB_OK;
}

enum hb_status hb_probe_stop_result_decode(const uint8_t *p, size_t len,
					   struct hb_probe_stop_result *r)
{
	if (!p || !r)
		return HB_ERR_ARG;
	if (len != HBP_STOP_RESP_LEN)
		return HB_ERR_FORMAT;
	r->t_stop = get64(p);
	r->records = get32(p + 8);
	r->dropped = get32(p + 12);
	return HB_OK;
}

enum hb_status hb_probe_status_decode(const uint8_t *p, size_t len, struct hb_probe_status *s)
{
	if (!p || !s)
		return HB_ERR_ARG;
	if (len != HBP_STATUS_LEN)
		return HB_ERR_FORMAT;
	s->now_us = get64(p);
	s->running = p[8];
	s->reset_cause = p[9];
	s->watchdog_resets = get16(p + 10);
	s->samples = get32(p + 12);
	s->records_dropped = get32(p + 16);
	s->edges = get32(p + 20);
	s->edges_dropped = get32(p + 24);
	s->i2c_errors = get32(p + 28);
	s->conv_missed = get32(p + 32);
	s->fifo_high_water = get16(p + 36);
	s->fifo_bytes = get16(p + 38);
	s->rx_bad_frames = get32(p + 40);
	s->bus_recoveries = get32(p + 44);
	for (unsigned k = 0; k < HBP_MAX_MONITORS; k++) {
		s->mon_state[k] = p[48 + k];
		s->mon_error[k] = p[52 + k];
	}
	return HB_OK;
}

enum hb_status hb_probe_sync_result_decode(const uint8_t *p, size_t len,
					   struct hb_probe_sync_result *r)
{
	if (!p || !r)
		return HB_ERR_ARG;
	if (len != HBP_SYNC_RESP_LEN)
		return HB_ERR_FORMAT;
	r->tag = get32(p);
	r->t_rx = get64(p + 4);
	r->t_tx = get64(p + 12);
	return HB_OK;
}

enum hb_status hb_probe_boot_decode(const uint8_t *p, size_t len, struct hb_probe_boot *b)
{
	if (!p || !b)
		return HB_ERR_ARG;
	if (len != HBP_BOOT_LEN)
		return HB_ERR_FORMAT;
	b->reset_cause = p[0];
	b->boot_count = get16(p + 2);
	b->watchdog_resets = get16(p + 4);
	return HB_OK;
}

enum hb_status hb_probe_xfer_encode(uint8_t addr, const uint8_t *w, size_t wn, size_t rn,
				    uint8_t *out, size_t cap, size_t *out_len)
{
	if ((wn && !w) || addr > 0x7F)
		return HB_ERR_ARG;
	if (wn > HBP_I2C_MAX || rn > HBP_I2C_MAX || (wn == 0 && rn == 0))
		return HB_ERR_RANGE;
	NEED(2 + wn);
	out[0] = addr;
	out[1] = (uint8_t)rn;
	if (wn)
		memcpy(out + 2, w, wn);
	*out_len = 2 + wn;
	return HB_OK;
}

enum hb_status hb_probe_xfer_decode(const uint8_t *p, size_t len, size_t rn, uint8_t *status,
				    uint8_t *r)
{
	if (!p || !status || (rn && !r))
		return HB_ERR_ARG;
	if (len < 1)
		return HB_ERR_FORMAT;
	*status = p[0];
	if (p[0] == HBP_I2C_OK) {
		if (len != 1 + rn)
			return HB_ERR_FORMAT;
		if (rn)
			memcpy(r, p + 1, rn);
	} else if (len != 1) {
		return HB_ERR_FORMAT;
	}
	return HB_OK;
}

void hb_probe_stream_begin(struct hb_probe_stream *s, uint64_t t_start)
{
	uint32_t period[HBP_MAX_MONITORS];
	memcpy(period, s->period_us, sizeof period);
	memset(s, 0, sizeof *s);
	memcpy(s->period_us, period, sizeof period);
	s->t_last = t_start;
}

static void count_sample(struct hb_probe_stream *s, unsigned m, uint64_t t)
{
	if (m >= HBP_MAX_MONITORS)
		return;
	uint32_t p = s->period_us[m];
	if (p && s->last_sample[m] && t > s->last_sample[m]) {
		uint64_t gap = t - s->last_sample[m];
		if (gap % p)
			s->off_grid++;
		else
			s->missed[m] += gap / p - 1;
	}
	s->last_sample[m] = t;
	s->samples[m]++;
}

enum hb_status hb_probe_stream_data(struct hb_probe_stream *s, uint8_t seq, const uint8_t *p,
				    size_t len, hb_probe_record_fn fn, void *ctx)
{
	if (!s || (len && !p))
		return HB_ERR_ARG;
	if (len < HBP_DATA_HDR_LEN)
		return HB_ERR_FORMAT;
	if (s->frames && seq != s->next_seq)
		s->frames_lost += (uint8_t)(seq - s->next_seq);
	s->next_seq = (uint8_t)(seq + 1);
	s->frames++;
	/* t_base is the time of the last record of the previous frame, 32 bits: unwrap it
	 * forward from what we have (frames are < 71 minutes apart: the probe sends one every
	 * second at least). */
	uint32_t base = get32(p);
	uint64_t t = s->t_last + (uint32_t)(base - (uint32_t)s->t_last);
	s->dropped = get32(p + 4);
	size_t i = HBP_DATA_HDR_LEN;
	while (i < len) {
		unsigned tag = p[i], sz = hbp_rec_size(tag);
		if (sz == 0 || i + sz > len) {
			s->t_last = t;
			return HB_ERR_FORMAT;
		}
		const uint8_t *b = p + i + 2;
		struct hb_probe_record r = {.kind = (uint8_t)(tag >> 4), .index = (uint8_t)(tag & 0xF)};
		t += p[i + 1];
		if (r.kind == HBP_REC_GAP) {
			t += 256u * (uint64_t)get16(b);
			i += sz;
			continue;
		}
		r.t_us = t;
		switch (r.kind) {
		case HBP_REC_SAMPLE:
			r.shunt = (int16_t)get16(b);
			count_sample(s, r.index, t);
			break;
		case HBP_REC_SAMPLE_BUS:
			r.shunt = (int16_t)get16(b);
			r.bus = get16(b + 2);
			count_sample(s, r.index, t);
			break;
		case HBP_REC_MISSED:
		case HBP_REC_RECOVERED:
		case HBP_REC_DROPPED: r.count = get16(b); break;
		case HBP_REC_I2C_ERROR:
			r.status = b[0];
			r.op = b[1];
			break;
		default: break;
		}
		s->records++;
		if (fn)
			fn(ctx, &r);
		i += sz;
	}
	s->t_last = t;
	return HB_OK;
}
