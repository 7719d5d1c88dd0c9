/* hilbench — FTDI chips by VID:PID (see hb_ftdi_chips.h). */
#include "hb_ftdi_chips.h"

#include <stdio.h>

#define FTDI 0x0403
#define HS 1, 125000u, 512u   /* high speed: microframes, 512-byte packets */
#define FS 0, 1000000u, 64u   /* full speed: frames, 64-byte packets */

const struct hb_ftdi_chip hb_ftdi_chips[] = {
	{FTDI, 0x6001, "FT232R", 1, 0x0, FS, 3000000u, 3000000u},
	{FTDI, 0x6010, "FT2232H", 2, 0x3, HS, 12000000u, 12000000u},
	{FTDI, 0x6011, "FT4232H", 4, 0x3, HS, 12000000u, 12000000u},
	{FTDI, 0x6014, "FT232H", 1, 0x1, HS, 12000000u, 12000000u},
	{FTDI, 0x6015, "FT231X", 1, 0x0, FS, 3000000u, 3000000u}, /* the FT-X series: FT230X, FT231X, FT234XD */
};
const size_t hb_n_ftdi_chips = sizeof hb_ftdi_chips / sizeof hb_ftdi_chips[0];

const struct hb_ftdi_chip *hb_ftdi_chip_find(uint16_t vid, uint16_t pid)
{
	for (size_t i = 0; i < hb_n_ftdi_chips; i++)
		if (hb_ftdi_chips[i].vid == vid && hb_ftdi_chips[i].pid == pid)
			return &hb_ftdi_chips[i];
	return NULL;
}

/* Divisors in eighths: 8 (/1) and 12 (/1.5) are the two special ones, then 16..131071
 * (n = 2..16383, k = 0..7). */
static int valid_d8(uint64_t d8)
{
	return d8 == 8 || d8 == 12 || (d8 >= 16 && d8 <= 131071);
}

/* Nearest rate from one base clock; *err_ppm its relative error. */
static double nearest_from(uint32_t base, uint32_t baud, double *err)
{
	uint64_t ideal = (uint64_t)base * 8 / baud;
	uint64_t cand[] = {8, 12, 16, 131071, ideal, ideal + 1};
	double best = 0, best_err = 1e300;
	for (size_t i = 0; i < sizeof cand / sizeof cand[0]; i++) {
		if (!valid_d8(cand[i]))
			continue;
		double rate = (double)base * 8.0 / (double)cand[i];
		double e = rate > baud ? rate - baud : baud - rate;
		if (e < best_err) {
			best_err = e;
			best = rate;
		}
	}
	*err = best_err / baud;
	return best;
}

static double nearest(const struct hb_ftdi_chip *c, uint32_t baud, double *err)
{
	double r = nearest_from(c->baud_base_hz, baud, err);
	if (c->baud_base_hz != 3000000u) {
		/* The H series also has the legacy 3 MHz base for slow rates. */
		double e3, r3 = nearest_from(3000000u, baud, &e3);
		if (e3 < *err) {
			*err = e3;
			r = r3;
		}
	}
	return r;
}

uint32_t hb_ftdi_chip_baud_actual(const struct hb_ftdi_chip *c, uint32_t baud)
{
	double err;
	if (!c || baud == 0)
		return 0;
	return (uint32_t)(nearest(c, baud, &err) + 0.5);
}

enum hb_status hb_ftdi_chip_check_baud(const struct hb_ftdi_chip *c, uint32_t baud, char *why,
				       size_t cap)
{
	double err;
	if (!c)
		return HB_ERR_ARG;
	if (baud == 0) {
		if (why && cap)
			snprintf(why, cap, "baud rate 0");
		return HB_ERR_ARG;
	}
	double r = nearest(c, baud, &err);
	if (err * 100.0 <= HB_FTDI_BAUD_TOLERANCE_PCT)
		return HB_OK;
	if (why && cap) {
		if (baud > c->max_baud)
			snprintf(why, cap, "%u baud: the %s (%04x:%04x) makes at most %u baud "
				 "(%u Hz / (n + k/8))", baud, c->name, c->vid, c->pid, c->max_baud,
				 c->baud_base_hz);
		else
			snprintf(why, cap, "%u baud: the %s (%04x:%04x) cannot make it; the nearest "
				 "rate it makes is %.0f baud (%.1f %% off; %u Hz / (n + k/8), n >= 2, "
				 "or / 1, / 1.5)", baud, c->name, c->vid, c->pid, r, err * 100.0,
				 c->baud_base_hz);
	}
	return HB_ERR_ARG;
}
