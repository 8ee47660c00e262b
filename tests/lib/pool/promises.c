/* test_pool_promises - what pool.h promises, tried where it broke
 * (issue 13, pools 1 to 5b), for each kind where both have the promise:
 * - a draining shutdown runs every task when workers retire politely, and
 *   futures stay valid and resolved after their pool is destroyed;
 * - a deadline's kill costs the task it was aimed at, never the next;
 * - when no worker process can be started, every task resolves
 *   (PT_TASK_NO_WORKER), submit fails fast and the pool recovers;
 * - a pool belongs to the process, not to the thread that made it;
 * - what a task forks ends with its worker, and its kill(0, ...) spares
 *   the pool's owner;
 * - a cancelling shutdown starts nothing sent ahead, a timed-out thread
 *   task keeps its worker, and a future is in the completion queue once
 *   pt_future_wait() returned it.
 * Every wait is bounded: a hang fails the test. */
#include <procthread.h>

#include "support/test.h"
#include "support/forkserver.h"
#include "support/kinds.h"

#include <check.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* --- promises the header makes, under polite retirement ------------------- */

static int square(const void *arg, size_t len, struct pt_task_out *out)
{
	int64_t v;

	if (len != sizeof(v))
		return -1;
	memcpy(&v, arg, sizeof(v));
	v *= v;
	memcpy(out->data, &v, sizeof(v));
	out->len = sizeof(v);
	return 0;
}

static int square_and_retire(const void *arg, size_t len,
			     struct pt_task_out *out)
{
	pt_pool_recycle_worker();
	return square(arg, len, out);
}

/* CPython's test_max_tasks_early_shutdown (gh-119592): workers that retire
 * after each task, and a draining shutdown right after the submits, must
 * still run every task - the loop index picks a row of retire_cases: the
 * kind, and whether the worker retires by max_tasks_per_worker or at the
 * task's request. Every
 * future stays valid and resolved after the pool is destroyed. */
static const struct retire_case {
	const char *name;
	enum pt_kind kind;
	bool asked; /* the task asks to retire, or max_tasks_per_worker */
} retire_cases[] = {
	{ "threads, max_tasks_per_worker", PT_THREAD, false },
	{ "threads, the task asks", PT_THREAD, true },
	{ "processes, max_tasks_per_worker", PT_PROCESS, false },
	{ "processes, the task asks", PT_PROCESS, true },
};

/* The rows of the kinds support/kinds.h runs (threads come first). */
static int retire_cases_end(void)
{
	int n = 0;

	while (n < (int)(sizeof(retire_cases) / sizeof(retire_cases[0])) &&
	       (int)retire_cases[n].kind < pt_test_kinds_end())
		n++;
	return n;
}

START_TEST(drain_runs_every_task_when_workers_retire)
{
	const struct retire_case *c = &retire_cases[_i];
	enum pt_kind kind = c->kind;
	bool asked = c->asked;
	struct pt_pool_opts opts =
		PT_POOL_OPTS(.kind = kind, .workers = 3,
			     .max_tasks_per_worker = asked ? 0 : 1);
	pt_task_fn *fn = asked ? square_and_retire : square;
	struct pt_pool_stats st;
	struct pt_result r;
	pt_future *f[6];
	pt_pool *pool;

	pt_test_case(c->name);

	if (kind == PT_PROCESS && pt_test_kinds_end() <= PT_PROCESS)
		return;
	PT_ASSERT_OK(pt_pool_create(&opts, &pool));
	for (int64_t i = 0; i < 6; i++)
		PT_ASSERT_OK(pt_pool_submit(pool, fn, &i, sizeof(i), &f[i]));
	PT_ASSERT_OK(pt_pool_shutdown(pool, PT_POOL_DRAIN, 30000));
	PT_ASSERT_OK(pt_pool_wait_all(pool, 0));
	PT_ASSERT_OK(pt_pool_stats(pool, &st));
	ck_assert_uint_eq(st.ok, 6);
	ck_assert_uint_eq(st.queued, 0);
	pt_pool_destroy(pool);
	for (int64_t i = 0; i < 6; i++) {
		int64_t got;

		PT_ASSERT_OK(pt_future_wait(f[i], 0, &r));
		ck_assert_int_eq(r.status, PT_TASK_OK);
		ck_assert_uint_eq(r.len, sizeof(got));
		memcpy(&got, r.data, sizeof(got));
		ck_assert_int_eq(got, i * i);
		/* Resolved: cancel must not reach into the freed pool. */
		PT_ASSERT_ERR(pt_future_cancel(f[i]), -EALREADY);
		pt_future_destroy(f[i]);
	}
}
END_TEST

