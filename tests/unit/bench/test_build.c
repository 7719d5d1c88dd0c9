/* `hilbench build` (bench/core/hb_build.c, hb_build_report.c, bench/cli/cmd_build.c):
 * the report parsers on excerpts of real reports (tests/data/build/), the gate, the plans of
 * every shipped board against golden text, the build hash, the cache and the bitstream lookup,
 * the ECP5 flow end to end with stand-in tools, and the command's messages. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "hb_board.h"
#include "hb_build.h"

#define MHZ 1000000ull

static const char *src_dir(void)
{
	const char *s = getenv("HB_SOURCE_DIR");
	cr_assert(s && *s, "HB_SOURCE_DIR is not set (run through ctest)");
	return s;
}

static char *slurp_path(const char *path)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *s = malloc((size_t)n + 1);
	cr_assert_not_null(s);
	cr_assert_eq(fread(s, 1, (size_t)n, f), (size_t)n);
	s[n] = '\0';
	fclose(f);
	return s;
}

/* tests/data/build/<rel> */
static char *data(const char *rel)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/tests/data/build/%s", src_dir(), rel);
	return slurp_path(path);
}

static void board(const char *name, struct hb_board *b)
{
	char err[512];
	cr_assert_eq(hb_board_find(name, NULL, b, err, sizeof err), HB_OK, "%s", err);
}

static char *tmpdir(void)
{
	char *t = strdup("/tmp/hb-test-build-XXXXXX");
	cr_assert_not_null(mkdtemp(t));
	return t;
}

static void rm_rf(const char *dir)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

static int file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* Hosts: every tool "found" at /usr/bin/NAME (golden text), none, or the stand-ins. */
static int all_tools(void *ctx, const char *name, char *out, size_t cap)
{
	(void)ctx;
	snprintf(out, cap, "/usr/bin/%s", name);
	return 0;
}

static int no_tools(void *ctx, const char *name, char *out, size_t cap)
{
	(void)ctx, (void)name, (void)out, (void)cap;
	return -1;
}

static int fake_tools(void *ctx, const char *name, char *out, size_t cap)
{
	(void)ctx;
	snprintf(out, cap, "%s/tests/data/build/fake/%s", src_dir(), name);
	return access(out, X_OK) == 0 ? 0 : -1;
}

static const struct hb_build_host host_all = {.find_tool = all_tools, .prjxray_db = "/opt/prjxray-db",
					      .xc7_chipdb = "/opt/xilinx-chipdb"};
static const struct hb_build_host host_none = {.find_tool = no_tools, .prjxray_db = "/opt/prjxray-db",
					       .xc7_chipdb = "/opt/xilinx-chipdb"};
static const struct hb_build_host host_fake = {.find_tool = fake_tools};

/* ------------------------------------------------------------ parsers */

Test(build_parse, yosys_stat_counts_each_familys_cells)
{
	struct hb_synth_counts c;
	char *t = data("ice40/stat.json");
	cr_assert_eq(hb_parse_yosys_stat(t, &c), HB_OK);
	free(t);
	cr_assert_eq(c.luts, 3489);
	cr_assert_eq(c.ffs, 70 + 472 + 1219 + 41 + 140 + 1, "every SB_DFF* variant: %ld", c.ffs);
	cr_assert_eq(c.carry, 1083);
	cr_assert_eq(c.bram, 27);
	cr_assert_eq(c.spram, 4);
	cr_assert_eq(c.dsp, 7);
	t = data("ecp5/stat.json");
	cr_assert_eq(hb_parse_yosys_stat(t, &c), HB_OK);
	free(t);
	cr_assert_eq(c.luts, 10422);
	cr_assert_eq(c.ffs, 9226);
	cr_assert_eq(c.carry, 2599);
	cr_assert_eq(c.bram, 94);
	cr_assert_eq(c.dsp, 7);
	cr_assert_eq(hb_parse_yosys_stat("{\"modules\": {}}", &c), HB_ERR_FORMAT);
	cr_assert_eq(hb_parse_yosys_stat("not json", &c), HB_ERR_FORMAT);
}

static long util_of(const struct hb_pnr_result *r, const char *bel, long *avail)
{
	for (size_t i = 0; i < r->n_util; i++)
		if (strcmp(r->util[i].bel, bel) == 0) {
			if (avail)
				*avail = r->util[i].available;
			return r->util[i].used;
		}
	cr_assert_fail("no %s in the utilisation", bel);
	return -1;
}

/* The log and the --report JSON of one run say the same. */
static void log_and_json_agree(const char *log, const char *json, const char *bel, long used,
			       long avail, const char *clock, double fmax, double target)
{
	struct hb_pnr_result a, b;
	char *t = data(log);
	cr_assert_eq(hb_parse_nextpnr_log(t, &a), HB_OK, "%s", log);
	free(t);
	t = data(json);
	cr_assert_eq(hb_parse_nextpnr_report(t, &b), HB_OK, "%s", json);
	free(t);
	const struct hb_pnr_result *rs[] = {&a, &b};
	for (int k = 0; k < 2; k++) {
		long av;
		cr_assert_eq(util_of(rs[k], bel, &av), used, "%s", k ? json : log);
		cr_assert_eq(av, avail);
		cr_assert_eq(rs[k]->n_clocks, 1, "%s: %zu clocks", k ? json : log, rs[k]->n_clocks);
		cr_assert_str_eq(rs[k]->clocks[0].name, clock);
		cr_assert_float_eq(rs[k]->clocks[0].achieved_mhz, fmax, 0.006);
		cr_assert_float_eq(rs[k]->clocks[0].constraint_mhz, target, 1e-9);
	}
}

Test(build_parse, nextpnr_ice40_log_and_report_the_last_fmax_counts)
{
	/* the log has the post-placement estimate (30.31) and the routed figure (29.79) */
	log_and_json_agree("ice40/nextpnr.log", "ice40/nextpnr.json", "ICESTORM_LC", 4214, 5280, "clk",
			   29.79, 24);
	struct hb_pnr_result r;
	char *t = data("ice40/nextpnr.log");
	hb_parse_nextpnr_log(t, &r);
	free(t);
	cr_assert_eq(r.n_util, 15, "every BEL line of the block: %zu", r.n_util);
	cr_assert_eq(util_of(&r, "ICESTORM_SPRAM", NULL), 4);
}

Test(build_parse, nextpnr_ecp5_log_and_report)
{
	log_and_json_agree("ecp5/nextpnr.log", "ecp5/nextpnr.json", "TRELLIS_SLICE", 10871, 41820,
			   "$glbnet$clk_25mhz$TRELLIS_IO_IN", 47.83, 25);
	struct hb_pnr_result r;
	char *t = data("ecp5/nextpnr.log");
	hb_parse_nextpnr_log(t, &r);
	free(t);
	cr_assert_eq(util_of(&r, "DP16KD", NULL), 94);
	cr_assert_eq(util_of(&r, "MULT18X18D", NULL), 7);
	/* "Total LUT4s: 15620/83640" before packing is not the device utilisation */
	for (size_t i = 0; i < r.n_util; i++)
		cr_assert(strcmp(r.util[i].bel, "Total LUT4s") != 0);
}

