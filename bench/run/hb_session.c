/* hilbench — sessions (hb_session.h): one implementation per kind of board. */
#define LOG_PREFIX "session"
#include "hb_session.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hb_build.h"
#include "hb_flash.h"
#include "hb_ftdi_twin.h"
#include "hb_ofl_twin.h"
#include "ofl_bitfile.h"
#include "hb_log.h"
#include "hb_params.h"
#include "hb_paths.h"
#include "hb_progress.h"
#include "hb_vtime.h"

struct hb_session_ops {
	const char *kind;
	enum hb_status (*start)(struct hb_session *s);
	void (*stop)(struct hb_session *s);
	enum hb_status (*uart_uri)(struct hb_session *s, char *buf, size_t cap);
	enum hb_status (*monitor_uri)(struct hb_session *s, const struct hb_board_monitor *m,
				      char *buf, size_t cap);
	void (*link_opts)(struct hb_session *s, struct hb_link_opts *lo);
};

struct hb_session {
	const struct hb_session_ops *ops;
	struct hb_board board;
	struct hb_session_opts o;
	bool started;
	struct hb_clock *prev_clock;
	/* virtual */
	struct hb_vboard_proc *vb;
	struct hb_vtime *vt;      /* NULL unless paced in virtual time */
	bool ftdi_twin;           /* the twin's FTDI chips are installed at the libftdi seam */
	bool ofl_twin;            /* HB_OPENFPGALOADER points at the stand-in */
	char twin_dir[64];        /* the twin's scratch files (flash record, placeholder) */
	char flashed[1024];       /* what was flashed ("" = nothing) */
	char err[512];
};

struct hb_session_thread {
	struct hb_vtime_port *port;
};

void hb_session_opts_default(struct hb_session_opts *o)
{
	memset(o, 0, sizeof *o);
	o->seed = 1;
	o->noise_ua = -1; /* one shunt-ADC step */
}

static void set_err(struct hb_session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(struct hb_session *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->err, sizeof s->err, fmt, ap);
	va_end(ap);
}

