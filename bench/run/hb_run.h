/* hilbench — the measurement procedure behind `hilbench run` (docs/measurement.md).
 *
 * resolve board -> flash (hardware) or start the virtual board (sim) -> open the link ->
 * identify and check -> load the network, verify -> correctness and host round trips on
 * single streamed inferences -> idle baseline -> warm-up -> W windows of BATCH inferences,
 * each bounded by COUNTERS sync points and integrated from the INA219 samples -> the
 * profiler table (measured beside modeled), JSON, CSV, SQLite.
 *
 * Library code: reports progress through hb_progress on opts->out (stdout for the CLI) and
 * logs; keeps every figure measured so far when a later phase fails or the user interrupts. */
#ifndef HB_RUN_H
#define HB_RUN_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "hb_status.h"

struct cJSON;

struct hb_run_opts {
	const char *board;        /* name or family alias; NULL = "sim" */
	const char *boards_dir;   /* user boards dir (may be NULL) */
	const char *net;          /* shipped name or path; NULL = "digits" */
	unsigned windows;         /* W, default 5 */
	double window_s;          /* window length in device seconds; 0 = by the session (below) */
	double baseline_s;        /* idle baseline length, default 2 s */
	double warmup_s;          /* warm-up batch length, default 0.2 s */
	unsigned samples;         /* single streamed inferences (golden check, accuracy, host RTT); default 50 */
	uint32_t seed;            /* inputs for networks without a data set */
	int no_flash;
	const char *bitstream;    /* override the board's bitstream */
	const char *vboard_exe;   /* override hilbench-vboard */
	const char *pacing;       /* virtual: "virtual" (default), "realtime" or "fast" */
	int virtual_board;        /* --virtual: the board's twin instead of the hardware */
	uint64_t board_seed;      /* virtual: INA219 noise and fault seed (default 1) */
	const char *const *vboard_args; /* virtual: extra hilbench-vboard arguments (tests) */
	const char *json_path, *csv_path, *plot_path, *db_path;
	int no_db;
	int quiet;
	FILE *out;                /* progress and table (stdout) */
	const char *command_line; /* stored with the run */
	volatile sig_atomic_t *interrupted; /* set by a SIGINT handler; polled between steps */
	volatile sig_atomic_t *abort_now;   /* set by a second SIGINT: waits give up at once */
};

void hb_run_opts_default(struct hb_run_opts *o);

/* On a virtual board, measured energy and power must be within this share of the board's
 * exact truth, or the run fails (docs/measurement.md). */
#define HB_RUN_TRUTH_BOUND 0.005
/* Default window length: hardware (host clock), simulated time (docs/measurement.md). */
#define HB_RUN_WINDOW_S_HW 3.0
#define HB_RUN_WINDOW_S_SIM 0.5

/* Run the whole procedure. Returns HB_OK when every figure was measured and checked,
 * HB_ERR_MISMATCH when results differed from the golden model (the run is still stored),
 * HB_ERR_INTERRUPTED when the user stopped it, another status on failure. A usage problem
 * (unknown board or network) returns HB_ERR_ARG/HB_ERR_NOTFOUND before anything starts.
 * err receives a one-line reason. */
enum hb_status hb_run(const struct hb_run_opts *o, char *err, size_t errlen);

#endif
