/* hb_model internals shared by the library's source files (not part of the API). */
#ifndef HB_MODEL_INT_H
#define HB_MODEL_INT_H

#include "hb_model.h"

/* argmax of the last layer's counts, ties to the lowest index. */
unsigned hb_model_argmax(const struct hb_model_result *res, unsigned n_out);
/* CRC-32 (IEEE 802.3, reflected, as zlib's crc32()). */
uint32_t hb_model_crc32(const uint8_t *p, size_t n);

#endif
