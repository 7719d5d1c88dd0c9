/* Golden model files: network JSON loader (valid, malformed, round trip), digits data set. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hb_model.h"

static const char *src_path(const char *rel)
{
	static char buf[4][1024];
	static int n;
	const char *root = getenv("HB_SOURCE_DIR");
	cr_assert(root, "HB_SOURCE_DIR not set (run through ctest)");
	char *b = buf[n++ % 4];
	snprintf(b, sizeof buf[0], "%s/%s", root, rel);
	return b;
}

Test(netfile, loads_the_tiny_network)
{
	struct hb_net net;
	char err[256] = "";
	cr_assert_eq(hb_net_load(src_path("tests/data/model/tiny.json"), &net, err, sizeof err), HB_OK, "%s", err);
	cr_assert_str_eq(net.name, "tiny");
	cr_assert_eq(net.n_layers, 1);
	cr_assert_eq(net.L, 16);
	cr_assert_eq(net.in_seed, 0xACE1);
	cr_assert_eq(net.in_stride, 7);
	const struct hb_layer *ly = hb_net_layer(&net, 0);
	cr_assert_eq(ly->n_in, 2);
	cr_assert_eq(ly->n_out, 2);
	cr_assert_eq(ly->wt_seed, 0x1D87);
	cr_assert_eq(ly->wi_seed, 0x6C35);
	cr_assert_eq(ly->v_th, 384);
	cr_assert_eq(ly->leak, 32);
	cr_assert_eq(ly->gain, 128);
	cr_assert_eq(ly->refractory, 1);
	static const uint8_t w[4] = {0x60, 0x20, 0x90, 0x70};
	cr_assert_eq(memcmp(hb_net_weights(&net, 0), w, 4), 0);
	hb_net_free(&net);
	hb_net_free(&net); /* idempotent */
}

struct bad {
	const char *file;
	enum hb_status st;
	const char *pos;  /* "line:col" expected right after the file name */
	const char *word; /* must appear in the reason */
};

Test(netfile, malformed_files_are_refused_with_reason_and_position)
{
	static const struct bad cases[] = {
		{"bad_syntax.json", HB_ERR_FORMAT, ":11:7:", "syntax"},
		{"bad_missing.json", HB_ERR_FORMAT, ":9:5:", "layers[0].v_th: missing"},
		{"bad_crc.json", HB_ERR_CRC, ":15:24:", "CRC-32"},
		{"bad_range.json", HB_ERR_RANGE, ":12:31:", "layers[0].v_th: 40000 is out of range"},
		{"bad_L0.json", HB_ERR_RANGE, ":5:8:", "L: 0 is out of range"},
		{"bad_binary.json", HB_ERR_FORMAT, ":2:13:", "syntax error near 'x\\x1b[2J\\xffgarbag'"},
		{"bad_ctl_name.json", HB_ERR_FORMAT, ":3:11:", "name: control character in the string"},
		{"bad_unknown.json", HB_ERR_FORMAT, ":13:7:", "layers[0].laek: unknown field"},
		{"bad_hex.json", HB_ERR_FORMAT, ":14:27:", "bad hex digit 'x'"},
		{"bad_base64.json", HB_ERR_FORMAT, ":14:30:", "bad base64 character"},
		{"bad_seed.json", HB_ERR_RANGE, ":11:18:", "layers[0].wt_seed: 0 is out of range"},
		{"bad_size.json", HB_ERR_FORMAT, ":14:22:", "expected 2 * n_out * n_in = 8"},
		{"bad_format.json", HB_ERR_FORMAT, ":2:13:", "format: expected \"hilbench-snn-1\""},
		{"bad_nolayers.json", HB_ERR_RANGE, ":2:12:", "0 layers"},
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		char rel[128], err[512] = "";
		snprintf(rel, sizeof rel, "tests/data/model/%s", cases[c].file);
		const char *path = src_path(rel);
		struct hb_net net;
		memset(&net, 0xA5, sizeof net);
		enum hb_status st = hb_net_load(path, &net, err, sizeof err);
		cr_assert_eq(st, cases[c].st, "%s: status %d (%s), expected %d; message: %s", cases[c].file, st,
			     hb_strerror(st), cases[c].st, err);
		cr_assert_eq(net.n_layers, 0, "%s: net not left empty", cases[c].file);
		cr_assert_eq(strncmp(err, path, strlen(path)), 0, "%s: message does not start with the path: %s",
			     cases[c].file, err);
		cr_assert_eq(strncmp(err + strlen(path), cases[c].pos, strlen(cases[c].pos)), 0,
			     "%s: position, expected %s: %s", cases[c].file, cases[c].pos, err);
		cr_assert(strstr(err, cases[c].word), "%s: reason lacks \"%s\": %s", cases[c].file, cases[c].word, err);
	}
}

