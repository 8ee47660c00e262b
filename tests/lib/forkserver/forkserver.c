/* test_forkserver - process units forked by the fork-server: the same
 * results, classification and accounting as direct ones, the documented
 * differences (a snapshot of memory, only the descriptors passed), and the
 * point of it all: no deadlock when the caller's threads hold locks. */
#include <procthread.h>

#include "support/test.h"
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

static void server_up(void)
{
	int rc = pt_forkserver_start();

	ck_assert_msg(rc == 0, "start: %s", pt_strerror(rc));
}

static void server_down(void)
{
	int rc = pt_forkserver_stop();

	ck_assert_msg(rc == 0, "stop: %s", pt_strerror(rc));
}

/* Children of server pid not yet reaped by it, less its standby twin;
 * *twin (when not NULL) gets the twin's pid, or 0. */
static int children_of(int pid, int *twin)
{
	char path[64];
	FILE *f;
	int n = 0;
	int child;

	if (twin)
		*twin = 0;
	ck_assert_int_gt(pid, 0);
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, pid);
	f = fopen(path, "re");
	ck_assert_ptr_nonnull(f);
	while (fscanf(f, "%d", &child) == 1) {
		if (pt_test_comm_is(child, "pt-fs-standby")) {
			if (twin)
				*twin = child;
			continue;
		}
		n++;
	}
	fclose(f);
	return n;
}

/* The twin of server pid, once it has named itself (it is forked as the
 * server starts, and names itself first thing). */
static int twin_of(int pid)
{
	int twin = 0;

	for (int i = 0; i < 10000 && !twin; i++) {
		children_of(pid, &twin);
		if (!twin)
			usleep(1000);
	}
	ck_assert_int_gt(twin, 0);
	return twin;
}

static int server_children(void)
{
	return children_of(pt_forkserver_pid(), NULL);
}

/* Waits until pid (not yet reaped) has ended. */
static void await_end(int pid)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

	ck_assert_int_ge(pidfd, 0);
	ck_assert_int_eq(poll(&pfd, 1, 10000), 1);
	close(pidfd);
}

static struct pt_status join_destroy(pt_unit *unit)
{
	struct pt_status st;

	PT_ASSERT_OK(pt_unit_join(unit, 10000, &st));
	pt_unit_destroy(unit);
	return st;
}

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

static void *idle_thread(void *arg)
{
	(void)arg;
	pause();
	return NULL;
}

START_TEST(start_refuses_a_threaded_process)
{
	pthread_t t;

	ck_assert_int_eq(pthread_create(&t, NULL, idle_thread, NULL), 0);
	PT_ASSERT_ERR(pt_forkserver_start(), -EBUSY);
	ck_assert(!pt_forkserver_running());
}
END_TEST

/* --- the same unit semantics ---------------------------------------------- */

static int echo_arg(void *arg)
{
	const char *msg = arg;

	if (!msg)
		return 99;
	return pt_unit_set_result(msg, strlen(msg) + 1);
}

