/* process.c - the process backend of units.
 *
 * A process unit is forked one of two ways, and joined the same way.
 *
 * Directly: fork() from the calling thread. Between the fork and the
 * function the child makes only async-signal-safe calls (prctl,
 * sched_setaffinity, getppid, write, close), because the parent may have
 * other threads that held locks at the moment of the fork. The child
 * reports the outcome of that set-up as one errno value over a CLOEXEC
 * pipe; the parent waits for those four bytes or for the child's end
 * (its pidfd), not for end-of-file, since a sibling forked at the same
 * moment by another thread may hold a copy of the pipe's write end. When
 * the set-up cannot fail and nothing it does must be seen once spawn
 * returns (no CPUs, no sandbox, no name), there is no report and spawn
 * returns right after the fork (see needs_report). The child is ours: join
 * waits on its pidfd and reaps it through the same pidfd (waitid P_PIDFD),
 * never by pid: a child reaped behind the library's back (a wait(-1) elsewhere,
 * SIGCHLD ignored) frees its pid for reuse, and a stranger given that pid must
 * not be reaped in its place.
 *
 * Through the fork-server (src/forkserver/), when one runs and the argument
 * can travel as bytes: the shared block is then a memfd that the server's
 * child maps, with the function pointer and the argument bytes in it. The
 * server reaps the child and sends its status and rusage on a socket that
 * is the unit's pollable descriptor; signals go through a pidfd the server
 * opened. The trade-off of each way is in procthread/forkserver.h.
 *
 * A sandbox (sandbox.c) is applied by the same pt__sandbox_apply() either
 * way, between the child's set-up and its report, so that a failure is a
 * set-up error of pt_unit_spawn() and the unit never runs unconfined. The
 * parent prepares it; a direct child reads it from its copy of the
 * parent's memory, a fork-server child from its block, where the parent
 * placed it as bytes. Its end is classified by the parent's own copy,
 * never by anything the child could have written.
 *
 * The child ends with _exit() after the function returns: atexit handlers
 * and stdio buffers belong to the parent's copy of the program. A unit
 * that writes through stdio flushes it itself.
 *
 * Every child is reaped by pt_unit_join() or pt_unit_destroy() (by the
 * server for its children); signals reach it only through a pidfd, so a
 * recycled pid is never hit.
 */
#include "unit/unit_internal.h"
#include "util/child.h"
#include "util/clock.h"
#include "util/fd.h"
#include "util/pidfd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs in the child: async-signal-safe calls only until fn. report_fd is
 * -1 when the parent waits for no report (see needs_report). */
static _Noreturn void child_main(pt_unit *unit, const struct pt_unit_opts *opts,
				 pid_t parent, int report_fd)
{
	int err;
	int code;

	err = pt__child_setup(opts->orphan_policy == PT_UNIT_ORPHAN_SURVIVES,
			      unit->own_group, parent, opts->cpu_mask,
			      unit->name);
	if (!err && unit->sandbox)
		err = pt__sandbox_apply(unit->sandbox, report_fd);
	if (report_fd >= 0) {
		while (write(report_fd, &err, sizeof(err)) < 0 &&
		       errno == EINTR)
			;
		close(report_fd);
	}
	if (err)
		_exit(127);

	pt__unit_self = unit->shared;
	code = unit->fn(unit->arg);
	unit->shared->code = code;
	atomic_store(&unit->shared->returned, 1);
	_exit(code & 0xff);
}

/* Runs in a fork-server child, set up and holding only its descriptors:
 * everything it needs is in the block. It trusts the block no more than
 * the parent does: the bounds are checked before the argument is used. */
static int server_child_entry(void *map, size_t map_bytes)
{
	struct pt__unit_shared *shared = map;
	void *arg = NULL;
	int code;

	if (!map || map_bytes < sizeof(*shared) ||
	    shared->arg_offset > map_bytes ||
	    shared->arg_len > map_bytes - shared->arg_offset)
		return 127;
	if (shared->arg_len)
		arg = (unsigned char *)map + shared->arg_offset;
	pt__unit_self = shared;
	code = shared->fn(arg);
	shared->code = code;
	atomic_store(&shared->returned, 1);
	return code;
}

