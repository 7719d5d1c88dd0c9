/* Board profiles: the shipped ones are complete and consistent, every broken fixture is
 * rejected with FILE:LINE: FIELD in the message, lookup honours the user dir and aliases. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hb_board.h"
#include "hb_i2c.h"
#include "hb_ina2xx.h"
#include "hb_transport.h"

static const char *src_dir(void)
{
	const char *s = getenv("HB_SOURCE_DIR");
	cr_assert(s && *s, "HB_SOURCE_DIR is not set (run through ctest)");
	return s;
}

static void path_of(char *out, size_t cap, const char *rel)
{
	snprintf(out, cap, "%s/%s", src_dir(), rel);
}

static size_t count_ini(const char *dir)
{
	DIR *d = opendir(dir);
	cr_assert_not_null(d, "cannot open %s", dir);
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (e->d_name[0] != '.' && l > 4 && strcmp(e->d_name + l - 4, ".ini") == 0)
			n++;
	}
	closedir(d);
	return n;
}

/* ------------------------------------------------------------ shipped profiles */

/* Field-by-field checks that do not trust hb_board_validate(). */
static void check_board_fields(const struct hb_board *b)
{
	cr_assert(b->name[0], "%s: no name", b->path);
	char expect_path[PATH_MAX];
	snprintf(expect_path, sizeof expect_path, "%s/%s.ini", hb_board_shipped_dir(), b->name);
	cr_assert_str_eq(b->path, expect_path, "board %s comes from %s", b->name, b->path);
	cr_assert(b->description[0], "%s: no description", b->name);
	cr_assert(b->core_clock_hz > 0, "%s: no core clock", b->name);
	cr_assert(b->osc_hz > 0, "%s: no oscillator", b->name);
	cr_assert(b->uart_uri[0], "%s: no UART URI", b->name);
	cr_assert(b->uart_baud >= 9600 && b->uart_baud <= 12000000, "%s: baud %u", b->name,
		  b->uart_baud);
	/* the gateware's integer divider: >= 4 cycles per bit and within 2 % */
	uint64_t div = (b->core_clock_hz + b->uart_baud / 2) / b->uart_baud;
	cr_assert_geq(div, 4, "%s: %llu cycles per bit", b->name, (unsigned long long)div);
	double err = (double)(b->core_clock_hz / div) / b->uart_baud - 1.0;
	cr_assert(err < 0.02 && err > -0.02, "%s: baud off by %.2f %%", b->name, err * 100);
	cr_assert(b->gw_top[0], "%s: no gateware top", b->name);
	cr_assert(b->gw_lanes >= 1, "%s: no lanes", b->name);

	if (b->family == HB_FAMILY_SIM) {
		cr_assert_str_eq(b->uart_uri, "vboard:");
		cr_assert(strcmp(b->sim_pacing, "virtual") == 0 || strcmp(b->sim_pacing, "fast") == 0 ||
			  strcmp(b->sim_pacing, "free") == 0 || strcmp(b->sim_pacing, "realtime") == 0);
		cr_assert_eq(b->osc_hz, b->core_clock_hz, "sim: the oscillator is the core clock");
		cr_assert_str_empty(b->ofl_board);
	} else {
		cr_assert(b->fpga_part[0] && b->fpga_package[0], "%s: part/package", b->name);
		cr_assert(hb_ofl_board_known(b->ofl_board), "%s: openFPGALoader board %s", b->name,
			  b->ofl_board);
		cr_assert(!b->ofl_cable[0] || hb_ofl_cable_known(b->ofl_cable), "%s: cable %s",
			  b->name, b->ofl_cable);
		cr_assert(b->usb_interface >= 'A' && b->usb_interface <= 'D');
		/* the FTDI URI names the same device and interface as [usb] */
		char uri[64];
		snprintf(uri, sizeof uri, "ftdi://%04x:%04x/%d", b->usb_vid, b->usb_pid,
			 b->usb_interface - 'A' + 1);
		cr_assert_str_eq(b->uart_uri, uri, "%s: UART URI vs [usb]", b->name);
		cr_assert(b->uart_fpga_rx_pin[0] && b->uart_fpga_tx_pin[0] && b->osc_pin[0],
			  "%s: pins are documented", b->name);
	}

	cr_assert_geq(b->n_monitors, 1, "%s: no power monitor", b->name);
	for (size_t i = 0; i < b->n_monitors; i++) {
		const struct hb_board_monitor *m = &b->monitors[i];
		const struct hb_ina2xx_chip *chip = hb_ina2xx_chip_by_name(m->chip);
		cr_assert_not_null(chip, "%s: chip %s", b->name, m->chip);
		cr_assert(m->address >= 0x40 && m->address <= 0x4F, "%s: INA219 address 0x%02x",
			  b->name, m->address);
		cr_assert_gt(m->shunt_uohm, 0);
		cr_assert_gt(m->max_current_ma, 0);
		/* V = I * R must stay inside the shunt ADC's range */
		double v_shunt_uv = m->max_current_ma * 1e-3 * m->shunt_uohm;
		cr_assert_leq(v_shunt_uv, chip->shunt_fs_uV, "%s.%s: %.0f uV", b->name,
			      m->rail, v_shunt_uv);
		cr_assert(m->nominal_mv > 0 && m->nominal_mv <= chip->bus_max_mV);
		/* a sim board's monitor: the board's bus, or the probe inside the board */
		cr_assert(b->family == HB_FAMILY_SIM
				  ? strcmp(m->bus, "vboard:") == 0 || strcmp(m->bus, "probe:vboard:") == 0
				  : strncmp(m->bus, "ftdi-i2c://", 11) == 0,
			  "%s: bus %s", b->name, m->bus);
		cr_assert(m->label[0], "%s.%s: a label says where the shunt sits", b->name, m->rail);
		for (int k = 0; k < 6; k++)
			cr_assert_gt(m->line[k], 0, "%s.%s: field %d has no source line", b->name,
				     m->rail, k);
	}
}

