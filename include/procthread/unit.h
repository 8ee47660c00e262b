/* procthread/unit.h - run one function as a thread or as a process.
 *
 * A unit is one call of a C function, run either on a new thread of this
 * process (PT_KIND_THREAD) or in a forked child process (PT_KIND_PROCESS), and
 * then joined, stopped and accounted for through the same calls. The kind is
 * one field of the options, so a program can switch between shared memory and
 * isolation without other changes.
 *
 * What differs between the kinds, and stays visible through this API:
 * - a process unit works on a copy of the parent's memory; what it changes
 *   is lost at its end, except the result bytes (pt_unit_set_result());
 * - a process unit can be killed (pt_unit_kill()) and crash alone; a thread
 *   cannot be killed safely, only asked to stop (pt_unit_cancel()), and a
 *   thread that crashes or calls exit() ends the whole process;
 * - a process unit's deadline (opts.timeout_ms) kills it; a thread's only
 *   requests cancellation.
 *
 * All calls return 0 (or a count) on success and a negative errno value on
 * failure; see procthread/error.h.
 */
#ifndef PROCTHREAD_UNIT_H
#define PROCTHREAD_UNIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <procthread/common.h>
#include <procthread/sandbox.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pt_unit pt_unit;	   /* opaque; made by pt_unit_spawn() */
typedef int pt_unit_fn(void *arg); /* its return value is the exit code */

/* Largest result a unit can hand back (pt_unit_opts.result_capacity). */
#define PT_UNIT_RESULT_MAX ((size_t)64 << 20)

/* opts.orphan_policy: what happens to a process unit whose spawning thread
 * ends first. */
enum pt_unit_orphan {
	PT_UNIT_ORPHAN_DIES = 0, /* killed (the default) */
	PT_UNIT_ORPHAN_SURVIVES, /* runs on */
};

/* opts.fork_via: who forks a process unit. */
enum pt_unit_fork {
	PT_UNIT_FORK_AUTO = 0, /* the fork-server when it can, else directly */
	PT_UNIT_FORK_DIRECT,   /* the calling thread */
	PT_UNIT_FORK_SERVER,   /* the fork-server only */
};

/* opts.process_group: which process group a process unit is in. */
enum pt_unit_group {
	PT_UNIT_GROUP_INHERIT = 0, /* the caller's (the default) */
	PT_UNIT_GROUP_OWN,	   /* one it leads, killed when it is reaped */
};

struct pt_unit_opts {
	size_t size;	    /* set by PT_UNIT_OPTS(), so the struct can grow */
	enum pt_kind kind;  /* PT_KIND_THREAD or PT_KIND_PROCESS */
	const char *name;   /* copied; up to 15 bytes are shown by ps(1) */
	size_t stack_bytes; /* thread stack size; 0: the system default */
	/* CPUs the unit may run on, as a bit mask of CPU numbers 0..63;
	 * 0: inherit the caller's affinity. */
	uint64_t cpu_mask;
	/* Deadline from spawn, enforced while the unit is joined: a process
	 * is then killed with SIGKILL, a thread asked to stop. 0: none. */
	uint32_t timeout_ms;
	/* Bytes the unit may hand back with pt_unit_set_result(); 0: none. */
	size_t result_capacity;
	/* Process units: SIGKILL the unit when its parent goes away
	 * (PR_SET_PDEATHSIG, re-checked against the parent pid after it is
	 * set). Linux ties this to the thread that forked, not to the
	 * process: a unit forked directly dies when the thread that spawned
	 * it ends, even while the process lives on. Spawn long-lived process
	 * units from a long-lived thread, or through the fork-server (whose
	 * only thread lives as long as it does). Pools and supervisors do
	 * so themselves: they fork from threads they own, so they belong to
	 * the process and outlive the thread that made them. The default,
	 * PT_UNIT_ORPHAN_DIES, kills; PT_UNIT_ORPHAN_SURVIVES does not. */
	enum pt_unit_orphan orphan_policy;
	/* The size of *arg, for process units. When set, the unit works on
	 * a private copy of those bytes, which is the only way an argument
	 * reaches a unit forked by the fork-server (procthread/forkserver.h):
	 * that unit is a copy of the program as it was when the server
	 * started, where a pointer into memory made since means nothing.
	 * Thread units share *arg and ignore it. At most PT_UNIT_ARG_MAX. */
	size_t arg_len;
	/* Descriptors a fork-server unit receives, at the same numbers (each
	 * >= 3, at most PT_UNIT_PASS_FDS_MAX); it has 0, 1, 2 and these, no
	 * others. A unit forked directly inherits every descriptor anyway. */
	const int *pass_fds;
	size_t npass_fds;
	/* Who forks a process unit: PT_UNIT_FORK_AUTO (the default) uses the
	 * fork-server when it runs and the argument can travel (arg is NULL
	 * or arg_len is set), and forks directly otherwise;
	 * PT_UNIT_FORK_DIRECT always forks from the calling thread;
	 * PT_UNIT_FORK_SERVER only through the server. */
	enum pt_unit_fork fork_via;
	/* Process units: confinement applied in the child before fn runs
	 * (procthread/sandbox.h), whichever way it is forked (fork_via);
	 * copied at spawn. NULL: none. A thread unit with a sandbox is
	 * refused with -ENOTSUP. */
	const struct pt_sandbox *sandbox;
	/* Process units: PT_UNIT_GROUP_OWN makes the unit the leader of a
	 * process group of its own (setpgid() in the child, before fn), and
	 * when the unit is reaped (joined or destroyed) every process still
	 * in that group - children and grandchildren fn left behind - is
	 * killed with SIGKILL, before the group's id can be reused. A
	 * kill(0, sig) inside the unit then reaches its own group, not the
	 * caller's; signals a terminal sends to the caller's foreground group
	 * (Ctrl-C) no longer reach it either. A descendant that leaves the
	 * group (setsid(), setpgid()) leaves this care. PT_UNIT_GROUP_INHERIT
	 * (the default) keeps the caller's group. Thread units ignore it. */
	enum pt_unit_group process_group;
};

