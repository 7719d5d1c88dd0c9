/* hilbench bench probe — the STM32F4 HAL (docs/probe.md).
 *
 * Every wait is bounded twice: by the µs timer and by a loop count, so that a peripheral that
 * never answers (an absent I2C block under QEMU, whose netduinoplus2 leaves I2C, RCC, GPIO and
 * the watchdog unimplemented: they read as 0) or a timer that does not count gives a clean
 * error instead of a hang. */
#include "hal_stm32f4.h"

#include <string.h>

#include "board.h"

#define RX_RING 256u /* powers of two */
#define TX_RING 512u

struct hbp_core hbp_stm32_core;
struct hbp_hal hbp_stm32_hal;

static uint32_t sysclk_hz = 16000000u, pclk1_hz = 16000000u, pclk2_hz = 16000000u;
static uint32_t tim_hz = 16000000u;
static int timer16;              /* TIM2 reads back a 16-bit ARR: extend in software */
static uint32_t t16_ext, t16_last;
/* No clock controller (QEMU's netduinoplus2 leaves the RCC unimplemented: HSIRDY, which
 * silicon sets at reset, reads 0). Its TIM2 then counts at a rate of QEMU's choosing, so the
 * time base is SysTick at the emulated core clock (the netduinoplus2's 168 MHz). */
#define EMULATED_CORE_MHZ 168u
static int emulated;
static uint32_t st_last, st_rem, st_us;

static volatile uint8_t rx_buf[RX_RING];
static volatile uint16_t rx_head, rx_tail;
static volatile uint32_t rx_stamp, rx_overruns;
static volatile uint8_t tx_buf[TX_RING];
static volatile uint16_t tx_head, tx_tail;

static uint8_t i2c_result = HBP_I2C_TIMEOUT;

/* ---- clocks and time ------------------------------------------------------------------ */

static int wait_set(volatile uint32_t *reg, uint32_t mask, uint32_t want, uint32_t loops)
{
	while (loops--)
		if ((*reg & mask) == want)
			return 1;
	return 0;
}

void hbp_stm32_clock_init(void)
{
	/* HSE, then the PLL to 84 MHz (VCO 336 MHz, /4); HSI at 16 MHz if either never gets
	 * ready. Flash needs 2 wait states at 84 MHz and 3.3 V. */
	RCC_CR |= RCC_CR_HSION;
	if (!wait_set(&RCC_CR, RCC_CR_HSIRDY, RCC_CR_HSIRDY, 10000)) { /* ~1 ms */
		emulated = 1;
		SYST_RVR = 0xFFFFFFu;
		SYST_CVR = 0;
		/* the wrap interrupt (every 100 ms) also ends an idle sleep */
		SYST_CSR = SYST_CSR_ENABLE | SYST_CSR_CORECLK | SYST_CSR_TICKINT;
		st_last = SYST_CVR;
		sysclk_hz = EMULATED_CORE_MHZ * 1000000u;
		return;
	}
	RCC_CR |= RCC_CR_HSEON | (BOARD_HSE_BYPASS ? RCC_CR_HSEBYP : 0);
	int hse = wait_set(&RCC_CR, RCC_CR_HSERDY, RCC_CR_HSERDY, 200000);
	uint32_t in_mhz = hse ? BOARD_HSE_HZ / 1000000u : 16u;
	RCC_PLLCFGR = in_mhz /* M: 1 MHz into the VCO */ | 336u << 6 /* N */ | 1u << 16 /* P = 4 */ |
		      7u << 24 /* Q = 7: 48 MHz */ | (hse ? RCC_PLLCFGR_SRC_HSE : 0);
	FLASH_ACR = FLASH_ACR_PRFTEN | FLASH_ACR_ICEN | FLASH_ACR_DCEN | 2u;
	RCC_CFGR = (RCC_CFGR & ~(RCC_CFGR_HPRE_MASK | RCC_CFGR_PPRE1_MASK | RCC_CFGR_PPRE2_MASK)) |
		   RCC_CFGR_PPRE1_DIV2;
	RCC_CR |= RCC_CR_PLLON;
	if (wait_set(&RCC_CR, RCC_CR_PLLRDY, RCC_CR_PLLRDY, 200000)) {
		RCC_CFGR = (RCC_CFGR & ~RCC_CFGR_SW_MASK) | RCC_CFGR_SW_PLL;
		if (wait_set(&RCC_CFGR, RCC_CFGR_SWS_MASK, RCC_CFGR_SWS_PLL, 100000)) {
			sysclk_hz = 84000000u;
			pclk1_hz = 42000000u;
			pclk2_hz = 84000000u;
			tim_hz = 84000000u; /* APB1 prescaler 2: timers run at twice PCLK1 */
			return;
		}
	}
	/* No PLL: run from HSI, APB1 undivided. */
	RCC_CFGR &= ~(RCC_CFGR_SW_MASK | RCC_CFGR_PPRE1_MASK);
	sysclk_hz = pclk1_hz = pclk2_hz = tim_hz = 16000000u;
}