/* Runs in a fork-server child before it reports its set-up: applies the
 * sandbox the parent placed in the block, with the same code as a unit
 * forked directly. Returns 0 or a positive errno value. */
static int server_child_setup(void *map, size_t map_bytes, int keep_fd)
{
	const struct pt__unit_shared *shared = map;
	size_t at;

	if (!map || map_bytes < sizeof(*shared))
		return EINVAL;
	at = shared->sandbox_offset;
	if (at < sizeof(*shared) || at > map_bytes ||
	    map_bytes - at < sizeof(struct pt__sandbox))
		return EINVAL;
	return pt__sandbox_apply(
		(const struct pt__sandbox *)((const unsigned char *)map + at),
		keep_fd);
}

static bool wants_server(const struct pt_unit_opts *opts, const void *arg)
{
	if (opts->fork_via == PT_UNIT_FORK_DIRECT)
		return false;
	if (opts->fork_via == PT_UNIT_FORK_SERVER)
		return true;
	return (arg == NULL || opts->arg_len > 0) && pt__fs_started();
}

/* Maps the shared block (a memfd when the fork-server forks the unit,
 * which receives it) and copies arg's bytes, and the prepared
 * unit->sandbox, after it. */
static int process_map(pt_unit *unit, const struct pt_unit_opts *opts,
		       const void *arg)
{
	size_t bytes = unit->shared_bytes;
	size_t arg_offset = 0;
	size_t sandbox_offset = 0;
	void *mem;

	unit->memfd = -1;
	unit->fs.pidfd = -1;
	unit->fs.status_fd = -1;
	unit->own_group = opts->process_group == PT_UNIT_GROUP_OWN;
	unit->via_server = wants_server(opts, arg);
	if (unit->via_server) {
		arg_offset = pt__unit_arg_offset(opts->result_capacity);
		bytes = arg_offset + (arg ? opts->arg_len : 0);
		/* The sandbox travels as bytes too (it holds no pointers),
		 * after the argument, aligned for its 64-bit fields. */
		if (unit->sandbox) {
			sandbox_offset = (bytes + 63) & ~(size_t)63;
			bytes = sandbox_offset + sizeof(*unit->sandbox);
		}
		unit->memfd = memfd_create("pt-unit", MFD_CLOEXEC);
		if (unit->memfd < 0)
			return -errno;
		if (ftruncate(unit->memfd, (off_t)bytes) < 0)
			goto err_close;
		mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
			   unit->memfd, 0);
	} else {
		mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	}
	if (mem == MAP_FAILED)
		goto err_close;
	unit->shared = mem;
	unit->shared_bytes = bytes;
	if (unit->via_server) {
		unit->shared->fn = unit->fn;
		unit->shared->arg_offset = arg_offset;
		unit->shared->arg_len = arg ? opts->arg_len : 0;
		if (arg && opts->arg_len)
			memcpy((unsigned char *)mem + arg_offset, arg,
			       opts->arg_len);
		unit->shared->sandbox_offset = sandbox_offset;
		if (unit->sandbox)
			memcpy((unsigned char *)mem + sandbox_offset,
			       unit->sandbox, sizeof(*unit->sandbox));
	}
	return 0;

err_close:
	if (unit->memfd >= 0) {
		int err = errno;

		close(unit->memfd);
		unit->memfd = -1;
		errno = err;
	}
	return errno == ENOMEM || errno == ENOSPC ? -ENOMEM : -errno;
}

static void process_unmap(pt_unit *unit)
{
	if (unit->memfd >= 0) {
		close(unit->memfd);
		unit->memfd = -1;
	}
	if (unit->shared)
		munmap(unit->shared, unit->shared_bytes);
	unit->shared = NULL;
}

