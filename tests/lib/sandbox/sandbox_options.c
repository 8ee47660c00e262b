/* test_sandbox_options - sandbox options that are refused, sandboxed
 * units sent through the fork-server, a sandbox that cannot be applied
 * (a set-up error of the spawn, either way of forking: via_cases), and pid
 * reuse against stale handles. */
#include <procthread.h>

#include "support/test.h"
#include "sandbox_support.h"
#include "support/ledger.h"
#include "support/units.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1 /* the runtime reserves terabytes of address space */
#else
#define SANITIZED 0
#endif

/* --- options ----------------------------------------------------------- */

static int return_0(void *arg)
{
	(void)arg;
	return 0;
}

START_TEST(bad_sandbox_options_are_refused)
{
	int two = 2;
	struct pt_sandbox sb;
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = PT_KIND_PROCESS, .sandbox = &sb);
	pt_unit *unit = NULL;
	struct pt_ledger l0, l1;

	pt_ledger_take(&l0);
	sb = PT_SANDBOX(.flags = PT_SANDBOX_NO_NEW_PRIVS);
	opts.kind = PT_KIND_THREAD;
	PT_ASSERT_ERR(pt_unit_spawn(&opts, return_0, NULL, &unit), -ENOTSUP);
	opts.kind = PT_KIND_PROCESS;
	sb.size = 0;
	PT_ASSERT_ERR(pt_unit_spawn(&opts, return_0, NULL, &unit), -EINVAL);
	sb = PT_SANDBOX(.flags = 0x100);
	PT_ASSERT_ERR(pt_unit_spawn(&opts, return_0, NULL, &unit), -EINVAL);
	sb = PT_SANDBOX(.flags = PT_SANDBOX_CLOSE_FDS, .keep_fds = &two,
			.nkeep_fds = 1);
	PT_ASSERT_ERR(pt_unit_spawn(&opts, return_0, NULL, &unit), -EINVAL);
	sb = PT_SANDBOX(.flags = PT_SANDBOX_SECCOMP,
			.allow_syscalls = (const char *const[]){ "no_such" },
			.nallow_syscalls = 1);
	PT_ASSERT_ERR(pt_unit_spawn(&opts, return_0, NULL, &unit), -EINVAL);
	sb.flags = PT_SANDBOX_NO_NEW_PRIVS; /* names without a filter */
	sb.allow_syscalls = (const char *const[]){ "openat" };
	PT_ASSERT_ERR(pt_unit_spawn(&opts, return_0, NULL, &unit), -EINVAL);
	/* A sandbox is no reason to refuse the fork-server: without one
	 * running, the answer is the same as for any unit. */
	sb = PT_SANDBOX(.flags = PT_SANDBOX_NO_NEW_PRIVS);
	opts.fork_via = PT_UNIT_FORK_SERVER;
	PT_ASSERT_ERR(pt_unit_spawn(&opts, return_0, NULL, &unit), -ENOTCONN);
	ck_assert_ptr_null(unit);
	pt_ledger_take(&l1);
	pt_ledger_assert_same(&l0, &l1);
}
END_TEST

static int parent_pid(void *arg)
{
	int ppid = getppid();

	(void)arg;
	return pt_unit_set_result(&ppid, sizeof(ppid));
}

/* PT_UNIT_FORK_AUTO treats a sandboxed unit like any other: through the
 * server when one runs and the argument can travel. */
START_TEST(auto_sends_sandboxed_units_through_the_server)
{
	struct pt_sandbox sb = PT_SANDBOX(.flags = PT_SANDBOX_NO_NEW_PRIVS);
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = PT_KIND_PROCESS, .sandbox = &sb,
			     .result_capacity = 4);
	struct pt_status st;
	const void *res;
	size_t len = 0;
	pt_unit *unit;
	int ppid = 0;

	PT_ASSERT_OK(pt_forkserver_start());
	unit = pt_test_spawn_opts(&opts, parent_pid, NULL);
	PT_ASSERT_OK(pt_unit_join(unit, -1, &st));
	ck_assert_int_eq(st.how, PT_EXIT_RETURNED);
	res = pt_unit_result(unit, &len);
	ck_assert_uint_eq(len, sizeof(ppid));
	memcpy(&ppid, res, sizeof(ppid));
	ck_assert_int_eq(ppid, pt_forkserver_pid());
	pt_unit_destroy(unit);
	PT_ASSERT_OK(pt_forkserver_stop());
}
END_TEST

