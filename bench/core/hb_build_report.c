/* hilbench build — reading the tools' reports, the gate, report.json (see hb_build.h).
 *
 * Parsers take the whole text of one report and pick out the lines hilbench needs; anything
 * else in the file is ignored, so tool versions that add lines or columns still parse.
 * The formats (tests/data/build/ holds excerpts of each):
 *   yosys `stat -json`           {"design": {"num_cells_by_type": {"SB_LUT4": 3480, ...}}}
 *   nextpnr log (all arches)     "Info: Device utilisation:" then one line per BEL type,
 *                                "Info: \t   ICESTORM_LC:  4206/ 5280    79%"; and
 *                                "Info: Max frequency for clock 'clk': 29.91 MHz (PASS at 24.00 MHz)"
 *                                (Warning:/ERROR: instead of Info: when it fails), several
 *                                times: the last one (after routing) counts
 *   nextpnr --report JSON        {"utilization": {BEL: {"used", "available"}},
 *                                 "fmax": {clock: {"achieved", "constraint"}}}
 *   icetime -r                   "Total path delay: 35.60 ns (28.09 MHz)"
 *   Vivado report_timing_summary the "Design Timing Summary" table: a header line starting
 *                                with WNS(ns), a dashed line, then the numbers
 *   Vivado report_utilization    "| Site Type | Used | Fixed | [Prohibited |] Available | Util% |"
 *                                tables; rows "Slice LUTs", "LUT as Memory", "Slice Registers",
 *                                "Block RAM Tile", "DSPs" (a trailing '*' after synthesis) */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hb_build.h"

/* ------------------------------------------------------------ helpers */

/* Next line of text: [*p, end) without the newline; advances *p. NULL at the end. */
static const char *next_line(const char **p, size_t *len)
{
	const char *s = *p;
	if (!s || !*s)
		return NULL;
	const char *nl = strchr(s, '\n');
	*len = nl ? (size_t)(nl - s) : strlen(s);
	*p = nl ? nl + 1 : s + *len;
	if (*len && s[*len - 1] == '\r')
		(*len)--;
	return s;
}

static void copy_line(char *dst, size_t cap, const char *s, size_t len)
{
	if (len >= cap)
		len = cap - 1;
	memcpy(dst, s, len);
	dst[len] = '\0';
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* ------------------------------------------------------------ yosys */

enum hb_status hb_parse_yosys_stat(const char *json, struct hb_synth_counts *c)
{
	memset(c, 0, sizeof *c);
	cJSON *root = cJSON_Parse(json);
	if (!root)
		return HB_ERR_FORMAT;
	cJSON *cells = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "design"),
							 "num_cells_by_type");
	if (!cJSON_IsObject(cells)) {
		cJSON_Delete(root);
		return HB_ERR_FORMAT;
	}
	/* cell types of the three families' techmapped netlists */
	static const struct {
		const char *prefix;  /* the type starts with it ... */
		int exact;           /* ... or equals it */
		int field;           /* 0 luts 1 ffs 2 carry 3 lutram 4 bram 5 spram 6 dsp */
		int weight;
	} map[] = {
		{"SB_LUT4", 1, 0, 1}, {"LUT4", 1, 0, 1}, {"LUT1", 1, 0, 1}, {"LUT2", 1, 0, 1},
		{"LUT3", 1, 0, 1}, {"LUT5", 1, 0, 1}, {"LUT6", 1, 0, 1},
		{"SB_DFF", 0, 1, 1}, {"TRELLIS_FF", 1, 1, 1}, {"FDRE", 1, 1, 1}, {"FDSE", 1, 1, 1},
		{"FDCE", 1, 1, 1}, {"FDPE", 1, 1, 1},
		{"SB_CARRY", 1, 2, 1}, {"CCU2C", 1, 2, 1}, {"CARRY4", 1, 2, 1},
		{"TRELLIS_DPR16X4", 1, 3, 1}, {"RAM32M", 1, 3, 1}, {"RAM64M", 1, 3, 1},
		{"RAM32X1D", 1, 3, 1}, {"RAM64X1D", 1, 3, 1}, {"RAM128X1D", 1, 3, 1},
		{"RAM256X1S", 1, 3, 1},
		{"SB_RAM40_4K", 1, 4, 1}, {"DP16KD", 1, 4, 1}, {"PDPW16KD", 1, 4, 1},
		{"RAMB18E1", 1, 4, 1}, {"RAMB36E1", 1, 4, 2},
		{"SB_SPRAM256KA", 1, 5, 1},
		{"SB_MAC16", 1, 6, 1}, {"MULT18X18D", 1, 6, 1}, {"DSP48E1", 1, 6, 1},
	};
	long *f[] = {&c->luts, &c->ffs, &c->carry, &c->lutram, &c->bram, &c->spram, &c->dsp};
	cJSON *it;
	cJSON_ArrayForEach(it, cells)
	{
		if (!cJSON_IsNumber(it) || !it->string)
			continue;
		for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
			bool hit = map[i].exact ? strcmp(it->string, map[i].prefix) == 0
						: strncmp(it->string, map[i].prefix, strlen(map[i].prefix)) == 0;
			if (hit) {
				*f[map[i].field] += (long)it->valuedouble * map[i].weight;
				break;
			}
		}
	}
	cJSON_Delete(root);
	return HB_OK;
}

