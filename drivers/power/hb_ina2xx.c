/* hilbench — INA2xx driver (see hb_ina2xx.h). */
#include "hb_ina2xx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb_clock.h"

#define LOG_PREFIX "ina2xx"
#include "hb_log.h"

const struct hb_ina2xx_chip hb_ina2xx_chips[HB_INA2XX_N] = {
	[HB_INA219] = {
		.name = "ina219",
		.model = HB_INA219,
		.flags = HB_INA2XX_F_DRIVEN | HB_INA2XX_F_PGA | HB_INA2XX_F_BRNG |
			 HB_INA2XX_F_CNVR_IN_BUS,
		.reg_config = 0x00, .reg_shunt = 0x01, .reg_bus = 0x02,
		.reg_power = 0x03, .reg_current = 0x04, .reg_cal = 0x05,
		.bus_shift = 3,
		.shunt_lsb_pV = 10000000,   /* 10 µV */
		.bus_lsb_pV = 4000000000,   /* 4 mV */
		.power_mult_x10 = 200,      /* 20 x current LSB */
		.cal_num_uA = 40960000000,  /* 0.04096 */
		.cal_max = 0xfffe,          /* bit 0 void */
		.config_default = 0x399f,
		.shunt_fs_uV = 320000,      /* PGA /8 */
		.bus_max_mV = 26000,        /* SBOS448: bus input 0..26 V */
		.addr_min = 0x40, .addr_max = 0x4f, /* A0/A1 to GND, VS, SDA or SCL */
	},
	[HB_INA226] = {
		.name = "ina226",
		.model = HB_INA226,
		.flags = HB_INA2XX_F_MASK_ENABLE,
		.reg_config = 0x00, .reg_shunt = 0x01, .reg_bus = 0x02,
		.reg_power = 0x03, .reg_current = 0x04, .reg_cal = 0x05,
		.bus_shift = 0,
		.shunt_lsb_pV = 2500000,    /* 2.5 µV */
		.bus_lsb_pV = 1250000000,   /* 1.25 mV */
		.power_mult_x10 = 250,      /* 25 x current LSB */
		.cal_num_uA = 5120000000,   /* 0.00512 */
		.cal_max = 0x7fff,
		.config_default = 0x4127,
		.shunt_fs_uV = 81920,
		.bus_max_mV = 36000,
		.addr_min = 0x40, .addr_max = 0x4f,
	},
	[HB_INA228] = {
		.name = "ina228",
		.model = HB_INA228,
		.flags = HB_INA2XX_F_WIDE_REGS | HB_INA2XX_F_MASK_ENABLE,
		.reg_config = 0x00, .reg_shunt = 0x04, .reg_bus = 0x05,
		.reg_power = 0x08, .reg_current = 0x07, .reg_cal = 0x02,
		.bus_shift = 4,
		.shunt_lsb_pV = 312500,     /* 312.5 nV (ADCRANGE = 0) */
		.bus_lsb_pV = 195312500,    /* 195.3125 µV */
		.power_mult_x10 = 32,       /* 3.2 x current LSB */
		.cal_num_uA = 0,            /* SHUNT_CAL is multiplicative on this part */
		.cal_max = 0x7fff,
		.config_default = 0x0000,
		.shunt_fs_uV = 163840,
		.bus_max_mV = 85000,
		.addr_min = 0x40, .addr_max = 0x4f,
	},
};

const struct hb_ina2xx_chip *hb_ina2xx_chip_by_name(const char *name)
{
	for (int i = 0; i < HB_INA2XX_N; i++)
		if (name && strcmp(hb_ina2xx_chips[i].name, name) == 0)
			return &hb_ina2xx_chips[i];
	return NULL;
}

void hb_ina2xx_driven_names(char *buf, size_t cap)
{
	size_t n = 0;
	if (cap)
		buf[0] = 0;
	for (int i = 0; i < HB_INA2XX_N && n < cap; i++) {
		if (!(hb_ina2xx_chips[i].flags & HB_INA2XX_F_DRIVEN))
			continue;
		int w = snprintf(buf + n, cap - n, "%s%s", n ? ", " : "", hb_ina2xx_chips[i].name);
		n += w > 0 ? (size_t)w : 0;
	}
}