/* --- a sandbox that cannot be applied ---------------------------------- */

/* The low 32 bits of a 64-bit seccomp_data field. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define LOW_WORD(field) offsetof(struct seccomp_data, field)
#else
#define LOW_WORD(field) (offsetof(struct seccomp_data, field) + 4)
#endif

/* Makes every later seccomp(SECCOMP_SET_MODE_FILTER, 0, ...) in this
 * process and its children fail with EPERM, as a container's own filter
 * may; other calls, libseccomp's probes (other operations or flags)
 * included, pass. Installed with prctl(), which it leaves alone. */
static int forbid_installing_filters(void)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_seccomp, 0, 5),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, LOW_WORD(args[0])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SECCOMP_SET_MODE_FILTER, 0,
			 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, LOW_WORD(args[1])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = (unsigned short)(sizeof(code) / sizeof(code[0])),
		.filter = code,
	};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0 ? -errno
								     : 0;
}

/* The scenario, in a child of the test so that its filter stays there.
 * Returns 0 or the number of the step that failed. */
static int unapplicable_scenario(int via)
{
	struct pt_sandbox sb = PT_SANDBOX(.flags = PT_SANDBOX_SECCOMP);
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = PT_KIND_PROCESS, .sandbox = &sb,
			     .fork_via = via);
	struct pt_ledger l0, l1;
	struct pt_status st;
	pt_unit *unit = NULL;

	if (forbid_installing_filters())
		return 10;
	if (via == PT_UNIT_FORK_SERVER && pt_forkserver_start())
		return 11;
	pt_ledger_take(&l0);
	if (pt_unit_spawn(&opts, return_0, NULL, &unit) != -EPERM)
		return 12;
	if (unit)
		return 13;
	/* The rest of a sandbox still applies, and the unit runs. */
	sb.flags = PT_SANDBOX_NO_NEW_PRIVS | PT_SANDBOX_CLOSE_FDS;
	if (pt_unit_spawn(&opts, return_0, NULL, &unit))
		return 14;
	if (pt_unit_join(unit, -1, &st) || st.how != PT_EXIT_RETURNED)
		return 15;
	pt_unit_destroy(unit);
	pt_ledger_take(&l1);
	/* Mappings as pt_ledger_assert_same() counts them: not under a
	 * sanitizer, whose runtime maps memory of its own. */
	if (l0.fds != l1.fds || l0.children != l1.children ||
	    (!SANITIZED && l0.maps != l1.maps) || l0.shm != l1.shm)
		return 16;
	if (via == PT_UNIT_FORK_SERVER && pt_forkserver_stop())
		return 17;
	return 0;
}

/* A sandbox that cannot be applied is a set-up error of pt_unit_spawn()
 * either way - the child reports it and ends before fn - and leaves no
 * child, descriptor or mapping behind. */
START_TEST(unapplicable_sandbox_is_a_spawn_error)
{
	int via = via_case(_i);
	pid_t child = pt_test_fork();
	int wstatus;

	if (child == 0)
		_exit(unapplicable_scenario(via));
	ck_assert_int_eq(waitpid(child, &wstatus, 0), child);
	ck_assert_msg(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0,
		      "scenario failed at step %d (signal %d)",
		      WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1,
		      WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0);
}
END_TEST

/* --- pid reuse --------------------------------------------------------- */

