/* hilbench — serial: transport, real serial ports through libserialport.
 * URI: serial:/dev/ttyUSB1  or  serial:usb-serial=FT1234XY  (the USB adapter's serial number,
 * found by enumerating the ports). 8N1, no flow control, baud up to 12 Mbaud.
 * libserialport cannot open a pty (use pty:).
 * On an FTDI adapter (ftdi_sio) the latency timer is set to 1 ms through sysfs, as the ftdi:
 * transport does through libftdi: with the kernel's default of 16 ms a short reply waits up
 * to 16 ms in the chip. A rate the adapter's chip cannot make is HB_ERR_ARG naming it. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hb_ftdi_chips.h"
#include "hb_params.h"
#include "hb_sp_api.h"
#include "hb_transport.h"

#define LOG_PREFIX "serial"
#include "hb_log.h"

struct sp_priv {
	struct sp_port *port;
	char path[200];
	int node_existed; /* the device node existed at open: its vanishing means unplugged */
	const struct hb_ftdi_chip *chip; /* the USB adapter's FTDI chip, or NULL */
};

/* The one place where libserialport results become statuses. */
static enum hb_status sp_status(enum sp_return r, const char *who, const char *what)
{
	if (r >= 0)
		return HB_OK;
	switch (r) {
	case SP_ERR_ARG:
		hb_err("%s: %s: invalid argument", who, what);
		return HB_ERR_ARG;
	case SP_ERR_MEM:
		return HB_ERR_NOMEM;
	case SP_ERR_SUPP:
		hb_err("%s: %s: not supported by this port", who, what);
		return HB_ERR_UNSUPPORTED;
	default:
		break;
	}
	int code = hb_sp_api.last_error_code();
	char *msg = hb_sp_api.last_error_message();
	enum hb_status st;
	switch (code) {
	case ENOENT:
		hb_err("%s: %s: no such port (%s)", who, what, msg ? msg : "");
		st = HB_ERR_NOTFOUND;
		break;
	case EACCES:
	case EPERM:
		hb_err("%s: %s: permission denied (%s): add the user to group dialout", who, what,
		       msg ? msg : "");
		st = HB_ERR_PERM;
		break;
	case EBUSY:
		hb_err("%s: %s: port busy (%s)", who, what, msg ? msg : "");
		st = HB_ERR_BUSY;
		break;
	case EIO:
	case ENXIO:
	case ENODEV:
		hb_err("%s: %s: device vanished (%s)", who, what, msg ? msg : "");
		st = HB_ERR_GONE;
		break;
	default:
		hb_err("%s: %s: %s", who, what, msg ? msg : "failed");
		st = HB_ERR_IO;
		break;
	}
	if (msg)
		hb_sp_api.free_error_message(msg);
	return st;
}

static enum hb_status find_by_usb_serial(const char *sn, struct sp_port **out)
{
	struct sp_port **list = NULL;
	enum hb_status st = sp_status(hb_sp_api.list_ports(&list), "serial", "list ports");
	if (st != HB_OK)
		return st;
	st = HB_ERR_NOTFOUND;
	for (size_t i = 0; list && list[i]; i++) {
		if (hb_sp_api.get_port_transport(list[i]) != SP_TRANSPORT_USB)
			continue;
		const char *s = hb_sp_api.get_port_usb_serial(list[i]);
		if (s && strcmp(s, sn) == 0) {
			st = sp_status(hb_sp_api.get_port_by_name(hb_sp_api.get_port_name(list[i]),
								  out),
				       sn, "lookup");
			break;
		}
	}
	if (list)
		hb_sp_api.free_port_list(list);
	if (st == HB_ERR_NOTFOUND)
		hb_err("serial: no USB serial port with serial number '%s' (see 'hilbench doctor')",
		       sn);
	return st;
}

