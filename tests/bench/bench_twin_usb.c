/* bench_twin_usb: what the real bench's USB paths achieve, measured in simulated time
 * through the twin's emulated FTDI chips (gateware/twin/hb_ftdi_twin.h) against the virtual
 * board, so the figures are the USB timing model's, not this machine's load:
 *
 *   1. INA219 samples per second through an emulated FT232H (MPSSE I2C at 400 kHz, latency
 *      timer 1 ms), batched register accesses (the driver's default) and, for comparison,
 *      one USB round trip per written byte (?batch=0), at two conversion cycles: bus and
 *      shunt ADCs at 12 bit (532 us each, a 1.06 ms cycle) and averaged over 2 samples
 *      (1.06 ms each, 2.13 ms). The limit is one sample per conversion cycle. Goal: >= 0.95.
 *   2. LOAD throughput through an emulated FT2232H UART at 3 Mbaud into the virtual board's
 *      hb_top at 24 MHz (the iCEBreaker), as a share of the line rate (baud / 10 bytes/s).
 *      Goal: >= 0.9.
 *
 *   bench_twin_usb            (finds hilbench-vboard next to itself or $HB_VBOARD) */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb_ftdi_twin.h"
#include "hb_i2c.h"
#include "hb_ina2xx.h"
#include "hb_link_client.h"
#include "hb_log.h"
#include "hb_power_sampler.h"
#include "hb_transport.h"
#include "hb_vboard_proc.h"
#include "hb_vtime.h"

static struct hb_vboard_proc *vb;
static struct hb_vtime *vt;

static int start_board(const char *clock, const char *baud)
{
	const char *args[] = {"--pace", "virtual", "-q", "--clock-hz", clock, "--baud", baud,
			      "--noise-uA", "20", NULL};
	if (hb_vboard_start(NULL, args, 20000, &vb) != HB_OK) {
		fprintf(stderr, "bench_twin_usb: cannot start hilbench-vboard (build it; or set HB_VBOARD)\n");
		return -1;
	}
	if (hb_vtime_open(hb_vboard_info(vb)->vtime, &vt) != HB_OK)
		return -1;
	hb_clock_set_default(hb_vtime_clock(vt));
	return 0;
}

static void stop_board(void)
{
	hb_ftdi_twin_uninstall();
	hb_clock_set_default(NULL);
	hb_vtime_close(vt);
	hb_vboard_stop(vb, 3000, NULL);
}

/* Samples per simulated second / one per conversion cycle. */
static double sampling(int batch, int adc_samples, double *rate, double *limit)
{
	if (start_board("24000000", "3000000"))
		return -1;
	struct hb_ftdi_twin_dev d = {.vid = 0x0403, .pid = 0x6014, .i2c_ifaces = 1};
	hb_ftdi_twin_install(vt, &d, 1);
	char uri[128];
	snprintf(uri, sizeof uri, "ftdi-i2c://0403:6014/1?speed=400000&batch=%d", batch);
	struct hb_i2c *bus;
	struct hb_ina2xx dev;
	double ratio = -1;
	if (hb_i2c_open(uri, &bus) == HB_OK) {
		struct hb_ina2xx_config c = {.shunt_uohm = 500000, .max_current_uA = 200000,
					     .bus_adc = hb_ina219_adc_code(12, adc_samples),
					     .shunt_adc = hb_ina219_adc_code(12, adc_samples), .mode = -1};
		if (hb_ina2xx_init(&dev, bus, 0x40, HB_INA219, &c) == HB_OK) {
			struct hb_power_sampler s;
			struct hb_power_sample smp;
			hb_power_sampler_init(&s, &dev, NULL);
			hb_power_sampler_next(&s, &smp); /* the first conversion with this config */
			uint64_t t0 = hb_now_ns();
			unsigned n = 0;
			while (n < 400 && hb_power_sampler_next(&s, &smp) == HB_OK)
				n++;
			double secs = (double)(hb_now_ns() - t0) / 1e9;
			*rate = n / secs;
			*limit = 1e9 / (double)dev.conv_ns;
			ratio = *rate / *limit;
		}
		hb_i2c_close(bus);
	}
	stop_board();
	return ratio;
}

