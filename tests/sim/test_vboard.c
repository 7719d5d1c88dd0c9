/* Sim tests of hilbench-vboard with the real hb_top: IDENTIFY from a plain termios client,
 * the digits network through the link codec and client (load, stream, infer) bit-exact
 * against the golden model, exact ground truth at the inference stamps, and the
 * `hilbench vboard` front end. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "hb_link_client.h"
#include "hb_link_codec.h"
#include "hb_model.h"
#include "hb_vboard_proc.h"
#include "vb_test_util.h"

static struct hb_vboard_proc *vb;
static int pty = -1;
static char exe[1024];

static void teardown(void)
{
	if (pty >= 0)
		close(pty);
	pty = -1;
	if (vb)
		hb_vboard_stop(vb, 3000, NULL);
	vb = NULL;
}

TestSuite(vboard, .fini = teardown, .timeout = 240);

static void start_with(const char *const *args)
{
	const char *bd = getenv("HB_BUILD_DIR");
	cr_assert(bd);
	snprintf(exe, sizeof exe, "%s/bench/hilbench-vboard", bd);
	enum hb_status st = hb_vboard_start(exe, args, 20000, &vb);
	cr_assert_eq(st, HB_OK, "start %s: %s", exe, hb_strerror(st));
	pty = vbt_pty_open(hb_vboard_info(vb)->uart);
	cr_assert(pty >= 0);
}

static void start_fast(void)
{
	static const char *const args[] = {"--pace", "fast", "-q", NULL};
	start_with(args);
}

/* Read one whole frame (raw bytes) from the pty. */
static size_t read_frame(uint8_t *buf, size_t cap)
{
	cr_assert_eq(vbt_read(pty, buf, 6, 5000), 6, "frame header");
	cr_assert_eq(buf[0], 0xA5);
	size_t len = (size_t)buf[3] | (size_t)buf[4] << 8;
	cr_assert_leq(6 + len + 2, cap);
	cr_assert_eq(vbt_read(pty, buf + 6, len + 2, 5000), (int)(len + 2));
	return 6 + len + 2;
}

Test(vboard, identify_from_a_plain_termios_client)
{
	uint8_t req[16], resp[1100];
	size_t n;
	start_fast();
	cr_assert_eq(hb_link_frame_encode(0x01, 0x33, NULL, 0, req, sizeof req, &n), HB_OK);
	cr_assert_eq(write(pty, req, n), (ssize_t)n);
	size_t got = read_frame(resp, sizeof resp);
	cr_assert_eq(resp[1], 0x81, "IDENTIFY response type");
	cr_assert_eq(resp[2], 0x33, "seq echoed");
	cr_assert_eq(resp[5], hb_link_crc8(0, resp + 1, 4));
	struct hb_link_identity id;
	cr_assert_eq(got - 8, HB_LINK_IDENTITY_FIXED_LEN + 2, "unconfigured: one size entry (0)");
	cr_assert_eq(hb_link_identity_decode(resp + 6, got - 8, &id), HB_OK);
	cr_assert_eq(id.proto_version, 1);
	cr_assert_eq(id.family, 0, "the virtual board reports family sim");
	cr_assert_eq(id.clock_hz, (uint32_t)hb_vboard_info(vb)->clock_hz);
	cr_assert_eq(id.counter_bits, 48);
	cr_assert_eq(id.configured, 0);

	/* the device's free-running counter and the board's cycle numbers agree */
	cr_assert_eq(hb_link_frame_encode(0x07, 0x34, NULL, 0, req, sizeof req, &n), HB_OK);
	uint64_t before;
	cr_assert_eq(hb_vboard_now(vb, &before, NULL), HB_OK);
	cr_assert_eq(write(pty, req, n), (ssize_t)n);
	read_frame(resp, sizeof resp);
	cr_assert_eq(resp[1], 0x87);
	struct hb_link_counters c;
	cr_assert_eq(hb_link_counters_decode(resp + 6, 48, &c), HB_OK);
	uint64_t after;
	cr_assert_eq(hb_vboard_now(vb, &after, NULL), HB_OK);
	cr_assert(c.cycle_now > before && c.cycle_now < after, "%llu in (%llu, %llu)",
		  (unsigned long long)c.cycle_now, (unsigned long long)before,
		  (unsigned long long)after);
}

