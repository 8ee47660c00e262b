/* test_mpi_pool.c - the pool's PT_KIND_MPI backend under mpirun with 2 or 4
 * ranks (tests/mpi/run.sh): rank 0 owns each pool, the others serve it.
 * A start that some rank refuses fails in every rank alike; 10,000 tasks
 * resolve with their results checked, spread over every serving rank;
 * failures, cancels, deadlines, oversize arguments and results; both
 * shutdowns, and one that does not wait; the completion queue and the
 * futures' states; what a rank refuses (recycling, an initializer).
 * Retries after a rank's death are in test_mpi_kill.c. The pool tests of
 * tests/lib/pool/ cannot run here (Check forks a process per test, and
 * a forked child cannot use MPI): these are their MPI counterparts. */
#include "mpitest.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#define NTASKS 10000

/* --- the registry: the same in every rank ------------------------------- */

struct square_out {
	uint64_t square;
	int32_t rank;
	int32_t pid;
};

static int square(const void *arg, size_t len, struct pt_task_out *out)
{
	struct square_out r = { .rank = mpt_rank, .pid = (int32_t)getpid() };
	uint64_t x;

	if (len != sizeof(x) || out->cap < sizeof(r))
		return EINVAL;
	memcpy(&x, arg, sizeof(x));
	r.square = x * x;
	memcpy(out->data, &r, sizeof(r));
	out->len = sizeof(r);
	return x % 7 == 3 ? 42 : 0; /* every 7th fails, on purpose */
}

static int sleep_ms(const void *arg, size_t len, struct pt_task_out *out)
{
	uint32_t ms;

	(void)out;
	if (len != sizeof(ms))
		return EINVAL;
	memcpy(&ms, arg, sizeof(ms));
	usleep(ms * 1000u);
	return 0;
}

/* Claims more result than the pool has room for. */
static int overflow(const void *arg, size_t len, struct pt_task_out *out)
{
	(void)arg;
	(void)len;
	memset(out->data, 'x', out->cap);
	out->len = out->cap + 100;
	return 0;
}

/* What pt_pool_recycle_worker() says in a rank: a rank is never replaced,
 * so it is no pool worker's task there (-ESRCH). */
static int recycle(const void *arg, size_t len, struct pt_task_out *out)
{
	(void)arg;
	(void)len;
	(void)out;
	return -pt_pool_recycle_worker();
}

static int init_ok(const void *arg, size_t len)
{
	(void)arg;
	(void)len;
	return 0;
}

static int not_registered(const void *arg, size_t len, struct pt_task_out *out)
{
	(void)arg;
	(void)len;
	(void)out;
	return 0;
}

static const struct pt_pool_task registry[] = {
	{ "square", square },
	{ "sleep_ms", sleep_ms },
	{ "overflow", overflow },
	{ "recycle", recycle },
};
#define NREG (sizeof(registry) / sizeof(registry[0]))

static struct pt_pool_opts opts_with(struct pt_pool_opts o)
{
	o.kind = PT_KIND_MPI;
	o.tasks = registry;
	o.n_tasks = NREG;
	return o;
}

/* Every rank but 0 serves a pool with these options; returns its rc. */
static int serve(struct pt_pool_opts o)
{
	return pt_mpi_pool_serve(MPI_COMM_WORLD, &o);
}

/* Rank 0 creates the pool with these options and gets it; every other rank
 * serves that pool until it is destroyed and gets NULL. */
static pt_pool *create(struct pt_pool_opts o)
{
	pt_pool *pool = NULL;

	if (mpt_rank != 0) {
		MPT_RC(serve(o), 0);
		return NULL;
	}
	MPT_RC(pt_pool_create(&o, &pool), 0);
	return pool;
}

/* Submits n sleep_ms(*ms) tasks into f[0 .. n-1]. */
static void submit_sleeps(pt_pool *pool, uint32_t *ms, pt_future **f, int n)
{
	for (int k = 0; k < n; k++)
		MPT_RC(pt_pool_submit(pool, sleep_ms, ms, sizeof(*ms), &f[k]),
		       0);
}

static struct pt_result wait_ok(pt_future *f)
{
	struct pt_result res;

	MPT_RC(pt_future_wait(f, 60000, &res), 0);
	return res;
}

/* --- the cases ------------------------------------------------------------ */

