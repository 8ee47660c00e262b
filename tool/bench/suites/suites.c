/* suites.c - the benchmark's suites, in the order they run. A new suite is
 * one file (bench/suite_<name>.c, see bench/engine/bench.h) and one line here.
 */
#include "bench/suites/suites.h"

#include <string.h>

extern const struct bench_suite bench_suite_create;
extern const struct bench_suite bench_suite_memory;
extern const struct bench_suite bench_suite_switch;
extern const struct bench_suite bench_suite_failure;
extern const struct bench_suite bench_suite_ipc;
extern const struct bench_suite bench_suite_pool;
extern const struct bench_suite bench_suite_scale;

/* One suite a line, in the order they run. */
/* clang-format off */
const struct bench_suite *const bench_suites[] = {
	&bench_suite_create,
	&bench_suite_memory,
	&bench_suite_switch,
	&bench_suite_failure,
	&bench_suite_ipc,
	&bench_suite_pool,
	&bench_suite_scale,
	NULL,
};
/* clang-format on */

const struct bench_suite *bench_suite_find(const char *name)
{
	for (size_t i = 0; bench_suites[i]; i++)
		if (!strcmp(bench_suites[i]->name, name))
			return bench_suites[i];
	return NULL;
}
