/* hb_model — networks: build, validate, load from / write to JSON (docs/network-format.md).
 *
 * Syntax is checked by libcjson; every error is reported as "origin:line:col: path: reason".
 * cJSON keeps no source positions, so the position of a field is found again by a small
 * scanner over the (already valid) text that follows the same path. */
#include <cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define LOG_PREFIX "model"
#include "hb_escape.h"
#include "hb_log.h"
#include "hb_model.h"
#include "hb_model_int.h"

#define HB_NET_FORMAT "hilbench-snn-1"

/* ---------------------------------------------------------------- small helpers */

uint32_t hb_model_crc32(const uint8_t *p, size_t n)
{
	uint32_t c = 0xFFFFFFFFu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int b = 0; b < 8; b++)
			c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
	}
	return c ^ 0xFFFFFFFFu;
}

static void put_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void put_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	hb_escape_inplace(err, errlen); /* it may quote the file's text */
}

void hb_net_free(struct hb_net *net)
{
	if (!net)
		return;
	for (unsigned k = 0; k < HB_MODEL_MAX_LAYERS; k++)
		free(net->layers[k].weights);
	memset(net, 0, sizeof *net);
}

enum hb_status hb_net_init(struct hb_net *net, unsigned n_layers, const unsigned *sizes, unsigned L)
{
	if (!net || !sizes || n_layers < 1 || n_layers > HB_MODEL_MAX_LAYERS)
		return HB_ERR_ARG;
	memset(net, 0, sizeof *net);
	snprintf(net->name, sizeof net->name, "unnamed");
	net->n_layers = n_layers;
	net->L = L;
	net->in_seed = 0xACE1;
	net->in_stride = 7;
	for (unsigned k = 0; k < n_layers; k++) {
		struct hb_layer *ly = &net->layers[k];
		ly->n_in = sizes[k];
		ly->n_out = sizes[k + 1];
		if (ly->n_in < 1 || ly->n_in > HB_MODEL_MAX_IN || ly->n_out < 1 || ly->n_out > HB_MODEL_MAX_OUT) {
			hb_net_free(net);
			return HB_ERR_RANGE;
		}
		ly->wt_seed = (uint16_t)(0x1D87u + 0x3A5u * k);
		ly->wi_seed = (uint16_t)(0x6C35u + 0x1F1u * k);
		ly->i_scale = 256;
		ly->v_th = 256;
		ly->gain = 256;
		ly->weights = calloc((size_t)ly->n_in * ly->n_out, 1);
		if (!ly->weights) {
			hb_net_free(net);
			return HB_ERR_NOMEM;
		}
	}
	return HB_OK;
}

enum hb_status hb_net_validate(const struct hb_net *net, char *err, size_t errlen)
{
	if (!net) {
		put_err(err, errlen, "no network");
		return HB_ERR_ARG;
	}
	if (net->n_layers < 1 || net->n_layers > HB_MODEL_MAX_LAYERS) {
		put_err(err, errlen, "%u layers, expected 1..%d", net->n_layers, HB_MODEL_MAX_LAYERS);
		return HB_ERR_RANGE;
	}
	if (net->L < 1 || net->L > HB_MODEL_MAX_L) {
		put_err(err, errlen, "L = %u, expected 1..%d", net->L, HB_MODEL_MAX_L);
		return HB_ERR_RANGE;
	}
	for (unsigned k = 0; k < net->n_layers; k++) {
		const struct hb_layer *ly = &net->layers[k];
		if (ly->n_in < 1 || ly->n_in > HB_MODEL_MAX_IN) {
			put_err(err, errlen, "layers[%u].n_in = %u, expected 1..%d", k, ly->n_in, HB_MODEL_MAX_IN);
			return HB_ERR_RANGE;
		}
		if (ly->n_out < 1 || ly->n_out > HB_MODEL_MAX_OUT) {
			put_err(err, errlen, "layers[%u].n_out = %u, expected 1..%d", k, ly->n_out, HB_MODEL_MAX_OUT);
			return HB_ERR_RANGE;
		}
		if (k > 0 && ly->n_in != net->layers[k - 1].n_out) {
			put_err(err, errlen, "layers[%u].n_in = %u but layers[%u].n_out = %u", k, ly->n_in,
				k - 1, net->layers[k - 1].n_out);
			return HB_ERR_RANGE;
		}
		if (ly->wt_seed == 0 || ly->wi_seed == 0) {
			put_err(err, errlen, "layers[%u]: %s is 0 (an LFSR seed must be non-zero)", k,
				ly->wt_seed == 0 ? "wt_seed" : "wi_seed");
			return HB_ERR_RANGE;
		}
		if (!ly->weights) {
			put_err(err, errlen, "layers[%u]: no weights", k);
			return HB_ERR_ARG;
		}
	}
	for (unsigned i = 0; i < net->layers[0].n_in; i++) {
		if (hb_model_input_seed(net, i) == 0) {
			put_err(err, errlen, "input %u: seed in_seed + in_stride * %u = 0 mod 65536 "
				"(an LFSR seed must be non-zero)", i, i);
			return HB_ERR_RANGE;
		}
	}
	return HB_OK;
}

