/* create.c - the overhead claim: what it costs to start and end a
 * thread versus a process.
 *
 * Latency cases create one unit and wait for its end, on one CPU (children
 * inherit the pin, so the parent sleeping in the join hands the CPU to the
 * child without a cross-CPU wake-up): pthread_create+join (default and
 * 64 KiB stack), fork+_exit+waitpid, vfork, clone(CLONE_VM|CLONE_VFORK),
 * posix_spawn and fork+exec of /bin/true, and pt_unit_spawn+join of both
 * kinds, so the library's own overhead shows against the raw calls. The
 * throughput cases keep 16 in flight on any CPU. The last cases repeat
 * fork (and thread creation) while this process holds more and more
 * touched memory: fork copies the page tables of all of it, and that is
 * why processes cost more. That memory is mapped with MADV_NOHUGEPAGE so
 * the curve measures 4 KiB pages whatever the THP setting.
 *
 * Records: name "create-join" (ns per create+join), "create-throughput"
 * (ops/s) and "create-join-touched" (ns); params "impl" (raw: the plain
 * call of each kind - pthread_create or fork; pt_unit; vfork;
 * clone-vm-vfork; posix_spawn; fork-exec), "stack", "in_flight" and
 * "touched" (bytes).
 *
 * A TSan build leaves the clone case out (a note says so): TSan's clone()
 * interceptor resets the runtime's state in the child as after a fork,
 * and with CLONE_VM that state is the parent's own, so every report after
 * it would be suspect.
 */
#include "bench/engine/bench.h"
#include "bench/peers/peers.h"

#include <procthread/unit.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define IN_FLIGHT 16
#define TRUE_PATH "/bin/true"

#if defined(__SANITIZE_THREAD__)
#define CLONE_VM_MEASURABLE 0
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CLONE_VM_MEASURABLE 0
#endif
#endif
#ifndef CLONE_VM_MEASURABLE
#define CLONE_VM_MEASURABLE 1
#endif

struct create_arg {
	size_t stack_bytes;   /* threads: 0 for the default */
	enum pt_kind kind;    /* pt_unit cases */
	pid_t (*start)(void); /* run_children(): how a child starts */
};

static void *thread_noop(void *arg)
{
	return arg;
}

static int unit_noop(void *arg)
{
	(void)arg;
	return 0;
}

static int clone_child(void *arg)
{
	(void)arg;
	return 0;
}

/* Reaps pid and checks it exited with status 0. */
static int reap(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ECHILD;
}

static int run_pthread(void *arg, uint64_t n)
{
	struct create_arg *a = arg;
	pthread_attr_t attr;
	int rc = -pthread_attr_init(&attr);

	if (!rc && a->stack_bytes)
		rc = -pthread_attr_setstacksize(&attr, a->stack_bytes);
	for (uint64_t i = 0; !rc && i < n; i++) {
		pthread_t t;

		rc = -pthread_create(&t, &attr, thread_noop, NULL);
		if (!rc)
			rc = -pthread_join(t, NULL);
	}
	pthread_attr_destroy(&attr);
	return rc;
}

/* Each start_*() starts one child that exits at once: its pid, or
 * -errno. */
static pid_t start_fork(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	return pid < 0 ? -errno : pid;
}

/* vfork in a function of its own: the parent's registers are the
 * child's until _exit, so no caller variable may be live across it. */
static __attribute__((noinline)) pid_t start_vfork(void)
{
	pid_t pid;

	/* cppcheck-suppress vforkCalled ; vfork is what is measured */
	pid = vfork(); // NOLINT(clang-analyzer-security.insecureAPI.vfork)

	if (pid == 0)
		_exit(0);
	return pid < 0 ? -errno : pid;
}

static pid_t start_clone(void)
{
	/* The child runs on this stack while the parent is suspended
	 * (CLONE_VFORK), so one stack serves every call. */
	static _Alignas(64) char stack[(size_t)64 << 10];
	pid_t pid = clone(clone_child, stack + sizeof(stack),
			  CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);

	return pid < 0 ? -errno : pid;
}

static pid_t start_spawn(void)
{
	char *argv[] = { (char *)TRUE_PATH, NULL };
	pid_t pid;
	int rc = posix_spawn(&pid, TRUE_PATH, NULL, NULL, argv, environ);

	return rc ? -rc : pid;
}

