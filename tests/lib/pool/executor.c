/* test_pool_executor - the cases of CPython's concurrent.futures tests
 * (Lib/test/test_concurrent_futures/) that fit the pool, each named after
 * the case it mirrors: the worker initializer (InitializerMixin,
 * FailingInitializerMixin), shutdown without waiting (ExecutorShutdownTest)
 * and a future's running state (FutureTests). Every body runs for thread
 * and process workers, except where only a process can survive, and the
 * initializer runs once more through the fork-server.
 *
 * Nothing here waits on time: a task or an initializer that must hold
 * waits on a gate in MAP_SHARED memory, made before the pool so that the
 * directly forked workers share it, and the test opens it. */
#include <procthread.h>

#include "support/test.h"
#include "pool_support.h"
#include "support/kinds.h"

#include "support/units.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Per worker: a thread worker's own, a process worker's own copy. */
static _Thread_local char init_status[32];

/* --- initializers and tasks -------------------------------------------------
 */

/* CPython's init(): records the argument as this worker's state. */
static int init_status_from(const void *arg, size_t len)
{
	atomic_fetch_add(&sh->init_runs, 1);
	if (len >= sizeof(init_status))
		return 1;
	memcpy(init_status, arg, len);
	init_status[len] = '\0';
	return 0;
}

/* CPython's get_init_status(). */
static int get_init_status(const void *arg, size_t len, struct pt_task_out *out)
{
	(void)arg;
	(void)len;
	out->len = strlen(init_status);
	memcpy(out->data, init_status, out->len);
	return 0;
}

static int report_parent(const void *arg, size_t len, struct pt_task_out *out)
{
	pid_t parent = getppid();

	(void)arg;
	(void)len;
	memcpy(out->data, &parent, sizeof(parent));
	out->len = sizeof(parent);
	return 0;
}

static int nothing(const void *arg, size_t len, struct pt_task_out *out)
{
	(void)arg;
	(void)len;
	(void)out;
	return 0;
}

/* --- helpers
 * ------------------------------------------------------------------
 */

/* Polls a counter the workers raise; the bound only ends a hung test. */
static void await_count(atomic_int *count, int n)
{
	for (int i = 0; atomic_load(count) < n; i++) {
		ck_assert_msg(i < 120000, "workers never got there");
		usleep(500);
	}
}

/* Waits until nothing is left in the pool's queue: taken by a worker. */
static void await_taken(pt_pool *pool)
{
	struct pt_pool_stats st;

	for (int i = 0;; i++) {
		PT_ASSERT_OK(pt_pool_get_stats(pool, &st));
		if (st.queued == 0)
			return;
		ck_assert_msg(i < 120000, "the task was never taken");
		usleep(500);
	}
}

/* --- InitializerMixin
 * ---------------------------------------------------------
 */

/* Every task sees the state its worker's initializer set up. */
START_TEST(test_initializer)
{
	pt_pool *pool = pool_or_fail(
		PT_POOL_OPTS(.kind = _i, .workers = 2,
			     .initializer = init_status_from,
			     .init_arg = "initialized", .init_arg_len = 11));
	pt_future *f[8];

	for (int i = 0; i < 8; i++)
		f[i] = submit_or_fail(pool, get_init_status, NULL, 0);
	for (int i = 0; i < 8; i++) {
		struct pt_result r = wait_or_fail(f[i]);

		ck_assert_int_eq(r.status, PT_TASK_OK);
		ck_assert_uint_eq(r.len, 11);
		ck_assert_mem_eq(r.data, "initialized", 11);
		pt_future_destroy(f[i]);
	}
	PT_ASSERT_OK(pt_pool_shutdown(pool, PT_POOL_SHUTDOWN_DRAIN, -1));
	ck_assert_int_le(atomic_load(&sh->init_runs), 2);
	pt_pool_destroy(pool);
}
END_TEST

/* A replacement worker (max_tasks_per_worker; CPython's
 * test_max_tasks_per_child) runs the initializer too, before its first
 * task: each of these tasks runs on a fresh worker. */
