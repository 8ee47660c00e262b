/* bench.h - the benchmark engine, as suites see it.
 *
 * The engine turns a described case into a record a performance engineer
 * can trust: it pins the sides of the case where --pin says, warms the
 * case up, picks how many operations one timed sample holds (one, when an
 * operation takes 1 us or more, so tails are real; enough for a sample of
 * at least ~10 us otherwise), takes samples until it has --runs of them
 * and --min-time has passed, and computes the statistics
 * (bench/engine/stats.h). Records go into a struct results (results/results.h)
 * that the writers print; docs/results-schema.md documents them as JSON.
 *
 * Writing a suite (one file, bench/suite_<name>.c, plus one line in the
 * table of bench/suites.c):
 *
 *   static int my_run(struct bench_ctx *ctx)
 *   {
 *       const struct bench_param params[] = {
 *           BENCH_STR("transport", "pipe"), BENCH_INT("size", 64),
 *       };
 *       struct bench_case c = {
 *           .name = "latency", .kind = BENCH_PROCESS,
 *           .place = BENCH_CROSS_CPU, BENCH_PARAMS(params),
 *           .setup = s, .run = r, .teardown = t, .arg = &st,
 *       };
 *       return bench_measure(ctx, &c);
 *   }
 *   const struct bench_suite bench_suite_mine = {
 *       .name = "mine", .summary = "...", .run = my_run,
 *       .est_s = { 5, 30, 120 },
 *   };
 *
 * - A timed case gives either run(arg, n), which performs n calls, each of
 *   ops_per_call operations (the engine times the whole call), or
 *   sample(arg, &value), which measures one value itself (e.g. a latency
 *   stamped on two CPUs). setup() runs once before warm-up, after the
 *   engine pinned the calling thread to where->cpu[0]; it starts the other
 *   side on where->cpu[1] (bench_cpu_mask() for a pt_unit). teardown()
 *   runs once at the end, also after a failure, setup's included: it must
 *   undo whatever part of setup was done. Callbacks return 0 or -errno; a
 *   failure is noted and the suite goes on with its next case.
 * - Values measured another way (bytes, a peer tool's figures) go in with
 *   bench_emit(); the statistics are the same.
 * - The engine adds two parameters to every record: "placement"
 *   ("same-cpu", "cross-cpu" or "unpinned") and "cpus" (where each side
 *   ran: "0", "0,1" or "any").
 * - unit NULL means "ns" per operation. A unit ending in "/s" makes the
 *   engine record each sample's rate (operations per second) instead.
 * - A peer's figure is a record with .peer set to the tool's name and the
 *   name, kind and parameters of our case it stands beside. A suite's
 *   peers() runs the tools (bench/peers/peers.h helps), only when peers
 *   are enabled; a missing tool is a bench_note(), not an error.
 *
 * The engine runs suites one at a time on the calling thread. Nothing here
 * is thread-safe: call it from the thread that runs the suite.
 */
#ifndef TOOL_BENCH_ENGINE_BENCH_H
#define TOOL_BENCH_ENGINE_BENCH_H

#include "results/results.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bench_ctx; /* the running engine, made by bench_run() */

enum bench_kind {
	BENCH_NONE,    /* neither: e.g. a limit or a property */
	BENCH_THREAD,  /* the case runs threads */
	BENCH_PROCESS, /* the case runs processes */
};

/* Where the two sides of a case run, as --pin auto resolves it. */
enum bench_place {
	BENCH_ANY,	/* never pinned: the scheduler decides */
	BENCH_SAME_CPU, /* both sides (and their children) on CPU A */
	BENCH_CROSS_CPU /* side 0 on CPU A, side 1 on CPU B */
};

enum bench_profile { BENCH_QUICK, BENCH_DEFAULT, BENCH_FULL };

/* A parameter of a case: .str for a string value, else .num. */
struct bench_param {
	const char *key;
	const char *str;
	long long num;
};
#define BENCH_STR(k, v)                                                        \
	{                                                                      \
		.key = (k), .str = (v)                                         \
	}
#define BENCH_INT(k, v)                                                        \
	{                                                                      \
		.key = (k), .num = (long long)(v)                              \
	}

/* A case's .params and .n_params, from an array of them (not a pointer:
 * its size is their count). */
#define BENCH_PARAMS(array)                                                    \
	.params = (array), .n_params = sizeof(array) / sizeof((array)[0])

/* Where a case's sides run; cpu[i] is -1 when side i is not pinned. */
struct bench_where {
	int cpu[2];
	const char *placement; /* "same-cpu", "cross-cpu" or "unpinned" */
};

struct bench_case {
	const char *name; /* what is measured, e.g. "create-join" */
	enum bench_kind kind;
	enum bench_place place;
	const char *unit; /* NULL: "ns" */
	const struct bench_param *params;
	size_t n_params;
	const char *peer; /* NULL: ours; else the peer tool's name */

