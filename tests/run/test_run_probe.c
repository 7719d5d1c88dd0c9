/* `hilbench run --board sim-probe` end to end: the bench probe's core inside the virtual board
 * (docs/probe.md section 7) samples the INA219 model and stamps DONE/BUSY on its own timer;
 * the run takes its windows and per-inference energy from those stamps
 * (docs/measurement.md, "With a probe"). Checked against the board's exact truth. Virtual
 * pace: the figures do not depend on how fast this machine is. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hb_probe_windows.h"
#include "hb_run.h"
#include "hbp_proto.h"

static char g_dir[256];

static void make_dir(void)
{
	if (g_dir[0])
		return;
	snprintf(g_dir, sizeof g_dir, "/tmp/hb-test-probe-run-XXXXXX");
	cr_assert_not_null(mkdtemp(g_dir));
}

static int sh(const char *cmd)
{
	int rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static cJSON *load_json(const char *path)
{
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "no JSON at %s", path);
	static char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	cJSON *j = cJSON_Parse(buf);
	cr_assert_not_null(j, "%s is not JSON", path);
	return j;
}

static const cJSON *obj(const cJSON *o, const char *key)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
	cr_assert_not_null(x, "field %s missing", key);
	return x;
}

static double get(const cJSON *o, const char *key)
{
	const cJSON *x = obj(o, key);
	cr_assert(cJSON_IsNumber(x), "field %s is not a number", key);
	return x->valuedouble;
}

/* hilbench run on sim-probe with extra arguments; the parsed JSON. */
static cJSON *run_probe(const char *name, const char *args)
{
	make_dir();
	char json[512], cmd[4096], out[600];
	snprintf(json, sizeof json, "%s/%s.json", g_dir, name);
	snprintf(out, sizeof out, "%s/%s.out", g_dir, name);
	snprintf(cmd, sizeof cmd,
		 "'%s/bench/hilbench' run --board sim-probe --no-db --json '%s' %s > '%s' 2>&1",
		 getenv("HB_BUILD_DIR"), json, args, out);
	int rc = sh(cmd);
	if (rc != 0) {
		snprintf(cmd, sizeof cmd, "cat '%s' >&2", out);
		sh(cmd);
	}
	cr_assert_eq(rc, 0, "hilbench run %s exited %d (output above)", args, rc);
	return load_json(json);
}

/* Energy per inference and power within the run's truth bound (the run enforces it too: this
 * checks that the figures in the JSON are the probe's and say so). */
static void check_truth(const cJSON *doc)
{
	const cJSON *m = obj(doc, "measured"), *t = obj(doc, "truth");
	double e_m = get(m, "energy_total_nj"), e_t = get(t, "energy_total_nj");
	double p_m = get(m, "p_active_mw"), p_t = get(t, "p_active_mw");
	cr_assert_gt(e_t, 0);
	cr_assert_leq(fabs(e_m - e_t) / e_t, HB_RUN_TRUTH_BOUND, "energy %.6f nJ vs truth %.6f nJ",
		      e_m, e_t);
	cr_assert_leq(fabs(p_m - p_t) / p_t, HB_RUN_TRUTH_BOUND, "power %.6f mW vs truth %.6f mW",
		      p_m, p_t);
	const cJSON *pr = obj(obj(doc, "run"), "probe");
	cr_assert_eq(get(pr, "records_dropped"), 0, "the probe dropped records");
	cr_assert_gt(get(pr, "samples"), 0);
	/* the latency sets the conversion time: the longest of which HB_PROBE_MIN_CONV_PER_INF
	 * fit in one inference (hb_probe_pick_adc) */
	double lat_us = get(m, "latency_cycles") / get(m, "clock_hz") * 1e6;
	uint32_t period = 0;
	hb_probe_pick_adc(lat_us, &period);
	cr_assert_eq(get(pr, "conversion_us"), period);
	/* One monitor: a plain read (30 SCL periods) is shorter than a conversion, so the probe
	 * reads every one (four monitors at 148 us would not fit on a 400 kHz bus: bench_probe). */
	if (30.0 / get(pr, "i2c_hz") * 1e6 < period)
		cr_assert_eq(get(pr, "conversions_read_share"), 1.0);
}

