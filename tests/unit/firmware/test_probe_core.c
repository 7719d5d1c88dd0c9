/* The probe firmware core (firmware/core) on the host HAL, driven through the real host
 * client (drivers/probe) over a fake transport, on simulated time: identify, sampling on
 * the conversion schedule, edge capture, DATA framing, errors, drops, bus recovery and the
 * watchdog. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "probe_session.h"

#define MS 1000000ull
#define US 1000ull

Test(probe_core, identify_reports_the_build_and_the_boot)
{
	struct probe_session s;
	struct hbp_host_params hp = {.build_hash = 0xC0FFEE42, .watchdog_us = 500000};
	ps_open(&s, &hp);
	const struct hb_probe_identity *id = hb_probe_identity(s.p);
	cr_assert_eq(id->proto_version, HBP_PROTO_VERSION);
	cr_assert_eq(id->build_hash, 0xC0FFEE42u);
	cr_assert_eq(id->timer_hz, HBP_TIMER_HZ);
	cr_assert_eq(id->baud, HBP_DEFAULT_BAUD);
	cr_assert_eq(id->i2c_hz, 400000u);
	cr_assert_eq(id->max_monitors, HBP_MAX_MONITORS);
	cr_assert_eq(id->n_capture, HBP_N_CAPTURE);
	cr_assert_eq(id->max_payload, HBP_MAX_PAYLOAD);
	cr_assert_eq(id->fifo_bytes, HBP_FIFO_BYTES);
	cr_assert_eq(id->board, HBP_BOARD_HOST);
	cr_assert(id->capabilities & HBP_CAP_SIMULATED);
	cr_assert(id->capabilities & HBP_CAP_WATCHDOG);
	cr_assert_eq(id->reset_cause, HBP_RESET_POWER_ON);
	cr_assert_eq(id->boot_count, 1);
	cr_assert_eq(id->watchdog_resets, 0);
	struct hb_probe_status st;
	cr_assert_eq(hb_probe_status(s.p, &st), HB_OK);
	cr_assert_eq(st.running, 0);
	cr_assert_eq(st.reset_cause, HBP_RESET_POWER_ON);
	cr_assert_eq(st.fifo_bytes, HBP_FIFO_BYTES);
	cr_assert_eq(st.mon_state[0], HBP_MON_OFF);
	/* the probe's clock is the simulation's, in µs */
	uint64_t now_us = ps_now(&s) / 1000;
	cr_assert(st.now_us <= now_us && st.now_us + 1000 > now_us, "%llu vs %llu",
		  (unsigned long long)st.now_us, (unsigned long long)now_us);
	ps_close(&s);
}

/* Mean current of device d over [a, b) ns. */
static double mean_a(const struct probe_session *s, unsigned d, uint64_t a, uint64_t b)
{
	return (hbp_sim_charge(s->f->sim, d, b) - hbp_sim_charge(s->f->sim, d, a)) /
	       ((double)(b - a) * 1e-9);
}

static void samples_on_the_grid(int blocking);

Test(probe_core, samples_once_per_conversion_with_the_chip_s_values)
{
	samples_on_the_grid(0);
}

/* The STM32 HAL finishes a transfer inside i2c_start(): the core must take the time after
 * it, or the schedule starts 90 µs early and every sample is a conversion late. */
Test(probe_core, samples_on_the_grid_with_blocking_transfers_too)
{
	samples_on_the_grid(1);
}

