/* hilbench — the libftdi1 calls hilbench makes, as a replaceable table.
 *
 * hb_ftdi_api starts out pointing at the real libftdi1; a test assigns its own functions
 * (a fake FT2232H/FT232H that behaves like the chip) and restores with hb_ftdi_api_reset().
 * hb_ftdi_status() is the one place where libftdi1/libusb return codes become statuses, for
 * both the ftdi: transport and the ftdi-i2c: bus. */
#ifndef HB_FTDI_API_H
#define HB_FTDI_API_H

#include <ftdi.h>

#include "hb_clock.h"
#include "hb_params.h"
#include "hb_status.h"

struct hb_ftdi_api {
	struct ftdi_context *(*new_ctx)(void);
	void (*free_ctx)(struct ftdi_context *ftdi);
	int (*set_interface)(struct ftdi_context *ftdi, enum ftdi_interface iface);
	int (*set_module_detach_mode)(struct ftdi_context *ftdi, enum ftdi_module_detach_mode m);
	int (*usb_open_desc_index)(struct ftdi_context *ftdi, int vendor, int product,
				   const char *description, const char *serial, unsigned int index);
	int (*usb_close)(struct ftdi_context *ftdi);
	int (*set_baudrate)(struct ftdi_context *ftdi, int baudrate);
	int (*set_line_property)(struct ftdi_context *ftdi, enum ftdi_bits_type bits,
				 enum ftdi_stopbits_type sbit, enum ftdi_parity_type parity);
	int (*setflowctrl)(struct ftdi_context *ftdi, int flowctrl);
	int (*set_latency_timer)(struct ftdi_context *ftdi, unsigned char latency);
	int (*set_bitmode)(struct ftdi_context *ftdi, unsigned char bitmask, unsigned char mode);
	int (*tcioflush)(struct ftdi_context *ftdi);
	/* Returns bytes read (0 when nothing arrived within the USB read timeout) or < 0. */
	int (*read_data)(struct ftdi_context *ftdi, unsigned char *buf, int size);
	int (*write_data)(struct ftdi_context *ftdi, const unsigned char *buf, int size);
	/* Sets usb_read_timeout / usb_write_timeout (fields of the real context). */
	void (*set_usb_timeouts)(struct ftdi_context *ftdi, int read_ms, int write_ms);
	const char *(*get_error_string)(struct ftdi_context *ftdi);
	/* The clock the chip's timing lives on, for the callers' own deadlines: NULL = the
	 * system clock (real libftdi1); a board twin's emulated chips live in simulated time. */
	struct hb_clock *clock;
};

extern struct hb_ftdi_api hb_ftdi_api;
/* Restore the real libftdi1 functions. */
void hb_ftdi_api_reset(void);
/* hb_ftdi_api.clock, or the system clock. */
struct hb_clock *hb_ftdi_clock(void);

enum hb_ftdi_op {
	HB_FTDI_OP_OPEN,   /* ftdi_usb_open_desc_index */
	HB_FTDI_OP_CONFIG, /* baud, line, latency, bitmode, purge */
	HB_FTDI_OP_READ,
	HB_FTDI_OP_WRITE,
};

/* Translate ret (< 0) of operation op; logs the library's own message with who. */
enum hb_status hb_ftdi_status(struct ftdi_context *ftdi, enum hb_ftdi_op op, int ret,
			      const char *who);

/* Open and claim the device/interface of t, detaching ftdi_sio (reattached on close).
 * On success *out is an open context. */
enum hb_status hb_ftdi_open_target(const struct hb_ftdi_target *t, const char *who,
				   struct ftdi_context **out);
void hb_ftdi_close_ctx(struct ftdi_context *ftdi);

#endif
