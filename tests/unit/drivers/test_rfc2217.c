/* rfc2217: the Telnet codec on byte vectors, and the transport against a fake Telnet peer
 * that checks the negotiation bytes (RFC 854/855/2217). */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hb_telnet.h"
#include "hb_transport.h"

enum { IAC = 255, WILL = 251, WONT = 252, DO = 253, DONT = 254, SB = 250, SE = 240 };

Test(telnet, escape_doubles_iac)
{
	const uint8_t in[] = {1, 0xff, 2, 0xff, 0xff};
	uint8_t out[10];
	size_t n = hb_telnet_escape(in, sizeof in, out);
	const uint8_t want[] = {1, 0xff, 0xff, 2, 0xff, 0xff, 0xff, 0xff};
	cr_assert_eq(n, sizeof want);
	cr_assert_arr_eq(out, want, n);
}

Test(telnet, decode_data_commands_and_replies)
{
	struct hb_telnet tn;
	hb_telnet_init(&tn);
	uint8_t hello[32];
	size_t hn = hb_telnet_hello(&tn, hello, sizeof hello);
	const uint8_t want_hello[] = {IAC, WILL, 44, IAC, WILL, 0, IAC, DO, 0, IAC, WILL, 3, IAC, DO, 3};
	cr_assert_eq(hn, sizeof want_hello);
	cr_assert_arr_eq(hello, want_hello, hn);
	/* data with an escaped 0xFF, split in the middle of IAC IAC; server options */
	const uint8_t a[] = {'a', IAC};
	const uint8_t b[] = {IAC, 'b', IAC, DO, 44, IAC, WILL, 1, IAC, DO, 24, IAC, WILL, 0, 'c'};
	uint8_t out[32];
	size_t n = hb_telnet_decode(&tn, a, sizeof a, out);
	n += hb_telnet_decode(&tn, b, sizeof b, out + n);
	const uint8_t want[] = {'a', 0xff, 'b', 'c'};
	cr_assert_eq(n, sizeof want);
	cr_assert_arr_eq(out, want, n);
	cr_assert(tn.server_do_comport);
	/* refuse ECHO (WILL 1) and TERMINAL-TYPE (DO 24); nothing for options already agreed */
	const uint8_t want_reply[] = {IAC, DONT, 1, IAC, WONT, 24};
	cr_assert_eq(tn.replyn, sizeof want_reply);
	cr_assert_arr_eq(tn.reply, want_reply, tn.replyn);
}

Test(telnet, comport_commands_and_server_replies)
{
	uint8_t out[32];
	size_t n = hb_telnet_set_baud(0x002dc6ff, out); /* 3000063: contains 0xFF */
	const uint8_t want[] = {IAC, SB, 44, 1, 0x00, 0x2d, 0xc6, 0xff, 0xff, IAC, SE};
	cr_assert_eq(n, sizeof want);
	cr_assert_arr_eq(out, want, n);

	struct hb_telnet tn;
	hb_telnet_init(&tn);
	const uint8_t rep[] = {IAC, SB, 44, 101, 0x00, 0x2d, 0xc6, 0xff, 0xff, IAC, SE,
			       IAC, SB, 44, 102, 8, IAC, SE, IAC, SB, 44, 103, 1, IAC, SE,
			       IAC, SB, 44, 104, 1, IAC, SE, 'z'};
	uint8_t data[8];
	cr_assert_eq(hb_telnet_decode(&tn, rep, sizeof rep, data), 1);
	cr_assert_eq(data[0], 'z');
	cr_assert_eq(tn.baud, 0x002dc6ff);
	cr_assert_eq(tn.datasize, 8);
	cr_assert_eq(tn.parity, 1);
	cr_assert_eq(tn.stopsize, 1);
	cr_assert_eq(tn.acked & 0x1e, 0x1e);
}

/* ---- a fake RFC 2217 server ---- */

static int lfd = -1, port;
static pthread_t thr;
static int refuse;     /* answer DONT COM-PORT */
static int lie_baud;   /* acknowledge a different baud */
static int binary_mode; /* 0: agree to BINARY both ways, 1: refuse it, 2: never answer */
static int flood;      /* 1: send data forever instead of answering the line settings;
			  2: answer normally, send data forever after a PURGE-DATA */

/* A hostile server's stream of data, until the client goes away. */
static void flood_until_closed(int fd)
{
	static const uint8_t junk[4096] = {'x'};
	while (send(fd, junk, sizeof junk, MSG_NOSIGNAL) > 0)
		;
}
static uint32_t bauds_seen[4];
static int nbauds;
static uint8_t payload_seen[64];
static size_t payload_n;

