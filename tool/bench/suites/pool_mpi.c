/* pool_mpi.c - the pool suite's cases on a pool of MPI ranks: what
 * a task costs when its worker is another program, on this host or
 * another, reached through MPI (bench/suites/mpi.h). Run by the pool suite,
 * under `mpirun --bind-to none -np 2 procthread bench pool` only.
 *
 * The cases and records are bench/suites/pool.c's "task-latency" (workload
 * empty, and payload of 64 B to 1 MiB echoed back) and "task-throughput"
 * (workload empty, bursts of 256), with the same parameters plus
 * transport "mpi"; kind process; workers is the number of serving ranks.
 * The pool of ranks polls (see procthread/mpi.h): its latency is bounded
 * below by how often its engine and ranks look, not by a wake-up.
 */
#include "bench/engine/bench.h"
#include "bench/workloads/tasks.h"
#include "bench/suites/mpi.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef PT_HAVE_MPI

#define BURST 256

struct rank_case {
	const char *workload;
	size_t size;
	unsigned burst;
	unsigned workers;
	pt_task_fn *fn;
	pt_pool *pool;
	unsigned char *buf;
	pt_future *f[BURST];
};

static int rank_setup(void *arg, const struct bench_where *where)
{
	struct rank_case *c = arg;
	size_t bytes = c->size > 64 ? c->size : 64;
	struct pt_result r;
	pt_future *f;
	int rc;

	(void)where;
	c->buf = calloc(1, bytes);
	if (!c->buf)
		return -ENOMEM;
	memset(c->buf, 0x5a, c->size);
	rc = bench_mpi_pool_create(bytes, &c->pool);
	if (rc)
		return rc;
	/* every rank reached once before the clock starts */
	rc = pt_pool_submit(c->pool, bench_task_empty, NULL, 0, &f);
	if (rc)
		return rc;
	rc = pt_future_wait(f, -1, &r);
	pt_future_destroy(f);
	return rc;
}

static void rank_teardown(void *arg)
{
	struct rank_case *c = arg;

	pt_pool_destroy(c->pool);
	free(c->buf);
	c->pool = NULL;
	c->buf = NULL;
}

static int burst(struct rank_case *c, unsigned k)
{
	struct pt_result r;
	unsigned sent = 0;
	int rc = 0;

	for (; sent < k && !rc; sent++)
		rc = pt_pool_submit(c->pool, c->fn, c->buf, c->size,
				    &c->f[sent]);
	if (rc)
		sent--;
	for (unsigned i = 0; i < sent; i++) {
		int w = pt_future_wait(c->f[i], -1, &r);

		if (!rc && (w || r.status != PT_TASK_OK || r.len != c->size))
			rc = w ? w : -EIO;
		pt_future_destroy(c->f[i]);
	}
	return rc;
}

static int run_calls(void *arg, uint64_t n)
{
	struct rank_case *c = arg;
	int rc = 0;

	for (uint64_t i = 0; i < n && !rc; i++)
		rc = burst(c, c->burst);
	return rc;
}

static int measure(struct bench_ctx *ctx, struct rank_case *rc,
		   const char *name, const char *mode)
{
	const struct bench_param params[] = {
		BENCH_STR("workload", rc->workload),
		BENCH_STR("mode", mode),
		BENCH_INT("workers", rc->workers),
		BENCH_INT("size", rc->size),
		BENCH_INT("task_ns", 0),
		BENCH_STR("transport", "mpi"),
	};
	bool throughput = rc->burst > 1;
	struct bench_case c = {
		.name = name,
		.kind = BENCH_PROCESS,
		.place = BENCH_ANY,
		.unit = throughput ? "tasks/s" : NULL,
		.params = params,
		.n_params = 6,
		.setup = rank_setup,
		.run = run_calls,
		.teardown = rank_teardown,
		.arg = rc,
		.ops_per_call = rc->burst,
	};
	char what[96];

	snprintf(what, sizeof(what), "pool %s %s mpi", name, rc->workload);
	bench_progress(ctx, what);
	return bench_measure(ctx, &c) ? -1 : 0;
}

int bench_pool_mpi_cases(struct bench_ctx *ctx)
{
	static const size_t payloads[] = { 64, 4096, 65536, 1 << 20 };
	int size = 0, rc = 0;
	unsigned workers;

	if (!bench_mpi_active())
		return 0;
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	workers = (unsigned)size - 1;
	{
		struct rank_case lat = { .workload = "empty",
					 .burst = 1,
					 .workers = workers,
					 .fn = bench_task_empty };
		struct rank_case thr = lat;

		thr.burst = BURST;
		if (measure(ctx, &lat, "task-latency", "latency") ||
		    measure(ctx, &thr, "task-throughput", "throughput"))
			rc = -1;
	}
	for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		struct rank_case pc = { .workload = "payload",
					.size = payloads[i],
					.burst = 1,
					.workers = workers,
					.fn = bench_task_echo };

		if (measure(ctx, &pc, "task-latency", "latency"))
			rc = -1;
	}
	return rc;
}

#else /* !PT_HAVE_MPI */

int bench_pool_mpi_cases(struct bench_ctx *ctx)
{
	(void)ctx;
	return 0;
}

#endif