Test(build_parse, nextpnr_ecp5_failing_timing_and_overfull_placement)
{
	log_and_json_agree("ecp5/nextpnr-timing-fail.log", "ecp5/nextpnr-timing-fail.json",
			   "TRELLIS_SLICE", 10871, 41820, "$glbnet$clk", 47.83, 50);
	struct hb_pnr_result r;
	char *t = data("ecp5/nextpnr-too-big.log");
	cr_assert_eq(hb_parse_nextpnr_log(t, &r), HB_OK);
	free(t);
	long av;
	cr_assert_eq(util_of(&r, "TRELLIS_SLICE", &av), 45213);
	cr_assert_eq(av, 41820);
	cr_assert_eq(r.n_clocks, 0);
}

Test(build_parse, nextpnr_xilinx_log)
{
	struct hb_pnr_result r;
	char *t = data("xc7/nextpnr-xilinx.log");
	cr_assert_eq(hb_parse_nextpnr_log(t, &r), HB_OK);
	free(t);
	long av;
	cr_assert_eq(util_of(&r, "SLICE_LUTX", &av), 12871);
	cr_assert_eq(av, 41600);
	cr_assert_eq(util_of(&r, "RAMB36E1_RAMB36E1", NULL), 30);
	cr_assert_eq(r.n_clocks, 1);
	cr_assert_float_eq(r.clocks[0].achieved_mhz, 104.71, 1e-9);
	cr_assert_eq(hb_parse_nextpnr_log("Info: nothing here\n", &r), HB_ERR_FORMAT);
}

Test(build_parse, icetime_report)
{
	double mhz = 0;
	char *t = data("ice40/icetime.rpt");
	cr_assert_eq(hb_parse_icetime(t, &mhz), HB_OK);
	free(t);
	cr_assert_float_eq(mhz, 28.63, 1e-9);
	cr_assert_eq(hb_parse_icetime("Report for critical path:\n", &mhz), HB_ERR_FORMAT);
}

Test(build_parse, vivado_timing_summary_met_and_violated)
{
	struct hb_vivado_timing t;
	char *s = data("vivado/timing_summary.rpt");
	cr_assert_eq(hb_parse_vivado_timing(s, &t), HB_OK);
	free(s);
	cr_assert(t.has_setup);
	cr_assert_float_eq(t.wns_ns, 1.184, 1e-9);
	cr_assert_float_eq(t.tns_ns, 0, 1e-9);
	cr_assert_float_eq(t.whs_ns, 0.041, 1e-9);
	cr_assert_eq(t.setup_failing, 0);
	cr_assert_eq(t.setup_endpoints, 28431);
	cr_assert(t.all_met);
	s = data("vivado/timing_summary_fail.rpt");
	cr_assert_eq(hb_parse_vivado_timing(s, &t), HB_OK);
	free(s);
	cr_assert_float_eq(t.wns_ns, -0.742, 1e-9);
	cr_assert_float_eq(t.tns_ns, -412.337, 1e-9);
	cr_assert_eq(t.setup_failing, 1210);
	cr_assert(!t.all_met);
	/* no constrained paths: Vivado prints inf */
	const char *none = "    WNS(ns)      TNS(ns)  TNS Failing Endpoints  TNS Total Endpoints      WHS(ns)      "
			   "THS(ns)  THS Failing Endpoints  THS Total Endpoints\n    -------      -------  ---"
			   "\n        inf        0.000                      0                    0          inf"
			   "        0.000                      0                    0\n";
	cr_assert_eq(hb_parse_vivado_timing(none, &t), HB_OK);
	cr_assert(!t.has_setup);
	cr_assert_eq(hb_parse_vivado_timing("no table\n", &t), HB_ERR_FORMAT);
}

Test(build_parse, vivado_utilization_with_and_without_the_prohibited_column)
{
	struct hb_vivado_util u;
	char *s = data("vivado/utilization.rpt");
	cr_assert_eq(hb_parse_vivado_util(s, &u), HB_OK);
	free(s);
	cr_assert_eq(u.luts, 11873);
	cr_assert_eq(u.luts_avail, 20800);
	cr_assert_eq(u.lut_mem, 836);
	cr_assert_eq(u.regs, 9493);
	cr_assert_eq(u.regs_avail, 41600);
	cr_assert_float_eq(u.bram_tiles, 37.5, 1e-9);
	cr_assert_float_eq(u.bram_tiles_avail, 50, 1e-9);
	cr_assert_eq(u.dsp, 7);
	cr_assert_eq(u.dsp_avail, 90);
	s = data("vivado/utilization_2018_overfull.rpt");
	cr_assert_eq(hb_parse_vivado_util(s, &u), HB_OK);
	free(s);
	cr_assert_eq(u.luts, 23410, "the '*' of a synthesised design: %ld", u.luts);
	cr_assert_eq(u.luts_avail, 20800);
	cr_assert_float_eq(u.bram_tiles, 49, 1e-9);
	cr_assert_eq(u.dsp, 14);
}

/* ------------------------------------------------------------ the gate */

static void plan_for(const char *name, uint64_t hz, const char *flow, const struct hb_build_host *h,
		     const char *root, struct hb_board *b, struct hb_build_plan *p)
{
	board(name, b);
	struct hb_build_opts o = {.board = b, .clock_hz = hz, .flow = flow, .host = h, .root = root};
	char err[1024];
	cr_assert_eq(hb_build_plan(&o, p, err, sizeof err), HB_OK, "%s", err);
}

/* A report as hb_build_run() fills it, from excerpt files. */
static void report_from(const struct hb_build_plan *p, struct hb_build_report *r, const char *stat,
			const char *pnr_json, const char *pnr_log)
{
	memset(r, 0, sizeof *r);
	r->icetime_mhz = r->fmax_mhz = -1;
	r->cap_luts = p->dev->luts, r->cap_ffs = p->dev->ffs, r->cap_bram = p->dev->bram;
	r->cap_dsp = p->dev->dsp, r->cap_spram = p->dev->spram;
	char *t;
	if (stat) {
		t = data(stat);
		r->have_synth = hb_parse_yosys_stat(t, &r->synth) == HB_OK;
		free(t);
	}
	if (pnr_json) {
		t = data(pnr_json);
		r->have_pnr = hb_parse_nextpnr_report(t, &r->pnr) == HB_OK;
		free(t);
	} else if (pnr_log) {
		t = data(pnr_log);
		r->have_pnr = hb_parse_nextpnr_log(t, &r->pnr) == HB_OK;
		free(t);
	}
}

Test(build_gate, ecp5_passes_misses_timing_or_does_not_fit)
{
	struct hb_board b;
	struct hb_build_plan p;
	struct hb_build_report r;
	plan_for("ulx3s", 0, NULL, &host_all, "/tmp/hb-none", &b, &p);
	report_from(&p, &r, "ecp5/stat.json", "ecp5/nextpnr.json", NULL);
	r.placed = 1;
	hb_build_gate(&p, &r, 1);
	cr_assert(r.pass, "%s", r.failure);
	cr_assert_eq(r.fits, 1);
	cr_assert_eq(r.timing_pass, 1);
	cr_assert_float_eq(r.fmax_mhz, 47.83, 0.006);
	cr_assert_eq(r.logic_cells, 10871);
	hb_build_plan_free(&p);

	plan_for("ulx3s", 50 * MHZ, NULL, &host_all, "/tmp/hb-none", &b, &p);
	report_from(&p, &r, "ecp5/stat.json", "ecp5/nextpnr-timing-fail.json", NULL);
	r.placed = 1;
	hb_build_gate(&p, &r, 1);
	cr_assert(!r.pass);
	cr_assert_eq(r.fits, 1);
	cr_assert_eq(r.timing_pass, 0);
	cr_assert(strstr(r.failure, "misses timing") && strstr(r.failure, "47.83") &&
		  strstr(r.failure, "50 MHz"), "%s", r.failure);
	hb_build_plan_free(&p);

	plan_for("ulx3s", 0, NULL, &host_all, "/tmp/hb-none", &b, &p);
	report_from(&p, &r, "ecp5/stat.json", NULL, "ecp5/nextpnr-too-big.log");
	r.placed = 0;
	hb_build_gate(&p, &r, 0);
	cr_assert(!r.pass);
	cr_assert_eq(r.fits, 0);
	cr_assert(strstr(r.failure, "does not fit") && strstr(r.failure, "45213 TRELLIS_SLICE"), "%s",
		  r.failure);
	hb_build_plan_free(&p);
}

