/* hilbench virtual board — the control socket's line protocol, parsed (docs/vboard.md).
 *
 * Pure: one text line in, one command out; no board, no I/O. vb_board.c executes the
 * command and writes the reply. Kept apart so the parser of this outside input is fuzzed
 * on its own (tests/fuzz/fuzz_vb_ctl.c) and replayed as a test. Fault specs
 * (hb_vb_fault_parse, declared in vb_board.h) are parsed here too. */
#ifndef HB_VB_CTL_H
#define HB_VB_CTL_H

#include "vb_board.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The longest line the board accepts (its client buffer), without the newline. */
#define HB_VB_CTL_LINE_MAX 4095

enum hb_vb_ctl_kind {
	HB_VB_CTL_ERR = 0, /* bad line: reply "err <cmd.err>" */
	HB_VB_CTL_NOW,
	HB_VB_CTL_TRUTH,   /* c0 < c1 (whether c1 has been reached is the board's check) */
	HB_VB_CTL_FAULT,   /* fault: applied now (no @time) */
	HB_VB_CTL_STATS,
	HB_VB_CTL_QUIT,
};

struct hb_vb_ctl_cmd {
	enum hb_vb_ctl_kind kind;
	unsigned long long c0, c1;      /* TRUTH */
	struct hb_vb_fault_spec fault;  /* FAULT */
	char err[256];                  /* ERR: the reason, printable ASCII */
};

/* Parse one line (without its newline; any bytes, at most HB_VB_CTL_LINE_MAX are looked
 * at). Words are separated by spaces, tabs and CRs. */
void hb_vb_ctl_parse(const char *line, struct hb_vb_ctl_cmd *cmd);

#ifdef __cplusplus
}
#endif
#endif
