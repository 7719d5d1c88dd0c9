/* The analytic model against numbers worked out by hand from SC-NeuroCore's formulas
 * (energy/estimator.py, energy/fpga_models.py, profiler/platform_profiler.py):
 *
 *   per layer (n_in, n_out), LIF (clock-driven):
 *     LUTs  = 120 n_out + n_in n_out + 40 n_in + n_out max(1, floor(log2(max(n_in, 2))))
 *     FFs   = 48 n_out + 16 n_in
 *     BRAM  = 16 n_in n_out bits if n_in n_out > 1024 else 0
 *     cycles = L + 2
 *     P_mW  = C_eff[fF] 1e-15 V^2 f[Hz] LUTs activity 1e3, activity 0.5
 *   totals: LUTs + 200 (AXI-Lite), energy_nJ = P_mW * cycles / f * 1e6,
 *     utilisation = LUTs_total / LUTs_target * 100.
 *   row: latency_ms = cycles / (MHz * 1e3), throughput = 1 / latency_s,
 *     notes "fits NN%" / "EXCEEDS NN%".
 * The tolerance 1e-12 relative only absorbs the decimal spelling of the hand values. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "hb_energy_model.h"
#include "hb_log.h"

#define REL 1e-12
#define assert_close(got, want) \
	cr_assert(fabs((got) - (want)) <= REL * fabs(want) + 1e-300, "%s = %.17g, expected %.17g", \
		  #got, (double)(got), (double)(want))

static const struct hb_layer_shape mnist[] = {{784, 128}, {128, 10}};
static const struct hb_layer_shape small[] = {{64, 32}, {32, 10}};

static struct hb_energy_report run(const struct hb_layer_shape *l, size_t n, const char *target,
				   unsigned len, double mhz)
{
	struct hb_energy_opts o = hb_energy_opts_default();
	struct hb_energy_report r;
	o.target = target;
	o.bitstream_length = len;
	o.clock_mhz = mhz;
	cr_assert_eq(hb_energy_estimate(l, n, &o, &r), HB_OK);
	return r;
}

Test(energy, target_table_matches_fpga_models)
{
	cr_assert_eq(hb_energy_target_count(), 4);
	const struct {
		const char *name;
		uint32_t luts, bram, dsp;
		double v, fmax, ceff;
	} want[] = {
		{"ice40", 7680, 128, 0, 1.2, 150, 5.0},
		{"ecp5", 83640, 3744, 156, 1.1, 400, 4.0},
		{"artix7", 63400, 4860, 240, 1.0, 450, 3.5},
		{"zynq", 53200, 4480, 220, 1.0, 400, 3.5},
	};
	for (size_t i = 0; i < 4; i++) {
		const struct hb_fpga_target *t = hb_energy_target_at(i);
		cr_assert_str_eq(t->name, want[i].name);
		cr_assert_eq(hb_energy_target_find(want[i].name), t);
		cr_assert_eq(t->total_luts, want[i].luts);
		cr_assert_eq(t->total_bram_kb, want[i].bram);
		cr_assert_eq(t->total_dsp, want[i].dsp);
		cr_assert_eq(t->voltage_v, want[i].v);
		cr_assert_eq(t->max_freq_mhz, want[i].fmax);
		cr_assert_eq(t->c_eff_ff, want[i].ceff);
	}
	cr_assert_null(hb_energy_target_at(4));
	cr_assert_null(hb_energy_target_find("ICE40"));
	char names[64];
	hb_energy_target_names(names, sizeof names);
	cr_assert_str_eq(names, "ice40, ecp5, artix7, zynq");
}

/* 784-128-10, L = 256, ice40, 100 MHz.
 * layer 0: 128*120 + 784*128 + 784*40 + 128*floor(log2 784 = 9.61) = 15360 + 100352 + 31360
 *          + 1152 = 148224 LUTs; FFs 128*48 + 784*16 = 18688; BRAM 100352*16 = 1605632 bits.
 * layer 1: 1200 + 1280 + 5120 + 10*7 = 7670 LUTs; FFs 480 + 2048 = 2528; 1280 > 1024 so
 *          BRAM 20480 bits.
 * total 148224 + 7670 + 200 = 156094 LUTs (20x an iCE40), 21216 FFs, 1626112/8192 = 198.5 kB.
 * power: 5e-15 * 1.44 * 1e8 * 0.5 = 3.6e-7 W per LUT -> 53.36064 + 2.7612 = 56.12184 mW.
 * cycles 2 * 258 = 516 -> 5.16 us -> 56.12184 * 5.16 = 289.5886944 nJ.
 * utilisation 156094 / 7680 * 100 = 2032.4739583...% -> "EXCEEDS 2032%". */