static void samples_on_the_grid(int blocking)
{
	struct probe_session s;
	struct hbp_host_params hp = {.watchdog_us = 500000, .blocking_i2c = blocking};
	ps_open(&s, &hp);
	/* 0.1 ohm; 30 mA idle, +20 mA while BUSY; inferences every 700 µs, 250 µs busy: the
	 * current changes inside conversion windows, so the values test the timing. */
	hbp_sim_add_ina219(s.f->sim, 0x40, 0.1, 3.3, 0.030, 0.020);
	hbp_sim_workload(s.f->sim, ps_now(&s) + 3 * MS, 700 * US, 250 * US);
	const uint16_t cfg = CFG(ADC_9BIT, ADC_12BIT, 7); /* shunt 532 µs, bus 84 µs */
	const unsigned ts = 532, tb = 84, P = ts + tb;
	cr_assert_eq(ps_monitor(&s, 0, 0x40, cfg, 8), HBP_I2C_OK);
	struct hb_probe_start_result sr;
	cr_assert_eq(hb_probe_start(s.p, &(struct hb_probe_start){.capture_mask = 0}, &sr), HB_OK);
	cr_assert_eq(sr.enabled, 1);
	cr_assert_eq(sr.ok, 1);
	ps_run(&s, 100 * MS);
	struct hb_probe_stop_result stop;
	cr_assert_eq(hb_probe_stop(s.p, &stop), HB_OK);
	cr_assert_eq(stop.dropped, 0);

	size_t n = 0, with_bus = 0;
	uint64_t prev = 0;
	for (size_t i = 0; i < s.n_rec; i++) {
		const struct hb_probe_record *r = &s.rec[i];
		cr_assert(r->kind == HBP_REC_SAMPLE || r->kind == HBP_REC_SAMPLE_BUS,
			  "unexpected record kind %u", r->kind);
		/* one sample per conversion, stamped at its end */
		if (n)
			cr_assert_eq(r->t_us - prev, P, "sample %zu: %llu µs after the previous", n,
				     (unsigned long long)(r->t_us - prev));
		prev = r->t_us;
		/* the value is the shunt window's mean current (the first ts µs of the cycle) */
		uint64_t w0 = (r->t_us - P) * 1000;
		double want = mean_a(&s, 0, w0, w0 + ts * 1000ull) * 0.1 / 10e-6;
		cr_assert(fabs(r->shunt - want) <= 1.0, "sample %zu at %llu µs: %d counts, truth %.2f",
			  n, (unsigned long long)r->t_us, r->shunt, want);
		if (r->kind == HBP_REC_SAMPLE_BUS) {
			with_bus++;
			cr_assert_eq(hb_probe_bus_mV(r->bus), 3300);
		}
		n++;
	}
	/* every conversion of the 100 ms run, and the bus voltage on every 8th (and the first) */
	uint64_t span = stop.t_stop - sr.t_start;
	cr_assert(n + 1 >= span / P && n <= span / P, "%zu samples in %llu µs of %u µs conversions",
		  n, (unsigned long long)span, P);
	cr_assert_eq(with_bus, (n + 7) / 8);
	cr_assert_eq(stop.records, s.n_rec);
	ps_close(&s);
}

Test(probe_core, captures_done_and_busy_edges_on_the_sample_clock)
{
	struct probe_session s;
	ps_open(&s, NULL);
	uint64_t t0 = ps_now(&s) + 2 * MS + 333; /* not on a µs boundary */
	hbp_sim_workload(s.f->sim, t0, 100 * US, 60 * US); /* 10 kHz */
	struct hb_probe_start_result sr;
	cr_assert_eq(hb_probe_start(s.p, &(struct hb_probe_start){.capture_mask = 0xF}, &sr), HB_OK);
	ps_run(&s, 20 * MS);
	struct hb_probe_stop_result stop;
	cr_assert_eq(hb_probe_stop(s.p, &stop), HB_OK);
	size_t k[4] = {0};
	for (size_t i = 0; i < s.n_rec; i++) {
		const struct hb_probe_record *r = &s.rec[i];
		cr_assert_eq(r->kind, HBP_REC_EDGE);
		/* inference j: BUSY rises at t0 + j*100 µs, falls (and DONE rises) 60 µs later */
		uint64_t j = k[r->index]++, want;
		switch (r->index) {
		case HBP_CAP_BUSY_RISE: want = t0 + j * 100 * US; break;
		case HBP_CAP_BUSY_FALL:
		case HBP_CAP_DONE_RISE: want = t0 + j * 100 * US + 60 * US; break;
		default: want = t0 + j * 100 * US + 60 * US + 40; break;
		}
		cr_assert_eq(r->t_us, want / 1000, "edge %zu (channel %u, #%llu): %llu µs, want %llu",
			     i, r->index, (unsigned long long)j, (unsigned long long)r->t_us,
			     (unsigned long long)(want / 1000));
		if (i)
			cr_assert_geq(r->t_us, s.rec[i - 1].t_us, "records out of time order");
	}
	size_t inferences = (size_t)((stop.t_stop * 1000 - t0) / (100 * US)) + 1;
	for (int c = 0; c < 4; c++)
		cr_assert(k[c] + 1 >= inferences && k[c] <= inferences, "channel %d: %zu edges", c, k[c]);
	struct hb_probe_status st;
	cr_assert_eq(hb_probe_status(s.p, &st), HB_OK);
	cr_assert_eq(st.edges, s.n_rec);
	cr_assert_eq(st.edges_dropped, 0);
	ps_close(&s);
}

