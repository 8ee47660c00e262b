/* pool.c - the pool claim: what a task costs on a pool of threads
 * versus a pool of processes, and from what task size on the difference
 * stops mattering.
 *
 * Every case runs the same task bodies on a pt_pool of each kind, as many
 * workers as online CPUs unless said otherwise, unpinned (the workers go
 * where the scheduler puts them):
 * - "task-latency" (ns): one submit and its wait, alone in the pool;
 *   workload "empty" (no argument, no result) and "payload" (an argument
 *   of `size` bytes, echoed back as the result). Payload rows carry api:
 *   "copy" is pt_pool_submit() (the argument copied in, the result copied
 *   out: both copies included), "zero-copy" (1 MiB only) is
 *   pt_pool_reserve() and pt_pool_submit_reserved(): the argument is made
 *   in place (its first 64 bytes written per task; the copy row's argument
 *   is made once, outside the clock, as well) and the result read where
 *   the worker wrote it. The echo points its result at its argument
 *   (pool.h allows it), so it copies nothing itself, as Python's echo
 *   returns the object it was given;
 * - "task-throughput" (tasks/s): a burst submitted, then every future
 *   waited for; workload "empty", and "cpu" with tasks that spin for
 *   task_ns (1 us to 10 ms). Where the process pool's cpu throughput
 *   reaches 90% of the thread pool's, its extra cost stops mattering: that
 *   task_ns, the break-even task size, is given in a note (it is derived
 *   from two medians, not measured, so it is not a record);
 * - "recycle" (ns per task): max_tasks_per_worker = 1, so every task gets
 *   a fresh worker - a thread, or a process from the fork-server when one
 *   runs and from fork() otherwise;
 * - "restart" (ns, processes only: a thread pool does not outlive a
 *   crash): one worker; a task aborts, and the time runs from its start
 *   until the next task starts on the replacement worker - started then
 *   (spares=0), or a spare kept ready (spares=1, which is ready again
 *   before the next crash) - its workers forked directly or by a
 *   fork-server (fork_via); beside them, what a crash cost before workers
 *   reported their own (transport "limit-death", pool_limits.c): a
 *   child's death, from its last word until its parent's pidfd says so.
 * - "worker-start" (ns, processes, pool_startup.c): a pool of one
 *   process worker made, against the memory the caller touched, its
 *   worker forked directly or by a fork-server started while the caller
 *   was small.
 * - "deflate" (bytes/s, workload "deflate"): a text-like corpus (4 MiB
 *   in the quick profile, 64 MiB otherwise) compressed in 128 KiB chunks
 *   with zlib at level 6, one task per chunk, through each kind's pool, its
 *   output checked by inflating it back (bench/workloads/deflate.c); pigz
 *   compresses the same bytes beside it (bench/peers/pool.c).
 * - the workers sweep (1, 8 and 64 in the quick profile; 1, 2, 8, 64, 256
 *   otherwise): "task-throughput" of empty tasks, "pool-start" (ns,
 *   pt_pool_create() until it returns with every worker spawned) and
 *   "pool-stop" (ns, pt_pool_destroy() of a pool that ran a task), so the
 *   report shows how each grows with the workers.
 * Parameters: workload, mode (latency/throughput), workers, size (bytes),
 * task_ns, and api (copy/zero-copy) on payload rows.
 *
 * Under mpirun, the empty and payload cases also run on a pool of MPI
 * ranks, params.transport "mpi" (rank_cases()).
 *
 * Peers (bench/peers/pool.c): GLib's GThreadPool beside the thread pool,
 * Python's ThreadPoolExecutor and ProcessPoolExecutor beside ours, on the
 * empty and payload workloads.
 */
#include "bench/engine/bench.h"
#include "bench/suites/pool.h"
#include "bench/workloads/deflate.h"
#include "bench/workloads/tasks.h"
#include "bench/suites/mpi.h"
#include "bench/peers/peers.h"

