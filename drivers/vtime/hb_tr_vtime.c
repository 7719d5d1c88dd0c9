/* hilbench — vtime-uart: the virtual board's UART in simulated time (hb_vtime.h).
 * URI: vtime-uart:/path/to/vtime.sock[?channel=probe] — the session that started the board
 * has opened the time context for that path; this backend uses the calling thread's port.
 * Writes are queued on the board's RX pin (or, channel=probe, on the UART of the bench probe
 * running inside the board) at the current simulated cycle; a read waits in simulated time. */
#include <stdlib.h>
#include <string.h>

#include "hb_params.h"
#include "hb_transport.h"
#include "hb_vtime.h"

#define LOG_PREFIX "vtime-uart"
#include "hb_log.h"

struct vt_uart {
	struct hb_vtime *vt;
	unsigned ch; /* enum hb_vtime_uart */
};

static enum hb_status vt_open(struct hb_transport *t, const char *target, const char *params,
			      unsigned baud)
{
	struct hb_params prm;
	unsigned ch = HB_VTIME_UART_BOARD;
	enum hb_status st = hb_params_parse(&prm, params);
	if (st == HB_OK) {
		const char *c = hb_params_take(&prm, "channel");
		if (c && strcmp(c, "probe") == 0) {
			ch = HB_VTIME_UART_PROBE;
		} else if (c && strcmp(c, "board") != 0) {
			hb_err("vtime-uart:%s: channel=%s: use board or probe", target, c);
			return HB_ERR_ARG;
		}
		st = hb_params_finish(&prm, "vtime-uart");
	}
	if (st != HB_OK)
		return st;
	struct hb_vtime *vt = hb_vtime_find(target);
	if (!vt) {
		hb_err("vtime-uart:%s: no virtual-time session is open for that board", target);
		return HB_ERR_NOTFOUND;
	}
	/* The probe's UART is simulated at whatever baud the host says (its HAL's); the board's
	 * is the gateware's. */
	double b = hb_vtime_baud(vt);
	if (ch == HB_VTIME_UART_BOARD && baud && b > 0 && (b < baud * 0.97 || b > baud * 1.03))
		hb_warn("vtime-uart:%s: the board's UART runs at %.0f baud, not %u", target, b, baud);
	struct vt_uart *u = calloc(1, sizeof *u);
	if (!u)
		return HB_ERR_NOMEM;
	u->vt = vt;
	u->ch = ch;
	t->priv = u;
	return HB_OK;
}

static void vt_close(struct hb_transport *t)
{
	free(t->priv);
	t->priv = NULL;
}

static enum hb_status vt_read(struct hb_transport *t, void *buf, size_t cap, size_t *got,
			      int timeout_ms)
{
	struct vt_uart *u = t->priv;
	return hb_vtime_uart_read_ch(u->vt, u->ch, buf, cap, got,
				     (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000u);
}

static enum hb_status vt_write(struct hb_transport *t, const void *buf, size_t len, int timeout_ms)
{
	(void)timeout_ms; /* queued at once; the board clocks it out at its baud */
	struct vt_uart *u = t->priv;
	return hb_vtime_uart_write_ch(u->vt, u->ch, buf, len);
}

static enum hb_status vt_flush(struct hb_transport *t)
{
	struct vt_uart *u = t->priv;
	return hb_vtime_uart_flush_ch(u->vt, u->ch);
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
