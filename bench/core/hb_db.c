/* The run history in SQLite. SQLite's errors are translated in one place (db_fail). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#define LOG_PREFIX "db"
#include "hb_db.h"
#include "hb_log.h"

#define HB_DB_STR_(x) #x
#define HB_DB_STR(x) HB_DB_STR_(x)

struct hb_db {
	sqlite3 *h;
	char *path;
	char *msg;      /* where an open's reason goes instead of the log (hb_db_open_msg) */
	size_t msg_len;
};

#define RUNS_TABLE(name)                                                                      \
	"CREATE TABLE IF NOT EXISTS " name " ("                                                   \
	" id INTEGER PRIMARY KEY,"                                                                \
	" started_at TEXT NOT NULL,"                                                              \
	" finished_at TEXT,"                                                                      \
	" status TEXT NOT NULL CHECK (status IN ('complete','partial','interrupted','failed')),"  \
	" board TEXT,"                                                                            \
	" net TEXT,"                                                                              \
	" command_line TEXT,"                                                                     \
	" result_json TEXT,"                                                                      \
	" sweep_id INTEGER,"                                                                      \
	" windows_valid INTEGER,"                                                                 \
	" windows_total INTEGER);"

#define ROWS_TABLE(name)                                                                      \
	"CREATE TABLE IF NOT EXISTS " name " ("                                                   \
	" run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"                         \
	" idx INTEGER NOT NULL,"                                                                  \
	" platform TEXT NOT NULL,"                                                                \
	" latency_ms REAL,"                                                                       \
	" throughput_inf_per_s REAL,"                                                             \
	" power_mw REAL,"                                                                         \
	" energy_per_inf_nj REAL,"                                                                \
	" available INTEGER NOT NULL,"                                                            \
	" notes TEXT,"                                                                            \
	" source TEXT NOT NULL CHECK (source IN ('measured','modeled','calibrated')),"           \
	" ratio_to_model REAL,"                                                                   \
	" PRIMARY KEY (run_id, idx));"

/* Schema 3 (sweeps and calibrations since 2; partial runs and k of W windows since 3).
 * Older databases are migrated in place. */
static const char *const schema_sql =
	RUNS_TABLE("runs")
	ROWS_TABLE("rows")
	"CREATE TABLE IF NOT EXISTS sweeps ("
	" id INTEGER PRIMARY KEY,"
	" created_at TEXT NOT NULL,"
	" board TEXT,"
	" name TEXT,"
	" plan_text TEXT NOT NULL,"
	" command_line TEXT);"
	"CREATE TABLE IF NOT EXISTS sweep_points ("
	" sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,"
	" idx INTEGER NOT NULL,"
	" label TEXT NOT NULL,"
	" status TEXT NOT NULL CHECK (status IN ('pending','done','failed')),"
	" run_id INTEGER,"
	" error TEXT,"
	" started_at TEXT,"
	" finished_at TEXT,"
	" PRIMARY KEY (sweep_id, idx));"
	"CREATE TABLE IF NOT EXISTS calibrations ("
	" id INTEGER PRIMARY KEY,"
	" created_at TEXT NOT NULL,"
	" board TEXT,"
	" sweep_id INTEGER,"
	" source TEXT,"
	" calibration_json TEXT NOT NULL);";

/* Version 1 -> 2: runs gain sweep_id; rows accept source 'calibrated' (a CHECK constraint
 * cannot be altered in SQLite: the table is copied). */
static const char *const migrate_1_2_sql =
	"ALTER TABLE runs ADD COLUMN sweep_id INTEGER;"
	ROWS_TABLE("rows_v2")
	"INSERT INTO rows_v2 SELECT run_id, idx, platform, latency_ms, throughput_inf_per_s, power_mw,"
	" energy_per_inf_nj, available, notes, source, ratio_to_model FROM rows;"
	"DROP TABLE rows;"
	"ALTER TABLE rows_v2 RENAME TO rows;";

/* Version 2 -> 3: runs accept status 'partial' and gain windows_valid, windows_total (NULL for
 * the runs stored before: their count was not kept). The CHECK cannot be altered: the table is
 * copied, foreign keys off, the way SQLite documents for such changes; rows and sweep_points
 * keep referring to runs by name. */
