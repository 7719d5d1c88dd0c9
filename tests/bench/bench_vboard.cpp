// bench_vboard — simulated cycles per second of the virtual board (hilbench-vboard, the full
// harness: pin UART, activity sums, truth, INA219, sockets, pty) against the bare Verilator
// model of the same hb_top stepped in a plain loop, on the same workload in the same run:
// the digits network and the 784-128-10 network, BATCH of n inferences.
//
// Rates are cycles per CPU-second of the process doing the simulation (the machine is
// shared; wall-clock rates are printed too). Goal: ratio >= 0.7.
//
// Usage: bench_vboard [--quick]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <vector>

#include <unistd.h>

#include "Vhb_top.h"
#include "verilated.h"
extern "C" {
#include "hb_link_client.h"
#include "hb_link_codec.h"
#include "hb_model.h"
#include "hb_vboard_proc.h"
#include "vb_test_util.h"
}

static double cpu_self()
{
	timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double wall()
{
	timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// ---- the bare model: a plain clk loop with just enough pin UART to talk to it ----------
struct Bare {
	VerilatedContext ctx;
	Vhb_top top{&ctx};
	unsigned cpb = HB_VBOARD_CLK_HZ / HB_VBOARD_BAUD; // the build's UART divider
	uint64_t cyc = 0;
	std::vector<uint8_t> rx; // bytes to send
	size_t rx_pos = 0;
	int rx_bit = -1;
	uint64_t rx_next = 0;
	std::vector<uint8_t> tx; // bytes received
	int tx_bit = -2;
	uint64_t tx_next = 0;
	uint8_t tx_sh = 0;

	Bare()
	{
		top.uart_rx = 1;
		top.uart_div = cpb; // the simulation build's UART divider is an input
		top.rst = 1;
		for (int i = 0; i < 8; i++)
			tick();
		top.rst = 0;
	}
	inline void tick()
	{
		top.clk = 1;
		top.eval();
		top.clk = 0;
		top.eval();
		cyc++;
	}
	// One cycle with the UART pins served.
	inline void step()
	{
		if (cyc >= rx_next && rx_pos < rx.size()) {
			uint8_t b = rx[rx_pos];
			int lvl = rx_bit < 0 ? 0 : rx_bit < 8 ? (b >> rx_bit) & 1 : 1;
			top.uart_rx = lvl;
			rx_next = cyc + cpb;
			if (++rx_bit == 9) {
				rx_bit = -1;
				rx_pos++;
			}
		}
		tick();
		if (tx_bit == -2) {
			if (!top.uart_tx) {
				tx_bit = -1;
				tx_next = cyc + cpb / 2;
			}
		} else if (cyc >= tx_next) {
			if (tx_bit >= 0 && tx_bit < 8)
				tx_sh |= (uint8_t)(top.uart_tx << tx_bit);
			if (tx_bit == 8) {
				tx.push_back(tx_sh);
				tx_sh = 0;
				tx_bit = -2;
			} else {
				tx_bit++;
				tx_next = cyc + cpb;
			}
		}
	}
	// Send a request and run until its whole response frame is back.
	std::vector<uint8_t> transact(uint8_t type, uint8_t seq, const std::vector<uint8_t> &pl)
	{
		std::vector<uint8_t> fr(6 + pl.size() + 2);
		size_t n;
		if (hb_link_frame_encode(type, seq, pl.data(), pl.size(), fr.data(), fr.size(), &n)) {
			std::fprintf(stderr, "encode failed\n");
			std::exit(1);
		}
		rx.assign(fr.begin(), fr.begin() + n);
		rx_pos = 0;
		tx.clear();
		for (;;) {
			step();
			if (tx.size() >= 6 && tx.size() >= 8 + (size_t)(tx[3] | tx[4] << 8))
				break;
		}
		if (tx[1] != (type | 0x80)) {
			std::fprintf(stderr, "bare: type 0x%02x answered 0x%02x reason %u\n", type, tx[1],
				     tx.size() > 6 ? tx[6] : 0);
			std::exit(1);
		}
		return tx;
	}
};

static void put32(std::vector<uint8_t> &v, uint32_t x)
{
	for (int i = 0; i < 4; i++)
		v.push_back((uint8_t)(x >> (8 * i)));
}

struct Workload {
	const char *name;
	struct hb_net net;
	struct hb_link_netcfg cfg;
	std::vector<uint8_t> cfg_img, w_img, in_img;
	uint32_t batch;
};

static void prepare(Workload &w, const char *path)
{
	char err[256];
	if (hb_net_load(path, &w.net, err, sizeof err)) {
		std::fprintf(stderr, "%s\n", err);
		std::exit(1);
	}
	vbt_netcfg_from(&w.net, &w.cfg);
	w.cfg_img.resize(160);
	size_t n;
	hb_link_netcfg_pack(&w.cfg, w.cfg_img.data(), 160, &n);
	w.w_img.resize(hb_link_netcfg_weight_bytes(&w.cfg));
	const uint8_t *wl[HB_LINK_MAX_LAYERS] = {};
	for (unsigned k = 0; k < w.net.n_layers; k++)
		wl[k] = w.net.layers[k].weights;
	hb_link_weights_pack(&w.cfg, wl, w.w_img.data(), w.w_img.size(), &n);
	std::vector<uint16_t> vals(w.net.layers[0].n_in);
	uint32_t s = 777;
	for (auto &v : vals)
		v = (uint16_t)((s = s * 1664525u + 1013904223u) >> 16);
	w.in_img.resize(hb_model_input_bytes(&w.net));
	hb_model_encode(&w.net, vals.data(), w.in_img.data());
}

struct Rate {
	uint64_t cycles;
	double cpu, wall;
};

static Rate run_bare(Workload &w)
{
	Bare b;
	uint8_t seq = 1;
	std::vector<uint8_t> pl = {0};
	put32(pl, 0);
	pl.insert(pl.end(), w.cfg_img.begin(), w.cfg_img.end());
	b.transact(0x02, seq++, pl);
	for (size_t off = 0; off < w.w_img.size(); off += 1000) {
		size_t cnt = std::min<size_t>(1000, w.w_img.size() - off);
		pl = {1};
		put32(pl, (uint32_t)off);
		pl.insert(pl.end(), w.w_img.begin() + off, w.w_img.begin() + off + cnt);
		b.transact(0x02, seq++, pl);
	}
	for (size_t off = 0; off < w.in_img.size(); off += 1000) {
		size_t cnt = std::min<size_t>(1000, w.in_img.size() - off);
		pl.clear();
		put32(pl, (uint32_t)off);
		pl.insert(pl.end(), w.in_img.begin() + off, w.in_img.begin() + off + cnt);
		b.transact(0x04, seq++, pl);
	}
	pl.clear();
	put32(pl, w.batch);
	uint64_t c0 = b.cyc;
	double t0 = cpu_self(), w0 = wall();
	b.transact(0x06, seq++, pl);
	return Rate{b.cyc - c0, cpu_self() - t0, wall() - w0};
}

static Rate run_vboard(Workload &w)
{
	static const char *const args[] = {"--pace", "fast", "-q", nullptr};
	struct hb_vboard_proc *vb;
	if (hb_vboard_start(nullptr, args, 20000, &vb) != HB_OK) {
		std::fprintf(stderr, "cannot start hilbench-vboard (set HB_VBOARD)\n");
		std::exit(1);
	}
	int fd = vbt_pty_open(hb_vboard_info(vb)->uart);
	struct vbt_pty_transport pp;
	struct hb_transport tr;
	vbt_pty_transport_init(&pp, &tr, fd);
	struct hb_link_opts o;
	hb_link_opts_default(&o);
	o.verify = false;
	o.base_timeout_ms = 30000; // the simulation is slower than real time
	o.compute_margin_pct = 100000;
	struct hb_link *l;
	hb_link_open(&tr, &o, &l);
	uint64_t stamp;
	struct hb_link_batch_result br;
	if (hb_link_load_config(l, &w.cfg) ||
	    hb_link_load_weights(l, w.w_img.data(), w.w_img.size(), nullptr) ||
	    hb_link_stream_inputs(l, w.in_img.data(), w.in_img.size(), &stamp)) {
		std::fprintf(stderr, "vboard load failed: %s\n", hb_link_last_error(l));
		std::exit(1);
	}
	uint64_t c0, c1;
	hb_vboard_now(vb, &c0, nullptr);
	double t0 = vbt_cpu_seconds(hb_vboard_pid(vb)), w0 = wall();
	if (hb_link_batch(l, w.batch, 0, &br)) {
		std::fprintf(stderr, "BATCH failed: %s\n", hb_link_last_error(l));
		std::exit(1);
	}
	hb_vboard_now(vb, &c1, nullptr);
	double t1 = vbt_cpu_seconds(hb_vboard_pid(vb)), w1 = wall();
	hb_link_close(l);
	close(fd);
	hb_vboard_stop(vb, 3000, nullptr);
	return Rate{c1 - c0, t1 - t0, w1 - w0};
}

int main(int argc, char **argv)
{
	bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
	const char *src = HB_BENCH_SOURCE_DIR;
	char p1[1024], p2[1024];
	std::snprintf(p1, sizeof p1, "%s/gateware/model/nets/digits.json", src);
	std::snprintf(p2, sizeof p2, "%s/gateware/model/nets/mnist-shape.json", src);
	Workload ws[2] = {};
	ws[0].name = "digits 64-32-10";
	ws[0].batch = quick ? 50 : 400;
	ws[1].name = "784-128-10";
	ws[1].batch = quick ? 2 : 8;
	prepare(ws[0], p1);
	prepare(ws[1], p2);
	std::printf("bench_vboard: hb_top built for %.0f Hz / %.0f baud, BATCH on each network\n",
		    (double)HB_VBOARD_CLK_HZ, (double)HB_VBOARD_BAUD);
	std::printf("%-16s %6s %12s %14s %14s %12s %7s\n", "network", "batch", "cycles",
		    "bare Mcyc/cpu-s", "vboard Mcyc/cpu-s", "(wall M/s)", "ratio");
	bool ok = true;
	for (auto &w : ws) {
		Rate b = run_bare(w), v = run_vboard(w);
		double rb = b.cycles / b.cpu / 1e6, rv = v.cycles / v.cpu / 1e6;
		double ratio = rv / rb;
		std::printf("%-16s %6u %12llu %14.2f %14.2f %5.2f/%5.2f %7.2f\n", w.name, w.batch,
			    (unsigned long long)b.cycles, rb, rv, b.cycles / b.wall / 1e6,
			    v.cycles / v.wall / 1e6, ratio);
		ok &= ratio >= 0.7;
		hb_net_free(&w.net);
	}
	std::printf("goal: vboard/bare >= 0.70: %s\n", ok ? "met" : "NOT met");
	return 0;
}
