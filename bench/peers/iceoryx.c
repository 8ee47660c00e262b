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

static int one(struct pt_bench_ctx *ctx, const char *path, size_t size,
	       bool busy)
{
	const struct pt_bench_param params[] = {
		PT_BENCH_STR("transport", "iceoryx"),
		PT_BENCH_INT("size", size),
		PT_BENCH_STR("mode", "latency"),
		PT_BENCH_STR("wait", busy ? "spin" : "block"),
	};
	struct pt_bench_case c = {
		.name = "latency",
		.kind = PT_BENCH_PROCESS,
		.place = PT_BENCH_CROSS_CPU,
		.params = params,
		.n_params = 4,
		.peer = "iceoryx",
	};
	struct pt_bench_where where;
	char s[24], n[24], a[16], b[16];
	char *argv[] = { (char *)path, s, busy ? "busy" : "waitset", n, a, b,
			 NULL };

	pt_bench_place(ctx, PT_BENCH_CROSS_CPU, &where);
	pt_bench_unplace(ctx);
	snprintf(s, sizeof(s), "%zu", size);
	snprintf(n, sizeof(n), "%d",
		 size > 65536 ? ROUND_TRIPS_LARGE : ROUND_TRIPS_SMALL);
	snprintf(a, sizeof(a), "%d", where.cpu[0]);
	snprintf(b, sizeof(b), "%d", where.cpu[1]);
	return pt_peer_measure(ctx, &c, argv, 120000, pt_peer_parse_value,
			       NULL);
}

int pt_peer_iceoryx(struct pt_bench_ctx *ctx)
{
	static const size_t sizes[] = { 64, 1 << 20 };
	bool quick = pt_bench_profile(ctx) == PT_BENCH_QUICK;
	char dir[PATH_MAX], path[PATH_MAX + 32];
	int rc = 0;

	if (!pt_peer_tool_dir(dir, sizeof(dir)))
		return 0;
	snprintf(path, sizeof(path), "%spt-peer-iceoryx", dir);
	if (access(path, X_OK)) {
		pt_bench_note(ctx, "ipc: iceoryx peer not built (Debian: "
				   "iceoryx, libiceoryx-binding-c-dev from "
				   "'scripts/bootstrap.sh --optional')");
		return 0;
	}
	if (!pt_bench_has_two_cpus(ctx)) {
		pt_bench_note(ctx, "ipc: one usable CPU; iceoryx skipped");
		return 0;
	}
	for (size_t i = 0; i < (quick ? 1u : 2u); i++)
		for (int busy = 1; busy >= 0; busy--)
			if (one(ctx, path, sizes[i], busy))
				rc = -1;
	return rc;
}
