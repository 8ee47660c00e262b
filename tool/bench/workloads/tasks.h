/* tasks.h - the task bodies the pool suites submit, one copy for the
 * local pools (bench/suites/pool.c) and the MPI pool's registry (mpi.c). */
#ifndef TOOL_BENCH_WORKLOADS_TASKS_H
#define TOOL_BENCH_WORKLOADS_TASKS_H

#include <procthread/pool.h>

/* Returns nothing: what a pool itself costs per task. */
int bench_task_empty(const void *arg, size_t len, struct pt_task_out *out);

/* Returns its argument, pointing its result at it (no copy of its own,
 * as Python's echo returns its object): what the pool costs to carry the
 * bytes both ways. */
int bench_task_echo(const void *arg, size_t len, struct pt_task_out *out);

#endif
