/* pool_startup.c - what starting a pool costs. The lifecycle sample of
 * the workers sweep (pool.c), and "worker-start": a pool of one process
 * worker made, against the memory its caller has touched (1, 16 and
 * 256 MiB in the quick profile; 1 MiB to 1 GiB by fours otherwise), its
 * worker forked
 * directly ("fork_via" direct) or by the fork-server (server).
 *
 * fork() copies the page tables of everything the caller touched, so a
 * worker forked directly costs more as the program grows; the fork-server
 * forks from its own small image, taken while the program was small, so
 * what a worker costs stays where it was. The direct sizes run first,
 * with no server; then the server starts (the memory of the direct sizes
 * unmapped again, so the server is small), and each size is touched anew
 * with it running. A server this suite did not start is left running and
 * the direct sizes are skipped: every worker would be its. A caller that
 * cannot start one (it has threads: mpirun's) measures the direct sizes
 * only, and says so. */
#include "bench/suites/pool.h"

#include "bench/workloads/tasks.h"

#include <procthread/error.h>
#include <procthread/forkserver.h>
#include <procthread/pool.h>

#include <sys/mman.h>

int bench_pool_lifecycle(enum pt_kind kind, unsigned workers, bool stop,
			 double *value)
{
	struct pt_pool_opts o = PT_POOL_OPTS(.kind = kind, .workers = workers,
					     .name = "pt-bench-pool");
	uint64_t t0 = bench_now_ns(), t1;
	struct pt_result r;
	pt_future *f;
	pt_pool *pool;
	int rc = pt_pool_create(&o, &pool);

	if (rc)
		return rc;
	t1 = bench_now_ns();
	if (stop) {
		rc = pt_pool_submit(pool, bench_task_empty, NULL, 0, &f);
		if (!rc) {
			rc = pt_future_wait(f, -1, &r);
			pt_future_destroy(f);
		}
		t0 = bench_now_ns();
	}
	pt_pool_destroy(pool);
	if (stop)
		t1 = bench_now_ns();
	*value = (double)(t1 - t0);
	return rc;
}

static int sample_worker_start(void *arg, double *value)
{
	(void)arg;
	return bench_pool_lifecycle(PT_KIND_PROCESS, 1, false, value);
}

/* One size, one way: the memory touched, the case measured, the memory
 * unmapped. Returns 0 or -1. */
static int start_at_size(struct bench_ctx *ctx, size_t mib, const char *via)
{
	size_t bytes = mib << 20;
	const struct bench_param params[] = {
		BENCH_STR("workload", "empty"), BENCH_STR("mode", "latency"),
		BENCH_INT("workers", 1),	BENCH_INT("touched", bytes),
		BENCH_STR("fork_via", via),
	};
	struct bench_case c = {
		.name = "worker-start",
		.kind = BENCH_PROCESS,
		.place = BENCH_ANY,
		BENCH_PARAMS(params),
		.sample = sample_worker_start,
	};
	void *mem;
	int rc;

	mem = bench_touch_memory(ctx, "pool", bytes);
	if (!mem)
		return -1;
	rc = bench_measure(ctx, &c);
	munmap(mem, bytes);
	return rc ? -1 : 0;
}

int bench_pool_start_by_size(struct bench_ctx *ctx)
{
	bool quick = bench_profile(ctx) == BENCH_QUICK;
	size_t max_mib = quick ? 256 : 1024, step = quick ? 16 : 4;
	bool ours = !pt_forkserver_running();
	int rc = 0, server;

	if (!ours)
		bench_note(ctx, "pool: a fork-server was running already: "
				"worker-start measured through it only");
	for (size_t mib = 1; ours && mib <= max_mib; mib *= step)
		rc |= start_at_size(ctx, mib, "direct");
	server = ours ? pt_forkserver_start() : 0;
	if (server) {
		/* A threaded caller (under mpirun, say) cannot start one:
		 * the direct sizes stand alone. */
		bench_note(ctx,
			   "pool: no fork-server (%s): worker-start measured "
			   "forked directly only",
			   pt_strerror(server));
		return rc ? -1 : 0;
	}
	for (size_t mib = 1; mib <= max_mib; mib *= step)
		rc |= start_at_size(ctx, mib, "server");
	if (ours)
		pt_forkserver_stop();
	return rc ? -1 : 0;
}
