/* hilbench — SC-NeuroCore receipts from stored runs (hb_receipt.h; docs/results.md). */
#include "hb_receipt.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <nettle/sha2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- SHA-256 ------------------------------------------------------------------------------------ */

static void hex(const uint8_t *d, size_t n, char *out)
{
	static const char x[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = x[d[i] >> 4];
		out[2 * i + 1] = x[d[i] & 15];
	}
	out[2 * n] = '\0';
}

void hb_sha256_hex(const void *data, size_t n, char out[65])
{
	struct sha256_ctx c;
	uint8_t d[SHA256_DIGEST_SIZE];
	sha256_init(&c);
	sha256_update(&c, n, data);
	sha256_digest(&c, sizeof d, d);
	hex(d, sizeof d, out);
}

enum hb_status hb_sha256_file(const char *path, char out[65])
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return errno == ENOENT ? HB_ERR_NOTFOUND : HB_ERR_IO;
	struct sha256_ctx c;
	uint8_t buf[65536], d[SHA256_DIGEST_SIZE];
	size_t got;
	sha256_init(&c);
	while ((got = fread(buf, 1, sizeof buf, f)) > 0)
		sha256_update(&c, got, buf);
	int bad = ferror(f);
	fclose(f);
	if (bad)
		return HB_ERR_IO;
	sha256_digest(&c, sizeof d, d);
	hex(d, sizeof d, out);
	return HB_OK;
}

/* ---- canonical JSON (Python json.dumps, sort_keys, compact) ----------------------------------- */

struct buf {
	char *p;
	size_t n, cap;
	bool bad;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->bad)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t nc = b->cap ? b->cap : 256;
		while (nc < b->n + n + 1)
			nc *= 2;
		char *t = realloc(b->p, nc);
		if (!t) {
			b->bad = true;
			return;
		}
		b->p = t;
		b->cap = nc;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* repr(float): the shortest digits that read back exactly; fixed notation when the decimal
 * exponent is in -4 < decpt <= 16, else d.ddde±XX. */
static void py_float(struct buf *b, double x)
{
	char e[40];
	int p;
	for (p = 1; p <= 17; p++) {
		snprintf(e, sizeof e, "%.*e", p - 1, x);
		if (strtod(e, NULL) == x)
			break;
	}
	/* e = [-]d[.ddd]e±XX */
	bool neg = e[0] == '-';
	char digits[24];
	size_t nd = 0;
	const char *q = e + neg;
	for (; *q && *q != 'e'; q++)
		if (*q != '.')
			digits[nd++] = *q;
	int exp10 = atoi(q + 1);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	int decpt = exp10 + 1; /* x = 0.digits * 10^decpt */
	char out[64];
	size_t o = 0;
	if (neg)
		out[o++] = '-';
	if (decpt > -4 && decpt <= 16) {
		if (decpt <= 0) {
			out[o++] = '0';
			out[o++] = '.';
			for (int i = 0; i < -decpt; i++)
				out[o++] = '0';
			for (size_t i = 0; i < nd; i++)
				out[o++] = digits[i];
		} else {
			for (int i = 0; i < decpt; i++)
				out[o++] = (size_t)i < nd ? digits[i] : '0';
			out[o++] = '.';
			if ((size_t)decpt < nd)
				for (size_t i = (size_t)decpt; i < nd; i++)
					out[o++] = digits[i];
			else
				out[o++] = '0';
		}
		out[o] = '\0';
	} else {
		out[o++] = digits[0];
		if (nd > 1) {
			out[o++] = '.';
			for (size_t i = 1; i < nd; i++)
				out[o++] = digits[i];
		}
		snprintf(out + o, sizeof out - o, "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
	}
	puts_(b, out);
}

static void py_string(struct buf *b, const char *s)
{
	puts_(b, "\"");
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned c = *p;
		char tmp[16];
		if (c == '"')
			puts_(b, "\\\"");
		else if (c == '\\')
			puts_(b, "\\\\");
		else if (c == '\n')
			puts_(b, "\\n");
		else if (c == '\r')
			puts_(b, "\\r");
		else if (c == '\t')
			puts_(b, "\\t");
		else if (c == '\b')
			puts_(b, "\\b");
		else if (c == '\f')
			puts_(b, "\\f");
		else if (c >= 0x20 && c < 0x7f)
			put(b, (const char *)p, 1);
		else {
			/* decode UTF-8 (invalid bytes pass as U+FFFD) and escape as \uXXXX */
			unsigned cp = 0xFFFD;
			int len = 1;
			if (c < 0x80) {
				cp = c;
			} else if ((c & 0xE0) == 0xC0 && (p[1] & 0xC0) == 0x80) {
				cp = (c & 0x1F) << 6 | (p[1] & 0x3F);
				len = 2;
			} else if ((c & 0xF0) == 0xE0 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80) {
				cp = (c & 0x0F) << 12 | (p[1] & 0x3F) << 6 | (p[2] & 0x3F);
				len = 3;
			} else if ((c & 0xF8) == 0xF0 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80 &&
				   (p[3] & 0xC0) == 0x80) {
				cp = (c & 0x07) << 18 | (p[1] & 0x3F) << 12 | (p[2] & 0x3F) << 6 | (p[3] & 0x3F);
				len = 4;
			}
			if (cp >= 0x10000) {
				unsigned v = cp - 0x10000;
				snprintf(tmp, sizeof tmp, "\\u%04x\\u%04x", 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF));
			} else {
				snprintf(tmp, sizeof tmp, "\\u%04x", cp);
			}
			puts_(b, tmp);
			p += len;
			continue;
		}
		p++;
	}
	puts_(b, "\"");
}

