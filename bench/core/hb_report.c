/* The profiler table (platform_profiler.py format_table/compare), JSON and CSV rows. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#define LOG_PREFIX "report"
#include "hb_log.h"
#include "hb_report.h"

static void copy_str(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

void hb_report_row_set(struct hb_platform_result *r, const char *platform, double latency_ms,
		       double throughput_inf_per_s, double power_mw, double energy_per_inf_nj,
		       enum hb_result_source source, const char *notes)
{
	memset(r, 0, sizeof *r);
	copy_str(r->platform, sizeof r->platform, platform);
	r->latency_ms = latency_ms;
	r->throughput_inf_per_s = throughput_inf_per_s;
	r->power_mw = power_mw;
	r->energy_per_inf_nj = energy_per_inf_nj;
	r->available = true;
	copy_str(r->notes, sizeof r->notes, notes);
	r->source = source;
}

void hb_report_row_unavailable(struct hb_platform_result *r, const char *platform,
			       enum hb_result_source source, const char *reason)
{
	/* not measured is not zero: NaN, which JSON writes as null and CSV as an empty field */
	hb_report_row_set(r, platform, NAN, NAN, NAN, NAN, source, reason);
	r->available = false;
}

void hb_report_set_ratio(struct hb_platform_result *measured,
			 const struct hb_platform_result *modeled)
{
	hb_report_set_ratio_of(measured, measured->energy_per_inf_nj, modeled);
}

void hb_report_set_ratio_of(struct hb_platform_result *measured, double energy_nj,
			    const struct hb_platform_result *modeled)
{
	measured->has_ratio = false;
	measured->ratio_to_model = 0;
	if (!measured->available || !modeled->available)
		return;
	if (!(modeled->energy_per_inf_nj > 0) || !isfinite(energy_nj) ||
	    !isfinite(modeled->energy_per_inf_nj))
		return;
	measured->ratio_to_model = energy_nj / modeled->energy_per_inf_nj;
	measured->has_ratio = true;
}

/* compare(): key = energy if available else +inf; Python's sort is stable. */
static double sort_key(const struct hb_platform_result *r)
{
	if (!r->available || isnan(r->energy_per_inf_nj))
		return INFINITY;
	return r->energy_per_inf_nj;
}

void hb_report_sort(struct hb_platform_result *rows, size_t n)
{
	/* insertion sort: stable, and tables have a handful of rows */
	for (size_t i = 1; i < n; i++) {
		struct hb_platform_result tmp = rows[i];
		double k = sort_key(&tmp);
		size_t j = i;
		while (j > 0 && sort_key(&rows[j - 1]) > k) {
			rows[j] = rows[j - 1];
			j--;
		}
		rows[j] = tmp;
	}
}

const char *hb_report_source_name(enum hb_result_source s)
{
	return s == HB_SOURCE_MEASURED ? "measured" : s == HB_SOURCE_CALIBRATED ? "calibrated" : "modeled";
}

enum hb_status hb_report_source_parse(const char *s, enum hb_result_source *out)
{
	if (s && strcmp(s, "calibrated") == 0) {
		*out = HB_SOURCE_CALIBRATED;
		return HB_OK;
	}
	if (s && strcmp(s, "measured") == 0) {
		*out = HB_SOURCE_MEASURED;
		return HB_OK;
	}
	if (s && strcmp(s, "modeled") == 0) {
		*out = HB_SOURCE_MODELED;
		return HB_OK;
	}
	return HB_ERR_ARG;
}

/* Python's f"{x:>W.Pf}" for a float: like printf, except NaN prints as "nan" (glibc may print
 * "-nan"). */
static int put_num(FILE *f, int width, int prec, double x)
{
	if (isnan(x))
		return fprintf(f, "%*s", width, "nan");
	return fprintf(f, "%*.*f", width, prec, x);
}

