/* test_pool_workers - what pool.h promises of a process pool's workers,
 * tried where it broke (issue 13):
 * - when no worker process can be started, every task resolves
 *   (PT_TASK_NO_WORKER), submit fails fast and the pool recovers, also
 *   when the fork-server is killed;
 * - a pool belongs to the process, not to the thread that made it;
 * - what a task forks ends with its worker, and its kill(0, ...) spares
 *   the pool's owner;
 * - a worker's rings hold a few of its largest tasks, not eight.
 * Every wait is bounded: a hang fails the test. */
#include <procthread.h>

#include "support/test.h"
#include "pool_support.h"
#include "support/forkserver.h"
#include "support/kinds.h"
#include "support/ledger.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#else
#define SANITIZED 0
#endif

/* --- no worker can be started ----------------------------------------------
 */

/* The fork-server dies for good (with its standby twin) under a draining
 * pool with tasks queued: its workers die with it and none can be started
 * again. Every task resolves
 * within the bounded retry - the one that was running as crashed, the rest
 * as PT_TASK_NO_WORKER with the spawn error - and shutdown says so with
 * -ECHILD instead of 0. */
START_TEST(no_worker_resolves_every_task_and_shutdown_says_so)
{
	struct pt_pool_opts opts =
		PT_POOL_OPTS(.kind = PT_KIND_PROCESS, .workers = 1);
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
	PT_ASSERT_ERR(pt_pool_shutdown(pool, PT_POOL_SHUTDOWN_DRAIN, 10000),
		      -ECHILD);
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
	PT_ASSERT_OK(pt_pool_get_stats(pool, &st));
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
		PT_POOL_OPTS(.kind = PT_KIND_PROCESS, .workers = 2);
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
	until = pt_test_now_ns() / 1000000u + 10000;
	while ((rc = pt_pool_submit(pool, nap_ms, &ms, sizeof(ms), &f)) == 0) {
		PT_ASSERT_OK(pt_future_wait(f, 10000, &r));
		ck_assert(r.status == PT_TASK_OK ||
			  r.status == PT_TASK_CRASHED ||
			  r.status == PT_TASK_NO_WORKER);
		pt_future_destroy(f);
		ck_assert_msg(pt_test_now_ns() / 1000000u < until,
			      "submit still takes tasks");
	}
	ck_assert_int_eq(rc, -ECHILD);
	PT_ASSERT_OK(pt_forkserver_stop());
	until = pt_test_now_ns() / 1000000u + 10000;
	while ((rc = pt_pool_submit(pool, nap_ms, &ms, sizeof(ms), &f)) ==
	       -ECHILD) {
		ck_assert_msg(pt_test_now_ns() / 1000000u < until,
			      "the pool did not recover");
		nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
	}
	ck_assert_int_eq(rc, 0);
	PT_ASSERT_OK(pt_future_wait(f, 10000, &r));
	ck_assert_int_eq(r.status, PT_TASK_OK);
	pt_future_destroy(f);
	PT_ASSERT_OK(pt_pool_shutdown(pool, PT_POOL_SHUTDOWN_DRAIN, 10000));
	pt_pool_destroy(pool);
}
END_TEST

/* The fork-server alone is killed: its twin takes over, the workers that
 * died with the server cost at most the tasks they ran, and the pool goes
 * on through the twin without the caller doing anything. */
