/* test_pool_crash_report - a process worker's crash told by the worker
 * itself (process_serve.c): its handler for the crash signals sends the
 * running task's reply, flagged crashed, before the process dies, so the
 * task resolves without waiting for the kernel to tear the process down.
 * What pool.h promises of a crash must hold all the same:
 * - the task resolves once, crashed with its signal, and no other task is
 *   touched (a crash sent with kill() as much as a fault; the process
 *   never goes on after the handler);
 * - a thread of the task that crashes after the task returned costs no
 *   result: the task resolves with what it returned;
 * - a task's own handler for a crash signal takes precedence;
 * - a stack overflow is a crash like any other;
 * - with spares, the crashed worker is still reaped (the ledger fixture
 *   checks children and descriptors around every test).
 * Every wait is bounded: a hang fails the test. */
#include <procthread.h>

#include "support/test.h"
#include "pool_support.h"

#include <check.h>
#include <errno.h>
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

/* TSan ends a child forked from a threaded parent that starts a thread
 * (die_after_fork), and runs no handler there: the tests whose tasks
 * start threads say so and pass. */
#if defined(__SANITIZE_THREAD__)
#define SKIP_UNDER_TSAN(name)                                                  \
	do {                                                                   \
		fprintf(stderr, "%s: not under TSan\n", name);                 \
		return;                                                        \
	} while (0)
#else
#define SKIP_UNDER_TSAN(name) ((void)0)
#endif

/* Sends itself SIGSEGV, then counts a run in sh->runs: the count says
 * whether the process went on after the signal. */
static int kill_self_segv(const void *arg, size_t len, struct pt_task_out *out)
{
	(void)arg;
	(void)len;
	(void)out;
	kill(getpid(), SIGSEGV);
	atomic_fetch_add(&sh->runs, 1);
	return 0;
}

/* Writes to a page it may not touch: SIGSEGV, raised by the kernel. */
static void fault(void)
{
	volatile char *page =
		mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	page[0] = 1;
}

static void *crash_later(void *arg)
{
	struct timespec pause = { 0, 20 * 1000 * 1000 };

	(void)arg;
	nanosleep(&pause, NULL);
	fault();
	return NULL;
}

/* Returns 9 at once; a thread it leaves behind crashes 20 ms later. */
static int leave_a_crashing_thread(const void *arg, size_t len,
				   struct pt_task_out *out)
{
	pthread_t t;

	(void)arg;
	(void)len;
	out->len = 0;
	if (pthread_create(&t, NULL, crash_later, NULL))
		return -1;
	pthread_detach(t);
	return 9;
}

/* Its thread crashes while the task waits for it. */
static int crash_in_a_thread(const void *arg, size_t len,
			     struct pt_task_out *out)
{
	pthread_t t;

	(void)arg;
	(void)len;
	(void)out;
	if (pthread_create(&t, NULL, crash_later, NULL))
		return -1;
	pthread_join(t, NULL);
	return 0;
}

static void exit_7(int sig)
{
	(void)sig;
	_exit(7);
}

/* Installs its own SIGSEGV handler, which exits 7, then faults. */
static int own_handler(const void *arg, size_t len, struct pt_task_out *out)
{
	struct sigaction sa = { .sa_handler = exit_7 };

	(void)arg;
	(void)len;
	(void)out;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	fault();
	return 0;
}

/* Goes depth frames of 4 KiB deep: far past any stack for a large
 * depth. */
static int recurse(volatile char *below, uint64_t depth)
{
	volatile char frame[4096];

	frame[0] = below ? below[0] : 1;
	if (depth == 0)
		return frame[0];
	return recurse(frame, depth - 1) + frame[0];
}

/* Overflows its stack (a million frames of 4 KiB: 4 GiB). */
static int overflow(const void *arg, size_t len, struct pt_task_out *out)
{
	(void)arg;
	(void)len;
	(void)out;
	return recurse(NULL, 1u << 20);
}

