/* `hilbench model` and `hilbench history` end to end: the built executable run as a child,
 * its output and exit code checked. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cjson/cJSON.h>

#include "hb_db.h"
#include "hb_energy_model.h"
#include "hb_report.h"

static char tmpdir[256];

static void make_tmp(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/hb_cli_test.XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
}

static void rm_tmp(void)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(cli, .init = make_tmp, .fini = rm_tmp);

/* Run "hilbench ARGS" (stderr folded into the output); return the exit code. */
static int run(char **out, const char *args)
{
	const char *build = getenv("HB_BUILD_DIR");
	cr_assert_not_null(build, "HB_BUILD_DIR not set (run through ctest)");
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "XDG_DATA_HOME='%s' '%s/bench/hilbench' %s 2>&1", tmpdir, build,
		 args);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);
	size_t got;
	while ((got = fread(buf + len, 1, cap - 1 - len, p)) > 0)
		len += got;
	buf[len] = '\0';
	int st = pclose(p);
	*out = buf;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(cli, model_prints_the_estimate_and_the_profiler_row)
{
	char *out;
	cr_assert_eq(run(&out, "model --layers 784x128,128x10 --length 256 --target ice40"), 0);
	cr_assert(strstr(out, "156,094"), "%s", out);
	cr_assert(strstr(out, "56.12 mW"), "%s", out);
	cr_assert(strstr(out, "289.59 nJ"), "%s", out);
	cr_assert(strstr(out, "516 cycles"), "%s", out);
	/* the row exactly as format_table() would print it */
	char row[128];
	snprintf(row, sizeof row, "%-16s %10.2f %12.1f %10.2f %10.2f %s\n", "fpga_ice40", 0.00516,
		 1.0 / 5.16e-6, 56.12184, 289.5886944, "EXCEEDS 2032%");
	cr_assert(strstr(out, row), "%s", out);
	free(out);

	/* --json carries the same numbers */
	cr_assert_eq(run(&out, "model -l 64-32-10 -t ecp5 -L 128 --json"), 0);
	cr_assert(strstr(out, "\"total_luts\":\t11690"), "%s", out);
	cr_assert(strstr(out, "\"notes\":\t\"fits 14%\""), "%s", out);
	free(out);
}

Test(cli, model_usage_errors_say_what_is_wrong)
{
	char *out;
	cr_assert_eq(run(&out, "model --layers 784x"), 2);
	cr_assert(strstr(out, "'784x'"), "%s", out);
	free(out);
	cr_assert_eq(run(&out, "model --layers 784x128 --target virtex"), 2);
	cr_assert(strstr(out, "ice40, ecp5, artix7, zynq"), "%s", out);
	free(out);
	cr_assert_eq(run(&out, "model --layers 784x128,100x10"), 2);
	cr_assert(strstr(out, "chain"), "%s", out);
	free(out);
	cr_assert_eq(run(&out, "model --layers 64x32 --clock-mhz fast"), 2);
	cr_assert(strstr(out, "--clock-mhz"), "%s", out);
	free(out);
	cr_assert_eq(run(&out, "model"), 2);
	free(out);
	cr_assert_eq(run(&out, "model --help"), 0);
	cr_assert(strstr(out, "Example"), "%s", out);
	free(out);
}