START_TEST(test_initializer_in_replacement_workers)
{
	pt_pool *pool = pool_or_fail(
		PT_POOL_OPTS(.kind = _i, .workers = 1,
			     .max_tasks_per_worker = 1,
			     .initializer = init_status_from,
			     .init_arg = "again", .init_arg_len = 5));

	for (int i = 0; i < 4; i++) {
		pt_future *f = submit_or_fail(pool, get_init_status, NULL, 0);
		struct pt_result r = wait_or_fail(f);

		ck_assert_int_eq(r.status, PT_TASK_OK);
		ck_assert_uint_eq(r.len, 5);
		ck_assert_mem_eq(r.data, "again", 5);
		pt_future_destroy(f);
	}
	ck_assert_int_ge(atomic_load(&sh->init_runs), 4);
	pt_pool_destroy(pool);
}
END_TEST

/* An older, smaller options struct reads as no initializer. */
START_TEST(test_initializer_absent_in_an_older_opts)
{
	struct pt_pool_opts opts = PT_POOL_OPTS(.kind = _i, .workers = 1,
						.initializer = init_fail_gated);
	pt_pool *pool = NULL;
	pt_future *f;

	opts.size = offsetof(struct pt_pool_opts, initializer);
	PT_ASSERT_OK(pt_pool_create(&opts, &pool));
	f = submit_or_fail(pool, nothing, NULL, 0);
	ck_assert_int_eq(wait_or_fail(f).status, PT_TASK_OK);
	ck_assert_int_eq(atomic_load(&sh->init_runs), 0);
	pt_future_destroy(f);
	pt_pool_destroy(pool);
}
END_TEST

/* The initializer's argument is bounded like a task's, and copied. */
START_TEST(test_initializer_arg_is_bounded_and_copied)
{
	struct pt_pool_opts opts =
		PT_POOL_OPTS(.kind = _i, .workers = 1, .max_arg_bytes = 8,
			     .initializer = init_status_from,
			     .init_arg = "123456789", .init_arg_len = 9);
	char arg[] = "copied";
	pt_pool *pool = NULL;
	struct pt_result r;
	pt_future *f;

	PT_ASSERT_ERR(pt_pool_create(&opts, &pool), -EINVAL);
	opts.init_arg = NULL;
	opts.init_arg_len = 1;
	PT_ASSERT_ERR(pt_pool_create(&opts, &pool), -EINVAL);
	opts.init_arg = arg;
	opts.init_arg_len = 6;
	PT_ASSERT_OK(pt_pool_create(&opts, &pool));
	memset(arg, 'x', sizeof(arg) - 1);
	f = submit_or_fail(pool, get_init_status, NULL, 0);
	r = wait_or_fail(f);
	ck_assert_uint_eq(r.len, 6);
	ck_assert_mem_eq(r.data, "copied", 6);
	pt_future_destroy(f);
	pt_pool_destroy(pool);
}
END_TEST

/* --- FailingInitializerMixin
 * --------------------------------------------------
 */

/* Submits n tasks while the initializers are held, lets them fail, and
 * checks that every task resolved PT_TASK_INIT_FAILED, that the pool is
 * broken and that no worker was started again. Returns the last result. */
static struct pt_result submit_then_break(pt_pool *pool, unsigned workers)
{
	struct pt_result r = { 0 };
	pt_future *f[6], *late = NULL;

	for (int i = 0; i < 6; i++)
		f[i] = submit_or_fail(pool, nothing, NULL, 0);
	atomic_store(&sh->init_gate, 1);
	for (int i = 0; i < 6; i++) {
		r = wait_or_fail(f[i]);
		ck_assert_str_eq(pt_task_status_name(r.status), "init-failed");
		ck_assert_uint_eq(r.attempts, 0);
		ck_assert_uint_eq(r.started_ns, 0);
		pt_future_destroy(f[i]);
	}
	/* Broken: later tasks are refused (CPython: BrokenExecutor). */
	PT_ASSERT_ERR(pt_pool_submit(pool, nothing, NULL, 0, &late),
		      -ENOTRECOVERABLE);
	ck_assert_ptr_null(late);
	PT_ASSERT_OK(pt_pool_shutdown(pool, PT_POOL_SHUTDOWN_DRAIN, -1));
	/* No restart loop: each worker ran the initializer at most once. */
	ck_assert_int_ge(atomic_load(&sh->init_runs), 1);
	ck_assert_int_le(atomic_load(&sh->init_runs), (int)workers);
	return r;
}

