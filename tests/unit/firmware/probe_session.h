/* Test helper: a host client (drivers/probe) talking to the probe firmware core on the host
 * HAL through tests/fakes/fake_probe_link, with every record of the stream collected. */
#ifndef PROBE_SESSION_H
#define PROBE_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "fake_probe_link.h"
#include "hb_probe.h"

struct probe_session {
	struct fake_probe_link *f;
	struct hb_probe *p;
	struct hb_probe_record *rec;
	size_t n_rec, cap_rec;
};

/* INA219 configuration registers used by the tests: 32 V range, PGA /8 (320 mV), then
 * the ADC settings and a continuous mode. */
#define CFG_BASE 0x3800u
#define CFG(badc, sadc, mode) (CFG_BASE | (badc) << 7 | (sadc) << 3 | (mode))
#define ADC_9BIT 0x0u
#define ADC_10BIT 0x1u
#define ADC_12BIT 0x3u

/* Opens the link (IDENTIFY); hp may be NULL. Fails the test on error. */
void ps_open(struct probe_session *s, const struct hbp_host_params *hp);
void ps_close(struct probe_session *s);
/* Configure slot idx for the INA219 at addr; returns the I2C result. */
uint8_t ps_monitor(struct probe_session *s, unsigned idx, uint8_t addr, uint16_t cfg,
		   uint16_t bus_every);
/* Advance simulated time by ns while reading the stream. */
void ps_run(struct probe_session *s, uint64_t ns);
size_t ps_count(const struct probe_session *s, unsigned kind, int index);
uint64_t ps_now(const struct probe_session *s);

#endif
