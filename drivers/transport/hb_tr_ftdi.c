/* hilbench — ftdi: transport, a UART on an FTDI interface through libftdi1.
 * URI: ftdi://VID:PID[:serial]/IF[?latency=MS]   IF 1..4 = A..D, latency timer 1..255 ms
 * (default 1 ms, so short replies are not held back 16 ms by the chip).
 * Open detaches ftdi_sio from the interface and reattaches it on close. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb_ftdi_api.h"
#include "hb_ftdi_chips.h"
#include "hb_params.h"
#include "hb_tr_util.h"
#include "hb_transport.h"

#define LOG_PREFIX "ftdi"
#include "hb_log.h"

struct ftdi_priv {
	struct ftdi_context *ftdi;
	const struct hb_ftdi_chip *chip; /* NULL for a VID:PID the table does not know */
	char who[160];
};

static enum hb_status cfg(struct ftdi_priv *p, int r)
{
	return r < 0 ? hb_ftdi_status(p->ftdi, HB_FTDI_OP_CONFIG, r, p->who) : HB_OK;
}

/* A rate the chip cannot make is the user's mistake (HB_ERR_ARG naming the rate), found
 * before libftdi would turn it into an I/O error ("Unsupported baudrate"). */
static enum hb_status check_baud(const struct hb_ftdi_chip *chip, const char *who, unsigned baud)
{
	char why[256];
	if (baud > 12000000) {
		hb_err("%s: %u baud is above what any FTDI chip makes (12 Mbaud)", who, baud);
		return HB_ERR_ARG;
	}
	if (chip && hb_ftdi_chip_check_baud(chip, baud, why, sizeof why) != HB_OK) {
		hb_err("%s: %s", who, why);
		return HB_ERR_ARG;
	}
	return HB_OK;
}

static enum hb_status ftdi_tr_set_baud(struct hb_transport *t, unsigned baud)
{
	struct ftdi_priv *p = t->priv;
	enum hb_status st = check_baud(p->chip, p->who, baud);
	return st != HB_OK ? st : cfg(p, hb_ftdi_api.set_baudrate(p->ftdi, (int)baud));
}

static enum hb_status ftdi_tr_open(struct hb_transport *t, const char *target,
				   const char *params, unsigned baud)
{
	struct hb_params prm;
	struct hb_ftdi_target tg;
	unsigned long latency = 1;
	enum hb_status st = hb_params_parse(&prm, params);
	if (st == HB_OK)
		st = hb_params_take_uint(&prm, "ftdi", "latency", 1, 255, &latency);
	if (st == HB_OK)
		st = hb_params_finish(&prm, "ftdi");
	if (st == HB_OK)
		st = hb_ftdi_parse_target(target, &tg);
	if (st != HB_OK)
		return st;
	struct ftdi_priv *p = calloc(1, sizeof *p);
	if (!p)
		return HB_ERR_NOMEM;
	snprintf(p->who, sizeof p->who, "ftdi://%s", target);
	p->chip = hb_ftdi_chip_find((uint16_t)tg.vid, (uint16_t)tg.pid);
	if (p->chip && tg.iface > p->chip->n_interfaces) {
		hb_err("%s: the %s has interface%s A..%c; /%u is interface %c", p->who,
		       p->chip->name, p->chip->n_interfaces > 1 ? "s" : "",
		       'A' + p->chip->n_interfaces - 1, tg.iface, 'A' + tg.iface - 1);
		free(p);
		return HB_ERR_ARG;
	}
	st = check_baud(p->chip, p->who, baud ? baud : 115200);
	if (st != HB_OK) {
		free(p);
		return st;
	}
	st = hb_ftdi_open_target(&tg, p->who, &p->ftdi);
	if (st != HB_OK) {
		free(p);
		return st;
	}
	t->priv = p;
	st = cfg(p, hb_ftdi_api.set_bitmode(p->ftdi, 0, BITMODE_RESET));
	if (st == HB_OK)
		st = ftdi_tr_set_baud(t, baud ? baud : 115200);
	if (st == HB_OK)
		st = cfg(p, hb_ftdi_api.set_line_property(p->ftdi, BITS_8, STOP_BIT_1, NONE));
	if (st == HB_OK)
		st = cfg(p, hb_ftdi_api.setflowctrl(p->ftdi, SIO_DISABLE_FLOW_CTRL));
	if (st == HB_OK)
		st = cfg(p, hb_ftdi_api.set_latency_timer(p->ftdi, (unsigned char)latency));
	if (st == HB_OK)
		st = cfg(p, hb_ftdi_api.tcioflush(p->ftdi));
	if (st != HB_OK) {
		hb_ftdi_close_ctx(p->ftdi);
		free(p);
		t->priv = NULL;
	}
	return st;
}

