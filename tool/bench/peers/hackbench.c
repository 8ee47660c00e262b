/* hackbench.c - hackbench from rt-tests: groups of 20 senders and 20
 * receivers exchange 100-byte messages over sockets, as processes or (-T)
 * threads; it prints the total time. Recorded as ns per message delivered
 * (groups x 20 senders x loops x 20 receivers messages), unpinned like the
 * tool is normally run. We have no case of our own that matches it: it is
 * a peer-only row whose thread/process ratio is the point. */
#include "bench/peers/peers.h"

#include <stdio.h>

#define GROUPS 2
#define FDS    20

/* Loops per run, by profile (quick, default, full). */
static unsigned loops_for(const struct bench_ctx *ctx)
{
	static const unsigned loops[] = { 100, 300, 1000 };

	return loops[bench_profile(ctx)];
}

/* "Time: 0.678": seconds for all messages, to ns per message. */
static bool parse_time(const char *out, uint64_t cpu_ns, void *arg,
		       double *value)
{
	double s, messages = *(const double *)arg;

	(void)cpu_ns; /* unpinned: the wall clock is the figure */

	if (!peer_number_after(out, "Time:", &s) || s <= 0)
		return false;
	*value = s * 1e9 / messages;
	return true;
}

/* As processes, then (-T) as threads: the same groups, loops and
 * messages. */
int peer_hackbench(struct bench_ctx *ctx)
{
	static const struct bench_param params[] = {
		BENCH_INT("groups", GROUPS),
		BENCH_INT("fds", FDS),
		BENCH_STR("transport", "socket"),
	};
	struct bench_case c = {
		.name = "hackbench",
		.place = BENCH_ANY,
		BENCH_PARAMS(params),
		.peer = "hackbench",
	};
	unsigned loops = loops_for(ctx);
	double messages = (double)GROUPS * FDS * FDS * loops;
	char l[16], g[16], f[16];
	char *argv[] = { "hackbench", "-g", g, "-f", f, "-l", l, NULL, NULL };
	int rc = 0;

	if (!peer_found("hackbench")) {
		bench_note(ctx, "peer hackbench not installed (Debian: "
				"rt-tests); skipped");
		return 0;
	}
	snprintf(l, sizeof(l), "%u", loops);
	snprintf(g, sizeof(g), "%d", GROUPS);
	snprintf(f, sizeof(f), "%d", FDS);
	for (int k = 0; k < 2; k++) {
		c.kind = k ? BENCH_THREAD : BENCH_PROCESS;
		argv[7] = k ? "-T" : NULL;
		if (peer_measure(ctx, &c, argv, 120000, parse_time, &messages))
			rc = -1;
	}
	return rc;
}
