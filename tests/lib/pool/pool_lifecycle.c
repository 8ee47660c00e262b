/* test_pool_lifecycle - pools: cancel, shutdown, the completion
 * descriptor, tasks by name, invalid arguments, and cycles that leave
 * nothing: every body runs for thread and process workers (the loop index
 * is the kind), except where the kinds must differ: a crash in a process
 * worker costs one task, in a thread worker the whole process. */
#include <procthread.h>

#include "support/test.h"
#include "pool_support.h"
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
	PT_ASSERT_OK(pt_pool_shutdown(pool, PT_POOL_SHUTDOWN_DRAIN, -1));
	for (int i = 0; i < 50; i++) {
		ck_assert_int_eq(wait_or_fail(f[i]).status, PT_TASK_OK);
		pt_future_destroy(f[i]);
	}
	PT_ASSERT_ERR(pt_pool_submit(pool, echo, "x", 2, &late), -ESHUTDOWN);
	PT_ASSERT_ERR(pt_pool_shutdown(pool, PT_POOL_SHUTDOWN_DRAIN, -1),
		      -EALREADY);
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
	PT_ASSERT_ERR(pt_pool_shutdown(pool, PT_POOL_SHUTDOWN_CANCEL, 100),
		      -ETIMEDOUT);
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
 * one is refused at create. PT_KIND_MPI needs libprocthread_mpi, which this
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
	o = PT_POOL_OPTS(.kind = PT_KIND_MPI, .tasks = tasks, .n_tasks = 2);
	PT_ASSERT_ERR(pt_pool_create(&o, &pool), -ENOTSUP);
	ck_assert_ptr_null(pool);
	PT_ASSERT_ERR(pt_unit_spawn(&PT_UNIT_OPTS(.kind = PT_KIND_MPI), NULL,
				    NULL, &unit),
		      -EINVAL);
	ck_assert_str_eq(pt_kind_name(PT_KIND_MPI), "mpi");

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

/* One pool's life: two workers of kind, one task, destroyed. */
static void one_cycle(enum pt_kind kind)
{
	pt_pool *pool = pool_or_fail(PT_POOL_OPTS(.kind = kind, .workers = 2));
	pt_future *f = submit_or_fail(pool, echo, "w", 2);

	wait_or_fail(f);
	pt_future_destroy(f);
	pt_pool_destroy(pool);
}

START_TEST(cycles_leave_nothing)
{
	struct pt_ledger before, after;

	/* glibc gives a thread that meets contention a new malloc arena, and
	 * keeps it: a mapping, not a leak. One arena keeps the count ours. */
	mallopt(M_ARENA_MAX, 1);
	/* Warm up: cached thread stacks stay for the next pool. */
	for (int round = 0; round < 4; round++) {
		one_cycle(_i);
		if (round == 2)
			pt_ledger_take(&before);
	}
	for (int i = 0; i < 20; i++)
		one_cycle(_i);
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
	pt_pool *pool = pool_or_fail(
		PT_POOL_OPTS(.kind = PT_KIND_PROCESS, .workers = 2));
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
	PT_ASSERT_OK(pt_pool_get_stats(pool, &st));
	ck_assert_uint_eq(st.crashed, 4);
	ck_assert_uint_eq(st.restarts, 4);
	ck_assert_uint_eq(st.ok, 40);
	pt_pool_destroy(pool);
}
END_TEST

START_TEST(retries_restart_a_crashed_task)
{
	pt_pool *pool = pool_or_fail(PT_POOL_OPTS(.kind = PT_KIND_PROCESS,
						  .workers = 1, .retries = 2));
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
		PT_POOL_OPTS(.kind = PT_KIND_THREAD, .workers = 1);
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
	pid_t pid = pt_test_fork();

	if (pid == 0)
		thread_pool_crash();
	ck_assert_int_eq(waitpid(pid, &wstatus, 0), pid);
	ck_assert(WIFSIGNALED(wstatus));
	ck_assert_int_eq(WTERMSIG(wstatus), SIGSEGV);
}
END_TEST

static Suite *pool_lifecycle_suite(void)
{
	return PT_TEST_SUITE(
		"pool_lifecycle",
		{ "both kinds",
		  .for_kinds = PT_TESTS(
			  cancel_queued_and_running, shutdown_drains,
			  shutdown_cancels_and_stops_at_the_deadline,
			  tasks_by_name, completion_descriptor_plugs_into_poll,
			  invalid_arguments_are_refused, cycles_leave_nothing),
		  .setup = setup, .teardown = teardown },
		{ "kinds differ",
		  .once = PT_TESTS(thread_crash_ends_the_process),
		  .setup = setup, .teardown = teardown, .tags = "crash" },
		{ "processes",
		  .once = PT_TESTS(process_crash_costs_one_task,
				   retries_restart_a_crashed_task),
		  .setup = setup, .teardown = teardown, .tags = "process" });
}

PT_TEST_MAIN(pool_lifecycle_suite)
