/* hilbench — printing outside text on the terminal (hb_term.h), on hb_escape's rules. */
#include "hb_term.h"

#include <stdlib.h>
#include <string.h>

#include "hb_escape.h"

size_t hb_utf8_seq(const char *s, size_t left, uint32_t *cp)
{
	const unsigned char *p = (const unsigned char *)s;
	if (left == 0)
		return 0;
	unsigned char b = p[0];
	size_t n;
	unsigned char lo = 0x80, hi = 0xBF;
	if (b < 0x80) {
		*cp = b;
		return 1;
	}
	if (b >= 0xC2 && b <= 0xDF) {
		n = 2;
		*cp = b & 0x1Fu;
	} else if (b >= 0xE0 && b <= 0xEF) {
		n = 3;
		*cp = b & 0x0Fu;
		if (b == 0xE0)
			lo = 0xA0;
		else if (b == 0xED)
			hi = 0x9F;
	} else if (b >= 0xF0 && b <= 0xF4) {
		n = 4;
		*cp = b & 0x07u;
		if (b == 0xF0)
			lo = 0x90;
		else if (b == 0xF4)
			hi = 0x8F;
	} else {
		return 0;
	}
	if (left < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		unsigned char c = p[i];
		if (i == 1 ? (c < lo || c > hi) : (c < 0x80 || c > 0xBF))
			return 0;
		*cp = *cp << 6 | (c & 0x3Fu);
	}
	return n;
}

/* The same set hb_escape() escapes (besides bytes that are not UTF-8). */
int hb_term_unsafe_cp(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || cp == 0x061C ||
	       cp == 0x200E || cp == 0x200F || (cp >= 0x2028 && cp <= 0x202E) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

size_t hb_term_escape(const char *s, char *out, size_t cap)
{
	if (!out || cap == 0)
		return 0;
	hb_escape_str(out, cap, s ? s : "(null)");
	return strlen(out);
}

#define RING_N 8
#define RING_LEN 1024

const char *hb_term(const char *s)
{
	static _Thread_local char ring[RING_N][RING_LEN];
	static _Thread_local unsigned next;
	char *b = ring[next++ % RING_N];
	hb_term_escape(s, b, RING_LEN);
	return b;
}

/* Escape n bytes in chunks that end on a character boundary (an escape is at most 4 bytes
 * per input byte, so a chunk's output always fits and is never cut). */
static int put_escaped(const char *s, size_t n, FILE *f)
{
	enum { CHUNK = 1024 };
	char out[4 * CHUNK + 1];
	while (n) {
		size_t k = n < CHUNK ? n : CHUNK;
		/* do not split a UTF-8 sequence: back off over continuation bytes (at most 3) */
		if (k < n)
			for (size_t b = 0; b < 3 && k > 1 && ((unsigned char)s[k] & 0xC0) == 0x80; b++)
				k--;
		hb_escape(out, sizeof out, s, k);
		if (fputs(out, f) == EOF)
			return EOF;
		s += k;
		n -= k;
	}
	return 0;
}

int hb_term_fputs(const char *s, FILE *f, int keep_newlines)
{
	if (!s)
		s = "(null)";
	if (!keep_newlines)
		return put_escaped(s, strlen(s), f);
	for (;;) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);
		if (put_escaped(s, n, f) == EOF)
			return EOF;
		if (!nl)
			return 0;
		if (fputc('\n', f) == EOF)
			return EOF;
		s = nl + 1;
	}
}

int hb_term_vfprintf(FILE *f, const char *fmt, va_list ap)
{
	char small[1024];
	va_list aq;
	va_copy(aq, ap);
	int n = vsnprintf(small, sizeof small, fmt, aq);
	va_end(aq);
	if (n < 0)
		return -1;
	char *buf = small;
	if ((size_t)n >= sizeof small) {
		buf = malloc((size_t)n + 1);
		if (!buf)
			return -1;
		vsnprintf(buf, (size_t)n + 1, fmt, ap);
	}
	int rc = hb_term_fputs(buf, f, 1);
	if (buf != small)
		free(buf);
	return rc == 0 ? n : -1;
}

int hb_term_fprintf(FILE *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = hb_term_vfprintf(f, fmt, ap);
	va_end(ap);
	return n;
}

int hb_term_is_clean(const char *s)
{
	if (!s)
		return 1;
	size_t n = strlen(s);
	char *out = malloc(4 * n + 1);
	if (!out)
		return 0;
	hb_escape(out, 4 * n + 1, s, n);
	int clean = strcmp(out, s) == 0;
	free(out);
	return clean;
}
