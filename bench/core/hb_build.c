/* hilbench build — planning, hashing, running and finding bitstream builds (see hb_build.h).
 *
 * Layout of one build directory, <root>/<board>/<hash>/:
 *   synth.ys | build.tcl    the generated script
 *   <step>.log              each tool's output (stdout and stderr)
 *   stat.json, nextpnr.json, icetime.rpt, utilization.rpt, timing_summary.rpt
 *   report.json             what hilbench read from them, and the verdict
 *   <bitstream>             named by the profile's [build] bitstream
 *   build.ok | synth.ok     written last, only when the build passed: the cache's mark
 *   .lock                   flock()ed while a build runs */
#define _GNU_SOURCE /* vasprintf, pipe2 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LOG_PREFIX "build"
#include "hb_build.h"
#include "hb_log.h"
#include "hb_paths.h"
#include "hb_sha256.h"

#ifndef HB_DEFAULT_BITSTREAM_DIR
#define HB_DEFAULT_BITSTREAM_DIR "bitstreams"
#endif

/* Bumped whenever a flow's recipe changes, so that cached builds of the old recipe are not
 * taken for new ones (the version is part of the build hash). */
static const struct {
	const char *name;
	const char *version;
} flows[] = {
	[HB_FLOW_ICESTORM] = {"icestorm", "1"},
	[HB_FLOW_TRELLIS] = {"trellis", "1"},
	[HB_FLOW_VIVADO] = {"vivado", "1"},
	[HB_FLOW_OPENXC7] = {"openxc7", "1"},
};

const char *hb_build_flow_name(enum hb_build_flow f)
{
	return (unsigned)f < sizeof flows / sizeof flows[0] ? flows[f].name : "?";
}

/* Parts the flows know. Capacities: iCE40 UltraPlus / HX / LP family data sheets (Lattice
 * FPGA-DS-02008, DS1040), ECP5 family data sheet (FPGA-DS-02012: LUT4s, 18 kbit EBRs,
 * 18x18 multipliers), 7 Series product table (DS180: LUT6s, flip-flops, RAMB18s, DSP48E1s). */
static const struct hb_build_device devices[] = {
	{"iCE40UP5K", HB_FAMILY_ICE40, "up5k", 5280, 5280, 30, 8, 4, "EBR 4kbit"},
	{"iCE40HX8K", HB_FAMILY_ICE40, "hx8k", 7680, 7680, 32, 0, 0, "EBR 4kbit"},
	{"iCE40LP8K", HB_FAMILY_ICE40, "lp8k", 7680, 7680, 32, 0, 0, "EBR 4kbit"},
	{"iCE40HX1K", HB_FAMILY_ICE40, "hx1k", 1280, 1280, 16, 0, 0, "EBR 4kbit"},
	{"iCE40LP1K", HB_FAMILY_ICE40, "lp1k", 1280, 1280, 16, 0, 0, "EBR 4kbit"},
	{"LFE5U-25F", HB_FAMILY_ECP5, "25k", 24288, 24288, 56, 28, 0, "DP16KD 18kbit"},
	{"LFE5U-45F", HB_FAMILY_ECP5, "45k", 43848, 43848, 108, 72, 0, "DP16KD 18kbit"},
	{"LFE5U-85F", HB_FAMILY_ECP5, "85k", 83640, 83640, 208, 156, 0, "DP16KD 18kbit"},
	{"LFE5UM-25F", HB_FAMILY_ECP5, "um-25k", 24288, 24288, 56, 28, 0, "DP16KD 18kbit"},
	{"LFE5UM-45F", HB_FAMILY_ECP5, "um-45k", 43848, 43848, 108, 72, 0, "DP16KD 18kbit"},
	{"LFE5UM-85F", HB_FAMILY_ECP5, "um-85k", 83640, 83640, 208, 156, 0, "DP16KD 18kbit"},
	{"LFE5UM5G-85F", HB_FAMILY_ECP5, "um5g-85k", 83640, 83640, 208, 156, 0, "DP16KD 18kbit"},
	{"xc7a35t", HB_FAMILY_ARTIX7, "xc7a35t", 20800, 41600, 100, 90, 0, "RAMB18 18kbit"},
	{"xc7a50t", HB_FAMILY_ARTIX7, "xc7a50t", 32600, 65200, 150, 120, 0, "RAMB18 18kbit"},
	{"xc7a100t", HB_FAMILY_ARTIX7, "xc7a100t", 63400, 126800, 270, 240, 0, "RAMB18 18kbit"},
	{"xc7a200t", HB_FAMILY_ARTIX7, "xc7a200t", 134600, 269200, 730, 740, 0, "RAMB18 18kbit"},
};

const struct hb_build_device *hb_build_device_find(const char *part)
{
	/* the longest matching prefix: "LFE5UM5G-85F" before "LFE5UM-85F" never collides, but
	 * "xc7a35t" must not match "xc7a35t..." of a longer name by accident */
	const struct hb_build_device *best = NULL;
	for (size_t i = 0; i < sizeof devices / sizeof devices[0]; i++) {
		size_t n = strlen(devices[i].part_prefix);
		if (strncasecmp(part, devices[i].part_prefix, n) == 0 &&
		    (!best || n > strlen(best->part_prefix)))
			best = &devices[i];
	}
	return best;
}

/* ------------------------------------------------------------ small helpers */