#define PT_UNIT_ARG_MAX	     ((size_t)64 << 20)
#define PT_UNIT_PASS_FDS_MAX 16

#define PT_UNIT_OPTS(...)                                                      \
	((struct pt_unit_opts){ .size = sizeof(struct pt_unit_opts),           \
				__VA_ARGS__ })

/* Resources a unit used. For a thread, measured inside the thread at its
 * end with RUSAGE_THREAD; for a process, from wait4(). maxrss_bytes of a
 * thread is its whole process's peak: threads share one memory. */
struct pt_usage {
	uint64_t wall_ns;   /* from spawn to end */
	uint64_t user_ns;   /* CPU time in user mode */
	uint64_t system_ns; /* CPU time in the kernel */
	uint64_t maxrss_bytes;
	uint64_t voluntary_switches;
	uint64_t involuntary_switches;
};

struct pt_status {
	enum pt_exit how;
	int code;   /* RETURNED, EXITED, and TIMED_OUT threads */
	int signal; /* SIGNALED, CRASHED, and TIMED_OUT processes */
	struct pt_usage usage;
	int pid; /* the process (for threads: this process) */
	int tid; /* the thread id (for processes: equal to pid) */
};

/* Starts fn(arg) as opts->kind says. Returns 0 and sets *out, or -errno and
 * leaves *out alone: -EINVAL for a NULL fn/out/opts, an opts->size of 0,
 * an unknown kind or fork_via, a too large result_capacity or arg_len, a
 * bad pass_fds entry, or PT_UNIT_FORK_SERVER with a non-NULL arg and no
 * arg_len (the server's child could not read it); -EBADF for a pass_fds entry
 * that is not open; -ENOTCONN for PT_UNIT_FORK_SERVER without a server;
 * -EAGAIN, -ENOMEM when the system is out of threads, processes or memory; a
 * child's setup error (e.g. -EINVAL for a CPU mask with no usable CPU); -EPIPE
 * when the fork-server died. A thread unit shares *arg with the caller, who
 * keeps it alive until the unit is joined; a process unit works on a copy, of
 * arg_len bytes or of all memory. A process unit forked directly comes from the
 * calling thread: between fork and fn the child makes only async-signal-safe
 * calls, which keeps the library safe, but fn itself may then hang in malloc()
 * if another thread held its lock at the fork; a unit forked by the fork-server
 * cannot. The caller owns *out and frees it with pt_unit_destroy().
 * Thread-safe. */
PT_API int pt_unit_spawn(const struct pt_unit_opts *opts, pt_unit_fn *fn,
			 void *arg, pt_unit **out);

