/* hilbench bench probe — protocol v1 constants (docs/probe-protocol.md).
 *
 * Dependency-free: included by the firmware core (any target) and by the host driver
 * (drivers/probe), so both sides share one definition of every number on the wire.
 * Framing is the link protocol's (docs/protocol.md §2): SOF 0xA5, type, seq, len (u16 LE),
 * hcrc (CRC-8/SMBUS over type..len), payload, CRC-16/CCITT-FALSE (low byte first).
 * All multi-byte fields are little-endian. */
#ifndef HBP_PROTO_H
#define HBP_PROTO_H

#define HBP_PROTO_VERSION 1
#define HBP_SOF 0xA5
#define HBP_HDR_LEN 6
#define HBP_OVERHEAD 8
#define HBP_MAX_REQ_PAYLOAD 64    /* requests: a longer len is answered OVERSIZE */
#define HBP_MAX_PAYLOAD 248       /* probe -> host frames (DATA included): frames <= 256 B */
#define HBP_MAX_MONITORS 4
#define HBP_N_CAPTURE 4
#define HBP_TIMER_HZ 1000000u     /* stamps are microseconds */
#define HBP_DEFAULT_BAUD 2000000u
#define HBP_RESPONSE_BIT 0x80

/* Message types. Requests 0x01..0x08 (responses are type | 0x80); DATA and BOOT are sent
 * by the probe unsolicited; ERROR answers a bad request. */
enum hbp_type {
	HBP_IDENTIFY = 0x01,
	HBP_CONFIG_MONITOR = 0x02,
	HBP_START = 0x03,
	HBP_STOP = 0x04,
	HBP_STATUS = 0x05,
	HBP_SYNC = 0x06,
	HBP_I2C_XFER = 0x07,
	HBP_RESET = 0x08,
	HBP_DATA = 0x40,
	HBP_BOOT = 0x41,
	HBP_ERROR = 0xFF,
};

/* ERROR reasons: 1..9 as the link protocol (docs/protocol.md §4.5), 10 probe-specific. */
enum hbp_reason {
	HBP_R_BAD_HCRC = 1,
	HBP_R_BAD_CRC = 2,
	HBP_R_OVERSIZE = 3,
	HBP_R_TIMEOUT = 4,
	HBP_R_UNKNOWN_TYPE = 5,
	HBP_R_BAD_LENGTH = 6,
	HBP_R_BAD_ARG = 7,
	HBP_R_NOT_CONFIGURED = 8,
	HBP_R_BUSY = 9,
	HBP_R_STATE = 10, /* not allowed while sampling runs (or while stopped, for STOP) */
};

/* Request / response payload lengths. */
#define HBP_IDENTIFY_LEN 36
#define HBP_CONFIG_REQ_LEN 16
#define HBP_CONFIG_RESP_LEN 8
#define HBP_START_REQ_LEN 4
#define HBP_START_RESP_LEN 12
#define HBP_STOP_RESP_LEN 16
#define HBP_STATUS_LEN 56
#define HBP_SYNC_REQ_LEN 4
#define HBP_SYNC_RESP_LEN 20
#define HBP_BOOT_LEN 8
#define HBP_DATA_HDR_LEN 8
#define HBP_I2C_MAX 32            /* I2C_XFER: at most 32 bytes each way */

/* IDENTIFY capability bits. */
#define HBP_CAP_I2C_XFER (1u << 0)
#define HBP_CAP_CAPTURE (1u << 1)
#define HBP_CAP_WATCHDOG (1u << 2)
#define HBP_CAP_BUS_RECOVERY (1u << 3)
#define HBP_CAP_SIMULATED (1u << 4) /* the core runs on a host HAL (tests, virtual board) */
#define HBP_CAP_EMULATED (1u << 5)  /* the MCU's clock controller did not answer: an emulator
				       (QEMU); time comes from SysTick at its core clock */

/* Boards (IDENTIFY `board`). */
enum hbp_board {
	HBP_BOARD_HOST = 0,
	HBP_BOARD_BLACKPILL_F411 = 1,
	HBP_BOARD_NUCLEO_F401 = 2,
};

/* Reset causes (IDENTIFY, STATUS, BOOT). */
enum hbp_reset_cause {
	HBP_RESET_UNKNOWN = 0,
	HBP_RESET_POWER_ON = 1,
	HBP_RESET_PIN = 2,
	HBP_RESET_SOFTWARE = 3,
	HBP_RESET_WATCHDOG = 4,
	HBP_RESET_BROWN_OUT = 5,
	HBP_RESET_LOW_POWER = 6,
	HBP_RESET_WINDOW_WATCHDOG = 7,
};

/* Capture channels: TIM2 CH1..CH4 of the STM32 build, DONE and BUSY each on two channels
 * (rising and falling edge). */
enum hbp_capture_ch {
	HBP_CAP_DONE_RISE = 0,
	HBP_CAP_DONE_FALL = 1,
	HBP_CAP_BUSY_RISE = 2,
	HBP_CAP_BUSY_FALL = 3,
};

