/* Flasher: argv from board fields, output relay, error classification, timeout — against
 * tests/fakes/fake_openFPGALoader.sh (HB_OPENFPGALOADER). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hb_flash.h"

static char dir[64], bit[128], args_file[128];

static void setup(void)
{
	char fake[512];
	const char *src = getenv("HB_SOURCE_DIR");
	cr_assert_not_null(src, "HB_SOURCE_DIR not set");
	snprintf(fake, sizeof fake, "%s/tests/fakes/fake_openFPGALoader.sh", src);
	setenv("HB_OPENFPGALOADER", fake, 1);
	strcpy(dir, "/tmp/hb-flash-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(bit, sizeof bit, "%s/top.bin", dir);
	snprintf(args_file, sizeof args_file, "%s/args", dir);
	FILE *f = fopen(bit, "w");
	fputs("bitstream", f);
	fclose(f);
	setenv("FAKE_OFL_ARGS", args_file, 1);
}

static void teardown(void)
{
	unlink(bit);
	unlink(args_file);
	rmdir(dir);
	unsetenv("FAKE_OFL_MODE");
}

TestSuite(flash, .init = setup, .fini = teardown);

struct lines {
	int n, progress, err;
	char last[256];
};

static void on_line(void *ctx, int is_err, const char *line)
{
	struct lines *l = ctx;
	l->n++;
	l->err += is_err;
	if (strstr(line, "Loading to CRAM"))
		l->progress++;
	snprintf(l->last, sizeof l->last, "%s", line);
}

static enum hb_status run(const char *mode, struct hb_flash_opts *o, struct hb_flash_result *r)
{
	setenv("FAKE_OFL_MODE", mode, 1);
	return hb_flash_run(o, r);
}

Test(flash, argv_from_board_fields_sram_by_default)
{
	struct hb_flash_opts o = {.ofl_board = "ice40_generic", .ftdi_serial = "FT123",
				  .ftdi_channel = 0, .bitstream = bit};
	struct hb_flash_argv a;
	cr_assert_eq(hb_flash_build_argv(&o, &a), HB_OK);
	const char *want[] = {"-b", "ice40_generic", "--ftdi-serial", "FT123", "--ftdi-channel",
			      "0", "-m", bit};
	cr_assert_eq(a.argc, 9);
	for (int i = 0; i < 8; i++)
		cr_assert_str_eq(a.argv[i + 1], want[i]);
	cr_assert_null(a.argv[9]);
	char cmd[1024];
	cr_assert_eq(hb_flash_format(&a, cmd, sizeof cmd), HB_OK);
	cr_assert(strstr(cmd, "fake_openFPGALoader.sh -b ice40_generic --ftdi-serial FT123 "
			      "--ftdi-channel 0 -m /tmp/hb-flash-"), "%s", cmd);

	o = (struct hb_flash_opts){.cable = "ft2232", .ftdi_channel = -1, .bitstream = "a b'c",
				   .to_flash = 1, .verify = 1};
	cr_assert_eq(hb_flash_build_argv(&o, &a), HB_OK);
	cr_assert_str_eq(a.argv[3], "-f");
	cr_assert_str_eq(a.argv[4], "--verify");
	cr_assert_eq(hb_flash_format(&a, cmd, sizeof cmd), HB_OK);
	cr_assert(strstr(cmd, " -c ft2232 -f --verify 'a b'\\''c'"), "%s", cmd);
}

Test(flash, the_channel_is_the_interface_that_programs_the_board)
{
	struct hb_flash_opts o;
	struct hb_flash_argv a;
	hb_flash_opts_board(&o, "ice40_generic", "ft2232", "", 'A');
	o.bitstream = bit;
	cr_assert_eq(hb_flash_build_argv(&o, &a), HB_OK);
	cr_assert_eq(a.argc, 9);
	const char *want[] = {"-b", "ice40_generic", "-c", "ft2232", "--ftdi-channel", "0", "-m", bit};
	for (int i = 0; i < 8; i++)
		cr_assert_str_eq(a.argv[i + 1], want[i]);
	hb_flash_opts_board(&o, "arty_a7_35t", "", "SN1", 'B');
	o.bitstream = bit;
	cr_assert_eq(hb_flash_build_argv(&o, &a), HB_OK);
	cr_assert_str_eq(a.argv[3], "--ftdi-serial");
	cr_assert_str_eq(a.argv[6], "1", "interface B is channel 1, also without -c");
	o.ftdi_channel = 3; /* the user's --ftdi-channel wins */
	cr_assert_eq(hb_flash_build_argv(&o, &a), HB_OK);
	cr_assert_str_eq(a.argv[6], "3");
	hb_flash_opts_board(&o, "ulx3s", "ft231X", NULL, 'E');
	o.bitstream = bit;
	cr_assert_eq(hb_flash_build_argv(&o, &a), HB_ERR_ARG);
	hb_flash_opts_board(&o, "ulx3s", NULL, NULL, 0);
	o.bitstream = bit;
	cr_assert_eq(hb_flash_build_argv(&o, &a), HB_OK);
	cr_assert_eq(a.argc, 5, "no interface, no channel: -b ulx3s -m bit");
}

