/* test_pool_reserve - in-place tasks (pt_pool_reserve(),
 * pt_pool_submit_reserved()), from the header's contract: the argument is
 * written where the worker reads it and the result read where the worker
 * wrote it, and every promise of pt_pool_submit() holds - exactly one
 * resolution, cancel, deadlines, retries, shutdown - with the arena slot
 * back once the future is gone. Every body runs for thread and process
 * workers (the loop index is the kind) unless it must not.
 *
 * Tasks that must wait for the test hold on a gate in MAP_SHARED memory,
 * made before the pool, so directly forked workers share it too. */
#include <procthread.h>

#include "support/test.h"
#include "pool_support.h"
#include "support/kinds.h"
#include "support/ledger.h"

#include "support/units.h"

#include <check.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MIB ((size_t)1 << 20)

static void sleep_us(long us)
{
	struct timespec ts = { us / 1000000, us % 1000000 * 1000 };

	while (nanosleep(&ts, &ts) != 0)
		;
}

/* --- tasks ------------------------------------------------------------- */

/* Writes each argument byte plus one: a result that cannot be the
 * argument left in place by mistake. */
static int plus_one(const void *arg, size_t len, struct pt_task_out *out)
{
	const unsigned char *in = arg;
	unsigned char *res = out->data;

	if (len > out->cap)
		return -1;
	for (size_t k = 0; k < len; k++)
		res[k] = (unsigned char)(in[k] + 1);
	out->len = len;
	return 0;
}

/* Adds one to each argument byte where it lies and returns the argument
 * as its result. */
static int plus_one_in_arg(const void *arg, size_t len, struct pt_task_out *out)
{
	unsigned char *in = (unsigned char *)arg;

	for (size_t k = 0; k < len; k++)
		in[k]++;
	out->data = in;
	out->len = len;
	return 0;
}

/* Points its result somewhere it may not. */
static int result_elsewhere(const void *arg, size_t len,
			    struct pt_task_out *out)
{
	static char other[8];

	(void)arg;
	(void)len;
	out->data = other;
	out->len = 1;
	return 0;
}

/* Claims more of its argument than there is. */
static int result_past_arg(const void *arg, size_t len, struct pt_task_out *out)
{
	out->data = (void *)arg;
	out->len = len + 1;
	return 0;
}

/* Writes half its result, then crashes: the half-written bytes must never
 * reach the caller. */
static int crash_mid_result(const void *arg, size_t len,
			    struct pt_task_out *out)
{
	(void)arg;
	memset(out->data, 0xee, len / 2);
	out->len = len;
	abort();
}

static int crash_once_then_plus_one(const void *arg, size_t len,
				    struct pt_task_out *out)
{
	if (atomic_fetch_add(&sh->runs, 1) == 0)
		abort();
	return plus_one(arg, len, out);
}

/* --- helpers ----------------------------------------------------------- */

static pt_future *reserve_or_fail(pt_pool *pool, size_t len, void **arg)
{
	pt_future *f = NULL;
	int rc = pt_pool_reserve(pool, len, arg, &f);

	ck_assert_msg(rc == 0, "reserve: %s", pt_strerror(rc));
	return f;
}

/* Reserves len bytes filled with seed + k and submits fn on them. */
static pt_future *run_or_fail(pt_pool *pool, pt_task_fn *fn, size_t len,
			      unsigned char seed)
{
	unsigned char *arg;
	pt_future *f = reserve_or_fail(pool, len, (void **)&arg);
	int rc;

	for (size_t k = 0; k < len; k++)
		arg[k] = (unsigned char)(seed + k);
	rc = pt_pool_submit_reserved(f, fn);
	ck_assert_msg(rc == 0, "submit: %s", pt_strerror(rc));
	return f;
}

static void assert_plus_one(const struct pt_result *r, size_t len,
			    unsigned char seed)
{
	const unsigned char *res = r->data;
	size_t bad = len;

	ck_assert_int_eq(r->status, PT_TASK_OK);
	ck_assert_uint_eq(r->len, len);
	for (size_t k = 0; k < len && bad == len; k++)
		if (res[k] != (unsigned char)(seed + k + 1))
			bad = k;
	ck_assert_msg(bad == len, "result byte %zu is wrong", bad);
}

/* --- both kinds -------------------------------------------------------- */

/* 1 MiB in and out, many times over two slots: every result is its own
 * task's, read in place, and stays valid until its future is destroyed. */