static bool int_key(const char *k)
{
	static const char *const ints[] = {"samples", "warmup_runs", "measured_runs", "correct"};
	for (size_t i = 0; k && i < sizeof ints / sizeof ints[0]; i++)
		if (strcmp(k, ints[i]) == 0)
			return true;
	return false;
}

static int cmp_items(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
	return strcmp(x->string, y->string);
}

static void newline(struct buf *b, int indent, int level)
{
	if (indent < 0)
		return;
	puts_(b, "\n");
	for (int i = 0; i < indent * level; i++)
		puts_(b, " ");
}

/* indent < 0: compact (the digests); otherwise json.dumps(indent=indent) layout (the file). */
static void canon(struct buf *b, const cJSON *v, const char *key, int indent, int level)
{
	if (cJSON_IsNull(v)) {
		puts_(b, "null");
	} else if (cJSON_IsTrue(v)) {
		puts_(b, "true");
	} else if (cJSON_IsFalse(v)) {
		puts_(b, "false");
	} else if (cJSON_IsNumber(v)) {
		double x = v->valuedouble;
		if (!isfinite(x)) {
			b->bad = true;
			return;
		}
		if (int_key(key) && x == floor(x) && fabs(x) < 9e15) {
			char t[32];
			snprintf(t, sizeof t, "%.0f", x);
			puts_(b, t);
		} else {
			py_float(b, x);
		}
	} else if (cJSON_IsString(v)) {
		py_string(b, v->valuestring);
	} else if (cJSON_IsArray(v)) {
		puts_(b, "[");
		const cJSON *c;
		bool first = true;
		cJSON_ArrayForEach(c, v)
		{
			if (!first)
				puts_(b, ",");
			first = false;
			newline(b, indent, level + 1);
			canon(b, c, key, indent, level + 1); /* a list keeps its key's number type */
		}
		if (!first)
			newline(b, indent, level);
		puts_(b, "]");
	} else if (cJSON_IsObject(v)) {
		size_t n = (size_t)cJSON_GetArraySize(v), i = 0;
		const cJSON **items = malloc((n ? n : 1) * sizeof *items);
		if (!items) {
			b->bad = true;
			return;
		}
		const cJSON *c;
		cJSON_ArrayForEach(c, v) items[i++] = c;
		qsort(items, n, sizeof *items, cmp_items);
		puts_(b, "{");
		for (i = 0; i < n; i++) {
			if (i)
				puts_(b, ",");
			newline(b, indent, level + 1);
			py_string(b, items[i]->string);
			puts_(b, indent < 0 ? ":" : ": ");
			canon(b, items[i], items[i]->string, indent, level + 1);
		}
		if (n)
			newline(b, indent, level);
		puts_(b, "}");
		free(items);
	} else {
		b->bad = true;
	}
}

