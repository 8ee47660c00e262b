/* child.c - set-up of a forked child before user code runs. */
#include "util/child.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

int pt__child_setup(int survive, int own_group, pid_t parent, uint64_t cpu_mask,
		    const char *name)
{
	/* First: what the child forks from here on is in the group. */
	if (own_group && setpgid(0, 0) < 0)
		return errno;
	if (!survive) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
			return errno;
		/* The parent may have died before the prctl took effect:
		 * end as the death signal would have ended us. */
		if (getppid() != parent)
			raise(SIGKILL);
	}
	if (cpu_mask) {
		cpu_set_t cpus;

		CPU_ZERO(&cpus);
		for (int cpu = 0; cpu < 64; cpu++)
			if (cpu_mask & ((uint64_t)1 << cpu))
				CPU_SET(cpu, &cpus);
		if (sched_setaffinity(0, sizeof(cpus), &cpus) < 0)
			return errno;
	}
	if (name && name[0])
		prctl(PR_SET_NAME, name);
	return 0;
}

void pt__child_end_group(pid_t pid)
{
	/* ESRCH: the group is empty, or was never made (the child died
	 * before its set-up). */
	if (pid > 0)
		kill(-pid, SIGKILL);
}
