/* hilbench vboard — run the virtual board (gateware/vboard, docs/vboard.md).
 *
 * A thin front end: finds the hilbench-vboard program (next to hilbench, or $HB_VBOARD) and
 * replaces this process with it, passing the options through unchanged. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hb_cli.h"
#include "hb_vboard_proc.h"

static void help(FILE *f)
{
	fprintf(f,
		"Usage: hilbench vboard [options]\n"
		"\n"
		"Run the virtual board: the gateware's hb_top simulated by Verilator, its UART on a\n"
		"pseudo-terminal, an INA219 current monitor on an I2C socket whose current follows\n"
		"the simulated design's activity, and a control socket with the exact ground truth.\n"
		"It prints one 'key: value' per line, then 'ready', and runs until Ctrl-C, SIGTERM or\n"
		"'quit' on the control socket:\n"
		"\n"
		"  uart: /dev/pts/5                  -> transport URI pty:/dev/pts/5\n"
		"  i2c: /tmp/hb-vboard-x1/i2c.sock   -> I2C bus URI vboard:/tmp/hb-vboard-x1/i2c.sock\n"
		"  ctl: /tmp/hb-vboard-x1/ctl.sock   -> 'now', 'truth C0 C1', 'fault NAME [ARG]', 'quit'\n"
		"\n"
		"Examples:\n"
		"  hilbench vboard                                  # real-time pace, default sockets\n"
		"  hilbench vboard --pace fast --truth truth.json   # as fast as possible, truth at exit\n"
		"  hilbench vboard --fault drop=0.001 --fault ina-reset@2.5\n"
		"  echo 'truth 0 24000000' | socat - UNIX-CONNECT:/tmp/hb-vboard-x1/ctl.sock\n"
		"\n"
		"The program is found next to hilbench or through HB_VBOARD=/path/to/hilbench-vboard.\n"
		"Its options:\n\n");
	fflush(f);
}

int hb_cmd_vboard(struct hb_global *g, int argc, char **argv)
{
	char exe[PATH_MAX];
	char *args[256];
	int want_help = 0;

	(void)g;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			want_help = 1;
	if (argc > 254)
		return hb_usage_error("vboard", "too many arguments (%d)", argc);
	if (want_help)
		help(stdout);
	if (hb_vboard_find_exe(exe, sizeof exe) != HB_OK) {
		if (want_help) {
			printf("  (hilbench-vboard is not built here: configure with Verilator and "
			       "libinih-dev, or set HB_VBOARD)\n");
			return HB_EXIT_OK;
		}
		return hb_fail("vboard", "hilbench-vboard not found next to hilbench; build it "
			       "(needs Verilator) or set HB_VBOARD");
	}
	args[0] = exe;
	for (int i = 1; i < argc; i++)
		args[i] = argv[i];
	args[argc] = NULL;
	if (want_help) {
		char *h[] = {exe, "--help", NULL};
		execv(exe, h);
	} else {
		execv(exe, args);
	}
	return hb_fail("vboard", "cannot run %s: %s", exe, strerror(errno));
}
