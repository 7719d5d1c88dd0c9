/* hilbench twin — the installed openFPGALoader's tables (see ofl_tables.h). */
#define _GNU_SOURCE /* pipe2 */
#include "ofl_tables.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define CACHE_MAGIC "hilbench-ofl-tables 1"
enum { RUN_TIMEOUT_MS = 20000, MAX_OUTPUT = 1 << 20 };

static int executable(const char *p)
{
	struct stat sb;
	return stat(p, &sb) == 0 && S_ISREG(sb.st_mode) && access(p, X_OK) == 0;
}

/* 1 when p names the same file as self (a link or a copy under another name). */
static int is_self(const char *p, const char *self)
{
	char rp[PATH_MAX];
	if (!self || !realpath(p, rp))
		return 0;
	return strcmp(rp, self) == 0;
}

enum hb_status hb_ofl_find_real(char *buf, size_t cap, const char *self, char *err, size_t ecap)
{
	const char *env = getenv("HB_OFL_REAL");
	if (env && *env) {
		if (!executable(env)) {
			snprintf(err, ecap, "HB_OFL_REAL=%s is not an executable file", env);
			return HB_ERR_NOTFOUND;
		}
		if (is_self(env, self)) {
			snprintf(err, ecap, "HB_OFL_REAL=%s is this stand-in, not openFPGALoader", env);
			return HB_ERR_ARG;
		}
		snprintf(buf, cap, "%s", env);
		return HB_OK;
	}
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		const char *end = strchr(path, ':');
		size_t n = end ? (size_t)(end - path) : strlen(path);
		if (n > 0 && n + 16 < cap) {
			snprintf(buf, cap, "%.*s/openFPGALoader", (int)n, path);
			if (executable(buf) && !is_self(buf, self))
				return HB_OK;
		}
		path += n + (end ? 1 : 0);
	}
	buf[0] = 0;
	snprintf(err, ecap, "the real openFPGALoader is not on PATH (apt install openfpgaloader, "
		 "or set HB_OFL_REAL): the stand-in checks arguments against its tables");
	return HB_ERR_NOTFOUND;
}

/* ---- parsing ---- */

static char *next_line(const char **p)
{
	const char *s = *p;
	if (!*s)
		return NULL;
	size_t n = strcspn(s, "\n");
	char *line = strndup(s, n);
	*p = s + n + (s[n] == '\n');
	if (line) {
		size_t k = strlen(line);
		while (k && (line[k - 1] == '\r' || line[k - 1] == ' '))
			line[--k] = 0;
	}
	return line;
}

static int grow(void **arr, size_t n, size_t elem)
{
	if (n && (n & (n - 1)))
		return 0; /* capacity is the next power of two */
	size_t cap = n ? 2 * n : 16;
	void *p = realloc(*arr, cap * elem);
	if (!p)
		return -1;
	*arr = p;
	return 0;
}

const struct hb_ofl_cable *hb_ofl_tables_cable(const struct hb_ofl_tables *t, const char *name)
{
	for (size_t i = 0; i < t->n_cables; i++)
		if (strcmp(t->cables[i].name, name) == 0)
			return &t->cables[i];
	return NULL;
}

const struct hb_ofl_board *hb_ofl_tables_board(const struct hb_ofl_tables *t, const char *name)
{
	for (size_t i = 0; i < t->n_boards; i++)
		if (strcmp(t->boards[i].name, name) == 0)
			return &t->boards[i];
	return NULL;
}

const struct hb_ofl_option *hb_ofl_tables_long(const struct hb_ofl_tables *t, const char *name)
{
	for (size_t i = 0; i < t->n_opts; i++)
		if (strcmp(t->opts[i].name, name) == 0)
			return &t->opts[i];
	return NULL;
}

const struct hb_ofl_option *hb_ofl_tables_short(const struct hb_ofl_tables *t, char c)
{
	for (size_t i = 0; i < t->n_opts; i++)
		if (c && t->opts[i].shrt == c)
			return &t->opts[i];
	return NULL;
}

