/* hilbench infer — one inference with the golden model (no hardware). */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "hb_cli.h"
#include "hb_model.h"
#include "hb_outfile.h"
#include "hb_paths.h"
#include "hb_report.h"
#include "hb_term.h"

#define CMD "infer"

static void help(FILE *f)
{
	fprintf(f,
		"Usage: hilbench infer [--net NAME|FILE] (--sample N | --input FILE) [options]\n"
		"\n"
		"Run one inference with the bit-exact golden model (docs/semantics.md) and print the\n"
		"class and the last layer's spike counts. No hardware is involved: this is what a board\n"
		"must answer for the same network, input and L.\n"
		"\n"
		"Options:\n"
		"  --net NAME|FILE     network: a shipped name (digits, mnist-shape; looked up in\n"
		"                      <data dir>/gateware/model/nets/NAME.json) or a path to a .json\n"
		"                      file (docs/network-format.md). Default: digits\n"
		"  --sample N          input = sample N (0..1796) of the digits data set\n"
		"                      (tests/data/digits/digits.csv); prints its label too\n"
		"  --digits FILE       another digits CSV for --sample\n"
		"  --input FILE        input = a text file of n_in values 0..65535 (one per input of\n"
		"                      layer 0, separated by spaces, commas or newlines; '#' comments)\n"
		"  --length L          bitstream length (time steps), overrides the network's L\n"
		"  --bitstreams FILE   also write the input bitstreams, exactly as streamed to the\n"
		"                      gateware: n_in * ceil(L/8) bytes, input i at byte i*ceil(L/8),\n"
		"                      step t in bit t%%8 of byte t/8 (LSB first); '-' = stdout\n"
		"  --all-layers        print the counts of every layer, not only the last\n"
		"  --reference         use the literal reference implementation (slow) instead of the\n"
		"                      word-parallel one; the results are identical\n"
		"  --json              print one JSON object instead of text\n"
		"  -h, --help          this help\n"
		"\n"
		"Examples:\n"
		"  hilbench infer --sample 17\n"
		"  hilbench infer --net mnist-shape --input my784.txt --length 512 --json\n"
		"  hilbench infer --sample 0 --bitstreams in.bin   # 64 * 32 = 2048 bytes\n"
		"\n"
		"Exit codes: 0 success, 1 model failure, 2 usage error (bad option, file or value).\n");
}

/* --net: a path if it names a file or contains '/', else a shipped name. */
static int load_net(const char *arg, struct hb_net *net)
{
	char path[4096], err[512];
	int is_path = strchr(arg, '/') || strstr(arg, ".json");
	if (is_path)
		snprintf(path, sizeof path, "%s", arg);
	else
		snprintf(path, sizeof path, "%s/gateware/model/nets/%s.json", hb_data_dir(), arg);
	enum hb_status st = hb_net_load(path, net, err, sizeof err);
	if (st == HB_OK)
		return HB_EXIT_OK;
	if (st == HB_ERR_NOTFOUND && !is_path) {
		char dir[4096], names[1024] = "";
		snprintf(dir, sizeof dir, "%s/gateware/model/nets", hb_data_dir());
		DIR *dp = opendir(dir);
		struct dirent *de;
		while (dp && (de = readdir(dp))) {
			size_t n = strlen(de->d_name);
			if (n > 5 && strcmp(de->d_name + n - 5, ".json") == 0 && strlen(names) + n < sizeof names - 2)
				snprintf(names + strlen(names), sizeof names - strlen(names), " %.*s", (int)(n - 5),
					 de->d_name);
		}
		if (dp)
			closedir(dp);
		return hb_usage_error(CMD, "--net %s: no shipped network of that name (have:%s; or give a path)",
				      arg, *names ? names : " none");
	}
	return hb_usage_error(CMD, "--net: %s", err);
}

