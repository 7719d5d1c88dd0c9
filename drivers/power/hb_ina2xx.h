/* hilbench — INA2xx current/power monitors (INA219 driven now; INA226/INA228 rows ready).
 *
 * Units are in names and all arithmetic is integer: µV, mV, µA, µW, µΩ, nA, ns.
 * Calibration follows the datasheet: Current_LSB >= I_max / 32767 rounded up to a 1-2-5
 * value, CAL = trunc(0.04096 / (Current_LSB * R_shunt)) (bit 0 of CAL is void on the
 * INA219). Readings use the LSB the chip really applies with that CAL:
 *   current LSB = 0.04096 / (CAL * R_shunt), power LSB = 20 * current LSB.
 * Robustness: a zero current with CAL read back as 0 means the chip reset: re-initialise,
 * wait one worst-case conversion, retry (bounded), then HB_ERR_GONE. A shunt register at
 * the PGA limit is HB_ERR_RANGE ("shunt saturated"); the OVF flag is HB_ERR_RANGE too.
 *
 * A sample (hb_ina2xx_sample) reads only what the power figure needs, as one bus batch
 * (one USB exchange on ftdi-i2c):
 *   bus (CNVR: a conversion completed since the last sample?), power (only to clear CNVR,
 *   and as a reset check), shunt, bus again (CNVR still clear: no conversion completed
 *   while shunt and bus were read, so both come from one conversion).
 * The figure is P = V_bus * V_shunt / R_shunt (hb_ina2xx_power_mw): the chip's own current
 * and power registers truncate to its current LSB and 20 of them; bus and shunt do not. */
#ifndef HB_INA2XX_H
#define HB_INA2XX_H

#include <stddef.h>
#include <stdint.h>

#include "hb_i2c.h"
#include "hb_status.h"

enum hb_ina2xx_model { HB_INA219 = 0, HB_INA226, HB_INA228, HB_INA2XX_N };

enum hb_ina2xx_flags {
	HB_INA2XX_F_DRIVEN = 1u << 0,      /* this driver configures and reads it */
	HB_INA2XX_F_PGA = 1u << 1,         /* programmable shunt gain (INA219) */
	HB_INA2XX_F_BRNG = 1u << 2,        /* 16/32 V bus range bit (INA219) */
	HB_INA2XX_F_CNVR_IN_BUS = 1u << 3, /* CNVR/OVF are bits 1/0 of the bus register */
	HB_INA2XX_F_MASK_ENABLE = 1u << 4, /* CVRF/OVF in a Mask/Enable register (INA226) */
	HB_INA2XX_F_WIDE_REGS = 1u << 5,   /* 20/24-bit result registers (INA228) */
};

struct hb_ina2xx_chip {
	const char *name;
	enum hb_ina2xx_model model;
	unsigned flags;
	uint8_t reg_config, reg_shunt, reg_bus, reg_power, reg_current, reg_cal;
	uint8_t bus_shift;          /* bus voltage field starts at this bit */
	uint64_t shunt_lsb_pV;      /* shunt register LSB */
	uint64_t bus_lsb_pV;        /* bus register LSB (after the shift) */
	uint32_t power_mult_x10;    /* power LSB = power_mult_x10 / 10 * current LSB */
	uint64_t cal_num_uA;        /* CAL = cal_num_uA * 1000 / (current_lsb_nA * R_uohm) */
	uint32_t cal_max;           /* largest CAL value */
	uint16_t config_default;    /* configuration register after power-on/reset */
	int32_t shunt_fs_uV;        /* largest shunt voltage (widest range) */
	uint32_t bus_max_mV;        /* largest bus voltage the input is rated for */
	uint8_t addr_min, addr_max; /* 7-bit addresses its A0/A1 straps give */
};

extern const struct hb_ina2xx_chip hb_ina2xx_chips[HB_INA2XX_N];
const struct hb_ina2xx_chip *hb_ina2xx_chip_by_name(const char *name);
/* The chips this driver configures and reads (flag DRIVEN), as "ina219" or "a, b": for
 * "known:" lists in messages. */
void hb_ina2xx_driven_names(char *buf, size_t cap);

