/* Sweeps (bench/run/hb_sweep.c): plan files, points, generated networks, and the runner through
 * its seam with a fake run made from the twin's power model (fake_twin_run.c): storage,
 * progress, failed points, interruption and --resume; then `hilbench calibrate` and
 * `hilbench model --calibration` on the stored sweep. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fake_twin_run.h"
#include "hb_board.h"
#include "hb_build.h"
#include "hb_db.h"
#include "hb_gnuplot.h"
#include "hb_sweep.h"

static char dir[256];

static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/hb-sweep-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(sweep, .init = setup, .fini = teardown);

static int sh(const char *cmd)
{
	int rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

Test(sweep, plan_file)
{
	const char *text = "# campaign\n[sweep]\nname = ice40 clocks\nboard = icebreaker\nwindows = 5\nwindow_s = 2.5\n"
			   "samples = 20\n\n[axes]\nnets = digits, mnist-shape, random:120-48-10:0.5:7, file:/x/y.json\n"
			   "L = 128, 256\nclock_mhz = 6, 12, 24 ; three bitstreams\nseeds = 1, 2\ninput_scale = 1, 0.5\n\n"
			   "[bitstreams]\n12 = build/gateware/icebreaker-12/hb_icebreaker.bin\n";
	struct hb_sweep_plan p;
	char err[256] = "";
	cr_assert_eq(hb_sweep_plan_parse(text, "plan.ini", &p, err, sizeof err), HB_OK, "%s", err);
	cr_assert_str_eq(p.name, "ice40 clocks");
	cr_assert_str_eq(p.board, "icebreaker");
	cr_assert_eq(p.windows, 5u);
	cr_assert_float_eq(p.window_s, 2.5, 1e-12);
	cr_assert_eq(p.n_nets, 4u);
	cr_assert_eq(p.nets[0].kind, HB_SWEEP_NET_SHIPPED);
	cr_assert_eq(p.nets[2].kind, HB_SWEEP_NET_RANDOM);
	cr_assert_str_eq(p.nets[2].name, "random-120-48-10-d0.5-s7");
	cr_assert_eq(p.nets[2].n_layers, 2u);
	cr_assert_float_eq(p.nets[2].density, 0.5, 1e-12);
	cr_assert_eq(p.nets[3].kind, HB_SWEEP_NET_FILE);
	cr_assert_str_eq(p.nets[3].path, "/x/y.json");
	cr_assert_eq(p.n_clock, 3u);
	cr_assert_float_eq(p.clock_hz[2], 24e6, 1e-3);
	cr_assert_eq(p.n_bitstreams, 1u);
	struct hb_sweep_point *pts;
	size_t n;
	cr_assert_eq(hb_sweep_points(&p, &pts, &n), HB_OK);
	cr_assert_eq(n, 3u * 4 * 2 * 2 * 2);
	/* clock outermost: one bitstream per block of points */
	for (size_t i = 0; i < n; i++)
		cr_assert_float_eq(pts[i].clock_hz, p.clock_hz[i / (n / 3)], 1e-3);
	cr_assert_str_eq(pts[0].label, "net=digits L=128 clock=6MHz seed=1 scale=1");
	cr_assert_str_eq(pts[1].label, "net=digits L=128 clock=6MHz seed=1 scale=0.5");
	free(pts);
}

