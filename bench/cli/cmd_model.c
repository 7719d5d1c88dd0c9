/* hilbench model — SC-NeuroCore's analytic FPGA estimate for a network, no board needed. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "hb_activity.h"
#include "hb_cal.h"
#include "hb_cli.h"
#include "hb_energy_model.h"
#include "hb_model.h"
#include "hb_paths.h"
#include "hb_report.h"

#define CMD "model"

static void usage(FILE *f)
{
	char names[96];
	hb_energy_target_names(names, sizeof names);
	fprintf(f,
		"Usage: hilbench model --layers SPEC [options]\n"
		"       hilbench model --net NET [--calibration FILE] [options]\n"
		"\n"
		"Print SC-NeuroCore's analytic FPGA estimate (energy.estimate) for a network:\n"
		"LUTs, FFs, BRAM, dynamic power, latency, throughput, energy per inference and\n"
		"whether it fits, plus the profiler row it turns into. Nothing is measured.\n"
		"\n"
		"Options:\n"
		"  -l, --layers SPEC    layer sizes N_INxN_OUT,... (784x128,128x10) or a chain of\n"
		"                       widths (784-128-10); consecutive layers must chain\n"
		"  -L, --length L       bitstream length (cycles per layer = L + 2; default 256)\n"
		"  -t, --target NAME    FPGA target: %s (default ice40)\n"
		"  -c, --clock-mhz F    clock in MHz (default 100, as the profiler)\n"
		"  -e, --event-driven   event-driven neurons and AER (activity 0.1)\n"
		"      --no-infra       leave out the AXI-Lite (and AER) infrastructure LUTs\n"
		"  -n, --net NET        a network (digits, mnist-shape or a file): its layer sizes and, with\n"
		"                       --calibration, its activity (synaptic events need weights and inputs)\n"
		"      --calibration FILE  add the calibrated prediction of a board's fitted energy model\n"
		"                       (hilbench calibrate): exact latency, energy and power with errors\n"
		"      --seed N         inputs for the activity: seeded random values (default 1; the\n"
		"                       digits network uses its first held-out sample)\n"
		"      --input-scale S  scale those input values by S in (0, 1]\n"
		"  -j, --json           print the estimate as JSON\n"
		"  -h, --help           this help\n"
		"\n"
		"Example:\n"
		"  hilbench model --layers 784x128,128x10 --length 256 --target ice40\n"
		"  (156,094 LUTs: the model assumes a fully unrolled network, 20x an iCE40)\n"
		"  hilbench model --net digits --calibration sim.cal.json --clock-mhz 1\n",
		names);
}

/* 1234567 -> "1,234,567" */
static const char *thousands(unsigned long long v, char *buf, size_t size)
{
	char raw[32];
	int len = snprintf(raw, sizeof raw, "%llu", v);
	size_t o = 0;
	for (int i = 0; i < len && o + 2 < size; i++) {
		if (i && (len - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = raw[i];
	}
	buf[o] = '\0';
	return buf;
}

static void print_text(const struct hb_energy_report *r, const struct hb_energy_row *row,
		       const struct hb_energy_opts *o)
{
	const struct hb_fpga_target *t = r->target;
	char a[32], b[32], c[32];
	printf("SC-NeuroCore analytic model: %s (%s), L = %u, %g MHz, %s, activity %g\n", t->name,
	       t->part, o->bitstream_length, r->clock_mhz,
	       o->event_driven ? "event-driven" : "clock-driven", r->activity);
	for (size_t i = 0; i < r->n_layers; i++) {
		const struct hb_layer_estimate *l = &r->layers[i];
		printf("  layer_%zu: %u -> %u  %s LUTs  %s FFs  %s BRAM bits  %llu cycles  %.2f mW\n",
		       i, l->n_in, l->n_out, thousands(l->luts, a, sizeof a),
		       thousands(l->ffs, b, sizeof b), thousands(l->bram_bits, c, sizeof c),
		       (unsigned long long)l->latency_cycles, l->dynamic_power_mw);
	}
	printf("  infrastructure: %llu LUTs\n\n", (unsigned long long)r->infra_luts);
	printf("  LUTs:            %s of %s (%.1f%%)\n", thousands(r->total_luts, a, sizeof a),
	       thousands(t->total_luts, b, sizeof b), r->utilization_pct);
	printf("  FFs:             %s\n", thousands(r->total_ffs, a, sizeof a));
	printf("  BRAM:            %.1f kB (target has %u kB)\n", r->total_bram_kb, t->total_bram_kb);
	printf("  dynamic power:   %.2f mW (no static power in the model)\n",
	       r->total_dynamic_power_mw);
	printf("  latency:         %s cycles = %.6g ms\n",
	       thousands(r->total_latency_cycles, a, sizeof a), row->latency_ms);
	printf("  throughput:      %.1f inferences/s\n", row->throughput_inf_per_s);
	printf("  energy/inf:      %.2f nJ\n", r->energy_per_inference_nj);
	printf("  fits:            %s\n",
	       r->fits_on_target ? "yes" : "NO, exceeds the LUT budget");
	if (r->clock_mhz > t->max_freq_mhz)
		printf("  note:            %g MHz is above the target's typical maximum %g MHz\n",
		       r->clock_mhz, t->max_freq_mhz);
	printf("\nProfiler row (platform_profiler.py format_table):\n");
	struct hb_platform_result pr;
	hb_report_row_set(&pr, row->platform, row->latency_ms, row->throughput_inf_per_s,
			  row->power_mw, row->energy_per_inf_nj, HB_SOURCE_MODELED, row->notes);
	hb_report_format_table(stdout, &pr, 1, HB_TABLE_PROFILER);
}

/* numbers that read back exactly (see hb_report_json_number) */
static void add_num(cJSON *o, const char *key, double x)
{
	cJSON_AddItemToObject(o, key, hb_report_json_number(x));
}

static cJSON *report_json(const struct hb_energy_report *r, const struct hb_energy_row *row,
			  const struct hb_energy_opts *o)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "target", r->target->name);
	cJSON_AddStringToObject(j, "part", r->target->part);
	add_num(j, "bitstream_length", o->bitstream_length);
	add_num(j, "clock_mhz", r->clock_mhz);
	cJSON_AddBoolToObject(j, "event_driven", o->event_driven);
	add_num(j, "activity", r->activity);
	cJSON *layers = cJSON_AddArrayToObject(j, "layers");
	for (size_t i = 0; i < r->n_layers; i++) {
		const struct hb_layer_estimate *l = &r->layers[i];
		cJSON *x = cJSON_CreateObject();
		add_num(x, "n_inputs", l->n_in);
		add_num(x, "n_neurons", l->n_out);
		add_num(x, "n_synapses", (double)l->n_synapses);
		add_num(x, "luts", (double)l->luts);
		add_num(x, "ffs", (double)l->ffs);
		add_num(x, "bram_bits", (double)l->bram_bits);
		add_num(x, "dynamic_power_mw", l->dynamic_power_mw);
		add_num(x, "latency_cycles", (double)l->latency_cycles);
		cJSON_AddItemToArray(layers, x);
	}
	add_num(j, "infra_luts", (double)r->infra_luts);
	add_num(j, "total_luts", (double)r->total_luts);
	add_num(j, "total_ffs", (double)r->total_ffs);
	add_num(j, "total_bram_kb", r->total_bram_kb);
	add_num(j, "total_dynamic_power_mw", r->total_dynamic_power_mw);
	add_num(j, "total_latency_cycles", (double)r->total_latency_cycles);
	add_num(j, "latency_ms", row->latency_ms);
	add_num(j, "throughput_inf_per_s", row->throughput_inf_per_s);
	add_num(j, "energy_per_inference_nj", r->energy_per_inference_nj);
	cJSON_AddBoolToObject(j, "fits_on_target", r->fits_on_target);
	add_num(j, "utilization_pct", r->utilization_pct);
	struct hb_platform_result pr;
	hb_report_row_set(&pr, row->platform, row->latency_ms, row->throughput_inf_per_s,
			  row->power_mw, row->energy_per_inf_nj, HB_SOURCE_MODELED, row->notes);
	cJSON_AddItemToObject(j, "row", hb_report_row_to_json(&pr));
	return j;
}

