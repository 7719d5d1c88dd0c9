/* hilbench — board profiles: one INI file per board (bench/boards/<name>.ini).
 *
 * A profile names everything the bench needs to reach a board: the FPGA part, its clocks,
 * how to flash it (openFPGALoader board and cable), the USB-UART (FTDI vid/pid, interface,
 * transport URI, baud), the gateware build, and the power monitors on its rails. The
 * format, every field and how to add a board are in docs/boards.md.
 *
 * Loading is strict: a malformed value, a missing required field, a duplicate or an
 * unknown key (no silent typos) is an error whose message starts with "FILE:LINE: FIELD:".
 * Loading also validates (hb_board_validate()), so a loaded board is a usable board. */
#ifndef HB_BOARD_H
#define HB_BOARD_H

#include <stddef.h>
#include <stdint.h>

#include "hb_status.h"

#ifdef __cplusplus
extern "C" {
#endif

enum hb_family {
	HB_FAMILY_SIM = 0, /* numbered as the link protocol's IDENTIFY `family` byte */
	HB_FAMILY_ICE40 = 1,
	HB_FAMILY_ECP5 = 2,
	HB_FAMILY_ARTIX7 = 3,
};

#define HB_BOARD_MAX_MONITORS 4
/* Number of named fields (board-level and per monitor) whose source line is remembered. */
#define HB_BOARD_NFIELDS 24
#define HB_BOARD_MON_NFIELDS 8

/* One power monitor on one rail: section [monitor.<rail>]. */
struct hb_board_monitor {
	char rail[24];            /* the section suffix: "vcore", "vcc3v3" */
	char chip[16];            /* "ina219" */
	char bus[160];            /* I2C bus URI (drivers/i2c/hb_i2c.h) */
	uint8_t address;          /* 7-bit I2C address, 0x03..0x77 */
	uint32_t shunt_uohm;      /* shunt resistor, micro-ohms */
	uint32_t max_current_ma;  /* the largest current expected (sets the chip's range) */
	uint32_t nominal_mv;      /* the rail's nominal voltage */
	char label[64];           /* optional: where the shunt sits, for people */
	int section_line;         /* line of the [monitor.<rail>] header */
	int line[HB_BOARD_MON_NFIELDS]; /* source line of each field, 0 = not from a file */
};

/* [build] (hardware only, optional): how `hilbench build` makes the board's bitstream
 * (bench/core/hb_build.c; docs/boards.md). When the section is present, all four keys are. */
#define HB_BOARD_BUILD_NFIELDS 4
struct hb_board_build {
	char flow[16];          /* icestorm, trellis, xc7 (Vivado, else openXC7), vivado, openxc7;
				   "" = the profile has no [build] section */
	char top_file[160];     /* board top Verilog: next to the profile, else in gateware/boards/ */
	char constraints[160];  /* pins and clocks (.pcf, .lpf, .xdc), looked up the same way */
	char bitstream[64];     /* file name the flow writes (.bin for icestorm, else .bit) */
	int section_line;       /* line of the [build] header, 0 = absent */
	int line[HB_BOARD_BUILD_NFIELDS]; /* source line of each key */
};

struct hb_board {
	char path[512];           /* the file it came from ("" if built in code) */
	/* [board] */
	char name[32];            /* [a-z0-9_-], equal to the file name without .ini */
	char description[128];
	enum hb_family family;
	/* [fpga] (hardware families) */
	char fpga_part[40];       /* full part number: "iCE40UP5K-SG48", "xc7a35ticsg324-1L" */
	char fpga_package[16];    /* package as the P&R tool names it: "sg48", "CABGA381", "csg324" */
	uint64_t osc_hz;          /* board oscillator */
	uint64_t core_clock_hz;   /* clock of the gateware core (the cycle counter's clock) */
	char osc_pin[16];         /* optional, informative: FPGA pin of the oscillator */
	/* [sim] (family sim; fills osc_hz and core_clock_hz) */
	char sim_pacing[16];      /* "free" (as fast as Verilator runs) or "realtime" */
	/* [flash] (hardware families) */
	char ofl_board[32];       /* openFPGALoader --board */
	char ofl_cable[32];       /* openFPGALoader --cable, "" = the board's default */
	char flash_interface;     /* 'A'..'D': the FTDI interface that programs the FPGA
				     (openFPGALoader --ftdi-channel 0..3) */
	/* [usb] (hardware families) */
	uint16_t usb_vid, usb_pid;
	char usb_interface;       /* 'A'..'D' */
	char usb_serial[64];      /* optional: pick one of several identical adapters */
	/* [uart] */
	char uart_uri[256];       /* transport URI (drivers/transport/hb_transport.h); "vboard:" for sim */
	uint32_t uart_baud;
	char uart_fpga_rx_pin[16]; /* optional, informative: FPGA pin receiving from the host */
	char uart_fpga_tx_pin[16]; /* optional, informative: FPGA pin sending to the host */
	/* [gateware] */
	char gw_top[64];          /* top module of the gateware build */
	uint32_t gw_lanes;        /* P, time steps per cycle */
	/* [monitor.<rail>] */
	size_t n_monitors;
	struct hb_board_monitor monitors[HB_BOARD_MAX_MONITORS];
	/* where each field came from (for messages); index = the loader's field table */
	int line[HB_BOARD_NFIELDS];
	int section_line[8];      /* line of each [section] header (board, fpga, sim, flash, usb,
				     uart, gateware), 0 = absent */
	int n_lines;              /* lines in the file */
	/* [build] (kept apart from the fields above: its own table in hb_board.c) */
	struct hb_board_build build;
};

/* "ice40", "ecp5", "artix7", "sim". */
const char *hb_family_name(enum hb_family f);
/* Parse a family name; HB_ERR_ARG if unknown. */
enum hb_status hb_family_parse(const char *s, enum hb_family *out);
/* The shipped board a family name stands for ("ice40" -> "icebreaker"), or NULL. */
const char *hb_family_default_board(const char *family);

/* Load and validate one profile. On error, err holds "FILE:LINE: FIELD: reason" and the
 * status is HB_ERR_NOTFOUND (cannot open) or HB_ERR_FORMAT (anything else). */
enum hb_status hb_board_load_file(const char *path, struct hb_board *board, char *err,
				  size_t errlen);
/* Same from a string; `name` stands for the file name in messages. */
enum hb_status hb_board_load_string(const char *text, const char *name, struct hb_board *board,
				    char *err, size_t errlen);
/* Check every field's value and the fields' consistency. HB_OK or HB_ERR_FORMAT with
 * "FILE:LINE: FIELD: reason" (the line is the field's, or its section's when missing). */
enum hb_status hb_board_validate(const struct hb_board *board, char *err, size_t errlen);

/* Find a board by name or family alias: <user_dir>/<name>.ini first (user_dir may be NULL),
 * then <hb_data_dir()>/bench/boards/<name>.ini. HB_ERR_NOTFOUND when no file has that name
 * (err lists the known boards); HB_ERR_FORMAT when the file is malformed. */
enum hb_status hb_board_find(const char *name, const char *user_dir, struct hb_board *board,
			     char *err, size_t errlen);

/* All boards: the user dir's, then the shipped ones not overridden by name, sorted by name.
 * *out is malloc'ed (free with free()). A malformed profile fails the whole list. */
enum hb_status hb_board_list(const char *user_dir, struct hb_board **out, size_t *n, char *err,
			     size_t errlen);

/* The shipped boards directory: <hb_data_dir()>/bench/boards (static buffer). */
const char *hb_board_shipped_dir(void);

/* openFPGALoader 0.10 boards hilbench knows, with the FPGA family each carries. */
struct hb_ofl_board {
	const char *name;
	enum hb_family family;
};
extern const struct hb_ofl_board hb_ofl_boards[];
extern const size_t hb_n_ofl_boards;
int hb_ofl_board_known(const char *name);
/* openFPGALoader 0.10 FTDI cable names (NULL-terminated). */
extern const char *const hb_ofl_cables[];
int hb_ofl_cable_known(const char *name);

/* The power-monitor chips and their limits are the driver's table (drivers/power/hb_ina2xx.h,
 * hb_ina2xx_chip_by_name); the FTDI chips the transports' (hb_ftdi_chips.h); the URI schemes
 * the transport and I2C registries'. The validator asks them. */

#ifdef __cplusplus
}
#endif
#endif