/* ---------------------------------------------------------------- base64 */

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_val(char c)
{
	const char *p = c ? strchr(b64_alphabet, c) : NULL;
	return p ? (int)(p - b64_alphabet) : -1;
}

/* Decode strict base64 (padding required, no whitespace). Returns the number of bytes, or
 * -1 with *bad = index of the offending character. */
static long b64_decode(const char *s, uint8_t *out, size_t cap, size_t *bad)
{
	size_t n = strlen(s), o = 0;
	if (n % 4 != 0) {
		*bad = n;
		return -1;
	}
	for (size_t i = 0; i < n; i += 4) {
		int v[4];
		int pad = 0;
		for (int q = 0; q < 4; q++) {
			char c = s[i + q];
			if (c == '=' && i + 4 == n && q >= 2 && (q == 3 || s[i + 3] == '=')) {
				v[q] = 0;
				pad++;
				continue;
			}
			v[q] = b64_val(c);
			if (v[q] < 0 || pad) {
				*bad = i + q;
				return -1;
			}
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
		uint8_t b[3] = {(uint8_t)(w >> 16), (uint8_t)(w >> 8), (uint8_t)w};
		for (int q = 0; q < 3 - pad; q++) {
			if (o >= cap) {
				*bad = i;
				return -2;
			}
			out[o++] = b[q];
		}
	}
	return (long)o;
}

static char *b64_encode(const uint8_t *p, size_t n)
{
	char *s = malloc((n + 2) / 3 * 4 + 1), *o = s;
	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t w = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			w |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			w |= p[i + 2];
		*o++ = b64_alphabet[(w >> 18) & 63];
		*o++ = b64_alphabet[(w >> 12) & 63];
		*o++ = i + 1 < n ? b64_alphabet[(w >> 6) & 63] : '=';
		*o++ = i + 2 < n ? b64_alphabet[w & 63] : '=';
	}
	*o = 0;
	return s;
}

/* ---------------------------------------------------------------- positions */

/* A minimal scanner over valid JSON, used only to find where a path's value starts. */
static const char *sk_ws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static const char *sk_string(const char *p, const char *e)
{
	for (p++; p < e && *p != '"'; p++)
		if (*p == '\\')
			p++;
	return p < e ? p + 1 : e;
}

static const char *sk_value(const char *p, const char *e)
{
	p = sk_ws(p, e);
	if (p >= e)
		return e;
	if (*p == '"')
		return sk_string(p, e);
	if (*p == '{' || *p == '[') {
		int depth = 0;
		for (; p < e; p++) {
			if (*p == '"') {
				p = sk_string(p, e) - 1;
			} else if (*p == '{' || *p == '[') {
				depth++;
			} else if (*p == '}' || *p == ']') {
				if (--depth == 0)
					return p + 1;
			}
		}
		return e;
	}
	while (p < e && !strchr(",}] \t\r\n", *p))
		p++;
	return p;
}

