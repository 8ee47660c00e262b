/* test_pool - pools: every body runs for thread and process workers (the
 * loop index is the kind), except where the kinds must differ: a crash in
 * a process worker costs one task, in a thread worker the whole process.
 *
 * Tasks that must wait for the test hold on a gate in MAP_SHARED memory,
 * made before the pool, so directly forked workers share it too. */
#include <procthread.h>

#include "support/test.h"
#include "support/kinds.h"
#include "support/ledger.h"

#include "support/units.h"

#include <check.h>
#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct shared {
	atomic_int gate; /* tasks that wait do so until it is non-zero */
	atomic_int waiting;
	atomic_int runs;
};

static struct shared *sh;

static void setup(void)
{
	sh = pt_test_map_shared(sizeof(*sh));
}

static void teardown(void)
{
	pt_test_unmap_shared(sh, sizeof(*sh));
}

/* --- tasks -----------------------------------------------------------------
 */

static int echo(const void *arg, size_t len, struct pt_task_out *out)
{
	memcpy(out->data, arg, len);
	out->len = len;
	return 0;
}

static int fail_with(const void *arg, size_t len, struct pt_task_out *out)
{
	int code;

	(void)out;
	if (len != sizeof(code))
		return -1;
	memcpy(&code, arg, sizeof(code));
	return code;
}

static int gated(const void *arg, size_t len, struct pt_task_out *out)
{
	(void)arg;
	(void)len;
	(void)out;
	atomic_fetch_add(&sh->waiting, 1);
	while (!atomic_load(&sh->gate) && !pt_cancelled())
		usleep(500);
	return pt_cancelled() ? 7 : 0;
}

static int report_worker(const void *arg, size_t len, struct pt_task_out *out)
{
	/* The thread id: one per thread worker, equal to the pid for a
	 * worker process. */
	pid_t id = gettid();

	(void)arg;
	(void)len;
	memcpy(out->data, &id, sizeof(id));
	out->len = sizeof(id);
	return 0;
}

static int until_cancelled(const void *arg, size_t len, struct pt_task_out *out)
{
	(void)arg;
	(void)len;
	(void)out;
	atomic_fetch_add(&sh->waiting, 1);
	while (!pt_cancelled())
		usleep(500);
	return 5;
}

/* --- helpers -----------------------------------------------------------------
 */

static pt_pool *pool_or_fail(struct pt_pool_opts opts)
{
	pt_pool *pool = NULL;
	int rc = pt_pool_create(&opts, &pool);

	ck_assert_msg(rc == 0, "create: %s", pt_strerror(rc));
	return pool;
}

static pt_future *submit_or_fail(pt_pool *pool, pt_task_fn *fn, const void *arg,
				 size_t len)
{
	pt_future *f = NULL;
	int rc = pt_pool_submit(pool, fn, arg, len, &f);

	ck_assert_msg(rc == 0, "submit: %s", pt_strerror(rc));
	return f;
}

static struct pt_result wait_or_fail(pt_future *f)
{
	struct pt_result r;

	PT_ASSERT_OK(pt_future_wait(f, 20000, &r));
	return r;
}

static void await_waiting(int n)
{
	uint64_t end = pt_test_now_ns() + 10000000000u;

	while (atomic_load(&sh->waiting) < n) {
		ck_assert_msg(pt_test_now_ns() < end, "tasks never started");
		usleep(500);
	}
}

/* --- both kinds
 * ---------------------------------------------------------------- */

/* Claims a result longer than the room it was given. */
static int overclaim(const void *arg, size_t len, struct pt_task_out *out)
{
	(void)arg;
	(void)len;
	memset(out->data, 'x', out->cap);
	out->len = out->cap + 1;
	return 0;
}

/* A result longer than its room fails the task with EMSGSIZE and no bytes;
 * one that fills the room exactly is whole. */