Test(board, every_shipped_profile_loads_and_every_field_is_sane)
{
	struct hb_board *boards;
	size_t n;
	char err[512];
	cr_assert_eq(hb_board_list(NULL, &boards, &n, err, sizeof err), HB_OK, "%s", err);
	cr_assert_eq(n, count_ini(hb_board_shipped_dir()), "every .ini is a board");
	cr_assert_geq(n, 4);
	for (size_t i = 0; i < n; i++) {
		check_board_fields(&boards[i]);
		cr_assert_eq(hb_board_validate(&boards[i], err, sizeof err), HB_OK, "%s", err);
		if (i)
			cr_assert_lt(strcmp(boards[i - 1].name, boards[i].name), 0, "sorted by name");
	}
	free(boards);
}

/* What the task and the boards' documentation say about each shipped board. */
Test(board, shipped_boards_match_their_documented_facts)
{
	struct hb_board b;
	char err[512];

	cr_assert_eq(hb_board_find("icebreaker", NULL, &b, err, sizeof err), HB_OK, "%s", err);
	cr_assert_eq(b.family, HB_FAMILY_ICE40);
	cr_assert_str_eq(b.fpga_part, "iCE40UP5K-SG48");
	cr_assert_str_eq(b.ofl_board, "ice40_generic");
	cr_assert_eq(b.usb_vid, 0x0403);
	cr_assert_eq(b.usb_pid, 0x6010);
	cr_assert_eq(b.usb_interface, 'B');
	cr_assert_eq(b.flash_interface, 'A', "interface A drives the SPI flash (B is the UART)");
	cr_assert_eq(b.osc_hz, 12000000);

	cr_assert_eq(hb_board_find("ulx3s", NULL, &b, err, sizeof err), HB_OK, "%s", err);
	cr_assert_eq(b.family, HB_FAMILY_ECP5);
	cr_assert_str_eq(b.fpga_part, "LFE5U-85F-6BG381C");
	cr_assert_str_eq(b.ofl_board, "ulx3s");
	cr_assert_eq(b.usb_pid, 0x6015);
	cr_assert_eq(b.flash_interface, 'A', "the FT231X's only interface");
	cr_assert_eq(b.osc_hz, 25000000);

	cr_assert_eq(hb_board_find("arty-a7-35t", NULL, &b, err, sizeof err), HB_OK, "%s", err);
	cr_assert_eq(b.family, HB_FAMILY_ARTIX7);
	cr_assert_str_eq(b.fpga_part, "xc7a35ticsg324-1L");
	cr_assert_str_eq(b.ofl_board, "arty_a7_35t");
	cr_assert_eq(b.usb_pid, 0x6010);
	cr_assert_eq(b.usb_interface, 'B');
	cr_assert_eq(b.flash_interface, 'A', "interface A is JTAG (B is the UART)");
	cr_assert_eq(b.osc_hz, 100000000);

	cr_assert_eq(hb_board_find("sim", NULL, &b, err, sizeof err), HB_OK, "%s", err);
	cr_assert_eq(b.family, HB_FAMILY_SIM);
	cr_assert_str_eq(b.uart_uri, "vboard:");
	cr_assert_eq(b.core_clock_hz, 1000000); /* what Verilator sustains in real time */
	cr_assert_eq(b.n_monitors, 1);
	cr_assert_str_eq(b.monitors[0].chip, "ina219");
	cr_assert_str_eq(b.monitors[0].bus, "vboard:");
	cr_assert_eq(b.monitors[0].address, 0x40);
	/* a ~3.3 V rail at tens of mA reads well above the INA219's 10 uV step */
	cr_assert(b.monitors[0].nominal_mv >= 3000 && b.monitors[0].nominal_mv <= 3600);
	cr_assert_geq(10 /* mA */ * 1e-3 * b.monitors[0].shunt_uohm, 100 * 10 /* 100 steps */);
}

