/* The power-trace plot (bench/run/hb_plot.c): names from files never become gnuplot code.
 *
 * Every title part (network, board, rail, rail label) and the output path get each hostile
 * value below: the issue's `x';system 'touch PWNED';#`, double quotes, backslashes, newlines,
 * backquote substitution, macros, invalid UTF-8, SVG markup. gnuplot runs in the test's
 * directory, so a command that got through would create ./PWNED. Each case asserts that it
 * does not, and that the plot was still drawn (a complete SVG with the title in it). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hb_plot.h"
#include "hb_term.h"

static const char *const hostile[] = {
	"x';system 'touch PWNED';#",
	"x\"; system(\"touch PWNED\"); \"",
	"x`touch PWNED`y",
	"\"`touch PWNED`\"",
	"x\\'; system 'touch PWNED'; #\\",
	"x\\\"; system \"touch PWNED\"; #",
	"a\nsystem 'touch PWNED'\n#",
	"a\rsystem 'touch PWNED'\r",
	"@m; eval \"system('touch PWNED')\"",
	"$(touch PWNED); !touch PWNED",
	"\xff\xfe';system 'touch PWNED';#\xc3",
	"</text><script>touch PWNED</script>&amp;",
	"\x1b]0;touch PWNED\x07\xc2\x9b",
};
#define N_HOSTILE (sizeof hostile / sizeof hostile[0])

static char g_dir[64];

static void enter_dir(void)
{
	snprintf(g_dir, sizeof g_dir, "/tmp/hb_plot_XXXXXX");
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

TestSuite(plot, .init = enter_dir, .fini = leave_dir, .timeout = 120);

#define N_SAMPLES 200
static double g_t[N_SAMPLES], g_p[N_SAMPLES];
static const struct hb_plot_span g_win[2] = {{0.5, 0.9}, {1.1, 1.5}};

static struct hb_plot base_plot(void)
{
	for (int i = 0; i < N_SAMPLES; i++) {
		g_t[i] = i * 0.01;
		g_p[i] = 70 + 3 * sin(i * 0.1);
	}
	return (struct hb_plot){.t_s = g_t, .power_mw = g_p, .n = N_SAMPLES, .windows = g_win,
				.n_windows = 2, .have_idle = 1, .idle_mw = 70.0, .net = "digits",
				.board = "sim", .rail = "vcc3v3", .rail_label = "3.3 V"};
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "no plot at %s", path);
	static char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	*len = n;
	return buf;
}

/* A complete SVG, valid UTF-8, with the title drawn and no markup from the names. */
static void assert_drawn(const char *path, const char *title_part)
{
	size_t len;
	char *svg = slurp(path, &len);
	cr_assert(strstr(svg, "<svg") && strstr(svg, "</svg>"), "%s is not a complete SVG", path);
	cr_assert(strstr(svg, "idle baseline") && strstr(svg, "INA219 samples"), "trace missing");
	cr_assert(strstr(svg, title_part), "title part '%s' not in the plot", title_part);
	cr_assert_null(strstr(svg, "<script"), "markup from a name reached the SVG");
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = hb_utf8_seq(svg + i, len - i, &cp);
		cr_assert(n > 0, "byte %zu of the SVG is not UTF-8", i);
		i += n;
	}
}

static void assert_no_command_ran(const char *what, size_t i)
{
	cr_assert_neq(access("PWNED", F_OK), 0, "%s value %zu ran a command in gnuplot", what, i);
}

/* gnuplot takes a digit right after an octal escape as a fourth octal digit: "3.3 V" once
 * came out as "3s V" ('.' = \056, then "3": \0563 = 's'). */
Test(plot, a_digit_after_an_escaped_character_stays_a_digit)
{
	struct hb_plot p = base_plot();
	p.rail_label = "3.3 V, 1.2-1.8 V";
	cr_assert_eq(hb_plot_write(&p, "digits.svg"), HB_OK);
	assert_drawn("digits.svg", "3.3 V, 1.2-1.8 V");
	unlink("digits.svg");
}

