/* hilbench build — make a board's bitstream with the flow this host supports. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb_board.h"
#include "hb_build.h"
#include "hb_cli.h"

static void help(void)
{
	printf("Usage: hilbench build --board NAME [--clock-mhz F] [--dry-run] [--synth-only]\n"
	       "                      [--flow vivado|openxc7] [--out DIR] [--force]\n"
	       "\n"
	       "Builds the gateware bitstream for a board, from the RTL in gateware/rtl/ and the\n"
	       "board top, pins and flow its profile names ([build] in bench/boards/NAME.ini):\n"
	       "\n"
	       "  icestorm (iCEBreaker)  yosys synth_ice40 -> nextpnr-ice40 -> icepack -> icetime\n"
	       "  trellis  (ULX3S)       yosys synth_ecp5 -> nextpnr-ecp5 -> ecppack --compress\n"
	       "  xc7      (Arty A7)     Vivado in batch mode (a generated Tcl script), or where\n"
	       "                         Vivado is absent openXC7: yosys -> nextpnr-xilinx ->\n"
	       "                         fasm2frames -> xc7frames2bit\n"
	       "\n"
	       "Each step's output goes to its own log; progress shows on the terminal. The build\n"
	       "passes only when the design fits the part and meets the clock (nextpnr's Fmax, and\n"
	       "icetime's on iCE40; Vivado's WNS and WHS >= 0); report.json records resources,\n"
	       "Fmax, tool versions, the verdict and the build hash that the gateware reports in\n"
	       "IDENTIFY. `hilbench run --board NAME` then finds the bitstream by itself.\n"
	       "\n"
	       "Builds are cached by that hash in DIR/NAME/HASH/ (DIR: --out, $HB_BITSTREAM_DIR, or\n"
	       "the build tree's bitstreams/): building again, or a sweep over clocks, reuses every\n"
	       "build that exists. The hash covers the sources, the board's parameters, the clock\n"
	       "settings and the flow, so a changed file is a new build.\n"
	       "\n"
	       "Options:\n"
	       "  -b, --board NAME       board profile (see 'hilbench boards'); required\n"
	       "  -c, --clock-mhz F      core clock in MHz (default: the profile's core_clock_hz); the\n"
	       "                         PLL/MMCM settings are computed as icepll/ecppll do (or D/M/O\n"
	       "                         for the Artix-7 MMCM) and printed; the UART baud must divide\n"
	       "  -n, --dry-run          print the plan: clock settings, build hash, generated scripts,\n"
	       "                         every command line, and which tools this host lacks; run nothing\n"
	       "      --synth-only       yosys alone: a resource report, no place and route or bitstream\n"
	       "      --flow NAME        Artix-7: force 'vivado' or 'openxc7' (default: Vivado if found)\n"
	       "  -o, --out DIR          cache root (default $HB_BITSTREAM_DIR or <build>/bitstreams)\n"
	       "  -f, --force            build again even when the cache has this build\n"
	       "\n"
	       "A tool that is missing is named, with the commands the flow would run. Exit status:\n"
	       "0 built (or cached, or printed with --dry-run); 1 a tool is missing or failed, or the\n"
	       "design does not fit or misses timing (report.json says which); 2 a usage error.\n"
	       "\n"
	       "Examples:\n"
	       "  hilbench build --board icebreaker                  # about 1-2 minutes\n"
	       "  hilbench build --board icebreaker --clock-mhz 27   # another PLL setting\n"
	       "  hilbench build --board ulx3s --dry-run             # the ECP5 flow, spelled out\n"
	       "  hilbench build --board arty-a7-35t --flow openxc7 --dry-run\n"
	       "  hilbench build --board ulx3s --synth-only          # resources without nextpnr-ecp5\n");
}

int hb_cmd_build(struct hb_global *g, int argc, char **argv)
{
	enum { O_SYNTH = 256, O_FLOW };
	static const struct option opts[] = {
		{"board", required_argument, 0, 'b'},
		{"clock-mhz", required_argument, 0, 'c'},
		{"dry-run", no_argument, 0, 'n'},
		{"synth-only", no_argument, 0, O_SYNTH},
		{"flow", required_argument, 0, O_FLOW},
		{"out", required_argument, 0, 'o'},
		{"force", no_argument, 0, 'f'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	const char *board_name = NULL;
	int dry = 0, c;
	struct hb_build_opts o = {0};
	char *end;
	while ((c = getopt_long(argc, argv, "b:c:no:fh", opts, NULL)) != -1) {
		switch (c) {
		case 'b': board_name = optarg; break;
		case 'c': {
			double mhz = strtod(optarg, &end);
			if (end == optarg || *end || !(mhz > 0) || mhz > 1000)
				return hb_usage_error("build", "--clock-mhz %s: give the core clock in MHz, "
						      "0 < F <= 1000 (e.g. 24 or 33.3)", optarg);
			o.clock_hz = (uint64_t)llround(mhz * 1e6);
			break;
		}
		case 'n': dry = 1; break;
		case O_SYNTH: o.synth_only = 1; break;
		case O_FLOW:
			if (strcmp(optarg, "vivado") && strcmp(optarg, "openxc7") && strcmp(optarg, "icestorm") &&
			    strcmp(optarg, "trellis") && strcmp(optarg, "xc7"))
				return hb_usage_error("build", "--flow %s: one of vivado, openxc7 (Artix-7), "
						      "icestorm, trellis", optarg);
			o.flow = optarg;
			break;
		case 'o': o.root = optarg; break;
		case 'f': o.force = 1; break;
		case 'h': help(); return HB_EXIT_OK;
		default: return hb_usage_error("build", "unknown option (see hilbench build --help)");
		}
	}
	if (optind < argc)
		return hb_usage_error("build", "unexpected argument '%s'", argv[optind]);
	if (!board_name)
		return hb_usage_error("build", "--board NAME is required (hilbench boards lists them)");

	struct hb_board b;
	char err[4096];
	enum hb_status st = hb_board_find(board_name, g->boards_dir, &b, err, sizeof err);
	if (st != HB_OK)
		return st == HB_ERR_NOTFOUND ? hb_usage_error("build", "--board %s: %s", board_name, err)
					     : hb_usage_error("build", "%s", err);
	o.board = &b;
	o.out = g->quiet ? NULL : stdout;

	struct hb_build_plan p;
	st = hb_build_plan(&o, &p, err, sizeof err);
	if (st != HB_OK) {
		hb_build_plan_free(&p);
		return st == HB_ERR_NOMEM ? hb_fail("build", "out of memory")
					  : hb_usage_error("build", "%s", err);
	}
	if (dry) {
		hb_build_plan_print(&p, stdout);
		hb_build_plan_free(&p);
		return HB_EXIT_OK;
	}
	if (!g->quiet && !p.missing[0]) {
		char desc[256];
		hb_clkgen_describe(&p.clk, desc, sizeof desc);
		printf("hilbench build: %s (%s), flow %s%s, build hash 0x%s\n", b.name, b.fpga_part,
		       hb_build_flow_name(p.flow), p.synth_only ? " (synthesis only)" : "", p.hash_hex);
		printf("clock: %.6g MHz requested, %.6f MHz achieved: %s\n", p.clk.request_hz / 1e6,
		       p.clk.fout_hz / 1e6, desc);
		printf("directory: %s\n", p.dir);
		fflush(stdout);
	}
	struct hb_build_report r;
	st = hb_build_run(&o, &p, &r, err, sizeof err);
	if (st == HB_ERR_NOTFOUND || st == HB_ERR_BUSY) {
		hb_build_plan_free(&p);
		return hb_fail("build", "%s", err);
	}
	if (!g->quiet || st != HB_OK) {
		hb_build_summary(&p, &r, stdout);
		printf("report: %s/report.json\n", p.dir);
	}
	if (st == HB_OK && !p.synth_only && !g->quiet)
		printf("bitstream: %s\n", p.bitstream);
	hb_build_plan_free(&p);
	if (st != HB_OK)
		return hb_fail("build", "%s", err);
	return HB_EXIT_OK;
}
