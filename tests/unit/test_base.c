#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#define LOG_PREFIX "test"
#include "fake_clock.h"
#include "hb_escape.h"
#include "hb_log.h"
#include "hb_status.h"

Test(status, every_code_has_a_distinct_message)
{
	const char *seen[32] = {0};
	for (int s = 0; s >= HB_ERR_NACK; s--) {
		const char *m = hb_strerror((enum hb_status)s);
		cr_assert(strcmp(m, "unknown status") != 0, "code %d has no message", s);
		for (int k = 0; k < -s; k++)
			cr_assert(strcmp(seen[k], m) != 0, "codes %d and %d share \"%s\"", -k, s, m);
		seen[-s] = m;
	}
	cr_assert_str_eq(hb_strerror((enum hb_status)-999), "unknown status");
}

struct captured {
	int n;
	char last[256];
	enum hb_log_level lvl;
};

static void sink(void *ctx, enum hb_log_level lvl, const char *prefix, const char *msg)
{
	struct captured *c = ctx;
	c->n++;
	c->lvl = lvl;
	snprintf(c->last, sizeof c->last, "%s: %s", prefix, msg);
}

Test(log, levels_filter_and_prefix_is_per_file)
{
	struct captured c = {0};
	hb_log_set_sink(sink, &c);
	hb_log_set_level(HB_LOG_WARN);
	hb_dbg("hidden %d", 1);
	cr_assert_eq(c.n, 0);
	hb_warn("shown %d", 2);
	cr_assert_eq(c.n, 1);
	cr_assert_str_eq(c.last, "test: shown 2");
	hb_log_set_level(HB_LOG_DEBUG);
	hb_dbg("now %s", "visible");
	cr_assert_eq(c.n, 2);
	cr_assert_eq(c.lvl, HB_LOG_DEBUG);
	hb_log_set_sink(NULL, NULL);
	cr_assert_eq(hb_log_parse_level("TRACE"), HB_LOG_TRACE);
	cr_assert_eq(hb_log_parse_level("loud"), -1);
}

Test(clock, fake_clock_sleeps_without_waiting)
{
	struct fake_clock fc;
	fake_clock_install(&fc, 1000);
	uint64_t t0 = hb_now_ns();
	hb_sleep_ns(5000000000ull);
	cr_assert_eq(hb_now_ns() - t0, 5000000000ull);
	cr_assert_eq(fc.sleeps, 1);
	fake_clock_uninstall();
	/* the system clock is monotonic */
	uint64_t a = hb_now_ns(), b = hb_now_ns();
	cr_assert_geq(b, a);
}

Test(escape, control_bytes_and_bad_utf8_never_pass_raw)
{
	char out[64];
	cr_assert_str_eq(hb_escape_str(out, sizeof out, "plain text, 1 \xce\xa9 ok"),
			 "plain text, 1 \xce\xa9 ok"); /* printable ASCII and UTF-8 stay */
	cr_assert_str_eq(hb_escape_str(out, sizeof out, "a\x1b[2Jb\n\r\tc\x7f"),
			 "a\\x1b[2Jb\\n\\r\\tc\\x7f");
	const unsigned char bin[] = {0x00, 0xA5, 0xC2, 0x9B, 0xFF, 'x'}; /* NUL, stray, C1 CSI */
	cr_assert_str_eq(hb_escape(out, sizeof out, bin, sizeof bin),
			 "\\x00\\xa5\\xc2\\x9b\\xffx");
	/* escaping twice changes nothing */
	char twice[64];
	cr_assert_str_eq(hb_escape_str(twice, sizeof twice, out), out);
	/* too long: cut at a unit boundary, "..." at the end, never half an escape */
	char small[12];
	hb_escape_str(small, sizeof small, "ab\x1b\x1b\x1b\x1b");
	cr_assert_str_eq(small, "ab\\x1b...");
	hb_escape_str(small, sizeof small, "abcdefghijklmnop");
	cr_assert_str_eq(small, "abcdefgh...");
	char tiny[1];
	cr_assert_str_eq(hb_escape_str(tiny, sizeof tiny, "abc"), "");
	char ip[32] = "x\x1by";
	cr_assert_str_eq(hb_escape_inplace(ip, sizeof ip), "x\\x1by");
}

Test(log, messages_are_escaped)
{
	struct captured c = {0};
	hb_log_set_sink(sink, &c);
	hb_log_set_level(HB_LOG_WARN);
	hb_err("got '%s' from the line", "\x1b]0;pwned\x07\n");
	hb_log_set_sink(NULL, NULL);
	cr_assert_str_eq(c.last, "test: got '\\x1b]0;pwned\\x07\\n' from the line");
}
