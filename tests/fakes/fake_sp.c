#include "fake_sp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hb_sp_api.h"

struct sp_port {
	char name[64];
	int usb;
	char serial[32];
	int vid, pid;
};

struct fake_sp_state fake_sp;

static const struct sp_port ports[] = {
	{"/dev/ttyS0", 0, "", 0, 0},
	{"/dev/ttyUSB0", 1, "FT4XYZ", 0x0403, 0x6010},
	{"/dev/ttyUSB1", 1, "FT4XYZ", 0x0403, 0x6010},
	{"/dev/ttyACM0", 1, "E660ABCD", 0x2e8a, 0x000a},
};
#define NPORTS (sizeof ports / sizeof ports[0])

static struct sp_port *copy(const struct sp_port *p)
{
	struct sp_port *c = malloc(sizeof *c);
	*c = *p;
	return c;
}

static enum sp_return fail(int e)
{
	fake_sp.last_errno = e;
	return SP_ERR_FAIL;
}

static enum sp_return f_by_name(const char *name, struct sp_port **out)
{
	for (size_t i = 0; i < NPORTS; i++) {
		if (strcmp(ports[i].name, name) == 0) {
			*out = copy(&ports[i]);
			return SP_OK;
		}
	}
	return fail(ENOENT);
}

static enum sp_return f_list(struct sp_port ***out)
{
	struct sp_port **l = calloc(NPORTS + 1, sizeof *l);
	for (size_t i = 0; i < NPORTS; i++)
		l[i] = copy(&ports[i]);
	*out = l;
	return SP_OK;
}

static void f_free_port(struct sp_port *p)
{
	fake_sp.freed++;
	free(p);
}

static void f_free_list(struct sp_port **l)
{
	for (size_t i = 0; l[i]; i++)
		free(l[i]);
	free(l);
}

static char *f_name(const struct sp_port *p)
{
	return (char *)p->name;
}

static enum sp_transport f_transport(const struct sp_port *p)
{
	return p->usb ? SP_TRANSPORT_USB : SP_TRANSPORT_NATIVE;
}

static char *f_usb_serial(const struct sp_port *p)
{
	return p->usb ? (char *)p->serial : NULL;
}

static enum sp_return f_vid_pid(const struct sp_port *p, int *v, int *d)
{
	*v = p->vid, *d = p->pid;
	return SP_OK;
}

static enum sp_return f_open(struct sp_port *p, enum sp_mode m)
{
	(void)m;
	if (fake_sp.open_errno)
		return fail(fake_sp.open_errno);
	fake_sp.opened++;
	strcpy(fake_sp.opened_name, p->name);
	return SP_OK;
}

static enum sp_return f_close(struct sp_port *p)
{
	(void)p;
	fake_sp.closed++;
	return SP_OK;
}

static enum sp_return f_baud(struct sp_port *p, int b)
{
	(void)p;
	if (b <= 0)
		return SP_ERR_ARG;
	fake_sp.baud = b;
	return SP_OK;
}

static enum sp_return f_bits(struct sp_port *p, int b)
{
	(void)p;
	fake_sp.bits = b;
	return SP_OK;
}

static enum sp_return f_parity(struct sp_port *p, enum sp_parity x)
{
	(void)p;
	fake_sp.parity = (int)x;
	return SP_OK;
}

static enum sp_return f_stop(struct sp_port *p, int s)
{
	(void)p;
	fake_sp.stopbits = s;
	return SP_OK;
}

static enum sp_return f_flow(struct sp_port *p, enum sp_flowcontrol f)
{
	(void)p;
	fake_sp.flow = (int)f;
	return SP_OK;
}

static enum sp_return take(void *buf, size_t count)
{
	fake_sp.reads++;
	if (fake_sp.vanish_at_read && fake_sp.reads >= fake_sp.vanish_at_read)
		return fail(EIO);
	size_t k = fake_sp.rxn - fake_sp.rxoff;
	if (k > count)
		k = count;
	memcpy(buf, fake_sp.rx + fake_sp.rxoff, k);
	fake_sp.rxoff += k;
	return (enum sp_return)k;
}

static enum sp_return f_read_next(struct sp_port *p, void *buf, size_t count, unsigned t)
{
	(void)p, (void)t;
	return take(buf, count);
}

static enum sp_return f_read_nb(struct sp_port *p, void *buf, size_t count)
{
	(void)p;
	return take(buf, count);
}

static enum sp_return f_write(struct sp_port *p, const void *buf, size_t count, unsigned t)
{
	(void)p, (void)t;
	if (fake_sp.vanish_at_read && fake_sp.reads >= fake_sp.vanish_at_read)
		return fail(EIO);
	size_t room = sizeof fake_sp.tx - fake_sp.txn;
	size_t k = count < room ? count : room;
	memcpy(fake_sp.tx + fake_sp.txn, buf, k);
	fake_sp.txn += k;
	return (enum sp_return)k;
}

static enum sp_return f_flush(struct sp_port *p, enum sp_buffer b)
{
	(void)p, (void)b;
	fake_sp.flushes++;
	return SP_OK;
}

static void f_free_msg(char *m)
{
	free(m);
}

static int f_errcode(void)
{
	return fake_sp.last_errno;
}

static char *f_errmsg(void)
{
	return strdup(strerror(fake_sp.last_errno));
}

void fake_sp_install(void)
{
	memset(&fake_sp, 0, sizeof fake_sp);
	hb_sp_api = (struct hb_sp_api){
		.get_port_by_name = f_by_name,
		.list_ports = f_list,
		.free_port_list = f_free_list,
		.free_port = f_free_port,
		.get_port_name = f_name,
		.get_port_transport = f_transport,
		.get_port_usb_serial = f_usb_serial,
		.get_port_usb_vid_pid = f_vid_pid,
		.open = f_open,
		.close = f_close,
		.set_baudrate = f_baud,
		.set_bits = f_bits,
		.set_parity = f_parity,
		.set_stopbits = f_stop,
		.set_flowcontrol = f_flow,
		.blocking_read_next = f_read_next,
		.nonblocking_read = f_read_nb,
		.blocking_write = f_write,
		.flush = f_flush,
		.last_error_code = f_errcode,
		.last_error_message = f_errmsg,
		.free_error_message = f_free_msg,
	};
}

void fake_sp_uninstall(void)
{
	hb_sp_api_reset();
}

void fake_sp_feed(const void *buf, size_t n)
{
	memcpy(fake_sp.rx + fake_sp.rxn, buf, n);
	fake_sp.rxn += n;
}