/* ------------------------------------------------------------ nextpnr */

static void util_set(struct hb_pnr_result *r, const char *bel, long used, long avail)
{
	size_t i = 0;
	while (i < r->n_util && strcmp(r->util[i].bel, bel) != 0)
		i++;
	if (i == r->n_util) {
		if (r->n_util == HB_BUILD_MAX_UTIL)
			return;
		r->n_util++;
		snprintf(r->util[i].bel, sizeof r->util[i].bel, "%s", bel);
	}
	r->util[i].used = used;
	r->util[i].available = avail;
}

static void clock_set(struct hb_pnr_result *r, const char *name, double ach, double con)
{
	size_t i = 0;
	while (i < r->n_clocks && strcmp(r->clocks[i].name, name) != 0)
		i++;
	if (i == r->n_clocks) {
		if (r->n_clocks == HB_BUILD_MAX_CLOCKS)
			return;
		r->n_clocks++;
		snprintf(r->clocks[i].name, sizeof r->clocks[i].name, "%s", name);
	}
	r->clocks[i].achieved_mhz = ach;
	r->clocks[i].constraint_mhz = con;
}

enum hb_status hb_parse_nextpnr_log(const char *text, struct hb_pnr_result *r)
{
	memset(r, 0, sizeof *r);
	const char *p = text, *s;
	size_t len;
	int in_util = 0, found = 0;
	char line[512];
	while ((s = next_line(&p, &len))) {
		copy_line(line, sizeof line, s, len);
		if (strstr(line, "Device utilisation:") || strstr(line, "Device utilization:")) {
			in_util = 1;
			found = 1;
			continue;
		}
		if (in_util) {
			/* "Info: \t   ICESTORM_LC:  4206/ 5280    79%" */
			char *q = line;
			if (strncmp(q, "Info:", 5) == 0)
				q += 5;
			q = trim(q);
			char *colon = strchr(q, ':');
			long used, avail;
			if (colon && colon > q && sscanf(colon + 1, " %ld/ %ld", &used, &avail) == 2) {
				*colon = '\0';
				util_set(r, trim(q), used, avail);
				continue;
			}
			in_util = 0;
		}
		const char *m = strstr(line, "Max frequency for clock");
		if (m) {
			const char *a = strchr(m, '\''), *b = a ? strchr(a + 1, '\'') : NULL;
			double ach, con;
			char verdict[8];
			if (a && b && sscanf(b + 1, ": %lf MHz (%7s at %lf MHz)", &ach, verdict, &con) == 3) {
				char name[96];
				copy_line(name, sizeof name, a + 1, (size_t)(b - a - 1));
				clock_set(r, name, ach, con);
				found = 1;
			}
		}
	}
	return found ? HB_OK : HB_ERR_FORMAT;
}

