/* hilbench virtual board — INA219 register model (see ina219_model.h). */
#include "ina219_model.h"

#include <math.h>
#include <string.h>

#define SHUNT_LSB_V 10e-6
#define BUS_LSB_V 4e-3
#define NEVER 1e300

double hb_ina219m_conv_time_s(unsigned adc4)
{
	/* Datasheet table "ADC Settings": 0X00 9-bit .. 0X11 12-bit, 1000 12-bit,
	 * 1001..1111 averaging 2..128 samples. */
	static const double res_us[4] = {84, 148, 276, 532};
	static const double avg_us[8] = {532, 1060, 2130, 4260, 8510, 17020, 34050, 68100};
	adc4 &= 0xF;
	if (!(adc4 & 8))
		return res_us[adc4 & 3] * 1e-6;
	return avg_us[adc4 & 7] * 1e-6;
}

int hb_ina219m_shunt_fullscale(uint16_t config)
{
	return 4000 << ((config >> 11) & 3);
}

int16_t hb_ina219m_calc_current(int16_t shunt, uint16_t cal, int *ovf)
{
	int64_t v = (int64_t)shunt * (int64_t)cal / 4096; /* C division truncates toward zero */
	if (v > INT16_MAX || v < INT16_MIN) {
		*ovf = 1;
		return v > 0 ? INT16_MAX : INT16_MIN;
	}
	return (int16_t)v;
}

