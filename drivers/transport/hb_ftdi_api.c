#include "hb_ftdi_api.h"

#include <libusb.h>
#include <string.h>

#define LOG_PREFIX "ftdi"
#include "hb_log.h"

static void real_set_usb_timeouts(struct ftdi_context *ftdi, int read_ms, int write_ms)
{
	ftdi->usb_read_timeout = read_ms;
	ftdi->usb_write_timeout = write_ms;
}

static int real_set_detach(struct ftdi_context *ftdi, enum ftdi_module_detach_mode m)
{
	ftdi->module_detach_mode = m; /* libftdi 1.5 has no setter; the field is public */
	return 0;
}

static int real_set_line_property(struct ftdi_context *ftdi, enum ftdi_bits_type bits,
				  enum ftdi_stopbits_type sbit, enum ftdi_parity_type parity)
{
	return ftdi_set_line_property(ftdi, bits, sbit, parity);
}

#define REAL_FTDI_API { \
	.new_ctx = ftdi_new, \
	.free_ctx = ftdi_free, \
	.set_interface = ftdi_set_interface, \
	.set_module_detach_mode = real_set_detach, \
	.usb_open_desc_index = ftdi_usb_open_desc_index, \
	.usb_close = ftdi_usb_close, \
	.set_baudrate = ftdi_set_baudrate, \
	.set_line_property = real_set_line_property, \
	.setflowctrl = ftdi_setflowctrl, \
	.set_latency_timer = ftdi_set_latency_timer, \
	.set_bitmode = ftdi_set_bitmode, \
	.tcioflush = ftdi_tcioflush, \
	.read_data = ftdi_read_data, \
	.write_data = ftdi_write_data, \
	.set_usb_timeouts = real_set_usb_timeouts, \
	.get_error_string = ftdi_get_error_string, \
}


static const struct hb_ftdi_api real = REAL_FTDI_API;
struct hb_ftdi_api hb_ftdi_api = REAL_FTDI_API;

void hb_ftdi_api_reset(void)
{
	hb_ftdi_api = real;
}

struct hb_clock *hb_ftdi_clock(void)
{
	return hb_ftdi_api.clock ? hb_ftdi_api.clock : hb_clock_system();
}

static const char udev_hint[] =
	"permission denied: install a udev rule for FTDI devices "
	"(docs/99-hilbench-ftdi.rules: copy to /etc/udev/rules.d/, then "
	"'udevadm control --reload' and replug), and be in group plugdev";

enum hb_status hb_ftdi_status(struct ftdi_context *ftdi, enum hb_ftdi_op op, int ret,
			      const char *who)
{
	const char *msg = ftdi ? hb_ftdi_api.get_error_string(ftdi) : "";
	if (!msg)
		msg = "";
	if (op == HB_FTDI_OP_OPEN) {
		switch (ret) {
		case -3:
			if (strstr(msg, "not found")) {
				hb_err("%s: no such FTDI device (%s)", who, msg);
				return HB_ERR_NOTFOUND;
			}
			hb_err("%s: %s (ftdi_sio still bound? unplug/replug)", who, msg);
			return HB_ERR_BUSY;
		case -4: /* libusb_open() failed: LIBUSB_ERROR_ACCESS in practice */
		case -8: /* inappropriate permissions on device */
			hb_err("%s: %s: %s", who, msg, udev_hint);
			return HB_ERR_PERM;
		case -5: /* unable to claim usb device */
			hb_err("%s: interface busy (%s): another program (openFPGALoader, a "
			       "second hilbench) holds it", who, msg);
			return HB_ERR_BUSY;
		case -10: /* unable to close device */
		case -11: /* ftdi context invalid */
			hb_err("%s: %s", who, msg);
			return HB_ERR_ARG;
		default:
			hb_err("%s: open failed: %d %s", who, ret, msg);
			return HB_ERR_IO;
		}
	}
	/* Transfers and control requests return libusb codes (or -666: no device). */
	switch (ret) {
	case LIBUSB_ERROR_NO_DEVICE:
	case -666:
		hb_err("%s: device vanished (%s)", who, msg);
		return HB_ERR_GONE;
	case LIBUSB_ERROR_TIMEOUT:
		hb_err("%s: USB timeout (%s)", who, msg);
		return HB_ERR_TIMEOUT;
	case LIBUSB_ERROR_ACCESS:
		hb_err("%s: %s: %s", who, msg, udev_hint);
		return HB_ERR_PERM;
	case LIBUSB_ERROR_BUSY:
		hb_err("%s: busy (%s)", who, msg);
		return HB_ERR_BUSY;
	default:
		hb_err("%s: %s failed: %d %s", who,
		       op == HB_FTDI_OP_READ ? "read" : op == HB_FTDI_OP_WRITE ? "write" : "setup",
		       ret, msg);
		return HB_ERR_IO;
	}
}

enum hb_status hb_ftdi_open_target(const struct hb_ftdi_target *t, const char *who,
				   struct ftdi_context **out)
{
	*out = NULL;
	struct ftdi_context *ftdi = hb_ftdi_api.new_ctx();
	if (!ftdi)
		return HB_ERR_NOMEM;
	int r = hb_ftdi_api.set_interface(ftdi, (enum ftdi_interface)t->iface);
	if (r < 0) {
		enum hb_status st = hb_ftdi_status(ftdi, HB_FTDI_OP_CONFIG, r, who);
		hb_ftdi_api.free_ctx(ftdi);
		return st;
	}
	hb_ftdi_api.set_module_detach_mode(ftdi, AUTO_DETACH_REATACH_SIO_MODULE);
	r = hb_ftdi_api.usb_open_desc_index(ftdi, (int)t->vid, (int)t->pid, NULL,
					    t->serial[0] ? t->serial : NULL, 0);
	if (r < 0) {
		enum hb_status st = hb_ftdi_status(ftdi, HB_FTDI_OP_OPEN, r, who);
		hb_ftdi_api.free_ctx(ftdi);
		return st;
	}
	*out = ftdi;
	return HB_OK;
}

void hb_ftdi_close_ctx(struct ftdi_context *ftdi)
{
	if (!ftdi)
		return;
	hb_ftdi_api.usb_close(ftdi); /* reattaches ftdi_sio (AUTO_DETACH_REATACH_SIO_MODULE) */
	hb_ftdi_api.free_ctx(ftdi);
}
