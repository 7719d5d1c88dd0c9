/* The profiler table, sort, JSON and CSV rows (bench/core/hb_report.c).
 *
 * format_table() (platform_profiler.py) builds its lines with these f-strings:
 *   header  f"{'Platform':<16} {'Latency':>10} {'Throughput':>12} {'Power':>10} {'Energy':>10} {'Notes'}"
 *   units   f"{'':<16} {'(ms)':>10} {'(inf/s)':>12} {'(mW)':>10} {'(nJ)':>10}"
 *   rule    "-" * 75
 *   row     f"{p:<16} {lat:>10.2f} {thr:>12.1f} {pw:>10.2f} {e:>10.2f} {notes}"
 *   N/A row f"{p:<16} {'N/A':>10} {'N/A':>12} {'N/A':>10} {'N/A':>10} {notes}"
 * and compare() sorts with key = energy if available else inf (a stable sort). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "hb_report.h"

static char *render(const struct hb_platform_result *rows, size_t n, unsigned flags)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	cr_assert_not_null(f);
	cr_assert_eq(hb_report_format_table(f, rows, n, flags), HB_OK);
	fclose(f);
	return buf;
}

/* The rows of the sorting/formatting vector, in insertion order. */
static size_t sample_rows(struct hb_platform_result *r)
{
	size_t n = 0;
	hb_report_row_set(&r[n], "rust", 0.8, 1250.0, 10000.0, 8000000.0, HB_SOURCE_MODELED,
			  "Not installed (estimated)");
	r[n++].available = false; /* the profiler keeps figures in an unavailable row */
	hb_report_row_set(&r[n++], "python", 8.0, 125.0, 10000.0, 80000000.0, HB_SOURCE_MODELED,
			  "NumPy, single-core");
	hb_report_row_set(&r[n++], "fpga_ice40", 516 / (100 * 1e3), 1.0 / (516 / (100 * 1e3) / 1000),
			  56.121840000000006, 289.5886944, HB_SOURCE_MODELED, "EXCEEDS 2032%");
	hb_report_row_unavailable(&r[n++], "quantum", HB_SOURCE_MODELED,
				  "Unknown platform 'quantum'");
	hb_report_row_set(&r[n++], "fpga_artix7", 0.00516, 193798.4496124031, 27.28145, 140.772282,
			  HB_SOURCE_MODELED, "EXCEEDS 246%");
	/* rounding edges: 1.005 is 1.00499.. in binary, 2.25 and 0.125 are exact ties (half to
	 * even), -0.0 keeps its sign */
	hb_report_row_set(&r[n++], "empty", 1.005, 2.25, 0.125, -0.0, HB_SOURCE_MODELED, "");
	return n;
}

/* The expected text is what format_table() returns for sample_rows() after compare()'s
 * sort (produced by evaluating the f-strings above with CPython 3.11), plus print()'s final
 * newline. */
static const char profiler_golden[] =
	"Platform            Latency   Throughput      Power     Energy Notes\n"
	"                       (ms)      (inf/s)       (mW)       (nJ)\n"
	"---------------------------------------------------------------------------\n"
	"empty                  1.00          2.2       0.12      -0.00 \n"
	"fpga_artix7            0.01     193798.4      27.28     140.77 EXCEEDS 246%\n"
	"fpga_ice40             0.01     193798.4      56.12     289.59 EXCEEDS 2032%\n"
	"python                 8.00        125.0   10000.00 80000000.00 NumPy, single-core\n"
	"rust                    N/A          N/A        N/A        N/A Not installed (estimated)\n"
	"quantum                 N/A          N/A        N/A        N/A Unknown platform 'quantum'\n";