static int read_values(const char *path, unsigned n, uint16_t *vals)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return hb_usage_error(CMD, "--input %s: %s", path, strerror(errno));
	unsigned got = 0, line = 1;
	int c, rc = HB_EXIT_OK;
	char tok[32];
	size_t tl = 0;
	for (;;) {
		c = fgetc(f);
		if (c == '#') {
			while ((c = fgetc(f)) != EOF && c != '\n')
				;
		}
		if (c == EOF || c == ' ' || c == '\t' || c == ',' || c == '\n' || c == '\r' || c == ';') {
			if (tl) {
				tok[tl] = 0;
				char *end;
				long v = strtol(tok, &end, 0);
				if (*end || v < 0 || v > 65535) {
					rc = hb_usage_error(CMD, "--input %s:%u: '%s' is not a value 0..65535", path,
							    line, tok);
					break;
				}
				if (got == n) {
					rc = hb_usage_error(CMD, "--input %s:%u: more than the network's %u inputs",
							    path, line, n);
					break;
				}
				vals[got++] = (uint16_t)v;
				tl = 0;
			}
			if (c == '\n')
				line++;
			if (c == EOF)
				break;
		} else if (tl < sizeof tok - 1) {
			tok[tl++] = (char)c;
		} else {
			rc = hb_usage_error(CMD, "--input %s:%u: token too long", path, line);
			break;
		}
	}
	fclose(f);
	if (rc == HB_EXIT_OK && got != n)
		rc = hb_usage_error(CMD, "--input %s: %u values, the network has %u inputs", path, got, n);
	return rc;
}

static void print_counts(FILE *o, const uint16_t *c, unsigned n, int json)
{
	for (unsigned j = 0; j < n; j++)
		fprintf(o, json ? "%s%u" : "%s%u", j ? (json ? "," : " ") : "", c[j]);
}

