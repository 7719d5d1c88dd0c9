/* INA219 sampling loop over the virtual board's I2C socket against the conversion-time
 * limit: samples per second delivered by hb_power_sampler vs 1 / conversion time
 * (goal >= 0.95). Also the same loop against the in-process fake INA219 on a fake bus, as
 * the no-transport baseline. Usage: bench_ina219_sampling [seconds] (default 3). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_i2c_bus.h"
#include "fake_ina219.h"
#include "hb_clock.h"
#include "hb_i2c.h"
#include "hb_power_sampler.h"
#if __has_include("hb_vboard_proc.h")
#include "hb_vboard_proc.h"
#define HAVE_VBOARD 1
#endif

static void *g_vb; /* the virtual board, for its simulated time */

static double sim_seconds(void)
{
#ifdef HAVE_VBOARD
	uint64_t cycle;
	double sim_ns;
	if (g_vb && hb_vboard_now(g_vb, &cycle, &sim_ns) == HB_OK)
		return sim_ns / 1e9;
#endif
	return -1;
}

static int measure(const char *what, struct hb_i2c *bus, double seconds)
{
	struct hb_ina2xx dev;
	struct hb_ina2xx_config c = {.shunt_uohm = 100000, .max_current_uA = 200000,
				     .bus_adc = -1, .shunt_adc = -1, .mode = -1};
	enum hb_status st = hb_ina2xx_init(&dev, bus, 0x40, HB_INA219, &c);
	if (st != HB_OK) {
		fprintf(stderr, "%s: INA219 init: %s\n", what, hb_strerror(st));
		return 1;
	}
	struct hb_power_sampler s;
	hb_power_sampler_init(&s, &dev, hb_clock_system());
	s.stall_periods = 100;
	struct hb_clock *clk = hb_clock_system();
	double sim0 = sim_seconds();
	uint64_t t0 = clk->now_ns(clk);
	st = hb_power_sampler_run(&s, (uint64_t)(seconds * 1e9), NULL, NULL);
	double dt = (clk->now_ns(clk) - t0) / 1e9;
	double sim1 = sim_seconds();
	if (st != HB_OK) {
		fprintf(stderr, "%s: sampler: %s\n", what, hb_strerror(st));
		return 1;
	}
	double limit = 1e9 / (double)dev.conv_ns, rate = (double)s.samples / dt;
	printf("%-22s %6.0f samples/s of %6.0f possible (conversion %.3f ms): ratio %.3f, "
	       "gaps %llu, dropped %llu, idle polls %llu\n",
	       what, rate, limit, dev.conv_ns / 1e6, rate / limit, (unsigned long long)s.gaps,
	       (unsigned long long)s.dropped, (unsigned long long)s.polls);
	if (sim0 >= 0 && sim1 > sim0) {
		double conv_sim = (sim1 - sim0) * 1e9 / (double)dev.conv_ns;
		printf("%-22s simulated %.3f s in %.3f s wall (%.1f %% of real time): %llu samples of "
		       "%.0f conversions the model made: ratio %.3f\n",
		       "", sim1 - sim0, dt, 100 * (sim1 - sim0) / dt, (unsigned long long)s.samples,
		       conv_sim, (double)s.samples / conv_sim);
	}
	return 0;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 3;
	struct fake_ina219 chip;
	struct fake_i2c_bus fb = {0};
	struct hb_i2c *bus;
	fake_ina219_init(&chip, 0x40, hb_clock_system());
	chip.shunt_uV = 3000, chip.bus_mV = 3300;
	fb.t[fb.n++] = fake_ina219_target(&chip);
	fake_i2c_bus_open(&fb, &bus);
	int rc = measure("in-process fake", bus, seconds);
	hb_i2c_close(bus);
#ifdef HAVE_VBOARD
	struct hb_vboard_proc *p;
	enum hb_status st = hb_vboard_start(getenv("HB_VBOARD") ? NULL : HB_BENCH_VBOARD, NULL,
					    20000, &p);
	if (st != HB_OK) {
		fprintf(stderr, "cannot start the virtual board: %s\n", hb_strerror(st));
		return 1;
	}
	char uri[400];
	snprintf(uri, sizeof uri, "vboard:%s", hb_vboard_info(p)->i2c);
	g_vb = p;
	if (hb_i2c_open(uri, &bus) == HB_OK) {
		rc |= measure("virtual board socket", bus, seconds);
		printf("(goal: virtual board ratio >= 0.95)\n");
		hb_i2c_close(bus);
	} else {
		rc = 1;
	}
	g_vb = NULL;
	hb_vboard_stop(p, 5000, NULL);
#else
	printf("virtual board not built: only the in-process figure\n");
#endif
	return rc;
}
