#include "hb_telnet.h"

#include <string.h>

enum { S_DATA, S_IAC, S_OPT, S_SB, S_SB_IAC };

void hb_telnet_init(struct hb_telnet *tn)
{
	memset(tn, 0, sizeof *tn);
}

static void reply3(struct hb_telnet *tn, uint8_t verb, uint8_t opt)
{
	if (tn->replyn + 3 > sizeof tn->reply)
		return;
	tn->reply[tn->replyn++] = HB_TN_IAC;
	tn->reply[tn->replyn++] = verb;
	tn->reply[tn->replyn++] = opt;
}

size_t hb_telnet_hello(struct hb_telnet *tn, uint8_t *out, size_t cap)
{
	static const uint8_t opts[] = {HB_TN_OPT_BINARY, HB_TN_OPT_SGA};
	size_t n = 0;
	if (cap < 18)
		return 0;
	out[n++] = HB_TN_IAC, out[n++] = HB_TN_WILL, out[n++] = HB_TN_OPT_COMPORT;
	tn->we_will[HB_TN_OPT_COMPORT] = 1;
	for (size_t i = 0; i < sizeof opts; i++) {
		out[n++] = HB_TN_IAC, out[n++] = HB_TN_WILL, out[n++] = opts[i];
		out[n++] = HB_TN_IAC, out[n++] = HB_TN_DO, out[n++] = opts[i];
		tn->we_will[opts[i]] = 1;
		tn->we_do[opts[i]] = 1;
	}
	return n;
}

size_t hb_telnet_escape(const uint8_t *in, size_t n, uint8_t *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		out[o++] = in[i];
		if (in[i] == HB_TN_IAC)
			out[o++] = HB_TN_IAC;
	}
	return o;
}

size_t hb_telnet_comport(uint8_t cmd, const uint8_t *val, size_t vn, uint8_t *out)
{
	size_t o = 0;
	out[o++] = HB_TN_IAC, out[o++] = HB_TN_SB, out[o++] = HB_TN_OPT_COMPORT, out[o++] = cmd;
	o += hb_telnet_escape(val, vn, out + o);
	out[o++] = HB_TN_IAC, out[o++] = HB_TN_SE;
	return o;
}

size_t hb_telnet_set_baud(uint32_t baud, uint8_t *out)
{
	uint8_t v[4] = {(uint8_t)(baud >> 24), (uint8_t)(baud >> 16), (uint8_t)(baud >> 8),
			(uint8_t)baud};
	return hb_telnet_comport(HB_CPO_SET_BAUDRATE, v, 4, out);
}

static int wanted(uint8_t opt)
{
	return opt == HB_TN_OPT_BINARY || opt == HB_TN_OPT_SGA || opt == HB_TN_OPT_COMPORT;
}

int hb_telnet_binary_state(const struct hb_telnet *tn)
{
	const uint8_t o = HB_TN_OPT_BINARY;
	if (tn->srv_dont[o] || tn->srv_wont[o])
		return -1;
	return tn->srv_do[o] && tn->srv_will[o] ? 1 : 0;
}