/* Asks the fork-server for the child. Returns -ENOTCONN when none runs. */
static int server_spawn(pt_unit *unit, const struct pt_unit_opts *opts)
{
	struct pt__fs_spawn req = {
		.entry = server_child_entry,
		.setup = unit->sandbox ? server_child_setup : NULL,
		.memfd = unit->memfd,
		.map_bytes = unit->shared_bytes,
		.pass_fds = opts->pass_fds,
		.npass_fds = opts->npass_fds,
		.cpu_mask = opts->cpu_mask,
		.name = unit->name,
		.survive = opts->orphan_policy == PT_UNIT_ORPHAN_SURVIVES,
		.own_group = unit->own_group,
	};
	int rc;

	rc = pt__fs_spawn(&req, &unit->fs);
	if (rc)
		return rc;
	/* The server's child has its own mapping now. */
	close(unit->memfd);
	unit->memfd = -1;
	unit->pid = unit->fs.pid;
	unit->fd = unit->fs.status_fd;
	unit->sig_fd = unit->fs.pidfd;
	return 0;
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

/* Whether the parent must wait for the child's set-up report: when the
 * set-up can fail (CPUs, sandbox) or what it does must be visible once
 * spawn returns (the name, which tools read from /proc). Otherwise the
 * set-up cannot fail - the death signal's prctl takes a valid signal - and
 * spawn returns at once: one pipe and two context switches less, which on
 * one CPU is most of what a unit costs over a bare fork. */
static bool needs_report(const pt_unit *unit, const struct pt_unit_opts *opts)
{
	return opts->cpu_mask || unit->sandbox || unit->name[0] ||
	       unit->own_group;
}

static int process_spawn(pt_unit *unit, const struct pt_unit_opts *opts)
{
	int report[2] = { -1, -1 };
	pid_t parent = getpid();
	pid_t pid;
	int rc;

	if (unit->via_server) {
		rc = server_spawn(unit, opts);
		/* The server was stopped since the check: fork ourselves,
		 * unless the caller insisted on the server. */
		if (rc != -ENOTCONN || opts->fork_via == PT_UNIT_FORK_SERVER)
			return rc;
		unit->via_server = false;
	}
	if (needs_report(unit, opts) && pipe2(report, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		goto out_pipe;
	}
	if (pid == 0) {
		if (report[0] >= 0)
			close(report[0]);
		child_main(unit, opts, parent, report[1]);
	}
	if (report[1] >= 0)
		close(report[1]);
	report[1] = -1;
	unit->pid = pid;
	/* Safe against pid reuse: the child is ours and not yet reaped. */
	unit->fd = pt__pidfd_open(pid);
	unit->sig_fd = unit->fd;
	if (unit->fd < 0) {
		rc = unit->fd;
		kill(pid, SIGKILL);
		reap_blocking(pid, NULL, NULL);
		goto out_pipe;
	}
	rc = report[0] >= 0 ? read_report(report[0], unit->fd) : 0;
	/* The block is this child's and ours: no later fork of this process
	 * needs a copy (a pool forking n workers handed the last one the
	 * blocks of all n). */
	(void)madvise(unit->shared, unit->shared_bytes, MADV_DONTFORK);
	if (rc) {
		pt__pidfd_send_signal(unit->fd, SIGKILL);
		pt__pidfd_reap(unit->fd, NULL, NULL);
		close(unit->fd);
		unit->fd = -1;
		unit->sig_fd = -1;
	}
out_pipe:
	if (report[0] >= 0)
		close(report[0]);
	if (report[1] >= 0)
		close(report[1]);
	return rc;
}

static int process_wait(pt_unit *unit, uint64_t until_ns)
{
	return pt__wait_readable(unit->fd, pt__ms_until(until_ns));
}

static bool is_crash(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL ||
	       sig == SIGFPE || sig == SIGABRT;
}

/* The part of the status both ways share, from a wait status and usage. */
static void classify(pt_unit *unit, int wstatus)
{
	struct pt_status *st = &unit->status;

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
}

/* The server died with the child unreaped: the child died with it
 * (PDEATHSIG), but what it left in its group did not, and the server that
 * would have ended the group is gone. Its number still names the group
 * while any member lives, and a pid is not reused while it names a group,
 * so a group found under it is the child's. */
static void end_lost_group(const pt_unit *unit)
{
	if (unit->own_group && unit->fs.lost)
		pt__child_end_group(unit->pid);
}

static int server_reap(pt_unit *unit)
{
	struct pt_usage *u = &unit->status.usage;
	struct pt__fs_exit ex;
	int rc;

	rc = pt__fs_collect(&unit->fs, &ex);
	if (rc) {
		end_lost_group(unit);
		return rc;
	}
	u->wall_ns =
		ex.end_ns > unit->spawn_ns ? ex.end_ns - unit->spawn_ns : 0;
	u->user_ns = ex.user_ns;
	u->system_ns = ex.system_ns;
	u->maxrss_bytes = ex.maxrss_bytes;
	u->voluntary_switches = ex.voluntary_switches;
	u->involuntary_switches = ex.involuntary_switches;
	classify(unit, ex.wstatus);
	return 0;
}

static int direct_reap(pt_unit *unit)
{
	struct pt_usage *u = &unit->status.usage;
	struct rusage ru;
	int wstatus;
	int rc;

	/* Ended, not yet reaped: its group's number is still its own. */
	if (unit->own_group)
		pt__child_end_group(unit->pid);
	rc = pt__pidfd_reap(unit->fd, &wstatus, &ru);
	if (rc)
		return rc;
	u->wall_ns = pt__now_ns() - unit->spawn_ns;
	u->user_ns = pt__timeval_ns(ru.ru_utime.tv_sec, ru.ru_utime.tv_usec);
	u->system_ns = pt__timeval_ns(ru.ru_stime.tv_sec, ru.ru_stime.tv_usec);
	u->maxrss_bytes = (uint64_t)ru.ru_maxrss * 1024;
	u->voluntary_switches = (uint64_t)ru.ru_nvcsw;
	u->involuntary_switches = (uint64_t)ru.ru_nivcsw;
	classify(unit, wstatus);
	return 0;
}

static int process_reap(pt_unit *unit)
{
	int rc;

	rc = unit->via_server ? server_reap(unit) : direct_reap(unit);
	if (rc)
		return rc;
	/* By the parent's own copy of the filter, never by anything the
	 * child could have written. */
	if (unit->status.how == PT_EXIT_SIGNALED &&
	    pt__sandbox_filtered(unit->sandbox, unit->status.signal))
		unit->status.how = PT_EXIT_FILTERED;
	return 0;
}

static void process_abandon(pt_unit *unit)
{
	if (unit->via_server) {
		/* Killed and its record awaited, so the server has reaped
		 * it when destroy returns. */
		if (unit->fs.status_fd >= 0)
			pt__fs_release(&unit->fs, !unit->joined);
		end_lost_group(unit);
		unit->fd = -1;
		unit->sig_fd = -1;
		return;
	}
	if (unit->fd < 0)
		return;
	if (!unit->joined) {
		pt__pidfd_send_signal(unit->fd, SIGKILL);
		if (unit->own_group)
			pt__child_end_group(unit->pid);
		pt__pidfd_reap(unit->fd, NULL, NULL);
	}
	close(unit->fd);
	unit->fd = -1;
	unit->sig_fd = -1;
}

static int process_signal(pt_unit *unit, int sig)
{
	return pt__pidfd_send_signal(unit->sig_fd, sig);
}

static int process_pid(const pt_unit *unit)
{
	return unit->pid;
}

const struct pt__unit_ops pt__process_unit_ops = {
	.map = process_map,
	.spawn = process_spawn,
	.wait = process_wait,
	.reap = process_reap,
	.abandon = process_abandon,
	.unmap = process_unmap,
	.signal = process_signal,
	.pid = process_pid,
	.sandboxed = true,
};
