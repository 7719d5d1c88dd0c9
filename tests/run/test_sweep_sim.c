/* `hilbench sweep` on the virtual board (sim) with a tiny plan: points stored with the sweep's id,
 * the activity model's cycles equal to the device's busy cycles on every run, --resume with
 * nothing left, a simulated receipt from the history, and `hilbench run --calibration
 * --receipt` (calibrated row, receipt marked simulated). The long campaign belongs to twins. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hb_db.h"

static char dir[256];

static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/hb-sweep-sim-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	int rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static cJSON *load(const char *path)
{
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	static char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	cJSON *j = cJSON_Parse(buf);
	cr_assert_not_null(j, "%s is not JSON", path);
	return j;
}

TestSuite(sweep_sim, .init = setup, .fini = teardown, .timeout = 600);

Test(sweep_sim, tiny_plan_on_the_virtual_board)
{
	const char *bin = getenv("HB_BUILD_DIR");
	int rc = sh("cd '%s' && '%s/bench/hilbench' sweep --board sim --nets digits --L 128,256 --windows 2 "
		    "--window-s 2 --baseline-s 1 --samples 3 --db runs.sqlite > sweep.out 2>&1",
		    dir, bin);
	sh("cat '%s/sweep.out' >&2", dir);
	cr_assert(rc == 0 || rc == 1, "sweep exited %d", rc);
	cr_assert_eq(sh("grep -q 'sweep 1 on sim: 2 points, 2 to measure' '%s/sweep.out'", dir), 0);
	char db[300];
	snprintf(db, sizeof db, "%s/runs.sqlite", dir);
	struct hb_db *h;
	cr_assert_eq(hb_db_open(db, &h), HB_OK);
	struct hb_db_sweep sw;
	cr_assert_eq(hb_db_sweep_get(h, 1, &sw), HB_OK);
	cr_assert_eq(sw.n_points, 2u);
	unsigned done = 0;
	int64_t a_run = 0;
	for (size_t i = 0; i < 2; i++) {
		const struct hb_db_point *p = &sw.points[i];
		cr_assert_neq(p->status, HB_POINT_PENDING);
		if (p->status == HB_POINT_FAILED) {
			cr_assert_not_null(p->error, "a failed point says why");
			cr_assert_eq(sh("grep -q 'failed points:' '%s/sweep.out'", dir), 0);
		}
		if (!p->run_id)
			continue;
		struct hb_db_run r;
		cr_assert_eq(hb_db_get(h, p->run_id, &r), HB_OK);
		cr_assert_eq(r.sweep_id, 1);
		cJSON *doc = cJSON_Parse(r.result_json);
		const cJSON *run = cJSON_GetObjectItem(doc, "run"), *m = cJSON_GetObjectItem(doc, "measured");
		const cJSON *act = cJSON_GetObjectItem(run, "activity");
		cr_assert_not_null(act, "run %lld has no activity", (long long)p->run_id);
		cr_assert_eq(cJSON_GetObjectItem(run, "L")->valuedouble, i == 0 ? 128 : 256);
		/* the activity model's busy cycles are the device's, exactly */
		const cJSON *ws = cJSON_GetObjectItem(m, "windows"), *w;
		cJSON_ArrayForEach(w, ws)
			cr_assert_eq(cJSON_GetObjectItem(w, "latency_cycles")->valuedouble,
				     cJSON_GetObjectItem(act, "cycles")->valuedouble);
		cJSON_Delete(doc);
		hb_db_run_free(&r);
		done += p->status == HB_POINT_DONE;
		a_run = p->run_id;
	}
	hb_db_sweep_free(&sw);
	hb_db_close(h);
	cr_assert_gt(a_run, 0, "no point was stored");
	if (done == 2) {
		cr_assert_eq(rc, 0);
		cr_assert_eq(sh("cd '%s' && '%s/bench/hilbench' sweep --resume 1 --db runs.sqlite > resume.out 2>&1 && "
				"grep -q '2 points, 0 to measure' resume.out",
				dir, bin),
			     0);
	}
	/* a receipt from the history: simulated */
	cr_assert_eq(sh("cd '%s' && '%s/bench/hilbench' history export --receipt r.json %lld --db runs.sqlite > /dev/null",
			dir, bin, (long long)a_run),
		     0);
	char p[400];
	snprintf(p, sizeof p, "%s/r.json", dir);
	cJSON *r = load(p);
	cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(r, "simulated")));
	cJSON_Delete(r);

	/* run --calibration --receipt: a calibration from a multimeter-style table (static power
	 * and energy per cycle only) gives a calibrated row */
	snprintf(p, sizeof p, "%s/pts.csv", dir);
	FILE *f = fopen(p, "w");
	fprintf(f, "clock_mhz,power_mw\n0.5,73.42\n1,73.44\n2,73.48\n");
	fclose(f);
	cr_assert_eq(sh("cd '%s' && '%s/bench/hilbench' calibrate --points pts.csv --no-db -o cal.json -q", dir, bin), 0);
	rc = sh("cd '%s' && '%s/bench/hilbench' run --board sim --net digits --samples 3 --windows 1 --window-s 2 "
		"--baseline-s 1 --db runs.sqlite --calibration cal.json --receipt r2.json --json run.json > run.out 2>&1",
		dir, bin);
	sh("cat '%s/run.out' >&2", dir);
	cr_assert_eq(sh("grep -q 'fpga_sim (calibrated)' '%s/run.out' && grep -q 'SIMULATED' '%s/run.out'", dir, dir), 0);
	snprintf(p, sizeof p, "%s/r2.json", dir);
	r = load(p);
	cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(r, "simulated")));
	cJSON_Delete(r);
	snprintf(p, sizeof p, "%s/run.json", dir);
	r = load(p);
	const cJSON *row, *rows = cJSON_GetObjectItem(r, "rows");
	int cal_rows = 0;
	cJSON_ArrayForEach(row, rows)
		cal_rows += !strcmp(cJSON_GetObjectItem(row, "source")->valuestring, "calibrated");
	cr_assert_eq(cal_rows, 1);
	cJSON_Delete(r);
}