int hb_ina219_adc_code(unsigned bits, unsigned samples)
{
	if (samples <= 1 && bits >= 9 && bits <= 12)
		return (int)(bits - 9);
	if (bits != 12 && bits != 0)
		return -1;
	for (int k = 1; k <= 7; k++)
		if (samples == 1u << k)
			return 8 + k;
	return -1;
}

uint32_t hb_ina219_adc_time_us(int code)
{
	static const uint32_t t[16] = {84,  148,  276,  532,  84,    148,   276,   532,
				       532, 1060, 2130, 4260, 8510, 17020, 34050, 68100};
	return code >= 0 && code < 16 ? t[code] : 0;
}

/* Next value of the 1-2-5 series >= v (v >= 1). */
static uint64_t round_125(uint64_t v)
{
	for (uint64_t dec = 1;; dec *= 10) {
		if (v <= dec)
			return dec;
		if (v <= 2 * dec)
			return 2 * dec;
		if (v <= 5 * dec)
			return 5 * dec;
	}
}

enum hb_status hb_ina2xx_calibrate(const struct hb_ina2xx_chip *chip, uint32_t shunt_uohm,
				   uint32_t max_current_uA, uint32_t *current_lsb_nA,
				   uint16_t *cal)
{
	if (!chip || !chip->cal_num_uA || shunt_uohm == 0 || max_current_uA == 0)
		return HB_ERR_ARG;
	/* Current_LSB >= I_max / 32767, in nA, rounded up to 1-2-5. */
	uint64_t min_nA = ((uint64_t)max_current_uA * 1000 + 32766) / 32767;
	uint64_t lsb = round_125(min_nA ? min_nA : 1);
	for (;; lsb = round_125(lsb + 1)) {
		uint64_t denom = lsb * shunt_uohm;
		uint64_t c = chip->cal_num_uA * 1000 / denom;
		if (chip->model == HB_INA219)
			c &= ~1ull;
		if (c == 0) {
			hb_err("no calibration fits: shunt %u µΩ, max %u µA", shunt_uohm,
			       max_current_uA);
			return HB_ERR_RANGE;
		}
		if (c <= chip->cal_max) {
			*current_lsb_nA = (uint32_t)lsb;
			*cal = (uint16_t)c;
			return HB_OK;
		}
		if (lsb > 0xffffffffull / 10)
			return HB_ERR_RANGE;
	}
}

enum hb_status hb_ina2xx_read_reg(struct hb_ina2xx *dev, uint8_t reg, uint16_t *v)
{
	uint8_t b[2];
	/* the pointer stays where the last write put it: no need to write it again */
	size_t wn = dev->ptr == (int)reg ? 0 : 1;
	enum hb_status st = hb_i2c_write_read(dev->bus, dev->addr, &reg, wn, b, 2);
	dev->ptr = st == HB_OK ? reg : -1;
	if (st == HB_OK)
		*v = (uint16_t)(b[0] << 8 | b[1]);
	return st;
}

enum hb_status hb_ina2xx_write_reg(struct hb_ina2xx *dev, uint8_t reg, uint16_t v)
{
	uint8_t b[3] = {reg, (uint8_t)(v >> 8), (uint8_t)v};
	enum hb_status st = hb_i2c_write(dev->bus, dev->addr, b, 3);
	dev->ptr = st == HB_OK ? reg : -1;
	return st;
}

double hb_ina2xx_power_mw(int32_t bus_mV, int32_t shunt_uV, uint32_t shunt_uohm)
{
	return shunt_uohm ? (double)bus_mV * (double)shunt_uV / (double)shunt_uohm : 0.0;
}

static uint64_t conv_ns(const struct hb_ina2xx_config *c)
{
	uint64_t bus = hb_ina219_adc_time_us(c->bus_adc), sh = hb_ina219_adc_time_us(c->shunt_adc);
	switch (c->mode) {
	case HB_INA219_MODE_SHUNT_TRIG:
	case HB_INA219_MODE_SHUNT_CONT:
		return sh * 1000;
	case HB_INA219_MODE_BUS_TRIG:
	case HB_INA219_MODE_BUS_CONT:
		return bus * 1000;
	case HB_INA219_MODE_BOTH_TRIG:
	case HB_INA219_MODE_BOTH_CONT:
		return (sh + bus) * 1000;
	default:
		return 0;
	}
}

