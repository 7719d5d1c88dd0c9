/* hilbench — the profiler table: SC-NeuroCore's PlatformResult rows, measured beside modeled.
 *
 * The table layout is platform_profiler.py format_table()'s, character for character
 * (HB_TABLE_PROFILER), or the same with two extra columns, Source and "vs model", before
 * Notes (the default). Rows are sorted as compare() sorts them. Rows also go to JSON
 * (libcjson) and CSV. */
#ifndef HB_REPORT_H
#define HB_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "hb_status.h"

#ifdef __cplusplus
extern "C" {
#endif

struct cJSON;

enum hb_result_source {
	HB_SOURCE_MODELED = 0,  /* from the analytic model (or any estimate) */
	HB_SOURCE_MEASURED = 1, /* measured on a board or the virtual board */
	HB_SOURCE_CALIBRATED = 2, /* predicted by a calibration fitted to measurements (docs/calibration.md) */
};

/* PlatformResult + where the figure comes from + the ratio to the modeled row. */
struct hb_platform_result {
	char platform[32];
	double latency_ms;
	double throughput_inf_per_s;
	double power_mw;
	double energy_per_inf_nj;
	bool available;          /* false: the figures are not shown (N/A), notes say why */
	char notes[128];
	enum hb_result_source source;
	bool has_ratio;          /* ratio_to_model is meaningful */
	double ratio_to_model;   /* measured energy / modeled energy for the same platform */
};

/* Fill a row (notes may be NULL). Strings are truncated to fit. */
void hb_report_row_set(struct hb_platform_result *r, const char *platform, double latency_ms,
		       double throughput_inf_per_s, double power_mw, double energy_per_inf_nj,
		       enum hb_result_source source, const char *notes);
/* An unavailable row: figures NaN (null in JSON, empty in CSV), reason in notes. */
void hb_report_row_unavailable(struct hb_platform_result *r, const char *platform,
			       enum hb_result_source source, const char *reason);

/* Set ratio_to_model = measured.energy / modeled.energy when both rows are available and the
 * modeled energy is positive; otherwise has_ratio = false. */
void hb_report_set_ratio(struct hb_platform_result *measured,
			 const struct hb_platform_result *modeled);
/* The same with another energy of the measured row (e.g. its dynamic energy: the model has
 * no static power). */
void hb_report_set_ratio_of(struct hb_platform_result *measured, double energy_nj,
			    const struct hb_platform_result *modeled);

/* Stable sort as compare(): by energy_per_inf_nj ascending, unavailable rows last (in their
 * original order). A NaN energy sorts with the unavailable rows' key (+inf). */
void hb_report_sort(struct hb_platform_result *rows, size_t n);

const char *hb_report_source_name(enum hb_result_source s); /* "measured" / "modeled" / "calibrated" */
/* "measured"/"modeled"/"calibrated" -> source; HB_ERR_ARG otherwise. */
enum hb_status hb_report_source_parse(const char *s, enum hb_result_source *out);

enum hb_table_flags {
	HB_TABLE_DEFAULT = 0,  /* profiler layout + "Source" and "vs model" columns */
	HB_TABLE_PROFILER = 1, /* exactly format_table()'s layout (no extra columns) */
};

/* Write the table, one '\n' after every line (format_table() joins lines with '\n' and has
 * none after the last one; print() adds it, so `print(format_table(r))` is byte-identical to
 * HB_TABLE_PROFILER output). Rows are written in the given order (sort first). */
enum hb_status hb_report_format_table(FILE *f, const struct hb_platform_result *rows, size_t n,
				      unsigned flags);

/* JSON: one object per row with platform, latency_ms, throughput_inf_per_s, power_mw,
 * energy_per_inf_nj, available, notes, source, and ratio_to_model (number or null).
 * Returned objects belong to the caller (cJSON_Delete). NULL on allocation failure. */
struct cJSON *hb_report_row_to_json(const struct hb_platform_result *r);
/* A JSON number that reads back as exactly x (null for NaN/inf). Use it for figures in the
 * attached objects too: cJSON's own number printing may drop the last bit. */
struct cJSON *hb_report_json_number(double x);
/* Parse a row back (fields missing -> defaults). HB_ERR_FORMAT when platform is missing. */
enum hb_status hb_report_row_from_json(const struct cJSON *obj, struct hb_platform_result *r);

/* The whole result document:
 *   {"schema": "hilbench-result/1", "rows": [...], "measured": <obj>, "truth": <obj>, ...}
 * hb_report_json_new() makes the document with the rows; hb_report_json_attach() adds (and
 * takes ownership of) any further object under a key, e.g. "measured", "truth", "protocol".
 * An existing key is replaced. */
struct cJSON *hb_report_json_new(const struct hb_platform_result *rows, size_t n);
enum hb_status hb_report_json_attach(struct cJSON *doc, const char *key, struct cJSON *item);
/* Extract the rows of a document (as stored in the database). *rows is malloc'ed. */
enum hb_status hb_report_json_rows(const struct cJSON *doc, struct hb_platform_result **rows,
				   size_t *n);
/* Write a document, pretty printed, with a final newline. */
enum hb_status hb_report_json_write(FILE *f, const struct cJSON *doc);

/* CSV (RFC 4180 quoting, '\n' line ends), header
 * platform,latency_ms,throughput_inf_per_s,power_mw,energy_per_inf_nj,available,notes,source,ratio_to_model
 * Numbers with %.17g (round-trip exact), written for unavailable rows too (the profiler keeps
 * estimated figures in a row it marks unavailable); a missing ratio or a non-finite number is
 * an empty field. */
enum hb_status hb_report_write_csv(FILE *f, const struct hb_platform_result *rows, size_t n);

#ifdef __cplusplus
}
#endif
#endif
