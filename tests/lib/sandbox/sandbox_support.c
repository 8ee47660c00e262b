/* sandbox_support.c - see sandbox_support.h. */
#include "sandbox_support.h"

#include "support/test.h"

#include <procthread.h>

static const struct via_case {
	const char *name;
	int via;
} via_cases[N_VIA_CASES] = {
	{ "forked directly", PT_UNIT_FORK_DIRECT },
	{ "by the fork-server", PT_UNIT_FORK_SERVER },
};

int via_case(int i)
{
	pt_test_case(via_cases[i].name);
	return via_cases[i].via;
}