/* Forks a child that waits to be killed; returns its pid. */
static pid_t fork_stranger(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

/* Makes the next fork in this pid namespace get pid (the kernel's
 * ns_last_pid), then forks strangers until one has it, within a bound. */
static pid_t stranger_with_pid(pid_t want)
{
	FILE *f = fopen("/proc/sys/kernel/ns_last_pid", "we");

	if (f) {
		fprintf(f, "%d", want - 1);
		fclose(f);
	}
	for (int i = 0; i < 70000; i++) {
		pid_t pid = fork_stranger();

		if (pid < 0 || pid == want)
			return pid;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	return -1;
}

static bool alive(pid_t pid)
{
	siginfo_t si = { 0 };

	return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) ==
		       0 &&
	       si.si_pid == 0;
}

static void on_alarm(int sig)
{
	(void)sig;
	_exit(99);
}

/* The scenario, as pid 1 of a fresh pid namespace so that pids can be
 * steered. Returns 0 or the number of the step that failed. */
static int recycle_scenario(bool behind_its_back)
{
	struct pt_unit_opts opts = PT_UNIT_OPTS(.kind = PT_KIND_PROCESS);
	struct pt_status st;
	pt_unit *unit = NULL;
	pid_t old, stranger;
	siginfo_t si;

	/* A hang is a failure, not a stuck test. pid 1 of a namespace
	 * ignores signals it has no handler for, so it needs one. */
	signal(SIGALRM, on_alarm);
	alarm(60);
	if (pt_unit_spawn(&opts, return_0, NULL, &unit))
		return 10;
	old = pt_unit_pid(unit);
	if (behind_its_back) {
		/* Someone else reaps it (a wait(-1) elsewhere, or
		 * SIGCHLD ignored): the library never saw it go. */
		if (waitid(P_PID, (id_t)old, &si, WEXITED) < 0)
			return 11;
	} else if (pt_unit_join(unit, -1, &st) || st.code != 0) {
		return 12;
	}
	stranger = stranger_with_pid(old);
	if (stranger != old)
		return 13;
	if (pt_unit_kill(unit, SIGKILL) != -ESRCH)
		return 14;
	if (pt_unit_kill(unit, 0) != -ESRCH)
		return 15;
	if (!alive(stranger))
		return 16;
	if (behind_its_back && pt_unit_join(unit, -1, &st) == 0)
		return 17;     /* it must not collect the stranger's status */
	pt_unit_destroy(unit); /* must neither kill nor reap the stranger */
	if (!alive(stranger))
		return 18;
	kill(stranger, SIGKILL);
	waitpid(stranger, NULL, 0);
	return 0;
}

static void run_in_pid_namespace(bool behind_its_back)
{
	pid_t child = pt_test_fork();
	int wstatus;

	if (child == 0) {
		pid_t init;

		if (unshare(CLONE_NEWPID) < 0 &&
		    unshare(CLONE_NEWUSER | CLONE_NEWPID) < 0)
			_exit(90);
		init = fork();
		if (init == 0)
			_exit(recycle_scenario(behind_its_back));
		if (init < 0 || waitpid(init, &wstatus, 0) < 0)
			_exit(91);
		_exit(WIFEXITED(wstatus) ? WEXITSTATUS(wstatus)
					 : 100 + WTERMSIG(wstatus));
	}
	ck_assert_int_eq(waitpid(child, &wstatus, 0), child);
	ck_assert_msg(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0,
		      "recycling scenario failed at step %d (99: hung)",
		      WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1);
}

START_TEST(stale_handle_never_signals_a_stranger)
{
	run_in_pid_namespace(false);
}
END_TEST

START_TEST(unit_reaped_elsewhere_never_touches_a_stranger)
{
	run_in_pid_namespace(true);
}
END_TEST

static Suite *sandbox_options_suite(void)
{
	return PT_TEST_SUITE(
		"sandbox_options",
		{ "filter and limits",
		  .once = PT_TESTS(
			  bad_sandbox_options_are_refused,
			  auto_sends_sandboxed_units_through_the_server),
		  .for_rows = PT_TESTS(unapplicable_sandbox_is_a_spawn_error),
		  .rows = N_VIA_CASES, .tags = "process" },
		{ "pid reuse",
		  .once = PT_TESTS(
			  stale_handle_never_signals_a_stranger,
			  unit_reaped_elsewhere_never_touches_a_stranger),
		  .tags = "process" });
}

PT_TEST_MAIN(sandbox_options_suite)
