/* hilbench doctor / flash / power, run as the real program (HB_BUILD_DIR/bench/hilbench).
 * power reads a fake virtual-board I2C socket served by this test (fake INA219). */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fake_i2c_bus.h"
#include "fake_ina219.h"

static char exe[512];

static void find_exe(void)
{
	const char *b = getenv("HB_BUILD_DIR");
	cr_assert_not_null(b, "HB_BUILD_DIR not set");
	snprintf(exe, sizeof exe, "%s/bench/hilbench", b);
	cr_assert_eq(access(exe, X_OK), 0, "%s not built", exe);
}

/* Run a shell command line, capture stdout+stderr; returns the exit code. */
static int run(const char *args, char *out, size_t cap)
{
	char cmd[2048];
	snprintf(cmd, sizeof cmd, "%s %s 2>&1", exe, args);
	FILE *p = popen(cmd, "r");
	size_t n = fread(out, 1, cap - 1, p);
	out[n] = 0;
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TestSuite(cli_drivers, .init = find_exe, .timeout = 60);

Test(cli_drivers, doctor_says_plainly_what_is_visible)
{
	static char out[16384];
	cr_assert_eq(run("doctor", out, sizeof out), 0, "%s", out);
	cr_assert(strstr(out, "openFPGALoader"), "%s", out);
	cr_assert(strstr(out, "Serial ports"), "%s", out);
	if (access("/dev/bus/usb", F_OK) != 0)
		cr_assert(strstr(out, "No USB devices are visible"), "%s", out);
	cr_assert_eq(run("doctor --bogus", out, sizeof out), 2);
}

/* doctor probes tool versions from an argv, no shell: a PATH directory whose name holds a
 * quote and a ';' (the old popen("timeout 5 '<path>' -V") ran what followed) runs nothing,
 * and the tool's banner is printed escaped. */
Test(cli_drivers, doctor_version_probes_run_no_shell)
{
	char dir[] = "/tmp/hb_doctor_XXXXXX", evil[512], tool[600];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(evil, sizeof evil, "%s/';touch PWNED;'", dir);
	cr_assert_eq(mkdir(evil, 0700), 0);
	snprintf(tool, sizeof tool, "%s/yosys", evil);
	FILE *f = fopen(tool, "w");
	cr_assert_not_null(f);
	fprintf(f, "#!/bin/sh\nprintf '\\033[2Jfake yosys 9.9 %%s\\n' \"$1\"\n");
	fclose(f);
	chmod(tool, 0755);
	char line[3000], out[16384];
	snprintf(line, sizeof line, "cd '%s' && PATH=\"%s:$PATH\" %s doctor 2>&1", dir, evil, exe);
	FILE *p = popen(line, "r");
	size_t n = fread(out, 1, sizeof out - 1, p);
	out[n] = 0;
	int st = pclose(p);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s", out);
	char marker[600];
	snprintf(marker, sizeof marker, "%s/PWNED", dir);
	cr_assert_neq(access(marker, F_OK), 0, "a shell ran the text after the quote");
	cr_assert(strstr(out, "\\x1b[2Jfake yosys 9.9 -V"), "banner not shown escaped: %s", out);
	cr_assert_null(strchr(out, '\x1b'), "an escape reached the terminal");
	unlink(tool);
	rmdir(evil);
	rmdir(dir);
}

/* issue 12: doctor left out the channel flash adds, said "not plugged in" on a host without
 * USB, pointed ftdi-i2c monitors at the board's UART adapter, looked for verilator for the
 * sim board. */
Test(cli_drivers, doctor_names_the_channel_the_i2c_adapter_and_what_is_really_missing)
{
	static char out[16384];
	cr_assert_eq(run("doctor --board icebreaker", out, sizeof out), 0, "%s", out);
	cr_assert(strstr(out, "-b ice40_generic -c ft2232 --ftdi-channel 0 -m"), "%s", out);
	const char *mon = strstr(out, "monitor vcore");
	cr_assert_not_null(mon, "%s", out);
	cr_assert(strstr(mon, "FT232H 0403:6014"), "the I2C master, not the UART: %s", mon);
	if (access("/dev/bus/usb", F_OK) != 0) {
		cr_assert(strstr(out, "no USB at all"), "%s", out);
		cr_assert_null(strstr(out, "not plugged in"), "nothing can be plugged in: %s", out);
	}
	cr_assert_eq(run("doctor --board sim", out, sizeof out), 0, "%s", out);
	const char *vb = strstr(out, "virtual board:");
	cr_assert_not_null(vb, "%s", out);
	cr_assert(strstr(vb, "hilbench-vboard"), "%s", vb);
	cr_assert_null(strstr(vb, "verilator"), "%s", vb);
}

Test(cli_drivers, flash_dry_run_prints_the_exact_command)
{
	static char out[4096];
	setenv("HB_OPENFPGALOADER", "/bin/true", 1);
	cr_assert_eq(run("flash --ofl-board ice40_generic --ftdi-serial FT1 --bitstream x.bin "
			 "--dry-run", out, sizeof out), 0, "%s", out);
	cr_assert_str_eq(out, "/bin/true -b ice40_generic --ftdi-serial FT1 -m x.bin\n");
	cr_assert_eq(run("flash --ofl-board ice40_generic --bitstream x.bin --verify", out,
			 sizeof out), 2, "--verify without --flash is a usage error");
	cr_assert_eq(run("flash --ofl-board ice40_generic --bitstream x.bin --ftdi-channel 7",
			 out, sizeof out), 2);
	cr_assert(strstr(out, "--ftdi-channel"), "%s", out);
	unsetenv("HB_OPENFPGALOADER");
}

/* issue 12: icebreaker and arty were flashed through --ftdi-channel 1, their UART. Each
 * shipped board programs through interface A (channel 0), and `run` passes the same
 * arguments as `flash`. */
Test(cli_drivers, flash_dry_run_of_every_shipped_board_uses_its_programming_interface)
{
	static char out[4096];
	setenv("HB_OPENFPGALOADER", "/bin/true", 1);
	static const char *const cases[][2] = {
		{"icebreaker", "/bin/true -b ice40_generic -c ft2232 --ftdi-channel 0 -m x.bin\n"},
		{"ulx3s", "/bin/true -b ulx3s -c ft231X --ftdi-channel 0 -m x.bin\n"},
		{"arty-a7-35t", "/bin/true -b arty_a7_35t -c digilent --ftdi-channel 0 -m x.bin\n"},
	};
	for (size_t i = 0; i < 3; i++) {
		char args[128];
		snprintf(args, sizeof args, "flash --board %s --bitstream x.bin --dry-run", cases[i][0]);
		cr_assert_eq(run(args, out, sizeof out), 0, "%s", out);
		cr_assert_str_eq(out, cases[i][1], "%s", cases[i][0]);
	}
	/* the user's --ftdi-channel still wins */
	cr_assert_eq(run("flash --board icebreaker --bitstream x.bin --ftdi-channel 2 --dry-run", out,
			 sizeof out), 0, "%s", out);
	cr_assert(strstr(out, " --ftdi-channel 2 "), "%s", out);
	unsetenv("HB_OPENFPGALOADER");
}

Test(cli_drivers, run_flashes_with_the_arguments_flash_shows)
{
	char dir[] = "/tmp/hb-runflash-XXXXXX", fake[512], bit[128], argsf[128], args[600];
	static char out[16384], dry[4096];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(fake, sizeof fake, "%s/tests/fakes/fake_openFPGALoader.sh", getenv("HB_SOURCE_DIR"));
	snprintf(bit, sizeof bit, "%s/top.bin", dir);
	snprintf(argsf, sizeof argsf, "%s/args", dir);
	FILE *f = fopen(bit, "w");
	fputs("bitstream", f);
	fclose(f);
	setenv("HB_OPENFPGALOADER", fake, 1);
	setenv("FAKE_OFL_ARGS", argsf, 1);
	setenv("FAKE_OFL_MODE", "ok", 1);
	snprintf(args, sizeof args, "run --board icebreaker --bitstream %s --no-db", bit);
	int rc = run(args, out, sizeof out);
	cr_assert_neq(rc, 0, "no UART here: the run stops after flashing\n%s", out);
	snprintf(args, sizeof args, "flash --board icebreaker --bitstream %s --dry-run", bit);
	cr_assert_eq(run(args, dry, sizeof dry), 0, "%s", dry);
	/* the recorded argv, one per line, joined with spaces, after the program */
	char got[1024] = "", line[256];
	f = fopen(argsf, "r");
	cr_assert_not_null(f, "run did not start openFPGALoader:\n%s", out);
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = 0;
		strncat(got, " ", sizeof got - strlen(got) - 1);
		strncat(got, line, sizeof got - strlen(got) - 1);
	}
	fclose(f);
	strncat(got, "\n", sizeof got - strlen(got) - 1);
	cr_assert_str_eq(got, dry + strlen(fake), "run: %s flash --dry-run: %s", got, dry);
	unsetenv("HB_OPENFPGALOADER");
	unsetenv("FAKE_OFL_ARGS");
	unsetenv("FAKE_OFL_MODE");
	unlink(argsf);
	unlink(bit);
	rmdir(dir);
}

