/* control_ops.c - the control demo's experiments: SIGSTOP, nice and a
 * resource limit, each aimed at one of several busy units.
 *
 * Units are started by one harness for both kinds: process units directly,
 * or threads inside one process unit (the container), so that stopping or
 * limiting one thread affects the container and never the tool. Every unit
 * writes its tid and its progress into shared memory; the demo changes one
 * unit from outside, with the system call an administrator would use on
 * its pid or tid, and reads what happened from those counters and /proc.
 * Waits are bounded: a unit that never stops or never resumes is reported
 * as such, and every unit is killed or joined before the experiment ends.
 */
#include "demo/control.h"
#include "procfs/procfs.h"

#include <procthread.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define STATE_TIMEOUT_MS 2000

static long soft_nofile(void);

/* --- the harness ---------------------------------------------------------- */

static int container(void *p)
{
	struct ctl_shared *sh = p;
	pt_unit *units[CTL_MAX_UNITS] = { 0 };
	int rc = 0, err;

	for (int i = 0; i < sh->units; i++) {
		struct pt_unit_opts opts =
			PT_UNIT_OPTS(.kind = PT_KIND_THREAD,
				     .name = "pt-control",
				     .cpu_mask = sh->cpu_mask);

		err = pt_unit_spawn(&opts, sh->fn, &sh->arg[i], &units[i]);
		if (err) {
			sh->spawn_error = err;
			atomic_store(&sh->stop, 1);
			rc = 1;
			break;
		}
	}
	/* A thread unit cannot be signalled through the API: record what
	 * the call says. */
	if (units[0])
		sh->thread_kill_rc = pt_unit_kill(units[0], SIGSTOP);
	demo_join_all(units, CTL_MAX_UNITS, NULL);
	sh->container_soft = soft_nofile();
	return rc;
}

int demo_ctl_start(struct ctl_shared *sh, enum pt_kind kind, pt_unit_fn *fn,
		   int n, uint64_t cpu_mask, pt_unit **units)
{
	int err;

	sh->units = n;
	sh->fn = fn;
	sh->cpu_mask = cpu_mask;
	for (int i = 0; i < n; i++)
		sh->arg[i] = (struct ctl_arg){ .sh = sh, .index = i };
	if (kind == PT_KIND_THREAD) {
		struct pt_unit_opts opts =
			PT_UNIT_OPTS(.kind = PT_KIND_PROCESS,
				     .name = "pt-control-box");

		err = pt_unit_spawn(&opts, container, sh, &units[0]);
	} else {
		err = 0;
		for (int i = 0; i < n && !err; i++) {
			struct pt_unit_opts opts =
				PT_UNIT_OPTS(.kind = PT_KIND_PROCESS,
					     .name = "pt-control",
					     .cpu_mask = cpu_mask);

			err = pt_unit_spawn(&opts, fn, &sh->arg[i], &units[i]);
		}
	}
	if (!err)
		err = demo_gate_await(&sh->gate, (unsigned)n,
				      CTL_GATE_TIMEOUT_MS);
	if (!err && sh->spawn_error)
		err = sh->spawn_error;
	return err;
}

void demo_ctl_finish(struct ctl_shared *sh, pt_unit **units, bool kill)
{
	atomic_store(&sh->stop, 1);
	demo_gate_open(&sh->gate);
	for (int i = 0; i < CTL_MAX_UNITS; i++) {
		/* A stopped process never ends by itself: SIGKILL ends it
		 * whatever its state. */
		if (units[i] && kill)
			pt_unit_kill(units[i], SIGKILL);
	}
	demo_join_all(units, CTL_MAX_UNITS, NULL);
}

int demo_ctl_task_of(const struct ctl_shared *sh, enum pt_kind kind,
		     pt_unit **units, int i, int *pid)
{
	*pid = kind == PT_KIND_THREAD ? pt_unit_pid(units[0])
				      : pt_unit_pid(units[i]);
	return atomic_load(&sh->tid[i]);
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "procthread demo control: %s: %s\n", what,
		pt_strerror(err));
	return 1;
}

/* One task's stat: the process's own for a process (pid == tid), the
 * thread's entry under task/ otherwise. */
static int task_stat(int pid, int tid, struct procfs_stat *st)
{
	char path[64];

	if (pid == tid)
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	else
		snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	return procfs_stat(AT_FDCWD, path, st);
}

/* Polls the task's state until it is (stopped == true) or is no longer
 * (false) 'T'. Returns 0, -ETIMEDOUT, or the /proc error. */
