/* serial: transport through the fake libserialport (hb_sp_api table). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
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
	cr_assert_eq(hb_transport_set_baud(t, 13000000), HB_ERR_ARG);
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

/* ---- the ftdi_sio latency timer (issue 12: serial: kept the kernel's 16 ms) ---- */

static char root[64];

static void make_attr(const char *tty, const char *value)
{
	char p[256];
	snprintf(p, sizeof p, "mkdir -p %s/bus/usb-serial/devices/%s", root, tty);
	cr_assert_eq(system(p), 0);
	snprintf(p, sizeof p, "%s/bus/usb-serial/devices/%s/latency_timer", root, tty);
	FILE *f = fopen(p, "w");
	cr_assert_not_null(f);
	fputs(value, f);
	fclose(f);
}

static int read_attr(const char *tty)
{
	char p[256], v[16] = "";
	snprintf(p, sizeof p, "%s/bus/usb-serial/devices/%s/latency_timer", root, tty);
	FILE *f = fopen(p, "r");
	cr_assert_not_null(f);
	cr_assert_not_null(fgets(v, sizeof v, f));
	fclose(f);
	return atoi(v);
}

Test(serial, ftdi_latency_timer_is_set_to_1_ms_through_sysfs)
{
	strcpy(root, "/tmp/hb-sysfs-XXXXXX");
	cr_assert_not_null(mkdtemp(root));
	setenv("HB_SYSFS_ROOT", root, 1);
	make_attr("ttyUSB1", "16\n"); /* the kernel default */
	struct hb_transport *t;
	cr_assert_eq(hb_transport_open("serial:/dev/ttyUSB1", 3000000, &t), HB_OK);
	cr_assert_eq(read_attr("ttyUSB1"), 1);
	hb_transport_close(t);
	/* not an FTDI (no latency_timer attribute): opens, nothing written */
	cr_assert_eq(hb_transport_open("serial:/dev/ttyACM0", 115200, &t), HB_OK);
	hb_transport_close(t);
	/* a read-only attribute (no udev rule, not root) is a warning, not a failure */
	make_attr("ttyUSB0", "16\n");
	char p[256];
	snprintf(p, sizeof p, "%s/bus/usb-serial/devices/ttyUSB0/latency_timer", root);
	chmod(p, 0444);
	if (geteuid() != 0) {
		cr_assert_eq(hb_transport_open("serial:/dev/ttyUSB0", 115200, &t), HB_OK);
		hb_transport_close(t);
		cr_assert_eq(read_attr("ttyUSB0"), 16);
	}
	unsetenv("HB_SYSFS_ROOT");
	snprintf(p, sizeof p, "rm -rf %s", root);
	system(p);
}

Test(serial, ftdi_adapter_rate_it_cannot_make_is_a_usage_error)
{
	struct hb_transport *t;
	/* /dev/ttyUSB1 is an FT2232H (12 MHz / (n + k/8)): 10 Mbaud falls between 8 and 12 */
	cr_assert_eq(hb_transport_open("serial:/dev/ttyUSB1", 10000000, &t), HB_ERR_ARG);
	cr_assert_eq(fake_sp.opened, fake_sp.closed, "closed again");
	cr_assert_eq(hb_transport_open("serial:/dev/ttyUSB1", 8000000, &t), HB_OK);
	hb_transport_close(t);
	/* not an FTDI: the driver decides */
	cr_assert_eq(hb_transport_open("serial:/dev/ttyACM0", 10000000, &t), HB_OK);
	hb_transport_close(t);
}