Test(netfile, missing_file_is_notfound)
{
	struct hb_net net;
	char err[256] = "";
	cr_assert_eq(hb_net_load("/nonexistent/net.json", &net, err, sizeof err), HB_ERR_NOTFOUND);
	cr_assert(strstr(err, "/nonexistent/net.json"), "%s", err);
}

Test(netfile, round_trip_through_json)
{
	static const unsigned sizes[] = {20, 7, 5, 3};
	struct hb_net a, b;
	cr_assert_eq(hb_net_init(&a, 3, sizes, 96), HB_OK);
	snprintf(a.name, sizeof a.name, "rt");
	a.in_seed = 0x1234;
	a.in_stride = 11;
	for (unsigned k = 0; k < 3; k++) {
		struct hb_layer *ly = &a.layers[k];
		ly->v_th = (int16_t)(-1000 + 100 * (int)k);
		ly->v_reset = -32768;
		ly->v_rest = 32767;
		ly->leak = -5;
		ly->refractory = 255;
		for (size_t q = 0; q < (size_t)ly->n_in * ly->n_out; q++)
			ly->weights[q] = (uint8_t)(q * 37 + k);
	}
	char *json = NULL;
	cr_assert_eq(hb_net_to_json(&a, &json), HB_OK);
	char err[256] = "";
	cr_assert_eq(hb_net_parse(json, strlen(json), "rt", &b, err, sizeof err), HB_OK, "%s", err);
	cr_assert_str_eq(b.name, "rt");
	cr_assert_eq(b.n_layers, 3);
	cr_assert_eq(b.L, 96);
	cr_assert_eq(b.in_seed, 0x1234);
	cr_assert_eq(b.in_stride, 11);
	for (unsigned k = 0; k < 3; k++) {
		const struct hb_layer *x = &a.layers[k], *y = &b.layers[k];
		cr_assert_eq(x->n_in, y->n_in);
		cr_assert_eq(x->n_out, y->n_out);
		cr_assert_eq(x->wt_seed, y->wt_seed);
		cr_assert_eq(x->wi_seed, y->wi_seed);
		cr_assert_eq(x->i_scale, y->i_scale);
		cr_assert_eq(x->v_th, y->v_th);
		cr_assert_eq(x->v_reset, y->v_reset);
		cr_assert_eq(x->v_rest, y->v_rest);
		cr_assert_eq(x->leak, y->leak);
		cr_assert_eq(x->gain, y->gain);
		cr_assert_eq(x->refractory, y->refractory);
		cr_assert_eq(memcmp(x->weights, y->weights, (size_t)x->n_in * x->n_out), 0);
	}
	/* a seed of 0 for some input is refused: in_seed + in_stride * i = 0 mod 65536 */
	hb_net_free(&b);
	a.in_seed = (uint16_t)(65536 - 3 * 11);
	cr_assert_eq(hb_net_validate(&a, err, sizeof err), HB_ERR_RANGE);
	cr_assert(strstr(err, "input 3"), "%s", err);
	free(json);
	hb_net_free(&a);
}

Test(netfile, shipped_networks_load)
{
	static const char *const nets[] = {"digits", "mnist-shape"};
	static const unsigned shape[2][3] = {{64, 32, 10}, {784, 128, 10}};
	for (int n = 0; n < 2; n++) {
		char rel[128], err[256] = "";
		snprintf(rel, sizeof rel, "gateware/model/nets/%s.json", nets[n]);
		struct hb_net net;
		cr_assert_eq(hb_net_load(src_path(rel), &net, err, sizeof err), HB_OK, "%s", err);
		cr_assert_str_eq(net.name, nets[n]);
		cr_assert_eq(net.n_layers, 2);
		cr_assert_eq(net.layers[0].n_in, shape[n][0]);
		cr_assert_eq(net.layers[0].n_out, shape[n][1]);
		cr_assert_eq(net.layers[1].n_out, shape[n][2]);
		cr_assert_eq(net.L % 8, 0, "a shipped network must be streamable");
		hb_net_free(&net);
	}
}

/* ---- digits ----------------------------------------------------------------- */

