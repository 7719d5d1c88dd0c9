/* hilbench bench probe — the host HAL (see hbp_host.h). */
#include "hbp_host.h"

#include <stdlib.h>
#include <string.h>

#define NEVER UINT64_MAX
#define MAX_EDGES 4096u /* edges announced ahead of time (a power of two) */
#define STM32_OP_TIMEOUT_NS 1000000u   /* the STM32 HAL gives up on a transfer after 1 ms */
#define STM32_BUSY_WAIT_NS 200000u     /* ... and on a bus held busy after 200 µs */
#define RECOVER_PULSE_NS 10000u        /* recovery clocks SCL at 100 kHz */

struct hbp_host {
	struct hbp_host_params p;
	struct hbp_hal hal;
	struct hbp_core core;
	struct hbp_boot_info boot;
	uint64_t now;
	uint64_t core_wake;    /* when the core asked to run next */
	int core_due;          /* an event happened: run the core at `now` */
	int reset_req;         /* system_reset() was called */
	int in_isr;            /* inside a blocking transfer: no watchdog check, no core run */

	/* UART probe -> host: completion time of each byte still in flight */
	uint8_t *tx_byte;
	uint64_t *tx_done;
	size_t tx_head, tx_n, tx_cap;   /* ring of bytes queued by the core */
	uint64_t tx_last;               /* completion of the last byte queued */
	size_t tx_half_mark;            /* wake the core when the queue drains to this */
	/* bytes completed, waiting for the host to read them */
	uint8_t *out;
	size_t out_head, out_n, out_cap;

	/* UART host -> probe: bytes in flight (arrival time), then the receive ring */
	uint8_t *in_byte;
	uint64_t *in_at;
	size_t in_head, in_n, in_cap;
	uint64_t in_last;
	uint8_t *rx;
	size_t rx_head, rx_n;
	uint64_t rx_last_at;

	/* I2C */
	struct hbp_i2c_op *op;
	int op_running;
	int op_latched;        /* the device has seen the transfer */
	uint64_t op_latch;     /* when it sees it (the owner's xfer() is called then, not before) */
	uint64_t op_end;
	uint8_t op_result;
	enum hbp_host_fault fault;
	unsigned fault_param;

	/* capture */
	unsigned capture_mask;
	uint64_t e_t[MAX_EDGES];
	uint8_t e_ch[MAX_EDGES];
	size_t e_head, e_n;

	/* watchdog */
	uint64_t last_kick;

	struct hbp_host_stats st;
};

/* ---- HAL functions ---------------------------------------------------------------------- */

static uint32_t h_now_us(void *ctx)
{
	struct hbp_host *h = ctx;
	return (uint32_t)(h->now / 1000u);
}

static uint64_t byte_ns(const struct hbp_host *h)
{
	return 10ull * 1000000000ull / h->p.baud;
}

static size_t h_uart_read(void *ctx, uint8_t *buf, size_t cap, uint32_t *t_last)
{
	struct hbp_host *h = ctx;
	size_t n = 0;
	while (n < cap && h->rx_n) {
		buf[n++] = h->rx[h->rx_head];
		h->rx_head = (h->rx_head + 1) % h->p.rx_buf;
		h->rx_n--;
	}
	if (t_last)
		*t_last = (uint32_t)(h->rx_last_at / 1000u);
	return n;
}

static size_t h_tx_space(void *ctx)
{
	struct hbp_host *h = ctx;
	return h->tx_cap - h->tx_n;
}

static size_t h_uart_write(void *ctx, const uint8_t *buf, size_t len)
{
	struct hbp_host *h = ctx;
	size_t n = 0;
	uint64_t b = byte_ns(h);
	while (n < len && h->tx_n < h->tx_cap) {
		size_t i = (h->tx_head + h->tx_n) % h->tx_cap;
		uint64_t start = h->tx_last > h->now ? h->tx_last : h->now;
		h->tx_byte[i] = buf[n++];
		h->tx_done[i] = start + b;
		h->tx_last = start + b;
		h->tx_n++;
	}
	h->st.tx_bytes += n;
	return n;
}