/* Write CAL, then the configuration (which clears CNVR and restarts the conversion, so every
 * conversion that sets CNVR from now on uses this CAL), verify by reading them back. */
static enum hb_status program(struct hb_ina2xx *dev)
{
	const struct hb_ina2xx_chip *c = dev->chip;
	dev->have_last = 0;
	enum hb_status st = hb_ina2xx_write_reg(dev, c->reg_cal, dev->cal);
	if (st == HB_OK)
		st = hb_ina2xx_write_reg(dev, c->reg_config, dev->config_reg);
	uint16_t cfg = 0, cal = 0;
	if (st == HB_OK)
		st = hb_ina2xx_read_reg(dev, c->reg_config, &cfg);
	if (st == HB_OK)
		st = hb_ina2xx_read_reg(dev, c->reg_cal, &cal);
	if (st != HB_OK)
		return st;
	if (cfg != dev->config_reg || cal != dev->cal) {
		hb_err("%s@0x%02x: read back config 0x%04x CAL 0x%04x, wrote 0x%04x 0x%04x", c->name,
		       dev->addr, cfg, cal, dev->config_reg, dev->cal);
		return HB_ERR_MISMATCH;
	}
	return HB_OK;
}

enum hb_status hb_ina2xx_init(struct hb_ina2xx *dev, struct hb_i2c *bus, uint8_t addr,
			      enum hb_ina2xx_model model, const struct hb_ina2xx_config *cfg)
{
	if (!dev || !bus || !cfg || model < 0 || model >= HB_INA2XX_N)
		return HB_ERR_ARG;
	memset(dev, 0, sizeof *dev);
	dev->bus = bus;
	dev->addr = addr;
	dev->chip = &hb_ina2xx_chips[model];
	dev->cfg = *cfg;
	dev->max_retries = 3;
	dev->ptr = -1;
	if (!(dev->chip->flags & HB_INA2XX_F_DRIVEN)) {
		hb_err("%s: table row present, driver support not written yet", dev->chip->name);
		return HB_ERR_UNSUPPORTED;
	}
	struct hb_ina2xx_config *c = &dev->cfg;
	if (c->bus_range_V == 0)
		c->bus_range_V = 32;
	if (c->bus_adc < 0)
		c->bus_adc = 3;
	if (c->shunt_adc < 0)
		c->shunt_adc = 3;
	if (c->mode < 0)
		c->mode = HB_INA219_MODE_BOTH_CONT;
	if ((c->bus_range_V != 16 && c->bus_range_V != 32) || c->bus_adc > 15 ||
	    c->shunt_adc > 15 || c->mode > 7) {
		hb_err("ina219: invalid configuration (range %u V, ADC %d/%d, mode %d)",
		       c->bus_range_V, c->bus_adc, c->shunt_adc, c->mode);
		return HB_ERR_ARG;
	}
	uint64_t vmax_uV = (uint64_t)c->max_current_uA * c->shunt_uohm / 1000000u;
	if (c->pga_mV == 0) {
		for (c->pga_mV = 40; c->pga_mV < 320 && vmax_uV > c->pga_mV * 1000ull;)
			c->pga_mV *= 2;
	}
	unsigned pg;
	switch (c->pga_mV) {
	case 40: pg = 0; break;
	case 80: pg = 1; break;
	case 160: pg = 2; break;
	case 320: pg = 3; break;
	default:
		hb_err("ina219: PGA range %u mV is not 40/80/160/320", c->pga_mV);
		return HB_ERR_ARG;
	}
	if (vmax_uV > c->pga_mV * 1000ull) {
		hb_err("ina219: %u µA through %u µΩ is %llu µV, beyond the ±%u mV shunt range",
		       c->max_current_uA, c->shunt_uohm, (unsigned long long)vmax_uV, c->pga_mV);
		return HB_ERR_RANGE;
	}
	enum hb_status st = hb_ina2xx_calibrate(dev->chip, c->shunt_uohm, c->max_current_uA,
						&dev->current_lsb_nA, &dev->cal);
	if (st != HB_OK)
		return st;
	dev->config_reg = (uint16_t)((c->bus_range_V == 32 ? HB_INA219_CFG_BRNG : 0) |
				     pg << HB_INA219_CFG_PG_SHIFT |
				     (unsigned)c->bus_adc << HB_INA219_CFG_BADC_SHIFT |
				     (unsigned)c->shunt_adc << HB_INA219_CFG_SADC_SHIFT |
				     (unsigned)c->mode);
	dev->conv_ns = conv_ns(c);
	st = program(dev);
	if (st == HB_OK)
		hb_info("%s@0x%02x: config 0x%04x CAL %u, current LSB %u nA, conversion %llu µs",
			dev->chip->name, addr, dev->config_reg, dev->cal, dev->current_lsb_nA,
			(unsigned long long)(dev->conv_ns / 1000));
	return st;
}

