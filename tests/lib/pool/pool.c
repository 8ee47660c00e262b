/* test_pool - pools: submit and results, a full queue, recycled workers, a
 * task's timeout. Every body runs for thread and process workers (the loop
 * index is the kind). Cancel, shutdown, names, the completion descriptor
 * and crashes are in test_pool_lifecycle.
 *
 * Tasks that must wait for the test hold on a gate in MAP_SHARED memory,
 * made before the pool, so directly forked workers share it too
 * (pool_support.h). */
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
#include <sched.h>
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

/* --- both kinds
 * ---------------------------------------------------------------- */

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
	PT_ASSERT_OK(pt_pool_get_stats(pool, &st));
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
	pt_pool *pool = pool_or_fail(
		PT_POOL_OPTS(.kind = _i, .workers = 1, .queue_capacity = 2,
			     .when_full = PT_POOL_WHEN_FULL_FAIL));
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
	PT_ASSERT_OK(pt_pool_get_stats(pool, &st));
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
	if (_i == PT_KIND_PROCESS)
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
	PT_ASSERT_OK(pt_pool_get_stats(pool, &st));
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
	PT_ASSERT_OK(pt_pool_get_stats(pool, &st));
	ck_assert_uint_eq(st.timed_out, 1);
	ck_assert_uint_eq(st.restarts, _i == PT_KIND_PROCESS ? 1 : 0);
	pt_future_destroy(slow);
	pt_future_destroy(after);
	pt_pool_destroy(pool);
}
END_TEST
/* The deadline runs from a task's start: a process worker that is still
 * in its initializer has not started the task it was sent, so the time
 * the initializer takes is not the task's. (The task was charged with it:
 * under load a fresh worker's start alone ran an ok task out of time.) */
START_TEST(timeout_counts_from_the_start_not_the_initializer)
{
	pt_pool *pool = pool_or_fail(
		PT_POOL_OPTS(.kind = _i, .workers = 1, .task_timeout_ms = 100,
			     .initializer = init_ok_gated));
	uint64_t t0 = pt_test_now_ns();
	pt_future *f = submit_or_fail(pool, echo, "x", 2);
	struct pt_result r;
	uint64_t opened;

	while (atomic_load(&sh->init_runs) < 1) {
		ck_assert_msg(pt_test_now_ns() - t0 < 10000000000u,
			      "no initializer ran in 10 s");
		usleep(1000);
	}
	/* Twice the timeout in the initializer, with the task sent (a
	 * process worker's proxy sends it once the worker is forked). */
	usleep(200000);
	opened = pt_test_now_ns();
	atomic_store(&sh->init_gate, 1);
	r = wait_or_fail(f);
	ck_assert_int_eq(r.status, PT_TASK_OK);
	ck_assert_str_eq(r.data, "x");
	ck_assert_uint_ge(r.started_ns, opened);
	pt_future_destroy(f);
	pt_pool_destroy(pool);
}
END_TEST

/* Idle workers park, and a task wakes one of them only while no other
 * woken one is on its way (queue.c): every task must still find a worker.
 * Several threads submit small bursts, at random, to a pool with many
 * more workers than tasks at a time, so that workers park and are woken
 * over and over, from every side; each task resolves within 10 s, or a
 * wake was lost. */
#define SUBMITTERS 4
#define ROUNDS	   150

struct burster {
	pt_pool *pool;
	unsigned seed;
	int failed; /* the first round that went wrong, +1 */
	int status;
};

static void *run_bursts(void *arg)
{
	struct burster *s = arg;

	for (int round = 0; round < ROUNDS && !s->failed; round++) {
		unsigned n = 1 + (unsigned)rand_r(&s->seed) % 8;
		pt_future *f[8];

		for (unsigned i = 0; i < n; i++)
			if (pt_pool_submit(s->pool, echo, "x", 2, &f[i])) {
				s->failed = round + 1;
				n = i;
			}
		for (unsigned i = 0; i < n; i++) {
			struct pt_result r;

			if (pt_future_wait(f[i], 10000, &r) ||
			    r.status != PT_TASK_OK) {
				s->failed = round + 1;
				s->status = r.status;
			}
			pt_future_destroy(f[i]);
		}
		if (rand_r(&s->seed) % 4 == 0)
			usleep(rand_r(&s->seed) % 300);
	}
	return NULL;
}