/* INA219 register fields. */
#define HB_INA219_CFG_RST (1u << 15)
#define HB_INA219_CFG_BRNG (1u << 13)
#define HB_INA219_CFG_PG_SHIFT 11
#define HB_INA219_CFG_BADC_SHIFT 7
#define HB_INA219_CFG_SADC_SHIFT 3
#define HB_INA219_BUS_CNVR (1u << 1)
#define HB_INA219_BUS_OVF (1u << 0)

enum hb_ina219_mode {
	HB_INA219_MODE_POWERDOWN = 0,
	HB_INA219_MODE_SHUNT_TRIG = 1,
	HB_INA219_MODE_BUS_TRIG = 2,
	HB_INA219_MODE_BOTH_TRIG = 3,
	HB_INA219_MODE_ADC_OFF = 4,
	HB_INA219_MODE_SHUNT_CONT = 5,
	HB_INA219_MODE_BUS_CONT = 6,
	HB_INA219_MODE_BOTH_CONT = 7,
};

struct hb_ina2xx_config {
	uint32_t shunt_uohm;     /* shunt resistance */
	uint32_t max_current_uA; /* largest expected current (sets Current_LSB) */
	unsigned bus_range_V;    /* INA219: 16 or 32 (0 = 32) */
	unsigned pga_mV;         /* INA219: 40, 80, 160, 320; 0 = smallest range covering
				    max_current_uA * shunt */
	int bus_adc;             /* ADC code 0..15 (hb_ina219_adc_code); -1 = 12-bit, 1 sample */
	int shunt_adc;
	int mode;                /* enum hb_ina219_mode; -1 = shunt and bus, continuous */
};

struct hb_ina2xx {
	struct hb_i2c *bus;
	uint8_t addr;
	const struct hb_ina2xx_chip *chip;
	struct hb_ina2xx_config cfg; /* resolved (no "auto" values left) */
	uint16_t config_reg;
	uint16_t cal;
	uint32_t current_lsb_nA; /* nominal LSB chosen by the datasheet procedure */
	uint64_t conv_ns;        /* time of one full conversion cycle with these settings */
	unsigned resets_seen;    /* chip resets detected and recovered */
	unsigned max_retries;    /* reset recovery attempts before HB_ERR_GONE (default 3) */
	/* bookkeeping */
	int ptr;                 /* the chip's register pointer as we left it (-1: unknown); a
				    read of that register needs no pointer write */
	unsigned reset_streak;   /* resets in a row without a good conversion in between */
	unsigned torn;           /* reads a completing conversion tore (and were read again) */
	unsigned torn_streak;    /* ... in a row */
	int have_last;
	uint16_t last_shunt_raw, last_bus_raw; /* the last conversion read */
	/* Readings refused as saturated (shunt at the PGA limit) or overflowed (OVF), in all and
	 * in the current run of them. A run is logged once, with its count, when it ends: at the
	 * next good reading, or at hb_ina2xx_range_summary() (the sampler calls it when it
	 * stops), never once per sample. */
	uint64_t saturated_total, saturated_run;
	uint64_t ovf_total, ovf_run;
	int32_t saturated_uV;     /* the shunt reading of the last saturated sample */
};

struct hb_ina2xx_reading {
	int32_t shunt_uV;
	int32_t bus_mV;
	int32_t current_uA;      /* V_shunt / R_shunt */
	int64_t power_uW;        /* hb_ina2xx_power_mw, rounded to uW */
	double power_mW;         /* hb_ina2xx_power_mw */
	int16_t shunt_raw, current_raw; /* current_raw: 0, a sample does not read it */
	uint16_t bus_raw, power_raw;
	int cnvr;       /* CNVR was set when the read began (0 for a sample whose conversion
			   completed during the read: hb_ina2xx_sample saw its values change) */
	int ovf;        /* math overflow flag */
	int saturated;  /* shunt register at the PGA limit */
};

/* ADC code for a resolution (9..12 bits, 1 sample) or an average (12 bits, 2..128
 * samples, power of two). -1 when the combination does not exist. */
int hb_ina219_adc_code(unsigned bits, unsigned samples);
/* Conversion time of one ADC code in µs (datasheet table), 0 for an invalid code. */
uint32_t hb_ina219_adc_time_us(int code);

/* The datasheet calibration procedure (pure). HB_ERR_RANGE when no LSB/CAL fits. */
enum hb_status hb_ina2xx_calibrate(const struct hb_ina2xx_chip *chip, uint32_t shunt_uohm,
				   uint32_t max_current_uA, uint32_t *current_lsb_nA,
				   uint16_t *cal);

