/* rfc2217: against a REAL ser2net 4.x on loopback, its telnet(rfc2217) accepter connected
 * to one end of a pty pair. Labelled sim (needs the optional tool); fails, never skips, when
 * ser2net cannot be started. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "hb_transport.h"

static int master = -1, slave = -1, port;
static pid_t s2n = -1;
static char dir[64], cfg[128];

static int free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bind(fd, (struct sockaddr *)&sa, sizeof sa);
	getsockname(fd, (struct sockaddr *)&sa, &len);
	close(fd);
	return ntohs(sa.sin_port);
}

static int port_open(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				 .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
	close(fd);
	return ok;
}

static void setup(void)
{
	char name[128];
	cr_assert_eq(openpty(&master, &slave, name, NULL, NULL), 0);
	struct termios tio;
	tcgetattr(master, &tio);
	cfmakeraw(&tio);
	tcsetattr(master, TCSANOW, &tio);
	strcpy(dir, "/tmp/hb-s2n-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(cfg, sizeof cfg, "%s/ser2net.yaml", dir);
	port = free_port();
	FILE *f = fopen(cfg, "w");
	fprintf(f, "connection: &hb\n"
		   "  accepter: telnet(rfc2217),tcp,127.0.0.1,%d\n"
		   "  connector: serialdev,%s,115200n81,local\n"
		   "  options:\n"
		   "    kickolduser: true\n", port, name);
	fclose(f);
	char pidf[160];
	snprintf(pidf, sizeof pidf, "%s/ser2net.pid", dir);
	s2n = fork();
	if (s2n == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 1), dup2(null, 2);
		execlp("ser2net", "ser2net", "-n", "-u", "-c", cfg, "-P", pidf, (char *)NULL);
		execl("/usr/sbin/ser2net", "ser2net", "-n", "-u", "-c", cfg, "-P", pidf, (char *)NULL);
		_exit(127);
	}
	cr_assert_gt(s2n, 0);
	for (int i = 0; i < 100 && !port_open(); i++) {
		int st;
		cr_assert_eq(waitpid(s2n, &st, WNOHANG), 0, "ser2net exited (not installed?)");
		usleep(50000);
	}
	cr_assert(port_open(), "ser2net did not start listening on port %d", port);
}

static void teardown(void)
{
	if (s2n > 0) {
		kill(s2n, SIGTERM);
		waitpid(s2n, NULL, 0);
	}
	close(master);
	close(slave);
	char p[160];
	snprintf(p, sizeof p, "%s/ser2net.pid", dir);
	unlink(p);
	unlink(cfg);
	rmdir(dir);
}

TestSuite(ser2net, .init = setup, .fini = teardown, .timeout = 30);

static size_t read_master(uint8_t *b, size_t n, int ms)
{
	size_t h = 0;
	while (h < n) {
		struct pollfd p = {.fd = master, .events = POLLIN};
		if (poll(&p, 1, ms) <= 0)
			break;
		ssize_t r = read(master, b + h, n - h);
		if (r <= 0)
			break;
		h += (size_t)r;
	}
	return h;
}

Test(ser2net, real_rfc2217_server)
{
	char uri[64];
	struct hb_transport *t;
	snprintf(uri, sizeof uri, "rfc2217://127.0.0.1:%d", port);
	cr_assert_eq(hb_transport_open(uri, 460800, &t), HB_OK);
	struct termios tio;
	cr_assert_eq(tcgetattr(master, &tio), 0);
	cr_assert_eq(cfgetospeed(&tio), B460800, "ser2net applied SET-BAUDRATE to the pty");
	uint8_t data[300];
	for (unsigned i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(255 - i); /* plenty of 0xFF */
	cr_assert_eq(hb_transport_write(t, data, sizeof data, 2000), HB_OK);
	uint8_t got[300];
	cr_assert_eq(read_master(got, sizeof got, 2000), sizeof got);
	cr_assert_arr_eq(got, data, sizeof data);
	cr_assert_eq(write(master, data, sizeof data), (ssize_t)sizeof data);
	uint8_t back[300];
	cr_assert_eq(hb_transport_read_exact(t, back, sizeof back, 2000), HB_OK);
	cr_assert_arr_eq(back, data, sizeof data);
	cr_assert_eq(hb_transport_set_baud(t, 921600), HB_OK);
	usleep(100000);
	cr_assert_eq(tcgetattr(master, &tio), 0);
	cr_assert_eq(cfgetospeed(&tio), B921600);
	hb_transport_close(t);
}
