/* hilbench boards — list the board profiles, or show one. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb_board.h"
#include "hb_cli.h"

static void help(FILE *f)
{
	fprintf(f,
		"Usage: hilbench boards [--json]\n"
		"       hilbench boards show NAME [--json]\n"
		"\n"
		"List the board profiles hilbench knows, or show every field of one.\n"
		"Profiles are INI files: the shipped ones in bench/boards/, yours in --boards-dir DIR\n"
		"(or HB_BOARDS_DIR), which are searched first and override a shipped board of the\n"
		"same name. NAME may also be a family: ice40 (icebreaker), ecp5 (ulx3s),\n"
		"artix7 (arty-a7-35t), sim. The format is described in docs/boards.md.\n"
		"\n"
		"Options:\n"
		"  --json       print JSON instead of a table\n"
		"  -h, --help   this help\n"
		"\n"
		"Examples:\n"
		"  hilbench boards\n"
		"  hilbench boards show ice40\n"
		"  hilbench --boards-dir ~/boards boards show my-board --json\n"
		"\n"
		"Exit codes: 0 ok; 2 unknown board or a malformed profile (the message names\n"
		"FILE:LINE: FIELD); 1 a profile could not be read.\n");
}

static int exit_for_board(enum hb_status st)
{
	return hb_input_error(st) ? HB_EXIT_USAGE : HB_EXIT_FAIL;
}

static void fmt_hz(char *out, size_t cap, uint64_t hz)
{
	if (hz % 1000000 == 0)
		snprintf(out, cap, "%llu MHz", (unsigned long long)(hz / 1000000));
	else if (hz % 1000 == 0)
		snprintf(out, cap, "%llu kHz", (unsigned long long)(hz / 1000));
	else
		snprintf(out, cap, "%llu Hz", (unsigned long long)hz);
}

static void fmt_flash(char *out, size_t cap, const struct hb_board *b)
{
	if (b->family == HB_FAMILY_SIM)
		snprintf(out, cap, "-");
	else
		snprintf(out, cap, "%s/%s", b->ofl_board, b->ofl_cable[0] ? b->ofl_cable : "default");
}

static void fmt_power(char *out, size_t cap, const struct hb_board *b)
{
	out[0] = '\0';
	if (!b->n_monitors)
		snprintf(out, cap, "-");
	for (size_t i = 0; i < b->n_monitors; i++) {
		const struct hb_board_monitor *m = &b->monitors[i];
		size_t l = strlen(out);
		snprintf(out + l, cap - l, "%s%s %s@0x%02x", i ? ", " : "", m->rail, m->chip,
			 m->address);
	}
}

static cJSON *board_json(const struct hb_board *b)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", b->name);
	cJSON_AddStringToObject(o, "description", b->description);
	cJSON_AddStringToObject(o, "family", hb_family_name(b->family));
	cJSON_AddStringToObject(o, "file", b->path);
	if (b->family != HB_FAMILY_SIM) {
		cJSON *fp = cJSON_AddObjectToObject(o, "fpga");
		cJSON_AddStringToObject(fp, "part", b->fpga_part);
		cJSON_AddStringToObject(fp, "package", b->fpga_package);
		cJSON_AddNumberToObject(fp, "osc_hz", (double)b->osc_hz);
		cJSON_AddNumberToObject(fp, "core_clock_hz", (double)b->core_clock_hz);
		cJSON_AddStringToObject(fp, "osc_pin", b->osc_pin);
		cJSON *fl = cJSON_AddObjectToObject(o, "flash");
		cJSON_AddStringToObject(fl, "openfpgaloader_board", b->ofl_board);
		cJSON_AddStringToObject(fl, "openfpgaloader_cable", b->ofl_cable);
		char fif[2] = {b->flash_interface, '\0'};
		cJSON_AddStringToObject(fl, "interface", fif);
		cJSON *u = cJSON_AddObjectToObject(o, "usb");
		char id[8];
		snprintf(id, sizeof id, "%04x", b->usb_vid);
		cJSON_AddStringToObject(u, "vid", id);
		snprintf(id, sizeof id, "%04x", b->usb_pid);
		cJSON_AddStringToObject(u, "pid", id);
		char iface[2] = {b->usb_interface, '\0'};
		cJSON_AddStringToObject(u, "interface", iface);
		cJSON_AddStringToObject(u, "serial", b->usb_serial);
	} else {
		cJSON *s = cJSON_AddObjectToObject(o, "sim");
		cJSON_AddNumberToObject(s, "clock_hz", (double)b->core_clock_hz);
		cJSON_AddStringToObject(s, "pacing", b->sim_pacing);
	}
	cJSON *ua = cJSON_AddObjectToObject(o, "uart");
	cJSON_AddStringToObject(ua, "uri", b->uart_uri);
	cJSON_AddNumberToObject(ua, "baud", b->uart_baud);
	if (b->family != HB_FAMILY_SIM) {
		cJSON_AddStringToObject(ua, "fpga_rx_pin", b->uart_fpga_rx_pin);
		cJSON_AddStringToObject(ua, "fpga_tx_pin", b->uart_fpga_tx_pin);
	}
	cJSON *gw = cJSON_AddObjectToObject(o, "gateware");
	cJSON_AddStringToObject(gw, "top", b->gw_top);
	cJSON_AddNumberToObject(gw, "lanes", b->gw_lanes);
	if (b->build.flow[0]) {
		cJSON *bu = cJSON_AddObjectToObject(o, "build");
		cJSON_AddStringToObject(bu, "flow", b->build.flow);
		cJSON_AddStringToObject(bu, "top_file", b->build.top_file);
		cJSON_AddStringToObject(bu, "constraints", b->build.constraints);
		cJSON_AddStringToObject(bu, "bitstream", b->build.bitstream);
	}
	cJSON *mons = cJSON_AddArrayToObject(o, "monitors");
	for (size_t i = 0; i < b->n_monitors; i++) {
		const struct hb_board_monitor *m = &b->monitors[i];
		cJSON *mo = cJSON_CreateObject();
		cJSON_AddStringToObject(mo, "rail", m->rail);
		cJSON_AddStringToObject(mo, "chip", m->chip);
		cJSON_AddStringToObject(mo, "bus", m->bus);
		cJSON_AddNumberToObject(mo, "address", m->address);
		cJSON_AddNumberToObject(mo, "shunt_uohm", m->shunt_uohm);
		cJSON_AddNumberToObject(mo, "max_current_ma", m->max_current_ma);
		cJSON_AddNumberToObject(mo, "nominal_mv", m->nominal_mv);
		cJSON_AddStringToObject(mo, "label", m->label);
		cJSON_AddItemToArray(mons, mo);
	}
	return o;
}

static int print_json(cJSON *j)
{
	char *s = cJSON_Print(j);
	cJSON_Delete(j);
	if (!s)
		return hb_fail("boards", "out of memory");
	puts(s);
	cJSON_free(s);
	return HB_EXIT_OK;
}

#define N_COLS 7
static const char *const col_names[N_COLS] = {"NAME", "FAMILY", "FPGA", "CLOCK",
					      "FLASH (board/cable)", "UART", "POWER"};

static void row_cells(const struct hb_board *b, char cells[N_COLS][160])
{
	char clk[32];
	fmt_hz(clk, sizeof clk, b->core_clock_hz);
	snprintf(cells[0], 160, "%s", b->name);
	snprintf(cells[1], 160, "%s", hb_family_name(b->family));
	snprintf(cells[2], 160, "%s", b->family == HB_FAMILY_SIM ? "(Verilator)" : b->fpga_part);
	snprintf(cells[3], 160, "%s", clk);
	fmt_flash(cells[4], 160, b);
	snprintf(cells[5], 160, "%.120s @ %u", b->uart_uri, b->uart_baud);
	fmt_power(cells[6], 160, b);
}

static int list_boards(struct hb_global *g, int json)
{
	struct hb_board *boards;
	size_t n;
	char err[512];
	enum hb_status st = hb_board_list(g->boards_dir, &boards, &n, err, sizeof err);
	if (st != HB_OK) {
		fprintf(stderr, "hilbench boards: %s\n", err[0] ? err : hb_strerror(st));
		return exit_for_board(st);
	}
	if (json) {
		cJSON *arr = cJSON_CreateArray();
		for (size_t i = 0; i < n; i++)
			cJSON_AddItemToArray(arr, board_json(&boards[i]));
		free(boards);
		return print_json(arr);
	}
	size_t w[N_COLS];
	char cells[N_COLS][160];
	for (int c = 0; c < N_COLS; c++)
		w[c] = strlen(col_names[c]);
	for (size_t i = 0; i < n; i++) {
		row_cells(&boards[i], cells);
		for (int c = 0; c < N_COLS; c++)
			if (strlen(cells[c]) > w[c])
				w[c] = strlen(cells[c]);
	}
	w[N_COLS - 1] = 0; /* no padding after the last column */
	for (int c = 0; c < N_COLS; c++)
		printf("%-*s%s", (int)w[c], col_names[c], c < N_COLS - 1 ? "  " : "\n");
	for (size_t i = 0; i < n; i++) {
		row_cells(&boards[i], cells);
		for (int c = 0; c < N_COLS; c++)
			printf("%-*s%s", (int)w[c], cells[c], c < N_COLS - 1 ? "  " : "\n");
	}
	free(boards);
	return HB_EXIT_OK;
}

