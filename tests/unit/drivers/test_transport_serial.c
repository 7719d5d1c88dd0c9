/* serial: transport through the fake libserialport (hb_sp_api table). */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "fake_sp.h"
#include "hb_sp_api.h"
#include "hb_transport.h"

TestSuite(serial, .init = fake_sp_install, .fini = fake_sp_uninstall);

Test(serial, open_by_path_sets_8n1_and_baud)
{
	struct hb_transport *t;
	cr_assert_eq(hb_transport_open("serial:/dev/ttyUSB1", 921600, &t), HB_OK);
	cr_assert_str_eq(fake_sp.opened_name, "/dev/ttyUSB1");
	cr_assert_eq(fake_sp.baud, 921600);
	cr_assert_eq(fake_sp.bits, 8);
	cr_assert_eq(fake_sp.parity, SP_PARITY_NONE);
	cr_assert_eq(fake_sp.stopbits, 1);
	cr_assert_eq(fake_sp.flow, SP_FLOWCONTROL_NONE);
	cr_assert_eq(hb_transport_set_baud(t, 12000000), HB_OK);
	cr_assert_eq(fake_sp.baud, 12000000);
	cr_assert_eq(hb_transport_set_baud(t, 13000000), HB_ERR_RANGE);
	hb_transport_close(t);
	cr_assert_eq(fake_sp.closed, 1);
	cr_assert_eq(fake_sp.freed, 1);
}

Test(serial, open_by_usb_serial_number)
{
	struct hb_transport *t;
	cr_assert_eq(hb_transport_open("serial:usb-serial=E660ABCD", 115200, &t), HB_OK);
	cr_assert_str_eq(fake_sp.opened_name, "/dev/ttyACM0");
	hb_transport_close(t);
	cr_assert_eq(hb_transport_open("serial:usb-serial=NOPE", 115200, &t), HB_ERR_NOTFOUND);
}

Test(serial, open_errors)
{
	struct hb_transport *t;
	cr_assert_eq(hb_transport_open("serial:/dev/ttyUSB9", 115200, &t), HB_ERR_NOTFOUND);
	fake_sp.open_errno = EACCES;
	cr_assert_eq(hb_transport_open("serial:/dev/ttyUSB0", 115200, &t), HB_ERR_PERM);
	fake_sp.open_errno = EBUSY;
	cr_assert_eq(hb_transport_open("serial:/dev/ttyUSB0", 115200, &t), HB_ERR_BUSY);
	fake_sp.open_errno = 0;
	cr_assert_eq(hb_transport_open("serial:/dev/ttyUSB0?baud=9600", 115200, &t), HB_ERR_ARG);
	cr_assert_eq(hb_transport_open("serial:", 115200, &t), HB_ERR_ARG);
}

Test(serial, data_timeout_and_vanishing)
{
	struct hb_transport *t;
	cr_assert_eq(hb_transport_open("serial:/dev/ttyUSB0", 115200, &t), HB_OK);
	cr_assert_eq(hb_transport_write(t, "abc", 3, 100), HB_OK);
	cr_assert_arr_eq(fake_sp.tx, "abc", 3);
	fake_sp_feed("xyz", 3);
	char b[8];
	size_t got;
	cr_assert_eq(hb_transport_read(t, b, sizeof b, &got, 100), HB_OK);
	cr_assert_eq(got, 3);
	cr_assert_eq(hb_transport_read(t, b, sizeof b, &got, 10), HB_ERR_TIMEOUT);
	cr_assert_eq(hb_transport_read(t, b, sizeof b, &got, 0), HB_ERR_TIMEOUT, "non-blocking");
	fake_sp.vanish_at_read = fake_sp.reads + 1;
	cr_assert_eq(hb_transport_read(t, b, sizeof b, &got, 100), HB_ERR_GONE);
	hb_transport_close(t);
}
