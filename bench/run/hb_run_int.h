/* hilbench — `hilbench run` internals shared by the procedure (hb_run.c) and the report
 * (hb_run_report.c): what one run measured. */
#ifndef HB_RUN_INT_H
#define HB_RUN_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "hb_board.h"
#include "hb_db.h"
#include "hb_link_client.h"
#include "hb_measure.h"
#include "hb_model.h"
#include "hb_probe_windows.h"
#include "hb_rails.h"
#include "hb_run.h"
#include "hb_run_extra.h"
#include "hb_session.h"
#include "hb_vboard_proc.h"

#define MAX_WINDOWS 64

struct window {
	uint32_t n;
	uint64_t t0, t1, busy;      /* device stamps and busy cycles */
	double dev_s;               /* (t1 - t0) / clock */
	struct hb_window_power pw;  /* summed over rails when available */
	double power_mw, e_total_nj, e_dyn_nj, throughput, latency_cycles;
	bool golden_ok;
	bool have_truth;
	struct hb_vboard_truth truth;
	double truth_e_nj, truth_power_mw;
};


struct run {
	const struct hb_run_opts *o;
	struct hb_board board;
	struct hb_net net;
	bool net_loaded;
	char net_path[1024];
	struct hb_digits digits;
	bool have_digits;
	struct hb_session *sess;
	double window_s;             /* the window length used */
	struct hb_transport *tr;
	struct hb_link *link;
	struct hb_link_identity id;
	double clock_hz;
	struct hb_rails *rails;
	struct hb_probe_windows *probe; /* monitors on a bench probe (hb_probe_windows.h) */
	/* results */
	char started_at[40], finished_at[40];
	unsigned n_checked, n_mismatch, n_correct, n_labelled;
	double *rtt_ms;
	size_t n_rtt;
	uint64_t latency_cycles;     /* from INFER (busy cycles of one inference) */
	struct hb_model_result last_golden;
	bool have_last_golden;
	struct hb_sync_point idle_sync[2];
	struct hb_window_power idle_pw;
	double p_idle_mw;
	bool have_idle;
	bool have_idle_truth;
	struct hb_vboard_truth idle_truth;
	struct window win[MAX_WINDOWS];
	unsigned n_win;
	char err[512];
	char warning[512];           /* a partial run: what it lacks (docs/measurement.md) */
	struct hb_db *db;            /* opened by the output check, before anything starts */
	struct hb_run_extra extra; /* calibration, sweeps, receipts (hb_run_extra.c) */
};

/* A window is valid when its power was measured (each window is judged on its own: its
 * samples, its monitors' outages). Timing figures come from every window measured; power,
 * energy and the truth they are checked against from the valid ones only. */
static inline bool hb_run_window_valid(const struct window *w)
{
	return w->pw.available != 0;
}

/* The figures of a run: medians over the windows (docs/measurement.md). */
struct hb_run_figures {
	double latency_cycles, latency_ms, throughput, power_mw, e_total_nj, e_dyn_nj;
	double truth_power_mw, truth_e_nj, truth_idle_mw;
	bool power_ok, truth_ok;
	char power_reason[200];
	unsigned windows_valid;      /* k: windows with power */
	unsigned windows_measured;   /* windows measured (timing) */
	unsigned windows_total;      /* W: windows asked for */
	char windows_invalid[400];   /* "window 3: why; window 5: why" ("" when none) */
};

void hb_run_figures(struct run *r, struct hb_run_figures *f);
/* Check --json, --csv, --plot, --receipt and the database before anything starts; opens the
 * database into r->db (hb_run_outputs.c). HB_ERR_ARG with the reason in err: exit 2. */
enum hb_status hb_run_check_outputs(struct run *r, char *err, size_t errlen);
/* The profiler table, the detail lines, JSON, CSV, the database and the plot. */
enum hb_status hb_run_report(struct run *r, enum hb_run_status status);

#endif
