/* hilbench virtual board — I/O, sockets, faults, pacing around the cycle loop (vb_board.h). */
#define _GNU_SOURCE
#define LOG_PREFIX "vboard"
#include "vb_board.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "hb_clock.h"
#include "hb_log.h"
#include "hb_outfile.h"
#include "hb_paths.h"
#include "vb_ctl.h"
#include "vb_sock.h"

#define RING_CAP (1u << 20)
#define MAX_CLIENTS 8
#define TRUTH_INTERVAL 16384u  /* cycles between periodic truth checkpoints */
#define FAST_CHUNK 8192u
#define HIST_CYCLES (1u << 20)  /* per-cycle activity history: ~44 ms at 24 MHz, 8 MiB */
#define PIN_BEFORE_EDGE 4       /* exact checkpoints this many cycles before busy/done edges */

struct ring {
	uint8_t *d;
	size_t head, len;
};

static int ring_put(struct ring *r, uint8_t v)
{
	if (r->len == RING_CAP)
		return 0;
	r->d[(r->head + r->len) % RING_CAP] = v;
	r->len++;
	return 1;
}

static int ring_get(struct ring *r, uint8_t *v)
{
	if (!r->len)
		return 0;
	*v = r->d[r->head];
	r->head = (r->head + 1) % RING_CAP;
	r->len--;
	return 1;
}

static void mark(struct hb_vb_board *b);

struct client {
	int fd;
	size_t n;
	uint8_t buf[4096];
};

struct hb_vb_board {
	struct hb_vb_hot hot;
	struct hb_vb_opts o;
	struct hb_vb_build bld;
	double clock_hz, baud;
	uint64_t cpb;
	struct hb_vb_power_model pm;
	struct hb_vb_truth truth;
	struct hb_ina219m ina;
	char power_file[512];
	/* endpoints */
	char dir[256], i2c_path[320], ctl_path[320];
	int own_dir;
	int pty_master, pty_slave;
	char pty_name[128];
	int tcp_listen, tcp_client;
	int i2c_listen, ctl_listen;
	struct client i2c_cl[MAX_CLIENTS], ctl_cl[MAX_CLIENTS];
	/* UART */
	struct ring rxq, txq;
	uint16_t rx_frame;
	int rx_idx;               /* next bit of rx_frame to drive; 10 = frame finished */
	uint8_t tx_shift;
	int tx_bit;               /* -1 start bit check, 0..7 data, 8 stop */
	/* faults */
	double bit_error, drop, dup;
	int stall;
	uint64_t rng;
	int fault_done[HB_VB_MAX_FAULTS];
	/* counters */
	uint64_t host_bytes, rx_bytes, tx_bytes, framing_errors, bits_flipped, bytes_dropped,
		bytes_duped, tx_discarded, tx_overflow, behind_count;
	/* pacing */
	uint64_t wall_anchor_ns, cyc_anchor, last_warn_ns;
	uint64_t last_mark;
	uint64_t end_cycle;
	int quit;
	int can_skip;
	uint64_t quiet_cycles;    /* idle this long before skipping is allowed */
	uint64_t skipped;         /* cycles advanced without evaluation */
	/* simulation speed: evaluated cycles per second of time spent evaluating */
	uint64_t exit_ns, exit_cyc, run_ns, run_cycles;
	int exit_was_skip;
	double sim_rate_hz;
};

static volatile sig_atomic_t g_stop;
static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

/* ---- options ---------------------------------------------------------------------- */

void hb_vb_print_help(FILE *f, const struct hb_vb_build *bld)
{
	fprintf(f,
		"hilbench-vboard — the virtual board: %s simulated by Verilator\n"
		"\n"
		"Usage: hilbench-vboard [options]\n"
		"\n"
		"Prints 'uart: /dev/pts/N', 'i2c: DIR/i2c.sock', 'ctl: DIR/ctl.sock' (one 'key: value'\n"
		"per line) then 'ready', and runs until SIGTERM, SIGINT or 'quit' on the control socket.\n"
		"\n"
		"Options:\n"
		"  --clock-hz HZ       simulated clock (default %.0f, the build's CLK_HZ)\n"
		"  --baud B            UART baud (default %.0f); clock/baud must keep the build's\n"
		"                      divider of %.0f cycles per bit\n"
		"  --pace realtime|fast  realtime (default): simulated time never runs ahead of the\n"
		"                      wall clock (sleeps when idle); fast: as fast as possible\n"
		"  --tcp PORT          also serve the UART on 127.0.0.1:PORT (tcp://127.0.0.1:PORT)\n"
		"  --dir DIR           where to create i2c.sock and ctl.sock (default: a new\n"
		"                      /tmp/hb-vboard-XXXXXX, removed at exit)\n"
		"  --truth FILE        write the ground truth as JSON at exit\n"
		"  --power-model FILE  power model ini (default gateware/vboard/power-%s.ini)\n"
		"  --seed N            seed for noise and faults (default 1)\n"
		"  --noise-uA X        INA219 current noise per conversion, 1 sigma, in uA (default 0)\n"
		"  --max-seconds S     stop after S seconds of simulated time\n"
		"  --no-idle-skip      evaluate every cycle in realtime pace too (see docs/vboard.md)\n"
		"  --fault SPEC        inject a fault, repeatable: NAME[=ARG][@SIM_SECONDS]\n"
		"      bit-error=RATE    flip each bit on the RX pin with probability RATE\n"
		"      drop=RATE         drop a host byte with probability RATE\n"
		"      dup=RATE          duplicate a host byte with probability RATE\n"
		"      stall             stop answering: host bytes and TX output are discarded\n"
		"      pty-close         close the pseudo-terminal (the host sees the port vanish)\n"
		"      ina-reset         the INA219 resets (CAL reads back 0, config POR)\n"
		"      ina-stop          the INA219 stops converting (registers freeze)\n"
		"      ina-saturate      the INA219 shunt reading sticks at full scale\n"
		"  -q, --quiet         no progress messages on stderr\n"
		"  -h, --help          this help\n"
		"\n"
		"Control socket (one line in, one line out): 'now', 'truth C0 C1', 'fault NAME [ARG]',\n"
		"'fault clear', 'stats', 'quit'. Details: docs/vboard.md.\n"
		"\n"
		"Example:\n"
		"  hilbench-vboard --pace fast --truth truth.json --fault drop=0.001@0.5\n",
		bld->top_name, bld->clk_hz, bld->baud, nearbyint(bld->clk_hz / bld->baud),
		bld->family);
}

