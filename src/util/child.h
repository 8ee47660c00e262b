/* child.h - the set-up every forked child of the library makes before it
 * runs user code, whoever forked it (the caller or the fork-server). */
#ifndef PT_UTIL_CHILD_H
#define PT_UTIL_CHILD_H

#include <stdint.h>
#include <sys/types.h>

/* In a just-forked child: asks for SIGKILL when the parent goes away (unless
 * survive is set) and dies of SIGKILL at once if parent already went, restricts
 * the CPUs to cpu_mask (0: unchanged) and names the process (name may be
 * empty). Returns 0 or a positive errno to report to the parent. Only
 * async-signal-safe calls, so it may run after a fork of a threaded
 * program. */
int pt__child_setup(int survive, pid_t parent, uint64_t cpu_mask,
		    const char *name);

#endif
