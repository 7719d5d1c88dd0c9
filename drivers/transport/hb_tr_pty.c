/* hilbench — pty: transport (termios on a pseudo-terminal or any tty device node).
 *
 * URI: pty:/dev/pts/N (takes no parameters; the virtual board prints the
 * path). Raw 8N1; modem-line ioctls are attempted and ENOTTY/EINVAL ignored (a pty has no
 * modem lines). A closed peer (EIO, POLLHUP, EOF) is HB_ERR_GONE. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "hb_params.h"
#include "hb_tr_util.h"
#include "hb_transport.h"

#define LOG_PREFIX "pty"
#include "hb_log.h"

int hb_termios2_set_baud(int fd, unsigned baud);

struct pty_priv {
	int fd;
	char path[200];
};

/* The one place where errno becomes a status for this backend. */
static enum hb_status pty_status(struct pty_priv *p, int err, const char *what)
{
	switch (err) {
	case EIO:
	case ENXIO:
	case ENODEV:
	case EPIPE:
	case 0: /* EOF / hang-up */
		hb_err("%s: %s: peer closed (device gone)", p->path, what);
		return HB_ERR_GONE;
	case ENOENT:
		hb_err("%s: %s: no such device", p->path, what);
		return HB_ERR_NOTFOUND;
	case EACCES:
	case EPERM:
		hb_err("%s: %s: permission denied (is the user in group dialout?)", p->path, what);
		return HB_ERR_PERM;
	case EBUSY:
		hb_err("%s: %s: busy", p->path, what);
		return HB_ERR_BUSY;
	default:
		hb_err("%s: %s: %s", p->path, what, strerror(err));
		return HB_ERR_IO;
	}
}

static const struct {
	unsigned baud;
	speed_t code;
} speeds[] = {
	{9600, B9600},       {19200, B19200},     {38400, B38400},     {57600, B57600},
	{115200, B115200},   {230400, B230400},   {460800, B460800},   {500000, B500000},
	{576000, B576000},   {921600, B921600},   {1000000, B1000000}, {1152000, B1152000},
	{1500000, B1500000}, {2000000, B2000000}, {2500000, B2500000}, {3000000, B3000000},
	{3500000, B3500000}, {4000000, B4000000},
};

static enum hb_status pty_apply(struct pty_priv *p, unsigned baud)
{
	struct termios tio;
	if (tcgetattr(p->fd, &tio) != 0)
		return pty_status(p, errno, "tcgetattr");
	cfmakeraw(&tio);
	tio.c_cflag &= ~(tcflag_t)(CSIZE | PARENB | CSTOPB | CRTSCTS);
	tio.c_cflag |= CS8 | CLOCAL | CREAD;
	tio.c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY);
	tio.c_cc[VMIN] = 0;
	tio.c_cc[VTIME] = 0;
	speed_t code = 0;
	for (size_t i = 0; i < sizeof speeds / sizeof speeds[0]; i++)
		if (speeds[i].baud == baud)
			code = speeds[i].code;
	if (code)
		cfsetspeed(&tio, code);
	if (tcsetattr(p->fd, TCSANOW, &tio) != 0)
		return pty_status(p, errno, "tcsetattr");
	if (!code && hb_termios2_set_baud(p->fd, baud) != 0) {
		hb_err("%s: baud %u not accepted (termios2): %s", p->path, baud, strerror(errno));
		return errno == EINVAL ? HB_ERR_UNSUPPORTED : pty_status(p, errno, "TCSETS2");
	}
	return HB_OK;
}