static int rd(int fd, uint8_t *b)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	if (poll(&p, 1, 3000) <= 0)
		return -1;
	return read(fd, b, 1) == 1 ? 0 : -1;
}

static void *server(void *arg)
{
	(void)arg;
	int fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		return NULL;
	uint8_t b, sb[32];
	/* expect the client's opening: it must offer WILL COM-PORT first */
	uint8_t first[3];
	for (int i = 0; i < 3; i++)
		if (rd(fd, &first[i]))
			goto out;
	if (first[0] != IAC || first[1] != WILL || first[2] != 44)
		goto out;
	if (refuse) {
		const uint8_t no[] = {IAC, DONT, 44};
		write(fd, no, sizeof no);
		goto drain;
	}
	const uint8_t yes[] = {IAC, DO, 44, IAC, WILL, 1 /* ECHO: must be refused */};
	write(fd, yes, sizeof yes);
	if (flood == 1) {
		flood_until_closed(fd);
		goto out;
	}
	for (;;) {
		if (rd(fd, &b))
			break;
		if (b != IAC) {
			if (payload_n < sizeof payload_seen)
				payload_seen[payload_n++] = b;
			const uint8_t echo[] = {b};
			write(fd, echo, 1);
			continue;
		}
		if (rd(fd, &b))
			break;
		if (b == IAC) { /* escaped 0xFF in data: echo it escaped */
			if (payload_n < sizeof payload_seen)
				payload_seen[payload_n++] = 0xff;
			const uint8_t echo[] = {IAC, IAC};
			write(fd, echo, 2);
		} else if (b == SB) {
			size_t n = 0;
			for (;;) {
				if (rd(fd, &b))
					goto out;
				if (b == IAC) {
					if (rd(fd, &b))
						goto out;
					if (b == SE)
						break;
				}
				if (n < sizeof sb)
					sb[n++] = b;
			}
			if (n >= 2 && sb[0] == 44) {
				uint8_t rep[40];
				size_t k = 0;
				if (sb[1] == 1 && n == 6) {
					uint32_t v = (uint32_t)sb[2] << 24 | sb[3] << 16 | sb[4] << 8 | sb[5];
					if (nbauds < 4)
						bauds_seen[nbauds++] = v;
					if (lie_baud)
						sb[5] ^= 1;
				}
				rep[k++] = IAC, rep[k++] = SB, rep[k++] = 44, rep[k++] = (uint8_t)(sb[1] + 100);
				for (size_t i = 2; i < n; i++) {
					rep[k++] = sb[i];
					if (sb[i] == IAC)
						rep[k++] = IAC;
				}
				rep[k++] = IAC, rep[k++] = SE;
				write(fd, rep, k);
				if (flood == 2 && sb[1] == 12) { /* PURGE-DATA */
					flood_until_closed(fd);
					goto out;
				}
			}
		} else {
			uint8_t verb = b;
			if (rd(fd, &b)) /* option byte of WILL/WONT/DO/DONT */
				break;
			if (b == 0 /* BINARY */ && binary_mode != 2 && (verb == WILL || verb == DO)) {
				const uint8_t yes_no[2][2] = {{DO, WILL}, {DONT, WONT}};
				uint8_t rep[3] = {IAC, yes_no[binary_mode][verb == DO], 0};
				write(fd, rep, 3);
			}
		}
	}
	goto out;
drain:
	while (rd(fd, &b) == 0)
		;
out:
	close(fd);
	return NULL;
}

