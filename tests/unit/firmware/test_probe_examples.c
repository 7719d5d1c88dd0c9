/* docs/probe-protocol.md §6 quotes frames of a session with the probe firmware core; they
 * must be exactly what the firmware sends (and what the host encodes), and they must decode
 * to what the document says they are. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb_link_codec.h"
#include "hb_probe_codec.h"
#include "probe_examples.h"

static char *slurp(const char *rel)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", getenv("HB_SOURCE_DIR"), rel);
	FILE *f = fopen(path, "rb");
	cr_assert(f, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *s = malloc((size_t)n + 1);
	cr_assert_eq(fread(s, 1, (size_t)n, f), (size_t)n);
	s[n] = 0;
	fclose(f);
	return s;
}

/* The hex bytes of the block that starts with the line "# <name>: ", -1 if absent. */
static long find_block(const char *text, const char *name, uint8_t *out, size_t cap)
{
	char key[128];
	snprintf(key, sizeof key, "# %s: ", name);
	const char *p = text;
	for (;;) {
		p = strstr(p, key);
		if (!p)
			return -1;
		if (p == text || p[-1] == '\n')
			break;
		p++;
	}
	p = strchr(p, '\n');
	size_t n = 0;
	while (p && *p == '\n') {
		p++;
		if (*p == '\n' || *p == '#' || *p == '`' || *p == 0)
			break;
		while (*p && *p != '\n') {
			if (isxdigit((unsigned char)p[0]) && isxdigit((unsigned char)p[1])) {
				unsigned v;
				sscanf(p, "%2x", &v);
				if (n < cap)
					out[n] = (uint8_t)v;
				n++;
				p += 2;
			} else {
				p++;
			}
		}
	}
	return (long)n;
}

static struct probe_example ex[PROBE_EXAMPLES_MAX];
static size_t n_ex;

static void build(void)
{
	n_ex = probe_examples_build(ex, PROBE_EXAMPLES_MAX);
	cr_assert_gt(n_ex, 0, "the example session failed");
}

TestSuite(probe_examples, .init = build);

Test(probe_examples, the_document_quotes_what_the_firmware_sends)
{
	char *doc = slurp("docs/probe-protocol.md");
	for (size_t i = 0; i < n_ex; i++) {
		uint8_t got[512];
		long m = find_block(doc, ex[i].name, got, sizeof got);
		cr_assert_geq(m, 0, "docs/probe-protocol.md lacks example %s", ex[i].name);
		cr_assert_eq((size_t)m, ex[i].len, "%s: the document has %ld bytes, the session %zu",
			     ex[i].name, m, ex[i].len);
		for (size_t k = 0; k < ex[i].len; k++)
			cr_assert_eq(got[k], ex[i].bytes[k], "%s byte %zu: document %02X, firmware %02X",
				     ex[i].name, k, got[k], ex[i].bytes[k]);
	}
	free(doc);
}

static const struct probe_example *get(const char *name, uint8_t *type, const uint8_t **p,
				       uint16_t *len)
{
	for (size_t i = 0; i < n_ex; i++) {
		if (strcmp(ex[i].name, name))
			continue;
		static struct hb_link_decoder d;
		hb_link_decoder_init(&d, HBP_MAX_PAYLOAD);
		struct hb_link_event ev;
		size_t used;
		hb_link_decoder_feed(&d, ex[i].bytes, ex[i].len, &used, &ev);
		cr_assert_eq(ev.kind, HB_LINK_EV_FRAME, "%s is not a valid frame", name);
		cr_assert_eq(used, ex[i].len);
		*type = ev.type;
		*p = ev.payload;
		*len = ev.len;
		return &ex[i];
	}
	cr_assert_fail("no example %s", name);
	return NULL;
}

static void on_rec(void *ctx, const struct hb_probe_record *r)
{
	struct hb_probe_record *out = ctx;
	for (int i = 0; i < 16; i++)
		if (out[i].kind == 0xFF) {
			out[i] = *r;
			return;
		}
}

