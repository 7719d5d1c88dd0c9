/* The run history (bench/core/hb_db.c): schema, append, list, get, default path, in a
 * temporary directory. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "hb_db.h"
#include "hb_log.h"
#include "hb_report.h"

static char tmpdir[256];

static void make_tmp(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/hb_db_test.XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
}

static void rm_tmp(void)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(db, .init = make_tmp, .fini = rm_tmp);

static void rows2(struct hb_platform_result *r)
{
	hb_report_row_set(&r[0], "fpga_ice40", 0.00516, 193798.4496124031, 56.121840000000006,
			  289.5886944, HB_SOURCE_MODELED, "EXCEEDS 2032%");
	hb_report_row_set(&r[1], "ice40 measured", 0.25, 4000, 9.5, 57.95, HB_SOURCE_MEASURED,
			  "5 windows");
	hb_report_set_ratio(&r[1], &r[0]);
}

Test(db, round_trip)
{
	char path[300];
	snprintf(path, sizeof path, "%s/runs.sqlite", tmpdir);
	struct hb_db *db;
	cr_assert_eq(hb_db_open(path, &db), HB_OK);

	struct hb_platform_result rows[2];
	rows2(rows);
	cJSON *doc = hb_report_json_new(rows, 2);
	cJSON *truth = cJSON_CreateObject();
	cJSON_AddNumberToObject(truth, "cycles", 516);
	hb_report_json_attach(doc, "truth", truth);
	char *json = cJSON_PrintUnformatted(doc);

	struct hb_db_run run = {
		.started_at = "2026-11-28T15:10:16+01:00",
		.finished_at = "2026-11-28T15:11:02+01:00",
		.status = HB_RUN_COMPLETE,
		.board = "icebreaker",
		.net = "mnist-64-32-10",
		.command_line = "hilbench run --board icebreaker --net 'a b'",
		.result_json = json,
	};
	cr_assert_eq(hb_db_append_run(db, &run, rows, 2), HB_OK);
	cr_assert_eq(run.id, 1);

	/* a second run: interrupted, no rows, no JSON */
	struct hb_db_run run2 = {.started_at = "2026-11-28T16:00:00+01:00",
				 .status = HB_RUN_INTERRUPTED, .board = "sim"};
	cr_assert_eq(hb_db_append_run(db, &run2, NULL, 0), HB_OK);
	cr_assert_eq(run2.id, 2);
	hb_db_close(db);

	/* reopen: the schema is there, nothing is lost */
	cr_assert_eq(hb_db_open(path, &db), HB_OK);
	struct hb_db_run *list;
	size_t n;
	cr_assert_eq(hb_db_list(db, 0, &list, &n), HB_OK);
	cr_assert_eq(n, 2);
	cr_assert_eq(list[0].id, 2); /* newest first */
	cr_assert_eq(list[0].status, HB_RUN_INTERRUPTED);
	cr_assert(isnan(list[0].measured_energy_nj));
	cr_assert_null(list[0].net);
	cr_assert_eq(list[1].id, 1);
	cr_assert_str_eq(list[1].board, "icebreaker");
	cr_assert_str_eq(list[1].net, "mnist-64-32-10");
	cr_assert_eq(list[1].measured_energy_nj, 57.95); /* the measured row, not the model */
	cr_assert_null(list[1].result_json);
	hb_db_runs_free(list, n);

	cr_assert_eq(hb_db_list(db, 1, &list, &n), HB_OK);
	cr_assert_eq(n, 1);
	hb_db_runs_free(list, n);

	struct hb_db_run got;
	cr_assert_eq(hb_db_get(db, 1, &got), HB_OK);
	cr_assert_str_eq(got.started_at, run.started_at);
	cr_assert_str_eq(got.finished_at, run.finished_at);
	cr_assert_str_eq(got.command_line, run.command_line);
	cr_assert_str_eq(got.result_json, json);
	cr_assert_eq(got.n_rows, 2);
	for (size_t i = 0; i < 2; i++) {
		cr_assert_str_eq(got.rows[i].platform, rows[i].platform);
		cr_assert_eq(got.rows[i].latency_ms, rows[i].latency_ms);
		cr_assert_eq(got.rows[i].throughput_inf_per_s, rows[i].throughput_inf_per_s);
		cr_assert_eq(got.rows[i].power_mw, rows[i].power_mw);
		cr_assert_eq(got.rows[i].energy_per_inf_nj, rows[i].energy_per_inf_nj);
		cr_assert_eq(got.rows[i].available, rows[i].available);
		cr_assert_str_eq(got.rows[i].notes, rows[i].notes);
		cr_assert_eq(got.rows[i].source, rows[i].source);
		cr_assert_eq(got.rows[i].has_ratio, rows[i].has_ratio);
	}
	cr_assert_eq(got.rows[1].ratio_to_model, rows[1].ratio_to_model);
	/* the stored JSON carries the attachment */
	cJSON *back = cJSON_Parse(got.result_json);
	cr_assert_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(back, "truth"), "cycles")->valueint,
		     516);
	cJSON_Delete(back);
	hb_db_run_free(&got);

	hb_log_set_level(HB_LOG_NONE);
	cr_assert_eq(hb_db_get(db, 99, &got), HB_ERR_NOTFOUND);
	/* started_at is required */
	struct hb_db_run bad = {.status = HB_RUN_FAILED};
	cr_assert_eq(hb_db_append_run(db, &bad, NULL, 0), HB_ERR_ARG);
	hb_log_set_level(HB_LOG_WARN);
	hb_db_close(db);
	cJSON_free(json);
	cJSON_Delete(doc);
}