static const char *const migrate_2_3_sql =
	RUNS_TABLE("runs_v3")
	"INSERT INTO runs_v3 (id, started_at, finished_at, status, board, net, command_line, result_json,"
	" sweep_id) SELECT id, started_at, finished_at, status, board, net, command_line, result_json,"
	" sweep_id FROM runs;"
	"DROP TABLE runs;"
	"ALTER TABLE runs_v3 RENAME TO runs;";

static enum hb_status db_fail(struct hb_db *db, sqlite3 *h, int rc, const char *what)
{
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
		/* say "locked", and how long it waited: never "device busy" */
		char m[600];
		snprintf(m, sizeof m, "%s: the run database %s is locked by another connection (SQLite busy "
				      "after waiting %d s); try again when the other hilbench or sqlite3 is done",
			 what, db && db->path ? db->path : "", HB_DB_BUSY_TIMEOUT_MS / 1000);
		if (db && db->msg)
			snprintf(db->msg, db->msg_len, "%s", m);
		else
			hb_err("%s", m);
	} else if (db && db->msg) {
		snprintf(db->msg, db->msg_len, "%s%s%s: %s", what, db->path ? " in " : "", db->path ? db->path : "",
			 h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
	} else {
		hb_err("%s%s%s: %s", what, db && db->path ? " in " : "", db && db->path ? db->path : "",
		       h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
	}
	switch (rc & 0xff) {
	case SQLITE_NOMEM: return HB_ERR_NOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED: return HB_ERR_BUSY;
	case SQLITE_CANTOPEN: return HB_ERR_NOTFOUND;
	case SQLITE_PERM:
	case SQLITE_READONLY:
	case SQLITE_AUTH: return HB_ERR_PERM;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
	case SQLITE_MISMATCH:
	case SQLITE_CONSTRAINT: return HB_ERR_FORMAT;
	default: return HB_ERR_IO;
	}
}

const char *hb_run_status_name(enum hb_run_status s)
{
	switch (s) {
	case HB_RUN_COMPLETE: return "complete";
	case HB_RUN_INTERRUPTED: return "interrupted";
	case HB_RUN_FAILED: return "failed";
	case HB_RUN_PARTIAL: return "partial";
	}
	return "failed";
}

enum hb_status hb_run_status_parse(const char *s, enum hb_run_status *out)
{
	for (int i = HB_RUN_COMPLETE; i <= HB_RUN_PARTIAL; i++) {
		if (s && strcmp(s, hb_run_status_name((enum hb_run_status)i)) == 0) {
			*out = (enum hb_run_status)i;
			return HB_OK;
		}
	}
	return HB_ERR_ARG;
}

/* mkdir -p with mode 0700 for the directories this creates. */
static enum hb_status make_dirs(char *path)
{
	for (char *p = path + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		int rc = mkdir(path, 0700);
		int e = errno;
		*p = c;
		if (rc != 0 && e != EEXIST) {
			hb_err("cannot create directory %.*s: %s", (int)(p - path), path, strerror(e));
			return e == EACCES || e == EROFS ? HB_ERR_PERM : HB_ERR_IO;
		}
		if (c == '\0')
			return HB_OK;
	}
}

enum hb_status hb_db_default_path(char *buf, size_t size)
{
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	int w;
	/* the XDG spec ignores a relative XDG_DATA_HOME */
	if (xdg && xdg[0] == '/')
		w = snprintf(buf, size, "%s/hilbench", xdg);
	else if (home && *home)
		w = snprintf(buf, size, "%s/.local/share/hilbench", home);
	else {
		hb_err("neither XDG_DATA_HOME nor HOME is set; give the database path (--db)");
		return HB_ERR_NOTFOUND;
	}
	if (w < 0 || (size_t)w + sizeof "/runs.sqlite" > size)
		return HB_ERR_RANGE;
	enum hb_status st = make_dirs(buf);
	if (st != HB_OK)
		return st;
	strcat(buf, "/runs.sqlite");
	return HB_OK;
}

void hb_db_iso8601(time_t t, char *buf, size_t size)
{
	struct tm tm;
	char raw[40];
	localtime_r(&t, &tm);
	/* %z gives +hhmm; ISO 8601 extended format wants +hh:mm */
	size_t len = strftime(raw, sizeof raw, "%Y-%m-%dT%H:%M:%S%z", &tm);
	if (len >= 5 && (raw[len - 5] == '+' || raw[len - 5] == '-'))
		snprintf(buf, size, "%.*s:%s", (int)(len - 2), raw, raw + len - 2);
	else
		snprintf(buf, size, "%s", raw);
}

static int exec(struct hb_db *db, const char *sql, enum hb_status *st, const char *what)
{
	int rc = sqlite3_exec(db->h, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		*st = db_fail(db, db->h, rc, what);
	return rc;
}

const char *hb_db_strerror(enum hb_status st)
{
	return st == HB_ERR_BUSY ? "database locked by another connection" : hb_strerror(st);
}

/* The message of a failed open: into err when given, else the log. */
static enum hb_status open_fail(char *err, size_t errlen, enum hb_status st, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static enum hb_status open_fail(char *err, size_t errlen, enum hb_status st, const char *fmt, ...)
{
	char m[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m, sizeof m, fmt, ap);
	va_end(ap);
	if (err && errlen)
		snprintf(err, errlen, "%s", m);
	else
		hb_err("%s", m);
	return st;
}

enum hb_status hb_db_open_msg(const char *path, struct hb_db **out, char *err, size_t errlen)
{
	char def[4096];
	enum hb_status st;
	*out = NULL;
	if (err && errlen)
		err[0] = 0;
	if (!path) {
		st = hb_db_default_path(def, sizeof def);
		if (st != HB_OK)
			return open_fail(err, errlen, st, "no default run database (%s); give one with --db",
					 hb_strerror(st));
		path = def;
	}
	/* SQLite says "unable to open database file" for all of these: say which */
	struct stat sb;
	if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
		return open_fail(err, errlen, HB_ERR_ARG, "run database %s is a directory, not a database file", path);
	{
		char dir[4096];
		snprintf(dir, sizeof dir, "%s", path);
		char *slash = strrchr(dir, '/');
		if (slash) {
			*(slash == dir ? slash + 1 : slash) = 0;
			if (stat(dir, &sb) != 0)
				return open_fail(err, errlen, HB_ERR_NOTFOUND, "run database %s: directory %s: %s", path,
						 dir, strerror(errno));
			if (!S_ISDIR(sb.st_mode))
				return open_fail(err, errlen, HB_ERR_NOTFOUND, "run database %s: %s is not a directory",
						 path, dir);
		}
	}
	struct hb_db *db = calloc(1, sizeof *db);
	if (!db || !(db->path = strdup(path))) {
		free(db);
		return HB_ERR_NOMEM;
	}
	db->msg = err && errlen ? err : NULL;
	db->msg_len = errlen;
	int rc = sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		st = db_fail(db, db->h, rc, "cannot open the run database");
		hb_db_close(db);
		return st;
	}
	/* A database another connection holds is waited for this long, then reported locked. */
	sqlite3_busy_timeout(db->h, HB_DB_BUSY_TIMEOUT_MS);
	sqlite3_stmt *s = NULL;
	rc = sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &s, NULL);
	if (rc != SQLITE_OK || (rc = sqlite3_step(s)) != SQLITE_ROW) {
		st = db_fail(db, db->h, rc, "cannot read the run database");
		sqlite3_finalize(s);
		hb_db_close(db);
		return st;
	}
	int version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (version > HB_DB_SCHEMA_VERSION) {
		hb_db_close(db);
		return open_fail(err, errlen, HB_ERR_UNSUPPORTED,
				 "run database %s has schema version %d, from a newer hilbench; this one knows "
				 "versions up to %d and does not change it (use the newer hilbench, or another --db)",
				 path, version, HB_DB_SCHEMA_VERSION);
	}
	st = HB_OK;
	/* foreign keys off while a table is copied (DROP TABLE would otherwise check every
	 * reference), on for use */
	if (exec(db, "BEGIN IMMEDIATE", &st, "cannot start a transaction") ||
	    (version == 1 && exec(db, migrate_1_2_sql, &st, "cannot migrate the schema from version 1")) ||
	    (version >= 1 && version <= 2 &&
	     exec(db, migrate_2_3_sql, &st, "cannot migrate the schema to version 3")) ||
	    exec(db, schema_sql, &st, "cannot create the schema") ||
	    exec(db, "PRAGMA user_version = " HB_DB_STR(HB_DB_SCHEMA_VERSION), &st, "cannot set the schema version") ||
	    exec(db, "COMMIT", &st, "cannot commit the schema") ||
	    exec(db, "PRAGMA foreign_keys = ON", &st, "cannot enable foreign keys")) {
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
		hb_db_close(db);
		return st;
	}
	db->msg = NULL; /* later failures are logged */
	*out = db;
	return HB_OK;
}

enum hb_status hb_db_open(const char *path, struct hb_db **out)
{
	return hb_db_open_msg(path, out, NULL, 0);
}

void hb_db_close(struct hb_db *db)
{
	if (!db)
		return;
	sqlite3_close(db->h);
	free(db->path);
	free(db);
}

static int bind_text(sqlite3_stmt *s, int i, const char *v)
{
	return v ? sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(s, i);
}

static int bind_real(sqlite3_stmt *s, int i, double v)
{
	return isfinite(v) ? sqlite3_bind_double(s, i, v) : sqlite3_bind_null(s, i);
}

enum hb_status hb_db_append_run(struct hb_db *db, struct hb_db_run *run,
				const struct hb_platform_result *rows, size_t n_rows)
{
	if (!db || !run || !run->started_at || (n_rows && !rows))
		return HB_ERR_ARG;
	enum hb_status st = HB_OK;
	sqlite3_stmt *s = NULL;
	int rc;
	if (exec(db, "BEGIN IMMEDIATE", &st, "cannot start a transaction"))
		return st;
	rc = sqlite3_prepare_v2(db->h,
				"INSERT INTO runs (started_at, finished_at, status, board, net,"
				" command_line, result_json, sweep_id, windows_valid, windows_total)"
				" VALUES (?,?,?,?,?,?,?,?,?,?)",
				-1, &s, NULL);
	if (rc == SQLITE_OK) {
		bind_text(s, 1, run->started_at);
		bind_text(s, 2, run->finished_at);
		bind_text(s, 3, hb_run_status_name(run->status));
		bind_text(s, 4, run->board);
		bind_text(s, 5, run->net);
		bind_text(s, 6, run->command_line);
		bind_text(s, 7, run->result_json);
		if (run->sweep_id > 0)
			sqlite3_bind_int64(s, 8, run->sweep_id);
		else
			sqlite3_bind_null(s, 8);
		if (run->windows_total > 0) { /* 0: not counted (a run that never reached its windows) */
			sqlite3_bind_int(s, 9, run->windows_valid);
			sqlite3_bind_int(s, 10, run->windows_total);
		} else {
			sqlite3_bind_null(s, 9);
			sqlite3_bind_null(s, 10);
		}
		rc = sqlite3_step(s);
		if (rc == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	s = NULL;
	if (rc != SQLITE_OK) {
		st = db_fail(db, db->h, rc, "cannot store the run");
		goto rollback;
	}
	int64_t id = sqlite3_last_insert_rowid(db->h);

	rc = sqlite3_prepare_v2(db->h,
				"INSERT INTO rows (run_id, idx, platform, latency_ms,"
				" throughput_inf_per_s, power_mw, energy_per_inf_nj, available, notes,"
				" source, ratio_to_model) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
				-1, &s, NULL);
	for (size_t i = 0; rc == SQLITE_OK && i < n_rows; i++) {
		const struct hb_platform_result *r = &rows[i];
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)i);
		bind_text(s, 3, r->platform);
		bind_real(s, 4, r->latency_ms);
		bind_real(s, 5, r->throughput_inf_per_s);
		bind_real(s, 6, r->power_mw);
		bind_real(s, 7, r->energy_per_inf_nj);
		sqlite3_bind_int(s, 8, r->available ? 1 : 0);
		bind_text(s, 9, r->notes);
		bind_text(s, 10, hb_report_source_name(r->source));
		if (r->has_ratio)
			bind_real(s, 11, r->ratio_to_model);
		else
			sqlite3_bind_null(s, 11);
		rc = sqlite3_step(s);
		if (rc == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_OK) {
		st = db_fail(db, db->h, rc, "cannot store the run's rows");
		goto rollback;
	}
	if (exec(db, "COMMIT", &st, "cannot commit the run"))
		goto rollback;
	run->id = id;
	return HB_OK;
rollback:
	sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	return st;
}

static char *col_dup(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t ? strdup((const char *)t) : NULL;
}

static double col_real(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? NAN : sqlite3_column_double(s, i);
}

/* Columns 0..10 of a runs query: id, started_at, finished_at, status, board, net,
 * command_line, measured energy, sweep_id, windows_valid, windows_total. */
#define RUN_COLUMNS \
	"r.id, r.started_at, r.finished_at, r.status, r.board, r.net, r.command_line," \
	" (SELECT energy_per_inf_nj FROM rows w WHERE w.run_id = r.id AND w.source = 'measured'" \
	"  AND w.available = 1 ORDER BY w.idx LIMIT 1), r.sweep_id, r.windows_valid, r.windows_total"

static void read_run(sqlite3_stmt *s, struct hb_db_run *run)
{
	memset(run, 0, sizeof *run);
	run->id = sqlite3_column_int64(s, 0);
	run->started_at = col_dup(s, 1);
	run->finished_at = col_dup(s, 2);
	const unsigned char *status = sqlite3_column_text(s, 3);
	if (hb_run_status_parse((const char *)status, &run->status) != HB_OK)
		run->status = HB_RUN_FAILED;
	run->board = col_dup(s, 4);
	run->net = col_dup(s, 5);
	run->command_line = col_dup(s, 6);
	run->measured_energy_nj = col_real(s, 7);
	run->sweep_id = sqlite3_column_type(s, 8) == SQLITE_NULL ? 0 : sqlite3_column_int64(s, 8);
	if (sqlite3_column_type(s, 10) != SQLITE_NULL) {
		run->windows_valid = sqlite3_column_int(s, 9);
		run->windows_total = sqlite3_column_int(s, 10);
	}
}

enum hb_status hb_db_list(struct hb_db *db, size_t limit, struct hb_db_run **runs, size_t *n)
{
	*runs = NULL;
	*n = 0;
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db->h,
				    "SELECT " RUN_COLUMNS " FROM runs r ORDER BY r.id DESC LIMIT ?",
				    -1, &s, NULL);
	if (rc != SQLITE_OK)
		return db_fail(db, db->h, rc, "cannot list runs");
	sqlite3_bind_int64(s, 1, limit ? (sqlite3_int64)limit : -1);
	size_t cap = 0, count = 0;
	struct hb_db_run *out = NULL;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct hb_db_run *tmp = realloc(out, ncap * sizeof *out);
			if (!tmp) {
				sqlite3_finalize(s);
				hb_db_runs_free(out, count);
				return HB_ERR_NOMEM;
			}
			out = tmp;
			cap = ncap;
		}
		read_run(s, &out[count++]);
	}
	if (rc != SQLITE_DONE) {
		enum hb_status st = db_fail(db, db->h, rc, "cannot list runs");
		sqlite3_finalize(s);
		hb_db_runs_free(out, count);
		return st;
	}
	sqlite3_finalize(s);
	*runs = out;
	*n = count;
	return HB_OK;
}

