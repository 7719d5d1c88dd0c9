/* hilbench-ofl-standin — openFPGALoader in a board twin (docs/boards.md, "Rehearsing a board
 * with --virtual"; docs/drivers.md, "The twin's openFPGALoader stand-in").
 *
 * A twin session sets HB_OPENFPGALOADER to this program, so hilbench's flashing code
 * (drivers/flash/hb_flash.c) runs unchanged. It reads its arguments the way openFPGALoader
 * 0.10 does (cxxopts 2.2: long options with or without '=', short options grouped, the
 * first positional argument is the bitstream), checks them against the installed
 * openFPGALoader's own tables (--list-cables, --list-boards, --help), then against the
 * board the session describes (environment, below), and either refuses the load the way
 * the real program would (its messages, exit 1) or prints the real program's progress
 * lines, appends the load to a record file and exits 0. It never touches USB.
 *
 * Environment (set by the twin session from the board profile):
 *   HB_OFL_FAMILY          ice40 | ecp5 | artix7 (required for a load)
 *   HB_OFL_EXPECT_CHANNEL  the interface that programs the board: 0-3 or A-D ([flash] interface)
 *   HB_OFL_UART_CHANNEL    the board's UART interface: 0-3 or A-D ([usb] interface)
 *   HB_OFL_USB             VID:PID of the board's FTDI chip, hex ("0403:6010")
 *   HB_OFL_USB_SERIAL      its serial number ("" or unset: any --ftdi-serial matches)
 *   HB_OFL_RECORD          file that receives one JSON line per accepted load
 *   HB_OFL_REAL            the real openFPGALoader (default: openFPGALoader on PATH)
 *   HB_OFL_TABLES          cache file for the real program's tables (optional)
 * Exit: 0 loaded; 1 refused (what openFPGALoader would refuse, and the twin's own checks,
 * whose messages start "Error: hilbench twin:"); 2 the stand-in cannot answer (environment
 * wrong, real program missing, an option it does not emulate). --help, -V, --list-boards,
 * --list-cables and --list-fpga run the real program with the same arguments. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hb_sha256.h"
#include "ofl_bitfile.h"
#include "ofl_tables.h"

enum { EXIT_REFUSED = 1, EXIT_STANDIN = 2, MAX_FILE = 64 << 20 };

#define LQ "\xe2\x80\x98" /* cxxopts quotes names with U+2018 ... U+2019 */
#define RQ "\xe2\x80\x99"

struct args {
	const char *board, *cable, *serial, *bitstream, *file_type;
	int channel, has_channel;
	int n_flash, n_sram, n_dump;
	int verify, verbose, quiet, verbose_level, has_level;
	int help, version, list;
	const char *not_emulated; /* first option the stand-in does not emulate */
	const char *extra;        /* a positional argument after the bitstream */
};

struct twin {
	int family;                 /* enum hb_ofl_family, -1 = not set */
	int expect, uart;           /* channels, -1 = not set */
	int has_usb;
	unsigned vid, pid;
	const char *usb_serial, *record;
};

static const struct hb_ofl_tables *T;

