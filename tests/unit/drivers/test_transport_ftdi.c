/* ftdi: transport through the fake FTDI chip (hb_ftdi_api table). */
#include <criterion/criterion.h>
#include <libusb.h>
#include <stdio.h>
#include <string.h>

#include "fake_ftdi.h"
#include "hb_ftdi_chips.h"
#include "hb_log.h"
#include "hb_ftdi_api.h"
#include "hb_transport.h"

TestSuite(ftdi_uart, .init = fake_ftdi_install, .fini = fake_ftdi_uninstall);

Test(ftdi_uart, open_configures_the_interface)
{
	struct hb_transport *t;
	cr_assert_eq(hb_transport_open("ftdi://0403:6010:FT000001/2", 3000000, &t), HB_OK);
	cr_assert_eq(fake_ftdi.iface, INTERFACE_B);
	cr_assert_eq(fake_ftdi.detach_mode, AUTO_DETACH_REATACH_SIO_MODULE,
		     "ftdi_sio detached and reattached on close");
	cr_assert_eq(fake_ftdi.baud, 3000000);
	cr_assert_eq(fake_ftdi.bits, BITS_8);
	cr_assert_eq(fake_ftdi.parity, NONE);
	cr_assert_eq(fake_ftdi.stop, STOP_BIT_1);
	cr_assert_eq(fake_ftdi.latency, 1, "default latency timer 1 ms");
	cr_assert_geq(fake_ftdi.purges, 1);
	cr_assert_eq(hb_transport_set_baud(t, 12000000), HB_OK);
	cr_assert_eq(fake_ftdi.baud, 12000000);
	cr_assert_eq(hb_transport_set_baud(t, 12000001), HB_ERR_ARG, "no FTDI chip goes faster");
	hb_transport_close(t);
	cr_assert_eq(fake_ftdi.closed, 1);
	cr_assert_eq(fake_ftdi.freed, 1);
}

Test(ftdi_uart, latency_parameter_and_unknown_parameters)
{
	struct hb_transport *t;
	cr_assert_eq(hb_transport_open("ftdi://0403:6010/1?latency=16", 115200, &t), HB_OK);
	cr_assert_eq(fake_ftdi.latency, 16);
	cr_assert_eq(fake_ftdi.iface, INTERFACE_A);
	hb_transport_close(t);
	cr_assert_eq(hb_transport_open("ftdi://0403:6010/1?latency=0", 115200, &t), HB_ERR_ARG);
	cr_assert_eq(hb_transport_open("ftdi://0403:6010/1?latancy=2", 115200, &t), HB_ERR_ARG);
	cr_assert_eq(hb_transport_open("ftdi://0403:6010/5", 115200, &t), HB_ERR_ARG);
	cr_assert_eq(hb_transport_open("ftdi://0403/1", 115200, &t), HB_ERR_ARG);
}

Test(ftdi_uart, data_both_ways)
{
	struct hb_transport *t;
	cr_assert_eq(hb_transport_open("ftdi://0403:6010/2", 115200, &t), HB_OK);
	cr_assert_eq(hb_transport_write(t, "hello", 5, 100), HB_OK);
	cr_assert_eq(fake_ftdi.txn, 5);
	cr_assert_arr_eq(fake_ftdi.tx, "hello", 5);
	fake_ftdi_feed("\xff\x00ok", 4);
	uint8_t b[4];
	cr_assert_eq(hb_transport_read_exact(t, b, 4, 100), HB_OK);
	cr_assert_arr_eq(b, "\xff\x00ok", 4);
	size_t got;
	cr_assert_eq(hb_transport_read(t, b, 4, &got, 20), HB_ERR_TIMEOUT);
	hb_transport_close(t);
}

