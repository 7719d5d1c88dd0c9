/* bench_probe: the bench probe at its rated load, in simulated time (firmware/hal/host).
 *
 * The firmware core runs on the host HAL with four INA219 models on a 400 kHz bus (the
 * STM32F4's I2C limit) and a DUT whose DONE/BUSY edges arrive at 10 kHz; hilbench's own probe
 * client reads the stream through a fake transport. Every figure but the last column is
 * simulated, hence exact and the same on every machine: records sent and dropped, INA219
 * conversions read and missed, edges, UART bytes per second against the 200,000 B/s of
 * 2 Mbaud 8N1, FIFO high water, I2C bus use. The last column is the simulation speed
 * (simulated s per wall s) relative to the first row, measured in the same process.
 *
 * The INA219 has no 140 µs conversion: its nearest settings are 148 µs (10-bit shunt, mode 5)
 * and 84 µs (9-bit). Rows:
 *   rated      4 x 148 µs conversions, edges at 10 kHz (BUSY rise + fall, 5 kHz inferences)
 *   all-edges  4 x 148 µs, DONE and BUSY both edges of 10 kHz inferences (40 k edges/s)
 *   1MHz-bus   the rated row with a 1 MHz SCL (what reading every conversion needs)
 *   overload   4 x 84 µs conversions, all edges of 10 kHz inferences, 1 MHz SCL: more than
 *              2 Mbaud carries; records are dropped, and every drop is counted and marked
 * Conversions the bus had no time for are not records (samples sit on the conversion grid:
 * a gap of k+1 periods is k missed); the client counts them from the gaps.
 * Exit status 1 if a row within the rating dropped a record.
 *
 * Usage: bench_probe [seconds]   (simulated seconds per row, default 2) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fake_probe_link.h"
#include "hb_probe.h"

struct counts {
	uint64_t samples, edges, dropped_marks, other;
};

static void on_rec(void *ctx, const struct hb_probe_record *r)
{
	struct counts *c = ctx;
	switch (r->kind) {
	case HBP_REC_SAMPLE:
	case HBP_REC_SAMPLE_BUS: c->samples++; break;
	case HBP_REC_EDGE: c->edges++; break;
	case HBP_REC_DROPPED: c->dropped_marks += r->count; break;
	default: c->other++; break;
	}
}

static double wall(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

struct row {
	const char *name;
	unsigned monitors;
	unsigned sadc;        /* INA219 shunt ADC field */
	uint32_t i2c_hz;
	uint64_t infer_period_ns;
	unsigned capture_mask;
	int rated;            /* within the probe's rating: must not drop */
};

struct result {
	uint64_t records, dropped, samples, missed, edges, bytes, fifo_high;
	double sim_s, wall_s, i2c_busy;
	unsigned conv_us;
};

