/* hilbench — sweeps: a campaign of measured points for calibration (docs/calibration.md,
 * "Sweeps" and "Plan files").
 *
 * A plan (INI text) names the run settings and the axes: networks (shipped, files, generated
 * random networks of given sizes and weight densities), L, input seeds, input scales (spike
 * density) and core clocks. The points are the axes' product, clock outermost (on hardware
 * each clock is its own bitstream). Each point is one `hilbench run` (hb_run) stored in the
 * database with the sweep's id; the sweep and its points' outcomes are stored too, so a sweep
 * resumes after Ctrl-C or a failure, and a failed point is listed, not fatal. */
#ifndef HB_SWEEP_H
#define HB_SWEEP_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hb_model.h"
#include "hb_run.h"
#include "hb_status.h"

#define HB_SWEEP_MAX_AXIS 32
#define HB_SWEEP_MAX_POINTS 4096

/* A network axis entry. */
struct hb_sweep_net {
	enum { HB_SWEEP_NET_SHIPPED, HB_SWEEP_NET_FILE, HB_SWEEP_NET_RANDOM } kind;
	char spec[256];           /* as written in the plan */
	char name[64];            /* shipped name, or the generated network's name */
	char path[1024];          /* file, or where the generated network is written */
	unsigned n_layers, sizes[5];
	double density;           /* random: fraction of synapses with a non-zero weight */
	uint32_t seed;            /* random: generator seed */
};

struct hb_sweep_plan {
	char name[64];
	char board[32];           /* "" = from the command line */
	unsigned windows, samples;
	double window_s, baseline_s, warmup_s;
	char pacing[16];          /* virtual boards: virtual/realtime/fast, "" = the session's default */
	struct hb_sweep_net nets[HB_SWEEP_MAX_AXIS];
	size_t n_nets;
	unsigned L[HB_SWEEP_MAX_AXIS];
	size_t n_L;               /* 0: each network's own L */
	double clock_hz[HB_SWEEP_MAX_AXIS];
	size_t n_clock;           /* 0: the board's clock */
	uint32_t seeds[HB_SWEEP_MAX_AXIS];
	size_t n_seeds;
	double scale[HB_SWEEP_MAX_AXIS];
	size_t n_scale;
	double bit_clock_hz[HB_SWEEP_MAX_AXIS];
	char bitstream[HB_SWEEP_MAX_AXIS][512]; /* [bitstreams] clock_mhz = path */
	size_t n_bitstreams;
};

/* One point of a plan. */
struct hb_sweep_point {
	size_t net;               /* index into plan->nets */
	unsigned L;               /* 0: the network's own */
	double clock_hz;          /* 0: the board's */
	uint32_t seed;
	double scale;
	char label[160];          /* "net=digits L=256 clock=1MHz seed=1 scale=1" */
};

/* Parse a plan; origin names it in messages ("plan.ini"). Every error names the line and the
 * key (HB_ERR_FORMAT / HB_ERR_RANGE). Defaults: windows 3, window_s 1, baseline_s 1,
 * warmup_s 0.2, samples 10; axes L, clock, seeds, input_scale default to one value. */
enum hb_status hb_sweep_plan_parse(const char *text, const char *origin, struct hb_sweep_plan *plan,
				   char *err, size_t errlen);
/* The points in order (clock, net, L, seed, scale); *pts is malloc'ed. HB_ERR_RANGE over
 * HB_SWEEP_MAX_POINTS. */
enum hb_status hb_sweep_points(const struct hb_sweep_plan *plan, struct hb_sweep_point **pts, size_t *n);

/* Write the plan's generated networks (random:...) into dir (created), setting their paths. */
enum hb_status hb_sweep_generate_nets(struct hb_sweep_plan *plan, const char *dir, char *err, size_t errlen);
/* A random network: sizes[0..K], weight density, seed; neutral LIF parameters tuned so that
 * neurons spike at a moderate rate. */
enum hb_status hb_sweep_random_net(struct hb_net *net, unsigned K, const unsigned *sizes, double density,
				   uint32_t seed, const char *name);

/* The seam: how a point is measured. The default calls hb_run(). */
typedef enum hb_status (*hb_sweep_run_fn)(const struct hb_run_opts *o, char *err, size_t errlen, void *user);

struct hb_sweep_opts {
	const char *board;        /* overrides the plan's board */
	int virtual_board;        /* the board's twin instead of the hardware (--virtual) */
	const char *boards_dir;
	const char *db_path;      /* NULL = the default database */
	const char *vboard_exe;
	FILE *out;                /* progress (stdout) */
	int quiet;
	volatile sig_atomic_t *interrupted;
	hb_sweep_run_fn run;      /* NULL = hb_run */
	void *run_user;
	const char *command_line;
	/* Hardware: one bitstream per clock (docs/calibration.md, "Sweeping clocks on a real
	 * bench"). Before a clock's first point the sweep takes that clock's bitstream from the
	 * plan's [bitstreams], else from the build cache, building it when it is missing
	 * (hb_build_ensure); every point of the clock flashes it and asks for the clock its PLL
	 * achieves. A twin flashes a cached build of the clock when there is one (never builds).
	 * dry_run: say per clock what would be built and flashed, measure and store nothing. */
	const char *bitstream_dir; /* the build cache's root; NULL = hb_build_default_root() */
	int dry_run;
};

struct hb_sweep_result {
	int64_t sweep_id;
	size_t n_points, n_done, n_failed, n_pending;
	int interrupted;
};

/* Start a new sweep from plan text (stored in the database) and run it. */
enum hb_status hb_sweep_start(const struct hb_sweep_opts *o, const char *plan_text, const char *origin,
			      struct hb_sweep_result *res, char *err, size_t errlen);
/* Continue sweep `id`: run its pending and failed points. */
enum hb_status hb_sweep_resume(const struct hb_sweep_opts *o, int64_t id, struct hb_sweep_result *res,
			       char *err, size_t errlen);

#endif
