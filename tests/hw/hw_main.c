/* main() for hardware tests: exit 77 (CTest: skipped) unless HB_HW=1, else run Criterion.
 * Link it into every test registered with LABELS hw. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char *argv[])
{
	const char *hw = getenv("HB_HW");
	if (!hw || strcmp(hw, "1") != 0) {
		fprintf(stderr, "skipped: hardware test; set HB_HW=1 with the bench attached\n");
		return 77;
	}
	struct criterion_test_set *tests = criterion_initialize();
	int result = 0;
	if (criterion_handle_args(argc, argv, true))
		result = !criterion_run_all_tests(tests);
	criterion_finalize(tests);
	return result;
}