Test(report, sort_matches_compare)
{
	struct hb_platform_result r[8];
	size_t n = sample_rows(r);
	hb_report_sort(r, n);
	const char *order[] = {"empty", "fpga_artix7", "fpga_ice40", "python", "rust", "quantum"};
	for (size_t i = 0; i < n; i++)
		cr_assert_str_eq(r[i].platform, order[i], "position %zu", i);

	/* stability: equal energies keep their order; unavailable rows keep theirs */
	struct hb_platform_result s[4];
	hb_report_row_unavailable(&s[0], "u1", HB_SOURCE_MEASURED, "gap in samples");
	hb_report_row_set(&s[1], "a", 1, 1, 1, 5.0, HB_SOURCE_MEASURED, NULL);
	hb_report_row_unavailable(&s[2], "u2", HB_SOURCE_MEASURED, "saturated");
	hb_report_row_set(&s[3], "b", 1, 1, 1, 5.0, HB_SOURCE_MODELED, NULL);
	hb_report_sort(s, 4);
	cr_assert_str_eq(s[0].platform, "a");
	cr_assert_str_eq(s[1].platform, "b");
	cr_assert_str_eq(s[2].platform, "u1");
	cr_assert_str_eq(s[3].platform, "u2");

	/* NaN energy sorts with the unavailable key (+inf), before later unavailable rows */
	hb_report_row_set(&s[0], "nan", 1, 1, 1, NAN, HB_SOURCE_MEASURED, NULL);
	hb_report_row_unavailable(&s[1], "u", HB_SOURCE_MEASURED, "x");
	hb_report_row_set(&s[2], "ok", 1, 1, 1, 1e9, HB_SOURCE_MEASURED, NULL);
	hb_report_sort(s, 3);
	cr_assert_str_eq(s[0].platform, "ok");
	cr_assert_str_eq(s[1].platform, "nan");
	cr_assert_str_eq(s[2].platform, "u");
}

Test(report, profiler_layout_is_byte_identical)
{
	struct hb_platform_result r[8];
	size_t n = sample_rows(r);
	hb_report_sort(r, n);
	char *got = render(r, n, HB_TABLE_PROFILER);
	cr_assert_str_eq(got, profiler_golden);
	free(got);
}

/* Every line built with the format_table widths as printf formats. */
Test(report, rows_follow_the_format_spec)
{
	struct hb_platform_result r;
	hb_report_row_set(&r, "fpga_ecp5", 12.345678, 81000.04, 2.78058, 7.229508,
			  HB_SOURCE_MODELED, "fits 14%");
	char want[512];
	snprintf(want, sizeof want, "%-16s %10s %12s %10s %10s %s\n%-16s %10s %12s %10s %10s\n%s\n"
		 "%-16s %10.2f %12.1f %10.2f %10.2f %s\n",
		 "Platform", "Latency", "Throughput", "Power", "Energy", "Notes", "", "(ms)", "(inf/s)",
		 "(mW)", "(nJ)",
		 "---------------------------------------------------------------------------",
		 "fpga_ecp5", 12.345678, 81000.04, 2.78058, 7.229508, "fits 14%");
	char *got = render(&r, 1, HB_TABLE_PROFILER);
	cr_assert_str_eq(got, want);
	free(got);
	/* the header line, rule and a row all start the Notes column at the same offset */
	cr_assert_eq(strlen("Platform            Latency   Throughput      Power     Energy "), 63);
}

/* Default layout: the profiler columns, then Source (8, left) and "vs model" (8, right) before
 * Notes; the rule grows by those 18 characters. */
Test(report, default_layout_adds_source_and_ratio)
{
	struct hb_platform_result r[2];
	hb_report_row_set(&r[0], "fpga_ice40", 0.00516, 193798.4496124031, 56.12184, 289.5886944,
			  HB_SOURCE_MODELED, "EXCEEDS 2032%");
	hb_report_row_set(&r[1], "ice40 measured", 0.0061, 163934.4, 9.5, 57.95,
			  HB_SOURCE_MEASURED, "5 windows, spread 0.4%");
	hb_report_set_ratio(&r[1], &r[0]);
	cr_assert(r[1].has_ratio);
	cr_assert_float_eq(r[1].ratio_to_model, 57.95 / 289.5886944, 1e-15);
	hb_report_sort(r, 2);
	char *got = render(r, 2, HB_TABLE_DEFAULT);
	char want[1024], rule[100];
	memset(rule, '-', 93);
	rule[93] = '\0';
	snprintf(want, sizeof want,
		 "%-16s %10s %12s %10s %10s %-8s %8s %s\n"
		 "%-16s %10s %12s %10s %10s %-8s %8s\n%s\n"
		 "%-16s %10.2f %12.1f %10.2f %10.2f %-8s %8s %s\n"
		 "%-16s %10.2f %12.1f %10.2f %10.2f %-8s %8s %s\n",
		 "Platform", "Latency", "Throughput", "Power", "Energy", "Source", "vs model", "Notes",
		 "", "(ms)", "(inf/s)", "(mW)", "(nJ)", "", "(E/E_m)", rule,
		 "ice40 measured", 0.0061, 163934.4, 9.5, 57.95, "measured", "0.20x",
		 "5 windows, spread 0.4%",
		 "fpga_ice40", 0.00516, 193798.4496124031, 56.12184, 289.5886944, "modeled", "-",
		 "EXCEEDS 2032%");
	cr_assert_str_eq(got, want);
	free(got);

	/* no ratio when either row is unavailable or the model's energy is not positive */
	hb_report_row_unavailable(&r[0], "fpga_ice40", HB_SOURCE_MODELED, "no model");
	hb_report_set_ratio(&r[1], &r[0]);
	cr_assert(!r[1].has_ratio);
}

