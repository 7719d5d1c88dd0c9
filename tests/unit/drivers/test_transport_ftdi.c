/* ftdi: transport through the fake FTDI chip (hb_ftdi_api table). */
#include <criterion/criterion.h>
#include <libusb.h>
#include <string.h>

#include "fake_ftdi.h"
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
	cr_assert_eq(hb_transport_set_baud(t, 12000001), HB_ERR_RANGE);
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