START_TEST(oversize_result_is_an_error_not_a_truncation)
{
	pt_pool *pool = pool_or_fail(
		PT_POOL_OPTS(.kind = _i, .workers = 1, .max_result_bytes = 64));
	char full[64];
	struct pt_result r;
	pt_future *f;

	f = submit_or_fail(pool, overclaim, NULL, 0);
	r = wait_or_fail(f);
	ck_assert_int_eq(r.status, PT_TASK_FAILED);
	ck_assert_int_eq(r.error, -EMSGSIZE);
	ck_assert_uint_eq(r.len, 0);
	pt_future_destroy(f);
	memset(full, 'y', sizeof(full));
	f = submit_or_fail(pool, echo, full, sizeof(full));
	r = wait_or_fail(f);
	ck_assert_int_eq(r.status, PT_TASK_OK);
	ck_assert_uint_eq(r.len, sizeof(full));
	ck_assert_mem_eq(r.data, full, sizeof(full));
	pt_future_destroy(f);
	pt_pool_destroy(pool);
}
END_TEST

START_TEST(results_and_errors_round_trip)
{
	pt_pool *pool = pool_or_fail(PT_POOL_OPTS(.kind = _i, .workers = 2));
	struct pt_pool_stats st;
	pt_future *f[200];
	uint64_t per_worker = 0;

	for (int i = 0; i < 200; i++) {
		char msg[32];
		int code = 40 + i;

		snprintf(msg, sizeof(msg), "task %d", i);
		f[i] = i % 4 ? submit_or_fail(pool, echo, msg, strlen(msg) + 1)
			     : submit_or_fail(pool, fail_with, &code,
					      sizeof(code));
	}
	PT_ASSERT_OK(pt_pool_wait_all(pool, 20000));
	for (int i = 0; i < 200; i++) {
		struct pt_result r = wait_or_fail(f[i]);
		char msg[32];

		ck_assert(pt_future_done(f[i]));
		ck_assert_uint_eq(r.attempts, 1);
		ck_assert_uint_ge(r.started_ns, r.queued_ns);
		ck_assert_uint_ge(r.finished_ns, r.started_ns);
		if (i % 4 == 0) {
			ck_assert_int_eq(r.status, PT_TASK_FAILED);
			ck_assert_int_eq(r.error, 40 + i);
			ck_assert_uint_eq(r.len, 0);
		} else {
			snprintf(msg, sizeof(msg), "task %d", i);
			ck_assert_int_eq(r.status, PT_TASK_OK);
			ck_assert_uint_eq(r.len, strlen(msg) + 1);
			ck_assert_str_eq(r.data, msg);
		}
		pt_future_destroy(f[i]);
	}
	PT_ASSERT_OK(pt_pool_stats(pool, &st));
	ck_assert_uint_eq(st.submitted, 200);
	ck_assert_uint_eq(st.ok, 150);
	ck_assert_uint_eq(st.failed, 50);
	ck_assert_uint_eq(st.queued + st.running + st.crashed, 0);
	ck_assert_uint_eq(st.workers, 2);
	for (int k = 0; k < 2; k++)
		per_worker += st.worker_tasks[k];
	ck_assert_uint_eq(per_worker, 200);
	pt_pool_destroy(pool);
}
END_TEST

START_TEST(full_queue_fails_or_blocks)
{
	pt_pool *pool = pool_or_fail(PT_POOL_OPTS(.kind = _i, .workers = 1,
						  .queue_capacity = 2,
						  .when_full = PT_POOL_FAIL));
	pt_future *f[4], *extra = NULL;

	f[0] = submit_or_fail(pool, gated, NULL, 0);
	await_waiting(1); /* running: the queue is empty again */
	f[1] = submit_or_fail(pool, gated, NULL, 0);
	f[2] = submit_or_fail(pool, gated, NULL, 0);
	PT_ASSERT_ERR(pt_pool_submit(pool, gated, NULL, 0, &extra), -EAGAIN);
	ck_assert_ptr_null(extra);
	atomic_store(&sh->gate, 1);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(wait_or_fail(f[i]).status, PT_TASK_OK);
		pt_future_destroy(f[i]);
	}
	pt_pool_destroy(pool);
	(void)f[3];
}
END_TEST

struct submitter {
	pt_pool *pool;
	pt_future *f;
	atomic_int done;
};