/* Bits from the START to the moment the chip latches the transfer (end of the write phase,
 * or the acknowledged address of the read phase), and in total. */
static void op_bits(const struct hbp_i2c_op *op, unsigned *latch, unsigned *total)
{
	unsigned b = 1; /* START */
	if (op->wn || !op->rn)
		b += 9u * (1u + op->wn);
	if (op->rn) {
		if (op->wn)
			b += 1; /* repeated START */
		b += 9;     /* address */
	}
	*latch = b;
	if (op->rn)
		b += 9u * op->rn;
	*total = b + 2; /* STOP, bus free time */
}

static uint64_t bits_ns(const struct hbp_host *h, unsigned bits)
{
	return (uint64_t)bits * 1000000000ull / h->p.i2c_hz;
}

static void events_now(struct hbp_host *h);

/* The CPU is busy (a blocking transfer) until t: only what interrupts do happens meanwhile
 * (bytes arrive into the receive ring, bytes leave, edges are captured). */
static void interrupts_until(struct hbp_host *h, uint64_t t)
{
	h->in_isr = 1;
	for (;;) {
		uint64_t next = t;
		if (h->in_n && h->in_at[h->in_head] < next)
			next = h->in_at[h->in_head];
		if (h->e_n && h->e_t[h->e_head] < next)
			next = h->e_t[h->e_head];
		if (h->tx_n && h->tx_done[h->tx_head] < next)
			next = h->tx_done[h->tx_head];
		if (h->op_running && !h->op_latched && h->op_latch < next)
			next = h->op_latch;
		if (next < h->now)
			next = h->now;
		h->now = next;
		events_now(h);
		if (next >= t)
			break;
	}
	h->in_isr = 0;
}

static void h_i2c_start(void *ctx, struct hbp_i2c_op *op)
{
	struct hbp_host *h = ctx;
	h->op = op;
	h->op_running = 1;
	h->op_latched = 1; /* faults and recovery: no device transfer */
	h->st.i2c_ops++;
	uint64_t dur;
	if (h->fault == HBP_FAULT_HANG) {
		h->op_end = NEVER;
		return;
	}
	if (op->kind == HBP_I2C_RECOVER_OP) {
		if (h->fault == HBP_FAULT_SDA_STUCK) {
			unsigned n = h->fault_param;
			if (n <= 9) {
				dur = (uint64_t)(n + 1) * RECOVER_PULSE_NS;
				h->op_result = HBP_I2C_RECOVERED;
				h->fault = HBP_FAULT_NONE;
			} else {
				dur = 10ull * RECOVER_PULSE_NS;
				h->op_result = HBP_I2C_BUS_STUCK;
			}
		} else {
			dur = RECOVER_PULSE_NS; /* SDA high: nothing to free, a STOP */
			h->op_result = h->fault == HBP_FAULT_NO_PERIPHERAL ? HBP_I2C_OK : HBP_I2C_OK;
		}
	} else if (h->fault == HBP_FAULT_SDA_STUCK) {
		dur = STM32_BUSY_WAIT_NS;
		h->op_result = HBP_I2C_BUS_STUCK;
	} else if (h->fault == HBP_FAULT_NO_PERIPHERAL) {
		dur = STM32_OP_TIMEOUT_NS;
		h->op_result = HBP_I2C_TIMEOUT;
	} else {
		/* The device sees the transfer at its latch point (latch_due() calls the owner's
		 * xfer() then): never ahead of the simulated time, so a model of the owner's
		 * can be evaluated as of "now". */
		unsigned latch, total;
		op_bits(op, &latch, &total);
		h->op_latched = 0;
		h->op_latch = h->now + bits_ns(h, latch);
		dur = bits_ns(h, total);
	}
	h->op_end = h->now + dur;
	h->st.i2c_busy_ns += dur;
	if (h->p.blocking_i2c) {
		interrupts_until(h, h->op_latched ? h->op_end : h->op_latch);
		if (h->op_end > h->now)
			interrupts_until(h, h->op_end);
	}
}

