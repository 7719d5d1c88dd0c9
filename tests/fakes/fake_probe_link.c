/* The bench probe at the transport seam (see fake_probe_link.h). */
#include "fake_probe_link.h"

#include <stdlib.h>
#include <string.h>

static struct fake_probe_link *of(struct hb_transport *t)
{
	return t->priv;
}

static uint64_t now_ns(struct hb_clock *c)
{
	struct fake_probe_link *f = c->ctx;
	return hbp_host_now_ns(f->sim->host);
}

static void sleep_ns(struct hb_clock *c, uint64_t ns)
{
	struct fake_probe_link *f = c->ctx;
	hbp_sim_advance(f->sim, hbp_host_now_ns(f->sim->host) + ns);
}

static enum hb_status t_open(struct hb_transport *t, const char *target, const char *params,
			     unsigned baud)
{
	(void)t, (void)target, (void)params, (void)baud;
	return HB_OK;
}

static void t_close(struct hb_transport *t)
{
	(void)t;
}

static enum hb_status t_read(struct hb_transport *t, void *buf, size_t cap, size_t *got,
			     int timeout_ms)
{
	struct fake_probe_link *f = of(t);
	struct hbp_host *h = f->sim->host;
	uint64_t deadline = hbp_host_now_ns(h) + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000u;
	*got = 0;
	for (;;) {
		*got = hbp_host_uart_recv(h, buf, cap);
		if (*got) {
			f->bytes_from_probe += *got;
			return HB_OK;
		}
		uint64_t now = hbp_host_now_ns(h), next = hbp_host_uart_next_rx_ns(h);
		if (next <= deadline) {
			/* The first byte is there at `next`; the adapter hands over a batch later. */
			uint64_t until = next + f->batch_ns;
			hbp_sim_advance(f->sim, until < deadline ? until : deadline);
			continue;
		}
		/* Nothing on its way yet: let the probe run to its next event (it may be about
		 * to answer), or to the deadline. */
		uint64_t ev = hbp_host_next_event_ns(h);
		if (ev <= now)
			ev = now + 1;
		if (ev >= deadline) {
			hbp_sim_advance(f->sim, deadline);
			*got = hbp_host_uart_recv(h, buf, cap);
			f->bytes_from_probe += *got;
			return *got ? HB_OK : HB_ERR_TIMEOUT;
		}
		hbp_sim_advance(f->sim, ev);
	}
}

static enum hb_status t_write(struct hb_transport *t, const void *buf, size_t len, int timeout_ms)
{
	struct fake_probe_link *f = of(t);
	(void)timeout_ms;
	uint8_t tmp[2048];
	const uint8_t *p = buf;
	if (f->corrupt_write_at >= 0 && (size_t)f->corrupt_write_at < len && len <= sizeof tmp) {
		memcpy(tmp, buf, len);
		tmp[f->corrupt_write_at] ^= 1;
		f->corrupt_write_at = -1;
		p = tmp;
	}
	hbp_host_uart_send(f->sim->host, p, len);
	f->bytes_to_probe += len;
	return HB_OK;
}

static enum hb_status t_flush(struct hb_transport *t)
{
	struct fake_probe_link *f = of(t);
	uint8_t junk[256];
	while (hbp_host_uart_recv(f->sim->host, junk, sizeof junk))
		;
	return HB_OK;
}

static enum hb_status t_set_baud(struct hb_transport *t, unsigned baud)
{
	(void)t, (void)baud;
	return HB_OK;
}

static const struct hb_transport_ops ops = {
	.scheme = "fakeprobe",
	.description = "the probe firmware core on the host HAL (tests)",
	.open = t_open,
	.close = t_close,
	.read = t_read,
	.write = t_write,
	.flush = t_flush,
	.set_baud = t_set_baud,
};

struct fake_probe_link *fake_probe_link_new(const struct hbp_host_params *params)
{
	struct fake_probe_link *f = calloc(1, sizeof *f);
	if (!f)
		return NULL;
	f->sim = hbp_sim_new(params);
	if (!f->sim) {
		free(f);
		return NULL;
	}
	f->batch_ns = 125000;
	f->corrupt_write_at = -1;
	f->transport.ops = &ops;
	f->transport.priv = f;
	f->transport.baud = params && params->baud ? params->baud : HBP_DEFAULT_BAUD;
	strcpy(f->transport.uri, "fakeprobe:");
	f->clock.now_ns = now_ns;
	f->clock.sleep_ns = sleep_ns;
	f->clock.ctx = f;
	return f;
}

void fake_probe_link_free(struct fake_probe_link *f)
{
	if (!f)
		return;
	hbp_sim_free(f->sim);
	free(f);
}
