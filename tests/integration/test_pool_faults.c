/* test_pool_faults.c - a process pool under fire, with workers from the
 * fork-server:
 * - 10,000 tasks with 5% faults (SIGSEGV, abort, exit without a result, an
 *   endless loop hitting the timeout, and kill -9 from outside at random
 *   moments): every future resolves exactly once with the right cause, the
 *   others succeed, and nothing is left behind;
 * - a program whose 8 threads keep taking locks (malloc, stdio, a mutex)
 *   starts process pools 1,000 times without a deadlock.
 * Set PT_FAULT_TALLY=1 to print the tally. */
#include <procthread.h>

#include "support/kinds.h"
#include "support/ledger.h"

#include <check.h>
#include <dirent.h>
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
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum fault { CLEAN, SEGV, ABORT, EXIT, ENDLESS, NFAULTS };

static const char *const fault_names[NFAULTS] = { "clean", "segv", "abort",
						  "exit", "endless" };

struct job {
	uint32_t index;
	uint32_t fault;
	uint64_t payload;
};

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x;
}

static int job_fn(const void *arg, size_t len, struct pt_task_out *out)
{
	struct job j;
	uint64_t r;
	volatile char *page;

	if (len != sizeof(j))
		return -1;
	memcpy(&j, arg, sizeof(j));
	switch (j.fault) {
	case SEGV:
		page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);
		page[0] = 1;
		break;
	case ABORT:
		abort();
	case EXIT:
		/* _exit(): see test_pool.c on exit() under LeakSanitizer. */
		_exit(7);
	case ENDLESS:
		/* Endless, but asleep: a spinning loop would starve the
		 * clean tasks of a 2-CPU machine past their deadline. */
		for (;;)
			pause();
	default:
		break;
	}
	r = mix(j.payload);
	memcpy(out->data, &r, sizeof(r));
	out->len = sizeof(r);
	return 0;
}

/* --- kill -9 from outside ------------------------------------------------- */

struct killer {
	atomic_int stop;
	int server;
	int want;
	int sent;
	unsigned seed;
};

/* A random child of the fork-server (the pool's workers are its only
 * children here), or 0. */
static int random_worker(struct killer *k)
{
	char path[64];
	int pids[64];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", k->server,
		 k->server);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (n < 64 && fscanf(f, "%d", &pids[n]) == 1)
		n++;
	fclose(f);
	return n ? pids[rand_r(&k->seed) % (unsigned)n] : 0;
}

/* Is pid still the server's child? Read after the pidfd was opened, so a
 * pid reused since cannot be the one signalled. */
static int child_of_server(int pid, int server)
{
	char path[64], buf[512];
	FILE *f;
	char *paren;
	int ppid = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	paren = strrchr(buf, ')');
	if (!paren || sscanf(paren + 2, "%*c %d", &ppid) != 1)
		return 0;
	return ppid == server;
}

static void *killer_main(void *arg)
{
	struct killer *k = arg;
	struct timespec gap = { 0, 0 };

	while (!atomic_load(&k->stop) && k->sent < k->want) {
		int pid = random_worker(k);
		int fd;

		gap.tv_nsec = (long)(rand_r(&k->seed) % 4000000u);
		nanosleep(&gap, NULL);
		if (!pid)
			continue;
		fd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (fd < 0)
			continue;
		if (child_of_server(pid, k->server) &&
		    syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0) == 0)
			k->sent++;
		close(fd);
	}
	return NULL;
}

/* --- the tally ---------------------------------------------------------------
 */

/* The deadline must hold for every clean task on a shared 2-CPU machine
 * whose load can reach dozens of runnable threads; endless tasks are rare
 * because each costs a worker a whole deadline. ThreadSanitizer slows
 * every worker many times over: there the deadline is longer and the run
 * shorter. */
#ifdef PT_TSAN
#define NTASKS	   2000
#define TIMEOUT_MS 5000
#define NPOOLS	   250
#else
#define NTASKS	   10000
#define TIMEOUT_MS 2000
#define NPOOLS	   1000
#endif

