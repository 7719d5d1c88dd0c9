/* hilbench bench probe — the portable core: commands, I2C sampling scheduler, edge
 * capture merge, record FIFO, DATA framing (docs/probe-protocol.md, docs/probe.md).
 *
 * No register access and no blocking: a target calls hbp_core_run() from its main loop
 * (the STM32 build spins on it; a host HAL calls it at simulated times) and
 * hbp_core_capture() for every captured edge (from the timer interrupt on the MCU). Each
 * hbp_core_run() does everything that is due, then returns how long (µs) until it next has
 * timed work; it must also be called after every I/O event (a received byte, an I2C
 * operation finishing, transmit space freed, a captured edge).
 *
 * Memory: one struct hbp_core, statically allocated by the target (about 5 KiB with the
 * default 4 KiB record FIFO). */
#ifndef HBP_CORE_H
#define HBP_CORE_H

#include <stdint.h>

#include "hbp_frame.h"
#include "hbp_hal.h"
#include "hbp_proto.h"

#ifndef HBP_FIFO_BYTES
#define HBP_FIFO_BYTES 4096u /* record FIFO; a power of two */
#endif
#define HBP_EDGE_RING 64u     /* captured edges waiting to be merged; a power of two */
#define HBP_RX_TIMEOUT_US 10000u   /* inter-byte timeout inside a request */
#define HBP_RETRY_US 100000u       /* a failed monitor / stuck bus is retried this often */
#define HBP_HEARTBEAT_US 1000000u  /* a DATA frame at least this often while running */
#define HBP_FLUSH_DEFAULT_US 1000u /* a record waits at most this long to be sent */
#define HBP_WEDGED_US 100000u      /* an I2C op still busy this long after abort: wedged */
#define HBP_IDLE_MAX_US 100000u    /* hbp_core_run() never asks to sleep longer: a
				      * watchdog of 200 ms or more is always kicked */
#define HBP_FW_MAJOR 1
#define HBP_FW_MINOR 0
#define HBP_FW_PATCH 0

/* What the target knows about this boot (kept across resets in RAM the startup code does
 * not clear, on the MCU). */
struct hbp_boot_info {
	uint8_t reset_cause;      /* enum hbp_reset_cause */
	uint16_t boot_count;      /* boots since power-on, this one included */
	uint16_t watchdog_resets; /* watchdog resets since power-on */
};

struct hbp_mon {
	uint8_t addr;       /* 7-bit address; 0 = slot off */
	uint8_t state;      /* enum hbp_mon_state */
	uint8_t last_err;   /* enum hbp_i2c_status of the last failure */
	uint8_t ptr;        /* the chip's register pointer as last set; 0xFF unknown */
	uint8_t cfg_req;    /* configure now (CONFIG_MONITOR, START) */
	uint8_t retry;      /* configure again at retry_at (after a failure, while running) */
	uint8_t sampling;   /* configured and being read */
	uint16_t config;    /* INA219 configuration register */
	uint16_t bus_every; /* read the bus register every n samples; 0 never */
	uint16_t since_bus;
	uint16_t fails;     /* failed attempts since the last success */
	uint32_t shunt_uohm;
	uint32_t period_us; /* conversion cycle */
	uint32_t guard_us;  /* read this long after a conversion ends */
	uint32_t conv_end;  /* end of the next conversion to read (the sample's stamp) */
	uint32_t retry_at;
};

struct hbp_counters {
	uint32_t samples, records_dropped, edges, edges_dropped, i2c_errors, conv_missed;
	uint32_t rx_bad, bus_recoveries, order_fixes;
};

struct hbp_core {
	const struct hbp_hal *hal;
	struct hbp_boot_info boot;
	uint32_t now, t_prev, t_hi; /* now: this run's time; t_hi: wraps of the 32-bit timer */

	/* requests in, one response slot out */
	struct hbp_rx rx;
	uint8_t rx_buf[16];
	uint8_t rx_n, rx_pos;
	uint32_t rx_last_us, rx_batch_us;
	uint8_t resp[HBP_OVERHEAD + HBP_MAX_REQ_PAYLOAD];
	uint16_t resp_len;       /* bytes waiting in resp; 0 = none */
	uint8_t deferred;        /* request type whose answer waits for I2C work; 0 = none */
	uint8_t deferred_seq;
	uint8_t deferred_mon;    /* CONFIG_MONITOR: the slot */
	uint8_t start_pending;   /* START: monitors whose configuration has not finished */
	uint8_t start_ok;        /* START: monitors configured successfully */
	uint8_t xfer_pending;    /* I2C_XFER waiting for the bus */
	struct hbp_i2c_op xfer;  /* I2C_XFER request */
	uint8_t reset_pending;
	uint32_t reset_at;

	/* sampling */
	uint8_t running, stopping, capture_mask;
	uint16_t flush_us;
	uint64_t run_start;
	struct hbp_mon mon[HBP_MAX_MONITORS];

	/* the I2C engine: one job (a short sequence of operations) at a time */
	struct hbp_i2c_op op;
	uint8_t job, job_mon, job_step, op_busy, aborted, wedged;
	uint32_t op_start, op_deadline, abort_at;
	uint32_t sample_t;      /* stamp of the sample being read */
	uint16_t sample_shunt;
	uint32_t sample_missed;
	uint8_t need_recover, bus_stuck;
	uint32_t bus_retry_at;

	/* record FIFO: encoded records, dt chained from one record to the next */
	uint8_t fifo[HBP_FIFO_BYTES];
	uint16_t f_tail, f_count, f_high;
	uint32_t t_appended, t_packed, f_oldest, last_frame;
	uint32_t pending_drops;
	uint8_t data_seq;
	uint32_t run_records, run_dropped;

	/* captured edges: hbp_core_capture() writes e_head, the run loop e_tail */
	volatile uint32_t e_t[HBP_EDGE_RING];
	volatile uint8_t e_ch[HBP_EDGE_RING];
	volatile uint16_t e_head;
	uint16_t e_tail;
	volatile uint32_t e_lost;
	uint32_t e_lost_seen;

	struct hbp_counters cnt;
};

void hbp_core_init(struct hbp_core *c, const struct hbp_hal *hal,
		   const struct hbp_boot_info *boot);
/* Do what is due; returns µs until the next timed work (>= 1, <= HBP_IDLE_MAX_US). */
uint32_t hbp_core_run(struct hbp_core *c);
/* An edge on capture channel ch (enum hbp_capture_ch) at timer value t_us. Interrupt-safe
 * against hbp_core_run() (single producer). */
void hbp_core_capture(struct hbp_core *c, unsigned ch, uint32_t t_us);
/* The capture hardware lost n edges (overcapture). Interrupt-safe. */
void hbp_core_capture_lost(struct hbp_core *c, unsigned n);
/* 64-bit probe time (µs since boot) as of the last run. */
uint64_t hbp_core_time64(const struct hbp_core *c);

#endif
