/* hilbench — virtual time: the host side of the virtual board's time socket.
 *
 * A virtual or twin session reads time from the board it talks to (docs/vboard.md,
 * "Virtual time"). Each host thread that talks to the board owns a *port*, its own
 * connection to the board's time socket: the board advances only while every port is waiting,
 * and only to the earliest deadline among them, so a thread that is busy computing holds
 * simulated time where it is and every UART write and I2C transaction happens at a defined
 * simulated cycle. A loaded host makes a run slower, never different.
 *
 * The calling thread's port is found through thread-local storage; the thread that opens the
 * context gets the first port. A thread started by a session gets its port from
 * hb_vtime_port_new() in the *parent* (so the board holds time for it before the parent waits
 * again) and attaches it with hb_vtime_port_attach() in the child; it is closed when the
 * thread exits. A thread about to block on something other than the board (pthread_join on a
 * thread that needs simulated time to pass) parks first and resumes after.
 *
 * The clock (hb_vtime_clock) reads and waits in simulated time; library code that uses
 * hb_clock_default() follows it once a session installs it. */
#ifndef HB_VTIME_H
#define HB_VTIME_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "hb_clock.h"
#include "hb_status.h"

#ifdef __cplusplus
extern "C" {
#endif

struct hb_vtime;
struct hb_vtime_port;

/* Connect to the board's time socket at path; the calling thread gets the first port. */
enum hb_status hb_vtime_open(const char *path, struct hb_vtime **out);
/* Close every port (the board then holds no time for this process) and free. */
void hb_vtime_close(struct hb_vtime *vt);
/* The open context for a socket path (the vtime-uart: and vtime-i2c: backends use it). */
struct hb_vtime *hb_vtime_find(const char *path);

/* Simulated time of the calling thread (ns and board cycles), and the board's clock. */
uint64_t hb_vtime_now_ns(struct hb_vtime *vt);
uint64_t hb_vtime_now_cycle(struct hb_vtime *vt);
double hb_vtime_clock_hz(const struct hb_vtime *vt);
double hb_vtime_baud(const struct hb_vtime *vt);
/* An hb_clock reading this context's simulated time (valid until hb_vtime_close). */
struct hb_clock *hb_vtime_clock(struct hb_vtime *vt);
uint64_t hb_vtime_cycle_to_ns(const struct hb_vtime *vt, uint64_t cycle);

/* Wait until simulated time now + ns (the board runs, the other ports act meanwhile). */
enum hb_status hb_vtime_sleep_ns(struct hb_vtime *vt, uint64_t ns);

/* Ports for threads. port_new runs in the parent; port_attach in the new thread. */
enum hb_status hb_vtime_port_new(struct hb_vtime *vt, struct hb_vtime_port **out);
void hb_vtime_port_attach(struct hb_vtime_port *p);
/* Give up / take back this thread's hold on simulated time (around pthread_join etc.). */
void hb_vtime_park(struct hb_vtime *vt);
enum hb_status hb_vtime_resume(struct hb_vtime *vt);

/* The board's UART channels on the time socket: the gateware's, and the bench probe's on a
 * board started with --probe (docs/probe.md section 7). */
enum hb_vtime_uart { HB_VTIME_UART_BOARD = 0, HB_VTIME_UART_PROBE = 1, HB_VTIME_UART_N = 2 };

/* UART, in simulated time, through the calling thread's port: channel ch, or the gateware's
 * (the functions without _ch). */
enum hb_status hb_vtime_uart_write_ch(struct hb_vtime *vt, unsigned ch, const void *buf,
				      size_t len);
enum hb_status hb_vtime_uart_read_ch(struct hb_vtime *vt, unsigned ch, void *buf, size_t cap,
				     size_t *got, uint64_t timeout_ns);
enum hb_status hb_vtime_uart_flush_ch(struct hb_vtime *vt, unsigned ch);
enum hb_status hb_vtime_uart_write(struct hb_vtime *vt, const void *buf, size_t len);
/* Up to cap bytes; waits at most timeout_ns of simulated time; HB_ERR_TIMEOUT when none. */
enum hb_status hb_vtime_uart_read(struct hb_vtime *vt, void *buf, size_t cap, size_t *got,
				  uint64_t timeout_ns);
enum hb_status hb_vtime_uart_flush(struct hb_vtime *vt);

/* One I2C transaction at the current simulated time (START addr+W w [Sr addr+R r] STOP).
 * *status: 0 ACK, 1 address NACK, 2 data NACK, 3 bus error. It takes no simulated time:
 * the caller sleeps for the bus time it models. */
enum hb_status hb_vtime_i2c(struct hb_vtime *vt, uint8_t addr7, const uint8_t *w, size_t wn,
			    uint8_t *r, size_t rn, uint8_t *status);

/* The same bus byte by byte, for a bit-level master (an emulated MPSSE engine): a (repeated)
 * START with the address byte, written bytes, read bytes, STOP. *ack: 1 when acknowledged.
 * Each happens at the current simulated time; the caller models the bus time. */
enum hb_status hb_vtime_i2c_start(struct hb_vtime *vt, uint8_t addr7, int read, int *ack);
enum hb_status hb_vtime_i2c_write_byte(struct hb_vtime *vt, uint8_t v, int *ack);
enum hb_status hb_vtime_i2c_read_byte(struct hb_vtime *vt, int master_ack, uint8_t *v);
enum hb_status hb_vtime_i2c_stop(struct hb_vtime *vt);

/* A flag (set by a SIGINT handler) that makes a wait on the board give up with
 * HB_ERR_INTERRUPTED: for "a second Ctrl-C exits at once". NULL: never. */
void hb_vtime_set_abort_flag(volatile sig_atomic_t *flag);

/* Statistics of this context: requests sent, waits, and wall time spent waiting. */
struct hb_vtime_stats {
	uint64_t requests, waits, rx_bytes, tx_bytes, i2c;
};
void hb_vtime_get_stats(struct hb_vtime *vt, struct hb_vtime_stats *out);

#ifdef __cplusplus
}
#endif
#endif
