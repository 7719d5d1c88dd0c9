/* hilbench bench probe — the host HAL: the portable core on simulated time.
 *
 * The same core that runs on the STM32 runs here, driven by an owner that advances time:
 * the tests and the benchmark (with hbp_sim.h's INA219 models and pin waveforms), and the
 * virtual board (its INA219 model, its DONE/BUSY pins, its pty). Nothing here sleeps or
 * reads a wall clock; everything happens at a defined simulated time, in nanoseconds.
 *
 * What is modelled, and how faithfully (docs/probe.md, "The host HAL"):
 *   - the timer: µs = floor(ns / 1000), wrapping at 2^32 as the STM32's TIM2 does;
 *   - the UART: 10 bits per byte at the baud rate, both directions; a 256-byte receive ring
 *     and a 512-byte transmit buffer as in the STM32 build (overflow is counted);
 *   - I2C: a transfer lasts its bit count at the SCL rate (START, 9 bits per byte, STOP,
 *     bus free time); the device sees it when the chip would latch it (after the write
 *     phase, or as the address of the read phase is acknowledged): the owner's xfer() is
 *     called when simulated time gets there, never ahead;
 *   - faults: SDA held low (freed by N clock pulses, or never), a peripheral that never
 *     finishes (TIMEOUT after the STM32 HAL's bound), a HAL that hangs (for the watchdog);
 *   - the watchdog: no kick for watchdog_us resets the core (reset cause WATCHDOG), with
 *     the boot counters kept as the STM32's no-init RAM keeps them. */
#ifndef HBP_HOST_H
#define HBP_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "hbp_core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One I2C transaction on the simulated bus: write w[0..wn) then (rn > 0) read rn bytes.
 * Called when simulated time reaches the transfer's latch point, with t_ns equal to
 * hbp_host_now_ns() (never ahead of it). Returns HBP_I2C_OK, HBP_I2C_NACK_ADDR (nobody at
 * addr7) or HBP_I2C_NACK_DATA. */
typedef uint8_t (*hbp_host_xfer_fn)(void *ctx, uint64_t t_ns, uint8_t addr7, const uint8_t *w,
				    size_t wn, uint8_t *r, size_t rn);

struct hbp_host_params {
	uint32_t baud;        /* default HBP_DEFAULT_BAUD */
	uint32_t i2c_hz;      /* SCL, default 400000 (the STM32 build's) */
	uint32_t tx_buf;      /* transmit buffer bytes, default 512 */
	uint32_t rx_buf;      /* receive ring bytes, default 256 */
	uint32_t watchdog_us; /* default 500000 (the STM32 build's IWDG); 0 = none */
	uint32_t build_hash;
	uint64_t start_ns;    /* simulated time at power-on */
	int blocking_i2c;     /* finish each transfer inside i2c_start(), time passing meanwhile
				 (UART bytes and edges still arrive, as interrupts): the STM32
				 HAL's way. 0: the transfer ends later, as an event. */
	hbp_host_xfer_fn xfer;
	void *xfer_ctx;
};

enum hbp_host_fault {
	HBP_FAULT_NONE = 0,
	HBP_FAULT_SDA_STUCK,     /* SDA held low; param = clock pulses that free it (> 9: none) */
	HBP_FAULT_NO_PERIPHERAL, /* every transfer times out (the I2C block never answers) */
	HBP_FAULT_HANG,          /* transfers never finish, abort does nothing (a wedged HAL) */
};

struct hbp_host_stats {
	uint64_t runs;            /* hbp_core_run() calls */
	uint64_t i2c_ops;
	uint64_t i2c_busy_ns;     /* time the bus was busy */
	uint64_t tx_bytes, rx_bytes, rx_overflow;
	uint64_t resets;          /* any reset (RESET command or watchdog) */
	uint64_t watchdog_resets;
};

struct hbp_host;

/* NULL params = all defaults (and no I2C device: every address NACKs). */
struct hbp_host *hbp_host_new(const struct hbp_host_params *p);
void hbp_host_free(struct hbp_host *h);

uint64_t hbp_host_now_ns(const struct hbp_host *h);
/* Run the probe up to t_ns: the core runs at each of its deadlines and at every I/O event
 * (a byte arriving, an I2C transfer finishing, transmit room, an edge) on the way. */
void hbp_host_advance(struct hbp_host *h, uint64_t t_ns);
/* When the probe next needs to run (core deadline or pending event); UINT64_MAX if never. */
uint64_t hbp_host_next_event_ns(const struct hbp_host *h);

/* UART, host side. send: the bytes arrive back to back at the baud rate, from now (or after
 * what is still arriving). recv: bytes the probe has finished sending by now. */
void hbp_host_uart_send(struct hbp_host *h, const uint8_t *p, size_t n);
size_t hbp_host_uart_recv(struct hbp_host *h, uint8_t *buf, size_t cap);
/* When the next probe -> host byte will have arrived (UINT64_MAX: none queued). */
uint64_t hbp_host_uart_next_rx_ns(const struct hbp_host *h);

/* An edge on capture channel ch (enum hbp_capture_ch) at t_ns >= now. Edges must be given
 * in time order; they reach the core when time passes them, if the channel is enabled. */
void hbp_host_edge(struct hbp_host *h, unsigned ch, uint64_t t_ns);
unsigned hbp_host_capture_mask(const struct hbp_host *h);

void hbp_host_set_fault(struct hbp_host *h, enum hbp_host_fault f, unsigned param);

/* Inspection (tests, benchmarks). */
struct hbp_core *hbp_host_core(struct hbp_host *h);
const struct hbp_host_stats *hbp_host_stats(const struct hbp_host *h);

#ifdef __cplusplus
}
#endif
#endif