void hbp_stm32_timer_init(void)
{
	RCC_APB1ENR |= RCC_APB1ENR_TIM2;
	TIM2_CR1 = 0;
	TIM2_PSC = tim_hz / HBP_TIMER_HZ - 1u;
	TIM2_ARR = 0xFFFFFFFFu;
	timer16 = TIM2_ARR != 0xFFFFFFFFu;
	if (timer16)
		TIM2_ARR = 0xFFFFu;
	TIM2_EGR = TIM_EGR_UG; /* load the prescaler */
	TIM2_SR = 0;
	TIM2_CR1 = TIM_CR1_CEN;
}

static uint32_t now_us(void *ctx)
{
	(void)ctx;
	if (emulated) { /* SysTick counts down, 24 bits: called often enough to see each wrap */
		uint32_t cvr = SYST_CVR, ticks = (st_last - cvr) & 0xFFFFFFu;
		st_last = cvr;
		st_rem += ticks;
		st_us += st_rem / EMULATED_CORE_MHZ;
		st_rem %= EMULATED_CORE_MHZ;
		return st_us;
	}
	uint32_t raw = TIM2_CNT;
	if (!timer16)
		return raw;
	/* Called from the run loop only (often: wraps every 65 ms). */
	raw &= 0xFFFFu;
	if (raw < t16_last)
		t16_ext += 0x10000u;
	t16_last = raw;
	return t16_ext + raw;
}

static void delay_us(uint32_t us)
{
	uint32_t t0 = now_us(0);
	for (uint32_t loops = us * 64u + 64u; loops; loops--)
		if (now_us(0) - t0 >= us)
			return;
}

/* ---- GPIO ------------------------------------------------------------------------------- */

static void pin_mode(uint32_t port, unsigned pin, unsigned mode, unsigned af, int open_drain,
		     int pull_up)
{
	GPIO_MODER(port) = (GPIO_MODER(port) & ~(3u << 2 * pin)) | mode << 2 * pin;
	GPIO_OTYPER(port) = (GPIO_OTYPER(port) & ~(1u << pin)) | (open_drain ? 1u : 0u) << pin;
	GPIO_OSPEEDR(port) |= 3u << 2 * pin;
	GPIO_PUPDR(port) = (GPIO_PUPDR(port) & ~(3u << 2 * pin)) | (pull_up ? 1u : 0u) << 2 * pin;
	volatile uint32_t *afr = pin < 8 ? &GPIO_AFRL(port) : &GPIO_AFRH(port);
	unsigned sh = 4u * (pin & 7u);
	*afr = (*afr & ~(15u << sh)) | af << sh;
}

static void pin_write(uint32_t port, unsigned pin, int high)
{
	GPIO_BSRR(port) = high ? 1u << pin : 1u << (pin + 16);
}

static int pin_read(uint32_t port, unsigned pin)
{
	return (GPIO_IDR(port) >> pin) & 1u;
}

void hbp_stm32_led(int on)
{
	pin_write(BOARD_LED_PORT, BOARD_LED_PIN, BOARD_LED_ACTIVE_LOW ? !on : on);
}

