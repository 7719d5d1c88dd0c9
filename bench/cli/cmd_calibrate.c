/* hilbench calibrate — fit the bench's energy model and SC-NeuroCore's form to a sweep (or to
 * points measured elsewhere), validate on held-out networks and clocks, write the calibration
 * file and DB record, export SC-NeuroCore's target entry, draw the plots. docs/calibration.md. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hb_board.h"
#include "hb_cal.h"
#include "hb_cli.h"
#include "hb_db.h"
#include "hb_energy_model.h"
#include "hb_gnuplot.h"
#include "hb_paths.h"

#define CMD "calibrate"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: hilbench calibrate --sweep ID [options]\n"
		"       hilbench calibrate --points FILE.csv [options]\n"
		"       hilbench calibrate --calibration FILE --export sc-neurocore OUT\n"
		"\n"
		"Fit the board's energy model (static power, energy per clock cycle and per event, each\n"
		"with a standard error) and SC-NeuroCore's form (C_eff per LUT + static power, with the\n"
		"design's real LUT count) to the points of a sweep (hilbench sweep) or of a CSV file, by\n"
		"weighted least squares (GSL). Reports held-out errors (each network left out in turn,\n"
		"each clock left out in turn) beside the uncalibrated analytic model's, writes the\n"
		"calibration file and stores it in the database. docs/calibration.md has the method\n"
		"and the formats.\n"
		"\n"
		"Options:\n"
		"      --sweep ID          the points of a stored sweep (its completed runs)\n"
		"      --points FILE       points from a CSV file (clock_mhz and power_mw or energy_nj\n"
		"                          at least; missing columns leave their terms out)\n"
		"      --calibration FILE  an existing calibration (with --export)\n"
		"  -o, --output FILE       calibration file to write (default calibration-sweep<ID>.json,\n"
		"                          or calibration-points.json)\n"
		"      --export sc-neurocore FILE\n"
		"                          write SC-NeuroCore's fpga_models target entry (+ static term)\n"
		"      --report FILE       the build's report.json (real LUT count, device capacity);\n"
		"                          default build/gateware/<board>/report.json\n"
		"      --luts N            the design's LUT count instead of a report\n"
		"      --voltage V         core voltage for SC-NeuroCore's form (default: its target's)\n"
		"      --activity A        activity factor for SC-NeuroCore's form (default 0.5, as it uses)\n"
		"      --board NAME        board of a --points file (default sim)\n"
		"      --lanes P           engine lanes of a --points file (default 32)\n"
		"      --plot FILE         measured vs predicted and residuals vs clock and activity\n"
		"                          (.svg or .png; gnuplot)\n"
		"      --db PATH           the run database\n"
		"      --no-db             do not store the calibration in the database\n"
		"  -q, --quiet             only errors\n"
		"  -h, --help              this help\n"
		"\n"
		"Examples:\n"
		"  hilbench sweep --board sim --plan docs/examples/sweep-sim.ini\n"
		"  hilbench calibrate --sweep 3 -o sim.cal.json --plot fit.svg\n"
		"  hilbench calibrate --points meter.csv --board icebreaker --luts 3480\n"
		"  hilbench calibrate --calibration sim.cal.json --export sc-neurocore ice40_sim.json\n"
		"  hilbench model --net digits --calibration sim.cal.json\n");
}

/* report.json of a board's build: luts, capacity, fmax. */
struct build_report {
	bool have;
	double luts, cap_luts, cap_bram, cap_dsp, fmax_mhz;
	char bram_unit[32], path[1024];
};

