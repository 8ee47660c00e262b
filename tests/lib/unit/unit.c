/* test_unit - units: each body runs once per kind (the loop index is the
 * kind), except where the kinds must differ, and then both sides are
 * tested: a thread that crashes or calls exit() takes its process along,
 * so those cases run inside a sacrificial child. */
#include <procthread.h>

#include "support/test.h"
#include "support/kinds.h"
#include "support/ledger.h"
#include "support/units.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct pt_status run_unit(enum pt_kind kind, pt_unit_fn *fn, void *arg)
{
	struct pt_unit_opts opts = PT_UNIT_OPTS(.kind = kind);
	struct pt_status st;
	pt_unit *unit = pt_test_spawn_opts(&opts, fn, arg);

	PT_ASSERT_OK(pt_unit_join(unit, -1, &st));
	pt_unit_destroy(unit);
	return st;
}

/* --- results and exit classification ------------------------------------ */

static int return_42(void *arg)
{
	(void)arg;
	return 42;
}

static int hand_back(void *arg)
{
	const char *msg = arg;

	return pt_unit_set_result(msg, strlen(msg) + 1);
}

START_TEST(result_round_trips)
{
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = _i, .result_capacity = 64);
	char msg[] = "bytes from the unit";
	struct pt_status st;
	const char *res;
	size_t len = 0;
	pt_unit *unit = pt_test_spawn_opts(&opts, hand_back, msg);

	ck_assert_ptr_null(pt_unit_result(unit, &len));
	PT_ASSERT_OK(pt_unit_join(unit, -1, &st));
	ck_assert_int_eq(st.how, PT_EXIT_RETURNED);
	ck_assert_int_eq(st.code, 0);
	res = pt_unit_result(unit, &len);
	ck_assert_ptr_nonnull(res);
	ck_assert_uint_eq(len, sizeof(msg));
	ck_assert_str_eq(res, msg);
	pt_unit_destroy(unit);
}
END_TEST

static int oversize_result(void *arg)
{
	char big[65] = { 0 };

	(void)arg;
	return pt_unit_set_result(big, sizeof(big)) == -EMSGSIZE ? 7 : 1;
}

START_TEST(result_over_capacity_is_refused)
{
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = _i, .result_capacity = 64);
	struct pt_status st;
	size_t len = 99;
	pt_unit *unit = pt_test_spawn_opts(&opts, oversize_result, NULL);

	PT_ASSERT_OK(pt_unit_join(unit, -1, &st));
	ck_assert_int_eq(st.code, 7);
	ck_assert_ptr_nonnull(pt_unit_result(unit, &len));
	ck_assert_uint_eq(len, 0);
	pt_unit_destroy(unit);
	/* Outside any unit there is nowhere to put a result. */
	PT_ASSERT_ERR(pt_unit_set_result("x", 1), -ESRCH);
}
END_TEST

START_TEST(return_code_is_classified)
{
	struct pt_status st = run_unit(_i, return_42, NULL);

	ck_assert_int_eq(st.how, PT_EXIT_RETURNED);
	ck_assert_int_eq(st.code, 42);
	ck_assert_int_eq(st.signal, 0);
	if (_i == PT_PROCESS)
		ck_assert_int_ne(st.pid, getpid());
	else
		ck_assert_int_eq(st.pid, getpid());
}
END_TEST

static int call_exit(void *arg)
{
	(void)arg;
	exit(9);
}

static int call_pthread_exit(void *arg)
{
	(void)arg;
	pthread_exit((void *)(intptr_t)5);
}

START_TEST(process_exit_is_classified)
{
	struct pt_status st = run_unit(PT_PROCESS, call_exit, NULL);

	ck_assert_int_eq(st.how, PT_EXIT_EXITED);
	ck_assert_int_eq(st.code, 9);
}
END_TEST

START_TEST(thread_pthread_exit_is_classified)
{
	struct pt_status st = run_unit(PT_THREAD, call_pthread_exit, NULL);

	ck_assert_int_eq(st.how, PT_EXIT_EXITED);
	ck_assert_int_eq(st.code, 5);
}
END_TEST