static void assert_crashed(pt_future *f, int sig)
{
	struct pt_result r = wait_or_fail(f);

	ck_assert_int_eq(r.status, PT_TASK_CRASHED);
	ck_assert_int_eq(r.how, PT_EXIT_CRASHED);
	ck_assert_int_eq(r.signal, sig);
	ck_assert_uint_eq(r.attempts, 1);
	pt_future_destroy(f);
}

/* A pool of one worker (and spares spares) runs fn, which crashes with
 * sig, and behind it on the same worker a burst of 8 tasks, each of which
 * must run once and resolve with its own result. */
static void crash_then_burst(pt_task_fn *fn, int sig, unsigned spares)
{
	pt_pool *pool =
		pool_or_fail(PT_POOL_OPTS(.kind = PT_KIND_PROCESS, .workers = 1,
					  .spares = spares));
	pt_future *bad, *ok[8];

	bad = submit_or_fail(pool, fn, NULL, 0);
	for (int i = 0; i < 8; i++)
		ok[i] = submit_or_fail(pool, echo, "ok", 3);
	assert_crashed(bad, sig);
	for (int i = 0; i < 8; i++) {
		struct pt_result r = wait_or_fail(ok[i]);

		ck_assert_int_eq(r.status, PT_TASK_OK);
		ck_assert_uint_eq(r.attempts, 1);
		pt_future_destroy(ok[i]);
	}
	pt_pool_destroy(pool);
}

/* A crash sent with kill() is reported like a fault, and the process does
 * not go on past the handler: the task's count after the kill stays 0. */
START_TEST(a_crash_sent_with_kill_ends_its_worker)
{
	int runs;

	crash_then_burst(kill_self_segv, SIGSEGV, (unsigned)_i);
	runs = atomic_load(&sh->runs);
	ck_assert_int_eq(runs, 0);
}
END_TEST

/* A thread of the task crashes while the task waits: crashed, once. */
START_TEST(a_thread_of_a_task_crashing_is_the_tasks_crash)
{
	SKIP_UNDER_TSAN("a_thread_of_a_task_crashing_is_the_tasks_crash");
	crash_then_burst(crash_in_a_thread, SIGSEGV, (unsigned)_i);
}
END_TEST

/* The task returned before its thread crashed: it resolves with what it
 * returned, and the death that follows costs no other task. */
START_TEST(a_crash_after_the_task_returned_keeps_its_result)
{
	struct pt_pool_stats st;
	struct pt_result r;
	pt_future *f, *ok[8];
	pt_pool *pool;

	SKIP_UNDER_TSAN("a_crash_after_the_task_returned_keeps_its_result");
	pool = pool_or_fail(PT_POOL_OPTS(.kind = PT_KIND_PROCESS, .workers = 1,
					 .spares = _i));
	f = submit_or_fail(pool, leave_a_crashing_thread, NULL, 0);
	r = wait_or_fail(f);
	ck_assert_int_eq(r.status, PT_TASK_FAILED);
	ck_assert_int_eq(r.error, 9);
	pt_future_destroy(f);
	/* The burst goes in once the worker is replaced: a task running
	 * when the thread crashed would be charged with the crash. */
	for (int i = 0;; i++) {
		PT_ASSERT_OK(pt_pool_get_stats(pool, &st));
		if (st.restarts == 1)
			break;
		ck_assert_msg(i < 10000, "the worker never died");
		usleep(1000);
	}
	for (int i = 0; i < 8; i++)
		ok[i] = submit_or_fail(pool, echo, "ok", 3);
	for (int i = 0; i < 8; i++) {
		r = wait_or_fail(ok[i]);
		ck_assert_int_eq(r.status, PT_TASK_OK);
		pt_future_destroy(ok[i]);
	}
	/* The worker died after its task: no task was charged with it. */
	PT_ASSERT_OK(pt_pool_get_stats(pool, &st));
	ck_assert_uint_eq(st.crashed, 0);
	pt_pool_destroy(pool);
}
END_TEST

