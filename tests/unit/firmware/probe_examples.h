/* The byte-level examples of docs/probe-protocol.md: one scripted session with the probe
 * firmware core on the host HAL (simulated, so every byte is the same on every run). Each
 * example is one frame, as it went over the wire. gen_probe_examples prints them in the
 * document's format; test_probe_examples checks the document against them. */
#ifndef PROBE_EXAMPLES_H
#define PROBE_EXAMPLES_H

#include <stddef.h>
#include <stdint.h>

struct probe_example {
	const char *name;
	const char *what;
	int to_probe;          /* 1: host -> probe */
	uint8_t bytes[272];
	size_t len;
};

#define PROBE_EXAMPLES_MAX 24
/* Runs the session; returns the number of examples (0 on failure). */
size_t probe_examples_build(struct probe_example *ex, size_t cap);

#endif
