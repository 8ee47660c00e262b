/* test_sandbox - the security of the process path: what an exec'd unit
 * inherits, sandboxed units (descriptors, limits, no new privileges, the
 * seccomp filter, limits). Options, a sandbox that cannot be applied and
 * pid reuse are in test_sandbox_options.
 *
 * The descriptor, filter and limit cases are loop tests: each body runs
 * once for units forked directly and once for units forked by the
 * fork-server, which it starts first (via_cases, sandbox_support.h). Arguments
 * therefore travel as bytes (arg_len), the only way they reach a fork-server
 * unit.
 *
 * Where a unit exec()s, it runs this same program with --count-fds, which
 * exits with the number of its descriptors above 2 that the parent did not
 * name on its command line, and lists them on stderr. */
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

/* --- the exec'd side --------------------------------------------------- */

static bool listed(const char *list, int fd)
{
	char key[16];
	size_t n;

	snprintf(key, sizeof(key), "%d", fd);
	n = strlen(key);
	for (const char *p = list; p && *p; p += strcspn(p, ",") + 1) {
		if (!strncmp(p, key, n) && (p[n] == ',' || p[n] == 0))
			return true;
		if (!p[strcspn(p, ",")])
			break;
	}
	return false;
}

/* Counts the descriptors above 2, less its own directory stream and the
 * ones listed in except (comma-separated). */
static int count_fds(const char *except)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *ent;
	int n = 0;

	if (!dir)
		return 100;
	while ((ent = readdir(dir))) {
		int fd = atoi(ent->d_name);

		if (ent->d_name[0] == '.' || fd <= 2 || fd == dirfd(dir) ||
		    listed(except, fd))
			continue;
		fprintf(stderr, "count-fds: %d is open\n", fd);
		n++;
	}
	closedir(dir);
	return n;
}

/* --- helpers ----------------------------------------------------------- */

/* The way loop index i forks process units (a row of via_cases, named
 * for the test's failures); the fork-server is started for
 * PT_UNIT_FORK_SERVER (before anything else, while the test process has
 * one thread). */
static int via_begin(int i)
{
	int via = via_case(i);

	if (via == PT_UNIT_FORK_SERVER) {
		int rc = pt_forkserver_start();

		ck_assert_msg(rc == 0, "server start: %s", pt_strerror(rc));
	}
	return via;
}

/* Stops the server of via_begin(), which refuses while units remain. */
static void via_end(int via)
{
	if (via == PT_UNIT_FORK_SERVER)
		PT_ASSERT_OK(pt_forkserver_stop());
}

/* Options of a process unit forked via via, in sandbox sb (NULL: none). */
static struct pt_unit_opts process_opts(int via, const struct pt_sandbox *sb)
{
	return PT_UNIT_OPTS(.kind = PT_KIND_PROCESS, .sandbox = sb,
			    .fork_via = via);
}

static struct pt_status run(const struct pt_unit_opts *opts, pt_unit_fn *fn,
			    void *arg)
{
	struct pt_status st;
	pt_unit *unit = pt_test_spawn_opts(opts, fn, arg);

	PT_ASSERT_OK(pt_unit_join(unit, -1, &st));
	pt_unit_destroy(unit);
	return st;
}

/* The descriptors open now, as a comma-separated list. */
static void open_fds(char *buf, size_t cap)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *ent;
	size_t len = 0;

	ck_assert_ptr_nonnull(dir);
	buf[0] = 0;
	while ((ent = readdir(dir))) {
		if (ent->d_name[0] == '.' || atoi(ent->d_name) == dirfd(dir))
			continue;
		len += (size_t)snprintf(buf + len, cap - len, "%s,",
					ent->d_name);
		ck_assert_uint_lt(len, cap);
	}
	closedir(dir);
}

/* Bytes, not a pointer, so that it reaches fork-server units too. */
struct exec_arg {
	char except[1024];
};

static int exec_count_fds(void *p)
{
	struct exec_arg *arg = p;
	char *argv[] = { "test_sandbox", "--count-fds", arg->except, NULL };

	execv("/proc/self/exe", argv);
	return 120;
}

static int block_until_cancelled(void *arg)
{
	(void)arg;
	while (!pt_cancelled())
		sched_yield();
	return 0;
}

/* --- descriptors ------------------------------------------------------- */

/* Every descriptor the library holds - a thread unit's eventfd, a process
 * unit's pidfd, a region's memfd, a channel's - is CLOEXEC: a unit that
 * execs a program hands it none of them. Only what the test process had
 * before (Check's own files) may pass. */