static void ftdi_tr_close(struct hb_transport *t)
{
	struct ftdi_priv *p = t->priv;
	if (!p)
		return;
	hb_ftdi_close_ctx(p->ftdi);
	free(p);
	t->priv = NULL;
}

static enum hb_status ftdi_tr_read(struct hb_transport *t, void *buf, size_t cap, size_t *got,
				   int timeout_ms)
{
	struct ftdi_priv *p = t->priv;
	struct hb_clock *clk = hb_ftdi_clock(); /* the chip's: simulated time in a twin */
	uint64_t deadline = hb_tr_deadline_on(clk, timeout_ms);
	int chunk = cap > 65536 ? 65536 : (int)cap;
	for (;;) {
		int left = hb_tr_left_on(clk, deadline);
		/* libftdi's read returns what the chip delivered within usb_read_timeout. */
		hb_ftdi_api.set_usb_timeouts(p->ftdi, left < 0 ? 1000 : left > 0 ? left : 1, 1000);
		int r = hb_ftdi_api.read_data(p->ftdi, buf, chunk);
		if (r < 0)
			return hb_ftdi_status(p->ftdi, HB_FTDI_OP_READ, r, p->who);
		if (r > 0) {
			*got = (size_t)r;
			return HB_OK;
		}
		if (hb_tr_left_on(clk, deadline) == 0)
			return HB_ERR_TIMEOUT;
	}
}

static enum hb_status ftdi_tr_write(struct hb_transport *t, const void *buf, size_t len,
				    int timeout_ms)
{
	struct ftdi_priv *p = t->priv;
	struct hb_clock *clk = hb_ftdi_clock(); /* the chip's: simulated time in a twin */
	uint64_t deadline = hb_tr_deadline_on(clk, timeout_ms);
	const unsigned char *b = buf;
	while (len) {
		int left = hb_tr_left_on(clk, deadline);
		if (left == 0) {
			hb_err("%s: write: %zu bytes not drained in %d ms", p->who, len, timeout_ms);
			return HB_ERR_TIMEOUT;
		}
		hb_ftdi_api.set_usb_timeouts(p->ftdi, 1000, left < 0 ? 5000 : left);
		int chunk = len > 65536 ? 65536 : (int)len;
		int r = hb_ftdi_api.write_data(p->ftdi, b, chunk);
		if (r < 0)
			return hb_ftdi_status(p->ftdi, HB_FTDI_OP_WRITE, r, p->who);
		b += r;
		len -= (size_t)r;
	}
	return HB_OK;
}

static enum hb_status ftdi_tr_flush(struct hb_transport *t)
{
	struct ftdi_priv *p = t->priv;
	return cfg(p, hb_ftdi_api.tcioflush(p->ftdi));
}

const struct hb_transport_ops hb_transport_ftdi_ops = {
	.scheme = "ftdi",
	.description = "FTDI UART via libftdi1 (ftdi://0403:6010[:serial]/2?latency=1)",
	.example = "ftdi://VID:PID/N",
	.hardware = 1,
	.open = ftdi_tr_open,
	.close = ftdi_tr_close,
	.read = ftdi_tr_read,
	.write = ftdi_tr_write,
	.flush = ftdi_tr_flush,
	.set_baud = ftdi_tr_set_baud,
};