static pid_t start_fork_exec(void)
{
	char *argv[] = { (char *)TRUE_PATH, NULL };
	pid_t pid = fork();

	if (pid == 0) {
		execve(TRUE_PATH, argv, environ);
		_exit(127);
	}
	return pid < 0 ? -errno : pid;
}

/* n children, each started by the case's start() and reaped before the
 * next starts. */
static int run_children(void *arg, uint64_t n)
{
	const struct create_arg *a = arg;

	for (uint64_t i = 0; i < n; i++) {
		pid_t pid = a->start();
		int rc;

		if (pid < 0)
			return (int)pid;
		rc = reap(pid);
		if (rc)
			return rc;
	}
	return 0;
}

static struct create_arg by_fork = { .start = start_fork },
			 by_vfork = { .start = start_vfork },
			 by_clone = { .start = start_clone },
			 by_spawn = { .start = start_spawn },
			 by_fork_exec = { .start = start_fork_exec };

static int run_unit(void *arg, uint64_t n)
{
	struct create_arg *a = arg;
	struct pt_unit_opts opts = PT_UNIT_OPTS(.kind = a->kind);

	for (uint64_t i = 0; i < n; i++) {
		struct pt_status st;
		pt_unit *unit;
		int rc = pt_unit_spawn(&opts, unit_noop, NULL, &unit);

		if (rc)
			return rc;
		rc = pt_unit_join(unit, -1, &st);
		pt_unit_destroy(unit);
		if (rc)
			return rc;
		if (st.how != PT_EXIT_RETURNED || st.code != 0)
			return -ECHILD;
	}
	return 0;
}

/* IN_FLIGHT creations, then IN_FLIGHT joins, per call. */
static int run_pthread_many(void *arg, uint64_t n)
{
	pthread_t t[IN_FLIGHT];
	int rc = 0;

	(void)arg;
	for (uint64_t i = 0; !rc && i < n; i++) {
		int made = 0;

		while (made < IN_FLIGHT && !rc) {
			rc = -pthread_create(&t[made], NULL, thread_noop, NULL);
			made += !rc;
		}
		for (int k = 0; k < made; k++)
			pthread_join(t[k], NULL);
	}
	return rc;
}

static int run_fork_many(void *arg, uint64_t n)
{
	pid_t pids[IN_FLIGHT];
	int rc = 0;

	(void)arg;
	for (uint64_t i = 0; !rc && i < n; i++) {
		int made = 0;

		while (made < IN_FLIGHT && !rc) {
			pid_t pid = fork();

			if (pid == 0)
				_exit(0);
			if (pid < 0)
				rc = -errno;
			else
				pids[made++] = pid;
		}
		for (int k = 0; k < made; k++) {
			int r = reap(pids[k]);

			rc = rc ? rc : r;
		}
	}
	return rc;
}