enum hb_status hb_report_format_table(FILE *f, const struct hb_platform_result *rows, size_t n,
				      unsigned flags)
{
	const bool extra = !(flags & HB_TABLE_PROFILER);
	if (!f || (n && !rows))
		return HB_ERR_ARG;
	/* format_table(): f"{'Platform':<16} {'Latency':>10} {'Throughput':>12} {'Power':>10}
	 * {'Energy':>10} {'Notes'}", then the unit line without Notes, then 75 dashes. The extra
	 * columns go before Notes: f"{'Source':<8} {'vs model':>8}". */
	fprintf(f, "%-16s %10s %12s %10s %10s ", "Platform", "Latency", "Throughput", "Power",
		"Energy");
	if (extra)
		fprintf(f, "%-8s %8s ", "Source", "vs model");
	fprintf(f, "Notes\n");
	fprintf(f, "%-16s %10s %12s %10s %10s", "", "(ms)", "(inf/s)", "(mW)", "(nJ)");
	if (extra)
		fprintf(f, " %-8s %8s", "", "(E/E_m)");
	fputc('\n', f);
	for (int i = 0; i < 75 + (extra ? 18 : 0); i++)
		fputc('-', f);
	fputc('\n', f);
	for (size_t i = 0; i < n; i++) {
		const struct hb_platform_result *r = &rows[i];
		fprintf(f, "%-16s ", r->platform);
		if (r->available) {
			put_num(f, 10, 2, r->latency_ms);
			fputc(' ', f);
			put_num(f, 12, 1, r->throughput_inf_per_s);
			fputc(' ', f);
			put_num(f, 10, 2, r->power_mw);
			fputc(' ', f);
			put_num(f, 10, 2, r->energy_per_inf_nj);
			fputc(' ', f);
		} else {
			fprintf(f, "%10s %12s %10s %10s ", "N/A", "N/A", "N/A", "N/A");
		}
		if (extra) {
			/* "calibrated" is two characters too wide for the column: "calib." */
			fprintf(f, "%-8s ", r->source == HB_SOURCE_CALIBRATED ? "calib." : hb_report_source_name(r->source));
			if (r->has_ratio) {
				char ratio[32];
				snprintf(ratio, sizeof ratio, "%.2fx", r->ratio_to_model);
				fprintf(f, "%8s ", ratio);
			} else {
				fprintf(f, "%8s ", "-");
			}
		}
		fprintf(f, "%s\n", r->notes);
	}
	return ferror(f) ? HB_ERR_IO : HB_OK;
}

cJSON *hb_report_json_number(double x)
{
	if (!isfinite(x))
		return cJSON_CreateNull(); /* JSON has no NaN/Infinity */
	/* cJSON prints 15 digits unless they read back within an epsilon, so it can lose the
	 * last bit; print the shortest of 15..17 digits that reads back exactly instead. */
	char buf[40];
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, sizeof buf, "%.*g", prec, x);
		if (strtod(buf, NULL) == x)
			break;
	}
	return cJSON_CreateRaw(buf);
}

static cJSON *num_or_null(double x)
{
	return hb_report_json_number(x);
}

cJSON *hb_report_row_to_json(const struct hb_platform_result *r)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	bool ok = cJSON_AddStringToObject(o, "platform", r->platform) &&
		  cJSON_AddItemToObject(o, "latency_ms", num_or_null(r->latency_ms)) &&
		  cJSON_AddItemToObject(o, "throughput_inf_per_s",
					num_or_null(r->throughput_inf_per_s)) &&
		  cJSON_AddItemToObject(o, "power_mw", num_or_null(r->power_mw)) &&
		  cJSON_AddItemToObject(o, "energy_per_inf_nj", num_or_null(r->energy_per_inf_nj)) &&
		  cJSON_AddBoolToObject(o, "available", r->available) &&
		  cJSON_AddStringToObject(o, "notes", r->notes) &&
		  cJSON_AddStringToObject(o, "source", hb_report_source_name(r->source)) &&
		  cJSON_AddItemToObject(o, "ratio_to_model",
					r->has_ratio ? num_or_null(r->ratio_to_model)
						     : cJSON_CreateNull());
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static double get_num(const cJSON *o, const char *key)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(it) ? it->valuedouble : NAN;
}

enum hb_status hb_report_row_from_json(const cJSON *obj, struct hb_platform_result *r)
{
	const cJSON *platform = cJSON_GetObjectItemCaseSensitive(obj, "platform");
	if (!cJSON_IsObject(obj) || !cJSON_IsString(platform))
		return HB_ERR_FORMAT;
	const cJSON *notes = cJSON_GetObjectItemCaseSensitive(obj, "notes");
	const cJSON *avail = cJSON_GetObjectItemCaseSensitive(obj, "available");
	const cJSON *source = cJSON_GetObjectItemCaseSensitive(obj, "source");
	const cJSON *ratio = cJSON_GetObjectItemCaseSensitive(obj, "ratio_to_model");
	enum hb_result_source src = HB_SOURCE_MODELED;
	if (cJSON_IsString(source) && hb_report_source_parse(source->valuestring, &src) != HB_OK)
		return HB_ERR_FORMAT;
	hb_report_row_set(r, platform->valuestring, get_num(obj, "latency_ms"),
			  get_num(obj, "throughput_inf_per_s"), get_num(obj, "power_mw"),
			  get_num(obj, "energy_per_inf_nj"), src,
			  cJSON_IsString(notes) ? notes->valuestring : "");
	r->available = avail ? cJSON_IsTrue(avail) : true;
	if (cJSON_IsNumber(ratio)) {
		r->has_ratio = true;
		r->ratio_to_model = ratio->valuedouble;
	}
	return HB_OK;
}

