/* hilbench — creating the files a user names (results, plots, samples) safely.
 *
 * `--json /tmp/r.json` names a path anybody on the host can predict. Opening it with
 * fopen(path, "w") would follow a symbolic link another user planted there and overwrite
 * whatever it points to, and a failed run would leave half a file. So (docs/security.md):
 *
 *   - the data goes to a new file in the same directory, made by mkstemp (O_EXCL, a name
 *     nobody can guess, mode 0600 until it is complete, then 0666 & ~umask), and is renamed
 *     over the name only when everything was written: a reader sees the old file or the
 *     whole new one;
 *   - a symbolic link at the name is followed only when it belongs to the user or to root
 *     (a link the user made on purpose, /dev/stdout); a link owned by anybody else is an
 *     error, never followed;
 *   - a name that is a device or a FIFO (/dev/stdout, a pipe) is opened and written as it is.
 */
#ifndef HB_OUTFILE_H
#define HB_OUTFILE_H

#include <stdio.h>

#include "hb_status.h"

struct hb_outfile {
	FILE *f;          /* write here */
	char path[4096];  /* the file that will hold the data (symbolic links resolved) */
	char tmp[4096];   /* the temporary file, "" when writing to a device or FIFO */
	char err[512];    /* why open or commit failed */
};

/* Open for writing. HB_ERR_PERM for a foreign symbolic link, HB_ERR_ARG for a directory,
 * HB_ERR_NOTFOUND when its directory does not exist, HB_ERR_IO otherwise; o->err says which
 * path and why. */
enum hb_status hb_outfile_open(struct hb_outfile *o, const char *path);
/* Could path be written now? The same steps as hb_outfile_open (a temporary file is created
 * beside it and removed again; an existing file is left alone), so a run can check its
 * outputs before it measures anything. Same statuses; err (may be NULL) says why. */
enum hb_status hb_outfile_check(const char *path, char *err, size_t errlen);
/* Flush, close and rename into place. On any error the temporary file is removed, the old
 * file (if any) stays, and o->err says why. */
enum hb_status hb_outfile_commit(struct hb_outfile *o);
/* Give up: close and remove the temporary file. Safe after a failed open. */
void hb_outfile_abort(struct hb_outfile *o);

#endif
