#include "hb_sp_api.h"

#define REAL_SP_API { \
	.get_port_by_name = sp_get_port_by_name, \
	.list_ports = sp_list_ports, \
	.free_port_list = sp_free_port_list, \
	.free_port = sp_free_port, \
	.get_port_name = sp_get_port_name, \
	.get_port_transport = sp_get_port_transport, \
	.get_port_usb_serial = sp_get_port_usb_serial, \
	.get_port_usb_vid_pid = sp_get_port_usb_vid_pid, \
	.open = sp_open, \
	.close = sp_close, \
	.set_baudrate = sp_set_baudrate, \
	.set_bits = sp_set_bits, \
	.set_parity = sp_set_parity, \
	.set_stopbits = sp_set_stopbits, \
	.set_flowcontrol = sp_set_flowcontrol, \
	.blocking_read_next = sp_blocking_read_next, \
	.nonblocking_read = sp_nonblocking_read, \
	.blocking_write = sp_blocking_write, \
	.flush = sp_flush, \
	.last_error_code = sp_last_error_code, \
	.last_error_message = sp_last_error_message, \
	.free_error_message = sp_free_error_message, \
}


static const struct hb_sp_api real = REAL_SP_API;
struct hb_sp_api hb_sp_api = REAL_SP_API;

void hb_sp_api_reset(void)
{
	hb_sp_api = real;
}
