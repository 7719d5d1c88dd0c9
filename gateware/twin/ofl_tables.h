/* hilbench twin — the installed openFPGALoader's own tables, as the stand-in checks them.
 *
 * The stand-in (ofl_standin.c) never keeps its own list of boards, cables or options: it
 * runs the real program once with `--list-cables --list-boards` and once with `--help`,
 * parses what they print, and checks arguments against that. A cache file (optional) keeps
 * the two outputs for later runs, keyed by the real program's path, size and mtime.
 *
 * Two facts are not in any listing and are kept here, from openFPGALoader 0.10's cable
 * table (src/cable.hpp): which cables are FTDI ones (all of VID 0x0403, plus Olimex's
 * ARM-USB-OCD-H, an FT2232H under its own VID), and which cables use interface B when no
 * --ftdi-channel is given. */
#ifndef HB_OFL_TABLES_H
#define HB_OFL_TABLES_H

#include <stddef.h>

#include "hb_status.h"

struct hb_ofl_cable {
	char name[48];
	unsigned vid, pid;
};

struct hb_ofl_board {
	char name[64];
	char cable[48]; /* the board's default cable, "" = none */
};

struct hb_ofl_option {
	char name[40]; /* long name, without the dashes */
	char shrt;     /* short letter, 0 = none */
	int takes_arg; /* "arg" in --help: the option takes a value */
};

struct hb_ofl_tables {
	char real[1024]; /* the program the tables come from */
	struct hb_ofl_cable *cables;
	size_t n_cables;
	struct hb_ofl_board *boards;
	size_t n_boards;
	struct hb_ofl_option *opts;
	size_t n_opts;
	char *help; /* the text of --help, printed again for "bitfile not specified" */
};

/* The real openFPGALoader: $HB_OFL_REAL, else "openFPGALoader" on PATH, never a file that is
 * this program itself (self = realpath of the running executable, or NULL). */
enum hb_status hb_ofl_find_real(char *buf, size_t cap, const char *self, char *err, size_t ecap);

/* Parse the output of `--list-cables --list-boards` (either or both sections) / of --help
 * into t. HB_ERR_FORMAT with err when the text is not what openFPGALoader prints. */
enum hb_status hb_ofl_tables_parse_lists(struct hb_ofl_tables *t, const char *text, char *err,
					 size_t ecap);
enum hb_status hb_ofl_tables_parse_help(struct hb_ofl_tables *t, const char *text, char *err,
					size_t ecap);

/* Fill t from the program `real`: from the cache file when it is there and was made from
 * the same program (path, size, mtime), else by running it (and then writing the cache,
 * when cache is not NULL). */
enum hb_status hb_ofl_tables_load(struct hb_ofl_tables *t, const char *real, const char *cache,
				  char *err, size_t ecap);
void hb_ofl_tables_free(struct hb_ofl_tables *t);

const struct hb_ofl_board *hb_ofl_tables_board(const struct hb_ofl_tables *t, const char *name);
const struct hb_ofl_cable *hb_ofl_tables_cable(const struct hb_ofl_tables *t, const char *name);
const struct hb_ofl_option *hb_ofl_tables_long(const struct hb_ofl_tables *t, const char *name);
const struct hb_ofl_option *hb_ofl_tables_short(const struct hb_ofl_tables *t, char c);

/* openFPGALoader 0.10's cable facts (see the top of this file). */
int hb_ofl_cable_is_ftdi(const struct hb_ofl_cable *c);
int hb_ofl_cable_default_channel(const char *name); /* 0 = A, 1 = B */

#endif