static void set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* A string the plan owns (freed by hb_build_plan_free). NULL when out of memory. */
static const char *own(struct hb_build_plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *own(struct hb_build_plan *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	if (p->n_owned == p->cap_owned) {
		size_t nc = p->cap_owned ? 2 * p->cap_owned : 64;
		char **no = realloc(p->owned, nc * sizeof *no);
		if (!no) {
			free(s);
			return NULL;
		}
		p->owned = no;
		p->cap_owned = nc;
	}
	p->owned[p->n_owned++] = s;
	return s;
}

static bool file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The tools run in the build directory: every path they get is absolute. */
static void absolutize(char *path, size_t cap)
{
	if (path[0] == '/' || !path[0])
		return;
	char cwd[PATH_MAX], tmp[PATH_MAX];
	if (!getcwd(cwd, sizeof cwd))
		return;
	const char *rel = strncmp(path, "./", 2) == 0 ? path + 2 : path;
	if ((size_t)snprintf(tmp, sizeof tmp, "%s/%s", cwd, rel) < sizeof tmp && strlen(tmp) < cap)
		memcpy(path, tmp, strlen(tmp) + 1);
}

/* Paths go into yosys and Tcl scripts unquoted: allow only characters both take as is. */
static bool script_safe(const char *s)
{
	for (const char *q = s; *q; q++)
		if (!(isalnum((unsigned char)*q) || strchr("/._-+:@,=", *q)))
			return false;
	return true;
}

const char *hb_build_default_root(void)
{
	const char *env = getenv("HB_BITSTREAM_DIR");
	return env && *env ? env : HB_DEFAULT_BITSTREAM_DIR;
}

/* PATH search for an executable. */
static int path_find(void *ctx, const char *name, char *out, size_t cap)
{
	(void)ctx;
	if (strchr(name, '/'))
		return access(name, X_OK) == 0 ? (snprintf(out, cap, "%s", name), 0) : -1;
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	const char *p = path;
	while (*p) {
		const char *colon = strchr(p, ':');
		size_t n = colon ? (size_t)(colon - p) : strlen(p);
		char cand[PATH_MAX];
		int w = snprintf(cand, sizeof cand, "%.*s/%s", (int)n, n ? p : ".", name);
		struct stat st;
		if (w > 0 && (size_t)w < sizeof cand && stat(cand, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(cand, X_OK) == 0 && (size_t)snprintf(out, cap, "%s", cand) < cap)
			return 0;
		p += n;
		if (*p == ':')
			p++;
	}
	return -1;
}

static int host_find(const struct hb_build_host *h, const char *name, char *out, size_t cap)
{
	out[0] = '\0';
	if (h && h->find_tool)
		return h->find_tool(h->ctx, name, out, cap);
	return path_find(NULL, name, out, cap);
}

static const char *host_db(const struct hb_build_host *h)
{
	if (h && h->prjxray_db)
		return h->prjxray_db;
	const char *e = getenv("HB_PRJXRAY_DB");
	return e && *e ? e : "/usr/share/nextpnr/prjxray-db";
}

static const char *host_chipdb(const struct hb_build_host *h)
{
	if (h && h->xc7_chipdb)
		return h->xc7_chipdb;
	const char *e = getenv("HB_XC7_CHIPDB_DIR");
	return e && *e ? e : "/usr/share/nextpnr/xilinx-chipdb";
}

/* A profile's file: absolute as is; relative: next to the profile, else gateware/boards/. */
static enum hb_status resolve_board_file(const struct hb_board *b, const char *name, char *out,
					 size_t cap, char *err, size_t errlen, const char *key)
{
	if (name[0] == '/') {
		snprintf(out, cap, "%s", name);
	} else {
		out[0] = '\0';
		if (b->path[0]) {
			char dir[PATH_MAX];
			snprintf(dir, sizeof dir, "%s", b->path);
			char *slash = strrchr(dir, '/');
			if (slash) {
				*slash = '\0';
				char cand[PATH_MAX + 200];
				snprintf(cand, sizeof cand, "%s/%s", dir, name);
				if (file_exists(cand) && (size_t)snprintf(out, cap, "%s", cand) >= cap)
					out[0] = '\0';
			}
		}
		if (!out[0])
			snprintf(out, cap, "%s/gateware/boards/%s", hb_data_dir(), name);
	}
	absolutize(out, cap);
	if (!file_exists(out)) {
		set_err(err, errlen, "board %s: [build] %s = %s: no such file (looked next to %s and in "
			"%s/gateware/boards/)", b->name, key, name, b->path[0] ? b->path : "the profile",
			hb_data_dir());
		return HB_ERR_NOTFOUND;
	}
	return HB_OK;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The synthesisable RTL: every .v file in gateware/rtl/ (sim/ and synth/ below it are not). */
static enum hb_status find_rtl(struct hb_build_plan *p, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s/gateware/rtl", hb_data_dir());
	absolutize(dir, sizeof dir);
	DIR *d = opendir(dir);
	if (!d) {
		set_err(err, errlen, "%s: cannot list the RTL sources: %s (HB_DATA_DIR points at the "
			"hilbench source tree)", dir, strerror(errno));
		return HB_ERR_NOTFOUND;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (e->d_name[0] == '.' || l < 3 || strcmp(e->d_name + l - 2, ".v") != 0)
			continue;
		if (p->n_rtl == HB_BUILD_MAX_RTL) {
			closedir(d);
			set_err(err, errlen, "%s: more than %d RTL files", dir, HB_BUILD_MAX_RTL);
			return HB_ERR_RANGE;
		}
		char *s = NULL;
		if (asprintf(&s, "%s/%s", dir, e->d_name) < 0) {
			closedir(d);
			return HB_ERR_NOMEM;
		}
		p->rtl[p->n_rtl++] = s;
	}
	closedir(d);
	if (!p->n_rtl) {
		set_err(err, errlen, "%s: no .v files", dir);
		return HB_ERR_NOTFOUND;
	}
	qsort(p->rtl, p->n_rtl, sizeof p->rtl[0], cmp_str);
	return HB_OK;
}

/* ------------------------------------------------------------ the build hash */

static void hash_text(struct hb_sha256 *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void hash_text(struct hb_sha256 *s, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > 0)
		hb_sha256_update(s, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

static enum hb_status hash_file(struct hb_sha256 *s, const char *label, const char *path, char *err,
				size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		set_err(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		return HB_ERR_IO;
	}
	struct stat st;
	fstat(fileno(f), &st);
	const char *base = strrchr(path, '/');
	hash_text(s, "file %s/%s %lld\n", label, base ? base + 1 : path, (long long)st.st_size);
	char buf[8192];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		hb_sha256_update(s, buf, n);
	fclose(f);
	hb_sha256_update(s, "\n", 1);
	return HB_OK;
}

/* SHA-256 over: a format line, the flow and its recipe version, the board's parameters,
 * the clock generator settings, then every source file as "file <label>/<name> <size>\n"
 * + its bytes. File names only, not paths: the same sources hash the same anywhere. */
static enum hb_status compute_hash(struct hb_build_plan *p, char *err, size_t errlen)
{
	const struct hb_board *b = p->board;
	const struct hb_clkgen *c = &p->clk;
	struct hb_sha256 s;
	hb_sha256_init(&s);
	hash_text(&s, "hilbench build hash 1\n");
	hash_text(&s, "flow %s %s\n", flows[p->flow].name, flows[p->flow].version);
	hash_text(&s, "board %s\nfamily %s\npart %s\npackage %s\n", b->name, hb_family_name(b->family),
		  b->fpga_part, b->fpga_package);
	hash_text(&s, "top %s\nlanes %u\nbaud %u\nosc_hz %" PRIu64 "\n", b->gw_top, b->gw_lanes,
		  b->uart_baud, b->osc_hz);
	hash_text(&s, "clock %d %u %u %u %u %u %u %u %u %u %u %u %u\n", (int)c->kind, c->clk_hz,
		  c->divr, c->divf, c->divq, c->filter_range, c->clki_div, c->clkfb_div, c->clkop_div,
		  c->clkop_cphase, c->mmcm_d, c->mmcm_m, c->mmcm_o);
	for (size_t i = 0; i < p->n_rtl; i++) {
		enum hb_status st = hash_file(&s, "rtl", p->rtl[i], err, errlen);
		if (st != HB_OK)
			return st;
	}
	enum hb_status st = hash_file(&s, "top", p->top_path, err, errlen);
	if (st == HB_OK)
		st = hash_file(&s, "constraints", p->pins_path, err, errlen);
	if (st != HB_OK)
		return st;
	uint8_t d[32];
	hb_sha256_final(&s, d);
	p->hash = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
	snprintf(p->hash_hex, sizeof p->hash_hex, "%08" PRIx32, p->hash);
	return HB_OK;
}

/* ------------------------------------------------------------ plans */

struct param {
	const char *name;
	unsigned long long value;
};

/* The board top's build parameters (docs/gateware.md "Board tops"). */
static size_t top_params(const struct hb_build_plan *p, struct param *out)
{
	const struct hb_board *b = p->board;
	const struct hb_clkgen *c = &p->clk;
	size_t n = 0;
	out[n++] = (struct param){"BUILD_HASH", p->hash};
	out[n++] = (struct param){"LANES", b->gw_lanes};
	out[n++] = (struct param){"BAUD", b->uart_baud};
	out[n++] = (struct param){"CLK_HZ", c->clk_hz};
	switch (b->family) {
	case HB_FAMILY_ICE40:
		out[n++] = (struct param){"PLL_DIVR", c->divr};
		out[n++] = (struct param){"PLL_DIVF", c->divf};
		out[n++] = (struct param){"PLL_DIVQ", c->divq};
		out[n++] = (struct param){"PLL_FILTER_RANGE", c->filter_range};
		break;
	case HB_FAMILY_ECP5:
		out[n++] = (struct param){"PLL_ENABLE", c->kind == HB_CLKGEN_ECP5_PLL};
		if (c->kind == HB_CLKGEN_ECP5_PLL) {
			out[n++] = (struct param){"PLL_CLKI_DIV", c->clki_div};
			out[n++] = (struct param){"PLL_CLKFB_DIV", c->clkfb_div};
			out[n++] = (struct param){"PLL_CLKOP_DIV", c->clkop_div};
			out[n++] = (struct param){"PLL_CLKOP_CPHASE", c->clkop_cphase};
		}
		break;
	case HB_FAMILY_ARTIX7:
		out[n++] = (struct param){"MMCM_ENABLE", c->kind == HB_CLKGEN_XC7_MMCM};
		if (c->kind == HB_CLKGEN_XC7_MMCM) {
			out[n++] = (struct param){"MMCM_D", c->mmcm_d};
			out[n++] = (struct param){"MMCM_M", c->mmcm_m};
			out[n++] = (struct param){"MMCM_O", c->mmcm_o};
		}
		break;
	default:
		break;
	}
	return n;
}

/* A growing text buffer for the generated scripts. */
struct text {
	char *s;
	size_t n, cap;
	int oom;
};

static void tprintf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tprintf(struct text *t, const char *fmt, ...)
{
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(t->s ? t->s + t->n : NULL, t->s ? t->cap - t->n : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (t->s && t->n + (size_t)n < t->cap) {
			t->n += (size_t)n;
			return;
		}
		size_t nc = (t->cap ? t->cap * 2 : 4096) + (size_t)n;
		char *ns = realloc(t->s, nc);
		if (!ns) {
			t->oom = 1;
			return;
		}
		t->s = ns;
		t->cap = nc;
	}
}

static const char *add_file(struct hb_build_plan *p, const char *name, struct text *t)
{
	if (t->oom || !t->s)
		return NULL;
	if (p->n_owned == p->cap_owned) {
		size_t nc = p->cap_owned ? 2 * p->cap_owned : 64;
		char **no = realloc(p->owned, nc * sizeof *no);
		if (!no)
			return NULL;
		p->owned = no;
		p->cap_owned = nc;
	}
	p->owned[p->n_owned++] = t->s;
	p->files[p->n_files++] = (struct hb_build_file){.name = name, .text = t->s};
	return t->s;
}

static struct hb_build_step *add_step(struct hb_build_plan *p, const char *what, const char *tool,
				      const char *log)
{
	struct hb_build_step *s = &p->steps[p->n_steps++];
	memset(s, 0, sizeof *s);
	s->what = what;
	s->tool = tool;
	s->log = log;
	s->argv[s->argc++] = tool;
	return s;
}

static void arg(struct hb_build_step *s, const char *a)
{
	if (s->argc < HB_BUILD_MAX_ARGS)
		s->argv[s->argc++] = a;
	s->argv[s->argc] = NULL;
}

static void add_tool(struct hb_build_plan *p, const char *name, const char *version_arg,
		     const struct hb_build_host *h)
{
	for (size_t i = 0; i < p->n_tools; i++)
		if (strcmp(p->tools[i].name, name) == 0)
			return;
	struct hb_build_tool *t = &p->tools[p->n_tools++];
	memset(t, 0, sizeof *t);
	t->name = name;
	t->version_arg = version_arg;
	if (host_find(h, name, t->path, sizeof t->path) != 0)
		t->path[0] = '\0';
}

static void header(struct text *t, const struct hb_build_plan *p, const char *c)
{
	char desc[256];
	hb_clkgen_describe(&p->clk, desc, sizeof desc);
	tprintf(t, "%s generated by `hilbench build` (docs/gateware.md, \"Build flows\"); do not edit\n",
		c);
	tprintf(t, "%s board %s (%s), flow %s, build hash 0x%s\n", c, p->board->name,
		p->board->fpga_part, flows[p->flow].name, p->hash_hex);
	tprintf(t, "%s core clock: %s\n", c, desc);
}

/* The part name prjxray's database uses: Vivado's xc7a35ticsg324-1L -> xc7a35tcsg324-1 (no
 * industrial-grade 'i', no L: prjxray has the commercial -1 speed grade only). */
static void prjxray_part(const char *part, char *out, size_t cap)
{
	char lower[64];
	size_t n = 0;
	for (; part[n] && n < sizeof lower - 1; n++)
		lower[n] = (char)tolower((unsigned char)part[n]);
	lower[n] = '\0';
	/* xc7 <a|k|s|z> <digits> t [i] <package> - <speed> [l] */
	const char *t = lower + 4;
	while (isdigit((unsigned char)*t))
		t++;
	if (strncmp(lower, "xc7", 3) != 0 || *t != 't') {
		snprintf(out, cap, "%s", lower);
		return;
	}
	t++;
	int dev_len = (int)(t - lower);
	if (*t == 'i')
		t++;
	const char *dash = strchr(t, '-');
	int pkg_len = dash ? (int)(dash - t) : (int)strlen(t);
	char speed = dash && isdigit((unsigned char)dash[1]) ? dash[1] : '1';
	snprintf(out, cap, "%.*s%.*s-%c", dev_len, lower, pkg_len, t, speed);
}

static void add_missing(char *buf, size_t cap, const char *what)
{
	size_t l = strlen(buf);
	snprintf(buf + l, cap - l, "%s%s", l ? ", " : "", what);
}

static enum hb_status plan_yosys(struct hb_build_plan *p, const char *synth_cmd, const char *net)
{
	struct text t = {0};
	header(&t, p, "#");
	for (size_t i = 0; i < p->n_rtl; i++)
		tprintf(&t, "read_verilog -DSYNTHESIS %s\n", p->rtl[i]);
	tprintf(&t, "read_verilog -DSYNTHESIS %s\n", p->top_path);
	struct param pr[16];
	size_t np = top_params(p, pr);
	tprintf(&t, "chparam");
	for (size_t i = 0; i < np; i++)
		tprintf(&t, " -set %s %llu", pr[i].name, pr[i].value);
	tprintf(&t, " %s\n", p->board->gw_top);
	tprintf(&t, "%s\n", synth_cmd);
	if (p->flow == HB_FLOW_OPENXC7)
		tprintf(&t, "write_json %s\n", net);
	tprintf(&t, "tee -q -o %s/stat.json stat -json\n", p->dir);
	if (!add_file(p, "synth.ys", &t)) {
		free(t.s);
		return HB_ERR_NOMEM;
	}
	struct hb_build_step *s = add_step(p, "synthesis", "yosys", "yosys.log");
	arg(s, "-s");
	arg(s, own(p, "%s/synth.ys", p->dir));
	return HB_OK;
}

static enum hb_status plan_icestorm(struct hb_build_plan *p, const char *base)
{
	const char *net = own(p, "%s/%s.json", p->dir, base);
	const char *asc = own(p, "%s/%s.asc", p->dir, base);
	const char *mhz = own(p, "%.6g", p->target_mhz);
	const char *synth = own(p, "synth_ice40 -dsp -abc9 -top %s -json %s", p->board->gw_top, net);
	enum hb_status st = plan_yosys(p, synth, net);
	if (st != HB_OK || p->synth_only)
		return st;
	struct hb_build_step *s = add_step(p, "place and route", "nextpnr-ice40", "nextpnr.log");
	arg(s, own(p, "--%s", p->dev->pnr_device));
	arg(s, "--package");
	arg(s, own(p, "%s", p->board->fpga_package));
	arg(s, "--pcf");
	arg(s, p->pins_path);
	arg(s, "--json");
	arg(s, net);
	arg(s, "--asc");
	arg(s, asc);
	arg(s, "--freq");
	arg(s, mhz);
	arg(s, "--timing-allow-fail"); /* the gate below decides, with the whole report at hand */
	arg(s, "--report");
	arg(s, own(p, "%s/nextpnr.json", p->dir));
	s->needs = net;
	s->may_fail = 1;
	s = add_step(p, "bitstream", "icepack", "icepack.log");
	arg(s, asc);
	arg(s, p->bitstream);
	s->needs = asc;
	s = add_step(p, "timing", "icetime", "icetime.log");
	arg(s, "-d");
	arg(s, own(p, "%s", p->dev->pnr_device));
	arg(s, "-P");
	arg(s, own(p, "%s", p->board->fpga_package));
	arg(s, "-p");
	arg(s, p->pins_path);
	arg(s, "-c");
	arg(s, mhz);
	arg(s, "-t");
	arg(s, "-r");
	arg(s, own(p, "%s/icetime.rpt", p->dir));
	arg(s, asc);
	s->needs = asc;
	s->may_fail = 1; /* icetime -c exits non-zero below the target; the gate says so */
	return HB_OK;
}

/* "LFE5U-85F-6BG381C" -> '6' */
static char ecp5_speed(const char *part)
{
	const char *q = strstr(part, "F-");
	return q && isdigit((unsigned char)q[2]) ? q[2] : '6';
}

static enum hb_status plan_trellis(struct hb_build_plan *p, const char *base)
{
	const char *net = own(p, "%s/%s.json", p->dir, base);
	const char *cfg = own(p, "%s/%s.config", p->dir, base);
	const char *synth = own(p, "synth_ecp5 -top %s -json %s", p->board->gw_top, net);
	enum hb_status st = plan_yosys(p, synth, net);
	if (st != HB_OK || p->synth_only)
		return st;
	struct hb_build_step *s = add_step(p, "place and route", "nextpnr-ecp5", "nextpnr.log");
	arg(s, own(p, "--%s", p->dev->pnr_device));
	arg(s, "--package");
	arg(s, own(p, "%s", p->board->fpga_package));
	arg(s, "--speed");
	arg(s, own(p, "%c", ecp5_speed(p->board->fpga_part)));
	arg(s, "--lpf");
	arg(s, p->pins_path);
	arg(s, "--json");
	arg(s, net);
	arg(s, "--textcfg");
	arg(s, cfg);
	arg(s, "--freq");
	arg(s, own(p, "%.6g", p->target_mhz));
	arg(s, "--timing-allow-fail");
	arg(s, "--report");
	arg(s, own(p, "%s/nextpnr.json", p->dir));
	s->needs = net;
	s->may_fail = 1;
	s = add_step(p, "bitstream", "ecppack", "ecppack.log");
	arg(s, "--compress"); /* what ULX3S users expect: loads faster over the FT231X */
	arg(s, cfg);
	arg(s, p->bitstream);
	s->needs = cfg;
	return HB_OK;
}

static enum hb_status plan_vivado(struct hb_build_plan *p, const char *base)
{
	struct text t = {0};
	header(&t, p, "#");
	tprintf(&t, "# run: vivado -mode batch -nojournal -nolog -source build.tcl\n");
	for (size_t i = 0; i < p->n_rtl; i++)
		tprintf(&t, "read_verilog %s\n", p->rtl[i]);
	tprintf(&t, "read_verilog %s\n", p->top_path);
	tprintf(&t, "read_xdc %s\n", p->pins_path);
	struct param pr[16];
	size_t np = top_params(p, pr);
	tprintf(&t, "synth_design -top %s -part %s -verilog_define SYNTHESIS", p->board->gw_top,
		p->board->fpga_part);
	for (size_t i = 0; i < np; i++) {
		if (strcmp(pr[i].name, "BUILD_HASH") == 0)
			tprintf(&t, " \\\n    -generic %s=32'h%s", pr[i].name, p->hash_hex);
		else
			tprintf(&t, " \\\n    -generic %s=%llu", pr[i].name, pr[i].value);
	}
	tprintf(&t, "\n");
	tprintf(&t, "opt_design\nplace_design\nroute_design\n");
	tprintf(&t, "write_checkpoint -force %s/%s_routed.dcp\n", p->dir, base);
	tprintf(&t, "report_utilization -file %s/utilization.rpt\n", p->dir);
	tprintf(&t, "report_timing_summary -max_paths 10 -report_unconstrained -file %s/timing_summary.rpt\n",
		p->dir);
	tprintf(&t, "# no bitstream from a design that misses timing (hilbench checks the reports too)\n");
	tprintf(&t, "set wns [get_property SLACK [get_timing_paths -max_paths 1 -nworst 1 -setup]]\n");
	tprintf(&t, "set whs [get_property SLACK [get_timing_paths -max_paths 1 -nworst 1 -hold]]\n");
	tprintf(&t, "if {$wns eq \"\" || $whs eq \"\" || $wns < 0 || $whs < 0} {\n");
	tprintf(&t, "    puts \"hilbench: timing not met at %.6g MHz (WNS $wns ns, WHS $whs ns): no bitstream\"\n",
		p->target_mhz);
	tprintf(&t, "    exit 3\n}\n");
	tprintf(&t, "set_property CFGBVS VCCO [current_design]\n");
	tprintf(&t, "set_property CONFIG_VOLTAGE 3.3 [current_design]\n");
	tprintf(&t, "set_property BITSTREAM.GENERAL.COMPRESS TRUE [current_design]\n");
	tprintf(&t, "write_bitstream -force %s\n", p->bitstream);
	if (!add_file(p, "build.tcl", &t)) {
		free(t.s);
		return HB_ERR_NOMEM;
	}
	struct hb_build_step *s = add_step(p, "synthesis, implementation, bitstream", "vivado",
					   "vivado.log");
	arg(s, "-mode");
	arg(s, "batch");
	arg(s, "-nojournal");
	arg(s, "-nolog");
	arg(s, "-source");
	arg(s, own(p, "%s/build.tcl", p->dir));
	s->may_fail = 1; /* the reports say why; a timing failure exits 3 on purpose */
	return HB_OK;
}

static enum hb_status plan_openxc7(struct hb_build_plan *p, const char *base, const char *xpart,
				   const char *chipdb, const char *db)
{
	const char *net = own(p, "%s/%s.json", p->dir, base);
	const char *fasm = own(p, "%s/%s.fasm", p->dir, base);
	const char *frames = own(p, "%s/%s.frames", p->dir, base);
	const char *synth = own(p, "synth_xilinx -family xc7 -flatten -top %s", p->board->gw_top);
	enum hb_status st = plan_yosys(p, synth, net);
	if (st != HB_OK || p->synth_only)
		return st;
	struct hb_build_step *s = add_step(p, "place and route", "nextpnr-xilinx", "nextpnr.log");
	arg(s, "--chipdb");
	arg(s, chipdb);
	arg(s, "--xdc");
	arg(s, p->pins_path);
	arg(s, "--json");
	arg(s, net);
	arg(s, "--write");
	arg(s, own(p, "%s/%s_routed.json", p->dir, base));
	arg(s, "--fasm");
	arg(s, fasm);
	arg(s, "--freq");
	arg(s, own(p, "%.6g", p->target_mhz));
	s->needs = net;
	s->may_fail = 1; /* without --timing-allow-fail it stops on a timing failure: the log says */
	s = add_step(p, "frames", "fasm2frames", "fasm2frames.log");
	arg(s, "--part");
	arg(s, xpart);
	arg(s, "--db-root");
	arg(s, own(p, "%s/artix7", db));
	arg(s, fasm);
	s->stdout_file = frames;
	s->needs = fasm;
	s = add_step(p, "bitstream", "xc7frames2bit", "xc7frames2bit.log");
	arg(s, "--part_file");
	arg(s, own(p, "%s/artix7/%s/part.yaml", db, xpart));
	arg(s, "--part_name");
	arg(s, xpart);
	arg(s, "--frm_file");
	arg(s, frames);
	arg(s, "--output_file");
	arg(s, p->bitstream);
	s->needs = frames;
	return HB_OK;
}

static bool flow_known(const char *name, enum hb_build_flow *out)
{
	for (size_t i = 0; i < sizeof flows / sizeof flows[0]; i++)
		if (strcmp(flows[i].name, name) == 0) {
			*out = (enum hb_build_flow)i;
			return true;
		}
	return false;
}

/* The gateware's UART divides the core clock by round(clk / baud): at least 4 cycles per bit
 * and within 2 % of the profile's rate (docs/boards.md, [uart] baud). */
static bool uart_divides(uint32_t clk_hz, uint32_t baud, uint64_t *div_out, uint64_t *actual_out)
{
	uint64_t div = ((uint64_t)clk_hz + baud / 2) / baud;
	uint64_t actual = div ? clk_hz / div : 0;
	uint64_t diff = actual > baud ? actual - baud : baud - actual;
	if (div_out)
		*div_out = div;
	if (actual_out)
		*actual_out = actual;
	return div >= 4 && diff * 50 <= baud;
}

/* A clock the board builds at exactly: its clock generator makes it to the Hz and the UART
 * divides it (what the nearest-clock advice names, so that asking for it gets it). */
static bool buildable(const struct hb_board *b, uint64_t hz, struct hb_clkgen *c)
{
	return hb_clkgen_for(b->family, b->osc_hz, hz, c, NULL, 0) == HB_OK && c->clk_hz == hz &&
	       uart_divides(c->clk_hz, b->uart_baud, NULL, NULL);
}

enum hb_status hb_build_nearest_clocks(const struct hb_board *b, uint64_t hz, uint64_t *below,
				       uint64_t *above)
{
	*below = *above = 0;
	if (!b->uart_baud || b->family == HB_FAMILY_SIM)
		return HB_ERR_ARG;
	/* a clock the UART divides is within 2 % of baud * d: try those, outward from hz */
	struct hb_clkgen c;
	uint64_t d0 = hz / b->uart_baud;
	for (uint64_t d = d0; d >= 4 && !*below; d--)
		if ((uint64_t)b->uart_baud * d <= hz && buildable(b, (uint64_t)b->uart_baud * d, &c))
			*below = (uint64_t)b->uart_baud * d;
	for (uint64_t d = d0 < 4 ? 4 : d0; (uint64_t)b->uart_baud * d <= 1000000000ull && !*above; d++)
		if ((uint64_t)b->uart_baud * d >= hz && buildable(b, (uint64_t)b->uart_baud * d, &c))
			*above = (uint64_t)b->uart_baud * d;
	if (*below == hz || *above == hz)
		*below = *above = hz;
	return *below || *above ? HB_OK : HB_ERR_NOTFOUND;
}

/* "; the nearest clocks board X builds at are 15 and 18 MHz" */
static void name_nearest(const struct hb_board *b, uint64_t hz, char *buf, size_t cap)
{
	uint64_t lo, hi;
	buf[0] = '\0';
	if (hb_build_nearest_clocks(b, hz, &lo, &hi) != HB_OK)
		return;
	if (lo && hi && lo != hi)
		snprintf(buf, cap, "; the nearest clocks board %s builds at are %.6g and %.6g MHz", b->name,
			 lo / 1e6, hi / 1e6);
	else
		snprintf(buf, cap, "; the nearest clock board %s builds at is %.6g MHz", b->name,
			 (lo ? lo : hi) / 1e6);
}

enum hb_status hb_build_check_clock(const struct hb_board *b, uint64_t hz, struct hb_clkgen *clk,
				    char *err, size_t errlen)
{
	char why[320] = "", near[160];
	bool say = err && errlen;
	enum hb_status st = hb_clkgen_for(b->family, b->osc_hz, hz, clk, say ? why : NULL, sizeof why);
	if (st != HB_OK) {
		if (st == HB_ERR_RANGE && say) {
			name_nearest(b, hz, near, sizeof near);
			set_err(err, errlen, "board %s: %s%s (its UART runs at %u baud)", b->name, why, near,
				b->uart_baud);
		} else {
			set_err(err, errlen, "board %s: %s", b->name, why);
		}
		return st;
	}
	uint64_t div, actual;
	if (!uart_divides(clk->clk_hz, b->uart_baud, &div, &actual)) {
		if (!say)
			return HB_ERR_RANGE;
		name_nearest(b, hz, near, sizeof near);
		set_err(err, errlen, "board %s at %.6g MHz (the clock generator makes %.6f MHz): the UART "
			"divides the core clock by %llu for %u baud (%llu baud, %s)%s", b->name, hz / 1e6,
			clk->fout_hz / 1e6, (unsigned long long)div, b->uart_baud,
			(unsigned long long)actual, div < 4 ? "fewer than 4 cycles per bit" : "more than 2 % off",
			near[0] ? near : "; pick a clock that is a multiple of the baud rate");
		return HB_ERR_RANGE;
	}
	return HB_OK;
}

enum hb_status hb_build_plan(const struct hb_build_opts *o, struct hb_build_plan *p, char *err,
			     size_t errlen)
{
	memset(p, 0, sizeof *p);
	const struct hb_board *b = o->board;
	p->board = b;
	p->synth_only = o->synth_only;
	if (!b || b->family == HB_FAMILY_SIM) {
		set_err(err, errlen, "board %s is the virtual board: it simulates the RTL, there is no "
			"bitstream to build", b ? b->name : "?");
		return HB_ERR_ARG;
	}
	if (!b->build.flow[0]) {
		set_err(err, errlen, "board %s: the profile (%s) has no [build] section naming its flow, "
			"top file, constraints and bitstream (docs/boards.md)", b->name,
			b->path[0] ? b->path : "built in code");
		return HB_ERR_ARG;
	}
	p->dev = hb_build_device_find(b->fpga_part);
	if (!p->dev || p->dev->family != b->family) {
		set_err(err, errlen, "board %s: part %s is not one the %s flow knows (bench/core/hb_build.c "
			"devices[])", b->name, b->fpga_part, b->build.flow);
		return HB_ERR_ARG;
	}

	/* the clock, and the UART divider it gives */
	uint64_t want = o->clock_hz ? o->clock_hz : b->core_clock_hz;
	enum hb_status st = hb_build_check_clock(b, want, &p->clk, err, errlen);
	if (st != HB_OK)
		return HB_ERR_ARG;
	p->target_mhz = p->clk.clk_hz / 1e6;

	/* the flow */
	const char *fname = o->flow ? o->flow : b->build.flow;
	enum hb_build_flow flow;
	bool auto_xc7 = strcmp(fname, "xc7") == 0;
	if (auto_xc7)
		flow = HB_FLOW_VIVADO;
	else if (!flow_known(fname, &flow)) {
		set_err(err, errlen, "unknown flow '%s' (icestorm, trellis, vivado, openxc7, xc7)", fname);
		return HB_ERR_ARG;
	}
	static const enum hb_family flow_family[] = {
		[HB_FLOW_ICESTORM] = HB_FAMILY_ICE40, [HB_FLOW_TRELLIS] = HB_FAMILY_ECP5,
		[HB_FLOW_VIVADO] = HB_FAMILY_ARTIX7, [HB_FLOW_OPENXC7] = HB_FAMILY_ARTIX7,
	};
	if (flow_family[flow] != b->family) {
		set_err(err, errlen, "flow %s builds for %s; board %s is %s", fname,
			hb_family_name(flow_family[flow]), b->name, hb_family_name(b->family));
		return HB_ERR_ARG;
	}
	/* openXC7's part and databases (also needed to decide "xc7") */
	char xpart[64], chipdb[PATH_MAX], partyaml[PATH_MAX + 128];
	const char *db = host_db(o->host);
	prjxray_part(b->fpga_part, xpart, sizeof xpart);
	if (b->family == HB_FAMILY_ARTIX7) {
		const char *cdir = host_chipdb(o->host);
		snprintf(chipdb, sizeof chipdb, "%s/%s.bin", cdir, xpart);
		if (!file_exists(chipdb)) {
			char alt[PATH_MAX];
			if ((size_t)snprintf(alt, sizeof alt, "%s/%s.bin", cdir, p->dev->pnr_device) < sizeof alt &&
			    file_exists(alt))
				memcpy(chipdb, alt, sizeof alt);
		}
		snprintf(partyaml, sizeof partyaml, "%s/artix7/%s/part.yaml", db, xpart);
	}
	if (p->synth_only && flow == HB_FLOW_VIVADO)
		flow = HB_FLOW_OPENXC7; /* "yosys alone": the open flow's synthesis */
	char tmp[PATH_MAX];
	if (auto_xc7 && !p->synth_only && host_find(o->host, "vivado", tmp, sizeof tmp) != 0) {
		bool open_ok = host_find(o->host, "yosys", tmp, sizeof tmp) == 0 &&
			       host_find(o->host, "nextpnr-xilinx", tmp, sizeof tmp) == 0 &&
			       host_find(o->host, "fasm2frames", tmp, sizeof tmp) == 0 &&
			       host_find(o->host, "xc7frames2bit", tmp, sizeof tmp) == 0 &&
			       file_exists(chipdb) && file_exists(partyaml);
		if (open_ok)
			flow = HB_FLOW_OPENXC7;
	}
	p->flow = flow;

	/* files */
	st = resolve_board_file(b, b->build.top_file, p->top_path, sizeof p->top_path, err, errlen,
				"top_file");
	if (st == HB_OK)
		st = resolve_board_file(b, b->build.constraints, p->pins_path, sizeof p->pins_path, err,
					errlen, "constraints");
	if (st == HB_OK)
		st = find_rtl(p, err, errlen);
	if (st != HB_OK)
		return st == HB_ERR_NOMEM ? st : HB_ERR_ARG;
	st = compute_hash(p, err, errlen);
	if (st != HB_OK)
		return HB_ERR_ARG;

	snprintf(p->root, sizeof p->root, "%s", o->root ? o->root : hb_build_default_root());
	absolutize(p->root, sizeof p->root);
	for (size_t n = strlen(p->root); n > 1 && p->root[n - 1] == '/'; n--)
		p->root[n - 1] = '\0';
	if ((size_t)snprintf(p->dir, sizeof p->dir, "%s/%s/%s", p->root, b->name, p->hash_hex) >=
		    sizeof p->dir ||
	    (size_t)snprintf(p->bitstream, sizeof p->bitstream, "%s/%s", p->dir, b->build.bitstream) >=
		    sizeof p->bitstream) {
		set_err(err, errlen, "%s: path too long", p->root);
		return HB_ERR_ARG;
	}
	const char *paths[] = {p->dir, p->top_path, p->pins_path, db};
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
		if (!script_safe(paths[i])) {
			set_err(err, errlen, "%s: the tools' scripts cannot take this path (use letters, "
				"digits and / . _ - + only; choose another --out)", paths[i]);
			return HB_ERR_ARG;
		}
	for (size_t i = 0; i < p->n_rtl; i++)
		if (!script_safe(p->rtl[i])) {
			set_err(err, errlen, "%s: the tools' scripts cannot take this path (set "
				"HB_DATA_DIR to a copy of the sources at a plain path)", p->rtl[i]);
			return HB_ERR_ARG;
		}

	char base[64];
	snprintf(base, sizeof base, "%s", b->build.bitstream);
	char *dot = strrchr(base, '.');
	if (dot)
		*dot = '\0';
	switch (flow) {
	case HB_FLOW_ICESTORM:
		st = plan_icestorm(p, base);
		add_tool(p, "yosys", "-V", o->host);
		if (!p->synth_only) {
			add_tool(p, "nextpnr-ice40", "--version", o->host);
			add_tool(p, "icepack", NULL, o->host);
			add_tool(p, "icetime", NULL, o->host);
		}
		break;
	case HB_FLOW_TRELLIS:
		st = plan_trellis(p, base);
		add_tool(p, "yosys", "-V", o->host);
		if (!p->synth_only) {
			add_tool(p, "nextpnr-ecp5", "--version", o->host);
			add_tool(p, "ecppack", "--version", o->host);
		}
		break;
	case HB_FLOW_VIVADO:
		st = plan_vivado(p, base);
		add_tool(p, "vivado", "-version", o->host);
		break;
	case HB_FLOW_OPENXC7:
		st = plan_openxc7(p, base, own(p, "%s", xpart), own(p, "%s", chipdb), db);
		add_tool(p, "yosys", "-V", o->host);
		if (!p->synth_only) {
			add_tool(p, "nextpnr-xilinx", "--version", o->host);
			add_tool(p, "fasm2frames", NULL, o->host);
			add_tool(p, "xc7frames2bit", NULL, o->host);
		}
		break;
	}
	if (st != HB_OK)
		return st;
	for (size_t i = 0; i < p->n_owned; i++)
		if (!p->owned[i])
			return HB_ERR_NOMEM;
	for (size_t i = 0; i < p->n_steps; i++)
		for (int k = 0; k < p->steps[i].argc; k++)
			if (!p->steps[i].argv[k])
				return HB_ERR_NOMEM;

	/* what this host lacks */
	for (size_t i = 0; i < p->n_tools; i++)
		if (!p->tools[i].path[0])
			add_missing(p->missing, sizeof p->missing, p->tools[i].name);
	if (flow == HB_FLOW_OPENXC7 && !p->synth_only) {
		if (!file_exists(chipdb))
			add_missing(p->missing, sizeof p->missing,
				    own(p, "the nextpnr-xilinx chip database %s (set HB_XC7_CHIPDB_DIR)", chipdb));
		if (!file_exists(partyaml))
			add_missing(p->missing, sizeof p->missing,
				    own(p, "the prjxray database %s (set HB_PRJXRAY_DB)", partyaml));
	}
	if (flow == HB_FLOW_VIVADO && auto_xc7 && p->missing[0]) {
		char alt[sizeof p->missing + 400];
		snprintf(alt, sizeof alt, "%s (or, for openXC7: yosys, nextpnr-xilinx, fasm2frames, "
			 "xc7frames2bit and the prjxray database at %s/artix7)", p->missing, db);
		snprintf(p->missing, sizeof p->missing, "%.*s", (int)sizeof p->missing - 1, alt);
	}
	if (b->family == HB_FAMILY_ARTIX7)
		snprintf(p->device_note, sizeof p->device_note,
			 "openXC7 part %s (prjxray has no -1L timing: the -1 figures are used)", xpart);
	return HB_OK;
}

void hb_build_plan_free(struct hb_build_plan *p)
{
	for (size_t i = 0; i < p->n_owned; i++)
		free(p->owned[i]);
	free(p->owned);
	for (size_t i = 0; i < p->n_rtl; i++)
		free(p->rtl[i]);
	p->owned = NULL;
	p->n_owned = p->cap_owned = p->n_rtl = 0;
}

/* ------------------------------------------------------------ printing */

static void quote_arg(const char *a, char *buf, size_t cap, size_t *n)
{
	bool plain = *a != '\0';
	for (const char *q = a; *q; q++)
		if (!(isalnum((unsigned char)*q) || strchr("/._-+:@,=%", *q)))
			plain = false;
	int w;
	if (plain) {
		w = snprintf(buf + *n, cap - *n, "%s", a);
	} else {
		w = snprintf(buf + *n, cap - *n, "'");
		if (w > 0 && *n + (size_t)w < cap)
			*n += (size_t)w;
		for (const char *q = a; *q && *n + 5 < cap; q++) {
			if (*q == '\'') {
				memcpy(buf + *n, "'\\''", 4);
				*n += 4;
			} else {
				buf[(*n)++] = *q;
			}
		}
		buf[*n] = '\0';
		w = snprintf(buf + *n, cap - *n, "'");
	}
	if (w > 0)
		*n = *n + (size_t)w < cap ? *n + (size_t)w : cap - 1;
}

void hb_build_step_format(const struct hb_build_step *s, char *buf, size_t cap)
{
	size_t n = 0;
	buf[0] = '\0';
	for (int i = 0; i < s->argc && n + 2 < cap; i++) {
		if (i)
			buf[n++] = ' ', buf[n] = '\0';
		quote_arg(s->argv[i], buf, cap, &n);
	}
	if (s->stdout_file && n + 4 < cap) {
		snprintf(buf + n, cap - n, " > ");
		n += 3;
		quote_arg(s->stdout_file, buf, cap, &n);
	}
}

void hb_build_plan_print(const struct hb_build_plan *p, FILE *f)
{
	const struct hb_board *b = p->board;
	char desc[256];
	hb_clkgen_describe(&p->clk, desc, sizeof desc);
	fprintf(f, "board:      %s (%s, %s), top %s, P = %u, %u baud\n", b->name, b->fpga_part,
		hb_family_name(b->family), b->gw_top, b->gw_lanes, b->uart_baud);
	fprintf(f, "flow:       %s%s\n", flows[p->flow].name,
		p->synth_only ? " (synthesis only: a resource report, no bitstream)" : "");
	fprintf(f, "clock:      %.6g MHz requested; %s\n", p->clk.request_hz / 1e6, desc);
	fprintf(f, "build hash: 0x%s (IDENTIFY reports it; sources: %zu RTL files, %s, %s)\n",
		p->hash_hex, p->n_rtl, b->build.top_file, b->build.constraints);
	fprintf(f, "directory:  %s\n", p->dir);
	if (!p->synth_only)
		fprintf(f, "bitstream:  %s\n", p->bitstream);
	if (p->device_note[0] && p->flow == HB_FLOW_OPENXC7)
		fprintf(f, "device:     %s\n", p->device_note);
	fprintf(f, "tools:     ");
	for (size_t i = 0; i < p->n_tools; i++)
		fprintf(f, " %s (%s)%s", p->tools[i].name,
			p->tools[i].path[0] ? p->tools[i].path : "NOT FOUND",
			i + 1 < p->n_tools ? "," : "\n");
	if (p->missing[0])
		fprintf(f, "missing:    %s: this host cannot run the flow (the plan below is what it "
			"would run)\n", p->missing);
	if (p->flow == HB_FLOW_ICESTORM || p->flow == HB_FLOW_TRELLIS || p->flow == HB_FLOW_OPENXC7)
		fprintf(f, "gate:       fits the %s%s\n", b->fpga_part,
			p->synth_only ? " (by synthesis)"
			: p->flow == HB_FLOW_ICESTORM ? " and Fmax >= the clock by nextpnr and icetime"
						      : " and Fmax >= the clock by nextpnr");
	else
		fprintf(f, "gate:       fits the %s, WNS >= 0 and WHS >= 0 (report_timing_summary)\n",
			b->fpga_part);
	for (size_t i = 0; i < p->n_files; i++) {
		fprintf(f, "\n--- %s/%s\n%s", p->dir, p->files[i].name, p->files[i].text);
		fprintf(f, "--- end of %s\n", p->files[i].name);
	}
	fprintf(f, "\n");
	for (size_t i = 0; i < p->n_steps; i++) {
		char cmd[4096];
		hb_build_step_format(&p->steps[i], cmd, sizeof cmd);
		fprintf(f, "step %zu/%zu: %s (log %s)\n  %s\n", i + 1, p->n_steps, p->steps[i].what,
			p->steps[i].log, cmd);
	}
}

/* ------------------------------------------------------------ running */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct child_out {
	int log_fd;          /* everything read goes here (-1: nowhere) */
	char last[200];      /* the last non-empty line */
	char cur[200];       /* the line being assembled */
	size_t cur_n;
	char tail[2048];     /* the last bytes, for failure messages */
	size_t tail_n;
	char first[200];     /* the first non-empty line (version probes) */
};

static void take(struct child_out *c, const char *buf, size_t n)
{
	if (c->log_fd >= 0) {
		size_t off = 0;
		while (off < n) {
			ssize_t w = write(c->log_fd, buf + off, n - off);
			if (w <= 0)
				break;
			off += (size_t)w;
		}
	}
	for (size_t i = 0; i < n; i++) {
		char ch = buf[i];
		if (c->tail_n == sizeof c->tail) {
			memmove(c->tail, c->tail + 1024, sizeof c->tail - 1024);
			c->tail_n -= 1024;
		}
		c->tail[c->tail_n++] = ch;
		if (ch == '\n' || ch == '\r') {
			if (c->cur_n) {
				c->cur[c->cur_n] = '\0';
				snprintf(c->last, sizeof c->last, "%s", c->cur);
				if (!c->first[0])
					snprintf(c->first, sizeof c->first, "%s", c->cur);
			}
			c->cur_n = 0;
		} else if (c->cur_n < sizeof c->cur - 1 && (unsigned char)ch >= 0x20) {
			c->cur[c->cur_n++] = ch;
		}
	}
}

struct progress {
	FILE *out;
	int tty;
	const char *label;   /* "[2/4] place and route (nextpnr-ice40)" */
	double t0, last_print;
};

static void progress_tick(struct progress *pr, const struct child_out *c)
{
	if (!pr->out)
		return;
	double t = now_s(), el = t - pr->t0;
	if (pr->tty) {
		if (t - pr->last_print < 0.5)
			return;
		fprintf(pr->out, "\r\033[K%s: %.0f s  %.70s", pr->label, el, c->last);
		fflush(pr->out);
		pr->last_print = t;
	} else if (t - pr->last_print >= 30) {
		fprintf(pr->out, "%s: still running, %.0f s; last line: %.120s\n", pr->label, el, c->last);
		fflush(pr->out);
		pr->last_print = t;
	}
}

/* Run argv (argv[0] = the executable's path) in cwd; stdout and stderr into c (and its log),
 * or stdout into stdout_path. Returns the exit code, 128 + signal, or -1 (could not start,
 * errno set). timeout_s 0 = none. */
static int run_child(const char *const *argv, const char *cwd, const char *stdout_path,
		     struct child_out *c, struct progress *pr, double timeout_s)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) != 0)
		return -1;
	int out_fd = -1;
	if (stdout_path) {
		out_fd = open(stdout_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (out_fd < 0) {
			close(pfd[0]), close(pfd[1]);
			return -1;
		}
	}
	pid_t pid = fork();
	if (pid < 0) {
		close(pfd[0]), close(pfd[1]);
		if (out_fd >= 0)
			close(out_fd);
		return -1;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, 0);
		dup2(out_fd >= 0 ? out_fd : pfd[1], 1);
		dup2(pfd[1], 2);
		if (cwd && chdir(cwd) != 0)
			_exit(126);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(pfd[1]);
	if (out_fd >= 0)
		close(out_fd);
	double t0 = now_s();
	int killed = 0;
	for (;;) {
		struct pollfd pf = {.fd = pfd[0], .events = POLLIN};
		int r = poll(&pf, 1, 500);
		if (r < 0 && errno != EINTR)
			break;
		if (r > 0) {
			char buf[4096];
			ssize_t n = read(pfd[0], buf, sizeof buf);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			take(c, buf, (size_t)n);
		}
		if (pr)
			progress_tick(pr, c);
		if (timeout_s > 0 && now_s() - t0 > timeout_s && !killed) {
			kill(pid, SIGKILL);
			killed = 1;
		}
	}
	close(pfd[0]);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (c->cur_n) {
		c->cur[c->cur_n] = '\0';
		snprintf(c->last, sizeof c->last, "%s", c->cur);
		if (!c->first[0])
			snprintf(c->first, sizeof c->first, "%s", c->cur);
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

static void probe_versions(struct hb_build_plan *p)
{
	for (size_t i = 0; i < p->n_tools; i++) {
		struct hb_build_tool *t = &p->tools[i];
		if (!t->path[0] || !t->version_arg)
			continue;
		const char *argv[] = {t->path, t->version_arg, NULL};
		struct child_out c = {.log_fd = -1};
		if (run_child(argv, NULL, NULL, &c, NULL, 60) == 0)
			snprintf(t->version, sizeof t->version, "%.159s", c.first);
	}
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 65536, n = 0;
	char *s = malloc(cap);
	while (s) {
		size_t got = fread(s + n, 1, cap - n - 1, f);
		n += got;
		if (n < cap - 1)
			break;
		char *ns = realloc(s, cap * 2);
		if (!ns) {
			free(s);
			s = NULL;
			break;
		}
		s = ns;
		cap *= 2;
	}
	fclose(f);
	if (s)
		s[n] = '\0';
	return s;
}

static int write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	int ok = fputs(text, f) >= 0;
	return fclose(f) == 0 && ok ? 0 : -1;
}

static int mkdir_p(const char *path)
{
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof tmp, "%s", path);
	for (char *q = tmp + 1; *q; q++)
		if (*q == '/') {
			*q = '\0';
			if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
				return -1;
			*q = '/';
		}
	return mkdir(tmp, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* Empty the build directory (a new build starts from nothing), keeping the lock. */
static void clean_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, ".lock")) {
			char path[PATH_MAX + 256];
			snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
			if (unlink(path) != 0 && errno == EISDIR) {
				/* Vivado leaves .Xil/: not ours to recurse into; leave it */
			}
		}
	closedir(d);
}

static void collect(const struct hb_build_plan *p, struct hb_build_report *r)
{
	char path[PATH_MAX + 64];
	char *t;
	snprintf(path, sizeof path, "%s/stat.json", p->dir);
	if ((t = read_text(path))) {
		r->have_synth = hb_parse_yosys_stat(t, &r->synth) == HB_OK;
		free(t);
	}
	snprintf(path, sizeof path, "%s/nextpnr.json", p->dir);
	if ((t = read_text(path))) {
		r->have_pnr = hb_parse_nextpnr_report(t, &r->pnr) == HB_OK && r->pnr.n_util;
		free(t);
	}
	if (!r->have_pnr) {
		snprintf(path, sizeof path, "%s/nextpnr.log", p->dir);
		if ((t = read_text(path))) {
			r->have_pnr = hb_parse_nextpnr_log(t, &r->pnr) == HB_OK;
			free(t);
		}
	}
	snprintf(path, sizeof path, "%s/icetime.rpt", p->dir);
	if ((t = read_text(path))) {
		if (hb_parse_icetime(t, &r->icetime_mhz) != HB_OK)
			r->icetime_mhz = -1;
		free(t);
	}
	snprintf(path, sizeof path, "%s/timing_summary.rpt", p->dir);
	if ((t = read_text(path))) {
		r->have_vt = hb_parse_vivado_timing(t, &r->vt) == HB_OK;
		free(t);
	}
	snprintf(path, sizeof path, "%s/utilization.rpt", p->dir);
	if ((t = read_text(path))) {
		r->have_vu = hb_parse_vivado_util(t, &r->vu) == HB_OK;
		free(t);
	}
}

/* Did place and route finish? Its output exists. */
static int placed(const struct hb_build_plan *p)
{
	char path[PATH_MAX + 64], base[64];
	snprintf(base, sizeof base, "%s", p->board->build.bitstream);
	char *dot = strrchr(base, '.');
	if (dot)
		*dot = '\0';
	static const char *const ext[] = {
		[HB_FLOW_ICESTORM] = ".asc", [HB_FLOW_TRELLIS] = ".config",
		[HB_FLOW_VIVADO] = "_routed.dcp", [HB_FLOW_OPENXC7] = ".fasm",
	};
	snprintf(path, sizeof path, "%s/%s%s", p->dir, base, ext[p->flow]);
	return file_exists(path);
}

static void describe_missing(const struct hb_build_plan *p, char *err, size_t errlen)
{
	size_t n = (size_t)snprintf(err, errlen,
				    "not found on this host: %s. The %s flow for board %s needs %s; it would run:",
				    p->missing, flows[p->flow].name, p->board->name,
				    strchr(p->missing, ',') ? "them" : "it");
	for (size_t i = 0; i < p->n_steps && n < errlen; i++) {
		char cmd[2048];
		hb_build_step_format(&p->steps[i], cmd, sizeof cmd);
		n += (size_t)snprintf(err + n, errlen - n, "\n  %s", cmd);
	}
	if (n < errlen)
		snprintf(err + n, errlen - n, "\n(`hilbench build --board %s --dry-run` prints the "
			 "generated scripts too%s)", p->board->name,
			 p->synth_only || p->board->family == HB_FAMILY_ICE40
				 ? "" : "; --synth-only runs yosys alone for a resource report");
}

static void init_report(const struct hb_build_plan *p, struct hb_build_report *r)
{
	memset(r, 0, sizeof *r);
	r->synth_only = p->synth_only;
	r->icetime_mhz = -1;
	r->fmax_mhz = -1;
	r->logic_cells = -1;
	r->fits = -1;
	r->timing_pass = -1;
	r->cap_luts = p->dev->luts;
	r->cap_ffs = p->dev->ffs;
	r->cap_bram = p->dev->bram;
	r->cap_dsp = p->dev->dsp;
	r->cap_spram = p->dev->spram;
}

/* A cached build: read back what report.json says (enough for the summary). */
static int load_cached(const struct hb_build_plan *p, struct hb_build_report *r)
{
	init_report(p, r);
	collect(p, r);
	char path[PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/report.json", p->dir);
	if (!file_exists(path))
		return -1;
	r->placed = p->synth_only ? 0 : placed(p);
	hb_build_gate(p, r, p->synth_only ? 0 : file_exists(p->bitstream));
	r->cached = 1;
	return r->pass ? 0 : -1;
}

enum hb_status hb_build_run(const struct hb_build_opts *o, struct hb_build_plan *p,
			    struct hb_build_report *r, char *err, size_t errlen)
{
	FILE *out = o->out;
	init_report(p, r);
	if (p->missing[0]) {
		describe_missing(p, err, errlen);
		return HB_ERR_NOTFOUND;
	}
	if (mkdir_p(p->dir) != 0) {
		set_err(err, errlen, "%s: cannot create the build directory: %s", p->dir, strerror(errno));
		return HB_ERR_IO;
	}
	char lockpath[PATH_MAX + 16], okpath[PATH_MAX + 16], reppath[PATH_MAX + 16];
	snprintf(lockpath, sizeof lockpath, "%s/.lock", p->dir);
	snprintf(okpath, sizeof okpath, "%s/%s", p->dir, p->synth_only ? "synth.ok" : "build.ok");
	snprintf(reppath, sizeof reppath, "%s/report.json", p->dir);
	int lock = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) != 0) {
		set_err(err, errlen, "%s: another hilbench build is working in this directory right now",
			p->dir);
		if (lock >= 0)
			close(lock);
		return HB_ERR_BUSY;
	}
	/* the cache */
	char full_ok[PATH_MAX + 16];
	snprintf(full_ok, sizeof full_ok, "%s/build.ok", p->dir);
	if (!o->force && (file_exists(okpath) || (p->synth_only && file_exists(full_ok))) &&
	    (p->synth_only || file_exists(p->bitstream)) && load_cached(p, r) == 0) {
		if (out)
			fprintf(out, "cached: build 0x%s already made and passed (%s); --force rebuilds it\n",
				p->hash_hex, p->dir);
		close(lock);
		return HB_OK;
	}
	init_report(p, r);
	clean_dir(p->dir);
	for (size_t i = 0; i < p->n_files; i++) {
		char path[PATH_MAX + 64];
		snprintf(path, sizeof path, "%s/%s", p->dir, p->files[i].name);
		if (write_text(path, p->files[i].text) != 0) {
			set_err(err, errlen, "%s: cannot write: %s", path, strerror(errno));
			close(lock);
			return HB_ERR_IO;
		}
	}
	probe_versions(p);

	double t_start = now_s();
	enum hb_status result = HB_OK;
	int tty = out && isatty(fileno(out));
	for (size_t i = 0; i < p->n_steps; i++) {
		const struct hb_build_step *s = &p->steps[i];
		char label[160];
		snprintf(label, sizeof label, "[%zu/%zu] %s (%s)", i + 1, p->n_steps, s->what, s->tool);
		if (s->needs && !file_exists(s->needs)) {
			if (out)
				fprintf(out, "%s: skipped (%s was not made)\n", label, s->needs);
			continue;
		}
		const char *argv[HB_BUILD_MAX_ARGS + 1];
		memcpy(argv, s->argv, sizeof argv);
		for (size_t k = 0; k < p->n_tools; k++)
			if (strcmp(p->tools[k].name, s->tool) == 0)
				argv[0] = p->tools[k].path;
		char logpath[PATH_MAX + 64];
		snprintf(logpath, sizeof logpath, "%s/%s", p->dir, s->log);
		struct child_out c = {.log_fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)};
		struct progress pr = {.out = out, .tty = tty, .label = label, .t0 = now_s()};
		pr.last_print = pr.t0;
		if (out && !tty) {
			fprintf(out, "%s ...\n", label);
			fflush(out);
		}
		int rc = run_child(argv, p->dir, s->stdout_file, &c, &pr, 0);
		if (c.log_fd >= 0)
			close(c.log_fd);
		double el = now_s() - pr.t0;
		if (out) {
			if (tty)
				fprintf(out, "\r\033[K");
			if (rc == 0)
				fprintf(out, "%s: done (%.1f s)\n", label, el);
			else
				fprintf(out, "%s: exit %d after %.1f s (log %s)%s\n", label, rc, el, logpath,
					s->may_fail ? "; the reports decide" : "");
			fflush(out);
		}
		if (rc != 0 && !s->may_fail) {
			set_err(r->failure, sizeof r->failure, "%s failed (exit %d, log %s): %.200s", s->tool,
				rc, logpath, c.last);
			if (out) {
				/* the end of the log says why */
				const char *tail = c.tail;
				size_t n = c.tail_n, lines = 0;
				while (n > 0 && lines < 12)
					if (tail[--n] == '\n')
						lines++;
				fprintf(out, "--- last lines of %s:\n%.*s\n---\n", s->log,
					(int)(c.tail_n - n), tail + n);
			}
			result = HB_ERR_IO;
			break;
		}
	}
	r->seconds = now_s() - t_start;
	collect(p, r);
	r->placed = p->synth_only ? 0 : placed(p);
	int made = !p->synth_only && file_exists(p->bitstream);
	hb_build_gate(p, r, made);
	char *json = hb_build_report_json(p, r);
	if (!json || write_text(reppath, json) != 0) {
		free(json);
		set_err(err, errlen, "%s: cannot write the report: %s", reppath, strerror(errno));
		close(lock);
		return HB_ERR_IO;
	}
	free(json);
	if (r->pass && result == HB_OK) {
		if (write_text(okpath, p->hash_hex) != 0) {
			set_err(err, errlen, "%s: cannot write: %s", okpath, strerror(errno));
			result = HB_ERR_IO;
		}
	} else {
		set_err(err, errlen, "board %s: %s (report %s)", p->board->name,
			r->failure[0] ? r->failure : "the build failed", reppath);
		if (result == HB_OK)
			result = HB_ERR_MISMATCH;
	}
	close(lock);
	return result;
}

