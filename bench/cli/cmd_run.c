/* hilbench run — measure a network on a board (or the virtual board) and print the
 * profiler's table with the measured row beside the modeled one. */
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hb_cal.h"
#include "hb_cli.h"
#include "hb_receipt.h"
#include "hb_run.h"
#include "hb_term.h"

#define HB_RUN_MAX_L 4096

static volatile sig_atomic_t g_interrupted, g_abort;

/* First Ctrl-C: finish the current step, keep what was measured. Second: every wait gives up
 * at once; what was measured is still stored (interrupted). Third: exit now. */
static void on_sigint(int sig)
{
	(void)sig;
	if (g_abort)
		_exit(130);
	if (g_interrupted)
		g_abort = 1;
	g_interrupted = 1;
}

static void help(FILE *f)
{
	fprintf(f,
		"Usage: hilbench run [--board NAME] [--net NET] [options]\n"
		"\n"
		"Measure latency, throughput, power and energy per inference of a spiking network on\n"
		"a board and print SC-NeuroCore's profiler table with the measured row beside the\n"
		"analytic model's. Without --board the virtual board is used (the real gateware in\n"
		"Verilator with an INA219 model), and its exact ground truth is reported too.\n"
		"\n"
		"Procedure: flash (or start the virtual board) -> identify -> load and verify the network\n"
		"-> single streamed inferences (checked bit-exact against the golden model; host round\n"
		"trip) -> idle baseline -> warm-up -> W windows of back-to-back inferences, each\n"
		"integrated from the power monitor between the device's own timestamps.\n"
		"\n"
		"Options:\n"
		"  -b, --board NAME      board profile or family (sim, ice40, ecp5, artix7, icebreaker,\n"
		"                        ulx3s, arty-a7-35t; see 'hilbench boards'); default sim\n"
		"  -n, --net NET         network: digits, mnist-shape, or a path to a network file\n"
		"                        (docs/network-format.md); default digits\n"
		"  -w, --windows W       measurement windows (default 5; the median is reported)\n"
		"      --window-s S      length of each window in seconds (default 3)\n"
		"      --baseline-s S    idle baseline length in seconds (default 2)\n"
		"      --samples N       single streamed inferences for the golden check, accuracy and\n"
		"                        host round-trip latency (default 50)\n"
		"      --seed N          seed of the inputs for networks without a data set (default 1)\n"
		"      --json FILE       write the full result (rows, measured, truth) as JSON\n"
		"      --csv FILE        write the table rows as CSV\n"
		"      --plot FILE       draw the power trace with baseline and windows (.svg or .png; gnuplot)\n"
		"      --db PATH         results database (default ~/.local/share/hilbench/runs.sqlite)\n"
		"      --no-db           do not store the run\n"
		"      --no-flash        hardware: use the bitstream already on the board\n"
		"      --bitstream FILE  hardware: flash this bitstream instead of the board's build\n"
		"      --pacing MODE     virtual board: realtime or free (default from the profile)\n"
		"  -L, --length L        bitstream length instead of the network file's\n"
		"      --clock-mhz F     core clock: the virtual board runs at it; hardware flashes the\n"
		"                        bitstream built for it ('hilbench build --clock-mhz F') and must\n"
		"                        report the clock its PLL makes of F (or --bitstream FILE)\n"
		"      --input-scale S   scale the input values by S in (0, 1] (fewer input spikes)\n"
		"      --calibration FILE add a calibrated row predicted by this calibration\n"
		"                        (hilbench calibrate; docs/calibration.md)\n"
		"      --receipt FILE    write SC-NeuroCore's experiment receipt for the run (simulated\n"
		"                        runs say so and never pass as instrument measurements)\n"
		"      --receipt-info FILE operator and power-instrument facts for the receipt (INI,\n"
		"                        docs/results.md)\n"
		"  -q, --quiet           only the table\n"
		"  -h, --help            this help\n"
		"\n"
		"Examples:\n"
		"  hilbench run                                   # digits on the virtual board\n"
		"  hilbench run --net mnist-shape --json out.json\n"
		"  hilbench run --board ecp5 --net digits --plot trace.svg\n"
		"  hilbench run --board icebreaker --virtual       # rehearse a board on its twin\n"
		"\n"
		"Options:\n"
		"  -b, --board NAME     board profile or family (hilbench boards); default: sim\n"
		"  -n, --net NET        digits, mnist-shape, or a network file (default digits)\n"
		"  -w, --windows N      measurement windows (default 5; median reported)\n"
		"      --window-s S     length of each window in device seconds (default 3 on\n"
		"                       hardware, 0.5 in simulated time: no jitter there)\n"
		"      --baseline-s S   idle baseline length (default 2)\n"
		"      --samples N      single inferences checked against the golden model (default 50)\n"
		"      --seed N         inputs of networks without a data set (default 1)\n"
		"      --json F, --csv F, --plot F.svg|F.png, --db F, --no-db   outputs\n"
		"      --no-flash, --bitstream F   hardware: what to flash\n"
		"      --virtual        run the board's twin: the virtual board at the profile's clock\n"
		"                       and baud (sim is always virtual)\n"
		"      --pacing P       virtual board: virtual (default; simulated time shared with\n"
		"                       the host: deterministic, a busy machine only makes it slower),\n"
		"                       realtime (paced to the wall clock) or fast\n"
		"      --board-seed N   virtual board: INA219 noise seed (default 1)\n"
		"  -q, --quiet          only the table\n"
		"\n"
		"Ctrl-C stops after the current step and keeps what was measured (stored as interrupted);\n"
		"a second Ctrl-C gives up the step at once and still stores what was measured.\n"
		"Exit status: 0 measured and checked (status complete; or partial: power from k of W\n"
		"windows, or no idle baseline, named in a warning); 1 hardware or measurement failure,\n"
		"or results that differ from the golden model (failed) or Ctrl-C (interrupted); 2 usage\n"
		"error, or an output (--json, --csv, --plot, --receipt, --db) that cannot be written, a\n"
		"database from a newer hilbench or locked: checked before anything is measured.\n");
}

