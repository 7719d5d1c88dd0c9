// Gateware end-to-end test: hb_top under Verilator, driven only through its UART pins.
// Host bytes are serialised into RX bits at the baud rate in simulated time; the TX pin is
// deserialised by a mid-bit sampler. Every wait has a cycle budget (no hangs).
#include <criterion/criterion.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "Vhb_top.h"
#include "verilated.h"
#include "hb_model.h"

double sc_time_stamp() { return 0; }

namespace {

constexpr int DIV = (HB_TB_CLK_HZ + HB_TB_BAUD / 2) / HB_TB_BAUD;
constexpr uint64_t TIMEOUT_CYC = HB_TB_CLK_HZ / 100;

enum { T_IDENTIFY = 1, T_LOAD, T_READ, T_STREAM, T_INFER, T_BATCH, T_COUNTERS, T_RESET, T_CHECK };
enum { E_BAD_HCRC = 1, E_BAD_CRC, E_OVERSIZE, E_TIMEOUT, E_UNKNOWN, E_BAD_LEN, E_BAD_ARG,
       E_NOT_CFG, E_BUSY };

uint8_t crc8(const uint8_t *p, size_t n, uint8_t c = 0)
{
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (uint8_t)((c & 0x80) ? (c << 1) ^ 0x07 : c << 1);
	}
	return c;
}
uint16_t crc16(const uint8_t *p, size_t n, uint16_t c = 0xFFFF)
{
	for (size_t i = 0; i < n; i++) {
		c ^= (uint16_t)(p[i] << 8);
		for (int k = 0; k < 8; k++)
			c = (uint16_t)((c & 0x8000) ? (c << 1) ^ 0x1021 : c << 1);
	}
	return c;
}

std::vector<uint8_t> build_frame(uint8_t type, uint8_t seq, const std::vector<uint8_t> &pl)
{
	std::vector<uint8_t> f = {0xA5, type, seq, (uint8_t)pl.size(), (uint8_t)(pl.size() >> 8)};
	f.push_back(crc8(&f[1], 4));
	f.insert(f.end(), pl.begin(), pl.end());
	std::vector<uint8_t> c(f.begin() + 1, f.begin() + 5);
	c.insert(c.end(), pl.begin(), pl.end());
	uint16_t crc = crc16(c.data(), c.size());
	f.push_back((uint8_t)crc);
	f.push_back((uint8_t)(crc >> 8));
	return f;
}

void put16(std::vector<uint8_t> &v, unsigned x) { v.push_back((uint8_t)x); v.push_back((uint8_t)(x >> 8)); }
void put32(std::vector<uint8_t> &v, uint32_t x) { put16(v, x & 0xFFFF); put16(v, x >> 16); }
unsigned get16(const std::vector<uint8_t> &v, size_t o) { return v[o] | (v[o + 1] << 8); }
uint32_t get32(const std::vector<uint8_t> &v, size_t o) { return get16(v, o) | ((uint32_t)get16(v, o + 2) << 16); }
uint64_t get64(const std::vector<uint8_t> &v, size_t o) { return get32(v, o) | ((uint64_t)get32(v, o + 4) << 32); }

struct Frame {
	uint8_t type = 0, seq = 0;
	std::vector<uint8_t> pl;
};

struct Sim {
	Vhb_top *top;
	uint64_t cyc = 0;
	// host -> device serialiser
	std::vector<uint8_t> txq;
	size_t txpos = 0;
	int tbit = -1, tcnt = 0;
	// device -> host deserialiser
	std::vector<uint8_t> rxbytes;
	int rstate = 0, rcnt = 0, rbit = 0;
	uint8_t rsh = 0;
	uint64_t dones = 0, busy_cyc = 0, last_done = 0;
	bool prev_busy = false;

	Sim()
	{
		top = new Vhb_top;
		top->uart_rx = 1;
		top->rst = 1;
		for (int i = 0; i < 8; i++)
			tick();
		top->rst = 0;
		for (int i = 0; i < 8; i++)
			tick();
	}
	~Sim() { top->final(); delete top; }

	void tick()
	{
		// drive the RX pin
		if (tbit < 0 && txpos < txq.size()) {
			tbit = 0;
			tcnt = 0;
		}
		if (tbit >= 0) {
			uint8_t b = txq[txpos];
			top->uart_rx = tbit == 0 ? 0 : tbit == 9 ? 1 : (b >> (tbit - 1)) & 1;
			if (++tcnt == DIV) {
				tcnt = 0;
				if (++tbit == 10) {
					tbit = -1;
					txpos++;
				}
			}
		} else {
			top->uart_rx = 1;
		}
		top->clk = 0;
		top->eval();
		top->clk = 1;
		top->eval();
		cyc++;
		if (top->done) {
			dones++;
			last_done = cyc;
		}
		if (top->busy)
			busy_cyc++;
		// sample the TX pin
		int tx = top->uart_tx;
		switch (rstate) {
		case 0:
			if (!tx) {
				rstate = 1;
				rcnt = DIV / 2;
				rbit = 0;
			}
			break;
		default:
			if (--rcnt == 0) {
				rcnt = DIV;
				if (rbit == 0) {
					if (tx)
						rstate = 0; // glitch
				} else if (rbit <= 8) {
					rsh = (uint8_t)((rsh >> 1) | (tx << 7));
				} else {
					cr_assert(tx == 1, "device TX framing error at cycle %llu", (unsigned long long)cyc);
					rxbytes.push_back(rsh);
					rstate = 0;
				}
				rbit++;
			}
		}
	}

	void send(const std::vector<uint8_t> &bytes) { txq.insert(txq.end(), bytes.begin(), bytes.end()); }
	bool tx_idle() const { return txpos >= txq.size() && tbit < 0; }
	void run(uint64_t n)
	{
		for (uint64_t i = 0; i < n; i++)
			tick();
	}

	// Parse one frame from rxbytes (drops leading non-SOF bytes); true when complete.
	bool parse(Frame &f)
	{
		while (!rxbytes.empty() && rxbytes[0] != 0xA5)
			rxbytes.erase(rxbytes.begin());
		if (rxbytes.size() < 6)
			return false;
		cr_assert_eq(crc8(&rxbytes[1], 4), rxbytes[5], "device sent a bad hcrc");
		size_t len = rxbytes[3] | (rxbytes[4] << 8);
		if (rxbytes.size() < 8 + len)
			return false;
		uint16_t c = crc16(&rxbytes[1], 4);
		c = crc16(&rxbytes[6], len, c);
		cr_assert_eq(c, (uint16_t)(rxbytes[6 + len] | (rxbytes[7 + len] << 8)), "device sent a bad crc");
		f.type = rxbytes[1];
		f.seq = rxbytes[2];
		f.pl.assign(rxbytes.begin() + 6, rxbytes.begin() + 6 + len);
		rxbytes.erase(rxbytes.begin(), rxbytes.begin() + 8 + len);
		return true;
	}