/* CPython's FailingInitializerMixin.test_initializer: the initializer
 * fails, the tasks that could not run say so, the pool is broken. */
START_TEST(test_initializer_failing)
{
	pt_pool *pool =
		pool_or_fail(PT_POOL_OPTS(.kind = _i, .workers = 2,
					  .initializer = init_fail_gated));
	struct pt_result r = submit_then_break(pool, 2);

	ck_assert_int_eq(r.error, 42);
	pt_pool_destroy(pool);
}
END_TEST

/* An initializer that crashes its worker process breaks the pool the
 * same way, with the cause of death (in a thread it ends the process). */
START_TEST(test_initializer_crashing)
{
	pt_pool *pool =
		pool_or_fail(PT_POOL_OPTS(.kind = PT_KIND_PROCESS, .workers = 2,
					  .initializer = init_crash_gated));
	struct pt_result r = submit_then_break(pool, 2);

	ck_assert_int_eq(r.error, 0);
	ck_assert_int_eq(r.how, PT_EXIT_CRASHED);
	ck_assert_int_eq(r.signal, SIGABRT);
	pt_pool_destroy(pool);
}
END_TEST

/* Destroying a pool whose initializer failed resolves what it holds. */
START_TEST(test_initializer_failing_then_destroy)
{
	pt_pool *pool =
		pool_or_fail(PT_POOL_OPTS(.kind = _i, .workers = 1,
					  .initializer = init_fail_gated));
	pt_future *f = submit_or_fail(pool, nothing, NULL, 0);

	atomic_store(&sh->init_gate, 1);
	pt_pool_destroy(pool);
	ck_assert(pt_future_done(f));
	pt_future_destroy(f);
}
END_TEST

/* Through the fork-server, which forks workers from its own image: the
 * initializer's argument travels as bytes, and the gate (mapped before
 * the server starts) is shared all the same. */
START_TEST(test_initializer_via_forkserver)
{
	pt_pool *pool;
	pt_future *f;
	struct pt_result r;

	PT_ASSERT_OK(pt_forkserver_start());
	pool = pool_or_fail(PT_POOL_OPTS(.kind = PT_KIND_PROCESS, .workers = 2,
					 .initializer = init_status_from,
					 .init_arg = "served",
					 .init_arg_len = 6));
	f = submit_or_fail(pool, get_init_status, NULL, 0);
	r = wait_or_fail(f);
	ck_assert_int_eq(r.status, PT_TASK_OK);
	ck_assert_uint_eq(r.len, 6);
	ck_assert_mem_eq(r.data, "served", 6);
	pt_future_destroy(f);
	/* The server forked the worker that ran it. */
	f = submit_or_fail(pool, report_parent, NULL, 0);
	r = wait_or_fail(f);
	ck_assert_int_eq(r.status, PT_TASK_OK);
	ck_assert_int_eq(*(const pid_t *)r.data, pt_forkserver_pid());
	pt_future_destroy(f);
	pt_pool_destroy(pool);
	PT_ASSERT_OK(pt_forkserver_stop());
}
END_TEST

START_TEST(test_initializer_failing_via_forkserver)
{
	pt_pool *pool;

	PT_ASSERT_OK(pt_forkserver_start());
	pool = pool_or_fail(PT_POOL_OPTS(.kind = PT_KIND_PROCESS, .workers = 2,
					 .initializer = init_fail_gated));
	ck_assert_int_eq(submit_then_break(pool, 2).error, 42);
	pt_pool_destroy(pool);
	PT_ASSERT_OK(pt_forkserver_stop());
}
END_TEST

/* --- ExecutorShutdownTest ---------------------------------------------------
 */

/* CPython's test_shutdown_no_wait: shutdown(wait=False) returns while the
 * tasks are held, and they all still finish. */
