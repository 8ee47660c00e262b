/* bench.h - the benchmark engine, as suites see it.
 *
 * The engine turns a described case into a record a performance engineer
 * can trust: it pins the sides of the case where --pin says, warms the
 * case up, picks how many operations one timed sample holds (one, when an
 * operation takes 1 us or more, so tails are real; enough for a sample of
 * at least ~10 us otherwise), takes samples until it has --runs of them
 * and --min-time has passed, and computes the statistics (bench/stats.h).
 * Records go into a struct pt_results (report/results.h) that the writers
 * print; docs/results-schema.md documents them as JSON.
 *
 * Writing a suite (one file, bench/suite_<name>.c, plus one line in the
 * table of bench/suites.c):
 *
 *   static int my_run(struct pt_bench_ctx *ctx)
 *   {
 *       const struct pt_bench_param params[] = {
 *           PT_BENCH_STR("transport", "pipe"), PT_BENCH_INT("size", 64),
 *       };
 *       struct pt_bench_case c = {
 *           .name = "latency", .kind = PT_BENCH_PROCESS,
 *           .place = PT_BENCH_CROSS_CPU, .params = params,
 *           .n_params = 2, .setup = s, .run = r, .teardown = t, .arg = &st,
 *       };
 *       return pt_bench_measure(ctx, &c);
 *   }
 *   const struct pt_bench_suite pt_bench_suite_mine = {
 *       .name = "mine", .summary = "...", .run = my_run,
 *       .est_s = { 5, 30, 120 },
 *   };
 *
 * - A timed case gives either run(arg, n), which performs n calls, each of
 *   ops_per_call operations (the engine times the whole call), or
 *   sample(arg, &value), which measures one value itself (e.g. a latency
 *   stamped on two CPUs). setup() runs once before warm-up, after the
 *   engine pinned the calling thread to where->cpu[0]; it starts the other
 *   side on where->cpu[1] (pt_bench_cpu_mask() for a pt_unit). teardown()
 *   runs once at the end, also after a failure, setup's included: it must
 *   undo whatever part of setup was done. Callbacks return 0 or -errno; a
 *   failure is noted and the suite goes on with its next case.
 * - Values measured another way (bytes, a peer tool's figures) go in with
 *   pt_bench_emit(); the statistics are the same.
 * - The engine adds two parameters to every record: "placement"
 *   ("same-cpu", "cross-cpu" or "unpinned") and "cpus" (where each side
 *   ran: "0", "0,1" or "any").
 * - unit NULL means "ns" per operation. A unit ending in "/s" makes the
 *   engine record each sample's rate (operations per second) instead.
 * - A peer's figure is a record with .peer set to the tool's name and the
 *   name, kind and parameters of our case it stands beside. A suite's
 *   peers() runs the tools (bench/peers/peer.h helps), only when peers
 *   are enabled; a missing tool is a pt_bench_note(), not an error.
 *
 * The engine runs suites one at a time on the calling thread. Nothing here
 * is thread-safe: call it from the thread that runs the suite.
 */
#ifndef PT_BENCH_H
#define PT_BENCH_H

#include "report/results.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pt_bench_ctx; /* the running engine, made by pt_bench_run() */

enum pt_bench_kind {
	PT_BENCH_NONE,	  /* neither: e.g. a limit or a property */
	PT_BENCH_THREAD,  /* the case runs threads */
	PT_BENCH_PROCESS, /* the case runs processes */
};

/* Where the two sides of a case run, as --pin auto resolves it. */
enum pt_bench_place {
	PT_BENCH_ANY,	   /* never pinned: the scheduler decides */
	PT_BENCH_SAME_CPU, /* both sides (and their children) on CPU A */
	PT_BENCH_CROSS_CPU /* side 0 on CPU A, side 1 on CPU B */
};

enum pt_bench_profile { PT_BENCH_QUICK, PT_BENCH_DEFAULT, PT_BENCH_FULL };

/* A parameter of a case: .str for a string value, else .num. */
struct pt_bench_param {
	const char *key;
	const char *str;
	long long num;
};
#define PT_BENCH_STR(k, v)                                                     \
	{                                                                      \
		.key = (k), .str = (v)                                         \
	}
#define PT_BENCH_INT(k, v)                                                     \
	{                                                                      \
		.key = (k), .num = (long long)(v)                              \
	}

