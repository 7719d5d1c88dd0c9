/* Clock generator searches (see hb_pll.h). Frequencies are whole Hz; every comparison of
 * two candidates' errors is done on exact fractions (cross-multiplied), so ties are real
 * ties and the tie-break rules decide, not rounding. */
#include "hb_pll.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define MHZ 1000000ull

/* iCE40 sysCLOCK PLL (Lattice TN1251 "iCE40 sysCLOCK PLL Design and Usage Guide"; the same
 * numbers as icestorm's icepll): reference and PFD 10..133 MHz, VCO 533..1066 MHz, output
 * 16..275 MHz. */
const struct hb_clkgen_limits hb_ice40_pll_limits = {
	.in_min = 10 * MHZ, .in_max = 133 * MHZ, .pfd_min = 10 * MHZ, .pfd_max = 133 * MHZ,
	.vco_min = 533 * MHZ, .vco_max = 1066 * MHZ, .out_min = 16 * MHZ, .out_max = 275 * MHZ,
};
/* ECP5 EHXPLLL (Lattice FPGA-TN-02200 "ECP5 and ECP5-5G sysCLOCK PLL/DLL Design and Usage
 * Guide"; prjtrellis ecppll uses the same): input 8..400 MHz, PFD 3.125..400 MHz, VCO
 * 400..800 MHz, output 10..400 MHz. */
const struct hb_clkgen_limits hb_ecp5_pll_limits = {
	.in_min = 8 * MHZ, .in_max = 400 * MHZ, .pfd_min = 3125000, .pfd_max = 400 * MHZ,
	.vco_min = 400 * MHZ, .vco_max = 800 * MHZ, .out_min = 10 * MHZ, .out_max = 400 * MHZ,
};
/* Artix-7 MMCM, speed grades -1 and -1L (Xilinx DS181 "Artix-7 FPGAs Data Sheet: DC and AC
 * Switching Characteristics", MMCM_FINMIN/MAX, MMCM_FPFDMIN/MAX, MMCM_FVCOMIN/MAX,
 * MMCM_FOUTMIN/MAX): input 10..800 MHz, PFD 10..450 MHz, VCO 600..1200 MHz, output
 * 4.69..800 MHz. */
const struct hb_clkgen_limits hb_xc7_mmcm_limits = {
	.in_min = 10 * MHZ, .in_max = 800 * MHZ, .pfd_min = 10 * MHZ, .pfd_max = 450 * MHZ,
	.vco_min = 600 * MHZ, .vco_max = 1200 * MHZ, .out_min = 4690000, .out_max = 800 * MHZ,
};