Test(db, unavailable_rows_and_non_finite_numbers)
{
	char path[300];
	snprintf(path, sizeof path, "%s/r.sqlite", tmpdir);
	struct hb_db *db;
	cr_assert_eq(hb_db_open(path, &db), HB_OK);
	struct hb_platform_result r[2];
	hb_report_row_unavailable(&r[0], "ice40 measured", HB_SOURCE_MEASURED, "shunt saturated");
	hb_report_row_set(&r[1], "nan row", NAN, 1, 1, 1, HB_SOURCE_MODELED, NULL);
	struct hb_db_run run = {.started_at = "2026-11-28T15:10:16+00:00", .status = HB_RUN_FAILED};
	cr_assert_eq(hb_db_append_run(db, &run, r, 2), HB_OK);
	struct hb_db_run got;
	cr_assert_eq(hb_db_get(db, run.id, &got), HB_OK);
	cr_assert_eq(got.status, HB_RUN_FAILED);
	cr_assert(!got.rows[0].available);
	cr_assert_str_eq(got.rows[0].notes, "shunt saturated");
	cr_assert(isnan(got.rows[1].latency_ms)); /* stored as NULL */
	cr_assert(isnan(got.measured_energy_nj)); /* the measured row is unavailable */
	hb_db_run_free(&got);
	hb_db_close(db);
}