static char *serialize(const cJSON *doc, int indent)
{
	struct buf b = {0};
	canon(&b, doc, NULL, indent, 0);
	if (b.bad) {
		free(b.p);
		return NULL;
	}
	return b.p ? b.p : strdup("");
}

char *hb_receipt_canonical(const cJSON *doc)
{
	return serialize(doc, -1);
}

static bool digest(const cJSON *doc, char out[65])
{
	char *c = hb_receipt_canonical(doc);
	if (!c)
		return false;
	hb_sha256_hex(c, strlen(c), out);
	free(c);
	return true;
}

/* ---- the info file ------------------------------------------------------------------------------ */

void hb_receipt_info_default(struct hb_receipt_info *info)
{
	memset(info, 0, sizeof *info);
	const char *u = getenv("USER");
	snprintf(info->operator_name, sizeof info->operator_name, "%s", u && *u ? u : "unknown operator");
}

struct info_ctx {
	struct hb_receipt_info *info;
	char *err;
	size_t errlen;
	const char *path;
	int line;
	bool bad;
};

static bool valid_day(const char *s)
{
	int y, m, d;
	char extra;
	return strlen(s) == 10 && sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &extra) == 3 && m >= 1 && m <= 12 &&
	       d >= 1 && d <= 31;
}

static int info_kv(void *user, const char *section, const char *name, const char *value, int lineno)
{
	struct info_ctx *c = user;
	struct hb_receipt_info *i = c->info;
	struct {
		const char *sec, *key;
		char *dst;
		size_t cap;
	} map[] = {
		{"operator", "name", i->operator_name, sizeof i->operator_name},
		{"operator", "contact", i->operator_contact, sizeof i->operator_contact},
		{"device", "serial", i->device_serial, sizeof i->device_serial},
		{"device", "vendor", i->device_vendor, sizeof i->device_vendor},
		{"device", "model", i->device_model, sizeof i->device_model},
		{"instrument", "vendor", i->instrument_vendor, sizeof i->instrument_vendor},
		{"instrument", "model", i->instrument_model, sizeof i->instrument_model},
		{"instrument", "serial", i->instrument_serial, sizeof i->instrument_serial},
		{"instrument", "certificate", i->certificate, sizeof i->certificate},
		{"instrument", "calibrated_on", i->calibrated_on, sizeof i->calibrated_on},
		{"instrument", "valid_until", i->valid_until, sizeof i->valid_until},
		{"instrument", "measurement_point", i->measurement_point, sizeof i->measurement_point},
	};
	for (size_t k = 0; k < sizeof map / sizeof map[0]; k++) {
		if (strcmp(section, map[k].sec) || strcmp(name, map[k].key))
			continue;
		if (strlen(value) >= map[k].cap) {
			snprintf(c->err, c->errlen, "%s:%d: [%s] %s is too long", c->path, lineno, section, name);
			c->bad = true;
			return 0;
		}
		if ((strcmp(name, "calibrated_on") == 0 || strcmp(name, "valid_until") == 0) && !valid_day(value)) {
			snprintf(c->err, c->errlen, "%s:%d: [%s] %s = '%s': expected a date YYYY-MM-DD", c->path, lineno,
				 section, name, value);
			c->bad = true;
			return 0;
		}
		snprintf(map[k].dst, map[k].cap, "%s", value);
		return 1;
	}
	snprintf(c->err, c->errlen, "%s:%d: unknown key [%s] %s", c->path, lineno, section, name);
	c->bad = true;
	return 0;
}

/* inih without INI_HANDLER_LINENO: keep the line through a wrapper that counts it */
static int info_kv_nolineno(void *user, const char *section, const char *name, const char *value)
{
	struct info_ctx *c = user;
	return info_kv(user, section, name, value, c->line);
}