/* I2C outcomes (CONFIG_MONITOR result, I2C_XFER status, I2C_ERROR records). */
enum hbp_i2c_status {
	HBP_I2C_OK = 0,
	HBP_I2C_NACK_ADDR = 1, /* nobody acknowledged the address: monitor missing */
	HBP_I2C_NACK_DATA = 2, /* a data byte was not acknowledged */
	HBP_I2C_TIMEOUT = 3,   /* the peripheral never finished (absent or wedged) */
	HBP_I2C_BUS_STUCK = 4, /* SDA held low; clock pulses did not free it */
	HBP_I2C_ARB_LOST = 5,  /* arbitration lost / bus error (noise, a second master) */
	HBP_I2C_MISMATCH = 6,  /* the configuration register read back differently */
	HBP_I2C_RECOVERED = 7, /* SDA was held low and clock pulses freed it */
	HBP_I2C_BUSY = 0xFF,   /* internal: operation still running (never on the wire) */
};

/* INA219 monitor slot state (STATUS). */
enum hbp_mon_state { HBP_MON_OFF = 0, HBP_MON_OK = 1, HBP_MON_ERROR = 2 };

/* DATA records: tag = kind << 4 | index; then dt (u8, µs since the previous record, the
 * first one counting from the frame's t_base); then the body. */
enum hbp_rec_kind {
	HBP_REC_SAMPLE = 0x0,     /* index = monitor; i16 shunt register            (4 bytes) */
	HBP_REC_SAMPLE_BUS = 0x1, /* index = monitor; i16 shunt, u16 bus register   (6 bytes) */
	HBP_REC_EDGE = 0x2,       /* index = capture channel                        (2 bytes) */
	HBP_REC_GAP = 0x3,        /* index 0; u16 hi: this record's delta is dt + 256*hi (4) */
	HBP_REC_MISSED = 0x4,     /* reserved: index = monitor; u16 conversions not read (4 bytes).
				   * Firmware 1.0 does not send it: a gap of (k+1) periods between
				   * two samples of a monitor means k conversions were not read. */
	HBP_REC_I2C_ERROR = 0x5,  /* index = monitor, 0xF = the bus; u8 status, u8 op (4) */
	HBP_REC_RECOVERED = 0x6,  /* index = monitor; u16 failed attempts meanwhile (4 bytes) */
	HBP_REC_DROPPED = 0x7,    /* index 0; u16 records dropped just before this one (4) */
};
#define HBP_REC_BUS_INDEX 0xF

/* What an I2C_ERROR record's op byte says the probe was doing. */
enum hbp_err_op {
	HBP_OP_SAMPLE = 0,   /* reading the shunt register */
	HBP_OP_BUS = 1,      /* reading the bus register */
	HBP_OP_CONFIG = 2,   /* writing / checking the configuration register */
	HBP_OP_RECOVERY = 3, /* clocking a stuck bus free */
};

/* Size of a record with this tag (0 = unknown kind). */
static inline unsigned hbp_rec_size(unsigned tag)
{
	switch (tag >> 4) {
	case HBP_REC_SAMPLE: return 4;
	case HBP_REC_SAMPLE_BUS: return 6;
	case HBP_REC_EDGE: return 2;
	case HBP_REC_GAP:
	case HBP_REC_MISSED:
	case HBP_REC_I2C_ERROR:
	case HBP_REC_RECOVERED:
	case HBP_REC_DROPPED: return 4;
	default: return 0;
	}
}

/* INA219 facts the probe uses (TI SBOS448): registers, CONFIG fields, conversion times. */
#define HBP_INA219_REG_CONFIG 0
#define HBP_INA219_REG_SHUNT 1
#define HBP_INA219_REG_BUS 2
#define HBP_INA219_MODE_MASK 7u

/* Conversion time in µs of one ADC setting (the BADC/SADC 4-bit field); datasheet table. */
static inline unsigned hbp_ina219_adc_us(unsigned adc4)
{
	static const unsigned int res[4] = {84, 148, 276, 532};
	static const unsigned int avg[8] = {532, 1060, 2130, 4260, 8510, 17020, 34050, 68100};
	adc4 &= 0xFu;
	return (adc4 & 8u) ? avg[adc4 & 7u] : res[adc4 & 3u];
}

/* One conversion cycle of a continuous mode (5 shunt, 6 bus, 7 both), µs; 0 for a mode
 * that does not convert continuously. */
static inline unsigned hbp_ina219_cycle_us(unsigned config)
{
	unsigned mode = config & HBP_INA219_MODE_MASK;
	unsigned ts = hbp_ina219_adc_us(config >> 3), tb = hbp_ina219_adc_us(config >> 7);
	switch (mode) {
	case 5: return ts;
	case 6: return tb;
	case 7: return ts + tb;
	default: return 0;
	}
}

#endif