enum hb_status hb_ina2xx_reset(struct hb_ina2xx *dev)
{
	enum hb_status st = hb_ina2xx_write_reg(dev, dev->chip->reg_config, HB_INA219_CFG_RST);
	if (st == HB_OK)
		st = program(dev);
	return st;
}

enum hb_status hb_ina2xx_ready_bus(struct hb_ina2xx *dev, int *ready, uint16_t *bus_raw)
{
	enum hb_status st = hb_ina2xx_read_reg(dev, dev->chip->reg_bus, bus_raw);
	if (st == HB_OK)
		*ready = !!(*bus_raw & HB_INA219_BUS_CNVR);
	return st;
}

enum hb_status hb_ina2xx_ready(struct hb_ina2xx *dev, int *ready)
{
	uint16_t v;
	return hb_ina2xx_ready_bus(dev, ready, &v);
}

void hb_ina2xx_convert(const struct hb_ina2xx *dev, struct hb_ina2xx_reading *r)
{
	const struct hb_ina2xx_chip *c = dev->chip;
	r->shunt_uV = (int32_t)((int64_t)r->shunt_raw * (int64_t)c->shunt_lsb_pV / 1000000);
	r->bus_mV = (int32_t)((uint64_t)(r->bus_raw >> c->bus_shift) * c->bus_lsb_pV / 1000000000u);
	r->cnvr = !!(r->bus_raw & HB_INA219_BUS_CNVR);
	r->ovf = !!(r->bus_raw & HB_INA219_BUS_OVF);
	int64_t R = dev->cfg.shunt_uohm ? dev->cfg.shunt_uohm : 1;
	int64_t num = (int64_t)r->shunt_uV * 1000000;
	r->current_uA = (int32_t)((num + (num >= 0 ? R / 2 : -R / 2)) / R);
	r->power_mW = hb_ina2xx_power_mw(r->bus_mV, r->shunt_uV, dev->cfg.shunt_uohm);
	double uw = r->power_mW * 1000.0;
	r->power_uW = (int64_t)(uw >= 0 ? uw + 0.5 : uw - 0.5);
	int32_t fs_counts = (int32_t)((int64_t)dev->cfg.pga_mV * 1000 * 1000000 /
				      (int64_t)c->shunt_lsb_pV);
	r->saturated = r->shunt_raw >= fs_counts || r->shunt_raw <= -fs_counts;
}

/* The chip lost CAL (a brown-out reset): configure it again, a bounded number of times in a
 * row. */
static enum hb_status recover(struct hb_ina2xx *dev)
{
	if (dev->reset_streak >= dev->max_retries) {
		hb_err("%s@0x%02x: CAL still reads 0 after %u re-initialisations: chip gone",
		       dev->chip->name, dev->addr, dev->reset_streak);
		return HB_ERR_GONE;
	}
	hb_warn("%s@0x%02x: CAL reads 0: the chip reset; re-initialising", dev->chip->name,
		dev->addr);
	dev->reset_streak++;
	dev->resets_seen++;
	enum hb_status st = program(dev);
	return st == HB_ERR_MISMATCH ? HB_OK : st; /* still wrong: the next check sees it */
}

