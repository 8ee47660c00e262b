/* test_pool_faults - a process pool under fire, with workers from the
 * fork-server:
 * - 10,000 tasks with 5% faults (SIGSEGV, abort, exit without a result, an
 *   endless loop hitting the timeout, and kill -9 from outside at random
 *   moments): every future resolves exactly once with the right cause, the
 *   others succeed, and nothing is left behind;
 * - a program whose 8 threads keep taking locks (malloc, stdio, a mutex)
 *   starts process pools 1,000 times without a deadlock.
 * Set PT_FAULT_TALLY=1 to print the tally. */
#include <procthread.h>

#include "support/test.h"
#include "support/busy.h"
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

/* The outside kills come 0 to KILL_GAP_NS apart. They must leave the
 * replacements time to start: a worker killed before it is up is a start
 * that failed, and five in a row on every slot mean no worker can start
 * (PT_TASK_NO_WORKER, pool.h), which is right but not this test's
 * question. Under ThreadSanitizer a worker takes tens of milliseconds to
 * start, and at 2 ms a kill the killer once failed every slot. */
#ifdef PT_TSAN
#define KILL_GAP_NS 40000000u
#else
#define KILL_GAP_NS 4000000u
#endif

static void *killer_main(void *arg)
{
	struct killer *k = arg;
	struct timespec gap = { 0, 0 };

	while (!atomic_load(&k->stop) && k->sent < k->want) {
		int pid = random_worker(k);
		int fd;

		gap.tv_nsec = (long)(rand_r(&k->seed) % KILL_GAP_NS);
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
		PT_POOL_OPTS(.kind = PT_KIND_PROCESS, .workers = 4,
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

	PT_ASSERT_OK(pt_forkserver_start());
	k.server = pt_forkserver_pid();
	/* One malloc arena (glibc keeps one per contended thread: mappings,
	 * not leaks), and a warm-up pool for the cached thread stacks. */
	mallopt(M_ARENA_MAX, 1);
	PT_ASSERT_OK(pt_pool_create(&opts, &pool));
	/* The heap grows to hold 10,000 futures and stays grown. */
	for (uint32_t i = 0; i < NTASKS; i++) {
		jobs[i] = (struct job){ .index = i };
		PT_ASSERT_OK(pt_pool_submit(pool, job_fn, &jobs[i],
					    sizeof(jobs[i]), &futs[i]));
	}
	PT_ASSERT_OK(pt_pool_wait_all(pool, 60000));
	for (uint32_t i = 0; i < NTASKS; i++) {
		pt_future *f;

		PT_ASSERT_OK(pt_pool_next_done(pool, &f));
		pt_future_destroy(f);
		pt_future_destroy(futs[i]);
	}
	atomic_store(&k.stop, 1); /* and a cached stack for the killer */
	ck_assert_int_eq(pthread_create(&killer, NULL, killer_main, &k), 0);
	pthread_join(killer, NULL);
	atomic_store(&k.stop, 0);
	pt_pool_destroy(pool);
	pt_ledger_take(&before);
	PT_ASSERT_OK(pt_pool_create(&opts, &pool));
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
		PT_ASSERT_OK(pt_pool_submit(pool, job_fn, &jobs[i],
					    sizeof(jobs[i]), &futs[i]));
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
		PT_ASSERT_OK(pt_future_wait(f, 0, &r));
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
	PT_ASSERT_OK(pt_pool_get_stats(pool, &st));
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
	PT_ASSERT_OK(pt_forkserver_stop());
}
END_TEST

/* --- pools from a program whose threads hold locks
 * ------------------------------ */

/* In the worker: malloc, stdio and the very mutex the busy threads take. */
static int use_locks(const void *arg, size_t len, struct pt_task_out *out)
{
	(void)arg;
	(void)len;
	out->len = 0;
	return pt_busy_use_locks();
}

START_TEST(thousand_pools_from_a_busy_threaded_program)
{
	struct pt_pool_opts opts =
		PT_POOL_OPTS(.kind = PT_KIND_PROCESS, .workers = 1);
	struct pt_busy busy;

	PT_ASSERT_OK(pt_forkserver_start());
	pt_busy_start(&busy);
	for (int i = 0; i < NPOOLS; i++) {
		struct pt_result r;
		pt_pool *pool;
		pt_future *f;

		PT_ASSERT_OK(pt_pool_create(&opts, &pool));
		PT_ASSERT_OK(pt_pool_submit(pool, use_locks, NULL, 0, &f));
		/* A deadlocked worker would show as a timeout here. */
		PT_ASSERT_OK(pt_future_wait(f, 20000, &r));
		ck_assert_int_eq(r.status, PT_TASK_OK);
		pt_future_destroy(f);
		pt_pool_destroy(pool);
	}
	pt_busy_stop(&busy);
	PT_ASSERT_OK(pt_forkserver_stop());
}
END_TEST

static Suite *pool_faults_suite(void)
{
	return PT_TEST_SUITE(
		"pool_faults",
		{ "faults",
		  .once = PT_TESTS(ten_thousand_tasks_five_percent_faults),
		  .timeout_s = 300 },
		{ "busy",
		  .once = PT_TESTS(thousand_pools_from_a_busy_threaded_program),
		  .timeout_s = 300 });
}

PT_TEST_MAIN(pool_faults_suite)