static void setup(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof sa;
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_eq(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
	cr_assert_eq(listen(lfd, 1), 0);
	getsockname(lfd, (struct sockaddr *)&sa, &len);
	port = ntohs(sa.sin_port);
	refuse = lie_baud = nbauds = binary_mode = flood = 0;
	payload_n = 0;
	pthread_create(&thr, NULL, server, NULL);
}

static void teardown(void)
{
	shutdown(lfd, SHUT_RDWR);
	close(lfd);
	pthread_join(thr, NULL);
}

TestSuite(rfc2217, .init = setup, .fini = teardown);

static enum hb_status open_r2(unsigned baud, struct hb_transport **t)
{
	char uri[96];
	snprintf(uri, sizeof uri, "rfc2217://127.0.0.1:%d?negotiate_timeout=1000", port);
	return hb_transport_open(uri, baud, t);
}

Test(rfc2217, negotiates_and_escapes_data_both_ways)
{
	struct hb_transport *t;
	cr_assert_eq(open_r2(3000063, &t), HB_OK);
	cr_assert_eq(nbauds, 1);
	cr_assert_eq(bauds_seen[0], 3000063, "SET-BAUDRATE value with an 0xFF byte");
	const uint8_t data[] = {0x00, 0xff, 0x41, 0xff, 0xff, 0x0d, 0x0a};
	cr_assert_eq(hb_transport_write(t, data, sizeof data, 1000), HB_OK);
	uint8_t back[sizeof data];
	cr_assert_eq(hb_transport_read_exact(t, back, sizeof back, 2000), HB_OK);
	cr_assert_arr_eq(back, data, sizeof data, "the echo came back unescaped");
	cr_assert_eq(payload_n, sizeof data);
	cr_assert_arr_eq(payload_seen, data, sizeof data, "the server saw the raw bytes");
	cr_assert_eq(hb_transport_set_baud(t, 115200), HB_OK);
	cr_assert_eq(bauds_seen[1], 115200);
	cr_assert_eq(hb_transport_flush(t), HB_OK);
	hb_transport_close(t);
}

Test(rfc2217, refused_com_port_option_is_a_protocol_error)
{
	refuse = 1;
	struct hb_transport *t;
	cr_assert_eq(open_r2(115200, &t), HB_ERR_PROTO);
}

/* issue 12: BINARY was offered and never checked (CR-NUL insertion risk). */
Test(rfc2217, server_refusing_binary_is_a_protocol_error)
{
	binary_mode = 1;
	struct hb_transport *t;
	cr_assert_eq(open_r2(115200, &t), HB_ERR_PROTO);
}

Test(rfc2217, server_never_answering_binary_is_a_protocol_error)
{
	binary_mode = 2;
	struct hb_transport *t;
	cr_assert_eq(open_r2(115200, &t), HB_ERR_PROTO);
}

Test(telnet, binary_must_be_agreed_both_ways)
{
	struct hb_telnet tn;
	uint8_t hello[32], out[8];
	hb_telnet_init(&tn);
	hb_telnet_hello(&tn, hello, sizeof hello);
	cr_assert_eq(hb_telnet_binary_state(&tn), 0);
	const uint8_t do_bin[] = {IAC, DO, 0};
	hb_telnet_decode(&tn, do_bin, sizeof do_bin, out);
	cr_assert_eq(hb_telnet_binary_state(&tn), 0, "only our side so far");
	const uint8_t will_bin[] = {IAC, WILL, 0};
	hb_telnet_decode(&tn, will_bin, sizeof will_bin, out);
	cr_assert_eq(hb_telnet_binary_state(&tn), 1);
	const uint8_t wont_bin[] = {IAC, WONT, 0};
	hb_telnet_decode(&tn, wont_bin, sizeof wont_bin, out);
	cr_assert_eq(hb_telnet_binary_state(&tn), -1);
}

Test(rfc2217, baud_the_server_did_not_take_is_reported)
{
	lie_baud = 1;
	struct hb_transport *t;
	cr_assert_eq(open_r2(115200, &t), HB_ERR_UNSUPPORTED);
}

Test(rfc2217, raw_port_without_telnet_times_out)
{
	/* a raw peer that never negotiates: the server thread waits on the first bytes */
	refuse = 0;
	struct hb_transport *t;
	char uri[96];
	int raw = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof sa;
	bind(raw, (struct sockaddr *)&sa, sizeof sa);
	listen(raw, 1);
	getsockname(raw, (struct sockaddr *)&sa, &len);
	snprintf(uri, sizeof uri, "rfc2217://127.0.0.1:%d?negotiate_timeout=200", ntohs(sa.sin_port));
	cr_assert_eq(hb_transport_open(uri, 115200, &t), HB_ERR_TIMEOUT);
	close(raw);
	/* unblock the fake server */
	cr_assert_eq(open_r2(115200, &t), HB_OK);
	hb_transport_close(t);
}

/* A hostile server that sends data instead of answering: open fails at once with
 * HB_ERR_RANGE (it used to spin on a full buffer until the negotiation deadline). */
Test(rfc2217, server_flooding_instead_of_answering_is_refused)
{
	flood = 1;
	struct hb_transport *t;
	cr_assert_eq(open_r2(115200, &t), HB_ERR_RANGE);
}

/* A flush against a server that never stops sending returns (it used to loop for as long
 * as data kept coming). The suite's timeout catches a hang. */
Test(rfc2217, flush_returns_although_the_server_floods, .timeout = 30)
{
	flood = 2;
	struct hb_transport *t;
	cr_assert_eq(open_r2(115200, &t), HB_OK);
	cr_assert_eq(hb_transport_flush(t), HB_OK);
	hb_transport_close(t);
}
