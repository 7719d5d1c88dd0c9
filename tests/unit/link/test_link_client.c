/* The host client against a fake device at the transport seam: the
 * walkthrough of docs/protocol.md, retries, timeouts (fake clock: nothing
 * sleeps), read-back verification and error reporting. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_clock.h"
#include "fake_link_device.h"
#include "hb_link_client.h"
#include "hb_log.h"

static struct fake_clock fc;
static struct fake_link_device *dev;
static struct hb_link *l;

static void setup(void)
{
	fake_clock_install(&fc, 1000000000ull);
	hb_log_set_level(HB_LOG_NONE);
	dev = fake_link_device_new();
	cr_assert(dev);
	cr_assert_eq(hb_link_open(&dev->transport, NULL, &l), HB_OK);
}

static void teardown(void)
{
	hb_link_close(l);
	fake_link_device_free(dev);
	fake_clock_uninstall();
	hb_log_set_level(HB_LOG_WARN);
}

TestSuite(client, .init = setup, .fini = teardown);

/* A 3-layer network that fits the fake: 200-48-16-10, L = 64. */
static struct hb_link_netcfg small_net(void)
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

static uint8_t *weights_of(const struct hb_link_netcfg *c, size_t *n)
{
	*n = hb_link_netcfg_weight_bytes(c);
	uint8_t *w = malloc(*n);
	for (size_t i = 0; i < *n; i++)
		w[i] = (uint8_t)(i * 37 + (i >> 8));
	return w;
}

static uint8_t *inputs_of(const struct hb_link_netcfg *c, size_t *n)
{
	*n = hb_link_netcfg_input_bytes(c);
	uint8_t *x = malloc(*n);
	for (size_t i = 0; i < *n; i++)
		x[i] = (uint8_t)(i * 11 ^ 0x5A);
	return x;
}

static void configure(void)
{
	struct hb_link_netcfg c = small_net();
	size_t nw, ni;
	uint8_t *w = weights_of(&c, &nw), *x = inputs_of(&c, &ni);
	bool verified = false;
	cr_assert_eq(hb_link_load_config(l, &c), HB_OK, "%s", hb_link_last_error(l));
	cr_assert_eq(hb_link_load_weights(l, w, nw, &verified), HB_OK, "%s", hb_link_last_error(l));
	cr_assert(verified);
	cr_assert_eq(hb_link_stream_inputs(l, x, ni, NULL), HB_OK, "%s", hb_link_last_error(l));
	free(w);
	free(x);
}

Test(client, identify_caches_identity_and_seq_starts_at_zero)
{
	struct hb_link_identity id;
	cr_assert_eq(hb_link_identify(l, &id), HB_OK);
	cr_assert_eq(id.proto_version, 1);
	cr_assert_eq(id.lanes, 8);
	cr_assert_eq(id.configured, 0);
	cr_assert(l->have_identity);
	cr_assert_eq(dev->last_seq, 0);
	cr_assert_eq(hb_link_identify(l, NULL), HB_OK);
	cr_assert_eq(dev->last_seq, 1);
	cr_assert_eq(l->stats.requests, 2);
	cr_assert_eq(l->stats.retries, 0);
	cr_assert_eq(l->stats.bytes_tx, 16);
	cr_assert_eq(l->stats.bytes_rx, 2 * (42 + 8));
}

Test(client, seq_wraps_mod_256)
{
	for (int i = 0; i < 300; i++)
		cr_assert_eq(hb_link_reset(l), HB_OK);
	cr_assert_eq(dev->last_seq, (300 - 1) % 256);
	cr_assert_eq(dev->requests[HB_LINK_RESET], 300);
}