/* The names hilbench accepts are names the installed openFPGALoader knows. */
static int tool_lists(const char *args, const char *const *names, size_t n, char *missing,
		      size_t cap)
{
	char cmd[128], line[256];
	snprintf(cmd, sizeof cmd, "openFPGALoader %s 2>/dev/null", args);
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	char *seen = calloc(n, 1);
	int lines = 0;
	while (fgets(line, sizeof line, p)) {
		char first[128];
		if (sscanf(line, "%127s", first) != 1)
			continue;
		lines++;
		for (size_t i = 0; i < n; i++)
			if (strcmp(first, names[i]) == 0)
				seen[i] = 1;
	}
	int st = pclose(p);
	missing[0] = '\0';
	for (size_t i = 0; i < n; i++)
		if (!seen[i]) {
			size_t l = strlen(missing);
			snprintf(missing + l, cap - l, " %s", names[i]);
		}
	free(seen);
	return (WIFEXITED(st) && WEXITSTATUS(st) == 127) || lines == 0 ? -1 : 0;
}

Test(board, openfpgaloader_knows_every_board_and_cable_in_the_table)
{
	const char *names[64];
	size_t n = 0;
	for (size_t i = 0; i < hb_n_ofl_boards; i++)
		names[n++] = hb_ofl_boards[i].name;
	char missing[512];
	if (tool_lists("--list-boards", names, n, missing, sizeof missing) < 0)
		cr_skip_test("openFPGALoader is not installed");
	cr_assert_str_empty(missing, "not in openFPGALoader --list-boards:%s", missing);
	n = 0;
	for (size_t i = 0; hb_ofl_cables[i]; i++)
		names[n++] = hb_ofl_cables[i];
	cr_assert_eq(tool_lists("--list-cables", names, n, missing, sizeof missing), 0);
	cr_assert_str_empty(missing, "not in openFPGALoader --list-cables:%s", missing);
}

/* ------------------------------------------------------------ broken fixtures */

static void header_value(const char *path, const char *key, char *out, size_t cap)
{
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f);
	char line[512];
	size_t kl = strlen(key);
	out[0] = '\0';
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, "# ", 2) == 0 && strncmp(line + 2, key, kl) == 0 &&
		    line[2 + kl] == ':') {
			snprintf(out, cap, "%s", line + 2 + kl + 2);
			out[strcspn(out, "\n")] = '\0';
			break;
		}
	}
	fclose(f);
	cr_assert(out[0], "%s: no '# %s:' header", path, key);
}

