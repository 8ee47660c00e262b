/* suites.h - the table of the benchmark's suites (bench/suites/suites.c),
 * which the command line picks from and hands to the engine. */
#ifndef TOOL_BENCH_SUITES_SUITES_H
#define TOOL_BENCH_SUITES_SUITES_H

#include "bench/engine/bench.h"

/* The suites, in the order they run, ended by NULL. */
extern const struct bench_suite *const bench_suites[];

/* The suite called name, or NULL. */
const struct bench_suite *bench_suite_find(const char *name);

#endif
