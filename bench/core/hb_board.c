/* hilbench — board profiles: loading (inih), validation, lookup. See hb_board.h, docs/boards.md.
 *
 * The profile's fields are data: one table row per field (section, key, type, where it goes,
 * for which families it is required or allowed). The loader feeds inih a line reader that
 * counts lines and notes section headers, so every message can name FILE:LINE: FIELD. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define LOG_PREFIX "board"
#include "hb_board.h"
#include "hb_escape.h"
#include "hb_ftdi_chips.h"
#include "hb_i2c.h"
#include "hb_ina2xx.h"
#include "hb_log.h"
#include "hb_params.h"
#include "hb_paths.h"
#include "hb_transport.h"

/* ---------------------------------------------------------------- families */

static const struct {
	const char *name;
	enum hb_family family;
	const char *default_board;
} families[] = {
	{"sim", HB_FAMILY_SIM, "sim"},
	{"ice40", HB_FAMILY_ICE40, "icebreaker"},
	{"ecp5", HB_FAMILY_ECP5, "ulx3s"},
	{"artix7", HB_FAMILY_ARTIX7, "arty-a7-35t"},
};
#define N_FAMILIES (sizeof families / sizeof families[0])

const char *hb_family_name(enum hb_family f)
{
	for (size_t i = 0; i < N_FAMILIES; i++)
		if (families[i].family == f)
			return families[i].name;
	return "?";
}

enum hb_status hb_family_parse(const char *s, enum hb_family *out)
{
	for (size_t i = 0; i < N_FAMILIES; i++)
		if (strcmp(families[i].name, s) == 0) {
			*out = families[i].family;
			return HB_OK;
		}
	return HB_ERR_ARG;
}

const char *hb_family_default_board(const char *family)
{
	for (size_t i = 0; i < N_FAMILIES; i++)
		if (strcmp(families[i].name, family) == 0)
			return families[i].default_board;
	return NULL;
}

/* ------------------------------------------------- openFPGALoader, chips */

/* Board names of openFPGALoader 0.10 (`openFPGALoader --list-boards`) for the FPGA families
 * hilbench builds for, with the family each board carries. A self-check test compares this
 * table with the installed openFPGALoader's list. */
const struct hb_ofl_board hb_ofl_boards[] = {
	{"ice40_generic", HB_FAMILY_ICE40}, /* iCEBreaker and other FT2232H + SPI flash iCE40 boards */
	{"ulx3s", HB_FAMILY_ECP5},
	{"ecp5_evn", HB_FAMILY_ECP5},
	{"ecpix5", HB_FAMILY_ECP5},
	{"arty", HB_FAMILY_ARTIX7},
	{"arty_a7_35t", HB_FAMILY_ARTIX7},
	{"arty_a7_100t", HB_FAMILY_ARTIX7},
	{"basys3", HB_FAMILY_ARTIX7},
	{"cmoda7_35t", HB_FAMILY_ARTIX7},
	{"nexys_a7_50", HB_FAMILY_ARTIX7},
	{"nexys_a7_100", HB_FAMILY_ARTIX7},
	{"alchitry_au", HB_FAMILY_ARTIX7},
};
const size_t hb_n_ofl_boards = sizeof hb_ofl_boards / sizeof hb_ofl_boards[0];

/* FTDI-based cables of openFPGALoader 0.10 (`openFPGALoader --list-cables`). */
const char *const hb_ofl_cables[] = {
	"ft2232", "ft2232_b", "ft231X", "ft232", "ft232RL", "ft4232", "digilent", "digilent_b",
	"digilent_hs2", "digilent_hs3", "digilent_ad", "ecpix5-debug", "tigard", "bus_blaster",
	"bus_blaster_b", NULL,
};

int hb_ofl_board_known(const char *name)
{
	for (size_t i = 0; i < hb_n_ofl_boards; i++)
		if (strcmp(hb_ofl_boards[i].name, name) == 0)
			return 1;
	return 0;
}

static int ofl_board_family(const char *name)
{
	for (size_t i = 0; i < hb_n_ofl_boards; i++)
		if (strcmp(hb_ofl_boards[i].name, name) == 0)
			return (int)hb_ofl_boards[i].family;
	return -1;
}

int hb_ofl_cable_known(const char *name)
{
	for (size_t i = 0; hb_ofl_cables[i]; i++)
		if (strcmp(hb_ofl_cables[i], name) == 0)
			return 1;
	return 0;
}


/* ------------------------------------------------------------ field table */

enum kind { K_STR, K_U64, K_U32, K_U16, K_U8, K_FAMILY, K_IFACE };

/* which families need / allow a field */
#define F_REQ_HW 0x1u   /* required on ice40/ecp5/artix7 */
#define F_REQ_SIM 0x2u  /* required on sim */
#define F_HW 0x4u       /* allowed on hardware families */
#define F_SIM 0x8u      /* allowed on sim */
#define F_ALL (F_HW | F_SIM)
#define F_REQ (F_REQ_HW | F_REQ_SIM | F_ALL)

struct field {
	const char *section;
	const char *key;
	enum kind kind;
	size_t off;
	size_t size;
	unsigned flags;
};

#define FLD(sec, key, kind, member, flags) \
	{sec, key, kind, offsetof(struct hb_board, member), sizeof(((struct hb_board *)0)->member), flags}
#define MFLD(key, kind, member, flags) \
	{"monitor", key, kind, offsetof(struct hb_board_monitor, member), \
	 sizeof(((struct hb_board_monitor *)0)->member), flags}

enum {
	FI_NAME, FI_DESCRIPTION, FI_FAMILY,
	FI_PART, FI_PACKAGE, FI_OSC_HZ, FI_CORE_HZ, FI_OSC_PIN,
	FI_SIM_CLOCK, FI_SIM_PACING,
	FI_OFL_BOARD, FI_OFL_CABLE, FI_OFL_IFACE,
	FI_VID, FI_PID, FI_IFACE, FI_SERIAL,
	FI_URI, FI_BAUD, FI_RX_PIN, FI_TX_PIN,
	FI_TOP, FI_LANES,
	FI_COUNT
};

