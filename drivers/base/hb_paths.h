#ifndef HB_PATHS_H
#define HB_PATHS_H
/* The repository root holding shipped data (bench/boards, gateware/model/nets, tests/data).
 * HB_DATA_DIR overrides it (an installed copy, or a test's own tree). */
const char *hb_data_dir(void);
#endif
