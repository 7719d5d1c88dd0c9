/* The paced INA219 sampler against the fake chip and the fake clock. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "fake_clock.h"
#include "fake_i2c_bus.h"
#include "fake_ina219.h"
#include "hb_log.h"
#include "hb_power_sampler.h"

static struct fake_clock fc;
static struct fake_ina219 chip;
static struct fake_i2c_bus fbus;
static struct hb_i2c *bus;
static struct hb_ina2xx dev;

static void setup(void)
{
	fake_clock_install(&fc, 5000000000ull);
	fake_ina219_init(&chip, 0x40, NULL);
	memset(&fbus, 0, sizeof fbus);
	fbus.t[fbus.n++] = fake_ina219_target(&chip);
	cr_assert_eq(fake_i2c_bus_open(&fbus, &bus), HB_OK);
	struct hb_ina2xx_config c = {.shunt_uohm = 100000, .max_current_uA = 2000000,
				     .bus_adc = -1, .shunt_adc = -1, .mode = -1};
	cr_assert_eq(hb_ina2xx_init(&dev, bus, 0x40, HB_INA219, &c), HB_OK);
	chip.shunt_uV = 20000;
	chip.bus_mV = 3300;
}

static void teardown(void)
{
	hb_i2c_close(bus);
	fake_clock_uninstall();
}

TestSuite(sampler, .init = setup, .fini = teardown);

struct collect {
	struct hb_power_sample s[256];
	unsigned n;
	unsigned stall_at; /* sleep 5 periods after this sample (simulated host hiccup) */
	uint64_t period;
};

static int on_sample(void *ctx, const struct hb_power_sample *s)
{
	struct collect *c = ctx;
	if (c->n < 256)
		c->s[c->n++] = *s;
	if (c->stall_at && c->n == c->stall_at)
		hb_sleep_ns(5 * c->period);
	return c->n >= 100;
}

Test(sampler, one_sample_per_conversion_without_gaps)
{
	struct hb_power_sampler s;
	struct collect c = {0};
	hb_power_sampler_init(&s, &dev, NULL);
	cr_assert_eq(s.period_ns, dev.conv_ns);
	cr_assert_eq(hb_power_sampler_run(&s, 0, on_sample, &c), HB_OK);
	cr_assert_eq(c.n, 100);
	cr_assert_eq(s.gaps, 0);
	cr_assert_eq(s.dropped, 0);
	cr_assert_eq(c.s[0].current_uA, 200000);
	cr_assert_eq(c.s[0].bus_mV, 3300);
	for (unsigned i = 1; i < c.n; i++) {
		uint64_t dt = c.s[i].t_ns - c.s[i - 1].t_ns;
		cr_assert_geq(dt, s.period_ns / 2, "sample %u too early (%llu ns)", i,
			      (unsigned long long)dt);
		cr_assert_leq(dt, s.period_ns + s.period_ns / 2, "sample %u late", i);
	}
	/* the rate matches the conversion rate: 99 intervals span ~99 periods */
	uint64_t span = c.s[99].t_ns - c.s[0].t_ns;
	cr_assert_geq(span, 99 * s.period_ns * 95 / 100);
	cr_assert_leq(span, 99 * s.period_ns * 105 / 100);
	cr_assert_eq(chip.conversions >= 100, 1);
}

Test(sampler, a_host_stall_counts_a_gap_and_dropped_conversions)
{
	struct hb_power_sampler s;
	struct collect c = {.stall_at = 10, .period = dev.conv_ns};
	hb_power_sampler_init(&s, &dev, NULL);
	cr_assert_eq(hb_power_sampler_run(&s, 0, on_sample, &c), HB_OK);
	cr_assert_eq(s.gaps, 1);
	cr_assert_geq(s.dropped, 4);
	cr_assert_leq(s.dropped, 6);
	cr_assert(c.s[10].flags & HB_POWER_SAMPLE_AFTER_GAP);
	cr_assert(!(c.s[9].flags & HB_POWER_SAMPLE_AFTER_GAP));
}

