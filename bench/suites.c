/* suites.c - the benchmark's suites, in the order they run. A new suite is
 * one file (bench/suite_<name>.c, see bench/bench.h) and one line here. */
#include "bench/bench.h"

#include <string.h>

extern const struct pt_bench_suite pt_bench_suite_create;
extern const struct pt_bench_suite pt_bench_suite_memory;
extern const struct pt_bench_suite pt_bench_suite_switch;
extern const struct pt_bench_suite pt_bench_suite_failure;
extern const struct pt_bench_suite pt_bench_suite_ipc;
extern const struct pt_bench_suite pt_bench_suite_pool;
extern const struct pt_bench_suite pt_bench_suite_scale;

/* One suite a line, in the order they run. */
/* clang-format off */
const struct pt_bench_suite *const pt_bench_suites[] = {
	&pt_bench_suite_create,
	&pt_bench_suite_memory,
	&pt_bench_suite_switch,
	&pt_bench_suite_failure,
	&pt_bench_suite_ipc,
	&pt_bench_suite_pool,
	&pt_bench_suite_scale,
	NULL,
};
/* clang-format on */

const struct pt_bench_suite *pt_bench_suite_find(const char *name)
{
	for (size_t i = 0; pt_bench_suites[i]; i++)
		if (!strcmp(pt_bench_suites[i]->name, name))
			return pt_bench_suites[i];
	return NULL;
}