int hb_cmd_infer(struct hb_global *g, int argc, char **argv)
{
	(void)g;
	static const struct option opts[] = {
		{"net", required_argument, 0, 'n'},     {"sample", required_argument, 0, 's'},
		{"digits", required_argument, 0, 'd'},  {"input", required_argument, 0, 'i'},
		{"length", required_argument, 0, 'L'},  {"bitstreams", required_argument, 0, 'b'},
		{"all-layers", no_argument, 0, 'a'},    {"reference", no_argument, 0, 'r'},
		{"json", no_argument, 0, 'j'},          {"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	const char *net_arg = "digits", *input = NULL, *bits_out = NULL, *digits_path = NULL;
	long sample = -1, length = 0;
	int json = 0, all = 0, reference = 0, c;
	char *end;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': net_arg = optarg; break;
		case 's':
			sample = strtol(optarg, &end, 10);
			if (*end || !*optarg || sample < 0)
				return hb_usage_error(CMD, "--sample '%s': expected a sample number >= 0", optarg);
			break;
		case 'd': digits_path = optarg; break;
		case 'i': input = optarg; break;
		case 'L':
			length = strtol(optarg, &end, 10);
			if (*end || !*optarg || length < 1 || length > HB_MODEL_MAX_L)
				return hb_usage_error(CMD, "--length '%s': expected 1..%d time steps", optarg,
						      HB_MODEL_MAX_L);
			break;
		case 'b': bits_out = optarg; break;
		case 'a': all = 1; break;
		case 'r': reference = 1; break;
		case 'j': json = 1; break;
		case 'h': help(stdout); return HB_EXIT_OK;
		default: return hb_usage_error(CMD, "unknown option");
		}
	}
	if (optind < argc)
		return hb_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
	if ((sample >= 0) == (input != NULL))
		return hb_usage_error(CMD, "give exactly one of --sample N and --input FILE");
	if (digits_path && sample < 0)
		return hb_usage_error(CMD, "--digits only goes with --sample");

	struct hb_net net;
	int rc = load_net(net_arg, &net);
	if (rc != HB_EXIT_OK)
		return rc;
	if (length)
		net.L = (unsigned)length;
	unsigned n_in = hb_net_inputs(&net);
	uint16_t *vals = calloc(n_in, sizeof *vals);
	uint8_t *bits = NULL;
	struct hb_digits d = {0};
	int label = -1, held = 0;
	if (!vals) {
		rc = hb_fail(CMD, "out of memory");
		goto out;
	}
	if (sample >= 0) {
		char path[4096], err[512];
		if (!digits_path) {
			snprintf(path, sizeof path, "%s/tests/data/digits/digits.csv", hb_data_dir());
			digits_path = path;
		}
		enum hb_status st = hb_digits_load(digits_path, &d, err, sizeof err);
		if (st != HB_OK) {
			rc = hb_usage_error(CMD, "digits data: %s", err);
			goto out;
		}
		if (n_in != HB_DIGITS_PIXELS) {
			rc = hb_usage_error(CMD, "--sample: network %s has %u inputs, the digits have %d pixels "
					    "(use --input)", net.name, n_in, HB_DIGITS_PIXELS);
			goto out;
		}
		if ((unsigned long)sample >= d.n) {
			rc = hb_usage_error(CMD, "--sample %ld: the data set has samples 0..%u", sample, d.n - 1);
			goto out;
		}
		hb_digits_values(&d, (unsigned)sample, vals);
		label = d.labels[sample];
		held = d.held_out[sample];
	} else if ((rc = read_values(input, n_in, vals)) != HB_EXIT_OK) {
		goto out;
	}

	size_t nbytes = hb_model_input_bytes(&net);
	bits = malloc(nbytes);
	struct hb_model_result r;
	enum hb_status st = bits ? hb_model_encode(&net, vals, bits) : HB_ERR_NOMEM;
	if (st == HB_OK)
		st = reference ? hb_model_infer_naive(&net, bits, &r) : hb_model_infer(&net, bits, &r);
	if (st != HB_OK) {
		rc = hb_fail(CMD, "inference failed: %s", hb_strerror(st));
		goto out;
	}
	if (bits_out) {
		int to_stdout = strcmp(bits_out, "-") == 0;
		struct hb_outfile of; /* no planted symlink followed (docs/security.md) */
		if (!to_stdout && hb_outfile_open(&of, bits_out) != HB_OK) {
			rc = hb_usage_error(CMD, "--bitstreams %s", of.err);
			goto out;
		}
		FILE *f = to_stdout ? stdout : of.f;
		enum hb_status ws = fwrite(bits, 1, nbytes, f) == nbytes ? HB_OK : HB_ERR_IO;
		if (!to_stdout && ws == HB_OK)
			ws = hb_outfile_commit(&of);
		else if (!to_stdout)
			hb_outfile_abort(&of);
		if (ws != HB_OK) {
			rc = hb_fail(CMD, "--bitstreams %s: write failed", bits_out);
			goto out;
		}
		if (to_stdout)
			goto out; /* the binary owns stdout */
		if (net.L % 8)
			fprintf(stderr, "hilbench infer: note: L=%u is not a multiple of 8; the gateware streams "
				"whole bytes and cannot run this length\n", net.L);
	}

	unsigned K = net.n_layers, first = all ? 0 : K - 1;
	if (json) {
		/* Built with libcjson: the network's name is text from a file (docs/security.md). */
		cJSON *j = cJSON_CreateObject(), *a;
		cJSON_AddStringToObject(j, "net", net.name);
		cJSON_AddNumberToObject(j, "L", net.L);
		a = cJSON_AddArrayToObject(j, "shape");
		cJSON_AddItemToArray(a, cJSON_CreateNumber(net.layers[0].n_in));
		for (unsigned k = 0; k < K; k++)
			cJSON_AddItemToArray(a, cJSON_CreateNumber(net.layers[k].n_out));
		if (sample >= 0) {
			cJSON_AddNumberToObject(j, "sample", (double)sample);
			cJSON_AddNumberToObject(j, "label", label);
			cJSON_AddBoolToObject(j, "held_out", held);
			cJSON_AddBoolToObject(j, "correct", (int)r.cls == label);
		}
		cJSON_AddNumberToObject(j, "class", r.cls);
		a = cJSON_AddArrayToObject(j, "counts");
		for (unsigned k = first; k < K; k++) {
			cJSON *c = cJSON_CreateArray();
			for (unsigned q = 0; q < net.layers[k].n_out; q++)
				cJSON_AddItemToArray(c, cJSON_CreateNumber(r.counts[k][q]));
			cJSON_AddItemToArray(a, c);
		}
		a = cJSON_AddArrayToObject(j, "counts_layers");
		for (unsigned k = first; k < K; k++)
			cJSON_AddItemToArray(a, cJSON_CreateNumber(k));
		char *txt = cJSON_PrintUnformatted(j);
		cJSON_Delete(j);
		if (!txt) {
			rc = hb_fail(CMD, "out of memory");
			goto out;
		}
		hb_json_fputs(txt, stdout);
		putchar('\n');
		cJSON_free(txt);
	} else {
		printf("net %s (%u", hb_term(net.name), net.layers[0].n_in);
		for (unsigned k = 0; k < K; k++)
			printf("-%u", net.layers[k].n_out);
		printf("), L=%u%s\n", net.L, reference ? ", reference model" : "");
		if (sample >= 0)
			printf("sample %ld (%s), label %d\n", sample, held ? "held-out" : "training", label);
		printf("class %u%s\n", r.cls, sample < 0 ? "" : (int)r.cls == label ? " (correct)" : " (wrong)");
		for (unsigned k = first; k < K; k++) {
			printf("layer %u counts:", k);
			printf(" ");
			print_counts(stdout, r.counts[k], net.layers[k].n_out, 0);
			printf("\n");
		}
	}
out:
	free(vals);
	free(bits);
	hb_digits_free(&d);
	hb_net_free(&net);
	return rc;
}
