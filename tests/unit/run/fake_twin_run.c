#include "fake_twin_run.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hb_db.h"
#include "hb_energy_model.h"
#include "hb_report.h"

enum hb_status fake_twin_run(const struct hb_run_opts *o, char *err, size_t errlen, void *user)
{
	struct fake_run *f = user;
	f->calls++;
	if (f->interrupt_after && f->calls > f->interrupt_after && f->interrupted) {
		*f->interrupted = 1;
		return HB_ERR_INTERRUPTED;
	}
	struct hb_net net;
	char e[256];
	if (hb_net_load(o->net, &net, e, sizeof e) != HB_OK) {
		snprintf(err, errlen, "network %s: %s", o->net, e);
		return HB_ERR_ARG;
	}
	if (f->fail_net && strstr(net.name, f->fail_net)) {
		snprintf(err, errlen, "the board stopped answering (fake)");
		hb_net_free(&net);
		return HB_ERR_TIMEOUT;
	}
	if (o->L)
		net.L = o->L;
	double clock = o->clock_hz > 0 ? o->clock_hz : 1e6;
	struct hb_activity a;
	if (cal_twin_activity(&net, 32, o->seed, o->input_scale > 0 ? o->input_scale : 1.0, &a) != 0) {
		snprintf(err, errlen, "activity failed");
		hb_net_free(&net);
		return HB_ERR;
	}
	struct hb_cal_obs idle, pt;
	cal_twin_idle(&f->tw, net.name, net.L, clock, f->t_s + o->baseline_s, o->baseline_s, &idle);
	cal_twin_point(&f->tw, net.name, net.L, clock, &a, o->windows, o->window_s, f->t_s + o->baseline_s + 0.2,
		       0.01, &pt);
	f->t_s += o->baseline_s + o->windows * (o->window_s + 0.01) + 3;

	/* the analytic model's row, as hb_run makes it */
	struct hb_layer_shape sh[HB_MODEL_MAX_LAYERS];
	for (unsigned k = 0; k < net.n_layers; k++)
		sh[k] = (struct hb_layer_shape){net.layers[k].n_in, net.layers[k].n_out};
	struct hb_energy_opts eo = hb_energy_opts_default();
	eo.bitstream_length = net.L;
	eo.clock_mhz = clock / 1e6;
	struct hb_energy_report er;
	hb_energy_estimate(sh, net.n_layers, &eo, &er);
	struct hb_energy_row row;
	hb_energy_profiler_row(&er, &row);
	struct hb_platform_result rows[2];
	hb_report_row_set(&rows[0], "fpga_sim (measured)", pt.x.cycles / clock * 1e3, clock / pt.x.cycles, pt.power_mw,
			  pt.energy_nj, HB_SOURCE_MEASURED, "fake");
	hb_report_row_set(&rows[1], "fpga_ice40 (modeled)", row.latency_ms, row.throughput_inf_per_s, row.power_mw,
			  row.energy_per_inf_nj, HB_SOURCE_MODELED, row.notes);
	cJSON *doc = hb_report_json_new(rows, 2);
	cJSON *run = cJSON_CreateObject();
	cJSON_AddStringToObject(run, "status", "complete");
	cJSON_AddStringToObject(run, "board", "sim");
	cJSON_AddStringToObject(run, "family", "sim");
	cJSON_AddStringToObject(run, "net", net.name);
	cJSON_AddStringToObject(run, "net_file", o->net);
	cJSON_AddNumberToObject(run, "L", net.L);
	cJSON *ac = cJSON_AddObjectToObject(run, "activity");
	cJSON_AddNumberToObject(ac, "lanes", 32);
	cJSON_AddNumberToObject(ac, "cycles", (double)a.cycles);
	cJSON_AddNumberToObject(ac, "syn", (double)a.syn);
	cJSON_AddNumberToObject(ac, "ops", (double)a.ops);
	cJSON_AddNumberToObject(ac, "wmem", (double)a.wmem);
	cJSON_AddNumberToObject(ac, "imem", (double)a.imem);
	cJSON_AddNumberToObject(ac, "lif", (double)a.lif);
	cJSON_AddNumberToObject(ac, "batch_gap", HB_ACTIVITY_BATCH_GAP);
	cJSON_AddNumberToObject(run, "sweep_id", (double)o->sweep_id);
	hb_report_json_attach(doc, "run", run);
	cJSON *m = cJSON_CreateObject();
	cJSON_AddNumberToObject(m, "latency_cycles", (double)a.cycles);
	cJSON_AddNumberToObject(m, "clock_hz", clock);
	cJSON *ws = cJSON_AddArrayToObject(m, "windows");
	for (unsigned w = 0; w < o->windows; w++) { /* the median window's figures, spread by its SE */
		double d = (w - (o->windows - 1) / 2.0) * pt.energy_se_nj;
		cJSON *x = cJSON_CreateObject();
		double n = 100;
		cJSON_AddNumberToObject(x, "inferences", n);
		cJSON_AddNumberToObject(x, "device_s", n * pt.x.cycles / clock);
		cJSON_AddNumberToObject(x, "latency_cycles", (double)a.cycles);
		cJSON_AddNumberToObject(x, "energy_total_nj", pt.energy_nj + d);
		cJSON_AddNumberToObject(x, "p_active_mw", pt.power_mw + d / pt.x.t_s / 1e6);
		cJSON_AddNumberToObject(x, "energy_dynamic_nj", pt.energy_nj + d - idle.power_mw * pt.x.t_s * 1e6);
		cJSON_AddItemToArray(ws, x);
	}
	cJSON_AddNumberToObject(m, "p_idle_mw", idle.power_mw);
	cJSON_AddNumberToObject(m, "energy_total_nj", pt.energy_nj);
	hb_report_json_attach(doc, "measured", m);
	char *js = cJSON_PrintUnformatted(doc);
	struct hb_db *db;
	enum hb_status st = hb_db_open(o->db_path, &db);
	char when[40];
	hb_db_iso8601(time(NULL), when, sizeof when);
	struct hb_db_run dr = {.started_at = when, .finished_at = when, .status = HB_RUN_COMPLETE, .board = "sim",
			       .net = net.name, .command_line = "fake", .result_json = js, .sweep_id = o->sweep_id};
	if (st == HB_OK) {
		st = hb_db_append_run(db, &dr, rows, 2);
		hb_db_close(db);
	}
	if (st == HB_OK && o->run_id)
		*o->run_id = dr.id;
	free(js);
	cJSON_Delete(doc);
	hb_net_free(&net);
	return st;
}
