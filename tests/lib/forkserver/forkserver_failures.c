/* test_forkserver_failures - the fork-server's own failures: a stop that
 * waits for its units, a group signal it survives, a SIGKILL its twin
 * takes over from, a death that is reported and a restart; a thousand
 * units that leave nothing; and the point of it all: no deadlock when the
 * caller's threads hold locks. */
#include <procthread.h>

#include "support/test.h"
#include "support/busy.h"
#include "server_support.h"
#include "support/forkserver.h"
#include "support/ledger.h"
#include "support/units.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <poll.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

/* --- failures of the server itself ------------------------------------------
 */

START_TEST(stop_waits_for_units_and_server_death_is_reported)
{
	struct pt_unit_opts opts = PT_UNIT_OPTS(.kind = PT_KIND_PROCESS);
	struct pt_status st;
	pt_unit *unit;
	int spid;

	server_up();
	unit = pt_test_spawn_opts(&opts, pt_test_wait_for_cancel, NULL);
	PT_ASSERT_ERR(pt_forkserver_stop(), -EBUSY);
	/* The server dies: the unit dies with it (PDEATHSIG) and its
	 * status is lost, which join says instead of inventing one. */
	spid = pt_forkserver_pid();
	ck_assert_int_eq(kill(spid, SIGKILL), 0);
	PT_ASSERT_ERR(pt_unit_join(unit, 10000, &st), -EPIPE);
	pt_unit_destroy(unit);
	server_down();
}
END_TEST

static int report_dispositions(void *arg)
{
	struct sigaction sint, susr2;

	(void)arg;
	sigaction(SIGINT, NULL, &sint);
	sigaction(SIGUSR2, NULL, &susr2);
	return (sint.sa_handler == SIG_DFL ? 0 : 1) |
	       (susr2.sa_handler == SIG_IGN ? 0 : 2);
}

static volatile sig_atomic_t group_signals_seen;

static void count_signal(int sig)
{
	(void)sig;
	group_signals_seen++;
}

/* In a child, in a process group of its own: the owner handles the
 * signals a terminal or `kill -- -PGID` sends its group; the server must
 * live through them, and its children still get the program's own
 * dispositions. Exit 0 pass, else the step that failed. */
static int group_signal_child(void)
{
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = PT_KIND_PROCESS,
			     .fork_via = PT_UNIT_FORK_SERVER);
	static const int sigs[] = { SIGINT,  SIGTERM, SIGHUP, SIGQUIT,
				    SIGUSR1, SIGALRM, SIGTSTP };
	struct sigaction sa = { .sa_handler = count_signal };
	struct pt_status st;
	pt_unit *unit;
	int spid;

	if (setpgid(0, 0) != 0)
		return 10;
	/* The program's dispositions at start, which units must get back
	 * (a shell may have started us with SIGINT ignored). */
	signal(SIGINT, SIG_DFL);
	signal(SIGUSR2, SIG_IGN);
	if (pt_forkserver_start() != 0)
		return 11;
	spid = pt_forkserver_pid();
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (kill(0, sigs[i]) != 0)
			return 12;
	while (group_signals_seen < (int)(sizeof(sigs) / sizeof(sigs[0])))
		usleep(1000);
	/* A signal to the group is delivered to each member before kill()
	 * returns to the sender's next instruction, except for the sender
	 * itself (seen above): the server has had its share. */
	if (kill(spid, 0) != 0 || !pt_forkserver_running() ||
	    pt_forkserver_pid() != spid)
		return 13;
	spid = pt_unit_spawn(&opts, report_dispositions, NULL, &unit);
	if (spid != 0) {
		fprintf(stderr, "spawn: %s\n", pt_strerror(spid));
		return 14;
	}
	if (pt_unit_join(unit, 10000, &st) != 0 || st.how != PT_EXIT_RETURNED)
		return 15;
	pt_unit_destroy(unit);
	if (st.code != 0)
		return 20 + st.code;
	return pt_forkserver_stop() == 0 ? 0 : 16;
}

START_TEST(group_signal_does_not_kill_the_server)
{
	pid_t pid = pt_test_fork();
	int wst;

	if (pid == 0)
		_exit(group_signal_child());
	ck_assert_int_eq(waitpid(pid, &wst, 0), pid);
	ck_assert_msg(WIFEXITED(wst), "child died of signal %d", WTERMSIG(wst));
	ck_assert_int_eq(WEXITSTATUS(wst), 0);
}
END_TEST

/* The server is killed while the owner has threads (so it could not be
 * started again): its twin serves in its place, the dead one is reaped,
 * and stop ends the twin and leaves nothing. */
