/* pool_tasks.h - the task bodies the pool suites submit, one copy for the
 * local pools (suite_pool.c) and the MPI pool's registry (mpi.c). */
#ifndef PT_BENCH_POOL_TASKS_H
#define PT_BENCH_POOL_TASKS_H

#include <procthread/pool.h>

/* Returns nothing: what a pool itself costs per task. */
int pt_bench_task_empty(const void *arg, size_t len, struct pt_task_out *out);

/* Returns its argument, pointing its result at it (no copy of its own,
 * as Python's echo returns its object): what the pool costs to carry the
 * bytes both ways. */
int pt_bench_task_echo(const void *arg, size_t len, struct pt_task_out *out);

#endif