Test(probe_core, records_framing_crc_and_order_with_samples_and_edges_mixed)
{
	struct probe_session s;
	ps_open(&s, NULL);
	for (unsigned d = 0; d < 4; d++)
		hbp_sim_add_ina219(s.f->sim, (uint8_t)(0x40 + d), 0.1, 1.2, 0.01 * (d + 1), 0.005);
	hbp_sim_workload(s.f->sim, ps_now(&s) + MS, 250 * US, 100 * US);
	for (unsigned d = 0; d < 4; d++)
		cr_assert_eq(ps_monitor(&s, d, (uint8_t)(0x40 + d), CFG(ADC_9BIT, ADC_12BIT, 7), 16),
			     HBP_I2C_OK);
	struct hb_probe_start_result sr;
	cr_assert_eq(hb_probe_start(s.p, &(struct hb_probe_start){.capture_mask = 0x5}, &sr), HB_OK);
	cr_assert_eq(sr.ok, 0xF);
	ps_run(&s, 50 * MS);
	struct hb_probe_stop_result stop;
	cr_assert_eq(hb_probe_stop(s.p, &stop), HB_OK);
	const struct hb_probe_stream *str = hb_probe_stream(s.p);
	const struct hb_probe_stats *cs = hb_probe_stats(s.p);
	cr_assert_eq(cs->corrupted, 0, "frames with a bad CRC");
	cr_assert_eq(str->frames_lost, 0);
	cr_assert_gt(str->frames, 10);
	cr_assert_eq(stop.records, s.n_rec, "probe sent %u records, host decoded %zu", stop.records,
		     s.n_rec);
	cr_assert_eq(stop.dropped, 0);
	for (size_t i = 1; i < s.n_rec; i++)
		cr_assert_geq(s.rec[i].t_us, s.rec[i - 1].t_us, "record %zu before its predecessor", i);
	for (unsigned d = 0; d < 4; d++)
		cr_assert_gt(ps_count(&s, HBP_REC_SAMPLE, (int)d) + ps_count(&s, HBP_REC_SAMPLE_BUS, (int)d),
			     70);
	cr_assert_gt(ps_count(&s, HBP_REC_EDGE, HBP_CAP_DONE_RISE), 190);
	cr_assert_eq(ps_count(&s, HBP_REC_EDGE, HBP_CAP_DONE_FALL), 0, "channel not enabled");
	ps_close(&s);
}

