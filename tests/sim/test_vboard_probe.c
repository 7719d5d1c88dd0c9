/* The bench probe's core inside hilbench-vboard (--probe, docs/probe.md section 7), reached
 * with hilbench's own probe client as a real probe is: on its own pty when the board runs
 * free, on the time socket's probe channel in virtual pace. Its I2C reaches the board's
 * INA219 model (samples against the board's truth), its timer is the board's time, and the
 * gateware's UART stays a separate channel. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb_probe.h"
#include "hb_transport.h"
#include "hb_vboard_proc.h"
#include "hb_vtime.h"

/* 32 V, PGA /8, 12-bit shunt, shunt-only continuous: one conversion per period */
#define MON_CONFIG 0x399Du
static struct hb_vboard_proc *vb;
static struct hb_vtime *vt;
static struct hb_transport *tr;
static struct hb_probe *pr;

static void teardown(void)
{
	hb_probe_close(pr);
	pr = NULL;
	hb_transport_close(tr);
	tr = NULL;
	if (vt)
		hb_vtime_close(vt);
	vt = NULL;
	if (vb)
		hb_vboard_stop(vb, 3000, NULL);
	vb = NULL;
}

TestSuite(vboard_probe, .fini = teardown, .timeout = 240);

static void start(const char *const *args)
{
	char exe[1024];
	const char *bd = getenv("HB_BUILD_DIR");
	cr_assert(bd);
	snprintf(exe, sizeof exe, "%s/bench/hilbench-vboard", bd);
	enum hb_status st = hb_vboard_start(exe, args, 20000, &vb);
	cr_assert_eq(st, HB_OK, "start %s: %s", exe, hb_strerror(st));
}

struct samples {
	uint64_t n, edges;
	double sum_uV;
	uint64_t t_first, t_last;
};

static void on_rec(void *ctx, const struct hb_probe_record *r)
{
	struct samples *s = ctx;
	if (r->kind == HBP_REC_SAMPLE || r->kind == HBP_REC_SAMPLE_BUS) {
		if (!s->n)
			s->t_first = r->t_us;
		s->t_last = r->t_us;
		s->n++;
		s->sum_uV += hb_probe_shunt_uV(r->shunt);
	} else if (r->kind == HBP_REC_EDGE) {
		s->edges++;
	}
}

/* The probe's identity, then one monitor at the board's INA219 (12-bit shunt-only). */
static void identify_and_configure(uint32_t i2c_hz, const struct hb_vboard_info *vi)
{
	uint32_t shunt_uohm = (uint32_t)vi->shunt_uohm;
	const struct hb_probe_identity *id = hb_probe_identity(pr);
	cr_assert(id->capabilities & HBP_CAP_SIMULATED, "capabilities 0x%x", id->capabilities);
	cr_assert_eq(id->i2c_hz, i2c_hz);
	cr_assert_eq(id->timer_hz, 1000000u);
	struct hb_probe_monitor m = {.index = 0, .addr = (uint8_t)vi->ina219_addr,
				     .config = MON_CONFIG,
				     .shunt_uohm = shunt_uohm};
	struct hb_probe_config_result res;
	cr_assert_eq(hb_probe_configure(pr, &m, &res), HB_OK, "%s", hb_probe_last_error(pr));
	cr_assert_eq(res.result, HBP_I2C_OK, "the board's INA219 answers the probe");
	cr_assert_eq(res.readback, m.config, "readback 0x%04x", res.readback);
	cr_assert_eq(res.period_us, hbp_ina219_cycle_us(m.config));
	/* a monitor nobody is strapped to: NACK, as on a real bus */
	struct hb_probe_monitor none = {.index = 1, .addr = (uint8_t)(vi->ina219_addr + 1),
					.config = MON_CONFIG, .shunt_uohm = shunt_uohm};
	cr_assert_eq(hb_probe_configure(pr, &none, &res), HB_OK);
	cr_assert_eq(res.result, HBP_I2C_NACK_ADDR);
	none.addr = 0; /* slot off again */
	cr_assert_eq(hb_probe_configure(pr, &none, &res), HB_OK);
}

/* The mean current the probe read, against the board's truth over the same time: the
 * idle board's power / rail voltage (no noise: within the 10 uV quantisation), from the
 * shunt and rail the board announced. */
static void check_against_truth(const struct samples *s)
{
	/* the samples cover [t_first - period, t_last] µs of probe time = board time */
	double cyc_per_us = hb_vboard_info(vb)->clock_hz / 1e6;
	uint64_t c0 = (uint64_t)llround((double)(s->t_first - hbp_ina219_cycle_us(MON_CONFIG)) * cyc_per_us);
	uint64_t c1 = (uint64_t)llround((double)s->t_last * cyc_per_us);
	cr_assert_gt(s->n, 20, "%llu samples", (unsigned long long)s->n);
	struct hb_vboard_truth t;
	cr_assert_eq(hb_vboard_truth(vb, c0, c1, &t), HB_OK);
	const struct hb_vboard_info *vi = hb_vboard_info(vb);
	cr_assert_gt(vi->rail_mv, 0);
	cr_assert_gt(vi->shunt_uohm, 0);
	double i_truth = t.avg_power_mw / vi->rail_mv;
	double i_probe = s->sum_uV / (double)s->n / vi->shunt_uohm;
	cr_assert_leq(fabs(i_probe - i_truth) / i_truth, 0.002, "probe %.6f A vs truth %.6f A",
		      i_probe, i_truth);
}