/* Whatever a pool could not run, its destroy resolves: a future outlives
 * its pool, resolved, and cancel on it touches nothing of the pool. */
START_TEST(destroy_resolves_what_it_drops)
{
	enum pt_kind kind = (enum pt_kind)_i;
	struct pt_pool_opts opts = PT_POOL_OPTS(.kind = kind, .workers = 1);
	struct pt_result r;
	pt_future *f[4];
	pt_pool *pool;

	PT_ASSERT_OK(pt_pool_create(&opts, &pool));
	for (int64_t i = 0; i < 4; i++)
		PT_ASSERT_OK(
			pt_pool_submit(pool, square, &i, sizeof(i), &f[i]));
	pt_pool_destroy(pool);
	for (int i = 0; i < 4; i++) {
		PT_ASSERT_OK(pt_future_wait(f[i], 0, &r));
		ck_assert(r.status == PT_TASK_OK ||
			  r.status == PT_TASK_SHUTDOWN);
		PT_ASSERT_ERR(pt_future_cancel(f[i]), -EALREADY);
		pt_future_destroy(f[i]);
	}
}
END_TEST

/* --- a deadline costs one task -------------------------------------------- */

static int nap_ms(const void *arg, size_t len, struct pt_task_out *out)
{
	struct timespec ts = { 0, 0 };
	uint32_t ms;

	(void)out;
	if (len != sizeof(ms))
		return -1;
	memcpy(&ms, arg, sizeof(ms));
	ts.tv_nsec = (long)ms * 1000000L;
	nanosleep(&ts, NULL);
	return 0;
}

/* Tasks that end just before or just after a 20 ms deadline, on one
 * worker with tasks sent ahead: the deadline's kill must land on the task
 * it was aimed at, never on the one the worker went on to. Each task
 * resolves ok or timed out; none is charged with a crash (SIGKILL). */
START_TEST(deadline_kill_is_charged_to_its_own_task)
{
	struct pt_pool_opts opts =
		PT_POOL_OPTS(.kind = PT_PROCESS, .workers = 1,
			     .queue_capacity = 300, .task_timeout_ms = 20);
	static pt_future *f[300];
	struct pt_pool_stats st;
	struct pt_result r;
	pt_pool *pool;
	int timed_out = 0;

	PT_ASSERT_OK(pt_pool_create(&opts, &pool));
	for (uint32_t i = 0; i < 300; i++) {
		uint32_t ms = 17 + i % 7;

		PT_ASSERT_OK(
			pt_pool_submit(pool, nap_ms, &ms, sizeof(ms), &f[i]));
	}
	for (int i = 0; i < 300; i++) {
		PT_ASSERT_OK(pt_future_wait(f[i], 30000, &r));
		ck_assert_msg(r.status == PT_TASK_OK ||
				      r.status == PT_TASK_TIMED_OUT,
			      "task %d: %s (%s, signal %d)", i,
			      pt_task_status_name(r.status),
			      pt_exit_name(r.how), r.signal);
		timed_out += r.status == PT_TASK_TIMED_OUT;
		pt_future_destroy(f[i]);
	}
	PT_ASSERT_OK(pt_pool_stats(pool, &st));
	ck_assert_uint_eq(st.crashed, 0);
	/* A kill per timed-out task at most: none for an innocent one. */
	ck_assert_uint_le(st.restarts, (uint64_t)timed_out);
	pt_pool_destroy(pool);
}
END_TEST

/* --- no worker can be started ----------------------------------------------
 */

static uint64_t ms_now(void)
{
	return pt_test_now_ns() / 1000000u;
}

/* The fork-server dies for good (with its standby twin) under a draining
 * pool with tasks queued: its workers die with it and none can be started
 * again. Every task resolves
 * within the bounded retry - the one that was running as crashed, the rest
 * as PT_TASK_NO_WORKER with the spawn error - and shutdown says so with
 * -ECHILD instead of 0. */
