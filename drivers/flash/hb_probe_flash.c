/* hilbench — st-flash runner for the bench probe (see hb_probe_flash.h). */
#include "hb_probe_flash.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_PREFIX "probe-flash"
#include "hb_log.h"

static int executable(const char *p)
{
	struct stat sb;
	return stat(p, &sb) == 0 && S_ISREG(sb.st_mode) && access(p, X_OK) == 0;
}

enum hb_status hb_probe_flash_find_program(char *buf, size_t cap)
{
	const char *env = getenv("HB_STFLASH");
	if (env && *env) {
		if (!executable(env)) {
			hb_err("HB_STFLASH=%s is not an executable file", env);
			return HB_ERR_NOTFOUND;
		}
		snprintf(buf, cap, "%s", env);
		return HB_OK;
	}
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		const char *end = strchr(path, ':');
		size_t n = end ? (size_t)(end - path) : strlen(path);
		if (n > 0 && n + 10 < cap) {
			snprintf(buf, cap, "%.*s/st-flash", (int)n, path);
			if (executable(buf))
				return HB_OK;
		}
		path += n + (end ? 1 : 0);
	}
	buf[0] = 0;
	hb_err("st-flash not found in PATH (apt install stlink-tools, or set HB_STFLASH)");
	return HB_ERR_NOTFOUND;
}

enum hb_status hb_probe_flash_build_argv(const struct hb_probe_flash_opts *o,
					 struct hb_flash_argv *a)
{
	memset(a, 0, sizeof *a);
	size_t n = o->image ? strlen(o->image) : 0;
	if (n < 5 || strcmp(o->image + n - 4, ".bin") != 0) {
		hb_err("the probe image must be a raw .bin (the build writes hb_probe_<board>.bin "
		       "next to the .elf)");
		return HB_ERR_ARG;
	}
	enum hb_status st = hb_probe_flash_find_program(a->program, sizeof a->program);
	if (st != HB_OK)
		return st;
	char **v = a->argv;
	int k = 0;
	v[k++] = a->program;
	v[k++] = "--reset";
	if (o->connect_under_reset)
		v[k++] = "--connect-under-reset";
	if (o->serial && *o->serial) {
		v[k++] = "--serial";
		v[k++] = (char *)o->serial;
	}
	v[k++] = "write";
	v[k++] = (char *)o->image;
	v[k++] = HB_PROBE_FLASH_ADDR;
	v[k] = NULL;
	a->argc = k;
	return HB_OK;
}

static int has(const char *out, const char *needle)
{
	return strstr(out, needle) != NULL;
}

/* The last non-empty line of out. */
static void last_line(const char *out, char *line, size_t cap)
{
	const char *end = out + strlen(out);
	while (end > out && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	const char *start = end;
	while (start > out && start[-1] != '\n' && start[-1] != '\r')
		start--;
	snprintf(line, cap, "%.*s", (int)(end - start), start);
}

enum hb_status hb_probe_flash_classify(const char *out, int exit_code, char *msg, size_t cap)
{
	char line[256];
	if (!out)
		out = "";
	if (has(out, "Couldn't find any ST-Link devices") || has(out, "Couldn't find matched ST-Link")) {
		snprintf(msg, cap, "no ST-LINK found: is it plugged in (and, with several, does "
			 "--serial match 'st-info --probe')?");
		return HB_ERR_NOTFOUND;
	}
	if ((has(out, "opening ST-Link") && (has(out, "Error -3") || has(out, "ermission"))) ||
	    has(out, "LIBUSB_ERROR_ACCESS")) {
		snprintf(msg, cap, "permission denied on the ST-LINK: install stlink-tools' udev rules "
			 "(/lib/udev/rules.d/49-stlinkv*.rules), replug, be in group plugdev");
		return HB_ERR_PERM;
	}
	if (has(out, "unable to claim")) {
		snprintf(msg, cap, "the ST-LINK is busy: another program holds it (st-util, "
			 "openocd, a second st-flash)");
		return HB_ERR_BUSY;
	}
	if (has(out, "Failed to connect to target") || has(out, "Failed to enter SWD mode")) {
		snprintf(msg, cap, "the ST-LINK sees no STM32 on SWD: is the probe powered, are "
			 "SWDIO, SWCLK and GND wired? (try --connect-under-reset)");
		return HB_ERR_NOTFOUND;
	}
	if (has(out, "open(") && has(out, "== -1")) {
		snprintf(msg, cap, "st-flash cannot read the image");
		return HB_ERR_NOTFOUND;
	}
	if (has(out, "stlink_fwrite_flash() == -1") || has(out, "Flash programming error") ||
	    has(out, "Verification of flash failed")) {
		last_line(out, line, sizeof line);
		snprintf(msg, cap, "writing the probe's flash failed (%s)", line);
		return HB_ERR_IO;
	}
	if (exit_code == 0) {
		msg[0] = 0;
		return HB_OK;
	}
	last_line(out, line, sizeof line);
	snprintf(msg, cap, "st-flash failed (exit %d): %s", exit_code, line);
	return HB_ERR_IO;
}

enum hb_status hb_probe_flash_run(const struct hb_probe_flash_opts *o, struct hb_flash_result *res)
{
	struct hb_flash_argv a;
	memset(res, 0, sizeof *res);
	enum hb_status st = hb_probe_flash_build_argv(o, &a);
	if (st != HB_OK) {
		snprintf(res->message, sizeof res->message, "%s",
			 st == HB_ERR_NOTFOUND ? "st-flash not found (apt install stlink-tools)"
					       : "the image must be a .bin");
		return st;
	}
	if (access(o->image, R_OK) != 0) {
		snprintf(res->message, sizeof res->message, "image %s: %s", o->image, strerror(errno));
		return errno == EACCES ? HB_ERR_PERM : HB_ERR_NOTFOUND;
	}
	char *out = NULL;
	int timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 120000;
	st = hb_child_run(a.program, a.argv, timeout_ms, o->on_line, o->ctx, &out, &res->exit_code,
			  &res->timed_out);
	if (st != HB_OK) {
		snprintf(res->message, sizeof res->message, "cannot run %.200s: %s", a.program,
			 hb_strerror(st));
		return st;
	}
	if (res->timed_out) {
		free(out);
		snprintf(res->message, sizeof res->message,
			 "st-flash did not finish within %d ms and was killed", timeout_ms);
		return HB_ERR_TIMEOUT;
	}
	st = hb_probe_flash_classify(out, res->exit_code, res->message, sizeof res->message);
	free(out);
	return st;
}