static double sum_window_inferences(const cJSON *doc)
{
	const cJSON *ws = obj(obj(doc, "measured"), "windows"), *w;
	double n = 0;
	cJSON_ArrayForEach(w, ws) n += get(w, "inferences");
	return n;
}

Test(run_probe, per_inference_energy_from_the_probe_within_the_truth_bound, .timeout = 600)
{
	make_dir();
	char args[800];
	snprintf(args, sizeof args,
		 "--windows 3 --window-s 0.2 --baseline-s 0.3 --samples 10 --plot '%s/trace.svg'",
		 g_dir);
	cJSON *doc = run_probe("long", args);
	check_truth(doc);
	const cJSON *pr = obj(obj(doc, "run"), "probe");
	cr_assert_geq(get(pr, "conversions_per_inference"), HB_PROBE_MIN_CONV_PER_INF);
	const cJSON *pi = obj(pr, "per_inference");
	cr_assert(cJSON_IsTrue(obj(pi, "available")), "per-inference energy unavailable: %s",
		  cJSON_GetStringValue(cJSON_GetObjectItem(pi, "reason")));
	/* every inference of every window has its own figure */
	cr_assert_eq(get(pi, "inferences"), sum_window_inferences(doc));
	double mean = get(pi, "energy_mean_nj"), p5 = get(pi, "energy_p5_nj");
	double p50 = get(pi, "energy_p50_nj"), p95 = get(pi, "energy_p95_nj");
	cr_assert(p5 <= p50 && p50 <= p95, "p5 %.3f p50 %.3f p95 %.3f", p5, p50, p95);
	cr_assert(mean >= p5 && mean <= p95, "mean %.3f outside p5..p95", mean);
	double e_t = get(obj(doc, "truth"), "energy_total_nj");
	cr_assert_leq(fabs(mean - e_t) / e_t, HB_RUN_TRUTH_BOUND,
		      "per-inference mean %.6f nJ vs truth %.6f nJ", mean, e_t);
	cr_assert_leq(fabs(get(pi, "energy_mean_relative_error")), HB_RUN_TRUTH_BOUND);
	/* the histogram is in the plot, under the probe's trace */
	char cmd[1200];
	snprintf(cmd, sizeof cmd,
		 "grep -q '<svg' '%s/trace.svg' && grep -q 'per-inference' '%s/trace.svg' && "
		 "grep -q 'probe simulated time' '%s/trace.svg'", g_dir, g_dir, g_dir);
	cr_assert_eq(sh(cmd), 0, "--plot: no SVG with the probe's trace and the histogram");
	cJSON_Delete(doc);
}

/* At 16 MHz with L = 32 an inference lasts ~0.2 ms: fewer than 4 conversions of even the
 * fastest setting (84 us). The batch windows still measure, within the bound; per-inference
 * energy says why it is missing. */
Test(run_probe, inferences_shorter_than_four_conversions_say_why, .timeout = 600)
{
	cJSON *doc = run_probe("short", "--windows 3 --window-s 0.05 --baseline-s 0.1 --samples 5 "
					"--clock-mhz 16 -L 32");
	check_truth(doc);
	const cJSON *pr = obj(obj(doc, "run"), "probe");
	cr_assert_lt(get(pr, "conversions_per_inference"), HB_PROBE_MIN_CONV_PER_INF);
	cr_assert_eq(get(pr, "conversion_us"), hbp_ina219_adc_us(0), "the fastest conversion");
	const cJSON *pi = obj(pr, "per_inference");
	cr_assert(cJSON_IsFalse(obj(pi, "available")));
	const char *why = cJSON_GetStringValue(obj(pi, "reason"));
	cr_assert(why && strstr(why, "conversions") && strstr(why, "batch windows only"), "%s",
		  why ? why : "(none)");
	cr_assert_null(cJSON_GetObjectItem(pi, "energy_mean_nj"));
	cJSON_Delete(doc);
}

