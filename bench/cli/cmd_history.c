/* hilbench history — the stored runs: list them, or show one (its table and JSON). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "hb_cli.h"
#include "hb_db.h"
#include "hb_receipt.h"
#include "hb_report.h"
#include "hb_term.h"

#define CMD "history"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: hilbench history [options]\n"
		"       hilbench history show ID [options]\n"
		"       hilbench history export --receipt FILE ID [ID...] [--receipt-info FILE]\n"
		"\n"
		"List the stored runs (newest first: id, start time, board, network, status and the\n"
		"measured energy per inference), or show one run's profiler table and its full\n"
		"JSON result.\n"
		"\n"
		"Options:\n"
		"  --db PATH        the run database (default $XDG_DATA_HOME/hilbench/runs.sqlite,\n"
		"                   or ~/.local/share/hilbench/runs.sqlite)\n"
		"  -n, --limit N    list at most N runs (default 20, 0 = all)\n"
		"      --table-only show: the table without the JSON\n"
		"      --json-only  show: the JSON without the table\n"
		"      --receipt FILE  export: SC-NeuroCore's experiment receipt for the runs (one measured run\n"
		"                   each; same board, network and image); simulated runs say so\n"
		"      --receipt-info FILE  operator and power-instrument facts (INI, docs/results.md)\n"
		"  -h, --help       this help\n"
		"\n"
		"Examples:\n"
		"  hilbench history --limit 5\n"
		"  hilbench history show 12 --db ./lab.sqlite\n"
		"  hilbench history export --receipt run12.receipt.json 12 --receipt-info lab.ini\n");
}

static int parse_count(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;
	errno = 0;
	if (!s || !*s || s[0] == '-')
		return -1;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Database text (board and network names from other people's files, command lines) is
 * printed escaped: it cannot drive the terminal. */
static const char *or_dash(const char *s)
{
	return s && *s ? hb_term(s) : "-";
}

static int list_runs(struct hb_db *db, size_t limit)
{
	struct hb_db_run *runs;
	size_t n;
	enum hb_status st = hb_db_list(db, limit, &runs, &n);
	if (st != HB_OK)
		return hb_fail(CMD, "cannot list runs: %s", hb_db_strerror(st));
	if (n == 0) {
		printf("no runs stored yet\n");
		return HB_EXIT_OK;
	}
	printf("%6s  %-25s  %-16s  %-16s  %-11s  %14s\n", "ID", "Started", "Board", "Net", "Status",
	       "Measured (nJ)");
	for (size_t i = 0; i < n; i++) {
		const struct hb_db_run *r = &runs[i];
		char energy[32];
		if (isnan(r->measured_energy_nj))
			snprintf(energy, sizeof energy, "-");
		else
			snprintf(energy, sizeof energy, "%.2f", r->measured_energy_nj);
		/* a run with power from fewer windows than it measured says k/W beside its status */
		char status[32];
		if (r->windows_total > 0 && r->windows_valid < r->windows_total)
			snprintf(status, sizeof status, "%s %d/%d", hb_run_status_name(r->status), r->windows_valid,
				 r->windows_total);
		else
			snprintf(status, sizeof status, "%s", hb_run_status_name(r->status));
		printf("%6lld  %-25s  %-16s  %-16s  %-11s  %14s\n", (long long)r->id,
		       or_dash(r->started_at), or_dash(r->board), or_dash(r->net), status, energy);
	}
	hb_db_runs_free(runs, n);
	return HB_EXIT_OK;
}

static int show_run(struct hb_db *db, int64_t id, bool table, bool json)
{
	struct hb_db_run r;
	enum hb_status st = hb_db_get(db, id, &r);
	if (st == HB_ERR_NOTFOUND)
		return hb_usage_error(CMD, "show %lld: no run with that id (see 'hilbench history')",
				      (long long)id);
	if (st != HB_OK)
		return hb_fail(CMD, "cannot read run %lld: %s", (long long)id, hb_db_strerror(st));
	if (table) {
		printf("Run %lld: %s, started %s, finished %s\n", (long long)r.id,
		       hb_run_status_name(r.status), or_dash(r.started_at), or_dash(r.finished_at));
		if (r.windows_total > 0)
			printf("Windows: %d of %d valid\n", r.windows_valid, r.windows_total);
		printf("Board: %s   Net: %s\n", or_dash(r.board), or_dash(r.net));
		if (r.command_line)
			printf("Command: %s\n", hb_term(r.command_line));
		printf("\n");
		hb_report_format_table(stdout, r.rows, r.n_rows, HB_TABLE_DEFAULT);
	}
	if (json) {
		if (table)
			printf("\n");
		cJSON *doc = r.result_json ? cJSON_Parse(r.result_json) : NULL;
		if (doc) {
			hb_report_json_write(stdout, doc);
			cJSON_Delete(doc);
		} else if (r.result_json) {
			/* stored verbatim, but not valid JSON: show it as it is (escaped) */
			hb_term_fputs(r.result_json, stdout, 1);
			putchar('\n');
		} else {
			printf("null\n");
		}
	}
	hb_db_run_free(&r);
	return HB_EXIT_OK;
}

