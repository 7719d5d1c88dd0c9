/* Print docs/probe-protocol.md's examples (see probe_examples.h). A tool, not a test. */
#include <stdio.h>

#include "probe_examples.h"

int main(void)
{
	static struct probe_example ex[PROBE_EXAMPLES_MAX];
	size_t n = probe_examples_build(ex, PROBE_EXAMPLES_MAX);
	if (!n) {
		fprintf(stderr, "the example session failed\n");
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		printf("# %s: %s %s\n", ex[i].name, ex[i].to_probe ? "->" : "<-", ex[i].what);
		for (size_t k = 0; k < ex[i].len; k++)
			printf("%02X%s", ex[i].bytes[k], (k % 16 == 15 || k + 1 == ex[i].len) ? "\n" : " ");
		printf("\n");
	}
	return 0;
}
