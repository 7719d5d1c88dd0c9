#include "hb_log.h"

#include "hb_escape.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int g_level = -1; /* -1: not yet read from HB_LOG */
static hb_log_sink_fn g_sink;
static void *g_sink_ctx;

static const char *const level_names[] = {"none", "error", "warn", "info", "debug", "trace"};

int hb_log_parse_level(const char *name)
{
	if (!name)
		return -1;
	for (int i = 0; i < (int)(sizeof level_names / sizeof level_names[0]); i++)
		if (strcasecmp(name, level_names[i]) == 0)
			return i;
	if (strcasecmp(name, "warning") == 0)
		return HB_LOG_WARN;
	return -1;
}

enum hb_log_level hb_log_get_level(void)
{
	if (g_level < 0) {
		int lvl = hb_log_parse_level(getenv("HB_LOG"));
		g_level = lvl < 0 ? HB_LOG_WARN : lvl;
	}
	return (enum hb_log_level)g_level;
}

void hb_log_set_level(enum hb_log_level lvl)
{
	g_level = (int)lvl;
}

void hb_log_set_sink(hb_log_sink_fn fn, void *ctx)
{
	g_sink = fn;
	g_sink_ctx = ctx;
}

void hb_log_msg(enum hb_log_level lvl, const char *prefix, const char *fmt, ...)
{
	char raw[1024], msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof raw, fmt, ap);
	va_end(ap);
	/* a message may quote bytes from a line or a file: never print them raw */
	hb_escape_str(msg, sizeof msg, raw);
	if (g_sink) {
		g_sink(g_sink_ctx, lvl, prefix, msg);
		return;
	}
	int li = (int)lvl;
	if (li < 0 || li > HB_LOG_TRACE)
		li = HB_LOG_ERROR;
	fprintf(stderr, "hilbench: %s: %s: %s\n", level_names[li], prefix, msg);
}
