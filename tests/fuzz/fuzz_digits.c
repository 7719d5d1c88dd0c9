/* libFuzzer target: the digits data-set reader (gateware/model/hb_digits.c), a CSV a user
 * may pass with --digits FILE.
 *
 * Input: the file's bytes, read through a memory file (memfd, by its /proc path) as the
 * loader reads any file: NUL bytes, CR, missing newlines and long lines included.
 * Checked: an error message is a string inside its buffer; a loaded set has labels 0..9,
 * pixels 0..16, split flags 0/1, and test_idx lists exactly the held-out samples in
 * ascending order. Violations trap. */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hb_model.h"

#define CHECK(x) \
	do { \
		if (!(x)) \
			__builtin_trap(); \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-digits", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	for (size_t off = 0; off < size;) {
		ssize_t w = write(fd, data + off, size - off);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	char path[64], err[256];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	memset(err, 'X', sizeof err);
	struct hb_digits d;
	enum hb_status st = hb_digits_load(path, &d, err, sizeof err);
	close(fd);
	if (st != HB_OK) { /* err is written on failure only */
		CHECK(memchr(err, 0, sizeof err) != NULL);
		CHECK(err[0] != 0 && err[0] != 'X');
		return 0;
	}
	CHECK(d.n > 0);
	unsigned k = 0;
	for (unsigned s = 0; s < d.n; s++) {
		CHECK(d.labels[s] <= 9);
		CHECK(d.held_out[s] <= 1);
		for (unsigned i = 0; i < HB_DIGITS_PIXELS; i++)
			CHECK(d.pixels[s][i] <= 16);
		if (d.held_out[s]) {
			CHECK(k < d.n_test && d.test_idx[k] == s);
			k++;
		}
	}
	CHECK(k == d.n_test);
	uint16_t v[HB_DIGITS_PIXELS];
	hb_digits_values(&d, d.n - 1, v);
	hb_digits_free(&d);
	return 0;
}