void hb_db_run_free(struct hb_db_run *run)
{
	if (!run)
		return;
	free(run->started_at);
	free(run->finished_at);
	free(run->board);
	free(run->net);
	free(run->command_line);
	free(run->result_json);
	free(run->rows);
	memset(run, 0, sizeof *run);
}

void hb_db_runs_free(struct hb_db_run *runs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		hb_db_run_free(&runs[i]);
	free(runs);
}

enum hb_status hb_db_get(struct hb_db *db, int64_t id, struct hb_db_run *run)
{
	memset(run, 0, sizeof *run);
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db->h,
				    "SELECT " RUN_COLUMNS ", r.result_json FROM runs r WHERE r.id = ?",
				    -1, &s, NULL);
	if (rc != SQLITE_OK)
		return db_fail(db, db->h, rc, "cannot read run");
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		sqlite3_finalize(s);
		return HB_ERR_NOTFOUND;
	}
	if (rc != SQLITE_ROW) {
		enum hb_status st = db_fail(db, db->h, rc, "cannot read run");
		sqlite3_finalize(s);
		return st;
	}
	read_run(s, run);
	run->result_json = col_dup(s, 11);
	sqlite3_finalize(s);

	rc = sqlite3_prepare_v2(db->h,
				"SELECT platform, latency_ms, throughput_inf_per_s, power_mw,"
				" energy_per_inf_nj, available, notes, source, ratio_to_model"
				" FROM rows WHERE run_id = ? ORDER BY idx",
				-1, &s, NULL);
	if (rc != SQLITE_OK) {
		hb_db_run_free(run);
		return db_fail(db, db->h, rc, "cannot read the run's rows");
	}
	sqlite3_bind_int64(s, 1, id);
	size_t cap = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (run->n_rows == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct hb_platform_result *tmp = realloc(run->rows, ncap * sizeof *tmp);
			if (!tmp) {
				sqlite3_finalize(s);
				hb_db_run_free(run);
				return HB_ERR_NOMEM;
			}
			run->rows = tmp;
			cap = ncap;
		}
		struct hb_platform_result *r = &run->rows[run->n_rows++];
		enum hb_result_source src = HB_SOURCE_MODELED;
		hb_report_source_parse((const char *)sqlite3_column_text(s, 7), &src);
		hb_report_row_set(r, (const char *)sqlite3_column_text(s, 0), col_real(s, 1),
				  col_real(s, 2), col_real(s, 3), col_real(s, 4), src,
				  (const char *)sqlite3_column_text(s, 6));
		r->available = sqlite3_column_int(s, 5) != 0;
		if (sqlite3_column_type(s, 8) != SQLITE_NULL) {
			r->has_ratio = true;
			r->ratio_to_model = sqlite3_column_double(s, 8);
		}
	}
	if (rc != SQLITE_DONE) {
		enum hb_status st = db_fail(db, db->h, rc, "cannot read the run's rows");
		sqlite3_finalize(s);
		hb_db_run_free(run);
		return st;
	}
	sqlite3_finalize(s);
	return HB_OK;
}

