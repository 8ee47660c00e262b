/* kinds.c - which unit kinds the loop tests run. */
#include "support/kinds.h"

#include <procthread/unit.h>

#include <stdlib.h>
#include <string.h>

int pt_test_kinds_end(void)
{
	const char *only = getenv("PT_TEST_KINDS");

	if (only && !strcmp(only, "thread"))
		return PT_THREAD + 1;
	return PT_PROCESS + 1;
}