/* A task's own handler wins over the worker's: its exit is the cause. */
START_TEST(a_tasks_own_crash_handler_takes_precedence)
{
	pt_pool *pool = pool_or_fail(PT_POOL_OPTS(.kind = PT_KIND_PROCESS,
						  .workers = 1, .spares = _i));
	pt_future *f = submit_or_fail(pool, own_handler, NULL, 0);
	struct pt_result r = wait_or_fail(f);

	ck_assert_int_eq(r.status, PT_TASK_CRASHED);
	ck_assert_int_eq(r.how, PT_EXIT_EXITED);
	ck_assert_int_eq(r.exit_code, 7);
	pt_future_destroy(f);
	f = submit_or_fail(pool, echo, "ok", 3);
	ck_assert_int_eq(wait_or_fail(f).status, PT_TASK_OK);
	pt_future_destroy(f);
	pt_pool_destroy(pool);
}
END_TEST

START_TEST(a_stack_overflow_is_a_crash)
{
	crash_then_burst(overflow, SIGSEGV, (unsigned)_i);
}
END_TEST

/* Forks a child that crashes, waits for it, and returns 4. */
static int crash_a_child(const void *arg, size_t len, struct pt_task_out *out)
{
	pid_t child = fork();
	int status;

	(void)arg;
	(void)len;
	out->len = 0;
	if (child < 0)
		return -1;
	if (child == 0) {
		fault();
		_exit(0);
	}
	if (waitpid(child, &status, 0) != child || !WIFSIGNALED(status) ||
	    WTERMSIG(status) != SIGSEGV)
		return -2;
	return 4;
}

/* A child the task forked inherits the worker's handler and a copy of its
 * memory, and shares its rings: its crash is not the task's. */
START_TEST(a_crash_in_a_tasks_child_is_not_the_tasks)
{
	pt_pool *pool = pool_or_fail(PT_POOL_OPTS(.kind = PT_KIND_PROCESS,
						  .workers = 1, .spares = _i));
	struct pt_pool_stats st;
	pt_future *f[4];

	for (int i = 0; i < 4; i++)
		f[i] = submit_or_fail(pool, i == 1 ? crash_a_child : echo, "ok",
				      3);
	for (int i = 0; i < 4; i++) {
		struct pt_result r = wait_or_fail(f[i]);

		if (i == 1) {
			ck_assert_int_eq(r.status, PT_TASK_FAILED);
			ck_assert_int_eq(r.error, 4);
		} else {
			ck_assert_int_eq(r.status, PT_TASK_OK);
		}
		pt_future_destroy(f[i]);
	}
	PT_ASSERT_OK(pt_pool_get_stats(pool, &st));
	ck_assert_uint_eq(st.crashed, 0);
	ck_assert_uint_eq(st.restarts, 0);
	pt_pool_destroy(pool);
}
END_TEST

/* An in-place task whose thread keeps writing into the task's argument
 * room while the task crashes: the room is the task's until its worker
 * is gone, not only until the crash is reported. */
static void *scribble(void *arg)
{
	volatile unsigned char *room = arg;

	for (;;)
		for (size_t k = 0; k < 64; k++)
			room[k] = 0xaa;
	return NULL;
}

static int scribble_then_crash(const void *arg, size_t len,
			       struct pt_task_out *out)
{
	struct timespec pause = { 0, 1000 * 1000 };
	pthread_t t;

	(void)len;
	(void)out;
	if (pthread_create(&t, NULL, scribble, (void *)(uintptr_t)arg))
		return -1;
	nanosleep(&pause, NULL);
	fault();
	return 0;
}

