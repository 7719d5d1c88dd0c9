/* hilbench — SC-NeuroCore experiment evidence for stored runs (docs/results.md "Receipts").
 *
 * SC-NeuroCore (sc_neurocore.hardware.experiment) admits a device measurement as evidence only
 * as a *receipt*: a protocol declared before the run (device, image sha256, network and data
 * sha256, samples, latency events with includes_transport, the power instrument), observations
 * sealed after it (latencies, number correct, energy with source "instrument"), derived
 * figures, and sha256 digests over the canonical JSON of each (Python's
 * json.dumps(sort_keys=True, separators=(",", ":"))). hilbench writes that document from the
 * result JSON of one or more stored runs, each one measured run.
 *
 * A run on the virtual board (or a twin) is simulated: its receipt says so ("simulated": true,
 * energy source "simulated", device and instrument marked simulated), which SC-NeuroCore's
 * verify_receipt refuses by construction — it can never pass as an instrument measurement. */
#ifndef HB_RECEIPT_H
#define HB_RECEIPT_H

#include <stddef.h>

#include "hb_status.h"

struct cJSON;

#define HB_RECEIPT_PROTOCOL_SCHEMA "sc-neurocore.hardware-experiment-protocol.v1"
#define HB_RECEIPT_SCHEMA "sc-neurocore.hardware-experiment-receipt.v1"

/* Facts a run cannot know: who runs it and the power instrument's identity and calibration.
 * Read from an INI file (hb_receipt_info_load) with sections [operator] name, contact;
 * [device] serial, vendor, model; [instrument] vendor, model, serial, certificate,
 * calibrated_on, valid_until (YYYY-MM-DD), measurement_point. Every field is optional. */
struct hb_receipt_info {
	char operator_name[96], operator_contact[128];
	char device_serial[96], device_vendor[64], device_model[64];
	char instrument_vendor[64], instrument_model[64], instrument_serial[96];
	char certificate[128], calibrated_on[16], valid_until[16], measurement_point[128];
};

/* Defaults: operator $USER (or "unknown operator"), everything else empty. */
void hb_receipt_info_default(struct hb_receipt_info *info);
/* Read an info file over the defaults. Unknown sections/keys and malformed dates are errors
 * (err names the line). */
enum hb_status hb_receipt_info_load(const char *path, struct hb_receipt_info *info, char *err,
				    size_t errlen);

/* The receipt for n stored result documents (hilbench-result/1 with the "run" and "measured"
 * objects of `hilbench run`), one measured run each, all of one board, network and image.
 * Returns NULL and the reason in err when the runs cannot make one receipt (different boards or
 * networks, a run without timing, a bitstream nobody recorded). */
struct cJSON *hb_receipt_build(const struct cJSON *const *docs, size_t n,
			       const struct hb_receipt_info *info, char *err, size_t errlen);
/* hb_receipt_build and write it (pretty printed) to path. */
enum hb_status hb_receipt_write_file(const char *path, const struct cJSON *const *docs, size_t n,
				     const struct hb_receipt_info *info, char *err, size_t errlen);

/* Python's json.dumps(doc, sort_keys=True, separators=(",", ":"), allow_nan=False) for the
 * receipt's documents: numbers print as Python floats (repr), except the integer fields of
 * SC-NeuroCore's schema (samples, warmup_runs, measured_runs, correct). malloc'ed; NULL on a
 * non-finite number. */
char *hb_receipt_canonical(const struct cJSON *doc);
/* Lower-case hex SHA-256 (65 bytes with the NUL) of data / of a file. */
void hb_sha256_hex(const void *data, size_t n, char out[65]);
enum hb_status hb_sha256_file(const char *path, char out[65]);

#endif