static void say(struct hb_session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct hb_session *s, const char *fmt, ...)
{
	if (!s->o.out || s->o.quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(s->o.out, fmt, ap);
	va_end(ap);
	fflush(s->o.out);
}

/* ---- hardware ------------------------------------------------------------------------- */

/* The bitstream: --bitstream, else what the gateware flow built for this board. */
static enum hb_status find_bitstream(struct hb_session *s, char *path, size_t cap)
{
	path[0] = 0;
	if (s->o.bitstream) {
		snprintf(path, cap, "%s", s->o.bitstream);
	} else {
		/* the profile's [build]: the bitstream `hilbench build` made (bench/core/hb_build.c) */
		char why[1536];
		enum hb_status st = hb_build_bitstream_path(&s->board, s->o.clock_hz, NULL, path, cap, why,
							    sizeof why);
		if (st != HB_OK) {
			set_err(s, "%s, or --no-flash for the bitstream already on the board", why);
			return st;
		}
	}
	return HB_OK;
}

static enum hb_status flash(struct hb_session *s, const char *path)
{
	struct hb_flash_opts fo;
	hb_flash_opts_board(&fo, s->board.ofl_board, s->board.ofl_cable, s->board.usb_serial,
			    s->board.flash_interface);
	fo.bitstream = path;
	struct hb_progress p;
	char phase[160];
	snprintf(phase, sizeof phase, "flash %.100s (openFPGALoader, SRAM)", path);
	hb_progress_begin(&p, s->o.out, s->o.quiet || !s->o.out, phase, 0, "");
	struct hb_flash_result res;
	enum hb_status st = hb_flash_run(&fo, &res);
	if (st != HB_OK) {
		hb_progress_end(&p, "failed");
		set_err(s, "flash: %s", res.message[0] ? res.message : hb_strerror(st));
		return st;
	}
	hb_progress_end(&p, "done");
	snprintf(s->flashed, sizeof s->flashed, "%s", path);
	return HB_OK;
}

static enum hb_status hw_start(struct hb_session *s)
{
	if (s->o.no_flash) {
		say(s, "flash: skipped (--no-flash); the bitstream already on the board is used\n");
		return HB_OK;
	}
	char path[1024];
	enum hb_status st = find_bitstream(s, path, sizeof path);
	return st == HB_OK ? flash(s, path) : st;
}

static void hw_stop(struct hb_session *s)
{
	(void)s;
}

static enum hb_status hw_uart_uri(struct hb_session *s, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s", s->board.uart_uri);
	return HB_OK;
}

static enum hb_status hw_monitor_uri(struct hb_session *s, const struct hb_board_monitor *m,
				     char *buf, size_t cap)
{
	(void)s;
	snprintf(buf, cap, "%s", m->bus);
	return HB_OK;
}

static void hw_link_opts(struct hb_session *s, struct hb_link_opts *lo)
{
	(void)s;
	(void)lo; /* a real board answers in real time: the defaults */
}

static const struct hb_session_ops hw_ops = {
	.kind = "hardware",
	.start = hw_start,
	.stop = hw_stop,
	.uart_uri = hw_uart_uri,
	.monitor_uri = hw_monitor_uri,
	.link_opts = hw_link_opts,
};

/* ---- virtual ---------------------------------------------------------------------------- */

static const char *vpace(const struct hb_session *s)
{
	const char *p = s->o.pacing;
	if (!p || !*p)
		p = s->board.sim_pacing[0] ? s->board.sim_pacing : "virtual";
	if (strcmp(p, "free") == 0)
		p = "fast";
	return p;
}

/* "ftdi://VID:PID[:serial]/IF" or "ftdi-i2c://..." of a URI, if it is one. */
static bool ftdi_target_of(const char *uri, const char *scheme, struct hb_ftdi_target *t)
{
	size_t n = strlen(scheme);
	if (strncmp(uri, scheme, n) != 0 || strncmp(uri + n, "://", 3) != 0)
		return false;
	char tgt[256];
	snprintf(tgt, sizeof tgt, "%s", uri + n + 3);
	char *q = strchr(tgt, '?');
	if (q)
		*q = 0;
	return hb_ftdi_parse_target(tgt, t) == HB_OK;
}

/* The twin's USB: the board's UART adapter and the monitors' MPSSE adapters, as the profile
 * names them; the real ftdi: and ftdi-i2c: code then runs against them (hb_ftdi_twin.h). */
static enum hb_status twin_usb(struct hb_session *s)
{
	struct hb_ftdi_twin_dev dev[4];
	size_t n = 0;
	struct hb_ftdi_target t;
	if (ftdi_target_of(s->board.uart_uri, "ftdi", &t)) {
		dev[n] = (struct hb_ftdi_twin_dev){.vid = (uint16_t)t.vid, .pid = (uint16_t)t.pid,
						   .uart_ifaces = 1u << (t.iface - 1)};
		snprintf(dev[n].serial, sizeof dev[n].serial, "%s", t.serial);
		n++;
	}
	for (size_t i = 0; i < s->board.n_monitors && n < 4; i++) {
		if (!ftdi_target_of(s->board.monitors[i].bus, "ftdi-i2c", &t))
			continue;
		size_t k = 0;
		while (k < n && !(dev[k].vid == t.vid && dev[k].pid == t.pid && strcmp(dev[k].serial, t.serial) == 0))
			k++;
		if (k == n) {
			dev[n] = (struct hb_ftdi_twin_dev){.vid = (uint16_t)t.vid, .pid = (uint16_t)t.pid};
			snprintf(dev[n].serial, sizeof dev[n].serial, "%s", t.serial);
			n++;
		}
		dev[k].i2c_ifaces |= 1u << (t.iface - 1);
	}
	if (n == 0)
		return HB_OK;
	enum hb_status st = hb_ftdi_twin_install(s->vt, dev, n);
	if (st != HB_OK) {
		set_err(s, "cannot emulate the board's FTDI chips: %s", hb_strerror(st));
		return st;
	}
	s->ftdi_twin = true;
	return HB_OK;
}

/* A twin flashes as the hardware session does, through the same flasher code, with
 * openFPGALoader replaced by the stand-in that checks the arguments against the installed
 * tool's tables and records the load (gateware/twin/ofl_standin.c). Without a bitstream
 * built here (no ECP5/Vivado tools on this host), a placeholder file of the family's kind is
 * flashed: the virtual board simulates the RTL, not the file. */
static enum hb_status twin_flash(struct hb_session *s)
{
	if (s->o.no_flash)
		return HB_OK;
	snprintf(s->twin_dir, sizeof s->twin_dir, "/tmp/hb-twin-XXXXXX");
	if (!mkdtemp(s->twin_dir)) {
		s->twin_dir[0] = 0;
		set_err(s, "cannot make a scratch directory for the twin");
		return HB_ERR_IO;
	}
	char record[128], tables[128];
	snprintf(record, sizeof record, "%s/loads.jsonl", s->twin_dir);
	snprintf(tables, sizeof tables, "%s/ofl-tables.txt", s->twin_dir);
	struct hb_ofl_twin t = {
		.family = hb_family_name(s->board.family),
		.flash_interface = s->board.flash_interface,
		.uart_interface = s->board.usb_interface,
		.vid = s->board.usb_vid,
		.pid = s->board.usb_pid,
		.usb_serial = s->board.usb_serial,
		.record = record,
		.tables = tables,
	};
	enum hb_status st = hb_ofl_twin_setenv(&t);
	if (st != HB_OK) {
		set_err(s, "cannot set up the openFPGALoader stand-in (hilbench-ofl-standin): %s",
			hb_strerror(st));
		return st;
	}
	s->ofl_twin = true;
	char path[1024];
	if (find_bitstream(s, path, sizeof path) != HB_OK) {
		enum hb_ofl_family f = s->board.family == HB_FAMILY_ICE40 ? HB_OFL_ICE40
				       : s->board.family == HB_FAMILY_ECP5 ? HB_OFL_ECP5 : HB_OFL_ARTIX7;
		snprintf(path, sizeof path, "%s/placeholder.%s", s->twin_dir, f == HB_OFL_ICE40 ? "bin" : "bit");
		if (hb_ofl_bitfile_placeholder(f, path, 4096) != HB_OK) {
			set_err(s, "cannot write a placeholder bitstream in %s", s->twin_dir);
			return HB_ERR_IO;
		}
		say(s, "flash: no %s bitstream built here; the twin flashes a placeholder %s file "
		       "(the virtual board simulates the RTL)\n", s->board.name, hb_family_name(s->board.family));
		s->err[0] = 0;
	}
	return flash(s, path);
}

static enum hb_status vb_start(struct hb_session *s)
{
	if (s->board.family != HB_FAMILY_SIM) {
		enum hb_status st = twin_flash(s);
		if (st != HB_OK)
			return st;
	}
	char clock[32], baud[32], seed[32], noise[32];
	snprintf(clock, sizeof clock, "%llu", (unsigned long long)s->board.core_clock_hz);
	snprintf(baud, sizeof baud, "%u", s->board.uart_baud);
	snprintf(seed, sizeof seed, "%llu", (unsigned long long)s->o.seed);
	/* default: one shunt-ADC step (10 uV across the profile's shunt) of noise per
	 * conversion, like a real chip's: it dithers the quantisation, so a window's mean resolves
	 * the power below one step (20 uA on the sim board's 0.5 ohm, 0.5 mA on a 20 mohm core
	 * shunt, where undithered steps of 0.55 mW would bias the mean by up to 0.6 %). */
	double nua = s->o.noise_ua;
	if (nua < 0)
		nua = s->board.n_monitors ? 10.0 * 1e6 / (double)s->board.monitors[0].shunt_uohm : 20.0;
	snprintf(noise, sizeof noise, "%g", nua);
	const char *pace = vpace(s);
	/* INA219 noise and faults are seeded: runs repeat (docs/measurement.md). */
	const char *args[48] = {"--clock-hz", clock, "--baud", baud, "--pace", pace, "--noise-uA", noise,
				"--seed", seed};
	size_t n = 10;
	/* The board's INA219 where the profile has its (first) monitor; a twin's monitor is on
	 * the FPGA core supply at the profile's nominal voltage, and IDENTIFY names the
	 * profile's family (docs/vboard.md, "Twins"). */
	char addr[16], shunt[32], mv[32];
	if (s->board.n_monitors > 0) {
		const struct hb_board_monitor *m = &s->board.monitors[0];
		snprintf(addr, sizeof addr, "0x%02x", m->address);
		snprintf(shunt, sizeof shunt, "%u", m->shunt_uohm);
		args[n++] = "--ina219-addr";
		args[n++] = addr;
		args[n++] = "--shunt-uohm";
		args[n++] = shunt;
		if (s->board.family != HB_FAMILY_SIM && m->nominal_mv) {
			snprintf(mv, sizeof mv, "%u", m->nominal_mv);
			args[n++] = "--core-rail-mv";
			args[n++] = mv;
		}
	}
	if (s->board.family != HB_FAMILY_SIM) {
		args[n++] = "--family";
		args[n++] = hb_family_name(s->board.family);
	}
	/* A monitor on a bench probe: the probe's core runs inside the board (docs/probe.md). */
	for (size_t i = 0; i < s->board.n_monitors; i++) {
		if (strncmp(s->board.monitors[i].bus, "probe:", 6) == 0) {
			args[n++] = "--probe";
			break;
		}
	}
	for (size_t i = 0; s->o.extra_args && s->o.extra_args[i] && n < 46; i++)
		args[n++] = s->o.extra_args[i];
	args[n] = NULL;
	struct hb_progress p;
	hb_progress_begin(&p, s->o.out, s->o.quiet || !s->o.out, "starting the virtual board", 0, "");
	enum hb_status st = hb_vboard_start(s->o.vboard_exe, args, 20000, &s->vb);
	if (st != HB_OK) {
		hb_progress_end(&p, "failed");
		set_err(s, "could not start the virtual board (hilbench-vboard): %s", hb_strerror(st));
		return st;
	}
	const struct hb_vboard_info *vi = hb_vboard_info(s->vb);
	if (strcmp(pace, "virtual") == 0) {
		if (!vi->vtime[0]) {
			hb_progress_end(&p, "failed");
			set_err(s, "this hilbench-vboard has no time socket (built before virtual time?)");
			return HB_ERR_UNSUPPORTED;
		}
		hb_vtime_set_abort_flag(s->o.abort_now);
		st = hb_vtime_open(vi->vtime, &s->vt);
		if (st != HB_OK) {
			hb_progress_end(&p, "failed");
			set_err(s, "cannot connect to the virtual board's time socket %s: %s", vi->vtime,
				hb_strerror(st));
			return st;
		}
		if (s->board.family != HB_FAMILY_SIM && (st = twin_usb(s)) != HB_OK) {
			hb_progress_end(&p, "failed");
			return st;
		}
	}
	char res[300];
	snprintf(res, sizeof res, "%.6g MHz, %.0f baud, %s time (%.150s)", vi->clock_hz / 1e6, vi->baud,
		 s->vt ? "simulated" : strcmp(pace, "fast") == 0 ? "free-running" : "wall-clock paced",
		 vi->vtime[0] ? vi->vtime : vi->ctl);
	hb_progress_end(&p, res);
	return HB_OK;
}

static void vb_stop(struct hb_session *s)
{
	if (s->ofl_twin) {
		hb_ofl_twin_unsetenv();
		s->ofl_twin = false;
	}
	if (s->twin_dir[0]) {
		char f[160];
		snprintf(f, sizeof f, "%s/loads.jsonl", s->twin_dir);
		unlink(f);
		snprintf(f, sizeof f, "%s/ofl-tables.txt", s->twin_dir);
		unlink(f);
		snprintf(f, sizeof f, "%s/placeholder.bin", s->twin_dir);
		unlink(f);
		snprintf(f, sizeof f, "%s/placeholder.bit", s->twin_dir);
		unlink(f);
		rmdir(s->twin_dir);
		s->twin_dir[0] = 0;
	}
	if (s->ftdi_twin) {
		hb_ftdi_twin_uninstall();
		s->ftdi_twin = false;
	}
	if (s->vt) {
		hb_vtime_close(s->vt);
		s->vt = NULL;
	}
	if (s->vb) {
		int es = 0;
		hb_vboard_stop(s->vb, 3000, &es);
		s->vb = NULL;
	}
}

static enum hb_status vb_uart_uri(struct hb_session *s, char *buf, size_t cap)
{
	const struct hb_vboard_info *vi = hb_vboard_info(s->vb);
	struct hb_ftdi_target t;
	if (s->ftdi_twin && ftdi_target_of(s->board.uart_uri, "ftdi", &t))
		snprintf(buf, cap, "%s", s->board.uart_uri); /* the real ftdi: code, emulated chip */
	else if (s->vt)
		snprintf(buf, cap, "vtime-uart:%s", vi->vtime);
	else
		snprintf(buf, cap, "pty:%s", vi->uart);
	return HB_OK;
}

static enum hb_status vb_monitor_uri(struct hb_session *s, const struct hb_board_monitor *m,
				     char *buf, size_t cap)
{
	const struct hb_vboard_info *vi = hb_vboard_info(s->vb);
	if (m->address != vi->ina219_addr) {
		set_err(s, "monitor %s at 0x%02x: the virtual board has one INA219, at 0x%02x (the "
			   "profile's first monitor)", m->rail, m->address, vi->ina219_addr);
		return HB_ERR_MISMATCH;
	}
	struct hb_ftdi_target t;
	if (strncmp(m->bus, "probe:", 6) == 0) {
		/* the probe inside the board: its UART is the time socket's probe channel, or its
		 * own pty when the board runs free */
		if (s->vt)
			snprintf(buf, cap, "probe:vtime-uart:%s?channel=probe", vi->vtime);
		else if (vi->probe[0])
			snprintf(buf, cap, "probe:pty:%s", vi->probe);
		else
			return HB_ERR_UNSUPPORTED;
	} else if (s->ftdi_twin && ftdi_target_of(m->bus, "ftdi-i2c", &t))
		snprintf(buf, cap, "%s", m->bus); /* the real MPSSE I2C code, emulated FT232H */
	else if (s->vt)
		snprintf(buf, cap, "vtime-i2c:%s", vi->vtime);
	else
		snprintf(buf, cap, "vboard:%s", vi->i2c);
	return HB_OK;
}

static void vb_link_opts(struct hb_session *s, struct hb_link_opts *lo)
{
	if (s->vt)
		return; /* simulated time: the board answers exactly as fast as real hardware */
	/* Wall-clock pacing: the simulation may run slower than its clock for a while on a busy
	 * host, so every answer gets more slack than a real board needs. */
	lo->base_timeout_ms = 2000;
	lo->compute_margin_pct = 400;
	/* and no timeouts learnt from latencies that the host's load sets */
	lo->adapt = false;
}

static const struct hb_session_ops vb_ops = {
	.kind = "virtual",
	.start = vb_start,
	.stop = vb_stop,
	.uart_uri = vb_uart_uri,
	.monitor_uri = vb_monitor_uri,
	.link_opts = vb_link_opts,
};

/* ---- common ----------------------------------------------------------------------------- */

enum hb_status hb_session_open(const struct hb_board *b, const struct hb_session_opts *o,
			       struct hb_session **out)
{
	*out = NULL;
	struct hb_session *s = calloc(1, sizeof *s);
	if (!s)
		return HB_ERR_NOMEM;
	s->board = *b;
	if (o)
		s->o = *o;
	else
		hb_session_opts_default(&s->o);
	if (b->family == HB_FAMILY_SIM || s->o.virtual_board) {
		const char *p = vpace(s);
		if (strcmp(p, "virtual") && strcmp(p, "realtime") && strcmp(p, "fast")) {
			free(s);
			return HB_ERR_ARG;
		}
		s->ops = &vb_ops;
	} else {
		s->ops = &hw_ops;
	}
	*out = s;
	return HB_OK;
}

enum hb_status hb_session_start(struct hb_session *s)
{
	enum hb_status st = s->ops->start(s);
	if (st != HB_OK)
		return st;
	s->started = true;
	s->prev_clock = hb_clock_default();
	if (s->vt)
		hb_clock_set_default(hb_vtime_clock(s->vt));
	return HB_OK;
}

void hb_session_close(struct hb_session *s)
{
	if (!s)
		return;
	if (s->started)
		hb_clock_set_default(s->prev_clock == hb_clock_system() ? NULL : s->prev_clock);
	s->ops->stop(s);
	free(s);
}

const char *hb_session_kind(const struct hb_session *s)
{
	/* a virtual session of a hardware profile is that board's twin */
	if (s->ops == &vb_ops && s->board.family != HB_FAMILY_SIM)
		return "twin";
	return s->ops->kind;
}
const char *hb_session_error(const struct hb_session *s) { return s->err; }
const struct hb_board *hb_session_board(const struct hb_session *s) { return &s->board; }
bool hb_session_simulated(const struct hb_session *s) { return s->vt != NULL; }

struct hb_clock *hb_session_clock(struct hb_session *s)
{
	return s->vt ? hb_vtime_clock(s->vt) : hb_clock_system();
}

enum hb_status hb_session_uart_uri(struct hb_session *s, char *buf, size_t cap)
{
	return s->ops->uart_uri(s, buf, cap);
}

enum hb_status hb_session_monitor_uri(struct hb_session *s, const struct hb_board_monitor *m,
				      char *buf, size_t cap)
{
	return s->ops->monitor_uri(s, m, buf, cap);
}

void hb_session_link_opts(struct hb_session *s, struct hb_link_opts *lo)
{
	hb_link_opts_default(lo);
	s->ops->link_opts(s, lo);
	lo->clock = hb_session_clock(s);
	lo->abort_now = s->o.abort_now;
}

bool hb_session_has_truth(const struct hb_session *s) { return s->vb != NULL; }

enum hb_status hb_session_truth(struct hb_session *s, uint64_t c0, uint64_t c1,
				struct hb_vboard_truth *t)
{
	if (!s->vb)
		return HB_ERR_UNSUPPORTED;
	/* The control socket answers at once; in virtual time the board is held meanwhile. */
	return hb_vboard_truth(s->vb, c0, c1, t);
}

struct hb_vboard_proc *hb_session_vboard(struct hb_session *s) { return s->vb; }
const char *hb_session_flashed(const struct hb_session *s) { return s->flashed; }

struct hb_session_thread *hb_session_thread_prepare(struct hb_session *s)
{
	struct hb_session_thread *t = calloc(1, sizeof *t);
	if (t && s->vt && hb_vtime_port_new(s->vt, &t->port) != HB_OK) {
		free(t);
		return NULL;
	}
	return t;
}

void hb_session_thread_enter(struct hb_session_thread *t)
{
	if (!t)
		return;
	if (t->port)
		hb_vtime_port_attach(t->port);
	free(t);
}

void hb_session_block_begin(struct hb_session *s)
{
	if (s->vt)
		hb_vtime_park(s->vt);
}

void hb_session_block_end(struct hb_session *s)
{
	if (s->vt)
		hb_vtime_resume(s->vt);
}
