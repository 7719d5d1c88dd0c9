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
#include "hb_vtime_proto.h"
#include "hbp_host.h"
#include "vb_ctl.h"
#include "vb_sock.h"

#define RING_CAP (1u << 20)
#define MAX_CLIENTS 8
#define VT_MAX 32               /* time-socket ports (host threads) */
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

/* A port on the time socket (docs/vboard.md, "Virtual time"). */
enum vt_state { VT_HOLD, VT_WAIT, VT_PARK };
struct vt_client {
	int fd;
	size_t n;
	uint8_t buf[2 * (HB_VT_HDR + HB_VT_MAX_PAYLOAD)];
	enum vt_state state;
	uint64_t deadline;      /* VT_WAIT: reply when the board reaches this cycle */
	int want_rx;            /* VT_WAIT: or when UART bytes for the host are there */
	int rx_probe;           /* ... on the probe's channel (HB_VT_CH_PROBE) */
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
	char dir[256], i2c_path[320], ctl_path[320], vt_path[320];
	int own_dir;
	int pty_master, pty_slave;
	char pty_name[128];
	int tcp_listen, tcp_client;
	int i2c_listen, ctl_listen;
	struct client i2c_cl[MAX_CLIENTS], ctl_cl[MAX_CLIENTS];
	int vt_listen;
	struct vt_client vt[VT_MAX];
	/* byte-level I2C bus state (HB_VT_I2C_ADDR ...): one transaction in progress */
	struct {
		int active, target, rd;  /* after START: the INA219 is addressed, for reading */
		uint8_t w[8];
		size_t wn;               /* bytes written since the address, not yet applied */
		int have_r, rpos;
		uint16_t rval;
	} bus;
	int vt_uart;              /* a port uses the UART: its bytes go there, not to the pty */
	int vt_rx_waiting;        /* a port waits for UART bytes */
	/* the bench probe (--probe, docs/probe.md section 7) */
	struct hbp_host *probe;
	struct ring pq;           /* probe -> host bytes not yet taken */
	int probe_master, probe_slave;
	char probe_pty[128];
	int vt_probe;             /* a port uses the probe's UART: its bytes go there only */
	int vt_probe_waiting;     /* a port waits for the probe's bytes */
	uint64_t probe_host_bytes, probe_out_bytes, probe_out_overflow, probe_xfers;
	uint64_t vt_requests;
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
		"Prints 'uart: /dev/pts/N', 'i2c: DIR/i2c.sock', 'ctl: DIR/ctl.sock', 'vtime:\n"
		"DIR/vtime.sock' (one 'key: value' per line) then 'ready', and runs until SIGTERM,\n"
		"SIGINT or 'quit' on the control socket.\n"
		"\n"
		"Options:\n"
		"  --clock-hz HZ       simulated clock (default %.0f)\n"
		"  --baud B            UART baud (default %.0f); clock/baud is the UART's cycles per\n"
		"                      bit, 4 .. 65535 (any pair: the divider is an input of this build)\n"
		"  --pace virtual|realtime|fast  realtime (default): simulated time never runs ahead\n"
		"                      of the wall clock (sleeps when idle); fast: as fast as possible;\n"
		"                      virtual: only as far as the host's ports on the time socket\n"
		"                      allow (what hilbench uses: deterministic, load-proof)\n"
		"  --tcp PORT          also serve the UART on 127.0.0.1:PORT (tcp://127.0.0.1:PORT)\n"
		"  --dir DIR           where to create the sockets (default: a new\n"
		"                      /tmp/hb-vboard-XXXXXX, removed at exit)\n"
		"  --truth FILE        write the ground truth as JSON at exit\n"
		"  --power-model FILE  power model ini (default gateware/vboard/power-%s.ini)\n"
		"  --seed N            seed for noise and faults (default 1)\n"
		"  --noise-uA X        INA219 current noise per conversion, 1 sigma, in uA (default 0)\n"
		"  --max-seconds S     stop after S seconds of simulated time\n"
		"  --no-idle-skip      evaluate every cycle in realtime pace too (see docs/vboard.md)\n"
		"  --family F          IDENTIFY reports family F: sim, ice40, ecp5, artix7 (and the\n"
		"                      power model defaults to power-F.ini; sim uses ice40's)\n"
		"  --ina219-addr A     the INA219's 7-bit address (default: the power model's)\n"
		"  --shunt-uohm N      its shunt in micro-ohms (default: the power model's)\n"
		"  --core-rail-mv MV   put the INA219 on the FPGA core supply at MV millivolts (a\n"
		"                      board profile's monitor) instead of the board's input rail\n"
		"  --probe             run the bench probe's firmware core inside the board: its I2C\n"
		"                      on the INA219, DONE/BUSY on its capture inputs, its UART on a\n"
		"                      second pty ('probe: /dev/pts/N') or, in virtual pace, the time\n"
		"                      socket's probe channel (docs/probe.md)\n"
		"  --probe-i2c-hz HZ   the probe's SCL rate (default 400000, the STM32F4 build's)\n"
		"  --fault SPEC        inject a fault, repeatable: NAME[=ARG][@SIM_SECONDS]\n"
		"      bit-error=RATE    flip each bit on the RX pin with probability RATE\n"
		"      drop=RATE         drop a host byte with probability RATE\n"
		"      dup=RATE          duplicate a host byte with probability RATE\n"
		"      stall             stop answering: host bytes and TX output are discarded\n"
		"      pty-close         close the pseudo-terminal (the host sees the port vanish)\n"
		"      ina-reset         the INA219 resets (CAL reads back 0, config POR)\n"
		"      ina-stop          the INA219 stops converting (registers freeze)\n"
		"      ina-saturate      the INA219 shunt reading sticks at full scale\n"
		"      clear@T           end the faults above at T (a fault for a stretch of time)\n"
		"  -q, --quiet         no progress messages on stderr\n"
		"  -h, --help          this help\n"
		"\n"
		"Control socket (one line in, one line out): 'now', 'truth C0 C1', 'fault NAME [ARG]',\n"
		"'fault clear', 'stats', 'quit'. Details: docs/vboard.md.\n"
		"\n"
		"Example:\n"
		"  hilbench-vboard --pace fast --truth truth.json --fault drop=0.001@0.5\n",
		bld->top_name, bld->clk_hz, bld->baud, bld->family);
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
		{"family", required_argument, 0, 'F'},   {"ina219-addr", required_argument, 0, 'A'},
		{"shunt-uohm", required_argument, 0, 'R'}, {"core-rail-mv", required_argument, 0, 'V'},
		{"probe", no_argument, 0, 'B'},          {"probe-i2c-hz", required_argument, 0, 'I'},
		{"help", no_argument, 0, 'h'},           {0, 0, 0, 0},
	};
	int c;
	double v;
	enum hb_status st;

	memset(o, 0, sizeof *o);
	o->seed = 1;
	o->family = -1;
	o->ina_addr = -1;
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
			else if (strcmp(optarg, "virtual") == 0)
				o->pace = HB_VB_PACE_VIRTUAL;
			else
				return usage("--pace '%s': use realtime, fast or virtual", optarg);
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
			st = hb_vb_fault_parse(optarg, &o->faults[o->n_faults]);
			if (st == HB_ERR_RANGE)
				return usage("--fault '%s': bit-error, drop and dup take a probability "
					     "0..1 (=RATE); stall, pty-close and ina-* take no argument",
					     optarg);
			if (st != HB_OK)
				return usage("--fault '%s': use NAME[=ARG][@SIM_SECONDS] with NAME one of "
					     "bit-error drop dup stall pty-close ina-reset ina-stop "
					     "ina-saturate, or clear@SIM_SECONDS", optarg);
			/* clear ends the faults before it: only meaningful at a later time */
			if (strcmp(o->faults[o->n_faults].name, "clear") == 0 && !(o->faults[o->n_faults].at_s > 0))
				return usage("--fault '%s': clear needs a time (clear@SIM_SECONDS): it ends "
					     "the faults injected before it", optarg);
			o->n_faults++;
			break;
		case 'q': o->quiet = 1; break;
		case 'S': o->no_idle_skip = 1; break;
		case 'F': {
			static const char *const fam[] = {"sim", "ice40", "ecp5", "artix7"};
			o->family = -1;
			for (int i = 0; i < 4; i++)
				if (strcmp(optarg, fam[i]) == 0)
					o->family = i;
			if (o->family < 0)
				return usage("--family '%s': use sim, ice40, ecp5 or artix7", optarg);
			break;
		}
		case 'A':
			if (parse_num(optarg, 0x03, 0x77, &v) || v != floor(v))
				return usage("--ina219-addr '%s': give a 7-bit address 0x03..0x77", optarg);
			o->ina_addr = (int)v;
			break;
		case 'R':
			if (parse_num(optarg, 100, 1e8, &v))
				return usage("--shunt-uohm '%s': give micro-ohms, 100 .. 1e8", optarg);
			o->shunt_ohm = v * 1e-6;
			break;
		case 'V':
			if (parse_num(optarg, 100, 60000, &v))
				return usage("--core-rail-mv '%s': give millivolts, 100 .. 60000", optarg);
			o->core_rail_v = v * 1e-3;
			break;
		case 'B': o->probe = 1; break;
		case 'I':
			if (parse_num(optarg, 1e3, 5e6, &o->probe_i2c_hz))
				return usage("--probe-i2c-hz '%s': give an SCL rate in Hz (1e3..5e6)", optarg);
			break;
		case 'h': hb_vb_print_help(stdout, bld); return 3;
		default: fprintf(stderr, "(see 'hilbench-vboard --help')\n"); return 2;
		}
	}
	if (optind < argc)
		return usage("unexpected argument '%s'", argv[optind]);
	/* The UART's cycles per bit is an input of the simulation build: any clock and baud
	 * whose ratio the RTL can count (4 .. 65535 cycles per bit). */
	/* Only one given: keep the build's cycles per bit (as a board's divider would). */
	if (!o->clock_hz && !o->baud) {
		o->clock_hz = bld->clk_hz;
		o->baud = bld->baud;
	} else if (!o->baud) {
		o->baud = o->clock_hz / nearbyint(bld->clk_hz / bld->baud);
	} else if (!o->clock_hz) {
		o->clock_hz = o->baud * nearbyint(bld->clk_hz / bld->baud);
	}
	double cpb = nearbyint(o->clock_hz / o->baud);
	if (cpb < 4 || cpb > 65535) {
		char msg[160];
		snprintf(msg, sizeof msg, "%.0f Hz / %.0f baud is %.2f cycles per bit; the UART needs "
			 "4 .. 65535", o->clock_hz, o->baud, o->clock_hz / o->baud);
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

static enum hb_status open_pty(int *master, int *slave, char *name, size_t cap)
{
	struct termios tio;
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0 || grantpt(m) || unlockpt(m) || ptsname_r(m, name, cap)) {
		hb_err("cannot create a pseudo-terminal: %s", strerror(errno));
		if (m >= 0)
			close(m);
		return HB_ERR_IO;
	}
	/* Keep one slave descriptor open ourselves: without it the master reports a hang-up
	 * whenever no client has the port open, and poll() would spin. */
	int s = open(name, O_RDWR | O_NOCTTY);
	if (s < 0 || tcgetattr(s, &tio)) {
		hb_err("cannot open %s: %s", name, strerror(errno));
		close(m);
		if (s >= 0)
			close(s);
		return HB_ERR_IO;
	}
	cfmakeraw(&tio);
	tcsetattr(s, TCSANOW, &tio);
	set_nonblock(m);
	*master = m;
	*slave = s;
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


/* ---- the bench probe inside the board (docs/probe.md section 7) ------------------------ */

static uint64_t cyc_ns(const struct hb_vb_board *b, uint64_t cyc)
{
	return (uint64_t)floorl((long double)cyc * 1e9L / (long double)b->clock_hz);
}

static uint64_t ns_cyc_ceil(const struct hb_vb_board *b, uint64_t ns)
{
	return (uint64_t)ceill((long double)ns * (long double)b->clock_hz / 1e9L);
}

/* The probe's I2C transaction, at its latch point. The board never runs past the probe's
 * next event, so that point is the board's present: the model answers as of now, with the
 * charge drawn up to this cycle, like the board's own I2C requests. */
static uint8_t probe_xfer(void *ctx, uint64_t t_ns, uint8_t addr7, const uint8_t *w, size_t wn,
			  uint8_t *r, size_t rn)
{
	struct hb_vb_board *b = ctx;
	(void)t_ns;
	b->probe_xfers++;
	if (addr7 != b->pm.ina_addr)
		return HBP_I2C_NACK_ADDR;
	hb_ina219m_advance(&b->ina, (double)b->hot.cyc / b->clock_hz,
			   hb_vb_charge_c(&b->pm, b->clock_hz, &b->hot.sums));
	return hb_ina219m_xfer(&b->ina, w, wn, r, rn) == HB_INA219M_ACK ? HBP_I2C_OK
									  : HBP_I2C_NACK_DATA;
}

static enum hb_status probe_open(struct hb_vb_board *b)
{
	struct hbp_host_params p = {
		.i2c_hz = (uint32_t)b->o.probe_i2c_hz, /* 0: the HAL's default, 400 kHz */
		.watchdog_us = 500000,                 /* the STM32 build's IWDG */
		.build_hash = 0x76626f61u,             /* "vboa" */
		.blocking_i2c = 0,
		.xfer = probe_xfer,
		.xfer_ctx = b,
	};
	b->pq.d = malloc(RING_CAP);
	if (!b->pq.d)
		return HB_ERR_NOMEM;
	b->probe = hbp_host_new(&p);
	if (!b->probe)
		return HB_ERR_NOMEM;
	return open_pty(&b->probe_master, &b->probe_slave, b->probe_pty, sizeof b->probe_pty);
}

/* Run the probe up to the board's present and take what its UART has sent. */
static void probe_service(struct hb_vb_board *b)
{
	uint8_t buf[512];
	size_t n;
	if (!b->probe)
		return;
	hbp_host_advance(b->probe, cyc_ns(b, b->hot.cyc));
	while ((n = hbp_host_uart_recv(b->probe, buf, sizeof buf)) > 0) {
		for (size_t i = 0; i < n; i++) {
			if (ring_put(&b->pq, buf[i]))
				b->probe_out_bytes++;
			else
				b->probe_out_overflow++;
		}
	}
}

/* The board must not run past the probe's next event (a sample due, a transfer's latch
 * point or end, transmit room, a flush, the watchdog), nor, while a host port waits for the
 * probe's bytes, past the next byte's arrival. (The pty gets the bytes at the probe's
 * events: at most half its transmit buffer, 1.3 ms at 2 Mbaud, after they were sent.) */
static uint64_t probe_limit(struct hb_vb_board *b, uint64_t avail)
{
	if (!b->probe)
		return avail;
	uint64_t t = hbp_host_next_event_ns(b->probe);
	if (b->vt_probe_waiting) {
		uint64_t r = hbp_host_uart_next_rx_ns(b->probe);
		if (r < t)
			t = r;
	}
	if (t == UINT64_MAX)
		return avail;
	uint64_t c = ns_cyc_ceil(b, t);
	uint64_t n = c > b->hot.cyc ? c - b->hot.cyc : 1;
	return n < avail ? n : avail;
}

static void probe_host_bytes(struct hb_vb_board *b, const uint8_t *p, size_t n)
{
	b->probe_host_bytes += n;
	if (!b->stall)
		hbp_host_uart_send(b->probe, p, n);
}

static void probe_flush_pty(struct hb_vb_board *b)
{
	if (b->vt_probe)
		return; /* the bytes are for the time-socket port that uses the probe */
	while (b->pq.len) {
		size_t n = b->pq.len, head = b->pq.head;
		if (head + n > RING_CAP)
			n = RING_CAP - head;
		ssize_t w = b->probe_master >= 0 ? write(b->probe_master, b->pq.d + head, n) : -1;
		if (w <= 0) {
			if (b->probe_master < 0)
				b->pq.head = b->pq.len = 0;
			return;
		}
		b->pq.head = (b->pq.head + (size_t)w) % RING_CAP;
		b->pq.len -= (size_t)w;
	}
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
	b->probe_master = b->probe_slave = -1;
	b->i2c_listen = b->ctl_listen = b->vt_listen = -1;
	for (int i = 0; i < MAX_CLIENTS; i++)
		b->i2c_cl[i].fd = b->ctl_cl[i].fd = -1;
	for (int i = 0; i < VT_MAX; i++)
		b->vt[i].fd = -1;
	b->rng = o->seed * 0x2545F4914F6CDD1Dull + 7;
	b->hot.hist = calloc(HIST_CYCLES, sizeof *b->hot.hist);
	b->hot.hist_mask = HIST_CYCLES - 1;
	b->rxq.d = malloc(RING_CAP);
	b->txq.d = malloc(RING_CAP);
	if (!b->rxq.d || !b->txq.d || !b->hot.hist)
		return HB_ERR_NOMEM;

	/* power model */
	static const char *const fam_model[] = {"ice40", "ice40", "ecp5", "artix7"};
	if (o->power_path) {
		snprintf(b->power_file, sizeof b->power_file, "%s", o->power_path);
	} else {
		snprintf(b->power_file, sizeof b->power_file, "%s/gateware/vboard/power-%s.ini",
			 hb_data_dir(), o->family >= 0 ? fam_model[o->family] : bld->family);
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
	/* A twin puts the monitor where the board profile has it. */
	if (o->ina_addr >= 0)
		b->pm.ina_addr = (unsigned)o->ina_addr;
	if (o->shunt_ohm > 0)
		b->pm.r_shunt_ohm = o->shunt_ohm;
	if (o->core_rail_v > 0) {
		/* In series with the core supply: the rail is the core's own voltage, carrying the
		 * core's current only (I = P_core / V). */
		b->pm.rail_v = o->core_rail_v;
		b->pm.core_supply_v = o->core_rail_v;
		b->pm.board_a = 0;
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
	snprintf(b->vt_path, sizeof b->vt_path, "%s/vtime.sock", b->dir);
	st = open_pty(&b->pty_master, &b->pty_slave, b->pty_name, sizeof b->pty_name);
	if (st != HB_OK)
		return st;
	if (o->probe) {
		st = probe_open(b);
		if (st != HB_OK)
			return st;
	}
	b->i2c_listen = hb_vb_listen_unix(b->i2c_path);
	b->ctl_listen = hb_vb_listen_unix(b->ctl_path);
	b->vt_listen = hb_vb_listen_unix(b->vt_path);
	if (b->i2c_listen < 0 || b->ctl_listen < 0 || b->vt_listen < 0)
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
	b->quiet_cycles = (uint64_t)(bld->clk_hz * 0.012); /* the build's CLK_HZ: the RTL counts in it */
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
	if (b->probe)
		fprintf(f, "probe: %s\n", b->probe_pty);
	fprintf(f, "i2c: %s\n", b->i2c_path);
	fprintf(f, "ctl: %s\n", b->ctl_path);
	fprintf(f, "vtime: %s\n", b->vt_path);
	if (b->tcp_listen >= 0)
		fprintf(f, "tcp: 127.0.0.1:%d\n", b->o.tcp_port);
	fprintf(f, "clock_hz: %.0f\n", b->clock_hz);
	fprintf(f, "baud: %.0f\n", b->baud);
	fprintf(f, "pace: %s\n", b->o.pace == HB_VB_PACE_VIRTUAL ? "virtual"
				 : b->o.pace == HB_VB_PACE_FAST  ? "fast" : "realtime");
	fprintf(f, "ina219: 0x%02x\n", b->pm.ina_addr);
	fprintf(f, "shunt_uohm: %.0f\n", b->pm.r_shunt_ohm * 1e6);
	fprintf(f, "rail_mv: %.0f\n", b->pm.rail_v * 1e3);
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
double hb_vb_board_clock_hz(const struct hb_vb_board *b) { return b->clock_hz; }
int hb_vb_board_family(const struct hb_vb_board *b) { return b->o.family; }
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
	else if (b->vt_rx_waiting)
		b->hot.brk = 1; /* a port waits for this byte: answer it at this cycle */
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
	if (b->probe) {
		/* the probe's capture inputs, stamped in board time (the HAL applies its mask) */
		uint64_t t = cyc_ns(b, h->cyc);
		if ((ctl ^ prev) & 2)
			hbp_host_edge(b->probe, (ctl & 2) ? HBP_CAP_DONE_RISE : HBP_CAP_DONE_FALL, t);
		if ((ctl ^ prev) & 1)
			hbp_host_edge(b->probe, (ctl & 1) ? HBP_CAP_BUSY_RISE : HBP_CAP_BUSY_FALL, t);
	}
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
	if (b->vt_uart)
		return; /* the bytes are for the time-socket port that uses the UART */
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

/* One transaction on the board's bus; returns the I2C status (0 ACK, 1 address NACK, ...). */
static uint8_t i2c_xfer(struct hb_vb_board *b, uint8_t addr, const uint8_t *w, uint8_t wn,
			uint8_t *r, uint8_t rn)
{
	if (addr != b->pm.ina_addr)
		return 1;
	return (uint8_t)hb_ina219m_xfer(&b->ina, w, wn, r, rn);
}

/* The byte-level bus: written bytes are applied to the INA219 model at a repeated START or
 * STOP (as one transaction, like the chip latches a register write after its last byte); the
 * first byte read latches the pointed register, read MSB first, then LSB, repeating. */
static void bus_commit(struct hb_vb_board *b)
{
	if (b->bus.active && b->bus.target && !b->bus.rd && b->bus.wn)
		hb_ina219m_xfer(&b->ina, b->bus.w, b->bus.wn, NULL, 0);
	b->bus.wn = 0;
}

static uint8_t bus_addr(struct hb_vb_board *b, uint8_t addr_rw)
{
	bus_commit(b);
	b->bus.active = 1;
	b->bus.rd = addr_rw & 1;
	b->bus.target = (addr_rw >> 1) == b->pm.ina_addr;
	b->bus.have_r = 0;
	return b->bus.target ? 0 : 1;
}

static uint8_t bus_wbyte(struct hb_vb_board *b, uint8_t v)
{
	if (!b->bus.active || !b->bus.target || b->bus.rd)
		return 2;
	if (b->bus.wn == 0 && v > HB_INA219M_REG_CAL)
		return 2; /* the chip does not acknowledge a pointer it does not have */
	if (b->bus.wn < sizeof b->bus.w)
		b->bus.w[b->bus.wn++] = v;
	return 0;
}

static uint8_t bus_rbyte(struct hb_vb_board *b)
{
	if (!b->bus.active || !b->bus.target || !b->bus.rd)
		return 0xFF;
	if (!b->bus.have_r) {
		uint8_t r[2];
		hb_ina219m_xfer(&b->ina, NULL, 0, r, 2);
		b->bus.rval = (uint16_t)(r[0] << 8 | r[1]);
		b->bus.have_r = 1;
		b->bus.rpos = 0;
	}
	return (b->bus.rpos++ & 1) ? (uint8_t)(b->bus.rval & 0xFF) : (uint8_t)(b->bus.rval >> 8);
}

static void bus_stop(struct hb_vb_board *b)
{
	bus_commit(b);
	b->bus.active = 0;
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
		resp[0] = op != 'X' ? 3 : i2c_xfer(b, addr, c->buf + 4, wn, resp + 1, rn);
		if (resp[0] == 0)
			rlen += rn;
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

/* ---- time socket (docs/vboard.md, "Virtual time") ---------------------------------- */

static void vt_drop(struct hb_vb_board *b, struct vt_client *c, const char *why)
{
	if (why && !b->o.quiet)
		fprintf(stderr, "vboard: time-socket port closed at cycle %llu: %s\n",
			(unsigned long long)b->hot.cyc, why);
	close(c->fd);
	c->fd = -1;
	c->n = 0;
}

static void vt_reply(struct vt_client *c, uint8_t op, uint8_t status, uint64_t cycle,
		     const void *pl, size_t len)
{
	uint8_t h[HB_VT_HDR];
	hb_vt_put_hdr(h, op, status, (uint16_t)len, cycle);
	send_all(c->fd, h, sizeof h);
	if (len)
		send_all(c->fd, pl, len);
}

/* Answer a wait with the time, and with the UART bytes waiting for the host if it asked. */
static void vt_wake(struct hb_vb_board *b, struct vt_client *c)
{
	uint8_t pl[HB_VT_MAX_PAYLOAD];
	size_t n = 0;
	if (c->want_rx)
		while (n < sizeof pl && ring_get(c->rx_probe ? &b->pq : &b->txq, &pl[n]))
			n++;
	c->state = VT_HOLD;
	vt_reply(c, HB_VT_TIME, 0, b->hot.cyc, pl, n);
}

/* Handle every complete request in c's buffer. Each happens at the current cycle. */
static void vt_process(struct hb_vb_board *b, struct vt_client *c)
{
	while (c->fd >= 0 && c->n >= HB_VT_HDR) {
		uint8_t op, flags;
		uint16_t len;
		uint64_t arg;
		hb_vt_get_hdr(c->buf, &op, &flags, &len, &arg);
		if (len > HB_VT_MAX_PAYLOAD)
			return vt_drop(b, c, "request longer than the protocol allows");
		if (c->n < HB_VT_HDR + len)
			return;
		const uint8_t *pl = c->buf + HB_VT_HDR;
		b->vt_requests++;
		c->state = VT_HOLD;
		switch (op) {
		case HB_VT_HELLO: {
			double v[2] = {b->clock_hz, b->baud};
			vt_reply(c, HB_VT_TIME, 0, b->hot.cyc, v, sizeof v);
			break;
		}
		case HB_VT_UART:
			if (flags & HB_VT_CH_PROBE) {
				if (!b->probe)
					return vt_drop(b, c, "probe channel used, but the board has no --probe");
				b->vt_probe = 1;
				probe_host_bytes(b, pl, len);
				break;
			}
			b->vt_uart = 1;
			host_bytes_in(b, pl, len);
			break;
		case HB_VT_FLUSH:
			if (flags & HB_VT_CH_PROBE) {
				b->vt_probe = 1;
				b->pq.head = b->pq.len = 0;
				break;
			}
			b->vt_uart = 1;
			b->txq.head = b->txq.len = 0;
			break;
		case HB_VT_I2C: {
			uint8_t r[255];
			if (len < 3 || len != 3u + pl[1])
				return vt_drop(b, c, "malformed I2C request");
			uint8_t st = i2c_xfer(b, pl[0], pl + 3, pl[1], r, pl[2]);
			vt_reply(c, HB_VT_I2C_REPLY, st, b->hot.cyc, r, st == 0 ? pl[2] : 0);
			break;
		}
		case HB_VT_WAIT:
			c->state = VT_WAIT;
			c->deadline = arg;
			c->want_rx = flags & HB_VT_WAKE_RX;
			c->rx_probe = (flags & HB_VT_CH_PROBE) != 0;
			if (c->want_rx && c->rx_probe && !b->probe)
				return vt_drop(b, c, "probe channel used, but the board has no --probe");
			if (c->want_rx && c->rx_probe)
				b->vt_probe = 1;
			else if (c->want_rx)
				b->vt_uart = 1;
			break;
		case HB_VT_PARK:
			c->state = VT_PARK;
			break;
		case HB_VT_I2C_ADDR:
			vt_reply(c, HB_VT_I2C_REPLY, bus_addr(b, (uint8_t)arg), b->hot.cyc, NULL, 0);
			break;
		case HB_VT_I2C_WBYTE:
			vt_reply(c, HB_VT_I2C_REPLY, bus_wbyte(b, (uint8_t)arg), b->hot.cyc, NULL, 0);
			break;
		case HB_VT_I2C_RBYTE: {
			uint8_t v = bus_rbyte(b);
			vt_reply(c, HB_VT_I2C_REPLY, 0, b->hot.cyc, &v, 1);
			break;
		}
		case HB_VT_I2C_STOP:
			bus_stop(b);
			break;
		case HB_VT_NOW:
			vt_reply(c, HB_VT_TIME, 0, b->hot.cyc, NULL, 0);
			break;
		default:
			return vt_drop(b, c, "unknown request");
		}
		size_t used = HB_VT_HDR + len;
		memmove(c->buf, c->buf + used, c->n - used);
		c->n -= used;
	}
}

static void vt_read(struct hb_vb_board *b, struct vt_client *c)
{
	ssize_t r = recv(c->fd, c->buf + c->n, sizeof c->buf - c->n, 0);
	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
		return vt_drop(b, c, NULL); /* the host thread is done */
	if (r > 0) {
		c->n += (size_t)r;
		vt_process(b, c);
	}
}

static void vt_accept(struct hb_vb_board *b)
{
	int fd = accept4(b->vt_listen, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	for (int i = 0; i < VT_MAX; i++) {
		if (b->vt[i].fd < 0) {
			/* A new port holds time from the start: its thread acts before it waits. */
			b->vt[i] = (struct vt_client){.fd = fd, .state = VT_HOLD};
			return;
		}
	}
	close(fd);
}

/* Wake the waits that are due. Returns the cycle the board may run to: the earliest
 * deadline when every port waits or is parked, HB_VB_NEVER when time is held (a port is
 * computing, or nobody waits). */
static uint64_t vt_settle(struct hb_vb_board *b)
{
	uint64_t target = HB_VB_NEVER;
	int hold = 0, rx = 0, prx = 0;
	for (int i = 0; i < VT_MAX; i++) {
		struct vt_client *c = &b->vt[i];
		if (c->fd < 0)
			continue;
		if (c->state == VT_WAIT &&
		    (c->deadline <= b->hot.cyc ||
		     (c->want_rx && (c->rx_probe ? b->pq.len : b->txq.len))))
			vt_wake(b, c);
		if (c->state == VT_HOLD)
			hold = 1;
		if (c->state == VT_WAIT) {
			if (c->deadline < target)
				target = c->deadline;
			if (c->want_rx && c->rx_probe)
				prx = 1;
			else
				rx |= c->want_rx;
		}
	}
	b->vt_rx_waiting = rx;
	b->vt_probe_waiting = prx;
	return hold ? HB_VB_NEVER : target;
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
	struct pollfd pf[8 + 2 * MAX_CLIENTS + VT_MAX];
	int n = 0, i_pty = -1, i_tl = -1, i_tc = -1, i_il = -1, i_cl = -1, i_vl = -1;
	int i_ic[MAX_CLIENTS], i_cc[MAX_CLIENTS], i_vc[VT_MAX];
	int want_in = b->rxq.len < RING_CAP / 2;
	int want_out = b->txq.len && !b->vt_uart;

	if (b->pty_master >= 0) {
		i_pty = n;
		pf[n++] = (struct pollfd){b->pty_master, (short)((want_in ? POLLIN : 0) |
								  (want_out ? POLLOUT : 0)), 0};
	}
	int i_probe = -1;
	if (b->probe_master >= 0) {
		i_probe = n;
		pf[n++] = (struct pollfd){b->probe_master,
					  (short)(POLLIN | (b->pq.len && !b->vt_probe ? POLLOUT : 0)), 0};
	}
	if (b->tcp_listen >= 0 && b->tcp_client < 0) {
		i_tl = n;
		pf[n++] = (struct pollfd){b->tcp_listen, POLLIN, 0};
	}
	if (b->tcp_client >= 0) {
		i_tc = n;
		pf[n++] = (struct pollfd){b->tcp_client, (short)((want_in ? POLLIN : 0) |
								 (want_out ? POLLOUT : 0)), 0};
	}
	i_vl = n;
	pf[n++] = (struct pollfd){b->vt_listen, POLLIN, 0};
	for (int k = 0; k < VT_MAX; k++) {
		i_vc[k] = -1;
		if (b->vt[k].fd >= 0) {
			i_vc[k] = n;
			pf[n++] = (struct pollfd){b->vt[k].fd, POLLIN, 0};
		}
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
	if (i_probe >= 0 && (pf[i_probe].revents & POLLIN)) {
		ssize_t got = read(b->probe_master, buf, sizeof buf);
		if (got > 0)
			probe_host_bytes(b, buf, (size_t)got);
	}
	if (b->pq.len)
		probe_flush_pty(b);
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
	for (int k = 0; k < VT_MAX; k++)
		if (i_vc[k] >= 0 && pf[i_vc[k]].revents && b->vt[k].fd >= 0)
			vt_read(b, &b->vt[k]);
	if (pf[i_vl].revents & POLLIN)
		vt_accept(b);
}

static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

/* The design may skip the next chunk: provably idle (docs/vboard.md, "Pacing"). */
static int idle_skippable(struct hb_vb_board *b)
{
	struct hb_vb_hot *h = &b->hot;
	return b->can_skip && h->prev_word == 0 && h->cyc - h->quiet_since >= b->quiet_cycles &&
	       b->rxq.len == 0 && h->rx_next_edge == HB_VB_NEVER && h->tx_armed;
}

/* Cycles to the next INA219 conversion-window edge (exact charge there), the next periodic
 * truth checkpoint, and at most `chunk`: the limit of an evaluated chunk. */
static uint64_t eval_limit(struct hb_vb_board *b, uint64_t avail, uint64_t chunk)
{
	struct hb_vb_hot *h = &b->hot;
	double te = hb_ina219m_next_event(&b->ina);
	if (te < 1e299) {
		double ec = floor(te * b->clock_hz);
		uint64_t e = ec <= (double)h->cyc ? h->cyc + 1 : (uint64_t)ec;
		avail = min_u64(avail, e - h->cyc);
	}
	avail = min_u64(avail, b->last_mark + TRUTH_INTERVAL - h->cyc);
	return min_u64(avail, chunk);
}

/* Virtual pace: run only as far as the time socket's ports allow; block while time is held. */
static uint64_t vt_service(struct hb_vb_board *b, uint64_t next_fault)
{
	struct hb_vb_hot *h = &b->hot;
	int timeout_us = 0;
	for (;;) {
		do_poll(b, timeout_us);
		if (b->quit || g_stop) {
			b->quit = 1;
			return 0;
		}
		uint64_t target = vt_settle(b);
		if (target == HB_VB_NEVER || target <= h->cyc) {
			/* Held: a host thread is computing, or nobody waits. Sleep until a port
			 * speaks (or 0.2 s, to notice a signal). */
			timeout_us = 200000;
			continue;
		}
		uint64_t avail = target - h->cyc;
		h->skip_ok = idle_skippable(b);
		if (!h->skip_ok)
			avail = eval_limit(b, avail, FAST_CHUNK);
		avail = probe_limit(b, avail);
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
	probe_service(b);
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
	h->brk = 0;
	if (b->o.pace == HB_VB_PACE_VIRTUAL)
		return vt_service(b, next_fault);

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
		h->skip_ok = b->o.pace == HB_VB_PACE_REALTIME && idle_skippable(b);
		if (!h->skip_ok) {
			/* Stop at the next INA219 window edge (the cycle before it, then the cycle
			 * after it, so that its charge is interpolated inside one constant-current
			 * cycle) and at the next periodic checkpoint; poll the host often enough. A
			 * skipped chunk has constant current and marks its own checkpoints. */
			avail = eval_limit(b, avail,
					   b->o.pace == HB_VB_PACE_REALTIME ? chunk : FAST_CHUNK);
		}
		avail = probe_limit(b, avail);
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
	if (b->probe && !b->o.quiet) {
		const struct hbp_host_stats *ps = hbp_host_stats(b->probe);
		fprintf(stderr, "vboard: probe: %llu I2C transfers, %llu bytes in, %llu bytes out "
			"(%llu lost), %llu resets\n", (unsigned long long)b->probe_xfers,
			(unsigned long long)b->probe_host_bytes, (unsigned long long)b->probe_out_bytes,
			(unsigned long long)b->probe_out_overflow, (unsigned long long)ps->resets);
	}
	if (b->probe_master >= 0)
		close(b->probe_master);
	if (b->probe_slave >= 0)
		close(b->probe_slave);
	hbp_host_free(b->probe);
	free(b->pq.d);
	for (int i = 0; i < MAX_CLIENTS; i++) {
		if (b->i2c_cl[i].fd >= 0)
			close(b->i2c_cl[i].fd);
		if (b->ctl_cl[i].fd >= 0)
			close(b->ctl_cl[i].fd);
	}
	for (int i = 0; i < VT_MAX; i++)
		if (b->vt[i].fd >= 0)
			close(b->vt[i].fd);
	if (b->vt_listen >= 0) {
		close(b->vt_listen);
		unlink(b->vt_path);
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
