/* hilbench — SHA-256 (FIPS 180-4), for the gateware build hash (bench/core/hb_build.c).
 *
 * Incremental: init, update any number of times, final. No allocation, no I/O. */
#ifndef HB_SHA256_H
#define HB_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct hb_sha256 {
	uint32_t h[8];
	uint64_t n_bytes;    /* message length so far */
	uint8_t block[64];   /* bytes not yet compressed */
	size_t fill;
};

void hb_sha256_init(struct hb_sha256 *s);
void hb_sha256_update(struct hb_sha256 *s, const void *data, size_t len);
void hb_sha256_final(struct hb_sha256 *s, uint8_t digest[32]);
/* One call: digest of a buffer. */
void hb_sha256(const void *data, size_t len, uint8_t digest[32]);

#endif
