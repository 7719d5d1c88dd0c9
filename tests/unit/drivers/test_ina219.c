/* INA219 driver against the register-level fake (tests/fakes/fake_ina219). */
#include <criterion/criterion.h>
#include <string.h>

#include "fake_clock.h"
#include "fake_i2c_bus.h"
#include "fake_ina219.h"
#include "hb_ina2xx.h"

static struct fake_clock fc;
static struct fake_ina219 chip;
static struct fake_i2c_bus fbus;
static struct hb_i2c *bus;

static void setup(void)
{
	fake_clock_install(&fc, 1000000000ull);
	fake_ina219_init(&chip, 0x40, NULL);
	memset(&fbus, 0, sizeof fbus);
	fbus.t[fbus.n++] = fake_ina219_target(&chip);
	cr_assert_eq(fake_i2c_bus_open(&fbus, &bus), HB_OK);
}

static void teardown(void)
{
	hb_i2c_close(bus);
	fake_clock_uninstall();
}

static struct hb_ina2xx_config cfg(uint32_t shunt_uohm, uint32_t max_uA)
{
	return (struct hb_ina2xx_config){.shunt_uohm = shunt_uohm, .max_current_uA = max_uA,
					 .bus_adc = -1, .shunt_adc = -1, .mode = -1};
}

TestSuite(ina219, .init = setup, .fini = teardown);

Test(ina219, chip_table_rows_are_consistent)
{
	for (int i = 0; i < HB_INA2XX_N; i++) {
		const struct hb_ina2xx_chip *c = &hb_ina2xx_chips[i];
		cr_assert_not_null(c->name, "row %d has no name", i);
		cr_assert_eq((int)c->model, i, "%s: row index and model differ", c->name);
		cr_assert_eq(hb_ina2xx_chip_by_name(c->name), c);
		cr_assert(c->shunt_lsb_pV && c->bus_lsb_pV && c->power_mult_x10 && c->cal_max,
			  "%s: zero LSB", c->name);
		uint8_t regs[] = {c->reg_config, c->reg_shunt, c->reg_bus, c->reg_power,
				  c->reg_current, c->reg_cal};
		for (unsigned a = 0; a < sizeof regs; a++)
			for (unsigned b = a + 1; b < sizeof regs; b++)
				cr_assert_neq(regs[a], regs[b], "%s: registers %u and %u coincide",
					      c->name, a, b);
		if (c->flags & HB_INA2XX_F_DRIVEN)
			cr_assert(c->cal_num_uA, "%s: driven chip without a CAL formula", c->name);
	}
	cr_assert_null(hb_ina2xx_chip_by_name("ina999"));
}

Test(ina219, datasheet_calibration_example)
{
	/* SBOS448 8.5.1: 0.1 Ω shunt, 2 A expected: LSB between 61 µA and 488 µA, 100 µA
	 * chosen, CAL = trunc(0.04096 / (0.0001 * 0.1)) = 4096, power LSB 2 mW. */
	uint32_t lsb;
	uint16_t cal;
	cr_assert_eq(hb_ina2xx_calibrate(&hb_ina2xx_chips[HB_INA219], 100000, 2000000, &lsb, &cal),
		     HB_OK);
	cr_assert_eq(lsb, 100000);
	cr_assert_eq(cal, 4096);
	/* 400 mA on 0.1 Ω: minimum 12.2 µA → 20 µA, CAL 20480 */
	cr_assert_eq(hb_ina2xx_calibrate(&hb_ina2xx_chips[HB_INA219], 100000, 400000, &lsb, &cal),
		     HB_OK);
	cr_assert_eq(lsb, 20000);
	cr_assert_eq(cal, 20480);
	/* tiny shunt, tiny current: the LSB grows until CAL fits 16 bits (bit 0 void) */
	cr_assert_eq(hb_ina2xx_calibrate(&hb_ina2xx_chips[HB_INA219], 10000, 100000, &lsb, &cal),
		     HB_OK);
	cr_assert_leq(cal, 0xfffe);
	cr_assert_eq(cal & 1, 0);
	cr_assert_geq((uint64_t)lsb * 32767, 100000ull * 1000);
	cr_assert_eq(hb_ina2xx_calibrate(&hb_ina2xx_chips[HB_INA219], 0, 1, &lsb, &cal),
		     HB_ERR_ARG);
	cr_assert_eq(hb_ina2xx_calibrate(&hb_ina2xx_chips[HB_INA228], 1000, 1, &lsb, &cal),
		     HB_ERR_ARG, "INA228 has no division CAL formula");
}

