/* pool.h - what the pool suite's files share: pool.c (the pools' cases)
 * and pool_limits.c (the floor a restart is measured against). */
#ifndef TOOL_BENCH_SUITES_POOL_H
#define TOOL_BENCH_SUITES_POOL_H

#include "bench/engine/bench.h"

/* Records the floor of the "restart" case, params as its own plus
 * transport "limit-death": a process unit of this process's, like a pool
 * worker, writes the time and aborts; the sample runs until its
 * parent's poll() on the unit's descriptor (a pidfd) wakes. No restart can
 * start the next task before it knows the worker died. Returns 0 or -1. */
int bench_pool_limit_death(struct bench_ctx *ctx);

#endif