START_TEST(parked_workers_lose_no_wake)
{
	pt_pool *pool = pool_or_fail(PT_POOL_OPTS(.kind = _i, .workers = 24));
	struct burster s[SUBMITTERS];
	pthread_t t[SUBMITTERS];
	struct pt_pool_stats st;

	for (int i = 0; i < SUBMITTERS; i++) {
		s[i] = (struct burster){ .pool = pool, .seed = 7u + i };
		ck_assert_int_eq(pthread_create(&t[i], NULL, run_bursts, &s[i]),
				 0);
	}
	for (int i = 0; i < SUBMITTERS; i++) {
		pthread_join(t[i], NULL);
		ck_assert_msg(!s[i].failed,
			      "submitter %d: round %d failed (status %d)", i,
			      s[i].failed - 1, s[i].status);
	}
	PT_ASSERT_OK(pt_pool_get_stats(pool, &st));
	ck_assert_uint_eq(st.submitted, st.ok);
	pt_pool_destroy(pool);
}
END_TEST

/* On one CPU, a pool of four workers kind, warmed up with empty tasks
 * (short: the busy cap and batching at work, queue.c), is sent four tasks
 * that wait at the gate - one by one, each once the one before started,
 * or all at once. All four must be running at once (each on a worker of
 * its own) before the gate opens. */
static void four_long_after_short(int kind, bool at_once)
{
	cpu_set_t all, one;
	pt_pool *pool;
	pt_future *f[4];
	pid_t pid[4];

	ck_assert_int_eq(sched_getaffinity(0, sizeof(all), &all), 0);
	CPU_ZERO(&one);
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &all)) {
			CPU_SET(c, &one);
			break;
		}
	ck_assert_int_eq(sched_setaffinity(0, sizeof(one), &one), 0);
	pool = pool_or_fail(PT_POOL_OPTS(.kind = kind, .workers = 4));
	for (int round = 0; round < 8; round++) {
		pt_future *warm[16];

		for (int i = 0; i < 16; i++)
			warm[i] = submit_or_fail(pool, echo, "x", 2);
		for (int i = 0; i < 16; i++) {
			ck_assert_int_eq(wait_or_fail(warm[i]).status,
					 PT_TASK_OK);
			pt_future_destroy(warm[i]);
		}
	}
	for (int i = 0; i < 4; i++) {
		f[i] = submit_or_fail(pool, gated, NULL, 0);
		if (!at_once)
			await_waiting(i + 1);
	}
	await_waiting(4);
	atomic_store(&sh->gate, 1);
	for (int i = 0; i < 4; i++) {
		struct pt_result r = wait_or_fail(f[i]);

		ck_assert_int_eq(r.status, PT_TASK_OK);
		pid[i] = r.worker_pid;
		for (int k = 0; kind == PT_KIND_PROCESS && k < i; k++)
			ck_assert_int_ne(pid[k], pid[i]);
		pt_future_destroy(f[i]);
	}
	pt_pool_destroy(pool);
	ck_assert_int_eq(sched_setaffinity(0, sizeof(all), &all), 0);
}

/* While as many workers as the pool has CPUs are busy with short tasks,
 * the pool wakes no parked one: they are back for the next task within
 * microseconds. A task that turns out long must not keep the queue from
 * the parked workers for its whole run. */
START_TEST(a_long_task_after_short_ones_does_not_hold_the_queue)
{
	four_long_after_short(_i, false);
}
END_TEST

/* A process slot sends a worker a batch of tasks at once while its tasks
 * run short (several per round trip). When the first of a batch turns
 * out long, the others must not wait for it while workers idle: the slot
 * takes back what its worker has not started and the queue hands it on.
 * Submitted at once, the four are taken by one slot, several at a time. */
START_TEST(tasks_sent_behind_a_long_one_go_to_idle_workers)
{
	four_long_after_short(_i, true);
}
END_TEST

/* How many times each task of runs_each_once ran, in memory the workers
 * share with the test. */
#define ONCE_TASKS 600
static _Atomic uint32_t *once_runs;

/* Counts its run; every 16th task (by index) sleeps 2 ms, past the 1 ms a
 * busy slot waits before it takes back what it sent behind it. */
static int count_run(const void *arg, size_t len, struct pt_task_out *out)
{
	uint32_t i;

	(void)len;
	memcpy(&i, arg, sizeof(i));
	atomic_fetch_add(&once_runs[i], 1);
	if (i % 16 == 0)
		usleep(2000);
	memcpy(out->data, &i, sizeof(i));
	out->len = sizeof(i);
	return 0;
}

/* Tasks taken back from a worker that ran long go to another: each task
 * still runs exactly once and resolves once with its own result, while
 * long tasks keep interrupting batches of short ones. */
