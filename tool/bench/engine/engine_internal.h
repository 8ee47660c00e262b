/* engine_internal.h - the engine's state, shared by engine.c (running
 * suites, placement, progress) and measure.c (timing and records). */
#ifndef TOOL_BENCH_ENGINE_ENGINE_INTERNAL_H
#define TOOL_BENCH_ENGINE_ENGINE_INTERNAL_H

#include "bench/engine/engine.h"

#include <sched.h>

struct bench_merged; /* a case's samples over the rounds (rounds.c) */

struct bench_ctx {
	const struct bench_opts *opts;
	struct results *results;
	/* What one round asks of a case: its share of the samples and
	 * repetitions (the whole when the peers run) and of the time. */
	unsigned runs;	   /* samples per case, at least */
	unsigned reps;	   /* repetitions of whole experiments */
	double min_time_s; /* sampling goes on until this passed */
	double warmup_s;
	bool peers;

	unsigned total_runs, total_reps; /* over all rounds */
	double total_min_time_s;
	unsigned rounds; /* the suites run this many times (rounds.c) */
	unsigned round;	 /* the one under way, from 0 */
	bool final;	 /* a suite's last pass: its notes count */
	struct bench_merged *merged;
	size_t n_merged, cap_merged;

	bool pin;	 /* false with --pin none */
	int cpu_a;	 /* side A's CPU */
	int cpu_b;	 /* side B's CPU, -1 with only one usable CPU */
	cpu_set_t saved; /* affinity at start, restored by unplace */

	double clock_cost_ns;
	double target_sample_ns; /* shortest sample worth timing */
	int failures;
	double last_median; /* bench_last_median() */

	/* progress line */
	const struct bench_suite *suite;
	size_t suite_index, n_suites;
	uint64_t start_ns, suite_start_ns;
	double est_total_s, est_done_s;
	uint64_t last_progress_ns;
};

/* Where place puts the sides (no pinning done). */
void bench_resolve(const struct bench_ctx *ctx, enum bench_place place,
		   struct bench_where *where);

/* Records a failed case: a note and a failure count. */
void bench_fail(struct bench_ctx *ctx, const struct bench_case *c,
		const char *step, int err);

/* What a timed case's sampled loop cost the CPU, in total (measure.c). */
struct bench_cpu_use {
	double user_ns, sys_ns;
	double voluntary_csw, involuntary_csw;
	double ops; /* operations it timed */
};

/* Adds rec (its stats left to this function) with the statistics of n
 * values, or, when this case was met in an earlier round, merges the values
 * into its record and its twins' (rounds.c). The record keeps the samples
 * as raw, in the order taken. use: the loop's CPU, summed over the rounds;
 * NULL for a figure the engine did not time. Sorts values. Sets
 * ctx->last_median. Returns 0 or -errno. */
int bench_merge(struct bench_ctx *ctx, struct record *rec,
		const struct bench_twin twins[2], double *values, size_t n,
		const struct bench_cpu_use *use);
void bench_merge_free(struct bench_ctx *ctx);

#endif
