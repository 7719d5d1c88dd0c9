/* hilbench — INA2xx driver (see hb_ina2xx.h). */
#include "hb_ina2xx.h"

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
		.shunt_fs_uV = 320000,
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
	},
};

const struct hb_ina2xx_chip *hb_ina2xx_chip_by_name(const char *name)
{
	for (int i = 0; i < HB_INA2XX_N; i++)
		if (name && strcmp(hb_ina2xx_chips[i].name, name) == 0)
			return &hb_ina2xx_chips[i];
	return NULL;
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
	enum hb_status st = hb_i2c_write_read(dev->bus, dev->addr, &reg, 1, b, 2);
	if (st == HB_OK)
		*v = (uint16_t)(b[0] << 8 | b[1]);
	return st;
}

enum hb_status hb_ina2xx_write_reg(struct hb_ina2xx *dev, uint8_t reg, uint16_t v)
{
	uint8_t b[3] = {reg, (uint8_t)(v >> 8), (uint8_t)v};
	return hb_i2c_write(dev->bus, dev->addr, b, 3);
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

/* Write configuration and CAL, verify by reading them back. */
static enum hb_status program(struct hb_ina2xx *dev)
{
	const struct hb_ina2xx_chip *c = dev->chip;
	enum hb_status st = hb_ina2xx_write_reg(dev, c->reg_config, dev->config_reg);
	if (st == HB_OK)
		st = hb_ina2xx_write_reg(dev, c->reg_cal, dev->cal);
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
	/* The LSB the chip applies: cal_num / (CAL * R), in µA (rounded to nearest). */
	int64_t den = (int64_t)dev->cal * dev->cfg.shunt_uohm;
	if (den == 0) {
		r->current_uA = 0;
		r->power_uW = 0;
		return;
	}
	int64_t num = (int64_t)r->current_raw * (int64_t)c->cal_num_uA;
	r->current_uA = (int32_t)((num + (num >= 0 ? den / 2 : -den / 2)) / den);
	int64_t pnum = (int64_t)r->power_raw * c->power_mult_x10 * (int64_t)c->cal_num_uA;
	r->power_uW = (pnum + 5 * den) / (10 * den);
	int32_t fs_counts = (int32_t)((int64_t)dev->cfg.pga_mV * 1000 * 1000000 /
				      (int64_t)c->shunt_lsb_pV);
	r->saturated = r->shunt_raw >= fs_counts || r->shunt_raw <= -fs_counts;
}

/* have_bus: bus already holds the bus register just read by the caller. */
static enum hb_status read_all(struct hb_ina2xx *dev, struct hb_ina2xx_reading *r, int have_bus,
			       uint16_t bus)
{
	const struct hb_ina2xx_chip *c = dev->chip;
	uint16_t sh, cur, pw;
	enum hb_status st = have_bus ? HB_OK : hb_ina2xx_read_reg(dev, c->reg_bus, &bus);
	if (st == HB_OK)
		st = hb_ina2xx_read_reg(dev, c->reg_shunt, &sh);
	if (st == HB_OK)
		st = hb_ina2xx_read_reg(dev, c->reg_current, &cur);
	if (st == HB_OK)
		st = hb_ina2xx_read_reg(dev, c->reg_power, &pw);
	if (st != HB_OK)
		return st;
	memset(r, 0, sizeof *r);
	r->shunt_raw = (int16_t)sh;
	r->bus_raw = bus;
	r->current_raw = (int16_t)cur;
	r->power_raw = pw;
	hb_ina2xx_convert(dev, r);
	return HB_OK;
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

static enum hb_status read_checked(struct hb_ina2xx *dev, struct hb_ina2xx_reading *out,
				   int have_bus, uint16_t bus)
{
	if (!dev || !out || !dev->chip)
		return HB_ERR_ARG;
	for (unsigned attempt = 0;; attempt++) {
		enum hb_status st = read_all(dev, out, have_bus && attempt == 0, bus);
		if (st != HB_OK)
			return st;
		if (out->current_raw != 0 || out->power_raw != 0)
			break;
		uint16_t cal;
		st = hb_ina2xx_read_reg(dev, dev->chip->reg_cal, &cal);
		if (st != HB_OK)
			return st;
		if (cal != 0)
			break; /* a genuine zero current */
		if (attempt >= dev->max_retries) {
			hb_err("%s@0x%02x: CAL still reads 0 after %u re-initialisations: chip gone",
			       dev->chip->name, dev->addr, attempt);
			return HB_ERR_GONE;
		}
		hb_warn("%s@0x%02x: CAL reads 0: the chip reset; re-initialising",
			dev->chip->name, dev->addr);
		dev->resets_seen++;
		st = program(dev);
		if (st != HB_OK && st != HB_ERR_MISMATCH)
			return st;
		hb_sleep_ns(dev->conv_ns ? dev->conv_ns : 1000000);
	}
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
	return read_checked(dev, out, 0, 0);
}

enum hb_status hb_ina2xx_read_after_bus(struct hb_ina2xx *dev, uint16_t bus_raw,
					struct hb_ina2xx_reading *out)
{
	return read_checked(dev, out, 1, bus_raw);
}
