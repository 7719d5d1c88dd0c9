/* A fake `hilbench run` for the sweep seam (hb_sweep_run_fn): instead of the virtual board it
 * makes the run's result document from the activity model and the iCE40 twin's power model
 * (tests/unit/calibration/cal_twin.c), stores it in the database with the sweep's id, exactly
 * in the fields hilbench run writes and hilbench calibrate reads (docs/results.md). */
#ifndef FAKE_TWIN_RUN_H
#define FAKE_TWIN_RUN_H

#include <signal.h>

#include "cal_twin.h"
#include "hb_sweep.h"

struct fake_run {
	struct cal_twin tw;
	unsigned calls;
	const char *fail_net;                 /* points of a net whose name contains this fail */
	unsigned interrupt_after;             /* set *interrupted after this many calls (0 never) */
	volatile sig_atomic_t *interrupted;
	double t_s;                           /* the board's time since power-up */
};

enum hb_status fake_twin_run(const struct hb_run_opts *o, char *err, size_t errlen, void *user);

#endif
