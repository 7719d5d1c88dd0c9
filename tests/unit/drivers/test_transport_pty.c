/* pty: transport against a real pseudo-terminal pair (openpty). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "hb_clock.h"
#include "hb_transport.h"

static int master = -1;
static char path[128];
static struct hb_transport *t;

static void setup(void)
{
	int slave;
	cr_assert_eq(openpty(&master, &slave, path, NULL, NULL), 0);
	char uri[160];
	snprintf(uri, sizeof uri, "pty:%s", path);
	cr_assert_eq(hb_transport_open(uri, 115200, &t), HB_OK);
	close(slave); /* the transport holds its own descriptor */
	struct termios tio;
	tcgetattr(master, &tio);
	cfmakeraw(&tio);
	tcsetattr(master, TCSANOW, &tio);
}

static void teardown(void)
{
	hb_transport_close(t);
	t = NULL;
	if (master >= 0)
		close(master);
	master = -1;
}

static size_t read_master(void *buf, size_t len, int timeout_ms)
{
	size_t have = 0;
	while (have < len) {
		struct pollfd p = {.fd = master, .events = POLLIN};
		if (poll(&p, 1, timeout_ms) <= 0)
			break;
		ssize_t n = read(master, (char *)buf + have, len - have);
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	return have;
}

TestSuite(pty, .init = setup, .fini = teardown);

Test(pty, bytes_flow_both_ways_raw)
{
	uint8_t all[256];
	for (int i = 0; i < 256; i++)
		all[i] = (uint8_t)i; /* includes \r \n ^C ^S: raw mode must keep them */
	cr_assert_eq(hb_transport_write(t, all, sizeof all, 1000), HB_OK);
	uint8_t got[256];
	cr_assert_eq(read_master(got, sizeof got, 1000), sizeof got);
	cr_assert_arr_eq(got, all, sizeof all);

	cr_assert_eq(write(master, all, sizeof all), (ssize_t)sizeof all);
	uint8_t back[256];
	cr_assert_eq(hb_transport_read_exact(t, back, sizeof back, 1000), HB_OK);
	cr_assert_arr_eq(back, all, sizeof all);
}

Test(pty, read_times_out_without_data)
{
	uint8_t b;
	size_t got = 99;
	struct hb_clock *c = hb_clock_system();
	uint64_t t0 = c->now_ns(c);
	cr_assert_eq(hb_transport_read(t, &b, 1, &got, 50), HB_ERR_TIMEOUT);
	uint64_t dt = c->now_ns(c) - t0;
	cr_assert_eq(got, 0);
	cr_assert_geq(dt, 45000000ull);
	cr_assert_lt(dt, 1000000000ull);
	/* a short read is OK with the count; read_exact makes it a timeout */
	cr_assert_eq(write(master, "ab", 2), 2);
	uint8_t buf[8];
	cr_assert_eq(hb_transport_read_exact(t, buf, 8, 100), HB_ERR_TIMEOUT);
}

Test(pty, baud_rates_including_termios2)
{
	unsigned rates[] = {115200, 921600, 3000000, 4000000};
	for (unsigned i = 0; i < sizeof rates / sizeof rates[0]; i++) {
		cr_assert_eq(hb_transport_set_baud(t, rates[i]), HB_OK, "baud %u", rates[i]);
		cr_assert_eq(t->baud, rates[i]);
	}
	struct termios tio;
	cr_assert_eq(tcgetattr(master, &tio), 0);
	cr_assert_eq(cfgetospeed(&tio), B4000000, "the master sees the slave's speed");
	/* 12 Mbaud is not a Bxxx constant: termios2/BOTHER */
	cr_assert_eq(hb_transport_set_baud(t, 12000000), HB_OK);
	cr_assert_eq(hb_transport_flush(t), HB_OK);
}

Test(pty, peer_closing_is_gone_not_a_hang)
{
	close(master);
	master = -1;
	uint8_t b[4];
	size_t got;
	cr_assert_eq(hb_transport_read(t, b, sizeof b, &got, 2000), HB_ERR_GONE);
	cr_assert_eq(hb_transport_write(t, "x", 1, 200), HB_ERR_GONE);
}

Test(pty, open_errors)
{
	struct hb_transport *x;
	cr_assert_eq(hb_transport_open("pty:/dev/pts/9999", 115200, &x), HB_ERR_NOTFOUND);
	char uri[200];
	snprintf(uri, sizeof uri, "pty:%s?latency=1", path);
	cr_assert_eq(hb_transport_open(uri, 115200, &x), HB_ERR_ARG, "unconsumed parameter");
	cr_assert_eq(hb_transport_open("pty:/dev/null", 115200, &x), HB_ERR_ARG, "not a tty");
	cr_assert_eq(hb_transport_open("bogus:/x", 115200, &x), HB_ERR_ARG);
	cr_assert_eq(hb_transport_open("nocolon", 115200, &x), HB_ERR_ARG);
	cr_assert_null(x);
}