/* hb_vb_fault_parse: gateware/vboard/vb_ctl.c */

static int usage(const char *fmt, const char *v)
{
	fprintf(stderr, "hilbench-vboard: ");
	fprintf(stderr, fmt, v);
	fprintf(stderr, "\n(see 'hilbench-vboard --help')\n");
	return 2;
}

static int parse_num(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end || !(v >= lo && v <= hi))
		return -1;
	*out = v;
	return 0;
}

int hb_vb_parse_args(int argc, char **argv, const struct hb_vb_build *bld, struct hb_vb_opts *o)
{
	static const struct option opts[] = {
		{"clock-hz", required_argument, 0, 'c'}, {"baud", required_argument, 0, 'b'},
		{"pace", required_argument, 0, 'p'},     {"tcp", required_argument, 0, 't'},
		{"dir", required_argument, 0, 'd'},      {"truth", required_argument, 0, 'T'},
		{"power-model", required_argument, 0, 'P'}, {"seed", required_argument, 0, 's'},
		{"noise-uA", required_argument, 0, 'n'}, {"fault", required_argument, 0, 'f'},
		{"max-seconds", required_argument, 0, 'm'}, {"quiet", no_argument, 0, 'q'},
		{"no-idle-skip", no_argument, 0, 'S'},
		{"help", no_argument, 0, 'h'},           {0, 0, 0, 0},
	};
	int c;
	double v;

	memset(o, 0, sizeof *o);
	o->seed = 1;
	optind = 0;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (parse_num(optarg, 1e3, 1e9, &o->clock_hz))
				return usage("--clock-hz '%s': give a frequency in Hz (1e3..1e9)", optarg);
			break;
		case 'b':
			if (parse_num(optarg, 300, 1e8, &o->baud))
				return usage("--baud '%s': give a baud rate (300..1e8)", optarg);
			break;
		case 'p':
			if (strcmp(optarg, "realtime") == 0)
				o->pace = HB_VB_PACE_REALTIME;
			else if (strcmp(optarg, "fast") == 0)
				o->pace = HB_VB_PACE_FAST;
			else
				return usage("--pace '%s': use realtime or fast", optarg);
			break;
		case 't':
			if (parse_num(optarg, 1, 65535, &v))
				return usage("--tcp '%s': give a TCP port 1..65535", optarg);
			o->tcp_port = (int)v;
			break;
		case 'd': o->dir = optarg; break;
		case 'T': o->truth_path = optarg; break;
		case 'P': o->power_path = optarg; break;
		case 's':
			if (parse_num(optarg, 0, 1.8e19, &v))
				return usage("--seed '%s': give a non-negative integer", optarg);
			o->seed = (uint64_t)v;
			break;
		case 'n':
			if (parse_num(optarg, 0, 1e9, &o->noise_ua))
				return usage("--noise-uA '%s': give a non-negative current in uA", optarg);
			break;
		case 'm':
			if (parse_num(optarg, 0, 1e9, &o->max_seconds))
				return usage("--max-seconds '%s': give seconds of simulated time", optarg);
			break;
		case 'f':
			if (o->n_faults == HB_VB_MAX_FAULTS)
				return usage("--fault '%s': too many faults", optarg);
			if (hb_vb_fault_parse(optarg, &o->faults[o->n_faults]) != HB_OK ||
			    strcmp(o->faults[o->n_faults].name, "clear") == 0)
				return usage("--fault '%s': use NAME[=ARG][@SIM_SECONDS] with NAME one of "
					     "bit-error drop dup stall pty-close ina-reset ina-stop "
					     "ina-saturate", optarg);
			o->n_faults++;
			break;
		case 'q': o->quiet = 1; break;
		case 'S': o->no_idle_skip = 1; break;
		case 'h': hb_vb_print_help(stdout, bld); return 3;
		default: fprintf(stderr, "(see 'hilbench-vboard --help')\n"); return 2;
		}
	}
	if (optind < argc)
		return usage("unexpected argument '%s'", argv[optind]);
	/* The UART divider is compiled into the RTL: keep clock/baud at its ratio. */
	double cpb = nearbyint(bld->clk_hz / bld->baud);
	if (!o->clock_hz && !o->baud) {
		o->clock_hz = bld->clk_hz;
		o->baud = bld->baud;
	} else if (!o->baud) {
		o->baud = o->clock_hz / cpb;
	} else if (!o->clock_hz) {
		o->clock_hz = o->baud * cpb;
	} else if (nearbyint(o->clock_hz / o->baud) != cpb) {
		char msg[160];
		snprintf(msg, sizeof msg, "%.0f Hz / %.0f baud is %.2f cycles per bit, but this build's "
			 "UART divider is %.0f", o->clock_hz, o->baud, o->clock_hz / o->baud, cpb);
		return usage("--clock-hz/--baud: %s", msg);
	}
	return 0;
}