/* Runs body in a forked child and returns its wait status: the thread cases
 * that end a whole process need a process to end. */
static int in_sacrificial_process(void (*body)(void *), void *arg)
{
	int wstatus;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		body(arg);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &wstatus, 0), pid);
	return wstatus;
}

struct fn_box {
	pt_unit_fn *fn;
};

static void thread_unit_then_survive(void *arg)
{
	struct pt_unit_opts opts = PT_UNIT_OPTS(.kind = PT_THREAD);
	const struct fn_box *box = arg;
	struct pt_status st;
	pt_unit *unit;

	if (pt_unit_spawn(&opts, box->fn, NULL, &unit))
		_exit(100);
	pt_unit_join(unit, -1, &st);
	/* Reached only if the thread's end spared its process. */
	_exit(101);
}

START_TEST(thread_exit_ends_its_process)
{
	struct fn_box box = { call_exit };
	int wstatus = in_sacrificial_process(thread_unit_then_survive, &box);

	ck_assert(WIFEXITED(wstatus));
	ck_assert_int_eq(WEXITSTATUS(wstatus), 9);
}
END_TEST

static int crash_segv(void *arg)
{
	volatile char *page;

	(void)arg;
	page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	page[0] = 1;
	return 0;
}

static int crash_bus(void *arg)
{
	volatile char *page;
	int fd = memfd_create("bus", MFD_CLOEXEC);

	(void)arg;
	/* A mapping past the end of an empty file: touching it is SIGBUS. */
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	page[0] = 1;
	return 0;
}

static int crash_ill(void *arg)
{
	(void)arg;
	__builtin_trap();
}

static int crash_fpe(void *arg)
{
	(void)arg;
	/* A real division by zero is undefined behaviour that UBSan reports
	 * as an abort; the signal itself is what is classified here. */
	raise(SIGFPE);
	return 0;
}

static int crash_abrt(void *arg)
{
	(void)arg;
	abort();
}

static const struct {
	int sig;
	pt_unit_fn *fn;
} crashes[] = {
	{ SIGSEGV, crash_segv }, { SIGBUS, crash_bus },	  { SIGILL, crash_ill },
	{ SIGFPE, crash_fpe },	 { SIGABRT, crash_abrt },
};

START_TEST(process_crash_is_classified_and_parent_survives)
{
	for (size_t i = 0; i < sizeof(crashes) / sizeof(crashes[0]); i++) {
		struct pt_status st = run_unit(PT_PROCESS, crashes[i].fn, NULL);

		ck_assert_msg(st.how == PT_EXIT_CRASHED, "signal %d: how %s",
			      crashes[i].sig, pt_exit_name(st.how));
		ck_assert_int_eq(st.signal, crashes[i].sig);
	}
}
END_TEST

START_TEST(thread_crash_ends_its_process)
{
	for (size_t i = 0; i < sizeof(crashes) / sizeof(crashes[0]); i++) {
		struct fn_box box = { crashes[i].fn };
		int wstatus =
			in_sacrificial_process(thread_unit_then_survive, &box);

		ck_assert_msg(WIFSIGNALED(wstatus), "signal %d: process lived",
			      crashes[i].sig);
		ck_assert_int_eq(WTERMSIG(wstatus), crashes[i].sig);
	}
}
END_TEST

/* --- stopping: kill, cancel, deadline ------------------------------------ */

static int wait_for_cancel(void *arg)
{
	(void)arg;
	while (!pt_cancelled())
		usleep(1000);
	return 3;
}

static int spin_forever(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return 0;
}