Test(cli, history_lists_and_shows_runs)
{
	char path[300], args[400];
	snprintf(path, sizeof path, "%s/h.sqlite", tmpdir);
	char *out;

	snprintf(args, sizeof args, "history --db '%s'", path);
	cr_assert_eq(run(&out, args), 0);
	cr_assert(strstr(out, "no runs stored yet"), "%s", out);
	free(out);

	struct hb_db *db;
	cr_assert_eq(hb_db_open(path, &db), HB_OK);
	struct hb_platform_result rows[2];
	hb_report_row_set(&rows[0], "fpga_ice40", 0.00516, 193798.4496124031, 56.12184, 289.5886944,
			  HB_SOURCE_MODELED, "EXCEEDS 2032%");
	hb_report_row_set(&rows[1], "ice40 (measured)", 0.25, 4000, 9.5, 57.95, HB_SOURCE_MEASURED,
			  "5 windows");
	hb_report_set_ratio(&rows[1], &rows[0]);
	hb_report_sort(rows, 2);
	cJSON *doc = hb_report_json_new(rows, 2);
	char *json = cJSON_PrintUnformatted(doc);
	struct hb_db_run r = {.started_at = "2026-11-28T15:10:16+01:00",
			      .finished_at = "2026-11-28T15:11:00+01:00",
			      .status = HB_RUN_COMPLETE, .board = "icebreaker", .net = "mnist64",
			      .command_line = "hilbench run --board icebreaker", .result_json = json};
	cr_assert_eq(hb_db_append_run(db, &r, rows, 2), HB_OK);
	hb_db_close(db);
	cJSON_free(json);
	cJSON_Delete(doc);

	cr_assert_eq(run(&out, args), 0);
	char line[200];
	snprintf(line, sizeof line, "%6d  %-25s  %-16s  %-16s  %-11s  %14s\n", 1,
		 "2026-11-28T15:10:16+01:00", "icebreaker", "mnist64", "complete", "57.95");
	cr_assert(strstr(out, line), "%s", out);
	free(out);

	snprintf(args, sizeof args, "history show 1 --db '%s'", path);
	cr_assert_eq(run(&out, args), 0);
	cr_assert(strstr(out, "measured    0.20x 5 windows"), "%s", out);
	cr_assert(strstr(out, "\"schema\":\t\"hilbench-result/1\""), "%s", out);
	free(out);

	snprintf(args, sizeof args, "history show 7 --db '%s'", path);
	cr_assert_eq(run(&out, args), 2);
	cr_assert(strstr(out, "no run with that id"), "%s", out);
	free(out);
	snprintf(args, sizeof args, "history show x --db '%s'", path);
	cr_assert_eq(run(&out, args), 2);
	free(out);
	cr_assert_eq(run(&out, "history --limit -1"), 2);
	free(out);
}

/* Stored names are other people's text: history prints them escaped, and a stored result
 * that is not valid JSON is shown escaped too (docs/security.md). */
Test(cli, history_prints_stored_text_escaped)
{
	char path[300], args[400];
	snprintf(path, sizeof path, "%s/h.sqlite", tmpdir);
	struct hb_db *db;
	cr_assert_eq(hb_db_open(path, &db), HB_OK);
	struct hb_platform_result row;
	hb_report_row_set(&row, "fpga_sim (measured)", 1, 2, 3, 4, HB_SOURCE_MEASURED,
			  "net \x1b]0;owned\x07 gone");
	struct hb_db_run r = {.started_at = "2026-11-28T15:10:16+01:00", .status = HB_RUN_COMPLETE,
			      .board = "b\x1b[2J", .net = "x';system 'touch PWNED';#\xc2\x9b",
			      .command_line = "hilbench run \x1b[1A", .result_json = "{\"x\": \x1b[31m"};
	cr_assert_eq(hb_db_append_run(db, &r, &row, 1), HB_OK);
	hb_db_close(db);
	char *out;
	const char *cmds[] = {"history --db '%s'", "history show 1 --db '%s'"};
	for (int i = 0; i < 2; i++) {
		snprintf(args, sizeof args, cmds[i], path);
		cr_assert_eq(run(&out, args), 0, "%s", out);
		for (const unsigned char *p = (const unsigned char *)out; *p; p++)
			cr_assert(*p >= 0x20 || *p == '\n' || *p == '\t', "control byte 0x%02x:\n%s", *p, out);
		cr_assert_null(strstr(out, "\xc2\x9b"), "C1 control printed");
		cr_assert(strstr(out, "b\\x1b[2J"), "%s", out);
		free(out);
	}
}
