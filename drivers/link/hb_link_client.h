/* hilbench — link protocol v1 host client (docs/protocol.md).
 *
 * Talks to a gateware (real board or virtual board) over a struct hb_transport.
 * Policy lives here (sequence numbers, retries, timeouts, chunking, read-back
 * verification); wire encoding lives in hb_link_codec.h.
 *
 * Typical use (error handling shortened):
 *
 *     struct hb_link *l;
 *     struct hb_link_opts o;
 *     hb_link_opts_default(&o);
 *     hb_link_open(transport, &o, &l);              // no I/O yet
 *     hb_link_identify(l, &id);                     // lanes, limits, clock_hz
 *     hb_link_netcfg_layout(&cfg, &wbytes);         // from hb_link_codec.h
 *     hb_link_load_config(l, &cfg);                 // checked against identity
 *     hb_link_load_weights(l, wimg, wbytes, &verified);  // READ-back verified
 *     hb_link_stream_inputs(l, bits, nbytes, &stamp);
 *     hb_link_infer(l, sample_id, 0, &res);         // 0: client estimates cycles
 *     hb_link_batch(l, 1000, res.busy_cycles, &bres);
 *     hb_link_close(l);                             // does not close the transport
 *
 * Every function returns HB_OK or a negative enum hb_status; on error the
 * reason is logged (prefix "link") and kept in hb_link_last_error(), e.g.
 *   "LOAD seq 7: device answered ERROR(BAD_ARG) for LOAD"
 *   "INFER seq 9: no valid response after 4 attempts (last: response timeout 152 ms)".
 * Status mapping for device ERROR reasons that are not retried:
 *   BAD_ARG → HB_ERR_ARG, NOT_CONFIGURED → HB_ERR_PROTO, BAD_LENGTH /
 *   UNKNOWN_TYPE → HB_ERR_PROTO. Retries exhausted: HB_ERR_TIMEOUT if the last
 *   attempt timed out or was truncated, HB_ERR_CRC if it was a corrupted frame,
 *   HB_ERR_BUSY if the device was busy, HB_ERR_PROTO if the device kept answering
 *   retryable ERROR frames (BAD_HCRC, BAD_CRC, OVERSIZE, TIMEOUT, foreign seq). Transport failures (HB_ERR_IO, HB_ERR_GONE …) are returned
 *   as they are, without retry.
 *
 * Not thread-safe: one client per transport, one request in flight. */
#ifndef HB_LINK_CLIENT_H
#define HB_LINK_CLIENT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hb_clock.h"
#include "hb_link_codec.h"
#include "hb_status.h"
#include "hb_transport.h"