START_TEST(kill_signals_process_only)
{
	struct pt_unit_opts opts = PT_UNIT_OPTS(.kind = _i);
	struct pt_status st;
	pt_unit *unit = pt_test_spawn_opts(&opts, wait_for_cancel, NULL);

	if (_i == PT_THREAD) {
		PT_ASSERT_ERR(pt_unit_kill(unit, SIGTERM), -ENOTSUP);
		PT_ASSERT_OK(pt_unit_cancel(unit));
		PT_ASSERT_OK(pt_unit_join(unit, -1, &st));
		ck_assert_int_eq(st.how, PT_EXIT_RETURNED);
		ck_assert_int_eq(st.code, 3);
	} else {
		/* SIGUSR1, not SIGTERM: the child inherits the test
		 * runner's SIGTERM handler, as any forked child would. */
		PT_ASSERT_OK(pt_unit_kill(unit, SIGUSR1));
		PT_ASSERT_OK(pt_unit_join(unit, -1, &st));
		ck_assert_int_eq(st.how, PT_EXIT_SIGNALED);
		ck_assert_int_eq(st.signal, SIGUSR1);
		/* Reaped: the pidfd can never reach a recycled pid. */
		PT_ASSERT_ERR(pt_unit_kill(unit, SIGUSR1), -ESRCH);
	}
	PT_ASSERT_ERR(pt_unit_kill(unit, -1), -EINVAL);
	pt_unit_destroy(unit);
}
END_TEST

START_TEST(cancel_is_seen_by_both_kinds)
{
	struct pt_unit_opts opts = PT_UNIT_OPTS(.kind = _i);
	struct pt_status st;
	pt_unit *unit = pt_test_spawn_opts(&opts, wait_for_cancel, NULL);

	ck_assert(!pt_cancelled());
	PT_ASSERT_ERR(pt_unit_join(unit, 0, &st), -ETIMEDOUT);
	PT_ASSERT_OK(pt_unit_cancel(unit));
	PT_ASSERT_OK(pt_unit_join(unit, -1, &st));
	ck_assert_int_eq(st.how, PT_EXIT_RETURNED);
	ck_assert_int_eq(st.code, 3);
	PT_ASSERT_ERR(pt_unit_join(unit, -1, &st), -EALREADY);
	pt_unit_destroy(unit);
}
END_TEST

START_TEST(process_deadline_kills_in_time)
{
	/* The deadline is a lower bound in wall time; that the kill comes
	 * soon after it is checked in the unit's own CPU time: a spinning
	 * child burns CPU for as long as it lives and gets the CPU, so a late
	 * kill shows there, while a busy machine (which stretches wall time)
	 * only lowers it. */
	const uint32_t timeout_ms = 100;
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = PT_PROCESS, .timeout_ms = timeout_ms);
	struct pt_status st;
	uint64_t start = pt_test_now_ns();
	pt_unit *unit = pt_test_spawn_opts(&opts, spin_forever, NULL);
	uint64_t elapsed_ms, cpu_ms;

	PT_ASSERT_OK(pt_unit_join(unit, -1, &st));
	elapsed_ms = (pt_test_now_ns() - start) / 1000000u;
	cpu_ms = (st.usage.user_ns + st.usage.system_ns) / 1000000u;
	ck_assert_int_eq(st.how, PT_EXIT_TIMED_OUT);
	ck_assert_int_eq(st.signal, SIGKILL);
	ck_assert_uint_ge(elapsed_ms, timeout_ms);
	ck_assert_msg(cpu_ms <= timeout_ms + 50,
		      "ran %llu ms of CPU time (%llu ms wall)",
		      (unsigned long long)cpu_ms,
		      (unsigned long long)elapsed_ms);
	pt_unit_destroy(unit);
}
END_TEST

START_TEST(thread_deadline_cancels)
{
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = PT_THREAD, .timeout_ms = 50);
	struct pt_status st;
	pt_unit *unit = pt_test_spawn_opts(&opts, wait_for_cancel, NULL);

	PT_ASSERT_OK(pt_unit_join(unit, -1, &st));
	ck_assert_int_eq(st.how, PT_EXIT_TIMED_OUT);
	ck_assert_int_eq(st.code, 3);
	pt_unit_destroy(unit);
}
END_TEST

