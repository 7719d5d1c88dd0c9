/* hilbench bench probe — the HAL: everything the portable core needs from a target.
 *
 * The core (hbp_core.h) never touches a register. A target fills struct hbp_hal with
 * function pointers: firmware/hal/stm32f4 on the MCU, firmware/hal/host in tests and inside
 * the virtual board, where time is simulated. Every call is non-blocking, or bounded by a
 * short fixed time (bus recovery), so the core can run cooperatively on simulated time:
 * it is told "run now", does what is due, and answers when it next needs to run.
 *
 * Interrupt context: on a real target only hbp_core_capture() (hbp_core.h) is called from
 * an interrupt; every HAL function is called from the core's run loop. */
#ifndef HBP_HAL_H
#define HBP_HAL_H

#include <stddef.h>
#include <stdint.h>

#include "hbp_proto.h"

#define HBP_I2C_OP_MAX HBP_I2C_MAX
enum hbp_i2c_op_kind { HBP_I2C_XFER_OP = 0, HBP_I2C_RECOVER_OP = 1 };

/* One I2C operation: START addr+W w[0..wn) [Sr addr+R r[0..rn)] STOP, or (kind RECOVER)
 * clock pulses until SDA is released, then a STOP. */
struct hbp_i2c_op {
	uint8_t kind; /* HBP_I2C_XFER_OP or HBP_I2C_RECOVER_OP */
	uint8_t addr; /* 7-bit */
	uint8_t wn, rn;
	uint8_t w[HBP_I2C_OP_MAX];
	uint8_t r[HBP_I2C_OP_MAX];
};

struct hbp_hal {
	void *ctx;

	/* Free-running microsecond timer (wraps at 2^32). Capture stamps use the same timer. */
	uint32_t (*now_us)(void *ctx);

	/* UART. read: up to cap received bytes, non-blocking; *t_last_us = the timer when the
	 * last returned byte arrived (for SYNC). write: queue up to len bytes, returns how many
	 * were accepted (the rest must be offered again). tx_space: bytes write() would take. */
	size_t (*uart_read)(void *ctx, uint8_t *buf, size_t cap, uint32_t *t_last_us);
	size_t (*uart_write)(void *ctx, const uint8_t *buf, size_t len);
	size_t (*uart_tx_space)(void *ctx);

	/* I2C. start() begins an operation (the HAL may finish it before returning); poll()
	 * returns HBP_I2C_BUSY while it runs, then its outcome (enum hbp_i2c_status), once.
	 * abort() gives up a running operation and leaves the peripheral ready for the next
	 * one. r[] of the op passed to start() is filled before poll() reports HBP_I2C_OK. */
	void (*i2c_start)(void *ctx, struct hbp_i2c_op *op);
	uint8_t (*i2c_poll)(void *ctx);
	void (*i2c_abort)(void *ctx);

	/* Capture channels to enable (bit k = enum hbp_capture_ch k). */
	void (*capture_enable)(void *ctx, unsigned mask);

	/* Watchdog: kick it (the core kicks only while it makes progress). */
	void (*watchdog_kick)(void *ctx);
	/* Reset the MCU (after the RESET response has left the UART). Does not return on a
	 * real target; a host HAL re-initialises the core instead. */
	void (*system_reset)(void *ctx);

	/* Facts for IDENTIFY. */
	uint32_t build_hash;  /* the firmware's source revision */
	uint32_t baud;
	uint32_t i2c_hz;
	uint16_t sysclk_mhz;
	uint8_t board;        /* enum hbp_board */
	uint16_t capabilities; /* HBP_CAP_* the target provides */
};

#endif