Test(probe_core, missing_monitor_gives_an_error_record_and_is_retried)
{
	struct probe_session s;
	ps_open(&s, NULL);
	hbp_sim_add_ina219(s.f->sim, 0x40, 0.1, 3.3, 0.02, 0);
	cr_assert_eq(ps_monitor(&s, 0, 0x40, CFG(ADC_9BIT, ADC_9BIT, 7), 0), HBP_I2C_OK);
	cr_assert_eq(ps_monitor(&s, 1, 0x45, CFG(ADC_9BIT, ADC_9BIT, 7), 0), HBP_I2C_NACK_ADDR);
	struct hb_probe_start_result sr;
	cr_assert_eq(hb_probe_start(s.p, &(struct hb_probe_start){0}, &sr), HB_OK);
	cr_assert_eq(sr.enabled, 0x3);
	cr_assert_eq(sr.ok, 0x1);
	ps_run(&s, 1000 * MS);
	struct hb_probe_status st;
	cr_assert_eq(hb_probe_status(s.p, &st), HB_OK);
	cr_assert_eq(st.mon_state[0], HBP_MON_OK);
	cr_assert_eq(st.mon_state[1], HBP_MON_ERROR);
	cr_assert_eq(st.mon_error[1], HBP_I2C_NACK_ADDR);
	/* one record for the failure, not one per retry; retried every 100 ms */
	cr_assert_eq(ps_count(&s, HBP_REC_I2C_ERROR, 1), 1);
	cr_assert(st.i2c_errors >= 10 && st.i2c_errors <= 12, "%u failed attempts in 1 s",
		  st.i2c_errors);
	cr_assert_gt(ps_count(&s, HBP_REC_SAMPLE, 0), 5000);
	/* the monitor appears: the next retry finds it */
	hbp_sim_add_ina219(s.f->sim, 0x45, 0.1, 3.3, 0.02, 0);
	ps_run(&s, 150 * MS);
	cr_assert_eq(ps_count(&s, HBP_REC_RECOVERED, 1), 1);
	cr_assert_gt(ps_count(&s, HBP_REC_SAMPLE, 1), 100);
	struct hb_probe_stop_result stop;
	cr_assert_eq(hb_probe_stop(s.p, &stop), HB_OK);
	ps_close(&s);
}

Test(probe_core, stuck_sda_is_clocked_free_and_sampling_resumes)
{
	struct probe_session s;
	ps_open(&s, NULL);
	hbp_sim_add_ina219(s.f->sim, 0x40, 0.1, 3.3, 0.02, 0);
	cr_assert_eq(ps_monitor(&s, 0, 0x40, CFG(ADC_9BIT, ADC_9BIT, 7), 0), HBP_I2C_OK);
	struct hb_probe_start_result sr;
	cr_assert_eq(hb_probe_start(s.p, &(struct hb_probe_start){0}, &sr), HB_OK);
	ps_run(&s, 10 * MS);
	size_t before = ps_count(&s, HBP_REC_SAMPLE, 0);
	/* a slave holds SDA low; five clock pulses let it finish its byte */
	hbp_host_set_fault(s.f->sim->host, HBP_FAULT_SDA_STUCK, 5);
	ps_run(&s, 300 * MS);
	struct hb_probe_status st;
	cr_assert_eq(hb_probe_status(s.p, &st), HB_OK);
	cr_assert_eq(st.bus_recoveries, 1);
	cr_assert_eq(st.mon_state[0], HBP_MON_OK);
	size_t i;
	for (i = 0; i < s.n_rec; i++)
		if (s.rec[i].kind == HBP_REC_I2C_ERROR && s.rec[i].index == HBP_REC_BUS_INDEX)
			break;
	cr_assert_lt(i, s.n_rec, "no bus record");
	cr_assert_eq(s.rec[i].status, HBP_I2C_RECOVERED);
	cr_assert_eq(s.rec[i].op, HBP_OP_RECOVERY);
	cr_assert_eq(ps_count(&s, HBP_REC_I2C_ERROR, 0), 1); /* the failed read: BUS_STUCK */
	cr_assert_eq(ps_count(&s, HBP_REC_RECOVERED, 0), 1);
	cr_assert_gt(ps_count(&s, HBP_REC_SAMPLE, 0), before + 1000);
	ps_close(&s);
}

Test(probe_core, sda_stuck_for_good_is_reported_once_and_retried)
{
	struct probe_session s;
	ps_open(&s, NULL);
	hbp_sim_add_ina219(s.f->sim, 0x40, 0.1, 3.3, 0.02, 0);
	cr_assert_eq(ps_monitor(&s, 0, 0x40, CFG(ADC_9BIT, ADC_9BIT, 7), 0), HBP_I2C_OK);
	struct hb_probe_start_result sr;
	cr_assert_eq(hb_probe_start(s.p, &(struct hb_probe_start){0}, &sr), HB_OK);
	hbp_host_set_fault(s.f->sim->host, HBP_FAULT_SDA_STUCK, 100);
	ps_run(&s, 500 * MS);
	struct hb_probe_status st;
	cr_assert_eq(hb_probe_status(s.p, &st), HB_OK);
	size_t stuck = 0;
	for (size_t i = 0; i < s.n_rec; i++)
		if (s.rec[i].kind == HBP_REC_I2C_ERROR && s.rec[i].index == HBP_REC_BUS_INDEX) {
			cr_assert_eq(s.rec[i].status, HBP_I2C_BUS_STUCK);
			stuck++;
		}
	cr_assert_eq(stuck, 1);
	cr_assert(st.i2c_errors >= 5, "recovery retried every 100 ms: %u errors", st.i2c_errors);
	/* the firmware stays responsive: the STATUS above answered; the bus comes back */
	hbp_host_set_fault(s.f->sim->host, HBP_FAULT_NONE, 0);
	ps_run(&s, 200 * MS);
	cr_assert_eq(hb_probe_status(s.p, &st), HB_OK);
	cr_assert_eq(st.mon_state[0], HBP_MON_OK);
	cr_assert_eq(st.bus_recoveries, 1);
	ps_close(&s);
}