/* ---- setup ------------------------------------------------------------------------ */

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static enum hb_status open_pty(struct hb_vb_board *b)
{
	struct termios tio;
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0 || grantpt(m) || unlockpt(m) || ptsname_r(m, b->pty_name, sizeof b->pty_name)) {
		hb_err("cannot create a pseudo-terminal: %s", strerror(errno));
		if (m >= 0)
			close(m);
		return HB_ERR_IO;
	}
	/* Keep one slave descriptor open ourselves: without it the master reports a hang-up
	 * whenever no client has the port open, and poll() would spin. */
	int s = open(b->pty_name, O_RDWR | O_NOCTTY);
	if (s < 0 || tcgetattr(s, &tio)) {
		hb_err("cannot open %s: %s", b->pty_name, strerror(errno));
		close(m);
		if (s >= 0)
			close(s);
		return HB_ERR_IO;
	}
	cfmakeraw(&tio);
	tcsetattr(s, TCSANOW, &tio);
	set_nonblock(m);
	b->pty_master = m;
	b->pty_slave = s;
	return HB_OK;
}

/* listen_unix, listen_tcp: hb_vb_listen_unix/_tcp in vb_sock.c */

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static int chance(struct hb_vb_board *b, double p)
{
	if (p <= 0)
		return 0;
	return (double)(splitmix(&b->rng) >> 11) * (1.0 / 9007199254740992.0) < p;
}

enum hb_status hb_vb_board_open(struct hb_vb_board **out, const struct hb_vb_opts *o,
				const struct hb_vb_build *bld)
{
	struct hb_vb_board *b = calloc(1, sizeof *b);
	enum hb_status st;

	if (!b)
		return HB_ERR_NOMEM;
	*out = b;
	b->o = *o;
	b->bld = *bld;
	b->clock_hz = o->clock_hz;
	b->baud = o->baud;
	b->cpb = (uint64_t)nearbyint(o->clock_hz / o->baud);
	b->pty_master = b->pty_slave = b->tcp_listen = b->tcp_client = -1;
	b->i2c_listen = b->ctl_listen = -1;
	for (int i = 0; i < MAX_CLIENTS; i++)
		b->i2c_cl[i].fd = b->ctl_cl[i].fd = -1;
	b->rng = o->seed * 0x2545F4914F6CDD1Dull + 7;
	b->hot.hist = calloc(HIST_CYCLES, sizeof *b->hot.hist);
	b->hot.hist_mask = HIST_CYCLES - 1;
	b->rxq.d = malloc(RING_CAP);
	b->txq.d = malloc(RING_CAP);
	if (!b->rxq.d || !b->txq.d || !b->hot.hist)
		return HB_ERR_NOMEM;

	/* power model */
	if (o->power_path) {
		snprintf(b->power_file, sizeof b->power_file, "%s", o->power_path);
	} else {
		snprintf(b->power_file, sizeof b->power_file, "%s/gateware/vboard/power-%s.ini",
			 hb_data_dir(), bld->family);
		if (access(b->power_file, R_OK) != 0) {
			hb_warn("%s not found: using the built-in iCE40 coefficients", b->power_file);
			b->power_file[0] = 0;
		}
	}
	if (b->power_file[0]) {
		st = hb_vb_power_load(b->power_file, &b->pm);
		if (st != HB_OK)
			return st;
	} else {
		hb_vb_power_defaults(&b->pm);
	}
	st = hb_vb_truth_init(&b->truth, &b->pm, b->clock_hz);
	if (st != HB_OK)
		return st;
	b->truth.hist = b->hot.hist;
	b->truth.hist_mask = b->hot.hist_mask;
	struct hb_ina219m_params ip = {.r_shunt_ohm = b->pm.r_shunt_ohm, .bus_v = b->pm.rail_v,
				       .noise_a = o->noise_ua * 1e-6, .seed = o->seed};
	hb_ina219m_init(&b->ina, &ip, 0.0, 0.0);

	/* endpoints */
	if (o->dir) {
		char why[600];
		snprintf(b->dir, sizeof b->dir, "%s", o->dir);
		st = hb_vb_private_dir(b->dir, why, sizeof why); /* vb_sock.c */
		if (st != HB_OK) {
			hb_err("--dir %s", why);
			return st;
		}
	} else {
		snprintf(b->dir, sizeof b->dir, "/tmp/hb-vboard-XXXXXX");
		if (!mkdtemp(b->dir)) {
			hb_err("mkdtemp: %s", strerror(errno));
			return HB_ERR_IO;
		}
		b->own_dir = 1;
	}
	snprintf(b->i2c_path, sizeof b->i2c_path, "%s/i2c.sock", b->dir);
	snprintf(b->ctl_path, sizeof b->ctl_path, "%s/ctl.sock", b->dir);
	st = open_pty(b);
	if (st != HB_OK)
		return st;
	b->i2c_listen = hb_vb_listen_unix(b->i2c_path);
	b->ctl_listen = hb_vb_listen_unix(b->ctl_path);
	if (b->i2c_listen < 0 || b->ctl_listen < 0)
		return HB_ERR_IO;
	if (o->tcp_port) {
		b->tcp_listen = hb_vb_listen_tcp(o->tcp_port);
		if (b->tcp_listen < 0)
			return HB_ERR_IO;
	}

	/* hot state */
	b->hot.rx_next_edge = HB_VB_NEVER;
	b->hot.rx_level = 1;
	b->hot.tx_armed = 1;
	b->hot.tx_next_sample = HB_VB_NEVER;
	b->rx_idx = 10;
	/* The framer drops a partial frame after clock/100 cycles and the error LED runs 1/8 s
	 * (visible on led[2], which the loop watches): 12 ms of quiet pins means every
	 * transient inside hb_top is over. */
	b->quiet_cycles = (uint64_t)(b->clock_hz * 0.012);
	b->end_cycle = o->max_seconds > 0 ? (uint64_t)(o->max_seconds * b->clock_hz) : HB_VB_NEVER;

	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	b->wall_anchor_ns = hb_now_ns();
	return HB_OK;
}

