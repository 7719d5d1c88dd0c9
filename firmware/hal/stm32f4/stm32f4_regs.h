/* hilbench bench probe — the STM32F4 registers the probe uses.
 *
 * Addresses and bit positions from ST's reference manuals RM0368 (STM32F401), RM0383
 * (STM32F411) and RM0090 (STM32F405, the chip QEMU's netduinoplus2 models); these
 * peripherals sit at the same addresses with the same layouts on all three. Only what the
 * probe touches is named. */
#ifndef STM32F4_REGS_H
#define STM32F4_REGS_H

#include <stdint.h>

#define REG(addr) (*(volatile uint32_t *)(addr))

/* ---- RCC (reset and clock control) ---------------------------------------------------- */
#define RCC_BASE 0x40023800u
#define RCC_CR REG(RCC_BASE + 0x00)
#define RCC_PLLCFGR REG(RCC_BASE + 0x04)
#define RCC_CFGR REG(RCC_BASE + 0x08)
#define RCC_APB1RSTR REG(RCC_BASE + 0x20)
#define RCC_AHB1ENR REG(RCC_BASE + 0x30)
#define RCC_APB1ENR REG(RCC_BASE + 0x40)
#define RCC_APB2ENR REG(RCC_BASE + 0x44)
#define RCC_CSR REG(RCC_BASE + 0x74)

#define RCC_CR_HSION (1u << 0)
#define RCC_CR_HSIRDY (1u << 1)
#define RCC_CR_HSEON (1u << 16)
#define RCC_CR_HSERDY (1u << 17)
#define RCC_CR_HSEBYP (1u << 18)
#define RCC_CR_PLLON (1u << 24)
#define RCC_CR_PLLRDY (1u << 25)
#define RCC_PLLCFGR_SRC_HSE (1u << 22)
#define RCC_CFGR_SW_MASK 3u
#define RCC_CFGR_SW_PLL 2u
#define RCC_CFGR_SWS_MASK (3u << 2)
#define RCC_CFGR_SWS_PLL (2u << 2)
#define RCC_CFGR_PPRE1_DIV2 (4u << 10)
#define RCC_CFGR_PPRE1_MASK (7u << 10)
#define RCC_CFGR_PPRE2_MASK (7u << 13)
#define RCC_CFGR_HPRE_MASK (15u << 4)
#define RCC_AHB1ENR_GPIOA (1u << 0)
#define RCC_AHB1ENR_GPIOB (1u << 1)
#define RCC_AHB1ENR_GPIOC (1u << 2)
#define RCC_APB1ENR_TIM2 (1u << 0)
#define RCC_APB1ENR_USART2 (1u << 17)
#define RCC_APB1ENR_I2C1 (1u << 21)
#define RCC_APB1RSTR_I2C1 (1u << 21)
#define RCC_APB2ENR_USART1 (1u << 4)
#define RCC_CSR_LSION (1u << 0)
#define RCC_CSR_LSIRDY (1u << 1)
#define RCC_CSR_RMVF (1u << 24)
#define RCC_CSR_BORRSTF (1u << 25)
#define RCC_CSR_PINRSTF (1u << 26)
#define RCC_CSR_PORRSTF (1u << 27)
#define RCC_CSR_SFTRSTF (1u << 28)
#define RCC_CSR_IWDGRSTF (1u << 29)
#define RCC_CSR_WWDGRSTF (1u << 30)
#define RCC_CSR_LPWRRSTF (1u << 31)

/* ---- flash interface -------------------------------------------------------------------- */
#define FLASH_ACR REG(0x40023C00u)
#define FLASH_ACR_PRFTEN (1u << 8)
#define FLASH_ACR_ICEN (1u << 9)
#define FLASH_ACR_DCEN (1u << 10)

/* ---- GPIO ------------------------------------------------------------------------------- */
#define GPIOA_BASE 0x40020000u
#define GPIOB_BASE 0x40020400u
#define GPIOC_BASE 0x40020800u
#define GPIO_MODER(b) REG((b) + 0x00)
#define GPIO_OTYPER(b) REG((b) + 0x04)
#define GPIO_OSPEEDR(b) REG((b) + 0x08)
#define GPIO_PUPDR(b) REG((b) + 0x0C)
#define GPIO_IDR(b) REG((b) + 0x10)
#define GPIO_BSRR(b) REG((b) + 0x18)
#define GPIO_AFRL(b) REG((b) + 0x20)
#define GPIO_AFRH(b) REG((b) + 0x24)
#define GPIO_MODE_IN 0u
#define GPIO_MODE_OUT 1u
#define GPIO_MODE_AF 2u

/* ---- USART -------------------------------------------------------------------------------- */
#define USART1_BASE 0x40011000u
#define USART2_BASE 0x40004400u
#define USART_SR(b) REG((b) + 0x00)
#define USART_DR(b) REG((b) + 0x04)
#define USART_BRR(b) REG((b) + 0x08)
#define USART_CR1(b) REG((b) + 0x0C)
#define USART_CR2(b) REG((b) + 0x10)
#define USART_CR3(b) REG((b) + 0x14)
#define USART_SR_ORE (1u << 3)
#define USART_SR_RXNE (1u << 5)
#define USART_SR_TXE (1u << 7)
#define USART_CR1_RE (1u << 2)
#define USART_CR1_TE (1u << 3)
#define USART_CR1_RXNEIE (1u << 5)
#define USART_CR1_TXEIE (1u << 7)
#define USART_CR1_UE (1u << 13)
#define USART_CR1_OVER8 (1u << 15)