static const struct field board_fields[FI_COUNT] = {
	[FI_NAME] = FLD("board", "name", K_STR, name, F_REQ),
	[FI_DESCRIPTION] = FLD("board", "description", K_STR, description, F_ALL),
	[FI_FAMILY] = FLD("board", "family", K_FAMILY, family, F_REQ),
	[FI_PART] = FLD("fpga", "part", K_STR, fpga_part, F_REQ_HW | F_HW),
	[FI_PACKAGE] = FLD("fpga", "package", K_STR, fpga_package, F_REQ_HW | F_HW),
	[FI_OSC_HZ] = FLD("fpga", "osc_hz", K_U64, osc_hz, F_REQ_HW | F_HW),
	[FI_CORE_HZ] = FLD("fpga", "core_clock_hz", K_U64, core_clock_hz, F_REQ_HW | F_HW),
	[FI_OSC_PIN] = FLD("fpga", "osc_pin", K_STR, osc_pin, F_HW),
	/* the sim's clock is both its "oscillator" and its core clock */
	[FI_SIM_CLOCK] = FLD("sim", "clock_hz", K_U64, core_clock_hz, F_REQ_SIM | F_SIM),
	[FI_SIM_PACING] = FLD("sim", "pacing", K_STR, sim_pacing, F_REQ_SIM | F_SIM),
	[FI_OFL_BOARD] = FLD("flash", "openfpgaloader_board", K_STR, ofl_board, F_REQ_HW | F_HW),
	[FI_OFL_CABLE] = FLD("flash", "openfpgaloader_cable", K_STR, ofl_cable, F_HW),
	[FI_OFL_IFACE] = FLD("flash", "interface", K_IFACE, flash_interface, F_REQ_HW | F_HW),
	[FI_VID] = FLD("usb", "vid", K_U16, usb_vid, F_REQ_HW | F_HW),
	[FI_PID] = FLD("usb", "pid", K_U16, usb_pid, F_REQ_HW | F_HW),
	[FI_IFACE] = FLD("usb", "interface", K_IFACE, usb_interface, F_REQ_HW | F_HW),
	[FI_SERIAL] = FLD("usb", "serial", K_STR, usb_serial, F_HW),
	[FI_URI] = FLD("uart", "uri", K_STR, uart_uri, F_REQ),
	[FI_BAUD] = FLD("uart", "baud", K_U32, uart_baud, F_REQ),
	[FI_RX_PIN] = FLD("uart", "fpga_rx_pin", K_STR, uart_fpga_rx_pin, F_HW),
	[FI_TX_PIN] = FLD("uart", "fpga_tx_pin", K_STR, uart_fpga_tx_pin, F_HW),
	[FI_TOP] = FLD("gateware", "top", K_STR, gw_top, F_REQ),
	[FI_LANES] = FLD("gateware", "lanes", K_U32, gw_lanes, F_REQ),
};
_Static_assert(FI_COUNT <= HB_BOARD_NFIELDS, "raise HB_BOARD_NFIELDS");

enum { MI_CHIP, MI_BUS, MI_ADDRESS, MI_SHUNT, MI_MAX_MA, MI_NOMINAL, MI_LABEL, MI_COUNT };
static const struct field mon_fields[MI_COUNT] = {
	[MI_CHIP] = MFLD("chip", K_STR, chip, F_REQ),
	[MI_BUS] = MFLD("bus", K_STR, bus, F_REQ),
	[MI_ADDRESS] = MFLD("address", K_U8, address, F_REQ),
	[MI_SHUNT] = MFLD("shunt_uohm", K_U32, shunt_uohm, F_REQ),
	[MI_MAX_MA] = MFLD("max_current_ma", K_U32, max_current_ma, F_REQ),
	[MI_NOMINAL] = MFLD("nominal_mv", K_U32, nominal_mv, F_REQ),
	[MI_LABEL] = MFLD("label", K_STR, label, F_ALL),
};
_Static_assert(MI_COUNT <= HB_BOARD_MON_NFIELDS, "raise HB_BOARD_MON_NFIELDS");

static const char *const known_sections[] = {"board", "fpga", "sim", "flash", "usb", "uart",
					      "gateware"};
#define N_SECTIONS (sizeof known_sections / sizeof known_sections[0])
_Static_assert(N_SECTIONS <= sizeof ((struct hb_board *)0)->section_line /
			     sizeof ((struct hb_board *)0)->section_line[0], "section_line too small");

static int section_index(const char *name)
{
	for (size_t k = 0; k < N_SECTIONS; k++)
		if (strcmp(name, known_sections[k]) == 0)
			return (int)k;
	return -1;
}

static bool is_hw(enum hb_family f)
{
	return f != HB_FAMILY_SIM;
}

static bool required(const struct field *fd, enum hb_family f)
{
	return (fd->flags & (is_hw(f) ? F_REQ_HW : F_REQ_SIM)) != 0;
}

static bool allowed(const struct field *fd, enum hb_family f)
{
	return (fd->flags & (is_hw(f) ? F_HW : F_SIM)) != 0;
}

/* ----------------------------------------------------------- messages */

