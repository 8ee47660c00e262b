/* child.h - the set-up every forked child of the library makes before it
 * runs user code, whoever forked it (the caller or the fork-server). */
#ifndef PT_UTIL_CHILD_H
#define PT_UTIL_CHILD_H

#include <stdint.h>
#include <sys/types.h>

/* In a just-forked child: makes it the leader of a process group of its own
 * when own_group is set, asks for SIGKILL when the parent goes away (unless
 * survive is set) and dies of SIGKILL at once if parent already went, restricts
 * the CPUs to cpu_mask (0: unchanged) and names the process (name may be
 * empty). Returns 0 or a positive errno to report to the parent. Only
 * async-signal-safe calls, so it may run after a fork of a threaded
 * program. */
int pt__child_setup(int survive, int own_group, pid_t parent, uint64_t cpu_mask,
		    const char *name);

/* In the parent of a child pid that leads its own group: kills every
 * process left in that group. Call it while pid is not yet reaped (a
 * zombie keeps its group and its number), so that the number cannot have
 * been reused by another group. */
void pt__child_end_group(pid_t pid);

#endif
