/* test_unit - units stopped (kill, cancel, a deadline, a join that times
 * out), accounted (CPU time, readiness, name and affinity), failing to set
 * up, dying with their parent, and a thousand of them leaving nothing:
 * each body runs once per kind (the loop index is the kind), except where
 * the kinds must differ. Results and how an end is classified are in
 * test_unit_results. */
#include <procthread.h>

#include "support/test.h"
#include "unit_support.h"
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

/* --- stopping: kill, cancel, deadline ------------------------------------ */

static int spin_forever(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return 0;
}

/* A unit of kind that runs until cancelled, then returns 3
 * (pt_test_wait_for_cancel), under a deadline of timeout_ms when not 0. */
static pt_unit *spawn_cancel_waiter(enum pt_kind kind, uint32_t timeout_ms)
{
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = kind, .timeout_ms = timeout_ms);

	return pt_test_spawn_opts(&opts, pt_test_wait_for_cancel, NULL);
}

START_TEST(kill_signals_process_only)
{
	struct pt_status st;
	pt_unit *unit = spawn_cancel_waiter(_i, 0);

	if (_i == PT_KIND_THREAD) {
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
	struct pt_status st;
	pt_unit *unit = spawn_cancel_waiter(_i, 0);

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
		PT_UNIT_OPTS(.kind = PT_KIND_PROCESS, .timeout_ms = timeout_ms);
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
	struct pt_status st;
	pt_unit *unit = spawn_cancel_waiter(PT_KIND_THREAD, 50);

	PT_ASSERT_OK(pt_unit_join(unit, -1, &st));
	ck_assert_int_eq(st.how, PT_EXIT_TIMED_OUT);
	ck_assert_int_eq(st.code, 3);
	pt_unit_destroy(unit);
}
END_TEST

START_TEST(join_timeout_leaves_unit_running)
{
	struct pt_status st;
	pt_unit *unit = spawn_cancel_waiter(_i, 0);

	PT_ASSERT_ERR(pt_unit_join(unit, 20, &st), -ETIMEDOUT);
	PT_ASSERT_OK(pt_unit_cancel(unit));
	PT_ASSERT_OK(pt_unit_join(unit, 5000, &st));
	ck_assert_int_eq(st.code, 3);
	pt_unit_destroy(unit);
}
END_TEST

/* --- accounting and readiness -------------------------------------------- */

START_TEST(cpu_burn_reports_user_time)
{
	struct pt_status st = run_unit(_i, pt_test_burn_cpu, NULL);

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
	struct pt_unit_opts opts = PT_UNIT_OPTS(.kind = PT_KIND_PROCESS);
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
	unit = pt_test_spawn_opts(&opts, pt_test_wait_for_cancel, NULL);
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
	if (_i == PT_KIND_THREAD)
		PT_ASSERT_ERR(pt_unit_spawn(&bad, return_42, NULL, &unit),
			      -EINVAL);
	ck_assert_ptr_null(unit);
	PT_ASSERT_ERR(pt_unit_join(NULL, 0, &st), -EINVAL);
	PT_ASSERT_ERR(pt_unit_kill(NULL, SIGTERM), -EINVAL);
	PT_ASSERT_ERR(pt_unit_cancel(NULL), -EINVAL);
	PT_ASSERT_ERR(pt_unit_fd(NULL), -EINVAL);
	ck_assert_str_eq(pt_kind_name(_i),
			 _i == PT_KIND_THREAD ? "thread" : "process");
	ck_assert_str_eq(pt_strerror(-EINVAL), "Invalid argument");
}
END_TEST

static Suite *unit_suite(void)
{
	return PT_TEST_SUITE(
		"unit",
		{ "both kinds",
		  .for_kinds = PT_TESTS(kill_signals_process_only,
					cancel_is_seen_by_both_kinds,
					join_timeout_leaves_unit_running,
					cpu_burn_reports_user_time,
					unit_fd_becomes_readable,
					name_and_affinity_are_applied,
					setup_error_is_reported_by_spawn,
					invalid_arguments_are_refused) },
		{ "kinds differ",
		  .once = PT_TESTS(process_deadline_kills_in_time,
				   thread_deadline_cancels,
				   process_unit_dies_with_parent),
		  .tags = "process" },
		{ "leaks",
		  .for_kinds = PT_TESTS(thousand_cycles_leave_nothing,
					destroy_without_join_reaps),
		  .timeout_s = 300 });
}

PT_TEST_MAIN(unit_suite)
