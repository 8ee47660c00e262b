/* test_forkserver - process units forked by the fork-server: its start and
 * stop, the same results, classification and accounting as direct ones,
 * the documented differences (a snapshot of memory, only the descriptors
 * passed) and the routing. The server's own failures, and the threaded
 * parent it exists for, are in test_forkserver_failures. */
#include <procthread.h>

#include "support/test.h"
#include "server_support.h"
#include "support/forkserver.h"
#include "support/ledger.h"
#include "support/units.h"

#include <check.h>
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

/* --- lifecycle ----------------------------------------------------------- */

START_TEST(start_stop_lifecycle)
{
	ck_assert(!pt_forkserver_running());
	PT_ASSERT_ERR(pt_forkserver_pid(), -ESRCH);
	PT_ASSERT_ERR(pt_forkserver_stop(), -ESRCH);
	server_up();
	ck_assert(pt_forkserver_running());
	ck_assert_int_gt(pt_forkserver_pid(), 0);
	PT_ASSERT_ERR(pt_forkserver_start(), -EALREADY);
	server_down();
	ck_assert(!pt_forkserver_running());
	/* Again, and the server leaves no child or descriptor behind. */
	{
		struct pt_ledger before, after;

		pt_ledger_take(&before);
		server_up();
		server_down();
		pt_ledger_take(&after);
		pt_ledger_assert_same(&before, &after);
	}
}
END_TEST

START_TEST(start_refuses_a_threaded_process)
{
	pthread_t t;

	ck_assert_int_eq(pthread_create(&t, NULL, idle_thread, NULL), 0);
	PT_ASSERT_ERR(pt_forkserver_start(), -EBUSY);
	ck_assert(!pt_forkserver_running());
}
END_TEST

/* --- the same unit semantics ---------------------------------------------- */

START_TEST(argument_bytes_and_result_round_trip)
{
	char msg[] = "bytes through the fork-server";
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = PT_KIND_PROCESS, .result_capacity = 64,
			     .arg_len = sizeof(msg));
	struct pt_status st;
	size_t len;
	pt_unit *unit;

	server_up();
	unit = pt_test_spawn_opts(&opts, echo_arg, msg);
	/* Forked by the server: its parent is the server, not us. */
	ck_assert_int_ne(pt_unit_pid(unit), getpid());
	PT_ASSERT_OK(pt_unit_join(unit, 10000, &st));
	ck_assert_int_eq(st.how, PT_EXIT_RETURNED);
	ck_assert_int_eq(st.code, 0);
	ck_assert_str_eq(pt_unit_result(unit, &len), msg);
	ck_assert_uint_eq(len, sizeof(msg));
	pt_unit_destroy(unit);

	/* A NULL argument travels as NULL. */
	opts.arg_len = 0;
	st = join_destroy(pt_test_spawn_opts(&opts, echo_arg, NULL));
	ck_assert_int_eq(st.code, 99);
	server_down();
}
END_TEST

static int empty_task(const void *arg, size_t len, struct pt_task_out *out)
{
	(void)arg;
	(void)len;
	(void)out;
	return 0;
}

/* In a unit the server forked: starts a process pool, runs a task on it,
 * and spawns a unit of its own. Returns 0, or which step failed. */
static int pool_and_unit_inside(void *arg)
{
	struct pt_pool_opts po =
		PT_POOL_OPTS(.kind = PT_KIND_PROCESS, .workers = 1);
	struct pt_unit_opts uo = PT_UNIT_OPTS(.kind = PT_KIND_PROCESS);
	struct pt_status st;
	struct pt_result r;
	pt_future *f;
	pt_pool *pool;
	pt_unit *unit;

	(void)arg;
	if (pt_pool_create(&po, &pool))
		return 1;
	if (pt_pool_submit(pool, empty_task, NULL, 0, &f) ||
	    pt_future_wait(f, 10000, &r) || r.status != PT_TASK_OK)
		return 2;
	pt_future_destroy(f);
	pt_pool_destroy(pool);
	if (pt_unit_spawn(&uo, echo_arg, NULL, &unit) ||
	    pt_unit_join(unit, 10000, &st) || st.code != 99)
		return 3;
	pt_unit_destroy(unit);
	return 0;
}

/* start() held the client's lock across the fork that made the server,
 * so every child of the server inherited it held: a process pool or a
 * process unit started inside one waited for ever on its first spawn. */
START_TEST(server_child_can_start_pools_and_units)
{
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = PT_KIND_PROCESS,
			     .fork_via = PT_UNIT_FORK_SERVER);
	struct pt_status st;

	server_up();
	st = join_destroy(
		pt_test_spawn_opts(&opts, pool_and_unit_inside, NULL));
	ck_assert_int_eq(st.how, PT_EXIT_RETURNED);
	ck_assert_int_eq(st.code, 0);
	server_down();
}
END_TEST

static int global_seen = 1;

static int report_global(void *arg)
{
	(void)arg;
	return global_seen;
}