START_TEST(a_crashed_tasks_room_waits_for_its_worker_to_end)
{
	unsigned char *arg;
	struct pt_result r;
	pt_future *f;
	pt_pool *pool;
	int rc;

	SKIP_UNDER_TSAN("a_crashed_tasks_room_waits_for_its_worker_to_end");
	/* One room: the next reservation gets the crashed task's. */
	pool = pool_or_fail(PT_POOL_OPTS(.kind = PT_KIND_PROCESS, .workers = 1,
					 .spares = _i, .max_reserved = 1));
	PT_ASSERT_OK(pt_pool_reserve(pool, 64, (void **)&arg, &f));
	PT_ASSERT_OK(pt_pool_submit_reserved(f, scribble_then_crash));
	r = wait_or_fail(f);
	ck_assert_int_eq(r.status, PT_TASK_CRASHED);
	ck_assert_int_eq(r.signal, SIGSEGV);
	ck_assert_int_gt(r.worker_pid, 0);
	pt_future_destroy(f);
	for (int i = 0; (rc = pt_pool_reserve(pool, 64, (void **)&arg, &f));
	     i++) {
		ck_assert_int_eq(rc, -EAGAIN);
		ck_assert_msg(i < 10000, "the room never came back");
		usleep(1000);
	}
	/* Back only once its worker was reaped: no thread of the task can
	 * write into it any more. */
	ck_assert_msg(kill(r.worker_pid, 0) == -1 && errno == ESRCH,
		      "room back while worker %d still exists", r.worker_pid);
	memset(arg, 0x55, 64);
	usleep(20 * 1000);
	for (size_t k = 0; k < 64; k++)
		ck_assert_msg(arg[k] == 0x55,
			      "byte %zu written after the crash", k);
	pt_future_destroy(f);
	pt_pool_destroy(pool);
}
END_TEST

/* A crash every few tasks, with and without spares, and with a retry:
 * every task resolves once, each crash with its signal. */
static int crash_every_fourth(const void *arg, size_t len,
			      struct pt_task_out *out)
{
	(void)len;
	(void)out;
	if (*(const int *)arg % 4 == 3)
		abort();
	return 0;
}

START_TEST(crashes_in_a_row_cost_one_task_each)
{
	pt_pool *pool = pool_or_fail(PT_POOL_OPTS(.kind = PT_KIND_PROCESS,
						  .workers = 2, .spares = _i));
	pt_future *f[64];
	struct pt_pool_stats st;
	int crashed = 0;

	for (int i = 0; i < 64; i++)
		f[i] = submit_or_fail(pool, crash_every_fourth, &i, sizeof(i));
	for (int i = 0; i < 64; i++) {
		struct pt_result r = wait_or_fail(f[i]);

		if (i % 4 == 3) {
			ck_assert_int_eq(r.status, PT_TASK_CRASHED);
			ck_assert_int_eq(r.signal, SIGABRT);
			crashed++;
		} else {
			ck_assert_int_eq(r.status, PT_TASK_OK);
		}
		ck_assert_uint_eq(r.attempts, 1);
		pt_future_destroy(f[i]);
	}
	PT_ASSERT_OK(pt_pool_get_stats(pool, &st));
	ck_assert_uint_eq(st.crashed, (unsigned)crashed);
	ck_assert_uint_eq(st.restarts, (unsigned)crashed);
	pt_pool_destroy(pool);
}
END_TEST

static Suite *crash_report_suite(void)
{
	/* The loop index is the pool's spares: 0 and 1. */
	return PT_TEST_SUITE(
		"pool_crash_report",
		{ "crash-report",
		  .for_rows = PT_TESTS(
			  a_crash_sent_with_kill_ends_its_worker,
			  a_thread_of_a_task_crashing_is_the_tasks_crash,
			  a_crash_after_the_task_returned_keeps_its_result,
			  a_tasks_own_crash_handler_takes_precedence,
			  a_stack_overflow_is_a_crash,
			  a_crash_in_a_tasks_child_is_not_the_tasks,
			  a_crashed_tasks_room_waits_for_its_worker_to_end,
			  crashes_in_a_row_cost_one_task_each),
		  .rows = 2, .setup = setup, .teardown = teardown,
		  .timeout_s = 60, .tags = "process crash" });
}

PT_TEST_MAIN(crash_report_suite)
