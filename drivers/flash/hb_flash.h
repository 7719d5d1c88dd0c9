/* hilbench — flashing a bitstream with openFPGALoader, run as a child process.
 *
 * The program is $HB_OPENFPGALOADER, else "openFPGALoader" from PATH (tests put a fake in
 * its place). Arguments come from the board profile: -b BOARD and/or -c CABLE,
 * --ftdi-serial, --ftdi-channel; then -m (SRAM, the default) or -f (SPI flash) with --verify
 * on request; then the bitstream. hb_flash_build_argv() is the one place that turns these
 * into openFPGALoader's arguments (`hilbench flash`, `hilbench run` and `hilbench doctor`
 * all go through it).
 *
 * The FTDI channel: openFPGALoader 0.10 applies --ftdi-channel on top of the cable a board
 * implies (main.cpp: cable.config.interface = mapping[ftdi_channel]), and the cables of the
 * FT2232H boards default to interface A. The channel is the board profile's [flash]
 * interface — the one that programs the board, never the UART's [usb] interface — and it
 * is always passed, so what runs does not depend on a cable's default. Output lines (stdout and stderr, split at \r and \n so progress bars
 * arrive as they advance) go to a callback; the child is killed when the timeout expires;
 * the output of a failed run is turned into one clear error (openFPGALoader 0.10's own
 * messages, see docs/drivers.md). */
#ifndef HB_FLASH_H
#define HB_FLASH_H

#include <stddef.h>

#include "hb_status.h"

typedef void (*hb_flash_line_fn)(void *ctx, int is_stderr, const char *line);

struct hb_flash_opts {
	const char *ofl_board;   /* openFPGALoader -b (board name), or NULL */
	const char *cable;       /* -c (cable name), or NULL */
	const char *ftdi_serial; /* --ftdi-serial, or NULL */
	char interface;          /* the profile's [flash] interface 'A'..'D' (0 = none) */
	int ftdi_channel;        /* --ftdi-channel 0..3 (A..D) given by the user: overrides
				    interface; -1 = not given */
	const char *bitstream;
	int to_flash;            /* -f (write SPI flash) instead of -m (SRAM) */
	int verify;              /* --verify (flash only) */
	int timeout_ms;          /* 0 = 120 s */
	hb_flash_line_fn on_line;
	void *ctx;
};

#define HB_FLASH_MAX_ARGS 16
struct hb_flash_argv {
	char *argv[HB_FLASH_MAX_ARGS + 1]; /* NULL-terminated; points into opts and below */
	int argc;
	char program[512];
	char channel[12];
};

struct hb_flash_result {
	int exit_code;     /* child's exit code, or 128 + signal */
	int timed_out;
	char message[512]; /* the clear error (or "" on success) */
};

/* Resolve the program: HB_OPENFPGALOADER, else a search of PATH. HB_ERR_NOTFOUND if none. */
enum hb_status hb_flash_find_program(char *buf, size_t cap);
/* Fill the target fields of o from a board profile's: openFPGALoader board and cable, the
 * USB serial number and the [flash] interface ("" = not set). The rest of o is zeroed
 * (ftdi_channel -1). */
void hb_flash_opts_board(struct hb_flash_opts *o, const char *ofl_board, const char *cable,
			 const char *ftdi_serial, char interface);
/* Build the exact argument vector (no I/O except resolving the program). HB_ERR_ARG for
 * contradictory options (--verify without -f, no board and no cable, channel > 3).
 * HB_ERR_NOTFOUND when the program is missing; the vector is still filled (argv[0] =
 * "openFPGALoader"), so the command can be shown. */
enum hb_status hb_flash_build_argv(const struct hb_flash_opts *o, struct hb_flash_argv *a);
/* The command line as one shell-quoted string (dry run). */
enum hb_status hb_flash_format(const struct hb_flash_argv *a, char *buf, size_t cap);
/* Run it. HB_OK on success; otherwise the status from hb_flash_classify() and res->message. */
enum hb_status hb_flash_run(const struct hb_flash_opts *o, struct hb_flash_result *res);
/* Map openFPGALoader's output and exit code to a status and a message (pure). */
enum hb_status hb_flash_classify(const char *output, int exit_code, char *msg, size_t cap);

#endif
