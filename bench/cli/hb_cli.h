/* hilbench — the command-line front end.
 *
 * Each command lives in its own file bench/cli/cmd_<name>.c and is listed once in
 * bench/cli/commands.c. A command parses its own options with getopt_long, prints
 * its help (with an example) on --help, and returns one of the exit codes below. */
#ifndef HB_CLI_H
#define HB_CLI_H

#include <stdio.h>

#include "hb_status.h"

/* Exit codes, documented in README.md and `hilbench --help`. */
enum hb_exit {
	HB_EXIT_OK = 0,       /* success */
	HB_EXIT_FAIL = 1,     /* measurement or hardware failure */
	HB_EXIT_USAGE = 2,    /* usage error: a wrong option or value (the message says which and why) */
};

/* Global options, parsed before the command name. */
struct hb_global {
	const char *boards_dir; /* --boards-dir or HB_BOARDS_DIR: searched before the shipped boards */
	const char *argv0;
	int quiet;
	int verbose;
};

struct hb_cmd {
	const char *name;
	const char *summary;  /* one line for `hilbench --help` */
	int (*run)(struct hb_global *g, int argc, char **argv); /* argv[0] is the command name */
};

extern const struct hb_cmd hb_commands[];
extern const unsigned hb_n_commands;

/* Print "hilbench <cmd>: <message>" to stderr and return HB_EXIT_USAGE. */
int hb_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print "hilbench <cmd>: <message>" to stderr and return HB_EXIT_FAIL. */
int hb_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