Test(energy, mnist_784_128_10_on_ice40)
{
	struct hb_energy_report r = run(mnist, 2, "ice40", 256, 100);
	cr_assert_eq(r.n_layers, 2);
	cr_assert_eq(r.layers[0].luts, 148224);
	cr_assert_eq(r.layers[0].ffs, 18688);
	cr_assert_eq(r.layers[0].bram_bits, 1605632);
	cr_assert_eq(r.layers[0].n_synapses, 100352);
	cr_assert_eq(r.layers[1].luts, 7670);
	cr_assert_eq(r.layers[1].ffs, 2528);
	cr_assert_eq(r.layers[1].bram_bits, 20480);
	cr_assert_eq(r.layers[0].latency_cycles, 258);
	cr_assert_eq(r.infra_luts, 200);
	cr_assert_eq(r.total_luts, 156094);
	cr_assert_eq(r.total_ffs, 21216);
	cr_assert_eq(r.total_bram_kb, 198.5);
	assert_close(r.layers[0].dynamic_power_mw, 53.36064);
	assert_close(r.layers[1].dynamic_power_mw, 2.7612);
	assert_close(r.total_dynamic_power_mw, 56.12184);
	cr_assert_eq(r.total_latency_cycles, 516);
	assert_close(r.energy_per_inference_nj, 289.5886944);
	cr_assert(!r.fits_on_target);
	assert_close(r.utilization_pct, 156094.0 / 7680.0 * 100.0);

	struct hb_energy_row row;
	hb_energy_profiler_row(&r, &row);
	cr_assert_str_eq(row.platform, "fpga_ice40");
	assert_close(row.latency_ms, 0.00516);
	assert_close(row.throughput_inf_per_s, 1.0 / 5.16e-6);
	assert_close(row.power_mw, 56.12184);
	assert_close(row.energy_per_inf_nj, 289.5886944);
	cr_assert_str_eq(row.notes, "EXCEEDS 2032%");
}

/* 64-32-10, L = 256, ice40, 100 MHz.
 * layer 0: 3840 + 2048 + 2560 + 32*6 = 8640 LUTs; FFs 1536 + 1024 = 2560; 2048 syn -> 32768 bits.
 * layer 1: 1200 + 320 + 1280 + 10*5 = 2850 LUTs; FFs 480 + 512 = 992; 320 syn -> no BRAM.
 * total 11690 LUTs, 3552 FFs, 4.0 kB; 3.6e-4 mW per LUT -> 3.1104 + 1.026 = 4.1364 mW;
 * energy 4.1364 * 5.16 = 21.343824 nJ; 11690/7680 = 152.2% -> "EXCEEDS 152%". */
Test(energy, net_64_32_10_on_ice40)
{
	struct hb_energy_report r = run(small, 2, "ice40", 256, 100);
	cr_assert_eq(r.layers[0].luts, 8640);
	cr_assert_eq(r.layers[1].luts, 2850);
	cr_assert_eq(r.total_luts, 11690);
	cr_assert_eq(r.total_ffs, 3552);
	cr_assert_eq(r.total_bram_kb, 4.0);
	assert_close(r.layers[0].dynamic_power_mw, 3.1104);
	assert_close(r.layers[1].dynamic_power_mw, 1.026);
	assert_close(r.total_dynamic_power_mw, 4.1364);
	assert_close(r.energy_per_inference_nj, 21.343824);
	cr_assert(!r.fits_on_target);
	struct hb_energy_row row;
	hb_energy_profiler_row(&r, &row);
	cr_assert_str_eq(row.notes, "EXCEEDS 152%");
}