/* A network that fits: 200-48-16-10 at L = 64 (about 13 KB of weights). */
static void small_net(struct hb_link_netcfg *c)
{
	memset(c, 0, sizeof *c);
	c->n_layers = 3;
	c->L = 64;
	c->in_seed = 0xACE1;
	c->in_stride = 7;
	c->sizes[0] = 200;
	c->sizes[1] = 48;
	c->sizes[2] = 16;
	c->sizes[3] = 10;
	for (int k = 0; k < 3; k++)
		c->layer[k] = (struct hb_link_layer){.wt_seed = (uint16_t)(0x1111 * (k + 1)),
						    .wi_seed = 0xBEEF, .i_scale = 256, .v_th = 300,
						    .leak = 16, .gain = 256, .refractory = 1};
	hb_link_netcfg_layout(c, NULL);
}

static double load_throughput(bool pipeline, double *bytes_per_s, double *line)
{
	if (start_board("24000000", "3000000"))
		return -1;
	struct hb_ftdi_twin_dev d = {.vid = 0x0403, .pid = 0x6010, .uart_ifaces = 2};
	hb_ftdi_twin_install(vt, &d, 1);
	double ratio = -1;
	struct hb_transport *t;
	if (hb_transport_open("ftdi://0403:6010/2", 3000000, &t) == HB_OK) {
		struct hb_link_opts o;
		hb_link_opts_default(&o);
		o.verify = false; /* LOAD alone */
		o.pipeline = pipeline;
		struct hb_link *l;
		struct hb_link_identity id;
		struct hb_link_netcfg c;
		small_net(&c);
		size_t n = hb_link_netcfg_weight_bytes(&c);
		uint8_t *w = malloc(n);
		for (size_t i = 0; i < n; i++)
			w[i] = (uint8_t)(i * 37 + (i >> 8));
		bool verified;
		if (hb_link_open(t, &o, &l) == HB_OK && hb_link_identify(l, &id) == HB_OK &&
		    hb_link_load_config(l, &c) == HB_OK) {
			uint64_t t0 = hb_now_ns();
			if (hb_link_load_weights(l, w, n, &verified) == HB_OK) {
				double secs = (double)(hb_now_ns() - t0) / 1e9;
				*bytes_per_s = (double)n / secs;
				*line = 3000000.0 / 10.0;
				ratio = *bytes_per_s / *line;
			}
			hb_link_close(l);
		}
		free(w);
		hb_transport_close(t);
	}
	stop_board();
	return ratio;
}

int main(void)
{
	hb_log_set_level(HB_LOG_WARN);
	int ok = 1;
	printf("bench_twin_usb: the real USB paths through the twin's emulated FTDI chips, in simulated time\n");
	printf("INA219 sampling through an FT232H (MPSSE I2C 400 kHz):\n");
	printf("  %-28s %-22s %10s %10s %6s\n", "conversion cycle", "I2C", "samples/s", "limit", "ratio");
	for (int avg = 1; avg <= 2; avg++) {
		for (int batch = 1; batch >= 0; batch--) {
			double rate = 0, limit = 0;
			double r = sampling(batch, avg, &rate, &limit);
			const char *cyc = avg == 1 ? "2 x 532 us (12 bit)" : "2 x 1.06 ms (12 bit, avg 2)";
			printf("  %-28s %-22s %10.1f %10.1f %6.3f\n", cyc,
			       batch ? "batched (default)" : "per-byte ACK round trips", rate, limit, r);
			if (batch && r < 0.95)
				ok = 0;
		}
	}
	double bps = 0, line = 0, sbps = 0;
	double r = load_throughput(true, &bps, &line);
	double rs = load_throughput(false, &sbps, &line);
	printf("LOAD through an FT2232H UART at 3 Mbaud into hb_top at 24 MHz:\n");
	printf("  pipelined (default, 8 outstanding)  %8.0f bytes/s of %.0f, ratio %.3f\n", bps, line, r);
	printf("  one request at a time               %8.0f bytes/s of %.0f, ratio %.3f\n", sbps, line, rs);
	printf("goals: sampling >= 0.95 of the conversion limit (batched): %s; LOAD >= 0.9 of the line: %s\n",
	       ok ? "met" : "NOT met", r >= 0.9 ? "met" : "NOT met");
	return 0;
}