uint16_t hb_ina219m_calc_power(int16_t current, uint16_t bus_counts, int *ovf)
{
	int64_t c = current < 0 ? -(int64_t)current : current;
	int64_t v = c * (int64_t)bus_counts / 5000;
	if (v > UINT16_MAX) {
		*ovf = 1;
		return UINT16_MAX;
	}
	return (uint16_t)v;
}

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static double gauss(uint64_t *s)
{
	double u1 = ((splitmix64(s) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
	double u2 = ((splitmix64(s) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
	return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static unsigned mode_of(const struct hb_ina219m *m) { return m->config & 7u; }

static double interp_q(const struct hb_ina219m *m, double t_prev, double q_prev, double t,
		       double q, double te)
{
	if (t <= t_prev)
		return q;
	if (te <= t_prev)
		return q_prev;
	if (te >= t)
		return q;
	return q_prev + (q - q_prev) * ((te - t_prev) / (t - t_prev));
	(void)m;
}

/* Start a conversion at time t with charge q (mode must be 1..3 or 5..7). */
static void start_conv(struct hb_ina219m *m, double t, double q)
{
	unsigned mode = mode_of(m);
	double ts = hb_ina219m_conv_time_s((m->config >> 3) & 0xF);
	double tb = hb_ina219m_conv_time_s((m->config >> 7) & 0xF);
	int do_shunt = mode & 1, do_bus = (mode & 2) != 0;

	m->converting = 1;
	m->continuous = (mode & 4) != 0;
	m->conv_start_s = t;
	m->q_start = q;
	m->shunt_end_s = do_shunt ? t + ts : t;
	m->conv_end_s = m->shunt_end_s + (do_bus ? tb : 0.0);
	m->have_q_shunt_end = 0;
}

static void complete_conv(struct hb_ina219m *m)
{
	unsigned mode = mode_of(m);
	int ovf = 0;

	if (mode & 1) {
		double win = m->shunt_end_s - m->conv_start_s;
		double i_avg = win > 0 ? (m->q_shunt_end - m->q_start) / win : 0.0;
		if (m->p.noise_a > 0)
			i_avg += m->p.noise_a * gauss(&m->rng);
		double counts = nearbyint(i_avg * m->p.r_shunt_ohm / SHUNT_LSB_V);
		int fs = hb_ina219m_shunt_fullscale(m->config);
		if (counts > fs)
			counts = fs;
		if (counts < -fs)
			counts = -fs;
		if (m->saturated)
			counts = fs;
		m->shunt = (int16_t)counts;
	}
	if (mode & 2) {
		double counts = nearbyint(m->p.bus_v / BUS_LSB_V);
		double fs = (m->config & HB_INA219M_CFG_BRNG) ? 8000 : 4000;
		if (counts > fs)
			counts = fs;
		if (counts < 0)
			counts = 0;
		m->bus_counts = (uint16_t)counts;
	}
	m->current = hb_ina219m_calc_current(m->shunt, m->cal, &ovf);
	m->power = hb_ina219m_calc_power(m->current, m->bus_counts, &ovf);
	m->ovf = ovf;
	m->cnvr = 1;
	m->conversions++;
}

void hb_ina219m_advance(struct hb_ina219m *m, double t, double q)
{
	double t_prev = m->t_s, q_prev = m->q_c;

	if (t < t_prev)
		t = t_prev;
	while (m->converting && !m->stopped) {
		if (!m->have_q_shunt_end && m->shunt_end_s <= t) {
			m->q_shunt_end = interp_q(m, t_prev, q_prev, t, q, m->shunt_end_s);
			m->have_q_shunt_end = 1;
		}
		if (m->conv_end_s > t)
			break;
		complete_conv(m);
		if (m->continuous) {
			double te = m->conv_end_s;
			start_conv(m, te, interp_q(m, t_prev, q_prev, t, q, te));
		} else {
			m->converting = 0;
		}
	}
	m->t_s = t;
	m->q_c = q;
}

double hb_ina219m_next_event(const struct hb_ina219m *m)
{
	if (!m->converting || m->stopped)
		return NEVER;
	if (!m->have_q_shunt_end && m->shunt_end_s > m->conv_start_s)
		return m->shunt_end_s;
	return m->conv_end_s;
}

static void por(struct hb_ina219m *m)
{
	m->config = HB_INA219M_CONFIG_POR;
	m->cal = 0;
	m->shunt = 0;
	m->current = 0;
	m->bus_counts = 0;
	m->cnvr = 0;
	m->ovf = 0;
	m->power = 0;
	m->pointer = 0;
	start_conv(m, m->t_s, m->q_c);
}

void hb_ina219m_init(struct hb_ina219m *m, const struct hb_ina219m_params *p, double t0,
		     double q0)
{
	memset(m, 0, sizeof *m);
	m->p = *p;
	m->rng = p->seed ^ 0x1A219u;
	m->t_s = t0;
	m->q_c = q0;
	por(m);
}

void hb_ina219m_reset(struct hb_ina219m *m)
{
	por(m);
}

void hb_ina219m_set_stopped(struct hb_ina219m *m, int on)
{
	if (m->stopped && !on) {
		unsigned mode = mode_of(m);
		m->stopped = 0;
		/* The frozen conversion is abandoned; continuous modes start over now. */
		if (mode >= 5)
			start_conv(m, m->t_s, m->q_c);
		else
			m->converting = 0;
		return;
	}
	m->stopped = on != 0;
}

void hb_ina219m_set_saturated(struct hb_ina219m *m, int on)
{
	m->saturated = on != 0;
}

uint16_t hb_ina219m_read_reg(struct hb_ina219m *m, uint8_t reg)
{
	switch (reg) {
	case HB_INA219M_REG_CONFIG: return m->config;
	case HB_INA219M_REG_SHUNT: return (uint16_t)m->shunt;
	case HB_INA219M_REG_BUS:
		return (uint16_t)(m->bus_counts << 3 | (m->cnvr ? HB_INA219M_BUS_CNVR : 0) |
				  (m->ovf ? HB_INA219M_BUS_OVF : 0));
	case HB_INA219M_REG_POWER:
		m->cnvr = 0; /* datasheet: reading the power register clears CNVR */
		return m->power;
	case HB_INA219M_REG_CURRENT: return (uint16_t)m->current;
	case HB_INA219M_REG_CAL: return m->cal;
	default: return 0;
	}
}

void hb_ina219m_write_reg(struct hb_ina219m *m, uint8_t reg, uint16_t v)
{
	if (reg == HB_INA219M_REG_CAL) {
		m->cal = v & 0xFFFEu; /* bit 0 is read-only 0 */
		return;
	}
	if (reg != HB_INA219M_REG_CONFIG)
		return; /* data registers are read-only: the write is acknowledged and ignored */
	if (v & HB_INA219M_CFG_RST) {
		por(m);
		return;
	}
	m->config = v;
	unsigned mode = mode_of(m);
	if (mode == 0 || mode == 4) {
		m->converting = 0; /* power-down / ADC off: CNVR keeps its state */
		return;
	}
	m->cnvr = 0;
	/* Triggered modes start one conversion; continuous modes restart the cycle. */
	start_conv(m, m->t_s, m->q_c);
}

enum hb_ina219m_xfer_status hb_ina219m_xfer(struct hb_ina219m *m, const uint8_t *w, size_t wn,
					    uint8_t *r, size_t rn)
{
	if (wn >= 1) {
		if (w[0] > HB_INA219M_REG_CAL)
			return HB_INA219M_DATA_NACK;
		m->pointer = w[0];
		if (wn >= 3)
			hb_ina219m_write_reg(m, m->pointer, (uint16_t)(w[1] << 8 | w[2]));
		/* wn == 2: an incomplete register write; the chip drops the lone byte. */
	}
	if (rn) {
		uint16_t v = hb_ina219m_read_reg(m, m->pointer);
		for (size_t i = 0; i < rn; i++)
			r[i] = (i & 1) ? (uint8_t)(v & 0xFF) : (uint8_t)(v >> 8);
	}
	return HB_INA219M_ACK;
}
