/* process.c - the process backend of units.
 *
 * The unit's function runs in a child made by fork(). Between the fork and
 * the function the child makes only async-signal-safe calls (prctl,
 * sched_setaffinity, getppid, write, close), because the parent may have
 * other threads that held locks at the moment of the fork. The child
 * reports the outcome of that set-up as one errno value over a CLOEXEC
 * pipe; the parent waits for those four bytes or for the child's end
 * (its pidfd), not for end-of-file, since a sibling forked at the same
 * moment by another thread may hold a copy of the pipe's write end.
 *
 * The child ends with _exit() after the function returns: atexit handlers
 * and stdio buffers belong to the parent's copy of the program. A unit
 * that writes through stdio flushes it itself.
 *
 * Every child is reaped by pt_unit_join() or pt_unit_destroy(); signals
 * reach it only through its pidfd, so a recycled pid is never hit.
 */
#include "unit/unit_internal.h"
#include "util/clock.h"
#include "util/fd.h"
#include "util/pidfd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs in the child: async-signal-safe calls only until fn. */
static _Noreturn void child_main(pt_unit *unit, const struct pt_unit_opts *opts,
				 pid_t parent, int report_fd)
{
	int err = 0;
	int code;

	if (opts->orphan_policy == PT_UNIT_ORPHAN_DIES) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
			err = errno;
		/* The parent may have died before the prctl took effect. */
		else if (getppid() != parent)
			_exit(127);
	}
	if (!err && opts->cpu_mask) {
		cpu_set_t cpus;

		CPU_ZERO(&cpus);
		for (int cpu = 0; cpu < 64; cpu++)
			if (opts->cpu_mask & ((uint64_t)1 << cpu))
				CPU_SET(cpu, &cpus);
		if (sched_setaffinity(0, sizeof(cpus), &cpus) < 0)
			err = errno;
	}
	if (!err && unit->name[0])
		prctl(PR_SET_NAME, unit->name);
	while (write(report_fd, &err, sizeof(err)) < 0 && errno == EINTR)
		;
	close(report_fd);
	if (err)
		_exit(127);

	pt__unit_self = unit->shared;
	code = unit->fn(unit->arg);
	unit->shared->code = code;
	atomic_store(&unit->shared->returned, 1);
	_exit(code & 0xff);
}

/* Reads the child's set-up report. Returns 0 when the child is running fn,
 * -errno for its set-up error, -ECHILD when it died before reporting. */
static int read_report(int report_fd, int pidfd)
{
	struct pollfd pfd[2] = {
		{ .fd = report_fd, .events = POLLIN },
		{ .fd = pidfd, .events = POLLIN },
	};
	int err;
	ssize_t n;

	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (pfd[0].revents) {
			n = read(report_fd, &err, sizeof(err));
			if (n < 0 && errno == EINTR)
				continue;
			if (n == (ssize_t)sizeof(err))
				return err > 0 ? -err : 0;
			return -ECHILD;
		}
		if (pfd[1].revents)
			return -ECHILD;
	}
}

static void reap_blocking(pid_t pid, int *wstatus, struct rusage *ru)
{
	while (wait4(pid, wstatus, 0, ru) < 0 && errno == EINTR)
		;
}

int pt__process_spawn(pt_unit *unit, const struct pt_unit_opts *opts)
{
	int report[2];
	pid_t parent = getpid();
	pid_t pid;
	int rc;

	if (pipe2(report, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		goto out_pipe;
	}
	if (pid == 0) {
		close(report[0]);
		child_main(unit, opts, parent, report[1]);
	}
	close(report[1]);
	report[1] = -1;
	unit->pid = pid;
	/* Safe against pid reuse: the child is ours and not yet reaped. */
	unit->fd = pt__pidfd_open(pid);
	if (unit->fd < 0) {
		rc = unit->fd;
		kill(pid, SIGKILL);
		reap_blocking(pid, NULL, NULL);
		goto out_pipe;
	}
	rc = read_report(report[0], unit->fd);
	if (rc) {
		pt__pidfd_send_signal(unit->fd, SIGKILL);
		reap_blocking(pid, NULL, NULL);
		close(unit->fd);
		unit->fd = -1;
	}
out_pipe:
	close(report[0]);
	if (report[1] >= 0)
		close(report[1]);
	return rc;
}

int pt__process_wait(pt_unit *unit, uint64_t until_ns)
{
	return pt__wait_readable(unit->fd, pt__ms_until(until_ns));
}

static bool is_crash(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL ||
	       sig == SIGFPE || sig == SIGABRT;
}

int pt__process_reap(pt_unit *unit)
{
	struct pt_status *st = &unit->status;
	struct rusage ru;
	int wstatus;
	pid_t got;

	do
		got = wait4(unit->pid, &wstatus, 0, &ru);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return -errno;
	st->usage.wall_ns = pt__now_ns() - unit->spawn_ns;
	st->usage.user_ns =
		pt__timeval_ns(ru.ru_utime.tv_sec, ru.ru_utime.tv_usec);
	st->usage.system_ns =
		pt__timeval_ns(ru.ru_stime.tv_sec, ru.ru_stime.tv_usec);
	st->usage.maxrss_bytes = (uint64_t)ru.ru_maxrss * 1024;
	st->usage.voluntary_switches = (uint64_t)ru.ru_nvcsw;
	st->usage.involuntary_switches = (uint64_t)ru.ru_nivcsw;
	st->pid = unit->pid;
	st->tid = unit->pid;
	st->code = 0;
	st->signal = 0;
	if (WIFEXITED(wstatus)) {
		if (atomic_load(&unit->shared->returned)) {
			st->how = PT_EXIT_RETURNED;
			st->code = unit->shared->code;
		} else {
			st->how = PT_EXIT_EXITED;
			st->code = WEXITSTATUS(wstatus);
		}
	} else {
		st->signal = WTERMSIG(wstatus);
		if (unit->deadline_hit && st->signal == SIGKILL)
			st->how = PT_EXIT_TIMED_OUT;
		else if (is_crash(st->signal))
			st->how = PT_EXIT_CRASHED;
		else
			st->how = PT_EXIT_SIGNALED;
	}
	return 0;
}

void pt__process_abandon(pt_unit *unit)
{
	if (unit->fd < 0)
		return;
	if (!unit->joined) {
		pt__pidfd_send_signal(unit->fd, SIGKILL);
		reap_blocking(unit->pid, NULL, NULL);
	}
	close(unit->fd);
	unit->fd = -1;
}