Test(digits, data_set_loads_with_a_held_out_split)
{
	struct hb_digits d;
	char err[256] = "";
	cr_assert_eq(hb_digits_load(src_path("tests/data/digits/digits.csv"), &d, err, sizeof err), HB_OK, "%s", err);
	cr_assert_eq(d.n, 1797);
	cr_assert_gt(d.n_test, d.n / 5);
	cr_assert_lt(d.n_test, d.n / 2);
	unsigned per_label[10] = {0};
	for (unsigned s = 0; s < d.n_test; s++) {
		cr_assert(d.held_out[d.test_idx[s]]);
		if (s)
			cr_assert_gt(d.test_idx[s], d.test_idx[s - 1]);
		per_label[d.labels[d.test_idx[s]]]++;
	}
	for (int l = 0; l < 10; l++)
		cr_assert_gt(per_label[l], 20, "label %d has %u held-out samples", l, per_label[l]);
	cr_assert_eq(hb_digits_value(0), 0);
	cr_assert_eq(hb_digits_value(16), 65535);
	cr_assert_eq(hb_digits_value(8), 32768);
	hb_digits_free(&d);
}

Test(digits, malformed_csv_is_refused_with_line_and_column)
{
	char path[] = "/tmp/hb_digits_bad_XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	FILE *f = fdopen(fd, "w");
	fprintf(f, "# comment\n");
	fprintf(f, "3,0");
	for (int i = 0; i < 64; i++)
		fprintf(f, ",%d", i % 17);
	fprintf(f, "\n4,1");
	for (int i = 0; i < 64; i++)
		fprintf(f, ",%d", i == 5 ? 17 : 0);
	fprintf(f, "\n");
	fclose(f);
	struct hb_digits d;
	char err[256] = "";
	cr_assert_eq(hb_digits_load(path, &d, err, sizeof err), HB_ERR_FORMAT);
	/* line 3, field 8 (pixel 5) starts at column 4 + 2 * 5 + 1 = 15 */
	cr_assert(strstr(err, ":3:15: field 8 (pixel)"), "%s", err);
	cr_assert_eq(d.n, 0);
	unlink(path);
}

/* The accuracy of the shipped digits network on the held-out samples, computed with the
 * exact model at L = 256. DIGITS_MIN_ACCURACY is the documented level (docs/network-format.md). */
#define DIGITS_MIN_ACCURACY 0.95
Test(digits, held_out_accuracy_at_L256, .timeout = 120)
{
	struct hb_net net;
	struct hb_digits d;
	char err[256] = "";
	cr_assert_eq(hb_net_load(src_path("gateware/model/nets/digits.json"), &net, err, sizeof err), HB_OK, "%s", err);
	cr_assert_eq(hb_digits_load(src_path("tests/data/digits/digits.csv"), &d, err, sizeof err), HB_OK, "%s", err);
	net.L = 256;
	unsigned correct = 0;
	for (unsigned s = 0; s < d.n_test; s++) {
		uint16_t v[HB_DIGITS_PIXELS];
		struct hb_model_result r;
		hb_digits_values(&d, d.test_idx[s], v);
		cr_assert_eq(hb_model_infer_values(&net, v, &r), HB_OK);
		correct += r.cls == d.labels[d.test_idx[s]];
	}
	double acc = (double)correct / d.n_test;
	cr_log_info("digits held-out accuracy at L=256: %u/%u = %.4f", correct, d.n_test, acc);
	cr_assert_geq(acc, DIGITS_MIN_ACCURACY, "accuracy %.4f below the documented %.2f", acc, DIGITS_MIN_ACCURACY);
	hb_digits_free(&d);
	hb_net_free(&net);
}