static int parse_double(const char *opt, const char *s, double lo, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || !(v >= lo) || v > 1e6)
		return hb_usage_error("run", "%s '%s': expected a number of seconds >= %g", opt, s, lo);
	*out = v;
	return 0;
}

static int parse_uint(const char *opt, const char *s, unsigned lo, unsigned hi, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (*s == '\0' || *end != '\0' || *s == '-' || v < lo || v > hi)
		return hb_usage_error("run", "%s '%s': expected a whole number in %u..%u", opt, s, lo, hi);
	*out = (unsigned)v;
	return 0;
}

int hb_cmd_run(struct hb_global *g, int argc, char **argv)
{
	struct hb_run_opts o;
	hb_run_opts_default(&o);
	o.boards_dir = g->boards_dir;
	o.board = NULL;
	static const struct option opts[] = {
		{"board", required_argument, 0, 'b'},
		{"net", required_argument, 0, 'n'},
		{"windows", required_argument, 0, 'w'},
		{"window-s", required_argument, 0, 1},
		{"baseline-s", required_argument, 0, 2},
		{"samples", required_argument, 0, 3},
		{"seed", required_argument, 0, 4},
		{"json", required_argument, 0, 5},
		{"csv", required_argument, 0, 6},
		{"plot", required_argument, 0, 7},
		{"db", required_argument, 0, 8},
		{"no-db", no_argument, 0, 9},
		{"no-flash", no_argument, 0, 10},
		{"bitstream", required_argument, 0, 11},
		{"pacing", required_argument, 0, 12},
		{"virtual", no_argument, 0, 13},
		{"board-seed", required_argument, 0, 14},
		{"length", required_argument, 0, 'L'},
		{"clock-mhz", required_argument, 0, 20},
		{"input-scale", required_argument, 0, 21},
		{"calibration", required_argument, 0, 22},
		{"receipt", required_argument, 0, 23},
		{"receipt-info", required_argument, 0, 24},
		{"quiet", no_argument, 0, 'q'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	int c, rc;
	unsigned u;
	while ((c = getopt_long(argc, argv, "b:n:w:L:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'b': o.board = optarg; break;
		case 'n': o.net = optarg; break;
		case 'w':
			if ((rc = parse_uint("--windows", optarg, 1, 64, &o.windows)))
				return rc;
			break;
		case 1:
			if ((rc = parse_double("--window-s", optarg, 0.001, &o.window_s)))
				return rc;
			break;
		case 2:
			if ((rc = parse_double("--baseline-s", optarg, 0.0, &o.baseline_s)))
				return rc;
			break;
		case 3:
			if ((rc = parse_uint("--samples", optarg, 1, 100000, &o.samples)))
				return rc;
			break;
		case 4:
			if ((rc = parse_uint("--seed", optarg, 0, 0xFFFFFFFFu, &u)))
				return rc;
			o.seed = u;
			break;
		case 5: o.json_path = optarg; break;
		case 6: o.csv_path = optarg; break;
		case 7: {
			const char *ext = strrchr(optarg, '.');
			if (!ext || (strcmp(ext, ".svg") && strcmp(ext, ".png")))
				return hb_usage_error("run", "--plot '%s': the file name must end in .svg or .png", optarg);
			o.plot_path = optarg;
			break;
		}
		case 8: o.db_path = optarg; break;
		case 9: o.no_db = 1; break;
		case 10: o.no_flash = 1; break;
		case 11: o.bitstream = optarg; break;
		case 12:
			if (strcmp(optarg, "virtual") && strcmp(optarg, "realtime") && strcmp(optarg, "fast") &&
			    strcmp(optarg, "free"))
				return hb_usage_error("run", "--pacing '%s': expected virtual, realtime or fast",
						      optarg);
			o.pacing = optarg;
			break;
		case 13: o.virtual_board = 1; break;
		case 14:
			if ((rc = parse_uint("--board-seed", optarg, 0, 0xFFFFFFFFu, &u)))
				return rc;
			o.board_seed = u;
			break;
		case 'L':
			if ((rc = parse_uint("--length", optarg, 8, HB_RUN_MAX_L, &o.L)))
				return rc;
			if (o.L % 8)
				return hb_usage_error("run", "--length %u: a multiple of 8 (and of the gateware's lanes)", o.L);
			break;
		case 20: {
			char *end;
			double v = strtod(optarg, &end);
			if (*optarg == '\0' || *end || !(v > 0) || v > 1000)
				return hb_usage_error("run", "--clock-mhz '%s': a clock in MHz (0 < f <= 1000)", optarg);
			o.clock_hz = v * 1e6;
			break;
		}
		case 21: {
			char *end;
			double v = strtod(optarg, &end);
			if (*optarg == '\0' || *end || !(v > 0) || v > 1)
				return hb_usage_error("run", "--input-scale '%s': a scale in (0, 1]", optarg);
			o.input_scale = v < 1 ? v : 0;
			break;
		}
		case 22: o.calibration_path = optarg; break;
		case 23: o.receipt_path = optarg; break;
		case 24: o.receipt_info = optarg; break;
		case 'q': o.quiet = 1; break;
		case 'h': help(stdout); return HB_EXIT_OK;
		default: return hb_usage_error("run", "unknown or incomplete option");
		}
	}
	if (optind < argc)
		return hb_usage_error("run", "unexpected argument '%s'", argv[optind]);
	if (o.receipt_info && !o.receipt_path)
		return hb_usage_error("run", "--receipt-info FILE goes with --receipt FILE");
	/* files the run will need at its end are checked before anything is measured */
	char perr[512];
	if (o.calibration_path) {
		struct hb_calibration cal;
		if (hb_cal_load(o.calibration_path, &cal, perr, sizeof perr) != HB_OK)
			return hb_usage_error("run", "--calibration: %s", perr);
	}
	if (o.receipt_info) {
		struct hb_receipt_info info;
		hb_receipt_info_default(&info);
		if (hb_receipt_info_load(o.receipt_info, &info, perr, sizeof perr) != HB_OK)
			return hb_usage_error("run", "--receipt-info: %s", perr);
	}
	if (!o.board) {
		o.board = "sim";
		if (!o.quiet)
			printf("no --board given: using the virtual board (sim); 'hilbench boards' lists real ones\n");
	}

	/* The command line, stored with the run. */
	char cmdline[1024] = "hilbench";
	size_t len = strlen(cmdline);
	for (int i = 0; i < argc && len < sizeof cmdline - 2; i++)
		len += (size_t)snprintf(cmdline + len, sizeof cmdline - len, " %s", argv[i]);
	o.command_line = cmdline;

	struct sigaction sa = {.sa_handler = on_sigint};
	sigemptyset(&sa.sa_mask);
	struct sigaction old_int, old_term;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	signal(SIGPIPE, SIG_IGN);
	o.interrupted = &g_interrupted;
	o.abort_now = &g_abort;

	char err[512] = "";
	enum hb_status st = hb_run(&o, err, sizeof err);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (st == HB_OK) {
		if (err[0])
			fprintf(stderr, "hilbench run: note: %s\n", hb_term(err));
		return HB_EXIT_OK;
	}
	if (st == HB_ERR_ARG)
		return hb_usage_error("run", "%s", err);
	if (st == HB_ERR_INTERRUPTED)
		return hb_fail("run", "interrupted; partial results kept%s%s", err[0] ? ": " : "", err);
	return hb_fail("run", "%s", err[0] ? err : hb_strerror(st));
}