/* One warning for a run of saturated (sat) or overflowed readings, with its count. */
static void end_run(struct hb_ina2xx *dev, int sat)
{
	if (sat) {
		hb_warn("%s@0x%02x: shunt saturated (%d µV at the ±%u mV PGA limit) for %llu "
			"reading%s: refused", dev->chip->name, dev->addr, dev->saturated_uV,
			dev->cfg.pga_mV, (unsigned long long)dev->saturated_run,
			dev->saturated_run == 1 ? "" : "s");
		dev->saturated_run = 0;
	} else {
		hb_warn("%s@0x%02x: math overflow (current or power out of range) for %llu "
			"reading%s: refused", dev->chip->name, dev->addr,
			(unsigned long long)dev->ovf_run, dev->ovf_run == 1 ? "" : "s");
		dev->ovf_run = 0;
	}
}

enum hb_status hb_ina2xx_check_alive(struct hb_ina2xx *dev, int *reset)
{
	uint16_t cal = 0, cfg = 0;
	*reset = 0;
	enum hb_status st = hb_ina2xx_read_reg(dev, dev->chip->reg_cal, &cal);
	if (st == HB_OK)
		st = hb_ina2xx_read_reg(dev, dev->chip->reg_config, &cfg);
	if (st != HB_OK)
		return st;
	if (cal == dev->cal && cfg == dev->config_reg)
		return HB_OK;
	*reset = 1;
	return recover(dev);
}

static uint16_t be16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

enum hb_status hb_ina2xx_sample(struct hb_ina2xx *dev, struct hb_ina2xx_reading *out,
				enum hb_ina2xx_fresh *fresh)
{
	*fresh = HB_INA2XX_NONE;
	if (!dev || !out || !dev->chip)
		return HB_ERR_ARG;
	const struct hb_ina2xx_chip *c = dev->chip;
	uint8_t rb = c->reg_bus, rp = c->reg_power, rs = c->reg_shunt;
	uint8_t b1[2], p[2], sh[2], b2[2];
	struct hb_i2c_msg m[4] = {
		{.addr7 = dev->addr, .w = &rb, .wn = dev->ptr == (int)rb ? 0 : 1, .r = b1, .rn = 2},
		{.addr7 = dev->addr, .w = &rp, .wn = 1, .r = p, .rn = 2},
		{.addr7 = dev->addr, .w = &rs, .wn = 1, .r = sh, .rn = 2},
		{.addr7 = dev->addr, .w = &rb, .wn = 1, .r = b2, .rn = 2},
	};
	static const char *const what[] = {"bus (CNVR)", "power", "shunt", "bus"};
	enum hb_status st = hb_i2c_batch(dev->bus, m, 4);
	if (st != HB_OK) {
		dev->ptr = -1;
		for (int i = 0; i < 4; i++) {
			if (m[i].status == HB_OK)
				continue;
			char nack[96] = "";
			if (m[i].status == HB_ERR_NACK)
				hb_i2c_nack_str(&m[i], nack, sizeof nack);
			hb_err("%s@0x%02x: reading the %s register: %s%s%s", c->name, dev->addr,
			       what[i], hb_strerror(m[i].status), nack[0] ? ": not acknowledged: " : "",
			       nack);
			break;
		}
		return st;
	}
	dev->ptr = rb;
	uint16_t bus1 = be16(b1), bus2 = be16(b2), shunt = be16(sh);
	if (bus2 & HB_INA219_BUS_CNVR) {
		*fresh = HB_INA2XX_TORN;
		dev->torn++;
		if (++dev->torn_streak >= HB_INA2XX_MAX_TORN) {
			hb_err("%s@0x%02x: %u reads in a row were torn by a completing conversion: "
			       "conversions (%llu µs) are too short for this bus; choose a longer "
			       "conversion time or a faster bus", c->name, dev->addr, dev->torn_streak,
			       (unsigned long long)(dev->conv_ns / 1000));
			dev->torn_streak = 0;
			return HB_ERR_TIMEOUT;
		}
		return HB_OK;
	}
	dev->torn_streak = 0;
	if (!(bus1 & HB_INA219_BUS_CNVR)) {
		/* CNVR was clear before the power read cleared it. A conversion that completed
		 * between those two reads shows as values that changed (equal values would give
		 * the same figure anyway); otherwise there is nothing new. */
		uint16_t flags = HB_INA219_BUS_CNVR | HB_INA219_BUS_OVF;
		if (!dev->have_last ||
		    (shunt == dev->last_shunt_raw && (bus2 & ~flags) == (dev->last_bus_raw & ~flags)))
			return HB_OK;
	}
	memset(out, 0, sizeof *out);
	out->shunt_raw = (int16_t)shunt;
	out->bus_raw = bus2;
	out->power_raw = be16(p);
	hb_ina2xx_convert(dev, out);
	out->cnvr = !!(bus1 & HB_INA219_BUS_CNVR); /* 0: it completed during this read */
	if (out->power_raw == 0 && !out->ovf) {
		/* CAL 0 (a chip that reset) makes the power register 0: check it */
		uint16_t cal;
		st = hb_ina2xx_read_reg(dev, c->reg_cal, &cal);
		if (st != HB_OK)
			return st;
		if (cal == 0) {
			st = recover(dev);
			if (st == HB_OK)
				*fresh = HB_INA2XX_RESET;
			return st;
		}
	}
	dev->reset_streak = 0;
	dev->have_last = 1;
	dev->last_shunt_raw = shunt;
	dev->last_bus_raw = bus2;
	*fresh = HB_INA2XX_NEW;
	/* Out of range: the reading is refused (HB_ERR_RANGE) and counted; the run of such
	 * readings is logged once, with its count, when it ends (a saturated shunt on a 1 ms
	 * sampler would otherwise log a thousand lines a second). */
	if (out->saturated) {
		dev->saturated_run++;
		dev->saturated_total++;
		dev->saturated_uV = out->shunt_uV;
	} else if (out->ovf) {
		dev->ovf_run++;
		dev->ovf_total++;
	}
	if (!out->saturated && dev->saturated_run)
		end_run(dev, 1);
	if (!out->ovf && dev->ovf_run)
		end_run(dev, 0);
	return out->saturated || out->ovf ? HB_ERR_RANGE : HB_OK;
}

