#include "hb_tr_sock.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "hb_tr_util.h"

#define LOG_PREFIX "sock"
#include "hb_log.h"

/* The one place where socket errno values become statuses. */
static enum hb_status sock_status(int err, const char *who, const char *what)
{
	switch (err) {
	case 0:
	case ECONNRESET:
	case EPIPE:
	case ENOTCONN:
	case ESHUTDOWN:
		hb_err("%s: %s: connection closed by peer", who, what);
		return HB_ERR_GONE;
	case ECONNREFUSED:
	case ENOENT:
	case EHOSTUNREACH:
	case ENETUNREACH:
		hb_err("%s: %s: %s (is the server running?)", who, what, strerror(err));
		return HB_ERR_NOTFOUND;
	case EACCES:
	case EPERM:
		hb_err("%s: %s: %s", who, what, strerror(err));
		return HB_ERR_PERM;
	case ETIMEDOUT:
		hb_err("%s: %s: timed out", who, what);
		return HB_ERR_TIMEOUT;
	default:
		hb_err("%s: %s: %s", who, what, strerror(err));
		return HB_ERR_IO;
	}
}

static enum hb_status finish_connect(int fd, int timeout_ms, const char *who)
{
	struct pollfd pfd = {.fd = fd, .events = POLLOUT};
	int r;
	do
		r = poll(&pfd, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r == 0) {
		hb_err("%s: connect: no answer in %d ms", who, timeout_ms);
		return HB_ERR_TIMEOUT;
	}
	int err = 0;
	socklen_t len = sizeof err;
	if (r < 0)
		err = errno;
	else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	return err ? sock_status(err, who, "connect") : HB_OK;
}

enum hb_status hb_sock_connect_tcp(const char *hostport, int timeout_ms, int *fd_out)
{
	char host[200], port[16];
	const char *colon = strrchr(hostport, ':');
	*fd_out = -1;
	if (!colon || colon == hostport || !colon[1] || strlen(colon + 1) >= sizeof port ||
	    (size_t)(colon - hostport) >= sizeof host) {
		hb_err("'%s' is not host:port", hostport);
		return HB_ERR_ARG;
	}
	const char *h = hostport;
	size_t hl = (size_t)(colon - hostport);
	if (h[0] == '[' && hl >= 2 && h[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	memcpy(host, h, hl);
	host[hl] = 0;
	strcpy(port, colon + 1);
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL;
	int gai = getaddrinfo(host, port, &hints, &res);
	if (gai != 0) {
		hb_err("%s: cannot resolve: %s", hostport, gai_strerror(gai));
		return HB_ERR_NOTFOUND;
	}
	enum hb_status st = HB_ERR_NOTFOUND;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
				ai->ai_protocol);
		if (fd < 0) {
			st = sock_status(errno, hostport, "socket");
			continue;
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			st = HB_OK;
		else if (errno == EINPROGRESS)
			st = finish_connect(fd, timeout_ms, hostport);
		else
			st = sock_status(errno, hostport, "connect");
		if (st == HB_OK) {
			*fd_out = fd;
			break;
		}
		close(fd);
	}
	freeaddrinfo(res);
	return st;
}

enum hb_status hb_sock_connect_unix(const char *path, int timeout_ms, int *fd_out)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	*fd_out = -1;
	if (!path || !*path || strlen(path) >= sizeof sa.sun_path) {
		hb_err("unix socket path missing or too long");
		return HB_ERR_ARG;
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return sock_status(errno, path, "socket");
	enum hb_status st;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
		st = HB_OK;
	else if (errno == EINPROGRESS || errno == EAGAIN)
		st = finish_connect(fd, timeout_ms, path);
	else
		st = sock_status(errno, path, "connect");
	if (st != HB_OK) {
		close(fd);
		return st;
	}
	*fd_out = fd;
	return HB_OK;
}

enum hb_status hb_sock_read(int fd, void *buf, size_t cap, size_t *got, int timeout_ms,
			    const char *who)
{
	uint64_t deadline = hb_tr_deadline(timeout_ms);
	*got = 0;
	for (;;) {
		ssize_t n = recv(fd, buf, cap, MSG_DONTWAIT);
		if (n > 0) {
			*got = (size_t)n;
			return HB_OK;
		}
		if (n == 0)
			return sock_status(0, who, "read");
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return sock_status(errno, who, "read");
		int left = hb_tr_left(deadline);
		if (left == 0)
			return HB_ERR_TIMEOUT;
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		if (poll(&pfd, 1, left) < 0 && errno != EINTR)
			return sock_status(errno, who, "poll");
	}
}

enum hb_status hb_sock_read_exact(int fd, void *buf, size_t len, int timeout_ms,
				  const char *who)
{
	uint64_t deadline = hb_tr_deadline(timeout_ms);
	size_t have = 0;
	while (have < len) {
		size_t got;
		int left = hb_tr_left(deadline);
		if (left == 0)
			return HB_ERR_TIMEOUT;
		enum hb_status st = hb_sock_read(fd, (uint8_t *)buf + have, len - have, &got, left,
						 who);
		if (st != HB_OK)
			return st;
		have += got;
	}
	return HB_OK;
}

enum hb_status hb_sock_write(int fd, const void *buf, size_t len, int timeout_ms,
			     const char *who)
{
	uint64_t deadline = hb_tr_deadline(timeout_ms);
	const uint8_t *b = buf;
	while (len) {
		ssize_t n = send(fd, b, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			b += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return sock_status(errno, who, "write");
		int left = hb_tr_left(deadline);
		if (left == 0) {
			hb_err("%s: write: %zu bytes not drained in %d ms", who, len, timeout_ms);
			return HB_ERR_TIMEOUT;
		}
		struct pollfd pfd = {.fd = fd, .events = POLLOUT};
		if (poll(&pfd, 1, left) < 0 && errno != EINTR)
			return sock_status(errno, who, "poll");
	}
	return HB_OK;
}

enum hb_status hb_sock_drain(int fd, const char *who)
{
	uint8_t junk[512];
	/* Bounded: a peer that never stops sending must not keep us here (docs/security.md). */
	for (size_t total = 0; total < HB_SOCK_DRAIN_MAX;) {
		ssize_t n = recv(fd, junk, sizeof junk, MSG_DONTWAIT);
		if (n > 0) {
			total += (size_t)n;
			continue;
		}
		if (n == 0)
			return sock_status(0, who, "flush");
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return HB_OK;
		if (errno != EINTR)
			return sock_status(errno, who, "flush");
	}
	return HB_OK;
}