/* The worked example of docs/semantics.md §10 (a spec vector: the doc quotes these bytes). */
Test(netfile, worked_example_of_the_semantics_doc)
{
	struct hb_net net;
	char err[256] = "";
	cr_assert_eq(hb_net_load(src_path("tests/data/model/tiny.json"), &net, err, sizeof err), HB_OK, "%s", err);
	const uint16_t vals[2] = {60000, 50000};
	uint8_t bits[4], sp[4], sp_ref[4];
	static const uint8_t want_bits[4] = {0xFF, 0x7F, 0xEF, 0xFC};
	static const uint8_t want_spikes[4] = {0x08, 0x22, 0x00, 0x40};
	cr_assert_eq(hb_model_input_bytes(&net), 4);
	cr_assert_eq(hb_model_encode(&net, vals, bits), HB_OK);
	cr_assert_eq(memcmp(bits, want_bits, 4), 0, "bits %02X %02X %02X %02X", bits[0], bits[1], bits[2], bits[3]);
	struct hb_model_result r, rr;
	uint8_t *tr[1] = {sp}, *tr_ref[1] = {sp_ref};
	cr_assert_eq(hb_model_infer_ex(&net, bits, &r, tr), HB_OK);
	cr_assert_eq(hb_model_infer_naive_ex(&net, bits, &rr, tr_ref), HB_OK);
	cr_assert_eq(memcmp(sp, want_spikes, 4), 0, "spikes %02X %02X %02X %02X", sp[0], sp[1], sp[2], sp[3]);
	cr_assert_eq(memcmp(sp_ref, want_spikes, 4), 0);
	cr_assert_eq(r.counts[0][0], 3);
	cr_assert_eq(r.counts[0][1], 1);
	cr_assert_eq(r.cls, 0);
	/* the LFSR states of the table */
	cr_assert_eq(hb_lfsr_advance(0x1D87, 7), 0xC39B);
	cr_assert_eq(hb_lfsr_step(0x6C35), 0xD86A);
	cr_assert_eq(hb_model_weight_bit(&net, 0, 1, 0, 2), 1); /* a0 = 13 < 16 */
	cr_assert_eq(hb_model_weight_bit(&net, 0, 1, 0, 3), 0); /* a0 = 64 >= 16 */
	hb_net_free(&net);
}

/* Mutated and truncated copies of a valid file never crash the loader; each refusal carries
 * a position and a reason. The buffers are not NUL-terminated (ASan catches over-reads). */
Test(netfile, mutations_are_refused_cleanly, .timeout = 120)
{
	FILE *f = fopen(src_path("tests/data/model/tiny.json"), "rb");
	cr_assert(f);
	char text[4096];
	size_t n = fread(text, 1, sizeof text, f);
	fclose(f);
	uint64_t r = 0x9E3779B97F4A7C15ull;
	unsigned refused = 0;
	static const char alphabet[] = "{}[]\",:0123456789-+.eE xabcdefAF\n\\tru";
	for (unsigned it = 0; it < 4000; it++) {
		char *buf = malloc(n);
		memcpy(buf, text, n);
		size_t len = n;
		r ^= r << 13, r ^= r >> 7, r ^= r << 17;
		unsigned kind = r % 3, nmut = 1 + (r >> 8) % 3;
		if (kind == 0) {
			len = (r >> 16) % n; /* truncation */
		} else {
			for (unsigned m = 0; m < nmut; m++) {
				r ^= r << 13, r ^= r >> 7, r ^= r << 17;
				buf[(r >> 3) % n] = kind == 1 ? alphabet[(r >> 20) % (sizeof alphabet - 1)] : (char)(r >> 40);
			}
		}
		struct hb_net net;
		char err[512] = "";
		enum hb_status st = hb_net_parse(buf, len, "m.json", &net, err, sizeof err);
		if (st == HB_OK) {
			cr_assert_eq(net.n_layers, 1);
			hb_net_free(&net);
		} else {
			refused++;
			unsigned line, col;
			cr_assert_eq(sscanf(err, "m.json:%u:%u:", &line, &col), 2, "no origin/position: %s", err);
			cr_assert(line >= 1 && col >= 1, "%s", err);
			cr_assert_gt(strlen(err), 12, "no reason: %s", err);
			cr_assert_eq(net.n_layers, 0);
		}
		free(buf);
	}
	cr_assert_gt(refused, 3000u);
}

Test(netfile, a_directory_is_not_a_network_and_where_names_a_field)
{
	struct hb_net net;
	char err[256] = "";
	cr_assert_eq(hb_net_load("/tmp", &net, err, sizeof err), HB_ERR_FORMAT);
	cr_assert(strstr(err, "/tmp: is a directory"), "%s", err);
	char where[512];
	const char *p = src_path("tests/data/model/tiny_L12.json");
	hb_net_where(p, -1, "L", where, sizeof where);
	cr_assert(strstr(where, "tiny_L12.json:5:8: L") && !strcmp(where + strlen(where) - 5, ":8: L"),
		  "%s", where);
	hb_net_where(src_path("tests/data/model/tiny.json"), 0, "v_th", where, sizeof where);
	cr_assert(strstr(where, "tiny.json:12:31: layers[0].v_th"), "%s", where);
	hb_net_where("/nonexistent.json", -1, "L", where, sizeof where);
	cr_assert_str_eq(where, "/nonexistent.json: L");
}