Test(vboard, digits_through_the_codec_bit_exact_with_exact_truth)
{
	const char *src = getenv("HB_SOURCE_DIR");
	char path[1024], err[256];
	struct hb_net net;
	struct hb_digits dg;

	cr_assert(src);
	snprintf(path, sizeof path, "%s/gateware/model/nets/digits.json", src);
	cr_assert_eq(hb_net_load(path, &net, err, sizeof err), HB_OK, "%s", err);
	snprintf(path, sizeof path, "%s/tests/data/digits/digits.csv", src);
	cr_assert_eq(hb_digits_load(path, &dg, err, sizeof err), HB_OK, "%s", err);

	struct hb_link_netcfg cfg;
	vbt_netcfg_from(&net, &cfg);

	start_fast();
	struct vbt_pty_transport pp;
	struct hb_transport tr;
	vbt_pty_transport_init(&pp, &tr, pty);
	struct hb_link *l;
	struct hb_link_opts o;
	hb_link_opts_default(&o);
	/* The simulation is slower than a real 24 MHz board (docs/vboard.md "Host timeouts"). */
	o.base_timeout_ms = 10000;
	o.compute_margin_pct = 10000;
	cr_assert_eq(hb_link_open(&tr, &o, &l), HB_OK);
	struct hb_link_identity id;
	cr_assert_eq(hb_link_identify(l, &id), HB_OK, "%s", hb_link_last_error(l));

	size_t wbytes = hb_link_netcfg_weight_bytes(&cfg);
	uint8_t *wimg = malloc(wbytes);
	const uint8_t *wl[HB_LINK_MAX_LAYERS] = {0};
	for (unsigned k = 0; k < net.n_layers; k++)
		wl[k] = net.layers[k].weights;
	size_t wn;
	cr_assert_eq(hb_link_weights_pack(&cfg, wl, wimg, wbytes, &wn), HB_OK);
	cr_assert_eq(hb_link_load_config(l, &cfg), HB_OK, "%s", hb_link_last_error(l));
	bool verified = false;
	cr_assert_eq(hb_link_load_weights(l, wimg, wn, &verified), HB_OK, "%s",
		     hb_link_last_error(l));

	size_t ib = hb_model_input_bytes(&net);
	cr_assert_eq(ib, hb_link_netcfg_input_bytes(&cfg));
	uint8_t *bits = malloc(ib);
	for (unsigned s = 0; s < 5; s++) {
		uint16_t vals[HB_DIGITS_PIXELS];
		hb_digits_values(&dg, dg.test_idx[s], vals);
		cr_assert_eq(hb_model_encode(&net, vals, bits), HB_OK);
		struct hb_model_result ref;
		cr_assert_eq(hb_model_infer(&net, bits, &ref), HB_OK);
		uint64_t stamp;
		cr_assert_eq(hb_link_stream_inputs(l, bits, ib, &stamp), HB_OK, "%s",
			     hb_link_last_error(l));
		struct hb_link_infer_result r;
		cr_assert_eq(hb_link_infer(l, 100 + s, 0, &r), HB_OK, "%s", hb_link_last_error(l));
		cr_assert_eq(r.class_id, ref.cls, "sample %u class", s);
		unsigned K = net.n_layers;
		cr_assert_eq(r.n_out, net.layers[K - 1].n_out);
		for (unsigned j = 0; j < r.n_out; j++)
			cr_assert_eq(r.counts[j], ref.counts[K - 1][j], "sample %u count %u", s, j);
		cr_assert_eq(r.t_done - r.t_start, r.busy_cycles);
		cr_assert_gt(r.t_start, stamp, "inference after its inputs");

		/* ground truth over the device's own stamps is exact */
		struct hb_vboard_truth t;
		cr_assert_eq(hb_vboard_truth(vb, r.t_start, r.t_done, &t), HB_OK);
		cr_assert_eq(t.cycles, r.busy_cycles);
		cr_assert(t.exact, "truth at inference stamps is exact");
		cr_assert(t.busy_cycles > 0 && t.busy_cycles <= t.cycles);
		/* [t_start, t_done) holds the busy cycles, the done cycle is t_done itself */
		cr_assert_eq(t.done, 0);
		struct hb_vboard_truth t1;
		cr_assert_eq(hb_vboard_truth(vb, r.t_start, r.t_done + 1, &t1), HB_OK);
		cr_assert_eq(t1.done, 1);
		/* the device's latency is the number of cycles its BUSY pin is high */
		cr_assert_eq(r.busy_cycles, t.busy_cycles, "device %u vs busy pin %llu",
			     r.busy_cycles, (unsigned long long)t.busy_cycles);
		cr_assert_gt(t.avg_power_mw, t.idle_power_mw, "computing costs more than idling");
		/* and additive across the STREAM stamp */
		struct hb_vboard_truth a, b;
		cr_assert_eq(hb_vboard_truth(vb, stamp, r.t_start, &a), HB_OK);
		cr_assert_eq(hb_vboard_truth(vb, stamp, r.t_done, &b), HB_OK);
		cr_assert_float_eq(a.energy_nj + t.energy_nj, b.energy_nj, b.energy_nj * 1e-9);
	}
	free(bits);
	free(wimg);
	hb_link_close(l);
	hb_digits_free(&dg);
	hb_net_free(&net);
}

