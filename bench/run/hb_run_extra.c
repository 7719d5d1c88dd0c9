/* hilbench — calibration, sweep and receipt additions to `hilbench run` (hb_run_extra.h). */
#define LOG_PREFIX "run"
#include "hb_run_extra.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hb_cal.h"
#include "hb_log.h"
#include "hb_receipt.h"
#include "hb_vboard_proc.h"

void hb_run_extra_init(struct hb_run_extra *x)
{
	memset(x, 0, sizeof *x);
}

void hb_run_extra_clock(const struct hb_run_opts *o, struct hb_board *b)
{
	if (!(o->clock_hz > 0) || (b->family != HB_FAMILY_SIM && !o->virtual_board))
		return;
	b->core_clock_hz = (uint64_t)(o->clock_hz + 0.5);
	if (b->uart_baud && o->clock_hz / b->uart_baud < 4)
		b->uart_baud = (uint32_t)(o->clock_hz / 4);
}

void hb_run_extra_scale_inputs(const struct hb_run_opts *o, uint16_t *v, unsigned n)
{
	if (!(o->input_scale > 0) || o->input_scale >= 1)
		return;
	for (unsigned i = 0; i < n; i++)
		v[i] = (uint16_t)((double)v[i] * o->input_scale);
}

void hb_run_extra_window_input(struct hb_run_extra *x, const struct hb_net *net, unsigned lanes,
			       const uint8_t *bits)
{
	x->lanes = lanes;
	x->have_act = hb_activity_infer(net, lanes, bits, &x->act, NULL) == HB_OK;
	if (!x->have_act)
		hb_warn("activity model: network %s at %u lanes not counted", net->name, lanes);
}

int hb_run_extra_calibrated_row(const struct hb_run_extra *x, const struct hb_run_opts *o,
				const char *family, double clock_hz, struct hb_platform_result *row,
				char *err, size_t errlen)
{
	if (!o->calibration_path)
		return 0;
	struct hb_calibration c;
	char e[300];
	if (hb_cal_load(o->calibration_path, &c, e, sizeof e) != HB_OK) {
		snprintf(err, errlen, "--calibration: %s", e);
		return -1;
	}
	if (!x->have_act) {
		snprintf(err, errlen, "--calibration: no activity for this run (the single inferences did not finish)");
		return -1;
	}
	if (c.lanes != x->lanes) {
		snprintf(err, errlen, "--calibration %s was fitted for %u lanes, this gateware has %u", o->calibration_path,
			 c.lanes, x->lanes);
		return -1;
	}
	struct hb_cal_prediction p;
	if (hb_cal_predict(&c, &x->act, clock_hz, &p) != HB_OK) {
		snprintf(err, errlen, "--calibration: cannot predict at %g Hz", clock_hz);
		return -1;
	}
	char plat[32], notes[128];
	snprintf(plat, sizeof plat, "fpga_%.12s (calibrated)", family);
	snprintf(notes, sizeof notes, "+-%.3g nJ (1 sigma); fit of %.40s%s", p.energy_se_nj, c.source,
		 (clock_hz < c.clock_min_hz * 0.999 || clock_hz > c.clock_max_hz * 1.001) ? "; clock outside the fit" : "");
	hb_report_row_set(row, plat, p.latency_ms, p.throughput_inf_per_s, p.power_mw, p.energy_nj,
			  HB_SOURCE_CALIBRATED, notes);
	if (c.board[0] && o->board && strcmp(c.board, o->board) != 0)
		hb_warn("--calibration %s was fitted on board %s, this run is on %s", o->calibration_path, c.board,
			o->board);
	return 1;
}

/* sha256 of the inputs as hilbench generates them (no data file): a description that fixes
 * them (docs/results.md, "Receipts"). */
static void inputs_digest(const struct hb_run_opts *o, const char *net, unsigned samples, char out[65])
{
	char d[256];
	snprintf(d, sizeof d, "hilbench-inputs/1 net=%s seed=%u scale=%.17g samples=%u", net, o->seed,
		 o->input_scale > 0 && o->input_scale < 1 ? o->input_scale : 1.0, samples);
	hb_sha256_hex(d, strlen(d), out);
}