START_TEST(pool_goes_on_when_the_forkserver_is_killed)
{
	struct pt_pool_opts opts =
		PT_POOL_OPTS(.kind = PT_KIND_PROCESS, .workers = 2);
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
	PT_ASSERT_OK(pt_pool_shutdown(pool, PT_POOL_SHUTDOWN_DRAIN, 10000));
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
		PT_POOL_OPTS(.kind = PT_KIND_PROCESS, .workers = 2);
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
	PT_ASSERT_OK(pt_pool_get_stats(m.pool, &st));
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
		PT_POOL_OPTS(.kind = PT_KIND_PROCESS, .workers = 1);
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

/* pt_pool_create() starts its workers side by side and reports one that
 * could not start: with only a few descriptors left, a pool of 16 workers
 * fails to start, and every worker, proxy thread, ring and descriptor it
 * made is gone when create returns (the fixture's ledger checks); with
 * the limit lifted, the next pool starts and serves. */
START_TEST(a_worker_that_cannot_start_fails_create_and_leaks_nothing)
{
	struct pt_pool_opts opts =
		PT_POOL_OPTS(.kind = PT_KIND_PROCESS, .workers = 16);
	const struct fork_case *via;
	struct rlimit saved, low;
	struct pt_ledger now;
	pt_future *f;
	pt_pool *pool;
	int rc;

	via = fork_case_begin(_i);
	pt_ledger_take(&now);
	ck_assert_int_gt(now.fds, 0);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &saved), 0);
	low = saved;
	low.rlim_cur = (rlim_t)now.fds + 12; /* a few workers' worth */
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
	rc = pt_pool_create(&opts, &pool);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &saved), 0);
	ck_assert_msg(rc < 0, "16 workers started with %d descriptors free",
		      12);
	pool = pool_or_fail(opts);
	f = submit_or_fail(pool, echo, "x", 2);
	ck_assert_int_eq(wait_or_fail(f).status, PT_TASK_OK);
	pt_future_destroy(f);
	pt_pool_destroy(pool);
	fork_case_end(via);
}
END_TEST

/* Walks this process's descriptors: *above_2 counts those above 2 (the
 * directory's own left out), *named those whose target contains name
 * (when not NULL). Returns 0, or -1 when /proc cannot be read. */
static int walk_own_fds(const char *name, uint32_t *above_2, uint32_t *named)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *e;

	*above_2 = 0;
	*named = 0;
	if (!dir)
		return -1;
	while ((e = readdir(dir))) {
		char path[sizeof("/proc/self/fd/") + sizeof(e->d_name)];
		char target[256];
		ssize_t n;

		if (atoi(e->d_name) > 2)
			++*above_2;
		if (!name)
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strstr(target, name))
			++*named;
	}
	closedir(dir);
	--*above_2; /* the directory's own */
	return 0;
}

/* Counts this process's descriptors above 2 into its result. */
static int count_own_fds(const void *arg, size_t len, struct pt_task_out *out)
{
	uint32_t n, named;

	(void)arg;
	(void)len;
	if (walk_own_fds(NULL, &n, &named))
		return -1;
	memcpy(out->data, &n, sizeof(n));
	out->len = sizeof(n);
	return 0;
}

/* A worker holds its own descriptors only, however it was forked: not the
 * pool's, nor its siblings' rings and pidfds (issue 16, 2b). A worker
 * forked directly inherited three of each sibling's, so a worker among 64
 * held about 200; each of 16 workers here must hold as many as a lone
 * worker does, with a descriptor of the caller's open all along. */
START_TEST(a_worker_holds_none_of_its_siblings_descriptors)
{
	const struct fork_case *via = fork_case_begin(_i);
	int theirs = open("/dev/null", O_RDONLY | O_CLOEXEC);
	uint32_t alone, n;
	struct pt_result r;
	pt_future *f[32];
	pt_pool *pool;

	ck_assert_int_ge(theirs, 3);
	pool = pool_or_fail(PT_POOL_OPTS(.kind = PT_KIND_PROCESS));
	f[0] = submit_or_fail(pool, count_own_fds, NULL, 0);
	r = wait_or_fail(f[0]);
	ck_assert_int_eq(r.status, PT_TASK_OK);
	memcpy(&alone, r.data, sizeof(alone));
	pt_future_destroy(f[0]);
	pt_pool_destroy(pool);
	pool = pool_or_fail(
		PT_POOL_OPTS(.kind = PT_KIND_PROCESS, .workers = 16));
	for (int i = 0; i < 32; i++)
		f[i] = submit_or_fail(pool, count_own_fds, NULL, 0);
	for (int i = 0; i < 32; i++) {
		r = wait_or_fail(f[i]);
		ck_assert_int_eq(r.status, PT_TASK_OK);
		memcpy(&n, r.data, sizeof(n));
		ck_assert_msg(n == alone,
			      "worker %d holds %u descriptors, a lone "
			      "worker %u",
			      (int)r.worker_pid, n, alone);
		pt_future_destroy(f[i]);
	}
	pt_pool_destroy(pool);
	close(theirs);
	fork_case_end(via);
}
END_TEST

