/* hilbench — entry point: global options, then dispatch to a command. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hb_cli.h"
#include "hb_escape.h"
#include "hb_log.h"
#include "hb_version.h"

/* "hilbench CMD: message" on stderr, the message escaped (it may quote a user's file or
 * bytes from a line: hb_escape.h). */
static void vsay(const char *cmd, const char *fmt, va_list ap)
{
	char raw[2048], msg[4096];
	vsnprintf(raw, sizeof raw, fmt, ap);
	fprintf(stderr, "hilbench%s%s: %s", cmd ? " " : "", cmd ? cmd : "",
		hb_escape_str(msg, sizeof msg, raw));
}

int hb_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay(cmd, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see 'hilbench %s%s--help')\n", cmd ? cmd : "", cmd ? " " : "");
	return HB_EXIT_USAGE;
}

int hb_fail(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay(cmd, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return HB_EXIT_FAIL;
}

static void print_help(FILE *f)
{
	fprintf(f,
		"hilbench %s — hardware-in-the-loop bench for SC-NeuroCore's SNN profiler\n"
		"\n"
		"Usage: hilbench [global options] <command> [options]\n"
		"\n"
		"Commands:\n",
		HB_VERSION);
	for (unsigned i = 0; i < hb_n_commands; i++)
		fprintf(f, "  %-10s %s\n", hb_commands[i].name, hb_commands[i].summary);
	fprintf(f,
		"\n"
		"Global options:\n"
		"  --boards-dir DIR  search DIR for board profiles before the shipped ones\n"
		"                    (also HB_BOARDS_DIR)\n"
		"  -v, --verbose     more log output (repeat for debug; or HB_LOG=debug)\n"
		"  -q, --quiet       errors only\n"
		"  -h, --help        this help; 'hilbench <command> --help' teaches a command\n"
		"  -V, --version     print version and git revision\n"
		"\n"
		"Exit codes: 0 success, 1 measurement or hardware failure, 2 usage error.\n");
}

int hb_cmd_help(struct hb_global *g, int argc, char **argv)
{
	(void)g;
	if (argc < 2) {
		print_help(stdout);
		return HB_EXIT_OK;
	}
	for (unsigned i = 0; i < hb_n_commands; i++) {
		if (strcmp(hb_commands[i].name, argv[1]) == 0 && strcmp(argv[1], "help") != 0) {
			char *sub[] = {argv[1], "--help", NULL};
			optind = 0;
			return hb_commands[i].run(g, 2, sub);
		}
	}
	return hb_usage_error("help", "no command named '%s'", argv[1]);
}

int main(int argc, char **argv)
{
	struct hb_global g = {.argv0 = argv[0], .boards_dir = getenv("HB_BOARDS_DIR")};
	static const struct option opts[] = {
		{"boards-dir", required_argument, 0, 'B'},
		{"verbose", no_argument, 0, 'v'},
		{"quiet", no_argument, 0, 'q'},
		{"help", no_argument, 0, 'h'},
		{"version", no_argument, 0, 'V'},
		{0, 0, 0, 0},
	};
	int c, from_env = g.boards_dir != NULL;

	/* '+' stops at the first non-option: the command name. */
	while ((c = getopt_long(argc, argv, "+vqhV", opts, NULL)) != -1) {
		switch (c) {
		case 'B': g.boards_dir = optarg; from_env = 0; break;
		case 'v': g.verbose++; break;
		case 'q': g.quiet = 1; break;
		case 'h': print_help(stdout); return HB_EXIT_OK;
		case 'V': printf("hilbench %s (git %s)\n", HB_VERSION, HB_GIT_REV); return HB_EXIT_OK;
		default: fprintf(stderr, "(see 'hilbench --help')\n"); return HB_EXIT_USAGE;
		}
	}
	/* A boards directory that was asked for must exist: a typo would otherwise hide the
	 * user's profiles and silently fall back to the shipped ones. */
	if (g.boards_dir && *g.boards_dir) {
		struct stat sb;
		const char *what = from_env ? "HB_BOARDS_DIR" : "--boards-dir";
		if (stat(g.boards_dir, &sb) != 0)
			return hb_usage_error(NULL, "%s '%s': %s", what, g.boards_dir, strerror(errno));
		if (!S_ISDIR(sb.st_mode))
			return hb_usage_error(NULL, "%s '%s': not a directory", what, g.boards_dir);
	}
	if (g.quiet)
		hb_log_set_level(HB_LOG_ERROR);
	else if (g.verbose)
		hb_log_set_level(g.verbose > 1 ? HB_LOG_DEBUG : HB_LOG_INFO);

	if (optind >= argc) {
		print_help(stderr);
		return HB_EXIT_USAGE;
	}
	const char *name = argv[optind];
	for (unsigned i = 0; i < hb_n_commands; i++) {
		if (strcmp(hb_commands[i].name, name) == 0) {
			int sub_argc = argc - optind;
			char **sub_argv = argv + optind;
			optind = 0; /* reset getopt for the command (glibc: 0 = full reinit) */
			return hb_commands[i].run(&g, sub_argc, sub_argv);
		}
	}
	fprintf(stderr, "hilbench: unknown command '%s'. Commands:", name);
	for (unsigned i = 0; i < hb_n_commands; i++)
		fprintf(stderr, " %s", hb_commands[i].name);
	fprintf(stderr, "\n(see 'hilbench --help')\n");
	return HB_EXIT_USAGE;
}