Test(report, unavailable_row_shows_na_and_reason)
{
	struct hb_platform_result r;
	hb_report_row_unavailable(&r, "ice40 measured", HB_SOURCE_MEASURED,
				  "power samples have a 40 ms gap");
	char *got = render(&r, 1, HB_TABLE_DEFAULT);
	const char *last = strrchr(got, '\n');
	cr_assert_not_null(last);
	char want[256];
	snprintf(want, sizeof want, "%-16s %10s %12s %10s %10s %-8s %8s %s\n", "ice40 measured",
		 "N/A", "N/A", "N/A", "N/A", "measured", "-", "power samples have a 40 ms gap");
	cr_assert(strstr(got, want), "no N/A row in:\n%s", got);
	free(got);
}

Test(report, json_rows_and_attachments)
{
	struct hb_platform_result r[8];
	size_t n = sample_rows(r);
	hb_report_set_ratio(&r[4], &r[2]); /* artix7 vs ice40, just to carry a ratio */
	cJSON *doc = hb_report_json_new(r, n);
	cr_assert_not_null(doc);
	/* numbers are raw (exact) items until printed: look at the parsed text */
	char *text0 = cJSON_PrintUnformatted(doc);
	cJSON *parsed = cJSON_Parse(text0);
	cr_assert_not_null(parsed, "not JSON: %s", text0);
	cJSON *rows = cJSON_GetObjectItem(parsed, "rows");
	cr_assert_eq(cJSON_GetArraySize(rows), (int)n);
	cJSON *first = cJSON_GetArrayItem(rows, 0);
	const char *keys[] = {"platform", "latency_ms", "throughput_inf_per_s", "power_mw",
			      "energy_per_inf_nj", "available", "notes", "source", "ratio_to_model"};
	for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
		cr_assert(cJSON_HasObjectItem(first, keys[k]), "missing %s", keys[k]);
	cr_assert_str_eq(cJSON_GetObjectItem(first, "platform")->valuestring, "rust");
	cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(first, "available")));
	cr_assert_eq(cJSON_GetObjectItem(first, "energy_per_inf_nj")->valuedouble, 8000000.0);
	cr_assert_str_eq(cJSON_GetObjectItem(first, "source")->valuestring, "modeled");
	cr_assert(cJSON_IsNull(cJSON_GetObjectItem(first, "ratio_to_model")));
	cr_assert(cJSON_IsNumber(cJSON_GetObjectItem(cJSON_GetArrayItem(rows, 4), "ratio_to_model")));
	cJSON_Delete(parsed);
	cJSON_free(text0);

	/* attach measured/truth objects; a second attach under a key replaces the first */
	cJSON *measured = cJSON_CreateObject();
	cJSON_AddNumberToObject(measured, "energy_nj_median", 57.95);
	cr_assert_eq(hb_report_json_attach(doc, "measured", measured), HB_OK);
	cJSON *truth = cJSON_CreateObject();
	cJSON_AddNumberToObject(truth, "cycles", 516);
	cr_assert_eq(hb_report_json_attach(doc, "truth", truth), HB_OK);
	cJSON *truth2 = cJSON_CreateObject();
	cJSON_AddNumberToObject(truth2, "cycles", 517);
	cr_assert_eq(hb_report_json_attach(doc, "truth", truth2), HB_OK);
	cr_assert_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "truth"), "cycles")->valueint, 517);
	cr_assert_eq(hb_report_json_attach(doc, NULL, cJSON_CreateObject()), HB_ERR_ARG);

	/* print, parse, and get the rows back exactly (cJSON prints 17 digits when needed) */
	char *text = cJSON_PrintUnformatted(doc);
	cJSON *back = cJSON_Parse(text);
	cr_assert_not_null(back);
	cr_assert_str_eq(cJSON_GetObjectItem(back, "schema")->valuestring, "hilbench-result/1");
	struct hb_platform_result *got;
	size_t m;
	cr_assert_eq(hb_report_json_rows(back, &got, &m), HB_OK);
	cr_assert_eq(m, n);
	for (size_t i = 0; i < n; i++) {
		cr_assert_str_eq(got[i].platform, r[i].platform);
		cr_assert_eq(got[i].available, r[i].available);
		/* a figure not measured (NaN) goes out as null and comes back NaN */
		cr_assert(got[i].energy_per_inf_nj == r[i].energy_per_inf_nj ||
			  (isnan(got[i].energy_per_inf_nj) && isnan(r[i].energy_per_inf_nj)));
		cr_assert(got[i].throughput_inf_per_s == r[i].throughput_inf_per_s ||
			  (isnan(got[i].throughput_inf_per_s) && isnan(r[i].throughput_inf_per_s)));
		cr_assert_str_eq(got[i].notes, r[i].notes);
		cr_assert_eq(got[i].has_ratio, r[i].has_ratio);
		if (r[i].has_ratio)
			cr_assert_eq(got[i].ratio_to_model, r[i].ratio_to_model);
	}
	free(got);
	cJSON_free(text);
	cJSON_Delete(back);
	cJSON_Delete(doc);

	/* non-finite numbers are not JSON: they become null */
	struct hb_platform_result bad;
	hb_report_row_set(&bad, "x", NAN, INFINITY, 1, 2, HB_SOURCE_MEASURED, NULL);
	cJSON *o = hb_report_row_to_json(&bad);
	cr_assert(cJSON_IsNull(cJSON_GetObjectItem(o, "latency_ms")));
	cr_assert(cJSON_IsNull(cJSON_GetObjectItem(o, "throughput_inf_per_s")));
	cJSON_Delete(o);

	/* exact numbers: 0.1 prints as 0.1; a value cJSON would round prints 17 digits */
	const double vals[] = {0.1, 289.5886944, 56.121840000000006, 1.0 / 3.0, 5e-324, -0.0};
	for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		cJSON *num = hb_report_json_number(vals[i]);
		char *t = cJSON_PrintUnformatted(num);
		cr_assert_eq(strtod(t, NULL), vals[i], "%s", t);
		cJSON_free(t);
		cJSON_Delete(num);
	}
	cJSON *tenth = hb_report_json_number(0.1);
	char *t = cJSON_PrintUnformatted(tenth);
	cr_assert_str_eq(t, "0.1");
	cJSON_free(t);
	cJSON_Delete(tenth);
}