static enum hb_status sp_set_baud_(struct hb_transport *t, unsigned baud)
{
	struct sp_priv *p = t->priv;
	char why[256];
	if (baud == 0 || baud > 12000000) {
		hb_err("%s: %u baud is outside 1..12000000", p->path, baud);
		return HB_ERR_ARG;
	}
	/* ftdi_sio would quietly fall back to 9600 baud for a rate the chip cannot make. */
	if (p->chip && hb_ftdi_chip_check_baud(p->chip, baud, why, sizeof why) != HB_OK) {
		hb_err("%s: %s", p->path, why);
		return HB_ERR_ARG;
	}
	return sp_status(hb_sp_api.set_baudrate(p->port, (int)baud), p->path, "set baud");
}

/* The sysfs root; HB_SYSFS_ROOT replaces /sys (tests build a fake tree). */
static const char *sysfs_root(void)
{
	const char *r = getenv("HB_SYSFS_ROOT");
	return r && *r ? r : "/sys";
}

/* ftdi_sio gives each port a latency_timer attribute (ms the chip holds a short packet);
 * other drivers do not, so its absence means "not an FTDI": nothing to do. Failing to set
 * it is a warning, not an error: the port works, replies are just late. */
static void set_ftdi_latency(const char *path)
{
	char real[PATH_MAX], attr[PATH_MAX + 128], val[16] = "";
	const char *dev = realpath(path, real) ? real : path; /* /dev/serial/by-id/... -> ttyUSBn */
	const char *base = strrchr(dev, '/');
	base = base ? base + 1 : dev;
	snprintf(attr, sizeof attr, "%s/bus/usb-serial/devices/%s/latency_timer", sysfs_root(), base);
	FILE *f = fopen(attr, "r");
	if (!f)
		return;
	if (!fgets(val, sizeof val, f))
		val[0] = 0;
	fclose(f);
	if (atoi(val) == 1)
		return;
	f = fopen(attr, "w");
	int ok = f && fputs("1\n", f) >= 0;
	if (f && fclose(f) != 0)
		ok = 0;
	if (!ok) {
		hb_warn("%s: cannot set the FTDI latency timer to 1 ms (%s: %s); short replies may "
			"wait up to %d ms. The udev rule docs/99-hilbench-ftdi.rules sets it.", path,
			attr, strerror(errno), atoi(val));
		return;
	}
	hb_dbg("%s: FTDI latency timer %d -> 1 ms", path, atoi(val));
}

/* The USB adapter's FTDI chip, when the port is one. */
static const struct hb_ftdi_chip *port_chip(struct sp_port *port)
{
	int vid = 0, pid = 0;
	if (hb_sp_api.get_port_transport(port) != SP_TRANSPORT_USB ||
	    hb_sp_api.get_port_usb_vid_pid(port, &vid, &pid) != SP_OK)
		return NULL;
	return hb_ftdi_chip_find((uint16_t)vid, (uint16_t)pid);
}

