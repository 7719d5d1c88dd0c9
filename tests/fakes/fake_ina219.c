#include "fake_ina219.h"

#include <stdlib.h>
#include <string.h>

static uint64_t now_ns(struct fake_ina219 *m)
{
	struct hb_clock *c = m->clock ? m->clock : hb_clock_default();
	return c->now_ns(c);
}

void fake_ina219_reset(struct fake_ina219 *m)
{
	m->config = 0x399f;
	m->shunt = m->bus = m->power = m->current = m->cal = 0;
	m->last_conv_ns = now_ns(m);
	m->resets++;
}

void fake_ina219_init(struct fake_ina219 *m, uint8_t addr7, struct hb_clock *clock)
{
	memset(m, 0, sizeof *m);
	m->addr7 = addr7;
	m->clock = clock;
	fake_ina219_reset(m);
	m->resets = 0;
}

static uint64_t adc_us(unsigned code)
{
	/* datasheet table 5: 9/10/11/12 bit, then 2..128 sample averages */
	static const uint64_t t[16] = {84,  148,  276,  532,  84,    148,   276,   532,
				       532, 1060, 2130, 4260, 8510, 17020, 34050, 68100};
	return t[code & 15];
}

uint64_t fake_ina219_conv_ns(const struct fake_ina219 *m)
{
	unsigned mode = m->config & 7;
	uint64_t b = adc_us(m->config >> 7 & 15), s = adc_us(m->config >> 3 & 15);
	uint64_t us = (mode & 3) == 1 ? s : (mode & 3) == 2 ? b : (mode & 3) == 3 ? s + b : 0;
	return us * 1000;
}

void fake_ina219_convert(struct fake_ina219 *m)
{
	int ovf = 0;
	int32_t fs = 4000 << (m->config >> 11 & 3);
	int32_t sh = m->shunt_uV / 10;
	if (sh > fs)
		sh = fs;
	if (sh < -fs)
		sh = -fs;
	int32_t bus = m->bus_mV / 4;
	int32_t bmax = (m->config & (1u << 13)) ? 8000 : 4000;
	if (bus > bmax)
		bus = bmax;
	if (bus < 0)
		bus = 0;
	int64_t cur = (int64_t)sh * m->cal / 4096;
	if (cur > 32767 || cur < -32768) {
		ovf = 1;
		cur = cur > 0 ? 32767 : -32768;
	}
	int64_t pw = llabs(cur) * bus / 5000;
	if (pw > 65535) {
		ovf = 1;
		pw = 65535;
	}
	m->shunt = (uint16_t)(int16_t)sh;
	m->current = (uint16_t)(int16_t)cur;
	m->power = (uint16_t)pw;
	m->bus = (uint16_t)(bus << 3 | 2 | ovf);
	m->conversions++;
}

static void update(struct fake_ina219 *m)
{
	unsigned mode = m->config & 7;
	uint64_t conv = fake_ina219_conv_ns(m), t = now_ns(m);
	if (m->stopped || mode < 5 || conv == 0) {
		m->last_conv_ns = t;
		return;
	}
	if (t - m->last_conv_ns >= conv) {
		uint64_t n = (t - m->last_conv_ns) / conv;
		fake_ina219_convert(m);
		m->last_conv_ns += n * conv;
	}
}

static uint16_t *reg(struct fake_ina219 *m, uint8_t r)
{
	switch (r) {
	case 0: return &m->config;
	case 1: return &m->shunt;
	case 2: return &m->bus;
	case 3: return &m->power;
	case 4: return &m->current;
	case 5: return &m->cal;
	default: return NULL;
	}
}

static int t_start(void *ctx, int read)
{
	struct fake_ina219 *m = ctx;
	update(m);
	m->reading = read;
	m->wcount = m->rcount = 0;
	return 1;
}

static void commit(struct fake_ina219 *m)
{
	uint16_t v = (uint16_t)(m->wbuf[1] << 8 | m->wbuf[2]);
	if (m->ptr == 0) {
		m->config_writes++;
		if (v & 0x8000) {
			fake_ina219_reset(m);
			return;
		}
		m->config = v & 0x3fff;
		m->bus &= (uint16_t)~2u; /* writing the mode clears CNVR */
		m->last_conv_ns = now_ns(m);
		if ((v & 7) >= 1 && (v & 7) <= 3)
			fake_ina219_convert(m); /* triggered: one conversion */
	} else if (m->ptr == 5) {
		m->cal_writes++;
		if (m->sticky_reset) {
			fake_ina219_reset(m);
			return;
		}
		m->cal = v & 0xfffe;
	}
	/* registers 1-4 are read-only */
}

static int t_write(void *ctx, uint8_t b)
{
	struct fake_ina219 *m = ctx;
	if (m->wcount < 3)
		m->wbuf[m->wcount] = b;
	m->wcount++;
	if (m->wcount == 1) {
		if (b > 5)
			return 0; /* no such register: NACK */
		m->ptr = b;
	}
	if (m->wcount == 3)
		commit(m);
	return 1;
}

static uint8_t t_read(void *ctx)
{
	struct fake_ina219 *m = ctx;
	uint16_t *r = reg(m, m->ptr);
	uint16_t v = r ? *r : 0;
	uint8_t b = (m->rcount++ & 1) ? (uint8_t)v : (uint8_t)(v >> 8);
	if (m->ptr == 3 && m->rcount == 2)
		m->bus &= (uint16_t)~2u; /* reading power clears CNVR */
	return b;
}

static void t_stop(void *ctx)
{
	struct fake_ina219 *m = ctx;
	m->wcount = m->rcount = 0;
}

struct fake_i2c_target fake_ina219_target(struct fake_ina219 *m)
{
	return (struct fake_i2c_target){.ctx = m, .addr7 = m->addr7, .start = t_start,
					.write = t_write, .read = t_read, .stop = t_stop};
}
