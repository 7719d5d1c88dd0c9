/* hilbench — building a board's bitstream (`hilbench build`), and finding it again.
 *
 * A build is planned from the board profile ([fpga], [uart], [gateware] and [build]) and a
 * core clock: the clock generator settings (hb_pll.h), the build hash, the generated scripts
 * and the exact command lines of every step. The plan is pure data: `--dry-run` prints it,
 * tests compare it with golden text, hb_build_run() executes it (fork/exec with an argument
 * vector, no shell), step by step, each tool's output in its own log, then parses the tools'
 * reports into report.json and applies the gate: the design fits and meets the clock.
 *
 * Flows (docs/gateware.md "Build flows"):
 *   icestorm  yosys synth_ice40 -> nextpnr-ice40 -> icepack -> icetime (iCE40)
 *   trellis   yosys synth_ecp5 -> nextpnr-ecp5 -> ecppack --compress (ECP5)
 *   vivado    vivado -mode batch -source build.tcl: synthesis, implementation, timing and
 *             utilisation reports, bitstream (Artix-7)
 *   openxc7   yosys synth_xilinx -> nextpnr-xilinx -> fasm2frames -> xc7frames2bit (Artix-7)
 *   xc7       vivado where it is found, else openxc7
 *
 * Builds are cached by the build hash: <root>/<board>/<hash>/ holds the scripts, the logs,
 * report.json and the bitstream; a second build of the same hash reuses it. The hash is the
 * one the gateware reports in IDENTIFY: the first 32 bits of a SHA-256 over the flow, the
 * board's parameters, the clock generator settings and the contents of every source file. */
#ifndef HB_BUILD_H
#define HB_BUILD_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hb_board.h"
#include "hb_pll.h"
#include "hb_status.h"

enum hb_build_flow {
	HB_FLOW_ICESTORM,
	HB_FLOW_TRELLIS,
	HB_FLOW_VIVADO,
	HB_FLOW_OPENXC7,
};
const char *hb_build_flow_name(enum hb_build_flow f);

/* What a host offers. NULL members mean "this machine": PATH search, environment. */
struct hb_build_host {
	/* Resolve a program name to an executable path; 0 if found. */
	int (*find_tool)(void *ctx, const char *name, char *path, size_t cap);
	void *ctx;
	const char *prjxray_db;  /* openXC7: prjxray database root (has artix7/); else $HB_PRJXRAY_DB,
				    else /usr/share/nextpnr/prjxray-db */
	const char *xc7_chipdb;  /* openXC7: nextpnr-xilinx chip databases; else $HB_XC7_CHIPDB_DIR,
				    else /usr/share/nextpnr/xilinx-chipdb */
};

struct hb_build_opts {
	const struct hb_board *board;
	uint64_t clock_hz;        /* 0 = the profile's core_clock_hz */
	const char *root;         /* cache root; NULL = hb_build_default_root() */
	const char *flow;         /* NULL = the profile's [build] flow; "vivado"/"openxc7" force one */
	int synth_only;           /* yosys alone: a resource report, no bitstream (not vivado) */
	int force;                /* rebuild even when the cache holds this hash */
	FILE *out;                /* progress lines; NULL = silent */
	const struct hb_build_host *host; /* NULL = this machine */
};

#define HB_BUILD_MAX_STEPS 5
#define HB_BUILD_MAX_ARGS 40
#define HB_BUILD_MAX_FILES 2
#define HB_BUILD_MAX_TOOLS 6
#define HB_BUILD_MAX_RTL 32

struct hb_build_step {
	const char *what;         /* "synthesis", "place and route", "bitstream", "timing" */
	const char *tool;         /* program name ("nextpnr-ice40") */
	const char *argv[HB_BUILD_MAX_ARGS + 1]; /* argv[0] = the tool's name; NULL-terminated */
	int argc;
	const char *log;          /* log file name inside the build directory */
	const char *stdout_file;  /* non-NULL: the tool's stdout goes to this file, not the log */
	const char *needs;        /* an input path: the step is skipped when it does not exist */
	int may_fail;             /* a non-zero exit is recorded and the gate decides (nextpnr
				     and icetime: the reports still say what went wrong) */
};

struct hb_build_file {
	const char *name;         /* file name inside the build directory */
	const char *text;
};

struct hb_build_tool {
	const char *name;
	char path[PATH_MAX];      /* "" = not found on this host */
	const char *version_arg;  /* "--version", "-V", NULL = the tool has none */
	char version[160];        /* first line of its version output (filled by a real build) */
};

/* An FPGA part the flows know: tool arguments and capacities (hb_build.c's table). */
struct hb_build_device {
	const char *part_prefix;  /* matched case-insensitively against [fpga] part */
	enum hb_family family;
	const char *pnr_device;   /* nextpnr: "up5k", "85k"; openXC7: the chip database "xc7a35t" */
	long luts, ffs, bram, dsp, spram; /* capacities; bram in EBR / DP16KD / RAMB18 */
	const char *bram_unit;
};
const struct hb_build_device *hb_build_device_find(const char *part);