START_TEST(library_descriptors_do_not_reach_exec)
{
	int via = via_begin(_i);
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = PT_KIND_PROCESS, .fork_via = via,
			     .arg_len = sizeof(struct exec_arg));
	struct pt_unit_opts thr = PT_UNIT_OPTS(.kind = PT_KIND_THREAD);
	struct pt_chan_opts copts = PT_CHAN_OPTS(.kind = PT_KIND_PROCESS);
	struct exec_arg arg;
	pt_unit *t, *p;
	pt_region *region = NULL;
	pt_chan *chan = NULL;
	struct pt_status st;

	open_fds(arg.except, sizeof(arg.except));
	t = pt_test_spawn_opts(&thr, block_until_cancelled, NULL);
	p = pt_test_spawn_opts(&opts, block_until_cancelled, NULL);
	PT_ASSERT_OK(pt_region_create(4096, 0, &region));
	PT_ASSERT_OK(pt_chan_create(&copts, &chan));

	st = run(&opts, exec_count_fds, &arg);
	ck_assert_int_eq(st.how, PT_EXIT_EXITED);
	ck_assert_msg(st.code == 0, "%d library descriptors reached exec",
		      st.code);

	pt_chan_destroy(chan);
	pt_region_destroy(region);
	pt_unit_cancel(t);
	pt_unit_cancel(p);
	pt_unit_destroy(t);
	pt_unit_destroy(p);
	via_end(via);
}
END_TEST

/* With PT_SANDBOX_CLOSE_FDS even descriptors the caller left inheritable are
 * gone, except the ones it names; without it, they pass (which shows the
 * count can fail). A fork-server unit has only what it is passed: both
 * descriptors are passed, and the sandbox must still close the one not
 * kept. */
START_TEST(close_fds_leaves_only_std_and_kept)
{
	int via = via_begin(_i);
	struct pt_sandbox closing = PT_SANDBOX(.flags = PT_SANDBOX_CLOSE_FDS);
	int passed[2];
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = PT_KIND_PROCESS, .sandbox = &closing,
			     .fork_via = via,
			     .arg_len = sizeof(struct exec_arg),
			     .pass_fds = passed, .npass_fds = 2);
	struct pt_unit_opts plain = opts;
	struct exec_arg none = { .except = "" };
	struct exec_arg keep_arg;
	struct pt_ledger l0, l1;
	struct pt_status st;
	int leaky, kept;

	plain.sandbox = NULL;
	pt_ledger_take(&l0);
	leaky = open("/dev/null", O_RDONLY); /* no O_CLOEXEC, on purpose */
	kept = open("/dev/null", O_RDONLY);
	ck_assert_int_ge(leaky, 3);
	ck_assert_int_ge(kept, 3);
	passed[0] = leaky;
	passed[1] = kept;

	st = run(&opts, exec_count_fds, &none);
	ck_assert_int_eq(st.how, PT_EXIT_EXITED);
	ck_assert_msg(st.code == 0, "%d descriptors above 2 reached exec",
		      st.code);

	st = run(&plain, exec_count_fds, &none);
	ck_assert_int_eq(st.how, PT_EXIT_EXITED);
	ck_assert_int_ge(st.code, 2); /* leaky and kept at least */

	snprintf(keep_arg.except, sizeof(keep_arg.except), "%d", kept);
	closing.keep_fds = &kept;
	closing.nkeep_fds = 1;
	st = run(&opts, exec_count_fds, &keep_arg);
	ck_assert_int_eq(st.how, PT_EXIT_EXITED);
	ck_assert_int_eq(st.code, 0);
	/* and the kept one really was there */
	st = run(&opts, exec_count_fds, &none);
	ck_assert_int_eq(st.code, 1);

	close(leaky);
	close(kept);
	pt_ledger_take(&l1);
	pt_ledger_assert_same(&l0, &l1);
	via_end(via);
}
END_TEST

/* --- the seccomp filter ------------------------------------------------ */

static int open_a_file(void *arg)
{
	int fd;

	(void)arg;
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return fd >= 0 ? 0 : 2;
}

static int compute(void *arg)
{
	uint64_t n = *(const uint64_t *)arg, sum = 0;
	uint64_t *v = malloc(n * sizeof(*v));

	if (!v)
		return 3;
	for (uint64_t i = 0; i < n; i++)
		v[i] = i * i;
	for (uint64_t i = 0; i < n; i++)
		sum += v[i];
	free(v);
	return pt_unit_set_result(&sum, sizeof(sum));
}