START_TEST(large_tasks_round_trip_in_place)
{
	pt_pool *pool = pool_or_fail(
		PT_POOL_OPTS(.kind = _i, .workers = 2, .max_arg_bytes = MIB,
			     .max_result_bytes = MIB, .max_reserved = 2));
	void *arg;
	pt_future *f;

	for (unsigned round = 0; round < 20; round++) {
		pt_future *a = run_or_fail(pool, plus_one, MIB, (uint8_t)round);
		pt_future *b = run_or_fail(pool, plus_one, MIB - 3,
					   (uint8_t)(round + 100));
		struct pt_result ra = wait_or_fail(a);
		struct pt_result rb = wait_or_fail(b);

		/* Both held at once: a's bytes survive b's task. */
		assert_plus_one(&ra, MIB, (uint8_t)round);
		assert_plus_one(&rb, MIB - 3, (uint8_t)(round + 100));
		ck_assert_ptr_ne(ra.data, rb.data);
		pt_future_destroy(a);
		pt_future_destroy(b);
	}
	/* An empty argument is fine, and the room is page-aligned. */
	f = reserve_or_fail(pool, 0, &arg);
	ck_assert_uint_eq((uintptr_t)arg % 4096, 0);
	PT_ASSERT_OK(pt_pool_submit_reserved(f, plus_one));
	ck_assert_int_eq(wait_or_fail(f).status, PT_TASK_OK);
	ck_assert_uint_eq(wait_or_fail(f).len, 0);
	pt_future_destroy(f);
	pt_pool_destroy(pool);
}
END_TEST

/* A task may return its argument as its result: in place, the caller
 * reads it where it wrote the argument; copied, the pool copies it. A
 * result anywhere else, or longer than the argument, fails the task. */
START_TEST(result_may_be_the_argument)
{
	pt_pool *pool = pool_or_fail(PT_POOL_OPTS(.kind = _i, .workers = 1));
	unsigned char copied_arg[300];
	struct pt_result r;
	unsigned char *arg;
	pt_future *f;

	f = reserve_or_fail(pool, 5000, (void **)&arg);
	for (size_t k = 0; k < 5000; k++)
		arg[k] = (unsigned char)(3 + k);
	PT_ASSERT_OK(pt_pool_submit_reserved(f, plus_one_in_arg));
	r = wait_or_fail(f);
	assert_plus_one(&r, 5000, 3);
	if (_i == PT_KIND_THREAD)
		ck_assert_ptr_eq(r.data, arg);
	pt_future_destroy(f);
	for (size_t k = 0; k < sizeof(copied_arg); k++)
		copied_arg[k] = (unsigned char)(8 + k);
	PT_ASSERT_OK(pt_pool_submit(pool, plus_one_in_arg, copied_arg,
				    sizeof(copied_arg), &f));
	r = wait_or_fail(f);
	assert_plus_one(&r, sizeof(copied_arg), 8);
	pt_future_destroy(f);
	for (int in_place = 0; in_place < 2; in_place++) {
		pt_task_fn *bad[] = { result_elsewhere, result_past_arg };
		int want[] = { -EINVAL, -EMSGSIZE };

		for (int k = 0; k < 2; k++) {
			if (in_place) {
				f = run_or_fail(pool, bad[k], 16, 0);
			} else {
				PT_ASSERT_OK(pt_pool_submit(
					pool, bad[k], copied_arg, 16, &f));
			}
			r = wait_or_fail(f);
			ck_assert_int_eq(r.status, PT_TASK_FAILED);
			ck_assert_int_eq(r.error, want[k]);
			ck_assert_uint_eq(r.len, 0);
			pt_future_destroy(f);
		}
	}
	pt_pool_destroy(pool);
}
END_TEST

/* The arena is max_reserved slots: a full one fails (PT_POOL_WHEN_FULL_FAIL)
 * until a future is destroyed, whatever state it was in. */