/* p at '{': start of the value of member `key` (its key's quote in *key_at), or NULL. */
static const char *sk_member2(const char *p, const char *e, const char *key, const char **key_at)
{
	size_t kl = strlen(key);
	p = sk_ws(p, e);
	if (p >= e || *p != '{')
		return NULL;
	p++;
	for (;;) {
		p = sk_ws(p, e);
		if (p >= e || *p != '"')
			return NULL;
		const char *ks = p + 1, *ke = sk_string(p, e) - 1;
		p = sk_ws(ke + 1, e);
		if (p >= e || *p != ':')
			return NULL;
		p = sk_ws(p + 1, e);
		if ((size_t)(ke - ks) == kl && memcmp(ks, key, kl) == 0) {
			if (key_at)
				*key_at = ks - 1;
			return p;
		}
		p = sk_ws(sk_value(p, e), e);
		if (p >= e || *p != ',')
			return NULL;
		p++;
	}
}

static const char *sk_member(const char *p, const char *e, const char *key)
{
	return sk_member2(p, e, key, NULL);
}

/* p at '[': start of element idx, or NULL. */
static const char *sk_index(const char *p, const char *e, unsigned idx)
{
	p = sk_ws(p, e);
	if (p >= e || *p != '[')
		return NULL;
	p = sk_ws(p + 1, e);
	for (unsigned n = 0; p < e && *p != ']'; n++) {
		if (n == idx)
			return p;
		p = sk_ws(sk_value(p, e), e);
		if (p < e && *p == ',')
			p = sk_ws(p + 1, e);
	}
	return NULL;
}

struct ld {
	const char *text, *end, *origin;
	char *err;
	size_t errlen;
};

/* Where the value of (layer, key) starts: layer < 0 = top level; key NULL = the object itself.
 * Falls back to the innermost object found. */
static const char *locate2(const struct ld *c, int layer, const char *key, int at_key)
{
	const char *obj = sk_ws(c->text, c->end);
	if (layer >= 0) {
		const char *arr = sk_member(obj, c->end, "layers");
		const char *el = arr ? sk_index(arr, c->end, (unsigned)layer) : NULL;
		if (!el)
			return arr ? arr : obj;
		obj = el;
	}
	if (!key)
		return obj;
	const char *k = NULL;
	const char *v = sk_member2(obj, c->end, key, &k);
	return v ? (at_key ? k : v) : obj;
}

static const char *locate(const struct ld *c, int layer, const char *key)
{
	return locate2(c, layer, key, 0);
}

