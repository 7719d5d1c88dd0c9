/* hilbench — sweeps (hb_sweep.h; docs/calibration.md). */
#define LOG_PREFIX "sweep"
#include "hb_sweep.h"

#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hb_board.h"
#include "hb_build.h"
#include "hb_clock.h"
#include "hb_db.h"
#include "hb_flash.h"
#include "hb_log.h"
#include "hb_model.h"
#include "hb_paths.h"

/* ---- plan parsing ---------------------------------------------------------------------------- */

struct parse_ctx {
	struct hb_sweep_plan *p;
	const char *origin;
	char *err;
	size_t errlen;
	int bad;
	bool seen_nets;
};

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	char *e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

/* Split a comma list into at most max items (in place). Returns the count or -1 when too many. */
static int split_list(char *v, char **items, int max)
{
	int n = 0;
	for (char *tok = strtok(v, ","); tok; tok = strtok(NULL, ",")) {
		if (n == max)
			return -1;
		items[n++] = trim(tok);
	}
	return n;
}

static int fail(struct parse_ctx *c, const char *section, const char *name, const char *fmt, const char *v)
{
	char msg[320], vv[128];
	size_t n = strlen(v);
	memcpy(vv, v, n < sizeof vv - 4 ? n : sizeof vv - 4);
	strcpy(vv + (n < sizeof vv - 4 ? n : sizeof vv - 4), n < sizeof vv - 4 ? "" : "...");
	snprintf(msg, sizeof msg, fmt, vv);
	snprintf(c->err, c->errlen, "%s: [%s] %s: %s", c->origin, section, name, msg);
	c->bad = 1;
	return 0;
}

static bool parse_double(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(v))
		return false;
	*out = v;
	return true;
}

