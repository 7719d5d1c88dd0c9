/* hilbench probe — the bench probe (docs/probe.md): what it says about itself, and flashing
 * its firmware with st-flash. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hb_cli.h"
#include "hb_probe_connect.h"
#include "hb_probe_flash.h"

#ifndef HB_PROBE_IMAGE_DIR
#define HB_PROBE_IMAGE_DIR "firmware/stm32f4"
#endif

static void help(void)
{
	printf("Usage: hilbench probe info URI\n"
	       "       hilbench probe flash [--board blackpill|nucleo] [--image FILE.bin]\n"
	       "                            [--serial SN] [--connect-under-reset] [--dry-run]\n"
	       "                            [--timeout S]\n"
	       "\n"
	       "The bench probe is an STM32F4 next to the power monitors that samples the INA219s\n"
	       "and stamps DONE/BUSY edges on its own clock (docs/probe.md).\n"
	       "\n"
	       "  info URI     identify the probe and print its status. URI: probe:<transport URI>\n"
	       "               or the transport URI alone (serial:/dev/ttyACM0, tcp://host:port, ...);\n"
	       "               ?baud=N if the firmware was built for another rate than 2000000.\n"
	       "  flash        write the probe image with st-flash (stlink-tools; $HB_STFLASH\n"
	       "               overrides the program) over an ST-LINK's SWD.\n"
	       "\n"
	       "Options of flash:\n"
	       "  -b, --board NAME         blackpill (WeAct STM32F411, default) or nucleo\n"
	       "                           (NUCLEO-F401RE): picks the image hilbench built\n"
	       "  -i, --image FILE.bin     write this image instead\n"
	       "  -s, --serial SN          the ST-LINK to use (st-info --probe lists them)\n"
	       "      --connect-under-reset hold the MCU in reset while connecting\n"
	       "  -n, --dry-run            print the exact st-flash command, run nothing\n"
	       "  -t, --timeout S          kill st-flash after S seconds (default 120)\n"
	       "\n"
	       "Examples:\n"
	       "  hilbench probe flash --board nucleo --dry-run\n"
	       "  hilbench probe info probe:serial:/dev/ttyACM0\n");
}

static void on_line(void *ctx, int is_err, const char *line)
{
	int quiet = *(int *)ctx;
	if (quiet && !is_err)
		return;
	fprintf(is_err ? stderr : stdout, "%s%s\n", is_err ? "st-flash: " : "", line);
}

static int cmd_flash(struct hb_global *g, int argc, char **argv)
{
	enum { O_CUR = 256 };
	static const struct option opts[] = {
		{"board", required_argument, 0, 'b'},
		{"image", required_argument, 0, 'i'},
		{"serial", required_argument, 0, 's'},
		{"connect-under-reset", no_argument, 0, O_CUR},
		{"dry-run", no_argument, 0, 'n'},
		{"timeout", required_argument, 0, 't'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	const char *board = "blackpill";
	struct hb_probe_flash_opts o = {0};
	int dry = 0, c;
	double timeout_s = 120;
	char *end;
	optind = 1;
	while ((c = getopt_long(argc, argv, "b:i:s:nt:h", opts, NULL)) != -1) {
		switch (c) {
		case 'b': board = optarg; break;
		case 'i': o.image = optarg; break;
		case 's': o.serial = optarg; break;
		case O_CUR: o.connect_under_reset = 1; break;
		case 'n': dry = 1; break;
		case 't':
			timeout_s = strtod(optarg, &end);
			if (*end || timeout_s <= 0 || timeout_s > 3600)
				return hb_usage_error("probe flash", "--timeout %s: give seconds, "
						      "0 < S <= 3600", optarg);
			break;
		case 'h': help(); return HB_EXIT_OK;
		default: return hb_usage_error("probe flash", "unknown option");
		}
	}
	if (optind < argc)
		return hb_usage_error("probe flash", "unexpected argument '%s'", argv[optind]);
	if (strcmp(board, "blackpill") != 0 && strcmp(board, "nucleo") != 0)
		return hb_usage_error("probe flash", "--board %s: the probe boards are blackpill "
				      "(WeAct STM32F411) and nucleo (NUCLEO-F401RE)", board);
	char image[1024];
	if (!o.image) {
		snprintf(image, sizeof image, "%s/hb_probe_%s.bin", HB_PROBE_IMAGE_DIR, board);
		o.image = image;
	}
	o.timeout_ms = (int)(timeout_s * 1000);
	struct hb_flash_argv a;
	enum hb_status st = hb_probe_flash_build_argv(&o, &a);
	if (st == HB_ERR_ARG)
		return hb_usage_error("probe flash", "--image %s: give the raw .bin image", o.image);
	if (st != HB_OK)
		return hb_fail("probe flash", "st-flash not found (apt install stlink-tools, or set "
			       "HB_STFLASH)");
	char cmd[2048];
	if (hb_flash_format(&a, cmd, sizeof cmd) != HB_OK)
		return hb_fail("probe flash", "command line too long");
	if (dry) {
		printf("%s\n", cmd);
		return HB_EXIT_OK;
	}
	if (access(o.image, R_OK) != 0)
		return hb_usage_error("probe flash", "%s: cannot read the image (build it: cmake "
				      "--build build --target probe-firmware)", o.image);
	int quiet = g->quiet;
	o.on_line = on_line;
	o.ctx = &quiet;
	if (!g->quiet)
		printf("%s\n", cmd);
	struct hb_flash_result res;
	st = hb_probe_flash_run(&o, &res);
	if (st != HB_OK)
		return hb_fail("probe flash", "%s", res.message);
	if (!g->quiet)
		printf("flashed %s to the probe\n", o.image);
	return HB_EXIT_OK;
}

static int cmd_info(struct hb_global *g, int argc, char **argv)
{
	(void)g;
	if (argc != 2)
		return hb_usage_error("probe info", "give one URI (hilbench probe info "
				      "probe:serial:/dev/ttyACM0)");
	char tr[512];
	unsigned baud;
	if (hb_probe_uri_parse(argv[1], tr, sizeof tr, &baud) != HB_OK)
		return hb_usage_error("probe info", "'%s' is not a probe URI (probe:<transport URI>)",
				      argv[1]);
	struct hb_transport *t;
	struct hb_probe *p;
	enum hb_status st = hb_probe_connect(argv[1], NULL, &t, &p);
	if (st == HB_ERR_ARG)
		return hb_usage_error("probe info", "%s: see the message above", argv[1]);
	if (st != HB_OK)
		return hb_fail("probe info", "%s: %s", argv[1], hb_strerror(st));
	const struct hb_probe_identity *id = hb_probe_identity(p);
	struct hb_probe_status s;
	st = hb_probe_status(p, &s);
	if (st != HB_OK) {
		hb_probe_disconnect(t, p);
		return hb_fail("probe info", "STATUS: %s", hb_strerror(st));
	}
	printf("probe       %s, firmware %u.%u.%u (build %08x), protocol %u\n",
	       hb_probe_board_name(id->board), id->fw_major, id->fw_minor, id->fw_patch,
	       (unsigned)id->build_hash, id->proto_version);
	printf("clock       %u MHz core%s, %u Hz timer; UART %u baud; I2C %u Hz\n", id->sysclk_mhz,
	       (id->capabilities & HBP_CAP_EMULATED) ? " (emulated: no clock controller)" : "",
	       (unsigned)id->timer_hz, (unsigned)id->baud, (unsigned)id->i2c_hz);
	printf("limits      %u monitors, %u capture channels, %u-byte record FIFO\n",
	       id->max_monitors, id->n_capture, id->fifo_bytes);
	printf("boot        #%u since power-on, reset cause %s, %u watchdog resets\n",
	       id->boot_count, hb_probe_reset_cause_name(id->reset_cause), id->watchdog_resets);
	printf("state       %s, up %.3f s\n", s.running ? "sampling" : "stopped", s.now_us / 1e6);
	printf("counters    %u samples, %u edges, %u records dropped, %u edges dropped, %u "
	       "conversions missed\n",
	       (unsigned)s.samples, (unsigned)s.edges, (unsigned)s.records_dropped,
	       (unsigned)s.edges_dropped, (unsigned)s.conv_missed);
	printf("            %u I2C errors, %u bus recoveries, %u bad frames received, FIFO high "
	       "water %u of %u bytes\n",
	       (unsigned)s.i2c_errors, (unsigned)s.bus_recoveries, (unsigned)s.rx_bad_frames,
	       s.fifo_high_water, s.fifo_bytes);
	for (unsigned k = 0; k < HBP_MAX_MONITORS; k++)
		if (s.mon_state[k] != HBP_MON_OFF)
			printf("monitor %u   %s%s%s\n", k, s.mon_state[k] == HBP_MON_OK ? "ok" : "failing",
			       s.mon_state[k] == HBP_MON_OK ? "" : ": ",
			       s.mon_state[k] == HBP_MON_OK ? "" : hb_probe_i2c_status_name(s.mon_error[k]));
	hb_probe_disconnect(t, p);
	return HB_EXIT_OK;
}

int hb_cmd_probe(struct hb_global *g, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		help();
		return argc < 2 ? HB_EXIT_USAGE : HB_EXIT_OK;
	}
	if (strcmp(argv[1], "flash") == 0)
		return cmd_flash(g, argc - 1, argv + 1);
	if (strcmp(argv[1], "info") == 0)
		return cmd_info(g, argc - 1, argv + 1);
	return hb_usage_error("probe", "unknown subcommand '%s' (info, flash)", argv[1]);
}
