/* The installed openFPGALoader on this USB-less machine: the flasher must report the
 * cable as not found (it prints "unable to open ftdi device: -3"). Labelled sim: needs the
 * optional tool. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hb_board.h"
#include "hb_flash.h"

Test(flash_real, no_usb_means_cable_not_found)
{
	unsetenv("HB_OPENFPGALOADER");
	char prog[512];
	cr_assert_eq(hb_flash_find_program(prog, sizeof prog), HB_OK,
		     "openFPGALoader must be installed for this test");
	char bit[] = "/tmp/hb-flash-real-XXXXXX";
	int fd = mkstemp(bit);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "\xff\x00", 2), 2);
	close(fd);
	struct hb_flash_opts o = {.ofl_board = "ice40_generic", .ftdi_channel = -1,
				  .bitstream = bit, .timeout_ms = 20000};
	struct hb_flash_result r;
	enum hb_status st = hb_flash_run(&o, &r);
	unlink(bit);
	if (access("/dev/bus/usb", F_OK) == 0)
		cr_skip_test("this machine has USB: the outcome depends on what is plugged in");
	cr_assert_eq(st, HB_ERR_NOTFOUND, "%s", r.message);
	cr_assert(strstr(r.message, "unable to open ftdi device: -3"), "%s", r.message);
	cr_assert_eq(r.exit_code, 1);
}

/* Every shipped board's arguments (hb_flash_build_argv from the profile, as `flash` and
 * `run` build them) are accepted by the installed openFPGALoader: it gets as far as opening
 * the cable, which on this machine is not there. An argument it refused (unknown board or
 * cable, "FTDI channel param is for FTDI cables", a channel out of range) would end
 * differently. */
Test(flash_real, every_shipped_board_args_reach_the_cable)
{
	unsetenv("HB_OPENFPGALOADER");
	if (access("/dev/bus/usb", F_OK) == 0)
		cr_skip_test("this machine has USB: the outcome depends on what is plugged in");
	static const char *const boards[] = {"icebreaker", "ulx3s", "arty-a7-35t"};
	for (size_t i = 0; i < sizeof boards / sizeof boards[0]; i++) {
		struct hb_board b;
		char err[512];
		cr_assert_eq(hb_board_find(boards[i], NULL, &b, err, sizeof err), HB_OK, "%s", err);
		char bit[64];
		snprintf(bit, sizeof bit, "/tmp/hb-flash-real-XXXXXX%s",
			 b.family == HB_FAMILY_ICE40 ? ".bin" : ".bit");
		int fd = mkstemps(bit, 4);
		cr_assert_geq(fd, 0);
		cr_assert_eq(write(fd, "\xff\x00", 2), 2);
		close(fd);
		struct hb_flash_opts o;
		hb_flash_opts_board(&o, b.ofl_board, b.ofl_cable, b.usb_serial, b.flash_interface);
		o.bitstream = bit;
		o.timeout_ms = 20000;
		struct hb_flash_argv a;
		cr_assert_eq(hb_flash_build_argv(&o, &a), HB_OK);
		char cmd[1024];
		hb_flash_format(&a, cmd, sizeof cmd);
		cr_assert(strstr(cmd, " --ftdi-channel 0 "), "%s: %s", boards[i], cmd);
		struct hb_flash_result r;
		enum hb_status st = hb_flash_run(&o, &r);
		unlink(bit);
		cr_assert_eq(st, HB_ERR_NOTFOUND, "%s: %s: %s", boards[i], cmd, r.message);
		cr_assert(strstr(r.message, "unable to open ftdi device"), "%s: %s", boards[i],
			  r.message);
	}
}