void hb_vb_board_announce(struct hb_vb_board *b, FILE *f)
{
	fprintf(f, "uart: %s\n", b->pty_name);
	fprintf(f, "i2c: %s\n", b->i2c_path);
	fprintf(f, "ctl: %s\n", b->ctl_path);
	if (b->tcp_listen >= 0)
		fprintf(f, "tcp: 127.0.0.1:%d\n", b->o.tcp_port);
	fprintf(f, "clock_hz: %.0f\n", b->clock_hz);
	fprintf(f, "baud: %.0f\n", b->baud);
	fprintf(f, "ina219: 0x%02x\n", b->pm.ina_addr);
	fprintf(f, "power_model: %s\n", b->power_file[0] ? b->power_file : "built-in");
	fprintf(f, "ready\n");
	fflush(f);
}

void hb_vb_board_set_can_skip(struct hb_vb_board *b, int on) { b->can_skip = on && !b->o.no_idle_skip; }

void hb_vb_skipped(struct hb_vb_board *b, uint64_t n)
{
	struct hb_vb_hot *h = &b->hot;
	/* The skipped cycles form one uniform (all-zero) segment between two checkpoints, so
	 * truth queries inside it never read the history; only the last few history entries
	 * are written (hb_vb_truth_pin_before looks back PIN_BEFORE_EDGE cycles). */
	mark(b);
	uint64_t z = n < 8 ? n : 8;
	for (uint64_t k = n - z; k < n; k++)
		h->hist[(h->cyc + k) & h->hist_mask] = 0;
	h->cyc += n;
	h->sums.cycles = h->cyc;
	h->changed = 0;
	mark(b);
	b->skipped += n;
}

struct hb_vb_hot *hb_vb_board_hot(struct hb_vb_board *b) { return &b->hot; }
uint64_t hb_vb_board_cycles_per_bit(const struct hb_vb_board *b) { return b->cpb; }
int hb_vb_board_quitting(const struct hb_vb_board *b) { return b->quit || g_stop; }

/* ---- pin-level UART ---------------------------------------------------------------- */

uint8_t hb_vb_rx_edge(struct hb_vb_board *b)
{
	struct hb_vb_hot *h = &b->hot;
	if (b->rx_idx >= 10) {
		uint8_t v;
		if (!ring_get(&b->rxq, &v)) {
			h->rx_next_edge = HB_VB_NEVER;
			h->rx_level = 1;
			return 1;
		}
		/* 8N1: start 0, data LSB first, stop 1. */
		uint16_t fr = (uint16_t)(1u << 9 | (unsigned)v << 1);
		if (b->bit_error > 0) {
			for (int i = 0; i < 10; i++) {
				if (chance(b, b->bit_error)) {
					fr ^= (uint16_t)(1u << i);
					b->bits_flipped++;
				}
			}
		}
		b->rx_frame = fr;
		b->rx_idx = 0;
		b->rx_bytes++;
	}
	h->rx_level = (uint8_t)((b->rx_frame >> b->rx_idx) & 1);
	b->rx_idx++;
	h->rx_next_edge = h->cyc + b->cpb;
	return h->rx_level;
}

void hb_vb_tx_start(struct hb_vb_board *b)
{
	struct hb_vb_hot *h = &b->hot;
	h->tx_armed = 0;
	b->tx_bit = -1;
	b->tx_shift = 0;
	h->tx_next_sample = h->cyc + b->cpb / 2;
}

static void tx_emit(struct hb_vb_board *b, uint8_t v)
{
	b->tx_bytes++;
	if (b->stall) {
		b->tx_discarded++;
		return;
	}
	if (!ring_put(&b->txq, v))
		b->tx_overflow++;
}

void hb_vb_tx_sample(struct hb_vb_board *b, uint8_t level)
{
	struct hb_vb_hot *h = &b->hot;
	if (b->tx_bit < 0) {
		if (level) { /* a glitch, not a start bit */
			h->tx_armed = 1;
			h->tx_next_sample = HB_VB_NEVER;
			return;
		}
		b->tx_bit = 0;
	} else if (b->tx_bit < 8) {
		b->tx_shift |= (uint8_t)((level & 1) << b->tx_bit);
		b->tx_bit++;
	} else {
		if (level)
			tx_emit(b, b->tx_shift);
		else
			b->framing_errors++;
		h->tx_armed = 1;
		h->tx_next_sample = HB_VB_NEVER;
		return;
	}
	h->tx_next_sample = h->cyc + b->cpb;
}

/* ---- truth ------------------------------------------------------------------------- */

static void mark(struct hb_vb_board *b)
{
	struct hb_vb_hot *h = &b->hot;
	hb_vb_truth_mark(&b->truth, &h->sums, !h->changed, h->prev_word);
	h->changed = 0;
	h->seg_start = h->cyc;
	b->last_mark = h->cyc;
}