/* A rank whose registry differs, or whose options are bad, fails the
 * start everywhere: nobody waits for a pool that will not be. */
static void a_refused_start_fails_everywhere(void)
{
	const struct pt_pool_task other[] = { { "square", square },
					      { "sleep", sleep_ms },
					      { "overflow", overflow },
					      { "recycle", recycle } };
	struct pt_pool_opts o = opts_with(PT_POOL_OPTS(.kind = PT_KIND_MPI));
	pt_pool *pool = (pt_pool *)(uintptr_t)1;

	if (mpt_rank == mpt_size - 1)
		o.tasks = other;
	if (mpt_rank == 0)
		MPT_RC(pt_pool_create(&o, &pool), -EPROTO);
	else
		MPT_RC(serve(o), -EPROTO);
	MPT_CHECK(pool == (pt_pool *)(uintptr_t)1, "*out written");

	o = opts_with(PT_POOL_OPTS(.kind = PT_KIND_MPI));
	if (mpt_rank == 1)
		o.depth = 1000; /* too deep: this rank refuses */
	if (mpt_rank == 0)
		MPT_RC(pt_pool_create(&o, &pool), -EINVAL);
	else
		MPT_RC(serve(o), -EINVAL);

	/* a rank that does not own the pool cannot create it */
	o = opts_with(PT_POOL_OPTS(.kind = PT_KIND_MPI));
	if (mpt_rank == 0)
		MPT_RC(serve(o), -EINVAL);
	else if (mpt_rank == 1)
		MPT_RC(pt_pool_create(&o, &pool), -EINVAL);
	else
		MPT_RC(serve(o), -EINVAL);
}

static void ten_thousand_tasks_resolve_with_their_results(void)
{
	struct pt_pool_opts o = opts_with(
		PT_POOL_OPTS(.kind = PT_KIND_MPI, .queue_capacity = 256));
	struct pt_pool_stats st;
	pt_future **f;
	pt_pool *pool;
	uint64_t sum = 0;

	pool = create(o);
	if (!pool)
		return;
	f = calloc(NTASKS, sizeof(*f));
	MPT_CHECK(f != NULL, "calloc");
	for (uint64_t x = 0; x < NTASKS; x++) {
		/* by function and by name: the same task */
		if (x % 2)
			MPT_RC(pt_pool_submit(pool, square, &x, sizeof(x),
					      &f[x]),
			       0);
		else
			MPT_RC(pt_pool_submit_name(pool, "square", &x,
						   sizeof(x), &f[x]),
			       0);
	}
	for (uint64_t x = 0; x < NTASKS; x++) {
		struct pt_result res = wait_ok(f[x]);
		struct square_out out;
		MPT_CHECK(res.len == sizeof(out), "task %llu: %s, %zu bytes",
			  (unsigned long long)x,
			  pt_task_status_name(res.status), res.len);
		memcpy(&out, res.data, sizeof(out));
		MPT_CHECK(out.square == x * x && out.rank >= 1 &&
				  out.rank < mpt_size &&
				  out.pid == res.worker_pid,
			  "task %llu: %llu from rank %d", (unsigned long long)x,
			  (unsigned long long)out.square, out.rank);
		if (x % 7 == 3)
			MPT_CHECK(res.status == PT_TASK_FAILED &&
					  res.error == 42,
				  "task %llu: %s %d", (unsigned long long)x,
				  pt_task_status_name(res.status), res.error);
		else
			MPT_CHECK(res.status == PT_TASK_OK, "task %llu: %s",
				  (unsigned long long)x,
				  pt_task_status_name(res.status));
		MPT_CHECK(res.attempts == 1 && res.worker_pid > 0 &&
				  res.queued_ns <= res.started_ns &&
				  res.started_ns <= res.finished_ns,
			  "task %llu: attempts %u pid %d times",
			  (unsigned long long)x, res.attempts, res.worker_pid);
		pt_future_destroy(f[x]);
	}
	MPT_RC(pt_pool_wait_all(pool, 0), 0);
	MPT_RC(pt_pool_get_stats(pool, &st), 0);
	MPT_CHECK(st.submitted == NTASKS && st.ok + st.failed == NTASKS &&
			  st.failed == (NTASKS + 3) / 7 && st.running == 0 &&
			  st.queued == 0 &&
			  st.workers == (unsigned)mpt_size - 1,
		  "stats");
	for (int r = 0; r < mpt_size - 1; r++) {
		/* every serving rank took part */
		MPT_CHECK(st.worker_tasks[r] > 0, "rank %d ran nothing", r + 1);
		sum += st.worker_tasks[r];
	}
	MPT_CHECK(sum == NTASKS, "worker_tasks sum %llu",
		  (unsigned long long)sum);
	MPT_RC(pt_pool_shutdown(pool, PT_POOL_SHUTDOWN_DRAIN, -1), 0);
	MPT_RC(pt_pool_shutdown(pool, PT_POOL_SHUTDOWN_DRAIN, -1), -EALREADY);
	pt_pool_destroy(pool);
	free(f);
}