static void line_col(const char *text, const char *at, unsigned *line, unsigned *col)
{
	*line = 1;
	*col = 1;
	for (const char *p = text; p < at; p++) {
		if (*p == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

/* Report an error at an explicit position (at == NULL: no position). */
static enum hb_status fail_at(const struct ld *c, enum hb_status st, const char *at, int layer,
			      const char *key, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static enum hb_status fail_at(const struct ld *c, enum hb_status st, const char *at, int layer,
			      const char *key, const char *fmt, ...)
{
	char msg[256], path[64] = "";
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (layer >= 0)
		snprintf(path, sizeof path, "layers[%d]%s%s: ", layer, key ? "." : "", key ? key : "");
	else if (key)
		snprintf(path, sizeof path, "%s: ", key);
	if (at) {
		unsigned line, col;
		line_col(c->text, at, &line, &col);
		put_err(c->err, c->errlen, "%s:%u:%u: %s%s", c->origin, line, col, path, msg);
	} else {
		put_err(c->err, c->errlen, "%s: %s%s", c->origin, path, msg);
	}
	hb_dbg("%s", c->err ? c->err : msg);
	return st;
}

#define FAIL(st, layer, key, ...) fail_at(c, (st), locate(c, (layer), (key)), (layer), (key), __VA_ARGS__)

/* ---------------------------------------------------------------- field readers */

/* An integer field: a JSON number without fraction, or a string "0x..." (hex). */
static enum hb_status get_int(const struct ld *c, const cJSON *obj, int layer, const char *key,
			      long lo, long hi, int required, long dflt, long *out)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!it) {
		if (!required) {
			*out = dflt;
			return HB_OK;
		}
		return fail_at(c, HB_ERR_FORMAT, locate(c, layer, NULL), layer, key, "missing (required)");
	}
	long v;
	if (cJSON_IsNumber(it)) {
		double d = it->valuedouble;
		if (d != floor(d) || d < (double)LONG_MIN / 2 || d > (double)LONG_MAX / 2)
			return FAIL(HB_ERR_FORMAT, layer, key, "expected an integer, got %g", d);
		v = (long)d;
	} else if (cJSON_IsString(it) && (strncmp(it->valuestring, "0x", 2) == 0 ||
					  strncmp(it->valuestring, "0X", 2) == 0)) {
		char *end;
		errno = 0;
		v = strtol(it->valuestring + 2, &end, 16);
		if (errno || *end || end == it->valuestring + 2)
			return FAIL(HB_ERR_FORMAT, layer, key, "bad hex integer \"%s\"", it->valuestring);
	} else {
		return FAIL(HB_ERR_FORMAT, layer, key, "expected an integer (or a \"0x...\" string)");
	}
	if (v < lo || v > hi)
		return FAIL(HB_ERR_RANGE, layer, key, "%ld is out of range %ld..%ld", v, lo, hi);
	*out = v;
	return HB_OK;
}

static enum hb_status check_keys(const struct ld *c, const cJSON *obj, int layer, const char *const *keys)
{
	for (const cJSON *it = obj->child; it; it = it->next) {
		int known = 0;
		for (const char *const *k = keys; *k; k++)
			known |= strcmp(*k, it->string) == 0;
		if (!known)
			return fail_at(c, HB_ERR_FORMAT, locate2(c, layer, it->string, 1), layer, it->string,
				       "unknown field (a typo?)");
		for (const cJSON *o = obj->child; o != it; o = o->next)
			if (strcmp(o->string, it->string) == 0)
				return FAIL(HB_ERR_FORMAT, layer, it->string, "field given twice");
	}
	return HB_OK;
}

static const char *const top_keys[] = {"format", "name", "description", "license", "L",
				       "in_seed", "in_stride", "layers", NULL};
static const char *const layer_keys[] = {"comment", "n_in", "n_out", "wt_seed", "wi_seed", "i_scale",
					 "v_th", "v_reset", "v_rest", "leak", "gain", "refractory",
					 "weights_base64", "weights_hex", "weights_crc32", NULL};

static enum hb_status load_weights(const struct ld *c, const cJSON *lo, int k, struct hb_layer *ly)
{
	const cJSON *b64 = cJSON_GetObjectItemCaseSensitive(lo, "weights_base64");
	const cJSON *hex = cJSON_GetObjectItemCaseSensitive(lo, "weights_hex");
	const cJSON *crc = cJSON_GetObjectItemCaseSensitive(lo, "weights_crc32");
	size_t n = (size_t)ly->n_in * ly->n_out;
	if (!b64 == !hex)
		return fail_at(c, HB_ERR_FORMAT, locate(c, k, NULL), k, NULL,
			       "give exactly one of weights_base64 and weights_hex");
	const cJSON *w = b64 ? b64 : hex;
	const char *key = b64 ? "weights_base64" : "weights_hex";
	if (!cJSON_IsString(w))
		return FAIL(HB_ERR_FORMAT, k, key, "expected a string");
	const char *s = w->valuestring;
	/* The string's first character in the text (the value starts at its quote). */
	const char *at = locate(c, k, key) + 1;
	ly->weights = malloc(n);
	if (!ly->weights)
		return HB_ERR_NOMEM;
	if (b64) {
		size_t bad = 0;
		long got = b64_decode(s, ly->weights, n, &bad);
		if (got == -1)
			return fail_at(c, HB_ERR_FORMAT, at + bad, k, key,
				       bad >= strlen(s) ? "base64 length %zu is not a multiple of 4"
							: "bad base64 character at index %zu",
				       bad >= strlen(s) ? strlen(s) : bad);
		if (got == -2 || (size_t)got != n)
			return FAIL(HB_ERR_FORMAT, k, key, "%s bytes, expected n_out * n_in = %zu",
				    got == -2 ? "more than that many" : "fewer", n);
	} else {
		size_t len = strlen(s);
		if (len != 2 * n)
			return FAIL(HB_ERR_FORMAT, k, key, "%zu hex digits, expected 2 * n_out * n_in = %zu",
				    len, 2 * n);
		for (size_t i = 0; i < n; i++) {
			unsigned v = 0;
			for (int q = 0; q < 2; q++) {
				char ch = s[2 * i + q];
				int d = ch >= '0' && ch <= '9'   ? ch - '0'
					: ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
					: ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
								 : -1;
				if (d < 0)
					return fail_at(c, HB_ERR_FORMAT, at + 2 * i + q, k, key,
						       "bad hex digit '%c' at index %zu", ch, 2 * i + q);
				v = v << 4 | (unsigned)d;
			}
			ly->weights[i] = (uint8_t)v;
		}
	}
	long want;
	enum hb_status st = get_int(c, lo, k, "weights_crc32", 0, 0xFFFFFFFFl, 1, 0, &want);
	if (st != HB_OK)
		return st;
	(void)crc;
	uint32_t got = hb_model_crc32(ly->weights, n);
	if (got != (uint32_t)want)
		return FAIL(HB_ERR_CRC, k, "weights_crc32",
			    "weights CRC-32 is 0x%08" PRIx32 ", the file says 0x%08lx (corrupted weights?)",
			    got, (unsigned long)want);
	return HB_OK;
}

/* Text fields are printed (run's header, reports): no control characters, which a JSON
 * string can carry as \u001b. */
static int has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7F)
			return 1;
	return 0;
}