Test(board, every_broken_fixture_is_rejected_naming_file_line_and_field)
{
	char dir[PATH_MAX];
	path_of(dir, sizeof dir, "tests/data/boards/bad");
	DIR *d = opendir(dir);
	cr_assert_not_null(d);
	struct dirent *e;
	size_t checked = 0;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l < 5 || strcmp(e->d_name + l - 4, ".ini") != 0)
			continue;
		char path[PATH_MAX + 256], field[128], text[256], line[16], want[PATH_MAX + 512];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		header_value(path, "expect-field", field, sizeof field);
		header_value(path, "expect-text", text, sizeof text);
		header_value(path, "expect-line", line, sizeof line);

		struct hb_board b;
		char err[1024];
		enum hb_status st = hb_board_load_file(path, &b, err, sizeof err);
		cr_assert_eq(st, HB_ERR_FORMAT, "%s was accepted (status %d: %s)", e->d_name, st, err);
		snprintf(want, sizeof want, "%s:%s: %s: ", path, line, field);
		cr_assert(strncmp(err, want, strlen(want)) == 0, "%s:\n  got:  %s\n  want: %s...",
			  e->d_name, err, want);
		cr_assert(strstr(err, text), "%s:\n  got: %s\n  no:  %s", e->d_name, err, text);
		checked++;
	}
	closedir(d);
	cr_assert_geq(checked, 40, "only %zu fixtures found", checked);
}

Test(board, the_fixtures_base_profiles_are_valid)
{
	const char *names[] = {"good/fixture_hw.ini", "good/fixture_sim.ini"};
	for (int i = 0; i < 2; i++) {
		char path[PATH_MAX], rel[128], err[512];
		snprintf(rel, sizeof rel, "tests/data/boards/%s", names[i]);
		path_of(path, sizeof path, rel);
		struct hb_board b;
		cr_assert_eq(hb_board_load_file(path, &b, err, sizeof err), HB_OK, "%s", err);
	}
}

/* The bench probe (docs/probe.md) as a monitor bus: probe:<transport URI>, any transport. */
Test(board, monitors_behind_a_bench_probe_are_valid)
{
	char path[PATH_MAX], err[512];
	path_of(path, sizeof path, "tests/data/boards/good/fixture_hw.ini");
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f);
	char base[4096], text[4096];
	size_t n = fread(base, 1, sizeof base - 1, f);
	fclose(f);
	base[n] = '\0';
	const char *buses[] = {"probe:serial:/dev/ttyACM0", "probe:tcp://bench-pi:7000",
			       "probe:rfc2217://bench-pi:7001",
			       "probe:serial:/dev/serial/by-id/usb-STMicroelectronics_STLINK-V2-1?baud=1000000"};
	for (size_t i = 0; i < sizeof buses / sizeof buses[0]; i++) {
		char *at = strstr(base, "ftdi-i2c://0403:6014/1");
		cr_assert_not_null(at);
		snprintf(text, sizeof text, "%.*s%s%s", (int)(at - base), base, buses[i],
			 at + strlen("ftdi-i2c://0403:6014/1"));
		struct hb_board b;
		cr_assert_eq(hb_board_load_string(text, "probe.ini", &b, err, sizeof err), HB_OK,
			     "%s: %s", buses[i], err);
		cr_assert_str_eq(b.monitors[0].bus, buses[i]);
	}
	/* a pty is the virtual board's kind of port, not a bench's */
	char *at = strstr(base, "ftdi-i2c://0403:6014/1");
	snprintf(text, sizeof text, "%.*sprobe:pty:/dev/pts/4%s", (int)(at - base), base,
		 at + strlen("ftdi-i2c://0403:6014/1"));
	struct hb_board b;
	cr_assert_eq(hb_board_load_string(text, "probe.ini", &b, err, sizeof err), HB_ERR_FORMAT);
	cr_assert(strstr(err, "a probe bus is probe:<transport URI>"), "%s", err);
}