/* Cancel and deadlines: a task past task_timeout_ms resolves at about its
 * deadline although its rank runs it to its end. */
static void cancel_and_deadlines(void)
{
	struct pt_pool_opts o =
		opts_with(PT_POOL_OPTS(.kind = PT_KIND_MPI,
				       .task_timeout_ms = 100, .depth = 1));
	uint32_t long_ms = 1500, short_ms = 1;
	pt_future *slow[4], *queued;
	struct pt_result res;
	pt_pool *pool;
	int n = mpt_size - 1;

	pool = create(o);
	if (!pool)
		return;
	/* one long task per rank, past its deadline: timed out at about
	 * 100 ms, while each rank goes on to its end at 1.5 s */
	submit_sleeps(pool, &long_ms, slow, n);
	MPT_RC(pt_pool_submit(pool, sleep_ms, &short_ms, sizeof(short_ms),
			      &queued),
	       0);
	MPT_RC(pt_future_cancel(queued), 0);
	MPT_RC(pt_future_cancel(queued), -EALREADY);
	res = wait_ok(queued);
	MPT_CHECK(res.status == PT_TASK_CANCELLED && res.attempts == 0,
		  "queued: %s", pt_task_status_name(res.status));
	for (int k = 0; k < n; k++) {
		res = wait_ok(slow[k]);
		MPT_CHECK(res.status == PT_TASK_TIMED_OUT, "slow: %s",
			  pt_task_status_name(res.status));
		MPT_CHECK(
			res.finished_ns - res.queued_ns < 1400000000u,
			"resolved only after %llu ns",
			(unsigned long long)(res.finished_ns - res.queued_ns));
		pt_future_destroy(slow[k]);
	}
	pt_future_destroy(queued);
	pt_pool_destroy(pool);
}

/* Sizes, and the refusals of submit: unknown tasks, an argument too
 * large, a full queue (when_full FAIL); a result too large is cut. */
static void sizes_and_refusals(void)
{
	struct pt_pool_opts o =
		opts_with(PT_POOL_OPTS(.kind = PT_KIND_MPI, .max_arg_bytes = 64,
				       .max_result_bytes = 32, .depth = 1,
				       .queue_capacity = 4,
				       .when_full = PT_POOL_WHEN_FULL_FAIL));
	uint32_t busy_ms = 1500;
	pt_future *busy[4], *f[4], *late;
	struct pt_result res;
	char big[65] = { 0 };
	pt_pool *pool;
	int n = mpt_size - 1;

	pool = create(o);
	if (!pool)
		return;
	MPT_RC(pt_pool_submit(pool, square, big, sizeof(big), &late),
	       -EMSGSIZE);
	MPT_RC(pt_pool_submit_name(pool, "nope", NULL, 0, &late), -ENOENT);
	MPT_RC(pt_pool_submit(pool, not_registered, NULL, 0, &late), -ENOENT);
	MPT_RC(pt_pool_submit(NULL, square, NULL, 0, &late), -EINVAL);
	{
		/* in-place tasks need memory in common with the workers,
		 * which ranks do not have (pool.h) */
		void *room;

		MPT_RC(pt_pool_reserve(pool, 8, &room, &late), -ENOTSUP);
	}
	/* every rank busy for 1.5 s: the queue fills to its 4 */
	submit_sleeps(pool, &busy_ms, busy, n);
	for (int t = 0; t < 10000; t++) {
		struct pt_pool_stats st;

		MPT_RC(pt_pool_get_stats(pool, &st), 0);
		if (st.running == (uint64_t)n)
			break;
		usleep(1000);
	}
	for (int k = 0; k < 4; k++)
		MPT_RC(pt_pool_submit(pool, overflow, NULL, 0, &f[k]), 0);
	MPT_RC(pt_pool_submit(pool, overflow, NULL, 0, &late), -EAGAIN);
	for (int k = 0; k < 4; k++) {
		res = wait_ok(f[k]);
		/* more than the room: the task's error, no bytes */
		MPT_CHECK(res.status == PT_TASK_FAILED &&
				  res.error == -EMSGSIZE && res.len == 0,
			  "overflow: %s (%d), %zu bytes",
			  pt_task_status_name(res.status), res.error, res.len);
		pt_future_destroy(f[k]);
	}
	for (int k = 0; k < n; k++) {
		res = wait_ok(busy[k]);
		MPT_CHECK(res.status == PT_TASK_OK, "busy: %s",
			  pt_task_status_name(res.status));
		pt_future_destroy(busy[k]);
	}
	pt_pool_destroy(pool);
}