	// Wait for one frame, at most `budget` cycles.
	Frame recv(uint64_t budget)
	{
		Frame f;
		for (uint64_t i = 0; i < budget; i++) {
			tick();
			if (!rxbytes.empty() && (i & 15) == 0 && parse(f))
				return f;
		}
		if (parse(f))
			return f;
		cr_assert_fail("no frame within %llu cycles (cycle %llu)", (unsigned long long)budget,
			       (unsigned long long)cyc);
		return f;
	}

	// Nothing at all arrives within n cycles.
	void expect_silence(uint64_t n)
	{
		run(n);
		cr_assert(rxbytes.empty(), "unexpected %zu bytes from the device", rxbytes.size());
	}

	uint64_t frame_cycles(size_t len) const { return (uint64_t)(len + 8) * 10 * DIV; }

	Frame xfer(uint8_t type, uint8_t seq, const std::vector<uint8_t> &pl, uint64_t extra = 0)
	{
		send(build_frame(type, seq, pl));
		return recv(frame_cycles(pl.size()) + frame_cycles(1100) + 10000 + extra);
	}
};

void expect_error(const Frame &f, uint8_t reason, int seq = -1, int rtype = -1)
{
	cr_assert_eq(f.type, 0xFF, "expected ERROR(%u), got type 0x%02x", reason, f.type);
	cr_assert_eq(f.pl.size(), 2u);
	cr_assert_eq(f.pl[0], reason, "error reason %u, expected %u", f.pl[0], reason);
	if (seq >= 0)
		cr_assert_eq(f.seq, seq);
	if (rtype >= 0)
		cr_assert_eq(f.pl[1], rtype);
}

// ---- network packing (protocol §3) ----
std::vector<uint8_t> config_bytes(const hb_net &n, unsigned L)
{
	std::vector<uint8_t> c(160, 0);
	c[0] = (uint8_t)n.n_layers;
	c[2] = L & 0xFF; c[3] = L >> 8;
	c[4] = n.in_seed & 0xFF; c[5] = n.in_seed >> 8;
	c[6] = n.in_stride & 0xFF; c[7] = n.in_stride >> 8;
	c[8] = n.layers[0].n_in & 0xFF; c[9] = n.layers[0].n_in >> 8;
	uint32_t woff = 0;
	for (unsigned k = 0; k < n.n_layers; k++) {
		const hb_layer &ly = n.layers[k];
		c[10 + 2 * k] = ly.n_out & 0xFF; c[11 + 2 * k] = ly.n_out >> 8;
		uint8_t *b = &c[32 + 32 * k];
		uint16_t f[8] = {ly.wt_seed, ly.wi_seed, (uint16_t)ly.i_scale, (uint16_t)ly.v_th,
				 (uint16_t)ly.v_reset, (uint16_t)ly.v_rest, (uint16_t)ly.leak, (uint16_t)ly.gain};
		for (int m = 0; m < 8; m++) { b[2 * m] = f[m] & 0xFF; b[2 * m + 1] = f[m] >> 8; }
		b[16] = ly.refractory;
		for (int m = 0; m < 4; m++) b[20 + m] = (uint8_t)(woff >> (8 * m));
		woff += ly.n_in * ly.n_out;
	}
	return c;
}
std::vector<uint8_t> weight_bytes(const hb_net &n)
{
	std::vector<uint8_t> w;
	for (unsigned k = 0; k < n.n_layers; k++)
		w.insert(w.end(), n.layers[k].weights, n.layers[k].weights + n.layers[k].n_in * n.layers[k].n_out);
	return w;
}

uint32_t rng_state = 12345;
uint32_t rnd() { rng_state = rng_state * 1664525u + 1013904223u; return rng_state >> 8; }

// A random network with parameters that give varied spike counts.
void random_net(hb_net &n, unsigned K, const unsigned *sizes, unsigned L)
{
	cr_assert_eq(hb_net_init(&n, K, sizes, L), HB_OK);
	for (unsigned k = 0; k < K; k++) {
		hb_layer &ly = n.layers[k];
		ly.i_scale = (int16_t)(k == 0 ? 48 : 96);
		ly.v_th = 256;
		ly.v_reset = -32;
		ly.v_rest = 0;
		ly.leak = 20;
		ly.gain = 256;
		ly.refractory = (uint8_t)(k);
		for (unsigned s = 0; s < ly.n_in * ly.n_out; s++) {
			uint8_t m = (uint8_t)(rnd() % 128);
			ly.weights[s] = (uint8_t)(((rnd() % 10) < 3 ? 0x80 : 0) | m);
		}
	}
}

// Load CONFIG + WEIGHTS in chunks; returns the next seq.
uint8_t load_net(Sim &s, const hb_net &n, unsigned L, uint8_t seq)
{
	std::vector<uint8_t> w = weight_bytes(n);
	for (size_t off = 0; off < w.size(); off += 1000) {
		size_t cnt = std::min<size_t>(1000, w.size() - off);
		std::vector<uint8_t> pl = {1};
		put32(pl, (uint32_t)off);
		pl.insert(pl.end(), w.begin() + off, w.begin() + off + cnt);
		Frame r = s.xfer(T_LOAD, seq, pl);
		cr_assert_eq(r.type, 0x82, "LOAD weights answered 0x%02x reason %u", r.type, r.pl.size() ? r.pl[0] : 0);
		cr_assert_eq(r.seq, seq);
		cr_assert_eq(r.pl.size(), 7u);
		cr_assert_eq(r.pl[0], 1);
		cr_assert_eq(get32(r.pl, 1), off);
		cr_assert_eq(get16(r.pl, 5), cnt);
		seq++;
	}
	std::vector<uint8_t> pl = {0, 0, 0, 0, 0};
	std::vector<uint8_t> c = config_bytes(n, L);
	pl.insert(pl.end(), c.begin(), c.end());
	Frame r = s.xfer(T_LOAD, seq, pl);
	cr_assert_eq(r.type, 0x82, "LOAD config answered 0x%02x reason %u", r.type, r.pl.size() ? r.pl[0] : 0);
	return (uint8_t)(seq + 1);
}

// Stream input bits; returns the stamp of the last STREAM.
uint64_t stream_bits(Sim &s, const std::vector<uint8_t> &bits, uint8_t &seq)
{
	uint64_t stamp = 0;
	for (size_t off = 0; off < bits.size(); off += 1020) {
		size_t cnt = std::min<size_t>(1020, bits.size() - off);
		std::vector<uint8_t> pl;
		put32(pl, (uint32_t)off);
		pl.insert(pl.end(), bits.begin() + off, bits.begin() + off + cnt);
		Frame r = s.xfer(T_STREAM, seq, pl);
		cr_assert_eq(r.type, 0x84, "STREAM answered 0x%02x", r.type);
		cr_assert_eq(r.seq, seq);
		cr_assert_eq(r.pl.size(), 14u);
		cr_assert_eq(get32(r.pl, 0), off);
		cr_assert_eq(get16(r.pl, 4), cnt);
		uint64_t st = get64(r.pl, 6);
		cr_assert(st > stamp && st <= s.cyc, "stream stamps must increase and be in the past");
		stamp = st;
		seq++;
	}
	return stamp;
}

