/* perf_pipe.c - `perf bench sched pipe`, the reference for pipe
 * ping-pong: two processes (or with -T two threads) pass a 4-byte token
 * over two pipes; it prints microseconds per round trip. It stands beside
 * our switch/token-pass case with transport pipe and no working set, run
 * on one CPU like ours. Also calls hackbench's runner: the switch suite's
 * peers are both. */
#include "bench/peers/peers.h"

#include <stdio.h>

static unsigned loops_for(const struct pt_bench_ctx *ctx)
{
	switch (pt_bench_profile(ctx)) {
	case PT_BENCH_QUICK:
		return 20000;
	case PT_BENCH_DEFAULT:
		return 50000;
	case PT_BENCH_FULL:
		break;
	}
	return 200000;
}

/* "      13.317600 usecs/op": microseconds per round trip, to ns. */
static bool parse_usecs(const char *out, void *arg, double *value)
{
	double us;

	(void)arg;
	if (!pt_peer_number_before(out, "usecs/op", &us) || us <= 0)
		return false;
	*value = us * 1000;
	return true;
}

static int perf_pipe(struct pt_bench_ctx *ctx, bool threads)
{
	static const struct pt_bench_param params[] = {
		PT_BENCH_STR("transport", "pipe"),
		PT_BENCH_INT("working_set", 0),
	};
	struct pt_bench_case c = {
		.name = "token-pass",
		.kind = threads ? PT_BENCH_THREAD : PT_BENCH_PROCESS,
		.place = PT_BENCH_SAME_CPU,
		.params = params,
		.n_params = 2,
		.peer = "perf bench",
	};
	char loops[16];
	char *argv[] = { "perf",
			 "bench",
			 "sched",
			 "pipe",
			 "-l",
			 loops,
			 threads ? "-T" : NULL,
			 NULL };

	snprintf(loops, sizeof(loops), "%u", loops_for(ctx));
	return pt_peer_measure(ctx, &c, argv, 60000, parse_usecs, NULL);
}

int pt_bench_switch_peers(struct pt_bench_ctx *ctx)
{
	int rc = 0;

	if (!pt_peer_found("perf")) {
		pt_bench_note(ctx,
			      "peer perf not installed (Debian: "
			      "linux-perf); perf bench sched pipe skipped");
	} else {
		rc |= perf_pipe(ctx, false);
		rc |= perf_pipe(ctx, true);
	}
	rc |= pt_peer_hackbench(ctx);
	return rc ? -1 : 0;
}
