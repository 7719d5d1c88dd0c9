/* The drivers' vboard: I2C client and INA219 driver against the virtual board's INA219
 * model (stand-in top): calibration, readings that match the power model, reset recovery,
 * saturation and stop faults as the driver reports them. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hb_i2c.h"
#include "hb_ina2xx.h"
#include "hb_vboard_proc.h"

static struct hb_vboard_proc *vb;
static struct hb_i2c *bus;

static void teardown(void)
{
	if (bus)
		hb_i2c_close(bus);
	bus = NULL;
	if (vb)
		hb_vboard_stop(vb, 2000, NULL);
	vb = NULL;
}

TestSuite(vboard_drivers, .fini = teardown, .timeout = 60);

static void open_board(struct hb_ina2xx *dev)
{
	static const char *const args[] = {"--pace", "fast", "-q", NULL};
	char uri[400];
	cr_assert_eq(hb_vboard_start(HB_VBOARD_STANDIN, args, 10000, &vb), HB_OK);
	snprintf(uri, sizeof uri, "vboard:%s", hb_vboard_info(vb)->i2c);
	cr_assert_eq(hb_i2c_open(uri, &bus), HB_OK, "%s", uri);
	struct hb_ina2xx_config cfg = {.shunt_uohm = 500000, .max_current_uA = 100000,
				       .bus_adc = -1, .shunt_adc = -1, .mode = -1};
	cr_assert_eq(hb_ina2xx_init(dev, bus, 0x40, HB_INA219, &cfg), HB_OK);
}

Test(vboard_drivers, ina219_driver_reads_the_modelled_current)
{
	struct hb_ina2xx dev;
	struct hb_ina2xx_reading r;
	open_board(&dev);
	int ready = 0;
	for (int i = 0; i < 200 && !ready; i++)
		cr_assert_eq(hb_ina2xx_ready(&dev, &ready), HB_OK);
	cr_assert(ready);
	cr_assert_eq(hb_ina2xx_read(&dev, &r), HB_OK);
	struct hb_vboard_truth t;
	uint64_t now;
	cr_assert_eq(hb_vboard_now(vb, &now, NULL), HB_OK);
	cr_assert_eq(hb_vboard_truth(vb, 0, now, &t), HB_OK);
	double i_true_uA = t.idle_power_mw / 3.3 * 1e3;
	cr_assert(fabs(r.current_uA - i_true_uA) <= 25, "driver %d uA, model %.1f uA",
		  r.current_uA, i_true_uA);
	cr_assert_eq(r.bus_mV, 3300);
	double p_true_uW = t.idle_power_mw * 1e3;
	cr_assert(fabs((double)r.power_uW - p_true_uW) < p_true_uW * 0.01, "power %lld uW vs %.0f",
		  (long long)r.power_uW, p_true_uW);
	cr_assert_eq(r.saturated, 0);
	cr_assert_eq(r.ovf, 0);
}

Test(vboard_drivers, driver_recovers_from_a_chip_reset)
{
	struct hb_ina2xx dev;
	struct hb_ina2xx_reading r;
	open_board(&dev);
	cr_assert_eq(hb_vboard_fault(vb, "ina-reset", NULL), HB_OK);
	enum hb_status st = hb_ina2xx_read(&dev, &r);
	cr_assert_eq(st, HB_OK, "%s", hb_strerror(st));
	cr_assert_geq(dev.resets_seen, 1, "the reset was noticed (CAL read back 0)");
	cr_assert_gt(r.current_uA, 20000);
}

Test(vboard_drivers, saturated_shunt_is_an_error)
{
	struct hb_ina2xx dev;
	struct hb_ina2xx_reading r;
	open_board(&dev);
	cr_assert_eq(hb_vboard_fault(vb, "ina-saturate", NULL), HB_OK);
	int ready = 0;
	hb_ina2xx_read(&dev, &r); /* clears CNVR */
	for (int i = 0; i < 200 && !ready; i++)
		cr_assert_eq(hb_ina2xx_ready(&dev, &ready), HB_OK);
	cr_assert_eq(hb_ina2xx_read(&dev, &r), HB_ERR_RANGE);
}