struct InferResult {
	unsigned cls, n_out;
	uint64_t t_start, t_done;
	uint32_t busy;
	std::vector<unsigned> counts;
};

InferResult infer(Sim &s, uint32_t id, uint8_t seq, uint64_t budget)
{
	std::vector<uint8_t> pl;
	put32(pl, id);
	uint64_t dones0 = s.dones, busy0 = s.busy_cyc;
	Frame r = s.xfer(T_INFER, seq, pl, budget);
	cr_assert_eq(r.type, 0x85, "INFER answered 0x%02x reason %u", r.type, r.pl.size() ? r.pl[0] : 0);
	cr_assert_eq(r.seq, seq);
	InferResult x;
	cr_assert_eq(get32(r.pl, 0), id);
	x.cls = r.pl[4];
	x.n_out = get16(r.pl, 6);
	cr_assert_eq(r.pl.size(), 28 + 2 * x.n_out);
	x.t_start = get64(r.pl, 8);
	x.t_done = get64(r.pl, 16);
	x.busy = get32(r.pl, 24);
	cr_assert_eq(x.busy, x.t_done - x.t_start);
	cr_assert_eq(x.busy, s.busy_cyc - busy0, "busy_cycles %u, BUSY pin high for %llu cycles", x.busy,
		     (unsigned long long)(s.busy_cyc - busy0));
	cr_assert_eq(s.dones, dones0 + 1, "one DONE pulse per inference");
	for (unsigned j = 0; j < x.n_out; j++)
		x.counts.push_back(get16(r.pl, 28 + 2 * j));
	return x;
}

std::string data_path(const char *rel)
{
	const char *src = getenv("HB_SOURCE_DIR");
	return std::string(src ? src : ".") + "/" + rel;
}

} // namespace

// ---------------------------------------------------------------- tests

Test(gateware, identify_and_counters)
{
	Sim s;
	Frame r = s.xfer(T_IDENTIFY, 7, {});
	cr_assert_eq(r.type, 0x81);
	cr_assert_eq(r.seq, 7);
	cr_assert_eq(r.pl.size(), 42u);                  // K = 0: one u16 size (protocol §4.1)
	cr_assert_eq(get16(r.pl, 40), 0);
	cr_assert_eq(r.pl[0], 1);                        // proto_version
	cr_assert_eq(r.pl[1], 0);                        // family sim
	cr_assert_eq(get16(r.pl, 2), HB_TB_LANES);
	cr_assert_eq(get32(r.pl, 4), (uint32_t)HB_TB_HASH);
	cr_assert_eq(get32(r.pl, 8), (uint32_t)HB_TB_CLK_HZ);
	cr_assert_eq(r.pl[12], 48);
	cr_assert_eq(get16(r.pl, 14), 1024);
	cr_assert_eq(get16(r.pl, 20), HB_TB_MAX_L);
	cr_assert_eq(get32(r.pl, 24), (uint32_t)HB_TB_WMEM);
	cr_assert_eq(get32(r.pl, 28), (uint32_t)HB_TB_IMEM);
	cr_assert_eq(r.pl[36], 0);                       // not configured
	// INFER before a configuration
	Frame e = s.xfer(T_INFER, 8, {0, 0, 0, 0});
	expect_error(e, E_NOT_CFG, 8, T_INFER);
	Frame c = s.xfer(T_COUNTERS, 9, {});
	cr_assert_eq(c.type, 0x87);
	cr_assert_eq(c.pl.size(), 48u);
	uint64_t now = get64(c.pl, 0);
	cr_assert(now > 0 && now < s.cyc);
	cr_assert_eq(get32(c.pl, 8), 3);                 // frames_ok: identify, infer, counters
	cr_assert_eq(get32(c.pl, 28), 1);                // rejected: NOT_CONFIGURED
	Frame z = s.xfer(T_RESET, 10, {});
	cr_assert_eq(z.type, 0x88);
	cr_assert_eq(z.pl.size(), 0u);
	c = s.xfer(T_COUNTERS, 11, {});
	cr_assert_eq(get32(c.pl, 8), 1);                 // only this COUNTERS since RESET
	cr_assert_eq(get32(c.pl, 28), 0);
	cr_assert(get64(c.pl, 0) > now, "cycle counter is not cleared by RESET");
}

Test(gateware, load_readback_infer_batch, .timeout = 300)
{
	Sim s;
	const unsigned sizes[] = {40, 24, 16, 10};
	const unsigned L = 128;
	hb_net n;
	random_net(n, 3, sizes, L);
	uint8_t seq = 0;
	seq = load_net(s, n, L, seq);
	// identify shows the configuration
	Frame id = s.xfer(T_IDENTIFY, seq++, {});
	cr_assert_eq(id.pl.size(), 40u + 2 * 4);
	cr_assert_eq(id.pl[36], 1);
	cr_assert_eq(id.pl[37], 3);
	cr_assert_eq(get16(id.pl, 38), L);
	for (unsigned m = 0; m < 4; m++)
		cr_assert_eq(get16(id.pl, 40 + 2 * m), sizes[m]);
	// read back CONFIG and the weights
	std::vector<uint8_t> cfg = config_bytes(n, L), w = weight_bytes(n);
	std::vector<uint8_t> rq = {0, 0, 0, 0, 0};
	put16(rq, 160);
	Frame rb = s.xfer(T_READ, seq++, rq);
	cr_assert_eq(rb.type, 0x83);
	cr_assert(rb.pl == cfg, "CONFIG read-back differs");
	rq = {1};
	put32(rq, 100);
	put16(rq, 1024);
	rb = s.xfer(T_READ, seq++, rq);
	cr_assert(std::vector<uint8_t>(w.begin() + 100, w.begin() + 1124) == rb.pl, "WEIGHTS read-back differs");

	// several inputs, bit-exact against the golden model
	std::vector<uint8_t> bits(hb_model_input_bytes(&n));
	std::vector<uint16_t> vals(sizes[0]);
	InferResult last{};
	for (int sample = 0; sample < 4; sample++) {
		for (auto &v : vals)
			v = (uint16_t)rnd();
		cr_assert_eq(hb_model_encode(&n, vals.data(), bits.data()), HB_OK);
		uint64_t stamp = stream_bits(s, bits, seq);
		hb_model_result ref;
		cr_assert_eq(hb_model_infer(&n, bits.data(), &ref), HB_OK);
		InferResult x = infer(s, 100 + sample, seq++, 50000000);
		cr_assert(x.t_start > stamp);
		cr_assert_eq(x.n_out, sizes[3]);
		cr_assert_eq(x.cls, ref.cls);
		for (unsigned j = 0; j < x.n_out; j++)
			cr_assert_eq(x.counts[j], ref.counts[2][j], "sample %d neuron %u", sample, j);
		last = x;
	}
	// read back INPUT
	rq = {2};
	put32(rq, 0);
	put16(rq, 64);
	rb = s.xfer(T_READ, seq++, rq);
	cr_assert(std::vector<uint8_t>(bits.begin(), bits.begin() + 64) == rb.pl, "INPUT read-back differs");

	// BATCH n = 3: DONE three times, busy total = 3 x single, stamps ordered
	std::vector<uint8_t> pl;
	put32(pl, 3);
	uint64_t d0 = s.dones;
	Frame b = s.xfer(T_BATCH, seq, pl, 150000000);
	cr_assert_eq(b.type, 0x86, "BATCH answered 0x%02x", b.type);
	cr_assert_eq(b.seq, seq);
	seq++;
	cr_assert_eq(s.dones, d0 + 3);
	cr_assert_eq(get32(b.pl, 0), 3);
	cr_assert_eq(b.pl[4], last.cls);
	cr_assert_eq(get16(b.pl, 6), sizes[3]);
	uint64_t t0 = get64(b.pl, 8), t1 = get64(b.pl, 16), tot = get64(b.pl, 24);
	cr_assert_eq(tot, 3ull * last.busy, "batch busy %llu, single %u", (unsigned long long)tot, last.busy);
	/* protocol §4.3: evenly spaced, 3 cycles from one DONE to the next BUSY */
	cr_assert_eq(t1 - t0, tot + 3 * (3 - 1), "batch stamps: span %llu, busy %llu",
		     (unsigned long long)(t1 - t0), (unsigned long long)tot);
	for (unsigned j = 0; j < sizes[3]; j++)
		cr_assert_eq(get16(b.pl, 32 + 2 * j), last.counts[j]);
	// counters
	Frame c = s.xfer(T_COUNTERS, seq++, {});
	cr_assert_eq(get32(c.pl, 36), 4 + 3);
	cr_assert_eq(get64(c.pl, 40), 4ull * last.busy + tot);
	hb_net_free(&n);
}