#include <procthread/error.h>
#include <procthread/forkserver.h>
#include <procthread/pool.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BURST_MAX 256

struct pool_case {
	const char *workload;
	enum pt_kind kind;
	unsigned workers;
	size_t size;
	uint64_t task_ns;
	uint32_t max_tasks;
	unsigned burst;	     /* tasks per call of run */
	size_t result_bytes; /* the pool's max_result_bytes; 0: as size */
	size_t corpus_len;   /* deflate: the bytes compressed per run */
	bool checked;	     /* deflate: the first run's output checked */
	const char *api;     /* payload: "copy" or "zero-copy"; NULL: none */
	bool in_place;	     /* api "zero-copy": pt_pool_reserve() */
	bool ranks;	     /* a pool of MPI ranks (bench/suites/mpi.h) */
	/* restart: the pool's opts.spares, a parameter of the case, and
	 * how its workers are forked: "direct" or "server". */
	bool with_spares;
	unsigned spares;
	const char *fork_via;
	pt_task_fn *fn;
	pt_pool *pool;
	unsigned char *buf;
	pt_future *f[BURST_MAX];
};

/* --- task bodies: the same for both kinds ----------------------------------
 */

static int spin_task(const void *arg, size_t len, struct pt_task_out *out)
{
	uint64_t ns, end;
	volatile uint64_t x = 0;

	if (len != sizeof(ns))
		return -EINVAL;
	memcpy(&ns, arg, sizeof(ns));
	end = bench_now_ns() + ns;
	while (bench_now_ns() < end)
		for (int i = 0; i < 64; i++)
			x += (uint64_t)i;
	(void)x; /* read once: clang calls a variable only written unused */
	out->len = 0;
	return 0;
}

static int crash_task(const void *arg, size_t len, struct pt_task_out *out)
{
	(void)arg;
	(void)len;
	(void)out;
	abort();
}

/* --- cases -------------------------------------------------------------------
 */

static int pool_setup(void *arg, const struct bench_where *where)
{
	struct pool_case *c = arg;
	size_t bytes = c->size > 64 ? c->size : 64;
	struct pt_pool_opts o =
		PT_POOL_OPTS(.kind = c->kind, .workers = c->workers,
			     .queue_capacity = BURST_MAX * 2,
			     .max_arg_bytes = bytes,
			     .max_result_bytes = c->result_bytes > bytes
							 ? c->result_bytes
							 : bytes,
			     .max_tasks_per_worker = c->max_tasks,
			     .spares = c->spares, .name = "pt-bench-pool");
	struct pt_result r;
	pt_future *f;
	int rc;

	(void)where;
	c->buf = calloc(1, bytes);
	if (!c->buf)
		return -ENOMEM;
	memset(c->buf, 0x5a, c->size);
	if (c->task_ns)
		memcpy(c->buf, &c->task_ns, sizeof(c->task_ns));
	rc = c->ranks ? bench_mpi_pool_create(bytes, &c->pool)
		      : pt_pool_create(&o, &c->pool);
	if (rc)
		return rc;
	/* Every worker, and spare, up before the clock starts. */
	rc = pt_pool_submit(c->pool, bench_task_empty, NULL, 0, &f);
	if (rc)
		return rc;
	rc = pt_future_wait(f, -1, &r);
	pt_future_destroy(f);
	return rc ? rc : pt_pool_await_spares(c->pool, 10000);
}

static void pool_teardown(void *arg)
{
	struct pool_case *c = arg;

	pt_pool_destroy(c->pool);
	free(c->buf);
	c->pool = NULL;
	c->buf = NULL;
}

static size_t arg_len(const struct pool_case *c)
{
	return c->task_ns ? sizeof(c->task_ns) : c->size;
}

/* Reserves room for the argument in the pool, makes it there (its first
 * 64 bytes: the rest stays from the slot's last task, as the copy case's
 * buffer stays from setup) and submits the task. */
