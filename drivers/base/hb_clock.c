#include "hb_clock.h"

#include <errno.h>
#include <time.h>

static uint64_t sys_now_ns(struct hb_clock *c)
{
	struct timespec ts;
	(void)c;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sys_sleep_ns(struct hb_clock *c, uint64_t ns)
{
	struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000u), .tv_nsec = (long)(ns % 1000000000u)};
	(void)c;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static struct hb_clock g_system = {.now_ns = sys_now_ns, .sleep_ns = sys_sleep_ns, .ctx = 0};
static struct hb_clock *g_default;

struct hb_clock *hb_clock_system(void)
{
	return &g_system;
}

struct hb_clock *hb_clock_default(void)
{
	return g_default ? g_default : &g_system;
}

void hb_clock_set_default(struct hb_clock *c)
{
	g_default = c;
}