/* ---- sweeps ------------------------------------------------------------------------------------ */

const char *hb_point_status_name(enum hb_point_status s)
{
	return s == HB_POINT_DONE ? "done" : s == HB_POINT_FAILED ? "failed" : "pending";
}

static enum hb_point_status point_status_parse(const char *s)
{
	if (s && strcmp(s, "done") == 0)
		return HB_POINT_DONE;
	if (s && strcmp(s, "failed") == 0)
		return HB_POINT_FAILED;
	return HB_POINT_PENDING;
}

enum hb_status hb_db_sweep_create(struct hb_db *db, struct hb_db_sweep *sw)
{
	if (!db || !sw || !sw->created_at || !sw->plan_text)
		return HB_ERR_ARG;
	enum hb_status st = HB_OK;
	sqlite3_stmt *s = NULL;
	if (exec(db, "BEGIN IMMEDIATE", &st, "cannot start a transaction"))
		return st;
	int rc = sqlite3_prepare_v2(db->h,
				    "INSERT INTO sweeps (created_at, board, name, plan_text, command_line)"
				    " VALUES (?,?,?,?,?)",
				    -1, &s, NULL);
	if (rc == SQLITE_OK) {
		bind_text(s, 1, sw->created_at);
		bind_text(s, 2, sw->board);
		bind_text(s, 3, sw->name);
		bind_text(s, 4, sw->plan_text);
		bind_text(s, 5, sw->command_line);
		rc = sqlite3_step(s);
		if (rc == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	s = NULL;
	if (rc != SQLITE_OK) {
		st = db_fail(db, db->h, rc, "cannot store the sweep");
		goto rollback;
	}
	int64_t id = sqlite3_last_insert_rowid(db->h);
	rc = sqlite3_prepare_v2(db->h,
				"INSERT INTO sweep_points (sweep_id, idx, label, status) VALUES (?,?,?,'pending')",
				-1, &s, NULL);
	for (size_t i = 0; rc == SQLITE_OK && i < sw->n_points; i++) {
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)i);
		bind_text(s, 3, sw->points[i].label ? sw->points[i].label : "");
		rc = sqlite3_step(s);
		if (rc == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_OK) {
		st = db_fail(db, db->h, rc, "cannot store the sweep's points");
		goto rollback;
	}
	if (exec(db, "COMMIT", &st, "cannot commit the sweep"))
		goto rollback;
	sw->id = id;
	return HB_OK;
rollback:
	sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	return st;
}

void hb_db_sweep_free(struct hb_db_sweep *sw)
{
	if (!sw)
		return;
	free(sw->created_at);
	free(sw->board);
	free(sw->name);
	free(sw->plan_text);
	free(sw->command_line);
	for (size_t i = 0; i < sw->n_points; i++) {
		free(sw->points[i].label);
		free(sw->points[i].error);
		free(sw->points[i].started_at);
		free(sw->points[i].finished_at);
	}
	free(sw->points);
	memset(sw, 0, sizeof *sw);
}

void hb_db_sweeps_free(struct hb_db_sweep *sweeps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		hb_db_sweep_free(&sweeps[i]);
	free(sweeps);
}

enum hb_status hb_db_sweep_get(struct hb_db *db, int64_t id, struct hb_db_sweep *sw)
{
	memset(sw, 0, sizeof *sw);
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db->h,
				    "SELECT id, created_at, board, name, plan_text, command_line FROM sweeps"
				    " WHERE id = ?",
				    -1, &s, NULL);
	if (rc != SQLITE_OK)
		return db_fail(db, db->h, rc, "cannot read the sweep");
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(s);
		return rc == SQLITE_DONE ? HB_ERR_NOTFOUND : db_fail(db, db->h, rc, "cannot read the sweep");
	}
	sw->id = sqlite3_column_int64(s, 0);
	sw->created_at = col_dup(s, 1);
	sw->board = col_dup(s, 2);
	sw->name = col_dup(s, 3);
	sw->plan_text = col_dup(s, 4);
	sw->command_line = col_dup(s, 5);
	sqlite3_finalize(s);
	rc = sqlite3_prepare_v2(db->h,
				"SELECT idx, label, status, run_id, error, started_at, finished_at FROM sweep_points"
				" WHERE sweep_id = ? ORDER BY idx",
				-1, &s, NULL);
	if (rc != SQLITE_OK) {
		hb_db_sweep_free(sw);
		return db_fail(db, db->h, rc, "cannot read the sweep's points");
	}
	sqlite3_bind_int64(s, 1, id);
	size_t cap = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (sw->n_points == cap) {
			size_t nc = cap ? cap * 2 : 32;
			struct hb_db_point *t = realloc(sw->points, nc * sizeof *t);
			if (!t) {
				sqlite3_finalize(s);
				hb_db_sweep_free(sw);
				return HB_ERR_NOMEM;
			}
			sw->points = t;
			cap = nc;
		}
		struct hb_db_point *p = &sw->points[sw->n_points++];
		memset(p, 0, sizeof *p);
		p->idx = (size_t)sqlite3_column_int64(s, 0);
		p->label = col_dup(s, 1);
		p->status = point_status_parse((const char *)sqlite3_column_text(s, 2));
		p->run_id = sqlite3_column_type(s, 3) == SQLITE_NULL ? 0 : sqlite3_column_int64(s, 3);
		p->error = col_dup(s, 4);
		p->started_at = col_dup(s, 5);
		p->finished_at = col_dup(s, 6);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		hb_db_sweep_free(sw);
		return db_fail(db, db->h, rc, "cannot read the sweep's points");
	}
	return HB_OK;
}

