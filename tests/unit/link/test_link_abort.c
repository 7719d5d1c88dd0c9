/* Ctrl-C while the link waits or retries (hb_link_opts.abort_now): a device that never
 * answers would keep a request busy for its timeouts times four attempts; with the flag set
 * the request gives up at once with HB_ERR_INTERRUPTED. Fake clock: nothing sleeps. */
#include <criterion/criterion.h>
#include <signal.h>

#include "fake_clock.h"
#include "fake_link_device.h"
#include "hb_link_client.h"
#include "hb_log.h"

static struct fake_clock fc;
static struct fake_link_device *dev;
static volatile sig_atomic_t abort_flag;

static void setup(void)
{
	fake_clock_install(&fc, 1000000000ull);
	hb_log_set_level(HB_LOG_NONE);
	dev = fake_link_device_new();
	cr_assert(dev);
	abort_flag = 0;
}

static void teardown(void)
{
	fake_link_device_free(dev);
	fake_clock_uninstall();
	hb_log_set_level(HB_LOG_WARN);
}

TestSuite(abort, .init = setup, .fini = teardown);

static struct hb_link *open_link(void)
{
	struct hb_link_opts o;
	hb_link_opts_default(&o);
	o.abort_now = &abort_flag;
	struct hb_link *l;
	cr_assert_eq(hb_link_open(&dev->transport, &o, &l), HB_OK);
	return l;
}

Test(abort, a_silent_device_costs_every_timeout_without_the_flag)
{
	struct hb_link *l = open_link();
	dev->drop_responses = 100;
	struct hb_link_identity id;
	uint64_t t0 = fc.now;
	cr_assert_eq(hb_link_identify(l, &id), HB_ERR_TIMEOUT);
	/* four attempts of at least the 100 ms base timeout each */
	cr_assert_geq(fc.now - t0, 400000000ull, "waited only %llu ns", (unsigned long long)(fc.now - t0));
	hb_link_close(l);
}

Test(abort, the_flag_stops_a_request_at_once)
{
	struct hb_link *l = open_link();
	dev->drop_responses = 100;
	abort_flag = 1;
	struct hb_link_identity id;
	uint64_t t0 = fc.now;
	cr_assert_eq(hb_link_identify(l, &id), HB_ERR_INTERRUPTED);
	cr_assert_lt(fc.now - t0, 100000000ull, "waited %llu ns after the flag",
		     (unsigned long long)(fc.now - t0));
	cr_assert_eq(l->stats.retries, 0, "no retry after the flag");
	hb_link_close(l);
}