static enum hb_status parse_doc(const struct ld *c, const cJSON *root, struct hb_net *net)
{
	enum hb_status st;
	long v;
	if (!cJSON_IsObject(root))
		return fail_at(c, HB_ERR_FORMAT, sk_ws(c->text, c->end), -1, NULL, "expected a JSON object");
	if ((st = check_keys(c, root, -1, top_keys)) != HB_OK)
		return st;
	const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
	if (!fmt)
		return fail_at(c, HB_ERR_FORMAT, locate(c, -1, NULL), -1, "format",
			       "missing (required, \"" HB_NET_FORMAT "\")");
	if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, HB_NET_FORMAT) != 0)
		return FAIL(HB_ERR_FORMAT, -1, "format", "expected \"" HB_NET_FORMAT "\"");
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(root, "name");
	if (!name)
		return fail_at(c, HB_ERR_FORMAT, locate(c, -1, NULL), -1, "name", "missing (required)");
	if (!cJSON_IsString(name) || !*name->valuestring || strlen(name->valuestring) >= HB_MODEL_NAME_MAX)
		return FAIL(HB_ERR_FORMAT, -1, "name", "expected a string of 1..%d characters",
			    HB_MODEL_NAME_MAX - 1);
	if (has_ctl(name->valuestring))
		return FAIL(HB_ERR_FORMAT, -1, "name", "control character in the string (\\u0000..\\u001f, \\u007f)");
	snprintf(net->name, sizeof net->name, "%s", name->valuestring);
	for (const char *const *k = (const char *const[]){"description", "license", NULL}; *k; k++) {
		const cJSON *it = cJSON_GetObjectItemCaseSensitive(root, *k);
		if (it && !cJSON_IsString(it))
			return FAIL(HB_ERR_FORMAT, -1, *k, "expected a string");
		if (it && has_ctl(it->valuestring))
			return FAIL(HB_ERR_FORMAT, -1, *k, "control character in the string (\\u0000..\\u001f, \\u007f)");
	}
	if ((st = get_int(c, root, -1, "L", 1, HB_MODEL_MAX_L, 1, 0, &v)) != HB_OK)
		return st;
	net->L = (unsigned)v;
	if ((st = get_int(c, root, -1, "in_seed", 1, 0xFFFF, 0, 0xACE1, &v)) != HB_OK)
		return st;
	net->in_seed = (uint16_t)v;
	if ((st = get_int(c, root, -1, "in_stride", 0, 0xFFFF, 0, 7, &v)) != HB_OK)
		return st;
	net->in_stride = (uint16_t)v;

	const cJSON *layers = cJSON_GetObjectItemCaseSensitive(root, "layers");
	if (!layers)
		return fail_at(c, HB_ERR_FORMAT, locate(c, -1, NULL), -1, "layers", "missing (required)");
	if (!cJSON_IsArray(layers))
		return FAIL(HB_ERR_FORMAT, -1, "layers", "expected an array of layer objects");
	int K = cJSON_GetArraySize(layers);
	if (K < 1 || K > HB_MODEL_MAX_LAYERS)
		return FAIL(HB_ERR_RANGE, -1, "layers", "%d layers, expected 1..%d", K, HB_MODEL_MAX_LAYERS);
	net->n_layers = (unsigned)K;
	int k = 0;
	for (const cJSON *lo = layers->child; lo; lo = lo->next, k++) {
		struct hb_layer *ly = &net->layers[k];
		if (!cJSON_IsObject(lo))
			return FAIL(HB_ERR_FORMAT, k, NULL, "expected a layer object");
		if ((st = check_keys(c, lo, k, layer_keys)) != HB_OK)
			return st;
		const cJSON *cm = cJSON_GetObjectItemCaseSensitive(lo, "comment");
		if (cm && !cJSON_IsString(cm))
			return FAIL(HB_ERR_FORMAT, k, "comment", "expected a string");
		if (cm && has_ctl(cm->valuestring))
			return FAIL(HB_ERR_FORMAT, k, "comment", "control character in the string (\\u0000..\\u001f, \\u007f)");
		if ((st = get_int(c, lo, k, "n_in", 1, HB_MODEL_MAX_IN, 1, 0, &v)) != HB_OK)
			return st;
		ly->n_in = (unsigned)v;
		if (k > 0 && ly->n_in != net->layers[k - 1].n_out)
			return FAIL(HB_ERR_RANGE, k, "n_in", "%u, but layers[%d].n_out is %u", ly->n_in, k - 1,
				    net->layers[k - 1].n_out);
		if ((st = get_int(c, lo, k, "n_out", 1, HB_MODEL_MAX_OUT, 1, 0, &v)) != HB_OK)
			return st;
		ly->n_out = (unsigned)v;
		struct {
			const char *key;
			long lo, hi;
			int16_t *i16;
			uint16_t *u16;
		} f[] = {
			{"wt_seed", 1, 0xFFFF, NULL, &ly->wt_seed},
			{"wi_seed", 1, 0xFFFF, NULL, &ly->wi_seed},
			{"i_scale", -32768, 32767, &ly->i_scale, NULL},
			{"v_th", -32768, 32767, &ly->v_th, NULL},
			{"v_reset", -32768, 32767, &ly->v_reset, NULL},
			{"v_rest", -32768, 32767, &ly->v_rest, NULL},
			{"leak", -32768, 32767, &ly->leak, NULL},
			{"gain", -32768, 32767, &ly->gain, NULL},
		};
		for (size_t q = 0; q < sizeof f / sizeof f[0]; q++) {
			if ((st = get_int(c, lo, k, f[q].key, f[q].lo, f[q].hi, 1, 0, &v)) != HB_OK)
				return st;
			if (f[q].i16)
				*f[q].i16 = (int16_t)v;
			else
				*f[q].u16 = (uint16_t)v;
		}
		if ((st = get_int(c, lo, k, "refractory", 0, 255, 1, 0, &v)) != HB_OK)
			return st;
		ly->refractory = (uint8_t)v;
		if ((st = load_weights(c, lo, k, ly)) != HB_OK)
			return st;
	}
	for (unsigned i = 0; i < net->layers[0].n_in; i++)
		if (hb_model_input_seed(net, i) == 0)
			return FAIL(HB_ERR_RANGE, -1, "in_stride",
				    "input %u gets seed in_seed + in_stride * %u = 0 mod 65536 "
				    "(an LFSR seed must be non-zero)", i, i);
	return HB_OK;
}

