/* hilbench — socket plumbing shared by tcp:, rfc2217: and the vboard I2C client (internal). */
#ifndef HB_TR_SOCK_H
#define HB_TR_SOCK_H

#include <stddef.h>

#include "hb_status.h"

/* "host:port" (IPv6 as [::1]:port) → connected TCP socket (TCP_NODELAY, non-blocking). */
enum hb_status hb_sock_connect_tcp(const char *hostport, int timeout_ms, int *fd_out);
/* Unix stream socket at path → connected, non-blocking. */
enum hb_status hb_sock_connect_unix(const char *path, int timeout_ms, int *fd_out);
/* Up to cap bytes; HB_ERR_TIMEOUT with *got == 0; peer closed → HB_ERR_GONE. */
enum hb_status hb_sock_read(int fd, void *buf, size_t cap, size_t *got, int timeout_ms,
			    const char *who);
enum hb_status hb_sock_read_exact(int fd, void *buf, size_t len, int timeout_ms,
				  const char *who);
enum hb_status hb_sock_write(int fd, const void *buf, size_t len, int timeout_ms,
			     const char *who);
/* Discard whatever input is pending right now, at most HB_SOCK_DRAIN_MAX bytes: a peer that
 * floods cannot hold the caller in the loop. */
#define HB_SOCK_DRAIN_MAX (1u << 20)
enum hb_status hb_sock_drain(int fd, const char *who);

#endif