static void *submit_blocking(void *arg)
{
	struct submitter *s = arg;

	s->f = submit_or_fail(s->pool, gated, NULL, 0);
	atomic_store(&s->done, 1);
	return NULL;
}

START_TEST(full_queue_blocks_until_room)
{
	pt_pool *pool = pool_or_fail(
		PT_POOL_OPTS(.kind = _i, .workers = 1, .queue_capacity = 1));
	struct submitter s = { .pool = pool };
	pt_future *f[2];
	pthread_t t;

	f[0] = submit_or_fail(pool, gated, NULL, 0);
	await_waiting(1);
	f[1] = submit_or_fail(pool, gated, NULL, 0);
	ck_assert_int_eq(pthread_create(&t, NULL, submit_blocking, &s), 0);
	/* It cannot return while the queue stays full. */
	usleep(50000);
	ck_assert_int_eq(atomic_load(&s.done), 0);
	atomic_store(&sh->gate, 1);
	pthread_join(t, NULL);
	ck_assert_int_eq(wait_or_fail(s.f).status, PT_TASK_OK);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(wait_or_fail(f[i]).status, PT_TASK_OK);
		pt_future_destroy(f[i]);
	}
	pt_future_destroy(s.f);
	pt_pool_destroy(pool);
}
END_TEST

START_TEST(workers_are_recycled)
{
	pt_pool *pool = pool_or_fail(PT_POOL_OPTS(.kind = _i, .workers = 1,
						  .max_tasks_per_worker = 3));
	struct pt_pool_stats st;
	pid_t seen[10];
	int distinct = 0;

	for (int i = 0; i < 10; i++) {
		pt_future *f = submit_or_fail(pool, report_worker, NULL, 0);
		struct pt_result r = wait_or_fail(f);

		ck_assert_int_eq(r.status, PT_TASK_OK);
		ck_assert_uint_eq(r.len, sizeof(pid_t));
		memcpy(&seen[i], r.data, sizeof(pid_t));
		if (i == 0 || seen[i] != seen[i - 1])
			distinct++;
		/* The same worker for three tasks in a row, then anew. */
		if (i % 3)
			ck_assert_int_eq(seen[i], seen[i - 1]);
		pt_future_destroy(f);
	}
	ck_assert_int_eq(distinct, 4);
	PT_ASSERT_OK(pt_pool_stats(pool, &st));
	ck_assert_uint_eq(st.recycled, 3);
	ck_assert_uint_eq(st.restarts, 0);
	pt_pool_destroy(pool);
}
END_TEST

static int recycle_and_report(const void *arg, size_t len,
			      struct pt_task_out *out)
{
	if (pt_pool_recycle_worker())
		return 9;
	return report_worker(arg, len, out);
}

/* A task that asks for a new worker gets its own result, the tasks queued
 * behind it (a process worker has them in flight already: the queue is
 * long) run unstarted-then-elsewhere exactly once, and the worker is new
 * from the next task on. */
START_TEST(a_task_can_ask_for_a_new_worker)
{
	pt_pool *pool = pool_or_fail(PT_POOL_OPTS(.kind = _i, .workers = 1));
	struct pt_pool_stats st;
	pt_future *gate, *asker, *after[6];
	struct pt_result r;
	pid_t first, asked, later = 0;

	PT_ASSERT_ERR(pt_pool_recycle_worker(), -ESRCH);
	gate = submit_or_fail(pool, gated, NULL, 0);
	await_waiting(1);
	asker = submit_or_fail(pool, recycle_and_report, NULL, 0);
	for (int i = 0; i < 6; i++)
		after[i] = submit_or_fail(pool, report_worker, NULL, 0);
	atomic_store(&sh->gate, 1);
	ck_assert_int_eq(wait_or_fail(gate).status, PT_TASK_OK);
	first = wait_or_fail(gate).worker_pid;

	r = wait_or_fail(asker);
	ck_assert_int_eq(r.status, PT_TASK_OK);
	ck_assert_uint_eq(r.len, sizeof(pid_t));
	memcpy(&asked, r.data, sizeof(asked));
	if (_i == PT_PROCESS)
		ck_assert_int_eq(asked, first);
	for (int i = 0; i < 6; i++) {
		pid_t id;

		r = wait_or_fail(after[i]);
		ck_assert_int_eq(r.status, PT_TASK_OK);
		ck_assert_uint_eq(r.attempts, 1);
		memcpy(&id, r.data, sizeof(id));
		ck_assert_int_ne(id, asked);
		if (i)
			ck_assert_int_eq(id, later);
		later = id;
		pt_future_destroy(after[i]);
	}
	PT_ASSERT_OK(pt_pool_stats(pool, &st));
	ck_assert_uint_eq(st.recycled, 1);
	ck_assert_uint_eq(st.restarts, 0);
	ck_assert_uint_eq(st.ok, 8);
	pt_future_destroy(gate);
	pt_future_destroy(asker);
	pt_pool_destroy(pool);
}
END_TEST

