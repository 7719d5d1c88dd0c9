/* A fake gateware at the transport seam: a small state machine that speaks
 * link protocol v1 (docs/protocol.md), holds CONFIG / WEIGHTS / INPUT, runs a
 * trivial "inference" and injects faults on request. Time comes from the
 * default hb_clock (install tests/fakes/fake_clock.h): reading with nothing
 * ready advances the clock by the timeout instead of sleeping.
 *
 *     struct fake_link_device *d = fake_link_device_new();
 *     hb_link_open(&d->transport, NULL, &l);
 *     d->drop_responses = 1;        // the next response is lost
 *     ...
 *     fake_link_device_free(d);
 *
 * The "inference" is NOT the SNN: counts[j] = popcount of the INPUT bytes
 * whose index ≡ j (mod n_out) over the first n_in·L/8 bytes, plus the
 * magnitude of the first weight byte of neuron j in the last layer; class =
 * argmax (lowest index on ties). busy_cycles = busy_cycles_per_inference, or
 * Σ n_out·n_in·L/P if that is 0. Responses become readable compute-time
 * after the request (cycles / clock_hz of fake time). */
#ifndef FAKE_LINK_DEVICE_H
#define FAKE_LINK_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hb_link_codec.h"
#include "hb_transport.h"

#define FAKE_LINK_WMEM 65536
#define FAKE_LINK_IMEM 16384

struct fake_link_device {
	struct hb_transport transport; /* hand this to hb_link_open() */
	struct hb_link_identity id;    /* edit before use (caps, limits, clock) */

	/* Memories. */
	uint8_t config[HB_LINK_CONFIG_BYTES];
	uint8_t weights[FAKE_LINK_WMEM];
	uint8_t input[FAKE_LINK_IMEM];
	struct hb_link_netcfg cfg;
	bool configured;
	uint64_t busy_cycles_per_inference;

	/* Protocol state. */
	struct hb_link_decoder dec;
	struct hb_link_counters counters;
	uint64_t garbage_base;
	uint8_t out[16384]; /* device → host bytes not yet read */
	size_t out_n, out_pos;
	uint64_t ready_at_ns; /* out becomes readable at this fake time */

	/* Fault injection (each consumed as it fires). */
	unsigned drop_responses;   /* do not send the next N responses */
	int corrupt_response_at;   /* flip bit 0 of byte k of the next response; -1 off */
	unsigned busy_answers;     /* answer ERROR(BUSY) to the next N requests */
	int corrupt_request_at;    /* flip bit 0 of byte k of the next host write; -1 off */
	unsigned garbage_before;   /* emit N garbage bytes (incl. one 0xA5) before next response */
	bool truncate_response;    /* send only the first half of the next response */
	bool duplicate_stale;      /* send a stale copy (seq − 1) before the next response */
	int stuck_weight_offset;   /* WEIGHTS byte k reads back with bit 0 flipped; -1 off */
	uint8_t force_error;       /* answer the next request with ERROR(reason); 0 off */

	/* Observation. */
	unsigned requests[256];    /* well-formed requests seen, by type */
	unsigned errors_sent[16];  /* ERROR frames sent, by reason */
	uint8_t last_seq;
	uint64_t bytes_from_host;
	uint64_t partial_writes;   /* damaged LOAD/STREAM frames whose bytes were written anyway */

	/* The line (fake_link_line_on): private state. */
	struct fake_link_line *line;
};

/* A UART line in the fake's own simulated time (the default hb_clock, i.e. the fake clock):
 * every byte takes 10 bits / baud on the wire, each way; the device answers when a frame's
 * last byte has arrived (plus compute time), its inter-byte timeout is 10 ms, and a read
 * returns only the bytes that have arrived. Faults per direction: each of a byte's 10 bits
 * (start, 8 data, stop) flips with probability ber (a data bit flips the byte, a start bit
 * garbles it, a stop bit makes the receiver drop it, as hb_uart_rx does); drop and dup are
 * per byte. Like the gateware, a request that arrives while an INFER/BATCH computes is
 * answered ERROR(BUSY), and the device writes LOAD/STREAM data as it arrives: a frame
 * whose CRC fails (or that times out) leaves the bytes it carried at the offsets its
 * (possibly damaged) arguments named. */
struct fake_link_line_cfg {
	unsigned baud;
	double ber_h2d, ber_d2h;     /* per bit */
	double drop_h2d, drop_d2h;   /* per byte */
	double dup_h2d, dup_d2h;     /* per byte */
	uint64_t latency_ns;         /* added to every byte's delivery, both ways */
	uint64_t seed;               /* 0 = 1 */
};
struct fake_link_line_stats {
	uint64_t bytes_h2d, bytes_d2h;
	uint64_t bits_flipped, bytes_garbled, bytes_dropped, bytes_duped;
};

struct fake_link_device *fake_link_device_new(void);
void fake_link_device_free(struct fake_link_device *d);
/* Number of bytes queued for the host and not yet read. */
size_t fake_link_device_pending(const struct fake_link_device *d);
/* Switch the line model on (before the first I/O). Sets transport.baud. */
void fake_link_line_on(struct fake_link_device *d, const struct fake_link_line_cfg *cfg);
/* Change the fault rates of a line that is on (baud and latency stay). */
void fake_link_line_faults(struct fake_link_device *d, double ber_h2d, double ber_d2h,
			   double drop_h2d, double dup_h2d);
const struct fake_link_line_stats *fake_link_line_stats(const struct fake_link_device *d);

#endif