START_TEST(no_worker_resolves_every_task_and_shutdown_says_so)
{
	struct pt_pool_opts opts =
		PT_POOL_OPTS(.kind = PT_PROCESS, .workers = 1);
	struct pt_pool_stats st;
	struct pt_result r;
	pt_future *f[5];
	pt_pool *pool;
	int no_worker = 0;

	PT_ASSERT_OK(pt_forkserver_start());
	PT_ASSERT_OK(pt_pool_create(&opts, &pool));
	for (int i = 0; i < 5; i++) {
		uint32_t ms = 200;

		PT_ASSERT_OK(
			pt_pool_submit(pool, nap_ms, &ms, sizeof(ms), &f[i]));
	}
	PT_ASSERT_OK(pt_test_kill_forkserver_for_good());
	PT_ASSERT_ERR(pt_pool_shutdown(pool, PT_POOL_DRAIN, 10000), -ECHILD);
	for (int i = 0; i < 5; i++) {
		PT_ASSERT_OK(pt_future_wait(f[i], 0, &r));
		ck_assert_msg(r.status == PT_TASK_OK ||
				      r.status == PT_TASK_CRASHED ||
				      r.status == PT_TASK_NO_WORKER,
			      "task %d: %s", i, pt_task_status_name(r.status));
		if (r.status == PT_TASK_NO_WORKER) {
			ck_assert_int_lt(r.error, 0);
			no_worker++;
		}
		pt_future_destroy(f[i]);
	}
	ck_assert_int_ge(no_worker, 1);
	PT_ASSERT_OK(pt_pool_stats(pool, &st));
	ck_assert_uint_eq(st.no_worker, (uint64_t)no_worker);
	ck_assert_uint_eq(st.queued, 0);
	pt_pool_destroy(pool);
	PT_ASSERT_OK(pt_forkserver_stop());
}
END_TEST

/* Submit refuses work nobody can run (-ECHILD) within the bounded retry,
 * and takes it again once workers can be started: here, once the dead
 * fork-server is stopped, they are forked directly. */
START_TEST(no_worker_fails_fast_and_recovers)
{
	struct pt_pool_opts opts =
		PT_POOL_OPTS(.kind = PT_PROCESS, .workers = 2);
	uint64_t until;
	struct pt_result r;
	pt_future *f;
	pt_pool *pool;
	uint32_t ms = 0;
	int rc;

	PT_ASSERT_OK(pt_forkserver_start());
	PT_ASSERT_OK(pt_pool_create(&opts, &pool));
	PT_ASSERT_OK(pt_test_kill_forkserver_for_good());
	/* Each accepted task resolves: run before the workers died, or
	 * NO_WORKER; none hangs. */
	until = ms_now() + 10000;
	while ((rc = pt_pool_submit(pool, nap_ms, &ms, sizeof(ms), &f)) == 0) {
		PT_ASSERT_OK(pt_future_wait(f, 10000, &r));
		ck_assert(r.status == PT_TASK_OK ||
			  r.status == PT_TASK_CRASHED ||
			  r.status == PT_TASK_NO_WORKER);
		pt_future_destroy(f);
		ck_assert_msg(ms_now() < until, "submit still takes tasks");
	}
	ck_assert_int_eq(rc, -ECHILD);
	PT_ASSERT_OK(pt_forkserver_stop());
	until = ms_now() + 10000;
	while ((rc = pt_pool_submit(pool, nap_ms, &ms, sizeof(ms), &f)) ==
	       -ECHILD) {
		ck_assert_msg(ms_now() < until, "the pool did not recover");
		nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
	}
	ck_assert_int_eq(rc, 0);
	PT_ASSERT_OK(pt_future_wait(f, 10000, &r));
	ck_assert_int_eq(r.status, PT_TASK_OK);
	pt_future_destroy(f);
	PT_ASSERT_OK(pt_pool_shutdown(pool, PT_POOL_DRAIN, 10000));
	pt_pool_destroy(pool);
}
END_TEST

/* The fork-server alone is killed: its twin takes over, the workers that
 * died with the server cost at most the tasks they ran, and the pool goes
 * on through the twin without the caller doing anything. */
