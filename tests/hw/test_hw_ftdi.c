/* With HB_HW=1 the bench claims to have hardware attached: at least one FTDI device
 * (vendor 0x0403, the USB-UART of every shipped board) must be visible to libusb. */
#include <criterion/criterion.h>
#include <libusb.h>

Test(hw, an_ftdi_device_is_attached)
{
	libusb_context *ctx = NULL;
	cr_assert_eq(libusb_init(&ctx), 0, "libusb_init failed");
	libusb_device **list = NULL;
	ssize_t n = libusb_get_device_list(ctx, &list);
	cr_assert_geq(n, 0, "libusb_get_device_list: %s", libusb_error_name((int)n));
	int ftdi = 0;
	for (ssize_t i = 0; i < n; i++) {
		struct libusb_device_descriptor d;
		if (libusb_get_device_descriptor(list[i], &d) == 0 && d.idVendor == 0x0403)
			ftdi++;
	}
	libusb_free_device_list(list, 1);
	libusb_exit(ctx);
	cr_assert_gt(ftdi, 0, "HB_HW=1 but libusb sees no FTDI device (0403:*) among %zd", n);
}
