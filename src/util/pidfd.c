/* pidfd.c - pidfd syscalls. */
#include "util/pidfd.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
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

static _Atomic pid_t *pid_page; /* NULL: no wipe-on-fork page */
static pthread_once_t pid_page_once = PTHREAD_ONCE_INIT;

static void pid_page_init(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return;
	if (madvise(p, 4096, MADV_WIPEONFORK)) {
		munmap(p, 4096);
		return;
	}
	pid_page = p;
}

pid_t pt__self_pid(void)
{
	pid_t pid;

	pthread_once(&pid_page_once, pid_page_init);
	if (!pid_page)
		return getpid();
	pid = atomic_load_explicit(pid_page, memory_order_relaxed);
	if (pid == 0) {
		pid = getpid();
		atomic_store_explicit(pid_page, pid, memory_order_relaxed);
	}
	return pid;
}

int pt__pid_ended(pid_t pid)
{
	struct pollfd pfd;
	int fd = pt__pidfd_open(pid);
	int rc;

	if (fd == -ESRCH)
		return 1;
	if (fd < 0)
		return fd;
	/* A pidfd polls readable once its process has exited, zombie or
	 * not: the owner of a killed process may not have reaped it. */
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	do
		rc = poll(&pfd, 1, 0);
	while (rc < 0 && errno == EINTR);
	rc = rc < 0 ? -errno : rc > 0;
	close(fd);
	return rc;
}
