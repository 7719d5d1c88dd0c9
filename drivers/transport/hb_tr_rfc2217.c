/* hilbench — rfc2217: transport, Telnet with the COM-PORT-OPTION (ser2net "telnet(rfc2217)").
 * URI: rfc2217://host:port[?connect_timeout=MS&negotiate_timeout=MS].
 * On open: our Telnet options (WILL COM-PORT, BINARY, SGA), wait for the server's DO
 * COM-PORT and for BINARY agreed in both directions (DO BINARY and WILL BINARY: without it
 * the server may send a CR as CR NUL), then SET-BAUDRATE / SET-DATASIZE 8 / SET-PARITY
 * NONE / SET-STOPSIZE 1, each acknowledged by the server. Data 0xFF bytes are doubled on
 * the wire both ways. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hb_params.h"
#include "hb_telnet.h"
#include "hb_tr_sock.h"
#include "hb_tr_util.h"
#include "hb_transport.h"

#define LOG_PREFIX "rfc2217"
#include "hb_log.h"

struct r2_priv {
	int fd;
	char who[200];
	int neg_ms;
	struct hb_telnet tn;
	uint8_t rx[4096]; /* decoded data not yet handed out */
	size_t rxn, rxoff;
};

static enum hb_status send_replies(struct r2_priv *p)
{
	if (!p->tn.replyn)
		return HB_OK;
	enum hb_status st = hb_sock_write(p->fd, p->tn.reply, p->tn.replyn, 1000, p->who);
	p->tn.replyn = 0;
	return st;
}

/* Read once from the socket (up to timeout), decode into rx, answer negotiation. */
static enum hb_status pump(struct r2_priv *p, int timeout_ms)
{
	uint8_t raw[2048];
	size_t got;
	if (p->rxoff == p->rxn)
		p->rxoff = p->rxn = 0;
	size_t room = sizeof p->rx - p->rxn;
	size_t want = room < sizeof raw ? room : sizeof raw;
	if (want == 0) {
		/* Only while waiting for a negotiation answer (reads hand data out first): a
		 * server that sends this much data instead of answering is not waited for, which
		 * would spin until the deadline. */
		hb_err("%s: more than %zu data bytes arrived while waiting for the server's answer",
		       p->who, sizeof p->rx);
		return HB_ERR_RANGE;
	}
	enum hb_status st = hb_sock_read(p->fd, raw, want, &got, timeout_ms, p->who);
	if (st != HB_OK)
		return st;
	p->rxn += hb_telnet_decode(&p->tn, raw, got, p->rx + p->rxn);
	return send_replies(p);
}

/* Pump until cond(p) or the deadline. */
static enum hb_status wait_for(struct r2_priv *p, int (*cond)(struct r2_priv *, uint32_t),
			       uint32_t arg, int timeout_ms, const char *what)
{
	uint64_t deadline = hb_tr_deadline(timeout_ms);
	while (!cond(p, arg)) {
		if (p->tn.server_refused_comport) {
			hb_err("%s: server refuses the COM-PORT option (not an RFC 2217 port; "
			       "use tcp:// for a raw port)", p->who);
			return HB_ERR_PROTO;
		}
		int left = hb_tr_left(deadline);
		if (left == 0) {
			hb_err("%s: no %s from the server in %d ms", p->who, what, timeout_ms);
			return HB_ERR_TIMEOUT;
		}
		enum hb_status st = pump(p, left);
		if (st != HB_OK && st != HB_ERR_TIMEOUT)
			return st;
	}
	return HB_OK;
}

static int have_do(struct r2_priv *p, uint32_t arg)
{
	(void)arg;
	return p->tn.server_do_comport;
}

static int binary_answered(struct r2_priv *p, uint32_t arg)
{
	(void)arg;
	return hb_telnet_binary_state(&p->tn) != 0;
}

static int have_acks(struct r2_priv *p, uint32_t mask)
{
	return (p->tn.acked & mask) == mask;
}

