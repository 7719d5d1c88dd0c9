/* The bench probe's UART at the transport seam: an hb_transport whose far end is the probe
 * firmware core running on the host HAL (firmware/hal/host/hbp_sim.h), on simulated time.
 *
 *     struct fake_probe_link *f = fake_probe_link_new(NULL);   // a sim with no devices
 *     hbp_sim_add_ina219(f->sim, 0x40, 0.1, 3.3, 0.05, 0.02);
 *     struct hb_probe_opts o; hb_probe_opts_default(&o); o.clock = &f->clock;
 *     hb_probe_open(&f->transport, &o, &p);
 *
 * read(timeout) advances the simulation until bytes arrive or the timeout (in simulated
 * time) expires; like a high-speed USB-UART, bytes are handed over in 125 µs batches.
 * write() queues the bytes on the probe's RX line (they arrive at the baud rate). The clock
 * reads and sleeps simulated time, so the client's timeouts are simulated too. */
#ifndef FAKE_PROBE_LINK_H
#define FAKE_PROBE_LINK_H

#include <stdint.h>

#include "hb_clock.h"
#include "hb_transport.h"
#include "hbp_sim.h"

struct fake_probe_link {
	struct hb_transport transport;
	struct hb_clock clock;
	struct hbp_sim *sim;
	uint64_t batch_ns;      /* default 125000 */
	uint64_t bytes_to_probe, bytes_from_probe;
	/* fault injection on the host -> probe direction: flip bit 0 of byte k of the next
	 * write (-1 off) */
	int corrupt_write_at;
};

struct fake_probe_link *fake_probe_link_new(const struct hbp_host_params *params);
void fake_probe_link_free(struct fake_probe_link *f);

#endif
