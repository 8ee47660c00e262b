/* kinds.c - which unit kinds the loop tests run. */
#include "support/kinds.h"

#include <procthread/unit.h>

#include <stdlib.h>
#include <string.h>

/* valgrind's header comes with valgrind: without it, nothing runs under
 * valgrind. */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define UNDER_VALGRIND RUNNING_ON_VALGRIND
#endif
#endif
#ifndef UNDER_VALGRIND
#define UNDER_VALGRIND 0
#endif

int pt_test_kinds_end(void)
{
	const char *only = getenv("PT_TEST_KINDS");

	if (only && !strcmp(only, "thread"))
		return PT_KIND_THREAD + 1;
	return PT_KIND_PROCESS + 1;
}

bool pt_test_under_valgrind(void)
{
	return UNDER_VALGRIND != 0;
}
