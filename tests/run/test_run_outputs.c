/* Issue 13: `hilbench run` checks its outputs before the run starts. An unwritable --json,
 * --csv or --plot, a directory given as a file, a database from a newer hilbench, a
 * database another connection holds locked: each exits 2 with what and where, and the run
 * does not start -- the virtual board is never launched (HB_VBOARD names a wrapper that
 * leaves a mark when it is) and nothing is stored. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hb_db.h"

static char g_dir[256], g_mark[400], g_vb[400];

static void setup(void)
{
	snprintf(g_dir, sizeof g_dir, "/tmp/hb-test-outputs-XXXXXX");
	cr_assert_not_null(mkdtemp(g_dir));
	snprintf(g_mark, sizeof g_mark, "%s/vboard-started", g_dir);
	snprintf(g_vb, sizeof g_vb, "%s/vboard.sh", g_dir);
	FILE *f = fopen(g_vb, "w");
	cr_assert_not_null(f);
	fprintf(f, "#!/bin/sh\ntouch '%s'\nexec '%s/bench/hilbench-vboard' \"$@\"\n", g_mark, getenv("HB_BUILD_DIR"));
	fclose(f);
	cr_assert_eq(chmod(g_vb, 0755), 0);
}

static void teardown(void)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", g_dir);
}

TestSuite(run_outputs, .init = setup, .fini = teardown, .timeout = 120);

static char g_out[1 << 16];
static const char *g_env = ""; /* more environment for the next run */

