/* hackbench.c - hackbench from rt-tests: groups of 20 senders and 20
 * receivers exchange 100-byte messages over sockets, as processes or (-T)
 * threads; it prints the total time. Recorded as ns per message delivered
 * (groups x 20 senders x loops x 20 receivers messages), unpinned like the
 * tool is normally run. We have no case of our own that matches it: it is
 * a peer-only row whose thread/process ratio is the point. */
#include "bench/peers/peers.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#define GROUPS 2
#define FDS    20

static unsigned loops_for(const struct pt_bench_ctx *ctx)
{
	switch (pt_bench_profile(ctx)) {
	case PT_BENCH_QUICK:
		return 100;
	case PT_BENCH_DEFAULT:
		return 300;
	case PT_BENCH_FULL:
		break;
	}
	return 1000;
}

static int hackbench(struct pt_bench_ctx *ctx, bool threads)
{
	static const struct pt_bench_param params[] = {
		PT_BENCH_INT("groups", GROUPS),
		PT_BENCH_INT("fds", FDS),
		PT_BENCH_STR("transport", "socket"),
	};
	struct pt_bench_case c = {
		.name = "hackbench",
		.kind = threads ? PT_BENCH_THREAD : PT_BENCH_PROCESS,
		.place = PT_BENCH_ANY,
		.params = params,
		.n_params = 3,
		.peer = "hackbench",
	};
	unsigned loops = loops_for(ctx), reps = pt_bench_reps(ctx);
	double messages = (double)GROUPS * FDS * FDS * loops;
	char l[16], g[16], f[16];
	char *argv[] = { "hackbench",		"-g", g, "-f", f, "-l", l,
			 threads ? "-T" : NULL, NULL };
	struct pt_bench_where where;
	double values[64];
	int rc = 0;

	snprintf(l, sizeof(l), "%u", loops);
	snprintf(g, sizeof(g), "%d", GROUPS);
	snprintf(f, sizeof(f), "%d", FDS);
	if (reps > 64)
		reps = 64;
	pt_bench_progress(ctx, threads ? "hackbench -T" : "hackbench");
	pt_bench_place(ctx, c.place, &where);
	for (unsigned r = 0; r < reps && !rc; r++) {
		char *out = NULL;
		double s;

		rc = pt_peer_run(argv, 120000, &out);
		if (!rc && !pt_peer_number_after(out, "Time:", &s))
			rc = -EBADMSG;
		if (rc)
			pt_peer_failed(ctx, "hackbench", rc, out);
		else
			values[r] = s * 1e9 / messages;
		free(out);
	}
	pt_bench_unplace(ctx);
	return rc ? rc : pt_bench_emit(ctx, &c, values, reps);
}

int pt_peer_hackbench(struct pt_bench_ctx *ctx)
{
	int rc;

	if (!pt_peer_found("hackbench")) {
		pt_bench_note(ctx, "peer hackbench not installed (Debian: "
				   "rt-tests); skipped");
		return 0;
	}
	rc = hackbench(ctx, false);
	rc |= hackbench(ctx, true);
	return rc ? -1 : 0;
}