/* Looks among this process's descriptors for one whose target is the
 * memfd named by arg; its result is 1 when found, 0 when not. */
static int finds_named_fd(const void *arg, size_t len, struct pt_task_out *out)
{
	uint32_t above_2, found;

	(void)len;
	if (walk_own_fds(arg, &above_2, &found))
		return -1;
	found = found > 0;
	memcpy(out->data, &found, sizeof(found));
	out->len = sizeof(found);
	return 0;
}

/* pool.h: a worker holds no descriptor its caller opened. One the caller
 * opened without O_CLOEXEC - which a plain fork() and even an exec would
 * hand on - is in none of 8 workers, however they were forked. */
START_TEST(a_worker_holds_no_descriptor_its_caller_opened)
{
	const struct fork_case *via = fork_case_begin(_i);
	static const char name[] = "pt-test-callers-own";
	int theirs = memfd_create(name, 0);
	struct pt_result r;
	pt_future *f[16];
	pt_pool *pool;
	uint32_t found;

	ck_assert_int_ge(theirs, 3);
	pool = pool_or_fail(
		PT_POOL_OPTS(.kind = PT_KIND_PROCESS, .workers = 8));
	for (int i = 0; i < 16; i++)
		f[i] = submit_or_fail(pool, finds_named_fd, name, sizeof(name));
	for (int i = 0; i < 16; i++) {
		r = wait_or_fail(f[i]);
		ck_assert_int_eq(r.status, PT_TASK_OK);
		memcpy(&found, r.data, sizeof(found));
		ck_assert_msg(found == 0, "worker %d holds the caller's %s",
			      (int)r.worker_pid, name);
		pt_future_destroy(f[i]);
	}
	pt_pool_destroy(pool);
	close(theirs);
	fork_case_end(via);
}
END_TEST

/* Counts this process's mappings into its result. */
static int count_mappings(const void *arg, size_t len, struct pt_task_out *out)
{
	FILE *maps = fopen("/proc/self/maps", "re");
	uint32_t n = 0;
	int c;

	(void)arg;
	(void)len;
	if (!maps)
		return -1;
	while ((c = getc(maps)) != EOF)
		n += c == '\n';
	fclose(maps);
	memcpy(out->data, &n, sizeof(n));
	out->len = sizeof(n);
	return 0;
}

/* The most mappings any worker of a pool of n has, over 2n tasks. */
static uint32_t most_mappings(unsigned workers)
{
	pt_pool *pool = pool_or_fail(
		PT_POOL_OPTS(.kind = PT_KIND_PROCESS, .workers = workers));
	uint32_t most = 0, n;
	pt_future *f[64];
	struct pt_result r;

	ck_assert_uint_le(2 * workers, 64);
	for (unsigned i = 0; i < 2 * workers; i++)
		f[i] = submit_or_fail(pool, count_mappings, NULL, 0);
	for (unsigned i = 0; i < 2 * workers; i++) {
		r = wait_or_fail(f[i]);
		ck_assert_int_eq(r.status, PT_TASK_OK);
		memcpy(&n, r.data, sizeof(n));
		most = n > most ? n : most;
		pt_future_destroy(f[i]);
	}
	pt_pool_destroy(pool);
	return most;
}