START_TEST(server_child_is_a_snapshot_of_start_time)
{
	struct pt_unit_opts opts = PT_UNIT_OPTS(.kind = PT_KIND_PROCESS);
	struct pt_unit_opts direct =
		PT_UNIT_OPTS(.kind = PT_KIND_PROCESS,
			     .fork_via = PT_UNIT_FORK_DIRECT);
	struct pt_status st;

	server_up();
	/* Changed after the server started: only a direct child sees it. */
	global_seen = 2;
	st = join_destroy(pt_test_spawn_opts(&opts, report_global, NULL));
	ck_assert_int_eq(st.code, 1);
	st = join_destroy(pt_test_spawn_opts(&direct, report_global, NULL));
	ck_assert_int_eq(st.code, 2);
	server_down();
}
END_TEST

static int exit_7(void *arg)
{
	(void)arg;
	exit(7);
}

START_TEST(ends_are_classified_and_accounted)
{
	struct pt_unit_opts opts = PT_UNIT_OPTS(.kind = PT_KIND_PROCESS);
	struct pt_status st;
	pt_unit *unit;

	server_up();
	st = join_destroy(pt_test_spawn_opts(&opts, exit_7, NULL));
	ck_assert_int_eq(st.how, PT_EXIT_EXITED);
	ck_assert_int_eq(st.code, 7);
	st = join_destroy(pt_test_spawn_opts(&opts, pt_test_crash_abort, NULL));
	ck_assert_int_eq(st.how, PT_EXIT_CRASHED);
	ck_assert_int_eq(st.signal, SIGABRT);
	st = join_destroy(pt_test_spawn_opts(&opts, pt_test_crash_segv, NULL));
	ck_assert_int_eq(st.how, PT_EXIT_CRASHED);
	ck_assert_int_eq(st.signal, SIGSEGV);

	/* rusage comes from the server's wait4(). */
	st = join_destroy(pt_test_spawn_opts(&opts, pt_test_burn_cpu, NULL));
	ck_assert_int_eq(st.how, PT_EXIT_RETURNED);
	ck_assert_uint_gt(st.usage.user_ns + st.usage.system_ns, 0);
	ck_assert_uint_ge(st.usage.wall_ns, 30000000u);
	ck_assert_uint_gt(st.usage.maxrss_bytes, 0);

	/* Cancel through the shared block, kill through the pidfd. */
	unit = pt_test_spawn_opts(&opts, pt_test_wait_for_cancel, NULL);
	PT_ASSERT_ERR(pt_unit_join(unit, 0, &st), -ETIMEDOUT);
	PT_ASSERT_OK(pt_unit_cancel(unit));
	st = join_destroy(unit);
	ck_assert_int_eq(st.how, PT_EXIT_RETURNED);
	ck_assert_int_eq(st.code, 3);
	unit = pt_test_spawn_opts(&opts, pt_test_wait_for_cancel, NULL);
	PT_ASSERT_OK(pt_unit_kill(unit, SIGUSR1));
	PT_ASSERT_OK(pt_unit_join(unit, 10000, &st));
	ck_assert_int_eq(st.how, PT_EXIT_SIGNALED);
	ck_assert_int_eq(st.signal, SIGUSR1);
	PT_ASSERT_ERR(pt_unit_kill(unit, SIGUSR1), -ESRCH);
	pt_unit_destroy(unit);

	/* The deadline kills and is classified as such. */
	opts.timeout_ms = 50;
	st = join_destroy(
		pt_test_spawn_opts(&opts, pt_test_wait_for_cancel, NULL));
	ck_assert_int_eq(st.how, PT_EXIT_TIMED_OUT);
	ck_assert_int_eq(st.signal, SIGKILL);
	server_down();
}
END_TEST

START_TEST(setup_error_is_reported_and_leaves_nothing)
{
	struct pt_unit_opts opts = PT_UNIT_OPTS(.kind = PT_KIND_PROCESS,
						.cpu_mask = (uint64_t)1 << 63);
	struct pt_ledger before, after;
	pt_unit *unit = NULL;

	if (sysconf(_SC_NPROCESSORS_CONF) >= 64)
		return;
	server_up();
	pt_ledger_take(&before);
	PT_ASSERT_ERR(pt_unit_spawn(&opts, echo_arg, NULL, &unit), -EINVAL);
	ck_assert_ptr_null(unit);
	pt_ledger_take(&after);
	pt_ledger_assert_same(&before, &after);
	ck_assert_int_eq(server_children(), 0);
	server_down();
}
END_TEST

/* --- descriptors ---------------------------------------------------------- */

static int count_open_fds(void *arg)
{
	int n = pt_ledger_count_dir("/proc/self/fd");

	(void)arg;
	return n < 0 ? 100 : n - 1; /* less the directory's own descriptor */
}

static int write_to_passed(void *arg)
{
	int fd = *(int *)arg;

	return write(fd, "ok", 2) == 2 ? count_open_fds(NULL) : 100;
}