START_TEST(pool_goes_on_when_the_forkserver_is_killed)
{
	struct pt_pool_opts opts =
		PT_POOL_OPTS(.kind = PT_PROCESS, .workers = 2);
	struct pt_result r;
	pt_future *f[20];
	pt_pool *pool;
	int old;
	int crashed = 0;

	PT_ASSERT_OK(pt_forkserver_start());
	PT_ASSERT_OK(pt_pool_create(&opts, &pool));
	old = pt_forkserver_pid();
	ck_assert_int_gt(pt_test_forkserver_twin(), 0);
	for (int i = 0; i < 20; i++) {
		uint32_t ms = 20;

		PT_ASSERT_OK(
			pt_pool_submit(pool, nap_ms, &ms, sizeof(ms), &f[i]));
		if (i == 5)
			ck_assert_int_eq(kill(old, SIGKILL), 0);
	}
	for (int i = 0; i < 20; i++) {
		PT_ASSERT_OK(pt_future_wait(f[i], 20000, &r));
		ck_assert_msg(r.status == PT_TASK_OK ||
				      (r.status == PT_TASK_CRASHED &&
				       r.signal == SIGKILL),
			      "task %d: %s", i, pt_task_status_name(r.status));
		crashed += r.status == PT_TASK_CRASHED;
		pt_future_destroy(f[i]);
	}
	/* At most one running task per worker died with the server. */
	ck_assert_int_le(crashed, 2);
	ck_assert(pt_forkserver_running());
	ck_assert_int_ne(pt_forkserver_pid(), old);
	PT_ASSERT_OK(pt_pool_shutdown(pool, PT_POOL_DRAIN, 10000));
	pt_pool_destroy(pool);
	PT_ASSERT_OK(pt_forkserver_stop());
}
END_TEST

/* --- a pool belongs to the process ------------------------------------------
 */

struct maker {
	pt_pool *pool;
	pt_future *f[2];
};

static void *make_pool(void *arg)
{
	struct pt_pool_opts opts =
		PT_POOL_OPTS(.kind = PT_PROCESS, .workers = 2);
	struct maker *m = arg;
	uint32_t ms = 300;

	if (pt_pool_create(&opts, &m->pool))
		return NULL;
	for (int i = 0; i < 2; i++)
		if (pt_pool_submit(m->pool, nap_ms, &ms, sizeof(ms), &m->f[i]))
			m->f[i] = NULL;
	return NULL; /* ends while both tasks run */
}

/* A thread makes a process pool (workers forked directly: no fork-server),
 * submits two tasks and ends while they run: the workers are the pool's,
 * not that thread's, so both tasks finish and no worker is replaced. */
START_TEST(pool_outlives_the_thread_that_made_it)
{
	struct maker m = { 0 };
	struct pt_pool_stats st;
	struct pt_result r;
	pthread_t t;

	ck_assert_int_eq(pt_forkserver_running(), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, make_pool, &m), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_ptr_nonnull(m.pool);
	for (int i = 0; i < 2; i++) {
		ck_assert_ptr_nonnull(m.f[i]);
		PT_ASSERT_OK(pt_future_wait(m.f[i], 20000, &r));
		ck_assert_msg(r.status == PT_TASK_OK, "task %d: %s (%s %d)", i,
			      pt_task_status_name(r.status),
			      pt_exit_name(r.how), r.signal);
		ck_assert_uint_eq(r.attempts, 1);
		pt_future_destroy(m.f[i]);
	}
	PT_ASSERT_OK(pt_pool_stats(m.pool, &st));
	ck_assert_uint_eq(st.restarts, 0);
	pt_pool_destroy(m.pool);
}
END_TEST

/* --- what a task forks ends with its worker ---------------------------------
 */

/* Forks a grandchild that would live on, and returns its pid. */
static int leave_grandchild(const void *arg, size_t len,
			    struct pt_task_out *out)
{
	pid_t pid;

	(void)arg;
	(void)len;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		for (;;)
			pause();
	}
	memcpy(out->data, &pid, sizeof(pid));
	out->len = sizeof(pid);
	return 0;
}

static int kill_own_group(const void *arg, size_t len, struct pt_task_out *out)
{
	(void)arg;
	(void)len;
	(void)out;
	kill(0, SIGKILL);
	return 0;
}