START_TEST(full_arena_fails_until_a_future_is_destroyed)
{
	pt_pool *pool = pool_or_fail(
		PT_POOL_OPTS(.kind = _i, .workers = 1, .max_reserved = 2,
			     .when_full = PT_POOL_WHEN_FULL_FAIL));
	pt_future *a, *b, *c = NULL;
	void *arg;

	a = run_or_fail(pool, plus_one, 100, 1);
	b = reserve_or_fail(pool, 10, &arg);
	PT_ASSERT_ERR(pt_pool_reserve(pool, 10, &arg, &c), -EAGAIN);
	ck_assert_ptr_null(c);
	/* Resolved is not enough: the result is read from the slot. */
	wait_or_fail(a);
	PT_ASSERT_ERR(pt_pool_reserve(pool, 10, &arg, &c), -EAGAIN);
	pt_future_destroy(a);
	c = reserve_or_fail(pool, 10, &arg);
	/* A reservation never submitted gives its slot back too. */
	pt_future_destroy(b);
	pt_future_destroy(c);
	for (int k = 0; k < 2; k++) {
		pt_future *f = run_or_fail(pool, plus_one, 64, (uint8_t)k);
		struct pt_result r = wait_or_fail(f);

		assert_plus_one(&r, 64, (uint8_t)k);
		pt_future_destroy(f);
	}
	/* The copying submit does not use the arena. */
	PT_ASSERT_OK(pt_pool_submit(pool, plus_one, "ab", 2, &a));
	ck_assert_int_eq(wait_or_fail(a).status, PT_TASK_OK);
	pt_future_destroy(a);
	pt_pool_destroy(pool);
}
END_TEST

START_TEST(invalid_arguments_are_refused)
{
	pt_pool *pool = pool_or_fail(
		PT_POOL_OPTS(.kind = _i, .workers = 1, .max_arg_bytes = 4096));
	pt_future *f = NULL, *copied;
	void *arg = NULL;

	PT_ASSERT_ERR(pt_pool_reserve(NULL, 1, &arg, &f), -EINVAL);
	PT_ASSERT_ERR(pt_pool_reserve(pool, 1, NULL, &f), -EINVAL);
	PT_ASSERT_ERR(pt_pool_reserve(pool, 1, &arg, NULL), -EINVAL);
	PT_ASSERT_ERR(pt_pool_reserve(pool, 4097, &arg, &f), -EMSGSIZE);
	ck_assert_ptr_null(f);
	ck_assert_ptr_null(arg);
	PT_ASSERT_ERR(pt_pool_submit_reserved(NULL, plus_one), -EINVAL);
	f = reserve_or_fail(pool, 4096, &arg);
	PT_ASSERT_ERR(pt_pool_submit_reserved(f, NULL), -EINVAL);
	/* A copied task's future is no reservation. */
	PT_ASSERT_OK(pt_pool_submit(pool, plus_one, "x", 1, &copied));
	PT_ASSERT_ERR(pt_pool_submit_reserved(copied, plus_one), -EINVAL);
	PT_ASSERT_OK(pt_pool_submit_reserved(f, plus_one));
	PT_ASSERT_ERR(pt_pool_submit_reserved(f, plus_one), -EALREADY);
	ck_assert_int_eq(wait_or_fail(f).status, PT_TASK_OK);
	ck_assert_int_eq(wait_or_fail(copied).status, PT_TASK_OK);
	pt_future_destroy(f);
	pt_future_destroy(copied);
	pt_pool_destroy(pool);
}
END_TEST

START_TEST(cancel_reserved_queued_and_running)
{
	pt_pool *pool = pool_or_fail(PT_POOL_OPTS(.kind = _i, .workers = 1));
	pt_future *reserved, *running, *queued, *after;
	struct pt_pool_stats st;
	void *arg;

	reserved = reserve_or_fail(pool, 8, &arg);
	ck_assert_int_eq(pt_future_state(reserved), PT_FUTURE_QUEUED);
	PT_ASSERT_OK(pt_future_cancel(reserved));
	ck_assert_int_eq(wait_or_fail(reserved).status, PT_TASK_CANCELLED);
	PT_ASSERT_ERR(pt_pool_submit_reserved(reserved, plus_one), -EALREADY);
	running = run_or_fail(pool, until_cancelled, 8, 0);
	await_waiting(1);
	queued = run_or_fail(pool, plus_one, 8, 0);
	PT_ASSERT_OK(pt_future_cancel(queued));
	ck_assert_int_eq(wait_or_fail(queued).status, PT_TASK_CANCELLED);
	PT_ASSERT_OK(pt_future_cancel(running));
	ck_assert_int_eq(wait_or_fail(running).status, PT_TASK_CANCELLED);
	after = run_or_fail(pool, plus_one, 8, 9);
	{
		struct pt_result r = wait_or_fail(after);

		assert_plus_one(&r, 8, 9);
	}
	/* The reservation was never submitted: not counted. */
	PT_ASSERT_OK(pt_pool_get_stats(pool, &st));
	ck_assert_uint_eq(st.submitted, 3);
	ck_assert_uint_eq(st.cancelled, 2);
	pt_future_destroy(reserved);
	pt_future_destroy(running);
	pt_future_destroy(queued);
	pt_future_destroy(after);
	pt_pool_destroy(pool);
}
END_TEST