Test(probe_core, absent_i2c_peripheral_times_out_cleanly)
{
	struct probe_session s;
	ps_open(&s, NULL);
	hbp_host_set_fault(s.f->sim->host, HBP_FAULT_NO_PERIPHERAL, 0);
	cr_assert_eq(ps_monitor(&s, 0, 0x40, CFG(ADC_9BIT, ADC_9BIT, 7), 0), HBP_I2C_TIMEOUT);
	struct hb_probe_start_result sr;
	cr_assert_eq(hb_probe_start(s.p, &(struct hb_probe_start){0}, &sr), HB_OK);
	cr_assert_eq(sr.ok, 0);
	ps_run(&s, 300 * MS);
	struct hb_probe_stop_result stop;
	cr_assert_eq(hb_probe_stop(s.p, &stop), HB_OK);
	cr_assert_eq(ps_count(&s, HBP_REC_I2C_ERROR, 0), 1);
	cr_assert_eq(s.rec[0].status, HBP_I2C_TIMEOUT);
	cr_assert_eq(s.rec[0].op, HBP_OP_CONFIG);
	struct hb_probe_identity id;
	cr_assert_eq(hb_probe_identify(s.p, &id), HB_OK);
	cr_assert_eq(id.boot_count, 1, "no reset");
	ps_close(&s);
}

Test(probe_core, fifo_overflow_is_counted_and_marked_never_silent)
{
	/* 115200 baud cannot carry four fast monitors and 20 kHz edges: the FIFO fills. */
	struct probe_session s;
	struct hbp_host_params hp = {.baud = 115200, .watchdog_us = 500000};
	ps_open(&s, &hp);
	for (unsigned d = 0; d < 4; d++)
		hbp_sim_add_ina219(s.f->sim, (uint8_t)(0x40 + d), 0.1, 1.2, 0.01, 0.005);
	hbp_sim_workload(s.f->sim, ps_now(&s) + MS, 50 * US, 20 * US);
	for (unsigned d = 0; d < 4; d++)
		ps_monitor(&s, d, (uint8_t)(0x40 + d), CFG(ADC_9BIT, ADC_12BIT, 7), 0);
	struct hb_probe_start_result sr;
	cr_assert_eq(hb_probe_start(s.p, &(struct hb_probe_start){.capture_mask = 0xF}, &sr), HB_OK);
	ps_run(&s, 300 * MS);
	struct hb_probe_stop_result stop;
	cr_assert_eq(hb_probe_stop(s.p, &stop), HB_OK);
	struct hb_probe_status st;
	cr_assert_eq(hb_probe_status(s.p, &st), HB_OK);
	cr_assert_gt(stop.dropped, 1000);
	cr_assert_eq(st.records_dropped, stop.dropped);
	cr_assert_eq(hb_probe_stream(s.p)->dropped, stop.dropped, "DATA frames carry the count");
	/* where they were lost is marked in the stream, and the marks add up */
	uint64_t marked = 0;
	for (size_t i = 0; i < s.n_rec; i++)
		if (s.rec[i].kind == HBP_REC_DROPPED)
			marked += s.rec[i].count;
	cr_assert_eq(marked, stop.dropped);
	cr_assert_eq(stop.records, s.n_rec);
	cr_assert_eq(st.fifo_high_water + 0u > HBP_FIFO_BYTES - 16u, 1, "high water %u",
		     st.fifo_high_water);
	ps_close(&s);
}