START_TEST(taken_back_tasks_run_exactly_once)
{
	pt_future **f = calloc(ONCE_TASKS, sizeof(*f));
	pt_pool *pool;

	/* Before the workers are forked, which share it so. */
	once_runs =
		mmap(NULL, ONCE_TASKS * sizeof(*once_runs),
		     PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(once_runs, MAP_FAILED);
	pool = pool_or_fail(PT_POOL_OPTS(.kind = _i, .workers = 3));
	ck_assert_ptr_nonnull(f);
	for (uint32_t i = 0; i < ONCE_TASKS; i++)
		f[i] = submit_or_fail(pool, count_run, &i, sizeof(i));
	for (uint32_t i = 0; i < ONCE_TASKS; i++) {
		struct pt_result r = wait_or_fail(f[i]);
		uint32_t got;

		ck_assert_int_eq(r.status, PT_TASK_OK);
		ck_assert_uint_eq(r.len, sizeof(got));
		memcpy(&got, r.data, sizeof(got));
		ck_assert_uint_eq(got, i);
		ck_assert_uint_eq(r.attempts, 1);
		pt_future_destroy(f[i]);
	}
	pt_pool_destroy(pool);
	for (uint32_t i = 0; i < ONCE_TASKS; i++)
		ck_assert_msg(atomic_load(&once_runs[i]) == 1,
			      "task %u ran %u times", i,
			      atomic_load(&once_runs[i]));
	munmap((void *)once_runs, ONCE_TASKS * sizeof(*once_runs));
	free(f);
}
END_TEST

/* CPU time, in ns, of this process and of the worker processes in pids. */
static uint64_t cpu_ns(const pid_t *pids, unsigned n)
{
	long tick = sysconf(_SC_CLK_TCK);
	struct timespec ts;
	uint64_t sum;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	sum = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	for (unsigned k = 0; k < n; k++) {
		unsigned long utime = 0, stime = 0;
		char path[64], line[1024], *after;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pids[k]);
		f = fopen(path, "r");
		ck_assert_msg(f, "%s: %s", path, strerror(errno));
		ck_assert(fgets(line, sizeof(line), f));
		fclose(f);
		/* past the command, which may hold spaces: fields 3 on */
		after = strrchr(line, ')');
		ck_assert_ptr_nonnull(after);
		ck_assert_int_eq(sscanf(after + 2,
					"%*c %*d %*d %*d %*d %*d %*u %*u %*u "
					"%*u %*u %lu %lu",
					&utime, &stime),
				 2);
		sum += (uint64_t)(utime + stime) * 1000000000u / (uint64_t)tick;
	}
	return sum;
}

/* pool.h: a worker that runs out of tasks spins for a moment, at most the
 * adaptive wait's budget, then sleeps - an idle pool costs no CPU past
 * that. Over 400 ms of idleness after a burst, the pool's process (and
 * its worker processes) use a small share of one CPU; a spin that never
 * ended would take all of it. */
START_TEST(an_idle_pool_costs_no_cpu)
{
	pt_pool *pool = pool_or_fail(PT_POOL_OPTS(.kind = _i, .workers = 3));
	pid_t pids[3];
	unsigned npids = 0;
	uint64_t before, used;
	pt_future *f[64];

	for (int i = 0; i < 64; i++)
		f[i] = submit_or_fail(pool, echo, "x", 2);
	for (int i = 0; i < 64; i++) {
		struct pt_result r = wait_or_fail(f[i]);
		unsigned k = 0;

		ck_assert_int_eq(r.status, PT_TASK_OK);
		while (k < npids && pids[k] != r.worker_pid)
			k++;
		if (_i == PT_KIND_PROCESS && k == npids && npids < 3)
			pids[npids++] = r.worker_pid;
		pt_future_destroy(f[i]);
	}
	usleep(50 * 1000); /* past any spin: 100 us at most */
	before = cpu_ns(pids, npids);
	usleep(400 * 1000);
	used = cpu_ns(pids, npids) - before;
	ck_assert_msg(used < 60 * 1000000u,
		      "the idle pool used %llu ms of CPU in 400 ms",
		      (unsigned long long)(used / 1000000u));
	pt_pool_destroy(pool);
}
END_TEST

static Suite *pool_suite(void)
{
	return PT_TEST_SUITE(
		"pool",
		{ "both kinds",
		  .for_kinds = PT_TESTS(
			  oversize_result_is_an_error_not_a_truncation,
			  results_and_errors_round_trip,
			  full_queue_fails_or_blocks,
			  full_queue_blocks_until_room, workers_are_recycled,
			  a_task_can_ask_for_a_new_worker,
			  timeout_resolves_at_the_deadline,
			  timeout_counts_from_the_start_not_the_initializer,
			  parked_workers_lose_no_wake,
			  a_long_task_after_short_ones_does_not_hold_the_queue,
			  tasks_sent_behind_a_long_one_go_to_idle_workers,
			  taken_back_tasks_run_exactly_once,
			  an_idle_pool_costs_no_cpu),
		  .setup = setup, .teardown = teardown });
}

PT_TEST_MAIN(pool_suite)