Test(board, a_string_loads_like_the_file_and_names_itself_in_messages)
{
	char path[PATH_MAX], err[512];
	path_of(path, sizeof path, "tests/data/boards/good/fixture_hw.ini");
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f);
	char text[4096];
	size_t n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	struct hb_board a, b;
	cr_assert_eq(hb_board_load_file(path, &a, err, sizeof err), HB_OK, "%s", err);
	cr_assert_eq(hb_board_load_string(text, "inline.ini", &b, err, sizeof err), HB_OK, "%s", err);
	cr_assert_str_eq(b.path, "inline.ini");
	strcpy(b.path, a.path);
	cr_assert_eq(memcmp(&a, &b, sizeof a), 0, "same profile, same struct (lines included)");

	/* without a trailing newline, and with a typo on the last line */
	const char *t = "[board]\nname = x\nfamily = sim\n[sim]\nclock_hz = 24000000\npace = free";
	cr_assert_eq(hb_board_load_string(t, "tail.ini", &b, err, sizeof err), HB_ERR_FORMAT);
	cr_assert(strncmp(err, "tail.ini:6: sim.pace: unknown key", 33) == 0, "%s", err);
}

Test(board, a_line_longer_than_inih_reads_is_an_error_not_two_lines)
{
	char text[1024], err[512];
	char longval[400];
	memset(longval, 'a', sizeof longval - 1);
	longval[sizeof longval - 1] = '\0';
	snprintf(text, sizeof text, "[board]\nname = x\ndescription = %s\nfamily = sim\n", longval);
	struct hb_board b;
	cr_assert_eq(hb_board_load_string(text, "long.ini", &b, err, sizeof err), HB_ERR_FORMAT);
	cr_assert(strstr(err, "long.ini:3: file: line longer than"), "%s", err);
}

Test(board, validate_checks_a_board_built_in_code)
{
	struct hb_board b;
	char err[512];
	cr_assert_eq(hb_board_find("sim", NULL, &b, err, sizeof err), HB_OK, "%s", err);
	b.path[0] = '\0';
	cr_assert_eq(hb_board_validate(&b, err, sizeof err), HB_OK, "%s", err);
	b.monitors[0].address = 0x78;
	cr_assert_eq(hb_board_validate(&b, err, sizeof err), HB_ERR_FORMAT);
	cr_assert_str_eq(err, "board sim: monitor.vcc3v3.address: 0x78 is outside the 7-bit range "
			      "0x03..0x77");
	b.monitors[0].address = 0x41;
	b.uart_baud = 240000; /* 1 MHz / 240 kbaud = 4.17 -> 4 cycles = 250 kbaud, 4 % off */
	cr_assert_eq(hb_board_validate(&b, err, sizeof err), HB_ERR_FORMAT);
	cr_assert(strstr(err, "uart.baud") && strstr(err, "more than 2 % off"), "%s", err);
}

/* One fact, one place: the validator asks the drivers' tables and registries. */
Test(board, the_validator_asks_the_driver_tables_and_registries)
{
	struct hb_board b, base;
	char err[512];
	cr_assert_eq(hb_board_find("icebreaker", NULL, &base, err, sizeof err), HB_OK, "%s", err);
	base.path[0] = '\0';
	/* the INA219's limits are the driver's */
	const struct hb_ina2xx_chip *c = hb_ina2xx_chip_by_name("ina219");
	b = base;
	b.monitors[0].nominal_mv = c->bus_max_mV;
	cr_assert_eq(hb_board_validate(&b, err, sizeof err), HB_OK, "%s", err);
	b.monitors[0].nominal_mv = c->bus_max_mV + 1;
	cr_assert_eq(hb_board_validate(&b, err, sizeof err), HB_ERR_FORMAT);
	b = base;
	b.monitors[0].address = c->addr_max;
	cr_assert_eq(hb_board_validate(&b, err, sizeof err), HB_OK, "%s", err);
	b.monitors[0].address = (uint8_t)(c->addr_max + 1);
	cr_assert_eq(hb_board_validate(&b, err, sizeof err), HB_ERR_FORMAT);
	/* every transport scheme that reaches hardware is a UART for a real board, the others
	 * are not (ftdi:// must also agree with [usb], tested by the fixtures) */
	const struct hb_transport_ops *t;
	for (size_t i = 0; (t = hb_transport_backend(i)); i++) {
		if (strcmp(t->scheme, "ftdi") == 0)
			continue;
		b = base;
		snprintf(b.uart_uri, sizeof b.uart_uri, "%s://somewhere", t->scheme);
		cr_assert_eq(hb_board_validate(&b, err, sizeof err), t->hardware ? HB_OK : HB_ERR_FORMAT,
			     "%s: %s", t->scheme, err);
	}
	const struct hb_i2c_ops *bus;
	for (size_t i = 0; (bus = hb_i2c_backend(i)); i++) {
		if (strcmp(bus->scheme, "ftdi-i2c") == 0)
			continue;
		b = base;
		/* probe: carries a transport URI of its own */
		snprintf(b.monitors[0].bus, sizeof b.monitors[0].bus, "%s:%s", bus->scheme,
			 strcmp(bus->scheme, "probe") == 0 ? "serial:/dev/x" : "/dev/x");
		cr_assert_eq(hb_board_validate(&b, err, sizeof err), bus->hardware ? HB_OK : HB_ERR_FORMAT,
			     "%s: %s", bus->scheme, err);
	}
}

