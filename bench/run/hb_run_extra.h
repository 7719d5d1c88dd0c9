/* hilbench — what calibration, sweeps and receipts add to `hilbench run` (docs/calibration.md,
 * docs/results.md). hb_run.c calls these at a few well-delimited points; everything they need
 * from the run is passed in, so the procedure itself does not change. */
#ifndef HB_RUN_EXTRA_H
#define HB_RUN_EXTRA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hb_activity.h"
#include "hb_board.h"
#include "hb_model.h"
#include "hb_report.h"
#include "hb_run.h"

struct cJSON;

struct hb_run_extra {
	bool have_act;            /* the activity of the window input (BATCH repeats the last sample) */
	struct hb_activity act;
	unsigned lanes;
	char data_file[1024];     /* the labelled data set used, "" for generated inputs */
};

void hb_run_extra_init(struct hb_run_extra *x);

/* opts->clock_hz on a virtual board or twin: the board copy runs at that clock (the virtual
 * board takes clock and baud as inputs; the baud is lowered if the UART would get fewer than
 * 4 cycles per bit). Hardware keeps its profile: its gateware must report the clock. */
void hb_run_extra_clock(const struct hb_run_opts *o, struct hb_board *b);

/* sample_values(): scale the input values by opts->input_scale (moves the spike density). */
void hb_run_extra_scale_inputs(const struct hb_run_opts *o, uint16_t *v, unsigned n);

/* After the single inferences: the window input's bits (the last streamed sample). */
void hb_run_extra_window_input(struct hb_run_extra *x, const struct hb_net *net, unsigned lanes,
			       const uint8_t *bits);

/* The calibrated row (opts->calibration_path) for the run's network at its clock: 1 when a row
 * was written to *row, 0 when no calibration was asked for, -1 on error (reason in err; the
 * run's measurements stand, the error is reported). */
int hb_run_extra_calibrated_row(const struct hb_run_extra *x, const struct hb_run_opts *o,
				const char *family, double clock_hz, struct hb_platform_result *row,
				char *err, size_t errlen);

/* Facts from the run that the run JSON gains for calibration and receipts. */
struct hb_run_facts {
	const double *rtt_ms;
	size_t n_rtt;
	unsigned samples, labelled, correct, singles_checked, singles_mismatched;
	const char *net_path;
	const char *device_serial;   /* board profile USB serial ("" unknown) */
	const char *fpga_part;
	const char *measurement_point; /* the first monitor's rail label */
	double power_sample_rate_hz; /* INA219 conversions per second (NaN: no monitor) */
	bool simulated;              /* virtual board or twin */
	const char *vboard_exe;      /* the simulator executable (simulated runs) */
	const char *bitstream;       /* the bitstream flashed ("" or NULL: none) */
};

/* Add to the result document's "run" object: activity, sweep_id, input description, digests
 * (network, data, image), device facts; and to "measured": per-sample host round trips, the
 * labelled/correct counts, the power sample rate. */
void hb_run_extra_attach(const struct hb_run_extra *x, const struct hb_run_opts *o,
			 const struct hb_run_facts *f, struct cJSON *run, struct cJSON *measured);

/* opts->receipt_path: write SC-NeuroCore's receipt for this run from its result document. */
enum hb_status hb_run_extra_receipt(const struct hb_run_opts *o, const struct cJSON *doc, char *err,
				    size_t errlen);

#endif