enum hb_status hb_parse_nextpnr_report(const char *json, struct hb_pnr_result *r)
{
	memset(r, 0, sizeof *r);
	cJSON *root = cJSON_Parse(json);
	if (!root)
		return HB_ERR_FORMAT;
	cJSON *util = cJSON_GetObjectItemCaseSensitive(root, "utilization");
	cJSON *fmax = cJSON_GetObjectItemCaseSensitive(root, "fmax");
	if (!cJSON_IsObject(util) && !cJSON_IsObject(fmax)) {
		cJSON_Delete(root);
		return HB_ERR_FORMAT;
	}
	cJSON *it;
	cJSON_ArrayForEach(it, util)
	{
		cJSON *u = cJSON_GetObjectItemCaseSensitive(it, "used");
		cJSON *a = cJSON_GetObjectItemCaseSensitive(it, "available");
		if (it->string && cJSON_IsNumber(u) && cJSON_IsNumber(a))
			util_set(r, it->string, (long)u->valuedouble, (long)a->valuedouble);
	}
	cJSON_ArrayForEach(it, fmax)
	{
		cJSON *ach = cJSON_GetObjectItemCaseSensitive(it, "achieved");
		cJSON *con = cJSON_GetObjectItemCaseSensitive(it, "constraint");
		if (it->string && cJSON_IsNumber(ach) && cJSON_IsNumber(con))
			clock_set(r, it->string, ach->valuedouble, con->valuedouble);
	}
	cJSON_Delete(root);
	return HB_OK;
}

enum hb_status hb_parse_icetime(const char *text, double *mhz)
{
	const char *p = text, *s;
	size_t len;
	char line[256];
	int found = 0;
	while ((s = next_line(&p, &len))) {
		copy_line(line, sizeof line, s, len);
		const char *m = strstr(line, "Total path delay:");
		double ns, f;
		if (m && sscanf(m, "Total path delay: %lf ns (%lf MHz)", &ns, &f) == 2) {
			*mhz = f;
			found = 1;
		}
	}
	return found ? HB_OK : HB_ERR_FORMAT;
}

/* ------------------------------------------------------------ Vivado */

/* A number of a Vivado table cell; "NA", "inf" and blanks are not numbers. */
static int vivado_num(const char *tok, double *v)
{
	if (!tok || !*tok || strcmp(tok, "NA") == 0)
		return 0;
	char *end;
	double x = strtod(tok, &end);
	if (*end || !isfinite(x))
		return 0;
	*v = x;
	return 1;
}

enum hb_status hb_parse_vivado_timing(const char *text, struct hb_vivado_timing *t)
{
	memset(t, 0, sizeof *t);
	const char *p = text, *s;
	size_t len;
	char line[1024];
	int state = 0, found = 0; /* 1: saw the header, 2: saw the dashes */
	while ((s = next_line(&p, &len))) {
		copy_line(line, sizeof line, s, len);
		char *q = trim(line);
		if (strstr(q, "All user specified timing constraints are met"))
			t->all_met = 1;
		if (state == 0 && strncmp(q, "WNS(ns)", 7) == 0) {
			state = 1;
			continue;
		}
		if (state == 1) {
			state = q[0] == '-' ? 2 : 0;
			continue;
		}
		if (state == 2) {
			/* WNS TNS failing total WHS THS failing total WPWS TPWS failing total */
			char *tok[12];
			int n = 0;
			for (char *w = strtok(q, " \t"); w && n < 12; w = strtok(NULL, " \t"))
				tok[n++] = w;
			state = 0;
			if (n < 8)
				continue;
			double v[8];
			int ok[8];
			for (int i = 0; i < 8; i++)
				ok[i] = vivado_num(tok[i], &v[i]);
			t->has_setup = ok[0];
			t->wns_ns = ok[0] ? v[0] : 0;
			t->tns_ns = ok[1] ? v[1] : 0;
			t->setup_failing = ok[2] ? (long)v[2] : 0;
			t->setup_endpoints = ok[3] ? (long)v[3] : 0;
			t->whs_ns = ok[4] ? v[4] : 0;
			t->ths_ns = ok[5] ? v[5] : 0;
			t->hold_failing = ok[6] ? (long)v[6] : 0;
			t->hold_endpoints = ok[7] ? (long)v[7] : 0;
			found = 1;
		}
	}
	return found ? HB_OK : HB_ERR_FORMAT;
}