Test(report, csv_rows)
{
	struct hb_platform_result r[2];
	hb_report_row_set(&r[0], "fpga_ice40", 0.00516, 193798.4496124031, 56.121840000000006,
			  289.5886944, HB_SOURCE_MODELED, "EXCEEDS 2032%");
	hb_report_row_set(&r[1], "ice40, \"real\"", 0.25, 4000, 9.5, 57.95, HB_SOURCE_MEASURED,
			  "line1\nline2");
	hb_report_set_ratio(&r[1], &r[0]);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	cr_assert_eq(hb_report_write_csv(f, r, 2), HB_OK);
	fclose(f);
	char want[1024];
	snprintf(want, sizeof want,
		 "platform,latency_ms,throughput_inf_per_s,power_mw,energy_per_inf_nj,available,"
		 "notes,source,ratio_to_model\n"
		 "fpga_ice40,%.17g,%.17g,%.17g,%.17g,true,EXCEEDS 2032%%,modeled,\n"
		 "\"ice40, \"\"real\"\"\",0.25,4000,9.5,57.950000000000003,true,\"line1\nline2\","
		 "measured,%.17g\n",
		 0.00516, 193798.4496124031, 56.121840000000006, 289.5886944, 57.95 / 289.5886944);
	cr_assert_str_eq(buf, want);
	/* %.17g numbers read back exactly */
	cr_assert_eq(strtod("57.950000000000003", NULL), 57.95);
	free(buf);
}

Test(report, source_names)
{
	enum hb_result_source s;
	cr_assert_str_eq(hb_report_source_name(HB_SOURCE_MEASURED), "measured");
	cr_assert_str_eq(hb_report_source_name(HB_SOURCE_MODELED), "modeled");
	cr_assert_eq(hb_report_source_parse("measured", &s), HB_OK);
	cr_assert_eq(s, HB_SOURCE_MEASURED);
	cr_assert_eq(hb_report_source_parse("guessed", &s), HB_ERR_ARG);
}

/* A row that could not be measured says so with null, not with a 0 a reader could take for
 * a figure (issue: measurement integrity). */
