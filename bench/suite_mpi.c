/* suite_mpi.c - the pool across ranks: what a task costs when its worker
 * is an MPI rank, beside a pool of threads and a pool of processes with as
 * many workers, under `mpirun --bind-to none -np 2 procthread bench mpi`
 * (bench/mpi.h; the ipc suite adds its "mpi" transport in the same run).
 *
 * A task here does nothing, so what is measured is the pool: "task-
 * latency" (ns) is one submit and its wait, alone in the pool;
 * "task-throughput" (tasks/s) is 256 tasks submitted, then all waited
 * for. Parameters: transport ("local" for the thread and process pools,
 * which pair in the table; "mpi" for the ranks), workers, task_ns (0).
 * Unpinned: the pools' workers go where the scheduler puts them.
 *
 * Outside mpirun, or built without MPI, the suite notes why and measures
 * nothing. It runs only when named (not_default).
 */
#include "bench/bench.h"
#include "bench/mpi.h"

#include <procthread/pool.h>

#include <errno.h>
#include <stdlib.h>

#define BURST 256

#ifdef PT_HAVE_MPI

struct pool_case {
	enum pt_kind kind;
	bool mpi;
	unsigned workers;
	pt_pool *pool;
	pt_mpi_pool *mpool;
};

static int empty(const void *arg, size_t len, struct pt_task_out *out)
{
	(void)arg;
	(void)len;
	out->len = 0;
	return 0;
}

static int pool_setup(void *arg, const struct pt_bench_where *where)
{
	struct pool_case *c = arg;
	struct pt_pool_opts o =
		PT_POOL_OPTS(.kind = c->kind, .workers = c->workers,
			     .max_arg_bytes = 64, .max_result_bytes = 64,
			     .name = "pt-bench-pool");

	(void)where;
	if (c->mpi)
		return pt_bench_mpi_pool_create(&c->mpool);
	return pt_pool_create(&o, &c->pool);
}

static void pool_teardown(void *arg)
{
	struct pool_case *c = arg;

	pt_mpi_pool_destroy(c->mpool);
	pt_pool_destroy(c->pool);
	c->mpool = NULL;
	c->pool = NULL;
}

/* Submits n tasks, then waits for each: one call's work. */
static int burst(struct pool_case *c, uint64_t n)
{
	pt_mpi_future *mf[BURST];
	pt_future *f[BURST];
	struct pt_result res;
	uint64_t sent = 0;
	int rc = 0;

	for (; sent < n && !rc; sent++)
		rc = c->mpi ? pt_mpi_pool_submit(c->mpool,
						 pt_bench_mpi_empty_task, NULL,
						 0, &mf[sent])
			    : pt_pool_submit(c->pool, empty, NULL, 0, &f[sent]);
	if (rc)
		sent--; /* the last submit made nothing */
	for (uint64_t i = 0; i < sent; i++) {
		int w = c->mpi ? pt_mpi_future_wait(mf[i], -1, &res)
			       : pt_future_wait(f[i], -1, &res);

		if (!rc && (w || res.status != PT_TASK_OK))
			rc = w ? w : -EIO;
		if (c->mpi)
			pt_mpi_future_destroy(mf[i]);
		else
			pt_future_destroy(f[i]);
	}
	return rc;
}

static int run_latency(void *arg, uint64_t n)
{
	int rc = 0;

	for (uint64_t i = 0; i < n && !rc; i++)
		rc = burst(arg, 1);
	return rc;
}

static int run_throughput(void *arg, uint64_t n)
{
	int rc = 0;

	for (uint64_t i = 0; i < n && !rc; i++)
		rc = burst(arg, BURST);
	return rc;
}

static int one_case(struct pt_bench_ctx *ctx, struct pool_case *pc,
		    bool latency)
{
	const struct pt_bench_param params[] = {
		PT_BENCH_STR("transport", pc->mpi ? "mpi" : "local"),
		PT_BENCH_INT("workers", pc->workers),
		PT_BENCH_INT("task_ns", 0),
	};
	struct pt_bench_case c = {
		.name = latency ? "task-latency" : "task-throughput",
		.kind = pc->kind == PT_THREAD ? PT_BENCH_THREAD
					      : PT_BENCH_PROCESS,
		.place = PT_BENCH_ANY,
		.unit = latency ? NULL : "tasks/s",
		.params = params,
		.n_params = 3,
		.setup = pool_setup,
		.run = latency ? run_latency : run_throughput,
		.teardown = pool_teardown,
		.arg = pc,
		.ops_per_call = latency ? 1 : BURST,
	};

	return pt_bench_measure(ctx, &c) ? -1 : 0;
}

static int mpi_run(struct pt_bench_ctx *ctx)
{
	const char *why = pt_bench_mpi_why_not();
	int size = 0, rc = 0;

	if (why) {
		pt_bench_note(ctx, "mpi: %s", why);
		return 0;
	}
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	for (int latency = 1; latency >= 0; latency--) {
		struct pool_case cases[] = {
			{ .kind = PT_THREAD, .workers = (unsigned)size - 1 },
			{ .kind = PT_PROCESS, .workers = (unsigned)size - 1 },
			{ .kind = PT_PROCESS,
			  .mpi = true,
			  .workers = (unsigned)size - 1 },
		};

		for (size_t k = 0; k < 3; k++)
			if (one_case(ctx, &cases[k], latency))
				rc = -1;
	}
	return rc;
}

#else /* !PT_HAVE_MPI */

static int mpi_run(struct pt_bench_ctx *ctx)
{
	pt_bench_note(ctx, "mpi: %s", pt_bench_mpi_why_not());
	return 0;
}

#endif

const struct pt_bench_suite pt_bench_suite_mpi = {
	.name = "mpi",
	.summary = "a pool of MPI ranks against pools of threads and of "
		   "processes (under mpirun; see bench/mpi.h)",
	.run = mpi_run,
	.est_s = { 5, 20, 60 },
	.not_default = true,
};