	/* Timed cases (bench_measure): run or sample, not both. */
	int (*setup)(void *arg, const struct bench_where *where);
	int (*run)(void *arg, uint64_t n);
	int (*sample)(void *arg, double *value);
	void (*teardown)(void *arg);
	void *arg;
	unsigned ops_per_call; /* operations in one call of run; 0 means 1 */
	uint64_t max_batch;    /* largest n for run; 0: no limit */

	/* Twin records of the same samples, each value times scale, under
	 * a name and unit of their own (their own name, so that tables and
	 * compare never pair a twin with the original): e.g. "B/s" beside
	 * "msgs/s" (scale: bytes per message), or a ratio to a reference
	 * figure (unit "x", scale: 1 / the reference). Unused: name NULL. */
	struct bench_twin {
		const char *name;
		const char *unit;
		double scale;
		bool higher_is_better; /* as the case's own flag */
	} twins[2];
	/* A larger figure is better though the unit is not a rate (a
	 * share of a limit, survivors): recorded, so that compare and the
	 * summary judge it the right way round. Rates need not say. */
	bool higher_is_better;
};

struct bench_suite {
	const char *name;
	const char *summary; /* one line, for --list */
	int (*run)(struct bench_ctx *ctx);
	int (*peers)(struct bench_ctx *ctx); /* optional */
	const char *peer_tools; /* for --list, e.g. "perf, hackbench" */
	double est_s[3];	/* rough seconds per profile, for the ETA */
	bool not_default;	/* run only when named on the command line */
	/* Run in the first round only, with every sample: for figures that
	 * depend on this process's state (which later rounds change) more
	 * than on the machine's speed (bench/engine/rounds.c). */
	bool once;
};

/* --- for suites --------------------------------------------------------- */

/* len zeroed bytes on cache lines of their own (and their prefetch pairs:
 * 128-byte aligned and rounded), so two sides' buffers never share a line;
 * free() them. NULL when out of memory. */
unsigned char *bench_line_alloc(size_t len);

/* bytes of private memory, mapped with small pages and every page
 * touched: what fork() must copy the page tables of, as a program's heap
 * grown that large. munmap() it; NULL, noted for suite, when it cannot be
 * mapped. */
void *bench_touch_memory(struct bench_ctx *ctx, const char *suite,
			 size_t bytes);

/* Times a case and records it. Returns 0, or the -errno a callback
 * returned (already noted in the results). */
int bench_measure(struct bench_ctx *ctx, const struct bench_case *c);

/* Records n >= 1 values measured by the suite itself, in c->unit. The
 * values are sorted in place. Returns 0 or -errno. */
int bench_emit(struct bench_ctx *ctx, const struct bench_case *c,
	       double *values, size_t n);

/* Pins the calling thread as place says and fills *where; the previous
 * affinity comes back with bench_unplace(). For suites and peers that
 * run something themselves (a child inherits the affinity). */
void bench_place(struct bench_ctx *ctx, enum bench_place place,
		 struct bench_where *where);
void bench_unplace(struct bench_ctx *ctx);

/* The median of the record the last successful bench_measure() or
 * bench_emit() added (not its twin); 0 before any. For suites that
 * report a figure relative to another, e.g. a ratio to a limit. */
double bench_last_median(const struct bench_ctx *ctx);

/* A one-line note: on stderr (unless --quiet) and in the results. */
void bench_note(struct bench_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Shows the case under way in the progress line. measure and emit call it;
 * suites call it before long set-ups. */
void bench_progress(struct bench_ctx *ctx, const char *what);

enum bench_profile bench_profile(const struct bench_ctx *ctx);

/* The number of samples a case should have at least (--runs, or the
 * profile's), and the same for suites that repeat whole experiments
 * (memory, peers): fewer, since each repetition is long. */
unsigned bench_runs(const struct bench_ctx *ctx);
unsigned bench_reps(const struct bench_ctx *ctx);

/* Whether peers were asked for, and a CPU for side B exists. */
bool bench_peers_enabled(const struct bench_ctx *ctx);
bool bench_has_two_cpus(const struct bench_ctx *ctx);

/* --- helpers ------------------------------------------------------------ */

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t bench_now_ns(void);

/* A pt_unit_opts.cpu_mask for side i of where: 0 (inherit) when it is not
 * pinned or its CPU is beyond 63. */
uint64_t bench_cpu_mask(const struct bench_where *where, int side);

/* Pins the calling thread to one CPU. Returns 0 or -errno. */
int bench_pin_self(int cpu);

/* Keeps the compiler from dropping a computation whose result is unused. */
static inline void bench_keep(const void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

#endif