START_TEST(timeout_resolves_at_the_deadline)
{
	pt_pool *pool = pool_or_fail(
		PT_POOL_OPTS(.kind = _i, .workers = 1, .task_timeout_ms = 100));
	struct pt_pool_stats st;
	struct pt_result r;
	uint64_t t0 = pt_test_now_ns();
	pt_future *slow = submit_or_fail(pool, until_cancelled, NULL, 0);
	pt_future *after = submit_or_fail(pool, echo, "x", 2);

	r = wait_or_fail(slow);
	ck_assert_int_eq(r.status, PT_TASK_TIMED_OUT);
	ck_assert_uint_ge((pt_test_now_ns() - t0) / 1000000u, 100);
	/* The next task runs: a thread worker was asked to stop, a process
	 * worker was killed and replaced. */
	r = wait_or_fail(after);
	ck_assert_int_eq(r.status, PT_TASK_OK);
	ck_assert_str_eq(r.data, "x");
	PT_ASSERT_OK(pt_pool_stats(pool, &st));
	ck_assert_uint_eq(st.timed_out, 1);
	ck_assert_uint_eq(st.restarts, _i == PT_PROCESS ? 1 : 0);
	pt_future_destroy(slow);
	pt_future_destroy(after);
	pt_pool_destroy(pool);
}
END_TEST

START_TEST(cancel_queued_and_running)
{
	pt_pool *pool = pool_or_fail(PT_POOL_OPTS(.kind = _i, .workers = 1));
	pt_future *running = submit_or_fail(pool, until_cancelled, NULL, 0);
	pt_future *queued, *after;
	struct pt_result r;

	await_waiting(1);
	queued = submit_or_fail(pool, echo, "q", 2);
	PT_ASSERT_OK(pt_future_cancel(queued));
	ck_assert_int_eq(wait_or_fail(queued).status, PT_TASK_CANCELLED);
	PT_ASSERT_ERR(pt_future_cancel(queued), -EALREADY);
	/* Running: resolved now, its worker stopped or asked to stop. */
	PT_ASSERT_OK(pt_future_cancel(running));
	ck_assert(pt_future_done(running));
	r = wait_or_fail(running);
	ck_assert_int_eq(r.status, PT_TASK_CANCELLED);
	after = submit_or_fail(pool, echo, "a", 2);
	ck_assert_int_eq(wait_or_fail(after).status, PT_TASK_OK);
	pt_future_destroy(queued);
	pt_future_destroy(running);
	pt_future_destroy(after);
	pt_pool_destroy(pool);
}
END_TEST

START_TEST(shutdown_drains)
{
	pt_pool *pool = pool_or_fail(PT_POOL_OPTS(.kind = _i, .workers = 2));
	pt_future *f[50];
	pt_future *late = NULL;

	for (int i = 0; i < 50; i++)
		f[i] = submit_or_fail(pool, echo, "d", 2);
	PT_ASSERT_OK(pt_pool_shutdown(pool, PT_POOL_DRAIN, -1));
	for (int i = 0; i < 50; i++) {
		ck_assert_int_eq(wait_or_fail(f[i]).status, PT_TASK_OK);
		pt_future_destroy(f[i]);
	}
	PT_ASSERT_ERR(pt_pool_submit(pool, echo, "x", 2, &late), -ESHUTDOWN);
	PT_ASSERT_ERR(pt_pool_shutdown(pool, PT_POOL_DRAIN, -1), -EALREADY);
	pt_pool_destroy(pool);
}
END_TEST