START_TEST(forbidden_call_is_reported_as_filtered)
{
	int via = via_begin(_i);
	struct pt_sandbox sb = PT_SANDBOX(.flags = PT_SANDBOX_SECCOMP);
	struct pt_unit_opts opts = process_opts(via, &sb);
	struct pt_unit_opts plain = process_opts(via, NULL);
	struct pt_ledger l0, l1;
	struct pt_status st;
	pt_unit *unit;

	pt_ledger_take(&l0);
	st = run(&opts, open_a_file, NULL);
	ck_assert_str_eq(pt_exit_name(st.how), "filtered");
	ck_assert_int_eq(st.signal, SIGSYS);

	/* The same call, allowed by name, goes through. */
	sb.allow_syscalls = (const char *const[]){ "openat", "open" };
	sb.nallow_syscalls = 2;
	st = run(&opts, open_a_file, NULL);
	ck_assert_int_eq(st.how, PT_EXIT_RETURNED);
	ck_assert_int_eq(st.code, 0);

	/* Without a filter a SIGSYS is an ordinary signal. */
	unit = pt_test_spawn_opts(&plain, block_until_cancelled, NULL);
	PT_ASSERT_OK(pt_unit_kill(unit, SIGSYS));
	PT_ASSERT_OK(pt_unit_join(unit, -1, &st));
	ck_assert_int_eq(st.how, PT_EXIT_SIGNALED);
	ck_assert_int_eq(st.signal, SIGSYS);
	pt_unit_destroy(unit);
	pt_ledger_take(&l1);
	pt_ledger_assert_same(&l0, &l1);
	via_end(via);
}
END_TEST

START_TEST(pure_computation_runs_under_the_filter)
{
	int via = via_begin(_i);
	struct pt_sandbox sb =
		PT_SANDBOX(.flags = PT_SANDBOX_SECCOMP | PT_SANDBOX_CLOSE_FDS);
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = PT_KIND_PROCESS, .sandbox = &sb,
			     .result_capacity = 8, .fork_via = via,
			     .arg_len = sizeof(uint64_t));
	uint64_t n = 1 << 20, want = 0, got = 0;
	struct pt_status st;
	const void *res;
	size_t len = 0;
	pt_unit *unit;

	for (uint64_t i = 0; i < n; i++)
		want += i * i;
	unit = pt_test_spawn_opts(&opts, compute, &n);
	PT_ASSERT_OK(pt_unit_join(unit, -1, &st));
	ck_assert_msg(st.how == PT_EXIT_RETURNED, "ended %s (signal %d)",
		      pt_exit_name(st.how), st.signal);
	ck_assert_int_eq(st.code, 0);
	res = pt_unit_result(unit, &len);
	ck_assert_uint_eq(len, sizeof(got));
	memcpy(&got, res, sizeof(got));
	ck_assert_uint_eq(got, want);
	pt_unit_destroy(unit);
	via_end(via);
}
END_TEST

/* The kernel's own word, /proc/self/status, as 0 or 1; 100 + a step when
 * it cannot be read. prctl(PR_GET_NO_NEW_PRIVS) must agree with it. */
static int no_new_privs(void *arg)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "re");
	int nnp = -1;

	(void)arg;
	if (!f)
		return 101;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "NoNewPrivs: %d", &nnp) == 1)
			break;
	fclose(f);
	if (nnp != 0 && nnp != 1)
		return 102;
	return prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == nnp ? nnp : 103;
}

START_TEST(no_new_privs_is_set_only_when_asked)
{
	int via = via_begin(_i);
	struct pt_sandbox sb = PT_SANDBOX(.flags = PT_SANDBOX_NO_NEW_PRIVS);
	struct pt_unit_opts opts = process_opts(via, &sb);
	struct pt_unit_opts plain = process_opts(via, NULL);

	ck_assert_int_eq(run(&opts, no_new_privs, NULL).code, 1);
	ck_assert_int_eq(run(&plain, no_new_privs, NULL).code, 0);
	ck_assert_int_eq(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 0);
	via_end(via);
}
END_TEST

/* --- resource limits --------------------------------------------------- */

#define AS_LIMIT ((uint64_t)256 << 20)