/* ------------------------------------------------------------ lookup */

Test(board, family_names_find_their_default_board)
{
	const char *pairs[][2] = {{"ice40", "icebreaker"}, {"ecp5", "ulx3s"},
				  {"artix7", "arty-a7-35t"}, {"sim", "sim"}};
	for (int i = 0; i < 4; i++) {
		struct hb_board b;
		char err[512];
		cr_assert_eq(hb_board_find(pairs[i][0], NULL, &b, err, sizeof err), HB_OK, "%s", err);
		cr_assert_str_eq(b.name, pairs[i][1]);
		cr_assert_str_eq(hb_family_name(b.family), pairs[i][0]);
	}
}

Test(board, an_unknown_name_is_not_found_and_the_message_lists_the_boards)
{
	struct hb_board b;
	char err[512];
	const char *bad[] = {"nope", "../bench/boards/sim", "", "ICEBREAKER", ".hidden"};
	for (int i = 0; i < 5; i++) {
		cr_assert_eq(hb_board_find(bad[i], NULL, &b, err, sizeof err), HB_ERR_NOTFOUND, "%s",
			     bad[i]);
		cr_assert(strstr(err, "no board named"), "%s", err);
		cr_assert(strstr(err, "arty-a7-35t, icebreaker, sim, sim-probe, ulx3s"), "%s", err);
	}
}

Test(board, the_user_dir_comes_first_and_overrides_by_name)
{
	char user[PATH_MAX], err[512];
	path_of(user, sizeof user, "tests/data/boards/user");
	struct hb_board b;
	cr_assert_eq(hb_board_find("icebreaker", user, &b, err, sizeof err), HB_OK, "%s", err);
	cr_assert(strstr(b.description, "user override"), "%s", b.description);
	cr_assert(strstr(b.path, "tests/data/boards/user/icebreaker.ini"), "%s", b.path);
	cr_assert_eq(hb_board_find("ice40", user, &b, err, sizeof err), HB_OK, "%s", err);
	cr_assert(strstr(b.description, "user override"), "the alias finds the override too");
	cr_assert_eq(hb_board_find("bench-ice40", user, &b, err, sizeof err), HB_OK, "%s", err);
	cr_assert_str_eq(b.usb_serial, "IB0002");
	cr_assert_eq(hb_board_find("bench-ice40", NULL, &b, err, sizeof err), HB_ERR_NOTFOUND);

	struct hb_board *all;
	size_t n;
	cr_assert_eq(hb_board_list(user, &all, &n, err, sizeof err), HB_OK, "%s", err);
	cr_assert_eq(n, count_ini(hb_board_shipped_dir()) + 1, "one extra, one overridden");
	int overrides = 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(all[i].name, "icebreaker") == 0)
			overrides += strstr(all[i].description, "user override") != NULL;
	cr_assert_eq(overrides, 1);
	free(all);

	/* a missing user dir holds no boards; it is not an error */
	cr_assert_eq(hb_board_list("/nonexistent/boards", &all, &n, err, sizeof err), HB_OK);
	cr_assert_eq(n, count_ini(hb_board_shipped_dir()));
	free(all);
}

Test(board, a_profile_must_carry_its_file_name)
{
	char dir[PATH_MAX], err[512];
	path_of(dir, sizeof dir, "tests/data/boards/mismatch");
	struct hb_board b;
	cr_assert_eq(hb_board_find("renamed", dir, &b, err, sizeof err), HB_ERR_FORMAT);
	cr_assert(strstr(err, "renamed.ini:") && strstr(err, "board.name: 'not-the-file-name' "
							       "differs from the file name"),
		  "%s", err);
}

