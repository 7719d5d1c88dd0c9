/* libFuzzer target: the board-profile loader (bench/core/hb_board.c), INI files people
 * share between labs (docs/boards.md, docs/security.md).
 *
 * Input: byte 0 chooses the path: even = hb_board_load_string() from a NUL-terminated copy,
 * odd = hb_board_load_file() from a memory file (memfd, opened by its /proc path), which
 * reads with fgets and so also sees NUL bytes and over-long lines; the rest is the file.
 * Checked: the error message is a string inside its buffer and names the file; every string
 * field of a loaded board is NUL-terminated inside its array; a loaded board validates again
 * and every monitor's numbers are in the ranges validation promises. Violations trap. */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hb_board.h"
#include "hb_ina2xx.h"
#include "hb_log.h"

#define CHECK(x) \
	do { \
		if (!(x)) \
			__builtin_trap(); \
	} while (0)

#define TERMINATED(field) CHECK(memchr((field), 0, sizeof(field)) != NULL)

static void check_board(const struct hb_board *b)
{
	TERMINATED(b->path);
	TERMINATED(b->name);
	TERMINATED(b->description);
	TERMINATED(b->fpga_part);
	TERMINATED(b->fpga_package);
	TERMINATED(b->osc_pin);
	TERMINATED(b->sim_pacing);
	TERMINATED(b->ofl_board);
	TERMINATED(b->ofl_cable);
	TERMINATED(b->usb_serial);
	TERMINATED(b->uart_uri);
	TERMINATED(b->uart_fpga_rx_pin);
	TERMINATED(b->uart_fpga_tx_pin);
	TERMINATED(b->gw_top);
	CHECK(b->n_monitors <= HB_BOARD_MAX_MONITORS);
	for (size_t i = 0; i < b->n_monitors; i++) {
		const struct hb_board_monitor *m = &b->monitors[i];
		TERMINATED(m->rail);
		TERMINATED(m->chip);
		TERMINATED(m->bus);
		TERMINATED(m->label);
		CHECK(m->rail[0] != 0);
		CHECK(m->shunt_uohm > 0);
		CHECK(hb_ina2xx_chip_by_name(m->chip) != NULL);
	}
	char err[512];
	CHECK(hb_board_validate(b, err, sizeof err) == HB_OK);
	CHECK(b->core_clock_hz > 0);
	CHECK(hb_family_name(b->family) != NULL);
}

static enum hb_status load_via_file(const uint8_t *data, size_t size, struct hb_board *b,
				    char *err, size_t errlen)
{
	int fd = memfd_create("fuzz-board", MFD_CLOEXEC);
	if (fd < 0)
		return HB_ERR_IO;
	size_t off = 0;
	while (off < size) {
		ssize_t w = write(fd, data + off, size - off);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	enum hb_status st = hb_board_load_file(path, b, err, errlen);
	close(fd);
	return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int quiet;
	if (!quiet) {
		hb_log_set_level(HB_LOG_NONE);
		quiet = 1;
	}
	if (size < 1)
		return 0;
	int via_file = data[0] & 1;
	data++, size--;
	static struct hb_board b;
	char err[512];
	memset(err, 'X', sizeof err);
	enum hb_status st;
	if (via_file) {
		st = load_via_file(data, size, &b, err, sizeof err);
		if (st == HB_ERR_IO && err[0] == 'X')
			return 0; /* no memfd here */
	} else {
		char *text = malloc(size + 1);
		if (!text)
			return 0;
		memcpy(text, data, size);
		text[size] = 0;
		st = hb_board_load_string(text, "fuzz.ini", &b, err, sizeof err);
		free(text);
	}
	CHECK(memchr(err, 0, sizeof err) != NULL);
	if (st != HB_OK) {
		CHECK(st == HB_ERR_FORMAT || st == HB_ERR_IO);
		CHECK(err[0] != 0);
		return 0;
	}
	check_board(&b);
	return 0;
}