/* 64-32-10, L = 128, ecp5 (1.1 V, 4.0 fF), 100 MHz.
 * 4e-15 * 1.21 * 1e8 * 0.5 = 2.42e-7 W per LUT -> 8640 * 2.42e-4 + 2850 * 2.42e-4
 * = 2.09088 + 0.6897 = 2.78058 mW; cycles 2 * 130 = 260 -> 2.6 us -> 7.229508 nJ;
 * 11690 / 83640 = 13.98% -> "fits 14%". */
Test(energy, net_64_32_10_on_ecp5_short_bitstream)
{
	struct hb_energy_report r = run(small, 2, "ecp5", 128, 100);
	cr_assert_eq(r.total_luts, 11690);
	cr_assert_eq(r.total_latency_cycles, 260);
	assert_close(r.total_dynamic_power_mw, 2.78058);
	assert_close(r.energy_per_inference_nj, 7.229508);
	cr_assert(r.fits_on_target);
	struct hb_energy_row row;
	hb_energy_profiler_row(&r, &row);
	cr_assert_str_eq(row.platform, "fpga_ecp5");
	cr_assert_str_eq(row.notes, "fits 14%");
	assert_close(row.latency_ms, 0.0026);
}

/* 784-128-10, L = 256, artix7 (1.0 V, 3.5 fF), 100 MHz: 1.75e-4 mW per LUT ->
 * 155894 * 1.75e-4 = 27.28145 mW; 27.28145 * 5.16 = 140.772282 nJ;
 * 156094 / 63400 = 246.2% -> "EXCEEDS 246%". */
Test(energy, mnist_on_artix7)
{
	struct hb_energy_report r = run(mnist, 2, "artix7", 256, 100);
	cr_assert_eq(r.total_luts, 156094);
	assert_close(r.total_dynamic_power_mw, 27.28145);
	assert_close(r.energy_per_inference_nj, 140.772282);
	struct hb_energy_row row;
	hb_energy_profiler_row(&r, &row);
	cr_assert_str_eq(row.notes, "EXCEEDS 246%");
}

/* Clock override, 64-32-10 on ice40 at 50 MHz: power halves (2.0682 mW), latency doubles
 * (516 / 50e6 = 10.32 us), energy per inference stays 21.343824 nJ. */
Test(energy, clock_override_scales_power_not_energy)
{
	struct hb_energy_report r = run(small, 2, "ice40", 256, 50);
	cr_assert_eq(r.clock_mhz, 50);
	assert_close(r.total_dynamic_power_mw, 2.0682);
	assert_close(r.energy_per_inference_nj, 21.343824);
	struct hb_energy_row row;
	hb_energy_profiler_row(&r, &row);
	assert_close(row.latency_ms, 0.01032);
	assert_close(row.throughput_inf_per_s, 1.0 / 10.32e-6);
}

/* Event-driven 16x8 on ice40: 8*85 + 128 + 640 + 8*floor(log2 16 = 4) = 1480 LUTs,
 * FFs 8*32 + 16*16 = 512, infra 200 + 60 + 100 = 360, total 1840;
 * activity 0.1: 7.2e-7 * 0.1 W per LUT -> 1480 * 7.2e-5 = 0.10656 mW.
 * Without infrastructure the total is the layer's 1480. */
Test(energy, event_driven_and_no_infra)
{
	static const struct hb_layer_shape l[] = {{16, 8}};
	struct hb_energy_opts o = hb_energy_opts_default();
	struct hb_energy_report r;
	o.event_driven = true;
	cr_assert_eq(hb_energy_estimate(l, 1, &o, &r), HB_OK);
	cr_assert_eq(r.layers[0].luts, 1480);
	cr_assert_eq(r.layers[0].ffs, 512);
	cr_assert_eq(r.infra_luts, 360);
	cr_assert_eq(r.total_luts, 1840);
	cr_assert_eq(r.activity, 0.1);
	assert_close(r.total_dynamic_power_mw, 0.10656);
	o.include_infra = false;
	cr_assert_eq(hb_energy_estimate(l, 1, &o, &r), HB_OK);
	cr_assert_eq(r.total_luts, 1480);
	cr_assert_eq(r.infra_luts, 0);
}

/* Edge cases: n_in = 1 uses max(1, floor(log2(max(1, 2)))) = 1 -> 120 + 1 + 40 + 1 = 162 LUTs;
 * exactly 1024 synapses stays in LUTs (BRAM only when > 1024); 1025 goes to BRAM. */