Test(ina219, init_writes_config_and_cal_then_reads_datasheet_values)
{
	struct hb_ina2xx dev;
	struct hb_ina2xx_config c = cfg(100000, 2000000);
	cr_assert_eq(hb_ina2xx_init(&dev, bus, 0x40, HB_INA219, &c), HB_OK);
	cr_assert_eq(chip.cal, 4096);
	/* 2 A x 0.1 Ω = 200 mV: auto PGA picks ±320 mV (/8); 12-bit both; continuous */
	cr_assert_eq(dev.cfg.pga_mV, 320);
	cr_assert_eq(chip.config, 0x399f, "datasheet default config is what we asked for");
	cr_assert_eq(dev.conv_ns, 2 * 532000ull);

	chip.shunt_uV = 150000; /* 1.5 A */
	chip.bus_mV = 12000;
	hb_sleep_ns(dev.conv_ns);
	struct hb_ina2xx_reading r;
	cr_assert_eq(hb_ina2xx_read(&dev, &r), HB_OK);
	cr_assert(r.cnvr);
	cr_assert_eq(r.shunt_uV, 150000);
	cr_assert_eq(r.bus_mV, 12000);
	cr_assert_eq(r.current_uA, 1500000);
	cr_assert_eq(r.power_uW, 18000000); /* 1.5 A x 12 V, power LSB 2 mW */
	/* CNVR was cleared by reading power */
	int ready = 1;
	cr_assert_eq(hb_ina2xx_ready(&dev, &ready), HB_OK);
	cr_assert_eq(ready, 0);
}

Test(ina219, negative_current)
{
	struct hb_ina2xx dev;
	struct hb_ina2xx_config c = cfg(100000, 2000000);
	cr_assert_eq(hb_ina2xx_init(&dev, bus, 0x40, HB_INA219, &c), HB_OK);
	chip.shunt_uV = -50000; /* -0.5 A */
	chip.bus_mV = 12000;
	hb_sleep_ns(dev.conv_ns);
	struct hb_ina2xx_reading r;
	cr_assert_eq(hb_ina2xx_read(&dev, &r), HB_OK);
	cr_assert_eq(r.shunt_raw, -5000);
	cr_assert_eq(r.shunt_uV, -50000);
	cr_assert_eq(r.current_uA, -500000);
	cr_assert_eq(r.power_uW, -6000000, "signed: current from IN- to IN+ (shunt backwards)");
}

Test(ina219, small_current_uses_effective_lsb)
{
	/* 10 mΩ, 100 mA: the LSB had to grow for CAL to fit; readings still exact */
	struct hb_ina2xx dev;
	struct hb_ina2xx_config c = cfg(10000, 100000);
	cr_assert_eq(hb_ina2xx_init(&dev, bus, 0x40, HB_INA219, &c), HB_OK);
	cr_assert_eq(dev.cfg.pga_mV, 40);
	chip.shunt_uV = 800; /* 80 mA */
	chip.bus_mV = 3300;
	hb_sleep_ns(dev.conv_ns);
	struct hb_ina2xx_reading r;
	cr_assert_eq(hb_ina2xx_read(&dev, &r), HB_OK);
	cr_assert_eq(r.current_uA, 80000);
	/* power register truncates: within one power LSB of 80 mA x 3.3 V */
	int64_t lsb_uW = 20 * (int64_t)hb_ina2xx_chips[HB_INA219].cal_num_uA /
			 ((int64_t)dev.cal * c.shunt_uohm);
	cr_assert_leq(264000 - r.power_uW, lsb_uW);
	cr_assert_geq(264000 - r.power_uW, 0);
}

/* issue 12: a read right after init, before the first conversion with the new CAL,
 * returned 0 uA as success. */
