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

#endif
