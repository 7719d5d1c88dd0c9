/* hilbench — URI query parameters for backends (flashrom style).
 *
 * "latency=1&timeout=500" is split into key/value pairs. A backend takes each key it
 * understands (hb_params_take*); hb_params_finish() then fails with HB_ERR_ARG naming
 * every key nobody took, so a typo never silently does nothing. */
#ifndef HB_PARAMS_H
#define HB_PARAMS_H

#include <stdint.h>

#include "hb_status.h"

#define HB_PARAMS_MAX 16

struct hb_params {
	char buf[256];
	unsigned n;
	struct {
		char *key;
		char *val; /* "" when the key had no '=' */
		int taken;
	} kv[HB_PARAMS_MAX];
};

/* query may be NULL or "". HB_ERR_ARG when too long or with too many keys. */
/* Split a URI "scheme:[//]target[?query]" in place (buf is modified): *scheme, *target and
 * *query (NULL when there is none) point into buf. Returns -1 when there is no ':'. Used by
 * the transport and the I2C registries. */
int hb_uri_split(char *buf, char **scheme, char **target, char **query);
enum hb_status hb_params_parse(struct hb_params *p, const char *query);
/* The value of key (marks it taken) or NULL when absent. */
const char *hb_params_take(struct hb_params *p, const char *key);
/* Unsigned integer (decimal or 0x hex) within [min, max]; *v untouched when absent.
 * HB_ERR_ARG (logged, naming the backend and key) when malformed or out of range. */
enum hb_status hb_params_take_uint(struct hb_params *p, const char *backend, const char *key,
				   unsigned long min, unsigned long max, unsigned long *v);
/* HB_ERR_ARG when a key was not taken (each one logged). */
enum hb_status hb_params_finish(const struct hb_params *p, const char *backend);

/* Parse a strict unsigned number (decimal or 0x hex). Returns 0 on success. */
int hb_parse_ulong(const char *s, unsigned long *v);

/* FTDI target "VID:PID[:serial]/IF" (IF 1..4 = A..D; "/IF" optional, default 1). */
struct hb_ftdi_target {
	unsigned vid, pid;
	char serial[64]; /* "" = any */
	unsigned iface;  /* 1..4 */
};
enum hb_status hb_ftdi_parse_target(const char *target, struct hb_ftdi_target *out);

#endif
