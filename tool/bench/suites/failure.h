/* failure.h - what the failure suite's two files share: failure.c
 * (blast radius and recovery) and failure_limits.c (stopping and
 * resource limits). */
#ifndef TOOL_BENCH_SUITES_FAILURE_H
#define TOOL_BENCH_SUITES_FAILURE_H

#include "bench/engine/bench.h"

#include <procthread/unit.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* How a crashing unit ends. */
enum failure_mode {
	FAILURE_SEGV,		/* writes to a read-only page */
	FAILURE_ABORT,		/* abort() */
	FAILURE_STACK_OVERFLOW, /* recurses into its guard page */
	FAILURE_KILL9,		/* SIGKILL aimed at its own tid */
};
#define FAILURE_MODES 4

/* "segv", "abort", "stack-overflow", "kill-9". */
const char *failure_mode_name(enum failure_mode mode);

/* Ends the calling unit the way mode says; never returns. A thread takes
 * its whole process along: that is what is measured. *crash_ns gets the
 * moment of the crash: the fault itself, taken by a one-shot handler of
 * SIGSEGV or SIGABRT on an alternate stack, which then lets the default
 * action end the process (SIGKILL cannot be caught: the moment it is
 * sent). The handler is process-wide: call this only in a process that
 * is meant to die. */
_Noreturn void failure_crash(enum failure_mode mode, atomic_ullong *crash_ns);

/* A counter in MAP_SHARED memory that units bump and the suite waits on
 * with a shared futex, so one works for threads and forked processes. */
void failure_bump(atomic_uint *word);
/* Waits until *word >= n. Returns 0 or -ETIMEDOUT after timeout_ms. */
int failure_await(atomic_uint *word, unsigned n, int timeout_ms);
/* Inside a unit: waits until *word is non-zero, or the unit is cancelled
 * (false). Bounded by timeout_ms. */
bool failure_wait_set(atomic_uint *word, int timeout_ms);
void failure_set(atomic_uint *word);
/* Sleeps while *word is 0, at most timeout_ms (a wake-up may end it
 * early: callers loop). */
void failure_nap(atomic_uint *word, int timeout_ms);

/* Zeroed MAP_SHARED memory, or NULL; freed with failure_unshare(). */
void *failure_share(size_t bytes);
void failure_unshare(void *mem, size_t bytes);

/* Spins until the calling thread used ns more CPU time. */
void failure_spin_cpu(uint64_t ns);

/* Joins a unit that must end within timeout_ms; on a timeout it is killed
 * (a process) before it is destroyed. Returns the join's result. */
int failure_join(pt_unit *unit, int timeout_ms, struct pt_status *st);

#define FAILURE_MAX_UNITS 16
#define FAILURE_MAX_REPS  16

/* The unit counts of the profile (N = 2..16), in *ns; returns how many. */
size_t failure_unit_counts(const struct bench_ctx *ctx, const int **ns);
/* Repetitions of an experiment: the engine's, at most
 * FAILURE_MAX_REPS. */
unsigned failure_reps(const struct bench_ctx *ctx);

/* The cases of failure_pool.c and failure_limits.c; each records
 * what it measured and returns 0 or -errno (noted). */
int failure_pool_cases(struct bench_ctx *ctx);
int failure_stop_cases(struct bench_ctx *ctx);
int failure_limit_cases(struct bench_ctx *ctx);

#endif