Test(ftdi_uart, open_errors_are_translated)
{
	struct hb_transport *t;
	cr_assert_eq(hb_transport_open("ftdi://0403:6014/1", 115200, &t), HB_ERR_NOTFOUND);
	cr_assert_eq(hb_transport_open("ftdi://0403:6010:OTHER/1", 115200, &t), HB_ERR_NOTFOUND);
	fake_ftdi.open_ret = -8;
	fake_ftdi.open_msg = "inappropriate permissions on device!";
	cr_assert_eq(hb_transport_open("ftdi://0403:6010/1", 115200, &t), HB_ERR_PERM);
	fake_ftdi.open_ret = -4;
	fake_ftdi.open_msg = "libusb_open() failed";
	cr_assert_eq(hb_transport_open("ftdi://0403:6010/1", 115200, &t), HB_ERR_PERM);
	fake_ftdi.open_ret = -5;
	fake_ftdi.open_msg = "unable to claim usb device. Make sure the default FTDI driver is "
			     "not in use";
	cr_assert_eq(hb_transport_open("ftdi://0403:6010/1", 115200, &t), HB_ERR_BUSY);
	cr_assert_eq(fake_ftdi.freed, 5, "every failed open frees its context");
}

Test(ftdi_uart, vanished_device_mid_read_is_gone)
{
	struct hb_transport *t;
	cr_assert_eq(hb_transport_open("ftdi://0403:6010/2", 115200, &t), HB_OK);
	fake_ftdi.vanish_at_read = fake_ftdi.reads + 1;
	uint8_t b[4];
	size_t got;
	cr_assert_eq(hb_transport_read(t, b, 4, &got, 1000), HB_ERR_GONE);
	cr_assert_eq(hb_transport_write(t, "x", 1, 100), HB_ERR_GONE);
	hb_transport_close(t);
}

Test(ftdi_uart, status_translation_table)
{
	cr_assert_eq(hb_ftdi_status(NULL, HB_FTDI_OP_READ, LIBUSB_ERROR_NO_DEVICE, "t"),
		     HB_ERR_GONE);
	cr_assert_eq(hb_ftdi_status(NULL, HB_FTDI_OP_WRITE, -666, "t"), HB_ERR_GONE);
	cr_assert_eq(hb_ftdi_status(NULL, HB_FTDI_OP_READ, LIBUSB_ERROR_TIMEOUT, "t"),
		     HB_ERR_TIMEOUT);
	cr_assert_eq(hb_ftdi_status(NULL, HB_FTDI_OP_CONFIG, LIBUSB_ERROR_ACCESS, "t"),
		     HB_ERR_PERM);
	cr_assert_eq(hb_ftdi_status(NULL, HB_FTDI_OP_READ, LIBUSB_ERROR_IO, "t"), HB_ERR_IO);
}

/* ---- rates a chip cannot make (issue 12: FT231X at 4 or 12 Mbaud was an I/O error) ---- */

static char logged[4096];
static void capture(void *ctx, enum hb_log_level lvl, const char *prefix, const char *msg)
{
	(void)ctx, (void)lvl, (void)prefix;
	size_t n = strlen(logged);
	snprintf(logged + n, sizeof logged - n, "%s\n", msg);
}

Test(ftdi_uart, ft231x_rate_it_cannot_make_is_a_usage_error_naming_the_rate)
{
	fake_ftdi.pid = 0x6015; /* the ULX3S's FT231X */
	struct hb_transport *t;
	logged[0] = 0;
	hb_log_set_sink(capture, NULL);
	enum hb_status st4 = hb_transport_open("ftdi://0403:6015/1", 4000000, &t);
	enum hb_status st12 = hb_transport_open("ftdi://0403:6015/1", 12000000, &t);
	hb_log_set_sink(NULL, NULL);
	cr_assert_eq(st4, HB_ERR_ARG, "4 Mbaud on an FT231X: usage error, not %s", hb_strerror(st4));
	cr_assert_eq(st12, HB_ERR_ARG);
	cr_assert(strstr(logged, "4000000 baud") && strstr(logged, "12000000 baud") &&
		  strstr(logged, "FT231X"), "%s", logged);
	cr_assert_eq(fake_ftdi.opened, 0, "refused before touching the device");
	/* what the FT231X does make */
	cr_assert_eq(hb_transport_open("ftdi://0403:6015/1", 3000000, &t), HB_OK);
	cr_assert_eq(hb_transport_set_baud(t, 1000000), HB_OK);
	cr_assert_eq(fake_ftdi.baud, 1000000);
	cr_assert_eq(hb_transport_set_baud(t, 2500000), HB_ERR_ARG, "between 2 and 3 Mbaud: none");
	cr_assert_eq(fake_ftdi.baud, 1000000, "the chip kept its rate");
	hb_transport_close(t);
	cr_assert_eq(hb_transport_open("ftdi://0403:6015/2", 115200, &t), HB_ERR_ARG,
		     "an FT231X has one interface");
}