Test(sampler, duration_bounds_the_run)
{
	struct hb_power_sampler s;
	hb_power_sampler_init(&s, &dev, NULL);
	uint64_t t0 = hb_now_ns();
	cr_assert_eq(hb_power_sampler_run(&s, 100000000ull, NULL, NULL), HB_OK);
	uint64_t expect = 100000000ull / dev.conv_ns;
	cr_assert_geq(s.samples, expect - 2);
	cr_assert_leq(s.samples, expect + 2);
	cr_assert_geq(hb_now_ns() - t0, 100000000ull);
}

Test(sampler, stopped_converter_times_out)
{
	struct hb_power_sampler s;
	struct hb_power_sample smp;
	hb_power_sampler_init(&s, &dev, NULL);
	hb_sleep_ns(dev.conv_ns);
	cr_assert_eq(hb_power_sampler_next(&s, &smp), HB_OK);
	chip.stopped = 1;
	cr_assert_eq(hb_power_sampler_next(&s, &smp), HB_ERR_TIMEOUT);
}

Test(sampler, saturated_samples_are_flagged_not_fatal)
{
	struct hb_power_sampler s;
	struct hb_power_sample smp;
	hb_power_sampler_init(&s, &dev, NULL);
	chip.shunt_uV = 400000; /* beyond ±320 mV */
	hb_sleep_ns(dev.conv_ns);
	cr_assert_eq(hb_power_sampler_next(&s, &smp), HB_ERR_RANGE);
	cr_assert(smp.flags & HB_POWER_SAMPLE_SATURATED);
	cr_assert_eq(s.saturated, 1);
}

/* issue 12: "stopped converting" was declared 4 periods after the first silent poll,
 * measured when the reads *returned*: a thread held up inside one read (here 5 periods,
 * between the chip answering "no conversion yet" and the answer reaching the sampler)
 * tripped it although the chip never stopped. */
struct holdup {
	unsigned silent_reads, at;
	uint64_t ns;
	int after_power; /* the previous transaction read the power register */
};

static void hold_after_silent_bus_read(void *ctx, uint8_t addr7, const uint8_t *w, unsigned wn,
				       const uint8_t *r, unsigned rn)
{
	struct holdup *h = ctx;
	(void)addr7;
	int bus_reg = wn ? w[0] == 2 : chip.ptr == 2;
	/* a CNVR poll that found nothing (not the check read after a power read) */
	if (rn == 2 && bus_reg && !(r[1] & 2) && !h->after_power && ++h->silent_reads == h->at)
		hb_sleep_ns(h->ns);
	h->after_power = rn == 2 && (wn ? w[0] == 3 : chip.ptr == 3);
}

Test(sampler, a_thread_held_up_inside_a_read_is_a_late_sample_not_a_stop)
{
	struct hb_power_sampler s;
	struct collect c = {0};
	struct holdup h = {.at = 2, .ns = 5 * dev.conv_ns};
	hb_power_sampler_init(&s, &dev, NULL);
	fbus.after = hold_after_silent_bus_read;
	fbus.after_ctx = &h;
	enum hb_status st = hb_power_sampler_run(&s, 0, on_sample, &c);
	fbus.after = NULL;
	cr_assert_eq(st, HB_OK, "%s", hb_strerror(st));
	cr_assert_geq(h.silent_reads, 2, "the hold-up happened");
	cr_assert_eq(c.n, 100);
	cr_assert_eq(s.resets, 0);
}

