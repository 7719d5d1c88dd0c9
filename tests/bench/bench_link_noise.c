/* The link on a noisy line: WEIGHTS load throughput (hb_link_load_weights with its
 * read-back, as `hilbench run` loads a network) on a clean line and on lines with bit
 * errors, dropped and duplicated bytes, as a ratio to the clean line measured in the same
 * run. The line is tests/fakes/fake_link_device's line model: every byte takes 10 bits /
 * baud each way in the fake's simulated time (the fake clock), a bit error flips one of a
 * byte's 10 bits, the device writes data as it arrives like the gateware. Time is
 * simulated, so the figures are the same on any machine; every load is checked bit-exact.
 *
 *   build/tests/bench/bench_link_noise [image_bytes] [seeds]     (defaults 32768, 5)
 *
 * The device has the hilbench gateware's CHECK and PIPELINE capabilities; the last row of
 * each baud rate repeats 1e-3 host->device with pipelining off (one request at a time), to
 * show what pipelining buys.
 *
 * Goal (issue 13): at a bit-error rate of 1e-3, LOAD throughput >= 0.5 of the clean line's.
 * Exit status 1 if a load fails or is not bit-exact, or the goal is missed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_clock.h"
#include "fake_link_device.h"
#include "hb_link_client.h"
#include "hb_log.h"

struct scenario {
	const char *name;
	double ber_h2d, ber_d2h, drop_h2d, dup_h2d;
};

struct result {
	double seconds;   /* simulated, summed over seeds */
	uint64_t bytes;
	uint64_t attempts, retries, unconfirmed, repairs, verify_reads, shrinks;
	uint32_t chunk_min;
	int failures;
};

static struct fake_clock fc;

static struct hb_link_netcfg net(void)
{
	struct hb_link_netcfg c = {.n_layers = 3, .L = 64, .in_seed = 0xACE1, .in_stride = 7,
				   .sizes = {200, 48, 16, 10}};
	for (int k = 0; k < 3; k++)
		c.layer[k] = (struct hb_link_layer){.wt_seed = (uint16_t)(0x1111 * (k + 1)),
						    .wi_seed = 0xBEEF, .i_scale = 256, .v_th = 300,
						    .leak = 16, .gain = 256, .refractory = 1};
	hb_link_netcfg_layout(&c, NULL);
	return c;
}

static bool pipelined = true;