Test(report, an_unavailable_row_carries_null_figures)
{
	struct hb_platform_result r;
	hb_report_row_unavailable(&r, "fpga_ice40 (measured)", HB_SOURCE_MEASURED, "saturated shunt");
	cJSON *o = hb_report_row_to_json(&r);
	cr_assert_not_null(o);
	const char *keys[] = {"latency_ms", "throughput_inf_per_s", "power_mw", "energy_per_inf_nj"};
	for (size_t i = 0; i < 4; i++)
		cr_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, keys[i])), "%s is not null", keys[i]);
	cr_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(o, "available")));
	cJSON_Delete(o);
}

/* Spreadsheet injection (OWASP "CSV injection"): a text cell a spreadsheet would run as a
 * formula gets a leading apostrophe; negative numbers stay numbers. */
Test(report, csv_text_cells_cannot_be_formulas)
{
	static const struct {
		const char *in, *want;
	} v[] = {
		{"=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""},
		{"+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1:A2)", "'@SUM(A1:A2)"},
		{"\tx", "'\tx"},
		{"\r=1", "\"'\r=1\""},
		{"a=1", "a=1"},
		{"", ""},
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		hb_csv_cell(f, v[i].in);
		fclose(f);
		cr_assert_str_eq(buf, v[i].want, "case %zu", i);
		free(buf);
	}
	struct hb_platform_result r;
	hb_report_row_set(&r, "=1+1", -1.5, -2, -3, -4, HB_SOURCE_MEASURED, "-note");
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	cr_assert_eq(hb_report_write_csv(f, &r, 1), HB_OK);
	fclose(f);
	cr_assert(strstr(buf, "\n'=1+1,-1.5,-2,-3,-4,true,'-note,measured,\n"), "%s", buf);
	free(buf);
}

/* JSON from outside text stays valid UTF-8 JSON and carries no terminal controls; the
 * strings still read back the same (escapes inside strings). */
Test(report, json_output_is_valid_utf8_without_terminal_controls)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "esc", "a\x1b[2Jb");
	cJSON_AddStringToObject(o, "c1", "\xc2\x9b" "31m");
	cJSON_AddStringToObject(o, "bidi", "x\xe2\x80\xae" "y");
	cJSON_AddStringToObject(o, "del", "d\x7f");
	cJSON_AddStringToObject(o, "bad", "\xff\xc3(");
	cJSON_AddStringToObject(o, "ok", "réseau — µA");
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	cr_assert_eq(hb_report_json_write(f, o), HB_OK);
	fclose(f);
	cJSON_Delete(o);
	for (const unsigned char *p = (const unsigned char *)buf; *p; p++)
		cr_assert(*p >= 0x20 || *p == '\n' || *p == '\t', "control byte 0x%02x in %s", *p, buf);
	cr_assert_null(strstr(buf, "\x7f"));
	cr_assert_null(strstr(buf, "\xc2\x9b"));
	cr_assert_null(strstr(buf, "\xe2\x80\xae"));
	cr_assert_null(strstr(buf, "\xff"));
	cJSON *back = cJSON_Parse(buf);
	cr_assert_not_null(back, "%s", buf);
	cr_assert_str_eq(cJSON_GetObjectItem(back, "esc")->valuestring, "a\x1b[2Jb");
	cr_assert_str_eq(cJSON_GetObjectItem(back, "c1")->valuestring, "\xc2\x9b" "31m");
	cr_assert_str_eq(cJSON_GetObjectItem(back, "bidi")->valuestring, "x\xe2\x80\xae" "y");
	cr_assert_str_eq(cJSON_GetObjectItem(back, "del")->valuestring, "d\x7f");
	cr_assert_str_eq(cJSON_GetObjectItem(back, "bad")->valuestring, "\xef\xbf\xbd\xef\xbf\xbd(");
	cr_assert_str_eq(cJSON_GetObjectItem(back, "ok")->valuestring, "réseau — µA");
	cJSON_Delete(back);
	free(buf);
}

/* The table quotes names from files: printed escaped. */
Test(report, table_escapes_platform_and_notes)
{
	struct hb_platform_result r;
	hb_report_row_set(&r, "x\x1b[1A", 1, 2, 3, 4, HB_SOURCE_MEASURED, "net \x1b]0;t\x07 gone");
	char *t = render(&r, 1, HB_TABLE_DEFAULT);
	cr_assert_null(strchr(t, '\x1b'), "%s", t);
	cr_assert_null(strchr(t, '\x07'));
	cr_assert(strstr(t, "x\\x1b[1A"), "%s", t);
	cr_assert(strstr(t, "net \\x1b]0;t\\x07 gone\n"), "%s", t);
	free(t);
}
