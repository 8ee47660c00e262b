/* pool.h - what the pool suite's files share: pool.c (the pools' cases),
 * pool_limits.c (the floor a restart is measured against) and
 * pool_startup.c (a pool's start and stop, and a worker's start against
 * the caller's size). */
#ifndef TOOL_BENCH_SUITES_POOL_H
#define TOOL_BENCH_SUITES_POOL_H

#include "bench/engine/bench.h"

#include <procthread/common.h>

#include <stdbool.h>

/* Records the floor of the "restart" case, params as its own plus
 * transport "limit-death": a process unit of this process's, like a pool
 * worker, writes the time and aborts; the sample runs until its
 * parent's poll() on the unit's descriptor (a pidfd) wakes. No restart can
 * start the next task before it knows the worker died. Returns 0 or -1. */
int bench_pool_limit_death(struct bench_ctx *ctx);

/* A pool of kind and workers, made and freed: how long the making took
 * (stop unset) or the freeing of one that ran a task (stop set), in ns
 * into *value. Returns 0 or the pool's -errno. */
int bench_pool_lifecycle(enum pt_kind kind, unsigned workers, bool stop,
			 double *value);

/* Records "worker-start": a one-worker process pool's start against the
 * memory its caller touched, forked directly and by the fork-server.
 * Returns 0 or -1. */
int bench_pool_start_by_size(struct bench_ctx *ctx);

#endif
