/* hilbench twin — bitstream file type and content per FPGA family (see ofl_bitfile.h). */
#include "ofl_bitfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef HB_HAVE_ZLIB
#include <zlib.h>
#endif

enum { LOOK = 64 * 1024 };

static const char *const family_names[] = {"ice40", "ecp5", "artix7"};

int hb_ofl_family_parse(const char *name)
{
	for (int i = 0; name && i < 3; i++)
		if (strcmp(name, family_names[i]) == 0)
			return i;
	return -1;
}

const char *hb_ofl_family_name(enum hb_ofl_family f)
{
	return (unsigned)f < 3 ? family_names[f] : "?";
}

enum hb_status hb_ofl_file_type(const char *path, const char *file_type, char *type, size_t cap,
				int *gz, char *msg, size_t mcap)
{
	*gz = 0;
	const char *dot = strrchr(path, '.');
	/* The parser inflates whenever the name ends in .gz/.gzip, whatever --file-type says. */
	if (dot && (strcmp(dot, ".gz") == 0 || strcmp(dot, ".gzip") == 0))
		*gz = 1;
	if (file_type && *file_type) {
		snprintf(type, cap, "%s", file_type);
		return HB_OK;
	}
	/* openFPGALoader looks for the last '.' in the whole path, not only the file name */
	if (!dot) {
		snprintf(type, cap, "raw");
		return HB_OK;
	}
	if (strncmp(dot + 1, "gz", 2) == 0) {
		const char *d2 = NULL;
		for (const char *p = path; p < dot; p++)
			if (*p == '.')
				d2 = p;
		if (!d2) {
			snprintf(msg, mcap, "file %s is compressed but can't determine real type: "
				 "please add correct extension or use --file-type", path);
			return HB_ERR_ARG;
		}
		snprintf(type, cap, "%.*s", (int)(dot - d2 - 1), d2 + 1);
		return HB_OK;
	}
	snprintf(type, cap, "%s", dot + 1);
	return HB_OK;
}

int hb_ofl_bitfile_has_zlib(void)
{
#ifdef HB_HAVE_ZLIB
	return 1;
#else
	return 0;
#endif
}

static const uint8_t *find(const uint8_t *d, size_t n, const uint8_t *pat, size_t k)
{
	if (n > LOOK)
		n = LOOK;
	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(d + i, pat, k) == 0)
			return d + i;
	return NULL;
}

static const uint8_t ICE40_SYNC[] = {0x7e, 0xaa, 0x99, 0x7e};
static const uint8_t ECP5_PRE[] = {0xff, 0xff, 0xbd, 0xb3};
static const uint8_t ECP5_PRE_ENC[] = {0xff, 0xff, 0xbf, 0xb3};
static const uint8_t XIL_HDR[] = {0x00, 0x09, 0x0f, 0xf0, 0x0f, 0xf0, 0x0f, 0xf0,
				  0x0f, 0xf0, 0x00, 0x00, 0x01, 'a'};
static const uint8_t XIL_SYNC[] = {0xaa, 0x99, 0x55, 0x66};

static void hex4(char *s, size_t cap, const uint8_t *d, size_t n)
{
	snprintf(s, cap, "%02X %02X %02X %02X", n > 0 ? d[0] : 0, n > 1 ? d[1] : 0,
		 n > 2 ? d[2] : 0, n > 3 ? d[3] : 0);
	if (n < 4)
		snprintf(s, cap, "%zu byte%s", n, n == 1 ? "" : "s");
}

static enum hb_status check_content(enum hb_ofl_family f, const char *type, const uint8_t *d,
				    size_t n, char *msg, size_t mcap)
{
	char first[32];
	hex4(first, sizeof first, d, n);
	switch (f) {
	case HB_OFL_ICE40:
		if (find(d, n, ICE40_SYNC, 4))
			return HB_OK;
		snprintf(msg, mcap, "not an iCE40 bitstream: no synchronisation word 7E AA 99 7E in "
			 "its first 64 KiB (it starts %s; icepack output has it after FF 00 and "
			 "a comment)", first);
		return HB_ERR_FORMAT;
	case HB_OFL_ECP5: {
		if (strcmp(type, "bit") == 0) {
			size_t at = n >= 4 && memcmp(d, "LSCC", 4) == 0 ? 4 : 0;
			if (n < at + 2 || d[at] != 0xff || d[at + 1] != 0x00) {
				snprintf(msg, mcap, "not an ECP5 .bit: it starts %s, where ecppack "
					 "writes FF 00 (a comment block), optionally after \"LSCC\"",
					 first);
				return HB_ERR_FORMAT;
			}
		}
		if (find(d, n, ECP5_PRE, 4) || find(d, n, ECP5_PRE_ENC, 4))
			return HB_OK;
		snprintf(msg, mcap, "not an ECP5 bitstream: no preamble FF FF BD B3 in its first "
			 "64 KiB (it starts %s)", first);
		return HB_ERR_FORMAT;
	}
	case HB_OFL_ARTIX7:
		if (n < sizeof XIL_HDR || memcmp(d, XIL_HDR, sizeof XIL_HDR) != 0) {
			snprintf(msg, mcap, "not a Xilinx .bit: it starts %s, where a .bit has the "
				 "header 00 09 0F F0 0F F0 0F F0 0F F0 00 00 01 'a'", first);
			return HB_ERR_FORMAT;
		}
		if (find(d, n, XIL_SYNC, 4))
			return HB_OK;
		snprintf(msg, mcap, "not a Xilinx bitstream: a .bit header but no sync word "
			 "AA 99 55 66 in its first 64 KiB");
		return HB_ERR_FORMAT;
	}
	snprintf(msg, mcap, "unknown family");
	return HB_ERR_ARG;
}