Test(vboard, realtime_idle_skips_cycles_and_keeps_the_counter)
{
	/* 1 MHz: far below what the simulation sustains, so the board keeps the wall clock's
	 * pace through the evaluated quiet phase before it may skip (docs/vboard.md). */
	static const char *const args[] = {"-q", "--clock-hz", "1000000", "--baud", "250000", NULL};
	const char *bd = getenv("HB_BUILD_DIR");
	snprintf(exe, sizeof exe, "%s/bench/hilbench-vboard", bd);
	cr_assert_eq(hb_vboard_start(exe, args, 20000, &vb), HB_OK);
	pty = vbt_pty_open(hb_vboard_info(vb)->uart);
	vbt_sleep_ms(400); /* the first 12 ms of quiet are simulated cycle by cycle */
	uint64_t c0, c1;
	double ns0, ns1;
	cr_assert_eq(hb_vboard_now(vb, &c0, &ns0), HB_OK);
	double cpu0 = vbt_cpu_seconds(hb_vboard_pid(vb));
	vbt_sleep_ms(1000);
	cr_assert_eq(hb_vboard_now(vb, &c1, &ns1), HB_OK);
	double cpu = vbt_cpu_seconds(hb_vboard_pid(vb)) - cpu0;
	double sim_s = (ns1 - ns0) * 1e-9;
	cr_assert(sim_s > 0.7 && sim_s < 1.3, "idle: %.3f s simulated in 1 s", sim_s);
	cr_assert(cpu < 0.3, "idle realtime board used %.3f s CPU in 1 s", cpu);
	struct hb_vboard_truth t;
	cr_assert_eq(hb_vboard_truth(vb, c0, c1, &t), HB_OK);
	cr_assert(t.exact);
	cr_assert_float_eq(t.avg_power_mw, t.idle_power_mw, t.idle_power_mw * 1e-9);

	/* the device's counter was advanced with the skipped cycles */
	uint8_t req[16], resp[128];
	size_t n;
	cr_assert_eq(hb_link_frame_encode(0x07, 0x21, NULL, 0, req, sizeof req, &n), HB_OK);
	uint64_t before, after;
	cr_assert_eq(hb_vboard_now(vb, &before, NULL), HB_OK);
	cr_assert_eq(write(pty, req, n), (ssize_t)n);
	read_frame(resp, sizeof resp);
	cr_assert_eq(hb_vboard_now(vb, &after, NULL), HB_OK);
	struct hb_link_counters c;
	cr_assert_eq(hb_link_counters_decode(resp + 6, 48, &c), HB_OK);
	cr_assert(c.cycle_now > before && c.cycle_now < after, "%llu in (%llu, %llu)",
		  (unsigned long long)c.cycle_now, (unsigned long long)before,
		  (unsigned long long)after);
	char reply[512];
	cr_assert_eq(hb_vboard_ctl(vb, "stats", reply, sizeof reply, 2000), HB_OK);
	char *sk = strstr(reply, "skipped=");
	cr_assert(sk && strtoull(sk + 8, NULL, 10) > (uint64_t)(0.5 * hb_vboard_info(vb)->clock_hz),
		  "%s", reply);
}

Test(vboard, hilbench_vboard_front_end)
{
	char cmd[1200];
	const char *bd = getenv("HB_BUILD_DIR");
	snprintf(cmd, sizeof cmd, "%s/bench/hilbench vboard --pace slow >/dev/null 2>&1", bd);
	int st = system(cmd);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2, "usage errors pass through: %d", st);
	snprintf(cmd, sizeof cmd, "%s/bench/hilbench vboard --help 2>&1", bd);
	FILE *f = popen(cmd, "r");
	char out[16384];
	size_t n = fread(out, 1, sizeof out - 1, f);
	out[n] = 0;
	cr_assert_eq(pclose(f), 0);
	cr_assert(strstr(out, "Usage: hilbench vboard"));
	cr_assert(strstr(out, "--pace virtual|realtime|fast"), "the program's own options follow");
}

