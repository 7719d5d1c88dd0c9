#include "fake_ina219m.h"

#include <string.h>

void fake_ina219m_init(struct fake_ina219m *f, uint8_t addr7, const struct hb_ina219m_params *p,
		       const uint64_t *t_ns)
{
	memset(f, 0, sizeof *f);
	f->addr7 = addr7;
	f->t_ns = t_ns;
	f->t_s = t_ns ? (double)*t_ns * 1e-9 : 0.0;
	hb_ina219m_init(&f->chip, p, f->t_s, 0.0);
}

void fake_ina219m_sync(struct fake_ina219m *f)
{
	double t = f->t_ns ? (double)*f->t_ns * 1e-9 : f->t_s;
	if (t > f->t_s) {
		f->q_c += f->current_a * (t - f->t_s);
		f->t_s = t;
	}
	hb_ina219m_advance(&f->chip, f->t_s, f->q_c);
}

static int t_start(void *ctx, int read)
{
	struct fake_ina219m *f = ctx;
	fake_ina219m_sync(f);
	f->wcount = f->rcount = 0;
	(void)read;
	return 1;
}

static int t_write(void *ctx, uint8_t b)
{
	struct fake_ina219m *f = ctx;
	fake_ina219m_sync(f);
	if (f->wcount == 0) {
		if (b > HB_INA219M_REG_CAL)
			return 0; /* no such register: NACK */
		f->chip.pointer = b;
	}
	if (f->wcount < 3)
		f->wbuf[f->wcount] = b;
	if (++f->wcount == 3) {
		hb_ina219m_write_reg(&f->chip, f->chip.pointer, (uint16_t)(f->wbuf[1] << 8 | f->wbuf[2]));
		f->reg_writes[f->chip.pointer]++;
	}
	return 1;
}

static uint8_t t_read(void *ctx)
{
	struct fake_ina219m *f = ctx;
	fake_ina219m_sync(f);
	if ((f->rcount & 1) == 0) {
		/* the register is latched when its first byte goes out (reading power clears
		 * CNVR then) */
		f->rval = hb_ina219m_read_reg(&f->chip, f->chip.pointer);
		if (f->rcount == 0)
			f->reg_reads[f->chip.pointer]++;
	}
	return (f->rcount++ & 1) ? (uint8_t)f->rval : (uint8_t)(f->rval >> 8);
}

static void t_stop(void *ctx)
{
	struct fake_ina219m *f = ctx;
	fake_ina219m_sync(f);
	f->wcount = f->rcount = 0;
}

struct fake_i2c_target fake_ina219m_target(struct fake_ina219m *f)
{
	return (struct fake_i2c_target){.ctx = f, .addr7 = f->addr7, .start = t_start,
					.write = t_write, .read = t_read, .stop = t_stop};
}
