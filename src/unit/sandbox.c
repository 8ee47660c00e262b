/* sandbox.c - confining a process unit: descriptors, limits, no new
 * privileges, a seccomp filter.
 *
 * The work is split by side, because the child of a multithreaded parent
 * may not allocate or take locks between fork and fn. The parent checks the
 * options and compiles the filter with libseccomp into plain BPF
 * (pt__sandbox_prepare); the child only makes system calls with what was
 * prepared (pt__sandbox_apply), in an order where each step still has the
 * calls it needs: descriptors are closed first, limits set next, and the
 * filter installed last, after which the child writes its set-up report
 * (write and close are on every allow-list) and runs fn.
 *
 * The filter's default action is SECCOMP_RET_KILL_PROCESS, not an errno:
 * a unit that tries a forbidden call is stopped at that call, whole, and
 * cannot go on with a failed call it did not expect. The parent tells that
 * death (SIGSYS) from others only for units it gave a filter.
 */
#include "unit/sandbox.h"
#include "util/fd.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ALL_FLAGS                                                              \
	(PT_SANDBOX_NO_NEW_PRIVS | PT_SANDBOX_CLOSE_FDS | PT_SANDBOX_SECCOMP)

/* What pure computation needs; see procthread/sandbox.h. Names unknown to
 * this architecture are skipped. */
static const char *const default_allow[] = {
	/* memory */
	"brk",
	"mmap",
	"munmap",
	"mremap",
	"mprotect",
	"madvise",
	/* descriptors already open */
	"read",
	"write",
	"readv",
	"writev",
	"pread64",
	"pwrite64",
	"lseek",
	"fstat",
	"newfstatat",
	"close",
	/* synchronisation, time, scheduling, identity */
	"futex",
	"clock_gettime",
	"clock_getres",
	"gettimeofday",
	"clock_nanosleep",
	"nanosleep",
	"sched_yield",
	"getpid",
	"gettid",
	"getrandom",
	/* signals and the end */
	"rt_sigreturn",
	"rt_sigprocmask",
	"sigaltstack",
	"restart_syscall",
	"exit",
	"exit_group",
};

/* Sorts the descriptors to keep and drops duplicates (n is small). */
static int copy_keep(struct pt__sandbox *sb, const struct pt_sandbox *opts)
{
	if (opts->nkeep_fds > PT_SANDBOX_KEEP_FDS_MAX ||
	    (opts->nkeep_fds && !opts->keep_fds))
		return -EINVAL;
	sb->nkeep = 0;
	for (size_t i = 0; i < opts->nkeep_fds; i++) {
		int fd = opts->keep_fds[i];
		uint32_t at = sb->nkeep;

		if (fd < 3)
			return -EINVAL;
		while (at > 0 && sb->keep[at - 1] > fd)
			at--;
		if (at > 0 && sb->keep[at - 1] == fd)
			continue;
		memmove(&sb->keep[at + 1], &sb->keep[at],
			(sb->nkeep - at) * sizeof(sb->keep[0]));
		sb->keep[at] = fd;
		sb->nkeep++;
	}
	return 0;
}

/* Reads the compiled program back from where libseccomp wrote it. */
static int export_bpf(struct pt__sandbox *sb, scmp_filter_ctx ctx)
{
	int fd = memfd_create("pt-seccomp", MFD_CLOEXEC);
	off_t bytes;
	ssize_t got;
	int rc;

	if (fd < 0)
		return -errno;
	rc = seccomp_export_bpf(ctx, fd);
	if (rc < 0)
		goto out;
	bytes = lseek(fd, 0, SEEK_END);
	if (bytes < 0) {
		rc = -errno;
		goto out;
	}
	if (bytes == 0 || bytes % (off_t)sizeof(sb->bpf[0]) ||
	    bytes > (off_t)sizeof(sb->bpf)) {
		rc = -E2BIG;
		goto out;
	}
	got = pread(fd, sb->bpf, (size_t)bytes, 0);
	if (got != bytes) {
		rc = got < 0 ? -errno : -EIO;
		goto out;
	}
	sb->bpf_len = (uint32_t)(bytes / (off_t)sizeof(sb->bpf[0]));
	rc = 0;
out:
	close(fd);
	return rc;
}