static void read_report(const char *path, struct build_report *r)
{
	memset(r, 0, sizeof *r);
	r->fmax_mhz = NAN;
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	char buf[16384];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	cJSON *d = cJSON_Parse(buf);
	if (!d)
		return;
	const cJSON *l = cJSON_GetObjectItemCaseSensitive(d, "luts");
	const cJSON *cap = cJSON_GetObjectItemCaseSensitive(d, "capacity");
	if (cJSON_IsNumber(l) && l->valuedouble > 0) {
		r->have = true;
		r->luts = l->valuedouble;
		snprintf(r->path, sizeof r->path, "%s", path);
		const cJSON *x;
		if ((x = cJSON_GetObjectItemCaseSensitive(cap, "luts")) && cJSON_IsNumber(x))
			r->cap_luts = x->valuedouble;
		if ((x = cJSON_GetObjectItemCaseSensitive(cap, "bram")) && cJSON_IsNumber(x))
			r->cap_bram = x->valuedouble;
		if ((x = cJSON_GetObjectItemCaseSensitive(cap, "dsp")) && cJSON_IsNumber(x))
			r->cap_dsp = x->valuedouble;
		if ((x = cJSON_GetObjectItemCaseSensitive(d, "fmax_mhz")) && cJSON_IsNumber(x))
			r->fmax_mhz = x->valuedouble;
		if ((x = cJSON_GetObjectItemCaseSensitive(d, "bram_unit")) && cJSON_IsString(x))
			snprintf(r->bram_unit, sizeof r->bram_unit, "%s", x->valuestring);
	}
	cJSON_Delete(d);
}

/* The SC-NeuroCore target that stands for a family (the virtual board stands in for an iCE40). */
static const struct hb_fpga_target *sc_target(const char *family)
{
	if (!family || !strcmp(family, "sim"))
		return hb_energy_target_find("ice40");
	const struct hb_fpga_target *t = hb_energy_target_find(family);
	return t ? t : hb_energy_target_find("ice40");
}

static const char *build_dir_of(const char *family)
{
	if (!family || !strcmp(family, "sim") || !strcmp(family, "ice40"))
		return "icebreaker";
	return !strcmp(family, "ecp5") ? "ulx3s" : "arty";
}

/* ---- gathering the points of a sweep ---------------------------------------------------------- */

static int gather_sweep(struct hb_db *db, int64_t id, struct hb_cal_obs **obs, size_t *n, char *board,
			size_t bcap, char *family, size_t fcap, unsigned *lanes, bool quiet)
{
	struct hb_db_sweep sw;
	enum hb_status st = hb_db_sweep_get(db, id, &sw);
	if (st == HB_ERR_NOTFOUND)
		return hb_usage_error(CMD, "--sweep %lld: no such sweep (see 'hilbench sweep --list')", (long long)id);
	if (st != HB_OK)
		return hb_fail(CMD, "cannot read sweep %lld: %s", (long long)id, hb_strerror(st));
	snprintf(board, bcap, "%s", sw.board ? sw.board : "");
	*obs = calloc(2 * (sw.n_points ? sw.n_points : 1), sizeof **obs);
	*n = 0;
	size_t skipped = 0;
	for (size_t i = 0; *obs && i < sw.n_points; i++) {
		const struct hb_db_point *p = &sw.points[i];
		if (p->status != HB_POINT_DONE || p->run_id <= 0) {
			skipped++;
			continue;
		}
		struct hb_db_run r;
		if (hb_db_get(db, p->run_id, &r) != HB_OK) {
			skipped++;
			continue;
		}
		cJSON *doc = r.result_json ? cJSON_Parse(r.result_json) : NULL;
		char why[256] = "";
		bool has_idle = false;
		struct hb_cal_obs a, idle;
		if (doc && hb_cal_obs_from_result(doc, p->run_id, &a, &idle, &has_idle, why, sizeof why) == HB_OK) {
			(*obs)[(*n)++] = a;
			if (has_idle)
				(*obs)[(*n)++] = idle;
			const cJSON *run = cJSON_GetObjectItemCaseSensitive(doc, "run");
			const cJSON *fam = cJSON_GetObjectItemCaseSensitive(run, "family");
			const cJSON *act = cJSON_GetObjectItemCaseSensitive(run, "activity");
			const cJSON *ln = cJSON_GetObjectItemCaseSensitive(act, "lanes");
			if (cJSON_IsString(fam))
				snprintf(family, fcap, "%s", fam->valuestring);
			if (cJSON_IsNumber(ln))
				*lanes = (unsigned)ln->valuedouble;
		} else {
			skipped++;
			if (!quiet)
				fprintf(stderr, "hilbench calibrate: point %zu (run %lld) left out: %s\n", i + 1,
					(long long)p->run_id, doc ? why : "result not JSON");
		}
		cJSON_Delete(doc);
		hb_db_run_free(&r);
	}
	if (!quiet && skipped)
		fprintf(stderr, "hilbench calibrate: %zu of %zu points of sweep %lld not used (not measured or failed)\n",
			skipped, sw.n_points, (long long)id);
	hb_db_sweep_free(&sw);
	if (!*obs)
		return hb_fail(CMD, "out of memory");
	return -1; /* continue */
}