/* ------------------------------------------------------------ finding a bitstream */

enum hb_status hb_build_bitstream_path(const struct hb_board *board, uint64_t clock_hz,
				       const char *root, char *path, size_t cap, char *err,
				       size_t errlen)
{
	if (!board->build.flow[0]) {
		set_err(err, errlen, "board %s: the profile has no [build] section, so hilbench does not "
			"know which bitstream it runs: pass --bitstream FILE (or add [build], docs/boards.md)",
			board->name);
		return HB_ERR_ARG;
	}
	/* "xc7" may have been built by either Artix-7 flow */
	const char *cands[2] = {board->build.flow, NULL};
	if (strcmp(board->build.flow, "xc7") == 0)
		cands[0] = "vivado", cands[1] = "openxc7";
	char failed[600] = "", command[160];
	uint64_t hz = clock_hz ? clock_hz : board->core_clock_hz;
	if (clock_hz && clock_hz != board->core_clock_hz)
		snprintf(command, sizeof command, "hilbench build --board %s --clock-mhz %.6g", board->name,
			 (double)hz / 1e6);
	else
		snprintf(command, sizeof command, "hilbench build --board %s", board->name);
	char first_dir[PATH_MAX] = "", hash[16] = "";
	for (size_t i = 0; i < 2 && cands[i]; i++) {
		struct hb_build_opts o = {.board = board, .clock_hz = hz, .root = root, .flow = cands[i]};
		struct hb_build_plan p;
		char perr[512];
		enum hb_status st = hb_build_plan(&o, &p, perr, sizeof perr);
		if (st != HB_OK) {
			set_err(err, errlen, "board %s: %s", board->name, perr);
			return st;
		}
		char ok[PATH_MAX + 16];
		snprintf(ok, sizeof ok, "%s/build.ok", p.dir);
		if (file_exists(ok) && file_exists(p.bitstream)) {
			snprintf(path, cap, "%s", p.bitstream);
			hb_build_plan_free(&p);
			return HB_OK;
		}
		if (!first_dir[0]) {
			snprintf(first_dir, sizeof first_dir, "%s", p.dir);
			snprintf(hash, sizeof hash, "%s", p.hash_hex);
		}
		char rep[PATH_MAX + 16];
		snprintf(rep, sizeof rep, "%s/report.json", p.dir);
		char *t = read_text(rep);
		if (t && !failed[0]) {
			const char *f = strstr(t, "\"failure\":");
			char why[400] = "see report.json";
			if (f && (f = strchr(f, ':')) && (f = strchr(f, '"'))) {
				const char *e = strchr(f + 1, '"');
				if (e)
					snprintf(why, sizeof why, "%.*s", (int)(e - f - 1), f + 1);
			}
			snprintf(failed, sizeof failed, "; the last build there failed: %s", why);
		}
		free(t);
		hb_build_plan_free(&p);
	}
	/* other builds of this board (other sources or clocks) */
	char bdir[PATH_MAX + 64];
	snprintf(bdir, sizeof bdir, "%s/%s", root ? root : hb_build_default_root(), board->name);
	size_t others = 0;
	DIR *d = opendir(bdir);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)))
			if (e->d_name[0] != '.' && strcmp(e->d_name, hash) != 0)
				others++;
		closedir(d);
	}
	char other_note[PATH_MAX + 200] = "";
	if (others)
		snprintf(other_note, sizeof other_note, " (%zu other build%s in %s: other sources or clocks)",
			 others, others == 1 ? "" : "s", bdir);
	set_err(err, errlen, "no bitstream for board %s at %.6g MHz from the current sources (build hash "
		"0x%s, %s)%s%s: make it with `%s` (or give --bitstream FILE)",
		board->name, (double)hz / 1e6, hash, first_dir, failed, other_note, command);
	return HB_ERR_NOTFOUND;
}