/* CANCEL drops what is queued; a deadline stops what runs; DRAIN runs
 * everything first. */
static void shutdowns(void)
{
	struct pt_pool_opts o =
		opts_with(PT_POOL_OPTS(.kind = PT_KIND_MPI, .depth = 1));
	uint32_t ms = 150;
	pt_future *f[16];
	struct pt_result res;
	pt_pool *pool;
	int cancelled = 0, stopped = 0;

	for (int mode = 0; mode < 2; mode++) {
		pool = create(o);
		if (!pool)
			continue;
		submit_sleeps(pool, &ms, f, 16);
		if (mode == 0) {
			/* once every rank runs one, stop them all */
			struct pt_pool_stats st = { 0 };

			for (int t = 0; st.running < (uint64_t)mpt_size - 1;
			     t++) {
				MPT_CHECK(t < 10000, "never all running");
				usleep(1000);
				MPT_RC(pt_pool_get_stats(pool, &st), 0);
			}
			MPT_RC(pt_pool_shutdown(pool, PT_POOL_SHUTDOWN_CANCEL,
						10),
			       -ETIMEDOUT);
		} else {
			MPT_RC(pt_pool_shutdown(pool, PT_POOL_SHUTDOWN_DRAIN,
						-1),
			       0);
		}
		MPT_RC(pt_pool_submit(pool, sleep_ms, &ms, sizeof(ms), &f[0]),
		       -ESHUTDOWN);
		for (int k = 0; k < 16; k++) {
			res = wait_ok(f[k]);
			if (mode == 1)
				MPT_CHECK(res.status == PT_TASK_OK, "%s",
					  pt_task_status_name(res.status));
			else
				MPT_CHECK(res.status == PT_TASK_SHUTDOWN, "%s",
					  pt_task_status_name(res.status));
			cancelled += res.attempts == 0;
			stopped += res.attempts == 1;
			pt_future_destroy(f[k]);
		}
		pt_pool_destroy(pool);
	}
	if (mpt_rank == 0)
		MPT_CHECK(cancelled == 16 - (mpt_size - 1) &&
				  stopped == 16 + (mpt_size - 1),
			  "cancelled %d, stopped %d", cancelled, stopped);
}

/* What a rank cannot do, refused at the start in every rank: recycling
 * (a rank is not replaced) and an initializer (a rank sets itself up in
 * its own program). In a task, pt_pool_recycle_worker() says -ESRCH. */
static void what_ranks_refuse(void)
{
	struct pt_pool_opts bad[] = {
		opts_with(PT_POOL_OPTS(.initializer = init_ok)),
		opts_with(PT_POOL_OPTS(.max_tasks_per_worker = 5)),
	};
	struct pt_pool_opts o = opts_with(PT_POOL_OPTS());
	struct pt_result res;
	pt_future *f;
	pt_pool *pool;

	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		if (mpt_rank == 0)
			MPT_RC(pt_pool_create(&bad[k], &pool), -ENOTSUP);
		else
			MPT_RC(serve(o), -ENOTSUP);
	}
	pool = create(o);
	if (!pool)
		return;
	MPT_RC(pt_pool_submit_name(pool, "recycle", NULL, 0, &f), 0);
	res = wait_ok(f);
	MPT_CHECK(res.status == PT_TASK_FAILED && res.error == ESRCH,
		  "recycle: %s %d", pt_task_status_name(res.status), res.error);
	pt_future_destroy(f);
	pt_pool_destroy(pool);
}

