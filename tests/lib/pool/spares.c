/* test_pool_spares - what pool.h promises of opts.spares, a process pool's
 * workers kept started and idle:
 * - a slot whose worker crashed or retired takes a spare at once (its
 *   next task runs in a process that was there before the crash), and a
 *   new spare starts in the background;
 * - a spare killed while it waits costs no task;
 * - a failing initializer breaks the pool once, spares or not: no spare is
 *   started in a loop;
 * - pt_pool_await_spares() returns once every spare is past its
 *   initializer, and says when none will be;
 * - the spares end with the pool (the ledger fixture checks children and
 *   descriptors around every test), out-of-range values are refused, and
 *   other kinds ignore the option.
 * A spare is found as a child of this process named like the pool's
 * workers (pools here fork directly: no fork-server runs). Every wait is
 * bounded: a hang fails the test. */
#include <procthread.h>

#include "support/test.h"
#include "pool_support.h"
#include "support/ledger.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WORKER_NAME "pt-spare-test"
#define MAX_KIDS    16

/* This process's children named WORKER_NAME (each thread's children:
 * the pool's proxies and its spare maker fork them); how many. */
static size_t workers_now(pid_t *out, size_t max)
{
	int kids[64], n = pt_ledger_children(kids, 64);
	size_t found = 0;

	ck_assert_int_ge(n, 0);
	for (int k = 0; k < n && k < 64; k++) {
		char path[32], comm[32];
		FILE *c;

		snprintf(path, sizeof(path), "/proc/%d/comm", kids[k]);
		c = fopen(path, "re");
		if (!c)
			continue;
		if (fgets(comm, sizeof(comm), c) &&
		    !strncmp(comm, WORKER_NAME, strlen(WORKER_NAME)) &&
		    found < max)
			out[found++] = kids[k];
		fclose(c);
	}
	return found;
}

static bool in(pid_t pid, const pid_t *set, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (set[k] == pid)
			return true;
	return false;
}

/* Waits until n workers (slots' and spares') are alive, gone (0: any)
 * not among them; 10 s at most. */
static void await_workers_without(size_t n, pid_t gone, pid_t *out)
{
	for (int i = 0; i < 10000; i++) {
		if (workers_now(out, MAX_KIDS) == n && !in(gone, out, n))
			return;
		usleep(1000);
	}
	ck_abort_msg("never %zu workers without %d (%zu now)", n, (int)gone,
		     workers_now(out, MAX_KIDS));
}

static void await_workers(size_t n, pid_t *out)
{
	await_workers_without(n, 0, out);
}

static pt_pool *spare_pool(unsigned spares, uint32_t max_tasks)
{
	return pool_or_fail(PT_POOL_OPTS(.kind = PT_KIND_PROCESS, .workers = 1,
					 .spares = spares,
					 .max_tasks_per_worker = max_tasks,
					 .name = WORKER_NAME));
}

/* The pid of the worker that runs the next task. */
static pid_t next_worker(pt_pool *pool)
{
	pt_future *f = submit_or_fail(pool, echo, "x", 1);
	struct pt_result r = wait_or_fail(f);

	ck_assert_int_eq(r.status, PT_TASK_OK);
	pt_future_destroy(f);
	return r.worker_pid;
}

/* A crash: the next task runs in the spare that was ready before it,
 * and a new spare follows. */
START_TEST(spare_takes_a_crashed_workers_place)
{
	pt_pool *pool = spare_pool(1, 0);
	pid_t before[MAX_KIDS], after[MAX_KIDS], first, second;
	pt_future *f;

	first = next_worker(pool);
	/* Ready, not only forked: the maker hands a spare over once it is
	 * started, and a crash reported by its worker comes quickly. */
	PT_ASSERT_OK(pt_pool_await_spares(pool, 10000));
	await_workers(2, before);
	ck_assert(in(first, before, 2));
	f = submit_or_fail(pool, crash_abort, NULL, 0);
	ck_assert_int_eq(wait_or_fail(f).status, PT_TASK_CRASHED);
	pt_future_destroy(f);
	second = next_worker(pool);
	ck_assert_int_ne(second, first);
	ck_assert_msg(in(second, before, 2),
		      "worker %d after the crash was not the spare", second);
	/* The crashed worker is reaped, by the spares' maker: it may still
	 * be dying when its task has resolved (process_serve.c). */
	await_workers_without(2, first, after);
	ck_assert(in(second, after, 2));
	pt_pool_destroy(pool);
}
END_TEST

