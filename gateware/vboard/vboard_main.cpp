// hilbench-vboard — the virtual board's main: hb_top (or a stand-in, see CMakeLists.txt)
// simulated by Verilator behind a pty, an I2C socket with an INA219 model, and a control
// socket with the ground truth. Contract: docs/vboard.md.
#include <cstdio>
#include <memory>

#include "Vhb_top.h"
#include "verilated.h"
#include "vboard_loop.hpp"
#ifdef HB_VBOARD_IDENT_CLOCK
#include "Vhb_top___024root.h"
#endif

#ifndef HB_VBOARD_CLK_HZ
#define HB_VBOARD_CLK_HZ 24000000
#endif
#ifndef HB_VBOARD_BAUD
#define HB_VBOARD_BAUD 3000000
#endif
#ifndef HB_VBOARD_FAMILY
#define HB_VBOARD_FAMILY "ice40"
#endif
#ifndef HB_VBOARD_TOP_NAME
#define HB_VBOARD_TOP_NAME "hb_top"
#endif

int main(int argc, char **argv)
{
	const struct hb_vb_build bld = {HB_VBOARD_CLK_HZ, HB_VBOARD_BAUD, HB_VBOARD_FAMILY,
					HB_VBOARD_TOP_NAME};
	struct hb_vb_opts o;
	int rc = hb_vb_parse_args(argc, argv, &bld, &o);
	if (rc == 3)
		return 0;
	if (rc)
		return rc;

	auto ctx = std::make_unique<VerilatedContext>();
	ctx->commandArgs(1, argv);
	auto top = std::make_unique<Vhb_top>(ctx.get());

	struct hb_vb_board *b = nullptr;
	enum hb_status st = hb_vb_board_open(&b, &o, &bld);
	if (st != HB_OK) {
		std::fprintf(stderr, "hilbench-vboard: cannot start: %s\n", hb_strerror(st));
		hb_vb_board_close(b);
		return 1;
	}
	hb_vb_board_begin(b, hb_vb_reset(top.get(), 8, (unsigned)hb_vb_board_cycles_per_bit(b)));
#ifdef HB_VBOARD_IDENT_CLOCK
	// IDENTIFY reports the simulated clock, not the build's CLK_HZ (and a twin its board's
	// family, not the build's): the identity is the
	// command dispatcher's value RAM at 128..163, clock_hz little-endian at offset 8.
	{
		uint32_t hz = (uint32_t)(hb_vb_board_clock_hz(b) + 0.5);
		for (int i = 0; i < 4; i++)
			top->rootp->hb_top__DOT__u_cmd__DOT__vm[128 + 8 + i] = (uint8_t)(hz >> (8 * i));
		// a twin reports its board's family (offset 1)
		if (hb_vb_board_family(b) >= 0)
			top->rootp->hb_top__DOT__u_cmd__DOT__vm[128 + 1] = (uint8_t)hb_vb_board_family(b);
	}
#endif
#ifdef HB_VBOARD_SKIP_IDLE
	hb_vb_board_set_can_skip(b, 1);
#endif
	hb_vb_board_announce(b, stdout);
	hb_vb_run(top.get(), b);
	top->final();
	return hb_vb_board_close(b);
}
