/* hilbench virtual board — its endpoints accept only the local user (docs/security.md).
 *
 * The I2C and control sockets live in a directory only the user can enter: a fresh
 * mkdtemp() directory (0700), or --dir DIR, which must be a real directory (not a symbolic
 * link) owned by the user with no group or other permissions; it is created 0700 when
 * missing. The sockets themselves are made 0600. The TCP UART endpoint listens on
 * 127.0.0.1 only. */
#ifndef HB_VB_SOCK_H
#define HB_VB_SOCK_H

#include <stddef.h>

#include "hb_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Make sure dir is private to this user (creating it 0700 when missing). HB_ERR_PERM with
 * the reason in why when it exists but others could reach into it. */
enum hb_status hb_vb_private_dir(const char *dir, char *why, size_t whylen);
/* A listening Unix stream socket at path, mode 0600, non-blocking; -1 on error (logged). */
int hb_vb_listen_unix(const char *path);
/* A listening TCP socket on 127.0.0.1:port, non-blocking; -1 on error (logged). */
int hb_vb_listen_tcp(int port);

#ifdef __cplusplus
}
#endif
#endif
