/* Where shipped data lives: the source tree (build-tree runs) or an override. */
#include <stdlib.h>

#include "hb_paths.h"

const char *hb_data_dir(void)
{
	const char *env = getenv("HB_DATA_DIR");
	return env && *env ? env : HB_SOURCE_DATA_DIR;
}