/* The completion queue and the futures' states: a task a rank runs is
 * RUNNING, one behind it QUEUED; every future comes out of
 * pt_pool_next_done() once, with the descriptor readable while any is
 * there. */
static void completions_and_states(void)
{
	struct pt_pool_opts o =
		opts_with(PT_POOL_OPTS(.completions = true, .depth = 1));
	uint32_t ms = 300;
	int n = mpt_size - 1, total = 32 + n + 1, seen = 0;
	pt_future *slow[4], *extra, *f[32], *done;
	struct pt_pool_stats st = { 0 };
	pt_pool *pool;

	pool = create(o);
	if (!pool)
		return;
	MPT_CHECK(pt_pool_fd(pool) >= 0, "no descriptor");
	MPT_RC(pt_pool_next_done(pool, &done), -EAGAIN);
	submit_sleeps(pool, &ms, slow, n);
	MPT_RC(pt_pool_submit(pool, sleep_ms, &ms, sizeof(ms), &extra), 0);
	for (int t = 0; st.running < (uint64_t)n; t++) {
		MPT_CHECK(t < 10000, "never all running");
		usleep(1000);
		MPT_RC(pt_pool_get_stats(pool, &st), 0);
	}
	for (int k = 0; k < n; k++)
		MPT_RC(pt_future_state(slow[k]), PT_FUTURE_RUNNING);
	MPT_RC(pt_future_state(extra), PT_FUTURE_QUEUED);
	for (uint64_t x = 0; x < 32; x++)
		MPT_RC(pt_pool_submit(pool, square, &x, sizeof(x), &f[x]), 0);
	while (seen < total) {
		struct pollfd p = { .fd = pt_pool_fd(pool), .events = POLLIN };

		MPT_CHECK(poll(&p, 1, 60000) == 1, "the descriptor slept");
		while (pt_pool_next_done(pool, &done) == 0) {
			MPT_CHECK(pt_future_done(done), "queued unresolved");
			MPT_RC(pt_future_state(done), PT_FUTURE_DONE);
			pt_future_destroy(done);
			seen++;
		}
	}
	MPT_RC(pt_pool_next_done(pool, &done), -EAGAIN);
	for (int k = 0; k < n; k++)
		pt_future_destroy(slow[k]);
	pt_future_destroy(extra);
	for (int x = 0; x < 32; x++)
		pt_future_destroy(f[x]);
	pt_pool_destroy(pool);
}

/* A shutdown that does not wait: it returns at once, what is queued still
 * runs, and a later shutdown that waits reaps. */
static void shutdown_without_waiting(void)
{
	struct pt_pool_opts o = opts_with(PT_POOL_OPTS(.depth = 1));
	uint32_t ms = 30;
	pt_future *f[16], *late;
	struct pt_result res;
	pt_pool *pool;

	pool = create(o);
	if (!pool)
		return;
	for (int k = 0; k < 16; k++)
		MPT_RC(pt_pool_submit(pool, sleep_ms, &ms, sizeof(ms), &f[k]),
		       0);
	MPT_RC(pt_pool_shutdown(
		       pool, PT_POOL_SHUTDOWN_DRAIN | PT_POOL_SHUTDOWN_NOWAIT,
		       -1),
	       0);
	MPT_RC(pt_pool_submit(pool, sleep_ms, &ms, sizeof(ms), &late),
	       -ESHUTDOWN);
	MPT_RC(pt_pool_shutdown(
		       pool, PT_POOL_SHUTDOWN_DRAIN | PT_POOL_SHUTDOWN_NOWAIT,
		       -1),
	       -EALREADY);
	MPT_RC(pt_pool_wait_all(pool, 60000), 0);
	for (int k = 0; k < 16; k++) {
		res = wait_ok(f[k]);
		MPT_CHECK(res.status == PT_TASK_OK, "%s",
			  pt_task_status_name(res.status));
		pt_future_destroy(f[k]);
	}
	MPT_RC(pt_pool_shutdown(pool, PT_POOL_SHUTDOWN_DRAIN, -1), 0);
	pt_pool_destroy(pool);
}

