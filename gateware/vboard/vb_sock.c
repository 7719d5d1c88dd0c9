/* hilbench virtual board — private endpoints (vb_sock.h). */
#define LOG_PREFIX "vboard"
#include "vb_sock.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "hb_log.h"
#include "hb_term.h"

enum hb_status hb_vb_private_dir(const char *dir, char *why, size_t whylen)
{
	if (mkdir(dir, 0700) == 0)
		return HB_OK;
	int e = errno;
	struct stat st;
	if (e != EEXIST || lstat(dir, &st) != 0) {
		snprintf(why, whylen, "%s: cannot create: %s", hb_term(dir), strerror(e == EEXIST ? errno : e));
		return HB_ERR_IO;
	}
	if (S_ISLNK(st.st_mode)) {
		snprintf(why, whylen, "%s is a symbolic link; give the directory itself", hb_term(dir));
		return HB_ERR_PERM;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, whylen, "%s exists and is not a directory", hb_term(dir));
		return HB_ERR_PERM;
	}
	if (st.st_uid != geteuid()) {
		snprintf(why, whylen, "%s belongs to uid %u, not to this user", hb_term(dir),
			 (unsigned)st.st_uid);
		return HB_ERR_PERM;
	}
	if (st.st_mode & 077) {
		snprintf(why, whylen, "%s has mode %04o: other users could reach the board's sockets "
			 "(chmod 700 it, or leave out --dir for a fresh private directory)",
			 hb_term(dir), (unsigned)(st.st_mode & 07777));
		return HB_ERR_PERM;
	}
	return HB_OK;
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int hb_vb_listen_unix(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof a.sun_path) {
		hb_err("socket path too long: %s", path);
		return -1;
	}
	memcpy(a.sun_path, path, strlen(path) + 1);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	mode_t old = umask(0177); /* the socket file: 0600 */
	int rc = fd < 0 ? -1 : bind(fd, (struct sockaddr *)&a, sizeof a);
	umask(old);
	if (fd < 0 || rc || listen(fd, 8)) {
		hb_err("cannot listen on %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	set_nonblock(fd);
	return fd;
}

int hb_vb_listen_tcp(int port)
{
	/* Loopback only: the UART of the board must not be reachable from the network. */
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 1)) {
		hb_err("cannot listen on 127.0.0.1:%d: %s", port, strerror(errno));
		close(fd);
		return -1;
	}
	set_nonblock(fd);
	return fd;
}