/* Every task of max_tasks_per_worker = 1 gets a new worker: each one a
 * spare, and a spare is ready again behind it. */
START_TEST(recycled_workers_come_from_the_spares)
{
	pt_pool *pool = spare_pool(2, 1);
	pid_t ready[MAX_KIDS], last = 0;

	for (int i = 0; i < 10; i++) {
		pid_t pid;

		await_workers(3, ready);
		pid = next_worker(pool);
		ck_assert_int_ne(pid, last);
		ck_assert(in(pid, ready, 3));
		last = pid;
	}
	pt_pool_destroy(pool);
}
END_TEST

/* kill -9 of the spare while it waits: the crash that follows costs its
 * task only, and the pool goes on. */
START_TEST(a_killed_spare_costs_no_task)
{
	pt_pool *pool = spare_pool(1, 0);
	pid_t kids[MAX_KIDS], worker = next_worker(pool), spare;
	struct pt_pool_stats st;
	pt_future *f;

	await_workers(2, kids);
	spare = kids[0] == worker ? kids[1] : kids[0];
	ck_assert_int_eq(kill(spare, SIGKILL), 0);
	f = submit_or_fail(pool, crash_abort, NULL, 0);
	ck_assert_int_eq(wait_or_fail(f).status, PT_TASK_CRASHED);
	pt_future_destroy(f);
	for (int i = 0; i < 5; i++)
		ck_assert_int_ne(next_worker(pool), spare);
	PT_ASSERT_OK(pt_pool_get_stats(pool, &st));
	ck_assert_uint_eq(st.crashed, 1);
	ck_assert_uint_eq(st.ok, 6);
	pt_pool_destroy(pool);
}
END_TEST

/* The initializer fails in the first worker and in the spares: the pool
 * breaks once, every task resolves as PT_TASK_INIT_FAILED, and nothing
 * starts workers in a loop. */
START_TEST(failing_initializer_with_spares_breaks_the_pool_once)
{
	pt_pool *pool = pool_or_fail(
		PT_POOL_OPTS(.kind = PT_KIND_PROCESS, .workers = 1, .spares = 2,
			     .initializer = init_fail_gated,
			     .name = WORKER_NAME));
	pt_future *f[4];
	int runs;

	for (int i = 0; i < 4; i++)
		f[i] = submit_or_fail(pool, echo, "x", 1);
	atomic_store(&sh->init_gate, 1);
	for (int i = 0; i < 4; i++) {
		struct pt_result r = wait_or_fail(f[i]);

		ck_assert_int_eq(r.status, PT_TASK_INIT_FAILED);
		ck_assert_int_eq(r.error, 42);
		pt_future_destroy(f[i]);
	}
	PT_ASSERT_ERR(pt_pool_submit(pool, echo, "x", 1, &f[0]),
		      -ENOTRECOVERABLE);
	pt_pool_destroy(pool);
	/* The slot's worker, the two spares, and at most one more that a
	 * spare's taking asked for before the pool broke. */
	runs = atomic_load(&sh->init_runs);
	ck_assert_msg(runs >= 1 && runs <= 4, "%d initializer runs", runs);
}
END_TEST

/* pt_pool_await_spares() returns once every spare is past its
 * initializer, not before; then they are all there. */
START_TEST(await_spares_returns_once_they_are_ready)
{
	pt_pool *pool = pool_or_fail(PT_POOL_OPTS(.kind = PT_KIND_PROCESS,
						  .workers = 1, .spares = 2,
						  .initializer = init_ok_gated,
						  .name = WORKER_NAME));
	pid_t kids[MAX_KIDS];

	PT_ASSERT_ERR(pt_pool_await_spares(pool, 50), -ETIMEDOUT);
	atomic_store(&sh->init_gate, 1);
	PT_ASSERT_OK(pt_pool_await_spares(pool, 10000));
	ck_assert_uint_eq(workers_now(kids, MAX_KIDS), 3);
	ck_assert_int_eq(atomic_load(&sh->init_runs), 3);
	PT_ASSERT_OK(pt_pool_shutdown(pool, PT_POOL_SHUTDOWN_DRAIN, 10000));
	PT_ASSERT_ERR(pt_pool_await_spares(pool, 0), -ESHUTDOWN);
	pt_pool_destroy(pool);
	PT_ASSERT_ERR(pt_pool_await_spares(NULL, 0), -EINVAL);
}
END_TEST

