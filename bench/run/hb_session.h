/* hilbench — a session: the one place that knows what kind of board a command talks to.
 *
 *   hardware  flash the bitstream (openFPGALoader), then the profile's real transports and
 *             buses, on the host's monotonic clock;
 *   virtual   start the virtual board (hilbench-vboard) at the profile's clock and baud and
 *             talk to it in its simulated time (docs/vboard.md, "Virtual time"): UART and I2C
 *             through the time socket, every timeout and sample stamp in simulated time, and
 *             the board's exact ground truth.
 *
 * Everything above a session (the run procedure, `hilbench power`, `hilbench flash`) is the
 * same code for every kind. While a session is started, hb_clock_default() is its clock. */
#ifndef HB_SESSION_H
#define HB_SESSION_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "hb_board.h"
#include "hb_clock.h"
#include "hb_link_client.h"
#include "hb_status.h"
#include "hb_vboard_proc.h"

struct hb_session;

struct hb_session_opts {
	bool virtual_board;        /* run the profile's twin (any board) instead of hardware */
	bool no_flash;             /* hardware: use what is on the board */
	bool dry_run;              /* hardware: say what flashing would run, do not run it */
	const char *bitstream;     /* hardware: override the profile's bitstream */
	uint64_t clock_hz;         /* hardware: flash the bitstream built for this core clock
				    * (hb_build_bitstream_path); 0 = the profile's core_clock_hz */
	const char *vboard_exe;    /* virtual: override hilbench-vboard */
	const char *pacing;        /* virtual: "virtual" (default), "realtime" or "fast" */
	uint64_t seed;             /* virtual: INA219 noise and fault randomness */
	double noise_ua;           /* virtual: INA219 current noise, 1 sigma; < 0 (default): one
				    * shunt-ADC step of the profile's first monitor (10 uV / R) */
	const char *const *extra_args; /* virtual: more hilbench-vboard arguments (tests) */
	FILE *out;                 /* progress lines (NULL: none) */
	bool quiet;
	volatile sig_atomic_t *abort_now; /* second Ctrl-C: waits on the board give up */
};

void hb_session_opts_default(struct hb_session_opts *o);

/* Choose the kind for board b (copied) and options o. Starts nothing. */
enum hb_status hb_session_open(const struct hb_board *b, const struct hb_session_opts *o,
			       struct hb_session **out);
/* Flash (hardware) or start the board (virtual); install the session clock as default.
 * On failure the reason is in hb_session_error(). */
enum hb_status hb_session_start(struct hb_session *s);
/* Stop the board (virtual), restore the default clock, free. NULL is fine. */
void hb_session_close(struct hb_session *s);

const char *hb_session_kind(const struct hb_session *s); /* "hardware", "virtual" */
const char *hb_session_error(const struct hb_session *s);
const struct hb_board *hb_session_board(const struct hb_session *s);
/* Time is the board's simulated time (figures are then exact, host latencies simulated). */
bool hb_session_simulated(const struct hb_session *s);
struct hb_clock *hb_session_clock(struct hb_session *s);

/* Where to reach the UART and a monitor's bus in this session. */
enum hb_status hb_session_uart_uri(struct hb_session *s, char *buf, size_t cap);
enum hb_status hb_session_monitor_uri(struct hb_session *s, const struct hb_board_monitor *m,
				      char *buf, size_t cap);
/* Link timeouts suited to this session (hb_link_opts_default() adjusted). */
void hb_session_link_opts(struct hb_session *s, struct hb_link_opts *lo);

/* Ground truth between device cycle stamps (virtual only; HB_ERR_UNSUPPORTED otherwise). */
bool hb_session_has_truth(const struct hb_session *s);
enum hb_status hb_session_truth(struct hb_session *s, uint64_t c0, uint64_t c1,
				struct hb_vboard_truth *t);
/* The virtual board's process (virtual only; NULL otherwise): faults, stats in tests. */
struct hb_vboard_proc *hb_session_vboard(struct hb_session *s);
/* The bitstream the session flashed ("" when none): a twin's went to the stand-in. */
const char *hb_session_flashed(const struct hb_session *s);

/* Threads that talk to the board. prepare() in the parent before pthread_create, enter() first
 * thing in the new thread (it then holds simulated time until it waits). block_begin() /
 * block_end() around a wait on something that needs simulated time to pass (pthread_join of
 * such a thread). No-ops on hardware. */
struct hb_session_thread;
struct hb_session_thread *hb_session_thread_prepare(struct hb_session *s);
void hb_session_thread_enter(struct hb_session_thread *t);
void hb_session_block_begin(struct hb_session *s);
void hb_session_block_end(struct hb_session *s);

#endif
