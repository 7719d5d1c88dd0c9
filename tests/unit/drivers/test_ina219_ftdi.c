/* The INA219 path of a real bench, without the bench: the ftdi-i2c driver against the fake
 * FT232H (MPSSE executed at pin level, USB microframes on a fake clock) with the virtual
 * board's register-accurate INA219 model on the bus. Issue 12: one USB exchange per register
 * access, NACKs named by byte, every figure of a sample from one conversion, and a sampler
 * that keeps up with the chip. */
#include <criterion/criterion.h>
#include <string.h>

#include "fake_clock.h"
#include "fake_ftdi.h"
#include "fake_ina219m.h"
#include "hb_ftdi_api.h"
#include "hb_i2c.h"
#include "hb_ina2xx.h"
#include "hb_power_sampler.h"

static struct fake_clock fc;
static struct fake_ina219m ina;
static struct fake_i2c_bus fbus;
static struct hb_i2c *bus;

static void setup(void)
{
	fake_clock_install(&fc, 1000000000ull);
	fake_ftdi_install();
	fake_ftdi.pid = 0x6014; /* an FT232H */
	fake_ftdi.clock = &fc.clock;
	struct hb_ina219m_params p = {.r_shunt_ohm = 0.1, .bus_v = 3.3, .noise_a = 0.002, .seed = 7};
	fake_ina219m_init(&ina, 0x40, &p, &fake_ftdi.mpsse.t_ns);
	ina.current_a = 0.5;
	memset(&fbus, 0, sizeof fbus);
	fbus.t[fbus.n++] = fake_ina219m_target(&ina);
	fake_ftdi.mpsse.bus = &fbus;
	cr_assert_eq(hb_i2c_open("ftdi-i2c://0403:6014/1?speed=400000", &bus), HB_OK);
}

static void teardown(void)
{
	hb_i2c_close(bus);
	fake_ftdi_uninstall();
	fake_clock_uninstall();
}

TestSuite(ina219_ftdi, .init = setup, .fini = teardown);

static void init_dev(struct hb_ina2xx *dev, int mode, int adc)
{
	struct hb_ina2xx_config c = {.shunt_uohm = 100000, .max_current_uA = 2000000,
				     .bus_adc = adc, .shunt_adc = adc, .mode = mode};
	cr_assert_eq(hb_ina2xx_init(dev, bus, 0x40, HB_INA219, &c), HB_OK);
}

Test(ina219_ftdi, a_register_access_is_one_usb_write_and_one_reply)
{
	struct hb_ina2xx dev;
	init_dev(&dev, -1, -1);
	uint16_t v;
	unsigned w0 = fake_ftdi.usb_writes;
	uint64_t t0 = fc.now;
	cr_assert_eq(hb_ina2xx_read_reg(&dev, 5, &v), HB_OK);
	cr_assert_eq(v, dev.cal);
	cr_assert_eq(fake_ftdi.usb_writes - w0, 1, "START..pointer..Sr..data..STOP in one write");
	/* ~120 us of bus at 400 kHz: the reply comes in the next microframe or the one after */
	cr_assert_leq(fc.now - t0, 2 * fake_ftdi_frame_ns(), "%llu ns",
		      (unsigned long long)(fc.now - t0));
	w0 = fake_ftdi.usb_writes;
	cr_assert_eq(hb_ina2xx_write_reg(&dev, 5, dev.cal), HB_OK);
	cr_assert_eq(fake_ftdi.usb_writes - w0, 1);
}

Test(ina219_ftdi, a_nack_is_reported_naming_the_byte)
{
	uint8_t bad[3] = {7, 0, 0}, reg = 0, v[2], x[2];
	struct hb_i2c_msg m[3] = {
		{.addr7 = 0x40, .w = bad, .wn = 3},           /* no register 7: data NACK */
		{.addr7 = 0x45, .r = x, .rn = 2},              /* nobody at 0x45 */
		{.addr7 = 0x40, .w = &reg, .wn = 1, .r = v, .rn = 2},
	};
	unsigned w0 = fake_ftdi.usb_writes;
	cr_assert_eq(hb_i2c_batch(bus, m, 3), HB_ERR_NACK);
	cr_assert_eq(m[0].status, HB_ERR_NACK);
	cr_assert_eq(m[0].nack_byte, 1, "the first data byte (the pointer 0x07)");
	char what[96];
	hb_i2c_nack_str(&m[0], what, sizeof what);
	cr_assert_str_eq(what, "byte 0 (0x07) of the write to 0x40");
	cr_assert_eq(m[1].status, HB_ERR_NACK);
	cr_assert_eq(m[1].nack_byte, 0, "the address");
	hb_i2c_nack_str(&m[1], what, sizeof what);
	cr_assert_str_eq(what, "address 0x45 (read)");
	cr_assert_eq(m[2].status, HB_OK, "the transaction after the NACKs still ran");
	cr_assert_eq(v[0] << 8 | v[1], 0x399f);
	/* the three transactions in one write; one more to check the bus after a failure */
	cr_assert_eq(fake_ftdi.usb_writes - w0, 2);
	cr_assert_eq(fake_ftdi.mpsse.tgt.state, 0, "bus idle");
}

