/* hilbench sweep — run a calibration campaign: the points of a plan, each one `hilbench run`
 * stored with the sweep's id; resumable; failed points listed. docs/calibration.md. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hb_cli.h"
#include "hb_db.h"
#include "hb_sweep.h"

#define CMD "sweep"

static volatile sig_atomic_t g_stop;

static void on_sigint(int sig)
{
	(void)sig;
	if (g_stop)
		_exit(130);
	g_stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: hilbench sweep --board NAME --plan FILE [options]\n"
		"       hilbench sweep --board NAME --nets LIST [--L LIST] [--clock-mhz LIST] [...]\n"
		"       hilbench sweep --resume ID\n"
		"       hilbench sweep --list | --show ID\n"
		"\n"
		"Measure a calibration campaign: every combination of the plan's networks, bitstream\n"
		"lengths, input seeds, input scales and core clocks is one 'hilbench run' stored with the\n"
		"sweep's id (then 'hilbench calibrate --sweep ID'). Progress and an ETA are printed per\n"
		"point; a failed point is recorded and listed, and the sweep goes on. Ctrl-C stops after\n"
		"the current point; --resume ID measures what is left (pending and failed points).\n"
		"On hardware each clock is its own bitstream: before a clock's first point the sweep\n"
		"takes it from the build cache, or builds it (hilbench build --clock-mhz, with progress);\n"
		"each point flashes it and records the clock the PLL achieves. With --virtual any clock\n"
		"runs and nothing is built. Plan files: docs/calibration.md, 'Plan files'.\n"
		"\n"
		"Options:\n"
		"  -b, --board NAME       board profile (default: the plan's, else sim)\n"
		"      --virtual          measure the board's twin (its whole host stack against the virtual\n"
		"                         board at the board's clock and baud) instead of the hardware\n"
		"  -p, --plan FILE        the plan (INI)\n"
		"      --nets LIST        axes on the command line instead of a plan: networks (digits,\n"
		"                         mnist-shape, file:PATH, random:SIZES:DENSITY:SEED), comma separated\n"
		"      --L LIST           bitstream lengths\n"
		"      --clock-mhz LIST   core clocks (hardware: one bitstream each, built and cached\n"
		"                         before the clock's first point; a twin runs any clock)\n"
		"      --seeds LIST       input seeds\n"
		"      --input-scale LIST input value scales in (0, 1] (spike density)\n"
		"      --windows N, --window-s S, --baseline-s S, --samples N   per point (defaults 3, 1, 1, 10)\n"
		"      --bitstream-dir DIR  hardware: the build cache (as hilbench build --out; default\n"
		"                         $HB_BITSTREAM_DIR, else the build tree's bitstreams/)\n"
		"  -n, --dry-run          per clock: the clock its PLL makes, the bitstream (cached or to\n"
		"                         build) and the flash command; build, flash, measure nothing\n"
		"      --resume ID        continue a stored sweep\n"
		"      --list             list the stored sweeps\n"
		"      --show ID          a sweep's points and their runs\n"
		"      --db PATH          the run database\n"
		"  -q, --quiet            no progress lines\n"
		"  -h, --help             this help\n"
		"\n"
		"Examples:\n"
		"  hilbench sweep --board sim --plan docs/examples/sweep-sim.ini\n"
		"  hilbench sweep --board sim --nets digits,random:120-48-10:0.5:7 --L 128,256 --clock-mhz 1,2\n"
		"  hilbench sweep --board icebreaker --plan docs/examples/sweep-icebreaker.ini --dry-run\n"
		"  hilbench sweep --resume 3\n"
		"\n"
		"Exit status: 0 every point measured; 1 some points failed (listed) or the sweep was\n"
		"interrupted; 2 usage error (plan file, options, a clock the board's PLL and UART\n"
		"cannot make: the message names the nearest clocks that work).\n");
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	size_t cap = 8192, n = 0;
	char *b = malloc(cap);
	size_t got;
	while (b && (got = fread(b + n, 1, cap - n - 1, f)) > 0) {
		n += got;
		if (n + 1 == cap) {
			char *t = cap < (1u << 22) ? realloc(b, cap * 2) : NULL;
			if (!t) {
				free(b);
				b = NULL;
				break;
			}
			b = t;
			cap *= 2;
		}
	}
	fclose(f);
	if (b)
		b[n] = 0;
	return b;
}

static int list_sweeps(const char *db_path)
{
	struct hb_db *db;
	enum hb_status st = hb_db_open(db_path, &db);
	if (st != HB_OK)
		return hb_fail(CMD, "cannot open the run database: %s", hb_strerror(st));
	struct hb_db_sweep *v;
	size_t n;
	st = hb_db_sweep_list(db, 0, &v, &n);
	if (st != HB_OK) {
		hb_db_close(db);
		return hb_fail(CMD, "cannot list sweeps: %s", hb_strerror(st));
	}
	if (!n)
		printf("no sweeps stored yet\n");
	else
		printf("%6s  %-25s  %-16s  %s\n", "ID", "Created", "Board", "Name");
	for (size_t i = 0; i < n; i++)
		printf("%6lld  %-25s  %-16s  %s\n", (long long)v[i].id, v[i].created_at ? v[i].created_at : "-",
		       v[i].board ? v[i].board : "-", v[i].name && *v[i].name ? v[i].name : "-");
	hb_db_sweeps_free(v, n);
	hb_db_close(db);
	return HB_EXIT_OK;
}

static int show_sweep(const char *db_path, long long id)
{
	struct hb_db *db;
	enum hb_status st = hb_db_open(db_path, &db);
	if (st != HB_OK)
		return hb_fail(CMD, "cannot open the run database: %s", hb_strerror(st));
	struct hb_db_sweep sw;
	st = hb_db_sweep_get(db, id, &sw);
	hb_db_close(db);
	if (st == HB_ERR_NOTFOUND)
		return hb_usage_error(CMD, "--show %lld: no such sweep", id);
	if (st != HB_OK)
		return hb_fail(CMD, "cannot read sweep %lld: %s", id, hb_strerror(st));
	printf("sweep %lld%s%s on %s, created %s, %zu points\n", id, sw.name && *sw.name ? " " : "",
	       sw.name ? sw.name : "", sw.board ? sw.board : "-", sw.created_at ? sw.created_at : "-", sw.n_points);
	for (size_t i = 0; i < sw.n_points; i++) {
		const struct hb_db_point *p = &sw.points[i];
		char run[32] = "-";
		if (p->run_id)
			snprintf(run, sizeof run, "run %lld", (long long)p->run_id);
		printf("%4zu  %-7s  %-10s  %s%s%s\n", i + 1, hb_point_status_name(p->status), run, p->label,
		       p->error ? "  -- " : "", p->error ? p->error : "");
	}
	printf("\nplan:\n%s", sw.plan_text);
	hb_db_sweep_free(&sw);
	return HB_EXIT_OK;
}

/* Axes from the command line, as a plan text (stored like a plan file). */
static char *plan_from_options(const char *nets, const char *L, const char *clk, const char *seeds,
			       const char *scale, const char *windows, const char *window_s, const char *baseline_s,
			       const char *samples)
{
	size_t cap = 4096 + (nets ? strlen(nets) : 0);
	char *t = malloc(cap);
	if (!t)
		return NULL;
	size_t o = (size_t)snprintf(t, cap, "# axes given on the command line\n[sweep]\n");
#define KV(k, v)                                                                        \
	if (v && o < cap)                                                               \
		o += (size_t)snprintf(t + o, cap - o, "%s = %s\n", k, v);
	KV("windows", windows)
	KV("window_s", window_s)
	KV("baseline_s", baseline_s)
	KV("samples", samples)
	if (o < cap)
		o += (size_t)snprintf(t + o, cap - o, "[axes]\n");
	KV("nets", nets)
	KV("L", L)
	KV("clock_mhz", clk)
	KV("seeds", seeds)
	KV("input_scale", scale)
#undef KV
	return t;
}