/* ---- messages ---- */

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static void err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void err(const char *fmt, ...)
{
	va_list ap;
	fflush(stdout); /* stdout lines come first, as on a terminal */
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

static int standin_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int standin_fail(const char *fmt, ...)
{
	va_list ap;
	fflush(stdout);
	fputs("hilbench-ofl-standin: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_STANDIN;
}

/* cxxopts' parse errors, then main()'s "Error in parse arg step". */
static int parse_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int parse_error(const char *fmt, ...)
{
	va_list ap;
	fflush(stdout);
	fputs("Error parsing options: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nError in parse arg step\n", stderr);
	return EXIT_REFUSED;
}

/* ---- argv as cxxopts 2.2 reads it ---- */

static int is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* cxxopts' integer_parser: [-][0x]digits, base 16 after 0x; out of range fails. */
static int parse_int(const char *s, long lo, long hi, int *v)
{
	int neg = *s == '-';
	s += neg;
	int base = 10;
	if (s[0] == '0' && s[1] == 'x') {
		base = 16;
		s += 2;
	}
	if (!*s)
		return -1;
	long r = 0;
	for (; *s; s++) {
		int d;
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return -1;
		r = r * base + d;
		if (r > 0x7fffffffL)
			return -1;
	}
	r = neg ? -r : r;
	if (r < lo || r > hi)
		return -1;
	*v = (int)r;
	return 0;
}

/* bool options: "(t|T)(rue)?|1" true, "(f|F)(alse)?|0" false */
static int parse_bool(const char *s, int *v)
{
	if (!strcmp(s, "t") || !strcmp(s, "T") || !strcmp(s, "true") || !strcmp(s, "True") ||
	    !strcmp(s, "1"))
		return *v = 1, 0;
	if (!strcmp(s, "f") || !strcmp(s, "F") || !strcmp(s, "false") || !strcmp(s, "False") ||
	    !strcmp(s, "0"))
		return *v = 0, 0;
	return -1;
}

/* Apply one option; value is NULL for a flag given without '='. */
static int apply(struct args *a, const struct hb_ofl_option *o, const char *value)
{
	const char *n = o->name;
	int b = 1;
	if (!o->takes_arg && value && parse_bool(value, &b) != 0)
		return parse_error("Argument " LQ "%s" RQ " failed to parse", value);
	if (!strcmp(n, "board")) {
		a->board = value;
	} else if (!strcmp(n, "cable")) {
		a->cable = value;
	} else if (!strcmp(n, "ftdi-serial")) {
		a->serial = value;
	} else if (!strcmp(n, "bitstream")) {
		a->bitstream = value;
	} else if (!strcmp(n, "file-type")) {
		a->file_type = value;
	} else if (!strcmp(n, "ftdi-channel")) {
		if (parse_int(value, -0x7fffffffL - 1, 0x7fffffffL, &a->channel) != 0)
			return parse_error("Argument " LQ "%s" RQ " failed to parse", value);
		a->has_channel = 1;
	} else if (!strcmp(n, "verbose-level")) {
		if (parse_int(value, -128, 127, &a->verbose_level) != 0)
			return parse_error("Argument " LQ "%s" RQ " failed to parse", value);
		a->has_level = 1;
	} else if (!strcmp(n, "write-flash")) {
		a->n_flash++; /* main() counts occurrences, whatever the value */
	} else if (!strcmp(n, "write-sram")) {
		a->n_sram++;
	} else if (!strcmp(n, "dump-flash")) {
		a->n_dump++;
		a->not_emulated = a->not_emulated ? a->not_emulated : n;
	} else if (!strcmp(n, "verify")) {
		a->verify = b;
	} else if (!strcmp(n, "verbose")) {
		a->verbose = b;
	} else if (!strcmp(n, "quiet")) {
		a->quiet = b;
	} else if (!strcmp(n, "help")) {
		a->help = 1;
	} else if (!strcmp(n, "Version")) {
		a->version = 1;
	} else if (!strcmp(n, "list-boards") || !strcmp(n, "list-cables") ||
		   !strcmp(n, "list-fpga")) {
		a->list |= b;
	} else if (!a->not_emulated) {
		a->not_emulated = n;
	}
	return 0;
}

/* The value of an option at argv[*i] (checked_parse_arg): flags take their implicit
 * value and never the next argument; others take the next argument, whatever it is. */
static int take(struct args *a, const struct hb_ofl_option *o, const char *name, int argc,
		char **argv, int *i)
{
	if (!o->takes_arg)
		return apply(a, o, NULL);
	if (*i + 1 >= argc)
		return parse_error("Option " LQ "%s" RQ " is missing an argument", name);
	return apply(a, o, argv[++*i]);
}

static void positional(struct args *a, const char *s)
{
	if (!a->bitstream)
		a->bitstream = s;
	else if (!a->extra)
		a->extra = s;
}

static int parse_argv(struct args *a, int argc, char **argv)
{
	int i, r;
	for (i = 1; i < argc; i++) {
		const char *s = argv[i];
		if (!strcmp(s, "--")) {
			for (i++; i < argc; i++)
				positional(a, argv[i]);
			break;
		}
		/* --([[:alnum:]][-_[:alnum:]]+)(=(.*))? */
		if (s[0] == '-' && s[1] == '-' && is_alnum(s[2])) {
			size_t n = 3;
			while (is_alnum(s[n]) || s[n] == '-' || s[n] == '_')
				n++;
			if (n > 3 && (s[n] == 0 || s[n] == '=')) {
				char name[64];
				snprintf(name, sizeof name, "%.*s", (int)(n - 2), s + 2);
				const struct hb_ofl_option *o = hb_ofl_tables_long(T, name);
				if (!o)
					return parse_error("Option " LQ "%s" RQ " does not exist", name);
				r = s[n] == '=' ? apply(a, o, s + n + 1) : take(a, o, name, argc, argv, &i);
				if (r)
					return r;
				continue;
			}
		}
		/* -([_[:alnum:]]+) */
		int shrt = s[0] == '-' && s[1] != 0;
		for (const char *p = s + 1; shrt && *p; p++)
			shrt = is_alnum(*p) || *p == '_';
		if (shrt) {
			size_t len = strlen(s + 1);
			for (size_t k = 0; k < len; k++) {
				char name[2] = {s[1 + k], 0};
				const struct hb_ofl_option *o = hb_ofl_tables_short(T, name[0]);
				if (!o)
					return parse_error("Option " LQ "%s" RQ " does not exist", name);
				if (k + 1 == len) {
					r = take(a, o, name, argc, argv, &i);
				} else if (!o->takes_arg) {
					r = apply(a, o, NULL);
				} else {
					/* cxxopts 2.2 takes the group after its first letter */
					r = apply(a, o, s + 2);
					k = len;
				}
				if (r)
					return r;
			}
			continue;
		}
		if (s[0] == '-' && s[1] != 0)
			return parse_error("Argument " LQ "%s" RQ
					   " starts with a - but has incorrect syntax", s);
		positional(a, s);
	}
	return 0;
}

/* ---- the twin's description of the board ---- */

static int parse_channel(const char *var, int *ch)
{
	const char *s = getenv(var);
	*ch = -1;
	if (!s || !*s)
		return 0;
	if (s[1] == 0 && s[0] >= '0' && s[0] <= '3')
		*ch = s[0] - '0';
	else if (s[1] == 0 && s[0] >= 'A' && s[0] <= 'D')
		*ch = s[0] - 'A';
	else
		return standin_fail("%s=%s: give the FTDI channel as 0-3 or the interface as A-D",
				    var, s);
	return 0;
}

static int read_twin(struct twin *w)
{
	memset(w, 0, sizeof *w);
	const char *f = getenv("HB_OFL_FAMILY");
	w->family = hb_ofl_family_parse(f);
	if (w->family < 0)
		return standin_fail("HB_OFL_FAMILY=%s: the twin session sets it to the board's "
				    "family, ice40, ecp5 or artix7", f ? f : "(not set)");
	int r = parse_channel("HB_OFL_EXPECT_CHANNEL", &w->expect);
	if (!r)
		r = parse_channel("HB_OFL_UART_CHANNEL", &w->uart);
	if (r)
		return r;
	const char *usb = getenv("HB_OFL_USB");
	if (usb && *usb) {
		char tail;
		if (sscanf(usb, "%x:%x%c", &w->vid, &w->pid, &tail) != 2 || w->vid > 0xffff ||
		    w->pid > 0xffff)
			return standin_fail("HB_OFL_USB=%s: give the board's FTDI as VID:PID in hex "
					    "(0403:6010)", usb);
		w->has_usb = 1;
	}
	w->usb_serial = getenv("HB_OFL_USB_SERIAL");
	w->record = getenv("HB_OFL_RECORD");
	return 0;
}

/* FTDI chips by PID (VID 0x0403): name and number of interfaces. */
static const char *ftdi_chip(unsigned pid, int *n_if)
{
	static const struct {
		unsigned pid;
		const char *name;
		int n_if;
	} chips[] = {{0x6001, "FT232R", 1}, {0x6010, "FT2232H", 2}, {0x6011, "FT4232H", 4},
		     {0x6014, "FT232H", 1}, {0x6015, "FT-X (FT231X)", 1}};
	for (size_t i = 0; i < sizeof chips / sizeof chips[0]; i++) {
		if (chips[i].pid == pid) {
			*n_if = chips[i].n_if;
			return chips[i].name;
		}
	}
	*n_if = 0;
	return NULL;
}

/* ---- what a successful load prints (openFPGALoader 0.10's lines) ---- */

static void bar(const char *what, int quiet)
{
	enum { LEN = 50 };
	if (quiet) {
		out("%s: Done\n", what);
		return;
	}
	for (int step = 0; step <= 4; step++) {
		float pc = 25.0f * (float)step;
		float eq = pc * LEN / 100.0f;
		char fill[LEN + 1];
		int k = 0;
		for (; k < eq && k < LEN; k++)
			fill[k] = '=';
		fill[k] = 0;
		out("\r%s: [%s%*s] %3.2f%%", what, fill, (int)(LEN - eq), "", (double)pc);
	}
	out("\nDone\n");
}

static void progress(const struct twin *w, const struct args *a, int to_flash, int spi)
{
	int q = a->quiet;
	if (spi) { /* iCE40 over SPI (src/ice40.cpp) */
		out("Parse file DONE\n");
		if (!to_flash) {
			bar("Loading to CRAM", q);
		} else {
			out("00\n");
			bar("Erasing", q);
			bar("Writing", q);
			if (a->verify) {
				out("Verifying write (May take time)\n");
				bar("Read flash ", q);
			}
		}
		out("Wait for CDONE DONE\n");
		return;
	}
	if (w->family == HB_OFL_ECP5 && !to_flash) { /* src/lattice.cpp program_mem */
		out("Open file: DONE\nParse file: DONE\nEnable configuration: DONE\n"
		    "SRAM erase: DONE\n");
		bar("Loading", q);
		out("Disable configuration: DONE\n");
		return;
	}
	out("Open file DONE\nParse file DONE\n");
	if (!to_flash) { /* src/xilinx.cpp program_mem */
		out("load program\n");
		bar("Flash SRAM", q);
		return;
	}
	bar("Erasing", q);
	bar("Writing", q);
	if (a->verify) {
		out("Verifying write (May take time)\n");
		bar("Read flash ", q);
	}
	if (w->family == HB_OFL_ECP5)
		out("Refresh: DONE\n");
}

/* ---- the record ---- */

static void json_str(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static int record(const struct twin *w, const char *board, const char *cable, int channel,
		  const struct args *a, int to_flash, const char *type, size_t size,
		  const char *sha)
{
	char *line = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&line, &len);
	if (!m)
		return standin_fail("out of memory");
	fputs("{\"board\":", m);
	json_str(m, board);
	fputs(",\"cable\":", m);
	json_str(m, cable);
	fprintf(m, ",\"channel\":%d,\"interface\":\"%c\",\"serial\":", channel, 'A' + channel);
	json_str(m, a->serial);
	fprintf(m, ",\"target\":\"%s\",\"verify\":%s,\"family\":\"%s\",\"file\":",
		to_flash ? "flash" : "sram", a->verify ? "true" : "false",
		hb_ofl_family_name((enum hb_ofl_family)w->family));
	json_str(m, a->bitstream);
	fprintf(m, ",\"type\":");
	json_str(m, type);
	fprintf(m, ",\"size\":%zu,\"sha256\":\"%s\"}\n", size, sha);
	if (fclose(m) != 0) {
		free(line);
		return standin_fail("out of memory");
	}
	/* one write() on an O_APPEND file: concurrent loads never interleave their lines */
	FILE *f = fopen(w->record, "a");
	int ok = f && fwrite(line, 1, len, f) == len;
	int e = errno;
	if (f && fclose(f) != 0)
		ok = 0, e = errno;
	free(line);
	if (!ok)
		return standin_fail("cannot append the load to HB_OFL_RECORD=%s: %s", w->record,
				    strerror(e));
	return 0;
}

/* ---- main ---- */

static int run_real(const char *real, int argc, char **argv)
{
	char **v = calloc((size_t)argc + 1, sizeof *v);
	if (!v)
		return standin_fail("out of memory");
	v[0] = "openFPGALoader";
	for (int i = 1; i < argc; i++)
		v[i] = argv[i];
	fflush(NULL);
	execv(real, v);
	int e = errno;
	free(v);
	return standin_fail("cannot run %s: %s", real, strerror(e));
}

/* The real program opening an FTDI device that is not there (src/ftdipp_mpsse.cpp, then
 * main.cpp's SPI or JTAG branch). */
static int no_device(int spi)
{
	err("unable to open ftdi device: -3 (device not found)");
	err(spi ? "Error: Failed to claim cable" : "JTAG init failed with: unable to open ftdi device");
	return EXIT_REFUSED;
}

static int load(const struct args *a, const struct twin *w)
{
	int to_flash;
	if (a->n_flash)
		out("write to flash\n");
	else if (a->n_sram)
		out("write to ram\n");

	/* board and cable (main.cpp) */
	const char *board = a->board && a->board[0] != '-' ? a->board : NULL;
	const char *cable = a->cable && a->cable[0] != '-' ? a->cable : NULL;
	const struct hb_ofl_board *bd = NULL;
	if (board) {
		bd = hb_ofl_tables_board(T, board);
		if (!bd) {
			err("Error: cannot find board '%s'", board);
			return EXIT_REFUSED;
		}
		if (!bd->cable[0] || !hb_ofl_tables_cable(T, bd->cable))
			out("Board %s has not default cable\n", board);
		else if (!cable)
			cable = bd->cable;
		else
			out("Board default cable overridden with %s\n", cable);
	}
	if (!cable) {
		if (a->verbose)
			out("No cable or board specified: using direct ft2232 interface\n");
		cable = "ft2232";
	}
	const struct hb_ofl_cable *c = hb_ofl_tables_cable(T, cable);
	if (!c) {
		err("error : %s not found", cable);
		return EXIT_REFUSED;
	}
	if (a->has_channel && !hb_ofl_cable_is_ftdi(c)) {
		err("Error: FTDI channel param is for FTDI cables.");
		return EXIT_REFUSED;
	}
	if (a->serial && *a->serial && !hb_ofl_cable_is_ftdi(c)) {
		err("Error: FTDI serial param is for FTDI cables.");
		return EXIT_REFUSED;
	}
	/* iCE40 boards of openFPGALoader load over SPI (board mode COMM_SPI); a cable alone
	 * means JTAG. */
	int spi = w->family == HB_OFL_ICE40 && bd;
	to_flash = a->n_flash || (!a->n_sram && spi);

	/* From here the real program opens the cable: the twin's bench has exactly one FTDI
	 * chip, the board's (HB_OFL_USB). */
	if (w->has_usb && (c->vid != w->vid || c->pid != w->pid)) {
		err("hilbench twin: cable %s is %04x:%04x; the board's FTDI is %04x:%04x "
		    "(HB_OFL_USB), the only USB device on this bench", cable, c->vid, c->pid,
		    w->vid, w->pid);
		return no_device(spi);
	}
	if (a->serial && *a->serial && w->usb_serial && *w->usb_serial &&
	    strcmp(a->serial, w->usb_serial) != 0) {
		err("hilbench twin: --ftdi-serial %s, but the board's FTDI has serial %s "
		    "(HB_OFL_USB_SERIAL)", a->serial, w->usb_serial);
		return no_device(spi);
	}
	if (!hb_ofl_cable_is_ftdi(c))
		return standin_fail("cable %s is not an FTDI cable: a twin emulates the board's FTDI "
				    "chip only", cable);
	if (bd && bd->cable[0] && strcmp(bd->cable, cable) != 0)
		out("hilbench twin: note: cable %s replaces the board's own cable %s: same chip, but "
		    "openFPGALoader sets its pins differently\n", cable, bd->cable);
	int channel = a->has_channel ? a->channel : hb_ofl_cable_default_channel(cable);
	char from[96];
	if (a->has_channel)
		snprintf(from, sizeof from, "--ftdi-channel %d (interface %c)", channel,
			 'A' + channel);
	else
		snprintf(from, sizeof from, "cable %s (interface %c, no --ftdi-channel)", cable,
			 'A' + channel);
	int n_if = 0;
	const char *chip = w->has_usb && w->vid == 0x0403 ? ftdi_chip(w->pid, &n_if) : NULL;
	if (chip && channel >= n_if) {
		err("Error: hilbench twin: %s: the board's %s (%04x:%04x) has only interface%s "
		    "A%s", from, chip, w->vid, w->pid, n_if > 1 ? "s" : "",
		    n_if == 2 ? " and B" : n_if == 4 ? "-D" : "");
		return EXIT_REFUSED;
	}
	if (w->uart >= 0 && channel == w->uart && w->expect >= 0 && w->expect != w->uart) {
		err("Error: hilbench twin: %s is the board's UART (HB_OFL_UART_CHANNEL=%d); the "
		    "FPGA is programmed through interface %c (--ftdi-channel %d): set the profile's "
		    "[flash] interface", from, w->uart, 'A' + w->expect, w->expect);
		return EXIT_REFUSED;
	}
	if (w->uart >= 0 && channel == w->uart && w->expect < 0) {
		err("Error: hilbench twin: %s is the board's UART (HB_OFL_UART_CHANNEL=%d), not "
		    "the interface that programs the FPGA", from, w->uart);
		return EXIT_REFUSED;
	}
	if (w->expect >= 0 && channel != w->expect) {
		err("Error: hilbench twin: %s does not program this board: its FPGA is on "
		    "interface %c (--ftdi-channel %d, HB_OFL_EXPECT_CHANNEL)", from, 'A' + w->expect,
		    w->expect);
		return EXIT_REFUSED;
	}
	if (w->family == HB_OFL_ICE40 && !bd) {
		err("hilbench twin: an iCE40 board loads over SPI, which openFPGALoader uses only "
		    "with its board row (-b ice40_generic, ...); with a cable alone it scans JTAG, "
		    "and the iCE40 has none");
		err("Error: no device found");
		return EXIT_REFUSED;
	}

	/* SRAM or flash: what the real program would silently get wrong */
	if (a->n_flash && a->n_sram) {
		err("Error: hilbench twin: both -f (--write-flash) and -m (--write-sram): "
		    "openFPGALoader 0.10 writes flash and ignores -m; give one");
		return EXIT_REFUSED;
	}
	if (a->verify && !to_flash) {
		err("Error: hilbench twin: --verify without -f (--write-flash): openFPGALoader "
		    "verifies SPI flash writes only and ignores --verify for an SRAM load");
		return EXIT_REFUSED;
	}

	/* the file */
	char type[64], msg[512];
	int gz;
	if (hb_ofl_file_type(a->bitstream, a->file_type, type, sizeof type, &gz, msg,
			     sizeof msg) != HB_OK) {
		err("Error: %s", msg);
		return EXIT_REFUSED;
	}
	FILE *f = fopen(a->bitstream, "rb");
	struct stat sb;
	if (!f || fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
		if (f)
			fclose(f);
		err("Error: fail to open %s", a->bitstream);
		return EXIT_REFUSED;
	}
	if (sb.st_size > MAX_FILE) {
		fclose(f);
		err("Error: hilbench twin: %s is %lld bytes; no FPGA of these families takes more "
		    "than %d MiB", a->bitstream, (long long)sb.st_size, MAX_FILE >> 20);
		return EXIT_REFUSED;
	}
	size_t n = (size_t)sb.st_size;
	uint8_t *data = malloc(n ? n : 1);
	if (!data) {
		fclose(f);
		return standin_fail("out of memory");
	}
	int rd = fread(data, 1, n, f) == n;
	fclose(f);
	if (!rd) {
		free(data);
		err("Error: fail to read %s", a->bitstream);
		return EXIT_REFUSED;
	}
	if (w->family == HB_OFL_ECP5 && !to_flash && strcmp(type, "bit") != 0 &&
	    strcmp(type, "bin") != 0 && strcmp(type, "jed") != 0 && strcmp(type, "mcs") != 0 &&
	    strcmp(type, "fea") != 0 && strcmp(type, "pub") != 0) {
		free(data); /* src/lattice.cpp: an unknown type to SRAM */
		err("Error: Failed to claim FPGA device: incompatible file format");
		return EXIT_REFUSED;
	}
	if (hb_ofl_bitfile_check((enum hb_ofl_family)w->family, type, gz, data, n, msg,
				 sizeof msg) != HB_OK) {
		free(data);
		err("Error: hilbench twin: %s: %s", a->bitstream, msg);
		return EXIT_REFUSED;
	}
	uint8_t dig[32];
	char sha[65];
	hb_sha256(data, n, dig);
	free(data);
	for (int i = 0; i < 32; i++)
		snprintf(sha + 2 * i, 3, "%02x", dig[i]);
	if (a->verbose)
		out("File type : %s\n", type);
	if (w->record && *w->record) {
		int r = record(w, board, cable, channel, a, to_flash, type, n, sha);
		if (r)
			return r;
	}
	progress(w, a, to_flash, spi);
	out("hilbench twin: loaded %s (%zu bytes, sha256 %.12s...) into %s through %s "
	    "channel %d%s\n", a->bitstream, n, sha, to_flash ? "SPI flash" : "SRAM", cable,
	    channel, w->record && *w->record ? "; recorded" : "");
	return 0;
}

int main(int argc, char **argv)
{
	char self[PATH_MAX], real[PATH_MAX], e[768];
	const char *me = realpath("/proc/self/exe", self) ? self : NULL;
	if (hb_ofl_find_real(real, sizeof real, me, e, sizeof e) != HB_OK)
		return standin_fail("%s", e);
	struct hb_ofl_tables tables;
	if (hb_ofl_tables_load(&tables, real, getenv("HB_OFL_TABLES"), e, sizeof e) != HB_OK)
		return standin_fail("%s", e);
	T = &tables;

	struct args a = {.channel = -1, .verbose_level = -2};
	int rc = parse_argv(&a, argc, argv);
	if (rc)
		goto done;
	/* parse_opt()'s checks, in its order */
	if (a.help) {
		hb_ofl_tables_free(&tables);
		return run_real(real, argc, argv);
	}
	if (a.verbose && a.quiet) {
		err("Error: can't select quiet and verbose mode in same time");
		err("Error in parse arg step");
		rc = EXIT_REFUSED;
		goto done;
	}
	if (a.has_level && ((a.verbose && a.verbose_level != 1) ||
			    (a.quiet && a.verbose_level != -1))) {
		err("Error: mismatch quiet/verbose and verbose-level\n");
		err("Error in parse arg step");
		rc = EXIT_REFUSED;
		goto done;
	}
	if (a.has_level) {
		a.quiet = a.verbose_level < 0;
		a.verbose = a.verbose_level > 0;
	}
	if (a.version) {
		hb_ofl_tables_free(&tables);
		return run_real(real, argc, argv);
	}
	if (a.n_flash && a.n_sram && a.n_dump) {
		err("Error: both write to flash and write to ram enabled");
		err("Error in parse arg step");
		rc = EXIT_REFUSED;
		goto done;
	}
	if (a.has_channel && (a.channel < 0 || a.channel > 3)) {
		err("Error: valid FTDI channels are 0-3.");
		err("Error in parse arg step");
		rc = EXIT_REFUSED;
		goto done;
	}
	if (a.list) {
		hb_ofl_tables_free(&tables);
		return run_real(real, argc, argv);
	}
	if (a.not_emulated) {
		rc = standin_fail("--%s: the stand-in does not emulate this option (it takes -b, "
				  "-c, --ftdi-serial, --ftdi-channel, -m, -f, --verify, "
				  "--file-type, -v, --quiet, --verbose-level and the bitstream)",
				  a.not_emulated);
		goto done;
	}
	if ((!a.bitstream || !*a.bitstream) && (!a.file_type || !*a.file_type)) {
		err("Error: bitfile not specified");
		out("%s", tables.help);
		err("Error in parse arg step");
		rc = EXIT_REFUSED;
		goto done;
	}
	if (!a.bitstream || !*a.bitstream) {
		rc = standin_fail("--file-type without a file (bitstream from stdin) is not "
				  "emulated");
		goto done;
	}
	if (a.extra) {
		err("Error: hilbench twin: a second file '%s': openFPGALoader 0.10 loads the first "
		    "(%s) and ignores the rest", a.extra, a.bitstream);
		rc = EXIT_REFUSED;
		goto done;
	}
	struct twin w;
	rc = read_twin(&w);
	if (!rc)
		rc = load(&a, &w);
done:
	hb_ofl_tables_free(&tables);
	return rc;
}