static int await_stopped(int pid, int tid, bool stopped)
{
	uint64_t until = demo_now_ns() + STATE_TIMEOUT_MS * 1000000ull;
	struct procfs_stat st;
	int rc;

	for (;;) {
		rc = task_stat(pid, tid, &st);
		if (rc)
			return rc;
		if ((st.state == 'T') == stopped)
			return 0;
		if (demo_now_ns() >= until)
			return -ETIMEDOUT;
		demo_sleep_ms(1);
	}
}

static void snapshot(struct ctl_shared *sh, int n, uint64_t *out)
{
	for (int i = 0; i < n; i++)
		out[i] = atomic_load(&sh->work[i].count);
}

/* --- SIGSTOP ------------------------------------------------------------- */

static int count(void *p)
{
	struct ctl_arg *arg = p;
	struct ctl_shared *sh = arg->sh;

	atomic_store(&sh->tid[arg->index], gettid());
	demo_gate_arrive(&sh->gate);
	while (!atomic_load_explicit(&sh->stop, memory_order_relaxed) &&
	       !pt_cancelled())
		atomic_fetch_add_explicit(&sh->work[arg->index].count, 1,
					  memory_order_relaxed);
	return 0;
}

static int send_stop(enum pt_kind kind, pt_unit **units, int pid, int tid)
{
	if (kind == PT_KIND_PROCESS)
		return pt_unit_kill(units[0], SIGSTOP);
	/* The API refuses to signal a thread; an administrator's tool
	 * would not: aim SIGSTOP at that one thread. */
	return syscall(SYS_tgkill, pid, tid, SIGSTOP) < 0 ? -errno : 0;
}

/* While unit 0 is stopped: how much each unit worked, and its state. */
static int watch_stopped(struct ctl_shared *sh, enum pt_kind kind,
			 pt_unit **units, struct stop_result *r)
{
	uint64_t before[CTL_UNITS], after[CTL_UNITS];
	struct procfs_stat st;
	int pid, tid, err;

	/* Wait for the stop to be in force where it should act: unit 0,
	 * and for threads every sibling (a group stop reaches each thread
	 * as it next leaves the kernel). A timeout is not an error: what
	 * happened is measured below either way. */
	for (int i = 0; i < CTL_UNITS; i++) {
		tid = demo_ctl_task_of(sh, kind, units, i, &pid);
		if (i == 0 || kind == PT_KIND_THREAD) {
			err = await_stopped(pid, tid, true);
			if (err && err != -ETIMEDOUT)
				return fail("read /proc", err);
		}
	}
	snapshot(sh, CTL_UNITS, before);
	demo_sleep_ms(CTL_WINDOW_MS);
	snapshot(sh, CTL_UNITS, after);
	for (int i = 0; i < CTL_UNITS; i++) {
		tid = demo_ctl_task_of(sh, kind, units, i, &pid);
		err = task_stat(pid, tid, &st);
		if (err)
			return fail("read /proc", err);
		r->work_stopped[i] = after[i] - before[i];
		r->state[i] = st.state;
	}
	return 0;
}

int demo_ctl_run_stop(enum pt_kind kind, struct stop_result *r)
{
	struct ctl_shared *sh = demo_share(sizeof(*sh));
	pt_unit *units[CTL_MAX_UNITS] = { 0 };
	uint64_t before, after;
	int pid, tid, err, rc = 1;

	if (!sh)
		return fail("memory", -ENOMEM);
	err = demo_ctl_start(sh, kind, count, CTL_UNITS, 0, units);
	if (err) {
		fail("start the units", err);
		goto out;
	}
	tid = demo_ctl_task_of(sh, kind, units, 0, &pid);
	err = send_stop(kind, units, pid, tid);
	if (err) {
		fail("send SIGSTOP", err);
		goto out;
	}
	if (watch_stopped(sh, kind, units, r))
		goto out;
	/* SIGCONT resumes a whole stopped process, whichever thread it is
	 * sent to. */
	err = pt_unit_kill(units[0], SIGCONT);
	if (!err)
		err = await_stopped(pid, tid, false);
	if (err) {
		fail("resume with SIGCONT", err);
		goto out;
	}
	before = atomic_load(&sh->work[0].count);
	demo_sleep_ms(CTL_WINDOW_MS);
	after = atomic_load(&sh->work[0].count);
	r->work_after_cont = after - before;
	rc = 0;
out:
	demo_ctl_finish(sh, units, rc != 0);
	r->kill_rc = kind == PT_KIND_THREAD ? sh->thread_kill_rc : 0;
	demo_unshare(sh, sizeof(*sh));
	return rc;
}

/* --- nice ----------------------------------------------------------------- */

int demo_ctl_pick_cpu(int *cpu)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return fail("read this process's CPUs", -errno);
	for (int c = 63; c >= 0; c--) {
		if (CPU_ISSET(c, &set)) {
			*cpu = c;
			return 0;
		}
	}
	return fail("find a CPU numbered below 64", -ENOTSUP);
}

