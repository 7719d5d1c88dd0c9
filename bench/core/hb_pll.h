/* hilbench — clock generator settings for a requested core clock (`hilbench build --clock-mhz`).
 *
 * One search per FPGA family, each over the divider ranges and frequency limits of the part's
 * datasheet, in exact integer arithmetic (Hz), so the answer never depends on rounding:
 *
 *   iCE40  SB_PLL40 in SIMPLE feedback, as icestorm's `icepll` searches: DIVR, DIVF, DIVQ and
 *          FILTER_RANGE (from the PFD frequency); the first setting with the smallest error.
 *   ECP5   EHXPLLL with CLKOP as feedback, as prjtrellis' `ecppll` searches: CLKI_DIV,
 *          CLKFB_DIV, CLKOP_DIV; smallest error, then the VCO nearest 600 MHz; CLKOP_CPHASE
 *          shifts CLKOP by 180 degrees (CLKOP_DIV / 2) as ecppll does.
 *   Artix-7 MMCME2 (speed grade -1/-1L limits): D (DIVCLK_DIVIDE), M (CLKFBOUT_MULT_F) and
 *          O (CLKOUT0_DIVIDE_F), integers only (the same values work in Vivado and in
 *          nextpnr-xilinx); smallest error, then the smallest D, then the highest VCO.
 *
 * The limits and the reasoning are in docs/gateware.md ("Clocks"). */
#ifndef HB_PLL_H
#define HB_PLL_H

#include <stddef.h>
#include <stdint.h>

#include "hb_board.h"
#include "hb_status.h"

enum hb_clkgen_kind {
	HB_CLKGEN_NONE = 0,  /* the core runs on the oscillator */
	HB_CLKGEN_ICE40_PLL, /* SB_PLL40_PAD / SB_PLL40_CORE, SIMPLE feedback */
	HB_CLKGEN_ECP5_PLL,  /* EHXPLLL, FEEDBK_PATH "CLKOP" */
	HB_CLKGEN_XC7_MMCM,  /* MMCME2_ADV, CLKOUT0 */
};

struct hb_clkgen {
	enum hb_clkgen_kind kind;
	uint64_t fin_hz;      /* reference: the board oscillator */
	uint64_t request_hz;  /* the clock asked for */
	double fout_hz;       /* the clock achieved */
	double fpfd_hz;       /* phase detector frequency (0 for NONE) */
	double fvco_hz;       /* VCO frequency (0 for NONE) */
	uint32_t clk_hz;      /* fout rounded to whole Hz: the gateware's CLK_HZ */
	/* iCE40: fout = fin * (DIVF + 1) / ((DIVR + 1) * 2^DIVQ) */
	unsigned divr, divf, divq, filter_range;
	/* ECP5: fout = fin * CLKFB_DIV / CLKI_DIV, VCO = fout * CLKOP_DIV */
	unsigned clki_div, clkfb_div, clkop_div, clkop_cphase;
	/* Artix-7: VCO = fin * M / D, fout = VCO / O */
	unsigned mmcm_d, mmcm_m, mmcm_o;
};

/* Limits of one search, in Hz (the datasheet values; see hb_pll.c). */
struct hb_clkgen_limits {
	uint64_t in_min, in_max, pfd_min, pfd_max, vco_min, vco_max, out_min, out_max;
};
extern const struct hb_clkgen_limits hb_ice40_pll_limits, hb_ecp5_pll_limits, hb_xc7_mmcm_limits;

/* The searches. HB_ERR_RANGE (with a message naming the limit) when the input or the
 * requested output is outside the part's range or no setting exists. */
enum hb_status hb_pll_ice40(uint64_t fin_hz, uint64_t fout_hz, struct hb_clkgen *out, char *err,
			    size_t errlen);
enum hb_status hb_pll_ecp5(uint64_t fin_hz, uint64_t fout_hz, struct hb_clkgen *out, char *err,
			   size_t errlen);
enum hb_status hb_mmcm_xc7(uint64_t fin_hz, uint64_t fout_hz, struct hb_clkgen *out, char *err,
			   size_t errlen);

/* What a board build uses for a core clock: iCE40 always its PLL (the board top has one);
 * ECP5 and Artix-7 run on the oscillator when the request equals it, else the PLL/MMCM. */
enum hb_status hb_clkgen_for(enum hb_family family, uint64_t osc_hz, uint64_t request_hz,
			     struct hb_clkgen *out, char *err, size_t errlen);

/* One line for people: "SB_PLL40 12 MHz -> 24 MHz: DIVR 0, DIVF 63, DIVQ 5, FILTER_RANGE 1
 * (PFD 12 MHz, VCO 768 MHz)". */
void hb_clkgen_describe(const struct hb_clkgen *c, char *buf, size_t cap);

#endif
