/* test_pool_promises - what pool.h promises, tried where it broke
 * (issue 13, pools 1 to 5b), for each kind where both have the promise:
 * - a draining shutdown runs every task when workers retire politely, and
 *   futures stay valid and resolved after their pool is destroyed;
 * - a deadline's kill costs the task it was aimed at, never the next;
 * - a cancelling shutdown starts nothing sent ahead, a timed-out thread
 *   task keeps its worker, and a future is in the completion queue once
 *   pt_future_wait() returned it.
 * What becomes of the workers is test_pool_workers.
 * Every wait is bounded: a hang fails the test. */
#include <procthread.h>

#include "support/test.h"
#include "pool_support.h"
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
	{ "threads, max_tasks_per_worker", PT_KIND_THREAD, false },
	{ "threads, the task asks", PT_KIND_THREAD, true },
	{ "processes, max_tasks_per_worker", PT_KIND_PROCESS, false },
	{ "processes, the task asks", PT_KIND_PROCESS, true },
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

	if (kind == PT_KIND_PROCESS && pt_test_kinds_end() <= PT_KIND_PROCESS)
		return;
	PT_ASSERT_OK(pt_pool_create(&opts, &pool));
	for (int64_t i = 0; i < 6; i++)
		PT_ASSERT_OK(pt_pool_submit(pool, fn, &i, sizeof(i), &f[i]));
	PT_ASSERT_OK(pt_pool_shutdown(pool, PT_POOL_SHUTDOWN_DRAIN, 30000));
	PT_ASSERT_OK(pt_pool_wait_all(pool, 0));
	PT_ASSERT_OK(pt_pool_get_stats(pool, &st));
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

/* Tasks that end just before or just after a 20 ms deadline, on one
 * worker with tasks sent ahead: the deadline's kill must land on the task
 * it was aimed at, never on the one the worker went on to. Each task
 * resolves ok or timed out; none is charged with a crash (SIGKILL). */
START_TEST(deadline_kill_is_charged_to_its_own_task)
{
	struct pt_pool_opts opts =
		PT_POOL_OPTS(.kind = PT_KIND_PROCESS, .workers = 1,
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
	PT_ASSERT_OK(pt_pool_get_stats(pool, &st));
	ck_assert_uint_eq(st.crashed, 0);
	/* A kill per timed-out task at most: none for an innocent one. */
	ck_assert_uint_le(st.restarts, (uint64_t)timed_out);
	pt_pool_destroy(pool);
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

static int wait_at_gate(const void *arg, size_t len, struct pt_task_out *out)
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
	uint64_t until = pt_test_now_ns() / 1000000u + 10000;
	struct pt_pool_stats st;

	while (pt_test_now_ns() / 1000000u < until) {
		pt_pool_get_stats(o->pool, &st);
		if (st.shut_down == o->want) {
			o->seen = true;
			break;
		}
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
	atomic_store(&gate->open, 1);
	return NULL;
}

/* PT_POOL_SHUTDOWN_CANCEL lets the running task finish and starts nothing else:
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
		PT_ASSERT_OK(
			pt_pool_submit(o.pool, wait_at_gate, NULL, 0, &f[i]));
	/* The first task runs (and, on a process worker, the next ones were
	 * sent ahead behind it). */
	for (uint64_t until = pt_test_now_ns() / 1000000u + 10000;
	     atomic_load(&gate->waiting) == 0;) {
		ck_assert_msg(pt_test_now_ns() / 1000000u < until,
			      "the first task never ran");
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
	ck_assert_int_eq(pthread_create(&t, NULL, open_when_dropped, &o), 0);
	PT_ASSERT_OK(pt_pool_shutdown(o.pool, PT_POOL_SHUTDOWN_CANCEL, -1));
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
	if (kind == PT_KIND_THREAD)
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
	return PT_TEST_SUITE(
		"pool_promises",
		{ "contract",
		  .for_kinds = PT_TESTS(
			  destroy_resolves_what_it_drops,
			  cancel_shutdown_starts_nothing_sent_ahead,
			  timed_out_thread_task_keeps_its_worker,
			  completion_queue_has_the_future_wait_returned),
		  .for_rows =
			  PT_TESTS(drain_runs_every_task_when_workers_retire),
		  .rows = retire_cases_end(), .timeout_s = 60 },
		{ "deadline",
		  .once = PT_TESTS(deadline_kill_is_charged_to_its_own_task),
		  .timeout_s = 120, .tags = "process" });
}

PT_TEST_MAIN(pool_promises_suite)
