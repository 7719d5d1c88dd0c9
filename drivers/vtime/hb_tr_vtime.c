/* hilbench — vtime-uart: the virtual board's UART in simulated time (hb_vtime.h).
 * URI: vtime-uart:/path/to/vtime.sock — the session that started the board has opened the
 * time context for that path; this backend uses the calling thread's port. Writes are queued
 * on the board's RX pin at the current simulated cycle; a read waits in simulated time. */
#include <stdlib.h>

#include "hb_params.h"
#include "hb_transport.h"
#include "hb_vtime.h"

#define LOG_PREFIX "vtime-uart"
#include "hb_log.h"

static enum hb_status vt_open(struct hb_transport *t, const char *target, const char *params,
			      unsigned baud)
{
	struct hb_params prm;
	enum hb_status st = hb_params_parse(&prm, params);
	if (st == HB_OK)
		st = hb_params_finish(&prm, "vtime-uart");
	if (st != HB_OK)
		return st;
	struct hb_vtime *vt = hb_vtime_find(target);
	if (!vt) {
		hb_err("vtime-uart:%s: no virtual-time session is open for that board", target);
		return HB_ERR_NOTFOUND;
	}
	double b = hb_vtime_baud(vt);
	if (baud && b > 0 && (b < baud * 0.97 || b > baud * 1.03))
		hb_warn("vtime-uart:%s: the board's UART runs at %.0f baud, not %u", target, b, baud);
	t->priv = vt;
	return HB_OK;
}

static void vt_close(struct hb_transport *t)
{
	t->priv = NULL;
}

static enum hb_status vt_read(struct hb_transport *t, void *buf, size_t cap, size_t *got,
			      int timeout_ms)
{
	return hb_vtime_uart_read(t->priv, buf, cap, got,
				  (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000u);
}

static enum hb_status vt_write(struct hb_transport *t, const void *buf, size_t len, int timeout_ms)
{
	(void)timeout_ms; /* queued at once; the board clocks it out at its baud */
	return hb_vtime_uart_write(t->priv, buf, len);
}

static enum hb_status vt_flush(struct hb_transport *t)
{
	return hb_vtime_uart_flush(t->priv);
}

const struct hb_transport_ops hb_transport_vtime_ops = {
	.scheme = "vtime-uart",
	.description = "the virtual board's UART in simulated time (vtime-uart:/path/vtime.sock)",
	.open = vt_open,
	.close = vt_close,
	.read = vt_read,
	.write = vt_write,
	.flush = vt_flush,
};
