/* Bad input exits 2 through every command that reads it, with FILE:LINE: FIELD in the
 * message (README "Exit codes"): malformed board profiles (run, power, flash, boards),
 * malformed or unusable network files (run, infer), a boards directory that does not exist,
 * a profile that is a directory. Nothing here starts a board: every case fails while the
 * inputs are resolved. */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *src_dir(void)
{
	const char *s = getenv("HB_SOURCE_DIR");
	cr_assert(s && *s, "HB_SOURCE_DIR is not set (run through ctest)");
	return s;
}

/* Run `hilbench ARGS` (stderr folded into out); the exit status. */
static int hilbench(const char *args, char *out, size_t cap)
{
	char cmd[PATH_MAX + 1024];
	const char *build = getenv("HB_BUILD_DIR");
	cr_assert(build && *build);
	snprintf(cmd, sizeof cmd, "%s/bench/hilbench %s 2>&1", build, args);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	size_t n = fread(out, 1, cap - 1, p);
	out[n] = '\0';
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* "FILE:LINE: FIELD: " of a broken fixture, from its expect- headers. */
static void fixture_where(const char *name, char *out, size_t cap)
{
	char path[PATH_MAX], line[512], field[512] = "", lno[512] = "";
	snprintf(path, sizeof path, "%s/tests/data/boards/bad/%s.ini", src_dir(), name);
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	while (fgets(line, sizeof line, f) && line[0] == '#') {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "# expect-field: ", 16))
			snprintf(field, sizeof field, "%s", line + 16);
		if (!strncmp(line, "# expect-line: ", 15))
			snprintf(lno, sizeof lno, "%s", line + 15);
	}
	fclose(f);
	cr_assert(field[0] && lno[0], "%s: no expect- headers", path);
	snprintf(out, cap, "%s.ini:%s: %s: ", name, lno, field);
}

static const char *const board_cmds[] = {"run --no-db -q", "power", "flash"};

Test(bad_input, malformed_profiles_exit_2_naming_file_line_field_in_every_command)
{
	static char out[16384];
	const char *fixtures[] = {"bad_number", "duplicate_section", "nul_in_value", "zero_shunt",
				  "missing_field"};
	for (size_t f = 0; f < sizeof fixtures / sizeof fixtures[0]; f++) {
		char where[1200];
		fixture_where(fixtures[f], where, sizeof where);
		for (size_t c = 0; c < sizeof board_cmds / sizeof board_cmds[0]; c++) {
			char args[PATH_MAX + 256];
			snprintf(args, sizeof args, "--boards-dir %s/tests/data/boards/bad %s --board %s",
				 src_dir(), board_cmds[c], fixtures[f]);
			int rc = hilbench(args, out, sizeof out);
			cr_assert_eq(rc, 2, "hilbench %s: exit %d, want 2:\n%s", args, rc, out);
			cr_assert(strstr(out, where), "hilbench %s: no '%s' in:\n%s", args, where, out);
		}
	}
}

Test(bad_input, networks_that_cannot_run_exit_2_naming_file_line_field)
{
	static char out[16384];
	char args[PATH_MAX + 256];
	/* L = 0 is malformed (out of the format's range), L = 12 loads but cannot be streamed:
	 * both are the user's input, both exit 2 and point at the L field (line 5, column 8) */
	const char *nets[] = {"bad_L0.json", "tiny_L12.json", "bad_crc.json", "bad_syntax.json"};
	for (size_t i = 0; i < sizeof nets / sizeof nets[0]; i++) {
		snprintf(args, sizeof args, "run --no-db -q --net %s/tests/data/model/%s", src_dir(),
			 nets[i]);
		int rc = hilbench(args, out, sizeof out);
		cr_assert_eq(rc, 2, "hilbench %s: exit %d, want 2:\n%s", args, rc, out);
		char where[64];
		snprintf(where, sizeof where, "%s:", nets[i]);
		cr_assert(strstr(out, where), "%s: no position in:\n%s", args, out);
	}
	snprintf(args, sizeof args, "run --no-db -q --net %s/tests/data/model/bad_L0.json", src_dir());
	hilbench(args, out, sizeof out);
	cr_assert(strstr(out, "bad_L0.json:5:8: L: "), "%s", out);
	snprintf(args, sizeof args, "run --no-db -q --net %s/tests/data/model/tiny_L12.json", src_dir());
	hilbench(args, out, sizeof out);
	cr_assert(strstr(out, "tiny_L12.json:5:8: L: 12"), "%s", out);
	snprintf(args, sizeof args, "infer --net %s/tests/data/model/bad_L0.json --input /dev/null",
		 src_dir());
	cr_assert_eq(hilbench(args, out, sizeof out), 2, "%s", out);
	cr_assert(strstr(out, "bad_L0.json:5:8: L: "), "%s", out);
	/* model takes no file: a bad layer spec is its bad input */
	cr_assert_eq(hilbench("model --layers 784x0", out, sizeof out), 2, "%s", out);
}