enum hb_status hb_db_sweep_point_set(struct hb_db *db, int64_t sweep_id, size_t idx,
				     enum hb_point_status status, int64_t run_id, const char *error,
				     const char *started_at, const char *finished_at)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db->h,
				    "UPDATE sweep_points SET status = ?, run_id = ?, error = ?, started_at = ?,"
				    " finished_at = ? WHERE sweep_id = ? AND idx = ?",
				    -1, &s, NULL);
	if (rc == SQLITE_OK) {
		bind_text(s, 1, hb_point_status_name(status));
		if (run_id > 0)
			sqlite3_bind_int64(s, 2, run_id);
		else
			sqlite3_bind_null(s, 2);
		bind_text(s, 3, error);
		bind_text(s, 4, started_at);
		bind_text(s, 5, finished_at);
		sqlite3_bind_int64(s, 6, sweep_id);
		sqlite3_bind_int64(s, 7, (sqlite3_int64)idx);
		rc = sqlite3_step(s);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return db_fail(db, db->h, rc, "cannot update the sweep point");
	if (sqlite3_changes(db->h) != 1)
		return HB_ERR_NOTFOUND;
	return HB_OK;
}

enum hb_status hb_db_sweep_list(struct hb_db *db, size_t limit, struct hb_db_sweep **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db->h,
				    "SELECT id, created_at, board, name, (SELECT COUNT(*) FROM sweep_points p"
				    " WHERE p.sweep_id = w.id) FROM sweeps w ORDER BY id DESC LIMIT ?",
				    -1, &s, NULL);
	if (rc != SQLITE_OK)
		return db_fail(db, db->h, rc, "cannot list sweeps");
	sqlite3_bind_int64(s, 1, limit ? (sqlite3_int64)limit : -1);
	size_t cap = 0;
	struct hb_db_sweep *v = NULL;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			struct hb_db_sweep *t = realloc(v, nc * sizeof *t);
			if (!t) {
				sqlite3_finalize(s);
				hb_db_sweeps_free(v, *n);
				*n = 0;
				return HB_ERR_NOMEM;
			}
			v = t;
			cap = nc;
		}
		struct hb_db_sweep *w = &v[(*n)++];
		memset(w, 0, sizeof *w);
		w->id = sqlite3_column_int64(s, 0);
		w->created_at = col_dup(s, 1);
		w->board = col_dup(s, 2);
		w->name = col_dup(s, 3);
		w->n_points = 0; /* count only: points are not loaded */
		(void)sqlite3_column_int64(s, 4);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		hb_db_sweeps_free(v, *n);
		*n = 0;
		return db_fail(db, db->h, rc, "cannot list sweeps");
	}
	*out = v;
	return HB_OK;
}

