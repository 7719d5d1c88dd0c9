/* Link codec throughput: frame encode (CRC-8 + CRC-16), incremental decode,
 * and CRC-16 alone, against a plain memcpy of the same bytes measured in the
 * same run. Figures are payload MB/s (1 MB = 1e6 bytes).
 *   build/tests/bench/bench_link [payload_bytes] [total_MB]   (defaults 1024, 256) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb_clock.h"
#include "hb_link_codec.h"

static volatile uint64_t sink;

static double seconds(uint64_t t0)
{
	struct hb_clock *c = hb_clock_system();
	return (double)(c->now_ns(c) - t0) / 1e9;
}

static uint64_t now(void)
{
	struct hb_clock *c = hb_clock_system();
	return c->now_ns(c);
}

int main(int argc, char **argv)
{
	size_t plen = argc > 1 ? strtoul(argv[1], NULL, 0) : 1024;
	size_t total_mb = argc > 2 ? strtoul(argv[2], NULL, 0) : 256;
	if (plen < 1 || plen > HB_LINK_MAX_PAYLOAD) {
		fprintf(stderr, "payload_bytes must be 1..%d\n", HB_LINK_MAX_PAYLOAD);
		return 2;
	}
	size_t iters = total_mb * 1000000 / plen;
	/* A batch of frames in one buffer, so decode sees a realistic stream. */
	enum { BATCH = 64 };
	uint8_t *payload = malloc(plen);
	uint8_t *stream = malloc(BATCH * HB_LINK_MAX_FRAME);
	uint8_t *copy = malloc(BATCH * HB_LINK_MAX_FRAME);
	for (size_t i = 0; i < plen; i++)
		payload[i] = (uint8_t)(i * 31 + 7);
	size_t flen = 0;

	/* memcpy baseline: copy the payload into a frame buffer and out again
	 * (what encode + decode must at least do). */
	uint64_t t0 = now();
	for (size_t it = 0; it < iters; it++) {
		uint8_t *f = stream + (it % BATCH) * (plen + HB_LINK_OVERHEAD);
		memcpy(f + HB_LINK_HDR_LEN, payload, plen);
		memcpy(copy, f + HB_LINK_HDR_LEN, plen);
		sink += copy[it % plen];
	}
	double t_memcpy = seconds(t0);

	t0 = now();
	uint16_t crc = 0xFFFF;
	for (size_t it = 0; it < iters; it++)
		crc = hb_link_crc16(crc, payload, plen);
	sink += crc;
	double t_crc = seconds(t0);

	t0 = now();
	for (size_t it = 0; it < iters; it++) {
		uint8_t *f = stream + (it % BATCH) * (plen + HB_LINK_OVERHEAD);
		hb_link_frame_encode(HB_LINK_LOAD, (uint8_t)it, payload, plen, f, HB_LINK_MAX_FRAME, &flen);
	}
	double t_enc = seconds(t0);

	struct hb_link_decoder d;
	hb_link_decoder_init(&d, 0);
	size_t frames = 0;
	t0 = now();
	for (size_t it = 0; it < iters; it += BATCH) {
		size_t n = (iters - it < BATCH ? iters - it : BATCH) * flen, off = 0;
		for (;;) {
			size_t used;
			struct hb_link_event ev;
			hb_link_decoder_feed(&d, stream + off, n - off, &used, &ev);
			off += used;
			if (ev.kind == HB_LINK_EV_NONE)
				break;
			if (ev.kind == HB_LINK_EV_FRAME) {
				memcpy(copy, ev.payload, ev.len);
				frames++;
			}
		}
	}
	double t_dec = seconds(t0);
	if (frames != iters) {
		fprintf(stderr, "decoded %zu frames of %zu\n", frames, iters);
		return 1;
	}

	double mb = (double)iters * (double)plen / 1e6;
	printf("link codec, %zu-byte payloads, %.0f MB per figure\n", plen, mb);
	printf("  memcpy in+out (baseline) %9.1f MB/s\n", mb / t_memcpy);
	printf("  crc16 only               %9.1f MB/s\n", mb / t_crc);
	printf("  frame encode             %9.1f MB/s\n", mb / t_enc);
	printf("  frame decode             %9.1f MB/s\n", mb / t_dec);
	printf("  encode + decode          %9.1f MB/s\n", mb / (t_enc + t_dec));
	printf("  ratio (encode+decode) / memcpy = %.3f  (memcpy is %.0fx faster)\n",
	       t_memcpy / (t_enc + t_dec), (t_enc + t_dec) / t_memcpy);
	printf("  for scale: a 12 Mbaud UART carries 1.2 MB/s\n");
	free(payload);
	free(stream);
	free(copy);
	return 0;
}
