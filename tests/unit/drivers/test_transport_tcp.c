/* tcp: transport against a loopback listener owned by the test. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hb_transport.h"

static int listen_fd = -1;
static int port;

static void setup(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof sa;
	listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_geq(listen_fd, 0);
	cr_assert_eq(bind(listen_fd, (struct sockaddr *)&sa, sizeof sa), 0);
	cr_assert_eq(listen(listen_fd, 4), 0);
	getsockname(listen_fd, (struct sockaddr *)&sa, &len);
	port = ntohs(sa.sin_port);
}

static void teardown(void)
{
	close(listen_fd);
}

TestSuite(tcp, .init = setup, .fini = teardown);

Test(tcp, exchange_and_peer_close)
{
	char uri[64];
	struct hb_transport *t;
	snprintf(uri, sizeof uri, "tcp://127.0.0.1:%d", port);
	cr_assert_eq(hb_transport_open(uri, 115200, &t), HB_OK);
	int peer = accept(listen_fd, NULL, NULL);
	cr_assert_geq(peer, 0);
	uint8_t data[1000];
	for (unsigned i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 7);
	cr_assert_eq(hb_transport_write(t, data, sizeof data, 1000), HB_OK);
	uint8_t got[1000];
	size_t have = 0;
	while (have < sizeof got) {
		ssize_t n = read(peer, got + have, sizeof got - have);
		cr_assert_gt(n, 0);
		have += (size_t)n;
	}
	cr_assert_arr_eq(got, data, sizeof data);
	cr_assert_eq(write(peer, "pong", 4), 4);
	char back[4];
	cr_assert_eq(hb_transport_read_exact(t, back, 4, 1000), HB_OK);
	cr_assert_arr_eq(back, "pong", 4);
	size_t n;
	cr_assert_eq(hb_transport_read(t, back, 4, &n, 30), HB_ERR_TIMEOUT);
	cr_assert_eq(hb_transport_set_baud(t, 9600), HB_ERR_UNSUPPORTED);
	close(peer);
	cr_assert_eq(hb_transport_read(t, back, 4, &n, 1000), HB_ERR_GONE);
	hb_transport_close(t);
}

Test(tcp, open_errors)
{
	char uri[96];
	struct hb_transport *t;
	snprintf(uri, sizeof uri, "tcp://127.0.0.1:%d?bogus=1", port);
	cr_assert_eq(hb_transport_open(uri, 115200, &t), HB_ERR_ARG);
	close(listen_fd);
	listen_fd = -1;
	snprintf(uri, sizeof uri, "tcp://127.0.0.1:%d?connect_timeout=500", port);
	cr_assert_eq(hb_transport_open(uri, 115200, &t), HB_ERR_NOTFOUND, "refused");
	cr_assert_eq(hb_transport_open("tcp://127.0.0.1", 115200, &t), HB_ERR_ARG);
	cr_assert_eq(hb_transport_open("tcp://no.such.host.invalid:1", 115200, &t),
		     HB_ERR_NOTFOUND);
}

static void *flooder(void *arg)
{
	int fd = *(int *)arg;
	static const uint8_t junk[4096] = {'x'};
	while (send(fd, junk, sizeof junk, MSG_NOSIGNAL) > 0)
		;
	return NULL;
}

/* A peer that never stops sending cannot keep a flush looping (docs/security.md). */
Test(tcp, flush_returns_although_the_peer_floods, .timeout = 30)
{
	char uri[64];
	struct hb_transport *t;
	snprintf(uri, sizeof uri, "tcp://127.0.0.1:%d", port);
	cr_assert_eq(hb_transport_open(uri, 115200, &t), HB_OK);
	int peer = accept(listen_fd, NULL, NULL);
	cr_assert_geq(peer, 0);
	pthread_t th;
	pthread_create(&th, NULL, flooder, &peer);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(hb_transport_flush(t), HB_OK);
	hb_transport_close(t);
	pthread_join(th, NULL);
	close(peer);
}
