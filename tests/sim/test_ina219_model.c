/* Unit tests of the INA219 register model (gateware/vboard/ina219_model.c) against the
 * TI INA219 datasheet (SBOS448): register map, calibration example, conversion timing,
 * averaging, CNVR/OVF, saturation, sign and truncation, I2C pointer semantics, faults. */
#include <criterion/criterion.h>
#include <math.h>

#include "ina219_model.h"

static struct hb_ina219m m;
/* Piecewise-constant current: the test tracks time and charge itself. */
static double t_now, q_now;

static void setup_chip(double r_shunt, double bus_v)
{
	struct hb_ina219m_params p = {.r_shunt_ohm = r_shunt, .bus_v = bus_v};
	t_now = q_now = 0;
	hb_ina219m_init(&m, &p, 0, 0);
}

/* Run at current i_a for dt seconds, feeding the model in small steps. */
static void run(double i_a, double dt)
{
	const int steps = 100;
	for (int k = 0; k < steps; k++) {
		t_now += dt / steps;
		q_now += i_a * dt / steps;
		hb_ina219m_advance(&m, t_now, q_now);
	}
}

static uint16_t rd(uint8_t reg)
{
	uint8_t w = reg, r[2];
	cr_assert_eq(hb_ina219m_xfer(&m, &w, 1, r, 2), HB_INA219M_ACK);
	return (uint16_t)(r[0] << 8 | r[1]);
}

static void wr(uint8_t reg, uint16_t v)
{
	uint8_t w[3] = {reg, (uint8_t)(v >> 8), (uint8_t)v};
	cr_assert_eq(hb_ina219m_xfer(&m, w, 3, NULL, 0), HB_INA219M_ACK);
}

Test(ina219_model, power_on_values)
{
	setup_chip(0.1, 5.0);
	cr_assert_eq(rd(0), 0x399F);
	cr_assert_eq(rd(5), 0);
	cr_assert_eq(rd(3), 0);
	cr_assert_eq(rd(4), 0);
	cr_assert_eq(rd(2) & HB_INA219M_BUS_CNVR, 0, "no conversion finished at t=0");
}