START_TEST(test_shutdown_no_wait)
{
	pt_pool *pool = pool_or_fail(PT_POOL_OPTS(.kind = _i, .workers = 2));
	pt_future *f[5], *late = NULL;

	for (int i = 0; i < 5; i++)
		f[i] = submit_or_fail(pool, gated, NULL, 0);
	await_count(&sh->waiting, 2);
	/* Held on the gate, the tasks cannot finish: a shutdown that
	 * waited would never return. */
	PT_ASSERT_OK(pt_pool_shutdown(
		pool, PT_POOL_SHUTDOWN_DRAIN | PT_POOL_SHUTDOWN_NOWAIT, -1));
	PT_ASSERT_ERR(pt_pool_submit(pool, nothing, NULL, 0, &late),
		      -ESHUTDOWN);
	PT_ASSERT_ERR(pt_pool_shutdown(pool,
				       PT_POOL_SHUTDOWN_DRAIN |
					       PT_POOL_SHUTDOWN_NOWAIT,
				       -1),
		      -EALREADY);
	ck_assert(!pt_future_done(f[4]));
	atomic_store(&sh->gate, 1);
	for (int i = 0; i < 5; i++) {
		ck_assert_int_eq(wait_or_fail(f[i]).status, PT_TASK_OK);
		pt_future_destroy(f[i]);
	}
	PT_ASSERT_OK(pt_pool_wait_all(pool, 0));
	/* A waiting shutdown after it reaps, once. */
	PT_ASSERT_OK(pt_pool_shutdown(pool, PT_POOL_SHUTDOWN_DRAIN, -1));
	PT_ASSERT_ERR(pt_pool_shutdown(pool, PT_POOL_SHUTDOWN_DRAIN, -1),
		      -EALREADY);
	pt_pool_destroy(pool);
}
END_TEST

/* CPython's test_cancel_futures_wait_false: the queue is dropped at once,
 * what runs finishes in the background. */
START_TEST(test_cancel_futures_wait_false)
{
	pt_pool *pool = pool_or_fail(PT_POOL_OPTS(.kind = _i, .workers = 1));
	pt_future *running, *queued[4];

	running = submit_or_fail(pool, gated, NULL, 0);
	await_count(&sh->waiting, 1);
	for (int i = 0; i < 4; i++)
		queued[i] = submit_or_fail(pool, gated, NULL, 0);
	PT_ASSERT_OK(pt_pool_shutdown(
		pool, PT_POOL_SHUTDOWN_CANCEL | PT_POOL_SHUTDOWN_NOWAIT, -1));
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(wait_or_fail(queued[i]).status,
				 PT_TASK_SHUTDOWN);
		pt_future_destroy(queued[i]);
	}
	ck_assert(!pt_future_done(running));
	atomic_store(&sh->gate, 1);
	ck_assert_int_eq(wait_or_fail(running).status, PT_TASK_OK);
	pt_future_destroy(running);
	pt_pool_destroy(pool);
}
END_TEST

/* Shutdown without waiting, then destroy while tasks still hold: destroy
 * stops them and every future resolves (CPython's
 * test_interpreter_shutdown, without the interpreter). */
START_TEST(test_shutdown_no_wait_then_destroy)
{
	pt_pool *pool = pool_or_fail(PT_POOL_OPTS(.kind = _i, .workers = 1));
	pt_future *f[3];

	for (int i = 0; i < 3; i++)
		f[i] = submit_or_fail(pool, gated, NULL, 0);
	await_count(&sh->waiting, 1);
	PT_ASSERT_OK(pt_pool_shutdown(
		pool, PT_POOL_SHUTDOWN_DRAIN | PT_POOL_SHUTDOWN_NOWAIT, -1));
	pt_pool_destroy(pool);
	for (int i = 0; i < 3; i++) {
		struct pt_result r = wait_or_fail(f[i]);

		ck_assert_int_eq(r.status, PT_TASK_SHUTDOWN);
		pt_future_destroy(f[i]);
	}
}
END_TEST

START_TEST(test_shutdown_no_wait_refuses_a_deadline)
{
	pt_pool *pool = pool_or_fail(PT_POOL_OPTS(.kind = _i, .workers = 1));

	PT_ASSERT_ERR(pt_pool_shutdown(pool,
				       PT_POOL_SHUTDOWN_DRAIN |
					       PT_POOL_SHUTDOWN_NOWAIT,
				       0),
		      -EINVAL);
	PT_ASSERT_ERR(pt_pool_shutdown(pool, PT_POOL_SHUTDOWN_NOWAIT, -1),
		      -EINVAL);
	pt_pool_destroy(pool);
}
END_TEST

/* --- FutureTests
 * ----------------------------------------------------------------
 */