START_TEST(join_timeout_leaves_unit_running)
{
	struct pt_unit_opts opts = PT_UNIT_OPTS(.kind = _i);
	struct pt_status st;
	pt_unit *unit = pt_test_spawn_opts(&opts, wait_for_cancel, NULL);

	PT_ASSERT_ERR(pt_unit_join(unit, 20, &st), -ETIMEDOUT);
	PT_ASSERT_OK(pt_unit_cancel(unit));
	PT_ASSERT_OK(pt_unit_join(unit, 5000, &st));
	ck_assert_int_eq(st.code, 3);
	pt_unit_destroy(unit);
}
END_TEST

/* --- accounting and readiness -------------------------------------------- */

static int burn_cpu(void *arg)
{
	volatile uint64_t x = 0;
	uint64_t until = pt_test_now_ns() + 50000000u;

	(void)arg;
	while (pt_test_now_ns() < until)
		for (int i = 0; i < 10000; i++)
			x += (uint64_t)i;
	return 0;
}

START_TEST(cpu_burn_reports_user_time)
{
	struct pt_status st = run_unit(_i, burn_cpu, NULL);

	ck_assert_uint_gt(st.usage.user_ns, 0);
	ck_assert_uint_ge(st.usage.wall_ns, 50000000u);
	ck_assert_uint_gt(st.usage.maxrss_bytes, 0);
	ck_assert_int_gt(st.tid, 0);
}
END_TEST

static int wait_on_pipe(void *arg)
{
	int fd = *(int *)arg;
	char c;

	return read(fd, &c, 1) == 1 ? 0 : 1;
}

START_TEST(unit_fd_becomes_readable)
{
	struct pt_unit_opts opts = PT_UNIT_OPTS(.kind = _i);
	int go[2];
	struct pollfd pfd;
	struct pt_status st;
	pt_unit *unit;

	ck_assert_int_eq(pipe2(go, O_CLOEXEC), 0);
	unit = pt_test_spawn_opts(&opts, wait_on_pipe, &go[0]);
	pfd = (struct pollfd){ .fd = pt_unit_fd(unit), .events = POLLIN };
	ck_assert_int_ge(pfd.fd, 0);
	ck_assert_int_eq(poll(&pfd, 1, 0), 0);
	ck_assert_int_eq(write(go[1], "x", 1), 1);
	ck_assert_int_eq(poll(&pfd, 1, 10000), 1);
	ck_assert(pfd.revents & POLLIN);
	PT_ASSERT_OK(pt_unit_join(unit, 0, &st));
	ck_assert_int_eq(st.how, PT_EXIT_RETURNED);
	ck_assert_int_eq(st.code, 0);
	pt_unit_destroy(unit);
	close(go[0]);
	close(go[1]);
}
END_TEST

static int report_own_name(void *arg)
{
	char comm[32] = { 0 };
	FILE *f = fopen("/proc/thread-self/comm", "re");

	(void)arg;
	if (!f)
		return 1;
	if (!fgets(comm, sizeof(comm), f)) {
		fclose(f);
		return 1;
	}
	fclose(f);
	comm[strcspn(comm, "\n")] = 0;
	return pt_unit_set_result(comm, strlen(comm) + 1);
}

START_TEST(name_and_affinity_are_applied)
{
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = _i, .name = "pt-test-unit", .cpu_mask = 1,
			     .result_capacity = 32);
	struct pt_status st;
	size_t len;
	pt_unit *unit = pt_test_spawn_opts(&opts, report_own_name, NULL);

	PT_ASSERT_OK(pt_unit_join(unit, -1, &st));
	ck_assert_int_eq(st.code, 0);
	ck_assert_str_eq(pt_unit_result(unit, &len), "pt-test-unit");
	pt_unit_destroy(unit);
}
END_TEST

START_TEST(setup_error_is_reported_by_spawn)
{
	/* CPU 63 does not exist here: the child's (or thread's) affinity
	 * fails, and spawn says so rather than starting a unit. */
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = _i, .cpu_mask = (uint64_t)1 << 63);
	struct pt_ledger before, after;
	pt_unit *unit = NULL;

	if (sysconf(_SC_NPROCESSORS_CONF) >= 64)
		return;
	/* Warm up: glibc caches a failed thread's stack for reuse. */
	PT_ASSERT_ERR(pt_unit_spawn(&opts, return_42, NULL, &unit), -EINVAL);
	pt_ledger_take(&before);
	PT_ASSERT_ERR(pt_unit_spawn(&opts, return_42, NULL, &unit), -EINVAL);
	ck_assert_ptr_null(unit);
	pt_ledger_take(&after);
	pt_ledger_assert_same(&before, &after);
}
END_TEST