Test(client, walkthrough_load_verify_stream_infer_batch_counters)
{
	struct hb_link_netcfg c = small_net();
	size_t nw, ni;
	uint8_t *w = weights_of(&c, &nw), *x = inputs_of(&c, &ni);
	bool verified = false;
	uint64_t stamp = 0;

	cr_assert_eq(hb_link_load_config(l, &c), HB_OK, "%s", hb_link_last_error(l));
	cr_assert(dev->configured);
	cr_assert_eq(hb_link_load_weights(l, w, nw, &verified), HB_OK, "%s", hb_link_last_error(l));
	cr_assert(verified);
	cr_assert_eq(memcmp(dev->weights, w, nw), 0);
	/* chunking: ⌈nw / 1019⌉ LOADs for weights plus one for CONFIG */
	cr_assert_eq(dev->requests[HB_LINK_LOAD], 1 + (nw + 1018) / 1019);
	cr_assert_eq(dev->requests[HB_LINK_READ], 1 + (nw + 1023) / 1024);
	fc.now += 5000000; /* time passes: stamps move */
	cr_assert_eq(hb_link_stream_inputs(l, x, ni, &stamp), HB_OK, "%s", hb_link_last_error(l));
	cr_assert_eq(memcmp(dev->input, x, ni), 0);
	cr_assert_eq(dev->requests[HB_LINK_STREAM], (ni + 1019) / 1020);
	cr_assert_gt(stamp, 0);

	/* Expected result of the fake's trivial inference, computed here. */
	uint16_t want[10] = {0};
	for (size_t i = 0; i < ni; i++)
		want[i % 10] += (uint16_t)__builtin_popcount(x[i]);
	for (int j = 0; j < 10; j++)
		want[j] += w[c.w_offset[2] + (size_t)j * 16] & 0x7F;
	int cls = 0;
	for (int j = 1; j < 10; j++)
		if (want[j] > want[cls])
			cls = j;

	struct hb_link_infer_result r;
	cr_assert_eq(hb_link_infer(l, 42, 0, &r), HB_OK, "%s", hb_link_last_error(l));
	cr_assert_eq(r.sample_id, 42);
	cr_assert_eq(r.n_out, 10);
	cr_assert_arr_eq(r.counts, want, sizeof want);
	cr_assert_eq(r.class_id, cls);
	cr_assert_eq(r.t_done - r.t_start, r.busy_cycles);
	cr_assert_eq(r.busy_cycles, (200 * 48 + 48 * 16 + 16 * 10) * (64 / 8));
	cr_assert_eq(l->last_busy_cycles, r.busy_cycles);

	struct hb_link_batch_result b;
	cr_assert_eq(hb_link_batch(l, 100, r.busy_cycles, &b), HB_OK, "%s", hb_link_last_error(l));
	cr_assert_eq(b.n, 100);
	cr_assert_eq(b.busy_cycles, 100ull * r.busy_cycles);
	cr_assert_arr_eq(b.counts, want, sizeof want);

	struct hb_link_counters k;
	cr_assert_eq(hb_link_counters(l, &k), HB_OK);
	cr_assert_eq(k.inferences, 101);
	cr_assert_eq(k.busy_cycles, 101ull * r.busy_cycles);
	cr_assert_eq(k.frames_bad_crc, 0);
	cr_assert_gt(k.cycle_now, 0);
	cr_assert_eq(hb_link_reset(l), HB_OK);
	cr_assert_eq(hb_link_counters(l, &k), HB_OK);
	cr_assert_eq(k.inferences, 0);
	cr_assert(dev->configured, "RESET keeps the configuration");
	cr_assert_eq(l->stats.retries, 0);
	cr_assert_eq(l->stats.timeouts, 0);
	free(w);
	free(x);
}

Test(client, dropped_response_is_retried_after_the_response_timeout)
{
	cr_assert_eq(hb_link_identify(l, NULL), HB_OK);
	dev->drop_responses = 1;
	uint64_t t0 = fc.now;
	cr_assert_eq(hb_link_reset(l), HB_OK, "%s", hb_link_last_error(l));
	cr_assert_eq(l->stats.retries, 1);
	cr_assert_eq(l->stats.timeouts, 1);
	cr_assert_eq(dev->requests[HB_LINK_RESET], 2);
	unsigned tmo = hb_link_response_timeout_ms(l, 0, 0, 0);
	cr_assert_geq(fc.now - t0, (uint64_t)tmo * 1000000u, "waited the response timeout (virtually)");
	cr_assert_lt(fc.now - t0, (uint64_t)(tmo + 100) * 1000000u);
}

Test(client, corrupted_response_is_retried)
{
	cr_assert_eq(hb_link_identify(l, NULL), HB_OK);
	dev->corrupt_response_at = 7; /* first payload byte of the COUNTERS response */
	struct hb_link_counters k;
	cr_assert_eq(hb_link_counters(l, &k), HB_OK, "%s", hb_link_last_error(l));
	cr_assert_eq(l->stats.corrupted, 1);
	cr_assert_eq(l->stats.retries, 1);
	cr_assert_eq(l->stats.timeouts, 0, "a bad CRC is retried at once, not after a timeout");
}

Test(client, busy_is_retried_after_a_backoff)
{
	cr_assert_eq(hb_link_identify(l, NULL), HB_OK);
	dev->busy_answers = 1;
	uint64_t t0 = fc.now;
	cr_assert_eq(hb_link_reset(l), HB_OK, "%s", hb_link_last_error(l));
	cr_assert_eq(l->stats.busy, 1);
	cr_assert_eq(l->stats.retries, 1);
	cr_assert_geq(fc.now - t0, 10000000u);
}