static void kv(const char *k, const char *v)
{
	printf("  %-22s %s\n", k, v && *v ? v : "-");
}

static void kvu(const char *k, unsigned long long v)
{
	printf("  %-22s %llu\n", k, v);
}

static int show_board(struct hb_global *g, const char *name, int json)
{
	struct hb_board *b = calloc(1, sizeof *b);
	char err[1024];
	if (!b)
		return hb_fail("boards", "out of memory");
	enum hb_status st = hb_board_find(name, g->boards_dir, b, err, sizeof err);
	if (st != HB_OK) {
		free(b);
		fprintf(stderr, "hilbench boards show: %s\n", err[0] ? err : hb_strerror(st));
		return exit_for_board(st);
	}
	if (json) {
		cJSON *j = board_json(b);
		free(b);
		return print_json(j);
	}
	char buf[96];
	printf("%s — %s\n", b->name, b->description[0] ? b->description : "(no description)");
	printf("  %-22s %s\n", "file", b->path);
	printf("[board]\n");
	kv("family", hb_family_name(b->family));
	if (b->family != HB_FAMILY_SIM) {
		printf("[fpga]\n");
		kv("part", b->fpga_part);
		kv("package", b->fpga_package);
		fmt_hz(buf, sizeof buf, b->osc_hz);
		printf("  %-22s %llu (%s)\n", "osc_hz", (unsigned long long)b->osc_hz, buf);
		fmt_hz(buf, sizeof buf, b->core_clock_hz);
		printf("  %-22s %llu (%s)\n", "core_clock_hz", (unsigned long long)b->core_clock_hz, buf);
		kv("osc_pin", b->osc_pin);
		printf("[flash]\n");
		kv("openfpgaloader_board", b->ofl_board);
		kv("openfpgaloader_cable", b->ofl_cable[0] ? b->ofl_cable : "(the board's default)");
		snprintf(buf, sizeof buf, "%c (--ftdi-channel %d)", b->flash_interface,
			 b->flash_interface - 'A');
		kv("interface", buf);
		printf("[usb]\n");
		snprintf(buf, sizeof buf, "0x%04x", b->usb_vid);
		kv("vid", buf);
		snprintf(buf, sizeof buf, "0x%04x", b->usb_pid);
		kv("pid", buf);
		snprintf(buf, sizeof buf, "%c", b->usb_interface);
		kv("interface", buf);
		kv("serial", b->usb_serial[0] ? b->usb_serial : "(any)");
	} else {
		printf("[sim]\n");
		fmt_hz(buf, sizeof buf, b->core_clock_hz);
		printf("  %-22s %llu (%s)\n", "clock_hz", (unsigned long long)b->core_clock_hz, buf);
		kv("pacing", b->sim_pacing);
	}
	printf("[uart]\n");
	kv("uri", b->uart_uri);
	kvu("baud", b->uart_baud);
	if (b->family != HB_FAMILY_SIM) {
		kv("fpga_rx_pin", b->uart_fpga_rx_pin);
		kv("fpga_tx_pin", b->uart_fpga_tx_pin);
	}
	printf("[gateware]\n");
	kv("top", b->gw_top);
	kvu("lanes", b->gw_lanes);
	if (b->build.flow[0]) {
		printf("[build]\n");
		kv("flow", b->build.flow);
		kv("top_file", b->build.top_file);
		kv("constraints", b->build.constraints);
		kv("bitstream", b->build.bitstream);
	}
	for (size_t i = 0; i < b->n_monitors; i++) {
		const struct hb_board_monitor *m = &b->monitors[i];
		printf("[monitor.%s]\n", m->rail);
		kv("chip", m->chip);
		kv("bus", m->bus);
		snprintf(buf, sizeof buf, "0x%02x", m->address);
		kv("address", buf);
		kvu("shunt_uohm", m->shunt_uohm);
		kvu("max_current_ma", m->max_current_ma);
		kvu("nominal_mv", m->nominal_mv);
		kv("label", m->label);
	}
	if (!b->n_monitors)
		printf("(no power monitors: power and energy will be unavailable)\n");
	free(b);
	return HB_EXIT_OK;
}

int hb_cmd_boards(struct hb_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, 0, 'j'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	int json = 0, c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'h': help(stdout); return HB_EXIT_OK;
		default: return hb_usage_error("boards", "unknown option");
		}
	}
	int rest = argc - optind;
	if (rest == 0)
		return list_boards(g, json);
	if (strcmp(argv[optind], "show") == 0) {
		if (rest != 2)
			return hb_usage_error("boards", "'show' takes exactly one board name, e.g. "
					      "'hilbench boards show icebreaker'");
		return show_board(g, argv[optind + 1], json);
	}
	return hb_usage_error("boards", "unknown argument '%s' (expected nothing or 'show NAME')",
			      argv[optind]);
}