static int submit_in_place(struct pool_case *c, pt_future **out)
{
	size_t len = arg_len(c);
	void *arg;
	int rc = pt_pool_reserve(c->pool, len, &arg, out);

	if (rc)
		return rc;
	memcpy(arg, c->buf, len < 64 ? len : 64);
	rc = pt_pool_submit_reserved(*out, c->fn);
	if (rc)
		pt_future_destroy(*out);
	return rc;
}

/* Submits k tasks, then waits for each. */
static int burst(struct pool_case *c, unsigned k)
{
	struct pt_result r;
	unsigned sent = 0;
	int rc = 0;

	for (; sent < k && !rc; sent++)
		rc = c->in_place ? submit_in_place(c, &c->f[sent])
				 : pt_pool_submit(c->pool, c->fn, c->buf,
						  arg_len(c), &c->f[sent]);
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

static int run_latency(void *arg, uint64_t n)
{
	int rc = 0;

	for (uint64_t i = 0; i < n && !rc; i++)
		rc = burst(arg, 1);
	return rc;
}

static int run_throughput(void *arg, uint64_t n)
{
	struct pool_case *c = arg;
	int rc = 0;

	for (uint64_t i = 0; i < n && !rc; i++)
		rc = burst(c, c->burst);
	return rc;
}

/* Compresses the corpus once (n is 1: max_batch); the first run checks
 * that every result inflates back to its chunk. */
static int run_deflate(void *arg, uint64_t n)
{
	struct pool_case *c = arg;
	int rc = 0;

	for (uint64_t i = 0; i < n && !rc; i++) {
		rc = bench_deflate_run(c->pool, c->corpus_len, !c->checked);
		c->checked = true;
	}
	return rc;
}

/* One crash and the next task: from the crash's start to the next
 * task's start, on a pool of one worker. */
static int sample_restart(void *arg, double *value)
{
	struct pool_case *c = arg;
	struct pt_result crashed, next;
	pt_future *f;
	int rc;

	rc = pt_pool_submit(c->pool, crash_task, NULL, 0, &f);
	if (rc)
		return rc;
	rc = pt_future_wait(f, -1, &crashed);
	pt_future_destroy(f);
	if (rc || crashed.status != PT_TASK_CRASHED)
		return rc ? rc : -EIO;
	rc = pt_pool_submit(c->pool, bench_task_empty, NULL, 0, &f);
	if (rc)
		return rc;
	rc = pt_future_wait(f, -1, &next);
	pt_future_destroy(f);
	if (rc || next.status != PT_TASK_OK)
		return rc ? rc : -EIO;
	*value = (double)(next.started_ns - crashed.started_ns);
	/* A crash finds its spare ready, as it does when crashes are
	 * rarer than a worker's start-up (untimed: the value is taken). */
	return pt_pool_await_spares(c->pool, 10000);
}

static int sample_start(void *arg, double *value)
{
	const struct pool_case *c = arg;

	return bench_pool_lifecycle(c->kind, c->workers, false, value);
}

static int sample_stop(void *arg, double *value)
{
	const struct pool_case *c = arg;

	return bench_pool_lifecycle(c->kind, c->workers, true, value);
}

static const char *kind_label(const struct pool_case *pc)
{
	return pc->ranks		    ? "mpi"
	       : pc->kind == PT_KIND_THREAD ? "thread"
					    : "process";
}

/* The case's parameters into params: the five every case has, then a
 * payload row's api or a pool of ranks' transport, and a restart's
 * spares. Returns how many. */
static unsigned case_params(const struct pool_case *pc, const char *mode,
			    struct bench_param params[static 8])
{
	unsigned n = 0;

	params[n++] = (struct bench_param)BENCH_STR("workload", pc->workload);
	params[n++] = (struct bench_param)BENCH_STR("mode", mode);
	params[n++] = (struct bench_param)BENCH_INT("workers", pc->workers);
	params[n++] = (struct bench_param)BENCH_INT("size", pc->size);
	params[n++] = (struct bench_param)BENCH_INT("task_ns", pc->task_ns);
	if (pc->ranks)
		params[n++] = (struct bench_param)BENCH_STR("transport", "mpi");
	else if (pc->api)
		params[n++] = (struct bench_param)BENCH_STR("api", pc->api);
	if (pc->with_spares)
		params[n++] =
			(struct bench_param)BENCH_INT("spares", pc->spares);
	if (pc->fork_via)
		params[n++] =
			(struct bench_param)BENCH_STR("fork_via", pc->fork_via);
	return n;
}

static int measure(struct bench_ctx *ctx, struct pool_case *pc,
		   const char *name, const char *mode)
{
	struct bench_param params[8];
	bool throughput = !strcmp(mode, "throughput");
	bool restart = !strcmp(name, "restart");
	bool deflate = !strcmp(name, "deflate");
	bool start = !strcmp(name, "pool-start");
	bool stop = !strcmp(name, "pool-stop");
	struct bench_case c = {
		.name = name,
		.kind = pc->kind == PT_KIND_THREAD && !pc->ranks
				? BENCH_THREAD
				: BENCH_PROCESS,
		.place = BENCH_ANY,
		.unit = throughput ? "tasks/s" : NULL,
		.params = params,
		.n_params = case_params(pc, mode, params),
		.setup = pool_setup,
		.teardown = pool_teardown,
		.arg = pc,
		.ops_per_call = throughput ? pc->burst : 1,
	};
	char what[96];

	if (restart) {
		c.sample = sample_restart;
	} else if (start || stop) {
		c.sample = start ? sample_start : sample_stop;
		c.setup = NULL; /* each sample makes its own pool */
		c.teardown = NULL;
	} else if (deflate) {
		c.unit = "B/s";
		c.run = run_deflate;
		c.ops_per_call = (unsigned)pc->corpus_len;
		c.max_batch = 1;
	} else {
		c.run = throughput ? run_throughput : run_latency;
	}
	snprintf(what, sizeof(what), "pool %s %s%s%s %s", name, pc->workload,
		 pc->api ? " " : "", pc->api ? pc->api : "", kind_label(pc));
	bench_progress(ctx, what);
	return bench_measure(ctx, &c);
}

/* restart, without and with a spare, its workers forked directly and by a
 * fork-server: a worker forked directly shares the pool process's pages
 * until either writes them, so after each fork the pool's threads pay a
 * copy for each page they touch first (the first task on a fresh worker
 * started 150 us later than the next on the development VM); one forked
 * by the server shares the server's small image instead. */
static int restart_cases(struct bench_ctx *ctx)
{
	static const char *const via[] = { "direct", "server" };
	bool ours = !pt_forkserver_running();
	int rc = 0;

	if (!ours)
		bench_note(ctx, "pool: a fork-server was running already: "
				"restart measured through it only");
	for (int v = ours ? 0 : 1; v < 2; v++) {
		if (v == 1 && ours) {
			int err = pt_forkserver_start();

			if (err) {
				bench_note(ctx,
					   "pool: no fork-server (%s): restart "
					   "measured forked directly only",
					   pt_strerror(err));
				break;
			}
		}
		for (unsigned spares = 0; spares < 2; spares++) {
			struct pool_case pc = { .workload = "crash",
						.kind = PT_KIND_PROCESS,
						.workers = 1,
						.with_spares = true,
						.spares = spares,
						.fork_via = via[v],
						.fn = bench_task_empty };

			if (measure(ctx, &pc, "restart", "latency"))
				rc = -1;
		}
	}
	if (ours && pt_forkserver_running())
		pt_forkserver_stop();
	return rc;
}

static unsigned online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned)n : 1;
}

