/* failure.h - what the failure suite's two files share: suite_failure.c
 * (blast radius and recovery) and suite_failure_limits.c (stopping and
 * resource limits). */
#ifndef PT_BENCH_FAILURE_H
#define PT_BENCH_FAILURE_H

#include "bench/bench.h"

#include <procthread/unit.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* How a crashing unit ends. */
enum pt_failure_mode {
	PT_FAILURE_SEGV,	   /* writes to a read-only page */
	PT_FAILURE_ABORT,	   /* abort() */
	PT_FAILURE_STACK_OVERFLOW, /* recurses into its guard page */
	PT_FAILURE_KILL9,	   /* SIGKILL aimed at its own tid */
};
#define PT_FAILURE_MODES 4

/* "segv", "abort", "stack-overflow", "kill-9". */
const char *pt_failure_mode_name(enum pt_failure_mode mode);

/* Ends the calling unit the way mode says; never returns. A thread takes
 * its whole process along: that is what is measured. *crash_ns gets the
 * moment of the crash: the fault itself, taken by a one-shot handler of
 * SIGSEGV or SIGABRT on an alternate stack, which then lets the default
 * action end the process (SIGKILL cannot be caught: the moment it is
 * sent). The handler is process-wide: call this only in a process that
 * is meant to die. */
_Noreturn void pt_failure_crash(enum pt_failure_mode mode,
				atomic_ullong *crash_ns);

/* A counter in MAP_SHARED memory that units bump and the suite waits on
 * with a shared futex, so one works for threads and forked processes. */
void pt_failure_bump(atomic_uint *word);
/* Waits until *word >= n. Returns 0 or -ETIMEDOUT after timeout_ms. */
int pt_failure_await(atomic_uint *word, unsigned n, int timeout_ms);
/* Inside a unit: waits until *word is non-zero, or the unit is cancelled
 * (false). Bounded by timeout_ms. */
bool pt_failure_wait_set(atomic_uint *word, int timeout_ms);
void pt_failure_set(atomic_uint *word);
/* Sleeps while *word is 0, at most timeout_ms (a wake-up may end it
 * early: callers loop). */
void pt_failure_nap(atomic_uint *word, int timeout_ms);

/* Zeroed MAP_SHARED memory, or NULL; freed with pt_failure_unshare(). */
void *pt_failure_share(size_t bytes);
void pt_failure_unshare(void *mem, size_t bytes);

/* Spins until the calling thread used ns more CPU time. */
void pt_failure_spin_cpu(uint64_t ns);

/* Joins a unit that must end within timeout_ms; on a timeout it is killed
 * (a process) before it is destroyed. Returns the join's result. */
int pt_failure_join(pt_unit *unit, int timeout_ms, struct pt_status *st);

#define PT_FAILURE_MAX_UNITS 16
#define PT_FAILURE_MAX_REPS  16

/* The unit counts of the profile (N = 2..16), in *ns; returns how many. */
size_t pt_failure_unit_counts(const struct pt_bench_ctx *ctx, const int **ns);
/* Repetitions of an experiment: the engine's, at most
 * PT_FAILURE_MAX_REPS. */
unsigned pt_failure_reps(const struct pt_bench_ctx *ctx);

/* The cases of suite_failure_pool.c and suite_failure_limits.c; each records
 * what it measured and returns 0 or -errno (noted). */
int pt_failure_pool_cases(struct pt_bench_ctx *ctx);
int pt_failure_stop_cases(struct pt_bench_ctx *ctx);
int pt_failure_limit_cases(struct pt_bench_ctx *ctx);

#endif