Test(build_gate, ice40_needs_icetime_too)
{
	struct hb_board b;
	struct hb_build_plan p;
	struct hb_build_report r;
	plan_for("icebreaker", 0, NULL, &host_all, "/tmp/hb-none", &b, &p);
	report_from(&p, &r, "ice40/stat.json", "ice40/nextpnr.json", NULL);
	r.placed = 1;
	char *t = data("ice40/icetime.rpt");
	cr_assert_eq(hb_parse_icetime(t, &r.icetime_mhz), HB_OK);
	free(t);
	hb_build_gate(&p, &r, 1);
	cr_assert(r.pass, "%s", r.failure);
	cr_assert_eq(r.logic_cells, 4214);
	/* icetime below the clock fails the build although nextpnr is fine */
	r.failure[0] = '\0';
	r.icetime_mhz = 23.5;
	hb_build_gate(&p, &r, 1);
	cr_assert(!r.pass);
	cr_assert(strstr(r.failure, "icetime estimates 23.50 MHz"), "%s", r.failure);
	r.failure[0] = '\0';
	r.icetime_mhz = -1;
	hb_build_gate(&p, &r, 1);
	cr_assert(!r.pass && strstr(r.failure, "icetime gave no timing estimate"), "%s", r.failure);
	hb_build_plan_free(&p);
}

Test(build_gate, vivado_negative_slack_and_overfull)
{
	struct hb_board b;
	struct hb_build_plan p;
	struct hb_build_report r;
	plan_for("arty-a7-35t", 0, NULL, &host_all, "/tmp/hb-none", &b, &p);
	cr_assert_eq(p.flow, HB_FLOW_VIVADO, "Vivado wins where it is found");
	report_from(&p, &r, NULL, NULL, NULL);
	char *t = data("vivado/timing_summary.rpt");
	r.have_vt = hb_parse_vivado_timing(t, &r.vt) == HB_OK;
	free(t);
	t = data("vivado/utilization.rpt");
	r.have_vu = hb_parse_vivado_util(t, &r.vu) == HB_OK;
	free(t);
	r.placed = 1;
	hb_build_gate(&p, &r, 1);
	cr_assert(r.pass, "%s", r.failure);
	/* Fmax from the slack: the clock period minus WNS */
	cr_assert_float_eq(r.fmax_mhz, 1000.0 / (1000.0 / p.target_mhz - r.vt.wns_ns), 1e-9);
	char *json = hb_build_report_json(&p, &r);
	cJSON *o = cJSON_Parse(json);
	cr_assert_not_null(o);
	cr_assert_eq(cJSON_GetObjectItem(o, "bram")->valuedouble, 75, "37.5 tiles = 75 RAMB18");
	cr_assert_float_eq(cJSON_GetObjectItem(o, "wns_ns")->valuedouble, 1.184, 1e-9);
	cJSON_Delete(o);
	free(json);

	t = data("vivado/timing_summary_fail.rpt");
	hb_parse_vivado_timing(t, &r.vt);
	free(t);
	r.failure[0] = '\0';
	hb_build_gate(&p, &r, 0);
	cr_assert(!r.pass);
	cr_assert_eq(r.timing_pass, 0);
	cr_assert(strstr(r.failure, "WNS -0.742 ns") && strstr(r.failure, "1210 setup"), "%s",
		  r.failure);

	t = data("vivado/utilization_2018_overfull.rpt");
	hb_parse_vivado_util(t, &r.vu);
	free(t);
	r.failure[0] = '\0';
	hb_build_gate(&p, &r, 0);
	cr_assert_eq(r.fits, 0);
	cr_assert(strstr(r.failure, "23410 of 20800 LUTs"), "%s", r.failure);
	hb_build_plan_free(&p);
}

/* ------------------------------------------------------------ plans: golden text */

/* Replace every occurrence of `from` by `to` in a malloc'ed string. */
static char *replace_all(char *s, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to), n = 0;
	if (!fl)
		return s;
	for (const char *q = s; (q = strstr(q, from)); q += fl)
		n++;
	char *out = malloc(strlen(s) + n * (tl > fl ? tl - fl : 0) + 1), *w = out;
	cr_assert_not_null(out);
	const char *q = s, *hit;
	while ((hit = strstr(q, from))) {
		memcpy(w, q, (size_t)(hit - q));
		w += hit - q;
		memcpy(w, to, tl);
		w += tl;
		q = hit + fl;
	}
	strcpy(w, q);
	free(s);
	return out;
}

/* The plan as text, with what varies between machines and commits replaced: the source
 * tree, the cache root, the build hash, and the list of RTL files (one line stands for it). */
static char *plan_text(const struct hb_build_plan *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	hb_build_plan_print(p, f);
	fclose(f);
	char dec[16], nrtl[40];
	snprintf(dec, sizeof dec, "%u", p->hash);
	snprintf(nrtl, sizeof nrtl, "sources: %zu RTL files", p->n_rtl);
	buf = replace_all(buf, src_dir(), "@DATA@");
	buf = replace_all(buf, p->root, "@OUT@");
	buf = replace_all(buf, p->hash_hex, "@HASH@");
	buf = replace_all(buf, dec, "@HASHDEC@");
	buf = replace_all(buf, nrtl, "sources: @N@ RTL files");
	/* each "... @DATA@/gateware/rtl/X.v" line: keep the first as "... @RTL@" */
	char *out = malloc(strlen(buf) + 1), *w = out;
	int seen = 0;
	for (char *line = buf, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		size_t l = next ? (size_t)(next - line) + 1 : strlen(line);
		char *r = strstr(line, "@DATA@/gateware/rtl/");
		if (r && r < line + l) {
			if (!seen++) {
				memcpy(w, line, (size_t)(r - line));
				w += r - line;
				w += sprintf(w, "@RTL@ (each gateware/rtl/*.v)\n");
			}
		} else {
			seen = 0;
			memcpy(w, line, l);
			w += l;
		}
		next = next ? next + 1 : NULL;
	}
	*w = '\0';
	free(buf);
	return out;
}

static void golden(const char *name, const char *board_name, uint64_t hz, const char *flow,
		   int synth_only)
{
	struct hb_board b;
	board(board_name, &b);
	struct hb_build_opts o = {.board = &b, .clock_hz = hz, .flow = flow, .host = &host_all,
				  .root = "/var/cache/hb-golden", .synth_only = synth_only};
	struct hb_build_plan p;
	char err[1024];
	cr_assert_eq(hb_build_plan(&o, &p, err, sizeof err), HB_OK, "%s", err);
	char *got = plan_text(&p);
	hb_build_plan_free(&p);
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/tests/data/build/golden/%s.txt", src_dir(), name);
	const char *upd = getenv("HB_UPDATE_GOLDEN");
	if (upd && *upd == '1') {
		FILE *f = fopen(path, "w");
		cr_assert_not_null(f);
		fputs(got, f);
		fclose(f);
	}
	char *want = slurp_path(path);
	if (strcmp(got, want) != 0) {
		size_t i = 0, line = 1;
		while (got[i] && got[i] == want[i])
			line += got[i++] == '\n';
		size_t s = i;
		while (s > 0 && got[s - 1] != '\n')
			s--;
		cr_assert_fail("%s differs from the plan at line %zu:\n  plan:   %.160s\n  golden: %.160s\n"
			       "(if the change is intended: HB_UPDATE_GOLDEN=1 ctest -R test_build, review "
			       "the diff)", path, line, got + s, want + s);
	}
	free(got);
	free(want);
}