/* Waits up to timeout_ms (-1: forever, 0: poll) for the unit to end, then
 * reaps it and fills *status. Returns 0, or -ETIMEDOUT while it still runs
 * (the unit is untouched, join again later), -EINVAL for NULL arguments,
 * -EALREADY if it was joined before, -EPIPE when the fork-server that forked
 * it died first (its status is lost; it was killed with the server unless
 * it was to survive its parent), -ECHILD for a process forked directly and
 * reaped behind the library's back (a wait(-1) elsewhere, or SIGCHLD set to
 * SIG_IGN; its status is lost). While waiting, the unit's own
 * deadline is enforced (see pt_unit_opts.timeout_ms). Not thread-safe: one
 * thread at a time may join a unit, and not concurrently with
 * pt_unit_destroy() on it. */
PT_API int pt_unit_join(pt_unit *unit, int timeout_ms,
			struct pt_status *status);

/* Sends sig to a process unit through its pidfd, so a recycled pid can never
 * be hit. Returns 0; -ENOTSUP for a thread unit (threads cannot be killed
 * without corrupting their process: use pt_unit_cancel()); -ESRCH once the
 * unit was reaped; -EINVAL for a bad signal. Thread-safe, but not
 * concurrently with pt_unit_destroy() on the same unit. */
PT_API int pt_unit_kill(pt_unit *unit, int sig);

/* Asks the unit to stop: pt_cancelled() returns true inside it from now on.
 * Works for both kinds (for processes through shared memory); the unit
 * decides when to look. Returns 0 or -EINVAL. Thread-safe, but not
 * concurrently with pt_unit_destroy() on the same unit. */
PT_API int pt_unit_cancel(pt_unit *unit);

/* Inside a unit: true once pt_unit_cancel() was called on it, or its
 * deadline passed while it was joined. Outside any unit: false. Only the
 * unit's own thread (a process unit: the thread that runs fn) is inside
 * it; threads it starts are not. Thread-safe and async-signal-safe (one
 * atomic load). */
PT_API bool pt_cancelled(void);

/* Inside a unit: hands back len bytes, copied now; a later call replaces
 * them. Returns 0, -EMSGSIZE when len exceeds opts.result_capacity,
 * -EINVAL for a NULL buf with a non-zero len, -ESRCH outside a unit. buf
 * stays the caller's. Thread-safe (it writes the calling unit's own result)
 * and async-signal-safe (a copy and an atomic store); a handler that
 * interrupts the unit's own call may leave the two writes' bytes mixed. */
PT_API int pt_unit_set_result(const void *buf, size_t len);

/* After a successful join: the result bytes the unit handed back, valid until
 * pt_unit_destroy(); sets *len (0 if it handed back nothing). Returns NULL
 * and leaves *len alone when the unit is not joined yet. The bytes are owned
 * by the unit. Thread-safe once the join has returned, but not concurrently
 * with pt_unit_destroy() on the same unit. */
PT_API const void *pt_unit_result(const pt_unit *unit, size_t *len);

/* A descriptor that becomes readable when the unit ends (a pidfd for a
 * process forked directly, the socket that brings its status for one forked
 * by the fork-server, an eventfd for a thread), for poll/epoll. Owned by the
 * unit: do not close or read it. Returns the descriptor, or -EINVAL.
 * Thread-safe, but not concurrently with pt_unit_destroy() on the same
 * unit. */
PT_API int pt_unit_fd(const pt_unit *unit);

/* The unit's kind; 0 for NULL. Thread-safe, but not concurrently with
 * pt_unit_destroy() on the same unit. */
PT_API enum pt_kind pt_unit_kind(const pt_unit *unit);

/* The unit's process id (a thread unit: the caller's pid), or -EINVAL for
 * NULL. Thread-safe, but not concurrently with pt_unit_destroy() on the
 * same unit. */
PT_API int pt_unit_pid(const pt_unit *unit);

/* Frees the unit. A process unit still running is killed (SIGKILL) and
 * reaped; a thread unit still running is cancelled and waited for, since
 * its memory cannot be taken from under it. NULL does nothing. Not
 * thread-safe: no other call may be in flight on the unit, or follow. */
PT_API void pt_unit_destroy(pt_unit *unit);

/* "thread", "process" or "mpi"; "unknown" for anything else. A static
 * string. Thread-safe and async-signal-safe. */
PT_API const char *pt_kind_name(enum pt_kind kind);

/* A short name of how a unit ended: "returned", "exited", "signaled",
 * "crashed", "timed-out", "filtered", "none" (PT_EXIT_NONE); "unknown"
 * only for a value the library never produces. A static string.
 * Thread-safe and async-signal-safe. */
PT_API const char *pt_exit_name(enum pt_exit how);

#ifdef __cplusplus
}
#endif

#endif /* PROCTHREAD_UNIT_H */