/* Virtual pace: the probe's figures are a function of the command line (the probe runs on
 * the board's time, the host holds time while it computes), however busy this machine is. */
Test(run_probe, the_same_command_gives_the_same_figures, .timeout = 600)
{
	const char *args = "--windows 2 --window-s 0.1 --baseline-s 0.2 --samples 5";
	cJSON *a = run_probe("same-a", args), *b = run_probe("same-b", args);
	cr_assert(cJSON_Compare(obj(a, "measured"), obj(b, "measured"), 1), "measured differs");
	cr_assert(cJSON_Compare(obj(a, "truth"), obj(b, "truth"), 1), "truth differs");
	cJSON *pa = cJSON_Duplicate(obj(obj(a, "run"), "probe"), 1);
	cJSON *pb = cJSON_Duplicate(obj(obj(b, "run"), "probe"), 1);
	cJSON_DeleteItemFromObject(pa, "uri"); /* the board's socket directory */
	cJSON_DeleteItemFromObject(pb, "uri");
	cr_assert(cJSON_Compare(pa, pb, 1), "the probe's figures differ");
	cJSON_Delete(pa);
	cJSON_Delete(pb);
	cJSON_Delete(a);
	cJSON_Delete(b);
}

#ifdef HB_TEST_TWINS
/* A hardware profile whose monitor sits on a probe (icebreaker.ini with bus = probe:serial:…),
 * run as its twin (--virtual): the probe inside the virtual board stands in for the real
 * one, at the board's 24 MHz; an inference spans ~5.6 conversions of 148 µs. */
Test(run_probe, a_hardware_profile_with_a_probe_runs_as_its_twin, .timeout = 600)
{
	make_dir();
	char cmd[2048], boards[300];
	snprintf(boards, sizeof boards, "%s/boards", g_dir);
	snprintf(cmd, sizeof cmd,
		 "mkdir -p '%s' && sed -e 's/^name = icebreaker$/name = icebreaker-probe/' "
		 "-e 's|^bus = ftdi-i2c.*|bus = probe:serial:/dev/ttyACM0|' "
		 "'%s/bench/boards/icebreaker.ini' > '%s/icebreaker-probe.ini' && "
		 "grep -q '^bus = probe:serial' '%s/icebreaker-probe.ini'",
		 boards, getenv("HB_SOURCE_DIR"), boards, boards);
	cr_assert_eq(sh(cmd), 0, "cannot derive the profile");
	char json[400], out[400];
	snprintf(json, sizeof json, "%s/twin.json", g_dir);
	snprintf(out, sizeof out, "%s/twin.out", g_dir);
	snprintf(cmd, sizeof cmd,
		 "'%s/bench/hilbench' --boards-dir '%s' run --board icebreaker-probe --virtual "
		 "--windows 2 --window-s 0.05 --baseline-s 0.1 --samples 5 --no-db --json '%s' "
		 "> '%s' 2>&1", getenv("HB_BUILD_DIR"), boards, json, out);
	int rc = sh(cmd);
	if (rc != 0) {
		snprintf(cmd, sizeof cmd, "cat '%s' >&2", out);
		sh(cmd);
	}
	cr_assert_eq(rc, 0, "the twin run exited %d (output above)", rc);
	cJSON *doc = load_json(json);
	cr_assert_str_eq(cJSON_GetStringValue(obj(obj(doc, "run"), "session")), "twin");
	check_truth(doc);
	const cJSON *pi = obj(obj(obj(doc, "run"), "probe"), "per_inference");
	cr_assert(cJSON_IsTrue(obj(pi, "available")));
	cr_assert_leq(fabs(get(pi, "energy_mean_relative_error")), HB_RUN_TRUTH_BOUND);
	cJSON_Delete(doc);
}
#endif