int demo_ctl_run_nice(enum pt_kind kind, int cpu, struct nice_result *r)
{
	struct ctl_shared *sh = demo_share(sizeof(*sh));
	pt_unit *units[CTL_MAX_UNITS] = { 0 };
	struct procfs_stat st[2][2], leader;
	int pid[2], tid[2], err, rc = 1;
	uint64_t d;

	if (!sh)
		return fail("memory", -ENOMEM);
	err = demo_ctl_start(sh, kind, count, 2, (uint64_t)1 << cpu, units);
	if (err) {
		fail("start the units", err);
		goto out;
	}
	for (int i = 0; i < 2; i++)
		tid[i] = demo_ctl_task_of(sh, kind, units, i, &pid[i]);
	/* On Linux the "process" of PRIO_PROCESS is any task id: a tid
	 * renices that thread alone. */
	if (setpriority(PRIO_PROCESS, (id_t)tid[1], CTL_NICE) < 0) {
		fail("setpriority", -errno);
		goto out;
	}
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < 2; i++) {
			err = task_stat(pid[i], tid[i], &st[pass][i]);
			if (err) {
				fail("read /proc", err);
				goto out;
			}
		}
		if (pass == 0)
			demo_sleep_ms(CTL_NICE_WINDOW_MS);
	}
	err = procfs_stat(AT_FDCWD, "/proc/self/stat", &leader);
	if (kind == PT_KIND_THREAD) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/%d/stat", pid[0]);
		err = procfs_stat(AT_FDCWD, path, &leader);
	}
	if (err) {
		fail("read /proc", err);
		goto out;
	}
	for (int i = 0; i < 2; i++) {
		r->cpu_ns[i] =
			procfs_cpu_ns(&st[1][i]) - procfs_cpu_ns(&st[0][i]);
		r->nice[i] = st[1][i].nice;
	}
	r->main_nice = leader.nice;
	d = r->cpu_ns[0] + r->cpu_ns[1];
	r->share_niced = d ? (double)r->cpu_ns[1] / (double)d : 0;
	rc = 0;
out:
	demo_ctl_finish(sh, units, rc != 0);
	demo_unshare(sh, sizeof(*sh));
	return rc;
}

/* --- a resource limit ----------------------------------------------------- */

static long soft_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	return rl.rlim_cur == RLIM_INFINITY ? -1 : (long)rl.rlim_cur;
}

/* Opens descriptors until the limit says no, then closes them. The units
 * take turns, so threads sharing one table do not take each other's. */
static int try_fds(void *p)
{
	struct ctl_arg *arg = p;
	struct ctl_shared *sh = arg->sh;
	int fds[CTL_TRY_FDS], n = 0;

	atomic_store(&sh->tid[arg->index], gettid());
	demo_gate_arrive(&sh->gate);
	if (!demo_gate_pass(&sh->gate, CTL_GATE_TIMEOUT_MS))
		return 1;
	while (atomic_load(&sh->turn) != arg->index) {
		if (pt_cancelled())
			return 1;
		demo_sleep_ms(1);
	}
	sh->soft[arg->index] = soft_nofile();
	while (n < CTL_TRY_FDS &&
	       (fds[n] = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
		n++;
	sh->opened[arg->index] = n;
	while (n--)
		close(fds[n]);
	atomic_fetch_add(&sh->turn, 1);
	return 0;
}

int demo_ctl_run_limit(enum pt_kind kind, struct limit_result *r)
{
	struct ctl_shared *sh = demo_share(sizeof(*sh));
	struct rlimit lim = { CTL_LIMIT_FDS, CTL_LIMIT_FDS };
	pt_unit *units[CTL_MAX_UNITS] = { 0 };
	int pid, tid, err, rc = 1;

	if (!sh)
		return fail("memory", -ENOMEM);
	err = demo_ctl_start(sh, kind, try_fds, 2, 0, units);
	if (err) {
		fail("start the units", err);
		goto out;
	}
	tid = demo_ctl_task_of(sh, kind, units, 0, &pid);
	/* prlimit() takes any task id; a thread's limits live in its
	 * process, so that is what a tid reaches. */
	if (prlimit(tid, RLIMIT_NOFILE, &lim, NULL) < 0) {
		fail("prlimit", -errno);
		goto out;
	}
	rc = 0;
out:
	demo_ctl_finish(sh, units, rc != 0);
	for (int i = 0; i < 2 && !rc; i++) {
		r->opened[i] = sh->opened[i];
		r->soft[i] = sh->soft[i];
	}
	r->process_soft =
		kind == PT_KIND_THREAD ? sh->container_soft : soft_nofile();
	demo_unshare(sh, sizeof(*sh));
	return rc;
}