enum hb_status hb_net_parse(const char *text, size_t len, const char *origin, struct hb_net *net,
			    char *err, size_t errlen)
{
	if (!text || !net)
		return HB_ERR_ARG;
	memset(net, 0, sizeof *net);
	struct ld c = {.text = text, .end = text + len, .origin = origin ? origin : "<network>",
		       .err = err, .errlen = errlen};
	if (err && errlen)
		err[0] = 0;
	const char *stop = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(text, len, &stop, 0);
	if (!root) {
		const char *at = stop && stop >= text && stop <= c.end ? stop : text;
		char near[16] = "";
		size_t nn = 0;
		for (const char *q = at; q < c.end && *q && nn < 12; q++)
			near[nn++] = (*q == '\n' || *q == '\r' || *q == '\t') ? ' ' : *q;
		near[nn] = 0;
		return fail_at(&c, HB_ERR_FORMAT, at, -1, NULL, "JSON syntax error near '%s'",
			       nn ? near : "(end of file)");
	}
	/* Anything but whitespace after the document is an error too. */
	const char *rest = sk_ws(stop ? stop : c.end, c.end);
	if (stop && rest < c.end && *rest) {
		cJSON_Delete(root);
		return fail_at(&c, HB_ERR_FORMAT, rest, -1, NULL, "text after the JSON document");
	}
	enum hb_status st = parse_doc(&c, root, net);
	cJSON_Delete(root);
	if (st != HB_OK)
		hb_net_free(net);
	return st;
}