struct hb_build_plan {
	const struct hb_board *board;
	const struct hb_build_device *dev;
	enum hb_build_flow flow;
	int synth_only;
	struct hb_clkgen clk;
	double target_mhz;        /* the achieved core clock, MHz: the timing target */
	uint32_t hash;
	char hash_hex[9];
	char root[PATH_MAX];
	char dir[PATH_MAX];       /* <root>/<board>/<hash_hex> */
	char bitstream[PATH_MAX]; /* <dir>/<[build] bitstream> */
	char top_path[PATH_MAX];
	char pins_path[PATH_MAX];
	size_t n_rtl;
	char *rtl[HB_BUILD_MAX_RTL];
	size_t n_files;
	struct hb_build_file files[HB_BUILD_MAX_FILES];
	size_t n_steps;
	struct hb_build_step steps[HB_BUILD_MAX_STEPS];
	size_t n_tools;
	struct hb_build_tool tools[HB_BUILD_MAX_TOOLS];
	char missing[512];        /* what this host lacks for the flow ("" = nothing) */
	char device_note[256];    /* flow-specific facts for people (openXC7 part and databases) */
	/* strings the plan owns */
	char **owned;
	size_t n_owned, cap_owned;
};

/* The clock a board builds at: its clock generator's setting for hz (hb_clkgen_for, from the
 * profile's osc_hz), and the UART divider that setting gives must be >= 4 cycles per bit and
 * within 2 % of [uart] baud. HB_ERR_RANGE when not, with a message that names the nearest
 * clocks the board does build at (hb_build_nearest_clocks); HB_ERR_ARG for a board without a
 * clock generator (sim). clk->clk_hz is the achieved clock: CLK_HZ, IDENTIFY's clock. */
enum hb_status hb_build_check_clock(const struct hb_board *b, uint64_t hz, struct hb_clkgen *clk,
				    char *err, size_t errlen);
/* The nearest clocks at or below and at or above hz that the board builds at exactly (its
 * clock generator makes them to the Hz and they pass hb_build_check_clock), among the multiples
 * of the baud rate (where the UART's divider is exact); 0 where there is none. HB_ERR_NOTFOUND
 * when neither exists. */
enum hb_status hb_build_nearest_clocks(const struct hb_board *b, uint64_t hz, uint64_t *below,
				       uint64_t *above);

/* Plan a build. HB_ERR_ARG for a request that cannot be built (no [build] section, a clock
 * the PLL cannot make or the UART cannot divide, a path the scripts cannot hold), with the
 * reason in err. A missing tool is not an error here: plan->missing names it. */
enum hb_status hb_build_plan(const struct hb_build_opts *o, struct hb_build_plan *p, char *err,
			     size_t errlen);
void hb_build_plan_free(struct hb_build_plan *p);
/* The plan as people read it: what, where, the generated files, the command lines. */
void hb_build_plan_print(const struct hb_build_plan *p, FILE *f);
/* One command line, shell-quoted, argv[0] as the tool's name. */
void hb_build_step_format(const struct hb_build_step *s, char *buf, size_t cap);

/* ------------------------------------------------------------ results */

#define HB_BUILD_MAX_UTIL 24
#define HB_BUILD_MAX_CLOCKS 8

/* Place-and-route results, from a nextpnr log or its --report JSON. */
struct hb_pnr_result {
	size_t n_util;
	struct {
		char bel[40];
		long used, available;
	} util[HB_BUILD_MAX_UTIL];
	size_t n_clocks;
	struct {
		char name[96];
		double achieved_mhz, constraint_mhz;
	} clocks[HB_BUILD_MAX_CLOCKS];
};

/* Resources counted by yosys `stat -json` (cell types of the three families). */
struct hb_synth_counts {
	long luts, ffs, carry, lutram, bram, spram, dsp; /* bram: EBR / DP16KD / RAMB18 units */
};

/* Vivado report_timing_summary: the "Design Timing Summary" table. */
struct hb_vivado_timing {
	double wns_ns, tns_ns, whs_ns, ths_ns;
	long setup_failing, setup_endpoints, hold_failing, hold_endpoints;
	int all_met;              /* "All user specified timing constraints are met." */
	int has_setup;            /* WNS was a number (not NA/inf: no constrained paths) */
};

/* Vivado report_utilization: used / available of the sites hilbench reports. */
struct hb_vivado_util {
	long luts, luts_avail, lut_mem, regs, regs_avail, dsp, dsp_avail;
	double bram_tiles, bram_tiles_avail; /* a RAMB36 tile holds two RAMB18 */
};