/* CPython's test_running (future.running()) and test_done, on a pool: a
 * started task runs, the one behind it waits, both end done. */
START_TEST(test_running)
{
	pt_pool *pool = pool_or_fail(PT_POOL_OPTS(.kind = _i, .workers = 1));
	pt_future *first, *second;

	first = submit_or_fail(pool, gated, NULL, 0);
	second = submit_or_fail(pool, gated, NULL, 0);
	await_count(&sh->waiting, 1);
	ck_assert_int_eq(pt_future_state(first), PT_FUTURE_RUNNING);
	/* Queued, or sent ahead to the busy worker process: not running. */
	ck_assert_int_eq(pt_future_state(second), PT_FUTURE_QUEUED);
	atomic_store(&sh->gate, 1);
	wait_or_fail(first);
	wait_or_fail(second);
	ck_assert_int_eq(pt_future_state(first), PT_FUTURE_DONE);
	ck_assert_int_eq(pt_future_state(second), PT_FUTURE_DONE);
	PT_ASSERT_ERR(pt_future_state(NULL), -EINVAL);
	pt_future_destroy(first);
	pt_future_destroy(second);
	pt_pool_destroy(pool);
}
END_TEST

/* A task given to a worker that still runs its initializer is not running
 * yet - a process worker has been sent it already. */
START_TEST(test_running_waits_for_the_initializer)
{
	pt_pool *pool =
		pool_or_fail(PT_POOL_OPTS(.kind = _i, .workers = 1,
					  .initializer = init_ok_gated));
	pt_future *f = submit_or_fail(pool, gated, NULL, 0);

	await_count(&sh->init_runs, 1);
	/* A process worker's proxy sends the task while the worker is in
	 * its initializer: wait for that, the case that matters. */
	if (_i == PT_KIND_PROCESS)
		await_taken(pool);
	ck_assert_int_eq(pt_future_state(f), PT_FUTURE_QUEUED);
	atomic_store(&sh->init_gate, 1);
	await_count(&sh->waiting, 1);
	ck_assert_int_eq(pt_future_state(f), PT_FUTURE_RUNNING);
	atomic_store(&sh->gate, 1);
	ck_assert_int_eq(wait_or_fail(f).status, PT_TASK_OK);
	ck_assert_int_eq(pt_future_state(f), PT_FUTURE_DONE);
	pt_future_destroy(f);
	pt_pool_destroy(pool);
}
END_TEST

/* CPython's test_cancelled: a cancelled future is done, never running. */
START_TEST(test_running_then_cancelled)
{
	pt_pool *pool = pool_or_fail(PT_POOL_OPTS(.kind = _i, .workers = 1));
	pt_future *f = submit_or_fail(pool, gated, NULL, 0);

	await_count(&sh->waiting, 1);
	ck_assert_int_eq(pt_future_state(f), PT_FUTURE_RUNNING);
	PT_ASSERT_OK(pt_future_cancel(f));
	ck_assert_int_eq(pt_future_state(f), PT_FUTURE_DONE);
	ck_assert_int_eq(wait_or_fail(f).status, PT_TASK_CANCELLED);
	pt_future_destroy(f);
	pt_pool_destroy(pool);
}
END_TEST

static Suite *executor_suite(void)
{
	return PT_TEST_SUITE(
		"pool executor",
		{ "both kinds",
		  .for_kinds = PT_TESTS(
			  test_initializer,
			  test_initializer_in_replacement_workers,
			  test_initializer_absent_in_an_older_opts,
			  test_initializer_arg_is_bounded_and_copied,
			  test_initializer_failing,
			  test_initializer_failing_then_destroy,
			  test_shutdown_no_wait, test_cancel_futures_wait_false,
			  test_shutdown_no_wait_then_destroy,
			  test_shutdown_no_wait_refuses_a_deadline,
			  test_running, test_running_waits_for_the_initializer,
			  test_running_then_cancelled),
		  .setup = setup, .teardown = teardown },
		{ "processes",
		  .once = PT_TESTS(test_initializer_crashing,
				   test_initializer_via_forkserver,
				   test_initializer_failing_via_forkserver),
		  .setup = setup, .teardown = teardown, .tags = "process" });
}

PT_TEST_MAIN(executor_suite)
