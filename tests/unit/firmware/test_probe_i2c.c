/* The probe: I2C bus (drivers/i2c/hb_i2c_probe.c) and `hilbench probe info`, end to end: a
 * board profile's bus URI probe:pty:/dev/pts/N reaches the probe firmware core on the host
 * HAL through a real pty and the pty transport; the INA219 driver works across it. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "fake_probe_pty.h"
#include "hb_i2c.h"
#include "hb_ina2xx.h"

static struct fake_probe_pty *start(void)
{
	struct fake_probe_pty *f = fake_probe_pty_new();
	cr_assert_not_null(f);
	/* 0.1 ohm, 3.3 V, 42 mA */
	hbp_sim_add_ina219(f->sim, 0x40, 0.1, 3.3, 0.042, 0);
	cr_assert_eq(fake_probe_pty_start(f), 0);
	return f;
}

Test(probe_i2c, transactions_through_the_probe, .timeout = 60)
{
	struct fake_probe_pty *f = start();
	struct hb_i2c *a, *b;
	cr_assert_eq(hb_i2c_open(f->uri, &a), HB_OK, "%s", f->uri);
	uint8_t reg = 0, v[2];
	cr_assert_eq(hb_i2c_write_read(a, 0x40, &reg, 1, v, 2), HB_OK);
	cr_assert_eq(v[0] << 8 | v[1], 0x399F, "INA219 configuration at power-on");
	cr_assert_eq(hb_i2c_write_read(a, 0x41, &reg, 1, v, 2), HB_ERR_NACK);
	/* a second monitor on the same probe shares the connection */
	cr_assert_eq(hb_i2c_open(f->uri, &b), HB_OK);
	cr_assert_eq(hb_i2c_write_read(b, 0x40, &reg, 1, v, 2), HB_OK);
	hb_i2c_close(a);
	cr_assert_eq(hb_i2c_write_read(b, 0x40, &reg, 1, v, 2), HB_OK, "still open");
	/* the INA219 driver over it: configure, calibrate, read one conversion. Each register
	 * read is a round trip to the probe (milliseconds through a pty), so the conversions
	 * must be slow enough not to complete between the reads of one sample: 128-sample
	 * averages, 68 ms each */
	struct hb_ina2xx dev;
	int avg128 = hb_ina219_adc_code(12, 128);
	struct hb_ina2xx_config cfg = {.shunt_uohm = 100000, .max_current_uA = 100000,
				       .bus_adc = avg128, .shunt_adc = avg128, .mode = -1};
	cr_assert_eq(hb_ina2xx_init(&dev, b, 0x40, HB_INA219, &cfg), HB_OK);
	struct hb_ina2xx_reading r;
	int ready = 0;
	for (int i = 0; i < 2000 && !ready; i++)
		cr_assert_eq(hb_ina2xx_ready(&dev, &ready), HB_OK);
	cr_assert(ready, "no conversion");
	cr_assert_eq(hb_ina2xx_read(&dev, &r), HB_OK);
	cr_assert_eq(r.shunt_uV, 4200, "42 mA through 0.1 ohm");
	cr_assert_eq(r.bus_mV, 3300);
	hb_i2c_close(b);
	fake_probe_pty_free(f);
}

Test(probe_i2c, probe_info_prints_identity_and_status, .timeout = 60)
{
	struct fake_probe_pty *f = start();
	char cmd[512], out[8192];
	snprintf(cmd, sizeof cmd, "%s/bench/hilbench probe info %s 2>&1", getenv("HB_BUILD_DIR"),
		 f->uri);
	FILE *p = popen(cmd, "r");
	size_t n = fread(out, 1, sizeof out - 1, p);
	out[n] = 0;
	int st = pclose(p);
	cr_assert_eq(WEXITSTATUS(st), 0, "%s", out);
	cr_assert(strstr(out, "host (simulated)"), "%s", out);
	cr_assert(strstr(out, "reset cause power-on"), "%s", out);
	cr_assert(strstr(out, "stopped"), "%s", out);
	fake_probe_pty_free(f);
}
