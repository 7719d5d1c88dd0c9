/* hilbench twin — the session's side of the openFPGALoader stand-in (see hb_ofl_twin.h). */
#include "hb_ofl_twin.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOG_PREFIX "ofl-twin"
#include "hb_log.h"

static int is_exe(const char *p) { return access(p, X_OK) == 0; }

enum hb_status hb_ofl_standin_find(char *buf, size_t cap)
{
	const char *env = getenv("HB_OFL_STANDIN");
	if (env && *env) {
		snprintf(buf, cap, "%s", env);
		if (is_exe(buf))
			return HB_OK;
		hb_err("HB_OFL_STANDIN=%s is not an executable", env);
		return HB_ERR_NOTFOUND;
	}
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) {
		self[n] = 0;
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = 0;
			static const char *const where[] = {"/hilbench-ofl-standin",
							    "/../bench/hilbench-ofl-standin",
							    "/../../bench/hilbench-ofl-standin"};
			for (size_t i = 0; i < sizeof where / sizeof where[0]; i++) {
				int w = snprintf(buf, cap, "%s%s", self, where[i]);
				if (w > 0 && (size_t)w < cap && is_exe(buf))
					return HB_OK;
			}
		}
	}
	buf[0] = 0;
	hb_err("hilbench-ofl-standin not found next to this program (set HB_OFL_STANDIN)");
	return HB_ERR_NOTFOUND;
}

static const char *const vars[] = {"HB_OPENFPGALOADER",   "HB_OFL_FAMILY",     "HB_OFL_EXPECT_CHANNEL",
				   "HB_OFL_UART_CHANNEL", "HB_OFL_USB",        "HB_OFL_USB_SERIAL",
				   "HB_OFL_RECORD",       "HB_OFL_REAL",       "HB_OFL_TABLES"};

void hb_ofl_twin_unsetenv(void)
{
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
		unsetenv(vars[i]);
}

enum hb_status hb_ofl_twin_setenv(const struct hb_ofl_twin *t)
{
	if (!t->family || (strcmp(t->family, "ice40") && strcmp(t->family, "ecp5") &&
			   strcmp(t->family, "artix7"))) {
		hb_err("family '%s': the stand-in knows ice40, ecp5 and artix7",
		       t->family ? t->family : "(none)");
		return HB_ERR_ARG;
	}
	if (t->flash_interface < 'A' || t->flash_interface > 'D' || t->uart_interface < 'A' ||
	    t->uart_interface > 'D') {
		hb_err("FTDI interfaces must be A-D (flash '%c', UART '%c')",
		       t->flash_interface ? t->flash_interface : '?',
		       t->uart_interface ? t->uart_interface : '?');
		return HB_ERR_ARG;
	}
	if (t->vid > 0xffff || t->pid > 0xffff || !t->record || !*t->record) {
		hb_err("the board's VID:PID must be 16-bit numbers and a record file is needed");
		return HB_ERR_ARG;
	}
	char standin[PATH_MAX];
	if (t->standin && *t->standin) {
		snprintf(standin, sizeof standin, "%s", t->standin);
	} else {
		enum hb_status st = hb_ofl_standin_find(standin, sizeof standin);
		if (st != HB_OK)
			return st;
	}
	char ch[2][2] = {{(char)('0' + t->flash_interface - 'A'), 0},
			 {(char)('0' + t->uart_interface - 'A'), 0}};
	char usb[16];
	snprintf(usb, sizeof usb, "%04x:%04x", t->vid, t->pid);
	hb_ofl_twin_unsetenv();
	int bad = setenv("HB_OPENFPGALOADER", standin, 1) | setenv("HB_OFL_FAMILY", t->family, 1) |
		  setenv("HB_OFL_EXPECT_CHANNEL", ch[0], 1) | setenv("HB_OFL_UART_CHANNEL", ch[1], 1) |
		  setenv("HB_OFL_USB", usb, 1) | setenv("HB_OFL_RECORD", t->record, 1);
	if (t->usb_serial && *t->usb_serial)
		bad |= setenv("HB_OFL_USB_SERIAL", t->usb_serial, 1);
	if (t->real && *t->real)
		bad |= setenv("HB_OFL_REAL", t->real, 1);
	if (t->tables && *t->tables)
		bad |= setenv("HB_OFL_TABLES", t->tables, 1);
	return bad ? HB_ERR_NOMEM : HB_OK;
}

static int str_field(const cJSON *o, const char *key, char *dst, size_t cap, int nullable)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (nullable && cJSON_IsNull(v)) {
		dst[0] = 0;
		return 0;
	}
	if (!cJSON_IsString(v) || strlen(v->valuestring) >= cap)
		return -1;
	snprintf(dst, cap, "%s", v->valuestring);
	return 0;
}

static int parse_load(const char *line, struct hb_ofl_load *l)
{
	cJSON *o = cJSON_Parse(line);
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return -1;
	}
	char target[8];
	const cJSON *ch = cJSON_GetObjectItemCaseSensitive(o, "channel");
	const cJSON *ver = cJSON_GetObjectItemCaseSensitive(o, "verify");
	const cJSON *size = cJSON_GetObjectItemCaseSensitive(o, "size");
	int bad = str_field(o, "board", l->board, sizeof l->board, 1) |
		  str_field(o, "cable", l->cable, sizeof l->cable, 0) |
		  str_field(o, "serial", l->serial, sizeof l->serial, 1) |
		  str_field(o, "target", target, sizeof target, 0) |
		  str_field(o, "family", l->family, sizeof l->family, 0) |
		  str_field(o, "file", l->file, sizeof l->file, 0) |
		  str_field(o, "type", l->type, sizeof l->type, 0) |
		  str_field(o, "sha256", l->sha256, sizeof l->sha256, 0);
	bad |= !cJSON_IsNumber(ch) || !cJSON_IsBool(ver) || !cJSON_IsNumber(size);
	if (!bad) {
		l->channel = ch->valueint;
		l->verify = cJSON_IsTrue(ver);
		l->size = (long long)size->valuedouble;
		l->to_flash = strcmp(target, "flash") == 0;
		bad = (!l->to_flash && strcmp(target, "sram") != 0) || l->channel < 0 ||
		      l->channel > 3 || strlen(l->sha256) != 64;
	}
	cJSON_Delete(o);
	return bad ? -1 : 0;
}

enum hb_status hb_ofl_twin_read_loads(const char *path, struct hb_ofl_load *loads, size_t max,
				      size_t *n)
{
	*n = 0;
	FILE *f = fopen(path, "r");
	if (!f) {
		if (errno == ENOENT)
			return HB_OK;
		hb_err("%s: %s", path, strerror(errno));
		return HB_ERR_IO;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int lineno = 0;
	enum hb_status st = HB_OK;
	while ((len = getline(&line, &cap, f)) > 0) {
		lineno++;
		struct hb_ofl_load l;
		memset(&l, 0, sizeof l);
		if (parse_load(line, &l) != 0) {
			hb_err("%s:%d: not a load record of hilbench-ofl-standin", path, lineno);
			st = HB_ERR_FORMAT;
			break;
		}
		if (*n < max)
			loads[*n] = l;
		(*n)++;
	}
	free(line);
	fclose(f);
	if (*n > max)
		*n = max;
	return st;
}
