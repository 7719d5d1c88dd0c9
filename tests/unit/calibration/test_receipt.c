/* SC-NeuroCore receipts (bench/core/hb_receipt.c): Python-compatible canonical JSON and
 * digests, hardware vs simulated receipts, the info file. The expected canonical strings follow
 * json.dumps(sort_keys=True, separators=(",", ":")) with Python's float repr: shortest
 * round-trip digits, fixed notation for decimal exponents -4 < e <= 16, else d.ddde±XX; int
 * fields without a fraction; non-ASCII as \\uXXXX (UTF-16 surrogates above U+FFFF). */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hb_receipt.h"

static char *canon_of(const char *json)
{
	cJSON *d = cJSON_Parse(json);
	cr_assert_not_null(d, "%s", json);
	char *c = hb_receipt_canonical(d);
	cJSON_Delete(d);
	cr_assert_not_null(c);
	return c;
}

Test(receipt, canonical_numbers_like_python)
{
	struct {
		const char *in, *want;
	} cases[] = {
		{"{\"x\": 0.1}", "{\"x\":0.1}"},
		{"{\"x\": 1e16}", "{\"x\":1e+16}"},
		{"{\"x\": 1e15}", "{\"x\":1000000000000000.0}"},
		{"{\"x\": 0.0001}", "{\"x\":0.0001}"},
		{"{\"x\": 0.00001}", "{\"x\":1e-05}"},
		{"{\"x\": 123}", "{\"x\":123.0}"},
		{"{\"samples\": 50, \"correct\": 48}", "{\"correct\":48,\"samples\":50}"},
		{"{\"x\": -2.5e-7}", "{\"x\":-2.5e-07}"},
		{"{\"x\": 1.7976931348623157e308}", "{\"x\":1.7976931348623157e+308}"},
		{"{\"x\": 227.237588}", "{\"x\":227.237588}"},
		{"{\"x\": 1474886.0677}", "{\"x\":1474886.0677}"},
		{"{\"b\": [1.5, true, null], \"a\": {\"d\": \"e\", \"c\": false}}",
		 "{\"a\":{\"c\":false,\"d\":\"e\"},\"b\":[1.5,true,null]}"},
		{"{\"s\": \"\\u00b5A \\ud83d\\ude00 \\u0001\\u007f\\\"\\\\\\n\"}",
		 "{\"s\":\"\\u00b5A \\ud83d\\ude00 \\u0001\\u007f\\\"\\\\\\n\"}"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *c = canon_of(cases[i].in);
		cr_assert_str_eq(c, cases[i].want, "case %zu", i);
		free(c);
	}
	/* digest of "abc" (FIPS 180-2 example) */
	char h[65];
	hb_sha256_hex("abc", 3, h);
	cr_assert_str_eq(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/* A stored run's result document, as hilbench run writes it (the fields a receipt reads). */
static cJSON *run_doc(const char *family, double energy_nj)
{
	char text[2048];
	snprintf(text, sizeof text,
		 "{\"run\": {\"board\": \"%s\", \"family\": \"%s\", \"net\": \"digits\", \"build_hash\": \"1234abcd\","
		 " \"started_at\": \"2026-05-01T10:00:00+02:00\", \"finished_at\": \"2026-05-01T10:01:00+02:00\","
		 " \"net_sha256\": \"%064d\", \"data_sha256\": \"%064d\", \"image_sha256\": \"%064d\","
		 " \"image_kind\": \"bitstream\", \"device_serial\": \"FT2232H-XYZ\", \"fpga_part\": \"iCE40UP5K-SG48\"},"
		 " \"measured\": {\"latency_host_ms\": {\"p50\": 1.25, \"p95\": 1.5}, \"labelled\": 50, \"correct\": 48,"
		 " \"energy_total_nj\": %.17g, \"power_sample_rate_hz\": 375.9}}",
		 !strcmp(family, "sim") ? "sim" : "icebreaker", family, 1, 2, 3, energy_nj);
	cJSON *d = cJSON_Parse(text);
	cr_assert_not_null(d);
	return d;
}

static const cJSON *path(const cJSON *o, const char *a, const char *b)
{
	o = cJSON_GetObjectItemCaseSensitive(o, a);
	return b ? cJSON_GetObjectItemCaseSensitive(o, b) : o;
}

Test(receipt, hardware_with_a_calibrated_instrument)
{
	struct hb_receipt_info info;
	hb_receipt_info_default(&info);
	snprintf(info.instrument_serial, sizeof info.instrument_serial, "INA219-BOARD-7");
	snprintf(info.certificate, sizeof info.certificate, "LAB-CAL-2026-044");
	snprintf(info.calibrated_on, sizeof info.calibrated_on, "2026-01-10");
	snprintf(info.valid_until, sizeof info.valid_until, "2027-01-10");
	cJSON *docs[2] = {run_doc("ice40", 35000.0), run_doc("ice40", 35100.0)};
	char err[256] = "";
	cJSON *r = hb_receipt_build((const cJSON *const *)docs, 2, &info, err, sizeof err);
	cr_assert_not_null(r, "%s", err);
	cr_assert_null(cJSON_GetObjectItem(r, "simulated"));
	cr_assert_str_eq(path(r, "observations", "energy")->child->valuestring, "instrument");
	const cJSON *e = path(path(r, "observations", NULL), "energy", "joules_per_inference");
	cr_assert_eq(cJSON_GetArraySize(e), 2);
	cr_assert_float_eq(cJSON_GetArrayItem(e, 0)->valuedouble, 35e-6, 1e-15);
	cr_assert_eq(path(path(r, "protocol", NULL), "latency", "measured_runs")->valuedouble, 2);
	cr_assert(cJSON_IsTrue(path(path(r, "protocol", NULL), "latency", "includes_transport")));
	cr_assert_str_eq(path(path(r, "protocol", NULL), "device", "serial")->valuestring, "FT2232H-XYZ");
	cr_assert_str_eq(path(path(r, "protocol", NULL), "image", "kind")->valuestring, "bitstream");
	cr_assert_float_eq(path(r, "derived", "accuracy")->valuedouble, 96.0 / 100, 1e-12);
	/* the digests are over the canonical form without the digest itself */
	cJSON *p = cJSON_Duplicate(cJSON_GetObjectItem(r, "protocol"), 1);
	char ps[65];
	snprintf(ps, sizeof ps, "%s", cJSON_GetObjectItem(p, "sha256")->valuestring);
	cJSON_DeleteItemFromObject(p, "sha256");
	char *c = hb_receipt_canonical(p);
	char h[65];
	hb_sha256_hex(c, strlen(c), h);
	cr_assert_str_eq(h, ps);
	cr_assert_str_eq(cJSON_GetObjectItem(r, "protocol_sha256")->valuestring, ps);
	free(c);
	cJSON_Delete(p);
	cJSON_Delete(r);
	/* without a declared calibration the energy is not admitted, and the notes say why */
	hb_receipt_info_default(&info);
	r = hb_receipt_build((const cJSON *const *)docs, 1, &info, err, sizeof err);
	cr_assert_not_null(r, "%s", err);
	cr_assert(cJSON_IsNull(path(r, "observations", "energy")));
	cr_assert(cJSON_IsNull(path(r, "protocol", "power")));
	cr_assert(strstr(path(r, "observations", "notes")->valuestring, "not admitted"));
	cJSON_Delete(r);
	cJSON_Delete(docs[0]);
	cJSON_Delete(docs[1]);
}

Test(receipt, simulated_runs_never_pass_as_instrument)
{
	struct hb_receipt_info info;
	hb_receipt_info_default(&info);
	/* even with an instrument declared, a simulated run stays simulated */
	snprintf(info.instrument_serial, sizeof info.instrument_serial, "INA219-BOARD-7");
	snprintf(info.certificate, sizeof info.certificate, "LAB");
	snprintf(info.calibrated_on, sizeof info.calibrated_on, "2026-01-10");
	snprintf(info.valid_until, sizeof info.valid_until, "2027-01-10");
	cJSON *doc = run_doc("sim", 1474886.0);
	char err[256];
	cJSON *r = hb_receipt_build((const cJSON *const *)&doc, 1, &info, err, sizeof err);
	cr_assert_not_null(r, "%s", err);
	cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(r, "simulated")));
	cr_assert_str_eq(path(path(r, "observations", NULL), "energy", "source")->valuestring, "simulated");
	cr_assert_str_eq(path(path(r, "protocol", NULL), "device", "serial")->valuestring, "simulated");
	cr_assert_str_eq(path(path(path(r, "protocol", NULL), "power", NULL), "instrument", "serial")->valuestring,
			 "simulated");
	cr_assert(strstr(path(r, "observations", "notes")->valuestring, "SIMULATED"));
	cJSON_Delete(r);
	/* runs of different networks do not make one receipt */
	cJSON *other = run_doc("sim", 1.0);
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(other, "run"), "net", cJSON_CreateString("mnist-shape"));
	cJSON *two[2] = {doc, other};
	cr_assert_null(hb_receipt_build((const cJSON *const *)two, 2, &info, err, sizeof err));
	cr_assert(strstr(err, "same board, network"), "%s", err);
	/* a run whose image nobody recorded (--no-flash) cannot be sealed */
	cJSON_DeleteItemFromObject(cJSON_GetObjectItem(doc, "run"), "image_sha256");
	cr_assert_null(hb_receipt_build((const cJSON *const *)&doc, 1, &info, err, sizeof err));
	cr_assert(strstr(err, "image sha256"), "%s", err);
	cJSON_Delete(doc);
	cJSON_Delete(other);
}

