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