/* The unit outlives its parent only when asked to. */
static void spawn_then_die(void *arg)
{
	int report_fd = *(int *)arg;
	struct pt_unit_opts opts = PT_UNIT_OPTS(.kind = PT_PROCESS);
	pt_unit *unit;
	int pid;

	if (pt_unit_spawn(&opts, spin_forever, NULL, &unit))
		_exit(100);
	pid = pt_unit_pid(unit);
	if (write(report_fd, &pid, sizeof(pid)) != sizeof(pid))
		_exit(101);
	_exit(0); /* without joining: the unit must die with us */
}

START_TEST(process_unit_dies_with_parent)
{
	int report[2];
	int pid = 0;
	int wstatus;

	/* Become the reaper of orphans, so the unit's end comes to us. */
	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	ck_assert_int_eq(pipe2(report, O_CLOEXEC), 0);
	wstatus = in_sacrificial_process(spawn_then_die, &report[1]);
	ck_assert(WIFEXITED(wstatus));
	ck_assert_int_eq(WEXITSTATUS(wstatus), 0);
	ck_assert_int_eq(read(report[0], &pid, sizeof(pid)), sizeof(pid));
	ck_assert_int_eq(waitpid(pid, &wstatus, 0), pid);
	ck_assert(WIFSIGNALED(wstatus));
	ck_assert_int_eq(WTERMSIG(wstatus), SIGKILL);
	close(report[0]);
	close(report[1]);
}
END_TEST

/* --- leaks and bad input ------------------------------------------------- */

START_TEST(thousand_cycles_leave_nothing)
{
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = _i, .result_capacity = 128);
	struct pt_ledger before, after;
	struct pt_status st;
	pt_unit *unit;

	/* One warm-up cycle: the first thread makes its malloc arena. */
	unit = pt_test_spawn_opts(&opts, return_42, NULL);
	PT_ASSERT_OK(pt_unit_join(unit, -1, &st));
	pt_unit_destroy(unit);

	pt_ledger_take(&before);
	for (int i = 0; i < 1000; i++) {
		unit = pt_test_spawn_opts(&opts, return_42, NULL);
		PT_ASSERT_OK(pt_unit_join(unit, -1, &st));
		ck_assert_int_eq(st.code, 42);
		pt_unit_destroy(unit);
	}
	pt_ledger_take(&after);
	pt_ledger_assert_same(&before, &after);
}
END_TEST

START_TEST(destroy_without_join_reaps)
{
	struct pt_unit_opts opts = PT_UNIT_OPTS(.kind = _i);
	struct pt_ledger before, after;
	pt_unit *unit;

	unit = pt_test_spawn_opts(&opts, return_42, NULL);
	pt_unit_destroy(unit);
	pt_ledger_take(&before);
	unit = pt_test_spawn_opts(&opts, wait_for_cancel, NULL);
	pt_unit_destroy(unit);
	pt_ledger_take(&after);
	pt_ledger_assert_same(&before, &after);
	pt_unit_destroy(NULL);
}
END_TEST