struct tally {
	int submitted[NFAULTS];
	int expected[NFAULTS]; /* resolved with the injected cause */
	int killed[NFAULTS];   /* hit by the outside kill instead */
	int seen_twice;
};

static void check_one(const struct job *j, const struct pt_result *r,
		      struct tally *t)
{
	uint64_t want = mix(j->payload), got;
	bool outside_kill = r->status == PT_TASK_CRASHED &&
			    r->how == PT_EXIT_SIGNALED && r->signal == SIGKILL;

	if (outside_kill) {
		t->killed[j->fault]++;
		return;
	}
	switch (j->fault) {
	case CLEAN:
		ck_assert_msg(r->status == PT_TASK_OK, "task %u: %s", j->index,
			      pt_task_status_name(r->status));
		ck_assert_uint_eq(r->len, sizeof(got));
		memcpy(&got, r->data, sizeof(got));
		ck_assert_uint_eq(got, want);
		break;
	case SEGV:
	case ABORT:
		ck_assert_int_eq(r->status, PT_TASK_CRASHED);
		ck_assert_int_eq(r->how, PT_EXIT_CRASHED);
		ck_assert_int_eq(r->signal,
				 j->fault == SEGV ? SIGSEGV : SIGABRT);
		ck_assert_int_gt(r->worker_pid, 0);
		break;
	case EXIT:
		ck_assert_int_eq(r->status, PT_TASK_CRASHED);
		ck_assert_int_eq(r->how, PT_EXIT_EXITED);
		ck_assert_int_eq(r->exit_code, 7);
		break;
	case ENDLESS:
		ck_assert_int_eq(r->status, PT_TASK_TIMED_OUT);
		break;
	}
	ck_assert_uint_eq(r->attempts, 1);
	t->expected[j->fault]++;
}

struct entry {
	const pt_future *f;
	uint32_t index;
};

static int by_future(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	return x->f < y->f ? -1 : x->f > y->f;
}

static void print_tally(const struct tally *t, const struct killer *k,
			const struct pt_pool_stats *st)
{
	if (!getenv("PT_FAULT_TALLY"))
		return;
	printf("fault     submitted  injected-cause  killed-from-outside\n");
	for (int i = 0; i < NFAULTS; i++)
		printf("%-8s  %9d  %14d  %19d\n", fault_names[i],
		       t->submitted[i], t->expected[i], t->killed[i]);
	printf("outside kills sent: %d; worker restarts: %llu; ok %llu, "
	       "crashed %llu, timed out %llu\n",
	       k->sent, (unsigned long long)st->restarts,
	       (unsigned long long)st->ok, (unsigned long long)st->crashed,
	       (unsigned long long)st->timed_out);
	fflush(stdout);
}