Test(sweep, plan_errors_name_line_and_key)
{
	struct {
		const char *text, *want;
	} bad[] = {
		{"[sweep]\nwindow = 3\n[axes]\nnets = digits\n", "plan.ini:2: [sweep] window: unknown key"},
		{"[axes]\nnets = digits\nclock_mhz = 12, fast\n", "plan.ini:3: [axes] clock_mhz: 'fast'"},
		{"[axes]\nnets = random:120\n", "SIZES is 2 to 5 widths"},
		{"[axes]\nnets = random:120-300-10:0.5:1\n", "at most 256 neurons"},
		{"[axes]\nnets = random:120-48-10:1.5\n", "DENSITY"},
		{"[axes]\nL = 128\n", "[axes] nets is missing"},
		{"[axes]\nnets = digits\nL = 100\n", "plan.ini:3: [axes] L: '100'"},
		{"[axes]\nnets = digits\ncolour = red\n", "unknown axis"},
		{"[bitstreams]\nfast = x.bin\n[axes]\nnets = digits\n", "the key is a clock in MHz"},
		{"[sweep\n", "syntax error"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct hb_sweep_plan p;
		char err[512] = "";
		cr_assert_eq(hb_sweep_plan_parse(bad[i].text, "plan.ini", &p, err, sizeof err), HB_ERR_FORMAT, "case %zu", i);
		cr_assert(strstr(err, bad[i].want), "case %zu: '%s' lacks '%s'", i, err, bad[i].want);
	}
}

Test(sweep, random_networks_are_deterministic_and_sparse)
{
	const unsigned sz[3] = {120, 48, 10};
	struct hb_net a, b;
	cr_assert_eq(hb_sweep_random_net(&a, 2, sz, 0.3, 7, "r"), HB_OK);
	cr_assert_eq(hb_sweep_random_net(&b, 2, sz, 0.3, 7, "r"), HB_OK);
	char *ja, *jb;
	cr_assert_eq(hb_net_to_json(&a, &ja), HB_OK);
	cr_assert_eq(hb_net_to_json(&b, &jb), HB_OK);
	cr_assert_str_eq(ja, jb);
	size_t nz = 0, tot = 120 * 48;
	for (size_t i = 0; i < tot; i++)
		nz += a.layers[0].weights[i] != 0;
	cr_assert(nz > tot * 0.25 && nz < tot * 0.35, "density %zu/%zu", nz, tot);
	/* and its neurons spike on random inputs (neither silent nor saturated) */
	uint16_t v[120];
	for (unsigned i = 0; i < 120; i++)
		v[i] = (uint16_t)(i * 547u);
	struct hb_model_result r;
	cr_assert_eq(hb_model_infer_values(&a, v, &r), HB_OK);
	unsigned live = 0;
	for (unsigned j = 0; j < 48; j++)
		live += r.counts[0][j] > 0 && r.counts[0][j] < a.L;
	cr_assert_gt(live, 10u, "only %u of 48 hidden neurons spike at a moderate rate", live);
	free(ja);
	free(jb);
	hb_net_free(&a);
	hb_net_free(&b);
}

static const char *campaign =
	"[sweep]\nname = twin campaign\nwindows = 5\nwindow_s = 3\nbaseline_s = 2\nsamples = 5\n"
	"[axes]\nnets = digits, mnist-shape, random:120-48-10:0.5:7\nL = 128, 256\nclock_mhz = 6, 12, 24\n";

static void opts_for(struct hb_sweep_opts *o, struct fake_run *f, char *db, FILE *out)
{
	memset(o, 0, sizeof *o);
	o->board = "sim";
	o->db_path = db;
	o->out = out;
	o->run = fake_twin_run;
	o->run_user = f;
}

Test(sweep, failed_points_are_listed_and_resume_retries_them)
{
	char db[300], log[300];
	snprintf(db, sizeof db, "%s/runs.sqlite", dir);
	snprintf(log, sizeof log, "%s/out.txt", dir);
	struct fake_run f = {0};
	cr_assert_eq(cal_twin_init(&f.tw, "ice40", 20, 1), 0);
	f.fail_net = "random-120";
	FILE *out = fopen(log, "w+");
	struct hb_sweep_opts o;
	opts_for(&o, &f, db, out);
	struct hb_sweep_result res;
	char err[512] = "";
	cr_assert_eq(hb_sweep_start(&o, campaign, "campaign.ini", &res, err, sizeof err), HB_OK, "%s", err);
	cr_assert_eq(res.n_points, 18u);
	cr_assert_eq(res.n_failed, 6u);
	cr_assert_eq(res.n_done, 12u);
	cr_assert_eq(f.calls, 18u);
	/* progress lines with an ETA, failures with their reason */
	fflush(out);
	rewind(out);
	char text[16384];
	size_t len = fread(text, 1, sizeof text - 1, out);
	text[len] = 0;
	fclose(out);
	cr_assert(strstr(text, "[1/18] net=digits L=128 clock=6MHz seed=1 scale=1: run "), "%s", text);
	cr_assert(strstr(text, "ETA"), "%s", text);
	cr_assert(strstr(text, "FAILED (the board stopped answering (fake))"), "%s", text);
	/* stored: the sweep, its points, the runs with the sweep's id; the generated net's file */
	struct hb_db *h;
	cr_assert_eq(hb_db_open(db, &h), HB_OK);
	struct hb_db_sweep sw;
	cr_assert_eq(hb_db_sweep_get(h, res.sweep_id, &sw), HB_OK);
	cr_assert_eq(sw.n_points, 18u);
	cr_assert_eq(sw.points[4].status, HB_POINT_FAILED);
	cr_assert_str_eq(sw.points[4].error, "the board stopped answering (fake)");
	struct hb_db_run r;
	cr_assert_eq(hb_db_get(h, sw.points[0].run_id, &r), HB_OK);
	cr_assert_eq(r.sweep_id, res.sweep_id);
	hb_db_run_free(&r);
	hb_db_sweep_free(&sw);
	hb_db_close(h);
	char gen[400];
	snprintf(gen, sizeof gen, "%s/sweeps/%lld/random-120-48-10-d0.5-s7.json", dir, (long long)res.sweep_id);
	cr_assert_eq(access(gen, R_OK), 0, "generated network %s", gen);
	/* resume: only the failed points run again */
	f.fail_net = NULL;
	f.calls = 0;
	o.out = fopen("/dev/null", "w");
	struct hb_sweep_result r2;
	cr_assert_eq(hb_sweep_resume(&o, res.sweep_id, &r2, err, sizeof err), HB_OK, "%s", err);
	fclose(o.out);
	cr_assert_eq(f.calls, 6u);
	cr_assert_eq(r2.n_done, 18u);
	cr_assert_eq(r2.n_failed, 0u);
}

Test(sweep, interrupted_sweep_resumes_where_it_stopped)
{
	char db[300];
	snprintf(db, sizeof db, "%s/runs.sqlite", dir);
	volatile sig_atomic_t stop = 0;
	struct fake_run f = {0};
	cr_assert_eq(cal_twin_init(&f.tw, "ice40", 20, 1), 0);
	f.interrupt_after = 4;
	f.interrupted = &stop;
	struct hb_sweep_opts o;
	opts_for(&o, &f, db, fopen("/dev/null", "w"));
	o.interrupted = &stop;
	struct hb_sweep_result res;
	char err[512] = "";
	cr_assert_eq(hb_sweep_start(&o, campaign, "campaign.ini", &res, err, sizeof err), HB_OK, "%s", err);
	cr_assert(res.interrupted);
	cr_assert_eq(res.n_done, 4u);
	cr_assert_eq(res.n_pending, 14u);
	stop = 0;
	f.interrupt_after = 0;
	f.calls = 0;
	cr_assert_eq(hb_sweep_resume(&o, res.sweep_id, &res, err, sizeof err), HB_OK, "%s", err);
	fclose(o.out);
	cr_assert_eq(f.calls, 14u, "every point measured once");
	cr_assert_eq(res.n_done, 18u);
	cr_assert_eq(hb_sweep_resume(&o, res.sweep_id + 7, &res, err, sizeof err), HB_ERR_ARG);
	cr_assert(strstr(err, "no sweep"), "%s", err);
}

/* The whole chain on the stored sweep: calibrate (fit, held-out errors, file, DB, plot,
 * SC-NeuroCore export), then the calibrated row of `hilbench model`. */
Test(sweep, calibrate_and_model_on_a_stored_sweep)
{
	char db[300];
	snprintf(db, sizeof db, "%s/runs.sqlite", dir);
	struct fake_run f = {0};
	cr_assert_eq(cal_twin_init(&f.tw, "ice40", 20, 2), 0);
	struct hb_sweep_opts o;
	opts_for(&o, &f, db, fopen("/dev/null", "w"));
	struct hb_sweep_result res;
	char err[512] = "";
	cr_assert_eq(hb_sweep_start(&o, campaign, "campaign.ini", &res, err, sizeof err), HB_OK, "%s", err);
	fclose(o.out);
	cr_assert_eq(res.n_done, 18u);
	const char *bin = getenv("HB_BUILD_DIR");
	char cmd[4096];
	/* a plot path with a quote, a backquote and $( ): it must be a file name, never code */
	snprintf(cmd, sizeof cmd,
		 "cd '%s' && '%s/bench/hilbench' calibrate --sweep %lld --db runs.sqlite --luts 3480 -o cal.json "
		 "--plot \"fit it's \\`touch pwned\\`.svg\" --export sc-neurocore sc.json > cal.out 2>&1",
		 dir, bin, (long long)res.sweep_id);
	int rc = sh(cmd);
	char show[600];
	snprintf(show, sizeof show, "cat '%s/cal.out' >&2", dir);
	if (rc)
		sh(show);
	cr_assert_eq(rc, 0, "calibrate exited %d", rc);
	snprintf(cmd, sizeof cmd, "cd '%s' && test ! -e pwned && grep -q '<svg' \"fit it's \\`touch pwned\\`.svg\"", dir);
	cr_assert_eq(sh(cmd), 0, "the plot was not written under its own name, or the name ran as code");
	snprintf(cmd, sizeof cmd, "grep -q 'leave one network out' '%s/cal.out' && grep -q 'analytic model' '%s/cal.out'"
		 " && grep -q 'predicted cycles equal the measured busy cycles for 18 of 18' '%s/cal.out'", dir, dir, dir);
	if (sh(cmd))
		sh(show);
	cr_assert_eq(sh(cmd), 0);
	/* the goals: held-out energy error median <= 2 %, max <= 5 % */
	char path[400];
	snprintf(path, sizeof path, "%s/cal.json", dir);
	FILE *fp = fopen(path, "r");
	cr_assert_not_null(fp);
	static char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof buf - 1, fp);
	fclose(fp);
	buf[n] = 0;
	cJSON *doc = cJSON_Parse(buf);
	cr_assert_not_null(doc);
	const cJSON *v;
	int seen = 0;
	cJSON_ArrayForEach(v, cJSON_GetObjectItem(doc, "validation"))
	{
		const char *s = cJSON_GetObjectItem(v, "scheme")->valuestring;
		double med = cJSON_GetObjectItem(v, "median_abs_pct")->valuedouble;
		double mx = cJSON_GetObjectItem(v, "max_abs_pct")->valuedouble;
		cr_log_info("%s: median %.4f %%, max %.4f %%", s, med, mx);
		cr_assert_leq(med, 2.0, "%s", s);
		cr_assert_leq(mx, 5.0, "%s", s);
		seen++;
	}
	cr_assert_eq(seen, 3);
	cr_assert(cJSON_IsNumber(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "sc_neurocore"), "c_eff_per_lut_ff")));
	cJSON_Delete(doc);
	snprintf(cmd, sizeof cmd, "grep -q '\"c_eff_per_lut_ff\"' '%s/sc.json' && grep -q '\"static_power_mw\"' '%s/sc.json'",
		 dir, dir);
	cr_assert_eq(sh(cmd), 0);
	/* the calibrated row */
	snprintf(cmd, sizeof cmd,
		 "cd '%s' && '%s/bench/hilbench' model --net digits --calibration cal.json --clock-mhz 12 > model.out 2>&1 && "
		 "grep -q 'fpga_sim (calibrated)' model.out && grep -q 'calib.' model.out && grep -q '20041 cycles' model.out",
		 dir, bin);
	rc = sh(cmd);
	if (rc) {
		snprintf(show, sizeof show, "cat '%s/model.out' >&2", dir);
		sh(show);
	}
	cr_assert_eq(rc, 0);
	/* usage errors */
	snprintf(cmd, sizeof cmd, "'%s/bench/hilbench' calibrate --sweep 999 --db '%s' > /dev/null 2>&1", bin, db);
	cr_assert_eq(sh(cmd), 2);
	snprintf(cmd, sizeof cmd, "'%s/bench/hilbench' model --calibration x.json --layers 4-2 > /dev/null 2>&1", bin);
	cr_assert_eq(sh(cmd), 2);
}