Test(bad_input, a_boards_dir_that_does_not_exist_is_an_error)
{
	static char out[4096];
	cr_assert_eq(hilbench("--boards-dir /nonexistent/boards boards", out, sizeof out), 2, "%s",
		     out);
	cr_assert(strstr(out, "--boards-dir '/nonexistent/boards'") &&
			  strstr(out, "No such file or directory"),
		  "%s", out);
	cr_assert_eq(hilbench("--boards-dir /etc/hostname run --no-db", out, sizeof out), 2, "%s", out);
	cr_assert(strstr(out, "not a directory"), "%s", out);
	cr_assert_eq(hilbench("--boards-dir /nonexistent power --board sim", out, sizeof out), 2, "%s",
		     out);
	char args[PATH_MAX + 64];
	snprintf(args, sizeof args, "--boards-dir %s/tests/data/boards/user boards", src_dir());
	cr_assert_eq(hilbench(args, out, sizeof out), 0, "an existing dir still works: %s", out);
}

Test(bad_input, a_profile_that_is_a_directory_says_so)
{
	static char out[4096];
	char dir[] = "/tmp/hb-dirprofile-XXXXXX", sub[PATH_MAX], args[PATH_MAX + 128];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(sub, sizeof sub, "%s/dirboard.ini", dir);
	cr_assert_eq(mkdir(sub, 0755), 0);
	snprintf(args, sizeof args, "--boards-dir %s boards show dirboard", dir);
	int rc = hilbench(args, out, sizeof out);
	snprintf(args, sizeof args, "--boards-dir %s run --no-db --board dirboard", dir);
	int rc_run = hilbench(args, out + strlen(out), sizeof out - strlen(out));
	rmdir(sub);
	rmdir(dir);
	cr_assert_eq(rc, 2, "%s", out);
	cr_assert_eq(rc_run, 2, "%s", out);
	cr_assert(strstr(out, "dirboard.ini: is a directory, not a board profile"), "%s", out);
}

/* Garbage from an input file is quoted escaped, never raw (an ESC would reach the terminal). */
Test(bad_input, garbage_in_a_message_is_escaped)
{
	static char out[16384];
	char args[PATH_MAX + 256];
	snprintf(args, sizeof args, "infer --net %s/tests/data/model/bad_binary.json --input /dev/null",
		 src_dir());
	cr_assert_eq(hilbench(args, out, sizeof out), 2, "%s", out);
	cr_assert(strstr(out, "near 'x\\x1b[2J\\xff"), "%s", out);
	snprintf(args, sizeof args, "--boards-dir %s/tests/data/boards/bad boards show escape_in_value",
		 src_dir());
	cr_assert_eq(hilbench(args, out + strlen(out), sizeof out - strlen(out)), 2, "%s", out);
	cr_assert(strstr(out, "fpga.part: control byte 0x1B"), "%s", out);
	for (const char *p = out; *p; p++)
		cr_assert((unsigned char)*p >= 0x20 || *p == '\n', "raw byte 0x%02X in:\n%s",
			  (unsigned char)*p, out);
}