Test(gateware, busy_rejection)
{
	Sim s;
	const unsigned sizes[] = {16, 8};
	hb_net n;
	random_net(n, 1, sizes, 64);
	uint8_t seq = load_net(s, n, 64, 1);
	std::vector<uint8_t> pl;
	put32(pl, 50);
	s.send(build_frame(T_BATCH, seq, pl));
	// wait until the engine is busy, then ask for identify: ERROR(BUSY) comes first
	for (int i = 0; i < 200000 && !s.top->busy; i++)
		s.tick();
	cr_assert(s.top->busy);
	s.send(build_frame(T_IDENTIFY, (uint8_t)(seq + 1), {}));
	Frame e = s.recv(2000000);
	expect_error(e, E_BUSY, seq + 1, T_IDENTIFY);
	Frame b = s.recv(200000000);
	cr_assert_eq(b.type, 0x86);
	cr_assert_eq(b.seq, seq);
	hb_net_free(&n);
}

Test(gateware, receiver_errors_and_recovery)
{
	Sim s;
	uint8_t seq = 40;
	// bad CRC
	std::vector<uint8_t> f = build_frame(T_IDENTIFY, seq, {});
	f[6] ^= 1;
	s.send(f);
	expect_error(s.recv(100000), E_BAD_CRC, seq, T_IDENTIFY);
	cr_assert_eq(s.xfer(T_IDENTIFY, ++seq, {}).type, 0x81);
	// bad hcrc
	f = build_frame(T_IDENTIFY, ++seq, {});
	f[5] ^= 0x10;
	s.send(f);
	expect_error(s.recv(100000), E_BAD_HCRC, seq);
	s.run(20000);
	s.rxbytes.clear();
	cr_assert_eq(s.xfer(T_IDENTIFY, ++seq, {}).type, 0x81);
	// a real SOF inside a bad header is found (rule 2): A5 A5 <good header...>
	f = build_frame(T_IDENTIFY, ++seq, {});
	f.insert(f.begin(), 0xA5);
	s.send(f);
	expect_error(s.recv(100000), E_BAD_HCRC);
	Frame r = s.recv(100000);
	cr_assert_eq(r.type, 0x81, "frame after a false SOF not found");
	cr_assert_eq(r.seq, seq);
	// truncated frame -> TIMEOUT after clock_hz/100 cycles, nothing before
	f = build_frame(T_STREAM, ++seq, {0, 0, 0, 0, 1, 2, 3});
	f.resize(8);
	s.send(f);
	s.expect_silence(TIMEOUT_CYC - 1000);
	expect_error(s.recv(20000), E_TIMEOUT, seq, T_STREAM);
	cr_assert_eq(s.xfer(T_IDENTIFY, ++seq, {}).type, 0x81);
	// oversize length
	f = {0xA5, T_STREAM, ++seq, 0x01, 0x04};            // len 1025
	f.push_back(crc8(&f[1], 4));
	s.send(f);
	expect_error(s.recv(100000), E_OVERSIZE, seq, T_STREAM);
	// garbage between frames
	s.send({0x00, 0x11, 0x5A, 0xFF, 0x42});
	r = s.xfer(T_IDENTIFY, ++seq, {});
	cr_assert_eq(r.type, 0x81);
	cr_assert_eq(r.seq, seq);
	// unknown type, bad length, bad arguments
	++seq;
	expect_error(s.xfer(0x33, seq, {}), E_UNKNOWN, seq, 0x33);
	++seq;
	expect_error(s.xfer(T_INFER, seq, {1, 2}), E_BAD_LEN, seq, T_INFER);
	++seq;
	expect_error(s.xfer(T_IDENTIFY, seq, {1}), E_BAD_LEN, seq, T_IDENTIFY);
	std::vector<uint8_t> pl = {0};
	put32(pl, 150);
	pl.insert(pl.end(), 20, 0);                         // CONFIG offset 150 + 20 > 160
	++seq;
	expect_error(s.xfer(T_LOAD, seq, pl), E_BAD_ARG, seq, T_LOAD);
	pl = {3, 0, 0, 0, 0, 1};                            // region 3
	++seq;
	expect_error(s.xfer(T_LOAD, seq, pl), E_BAD_ARG, seq, T_LOAD);
	pl = {};
	put32(pl, HB_TB_IMEM - 2);
	pl.insert(pl.end(), 3, 0);
	++seq;
	expect_error(s.xfer(T_STREAM, seq, pl), E_BAD_ARG, seq, T_STREAM);
	pl = {2};
	put32(pl, 0);
	put16(pl, 0);
	++seq;
	expect_error(s.xfer(T_READ, seq, pl), E_BAD_ARG, seq, T_READ);
	pl = {};
	put32(pl, 0);
	++seq;
	expect_error(s.xfer(T_BATCH, seq, pl), E_NOT_CFG, seq, T_BATCH);
	// an invalid CONFIG (K = 0) is BAD_ARG
	pl = {0, 0, 0, 0, 0};
	pl.insert(pl.end(), 160, 0);
	++seq;
	expect_error(s.xfer(T_LOAD, seq, pl), E_BAD_ARG, seq, T_LOAD);
	// and the device still answers; counters saw it all
	Frame c = s.xfer(T_COUNTERS, ++seq, {});
	cr_assert_eq(c.type, 0x87);
	cr_assert_eq(get32(c.pl, 12), 2);                   // bad hcrc
	cr_assert_eq(get32(c.pl, 16), 1);                   // bad crc
	cr_assert_eq(get32(c.pl, 20), 1);                   // oversize
	cr_assert_eq(get32(c.pl, 24), 1);                   // timeout
	cr_assert_eq(get32(c.pl, 28), 9);                   // rejected
	cr_assert(get32(c.pl, 32) >= 4);                    // garbage
}

