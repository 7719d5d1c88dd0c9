/* hilbench — the libserialport calls hilbench makes, as a replaceable table (tests install
 * a fake port; hb_sp_api_reset() restores the real library). */
#ifndef HB_SP_API_H
#define HB_SP_API_H

#include <libserialport.h>

struct hb_sp_api {
	enum sp_return (*get_port_by_name)(const char *name, struct sp_port **port);
	enum sp_return (*list_ports)(struct sp_port ***list);
	void (*free_port_list)(struct sp_port **list);
	void (*free_port)(struct sp_port *port);
	char *(*get_port_name)(const struct sp_port *port);
	enum sp_transport (*get_port_transport)(const struct sp_port *port);
	char *(*get_port_usb_serial)(const struct sp_port *port);
	enum sp_return (*get_port_usb_vid_pid)(const struct sp_port *port, int *vid, int *pid);
	enum sp_return (*open)(struct sp_port *port, enum sp_mode flags);
	enum sp_return (*close)(struct sp_port *port);
	enum sp_return (*set_baudrate)(struct sp_port *port, int baud);
	enum sp_return (*set_bits)(struct sp_port *port, int bits);
	enum sp_return (*set_parity)(struct sp_port *port, enum sp_parity parity);
	enum sp_return (*set_stopbits)(struct sp_port *port, int stopbits);
	enum sp_return (*set_flowcontrol)(struct sp_port *port, enum sp_flowcontrol fc);
	enum sp_return (*blocking_read_next)(struct sp_port *port, void *buf, size_t count,
					     unsigned int timeout_ms);
	enum sp_return (*nonblocking_read)(struct sp_port *port, void *buf, size_t count);
	enum sp_return (*blocking_write)(struct sp_port *port, const void *buf, size_t count,
					 unsigned int timeout_ms);
	enum sp_return (*flush)(struct sp_port *port, enum sp_buffer buffers);
	int (*last_error_code)(void);
	char *(*last_error_message)(void);
	void (*free_error_message)(char *message);
};

extern struct hb_sp_api hb_sp_api;
void hb_sp_api_reset(void);

#endif