static int allocate_and_touch(void *arg)
{
	size_t bytes = (size_t) * (const uint64_t *)arg;
	char *p = malloc(bytes);

	if (!p)
		return 3;
	for (size_t i = 0; i < bytes; i += 4096)
		p[i] = 1;
	free(p);
	return 0;
}

START_TEST(address_space_limit_fails_the_unit_alone)
{
	struct pt_sandbox sb = PT_SANDBOX(.as_bytes = AS_LIMIT);
	struct pt_unit_opts opts;
	struct pt_unit_opts plain;
	uint64_t big = 2 * AS_LIMIT;
	uint64_t small = AS_LIMIT / 8;
	struct pt_status st;
	int via;

	if (SANITIZED)
		return; /* the sanitizer's shadow memory is far past it */
	via = via_begin(_i);
	opts = PT_UNIT_OPTS(.kind = PT_KIND_PROCESS, .sandbox = &sb,
			    .fork_via = via, .arg_len = sizeof(big));
	plain = opts;
	plain.sandbox = NULL;
	st = run(&opts, allocate_and_touch, &big);
	ck_assert_int_eq(st.how, PT_EXIT_RETURNED);
	ck_assert_int_eq(st.code, 3);
	/* Under the limit the same unit works; without it, so does big. */
	ck_assert_int_eq(run(&opts, allocate_and_touch, &small).code, 0);
	ck_assert_int_eq(run(&plain, allocate_and_touch, &big).code, 0);
	via_end(via);
}
END_TEST

static int spin(void *arg)
{
	volatile uint64_t n = 0;

	(void)arg;
	for (;;)
		n++;
	return 0;
}

START_TEST(cpu_limit_ends_the_unit_with_sigxcpu)
{
	int via = via_begin(_i);
	struct pt_sandbox sb = PT_SANDBOX(.cpu_seconds = 1);
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = PT_KIND_PROCESS, .sandbox = &sb,
			     .timeout_ms = 30000, .fork_via = via);
	struct pt_status st = run(&opts, spin, NULL);

	ck_assert_int_eq(st.how, PT_EXIT_SIGNALED);
	ck_assert_int_eq(st.signal, SIGXCPU);
	/* The kernel checks the limit against its exact runtime; rusage is
	 * sampled at ticks, so it may read a little under a second. */
	ck_assert_uint_ge(st.usage.user_ns + st.usage.system_ns, 500000000u);
	via_end(via);
}
END_TEST

static int nofile_limit(void *arg)
{
	struct rlimit lim;

	(void)arg;
	if (getrlimit(RLIMIT_NOFILE, &lim) < 0)
		return -1;
	return (int)lim.rlim_cur;
}

START_TEST(nofile_limit_is_lowered_never_raised)
{
	int via = via_begin(_i);
	struct pt_sandbox sb = PT_SANDBOX(.nofile = 64);
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = PT_KIND_PROCESS, .sandbox = &sb,
			     .fork_via = via);
	struct rlimit mine;

	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &mine), 0);
	ck_assert_int_eq(run(&opts, nofile_limit, NULL).code,
			 mine.rlim_cur < 64 ? (int)mine.rlim_cur : 64);
	sb.nofile = (uint64_t)mine.rlim_max + 1000;
	ck_assert_int_eq(run(&opts, nofile_limit, NULL).code,
			 (int)mine.rlim_cur);
	via_end(via);
}
END_TEST

static Suite *sandbox_suite(void)
{
	return PT_TEST_SUITE(
		"sandbox",
		{ "descriptors",
		  .for_rows = PT_TESTS(library_descriptors_do_not_reach_exec,
				       close_fds_leaves_only_std_and_kept),
		  .rows = N_VIA_CASES, .tags = "process" },
		{ "filter and limits",
		  .for_rows = PT_TESTS(forbidden_call_is_reported_as_filtered,
				       pure_computation_runs_under_the_filter,
				       no_new_privs_is_set_only_when_asked,
				       address_space_limit_fails_the_unit_alone,
				       cpu_limit_ends_the_unit_with_sigxcpu,
				       nofile_limit_is_lowered_never_raised),
		  .rows = N_VIA_CASES, .tags = "process" });
}

/* Run as "test_sandbox --count-fds EXCEPT" by the units that exec it. */
static int count_fds_helper(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "--count-fds"))
		return count_fds(argc >= 3 ? argv[2] : "");
	return -1;
}

PT_TEST_MAIN(sandbox_suite, .helper = count_fds_helper)