/* A worker maps none of what the pool made for its siblings (issue 16,
 * 2b): a worker forked directly from a proxy thread copied the stacks of
 * the proxies started before it (two mappings each), so that starting n
 * workers cost O(n^2). A worker among 24 maps about as much as a lone one
 * (a few mappings of slack: the caller's malloc may grow meanwhile). */
START_TEST(a_worker_maps_none_of_its_siblings_threads)
{
	const struct fork_case *via = fork_case_begin(_i);
	uint32_t alone = most_mappings(1), among = most_mappings(24);

	/* Not compared under a sanitizer, which maps its own for each
	 * thread (and AddressSanitizer lets forks copy the proxies' stacks,
	 * src/util/nofork.c): there the pools must only work. */
	ck_assert_msg(SANITIZED || among <= alone + 8,
		      "a worker among 24 has %u mappings, a lone one %u", among,
		      alone);
	fork_case_end(via);
}
END_TEST

static atomic_bool forks_stop;

/* Forks until told to stop; each child exits at once. Returns how many
 * children did not exit with 0 (a child that crashed in glibc's repair of
 * the thread list after fork, say). */
static void *fork_often(void *arg)
{
	uintptr_t bad = 0;

	(void)arg;
	while (!atomic_load(&forks_stop)) {
		int st = 0;
		pid_t pid = fork();

		if (pid == 0)
			_exit(0);
		if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 0)
			bad++;
	}
	return (void *)bad;
}

/* A thread of the caller that forks while pools start and end gets
 * healthy children: the proxies' stacks, which no fork copies, are made
 * and freed under the guard that holds forks off (util/nofork.h). */
START_TEST(a_caller_forking_while_pools_come_and_go_gets_healthy_children)
{
	pthread_t forker;
	void *bad;

	atomic_store(&forks_stop, false);
	ck_assert_int_eq(pthread_create(&forker, NULL, fork_often, NULL), 0);
	for (int round = 0; round < 10; round++) {
		pt_pool *pool = pool_or_fail(
			PT_POOL_OPTS(.kind = PT_KIND_PROCESS, .workers = 8));
		pt_future *f = submit_or_fail(pool, echo, "x", 2);

		ck_assert_int_eq(wait_or_fail(f).status, PT_TASK_OK);
		pt_future_destroy(f);
		pt_pool_destroy(pool);
	}
	atomic_store(&forks_stop, true);
	ck_assert_int_eq(pthread_join(forker, &bad), 0);
	ck_assert_msg(bad == NULL, "%lu children of the caller's forks failed",
		      (unsigned long)(uintptr_t)bad);
}
END_TEST

/* kill(0, SIGKILL) in a task reaches its worker's group only: that task
 * resolves as killed, the pool's owner (this test) lives on, and the next
 * task runs on a replacement. */