static int export_receipt(struct hb_db *db, const char *out, const char *info_path, char **ids, int n)
{
	struct hb_receipt_info info;
	char err[512];
	hb_receipt_info_default(&info);
	if (info_path && hb_receipt_info_load(info_path, &info, err, sizeof err) != HB_OK)
		return hb_usage_error(CMD, "--receipt-info: %s", err);
	cJSON **docs = calloc((size_t)n, sizeof *docs);
	if (!docs)
		return hb_fail(CMD, "out of memory");
	int rc = HB_EXIT_OK;
	for (int i = 0; i < n && rc == HB_EXIT_OK; i++) {
		unsigned long long id;
		if (parse_count(ids[i], INT64_MAX, &id) || id == 0) {
			rc = hb_usage_error(CMD, "export '%s': a run ID is a positive integer", ids[i]);
			break;
		}
		struct hb_db_run r;
		enum hb_status st = hb_db_get(db, (int64_t)id, &r);
		if (st == HB_ERR_NOTFOUND) {
			rc = hb_usage_error(CMD, "export %llu: no run with that id", id);
			break;
		}
		if (st != HB_OK) {
			rc = hb_fail(CMD, "cannot read run %llu: %s", id, hb_db_strerror(st));
			break;
		}
		docs[i] = r.result_json ? cJSON_Parse(r.result_json) : NULL;
		hb_db_run_free(&r);
		if (!docs[i])
			rc = hb_fail(CMD, "run %llu has no result document", id);
	}
	if (rc == HB_EXIT_OK && hb_receipt_write_file(out, (const cJSON *const *)docs, (size_t)n, &info, err, sizeof err) != HB_OK)
		rc = hb_fail(CMD, "--receipt %s: %s", out, err);
	if (rc == HB_EXIT_OK)
		printf("receipt: %s (%d measured run%s)\n", out, n, n == 1 ? "" : "s");
	for (int i = 0; i < n; i++)
		cJSON_Delete(docs[i]);
	free(docs);
	return rc;
}

int hb_cmd_history(struct hb_global *g, int argc, char **argv)
{
	(void)g;
	enum { OPT_DB = 1000, OPT_TABLE_ONLY, OPT_JSON_ONLY, OPT_RECEIPT, OPT_RECEIPT_INFO };
	static const struct option opts[] = {
		{"db", required_argument, 0, OPT_DB},
		{"limit", required_argument, 0, 'n'},
		{"table-only", no_argument, 0, OPT_TABLE_ONLY},
		{"json-only", no_argument, 0, OPT_JSON_ONLY},
		{"receipt", required_argument, 0, OPT_RECEIPT},
		{"receipt-info", required_argument, 0, OPT_RECEIPT_INFO},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	const char *path = NULL, *receipt = NULL, *receipt_info = NULL;
	unsigned long long limit = 20;
	bool table = true, json = true;
	int c;
	while ((c = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_DB: path = optarg; break;
		case 'n':
			if (parse_count(optarg, 1000000000ull, &limit))
				return hb_usage_error(CMD, "--limit '%s': expected a count (0 = all)",
						      optarg);
			break;
		case OPT_TABLE_ONLY: json = false; break;
		case OPT_JSON_ONLY: table = false; break;
		case OPT_RECEIPT: receipt = optarg; break;
		case OPT_RECEIPT_INFO: receipt_info = optarg; break;
		case 'h': usage(stdout); return HB_EXIT_OK;
		default: return hb_usage_error(CMD, "unknown option");
		}
	}
	if (!table && !json)
		return hb_usage_error(CMD, "--table-only and --json-only exclude each other");
	unsigned long long id = 0;
	bool show = false, export = false;
	if (optind < argc && strcmp(argv[optind], "export") == 0) {
		if (!receipt)
			return hb_usage_error(CMD, "export: what? (--receipt FILE; e.g. 'export --receipt r.json 12')");
		if (optind + 1 >= argc)
			return hb_usage_error(CMD, "export: which runs? (give their IDs)");
		export = true;
	} else if (receipt || receipt_info) {
		return hb_usage_error(CMD, "--receipt goes with 'export' (hilbench history export --receipt FILE ID)");
	} else if (optind < argc) {
		if (strcmp(argv[optind], "show") != 0)
			return hb_usage_error(CMD, "unknown subcommand '%s' (expected 'show ID')",
					      argv[optind]);
		if (optind + 1 >= argc)
			return hb_usage_error(CMD, "show: which run? (give its ID, e.g. 'show 3')");
		if (parse_count(argv[optind + 1], INT64_MAX, &id) || id == 0)
			return hb_usage_error(CMD, "show '%s': a run ID is a positive integer",
					      argv[optind + 1]);
		if (optind + 2 < argc)
			return hb_usage_error(CMD, "unexpected argument '%s'", argv[optind + 2]);
		show = true;
	}

	char def[4096];
	enum hb_status st;
	if (!path) {
		st = hb_db_default_path(def, sizeof def);
		if (st != HB_OK)
			return hb_fail(CMD, "no default database path: %s (give --db PATH)",
				       hb_db_strerror(st));
		path = def;
	}
	struct stat sb;
	if (stat(path, &sb) != 0 && errno == ENOENT) {
		if (export)
			return hb_usage_error(CMD, "export: no runs stored yet (%s does not exist)", path);
		if (show)
			return hb_usage_error(CMD, "show %llu: no runs stored yet (%s does not exist)",
					      id, path);
		printf("no runs stored yet (%s does not exist)\n", path);
		return HB_EXIT_OK;
	}
	struct hb_db *db;
	st = hb_db_open(path, &db);
	if (st != HB_OK)
		return path && st == HB_ERR_NOTFOUND
			       ? hb_usage_error(CMD, "database '%s': cannot open (%s)", path,
						hb_db_strerror(st))
			       : hb_fail(CMD, "cannot open the run database: %s", hb_db_strerror(st));
	int rc = export ? export_receipt(db, receipt, receipt_info, argv + optind + 1, argc - optind - 1)
		 : show ? show_run(db, (int64_t)id, table, json) : list_runs(db, (size_t)limit);
	hb_db_close(db);
	return rc;
}