/* The transfer reached its latch point: the device acts on it now. */
static void latch_due(struct hbp_host *h)
{
	if (!h->op_running || h->op_latched || h->op_latch > h->now)
		return;
	struct hbp_i2c_op *op = h->op;
	uint8_t st = HBP_I2C_NACK_ADDR;
	if (h->p.xfer)
		st = h->p.xfer(h->p.xfer_ctx, h->now, op->addr, op->w, op->wn, op->r, op->rn);
	h->op_latched = 1;
	h->op_result = st;
	if (st == HBP_I2C_NACK_ADDR && h->op_end > h->now + bits_ns(h, 2))
		h->op_end = h->now + bits_ns(h, 2); /* the master stops: STOP, bus free */
}

static uint8_t h_i2c_poll(void *ctx)
{
	struct hbp_host *h = ctx;
	if (!h->op_running)
		return HBP_I2C_TIMEOUT;
	latch_due(h);
	if (h->now < h->op_end)
		return HBP_I2C_BUSY;
	h->op_running = 0;
	return h->op_result;
}

static void h_i2c_abort(void *ctx)
{
	struct hbp_host *h = ctx;
	if (h->fault == HBP_FAULT_HANG)
		return; /* a wedged HAL: nothing helps but a reset */
	if (h->op_running) {
		h->op_end = h->now;
		h->op_latched = 1;
		h->op_result = HBP_I2C_TIMEOUT;
	}
}

static void h_capture_enable(void *ctx, unsigned mask)
{
	struct hbp_host *h = ctx;
	h->capture_mask = mask & 0xFu;
}

static void h_watchdog_kick(void *ctx)
{
	struct hbp_host *h = ctx;
	h->last_kick = h->now;
}

static void h_system_reset(void *ctx)
{
	struct hbp_host *h = ctx;
	h->reset_req = 1;
}

/* ---- lifecycle ------------------------------------------------------------------------- */

static void boot(struct hbp_host *h, uint8_t cause)
{
	h->boot.reset_cause = cause;
	h->boot.boot_count++;
	if (cause == HBP_RESET_WATCHDOG)
		h->boot.watchdog_resets++;
	/* A reset loses the MCU's buffers and the transfer in flight. */
	h->tx_n = 0;
	h->rx_n = 0;
	h->op_running = 0;
	h->capture_mask = 0;
	h->last_kick = h->now;
	hbp_core_init(&h->core, &h->hal, &h->boot);
	h->core_due = 1;
	h->core_wake = h->now;
}

struct hbp_host *hbp_host_new(const struct hbp_host_params *p)
{
	struct hbp_host *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	if (p)
		h->p = *p;
	else
		h->p.watchdog_us = 500000;
	if (!h->p.baud)
		h->p.baud = HBP_DEFAULT_BAUD;
	if (!h->p.i2c_hz)
		h->p.i2c_hz = 400000;
	if (!h->p.tx_buf)
		h->p.tx_buf = 512;
	if (!h->p.rx_buf)
		h->p.rx_buf = 256;
	h->tx_cap = h->p.tx_buf;
	h->tx_byte = malloc(h->tx_cap);
	h->tx_done = malloc(h->tx_cap * sizeof *h->tx_done);
	h->out_cap = 1u << 16;
	h->out = malloc(h->out_cap);
	h->in_cap = 1u << 14;
	h->in_byte = malloc(h->in_cap);
	h->in_at = malloc(h->in_cap * sizeof *h->in_at);
	h->rx = malloc(h->p.rx_buf);
	if (!h->tx_byte || !h->tx_done || !h->out || !h->in_byte || !h->in_at || !h->rx) {
		hbp_host_free(h);
		return NULL;
	}
	h->now = h->p.start_ns;
	h->hal = (struct hbp_hal){
		.ctx = h,
		.now_us = h_now_us,
		.uart_read = h_uart_read,
		.uart_write = h_uart_write,
		.uart_tx_space = h_tx_space,
		.i2c_start = h_i2c_start,
		.i2c_poll = h_i2c_poll,
		.i2c_abort = h_i2c_abort,
		.capture_enable = h_capture_enable,
		.watchdog_kick = h_watchdog_kick,
		.system_reset = h_system_reset,
		.build_hash = h->p.build_hash,
		.baud = h->p.baud,
		.i2c_hz = h->p.i2c_hz,
		.sysclk_mhz = 0,
		.board = HBP_BOARD_HOST,
		.capabilities = HBP_CAP_I2C_XFER | HBP_CAP_CAPTURE | HBP_CAP_BUS_RECOVERY |
				HBP_CAP_SIMULATED | (h->p.watchdog_us ? HBP_CAP_WATCHDOG : 0),
	};
	boot(h, HBP_RESET_POWER_ON);
	return h;
}