int hb_cmd_sweep(struct hb_global *g, int argc, char **argv)
{
	enum { O_VIRTUAL = 1000, O_NETS, O_L, O_CLK, O_SEEDS, O_SCALE, O_WIN, O_WINS, O_BASE, O_SAMPLES, O_RESUME,
	       O_LIST, O_SHOW, O_DB, O_BITDIR };
	static const struct option opts[] = {
		{"board", required_argument, 0, 'b'},        {"virtual", no_argument, 0, O_VIRTUAL},
		{"plan", required_argument, 0, 'p'},         {"nets", required_argument, 0, O_NETS},
		{"L", required_argument, 0, O_L},            {"clock-mhz", required_argument, 0, O_CLK},
		{"seeds", required_argument, 0, O_SEEDS},    {"input-scale", required_argument, 0, O_SCALE},
		{"windows", required_argument, 0, O_WIN},    {"window-s", required_argument, 0, O_WINS},
		{"baseline-s", required_argument, 0, O_BASE}, {"samples", required_argument, 0, O_SAMPLES},
		{"resume", required_argument, 0, O_RESUME},  {"list", no_argument, 0, O_LIST},
		{"show", required_argument, 0, O_SHOW},      {"db", required_argument, 0, O_DB},
		{"quiet", no_argument, 0, 'q'},              {"help", no_argument, 0, 'h'},
		{"dry-run", no_argument, 0, 'n'},            {"bitstream-dir", required_argument, 0, O_BITDIR},
		{0, 0, 0, 0},
	};
	const char *board = NULL, *plan_path = NULL, *nets = NULL, *L = NULL, *clk = NULL, *seeds = NULL,
		   *scale = NULL, *win = NULL, *wins = NULL, *base = NULL, *samples = NULL, *db_path = NULL,
		   *bitdir = NULL;
	long long resume = 0, show = 0;
	bool list = false, virt = false, quiet = g->quiet, dry = false;
	int c;
	char *end;
	while ((c = getopt_long(argc, argv, "b:p:nqh", opts, NULL)) != -1) {
		switch (c) {
		case 'b': board = optarg; break;
		case O_VIRTUAL: virt = true; break;
		case 'p': plan_path = optarg; break;
		case O_NETS: nets = optarg; break;
		case O_L: L = optarg; break;
		case O_CLK: clk = optarg; break;
		case O_SEEDS: seeds = optarg; break;
		case O_SCALE: scale = optarg; break;
		case O_WIN: win = optarg; break;
		case O_WINS: wins = optarg; break;
		case O_BASE: base = optarg; break;
		case O_SAMPLES: samples = optarg; break;
		case O_RESUME:
		case O_SHOW: {
			long long v = strtoll(optarg, &end, 10);
			if (*end || v <= 0)
				return hb_usage_error(CMD, "--%s '%s': a sweep id (a positive integer)",
						      c == O_RESUME ? "resume" : "show", optarg);
			*(c == O_RESUME ? &resume : &show) = v;
			break;
		}
		case O_LIST: list = true; break;
		case O_DB: db_path = optarg; break;
		case O_BITDIR: bitdir = optarg; break;
		case 'n': dry = true; break;
		case 'q': quiet = true; break;
		case 'h': usage(stdout); return HB_EXIT_OK;
		default: return hb_usage_error(CMD, "unknown or incomplete option");
		}
	}
	if (optind < argc)
		return hb_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
	if (list)
		return list_sweeps(db_path);
	if (show)
		return show_sweep(db_path, show);
	bool axes = nets || L || clk || seeds || scale;
	if (resume && (plan_path || axes))
		return hb_usage_error(CMD, "--resume ID continues a stored plan: no --plan or axes with it");
	if (!resume && !plan_path && !nets)
		return hb_usage_error(CMD, "give --plan FILE, or the axes (--nets at least), or --resume ID");
	if (plan_path && axes)
		return hb_usage_error(CMD, "--plan FILE and axes on the command line exclude each other");

	char *text = NULL;
	const char *origin = "command line";
	if (plan_path) {
		text = read_file(plan_path);
		if (!text)
			return hb_usage_error(CMD, "--plan %s: cannot read: %s", plan_path, strerror(errno));
		origin = plan_path;
	} else if (!resume) {
		text = plan_from_options(nets, L, clk, seeds, scale, win, wins, base, samples);
		if (!text)
			return hb_fail(CMD, "out of memory");
	}

	char cmdline[1024] = "hilbench";
	size_t len = strlen(cmdline);
	for (int i = 0; i < argc && len < sizeof cmdline - 2; i++)
		len += (size_t)snprintf(cmdline + len, sizeof cmdline - len, " %s", argv[i]);

	struct sigaction sa = {.sa_handler = on_sigint}, old_int, old_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	signal(SIGPIPE, SIG_IGN);
	struct hb_sweep_opts o = {.board = board, .virtual_board = virt, .boards_dir = g->boards_dir, .db_path = db_path, .out = stdout,
				  .quiet = quiet, .interrupted = &g_stop, .command_line = cmdline,
				  .bitstream_dir = bitdir, .dry_run = dry};
	struct hb_sweep_result res;
	char err[512] = "";
	enum hb_status st = resume ? hb_sweep_resume(&o, resume, &res, err, sizeof err)
				   : hb_sweep_start(&o, text, origin, &res, err, sizeof err);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	free(text);
	if (st == HB_ERR_FORMAT || st == HB_ERR_ARG || st == HB_ERR_RANGE)
		return hb_usage_error(CMD, "%s", err);
	if (st != HB_OK)
		return hb_fail(CMD, "%s", err[0] ? err : hb_strerror(st));
	if (dry)
		return HB_EXIT_OK;

	/* the summary: counts, failed points, how to go on */
	if (!quiet)
		printf("\nsweep %lld: %zu of %zu points measured, %zu failed, %zu pending\n", (long long)res.sweep_id,
		       res.n_done, res.n_points, res.n_failed, res.n_pending);
	if (res.n_failed) {
		struct hb_db *db;
		struct hb_db_sweep sw;
		if (hb_db_open(db_path, &db) == HB_OK) {
			if (hb_db_sweep_get(db, res.sweep_id, &sw) == HB_OK) {
				printf("failed points:\n");
				for (size_t i = 0; i < sw.n_points; i++)
					if (sw.points[i].status == HB_POINT_FAILED)
						printf("  %zu  %s: %s\n", i + 1, sw.points[i].label,
						       sw.points[i].error ? sw.points[i].error : "?");
				hb_db_sweep_free(&sw);
			}
			hb_db_close(db);
		}
	}
	if (res.interrupted || res.n_pending || res.n_failed) {
		printf("%s; continue with: hilbench sweep --resume %lld%s%s\n",
		       res.interrupted ? "interrupted" : "not complete", (long long)res.sweep_id, db_path ? " --db " : "",
		       db_path ? db_path : "");
		return HB_EXIT_FAIL;
	}
	if (!quiet)
		printf("calibrate with: hilbench calibrate --sweep %lld%s%s\n", (long long)res.sweep_id,
		       db_path ? " --db " : "", db_path ? db_path : "");
	return HB_EXIT_OK;
}