/* A deadline resolves an in-place task as for a copied one; the slot comes
 * back once the worker let go of it (a thread returns, a process is
 * replaced), so one slot is enough for what follows. */
START_TEST(timeout_resolves_and_the_slot_comes_back)
{
	pt_pool *pool = pool_or_fail(PT_POOL_OPTS(.kind = _i, .workers = 1,
						  .task_timeout_ms = 100,
						  .max_reserved = 1));
	pt_future *slow = run_or_fail(pool, until_cancelled, 16, 0);
	pt_future *after;
	struct pt_result r;

	r = wait_or_fail(slow);
	ck_assert_int_eq(r.status, PT_TASK_TIMED_OUT);
	ck_assert_ptr_null(r.data);
	pt_future_destroy(slow);
	after = run_or_fail(pool, plus_one, 16, 3);
	r = wait_or_fail(after);
	assert_plus_one(&r, 16, 3);
	pt_future_destroy(after);
	pt_pool_destroy(pool);
}
END_TEST

/* Hostile: reservations outstanding when the pool shuts down and is
 * destroyed resolve as shut down, cannot be submitted, and are freed by
 * their owner after the pool is gone (ASan and the ledger see the rest). */
START_TEST(destroy_with_reservations_outstanding)
{
	struct pt_ledger before, after;

	/* glibc keeps a malloc arena per contended thread: a mapping, not a
	 * leak. One arena keeps the count ours. */
	mallopt(M_ARENA_MAX, 1);
	for (int round = 0; round < 6; round++) {
		pt_pool *pool;
		pt_future *res[3], *done;
		unsigned char *arg;
		struct pt_result r;

		if (round == 2)
			pt_ledger_take(&before);
		pool = pool_or_fail(PT_POOL_OPTS(.kind = _i, .workers = 2,
						 .max_arg_bytes = MIB,
						 .max_result_bytes = MIB,
						 .max_reserved = 4));
		done = run_or_fail(pool, plus_one, MIB, 7);
		for (int k = 0; k < 3; k++) {
			res[k] = reserve_or_fail(pool, MIB, (void **)&arg);
			memset(arg, k, MIB);
		}
		wait_or_fail(done);
		pt_pool_destroy(pool);
		for (int k = 0; k < 3; k++) {
			ck_assert_int_eq(wait_or_fail(res[k]).status,
					 PT_TASK_SHUTDOWN);
			PT_ASSERT_ERR(pt_pool_submit_reserved(res[k], plus_one),
				      -ESHUTDOWN);
			pt_future_destroy(res[k]);
		}
		/* A resolved result outlives its pool. */
		r = wait_or_fail(done);
		assert_plus_one(&r, MIB, 7);
		pt_future_destroy(done);
	}
	pt_ledger_take(&after);
	pt_ledger_assert_same(&before, &after);
}
END_TEST

START_TEST(shutdown_resolves_running_and_reserved)
{
	pt_pool *pool = pool_or_fail(PT_POOL_OPTS(.kind = _i, .workers = 1));
	pt_future *running = run_or_fail(pool, until_cancelled, 8, 0);
	pt_future *queued, *reserved, *late = NULL;
	void *arg;

	await_waiting(1);
	queued = run_or_fail(pool, plus_one, 8, 0);
	reserved = reserve_or_fail(pool, 8, &arg);
	PT_ASSERT_ERR(pt_pool_shutdown(pool, PT_POOL_SHUTDOWN_CANCEL, 100),
		      -ETIMEDOUT);
	ck_assert_int_eq(wait_or_fail(running).status, PT_TASK_SHUTDOWN);
	ck_assert_int_eq(wait_or_fail(queued).status, PT_TASK_SHUTDOWN);
	ck_assert_int_eq(wait_or_fail(reserved).status, PT_TASK_SHUTDOWN);
	PT_ASSERT_ERR(pt_pool_submit_reserved(reserved, plus_one), -ESHUTDOWN);
	PT_ASSERT_ERR(pt_pool_reserve(pool, 8, &arg, &late), -ESHUTDOWN);
	pt_future_destroy(running);
	pt_future_destroy(queued);
	pt_future_destroy(reserved);
	pt_pool_destroy(pool);
}
END_TEST

/* A thread that blocks in reserve on a full arena wakes at shutdown. */
static void *reserve_blocked(void *arg)
{
	pt_future *f = NULL;
	void *room;

	return (void *)(intptr_t)pt_pool_reserve(arg, 8, &room, &f);
}