/* As tests/lib/pool/pool.c's full_queue_blocks_until_room: with
 * PT_POOL_WHEN_FULL_BLOCK a submit to a full queue waits until a rank takes a
 * task. */
static void full_queue_blocks_until_room(void)
{
	struct pt_pool_opts o =
		opts_with(PT_POOL_OPTS(.depth = 1, .queue_capacity = 2));
	uint32_t ms = 200;
	int n = mpt_size - 1;
	pt_future *f[8];
	struct pt_result res;
	uint64_t t0;
	pt_pool *pool;

	pool = create(o);
	if (!pool)
		return;
	/* every rank busy, then the queue full */
	for (int k = 0; k < n + 2; k++)
		MPT_RC(pt_pool_submit(pool, sleep_ms, &ms, sizeof(ms), &f[k]),
		       0);
	t0 = mpt_now_ns();
	MPT_RC(pt_pool_submit(pool, sleep_ms, &ms, sizeof(ms), &f[n + 2]), 0);
	MPT_CHECK(mpt_now_ns() - t0 > 100000000u,
		  "a submit to a full queue did not wait (%llu ns)",
		  (unsigned long long)(mpt_now_ns() - t0));
	for (int k = 0; k < n + 3; k++) {
		res = wait_ok(f[k]);
		MPT_CHECK(res.status == PT_TASK_OK, "%s",
			  pt_task_status_name(res.status));
		pt_future_destroy(f[k]);
	}
	pt_pool_destroy(pool);
}

/* As tests/lib/pool/pool_lifecycle.c's cancel_queued_and_running and
 * CPython's test_running_then_cancelled: a task a rank runs resolves as
 * cancelled at once, done and never again running, while the rank finishes
 * it; the pool goes on. */
static void cancel_a_running_task(void)
{
	struct pt_pool_opts o = opts_with(PT_POOL_OPTS(.depth = 1));
	uint32_t ms = 1000;
	uint64_t x = 12;
	int n = mpt_size - 1;
	pt_future *slow[4], *next;
	struct pt_pool_stats st = { 0 };
	struct pt_result res;
	struct square_out out;
	pt_pool *pool;

	pool = create(o);
	if (!pool)
		return;
	submit_sleeps(pool, &ms, slow, n);
	for (int t = 0; st.running < (uint64_t)n; t++) {
		MPT_CHECK(t < 10000, "never all running");
		usleep(1000);
		MPT_RC(pt_pool_get_stats(pool, &st), 0);
	}
	MPT_RC(pt_future_state(slow[0]), PT_FUTURE_RUNNING);
	MPT_RC(pt_future_cancel(slow[0]), 0);
	MPT_CHECK(pt_future_done(slow[0]), "cancelled, not done");
	MPT_RC(pt_future_state(slow[0]), PT_FUTURE_DONE);
	MPT_RC(pt_future_cancel(slow[0]), -EALREADY);
	res = wait_ok(slow[0]);
	MPT_CHECK(res.status == PT_TASK_CANCELLED && res.attempts == 1,
		  "%s, attempts %u", pt_task_status_name(res.status),
		  res.attempts);
	MPT_CHECK(res.finished_ns - res.queued_ns < 900000000u,
		  "the cancel waited for the rank");
	/* the rank finishes it, then runs what comes next */
	MPT_RC(pt_pool_submit(pool, square, &x, sizeof(x), &next), 0);
	res = wait_ok(next);
	memcpy(&out, res.data, sizeof(out));
	MPT_CHECK(res.status == PT_TASK_OK && out.square == 144, "%s",
		  pt_task_status_name(res.status));
	for (int k = 1; k < n; k++) {
		res = wait_ok(slow[k]);
		MPT_CHECK(res.status == PT_TASK_OK, "%s",
			  pt_task_status_name(res.status));
	}
	for (int k = 0; k < n; k++)
		pt_future_destroy(slow[k]);
	pt_future_destroy(next);
	MPT_RC(pt_pool_get_stats(pool, &st), 0);
	MPT_CHECK(st.cancelled == 1 && st.ok == (uint64_t)n,
		  "cancelled %llu ok %llu", (unsigned long long)st.cancelled,
		  (unsigned long long)st.ok);
	pt_pool_destroy(pool);
}

/* As CPython's test_cancel_futures_wait_false and
 * test_shutdown_no_wait_then_destroy: a cancelling shutdown that does not
 * wait drops the queue at once, and destroy then stops what runs. */