Test(sampler, a_chip_reset_is_repaired_and_sampling_goes_on)
{
	struct hb_power_sampler s;
	struct hb_power_sample smp;
	hb_power_sampler_init(&s, &dev, NULL);
	for (int i = 0; i < 10; i++)
		cr_assert_eq(hb_power_sampler_next(&s, &smp), HB_OK);
	fake_ina219_reset(&chip); /* brown-out: CAL 0, POR configuration */
	for (int i = 0; i < 10; i++)
		cr_assert_eq(hb_power_sampler_next(&s, &smp), HB_OK);
	cr_assert_eq(s.resets, 1);
	cr_assert_eq(dev.resets_seen, 1);
	cr_assert_eq(chip.cal, dev.cal, "CAL written again");
	cr_assert_eq(smp.current_uA, 200000);
}

Test(sampler, a_chip_that_keeps_resetting_is_gone)
{
	struct hb_power_sampler s;
	struct hb_power_sample smp;
	hb_power_sampler_init(&s, &dev, NULL);
	cr_assert_eq(hb_power_sampler_next(&s, &smp), HB_OK);
	chip.sticky_reset = 1;
	fake_ina219_reset(&chip);
	enum hb_status st;
	for (int i = 0; i < 100 && (st = hb_power_sampler_next(&s, &smp)) == HB_OK; i++)
		;
	cr_assert_eq(st, HB_ERR_GONE);
	cr_assert_eq(dev.resets_seen, dev.max_retries);
}

Test(sampler, a_late_host_makes_gaps_never_an_error)
{
	struct hb_power_sampler s;
	struct hb_power_sample smp;
	hb_power_sampler_init(&s, &dev, NULL);
	for (int i = 0; i < 20; i++) {
		cr_assert_eq(hb_power_sampler_next(&s, &smp), HB_OK);
		hb_sleep_ns((uint64_t)(i % 4) * 3 * dev.conv_ns); /* 0 .. 9 periods late */
	}
	cr_assert_gt(s.gaps, 0);
	cr_assert_eq(s.samples, 20);
}

struct warnings {
	unsigned n;
	char last[512];
};

static void count_warnings(void *ctx, enum hb_log_level lvl, const char *prefix, const char *msg)
{
	struct warnings *w = ctx;
	(void)prefix;
	if (lvl <= HB_LOG_WARN) {
		w->n++;
		snprintf(w->last, sizeof w->last, "%s", msg);
	}
}

/* A saturated shunt gives one warning with the count, not one line per sample (1,585 lines in
 * 7 s before): at the end of the sampler's run, and when the shunt recovers. */
Test(sampler, a_saturated_shunt_gives_one_warning_with_a_count)
{
	struct hb_power_sampler s;
	struct collect c = {0};
	struct warnings w = {0};
	hb_log_set_sink(count_warnings, &w);
	hb_log_set_level(HB_LOG_WARN);
	hb_power_sampler_init(&s, &dev, NULL);
	chip.shunt_uV = 400000; /* beyond ±320 mV for the whole run */
	cr_assert_eq(hb_power_sampler_run(&s, 0, on_sample, &c), HB_OK);
	cr_assert_eq(c.n, 100);
	cr_assert_eq(s.saturated, 100);
	cr_assert_eq(w.n, 1, "%u warnings, last: %s", w.n, w.last);
	cr_assert(strstr(w.last, "shunt saturated") && strstr(w.last, "for 100 readings"), "%s",
		  w.last);
	cr_assert_eq(dev.saturated_total, 100);

	/* saturated for 7 readings, then it recovers: one warning for the 7 at the first good one */
	struct hb_power_sample smp;
	for (int i = 0; i < 7; i++)
		cr_assert_eq(hb_power_sampler_next(&s, &smp), HB_ERR_RANGE);
	cr_assert_eq(w.n, 1, "nothing while it lasts");
	chip.shunt_uV = 20000;
	cr_assert_eq(hb_power_sampler_next(&s, &smp), HB_OK);
	hb_log_set_sink(NULL, NULL);
	cr_assert_eq(w.n, 2, "%u warnings", w.n);
	cr_assert(strstr(w.last, "for 7 readings"), "%s", w.last);
	cr_assert_eq(dev.saturated_total, 107);
}