Test(client, busy_forever_gives_hb_err_busy)
{
	cr_assert_eq(hb_link_identify(l, NULL), HB_OK);
	dev->busy_answers = 10;
	cr_assert_eq(hb_link_reset(l), HB_ERR_BUSY);
	cr_assert_eq(dev->requests[HB_LINK_RESET], 4, "1 attempt + 3 retries");
	cr_assert(strstr(hb_link_last_error(l), "BUSY"), "%s", hb_link_last_error(l));
	cr_assert(strstr(hb_link_last_error(l), "4 attempts"), "%s", hb_link_last_error(l));
}

Test(client, corrupted_request_gets_device_error_and_is_retried)
{
	cr_assert_eq(hb_link_identify(l, NULL), HB_OK);
	/* payload byte of a LOAD → device ERROR(BAD_CRC) with our seq */
	dev->corrupt_request_at = 9;
	struct hb_link_netcfg c = small_net();
	cr_assert_eq(hb_link_load_config(l, &c), HB_OK, "%s", hb_link_last_error(l));
	cr_assert_eq(dev->errors_sent[HB_LINK_R_BAD_CRC], 1);
	cr_assert_eq(l->stats.device_errors, 1);
	cr_assert_eq(l->stats.retries, 1);
	/* seq byte → header CRC fails, device answers ERROR(BAD_HCRC) with a foreign seq */
	dev->corrupt_request_at = 2;
	cr_assert_eq(hb_link_identify(l, NULL), HB_OK, "%s", hb_link_last_error(l));
	cr_assert_eq(dev->errors_sent[HB_LINK_R_BAD_HCRC], 1);
	cr_assert_eq(l->stats.retries, 2);
	/* SOF → the device sees garbage and stays silent: response timeout */
	dev->corrupt_request_at = 0;
	cr_assert_eq(hb_link_identify(l, NULL), HB_OK, "%s", hb_link_last_error(l));
	cr_assert_eq(l->stats.timeouts, 1);
	struct hb_link_counters k;
	cr_assert_eq(hb_link_counters(l, &k), HB_OK);
	cr_assert_eq(k.frames_bad_crc, 1);
	cr_assert_eq(k.frames_bad_hcrc, 1);
	cr_assert_geq(k.garbage_bytes, 7);
}

Test(client, garbage_and_stale_frames_before_the_response_are_skipped)
{
	cr_assert_eq(hb_link_identify(l, NULL), HB_OK);
	dev->garbage_before = 9;
	dev->duplicate_stale = true;
	cr_assert_eq(hb_link_reset(l), HB_OK, "%s", hb_link_last_error(l));
	cr_assert_eq(l->stats.retries, 0);
	cr_assert_eq(l->stats.stale, 1);
	cr_assert_gt(l->dec.stats.garbage_bytes, 0);
}

Test(client, truncated_response_hits_the_interbyte_timeout)
{
	cr_assert_eq(hb_link_identify(l, NULL), HB_OK);
	dev->truncate_response = true;
	struct hb_link_counters k;
	cr_assert_eq(hb_link_counters(l, &k), HB_OK, "%s", hb_link_last_error(l));
	cr_assert_eq(l->stats.truncated, 1);
	cr_assert_eq(l->stats.retries, 1);
	cr_assert_eq(l->stats.timeouts, 0);
}

Test(client, retries_exhausted_reports_timeout)
{
	cr_assert_eq(hb_link_identify(l, NULL), HB_OK);
	dev->drop_responses = 4;
	cr_assert_eq(hb_link_reset(l), HB_ERR_TIMEOUT);
	const char *e = hb_link_last_error(l);
	cr_assert(strstr(e, "RESET seq 1"), "%s", e);
	cr_assert(strstr(e, "after 4 attempts"), "%s", e);
	cr_assert(strstr(e, "response timeout"), "%s", e);
	cr_assert_eq(l->stats.retries, 3);
	/* the link recovers */
	cr_assert_eq(hb_link_reset(l), HB_OK);
}

Test(client, retries_are_configurable)
{
	struct hb_link_opts o;
	hb_link_opts_default(&o);
	o.retries = 0;
	struct hb_link *l0;
	cr_assert_eq(hb_link_open(&dev->transport, &o, &l0), HB_OK);
	dev->drop_responses = 1;
	cr_assert_eq(hb_link_identify(l0, NULL), HB_ERR_TIMEOUT);
	cr_assert_eq(dev->requests[HB_LINK_IDENTIFY], 1);
	hb_link_close(l0);
}

