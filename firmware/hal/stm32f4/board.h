/* hilbench bench probe — the two boards the STM32F4 build targets (docs/probe.md, "Wiring").
 *
 *                         blackpill-f411 (WeAct)     nucleo-f401 (ST NUCLEO-F401RE)
 *   clock source          25 MHz crystal (HSE)       8 MHz from the ST-LINK (HSE bypass)
 *   host UART             USART1 PA9 TX, PA10 RX     USART2 PA2 TX, PA3 RX (ST-LINK VCP)
 *   INA219 I2C (I2C1)     PB6 SCL, PB7 SDA           PB8 SCL (D15), PB9 SDA (D14)
 *   DONE (TIM2_CH1/CH2)   PA15                       PA15 (CN7 pin 17)
 *   BUSY (TIM2_CH3/CH4)   PB10                       PB10 (D6)
 *   LED                   PC13, active low           PA5 (LD2), active high
 *
 * Both run the core at 84 MHz (PLL from HSE; from the 16 MHz HSI when HSE does not start)
 * with APB1 = 42 MHz, APB2 = 84 MHz, TIM2 at 84 MHz / 84 = 1 MHz. */
#ifndef HBP_STM32_BOARD_H
#define HBP_STM32_BOARD_H

#include "hbp_proto.h"
#include "stm32f4_regs.h"

#if defined(HBP_BOARD_NUCLEO)
#define BOARD_ID HBP_BOARD_NUCLEO_F401
#define BOARD_HSE_HZ 8000000u
#define BOARD_HSE_BYPASS 1
#define BOARD_USART USART2_BASE
#define BOARD_USART_APB2 0 /* USART2 is on APB1 */
#define BOARD_USART_IRQ IRQ_USART2
#define BOARD_UART_PORT GPIOA_BASE
#define BOARD_UART_TX 2
#define BOARD_UART_RX 3
#define BOARD_I2C_SCL 8
#define BOARD_I2C_SDA 9
#define BOARD_LED_PORT GPIOA_BASE
#define BOARD_LED_PIN 5
#define BOARD_LED_ACTIVE_LOW 0
#else /* blackpill */
#define BOARD_ID HBP_BOARD_BLACKPILL_F411
#define BOARD_HSE_HZ 25000000u
#define BOARD_HSE_BYPASS 0
#define BOARD_USART USART1_BASE
#define BOARD_USART_APB2 1
#define BOARD_USART_IRQ IRQ_USART1
#define BOARD_UART_PORT GPIOA_BASE
#define BOARD_UART_TX 9
#define BOARD_UART_RX 10
#define BOARD_I2C_SCL 6
#define BOARD_I2C_SDA 7
#define BOARD_LED_PORT GPIOC_BASE
#define BOARD_LED_PIN 13
#define BOARD_LED_ACTIVE_LOW 1
#endif

/* Common to both boards. */
#define BOARD_I2C_PORT GPIOB_BASE
#define BOARD_DONE_PORT GPIOA_BASE
#define BOARD_DONE_PIN 15 /* TIM2_CH1, AF1 */
#define BOARD_BUSY_PORT GPIOB_BASE
#define BOARD_BUSY_PIN 10 /* TIM2_CH3, AF1 */
#define BOARD_I2C_HZ 400000u

#endif