/* Split a "| a | b | c |" row into trimmed cells; returns the count. */
static int table_cells(char *row, char **cell, int max)
{
	int n = 0;
	char *q = strchr(row, '|');
	while (q && n < max) {
		char *next = strchr(q + 1, '|');
		if (!next)
			break;
		*next = '\0';
		cell[n++] = trim(q + 1);
		q = next;
	}
	return n;
}

enum hb_status hb_parse_vivado_util(const char *text, struct hb_vivado_util *u)
{
	memset(u, 0, sizeof *u);
	const char *p = text, *s;
	size_t len;
	char line[1024];
	int col_used = -1, col_avail = -1, found = 0;
	while ((s = next_line(&p, &len))) {
		copy_line(line, sizeof line, s, len);
		if (line[0] != '|')
			continue;
		char *cell[12];
		int n = table_cells(line, cell, 12);
		if (n < 2)
			continue;
		if (strcmp(cell[0], "Site Type") == 0) {
			col_used = col_avail = -1;
			for (int i = 1; i < n; i++) {
				if (strcmp(cell[i], "Used") == 0)
					col_used = i;
				else if (strcmp(cell[i], "Available") == 0)
					col_avail = i;
			}
			continue;
		}
		if (col_used < 0 || col_used >= n)
			continue;
		size_t l = strlen(cell[0]);
		if (l && cell[0][l - 1] == '*') /* "Slice LUTs*": counted after synthesis */
			cell[0][--l] = '\0';
		trim(cell[0]);
		double used = 0, avail = 0;
		if (!vivado_num(cell[col_used], &used))
			continue;
		int have_avail = col_avail >= 0 && col_avail < n && vivado_num(cell[col_avail], &avail);
		if (strcmp(cell[0], "Slice LUTs") == 0 || strcmp(cell[0], "CLB LUTs") == 0) {
			u->luts = (long)used;
			u->luts_avail = have_avail ? (long)avail : 0;
			found = 1;
		} else if (strcmp(cell[0], "LUT as Memory") == 0) {
			u->lut_mem = (long)used;
		} else if (strcmp(cell[0], "Slice Registers") == 0 || strcmp(cell[0], "CLB Registers") == 0) {
			u->regs = (long)used;
			u->regs_avail = have_avail ? (long)avail : 0;
		} else if (strcmp(cell[0], "Block RAM Tile") == 0) {
			u->bram_tiles = used;
			u->bram_tiles_avail = have_avail ? avail : 0;
		} else if (strcmp(cell[0], "DSPs") == 0) {
			u->dsp = (long)used;
			u->dsp_avail = have_avail ? (long)avail : 0;
		}
	}
	return found ? HB_OK : HB_ERR_FORMAT;
}

/* ------------------------------------------------------------ the gate */