static bool parse_uint(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
	char *end;
	errno = 0;
	if (!*s || *s == '-')
		return false;
	unsigned long v = strtoul(s, &end, 10);
	if (*end || errno || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static int parse_net(struct parse_ctx *c, const char *item, struct hb_sweep_net *n)
{
	memset(n, 0, sizeof *n);
	snprintf(n->spec, sizeof n->spec, "%s", item);
	if (strncmp(item, "random:", 7) == 0) {
		char buf[256], *f[4];
		snprintf(buf, sizeof buf, "%s", item + 7);
		int k = 0;
		for (char *t = strtok(buf, ":"); t && k < 4; t = strtok(NULL, ":"))
			f[k++] = t;
		if (k < 1 || k > 3)
			return fail(c, "axes", "nets", "'%s': expected random:SIZES[:DENSITY[:SEED]], e.g. random:120-48-10:0.5:7", item);
		unsigned sz[6], m = 0;
		char sb[128];
		snprintf(sb, sizeof sb, "%s", f[0]);
		for (char *t = strtok(sb, "-"); t; t = strtok(NULL, "-")) {
			unsigned long v;
			if (m == 6 || !parse_uint(t, 1, HB_MODEL_MAX_IN, &v))
				return fail(c, "axes", "nets", "'%s': SIZES is 2 to 5 widths like 120-48-10 (1..1024 each)", item);
			sz[m++] = (unsigned)v;
		}
		if (m < 2 || m > HB_MODEL_MAX_LAYERS + 1)
			return fail(c, "axes", "nets", "'%s': SIZES is 2 to 5 widths like 120-48-10", item);
		for (unsigned i = 1; i < m; i++)
			if (sz[i] > HB_MODEL_MAX_OUT)
				return fail(c, "axes", "nets", "'%s': a layer has at most 256 neurons", item);
		n->density = 1.0;
		n->seed = 1;
		if (k >= 2 && (!parse_double(f[1], &n->density) || !(n->density > 0) || n->density > 1))
			return fail(c, "axes", "nets", "'%s': DENSITY is a fraction of synapses in (0, 1]", item);
		unsigned long sd = 1;
		if (k == 3 && !parse_uint(f[2], 0, 0xFFFFFFFFul, &sd))
			return fail(c, "axes", "nets", "'%s': SEED is a whole number", item);
		n->seed = (uint32_t)sd;
		n->kind = HB_SWEEP_NET_RANDOM;
		n->n_layers = m - 1;
		memcpy(n->sizes, sz, m * sizeof *sz);
		size_t o = (size_t)snprintf(n->name, sizeof n->name, "random");
		for (unsigned i = 0; i < m && o < sizeof n->name; i++)
			o += (size_t)snprintf(n->name + o, sizeof n->name - o, "-%u", sz[i]);
		if (o < sizeof n->name)
			snprintf(n->name + o, sizeof n->name - o, "-d%g-s%u", n->density, n->seed);
		return 1;
	}
	const char *path = strncmp(item, "file:", 5) == 0 ? item + 5 : NULL;
	if (path || strchr(item, '/') || (strlen(item) > 5 && strcmp(item + strlen(item) - 5, ".json") == 0)) {
		n->kind = HB_SWEEP_NET_FILE;
		snprintf(n->path, sizeof n->path, "%s", path ? path : item);
		const char *base = strrchr(n->path, '/');
		snprintf(n->name, sizeof n->name, "%s", base ? base + 1 : n->path);
		return 1;
	}
	for (const char *q = item; *q; q++)
		if (!(*q == '-' || *q == '_' || (*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9')))
			return fail(c, "axes", "nets", "'%s': a shipped network name (digits, mnist-shape), file:PATH or random:SIZES:DENSITY:SEED", item);
	n->kind = HB_SWEEP_NET_SHIPPED;
	snprintf(n->name, sizeof n->name, "%s", item);
	snprintf(n->path, sizeof n->path, "%s/gateware/model/nets/%s.json", hb_data_dir(), item);
	return 1;
}

/* Copy a value that must fit: false (an error) when it does not. */
static bool copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);
	if (n >= cap)
		return false;
	memcpy(dst, src, n + 1);
	return true;
}

static int on_plan(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *c = user;
	struct hb_sweep_plan *p = c->p;
	char v[2048];
	snprintf(v, sizeof v, "%s", value);
	unsigned long u;
	double d;
	if (strcmp(section, "sweep") == 0) {
		if (strcmp(name, "name") == 0) {
			if (!copy_str(p->name, sizeof p->name, v))
				return fail(c, section, name, "'%s': at most 63 characters", v);
		} else if (strcmp(name, "board") == 0) {
			if (!copy_str(p->board, sizeof p->board, v))
				return fail(c, section, name, "'%s': at most 31 characters", v);
		}
		else if (strcmp(name, "windows") == 0) {
			if (!parse_uint(v, 1, 64, &u))
				return fail(c, section, name, "'%s': a whole number 1..64", v);
			p->windows = (unsigned)u;
		} else if (strcmp(name, "samples") == 0) {
			if (!parse_uint(v, 1, 100000, &u))
				return fail(c, section, name, "'%s': a whole number 1..100000", v);
			p->samples = (unsigned)u;
		} else if (!strcmp(name, "window_s") || !strcmp(name, "baseline_s") || !strcmp(name, "warmup_s")) {
			if (!parse_double(v, &d) || d < (strcmp(name, "window_s") ? 0 : 0.001) || d > 1e5)
				return fail(c, section, name, "'%s': seconds (a number >= 0)", v);
			*(!strcmp(name, "window_s") ? &p->window_s : !strcmp(name, "baseline_s") ? &p->baseline_s : &p->warmup_s) = d;
		} else if (strcmp(name, "pacing") == 0) {
			if (strcmp(v, "virtual") && strcmp(v, "realtime") && strcmp(v, "fast") && strcmp(v, "free"))
				return fail(c, section, name, "'%s': virtual, realtime or fast", v);
			copy_str(p->pacing, sizeof p->pacing, v);
		} else
			return fail(c, section, name, "unknown key%s", "");
		return 1;
	}
	if (strcmp(section, "axes") == 0) {
		char *items[HB_SWEEP_MAX_AXIS + 1];
		int n = split_list(v, items, HB_SWEEP_MAX_AXIS);
		if (n < 0)
			return fail(c, section, name, "more than %s values", "32");
		if (n == 0)
			return fail(c, section, name, "no value%s", "");
		if (strcmp(name, "nets") == 0) {
			for (int i = 0; i < n; i++)
				if (!parse_net(c, items[i], &p->nets[i]))
					return 0;
			p->n_nets = (size_t)n;
			c->seen_nets = true;
		} else if (strcmp(name, "L") == 0) {
			for (int i = 0; i < n; i++) {
				if (!parse_uint(items[i], 8, HB_MODEL_MAX_L, &u) || u % 8)
					return fail(c, section, name, "'%s': a bitstream length, a multiple of 8 (and of the lanes)", items[i]);
				p->L[i] = (unsigned)u;
			}
			p->n_L = (size_t)n;
		} else if (strcmp(name, "clock_mhz") == 0) {
			for (int i = 0; i < n; i++) {
				if (!parse_double(items[i], &d) || !(d > 0) || d > 1000)
					return fail(c, section, name, "'%s': a clock in MHz (0 < f <= 1000)", items[i]);
				p->clock_hz[i] = d * 1e6;
			}
			p->n_clock = (size_t)n;
		} else if (strcmp(name, "seeds") == 0) {
			for (int i = 0; i < n; i++) {
				if (!parse_uint(items[i], 0, 0xFFFFFFFFul, &u))
					return fail(c, section, name, "'%s': a whole number", items[i]);
				p->seeds[i] = (uint32_t)u;
			}
			p->n_seeds = (size_t)n;
		} else if (strcmp(name, "input_scale") == 0) {
			for (int i = 0; i < n; i++) {
				if (!parse_double(items[i], &d) || !(d > 0) || d > 1)
					return fail(c, section, name, "'%s': a scale in (0, 1]", items[i]);
				p->scale[i] = d;
			}
			p->n_scale = (size_t)n;
		} else
			return fail(c, section, name, "unknown axis (nets, L, clock_mhz, seeds, input_scale)%s", "");
		return 1;
	}
	if (strcmp(section, "bitstreams") == 0) {
		if (p->n_bitstreams == HB_SWEEP_MAX_AXIS)
			return fail(c, section, name, "more than %s bitstreams", "32");
		if (!parse_double(name, &d) || !(d > 0))
			return fail(c, section, name, "the key is a clock in MHz, e.g. 12 = path/to/hb_icebreaker.bin%s", "");
		p->bit_clock_hz[p->n_bitstreams] = d * 1e6;
		if (!copy_str(p->bitstream[p->n_bitstreams], sizeof p->bitstream[0], v))
			return fail(c, section, name, "'%s': path too long", v);
		p->n_bitstreams++;
		return 1;
	}
	return fail(c, section, name, "unknown section (sweep, axes, bitstreams)%s", "");
}

enum hb_status hb_sweep_plan_parse(const char *text, const char *origin, struct hb_sweep_plan *plan,
				   char *err, size_t errlen)
{
	memset(plan, 0, sizeof *plan);
	plan->windows = 3;
	plan->samples = 10;
	plan->window_s = 1.0;
	plan->baseline_s = 1.0;
	plan->warmup_s = 0.2;
	struct parse_ctx c = {.p = plan, .origin = origin, .err = err, .errlen = errlen};
	int rc = ini_parse_string(text, on_plan, &c);
	if (c.bad) {
		/* name the line: inih returns the first line whose handler failed */
		char tmp[512];
		snprintf(tmp, sizeof tmp, "%s", err);
		const char *rest = tmp + strlen(origin);
		if (rc > 0 && strncmp(tmp, origin, strlen(origin)) == 0)
			snprintf(err, errlen, "%s:%d%s", origin, rc, rest);
		return HB_ERR_FORMAT;
	}
	if (rc != 0) {
		snprintf(err, errlen, "%s:%d: syntax error", origin, rc);
		return HB_ERR_FORMAT;
	}
	if (!c.seen_nets) {
		snprintf(err, errlen, "%s: [axes] nets is missing (e.g. nets = digits, random:120-48-10:0.5:7)", origin);
		return HB_ERR_FORMAT;
	}
	if (!plan->n_seeds) {
		plan->seeds[0] = 1;
		plan->n_seeds = 1;
	}
	if (!plan->n_scale) {
		plan->scale[0] = 1.0;
		plan->n_scale = 1;
	}
	return HB_OK;
}

enum hb_status hb_sweep_points(const struct hb_sweep_plan *p, struct hb_sweep_point **out, size_t *n)
{
	size_t nc = p->n_clock ? p->n_clock : 1, nl = p->n_L ? p->n_L : 1;
	size_t total = nc * p->n_nets * nl * p->n_seeds * p->n_scale;
	*out = NULL;
	*n = 0;
	if (total == 0 || total > HB_SWEEP_MAX_POINTS)
		return HB_ERR_RANGE;
	struct hb_sweep_point *v = calloc(total, sizeof *v);
	if (!v)
		return HB_ERR_NOMEM;
	size_t k = 0;
	for (size_t c = 0; c < nc; c++)
		for (size_t t = 0; t < p->n_nets; t++)
			for (size_t l = 0; l < nl; l++)
				for (size_t s = 0; s < p->n_seeds; s++)
					for (size_t q = 0; q < p->n_scale; q++) {
						struct hb_sweep_point *pt = &v[k++];
						pt->net = t;
						pt->L = p->n_L ? p->L[l] : 0;
						pt->clock_hz = p->n_clock ? p->clock_hz[c] : 0;
						pt->seed = p->seeds[s];
						pt->scale = p->scale[q];
						char L[16] = "file", ck[32] = "board";
						if (pt->L)
							snprintf(L, sizeof L, "%u", pt->L);
						if (pt->clock_hz)
							snprintf(ck, sizeof ck, "%gMHz", pt->clock_hz / 1e6);
						snprintf(pt->label, sizeof pt->label, "net=%.64s L=%s clock=%s seed=%u scale=%g",
							 p->nets[t].name, L, ck, pt->seed, pt->scale);
					}
	*out = v;
	*n = total;
	return HB_OK;
}

/* ---- generated networks -------------------------------------------------------------------------- */

static uint32_t xs(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

enum hb_status hb_sweep_random_net(struct hb_net *net, unsigned K, const unsigned *sizes, double density,
				   uint32_t seed, const char *name)
{
	enum hb_status st = hb_net_init(net, K, sizes, 256);
	if (st != HB_OK)
		return st;
	snprintf(net->name, sizeof net->name, "%s", name);
	uint32_t s = seed * 2654435761u + 0x9E3779B9u;
	if (!s)
		s = 1;
	const uint32_t thr = (uint32_t)(density * 4294967295.0);
	for (unsigned k = 0; k < K; k++) {
		struct hb_layer *ly = &net->layers[k];
		do
			ly->wt_seed = (uint16_t)xs(&s);
		while (!ly->wt_seed);
		do
			ly->wi_seed = (uint16_t)xs(&s);
		while (!ly->wi_seed || ly->wi_seed == ly->wt_seed);
		for (size_t a = 0; a < (size_t)ly->n_in * ly->n_out; a++) {
			uint32_t r = xs(&s);
			if (r > thr && density < 1) {
				ly->weights[a] = 0;
				continue;
			}
			uint8_t m = (uint8_t)(1 + xs(&s) % 127);
			ly->weights[a] = (uint8_t)(m | (xs(&s) % 4 == 0 ? 0x80 : 0)); /* 1 in 4 inhibitory */
		}
		/* Expected E − H per step: inputs × their spike probability (1/2 at the input, about
		 * 1/4 in hidden layers) × density × mean weight probability (1/2) × (3/4 − 1/4). A
		 * threshold of 3 steps' drive (in Q8.8) makes neurons fire every few steps. */
		double drive = ly->n_in * (k == 0 ? 0.5 : 0.25) * density * 0.5 * 0.5;
		double vth = 256.0 * 3 * (drive > 0.5 ? drive : 0.5);
		ly->v_th = (int16_t)(vth > 32000 ? 32000 : vth);
		ly->leak = 16;
		ly->i_scale = 256;
		ly->gain = 256;
	}
	return hb_net_validate(net, NULL, 0);
}

static enum hb_status make_dir_p(const char *dir)
{
	char tmp[1024];
	snprintf(tmp, sizeof tmp, "%s", dir);
	for (char *p = tmp + 1;; p++) {
		if (*p != '/' && *p)
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
			return HB_ERR_IO;
		*p = c;
		if (!c)
			return HB_OK;
	}
}

enum hb_status hb_sweep_generate_nets(struct hb_sweep_plan *plan, const char *dir, char *err, size_t errlen)
{
	bool any = false;
	for (size_t i = 0; i < plan->n_nets; i++)
		any |= plan->nets[i].kind == HB_SWEEP_NET_RANDOM;
	if (!any)
		return HB_OK;
	if (make_dir_p(dir) != HB_OK) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return HB_ERR_IO;
	}
	for (size_t i = 0; i < plan->n_nets; i++) {
		struct hb_sweep_net *n = &plan->nets[i];
		if (n->kind != HB_SWEEP_NET_RANDOM)
			continue;
		snprintf(n->path, sizeof n->path, "%s/%s.json", dir, n->name);
		struct hb_net net;
		enum hb_status st = hb_sweep_random_net(&net, n->n_layers, n->sizes, n->density, n->seed, n->name);
		char *json = NULL;
		if (st == HB_OK)
			st = hb_net_to_json(&net, &json);
		hb_net_free(&net);
		if (st != HB_OK) {
			snprintf(err, errlen, "network %s: cannot generate it (%s)", n->spec, hb_strerror(st));
			return st;
		}
		FILE *f = fopen(n->path, "w");
		bool ok = f && fputs(json, f) >= 0;
		if (f && fclose(f) != 0)
			ok = false;
		free(json);
		if (!ok) {
			snprintf(err, errlen, "cannot write %s: %s", n->path, strerror(errno));
			return HB_ERR_IO;
		}
	}
	return HB_OK;
}

/* ---- running ---------------------------------------------------------------------------------------- */

static enum hb_status default_run(const struct hb_run_opts *o, char *err, size_t errlen, void *user)
{
	(void)user;
	return hb_run(o, err, errlen);
}

static void iso_now(char *buf, size_t n)
{
	hb_db_iso8601(time(NULL), buf, n);
}

static void fmt_dur(double s, char *buf, size_t n)
{
	if (!(s >= 0) || !isfinite(s))
		snprintf(buf, n, "?");
	else if (s < 90)
		snprintf(buf, n, "%.0f s", s);
	else if (s < 5400)
		snprintf(buf, n, "%.0f min %02.0f s", floor(s / 60), fmod(s, 60));
	else
		snprintf(buf, n, "%.0f h %02.0f min", floor(s / 3600), fmod(s / 60, 60));
}

/* Where a sweep's generated networks go: <database dir>/sweeps/<id>. */
static void sweep_dir(const char *db_path, int64_t id, char *out, size_t n)
{
	char def[1024];
	const char *p = db_path;
	if (!p && hb_db_default_path(def, sizeof def) == HB_OK)
		p = def;
	const char *slash = p ? strrchr(p, '/') : NULL;
	if (slash)
		snprintf(out, n, "%.*s/sweeps/%lld", (int)(slash - p), p, (long long)id);
	else
		snprintf(out, n, "sweeps/%lld", (long long)id);
}

static const char *bitstream_for(const struct hb_sweep_plan *p, double clock_hz)
{
	for (size_t i = 0; i < p->n_bitstreams; i++)
		if (fabs(p->bit_clock_hz[i] - clock_hz) <= 1e-6 * clock_hz)
			return p->bitstream[i];
	return NULL;
}

/* ---- one bitstream per clock --------------------------------------------------------------------- */

/* What the points of one clock run on. */
struct sweep_clock {
	double hz;                /* the points' clock; 0 = the board's */
	bool prepared, failed;
	char bitstream[PATH_MAX]; /* "" = the session's own choice */
	const char *source;       /* where the bitstream came from (the plan, the cache, built), for people */
	double run_hz;            /* what each run asks for: the achieved clock on hardware */
	struct hb_build_clock bc; /* hardware and twins with a [build] section */
	bool have_bc;
	char why[600];            /* failed: the reason every point of the clock gets */
};

struct sweep_ctx {
	struct hb_board board;
	bool hardware;            /* a real board: flash a bitstream per clock */
	bool twin;                /* a hardware profile on the virtual board (--virtual) */
	struct sweep_clock clocks[HB_SWEEP_MAX_AXIS + 1];
	size_t n_clocks;
};

static uint64_t hz_u64(double hz)
{
	return hz > 0 ? (uint64_t)llround(hz) : 0;
}

static const char *sweep_board_name(const struct hb_sweep_opts *o, const struct hb_sweep_plan *plan)
{
	return o->board ? o->board : plan->board[0] ? plan->board : "sim";
}

/* The board and, on hardware, a check that every clock of the plan can be built (or is named
 * in [bitstreams]) before anything is stored or measured: a usage error names the nearest
 * clocks the board builds at. */
static enum hb_status sweep_ctx_init(const struct hb_sweep_opts *o, const char *board,
				     const struct hb_sweep_plan *plan, const struct hb_sweep_point *pts, size_t n,
				     struct sweep_ctx *ctx, char *err, size_t errlen)
{
	memset(ctx, 0, sizeof *ctx);
	char e[1024];
	enum hb_status st = hb_board_find(board, o->boards_dir, &ctx->board, e, sizeof e);
	if (st != HB_OK) {
		snprintf(err, errlen, "%s", e);
		return HB_ERR_ARG;
	}
	bool sim = ctx->board.family == HB_FAMILY_SIM;
	ctx->hardware = !sim && !o->virtual_board;
	ctx->twin = !sim && o->virtual_board;
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;
		while (k < ctx->n_clocks && ctx->clocks[k].hz != pts[i].clock_hz)
			k++;
		if (k == ctx->n_clocks && k < sizeof ctx->clocks / sizeof ctx->clocks[0])
			ctx->clocks[ctx->n_clocks++].hz = pts[i].clock_hz;
	}
	if (!ctx->hardware)
		return HB_OK; /* a simulated board runs at any clock */
	for (size_t k = 0; k < ctx->n_clocks; k++) {
		double hz = ctx->clocks[k].hz;
		if (hz > 0 && bitstream_for(plan, hz))
			continue;
		if (!ctx->board.build.flow[0]) {
			if (hz > 0) {
				snprintf(err, errlen, "clock %g MHz: board %s's profile has no [build] section, so "
					 "hilbench cannot build a bitstream per clock: name one for each clock in the "
					 "plan's [bitstreams] (docs/calibration.md)", hz / 1e6, ctx->board.name);
				return HB_ERR_ARG;
			}
			continue; /* the board's own clock: the session finds (or refuses) the bitstream */
		}
		struct hb_clkgen c;
		uint64_t want = hz > 0 ? hz_u64(hz) : ctx->board.core_clock_hz;
		if (hb_build_check_clock(&ctx->board, want, &c, e, sizeof e) != HB_OK) {
			snprintf(err, errlen, "[axes] clock_mhz %g: %s", want / 1e6, e);
			return HB_ERR_ARG;
		}
	}
	return HB_OK;
}

static struct sweep_clock *clock_of(struct sweep_ctx *ctx, double hz)
{
	for (size_t k = 0; k < ctx->n_clocks; k++)
		if (ctx->clocks[k].hz == hz)
			return &ctx->clocks[k];
	return NULL;
}

static void clock_label(double hz, char *buf, size_t cap)
{
	if (hz > 0)
		snprintf(buf, cap, "clock %g MHz", hz / 1e6);
	else
		snprintf(buf, cap, "the board's clock");
}

/* Decide what the points of clock sc run on. Hardware: [bitstreams], else the build cache,
 * else build it (unless dry); twins: [bitstreams], else a cached build when there is one. */
static void prepare_clock(const struct hb_sweep_opts *o, struct sweep_ctx *ctx, const struct hb_sweep_plan *plan,
			  struct sweep_clock *sc, bool dry)
{
	FILE *out = o->out ? o->out : stdout;
	bool talk = !o->quiet && !dry;
	char lbl[48];
	clock_label(sc->hz, lbl, sizeof lbl);
	sc->prepared = true;
	sc->run_hz = sc->hz;
	const char *named = sc->hz > 0 ? bitstream_for(plan, sc->hz) : NULL;
	if (named) {
		snprintf(sc->bitstream, sizeof sc->bitstream, "%s", named);
		sc->source = "the plan's [bitstreams]";
		if (talk)
			fprintf(out, "%s: bitstream %s (the plan's [bitstreams])\n", lbl, named);
		return;
	}
	if (!(ctx->hardware || ctx->twin) || !ctx->board.build.flow[0])
		return;
	struct hb_build_opts bo = {.board = &ctx->board, .clock_hz = hz_u64(sc->hz), .root = o->bitstream_dir};
	char e[2048], desc[256];
	/* the cache first: says whether anything needs building */
	enum hb_status st = hb_build_ensure(&bo, 0, &sc->bc, e, sizeof e);
	sc->have_bc = st == HB_OK || st == HB_ERR_NOTFOUND;
	if (ctx->twin) {
		/* any clock runs on the twin; a cached build of the clock goes to the stand-in */
		if (st == HB_OK) {
			snprintf(sc->bitstream, sizeof sc->bitstream, "%s", sc->bc.bitstream);
			sc->source = "the build cache";
		}
		return;
	}
	if (st != HB_OK && st != HB_ERR_NOTFOUND) {
		sc->failed = true;
		snprintf(sc->why, sizeof sc->why, "no bitstream for %s: %.500s", lbl, e);
		if (talk)
			fprintf(out, "%s: %s\n", lbl, sc->why);
		return;
	}
	hb_clkgen_describe(&sc->bc.clk, desc, sizeof desc);
	sc->run_hz = sc->bc.clk.clk_hz;
	if (st == HB_OK) {
		snprintf(sc->bitstream, sizeof sc->bitstream, "%s", sc->bc.bitstream);
		sc->source = "the build cache";
		if (talk) {
			fprintf(out, "%s: %s; bitstream 0x%s from the build cache", lbl, desc, sc->bc.hash_hex);
			if (sc->bc.fmax_mhz > 0)
				fprintf(out, " (Fmax %.2f MHz)", sc->bc.fmax_mhz);
			fprintf(out, "\n");
			fflush(out);
		}
		return;
	}
	if (dry)
		return; /* not built: the dry run says so */
	if (talk) {
		fprintf(out, "%s: %s; bitstream 0x%s is not in the cache: building it (%s)\n", lbl, desc,
			sc->bc.hash_hex, sc->bc.command);
		fflush(out);
	}
	bo.out = o->quiet ? NULL : out;
	st = hb_build_ensure(&bo, 1, &sc->bc, e, sizeof e);
	if (st != HB_OK) {
		sc->failed = true;
		/* the first line (a missing tool's message goes on with the commands) */
		char *nl = strchr(e, '\n');
		if (nl && !o->quiet)
			fprintf(out, "%s\n", e);
		if (nl)
			*nl = '\0';
		snprintf(sc->why, sizeof sc->why, "no bitstream for %s: %.500s", lbl, e);
		if (talk)
			fprintf(out, "%s: %s\n", lbl, sc->why);
		return;
	}
	snprintf(sc->bitstream, sizeof sc->bitstream, "%s", sc->bc.bitstream);
	sc->source = sc->bc.cached ? "the build cache" : "built";
	if (talk) {
		fprintf(out, "%s: bitstream 0x%s built in %.0f s", lbl, sc->bc.hash_hex, sc->bc.seconds);
		if (sc->bc.fmax_mhz > 0)
			fprintf(out, ", Fmax %.2f MHz for %.6g MHz", sc->bc.fmax_mhz, sc->bc.clk.clk_hz / 1e6);
		fprintf(out, ": %s\n", sc->bc.bitstream);
		fflush(out);
	}
}

/* --dry-run: per clock, the clock achieved, the bitstream and the flash command. */
static void dry_run_print(const struct hb_sweep_opts *o, struct sweep_ctx *ctx, const struct hb_sweep_plan *plan,
			  const struct hb_sweep_point *pts, size_t n)
{
	FILE *out = o->out ? o->out : stdout;
	const struct hb_board *b = &ctx->board;
	fprintf(out, "sweep (dry run) on %s (%s): %zu points, %zu clock%s; nothing is built, flashed, measured "
		"or stored\n", b->name, ctx->hardware ? "hardware" : ctx->twin ? "twin: the virtual board" : "virtual board",
		n, ctx->n_clocks, ctx->n_clocks == 1 ? "" : "s");
	for (size_t k = 0; k < ctx->n_clocks; k++) {
		struct sweep_clock *sc = &ctx->clocks[k];
		prepare_clock(o, ctx, plan, sc, true);
		size_t np = 0;
		for (size_t i = 0; i < n; i++)
			np += pts[i].clock_hz == sc->hz;
		char lbl[48], desc[256];
		clock_label(sc->hz, lbl, sizeof lbl);
		if (!ctx->hardware && !ctx->twin) {
			fprintf(out, "%s: %zu points; the virtual board runs at it\n", lbl, np);
			continue;
		}
		if (ctx->hardware && sc->have_bc) {
			hb_clkgen_describe(&sc->bc.clk, desc, sizeof desc);
			fprintf(out, "%s: %zu points at %.6f MHz (%s)\n", lbl, np, sc->run_hz / 1e6, desc);
		} else if (ctx->twin) {
			fprintf(out, "%s: %zu points; the twin runs at %g MHz (any clock)\n", lbl, np,
				(sc->hz > 0 ? sc->hz : (double)b->core_clock_hz) / 1e6);
		} else {
			fprintf(out, "%s: %zu points\n", lbl, np);
		}
		const char *file = sc->bitstream;
		if (sc->failed)
			fprintf(out, "  bitstream: %s\n", sc->why);
		else if (sc->bitstream[0])
			fprintf(out, "  bitstream: %s (%s%s%s)\n", sc->bitstream, sc->source,
				sc->have_bc && sc->bc.ready ? ", build 0x" : "", sc->have_bc && sc->bc.ready ? sc->bc.hash_hex : "");
		else if (ctx->hardware && sc->have_bc) {
			fprintf(out, "  bitstream: %s, not built yet: the sweep builds it first (build 0x%s, `%s`)\n",
				sc->bc.bitstream, sc->bc.hash_hex, sc->bc.command);
			file = sc->bc.bitstream;
		} else if (ctx->twin) {
			fprintf(out, "  bitstream: none built for this clock: the twin flashes a placeholder %s file\n",
				hb_family_name(b->family));
			file = "<placeholder>";
		} else {
			fprintf(out, "  bitstream: the profile's (the session finds it)\n");
			continue;
		}
		if (sc->failed)
			continue;
		struct hb_flash_opts fo;
		hb_flash_opts_board(&fo, b->ofl_board, b->ofl_cable, b->usb_serial, b->flash_interface);
		fo.bitstream = file;
		struct hb_flash_argv a;
		char cmd[2048];
		enum hb_status fs = hb_flash_build_argv(&fo, &a);
		if (ctx->twin)
			a.argv[0] = (char *)"hilbench-ofl-standin"; /* the session puts it in openFPGALoader's place */
		if ((fs == HB_OK || fs == HB_ERR_NOTFOUND) && hb_flash_format(&a, cmd, sizeof cmd) == HB_OK)
			fprintf(out, "  flash%s: %s\n", ctx->twin ? " (the twin's openFPGALoader)" : " (before each point)", cmd);
	}
	fflush(out);
}

static bool stop(const struct hb_sweep_opts *o)
{
	return o->interrupted && *o->interrupted;
}

static enum hb_status run_points(const struct hb_sweep_opts *o, struct hb_db *db, struct hb_db_sweep *sw,
				 const struct hb_sweep_plan *plan, const struct hb_sweep_point *pts, size_t n,
				 struct sweep_ctx *ctx, struct hb_sweep_result *res)
{
	FILE *out = o->out ? o->out : stdout;
	FILE *devnull = fopen("/dev/null", "w");
	const char *board = o->board ? o->board : plan->board[0] ? plan->board : "sim";
	size_t todo = 0;
	for (size_t i = 0; i < n; i++)
		todo += sw->points[i].status != HB_POINT_DONE;
	if (!o->quiet)
		fprintf(out, "sweep %lld%s%s on %s: %zu points, %zu to measure\n", (long long)sw->id,
			plan->name[0] ? " " : "", plan->name, board, n, todo);
	uint64_t t0 = hb_now_ns();
	size_t measured = 0;
	/* ETA: a point costs about the same as the points already measured at its clock; at a
	 * clock not measured yet, the mean cost scaled by the clock (a simulated board spends
	 * CPU time per cycle; on hardware windows last the same at any clock, so this errs long) */
	double *took_s = calloc(n ? n : 1, sizeof *took_s);
	enum hb_status st = HB_OK;
	for (size_t i = 0; i < n && !stop(o); i++) {
		struct hb_db_point *dp = &sw->points[i];
		if (dp->status == HB_POINT_DONE)
			continue;
		const struct hb_sweep_point *pt = &pts[i];
		struct sweep_clock *sc = clock_of(ctx, pt->clock_hz);
		if (sc && !sc->prepared) {
			prepare_clock(o, ctx, plan, sc, false);
			if (stop(o)) {
				res->interrupted = 1;
				break;
			}
		}
		if (sc && sc->failed) {
			char now[40];
			iso_now(now, sizeof now);
			enum hb_status ds = hb_db_sweep_point_set(db, sw->id, i, HB_POINT_FAILED, 0, sc->why, now, now);
			if (ds != HB_OK) {
				st = ds;
				break;
			}
			dp->status = HB_POINT_FAILED;
			dp->run_id = 0;
			if (!o->quiet) {
				fprintf(out, "[%zu/%zu] %s: FAILED (%s)\n", i + 1, n, pt->label, sc->why);
				fflush(out);
			}
			continue;
		}
		struct hb_run_opts ro;
		hb_run_opts_default(&ro);
		ro.board = board;
		ro.virtual_board = o->virtual_board;
		ro.abort_now = NULL;
		ro.boards_dir = o->boards_dir;
		ro.net = plan->nets[pt->net].path;
		ro.windows = plan->windows;
		ro.window_s = plan->window_s;
		ro.baseline_s = plan->baseline_s;
		ro.warmup_s = plan->warmup_s;
		ro.samples = plan->samples;
		ro.seed = pt->seed;
		ro.L = pt->L;
		/* hardware: the clock the bitstream's PLL makes, which IDENTIFY must report */
		ro.clock_hz = sc && sc->run_hz > 0 ? sc->run_hz : pt->clock_hz;
		ro.input_scale = pt->scale < 1 ? pt->scale : 0;
		ro.sweep_id = sw->id;
		int64_t run_id = 0;
		ro.run_id = &run_id;
		ro.db_path = o->db_path;
		ro.vboard_exe = o->vboard_exe;
		ro.pacing = plan->pacing[0] ? plan->pacing : NULL;
		ro.bitstream = sc && sc->bitstream[0] ? sc->bitstream : NULL;
		ro.quiet = 1;
		ro.out = devnull ? devnull : out;
		ro.interrupted = o->interrupted;
		char cmd[512];
		snprintf(cmd, sizeof cmd, "hilbench sweep (%lld, point %zu: %s)", (long long)sw->id, i + 1, pt->label);
		ro.command_line = cmd;
		char started[40], finished[40], err[512] = "";
		iso_now(started, sizeof started);
		uint64_t p0 = hb_now_ns();
		enum hb_status rs = (o->run ? o->run : default_run)(&ro, err, sizeof err, o->run_user);
		iso_now(finished, sizeof finished);
		double took = (double)(hb_now_ns() - p0) / 1e9;
		enum hb_point_status ps;
		if (rs == HB_ERR_INTERRUPTED || (rs != HB_OK && stop(o))) {
			ps = HB_POINT_PENDING; /* measured again on --resume */
			res->interrupted = 1;
		} else {
			ps = rs == HB_OK ? HB_POINT_DONE : HB_POINT_FAILED;
		}
		if (ps == HB_POINT_FAILED && !err[0])
			snprintf(err, sizeof err, "%s", hb_strerror(rs));
		enum hb_status ds = hb_db_sweep_point_set(db, sw->id, i, ps, run_id, ps == HB_POINT_FAILED ? err : NULL,
							  started, finished);
		if (ds != HB_OK) {
			st = ds; /* the database is gone: nothing more can be recorded */
			break;
		}
		dp->status = ps;
		dp->run_id = run_id;
		if (ps == HB_POINT_PENDING)
			break;
		measured++;
		if (took_s)
			took_s[i] = took;
		if (!o->quiet) {
			double el = (double)(hb_now_ns() - t0) / 1e9;
			double eta = 0, sum_t = 0, sum_f = 0;
			size_t cnt = 0;
			for (size_t j = 0; j <= i; j++)
				if (took_s && took_s[j] > 0) {
					sum_t += took_s[j];
					sum_f += pts[j].clock_hz > 0 ? pts[j].clock_hz : 1;
					cnt++;
				}
			for (size_t j = i + 1; j < n && cnt; j++) {
				if (sw->points[j].status == HB_POINT_DONE)
					continue;
				double same = 0;
				size_t k = 0;
				for (size_t q = 0; q <= i; q++)
					if (took_s[q] > 0 && pts[q].clock_hz == pts[j].clock_hz) {
						same += took_s[q];
						k++;
					}
				double f = pts[j].clock_hz > 0 ? pts[j].clock_hz : 1;
				eta += k ? same / (double)k : sum_t / (double)cnt * (f / (sum_f / (double)cnt));
			}
			char e1[32], e2[32], t1[32];
			fmt_dur(el, e1, sizeof e1);
			fmt_dur(eta, e2, sizeof e2);
			fmt_dur(took, t1, sizeof t1);
			if (ps == HB_POINT_DONE)
				fprintf(out, "[%zu/%zu] %s: run %lld (%s); elapsed %s, ETA %s\n", i + 1, n, pt->label,
					(long long)run_id, t1, e1, e2);
			else
				fprintf(out, "[%zu/%zu] %s: FAILED (%s); elapsed %s, ETA %s\n", i + 1, n, pt->label, err, e1,
					e2);
			fflush(out);
		}
	}
	if (devnull)
		fclose(devnull);
	free(took_s);
	res->sweep_id = sw->id;
	res->n_points = n;
	res->n_done = res->n_failed = res->n_pending = 0;
	for (size_t i = 0; i < n; i++) {
		res->n_done += sw->points[i].status == HB_POINT_DONE;
		res->n_failed += sw->points[i].status == HB_POINT_FAILED;
		res->n_pending += sw->points[i].status == HB_POINT_PENDING;
	}
	if (stop(o))
		res->interrupted = 1;
	return st;
}

static enum hb_status prepare(const struct hb_sweep_opts *o, const char *text, const char *origin,
			      struct hb_sweep_plan *plan, struct hb_sweep_point **pts, size_t *n, char *err,
			      size_t errlen)
{
	enum hb_status st = hb_sweep_plan_parse(text, origin, plan, err, errlen);
	if (st != HB_OK)
		return st;
	(void)o;
	st = hb_sweep_points(plan, pts, n);
	if (st == HB_ERR_RANGE)
		snprintf(err, errlen, "%s: the axes make more than %d points", origin, HB_SWEEP_MAX_POINTS);
	return st;
}

/* Every network that is not generated must load before anything is measured. */
static enum hb_status check_nets(const struct hb_sweep_plan *plan, char *err, size_t errlen)
{
	for (size_t i = 0; i < plan->n_nets; i++) {
		if (plan->nets[i].kind == HB_SWEEP_NET_RANDOM)
			continue;
		struct hb_net net;
		char e[256];
		if (hb_net_load(plan->nets[i].path, &net, e, sizeof e) != HB_OK) {
			snprintf(err, errlen, "network %s: %s", plan->nets[i].spec, e);
			return HB_ERR_ARG;
		}
		hb_net_free(&net);
	}
	return HB_OK;
}

enum hb_status hb_sweep_start(const struct hb_sweep_opts *o, const char *plan_text, const char *origin,
			      struct hb_sweep_result *res, char *err, size_t errlen)
{
	memset(res, 0, sizeof *res);
	struct hb_sweep_plan *plan = calloc(1, sizeof *plan);
	struct hb_sweep_point *pts = NULL;
	size_t n = 0;
	if (!plan)
		return HB_ERR_NOMEM;
	struct sweep_ctx *ctx = calloc(1, sizeof *ctx);
	enum hb_status st = ctx ? prepare(o, plan_text, origin, plan, &pts, &n, err, errlen) : HB_ERR_NOMEM;
	if (st == HB_OK)
		st = check_nets(plan, err, errlen);
	if (st == HB_OK)
		st = sweep_ctx_init(o, sweep_board_name(o, plan), plan, pts, n, ctx, err, errlen);
	if (st == HB_OK && o->dry_run) {
		dry_run_print(o, ctx, plan, pts, n);
		res->n_points = n;
		res->n_pending = n;
		free(ctx);
		free(plan);
		free(pts);
		return HB_OK;
	}
	if (st != HB_OK) {
		free(ctx);
		free(plan);
		free(pts);
		return st == HB_ERR_NOMEM ? st : HB_ERR_ARG;
	}
	struct hb_db *db = NULL;
	st = hb_db_open(o->db_path, &db);
	if (st != HB_OK) {
		snprintf(err, errlen, "cannot open the run database: %s", hb_strerror(st));
		free(ctx);
		free(plan);
		free(pts);
		return st;
	}
	struct hb_db_point *dps = calloc(n, sizeof *dps);
	char created[40];
	iso_now(created, sizeof created);
	const char *board = sweep_board_name(o, plan);
	struct hb_db_sweep sw = {.created_at = created, .board = (char *)board, .name = plan->name,
				 .plan_text = (char *)plan_text, .command_line = (char *)o->command_line,
				 .points = dps, .n_points = n};
	for (size_t i = 0; dps && i < n; i++)
		dps[i].label = pts[i].label;
	st = dps ? hb_db_sweep_create(db, &sw) : HB_ERR_NOMEM;
	free(dps);
	if (st != HB_OK) {
		snprintf(err, errlen, "cannot store the sweep: %s", hb_strerror(st));
		goto out;
	}
	char dir[1200];
	sweep_dir(o->db_path, sw.id, dir, sizeof dir);
	st = hb_sweep_generate_nets(plan, dir, err, errlen);
	if (st != HB_OK)
		goto out;
	struct hb_db_sweep got;
	st = hb_db_sweep_get(db, sw.id, &got);
	if (st == HB_OK) {
		st = run_points(o, db, &got, plan, pts, n, ctx, res);
		hb_db_sweep_free(&got);
	}
out:
	hb_db_close(db);
	free(ctx);
	free(plan);
	free(pts);
	return st;
}

enum hb_status hb_sweep_resume(const struct hb_sweep_opts *o, int64_t id, struct hb_sweep_result *res,
			       char *err, size_t errlen)
{
	memset(res, 0, sizeof *res);
	struct hb_db *db = NULL;
	enum hb_status st = hb_db_open(o->db_path, &db);
	if (st != HB_OK) {
		snprintf(err, errlen, "cannot open the run database: %s", hb_strerror(st));
		return st;
	}
	struct hb_db_sweep sw;
	st = hb_db_sweep_get(db, id, &sw);
	if (st != HB_OK) {
		snprintf(err, errlen, st == HB_ERR_NOTFOUND ? "no sweep %lld in the database" : "cannot read sweep %lld",
			 (long long)id);
		hb_db_close(db);
		return st == HB_ERR_NOTFOUND ? HB_ERR_ARG : st;
	}
	struct hb_sweep_plan *plan = calloc(1, sizeof *plan);
	struct hb_sweep_point *pts = NULL;
	size_t n = 0;
	char origin[64];
	snprintf(origin, sizeof origin, "sweep %lld's plan", (long long)id);
	st = plan ? prepare(o, sw.plan_text, origin, plan, &pts, &n, err, errlen) : HB_ERR_NOMEM;
	if (st == HB_OK && n != sw.n_points) {
		snprintf(err, errlen, "sweep %lld: its plan makes %zu points but %zu are stored", (long long)id, n,
			 sw.n_points);
		st = HB_ERR_FORMAT;
	}
	for (size_t i = 0; st == HB_OK && i < n; i++)
		if (strcmp(pts[i].label, sw.points[i].label ? sw.points[i].label : "") != 0) {
			snprintf(err, errlen, "sweep %lld: point %zu is '%s' in the database but '%s' from its plan",
				 (long long)id, i + 1, sw.points[i].label, pts[i].label);
			st = HB_ERR_FORMAT;
		}
	char dir[1200];
	sweep_dir(o->db_path, id, dir, sizeof dir);
	if (st == HB_OK)
		st = hb_sweep_generate_nets(plan, dir, err, errlen);
	struct hb_sweep_opts oo = *o;
	if (!oo.board && sw.board)
		oo.board = sw.board;
	struct sweep_ctx *ctx = NULL;
	if (st == HB_OK) {
		ctx = calloc(1, sizeof *ctx);
		st = ctx ? sweep_ctx_init(&oo, sweep_board_name(&oo, plan), plan, pts, n, ctx, err, errlen) : HB_ERR_NOMEM;
	}
	if (st == HB_OK && o->dry_run)
		dry_run_print(&oo, ctx, plan, pts, n);
	else if (st == HB_OK)
		st = run_points(&oo, db, &sw, plan, pts, n, ctx, res);
	hb_db_sweep_free(&sw);
	hb_db_close(db);
	free(ctx);
	free(plan);
	free(pts);
	return st;
}
