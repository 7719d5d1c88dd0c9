/* hilbench twin — the session's side of the openFPGALoader stand-in.
 *
 * A twin session points hilbench's flasher (drivers/flash/hb_flash.c, which runs
 * $HB_OPENFPGALOADER) at hilbench-ofl-standin and tells the stand-in, through its
 * environment, what the board looks like: hb_ofl_twin_setenv() does both from a profile's
 * fields. After a flash, hb_ofl_twin_read_loads() reads back what the stand-in recorded.
 * The interface in full: gateware/twin/ofl_standin.c (top comment) and docs/drivers.md. */
#ifndef HB_OFL_TWIN_H
#define HB_OFL_TWIN_H

#include <stddef.h>

#include "hb_status.h"

struct hb_ofl_twin {
	const char *standin;    /* hilbench-ofl-standin; NULL = hb_ofl_standin_find() */
	const char *real;       /* the installed openFPGALoader; NULL = from PATH */
	const char *family;     /* "ice40", "ecp5", "artix7" ([board] family) */
	char flash_interface;   /* 'A'..'D': [flash] interface, the one that programs the FPGA */
	char uart_interface;    /* 'A'..'D': [usb] interface, the UART */
	unsigned vid, pid;      /* [usb] vid, pid: the board's FTDI chip */
	const char *usb_serial; /* [usb] serial ("" or NULL = the twin's chip matches any) */
	const char *record;     /* file that receives one JSON line per load (required) */
	const char *tables;     /* cache for the real program's tables; NULL = none */
};

/* $HB_OFL_STANDIN, else hilbench-ofl-standin next to the running program (bench/ of a build
 * tree). HB_ERR_NOTFOUND when there is none. */
enum hb_status hb_ofl_standin_find(char *buf, size_t cap);

/* Set HB_OPENFPGALOADER and the stand-in's HB_OFL_* variables for t (call before any thread
 * starts: it changes the environment). HB_ERR_ARG for a field out of range. */
enum hb_status hb_ofl_twin_setenv(const struct hb_ofl_twin *t);
/* Remove them again. */
void hb_ofl_twin_unsetenv(void);

/* One load the stand-in accepted (a line of the record file). */
struct hb_ofl_load {
	char board[64];   /* "" when only a cable was given */
	char cable[48];
	int channel;      /* 0..3 (interface A..D) */
	char serial[64];  /* --ftdi-serial, "" = none */
	int to_flash;     /* 0 = SRAM */
	int verify;
	char family[16];
	char file[1024];  /* the bitstream path as hilbench passed it */
	char type[16];    /* file type as openFPGALoader derives it ("bin", "bit") */
	long long size;
	char sha256[65];  /* hex */
};

/* Read every load recorded in path, in order (up to max; *n = how many were read). A
 * missing file is no loads. HB_ERR_FORMAT for a line that is not a load record. */
enum hb_status hb_ofl_twin_read_loads(const char *path, struct hb_ofl_load *loads, size_t max,
				      size_t *n);

#endif