Test(probe_examples, they_mean_what_the_document_says)
{
	uint8_t type;
	const uint8_t *p;
	uint16_t len;
	get("boot", &type, &p, &len);
	struct hb_probe_boot b;
	cr_assert_eq(type, HBP_BOOT);
	cr_assert_eq(hb_probe_boot_decode(p, len, &b), HB_OK);
	cr_assert_eq(b.reset_cause, HBP_RESET_POWER_ON);
	cr_assert_eq(b.boot_count, 1);

	get("identify_resp", &type, &p, &len);
	struct hb_probe_identity id;
	cr_assert_eq(hb_probe_identity_decode(p, len, &id), HB_OK);
	cr_assert_eq(id.build_hash, 0x1234ABCDu);
	cr_assert_eq(id.baud, 2000000u);
	cr_assert_eq(id.capabilities, 0x1F);
	cr_assert_eq(id.fifo_bytes, 4096);

	get("config_req", &type, &p, &len);
	struct hb_probe_monitor m;
	cr_assert_eq(hb_probe_monitor_decode(p, len, &m), HB_OK);
	cr_assert_eq(m.addr, 0x40);
	cr_assert_eq(m.config, 0x381F);
	cr_assert_eq(m.shunt_uohm, 100000u);
	cr_assert_eq(m.bus_every, 4);
	get("config_resp", &type, &p, &len);
	struct hb_probe_config_result cr;
	cr_assert_eq(hb_probe_config_result_decode(p, len, &cr), HB_OK);
	cr_assert_eq(cr.result, HBP_I2C_OK);
	cr_assert_eq(cr.readback, 0x381F);
	cr_assert_eq(cr.period_us, 616u);
	get("config_missing_resp", &type, &p, &len);
	cr_assert_eq(hb_probe_config_result_decode(p, len, &cr), HB_OK);
	cr_assert_eq(cr.result, HBP_I2C_NACK_ADDR);

	get("start_resp", &type, &p, &len);
	struct hb_probe_start_result sr;
	cr_assert_eq(hb_probe_start_result_decode(p, len, &sr), HB_OK);
	cr_assert_eq(sr.enabled, 3);
	cr_assert_eq(sr.ok, 1);

	/* the DATA table of §6.3: each row's bytes are the next record, its time the record's
	 * (GAP rows: the time after the gap), its shunt count the decoded one */
	get("data", &type, &p, &len);
	cr_assert_eq(type, HBP_DATA);
	struct hb_probe_stream st;
	hb_probe_stream_begin(&st, sr.t_start);
	struct hb_probe_record r[16];
	memset(r, 0xFF, sizeof r);
	cr_assert_eq(hb_probe_stream_data(&st, 0, p, len, on_rec, r), HB_OK);
	char *doc = slurp("docs/probe-protocol.md");
	const char *row = strstr(doc, "The first DATA frame:");
	cr_assert_not_null(row);
	row = strstr(row, "|---|---|---|\n");
	cr_assert_not_null(row);
	row += strlen("|---|---|---|\n");
	uint64_t t = sr.t_start;
	size_t off = HBP_DATA_HDR_LEN, nrec = 0, rows = 0;
	while (off < len) {
		unsigned tag = p[off], sz = hbp_rec_size(tag);
		cr_assert(row[0] == '|', "the table ends before record at payload byte %zu", off);
		/* the row's bytes */
		const char *b = strchr(row, '`');
		cr_assert_not_null(b);
		for (unsigned k = 0; k < sz; k++) {
			unsigned v;
			cr_assert_eq(sscanf(b + 1 + 3 * k, "%2x", &v), 1);
			cr_assert_eq(v, p[off + k], "table row %zu byte %u", rows, k);
		}
		/* the row's time: the last number on the row */
		const char *end = strchr(row, '\n');
		const char *q = end;
		while (q > row && !(q[-1] >= '0' && q[-1] <= '9'))
			q--;
		while (q > row && q[-1] >= '0' && q[-1] <= '9')
			q--;
		unsigned long long when = strtoull(q, NULL, 10);
		t += p[off + 1];
		if (tag >> 4 == HBP_REC_GAP) {
			t += 256u * (uint64_t)(p[off + 2] | p[off + 3] << 8);
		} else {
			cr_assert_eq(r[nrec].t_us, t);
			const char *shunt = strstr(row, "shunt ");
			if (shunt && shunt < end)
				cr_assert_eq(strtol(shunt + 6, NULL, 10), r[nrec].shunt, "table row %zu", rows);
			nrec++;
		}
		cr_assert_eq(when, t, "table row %zu says %llu µs, the record is at %llu", rows, when,
			     (unsigned long long)t);
		row = end + 1;
		off += sz;
		rows++;
	}
	cr_assert(row[0] != '|', "the table has more rows than the frame has records");
	cr_assert_eq(r[nrec].kind, 0xFF);
	cr_assert_eq(r[0].kind, HBP_REC_I2C_ERROR);
	cr_assert_eq(r[0].status, HBP_I2C_NACK_ADDR);
	cr_assert_eq(hb_probe_bus_mV(r[1].bus), 3300);
	free(doc);

	get("status_resp", &type, &p, &len);
	struct hb_probe_status s;
	cr_assert_eq(hb_probe_status_decode(p, len, &s), HB_OK);
	cr_assert_eq(s.running, 1);
	cr_assert_eq(s.i2c_errors, 2);
	cr_assert_eq(s.mon_state[1], HBP_MON_ERROR);
	cr_assert_eq(s.mon_error[1], HBP_I2C_NACK_ADDR);

	get("stop_resp", &type, &p, &len);
	struct hb_probe_stop_result sp;
	cr_assert_eq(hb_probe_stop_result_decode(p, len, &sp), HB_OK);
	cr_assert_eq(sp.dropped, 0);
	cr_assert_gt(sp.records, 7);

	get("sync_resp", &type, &p, &len);
	struct hb_probe_sync_result sy;
	cr_assert_eq(hb_probe_sync_result_decode(p, len, &sy), HB_OK);
	cr_assert_eq(sy.tag, 0xDEADBEEFu);
	cr_assert_geq(sy.t_tx, sy.t_rx);

	get("xfer_resp", &type, &p, &len);
	uint8_t ist, reg[2];
	cr_assert_eq(hb_probe_xfer_decode(p, len, 2, &ist, reg), HB_OK);
	cr_assert_eq(ist, HBP_I2C_OK);
	cr_assert_eq(hb_probe_bus_mV((uint16_t)(reg[0] << 8 | reg[1])), 3300);

	get("bad_type_resp", &type, &p, &len);
	cr_assert_eq(type, HBP_ERROR);
	cr_assert_eq(p[0], HBP_R_UNKNOWN_TYPE);
	cr_assert_eq(p[1], 0x33);
}