Test(board, one_malformed_profile_fails_the_list)
{
	char dir[PATH_MAX], err[1024];
	path_of(dir, sizeof dir, "tests/data/boards/bad");
	struct hb_board *all = (struct hb_board *)1;
	size_t n = 99;
	cr_assert_eq(hb_board_list(dir, &all, &n, err, sizeof err), HB_ERR_FORMAT);
	cr_assert_null(all);
	cr_assert_eq(n, 0);
	cr_assert(strstr(err, "tests/data/boards/bad/"), "%s", err);
}

/* ------------------------------------------------------------ the command */

static int run(const char *args, char *out, size_t cap)
{
	char cmd[PATH_MAX + 256];
	const char *build = getenv("HB_BUILD_DIR");
	cr_assert(build && *build);
	snprintf(cmd, sizeof cmd, "%s/bench/hilbench %s 2>&1", build, args);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	size_t n = fread(out, 1, cap - 1, p);
	out[n] = '\0';
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(boards_cmd, lists_every_board_and_shows_one)
{
	static char out[65536];
	cr_assert_eq(run("boards", out, sizeof out), 0, "%s", out);
	cr_assert(strncmp(out, "NAME ", 5) == 0, "%s", out);
	const char *names[] = {"icebreaker", "ulx3s", "arty-a7-35t", "sim"};
	for (int i = 0; i < 4; i++)
		cr_assert(strstr(out, names[i]), "%s missing:\n%s", names[i], out);
	cr_assert(strstr(out, "ice40_generic/ft2232"), "%s", out);

	cr_assert_eq(run("boards show ecp5", out, sizeof out), 0, "%s", out);
	cr_assert(strstr(out, "LFE5U-85F-6BG381C") && strstr(out, "ftdi://0403:6015/1"), "%s", out);

	cr_assert_eq(run("boards --json", out, sizeof out), 0, "%s", out);
	cr_assert(out[0] == '[' && strstr(out, "\"openfpgaloader_board\":\t\"arty_a7_35t\""), "%s",
		  out);
	cr_assert_eq(run("boards show sim --json", out, sizeof out), 0, "%s", out);
	cr_assert(out[0] == '{' && strstr(out, "\"shunt_uohm\":\t500000"), "%s", out);
}

Test(boards_cmd, usage_errors_exit_2_and_say_why)
{
	static char out[8192];
	cr_assert_eq(run("boards show nope", out, sizeof out), 2, "%s", out);
	cr_assert(strstr(out, "no board named 'nope'") && strstr(out, "icebreaker"), "%s", out);
	cr_assert_eq(run("boards show", out, sizeof out), 2, "%s", out);
	cr_assert_eq(run("boards frobnicate", out, sizeof out), 2, "%s", out);
	cr_assert(strstr(out, "'frobnicate'"), "%s", out);
	char cmd[PATH_MAX + 64];
	snprintf(cmd, sizeof cmd, "--boards-dir %s/tests/data/boards/bad boards", src_dir());
	cr_assert_eq(run(cmd, out, sizeof out), 2, "%s", out);
	cr_assert(strstr(out, ".ini:"), "names the file and line: %s", out);
	cr_assert_eq(run("boards --help", out, sizeof out), 0, "%s", out);
	cr_assert(strstr(out, "Examples:"), "%s", out);
}

/* A profile that cannot be read is reported as such, not skipped in favour of a shipped board
 * of the same name. Root reads any file, so the check runs in a child that drops to nobody. */
Test(board, an_unreadable_profile_says_so_and_is_not_skipped)
{
	char dir[] = "/tmp/hb-unreadable-XXXXXX", path[PATH_MAX], src[PATH_MAX];
	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(chmod(dir, 0755), 0);
	path_of(src, sizeof src, "tests/data/boards/good/fixture_sim.ini");
	snprintf(path, sizeof path, "%s/sim.ini", dir);
	char cmd[3 * PATH_MAX];
	snprintf(cmd, sizeof cmd, "sed 's/^name = fixture_sim/name = sim/' %s > %s", src, path);
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(chmod(path, 0600), 0);
	int fd[2];
	cr_assert_eq(pipe(fd), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(fd[0]);
		if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(3);
		struct hb_board b;
		char err[1024] = "";
		enum hb_status st = hb_board_find("sim", dir, &b, err, sizeof err);
		dprintf(fd[1], "%d %s", (int)st, err);
		_exit(0);
	}
	close(fd[1]);
	char got[1100] = "";
	ssize_t n = read(fd[0], got, sizeof got - 1);
	close(fd[0]);
	int ws;
	waitpid(pid, &ws, 0);
	unlink(path);
	rmdir(dir);
	cr_assert(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "child: %d", ws);
	cr_assert_gt(n, 0);
	got[n] = '\0';
	cr_assert_eq(atoi(got), HB_ERR_PERM, "%s", got);
	cr_assert(strstr(got, "sim.ini: cannot read the board profile: permission denied"), "%s", got);
	cr_assert(hb_input_error(HB_ERR_PERM), "an unreadable profile is the user's input error");
}

/* A shared profile's free text (description, label, URIs) cannot drive the terminal
 * (docs/security.md): C0 controls are refused by the loader (exit 2, the message that quotes
 * them escaped); what loads (C1 controls, U+009B being CSI, bidi overrides, bytes that are
 * not UTF-8) prints escaped. */
static void write_profile(const char *dir, const char *description, const char *label)
{
	char path[PATH_MAX], src[PATH_MAX], line[512];
	path_of(src, sizeof src, "bench/boards/sim.ini");
	snprintf(path, sizeof path, "%s/sim.ini", dir);
	FILE *in = fopen(src, "r"), *o = fopen(path, "w");
	cr_assert(in && o);
	while (fgets(line, sizeof line, in)) {
		if (strncmp(line, "description", 11) == 0)
			fprintf(o, "description = %s\n", description);
		else if (strncmp(line, "label", 5) == 0)
			fprintf(o, "label = %s\n", label);
		else
			fputs(line, o);
	}
	fclose(in);
	fclose(o);
}

static void run_all(const char *dir, int want_rc, char *out, size_t cap)
{
	const char *cmds[] = {"boards", "boards show sim", "boards show sim --json", "doctor --board sim"};
	for (int i = 0; i < 4; i++) {
		char args[PATH_MAX + 64];
		snprintf(args, sizeof args, "--boards-dir %s %s", dir, cmds[i]);
		cr_assert_eq(run(args, out, cap), want_rc, "%s: %s", cmds[i], out);
		for (const unsigned char *p = (const unsigned char *)out; *p; p++)
			cr_assert(*p >= 0x20 || *p == '\n' || *p == '\t', "%s: control byte 0x%02x:\n%s",
				  cmds[i], *p, out);
		cr_assert_null(strstr(out, "\xc2\x9b"), "%s: C1 control printed", cmds[i]);
		cr_assert_null(strstr(out, "\xe2\x80\xae"), "%s: bidi override printed", cmds[i]);
		cr_assert_null(strchr(out, '\xff'), "%s: a byte that is not UTF-8 printed", cmds[i]);
	}
}

Test(boards_cmd, profile_text_is_printed_escaped)
{
	char dir[] = "/tmp/hb_boards_esc_XXXXXX", path[PATH_MAX];
	cr_assert_not_null(mkdtemp(dir));
	static char out[65536];
	write_profile(dir, "\xc2\x9b" "2J\xe2\x80\xae" "evil \xff", "\xc2\x9b" "1A\xc2\x9b" "2Kforged row");
	run_all(dir, 0, out, sizeof out);
	cr_assert(strstr(out, "\\xc2\\x9b2J\\xe2\\x80\\xaeevil \\xff"), "%s", out);
	write_profile(dir, "\x1b]0;owned\x07\x1b[2J\xc2\x9b" "31mevil", "\x1b[1A\x1b[2Kforged row");
	run_all(dir, 2, out, sizeof out);
	cr_assert(strstr(out, "control byte"), "%s", out);
	snprintf(path, sizeof path, "%s/sim.ini", dir);
	unlink(path);
	rmdir(dir);
}
