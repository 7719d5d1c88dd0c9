/* hilbench — bench probe host client: talks probe protocol v1 (docs/probe-protocol.md)
 * over any hb_transport (a USB-UART's serial port, the ST-LINK's virtual COM port, a pty,
 * tcp://, rfc2217://).
 *
 *     struct hb_transport *t;  hb_transport_open("serial:/dev/ttyACM0", 2000000, &t);
 *     struct hb_probe *p;      hb_probe_open(t, NULL, &p);        // IDENTIFY
 *     hb_probe_configure(p, &(struct hb_probe_monitor){...}, &res);
 *     hb_probe_set_record_fn(p, on_record, ctx);
 *     hb_probe_start(p, &(struct hb_probe_start){.capture_mask = 0xF}, &started);
 *     hb_probe_poll(p, 100);   ...   hb_probe_stop(p, &stopped);
 *
 * Requests are answered one at a time; the probe's DATA frames arrive in between and are
 * decoded into records for the record callback (with 64-bit probe times), whatever call is
 * waiting. A BOOT frame means the probe reset: the call in progress fails with HB_ERR_GONE
 * and the reason (watchdog, power-on...) is in hb_probe_last_error(). Like the link client,
 * requests are retried after a corrupted exchange (ERROR BAD_HCRC/BAD_CRC/OVERSIZE/TIMEOUT/
 * BUSY, or a corrupted response) and, when they are idempotent, after a response timeout;
 * START, STOP and RESET are not repeated after a timeout. */
#ifndef HB_PROBE_H
#define HB_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include "hb_clock.h"
#include "hb_probe_codec.h"
#include "hb_status.h"
#include "hb_transport.h"

#ifdef __cplusplus
extern "C" {
#endif

struct hb_probe_opts {
	unsigned retries;         /* default 3 */
	unsigned base_timeout_ms; /* default 200; transfer time at the baud rate is added */
	struct hb_clock *clock;   /* NULL = hb_clock_default() */
};
void hb_probe_opts_default(struct hb_probe_opts *o);

struct hb_probe_stats {
	uint64_t requests, retries, timeouts, corrupted, stale, device_errors;
	uint64_t data_frames, boots;
};

/* A SYNC exchange: the host's clock around it and the probe's stamps. The probe received the
 * request's last byte between host_send_ns + (request bytes at the baud rate) and
 * host_recv_ns - (response bytes at the baud rate). */
struct hb_probe_sync_point {
	uint64_t host_send_ns, host_recv_ns;
	uint64_t probe_rx_us, probe_tx_us;
	size_t req_bytes, resp_bytes;
};

struct hb_probe;

/* Take over an open transport (not closed by hb_probe_close) and IDENTIFY the probe. */
enum hb_status hb_probe_open(struct hb_transport *t, const struct hb_probe_opts *opts,
			     struct hb_probe **out);
void hb_probe_close(struct hb_probe *p);
const char *hb_probe_last_error(const struct hb_probe *p);
const struct hb_probe_identity *hb_probe_identity(const struct hb_probe *p);
const struct hb_probe_stats *hb_probe_stats(const struct hb_probe *p);

enum hb_status hb_probe_identify(struct hb_probe *p, struct hb_probe_identity *id);
enum hb_status hb_probe_status(struct hb_probe *p, struct hb_probe_status *s);
/* Configure one slot; the probe writes the configuration register and reads it back.
 * An I2C failure is not an error of the call: see r->result (enum hbp_i2c_status). */
enum hb_status hb_probe_configure(struct hb_probe *p, const struct hb_probe_monitor *m,
				  struct hb_probe_config_result *r);
enum hb_status hb_probe_start(struct hb_probe *p, const struct hb_probe_start *s,
			      struct hb_probe_start_result *r);
/* Stop; the records still in the probe arrive (to the record callback) before the answer. */
enum hb_status hb_probe_stop(struct hb_probe *p, struct hb_probe_stop_result *r);
enum hb_status hb_probe_sync(struct hb_probe *p, struct hb_probe_sync_point *sp);
/* One I2C transaction through the probe. *i2c_status: enum hbp_i2c_status. */
enum hb_status hb_probe_i2c_xfer(struct hb_probe *p, uint8_t addr7, const uint8_t *w, size_t wn,
				 uint8_t *r, size_t rn, uint8_t *i2c_status);
/* Software reset; waits for the probe's BOOT frame and identifies it again. */
enum hb_status hb_probe_reset(struct hb_probe *p);

/* Records of the running stream go to fn (NULL: counted and dropped). */
void hb_probe_set_record_fn(struct hb_probe *p, hb_probe_record_fn fn, void *ctx);
/* Read DATA frames for up to timeout_ms (returns early once at least one frame arrived and
 * the line is idle). HB_ERR_GONE if the probe reset. */
enum hb_status hb_probe_poll(struct hb_probe *p, int timeout_ms);
const struct hb_probe_stream *hb_probe_stream(const struct hb_probe *p);

#ifdef __cplusplus
}
#endif
#endif
