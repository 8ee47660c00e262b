/* test_sandbox - the security of the process path: what an exec'd unit
 * inherits, sandboxed units (descriptors, limits, no new privileges, the
 * seccomp filter), and pid reuse against stale handles.
 *
 * The descriptor, filter and limit cases are loop tests: each body runs
 * once for units forked directly (_i = 0) and once for units forked by the
 * fork-server (_i = 1), which it starts first. Arguments therefore travel
 * as bytes (arg_len), the only way they reach a fork-server unit.
 *
 * Where a unit exec()s, it runs this same program with --count-fds, which
 * exits with the number of its descriptors above 2 that the parent did not
 * name on its command line, and lists them on stderr. */
#include <procthread.h>

#include "support/test.h"
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

/* The way loop index i forks process units; the fork-server is started
 * for PT_UNIT_FORK_SERVER (before anything else, while the test process
 * has one thread). */
static int via_begin(int i)
{
	int via = i ? PT_UNIT_FORK_SERVER : PT_UNIT_FORK_DIRECT;

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
		PT_UNIT_OPTS(.kind = PT_PROCESS, .fork_via = via,
			     .arg_len = sizeof(struct exec_arg));
	struct pt_unit_opts thr = PT_UNIT_OPTS(.kind = PT_THREAD);
	struct pt_chan_opts copts = PT_CHAN_OPTS(.kind = PT_PROCESS);
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
		PT_UNIT_OPTS(.kind = PT_PROCESS, .sandbox = &closing,
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
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = PT_PROCESS, .sandbox = &sb,
			     .fork_via = via);
	struct pt_unit_opts plain =
		PT_UNIT_OPTS(.kind = PT_PROCESS, .fork_via = via);
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
		PT_UNIT_OPTS(.kind = PT_PROCESS, .sandbox = &sb,
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
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = PT_PROCESS, .sandbox = &sb,
			     .fork_via = via);
	struct pt_unit_opts plain =
		PT_UNIT_OPTS(.kind = PT_PROCESS, .fork_via = via);

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
	opts = PT_UNIT_OPTS(.kind = PT_PROCESS, .sandbox = &sb, .fork_via = via,
			    .arg_len = sizeof(big));
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
		PT_UNIT_OPTS(.kind = PT_PROCESS, .sandbox = &sb,
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
		PT_UNIT_OPTS(.kind = PT_PROCESS, .sandbox = &sb,
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
		PT_UNIT_OPTS(.kind = PT_PROCESS, .sandbox = &sb);
	pt_unit *unit = NULL;
	struct pt_ledger l0, l1;

	pt_ledger_take(&l0);
	sb = PT_SANDBOX(.flags = PT_SANDBOX_NO_NEW_PRIVS);
	opts.kind = PT_THREAD;
	PT_ASSERT_ERR(pt_unit_spawn(&opts, return_0, NULL, &unit), -ENOTSUP);
	opts.kind = PT_PROCESS;
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
		PT_UNIT_OPTS(.kind = PT_PROCESS, .sandbox = &sb,
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
		PT_UNIT_OPTS(.kind = PT_PROCESS, .sandbox = &sb,
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
	int via = _i ? PT_UNIT_FORK_SERVER : PT_UNIT_FORK_DIRECT;
	pid_t child = fork();
	int wstatus;

	ck_assert_int_ge(child, 0);
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
	struct pt_unit_opts opts = PT_UNIT_OPTS(.kind = PT_PROCESS);
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
	pid_t child = fork();
	int wstatus;

	ck_assert_int_ge(child, 0);
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

static Suite *sandbox_suite(void)
{
	Suite *s = suite_create("sandbox");
	TCase *fds = pt_test_tcase("descriptors");
	TCase *filter = pt_test_tcase("filter and limits");
	TCase *pids = pt_test_tcase("pid reuse");

	/* Loop index 0: forked directly; 1: by the fork-server. */
	tcase_add_loop_test(fds, library_descriptors_do_not_reach_exec, 0, 2);
	tcase_add_loop_test(fds, close_fds_leaves_only_std_and_kept, 0, 2);
	suite_add_tcase(s, fds);

	tcase_add_loop_test(filter, forbidden_call_is_reported_as_filtered, 0,
			    2);
	tcase_add_loop_test(filter, pure_computation_runs_under_the_filter, 0,
			    2);
	tcase_add_loop_test(filter, no_new_privs_is_set_only_when_asked, 0, 2);
	tcase_add_loop_test(filter, address_space_limit_fails_the_unit_alone, 0,
			    2);
	tcase_add_loop_test(filter, cpu_limit_ends_the_unit_with_sigxcpu, 0, 2);
	tcase_add_loop_test(filter, nofile_limit_is_lowered_never_raised, 0, 2);
	tcase_add_loop_test(filter, unapplicable_sandbox_is_a_spawn_error, 0,
			    2);
	tcase_add_test(filter, bad_sandbox_options_are_refused);
	tcase_add_test(filter, auto_sends_sandboxed_units_through_the_server);
	suite_add_tcase(s, filter);

	tcase_add_test(pids, stale_handle_never_signals_a_stranger);
	tcase_add_test(pids, unit_reaped_elsewhere_never_touches_a_stranger);
	suite_add_tcase(s, pids);

	/* Every case here starts process units. */
	tcase_set_tags(fds, "process");
	tcase_set_tags(filter, "process");
	tcase_set_tags(pids, "process");
	return s;
}

/* Run as "test_sandbox --count-fds EXCEPT" by the units that exec it. */
static int count_fds_helper(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "--count-fds"))
		return count_fds(argc >= 3 ? argv[2] : "");
	return -1;
}

PT_TEST_MAIN(sandbox_suite, .helper = count_fds_helper)
