/* hilbench — safe creation of user-named output files (hb_outfile.h). */
#define _GNU_SOURCE /* mkostemp */
#include "hb_outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hb_term.h"

static enum hb_status fail(struct hb_outfile *o, enum hb_status st, const char *path, const char *why,
			   int e)
{
	snprintf(o->err, sizeof o->err, "%s: %s%s%s", hb_term(path), why, e ? ": " : "",
		 e ? strerror(e) : "");
	return st;
}

static mode_t current_umask(void)
{
	mode_t m = umask(077);
	umask(m);
	return m;
}

enum hb_status hb_outfile_open(struct hb_outfile *o, const char *path)
{
	memset(o, 0, sizeof *o);
	if (!path || !*path)
		return fail(o, HB_ERR_ARG, "(empty)", "no file name", 0);
	if (strlen(path) >= sizeof o->path)
		return fail(o, HB_ERR_ARG, path, "file name too long", 0);
	snprintf(o->path, sizeof o->path, "%s", path);

	struct stat ls;
	int lrc = lstat(path, &ls);
	if (lrc != 0 && errno != ENOENT)
		return fail(o, HB_ERR_IO, path, "cannot look at it", errno);
	if (lrc == 0 && S_ISLNK(ls.st_mode)) {
		if (ls.st_uid != geteuid() && ls.st_uid != 0)
			return fail(o, HB_ERR_PERM, path,
				    "is a symbolic link owned by another user; not followed (remove it "
				    "or choose another name)", 0);
		char *real = realpath(path, NULL);
		struct stat ts;
		if (real) {
			snprintf(o->path, sizeof o->path, "%s", real);
			free(real);
		} else if (!(stat(path, &ts) == 0 && !S_ISREG(ts.st_mode) && !S_ISDIR(ts.st_mode))) {
			/* (/dev/stdout on a pipe ends in "pipe:[N]", no path, but opens: below) */
			return fail(o, HB_ERR_IO, path, "symbolic link to a path that cannot be resolved",
				    errno);
		}
	}

	struct stat st;
	if (stat(o->path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return fail(o, HB_ERR_ARG, path, "is a directory", 0);
		if (!S_ISREG(st.st_mode)) { /* a device or FIFO: write to it as it is */
			int fd = open(o->path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
			if (fd < 0 || !(o->f = fdopen(fd, "w"))) {
				int e = errno;
				if (fd >= 0)
					close(fd);
				return fail(o, HB_ERR_IO, path, "cannot open", e);
			}
			return HB_OK;
		}
	}

	/* A new file beside the target: <dir>/.<name>.XXXXXX */
	char dirbuf[4096], basebuf[4096];
	snprintf(dirbuf, sizeof dirbuf, "%s", o->path);
	snprintf(basebuf, sizeof basebuf, "%s", o->path);
	const char *dir = dirname(dirbuf), *base = basename(basebuf);
	int n = snprintf(o->tmp, sizeof o->tmp, "%s/.%s.XXXXXX", dir, base);
	if (n < 0 || (size_t)n >= sizeof o->tmp) {
		o->tmp[0] = 0;
		return fail(o, HB_ERR_ARG, path, "file name too long", 0);
	}
	int fd = mkostemp(o->tmp, O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		o->tmp[0] = 0;
		struct stat ds;
		if ((e == ENOENT || e == ENOTDIR) && stat(dir, &ds) != 0) {
			char why[300];
			snprintf(why, sizeof why, "directory %.250s does not exist", hb_term(dir));
			return fail(o, HB_ERR_NOTFOUND, path, why, 0);
		}
		char why[300];
		snprintf(why, sizeof why, "cannot create a file in its directory %.250s", hb_term(dir));
		return fail(o, HB_ERR_IO, path, why, e);
	}
	o->f = fdopen(fd, "w");
	if (!o->f) {
		int e = errno;
		close(fd);
		unlink(o->tmp);
		o->tmp[0] = 0;
		return fail(o, HB_ERR_IO, path, "cannot open", e);
	}
	return HB_OK;
}

enum hb_status hb_outfile_commit(struct hb_outfile *o)
{
	if (!o->f)
		return o->err[0] ? HB_ERR_IO : HB_ERR_ARG;
	int bad = fflush(o->f) != 0 || ferror(o->f);
	int e = errno;
	if (!bad && o->tmp[0] && fchmod(fileno(o->f), 0666 & ~current_umask()) != 0)
		bad = 1, e = errno;
	if (fclose(o->f) != 0 && !bad)
		bad = 1, e = errno;
	o->f = NULL;
	if (!bad && o->tmp[0] && rename(o->tmp, o->path) != 0)
		bad = 1, e = errno;
	if (bad) {
		if (o->tmp[0])
			unlink(o->tmp);
		o->tmp[0] = 0;
		return fail(o, HB_ERR_IO, o->path, "write failed", e);
	}
	o->tmp[0] = 0;
	return HB_OK;
}

void hb_outfile_abort(struct hb_outfile *o)
{
	if (o->f)
		fclose(o->f);
	o->f = NULL;
	if (o->tmp[0])
		unlink(o->tmp);
	o->tmp[0] = 0;
}

enum hb_status hb_outfile_check(const char *path, char *err, size_t errlen)
{
	struct hb_outfile o;
	struct stat st;
	if (err && errlen)
		err[0] = 0;
	/* a FIFO would block an open until somebody reads it: its permission says enough */
	if (path && *path && stat(path, &st) == 0 && S_ISFIFO(st.st_mode)) {
		if (access(path, W_OK) == 0)
			return HB_OK;
		int e = errno;
		memset(&o, 0, sizeof o);
		fail(&o, HB_ERR_PERM, path, "FIFO not writable", e);
		if (err && errlen)
			snprintf(err, errlen, "%s", o.err);
		return HB_ERR_PERM;
	}
	/* the very steps of writing it, without the data: a temporary file made and removed */
	enum hb_status rc = hb_outfile_open(&o, path);
	if (rc != HB_OK && err && errlen)
		snprintf(err, errlen, "%s", o.err);
	hb_outfile_abort(&o);
	return rc;
}
