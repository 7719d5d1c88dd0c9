/* The byte-level examples quoted in docs/protocol.md §6, built with the
 * encoders. tests/data/link/examples.txt and the doc hold their hex;
 * test_link_examples checks both against these builders. */
#ifndef LINK_EXAMPLES_H
#define LINK_EXAMPLES_H
#include <stddef.h>
#include <stdint.h>

#include "hb_link_codec.h"

struct link_example {
	const char *name;
	const char *what; /* one line for humans */
	/* Writes the frame into out (HB_LINK_MAX_FRAME bytes), returns its length. */
	size_t (*build)(uint8_t *out);
};

extern const struct link_example link_examples[];
extern const size_t link_examples_count;

/* The walkthrough network (16-4-2, L = 32) the examples use. */
struct hb_link_netcfg link_example_net(void);

#endif
