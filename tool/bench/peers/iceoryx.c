/* iceoryx.c - Eclipse iceoryx beside the ipc suite: the round trip
 * between two processes over iceoryx's publisher/subscriber, busy-waiting
 * (beside our wait=spin) and in a wait set (beside wait=block), at 64
 * bytes and, outside the quick profile, 1 MiB.
 *
 * The measuring program is pt-peer-iceoryx (bench/peers/iceoryx/), built
 * next to the tool where iceoryx's C binding was found (Debian: iceoryx
 * and libiceoryx-binding-c-dev, from `scripts/bootstrap.sh --optional`);
 * it starts and stops a RouDi of its own for each run, on the case's two
 * CPUs. Records: name "latency", kind process, peer "iceoryx", params
 * transport=iceoryx, size, mode=latency, wait spin or block - rows of
 * their own beside the ring's.
 */
#include "bench/peers/peers.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define ROUND_TRIPS_SMALL 20000
#define ROUND_TRIPS_LARGE 500

static int one(struct bench_ctx *ctx, const char *path, size_t size, bool busy)
{
	const struct bench_param params[] = {
		BENCH_STR("transport", "iceoryx"),
		BENCH_INT("size", size),
		BENCH_STR("mode", "latency"),
		BENCH_STR("wait", busy ? "spin" : "block"),
	};
	struct bench_case c = {
		.name = "latency",
		.kind = BENCH_PROCESS,
		.place = BENCH_CROSS_CPU,
		BENCH_PARAMS(params),
		.peer = "iceoryx",
	};
	struct bench_where where;
	char s[24], n[24], a[16], b[16];
	char *argv[] = { (char *)path, s, busy ? "busy" : "waitset", n, a, b,
			 NULL };

	bench_place(ctx, BENCH_CROSS_CPU, &where);
	bench_unplace(ctx);
	snprintf(s, sizeof(s), "%zu", size);
	snprintf(n, sizeof(n), "%d",
		 size > 65536 ? ROUND_TRIPS_LARGE : ROUND_TRIPS_SMALL);
	snprintf(a, sizeof(a), "%d", where.cpu[0]);
	snprintf(b, sizeof(b), "%d", where.cpu[1]);
	return peer_measure(ctx, &c, argv, 120000, peer_parse_value, NULL);
}

int peer_iceoryx(struct bench_ctx *ctx)
{
	static const size_t sizes[] = { 64, 1 << 20 };
	bool quick = bench_profile(ctx) == BENCH_QUICK;
	char dir[PATH_MAX], path[PATH_MAX + 32];
	int rc = 0;

	if (!peer_tool_dir(dir, sizeof(dir)))
		return 0;
	if (!peer_program(ctx, dir, "pt-peer-iceoryx", path, sizeof(path),
			  "ipc: iceoryx peer not built (Debian: iceoryx, "
			  "libiceoryx-binding-c-dev from "
			  "'scripts/bootstrap.sh --optional')"))
		return 0;
	if (!bench_has_two_cpus(ctx)) {
		bench_note(ctx, "ipc: one usable CPU; iceoryx skipped");
		return 0;
	}
	for (size_t i = 0; i < (quick ? 1u : 2u); i++)
		for (int busy = 1; busy >= 0; busy--)
			if (one(ctx, path, sizes[i], busy))
				rc = -1;
	return rc;
}