/* ---- output -------------------------------------------------------------------------------------- */

static void print_fit(const struct hb_calibration *c)
{
	printf("energy model of board %s (%u lanes), %zu points, chi2/dof %.3g:\n", c->board, c->lanes, c->fit.n,
	       c->fit.dof ? c->fit.chi2 / (double)c->fit.dof : NAN);
	for (int t = 0; t < HB_CAL_NTERMS; t++) {
		if (!(c->fit.terms & (1u << t)))
			continue;
		const char *unit = t == HB_CAL_STATIC ? "mW" : "pJ";
		printf("  %-32s %12.6g %s  +- %.3g (1 sigma)\n", hb_cal_term_label((enum hb_cal_term)t), c->fit.coef[t],
		       unit, c->fit.se[t]);
	}
	if (c->fit.note[0])
		printf("  note: %s\n", c->fit.note);
	if (c->have_sc)
		printf("SC-NeuroCore form: C_eff %.6g fF per LUT (+- %.3g), static %.6g mW (+- %.3g); %.0f LUTs (%s), "
		       "%.3g V, activity %.2g\n",
		       c->sc.c_eff_ff, c->sc.c_eff_se_ff, c->sc.static_mw, c->sc.static_se_mw, c->sc.luts, c->luts_source,
		       c->sc.voltage_v, c->sc.activity);
	else
		printf("SC-NeuroCore form: not fitted: %s\n", c->sc_note);
}

static void print_validation(const struct hb_cal_validation *v)
{
	const char *names[] = {"in sample", "leave one network out", "held-out clock"};
	printf("  %-22s  |error| median %7.3f %%  max %7.3f %%  dynamic median %7.2f %%  max %7.2f %%  "
	       "analytic model median %7.1f %%  max %7.1f %%  (%zu points%s%s)\n",
	       names[v->scheme], v->median_abs_pct, v->max_abs_pct, v->dyn_median_abs_pct, v->dyn_max_abs_pct,
	       v->analytic_median_abs_pct, v->analytic_max_abs_pct, v->n_pred, v->note[0] ? "; " : "", v->note);
}

static int write_json(const char *path, cJSON *doc)
{
	char *text = cJSON_Print(doc);
	FILE *f = text ? fopen(path, "w") : NULL;
	int ok = f && fputs(text, f) >= 0 && fputc('\n', f) != EOF;
	if (f && fclose(f) != 0)
		ok = 0;
	free(text);
	return ok ? 0 : -1;
}

/* Three panels: measured vs predicted (energy points), residuals vs clock, residuals vs
 * activity (synaptic events per cycle). The data go inline (a datablock: numbers only), the
 * output file is gnuplot's standard output (hb_gp_run: its name is never gnuplot code), and
 * the title's outside strings go through hb_gp_quote. */
