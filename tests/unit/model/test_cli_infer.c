/* hilbench infer, end to end: the binary's output agrees with the library. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hb_model.h"

static int run(const char *args, char *out, size_t cap)
{
	char cmd[2048];
	const char *b = getenv("HB_BUILD_DIR");
	cr_assert(b, "HB_BUILD_DIR not set (run through ctest)");
	snprintf(cmd, sizeof cmd, "%s/bench/hilbench %s 2>&1", b, args);
	FILE *p = popen(cmd, "r");
	cr_assert(p);
	size_t n = fread(out, 1, cap - 1, p);
	out[n] = 0;
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void load_digits(struct hb_net *net, struct hb_digits *d)
{
	char p[1024], err[256];
	snprintf(p, sizeof p, "%s/gateware/model/nets/digits.json", getenv("HB_SOURCE_DIR"));
	cr_assert_eq(hb_net_load(p, net, err, sizeof err), HB_OK, "%s", err);
	snprintf(p, sizeof p, "%s/tests/data/digits/digits.csv", getenv("HB_SOURCE_DIR"));
	cr_assert_eq(hb_digits_load(p, d, err, sizeof err), HB_OK, "%s", err);
}

Test(cli_infer, json_and_bitstreams_match_the_library)
{
	struct hb_net net;
	struct hb_digits d;
	load_digits(&net, &d);
	char tmp[] = "/tmp/hb_bits_XXXXXX";
	int fd = mkstemp(tmp);
	cr_assert_geq(fd, 0);
	close(fd);
	unsigned s = d.test_idx[3];
	char args[512], out[8192];
	snprintf(args, sizeof args, "infer --sample %u --length 128 --json --bitstreams %s", s, tmp);
	cr_assert_eq(run(args, out, sizeof out), 0, "%s", out);

	net.L = 128;
	uint16_t v[HB_DIGITS_PIXELS];
	hb_digits_values(&d, s, v);
	uint8_t want[64 * 16], got[64 * 16 + 1];
	cr_assert_eq(hb_model_input_bytes(&net), sizeof want);
	hb_model_encode(&net, v, want);
	FILE *f = fopen(tmp, "rb");
	size_t n = fread(got, 1, sizeof got, f);
	fclose(f);
	unlink(tmp);
	cr_assert_eq(n, sizeof want, "bitstream file has %zu bytes", n);
	cr_assert_eq(memcmp(got, want, n), 0);

	struct hb_model_result r;
	hb_model_infer(&net, want, &r);
	char frag[256];
	snprintf(frag, sizeof frag, "\"label\":%u,\"held_out\":true", d.labels[s]);
	cr_assert(strstr(out, frag), "%s lacks %s", out, frag);
	snprintf(frag, sizeof frag, "\"class\":%u,\"counts\":[[", r.cls);
	char *c = strstr(out, frag);
	cr_assert(c, "%s lacks %s", out, frag);
	c += strlen(frag);
	for (unsigned j = 0; j < 10; j++) {
		cr_assert_eq(strtoul(c, &c, 10), r.counts[1][j], "count %u", j);
		c++;
	}
	hb_digits_free(&d);
	hb_net_free(&net);
}

Test(cli_infer, usage_errors_exit_2_and_say_why)
{
	char out[4096];
	cr_assert_eq(run("infer", out, sizeof out), 2);
	cr_assert(strstr(out, "--sample"), "%s", out);
	cr_assert_eq(run("infer --net nosuchnet --sample 1", out, sizeof out), 2);
	cr_assert(strstr(out, "digits"), "lists the shipped nets: %s", out);
	cr_assert_eq(run("infer --sample 1 --length 0", out, sizeof out), 2);
	cr_assert(strstr(out, "--length"), "%s", out);
	cr_assert_eq(run("infer --sample 99999", out, sizeof out), 2);
	cr_assert_eq(run("infer --net mnist-shape --sample 1", out, sizeof out), 2);
	cr_assert(strstr(out, "784"), "%s", out);
	cr_assert_eq(run("infer --help", out, sizeof out), 0);
	cr_assert(strstr(out, "Example"), "%s", out);
}
