/* Virtual time (docs/vboard.md, "Virtual time"): a run on the virtual board is a function of
 * its command line and seeds. The same command gives byte-identical result figures with both
 * cores busy, with the board process stopped for 2 s in the middle of a window, and (cycles,
 * results, truth) whatever the pacing. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char g_dir[256];

static void make_dir(void)
{
	if (g_dir[0])
		return;
	snprintf(g_dir, sizeof g_dir, "/tmp/hb-test-vtime-XXXXXX");
	cr_assert_not_null(mkdtemp(g_dir));
}

/* hilbench run, short, in the background; stdout+stderr to DIR/name.out, JSON to DIR/name.json. */
static pid_t start_run(const char *name, const char *extra)
{
	make_dir();
	char cmd[2048];
	snprintf(cmd, sizeof cmd,
		 "exec '%s/bench/hilbench' run --board sim --net digits --samples 6 --windows 3 "
		 "--window-s 0.25 --baseline-s 0.3 --no-db --json '%s/%s.json' %s > '%s/%s.out' 2>&1",
		 getenv("HB_BUILD_DIR"), g_dir, name, extra, g_dir, name);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		setpgid(0, 0); /* like a job a shell starts: Ctrl-C goes to this group */
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static int wait_run(pid_t pid, const char *name)
{
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	int rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (rc != 0) {
		char cmd[600];
		snprintf(cmd, sizeof cmd, "cat '%s/%s.out' >&2", g_dir, name);
		if (system(cmd) != 0)
			fprintf(stderr, "(no output)\n");
	}
	return rc;
}

static cJSON *load(const char *name)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s.json", g_dir, name);
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "no JSON at %s", path);
	static char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	cJSON *j = cJSON_Parse(buf);
	cr_assert_not_null(j, "%s is not JSON", path);
	return j;
}

/* The result figures: the document without its wall-clock fields. */
static char *figures(const char *name)
{
	cJSON *j = load(name);
	cJSON *run = cJSON_GetObjectItemCaseSensitive(j, "run");
	cr_assert_not_null(run);
	cJSON_DeleteItemFromObjectCaseSensitive(run, "started_at");
	cJSON_DeleteItemFromObjectCaseSensitive(run, "finished_at");
	char *s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	return s;
}

/* Two processes that keep both cores busy until killed. */
static void hogs(pid_t h[2])
{
	for (int i = 0; i < 2; i++) {
		h[i] = fork();
		cr_assert_geq(h[i], 0);
		if (h[i] == 0) {
			volatile unsigned long x = 0;
			alarm(600); /* never outlive a crashed test */
			for (;;)
				x++;
		}
	}
}

static void kill_hogs(pid_t h[2])
{
	for (int i = 0; i < 2; i++) {
		kill(h[i], SIGKILL);
		waitpid(h[i], NULL, 0);
	}
}

static void expect_same(const char *a, const char *b)
{
	char *fa = figures(a), *fb = figures(b);
	if (strcmp(fa, fb) != 0) {
		size_t i = 0;
		while (fa[i] && fa[i] == fb[i])
			i++;
		size_t from = i > 120 ? i - 120 : 0;
		cr_assert_fail("%s and %s differ at byte %zu:\n  %.240s\n  %.240s", a, b, i, fa + from, fb + from);
	}
	free(fa);
	free(fb);
}

static int file_has(const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s.out", g_dir, name);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	static char buf[1 << 16];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	return strstr(buf, text) != NULL;
}

/* The hilbench-vboard child of pid (found through /proc). */
static pid_t board_of(pid_t parent)
{
	DIR *d = opendir("/proc");
	cr_assert_not_null(d);
	struct dirent *e;
	pid_t found = 0;
	while ((e = readdir(d)) && !found) {
		char path[300], buf[512];
		snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		size_t n = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[n] = 0;
		int pid, ppid;
		char comm[64], state;
		if (sscanf(buf, "%d (%63[^)]) %c %d", &pid, comm, &state, &ppid) == 4 && ppid == parent &&
		    strncmp(comm, "hilbench-vboard", 15) == 0)
			found = pid;
	}
	closedir(d);
	return found;
}

static void nap_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

Test(virtual_time, same_figures_on_a_busy_host_and_with_the_board_stopped, .timeout = 900)
{
	/* 1: a quiet machine (as quiet as the test runner's) */
	cr_assert_eq(wait_run(start_run("quiet", ""), "quiet"), 0);

	/* 2: both cores busy the whole time */
	pid_t h[2];
	hogs(h);
	int rc = wait_run(start_run("busy", ""), "busy");
	kill_hogs(h);
	cr_assert_eq(rc, 0, "the run failed on a busy host");
	expect_same("quiet", "busy");

	/* 3: the board process stopped (SIGSTOP) for 2 s in the middle of the windows */
	pid_t run = start_run("stopped", "");
	pid_t board = 0;
	for (int i = 0; i < 6000 && !file_has("stopped", "windows ("); i++) {
		if (!board)
			board = board_of(run);
		nap_ms(10);
	}
	cr_assert(file_has("stopped", "windows ("), "the run never reached its windows");
	if (!board)
		board = board_of(run);
	cr_assert_gt(board, 0, "no hilbench-vboard child found");
	nap_ms(50);
	cr_assert_eq(kill(board, SIGSTOP), 0);
	nap_ms(2000);
	cr_assert_eq(kill(board, SIGCONT), 0);
	cr_assert_eq(wait_run(run, "stopped"), 0, "the run failed after the board was stopped for 2 s");
	expect_same("quiet", "stopped");
}