enum hb_status hb_ofl_bitfile_check(enum hb_ofl_family f, const char *type, int gz,
				    const uint8_t *data, size_t n, char *msg, size_t mcap)
{
	static const char *const ok_types[3][3] = {
		[HB_OFL_ICE40] = {"bin", NULL},
		[HB_OFL_ECP5] = {"bit", "bin", NULL},
		[HB_OFL_ARTIX7] = {"bit", NULL},
	};
	static const char *const wants[3] = {
		[HB_OFL_ICE40] = "an iCE40 takes a .bin (icepack output)",
		[HB_OFL_ECP5] = "an ECP5 takes a .bit or .bin (ecppack output)",
		[HB_OFL_ARTIX7] = "an Artix-7 takes a .bit (write_bitstream output)",
	};
	if ((unsigned)f >= 3) {
		snprintf(msg, mcap, "unknown family");
		return HB_ERR_ARG;
	}
	int ok = 0;
	for (int i = 0; ok_types[f][i]; i++)
		ok |= strcmp(type, ok_types[f][i]) == 0;
	if (!ok) {
		snprintf(msg, mcap, "file type '%s' does not fit the board: %s", type, wants[f]);
		return HB_ERR_FORMAT;
	}
	if (!gz)
		return check_content(f, type, data, n, msg, mcap);
	if (n < 2 || data[0] != 0x1f || data[1] != 0x8b) {
		snprintf(msg, mcap, "the name ends in .gz but the file is not gzip (no 1F 8B "
			 "magic): openFPGALoader would fail to decompress it");
		return HB_ERR_FORMAT;
	}
#ifdef HB_HAVE_ZLIB
	uint8_t *out = malloc(LOOK);
	if (!out)
		return HB_ERR_NOMEM;
	z_stream z;
	memset(&z, 0, sizeof z);
	if (inflateInit2(&z, 15 + 32) != Z_OK) {
		free(out);
		return HB_ERR_NOMEM;
	}
	z.next_in = (Bytef *)data;
	z.avail_in = (uInt)(n > 0xffffffffu ? 0xffffffffu : n);
	z.next_out = out;
	z.avail_out = LOOK;
	int r = inflate(&z, Z_SYNC_FLUSH);
	size_t got = LOOK - z.avail_out;
	inflateEnd(&z);
	enum hb_status st;
	if (r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR) {
		snprintf(msg, mcap, "gzip data is corrupt (%s): openFPGALoader would fail to "
			 "decompress it", z.msg ? z.msg : "inflate failed");
		st = HB_ERR_FORMAT;
	} else {
		st = check_content(f, type, out, got, msg, mcap);
	}
	free(out);
	return st;
#else
	return HB_OK; /* gzip magic only: built without zlib */
#endif
}

enum hb_status hb_ofl_bitfile_placeholder(enum hb_ofl_family f, const char *path, size_t payload)
{
	static const char comment[] = "hilbench twin placeholder: not a real bitstream";
	FILE *o = fopen(path, "wb");
	if (!o)
		return errno == EACCES ? HB_ERR_PERM : HB_ERR_IO;
	int ok = 1;
	switch (f) {
	case HB_OFL_ICE40:
		ok &= fwrite("\xff\x00", 1, 2, o) == 2;
		ok &= fwrite(comment, 1, sizeof comment, o) == sizeof comment;
		ok &= fwrite("\x00\xff", 1, 2, o) == 2;
		ok &= fwrite(ICE40_SYNC, 1, 4, o) == 4;
		break;
	case HB_OFL_ECP5:
		ok &= fwrite("\xff\x00", 1, 2, o) == 2;
		ok &= fwrite(comment, 1, sizeof comment, o) == sizeof comment;
		ok &= fwrite(ECP5_PRE, 1, 4, o) == 4;
		break;
	case HB_OFL_ARTIX7:
		ok &= fwrite(XIL_HDR, 1, sizeof XIL_HDR, o) == sizeof XIL_HDR;
		/* field a: length (big-endian 16 bits) and a NUL-terminated string */
		ok &= fputc(0, o) != EOF && fputc((int)sizeof comment, o) != EOF;
		ok &= fwrite(comment, 1, sizeof comment, o) == sizeof comment;
		ok &= fwrite("\xff\xff\xff\xff", 1, 4, o) == 4;
		ok &= fwrite(XIL_SYNC, 1, 4, o) == 4;
		break;
	default:
		ok = 0;
	}
	for (size_t i = 0; ok && i < payload; i++)
		ok &= fputc((int)(i * 131u + 7u) & 0xff, o) != EOF;
	ok = (fclose(o) == 0) && ok;
	return ok ? HB_OK : HB_ERR_IO;
}
