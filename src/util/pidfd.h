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

/* The caller's process id without a system call after the first in each
 * process: it is kept in a page that fork() hands the child zeroed
 * (MADV_WIPEONFORK), so a child never sees its parent's. Where that
 * cannot be set up, getpid() each time. Thread-safe and fork-safe. */
pid_t pt__self_pid(void);

/* 1 when process pid has ended (reaped or a zombie), 0 while it runs,
 * -errno when that cannot be told. */
int pt__pid_ended(pid_t pid);

struct rusage;

/* Waits for the process of pidfd to end and reaps it (waitid with P_PIDFD,
 * Linux >= 5.4), retrying on EINTR. Reaping by pidfd, never by pid, is what
 * keeps a process reaped elsewhere (a wait(-1), SIGCHLD ignored) from
 * being mistaken for a new child that got its pid. Fills *wstatus in
 * wait(2)'s form and *ru, each when not NULL. Returns 0, or -errno:
 * -ECHILD when it was reaped elsewhere. */
int pt__pidfd_reap(int pidfd, int *wstatus, struct rusage *ru);

#endif