static int plot(const char *path, const struct hb_calibration *c, const struct hb_cal_obs *obs, size_t n,
		const struct hb_cal_validation *lono, char *err, size_t errlen)
{
	const char *ext = strrchr(path, '.');
	const char *term = ext && !strcmp(ext, ".png") ? "pngcairo size 1500,480" : "svg size 1500,480 dynamic";
	size_t cap = 4096 + n * 120, o = 0;
	char *s = malloc(cap);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	char q_title[300], t[256];
	snprintf(t, sizeof t, "hilbench calibrate: board %s, %s", c->board, c->source);
	hb_gp_quote(q_title, sizeof q_title, t);
	o += (size_t)snprintf(s + o, cap - o, "set terminal %s\n$pts << EOD\n", term);
	size_t rows = 0;
	for (size_t i = 0; i < n; i++) {
		if (obs[i].idle || obs[i].form != HB_CAL_ENERGY)
			continue;
		double pred = hb_cal_obs_predict(&c->fit, &obs[i]);
		double res = 100 * (pred - obs[i].energy_nj) / obs[i].energy_nj;
		double act = obs[i].x.cycles > 0 ? obs[i].x.syn / obs[i].x.cycles : NAN;
		double held = lono ? lono->pts[i].err_pct : NAN;
		o += (size_t)snprintf(s + o, cap - o, "%.9g %.9g %.6g %.6g %.6g %.6g\n", obs[i].energy_nj, pred, res,
				      obs[i].clock_hz / 1e6, act, held);
		rows++;
	}
	if (!rows) {
		free(s);
		snprintf(err, errlen, "no energy points to draw");
		return -1;
	}
	o += (size_t)snprintf(s + o, cap - o,
			      "EOD\nset datafile missing 'nan'\nset multiplot layout 1,3 title %s noenhanced\n"
			      "set key top left\nset grid\n"
			      "set title 'measured vs predicted energy per inference'\nset xlabel 'measured (nJ)'\n"
			      "set ylabel 'predicted (nJ)'\nset logscale xy\n"
			      "plot $pts using 1:2 with points pt 7 title 'fit', x with lines dt 2 title 'y = x'\n"
			      "unset logscale\nset title 'residuals vs clock'\nset xlabel 'core clock (MHz)'\n"
			      "set ylabel 'residual (%%)'\n"
			      "plot $pts using 4:3 with points pt 7 title 'in sample', $pts using 4:6 with points pt 6 "
			      "title 'network held out', 0 with lines dt 2 notitle\n"
			      "set title 'residuals vs activity'\nset xlabel 'synaptic events per cycle'\n"
			      "plot $pts using 5:3 with points pt 7 title 'in sample', $pts using 5:6 with points pt 6 "
			      "title 'network held out', 0 with lines dt 2 notitle\n"
			      "unset multiplot\n",
			      q_title);
	int rc = o < cap ? hb_gp_run(s, path, err, errlen) : -1;
	free(s);
	return rc;
}