/* The whole file, NUL-terminated (*n bytes before the NUL); NULL with err filled on failure. */
static char *slurp(const char *path, size_t *n_out, enum hb_status *st, char *err, size_t errlen)
{
	struct stat sb;
	if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		put_err(err, errlen, "%s: is a directory, not a network file", path);
		*st = HB_ERR_FORMAT;
		return NULL;
	}
	FILE *f = fopen(path, "rb");
	if (!f) {
		int e = errno;
		if (e == EACCES)
			put_err(err, errlen, "%s: cannot read the network file: permission denied", path);
		else
			put_err(err, errlen, "%s: %s", path, strerror(e));
		*st = e == ENOENT ? HB_ERR_NOTFOUND : e == EACCES ? HB_ERR_PERM : HB_ERR_IO;
		return NULL;
	}
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap + 1);
	while (buf) {
		n += fread(buf + n, 1, cap - n, f);
		if (n < cap)
			break;
		char *nb = cap < (64u << 20) ? realloc(buf, 2 * cap + 1) : NULL;
		if (!nb) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = nb;
		cap *= 2;
	}
	int rd_err = ferror(f);
	fclose(f);
	if (!buf) {
		put_err(err, errlen, "%s: too large or out of memory", path);
		*st = HB_ERR_NOMEM;
		return NULL;
	}
	if (rd_err) {
		free(buf);
		put_err(err, errlen, "%s: read error", path);
		*st = HB_ERR_IO;
		return NULL;
	}
	buf[n] = 0;
	*n_out = n;
	*st = HB_OK;
	return buf;
}

enum hb_status hb_net_load(const char *path, struct hb_net *net, char *err, size_t errlen)
{
	if (!path || !net)
		return HB_ERR_ARG;
	memset(net, 0, sizeof *net);
	size_t n = 0;
	enum hb_status st;
	char *buf = slurp(path, &n, &st, err, errlen);
	if (!buf)
		return st;
	st = hb_net_parse(buf, n, path, net, err, errlen);
	free(buf);
	return st;
}