/* Divider ranges. */
enum {
	ICE40_DIVR_MAX = 15, ICE40_DIVF_MAX = 127, /* SIMPLE feedback: 7-bit DIVF, all of it */
	ICE40_DIVQ_MIN = 1, ICE40_DIVQ_MAX = 6,
	ECP5_CLKI_MAX = 128, ECP5_CLKFB_MAX = 80, ECP5_CLKOP_MAX = 128,
	XC7_D_MAX = 106, XC7_M_MIN = 2, XC7_M_MAX = 64, XC7_O_MAX = 128,
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static double mhz(uint64_t hz)
{
	return (double)hz / 1e6;
}

typedef enum hb_status (*search_fn)(uint64_t fin, uint64_t fout, struct hb_clkgen *out, char *err,
				    size_t errlen);

/* Check the reference and the request against a part's limits. A request outside the output
 * range names the nearest clock the part makes (the search at the nearer end of the range). */
static enum hb_status check_io(const struct hb_clkgen_limits *l, search_fn search, const char *what,
			       uint64_t fin, uint64_t fout, char *err, size_t errlen)
{
	if (fin < l->in_min || fin > l->in_max) {
		set_err(err, errlen, "%s: the %.6g MHz reference is outside its input range %.6g..%.6g MHz",
			what, mhz(fin), mhz(l->in_min), mhz(l->in_max));
		return HB_ERR_RANGE;
	}
	if (fout < l->out_min || fout > l->out_max) {
		struct hb_clkgen near;
		uint64_t edge = fout < l->out_min ? l->out_min : l->out_max;
		if (err && errlen && search(fin, edge, &near, NULL, 0) == HB_OK)
			set_err(err, errlen, "%s: %.6g MHz is outside its output range %.6g..%.6g MHz; "
				"the nearest it makes from %.6g MHz is %.6f MHz (its setting for %.6g MHz)",
				what, mhz(fout), mhz(l->out_min), mhz(l->out_max), mhz(fin),
				near.fout_hz / 1e6, mhz(edge));
		else
			set_err(err, errlen, "%s: %.6g MHz is outside its output range %.6g..%.6g MHz", what,
				mhz(fout), mhz(l->out_min), mhz(l->out_max));
		return HB_ERR_RANGE;
	}
	return HB_OK;
}

/* An error |num| / den, compared exactly. */
struct frac {
	uint64_t num, den;
};

static struct frac err_of(uint64_t a, uint64_t b, uint64_t den)
{
	return (struct frac){a > b ? a - b : b - a, den};
}

/* -1, 0, 1 as x <, ==, > y */
static int frac_cmp(struct frac x, struct frac y)
{
	unsigned __int128 l = (unsigned __int128)x.num * y.den, r = (unsigned __int128)y.num * x.den;
	return l < r ? -1 : l > r;
}

static void finish(struct hb_clkgen *c)
{
	uint64_t r = (uint64_t)(c->fout_hz + 0.5);
	c->clk_hz = r > UINT32_MAX ? UINT32_MAX : (uint32_t)r;
}

enum hb_status hb_pll_ice40(uint64_t fin, uint64_t fout, struct hb_clkgen *out, char *err,
			    size_t errlen)
{
	const struct hb_clkgen_limits *l = &hb_ice40_pll_limits;
	enum hb_status st = check_io(l, hb_pll_ice40, "iCE40 PLL", fin, fout, err, errlen);
	if (st != HB_OK)
		return st;
	bool found = false;
	struct frac best = {0, 1};
	unsigned br = 0, bf = 0, bq = 0;
	for (unsigned r = 0; r <= ICE40_DIVR_MAX; r++) {
		/* PFD = fin / (r + 1) */
		if (fin < l->pfd_min * (r + 1) || fin > l->pfd_max * (r + 1))
			continue;
		for (unsigned f = 0; f <= ICE40_DIVF_MAX; f++) {
			/* VCO = fin * (f + 1) / (r + 1) (SIMPLE feedback: before the output divider) */
			uint64_t vco_num = fin * (f + 1);
			if (vco_num < l->vco_min * (r + 1) || vco_num > l->vco_max * (r + 1))
				continue;
			for (unsigned q = ICE40_DIVQ_MIN; q <= ICE40_DIVQ_MAX; q++) {
				uint64_t den = (uint64_t)(r + 1) << q;
				struct frac e = err_of(vco_num, fout * den, den);
				if (!found || frac_cmp(e, best) < 0) {
					found = true;
					best = e;
					br = r, bf = f, bq = q;
				}
			}
		}
	}
	if (!found) {
		set_err(err, errlen, "iCE40 PLL: no DIVR/DIVF/DIVQ reaches %.6g MHz from %.6g MHz",
			mhz(fout), mhz(fin));
		return HB_ERR_RANGE;
	}
	memset(out, 0, sizeof *out);
	out->kind = HB_CLKGEN_ICE40_PLL;
	out->fin_hz = fin;
	out->request_hz = fout;
	out->divr = br, out->divf = bf, out->divq = bq;
	out->fpfd_hz = (double)fin / (br + 1);
	out->fvco_hz = out->fpfd_hz * (bf + 1);
	out->fout_hz = out->fvco_hz / (double)(1u << bq);
	/* the loop filter setting follows the PFD frequency (TN1251; as icepll) */
	double pfd_mhz = out->fpfd_hz / 1e6;
	out->filter_range = pfd_mhz < 17 ? 1 : pfd_mhz < 26 ? 2 : pfd_mhz < 44 ? 3
			    : pfd_mhz < 66 ? 4 : pfd_mhz < 101 ? 5 : 6;
	finish(out);
	return HB_OK;
}

enum hb_status hb_pll_ecp5(uint64_t fin, uint64_t fout, struct hb_clkgen *out, char *err,
			   size_t errlen)
{
	const struct hb_clkgen_limits *l = &hb_ecp5_pll_limits;
	enum hb_status st = check_io(l, hb_pll_ecp5, "ECP5 PLL", fin, fout, err, errlen);
	if (st != HB_OK)
		return st;
	bool found = false;
	struct frac best = {0, 1}, best_vd = {0, 1};
	unsigned bi = 0, bfb = 0, bo = 0;
	for (unsigned i = 1; i <= ECP5_CLKI_MAX; i++) {
		if (fin < l->pfd_min * i || fin > l->pfd_max * i)
			continue;
		for (unsigned fb = 1; fb <= ECP5_CLKFB_MAX; fb++) {
			/* fout = fin * fb / i; VCO = fout * o */
			struct frac e = err_of(fin * fb, fout * i, i);
			for (unsigned o = 1; o <= ECP5_CLKOP_MAX; o++) {
				uint64_t vco_num = fin * fb * o; /* VCO = vco_num / i */
				if (vco_num < l->vco_min * i || vco_num > l->vco_max * i)
					continue;
				/* distance of the VCO from 600 MHz, the tie-break */
				struct frac vd = err_of(vco_num, 600 * MHZ * i, i);
				int c = found ? frac_cmp(e, best) : -1;
				if (c < 0 || (c == 0 && frac_cmp(vd, best_vd) < 0)) {
					found = true;
					best = e;
					best_vd = vd;
					bi = i, bfb = fb, bo = o;
				}
			}
		}
	}
	if (!found) {
		set_err(err, errlen, "ECP5 PLL: no CLKI/CLKFB/CLKOP divider reaches %.6g MHz from %.6g MHz",
			mhz(fout), mhz(fin));
		return HB_ERR_RANGE;
	}
	memset(out, 0, sizeof *out);
	out->kind = HB_CLKGEN_ECP5_PLL;
	out->fin_hz = fin;
	out->request_hz = fout;
	out->clki_div = bi, out->clkfb_div = bfb, out->clkop_div = bo;
	out->clkop_cphase = bo / 2; /* CLKOP 180 degrees after the reference, as ecppll sets it */
	out->fpfd_hz = (double)fin / bi;
	out->fout_hz = out->fpfd_hz * bfb;
	out->fvco_hz = out->fout_hz * bo;
	finish(out);
	return HB_OK;
}

enum hb_status hb_mmcm_xc7(uint64_t fin, uint64_t fout, struct hb_clkgen *out, char *err,
			   size_t errlen)
{
	const struct hb_clkgen_limits *l = &hb_xc7_mmcm_limits;
	enum hb_status st = check_io(l, hb_mmcm_xc7, "Artix-7 MMCM", fin, fout, err, errlen);
	if (st != HB_OK)
		return st;
	bool found = false;
	struct frac best = {0, 1};
	unsigned bd = 0, bm = 0, bo = 0;
	uint64_t best_vco_num = 0, best_vco_den = 1;
	for (unsigned d = 1; d <= XC7_D_MAX; d++) {
		if (fin < l->pfd_min * d || fin > l->pfd_max * d)
			continue;
		for (unsigned m = XC7_M_MIN; m <= XC7_M_MAX; m++) {
			uint64_t vco_num = fin * m; /* VCO = fin * m / d */
			if (vco_num < l->vco_min * d || vco_num > l->vco_max * d)
				continue;
			for (unsigned o = 1; o <= XC7_O_MAX; o++) {
				struct frac e = err_of(vco_num, fout * d * o, (uint64_t)d * o);
				int c = found ? frac_cmp(e, best) : -1;
				/* equal error: the smaller D wins by loop order (d ascending), then the
				 * higher VCO */
				if (c == 0 && d == bd) {
					unsigned __int128 a = (unsigned __int128)vco_num * best_vco_den,
							  b = (unsigned __int128)best_vco_num * d;
					if (a > b)
						c = -1;
				}
				if (c < 0) {
					found = true;
					best = e;
					bd = d, bm = m, bo = o;
					best_vco_num = vco_num, best_vco_den = d;
				}
			}
		}
	}
	if (!found) {
		set_err(err, errlen, "Artix-7 MMCM: no D/M/O reaches %.6g MHz from %.6g MHz", mhz(fout),
			mhz(fin));
		return HB_ERR_RANGE;
	}
	memset(out, 0, sizeof *out);
	out->kind = HB_CLKGEN_XC7_MMCM;
	out->fin_hz = fin;
	out->request_hz = fout;
	out->mmcm_d = bd, out->mmcm_m = bm, out->mmcm_o = bo;
	out->fpfd_hz = (double)fin / bd;
	out->fvco_hz = out->fpfd_hz * bm;
	out->fout_hz = out->fvco_hz / bo;
	finish(out);
	return HB_OK;
}

enum hb_status hb_clkgen_for(enum hb_family family, uint64_t osc_hz, uint64_t request_hz,
			     struct hb_clkgen *out, char *err, size_t errlen)
{
	switch (family) {
	case HB_FAMILY_ICE40:
		return hb_pll_ice40(osc_hz, request_hz, out, err, errlen);
	case HB_FAMILY_ECP5:
	case HB_FAMILY_ARTIX7:
		if (request_hz == osc_hz) {
			memset(out, 0, sizeof *out);
			out->kind = HB_CLKGEN_NONE;
			out->fin_hz = out->request_hz = osc_hz;
			out->fout_hz = (double)osc_hz;
			finish(out);
			return HB_OK;
		}
		return family == HB_FAMILY_ECP5 ? hb_pll_ecp5(osc_hz, request_hz, out, err, errlen)
						: hb_mmcm_xc7(osc_hz, request_hz, out, err, errlen);
	default:
		set_err(err, errlen, "family %s has no clock generator to set", hb_family_name(family));
		return HB_ERR_ARG;
	}
}

void hb_clkgen_describe(const struct hb_clkgen *c, char *buf, size_t cap)
{
	switch (c->kind) {
	case HB_CLKGEN_NONE:
		snprintf(buf, cap, "the %.6g MHz oscillator directly (no PLL)", mhz(c->fin_hz));
		break;
	case HB_CLKGEN_ICE40_PLL:
		snprintf(buf, cap,
			 "SB_PLL40 %.6g MHz -> %.6f MHz: DIVR %u, DIVF %u, DIVQ %u, FILTER_RANGE %u "
			 "(PFD %.6g MHz, VCO %.6g MHz)",
			 mhz(c->fin_hz), c->fout_hz / 1e6, c->divr, c->divf, c->divq, c->filter_range,
			 c->fpfd_hz / 1e6, c->fvco_hz / 1e6);
		break;
	case HB_CLKGEN_ECP5_PLL:
		snprintf(buf, cap,
			 "EHXPLLL %.6g MHz -> %.6f MHz: CLKI_DIV %u, CLKFB_DIV %u, CLKOP_DIV %u, "
			 "CLKOP_CPHASE %u (PFD %.6g MHz, VCO %.6g MHz)",
			 mhz(c->fin_hz), c->fout_hz / 1e6, c->clki_div, c->clkfb_div, c->clkop_div,
			 c->clkop_cphase, c->fpfd_hz / 1e6, c->fvco_hz / 1e6);
		break;
	case HB_CLKGEN_XC7_MMCM:
		snprintf(buf, cap,
			 "MMCME2 %.6g MHz -> %.6f MHz: DIVCLK_DIVIDE %u, CLKFBOUT_MULT_F %u, "
			 "CLKOUT0_DIVIDE_F %u (PFD %.6g MHz, VCO %.6g MHz)",
			 mhz(c->fin_hz), c->fout_hz / 1e6, c->mmcm_d, c->mmcm_m, c->mmcm_o,
			 c->fpfd_hz / 1e6, c->fvco_hz / 1e6);
		break;
	}
}