/* Tasks per burst for cpu tasks: about 20 ms of work per worker, at least
 * 4 tasks and at most BURST_MAX. */
static unsigned cpu_burst(uint64_t task_ns, unsigned workers)
{
	uint64_t k = 20000000u / task_ns * workers;

	return k < 4 ? 4 : k > BURST_MAX ? BURST_MAX : (unsigned)k;
}

static int cpu_cases(struct bench_ctx *ctx, unsigned workers)
{
	static const uint64_t all[] = { 1000, 10000, 100000, 1000000,
					10000000 };
	static const uint64_t quick[] = { 1000, 100000, 10000000 };
	bool q = bench_profile(ctx) == BENCH_QUICK;
	const uint64_t *sizes = q ? quick : all;
	size_t n = q ? 3 : 5;
	uint64_t break_even = 0;
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		double rate[2] = { 0, 0 };

		for (int k = 0; k < 2; k++) {
			struct pool_case pc = {
				.workload = "cpu",
				.kind = k ? PT_KIND_PROCESS : PT_KIND_THREAD,
				.workers = workers,
				.task_ns = sizes[i],
				.burst = cpu_burst(sizes[i], workers),
				.fn = spin_task,
			};

			if (measure(ctx, &pc, "task-throughput", "throughput"))
				rc = -1;
			else
				rate[k] = bench_last_median(ctx);
		}
		if (!break_even && rate[0] > 0 && rate[1] >= 0.9 * rate[0])
			break_even = sizes[i];
	}
	bench_note(
		ctx,
		"pool: break-even task size (process pool >= 90%% of "
		"the thread pool's throughput): %s%llu ns",
		break_even ? "" : "none up to ",
		(unsigned long long)(break_even ? break_even : sizes[n - 1]));
	return rc;
}

