/* hilbench twin — does a bitstream file fit the FPGA family the board has?
 *
 * The file type comes from the name the way openFPGALoader 0.10 takes it (src/device.cpp):
 * the text after the last '.', "raw" when there is none, and for "x.bit.gz" the type before
 * ".gz" (the parser inflates gzip files itself); --file-type overrides the name.
 *
 * What each family accepts in a twin:
 *   ice40   .bin, holding the iCE40 synchronisation word 7E AA 99 7E (icepack writes
 *           FF 00, a comment, 00 FF, then the word);
 *   ecp5    .bit or .bin, holding the ECP5 preamble FF FF BD B3 (FF FF BF B3: encrypted);
 *           a .bit starts with FF 00 (ecppack's comment block), optionally after "LSCC";
 *           ecppack --compress output is such a file too;
 *   artix7  .bit: the Xilinx header (00 09 0F F0 0F F0 0F F0 0F F0 00 00 01 'a') and the
 *           sync word AA 99 55 66.
 * Any of them may be gzip-compressed (name ending ".gz"); the content is then checked after
 * inflating when the stand-in was built with zlib, else only the gzip magic.
 * Content is looked for in the first 64 KiB. */
#ifndef HB_OFL_BITFILE_H
#define HB_OFL_BITFILE_H

#include <stddef.h>
#include <stdint.h>

#include "hb_status.h"

enum hb_ofl_family { HB_OFL_ICE40, HB_OFL_ECP5, HB_OFL_ARTIX7 };

/* "ice40", "ecp5", "artix7" → family; -1 when unknown. */
int hb_ofl_family_parse(const char *name);
const char *hb_ofl_family_name(enum hb_ofl_family f);

/* The file type openFPGALoader derives from path (file_type overrides when not NULL/"").
 * *gz = 1 when the name ends in .gz/.gzip. HB_ERR_ARG with msg for "x.gz" without an inner
 * type (openFPGALoader refuses it). */
enum hb_status hb_ofl_file_type(const char *path, const char *file_type, char *type, size_t cap,
				int *gz, char *msg, size_t mcap);

/* Check a file's type and content for a family. data/n: the file's bytes (compressed when
 * gz). HB_OK, or HB_ERR_FORMAT with msg naming what is wrong and what was expected. */
enum hb_status hb_ofl_bitfile_check(enum hb_ofl_family f, const char *type, int gz,
				    const uint8_t *data, size_t n, char *msg, size_t mcap);

/* Write a small file that passes the check for family f (the virtual board ignores what a
 * bitstream holds; a twin needs a file of the right kind to flash): its type's magic and
 * `payload` bytes of filler. For tests and for twin sessions without a real build. */
enum hb_status hb_ofl_bitfile_placeholder(enum hb_ofl_family f, const char *path, size_t payload);

/* 1 when this build inflates .gz files for the content check. */
int hb_ofl_bitfile_has_zlib(void);

#endif