START_TEST(ten_thousand_tasks_five_percent_faults)
{
	struct pt_pool_opts opts =
		PT_POOL_OPTS(.kind = PT_PROCESS, .workers = 4,
			     .queue_capacity = NTASKS,
			     .task_timeout_ms = TIMEOUT_MS, .completions = true,
			     .name = "pt-fault");
	struct killer k = { .want = 100, .seed = 12345 };
	struct pt_ledger before, after;
	static struct job jobs[NTASKS];
	static pt_future *futs[NTASKS];
	static struct entry index[NTASKS];
	static unsigned char seen[NTASKS];
	struct tally t = { 0 };
	struct pt_pool_stats st;
	struct pollfd pfd;
	int killed_total = 0;
	pt_pool *pool;
	pthread_t killer;
	unsigned seed = 777;
	int resolved = 0;

	ck_assert_int_eq(pt_forkserver_start(), 0);
	k.server = pt_forkserver_pid();
	/* One malloc arena (glibc keeps one per contended thread: mappings,
	 * not leaks), and a warm-up pool for the cached thread stacks. */
	mallopt(M_ARENA_MAX, 1);
	ck_assert_int_eq(pt_pool_create(&opts, &pool), 0);
	/* The heap grows to hold 10,000 futures and stays grown. */
	for (uint32_t i = 0; i < NTASKS; i++) {
		jobs[i] = (struct job){ .index = i };
		ck_assert_int_eq(pt_pool_submit(pool, job_fn, &jobs[i],
						sizeof(jobs[i]), &futs[i]),
				 0);
	}
	ck_assert_int_eq(pt_pool_wait_all(pool, 60000), 0);
	for (uint32_t i = 0; i < NTASKS; i++) {
		pt_future *f;

		ck_assert_int_eq(pt_pool_next_done(pool, &f), 0);
		pt_future_destroy(f);
		pt_future_destroy(futs[i]);
	}
	atomic_store(&k.stop, 1); /* and a cached stack for the killer */
	ck_assert_int_eq(pthread_create(&killer, NULL, killer_main, &k), 0);
	pthread_join(killer, NULL);
	atomic_store(&k.stop, 0);
	pt_pool_destroy(pool);
	pt_ledger_take(&before);
	ck_assert_int_eq(pt_pool_create(&opts, &pool), 0);
	pfd = (struct pollfd){ .fd = pt_pool_fd(pool), .events = POLLIN };
	ck_assert_int_eq(pthread_create(&killer, NULL, killer_main, &k), 0);

	/* 4% in-task faults in random places - 1.3% each of SIGSEGV, abort
	 * and exit, 0.1% endless (each costs a whole deadline of a worker) -
	 * and the outside kills make the fifth percent. */
	for (uint32_t i = 0; i < NTASKS; i++) {
		unsigned roll = rand_r(&seed) % 1000;

		jobs[i] = (struct job){ .index = i, .payload = i * 7919ull };
		jobs[i].fault = roll < 13   ? SEGV
				: roll < 26 ? ABORT
				: roll < 39 ? EXIT
				: roll < 40 ? ENDLESS
					    : CLEAN;
		t.submitted[jobs[i].fault]++;
		ck_assert_int_eq(pt_pool_submit(pool, job_fn, &jobs[i],
						sizeof(jobs[i]), &futs[i]),
				 0);
		index[i] = (struct entry){ .f = futs[i], .index = i };
	}
	qsort(index, NTASKS, sizeof(index[0]), by_future);

	/* Each future comes out of the completion queue exactly once. */
	while (resolved < NTASKS) {
		struct entry key, *hit;
		struct pt_result r;
		pt_future *f;

		if (pt_pool_next_done(pool, &f) == -EAGAIN) {
			ck_assert_msg(poll(&pfd, 1, 60000) == 1,
				      "%d of %d resolved", resolved, NTASKS);
			continue;
		}
		key.f = f;
		hit = bsearch(&key, index, NTASKS, sizeof(index[0]), by_future);
		ck_assert_ptr_nonnull(hit);
		ck_assert_int_eq(seen[hit->index]++, 0);
		ck_assert_int_eq(pt_future_wait(f, 0, &r), 0);
		check_one(&jobs[hit->index], &r, &t);
		pt_future_destroy(f);
		resolved++;
	}
	atomic_store(&k.stop, 1);
	pthread_join(killer, NULL);
	ck_assert_int_eq(pt_pool_next_done(pool, &futs[0]) == -EAGAIN, 1);
	for (int i = 0; i < NTASKS; i++) {
		ck_assert_int_eq(seen[i], 1);
		ck_assert(pt_future_done(futs[i]));
		pt_future_destroy(futs[i]);
	}
	ck_assert_int_eq(pt_pool_stats(pool, &st), 0);
	ck_assert_uint_eq(st.submitted, NTASKS);
	ck_assert_uint_eq(st.ok + st.crashed + st.timed_out, NTASKS);
	ck_assert_uint_eq(st.failed + st.cancelled + st.shut_down, 0);
	for (int i = 0; i < NFAULTS; i++) {
		ck_assert_int_eq(t.expected[i] + t.killed[i], t.submitted[i]);
		killed_total += t.killed[i];
	}
	/* Only what was killed from outside may have died of SIGKILL, at
	 * most once per kill (a kill can land on an idle worker). */
	ck_assert_int_le(killed_total, k.sent);
	ck_assert_uint_eq(st.crashed,
			  (uint64_t)(t.expected[SEGV] + t.expected[ABORT] +
				     t.expected[EXIT] + killed_total));
	print_tally(&t, &k, &st);
	pt_pool_destroy(pool);
	pt_ledger_take(&after);
	pt_ledger_assert_same(&before, &after);
	ck_assert_int_eq(pt_forkserver_stop(), 0);
}
END_TEST

