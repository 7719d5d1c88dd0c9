/* hilbench probe flash: st-flash's argument vector, its outcomes (through a stand-in that
 * prints what stlink-tools 1.7.0 prints, tests/fakes/fake_st-flash.sh) and the command line. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hb_probe_flash.h"

static char fake[512], image[512], argsfile[512];

static void setup(void)
{
	const char *src = getenv("HB_SOURCE_DIR");
	cr_assert_not_null(src);
	snprintf(fake, sizeof fake, "%s/tests/fakes/fake_st-flash.sh", src);
	setenv("HB_STFLASH", fake, 1);
	snprintf(image, sizeof image, "/tmp/hb_probe_test_%d.bin", (int)getpid());
	FILE *f = fopen(image, "wb");
	cr_assert_not_null(f);
	fwrite("\x00\x40\x00\x20", 1, 4, f);
	fclose(f);
	snprintf(argsfile, sizeof argsfile, "/tmp/hb_probe_test_%d.args", (int)getpid());
	setenv("FAKE_STFLASH_ARGS", argsfile, 1);
}

static void teardown(void)
{
	unlink(image);
	unlink(argsfile);
}

TestSuite(probe_flash, .init = setup, .fini = teardown, .timeout = 60);

Test(probe_flash, argv_names_the_image_the_address_and_the_adapter)
{
	struct hb_flash_argv a;
	struct hb_probe_flash_opts o = {.image = "p.bin", .serial = "066DFF3", .connect_under_reset = 1};
	cr_assert_eq(hb_probe_flash_build_argv(&o, &a), HB_OK);
	char cmd[1024];
	cr_assert_eq(hb_flash_format(&a, cmd, sizeof cmd), HB_OK);
	char want[1024];
	snprintf(want, sizeof want, "%s --reset --connect-under-reset --serial 066DFF3 write p.bin "
		 "0x08000000", fake);
	cr_assert_str_eq(cmd, want);
	o = (struct hb_probe_flash_opts){.image = "p.elf"};
	cr_assert_eq(hb_probe_flash_build_argv(&o, &a), HB_ERR_ARG, "st-flash writes raw images");
	setenv("HB_STFLASH", "/nonexistent/st-flash", 1);
	o.image = "p.bin";
	cr_assert_eq(hb_probe_flash_build_argv(&o, &a), HB_ERR_NOTFOUND);
}

static enum hb_status run_mode(const char *mode, struct hb_flash_result *r, int timeout_ms)
{
	setenv("FAKE_STFLASH_MODE", mode, 1);
	struct hb_probe_flash_opts o = {.image = image, .timeout_ms = timeout_ms};
	return hb_probe_flash_run(&o, r);
}

Test(probe_flash, each_outcome_is_one_clear_error)
{
	struct hb_flash_result r;
	cr_assert_eq(run_mode("ok", &r, 0), HB_OK, "%s", r.message);
	cr_assert_eq(r.exit_code, 0);
	/* the program got the image and the flash address */
	FILE *f = fopen(argsfile, "r");
	cr_assert_not_null(f);
	char buf[1024];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	char want[1024];
	snprintf(want, sizeof want, "--reset\nwrite\n%s\n0x08000000\n", image);
	cr_assert_str_eq(buf, want);

	struct {
		const char *mode;
		enum hb_status st;
		const char *text;
	} cases[] = {
		{"nodevice", HB_ERR_NOTFOUND, "no ST-LINK found"},
		{"perm", HB_ERR_PERM, "udev rules"},
		{"busy", HB_ERR_BUSY, "busy"},
		{"notarget", HB_ERR_NOTFOUND, "no STM32 on SWD"},
		{"writefail", HB_ERR_IO, "writing the probe's flash failed"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		enum hb_status st = run_mode(cases[i].mode, &r, 0);
		cr_assert_eq(st, cases[i].st, "%s: %s (%s)", cases[i].mode, hb_strerror(st), r.message);
		cr_assert(strstr(r.message, cases[i].text), "%s: %s", cases[i].mode, r.message);
		cr_assert_eq(r.exit_code, 255);
	}
	cr_assert_eq(run_mode("hang", &r, 300), HB_ERR_TIMEOUT);
	cr_assert(r.timed_out);
	/* a missing image is found before st-flash runs */
	struct hb_probe_flash_opts o = {.image = "/nonexistent/hb_probe.bin"};
	cr_assert_eq(hb_probe_flash_run(&o, &r), HB_ERR_NOTFOUND);
	cr_assert(strstr(r.message, "/nonexistent/hb_probe.bin"), "%s", r.message);
}

static int run_cli(const char *args, char *out, size_t cap)
{
	char cmd[2048];
	snprintf(cmd, sizeof cmd, "%s/bench/hilbench %s 2>&1", getenv("HB_BUILD_DIR"), args);
	FILE *p = popen(cmd, "r");
	size_t n = fread(out, 1, cap - 1, p);
	out[n] = 0;
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(probe_flash, the_command_line)
{
	static char out[8192];
	char args[1024];
	snprintf(args, sizeof args, "probe flash --image %s --serial AB12 --dry-run", image);
	cr_assert_eq(run_cli(args, out, sizeof out), 0, "%s", out);
	char want[2048];
	snprintf(want, sizeof want, "%s --reset --serial AB12 write %s 0x08000000\n", fake, image);
	cr_assert_str_eq(out, want);
	/* the default image is the one this build made, per board */
	cr_assert_eq(run_cli("probe flash --board nucleo --dry-run", out, sizeof out), 0, "%s", out);
	cr_assert(strstr(out, "/firmware/stm32f4/hb_probe_nucleo.bin 0x08000000"), "%s", out);
	cr_assert_eq(run_cli("probe flash --board uno --dry-run", out, sizeof out), 2, "%s", out);
	cr_assert(strstr(out, "--board uno"), "%s", out);
	cr_assert_eq(run_cli("probe flash --image x.hex --dry-run", out, sizeof out), 2, "%s", out);
	cr_assert_eq(run_cli("probe flash --image /nonexistent/x.bin", out, sizeof out), 2, "%s", out);
	setenv("FAKE_STFLASH_MODE", "nodevice", 1);
	snprintf(args, sizeof args, "probe flash --image %s", image);
	cr_assert_eq(run_cli(args, out, sizeof out), 1, "%s", out);
	cr_assert(strstr(out, "no ST-LINK found"), "%s", out);
	setenv("FAKE_STFLASH_MODE", "ok", 1);
	cr_assert_eq(run_cli(args, out, sizeof out), 0, "%s", out);
	cr_assert(strstr(out, "flashed"), "%s", out);
	cr_assert_eq(run_cli("probe", out, sizeof out), 2);
	cr_assert_eq(run_cli("probe frobnicate", out, sizeof out), 2);
	cr_assert_eq(run_cli("probe info", out, sizeof out), 2);
	cr_assert_eq(run_cli("probe info /dev/ttyACM0", out, sizeof out), 2, "%s", out);
	cr_assert(strstr(out, "not a probe URI"), "%s", out);
	cr_assert_eq(run_cli("probe info probe:tcp://127.0.0.1:1", out, sizeof out), 1, "%s", out);
}
