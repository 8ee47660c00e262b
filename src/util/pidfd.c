/* pidfd.c - pidfd syscalls. */
#include "util/pidfd.h"

#include <errno.h>
#include <sys/resource.h>
#include <string.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

int pt__pidfd_open(pid_t pid)
{
	long fd = syscall(SYS_pidfd_open, pid, 0);

	return fd < 0 ? -errno : (int)fd;
}

int pt__pidfd_send_signal(int pidfd, int sig)
{
	return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 ? -errno
								       : 0;
}

int pt__pidfd_reap(int pidfd, int *wstatus, struct rusage *ru)
{
	siginfo_t si;
	long rc;

	do {
		memset(&si, 0, sizeof(si));
		/* The raw call: glibc's waitid() has no rusage argument. */
		rc = syscall(SYS_waitid, P_PIDFD, pidfd, &si, WEXITED, ru);
	} while (rc < 0 && errno == EINTR);
	if (rc < 0)
		return -errno;
	if (wstatus) {
		if (si.si_code == CLD_EXITED)
			*wstatus = (si.si_status & 0xff) << 8;
		else
			*wstatus = (si.si_status & 0x7f) |
				   (si.si_code == CLD_DUMPED ? 0x80 : 0);
	}
	return 0;
}