/* --- pools from a program whose threads hold locks
 * ------------------------------ */

static atomic_int stop_busy;
static pthread_mutex_t busy_lock = PTHREAD_MUTEX_INITIALIZER;

static void *busy_thread(void *arg)
{
	FILE *sink = arg;
	unsigned n = 0;

	while (!atomic_load_explicit(&stop_busy, memory_order_relaxed)) {
		void *p = malloc(64 + (n++ % 4096));

		pthread_mutex_lock(&busy_lock);
		fprintf(sink, "%u %p\n", n, p);
		pthread_mutex_unlock(&busy_lock);
		free(p);
	}
	return NULL;
}

/* In the worker: malloc, stdio and the very mutex the busy threads take. */
static int use_locks(const void *arg, size_t len, struct pt_task_out *out)
{
	char *p = malloc(1000);
	FILE *f = fopen("/dev/null", "we");

	(void)arg;
	(void)len;
	if (!p || !f)
		return 1;
	fprintf(f, "%p", (void *)p);
	fclose(f);
	pthread_mutex_lock(&busy_lock);
	pthread_mutex_unlock(&busy_lock);
	free(p);
	out->len = 0;
	return 0;
}

START_TEST(thousand_pools_from_a_busy_threaded_program)
{
	struct pt_pool_opts opts =
		PT_POOL_OPTS(.kind = PT_PROCESS, .workers = 1);
	pthread_t busy[8];
	FILE *sink;

	ck_assert_int_eq(pt_forkserver_start(), 0);
	sink = fopen("/dev/null", "we");
	ck_assert_ptr_nonnull(sink);
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(
			pthread_create(&busy[i], NULL, busy_thread, sink), 0);
	for (int i = 0; i < NPOOLS; i++) {
		struct pt_result r;
		pt_pool *pool;
		pt_future *f;

		ck_assert_int_eq(pt_pool_create(&opts, &pool), 0);
		ck_assert_int_eq(pt_pool_submit(pool, use_locks, NULL, 0, &f),
				 0);
		/* A deadlocked worker would show as a timeout here. */
		ck_assert_int_eq(pt_future_wait(f, 20000, &r), 0);
		ck_assert_int_eq(r.status, PT_TASK_OK);
		pt_future_destroy(f);
		pt_pool_destroy(pool);
	}
	atomic_store(&stop_busy, 1);
	for (int i = 0; i < 8; i++)
		pthread_join(busy[i], NULL);
	fclose(sink);
	ck_assert_int_eq(pt_forkserver_stop(), 0);
}
END_TEST

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
 * still run every task - the loop index picks the kind, and whether the
 * worker retires by max_tasks_per_worker or at the task's request. Every
 * future stays valid and resolved after the pool is destroyed. */