/* How throughput, start-up and shut-down grow with the workers. */
static int sweep_cases(struct bench_ctx *ctx, unsigned cpus)
{
	static const unsigned all[] = { 1, 2, 8, 64, 256 };
	/* quick: 64 process workers take a third of a second to start, 256
	 * up to three seconds (each fork copies a larger pool process) */
	static const unsigned quick[] = { 1, 8, 64 };
	bool q = bench_profile(ctx) == BENCH_QUICK;
	const unsigned *sizes = q ? quick : all;
	size_t n = q ? 3 : 5;
	int rc = 0;

	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < 2; k++) {
			struct pool_case pc = { .workload = "empty",
						.kind = k ? PT_KIND_PROCESS
							  : PT_KIND_THREAD,
						.workers = sizes[i],
						.burst = BURST_MAX,
						.fn = bench_task_empty };
			struct pool_case life = pc;

			/* the main cases have this one already */
			if (sizes[i] != cpus &&
			    measure(ctx, &pc, "task-throughput", "throughput"))
				rc = -1;
			if (measure(ctx, &life, "pool-start", "latency") ||
			    measure(ctx, &life, "pool-stop", "latency"))
				rc = -1;
		}
	return rc;
}

static int deflate_cases(struct bench_ctx *ctx, unsigned workers)
{
	int rc = 0;

	if (!bench_deflate_available()) {
		bench_note(ctx, "pool: built without zlib (Debian: "
				"zlib1g-dev): no deflate workload");
		return 0;
	}
	for (int k = 0; k < 2; k++) {
		struct pool_case pc = {
			.workload = "deflate",
			.kind = k ? PT_KIND_PROCESS : PT_KIND_THREAD,
			.workers = workers,
			.size = bench_deflate_chunk(),
			.result_bytes = bench_deflate_result_max(),
			.corpus_len = bench_deflate_len(ctx),
		};

		if (measure(ctx, &pc, "deflate", "throughput"))
			rc = -1;
	}
	return rc;
}

