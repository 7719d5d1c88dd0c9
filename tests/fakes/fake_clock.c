#include "fake_clock.h"

static uint64_t fc_now(struct hb_clock *c)
{
	return ((struct fake_clock *)c->ctx)->now;
}

static void fc_sleep(struct hb_clock *c, uint64_t ns)
{
	struct fake_clock *fc = c->ctx;
	fc->now += ns;
	fc->slept += ns;
	fc->sleeps++;
}

void fake_clock_install(struct fake_clock *fc, uint64_t start_ns)
{
	fc->clock.now_ns = fc_now;
	fc->clock.sleep_ns = fc_sleep;
	fc->clock.ctx = fc;
	fc->now = start_ns;
	fc->slept = 0;
	fc->sleeps = 0;
	hb_clock_set_default(&fc->clock);
}

void fake_clock_uninstall(void)
{
	hb_clock_set_default(0);
}
