/* perf_pipe.c - `perf bench sched pipe`, the reference for pipe
 * ping-pong: two processes (or with -T two threads) pass a 4-byte token
 * over two pipes; it prints microseconds per round trip, a wall-clock
 * mean over the run. It stands beside our switch/token-pass case with
 * transport pipe and no working set, on one CPU like ours, and its figure
 * is the CPU time per round trip (see parse_cpu), which a busy machine
 * does not inflate. Also calls hackbench's runner: the switch suite's
 * peers are both. */
#include "bench/peers/peers.h"

#include <stdio.h>
#include <stdlib.h>

/* Loops per run, by profile (quick, default, full). */
static unsigned loops_for(const struct bench_ctx *ctx)
{
	static const unsigned loops[] = { 20000, 50000, 200000 };

	return loops[bench_profile(ctx)];
}

struct perf_run {
	unsigned loops;
	uint64_t base_cpu_ns; /* CPU time of a run of one loop */
};

/* The CPU time both sides used per round trip, less what a run of one loop
 * costs (perf starting, forking its worker). On one CPU one side always
 * runs, so on an idle machine this equals the wall time perf prints as
 * "usecs/op"; on a busy one it leaves out the time other work took, as
 * the median of our own samples does. The printed figure must be there,
 * as proof the run was complete. */
static bool parse_cpu(const char *out, uint64_t cpu_ns, void *arg,
		      double *value)
{
	const struct perf_run *run = arg;
	double us;

	if (!peer_number_before(out, "usecs/op", &us) || us <= 0 ||
	    cpu_ns <= run->base_cpu_ns)
		return false;
	*value = (double)(cpu_ns - run->base_cpu_ns) / run->loops;
	return true;
}

static int perf_pipe(struct bench_ctx *ctx, bool threads)
{
	static const struct bench_param params[] = {
		BENCH_STR("transport", "pipe"),
		BENCH_INT("working_set", 0),
	};
	struct bench_case c = {
		.name = "token-pass",
		.kind = threads ? BENCH_THREAD : BENCH_PROCESS,
		.place = BENCH_SAME_CPU,
		BENCH_PARAMS(params),
		.peer = "perf bench",
	};
	struct perf_run run = { .loops = loops_for(ctx) };
	char loops[16];
	char *argv[] = { "perf",
			 "bench",
			 "sched",
			 "pipe",
			 "-l",
			 loops,
			 threads ? "-T" : NULL,
			 NULL };

	snprintf(loops, sizeof(loops), "1");
	run.base_cpu_ns = peer_baseline_cpu_ns(ctx, c.place, argv, 60000);
	snprintf(loops, sizeof(loops), "%u", run.loops);
	return peer_measure(ctx, &c, argv, 60000, parse_cpu, &run);
}

int bench_switch_peers(struct bench_ctx *ctx)
{
	int rc = 0;

	if (!peer_found("perf")) {
		bench_note(ctx, "peer perf not installed (Debian: "
				"linux-perf); perf bench sched pipe skipped");
	} else {
		rc |= perf_pipe(ctx, false);
		rc |= perf_pipe(ctx, true);
	}
	rc |= peer_hackbench(ctx);
	return rc ? -1 : 0;
}
