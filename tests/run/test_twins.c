/* Board twins (issue: board twins; docs/vboard.md, "Twins"): every shipped board profile runs
 * end to end with --virtual through its real host code: flashing through the
 * openFPGALoader stand-in, the UART through the emulated FTDI chip (ftdi://), the INA219
 * through the emulated FT232H's MPSSE (ftdi-i2c://), at the board's real clock and baud.
 * Each meets: energy and power within 0.5 % of the twin's truth, latency cycles exact (the
 * simulator's busy count), no golden mismatch, latency in ms at the board's clock. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char g_dir[256];

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

static double num(const cJSON *o, const char *key)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
	cr_assert(cJSON_IsNumber(x), "field %s missing or not a number", key);
	return x->valuedouble;
}

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
	cr_assert(cJSON_IsString(x), "field %s missing or not a string", key);
	return x->valuestring;
}

static void twin(const char *board, double clock_hz)
{
	if (!g_dir[0]) {
		snprintf(g_dir, sizeof g_dir, "/tmp/hb-test-twins-XXXXXX");
		cr_assert_not_null(mkdtemp(g_dir));
	}
	char json[512], out[512], cmd[2048];
	snprintf(json, sizeof json, "%s/%s.json", g_dir, board);
	snprintf(out, sizeof out, "%s/%s.out", g_dir, board);
	snprintf(cmd, sizeof cmd,
		 "'%s/bench/hilbench' run --board %s --virtual --net digits --samples 10 --windows 3 "
		 "--window-s 0.1 --no-db --json '%s' > '%s' 2>&1",
		 getenv("HB_BUILD_DIR"), board, json, out);
	int rc = sh(cmd);
	if (rc != 0) {
		snprintf(cmd, sizeof cmd, "cat '%s' >&2", out);
		sh(cmd);
	}
	cr_assert_eq(rc, 0, "%s twin: hilbench run exited %d (output above)", board, rc);

	/* the real bench's code paths were used */
	snprintf(cmd, sizeof cmd, "grep -q 'via ftdi-i2c://' '%s' && grep -q 'flash .*done' '%s'", out, out);
	cr_assert_eq(sh(cmd), 0, "%s twin: the INA219 was not read through ftdi-i2c:// or nothing was flashed",
		     board);

	cJSON *doc = load_json(json);
	const cJSON *run = cJSON_GetObjectItemCaseSensitive(doc, "run");
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(doc, "measured");
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(doc, "truth");
	cr_assert_not_null(t, "%s twin: no truth", board);
	cr_assert_str_eq(str(run, "session"), "twin");
	cr_assert_str_eq(str(run, "time_base"), "simulated");
	cr_assert_str_eq(str(run, "status"), "complete");
	cr_assert(strlen(str(run, "bitstream")) > 0);
	double e_m = num(m, "energy_total_nj"), e_t = num(t, "energy_total_nj");
	double p_m = num(m, "p_active_mw"), p_t = num(t, "p_active_mw");
	cr_assert_leq(fabs(e_m - e_t) / e_t, 0.005, "%s: energy %.4f nJ vs truth %.4f nJ", board, e_m, e_t);
	cr_assert_leq(fabs(p_m - p_t) / p_t, 0.005, "%s: power %.5f mW vs truth %.5f mW", board, p_m, p_t);
	cr_assert_eq(num(m, "latency_cycles"), num(t, "latency_cycles"), "%s: latency cycles", board);
	cr_assert_eq(num(m, "golden_mismatches"), 0);
	cr_assert_eq(num(m, "clock_hz"), clock_hz, "%s: the twin runs at the board's clock", board);
	/* the measured row's latency is the cycles at that clock */
	const cJSON *rows = cJSON_GetObjectItemCaseSensitive(doc, "rows"), *row;
	int found = 0;
	cJSON_ArrayForEach(row, rows)
	{
		if (strcmp(str(row, "source"), "measured") != 0)
			continue;
		found = 1;
		cr_assert_float_eq(num(row, "latency_ms"), num(m, "latency_cycles") / clock_hz * 1e3, 1e-9);
	}
	cr_assert(found);
	cJSON_Delete(doc);
}

Test(twins, icebreaker, .timeout = 900) { twin("icebreaker", 24e6); }
Test(twins, ulx3s, .timeout = 900) { twin("ulx3s", 25e6); }
Test(twins, arty_a7_35t, .timeout = 900) { twin("arty-a7-35t", 100e6); }