enum hb_status hb_receipt_info_load(const char *path, struct hb_receipt_info *info, char *err,
				    size_t errlen)
{
	struct info_ctx c = {.info = info, .err = err, .errlen = errlen, .path = path};
	int rc = ini_parse(path, info_kv_nolineno, &c);
	if (rc == -1) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return HB_ERR_NOTFOUND;
	}
	if (c.bad) {
		/* inih reports the first failing line as rc */
		char *p = strstr(err, ":0:");
		if (p && rc > 0) {
			char tail[256];
			snprintf(tail, sizeof tail, "%s", p + 3);
			snprintf(p, errlen - (size_t)(p - err), ":%d:%s", rc, tail);
		}
		return HB_ERR_FORMAT;
	}
	if (rc != 0) {
		snprintf(err, errlen, "%s:%d: syntax error", path, rc);
		return HB_ERR_FORMAT;
	}
	return HB_OK;
}

/* ---- the receipt ---------------------------------------------------------------------------------- */

static const cJSON *obj(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *x = obj(o, k);
	return cJSON_IsString(x) ? x->valuestring : NULL;
}

/* A number, also in the raw form hb_report_json_number() uses for exact figures. */
static double num(const cJSON *o, const char *k)
{
	const cJSON *x = obj(o, k);
	if (cJSON_IsNumber(x))
		return x->valuedouble;
	if (cJSON_IsRaw(x) && x->valuestring) {
		char *end;
		double v = strtod(x->valuestring, &end);
		return end != x->valuestring && *end == '\0' ? v : NAN;
	}
	return NAN;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* SC-NeuroCore's nearest rank: the ceil(q·n)-th smallest value. */
static double nearest_rank(const double *v, size_t n, double q)
{
	double *s = malloc(n * sizeof *s);
	if (!s)
		return NAN;
	memcpy(s, v, n * sizeof *s);
	qsort(s, n, sizeof *s, cmp_d);
	size_t k = (size_t)ceil(q * (double)n);
	double r = s[(k < 1 ? 1 : k) - 1];
	free(s);
	return r;
}

static const char *vendor_of(const char *family)
{
	if (!family)
		return "unknown";
	if (!strcmp(family, "ice40") || !strcmp(family, "ecp5"))
		return "Lattice Semiconductor";
	if (!strcmp(family, "artix7"))
		return "AMD Xilinx";
	return "hilbench (simulated)";
}

cJSON *hb_receipt_build(const cJSON *const *docs, size_t n, const struct hb_receipt_info *info, char *err,
			size_t errlen)
{
	if (!docs || n == 0) {
		snprintf(err, errlen, "no run to seal");
		return NULL;
	}
	const cJSON *run0 = obj(docs[0], "run");
	const char *board = str(run0, "board"), *family = str(run0, "family"), *net = str(run0, "net");
	const char *net_sha = str(run0, "net_sha256"), *data_sha = str(run0, "data_sha256");
	const char *image_sha = str(run0, "image_sha256"), *image_kind = str(run0, "image_kind");
	if (!board || !family || !net) {
		snprintf(err, errlen, "run 1 has no run.board/family/net: not a hilbench run result");
		return NULL;
	}
	if (!net_sha || !data_sha || !image_sha) {
		snprintf(err, errlen, "run on %s has no %s recorded (%s)", board,
			 !net_sha ? "network sha256" : !data_sha ? "data sha256" : "image sha256",
			 !image_sha ? "a board flashed with --no-flash runs an unknown bitstream" : "an older hilbench run");
		return NULL;
	}
	const cJSON *simflag = obj(run0, "simulated");
	const char *session = str(run0, "session");
	bool simulated = cJSON_IsTrue(simflag) || strcmp(family, "sim") == 0 ||
			 (session && strcmp(session, "hardware") != 0);

	double *lat = calloc(n, sizeof *lat), *joules = calloc(n, sizeof *joules);
	if (!lat || !joules) {
		free(lat);
		free(joules);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	double samples = 0, correct = 0, rate = NAN;
	bool energy_all = true;
	const char *first_start = NULL, *last_finish = NULL, *build = str(run0, "build_hash");
	const char *labels_note = NULL;
	for (size_t i = 0; i < n; i++) {
		const cJSON *run = obj(docs[i], "run"), *m = obj(docs[i], "measured");
		const char *b = str(run, "board"), *nn = str(run, "net"), *img = str(run, "image_sha256");
		if (!b || strcmp(b, board) || !nn || strcmp(nn, net) || !img || strcmp(img, image_sha)) {
			snprintf(err, errlen, "run %zu is not on the same board, network and image as run 1", i + 1);
			goto fail;
		}
		const cJSON *lh = obj(m, "latency_host_ms");
		lat[i] = num(lh, "p50");
		if (!isfinite(lat[i])) {
			snprintf(err, errlen, "run %zu has no host round-trip latency", i + 1);
			goto fail;
		}
		double lab = num(m, "labelled"), cor = num(m, "correct");
		if (isfinite(lab) && lab > 0) {
			samples += lab;
			correct += cor;
		} else {
			/* no labels: a result counts as correct when it equals the golden model's */
			double chk = num(m, "singles_checked"), mis = num(m, "singles_mismatched");
			if (!isfinite(chk)) {
				snprintf(err, errlen, "run %zu records no evaluated samples", i + 1);
				goto fail;
			}
			samples += chk;
			correct += chk - (isfinite(mis) ? mis : 0);
			labels_note = "no labelled data: 'correct' counts results equal to the golden model's";
		}
		double e = num(m, "energy_total_nj");
		joules[i] = e * 1e-9;
		energy_all = energy_all && isfinite(e) && e > 0;
		double r = num(m, "power_sample_rate_hz");
		if (isfinite(r))
			rate = r;
		const char *s0 = str(run, "started_at"), *s1 = str(run, "finished_at");
		if (s0 && (!first_start || strcmp(s0, first_start) < 0))
			first_start = s0;
		if (s1 && (!last_finish || strcmp(s1, last_finish) > 0))
			last_finish = s1;
	}
	if (!first_start || !last_finish || samples < 1) {
		snprintf(err, errlen, "the runs record no start/finish time or no samples");
		goto fail;
	}

	/* ---- protocol ---- */
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "schema_version", HB_RECEIPT_PROTOCOL_SCHEMA);
	cJSON_AddBoolToObject(p, "opt_in", 1);
	cJSON_AddStringToObject(p, "declared_at", first_start);
	cJSON *op = cJSON_AddObjectToObject(p, "operator");
	cJSON_AddStringToObject(op, "name", info->operator_name[0] ? info->operator_name : "unknown operator");
	cJSON_AddStringToObject(op, "contact", info->operator_contact);
	cJSON *dev = cJSON_AddObjectToObject(p, "device");
	char model[128], serial[128], firmware[96];
	const char *part = str(run0, "fpga_part");
	snprintf(model, sizeof model, "%s%s%s", info->device_model[0] ? info->device_model : board,
		 part && !info->device_model[0] ? " " : "", part && !info->device_model[0] ? part : "");
	const char *ser = info->device_serial[0] ? info->device_serial : str(run0, "device_serial");
	if (simulated)
		snprintf(serial, sizeof serial, "simulated");
	else
		snprintf(serial, sizeof serial, "%s", ser && *ser ? ser : "unspecified (set [device] serial)");
	snprintf(firmware, sizeof firmware, "hilbench gateware build %s", build ? build : "unknown");
	cJSON_AddStringToObject(dev, "vendor",
				simulated ? "hilbench (simulated)" : info->device_vendor[0] ? info->device_vendor
											   : vendor_of(family));
	cJSON_AddStringToObject(dev, "model", simulated ? "virtual board (Verilator)" : model);
	cJSON_AddStringToObject(dev, "serial", serial);
	cJSON_AddStringToObject(dev, "firmware", firmware);
	cJSON *im = cJSON_AddObjectToObject(p, "image");
	cJSON_AddStringToObject(im, "kind", image_kind ? image_kind : simulated ? "binary" : "bitstream");
	cJSON_AddStringToObject(im, "sha256", image_sha);
	cJSON_AddStringToObject(p, "network_sha256", net_sha);
	cJSON_AddStringToObject(p, "data_sha256", data_sha);
	cJSON_AddNumberToObject(p, "samples", samples);
	cJSON *lt = cJSON_AddObjectToObject(p, "latency");
	cJSON_AddStringToObject(lt, "start_event", "host writes the STREAM request with the sample's input bitstreams");
	cJSON_AddStringToObject(lt, "end_event", "host has decoded the INFER response (median of the run's samples)");
	cJSON_AddStringToObject(lt, "clock", "host CLOCK_MONOTONIC");
	cJSON_AddBoolToObject(lt, "includes_transport", 1);
	cJSON_AddNumberToObject(lt, "warmup_runs", 0);
	cJSON_AddNumberToObject(lt, "measured_runs", (double)n);
	/* power: declared when the instrument is known (always on a simulated board) */
	bool have_power = energy_all && (simulated || (info->instrument_serial[0] && info->certificate[0] &&
							info->calibrated_on[0] && info->valid_until[0]));
	char instr_serial[128] = "";
	if (have_power) {
		cJSON *pw = cJSON_AddObjectToObject(p, "power");
		cJSON *in = cJSON_AddObjectToObject(pw, "instrument");
		char day[16];
		snprintf(day, sizeof day, "%.10s", first_start);
		char lday[16];
		snprintf(lday, sizeof lday, "%.10s", last_finish);
		if (simulated) {
			snprintf(instr_serial, sizeof instr_serial, "simulated");
			cJSON_AddStringToObject(in, "vendor", "hilbench (simulated)");
			cJSON_AddStringToObject(in, "model", "INA219 model of the virtual board");
			cJSON_AddStringToObject(in, "serial", instr_serial);
		} else {
			snprintf(instr_serial, sizeof instr_serial, "%s", info->instrument_serial);
			cJSON_AddStringToObject(in, "vendor", info->instrument_vendor[0] ? info->instrument_vendor : "Texas Instruments");
			cJSON_AddStringToObject(in, "model", info->instrument_model[0] ? info->instrument_model : "INA219");
			cJSON_AddStringToObject(in, "serial", instr_serial);
		}
		cJSON *ca = cJSON_AddObjectToObject(pw, "calibration");
		cJSON_AddStringToObject(ca, "certificate", simulated ? "none: simulated instrument" : info->certificate);
		cJSON_AddStringToObject(ca, "calibrated_on", simulated ? day : info->calibrated_on);
		cJSON_AddStringToObject(ca, "valid_until", simulated ? lday : info->valid_until);
		const char *mp = info->measurement_point[0] ? info->measurement_point : str(run0, "measurement_point");
		cJSON_AddStringToObject(pw, "measurement_point", mp ? mp : "board rail with the INA219 shunt");
		cJSON_AddNumberToObject(pw, "sample_rate_hz", isfinite(rate) ? rate : 375.0);
	} else {
		cJSON_AddNullToObject(p, "power");
	}
	cJSON_AddArrayToObject(p, "criteria");
	char psha[65];
	if (!digest(p, psha)) {
		cJSON_Delete(p);
		snprintf(err, errlen, "a non-finite number in the protocol");
		goto fail;
	}
	cJSON_AddStringToObject(p, "sha256", psha);

	/* ---- observations, derived ---- */
	cJSON *r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "schema_version", HB_RECEIPT_SCHEMA);
	cJSON_AddItemToObject(r, "protocol", p);
	cJSON_AddStringToObject(r, "protocol_sha256", psha);
	cJSON *o = cJSON_AddObjectToObject(r, "observations");
	cJSON_AddStringToObject(o, "started_at", first_start);
	cJSON_AddStringToObject(o, "finished_at", last_finish);
	cJSON_AddStringToObject(o, "device_serial", serial);
	cJSON_AddStringToObject(o, "image_sha256", image_sha);
	cJSON_AddArrayToObject(o, "warmup_latency_ms");
	cJSON_AddItemToObject(o, "latency_ms", cJSON_CreateDoubleArray(lat, (int)n));
	cJSON_AddNumberToObject(o, "correct", correct);
	double mean_j = NAN, max_j = NAN;
	if (have_power) {
		cJSON *e = cJSON_AddObjectToObject(o, "energy");
		/* A simulated board's energy comes from its power model through a simulated INA219:
		 * never "instrument". */
		cJSON_AddStringToObject(e, "source", simulated ? "simulated" : "instrument");
		cJSON_AddStringToObject(e, "instrument_serial", instr_serial);
		cJSON_AddItemToObject(e, "joules_per_inference", cJSON_CreateDoubleArray(joules, (int)n));
		mean_j = 0;
		max_j = joules[0];
		for (size_t i = 0; i < n; i++) {
			mean_j += joules[i];
			max_j = joules[i] > max_j ? joules[i] : max_j;
		}
		mean_j /= (double)n;
		cJSON_AddNumberToObject(e, "mean_j", mean_j);
		cJSON_AddNumberToObject(e, "max_j", max_j);
	} else {
		cJSON_AddNullToObject(o, "energy");
	}
	char notes[640];
	snprintf(notes, sizeof notes, "%s%s%s%s%s",
		 simulated ? "SIMULATED: measured on hilbench's virtual board (Verilator + INA219 model); "
			     "not an instrument measurement. " : "",
		 labels_note ? labels_note : "", labels_note ? ". " : "",
		 !have_power && energy_all && !simulated
			 ? "Energy was measured but is not admitted: no instrument serial and calibration declared "
			   "(hilbench --receipt-info). "
			 : "",
		 n > 1 ? "samples and correct are totals over the measured runs." : "");
	cJSON_AddStringToObject(o, "notes", notes);
	cJSON *d = cJSON_AddObjectToObject(r, "derived");
	cJSON_AddNumberToObject(d, "accuracy", correct / samples);
	cJSON_AddNumberToObject(d, "latency_p50_ms", nearest_rank(lat, n, 0.50));
	cJSON_AddNumberToObject(d, "latency_p95_ms", nearest_rank(lat, n, 0.95));
	if (have_power)
		cJSON_AddNumberToObject(d, "energy_per_inference_j", mean_j);
	else
		cJSON_AddNullToObject(d, "energy_per_inference_j");
	cJSON_AddStringToObject(d, "latency_percentile_method", "nearest-rank");
	cJSON_AddArrayToObject(r, "verdicts");
	if (simulated) /* outside SC-NeuroCore's schema on purpose: verify_receipt refuses it */
		cJSON_AddBoolToObject(r, "simulated", 1);
	char rsha[65];
	if (!digest(r, rsha)) {
		cJSON_Delete(r);
		snprintf(err, errlen, "a non-finite number in the observations");
		goto fail;
	}
	cJSON_AddStringToObject(r, "sha256", rsha);
	free(lat);
	free(joules);
	return r;
fail:
	free(lat);
	free(joules);
	return NULL;
}

enum hb_status hb_receipt_write_file(const char *path, const cJSON *const *docs, size_t n,
				     const struct hb_receipt_info *info, char *err, size_t errlen)
{
	cJSON *r = hb_receipt_build(docs, n, info, err, errlen);
	if (!r)
		return HB_ERR_ARG;
	/* Written with the digests' number formatting (Python's repr: exact), so the figures read
	 * back are the ones that were digested; laid out as json.dumps(indent=2, sort_keys=True). */
	char *text = serialize(r, 2);
	cJSON_Delete(r);
	if (!text) {
		snprintf(err, errlen, "out of memory");
		return HB_ERR_NOMEM;
	}
	FILE *f = fopen(path, "w");
	bool ok = f && fputs(text, f) >= 0 && fputc('\n', f) != EOF;
	if (f && fclose(f) != 0)
		ok = false;
	free(text);
	if (!ok) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return HB_ERR_IO;
	}
	return HB_OK;
}