static enum hb_status add_cable(struct hb_ofl_tables *t, const char *line, char *err, size_t ecap)
{
	char name[64], id[32];
	unsigned vid, pid;
	char tail;
	if (sscanf(line, "%63s %31s %c", name, id, &tail) != 2 || strlen(name) >= 48 ||
	    sscanf(id, "0x%x:%x%c", &vid, &pid, &tail) != 2 || vid > 0xffff || pid > 0xffff) {
		snprintf(err, ecap, "--list-cables: cannot read the line '%.80s'", line);
		return HB_ERR_FORMAT;
	}
	if (grow((void **)&t->cables, t->n_cables, sizeof *t->cables))
		return HB_ERR_NOMEM;
	struct hb_ofl_cable *c = &t->cables[t->n_cables++];
	snprintf(c->name, sizeof c->name, "%s", name);
	c->vid = vid;
	c->pid = pid;
	return HB_OK;
}

/* openFPGALoader prints "setw(25) << left << name << cable": a name of 25 characters or
 * more runs into its cable. Such a token is split where its tail is a known cable. */
static enum hb_status add_board(struct hb_ofl_tables *t, const char *line, char *err, size_t ecap)
{
	char a[160] = "", b[160] = "", tail[2];
	int n = sscanf(line, "%159s %159s %1s", a, b, tail);
	if (n < 1 || n > 2) {
		snprintf(err, ecap, "--list-boards: cannot read the line '%.80s'", line);
		return HB_ERR_FORMAT;
	}
	if (n == 1 && strlen(a) > 25) {
		for (size_t k = 25; a[k]; k++) {
			if (hb_ofl_tables_cable(t, a + k)) {
				snprintf(b, sizeof b, "%s", a + k);
				a[k] = 0;
				break;
			}
		}
	}
	if (strlen(a) >= sizeof t->boards->name || strlen(b) >= sizeof t->boards->cable) {
		snprintf(err, ecap, "--list-boards: name too long in '%.80s'", line);
		return HB_ERR_FORMAT;
	}
	if (grow((void **)&t->boards, t->n_boards, sizeof *t->boards))
		return HB_ERR_NOMEM;
	struct hb_ofl_board *bd = &t->boards[t->n_boards++];
	snprintf(bd->name, sizeof bd->name, "%s", a);
	snprintf(bd->cable, sizeof bd->cable, "%s", b);
	return HB_OK;
}

enum hb_status hb_ofl_tables_parse_lists(struct hb_ofl_tables *t, const char *text, char *err,
					 size_t ecap)
{
	enum { NONE, CABLES, BOARDS, OTHER } sec = NONE;
	const char *p = text;
	char *line;
	int saw_cables = 0, saw_boards = 0;
	enum hb_status st = HB_OK;
	while (st == HB_OK && (line = next_line(&p)) != NULL) {
		if (strncmp(line, "cable name ", 11) == 0 && strstr(line, "vid:pid")) {
			sec = CABLES, saw_cables = 1;
		} else if (strncmp(line, "board name ", 11) == 0 && strstr(line, "cable_name")) {
			sec = BOARDS, saw_boards = 1;
		} else if (!*line) {
			sec = NONE;
		} else if (sec == CABLES) {
			st = add_cable(t, line, err, ecap);
		} else if (sec == BOARDS) {
			st = add_board(t, line, err, ecap);
		} else {
			sec = OTHER; /* another listing (--list-fpga): not ours */
		}
		free(line);
	}
	if (st != HB_OK)
		return st;
	if (!saw_cables || !saw_boards || !t->n_cables || !t->n_boards) {
		snprintf(err, ecap, "%s printed no %s table: not an openFPGALoader the stand-in "
			 "knows", t->real[0] ? t->real : "openFPGALoader",
			 !saw_cables || !t->n_cables ? "--list-cables" : "--list-boards");
		return HB_ERR_FORMAT;
	}
	return HB_OK;
}

