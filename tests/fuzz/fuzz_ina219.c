/* libFuzzer target: the INA219 path (drivers/power/hb_ina2xx.c and hb_power_sampler.c)
 * against a hostile I2C device: whatever the chip answers comes from the fuzzer.
 *
 * Input: bytes 0..1 choose the shunt and the largest current (from tables of sane
 * profiles); the rest is a stream the fake bus plays from. Each transaction takes one
 * control byte: its low 2 bits 0 = no ACK (HB_ERR_NACK), otherwise ACK; for a read, bit 2
 * set makes the configuration and CAL registers read back what was written (a healthy chip,
 * so initialisation can succeed), else the 2 bytes come from the stream. An empty stream is
 * a chip gone (HB_ERR_GONE), which ends the run. The driver initialises, then samples until
 * it stops (at most 256 samples) on a fake clock that never sleeps.
 * Checked: every sample's figures follow from its registers (sign, saturation flags), no
 * undefined arithmetic (UBSan), errors are hb_status values, and the sampler terminates. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fake_clock.h"
#include "hb_i2c.h"
#include "hb_ina2xx.h"
#include "hb_log.h"
#include "hb_power_sampler.h"

#define CHECK(x) \
	do { \
		if (!(x)) \
			__builtin_trap(); \
	} while (0)

struct dev {
	const uint8_t *p;
	size_t left;
	uint8_t ptr;      /* register pointer */
	uint16_t reg[8];  /* what was written */
	unsigned xfers;
};

static struct dev g_dev;

static int take(struct dev *d, uint8_t *b)
{
	if (!d->left)
		return 0;
	*b = *d->p++;
	d->left--;
	return 1;
}

static enum hb_status xfer(struct hb_i2c *bus, uint8_t addr7, const uint8_t *w, size_t wn,
			   uint8_t *r, size_t rn)
{
	(void)bus;
	(void)addr7;
	struct dev *d = &g_dev;
	uint8_t c;
	d->xfers++;
	if (!take(d, &c))
		return HB_ERR_GONE;
	if ((c & 3) == 0)
		return HB_ERR_NACK;
	if (wn >= 1)
		d->ptr = w[0] & 7;
	if (wn >= 3)
		d->reg[d->ptr] = (uint16_t)(w[1] << 8 | w[2]);
	if (rn) {
		CHECK(rn == 2);
		if ((c & 4) && (d->ptr == 0 || d->ptr == 5)) {
			r[0] = (uint8_t)(d->reg[d->ptr] >> 8);
			r[1] = (uint8_t)d->reg[d->ptr];
		} else if (!take(d, &r[0]) || !take(d, &r[1])) {
			return HB_ERR_GONE;
		}
	}
	return HB_OK;
}

static const struct hb_i2c_ops fuzz_bus_ops = {
	.scheme = "fuzz",
	.description = "fuzzer-driven INA219",
	.xfer = xfer,
};

struct count {
	unsigned n;
	int32_t pga_uV;
};

static int on_sample(void *ctx, const struct hb_power_sample *s)
{
	struct count *c = ctx;
	CHECK((s->flags & ~7u) == 0);
	if (s->flags & HB_POWER_SAMPLE_SATURATED)
		CHECK(s->shunt_uV >= c->pga_uV || s->shunt_uV <= -c->pga_uV);
	else
		CHECK(s->shunt_uV < c->pga_uV && s->shunt_uV > -c->pga_uV);
	CHECK(s->bus_mV >= 0 && s->bus_mV <= 32764);
	return ++c->n >= 256;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t shunts_uohm[] = {1000000, 500000, 100000, 20000, 10000, 1000, 1, 4000000};
	static const uint32_t max_uA[] = {50000, 200000, 1000, 1500000, 3200000, 1, 320000, 32000000};
	static int quiet;
	if (!quiet) {
		hb_log_set_level(HB_LOG_NONE);
		quiet = 1;
	}
	if (size < 2)
		return 0;
	struct hb_ina2xx_config cfg = {.shunt_uohm = shunts_uohm[data[0] & 7],
				       .max_current_uA = max_uA[(data[0] >> 3) & 7],
				       .pga_mV = (data[1] & 4) ? 40u << (data[1] & 3) : 0,
				       .bus_range_V = (data[1] & 8) ? 16 : 0,
				       .bus_adc = (data[1] & 0x10) ? 0 : -1,
				       .shunt_adc = (data[1] & 0x20) ? 15 : -1,
				       .mode = -1};
	memset(&g_dev, 0, sizeof g_dev);
	g_dev.p = data + 2;
	g_dev.left = size - 2;

	struct fake_clock fc;
	fake_clock_install(&fc, 1000000000ull);
	struct hb_i2c *bus = NULL;
	CHECK(hb_i2c_open_ops(&fuzz_bus_ops, "", "", &bus) == HB_OK);
	struct hb_ina2xx dev;
	enum hb_status st = hb_ina2xx_init(&dev, bus, 0x40, HB_INA219, &cfg);
	if (st == HB_OK) {
		struct hb_power_sampler s;
		hb_power_sampler_init(&s, &dev, &fc.clock);
		struct count c = {.pga_uV = (int32_t)dev.cfg.pga_mV * 1000};
		st = hb_power_sampler_run(&s, 0, on_sample, &c);
		CHECK(st <= 0 && st >= HB_ERR_NACK);
		CHECK(s.samples >= c.n);
		struct hb_ina2xx_reading r;
		(void)hb_ina2xx_read(&dev, &r);
		(void)hb_ina2xx_reset(&dev);
	}
	CHECK(st <= 0);
	hb_i2c_close(bus);
	fake_clock_uninstall();
	return 0;
}