/* Cycles, results and the truth's energy do not depend on how the board is paced. The host's
 * own sampling is not compared: in fast pace the board outruns it (that is why the default is
 * virtual time). */
Test(virtual_time, cycles_results_and_truth_do_not_depend_on_the_pace, .timeout = 900)
{
	cr_assert_eq(wait_run(start_run("virtual", "--pacing virtual"), "virtual"), 0);
	int rc = wait_run(start_run("fast", "--pacing fast"), "fast");
	cr_assert(rc == 0 || rc == 1, "fast pace: exit %d", rc);
	cJSON *v = load("virtual"), *f = load("fast");
	const cJSON *vt = cJSON_GetObjectItemCaseSensitive(v, "truth");
	const cJSON *ft = cJSON_GetObjectItemCaseSensitive(f, "truth");
	cr_assert_not_null(vt);
	cr_assert_not_null(ft, "fast pace: no truth section (windows not measured?)");
	/* All exact: the board's energy depends only on what it computed (its warm-up leakage
	 * follows busy cycles, not time: gateware/vboard/vb_power.c). */
	const char *keys[] = {"latency_cycles", "inferences", "energy_total_nj", "p_active_mw"};
	const double tol[] = {0, 0, 1e-12, 1e-12};
	for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(vt, keys[k]);
		const cJSON *b = cJSON_GetObjectItemCaseSensitive(ft, keys[k]);
		cr_assert(cJSON_IsNumber(a) && cJSON_IsNumber(b), "truth.%s missing", keys[k]);
		cr_assert(fabs(a->valuedouble - b->valuedouble) <= tol[k] * fabs(a->valuedouble),
			  "truth.%s: virtual %.9g, fast %.9g", keys[k], a->valuedouble, b->valuedouble);
	}
	const cJSON *vm = cJSON_GetObjectItemCaseSensitive(v, "measured");
	const cJSON *fm = cJSON_GetObjectItemCaseSensitive(f, "measured");
	cr_assert_eq(cJSON_GetObjectItemCaseSensitive(vm, "latency_cycles")->valuedouble,
		     cJSON_GetObjectItemCaseSensitive(fm, "latency_cycles")->valuedouble);
	cr_assert_eq(cJSON_GetObjectItemCaseSensitive(vm, "golden_mismatches")->valuedouble, 0);
	cr_assert_eq(cJSON_GetObjectItemCaseSensitive(fm, "golden_mismatches")->valuedouble, 0);
	cr_assert_eq(cJSON_GetObjectItemCaseSensitive(vm, "golden_checked")->valuedouble,
		     cJSON_GetObjectItemCaseSensitive(fm, "golden_checked")->valuedouble);
	cJSON_Delete(v);
	cJSON_Delete(f);
}

/* Ctrl-C at the terminal reaches hilbench's process group only: the board (in its own group)
 * keeps running, hilbench finishes the window in progress and stores the run as
 * interrupted, with what it measured. */
Test(virtual_time, ctrl_c_stops_the_run_and_keeps_what_was_measured, .timeout = 600)
{
	pid_t run = start_run("ctrlc", "--windows 40");
	for (int i = 0; i < 6000 && !file_has("ctrlc", "windows ("); i++)
		nap_ms(10);
	cr_assert(file_has("ctrlc", "windows ("), "the run never reached its windows");
	pid_t board = board_of(run);
	cr_assert_gt(board, 0);
	cr_assert_neq(getpgid(board), run, "the board must not be in hilbench's process group");
	nap_ms(300);
	cr_assert_eq(kill(-run, SIGINT), 0);
	int rc = wait_run(run, "ctrlc");
	cr_assert_eq(rc, 1, "an interrupted run exits 1 (got %d)", rc);
	cr_assert(file_has("ctrlc", "interrupted"), "the run must say it was interrupted");
	cJSON *j = load("ctrlc");
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "run"), "status");
	cr_assert(cJSON_IsString(st) && strcmp(st->valuestring, "interrupted") == 0, "status %s",
		  cJSON_IsString(st) ? st->valuestring : "?");
	const cJSON *ws = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "measured"), "windows");
	int n = cJSON_GetArraySize(ws);
	cr_assert(n >= 1 && n < 40, "%d windows kept", n);
	cJSON_Delete(j);
	/* and the board was stopped by hilbench, not left behind */
	for (int i = 0; i < 300 && kill(board, 0) == 0; i++)
		nap_ms(10);
	cr_assert_neq(kill(board, 0), 0, "the virtual board outlived the run");
}