START_TEST(shutdown_cancels_and_stops_at_the_deadline)
{
	pt_pool *pool = pool_or_fail(PT_POOL_OPTS(.kind = _i, .workers = 1));
	pt_future *running = submit_or_fail(pool, until_cancelled, NULL, 0);
	pt_future *queued[5];
	uint64_t t0;

	await_waiting(1);
	for (int i = 0; i < 5; i++)
		queued[i] = submit_or_fail(pool, echo, "q", 2);
	t0 = pt_test_now_ns();
	PT_ASSERT_ERR(pt_pool_shutdown(pool, PT_POOL_CANCEL, 100), -ETIMEDOUT);
	ck_assert_uint_ge((pt_test_now_ns() - t0) / 1000000u, 100);
	for (int i = 0; i < 5; i++) {
		ck_assert_int_eq(wait_or_fail(queued[i]).status,
				 PT_TASK_SHUTDOWN);
		ck_assert_uint_eq(wait_or_fail(queued[i]).started_ns, 0);
		pt_future_destroy(queued[i]);
	}
	ck_assert_int_eq(wait_or_fail(running).status, PT_TASK_SHUTDOWN);
	pt_future_destroy(running);
	pt_pool_destroy(pool);
}
END_TEST

START_TEST(completion_descriptor_plugs_into_poll)
{
	pt_pool *pool = pool_or_fail(
		PT_POOL_OPTS(.kind = _i, .workers = 2, .completions = true));
	struct pollfd pfd = { .fd = pt_pool_fd(pool), .events = POLLIN };
	pt_future *f[20], *got;
	int seen[20] = { 0 };
	int n = 0;

	ck_assert_int_ge(pfd.fd, 0);
	ck_assert_int_eq(poll(&pfd, 1, 0), 0);
	PT_ASSERT_ERR(pt_pool_next_done(pool, &got), -EAGAIN);
	for (int i = 0; i < 20; i++)
		f[i] = submit_or_fail(pool, echo, &i, sizeof(i));
	while (n < 20) {
		ck_assert_int_eq(poll(&pfd, 1, 20000), 1);
		while (pt_pool_next_done(pool, &got) == 0) {
			struct pt_result r = wait_or_fail(got);
			int i;

			memcpy(&i, r.data, sizeof(i));
			ck_assert_ptr_eq(got, f[i]);
			seen[i]++;
			n++;
			pt_future_destroy(got);
		}
	}
	for (int i = 0; i < 20; i++) {
		ck_assert_int_eq(seen[i], 1);
		pt_future_destroy(f[i]);
	}
	ck_assert_int_eq(poll(&pfd, 1, 0), 0);
	pt_pool_destroy(pool);
}
END_TEST

START_TEST(invalid_arguments_are_refused)
{
	struct pt_pool_opts bad = PT_POOL_OPTS(.kind = _i, .workers = 1);
	pt_pool *pool = NULL;
	pt_future *f = NULL;
	char big[128] = { 0 };

	bad.kind = 9;
	PT_ASSERT_ERR(pt_pool_create(&bad, &pool), -EINVAL);
	bad = PT_POOL_OPTS(.kind = _i, .when_full = 5);
	PT_ASSERT_ERR(pt_pool_create(&bad, &pool), -EINVAL);
	bad = PT_POOL_OPTS(.kind = _i, .max_arg_bytes = PT_POOL_BYTES_MAX + 1);
	PT_ASSERT_ERR(pt_pool_create(&bad, &pool), -EINVAL);
	bad.size = 0;
	PT_ASSERT_ERR(pt_pool_create(&bad, &pool), -EINVAL);
	ck_assert_ptr_null(pool);
	pool = pool_or_fail(
		PT_POOL_OPTS(.kind = _i, .workers = 1, .max_arg_bytes = 64));
	PT_ASSERT_ERR(pt_pool_submit(pool, echo, big, sizeof(big), &f),
		      -EMSGSIZE);
	PT_ASSERT_ERR(pt_pool_submit(pool, NULL, NULL, 0, &f), -EINVAL);
	PT_ASSERT_ERR(pt_pool_submit(pool, echo, NULL, 4, &f), -EINVAL);
	PT_ASSERT_ERR(pt_pool_fd(pool), -ENOTSUP);
	PT_ASSERT_ERR(pt_pool_next_done(pool, &f), -ENOTSUP);
	ck_assert_ptr_null(f);
	PT_ASSERT_ERR(pt_future_cancel(NULL), -EINVAL);
	ck_assert_str_eq(pt_task_status_name(PT_TASK_CRASHED), "crashed");
	pt_pool_destroy(pool);
	pt_pool_destroy(NULL);
	pt_future_destroy(NULL);
}
END_TEST

