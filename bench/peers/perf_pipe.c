/* perf_pipe.c - `perf bench sched pipe`, the reference for pipe
 * ping-pong: two processes (or with -T two threads) pass a 4-byte token
 * over two pipes; it prints microseconds per round trip. It stands beside
 * our switch/token-pass case with transport pipe and no working set, run
 * on one CPU like ours. Also calls hackbench's runner: the switch suite's
 * peers are both. */
#include "bench/peers/peers.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

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
	unsigned reps = pt_bench_reps(ctx);
	double values[64];
	char loops[16];
	char *argv[] = { "perf",
			 "bench",
			 "sched",
			 "pipe",
			 "-l",
			 loops,
			 threads ? "-T" : NULL,
			 NULL };
	struct pt_bench_where where;
	int rc = 0;

	snprintf(loops, sizeof(loops), "%u", loops_for(ctx));
	if (reps > 64)
		reps = 64;
	pt_bench_progress(ctx, threads ? "perf bench sched pipe -T"
				       : "perf bench sched pipe");
	pt_bench_place(ctx, c.place, &where);
	for (unsigned r = 0; r < reps && !rc; r++) {
		char *out = NULL;
		double us;

		rc = pt_peer_run(argv, 60000, &out);
		if (!rc && !pt_peer_number_before(out, "usecs/op", &us))
			rc = -EBADMSG;
		if (rc)
			pt_peer_failed(ctx, "perf bench sched pipe", rc, out);
		else
			values[r] = us * 1000;
		free(out);
	}
	pt_bench_unplace(ctx);
	return rc ? rc : pt_bench_emit(ctx, &c, values, reps);
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
