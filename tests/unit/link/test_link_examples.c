/* docs/protocol.md §6 quotes byte-level examples; tests/data/link/examples.txt
 * holds them too. Both must be exactly what the encoder produces, and every
 * example must decode back. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "link_examples.h"

static char *slurp(const char *rel)
{
	const char *root = getenv("HB_SOURCE_DIR");
	cr_assert(root, "HB_SOURCE_DIR not set");
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", root, rel);
	FILE *f = fopen(path, "rb");
	cr_assert(f, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *s = malloc((size_t)n + 1);
	cr_assert_eq(fread(s, 1, (size_t)n, f), (size_t)n);
	s[n] = 0;
	fclose(f);
	return s;
}

/* Find the line "# <name>: …" and collect the hex bytes of the lines that follow
 * until a blank line, a "#" line or a code fence. Returns the count, -1 if absent. */
static long find_block(const char *text, const char *name, uint8_t *out, size_t cap)
{
	char key[128];
	snprintf(key, sizeof key, "# %s: ", name);
	const char *p = text;
	for (;;) {
		p = strstr(p, key);
		if (!p)
			return -1;
		if (p == text || p[-1] == '\n')
			break;
		p++;
	}
	p = strchr(p, '\n');
	size_t n = 0;
	while (p && *p == '\n') {
		p++;
		if (*p == '\n' || *p == '#' || *p == '`' || *p == 0)
			break;
		while (*p && *p != '\n') {
			if (isxdigit((unsigned char)p[0]) && isxdigit((unsigned char)p[1])) {
				unsigned v;
				sscanf(p, "%2x", &v);
				if (n < cap)
					out[n] = (uint8_t)v;
				n++;
				p += 2;
			} else {
				p++;
			}
		}
	}
	return (long)n;
}

static void check_text(const char *rel)
{
	char *text = slurp(rel);
	for (size_t i = 0; i < link_examples_count; i++) {
		uint8_t want[HB_LINK_MAX_FRAME], got[HB_LINK_MAX_FRAME];
		size_t n = link_examples[i].build(want);
		long m = find_block(text, link_examples[i].name, got, sizeof got);
		cr_assert_geq(m, 0, "%s lacks example %s", rel, link_examples[i].name);
		cr_assert_eq((size_t)m, n, "%s: %s has %ld bytes, encoder makes %zu", rel,
			     link_examples[i].name, m, n);
		for (size_t k = 0; k < n; k++)
			cr_assert_eq(got[k], want[k], "%s: %s byte %zu is %02X, encoder makes %02X", rel,
				     link_examples[i].name, k, got[k], want[k]);
	}
	free(text);
}

Test(examples, vector_file_matches_the_encoder)
{
	check_text("tests/data/link/examples.txt");
}

Test(examples, protocol_doc_matches_the_encoder)
{
	check_text("docs/protocol.md");
}

Test(examples, every_example_decodes_back)
{
	for (size_t i = 0; i < link_examples_count; i++) {
		uint8_t f[HB_LINK_MAX_FRAME];
		size_t n = link_examples[i].build(f), used;
		struct hb_link_decoder d;
		struct hb_link_event ev;
		hb_link_decoder_init(&d, 0);
		hb_link_decoder_feed(&d, f, n, &used, &ev);
		cr_assert_eq(ev.kind, HB_LINK_EV_FRAME, "%s", link_examples[i].name);
		cr_assert_eq(used, n);
		cr_assert_eq(ev.frame_len, n);
		uint8_t t = ev.type;
		if (t == (HB_LINK_IDENTIFY | 0x80)) {
			struct hb_link_identity id;
			cr_assert_eq(hb_link_identity_decode(ev.payload, ev.len, &id), HB_OK);
			cr_assert_eq(id.proto_version, 1);
		} else if (t == HB_LINK_LOAD) {
			struct hb_link_load_req r;
			cr_assert_eq(hb_link_load_req_decode(ev.payload, ev.len, &r), HB_OK);
			if (r.region == HB_LINK_REGION_CONFIG) {
				struct hb_link_netcfg c, want = link_example_net();
				cr_assert_eq(hb_link_netcfg_unpack(r.data, r.count, &c), HB_OK);
				cr_assert_eq(c.sizes[0], want.sizes[0]);
				cr_assert_eq(c.layer[1].v_reset, -64);
				cr_assert_eq(c.w_offset[1], 64);
			}
		} else if (t == (HB_LINK_INFER | 0x80)) {
			struct hb_link_infer_result r;
			cr_assert_eq(hb_link_infer_result_decode(ev.payload, ev.len, &r), HB_OK);
			cr_assert_eq(r.sample_id, 7);
			cr_assert_eq(r.counts[1], 17);
		} else if (t == HB_LINK_ERROR) {
			struct hb_link_error e;
			cr_assert_eq(hb_link_error_decode(ev.payload, ev.len, &e), HB_OK);
		}
	}
}