/* ---- calibrations -------------------------------------------------------------------------------- */

enum hb_status hb_db_calibration_add(struct hb_db *db, const char *created_at, const char *board,
				     int64_t sweep_id, const char *source, const char *json, int64_t *id)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db->h,
				    "INSERT INTO calibrations (created_at, board, sweep_id, source, calibration_json)"
				    " VALUES (?,?,?,?,?)",
				    -1, &s, NULL);
	if (rc == SQLITE_OK) {
		bind_text(s, 1, created_at);
		bind_text(s, 2, board);
		if (sweep_id > 0)
			sqlite3_bind_int64(s, 3, sweep_id);
		else
			sqlite3_bind_null(s, 3);
		bind_text(s, 4, source);
		bind_text(s, 5, json);
		rc = sqlite3_step(s);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return db_fail(db, db->h, rc, "cannot store the calibration");
	if (id)
		*id = sqlite3_last_insert_rowid(db->h);
	return HB_OK;
}

enum hb_status hb_db_calibration_get(struct hb_db *db, int64_t id, char **json)
{
	*json = NULL;
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db->h, "SELECT calibration_json FROM calibrations WHERE id = ?", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return db_fail(db, db->h, rc, "cannot read the calibration");
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	enum hb_status st = HB_OK;
	if (rc == SQLITE_ROW) {
		*json = col_dup(s, 0);
		if (!*json)
			st = HB_ERR_NOMEM;
	} else {
		st = rc == SQLITE_DONE ? HB_ERR_NOTFOUND : db_fail(db, db->h, rc, "cannot read the calibration");
	}
	sqlite3_finalize(s);
	return st;
}
