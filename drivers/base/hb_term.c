/* hilbench — escaping outside text for the terminal (hb_term.h). */
#include "hb_term.h"

#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at p (left bytes available), with its code point in
 * *cp; 0 when p does not start one (RFC 3629: no overlongs, no surrogates, <= U+10FFFF). */
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

/* Code points that steer a terminal or the reading order although they are valid text. */
int hb_term_unsafe_cp(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || cp == 0x061C || cp == 0x200E || cp == 0x200F ||
	       (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

/* One unit of output for the text at p: either the raw bytes (clean) or an escape in tmp.
 * *used gets the input bytes consumed; returns the output and its length in *outlen. */
static const char *unit(const unsigned char *p, size_t left, int keep_nl, char tmp[16],
			size_t *used, size_t *outlen)
{
	static const char hex[] = "0123456789abcdef";
	uint32_t cp;
	size_t n = hb_utf8_seq((const char *)p, left, &cp);
	if (n == 0) { /* a byte that does not start valid UTF-8 */
		tmp[0] = '\\', tmp[1] = 'x', tmp[2] = hex[p[0] >> 4], tmp[3] = hex[p[0] & 15];
		*used = 1;
		*outlen = 4;
		return tmp;
	}
	*used = n;
	if (n == 1 && (cp < 0x20 || cp == 0x7F)) {
		if (cp == '\n' && keep_nl) {
			*outlen = 1;
			return (const char *)p;
		}
		const char *named = cp == '\n' ? "\\n" : cp == '\r' ? "\\r" : cp == '\t' ? "\\t" : NULL;
		if (named) {
			*outlen = 2;
			return named;
		}
		tmp[0] = '\\', tmp[1] = 'x', tmp[2] = hex[cp >> 4], tmp[3] = hex[cp & 15];
		*outlen = 4;
		return tmp;
	}
	if (n > 1 && hb_term_unsafe_cp(cp)) {
		int w = snprintf(tmp, 16, "\\u{%04x}", (unsigned)cp);
		*outlen = (size_t)w;
		return tmp;
	}
	*outlen = n;
	return (const char *)p;
}

size_t hb_term_escape(const char *s, char *out, size_t cap)
{
	if (!out || cap == 0)
		return 0;
	if (!s)
		s = "(null)";
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s), o = 0;
	while (left) {
		char tmp[16];
		size_t used, len;
		const char *u = unit(p, left, 0, tmp, &used, &len);
		/* Room for this unit and the NUL; when more follows, also for "..." later. */
		size_t need = len + 1 + (left > used ? 3 : 0);
		if (o + need > cap) {
			if (cap >= 4) {
				while (o + 4 > cap)
					o--; /* only reached when cap is tiny relative to one unit */
				memcpy(out + o, "...", 3);
				o += 3;
			}
			break;
		}
		memcpy(out + o, u, len);
		o += len;
		p += used;
		left -= used;
	}
	if (o >= cap)
		o = cap - 1;
	out[o] = 0;
	return o;
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

static int put_escaped(const char *s, size_t n, FILE *f, int keep_nl)
{
	const unsigned char *p = (const unsigned char *)s;
	while (n) {
		char tmp[16];
		size_t used, len;
		const char *u = unit(p, n, keep_nl, tmp, &used, &len);
		if (fwrite(u, 1, len, f) != len)
			return EOF;
		p += used;
		n -= used;
	}
	return 0;
}

int hb_term_fputs(const char *s, FILE *f, int keep_newlines)
{
	if (!s)
		s = "(null)";
	return put_escaped(s, strlen(s), f, keep_newlines);
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
	/* vsnprintf stops at nothing: a %s argument with an embedded NUL is cut there, which
	 * is what printf would have printed anyway. */
	int rc = put_escaped(buf, (size_t)n, f, 1);
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
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s);
	while (left) {
		char tmp[16];
		size_t used, len;
		const char *u = unit(p, left, 0, tmp, &used, &len);
		if (u != (const char *)p)
			return 0;
		p += used;
		left -= used;
	}
	return 1;
}