Test(ina219, a_read_right_after_init_waits_for_the_first_conversion_with_the_new_cal)
{
	struct hb_ina2xx dev;
	struct hb_ina2xx_config c = cfg(100000, 2000000);
	chip.shunt_uV = 150000; /* 1.5 A flows all along */
	chip.bus_mV = 12000;
	cr_assert_eq(hb_ina2xx_init(&dev, bus, 0x40, HB_INA219, &c), HB_OK);
	uint64_t t0 = fc.now;
	struct hb_ina2xx_reading r;
	cr_assert_eq(hb_ina2xx_read(&dev, &r), HB_OK);
	cr_assert_eq(r.current_uA, 1500000, "not the 0 of the registers before the conversion");
	cr_assert_eq(r.power_uW, 18000000);
	cr_assert_geq(fc.now - t0, dev.conv_ns, "it waited for the conversion");
	cr_assert_eq(chip.conversions, 1);
}

Test(ina219, a_stopped_converter_is_a_timeout_not_a_reading)
{
	struct hb_ina2xx dev;
	struct hb_ina2xx_config c = cfg(100000, 2000000);
	cr_assert_eq(hb_ina2xx_init(&dev, bus, 0x40, HB_INA219, &c), HB_OK);
	chip.stopped = 1;
	struct hb_ina2xx_reading r;
	cr_assert_eq(hb_ina2xx_read(&dev, &r), HB_ERR_TIMEOUT);
	cr_assert_eq(dev.resets_seen, 0, "CAL was intact: not mistaken for a reset");
}

Test(ina219, the_power_figure_is_one_formula)
{
	/* V_bus * V_shunt / R: mV * uV / uohm = mW */
	cr_assert_float_eq(hb_ina2xx_power_mw(3300, 2000, 100000), 66.0, 1e-12);
	cr_assert_float_eq(hb_ina2xx_power_mw(1200, -500, 1000000), -0.6, 1e-12);
	cr_assert_float_eq(hb_ina2xx_power_mw(1200, 500, 0), 0.0, 0);
	/* a reading's power is that formula, not the chip's truncated power register */
	struct hb_ina2xx dev;
	struct hb_ina2xx_config c = cfg(1000000, 50000); /* the iCEBreaker's 1 ohm, 50 mA */
	cr_assert_eq(hb_ina2xx_init(&dev, bus, 0x40, HB_INA219, &c), HB_OK);
	chip.shunt_uV = 20010; /* 20.01 mA */
	chip.bus_mV = 1200;
	struct hb_ina2xx_reading r;
	cr_assert_eq(hb_ina2xx_read(&dev, &r), HB_OK);
	cr_assert_float_eq(r.power_mW, hb_ina2xx_power_mw(r.bus_mV, r.shunt_uV, 1000000), 1e-12);
	int64_t reg_uW = (int64_t)r.power_raw * 20 * (int64_t)dev.current_lsb_nA / 1000;
	cr_assert_neq(reg_uW, r.power_uW, "the power register (%lld uW) truncates", (long long)reg_uW);
}

Test(ina219, overflow_flag_is_range_error)
{
	struct hb_ina2xx dev;
	struct hb_ina2xx_config c = cfg(10000, 100000);
	cr_assert_eq(hb_ina2xx_init(&dev, bus, 0x40, HB_INA219, &c), HB_OK);
	chip.shunt_uV = 35000; /* 3.5 A: under the 40 mV PGA limit but current reg overflows */
	chip.bus_mV = 5000;
	hb_sleep_ns(dev.conv_ns);
	struct hb_ina2xx_reading r;
	cr_assert_eq(hb_ina2xx_read(&dev, &r), HB_ERR_RANGE);
	cr_assert(r.ovf);
	cr_assert(!r.saturated);
}

Test(ina219, pga_saturation_is_range_error)
{
	struct hb_ina2xx dev;
	struct hb_ina2xx_config c = cfg(10000, 100000);
	cr_assert_eq(hb_ina2xx_init(&dev, bus, 0x40, HB_INA219, &c), HB_OK);
	chip.shunt_uV = 50000; /* 5 A x 10 mΩ = 50 mV > ±40 mV */
	chip.bus_mV = 5000;
	hb_sleep_ns(dev.conv_ns);
	struct hb_ina2xx_reading r;
	cr_assert_eq(hb_ina2xx_read(&dev, &r), HB_ERR_RANGE);
	cr_assert(r.saturated);
	cr_assert_eq(r.shunt_uV, 40000);
}