/* A registry names tasks for pt_pool_submit_name() with every kind; a bad
 * one is refused at create. PT_MPI needs libprocthread_mpi, which this
 * program does not link: refused as not supported, and never a unit. */
START_TEST(tasks_by_name)
{
	const struct pt_pool_task tasks[] = { { "echo", echo },
					      { "overclaim", overclaim } };
	const struct pt_pool_task twice[] = { { "echo", echo },
					      { "echo", overclaim } };
	struct pt_pool_opts o = PT_POOL_OPTS(.kind = _i, .workers = 1,
					     .tasks = twice, .n_tasks = 2);
	pt_pool *pool = NULL;
	struct pt_result r;
	pt_unit *unit = NULL;
	pt_future *f = NULL;

	PT_ASSERT_ERR(pt_pool_create(&o, &pool), -EINVAL);
	o.tasks = NULL;
	PT_ASSERT_ERR(pt_pool_create(&o, &pool), -EINVAL);
	o = PT_POOL_OPTS(.kind = PT_MPI, .tasks = tasks, .n_tasks = 2);
	PT_ASSERT_ERR(pt_pool_create(&o, &pool), -ENOTSUP);
	ck_assert_ptr_null(pool);
	PT_ASSERT_ERR(
		pt_unit_spawn(&PT_UNIT_OPTS(.kind = PT_MPI), NULL, NULL, &unit),
		-EINVAL);
	ck_assert_str_eq(pt_kind_name(PT_MPI), "mpi");

	pool = pool_or_fail(PT_POOL_OPTS(.kind = _i, .workers = 1,
					 .tasks = tasks, .n_tasks = 2));
	PT_ASSERT_OK(pt_pool_submit_name(pool, "echo", "hi", 3, &f));
	r = wait_or_fail(f);
	ck_assert_int_eq(r.status, PT_TASK_OK);
	ck_assert_str_eq(r.data, "hi");
	pt_future_destroy(f);
	f = NULL;
	PT_ASSERT_ERR(pt_pool_submit_name(pool, "nope", NULL, 0, &f), -ENOENT);
	PT_ASSERT_ERR(pt_pool_submit_name(NULL, "echo", NULL, 0, &f), -EINVAL);
	ck_assert_ptr_null(f);
	/* A registry names tasks; it does not limit a local pool's. */
	f = submit_or_fail(pool, echo, "x", 2);
	r = wait_or_fail(f);
	ck_assert_int_eq(r.status, PT_TASK_OK);
	pt_future_destroy(f);
	pt_pool_destroy(pool);
}
END_TEST

START_TEST(cycles_leave_nothing)
{
	struct pt_ledger before, after;

	/* glibc gives a thread that meets contention a new malloc arena, and
	 * keeps it: a mapping, not a leak. One arena keeps the count ours. */
	mallopt(M_ARENA_MAX, 1);
	/* Warm up: cached thread stacks stay for the next pool. */
	for (int round = 0; round < 4; round++) {
		pt_pool *pool =
			pool_or_fail(PT_POOL_OPTS(.kind = _i, .workers = 2));
		pt_future *f = submit_or_fail(pool, echo, "w", 2);

		wait_or_fail(f);
		pt_future_destroy(f);
		pt_pool_destroy(pool);
		if (round == 2)
			pt_ledger_take(&before);
	}
	for (int i = 0; i < 20; i++) {
		pt_pool *pool =
			pool_or_fail(PT_POOL_OPTS(.kind = _i, .workers = 2));
		pt_future *f = submit_or_fail(pool, echo, "w", 2);

		wait_or_fail(f);
		pt_future_destroy(f);
		pt_pool_destroy(pool);
	}
	pt_ledger_take(&after);
	pt_ledger_assert_same(&before, &after);
}
END_TEST