void hbp_stm32_gpio_init(void)
{
	RCC_AHB1ENR |= RCC_AHB1ENR_GPIOA | RCC_AHB1ENR_GPIOB | RCC_AHB1ENR_GPIOC;
	pin_mode(BOARD_LED_PORT, BOARD_LED_PIN, GPIO_MODE_OUT, 0, 0, 0);
	hbp_stm32_led(0);
	pin_mode(BOARD_UART_PORT, BOARD_UART_TX, GPIO_MODE_AF, 7, 0, 0);
	pin_mode(BOARD_UART_PORT, BOARD_UART_RX, GPIO_MODE_AF, 7, 0, 1);
	pin_mode(BOARD_I2C_PORT, BOARD_I2C_SCL, GPIO_MODE_AF, 4, 1, 1);
	pin_mode(BOARD_I2C_PORT, BOARD_I2C_SDA, GPIO_MODE_AF, 4, 1, 1);
	pin_mode(BOARD_DONE_PORT, BOARD_DONE_PIN, GPIO_MODE_AF, 1, 0, 0);
	pin_mode(BOARD_BUSY_PORT, BOARD_BUSY_PIN, GPIO_MODE_AF, 1, 0, 0);
}

/* ---- UART: interrupt-driven rings; the run loop also pumps TX (QEMU's USART model may
 * raise no TXE interrupt) ------------------------------------------------------------ */

void hbp_stm32_uart_init(uint32_t baud)
{
	uint32_t pclk = BOARD_USART_APB2 ? pclk2_hz : pclk1_hz;
	if (BOARD_USART_APB2)
		RCC_APB2ENR |= RCC_APB2ENR_USART1;
	else
		RCC_APB1ENR |= RCC_APB1ENR_USART2;
	uint32_t cr1 = USART_CR1_UE | USART_CR1_TE | USART_CR1_RE | USART_CR1_RXNEIE;
	uint32_t div16 = (pclk + baud / 2u) / baud; /* BRR = 16 * USARTDIV with OVER8 = 0 */
	uint32_t brr = div16;
	if (div16 < 16u) { /* too fast for 16x oversampling: 8x, BRR[3] must be 0 */
		cr1 |= USART_CR1_OVER8;
		brr = (div16 >> 3) << 4 | (div16 & 7u);
	}
	USART_CR1(BOARD_USART) = 0;
	USART_BRR(BOARD_USART) = brr;
	USART_CR2(BOARD_USART) = 0;
	USART_CR3(BOARD_USART) = 0;
	USART_CR1(BOARD_USART) = cr1;
	irq_enable(BOARD_USART_IRQ);
}

void hbp_stm32_usart_irq(void)
{
	uint32_t sr = USART_SR(BOARD_USART);
	if (sr & (USART_SR_RXNE | USART_SR_ORE)) {
		uint8_t b = (uint8_t)USART_DR(BOARD_USART); /* also clears ORE */
		if (sr & USART_SR_ORE)
			rx_overruns++;
		uint16_t h = rx_head;
		if ((uint16_t)(h - rx_tail) < RX_RING) {
			rx_buf[h & (RX_RING - 1u)] = b;
			rx_head = (uint16_t)(h + 1u);
		} else {
			rx_overruns++;
		}
		rx_stamp = TIM2_CNT;
	}
	if ((USART_CR1(BOARD_USART) & USART_CR1_TXEIE) && (sr & USART_SR_TXE)) {
		if (tx_tail != tx_head) {
			USART_DR(BOARD_USART) = tx_buf[tx_tail & (TX_RING - 1u)];
			tx_tail = (uint16_t)(tx_tail + 1u);
		} else {
			USART_CR1(BOARD_USART) &= ~USART_CR1_TXEIE;
		}
	}
}

void hbp_stm32_uart_pump(void)
{
	uint32_t pm = irq_save();
	while (tx_tail != tx_head && (USART_SR(BOARD_USART) & USART_SR_TXE)) {
		USART_DR(BOARD_USART) = tx_buf[tx_tail & (TX_RING - 1u)];
		tx_tail = (uint16_t)(tx_tail + 1u);
	}
	irq_restore(pm);
}

static size_t uart_read(void *ctx, uint8_t *buf, size_t cap, uint32_t *t_last)
{
	(void)ctx;
	size_t n = 0;
	while (n < cap && rx_tail != rx_head) {
		buf[n++] = rx_buf[rx_tail & (RX_RING - 1u)];
		rx_tail = (uint16_t)(rx_tail + 1u);
	}
	if (t_last)
		*t_last = timer16 || emulated ? now_us(0) : rx_stamp;
	return n;
}