Test(ina219, range_checks_at_init)
{
	struct hb_ina2xx dev;
	struct hb_ina2xx_config c = cfg(1000000, 1000000); /* 1 A x 1 Ω = 1 V > 320 mV */
	cr_assert_eq(hb_ina2xx_init(&dev, bus, 0x40, HB_INA219, &c), HB_ERR_RANGE);
	c = cfg(100000, 100000);
	c.pga_mV = 50;
	cr_assert_eq(hb_ina2xx_init(&dev, bus, 0x40, HB_INA219, &c), HB_ERR_ARG);
	c = cfg(100000, 100000);
	cr_assert_eq(hb_ina2xx_init(&dev, bus, 0x41, HB_INA219, &c), HB_ERR_NACK);
	cr_assert_eq(hb_ina2xx_init(&dev, bus, 0x40, HB_INA226, &c), HB_ERR_UNSUPPORTED);
}

Test(ina219, reset_is_detected_and_recovered)
{
	struct hb_ina2xx dev;
	struct hb_ina2xx_config c = cfg(100000, 2000000);
	cr_assert_eq(hb_ina2xx_init(&dev, bus, 0x40, HB_INA219, &c), HB_OK);
	chip.shunt_uV = 100000;
	chip.bus_mV = 5000;
	fake_ina219_reset(&chip); /* brown-out: CAL back to 0 */
	hb_sleep_ns(dev.conv_ns);
	uint64_t slept = fc.slept;
	struct hb_ina2xx_reading r;
	cr_assert_eq(hb_ina2xx_read(&dev, &r), HB_OK);
	cr_assert_eq(dev.resets_seen, 1);
	cr_assert_eq(chip.cal, 4096);
	cr_assert_eq(r.current_uA, 1000000);
	cr_assert_geq(fc.slept - slept, dev.conv_ns, "waited a worst-case conversion");
}

Test(ina219, reset_that_keeps_happening_is_gone)
{
	struct hb_ina2xx dev;
	struct hb_ina2xx_config c = cfg(100000, 2000000);
	cr_assert_eq(hb_ina2xx_init(&dev, bus, 0x40, HB_INA219, &c), HB_OK);
	unsigned writes = chip.cal_writes;
	chip.sticky_reset = 1;
	fake_ina219_reset(&chip);
	struct hb_ina2xx_reading r;
	cr_assert_eq(hb_ina2xx_read(&dev, &r), HB_ERR_GONE);
	cr_assert_eq(chip.cal_writes - writes, dev.max_retries, "bounded retries");
}

Test(ina219, adc_codes_and_conversion_times)
{
	cr_assert_eq(hb_ina219_adc_code(9, 1), 0);
	cr_assert_eq(hb_ina219_adc_code(12, 1), 3);
	cr_assert_eq(hb_ina219_adc_code(12, 2), 9);
	cr_assert_eq(hb_ina219_adc_code(12, 128), 15);
	cr_assert_eq(hb_ina219_adc_code(12, 3), -1);
	cr_assert_eq(hb_ina219_adc_code(8, 1), -1);
	cr_assert_eq(hb_ina219_adc_time_us(3), 532);
	cr_assert_eq(hb_ina219_adc_time_us(15), 68100);
	struct hb_ina2xx dev;
	struct hb_ina2xx_config c = cfg(100000, 2000000);
	c.bus_adc = hb_ina219_adc_code(9, 1);
	c.shunt_adc = hb_ina219_adc_code(12, 16);
	c.mode = HB_INA219_MODE_SHUNT_CONT;
	cr_assert_eq(hb_ina2xx_init(&dev, bus, 0x40, HB_INA219, &c), HB_OK);
	cr_assert_eq(dev.conv_ns, 8510000ull, "shunt only: 16 samples");
	cr_assert_eq(dev.conv_ns, fake_ina219_conv_ns(&chip), "driver and chip agree");
}