#define HB_RESULT_SCHEMA "hilbench-result/1"

cJSON *hb_report_json_new(const struct hb_platform_result *rows, size_t n)
{
	cJSON *doc = cJSON_CreateObject();
	if (!doc || !cJSON_AddStringToObject(doc, "schema", HB_RESULT_SCHEMA)) {
		cJSON_Delete(doc);
		return NULL;
	}
	cJSON *arr = cJSON_AddArrayToObject(doc, "rows");
	if (!arr) {
		cJSON_Delete(doc);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		cJSON *o = hb_report_row_to_json(&rows[i]);
		if (!o || !cJSON_AddItemToArray(arr, o)) {
			cJSON_Delete(o);
			cJSON_Delete(doc);
			return NULL;
		}
	}
	return doc;
}

enum hb_status hb_report_json_attach(cJSON *doc, const char *key, cJSON *item)
{
	if (!cJSON_IsObject(doc) || !key || !item) {
		cJSON_Delete(item);
		return HB_ERR_ARG;
	}
	if (cJSON_GetObjectItemCaseSensitive(doc, key))
		return cJSON_ReplaceItemInObjectCaseSensitive(doc, key, item) ? HB_OK : HB_ERR_NOMEM;
	if (!cJSON_AddItemToObject(doc, key, item)) {
		cJSON_Delete(item);
		return HB_ERR_NOMEM;
	}
	return HB_OK;
}

enum hb_status hb_report_json_rows(const cJSON *doc, struct hb_platform_result **rows, size_t *n)
{
	*rows = NULL;
	*n = 0;
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(doc, "rows");
	if (!cJSON_IsArray(arr))
		return HB_ERR_FORMAT;
	size_t count = (size_t)cJSON_GetArraySize(arr);
	if (count == 0)
		return HB_OK;
	struct hb_platform_result *out = calloc(count, sizeof *out);
	if (!out)
		return HB_ERR_NOMEM;
	size_t i = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, arr)
	{
		enum hb_status st = hb_report_row_from_json(it, &out[i]);
		if (st != HB_OK) {
			free(out);
			return st;
		}
		i++;
	}
	*rows = out;
	*n = count;
	return HB_OK;
}

enum hb_status hb_report_json_write(FILE *f, const cJSON *doc)
{
	char *s = cJSON_Print(doc);
	if (!s)
		return HB_ERR_NOMEM;
	fputs(s, f);
	fputc('\n', f);
	cJSON_free(s);
	return ferror(f) ? HB_ERR_IO : HB_OK;
}

/* RFC 4180: quote a field holding a comma, quote, CR or LF; double the quotes. */
static void csv_str(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void csv_num(FILE *f, double x)
{
	if (isfinite(x))
		fprintf(f, "%.17g", x);
}

enum hb_status hb_report_write_csv(FILE *f, const struct hb_platform_result *rows, size_t n)
{
	if (!f || (n && !rows))
		return HB_ERR_ARG;
	fputs("platform,latency_ms,throughput_inf_per_s,power_mw,energy_per_inf_nj,available,"
	      "notes,source,ratio_to_model\n",
	      f);
	for (size_t i = 0; i < n; i++) {
		const struct hb_platform_result *r = &rows[i];
		csv_str(f, r->platform);
		fputc(',', f);
		csv_num(f, r->latency_ms);
		fputc(',', f);
		csv_num(f, r->throughput_inf_per_s);
		fputc(',', f);
		csv_num(f, r->power_mw);
		fputc(',', f);
		csv_num(f, r->energy_per_inf_nj);
		fprintf(f, ",%s,", r->available ? "true" : "false");
		csv_str(f, r->notes);
		fprintf(f, ",%s,", hb_report_source_name(r->source));
		if (r->has_ratio)
			csv_num(f, r->ratio_to_model);
		fputc('\n', f);
	}
	return ferror(f) ? HB_ERR_IO : HB_OK;
}
