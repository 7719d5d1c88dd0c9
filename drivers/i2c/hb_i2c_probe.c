/* hilbench — probe: I2C bus: the bench probe's I2C bus, one transaction per I2C_XFER request
 * (docs/probe-protocol.md). URI: probe:<transport URI>[?baud=N] (hb_probe_connect.h).
 *
 * This is the slow path: each transaction is a round trip to the probe, stamped on the host.
 * It makes a profile's probe: monitors usable by everything that reads an INA219 over an I2C
 * bus (hilbench power, hilbench run). The probe's own sampling (records stamped on its
 * clock, docs/probe.md) is the fast path. Several monitors on one probe share one
 * connection: buses with the same URI are reference-counted. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb_i2c.h"
#include "hb_probe_connect.h"

#define LOG_PREFIX "probe-i2c"
#include "hb_log.h"

struct shared {
	char uri[256];
	unsigned refs;
	struct hb_transport *t;
	struct hb_probe *p;
	pthread_mutex_t lock;
};

#define MAX_PROBES 4
static struct shared probes[MAX_PROBES];
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;

static enum hb_status pr_open(struct hb_i2c *bus, const char *target, const char *params)
{
	char uri[256];
	if (snprintf(uri, sizeof uri, "%s%s%s", target, params ? "?" : "", params ? params : "") >=
	    (int)sizeof uri)
		return HB_ERR_ARG;
	pthread_mutex_lock(&table_lock);
	struct shared *s = NULL, *fresh = NULL;
	for (int i = 0; i < MAX_PROBES; i++) {
		if (probes[i].refs && strcmp(probes[i].uri, uri) == 0)
			s = &probes[i];
		else if (!probes[i].refs && !fresh)
			fresh = &probes[i];
	}
	enum hb_status st = HB_OK;
	if (!s) {
		if (!fresh) {
			pthread_mutex_unlock(&table_lock);
			hb_err("more than %d probes open at once", MAX_PROBES);
			return HB_ERR_RANGE;
		}
		st = hb_probe_connect(uri, NULL, &fresh->t, &fresh->p);
		if (st == HB_OK) {
			s = fresh;
			snprintf(s->uri, sizeof s->uri, "%s", uri);
			pthread_mutex_init(&s->lock, NULL);
		}
	}
	if (s)
		s->refs++;
	pthread_mutex_unlock(&table_lock);
	bus->priv = s;
	return st;
}

static void pr_close(struct hb_i2c *bus)
{
	struct shared *s = bus->priv;
	if (!s)
		return;
	pthread_mutex_lock(&table_lock);
	if (--s->refs == 0) {
		hb_probe_disconnect(s->t, s->p);
		pthread_mutex_destroy(&s->lock);
		memset(s, 0, sizeof *s);
	}
	pthread_mutex_unlock(&table_lock);
	bus->priv = NULL;
}

static enum hb_status pr_xfer(struct hb_i2c *bus, uint8_t addr7, const uint8_t *w, size_t wn,
			      uint8_t *r, size_t rn)
{
	struct shared *s = bus->priv;
	if (wn > HBP_I2C_MAX || rn > HBP_I2C_MAX) {
		hb_err("%zu+%zu bytes: the probe moves at most %d bytes each way", wn, rn, HBP_I2C_MAX);
		return HB_ERR_RANGE;
	}
	uint8_t ist = 0;
	pthread_mutex_lock(&s->lock);
	enum hb_status st = hb_probe_i2c_xfer(s->p, addr7, w, wn, r, rn, &ist);
	pthread_mutex_unlock(&s->lock);
	if (st != HB_OK)
		return st;
	switch (ist) {
	case HBP_I2C_OK: return HB_OK;
	case HBP_I2C_NACK_ADDR:
	case HBP_I2C_NACK_DATA: return HB_ERR_NACK;
	case HBP_I2C_TIMEOUT: return HB_ERR_TIMEOUT;
	default:
		hb_dbg("0x%02x: %s", addr7, hb_probe_i2c_status_name(ist));
		return HB_ERR_IO;
	}
}

const struct hb_i2c_ops hb_i2c_probe_ops = {
	.scheme = "probe",
	.description = "the bench probe's I2C bus (probe:<transport URI>)",
	.example = "probe:serial:/dev/ttyACM0",
	.hardware = 1,
	.open = pr_open,
	.close = pr_close,
	.xfer = pr_xfer,
};