/* Where a message points: "FILE:LINE: " (or "board NAME: " for a board built in code). */
static void errf(char *err, size_t errlen, const struct hb_board *b, int line, const char *field,
		 const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void errf(char *err, size_t errlen, const struct hb_board *b, int line, const char *field,
		 const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	int n;
	if (b->path[0])
		n = snprintf(err, errlen, "%s:%d: %s: ", b->path, line, field);
	else
		n = snprintf(err, errlen, "board %s: %s: ", b->name[0] ? b->name : "(unnamed)", field);
	if (n < 0 || (size_t)n >= errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	hb_escape_inplace(err, errlen); /* it quotes the file: keys, values, section names */
}

/* -------------------------------------------------------------- loading */

#define MAX_SEEN_SECTIONS 32

struct load_ctx {
	struct hb_board *b;
	char *err;
	size_t errlen;
	bool failed;
	/* input: a FILE or a string */
	FILE *f;
	const char *s;
	/* the line reader's state */
	int line;
	bool indented;       /* the current line starts with white space */
	bool too_long;
	char prev_key[96];   /* "section.key" of the previous handler call */
	struct {
		char name[48];
		int line;
	} seen[MAX_SEEN_SECTIONS];
	int n_seen;
};

static void fail(struct load_ctx *c, int line, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void fail(struct load_ctx *c, int line, const char *field, const char *fmt, ...)
{
	if (c->failed)
		return; /* keep the first error */
	c->failed = true;
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	errf(c->err, c->errlen, c->b, line, field, "%s", msg);
}

/* Look at a raw line before inih does: note section headers (for messages and unknown empty
 * sections) and report malformed lines at once, so they are not hidden behind later errors. */
static void note_line(struct load_ctx *c, const char *raw)
{
	const char *p = raw;
	if (c->line == 1 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB &&
	    (unsigned char)p[2] == 0xBF)
		p += 3;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0' || *p == '\n' || *p == '\r' || *p == '#' || *p == ';')
		return;
	if (*p != '[') {
		if (p > raw && c->prev_key[0]) /* inih would append it to the previous value */
			fail(c, c->line, c->prev_key,
			     "indented line continues the previous value; multi-line values are not "
			     "supported (remove the indentation)");
		else if (!strchr(p, '=') && !strchr(p, ':'))
			fail(c, c->line, "syntax",
			     "expected '[section]', 'key = value' or a comment ('#' or ';' first on "
			     "the line)");
		return;
	}
	p++;
	c->prev_key[0] = '\0'; /* inih forgets the previous key at a section header */
	const char *end = strchr(p, ']');
	if (!end) {
		fail(c, c->line, "syntax", "expected '[section]': no closing ']'");
		return;
	}
	size_t n = (size_t)(end - p);
	while (n && isspace((unsigned char)p[n - 1]))
		n--;
	while (n && isspace((unsigned char)*p))
		p++, n--;
	if (c->n_seen >= MAX_SEEN_SECTIONS) {
		fail(c, c->line, "file", "more than %d sections", MAX_SEEN_SECTIONS);
		return;
	}
	if (n >= sizeof c->seen[0].name)
		n = sizeof c->seen[0].name - 1;
	memcpy(c->seen[c->n_seen].name, p, n);
	c->seen[c->n_seen].name[n] = '\0';
	c->seen[c->n_seen].line = c->line;
	/* inih would merge a repeated section into the first: a second [uart] left over from an
	 * edit would silently add or (through the duplicate-key check) clash with keys. */
	for (int i = 0; i < c->n_seen; i++)
		if (strcmp(c->seen[i].name, c->seen[c->n_seen].name) == 0) {
			fail(c, c->line, c->seen[i].name,
			     "duplicate section [%s] (first on line %d); sections are not merged: "
			     "keep one", c->seen[i].name, c->seen[i].line);
			return;
		}
	c->n_seen++;
}

/* A control byte inside a line (a binary file, a stray byte from an editor) is an error
 * naming the field it sits in: a NUL would cut the value short without a trace, an ESC would
 * reach the terminal through `boards show`. Tab, CR and LF are white space. */
static bool is_ctl(unsigned char ch)
{
	return (ch < 0x20 && ch != '\t' && ch != '\r' && ch != '\n') || ch == 0x7F;
}

static void note_ctl(struct load_ctx *c, const char *str, size_t at)
{
	char key[64], what[32];
	unsigned char ch = (unsigned char)str[at];
	if (ch == 0)
		snprintf(what, sizeof what, "NUL byte");
	else
		snprintf(what, sizeof what, "control byte 0x%02X", ch);
	const char *eq = memchr(str, '=', at);
	if (!eq) {
		fail(c, c->line, "syntax", "%s at column %zu (a binary file?)", what, at + 1);
		return;
	}
	const char *k = str;
	while (k < eq && (*k == ' ' || *k == '\t'))
		k++;
	size_t kn = (size_t)(eq - k);
	while (kn && (k[kn - 1] == ' ' || k[kn - 1] == '\t'))
		kn--;
	if (kn >= sizeof key)
		kn = sizeof key - 1;
	memcpy(key, k, kn);
	key[kn] = '\0';
	char field[128];
	snprintf(field, sizeof field, "%s%s%s", c->n_seen ? c->seen[c->n_seen - 1].name : "",
		 c->n_seen ? "." : "", key);
	fail(c, c->line, field, "%s in the value at column %zu (a binary file?)", what, at + 1);
}

/* inih's fgets-style reader: counts lines, notes section headers and indentation. */
static char *read_line(char *str, int num, void *stream)
{
	struct load_ctx *c = stream;
	size_t len;
	if (c->too_long)
		return NULL;
	if (c->f) {
		/* fgets, but counting the bytes, so a NUL byte is seen and not a line end */
		int ch = EOF;
		len = 0;
		while (len < (size_t)num - 1 && (ch = getc(c->f)) != EOF) {
			str[len++] = (char)ch;
			if (ch == '\n')
				break;
		}
		if (len == 0)
			return NULL;
		str[len] = '\0';
		if (len == (size_t)num - 1 && str[len - 1] != '\n' && (ch = getc(c->f)) != EOF) {
			c->too_long = true;
			fail(c, c->line + 1, "file", "line longer than %d characters", num - 2);
			return NULL;
		}
	} else {
		if (!*c->s)
			return NULL;
		const char *nl = strchr(c->s, '\n');
		len = nl ? (size_t)(nl - c->s) + 1 : strlen(c->s);
		if (len > (size_t)num - 1) {
			c->too_long = true;
			fail(c, c->line + 1, "file", "line longer than %d characters", num - 2);
			return NULL;
		}
		memcpy(str, c->s, len);
		str[len] = '\0';
		c->s += len;
	}
	c->line++;
	c->indented = str[0] == ' ' || str[0] == '\t';
	for (size_t i = 0; i < len; i++)
		if (is_ctl((unsigned char)str[i])) {
			note_ctl(c, str, i);
			break;
		}
	note_line(c, str);
	return str;
}

static bool parse_uint(const char *v, uint64_t max, uint64_t *out)
{
	char buf[64];
	size_t n = 0;
	/* digits with optional '_' separators between digits; decimal or 0x hex */
	for (const char *p = v; *p; p++) {
		if (*p == '_') {
			if (p == v || !isxdigit((unsigned char)p[-1]) || !isxdigit((unsigned char)p[1]))
				return false;
			continue;
		}
		if (n + 1 >= sizeof buf)
			return false;
		buf[n++] = *p;
	}
	buf[n] = '\0';
	if (n == 0)
		return false;
	int base = 10;
	const char *d = buf;
	if (n > 2 && buf[0] == '0' && (buf[1] == 'x' || buf[1] == 'X')) {
		base = 16;
		d = buf + 2;
	}
	for (const char *p = d; *p; p++)
		if (base == 10 ? !isdigit((unsigned char)*p) : !isxdigit((unsigned char)*p))
			return false;
	errno = 0;
	char *end;
	unsigned long long x = strtoull(d, &end, base);
	if (errno || *end || x > max)
		return false;
	*out = x;
	return true;
}

/* Store one value into the struct at `base` according to the field's kind. */
static void store(struct load_ctx *c, const struct field *fd, void *base, const char *fname,
		  const char *v)
{
	char *dst = (char *)base + fd->off;
	uint64_t x, max;
	switch (fd->kind) {
	case K_STR:
		if (strlen(v) >= fd->size) {
			fail(c, c->line, fname, "value longer than %zu characters", fd->size - 1);
			return;
		}
		memcpy(dst, v, strlen(v) + 1);
		return;
	case K_FAMILY: {
		enum hb_family f;
		if (hb_family_parse(v, &f) != HB_OK) {
			fail(c, c->line, fname, "unknown family '%s' (known: ice40, ecp5, artix7, sim)", v);
			return;
		}
		memcpy(dst, &f, sizeof f);
		return;
	}
	case K_IFACE:
		if (strlen(v) != 1 || toupper((unsigned char)v[0]) < 'A' || toupper((unsigned char)v[0]) > 'D') {
			fail(c, c->line, fname, "'%s' is not an FTDI interface (A, B, C or D)", v);
			return;
		}
		*dst = (char)toupper((unsigned char)v[0]);
		return;
	case K_U64: max = UINT64_MAX; break;
	case K_U32: max = UINT32_MAX; break;
	case K_U16: max = UINT16_MAX; break;
	case K_U8: max = UINT8_MAX; break;
	default: return;
	}
	if (!parse_uint(v, max, &x)) {
		fail(c, c->line, fname, "'%s' is not a number in 0..%llu (decimal or 0x hex)", v,
		     (unsigned long long)max);
		return;
	}
	switch (fd->kind) {
	case K_U64: memcpy(dst, &x, sizeof x); break;
	case K_U32: { uint32_t y = (uint32_t)x; memcpy(dst, &y, sizeof y); break; }
	case K_U16: { uint16_t y = (uint16_t)x; memcpy(dst, &y, sizeof y); break; }
	case K_U8: { uint8_t y = (uint8_t)x; memcpy(dst, &y, sizeof y); break; }
	default: break;
	}
}

static bool valid_ident(const char *s, bool dash)
{
	if (!*s)
		return false;
	for (const char *p = s; *p; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_' ||
		      (dash && *p == '-')))
			return false;
	return true;
}

/* ------------------------------------------------ [build] (hb_build.c) */

/* The [build] section has its own table and its own struct (struct hb_board_build), so that
 * the bitstream flow's keys stay in one place. Hardware families only; optional, but when
 * present every key is required. */
#define BFLD(key, member) \
	{"build", key, K_STR, offsetof(struct hb_board_build, member), \
	 sizeof(((struct hb_board_build *)0)->member), F_REQ_HW | F_HW}
enum { BI_FLOW, BI_TOP_FILE, BI_CONSTRAINTS, BI_BITSTREAM, BI_COUNT };
static const struct field build_fields[BI_COUNT] = {
	[BI_FLOW] = BFLD("flow", flow),
	[BI_TOP_FILE] = BFLD("top_file", top_file),
	[BI_CONSTRAINTS] = BFLD("constraints", constraints),
	[BI_BITSTREAM] = BFLD("bitstream", bitstream),
};
_Static_assert(BI_COUNT == HB_BOARD_BUILD_NFIELDS, "HB_BOARD_BUILD_NFIELDS");

/* Flows and the family each builds for (hb_build.c runs them). */
static const struct {
	const char *flow;
	enum hb_family family;
	const char *ext;        /* bitstream file extension */
	const char *pins_ext;   /* constraints file extension */
} build_flows[] = {
	{"icestorm", HB_FAMILY_ICE40, ".bin", ".pcf"},
	{"trellis", HB_FAMILY_ECP5, ".bit", ".lpf"},
	{"xc7", HB_FAMILY_ARTIX7, ".bit", ".xdc"},
	{"vivado", HB_FAMILY_ARTIX7, ".bit", ".xdc"},
	{"openxc7", HB_FAMILY_ARTIX7, ".bit", ".xdc"},
};

static int build_key(struct load_ctx *c, const char *name, const char *value, const char *fname)
{
	struct hb_board_build *bb = &c->b->build;
	if (!bb->section_line)
		for (int i = c->n_seen - 1; i >= 0; i--)
			if (strcmp(c->seen[i].name, "build") == 0) {
				bb->section_line = c->seen[i].line;
				break;
			}
	for (int i = 0; i < BI_COUNT; i++) {
		if (strcmp(build_fields[i].key, name) != 0)
			continue;
		if (bb->line[i]) {
			fail(c, c->line, fname, "duplicate key (first set on line %d)", bb->line[i]);
			return 0;
		}
		bb->line[i] = c->line;
		store(c, &build_fields[i], bb, fname, value);
		return !c->failed;
	}
	fail(c, c->line, fname, "unknown key '%s' in [build] (known: flow, top_file, constraints, "
	     "bitstream)", name);
	return 0;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct load_ctx *c = user;
	struct hb_board *b = c->b;
	char fname[96];
	snprintf(fname, sizeof fname, "%s.%s", section, name);

	if (c->failed)
		return 1;
	if (!valid_ident(name, false)) {
		fail(c, c->line, "syntax", "expected 'key = value' ('%s' is not a key: a-z, 0-9, _)",
		     name);
		return 0;
	}
	if (c->indented && strcmp(fname, c->prev_key) == 0) {
		fail(c, c->line, fname,
		     "indented line continues the previous value; multi-line values are not supported "
		     "(remove the indentation)");
		return 0;
	}
	snprintf(c->prev_key, sizeof c->prev_key, "%s", fname);

	if (strcmp(section, "build") == 0)
		return build_key(c, name, value, fname);
	if (strncmp(section, "monitor.", 8) == 0) {
		const char *rail = section + 8;
		if (!valid_ident(rail, false) || strlen(rail) >= sizeof b->monitors[0].rail) {
			fail(c, c->line, fname,
			     "rail name '%s' must be 1..%zu characters of a-z, 0-9, _", rail,
			     sizeof b->monitors[0].rail - 1);
			return 0;
		}
		struct hb_board_monitor *m = NULL;
		for (size_t i = 0; i < b->n_monitors; i++)
			if (strcmp(b->monitors[i].rail, rail) == 0)
				m = &b->monitors[i];
		if (!m) {
			if (b->n_monitors >= HB_BOARD_MAX_MONITORS) {
				fail(c, c->line, fname, "more than %d power monitors",
				     HB_BOARD_MAX_MONITORS);
				return 0;
			}
			m = &b->monitors[b->n_monitors++];
			snprintf(m->rail, sizeof m->rail, "%s", rail);
			for (int i = c->n_seen - 1; i >= 0; i--)
				if (strcmp(c->seen[i].name, section) == 0) {
					m->section_line = c->seen[i].line;
					break;
				}
		}
		for (int i = 0; i < MI_COUNT; i++) {
			if (strcmp(mon_fields[i].key, name) != 0)
				continue;
			if (m->line[i]) {
				fail(c, c->line, fname, "duplicate key (first set on line %d)", m->line[i]);
				return 0;
			}
			m->line[i] = c->line;
			store(c, &mon_fields[i], m, fname, value);
			return !c->failed;
		}
		fail(c, c->line, fname,
		     "unknown key '%s' in a monitor section (known: chip, bus, address, shunt_uohm, "
		     "max_current_ma, nominal_mv, label)", name);
		return 0;
	}

	bool section_known = false;
	for (int i = 0; i < FI_COUNT; i++) {
		const struct field *fd = &board_fields[i];
		if (strcmp(fd->section, section) != 0)
			continue;
		section_known = true;
		if (strcmp(fd->key, name) != 0)
			continue;
		if (b->line[i]) {
			fail(c, c->line, fname, "duplicate key (first set on line %d)", b->line[i]);
			return 0;
		}
		b->line[i] = c->line;
		store(c, fd, b, fname, value);
		return !c->failed;
	}
	if (!section_known) {
		if (!*section)
			fail(c, c->line, fname, "key outside any section (start with [board])");
		else
			fail(c, c->line, fname, "unknown section [%s] (see docs/boards.md)", section);
	} else {
		char known[256] = "";
		for (int i = 0; i < FI_COUNT; i++)
			if (strcmp(board_fields[i].section, section) == 0) {
				size_t l = strlen(known);
				snprintf(known + l, sizeof known - l, "%s%s", l ? ", " : "",
					 board_fields[i].key);
			}
		fail(c, c->line, fname, "unknown key '%s' in [%s] (known: %s)", name, section, known);
	}
	return 0;
}

/* After parsing: sections that held no key, fields not allowed for the family. */
static void check_structure(struct load_ctx *c)
{
	struct hb_board *b = c->b;
	for (int i = 0; i < c->n_seen && !c->failed; i++) {
		const char *s = c->seen[i].name;
		int k = section_index(s);
		bool ok = k >= 0 || strncmp(s, "monitor.", 8) == 0 || strcmp(s, "build") == 0;
		if (strcmp(s, "build") == 0 && !b->build.section_line)
			b->build.section_line = c->seen[i].line;
		if (k >= 0 && !b->section_line[k])
			b->section_line[k] = c->seen[i].line;
		if (!ok)
			fail(c, c->seen[i].line, s, "unknown section [%s] (see docs/boards.md)", s);
		if (ok && strncmp(s, "monitor.", 8) == 0) {
			bool used = false;
			for (size_t m = 0; m < b->n_monitors; m++)
				used |= strcmp(b->monitors[m].rail, s + 8) == 0;
			if (!used)
				fail(c, c->seen[i].line, s,
				     "empty section: a monitor needs chip, bus, address, shunt_uohm, "
				     "max_current_ma, nominal_mv");
		}
	}
	if (c->failed || !b->line[FI_FAMILY])
		return; /* a missing family is reported by validation */
	if (b->build.section_line && !is_hw(b->family))
		fail(c, b->build.section_line, "build",
		     "not used by family sim: remove it (the virtual board simulates the RTL)");
	for (int i = 0; i < FI_COUNT && !c->failed; i++) {
		const struct field *fd = &board_fields[i];
		if (b->line[i] && !allowed(fd, b->family)) {
			char fname[64];
			snprintf(fname, sizeof fname, "%s.%s", fd->section, fd->key);
			fail(c, b->line[i], fname, "not used by family %s: remove it%s",
			     hb_family_name(b->family),
			     is_hw(b->family) ? " ([sim] is for family sim)"
					      : " (a sim board has [sim] instead of [fpga], and no [flash] or [usb])");
		}
	}
	if (!is_hw(b->family))
		b->osc_hz = b->core_clock_hz;
}

static enum hb_status load(struct load_ctx *c, const char *name)
{
	struct hb_board *b = c->b;
	memset(b, 0, sizeof *b);
	snprintf(b->path, sizeof b->path, "%s", name);
	if (c->err && c->errlen)
		c->err[0] = '\0';
	b->family = (enum hb_family)-1;

	int rc = ini_parse_stream(read_line, c, handler, c);
	b->n_lines = c->line;
	if (rc == -1 || rc == -2) {
		fail(c, 0, "file", "%s", rc == -1 ? "cannot read" : "out of memory");
		return HB_ERR_IO;
	}
	if (rc > 0 && !c->failed)
		fail(c, rc, "syntax",
		     "expected '[section]', 'key = value' or a comment ('#' or ';' first on the line)");
	if (!c->failed)
		check_structure(c);
	if (c->failed)
		return HB_ERR_FORMAT;
	if ((int)b->family == -1)
		b->family = HB_FAMILY_SIM; /* only to let validate name the missing field */
	enum hb_status st = hb_board_validate(b, c->err, c->errlen);
	return st;
}

enum hb_status hb_board_load_file(const char *path, struct hb_board *board, char *err,
				  size_t errlen)
{
	if (!path || !board)
		return HB_ERR_ARG;
	struct stat sb;
	if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		memset(board, 0, sizeof *board);
		if (err && errlen)
			snprintf(err, errlen, "%s: is a directory, not a board profile (an INI file)",
				 path);
		return HB_ERR_FORMAT;
	}
	FILE *f = fopen(path, "r");
	if (!f) {
		int e = errno;
		memset(board, 0, sizeof *board);
		if (err && errlen) {
			if (e == EACCES)
				snprintf(err, errlen, "%s: cannot read the board profile: permission "
					 "denied (check the file's mode and owner)", path);
			else
				snprintf(err, errlen, "%s: cannot open: %s", path, strerror(e));
		}
		return e == ENOENT ? HB_ERR_NOTFOUND : e == EACCES ? HB_ERR_PERM : HB_ERR_IO;
	}
	struct load_ctx c = {.b = board, .err = err, .errlen = errlen, .f = f};
	enum hb_status st = load(&c, path);
	fclose(f);
	return st;
}

enum hb_status hb_board_load_string(const char *text, const char *name, struct hb_board *board,
				    char *err, size_t errlen)
{
	if (!text || !board)
		return HB_ERR_ARG;
	struct load_ctx c = {.b = board, .err = err, .errlen = errlen, .s = text};
	return load(&c, name ? name : "(string)");
}

/* ------------------------------------------------------------ validation */

struct vctx {
	const struct hb_board *b;
	char *err;
	size_t errlen;
};

/* Line of a board field, or (when missing) of its section header, or the end of file. */
static int field_line(const struct hb_board *b, int fi)
{
	if (b->line[fi])
		return b->line[fi];
	int k = section_index(board_fields[fi].section);
	if (k >= 0 && b->section_line[k])
		return b->section_line[k];
	return b->n_lines;
}

static enum hb_status vfail(struct vctx *v, int fi, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static enum hb_status vfail(struct vctx *v, int fi, const char *fmt, ...)
{
	char msg[320], fname[64];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(fname, sizeof fname, "%s.%s", board_fields[fi].section, board_fields[fi].key);
	errf(v->err, v->errlen, v->b, field_line(v->b, fi), fname, "%s", msg);
	return HB_ERR_FORMAT;
}

static enum hb_status mfail(struct vctx *v, const struct hb_board_monitor *m, int mi,
			    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static enum hb_status mfail(struct vctx *v, const struct hb_board_monitor *m, int mi,
			    const char *fmt, ...)
{
	char msg[320], fname[96];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(fname, sizeof fname, "monitor.%s.%s", m->rail, mon_fields[mi].key);
	int line = m->line[mi] ? m->line[mi] : m->section_line ? m->section_line : v->b->n_lines;
	errf(v->err, v->errlen, v->b, line, fname, "%s", msg);
	return HB_ERR_FORMAT;
}

static bool field_set(const void *base, const struct field *fd)
{
	const unsigned char *p = (const unsigned char *)base + fd->off;
	if (fd->kind == K_STR)
		return p[0] != '\0';
	if (fd->kind == K_FAMILY)
		return true;
	for (size_t i = 0; i < fd->size; i++)
		if (p[i])
			return true;
	return false;
}

/* The scheme of a URI ("ftdi" of "ftdi://..."), "" when there is no ':'. */
static void uri_scheme(const char *uri, char *out, size_t cap)
{
	size_t n = strcspn(uri, ":");
	if (!uri[n] || n >= cap)
		n = 0;
	memcpy(out, uri, n);
	out[n] = '\0';
}

/* An FTDI target "VID:PID[:serial]/N" of a URI (ftdi://, ftdi-i2c://), through the drivers'
 * own parser. */
static bool ftdi_target(const char *uri, struct hb_ftdi_target *t)
{
	char tmp[512], *scheme, *target, *query;
	snprintf(tmp, sizeof tmp, "%s", uri);
	return hb_uri_split(tmp, &scheme, &target, &query) == 0 &&
	       hb_ftdi_parse_target(target, t) == HB_OK;
}

static enum hb_status validate_monitor(struct vctx *v, const struct hb_board_monitor *m)
{
	const struct hb_board *b = v->b;
	for (int i = 0; i < MI_COUNT; i++)
		if ((mon_fields[i].flags & F_REQ_HW) &&
		    (!m->line[i] ? !field_set(m, &mon_fields[i])
				 : mon_fields[i].kind == K_STR && !field_set(m, &mon_fields[i])))
			return mfail(v, m, i, "%s (required in every [monitor.<rail>] section)",
				     m->line[i] ? "empty" : "missing");
	/* the chip and its limits: the driver's table */
	const struct hb_ina2xx_chip *chip = hb_ina2xx_chip_by_name(m->chip);
	if (!chip || !(chip->flags & HB_INA2XX_F_DRIVEN)) {
		char known[128];
		hb_ina2xx_driven_names(known, sizeof known);
		return mfail(v, m, MI_CHIP, "unknown chip '%s' (known: %s)", m->chip, known);
	}

	/* the bus: a scheme of the I2C registry, real or virtual as the board is */
	char scheme[32], examples[160];
	uri_scheme(m->bus, scheme, sizeof scheme);
	const struct hb_i2c_ops *bus = hb_i2c_find(scheme);
	hb_i2c_examples(1, examples, sizeof examples);
	if (is_hw(b->family) && (!bus || !bus->hardware))
		return mfail(v, m, MI_BUS, "'%s' is not an I2C bus URI for real hardware (%s)",
			     m->bus, examples);
	/* the bench probe running inside the virtual board (docs/probe.md section 7) */
	bool vb_probe = !is_hw(b->family) && strcmp(m->bus, "probe:vboard:") == 0;
	if (!is_hw(b->family) && !vb_probe && (!bus || bus->hardware))
		return mfail(v, m, MI_BUS, "'%s': a sim board's monitors sit on the vboard: bus, or "
			     "on the virtual board's probe (probe:vboard:)", m->bus);
	if (strcmp(scheme, "probe") == 0 && !vb_probe) {
		/* The bench probe (docs/probe.md), reached through a transport of the registry
		 * that reaches hardware (a pty counts: ser2net or a probe's own bridge). */
		char tscheme[32], texamples[160];
		uri_scheme(m->bus + 6, tscheme, sizeof tscheme);
		const struct hb_transport_ops *tr = hb_transport_find(tscheme);
		hb_transport_examples(1, texamples, sizeof texamples);
		if (!tr || !tr->hardware)
			return mfail(v, m, MI_BUS,
				     "'%s': a probe bus is probe:<transport URI> (probe:serial:/dev/ttyACM0; "
				     "transports: %s)", m->bus, texamples);
	}
	if (strcmp(scheme, "ftdi-i2c") == 0) {
		struct hb_ftdi_target t;
		if (!ftdi_target(m->bus, &t))
			return mfail(v, m, MI_BUS, "'%s' is not ftdi-i2c://VID:PID[:SERIAL]/N", m->bus);
		const struct hb_ftdi_chip *fc = hb_ftdi_chip_find((uint16_t)t.vid, (uint16_t)t.pid);
		if (fc && !(fc->mpsse_mask >> (t.iface - 1) & 1))
			return mfail(v, m, MI_BUS,
				     "'%s': interface %c of the %s (%04x:%04x) has no MPSSE to be an "
				     "I2C master (an FT232H, or interface A/B of an FT2232H/FT4232H)",
				     m->bus, 'A' + t.iface - 1, fc->name, fc->vid, fc->pid);
	}

	if (m->address < 0x03 || m->address > 0x77)
		return mfail(v, m, MI_ADDRESS, "0x%02x is outside the 7-bit range 0x03..0x77",
			     m->address);
	if (m->address < chip->addr_min || m->address > chip->addr_max)
		return mfail(v, m, MI_ADDRESS, "0x%02x: an %s answers at 0x%02x..0x%02x only",
			     m->address, chip->name, chip->addr_min, chip->addr_max);
	if (m->shunt_uohm == 0)
		return mfail(v, m, MI_SHUNT, "must be > 0");
	if (m->max_current_ma == 0)
		return mfail(v, m, MI_MAX_MA, "must be > 0");
	/* shunt voltage at the largest current, in uV: mA * uohm / 1000 */
	uint64_t v_uv = (uint64_t)m->max_current_ma * m->shunt_uohm / 1000u;
	if (v_uv > (uint64_t)chip->shunt_fs_uV)
		return mfail(v, m, MI_MAX_MA,
			     "%u mA through %u uohm is %llu uV, beyond the %s's %d uV full scale "
			     "(use a smaller shunt)",
			     m->max_current_ma, m->shunt_uohm, (unsigned long long)v_uv, chip->name,
			     chip->shunt_fs_uV);
	if (m->nominal_mv == 0 || m->nominal_mv > chip->bus_max_mV)
		return mfail(v, m, MI_NOMINAL, "%u mV is outside 1..%u mV (%s bus input)",
			     m->nominal_mv, chip->bus_max_mV, chip->name);
	for (const struct hb_board_monitor *o = b->monitors; o < m; o++)
		if (o->address == m->address && strcmp(o->bus, m->bus) == 0)
			return mfail(v, m, MI_ADDRESS,
				     "0x%02x on %s is already used by [monitor.%s]", m->address, m->bus,
				     o->rail);
	return HB_OK;
}

/* [build]: all four keys, a flow for the family, matching file extensions, plain names. */
static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

static enum hb_status validate_build(struct vctx *v)
{
	const struct hb_board *b = v->b;
	const struct hb_board_build *bb = &b->build;
	bool any = bb->section_line != 0;
	for (int i = 0; i < BI_COUNT; i++)
		any |= bb->line[i] != 0 || bb->flow[0];
	if (!any)
		return HB_OK;
	char fname[64];
	for (int i = 0; i < BI_COUNT; i++) {
		if (field_set(bb, &build_fields[i]))
			continue;
		snprintf(fname, sizeof fname, "build.%s", build_fields[i].key);
		int line = bb->line[i] ? bb->line[i] : bb->section_line ? bb->section_line : b->n_lines;
		errf(v->err, v->errlen, b, line, fname, "%s (every [build] section names flow, top_file, "
		     "constraints and bitstream)", bb->line[i] ? "empty" : "missing");
		return HB_ERR_FORMAT;
	}
	size_t fi = 0, nf = sizeof build_flows / sizeof build_flows[0];
	while (fi < nf && strcmp(build_flows[fi].flow, bb->flow) != 0)
		fi++;
	int line = bb->line[BI_FLOW];
	if (fi == nf) {
		errf(v->err, v->errlen, b, line, "build.flow",
		     "unknown flow '%s' (known: icestorm for ice40, trellis for ecp5, xc7, vivado or "
		     "openxc7 for artix7)", bb->flow);
		return HB_ERR_FORMAT;
	}
	if (build_flows[fi].family != b->family) {
		errf(v->err, v->errlen, b, line, "build.flow", "'%s' builds for %s, this profile is "
		     "family %s", bb->flow, hb_family_name(build_flows[fi].family),
		     hb_family_name(b->family));
		return HB_ERR_FORMAT;
	}
	if (strchr(bb->bitstream, '/') || !ends_with(bb->bitstream, build_flows[fi].ext)) {
		errf(v->err, v->errlen, b, bb->line[BI_BITSTREAM], "build.bitstream",
		     "'%s': a file name ending in %s (the %s flow writes that format)", bb->bitstream,
		     build_flows[fi].ext, bb->flow);
		return HB_ERR_FORMAT;
	}
	if (!ends_with(bb->constraints, build_flows[fi].pins_ext)) {
		errf(v->err, v->errlen, b, bb->line[BI_CONSTRAINTS], "build.constraints",
		     "'%s': the %s flow reads a %s file", bb->constraints, bb->flow,
		     build_flows[fi].pins_ext);
		return HB_ERR_FORMAT;
	}
	if (!ends_with(bb->top_file, ".v") && !ends_with(bb->top_file, ".sv")) {
		errf(v->err, v->errlen, b, bb->line[BI_TOP_FILE], "build.top_file",
		     "'%s': a Verilog file (.v or .sv)", bb->top_file);
		return HB_ERR_FORMAT;
	}
	/* the names go into yosys and Tcl scripts: keep them free of quoting trouble */
	const int idx[] = {BI_TOP_FILE, BI_CONSTRAINTS, BI_BITSTREAM};
	for (size_t k = 0; k < 3; k++) {
		const char *val = (const char *)bb + build_fields[idx[k]].off;
		if (strpbrk(val, " \t\"'$[]{};\\")) {
			snprintf(fname, sizeof fname, "build.%s", build_fields[idx[k]].key);
			errf(v->err, v->errlen, b, bb->line[idx[k]], fname,
			     "'%s': no spaces, quotes, $, [], {}, ; or \\ in file names (they go into "
			     "yosys and Tcl scripts)", val);
			return HB_ERR_FORMAT;
		}
	}
	return HB_OK;
}

enum hb_status hb_board_validate(const struct hb_board *b, char *err, size_t errlen)
{
	struct vctx v = {.b = b, .err = err, .errlen = errlen};
	if (!b)
		return HB_ERR_ARG;

	/* family first: it decides which fields are required */
	if (!b->line[FI_FAMILY] && b->path[0])
		return vfail(&v, FI_FAMILY, "missing (one of ice40, ecp5, artix7, sim)");
	if (strcmp(hb_family_name(b->family), "?") == 0)
		return vfail(&v, FI_FAMILY, "unknown family %d", (int)b->family);
	bool hw = is_hw(b->family);

	for (int i = 0; i < FI_COUNT; i++) {
		const struct field *fd = &board_fields[i];
		if (required(fd, b->family) && !field_set(b, fd) && (!b->line[i] || fd->kind == K_STR))
			return vfail(&v, i, "%s (required for family %s)",
				     b->line[i] ? "empty" : "missing", hb_family_name(b->family));
	}

	if (!valid_ident(b->name, true) || strlen(b->name) >= sizeof b->name)
		return vfail(&v, FI_NAME, "'%s' must be lower-case letters, digits, '_' or '-'",
			     b->name);

	/* clocks */
	const int clk_field = hw ? FI_CORE_HZ : FI_SIM_CLOCK;
	if (b->core_clock_hz == 0 || b->core_clock_hz > 1000000000ull)
		return vfail(&v, clk_field, "%llu Hz is outside 1 Hz..1 GHz",
			     (unsigned long long)b->core_clock_hz);
	if (hw && (b->osc_hz == 0 || b->osc_hz > 1000000000ull))
		return vfail(&v, FI_OSC_HZ, "%llu Hz is outside 1 Hz..1 GHz",
			     (unsigned long long)b->osc_hz);
	if (!hw && strcmp(b->sim_pacing, "virtual") != 0 && strcmp(b->sim_pacing, "free") != 0 &&
	    strcmp(b->sim_pacing, "fast") != 0 && strcmp(b->sim_pacing, "realtime") != 0)
		return vfail(&v, FI_SIM_PACING, "'%s' is not 'virtual', 'realtime' or 'fast'", b->sim_pacing);

	/* flashing */
	const struct hb_ftdi_chip *uart_chip = NULL;
	if (hw) {
		int fam = ofl_board_family(b->ofl_board);
		if (fam < 0) {
			char known[512] = "";
			for (size_t i = 0; i < hb_n_ofl_boards; i++)
				if (hb_ofl_boards[i].family == b->family) {
					size_t l = strlen(known);
					snprintf(known + l, sizeof known - l, "%s%s", l ? ", " : "",
						 hb_ofl_boards[i].name);
				}
			return vfail(&v, FI_OFL_BOARD,
				     "'%s' is not an openFPGALoader 0.10 board hilbench knows for %s "
				     "(known: %s)", b->ofl_board, hb_family_name(b->family), known);
		}
		if (fam != (int)b->family)
			return vfail(&v, FI_OFL_BOARD, "'%s' is an %s board, this profile is family %s",
				     b->ofl_board, hb_family_name((enum hb_family)fam),
				     hb_family_name(b->family));
		if (b->ofl_cable[0] && !hb_ofl_cable_known(b->ofl_cable))
			return vfail(&v, FI_OFL_CABLE,
				     "'%s' is not an FTDI cable of openFPGALoader 0.10 "
				     "(see openFPGALoader --list-cables)", b->ofl_cable);

		/* USB */
		if (b->usb_vid == 0)
			return vfail(&v, FI_VID, "must not be 0");
		if (b->usb_pid == 0)
			return vfail(&v, FI_PID, "must not be 0");
		if (b->usb_interface < 'A' || b->usb_interface > 'D')
			return vfail(&v, FI_IFACE, "must be A, B, C or D");
		if (b->flash_interface < 'A' || b->flash_interface > 'D')
			return vfail(&v, FI_OFL_IFACE, "must be A, B, C or D");
		uart_chip = hb_ftdi_chip_find(b->usb_vid, b->usb_pid);
		if (uart_chip) {
			char last = (char)('A' + uart_chip->n_interfaces - 1);
			if (b->usb_interface > last)
				return vfail(&v, FI_IFACE, "%c: an %s (%04x:%04x) has interfaces A..%c",
					     b->usb_interface, uart_chip->name, b->usb_vid, b->usb_pid,
					     last);
			if (b->flash_interface > last)
				return vfail(&v, FI_OFL_IFACE,
					     "%c: the board's %s (%04x:%04x) has interfaces A..%c",
					     b->flash_interface, uart_chip->name, b->usb_vid, b->usb_pid,
					     last);
		}
	}

	/* UART: a scheme of the transport registry (real or virtual as the board is), or the
	 * virtual board hilbench starts */
	char scheme[32], examples[200];
	uri_scheme(b->uart_uri, scheme, sizeof scheme);
	const struct hb_transport_ops *tr = hb_transport_find(scheme);
	hb_transport_examples(hw, examples, sizeof examples);
	if (hw && (!tr || !tr->hardware))
		return vfail(&v, FI_URI, "'%s': expected %s", b->uart_uri, examples);
	if (!hw && strcmp(b->uart_uri, "vboard:") != 0 && (!tr || tr->hardware))
		return vfail(&v, FI_URI, "'%s': expected vboard: (the virtual board hilbench starts) "
			     "or %s", b->uart_uri, examples);
	if (hw && strcmp(scheme, "ftdi") == 0) {
		struct hb_ftdi_target t;
		if (!ftdi_target(b->uart_uri, &t))
			return vfail(&v, FI_URI, "'%s' is not ftdi://VID:PID[:SERIAL]/N", b->uart_uri);
		if (t.vid != b->usb_vid || t.pid != b->usb_pid)
			return vfail(&v, FI_URI, "names %04x:%04x but [usb] says %04x:%04x", t.vid,
				     t.pid, b->usb_vid, b->usb_pid);
		if (t.iface != (unsigned)(b->usb_interface - 'A' + 1))
			return vfail(&v, FI_URI,
				     "port /%u is interface %c, but [usb] interface is %c (/%d)", t.iface,
				     'A' + t.iface - 1, b->usb_interface, b->usb_interface - 'A' + 1);
	}
	if (b->uart_baud < 9600 || b->uart_baud > 12000000)
		return vfail(&v, FI_BAUD, "%u is outside 9600..12000000", b->uart_baud);
	char why[256];
	if (uart_chip && hb_ftdi_chip_check_baud(uart_chip, b->uart_baud, why, sizeof why) != HB_OK)
		return vfail(&v, FI_BAUD, "%s", why);
	/* the gateware's UART divides the core clock by an integer: at least 4 cycles per bit,
	 * and the rounded divisor within 2 % of the wanted rate */
	uint64_t div = (b->core_clock_hz + b->uart_baud / 2) / b->uart_baud;
	if (div < 4)
		return vfail(&v, FI_BAUD, "%u baud needs >= 4 core clock cycles per bit (%llu Hz gives %llu)",
			     b->uart_baud, (unsigned long long)b->core_clock_hz, (unsigned long long)div);
	uint64_t actual = b->core_clock_hz / div;
	uint64_t diff = actual > b->uart_baud ? actual - b->uart_baud : b->uart_baud - actual;
	if (diff * 50 > b->uart_baud)
		return vfail(&v, FI_BAUD,
			     "%u baud from a %llu Hz core clock divides to %llu baud (more than 2 %% off)",
			     b->uart_baud, (unsigned long long)b->core_clock_hz, (unsigned long long)actual);

	/* gateware */
	if (!valid_ident(b->gw_top, false))
		return vfail(&v, FI_TOP, "'%s' is not a module name (a-z, 0-9, _)", b->gw_top);
	if (b->gw_lanes < 1 || b->gw_lanes > 256)
		return vfail(&v, FI_LANES, "%u is outside 1..256", b->gw_lanes);

	for (size_t i = 0; i < b->n_monitors; i++) {
		enum hb_status st = validate_monitor(&v, &b->monitors[i]);
		if (st != HB_OK)
			return st;
	}
	return validate_build(&v);
}

/* ---------------------------------------------------------------- lookup */

const char *hb_board_shipped_dir(void)
{
	static char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s/bench/boards", hb_data_dir());
	return dir;
}

static bool ini_name(const char *file, char *name, size_t cap)
{
	size_t n = strlen(file);
	if (file[0] == '.' || n < 5 || strcmp(file + n - 4, ".ini") != 0 || n - 4 >= cap)
		return false;
	memcpy(name, file, n - 4);
	name[n - 4] = '\0';
	return true;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Is `name` one of the entries of the ", "-separated list? */
static bool in_list(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; (p = strstr(p, name)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

/* Append the names of the boards in dir to a comma list (for "known boards" messages). */
static void list_names(const char *dir, char *out, size_t cap)
{
	if (!dir)
		return;
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	char names[64][32];
	int n = 0;
	while ((e = readdir(d)) && n < 64)
		if (ini_name(e->d_name, names[n], sizeof names[n]))
			n++;
	closedir(d);
	qsort(names, (size_t)n, sizeof names[0], cmp_name);
	for (int i = 0; i < n; i++) {
		if (in_list(out, names[i])) /* overridden name already listed */
			continue;
		size_t l = strlen(out);
		snprintf(out + l, cap - l, "%s%s", l ? ", " : "", names[i]);
	}
}

static enum hb_status load_named(const char *dir, const char *name, struct hb_board *board,
				 char *err, size_t errlen)
{
	char path[PATH_MAX];
	if (!dir || !*dir)
		return HB_ERR_NOTFOUND;
	snprintf(path, sizeof path, "%s/%s.ini", dir, name);
	/* Only a profile that does not exist is "not here" (the next directory is searched); one
	 * that exists but is a directory or unreadable is reported, not skipped. */
	struct stat sb;
	if (stat(path, &sb) != 0 && errno == ENOENT)
		return HB_ERR_NOTFOUND;
	enum hb_status st = hb_board_load_file(path, board, err, errlen);
	if (st == HB_OK && strcmp(board->name, name) != 0) {
		errf(err, errlen, board, board->line[FI_NAME], "board.name",
		     "'%s' differs from the file name '%s.ini'", board->name, name);
		return HB_ERR_FORMAT;
	}
	if (st == HB_ERR_NOTFOUND)
		st = HB_ERR_IO; /* it existed a moment ago */
	return st;
}

enum hb_status hb_board_find(const char *name, const char *user_dir, struct hb_board *board,
			     char *err, size_t errlen)
{
	if (!name || !board)
		return HB_ERR_ARG;
	if (err && errlen)
		err[0] = '\0';
	if (valid_ident(name, true) && strlen(name) < sizeof board->name) {
		enum hb_status st = load_named(user_dir, name, board, err, errlen);
		if (st == HB_ERR_NOTFOUND)
			st = load_named(hb_board_shipped_dir(), name, board, err, errlen);
		if (st != HB_ERR_NOTFOUND)
			return st;
		const char *alias = hb_family_default_board(name);
		if (alias && strcmp(alias, name) != 0) {
			hb_dbg("family %s -> board %s", name, alias);
			return hb_board_find(alias, user_dir, board, err, errlen);
		}
	}
	char known[512] = "";
	list_names(user_dir, known, sizeof known);
	list_names(hb_board_shipped_dir(), known, sizeof known);
	if (err && errlen)
		snprintf(err, errlen, "no board named '%s' (known: %s; families: ice40, ecp5, artix7, sim)",
			 name, known[0] ? known : "none");
	return HB_ERR_NOTFOUND;
}

static int cmp_board(const void *a, const void *b)
{
	return strcmp(((const struct hb_board *)a)->name, ((const struct hb_board *)b)->name);
}

static enum hb_status list_dir(const char *dir, struct hb_board **arr, size_t *n, size_t *cap,
			       char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			return HB_OK; /* a user dir that does not exist holds no boards */
		if (err && errlen)
			snprintf(err, errlen, "%s: cannot list: %s", dir, strerror(errno));
		return HB_ERR_IO;
	}
	struct dirent *e;
	enum hb_status st = HB_OK;
	while ((e = readdir(d))) {
		char name[64];
		if (!ini_name(e->d_name, name, sizeof name))
			continue;
		bool dup = false;
		for (size_t i = 0; i < *n; i++)
			if (strcmp((*arr)[i].name, name) == 0)
				dup = true; /* the user's profile overrides the shipped one */
		if (dup)
			continue;
		if (*n == *cap) {
			size_t nc = *cap ? *cap * 2 : 8;
			struct hb_board *na = realloc(*arr, nc * sizeof *na);
			if (!na) {
				st = HB_ERR_NOMEM;
				break;
			}
			*arr = na;
			*cap = nc;
		}
		if (!valid_ident(name, true)) {
			if (err && errlen)
				snprintf(err, errlen, "%s/%s: file name is not a board name "
					 "(lower-case letters, digits, '_' or '-')", dir, e->d_name);
			st = HB_ERR_FORMAT;
			break;
		}
		st = load_named(dir, name, &(*arr)[*n], err, errlen);
		if (st != HB_OK)
			break;
		(*n)++;
	}
	closedir(d);
	return st;
}

enum hb_status hb_board_list(const char *user_dir, struct hb_board **out, size_t *n, char *err,
			     size_t errlen)
{
	if (!out || !n)
		return HB_ERR_ARG;
	*out = NULL;
	*n = 0;
	if (err && errlen)
		err[0] = '\0';
	struct hb_board *arr = NULL;
	size_t cnt = 0, cap = 0;
	enum hb_status st = HB_OK;
	if (user_dir && *user_dir)
		st = list_dir(user_dir, &arr, &cnt, &cap, err, errlen);
	if (st == HB_OK)
		st = list_dir(hb_board_shipped_dir(), &arr, &cnt, &cap, err, errlen);
	if (st != HB_OK) {
		free(arr);
		return st;
	}
	qsort(arr, cnt, sizeof *arr, cmp_board);
	*out = arr;
	*n = cnt;
	return HB_OK;
}
