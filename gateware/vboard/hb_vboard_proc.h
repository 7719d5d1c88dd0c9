/* hilbench — start and drive a virtual board (hilbench-vboard) as a child process.
 *
 * Used by `hilbench run` (and the tests) when the board profile says "sim": start the
 * vboard, read its startup lines (uart:, i2c:, ctl:, ... ready), talk to its control socket
 * for ground truth, stop it. Protocol of the lines and the socket: docs/vboard.md. */
#ifndef HB_VBOARD_PROC_H
#define HB_VBOARD_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hb_status.h"

#ifdef __cplusplus
extern "C" {
#endif

struct hb_vboard_info {
	char uart[128];     /* pty path: use the transport URI "pty:<uart>" */
	char i2c[300];      /* I2C socket: use the bus URI "vboard:<i2c>" */
	char ctl[300];      /* control socket */
	char vtime[300];    /* time socket (virtual time): hb_vtime_open(), "vtime-uart:<vtime>" */
	char probe[128];    /* the bench probe's pty (a board started with --probe), else "" */
	char pace[16];      /* "virtual", "realtime" or "fast" */
	char tcp[64];       /* "127.0.0.1:PORT" when started with --tcp, else "" */
	double clock_hz, baud;
	unsigned ina219_addr;
	double shunt_uohm, rail_mv; /* the INA219's shunt and the rail it sits on */
};

struct hb_vboard_truth {
	uint64_t cycles, busy_cycles;
	uint64_t done;      /* done pulses (inferences completed) in the window */
	double energy_nj, core_energy_nj, avg_power_mw, idle_power_mw, clock_hz;
	int exact;          /* 1: both stamps on exact checkpoints or in uniform segments */
};

struct hb_vboard_proc;

/* The hilbench-vboard executable: $HB_VBOARD, else next to the running program, else
 * ../bench/ relative to it (build tree). Returns HB_ERR_NOTFOUND when none is executable. */
enum hb_status hb_vboard_find_exe(char *buf, size_t cap);
/* Start exe (NULL: hb_vboard_find_exe) with args (NULL-terminated, without argv[0]); wait up
 * to timeout_ms for "ready". On failure the child is reaped and nothing leaks. */
enum hb_status hb_vboard_start(const char *exe, const char *const *args, int timeout_ms,
			       struct hb_vboard_proc **out);
const struct hb_vboard_info *hb_vboard_info(const struct hb_vboard_proc *p);
pid_t hb_vboard_pid(const struct hb_vboard_proc *p);
/* One control command; reply without the newline. A reply "err ..." is HB_ERR_PROTO (the
 * text is still copied to reply). */
enum hb_status hb_vboard_ctl(struct hb_vboard_proc *p, const char *cmd, char *reply, size_t cap,
			     int timeout_ms);
enum hb_status hb_vboard_now(struct hb_vboard_proc *p, uint64_t *cycle, double *sim_ns);
enum hb_status hb_vboard_truth(struct hb_vboard_proc *p, uint64_t c0, uint64_t c1,
			       struct hb_vboard_truth *out);
/* name: bit-error drop dup stall pty-close ina-reset ina-stop ina-saturate clear; arg may be NULL */
enum hb_status hb_vboard_fault(struct hb_vboard_proc *p, const char *name, const char *arg);
/* Parse a truth reply line ("ok cycles=... energy_nj=..."), exposed for tests. */
enum hb_status hb_vboard_parse_truth(const char *line, struct hb_vboard_truth *out);
/* SIGTERM, wait up to timeout_ms, then SIGKILL; frees p. *exit_status (may be NULL) gets the
 * child's exit code, or 128+signal. */
enum hb_status hb_vboard_stop(struct hb_vboard_proc *p, int timeout_ms, int *exit_status);

#ifdef __cplusplus
}
#endif
#endif