static int run(const struct row *w, double seconds, struct result *res)
{
	struct hbp_host_params hp = {.i2c_hz = w->i2c_hz, .watchdog_us = 500000};
	struct fake_probe_link *f = fake_probe_link_new(&hp);
	if (!f)
		return -1;
	for (unsigned d = 0; d < w->monitors; d++)
		hbp_sim_add_ina219(f->sim, (uint8_t)(0x40 + d), 0.1, 1.2, 0.02 + 0.01 * d, 0.015);
	struct hb_probe_opts o;
	hb_probe_opts_default(&o);
	o.clock = &f->clock;
	struct hb_probe *p;
	if (hb_probe_open(&f->transport, &o, &p) != HB_OK)
		return -1;
	uint16_t cfg = (uint16_t)(0x3800u | w->sadc << 3 | 5u); /* shunt only, continuous */
	res->conv_us = hbp_ina219_cycle_us(cfg);
	for (unsigned d = 0; d < w->monitors; d++) {
		struct hb_probe_monitor m = {.index = (uint8_t)d, .addr = (uint8_t)(0x40 + d),
					     .config = cfg, .shunt_uohm = 100000};
		struct hb_probe_config_result cr;
		if (hb_probe_configure(p, &m, &cr) != HB_OK || cr.result != HBP_I2C_OK)
			return -1;
	}
	uint64_t t0 = hbp_host_now_ns(f->sim->host) + 1000000;
	if (w->infer_period_ns)
		hbp_sim_workload(f->sim, t0, w->infer_period_ns, w->infer_period_ns * 6 / 10);
	struct counts c = {0};
	hb_probe_set_record_fn(p, on_rec, &c);
	struct hb_probe_start_result sr;
	if (hb_probe_start(p, &(struct hb_probe_start){.capture_mask = (uint8_t)w->capture_mask},
			   &sr) != HB_OK)
		return -1;
	uint64_t bytes0 = f->bytes_from_probe, busy0 = hbp_host_stats(f->sim->host)->i2c_busy_ns;
	uint64_t end = hbp_host_now_ns(f->sim->host) + (uint64_t)(seconds * 1e9);
	double w0 = wall();
	while (hbp_host_now_ns(f->sim->host) < end)
		if (hb_probe_poll(p, 50) != HB_OK)
			return -1;
	double w1 = wall();
	uint64_t bytes = f->bytes_from_probe - bytes0;
	uint64_t busy = hbp_host_stats(f->sim->host)->i2c_busy_ns - busy0;
	struct hb_probe_stop_result stop;
	if (hb_probe_stop(p, &stop) != HB_OK)
		return -1;
	struct hb_probe_status st;
	if (hb_probe_status(p, &st) != HB_OK)
		return -1;
	res->sim_s = seconds;
	res->wall_s = w1 - w0;
	res->records = stop.records;
	res->dropped = stop.dropped;
	res->samples = c.samples;
	res->missed = 0;
	for (unsigned d = 0; d < HBP_MAX_MONITORS; d++)
		res->missed += hb_probe_stream(p)->missed[d];
	res->edges = c.edges;
	res->bytes = bytes;
	res->fifo_high = st.fifo_high_water;
	res->i2c_busy = (double)busy / (seconds * 1e9);
	if (c.dropped_marks != stop.dropped || hb_probe_stream(p)->records != stop.records) {
		fprintf(stderr, "%s: the stream does not add up (%llu dropped marked, %u reported; "
			"%llu records decoded, %u sent)\n", w->name, (unsigned long long)c.dropped_marks,
			stop.dropped, (unsigned long long)hb_probe_stream(p)->records, stop.records);
		return -1;
	}
	hb_probe_close(p);
	fake_probe_link_free(f);
	return 0;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 2.0;
	if (seconds <= 0 || seconds > 600) {
		fprintf(stderr, "usage: bench_probe [simulated seconds per row, 0 < s <= 600]\n");
		return 2;
	}
	const unsigned busy2 = 1u << HBP_CAP_BUSY_RISE | 1u << HBP_CAP_BUSY_FALL;
	const struct row rows[] = {
		{"rated", 4, 1, 400000, 200000, busy2, 1},
		{"all-edges", 4, 1, 400000, 100000, 0xF, 1},
		{"1MHz-bus", 4, 1, 1000000, 200000, busy2, 1},
		{"overload", 4, 0, 1000000, 100000, 0xF, 0},
	};
	const double capacity = 2000000.0 / 10.0; /* bytes/s at 2 Mbaud 8N1 */
	printf("bench_probe: %.1f simulated s per row; UART 2 Mbaud = %.0f B/s\n\n", seconds, capacity);
	printf("%-16s %5s %7s %9s %8s %9s %10s %8s %9s %7s %8s %7s\n", "row", "conv", "SCL",
	       "records", "dropped", "read", "missed", "edges/s", "UART B/s", "of 2M", "FIFO hw",
	       "speed");
	double base_speed = 0;
	int bad = 0;
	struct result all[sizeof rows / sizeof rows[0]];
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct result r;
		if (run(&rows[i], seconds, &r) != 0) {
			fprintf(stderr, "%s: the run failed\n", rows[i].name);
			return 1;
		}
		double speed = r.sim_s / r.wall_s;
		if (i == 0)
			base_speed = speed;
		double bps = r.bytes / r.sim_s;
		printf("%-16s %4uus %5.0fk %9llu %8llu %9llu %10llu %8.0f %9.0f %6.1f%% %8llu %6.2fx\n",
		       rows[i].name, rows[i].monitors ? r.conv_us : 0, rows[i].i2c_hz / 1000.0,
		       (unsigned long long)r.records, (unsigned long long)r.dropped,
		       (unsigned long long)r.samples, (unsigned long long)r.missed, r.edges / r.sim_s,
		       bps, 100.0 * bps / capacity, (unsigned long long)r.fifo_high,
		       base_speed > 0 ? speed / base_speed : 1.0);
		if (rows[i].monitors)
			printf("%-16s       I2C bus busy %.0f %% of the time; %.1f %% of conversions read%s\n",
			       "", 100.0 * (r.i2c_busy > 1 ? 1 : r.i2c_busy),
			       100.0 * r.samples / (double)(r.samples + r.missed),
			       rows[i].rated ? "" : " (over the rating)");
		bad |= rows[i].rated && r.dropped != 0;
		all[i] = r;
	}
	/* Honest about the rated row: nothing is dropped, but the bus cannot read every
	 * conversion at 400 kHz. The SCL that would: the bus time of one read (measured: busy
	 * time / reads), scaled so that one read per monitor fits in one conversion. */
	{
		const struct result *r = &all[0];
		double read_s = r->samples ? r->i2c_busy * r->sim_s / (double)r->samples : 0;
		double need_hz = rows[0].i2c_hz * rows[0].monitors * read_s / (r->conv_us * 1e-6);
		double share = 100.0 * r->samples / (double)(r->samples + r->missed);
		printf("\nrated load at %.0f kHz SCL: %.1f %% of the %u x %u us conversions read%s; "
		       "reading every one needs SCL >= %.0f kHz (a %.0f us read per monitor per "
		       "conversion); the 1MHz-bus row reads %.1f %%\n",
		       rows[0].i2c_hz / 1e3, share, rows[0].monitors, r->conv_us,
		       share < 100 ? " (the rest are counted gaps, not drops)" : "", need_hz / 1e3,
		       read_s * 1e6, 100.0 * all[2].samples / (double)(all[2].samples + all[2].missed));
	}
	/* What reading every conversion of 4 monitors at 140 µs with 10 kHz edges takes on the
	 * wire: 4-byte SAMPLE records, 2-byte EDGE records, a 16-byte DATA frame overhead per
	 * 240 bytes of records. */
	double rec = 4 * 1e6 / 140 * 4 + 10000 * 2;
	double wire = rec * (240.0 + 16.0) / 240.0;
	printf("\nrequirement 4 x 140 us + 10 kHz edges, every conversion read: %.0f B/s of records, "
	       "%.0f B/s framed = %.1f %% of 2 Mbaud\n", rec, wire, 100.0 * wire / capacity);
	printf("speed: simulated seconds per wall second, relative to the first row (%.1f sim s / "
	       "wall s)\n", base_speed);
	printf("%s\n", bad ? "FAIL: records were dropped within the rating"
			   : "zero records dropped in every row within the rating");
	return bad;
}
