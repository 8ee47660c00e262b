/* procthread/sandbox.h - confinement of process units.
 *
 * A process unit can be confined before its function runs: given
 * pt_unit_opts.sandbox, the child, after the fork and before fn, closes
 * the descriptors it was not told to keep, lowers its resource limits, sets
 * PR_SET_NO_NEW_PRIVS and installs a seccomp filter. Each is optional. The
 * filter is built in the parent at spawn (with libseccomp) and only
 * installed in the child, so the child's part stays async-signal-safe.
 * Units forked by the fork-server (procthread/forkserver.h) are confined
 * the same way: the prepared sandbox travels to the server's child as
 * bytes with the spawn request, is applied there before the child reports
 * its set-up, and a failure is pt_unit_spawn()'s error in both cases.
 * With PT_SANDBOX_CLOSE_FDS a fork-server unit, which has only 0, 1, 2
 * and its pass_fds, keeps those of them listed in keep_fds.
 *
 * The filter lets through the calls pure computation needs - memory
 * (brk, mmap, munmap, mremap, mprotect, madvise), reading and writing
 * descriptors already open (read, write, readv, writev, pread64, pwrite64,
 * lseek, fstat, newfstatat, close), futex, time and sleep, sched_yield,
 * getpid, gettid, getrandom, signal masks and returns, exit - and kills the
 * whole unit on any other call. Such a unit ends as PT_EXIT_FILTERED (the
 * kernel's SIGSYS). Not allowed by default, so add them by name where a
 * unit needs them: opening files, sockets, fork/clone/exec, and sending
 * signals - abort() raises SIGABRT with tgkill, so a sandboxed unit that
 * aborts is reported as filtered unless "tgkill" is allowed.
 *
 * Thread units cannot be confined alone (limits and filters of a thread
 * bind its whole process, or none of it): spawning one with a sandbox
 * returns -ENOTSUP.
 */
#ifndef PROCTHREAD_SANDBOX_H
#define PROCTHREAD_SANDBOX_H

#include <procthread/common.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What to apply (pt_sandbox.flags). */
#define PT_SANDBOX_NO_NEW_PRIVS 0x1u /* prctl(PR_SET_NO_NEW_PRIVS) */
#define PT_SANDBOX_CLOSE_FDS	0x2u /* close all but 0, 1, 2, keep_fds */
#define PT_SANDBOX_SECCOMP	0x4u /* the filter; implies NO_NEW_PRIVS */

#define PT_SANDBOX_KEEP_FDS_MAX 64
#define PT_SANDBOX_ALLOW_MAX	64

struct pt_sandbox {
	size_t size;	/* set by PT_SANDBOX(), so the struct can grow */
	unsigned flags; /* PT_SANDBOX_* */
	/* Resource limits, soft and hard alike; 0 leaves one as it is.
	 * RLIMIT_AS: past it, allocations fail (malloc returns NULL).
	 * RLIMIT_CPU: past it, the kernel sends SIGXCPU (PT_EXIT_SIGNALED),
	 * and SIGKILL a second later if the unit goes on.
	 * RLIMIT_NOFILE: opening descriptor number n or above fails. */
	uint64_t as_bytes;
	uint64_t cpu_seconds;
	uint64_t nofile;
	/* With PT_SANDBOX_CLOSE_FDS: descriptors kept open besides 0, 1, 2
	 * (each >= 3). Copied at spawn. */
	const int *keep_fds;
	size_t nkeep_fds;
	/* With PT_SANDBOX_SECCOMP: system calls allowed besides the default
	 * list, by name ("openat", "tgkill"); an unknown name is -EINVAL.
	 * Resolved at spawn. */
	const char *const *allow_syscalls;
	size_t nallow_syscalls;
};

#define PT_SANDBOX(...)                                                        \
	((struct pt_sandbox){ .size = sizeof(struct pt_sandbox), __VA_ARGS__ })

#ifdef __cplusplus
}
#endif

#endif /* PROCTHREAD_SANDBOX_H */