Test(probe_core, a_hung_probe_is_reset_by_the_watchdog_and_says_so)
{
	struct probe_session s;
	ps_open(&s, NULL);
	hbp_sim_add_ina219(s.f->sim, 0x40, 0.1, 3.3, 0.02, 0);
	cr_assert_eq(ps_monitor(&s, 0, 0x40, CFG(ADC_9BIT, ADC_9BIT, 7), 0), HBP_I2C_OK);
	struct hb_probe_start_result sr;
	cr_assert_eq(hb_probe_start(s.p, &(struct hb_probe_start){0}, &sr), HB_OK);
	ps_run(&s, 5 * MS);
	/* the I2C HAL wedges: the transfer never ends and abort does not help */
	hbp_host_set_fault(s.f->sim->host, HBP_FAULT_HANG, 0);
	enum hb_status st = HB_OK;
	uint64_t t_hang = ps_now(&s);
	while (st == HB_OK && ps_now(&s) - t_hang < 2000 * MS)
		st = hb_probe_poll(s.p, 10);
	cr_assert_eq(st, HB_ERR_GONE, "poll: %s", hb_strerror(st));
	cr_assert(strstr(hb_probe_last_error(s.p), "watchdog"), "%s", hb_probe_last_error(s.p));
	/* the watchdog (500 ms) fired after the core stopped kicking it (100 ms after abort) */
	uint64_t took = ps_now(&s) - t_hang;
	cr_assert(took > 500 * MS && took < 900 * MS, "reset after %llu ms",
		  (unsigned long long)(took / MS));
	hbp_host_set_fault(s.f->sim->host, HBP_FAULT_NONE, 0);
	struct hb_probe_identity id;
	cr_assert_eq(hb_probe_identify(s.p, &id), HB_OK);
	cr_assert_eq(id.reset_cause, HBP_RESET_WATCHDOG);
	cr_assert_eq(id.watchdog_resets, 1);
	cr_assert_eq(id.boot_count, 2);
	struct hb_probe_status ps;
	cr_assert_eq(hb_probe_status(s.p, &ps), HB_OK);
	cr_assert_eq(ps.running, 0, "a reset probe is stopped");
	cr_assert_eq(ps.reset_cause, HBP_RESET_WATCHDOG);
	cr_assert_eq(ps.watchdog_resets, 1);
	cr_assert_eq(hbp_host_stats(s.f->sim->host)->watchdog_resets, 1);
	ps_close(&s);
}

Test(probe_core, reset_command_reboots_with_cause_software)
{
	struct probe_session s;
	ps_open(&s, NULL);
	cr_assert_eq(hb_probe_reset(s.p), HB_OK, "%s", hb_probe_last_error(s.p));
	const struct hb_probe_identity *id = hb_probe_identity(s.p);
	cr_assert_eq(id->reset_cause, HBP_RESET_SOFTWARE);
	cr_assert_eq(id->boot_count, 2);
	cr_assert_eq(id->watchdog_resets, 0);
	ps_close(&s);
}