/* ---- a fake virtual-board I2C socket ---- */
static int lfd = -1;
static struct fake_ina219 chip;
static struct fake_i2c_bus fbus;
static volatile int serving = 1;

static int rd(int fd, uint8_t *b, size_t n)
{
	size_t h = 0;
	while (h < n) {
		ssize_t r = read(fd, b + h, n - h);
		if (r <= 0)
			return -1;
		h += (size_t)r;
	}
	return 0;
}

static void *server(void *arg)
{
	(void)arg;
	while (serving) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			return NULL;
		for (;;) {
			uint8_t h[4], w[255], r[256];
			if (rd(fd, h, 4) || rd(fd, w, h[2]))
				break;
			int rc = fake_i2c_bus_xfer(&fbus, h[1], w, h[2], r + 1, h[3]);
			r[0] = (uint8_t)rc;
			if (send(fd, r, rc ? 1u : 1u + h[3], MSG_NOSIGNAL) < 0)
				break;
		}
		close(fd);
	}
	return NULL;
}

Test(cli_drivers, power_over_a_vboard_socket_with_csv)
{
	char dir[] = "/tmp/hb-clipower-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	char sock[128], csv[128];
	snprintf(sock, sizeof sock, "%s/i2c.sock", dir);
	snprintf(csv, sizeof csv, "%s/p.csv", dir);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	strcpy(sa.sun_path, sock);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_eq(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
	cr_assert_eq(listen(lfd, 2), 0);
	fake_ina219_init(&chip, 0x40, hb_clock_system());
	chip.shunt_uV = 2000; /* 20 mA through 0.1 ohm */
	chip.bus_mV = 3300;
	memset(&fbus, 0, sizeof fbus);
	fbus.t[fbus.n++] = fake_ina219_target(&chip);
	pthread_t thr;
	pthread_create(&thr, NULL, server, NULL);

	static char out[16384];
	char args[512];
	snprintf(args, sizeof args, "power --bus vboard:%s --addr 0x40 --shunt-uohm 100000 "
		 "--max-ma 200 --rail vcc --seconds 0.5 --csv %s", sock, csv);
	int rc = run(args, out, sizeof out);
	cr_assert_eq(rc, 0, "%s", out);
	cr_assert(strstr(out, "summary"), "%s", out);
	FILE *f = fopen(csv, "r");
	cr_assert_not_null(f);
	char line[256];
	int rows = 0, good = 0;
	cr_assert_not_null(fgets(line, sizeof line, f));
	cr_assert_str_eq(line, "t_s,rail,bus_mv,shunt_uv,current_ua,power_uw,flags\n");
	while (fgets(line, sizeof line, f)) {
		double t;
		char rail[16];
		int bus, shunt, cur;
		long long pw;
		unsigned flags;
		rows++;
		if (sscanf(line, "%lf,%15[^,],%d,%d,%d,%lld,%u", &t, rail, &bus, &shunt, &cur, &pw,
			   &flags) == 7 && bus == 3300 && cur == 20000 && strcmp(rail, "vcc") == 0)
			good++;
	}
	fclose(f);
	/* 0.5 s at 1.064 ms per conversion: a few hundred samples */
	cr_assert_gt(rows, 100, "%d rows", rows);
	cr_assert_eq(good, rows);

	snprintf(args, sizeof args, "power --bus vboard:%s --shunt-uohm 100000 --addr 0x41 "
		 "--seconds 0.1", sock);
	cr_assert_eq(run(args, out, sizeof out), 1, "no INA219 at 0x41: %s", out);
	cr_assert_eq(run("power --bus vboard:/x", out, sizeof out), 2, "no --shunt-uohm");
	serving = 0;
	shutdown(lfd, SHUT_RDWR);
	close(lfd);
	pthread_join(thr, NULL);
	unlink(csv);
	unlink(sock);
	rmdir(dir);
}