void hb_vb_board_begin(struct hb_vb_board *b, uint64_t start_cycle)
{
	struct hb_vb_hot *h = &b->hot;
	h->cyc = start_cycle;
	h->sums.cycles = start_cycle;
	for (uint64_t c = 0; c < start_cycle && c <= h->hist_mask; c++)
		h->hist[c] = 0;
	h->changed = 0;
	h->prev_word = 0;
	h->quiet_since = start_cycle;
	mark(b);
}

void hb_vb_ctl_edge(struct hb_vb_board *b, uint32_t ctl)
{
	struct hb_vb_hot *h = &b->hot;
	uint32_t prev = h->prev_ctl;
	hb_vb_truth_pin_before(&b->truth, &h->sums, PIN_BEFORE_EDGE);
	mark(b);
	if ((ctl ^ prev) & 1)
		hb_vb_truth_busy_edge(&b->truth, h->cyc, ctl & 1);
	if ((ctl & 2) && !(prev & 2))
		h->inferences++;
	h->prev_ctl = ctl;
}

/* ---- faults ------------------------------------------------------------------------ */

static void close_pty(struct hb_vb_board *b)
{
	if (b->pty_master >= 0)
		close(b->pty_master);
	if (b->pty_slave >= 0)
		close(b->pty_slave);
	b->pty_master = b->pty_slave = -1;
}

static void apply_fault(struct hb_vb_board *b, const struct hb_vb_fault_spec *f)
{
	const char *n = f->name;
	if (!b->o.quiet)
		fprintf(stderr, "vboard: fault %s%s at cycle %llu\n", n, f->has_arg ? " (arg)" : "",
			(unsigned long long)b->hot.cyc);
	if (strcmp(n, "bit-error") == 0)
		b->bit_error = f->has_arg ? f->arg : 1e-3;
	else if (strcmp(n, "drop") == 0)
		b->drop = f->has_arg ? f->arg : 0.01;
	else if (strcmp(n, "dup") == 0)
		b->dup = f->has_arg ? f->arg : 0.01;
	else if (strcmp(n, "stall") == 0)
		b->stall = 1;
	else if (strcmp(n, "pty-close") == 0)
		close_pty(b);
	else if (strcmp(n, "ina-reset") == 0)
		hb_ina219m_reset(&b->ina);
	else if (strcmp(n, "ina-stop") == 0)
		hb_ina219m_set_stopped(&b->ina, 1);
	else if (strcmp(n, "ina-saturate") == 0)
		hb_ina219m_set_saturated(&b->ina, 1);
	else if (strcmp(n, "clear") == 0) {
		b->bit_error = b->drop = b->dup = 0;
		b->stall = 0;
		hb_ina219m_set_stopped(&b->ina, 0);
		hb_ina219m_set_saturated(&b->ina, 0);
	}
}

/* ---- host bytes -------------------------------------------------------------------- */

static void host_bytes_in(struct hb_vb_board *b, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		b->host_bytes++;
		if (b->stall || chance(b, b->drop)) {
			b->bytes_dropped++;
			continue;
		}
		ring_put(&b->rxq, p[i]);
		if (chance(b, b->dup)) {
			b->bytes_duped++;
			ring_put(&b->rxq, p[i]);
		}
	}
	if (b->rxq.len && b->hot.rx_next_edge == HB_VB_NEVER)
		b->hot.rx_next_edge = b->hot.cyc; /* start at the next cycle boundary */
}

static void flush_tx(struct hb_vb_board *b)
{
	while (b->txq.len) {
		size_t n = b->txq.len, head = b->txq.head;
		if (head + n > RING_CAP)
			n = RING_CAP - head;
		ssize_t w = -1;
		if (b->pty_master >= 0) {
			w = write(b->pty_master, b->txq.d + head, n);
			if (w < 0 && errno == EAGAIN)
				return;
		}
		if (b->tcp_client >= 0) {
			ssize_t t = send(b->tcp_client, b->txq.d + head, (size_t)(w > 0 ? w : (ssize_t)n),
					 MSG_NOSIGNAL | MSG_DONTWAIT);
			if (w < 0)
				w = t;
		}
		if (w <= 0) {
			if (b->pty_master < 0 && b->tcp_client < 0) { /* nobody to talk to */
				b->tx_discarded += b->txq.len;
				b->txq.head = b->txq.len = 0;
			}
			return;
		}
		b->txq.head = (b->txq.head + (size_t)w) % RING_CAP;
		b->txq.len -= (size_t)w;
	}
}

/* ---- I2C socket -------------------------------------------------------------------- */

static void send_all(int fd, const void *p, size_t n)
{
	const uint8_t *q = p;
	while (n) {
		ssize_t w = send(fd, q, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			struct pollfd pf = {.fd = fd, .events = POLLOUT};
			poll(&pf, 1, 100);
			continue;
		}
		if (w <= 0)
			return;
		q += w;
		n -= (size_t)w;
	}
}

static void i2c_process(struct hb_vb_board *b, struct client *c)
{
	for (;;) {
		if (c->n < 4)
			return;
		uint8_t op = c->buf[0], addr = c->buf[1], wn = c->buf[2], rn = c->buf[3];
		if (c->n < 4u + wn)
			return;
		uint8_t resp[1 + 255];
		size_t rlen = 1;
		if (op != 'X') {
			resp[0] = 3;
		} else if (addr != b->pm.ina_addr) {
			resp[0] = 1;
		} else {
			resp[0] = (uint8_t)hb_ina219m_xfer(&b->ina, c->buf + 4, wn, resp + 1, rn);
			if (resp[0] == 0)
				rlen += rn;
		}
		send_all(c->fd, resp, rlen);
		memmove(c->buf, c->buf + 4 + wn, c->n - 4 - wn);
		c->n -= 4u + wn;
	}
}

/* ---- control socket ---------------------------------------------------------------- */

