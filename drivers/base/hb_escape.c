/* hilbench — terminal-safe text. See hb_escape.h. */
#include "hb_escape.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of a well-formed UTF-8 sequence at p (n bytes left) that does not encode a C1
 * control (U+0080..U+009F) or a code point that reorders text or breaks lines (the bidi
 * controls U+061C, U+200E/F, U+202A..E, U+2066..9; U+2028/9), else 0. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	unsigned c = p[0];
	size_t len;
	uint32_t cp;
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
		cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		cp = c & 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3F);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
	    (cp >= 0xD800 && cp <= 0xDFFF) || (cp >= 0x80 && cp <= 0x9F) || cp == 0x061C ||
	    cp == 0x200E || cp == 0x200F || (cp >= 0x2028 && cp <= 0x202E) ||
	    (cp >= 0x2066 && cp <= 0x2069))
		return 0;
	return len;
}

char *hb_escape(char *out, size_t cap, const void *s, size_t n)
{
	const unsigned char *p = s;
	size_t o = 0;
	size_t bound[4] = {0, 0, 0, 0}; /* output lengths at the last unit boundaries */
	unsigned nb = 0;
	if (!out || cap == 0)
		return out;
	for (size_t i = 0; p && i < n;) {
		char tmp[8];
		size_t tl;
		unsigned c = p[i];
		size_t ul = c >= 0x80 ? utf8_len(p + i, n - i) : 0;
		if (c >= 0x20 && c < 0x7F) {
			tmp[0] = (char)c;
			tl = 1;
		} else if (ul) {
			memcpy(tmp, p + i, ul);
			tl = ul;
		} else if (c == '\n' || c == '\r' || c == '\t') {
			tmp[0] = '\\';
			tmp[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
			tl = 2;
		} else {
			snprintf(tmp, sizeof tmp, "\\x%02x", c);
			tl = 4;
		}
		if (o + tl + 1 > cap) {
			/* does not fit: end in "...", cut at the last unit boundary that leaves room
			 * (units are 1..4 bytes, so one of the last four boundaries does) */
			size_t cut = 0;
			for (unsigned k = 0; k < 4 && k < nb + 1; k++) {
				size_t b = k == 0 ? o : bound[(nb - k) % 4];
				if (b + 4 <= cap) {
					cut = b;
					break;
				}
			}
			o = cut;
			if (o + 4 <= cap) {
				memcpy(out + o, "...", 3);
				o += 3;
			}
			break;
		}
		bound[nb % 4] = o;
		nb++;
		memcpy(out + o, tmp, tl);
		o += tl;
		i += ul ? ul : 1;
	}
	out[o] = '\0';
	return out;
}

char *hb_escape_str(char *out, size_t cap, const char *s)
{
	return hb_escape(out, cap, s, s ? strlen(s) : 0);
}

char *hb_escape_inplace(char *buf, size_t cap)
{
	size_t n = strlen(buf);
	char *tmp = malloc(cap);
	if (!tmp) {
		/* no memory: blank out what is not printable ASCII instead */
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)buf[i] < 0x20 || (unsigned char)buf[i] >= 0x7F)
				buf[i] = '?';
		return buf;
	}
	hb_escape(tmp, cap, buf, n);
	memcpy(buf, tmp, strlen(tmp) + 1);
	free(tmp);
	return buf;
}
