/* hilbench power — live readout of the power monitors of a board (or of one INA219 given by
 * its bus URI), with min/mean/max, a sparkline, and an optional CSV of every sample. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hb_cli.h"
#include "hb_clock.h"
#include "hb_i2c.h"
#include "hb_ina2xx.h"
#include "hb_params.h"
#include "hb_power_sampler.h"

#include "hb_board.h"
#include "hb_session.h"

#define MAX_RAILS 4
#define SPARK 32

struct rail {
	char name[24];
	const struct hb_ina2xx_chip *chip;
	char bus_uri[320];
	uint8_t addr;
	uint32_t shunt_uohm, max_uA;
	struct hb_i2c *bus;
	struct hb_ina2xx dev;
	struct hb_power_sampler s;
	struct hb_power_sample last;
	double sum_mw, sum_ma;
	double min_mw, max_mw, min_ma, max_ma;
	uint64_t n, flagged;
	/* sparkline: mean power per display interval */
	double spark[SPARK];
	unsigned nspark;
	double acc_mw;
	unsigned acc_n;
};

static volatile sig_atomic_t stop_flag;

static double fmin(double a, double b)
{
	return a < b ? a : b;
}

static double fmax(double a, double b)
{
	return a > b ? a : b;
}

static void on_sigint(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void help(void)
{
	printf("Usage: hilbench power --board NAME [--seconds S] [--csv FILE]\n"
	       "       hilbench power --bus URI [--addr 0x40] --shunt-uohm N [--max-ma M]\n"
	       "                      [--seconds S] [--csv FILE]\n"
	       "\n"
	       "Reads the INA219 power monitors of a board profile (each [monitor.RAIL]) or one\n"
	       "monitor given by its I2C bus URI, one sample per conversion, and shows per rail\n"
	       "volts, milliamps and milliwatts with min/mean/max and a sparkline (plain lines\n"
	       "once a second when stdout is not a terminal). Ctrl-C stops and prints the summary.\n"
	       "For --board sim (or any board with --virtual) the virtual board is started and its\n"
	       "INA219 read: with --seconds in simulated time (deterministic), else paced to the\n"
	       "wall clock (a live meter).\n"
	       "\n"
	       "Options:\n"
	       "  -b, --board NAME     board profile\n"
	       "  -s, --seconds S      sample for S seconds (default: until Ctrl-C)\n"
	       "  -o, --csv FILE       write every sample: t_s,rail,bus_mv,shunt_uv,current_ua,\n"
	       "                       power_uw,flags\n"
	       "      --bus URI        I2C bus: vboard:/path/i2c.sock, i2c-dev:/dev/i2c-1,\n"
	       "                       ftdi-i2c://0403:6014/1?speed=400000\n"
	       "      --addr A         7-bit address (default 0x40)\n"
	       "      --shunt-uohm N   shunt resistor in micro-ohms (100000 = 0.1 ohm)\n"
	       "      --max-ma M       largest expected current in mA (default 400)\n"
	       "      --rail NAME      name shown for --bus (default \"rail\")\n"
	       "      --virtual        read the board's twin (the virtual board at the profile's\n"
	       "                       monitor) instead of the hardware\n"
	       "      --pacing P       virtual board: virtual, realtime or fast\n"
	       "\n"
	       "Examples:\n"
	       "  hilbench power --board sim --seconds 5\n"
	       "  hilbench power --bus i2c-dev:/dev/i2c-1 --addr 0x40 --shunt-uohm 100000 --csv p.csv\n");
}

static void account(struct rail *r, const struct hb_power_sample *s)
{
	r->last = *s;
	if (s->flags & (HB_POWER_SAMPLE_SATURATED | HB_POWER_SAMPLE_OVF)) {
		r->flagged++;
		return;
	}
	double mw = s->power_mW, ma = s->current_uA / 1000.0; /* the driver's one power formula */
	if (r->n == 0) {
		r->min_mw = r->max_mw = mw;
		r->min_ma = r->max_ma = ma;
	}
	r->min_mw = fmin(r->min_mw, mw), r->max_mw = fmax(r->max_mw, mw);
	r->min_ma = fmin(r->min_ma, ma), r->max_ma = fmax(r->max_ma, ma);
	r->sum_mw += mw, r->sum_ma += ma;
	r->n++;
	r->acc_mw += mw;
	r->acc_n++;
}

static void spark_push(struct rail *r)
{
	if (!r->acc_n)
		return;
	if (r->nspark == SPARK) {
		memmove(r->spark, r->spark + 1, (SPARK - 1) * sizeof r->spark[0]);
		r->nspark--;
	}
	r->spark[r->nspark++] = r->acc_mw / r->acc_n;
	r->acc_mw = 0;
	r->acc_n = 0;
}

static void spark_str(const struct rail *r, char *out, size_t cap)
{
	static const char *blocks[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
	double lo = 1e300, hi = -1e300;
	out[0] = 0;
	for (unsigned i = 0; i < r->nspark; i++)
		lo = fmin(lo, r->spark[i]), hi = fmax(hi, r->spark[i]);
	for (unsigned i = 0; i < r->nspark; i++) {
		int k = hi > lo ? (int)((r->spark[i] - lo) / (hi - lo) * 7.999) : 0;
		strncat(out, blocks[k], cap - strlen(out) - 1);
	}
}

static void show(struct rail *rails, int n, int tty, int redraw, double t_s)
{
	if (tty && redraw)
		printf("\x1b[%dA", n);
	for (int i = 0; i < n; i++) {
		struct rail *r = &rails[i];
		char sp[SPARK * 4 + 1];
		double mean = r->n ? r->sum_mw / r->n : 0;
		if (tty) {
			spark_str(r, sp, sizeof sp);
			printf("\x1b[2K%-8s %7.3f V %9.3f mA %9.3f mW  min %8.3f mean %8.3f max %8.3f mW"
			       "  %s%s\n",
			       r->name, r->last.bus_mV / 1000.0, r->last.current_uA / 1000.0,
			       r->last.power_uW / 1000.0, r->min_mw, mean, r->max_mw, sp,
			       r->flagged ? "  SATURATED" : "");
		} else {
			printf("%.3f %s V=%.3f mA=%.3f mW=%.3f min_mW=%.3f mean_mW=%.3f max_mW=%.3f "
			       "samples=%llu gaps=%llu%s\n",
			       t_s, r->name, r->last.bus_mV / 1000.0, r->last.current_uA / 1000.0,
			       r->last.power_uW / 1000.0, r->min_mw, mean, r->max_mw,
			       (unsigned long long)r->s.samples, (unsigned long long)r->s.gaps,
			       r->flagged ? " saturated" : "");
		}
	}
	fflush(stdout);
}

static int parse_u32(const char *s, uint32_t *v, uint32_t min, uint32_t max)
{
	unsigned long x;
	if (hb_parse_ulong(s, &x) != 0 || x < min || x > max)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

int hb_cmd_power(struct hb_global *g, int argc, char **argv)
{
	enum { O_BUS = 256, O_ADDR, O_SHUNT, O_MAXMA, O_RAIL, O_VIRTUAL, O_PACING };
	static const struct option opts[] = {
		{"board", required_argument, 0, 'b'},
		{"seconds", required_argument, 0, 's'},
		{"csv", required_argument, 0, 'o'},
		{"bus", required_argument, 0, O_BUS},
		{"addr", required_argument, 0, O_ADDR},
		{"shunt-uohm", required_argument, 0, O_SHUNT},
		{"max-ma", required_argument, 0, O_MAXMA},
		{"rail", required_argument, 0, O_RAIL},
		{"virtual", no_argument, 0, O_VIRTUAL},
		{"pacing", required_argument, 0, O_PACING},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	const char *board = NULL, *csv_path = NULL, *bus_uri = NULL, *rail_name = "rail";
	const char *pacing = NULL;
	int virt = 0;
	double seconds = 0;
	uint32_t addr = 0x40, shunt = 0, max_ma = 400;
	int c;
	char *end;
	while ((c = getopt_long(argc, argv, "b:s:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'b': board = optarg; break;
		case 's':
			seconds = strtod(optarg, &end);
			if (*end || !(seconds > 0) || seconds > 86400)
				return hb_usage_error("power", "--seconds %s: give 0 < S <= 86400", optarg);
			break;
		case 'o': csv_path = optarg; break;
		case O_BUS: bus_uri = optarg; break;
		case O_ADDR:
			if (parse_u32(optarg, &addr, 0x03, 0x77))
				return hb_usage_error("power", "--addr %s: a 7-bit address 0x03..0x77",
						      optarg);
			break;
		case O_SHUNT:
			if (parse_u32(optarg, &shunt, 1, 100000000))
				return hb_usage_error("power", "--shunt-uohm %s: micro-ohms, e.g. 100000 "
						      "for 0.1 ohm", optarg);
			break;
		case O_MAXMA:
			if (parse_u32(optarg, &max_ma, 1, 100000))
				return hb_usage_error("power", "--max-ma %s: 1..100000 mA", optarg);
			break;
		case O_RAIL: rail_name = optarg; break;
		case O_VIRTUAL: virt = 1; break;
		case O_PACING:
			if (strcmp(optarg, "virtual") && strcmp(optarg, "realtime") && strcmp(optarg, "fast"))
				return hb_usage_error("power", "--pacing '%s': expected virtual, realtime or fast",
						      optarg);
			pacing = optarg;
			break;
		case 'h': help(); return HB_EXIT_OK;
		default: return hb_usage_error("power", "unknown option");
		}
	}
	if (optind < argc)
		return hb_usage_error("power", "unexpected argument '%s'", argv[optind]);
	if (!board && !bus_uri)
		return hb_usage_error("power", "give --board NAME, or --bus URI with --shunt-uohm");
	if (board && bus_uri)
		return hb_usage_error("power", "--board and --bus exclude each other");
	if (bus_uri && !shunt)
		return hb_usage_error("power", "--bus needs --shunt-uohm (the shunt resistor)");

	static struct rail rails[MAX_RAILS];
	int nr = 0;
	memset(rails, 0, sizeof rails);
	struct hb_session *sess = NULL;
	FILE *csv = NULL;
	int rc = HB_EXIT_OK;
	if (bus_uri) {
		struct rail *r = &rails[nr++];
		snprintf(r->name, sizeof r->name, "%s", rail_name);
		snprintf(r->bus_uri, sizeof r->bus_uri, "%s", bus_uri);
		r->addr = (uint8_t)addr;
		r->shunt_uohm = shunt;
		r->max_uA = max_ma * 1000;
		r->chip = hb_ina2xx_chip_by_name("ina219");
	} else {
		struct hb_board b;
		char err[512];
		enum hb_status st = hb_board_find(board, g->boards_dir, &b, err, sizeof err);
		if (st != HB_OK)
			return hb_input_error(st) ? hb_usage_error("power", "--board %s: %s", board, err)
						  : hb_fail("power", "%s", err);
		if (b.n_monitors == 0)
			return hb_fail("power", "board %s has no [monitor.RAIL] sections", b.name);
		/* The session says where each monitor is: a real bus, or the virtual board's (sim, or
		 * any board's twin with --virtual). A live readout without --seconds follows the wall
		 * clock; a timed one runs in simulated time (docs/vboard.md). */
		struct hb_session_opts so;
		hb_session_opts_default(&so);
		so.virtual_board = virt;
		so.no_flash = 1; /* reading the monitors needs no bitstream */
		so.pacing = pacing ? pacing : seconds > 0 ? "virtual" : "realtime";
		so.out = g->quiet ? NULL : stderr;
		st = hb_session_open(&b, &so, &sess);
		if (st == HB_OK && (st = hb_session_start(sess)) != HB_OK) {
			rc = hb_fail("power", "%s", hb_session_error(sess));
			goto out;
		}
		if (st != HB_OK)
			return hb_fail("power", "board %s: %s", b.name, hb_strerror(st));
		for (size_t i = 0; i < b.n_monitors && nr < MAX_RAILS; i++) {
			const struct hb_board_monitor *m = &b.monitors[i];
			struct rail *r = &rails[nr++];
			snprintf(r->name, sizeof r->name, "%s", m->rail);
			if (hb_session_monitor_uri(sess, m, r->bus_uri, sizeof r->bus_uri) != HB_OK) {
				rc = hb_fail("power", "%s", hb_session_error(sess));
				goto out;
			}
			r->addr = m->address;
			r->shunt_uohm = m->shunt_uohm;
			r->max_uA = m->max_current_ma * 1000;
			r->chip = hb_ina2xx_chip_by_name(m->chip); /* validated with the profile */
		}
	}

	for (int i = 0; i < nr; i++) {
		struct rail *r = &rails[i];
		enum hb_status st = hb_i2c_open(r->bus_uri, &r->bus);
		if (st != HB_OK) {
			rc = st == HB_ERR_ARG ? hb_usage_error("power", "bus '%s': %s", r->bus_uri,
							       hb_strerror(st))
					      : hb_fail("power", "%s: bus %s: %s", r->name, r->bus_uri,
							hb_strerror(st));
			goto out;
		}
		struct hb_ina2xx_config cfg = {.shunt_uohm = r->shunt_uohm,
					       .max_current_uA = r->max_uA,
					       .bus_adc = -1, .shunt_adc = -1, .mode = -1};
		st = r->chip ? hb_ina2xx_init(&r->dev, r->bus, r->addr, r->chip->model, &cfg)
			     : HB_ERR_UNSUPPORTED;
		if (st != HB_OK) {
			rc = hb_fail("power", "%s: %s at 0x%02x on %s: %s", r->name,
				     r->chip ? r->chip->name : "?", r->addr, r->bus_uri, hb_strerror(st));
			goto out;
		}
		hb_power_sampler_init(&r->s, &r->dev, NULL);
	}
	if (csv_path) {
		csv = fopen(csv_path, "w");
		if (!csv) {
			rc = hb_usage_error("power", "--csv %s: cannot create the file", csv_path);
			goto out;
		}
		fprintf(csv, "t_s,rail,bus_mv,shunt_uv,current_ua,power_uw,flags\n");
	}

	struct sigaction sa = {.sa_handler = on_sigint}, old;
	sigaction(SIGINT, &sa, &old);
	stop_flag = 0;
	struct hb_clock *clk = hb_clock_default();
	int tty = isatty(1);
	uint64_t t0 = clk->now_ns(clk), next_show = t0 + (tty ? 200000000ull : 1000000000ull);
	uint64_t end_t = seconds > 0 ? t0 + (uint64_t)(seconds * 1e9) : 0;
	int shown = 0;
	while (!stop_flag) {
		uint64_t now = clk->now_ns(clk);
		if (end_t && now >= end_t)
			break;
		uint64_t wake = next_show;
		for (int i = 0; i < nr; i++) {
			struct rail *r = &rails[i];
			struct hb_power_sample smp;
			int got = 0;
			enum hb_status st = hb_power_sampler_poll(&r->s, &smp, &got);
			if (st != HB_OK && !(st == HB_ERR_RANGE && got)) {
				rc = hb_fail("power", "%s: %s", r->name, hb_strerror(st));
				goto done;
			}
			if (got) {
				account(r, &smp);
				if (csv)
					fprintf(csv, "%.9f,%s,%d,%d,%d,%lld,%u\n",
						(smp.t_ns - t0) / 1e9, r->name, smp.bus_mV,
						smp.shunt_uV, smp.current_uA,
						(long long)smp.power_uW, smp.flags);
			}
			uint64_t due = hb_power_sampler_due_ns(&r->s);
			uint64_t poll_at = due > now ? due : now + r->s.period_ns / 8;
			if (poll_at < wake)
				wake = poll_at;
		}
		now = clk->now_ns(clk);
		if (now >= next_show) {
			for (int i = 0; i < nr; i++)
				spark_push(&rails[i]);
			if (!g->quiet)
				show(rails, nr, tty, shown, (now - t0) / 1e9);
			shown = 1;
			next_show += tty ? 200000000ull : 1000000000ull;
		}
		if (end_t && wake > end_t)
			wake = end_t;
		now = clk->now_ns(clk);
		if (wake > now)
			clk->sleep_ns(clk, wake - now);
	}
done:
	sigaction(SIGINT, &old, NULL);
	{
		double dur = (clk->now_ns(clk) - t0) / 1e9;
		fprintf(tty ? stdout : stderr, "%ssummary over %.2f s:\n", tty && shown ? "\n" : "", dur);
		for (int i = 0; i < nr; i++) {
			struct rail *r = &rails[i];
			double mean = r->n ? r->sum_mw / r->n : 0;
			fprintf(tty ? stdout : stderr,
				"  %-8s samples %llu (conversion %.3f ms) gaps %llu dropped %llu "
				"flagged %llu  power min %.3f mean %.3f max %.3f mW  current mean %.3f mA"
				"  energy %.3f mJ\n",
				r->name, (unsigned long long)r->s.samples, r->s.period_ns / 1e6,
				(unsigned long long)r->s.gaps, (unsigned long long)r->s.dropped,
				(unsigned long long)r->flagged, r->min_mw, mean, r->max_mw,
				r->n ? r->sum_ma / r->n : 0, mean * dur);
			if (r->flagged)
				rc = rc ? rc : hb_fail("power", "%s: %llu saturated/overflowed samples: "
						       "figures unavailable (raise PGA or shunt range)",
						       r->name, (unsigned long long)r->flagged);
		}
	}
out:
	if (csv && fclose(csv) != 0 && rc == HB_EXIT_OK)
		rc = hb_fail("power", "--csv %s: write failed", csv_path);
	for (int i = 0; i < nr; i++)
		hb_i2c_close(rails[i].bus);
	hb_session_close(sess);
	return rc;
}