/* issue 13 §3: the link survives a noisy line. The virtual board flips each bit on its RX pin
 * with probability 1e-3 (a flipped stop bit loses the byte): the digits network still
 * loads, verified, and every inference is bit-exact (before: 1e-4 failed the load). */
Test(vboard, digits_bit_exact_through_bit_errors_1e3, .timeout = 400)
{
	static const char *const args[] = {"--pace", "fast", "-q", "--fault", "bit-error=1e-3", NULL};
	const char *src = getenv("HB_SOURCE_DIR");
	char path[1024], err[256];
	struct hb_net net;
	struct hb_digits dg;
	cr_assert(src);
	snprintf(path, sizeof path, "%s/gateware/model/nets/digits.json", src);
	cr_assert_eq(hb_net_load(path, &net, err, sizeof err), HB_OK, "%s", err);
	snprintf(path, sizeof path, "%s/tests/data/digits/digits.csv", src);
	cr_assert_eq(hb_digits_load(path, &dg, err, sizeof err), HB_OK, "%s", err);
	struct hb_link_netcfg cfg;
	vbt_netcfg_from(&net, &cfg);

	start_with(args);
	struct vbt_pty_transport pp;
	struct hb_transport tr;
	vbt_pty_transport_init(&pp, &tr, pty);
	struct hb_link *l;
	cr_assert_eq(hb_link_open(&tr, NULL, &l), HB_OK);
	cr_assert_eq(hb_link_identify(l, NULL), HB_OK, "%s", hb_link_last_error(l));
	size_t wbytes = hb_link_netcfg_weight_bytes(&cfg), wn;
	uint8_t *wimg = malloc(wbytes);
	const uint8_t *wl[HB_LINK_MAX_LAYERS] = {0};
	for (unsigned k = 0; k < net.n_layers; k++)
		wl[k] = net.layers[k].weights;
	cr_assert_eq(hb_link_weights_pack(&cfg, wl, wimg, wbytes, &wn), HB_OK);
	cr_assert_eq(hb_link_load_config(l, &cfg), HB_OK, "%s", hb_link_last_error(l));
	bool verified = false;
	cr_assert_eq(hb_link_load_weights(l, wimg, wn, &verified), HB_OK, "%s",
		     hb_link_last_error(l));
	cr_assert(verified);
	size_t ib = hb_model_input_bytes(&net);
	uint8_t *bits = malloc(ib);
	for (unsigned s = 0; s < 5; s++) {
		uint16_t vals[HB_DIGITS_PIXELS];
		hb_digits_values(&dg, dg.test_idx[s], vals);
		cr_assert_eq(hb_model_encode(&net, vals, bits), HB_OK);
		struct hb_model_result ref;
		cr_assert_eq(hb_model_infer(&net, bits, &ref), HB_OK);
		cr_assert_eq(hb_link_stream_inputs(l, bits, ib, NULL), HB_OK, "%s",
			     hb_link_last_error(l));
		struct hb_link_infer_result r;
		cr_assert_eq(hb_link_infer(l, 200 + s, 0, &r), HB_OK, "%s", hb_link_last_error(l));
		unsigned K = net.n_layers;
		cr_assert_eq(r.class_id, ref.cls, "sample %u class", s);
		for (unsigned j = 0; j < r.n_out; j++)
			cr_assert_eq(r.counts[j], ref.counts[K - 1][j], "sample %u count %u", s, j);
	}
	cr_log_info("bit errors 1e-3 on the virtual board: %llu attempts for %llu requests, "
		    "%llu noise errors, write chunks down to %u bytes, %llu repairs",
		    (unsigned long long)l->stats.attempts, (unsigned long long)l->stats.requests,
		    (unsigned long long)l->stats.noise_errors, l->stats.chunk_write_min,
		    (unsigned long long)l->stats.repairs);
	cr_assert_gt(l->stats.noise_errors, 0, "the line was noisy");
	free(bits);
	free(wimg);
	hb_link_close(l);
	hb_digits_free(&dg);
	hb_net_free(&net);
}