static enum hb_status send_baud(struct r2_priv *p, unsigned baud)
{
	uint8_t b[16];
	p->tn.acked &= ~(1u << HB_CPO_SET_BAUDRATE);
	size_t n = hb_telnet_set_baud(baud, b);
	enum hb_status st = hb_sock_write(p->fd, b, n, 1000, p->who);
	if (st == HB_OK)
		st = wait_for(p, have_acks, 1u << HB_CPO_SET_BAUDRATE, p->neg_ms, "SET-BAUDRATE reply");
	if (st == HB_OK && p->tn.baud != baud) {
		hb_err("%s: server set %u baud instead of %u", p->who, p->tn.baud, baud);
		return HB_ERR_UNSUPPORTED;
	}
	return st;
}

static enum hb_status r2_negotiate(struct r2_priv *p, unsigned baud)
{
	uint8_t b[64];
	size_t n = hb_telnet_hello(&p->tn, b, sizeof b);
	enum hb_status st = hb_sock_write(p->fd, b, n, 1000, p->who);
	if (st == HB_OK)
		st = wait_for(p, have_do, 0, p->neg_ms, "DO COM-PORT-OPTION");
	if (st == HB_OK)
		st = wait_for(p, binary_answered, 0, p->neg_ms, "answer to BINARY (DO and WILL)");
	if (st == HB_ERR_TIMEOUT && p->tn.server_do_comport) {
		hb_err("%s: the server did not agree to BINARY in both directions (DO %s, WILL %s): "
		       "data bytes could be changed (CR sent as CR NUL)", p->who,
		       p->tn.srv_do[HB_TN_OPT_BINARY] ? "yes" : "no",
		       p->tn.srv_will[HB_TN_OPT_BINARY] ? "yes" : "no");
		return HB_ERR_PROTO;
	}
	if (st != HB_OK)
		return st;
	if (hb_telnet_binary_state(&p->tn) < 0) {
		hb_err("%s: the server refuses BINARY mode (%s%s): data bytes would be changed (a CR "
		       "sent as CR NUL); configure the port for binary (ser2net: telnet(rfc2217) "
		       "accepter)", p->who, p->tn.srv_dont[HB_TN_OPT_BINARY] ? "DONT BINARY" : "",
		       p->tn.srv_wont[HB_TN_OPT_BINARY] ? " WONT BINARY" : "");
		return HB_ERR_PROTO;
	}
	static const uint8_t eight = 8, none = HB_CPO_PARITY_NONE, one = HB_CPO_STOPSIZE_1;
	n = hb_telnet_comport(HB_CPO_SET_DATASIZE, &eight, 1, b);
	n += hb_telnet_comport(HB_CPO_SET_PARITY, &none, 1, b + n);
	n += hb_telnet_comport(HB_CPO_SET_STOPSIZE, &one, 1, b + n);
	st = hb_sock_write(p->fd, b, n, 1000, p->who);
	if (st == HB_OK)
		st = wait_for(p, have_acks,
			      1u << HB_CPO_SET_DATASIZE | 1u << HB_CPO_SET_PARITY |
				      1u << HB_CPO_SET_STOPSIZE,
			      p->neg_ms, "line-settings reply");
	if (st == HB_OK && (p->tn.datasize != 8 || p->tn.parity != HB_CPO_PARITY_NONE ||
			    p->tn.stopsize != HB_CPO_STOPSIZE_1)) {
		hb_err("%s: server did not accept 8N1 (size %u parity %u stop %u)", p->who,
		       p->tn.datasize, p->tn.parity, p->tn.stopsize);
		return HB_ERR_UNSUPPORTED;
	}
	if (st == HB_OK)
		st = send_baud(p, baud);
	return st;
}

