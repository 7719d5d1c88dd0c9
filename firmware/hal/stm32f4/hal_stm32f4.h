/* hilbench bench probe — the STM32F4 HAL's entry points for main.c (see hal_stm32f4.c). */
#ifndef HBP_HAL_STM32F4_H
#define HBP_HAL_STM32F4_H

#include <stdint.h>

#include "hbp_core.h"

extern struct hbp_core hbp_stm32_core;
extern struct hbp_hal hbp_stm32_hal;

void hbp_stm32_clock_init(void);
void hbp_stm32_timer_init(void);
void hbp_stm32_gpio_init(void);
void hbp_stm32_uart_init(uint32_t baud);
void hbp_stm32_i2c_init(void);
void hbp_stm32_capture_init(void);
void hbp_stm32_watchdog_init(void);
uint8_t hbp_stm32_reset_cause(void); /* reads and clears the reset flags */
void hbp_stm32_hal_fill(uint32_t baud, uint32_t build_hash);
void hbp_stm32_uart_pump(void);
void hbp_stm32_led(int on);
void hbp_stm32_idle(uint32_t wait_us);

#endif
