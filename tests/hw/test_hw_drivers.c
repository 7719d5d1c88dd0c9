/* Driver tests on a real bench (HB_HW=1; skipped otherwise by hw_main.c). Each test also
 * needs its own variables and skips without them:
 *   HB_HW_UART=ftdi://0403:6010/2   a board UART (opened, configured, flushed, closed)
 *   HB_HW_I2C=ftdi-i2c://0403:6014/1?speed=400000  HB_HW_INA_ADDR=0x40
 *   HB_HW_SHUNT_UOHM=100000 [HB_HW_MAX_MA=400]   an INA219 on a powered rail
 *   HB_HW_OFL_BOARD=ice40_generic HB_HW_BITSTREAM=hb_top.bin   a board to load (SRAM) */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "hb_flash.h"
#include "hb_i2c.h"
#include "hb_ina2xx.h"
#include "hb_params.h"
#include "hb_power_sampler.h"
#include "hb_transport.h"

static const char *need(const char *var)
{
	const char *v = getenv(var);
	if (!v || !*v)
		cr_skip_test("set %s to run this hardware test", var);
	return v;
}

Test(hw_drivers, uart_opens_configures_and_closes)
{
	const char *uri = need("HB_HW_UART");
	struct hb_transport *t;
	cr_assert_eq(hb_transport_open(uri, 115200, &t), HB_OK, "open %s", uri);
	cr_assert_eq(hb_transport_set_baud(t, 3000000), HB_OK);
	cr_assert_eq(hb_transport_flush(t), HB_OK);
	uint8_t b[64];
	size_t got;
	enum hb_status st = hb_transport_read(t, b, sizeof b, &got, 50);
	cr_assert(st == HB_OK || st == HB_ERR_TIMEOUT, "read: %s", hb_strerror(st));
	hb_transport_close(t);
}

Test(hw_drivers, ina219_samples_at_the_conversion_rate)
{
	const char *uri = need("HB_HW_I2C");
	unsigned long addr = 0x40, shunt = 0, max_ma = 400;
	const char *a = getenv("HB_HW_INA_ADDR"), *m = getenv("HB_HW_MAX_MA");
	if (a)
		cr_assert_eq(hb_parse_ulong(a, &addr), 0);
	if (m)
		cr_assert_eq(hb_parse_ulong(m, &max_ma), 0);
	cr_assert_eq(hb_parse_ulong(need("HB_HW_SHUNT_UOHM"), &shunt), 0);
	struct hb_i2c *bus;
	cr_assert_eq(hb_i2c_open(uri, &bus), HB_OK);
	struct hb_ina2xx dev;
	struct hb_ina2xx_config c = {.shunt_uohm = (uint32_t)shunt,
				     .max_current_uA = (uint32_t)max_ma * 1000, .bus_adc = -1,
				     .shunt_adc = -1, .mode = -1};
	cr_assert_eq(hb_ina2xx_init(&dev, bus, (uint8_t)addr, HB_INA219, &c), HB_OK);
	struct hb_power_sampler s;
	hb_power_sampler_init(&s, &dev, NULL);
	struct hb_power_sample smp;
	for (int i = 0; i < 200; i++)
		cr_assert_eq(hb_power_sampler_next(&s, &smp), HB_OK, "sample %d", i);
	cr_assert_gt(smp.bus_mV, 0, "a powered rail");
	cr_assert_leq(s.dropped, 10, "the host keeps up with the conversions");
	hb_i2c_close(bus);
}

Test(hw_drivers, flash_sram)
{
	struct hb_flash_opts o = {.ofl_board = need("HB_HW_OFL_BOARD"), .ftdi_channel = -1,
				  .bitstream = need("HB_HW_BITSTREAM"), .timeout_ms = 60000};
	o.ftdi_serial = getenv("HB_HW_FTDI_SERIAL");
	struct hb_flash_result r;
	cr_assert_eq(hb_flash_run(&o, &r), HB_OK, "%s", r.message);
}