enum hb_status hb_ofl_tables_parse_help(struct hb_ofl_tables *t, const char *text, char *err,
					size_t ecap)
{
	const char *p = text;
	char *line;
	while ((line = next_line(&p)) != NULL) {
		const char *s = line + strspn(line, " ");
		char shrt = 0;
		/* "-b, --board arg   ..." or "    --verify   ..." */
		if (s > line && s[0] == '-' && s[1] && s[1] != '-' && s[2] == ',' && s[3] == ' ') {
			shrt = s[1];
			s += 4;
			s += strspn(s, " ");
		}
		if (s > line && s[0] == '-' && s[1] == '-' && s[2] && s[2] != ' ') {
			size_t n = strcspn(s + 2, " ");
			if (n >= sizeof t->opts->name) {
				free(line);
				snprintf(err, ecap, "--help: option name too long");
				return HB_ERR_FORMAT;
			}
			if (grow((void **)&t->opts, t->n_opts, sizeof *t->opts)) {
				free(line);
				return HB_ERR_NOMEM;
			}
			struct hb_ofl_option *o = &t->opts[t->n_opts++];
			memcpy(o->name, s + 2, n);
			o->name[n] = 0;
			o->shrt = shrt;
			o->takes_arg = strncmp(s + 2 + n, " arg", 4) == 0 &&
				       (s[2 + n + 4] == ' ' || s[2 + n + 4] == 0);
		}
		free(line);
	}
	/* what hilbench passes, and what the stand-in answers itself */
	static const char *const need[] = {"board", "cable", "ftdi-serial", "ftdi-channel",
					   "write-sram", "write-flash", "verify", "bitstream",
					   "list-boards", "list-cables", "help"};
	for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
		if (!hb_ofl_tables_long(t, need[i])) {
			snprintf(err, ecap, "%s --help lists no --%s: not an openFPGALoader the "
				 "stand-in knows", t->real[0] ? t->real : "openFPGALoader", need[i]);
			return HB_ERR_FORMAT;
		}
	}
	free(t->help);
	t->help = strdup(text);
	return t->help ? HB_OK : HB_ERR_NOMEM;
}

void hb_ofl_tables_free(struct hb_ofl_tables *t)
{
	free(t->cables);
	free(t->boards);
	free(t->opts);
	free(t->help);
	memset(t, 0, sizeof *t);
}

/* ---- facts of openFPGALoader 0.10's cable table (src/cable.hpp) ---- */

int hb_ofl_cable_is_ftdi(const struct hb_ofl_cable *c)
{
	/* MODE_FTDI_SERIAL / MODE_FTDI_BITBANG rows: every 0x0403 cable, and Olimex's
	 * ARM-USB-OCD-H (an FT2232H with VID 0x15ba). */
	return c->vid == 0x0403 || (c->vid == 0x15ba && c->pid == 0x002b);
}

int hb_ofl_cable_default_channel(const char *name)
{
	static const char *const on_b[] = {"bus_blaster_b",      "digilent_b",       "ft2232_b",
					   "efinix_jtag_ft4232", "gatemate_evb_spi", "tigard"};
	for (size_t i = 0; i < sizeof on_b / sizeof on_b[0]; i++)
		if (strcmp(name, on_b[i]) == 0)
			return 1;
	return 0;
}