static void fail_once(struct hb_build_report *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void fail_once(struct hb_build_report *r, const char *fmt, ...)
{
	if (r->failure[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->failure, sizeof r->failure, fmt, ap);
	va_end(ap);
}

void hb_build_gate(const struct hb_build_plan *p, struct hb_build_report *r, int bitstream_made)
{
	const char *part = p->board->fpga_part;
	r->fits = (r->have_synth || r->have_pnr || r->have_vu) ? 1 : -1;
	/* synthesis against the part's capacity */
	if (r->have_synth) {
		const struct {
			const char *what;
			long used, cap;
		} c[] = {
			{"LUTs", r->synth.luts, r->cap_luts}, {"flip-flops", r->synth.ffs, r->cap_ffs},
			{"block RAMs", r->synth.bram, r->cap_bram}, {"DSPs", r->synth.dsp, r->cap_dsp},
			{"SPRAMs", r->synth.spram, r->cap_spram},
		};
		for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
			if (c[i].cap >= 0 && c[i].used > c[i].cap) {
				r->fits = 0;
				fail_once(r, "does not fit the %s: synthesis needs %ld %s, the part has %ld",
					  part, c[i].used, c[i].what, c[i].cap);
			}
	}
	/* place and route */
	r->logic_cells = -1;
	if (r->have_pnr) {
		for (size_t i = 0; i < r->pnr.n_util; i++) {
			const char *bel = r->pnr.util[i].bel;
			if (strcmp(bel, "ICESTORM_LC") == 0 || strcmp(bel, "TRELLIS_SLICE") == 0)
				r->logic_cells = r->pnr.util[i].used;
			if (r->pnr.util[i].used > r->pnr.util[i].available) {
				r->fits = 0;
				fail_once(r, "does not fit the %s: place and route needs %ld %s, the part has %ld",
					  part, r->pnr.util[i].used, bel, r->pnr.util[i].available);
			}
		}
	}
	if (r->have_vu) {
		if (r->vu.luts_avail && r->vu.luts > r->vu.luts_avail) {
			r->fits = 0;
			fail_once(r, "does not fit the %s: %ld of %ld LUTs", part, r->vu.luts, r->vu.luts_avail);
		}
		if (r->vu.bram_tiles_avail > 0 && r->vu.bram_tiles > r->vu.bram_tiles_avail) {
			r->fits = 0;
			fail_once(r, "does not fit the %s: %.1f of %.0f block RAM tiles", part, r->vu.bram_tiles,
				  r->vu.bram_tiles_avail);
		}
	}
	if (r->synth_only) {
		r->timing_pass = -1;
		r->fmax_mhz = -1;
		r->pass = r->fits == 1 && !r->failure[0];
		if (r->fits != 1)
			fail_once(r, "no synthesis result (see yosys.log)");
		return;
	}
	if (!r->placed) {
		if (r->fits == 1)
			r->fits = 0;
		fail_once(r, "place and route did not finish (see %s.log)",
			  p->flow == HB_FLOW_VIVADO ? "vivado" : "nextpnr");
	}
	/* timing */
	r->timing_pass = r->placed ? 1 : 0;
	r->fmax_mhz = -1;
	if (p->flow == HB_FLOW_VIVADO) {
		if (!r->have_vt || !r->vt.has_setup) {
			r->timing_pass = 0;
			fail_once(r, "no timing summary (timing_summary.rpt) with a setup slack");
		} else {
			double period = 1000.0 / p->target_mhz;
			if (period - r->vt.wns_ns > 0)
				r->fmax_mhz = 1000.0 / (period - r->vt.wns_ns);
			if (r->vt.wns_ns < 0 || r->vt.whs_ns < 0) {
				r->timing_pass = 0;
				fail_once(r, "misses timing at %.6g MHz: WNS %.3f ns, WHS %.3f ns (%ld setup, %ld hold "
					  "endpoints failing)", p->target_mhz, r->vt.wns_ns, r->vt.whs_ns,
					  r->vt.setup_failing, r->vt.hold_failing);
			}
		}
	} else if (r->placed) {
		if (!r->have_pnr || r->pnr.n_clocks == 0) {
			r->timing_pass = 0;
			fail_once(r, "nextpnr reported no Fmax (see nextpnr.log)");
		}
		for (size_t i = 0; i < r->pnr.n_clocks; i++) {
			double a = r->pnr.clocks[i].achieved_mhz;
			if (r->fmax_mhz < 0 || a < r->fmax_mhz)
				r->fmax_mhz = a;
			/* nextpnr prints two decimals: compare at that resolution */
			if (a + 0.005 < p->target_mhz || a + 0.005 < r->pnr.clocks[i].constraint_mhz) {
				r->timing_pass = 0;
				fail_once(r, "misses timing: clock '%s' reaches %.2f MHz, the target is %.6g MHz",
					  r->pnr.clocks[i].name, a, p->target_mhz);
			}
		}
		if (p->flow == HB_FLOW_ICESTORM) {
			if (r->icetime_mhz < 0) {
				r->timing_pass = 0;
				fail_once(r, "icetime gave no timing estimate (see icetime.log)");
			} else if (r->icetime_mhz + 0.005 < p->target_mhz) {
				r->timing_pass = 0;
				fail_once(r, "misses timing: icetime estimates %.2f MHz, the target is %.6g MHz",
					  r->icetime_mhz, p->target_mhz);
			}
		}
	}
	if (!bitstream_made)
		fail_once(r, "no bitstream was written");
	r->pass = r->fits == 1 && r->timing_pass == 1 && bitstream_made && !r->failure[0];
}

/* ------------------------------------------------------------ report.json */

static void add_num_or_null(cJSON *o, const char *k, double v, int have)
{
	if (have)
		cJSON_AddNumberToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

static void add_tristate(cJSON *o, const char *k, int v)
{
	if (v < 0)
		cJSON_AddNullToObject(o, k);
	else
		cJSON_AddBoolToObject(o, k, v);
}

char *hb_build_report_json(const struct hb_build_plan *p, const struct hb_build_report *r)
{
	const struct hb_board *b = p->board;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "board", b->name);
	cJSON_AddStringToObject(o, "family", hb_family_name(b->family));
	cJSON_AddStringToObject(o, "part", b->fpga_part);
	cJSON_AddStringToObject(o, "flow", hb_build_flow_name(p->flow));
	cJSON_AddBoolToObject(o, "synth_only", p->synth_only);
	cJSON_AddNumberToObject(o, "lanes", b->gw_lanes);
	cJSON_AddNumberToObject(o, "baud", b->uart_baud);
	char h[16];
	snprintf(h, sizeof h, "0x%s", p->hash_hex);
	cJSON_AddStringToObject(o, "build_hash", h);
	cJSON_AddNumberToObject(o, "target_mhz", p->target_mhz);
	cJSON *ck = cJSON_AddObjectToObject(o, "clock");
	cJSON_AddNumberToObject(ck, "osc_hz", (double)p->clk.fin_hz);
	cJSON_AddNumberToObject(ck, "requested_hz", (double)p->clk.request_hz);
	cJSON_AddNumberToObject(ck, "clk_hz", p->clk.clk_hz);
	char desc[256];
	hb_clkgen_describe(&p->clk, desc, sizeof desc);
	cJSON_AddStringToObject(ck, "generator", desc);

	const struct hb_synth_counts *s = &r->synth;
	if (r->have_vu) { /* Vivado: its own utilisation report */
		cJSON_AddNumberToObject(o, "luts", r->vu.luts);
		cJSON_AddNullToObject(o, "logic_cells");
		cJSON_AddNullToObject(o, "carry");
		cJSON_AddNumberToObject(o, "lutram", r->vu.lut_mem);
		cJSON_AddNumberToObject(o, "ffs", r->vu.regs);
		cJSON_AddNumberToObject(o, "bram", r->vu.bram_tiles * 2);
		cJSON_AddNumberToObject(o, "dsp", r->vu.dsp);
	} else {
		add_num_or_null(o, "luts", (double)s->luts, r->have_synth);
		add_num_or_null(o, "logic_cells", (double)r->logic_cells, r->logic_cells >= 0);
		add_num_or_null(o, "carry", (double)s->carry, r->have_synth);
		add_num_or_null(o, "lutram", (double)s->lutram, r->have_synth);
		add_num_or_null(o, "ffs", (double)s->ffs, r->have_synth);
		long bram = s->bram, dsp = s->dsp, spram = s->spram;
		for (size_t i = 0; i < r->pnr.n_util && r->have_pnr; i++) {
			const char *bel = r->pnr.util[i].bel;
			long u = r->pnr.util[i].used;
			if (!strcmp(bel, "ICESTORM_RAM") || !strcmp(bel, "DP16KD"))
				bram = u;
			else if (!strcmp(bel, "ICESTORM_SPRAM"))
				spram = u;
			else if (!strcmp(bel, "ICESTORM_DSP") || !strcmp(bel, "MULT18X18D"))
				dsp = u;
		}
		add_num_or_null(o, "bram", (double)bram, r->have_synth || r->have_pnr);
		add_num_or_null(o, "dsp", (double)dsp, r->have_synth || r->have_pnr);
		if (b->family == HB_FAMILY_ICE40)
			add_num_or_null(o, "spram", (double)spram, r->have_synth || r->have_pnr);
	}
	cJSON_AddStringToObject(o, "bram_unit", p->dev ? p->dev->bram_unit : "");
	cJSON *cap = cJSON_AddObjectToObject(o, "capacity");
	cJSON_AddNumberToObject(cap, "luts", (double)r->cap_luts);
	cJSON_AddNumberToObject(cap, "ffs", (double)r->cap_ffs);
	cJSON_AddNumberToObject(cap, "bram", (double)r->cap_bram);
	cJSON_AddNumberToObject(cap, "dsp", (double)r->cap_dsp);
	if (r->have_pnr) {
		cJSON *u = cJSON_AddObjectToObject(o, "utilization");
		for (size_t i = 0; i < r->pnr.n_util; i++) {
			cJSON *e = cJSON_AddObjectToObject(u, r->pnr.util[i].bel);
			cJSON_AddNumberToObject(e, "used", (double)r->pnr.util[i].used);
			cJSON_AddNumberToObject(e, "available", (double)r->pnr.util[i].available);
		}
		cJSON *fm = cJSON_AddObjectToObject(o, "fmax_by_clock");
		for (size_t i = 0; i < r->pnr.n_clocks; i++) {
			cJSON *e = cJSON_AddObjectToObject(fm, r->pnr.clocks[i].name);
			cJSON_AddNumberToObject(e, "achieved_mhz", round(r->pnr.clocks[i].achieved_mhz * 100) / 100);
			cJSON_AddNumberToObject(e, "constraint_mhz", r->pnr.clocks[i].constraint_mhz);
		}
	}
	cJSON_AddBoolToObject(o, "place_and_route", r->placed);
	add_num_or_null(o, "fmax_mhz", round(r->fmax_mhz * 100) / 100, r->fmax_mhz >= 0);
	if (b->family == HB_FAMILY_ICE40)
		add_num_or_null(o, "icetime_mhz", r->icetime_mhz, r->icetime_mhz >= 0);
	if (p->flow == HB_FLOW_VIVADO) {
		add_num_or_null(o, "wns_ns", r->vt.wns_ns, r->have_vt && r->vt.has_setup);
		add_num_or_null(o, "whs_ns", r->vt.whs_ns, r->have_vt);
	}
	add_tristate(o, "fits", r->fits);
	add_tristate(o, "timing_pass", r->timing_pass);
	cJSON_AddBoolToObject(o, "pass", r->pass);
	if (r->failure[0])
		cJSON_AddStringToObject(o, "failure", r->failure);
	else
		cJSON_AddNullToObject(o, "failure");
	if (r->pass && !p->synth_only)
		cJSON_AddStringToObject(o, "bitstream", p->bitstream);
	else
		cJSON_AddNullToObject(o, "bitstream");
	cJSON *tools = cJSON_AddObjectToObject(o, "tools");
	for (size_t i = 0; i < p->n_tools; i++) {
		cJSON *t = cJSON_AddObjectToObject(tools, p->tools[i].name);
		if (p->tools[i].path[0])
			cJSON_AddStringToObject(t, "path", p->tools[i].path);
		else
			cJSON_AddNullToObject(t, "path");
		if (p->tools[i].version[0])
			cJSON_AddStringToObject(t, "version", p->tools[i].version);
		else
			cJSON_AddNullToObject(t, "version");
	}
	cJSON_AddNumberToObject(o, "seconds", round(r->seconds * 10) / 10);
	char now[32];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
	cJSON_AddStringToObject(o, "generated", now);
	char *out = cJSON_Print(o);
	cJSON_Delete(o);
	return out;
}

/* ------------------------------------------------------------ summary */

static void pct(FILE *f, const char *what, long used, long cap)
{
	if (cap > 0)
		fprintf(f, "%s %ld / %ld (%.0f %%)", what, used, cap, 100.0 * (double)used / (double)cap);
	else
		fprintf(f, "%s %ld", what, used);
}

void hb_build_summary(const struct hb_build_plan *p, const struct hb_build_report *r, FILE *f)
{
	fprintf(f, "resources: ");
	if (r->have_vu) {
		pct(f, "LUTs", r->vu.luts, r->vu.luts_avail);
		fprintf(f, ", ");
		pct(f, "FFs", r->vu.regs, r->vu.regs_avail);
		fprintf(f, ", block RAM tiles %.1f / %.0f, ", r->vu.bram_tiles, r->vu.bram_tiles_avail);
		pct(f, "DSPs", r->vu.dsp, r->vu.dsp_avail);
	} else if (r->have_pnr && r->pnr.n_util) {
		int first = 1;
		for (size_t i = 0; i < r->pnr.n_util; i++) {
			if (r->pnr.util[i].used == 0)
				continue;
			fprintf(f, "%s", first ? "" : ", ");
			pct(f, r->pnr.util[i].bel, r->pnr.util[i].used, r->pnr.util[i].available);
			first = 0;
		}
	} else if (r->have_synth) {
		pct(f, "LUTs", r->synth.luts, r->cap_luts);
		fprintf(f, ", ");
		pct(f, "FFs", r->synth.ffs, r->cap_ffs);
		fprintf(f, ", ");
		pct(f, p->dev ? p->dev->bram_unit : "block RAM", r->synth.bram, r->cap_bram);
		fprintf(f, ", ");
		pct(f, "DSPs", r->synth.dsp, r->cap_dsp);
		fprintf(f, " (synthesis, before place and route)");
	} else {
		fprintf(f, "unknown");
	}
	fprintf(f, "\n");
	if (!r->synth_only) {
		fprintf(f, "timing: ");
		if (r->fmax_mhz >= 0)
			fprintf(f, "Fmax %.2f MHz (%s)", r->fmax_mhz,
				p->flow == HB_FLOW_VIVADO ? "from Vivado's WNS" : "nextpnr");
		else
			fprintf(f, "no Fmax");
		if (r->icetime_mhz >= 0)
			fprintf(f, ", %.2f MHz (icetime)", r->icetime_mhz);
		if (r->have_vt && r->vt.has_setup)
			fprintf(f, ", WNS %.3f ns, WHS %.3f ns", r->vt.wns_ns, r->vt.whs_ns);
		fprintf(f, " for %.6g MHz\n", p->target_mhz);
	}
	if (r->pass)
		fprintf(f, "result: PASS (%s)%s\n",
			r->synth_only ? "fits, by synthesis; no place and route" : "fits and meets timing",
			r->cached ? ", from the cache" : "");
	else
		fprintf(f, "result: FAIL: %s\n", r->failure[0] ? r->failure : "see report.json");
}
