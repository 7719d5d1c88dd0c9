/* hilbench — safe strings for gnuplot scripts (hb_gnuplot.h). */
#include "hb_gnuplot.h"

void hb_gp_quote(char *out, size_t cap, const char *s)
{
	size_t o = 0;
	if (cap < 3) {
		if (cap)
			out[0] = '\0';
		return;
	}
	out[o++] = '\'';
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		unsigned c = *p;
		size_t need = c == '\'' ? 2 : 1;
		if (o + need + 2 > cap) /* keep room for the closing quote and the NUL */
			break;
		if (c == '\'') {
			out[o++] = '\'';
			out[o++] = '\'';
		} else if (c < 0x20 || c == 0x7f || c == '`' || c == '@') {
			out[o++] = '_';
		} else {
			out[o++] = (char)c;
		}
	}
	out[o++] = '\'';
	out[o] = '\0';
}