Test(client, non_retryable_device_errors_are_reported_with_the_reason)
{
	struct hb_link_infer_result r;
	cr_assert_eq(hb_link_infer(l, 1, 1000, &r), HB_ERR_PROTO);
	cr_assert(strstr(hb_link_last_error(l), "ERROR(NOT_CONFIGURED)"), "%s", hb_link_last_error(l));
	cr_assert_eq(dev->requests[HB_LINK_INFER], 1, "not retried");
	dev->force_error = HB_LINK_R_BAD_ARG;
	cr_assert_eq(hb_link_reset(l), HB_ERR_ARG);
	cr_assert(strstr(hb_link_last_error(l), "ERROR(BAD_ARG) for RESET"), "%s", hb_link_last_error(l));
	dev->force_error = HB_LINK_R_BAD_LENGTH;
	cr_assert_eq(hb_link_reset(l), HB_ERR_PROTO);
	cr_assert(strstr(hb_link_last_error(l), "BAD_LENGTH"));
	cr_assert_eq(l->stats.retries, 0);
}

Test(client, device_rejects_config_with_bad_arg)
{
	/* Host limits pass, the (stricter) device refuses: BAD_ARG → HB_ERR_ARG. */
	cr_assert_eq(hb_link_identify(l, NULL), HB_OK);
	dev->id.max_L = 32; /* the device now allows less than it reported */
	struct hb_link_netcfg c = small_net();
	cr_assert_eq(hb_link_load_config(l, &c), HB_ERR_ARG);
	cr_assert(strstr(hb_link_last_error(l), "BAD_ARG"), "%s", hb_link_last_error(l));
	cr_assert_not(dev->configured);
	cr_assert_not(l->have_config);
}

Test(client, config_outside_device_limits_is_refused_before_sending)
{
	struct hb_link_netcfg c = small_net();
	c.L = 2048; /* max_L 1024 */
	cr_assert_eq(hb_link_load_config(l, &c), HB_ERR_RANGE);
	cr_assert(strstr(hb_link_last_error(l), "max_L"), "%s", hb_link_last_error(l));
	cr_assert_eq(dev->requests[HB_LINK_LOAD], 0);
}

Test(client, readback_mismatch_names_the_offset)
{
	struct hb_link_netcfg c = small_net();
	size_t nw;
	uint8_t *w = weights_of(&c, &nw);
	bool verified = true;
	cr_assert_eq(hb_link_load_config(l, &c), HB_OK);
	dev->stuck_weight_offset = 5000;
	cr_assert_eq(hb_link_load_weights(l, w, nw, &verified), HB_ERR_MISMATCH);
	cr_assert_not(verified);
	cr_assert(strstr(hb_link_last_error(l), "offset 5000"), "%s", hb_link_last_error(l));
	free(w);
}

Test(client, without_read_capability_weights_are_unverified)
{
	dev->id.capabilities = HB_LINK_CAP_BATCH;
	struct hb_link_netcfg c = small_net();
	size_t nw;
	uint8_t *w = weights_of(&c, &nw);
	bool verified = true;
	cr_assert_eq(hb_link_load_config(l, &c), HB_OK);
	cr_assert_eq(hb_link_load_weights(l, w, nw, &verified), HB_OK);
	cr_assert_not(verified);
	cr_assert_eq(dev->requests[HB_LINK_READ], 0);
	uint8_t b[4];
	cr_assert_eq(hb_link_read(l, HB_LINK_REGION_WEIGHTS, 0, b, 4), HB_ERR_UNSUPPORTED);
	free(w);
}

Test(client, batch_needs_the_capability)
{
	dev->id.capabilities = HB_LINK_CAP_READ;
	configure();
	struct hb_link_batch_result b;
	cr_assert_eq(hb_link_batch(l, 10, 0, &b), HB_ERR_UNSUPPORTED);
	cr_assert_eq(hb_link_batch(l, 0, 0, &b), HB_ERR_ARG);
}