// Region / offset / count edges of the one range check (offset + count <= region size,
// offsets >= 2^20 out of every region, READ count 1..1024); rejected LOADs write nothing.
Test(gateware, argument_ranges)
{
	Sim s;
	uint8_t seq = 100;
	auto rd = [&](uint8_t region, uint32_t off, unsigned cnt) {
		std::vector<uint8_t> pl = {region};
		put32(pl, off);
		put16(pl, cnt);
		return s.xfer(T_READ, seq++, pl);
	};
	auto load = [&](uint8_t region, uint32_t off, const std::vector<uint8_t> &d) {
		std::vector<uint8_t> pl = {region};
		put32(pl, off);
		pl.insert(pl.end(), d.begin(), d.end());
		return s.xfer(T_LOAD, seq++, pl);
	};
	const std::vector<uint8_t> d = {0x11, 0x22, 0x33};
	Frame r = load(1, HB_TB_WMEM - 3, d);                 // ends exactly at the end
	cr_assert_eq(r.type, 0x82);
	cr_assert_eq(get32(r.pl, 1), (uint32_t)HB_TB_WMEM - 3);
	cr_assert_eq(get16(r.pl, 5), 3);
	r = rd(1, HB_TB_WMEM - 3, 3);
	cr_assert_eq(r.type, 0x83);
	cr_assert(r.pl == d);
	expect_error(load(1, HB_TB_WMEM - 2, d), E_BAD_ARG, -1, T_LOAD);
	expect_error(load(2, 0, d), E_BAD_ARG, -1, T_LOAD);  // LOAD: CONFIG or WEIGHTS only
	expect_error(load(1, 0x100000, d), E_BAD_ARG, -1, T_LOAD);
	expect_error(load(1, 0x1000000, d), E_BAD_ARG, -1, T_LOAD);
	r = rd(1, 0, 3);                                      // the rejected LOADs wrote nothing
	cr_assert_eq(r.type, 0x83);
	cr_assert(r.pl != d);
	r = rd(1, HB_TB_WMEM - 1024, 1024);
	cr_assert_eq(r.type, 0x83);
	cr_assert_eq(r.pl.size(), 1024u);
	cr_assert(std::vector<uint8_t>(r.pl.end() - 3, r.pl.end()) == d);
	expect_error(rd(1, HB_TB_WMEM - 1023, 1024), E_BAD_ARG, -1, T_READ);
	expect_error(rd(1, 0, 1025), E_BAD_ARG, -1, T_READ);
	expect_error(rd(1, 0x100000, 1), E_BAD_ARG, -1, T_READ);
	expect_error(rd(1, 0xFFFFFFFFu, 1), E_BAD_ARG, -1, T_READ);
	expect_error(rd(3, 0, 1), E_BAD_ARG, -1, T_READ);
	expect_error(rd(0, 160, 1), E_BAD_ARG, -1, T_READ);
	cr_assert_eq(rd(0, 159, 1).type, 0x83);
	std::vector<uint8_t> pl;
	put32(pl, HB_TB_IMEM - 3);
	pl.insert(pl.end(), d.begin(), d.end());
	r = s.xfer(T_STREAM, seq++, pl);
	cr_assert_eq(r.type, 0x84);
	cr_assert_eq(get16(r.pl, 4), 3);
	r = rd(2, HB_TB_IMEM - 3, 3);
	cr_assert_eq(r.type, 0x83);
	cr_assert(r.pl == d);
	// a frame cut inside its header: TIMEOUT with request type 0
	s.send({0xA5, T_IDENTIFY, seq});
	s.expect_silence(TIMEOUT_CYC - 1000);
	expect_error(s.recv(20000), E_TIMEOUT, -1, 0);
	Frame c = s.xfer(T_COUNTERS, seq++, {});
	cr_assert_eq(get32(c.pl, 24), 1);                    // timeout
	cr_assert_eq(get32(c.pl, 28), 10, "rejected %u", get32(c.pl, 28)); // the ten BAD_ARGs
}

// A BATCH whose n and busy count carry across byte boundaries (n = 257).
Test(gateware, batch_257)
{
	Sim s;
	const unsigned sizes[] = {8, 4};
	hb_net n;
	random_net(n, 1, sizes, 32);
	uint8_t seq = load_net(s, n, 32, 1);
	std::vector<uint8_t> pl;
	put32(pl, 257);
	uint64_t d0 = s.dones, b0 = s.busy_cyc;
	Frame b = s.xfer(T_BATCH, seq, pl, 20000000);
	cr_assert_eq(b.type, 0x86, "BATCH answered 0x%02x", b.type);
	cr_assert_eq(get32(b.pl, 0), 257);
	cr_assert_eq(s.dones, d0 + 257);
	uint64_t t0 = get64(b.pl, 8), t1 = get64(b.pl, 16), tot = get64(b.pl, 24);
	cr_assert_eq(tot, s.busy_cyc - b0);
	cr_assert_eq(t1 - t0, tot + 3 * 256, "batch stamps %llu %llu", (unsigned long long)(t1 - t0),
		     (unsigned long long)tot);
	cr_assert_eq(tot % 257, 0, "every inference of the batch takes the same cycles");
	hb_net_free(&n);
}

// The shipped digits network on >= 200 held-out digits samples: load once, then per sample
// STREAM + INFER, every count bit-exact against the golden model.
Test(gateware, digits_200_bit_exact, .timeout = 300)
{
	hb_net n;
	char err[256];
	std::string netp = data_path("gateware/model/nets/digits.json");
	std::string csvp = data_path("tests/data/digits/digits.csv");
	cr_assert_eq(hb_net_load(netp.c_str(), &n, err, sizeof err), HB_OK, "%s", err);
	hb_digits d;
	cr_assert_eq(hb_digits_load(csvp.c_str(), &d, err, sizeof err), HB_OK, "%s", err);
	cr_assert(d.n_test >= 200);
	Sim s;
	uint8_t seq = load_net(s, n, n.L, 0);
	std::vector<uint8_t> bits(hb_model_input_bytes(&n));
	uint16_t vals[HB_DIGITS_PIXELS];
	unsigned agree_label = 0;
	uint32_t busy0 = 0;
	const unsigned K = n.n_layers;
	for (unsigned k = 0; k < 200; k++) {
		unsigned idx = d.test_idx[k];
		hb_digits_values(&d, idx, vals);
		cr_assert_eq(hb_model_encode(&n, vals, bits.data()), HB_OK);
		stream_bits(s, bits, seq);
		hb_model_result ref;
		cr_assert_eq(hb_model_infer(&n, bits.data(), &ref), HB_OK);
		InferResult x = infer(s, idx, seq++, 5000000);
		cr_assert_eq(x.cls, ref.cls, "sample %u class", idx);
		for (unsigned j = 0; j < x.n_out; j++)
			cr_assert_eq(x.counts[j], ref.counts[K - 1][j], "sample %u neuron %u", idx, j);
		if (k == 0)
			busy0 = x.busy;
		cr_assert_eq(x.busy, busy0, "busy cycles depend only on the network");
		agree_label += (x.cls == d.labels[idx]);
	}
	cr_log_info("digits: 200 samples bit-exact, %u correct labels, %u busy cycles per inference "
		    "(%.1f us at 24 MHz)", agree_label, busy0, busy0 / 24.0);
	cr_assert(busy0 <= 24000, "digits must take <= 1 ms at 24 MHz (busy %u cycles)", busy0);
	hb_digits_free(&d);
	hb_net_free(&n);
}

