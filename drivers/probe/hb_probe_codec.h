/* hilbench — bench probe protocol v1, host side: payload encoders/decoders and the DATA
 * record decoder (docs/probe-protocol.md).
 *
 * PURE code: bytes in, bytes out. Frames are the link protocol's, built and received with
 * drivers/link/hb_link_codec.h (hb_link_frame_encode, struct hb_link_decoder with
 * max_payload HBP_MAX_PAYLOAD); the numbers on the wire come from the firmware's own
 * header, firmware/core/hbp_proto.h, so host and probe share one definition. */
#ifndef HB_PROBE_CODEC_H
#define HB_PROBE_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "hb_status.h"
#include "hbp_proto.h"

#ifdef __cplusplus
extern "C" {
#endif

/* "IDENTIFY" ... "BOOT", "DATA", "ERROR"; response types name their request. */
const char *hb_probe_type_name(uint8_t type);
/* ERROR reasons: the link protocol's names, plus "STATE". */
const char *hb_probe_reason_name(uint8_t reason);
/* "ok", "address not acknowledged (monitor missing?)", ... */
const char *hb_probe_i2c_status_name(uint8_t st);
const char *hb_probe_reset_cause_name(uint8_t cause);
const char *hb_probe_board_name(uint8_t board);

struct hb_probe_identity {
	uint8_t proto_version;
	uint8_t fw_major, fw_minor, fw_patch;
	uint32_t build_hash;
	uint32_t timer_hz;
	uint32_t baud;
	uint32_t i2c_hz;
	uint16_t capabilities; /* HBP_CAP_* */
	uint8_t max_monitors;
	uint8_t n_capture;
	uint16_t max_payload;
	uint16_t fifo_bytes;
	uint8_t board;         /* enum hbp_board */
	uint8_t reset_cause;   /* enum hbp_reset_cause */
	uint16_t boot_count;
	uint16_t watchdog_resets;
	uint16_t sysclk_mhz;
};
enum hb_status hb_probe_identity_decode(const uint8_t *p, size_t len, struct hb_probe_identity *id);
enum hb_status hb_probe_identity_encode(const struct hb_probe_identity *id, uint8_t *out,
					size_t cap, size_t *out_len);

/* CONFIG_MONITOR request: one INA219 slot. */
struct hb_probe_monitor {
	uint8_t index;       /* 0..3 */
	uint8_t addr;        /* 7-bit; 0 = slot off */
	uint16_t config;     /* the INA219 configuration register (continuous mode 5..7) */
	uint32_t shunt_uohm; /* kept by the probe, echoed nowhere; for the host's conversions */
	uint32_t period_us;  /* 0 = the datasheet conversion time of config's ADC settings */
	uint16_t bus_every;  /* read the bus voltage every n samples (0 never) */
};
enum hb_status hb_probe_monitor_encode(const struct hb_probe_monitor *m, uint8_t *out, size_t cap,
				       size_t *out_len);
enum hb_status hb_probe_monitor_decode(const uint8_t *p, size_t len, struct hb_probe_monitor *m);

struct hb_probe_config_result {
	uint8_t index;
	uint8_t result;    /* enum hbp_i2c_status */
	uint16_t readback; /* the configuration register read back */
	uint32_t period_us;
};
enum hb_status hb_probe_config_result_decode(const uint8_t *p, size_t len,
					     struct hb_probe_config_result *r);

struct hb_probe_start {
	uint8_t capture_mask; /* bit k = enum hbp_capture_ch k */
	uint16_t flush_us;    /* 0 = 1000 */
};
enum hb_status hb_probe_start_encode(const struct hb_probe_start *s, uint8_t *out, size_t cap,
				     size_t *out_len);

struct hb_probe_start_result {
	uint64_t t_start;    /* probe time (µs) the stream starts at */
	uint8_t enabled;     /* monitor slots in use */
	uint8_t ok;          /* ... configured successfully */
};
enum hb_status hb_probe_start_result_decode(const uint8_t *p, size_t len,
					    struct hb_probe_start_result *r);

struct hb_probe_stop_result {
	uint64_t t_stop;
	uint32_t records; /* records sent since START */
	uint32_t dropped; /* records dropped since START */
};
enum hb_status hb_probe_stop_result_decode(const uint8_t *p, size_t len,
					   struct hb_probe_stop_result *r);

struct hb_probe_status {
	uint64_t now_us;
	uint8_t running;
	uint8_t reset_cause;
	uint16_t watchdog_resets;
	uint32_t samples, records_dropped, edges, edges_dropped, i2c_errors, conv_missed;
	uint16_t fifo_high_water, fifo_bytes;
	uint32_t rx_bad_frames, bus_recoveries;
	uint8_t mon_state[HBP_MAX_MONITORS];  /* enum hbp_mon_state */
	uint8_t mon_error[HBP_MAX_MONITORS];  /* enum hbp_i2c_status of the last failure */
};
enum hb_status hb_probe_status_decode(const uint8_t *p, size_t len, struct hb_probe_status *s);

struct hb_probe_sync_result {
	uint32_t tag;
	uint64_t t_rx; /* probe time when the request's last byte arrived */
	uint64_t t_tx; /* probe time when the response was queued */
};
enum hb_status hb_probe_sync_result_decode(const uint8_t *p, size_t len,
					   struct hb_probe_sync_result *r);

struct hb_probe_boot {
	uint8_t reset_cause;
	uint16_t boot_count;
	uint16_t watchdog_resets;
};
enum hb_status hb_probe_boot_decode(const uint8_t *p, size_t len, struct hb_probe_boot *b);

/* I2C_XFER: request (addr, rn, w[0..wn)) and response (status, r[0..rn) when ok). */
enum hb_status hb_probe_xfer_encode(uint8_t addr, const uint8_t *w, size_t wn, size_t rn,
				    uint8_t *out, size_t cap, size_t *out_len);
enum hb_status hb_probe_xfer_decode(const uint8_t *p, size_t len, size_t rn, uint8_t *status,
				    uint8_t *r);

/* ---- DATA records --------------------------------------------------------------------- */

struct hb_probe_record {
	uint8_t kind;    /* enum hbp_rec_kind (GAP records are consumed, never reported) */
	uint8_t index;   /* monitor, capture channel, or HBP_REC_BUS_INDEX */
	uint64_t t_us;   /* probe time, 64-bit */
	int16_t shunt;   /* SAMPLE, SAMPLE_BUS: shunt register (10 µV per count) */
	uint16_t bus;    /* SAMPLE_BUS: bus register (bits 15:3 = 4 mV counts, CNVR, OVF) */
	uint16_t count;  /* MISSED, RECOVERED, DROPPED */
	uint8_t status;  /* I2C_ERROR: enum hbp_i2c_status */
	uint8_t op;      /* I2C_ERROR: enum hbp_err_op */
};

typedef void (*hb_probe_record_fn)(void *ctx, const struct hb_probe_record *r);

/* Follows one stream: 64-bit time, frame sequence, the probe's dropped count, and, for the
 * monitors whose conversion period it was told, the conversions the probe did not read
 * (samples are stamped on the conversion grid: a gap of (k+1) periods means k missed). */
struct hb_probe_stream {
	uint64_t t_last;       /* time of the last record decoded (t_start before any) */
	uint8_t next_seq;
	uint32_t dropped;      /* the probe's count of records dropped since START */
	uint64_t frames, records, frames_lost; /* frames_lost: gaps in the DATA sequence */
	uint32_t period_us[HBP_MAX_MONITORS];  /* set before decoding; 0 = not tracked */
	uint64_t last_sample[HBP_MAX_MONITORS]; /* stamp of the monitor's last sample, 0 none */
	uint64_t samples[HBP_MAX_MONITORS];
	uint64_t missed[HBP_MAX_MONITORS];      /* conversions not read, between samples */
	uint64_t off_grid;     /* sample gaps that are not a whole number of periods */
};
/* Start a stream at t_start; the periods (period_us[m], 0 = unknown) survive. */
void hb_probe_stream_begin(struct hb_probe_stream *s, uint64_t t_start);
/* Decode one DATA frame's payload; fn (may be NULL) gets each record. HB_ERR_FORMAT for a
 * payload shorter than its header, an unknown record kind or a record cut short (records
 * before it were delivered). */
enum hb_status hb_probe_stream_data(struct hb_probe_stream *s, uint8_t seq, const uint8_t *p,
				    size_t len, hb_probe_record_fn fn, void *ctx);

/* Conversions of raw INA219 registers. */
static inline int32_t hb_probe_shunt_uV(int16_t raw) { return (int32_t)raw * 10; }
static inline int32_t hb_probe_bus_mV(uint16_t raw) { return (int32_t)(raw >> 3) * 4; }
/* Current through shunt_uohm for a shunt register value, nA (exact integer division). */
static inline int64_t hb_probe_current_nA(int16_t raw, uint32_t shunt_uohm)
{
	return shunt_uohm ? (int64_t)raw * 10000000000LL / (int64_t)shunt_uohm : 0;
}

#ifdef __cplusplus
}
#endif
#endif