static enum hb_status pty_open(struct hb_transport *t, const char *target, const char *params,
			       unsigned baud)
{
	struct hb_params prm;
	enum hb_status st = hb_params_parse(&prm, params);
	if (st == HB_OK)
		st = hb_params_finish(&prm, "pty");
	if (st != HB_OK)
		return st;
	if (!*target || strlen(target) >= sizeof((struct pty_priv *)0)->path) {
		hb_err("pty: a device path is needed (pty:/dev/pts/N)");
		return HB_ERR_ARG;
	}
	struct pty_priv *p = calloc(1, sizeof *p);
	if (!p)
		return HB_ERR_NOMEM;
	strcpy(p->path, target);
	p->fd = open(target, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (p->fd < 0) {
		st = pty_status(p, errno, "open");
		free(p);
		return st;
	}
	if (!isatty(p->fd)) {
		hb_err("pty: %s is not a terminal", target);
		close(p->fd);
		free(p);
		return HB_ERR_ARG;
	}
	st = pty_apply(p, baud ? baud : 115200);
	if (st != HB_OK) {
		close(p->fd);
		free(p);
		return st;
	}
	/* Raise DTR/RTS where there are modem lines; a pty has none (ENOTTY/EINVAL). */
	int bits = TIOCM_DTR | TIOCM_RTS;
	if (ioctl(p->fd, TIOCMBIS, &bits) != 0 && errno != ENOTTY && errno != EINVAL)
		hb_dbg("%s: TIOCMBIS: %s (ignored)", target, strerror(errno));
	tcflush(p->fd, TCIOFLUSH);
	t->priv = p;
	return HB_OK;
}

static void pty_close(struct hb_transport *t)
{
	struct pty_priv *p = t->priv;
	if (!p)
		return;
	close(p->fd);
	free(p);
	t->priv = NULL;
}

static enum hb_status pty_read(struct hb_transport *t, void *buf, size_t cap, size_t *got,
			       int timeout_ms)
{
	struct pty_priv *p = t->priv;
	uint64_t deadline = hb_tr_deadline(timeout_ms);
	int signalled = 0; /* poll() said readable or hung up */
	for (;;) {
		ssize_t n = read(p->fd, buf, cap);
		if (n > 0) {
			*got = (size_t)n;
			return HB_OK;
		}
		/* In raw mode with VMIN = VTIME = 0 a tty read returns 0 when no byte is waiting
		 * (not EAGAIN). But 0 right after poll() reported the descriptor readable or hung
		 * up is end of file: the peer closed (otherwise this loop would spin). */
		if (n == 0 && signalled)
			return pty_status(p, 0, "read");
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return pty_status(p, errno, "read");
		int left = hb_tr_left(deadline);
		if (left == 0)
			return HB_ERR_TIMEOUT;
		struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
		int r = poll(&pfd, 1, left);
		if (r < 0 && errno != EINTR)
			return pty_status(p, errno, "poll");
		if (r > 0 && (pfd.revents & (POLLHUP | POLLERR)) && !(pfd.revents & POLLIN))
			return pty_status(p, 0, "poll");
		if (r > 0 && (pfd.revents & POLLNVAL))
			return pty_status(p, EBADF, "poll");
		signalled = r > 0 && (pfd.revents & (POLLIN | POLLHUP));
	}
}

static enum hb_status pty_write(struct hb_transport *t, const void *buf, size_t len,
				int timeout_ms)
{
	struct pty_priv *p = t->priv;
	uint64_t deadline = hb_tr_deadline(timeout_ms);
	const uint8_t *b = buf;
	while (len) {
		ssize_t n = write(p->fd, b, len);
		if (n > 0) {
			b += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return pty_status(p, errno, "write");
		int left = hb_tr_left(deadline);
		if (left == 0) {
			hb_err("%s: write: %zu bytes not drained in %d ms", p->path, len, timeout_ms);
			return HB_ERR_TIMEOUT;
		}
		struct pollfd pfd = {.fd = p->fd, .events = POLLOUT};
		int r = poll(&pfd, 1, left);
		if (r < 0 && errno != EINTR)
			return pty_status(p, errno, "poll");
		if (r > 0 && (pfd.revents & (POLLHUP | POLLERR)))
			return pty_status(p, 0, "poll");
	}
	return HB_OK;
}

static enum hb_status pty_flush(struct hb_transport *t)
{
	struct pty_priv *p = t->priv;
	if (tcflush(p->fd, TCIOFLUSH) != 0)
		return pty_status(p, errno, "tcflush");
	return HB_OK;
}

static enum hb_status pty_set_baud(struct hb_transport *t, unsigned baud)
{
	return pty_apply(t->priv, baud);
}

const struct hb_transport_ops hb_transport_pty_ops = {
	.scheme = "pty",
	.description = "pseudo-terminal or tty via termios (pty:/dev/pts/N)",
	.example = "pty:/dev/pts/N",
	.hardware = 0,
	.open = pty_open,
	.close = pty_close,
	.read = pty_read,
	.write = pty_write,
	.flush = pty_flush,
	.set_baud = pty_set_baud,
};