/* The chip's own arithmetic ties one conversion's registers together: power =
 * |shunt * CAL / 4096| * bus / 5000. Registers from two conversions (noise makes every
 * conversion differ) break it. */
static int one_conversion(uint16_t cal, int16_t shunt, uint16_t bus, uint16_t power)
{
	int ovf = 0;
	int16_t cur = hb_ina219m_calc_current(shunt, cal, &ovf);
	return hb_ina219m_calc_power(cur, bus >> 3, &ovf) == power;
}

/* issue 12: a sample was 4 separate register reads with no CNVR check afterwards; 12 of 427
 * rows on the virtual board mixed two conversions. */
Test(ina219_ftdi, every_figure_of_a_read_comes_from_one_conversion)
{
	struct hb_ina2xx dev;
	init_dev(&dev, -1, -1); /* 532 + 532 us: a read (~0.5 ms) often sees one complete */
	uint64_t lcg = 12345;
	int n = 0;
	for (int i = 0; i < 200; i++) {
		struct hb_ina2xx_reading r;
		cr_assert_eq(hb_ina2xx_read(&dev, &r), HB_OK);
		cr_assert(one_conversion(dev.cal, r.shunt_raw, r.bus_raw, r.power_raw),
			  "read %d: shunt %d bus 0x%04x power %u are not one conversion", i,
			  r.shunt_raw, r.bus_raw, r.power_raw);
		n++;
		lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
		hb_sleep_ns((lcg >> 33) % (3 * dev.conv_ns)); /* any phase */
	}
	cr_assert_eq(n, 200);
	cr_assert_gt(dev.torn, 0, "conversions did complete inside reads (and were caught)");
}

struct collect {
	unsigned n, bad;
	uint16_t cal;
};

static int check(void *ctx, const struct hb_power_sample *s)
{
	struct collect *c = ctx;
	c->n++;
	c->bad += !one_conversion(c->cal, s->shunt_raw, s->bus_raw, s->power_raw);
	return 0;
}

static void sampler_keeps_up(int mode, int adc, double min_ratio)
{
	struct hb_ina2xx dev;
	init_dev(&dev, mode, adc);
	struct hb_power_sampler s;
	struct collect c = {.cal = dev.cal};
	hb_power_sampler_init(&s, &dev, NULL);
	uint64_t t0 = fc.now, span = 500 * dev.conv_ns;
	cr_assert_eq(hb_power_sampler_run(&s, span, check, &c), HB_OK);
	double rate = c.n / ((fc.now - t0) * 1e-9), limit = 1e9 / dev.conv_ns;
	cr_assert_geq(rate / limit, min_ratio, "%.0f samples/s of %.0f conversions/s", rate, limit);
	cr_assert_eq(c.bad, 0, "%u of %u samples mixed two conversions", c.bad, c.n);
	cr_assert_eq(s.resets, 0);
}

/* The conversion-time limit through an FT232H at 400 kHz (bench_ina219_sampling measures
 * the figures; this keeps them from regressing). */
Test(ina219_ftdi, the_sampler_keeps_up_with_1_06_ms_conversions)
{
	sampler_keeps_up(-1, hb_ina219_adc_code(12, 1), 0.95); /* shunt + bus, 12 bit */
}

Test(ina219_ftdi, the_sampler_keeps_up_with_532_us_conversions)
{
	sampler_keeps_up(HB_INA219_MODE_SHUNT_CONT, hb_ina219_adc_code(12, 1), 0.95);
}

Test(ina219_ftdi, conversions_shorter_than_a_read_are_an_error_not_a_hang)
{
	struct hb_ina2xx dev;
	init_dev(&dev, -1, hb_ina219_adc_code(9, 1)); /* 84 + 84 us < one batched read */
	struct hb_ina2xx_reading r;
	cr_assert_eq(hb_ina2xx_read(&dev, &r), HB_ERR_TIMEOUT);
}

Test(ina219_ftdi, a_chip_reset_on_the_bus_is_repaired)
{
	struct hb_ina2xx dev;
	init_dev(&dev, -1, -1);
	struct hb_power_sampler s;
	struct hb_power_sample smp;
	hb_power_sampler_init(&s, &dev, NULL);
	for (int i = 0; i < 5; i++)
		cr_assert_eq(hb_power_sampler_next(&s, &smp), HB_OK);
	fake_ina219m_sync(&ina);
	hb_ina219m_reset(&ina.chip);
	for (int i = 0; i < 5; i++)
		cr_assert_eq(hb_power_sampler_next(&s, &smp), HB_OK);
	cr_assert_eq(s.resets, 1);
	cr_assert_eq(ina.chip.cal, dev.cal);
	cr_assert(smp.current_uA > 450000 && smp.current_uA < 550000, "%d uA", smp.current_uA);
}

Test(ina219_ftdi, a_stopped_chip_is_an_error)
{
	struct hb_ina2xx dev;
	init_dev(&dev, -1, -1);
	struct hb_power_sampler s;
	struct hb_power_sample smp;
	hb_power_sampler_init(&s, &dev, NULL);
	cr_assert_eq(hb_power_sampler_next(&s, &smp), HB_OK);
	fake_ina219m_sync(&ina);
	hb_ina219m_set_stopped(&ina.chip, 1);
	cr_assert_eq(hb_power_sampler_next(&s, &smp), HB_ERR_TIMEOUT);
}