/* Per-inference energies: a histogram under the trace. */
Test(plot, a_per_inference_histogram_goes_under_the_trace)
{
	struct hb_plot p = base_plot();
	double e[50];
	for (int i = 0; i < 50; i++)
		e[i] = 1000 + (i * 7) % 13;
	p.hist_nj = e;
	p.n_hist = 50;
	cr_assert_eq(hb_plot_write(&p, "hist.svg"), HB_OK);
	assert_drawn("hist.svg", "digits");
	size_t len;
	char *svg = slurp("hist.svg", &len);
	cr_assert(strstr(svg, "energy per inference (nJ)") && strstr(svg, "per-inference energy"),
		  "no histogram in the plot");
	unlink("hist.svg");
}

Test(plot, hostile_title_parts_are_text_not_code)
{
	static const char *const fields[] = {"net", "board", "rail", "rail label"};
	for (size_t f = 0; f < 4; f++) {
		for (size_t i = 0; i < N_HOSTILE; i++) {
			struct hb_plot p = base_plot();
			const char **slot = f == 0 ? &p.net : f == 1 ? &p.board : f == 2 ? &p.rail : &p.rail_label;
			*slot = hostile[i];
			cr_assert_eq(hb_plot_write(&p, "trace.svg"), HB_OK, "%s value %zu", fields[f], i);
			assert_no_command_ran(fields[f], i);
			assert_drawn("trace.svg", "touch PWNED");
			unlink("trace.svg");
		}
	}
}

Test(plot, hostile_output_paths_are_file_names_not_code)
{
	cr_assert_eq(hb_plot_write(&(struct hb_plot){0}, "x.svg"), HB_ERR_ARG); /* no samples */
	for (size_t i = 0; i < N_HOSTILE; i++) {
		if (strchr(hostile[i], '/'))
			continue; /* not a file name: covered by the directory case below */
		char path[256];
		snprintf(path, sizeof path, "%s.svg", hostile[i]);
		struct hb_plot p = base_plot();
		cr_assert_eq(hb_plot_write(&p, path), HB_OK, "path value %zu", i);
		assert_no_command_ran("path", i);
		assert_drawn(path, "digits");
		unlink(path);
	}
	/* a directory with such a name */
	char dir[128], path[256];
	snprintf(dir, sizeof dir, "d';system 'touch PWNED';#`touch PWNED`");
	cr_assert_eq(mkdir(dir, 0700), 0);
	snprintf(path, sizeof path, "%s/x';system 'touch PWNED';#.svg", dir);
	struct hb_plot p = base_plot();
	cr_assert_eq(hb_plot_write(&p, path), HB_OK);
	assert_no_command_ran("directory", 0);
	assert_drawn(path, "digits");
	unlink(path);
	rmdir(dir);
}

Test(plot, png_is_drawn_too)
{
	struct hb_plot p = base_plot();
	p.net = hostile[0];
	cr_assert_eq(hb_plot_write(&p, "trace.png"), HB_OK);
	assert_no_command_ran("net (png)", 0);
	size_t len;
	char *png = slurp("trace.png", &len);
	cr_assert(len > 8 && memcmp(png, "\x89PNG\r\n\x1a\n", 8) == 0, "not a PNG");
}

static int count_entries(void)
{
	int n = 0;
	DIR *d = opendir(".");
	struct dirent *e;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.' || (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."));
	closedir(d);
	return n;
}

/* gnuplot failing or missing: an error, the old file kept whole, no temporary left. */
Test(plot, failures_keep_the_old_file_and_leave_nothing_behind)
{
	FILE *f = fopen("trace.svg", "w");
	fputs("old plot\n", f);
	fclose(f);
	struct hb_plot p = base_plot();
	setenv("HB_GNUPLOT", "false", 1);
	cr_assert_eq(hb_plot_write(&p, "trace.svg"), HB_ERR_IO);
	setenv("HB_GNUPLOT", "/nonexistent/gnuplot", 1);
	cr_assert_eq(hb_plot_write(&p, "trace.svg"), HB_ERR_NOTFOUND);
	unsetenv("HB_GNUPLOT");
	size_t len;
	cr_assert_str_eq(slurp("trace.svg", &len), "old plot\n");
	cr_assert_eq(count_entries(), 1, "a temporary file was left behind");
	cr_assert_eq(hb_plot_write(&p, "trace.pdf"), HB_ERR_ARG);
	cr_assert_eq(count_entries(), 1);
	cr_assert_eq(hb_plot_write(&p, "trace.svg"), HB_OK);
	assert_drawn("trace.svg", "digits");
	cr_assert_eq(count_entries(), 1);
}