/* How a process pool's workers are forked, one row per loop index; the
 * server is started first where it forks them. */
static const struct fork_case {
	const char *name;
	bool server;
} fork_cases[] = {
	{ "forked directly", false },
	{ "by the fork-server", true },
};
#define N_FORK_CASES (int)(sizeof(fork_cases) / sizeof(fork_cases[0]))

static const struct fork_case *fork_case_begin(int i)
{
	pt_test_case(fork_cases[i].name);
	if (fork_cases[i].server)
		PT_ASSERT_OK(pt_forkserver_start());
	return &fork_cases[i];
}

static void fork_case_end(const struct fork_case *c)
{
	if (c->server)
		PT_ASSERT_OK(pt_forkserver_stop());
}

/* A task's grandchild is in its worker's process group, which ends with
 * the worker: once pt_pool_destroy() returns it is dead, not reparented to
 * init with the pool's descriptors and the caller's stdout. The loop index
 * picks a row of fork_cases: whether the fork-server forks the workers. */
START_TEST(task_grandchild_ends_with_its_pool)
{
	struct pt_pool_opts opts =
		PT_POOL_OPTS(.kind = PT_PROCESS, .workers = 1);
	struct pollfd pfd = { .events = POLLIN };
	const struct fork_case *via;
	struct pt_result r;
	pt_future *f;
	pt_pool *pool;
	pid_t pid;

	via = fork_case_begin(_i);
	PT_ASSERT_OK(pt_pool_create(&opts, &pool));
	PT_ASSERT_OK(pt_pool_submit(pool, leave_grandchild, NULL, 0, &f));
	PT_ASSERT_OK(pt_future_wait(f, 20000, &r));
	ck_assert_int_eq(r.status, PT_TASK_OK);
	ck_assert_uint_eq(r.len, sizeof(pid));
	memcpy(&pid, r.data, sizeof(pid));
	pt_future_destroy(f);
	pfd.fd = (int)syscall(SYS_pidfd_open, pid, 0);
	ck_assert_int_ge(pfd.fd, 0);
	ck_assert_int_eq(poll(&pfd, 1, 0), 0); /* alive while the pool is */
	pt_pool_destroy(pool);
	ck_assert_msg(poll(&pfd, 1, 5000) == 1,
		      "grandchild %d outlived its pool", (int)pid);
	close(pfd.fd);
	fork_case_end(via);
}
END_TEST

/* kill(0, SIGKILL) in a task reaches its worker's group only: that task
 * resolves as killed, the pool's owner (this test) lives on, and the next
 * task runs on a replacement. */
START_TEST(task_kill_zero_spares_the_pool_owner)
{
	struct pt_pool_opts opts =
		PT_POOL_OPTS(.kind = PT_PROCESS, .workers = 1);
	const struct fork_case *via;
	struct pt_result r;
	pt_future *f;
	pt_pool *pool;
	uint32_t ms = 0;

	via = fork_case_begin(_i);
	PT_ASSERT_OK(pt_pool_create(&opts, &pool));
	PT_ASSERT_OK(pt_pool_submit(pool, kill_own_group, NULL, 0, &f));
	PT_ASSERT_OK(pt_future_wait(f, 20000, &r));
	ck_assert_int_eq(r.status, PT_TASK_CRASHED);
	ck_assert_int_eq(r.how, PT_EXIT_SIGNALED);
	ck_assert_int_eq(r.signal, SIGKILL);
	pt_future_destroy(f);
	PT_ASSERT_OK(pt_pool_submit(pool, nap_ms, &ms, sizeof(ms), &f));
	PT_ASSERT_OK(pt_future_wait(f, 20000, &r));
	ck_assert_int_eq(r.status, PT_TASK_OK);
	pt_future_destroy(f);
	pt_pool_destroy(pool);
	fork_case_end(via);
}
END_TEST

/* --- what cancelling, deadlines and completions promise ----------------------
 */

struct gate {
	atomic_int open;
	atomic_int waiting;
	atomic_int runs;
};

static struct gate *gate; /* MAP_SHARED: workers forked directly see it */