// ---------------------------------------------------------------- issue 13: every valid request,
// exact counters, the ERROR type byte as docs/protocol.md shows it

namespace {

// A header with a wrong hcrc, none of whose five bytes is 0xA5: after it the device re-scans
// all five as garbage (protocol §2 rule 2) and finds no SOF among them.
std::vector<uint8_t> bad_header(uint8_t seq)
{
	cr_assert_neq(seq, 0xA5);
	std::vector<uint8_t> f = {0xA5, T_IDENTIFY, seq, 0x00, 0x00};
	uint8_t h = (uint8_t)(crc8(&f[1], 4) ^ 0x3C);
	if (h == 0xA5)
		h ^= 0x01;
	f.push_back(h);
	return f;
}

// Every frame the device sends until the line has been quiet for `quiet` cycles.
std::vector<Frame> collect(Sim &s, uint64_t quiet, uint64_t budget = 4000000)
{
	std::vector<Frame> out;
	uint64_t last = s.cyc;
	size_t seen = s.rxbytes.size();
	for (uint64_t i = 0; i < budget && (s.cyc - last < quiet || !s.tx_idle()); i++) {
		s.tick();
		if (s.rxbytes.size() != seen) {
			seen = s.rxbytes.size();
			last = s.cyc;
		}
	}
	Frame f;
	while (s.parse(f))
		out.push_back(f);
	cr_assert(s.rxbytes.empty(), "%zu bytes of an incomplete frame left", s.rxbytes.size());
	return out;
}

struct Tally {
	uint32_t ok = 0, hcrc = 0, crc = 0, over = 0, tmo = 0, rej = 0, garb = 0, inf = 0;
};

void expect_counters(Sim &s, uint8_t seq, Tally t, uint64_t busy)
{
	t.ok++;                                              // the COUNTERS request itself
	Frame c = s.xfer(T_COUNTERS, seq, {});
	cr_assert_eq(c.type, 0x87);
	cr_assert_eq(get32(c.pl, 8), t.ok, "frames_ok %u, injected %u", get32(c.pl, 8), t.ok);
	cr_assert_eq(get32(c.pl, 12), t.hcrc, "frames_bad_hcrc %u, injected %u", get32(c.pl, 12), t.hcrc);
	cr_assert_eq(get32(c.pl, 16), t.crc, "frames_bad_crc %u, injected %u", get32(c.pl, 16), t.crc);
	cr_assert_eq(get32(c.pl, 20), t.over, "frames_oversize %u, injected %u", get32(c.pl, 20), t.over);
	cr_assert_eq(get32(c.pl, 24), t.tmo, "frames_timeout %u, injected %u", get32(c.pl, 24), t.tmo);
	cr_assert_eq(get32(c.pl, 28), t.rej, "frames_rejected %u, injected %u", get32(c.pl, 28), t.rej);
	cr_assert_eq(get32(c.pl, 32), t.garb, "garbage_bytes %u, injected %u", get32(c.pl, 32), t.garb);
	cr_assert_eq(get32(c.pl, 36), t.inf, "inferences %u, run %u", get32(c.pl, 36), t.inf);
	cr_assert_eq(get64(c.pl, 40), busy, "busy_cycles %llu, BUSY pin high %llu cycles",
		     (unsigned long long)get64(c.pl, 40), (unsigned long long)busy);
}

// One complete example frame of tests/data/link/examples.txt (the bytes docs/protocol.md §6
// quotes; test_link_examples keeps both equal to the codec).
std::vector<uint8_t> example(const char *name)
{
	std::string path = data_path("tests/data/link/examples.txt");
	FILE *f = fopen(path.c_str(), "r");
	cr_assert(f, "cannot open %s", path.c_str());
	std::string key = std::string("# ") + name + ":";
	char line[512];
	std::vector<uint8_t> out;
	bool in = false;
	while (fgets(line, sizeof line, f)) {
		if (!in) {
			in = strncmp(line, key.c_str(), key.size()) == 0;
			continue;
		}
		if (line[0] == '#' || line[0] == '\n')
			break;
		unsigned v;
		int n;
		for (const char *p = line; sscanf(p, "%2x%n", &v, &n) == 1; p += n)
			out.push_back((uint8_t)v);
	}
	fclose(f);
	cr_assert(!out.empty(), "example %s not found in %s", name, path.c_str());
	return out;
}

} // namespace

// protocol §2: every request gets exactly one frame. Bad headers sent back to back (each 6
// bytes, each answered by a 10-byte ERROR) outrun the transmitter; the intact IDENTIFY behind
// them must still be answered (receiver-error ERROR frames are the ones that may be dropped).
Test(gateware, intact_request_after_bad_headers_is_answered, .timeout = 120)
{
	Sim s;
	uint8_t seq = 1;
	uint32_t hcrc = 0;
	for (unsigned nbad : {1u, 2u, 3u, 4u, 8u}) {
		std::vector<uint8_t> burst;
		for (unsigned i = 0; i < nbad; i++) {
			std::vector<uint8_t> h = bad_header((uint8_t)(0x60 + i));
			burst.insert(burst.end(), h.begin(), h.end());
		}
		std::vector<uint8_t> idf = build_frame(T_IDENTIFY, seq, {});
		burst.insert(burst.end(), idf.begin(), idf.end());
		s.send(burst);
		std::vector<Frame> got = collect(s, 20000);
		unsigned answers = 0, errors = 0;
		for (const Frame &f : got) {
			if (f.type == 0x81) {
				cr_assert_eq(f.seq, seq);
				answers++;
			} else {
				expect_error(f, E_BAD_HCRC, -1, 0);
				errors++;
			}
		}
		cr_assert_eq(answers, 1u, "%u bad headers then IDENTIFY: %u IDENTIFY answers", nbad, answers);
		cr_assert(errors >= 1 && errors <= nbad, "%u bad headers: %u ERROR frames", nbad, errors);
		cr_assert_eq(got.back().type, 0x81, "the answer comes last");
		hcrc += nbad;
		seq++;
	}
	Tally t;
	t.hcrc = hcrc;
	t.garb = 5 * hcrc;
	t.ok = 5;
	expect_counters(s, seq, t, 0);
}