START_TEST(twin_takes_over_after_kill9)
{
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = PT_KIND_PROCESS,
			     .fork_via = PT_UNIT_FORK_SERVER,
			     .result_capacity = 64, .arg_len = 4);
	struct pt_ledger before, after;
	struct pt_status st;
	size_t len;
	pt_unit *unit;
	pthread_t t;
	int old;
	int twin;

	pt_ledger_take(&before);
	server_up();
	ck_assert_int_eq(pthread_create(&t, NULL, idle_thread, NULL), 0);
	old = pt_forkserver_pid();
	twin = twin_of(old);
	ck_assert_int_eq(kill(old, SIGKILL), 0);
	await_end(old);
	unit = pt_test_spawn_opts(&opts, echo_arg, "abc");
	PT_ASSERT_OK(pt_unit_join(unit, 10000, &st));
	ck_assert_str_eq(pt_unit_result(unit, &len), "abc");
	pt_unit_destroy(unit);
	ck_assert(pt_forkserver_running());
	ck_assert_int_eq(pt_forkserver_pid(), twin);
	/* The dead server was our child: reaped, no zombie. */
	ck_assert_int_eq(waitpid(old, NULL, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
	/* The twin has a twin of its own. */
	twin_of(twin);
	server_down();
	await_end(twin);
	pthread_cancel(t);
	pthread_join(t, NULL);
	pt_ledger_take(&after);
	ck_assert_int_eq(after.children, before.children);
	ck_assert_int_eq(after.fds, before.fds);
}
END_TEST

/* Server and twin both killed: the death is reported truthfully, spawns
 * through the server fail instead of hanging, and start works again. */
START_TEST(dead_server_is_reported_and_restartable)
{
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = PT_KIND_PROCESS,
			     .fork_via = PT_UNIT_FORK_SERVER);
	pt_unit *unit = NULL;
	int spid;
	int twin;

	server_up();
	spid = pt_forkserver_pid();
	/* Stopped, it cannot fork a new twin while we kill this one. */
	twin = twin_of(spid);
	ck_assert_int_eq(kill(spid, SIGSTOP), 0);
	ck_assert_int_eq(kill(twin, SIGKILL), 0);
	ck_assert_int_eq(kill(spid, SIGKILL), 0);
	await_end(spid);
	ck_assert(!pt_forkserver_running());
	PT_ASSERT_ERR(pt_forkserver_pid(), -ESRCH);
	PT_ASSERT_ERR(pt_unit_spawn(&opts, echo_arg, NULL, &unit), -EPIPE);
	ck_assert_ptr_null(unit);
	ck_assert_int_eq(waitpid(spid, NULL, WNOHANG), -1);
	server_up();
	ck_assert_int_ne(pt_forkserver_pid(), spid);
	pt_test_join_ok(pt_test_spawn_opts(&opts, exit_0, NULL));
	server_down();
}
END_TEST

START_TEST(thousand_units_leave_nothing)
{
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = PT_KIND_PROCESS, .result_capacity = 64,
			     .arg_len = 6);
	struct pt_ledger before, after;
	struct pt_status st;
	size_t len;
	pt_unit *unit;

	server_up();
	st = join_destroy(pt_test_spawn_opts(&opts, echo_arg, "warm!"));
	pt_ledger_take(&before);
	for (int i = 0; i < 1000; i++) {
		unit = pt_test_spawn_opts(&opts, echo_arg, "hello");
		if (i % 2) {
			PT_ASSERT_OK(pt_unit_join(unit, 10000, &st));
			ck_assert_str_eq(pt_unit_result(unit, &len), "hello");
		}
		/* Unjoined ones are killed and reaped by destroy. */
		pt_unit_destroy(unit);
	}
	pt_ledger_take(&after);
	pt_ledger_assert_same(&before, &after);
	ck_assert_int_eq(server_children(), 0);
	server_down();
}
END_TEST

/* --- the point: a threaded parent holding locks ------------------------------
 */

/* In the child: the very locks the busy threads hold in the parent. */
static int use_locks(void *arg)
{
	(void)arg;
	return pt_busy_use_locks();
}

START_TEST(threaded_parent_never_deadlocks)
{
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = PT_KIND_PROCESS,
			     .fork_via = PT_UNIT_FORK_SERVER);
	struct pt_busy busy;
	struct pt_status st;

	server_up();
	pt_busy_start(&busy);
	for (int i = 0; i < 1000; i++) {
		pt_unit *unit = pt_test_spawn_opts(&opts, use_locks, NULL);

		/* A deadlocked child would show as a timeout here. */
		PT_ASSERT_OK(pt_unit_join(unit, 20000, &st));
		ck_assert_int_eq(st.how, PT_EXIT_RETURNED);
		ck_assert_int_eq(st.code, 0);
		pt_unit_destroy(unit);
	}
	pt_busy_stop(&busy);
	server_down();
}
END_TEST

static Suite *forkserver_failures_suite(void)
{
	return PT_TEST_SUITE(
		"forkserver_failures",
		{ "lifecycle",
		  .once = PT_TESTS(
			  stop_waits_for_units_and_server_death_is_reported,
			  group_signal_does_not_kill_the_server,
			  twin_takes_over_after_kill9,
			  dead_server_is_reported_and_restartable) },
		{ "stress",
		  .once = PT_TESTS(thousand_units_leave_nothing,
				   threaded_parent_never_deadlocks),
		  .timeout_s = 300 });
}

PT_TEST_MAIN(forkserver_failures_suite)
