/* hilbench — opening a bench probe by URI (part of hb_drivers: it needs the transports).
 *
 *   probe:<transport URI>[?baud=N]      e.g. probe:serial:/dev/ttyACM0
 *   <transport URI>[?baud=N]            the same without the prefix (CLI convenience)
 *
 * The query key baud (default HBP_DEFAULT_BAUD, 2 Mbaud: the firmware's rate) is the probe's;
 * every other key goes to the transport (probe:ftdi://0403:6014/1?latency=1&baud=1000000). */
#ifndef HB_PROBE_CONNECT_H
#define HB_PROBE_CONNECT_H

#include <stddef.h>

#include "hb_probe.h"
#include "hb_status.h"
#include "hb_transport.h"

/* Split a probe URI into the transport URI and the baud rate (pure). HB_ERR_ARG (logged)
 * for a malformed URI or baud. */
enum hb_status hb_probe_uri_parse(const char *uri, char *transport_uri, size_t cap,
				  unsigned *baud);
/* Open the transport and the probe (IDENTIFY). opts may be NULL. */
enum hb_status hb_probe_connect(const char *uri, const struct hb_probe_opts *opts,
				struct hb_transport **t_out, struct hb_probe **p_out);
void hb_probe_disconnect(struct hb_transport *t, struct hb_probe *p);

#endif