Test(receipt, info_file)
{
	char p[] = "/tmp/hb-receipt-XXXXXX";
	int fd = mkstemp(p);
	cr_assert(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fprintf(f, "[operator]\nname = A. Tester\ncontact = lab@example.org\n[instrument]\nserial = X1\n"
		   "calibrated_on = 2026-01-10\nvalid_until = 2027-01-10\ncertificate = C-1\n");
	fclose(f);
	struct hb_receipt_info info;
	char err[256] = "";
	hb_receipt_info_default(&info);
	cr_assert_eq(hb_receipt_info_load(p, &info, err, sizeof err), HB_OK, "%s", err);
	cr_assert_str_eq(info.operator_name, "A. Tester");
	cr_assert_str_eq(info.instrument_serial, "X1");
	f = fopen(p, "w");
	fprintf(f, "[instrument]\nserial = X1\ncalibrated_on = 10/01/2026\n");
	fclose(f);
	cr_assert_eq(hb_receipt_info_load(p, &info, err, sizeof err), HB_ERR_FORMAT);
	cr_assert(strstr(err, ":3: [instrument] calibrated_on"), "%s", err);
	f = fopen(p, "w");
	fprintf(f, "[instrument]\nserail = X1\n");
	fclose(f);
	cr_assert_eq(hb_receipt_info_load(p, &info, err, sizeof err), HB_ERR_FORMAT);
	cr_assert(strstr(err, ":2: unknown key [instrument] serail"), "%s", err);
	unlink(p);
}