static enum hb_status r2_open(struct hb_transport *t, const char *target, const char *params,
			      unsigned baud)
{
	struct hb_params prm;
	unsigned long cto = 3000, nto = 2000;
	enum hb_status st = hb_params_parse(&prm, params);
	if (st == HB_OK)
		st = hb_params_take_uint(&prm, "rfc2217", "connect_timeout", 1, 600000, &cto);
	if (st == HB_OK)
		st = hb_params_take_uint(&prm, "rfc2217", "negotiate_timeout", 1, 600000, &nto);
	if (st == HB_OK)
		st = hb_params_finish(&prm, "rfc2217");
	if (st != HB_OK)
		return st;
	struct r2_priv *p = calloc(1, sizeof *p);
	if (!p)
		return HB_ERR_NOMEM;
	snprintf(p->who, sizeof p->who, "rfc2217://%s", target);
	p->neg_ms = (int)nto;
	hb_telnet_init(&p->tn);
	st = hb_sock_connect_tcp(target, (int)cto, &p->fd);
	if (st != HB_OK) {
		free(p);
		return st;
	}
	st = r2_negotiate(p, baud ? baud : 115200);
	if (st != HB_OK) {
		close(p->fd);
		free(p);
		return st;
	}
	t->priv = p;
	return HB_OK;
}

static void r2_close(struct hb_transport *t)
{
	struct r2_priv *p = t->priv;
	if (!p)
		return;
	close(p->fd);
	free(p);
	t->priv = NULL;
}

static enum hb_status r2_read(struct hb_transport *t, void *buf, size_t cap, size_t *got,
			      int timeout_ms)
{
	struct r2_priv *p = t->priv;
	uint64_t deadline = hb_tr_deadline(timeout_ms);
	while (p->rxoff == p->rxn) {
		int left = hb_tr_left(deadline);
		if (left == 0)
			return HB_ERR_TIMEOUT;
		enum hb_status st = pump(p, left);
		if (st != HB_OK)
			return st;
	}
	size_t n = p->rxn - p->rxoff;
	if (n > cap)
		n = cap;
	memcpy(buf, p->rx + p->rxoff, n);
	p->rxoff += n;
	*got = n;
	return HB_OK;
}

static enum hb_status r2_write(struct hb_transport *t, const void *buf, size_t len,
			       int timeout_ms)
{
	struct r2_priv *p = t->priv;
	uint8_t esc[2048];
	const uint8_t *b = buf;
	uint64_t deadline = hb_tr_deadline(timeout_ms);
	while (len) {
		size_t chunk = len > sizeof esc / 2 ? sizeof esc / 2 : len;
		size_t n = hb_telnet_escape(b, chunk, esc);
		int left = hb_tr_left(deadline);
		if (left == 0)
			return HB_ERR_TIMEOUT;
		enum hb_status st = hb_sock_write(p->fd, esc, n, left, p->who);
		if (st != HB_OK)
			return st;
		b += chunk;
		len -= chunk;
	}
	return HB_OK;
}

static enum hb_status r2_flush(struct hb_transport *t)
{
	struct r2_priv *p = t->priv;
	uint8_t b[16];
	static const uint8_t both = HB_CPO_PURGE_BOTH;
	size_t n = hb_telnet_comport(HB_CPO_PURGE_DATA, &both, 1, b);
	enum hb_status st = hb_sock_write(p->fd, b, n, 1000, p->who);
	p->rxn = p->rxoff = 0;
	/* Drop decoded data that was already in flight; keep answering negotiation. At most
	 * HB_SOCK_DRAIN_MAX raw bytes (pump reads <= 2048): a flooding server cannot keep us. */
	for (size_t i = 0; st == HB_OK && i < HB_SOCK_DRAIN_MAX / 2048; i++) {
		st = pump(p, 0);
		p->rxn = p->rxoff = 0;
	}
	return st == HB_ERR_TIMEOUT ? HB_OK : st;
}

static enum hb_status r2_set_baud(struct hb_transport *t, unsigned baud)
{
	return send_baud(t->priv, baud);
}

const struct hb_transport_ops hb_transport_rfc2217_ops = {
	.scheme = "rfc2217",
	.description = "Telnet COM-port control, RFC 2217 (rfc2217://host:port, ser2net telnet)",
	.example = "rfc2217://host:port",
	.hardware = 1,
	.open = r2_open,
	.close = r2_close,
	.read = r2_read,
	.write = r2_write,
	.flush = r2_flush,
	.set_baud = r2_set_baud,
};