void hb_net_where(const char *path, int layer, const char *key, char *out, size_t cap)
{
	char path_key[96] = "";
	if (layer >= 0)
		snprintf(path_key, sizeof path_key, "layers[%d]%s%s", layer, key ? "." : "", key ? key : "");
	else if (key)
		snprintf(path_key, sizeof path_key, "%s", key);
	size_t n = 0;
	enum hb_status st;
	char *buf = path ? slurp(path, &n, &st, NULL, 0) : NULL;
	if (!buf) {
		put_err(out, cap, "%s: %s", path ? path : "<network>", path_key);
		return;
	}
	struct ld c = {.text = buf, .end = buf + n, .origin = path};
	unsigned line, col;
	line_col(buf, locate(&c, layer, key), &line, &col);
	put_err(out, cap, "%s:%u:%u: %s", path, line, col, path_key);
	free(buf);
}

enum hb_status hb_net_to_json(const struct hb_net *net, char **out)
{
	if (!net || !out || hb_net_validate(net, NULL, 0) != HB_OK)
		return HB_ERR_ARG;
	*out = NULL;
	char hex[16];
	cJSON *root = cJSON_CreateObject();
	cJSON *layers = NULL;
	enum hb_status st = HB_ERR_NOMEM;
	if (!root)
		return HB_ERR_NOMEM;
	if (!cJSON_AddStringToObject(root, "format", HB_NET_FORMAT) ||
	    !cJSON_AddStringToObject(root, "name", net->name[0] ? net->name : "unnamed") ||
	    !cJSON_AddNumberToObject(root, "L", net->L))
		goto out;
	snprintf(hex, sizeof hex, "0x%04X", net->in_seed);
	if (!cJSON_AddStringToObject(root, "in_seed", hex) ||
	    !cJSON_AddNumberToObject(root, "in_stride", net->in_stride) ||
	    !(layers = cJSON_AddArrayToObject(root, "layers")))
		goto out;
	for (unsigned k = 0; k < net->n_layers; k++) {
		const struct hb_layer *ly = &net->layers[k];
		cJSON *lo = cJSON_CreateObject();
		if (!lo || !cJSON_AddItemToArray(layers, lo))
			goto out;
		cJSON_AddNumberToObject(lo, "n_in", ly->n_in);
		cJSON_AddNumberToObject(lo, "n_out", ly->n_out);
		snprintf(hex, sizeof hex, "0x%04X", ly->wt_seed);
		cJSON_AddStringToObject(lo, "wt_seed", hex);
		snprintf(hex, sizeof hex, "0x%04X", ly->wi_seed);
		cJSON_AddStringToObject(lo, "wi_seed", hex);
		cJSON_AddNumberToObject(lo, "i_scale", ly->i_scale);
		cJSON_AddNumberToObject(lo, "v_th", ly->v_th);
		cJSON_AddNumberToObject(lo, "v_reset", ly->v_reset);
		cJSON_AddNumberToObject(lo, "v_rest", ly->v_rest);
		cJSON_AddNumberToObject(lo, "leak", ly->leak);
		cJSON_AddNumberToObject(lo, "gain", ly->gain);
		cJSON_AddNumberToObject(lo, "refractory", ly->refractory);
		size_t n = (size_t)ly->n_in * ly->n_out;
		snprintf(hex, sizeof hex, "0x%08" PRIX32, hb_model_crc32(ly->weights, n));
		cJSON_AddStringToObject(lo, "weights_crc32", hex);
		char *b = b64_encode(ly->weights, n);
		if (!b || !cJSON_AddStringToObject(lo, "weights_base64", b)) {
			free(b);
			goto out;
		}
		free(b);
	}
	*out = cJSON_Print(root);
	st = *out ? HB_OK : HB_ERR_NOMEM;
out:
	cJSON_Delete(root);
	return st;
}