/* Input values for the activity: the digits network's first held-out sample, or seeded
 * random values (xorshift32), scaled. */
static int activity_inputs(const struct hb_net *net, uint32_t seed, double scale, uint16_t *v)
{
	unsigned n = hb_net_inputs(net);
	if (n == HB_DIGITS_PIXELS && strncmp(net->name, "digits", 6) == 0) {
		char p[1024], e[256];
		struct hb_digits d;
		snprintf(p, sizeof p, "%s/tests/data/digits/digits.csv", hb_data_dir());
		if (hb_digits_load(p, &d, e, sizeof e) == HB_OK && d.n_test > 0) {
			hb_digits_values(&d, d.test_idx[0], v);
			hb_digits_free(&d);
			for (unsigned i = 0; i < n; i++)
				v[i] = (uint16_t)(v[i] * scale);
			return 1;
		}
	}
	uint32_t x = seed * 2654435761u + 40503u + 1u;
	for (unsigned i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		v[i] = (uint16_t)((double)(uint16_t)(x >> 8) * scale);
	}
	return 0;
}

int hb_cmd_model(struct hb_global *g, int argc, char **argv)
{
	(void)g;
	static const struct option opts[] = {
		{"layers", required_argument, 0, 'l'},
		{"length", required_argument, 0, 'L'},
		{"target", required_argument, 0, 't'},
		{"clock-mhz", required_argument, 0, 'c'},
		{"event-driven", no_argument, 0, 'e'},
		{"no-infra", no_argument, 0, 'I'},
		{"json", no_argument, 0, 'j'},
		{"net", required_argument, 0, 'n'},
		{"calibration", required_argument, 0, 1001},
		{"seed", required_argument, 0, 1002},
		{"input-scale", required_argument, 0, 1003},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	struct hb_energy_opts o = hb_energy_opts_default();
	const char *spec = NULL, *net_arg = NULL, *cal_path = NULL;
	bool json = false, length_given = false, clock_given = false;
	uint32_t seed = 1;
	double scale = 1.0;
	int c;
	while ((c = getopt_long(argc, argv, "l:L:t:c:n:ejh", opts, NULL)) != -1) {
		switch (c) {
		case 'l': spec = optarg; break;
		case 'L': {
			char *end;
			errno = 0;
			unsigned long v = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg || v == 0 || v > 1000000000ul ||
			    optarg[0] == '-')
				return hb_usage_error(CMD, "--length '%s': expected a positive integer",
						      optarg);
			o.bitstream_length = (uint32_t)v;
			length_given = true;
			break;
		}
		case 't': o.target = optarg; break;
		case 'c': {
			char *end;
			errno = 0;
			double v = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(v > 0) || !isfinite(v))
				return hb_usage_error(CMD, "--clock-mhz '%s': expected a positive number "
						      "of MHz", optarg);
			o.clock_mhz = v;
			clock_given = true;
			break;
		}
		case 'e': o.event_driven = true; break;
		case 'I': o.include_infra = false; break;
		case 'j': json = true; break;
		case 'n': net_arg = optarg; break;
		case 1001: cal_path = optarg; break;
		case 1002: {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			if (*optarg == '\0' || *end || optarg[0] == '-' || v > 0xFFFFFFFFul)
				return hb_usage_error(CMD, "--seed '%s': a whole number", optarg);
			seed = (uint32_t)v;
			break;
		}
		case 1003: {
			char *end;
			double v = strtod(optarg, &end);
			if (*optarg == '\0' || *end || !(v > 0) || v > 1)
				return hb_usage_error(CMD, "--input-scale '%s': a scale in (0, 1]", optarg);
			scale = v;
			break;
		}
		case 'h': usage(stdout); return HB_EXIT_OK;
		default: return hb_usage_error(CMD, "unknown option");
		}
	}
	if (optind < argc)
		return hb_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
	if (cal_path && !net_arg)
		return hb_usage_error(CMD, "--calibration needs --net NET: synaptic events depend on the weights and inputs");
	struct hb_net net;
	bool have_net = false;
	char net_spec[64 * HB_MODEL_MAX_LAYERS];
	if (net_arg) {
		char path[1024], e[256];
		if (strchr(net_arg, '/') || strstr(net_arg, ".json"))
			snprintf(path, sizeof path, "%s", net_arg);
		else
			snprintf(path, sizeof path, "%s/gateware/model/nets/%s.json", hb_data_dir(), net_arg);
		if (hb_net_load(path, &net, e, sizeof e) != HB_OK)
			return hb_usage_error(CMD, "--net %s: %s", net_arg, e);
		have_net = true;
		if (length_given)
			net.L = o.bitstream_length;
		else
			o.bitstream_length = net.L;
		if (!spec) {
			size_t k = (size_t)snprintf(net_spec, sizeof net_spec, "%u", net.layers[0].n_in);
			for (unsigned l = 0; l < net.n_layers && k < sizeof net_spec; l++)
				k += (size_t)snprintf(net_spec + k, sizeof net_spec - k, "-%u", net.layers[l].n_out);
			spec = net_spec;
		}
	}
	if (!spec)
		return hb_usage_error(CMD, "--layers is required (e.g. --layers 784x128,128x10), or --net NET");
	if (!hb_energy_target_find(o.target)) {
		char names[96];
		hb_energy_target_names(names, sizeof names);
		return hb_usage_error(CMD, "--target '%s': unknown target; known targets: %s",
				      o.target, names);
	}

	struct hb_layer_shape layers[HB_ENERGY_MAX_LAYERS];
	size_t n;
	char err[200];
	if (hb_energy_parse_layers(spec, layers, HB_ENERGY_MAX_LAYERS, &n, err, sizeof err) != HB_OK)
		return hb_usage_error(CMD, "--layers: %s", err);
	size_t bad;
	if (hb_energy_check_chain(layers, n, &bad) != HB_OK)
		return hb_usage_error(CMD,
				      "--layers: layer %zu (%ux%u) has %u inputs but layer %zu has "
				      "%u outputs; consecutive layers must chain",
				      bad + 1, layers[bad].n_in, layers[bad].n_out, layers[bad].n_in,
				      bad, layers[bad - 1].n_out);

	struct hb_energy_report r;
	enum hb_status st = hb_energy_estimate(layers, n, &o, &r);
	if (st != HB_OK)
		return st == HB_ERR_ARG || st == HB_ERR_NOTFOUND
			       ? hb_usage_error(CMD, "%s", hb_strerror(st))
			       : hb_fail(CMD, "estimate failed: %s", hb_strerror(st));
	struct hb_energy_row row;
	hb_energy_profiler_row(&r, &row);

	/* The calibrated prediction: the fitted energy model on this network's activity. */
	struct hb_calibration cal;
	struct hb_cal_prediction pred;
	struct hb_activity act;
	bool have_cal = false;
	if (cal_path) {
		char e[400];
		if (hb_cal_load(cal_path, &cal, e, sizeof e) != HB_OK) {
			hb_net_free(&net);
			return hb_usage_error(CMD, "--calibration: %s", e);
		}
		if (!clock_given && cal.clock_min_hz > 0) /* the board's clock, not the profiler's 100 MHz */
			o.clock_mhz = cal.clock_max_hz / 1e6;
		uint16_t *vals = malloc(sizeof *vals * hb_net_inputs(&net));
		uint8_t *bits = malloc(hb_model_input_bytes(&net));
		enum hb_status ast = HB_ERR_NOMEM;
		if (vals && bits) {
			activity_inputs(&net, seed, scale, vals);
			ast = hb_model_encode(&net, vals, bits);
			if (ast == HB_OK)
				ast = hb_activity_infer(&net, cal.lanes, bits, &act, NULL);
		}
		free(vals);
		free(bits);
		if (ast != HB_OK) {
			hb_net_free(&net);
			return hb_usage_error(CMD, "--calibration: network %s cannot run on %u lanes (L = %u must be a "
						   "multiple of the lanes)", net.name, cal.lanes, net.L);
		}
		hb_cal_predict(&cal, &act, o.clock_mhz * 1e6, &pred);
		have_cal = true;
		/* the analytic row at the same clock, for a like-for-like table */
		st = hb_energy_estimate(layers, n, &o, &r);
		hb_energy_profiler_row(&r, &row);
	}
	if (have_net)
		hb_net_free(&net);
	struct hb_platform_result cal_row;
	if (have_cal) {
		char plat[32], notes[128];
		snprintf(plat, sizeof plat, "fpga_%.12s (calibrated)", cal.family);
		snprintf(notes, sizeof notes, "+-%.3g nJ (1 sigma); board %.24s, %.40s", pred.energy_se_nj, cal.board,
			 cal.source);
		hb_report_row_set(&cal_row, plat, pred.latency_ms, pred.throughput_inf_per_s, pred.power_mw, pred.energy_nj,
				  HB_SOURCE_CALIBRATED, notes);
	}
	if (json) {
		cJSON *j = report_json(&r, &row, &o);
		if (have_cal) {
			cJSON *cj = cJSON_AddObjectToObject(j, "calibrated");
			cJSON_AddStringToObject(cj, "calibration", cal_path);
			cJSON_AddStringToObject(cj, "board", cal.board);
			add_num(cj, "lanes", cal.lanes);
			add_num(cj, "clock_mhz", o.clock_mhz);
			add_num(cj, "latency_cycles", pred.latency_cycles);
			add_num(cj, "latency_ms", pred.latency_ms);
			add_num(cj, "window_cycles", pred.window_cycles);
			add_num(cj, "energy_per_inf_nj", pred.energy_nj);
			add_num(cj, "energy_stderr_nj", pred.energy_se_nj);
			add_num(cj, "power_mw", pred.power_mw);
			add_num(cj, "power_stderr_mw", pred.power_se_mw);
			add_num(cj, "dynamic_energy_nj", pred.dynamic_nj);
			cJSON *a = cJSON_AddObjectToObject(cj, "activity");
			add_num(a, "syn", (double)act.syn);
			add_num(a, "ops", (double)act.ops);
			add_num(a, "wmem", (double)act.wmem);
			add_num(a, "imem", (double)act.imem);
			add_num(a, "lif", (double)act.lif);
			cJSON_AddItemToObject(cj, "row", hb_report_row_to_json(&cal_row));
		}
		if (!j || hb_report_json_write(stdout, j) != HB_OK) {
			cJSON_Delete(j);
			return hb_fail(CMD, "cannot write JSON");
		}
		cJSON_Delete(j);
	} else {
		print_text(&r, &row, &o);
		if (have_cal) {
			printf("\nCalibrated (%s: board %s, %u lanes, fitted %s from %s):\n", cal_path, cal.board, cal.lanes,
			       cal.created_at, cal.source);
			printf("  latency:         %.0f cycles = %.6g ms at %g MHz (exact: the engine's schedule)\n",
			       pred.latency_cycles, pred.latency_ms, o.clock_mhz);
			printf("  energy/inf:      %.6g nJ +- %.3g (BATCH, %.0f cycles each), of which %.6g nJ dynamic\n",
			       pred.energy_nj, pred.energy_se_nj, pred.window_cycles, pred.dynamic_nj);
			printf("  power:           %.6g mW +- %.3g\n", pred.power_mw, pred.power_se_mw);
			printf("  activity:        %llu synaptic events, %llu synapse-steps, %llu weight reads, %llu "
			       "input/spike accesses, %llu neuron updates\n",
			       (unsigned long long)act.syn, (unsigned long long)act.ops, (unsigned long long)act.wmem,
			       (unsigned long long)act.imem, (unsigned long long)act.lif);
			if (o.clock_mhz * 1e6 < cal.clock_min_hz * 0.999 || o.clock_mhz * 1e6 > cal.clock_max_hz * 1.001)
				printf("  note:            %g MHz is outside the calibrated clocks (%g..%g MHz)\n", o.clock_mhz,
				       cal.clock_min_hz / 1e6, cal.clock_max_hz / 1e6);
			struct hb_platform_result rows[2];
			hb_report_row_set(&rows[0], row.platform, row.latency_ms, row.throughput_inf_per_s, row.power_mw,
					  row.energy_per_inf_nj, HB_SOURCE_MODELED, row.notes);
			rows[1] = cal_row;
			hb_report_sort(rows, 2);
			printf("\n");
			hb_report_format_table(stdout, rows, 2, HB_TABLE_DEFAULT);
		}
	}
	return HB_EXIT_OK;
}