static size_t uart_tx_space(void *ctx)
{
	(void)ctx;
	return TX_RING - (uint16_t)(tx_head - tx_tail);
}

static size_t uart_write(void *ctx, const uint8_t *buf, size_t len)
{
	size_t n = 0;
	while (n < len && uart_tx_space(ctx)) {
		tx_buf[tx_head & (TX_RING - 1u)] = buf[n++];
		tx_head = (uint16_t)(tx_head + 1u);
	}
	if (n) {
		uint32_t pm = irq_save();
		USART_CR1(BOARD_USART) |= USART_CR1_TXEIE;
		irq_restore(pm);
		hbp_stm32_uart_pump();
	}
	return n;
}

/* ---- I2C1: polled master transfers, bounded ------------------------------------------- */

static void i2c_setup(void)
{
	uint32_t mhz = pclk1_hz / 1000000u;
	I2C_CR1 = I2C_CR1_SWRST;
	I2C_CR1 = 0;
	I2C_CR2 = mhz;
	/* Fast mode, duty 2:1: SCL period = 3 * CCR / PCLK1. */
	uint32_t ccr = pclk1_hz / (3u * BOARD_I2C_HZ);
	I2C_CCR = I2C_CCR_FS | (ccr ? ccr : 1u);
	I2C_TRISE = mhz * 300u / 1000u + 1u; /* 300 ns rise time */
	I2C_CR1 = I2C_CR1_PE;
}

void hbp_stm32_i2c_init(void)
{
	RCC_APB1ENR |= RCC_APB1ENR_I2C1;
	RCC_APB1RSTR |= RCC_APB1RSTR_I2C1;
	RCC_APB1RSTR &= ~RCC_APB1RSTR_I2C1;
	i2c_setup();
}

struct wait {
	uint32_t t0, budget_us, loops;
};

/* Wait for SR1 & mask. 0 = ok, else the failure (NACK, arbitration, timeout). */
static uint8_t wait_sr1(struct wait *w, uint32_t mask, uint8_t nack_status)
{
	for (;;) {
		uint32_t sr1 = I2C_SR1;
		if (sr1 & I2C_SR1_AF) {
			I2C_SR1 = ~I2C_SR1_AF;
			return nack_status;
		}
		if (sr1 & (I2C_SR1_ARLO | I2C_SR1_BERR)) {
			I2C_SR1 = ~(I2C_SR1_ARLO | I2C_SR1_BERR);
			return HBP_I2C_ARB_LOST;
		}
		if (sr1 & mask)
			return HBP_I2C_OK;
		if (!w->loops-- || now_us(0) - w->t0 > w->budget_us)
			return HBP_I2C_TIMEOUT;
	}
}

static void clear_addr(void)
{
	(void)I2C_SR1;
	(void)I2C_SR2;
}

static uint8_t i2c_read_phase(struct wait *w, uint8_t addr, uint8_t *r, unsigned n)
{
	uint8_t st;
	if (n == 2)
		I2C_CR1 |= I2C_CR1_ACK | I2C_CR1_POS;
	else if (n > 2)
		I2C_CR1 |= I2C_CR1_ACK;
	else
		I2C_CR1 &= ~I2C_CR1_ACK;
	I2C_DR = (uint32_t)addr << 1 | 1u;
	if ((st = wait_sr1(w, I2C_SR1_ADDR, HBP_I2C_NACK_ADDR)))
		return st;
	if (n == 1) {
		uint32_t pm = irq_save(); /* ADDR cleared and STOP set inside one byte time */
		clear_addr();
		I2C_CR1 |= I2C_CR1_STOP;
		irq_restore(pm);
		if ((st = wait_sr1(w, I2C_SR1_RXNE, HBP_I2C_NACK_DATA)))
			return st;
		r[0] = (uint8_t)I2C_DR;
		return HBP_I2C_OK;
	}
	if (n == 2) {
		uint32_t pm = irq_save();
		clear_addr();
		I2C_CR1 &= ~I2C_CR1_ACK;
		irq_restore(pm);
		if ((st = wait_sr1(w, I2C_SR1_BTF, HBP_I2C_NACK_DATA)))
			return st;
		I2C_CR1 |= I2C_CR1_STOP;
		r[0] = (uint8_t)I2C_DR;
		r[1] = (uint8_t)I2C_DR;
		I2C_CR1 &= ~I2C_CR1_POS;
		return HBP_I2C_OK;
	}
	clear_addr();
	unsigned i = 0;
	for (; i + 3 < n; i++) {
		if ((st = wait_sr1(w, I2C_SR1_RXNE, HBP_I2C_NACK_DATA)))
			return st;
		r[i] = (uint8_t)I2C_DR;
	}
	if ((st = wait_sr1(w, I2C_SR1_BTF, HBP_I2C_NACK_DATA)))
		return st;
	I2C_CR1 &= ~I2C_CR1_ACK;
	r[i++] = (uint8_t)I2C_DR;
	if ((st = wait_sr1(w, I2C_SR1_BTF, HBP_I2C_NACK_DATA)))
		return st;
	uint32_t pm = irq_save();
	I2C_CR1 |= I2C_CR1_STOP;
	r[i++] = (uint8_t)I2C_DR;
	irq_restore(pm);
	if ((st = wait_sr1(w, I2C_SR1_RXNE, HBP_I2C_NACK_DATA)))
		return st;
	r[i] = (uint8_t)I2C_DR;
	return HBP_I2C_OK;
}