Test(build_plan, icebreaker_matches_golden) { golden("icebreaker", "icebreaker", 0, NULL, 0); }
Test(build_plan, icebreaker_27mhz_matches_golden) { golden("icebreaker-27mhz", "icebreaker", 27 * MHZ, NULL, 0); }
Test(build_plan, ulx3s_matches_golden) { golden("ulx3s", "ulx3s", 0, NULL, 0); }
Test(build_plan, ulx3s_50mhz_pll_matches_golden) { golden("ulx3s-50mhz", "ulx3s", 50 * MHZ, NULL, 0); }
Test(build_plan, ulx3s_synth_only_matches_golden) { golden("ulx3s-synth-only", "ulx3s", 0, NULL, 1); }
Test(build_plan, arty_vivado_matches_golden) { golden("arty-a7-35t-vivado", "arty-a7-35t", 0, NULL, 0); }
Test(build_plan, arty_vivado_125mhz_mmcm_matches_golden) { golden("arty-a7-35t-vivado-125mhz", "arty-a7-35t", 125 * MHZ, NULL, 0); }
Test(build_plan, arty_openxc7_matches_golden) { golden("arty-a7-35t-openxc7", "arty-a7-35t", 0, "openxc7", 0); }

Test(build_plan, the_hash_is_in_every_script_and_follows_every_input)
{
	struct hb_board b;
	struct hb_build_plan p, q;
	plan_for("ulx3s", 0, NULL, &host_all, "/r", &b, &p);
	plan_for("ulx3s", 0, NULL, &host_all, "/elsewhere", &b, &q);
	cr_assert_eq(p.hash, q.hash, "the cache root is not an input");
	char want[64];
	snprintf(want, sizeof want, "-set BUILD_HASH %u ", p.hash);
	cr_assert(strstr(p.files[0].text, want), "%s", p.files[0].text);
	cr_assert(strstr(p.dir, p.hash_hex));
	hb_build_plan_free(&q);
	plan_for("ulx3s", 50 * MHZ, NULL, &host_all, "/r", &b, &q);
	cr_assert_neq(p.hash, q.hash, "the clock is an input");
	hb_build_plan_free(&q);
	hb_build_plan_free(&p);

	plan_for("arty-a7-35t", 0, "vivado", &host_all, "/r", &b, &p);
	plan_for("arty-a7-35t", 0, "openxc7", &host_all, "/r", &b, &q);
	cr_assert_neq(p.hash, q.hash, "the flow is an input");
	snprintf(want, sizeof want, "-generic BUILD_HASH=32'h%s", p.hash_hex);
	cr_assert(strstr(p.files[0].text, want), "%s", p.files[0].text);
	hb_build_plan_free(&q);
	hb_build_plan_free(&p);
}

/* A user profile next to its own copies of the top and pins: the same contents hash the same
 * (file names, not paths, go into the hash); one changed byte is a new build. */
Test(build_plan, the_hash_covers_contents_not_locations)
{
	char *dir = tmpdir();
	char cmd[4 * PATH_MAX];
	snprintf(cmd, sizeof cmd, "cp %1$s/bench/boards/ulx3s.ini %1$s/gateware/boards/hb_board_ulx3s.v "
		 "%1$s/gateware/boards/ulx3s.lpf %2$s/", src_dir(), dir);
	cr_assert_eq(system(cmd), 0);
	struct hb_board shipped, mine;
	struct hb_build_plan p, q;
	plan_for("ulx3s", 0, NULL, &host_all, "/r", &shipped, &p);
	char path[PATH_MAX], err[1024];
	snprintf(path, sizeof path, "%s/ulx3s.ini", dir);
	cr_assert_eq(hb_board_load_file(path, &mine, err, sizeof err), HB_OK, "%s", err);
	struct hb_build_opts o = {.board = &mine, .host = &host_all, .root = "/r"};
	cr_assert_eq(hb_build_plan(&o, &q, err, sizeof err), HB_OK, "%s", err);
	cr_assert(strncmp(q.top_path, dir, strlen(dir)) == 0, "the profile's own top: %s", q.top_path);
	cr_assert_eq(p.hash, q.hash, "same contents elsewhere: %s vs %s", p.hash_hex, q.hash_hex);
	hb_build_plan_free(&q);
	snprintf(cmd, sizeof cmd, "echo '// one more line' >> %s/hb_board_ulx3s.v", dir);
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(hb_build_plan(&o, &q, err, sizeof err), HB_OK, "%s", err);
	cr_assert_neq(p.hash, q.hash, "a changed top is a new build");
	hb_build_plan_free(&q);
	hb_build_plan_free(&p);
	rm_rf(dir);
	free(dir);
}

Test(build_plan, requests_that_cannot_be_built_say_why)
{
	struct hb_board b;
	struct hb_build_plan p;
	char err[1024];
	board("sim", &b);
	struct hb_build_opts o = {.board = &b, .host = &host_all};
	cr_assert_eq(hb_build_plan(&o, &p, err, sizeof err), HB_ERR_ARG);
	cr_assert(strstr(err, "virtual board"), "%s", err);
	hb_build_plan_free(&p);
	board("ulx3s", &b);
	o.clock_hz = 10500000; /* 10.5 MHz / 1 Mbaud: 11 cycles, 4.5 % off */
	cr_assert_eq(hb_build_plan(&o, &p, err, sizeof err), HB_ERR_ARG);
	cr_assert(strstr(err, "UART") && strstr(err, "more than 2 % off"), "%s", err);
	hb_build_plan_free(&p);
	o.clock_hz = 500 * MHZ;
	cr_assert_eq(hb_build_plan(&o, &p, err, sizeof err), HB_ERR_ARG);
	cr_assert(strstr(err, "ECP5 PLL") && strstr(err, "output range"), "%s", err);
	hb_build_plan_free(&p);
	o.clock_hz = 0;
	o.flow = "vivado";
	cr_assert_eq(hb_build_plan(&o, &p, err, sizeof err), HB_ERR_ARG);
	cr_assert(strstr(err, "flow vivado builds for artix7"), "%s", err);
	hb_build_plan_free(&p);
	/* a profile without [build] */
	b.build.flow[0] = '\0';
	o.flow = NULL;
	cr_assert_eq(hb_build_plan(&o, &p, err, sizeof err), HB_ERR_ARG);
	cr_assert(strstr(err, "no [build] section"), "%s", err);
	hb_build_plan_free(&p);
}