static void run(const struct scenario *sc, unsigned baud, const uint8_t *img, size_t n,
		uint64_t seed, struct result *r)
{
	struct fake_link_device *d = fake_link_device_new();
	struct fake_link_line_cfg lc = {.baud = baud, .seed = seed};
	fake_link_line_on(d, &lc);
	/* the hilbench gateware's capabilities: CHECK and pipelined LOADs */
	d->id.capabilities |= HB_LINK_CAP_CHECK | HB_LINK_CAP_PIPELINE;
	struct hb_link *l;
	struct hb_link_opts o;
	hb_link_opts_default(&o);
	o.pipeline = pipelined;
	hb_link_open(&d->transport, &o, &l);
	struct hb_link_netcfg c = net();
	/* identity and CONFIG on a clean line (their cost is not what is measured) */
	if (hb_link_identify(l, NULL) != HB_OK || hb_link_load_config(l, &c) != HB_OK) {
		r->failures++;
		goto out;
	}
	fake_link_line_faults(d, sc->ber_h2d, sc->ber_d2h, sc->drop_h2d, sc->dup_h2d);
	struct hb_link_stats s0 = l->stats;
	uint64_t t0 = fc.now;
	bool verified = false;
	enum hb_status st = hb_link_load_weights(l, img, n, &verified);
	uint64_t t1 = fc.now;
	if (st != HB_OK || !verified || memcmp(d->weights, img, n) != 0 || !d->configured) {
		fprintf(stderr, "  %s seed %llu: load failed (%s; %s)\n", sc->name,
			(unsigned long long)seed, hb_strerror(st), hb_link_last_error(l));
		r->failures++;
		goto out;
	}
	r->seconds += (double)(t1 - t0) / 1e9;
	r->bytes += n;
	r->attempts += l->stats.attempts - s0.attempts;
	r->retries += l->stats.retries - s0.retries;
	r->unconfirmed += l->stats.unconfirmed - s0.unconfirmed;
	r->repairs += l->stats.repairs - s0.repairs;
	r->verify_reads += l->stats.verify_reads - s0.verify_reads;
	r->shrinks += l->stats.shrinks - s0.shrinks;
	if (!r->chunk_min || (l->stats.chunk_write_min && l->stats.chunk_write_min < r->chunk_min))
		r->chunk_min = l->stats.chunk_write_min;
out:
	hb_link_close(l);
	fake_link_device_free(d);
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 0) : 32768;
	unsigned seeds = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 0) : 5;
	if (n < 1 || n > FAKE_LINK_WMEM || seeds < 1) {
		fprintf(stderr, "image_bytes must be 1..%d, seeds >= 1\n", FAKE_LINK_WMEM);
		return 2;
	}
	fake_clock_install(&fc, 1000000000ull);
	hb_log_set_level(HB_LOG_NONE);
	uint8_t *img = malloc(n);
	for (size_t i = 0; i < n; i++)
		img[i] = (uint8_t)(i * 37 + (i >> 8) * 11 + 5);

	static const struct scenario sc[] = {
		{"clean line", 0, 0, 0, 0},
		{"bit errors 1e-3 host->device", 1e-3, 0, 0, 0},
		{"bit errors 1e-3 both ways", 1e-3, 1e-3, 0, 0},
		{"bit errors 1e-4 both ways", 1e-4, 1e-4, 0, 0},
		{"dropped bytes 1e-3", 0, 0, 1e-3, 0},
		{"duplicated bytes 1e-3", 0, 0, 0, 1e-3},
	};
	const size_t nsc = sizeof sc / sizeof sc[0];
	static const unsigned bauds[] = {250000, 3000000};
	int bad = 0;
	printf("WEIGHTS load with read-back, %zu bytes, %u seeds per line, simulated time\n", n, seeds);
	for (size_t b = 0; b < sizeof bauds / sizeof bauds[0]; b++) {
		printf("\n%u baud (raw line %.1f kB/s)\n", bauds[b], bauds[b] / 10.0 / 1000.0);
		printf("  %-30s %10s %7s %8s %8s %6s %7s %6s %9s\n", "line", "kB/s", "ratio", "attempts",
		       "unconf.", "repairs", "reads", "shrinks", "min chunk");
		double clean = 0;
		for (size_t i = 0; i < nsc; i++) {
			struct result r = {0};
			for (unsigned k = 0; k < seeds; k++)
				run(&sc[i], bauds[b], img, n, 1000003ull * (k + 1) + i, &r);
			double kbs = r.seconds > 0 ? r.bytes / r.seconds / 1000.0 : 0;
			if (i == 0)
				clean = kbs;
			printf("  %-30s %10.2f %7.3f %8llu %8llu %6llu %7llu %6llu %9u%s\n", sc[i].name, kbs,
			       clean > 0 ? kbs / clean : 0, (unsigned long long)r.attempts,
			       (unsigned long long)r.unconfirmed, (unsigned long long)r.repairs,
			       (unsigned long long)r.verify_reads, (unsigned long long)r.shrinks,
			       r.chunk_min, r.failures ? "  FAILED" : "");
			if (r.failures)
				bad = 1;
			if (i == 1 && clean > 0 && kbs / clean < 0.5) {
				printf("  goal missed: %.3f < 0.5 of the clean line at 1e-3\n", kbs / clean);
				bad = 1;
			}
		}
		struct result r = {0};
		pipelined = false;
		for (unsigned k = 0; k < seeds; k++)
			run(&sc[1], bauds[b], img, n, 1000003ull * (k + 1) + 1, &r);
		pipelined = true;
		double kbs = r.seconds > 0 ? r.bytes / r.seconds / 1000.0 : 0;
		printf("  %-30s %10.2f %7.3f %8llu %8llu %6llu %7llu %6llu %9u%s\n",
		       "1e-3 h->d, not pipelined", kbs, clean > 0 ? kbs / clean : 0,
		       (unsigned long long)r.attempts, (unsigned long long)r.unconfirmed,
		       (unsigned long long)r.repairs, (unsigned long long)r.verify_reads,
		       (unsigned long long)r.shrinks, r.chunk_min, r.failures ? "  FAILED" : "");
		if (r.failures)
			bad = 1;
	}
	free(img);
	fake_clock_uninstall();
	return bad;
}
