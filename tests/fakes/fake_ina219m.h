/* The virtual board's register-accurate INA219 (gateware/vboard/ina219_model.c) as a
 * byte-level I2C target, so the fake MPSSE can drive it bit by bit. The chip's time is a
 * clock the owner points at (the fake MPSSE's t_ns: each bus event happens at its simulated
 * time); a constant load current (current_a, changeable between accesses) is integrated
 * into the charge the model converts. */
#ifndef FAKE_INA219M_H
#define FAKE_INA219M_H

#include <stdint.h>

#include "fake_i2c_bus.h"
#include "ina219_model.h"

struct fake_ina219m {
	struct hb_ina219m chip;
	uint8_t addr7;
	const uint64_t *t_ns;   /* the time of bus events */
	double current_a;       /* the load current now */
	double t_s, q_c;        /* the charge integrated so far, and when */
	/* the transaction in progress */
	unsigned wcount, rcount;
	uint8_t wbuf[3];
	uint16_t rval;
	/* statistics */
	unsigned reg_reads[6], reg_writes[6];
};

void fake_ina219m_init(struct fake_ina219m *f, uint8_t addr7, const struct hb_ina219m_params *p,
		       const uint64_t *t_ns);
/* Bring the model up to *t_ns (conversions that completed meanwhile happen). */
void fake_ina219m_sync(struct fake_ina219m *f);
struct fake_i2c_target fake_ina219m_target(struct fake_ina219m *f);

#endif