Test(build_plan, xc7_picks_openxc7_where_vivado_is_absent_and_names_what_is_missing)
{
	char *db = tmpdir();
	char cmd[2 * PATH_MAX];
	snprintf(cmd, sizeof cmd, "mkdir -p %1$s/db/artix7/xc7a35tcsg324-1 %1$s/chipdb && "
		 "touch %1$s/db/artix7/xc7a35tcsg324-1/part.yaml %1$s/chipdb/xc7a35t.bin", db);
	cr_assert_eq(system(cmd), 0);
	char dbdir[PATH_MAX], chipdir[PATH_MAX];
	snprintf(dbdir, sizeof dbdir, "%s/db", db);
	snprintf(chipdir, sizeof chipdir, "%s/chipdb", db);
	/* every tool but vivado */
	struct hb_build_host h = {.find_tool = all_tools, .prjxray_db = dbdir, .xc7_chipdb = chipdir};
	struct hb_board b;
	struct hb_build_plan p;
	board("arty-a7-35t", &b);
	struct hb_build_opts o = {.board = &b, .host = &h};
	char err[1024];
	/* with vivado: vivado */
	cr_assert_eq(hb_build_plan(&o, &p, err, sizeof err), HB_OK, "%s", err);
	cr_assert_eq(p.flow, HB_FLOW_VIVADO);
	hb_build_plan_free(&p);
	rm_rf(db);
	free(db);
	/* no tools at all: the Vivado plan, and the message names both ways */
	o.host = &host_none;
	cr_assert_eq(hb_build_plan(&o, &p, err, sizeof err), HB_OK, "%s", err);
	cr_assert_eq(p.flow, HB_FLOW_VIVADO);
	cr_assert(strstr(p.missing, "vivado (or, for openXC7: yosys, nextpnr-xilinx"), "%s", p.missing);
	hb_build_plan_free(&p);
	o.flow = "openxc7";
	cr_assert_eq(hb_build_plan(&o, &p, err, sizeof err), HB_OK, "%s", err);
	cr_assert(strstr(p.missing, "the prjxray database /opt/prjxray-db/artix7/xc7a35tcsg324-1/part.yaml"),
		  "%s", p.missing);
	hb_build_plan_free(&p);
}

static int all_but_vivado(void *ctx, const char *name, char *out, size_t cap)
{
	return strcmp(name, "vivado") == 0 ? -1 : all_tools(ctx, name, out, cap);
}

Test(build_plan, openxc7_is_chosen_when_its_tools_and_databases_exist)
{
	char *db = tmpdir();
	char cmd[2 * PATH_MAX];
	snprintf(cmd, sizeof cmd, "mkdir -p %1$s/db/artix7/xc7a35tcsg324-1 %1$s/chipdb && "
		 "touch %1$s/db/artix7/xc7a35tcsg324-1/part.yaml %1$s/chipdb/xc7a35t.bin", db);
	cr_assert_eq(system(cmd), 0);
	char dbdir[PATH_MAX], chipdir[PATH_MAX];
	snprintf(dbdir, sizeof dbdir, "%s/db", db);
	snprintf(chipdir, sizeof chipdir, "%s/chipdb", db);
	struct hb_build_host h = {.find_tool = all_but_vivado, .prjxray_db = dbdir, .xc7_chipdb = chipdir};
	struct hb_board b;
	struct hb_build_plan p;
	board("arty-a7-35t", &b);
	struct hb_build_opts o = {.board = &b, .host = &h};
	char err[1024];
	cr_assert_eq(hb_build_plan(&o, &p, err, sizeof err), HB_OK, "%s", err);
	cr_assert_eq(p.flow, HB_FLOW_OPENXC7);
	cr_assert_str_eq(p.missing, "");
	cr_assert(strstr(p.steps[1].argv[2], "/chipdb/xc7a35t.bin"), "the device-named chip database: %s",
		  p.steps[1].argv[2]);
	hb_build_plan_free(&p);
	rm_rf(db);
	free(db);
}

static int run_cmd(const char *env, const char *args, char *out, size_t cap);

/* ------------------------------------------------------------ the ECP5 flow, end to end */

struct run_result {
	enum hb_status st;
	struct hb_build_report r;
	char out[8192];
	char err[4096];
	char dir[PATH_MAX];
	char bitstream[PATH_MAX];
};

static void run_fake(const char *root, uint64_t hz, const char *pnr, const char *pnr_exit,
		     struct run_result *res)
{
	char data_dir[PATH_MAX];
	snprintf(data_dir, sizeof data_dir, "%s/tests/data/build/ecp5", src_dir());
	setenv("HB_FAKE_DATA", data_dir, 1);
	if (pnr)
		setenv("HB_FAKE_PNR", pnr, 1);
	else
		unsetenv("HB_FAKE_PNR");
	if (pnr_exit)
		setenv("HB_FAKE_PNR_EXIT", pnr_exit, 1);
	else
		unsetenv("HB_FAKE_PNR_EXIT");
	struct hb_board b;
	board("ulx3s", &b);
	FILE *out = fmemopen(res->out, sizeof res->out, "w");
	struct hb_build_opts o = {.board = &b, .clock_hz = hz, .root = root, .host = &host_fake, .out = out};
	struct hb_build_plan p;
	char err[1024];
	cr_assert_eq(hb_build_plan(&o, &p, err, sizeof err), HB_OK, "%s", err);
	cr_assert_str_eq(p.missing, "", "the stand-ins are found");
	res->st = hb_build_run(&o, &p, &res->r, res->err, sizeof res->err);
	fclose(out);
	snprintf(res->dir, sizeof res->dir, "%s", p.dir);
	snprintf(res->bitstream, sizeof res->bitstream, "%s", p.bitstream);
	hb_build_plan_free(&p);
}

Test(build_run, ecp5_flow_end_to_end_with_stand_in_tools_then_from_the_cache)
{
	char *root = tmpdir();
	static struct run_result a;
	run_fake(root, 0, NULL, NULL, &a);
	cr_assert_eq(a.st, HB_OK, "%s\n%s", a.err, a.out);
	cr_assert(a.r.pass && !a.r.cached);
	cr_assert(strstr(a.out, "[1/3] synthesis (yosys)") && strstr(a.out, "[2/3] place and route "
		  "(nextpnr-ecp5)") && strstr(a.out, "[3/3] bitstream (ecppack): done"), "%s", a.out);
	cr_assert(file_exists(a.bitstream));
	char path[PATH_MAX + 32];
	snprintf(path, sizeof path, "%s/build.ok", a.dir);
	cr_assert(file_exists(path));
	snprintf(path, sizeof path, "%s/yosys.log", a.dir);
	char *log = slurp_path(path);
	cr_assert(strstr(log, "Executing script file"), "the tool's output went to its log: %s", log);
	free(log);
	snprintf(path, sizeof path, "%s/report.json", a.dir);
	char *rep = slurp_path(path);
	cJSON *o = cJSON_Parse(rep);
	cr_assert_not_null(o, "%s", rep);
	cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(o, "pass")));
	cr_assert_float_eq(cJSON_GetObjectItem(o, "fmax_mhz")->valuedouble, 47.83, 1e-9);
	cr_assert_eq(cJSON_GetObjectItem(o, "logic_cells")->valueint, 10871);
	cr_assert_eq(cJSON_GetObjectItem(o, "luts")->valueint, 10422);
	cr_assert_str_eq(cJSON_GetObjectItem(o, "bitstream")->valuestring, a.bitstream);
	cJSON *tools = cJSON_GetObjectItem(o, "tools");
	cr_assert(strstr(cJSON_GetObjectItem(cJSON_GetObjectItem(tools, "yosys"), "version")->valuestring,
			 "fake for tests"));
	char hash[16];
	snprintf(hash, sizeof hash, "0x%s", strrchr(a.dir, '/') + 1);
	cr_assert_str_eq(cJSON_GetObjectItem(o, "build_hash")->valuestring, hash);
	cJSON_Delete(o);
	free(rep);

	/* the lookup `hilbench run` uses finds it */
	struct hb_board b;
	board("ulx3s", &b);
	char found[PATH_MAX], err[2048];
	cr_assert_eq(hb_build_bitstream_path(&b, 0, root, found, sizeof found, err, sizeof err), HB_OK,
		     "%s", err);
	cr_assert_str_eq(found, a.bitstream);
	/* and so do `hilbench flash` and `hilbench run` (openFPGALoader is /bin/false here) */
	static char out[65536];
	char env[PATH_MAX + 64];
	snprintf(env, sizeof env, "HB_BITSTREAM_DIR=%1$s XDG_DATA_HOME=%1$s HB_OPENFPGALOADER=/bin/false", root);
	cr_assert_eq(run_cmd(env, "flash --board ulx3s --dry-run", out, sizeof out), 0, "%s", out);
	cr_assert(strstr(out, a.bitstream), "flash --board without --bitstream: %s", out);
	run_cmd(env, "run --board ulx3s", out, sizeof out);
	char want[PATH_MAX + 16];
	snprintf(want, sizeof want, "flash %s", a.bitstream);
	cr_assert(strstr(out, want), "run flashes the built bitstream: %s", out);

	/* again: from the cache, nothing runs */
	static struct run_result c;
	run_fake(root, 0, NULL, NULL, &c);
	cr_assert_eq(c.st, HB_OK, "%s", c.err);
	cr_assert(c.r.cached && c.r.pass);
	cr_assert(strstr(c.out, "cached: build") && !strstr(c.out, "[1/3]"), "%s", c.out);
	rm_rf(root);
	free(root);
}