void hb_run_extra_attach(const struct hb_run_extra *x, const struct hb_run_opts *o,
			 const struct hb_run_facts *f, cJSON *run, cJSON *measured)
{
	if (x->have_act) {
		cJSON *a = cJSON_AddObjectToObject(run, "activity");
		cJSON_AddNumberToObject(a, "lanes", x->lanes);
		cJSON_AddNumberToObject(a, "cycles", (double)x->act.cycles);
		cJSON_AddNumberToObject(a, "syn", (double)x->act.syn);
		cJSON_AddNumberToObject(a, "ops", (double)x->act.ops);
		cJSON_AddNumberToObject(a, "wmem", (double)x->act.wmem);
		cJSON_AddNumberToObject(a, "imem", (double)x->act.imem);
		cJSON_AddNumberToObject(a, "lif", (double)x->act.lif);
		cJSON_AddNumberToObject(a, "batch_gap", HB_ACTIVITY_BATCH_GAP);
	}
	if (o->sweep_id > 0)
		cJSON_AddNumberToObject(run, "sweep_id", (double)o->sweep_id);
	cJSON_AddNumberToObject(run, "seed", o->seed);
	cJSON_AddNumberToObject(run, "input_scale", o->input_scale > 0 && o->input_scale < 1 ? o->input_scale : 1.0);
	cJSON_AddNumberToObject(run, "samples", f->samples);
	if (f->fpga_part && *f->fpga_part)
		cJSON_AddStringToObject(run, "fpga_part", f->fpga_part);
	if (f->device_serial && *f->device_serial)
		cJSON_AddStringToObject(run, "device_serial", f->device_serial);
	if (f->measurement_point && *f->measurement_point)
		cJSON_AddStringToObject(run, "measurement_point", f->measurement_point);
	cJSON_AddBoolToObject(run, "simulated", f->simulated);
	char h[65];
	const cJSON *netname = cJSON_GetObjectItemCaseSensitive(run, "net");
	if (f->net_path && hb_sha256_file(f->net_path, h) == HB_OK)
		cJSON_AddStringToObject(run, "net_sha256", h);
	if (x->data_file[0]) {
		cJSON_AddStringToObject(run, "data_file", x->data_file);
		if (hb_sha256_file(x->data_file, h) == HB_OK)
			cJSON_AddStringToObject(run, "data_sha256", h);
	} else {
		inputs_digest(o, cJSON_IsString(netname) ? netname->valuestring : "", f->samples, h);
		cJSON_AddStringToObject(run, "data_sha256", h);
	}
	/* what executed: the bitstream flashed, or (simulated) the simulator */
	if (!f->simulated && f->bitstream && f->bitstream[0]) {
		if (hb_sha256_file(f->bitstream, h) == HB_OK) {
			cJSON_AddStringToObject(run, "image_sha256", h);
			cJSON_AddStringToObject(run, "image_kind", "bitstream");
		}
	} else if (f->simulated) {
		char exe[1024] = "";
		if (f->vboard_exe)
			snprintf(exe, sizeof exe, "%s", f->vboard_exe);
		else if (hb_vboard_find_exe(exe, sizeof exe) != HB_OK)
			exe[0] = '\0';
		if (exe[0] && hb_sha256_file(exe, h) == HB_OK) {
			cJSON_AddStringToObject(run, "image_sha256", h);
			cJSON_AddStringToObject(run, "image_kind", "binary");
		}
	}
	if (measured) {
		cJSON *lat = cJSON_GetObjectItemCaseSensitive(measured, "latency_host_ms");
		if (lat && f->rtt_ms && f->n_rtt)
			cJSON_AddItemToObject(lat, "samples", cJSON_CreateDoubleArray(f->rtt_ms, (int)f->n_rtt));
		cJSON_AddNumberToObject(measured, "labelled", f->labelled);
		cJSON_AddNumberToObject(measured, "correct", f->correct);
		cJSON_AddNumberToObject(measured, "singles_checked", f->singles_checked);
		cJSON_AddNumberToObject(measured, "singles_mismatched", f->singles_mismatched);
		if (isfinite(f->power_sample_rate_hz))
			cJSON_AddNumberToObject(measured, "power_sample_rate_hz", f->power_sample_rate_hz);
	}
}

enum hb_status hb_run_extra_receipt(const struct hb_run_opts *o, const cJSON *doc, char *err, size_t errlen)
{
	if (!o->receipt_path)
		return HB_OK;
	struct hb_receipt_info info;
	hb_receipt_info_default(&info);
	if (o->receipt_info) {
		enum hb_status st = hb_receipt_info_load(o->receipt_info, &info, err, errlen);
		if (st != HB_OK)
			return st;
	}
	const cJSON *docs[1] = {doc};
	return hb_receipt_write_file(o->receipt_path, docs, 1, &info, err, errlen);
}