START_TEST(invalid_arguments_are_refused)
{
	struct pt_unit_opts good = PT_UNIT_OPTS(.kind = _i);
	struct pt_unit_opts bad;
	struct pt_status st;
	pt_unit *unit = NULL;

	PT_ASSERT_ERR(pt_unit_spawn(&good, NULL, NULL, &unit), -EINVAL);
	PT_ASSERT_ERR(pt_unit_spawn(NULL, return_42, NULL, &unit), -EINVAL);
	PT_ASSERT_ERR(pt_unit_spawn(&good, return_42, NULL, NULL), -EINVAL);
	bad = good;
	bad.size = 0;
	PT_ASSERT_ERR(pt_unit_spawn(&bad, return_42, NULL, &unit), -EINVAL);
	bad = good;
	bad.kind = (enum pt_kind)77;
	PT_ASSERT_ERR(pt_unit_spawn(&bad, return_42, NULL, &unit), -EINVAL);
	bad = good;
	bad.result_capacity = PT_UNIT_RESULT_MAX + 1;
	PT_ASSERT_ERR(pt_unit_spawn(&bad, return_42, NULL, &unit), -EINVAL);
	bad = good;
	bad.stack_bytes = 1;
	if (_i == PT_THREAD)
		PT_ASSERT_ERR(pt_unit_spawn(&bad, return_42, NULL, &unit),
			      -EINVAL);
	ck_assert_ptr_null(unit);
	PT_ASSERT_ERR(pt_unit_join(NULL, 0, &st), -EINVAL);
	PT_ASSERT_ERR(pt_unit_kill(NULL, SIGTERM), -EINVAL);
	PT_ASSERT_ERR(pt_unit_cancel(NULL), -EINVAL);
	PT_ASSERT_ERR(pt_unit_fd(NULL), -EINVAL);
	ck_assert_str_eq(pt_kind_name(_i),
			 _i == PT_THREAD ? "thread" : "process");
	ck_assert_str_eq(pt_strerror(-EINVAL), "Invalid argument");
}
END_TEST

static Suite *unit_suite(void)
{
	Suite *s = suite_create("unit");
	TCase *both = pt_test_tcase("both kinds");
	TCase *differ = pt_test_tcase("kinds differ");
	TCase *leaks = pt_test_tcase("leaks");

	tcase_add_loop_test(both, result_round_trips, PT_THREAD,
			    pt_test_kinds_end());
	tcase_add_loop_test(both, result_over_capacity_is_refused, PT_THREAD,
			    pt_test_kinds_end());
	tcase_add_loop_test(both, return_code_is_classified, PT_THREAD,
			    pt_test_kinds_end());
	tcase_add_loop_test(both, kill_signals_process_only, PT_THREAD,
			    pt_test_kinds_end());
	tcase_add_loop_test(both, cancel_is_seen_by_both_kinds, PT_THREAD,
			    pt_test_kinds_end());
	tcase_add_loop_test(both, join_timeout_leaves_unit_running, PT_THREAD,
			    pt_test_kinds_end());
	tcase_add_loop_test(both, cpu_burn_reports_user_time, PT_THREAD,
			    pt_test_kinds_end());
	tcase_add_loop_test(both, unit_fd_becomes_readable, PT_THREAD,
			    pt_test_kinds_end());
	tcase_add_loop_test(both, name_and_affinity_are_applied, PT_THREAD,
			    pt_test_kinds_end());
	tcase_add_loop_test(both, setup_error_is_reported_by_spawn, PT_THREAD,
			    pt_test_kinds_end());
	tcase_add_loop_test(both, invalid_arguments_are_refused, PT_THREAD,
			    pt_test_kinds_end());
	suite_add_tcase(s, both);

	tcase_add_test(differ, process_exit_is_classified);
	tcase_add_test(differ, thread_pthread_exit_is_classified);
	tcase_add_test(differ, thread_exit_ends_its_process);
	tcase_add_test(differ, process_crash_is_classified_and_parent_survives);
	tcase_add_test(differ, thread_crash_ends_its_process);
	tcase_add_test(differ, process_deadline_kills_in_time);
	tcase_add_test(differ, thread_deadline_cancels);
	tcase_add_test(differ, process_unit_dies_with_parent);
	tcase_set_tags(differ, "process");
	suite_add_tcase(s, differ);

	tcase_add_loop_test(leaks, thousand_cycles_leave_nothing, PT_THREAD,
			    pt_test_kinds_end());
	tcase_add_loop_test(leaks, destroy_without_join_reaps, PT_THREAD,
			    pt_test_kinds_end());
	tcase_set_timeout(leaks, 300);
	suite_add_tcase(s, leaks);
	return s;
}

PT_TEST_MAIN(unit_suite)
