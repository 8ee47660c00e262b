/* test_inspect - `procthread inspect` run on this test process and on
 * processes in known states: it must find this process's threads (each
 * with its own stack), its mappings and its descriptors; and for a pid
 * that is gone, a zombie or a thread, print one message, exit 1 and write
 * nothing to stdout. The tool is $PROCTHREAD, as CTest sets it. */
#include <procthread.h>

#include "support/test.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define WAITERS 3

struct run {
	int status; /* the exit status, or -1 if it did not exit */
	char *out;
	char *err;
};

static char *slurp(int fd)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	ssize_t got;

	ck_assert_ptr_nonnull(buf);
	lseek(fd, 0, SEEK_SET);
	while ((got = read(fd, buf + n, cap - n - 1)) > 0) {
		n += (size_t)got;
		if (cap - n < 4096) {
			buf = realloc(buf, cap *= 2);
			ck_assert_ptr_nonnull(buf);
		}
	}
	buf[n] = 0;
	close(fd);
	return buf;
}

/* Runs $PROCTHREAD inspect ARG [OPTION...] (up to three, NULL-ended);
 * stdout and stderr go to unlinked temporary files so neither can fill a
 * pipe. */
static struct run inspect(const char *arg, const char *o1, const char *o2,
			  const char *o3)
{
	const char *tool = getenv("PROCTHREAD");
	char out_name[] = "/tmp/pt-inspect-out-XXXXXX";
	char err_name[] = "/tmp/pt-inspect-err-XXXXXX";
	int out = mkstemp(out_name), err = mkstemp(err_name), wstatus;
	struct run r = { .status = -1 };
	pid_t pid;

	ck_assert_msg(tool, "PROCTHREAD is not set");
	ck_assert(out >= 0 && err >= 0);
	unlink(out_name);
	unlink(err_name);
	pid = pt_test_fork();
	if (pid == 0) {
		dup2(out, 1);
		dup2(err, 2);
		execl(tool, tool, "inspect", arg, o1, o2, o3, (char *)NULL);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &wstatus, 0), pid);
	if (WIFEXITED(wstatus))
		r.status = WEXITSTATUS(wstatus);
	r.out = slurp(out);
	r.err = slurp(err);
	return r;
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

/* Thread units that wait in read() on a pipe until it closes: asleep in
 * the kernel, where their stack pointer can be read. */
struct waiters;

struct waiter {
	struct waiters *all;
	atomic_int tid;
};

struct waiters {
	int pipe_fd[2];
	struct waiter one[WAITERS];
	pt_unit *units[WAITERS];
};

static int wait_for_eof(void *p)
{
	struct waiter *me = p;
	char c;

	atomic_store(&me->tid, gettid());
	while (read(me->all->pipe_fd[0], &c, 1) > 0)
		;
	return 0;
}

static void start_waiters(struct waiters *w)
{
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = PT_KIND_THREAD, .name = "pt-waiter");

	memset(w, 0, sizeof(*w));
	ck_assert_int_eq(pipe2(w->pipe_fd, O_CLOEXEC), 0);
	for (int i = 0; i < WAITERS; i++) {
		w->one[i].all = w;
		PT_ASSERT_OK(pt_unit_spawn(&opts, wait_for_eof, &w->one[i],
					   &w->units[i]));
	}
	/* Each has started once it wrote its tid; it is then on its way
	 * into read(), where the tool may find it running or asleep. */
	for (int i = 0; i < WAITERS; i++)
		while (atomic_load(&w->one[i].tid) == 0)
			usleep(1000);
}

static void stop_waiters(struct waiters *w)
{
	struct pt_status st;

	close(w->pipe_fd[1]);
	for (int i = 0; i < WAITERS; i++) {
		PT_ASSERT_OK(pt_unit_join(w->units[i], -1, &st));
		pt_unit_destroy(w->units[i]);
	}
	close(w->pipe_fd[0]);
}

/* The text between "key": " and the next quote, after from. */
static const char *json_after(const char *from, const char *key)
{
	char pat[64];
	const char *at;

	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	at = strstr(from, pat);
	return at ? at + strlen(pat) : NULL;
}

