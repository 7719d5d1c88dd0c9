/* hilbench — logging with levels and a per-file prefix.
 *
 * Library code logs through these macros and never writes to stdout.
 * Messages go to stderr (or to a sink installed with hb_log_set_sink).
 * The level comes from the environment variable HB_LOG
 * (error, warn, info, debug, trace; default warn) or hb_log_set_level().
 *
 * Usage, at the top of a .c file:
 *     #define LOG_PREFIX "ina219"
 *     #include "hb_log.h"
 *     hb_err("CAL read back as 0x%04x", cal);
 */
#ifndef HB_LOG_H
#define HB_LOG_H

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

enum hb_log_level {
	HB_LOG_NONE = 0,
	HB_LOG_ERROR = 1,
	HB_LOG_WARN = 2,
	HB_LOG_INFO = 3,
	HB_LOG_DEBUG = 4,
	HB_LOG_TRACE = 5,
};

typedef void (*hb_log_sink_fn)(void *ctx, enum hb_log_level lvl, const char *prefix,
			       const char *msg);

void hb_log_set_level(enum hb_log_level lvl);
enum hb_log_level hb_log_get_level(void);
/* Parse a level name ("debug"); returns -1 when the name is unknown. */
int hb_log_parse_level(const char *name);
/* Install a sink (tests capture messages this way); NULL restores stderr. */
void hb_log_set_sink(hb_log_sink_fn fn, void *ctx);
void hb_log_msg(enum hb_log_level lvl, const char *prefix, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#ifndef LOG_PREFIX
#define LOG_PREFIX "hb"
#endif

#define hb_log_at(lvl, ...) \
	do { \
		if (hb_log_get_level() >= (lvl)) \
			hb_log_msg((lvl), LOG_PREFIX, __VA_ARGS__); \
	} while (0)
#define hb_err(...) hb_log_at(HB_LOG_ERROR, __VA_ARGS__)
#define hb_warn(...) hb_log_at(HB_LOG_WARN, __VA_ARGS__)
#define hb_info(...) hb_log_at(HB_LOG_INFO, __VA_ARGS__)
#define hb_dbg(...) hb_log_at(HB_LOG_DEBUG, __VA_ARGS__)
#define hb_trace(...) hb_log_at(HB_LOG_TRACE, __VA_ARGS__)

#ifdef __cplusplus
}
#endif
#endif
