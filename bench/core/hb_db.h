/* hilbench — the run history: every `hilbench run` stored in SQLite.
 *
 * Schema (created by hb_db_open, version in PRAGMA user_version = 3; version 1 and 2 files
 * are migrated in place, docs/results.md):
 *   runs(id INTEGER PRIMARY KEY, started_at TEXT, finished_at TEXT, status TEXT CHECK
 *        (status IN ('complete','partial','interrupted','failed')), board TEXT, net TEXT,
 *        command_line TEXT, result_json TEXT, sweep_id INTEGER NULL,
 *        windows_valid INTEGER NULL, windows_total INTEGER NULL)
 *   rows(run_id REFERENCES runs(id) ON DELETE CASCADE, idx INTEGER, platform TEXT,
 *        latency_ms REAL, throughput_inf_per_s REAL, power_mw REAL, energy_per_inf_nj REAL,
 *        available INTEGER, notes TEXT, source TEXT ('measured','modeled','calibrated'),
 *        ratio_to_model REAL, PRIMARY KEY(run_id, idx))
 *   sweeps(id, created_at, board, name, plan_text, command_line)
 *   sweep_points(sweep_id REFERENCES sweeps ON DELETE CASCADE, idx, label, status
 *        ('pending','done','failed'), run_id, error, started_at, finished_at,
 *        PRIMARY KEY(sweep_id, idx))
 *   calibrations(id, created_at, board, sweep_id, source, calibration_json)
 * Times are ISO 8601 with a UTC offset ("2026-11-28T15:10:16+01:00"). */
#ifndef HB_DB_H
#define HB_DB_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "hb_report.h"
#include "hb_status.h"

