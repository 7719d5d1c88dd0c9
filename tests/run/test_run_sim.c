/* `hilbench run --board sim` end to end: the measured figures against the virtual board's
 * exact ground truth (docs/measurement.md), for digits and mnist-shape, stored in SQLite. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char g_dir[256];

static void make_dir(void)
{
	if (g_dir[0])
		return;
	snprintf(g_dir, sizeof g_dir, "/tmp/hb-test-run-XXXXXX");
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

static double get(const cJSON *o, const char *key)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
	cr_assert(cJSON_IsNumber(x), "field %s missing or not a number", key);
	return x->valuedouble;
}

/* Run one network and check the accuracy targets of the run issue. */
static void run_and_check(const char *net)
{
	make_dir();
	char json[512], cmd[2048];
	snprintf(json, sizeof json, "%s/%s.json", g_dir, net);
	snprintf(cmd, sizeof cmd,
		 "'%s/bench/hilbench' run --board sim --net %s --samples 20 --json '%s' --db '%s/runs.sqlite' "
		 "--plot '%s/%s.svg' > '%s/%s.out' 2>&1",
		 getenv("HB_BUILD_DIR"), net, json, g_dir, g_dir, net, g_dir, net);
	int rc = sh(cmd);
	char out[512];
	snprintf(out, sizeof out, "cat '%s/%s.out' >&2", g_dir, net);
	if (rc != 0)
		sh(out);
	cr_assert_eq(rc, 0, "hilbench run --net %s exited %d (output above)", net, rc);

	/* the power trace was drawn (gnuplot SVG) */
	snprintf(cmd, sizeof cmd, "grep -q '<svg' '%s/%s.svg' && grep -q 'idle baseline' '%s/%s.svg'", g_dir, net,
		 g_dir, net);
	cr_assert_eq(sh(cmd), 0, "--plot did not write an SVG power trace with the idle baseline");

	cJSON *doc = load_json(json);
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(doc, "measured");
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(doc, "truth");
	cr_assert_not_null(m);
	cr_assert_not_null(t, "the virtual board must report its ground truth");

	double e_m = get(m, "energy_total_nj"), e_t = get(t, "energy_total_nj");
	double p_m = get(m, "p_active_mw"), p_t = get(t, "p_active_mw");
	cr_assert_gt(e_t, 0);
	cr_assert_gt(p_t, 0);
	cr_assert_leq(fabs(e_m - e_t) / e_t, 0.005, "%s: energy per inference %.6f nJ vs truth %.6f nJ (%.3f %%)", net,
		      e_m, e_t, 100 * (e_m - e_t) / e_t);
	cr_assert_leq(fabs(p_m - p_t) / p_t, 0.005, "%s: power %.6f mW vs truth %.6f mW (%.3f %%)", net, p_m, p_t,
		      100 * (p_m - p_t) / p_t);
	cr_assert_eq(get(m, "latency_cycles"), get(t, "latency_cycles"),
		     "%s: latency cycles from the device differ from the simulator's busy count", net);
	cr_assert_gt(get(m, "latency_cycles"), 0);
	cr_assert_eq(get(m, "golden_mismatches"), 0);
	cr_assert_gt(get(m, "golden_checked"), 20);
	const cJSON *ws = cJSON_GetObjectItemCaseSensitive(m, "windows");
	cr_assert_eq(cJSON_GetArraySize(ws), 5, "five windows by default");

	/* the rows: a measured and a modeled one, PlatformResult's fields */
	const cJSON *rows = cJSON_GetObjectItemCaseSensitive(doc, "rows");
	cr_assert_eq(cJSON_GetArraySize(rows), 2);
	int seen_measured = 0, seen_modeled = 0;
	const cJSON *row;
	cJSON_ArrayForEach(row, rows)
	{
		const cJSON *src = cJSON_GetObjectItemCaseSensitive(row, "source");
		cr_assert(cJSON_IsString(src));
		seen_measured += strcmp(src->valuestring, "measured") == 0;
		seen_modeled += strcmp(src->valuestring, "modeled") == 0;
		const char *f[] = {"platform", "latency_ms", "throughput_inf_per_s", "power_mw", "energy_per_inf_nj",
				   "available", "notes"};
		for (size_t k = 0; k < sizeof f / sizeof f[0]; k++)
			cr_assert_not_null(cJSON_GetObjectItemCaseSensitive(row, f[k]), "row lacks %s", f[k]);
	}
	cr_assert_eq(seen_measured, 1);
	cr_assert_eq(seen_modeled, 1);
	if (strcmp(net, "digits") == 0) {
		double acc = get(m, "accuracy");
		cr_assert_geq(acc, 0.85, "digits accuracy on the gateware %.3f", acc);
	}
	cJSON_Delete(doc);
}

/* One test so the two runs share the database, in order. */
Test(run_sim, digits_and_mnist_shape_meet_the_accuracy_targets, .timeout = 900)
{
	run_and_check("digits");
	run_and_check("mnist-shape");
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "'%s/bench/hilbench' history --db '%s/runs.sqlite' > '%s/history.out'",
		 getenv("HB_BUILD_DIR"), g_dir, g_dir);
	cr_assert_eq(sh(cmd), 0);
	snprintf(cmd, sizeof cmd, "test $(grep -c -E 'digits|mnist-shape' '%s/history.out') -ge 2", g_dir);
	cr_assert_eq(sh(cmd), 0, "the database must hold both runs");
}