/* --- process workers: a crash costs one task
 * ------------------------------------- */

static int crash_segv(const void *arg, size_t len, struct pt_task_out *out)
{
	volatile char *page;

	(void)arg;
	(void)len;
	(void)out;
	page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	page[0] = 1;
	return 0;
}

static int crash_abort(const void *arg, size_t len, struct pt_task_out *out)
{
	(void)arg;
	(void)len;
	(void)out;
	abort();
}

/* _exit(), not exit(): in ASan builds exit() runs LeakSanitizer, which
 * sees the heap that fork() copied from the test as leaked and changes the
 * exit status. Either way the worker ends without a result. */
static int exit_3(const void *arg, size_t len, struct pt_task_out *out)
{
	(void)arg;
	(void)len;
	(void)out;
	_exit(3);
}

static int kill_self(const void *arg, size_t len, struct pt_task_out *out)
{
	(void)arg;
	(void)len;
	(void)out;
	raise(SIGKILL);
	return 0;
}

/* Crashes on its first run only (counted in shared memory). */
static int crash_once(const void *arg, size_t len, struct pt_task_out *out)
{
	(void)arg;
	(void)len;
	(void)out;
	if (atomic_fetch_add(&sh->runs, 1) == 0)
		abort();
	return 0;
}

START_TEST(process_crash_costs_one_task)
{
	pt_pool *pool =
		pool_or_fail(PT_POOL_OPTS(.kind = PT_PROCESS, .workers = 2));
	static const struct {
		pt_task_fn *fn;
		enum pt_exit how;
		int signal;
		int exit_code;
	} faults[] = {
		{ crash_segv, PT_EXIT_CRASHED, SIGSEGV, 0 },
		{ crash_abort, PT_EXIT_CRASHED, SIGABRT, 0 },
		{ exit_3, PT_EXIT_EXITED, 0, 3 },
		{ kill_self, PT_EXIT_SIGNALED, SIGKILL, 0 },
	};
	pt_future *ok[40], *bad[4];
	struct pt_pool_stats st;

	for (int i = 0; i < 40; i++) {
		ok[i] = submit_or_fail(pool, echo, "ok", 3);
		if (i % 10 == 5)
			bad[i / 10] = submit_or_fail(pool, faults[i / 10].fn,
						     NULL, 0);
	}
	for (int k = 0; k < 4; k++) {
		struct pt_result r = wait_or_fail(bad[k]);

		ck_assert_int_eq(r.status, PT_TASK_CRASHED);
		ck_assert_int_eq(r.how, faults[k].how);
		ck_assert_int_eq(r.signal, faults[k].signal);
		ck_assert_int_eq(r.exit_code, faults[k].exit_code);
		ck_assert_int_gt(r.worker_pid, 0);
		ck_assert_int_ne(r.worker_pid, getpid());
		ck_assert_uint_eq(r.attempts, 1);
		pt_future_destroy(bad[k]);
	}
	for (int i = 0; i < 40; i++) {
		struct pt_result r = wait_or_fail(ok[i]);

		ck_assert_int_eq(r.status, PT_TASK_OK);
		ck_assert_str_eq(r.data, "ok");
		pt_future_destroy(ok[i]);
	}
	PT_ASSERT_OK(pt_pool_stats(pool, &st));
	ck_assert_uint_eq(st.crashed, 4);
	ck_assert_uint_eq(st.restarts, 4);
	ck_assert_uint_eq(st.ok, 40);
	pt_pool_destroy(pool);
}
END_TEST