static void ctl_reply(struct client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ctl_reply(struct client *c, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof line - 2)
		n = sizeof line - 2;
	line[n++] = '\n';
	send_all(c->fd, line, (size_t)n);
}

/* One control line: parsed by vb_ctl.c (fuzzed on its own), executed here. */
static void ctl_line(struct hb_vb_board *b, struct client *c, char *line)
{
	struct hb_vb_hot *h = &b->hot;
	struct hb_vb_ctl_cmd cmd;

	hb_vb_ctl_parse(line, &cmd);
	switch (cmd.kind) {
	case HB_VB_CTL_ERR:
		ctl_reply(c, "err %s", cmd.err);
		break;
	case HB_VB_CTL_NOW:
		ctl_reply(c, "ok cycle=%llu sim_ns=%.0f behind=%llu inferences=%llu sim_rate_hz=%.0f",
			  (unsigned long long)h->cyc, (double)h->cyc * 1e9 / b->clock_hz,
			  (unsigned long long)b->behind_count, (unsigned long long)h->inferences,
			  b->sim_rate_hz);
		break;
	case HB_VB_CTL_TRUTH: {
		unsigned long long c0 = cmd.c0, c1 = cmd.c1;
		if (c1 > h->cyc)
			return ctl_reply(c, "err C1 %llu is in the future (now %llu)", c1,
					 (unsigned long long)h->cyc);
		struct hb_vb_truth_result r;
		hb_vb_truth_query(&b->truth, c0, c1, &h->sums, !h->changed, &r);
		ctl_reply(c,
			  "ok cycles=%llu energy_nj=%.6f avg_power_mw=%.9f idle_power_mw=%.9f "
			  "clock_hz=%.0f busy_cycles=%llu done=%llu core_energy_nj=%.6f exact=%d",
			  (unsigned long long)r.cycles, r.energy_j * 1e9, r.avg_power_w * 1e3,
			  r.idle_power_w * 1e3, b->clock_hz, (unsigned long long)r.busy_cycles,
			  (unsigned long long)r.done, r.core_energy_j * 1e9, r.exact);
		break;
	}
	case HB_VB_CTL_FAULT:
		apply_fault(b, &cmd.fault);
		ctl_reply(c, "ok fault=%s", cmd.fault.name);
		break;
	case HB_VB_CTL_STATS:
		ctl_reply(c,
			  "ok cycle=%llu host_bytes=%llu rx_bytes=%llu tx_bytes=%llu dropped=%llu "
			  "duplicated=%llu bits_flipped=%llu tx_discarded=%llu framing_errors=%llu "
			  "behind=%llu ina_conversions=%llu inferences=%llu skipped=%llu",
			  (unsigned long long)h->cyc, (unsigned long long)b->host_bytes,
			  (unsigned long long)b->rx_bytes, (unsigned long long)b->tx_bytes,
			  (unsigned long long)b->bytes_dropped, (unsigned long long)b->bytes_duped,
			  (unsigned long long)b->bits_flipped, (unsigned long long)b->tx_discarded,
			  (unsigned long long)b->framing_errors, (unsigned long long)b->behind_count,
			  (unsigned long long)b->ina.conversions, (unsigned long long)h->inferences,
			  (unsigned long long)b->skipped);
		break;
	case HB_VB_CTL_QUIT:
		ctl_reply(c, "ok bye");
		b->quit = 1;
		break;
	}
}

static void ctl_process(struct hb_vb_board *b, struct client *c)
{
	char *nl;
	while ((nl = memchr(c->buf, '\n', c->n))) {
		size_t len = (size_t)(nl - (char *)c->buf);
		char line[sizeof c->buf];
		memcpy(line, c->buf, len);
		line[len] = 0;
		memmove(c->buf, nl + 1, c->n - len - 1);
		c->n -= len + 1;
		ctl_line(b, c, line);
	}
	if (c->n == sizeof c->buf) { /* an over-long line: drop it */
		ctl_reply(c, "err line too long");
		c->n = 0;
	}
}

/* ---- poll loop --------------------------------------------------------------------- */

static void accept_into(int lfd, struct client *cl)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	for (int i = 0; i < MAX_CLIENTS; i++) {
		if (cl[i].fd < 0) {
			cl[i].fd = fd;
			cl[i].n = 0;
			return;
		}
	}
	close(fd); /* too many clients */
}

static void read_client(struct hb_vb_board *b, struct client *c, int is_ctl)
{
	ssize_t r = recv(c->fd, c->buf + c->n, sizeof c->buf - c->n, 0);
	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
		close(c->fd);
		c->fd = -1;
		return;
	}
	if (r < 0)
		return;
	c->n += (size_t)r;
	if (is_ctl)
		ctl_process(b, c);
	else
		i2c_process(b, c);
}