/* ---- TIM2 (32-bit general-purpose timer) ---------------------------------------------- */
#define TIM2_BASE 0x40000000u
#define TIM2_CR1 REG(TIM2_BASE + 0x00)
#define TIM2_DIER REG(TIM2_BASE + 0x0C)
#define TIM2_SR REG(TIM2_BASE + 0x10)
#define TIM2_EGR REG(TIM2_BASE + 0x14)
#define TIM2_CCMR1 REG(TIM2_BASE + 0x18)
#define TIM2_CCMR2 REG(TIM2_BASE + 0x1C)
#define TIM2_CCER REG(TIM2_BASE + 0x20)
#define TIM2_CNT REG(TIM2_BASE + 0x24)
#define TIM2_PSC REG(TIM2_BASE + 0x28)
#define TIM2_ARR REG(TIM2_BASE + 0x2C)
#define TIM2_CCR(k) REG(TIM2_BASE + 0x34 + 4u * (k)) /* k = 0..3 for CCR1..CCR4 */
#define TIM_CR1_CEN (1u << 0)
#define TIM_EGR_UG (1u << 0)
#define TIM_SR_CCIF(k) (1u << ((k) + 1))  /* capture flag of channel k (0..3) */
#define TIM_SR_CCOF(k) (1u << ((k) + 9))  /* overcapture: an edge was lost */
#define TIM_DIER_CCIE(k) (1u << ((k) + 1))
#define TIM_CCER_CCE(k) (1u << (4 * (k)))
#define TIM_CCER_CCP(k) (1u << (4 * (k) + 1))
/* CCxS: 01 = input on its own TIx, 10 = input on the neighbour (IC2 on TI1, IC4 on TI3) */
#define TIM_CCMR_CCS_DIRECT 1u
#define TIM_CCMR_CCS_NEIGHBOUR 2u

/* ---- I2C1 --------------------------------------------------------------------------------- */
#define I2C1_BASE 0x40005400u
#define I2C_CR1 REG(I2C1_BASE + 0x00)
#define I2C_CR2 REG(I2C1_BASE + 0x04)
#define I2C_DR REG(I2C1_BASE + 0x10)
#define I2C_SR1 REG(I2C1_BASE + 0x14)
#define I2C_SR2 REG(I2C1_BASE + 0x18)
#define I2C_CCR REG(I2C1_BASE + 0x1C)
#define I2C_TRISE REG(I2C1_BASE + 0x20)
#define I2C_CR1_PE (1u << 0)
#define I2C_CR1_START (1u << 8)
#define I2C_CR1_STOP (1u << 9)
#define I2C_CR1_ACK (1u << 10)
#define I2C_CR1_POS (1u << 11)
#define I2C_CR1_SWRST (1u << 15)
#define I2C_SR1_SB (1u << 0)
#define I2C_SR1_ADDR (1u << 1)
#define I2C_SR1_BTF (1u << 2)
#define I2C_SR1_RXNE (1u << 6)
#define I2C_SR1_TXE (1u << 7)
#define I2C_SR1_BERR (1u << 8)
#define I2C_SR1_ARLO (1u << 9)
#define I2C_SR1_AF (1u << 10)
#define I2C_SR2_BUSY (1u << 1)
#define I2C_CCR_FS (1u << 15)

/* ---- IWDG (independent watchdog, LSI ~32 kHz) ------------------------------------------- */
#define IWDG_KR REG(0x40003000u)
#define IWDG_PR REG(0x40003004u)
#define IWDG_RLR REG(0x40003008u)
#define IWDG_SR REG(0x4000300Cu)
#define IWDG_KEY_UNLOCK 0x5555u
#define IWDG_KEY_RELOAD 0xAAAAu
#define IWDG_KEY_START 0xCCCCu

/* ---- debug: stop the watchdog while the core is halted by a debugger -------------------- */
#define DBGMCU_APB1_FZ REG(0xE0042008u)
#define DBGMCU_IWDG_STOP (1u << 12)

/* ---- Cortex-M4 core ----------------------------------------------------------------------- */
#define NVIC_ISER(n) REG(0xE000E100u + 4u * (n))
#define SYST_CSR REG(0xE000E010u)
#define SYST_RVR REG(0xE000E014u)
#define SYST_CVR REG(0xE000E018u)
#define SYST_CSR_ENABLE (1u << 0)
#define SYST_CSR_TICKINT (1u << 1)
#define SYST_CSR_CORECLK (1u << 2)
#define SCB_AIRCR REG(0xE000ED0Cu)
#define SCB_AIRCR_RESET 0x05FA0004u /* VECTKEY | SYSRESETREQ */

/* Interrupt numbers (position in the vector table after the 16 core exceptions). */
#define IRQ_TIM2 28
#define IRQ_USART1 37
#define IRQ_USART2 38

static inline void irq_enable(unsigned n)
{
	NVIC_ISER(n / 32) = 1u << (n % 32);
}

static inline uint32_t irq_save(void)
{
	uint32_t primask;
	__asm volatile("mrs %0, primask\n cpsid i" : "=r"(primask)::"memory");
	return primask;
}

static inline void irq_restore(uint32_t primask)
{
	__asm volatile("msr primask, %0" ::"r"(primask) : "memory");
}

#endif