static void on_option(struct hb_telnet *tn, uint8_t verb, uint8_t opt)
{
	switch (verb) {
	case HB_TN_DO: tn->srv_do[opt] = 1, tn->srv_dont[opt] = 0; break;
	case HB_TN_DONT: tn->srv_dont[opt] = 1, tn->srv_do[opt] = 0; break;
	case HB_TN_WILL: tn->srv_will[opt] = 1, tn->srv_wont[opt] = 0; break;
	case HB_TN_WONT: tn->srv_wont[opt] = 1, tn->srv_will[opt] = 0; break;
	}
	switch (verb) {
	case HB_TN_DO: /* server asks us to enable opt */
		if (opt == HB_TN_OPT_COMPORT)
			tn->server_do_comport = 1;
		if (wanted(opt)) {
			if (!tn->we_will[opt]) {
				tn->we_will[opt] = 1;
				reply3(tn, HB_TN_WILL, opt);
			}
		} else {
			reply3(tn, HB_TN_WONT, opt);
		}
		break;
	case HB_TN_DONT:
		if (opt == HB_TN_OPT_COMPORT)
			tn->server_refused_comport = 1;
		if (tn->we_will[opt]) {
			tn->we_will[opt] = 0;
			reply3(tn, HB_TN_WONT, opt);
		}
		break;
	case HB_TN_WILL: /* server offers to enable opt on its side */
		if (wanted(opt) && opt != HB_TN_OPT_COMPORT) {
			if (!tn->we_do[opt]) {
				tn->we_do[opt] = 1;
				reply3(tn, HB_TN_DO, opt);
			}
		} else if (opt != HB_TN_OPT_COMPORT) {
			reply3(tn, HB_TN_DONT, opt);
		}
		break;
	case HB_TN_WONT:
		if (tn->we_do[opt]) {
			tn->we_do[opt] = 0;
			reply3(tn, HB_TN_DONT, opt);
		}
		break;
	}
}

static uint32_t be(const uint8_t *b, size_t n)
{
	uint32_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = v << 8 | b[i];
	return v;
}

static void on_subneg(struct hb_telnet *tn)
{
	if (tn->sb_overflow || tn->sbn < 2 || tn->sb[0] != HB_TN_OPT_COMPORT)
		return;
	uint8_t cmd = tn->sb[1];
	const uint8_t *v = tn->sb + 2;
	size_t vn = tn->sbn - 2;
	if (cmd < HB_CPO_SERVER || cmd - HB_CPO_SERVER >= 32)
		return;
	uint8_t c = (uint8_t)(cmd - HB_CPO_SERVER);
	switch (c) {
	case HB_CPO_SET_BAUDRATE:
		if (vn < 4)
			return;
		tn->baud = be(v, 4);
		break;
	case HB_CPO_SET_DATASIZE:
		if (vn < 1)
			return;
		tn->datasize = v[0];
		break;
	case HB_CPO_SET_PARITY:
		if (vn < 1)
			return;
		tn->parity = v[0];
		break;
	case HB_CPO_SET_STOPSIZE:
		if (vn < 1)
			return;
		tn->stopsize = v[0];
		break;
	default:
		break;
	}
	tn->acked |= 1u << c;
}

size_t hb_telnet_decode(struct hb_telnet *tn, const uint8_t *in, size_t n, uint8_t *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t b = in[i];
		switch (tn->state) {
		case S_DATA:
			if (b == HB_TN_IAC)
				tn->state = S_IAC;
			else
				out[o++] = b;
			break;
		case S_IAC:
			if (b == HB_TN_IAC) {
				out[o++] = b;
				tn->state = S_DATA;
			} else if (b >= HB_TN_WILL && b <= HB_TN_DONT) {
				tn->cmd = b;
				tn->state = S_OPT;
			} else if (b == HB_TN_SB) {
				tn->sbn = 0;
				tn->sb_overflow = 0;
				tn->state = S_SB;
			} else {
				tn->state = S_DATA; /* NOP, GA, ... */
			}
			break;
		case S_OPT:
			on_option(tn, tn->cmd, b);
			tn->state = S_DATA;
			break;
		case S_SB:
			if (b == HB_TN_IAC)
				tn->state = S_SB_IAC;
			else if (tn->sbn < sizeof tn->sb)
				tn->sb[tn->sbn++] = b;
			else
				tn->sb_overflow = 1;
			break;
		case S_SB_IAC:
			if (b == HB_TN_SE) {
				on_subneg(tn);
				tn->state = S_DATA;
			} else {
				if (tn->sbn < sizeof tn->sb)
					tn->sb[tn->sbn++] = b; /* IAC IAC inside SB = 0xFF */
				else
					tn->sb_overflow = 1;
				tn->state = S_SB;
			}
			break;
		}
	}
	return o;
}