Test(sweep, gnuplot_quoting)
{
	char q[64];
	hb_gp_quote(q, sizeof q, "it's\n`rm -rf /`@x");
	cr_assert_str_eq(q, "'it''s__rm -rf /__x'");
	hb_gp_quote(q, 8, "abcdefghij");
	cr_assert_str_eq(q, "'abcde'");
	hb_gp_quote(q, 6, "a'''''");
	cr_assert_eq(q[0], '\'');
	cr_assert_eq(q[strlen(q) - 1], '\'');
	size_t quotes = 0;
	for (size_t i = 1; i + 1 < strlen(q); i++)
		quotes += q[i] == '\'';
	cr_assert_eq(quotes % 2, 0u, "a quote left unpaired: %s", q);
}

/* ---- hardware: one bitstream per clock ------------------------------------------------------------ */

/* The iCE40 flow's stand-in tools (tests/data/build/fake) first on PATH, their report excerpts,
 * and a log with one line per tool run. */
static void fake_flow(const char *log, const char *fmax)
{
	const char *src = getenv("HB_SOURCE_DIR");
	cr_assert(src && *src);
	char path[4096], data[1024];
	snprintf(path, sizeof path, "%s/tests/data/build/fake:%s", src, getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	setenv("PATH", path, 1);
	snprintf(data, sizeof data, "%s/tests/data/build/ice40", src);
	setenv("HB_FAKE_DATA", data, 1);
	setenv("HB_FAKE_LOG", log, 1);
	if (fmax)
		setenv("HB_FAKE_FMAX", fmax, 1);
	else
		unsetenv("HB_FAKE_FMAX");
}

static size_t lines_in(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = 0;
	int c;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

/* The run seam: what each point would have flashed and the clock it asked for. */
struct seen {
	size_t n;
	char bitstream[16][4096];
	double clock_hz[16];
};

static enum hb_status record_run(const struct hb_run_opts *o, char *err, size_t errlen, void *user)
{
	(void)err, (void)errlen;
	struct seen *s = user;
	cr_assert_lt(s->n, 16u);
	snprintf(s->bitstream[s->n], sizeof s->bitstream[0], "%s", o->bitstream ? o->bitstream : "");
	s->clock_hz[s->n] = o->clock_hz;
	s->n++;
	return HB_OK;
}

/* Where the cache keeps the bitstream of the icebreaker at hz (looked up, never built). */
static void cached_path(const char *root, double hz, char *out, size_t cap, uint32_t *achieved)
{
	struct hb_board b;
	char err[1024];
	cr_assert_eq(hb_board_find("icebreaker", NULL, &b, err, sizeof err), HB_OK, "%s", err);
	struct hb_build_opts bo = {.board = &b, .clock_hz = (uint64_t)llround(hz), .root = root};
	struct hb_build_clock bc;
	enum hb_status st = hb_build_ensure(&bo, 0, &bc, err, sizeof err);
	cr_assert(st == HB_OK || st == HB_ERR_NOTFOUND, "%s", err);
	snprintf(out, cap, "%s", bc.bitstream);
	*achieved = bc.clk.clk_hz;
}

static const char *clock_plan = "[sweep]\nboard = icebreaker\n[axes]\nnets = digits\nseeds = 1, 2\nclock_mhz = 18, 27\n";

Test(sweep, hardware_builds_each_clock_once_then_takes_it_from_the_cache)
{
	char db[300], log[300], bits[300], out_path[300];
	snprintf(db, sizeof db, "%s/runs.sqlite", dir);
	snprintf(log, sizeof log, "%s/tools.log", dir);
	snprintf(bits, sizeof bits, "%s/bits", dir);
	snprintf(out_path, sizeof out_path, "%s/out.txt", dir);
	/* the 27 MHz build misses timing first (Fmax 26.5 MHz) */
	fake_flow(log, "26.5");
	static struct seen seen;
	FILE *out = fopen(out_path, "w+");
	struct hb_sweep_opts o = {.board = "icebreaker", .db_path = db, .out = out, .run = record_run,
				  .run_user = &seen, .bitstream_dir = bits};
	struct hb_sweep_result res;
	char err[1024] = "";
	cr_assert_eq(hb_sweep_start(&o, clock_plan, "clocks.ini", &res, err, sizeof err), HB_OK, "%s", err);
	fflush(out);
	rewind(out);
	static char text[65536];
	text[fread(text, 1, sizeof text - 1, out)] = 0;
	fclose(out);
	cr_assert_eq(res.n_points, 4u);
	cr_assert_eq(res.n_done, 2u, "%s", text);
	cr_assert_eq(res.n_failed, 2u, "%s", text);
	cr_assert_eq(lines_in(log), 8u, "two builds of four tools:\n%s", text);
	/* the 18 MHz points flashed the 18 MHz build and asked for the clock its PLL makes */
	char p18[4096], p27[4096];
	uint32_t a18, a27;
	cached_path(bits, 18e6, p18, sizeof p18, &a18);
	cached_path(bits, 27e6, p27, sizeof p27, &a27);
	cr_assert_eq(seen.n, 2u);
	for (size_t i = 0; i < 2; i++) {
		cr_assert_str_eq(seen.bitstream[i], p18);
		cr_assert_float_eq(seen.clock_hz[i], (double)a18, 1e-9);
	}
	cr_assert(strstr(text, "is not in the cache: building it (hilbench build --board icebreaker --clock-mhz 18)"),
		  "%s", text);
	/* the 27 MHz points failed with the build's reason, naming the Fmax reached */
	cr_assert(strstr(text, "FAILED (no bitstream for clock 27 MHz: board icebreaker: misses timing: clock 'clk' "
			       "reaches 26.50 MHz, the target is 27 MHz"), "%s", text);
	struct hb_db *h;
	struct hb_db_sweep sw;
	cr_assert_eq(hb_db_open(db, &h), HB_OK);
	cr_assert_eq(hb_db_sweep_get(h, res.sweep_id, &sw), HB_OK);
	cr_assert_eq(sw.points[2].status, HB_POINT_FAILED);
	cr_assert(strstr(sw.points[2].error, "reaches 26.50 MHz"), "%s", sw.points[2].error);
	hb_db_sweep_free(&sw);
	hb_db_close(h);

	/* with the timing met, --resume builds 27 MHz and measures its points; 18 MHz is not
	 * rebuilt (no point of it is left, and the cache would have it) */
	fake_flow(log, NULL);
	seen.n = 0;
	o.out = fopen(out_path, "w+");
	cr_assert_eq(hb_sweep_resume(&o, res.sweep_id, &res, err, sizeof err), HB_OK, "%s", err);
	fclose(o.out);
	cr_assert_eq(res.n_done, 4u);
	cr_assert_eq(lines_in(log), 12u, "one more build");
	cr_assert_eq(seen.n, 2u);
	for (size_t i = 0; i < 2; i++) {
		cr_assert_str_eq(seen.bitstream[i], p27);
		cr_assert_float_eq(seen.clock_hz[i], (double)a27, 1e-9);
	}
	/* a new sweep over both clocks builds nothing */
	seen.n = 0;
	o.out = fopen(out_path, "w+");
	cr_assert_eq(hb_sweep_start(&o, clock_plan, "clocks.ini", &res, err, sizeof err), HB_OK, "%s", err);
	rewind(o.out);
	text[fread(text, 1, sizeof text - 1, o.out)] = 0;
	fclose(o.out);
	cr_assert_eq(res.n_done, 4u);
	cr_assert_eq(lines_in(log), 12u, "both bitstreams came from the cache:\n%s", text);
	cr_assert(strstr(text, "from the build cache"), "%s", text);
	cr_assert_str_eq(seen.bitstream[0], p18);
	cr_assert_str_eq(seen.bitstream[3], p27);
}

Test(sweep, hardware_refuses_a_clock_the_board_cannot_make_before_storing_anything)
{
	char db[300], log[300], bits[300];
	snprintf(db, sizeof db, "%s/runs.sqlite", dir);
	snprintf(log, sizeof log, "%s/tools.log", dir);
	snprintf(bits, sizeof bits, "%s/bits", dir);
	fake_flow(log, NULL);
	static struct seen seen;
	struct hb_sweep_opts o = {.board = "icebreaker", .db_path = db, .out = fopen("/dev/null", "w"),
				  .run = record_run, .run_user = &seen, .bitstream_dir = bits};
	struct hb_sweep_result res;
	char err[1024] = "";
	cr_assert_eq(hb_sweep_start(&o, "[axes]\nnets = digits\nclock_mhz = 18, 12\n", "p.ini", &res, err, sizeof err),
		     HB_ERR_ARG);
	cr_assert(strstr(err, "[axes] clock_mhz 12: board icebreaker: iCE40 PLL: 12 MHz is outside its output range") &&
		  strstr(err, "the nearest clock board icebreaker builds at is 18 MHz"), "%s", err);
	cr_assert_eq(seen.n, 0u);
	cr_assert_eq(lines_in(log), 0u, "nothing was built");
	cr_assert_neq(access(db, F_OK), 0, "nothing was stored");
	/* the twin runs any clock */
	o.virtual_board = 1;
	cr_assert_eq(hb_sweep_start(&o, "[axes]\nnets = digits\nclock_mhz = 18, 12\n", "p.ini", &res, err, sizeof err),
		     HB_OK, "%s", err);
	cr_assert_eq(seen.n, 2u);
	cr_assert_float_eq(seen.clock_hz[1], 12e6, 1e-9);
	cr_assert_eq(lines_in(log), 0u, "a twin never builds");
	fclose(o.out);
}

/* `hilbench sweep --dry-run`, hardware and twin, two clocks: which bitstream each clock flashes
 * and the openFPGALoader arguments; then the hardware sweep for real through the flash path with
 * a stand-in openFPGALoader that logs its arguments (there is no board: the points fail at the
 * UART, after flashing). */
Test(sweep, dry_run_and_flash_arguments_per_clock)
{
	const char *bin = getenv("HB_BUILD_DIR"), *src = getenv("HB_SOURCE_DIR");
	char log[300], bits[300], cmd[8192];
	snprintf(log, sizeof log, "%s/tools.log", dir);
	snprintf(bits, sizeof bits, "%s/bits", dir);
	fake_flow(log, NULL);
	/* 18 MHz is in the cache, 27 MHz is not */
	snprintf(cmd, sizeof cmd, "HB_BITSTREAM_DIR='%s' '%s/bench/hilbench' build --board icebreaker --clock-mhz 18 > /dev/null",
		 bits, bin);
	cr_assert_eq(sh(cmd), 0);
	cr_assert_eq(lines_in(log), 4u);
	char p18[4096], p27[4096];
	uint32_t a18, a27;
	cached_path(bits, 18e6, p18, sizeof p18, &a18);
	cached_path(bits, 27e6, p27, sizeof p27, &a27);
	char plan[300];
	snprintf(plan, sizeof plan, "%s/plan.ini", dir);
	FILE *f = fopen(plan, "w");
	fputs("[sweep]\nboard = icebreaker\n[axes]\nnets = digits\nseeds = 1, 2\nclock_mhz = 18, 27\n", f);
	fclose(f);
	static char out[65536];
	/* hardware */
	snprintf(cmd, sizeof cmd, "'%s/bench/hilbench' sweep --plan '%s' --bitstream-dir '%s' --db '%s/runs.sqlite' --dry-run "
		 "> '%s/dry.txt' 2>&1", bin, plan, bits, dir, dir);
	cr_assert_eq(sh(cmd), 0);
	snprintf(cmd, sizeof cmd, "%s/dry.txt", dir);
	f = fopen(cmd, "r");
	out[fread(out, 1, sizeof out - 1, f)] = 0;
	fclose(f);
	char want[5000];
	snprintf(want, sizeof want, "clock 18 MHz: 2 points at %.6f MHz", a18 / 1e6);
	cr_assert(strstr(out, want), "%s", out);
	snprintf(want, sizeof want, "  bitstream: %s (the build cache, build 0x", p18);
	cr_assert(strstr(out, want), "%s", out);
	snprintf(want, sizeof want, " -b ice40_generic -c ft2232 --ftdi-channel 0 -m %s\n", p18);
	cr_assert(strstr(out, want), "%s", out);
	snprintf(want, sizeof want, "  bitstream: %s, not built yet: the sweep builds it first", p27);
	cr_assert(strstr(out, want), "%s", out);
	snprintf(want, sizeof want, " -b ice40_generic -c ft2232 --ftdi-channel 0 -m %s\n", p27);
	cr_assert(strstr(out, want), "%s", out);
	cr_assert_eq(lines_in(log), 4u, "a dry run builds nothing");
	snprintf(cmd, sizeof cmd, "%s/runs.sqlite", dir);
	cr_assert_neq(access(cmd, F_OK), 0, "a dry run stores nothing");
	/* twin: any clock, the cached build where there is one, else a placeholder; never builds */
	snprintf(cmd, sizeof cmd, "'%s/bench/hilbench' sweep --board icebreaker --virtual --nets digits --clock-mhz 18,6 "
		 "--bitstream-dir '%s' --dry-run > '%s/dry.txt' 2>&1", bin, bits, dir);
	cr_assert_eq(sh(cmd), 0);
	snprintf(cmd, sizeof cmd, "%s/dry.txt", dir);
	f = fopen(cmd, "r");
	out[fread(out, 1, sizeof out - 1, f)] = 0;
	fclose(f);
	snprintf(want, sizeof want, "hilbench-ofl-standin -b ice40_generic -c ft2232 --ftdi-channel 0 -m %s\n", p18);
	cr_assert(strstr(out, want), "%s", out);
	cr_assert(strstr(out, "clock 6 MHz: 1 points; the twin runs at 6 MHz (any clock)") &&
		  strstr(out, "the twin flashes a placeholder ice40 file"), "%s", out);
	cr_assert_eq(lines_in(log), 4u);

	/* hardware, for real: builds 27 MHz, flashes each point's clock's bitstream */
	char ofl[300], ofl_log[300];
	snprintf(ofl, sizeof ofl, "%s/ofl.sh", dir);
	snprintf(ofl_log, sizeof ofl_log, "%s/ofl.log", dir);
	f = fopen(ofl, "w");
	fprintf(f, "#!/bin/sh\necho \"$*\" >> '%s'\nexec '%s/tests/fakes/fake_openFPGALoader.sh' \"$@\"\n", ofl_log, src);
	fclose(f);
	chmod(ofl, 0755);
	snprintf(cmd, sizeof cmd, "cd '%s' && HB_OPENFPGALOADER='%s' '%s/bench/hilbench' sweep --plan '%s' --bitstream-dir '%s' "
		 "--db '%s/runs.sqlite' --samples 1 > '%s/hw.txt' 2>&1", dir, ofl, bin, plan, bits, dir, dir);
	int rc = sh(cmd);
	snprintf(cmd, sizeof cmd, "%s/hw.txt", dir);
	f = fopen(cmd, "r");
	out[fread(out, 1, sizeof out - 1, f)] = 0;
	fclose(f);
	cr_assert_eq(rc, 1, "every point fails at the UART (no board here):\n%s", out);
	cr_assert_eq(lines_in(log), 8u, "27 MHz was built:\n%s", out);
	cr_assert_eq(lines_in(ofl_log), 4u, "each point flashed:\n%s", out);
	f = fopen(ofl_log, "r");
	char line[4096];
	for (int i = 0; i < 4; i++) {
		cr_assert_not_null(fgets(line, sizeof line, f));
		snprintf(want, sizeof want, "-b ice40_generic -c ft2232 --ftdi-channel 0 -m %s\n", i < 2 ? p18 : p27);
		cr_assert_str_eq(line, want);
	}
	fclose(f);
}

/* The shipped example plans parse, and the hardware one names clocks its board builds at. */
Test(sweep, example_plans_parse_and_the_hardware_clocks_build)
{
	const char *src = getenv("HB_SOURCE_DIR");
	const char *names[] = {"sweep-sim.ini", "sweep-twin.ini", "sweep-icebreaker.ini"};
	for (size_t i = 0; i < 3; i++) {
		char path[1024];
		snprintf(path, sizeof path, "%s/docs/examples/%s", src, names[i]);
		FILE *f = fopen(path, "r");
		cr_assert_not_null(f, "%s", path);
		static char text[65536];
		text[fread(text, 1, sizeof text - 1, f)] = 0;
		fclose(f);
		struct hb_sweep_plan p;
		char err[512] = "";
		cr_assert_eq(hb_sweep_plan_parse(text, names[i], &p, err, sizeof err), HB_OK, "%s", err);
		if (strcmp(names[i], "sweep-icebreaker.ini") != 0)
			continue;
		struct hb_board b;
		cr_assert_eq(hb_board_find(p.board, NULL, &b, err, sizeof err), HB_OK, "%s", err);
		cr_assert_geq(p.n_clock, 3u);
		for (size_t k = 0; k < p.n_clock; k++) {
			struct hb_clkgen c;
			cr_assert_eq(hb_build_check_clock(&b, (uint64_t)llround(p.clock_hz[k]), &c, err, sizeof err), HB_OK,
				     "%s", err);
			cr_assert_eq(c.clk_hz, (uint32_t)llround(p.clock_hz[k]), "exactly");
		}
	}
}