static int build_filter(struct pt__sandbox *sb, const struct pt_sandbox *opts)
{
	scmp_filter_ctx ctx;
	int rc;

	ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx)
		return -ENOMEM;
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
			      SCMP_ACT_KILL_PROCESS);
	for (size_t i = 0;
	     !rc && i < sizeof(default_allow) / sizeof(default_allow[0]); i++) {
		int nr = seccomp_syscall_resolve_name(default_allow[i]);

		if (nr != __NR_SCMP_ERROR)
			rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
	}
	for (size_t i = 0; !rc && i < opts->nallow_syscalls; i++) {
		const char *name = opts->allow_syscalls[i];
		int nr = name ? seccomp_syscall_resolve_name(name)
			      : __NR_SCMP_ERROR;

		if (nr == __NR_SCMP_ERROR)
			rc = -EINVAL;
		else
			rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
	}
	if (!rc)
		rc = export_bpf(sb, ctx);
	seccomp_release(ctx);
	return rc;
}

int pt__sandbox_prepare(struct pt__sandbox *sb, const struct pt_sandbox *opts)
{
	int rc;

	if (!sb || !opts || opts->size < sizeof(*opts) || opts->size > 4096)
		return -EINVAL;
	if (opts->flags & ~ALL_FLAGS)
		return -EINVAL;
	if (opts->nallow_syscalls > PT_SANDBOX_ALLOW_MAX ||
	    (opts->nallow_syscalls && !opts->allow_syscalls) ||
	    (opts->nallow_syscalls && !(opts->flags & PT_SANDBOX_SECCOMP)))
		return -EINVAL;
	if (opts->nkeep_fds && !(opts->flags & PT_SANDBOX_CLOSE_FDS))
		return -EINVAL;
	memset(sb, 0, offsetof(struct pt__sandbox, bpf));
	sb->flags = opts->flags;
	if (sb->flags & PT_SANDBOX_SECCOMP)
		sb->flags |= PT_SANDBOX_NO_NEW_PRIVS;
	sb->as_bytes = opts->as_bytes;
	sb->cpu_seconds = opts->cpu_seconds;
	sb->nofile = opts->nofile;
	rc = copy_keep(sb, opts);
	if (rc)
		return rc;
	if (sb->flags & PT_SANDBOX_SECCOMP)
		return build_filter(sb, opts);
	return 0;
}

/* --- the child's side: async-signal-safe system calls only ------------- */

/* Closes every descriptor above 2 except sb->keep and keep_also. */
static int close_others(const struct pt__sandbox *sb, int keep_also)
{
	int keep[PT_SANDBOX_KEEP_FDS_MAX + 1];
	size_t n = 0;

	for (uint32_t i = 0; i < sb->nkeep; i++)
		keep[n++] = sb->keep[i];
	keep[n++] = keep_also;
	return pt__close_all_but(keep, n);
}

/* Lowers a limit to value (soft) and hard (hard); never raises one. */
static int lower_limit(int resource, uint64_t value, uint64_t hard)
{
	struct rlimit lim;

	if (value == 0)
		return 0;
	if (getrlimit(resource, &lim) < 0)
		return errno;
	if (hard < lim.rlim_max)
		lim.rlim_max = hard;
	if (value < lim.rlim_cur)
		lim.rlim_cur = value;
	if (lim.rlim_cur > lim.rlim_max)
		lim.rlim_cur = lim.rlim_max;
	return setrlimit(resource, &lim) < 0 ? errno : 0;
}

int pt__sandbox_apply(const struct pt__sandbox *sb, int keep_also)
{
	struct sock_fprog prog;
	int err = 0;

	/* A fork-server child reads sb from its block: bound what indexes
	 * and lengths before using them. */
	if (sb->nkeep > PT_SANDBOX_KEEP_FDS_MAX ||
	    sb->bpf_len > PT__SANDBOX_BPF_MAX)
		return EINVAL;
	if (sb->flags & PT_SANDBOX_CLOSE_FDS)
		err = close_others(sb, keep_also);
	if (!err)
		err = lower_limit(RLIMIT_NOFILE, sb->nofile, sb->nofile);
	if (!err)
		err = lower_limit(RLIMIT_AS, sb->as_bytes, sb->as_bytes);
	/* A second between the soft and the hard limit: SIGXCPU comes
	 * first, and tells a CPU limit from a plain SIGKILL. */
	if (!err && sb->cpu_seconds)
		err = lower_limit(RLIMIT_CPU, sb->cpu_seconds,
				  sb->cpu_seconds + 1);
	if (!err && (sb->flags & PT_SANDBOX_NO_NEW_PRIVS) &&
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		err = errno;
	if (!err && sb->bpf_len) {
		prog.len = (unsigned short)sb->bpf_len;
		/* The kernel copies the program; it is not written to. */
		prog.filter = (struct sock_filter *)sb->bpf;
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
			err = errno;
	}
	return err;
}

bool pt__sandbox_filtered(const struct pt__sandbox *sb, int sig)
{
	return sb && sb->bpf_len && sig == SIGSYS;
}