Test(flash, argv_rejects_contradictions)
{
	struct hb_flash_argv a;
	struct hb_flash_opts o = {.ofl_board = "ulx3s", .ftdi_channel = -1, .bitstream = bit,
				  .verify = 1};
	cr_assert_eq(hb_flash_build_argv(&o, &a), HB_ERR_ARG, "--verify without -f");
	o = (struct hb_flash_opts){.ftdi_channel = -1, .bitstream = bit};
	cr_assert_eq(hb_flash_build_argv(&o, &a), HB_ERR_ARG, "no board, no cable");
	o = (struct hb_flash_opts){.ofl_board = "ulx3s", .ftdi_channel = 4, .bitstream = bit};
	cr_assert_eq(hb_flash_build_argv(&o, &a), HB_ERR_ARG, "channel 4");
}

Test(flash, success_relays_progress_and_passes_arguments)
{
	struct lines l = {0};
	struct hb_flash_opts o = {.ofl_board = "ice40_generic", .ftdi_channel = -1,
				  .bitstream = bit, .on_line = on_line, .ctx = &l};
	struct hb_flash_result r;
	cr_assert_eq(run("ok", &o, &r), HB_OK, "%s", r.message);
	cr_assert_eq(r.exit_code, 0);
	cr_assert_eq(l.progress, 5, "each \\r progress step arrives as a line");
	cr_assert_str_eq(l.last, "Wait for CDONE DONE");
	FILE *f = fopen(args_file, "r");
	char line[256];
	int n = 0;
	while (fgets(line, sizeof line, f))
		n++;
	fclose(f);
	cr_assert_eq(n, 4, "-b ice40_generic -m BIT");
}

Test(flash, errors_are_classified)
{
	struct {
		const char *mode;
		enum hb_status st;
		const char *words;
	} cases[] = {
		{"nodevice", HB_ERR_NOTFOUND, "FTDI cable not found"},
		{"nodevice_jtag", HB_ERR_NOTFOUND, "FTDI cable not found"},
		{"perm", HB_ERR_PERM, "udev"},
		{"busy", HB_ERR_BUSY, "busy"},
		{"noboard", HB_ERR_ARG, "does not know this board"},
		{"idcode", HB_ERR_MISMATCH, "IDCODE mismatch"},
		{"unsupported", HB_ERR_MISMATCH, "not supported"},
		{"nofile", HB_ERR_NOTFOUND, "bitstream missing"},
		{"cdone", HB_ERR_IO, "CDONE"},
	};
	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct hb_flash_opts o = {.ofl_board = "ice40_generic", .ftdi_channel = -1,
					  .bitstream = bit};
		struct hb_flash_result r;
		cr_assert_eq(run(cases[i].mode, &o, &r), cases[i].st, "%s: got message '%s'",
			     cases[i].mode, r.message);
		cr_assert(strstr(r.message, cases[i].words), "%s: '%s'", cases[i].mode, r.message);
	}
}

Test(flash, missing_bitstream_is_caught_before_running)
{
	struct hb_flash_opts o = {.ofl_board = "ice40_generic", .ftdi_channel = -1,
				  .bitstream = "/nonexistent/top.bin"};
	struct hb_flash_result r;
	unlink(args_file);
	cr_assert_eq(run("ok", &o, &r), HB_ERR_NOTFOUND);
	cr_assert_neq(access(args_file, F_OK), 0, "the program was not started");
}

Test(flash, hung_child_is_killed_at_the_timeout)
{
	struct hb_flash_opts o = {.ofl_board = "ice40_generic", .ftdi_channel = -1,
				  .bitstream = bit, .timeout_ms = 300};
	struct hb_flash_result r;
	cr_assert_eq(run("hang", &o, &r), HB_ERR_TIMEOUT);
	cr_assert(r.timed_out);
	cr_assert_neq(r.exit_code, 0);
}

Test(flash, program_override_must_exist)
{
	setenv("HB_OPENFPGALOADER", "/nonexistent/openFPGALoader", 1);
	char buf[256];
	cr_assert_eq(hb_flash_find_program(buf, sizeof buf), HB_ERR_NOTFOUND);
}