Test(db, default_path_follows_xdg)
{
	char want[400], got[400];
	setenv("XDG_DATA_HOME", tmpdir, 1);
	cr_assert_eq(hb_db_default_path(got, sizeof got), HB_OK);
	snprintf(want, sizeof want, "%s/hilbench/runs.sqlite", tmpdir);
	cr_assert_str_eq(got, want);
	struct stat sb;
	snprintf(want, sizeof want, "%s/hilbench", tmpdir);
	cr_assert_eq(stat(want, &sb), 0);
	cr_assert(S_ISDIR(sb.st_mode));

	/* without XDG_DATA_HOME (or with a relative one): ~/.local/share, dirs created */
	setenv("XDG_DATA_HOME", "relative/dir", 1);
	char home[300];
	snprintf(home, sizeof home, "%s/home", tmpdir);
	setenv("HOME", home, 1);
	cr_assert_eq(hb_db_default_path(got, sizeof got), HB_OK);
	snprintf(want, sizeof want, "%s/home/.local/share/hilbench/runs.sqlite", tmpdir);
	cr_assert_str_eq(got, want);
	snprintf(want, sizeof want, "%s/home/.local/share/hilbench", tmpdir);
	cr_assert_eq(stat(want, &sb), 0);

	/* hb_db_open(NULL) uses it */
	struct hb_db *db;
	cr_assert_eq(hb_db_open(NULL, &db), HB_OK);
	hb_db_close(db);
	snprintf(want, sizeof want, "%s/home/.local/share/hilbench/runs.sqlite", tmpdir);
	cr_assert_eq(stat(want, &sb), 0);

	unsetenv("XDG_DATA_HOME");
	unsetenv("HOME");
	hb_log_set_level(HB_LOG_NONE);
	cr_assert_eq(hb_db_default_path(got, sizeof got), HB_ERR_NOTFOUND);
	hb_log_set_level(HB_LOG_WARN);
}

Test(db, refuses_garbage_and_newer_schema)
{
	char path[300];
	hb_log_set_level(HB_LOG_NONE);
	snprintf(path, sizeof path, "%s/not.sqlite", tmpdir);
	FILE *f = fopen(path, "w");
	fputs("this is not a database, just some text that is long enough to be a header....\n",
	      f);
	fclose(f);
	struct hb_db *db;
	cr_assert_eq(hb_db_open(path, &db), HB_ERR_FORMAT);
	cr_assert_null(db);

	snprintf(path, sizeof path, "%s/missing-dir/x.sqlite", tmpdir);
	cr_assert_eq(hb_db_open(path, &db), HB_ERR_NOTFOUND);
	hb_log_set_level(HB_LOG_WARN);
}

Test(db, iso8601_has_an_offset)
{
	char buf[40];
	setenv("TZ", "UTC", 1);
	tzset();
	hb_db_iso8601(0, buf, sizeof buf);
	cr_assert_str_eq(buf, "1970-01-01T00:00:00+00:00");
	setenv("TZ", "EST5", 1); /* fixed UTC-5, no DST rule */
	tzset();
	hb_db_iso8601(86400, buf, sizeof buf);
	cr_assert_str_eq(buf, "1970-01-01T19:00:00-05:00");
	unsetenv("TZ");
	tzset();

	enum hb_run_status s;
	cr_assert_eq(hb_run_status_parse("interrupted", &s), HB_OK);
	cr_assert_eq(s, HB_RUN_INTERRUPTED);
	cr_assert_eq(hb_run_status_parse("done", &s), HB_ERR_ARG);
	cr_assert_str_eq(hb_run_status_name(HB_RUN_FAILED), "failed");
	cr_assert_eq(hb_run_status_parse("partial", &s), HB_OK);
	cr_assert_eq(s, HB_RUN_PARTIAL);
}

#include <sqlite3.h>

/* A version 1 file (as hilbench wrote it before sweeps) is migrated in place: its runs stay,
 * runs gain sweep_id, and rows accept the 'calibrated' source. */
