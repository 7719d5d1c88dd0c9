/* hilbench — UART transport seam.
 *
 * One ops struct per backend; a backend is chosen by the scheme of a URI:
 *   serial:/dev/ttyUSB1            libserialport (real serial ports)
 *   ftdi://0403:6010:<serial>/2    libftdi1 (interface 1..4 = A..D)
 *   pty:/dev/pts/N                 termios, tolerant of ENOTTY on modem ioctls
 *   tcp://host:port                raw socket (ser2net "raw")
 *   rfc2217://host:port            Telnet COM-port control (ser2net "telnet")
 * Query parameters after '?' (e.g. "?latency=1") are backend options; a
 * parameter a backend does not consume is an error (no silent typos).
 *
 * Counts and status are separate: read() reports how many bytes arrived
 * through *got; a timeout with zero bytes is HB_ERR_TIMEOUT, a short read with
 * some bytes is HB_OK with *got < cap. hb_transport_read_exact() turns a short
 * read into HB_ERR_TIMEOUT. */
#ifndef HB_TRANSPORT_H
#define HB_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "hb_status.h"

#ifdef __cplusplus
extern "C" {
#endif

struct hb_transport;

struct hb_transport_ops {
	const char *scheme; /* "serial", "ftdi", "pty", "tcp", "rfc2217", or a test's own */
	const char *description;
	const char *example;  /* a URI for messages: "ftdi://VID:PID/N" */
	int hardware;         /* reaches a real port (a board profile's UART may use it);
				 0 = a virtual one (the virtual board's pty) */
	/* target: the URI after "scheme:" (and after "//" when present), without the query;
	 * params: the raw query string or NULL. Allocate state into t->priv. */
	enum hb_status (*open)(struct hb_transport *t, const char *target, const char *params,
			       unsigned baud);
	void (*close)(struct hb_transport *t);
	enum hb_status (*read)(struct hb_transport *t, void *buf, size_t cap, size_t *got,
			       int timeout_ms);
	/* Write everything or fail (HB_ERR_TIMEOUT if not drained in timeout_ms). */
	enum hb_status (*write)(struct hb_transport *t, const void *buf, size_t len, int timeout_ms);
	/* Discard pending input and output. */
	enum hb_status (*flush)(struct hb_transport *t);
	enum hb_status (*set_baud)(struct hb_transport *t, unsigned baud);
};

struct hb_transport {
	const struct hb_transport_ops *ops;
	void *priv;
	char uri[256];
	unsigned baud;
};

/* Open a transport by URI. Unknown scheme: HB_ERR_ARG with a log naming the known ones. */
enum hb_status hb_transport_open(const char *uri, unsigned baud, struct hb_transport **out);
/* Open with an explicit ops struct (tests, the virtual board's own clients). */
enum hb_status hb_transport_open_ops(const struct hb_transport_ops *ops, const char *target,
				     const char *params, unsigned baud, struct hb_transport **out);
void hb_transport_close(struct hb_transport *t);
/* The backend of a scheme ("ftdi"), or NULL. */
const struct hb_transport_ops *hb_transport_find(const char *scheme);
/* The registered backends, in order (i < n); NULL past the end. */
const struct hb_transport_ops *hb_transport_backend(size_t i);
/* The examples of the backends with ops->hardware == hardware, as "a, b or c". */
void hb_transport_examples(int hardware, char *buf, size_t cap);
enum hb_status hb_transport_read(struct hb_transport *t, void *buf, size_t cap, size_t *got,
				 int timeout_ms);
enum hb_status hb_transport_read_exact(struct hb_transport *t, void *buf, size_t len,
				       int timeout_ms);
enum hb_status hb_transport_write(struct hb_transport *t, const void *buf, size_t len,
				  int timeout_ms);
enum hb_status hb_transport_flush(struct hb_transport *t);
enum hb_status hb_transport_set_baud(struct hb_transport *t, unsigned baud);

#ifdef __cplusplus
}
#endif
#endif