int hb_cmd_calibrate(struct hb_global *g, int argc, char **argv)
{
	enum { O_SWEEP = 1000, O_POINTS, O_CAL, O_EXPORT, O_REPORT, O_LUTS, O_VOLT, O_ACT, O_BOARD, O_LANES,
	       O_PLOT, O_DB, O_NODB };
	static const struct option opts[] = {
		{"sweep", required_argument, 0, O_SWEEP},   {"points", required_argument, 0, O_POINTS},
		{"calibration", required_argument, 0, O_CAL}, {"output", required_argument, 0, 'o'},
		{"export", required_argument, 0, O_EXPORT}, {"report", required_argument, 0, O_REPORT},
		{"luts", required_argument, 0, O_LUTS},     {"voltage", required_argument, 0, O_VOLT},
		{"activity", required_argument, 0, O_ACT},  {"board", required_argument, 0, O_BOARD},
		{"lanes", required_argument, 0, O_LANES},   {"plot", required_argument, 0, O_PLOT},
		{"db", required_argument, 0, O_DB},         {"no-db", no_argument, 0, O_NODB},
		{"quiet", no_argument, 0, 'q'},             {"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	long long sweep = 0;
	const char *points = NULL, *cal_in = NULL, *out = NULL, *export_path = NULL, *report = NULL, *board_opt = NULL;
	const char *plot_path = NULL, *db_path = NULL;
	double luts = 0, volt = 0, act = 0.5;
	unsigned lanes_opt = 32;
	bool no_db = false, quiet = g->quiet;
	int c;
	char *end;
	while ((c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
		switch (c) {
		case O_SWEEP:
			sweep = strtoll(optarg, &end, 10);
			if (*end || sweep <= 0)
				return hb_usage_error(CMD, "--sweep '%s': a sweep id (a positive integer)", optarg);
			break;
		case O_POINTS: points = optarg; break;
		case O_CAL: cal_in = optarg; break;
		case 'o': out = optarg; break;
		case O_EXPORT:
			if (strcmp(optarg, "sc-neurocore") != 0)
				return hb_usage_error(CMD, "--export '%s': the only format is sc-neurocore (--export sc-neurocore FILE)",
						      optarg);
			if (optind >= argc)
				return hb_usage_error(CMD, "--export sc-neurocore needs a FILE");
			export_path = argv[optind++];
			break;
		case O_REPORT: report = optarg; break;
		case O_LUTS:
			luts = strtod(optarg, &end);
			if (*end || !(luts > 0))
				return hb_usage_error(CMD, "--luts '%s': a positive LUT count", optarg);
			break;
		case O_VOLT:
			volt = strtod(optarg, &end);
			if (*end || !(volt > 0) || volt > 5)
				return hb_usage_error(CMD, "--voltage '%s': a core voltage in volts", optarg);
			break;
		case O_ACT:
			act = strtod(optarg, &end);
			if (*end || !(act > 0) || act > 1)
				return hb_usage_error(CMD, "--activity '%s': a factor in (0, 1]", optarg);
			break;
		case O_BOARD: board_opt = optarg; break;
		case O_LANES: {
			unsigned long v = strtoul(optarg, &end, 10);
			if (*end || v < 16 || v > 256 || (v & (v - 1)))
				return hb_usage_error(CMD, "--lanes '%s': a power of two 16..256", optarg);
			lanes_opt = (unsigned)v;
			break;
		}
		case O_PLOT: {
			const char *ext = strrchr(optarg, '.');
			if (!ext || (strcmp(ext, ".svg") && strcmp(ext, ".png")))
				return hb_usage_error(CMD, "--plot '%s': the file name must end in .svg or .png", optarg);
			plot_path = optarg;
			break;
		}
		case O_DB: db_path = optarg; break;
		case O_NODB: no_db = true; break;
		case 'q': quiet = true; break;
		case 'h': usage(stdout); return HB_EXIT_OK;
		default: return hb_usage_error(CMD, "unknown or incomplete option");
		}
	}
	if (optind < argc)
		return hb_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
	if ((sweep > 0) + (points != NULL) + (cal_in != NULL) != 1)
		return hb_usage_error(CMD, "give exactly one of --sweep ID, --points FILE or --calibration FILE");
	if (cal_in && !export_path)
		return hb_usage_error(CMD, "--calibration FILE is for --export sc-neurocore OUT");

	struct hb_calibration cal;
	memset(&cal, 0, sizeof cal);
	char err[512];
	struct build_report rep;
	memset(&rep, 0, sizeof rep);
	char rp[1024];

	if (cal_in) { /* export only */
		if (hb_cal_load(cal_in, &cal, err, sizeof err) != HB_OK)
			return hb_usage_error(CMD, "%s", err);
	} else {
		struct hb_cal_obs *obs = NULL;
		size_t n = 0;
		char family[16] = "", board[32] = "";
		unsigned lanes = lanes_opt;
		struct hb_db *db = NULL;
		if (sweep > 0 || !no_db) {
			enum hb_status st = hb_db_open(db_path, &db);
			if (st != HB_OK)
				return hb_fail(CMD, "cannot open the run database: %s", hb_strerror(st));
		}
		if (sweep > 0) {
			int rc = gather_sweep(db, sweep, &obs, &n, board, sizeof board, family, sizeof family, &lanes, quiet);
			if (rc >= 0) {
				hb_db_close(db);
				return rc;
			}
			snprintf(cal.source, sizeof cal.source, "sweep %lld", sweep);
			cal.sweep_id = sweep;
		} else {
			enum hb_status st = hb_cal_points_csv(points, &obs, &n, err, sizeof err);
			if (st != HB_OK) {
				hb_db_close(db);
				return st == HB_ERR_NOTFOUND || st == HB_ERR_FORMAT ? hb_usage_error(CMD, "%s", err)
										    : hb_fail(CMD, "%s", err);
			}
			snprintf(board, sizeof board, "%s", board_opt ? board_opt : "sim");
			struct hb_board b;
			char be[256];
			if (hb_board_find(board, g->boards_dir, &b, be, sizeof be) == HB_OK)
				snprintf(family, sizeof family, "%s", hb_family_name(b.family));
			else
				snprintf(family, sizeof family, "%s", board);
			const char *base = strrchr(points, '/');
			snprintf(cal.source, sizeof cal.source, "points %.150s", base ? base + 1 : points);
		}
		if (board_opt && sweep > 0 && strcmp(board_opt, board))
			fprintf(stderr, "hilbench calibrate: note: sweep %lld ran on %s; --board %s ignored\n", sweep, board,
				board_opt);
		snprintf(cal.board, sizeof cal.board, "%s", board);
		snprintf(cal.family, sizeof cal.family, "%s", family[0] ? family : "sim");
		cal.lanes = lanes;
		cal.batch_gap = HB_ACTIVITY_BATCH_GAP;
		hb_db_iso8601(time(NULL), cal.created_at, sizeof cal.created_at);
		cal.clock_min_hz = INFINITY;
		for (size_t i = 0; i < n; i++) {
			cal.clock_min_hz = fmin(cal.clock_min_hz, obs[i].clock_hz);
			cal.clock_max_hz = fmax(cal.clock_max_hz, obs[i].clock_hz);
		}
		if (n == 0) {
			free(obs);
			hb_db_close(db);
			return hb_fail(CMD, "no usable point to fit (%s)", cal.source);
		}
		if (hb_cal_fit_energy(obs, n, HB_CAL_ALL_TERMS, &cal.fit, err, sizeof err) != HB_OK) {
			free(obs);
			hb_db_close(db);
			return hb_fail(CMD, "cannot fit the energy model to %s: %s", cal.source, err);
		}
		/* SC-NeuroCore's form with the real LUT count */
		if (!report) {
			snprintf(rp, sizeof rp, "%s/build/gateware/%s/report.json", hb_data_dir(), build_dir_of(cal.family));
			report = rp;
		}
		read_report(report, &rep);
		if (luts > 0)
			snprintf(cal.luts_source, sizeof cal.luts_source, "--luts");
		else if (rep.have) {
			luts = rep.luts;
			snprintf(cal.luts_source, sizeof cal.luts_source, "%.190s", rep.path);
		}
		const struct hb_fpga_target *tg = sc_target(cal.family);
		if (luts > 0) {
			char why[256];
			if (hb_cal_fit_sc(obs, n, luts, volt > 0 ? volt : tg->voltage_v, act, &cal.sc, why, sizeof why) == HB_OK)
				cal.have_sc = true;
			else
				snprintf(cal.sc_note, sizeof cal.sc_note, "%.150s", why);
		} else {
			snprintf(cal.sc_note, sizeof cal.sc_note, "no LUT count: build the board's gateware (report.json) or "
								  "give --luts N");
		}
		struct hb_cal_validation val[3];
		size_t nv = 0;
		for (int s = 0; s < 3; s++)
			if (hb_cal_validate(obs, n, HB_CAL_ALL_TERMS, (enum hb_cal_holdout)s, &val[nv]) == HB_OK)
				nv++;
		/* latency: the activity model's N against the device's busy cycles */
		size_t lat_n = 0, lat_exact = 0;
		for (size_t i = 0; i < n; i++)
			if (isfinite(obs[i].latency_cycles) && isfinite(obs[i].predicted_cycles)) {
				lat_n++;
				lat_exact += obs[i].latency_cycles == obs[i].predicted_cycles;
			}
		if (!quiet) {
			print_fit(&cal);
			printf("held-out validation (energy per inference; the analytic model's error beside):\n");
			for (size_t v = 0; v < nv; v++)
				print_validation(&val[v]);
			if (lat_n)
				printf("latency: predicted cycles equal the measured busy cycles for %zu of %zu points\n",
				       lat_exact, lat_n);
		}
		cJSON *doc = hb_cal_to_json(&cal, val, nv, obs, n);
		cJSON *lat = cJSON_CreateObject();
		cJSON_AddNumberToObject(lat, "points", (double)lat_n);
		cJSON_AddNumberToObject(lat, "exact", (double)lat_exact);
		cJSON_AddItemToObject(doc, "latency_check", lat);
		char def_out[64];
		if (!out) {
			if (sweep > 0)
				snprintf(def_out, sizeof def_out, "calibration-sweep%lld.json", sweep);
			else
				snprintf(def_out, sizeof def_out, "calibration-points.json");
			out = def_out;
		}
		int rc = HB_EXIT_OK;
		if (write_json(out, doc) != 0)
			rc = hb_fail(CMD, "cannot write %s: %s", out, strerror(errno));
		else if (!quiet)
			printf("calibration: %s\n", out);
		if (db && !no_db && rc == HB_EXIT_OK) {
			char *text = cJSON_PrintUnformatted(doc);
			int64_t id = 0;
			if (!text || hb_db_calibration_add(db, cal.created_at, cal.board, cal.sweep_id, cal.source, text, &id) != HB_OK)
				rc = hb_fail(CMD, "cannot store the calibration in the database");
			else if (!quiet)
				printf("stored as calibration %lld\n", (long long)id);
			free(text);
		}
		if (plot_path && rc == HB_EXIT_OK) {
			char perr[300];
			if (plot(plot_path, &cal, obs, n, nv > 1 ? &val[1] : NULL, perr, sizeof perr) != 0)
				rc = hb_fail(CMD, "--plot: %s", perr);
			else if (!quiet)
				printf("plot: %s\n", plot_path);
		}
		cJSON_Delete(doc);
		for (size_t v = 0; v < nv; v++)
			hb_cal_validation_free(&val[v]);
		free(obs);
		hb_db_close(db);
		if (rc != HB_EXIT_OK)
			return rc;
	}

	if (export_path) {
		if (!cal.have_sc)
			return hb_fail(CMD, "--export sc-neurocore: the calibration has no SC-NeuroCore form (%s)",
				       cal.sc_note[0] ? cal.sc_note : "not fitted");
		if (!rep.have && !report) {
			snprintf(rp, sizeof rp, "%s/build/gateware/%s/report.json", hb_data_dir(), build_dir_of(cal.family));
			read_report(rp, &rep);
		} else if (!rep.have && report) {
			read_report(report, &rep);
		}
		const struct hb_fpga_target *tg = sc_target(cal.family);
		char name[96];
		snprintf(name, sizeof name, "%s_%s_cal", !strcmp(cal.family, "sim") ? "ice40" : cal.family, cal.board);
		/* capacities: the build report's device when there is one, else SC-NeuroCore's target */
		double kb_per_bram = strstr(rep.bram_unit, "4kbit") ? 0.5 : strstr(rep.bram_unit, "18kbit") ? 2.25 : 0;
		struct hb_cal_device dev = {
			.name = name,
			.family = tg->family,
			.total_luts = rep.have && rep.cap_luts > 0 ? rep.cap_luts : tg->total_luts,
			.total_bram_kb = rep.have && kb_per_bram > 0 ? rep.cap_bram * kb_per_bram : tg->total_bram_kb,
			.total_dsp = rep.have ? rep.cap_dsp : tg->total_dsp,
			.max_freq_mhz = rep.have && isfinite(rep.fmax_mhz) ? rep.fmax_mhz : tg->max_freq_mhz,
		};
		cJSON *ex = hb_cal_sc_export(&cal, &dev);
		int ok = ex && write_json(export_path, ex) == 0;
		cJSON_Delete(ex);
		if (!ok)
			return hb_fail(CMD, "cannot write %s: %s", export_path, strerror(errno));
		if (!quiet)
			printf("SC-NeuroCore target %s: %s\n", name, export_path);
	}
	return HB_EXIT_OK;
}