/* The iCEBreaker's twin over two clocks: each clock's points run the virtual board at that
 * clock and flash that clock's cached bitstream to the twin's openFPGALoader stand-in (which
 * accepts only an iCE40 image); nothing is built on the twin path. The two bitstreams are made
 * first with the iCE40 flow's stand-in tools (tests/data/build/fake). */
Test(sweep_sim, twin_flashes_each_clocks_cached_bitstream)
{
	const char *bin = getenv("HB_BUILD_DIR"), *src = getenv("HB_SOURCE_DIR");
	char env[2048];
	snprintf(env, sizeof env, "PATH='%s/tests/data/build/fake':\"$PATH\" HB_FAKE_DATA='%s/tests/data/build/ice40' "
		 "HB_FAKE_LOG='%s/tools.log' HB_BITSTREAM_DIR='%s/bits'", src, src, dir, dir);
	const double mhz[2] = {18, 24};
	char path[2][600];
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(sh("%s '%s/bench/hilbench' build --board icebreaker --clock-mhz %g > '%s/build.out' 2>&1 && "
				"sed -n 's/^bitstream: //p' '%s/build.out' > '%s/path.txt'", env, bin, mhz[i], dir, dir, dir), 0);
		char p[400];
		snprintf(p, sizeof p, "%s/path.txt", dir);
		FILE *f = fopen(p, "r");
		cr_assert_not_null(fgets(path[i], sizeof path[i], f));
		fclose(f);
		path[i][strcspn(path[i], "\n")] = 0;
	}
	cr_assert_str_neq(path[0], path[1]);
	/* the sweep's --bitstream-dir, not the session's default cache, selects them */
	int rc = sh("cd '%s' && %s HB_BITSTREAM_DIR=/nonexistent '%s/bench/hilbench' sweep --board icebreaker --virtual --nets random:16-8-4:0.5:3 "
		    "--L 32 --clock-mhz 18,24 --windows 1 --window-s 0.05 --baseline-s 0.05 --samples 1 --bitstream-dir bits "
		    "--db runs.sqlite > twin.out 2>&1", dir, env, bin);
	sh("cat '%s/twin.out' >&2", dir);
	cr_assert(rc == 0 || rc == 1, "sweep exited %d", rc);
	cr_assert_eq(sh("wc -l < '%s/tools.log' | grep -qx 8", dir), 0, "the twin built nothing");
	char db[300];
	snprintf(db, sizeof db, "%s/runs.sqlite", dir);
	struct hb_db *h;
	cr_assert_eq(hb_db_open(db, &h), HB_OK);
	struct hb_db_sweep sw;
	cr_assert_eq(hb_db_sweep_get(h, 1, &sw), HB_OK);
	cr_assert_eq(sw.n_points, 2u);
	for (size_t i = 0; i < 2; i++) {
		cr_assert_gt(sw.points[i].run_id, 0, "point %zu was stored", i + 1);
		struct hb_db_run r;
		cr_assert_eq(hb_db_get(h, sw.points[i].run_id, &r), HB_OK);
		cJSON *doc = cJSON_Parse(r.result_json);
		const cJSON *run = cJSON_GetObjectItem(doc, "run"), *m = cJSON_GetObjectItem(doc, "measured");
		cr_assert_str_eq(cJSON_GetObjectItem(run, "session")->valuestring, "twin");
		/* flashed (the stand-in accepted it) and recorded */
		cr_assert_str_eq(cJSON_GetObjectItem(run, "bitstream")->valuestring, path[i]);
		/* the virtual board ran at the point's clock (IDENTIFY's) */
		cr_assert_float_eq(cJSON_GetObjectItem(m, "clock_hz")->valuedouble, mhz[i] * 1e6, 1e-6);
		cJSON_Delete(doc);
		hb_db_run_free(&r);
	}
	hb_db_sweep_free(&sw);
	hb_db_close(h);
}