Test(vboard_probe, on_its_own_pty_when_the_board_runs_free)
{
	static const char *const args[] = {"--probe", "--pace", "fast", "--clock-hz", "1000000",
					   "--baud", "250000", "-q", NULL};
	start(args);
	const struct hb_vboard_info *vi = hb_vboard_info(vb);
	cr_assert(vi->probe[0], "no 'probe:' startup line");
	char uri[200];
	snprintf(uri, sizeof uri, "pty:%s", vi->probe);
	cr_assert_eq(hb_transport_open(uri, HBP_DEFAULT_BAUD, &tr), HB_OK);
	/* Free-running: the board's time races the wall clock; give the exchanges wall-clock
	 * room (a busy machine only slows them). */
	struct hb_probe_opts o;
	hb_probe_opts_default(&o);
	o.base_timeout_ms = 10000;
	cr_assert_eq(hb_probe_open(tr, &o, &pr), HB_OK);
	identify_and_configure(400000, vi);
	struct samples s = {0};
	hb_probe_set_record_fn(pr, on_rec, &s);
	struct hb_probe_start_result sr;
	cr_assert_eq(hb_probe_start(pr, &(struct hb_probe_start){.capture_mask = 0xF}, &sr), HB_OK);
	for (int i = 0; i < 2000 && s.n < 200; i++)
		cr_assert_eq(hb_probe_poll(pr, 100), HB_OK, "%s", hb_probe_last_error(pr));
	struct hb_probe_stop_result st;
	cr_assert_eq(hb_probe_stop(pr, &st), HB_OK);
	cr_assert_eq(st.dropped, 0);
	/* the probe's µs timer is the board's clock; samples sit on the conversion grid, every
	 * one read */
	const unsigned period = hbp_ina219_cycle_us(MON_CONFIG);
	cr_assert_eq((s.t_last - s.t_first) % period, 0, "off the conversion grid");
	cr_assert_eq((s.t_last - s.t_first) / period + 1, s.n, "conversions not read");
	cr_assert_eq(s.edges, 0, "an idle gateware has no DONE/BUSY edges");
	check_against_truth(&s);
}

Test(vboard_probe, on_the_time_socket_channel_in_virtual_pace)
{
	static const char *const args[] = {"--probe", "--pace", "virtual", "--clock-hz", "1000000",
					   "--baud", "250000", "--probe-i2c-hz", "1000000", "-q",
					   NULL};
	start(args);
	const struct hb_vboard_info *vi = hb_vboard_info(vb);
	cr_assert_eq(hb_vtime_open(vi->vtime, &vt), HB_OK);
	char uri[400];
	snprintf(uri, sizeof uri, "vtime-uart:%s?channel=probe", vi->vtime);
	cr_assert_eq(hb_transport_open(uri, HBP_DEFAULT_BAUD, &tr), HB_OK);
	struct hb_probe_opts o;
	hb_probe_opts_default(&o);
	o.clock = hb_vtime_clock(vt);
	cr_assert_eq(hb_probe_open(tr, &o, &pr), HB_OK, "IDENTIFY over the probe channel");
	identify_and_configure(1000000, vi);
	/* the probe's clock is the board's: STATUS 10 ms of simulated time apart */
	struct hb_probe_status a, b;
	cr_assert_eq(hb_probe_status(pr, &a), HB_OK);
	cr_assert_eq(hb_vtime_sleep_ns(vt, 10000000), HB_OK);
	cr_assert_eq(hb_probe_status(pr, &b), HB_OK);
	cr_assert_geq(b.now_us - a.now_us, 10000u);
	cr_assert_lt(b.now_us - a.now_us, 11000u, "%llu us", (unsigned long long)(b.now_us - a.now_us));
	/* the gateware's UART is another channel: nothing of the probe's arrives there */
	uint8_t buf[64];
	size_t got = 0;
	cr_assert_eq(hb_vtime_uart_read(vt, buf, sizeof buf, &got, 2000000), HB_ERR_TIMEOUT);
	struct samples s = {0};
	hb_probe_set_record_fn(pr, on_rec, &s);
	struct hb_probe_start_result sr;
	cr_assert_eq(hb_probe_start(pr, &(struct hb_probe_start){.capture_mask = 0xF}, &sr), HB_OK);
	uint64_t c0 = hb_vtime_now_cycle(vt);
	while (hb_vtime_now_cycle(vt) - c0 < 200000) /* 0.2 simulated s */
		cr_assert_eq(hb_probe_poll(pr, 10), HB_OK);
	struct hb_probe_stop_result st;
	cr_assert_eq(hb_probe_stop(pr, &st), HB_OK);
	cr_assert_eq(st.dropped, 0);
	cr_assert_eq((s.t_last - s.t_first) / hbp_ina219_cycle_us(MON_CONFIG) + 1, s.n,
		     "conversions not read");
	check_against_truth(&s);
}
