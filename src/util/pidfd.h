/* pidfd.h - process file descriptors (Linux >= 5.3), via raw syscalls since
 * glibc 2.36 is the first to wrap them. */
#ifndef PT_UTIL_PIDFD_H
#define PT_UTIL_PIDFD_H

#include <signal.h>
#include <sys/types.h>

/* A CLOEXEC pidfd for pid, or -errno. */
int pt__pidfd_open(pid_t pid);

/* Sends sig through pidfd: 0 or -errno. */
int pt__pidfd_send_signal(int pidfd, int sig);

/* Waits until fd is readable or timeout_ms passes (-1: forever), retrying
 * on EINTR with the time that is left. Returns 1 when readable, 0 on
 * timeout, -errno on failure. */
int pt__wait_readable(int fd, int timeout_ms);

#endif