void hb_ina2xx_range_summary(struct hb_ina2xx *dev)
{
	if (!dev || !dev->chip)
		return;
	if (dev->saturated_run)
		end_run(dev, 1);
	if (dev->ovf_run)
		end_run(dev, 0);
}

enum hb_status hb_ina2xx_read(struct hb_ina2xx *dev, struct hb_ina2xx_reading *out)
{
	if (!dev || !out || !dev->chip)
		return HB_ERR_ARG;
	uint64_t conv = dev->conv_ns ? dev->conv_ns : 1000000;
	uint64_t step = conv / 8 ? conv / 8 : 1, waited = 0;
	for (;;) {
		int ready = 0;
		enum hb_status st = hb_ina2xx_ready(dev, &ready);
		if (st != HB_OK)
			return st;
		if (ready) {
			enum hb_ina2xx_fresh fresh;
			st = hb_ina2xx_sample(dev, out, &fresh);
			if (st != HB_OK && st != HB_ERR_RANGE)
				return st;
			if (fresh == HB_INA2XX_NEW)
				return st;
			if (fresh == HB_INA2XX_TORN)
				continue; /* the conversion that tore it is flagged: read it now */
			if (fresh == HB_INA2XX_RESET)
				waited = 0; /* restarted: wait a conversion again */
		} else if (waited >= 4 * conv) {
			int reset;
			st = hb_ina2xx_check_alive(dev, &reset);
			if (st != HB_OK)
				return st;
			if (!reset) {
				hb_err("%s@0x%02x: no conversion in %llu µs: not converting",
				       dev->chip->name, dev->addr, (unsigned long long)(waited / 1000));
				return HB_ERR_TIMEOUT;
			}
			waited = 0;
		}
		hb_sleep_ns(step);
		waited += step;
	}
}
