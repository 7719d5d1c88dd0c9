/* libFuzzer target: the virtual board's control-socket line parser
 * (gateware/vboard/vb_ctl.c) and its fault specs, fed what a client may send.
 *
 * Input: the bytes a client writes; split into lines at '\n' as the board does (a line
 * longer than the board's buffer is cut there). Each line, and each line as a fault spec,
 * is parsed. Checked: a command kind from the list; an error reason that is printable
 * ASCII (it is sent back and may be printed); truth with c0 < c1; a fault with a known
 * name, a finite non-negative argument and no time. Violations trap. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vb_ctl.h"

#define CHECK(x) \
	do { \
		if (!(x)) \
			__builtin_trap(); \
	} while (0)

static const char *const names[] = {"bit-error", "drop", "dup", "stall", "pty-close",
				    "ina-reset", "ina-stop", "ina-saturate", "clear"};

static void check_fault(const struct hb_vb_fault_spec *f, int allow_time)
{
	int known = 0;
	CHECK(memchr(f->name, 0, sizeof f->name) != NULL);
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		known |= strcmp(f->name, names[i]) == 0;
	CHECK(known);
	CHECK(isfinite(f->arg) && f->arg >= 0);
	CHECK(isfinite(f->at_s) && f->at_s >= 0);
	CHECK(allow_time || f->at_s == 0);
	CHECK(f->has_arg || f->arg == 0);
}

static void one_line(const char *line)
{
	struct hb_vb_ctl_cmd c;
	hb_vb_ctl_parse(line, &c);
	switch (c.kind) {
	case HB_VB_CTL_ERR:
		CHECK(c.err[0] != 0);
		CHECK(memchr(c.err, 0, sizeof c.err) != NULL);
		for (const char *p = c.err; *p; p++)
			CHECK(*p >= 0x20 && *p < 0x7F);
		break;
	case HB_VB_CTL_TRUTH:
		CHECK(c.c0 < c.c1);
		break;
	case HB_VB_CTL_FAULT:
		check_fault(&c.fault, 0);
		break;
	case HB_VB_CTL_NOW:
	case HB_VB_CTL_STATS:
	case HB_VB_CTL_QUIT:
		break;
	default:
		CHECK(0);
	}
	struct hb_vb_fault_spec f;
	if (hb_vb_fault_parse(line, &f) == HB_OK)
		check_fault(&f, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(HB_VB_CTL_LINE_MAX + 1);
	if (!line)
		return 0;
	size_t off = 0;
	while (off < size) {
		const uint8_t *nl = memchr(data + off, '\n', size - off);
		size_t len = nl ? (size_t)(nl - (data + off)) : size - off;
		size_t take = len > HB_VB_CTL_LINE_MAX ? HB_VB_CTL_LINE_MAX : len;
		memcpy(line, data + off, take);
		line[take] = 0;
		one_line(line);
		off += len + (nl ? 1 : 0);
	}
	free(line);
	return 0;
}
