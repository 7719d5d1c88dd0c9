/* INA219 sampling against the conversion-time limit: samples per second delivered by
 * hb_power_sampler vs 1 / conversion time (goal >= 0.95).
 *
 * 1. Through an FT232H-like FTDI (tests/fakes: the MPSSE executed at pin level, I2C at
 *    400 kHz onto the virtual board's INA219 register model, USB in 125 us microframes where
 *    a reply needs the next microframe), all on a fake clock: the figures are simulated time
 *    and the same on every run. At 532 us (shunt only, 12 bit) and 1.064 ms (shunt and bus,
 *    12 bit) conversions, with the batched driver (one USB exchange per sample) and, for
 *    comparison in the same run, with one USB round trip per written byte (?batch=0, what
 *    the driver did before).
 * 2. Over the virtual board's I2C socket, and against the in-process fake INA219 on a fake
 *    bus as the no-transport baseline (wall time).
 * Usage: bench_ina219_sampling [seconds] (default 3; the simulated runs last 2 s each). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_clock.h"
#include "fake_ftdi.h"
#include "fake_i2c_bus.h"
#include "fake_ina219.h"
#include "fake_ina219m.h"
#include "hb_clock.h"
#include "hb_i2c.h"
#include "hb_log.h"
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

/* One simulated run through the fake FT232H: the sampler's rate (0 when it cannot sample:
 * a read longer than a conversion is always torn) and the time one sample read takes. */
struct ft_result {
	double rate, limit, read_us;
	unsigned writes_per_read;
};

static int ft232h(const char *uri, int mode, int adc, double sim_s, struct ft_result *res)
{
	struct fake_clock fc;
	fake_clock_install(&fc, 1000000000ull);
	fake_ftdi_install();
	fake_ftdi.pid = 0x6014;
	fake_ftdi.clock = &fc.clock;
	static struct fake_ina219m ina;
	struct hb_ina219m_params p = {.r_shunt_ohm = 0.1, .bus_v = 3.3, .noise_a = 0.001, .seed = 1};
	fake_ina219m_init(&ina, 0x40, &p, &fake_ftdi.mpsse.t_ns);
	ina.current_a = 0.05;
	struct fake_i2c_bus fb = {0};
	fb.t[fb.n++] = fake_ina219m_target(&ina);
	fake_ftdi.mpsse.bus = &fb;
	struct hb_i2c *bus = NULL;
	int rc = 1;
	struct hb_ina2xx dev;
	struct hb_ina2xx_config c = {.shunt_uohm = 100000, .max_current_uA = 200000,
				     .bus_adc = adc, .shunt_adc = adc, .mode = mode};
	memset(res, 0, sizeof *res);
	if (hb_i2c_open(uri, &bus) == HB_OK && hb_ina2xx_init(&dev, bus, 0x40, HB_INA219, &c) == HB_OK) {
		res->limit = 1e9 / (double)dev.conv_ns;
		/* the time of one sample read (bus, power, shunt, bus) */
		struct hb_ina2xx_reading r;
		enum hb_ina2xx_fresh fresh;
		uint64_t t0 = fc.now;
		unsigned w0 = fake_ftdi.usb_writes, n = 200;
		for (unsigned i = 0; i < n; i++)
			hb_ina2xx_sample(&dev, &r, &fresh);
		res->read_us = (fc.now - t0) / 1e3 / n;
		res->writes_per_read = (fake_ftdi.usb_writes - w0 + n / 2) / n;
		/* the sampler */
		hb_log_set_level(HB_LOG_NONE);
		struct hb_power_sampler s;
		hb_power_sampler_init(&s, &dev, NULL);
		t0 = fc.now;
		enum hb_status st = hb_power_sampler_run(&s, (uint64_t)(sim_s * 1e9), NULL, NULL);
		hb_log_set_level(HB_LOG_WARN);
		if (st == HB_OK && s.samples)
			res->rate = s.samples / ((fc.now - t0) * 1e-9);
		rc = 0;
	}
	hb_i2c_close(bus);
	fake_ftdi_uninstall();
	fake_clock_uninstall();
	return rc;
}

static int ft232h_figures(void)
{
	static const struct {
		const char *name;
		int mode, adc;
	} convs[] = {
		{"0.532 ms (shunt, 12 bit)", 5, 3},
		{"1.064 ms (shunt + bus, 12 bit)", 7, 3},
	};
	static const struct {
		const char *name, *uri;
	} ways[] = {
		{"batched (one USB exchange)", "ftdi-i2c://0403:6014/1?speed=400000"},
		{"per-byte ACK round trips", "ftdi-i2c://0403:6014/1?speed=400000&batch=0"},
	};
	int met = 1;
	printf("INA219 through an FT232H (simulated: 400 kHz I2C, 125 us USB microframes, a reply "
	       "in the next one):\n");
	for (size_t i = 0; i < 2; i++) {
		for (size_t k = 0; k < 2; k++) {
			struct ft_result r;
			if (ft232h(ways[k].uri, convs[i].mode, convs[i].adc, 2.0, &r)) {
				fprintf(stderr, "FT232H %s %s: cannot open the INA219\n", convs[i].name,
					ways[k].name);
				return 1;
			}
			double bound = 1e6 / r.read_us < r.limit ? 1e6 / r.read_us : r.limit;
			printf("  %-31s %-27s one read %7.1f us (%2u USB writes): ", convs[i].name,
			       ways[k].name, r.read_us, r.writes_per_read);
			if (r.rate > 0)
				printf("sampler %6.0f samples/s of %6.0f: ratio %.3f\n", r.rate, r.limit,
				       r.rate / r.limit);
			else
				printf("at most %4.0f reads/s of %6.0f conversions/s: ratio <= %.3f; a read "
				       "longer than a conversion is always torn (no whole sample)\n",
				       bound, r.limit, bound / r.limit);
			if (k == 0 && r.rate / r.limit < 0.95)
				met = 0;
		}
	}
	printf("  (goal: batched sampler ratio >= 0.95 at both conversion times: %s)\n",
	       met ? "met" : "NOT met");
	return 0;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 3;
	if (ft232h_figures())
		return 1;
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
