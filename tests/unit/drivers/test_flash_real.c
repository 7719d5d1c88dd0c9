/* The installed openFPGALoader on this USB-less machine: the flasher must report the
 * cable as not found (it prints "unable to open ftdi device: -3"). Labelled sim: needs the
 * optional tool. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