Test(energy, edges_of_mux_and_bram)
{
	struct hb_energy_report r;
	static const struct hb_layer_shape one[] = {{1, 1}};
	r = run(one, 1, "zynq", 1, 100);
	cr_assert_eq(r.layers[0].luts, 162);
	cr_assert_eq(r.total_latency_cycles, 3);
	cr_assert(r.fits_on_target);
	static const struct hb_layer_shape k1024[] = {{32, 32}};
	r = run(k1024, 1, "ice40", 256, 100);
	cr_assert_eq(r.layers[0].bram_bits, 0);
	static const struct hb_layer_shape k1025[] = {{25, 41}};
	r = run(k1025, 1, "ice40", 256, 100);
	cr_assert_eq(r.layers[0].bram_bits, 1025 * 16);
	/* fits is <=: a design of exactly the target's LUTs fits */
	cr_assert_eq(r.total_luts <= 7680, r.fits_on_target);
}

Test(energy, bad_arguments)
{
	hb_log_set_level(HB_LOG_NONE);
	struct hb_energy_opts o = hb_energy_opts_default();
	struct hb_energy_report r;
	o.target = "virtex";
	cr_assert_eq(hb_energy_estimate(mnist, 2, &o, &r), HB_ERR_NOTFOUND);
	o = hb_energy_opts_default();
	cr_assert_eq(hb_energy_estimate(mnist, 0, &o, &r), HB_ERR_ARG);
	o.clock_mhz = 0;
	cr_assert_eq(hb_energy_estimate(mnist, 2, &o, &r), HB_ERR_ARG);
	o.clock_mhz = NAN;
	cr_assert_eq(hb_energy_estimate(mnist, 2, &o, &r), HB_ERR_ARG);
	o = hb_energy_opts_default();
	o.bitstream_length = 0;
	cr_assert_eq(hb_energy_estimate(mnist, 2, &o, &r), HB_ERR_ARG);
	static const struct hb_layer_shape zero[] = {{0, 4}};
	o = hb_energy_opts_default();
	cr_assert_eq(hb_energy_estimate(zero, 1, &o, &r), HB_ERR_ARG);
	hb_log_set_level(HB_LOG_WARN);
}

Test(energy, parse_layer_specs)
{
	struct hb_layer_shape l[8];
	size_t n;
	char err[160];
	cr_assert_eq(hb_energy_parse_layers("784x128,128x10", l, 8, &n, err, sizeof err), HB_OK);
	cr_assert_eq(n, 2);
	cr_assert_eq(l[0].n_in, 784);
	cr_assert_eq(l[0].n_out, 128);
	cr_assert_eq(l[1].n_in, 128);
	cr_assert_eq(l[1].n_out, 10);
	cr_assert_eq(hb_energy_parse_layers("784-128-10", l, 8, &n, err, sizeof err), HB_OK);
	cr_assert_eq(n, 2);
	cr_assert_eq(l[1].n_in, 128);
	cr_assert_eq(l[1].n_out, 10);

	const char *bad[] = {"784x", "x10", "784x128,", "784x0", "784x128;128x10", "", "784",
			     "784--10", "-5x3", "99999999999x2", "784x128,12a8x10"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		cr_assert_eq(hb_energy_parse_layers(bad[i], l, 8, &n, err, sizeof err), HB_ERR_ARG,
			     "'%s' accepted", bad[i]);
		cr_assert(strlen(err) > 0, "no reason for '%s'", bad[i]);
	}
	cr_assert_eq(hb_energy_parse_layers("784x", l, 8, &n, err, sizeof err), HB_ERR_ARG);
	cr_assert(strstr(err, "'784x'"), "reason does not quote the layer: %s", err);
	cr_assert_eq(hb_energy_parse_layers("1x1,1x1,1x1", l, 2, &n, err, sizeof err), HB_ERR_ARG);

	size_t bad_at = 0;
	cr_assert_eq(hb_energy_check_chain(mnist, 2, &bad_at), HB_OK);
	static const struct hb_layer_shape broken[] = {{784, 128}, {128, 64}, {100, 10}};
	cr_assert_eq(hb_energy_check_chain(broken, 3, &bad_at), HB_ERR_MISMATCH);
	cr_assert_eq(bad_at, 2);
}