/* hilbench run (a short one) with these options; the exit status, its output in g_out. */
static int run(const char *opts)
{
	char cmd[2048], outp[400];
	snprintf(outp, sizeof outp, "%s/run.out", g_dir);
	snprintf(cmd, sizeof cmd,
		 "%s HB_VBOARD='%s' '%s/bench/hilbench' run --board sim --net digits --samples 2 --windows 1 "
		 "--window-s 0.05 --baseline-s 0.05 %s > '%s' 2>&1",
		 g_env, g_vb, getenv("HB_BUILD_DIR"), opts, outp);
	int rc = system(cmd);
	FILE *f = fopen(outp, "r");
	cr_assert_not_null(f);
	size_t n = fread(g_out, 1, sizeof g_out - 1, f);
	g_out[n] = 0;
	fclose(f);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static int started(void)
{
	return access(g_mark, F_OK) == 0;
}

/* exit 2, the message holds every piece given, the board was never started */
static void expect_refused(const char *opts, const char *a, const char *b)
{
	int rc = run(opts);
	cr_assert_eq(rc, 2, "hilbench run %s exited %d:\n%s", opts, rc, g_out);
	cr_assert(strstr(g_out, a), "no '%s' in:\n%s", a, g_out);
	cr_assert(!b || strstr(g_out, b), "no '%s' in:\n%s", b, g_out);
	cr_assert(strstr(g_out, "nothing was measured"), "%s", g_out);
	cr_assert(!started(), "the virtual board was started although an output was unusable");
}

static int count_runs(const char *db)
{
	sqlite3 *h;
	sqlite3_stmt *s;
	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	int n = -1;
	if (sqlite3_prepare_v2(h, "SELECT COUNT(*) FROM runs", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(h);
	return n;
}

/* The wrapper does mark a launch: a run with good outputs starts the board and stores. */
Test(run_outputs, good_outputs_start_the_board)
{
	char opts[1024], db[400];
	snprintf(db, sizeof db, "%s/runs.sqlite", g_dir);
	snprintf(opts, sizeof opts, "--json '%s/r.json' --csv '%s/r.csv' --db '%s'", g_dir, g_dir, db);
	int rc = run(opts);
	cr_assert(rc == 0 || rc == 1, "exit %d:\n%s", rc, g_out);
	cr_assert(started());
	cr_assert_eq(count_runs(db), 1);
}

Test(run_outputs, unwritable_file_targets)
{
	char opts[1024], where[400];
	/* a directory that does not exist */
	snprintf(opts, sizeof opts, "--no-db --json '%s/no/such/dir/r.json'", g_dir);
	snprintf(where, sizeof where, "directory %s/no/such/dir does not exist", g_dir);
	expect_refused(opts, "--json", where);
	/* a directory where the file should be */
	snprintf(opts, sizeof opts, "--no-db --json '%s'", g_dir);
	snprintf(where, sizeof where, "%s: is a directory", g_dir);
	expect_refused(opts, "--json", where);
	/* a directory nobody can create files in, root included */
	expect_refused("--no-db --csv /proc/hb-run.csv", "--csv /proc/hb-run.csv", "cannot create a file");
	snprintf(opts, sizeof opts, "--no-db --plot '%s/gone/trace.svg'", g_dir);
	expect_refused(opts, "--plot", "does not exist");
	/* the database is not even created when a file target is bad */
	char db[400];
	snprintf(db, sizeof db, "%s/never.sqlite", g_dir);
	snprintf(opts, sizeof opts, "--db '%s' --json '%s'", db, g_dir);
	expect_refused(opts, "is a directory", NULL);
	cr_assert_neq(access(db, F_OK), 0, "nothing stored");
}

Test(run_outputs, database_from_a_newer_hilbench)
{
	char db[400], opts[600];
	snprintf(db, sizeof db, "%s/newer.sqlite", g_dir);
	sqlite3 *h;
	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	char sql[200];
	snprintf(sql, sizeof sql, "CREATE TABLE runs (id INTEGER PRIMARY KEY); PRAGMA user_version = %d;",
		 HB_DB_SCHEMA_VERSION + 1);
	cr_assert_eq(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	snprintf(opts, sizeof opts, "--db '%s'", db);
	char version[64];
	snprintf(version, sizeof version, "schema version %d, from a newer hilbench", HB_DB_SCHEMA_VERSION + 1);
	expect_refused(opts, db, version);
	cr_assert_eq(count_runs(db), 0, "nothing stored");
	/* a database path that is a directory */
	snprintf(opts, sizeof opts, "--db '%s'", g_dir);
	expect_refused(opts, "is a directory, not a database file", NULL);
}

/* Another connection holds the database in an exclusive transaction for the whole run: the
 * run waits the bounded busy timeout, then says "locked" (never "device busy"), exit 2, and
 * stores nothing. The wait is a lower bound in wall time only; nothing here depends on how
 * fast the machine is. */
Test(run_outputs, locked_database_says_locked)
{
	char db[400], opts[600];
	snprintf(db, sizeof db, "%s/locked.sqlite", g_dir);
	struct hb_db *d;
	cr_assert_eq(hb_db_open(db, &d), HB_OK);
	hb_db_close(d);
	sqlite3 *h;
	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(h, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
	snprintf(opts, sizeof opts, "--db '%s'", db);
	char waited[64];
	snprintf(waited, sizeof waited, "SQLite busy after waiting %d s", HB_DB_BUSY_TIMEOUT_MS / 1000);
	expect_refused(opts, "locked by another connection", waited);
	cr_assert(strstr(g_out, db), "the message names the database: %s", g_out);
	cr_assert_null(strstr(g_out, "device busy"), "%s", g_out);
	cr_assert_eq(sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	cr_assert_eq(count_runs(db), 0, "nothing stored");
}

/* An output that passed the check but cannot be written at the end (here: no gnuplot for
 * --plot) fails the run, and the JSON and the stored record say failed with the reason: the
 * status, the exit code and the record agree. */
Test(run_outputs, output_failing_at_the_end_is_stored_failed)
{
	char opts[1400], db[400], json[400];
	snprintf(db, sizeof db, "%s/runs.sqlite", g_dir);
	snprintf(json, sizeof json, "%s/r.json", g_dir);
	snprintf(opts, sizeof opts, "--json '%s' --plot '%s/trace.svg' --db '%s'", json, g_dir, db);
	g_env = "HB_GNUPLOT=/nonexistent/gnuplot";
	int rc = run(opts);
	g_env = "";
	cr_assert_eq(rc, 1, "exit %d:\n%s", rc, g_out);
	cr_assert(started());
	FILE *f = fopen(json, "r");
	cr_assert_not_null(f, "the JSON is still written");
	static char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = 0;
	fclose(f);
	cJSON *j = cJSON_Parse(buf);
	cr_assert_not_null(j);
	const cJSON *run = cJSON_GetObjectItemCaseSensitive(j, "run");
	cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(run, "status")->valuestring, "failed");
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(run, "error");
	cr_assert(cJSON_IsString(err) && strstr(err->valuestring, "--plot"), "run.error names the output");
	cJSON_Delete(j);
	struct hb_db *d;
	cr_assert_eq(hb_db_open(db, &d), HB_OK);
	struct hb_db_run *list;
	cr_assert_eq(hb_db_list(d, 0, &list, &n), HB_OK);
	cr_assert_eq(n, 1u);
	cr_assert_eq(list[0].status, HB_RUN_FAILED, "stored %s", hb_run_status_name(list[0].status));
	hb_db_runs_free(list, n);
	hb_db_close(d);
}