static int latency_cases(struct bench_ctx *ctx)
{
	static struct create_arg plain,
		small = { .stack_bytes = (size_t)64 << 10 },

		unit_thread = { .kind = PT_KIND_THREAD },
		unit_process = { .kind = PT_KIND_PROCESS };
	static const struct bench_param raw[] = { BENCH_STR("impl", "raw") };
	static const struct bench_param raw64k[] = {
		BENCH_STR("impl", "raw"), BENCH_INT("stack", 64 * 1024)
	};
	static const struct bench_param unit[] = { BENCH_STR("impl",
							     "pt_unit") };
	static const struct bench_param vf[] = { BENCH_STR("impl", "vfork") };
	static const struct bench_param cl[] = { BENCH_STR("impl",
							   "clone-vm-vfork") };
	static const struct bench_param sp[] = { BENCH_STR("impl",
							   "posix_spawn") };
	static const struct bench_param fe[] = { BENCH_STR("impl",
							   "fork-exec") };
	const struct {
		enum bench_kind kind;
		const struct bench_param *params;
		size_t n_params;
		int (*run)(void *, uint64_t);
		void *arg;
		bool needs_true;
	} cases[] = {
		{ BENCH_THREAD, raw, 1, run_pthread, &plain, false },
		{ BENCH_PROCESS, raw, 1, run_children, &by_fork, false },
		{ BENCH_THREAD, raw64k, 2, run_pthread, &small, false },
		{ BENCH_THREAD, unit, 1, run_unit, &unit_thread, false },
		{ BENCH_PROCESS, unit, 1, run_unit, &unit_process, false },
		{ BENCH_PROCESS, vf, 1, run_children, &by_vfork, false },
		{ BENCH_PROCESS, cl, 1, run_children, &by_clone, false },
		{ BENCH_PROCESS, sp, 1, run_children, &by_spawn, true },
		{ BENCH_PROCESS, fe, 1, run_children, &by_fork_exec, true },
	};
	bool have_true = access(TRUE_PATH, X_OK) == 0;
	int rc = 0;

	if (!have_true)
		bench_note(ctx,
			   "create: %s is missing; posix_spawn and "
			   "fork-exec cases skipped",
			   TRUE_PATH);
	if (!CLONE_VM_MEASURABLE)
		bench_note(ctx, "create: clone-vm-vfork not measured in a "
				"TSan build (its clone interceptor resets "
				"the runtime in a child sharing our memory)");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bench_case c = {
			.name = "create-join",
			.kind = cases[i].kind,
			.place = BENCH_SAME_CPU,
			.params = cases[i].params,
			.n_params = cases[i].n_params,
			.run = cases[i].run,
			.arg = cases[i].arg,
		};

		if ((cases[i].needs_true && !have_true) ||
		    (cases[i].arg == &by_clone && !CLONE_VM_MEASURABLE))
			continue;
		if (bench_measure(ctx, &c))
			rc = -1;
	}
	return rc;
}

static int throughput_cases(struct bench_ctx *ctx)
{
	static const struct bench_param params[] = {
		BENCH_STR("impl", "raw"), BENCH_INT("in_flight", IN_FLIGHT)
	};
	struct bench_case c = {
		.name = "create-throughput",
		.place = BENCH_ANY,
		.unit = "ops/s",
		BENCH_PARAMS(params),
		.ops_per_call = IN_FLIGHT,
	};
	int rc = 0;

	c.kind = BENCH_THREAD;
	c.run = run_pthread_many;
	rc |= bench_measure(ctx, &c);
	c.kind = BENCH_PROCESS;
	c.run = run_fork_many;
	rc |= bench_measure(ctx, &c);
	return rc ? -1 : 0;
}

static int touched_cases(struct bench_ctx *ctx)
{
	static struct create_arg plain;
	size_t max_mib = bench_profile(ctx) == BENCH_QUICK ? 256 : 1024;
	size_t step = bench_profile(ctx) == BENCH_FULL ? 2 : 4;
	int rc = 0;

	for (size_t mib = 1; mib <= max_mib; mib *= step) {
		size_t bytes = mib << 20;
		const struct bench_param params[] = {
			BENCH_STR("impl", "raw"),
			BENCH_INT("touched", bytes),
		};
		struct bench_case c = {
			.name = "create-join-touched",
			.place = BENCH_SAME_CPU,
			BENCH_PARAMS(params),
			.arg = &plain,
		};
		void *mem;

		mem = bench_touch_memory(ctx, "create", bytes);
		if (!mem)
			return -ENOMEM;
		c.kind = BENCH_THREAD;
		c.run = run_pthread;
		rc |= bench_measure(ctx, &c);
		c.kind = BENCH_PROCESS;
		c.run = run_children;
		c.arg = &by_fork;
		rc |= bench_measure(ctx, &c);
		munmap(mem, bytes);
	}
	return rc ? -1 : 0;
}

static int create_run(struct bench_ctx *ctx)
{
	int rc = 0;

	rc |= latency_cases(ctx);
	rc |= throughput_cases(ctx);
	rc |= touched_cases(ctx);
	return rc ? -1 : 0;
}

const struct bench_suite bench_suite_create = {
	.name = "create",
	.summary = "create+join latency and throughput of threads and "
		   "processes; fork latency against touched memory",
	.run = create_run,
	.peers = bench_create_peers,
	.peer_tools = "stress-ng",
	.est_s = { 20, 110, 400 },
};