static int gated(const void *arg, size_t len, struct pt_task_out *out)
{
	(void)arg;
	(void)len;
	(void)out;
	atomic_fetch_add(&gate->waiting, 1);
	while (!atomic_load(&gate->open))
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	atomic_fetch_add(&gate->runs, 1);
	return 0;
}

struct opener {
	pt_pool *pool;
	uint64_t want;
	bool seen;
};

/* Opens the gate once shutdown has resolved what it drops (or after 10 s,
 * which the test then reports). */
static void *open_when_dropped(void *arg)
{
	struct opener *o = arg;
	uint64_t until = ms_now() + 10000;
	struct pt_pool_stats st;

	while (ms_now() < until) {
		pt_pool_stats(o->pool, &st);
		if (st.shut_down == o->want) {
			o->seen = true;
			break;
		}
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
	atomic_store(&gate->open, 1);
	return NULL;
}

/* PT_POOL_CANCEL lets the running task finish and starts nothing else:
 * not the queue, and not the tasks already sent ahead to a process worker
 * behind the one it runs. They resolve as shut down, and never run. */
START_TEST(cancel_shutdown_starts_nothing_sent_ahead)
{
	struct pt_pool_opts opts =
		PT_POOL_OPTS(.kind = (enum pt_kind)_i, .workers = 1);
	struct opener o = { .want = 9 };
	struct pt_result r;
	pt_future *f[10];
	pthread_t t;

	gate = mmap(NULL, sizeof(*gate), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(gate, MAP_FAILED);
	memset(gate, 0, sizeof(*gate));
	PT_ASSERT_OK(pt_pool_create(&opts, &o.pool));
	for (int i = 0; i < 10; i++)
		PT_ASSERT_OK(pt_pool_submit(o.pool, gated, NULL, 0, &f[i]));
	/* The first task runs (and, on a process worker, the next ones were
	 * sent ahead behind it). */
	for (uint64_t until = ms_now() + 10000;
	     atomic_load(&gate->waiting) == 0;) {
		ck_assert_msg(ms_now() < until, "the first task never ran");
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
	ck_assert_int_eq(pthread_create(&t, NULL, open_when_dropped, &o), 0);
	PT_ASSERT_OK(pt_pool_shutdown(o.pool, PT_POOL_CANCEL, -1));
	pthread_join(t, NULL);
	ck_assert_msg(o.seen, "tasks sent ahead were not dropped");
	PT_ASSERT_OK(pt_future_wait(f[0], 0, &r));
	ck_assert_int_eq(r.status, PT_TASK_OK);
	for (int i = 1; i < 10; i++) {
		PT_ASSERT_OK(pt_future_wait(f[i], 0, &r));
		ck_assert_int_eq(r.status, PT_TASK_SHUTDOWN);
		ck_assert_uint_eq(r.started_ns, 0);
	}
	ck_assert_int_eq(atomic_load(&gate->runs), 1);
	for (int i = 0; i < 10; i++)
		pt_future_destroy(f[i]);
	pt_pool_destroy(o.pool);
	munmap(gate, sizeof(*gate));
}
END_TEST

static int deaf_nap(const void *arg, size_t len, struct pt_task_out *out)
{
	(void)arg;
	(void)len;
	(void)out;
	/* Ignores pt_cancelled(): a thread cannot be made to stop. */
	nanosleep(&(struct timespec){ 1, 0 }, NULL);
	return 0;
}

/* As pool.h says: a task past its deadline resolves as timed out at once
 * with either kind, but only a process worker is freed then (killed and
 * replaced); a thread worker stays busy until the task returns, and the
 * next task waits for it. */
START_TEST(timed_out_thread_task_keeps_its_worker)
{
	enum pt_kind kind = (enum pt_kind)_i;
	struct pt_pool_opts opts =
		PT_POOL_OPTS(.kind = kind, .workers = 1, .task_timeout_ms = 50);
	struct pt_result a, b;
	pt_future *fa, *fb;
	pt_pool *pool;
	uint32_t ms = 0;

	PT_ASSERT_OK(pt_pool_create(&opts, &pool));
	PT_ASSERT_OK(pt_pool_submit(pool, deaf_nap, NULL, 0, &fa));
	PT_ASSERT_OK(pt_pool_submit(pool, nap_ms, &ms, sizeof(ms), &fb));
	PT_ASSERT_OK(pt_future_wait(fa, 20000, &a));
	ck_assert_int_eq(a.status, PT_TASK_TIMED_OUT);
	ck_assert_uint_lt(a.finished_ns - a.started_ns, 900000000u);
	PT_ASSERT_OK(pt_future_wait(fb, 20000, &b));
	ck_assert_int_eq(b.status, PT_TASK_OK);
	if (kind == PT_THREAD)
		ck_assert_uint_ge(b.started_ns, a.started_ns + 1000000000u);
	else
		ck_assert_uint_lt(b.started_ns, a.started_ns + 1000000000u);
	pt_future_destroy(fa);
	pt_future_destroy(fb);
	pt_pool_destroy(pool);
}
END_TEST

/* A future that pt_future_wait() returned resolved is already in the
 * completion queue: the descriptor is readable and next_done hands it
 * out, with no window between the two. */
START_TEST(completion_queue_has_the_future_wait_returned)
{
	struct pt_pool_opts opts =
		PT_POOL_OPTS(.kind = (enum pt_kind)_i, .workers = 2,
			     .completions = true);
	pt_pool *pool;
	uint32_t ms = 0;

	PT_ASSERT_OK(pt_pool_create(&opts, &pool));
	for (int i = 0; i < 500; i++) {
		struct pollfd pfd = { .fd = pt_pool_fd(pool),
				      .events = POLLIN };
		struct pt_result r;
		pt_future *f, *g;

		PT_ASSERT_OK(pt_pool_submit(pool, nap_ms, &ms, sizeof(ms), &f));
		PT_ASSERT_OK(pt_future_wait(f, 20000, &r));
		ck_assert_msg(poll(&pfd, 1, 0) == 1, "round %d: fd not ready",
			      i);
		PT_ASSERT_OK(pt_pool_next_done(pool, &g));
		ck_assert_ptr_eq(g, f);
		pt_future_destroy(g);
		pt_future_destroy(f);
	}
	pt_pool_destroy(pool);
}
END_TEST

static Suite *pool_promises_suite(void)
{
	Suite *s = suite_create("pool_promises");
	TCase *retire = pt_test_tcase("contract");
	TCase *deadline = pt_test_tcase("deadline");
	TCase *noworker = pt_test_tcase("lifecycle");

	tcase_add_loop_test(retire, drain_runs_every_task_when_workers_retire,
			    0, retire_cases_end());
	tcase_add_loop_test(retire, destroy_resolves_what_it_drops, PT_THREAD,
			    pt_test_kinds_end());
	tcase_add_loop_test(retire, cancel_shutdown_starts_nothing_sent_ahead,
			    PT_THREAD, pt_test_kinds_end());
	tcase_add_loop_test(retire, timed_out_thread_task_keeps_its_worker,
			    PT_THREAD, pt_test_kinds_end());
	tcase_add_loop_test(retire,
			    completion_queue_has_the_future_wait_returned,
			    PT_THREAD, pt_test_kinds_end());
	tcase_set_timeout(retire, 60);
	suite_add_tcase(s, retire);
	tcase_add_test(deadline, deadline_kill_is_charged_to_its_own_task);
	tcase_set_timeout(deadline, 120);
	tcase_set_tags(deadline, "process");
	suite_add_tcase(s, deadline);
	tcase_add_test(noworker,
		       no_worker_resolves_every_task_and_shutdown_says_so);
	tcase_add_test(noworker, no_worker_fails_fast_and_recovers);
	tcase_add_test(noworker, pool_goes_on_when_the_forkserver_is_killed);
	tcase_add_test(noworker, pool_outlives_the_thread_that_made_it);
	/* Loop index: a row of fork_cases. */
	tcase_add_loop_test(noworker, task_grandchild_ends_with_its_pool, 0,
			    N_FORK_CASES);
	tcase_add_loop_test(noworker, task_kill_zero_spares_the_pool_owner, 0,
			    N_FORK_CASES);
	tcase_set_timeout(noworker, 60);
	/* Process workers and the fork-server only (valgrind leaves them
	 * out: scripts/valgrind.sh). */
	tcase_set_tags(noworker, "process");
	suite_add_tcase(s, noworker);
	return s;
}

PT_TEST_MAIN(pool_promises_suite)