START_TEST(retries_restart_a_crashed_task)
{
	pt_pool *pool = pool_or_fail(
		PT_POOL_OPTS(.kind = PT_PROCESS, .workers = 1, .retries = 2));
	struct pt_result r;
	pt_future *f;

	f = submit_or_fail(pool, crash_once, NULL, 0);
	r = wait_or_fail(f);
	ck_assert_int_eq(r.status, PT_TASK_OK);
	ck_assert_uint_eq(r.attempts, 2);
	pt_future_destroy(f);
	f = submit_or_fail(pool, crash_abort, NULL, 0);
	r = wait_or_fail(f);
	ck_assert_int_eq(r.status, PT_TASK_CRASHED);
	ck_assert_uint_eq(r.attempts, 3);
	pt_future_destroy(f);
	pt_pool_destroy(pool);
}
END_TEST

static void thread_pool_crash(void)
{
	struct pt_pool_opts opts =
		PT_POOL_OPTS(.kind = PT_THREAD, .workers = 1);
	pt_pool *pool;
	pt_future *f;
	struct pt_result r;

	if (pt_pool_create(&opts, &pool) ||
	    pt_pool_submit(pool, crash_segv, NULL, 0, &f))
		_exit(100);
	pt_future_wait(f, -1, &r);
	_exit(101); /* reached only if the crash spared the process */
}

START_TEST(thread_crash_ends_the_process)
{
	int wstatus;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		thread_pool_crash();
	ck_assert_int_eq(waitpid(pid, &wstatus, 0), pid);
	ck_assert(WIFSIGNALED(wstatus));
	ck_assert_int_eq(WTERMSIG(wstatus), SIGSEGV);
}
END_TEST

static Suite *pool_suite(void)
{
	Suite *s = suite_create("pool");
	TCase *both = pt_test_tcase("both kinds");
	TCase *differ = pt_test_tcase("kinds differ");
	TCase *procs = pt_test_tcase("processes");
	int kinds = pt_test_kinds_end();

	tcase_add_checked_fixture(both, setup, teardown);
	tcase_add_loop_test(both, oversize_result_is_an_error_not_a_truncation,
			    PT_THREAD, kinds);
	tcase_add_loop_test(both, results_and_errors_round_trip, PT_THREAD,
			    kinds);
	tcase_add_loop_test(both, full_queue_fails_or_blocks, PT_THREAD, kinds);
	tcase_add_loop_test(both, full_queue_blocks_until_room, PT_THREAD,
			    kinds);
	tcase_add_loop_test(both, workers_are_recycled, PT_THREAD, kinds);
	tcase_add_loop_test(both, a_task_can_ask_for_a_new_worker, PT_THREAD,
			    kinds);
	tcase_add_loop_test(both, timeout_resolves_at_the_deadline, PT_THREAD,
			    kinds);
	tcase_add_loop_test(both, cancel_queued_and_running, PT_THREAD, kinds);
	tcase_add_loop_test(both, shutdown_drains, PT_THREAD, kinds);
	tcase_add_loop_test(both, shutdown_cancels_and_stops_at_the_deadline,
			    PT_THREAD, kinds);
	tcase_add_loop_test(both, tasks_by_name, PT_THREAD, kinds);
	tcase_add_loop_test(both, completion_descriptor_plugs_into_poll,
			    PT_THREAD, kinds);
	tcase_add_loop_test(both, invalid_arguments_are_refused, PT_THREAD,
			    kinds);
	tcase_add_loop_test(both, cycles_leave_nothing, PT_THREAD, kinds);
	suite_add_tcase(s, both);

	/* Its worker writes to a page it may not: valgrind rightly calls that
	 * an error, so scripts/valgrind.sh leaves out the tag "crash". */
	tcase_add_checked_fixture(differ, setup, teardown);
	tcase_add_test(differ, thread_crash_ends_the_process);
	tcase_set_tags(differ, "crash");
	suite_add_tcase(s, differ);

	tcase_add_checked_fixture(procs, setup, teardown);
	tcase_add_test(procs, process_crash_costs_one_task);
	tcase_add_test(procs, retries_restart_a_crashed_task);
	tcase_set_tags(procs, "process");
	suite_add_tcase(s, procs);
	return s;
}

PT_TEST_MAIN(pool_suite)
