/* procthread/common.h - what every public header needs: the export macro
 * and the enums that more than one subsystem names.
 *
 * The library is built with -fvisibility=hidden: only declarations marked
 * PT_API are exported from libprocthread.so (and src/libprocthread.map lists
 * the same names), so the library's internals (pt__*) stay out of its ABI.
 */
#ifndef PROCTHREAD_COMMON_H
#define PROCTHREAD_COMMON_H

#if defined(__GNUC__) || defined(__clang__)
#define PT_API __attribute__((visibility("default")))
#else
#define PT_API
#endif

/* How a unit runs (pt_unit_opts.kind, and the kinds of pools, channels'
 * endpoints and supervised children). */
enum pt_kind {
	PT_KIND_THREAD = 1, /* a thread of the calling process */
	PT_KIND_PROCESS,    /* a forked child process */
	/* MPI ranks: a pool's workers only (procthread/pool.h with
	 * procthread/mpi.h); pt_unit_spawn() refuses it. */
	PT_KIND_MPI,
};

/* How a unit ended. */
enum pt_exit {
	PT_EXIT_NONE = 0,     /* no end to tell: it never ran (a pool task
				 cancelled or with no worker), or its end was
				 lost (its fork-server died first) */
	PT_EXIT_RETURNED = 1, /* fn returned; code is its return value */
	PT_EXIT_EXITED,	      /* called exit()/_exit() (processes) or
				 pthread_exit() (threads); code is its value */
	PT_EXIT_SIGNALED,     /* killed by a signal (e.g. SIGKILL, SIGTERM) */
	PT_EXIT_CRASHED,      /* SIGSEGV, SIGBUS, SIGILL, SIGFPE or SIGABRT */
	PT_EXIT_TIMED_OUT,    /* passed opts.timeout_ms: killed (process) or
				 cancelled and then ended (thread; code set) */
	PT_EXIT_FILTERED,     /* killed by its sandbox's seccomp filter for a
				 forbidden system call (signal is SIGSYS) */
};

#endif /* PROCTHREAD_COMMON_H */