// Each COUNTERS field against the number of events this test injected (protocol §4.4). The
// bursts put events of one kind back to back: the five bytes re-scanned after a bad header
// arrive one cycle apart, garbage bytes one UART byte apart.
Test(gateware, every_counter_counts_each_event, .timeout = 300)
{
	Sim s;
	Tally t;
	uint8_t seq = 1;
	uint64_t busy0 = s.busy_cyc;
	auto good = [&](uint8_t type, const std::vector<uint8_t> &pl, uint64_t extra = 0) {
		t.ok++;
		return s.xfer(type, seq++, pl, extra);
	};

	// garbage: 3 bursts of 7 bytes (no 0xA5), each followed by an IDENTIFY
	for (int k = 0; k < 3; k++) {
		s.send({0x00, 0x11, 0x5A, 0xFF, 0x42, 0xA4, 0x5B});
		t.garb += 7;
		cr_assert_eq(good(T_IDENTIFY, {}).type, 0x81);
	}
	// bad headers: 2 single ones, then 3 back to back (5 re-scanned garbage bytes each)
	for (int k = 0; k < 2; k++) {
		s.send(bad_header(0x70));
		expect_error(s.recv(100000), E_BAD_HCRC, -1, 0);
		t.hcrc++;
		t.garb += 5;
	}
	for (int k = 0; k < 3; k++) {
		s.send(bad_header((uint8_t)(0x71 + k)));
		t.hcrc++;
		t.garb += 5;
	}
	for (const Frame &f : collect(s, 20000))
		expect_error(f, E_BAD_HCRC, -1, 0);
	// bad CRC-16: 3 (IDENTIFY, COUNTERS, READ), each answered with its request type
	for (uint8_t ty : {(uint8_t)T_IDENTIFY, (uint8_t)T_COUNTERS, (uint8_t)T_READ}) {
		std::vector<uint8_t> pl;
		if (ty == T_READ) {
			pl = {1};
			put32(pl, 0);
			put16(pl, 4);
		}
		std::vector<uint8_t> f = build_frame(ty, seq, pl);
		f.back() ^= 0x40;
		s.send(f);
		expect_error(s.recv(100000), E_BAD_CRC, seq, ty);
		t.crc++;
		seq++;
	}
	// oversize: 2 headers with len 1025 and 2000 (nothing follows them)
	for (unsigned len : {1025u, 2000u}) {
		std::vector<uint8_t> f = {0xA5, T_LOAD, seq, (uint8_t)len, (uint8_t)(len >> 8)};
		f.push_back(crc8(&f[1], 4));
		s.send(f);
		expect_error(s.recv(100000), E_OVERSIZE, seq, T_LOAD);
		t.over++;
		seq++;
	}
	// timeouts: one inside a header, one inside a payload
	s.send({0xA5, T_IDENTIFY, seq});
	expect_error(s.recv(TIMEOUT_CYC + 20000), E_TIMEOUT, -1, 0);
	t.tmo++;
	std::vector<uint8_t> cut = build_frame(T_STREAM, seq, {0, 0, 0, 0, 1, 2, 3});
	cut.resize(9);
	s.send(cut);
	expect_error(s.recv(TIMEOUT_CYC + 20000), E_TIMEOUT, seq, T_STREAM);
	t.tmo++;
	seq++;
	// rejected: UNKNOWN_TYPE, BAD_LENGTH, BAD_ARG, NOT_CONFIGURED (good frames all)
	expect_error(good(0x33, {}), E_UNKNOWN, -1, 0x33);
	expect_error(good(T_INFER, {1, 2}), E_BAD_LEN, -1, T_INFER);
	expect_error(good(T_READ, {3, 0, 0, 0, 0, 1, 0}), E_BAD_ARG, -1, T_READ);
	expect_error(good(T_INFER, {0, 0, 0, 0}), E_NOT_CFG, -1, T_INFER);
	t.rej += 4;
	// inferences: load a small network, INFER twice, BATCH of 5, and one request answered
	// BUSY during a second BATCH of 4
	const unsigned sizes[] = {16, 8};
	hb_net n;
	random_net(n, 1, sizes, 64);
	std::vector<uint8_t> w = weight_bytes(n), cfg = config_bytes(n, 64);
	std::vector<uint8_t> pl = {1, 0, 0, 0, 0};
	pl.insert(pl.end(), w.begin(), w.end());
	cr_assert_eq(good(T_LOAD, pl).type, 0x82);
	pl = {0, 0, 0, 0, 0};
	pl.insert(pl.end(), cfg.begin(), cfg.end());
	cr_assert_eq(good(T_LOAD, pl).type, 0x82);
	for (uint32_t id : {5u, 6u}) {
		pl.clear();
		put32(pl, id);
		cr_assert_eq(good(T_INFER, pl, 2000000).type, 0x85);
		t.inf++;
	}
	pl.clear();
	put32(pl, 5);
	cr_assert_eq(good(T_BATCH, pl, 5000000).type, 0x86);
	t.inf += 5;
	pl.clear();
	put32(pl, 4);
	s.send(build_frame(T_BATCH, seq, pl));
	t.ok++;
	uint8_t bseq = seq++;
	for (int i = 0; i < 200000 && !s.top->busy; i++)
		s.tick();
	cr_assert(s.top->busy);
	s.send(build_frame(T_IDENTIFY, seq, {}));
	t.ok++;
	expect_error(s.recv(2000000), E_BUSY, seq, T_IDENTIFY);
	t.rej++;
	seq++;
	Frame b = s.recv(20000000);
	cr_assert_eq(b.type, 0x86);
	cr_assert_eq(b.seq, bseq);
	t.inf += 4;
	expect_counters(s, seq, t, s.busy_cyc - busy0);
	hb_net_free(&n);
}

// docs/protocol.md §6.8 and the device agree byte for byte: the LOAD of §6.2 (seq 2) with its
// CRC-16 damaged is answered exactly with the example error_bad_crc (request type from the
// header, whose hcrc was good).
Test(gateware, bad_crc_error_matches_the_protocol_example)
{
	Sim s;
	std::vector<uint8_t> req = example("load_weights_req");
	req[req.size() - 2] ^= 0x01;
	s.send(req);
	std::vector<Frame> got = collect(s, 20000);
	cr_assert_eq(got.size(), 1u);
	std::vector<uint8_t> bytes = build_frame(got[0].type, got[0].seq, got[0].pl);
	std::vector<uint8_t> want = example("error_bad_crc");
	cr_assert(bytes == want, "device answered %02X %02X %02X .., example %02X %02X %02X ..",
		  bytes[1], bytes[6], bytes[7], want[1], want[6], want[7]);
}

