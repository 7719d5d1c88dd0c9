/* hilbench virtual board — everything around the simulated design: options, the pty and
 * TCP UART endpoints, the pin-level UART serialiser/deserialiser, the I2C and control
 * sockets, the INA219 model, the power model and ground truth, faults, pacing.
 *
 * The cycle loop itself is C++ (vboard_loop.hpp, templated on the Verilated top); it runs
 * the number of cycles hb_vb_service() hands it, updating the hot state below, and calls
 * back into C only at rare events (UART bit edges, busy/done edges). */
#ifndef HB_VB_BOARD_H
#define HB_VB_BOARD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hb_status.h"
#include "ina219_model.h"
#include "vb_power.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HB_VB_NEVER UINT64_MAX

/* realtime: paced to the wall clock; fast: as fast as it goes; virtual: only as far as the
 * host's ports on the time socket allow (docs/vboard.md, "Virtual time"). */
enum hb_vb_pace { HB_VB_PACE_REALTIME, HB_VB_PACE_FAST, HB_VB_PACE_VIRTUAL };

/* A scheduled fault: NAME[=ARG][@SIM_SECONDS]. */
struct hb_vb_fault_spec {
	char name[24];
	double arg;
	int has_arg;
	double at_s;
};

#define HB_VB_MAX_FAULTS 16

struct hb_vb_opts {
	double clock_hz;          /* simulated clock; 0 = the build's CLK_HZ */
	double baud;              /* 0 = the build's BAUD */
	enum hb_vb_pace pace;
	int tcp_port;             /* 0 = no TCP endpoint */
	const char *dir;          /* socket directory; NULL = a fresh /tmp/hb-vboard-XXXXXX */
	const char *truth_path;   /* JSON written at exit */
	const char *power_path;   /* power model ini; NULL = power-<family>.ini or built-in */
	uint64_t seed;
	double noise_ua;          /* INA219 current noise, 1 sigma, uA */
	double max_seconds;       /* stop after this much simulated time (0 = never) */
	int quiet;
	int no_idle_skip;         /* --no-idle-skip: evaluate every cycle in realtime too */
	/* A twin of a board profile (docs/vboard.md, "Twins"): */
	int family;               /* --family: IDENTIFY's family byte, -1 = the build's */
	int ina_addr;             /* --ina219-addr, -1 = the power model's */
	double shunt_ohm;         /* --shunt-uohm / 1e6, 0 = the power model's */
	double core_rail_v;       /* --core-rail-mv / 1e3: the INA219 sits on the core supply at
				   * this voltage (no board current, no regulator); 0 = the power
				   * model's board rail */
	int probe;                /* --probe: the bench probe's core runs inside the board
				   * (docs/probe.md section 7): its I2C on the INA219 model, its
				   * capture inputs on DONE/BUSY, its UART a second pty / channel */
	double probe_i2c_hz;      /* --probe-i2c-hz: its SCL (0 = the STM32 build's 400 kHz) */
	struct hb_vb_fault_spec faults[HB_VB_MAX_FAULTS];
	int n_faults;
};

/* Build facts the harness passes in (from the verilated parameters). */
struct hb_vb_build {
	double clk_hz, baud;
	const char *family;       /* "sim", "ice40", ... (from FAMILY) */
	const char *top_name;     /* "hb_top" or "standin" */
};

/* Parse argv into o. Returns 0 ok, 2 usage error (message printed), 3 --help printed. */
int hb_vb_parse_args(int argc, char **argv, const struct hb_vb_build *bld, struct hb_vb_opts *o);
void hb_vb_print_help(FILE *f, const struct hb_vb_build *bld);
/* Parse one fault spec "NAME[=ARG][@T]" or "NAME ARG". HB_ERR_NOTFOUND for an unknown NAME,
 * HB_ERR_ARG for a malformed number, HB_ERR_RANGE for an ARG out of range (bit-error, drop,
 * dup: a probability 0..1; the other faults take none). */
enum hb_status hb_vb_fault_parse(const char *text, struct hb_vb_fault_spec *out);

/* State the cycle loop touches every cycle. */
struct hb_vb_hot {
	uint64_t cyc;             /* boundary index: cycles [0, cyc) have run since reset */
	struct hb_vb_sums sums;
	uint64_t prev_word;       /* activity word of the last cycle */
	uint64_t seg_start;       /* first cycle of the open truth segment */
	int changed;              /* the open segment is not uniform */
	uint32_t prev_ctl;        /* busy | done << 1 of the last cycle */
	/* RX pin serialiser */
	uint64_t rx_next_edge;    /* cycle at which the pin changes next (HB_VB_NEVER idle) */
	uint8_t rx_level;
	/* TX pin deserialiser */
	int tx_armed;             /* waiting for a start bit */
	uint64_t tx_next_sample;
	uint64_t inferences;
	uint64_t quiet_since;     /* first cycle of the current all-quiet run (pins idle, no
				   * activity, no error LED) */
	int skip_ok;              /* set by hb_vb_service: the next chunk may be skipped */
	int brk;                  /* end the chunk now (a host port waits for a UART byte and one
				   * arrived); cleared by hb_vb_service */
	uint64_t *hist;           /* activity word of cycle c at hist[c & hist_mask] */
	uint64_t hist_mask;
};

struct hb_vb_board;

enum hb_status hb_vb_board_open(struct hb_vb_board **out, const struct hb_vb_opts *o,
				const struct hb_vb_build *bld);
/* The reset cycles ran: cycles [0, start_cycle) are done (idle, counted in the truth).
 * Cycle numbers then equal hb_top's free-running counter. */
void hb_vb_board_begin(struct hb_vb_board *b, uint64_t start_cycle);
/* Print the startup lines (uart:, i2c:, ctl:, ..., ready) and flush. */
void hb_vb_board_announce(struct hb_vb_board *b, FILE *f);
struct hb_vb_hot *hb_vb_board_hot(struct hb_vb_board *b);
uint64_t hb_vb_board_cycles_per_bit(const struct hb_vb_board *b);
double hb_vb_board_clock_hz(const struct hb_vb_board *b);
/* IDENTIFY's family byte to report, or -1 for the build's. */
int hb_vb_board_family(const struct hb_vb_board *b);
/* Between chunks: I/O, sockets, faults, INA219, truth checkpoints, pacing (may block in
 * poll). Returns how many cycles to run next (0 only when it is time to quit). */
uint64_t hb_vb_service(struct hb_vb_board *b);
int hb_vb_board_quitting(const struct hb_vb_board *b);
/* Called by the cycle loop. */
uint8_t hb_vb_rx_edge(struct hb_vb_board *b);         /* at hot->cyc == rx_next_edge */
void hb_vb_tx_start(struct hb_vb_board *b);           /* falling edge seen on uart_tx */
void hb_vb_tx_sample(struct hb_vb_board *b, uint8_t level); /* at hot->cyc == tx_next_sample */
void hb_vb_ctl_edge(struct hb_vb_board *b, uint32_t ctl); /* busy/done changed at hot->cyc */
/* The loop advanced hb_top's counter by n without evaluating (idle skip): account for it. */
void hb_vb_skipped(struct hb_vb_board *b, uint64_t n);
/* Tell the board that this build can skip idle cycles (hb_top's counter is writable). */
void hb_vb_board_set_can_skip(struct hb_vb_board *b, int on);
/* Exit: truth JSON, sockets removed. Returns the process exit code. */
int hb_vb_board_close(struct hb_vb_board *b);

#ifdef __cplusplus
}
#endif
#endif