START_TEST(drain_runs_every_task_when_workers_retire)
{
	enum pt_kind kind = _i >= 2 ? PT_PROCESS : PT_THREAD;
	bool asked = _i % 2;
	struct pt_pool_opts opts =
		PT_POOL_OPTS(.kind = kind, .workers = 3,
			     .max_tasks_per_worker = asked ? 0 : 1);
	pt_task_fn *fn = asked ? square_and_retire : square;
	struct pt_pool_stats st;
	struct pt_result r;
	pt_future *f[6];
	pt_pool *pool;

	if (kind == PT_PROCESS && pt_test_kinds_end() <= PT_PROCESS)
		return;
	ck_assert_int_eq(pt_pool_create(&opts, &pool), 0);
	for (int64_t i = 0; i < 6; i++)
		ck_assert_int_eq(pt_pool_submit(pool, fn, &i, sizeof(i), &f[i]),
				 0);
	ck_assert_int_eq(pt_pool_shutdown(pool, PT_POOL_DRAIN, 30000), 0);
	ck_assert_int_eq(pt_pool_wait_all(pool, 0), 0);
	ck_assert_int_eq(pt_pool_stats(pool, &st), 0);
	ck_assert_uint_eq(st.ok, 6);
	ck_assert_uint_eq(st.queued, 0);
	pt_pool_destroy(pool);
	for (int64_t i = 0; i < 6; i++) {
		int64_t got;

		ck_assert_int_eq(pt_future_wait(f[i], 0, &r), 0);
		ck_assert_int_eq(r.status, PT_TASK_OK);
		ck_assert_uint_eq(r.len, sizeof(got));
		memcpy(&got, r.data, sizeof(got));
		ck_assert_int_eq(got, i * i);
		/* Resolved: cancel must not reach into the freed pool. */
		ck_assert_int_eq(pt_future_cancel(f[i]), -EALREADY);
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

	ck_assert_int_eq(pt_pool_create(&opts, &pool), 0);
	for (int64_t i = 0; i < 4; i++)
		ck_assert_int_eq(
			pt_pool_submit(pool, square, &i, sizeof(i), &f[i]), 0);
	pt_pool_destroy(pool);
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(pt_future_wait(f[i], 0, &r), 0);
		ck_assert(r.status == PT_TASK_OK ||
			  r.status == PT_TASK_SHUTDOWN);
		ck_assert_int_eq(pt_future_cancel(f[i]), -EALREADY);
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

	ck_assert_int_eq(pt_pool_create(&opts, &pool), 0);
	for (uint32_t i = 0; i < 300; i++) {
		uint32_t ms = 17 + i % 7;

		ck_assert_int_eq(
			pt_pool_submit(pool, nap_ms, &ms, sizeof(ms), &f[i]),
			0);
	}
	for (int i = 0; i < 300; i++) {
		ck_assert_int_eq(pt_future_wait(f[i], 30000, &r), 0);
		ck_assert_msg(r.status == PT_TASK_OK ||
				      r.status == PT_TASK_TIMED_OUT,
			      "task %d: %s (%s, signal %d)", i,
			      pt_task_status_name(r.status),
			      pt_exit_name(r.how), r.signal);
		timed_out += r.status == PT_TASK_TIMED_OUT;
		pt_future_destroy(f[i]);
	}
	ck_assert_int_eq(pt_pool_stats(pool, &st), 0);
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
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The fork-server dies under a draining pool with tasks queued: its
 * workers die with it and none can be started again. Every task resolves
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

	ck_assert_int_eq(pt_forkserver_start(), 0);
	ck_assert_int_eq(pt_pool_create(&opts, &pool), 0);
	for (int i = 0; i < 5; i++) {
		uint32_t ms = 200;

		ck_assert_int_eq(
			pt_pool_submit(pool, nap_ms, &ms, sizeof(ms), &f[i]),
			0);
	}
	ck_assert_int_eq(kill(pt_forkserver_pid(), SIGKILL), 0);
	ck_assert_int_eq(pt_pool_shutdown(pool, PT_POOL_DRAIN, 10000), -ECHILD);
	for (int i = 0; i < 5; i++) {
		ck_assert_int_eq(pt_future_wait(f[i], 0, &r), 0);
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
	ck_assert_int_eq(pt_pool_stats(pool, &st), 0);
	ck_assert_uint_eq(st.no_worker, (uint64_t)no_worker);
	ck_assert_uint_eq(st.queued, 0);
	pt_pool_destroy(pool);
	ck_assert_int_eq(pt_forkserver_stop(), 0);
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

	ck_assert_int_eq(pt_forkserver_start(), 0);
	ck_assert_int_eq(pt_pool_create(&opts, &pool), 0);
	ck_assert_int_eq(kill(pt_forkserver_pid(), SIGKILL), 0);
	/* Each accepted task resolves: run before the workers died, or
	 * NO_WORKER; none hangs. */
	until = ms_now() + 10000;
	while ((rc = pt_pool_submit(pool, nap_ms, &ms, sizeof(ms), &f)) == 0) {
		ck_assert_int_eq(pt_future_wait(f, 10000, &r), 0);
		ck_assert(r.status == PT_TASK_OK ||
			  r.status == PT_TASK_CRASHED ||
			  r.status == PT_TASK_NO_WORKER);
		pt_future_destroy(f);
		ck_assert_msg(ms_now() < until, "submit still takes tasks");
	}
	ck_assert_int_eq(rc, -ECHILD);
	ck_assert_int_eq(pt_forkserver_stop(), 0);
	until = ms_now() + 10000;
	while ((rc = pt_pool_submit(pool, nap_ms, &ms, sizeof(ms), &f)) ==
	       -ECHILD) {
		ck_assert_msg(ms_now() < until, "the pool did not recover");
		nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(pt_future_wait(f, 10000, &r), 0);
	ck_assert_int_eq(r.status, PT_TASK_OK);
	pt_future_destroy(f);
	ck_assert_int_eq(pt_pool_shutdown(pool, PT_POOL_DRAIN, 10000), 0);
	pt_pool_destroy(pool);
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
		ck_assert_int_eq(pt_future_wait(m.f[i], 20000, &r), 0);
		ck_assert_msg(r.status == PT_TASK_OK, "task %d: %s (%s %d)", i,
			      pt_task_status_name(r.status),
			      pt_exit_name(r.how), r.signal);
		ck_assert_uint_eq(r.attempts, 1);
		pt_future_destroy(m.f[i]);
	}
	ck_assert_int_eq(pt_pool_stats(m.pool, &st), 0);
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

/* A task's grandchild is in its worker's process group, which ends with
 * the worker: once pt_pool_destroy() returns it is dead, not reparented to
 * init with the pool's descriptors and the caller's stdout. The loop index
 * says whether the fork-server forks the workers. */
START_TEST(task_grandchild_ends_with_its_pool)
{
	struct pt_pool_opts opts =
		PT_POOL_OPTS(.kind = PT_PROCESS, .workers = 1);
	struct pollfd pfd = { .events = POLLIN };
	struct pt_result r;
	pt_future *f;
	pt_pool *pool;
	pid_t pid;

	if (_i)
		ck_assert_int_eq(pt_forkserver_start(), 0);
	ck_assert_int_eq(pt_pool_create(&opts, &pool), 0);
	ck_assert_int_eq(pt_pool_submit(pool, leave_grandchild, NULL, 0, &f),
			 0);
	ck_assert_int_eq(pt_future_wait(f, 20000, &r), 0);
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
	if (_i)
		ck_assert_int_eq(pt_forkserver_stop(), 0);
}
END_TEST

/* kill(0, SIGKILL) in a task reaches its worker's group only: that task
 * resolves as killed, the pool's owner (this test) lives on, and the next
 * task runs on a replacement. */
START_TEST(task_kill_zero_spares_the_pool_owner)
{
	struct pt_pool_opts opts =
		PT_POOL_OPTS(.kind = PT_PROCESS, .workers = 1);
	struct pt_result r;
	pt_future *f;
	pt_pool *pool;
	uint32_t ms = 0;

	if (_i)
		ck_assert_int_eq(pt_forkserver_start(), 0);
	ck_assert_int_eq(pt_pool_create(&opts, &pool), 0);
	ck_assert_int_eq(pt_pool_submit(pool, kill_own_group, NULL, 0, &f), 0);
	ck_assert_int_eq(pt_future_wait(f, 20000, &r), 0);
	ck_assert_int_eq(r.status, PT_TASK_CRASHED);
	ck_assert_int_eq(r.how, PT_EXIT_SIGNALED);
	ck_assert_int_eq(r.signal, SIGKILL);
	pt_future_destroy(f);
	ck_assert_int_eq(pt_pool_submit(pool, nap_ms, &ms, sizeof(ms), &f), 0);
	ck_assert_int_eq(pt_future_wait(f, 20000, &r), 0);
	ck_assert_int_eq(r.status, PT_TASK_OK);
	pt_future_destroy(f);
	pt_pool_destroy(pool);
	if (_i)
		ck_assert_int_eq(pt_forkserver_stop(), 0);
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
	ck_assert_int_eq(pt_pool_create(&opts, &o.pool), 0);
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(pt_pool_submit(o.pool, gated, NULL, 0, &f[i]),
				 0);
	/* The first task runs (and, on a process worker, the next ones were
	 * sent ahead behind it). */
	for (uint64_t until = ms_now() + 10000;
	     atomic_load(&gate->waiting) == 0;) {
		ck_assert_msg(ms_now() < until, "the first task never ran");
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
	ck_assert_int_eq(pthread_create(&t, NULL, open_when_dropped, &o), 0);
	ck_assert_int_eq(pt_pool_shutdown(o.pool, PT_POOL_CANCEL, -1), 0);
	pthread_join(t, NULL);
	ck_assert_msg(o.seen, "tasks sent ahead were not dropped");
	ck_assert_int_eq(pt_future_wait(f[0], 0, &r), 0);
	ck_assert_int_eq(r.status, PT_TASK_OK);
	for (int i = 1; i < 10; i++) {
		ck_assert_int_eq(pt_future_wait(f[i], 0, &r), 0);
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

	ck_assert_int_eq(pt_pool_create(&opts, &pool), 0);
	ck_assert_int_eq(pt_pool_submit(pool, deaf_nap, NULL, 0, &fa), 0);
	ck_assert_int_eq(pt_pool_submit(pool, nap_ms, &ms, sizeof(ms), &fb), 0);
	ck_assert_int_eq(pt_future_wait(fa, 20000, &a), 0);
	ck_assert_int_eq(a.status, PT_TASK_TIMED_OUT);
	ck_assert_uint_lt(a.finished_ns - a.started_ns, 900000000u);
	ck_assert_int_eq(pt_future_wait(fb, 20000, &b), 0);
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

	ck_assert_int_eq(pt_pool_create(&opts, &pool), 0);
	for (int i = 0; i < 500; i++) {
		struct pollfd pfd = { .fd = pt_pool_fd(pool),
				      .events = POLLIN };
		struct pt_result r;
		pt_future *f, *g;

		ck_assert_int_eq(
			pt_pool_submit(pool, nap_ms, &ms, sizeof(ms), &f), 0);
		ck_assert_int_eq(pt_future_wait(f, 20000, &r), 0);
		ck_assert_msg(poll(&pfd, 1, 0) == 1, "round %d: fd not ready",
			      i);
		ck_assert_int_eq(pt_pool_next_done(pool, &g), 0);
		ck_assert_ptr_eq(g, f);
		pt_future_destroy(g);
		pt_future_destroy(f);
	}
	pt_pool_destroy(pool);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pool_faults");
	TCase *tc = tcase_create("faults");
	TCase *busy = tcase_create("busy");
	TCase *retire = tcase_create("contract");
	TCase *deadline = tcase_create("deadline");
	TCase *noworker = tcase_create("lifecycle");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, ten_thousand_tasks_five_percent_faults);
	tcase_set_timeout(tc, 300);
	suite_add_tcase(s, tc);
	tcase_add_test(busy, thousand_pools_from_a_busy_threaded_program);
	tcase_set_timeout(busy, 300);
	suite_add_tcase(s, busy);
	/* Loop index: bit 1 the kind (process when set), bit 0 how the
	 * worker retires. */
	tcase_add_loop_test(retire, drain_runs_every_task_when_workers_retire,
			    0, 4);
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
	suite_add_tcase(s, deadline);
	tcase_add_test(noworker,
		       no_worker_resolves_every_task_and_shutdown_says_so);
	tcase_add_test(noworker, no_worker_fails_fast_and_recovers);
	tcase_add_test(noworker, pool_outlives_the_thread_that_made_it);
	/* Loop index: 1 when the fork-server forks the workers. */
	tcase_add_loop_test(noworker, task_grandchild_ends_with_its_pool, 0, 2);
	tcase_add_loop_test(noworker, task_kill_zero_spares_the_pool_owner, 0,
			    2);
	tcase_set_timeout(noworker, 60);
	suite_add_tcase(s, noworker);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
