/* A register-level INA219 for tests (datasheet SBOS448 behaviour): register pointer,
 * configuration with reset, calibration (bit 0 void), conversions paced by the hb_clock
 * (continuous modes), CNVR set per conversion and cleared by a power-register read,
 * OVF on current/power overflow, the shunt clamped at the PGA limit, and faults:
 * a reset (CAL back to 0), a reset that keeps happening, a converter that stopped. */
#ifndef FAKE_INA219_H
#define FAKE_INA219_H

#include <stdint.h>

#include "fake_i2c_bus.h"
#include "hb_clock.h"

struct fake_ina219 {
	uint8_t addr7;
	struct hb_clock *clock; /* NULL: hb_clock_default() at each access */
	/* the analogue world */
	int32_t shunt_uV;
	int32_t bus_mV;
	/* registers */
	uint16_t config, shunt, bus, power, current, cal;
	/* faults */
	int stopped;      /* no conversions */
	int sticky_reset; /* resets again whenever CAL is written (chip browning out) */
	/* bookkeeping */
	uint8_t ptr;
	int reading;
	unsigned wcount, rcount;
	uint8_t wbuf[3];
	uint64_t last_conv_ns;
	unsigned conversions, cal_writes, config_writes, resets;
};

void fake_ina219_init(struct fake_ina219 *m, uint8_t addr7, struct hb_clock *clock);
/* Power-on reset: configuration 0x399F, everything else 0. */
void fake_ina219_reset(struct fake_ina219 *m);
/* Latch one conversion of the current analogue values now. */
void fake_ina219_convert(struct fake_ina219 *m);
/* Conversion time of the current configuration, ns. */
uint64_t fake_ina219_conv_ns(const struct fake_ina219 *m);
struct fake_i2c_target fake_ina219_target(struct fake_ina219 *m);

#endif
