/* hb_term: outside text printed so it cannot drive a terminal (docs/security.md). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hb_log.h"
#include "hb_term.h"

/* Every byte of s is printable ASCII, or part of a valid UTF-8 sequence that is not a
 * control: what a terminal shows as text. */
static void assert_inert(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s);
	while (left) {
		uint32_t cp;
		size_t n = hb_utf8_seq((const char *)p, left, &cp);
		cr_assert(n > 0, "invalid UTF-8 left in \"%s\" at byte 0x%02x", s, *p);
		cr_assert(!hb_term_unsafe_cp(cp), "U+%04X left in the output", (unsigned)cp);
		p += n;
		left -= n;
	}
}

Test(term, clean_text_passes_unchanged)
{
	const char *ok[] = {"digits", "iCE40UP5K-SG48 @ 24 MHz", "réseau — 3.3 V, µA", "a\\b", "日本語", ""};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		char out[256];
		hb_term_escape(ok[i], out, sizeof out);
		cr_assert_str_eq(out, ok[i]);
		cr_assert(hb_term_is_clean(ok[i]));
	}
}

Test(term, controls_escapes_bidi_and_bad_utf8_are_escaped)
{
	/* hb_escape's rules: \n \r \t, else \xNN per byte */
	static const struct {
		const char *in, *want;
	} v[] = {
		{"a\x1b[2Jb", "a\\x1b[2Jb"},             /* erase screen */
		{"\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07"}, /* set window title */
		{"x\ny\rz\tw", "x\\ny\\rz\\tw"},
		{"del\x7f", "del\\x7f"},
		{"c1 \xc2\x9b" "31m", "c1 \\xc2\\x9b31m"},   /* U+009B: a one-byte CSI */
		{"rlo \xe2\x80\xae" "cba", "rlo \\xe2\\x80\\xaecba"}, /* right-to-left override */
		{"ls \xe2\x80\xa8", "ls \\xe2\\x80\\xa8"}, /* line separator */
		{"bad \xff\xfe", "bad \\xff\\xfe"},
		{"overlong \xc0\xaf", "overlong \\xc0\\xaf"},
		{"surrogate \xed\xa0\x80", "surrogate \\xed\\xa0\\x80"},
		{"cut \xe2\x82", "cut \\xe2\\x82"},
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		char out[256];
		size_t n = hb_term_escape(v[i].in, out, sizeof out);
		cr_assert_str_eq(out, v[i].want, "case %zu", i);
		cr_assert_eq(n, strlen(out));
		cr_assert(!hb_term_is_clean(v[i].in));
		assert_inert(out);
		assert_inert(hb_term(v[i].in));
	}
}

Test(term, long_text_is_cut_whole_and_marked)
{
	char in[3000], out[64];
	for (size_t i = 0; i < sizeof in - 1; i++)
		in[i] = i % 3 ? 'a' : '\x1b';
	in[sizeof in - 1] = 0;
	for (size_t cap = 4; cap <= sizeof out; cap++) {
		size_t n = hb_term_escape(in, out, cap);
		cr_assert_lt(n, cap);
		cr_assert_eq(n, strlen(out));
		cr_assert(n >= 3 && strcmp(out + n - 3, "...") == 0, "cap %zu: %s", cap, out);
		/* never half an escape: the text before "..." re-reads as whole units */
		out[n - 3] = 0;
		char *p = out;
		while ((p = strchr(p, '\\'))) {
			cr_assert(p[1] == 'x' && p[2] && p[3], "cap %zu: cut escape in %s", cap, out);
			p += 4;
		}
	}
	cr_assert_lt(strlen(hb_term(in)), 1024);
}

Test(term, fputs_and_fprintf_escape_everything_but_wanted_newlines)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	hb_term_fputs("one\ntwo\x1b", f, 1);
	hb_term_fputs("|three\nfour", f, 0);
	hb_term_fprintf(f, "|net %s on %s\n", "n\x1b[1A", "b\x9b");
	fclose(f);
	cr_assert_str_eq(buf, "one\ntwo\\x1b|three\\nfour|net n\\x1b[1A on b\\x9b\n");
	free(buf);
}

Test(term, log_lines_on_stderr_are_escaped)
{
	/* No sink installed: messages go to stderr, redirected here to a file. */
	char path[] = "/tmp/hb_term_log_XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	fflush(stderr);
	FILE *saved = fdopen(dup(2), "w");
	cr_assert_not_null(saved);
	cr_assert_neq(dup2(fd, 2), -1);
	hb_log_set_sink(NULL, NULL);
	hb_log_msg(HB_LOG_ERROR, "test", "name '%s'", "evil\x1b[2J\nforged line");
	fflush(stderr);
	dup2(fileno(saved), 2);
	fclose(saved);
	FILE *in = fdopen(fd, "r");
	rewind(in);
	char got[4096];
	size_t n = fread(got, 1, sizeof got - 1, in);
	got[n] = 0;
	fclose(in);
	unlink(path);
	cr_assert_str_eq(got, "hilbench: error: test: name 'evil\\x1b[2J\\nforged line'\n");
}