Test(build_run, missed_timing_fails_leaves_no_cache_mark_and_run_says_why)
{
	char *root = tmpdir();
	static struct run_result a;
	run_fake(root, 50 * MHZ, "nextpnr-timing-fail", NULL, &a);
	cr_assert_eq(a.st, HB_ERR_MISMATCH, "%s", a.err);
	cr_assert(!a.r.pass);
	cr_assert_eq(a.r.timing_pass, 0);
	cr_assert(strstr(a.err, "misses timing"), "%s", a.err);
	char path[PATH_MAX + 32];
	snprintf(path, sizeof path, "%s/build.ok", a.dir);
	cr_assert(!file_exists(path));
	struct hb_board b;
	board("ulx3s", &b);
	char found[PATH_MAX], err[2048];
	cr_assert_eq(hb_build_bitstream_path(&b, 50 * MHZ, root, found, sizeof found, err, sizeof err),
		     HB_ERR_NOTFOUND);
	cr_assert(strstr(err, "the last build there failed: misses timing") &&
		  strstr(err, "hilbench build --board ulx3s --clock-mhz 50"), "%s", err);
	/* at the profile's clock nothing was built: the plain command */
	cr_assert_eq(hb_build_bitstream_path(&b, 0, root, found, sizeof found, err, sizeof err),
		     HB_ERR_NOTFOUND);
	cr_assert(strstr(err, "make it with `hilbench build --board ulx3s`") &&
		  strstr(err, "1 other build in"), "%s", err);
	rm_rf(root);
	free(root);
}

Test(build_run, a_design_that_does_not_fit_stops_after_place_and_route)
{
	char *root = tmpdir();
	static struct run_result a;
	run_fake(root, 0, "nextpnr-too-big", "1", &a);
	cr_assert_eq(a.st, HB_ERR_MISMATCH, "%s", a.err);
	cr_assert_eq(a.r.fits, 0);
	cr_assert(strstr(a.err, "does not fit the LFE5U-85F-6BG381C: place and route needs 45213 "
			 "TRELLIS_SLICE, the part has 41820"), "%s", a.err);
	cr_assert(strstr(a.out, "[3/3] bitstream (ecppack): skipped"), "%s", a.out);
	cr_assert(!file_exists(a.bitstream));
	rm_rf(root);
	free(root);
}

Test(build_run, a_missing_tool_is_named_with_what_would_run)
{
	struct hb_board b;
	board("ulx3s", &b);
	struct hb_build_opts o = {.board = &b, .host = &host_none, .root = "/nonexistent/hb"};
	struct hb_build_plan p;
	struct hb_build_report r;
	char err[4096];
	cr_assert_eq(hb_build_plan(&o, &p, err, sizeof err), HB_OK, "%s", err);
	cr_assert_eq(hb_build_run(&o, &p, &r, err, sizeof err), HB_ERR_NOTFOUND);
	cr_assert(strstr(err, "not found on this host: yosys, nextpnr-ecp5, ecppack") &&
		  strstr(err, "needs them; it would run:") && strstr(err, "\n  ecppack --compress "),
		  "%s", err);
	cr_assert(!file_exists("/nonexistent/hb"), "nothing was created");
	hb_build_plan_free(&p);
}

/* ------------------------------------------------------------ the command */