static enum hb_status sp_open_(struct hb_transport *t, const char *target, const char *params,
			       unsigned baud)
{
	struct hb_params prm;
	enum hb_status st = hb_params_parse(&prm, params);
	if (st == HB_OK)
		st = hb_params_finish(&prm, "serial");
	if (st != HB_OK)
		return st;
	struct sp_priv *p = calloc(1, sizeof *p);
	if (!p)
		return HB_ERR_NOMEM;
	if (strncmp(target, "usb-serial=", 11) == 0)
		st = find_by_usb_serial(target + 11, &p->port);
	else if (*target)
		st = sp_status(hb_sp_api.get_port_by_name(target, &p->port), target, "lookup");
	else {
		hb_err("serial: a port is needed (serial:/dev/ttyUSB1 or serial:usb-serial=SN)");
		st = HB_ERR_ARG;
	}
	if (st != HB_OK) {
		free(p);
		return st;
	}
	snprintf(p->path, sizeof p->path, "%s", hb_sp_api.get_port_name(p->port));
	p->chip = port_chip(p->port);
	struct stat sb;
	p->node_existed = stat(p->path, &sb) == 0;
	st = sp_status(hb_sp_api.open(p->port, SP_MODE_READ_WRITE), p->path, "open");
	if (st != HB_OK) {
		hb_sp_api.free_port(p->port);
		free(p);
		return st;
	}
	t->priv = p;
	set_ftdi_latency(p->path);
	st = sp_set_baud_(t, baud ? baud : 115200);
	if (st == HB_OK)
		st = sp_status(hb_sp_api.set_bits(p->port, 8), p->path, "set bits");
	if (st == HB_OK)
		st = sp_status(hb_sp_api.set_parity(p->port, SP_PARITY_NONE), p->path, "set parity");
	if (st == HB_OK)
		st = sp_status(hb_sp_api.set_stopbits(p->port, 1), p->path, "set stop bits");
	if (st == HB_OK)
		st = sp_status(hb_sp_api.set_flowcontrol(p->port, SP_FLOWCONTROL_NONE), p->path,
			       "set flow control");
	if (st == HB_OK)
		st = sp_status(hb_sp_api.flush(p->port, SP_BUF_BOTH), p->path, "flush");
	if (st != HB_OK) {
		hb_sp_api.close(p->port);
		hb_sp_api.free_port(p->port);
		free(p);
		t->priv = NULL;
	}
	return st;
}

static void sp_close_(struct hb_transport *t)
{
	struct sp_priv *p = t->priv;
	if (!p)
		return;
	hb_sp_api.close(p->port);
	hb_sp_api.free_port(p->port);
	free(p);
	t->priv = NULL;
}

static enum hb_status sp_read_(struct hb_transport *t, void *buf, size_t cap, size_t *got,
			       int timeout_ms)
{
	struct sp_priv *p = t->priv;
	enum sp_return r;
	if (timeout_ms == 0)
		r = hb_sp_api.nonblocking_read(p->port, buf, cap);
	else /* libserialport: 0 = wait forever */
		r = hb_sp_api.blocking_read_next(p->port, buf, cap,
						 timeout_ms < 0 ? 0 : (unsigned)timeout_ms);
	if (r < 0)
		return sp_status(r, p->path, "read");
	if (r > 0) {
		*got = (size_t)r;
		return HB_OK;
	}
	/* libserialport reports an unplugged adapter as a silent port: check the node. */
	struct stat sb;
	if (p->node_existed && stat(p->path, &sb) != 0) {
		hb_err("%s: device node vanished (unplugged?)", p->path);
		return HB_ERR_GONE;
	}
	return HB_ERR_TIMEOUT;
}

static enum hb_status sp_write_(struct hb_transport *t, const void *buf, size_t len,
				int timeout_ms)
{
	struct sp_priv *p = t->priv;
	enum sp_return r = hb_sp_api.blocking_write(p->port, buf, len,
						    timeout_ms <= 0 ? 0 : (unsigned)timeout_ms);
	if (r < 0)
		return sp_status(r, p->path, "write");
	if ((size_t)r < len) {
		hb_err("%s: write: %zu of %zu bytes drained in %d ms", p->path, (size_t)r, len,
		       timeout_ms);
		return HB_ERR_TIMEOUT;
	}
	return HB_OK;
}

static enum hb_status sp_flush_(struct hb_transport *t)
{
	struct sp_priv *p = t->priv;
	return sp_status(hb_sp_api.flush(p->port, SP_BUF_BOTH), p->path, "flush");
}

const struct hb_transport_ops hb_transport_serial_ops = {
	.scheme = "serial",
	.description = "serial port via libserialport (serial:/dev/ttyUSB1, serial:usb-serial=SN)",
	.example = "serial:/dev/ttyUSB1",
	.hardware = 1,
	.open = sp_open_,
	.close = sp_close_,
	.read = sp_read_,
	.write = sp_write_,
	.flush = sp_flush_,
	.set_baud = sp_set_baud_,
};