Test(probe_core, missed_conversions_are_counted_when_the_bus_is_too_slow)
{
	/* Four monitors converting every 84 µs need ~290 µs of 400 kHz bus per round. */
	struct probe_session s;
	ps_open(&s, NULL);
	for (unsigned d = 0; d < 4; d++)
		hbp_sim_add_ina219(s.f->sim, (uint8_t)(0x40 + d), 0.1, 1.2, 0.01, 0);
	for (unsigned d = 0; d < 4; d++)
		cr_assert_eq(ps_monitor(&s, d, (uint8_t)(0x40 + d), CFG(ADC_9BIT, ADC_9BIT, 5), 0),
			     HBP_I2C_OK);
	struct hb_probe_start_result sr;
	cr_assert_eq(hb_probe_start(s.p, &(struct hb_probe_start){0}, &sr), HB_OK);
	ps_run(&s, 100 * MS);
	struct hb_probe_stop_result stop;
	cr_assert_eq(hb_probe_stop(s.p, &stop), HB_OK);
	struct hb_probe_status st;
	cr_assert_eq(hb_probe_status(s.p, &st), HB_OK);
	/* No record says "missed": samples sit on the conversion grid, and the client counts
	 * the gaps (it knows each monitor's period from CONFIG_MONITOR). */
	cr_assert_eq(ps_count(&s, HBP_REC_MISSED, -1), 0);
	const struct hb_probe_stream *str = hb_probe_stream(s.p);
	cr_assert_eq(str->off_grid, 0, "every gap is a whole number of conversions");
	uint64_t missed = 0, samples = 0;
	for (unsigned d = 0; d < 4; d++) {
		cr_assert_eq(str->period_us[d], 84);
		cr_assert_gt(str->samples[d], 100);
		missed += str->missed[d];
		samples += str->samples[d];
	}
	cr_assert_gt(missed, samples, "a 400 kHz bus reads under a third of them");
	/* the probe's count: the same conversions, plus those that ended before a monitor's
	 * first read (its configuration waited for the others') */
	uint64_t head = 0;
	for (unsigned d = 0; d < 4; d++)
		for (size_t i = 0; i < s.n_rec; i++)
			if (s.rec[i].kind == HBP_REC_SAMPLE && s.rec[i].index == d) {
				head += (s.rec[i].t_us - sr.t_start) / 84;
				break;
			}
	cr_assert(st.conv_missed >= missed && st.conv_missed <= missed + head,
		  "probe counted %u missed, the stream's gaps %llu (+ at most %llu before the "
		  "first reads)", st.conv_missed, (unsigned long long)missed,
		  (unsigned long long)head);
	cr_assert_eq(samples, st.samples);
	cr_assert_eq(stop.dropped, 0);
	ps_close(&s);
}

Test(probe_core, sync_stamps_the_request_arrival)
{
	struct probe_session s;
	ps_open(&s, NULL);
	ps_run(&s, 3 * MS);
	struct hb_probe_sync_point sp;
	cr_assert_eq(hb_probe_sync(s.p, &sp), HB_OK);
	/* the request's last byte arrives req_bytes byte-times after it was written */
	uint64_t arrive = sp.host_send_ns + sp.req_bytes * 10ull * 1000000000ull / HBP_DEFAULT_BAUD;
	cr_assert_eq(sp.probe_rx_us, arrive / 1000, "%llu vs %llu", (unsigned long long)sp.probe_rx_us,
		     (unsigned long long)(arrive / 1000));
	cr_assert_geq(sp.probe_tx_us, sp.probe_rx_us);
	cr_assert_lt(sp.probe_tx_us * 1000, sp.host_recv_ns);
	ps_close(&s);
}

Test(probe_core, i2c_passthrough_reads_a_register)
{
	struct probe_session s;
	ps_open(&s, NULL);
	hbp_sim_add_ina219(s.f->sim, 0x41, 0.1, 3.3, 0.02, 0);
	uint8_t w = 0, r[2] = {0}, ist = 0xEE;
	cr_assert_eq(hb_probe_i2c_xfer(s.p, 0x41, &w, 1, r, 2, &ist), HB_OK);
	cr_assert_eq(ist, HBP_I2C_OK);
	cr_assert_eq(r[0] << 8 | r[1], 0x399F, "INA219 configuration at power-on");
	cr_assert_eq(hb_probe_i2c_xfer(s.p, 0x42, &w, 1, r, 2, &ist), HB_OK);
	cr_assert_eq(ist, HBP_I2C_NACK_ADDR);
	ps_close(&s);
}