Test(ina219_model, conversion_time_table)
{
	/* Datasheet table "ADC Settings" */
	const struct { unsigned code; double us; } t[] = {
		{0x0, 84}, {0x1, 148}, {0x2, 276}, {0x3, 532}, {0x4, 84}, {0x7, 532}, {0x8, 532},
		{0x9, 1060}, {0xA, 2130}, {0xB, 4260}, {0xC, 8510}, {0xD, 17020}, {0xE, 34050},
		{0xF, 68100},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		cr_assert_float_eq(hb_ina219m_conv_time_s(t[i].code), t[i].us * 1e-6, 1e-12,
				   "code %x", t[i].code);
}

/* The datasheet's calibration procedure, for a 32 V / 2 A / 0.1 ohm design:
 * max possible current 0.32 V / 0.1 ohm = 3.2 A; Current_LSB rounded to 100 uA;
 * CAL = trunc(0.04096 / (Current_LSB * R_shunt)) = 4096; Power_LSB = 20 * Current_LSB. */
Test(ina219_model, datasheet_calibration_example)
{
	const double r = 0.1, current_lsb = 100e-6;
	uint16_t cal = (uint16_t)trunc(0.04096 / (current_lsb * r));
	cr_assert_eq(cal, 4096);
	setup_chip(r, 12.0);
	wr(5, cal);
	cr_assert_eq(rd(5), 4096);
	run(1.0, 2e-3); /* 1 A for two full conversions (532 + 532 us each) */
	int16_t shunt = (int16_t)rd(1);
	cr_assert_eq(shunt, 10000, "100 mV at 10 uV/LSB, got %d", shunt);
	uint16_t bus = rd(2);
	cr_assert_eq(bus >> 3, 3000, "12 V at 4 mV/LSB");
	cr_assert(bus & HB_INA219M_BUS_CNVR);
	cr_assert_eq(bus & HB_INA219M_BUS_OVF, 0);
	int16_t cur = (int16_t)rd(4);
	cr_assert_eq(cur, shunt * cal / 4096);
	cr_assert_float_eq(cur * current_lsb, 1.0, 1e-9);
	uint16_t pw = rd(3);
	cr_assert_eq(pw, cur * (bus >> 3) / 5000);
	cr_assert_float_eq(pw * 20 * current_lsb, 12.0, 1e-9, "12 V x 1 A");
}

Test(ina219_model, negative_current_sign_and_truncation)
{
	setup_chip(0.1, 5.0);
	wr(5, 4095); /* bit 0 is read-only 0: CAL = 4094 */
	cr_assert_eq(rd(5), 4094);
	run(-0.5, 2e-3);
	int16_t shunt = (int16_t)rd(1);
	cr_assert_eq(shunt, -5000);
	cr_assert_eq(rd(1), 0xEC78, "two's complement on the wire");
	int16_t cur = (int16_t)rd(4);
	/* -5000 * 4094 / 4096 = -4997.56: truncated toward zero */
	cr_assert_eq(cur, -4997);
	cr_assert_eq(rd(3), 4997 * 1250 / 5000, "power is the magnitude");
}

Test(ina219_model, shunt_saturates_at_pga_range)
{
	setup_chip(1.0, 3.3);
	/* PGA /1: +-40 mV; 12-bit; shunt and bus continuous */
	wr(0, 0x019F);
	run(0.1, 3e-3); /* 100 mV across 1 ohm */
	cr_assert_eq((int16_t)rd(1), 4000);
	run(-0.1, 3e-3);
	cr_assert_eq((int16_t)rd(1), -4000);
	/* POR PGA /8: +-320 mV */
	wr(0, 0x399F);
	run(0.5, 3e-3);
	cr_assert_eq((int16_t)rd(1), 32000);
	cr_assert_eq(hb_ina219m_shunt_fullscale(0x0000), 4000);
	cr_assert_eq(hb_ina219m_shunt_fullscale(0x0800), 8000);
	cr_assert_eq(hb_ina219m_shunt_fullscale(0x1000), 16000);
	cr_assert_eq(hb_ina219m_shunt_fullscale(0x1800), 32000);
}

Test(ina219_model, no_new_value_before_conversion_time)
{
	setup_chip(0.1, 3.3);
	double t_conv = hb_ina219m_conv_time_s(3) * 2; /* shunt then bus, 12-bit each */
	run(0.2, t_conv * 0.999);
	cr_assert_eq(rd(2) & HB_INA219M_BUS_CNVR, 0);
	cr_assert_eq(rd(1), 0, "last result (POR 0) until the conversion completes");
	run(0.2, t_conv * 0.002);
	cr_assert(rd(2) & HB_INA219M_BUS_CNVR);
	cr_assert_eq((int16_t)rd(1), 2000);
	cr_assert_eq(m.conversions, 1);
}

Test(ina219_model, shunt_is_the_average_over_its_window)
{
	setup_chip(1.0, 3.3);
	/* shunt only, triggered, 128-sample averaging (68.10 ms) */
	wr(0, 0x3800 | 0xF << 3 | 1);
	double tw = hb_ina219m_conv_time_s(0xF);
	run(0.010, tw / 4);
	run(0.030, tw * 3 / 4 + 1e-6); /* just past the end of the window */
	/* average = 0.25*10 + 0.75*30 = 25 mA -> 25 mV -> 2500 counts */
	cr_assert_eq((int16_t)rd(1), 2500, "got %d", (int16_t)rd(1));
	/* triggered: exactly one conversion */
	run(0.030, tw * 3);
	cr_assert_eq(m.conversions, 1);
	cr_assert_eq((int16_t)rd(1), 2500, "got %d", (int16_t)rd(1));
	/* writing the config again triggers another */
	wr(0, 0x3800 | 0xF << 3 | 1);
	cr_assert_eq(rd(2) & HB_INA219M_BUS_CNVR, 0, "a mode write clears CNVR");
	run(0.030, tw * 1.01);
	cr_assert_eq(m.conversions, 2);
	cr_assert_eq((int16_t)rd(1), 3000);
}

Test(ina219_model, cnvr_cleared_by_power_read_not_by_bus_read)
{
	setup_chip(0.1, 3.3);
	run(0.1, 1.1e-3);
	cr_assert(rd(2) & HB_INA219M_BUS_CNVR);
	cr_assert(rd(2) & HB_INA219M_BUS_CNVR, "reading the bus register keeps CNVR");
	rd(3);
	cr_assert_eq(rd(2) & HB_INA219M_BUS_CNVR, 0, "reading the power register clears CNVR");
	run(0.1, 1.1e-3);
	cr_assert(rd(2) & HB_INA219M_BUS_CNVR, "set again by the next conversion");
}

Test(ina219_model, ovf_on_current_overflow)
{
	setup_chip(0.1, 3.3);
	wr(5, 0xFFFE);
	run(3.0, 2.2e-3); /* 300 mV: 30000 * 65534 / 4096 overflows int16 */
	cr_assert(rd(2) & HB_INA219M_BUS_OVF);
	int ovf = 0;
	cr_assert_eq(hb_ina219m_calc_current(30000, 0xFFFE, &ovf), INT16_MAX);
	cr_assert(ovf);
	ovf = 0;
	cr_assert_eq(hb_ina219m_calc_current(-100, 4096, &ovf), -100);
	cr_assert_eq(ovf, 0);
	wr(5, 4096);
	run(3.0, 2.2e-3);
	cr_assert_eq(rd(2) & HB_INA219M_BUS_OVF, 0, "OVF clears when the math fits again");
}

Test(ina219_model, i2c_pointer_semantics)
{
	uint8_t w[3], r[4];
	setup_chip(0.1, 3.3);
	w[0] = 5;
	w[1] = 0x12;
	w[2] = 0x35;
	cr_assert_eq(hb_ina219m_xfer(&m, w, 3, NULL, 0), HB_INA219M_ACK);
	/* a read without a pointer write uses the last pointer */
	cr_assert_eq(hb_ina219m_xfer(&m, NULL, 0, r, 2), HB_INA219M_ACK);
	cr_assert_eq(r[0], 0x12);
	cr_assert_eq(r[1], 0x34, "CAL bit 0 reads 0");
	/* a one-byte write only moves the pointer */
	w[0] = 0;
	cr_assert_eq(hb_ina219m_xfer(&m, w, 1, NULL, 0), HB_INA219M_ACK);
	cr_assert_eq(hb_ina219m_xfer(&m, NULL, 0, r, 2), HB_INA219M_ACK);
	cr_assert_eq(r[0], 0x39);
	cr_assert_eq(r[1], 0x9F);
	/* writes to read-only registers are acknowledged and ignored */
	w[0] = 4;
	w[1] = 0x7F;
	w[2] = 0xFF;
	cr_assert_eq(hb_ina219m_xfer(&m, w, 3, r, 2), HB_INA219M_ACK);
	cr_assert_eq(r[0], 0);
	cr_assert_eq(r[1], 0);
	/* no register 6 */
	w[0] = 6;
	cr_assert_eq(hb_ina219m_xfer(&m, w, 1, NULL, 0), HB_INA219M_DATA_NACK);
}

Test(ina219_model, reset_bit_and_fault_reset)
{
	setup_chip(0.1, 3.3);
	wr(5, 4096);
	wr(0, 0x019F);
	run(0.1, 2.2e-3);
	wr(0, 0x8000);
	cr_assert_eq(rd(0), 0x399F, "RST restores POR and self-clears");
	cr_assert_eq(rd(5), 0, "CAL reads back 0 after a reset");
	wr(5, 4096);
	hb_ina219m_reset(&m);
	cr_assert_eq(rd(5), 0);
	cr_assert_eq(rd(4), 0);
}

Test(ina219_model, fault_stop_and_saturate)
{
	setup_chip(0.5, 3.3);
	run(0.02, 2.2e-3);
	int16_t before = (int16_t)rd(1);
	cr_assert_eq(before, 1000);
	uint64_t n = m.conversions;
	hb_ina219m_set_stopped(&m, 1);
	rd(3);
	run(0.04, 20e-3);
	cr_assert_eq(m.conversions, n, "stopped: no conversions");
	cr_assert_eq((int16_t)rd(1), before, "registers frozen");
	cr_assert_eq(rd(2) & HB_INA219M_BUS_CNVR, 0);
	hb_ina219m_set_stopped(&m, 0);
	run(0.04, 2.2e-3);
	cr_assert_eq((int16_t)rd(1), 2000);
	hb_ina219m_set_saturated(&m, 1);
	run(0.04, 2.2e-3);
	cr_assert_eq((int16_t)rd(1), 32000);
}

Test(ina219_model, noise_is_seeded_and_unbiased)
{
	struct hb_ina219m_params p = {.r_shunt_ohm = 0.5, .bus_v = 3.3, .noise_a = 200e-6,
				      .seed = 42};
	struct hb_ina219m a, b;
	double sum = 0, sum2 = 0;
	int n = 0, same = 1;
	hb_ina219m_init(&a, &p, 0, 0);
	hb_ina219m_init(&b, &p, 0, 0);
	for (int k = 1; k <= 400; k++) {
		double t = k * 1.064e-3 + 1e-7;
		hb_ina219m_advance(&a, t, 0.02 * t);
		hb_ina219m_advance(&b, t, 0.02 * t);
		int16_t va = (int16_t)hb_ina219m_read_reg(&a, 1);
		same &= va == (int16_t)hb_ina219m_read_reg(&b, 1);
		sum += va;
		sum2 += (double)va * va;
		n++;
	}
	cr_assert(same, "same seed, same readings");
	double mean = sum / n, sd = sqrt(sum2 / n - mean * mean);
	/* 20 mA * 0.5 ohm = 1000 counts; 200 uA * 0.5 ohm = 10 counts sigma */
	cr_assert(fabs(mean - 1000) < 3, "mean %.2f", mean);
	cr_assert(sd > 7 && sd < 13, "sd %.2f", sd);
}
