/* hilbench flash — load a bitstream onto a board with openFPGALoader. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hb_cli.h"
#include "hb_flash.h"

#include "hb_board.h"
#include "hb_build.h"

static void help(void)
{
	printf("Usage: hilbench flash --board NAME [--bitstream FILE] [--flash [--verify]] [--dry-run]\n"
	       "       hilbench flash --ofl-board NAME|--cable NAME [--ftdi-serial SN]\n"
	       "                      [--ftdi-channel 0-3] --bitstream FILE ...\n"
	       "\n"
	       "Runs openFPGALoader ($HB_OPENFPGALOADER, else from PATH) with the board profile's\n"
	       "openFPGALoader board, cable, FTDI serial and channel. Loads SRAM by default (lost at\n"
	       "power-off); --flash writes the SPI flash instead, --verify reads it back.\n"
	       "\n"
	       "Options:\n"
	       "  -b, --board NAME       board profile (see 'hilbench boards')\n"
	       "  -i, --bitstream FILE   the bitstream to load (default with --board: the one\n"
	       "                         `hilbench build --board NAME` made from the current sources)\n"
	       "  -f, --flash            write SPI flash instead of SRAM\n"
	       "      --verify           verify the flash write (with --flash)\n"
	       "  -n, --dry-run          print the exact openFPGALoader command, run nothing\n"
	       "  -t, --timeout S        kill openFPGALoader after S seconds (default 120)\n"
	       "      --ofl-board NAME   openFPGALoader board name (instead of a profile)\n"
	       "      --cable NAME       openFPGALoader cable name\n"
	       "      --ftdi-serial SN   pick one of several adapters\n"
	       "      --ftdi-channel N   FTDI channel 0-3 (A-D)\n"
	       "\n"
	       "Example:\n"
	       "  hilbench flash --board icebreaker --bitstream build/hb_top.bin --dry-run\n"
	       "  hilbench flash --board ulx3s --bitstream hb_top.bit --flash --verify\n");
}

struct relay {
	int tty;
	int quiet;
	int in_progress;
};

static void on_line(void *ctx, int is_err, const char *line)
{
	struct relay *r = ctx;
	if (r->quiet && !is_err)
		return;
	int progress = !is_err && strchr(line, '%') && strchr(line, '[');
	if (progress && r->tty) {
		printf("\r%s", line);
		r->in_progress = 1;
	} else {
		if (r->in_progress && r->tty)
			putchar('\n');
		r->in_progress = 0;
		fprintf(is_err ? stderr : stdout, "%s%s\n", is_err ? "openFPGALoader: " : "",
			line);
	}
	fflush(stdout);
}

int hb_cmd_flash(struct hb_global *g, int argc, char **argv)
{
	enum { O_VERIFY = 256, O_OFL_BOARD, O_CABLE, O_SERIAL, O_CHANNEL };
	static const struct option opts[] = {
		{"board", required_argument, 0, 'b'},
		{"bitstream", required_argument, 0, 'i'},
		{"flash", no_argument, 0, 'f'},
		{"verify", no_argument, 0, O_VERIFY},
		{"dry-run", no_argument, 0, 'n'},
		{"timeout", required_argument, 0, 't'},
		{"ofl-board", required_argument, 0, O_OFL_BOARD},
		{"cable", required_argument, 0, O_CABLE},
		{"ftdi-serial", required_argument, 0, O_SERIAL},
		{"ftdi-channel", required_argument, 0, O_CHANNEL},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	const char *board = NULL;
	int dry = 0, c;
	double timeout_s = 120;
	struct hb_flash_opts o = {.ftdi_channel = -1};
	char *end;
	while ((c = getopt_long(argc, argv, "b:i:fnt:h", opts, NULL)) != -1) {
		switch (c) {
		case 'b': board = optarg; break;
		case 'i': o.bitstream = optarg; break;
		case 'f': o.to_flash = 1; break;
		case O_VERIFY: o.verify = 1; break;
		case 'n': dry = 1; break;
		case 't':
			timeout_s = strtod(optarg, &end);
			if (*end || timeout_s <= 0 || timeout_s > 3600)
				return hb_usage_error("flash", "--timeout %s: give seconds, 0 < S <= 3600",
						      optarg);
			break;
		case O_OFL_BOARD: o.ofl_board = optarg; break;
		case O_CABLE: o.cable = optarg; break;
		case O_SERIAL: o.ftdi_serial = optarg; break;
		case O_CHANNEL:
			o.ftdi_channel = (int)strtol(optarg, &end, 10);
			if (*end || !*optarg || o.ftdi_channel < 0 || o.ftdi_channel > 3)
				return hb_usage_error("flash", "--ftdi-channel %s: valid channels are 0-3 "
						      "(A-D)", optarg);
			break;
		case 'h': help(); return HB_EXIT_OK;
		default: return hb_usage_error("flash", "unknown option");
		}
	}
	if (optind < argc)
		return hb_usage_error("flash", "unexpected argument '%s'", argv[optind]);
	if (o.verify && !o.to_flash)
		return hb_usage_error("flash", "--verify needs --flash (SRAM cannot be verified)");
	struct hb_board b;
	char err[512];
	if (board) {
		enum hb_status st = hb_board_find(board, g->boards_dir, &b, err, sizeof err);
		if (st != HB_OK)
			return hb_input_error(st) ? hb_usage_error("flash", "--board %s: %s", board, err)
						  : hb_fail("flash", "%s", err);
		if (b.family == HB_FAMILY_SIM) {
			printf("%s is the virtual board: nothing to flash (hilbench run starts it)\n",
			       b.name);
			return HB_EXIT_OK;
		}
		/* The profile's target (board, cable, serial, programming interface); what the
		 * user gave on the command line wins. */
		struct hb_flash_opts p;
		hb_flash_opts_board(&p, b.ofl_board, b.ofl_cable, b.usb_serial, b.flash_interface);
		if (!o.ofl_board && !o.cable) {
			o.ofl_board = p.ofl_board;
			o.cable = p.cable;
		}
		if (!o.ftdi_serial)
			o.ftdi_serial = p.ftdi_serial;
		o.interface = p.interface;
		if (!o.bitstream) {
			static char built[4096];
			char why[2048];
			if (hb_build_bitstream_path(&b, 0, NULL, built, sizeof built, why, sizeof why) != HB_OK)
				return hb_usage_error("flash", "%s", why);
			o.bitstream = built;
		}
	}
	if (!board && !o.ofl_board && !o.cable)
		return hb_usage_error("flash", "give --board NAME (or --ofl-board/--cable)");
	if (!o.bitstream)
		return hb_usage_error("flash", "--bitstream FILE is required");
	o.timeout_ms = (int)(timeout_s * 1000);

	struct hb_flash_argv a;
	enum hb_status st = hb_flash_build_argv(&o, &a);
	if (st == HB_ERR_ARG)
		return hb_usage_error("flash", "contradictory options (see the message above)");
	if (st != HB_OK)
		return hb_fail("flash", "openFPGALoader not found (apt install openfpgaloader, or "
			       "set HB_OPENFPGALOADER)");
	char cmd[2048];
	if (hb_flash_format(&a, cmd, sizeof cmd) != HB_OK)
		return hb_fail("flash", "command line too long");
	if (dry) {
		printf("%s\n", cmd);
		return HB_EXIT_OK;
	}
	if (access(o.bitstream, R_OK) != 0)
		return hb_usage_error("flash", "--bitstream %s: cannot read the file", o.bitstream);
	struct relay r = {.tty = isatty(1), .quiet = g->quiet};
	o.on_line = on_line;
	o.ctx = &r;
	if (!g->quiet)
		printf("%s\n", cmd);
	struct hb_flash_result res;
	st = hb_flash_run(&o, &res);
	if (r.in_progress)
		putchar('\n');
	if (st != HB_OK)
		return hb_fail("flash", "%s", res.message);
	if (!g->quiet)
		printf("flashed %s to %s\n", o.bitstream, o.to_flash ? "SPI flash" : "SRAM");
	return HB_EXIT_OK;
}