enum hb_status hb_parse_yosys_stat(const char *json, struct hb_synth_counts *c);
enum hb_status hb_parse_nextpnr_log(const char *text, struct hb_pnr_result *r);
enum hb_status hb_parse_nextpnr_report(const char *json, struct hb_pnr_result *r);
/* icetime -r: "Total path delay: 35.60 ns (28.09 MHz)"; HB_ERR_FORMAT when absent. */
enum hb_status hb_parse_icetime(const char *text, double *mhz);
enum hb_status hb_parse_vivado_timing(const char *text, struct hb_vivado_timing *t);
enum hb_status hb_parse_vivado_util(const char *text, struct hb_vivado_util *u);

struct hb_build_report {
	int synth_only;
	int placed;               /* place and route produced a result */
	struct hb_synth_counts synth;
	int have_synth;
	struct hb_pnr_result pnr;
	int have_pnr;
	struct hb_vivado_timing vt;
	int have_vt;
	struct hb_vivado_util vu;
	int have_vu;
	long logic_cells;         /* iCE40 LCs / ECP5 slices after placement, -1 = unknown */
	long cap_luts, cap_ffs, cap_bram, cap_dsp, cap_spram;
	double fmax_mhz;          /* the slowest clock's Fmax (nextpnr), or Vivado's estimate; < 0 = none */
	double icetime_mhz;       /* < 0 = none */
	int fits;                 /* 1 yes, 0 no, -1 unknown */
	int timing_pass;          /* 1 yes, 0 no, -1 not checked (synthesis only) */
	int pass;
	char failure[512];        /* why the build failed ("" when it passed) */
	double seconds;
	int cached;               /* taken from the cache, nothing ran */
};

/* Build: plan (already made), run every step, write <dir>/report.json, gate. HB_OK when the
 * build passed; HB_ERR_NOTFOUND when a tool is missing (err names it and what would run);
 * HB_ERR_MISMATCH when the design does not fit or misses timing (report->failure says which);
 * HB_ERR_IO when a tool failed. */
enum hb_status hb_build_run(const struct hb_build_opts *o, struct hb_build_plan *p,
			    struct hb_build_report *r, char *err, size_t errlen);

/* Fill the gate fields (fits, timing_pass, pass, failure) from the parsed results. */
void hb_build_gate(const struct hb_build_plan *p, struct hb_build_report *r, int bitstream_made);
/* report.json for a plan and its results (malloc'ed string). */
char *hb_build_report_json(const struct hb_build_plan *p, const struct hb_build_report *r);
/* The result in a few lines for people: resources against capacity, Fmax, pass/fail. */
void hb_build_summary(const struct hb_build_plan *p, const struct hb_build_report *r, FILE *f);

/* ------------------------------------------------------------ finding a bitstream */

/* The cache root: $HB_BITSTREAM_DIR, else the build tree's bitstreams/ (compiled in). */
const char *hb_build_default_root(void);

/* The bitstream a finished, passing build made for this board at this clock (0 = the
 * profile's) from the sources as they are now. HB_OK with path; HB_ERR_NOTFOUND with err
 * saying which `hilbench build` command makes it (and why the last attempt failed, if one
 * did); HB_ERR_ARG when the profile has no [build] section. root NULL = default. */
enum hb_status hb_build_bitstream_path(const struct hb_board *board, uint64_t clock_hz,
				       const char *root, char *path, size_t cap, char *err,
				       size_t errlen);

/* ------------------------------------------------------------ one bitstream per clock */

/* The cached bitstream of one core clock (a sweep's clock block, docs/calibration.md "Sweeping
 * clocks on a real bench"). */
struct hb_build_clock {
	uint64_t request_hz;
	struct hb_clkgen clk;     /* clk.clk_hz: the achieved clock (CLK_HZ, IDENTIFY's) */
	char hash_hex[9];
	char dir[PATH_MAX];
	char bitstream[PATH_MAX];
	char command[200];        /* the `hilbench build` command that makes it */
	int cached;               /* it was in the cache: nothing ran */
	int ready;                /* a bitstream that passed the gate is at .bitstream */
	double seconds;           /* the build's wall time (0 from the cache) */
	double fmax_mhz;          /* nextpnr's Fmax of the build, < 0 unknown */
};

/* Make sure the bitstream for o->board at o->clock_hz (0 = the profile's) exists: plan it and,
 * with build set, run hb_build_run, which takes it from the cache when the hash was built and
 * passed (progress on o->out). Without build only the cache is looked at: HB_ERR_NOTFOUND
 * when it lacks the build (bc filled: hash, directory, command). Otherwise as hb_build_plan
 * and hb_build_run (HB_ERR_MISMATCH: misses timing, the message names the Fmax achieved). */
enum hb_status hb_build_ensure(const struct hb_build_opts *o, int build, struct hb_build_clock *bc,
			       char *err, size_t errlen);

#endif