#ifdef __cplusplus
extern "C" {
#endif

struct hb_link_opts {
	/* Retries after the first attempt (docs/protocol.md host rules: 3) while the attempts
	 * fail without a sign of the device (response timeouts) or with BUSY. 0: no retry at
	 * all. */
	unsigned retries;
	/* Retries while the failures are line noise (corrupted or cut frames, the device's
	 * receive-error answers: it is there, the line is bad): up to this many attempts after
	 * the first for one request or chunk (default 64). */
	unsigned noisy_retries;
	/* Baud rate used in the response-timeout formula; 0 = the transport's
	 * t->baud (and 115200 if that is 0 too). */
	unsigned baud;
	/* Fixed part of the response timeout (100 ms). */
	unsigned base_timeout_ms;
	/* Host inter-byte timeout inside a frame (100 ms). */
	unsigned interbyte_timeout_ms;
	/* Before a retry, input is read and discarded until the line has been
	 * quiet this long, so late or duplicate ERROR frames of the failed
	 * attempt are not taken for the retry's answer (default 30 ms: three
	 * times the device's 10 ms inter-byte timeout). */
	unsigned drain_quiet_ms;
	/* Wait before retrying after ERROR(BUSY) (default 10 ms). */
	unsigned busy_backoff_ms;
	/* Safety margin on expected compute time, percent (docs: 50). */
	unsigned compute_margin_pct;
	/* Read back WEIGHTS (and CONFIG) after loading when the device has the
	 * READ capability (default true). */
	bool verify;
	/* Clock for timeouts and back-off; NULL = hb_clock_default() at open. */
	struct hb_clock *clock;
	/* When set (nonzero) by a signal handler, a request in progress gives up at its next
	 * wait or retry with HB_ERR_INTERRUPTED (Ctrl-C while the link is retrying). NULL: never. */
	volatile sig_atomic_t *abort_now;

	/* Adapting to a noisy line (docs/protocol.md §5 "A noisy line"; default true):
	 *  - LOAD/STREAM and READ chunks halve after shrink_after consecutive failed attempts
	 *    (down to chunk_min data bytes) and double after grow_after first-attempt
	 *    successes (up to max_payload);
	 *  - retries of one request back off: backoff_base_us, doubling, at most
	 *    backoff_max_ms (the pause is at least the drain's quiet time);
	 *  - once three responses have been timed, the response timeout, the drain's quiet
	 *    time and the host inter-byte timeout follow the measured latency (never below
	 *    the device's 10 ms inter-byte timeout + 2 ms for the response timeout);
	 *  - write-then-verify: when the written data will be read back (WEIGHTS with verify,
	 *    INPUT after a damaged STREAM), a chunk the device answered BAD_CRC or TIMEOUT for
	 *    is not resent: the gateware has written what arrived, and the read-back repairs
	 *    the bytes that differ (up to verify_rounds read-backs). */
	bool adapt;
	unsigned chunk_min;       /* 16 */
	unsigned shrink_after;    /* 2 */
	unsigned grow_after;      /* 8 */
	unsigned backoff_base_us; /* 500 */
	unsigned backoff_max_ms;  /* 50 */
	unsigned verify_rounds;   /* 8 */
	/* Pipelined WEIGHTS loads (default true; needs adapt, READ and the device's PIPELINE
	 * capability): up to two LOADs outstanding, chunk size from the measured rate of lost
	 * frames, damaged chunks left to the read-back (docs/protocol.md §5 "Pipelining"). With
	 * the CHECK capability, the read-backs after repairs are CRC checks of the image. */
	bool pipeline;
};

/* Fill opts with the defaults above. */
void hb_link_opts_default(struct hb_link_opts *o);

/* Counters kept by the client; all monotonically increasing. */
struct hb_link_stats {
	uint64_t requests;        /* logical requests (one per API call / chunk) */
	uint64_t attempts;        /* frames sent, retries included */
	uint64_t retries;         /* attempts − requests (that were retried) */
	uint64_t timeouts;        /* attempts that hit the response timeout */
	uint64_t truncated;       /* response frames cut by the inter-byte timeout */
	uint64_t corrupted;       /* response frames with bad hcrc / crc / oversize */
	uint64_t stale;           /* well-formed frames discarded (wrong seq / type) */
	uint64_t device_errors;   /* ERROR frames received */
	uint64_t busy;            /* ERROR(BUSY) received */
	uint64_t bytes_tx;        /* bytes written, framing included */
	uint64_t bytes_rx;        /* bytes read, garbage included */
	uint64_t payload_tx;      /* payload bytes of accepted requests */
	uint64_t payload_rx;      /* payload bytes of accepted responses */
	uint64_t garbage_bytes;   /* from the decoder */
	/* Adaptation (hb_link_opts.adapt). */
	uint64_t noise_errors;    /* attempts lost to line noise (see noisy_retries) */
	uint64_t shrinks, grows;  /* chunk size halvings and doublings */
	uint32_t chunk_write;     /* current data bytes per LOAD/STREAM request */
	uint32_t chunk_read;      /* current data bytes per READ request */
	uint32_t chunk_write_min; /* smallest used so far (0: none yet) */
	uint32_t chunk_read_min;
	uint64_t backoff_ns;      /* time spent backing off before retries */
	uint64_t unconfirmed;     /* damaged write chunks left to the read-back */
	uint64_t verify_reads;    /* read-back passes (each over the whole image) */
	uint64_t repairs;         /* ranges rewritten after a read-back found them wrong */
	uint64_t repaired_bytes;
	uint32_t timeout_ms;      /* the response timeout of the last data request */
	uint64_t pipelined;       /* LOAD chunks sent pipelined */
	uint64_t pipe_lost;       /* of those, answers that never came (left to the read-back) */
	uint64_t checks;          /* CHECK requests */
	uint64_t check_mismatches; /* CHECKs whose CRC differed from the host's */
	uint64_t nudges;          /* late answers nudged with two 0x00 bytes (docs/protocol.md §5) */
};

/* The statistics as (name, value) pairs, for reports: the "link" object of a run's JSON
 * (docs/results.md). Names are snake_case, stable. Returns the number written (<= cap;
 * HB_LINK_STATS_N is enough). */
struct hb_link_stat {
	const char *name;
	uint64_t value;
};
#define HB_LINK_STATS_N 32
size_t hb_link_stats_list(const struct hb_link_stats *s, struct hb_link_stat *out, size_t cap);

/* The client. Read-only for callers except through the functions below. */
struct hb_link {
	struct hb_transport *t;
	struct hb_link_opts opts;
	struct hb_clock *clock;
	uint8_t seq;            /* seq of the last request sent */
	bool seq_started;
	bool have_identity;
	struct hb_link_identity id;  /* valid when have_identity */
	bool have_config;
	struct hb_link_netcfg cfg;   /* last CONFIG loaded successfully */
	uint64_t last_busy_cycles;   /* from the last INFER, 0 if none */
	uint8_t last_reason;         /* last device ERROR reason seen, 0 if none */
	bool last_err_ours;          /* ... and it carried our seq */
	struct hb_link_stats stats;
	/* adaptation state (private) */
	uint32_t chunk_w, chunk_r;   /* 0 = max_payload's */
	unsigned ok_w, fail_w, ok_r, fail_r; /* streaks */
	uint64_t srtt_ns, rttvar_ns; /* response latency beyond the transfer time */
	unsigned rtt_n;
	unsigned rto_shift;          /* timeouts in a row: the adaptive timeout doubles each */
	uint64_t pm_bytes, pm_lost;  /* pipelined frame bytes sent and frames lost (decayed) */
	uint64_t pm_damaged;         /* ... and frames not confirmed, lost ones included */
	bool dirty[3];               /* by region: a damaged write may have left wrong bytes */
	char last_error[256];
	struct hb_link_decoder dec;
	uint8_t tx[HB_LINK_MAX_FRAME];
	uint8_t rx_payload[HB_LINK_MAX_PAYLOAD];
	uint8_t rx_chunk[256];
	uint8_t pending[256];        /* pipelined answers: bytes read, not yet decoded */
	size_t pend_n, pend_off;
};

/* Create a client on an open transport (not owned). Does no I/O; the first
 * call that needs the device's identity runs IDENTIFY. opts may be NULL
 * (defaults). */
enum hb_status hb_link_open(struct hb_transport *t, const struct hb_link_opts *opts,
			    struct hb_link **out);
/* Free the client (the transport stays open). NULL is fine. */
void hb_link_close(struct hb_link *l);

/* Human-readable reason of the last failure ("" if none). */
const char *hb_link_last_error(const struct hb_link *l);

/* IDENTIFY: read and cache the device identity (also refreshes the cached
 * configured/K/L/sizes). Fails with HB_ERR_UNSUPPORTED if proto_version is
 * not 1. out may be NULL. */
enum hb_status hb_link_identify(struct hb_link *l, struct hb_link_identity *out);

/* LOAD a CONFIG built from cfg (hb_link_netcfg_pack). cfg->w_offset must be
 * filled (hb_link_netcfg_layout). Checked with hb_link_netcfg_check against
 * the identity first (HB_ERR_RANGE with the reason, nothing sent). With READ
 * capability and opts.verify the 160 bytes are read back and compared. */
enum hb_status hb_link_load_config(struct hb_link *l, const struct hb_link_netcfg *cfg);

/* LOAD a WEIGHTS image (hb_link_weights_pack) from offset 0, in chunks of
 * max_payload − 5 bytes, each retried per the host rules. Then, if the
 * device has READ and opts.verify, read it back in max_payload chunks and
 * compare: a difference is HB_ERR_MISMATCH naming the first offset.
 * *verified (may be NULL) tells whether the read-back happened. */
enum hb_status hb_link_load_weights(struct hb_link *l, const uint8_t *img, size_t n,
				    bool *verified);

/* Generic chunked LOAD (region CONFIG or WEIGHTS) / READ (any region). */
enum hb_status hb_link_load(struct hb_link *l, uint8_t region, uint32_t offset, const void *data,
			    size_t n);
enum hb_status hb_link_read(struct hb_link *l, uint8_t region, uint32_t offset, void *buf,
			    size_t n);

/* CHECK (§4.6): the device's CRC-16 (hb_link_crc16 from 0xFFFF) of n bytes of a region from
 * offset, n in 1 … 65535. HB_ERR_UNSUPPORTED without the CHECK capability. */
enum hb_status hb_link_check(struct hb_link *l, uint8_t region, uint32_t offset, size_t n,
			     uint16_t *crc);

/* STREAM an INPUT image (n_in[0]·L/8 bytes, §3.3) from offset 0 in chunks of
 * max_payload − 4 bytes. *stamp_last (may be NULL) receives the stamp of the
 * last chunk: the "inputs complete" cycle. */
enum hb_status hb_link_stream_inputs(struct hb_link *l, const void *img, size_t n,
				     uint64_t *stamp_last);

/* INFER one sample on the INPUT region. expected_cycles: the busy cycles the
 * caller expects (golden timing formula); 0 = the client estimates them (last
 * INFER's busy_cycles, else a bound from the loaded CONFIG, see
 * hb_link_estimate_cycles). The response timeout adds expected_cycles /
 * clock_hz with opts.compute_margin_pct. Checks that sample_id is echoed. */
enum hb_status hb_link_infer(struct hb_link *l, uint32_t sample_id, uint64_t expected_cycles,
			     struct hb_link_infer_result *out);

/* BATCH of n inferences. expected_cycles_each as for hb_link_infer (per
 * inference); the timeout allows n times it. HB_ERR_UNSUPPORTED if the
 * device lacks the BATCH capability. Checks that n is echoed. */
enum hb_status hb_link_batch(struct hb_link *l, uint32_t n, uint64_t expected_cycles_each,
			     struct hb_link_batch_result *out);

/* COUNTERS and RESET (RESET clears the device counters, not the config). */
enum hb_status hb_link_counters(struct hb_link *l, struct hb_link_counters *out);
enum hb_status hb_link_reset(struct hb_link *l);

/* The client's estimate of busy cycles per inference when the caller gives
 * none: the last INFER's busy_cycles if any, else an upper-bound guess from
 * the loaded CONFIG: Σ_k n_out[k]·(n_in[k] + 16)·⌈L/P⌉ (one synapse-word
 * per cycle plus per-neuron overhead), 0 if nothing is known. */
uint64_t hb_link_estimate_cycles(const struct hb_link *l);

/* Response timeout in ms for a request of req_len payload bytes expecting at
 * most resp_len payload bytes and compute_cycles of device work:
 * base + 10 bits/byte · (both frames) / baud + compute/clock · (1 + margin). */
unsigned hb_link_response_timeout_ms(const struct hb_link *l, size_t req_len, size_t resp_len,
				     uint64_t compute_cycles);

/* One raw transaction with retries: send (type, payload), wait for the
 * response type|0x80 with the same seq, copy its payload to resp (cap bytes,
 * length through *resp_len). resp_max is the largest response payload
 * expected (for the timeout). Used by the functions above; public for tools
 * and tests. */
enum hb_status hb_link_transact(struct hb_link *l, uint8_t type, const void *req, size_t req_len,
				void *resp, size_t cap, size_t *resp_len, size_t resp_max,
				uint64_t compute_cycles);

#ifdef __cplusplus
}
#endif
#endif