Test(client, long_compute_is_covered_by_the_timeout_formula)
{
	dev->busy_cycles_per_inference = 24000000; /* 2 s at 12 MHz */
	configure();
	struct hb_link_infer_result r;
	uint64_t t0 = fc.now;
	cr_assert_eq(hb_link_infer(l, 7, 24000000, &r), HB_OK, "%s", hb_link_last_error(l));
	cr_assert_eq(l->stats.retries, 0);
	cr_assert_geq(fc.now - t0, 2000000000ull, "the fake made us wait the compute time");
	/* BATCH of 5: 10 s; the client derives the per-inference cycles from the last INFER */
	struct hb_link_batch_result b;
	cr_assert_eq(hb_link_estimate_cycles(l), 24000000);
	cr_assert_eq(hb_link_batch(l, 5, 0, &b), HB_OK, "%s", hb_link_last_error(l));
	cr_assert_eq(l->stats.retries, 0);
}

Test(client, too_short_expected_compute_times_out)
{
	dev->busy_cycles_per_inference = 24000000; /* 2 s */
	configure();
	struct hb_link_opts o = l->opts;
	(void)o;
	struct hb_link_infer_result r;
	cr_assert_eq(hb_link_infer(l, 7, 1200, &r), HB_ERR_TIMEOUT); /* claims 0.1 ms */
	cr_assert(strstr(hb_link_last_error(l), "INFER"), "%s", hb_link_last_error(l));
}

Test(client, response_timeout_formula)
{
	/* No identity yet: baud from the transport (3 000 000), 10 bits per byte. */
	/* IDENTIFY: frames 8 + 50 bytes → 580 bits → 0.19 ms → 1 ms; 100 + 1 */
	cr_assert_eq(hb_link_response_timeout_ms(l, 0, 50, 0), 101);
	dev->transport.baud = 115200;
	/* 1024-byte payload both ways: 2·1032·10 bits / 115200 = 179.2 ms → 180 */
	cr_assert_eq(hb_link_response_timeout_ms(l, 1024, 1024, 0), 280);
	cr_assert_eq(hb_link_identify(l, NULL), HB_OK);
	/* frames 12 + 8 bytes = 200 bits at 115200 = 1.7 ms → 2 ms;
	 * 12 000 000 cycles at 12 MHz = 1000 ms, +50 % = 1500 ms */
	cr_assert_eq(hb_link_response_timeout_ms(l, 4, 0, 12000000), 100 + 2 + 1500);
}

Test(client, estimate_from_config_before_any_infer)
{
	struct hb_link_netcfg c = small_net();
	cr_assert_eq(hb_link_estimate_cycles(l), 0);
	cr_assert_eq(hb_link_load_config(l, &c), HB_OK);
	/* Σ n_out·(n_in + 16)·L/P with P = 8 */
	uint64_t want = (48ull * 216 + 16ull * 64 + 10ull * 32) * 8;
	cr_assert_eq(hb_link_estimate_cycles(l), want);
}

/* ---- a noisy line (issue 13 §3): fake_link_device's line model, simulated time ---------- */

/* counts[j] of the fake's inference for these weights and inputs (fake_link_device.h) */
static void expected_counts(const struct hb_link_netcfg *c, const uint8_t *w, const uint8_t *x,
			    size_t ni, uint16_t *want)
{
	unsigned K = c->n_layers, n_out = c->sizes[K], n_in_last = c->sizes[K - 1];
	memset(want, 0, n_out * sizeof *want);
	for (size_t i = 0; i < ni; i++)
		want[i % n_out] += (uint16_t)__builtin_popcount(x[i]);
	for (unsigned j = 0; j < n_out; j++)
		want[j] += w[c->w_offset[K - 1] + (size_t)j * n_in_last] & 0x7F;
}

/* The walkthrough of §7 on a line with the given faults: every result bit-exact. */
static void noisy_walkthrough(double ber_h2d, double ber_d2h, double drop, double dup, uint64_t seed)
{
	hb_link_close(l);
	struct fake_link_line_cfg lc = {.baud = 250000, .ber_h2d = ber_h2d, .ber_d2h = ber_d2h,
					.drop_h2d = drop, .dup_h2d = dup, .seed = seed};
	fake_link_line_on(dev, &lc);
	cr_assert_eq(hb_link_open(&dev->transport, NULL, &l), HB_OK);
	struct hb_link_netcfg c = small_net();
	size_t nw, ni;
	uint8_t *w = weights_of(&c, &nw), *x = inputs_of(&c, &ni);
	bool verified = false;
	cr_assert_eq(hb_link_load_config(l, &c), HB_OK, "%s", hb_link_last_error(l));
	cr_assert_eq(hb_link_load_weights(l, w, nw, &verified), HB_OK, "%s", hb_link_last_error(l));
	cr_assert(verified);
	cr_assert_eq(memcmp(dev->weights, w, nw), 0, "weights not bit-exact on the device");
	uint16_t want[10];
	for (int s = 0; s < 3; s++) {
		for (size_t i = 0; i < ni; i++)
			x[i] = (uint8_t)(x[i] * 5 + s + 1);
		expected_counts(&c, w, x, ni, want);
		cr_assert_eq(hb_link_stream_inputs(l, x, ni, NULL), HB_OK, "%s", hb_link_last_error(l));
		cr_assert_eq(memcmp(dev->input, x, ni), 0, "inputs not bit-exact on the device");
		struct hb_link_infer_result r;
		cr_assert_eq(hb_link_infer(l, (uint32_t)(100 + s), 0, &r), HB_OK, "%s", hb_link_last_error(l));
		cr_assert_eq(r.sample_id, 100 + s);
		cr_assert_arr_eq(r.counts, want, sizeof want, "sample %d differs", s);
	}
	cr_assert(dev->configured, "the device still holds the configuration");
	struct hb_link_counters k;
	cr_assert_eq(hb_link_counters(l, &k), HB_OK, "%s", hb_link_last_error(l));
	cr_assert_geq(k.inferences, 3);
	free(w);
	free(x);
}