#ifdef __cplusplus
extern "C" {
#endif

struct hb_db; /* opaque */

/* The schema this hilbench writes; a database with a higher version is refused. */
#define HB_DB_SCHEMA_VERSION 3
/* How long a database another connection holds is waited for before it is reported locked. */
#define HB_DB_BUSY_TIMEOUT_MS 5000

/* How a run ended (docs/measurement.md, "Run status"). */
enum hb_run_status {
	HB_RUN_COMPLETE = 0,    /* every window valid, every check passed */
	HB_RUN_INTERRUPTED = 1, /* stopped by the user: what was measured is kept */
	HB_RUN_FAILED = 2,      /* no figure it could stand behind, or a check failed */
	HB_RUN_PARTIAL = 3,     /* checked figures, from k < W valid windows (or no idle baseline) */
};

const char *hb_run_status_name(enum hb_run_status s); /* "complete", ... */
enum hb_status hb_run_status_parse(const char *s, enum hb_run_status *out);

/* The default database path: $XDG_DATA_HOME/hilbench/runs.sqlite, or
 * $HOME/.local/share/hilbench/runs.sqlite. The directories are created (mode 0700 for the
 * ones hilbench makes). HB_ERR_NOTFOUND when neither variable is set. */
enum hb_status hb_db_default_path(char *buf, size_t size);

/* Open (creating file and schema when missing, migrating an older schema). NULL path =
 * hb_db_default_path(). Failures are logged. HB_ERR_UNSUPPORTED: a newer schema (the file is
 * not touched); HB_ERR_BUSY: locked by another connection for HB_DB_BUSY_TIMEOUT_MS;
 * HB_ERR_ARG: the path is a directory; HB_ERR_NOTFOUND: its directory does not exist. */
enum hb_status hb_db_open(const char *path, struct hb_db **out);
/* The same, with the reason (what and where) in err instead of the log. */
enum hb_status hb_db_open_msg(const char *path, struct hb_db **out, char *err, size_t errlen);
/* hb_strerror(), but HB_ERR_BUSY is "database locked by another connection". */
const char *hb_db_strerror(enum hb_status st);
void hb_db_close(struct hb_db *db);

/* Format a time as ISO 8601 with the local UTC offset: "YYYY-MM-DDTHH:MM:SS+HH:MM".
 * buf needs >= 26 bytes. */
void hb_db_iso8601(time_t t, char *buf, size_t size);

/* A run to store, or one read back. Strings are owned by the caller on append, by the run
 * (freed with hb_db_run_free) on get/list. */
struct hb_db_run {
	int64_t id;               /* set by append */
	char *started_at;
	char *finished_at;
	enum hb_run_status status;
	char *board;
	char *net;
	char *command_line;
	char *result_json;        /* the full result document (hb_report_json_new + attachments) */
	int64_t sweep_id;         /* the sweep the run belongs to; 0 none */
	int windows_valid;        /* k of W windows valid; windows_total 0 = not counted (NULL) */
	int windows_total;
	/* summary, filled by list/get: the first available measured row's energy (NaN if none) */
	double measured_energy_nj;
	struct hb_platform_result *rows; /* get only */
	size_t n_rows;
};

/* Store a run and its rows in one transaction; run->id receives the new id.
 * result_json may be NULL; rows may be NULL when n_rows == 0. */
enum hb_status hb_db_append_run(struct hb_db *db, struct hb_db_run *run,
				const struct hb_platform_result *rows, size_t n_rows);

/* The most recent runs first (limit 0 = all). *runs is an array of *n entries; free with
 * hb_db_runs_free. rows/result_json are not loaded by list. */
enum hb_status hb_db_list(struct hb_db *db, size_t limit, struct hb_db_run **runs, size_t *n);
void hb_db_runs_free(struct hb_db_run *runs, size_t n);

/* One run with its rows and JSON. HB_ERR_NOTFOUND when there is no run with that id. */
enum hb_status hb_db_get(struct hb_db *db, int64_t id, struct hb_db_run *run);
void hb_db_run_free(struct hb_db_run *run);

/* ---- sweeps (bench/run/hb_sweep.c) ---- */

enum hb_point_status { HB_POINT_PENDING = 0, HB_POINT_DONE = 1, HB_POINT_FAILED = 2 };
const char *hb_point_status_name(enum hb_point_status s); /* "pending", "done", "failed" */

struct hb_db_point {
	size_t idx;
	char *label;              /* "net=digits L=256 clock=1MHz seed=1" */
	enum hb_point_status status;
	int64_t run_id;           /* 0 none */
	char *error;
	char *started_at, *finished_at;
};

struct hb_db_sweep {
	int64_t id;
	char *created_at, *board, *name, *plan_text, *command_line;
	struct hb_db_point *points;
	size_t n_points;
};

/* Store a sweep with its points (all pending), in one transaction; sweep->id receives its id. */
enum hb_status hb_db_sweep_create(struct hb_db *db, struct hb_db_sweep *sweep);
/* A sweep with its points in index order. HB_ERR_NOTFOUND: no such sweep. */
enum hb_status hb_db_sweep_get(struct hb_db *db, int64_t id, struct hb_db_sweep *sweep);
void hb_db_sweep_free(struct hb_db_sweep *sweep);
/* Record a point's outcome (run_id 0 and error NULL allowed). */
enum hb_status hb_db_sweep_point_set(struct hb_db *db, int64_t sweep_id, size_t idx,
				     enum hb_point_status status, int64_t run_id, const char *error,
				     const char *started_at, const char *finished_at);
/* Sweeps, newest first: id, created_at, board, name (points not loaded). */
enum hb_status hb_db_sweep_list(struct hb_db *db, size_t limit, struct hb_db_sweep **sweeps, size_t *n);
void hb_db_sweeps_free(struct hb_db_sweep *sweeps, size_t n);

/* ---- calibrations ---- */

/* Store a calibration document; *id receives its id. */
enum hb_status hb_db_calibration_add(struct hb_db *db, const char *created_at, const char *board,
				     int64_t sweep_id, const char *source, const char *json, int64_t *id);
/* The document of calibration id (malloc'ed). HB_ERR_NOTFOUND when absent. */
enum hb_status hb_db_calibration_get(struct hb_db *db, int64_t id, char **json);

#ifdef __cplusplus
}
#endif
#endif
