/* ipc.h - what the ipc suite (ipc.c) takes from its limits
 * (ipc_limits.c). */
#ifndef TOOL_BENCH_SUITES_IPC_H
#define TOOL_BENCH_SUITES_IPC_H

#include "bench/engine/bench.h"

#include <stdbool.h>
#include <stddef.h>

/* Measures and records the latency floor between two CPUs: one cache line
 * passed back and forth by two spinning threads ("limit-atomic"), or with
 * futex sleeps between two processes ("limit-futex"). Returns the median
 * round trip in ns, 0 when the case failed (noted by the engine). */
double ipc_limit_pingpong(struct bench_ctx *ctx, bool futex);

/* Measures and records the floor of a round trip over two one-way
 * channels: the same spinning ping-pong with a cache line per direction
 * ("limit-atomic-2line"). Returns its median in ns, 0 on failure. */
double ipc_limit_two_lines(struct bench_ctx *ctx);

/* Measures and records memcpy of size bytes on one CPU ("limit-memcpy",
 * msgs/s with a B/s twin). Returns the median rate, 0 on failure. */
double ipc_limit_memcpy(struct bench_ctx *ctx, size_t size);

/* The same from a source whose every page was written first
 * ("limit-memcpy-real"; limit-memcpy's is mostly the zero page). Returns
 * the median rate, 0 on failure. */
double ipc_limit_memcpy_real(struct bench_ctx *ctx, size_t size);

/* Measures the atomic floor again with a plain loop of two pthreads
 * outside the engine, records it (transport limit-atomic-plain) and notes
 * whether it agrees with atomic_ns, the engine's figure, within 20%. */
void ipc_limit_check(struct bench_ctx *ctx, double atomic_ns);

#endif