Test(db, migrates_version_1)
{
	char path[300];
	snprintf(path, sizeof path, "%s/v1.sqlite", tmpdir);
	sqlite3 *h;
	cr_assert_eq(sqlite3_open(path, &h), SQLITE_OK);
	const char *v1 =
		"CREATE TABLE runs (id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT,"
		" status TEXT NOT NULL CHECK (status IN ('complete','interrupted','failed')), board TEXT, net TEXT,"
		" command_line TEXT, result_json TEXT);"
		"CREATE TABLE rows (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, idx INTEGER NOT NULL,"
		" platform TEXT NOT NULL, latency_ms REAL, throughput_inf_per_s REAL, power_mw REAL,"
		" energy_per_inf_nj REAL, available INTEGER NOT NULL, notes TEXT, source TEXT NOT NULL CHECK"
		" (source IN ('measured','modeled')), ratio_to_model REAL, PRIMARY KEY (run_id, idx));"
		"INSERT INTO runs VALUES (1, '2026-01-01T00:00:00+00:00', NULL, 'complete', 'sim', 'digits', 'x', '{}');"
		"INSERT INTO rows VALUES (1, 0, 'fpga_sim (measured)', 20.0, 50.0, 73.5, 1474886.0, 1, 'n', 'measured', NULL);"
		"PRAGMA user_version = 1;";
	cr_assert_eq(sqlite3_exec(h, v1, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);

	struct hb_db *db;
	cr_assert_eq(hb_db_open(path, &db), HB_OK);
	struct hb_db_run r;
	cr_assert_eq(hb_db_get(db, 1, &r), HB_OK);
	cr_assert_eq(r.n_rows, 1u);
	cr_assert_float_eq(r.rows[0].energy_per_inf_nj, 1474886.0, 1e-6);
	cr_assert_eq(r.sweep_id, 0);
	hb_db_run_free(&r);
	struct hb_platform_result row;
	hb_report_row_set(&row, "fpga_sim (calibrated)", 20.0, 50.0, 73.4, 1474000.0, HB_SOURCE_CALIBRATED, "c");
	struct hb_db_run nr = {.started_at = "2026-01-02T00:00:00+00:00", .status = HB_RUN_COMPLETE, .sweep_id = 7};
	cr_assert_eq(hb_db_append_run(db, &nr, &row, 1), HB_OK);
	cr_assert_eq(hb_db_get(db, nr.id, &r), HB_OK);
	cr_assert_eq(r.rows[0].source, HB_SOURCE_CALIBRATED);
	cr_assert_eq(r.sweep_id, 7);
	hb_db_run_free(&r);
	hb_db_close(db);
	/* and the file now says the current version */
	cr_assert_eq(sqlite3_open(path, &h), SQLITE_OK);
	sqlite3_stmt *s;
	cr_assert_eq(sqlite3_prepare_v2(h, "PRAGMA user_version", -1, &s, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
	cr_assert_eq(sqlite3_column_int(s, 0), HB_DB_SCHEMA_VERSION);
	sqlite3_finalize(s);
	sqlite3_close(h);
}

static int user_version(const char *path)
{
	sqlite3 *h;
	sqlite3_stmt *s;
	cr_assert_eq(sqlite3_open(path, &h), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(h, "PRAGMA user_version", -1, &s, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
	int v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(h);
	return v;
}

/* A version 2 file (before partial runs) is migrated in place: its runs, rows and sweep
 * references stay, the status 'partial' and the k of W columns become storable, and a run
 * stored before reads back with its windows not counted. */
Test(db, migrates_version_2_to_partial_runs)
{
	char path[300];
	snprintf(path, sizeof path, "%s/v2.sqlite", tmpdir);
	sqlite3 *h;
	cr_assert_eq(sqlite3_open(path, &h), SQLITE_OK);
	const char *v2 =
		"CREATE TABLE runs (id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT,"
		" status TEXT NOT NULL CHECK (status IN ('complete','interrupted','failed')), board TEXT, net TEXT,"
		" command_line TEXT, result_json TEXT, sweep_id INTEGER);"
		"CREATE TABLE rows (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, idx INTEGER NOT NULL,"
		" platform TEXT NOT NULL, latency_ms REAL, throughput_inf_per_s REAL, power_mw REAL,"
		" energy_per_inf_nj REAL, available INTEGER NOT NULL, notes TEXT, source TEXT NOT NULL CHECK"
		" (source IN ('measured','modeled','calibrated')), ratio_to_model REAL, PRIMARY KEY (run_id, idx));"
		"INSERT INTO runs VALUES (1, '2026-01-01T00:00:00+00:00', NULL, 'complete', 'sim', 'digits', 'x', '{}', 3);"
		"INSERT INTO rows VALUES (1, 0, 'fpga_sim (measured)', 20.0, 50.0, 73.5, 1474886.0, 1, 'n', 'measured', NULL);"
		"PRAGMA user_version = 2;";
	cr_assert_eq(sqlite3_exec(h, v2, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);

	struct hb_db *db;
	cr_assert_eq(hb_db_open(path, &db), HB_OK);
	struct hb_db_run r;
	cr_assert_eq(hb_db_get(db, 1, &r), HB_OK);
	cr_assert_eq(r.status, HB_RUN_COMPLETE);
	cr_assert_eq(r.sweep_id, 3);
	cr_assert_eq(r.n_rows, 1u);
	cr_assert_eq(r.windows_total, 0, "a run stored before schema 3 has no window count");
	cr_assert_str_eq(r.result_json, "{}");
	hb_db_run_free(&r);

	struct hb_platform_result row;
	hb_report_row_set(&row, "fpga_sim (measured)", 20.0, 50.0, 73.4, 1474000.0, HB_SOURCE_MEASURED, "4 of 5");
	struct hb_db_run nr = {.started_at = "2026-01-02T00:00:00+00:00", .status = HB_RUN_PARTIAL,
			       .windows_valid = 4, .windows_total = 5};
	cr_assert_eq(hb_db_append_run(db, &nr, &row, 1), HB_OK);
	cr_assert_eq(hb_db_get(db, nr.id, &r), HB_OK);
	cr_assert_eq(r.status, HB_RUN_PARTIAL);
	cr_assert_eq(r.windows_valid, 4);
	cr_assert_eq(r.windows_total, 5);
	hb_db_run_free(&r);
	struct hb_db_run *list;
	size_t n;
	cr_assert_eq(hb_db_list(db, 0, &list, &n), HB_OK);
	cr_assert_eq(n, 2u);
	cr_assert_eq(list[0].status, HB_RUN_PARTIAL);
	cr_assert_eq(list[0].windows_valid, 4);
	hb_db_runs_free(list, n);
	hb_db_close(db);
	cr_assert_eq(user_version(path), HB_DB_SCHEMA_VERSION);

	/* the foreign keys still point at runs: deleting a run deletes its rows */
	cr_assert_eq(sqlite3_open(path, &h), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(h, "PRAGMA foreign_keys = ON; DELETE FROM runs WHERE id = 1;", NULL, NULL, NULL),
		     SQLITE_OK);
	sqlite3_stmt *s;
	cr_assert_eq(sqlite3_prepare_v2(h, "SELECT COUNT(*) FROM rows WHERE run_id = 1", -1, &s, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
	cr_assert_eq(sqlite3_column_int(s, 0), 0);
	sqlite3_finalize(s);
	sqlite3_close(h);
}

/* The reasons an open fails say what and where: a newer schema (left untouched), a directory,
 * a missing directory, and a database another connection holds: "locked", with the wait,
 * never "device busy". */
Test(db, open_failures_say_what_and_where, .timeout = 60)
{
	char path[300], err[600];
	struct hb_db *db;
	snprintf(path, sizeof path, "%s/new.sqlite", tmpdir);
	sqlite3 *h;
	cr_assert_eq(sqlite3_open(path, &h), SQLITE_OK);
	char sql[100];
	snprintf(sql, sizeof sql, "CREATE TABLE future (x); PRAGMA user_version = %d;", HB_DB_SCHEMA_VERSION + 1);
	cr_assert_eq(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	cr_assert_eq(hb_db_open_msg(path, &db, err, sizeof err), HB_ERR_UNSUPPORTED);
	cr_assert_null(db);
	cr_assert(strstr(err, path) && strstr(err, "newer hilbench"), "%s", err);
	cr_assert_eq(user_version(path), HB_DB_SCHEMA_VERSION + 1, "a newer database is not touched");

	cr_assert_eq(hb_db_open_msg(tmpdir, &db, err, sizeof err), HB_ERR_ARG);
	cr_assert(strstr(err, "is a directory"), "%s", err);
	snprintf(path, sizeof path, "%s/none/x.sqlite", tmpdir);
	cr_assert_eq(hb_db_open_msg(path, &db, err, sizeof err), HB_ERR_NOTFOUND);
	cr_assert(strstr(err, "none"), "%s", err);

	snprintf(path, sizeof path, "%s/locked.sqlite", tmpdir);
	cr_assert_eq(hb_db_open(path, &db), HB_OK);
	hb_db_close(db);
	cr_assert_eq(sqlite3_open(path, &h), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(h, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
	cr_assert_eq(hb_db_open_msg(path, &db, err, sizeof err), HB_ERR_BUSY);
	cr_assert(strstr(err, "locked") && strstr(err, path), "%s", err);
	char waited[32];
	snprintf(waited, sizeof waited, "after waiting %d s", HB_DB_BUSY_TIMEOUT_MS / 1000);
	cr_assert(strstr(err, waited), "the message says how long it waited: %s", err);
	cr_assert_null(strstr(err, "device"), "%s", err);
	cr_assert_str_eq(hb_db_strerror(HB_ERR_BUSY), "database locked by another connection");
	sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(h);
	cr_assert_eq(hb_db_open_msg(path, &db, err, sizeof err), HB_OK, "%s", err);
	hb_db_close(db);
}

Test(db, sweeps_and_calibrations)
{
	char path[300];
	snprintf(path, sizeof path, "%s/sw.sqlite", tmpdir);
	struct hb_db *db;
	cr_assert_eq(hb_db_open(path, &db), HB_OK);
	struct hb_db_point pts[3] = {{.label = "a"}, {.label = "b"}, {.label = "c"}};
	struct hb_db_sweep sw = {.created_at = "2026-01-01T00:00:00+00:00", .board = "sim", .name = "t",
				 .plan_text = "[sweep]\n", .points = pts, .n_points = 3};
	cr_assert_eq(hb_db_sweep_create(db, &sw), HB_OK);
	cr_assert_gt(sw.id, 0);
	cr_assert_eq(hb_db_sweep_point_set(db, sw.id, 1, HB_POINT_DONE, 42, NULL, "s", "f"), HB_OK);
	cr_assert_eq(hb_db_sweep_point_set(db, sw.id, 2, HB_POINT_FAILED, 0, "board gone", "s", "f"), HB_OK);
	cr_assert_eq(hb_db_sweep_point_set(db, sw.id, 9, HB_POINT_DONE, 1, NULL, NULL, NULL), HB_ERR_NOTFOUND);
	struct hb_db_sweep got;
	cr_assert_eq(hb_db_sweep_get(db, sw.id, &got), HB_OK);
	cr_assert_eq(got.n_points, 3u);
	cr_assert_str_eq(got.plan_text, "[sweep]\n");
	cr_assert_eq(got.points[0].status, HB_POINT_PENDING);
	cr_assert_eq(got.points[1].status, HB_POINT_DONE);
	cr_assert_eq(got.points[1].run_id, 42);
	cr_assert_eq(got.points[2].status, HB_POINT_FAILED);
	cr_assert_str_eq(got.points[2].error, "board gone");
	hb_db_sweep_free(&got);
	cr_assert_eq(hb_db_sweep_get(db, sw.id + 1, &got), HB_ERR_NOTFOUND);
	int64_t cid;
	cr_assert_eq(hb_db_calibration_add(db, "2026-01-01T00:00:00+00:00", "sim", sw.id, "sweep 1", "{\"x\":1}", &cid),
		     HB_OK);
	char *js;
	cr_assert_eq(hb_db_calibration_get(db, cid, &js), HB_OK);
	cr_assert_str_eq(js, "{\"x\":1}");
	free(js);
	cr_assert_eq(hb_db_calibration_get(db, cid + 1, &js), HB_ERR_NOTFOUND);
	hb_db_close(db);
}