/* The power figure from one conversion's bus and shunt readings: V_bus * V_shunt / R_shunt
 * (mV * uV / uohm = mW). `hilbench run` and `hilbench power` both use this one formula.
 * Signed: negative when the current flows from IN- to IN+ (the shunt wired backwards). */
double hb_ina2xx_power_mw(int32_t bus_mV, int32_t shunt_uV, uint32_t shunt_uohm);

/* What one sample read found. */
enum hb_ina2xx_fresh {
	HB_INA2XX_NONE = 0, /* no conversion completed since the last sample */
	HB_INA2XX_NEW,      /* a new conversion: every figure of *out comes from it */
	HB_INA2XX_TORN,     /* a conversion completed while the registers were read: the figures
			       may mix two conversions and were dropped; it is flagged, so the
			       next read gets it */
	HB_INA2XX_RESET,    /* the chip had reset (CAL lost) and was re-initialised: its
			       conversions start over */
};

/* Probe and configure the chip at addr: writes CAL and configuration (the configuration
 * write clears CNVR and restarts the conversion), reads them back. */
enum hb_status hb_ina2xx_init(struct hb_ina2xx *dev, struct hb_i2c *bus, uint8_t addr,
			      enum hb_ina2xx_model model, const struct hb_ina2xx_config *cfg);
/* Software reset (RST bit), then the configuration and CAL again. */
enum hb_status hb_ina2xx_reset(struct hb_ina2xx *dev);
/* Is a new conversion ready (CNVR)? Reads only the bus register (no pointer write when the
 * pointer is already there: one short transaction). */
enum hb_status hb_ina2xx_ready(struct hb_ina2xx *dev, int *ready);
/* Is a new conversion ready? Also returns the bus register read for it. */
enum hb_status hb_ina2xx_ready_bus(struct hb_ina2xx *dev, int *ready, uint16_t *bus_raw);
/* One sample read, never waits: bus, power, shunt, bus as one batch (see the top). *fresh
 * says what it found; *out is filled only for HB_INA2XX_NEW. A power register of 0 makes
 * it check CAL: 0 means the chip reset, which is repaired here (HB_INA2XX_RESET; after
 * max_retries resets in a row HB_ERR_GONE). HB_ERR_RANGE: a NEW reading that is saturated
 * or overflowed (filled in, flags set). */
enum hb_status hb_ina2xx_sample(struct hb_ina2xx *dev, struct hb_ina2xx_reading *out,
				enum hb_ina2xx_fresh *fresh);
/* Is the chip still configured? Reads CAL and the configuration; a chip that lost them
 * (reset) is re-initialised (*reset = 1). For a monitor that went silent. */
enum hb_status hb_ina2xx_check_alive(struct hb_ina2xx *dev, int *reset);
/* Wait for the next conversion (polling CNVR on the hb_clock) and read it with
 * hb_ina2xx_sample: every figure from that one conversion. Right after init this is the
 * first conversion with the new configuration and CAL. A chip that does not convert within
 * 4 conversion times is HB_ERR_TIMEOUT (after a reset check), and so are conversions so
 * short that HB_INA2XX_MAX_TORN reads in a row were torn (the bus is slower than the chip). */
#define HB_INA2XX_MAX_TORN 16
enum hb_status hb_ina2xx_read(struct hb_ina2xx *dev, struct hb_ina2xx_reading *out);
/* Convert raw shunt/bus/power registers (pure): bus and shunt in their units, current
 * V_shunt / R_shunt, power hb_ina2xx_power_mw, flags. */
/* A saturated or overflowing run still going: log it once with its count ("shunt saturated
 * ... for N readings") and start counting anew. Call at the end of a measurement. */
void hb_ina2xx_range_summary(struct hb_ina2xx *dev);
/* Convert raw registers with the device's calibration (pure; used by read()). */
void hb_ina2xx_convert(const struct hb_ina2xx *dev, struct hb_ina2xx_reading *r);

enum hb_status hb_ina2xx_read_reg(struct hb_ina2xx *dev, uint8_t reg, uint16_t *v);
enum hb_status hb_ina2xx_write_reg(struct hb_ina2xx *dev, uint8_t reg, uint16_t v);

#endif
