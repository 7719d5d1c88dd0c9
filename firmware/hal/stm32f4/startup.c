/* hilbench bench probe — STM32F4 startup: the vector table and the reset handler.
 *
 * The reset handler copies .data from flash, clears .bss (not .noinit: the boot counters
 * survive a reset there) and calls main(). Unused interrupts go to a handler that spins:
 * the watchdog then resets the probe, which reports the reset cause. */
#include <stdint.h>

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
extern int main(void);
void hbp_stm32_tim2_irq(void);
void hbp_stm32_usart_irq(void);
void hbp_stm32_systick_irq(void);

void Reset_Handler(void);

__attribute__((noreturn)) static void spin(void)
{
	for (;;)
		;
}

void Default_Handler(void)
{
	spin();
}

void Reset_Handler(void)
{
	uint32_t *src = &_sidata, *dst = &_sdata;
	while (dst < &_edata)
		*dst++ = *src++;
	for (dst = &_sbss; dst < &_ebss;)
		*dst++ = 0;
	main();
	spin();
}

#define N_IRQ 82 /* STM32F40x/F401/F411: interrupts 0..81 */

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init" /* the defaults, then the used entries */
__attribute__((section(".isr_vector"), used)) static void (*const vectors[16 + N_IRQ])(void) = {
	(void (*)(void))(uintptr_t)&_estack,
	Reset_Handler,
	Default_Handler, /* NMI */
	Default_Handler, /* HardFault */
	Default_Handler, /* MemManage */
	Default_Handler, /* BusFault */
	Default_Handler, /* UsageFault */
	0, 0, 0, 0,
	Default_Handler, /* SVCall */
	Default_Handler, /* DebugMonitor */
	0,
	Default_Handler, /* PendSV */
	hbp_stm32_systick_irq, /* SysTick: the idle wake-up */
	[16 ... 16 + N_IRQ - 1] = Default_Handler,
	[16 + 28] = hbp_stm32_tim2_irq,  /* TIM2 */
	[16 + 37] = hbp_stm32_usart_irq, /* USART1 */
	[16 + 38] = hbp_stm32_usart_irq, /* USART2 */
};
#pragma GCC diagnostic pop