/* ---- running the real program ---- */

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Run real with one or two arguments; its stdout (stderr discarded) in *out (malloc'd). */
static enum hb_status run_real(const char *real, const char *a1, const char *a2, char **out,
			       char *err, size_t ecap)
{
	int po[2];
	*out = NULL;
	if (pipe2(po, O_CLOEXEC) != 0) {
		snprintf(err, ecap, "pipe: %s", strerror(errno));
		return HB_ERR_IO;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	char *argv[] = {"openFPGALoader", (char *)a1, (char *)a2, NULL};
	pid_t pid;
	int rc = posix_spawn(&pid, real, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(po[1]);
	if (rc != 0) {
		close(po[0]);
		snprintf(err, ecap, "cannot run %s: %s", real, strerror(rc));
		return HB_ERR_IO;
	}
	size_t n = 0, cap = 65536;
	char *buf = malloc(cap);
	enum hb_status st = buf ? HB_OK : HB_ERR_NOMEM;
	int64_t deadline = mono_ms() + RUN_TIMEOUT_MS;
	while (st == HB_OK) {
		int64_t left = deadline - mono_ms();
		struct pollfd pf = {.fd = po[0], .events = POLLIN};
		int r = left > 0 ? poll(&pf, 1, (int)left) : 0;
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(err, ecap, "%s %s did not finish within %d s", real, a1,
				 RUN_TIMEOUT_MS / 1000);
			st = HB_ERR_TIMEOUT;
			break;
		}
		if (n + 4096 > cap) {
			char *nb = cap < MAX_OUTPUT ? realloc(buf, cap * 2) : NULL;
			if (!nb) {
				snprintf(err, ecap, "%s %s printed more than %d bytes", real, a1,
					 MAX_OUTPUT);
				st = HB_ERR_RANGE;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t k = read(po[0], buf + n, cap - n - 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	close(po[0]);
	if (st != HB_OK)
		kill(pid, SIGKILL);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (st == HB_OK && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		snprintf(err, ecap, "%s %s%s%s failed (%s %d)", real, a1, a2 ? " " : "", a2 ? a2 : "",
			 WIFEXITED(status) ? "exit" : "signal",
			 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		st = HB_ERR_IO;
	}
	if (st != HB_OK) {
		free(buf);
		return st;
	}
	buf[n] = 0;
	*out = buf;
	return HB_OK;
}

/* ---- the cache file ---- */

static void cache_key(char *key, size_t cap, const char *real)
{
	struct stat sb;
	char rp[PATH_MAX];
	if (!realpath(real, rp))
		snprintf(rp, sizeof rp, "%s", real);
	if (stat(rp, &sb) != 0)
		memset(&sb, 0, sizeof sb);
	snprintf(key, cap, "%s\t%s\t%lld\t%lld.%09ld\n", CACHE_MAGIC, rp, (long long)sb.st_size,
		 (long long)sb.st_mtim.tv_sec, (long)sb.st_mtim.tv_nsec);
}

/* "lists N\n<N bytes>help M\n<M bytes>" after the key line. */
static int cache_read(const char *cache, const char *key, char **lists, char **help)
{
	*lists = *help = NULL;
	FILE *f = fopen(cache, "rb");
	if (!f)
		return -1;
	char line[PATH_MAX + 128];
	int ok = fgets(line, sizeof line, f) && strcmp(line, key) == 0;
	for (int part = 0; ok && part < 2; part++) {
		size_t n;
		char word[8];
		ok = fscanf(f, "%7s %zu", word, &n) == 2 && fgetc(f) == '\n' &&
		     strcmp(word, part ? "help" : "lists") == 0 && n < MAX_OUTPUT;
		char *b = ok ? malloc(n + 1) : NULL;
		ok = b && fread(b, 1, n, f) == n;
		if (b)
			b[ok ? n : 0] = 0;
		*(part ? help : lists) = b;
	}
	fclose(f);
	if (!ok) {
		free(*lists), free(*help);
		*lists = *help = NULL;
		return -1;
	}
	return 0;
}

static void cache_write(const char *cache, const char *key, const char *lists, const char *help)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof tmp, "%s.%ld.tmp", cache, (long)getpid()) >= (int)sizeof tmp)
		return;
	FILE *f = fopen(tmp, "wb");
	if (!f)
		return; /* no cache: the next run asks the program again */
	int ok = fprintf(f, "%slists %zu\n%shelp %zu\n%s", key, strlen(lists), lists, strlen(help),
			 help) > 0;
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, cache) != 0)
		unlink(tmp);
}

enum hb_status hb_ofl_tables_load(struct hb_ofl_tables *t, const char *real, const char *cache,
				  char *err, size_t ecap)
{
	memset(t, 0, sizeof *t);
	snprintf(t->real, sizeof t->real, "%s", real);
	char key[PATH_MAX + 128];
	char *lists = NULL, *help = NULL;
	cache_key(key, sizeof key, real);
	int cached = cache && cache_read(cache, key, &lists, &help) == 0;
	enum hb_status st = HB_OK;
	if (cached && (hb_ofl_tables_parse_lists(t, lists, err, ecap) != HB_OK ||
		       hb_ofl_tables_parse_help(t, help, err, ecap) != HB_OK)) {
		/* a damaged cache: ask the program again */
		hb_ofl_tables_free(t);
		snprintf(t->real, sizeof t->real, "%s", real);
		free(lists), free(help);
		lists = help = NULL;
		cached = 0;
	}
	if (!cached) {
		st = run_real(real, "--list-cables", "--list-boards", &lists, err, ecap);
		if (st == HB_OK)
			st = run_real(real, "--help", NULL, &help, err, ecap);
		if (st == HB_OK)
			st = hb_ofl_tables_parse_lists(t, lists, err, ecap);
		if (st == HB_OK)
			st = hb_ofl_tables_parse_help(t, help, err, ecap);
		if (st == HB_OK && cache)
			cache_write(cache, key, lists, help);
	}
	free(lists);
	free(help);
	if (st != HB_OK) {
		char keep[sizeof t->real];
		memcpy(keep, t->real, sizeof keep);
		hb_ofl_tables_free(t);
		memcpy(t->real, keep, sizeof keep);
	}
	return st;
}