Test(probe_core, a_bus_stuck_before_start_is_the_stream_s_first_record)
{
	struct probe_session s;
	ps_open(&s, NULL);
	hbp_sim_add_ina219(s.f->sim, 0x40, 0.1, 3.3, 0.02, 0);
	hbp_host_set_fault(s.f->sim->host, HBP_FAULT_SDA_STUCK, 100);
	cr_assert_eq(ps_monitor(&s, 0, 0x40, CFG(ADC_9BIT, ADC_9BIT, 7), 0), HBP_I2C_BUS_STUCK);
	ps_run(&s, 50 * MS); /* the probe finds out it cannot free the bus */
	struct hb_probe_start_result sr;
	cr_assert_eq(hb_probe_start(s.p, &(struct hb_probe_start){.capture_mask = 0xF}, &sr), HB_OK);
	cr_assert_eq(sr.ok, 0);
	ps_run(&s, 300 * MS);
	struct hb_probe_stop_result stop;
	cr_assert_eq(hb_probe_stop(s.p, &stop), HB_OK);
	/* the START answer waited for the monitor's (failed) configuration; no record of the
	 * stream went out before it, so none was lost */
	cr_assert_eq(stop.records, s.n_rec);
	cr_assert_geq(s.n_rec, 2);
	cr_assert_eq(s.rec[0].kind, HBP_REC_I2C_ERROR);
	cr_assert_eq(s.rec[0].index, HBP_REC_BUS_INDEX);
	cr_assert_eq(s.rec[0].status, HBP_I2C_BUS_STUCK);
	cr_assert_eq(s.rec[0].t_us, sr.t_start);
	cr_assert_eq(ps_count(&s, HBP_REC_I2C_ERROR, 0), 1);
	ps_close(&s);
}

/* The rating (docs/probe.md): four monitors at the INA219's conversion nearest 140 µs
 * (148 µs) and DONE + BUSY edges of 10 kHz inferences, at the STM32F4's 400 kHz SCL and at
 * 1 MHz: no record dropped, every edge delivered; at 1 MHz every conversion read. */
Test(probe_core, rated_load_streams_without_dropping_a_record)
{
	const uint32_t scl[2] = {400000, 1000000};
	for (int k = 0; k < 2; k++) {
		struct probe_session s;
		struct hbp_host_params hp = {.i2c_hz = scl[k], .watchdog_us = 500000};
		ps_open(&s, &hp);
		for (unsigned d = 0; d < 4; d++)
			hbp_sim_add_ina219(s.f->sim, (uint8_t)(0x40 + d), 0.1, 1.2, 0.02, 0.01);
		uint64_t t0 = ps_now(&s) + 2 * MS;
		hbp_sim_workload(s.f->sim, t0, 100 * US, 60 * US);
		for (unsigned d = 0; d < 4; d++)
			cr_assert_eq(ps_monitor(&s, d, (uint8_t)(0x40 + d), CFG(0, ADC_10BIT, 5), 0),
				     HBP_I2C_OK);
		struct hb_probe_start_result sr;
		cr_assert_eq(hb_probe_start(s.p, &(struct hb_probe_start){.capture_mask = 0xF}, &sr),
			     HB_OK);
		ps_run(&s, 500 * MS);
		struct hb_probe_stop_result stop;
		cr_assert_eq(hb_probe_stop(s.p, &stop), HB_OK);
		const struct hb_probe_stream *str = hb_probe_stream(s.p);
		cr_assert_eq(stop.dropped, 0, "%u Hz SCL: %u records dropped", scl[k], stop.dropped);
		cr_assert_eq(str->frames_lost, 0);
		cr_assert_eq(stop.records, s.n_rec);
		/* every edge arrived: on each channel, one every 100 µs without a gap */
		for (unsigned ch = 0; ch < 4; ch++) {
			uint64_t prev = 0, n = 0;
			for (size_t i = 0; i < s.n_rec; i++) {
				if (s.rec[i].kind != HBP_REC_EDGE || s.rec[i].index != ch)
					continue;
				if (n++)
					cr_assert(s.rec[i].t_us - prev >= 99 && s.rec[i].t_us - prev <= 101,
						  "channel %u: %llu µs between edges", ch,
						  (unsigned long long)(s.rec[i].t_us - prev));
				prev = s.rec[i].t_us;
			}
			cr_assert_gt(n, 4900, "channel %u: %llu edges in 0.5 s", ch, (unsigned long long)n);
		}
		uint64_t missed = 0;
		for (unsigned d = 0; d < 4; d++)
			missed += str->missed[d];
		if (scl[k] == 1000000)
			cr_assert_eq(missed, 0, "at 1 MHz every conversion is read");
		else
			cr_assert_gt(missed, 0, "at 400 kHz the bus reads about half of them");
		ps_close(&s);
	}
}