static void do_poll(struct hb_vb_board *b, int timeout_us)
{
	struct pollfd pf[8 + 2 * MAX_CLIENTS];
	int n = 0, i_pty = -1, i_tl = -1, i_tc = -1, i_il = -1, i_cl = -1;
	int i_ic[MAX_CLIENTS], i_cc[MAX_CLIENTS];
	int want_in = b->rxq.len < RING_CAP / 2;

	if (b->pty_master >= 0) {
		i_pty = n;
		pf[n++] = (struct pollfd){b->pty_master, (short)((want_in ? POLLIN : 0) |
								  (b->txq.len ? POLLOUT : 0)), 0};
	}
	if (b->tcp_listen >= 0 && b->tcp_client < 0) {
		i_tl = n;
		pf[n++] = (struct pollfd){b->tcp_listen, POLLIN, 0};
	}
	if (b->tcp_client >= 0) {
		i_tc = n;
		pf[n++] = (struct pollfd){b->tcp_client, (short)((want_in ? POLLIN : 0) |
								 (b->txq.len ? POLLOUT : 0)), 0};
	}
	i_il = n;
	pf[n++] = (struct pollfd){b->i2c_listen, POLLIN, 0};
	i_cl = n;
	pf[n++] = (struct pollfd){b->ctl_listen, POLLIN, 0};
	for (int k = 0; k < MAX_CLIENTS; k++) {
		i_ic[k] = i_cc[k] = -1;
		if (b->i2c_cl[k].fd >= 0) {
			i_ic[k] = n;
			pf[n++] = (struct pollfd){b->i2c_cl[k].fd, POLLIN, 0};
		}
		if (b->ctl_cl[k].fd >= 0) {
			i_cc[k] = n;
			pf[n++] = (struct pollfd){b->ctl_cl[k].fd, POLLIN, 0};
		}
	}
	if (b->txq.len && b->pty_master < 0 && b->tcp_client < 0)
		flush_tx(b); /* discards: nobody listens */
	struct timespec ts = {timeout_us / 1000000, (long)(timeout_us % 1000000) * 1000};
	int r = ppoll(pf, (nfds_t)n, &ts, NULL);
	if (r <= 0)
		return;
	uint8_t buf[4096];
	if (i_pty >= 0 && (pf[i_pty].revents & POLLIN)) {
		ssize_t got = read(b->pty_master, buf, sizeof buf);
		if (got > 0)
			host_bytes_in(b, buf, (size_t)got);
	}
	if (i_tc >= 0 && (pf[i_tc].revents & (POLLIN | POLLHUP | POLLERR))) {
		ssize_t got = recv(b->tcp_client, buf, sizeof buf, 0);
		if (got > 0) {
			host_bytes_in(b, buf, (size_t)got);
		} else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
			close(b->tcp_client);
			b->tcp_client = -1;
		}
	}
	if (i_tl >= 0 && (pf[i_tl].revents & POLLIN)) {
		b->tcp_client = accept4(b->tcp_listen, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	}
	if (b->txq.len)
		flush_tx(b);
	if (pf[i_il].revents & POLLIN)
		accept_into(b->i2c_listen, b->i2c_cl);
	if (pf[i_cl].revents & POLLIN)
		accept_into(b->ctl_listen, b->ctl_cl);
	for (int k = 0; k < MAX_CLIENTS; k++) {
		if (i_ic[k] >= 0 && pf[i_ic[k]].revents && b->i2c_cl[k].fd >= 0)
			read_client(b, &b->i2c_cl[k], 0);
		if (i_cc[k] >= 0 && pf[i_cc[k]].revents && b->ctl_cl[k].fd >= 0)
			read_client(b, &b->ctl_cl[k], 1);
	}
}

static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

