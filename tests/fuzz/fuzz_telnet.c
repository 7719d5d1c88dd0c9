/* libFuzzer target: the Telnet / RFC 2217 client codec (drivers/transport/hb_telnet.c), as
 * a hostile serial server drives it (docs/security.md).
 *
 * Input: byte 0 chooses how the rest is cut into reads (whole, byte by byte, or random
 * chunks); the rest is what the server sends after our hello. Checked: the decoder never
 * writes more data bytes than it read, its subnegotiation buffer and reply queue stay in
 * bounds, and the result does not depend on how the bytes were cut: the data stream, the
 * COM-PORT state (baud, data size, parity, stop size, acknowledgements, DO/DONT) and the
 * replies must be the same as for one whole read (replies only when the whole read's queue
 * did not overflow). Violations trap. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hb_telnet.h"

#define CHECK(x) \
	do { \
		if (!(x)) \
			__builtin_trap(); \
	} while (0)

struct run {
	struct hb_telnet tn;
	uint8_t *data;   /* decoded data bytes */
	size_t ndata;
	uint8_t *replies; /* replies drained after every read */
	size_t nrep;
	int reply_full;   /* the queue was ever so full that a reply may have been dropped */
};

static void feed(struct run *r, const uint8_t *in, size_t n)
{
	size_t o = hb_telnet_decode(&r->tn, in, n, r->data + r->ndata);
	CHECK(o <= n);
	r->ndata += o;
	CHECK(r->tn.sbn <= sizeof r->tn.sb);
	CHECK(r->tn.replyn <= sizeof r->tn.reply);
	CHECK(r->tn.replyn % 3 == 0);
	if (r->tn.replyn + 3 > sizeof r->tn.reply)
		r->reply_full = 1;
	memcpy(r->replies + r->nrep, r->tn.reply, r->tn.replyn);
	r->nrep += r->tn.replyn;
	r->tn.replyn = 0;
}

static int start(struct run *r, size_t size)
{
	memset(r, 0, sizeof *r);
	hb_telnet_init(&r->tn);
	uint8_t hello[64];
	CHECK(hb_telnet_hello(&r->tn, hello, sizeof hello) == 15);
	r->data = malloc(size ? size : 1);
	/* at most one 3-byte reply per 2 input bytes (IAC verb opt is 3) */
	r->replies = malloc(2 * size + 3);
	return r->data && r->replies;
}

static void finish(struct run *r)
{
	free(r->data);
	free(r->replies);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t mode = data[0];
	data++, size--;
	uint8_t *buf = malloc(size ? size : 1); /* exact size: ASan sees over-reads */
	if (!buf)
		return 0;
	memcpy(buf, data, size);

	struct run whole, cut;
	if (!start(&whole, size) || !start(&cut, size)) {
		finish(&whole);
		finish(&cut);
		free(buf);
		return 0;
	}
	feed(&whole, buf, size);
	uint32_t rng = mode * 2654435761u + 1;
	for (size_t off = 0; off < size;) {
		size_t chunk = (mode & 1) ? 1 : 1 + ((rng = rng * 1103515245u + 12345u) >> 16) % 7;
		if (chunk > size - off)
			chunk = size - off;
		feed(&cut, buf + off, chunk);
		off += chunk;
	}
	CHECK(whole.ndata == cut.ndata && memcmp(whole.data, cut.data, whole.ndata) == 0);
	CHECK(whole.tn.state == cut.tn.state);
	CHECK(whole.tn.baud == cut.tn.baud && whole.tn.acked == cut.tn.acked);
	CHECK(whole.tn.datasize == cut.tn.datasize && whole.tn.parity == cut.tn.parity &&
	      whole.tn.stopsize == cut.tn.stopsize);
	CHECK(whole.tn.server_do_comport == cut.tn.server_do_comport);
	CHECK(whole.tn.server_refused_comport == cut.tn.server_refused_comport);
	CHECK(memcmp(whole.tn.we_will, cut.tn.we_will, sizeof whole.tn.we_will) == 0);
	CHECK(memcmp(whole.tn.we_do, cut.tn.we_do, sizeof whole.tn.we_do) == 0);
	if (!whole.reply_full && !cut.reply_full)
		CHECK(whole.nrep == cut.nrep && memcmp(whole.replies, cut.replies, whole.nrep) == 0);
	/* Our own output stays well formed whatever the server did. */
	uint8_t esc[2 * 16], cp[6 + 2 * 4];
	CHECK(hb_telnet_escape((const uint8_t *)"\xff\x01\xff", 3, esc) == 5);
	CHECK(hb_telnet_set_baud(whole.tn.baud, cp) <= sizeof cp);
	finish(&whole);
	finish(&cut);
	free(buf);
	return 0;
}
