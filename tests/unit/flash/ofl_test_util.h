/* Helpers for the openFPGALoader stand-in tests: run a program with its stdout and stderr
 * captured apart, make bitstream files, find the programs of this build. */
#ifndef OFL_TEST_UTIL_H
#define OFL_TEST_UTIL_H

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct proc_out {
	int code; /* exit code, or 128 + signal */
	char out[65536];
	char err[16384];
};

static inline void slurp(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(buf, 1, cap - 1, f) : 0;
	buf[n] = 0;
	if (f)
		fclose(f);
}

/* Run prog with argv (argv[0] included, NULL-terminated), in the current environment. */
static inline void run_prog(const char *prog, char *const argv[], struct proc_out *r)
{
	char o[] = "/tmp/hb-ofl-out-XXXXXX", e[] = "/tmp/hb-ofl-err-XXXXXX";
	int fo = mkstemp(o), fe = mkstemp(e);
	cr_assert(fo >= 0 && fe >= 0);
	fflush(NULL);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		dup2(in, 0);
		dup2(fo, 1);
		dup2(fe, 2);
		execv(prog, argv);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		;
	close(fo);
	close(fe);
	r->code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	slurp(o, r->out, sizeof r->out);
	slurp(e, r->err, sizeof r->err);
	unlink(o);
	unlink(e);
}

static inline const char *standin_path(void)
{
	static char p[512];
	const char *b = getenv("HB_BUILD_DIR");
	cr_assert_not_null(b, "HB_BUILD_DIR not set");
	snprintf(p, sizeof p, "%s/bench/hilbench-ofl-standin", b);
	cr_assert_eq(access(p, X_OK), 0, "%s not built", p);
	return p;
}

/* The installed openFPGALoader, or skip: the stand-in checks against its tables. */
static inline const char *real_ofl(void)
{
	static const char *const where[] = {"/usr/bin/openFPGALoader", "/usr/local/bin/openFPGALoader"};
	for (size_t i = 0; i < 2; i++)
		if (access(where[i], X_OK) == 0)
			return where[i];
	cr_skip_test("openFPGALoader is not installed (bench/setup.sh installs it)");
	return NULL;
}

static inline void write_bytes(const char *path, const void *d, size_t n)
{
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f, "%s", path);
	cr_assert_eq(fwrite(d, 1, n, f), n);
	fclose(f);
}

/* sha256sum's digest of a file (an implementation independent of the stand-in's). */
static inline void sha256sum(const char *path, char hex[65])
{
	char cmd[600];
	snprintf(cmd, sizeof cmd, "sha256sum '%s'", path);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	cr_assert_eq(fscanf(p, "%64s", hex), 1);
	pclose(p);
}

#endif
