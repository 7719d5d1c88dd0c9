/* hilbench bench probe — STM32F4 main: bring the chip up, then run the core forever. */
#include "hal_stm32f4.h"

#ifndef HBP_BUILD_HASH
#define HBP_BUILD_HASH 0u
#endif
#ifndef HBP_BAUD
#define HBP_BAUD HBP_DEFAULT_BAUD
#endif

/* Kept across resets (not cleared by the startup code): boots and watchdog resets since the
 * last power-on. */
#define BOOT_MAGIC 0x48425042u /* "HBPB" */
static struct {
	uint32_t magic, boots, watchdog_resets, check;
} boot_ram __attribute__((section(".noinit")));

static struct hbp_boot_info boot_info(void)
{
	struct hbp_boot_info b = {.reset_cause = hbp_stm32_reset_cause()};
	int valid = boot_ram.magic == BOOT_MAGIC &&
		    boot_ram.check == (boot_ram.boots ^ boot_ram.watchdog_resets ^ BOOT_MAGIC);
	if (!valid || b.reset_cause == HBP_RESET_POWER_ON || b.reset_cause == HBP_RESET_BROWN_OUT) {
		boot_ram.boots = 0;
		boot_ram.watchdog_resets = 0;
	}
	boot_ram.boots++;
	if (b.reset_cause == HBP_RESET_WATCHDOG)
		boot_ram.watchdog_resets++;
	boot_ram.magic = BOOT_MAGIC;
	boot_ram.check = boot_ram.boots ^ boot_ram.watchdog_resets ^ BOOT_MAGIC;
	b.boot_count = (uint16_t)boot_ram.boots;
	b.watchdog_resets = (uint16_t)boot_ram.watchdog_resets;
	return b;
}

int main(void)
{
	struct hbp_boot_info boot = boot_info();
	hbp_stm32_clock_init();
	hbp_stm32_timer_init();
	hbp_stm32_gpio_init();
	hbp_stm32_uart_init(HBP_BAUD);
	hbp_stm32_i2c_init();
	hbp_stm32_capture_init();
	hbp_stm32_watchdog_init();
	hbp_stm32_hal_fill(HBP_BAUD, HBP_BUILD_HASH);
	hbp_core_init(&hbp_stm32_core, &hbp_stm32_hal, &boot);
	for (;;) {
		uint32_t wait_us = hbp_core_run(&hbp_stm32_core);
		hbp_stm32_uart_pump();
		/* LED: steady while sampling, a slow blink when idle */
		uint32_t t = hbp_stm32_hal.now_us(0);
		hbp_stm32_led(hbp_stm32_core.running || (t & 0x80000u) == 0);
		hbp_stm32_idle(wait_us);
	}
}