Test(ftdi_chips, reachable_rates_follow_the_datasheet_divisors)
{
	const struct hb_ftdi_chip *x = hb_ftdi_chip_find(0x0403, 0x6015);
	const struct hb_ftdi_chip *h = hb_ftdi_chip_find(0x0403, 0x6010);
	cr_assert(x && h);
	cr_assert_null(hb_ftdi_chip_find(0x0403, 0x1234));
	/* FT-X: 3 MHz / (n + k/8), and the special /1 and /1.5 */
	cr_assert_eq(hb_ftdi_chip_baud_actual(x, 3000000), 3000000);
	cr_assert_eq(hb_ftdi_chip_baud_actual(x, 2000000), 2000000);
	cr_assert_eq(hb_ftdi_chip_baud_actual(x, 1500000), 1500000);
	cr_assert_eq(hb_ftdi_chip_baud_actual(x, 4000000), 3000000);
	cr_assert_eq(hb_ftdi_chip_baud_actual(x, 115200), 115385, "3 MHz / 26");
	cr_assert_eq(hb_ftdi_chip_baud_actual(x, 921600), 923077, "3 MHz / 3.25");
	cr_assert_eq(hb_ftdi_chip_check_baud(x, 1000000, NULL, 0), HB_OK);
	cr_assert_eq(hb_ftdi_chip_check_baud(x, 4000000, NULL, 0), HB_ERR_ARG);
	cr_assert_eq(hb_ftdi_chip_check_baud(x, 12000000, NULL, 0), HB_ERR_ARG);
	/* H series: 12 MHz / (n + k/8), 12 and 8 Mbaud */
	cr_assert_eq(hb_ftdi_chip_baud_actual(h, 12000000), 12000000);
	cr_assert_eq(hb_ftdi_chip_baud_actual(h, 8000000), 8000000);
	cr_assert_eq(hb_ftdi_chip_baud_actual(h, 4000000), 4000000);
	cr_assert_eq(hb_ftdi_chip_check_baud(h, 10000000, NULL, 0), HB_ERR_ARG, "between 8 and 12");
	cr_assert_eq(hb_ftdi_chip_check_baud(h, 300, NULL, 0), HB_OK, "the 3 MHz base for slow rates");
	for (size_t i = 0; i < hb_n_ftdi_chips; i++) {
		const struct hb_ftdi_chip *c = &hb_ftdi_chips[i];
		cr_assert(c->n_interfaces >= 1 && c->n_interfaces <= 4, "%s", c->name);
		cr_assert_eq(c->mpsse_mask >> c->n_interfaces, 0, "%s: MPSSE beyond its interfaces", c->name);
		cr_assert_eq(c->usb_frame_ns, c->high_speed ? 125000u : 1000000u, "%s", c->name);
		cr_assert_eq(c->max_packet, c->high_speed ? 512u : 64u, "%s", c->name);
		cr_assert_eq(hb_ftdi_chip_baud_actual(c, c->max_baud), c->max_baud, "%s", c->name);
		cr_assert_eq(hb_ftdi_chip_check_baud(c, c->max_baud + c->max_baud / 10, NULL, 0),
			     HB_ERR_ARG, "%s", c->name);
	}
}