static void cancel_without_waiting_then_destroy(void)
{
	struct pt_pool_opts o = opts_with(PT_POOL_OPTS(.depth = 1));
	uint32_t ms = 300;
	int n = mpt_size - 1;
	pt_future *f[12];
	struct pt_pool_stats st = { 0 };
	struct pt_result res;
	pt_pool *pool;
	int shut = 0;

	pool = create(o);
	if (!pool)
		return;
	for (int k = 0; k < 12; k++)
		MPT_RC(pt_pool_submit(pool, sleep_ms, &ms, sizeof(ms), &f[k]),
		       0);
	for (int t = 0; st.running < (uint64_t)n; t++) {
		MPT_CHECK(t < 10000, "never all running");
		usleep(1000);
		MPT_RC(pt_pool_get_stats(pool, &st), 0);
	}
	MPT_RC(pt_pool_shutdown(
		       pool, PT_POOL_SHUTDOWN_CANCEL | PT_POOL_SHUTDOWN_NOWAIT,
		       -1),
	       0);
	/* what was queued resolved before the call returned */
	for (int k = n; k < 12; k++) {
		MPT_CHECK(pt_future_done(f[k]), "task %d still queued", k);
		res = wait_ok(f[k]);
		MPT_CHECK(res.status == PT_TASK_SHUTDOWN && res.attempts == 0,
			  "task %d: %s", k, pt_task_status_name(res.status));
	}
	pt_pool_destroy(pool);
	for (int k = 0; k < 12; k++) {
		res = wait_ok(f[k]);
		shut += res.status == PT_TASK_SHUTDOWN;
		pt_future_destroy(f[k]);
	}
	MPT_CHECK(shut == 12, "%d of 12 shut down", shut);
}

/* As tests/lib/pool/pool_lifecycle.c's cycles_leave_nothing: pools come and go,
 * each start and end collective, each pool's work whole. */
static void pools_come_and_go(void)
{
	struct pt_pool_opts o =
		opts_with(PT_POOL_OPTS(.completions = true, .retries = 1));

	for (int cycle = 0; cycle < 20; cycle++) {
		pt_future *f[10], *done;
		struct pt_pool_stats st;
		pt_pool *pool;
		int seen = 0;

		pool = create(o);
		if (!pool)
			continue;
		for (uint64_t x = 0; x < 10; x++)
			MPT_RC(pt_pool_submit(pool, square, &x, sizeof(x),
					      &f[x]),
			       0);
		MPT_RC(pt_pool_wait_all(pool, 60000), 0);
		while (pt_pool_next_done(pool, &done) == 0) {
			seen++;
			pt_future_destroy(done);
		}
		MPT_CHECK(seen == 10, "cycle %d: %d completions", cycle, seen);
		MPT_RC(pt_pool_get_stats(pool, &st), 0);
		MPT_CHECK(st.submitted == 10 && st.ok + st.failed == 10,
			  "cycle %d", cycle);
		for (int k = 0; k < 10; k++)
			pt_future_destroy(f[k]);
		if (cycle % 2)
			MPT_RC(pt_pool_shutdown(pool, PT_POOL_SHUTDOWN_DRAIN,
						-1),
			       0);
		pt_pool_destroy(pool);
	}
}

int main(int argc, char **argv)
{
	mpt_init(&argc, &argv);
	mpt_run("a refused start fails in every rank",
		a_refused_start_fails_everywhere);
	mpt_run("10,000 tasks resolve with their results",
		ten_thousand_tasks_resolve_with_their_results);
	mpt_run("cancel and deadlines", cancel_and_deadlines);
	mpt_run("sizes and refusals", sizes_and_refusals);
	mpt_run("shutdowns: cancel with a deadline, drain", shutdowns);
	mpt_run("what ranks refuse", what_ranks_refuse);
	mpt_run("the completion queue and the futures' states",
		completions_and_states);
	mpt_run("a shutdown without waiting", shutdown_without_waiting);
	mpt_run("a full queue blocks until there is room",
		full_queue_blocks_until_room);
	mpt_run("cancel a running task", cancel_a_running_task);
	mpt_run("cancel without waiting, then destroy",
		cancel_without_waiting_then_destroy);
	mpt_run("pools come and go", pools_come_and_go);
	return mpt_finish();
}