/* Where a case's sides run; cpu[i] is -1 when side i is not pinned. */
struct pt_bench_where {
	int cpu[2];
	const char *placement; /* "same-cpu", "cross-cpu" or "unpinned" */
};

struct pt_bench_case {
	const char *name; /* what is measured, e.g. "create-join" */
	enum pt_bench_kind kind;
	enum pt_bench_place place;
	const char *unit; /* NULL: "ns" */
	const struct pt_bench_param *params;
	size_t n_params;
	const char *peer; /* NULL: ours; else the peer tool's name */

	/* Timed cases (pt_bench_measure): run or sample, not both. */
	int (*setup)(void *arg, const struct pt_bench_where *where);
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
	struct pt_bench_twin {
		const char *name;
		const char *unit;
		double scale;
	} twins[2];
};

struct pt_bench_suite {
	const char *name;
	const char *summary; /* one line, for --list */
	int (*run)(struct pt_bench_ctx *ctx);
	int (*peers)(struct pt_bench_ctx *ctx); /* optional */
	const char *peer_tools; /* for --list, e.g. "perf, hackbench" */
	double est_s[3];	/* rough seconds per profile, for the ETA */
	bool not_default;	/* run only when named on the command line */
	/* Run in the first round only, with every sample: for figures that
	 * depend on this process's state (which later rounds change) more
	 * than on the machine's speed (bench/rounds.c). */
	bool once;
};

/* The suites, in the order they run, ended by NULL (bench/suites.c). */
extern const struct pt_bench_suite *const pt_bench_suites[];
const struct pt_bench_suite *pt_bench_suite_find(const char *name);

/* --- for suites --------------------------------------------------------- */

/* Times a case and records it. Returns 0, or the -errno a callback
 * returned (already noted in the results). */
int pt_bench_measure(struct pt_bench_ctx *ctx, const struct pt_bench_case *c);

/* Records n >= 1 values measured by the suite itself, in c->unit. The
 * values are sorted in place. Returns 0 or -errno. */
int pt_bench_emit(struct pt_bench_ctx *ctx, const struct pt_bench_case *c,
		  double *values, size_t n);

/* Pins the calling thread as place says and fills *where; the previous
 * affinity comes back with pt_bench_unplace(). For suites and peers that
 * run something themselves (a child inherits the affinity). */
void pt_bench_place(struct pt_bench_ctx *ctx, enum pt_bench_place place,
		    struct pt_bench_where *where);
void pt_bench_unplace(struct pt_bench_ctx *ctx);

/* The median of the record the last successful pt_bench_measure() or
 * pt_bench_emit() added (not its twin); 0 before any. For suites that
 * report a figure relative to another, e.g. a ratio to a limit. */
double pt_bench_last_median(const struct pt_bench_ctx *ctx);

/* A one-line note: on stderr (unless --quiet) and in the results. */
void pt_bench_note(struct pt_bench_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Shows the case under way in the progress line. measure and emit call it;
 * suites call it before long set-ups. */
void pt_bench_progress(struct pt_bench_ctx *ctx, const char *what);

enum pt_bench_profile pt_bench_profile(const struct pt_bench_ctx *ctx);

/* The number of samples a case should have at least (--runs, or the
 * profile's), and the same for suites that repeat whole experiments
 * (memory, peers): fewer, since each repetition is long. */
unsigned pt_bench_runs(const struct pt_bench_ctx *ctx);
unsigned pt_bench_reps(const struct pt_bench_ctx *ctx);

/* Whether peers were asked for, and a CPU for side B exists. */
bool pt_bench_peers_enabled(const struct pt_bench_ctx *ctx);
bool pt_bench_has_two_cpus(const struct pt_bench_ctx *ctx);

/* --- helpers ------------------------------------------------------------ */

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t pt_bench_now_ns(void);

/* A pt_unit_opts.cpu_mask for side i of where: 0 (inherit) when it is not
 * pinned or its CPU is beyond 63. */
uint64_t pt_bench_cpu_mask(const struct pt_bench_where *where, int side);

/* Pins the calling thread to one CPU. Returns 0 or -errno. */
int pt_bench_pin_self(int cpu);

/* Keeps the compiler from dropping a computation whose result is unused. */
static inline void pt_bench_keep(const void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

#endif