START_TEST(finds_own_threads_maps_and_fds)
{
	static struct waiters w;
	char self[16], probe[64], pattern[64];
	void *page;
	int memfd;
	struct run r;
	const char *at;
	uint64_t stacks[64][2];
	int nstacks = 0, nthreads;

	start_waiters(&w);
	/* A mapping it must list: a named memfd at a known address. */
	memfd = memfd_create("pt-inspect-probe", MFD_CLOEXEC);
	ck_assert_int_ge(memfd, 0);
	ck_assert_int_eq(ftruncate(memfd, 3 * 4096), 0);
	page = mmap(NULL, 3 * 4096, PROT_READ, MAP_SHARED, memfd, 0);
	ck_assert(page != MAP_FAILED);

	snprintf(self, sizeof(self), "%d", (int)getpid());
	r = inspect(self, "--threads", "--maps", "--json");
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	ck_assert_str_eq(r.err, "");

	snprintf(pattern, sizeof(pattern), "\"pid\": %d,", (int)getpid());
	ck_assert_msg(strstr(r.out, pattern), "no %s", pattern);
	at = json_after(r.out, "num_threads");
	ck_assert_ptr_nonnull(at);
	/* Its threads: ours and any a sanitizer runtime adds. */
	nthreads = atoi(at);
	ck_assert_int_ge(nthreads, WAITERS + 1);
	ck_assert_int_le(nthreads, 64);
	for (int i = 0; i < WAITERS; i++) {
		snprintf(pattern, sizeof(pattern), "\"tid\": %d,",
			 atomic_load(&w.one[i].tid));
		ck_assert_msg(strstr(r.out, pattern), "thread %s not listed",
			      pattern);
	}
	snprintf(probe, sizeof(probe), "\"start\": \"0x%" PRIxPTR "\"",
		 (uintptr_t)page);
	ck_assert_msg(strstr(r.out, probe), "mapping %s not listed", probe);
	ck_assert(strstr(r.out, "/memfd:pt-inspect-probe"));

	/* Each thread owns its stack: the ones found never overlap. */
	/* Keys are sorted: a thread's stack_end comes before its start. */
	for (at = r.out; (at = json_after(at, "stack_end"));) {
		unsigned long long s, e;
		const char *start = json_after(at, "stack_start");

		ck_assert_ptr_nonnull(start);
		ck_assert_int_eq(sscanf(at, "\"0x%llx\"", &e), 1);
		ck_assert_int_eq(sscanf(start, "\"0x%llx\"", &s), 1);
		ck_assert(s < e);
		for (int i = 0; i < nstacks; i++)
			ck_assert(e <= stacks[i][0] || s >= stacks[i][1]);
		ck_assert_int_lt(nstacks, nthreads);
		stacks[nstacks][0] = s;
		stacks[nstacks][1] = e;
		nstacks++;
	}
	ck_assert_int_ge(nstacks, 1); /* the main thread's, at least */
	run_free(&r);

	munmap(page, 3 * 4096);
	close(memfd);
	stop_waiters(&w);
}
END_TEST

START_TEST(lists_descriptors)
{
	int fds[2];
	struct run r;
	char pattern[64];

	ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
	/* The tool is a child: what it inherits is its own, so it inspects
	 * this process by pid. A descriptor it must find: */
	snprintf(pattern, sizeof(pattern), "%d", (int)getpid());
	r = inspect(pattern, "--fds", "--json", NULL);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	snprintf(pattern, sizeof(pattern), "\"fd\": %d,", fds[0]);
	ck_assert_msg(strstr(r.out, pattern), "no %s", pattern);
	ck_assert(strstr(r.out, "\"target\": \"pipe:["));
	run_free(&r);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

START_TEST(a_dead_pid_is_an_error)
{
	pid_t pid = pt_test_fork();
	char arg[16];
	struct run r;

	if (pid == 0)
		_exit(0);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	snprintf(arg, sizeof(arg), "%d", (int)pid);
	r = inspect(arg, "--threads", NULL, NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_str_eq(r.out, "");
	ck_assert_msg(strstr(r.err, "no process has pid"), "stderr: %s", r.err);
	run_free(&r);
}
END_TEST

START_TEST(a_zombie_is_an_ended_process)
{
	pid_t pid = pt_test_fork();
	siginfo_t info;
	char arg[16];
	struct run r;

	if (pid == 0)
		_exit(0);
	/* Wait for its end without reaping it: it stays a zombie. */
	ck_assert_int_eq(waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT), 0);
	snprintf(arg, sizeof(arg), "%d", (int)pid);
	r = inspect(arg, "--json", NULL, NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_str_eq(r.out, "");
	ck_assert_msg(strstr(r.err, "has ended: a zombie"), "stderr: %s",
		      r.err);
	run_free(&r);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
}
END_TEST

START_TEST(a_thread_id_is_not_a_process)
{
	static struct waiters w;
	char arg[16], pattern[64];
	struct run r;

	start_waiters(&w);
	snprintf(arg, sizeof(arg), "%d", atomic_load(&w.one[0].tid));
	r = inspect(arg, NULL, NULL, NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_str_eq(r.out, "");
	snprintf(pattern, sizeof(pattern), "is a thread of process %d",
		 (int)getpid());
	ck_assert_msg(strstr(r.err, pattern), "stderr: %s", r.err);
	run_free(&r);
	stop_waiters(&w);
}
END_TEST

static Suite *inspect_suite(void)
{
	return PT_TEST_SUITE(
		"inspect",
		{ "inspect",
		  .once = PT_TESTS(finds_own_threads_maps_and_fds,
				   lists_descriptors, a_dead_pid_is_an_error,
				   a_zombie_is_an_ended_process,
				   a_thread_id_is_not_a_process) });
}

PT_TEST_MAIN(inspect_suite)
