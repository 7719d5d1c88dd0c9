/* vboard: I2C client against a small fake server speaking docs/vboard.md, backed by the
 * register-level INA219 fake. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fake_clock.h"
#include "fake_i2c_bus.h"
#include "fake_ina219.h"
#include "hb_i2c.h"
#include "hb_ina2xx.h"

static char dir[64], sock_path[128];
static int lfd = -1;
static pthread_t thr;
static struct fake_ina219 chip;
static struct fake_i2c_bus fbus;
static volatile int stall_after = -1; /* stop answering after N requests */
static volatile int close_after = -1; /* hang up after N requests */
static volatile int bad_status;       /* answer with this status byte when nonzero */

static int read_full(int fd, uint8_t *b, size_t n)
{
	size_t h = 0;
	while (h < n) {
		ssize_t r = read(fd, b + h, n - h);
		if (r <= 0)
			return -1;
		h += (size_t)r;
	}
	return 0;
}

static void *server(void *arg)
{
	(void)arg;
	int fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		return NULL;
	for (int k = 0;; k++) {
		uint8_t h[4], w[255], r[256];
		if (read_full(fd, h, 4) != 0 || h[0] != 'X' || read_full(fd, w, h[2]) != 0)
			break;
		if (k == close_after)
			break;
		if (k == stall_after) {
			read_full(fd, h, 1); /* block until the client gives up and closes */
			break;
		}
		int rc = fake_i2c_bus_xfer(&fbus, h[1], w, h[2], r + 1, h[3]);
		r[0] = bad_status ? (uint8_t)bad_status : (uint8_t)rc;
		if (send(fd, r, r[0] ? 1u : 1u + h[3], MSG_NOSIGNAL) < 0)
			break;
	}
	close(fd);
	return NULL;
}

static void setup(void)
{
	strcpy(dir, "/tmp/hb-vbi2c-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(sock_path, sizeof sock_path, "%s/i2c.sock", dir);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	strcpy(sa.sun_path, sock_path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_eq(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
	cr_assert_eq(listen(lfd, 1), 0);
	fake_ina219_init(&chip, 0x40, hb_clock_system());
	memset(&fbus, 0, sizeof fbus);
	fbus.t[fbus.n++] = fake_ina219_target(&chip);
	stall_after = close_after = -1;
	bad_status = 0;
	pthread_create(&thr, NULL, server, NULL);
}

static void teardown(void)
{
	shutdown(lfd, SHUT_RDWR);
	close(lfd);
	pthread_join(thr, NULL);
	unlink(sock_path);
	rmdir(dir);
}

TestSuite(vboard_i2c, .init = setup, .fini = teardown);

static struct hb_i2c *open_bus(const char *params)
{
	char uri[200];
	struct hb_i2c *bus = NULL;
	snprintf(uri, sizeof uri, "vboard:%s%s", sock_path, params ? params : "");
	cr_assert_eq(hb_i2c_open(uri, &bus), HB_OK);
	return bus;
}

Test(vboard_i2c, ina219_through_the_socket)
{
	struct hb_i2c *bus = open_bus(NULL);
	struct hb_ina2xx dev;
	struct hb_ina2xx_config c = {.shunt_uohm = 100000, .max_current_uA = 2000000,
				     .bus_adc = -1, .shunt_adc = -1, .mode = -1};
	cr_assert_eq(hb_ina2xx_init(&dev, bus, 0x40, HB_INA219, &c), HB_OK);
	cr_assert_eq(chip.cal, 4096);
	chip.shunt_uV = 25000;
	chip.bus_mV = 1200;
	fake_ina219_convert(&chip);
	struct hb_ina2xx_reading r;
	cr_assert_eq(hb_ina2xx_read(&dev, &r), HB_OK);
	cr_assert_eq(r.current_uA, 250000);
	cr_assert_eq(r.bus_mV, 1200);
	uint8_t reg = 0;
	cr_assert_eq(hb_i2c_write(bus, 0x41, &reg, 1), HB_ERR_NACK, "address NACK");
	uint8_t bad[3] = {9, 0, 0};
	cr_assert_eq(hb_i2c_write(bus, 0x40, bad, 3), HB_ERR_NACK, "data NACK");
	hb_i2c_close(bus);
}

Test(vboard_i2c, bus_error_and_bad_status)
{
	struct hb_i2c *bus = open_bus(NULL);
	uint8_t v[2], reg = 0;
	bad_status = 3;
	cr_assert_eq(hb_i2c_write_read(bus, 0x40, &reg, 1, v, 2), HB_ERR_IO);
	bad_status = 7;
	cr_assert_eq(hb_i2c_write_read(bus, 0x40, &reg, 1, v, 2), HB_ERR_PROTO);
	hb_i2c_close(bus);
}

Test(vboard_i2c, stalled_board_times_out)
{
	stall_after = 0;
	struct hb_i2c *bus = open_bus("?timeout=100");
	uint8_t v[2], reg = 0;
	cr_assert_eq(hb_i2c_write_read(bus, 0x40, &reg, 1, v, 2), HB_ERR_TIMEOUT);
	hb_i2c_close(bus);
}

Test(vboard_i2c, board_exit_is_gone)
{
	close_after = 1;
	struct hb_i2c *bus = open_bus(NULL);
	uint8_t v[2], reg = 0;
	cr_assert_eq(hb_i2c_write_read(bus, 0x40, &reg, 1, v, 2), HB_OK);
	cr_assert_eq(hb_i2c_write_read(bus, 0x40, &reg, 1, v, 2), HB_ERR_GONE);
	hb_i2c_close(bus);
}

Test(vboard_i2c, open_errors)
{
	struct hb_i2c *bus;
	char uri[200];
	snprintf(uri, sizeof uri, "vboard:%s?speed=1", sock_path);
	cr_assert_eq(hb_i2c_open(uri, &bus), HB_ERR_ARG);
	cr_assert_eq(hb_i2c_open("vboard:/nonexistent/i2c.sock", &bus), HB_ERR_NOTFOUND);
	cr_assert_eq(hb_i2c_open("smbus:/dev/i2c-1", &bus), HB_ERR_ARG);
	/* let the server thread finish */
	bus = open_bus(NULL);
	hb_i2c_close(bus);
}