uint64_t hb_vb_service(struct hb_vb_board *b)
{
	struct hb_vb_hot *h = &b->hot;
	/* Realtime may run up to `lead` = 100 us ahead of the wall clock, and evaluated chunks
	 * are at most `chunk` = 100 us of simulated time, so an I2C or UART client is answered
	 * within about 100 us (an INA219 sample takes four register transactions, 0.4 ms, well
	 * inside the 1.06 ms of a 12-bit conversion and the 2.66 ms `hilbench run` configures)
	 * and a host that samples the INA219 on its own clock sees conversions complete one at a
	 * time. Shorter chunks cost CPU the simulation needs to keep its pace. */
	const uint64_t lead = (uint64_t)(b->clock_hz * 100e-6) + 2;
	const uint64_t chunk = (uint64_t)(b->clock_hz * 100e-6) + 1;

	if (b->exit_ns && !b->exit_was_skip) {
		b->run_ns += hb_now_ns() - b->exit_ns;
		b->run_cycles += h->cyc - b->exit_cyc;
		if (b->run_ns >= 500000000ull) {
			b->sim_rate_hz = (double)b->run_cycles * 1e9 / (double)b->run_ns;
			b->run_ns = b->run_cycles = 0;
		}
	}
	if (h->cyc - b->last_mark >= TRUTH_INTERVAL)
		mark(b);
	hb_ina219m_advance(&b->ina, (double)h->cyc / b->clock_hz,
			   hb_vb_charge_c(&b->pm, b->clock_hz, &h->sums));
	uint64_t next_fault = HB_VB_NEVER;
	for (int i = 0; i < b->o.n_faults; i++) {
		if (b->fault_done[i])
			continue;
		uint64_t at = (uint64_t)(b->o.faults[i].at_s * b->clock_hz);
		if (at <= h->cyc) {
			apply_fault(b, &b->o.faults[i]);
			b->fault_done[i] = 1;
		} else {
			next_fault = min_u64(next_fault, at);
		}
	}
	if (h->cyc >= b->end_cycle)
		b->quit = 1;

	for (;;) {
		uint64_t avail = FAST_CHUNK;
		int timeout = 0; /* us */
		if (b->o.pace == HB_VB_PACE_REALTIME) {
			uint64_t now = hb_now_ns();
			uint64_t target = b->cyc_anchor +
				(uint64_t)((double)(now - b->wall_anchor_ns) * 1e-9 * b->clock_hz);
			if (target > h->cyc + (uint64_t)(b->clock_hz * 0.1)) {
				/* More than 100 ms behind: count it, say so, and re-anchor (we do not
				 * try to catch up in a burst). */
				b->behind_count++;
				if (!b->o.quiet && now - b->last_warn_ns > 5000000000ull) {
					fprintf(stderr, "vboard: behind real time by %.0f ms at cycle %llu "
						"(%llu times so far); the simulation is slower than %.0f Hz\n",
						(double)(target - h->cyc) * 1e3 / b->clock_hz,
						(unsigned long long)h->cyc,
						(unsigned long long)b->behind_count, b->clock_hz);
					b->last_warn_ns = now;
				}
				b->wall_anchor_ns = now;
				b->cyc_anchor = h->cyc;
				target = h->cyc;
			}
			/* Hysteresis: with nothing in flight, run up to `lead` ahead and then sleep
			 * until only lead/2 is left; with host bytes queued or frames on the pins, keep
			 * going while under `lead`. */
			int pending = b->rxq.len || h->rx_next_edge != HB_VB_NEVER || !h->tx_armed;
			uint64_t resume = pending ? lead : lead / 2;
			if (target + resume > h->cyc) {
				avail = target + lead - h->cyc;
			} else {
				avail = 0;
				double us = (double)(h->cyc - target - lead / 2) * 1e6 / b->clock_hz;
				if (b->can_skip && h->prev_word == 0 && !pending &&
				    h->cyc - h->quiet_since >= b->quiet_cycles) {
					/* Idle and skippable: nothing a client can see changes before the
					 * INA219's next conversion edge, so sleep until then (at most 1 ms,
					 * so that 'now' stays within a millisecond of the wall clock). */
					double te = hb_ina219m_next_event(&b->ina);
					double ev_us = te < 1e299 ? (te * b->clock_hz - (double)target) * 1e6 /
									   b->clock_hz
								  : 1000;
					double lim = ev_us < 1000 ? ev_us : 1000;
					if (lim > us)
						us = lim;
				}
				timeout = us < 20 ? 20 : us > 50000 ? 50000 : (int)us;
			}
		}
		do_poll(b, timeout);
		if (b->quit || g_stop) {
			b->quit = 1;
			return 0;
		}
		if (avail == 0)
			continue;
		h->skip_ok = b->can_skip && b->o.pace == HB_VB_PACE_REALTIME && h->prev_word == 0 &&
			     h->cyc - h->quiet_since >= b->quiet_cycles && b->rxq.len == 0 &&
			     h->rx_next_edge == HB_VB_NEVER && h->tx_armed;
		if (!h->skip_ok) {
			/* Stop at the next INA219 window edge (the cycle before it, then the cycle
			 * after it, so that its charge is interpolated inside one constant-current
			 * cycle) and at the next periodic checkpoint. A skipped chunk has constant
			 * current and marks its own checkpoints. */
			double te = hb_ina219m_next_event(&b->ina);
			if (te < 1e299) {
				double ec = floor(te * b->clock_hz);
				uint64_t e = ec <= (double)h->cyc ? h->cyc + 1 : (uint64_t)ec;
				avail = min_u64(avail, e - h->cyc);
			}
			avail = min_u64(avail, b->last_mark + TRUTH_INTERVAL - h->cyc);
			/* poll the host often enough */
			avail = min_u64(avail, b->o.pace == HB_VB_PACE_REALTIME ? chunk : FAST_CHUNK);
		}
		if (next_fault != HB_VB_NEVER)
			avail = min_u64(avail, next_fault - h->cyc);
		if (b->end_cycle != HB_VB_NEVER)
			avail = min_u64(avail, b->end_cycle - h->cyc);
		if (avail == 0)
			avail = 1;
		b->exit_ns = hb_now_ns();
		b->exit_cyc = h->cyc;
		b->exit_was_skip = h->skip_ok;
		return avail;
	}
}

int hb_vb_board_close(struct hb_vb_board *b)
{
	int rc = 0;
	if (!b)
		return 1;
	if (b->o.truth_path && b->truth.ck) {
		struct hb_outfile of; /* no planted symlink followed (docs/security.md) */
		if (hb_outfile_open(&of, b->o.truth_path) != HB_OK ||
		    hb_vb_truth_write_json(&b->truth, &b->hot.sums, !b->hot.changed, of.f) != HB_OK ||
		    hb_outfile_commit(&of) != HB_OK) {
			hb_outfile_abort(&of);
			hb_err("cannot write --truth %s", of.err[0] ? of.err : b->o.truth_path);
			rc = 1;
		}
	}
	if (!b->o.quiet)
		fprintf(stderr, "vboard: stopped at cycle %llu (%.6f s simulated, %llu idle cycles "
			"skipped), %llu inferences, %llu behind-pace events\n",
			(unsigned long long)b->hot.cyc, (double)b->hot.cyc / b->clock_hz,
			(unsigned long long)b->skipped, (unsigned long long)b->hot.inferences,
			(unsigned long long)b->behind_count);
	close_pty(b);
	for (int i = 0; i < MAX_CLIENTS; i++) {
		if (b->i2c_cl[i].fd >= 0)
			close(b->i2c_cl[i].fd);
		if (b->ctl_cl[i].fd >= 0)
			close(b->ctl_cl[i].fd);
	}
	if (b->tcp_client >= 0)
		close(b->tcp_client);
	if (b->tcp_listen >= 0)
		close(b->tcp_listen);
	if (b->i2c_listen >= 0) {
		close(b->i2c_listen);
		unlink(b->i2c_path);
	}
	if (b->ctl_listen >= 0) {
		close(b->ctl_listen);
		unlink(b->ctl_path);
	}
	if (b->own_dir && b->dir[0])
		rmdir(b->dir);
	hb_vb_truth_free(&b->truth);
	free(b->hot.hist);
	free(b->rxq.d);
	free(b->txq.d);
	free(b);
	return rc;
}