static uint8_t i2c_xfer(struct hbp_i2c_op *op)
{
	/* A transfer takes 9 SCL periods a byte; allow twice that plus 500 µs. */
	uint32_t nominal = 9u * (op->wn + op->rn + 2u) * 1000000u / BOARD_I2C_HZ;
	struct wait w = {.t0 = now_us(0), .budget_us = 2u * nominal + 500u};
	w.loops = w.budget_us * (sysclk_hz / 4000000u + 1u);
	/* Someone holds the bus (SDA low): give it 200 µs, then call it stuck. */
	struct wait wb = {.t0 = w.t0, .budget_us = 200u, .loops = 200u * (sysclk_hz / 4000000u + 1u)};
	while (I2C_SR2 & I2C_SR2_BUSY)
		if (!wb.loops-- || now_us(0) - wb.t0 > wb.budget_us)
			return HBP_I2C_BUS_STUCK;
	uint8_t st;
	I2C_CR1 |= I2C_CR1_START;
	if ((st = wait_sr1(&w, I2C_SR1_SB, HBP_I2C_TIMEOUT)))
		goto fail;
	if (op->wn || !op->rn) {
		I2C_DR = (uint32_t)op->addr << 1;
		if ((st = wait_sr1(&w, I2C_SR1_ADDR, HBP_I2C_NACK_ADDR)))
			goto fail;
		clear_addr();
		for (unsigned i = 0; i < op->wn; i++) {
			if ((st = wait_sr1(&w, I2C_SR1_TXE, HBP_I2C_NACK_DATA)))
				goto fail;
			I2C_DR = op->w[i];
		}
		if ((st = wait_sr1(&w, I2C_SR1_BTF, HBP_I2C_NACK_DATA)))
			goto fail;
		if (op->rn) {
			I2C_CR1 |= I2C_CR1_START; /* repeated START */
			if ((st = wait_sr1(&w, I2C_SR1_SB, HBP_I2C_TIMEOUT)))
				goto fail;
		} else {
			I2C_CR1 |= I2C_CR1_STOP;
		}
	}
	if (op->rn && (st = i2c_read_phase(&w, op->addr, op->r, op->rn)))
		goto fail;
	while ((I2C_CR1 & I2C_CR1_STOP) && w.loops--)
		;
	return HBP_I2C_OK;
fail:
	if (st == HBP_I2C_NACK_ADDR || st == HBP_I2C_NACK_DATA) {
		I2C_CR1 |= I2C_CR1_STOP;
		while ((I2C_CR1 & I2C_CR1_STOP) && w.loops--)
			;
		I2C_CR1 &= ~(I2C_CR1_POS | I2C_CR1_ACK);
	} else {
		i2c_setup(); /* software reset: the peripheral may be mid-transfer */
	}
	return st;
}

/* Clock SCL by hand until the slave that holds SDA low lets go (at most 9 pulses at
 * 100 kHz), then a STOP. */