// Pipelining (protocol §2): LOAD requests sent back to back, without waiting for answers, are
// each answered once, in order, with their own echo (region, offset, count), and the data
// lands; CHECK (§4.6) returns the CRC-16 of a range, computed here independently, and refuses
// bad ranges. Chunk sizes vary so that answers and the next request's arguments overlap in
// every phase.
Test(gateware, pipelined_loads_and_check, .timeout = 300)
{
	Sim s;
	uint8_t seq = 0;
	cr_assert_eq(s.xfer(T_IDENTIFY, seq++, {}).pl[22] & 0x30, 0x30, "CHECK and pipelining capabilities");
	std::vector<uint8_t> img(6000);
	for (auto &b : img)
		b = (uint8_t)rnd();
	struct Sent { uint8_t seq; uint32_t off; unsigned cnt; };
	std::vector<Sent> sent;
	const unsigned sizes[] = {8, 9, 17, 40, 300, 11, 1019, 64, 13, 129};
	size_t off = 0;
	for (unsigned k = 0; off < img.size(); k++) {
		unsigned cnt = (unsigned)std::min<size_t>(sizes[k % 10], img.size() - off);
		if (cnt < 8 && off > 0) {                   // keep every request >= 8 data bytes
			off -= 8 - cnt;
			cnt = 8;
		}
		std::vector<uint8_t> pl = {1};
		put32(pl, (uint32_t)off + 100);
		pl.insert(pl.end(), img.begin() + off, img.begin() + off + cnt);
		s.send(build_frame(T_LOAD, seq, pl));
		sent.push_back({seq, (uint32_t)off + 100, cnt});
		seq++;
		off += cnt;
	}
	for (const Sent &x : sent) {
		Frame r = s.recv(s.frame_cycles(1100) * 4 + 20000);
		cr_assert_eq(r.type, 0x82, "pipelined LOAD seq %u answered 0x%02x", x.seq, r.type);
		cr_assert_eq(r.seq, x.seq, "answers in order: seq %u, expected %u", r.seq, x.seq);
		cr_assert_eq(r.pl[0], 1);
		cr_assert_eq(get32(r.pl, 1), x.off, "seq %u echoes offset %u, sent %u", x.seq, get32(r.pl, 1), x.off);
		cr_assert_eq(get16(r.pl, 5), x.cnt, "seq %u echoes count %u, sent %u", x.seq, get16(r.pl, 5), x.cnt);
	}
	s.expect_silence(s.frame_cycles(16));
	auto check = [&](uint8_t region, uint32_t o, unsigned cnt) {
		std::vector<uint8_t> pl = {region};
		put32(pl, o);
		put16(pl, cnt);
		return s.xfer(T_CHECK, seq++, pl, 4ull * cnt + 1000);
	};
	Frame c = check(1, 100, (unsigned)img.size());
	cr_assert_eq(c.type, 0x89, "CHECK answered 0x%02x", c.type);
	cr_assert_eq(c.pl.size(), 9u);
	cr_assert_eq(c.pl[0], 1);
	cr_assert_eq(get32(c.pl, 1), 100u);
	cr_assert_eq(get16(c.pl, 5), img.size());
	cr_assert_eq(get16(c.pl, 7), crc16(img.data(), img.size()), "CHECK crc 0x%04x, data 0x%04x",
		     get16(c.pl, 7), crc16(img.data(), img.size()));
	c = check(1, 1234, 1);                               // one byte
	cr_assert_eq(get16(c.pl, 7), crc16(&img[1134], 1));
	// one wrong byte changes the CRC
	std::vector<uint8_t> pl = {1};
	put32(pl, 2000);
	pl.push_back((uint8_t)(img[1900] ^ 0x10));
	cr_assert_eq(s.xfer(T_LOAD, seq++, pl).type, 0x82);
	c = check(1, 100, (unsigned)img.size());
	cr_assert_neq(get16(c.pl, 7), crc16(img.data(), img.size()));
	img[1900] ^= 0x10;
	cr_assert_eq(get16(c.pl, 7), crc16(img.data(), img.size()));
	// CONFIG and INPUT regions, the largest count, the edges of the range check
	std::vector<uint8_t> rc = {0, 0, 0, 0, 0};
	put16(rc, 160);
	Frame cf = s.xfer(T_READ, seq++, rc);
	cr_assert_eq(cf.pl.size(), 160u);
	cr_assert_eq(get16(check(0, 0, 160).pl, 7), crc16(cf.pl.data(), 160));
	cr_assert_eq(check(2, HB_TB_IMEM - 10, 10).type, 0x89);
	if (HB_TB_WMEM >= 65535)
		cr_assert_eq(check(1, 0, 65535).type, 0x89);
	expect_error(check(1, 0, 0), E_BAD_ARG, -1, T_CHECK);
	expect_error(check(1, HB_TB_WMEM - 9, 10), E_BAD_ARG, -1, T_CHECK);
	expect_error(check(0, 1, 160), E_BAD_ARG, -1, T_CHECK);
	expect_error(check(3, 0, 1), E_BAD_ARG, -1, T_CHECK);
	expect_error(s.xfer(T_CHECK, seq++, {1, 0, 0, 0, 0, 1}), E_BAD_LEN, -1, T_CHECK);
	// Requests that arrive while a CHECK computes are answered BUSY and write nothing: the
	// CHECK owns the address counter (a host that retried a slow CHECK and went on must not
	// have its next LOAD written at a moving address).
	{
		unsigned big = (unsigned)std::min<uint32_t>(HB_TB_WMEM - 100, 60000);
		std::vector<uint8_t> ck = {1};
		put32(ck, 100);
		put16(ck, big);
		std::vector<uint8_t> ld = {1};
		put32(ld, 100);
		for (int i = 0; i < 16; i++)
			ld.push_back((uint8_t)(img[i] ^ 0xFF));
		uint16_t ref = get16(check(1, 100, big).pl, 7);
		// the device holds one request while it answers another: one at a time behind it
		for (int second = 0; second < 2; second++) {
			uint8_t cseq = seq++, oseq = seq++;
			s.send(build_frame(T_CHECK, cseq, ck));
			s.send(build_frame(second ? T_CHECK : T_LOAD, oseq, second ? ck : ld));
			Frame a1 = s.recv(4ull * big + s.frame_cycles(64) * 4);
			cr_assert_eq(a1.type, 0x89, "the CHECK is answered first (0x%02x)", a1.type);
			cr_assert_eq(a1.seq, cseq);
			cr_assert_eq(get16(a1.pl, 5), big, "its range was not moved by the request behind it");
			cr_assert_eq(get16(a1.pl, 7), ref, "its CRC was not moved either");
			Frame a2 = s.recv(s.frame_cycles(64) * 4);
			expect_error(a2, E_BUSY, oseq, second ? T_CHECK : T_LOAD);
		}
		std::vector<uint8_t> r16 = {1};
		put32(r16, 100);
		put16(r16, 16);
		Frame rd = s.xfer(T_READ, seq++, r16);
		cr_assert(std::vector<uint8_t>(img.begin(), img.begin() + 16) == rd.pl,
			  "a LOAD answered BUSY wrote nothing");
		Frame again = check(1, 100, (unsigned)img.size());
		cr_assert_eq(get16(again.pl, 7), crc16(img.data(), img.size()));
	}
	// READ still sees the pipelined data
	std::vector<uint8_t> rq = {1};
	put32(rq, 100 + 4000);
	put16(rq, 1000);
	Frame rb = s.xfer(T_READ, seq++, rq);
	cr_assert(std::vector<uint8_t>(img.begin() + 4000, img.begin() + 5000) == rb.pl, "read-back differs");
}