START_TEST(blocked_reserve_wakes_at_shutdown)
{
	pt_pool *pool = pool_or_fail(
		PT_POOL_OPTS(.kind = _i, .workers = 1, .max_reserved = 1));
	pt_future *held;
	pthread_t t;
	void *arg, *rc;

	held = reserve_or_fail(pool, 8, &arg);
	ck_assert_int_eq(pthread_create(&t, NULL, reserve_blocked, pool), 0);
	sleep_us(50000);
	PT_ASSERT_OK(pt_pool_shutdown(pool, PT_POOL_SHUTDOWN_DRAIN, -1));
	ck_assert_int_eq(pthread_join(t, &rc), 0);
	ck_assert_int_eq((int)(intptr_t)rc, -ESHUTDOWN);
	pt_future_destroy(held);
	pt_pool_destroy(pool);
}
END_TEST

/* --- process workers: a crash costs one task, and no slot -------------- */

/* Hostile: the worker dies with the task in its slot, after writing half
 * a result there. The task resolves CRASHED exactly once, with no bytes;
 * the others are untouched; the only slot comes back and serves again. */
START_TEST(crash_mid_task_resolves_once_and_frees_the_slot)
{
	pt_pool *pool = pool_or_fail(
		PT_POOL_OPTS(.kind = PT_KIND_PROCESS, .workers = 1,
			     .max_arg_bytes = MIB, .max_result_bytes = MIB,
			     .max_reserved = 1,
			     .when_full = PT_POOL_WHEN_FULL_FAIL,
			     .completions = true));
	struct pt_pool_stats st;
	struct pt_result r;
	pt_future *f, *done;
	int crashed = 0;

	for (int round = 0; round < 3; round++) {
		f = run_or_fail(pool,
				round == 1 ? crash_abort : crash_mid_result,
				MIB, 1);
		r = wait_or_fail(f);
		ck_assert_int_eq(r.status, PT_TASK_CRASHED);
		ck_assert_int_eq(r.signal, SIGABRT);
		ck_assert_ptr_null(r.data);
		ck_assert_uint_eq(r.len, 0);
		/* Once: the completion queue has it once. */
		while (pt_pool_next_done(pool, &done) == 0) {
			ck_assert_ptr_eq(done, f);
			crashed++;
			pt_future_destroy(done);
		}
		pt_future_destroy(f);
		f = run_or_fail(pool, plus_one, MIB, 5);
		r = wait_or_fail(f);
		assert_plus_one(&r, MIB, 5);
		while (pt_pool_next_done(pool, &done) == 0)
			pt_future_destroy(done);
		pt_future_destroy(f);
	}
	ck_assert_int_eq(crashed, 3);
	PT_ASSERT_OK(pt_pool_get_stats(pool, &st));
	ck_assert_uint_eq(st.crashed, 3);
	ck_assert_uint_eq(st.restarts, 3);
	ck_assert_uint_eq(st.ok, 3);
	pt_pool_destroy(pool);
}
END_TEST

/* A retried in-place task runs again on the same argument bytes. */
START_TEST(retries_rerun_an_in_place_task)
{
	pt_pool *pool = pool_or_fail(PT_POOL_OPTS(.kind = PT_KIND_PROCESS,
						  .workers = 1, .retries = 1));
	pt_future *f = run_or_fail(pool, crash_once_then_plus_one, 4000, 9);
	struct pt_result r = wait_or_fail(f);

	assert_plus_one(&r, 4000, 9);
	ck_assert_uint_eq(r.attempts, 2);
	pt_future_destroy(f);
	pt_pool_destroy(pool);
}
END_TEST

static Suite *reserve_suite(void)
{
	return PT_TEST_SUITE(
		"pool_reserve",
		{ "both kinds",
		  .for_kinds =
			  PT_TESTS(large_tasks_round_trip_in_place,
				   result_may_be_the_argument,
				   full_arena_fails_until_a_future_is_destroyed,
				   invalid_arguments_are_refused,
				   cancel_reserved_queued_and_running,
				   timeout_resolves_and_the_slot_comes_back,
				   destroy_with_reservations_outstanding,
				   shutdown_resolves_running_and_reserved,
				   blocked_reserve_wakes_at_shutdown),
		  .setup = setup, .teardown = teardown, .timeout_s = 60 },
		{ "processes",
		  .once = PT_TESTS(
			  crash_mid_task_resolves_once_and_frees_the_slot,
			  retries_rerun_an_in_place_task),
		  .setup = setup, .teardown = teardown, .timeout_s = 60,
		  .tags = "process" });
}

PT_TEST_MAIN(reserve_suite)
