/* hilbench — `hilbench run`: its outputs checked before anything starts (issue 13).
 *
 * A run that measured for minutes and then cannot write its --json, or finds the database
 * locked or from a newer hilbench, has wasted the bench and says so too late. So every
 * target is tried first, by the very code that will write it at the end (hb_outfile_check,
 * hb_db_open_msg), before a board is flashed or started; a target that cannot be written is a
 * usage error (exit 2) and nothing is measured. The database is kept open for the report. */
#define LOG_PREFIX "run"
#include "hb_run_int.h"

#include <string.h>

#include "hb_outfile.h"

enum hb_status hb_run_check_outputs(struct run *r, char *err, size_t errlen)
{
	const struct hb_run_opts *o = r->o;
	const struct {
		const char *opt, *path;
	} files[] = {
		{"--json", o->json_path},
		{"--csv", o->csv_path},
		{"--plot", o->plot_path},
		{"--receipt", o->receipt_path},
	};
	char why[600];
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		if (!files[i].path)
			continue;
		if (hb_outfile_check(files[i].path, why, sizeof why) != HB_OK) {
			snprintf(err, errlen, "%s %.500s: nothing was measured", files[i].opt, why);
			return HB_ERR_ARG;
		}
	}
	if (o->no_db)
		return HB_OK;
	/* the schema version is read (a newer one refused), an older one migrated, and the write
	 * lock taken once: a database locked by another connection for longer than the busy
	 * timeout is reported here, as locked */
	enum hb_status st = hb_db_open_msg(o->db_path, &r->db, why, sizeof why);
	if (st != HB_OK) {
		snprintf(err, errlen, "--db: %.500s; nothing was measured",
			 why[0] ? why : hb_db_strerror(st));
		return st == HB_ERR_NOMEM ? st : HB_ERR_ARG;
	}
	return HB_OK;
}