/* A broken pool starts no spare again: waiting for one says so at once
 * instead of running out its time. */
START_TEST(await_spares_says_a_broken_pool_never_warms)
{
	pt_pool *pool = pool_or_fail(
		PT_POOL_OPTS(.kind = PT_KIND_PROCESS, .workers = 1, .spares = 1,
			     .initializer = init_fail_gated,
			     .name = WORKER_NAME));
	pt_future *f = submit_or_fail(pool, echo, "x", 1);

	atomic_store(&sh->init_gate, 1);
	ck_assert_int_eq(wait_or_fail(f).status, PT_TASK_INIT_FAILED);
	pt_future_destroy(f);
	PT_ASSERT_ERR(pt_pool_await_spares(pool, 10000), -ENOTRECOVERABLE);
	pt_pool_destroy(pool);
}
END_TEST

/* Through the fork-server the spares are its children, started the same
 * way: a crash is taken over and a spare is ready again. */
START_TEST(spares_work_through_the_forkserver)
{
	pt_pool *pool;
	pt_future *f;
	pid_t first, second;

	PT_ASSERT_OK(pt_forkserver_start());
	pool = spare_pool(1, 0);
	PT_ASSERT_OK(pt_pool_await_spares(pool, 10000));
	first = next_worker(pool);
	f = submit_or_fail(pool, crash_abort, NULL, 0);
	ck_assert_int_eq(wait_or_fail(f).status, PT_TASK_CRASHED);
	pt_future_destroy(f);
	second = next_worker(pool);
	ck_assert_int_ne(second, first);
	PT_ASSERT_OK(pt_pool_await_spares(pool, 10000));
	pt_pool_destroy(pool);
	PT_ASSERT_OK(pt_forkserver_stop());
}
END_TEST

START_TEST(spares_out_of_range_are_refused)
{
	struct pt_pool_opts opts =
		PT_POOL_OPTS(.kind = PT_KIND_PROCESS, .workers = 1,
			     .spares = PT_POOL_SPARES_MAX + 1);
	pt_pool *pool = NULL;

	PT_ASSERT_ERR(pt_pool_create(&opts, &pool), -EINVAL);
	ck_assert_ptr_null(pool);
}
END_TEST

/* A thread pool has nothing to keep ready: the option is ignored, so one
 * flag switches a program between kinds. */
START_TEST(thread_pools_ignore_spares)
{
	pt_pool *pool =
		pool_or_fail(PT_POOL_OPTS(.kind = PT_KIND_THREAD, .workers = 1,
					  .spares = 2, .name = WORKER_NAME));
	pid_t kids[MAX_KIDS];

	ck_assert_int_eq(next_worker(pool), getpid());
	ck_assert_uint_eq(workers_now(kids, MAX_KIDS), 0);
	PT_ASSERT_OK(pt_pool_await_spares(pool, 0));
	pt_pool_destroy(pool);
}
END_TEST

static Suite *pool_spares_suite(void)
{
	return PT_TEST_SUITE(
		"pool_spares",
		{ "spares",
		  .once = PT_TESTS(
			  spare_takes_a_crashed_workers_place,
			  recycled_workers_come_from_the_spares,
			  a_killed_spare_costs_no_task,
			  failing_initializer_with_spares_breaks_the_pool_once,
			  await_spares_returns_once_they_are_ready,
			  await_spares_says_a_broken_pool_never_warms,
			  spares_work_through_the_forkserver,
			  spares_out_of_range_are_refused,
			  thread_pools_ignore_spares),
		  .setup = setup, .teardown = teardown, .timeout_s = 60,
		  .tags = "process" });
}

PT_TEST_MAIN(pool_spares_suite)