static uint8_t i2c_recover(void)
{
	I2C_CR1 = 0;
	pin_write(BOARD_I2C_PORT, BOARD_I2C_SCL, 1);
	pin_write(BOARD_I2C_PORT, BOARD_I2C_SDA, 1);
	pin_mode(BOARD_I2C_PORT, BOARD_I2C_SCL, GPIO_MODE_OUT, 0, 1, 1);
	pin_mode(BOARD_I2C_PORT, BOARD_I2C_SDA, GPIO_MODE_OUT, 0, 1, 1);
	delay_us(5);
	int was_low = !pin_read(BOARD_I2C_PORT, BOARD_I2C_SDA);
	for (int k = 0; k < 9 && !pin_read(BOARD_I2C_PORT, BOARD_I2C_SDA); k++) {
		pin_write(BOARD_I2C_PORT, BOARD_I2C_SCL, 0);
		delay_us(5);
		pin_write(BOARD_I2C_PORT, BOARD_I2C_SCL, 1);
		delay_us(5);
	}
	int freed = pin_read(BOARD_I2C_PORT, BOARD_I2C_SDA);
	/* STOP: SDA rises while SCL is high. */
	pin_write(BOARD_I2C_PORT, BOARD_I2C_SCL, 0);
	delay_us(5);
	pin_write(BOARD_I2C_PORT, BOARD_I2C_SDA, 0);
	delay_us(5);
	pin_write(BOARD_I2C_PORT, BOARD_I2C_SCL, 1);
	delay_us(5);
	pin_write(BOARD_I2C_PORT, BOARD_I2C_SDA, 1);
	delay_us(5);
	pin_mode(BOARD_I2C_PORT, BOARD_I2C_SCL, GPIO_MODE_AF, 4, 1, 1);
	pin_mode(BOARD_I2C_PORT, BOARD_I2C_SDA, GPIO_MODE_AF, 4, 1, 1);
	i2c_setup();
	if (!freed)
		return HBP_I2C_BUS_STUCK;
	return was_low ? HBP_I2C_RECOVERED : HBP_I2C_OK;
}

static void i2c_start(void *ctx, struct hbp_i2c_op *op)
{
	(void)ctx;
	i2c_result = op->kind == HBP_I2C_RECOVER_OP ? i2c_recover() : i2c_xfer(op);
}

static uint8_t i2c_poll(void *ctx)
{
	(void)ctx;
	return i2c_result; /* transfers finish inside i2c_start() */
}

static void i2c_abort(void *ctx)
{
	(void)ctx;
	i2c_setup();
	i2c_result = HBP_I2C_TIMEOUT;
}

/* ---- TIM2 input capture: CH1 = DONE rising, CH2 = DONE falling (both from TI1), CH3 =
 * BUSY rising, CH4 = BUSY falling (both from TI3) ----------------------------------------- */

void hbp_stm32_capture_init(void)
{
	TIM2_CCER = 0;
	TIM2_CCMR1 = TIM_CCMR_CCS_DIRECT | TIM_CCMR_CCS_NEIGHBOUR << 8;
	TIM2_CCMR2 = TIM_CCMR_CCS_DIRECT | TIM_CCMR_CCS_NEIGHBOUR << 8;
	irq_enable(IRQ_TIM2);
}

static void capture_enable(void *ctx, unsigned mask)
{
	(void)ctx;
	uint32_t ccer = 0, dier = 0;
	for (unsigned k = 0; k < HBP_N_CAPTURE; k++) {
		if (!(mask >> k & 1u))
			continue;
		ccer |= TIM_CCER_CCE(k) | ((k & 1u) ? TIM_CCER_CCP(k) : 0u);
		dier |= TIM_DIER_CCIE(k);
	}
	TIM2_DIER = 0;
	TIM2_CCER = ccer;
	TIM2_SR = 0;
	TIM2_DIER = dier;
}

void hbp_stm32_tim2_irq(void)
{
	uint32_t sr = TIM2_SR;
	for (unsigned k = 0; k < HBP_N_CAPTURE; k++) {
		if (sr & TIM_SR_CCIF(k))
			hbp_core_capture(&hbp_stm32_core, k, TIM2_CCR(k)); /* reading clears CCxIF */
		if (sr & TIM_SR_CCOF(k)) {
			TIM2_SR = ~TIM_SR_CCOF(k);
			hbp_core_capture_lost(&hbp_stm32_core, 1);
		}
	}
}

/* ---- idle ------------------------------------------------------------------------------ */

