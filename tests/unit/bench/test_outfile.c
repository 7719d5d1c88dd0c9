/* hb_outfile: result files created without following a planted symlink, replaced whole. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hb_outfile.h"

static char g_dir[64];

static void enter_dir(void)
{
	snprintf(g_dir, sizeof g_dir, "/tmp/hb_outfile_XXXXXX");
	cr_assert_not_null(mkdtemp(g_dir));
	cr_assert_eq(chdir(g_dir), 0);
}

static void leave_dir(void)
{
	DIR *d = opendir(g_dir);
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(dirfd(d), e->d_name, 0);
	if (d)
		closedir(d);
	cr_assert_eq(chdir("/"), 0);
	rmdir(g_dir);
}

TestSuite(outfile, .init = enter_dir, .fini = leave_dir);

static const char *slurp(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	return buf;
}

static int entries(void)
{
	int n = 0;
	DIR *d = opendir(".");
	struct dirent *e;
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

Test(outfile, new_file_appears_whole_with_the_umask_mode)
{
	struct hb_outfile o;
	mode_t old = umask(022);
	cr_assert_eq(hb_outfile_open(&o, "r.json"), HB_OK, "%s", o.err);
	fputs("{}\n", o.f);
	cr_assert_neq(access("r.json", F_OK), 0, "visible before commit");
	cr_assert_eq(entries(), 1); /* the temporary file */
	struct stat st;
	cr_assert_eq(fstat(fileno(o.f), &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600, "readable by others while written");
	cr_assert_eq(hb_outfile_commit(&o), HB_OK, "%s", o.err);
	umask(old);
	cr_assert_str_eq(slurp("r.json"), "{}\n");
	cr_assert_eq(stat("r.json", &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0644);
	cr_assert_eq(entries(), 1);
}

Test(outfile, abort_keeps_the_old_file)
{
	write_file("r.csv", "old\n");
	struct hb_outfile o;
	cr_assert_eq(hb_outfile_open(&o, "r.csv"), HB_OK);
	fputs("half", o.f);
	hb_outfile_abort(&o);
	cr_assert_str_eq(slurp("r.csv"), "old\n");
	cr_assert_eq(entries(), 1);
}

/* A link the user made is followed (the data lands in its target); a link owned by another
 * user (planted in /tmp) is refused and its target untouched. */
Test(outfile, symlinks_own_followed_foreign_refused)
{
	write_file("target", "precious\n");
	cr_assert_eq(symlink("target", "mine.json"), 0);
	struct hb_outfile o;
	cr_assert_eq(hb_outfile_open(&o, "mine.json"), HB_OK, "%s", o.err);
	fputs("new\n", o.f);
	cr_assert_eq(hb_outfile_commit(&o), HB_OK, "%s", o.err);
	struct stat st;
	cr_assert_eq(lstat("mine.json", &st), 0);
	cr_assert(S_ISLNK(st.st_mode), "the user's link was replaced");
	cr_assert_str_eq(slurp("target"), "new\n");

	write_file("target", "precious\n");
	cr_assert_eq(symlink("target", "planted.json"), 0);
	if (geteuid() != 0 || lchown("planted.json", 65534, 65534) != 0)
		cr_skip_test("making a link owned by another user needs root");
	cr_assert_eq(hb_outfile_open(&o, "planted.json"), HB_ERR_PERM);
	cr_assert(strstr(o.err, "owned by another user"), "%s", o.err);
	hb_outfile_abort(&o);
	cr_assert_str_eq(slurp("target"), "precious\n");
	cr_assert_eq(entries(), 3);
}

Test(outfile, devices_directories_and_bad_names)
{
	struct hb_outfile o;
	cr_assert_eq(hb_outfile_open(&o, "/dev/null"), HB_OK, "%s", o.err);
	cr_assert_str_eq(o.tmp, "", "a device is written in place");
	fputs("x", o.f);
	cr_assert_eq(hb_outfile_commit(&o), HB_OK);
	cr_assert_eq(mkdir("d", 0700), 0);
	cr_assert_eq(hb_outfile_open(&o, "d"), HB_ERR_ARG);
	cr_assert(strstr(o.err, "directory"), "%s", o.err);
	cr_assert_eq(hb_outfile_open(&o, ""), HB_ERR_ARG);
	cr_assert_eq(hb_outfile_open(&o, "missing/dir/r.json"), HB_ERR_NOTFOUND);
	cr_assert(strstr(o.err, "missing/dir/r.json"), "%s", o.err);
	cr_assert(strstr(o.err, "directory missing/dir does not exist"), "%s", o.err);
	hb_outfile_abort(&o);
	cr_assert_eq(entries(), 1);
}

/* A run checks its outputs before it measures: the same verdicts as opening them, and
 * nothing left behind (issue 13). */
Test(outfile, check_says_what_open_would_and_leaves_nothing)
{
	char err[600];
	cr_assert_eq(hb_outfile_check("r.json", err, sizeof err), HB_OK, "%s", err);
	cr_assert_eq(access("r.json", F_OK), -1, "a check does not create the file");
	cr_assert_eq(entries(), 0, "nor leaves a temporary file");
	FILE *f = fopen("old.json", "w");
	fputs("old", f);
	fclose(f);
	cr_assert_eq(hb_outfile_check("old.json", err, sizeof err), HB_OK, "%s", err);
	f = fopen("old.json", "r");
	char buf[8] = "";
	cr_assert_not_null(fgets(buf, sizeof buf, f));
	fclose(f);
	cr_assert_str_eq(buf, "old", "an existing file is left as it is");
	cr_assert_eq(mkdir("d", 0700), 0);
	cr_assert_eq(hb_outfile_check("d", err, sizeof err), HB_ERR_ARG);
	cr_assert(strstr(err, "d: is a directory"), "%s", err);
	cr_assert_eq(hb_outfile_check("nope/r.json", err, sizeof err), HB_ERR_NOTFOUND);
	cr_assert(strstr(err, "directory nope does not exist"), "%s", err);
	cr_assert_neq(hb_outfile_check("old.json/r.json", err, sizeof err), HB_OK);
	cr_assert(strstr(err, "Not a directory"), "%s", err);
	/* not writable even for root: /proc holds no files of ours */
	cr_assert_neq(hb_outfile_check("/proc/hb-check.json", err, sizeof err), HB_OK);
	cr_assert(strstr(err, "/proc/hb-check.json"), "%s", err);
	cr_assert_eq(hb_outfile_check("/dev/null", err, sizeof err), HB_OK, "%s", err);
	cr_assert_eq(entries(), 2, "only old.json and d");
}

/* /dev/stdout on a pipe is a link to "pipe:[N]", which is no path: it is written in place,
 * and a check says so too (it failed at the end of a run with --json /dev/stdout | jq). */
Test(outfile, link_to_a_pipe_is_written_in_place)
{
	int p[2];
	cr_assert_eq(pipe(p), 0);
	char path[64], err[600];
	snprintf(path, sizeof path, "/proc/self/fd/%d", p[1]);
	cr_assert_eq(hb_outfile_check(path, err, sizeof err), HB_OK, "%s", err);
	struct hb_outfile o;
	cr_assert_eq(hb_outfile_open(&o, path), HB_OK, "%s", o.err);
	fputs("x", o.f);
	cr_assert_eq(hb_outfile_commit(&o), HB_OK, "%s", o.err);
	char c = 0;
	cr_assert_eq(read(p[0], &c, 1), 1);
	cr_assert_eq(c, 'x');
	close(p[0]);
	close(p[1]);
}