/* ------------------------------------------------------------ one bitstream per clock */

enum hb_status hb_build_ensure(const struct hb_build_opts *o, int build, struct hb_build_clock *bc,
			       char *err, size_t errlen)
{
	memset(bc, 0, sizeof *bc);
	bc->fmax_mhz = -1;
	const struct hb_board *b = o->board;
	bc->request_hz = o->clock_hz ? o->clock_hz : b ? b->core_clock_hz : 0;
	struct hb_build_plan p;
	enum hb_status st = hb_build_plan(o, &p, err, errlen);
	if (st != HB_OK) {
		hb_build_plan_free(&p);
		return st;
	}
	bc->clk = p.clk;
	snprintf(bc->hash_hex, sizeof bc->hash_hex, "%s", p.hash_hex);
	snprintf(bc->dir, sizeof bc->dir, "%s", p.dir);
	snprintf(bc->bitstream, sizeof bc->bitstream, "%s", p.bitstream);
	if (o->clock_hz && o->clock_hz != b->core_clock_hz)
		snprintf(bc->command, sizeof bc->command, "hilbench build --board %s --clock-mhz %.6g",
			 b->name, (double)o->clock_hz / 1e6);
	else
		snprintf(bc->command, sizeof bc->command, "hilbench build --board %s", b->name);
	char ok[PATH_MAX + 16];
	snprintf(ok, sizeof ok, "%s/build.ok", p.dir);
	if (!build) {
		if (file_exists(ok) && file_exists(p.bitstream)) {
			struct hb_build_report r;
			if (load_cached(&p, &r) == 0) {
				bc->cached = bc->ready = 1;
				bc->fmax_mhz = r.fmax_mhz;
				hb_build_plan_free(&p);
				return HB_OK;
			}
		}
		set_err(err, errlen, "board %s at %.6g MHz: no bitstream in the cache (build 0x%s, %s): "
			"`%s` makes it", b->name, bc->request_hz / 1e6, p.hash_hex, p.dir, bc->command);
		hb_build_plan_free(&p);
		return HB_ERR_NOTFOUND;
	}
	struct hb_build_report r;
	st = hb_build_run(o, &p, &r, err, errlen);
	bc->cached = r.cached;
	bc->seconds = r.cached ? 0 : r.seconds;
	bc->fmax_mhz = r.fmax_mhz;
	bc->ready = st == HB_OK && r.pass;
	hb_build_plan_free(&p);
	return st;
}