Test(client, bit_errors_1e3_host_to_device_complete_bit_exact, .timeout = 120)
{
	noisy_walkthrough(1e-3, 0, 0, 0, 11);
	cr_assert_gt(l->stats.noise_errors, 10, "the line was noisy");
	cr_assert_gt(l->stats.shrinks, 0, "chunks shrank");
	cr_assert_lt(l->stats.chunk_write_min, 1019);
}

Test(client, bit_errors_1e3_both_ways_complete_bit_exact, .timeout = 120)
{
	noisy_walkthrough(1e-3, 1e-3, 0, 0, 12);
	cr_assert_gt(l->stats.corrupted, 0, "responses were damaged too");
	cr_assert_lt(l->stats.chunk_read_min, 1024, "READ chunks shrank");
}

Test(client, dropped_bytes_1e3_complete_bit_exact, .timeout = 120)
{
	noisy_walkthrough(0, 0, 1e-3, 0, 13);
	cr_assert_gt(fake_link_line_stats(dev)->bytes_dropped, 0);
}

Test(client, duplicated_bytes_1e3_complete_bit_exact, .timeout = 120)
{
	noisy_walkthrough(0, 0, 0, 1e-3, 14);
	cr_assert_gt(fake_link_line_stats(dev)->bytes_duped, 0);
}

/* Chunks shrink on a noisy line and grow back to the maximum once it is clean again; the
 * retries of one chunk back off. */
Test(client, chunks_shrink_when_noisy_and_grow_back_when_clean, .timeout = 120)
{
	hb_link_close(l);
	struct fake_link_line_cfg lc = {.baud = 250000, .seed = 5};
	fake_link_line_on(dev, &lc);
	cr_assert_eq(hb_link_open(&dev->transport, NULL, &l), HB_OK);
	static uint8_t img[16384];
	for (size_t i = 0; i < sizeof img; i++)
		img[i] = (uint8_t)(i * 13 + 1);
	/* hb_link_load: plain LOAD, every chunk confirmed (no read-back to lean on) */
	fake_link_line_faults(dev, 2e-3, 0, 0, 0);
	cr_assert_eq(hb_link_load(l, HB_LINK_REGION_WEIGHTS, 0, img, sizeof img), HB_OK, "%s",
		     hb_link_last_error(l));
	cr_assert_eq(memcmp(dev->weights, img, sizeof img), 0);
	cr_assert_gt(l->stats.shrinks, 0);
	uint32_t small = l->stats.chunk_write;
	cr_assert_lt(small, 1019, "the chunk is smaller on the noisy line");
	cr_assert_gt(l->stats.backoff_ns, 0, "retries backed off");
	fake_link_line_faults(dev, 0, 0, 0, 0);
	uint64_t grows = l->stats.grows;
	cr_assert_eq(hb_link_load(l, HB_LINK_REGION_WEIGHTS, 0, img, sizeof img), HB_OK, "%s",
		     hb_link_last_error(l));
	cr_assert_gt(l->stats.grows, grows);
	cr_assert_eq(l->stats.chunk_write, 1019, "back at max_payload - 5 on the clean line");
}

/* A device that is not there fails as fast as before: timeouts count against `retries`
 * (3), not against the larger budget for a noisy line. */
Test(client, silence_still_fails_after_four_attempts)
{
	cr_assert_eq(hb_link_identify(l, NULL), HB_OK);
	dev->drop_responses = 100;
	cr_assert_eq(hb_link_reset(l), HB_ERR_TIMEOUT);
	cr_assert_eq(dev->requests[HB_LINK_RESET], 4);
}

