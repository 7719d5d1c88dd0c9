// hilbench virtual board — the cycle loop, templated on the Verilated top (Vhb_top).
// Everything else is C (vb_board.h). Per cycle: drive uart_rx when its next edge is due,
// clock edge, sample the outputs, sum the activity (integers), deserialise uart_tx.
#ifndef HB_VBOARD_LOOP_HPP
#define HB_VBOARD_LOOP_HPP

#include <cstdint>

#include "vb_board.h"
#ifdef HB_VBOARD_SKIP_IDLE
#include "Vhb_top___024root.h"
#endif

// Reset: the interval before the first edge plus `cycles` rising edges with rst high.
// uart_div: cycles per UART bit (the simulation build's RTL takes it as an input).
// Returns the number of cycles done, which is hb_top's counter value in the first cycle
// after reset (the counter runs from power-up): the vboard's cycle numbers are the device's.
template <class Top> static uint64_t hb_vb_reset(Top *top, int cycles, unsigned uart_div)
{
	top->uart_rx = 1;
	top->uart_div = uart_div; // the build's UART takes its cycles per bit from this input
	top->rst = 1;
	for (int i = 0; i < cycles; i++) {
		top->clk = 0;
		top->eval();
		top->clk = 1;
		top->eval();
	}
	top->clk = 0;
	top->rst = 0;
	top->eval();
	return (uint64_t)cycles + 1;
}

// Run until the board says quit. Cycle k (boundary index h->cyc == k) is: set inputs,
// rising edge, outputs of cycle k sampled, falling edge.
template <class Top> static void hb_vb_run(Top *top, struct hb_vb_board *b)
{
	struct hb_vb_hot *h = hb_vb_board_hot(b);
	for (;;) {
		uint64_t n = hb_vb_service(b);
		if (n == 0 || hb_vb_board_quitting(b))
			return;
#ifdef HB_VBOARD_SKIP_IDLE
		if (h->skip_ok) {
			// Provably idle: only the free-running counter would change.
			top->rootp->hb_top__DOT__cycle += n;
			hb_vb_skipped(b, n);
			continue;
		}
#endif
		uint64_t end = h->cyc + n;
		while (h->cyc < end && !h->brk) {
			if (h->cyc >= h->rx_next_edge)
				top->uart_rx = hb_vb_rx_edge(b);
			top->clk = 1;
			top->eval();
			const unsigned busy = top->busy, done = top->done;
			const uint64_t word = hb_vb_word(top->act_syn, top->act_ops, top->act_wmem,
							 top->act_imem, top->act_lif, top->act_uart,
							 busy, done);
			const uint32_t ctl = busy | done << 1;
			if (ctl != h->prev_ctl)
				hb_vb_ctl_edge(b, ctl); // checkpoint at this boundary, before cycle k
			if (word != h->prev_word && h->cyc != h->seg_start)
				h->changed = 1;
			h->prev_word = word;
			if (word | (top->led & 4u) | !top->uart_tx | !top->uart_rx)
				h->quiet_since = h->cyc + 1;
			h->hist[h->cyc & h->hist_mask] = word;
			h->sums.syn += top->act_syn;
			h->sums.ops += top->act_ops;
			h->sums.wmem += top->act_wmem;
			h->sums.imem += top->act_imem;
			h->sums.lif += top->act_lif;
			h->sums.uart += top->act_uart;
			h->sums.busy += busy;
			h->sums.done += done;
			if (h->tx_armed) {
				if (!top->uart_tx)
					hb_vb_tx_start(b);
			} else if (h->cyc >= h->tx_next_sample) {
				hb_vb_tx_sample(b, top->uart_tx);
			}
			top->clk = 0;
			top->eval();
			h->cyc++;
			h->sums.cycles = h->cyc;
		}
	}
}

#endif