void hbp_host_free(struct hbp_host *h)
{
	if (!h)
		return;
	free(h->tx_byte);
	free(h->tx_done);
	free(h->out);
	free(h->in_byte);
	free(h->in_at);
	free(h->rx);
	free(h);
}

/* ---- the event loop ------------------------------------------------------------------- */

static uint64_t next_event(const struct hbp_host *h)
{
	uint64_t t = h->core_due ? h->now : h->core_wake;
	if (h->op_running && h->op_end < t)
		t = h->op_end;
	if (h->op_running && !h->op_latched && h->op_latch < t)
		t = h->op_latch;
	if (h->in_n && h->in_at[h->in_head] < t)
		t = h->in_at[h->in_head];
	if (h->e_n && h->e_t[h->e_head] < t)
		t = h->e_t[h->e_head];
	if (h->tx_n) {
		/* transmit room: the byte whose completion brings the queue to the half mark,
		 * and the last byte (queue empty) */
		size_t k = h->tx_n > h->tx_cap / 2 ? h->tx_n - h->tx_cap / 2 - 1 : h->tx_n - 1;
		uint64_t tk = h->tx_done[(h->tx_head + k) % h->tx_cap];
		if (tk < t)
			t = tk;
	}
	if (h->p.watchdog_us) {
		uint64_t wd = h->last_kick + (uint64_t)h->p.watchdog_us * 1000u;
		if (wd < t)
			t = wd;
	}
	return t;
}

uint64_t hbp_host_next_event_ns(const struct hbp_host *h)
{
	return next_event(h);
}

/* Apply everything that happens at exactly h->now. */
static void events_now(struct hbp_host *h)
{
	while (h->tx_n && h->tx_done[h->tx_head] <= h->now) {
		if (h->out_n < h->out_cap) {
			h->out[(h->out_head + h->out_n) % h->out_cap] = h->tx_byte[h->tx_head];
			h->out_n++;
		}
		h->tx_head = (h->tx_head + 1) % h->tx_cap;
		h->tx_n--;
		h->core_due = 1; /* room in the transmit buffer */
	}
	while (h->in_n && h->in_at[h->in_head] <= h->now) {
		if (h->rx_n < h->p.rx_buf) {
			h->rx[(h->rx_head + h->rx_n) % h->p.rx_buf] = h->in_byte[h->in_head];
			h->rx_n++;
			h->rx_last_at = h->in_at[h->in_head];
			h->st.rx_bytes++;
		} else {
			h->st.rx_overflow++;
		}
		h->in_head = (h->in_head + 1) % h->in_cap;
		h->in_n--;
		h->core_due = 1;
	}
	while (h->e_n && h->e_t[h->e_head] <= h->now) {
		unsigned ch = h->e_ch[h->e_head];
		if (h->capture_mask >> ch & 1u) {
			hbp_core_capture(&h->core, ch, (uint32_t)(h->e_t[h->e_head] / 1000u));
			h->core_due = 1;
		}
		h->e_head = (h->e_head + 1) % MAX_EDGES;
		h->e_n--;
	}
	latch_due(h);
	if (h->op_running && h->op_end <= h->now)
		h->core_due = 1;
	if (h->core_wake <= h->now)
		h->core_due = 1;
	if (!h->in_isr && h->p.watchdog_us &&
	    h->now >= h->last_kick + (uint64_t)h->p.watchdog_us * 1000u) {
		h->st.resets++;
		h->st.watchdog_resets++;
		boot(h, HBP_RESET_WATCHDOG);
	}
}