/* The statistics a run puts into its JSON: retries and chunk sizes among them. */
Test(client, stats_list_names_retries_and_chunk_sizes)
{
	configure();
	struct hb_link_stat ls[HB_LINK_STATS_N];
	size_t n = hb_link_stats_list(&l->stats, ls, HB_LINK_STATS_N);
	cr_assert_gt(n, 10);
	bool retries = false, chunk = false;
	for (size_t i = 0; i < n; i++) {
		cr_assert_not_null(ls[i].name);
		for (size_t j = 0; j < i; j++)
			cr_assert_str_neq(ls[i].name, ls[j].name);
		if (!strcmp(ls[i].name, "retries"))
			retries = ls[i].value == l->stats.retries;
		if (!strcmp(ls[i].name, "chunk_write"))
			chunk = ls[i].value >= 1019; /* max_payload - 5 (LOAD) or - 4 (STREAM) */
	}
	cr_assert(retries && chunk);
	cr_assert_eq(hb_link_stats_list(&l->stats, ls, 3), 3);
}

/* An INFER that takes longer than the host expected: the retry is answered BUSY (the first
 * attempt is still computing, as on the gateware), and the host waits for that attempt's
 * answer, which carries the same seq, instead of giving up after three BUSYs. */
Test(client, a_retry_answered_busy_waits_for_the_running_inference, .timeout = 60)
{
	hb_link_close(l);
	struct fake_link_line_cfg lc = {.baud = 250000, .seed = 3};
	fake_link_line_on(dev, &lc);
	cr_assert_eq(hb_link_open(&dev->transport, NULL, &l), HB_OK);
	configure();
	dev->busy_cycles_per_inference = 12000000; /* 1 s at 12 MHz */
	hb_log_set_level(getenv("HB_TEST_LOG") ? HB_LOG_DEBUG : HB_LOG_NONE);
	struct hb_link_infer_result r;
	uint64_t t0 = fc.now;
	cr_assert_eq(hb_link_infer(l, 9, 1200000, &r), HB_OK, "%s", hb_link_last_error(l)); /* expects 0.1 s */
	cr_assert_eq(r.sample_id, 9);
	cr_assert_geq(l->stats.busy, 1, "the retry met BUSY (timeouts %llu, attempts %llu, t %llu)", (unsigned long long)l->stats.timeouts, (unsigned long long)l->stats.attempts, (unsigned long long)(fc.now - t0));
	cr_assert_eq(dev->counters.inferences, 1, "one inference ran: the host waited for it");
	cr_assert_geq(fc.now - t0, 1000000000ull);
}

/* ---- pipelined LOADs and CHECK (the hilbench gateware's capabilities) ---- */

Test(client, pipelined_load_on_noisy_lines_is_bit_exact_and_checks_repairs, .timeout = 120)
{
	dev->id.capabilities |= HB_LINK_CAP_CHECK | HB_LINK_CAP_PIPELINE;
	noisy_walkthrough(1e-3, 0, 0, 0, 21);
	cr_assert_gt(l->stats.pipelined, 10, "WEIGHTS went pipelined");
	cr_assert_gt(l->stats.unconfirmed, 0, "some pipelined chunks were damaged");
	cr_assert_gt(l->stats.repairs, 0);
	/* after the one read-back of WEIGHTS, repairs are confirmed with CHECKs */
	cr_assert_gt(l->stats.checks, 0);
	cr_assert_lt(l->stats.chunk_write_min, 1019, "chunks follow the lost-frame rate");
	cr_assert_gt(l->stats.nudges, 0, "late answers were nudged (docs/protocol.md §5)");
}

Test(client, pipelined_load_with_drops_and_both_way_errors_is_bit_exact, .timeout = 120)
{
	dev->id.capabilities |= HB_LINK_CAP_CHECK | HB_LINK_CAP_PIPELINE;
	noisy_walkthrough(1e-3, 1e-3, 1e-3, 0, 22);
	cr_assert_gt(l->stats.pipelined, 10);
}

/* Without READ nothing is read back: chunks the device did not confirm are resent. Here the
 * answers are damaged (device -> host errors), so every request arrives intact and the
 * resends must leave the image bit-exact. (Damaged requests could also write at damaged
 * offsets; only a device with READ lets the host find those: docs/protocol.md §5.) */