START_TEST(task_kill_zero_spares_the_pool_owner)
{
	struct pt_pool_opts opts =
		PT_POOL_OPTS(.kind = PT_KIND_PROCESS, .workers = 1);
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

/* --- what a worker holds ---------------------------------------------------
 */

/* The bytes of process pid's mappings of channel rings (regions). */
static uint64_t ring_bytes_mapped(pid_t pid)
{
	char path[64], line[512];
	uint64_t sum = 0;
	FILE *maps;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	maps = fopen(path, "r");
	ck_assert_msg(maps, "%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), maps)) {
		unsigned long lo, hi;

		if (strstr(line, "memfd:procthread-region") &&
		    sscanf(line, "%lx-%lx", &lo, &hi) == 2)
			sum += hi - lo;
	}
	fclose(maps);
	return sum;
}

#define RING_WORKERS 3

/* A worker maps its own two rings, once, and no sibling's (issue 16, 2b);
 * and they hold a few of its largest tasks, not 8 of them (pool.h,
 * max_arg_bytes): with 2 MiB tasks each ring had 16 MiB, and a 1 MiB task
 * paid page faults on its first 8 trips through each (7.6 ms against 0.35
 * ms warm). A worker forked directly inherited the pool's mappings of its
 * own rings and of every sibling's made before it. A burst of large tasks,
 * more than the rings hold, still comes back whole, each its own. */
START_TEST(large_tasks_keep_small_rings)
{
	static const struct {
		size_t max;   /* max_arg_bytes and max_result_bytes */
		size_t rings; /* at most this much mapped for the two rings */
	} cases[] = {
		{ 0, 2 * ((size_t)1 << 20) + (64 << 10) },
		{ (size_t)2 << 20, 2 * 2 * (((size_t)2 << 20) + 4096) },
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		size_t max = cases[c].max ? cases[c].max : (size_t)64 << 10;
		struct pt_pool_opts opts =
			PT_POOL_OPTS(.kind = PT_KIND_PROCESS,
				     .workers = RING_WORKERS,
				     .max_arg_bytes = cases[c].max,
				     .max_result_bytes = cases[c].max);
		unsigned char *arg = malloc(max);
		pid_t seen[RING_WORKERS] = { 0 };
		unsigned nseen = 0;
		pt_future *f[12];
		struct pt_result r;
		pt_pool *pool;

		ck_assert_ptr_nonnull(arg);
		PT_ASSERT_OK(pt_pool_create(&opts, &pool));
		for (int round = 0; round < 100 && nseen < RING_WORKERS;
		     round++) {
			for (int i = 0; i < 12; i++) {
				memset(arg, 'a' + i, max);
				PT_ASSERT_OK(pt_pool_submit(pool, echo, arg,
							    max, &f[i]));
			}
			for (int i = 0; i < 12; i++) {
				unsigned k = 0;

				PT_ASSERT_OK(pt_future_wait(f[i], 20000, &r));
				ck_assert_int_eq(r.status, PT_TASK_OK);
				ck_assert_uint_eq(r.len, max);
				memset(arg, 'a' + i, max);
				ck_assert(memcmp(r.data, arg, max) == 0);
				while (k < nseen && seen[k] != r.worker_pid)
					k++;
				if (k == nseen && nseen < RING_WORKERS)
					seen[nseen++] = r.worker_pid;
				pt_future_destroy(f[i]);
			}
		}
		ck_assert_uint_eq(nseen, RING_WORKERS);
		for (unsigned k = 0; k < nseen; k++) {
			uint64_t mapped = ring_bytes_mapped(seen[k]);

			ck_assert_msg(mapped > 0 && mapped <= cases[c].rings,
				      "max %zu bytes: worker %d maps %llu "
				      "bytes of rings, more than %zu",
				      max, (int)seen[k],
				      (unsigned long long)mapped,
				      cases[c].rings);
		}
		pt_pool_destroy(pool);
		free(arg);
	}
}
END_TEST

static Suite *pool_workers_suite(void)
{
	return PT_TEST_SUITE(
		"pool_workers",
		{ "lifecycle",
		  .once = PT_TESTS(
			  no_worker_resolves_every_task_and_shutdown_says_so,
			  no_worker_fails_fast_and_recovers,
			  pool_goes_on_when_the_forkserver_is_killed,
			  pool_outlives_the_thread_that_made_it,
			  large_tasks_keep_small_rings,
			  a_caller_forking_while_pools_come_and_go_gets_healthy_children),
		  .for_rows = PT_TESTS(
			  task_grandchild_ends_with_its_pool,
			  task_kill_zero_spares_the_pool_owner,
			  a_worker_that_cannot_start_fails_create_and_leaks_nothing,
			  a_worker_holds_none_of_its_siblings_descriptors,
			  a_worker_holds_no_descriptor_its_caller_opened,
			  a_worker_maps_none_of_its_siblings_threads),
		  .rows = N_FORK_CASES, .timeout_s = 60, .tags = "process" });
}

PT_TEST_MAIN(pool_workers_suite)