/* Under mpirun (bench/suites/mpi.h): the empty and payload cases on a pool
 * of MPI ranks, kind process, transport "mpi", workers the serving ranks.
 * The pool of ranks polls (procthread/mpi.h): its latency is bounded below
 * by how often its engine and ranks look, not by a wake-up. */
static int rank_cases(struct bench_ctx *ctx)
{
	static const size_t payloads[] = { 64, 4096, 65536, 1 << 20 };
	unsigned workers = bench_mpi_serving_ranks();
	struct pool_case lat = { .workload = "empty",
				 .ranks = true,
				 .workers = workers,
				 .burst = 1,
				 .fn = bench_task_empty };
	struct pool_case thr = lat;
	int rc = 0;

	if (!workers)
		return 0;
	thr.burst = BURST_MAX;
	if (measure(ctx, &lat, "task-latency", "latency") ||
	    measure(ctx, &thr, "task-throughput", "throughput"))
		rc = -1;
	for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		struct pool_case pc = { .workload = "payload",
					.ranks = true,
					.workers = workers,
					.size = payloads[i],
					.burst = 1,
					.fn = bench_task_echo };

		if (measure(ctx, &pc, "task-latency", "latency"))
			rc = -1;
	}
	return rc;
}

static int pool_run(struct bench_ctx *ctx)
{
	static const size_t payloads[] = { 64, 4096, 65536, 1 << 20 };
	unsigned workers = online_cpus();
	int rc = 0;

	for (int k = 0; k < 2; k++) {
		enum pt_kind kind = k ? PT_KIND_PROCESS : PT_KIND_THREAD;
		struct pool_case lat = { .workload = "empty",
					 .kind = kind,
					 .workers = workers,
					 .fn = bench_task_empty };
		struct pool_case thr = lat;

		thr.burst = BURST_MAX;
		if (measure(ctx, &lat, "task-latency", "latency") ||
		    measure(ctx, &thr, "task-throughput", "throughput"))
			rc = -1;
	}
	for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++)
		for (int k = 0; k < 4; k++) {
			struct pool_case pc = {
				.workload = "payload",
				.kind = k & 1 ? PT_KIND_PROCESS
					      : PT_KIND_THREAD,
				.workers = workers,
				.size = payloads[i],
				.fn = bench_task_echo,
				.api = k & 2 ? "zero-copy" : "copy",
				.in_place = k & 2,
			};

			/* zero-copy is for large tasks: 1 MiB shows it */
			if (pc.in_place && payloads[i] != (size_t)1 << 20)
				continue;
			if (measure(ctx, &pc, "task-latency", "latency"))
				rc = -1;
		}
	if (cpu_cases(ctx, workers))
		rc = -1;
	for (int k = 0; k < 2; k++) {
		struct pool_case pc = { .workload = "empty",
					.kind = k ? PT_KIND_PROCESS
						  : PT_KIND_THREAD,
					.workers = 1,
					.max_tasks = 1,
					.fn = bench_task_empty };

		if (measure(ctx, &pc, "recycle", "latency"))
			rc = -1;
	}
	if (restart_cases(ctx))
		rc = -1;
	if (bench_pool_limit_death(ctx))
		rc = -1;
	if (bench_pool_start_by_size(ctx))
		rc = -1;
	if (sweep_cases(ctx, workers))
		rc = -1;
	if (deflate_cases(ctx, workers))
		rc = -1;
	if (rank_cases(ctx))
		rc = -1;
	return rc;
}

const struct bench_suite bench_suite_pool = {
	.name = "pool",
	.summary = "thread pool versus process pool: task latency and "
		   "throughput, payloads, the break-even task size, recycling "
		   "and restart after a crash, start-up by workers, deflate",
	.run = pool_run,
	.peers = bench_pool_peers,
	.peer_tools = "GLib GThreadPool, Python concurrent.futures, oneTBB, "
		      "pigz",
	.est_s = { 40, 120, 400 },
};