void hbp_stm32_systick_irq(void)
{
	if (!emulated)
		SYST_CSR = 0; /* one-shot wake-up: done */
}

/* Sleep (WFI) until an interrupt or for about wait_us, if nothing is pending. The core's
 * deadlines are wake-ups from SysTick; bytes, edges and transmit-ready are interrupts. While
 * bytes wait to be sent the loop keeps spinning (the run loop pumps the transmitter). */
void hbp_stm32_idle(uint32_t wait_us)
{
	if (wait_us < 50u)
		return;
	if (wait_us > 100000u)
		wait_us = 100000u; /* well inside the 500 ms watchdog */
	uint32_t pm = irq_save();
	int busy = rx_tail != rx_head || tx_tail != tx_head ||
		   hbp_stm32_core.e_head != hbp_stm32_core.e_tail;
	if (!busy) {
		if (!emulated) {
			uint32_t ticks = (wait_us - 20u) * (sysclk_hz / 1000000u);
			SYST_CSR = 0;
			SYST_RVR = ticks > 0xFFFFFFu ? 0xFFFFFFu : ticks;
			SYST_CVR = 0;
			SYST_CSR = SYST_CSR_ENABLE | SYST_CSR_CORECLK | SYST_CSR_TICKINT;
		}
		__asm volatile("dsb\n wfi" ::: "memory");
	}
	irq_restore(pm);
}

/* ---- watchdog and reset --------------------------------------------------------------- */

void hbp_stm32_watchdog_init(void)
{
	DBGMCU_APB1_FZ |= DBGMCU_IWDG_STOP;
	IWDG_KR = IWDG_KEY_START;
	IWDG_KR = IWDG_KEY_UNLOCK;
	IWDG_PR = 3;   /* LSI / 32: ~1 kHz */
	IWDG_RLR = 500; /* ~500 ms */
	wait_set(&IWDG_SR, 3u, 0u, 100000);
	IWDG_KR = IWDG_KEY_RELOAD;
}

static void watchdog_kick(void *ctx)
{
	(void)ctx;
	IWDG_KR = IWDG_KEY_RELOAD;
}

static void system_reset(void *ctx)
{
	(void)ctx;
	SCB_AIRCR = SCB_AIRCR_RESET;
	for (;;)
		;
}

uint8_t hbp_stm32_reset_cause(void)
{
	uint32_t csr = RCC_CSR;
	RCC_CSR |= RCC_CSR_RMVF;
	if (csr & RCC_CSR_IWDGRSTF)
		return HBP_RESET_WATCHDOG;
	if (csr & RCC_CSR_WWDGRSTF)
		return HBP_RESET_WINDOW_WATCHDOG;
	if (csr & RCC_CSR_LPWRRSTF)
		return HBP_RESET_LOW_POWER;
	if (csr & RCC_CSR_SFTRSTF)
		return HBP_RESET_SOFTWARE;
	if (csr & RCC_CSR_PORRSTF)
		return HBP_RESET_POWER_ON;
	if (csr & RCC_CSR_BORRSTF)
		return HBP_RESET_BROWN_OUT;
	if (csr & RCC_CSR_PINRSTF)
		return HBP_RESET_PIN;
	return HBP_RESET_UNKNOWN;
}

void hbp_stm32_hal_fill(uint32_t baud, uint32_t build_hash)
{
	hbp_stm32_hal = (struct hbp_hal){
		.ctx = 0,
		.now_us = now_us,
		.uart_read = uart_read,
		.uart_write = uart_write,
		.uart_tx_space = uart_tx_space,
		.i2c_start = i2c_start,
		.i2c_poll = i2c_poll,
		.i2c_abort = i2c_abort,
		.capture_enable = capture_enable,
		.watchdog_kick = watchdog_kick,
		.system_reset = system_reset,
		.build_hash = build_hash,
		.baud = baud,
		.i2c_hz = BOARD_I2C_HZ,
		.sysclk_mhz = (uint16_t)(sysclk_hz / 1000000u),
		.board = BOARD_ID,
		.capabilities = HBP_CAP_I2C_XFER | HBP_CAP_CAPTURE | HBP_CAP_WATCHDOG |
				HBP_CAP_BUS_RECOVERY | (emulated ? HBP_CAP_EMULATED : 0),
	};
}