START_TEST(argument_bytes_and_result_round_trip)
{
	char msg[] = "bytes through the fork-server";
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = PT_PROCESS, .result_capacity = 64,
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
	struct pt_pool_opts po = PT_POOL_OPTS(.kind = PT_PROCESS, .workers = 1);
	struct pt_unit_opts uo = PT_UNIT_OPTS(.kind = PT_PROCESS);
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
		PT_UNIT_OPTS(.kind = PT_PROCESS,
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
	struct pt_unit_opts opts = PT_UNIT_OPTS(.kind = PT_PROCESS);
	struct pt_unit_opts direct =
		PT_UNIT_OPTS(.kind = PT_PROCESS,
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

static int exit_0(void *arg)
{
	(void)arg;
	return 0;
}

static int exit_7(void *arg)
{
	(void)arg;
	exit(7);
}

static int crash_abort(void *arg)
{
	(void)arg;
	abort();
}

static int crash_segv(void *arg)
{
	volatile char *page;

	(void)arg;
	page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	page[0] = 1;
	return 0;
}

static int wait_for_cancel(void *arg)
{
	(void)arg;
	while (!pt_cancelled())
		usleep(1000);
	return 3;
}

static int burn_cpu(void *arg)
{
	volatile uint64_t x = 0;
	struct timespec ts;
	uint64_t start, now;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	start = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	do {
		for (int i = 0; i < 10000; i++)
			x += (uint64_t)i;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	} while (now - start < 30000000u);
	return 0;
}

START_TEST(ends_are_classified_and_accounted)
{
	struct pt_unit_opts opts = PT_UNIT_OPTS(.kind = PT_PROCESS);
	struct pt_status st;
	pt_unit *unit;

	server_up();
	st = join_destroy(pt_test_spawn_opts(&opts, exit_7, NULL));
	ck_assert_int_eq(st.how, PT_EXIT_EXITED);
	ck_assert_int_eq(st.code, 7);
	st = join_destroy(pt_test_spawn_opts(&opts, crash_abort, NULL));
	ck_assert_int_eq(st.how, PT_EXIT_CRASHED);
	ck_assert_int_eq(st.signal, SIGABRT);
	st = join_destroy(pt_test_spawn_opts(&opts, crash_segv, NULL));
	ck_assert_int_eq(st.how, PT_EXIT_CRASHED);
	ck_assert_int_eq(st.signal, SIGSEGV);

	/* rusage comes from the server's wait4(). */
	st = join_destroy(pt_test_spawn_opts(&opts, burn_cpu, NULL));
	ck_assert_int_eq(st.how, PT_EXIT_RETURNED);
	ck_assert_uint_gt(st.usage.user_ns + st.usage.system_ns, 0);
	ck_assert_uint_ge(st.usage.wall_ns, 30000000u);
	ck_assert_uint_gt(st.usage.maxrss_bytes, 0);

	/* Cancel through the shared block, kill through the pidfd. */
	unit = pt_test_spawn_opts(&opts, wait_for_cancel, NULL);
	PT_ASSERT_ERR(pt_unit_join(unit, 0, &st), -ETIMEDOUT);
	PT_ASSERT_OK(pt_unit_cancel(unit));
	st = join_destroy(unit);
	ck_assert_int_eq(st.how, PT_EXIT_RETURNED);
	ck_assert_int_eq(st.code, 3);
	unit = pt_test_spawn_opts(&opts, wait_for_cancel, NULL);
	PT_ASSERT_OK(pt_unit_kill(unit, SIGUSR1));
	PT_ASSERT_OK(pt_unit_join(unit, 10000, &st));
	ck_assert_int_eq(st.how, PT_EXIT_SIGNALED);
	ck_assert_int_eq(st.signal, SIGUSR1);
	PT_ASSERT_ERR(pt_unit_kill(unit, SIGUSR1), -ESRCH);
	pt_unit_destroy(unit);

	/* The deadline kills and is classified as such. */
	opts.timeout_ms = 50;
	st = join_destroy(pt_test_spawn_opts(&opts, wait_for_cancel, NULL));
	ck_assert_int_eq(st.how, PT_EXIT_TIMED_OUT);
	ck_assert_int_eq(st.signal, SIGKILL);
	server_down();
}
END_TEST

START_TEST(setup_error_is_reported_and_leaves_nothing)
{
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = PT_PROCESS, .cpu_mask = (uint64_t)1 << 63);
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
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *ent;
	int n = 0;

	(void)arg;
	if (!dir)
		return 100;
	while ((ent = readdir(dir)))
		if (ent->d_name[0] != '.')
			n++;
	closedir(dir);
	return n - 1; /* the directory's own descriptor */
}

static int write_to_passed(void *arg)
{
	int fd = *(int *)arg;

	return write(fd, "ok", 2) == 2 ? count_open_fds(NULL) : 100;
}

START_TEST(only_passed_descriptors_reach_the_child)
{
	struct pt_unit_opts opts = PT_UNIT_OPTS(.kind = PT_PROCESS);
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
	struct pt_unit_opts opts = PT_UNIT_OPTS(.kind = PT_PROCESS);
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
		PT_UNIT_OPTS(.kind = PT_PROCESS,
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

/* --- failures of the server itself ------------------------------------------
 */

START_TEST(stop_waits_for_units_and_server_death_is_reported)
{
	struct pt_unit_opts opts = PT_UNIT_OPTS(.kind = PT_PROCESS);
	struct pt_status st;
	pt_unit *unit;
	int spid;

	server_up();
	unit = pt_test_spawn_opts(&opts, wait_for_cancel, NULL);
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
		PT_UNIT_OPTS(.kind = PT_PROCESS,
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
	pid_t pid = fork();
	int wst;

	ck_assert_int_ge(pid, 0);
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
		PT_UNIT_OPTS(.kind = PT_PROCESS,
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
		PT_UNIT_OPTS(.kind = PT_PROCESS,
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
		PT_UNIT_OPTS(.kind = PT_PROCESS, .result_capacity = 64,
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

static atomic_int stop_busy;
static pthread_mutex_t busy_lock = PTHREAD_MUTEX_INITIALIZER;

/* Takes malloc's, stdio's and a mutex's locks as often as it can, so that
 * a fork from this process would almost surely copy one held. */
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

/* In the child: the very locks the busy threads hold in the parent. */
static int use_locks(void *arg)
{
	char *p = malloc(1000);
	char line[64];
	FILE *f = fopen("/dev/null", "we");

	(void)arg;
	if (!p || !f)
		return 1;
	snprintf(line, sizeof(line), "%p", (void *)p);
	fputs(line, f);
	fclose(f);
	pthread_mutex_lock(&busy_lock);
	pthread_mutex_unlock(&busy_lock);
	free(p);
	return 0;
}

START_TEST(threaded_parent_never_deadlocks)
{
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = PT_PROCESS,
			     .fork_via = PT_UNIT_FORK_SERVER);
	pthread_t busy[8];
	FILE *sink;
	struct pt_status st;

	server_up();
	sink = fopen("/dev/null", "we");
	ck_assert_ptr_nonnull(sink);
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(
			pthread_create(&busy[i], NULL, busy_thread, sink), 0);
	for (int i = 0; i < 1000; i++) {
		pt_unit *unit = pt_test_spawn_opts(&opts, use_locks, NULL);

		/* A deadlocked child would show as a timeout here. */
		PT_ASSERT_OK(pt_unit_join(unit, 20000, &st));
		ck_assert_int_eq(st.how, PT_EXIT_RETURNED);
		ck_assert_int_eq(st.code, 0);
		pt_unit_destroy(unit);
	}
	atomic_store(&stop_busy, 1);
	for (int i = 0; i < 8; i++)
		pthread_join(busy[i], NULL);
	fclose(sink);
	server_down();
}
END_TEST

static Suite *forkserver_suite(void)
{
	Suite *s = suite_create("forkserver");
	TCase *life = pt_test_tcase("lifecycle");
	TCase *units = pt_test_tcase("units");
	TCase *stress = pt_test_tcase("stress");

	tcase_add_test(life, start_stop_lifecycle);
	tcase_add_test(life, start_refuses_a_threaded_process);
	tcase_add_test(life, stop_waits_for_units_and_server_death_is_reported);
	tcase_add_test(life, group_signal_does_not_kill_the_server);
	tcase_add_test(life, twin_takes_over_after_kill9);
	tcase_add_test(life, dead_server_is_reported_and_restartable);
	suite_add_tcase(s, life);

	tcase_add_test(units, argument_bytes_and_result_round_trip);
	tcase_add_test(units, server_child_is_a_snapshot_of_start_time);
	tcase_add_test(units, ends_are_classified_and_accounted);
	tcase_add_test(units, setup_error_is_reported_and_leaves_nothing);
	tcase_add_test(units, only_passed_descriptors_reach_the_child);
	tcase_add_test(units, fork_via_is_honoured);
	tcase_add_test(units, server_refuses_a_bare_pointer);
	tcase_add_test(units, server_child_can_start_pools_and_units);
	suite_add_tcase(s, units);

	tcase_add_test(stress, thousand_units_leave_nothing);
	tcase_add_test(stress, threaded_parent_never_deadlocks);
	tcase_set_timeout(stress, 300);
	suite_add_tcase(s, stress);
	return s;
}

PT_TEST_MAIN(forkserver_suite)
