/* ftdi-i2c: the MPSSE I2C master through a fake MPSSE that simulates SCL/SDA and an
 * INA219 register file on the bus. */
#include <criterion/criterion.h>
#include <string.h>

#include "fake_clock.h"
#include "fake_ftdi.h"
#include "hb_ftdi_api.h"
#include "fake_ina219.h"
#include "hb_i2c.h"
#include "hb_ina2xx.h"

static struct fake_ina219 chip;
static struct fake_i2c_bus fbus;

static void setup(void)
{
	fake_ftdi_install();
	fake_ftdi.pid = 0x6014;
	fake_ina219_init(&chip, 0x40, hb_clock_system());
	memset(&fbus, 0, sizeof fbus);
	fbus.t[fbus.n++] = fake_ina219_target(&chip);
	fake_ftdi.mpsse.bus = &fbus;
}

TestSuite(ftdi_i2c, .init = setup, .fini = fake_ftdi_uninstall);

Test(ftdi_i2c, open_sets_up_mpsse_for_i2c)
{
	struct hb_i2c *bus;
	cr_assert_eq(hb_i2c_open("ftdi-i2c://0403:6014/1?speed=400000", &bus), HB_OK);
	cr_assert_eq(fake_ftdi.bitmode, BITMODE_MPSSE);
	cr_assert(fake_ftdi.mpsse.three_phase, "3-phase clocking on");
	cr_assert(fake_ftdi.mpsse.div5_off);
	cr_assert_eq(fake_ftdi.mpsse.bad_opcodes, 1, "only the sync probe");
	/* 60 MHz / ((1 + div) * 2) * 2/3 = 400 kHz */
	cr_assert_eq(fake_ftdi.mpsse.divisor, 49);
	hb_i2c_close(bus);
	cr_assert_eq(hb_i2c_open("ftdi-i2c://0403:6014/1?speed=100000", &bus), HB_OK);
	cr_assert_eq(fake_ftdi.mpsse.divisor, 199);
	hb_i2c_close(bus);
	cr_assert_eq(hb_i2c_open("ftdi-i2c://0403:6014/1?sped=100000", &bus), HB_ERR_ARG);
}

Test(ftdi_i2c, ina219_through_real_transactions)
{
	struct hb_i2c *bus;
	cr_assert_eq(hb_i2c_open("ftdi-i2c://0403:6014/1", &bus), HB_OK);
	struct hb_ina2xx dev;
	struct hb_ina2xx_config c = {.shunt_uohm = 100000, .max_current_uA = 2000000,
				     .bus_adc = -1, .shunt_adc = -1, .mode = -1};
	cr_assert_eq(hb_ina2xx_init(&dev, bus, 0x40, HB_INA219, &c), HB_OK);
	cr_assert_eq(chip.cal, 4096);
	cr_assert_eq(chip.config, 0x399f);
	chip.shunt_uV = -123450; /* -1.2345 A */
	chip.bus_mV = 4800;
	fake_ina219_convert(&chip);
	struct hb_ina2xx_reading r;
	cr_assert_eq(hb_ina2xx_read(&dev, &r), HB_OK);
	cr_assert_eq(r.shunt_raw, -12345);
	cr_assert_eq(r.current_uA, -1234500);
	cr_assert_eq(r.bus_mV, 4800);
	/* every register read is START .. Sr .. STOP: more STARTs than STOPs */
	cr_assert_gt(fake_ftdi.mpsse.starts, fake_ftdi.mpsse.stops);
	cr_assert_gt(fake_ftdi.mpsse.stops, 4);
	cr_assert_eq(fake_ftdi.mpsse.tgt.state, 0, "bus idle after STOP");
	cr_assert(fake_ftdi.mpsse.scl && fake_ftdi.mpsse.sda, "both lines released high");
	hb_i2c_close(bus);
}

Test(ftdi_i2c, nack_on_address_and_data)
{
	struct hb_i2c *bus;
	cr_assert_eq(hb_i2c_open("ftdi-i2c://0403:6014/1", &bus), HB_OK);
	uint8_t reg = 0, v[2];
	cr_assert_eq(hb_i2c_write_read(bus, 0x45, &reg, 1, v, 2), HB_ERR_NACK);
	uint8_t bad[3] = {7, 0, 0}; /* no register 7: the INA219 fake NACKs */
	cr_assert_eq(hb_i2c_write(bus, 0x40, bad, 3), HB_ERR_NACK);
	/* the bus still works afterwards */
	cr_assert_eq(hb_i2c_write_read(bus, 0x40, &reg, 1, v, 2), HB_OK);
	cr_assert_eq(v[0] << 8 | v[1], 0x399f);
	hb_i2c_close(bus);
}

Test(ftdi_i2c, stuck_sda_is_clocked_free)
{
	fake_ftdi.mpsse.stuck_pulses = 5;
	struct hb_i2c *bus;
	cr_assert_eq(hb_i2c_open("ftdi-i2c://0403:6014/1", &bus), HB_OK);
	cr_assert_eq(fake_ftdi.mpsse.stuck_pulses, 0);
	hb_i2c_close(bus);
}

Test(ftdi_i2c, bus_stuck_for_good_is_an_io_error)
{
	fake_ftdi.mpsse.stuck_pulses = 1000;
	struct hb_i2c *bus;
	cr_assert_eq(hb_i2c_open("ftdi-i2c://0403:6014/1", &bus), HB_ERR_IO);
	cr_assert_eq(fake_ftdi.mpsse.stuck_pulses, 1000 - 9, "exactly 9 pulses tried");
}

Test(ftdi_i2c, device_vanishing_is_gone)
{
	struct hb_i2c *bus;
	cr_assert_eq(hb_i2c_open("ftdi-i2c://0403:6014/1", &bus), HB_OK);
	fake_ftdi.vanish_at_read = fake_ftdi.reads + 1;
	uint8_t reg = 0, v[2];
	cr_assert_eq(hb_i2c_write_read(bus, 0x40, &reg, 1, v, 2), HB_ERR_GONE);
	hb_i2c_close(bus);
	fake_ftdi.vanish_at_read = 0;
	fake_ftdi.open_ret = -8;
	fake_ftdi.open_msg = "inappropriate permissions on device!";
	cr_assert_eq(hb_i2c_open("ftdi-i2c://0403:6014/1", &bus), HB_ERR_PERM);
}
