/* hilbench — tcp: transport, a raw byte stream (ser2net "raw" accepter, labgrid).
 * URI: tcp://host:port[?connect_timeout=MS]. The baud rate is the remote end's business:
 * set_baud is HB_ERR_UNSUPPORTED (use rfc2217: to change it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hb_params.h"
#include "hb_tr_sock.h"
#include "hb_transport.h"

#define LOG_PREFIX "tcp"
#include "hb_log.h"

struct tcp_priv {
	int fd;
	char who[200];
};

static enum hb_status tcp_open(struct hb_transport *t, const char *target, const char *params,
			       unsigned baud)
{
	struct hb_params prm;
	unsigned long cto = 3000;
	(void)baud;
	enum hb_status st = hb_params_parse(&prm, params);
	if (st == HB_OK)
		st = hb_params_take_uint(&prm, "tcp", "connect_timeout", 1, 600000, &cto);
	if (st == HB_OK)
		st = hb_params_finish(&prm, "tcp");
	if (st != HB_OK)
		return st;
	struct tcp_priv *p = calloc(1, sizeof *p);
	if (!p)
		return HB_ERR_NOMEM;
	snprintf(p->who, sizeof p->who, "tcp://%s", target);
	st = hb_sock_connect_tcp(target, (int)cto, &p->fd);
	if (st != HB_OK) {
		free(p);
		return st;
	}
	t->priv = p;
	return HB_OK;
}

static void tcp_close(struct hb_transport *t)
{
	struct tcp_priv *p = t->priv;
	if (!p)
		return;
	close(p->fd);
	free(p);
	t->priv = NULL;
}

static enum hb_status tcp_read(struct hb_transport *t, void *buf, size_t cap, size_t *got,
			       int timeout_ms)
{
	struct tcp_priv *p = t->priv;
	return hb_sock_read(p->fd, buf, cap, got, timeout_ms, p->who);
}

static enum hb_status tcp_write(struct hb_transport *t, const void *buf, size_t len,
				int timeout_ms)
{
	struct tcp_priv *p = t->priv;
	return hb_sock_write(p->fd, buf, len, timeout_ms, p->who);
}

static enum hb_status tcp_flush(struct hb_transport *t)
{
	struct tcp_priv *p = t->priv;
	return hb_sock_drain(p->fd, p->who);
}

static enum hb_status tcp_set_baud(struct hb_transport *t, unsigned baud)
{
	hb_err("%s: a raw TCP port cannot change the baud rate to %u (use rfc2217://)",
	       ((struct tcp_priv *)t->priv)->who, baud);
	return HB_ERR_UNSUPPORTED;
}

const struct hb_transport_ops hb_transport_tcp_ops = {
	.scheme = "tcp",
	.description = "raw TCP byte stream (tcp://host:port, ser2net raw)",
	.example = "tcp://host:port",
	.hardware = 1,
	.open = tcp_open,
	.close = tcp_close,
	.read = tcp_read,
	.write = tcp_write,
	.flush = tcp_flush,
	.set_baud = tcp_set_baud,
};