START_TEST(only_passed_descriptors_reach_the_child)
{
	struct pt_unit_opts opts = PT_UNIT_OPTS(.kind = PT_KIND_PROCESS);
	struct pt_status st;
	int p[2];
	char buf[4] = { 0 };
	int extra;

	server_up();
	/* Opened after start and not passed: absent in the child. */
	extra = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(extra, 3);
	st = join_destroy(pt_test_spawn_opts(&opts, count_open_fds, NULL));
	ck_assert_int_eq(st.code, 3);

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	opts.pass_fds = &p[1];
	opts.npass_fds = 1;
	opts.arg_len = sizeof(p[1]);
	st = join_destroy(pt_test_spawn_opts(&opts, write_to_passed, &p[1]));
	ck_assert_int_eq(st.how, PT_EXIT_RETURNED);
	ck_assert_int_eq(st.code, 4);
	ck_assert_int_eq(read(p[0], buf, 2), 2);
	ck_assert_str_eq(buf, "ok");

	/* Bad descriptors are refused before anything is forked. */
	{
		int bad[] = { 1 };
		int closed[] = { 900 };
		pt_unit *unit;

		opts.pass_fds = bad;
		PT_ASSERT_ERR(pt_unit_spawn(&opts, echo_arg, NULL, &unit),
			      -EINVAL);
		opts.pass_fds = closed;
		PT_ASSERT_ERR(pt_unit_spawn(&opts, echo_arg, NULL, &unit),
			      -EBADF);
	}
	close(p[0]);
	close(p[1]);
	close(extra);
	server_down();
}
END_TEST

/* --- routing ----------------------------------------------------------------
 */

START_TEST(fork_via_is_honoured)
{
	struct pt_unit_opts opts = PT_UNIT_OPTS(.kind = PT_KIND_PROCESS);
	int on_stack = 5;
	pt_unit *unit = NULL;
	struct pt_status st;

	/* Without a server, FORK_SERVER is refused and AUTO forks. */
	opts.fork_via = PT_UNIT_FORK_SERVER;
	PT_ASSERT_ERR(pt_unit_spawn(&opts, report_global, NULL, &unit),
		      -ENOTCONN);
	opts.fork_via = 7;
	PT_ASSERT_ERR(pt_unit_spawn(&opts, report_global, NULL, &unit),
		      -EINVAL);
	ck_assert_ptr_null(unit);

	server_up();
	global_seen = 4;
	/* A bare pointer cannot travel: AUTO forks directly, sees 4. */
	opts.fork_via = PT_UNIT_FORK_AUTO;
	st = join_destroy(pt_test_spawn_opts(&opts, report_global, &on_stack));
	ck_assert_int_eq(st.code, 4);
	/* With arg_len it goes through the server, which saw 1. */
	opts.arg_len = sizeof(on_stack);
	st = join_destroy(pt_test_spawn_opts(&opts, report_global, &on_stack));
	ck_assert_int_eq(st.code, 1);
	server_down();
}
END_TEST

static int read_pointer_arg(void *arg)
{
	return *(const volatile int *)arg;
}

/* A bare pointer forced through the server would be read in a copy of the
 * program that does not have it (SIGSEGV, or garbage): refused. */
START_TEST(server_refuses_a_bare_pointer)
{
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = PT_KIND_PROCESS,
			     .fork_via = PT_UNIT_FORK_SERVER);
	int *heap = malloc(sizeof(*heap));
	pt_unit *unit = NULL;
	struct pt_status st;

	ck_assert_ptr_nonnull(heap);
	*heap = 42;
	server_up();
	PT_ASSERT_ERR(pt_unit_spawn(&opts, read_pointer_arg, heap, &unit),
		      -EINVAL);
	ck_assert_ptr_null(unit);
	opts.arg_len = sizeof(*heap);
	st = join_destroy(pt_test_spawn_opts(&opts, read_pointer_arg, heap));
	ck_assert_int_eq(st.how, PT_EXIT_RETURNED);
	ck_assert_int_eq(st.code, 42);
	server_down();
	free(heap);
	ck_assert_str_eq(pt_exit_name(PT_EXIT_NONE), "none");
}
END_TEST

static Suite *forkserver_suite(void)
{
	return PT_TEST_SUITE(
		"forkserver",
		{ "lifecycle",
		  .once = PT_TESTS(start_stop_lifecycle,
				   start_refuses_a_threaded_process) },
		{ "units",
		  .once = PT_TESTS(argument_bytes_and_result_round_trip,
				   server_child_is_a_snapshot_of_start_time,
				   ends_are_classified_and_accounted,
				   setup_error_is_reported_and_leaves_nothing,
				   only_passed_descriptors_reach_the_child,
				   fork_via_is_honoured,
				   server_refuses_a_bare_pointer,
				   server_child_can_start_pools_and_units) });
}

PT_TEST_MAIN(forkserver_suite)
