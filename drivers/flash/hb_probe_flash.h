/* hilbench — flashing the bench probe's STM32 with st-flash (Debian's stlink-tools),
 * run as a child process like openFPGALoader (hb_flash.h).
 *
 * The program is $HB_STFLASH, else "st-flash" from PATH (tests put a fake in its place).
 * Command: st-flash --reset [--connect-under-reset] [--serial SN] write IMAGE.bin 0x08000000.
 * Its output (stlink-tools 1.7.0's messages) is turned into one clear error. */
#ifndef HB_PROBE_FLASH_H
#define HB_PROBE_FLASH_H

#include <stddef.h>

#include "hb_flash.h"
#include "hb_status.h"

#define HB_PROBE_FLASH_ADDR "0x08000000" /* STM32 main flash */

struct hb_probe_flash_opts {
	const char *image;       /* the raw image (.bin) */
	const char *serial;      /* ST-LINK serial number (st-info --probe), or NULL */
	int connect_under_reset; /* hold the target in reset while connecting */
	int timeout_ms;          /* 0 = 120 s */
	hb_flash_line_fn on_line;
	void *ctx;
};

/* $HB_STFLASH, else st-flash from PATH. HB_ERR_NOTFOUND if none. */
enum hb_status hb_probe_flash_find_program(char *buf, size_t cap);
/* The exact argument vector (format it with hb_flash_format()). HB_ERR_ARG when the image
 * is missing or not a .bin. */
enum hb_status hb_probe_flash_build_argv(const struct hb_probe_flash_opts *o,
					 struct hb_flash_argv *a);
enum hb_status hb_probe_flash_run(const struct hb_probe_flash_opts *o,
				  struct hb_flash_result *res);
/* st-flash's output and exit code to a status and a message (pure). */
enum hb_status hb_probe_flash_classify(const char *output, int exit_code, char *msg, size_t cap);

#endif