static int run_cmd(const char *env, const char *args, char *out, size_t cap)
{
	char cmd[PATH_MAX + 512];
	const char *build = getenv("HB_BUILD_DIR");
	cr_assert(build && *build);
	snprintf(cmd, sizeof cmd, "%s %s/bench/hilbench %s 2>&1", env ? env : "", build, args);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	size_t n = fread(out, 1, cap - 1, p);
	out[n] = '\0';
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(build_cmd, dry_run_prints_a_complete_flow_for_every_shipped_board)
{
	static char out[65536];
	const struct {
		const char *args;
		const char *must[4];
	} cases[] = {
		{"build --board icebreaker --dry-run",
		 {"synth_ice40 -dsp -abc9", "nextpnr-ice40 --up5k --package sg48", "icepack ", "icetime -d up5k"}},
		{"build --board ulx3s --dry-run",
		 {"synth_ecp5 -top hb_board_ulx3s", "nextpnr-ecp5 --85k --package CABGA381 --speed 6",
		  "--freq 25 ", "ecppack --compress "}},
		{"build --board ulx3s --clock-mhz 50 --dry-run",
		 {"-set PLL_ENABLE 1 -set PLL_CLKI_DIV 1 -set PLL_CLKFB_DIV 2 -set PLL_CLKOP_DIV 12",
		  "EHXPLLL 25 MHz -> 50.000000 MHz", "--freq 50 ", "ecppack --compress "}},
		{"build --board arty-a7-35t --flow vivado --dry-run",
		 {"vivado -mode batch -nojournal -nolog -source ", "read_xdc ", "report_timing_summary",
		  "write_bitstream -force "}},
		{"build --board arty-a7-35t --flow openxc7 --dry-run",
		 {"synth_xilinx -family xc7", "nextpnr-xilinx --chipdb ", "fasm2frames --part xc7a35tcsg324-1",
		  "xc7frames2bit --part_file "}},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cr_assert_eq(run_cmd(NULL, cases[i].args, out, sizeof out), 0, "%s:\n%s", cases[i].args, out);
		for (int k = 0; k < 4; k++)
			cr_assert(strstr(out, cases[i].must[k]), "%s: no '%s' in\n%s", cases[i].args,
				  cases[i].must[k], out);
		cr_assert(strstr(out, "build hash: 0x") && strstr(out, "gate:"), "%s", out);
	}
}

Test(build_cmd, a_host_without_the_tools_gets_their_names_and_exit_1)
{
	static char out[16384];
	char *empty = tmpdir();
	char env[PATH_MAX + 16];
	snprintf(env, sizeof env, "PATH=%s", empty);
	cr_assert_eq(run_cmd(env, "build --board ulx3s", out, sizeof out), 1, "%s", out);
	cr_assert(strstr(out, "hilbench build: not found on this host: yosys, nextpnr-ecp5, ecppack") &&
		  strstr(out, "it would run:") && strstr(out, "--dry-run"), "%s", out);
	cr_assert_eq(run_cmd(env, "build --board arty-a7-35t", out, sizeof out), 1, "%s", out);
	cr_assert(strstr(out, "not found on this host: vivado (or, for openXC7:"), "%s", out);
	/* the dry run still prints the plan, naming what is missing */
	cr_assert_eq(run_cmd(env, "build --board icebreaker --dry-run", out, sizeof out), 0, "%s", out);
	cr_assert(strstr(out, "nextpnr-ice40 (NOT FOUND)") && strstr(out, "missing:    yosys, "
		  "nextpnr-ice40, icepack, icetime"), "%s", out);
	rm_rf(empty);
	free(empty);
}

Test(build_cmd, usage_errors_exit_2_and_say_why)
{
	static char out[8192];
	cr_assert_eq(run_cmd(NULL, "build", out, sizeof out), 2, "%s", out);
	cr_assert(strstr(out, "--board NAME is required"), "%s", out);
	cr_assert_eq(run_cmd(NULL, "build --board sim --dry-run", out, sizeof out), 2, "%s", out);
	cr_assert(strstr(out, "virtual board"), "%s", out);
	cr_assert_eq(run_cmd(NULL, "build --board nope", out, sizeof out), 2, "%s", out);
	cr_assert_eq(run_cmd(NULL, "build --board icebreaker --clock-mhz fast", out, sizeof out), 2, "%s", out);
	cr_assert(strstr(out, "--clock-mhz fast"), "%s", out);
	cr_assert_eq(run_cmd(NULL, "build --board icebreaker --clock-mhz 300 --dry-run", out, sizeof out), 2,
		     "%s", out);
	cr_assert(strstr(out, "iCE40 PLL: 300 MHz is outside its output range 16..275 MHz"), "%s", out);
	cr_assert_eq(run_cmd(NULL, "build --board ulx3s --flow quartus", out, sizeof out), 2, "%s", out);
	cr_assert_eq(run_cmd(NULL, "build --help", out, sizeof out), 0, "%s", out);
	cr_assert(strstr(out, "Examples:") && strstr(out, "--clock-mhz"), "%s", out);
}

Test(build_cmd, every_shipped_hardware_profile_names_files_that_exist)
{
	struct hb_board *all;
	size_t n;
	char err[512];
	cr_assert_eq(hb_board_list(NULL, &all, &n, err, sizeof err), HB_OK, "%s", err);
	size_t checked = 0;
	for (size_t i = 0; i < n; i++) {
		if (all[i].family == HB_FAMILY_SIM)
			continue;
		cr_assert(all[i].build.flow[0], "%s has no [build] section", all[i].name);
		struct hb_build_opts o = {.board = &all[i], .host = &host_all, .root = "/r"};
		struct hb_build_plan p;
		cr_assert_eq(hb_build_plan(&o, &p, err, sizeof err), HB_OK, "%s: %s", all[i].name, err);
		cr_assert(file_exists(p.top_path) && file_exists(p.pins_path));
		/* the profile's core clock is what the board top builds by default */
		cr_assert_eq(p.clk.clk_hz, all[i].core_clock_hz, "%s", all[i].name);
		hb_build_plan_free(&p);
		checked++;
	}
	free(all);
	cr_assert_geq(checked, 3);
}

/* ------------------------------------------------------------ one bitstream per clock (iCE40) */

/* Lines in the stand-ins' log ($HB_FAKE_LOG): one per tool run. */
static size_t tool_runs(const char *log)
{
	FILE *f = fopen(log, "r");
	if (!f)
		return 0;
	size_t n = 0;
	int c;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static enum hb_status ensure_fake(const char *root, uint64_t hz, int build, struct hb_build_clock *bc,
				  char *err, size_t errlen)
{
	char data_dir[PATH_MAX];
	snprintf(data_dir, sizeof data_dir, "%s/tests/data/build/ice40", src_dir());
	setenv("HB_FAKE_DATA", data_dir, 1);
	struct hb_board b;
	board("icebreaker", &b);
	struct hb_build_opts o = {.board = &b, .clock_hz = hz, .root = root, .host = &host_fake};
	return hb_build_ensure(&o, build, bc, err, errlen);
}

Test(build_clock, each_clock_is_its_own_cached_bitstream_with_its_pll_settings)
{
	char *root = tmpdir();
	char log[PATH_MAX + 16], err[4096];
	snprintf(log, sizeof log, "%s/tools.log", root);
	setenv("HB_FAKE_LOG", log, 1);
	unsetenv("HB_FAKE_FMAX");
	const uint64_t clocks[2] = {18 * MHZ, 27 * MHZ};
	static struct hb_build_clock bc[2];
	for (int i = 0; i < 2; i++) {
		/* not in the cache yet: the lookup says which command makes it, and builds nothing */
		cr_assert_eq(ensure_fake(root, clocks[i], 0, &bc[i], err, sizeof err), HB_ERR_NOTFOUND);
		char cmd[64];
		snprintf(cmd, sizeof cmd, "`hilbench build --board icebreaker --clock-mhz %g`", clocks[i] / 1e6);
		cr_assert(strstr(err, cmd), "%s", err);
		cr_assert_eq(tool_runs(log), (size_t)(4 * i));
		cr_assert_eq(ensure_fake(root, clocks[i], 1, &bc[i], err, sizeof err), HB_OK, "%s", err);
		cr_assert(bc[i].ready && !bc[i].cached);
		cr_assert_eq(tool_runs(log), (size_t)(4 * (i + 1)), "yosys, nextpnr-ice40, icepack, icetime ran");
		cr_assert(file_exists(bc[i].bitstream));
		/* the board top gets the PLL settings the search computes, and CLK_HZ the clock they make */
		struct hb_clkgen want;
		cr_assert_eq(hb_pll_ice40(12 * MHZ, clocks[i], &want, NULL, 0), HB_OK);
		cr_assert_eq(bc[i].clk.clk_hz, want.clk_hz);
		char path[PATH_MAX + 32], chparam[256];
		snprintf(path, sizeof path, "%s/synth.ys", bc[i].dir);
		char *ys = slurp_path(path);
		snprintf(chparam, sizeof chparam, "-set CLK_HZ %u -set PLL_DIVR %u -set PLL_DIVF %u -set PLL_DIVQ %u "
			 "-set PLL_FILTER_RANGE %u hb_board_icebreaker", want.clk_hz, want.divr, want.divf, want.divq,
			 want.filter_range);
		cr_assert(strstr(ys, chparam), "no '%s' in\n%s", chparam, ys);
		free(ys);
		/* nextpnr and icetime were given the achieved clock as the target */
		snprintf(path, sizeof path, "%s/report.json", bc[i].dir);
		char *rep = slurp_path(path);
		cJSON *o = cJSON_Parse(rep);
		cr_assert_float_eq(cJSON_GetObjectItem(o, "target_mhz")->valuedouble, want.clk_hz / 1e6, 1e-9);
		cJSON_Delete(o);
		free(rep);
	}
	/* two clocks, two builds: different hashes, directories and files */
	cr_assert_str_neq(bc[0].hash_hex, bc[1].hash_hex);
	cr_assert_str_neq(bc[0].dir, bc[1].dir);
	char cmp[2 * PATH_MAX + 32];
	snprintf(cmp, sizeof cmp, "cmp -s '%s' '%s'", bc[0].bitstream, bc[1].bitstream);
	int rc = system(cmp);
	cr_assert(WIFEXITED(rc) && WEXITSTATUS(rc) == 1, "the two clocks' bitstreams differ");
	/* from the cache: nothing runs, for either clock, in either mode */
	for (int i = 0; i < 2; i++) {
		struct hb_build_clock again;
		cr_assert_eq(ensure_fake(root, clocks[i], 1, &again, err, sizeof err), HB_OK, "%s", err);
		cr_assert(again.cached && again.ready);
		cr_assert_str_eq(again.bitstream, bc[i].bitstream);
		cr_assert_float_eq(again.fmax_mhz, 29.787614822387695, 1e-9); /* the report read back */
		cr_assert_eq(ensure_fake(root, clocks[i], 0, &again, err, sizeof err), HB_OK, "%s", err);
		cr_assert(again.cached);
	}
	cr_assert_eq(tool_runs(log), 8u, "a cached bitstream is never rebuilt");
	/* and `hilbench run` finds each clock's bitstream by itself */
	struct hb_board b;
	board("icebreaker", &b);
	char found[PATH_MAX];
	cr_assert_eq(hb_build_bitstream_path(&b, 27 * MHZ, root, found, sizeof found, err, sizeof err), HB_OK, "%s", err);
	cr_assert_str_eq(found, bc[1].bitstream);
	/* so does `hilbench run --clock-mhz` on hardware (openFPGALoader is /bin/false here) */
	static char out[65536];
	char env[PATH_MAX + 64], want[PATH_MAX + 16];
	snprintf(env, sizeof env, "HB_BITSTREAM_DIR=%1$s XDG_DATA_HOME=%1$s HB_OPENFPGALOADER=/bin/false", root);
	run_cmd(env, "run --board icebreaker --clock-mhz 27 --no-db", out, sizeof out);
	snprintf(want, sizeof want, "flash %s/icebreaker/%s/", root, bc[1].hash_hex); /* the line shortens the file */
	cr_assert(strstr(out, want), "run flashes the 27 MHz build: %s", out);
	run_cmd(env, "run --board icebreaker --clock-mhz 21 --no-db", out, sizeof out);
	cr_assert(strstr(out, "make it with `hilbench build --board icebreaker --clock-mhz 21`"), "%s", out);
	unsetenv("HB_FAKE_LOG");
	rm_rf(root);
	free(root);
}

Test(build_clock, a_clock_above_the_fmax_fails_naming_the_fmax_and_is_not_cached)
{
	char *root = tmpdir();
	char err[4096];
	setenv("HB_FAKE_FMAX", "26.5", 1);
	static struct hb_build_clock bc;
	cr_assert_eq(ensure_fake(root, 27 * MHZ, 1, &bc, err, sizeof err), HB_ERR_MISMATCH, "%s", err);
	cr_assert(!bc.ready);
	cr_assert(strstr(err, "misses timing: clock 'clk' reaches 26.50 MHz, the target is 27 MHz"), "%s", err);
	/* no cache mark: the lookup says the last build failed and why */
	cr_assert_eq(ensure_fake(root, 27 * MHZ, 0, &bc, err, sizeof err), HB_ERR_NOTFOUND);
	struct hb_board b;
	board("icebreaker", &b);
	char found[PATH_MAX];
	cr_assert_eq(hb_build_bitstream_path(&b, 27 * MHZ, root, found, sizeof found, err, sizeof err),
		     HB_ERR_NOTFOUND);
	cr_assert(strstr(err, "the last build there failed: misses timing: clock 'clk' reaches 26.50 MHz"), "%s", err);
	/* the same clock with the margin back builds */
	unsetenv("HB_FAKE_FMAX");
	cr_assert_eq(ensure_fake(root, 27 * MHZ, 1, &bc, err, sizeof err), HB_OK, "%s", err);
	cr_assert(bc.ready && !bc.cached);
	rm_rf(root);
	free(root);
}

/* A clock between lo and hi (exclusive) that the board builds at exactly would make them not
 * the nearest: check every UART-exact clock (a multiple of the baud rate) in between. */
static void assert_nothing_nearer(const struct hb_board *b, uint64_t lo, uint64_t hi)
{
	for (uint64_t f = (lo / b->uart_baud + 1) * b->uart_baud; f < hi; f += b->uart_baud) {
		struct hb_clkgen c;
		cr_assert(hb_build_check_clock(b, f, &c, NULL, 0) != HB_OK || c.clk_hz != f,
			  "%llu Hz builds too", (unsigned long long)f);
	}
}

Test(build_clock, a_clock_the_board_cannot_make_names_the_nearest_that_it_can)
{
	struct hb_board b;
	board("icebreaker", &b);
	const uint64_t reqs[] = {12 * MHZ, 16 * MHZ, 25 * MHZ, 300 * MHZ};
	for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
		struct hb_clkgen c;
		char err[1024], want[160];
		cr_assert_eq(hb_build_check_clock(&b, reqs[i], &c, err, sizeof err), HB_ERR_RANGE, "%llu",
			     (unsigned long long)reqs[i]);
		uint64_t lo, hi;
		cr_assert_eq(hb_build_nearest_clocks(&b, reqs[i], &lo, &hi), HB_OK);
		cr_assert(lo || hi);
		if (lo && hi)
			snprintf(want, sizeof want, "the nearest clocks board icebreaker builds at are %.6g and %.6g MHz",
				 lo / 1e6, hi / 1e6);
		else
			snprintf(want, sizeof want, "the nearest clock board icebreaker builds at is %.6g MHz",
				 (lo ? lo : hi) / 1e6);
		cr_assert(strstr(err, want), "'%s' lacks '%s'", err, want);
		/* they build, and nothing closer does */
		if (lo) {
			cr_assert_eq(hb_build_check_clock(&b, lo, &c, NULL, 0), HB_OK);
			cr_assert_eq(c.clk_hz, lo);
			assert_nothing_nearer(&b, lo, reqs[i]);
		}
		if (hi) {
			cr_assert_eq(hb_build_check_clock(&b, hi, &c, NULL, 0), HB_OK);
			cr_assert_eq(c.clk_hz, hi);
			assert_nothing_nearer(&b, reqs[i], hi);
		}
	}
	/* the PLL's own range is named too */
	char err[1024];
	struct hb_clkgen c;
	cr_assert_eq(hb_build_check_clock(&b, 12 * MHZ, &c, err, sizeof err), HB_ERR_RANGE);
	cr_assert(strstr(err, "iCE40 PLL: 12 MHz is outside its output range 16..275 MHz"), "%s", err);
	/* `hilbench build` refuses it as a usage error (exit 2) with the same words */
	static char out[8192];
	cr_assert_eq(run_cmd(NULL, "build --board icebreaker --clock-mhz 25 --dry-run", out, sizeof out), 2, "%s", out);
	struct hb_clkgen at25;
	cr_assert_eq(hb_pll_ice40(12 * MHZ, 25 * MHZ, &at25, NULL, 0), HB_OK);
	char makes[80];
	snprintf(makes, sizeof makes, "the clock generator makes %.6f MHz", at25.fout_hz / 1e6);
	cr_assert(strstr(out, makes) && strstr(out, "nearest clocks"), "%s", out);
}