static void run_core(struct hbp_host *h)
{
	/* The MCU's main loop spins; here the core runs until it has nothing left to do now. */
	for (int i = 0; i < 4 && h->core_due; i++) {
		h->core_due = 0;
		uint32_t wait_us = hbp_core_run(&h->core);
		h->st.runs++;
		h->core_wake = h->now + (uint64_t)wait_us * 1000u;
		/* the µs timer ticks at whole µs: do not wake before the next tick */
		uint64_t tick = (h->now / 1000u + 1u) * 1000u;
		if (h->core_wake < tick)
			h->core_wake = tick;
		if (h->reset_req) {
			h->reset_req = 0;
			h->st.resets++;
			boot(h, HBP_RESET_SOFTWARE);
		}
	}
	h->core_due = 0;
}

void hbp_host_advance(struct hbp_host *h, uint64_t t_ns)
{
	for (;;) {
		events_now(h);
		if (h->core_due)
			run_core(h);
		uint64_t t = next_event(h);
		if (t <= h->now)
			t = h->now + 1; /* progress guaranteed */
		if (t > t_ns)
			break;
		h->now = t;
	}
	if (t_ns > h->now)
		h->now = t_ns;
	events_now(h);
	if (h->core_due)
		run_core(h);
}

uint64_t hbp_host_now_ns(const struct hbp_host *h)
{
	return h->now;
}

void hbp_host_uart_send(struct hbp_host *h, const uint8_t *p, size_t n)
{
	uint64_t b = byte_ns(h);
	for (size_t i = 0; i < n && h->in_n < h->in_cap; i++) {
		uint64_t start = h->in_last > h->now ? h->in_last : h->now;
		size_t k = (h->in_head + h->in_n) % h->in_cap;
		h->in_byte[k] = p[i];
		h->in_at[k] = start + b;
		h->in_last = start + b;
		h->in_n++;
	}
}

size_t hbp_host_uart_recv(struct hbp_host *h, uint8_t *buf, size_t cap)
{
	size_t n = 0;
	while (n < cap && h->out_n) {
		buf[n++] = h->out[h->out_head];
		h->out_head = (h->out_head + 1) % h->out_cap;
		h->out_n--;
	}
	return n;
}

uint64_t hbp_host_uart_next_rx_ns(const struct hbp_host *h)
{
	if (h->out_n)
		return h->now;
	return h->tx_n ? h->tx_done[h->tx_head] : NEVER;
}

void hbp_host_edge(struct hbp_host *h, unsigned ch, uint64_t t_ns)
{
	if (h->e_n >= MAX_EDGES || ch >= HBP_N_CAPTURE)
		return;
	if (t_ns < h->now)
		t_ns = h->now;
	size_t k = (h->e_head + h->e_n) % MAX_EDGES;
	h->e_t[k] = t_ns;
	h->e_ch[k] = (uint8_t)ch;
	h->e_n++;
}

unsigned hbp_host_capture_mask(const struct hbp_host *h)
{
	return h->capture_mask;
}

void hbp_host_set_fault(struct hbp_host *h, enum hbp_host_fault f, unsigned param)
{
	h->fault = f;
	h->fault_param = param;
}

struct hbp_core *hbp_host_core(struct hbp_host *h)
{
	return &h->core;
}

const struct hbp_host_stats *hbp_host_stats(const struct hbp_host *h)
{
	return &h->st;
}