Test(client, pipelined_load_without_read_resends_unconfirmed_chunks, .timeout = 120)
{
	hb_link_close(l);
	dev->id.capabilities = HB_LINK_CAP_BATCH | HB_LINK_CAP_PIPELINE;
	struct fake_link_line_cfg lc = {.baud = 250000, .ber_d2h = 3e-3, .seed = 23};
	fake_link_line_on(dev, &lc);
	cr_assert_eq(hb_link_open(&dev->transport, NULL, &l), HB_OK);
	struct hb_link_netcfg c = small_net();
	size_t nw;
	uint8_t *w = weights_of(&c, &nw);
	bool verified = true;
	cr_assert_eq(hb_link_load_config(l, &c), HB_OK, "%s", hb_link_last_error(l));
	uint64_t attempts0 = l->stats.attempts;
	cr_assert_eq(hb_link_load_weights(l, w, nw, &verified), HB_OK, "%s", hb_link_last_error(l));
	cr_assert_not(verified);
	cr_assert_gt(l->stats.unconfirmed, 0, "the line damaged some answers");
	cr_assert_gt(l->stats.attempts - attempts0, l->stats.pipelined, "their chunks were resent");
	cr_assert_eq(memcmp(dev->weights, w, nw), 0, "weights not bit-exact on the device");
	free(w);
}

/* On a clean line a pipelined load is one pass and one read-back, and much faster than one
 * request at a time when the line has latency (a USB-UART's latency timer). */
Test(client, pipelining_hides_the_line_latency)
{
	double secs[2];
	for (int pipe = 0; pipe < 2; pipe++) {
		hb_link_close(l);
		fake_link_device_free(dev);
		dev = fake_link_device_new();
		dev->id.capabilities |= HB_LINK_CAP_CHECK | HB_LINK_CAP_PIPELINE;
		struct fake_link_line_cfg lc = {.baud = 3000000, .latency_ns = 1000000, .seed = 1};
		fake_link_line_on(dev, &lc);
		struct hb_link_opts o;
		hb_link_opts_default(&o);
		o.pipeline = pipe;
		o.verify = false;
		cr_assert_eq(hb_link_open(&dev->transport, &o, &l), HB_OK);
		struct hb_link_netcfg c = small_net();
		size_t nw;
		uint8_t *w = weights_of(&c, &nw);
		cr_assert_eq(hb_link_load_config(l, &c), HB_OK, "%s", hb_link_last_error(l));
		uint64_t t0 = fc.now;
		cr_assert_eq(hb_link_load_weights(l, w, nw, NULL), HB_OK, "%s", hb_link_last_error(l));
		secs[pipe] = (double)(fc.now - t0) / 1e9;
		cr_assert_eq(memcmp(dev->weights, w, nw), 0);
		cr_assert_eq(l->stats.pipelined > 0, pipe == 1);
		free(w);
	}
	/* one at a time, every chunk but the last waits a round trip (2 ms of latency) that the
	 * pipeline overlaps with sending the next chunks: most of it must be saved */
	struct hb_link_netcfg c = small_net();
	size_t chunks = (hb_link_netcfg_weight_bytes(&c) + 1018) / 1019;
	cr_assert_gt(secs[0] - secs[1], 0.8 * (double)(chunks - 1) * 2e-3,
		     "pipelined %.4f s, one at a time %.4f s (%zu chunks)", secs[1], secs[0], chunks);
}

Test(client, check_returns_the_device_crc_and_needs_the_capability)
{
	uint16_t crc;
	cr_assert_eq(hb_link_check(l, HB_LINK_REGION_WEIGHTS, 0, 100, &crc), HB_ERR_UNSUPPORTED);
	dev->id.capabilities |= HB_LINK_CAP_CHECK;
	l->have_identity = false;
	for (int i = 0; i < 300; i++)
		dev->weights[1000 + i] = (uint8_t)(i * 7);
	cr_assert_eq(hb_link_check(l, HB_LINK_REGION_WEIGHTS, 1000, 300, &crc), HB_OK, "%s",
		     hb_link_last_error(l));
	cr_assert_eq(crc, hb_link_crc16(0xFFFF, dev->weights + 1000, 300));
	cr_assert_eq(hb_link_check(l, HB_LINK_REGION_WEIGHTS, FAKE_LINK_WMEM - 10, 11, &crc), HB_ERR_ARG);
	cr_assert_eq(hb_link_check(l, HB_LINK_REGION_WEIGHTS, 0, 0, &crc), HB_ERR_ARG);
	cr_assert_eq(hb_link_check(l, HB_LINK_REGION_WEIGHTS, 0, 65536, &crc), HB_ERR_ARG);
	cr_assert_eq(l->stats.checks, 1);
}
