/* fd.h - waiting on descriptors, and closing all but a few in a child. */
#ifndef PT_UTIL_FD_H
#define PT_UTIL_FD_H

#include <stddef.h>

/* Waits until fd is readable or timeout_ms passes (-1: forever), retrying
 * on EINTR with the time that is left. Returns 1 when readable, 0 on
 * timeout, -errno on failure. */
int pt__wait_readable(int fd, int timeout_ms);

/* The most descriptors pt__close_all_but() keeps. */
#define PT__FD_KEEP_MAX 72

/* Closes every descriptor from 3 up but the n in keep (any order;
 * entries below 3 are ignored; at most PT__FD_KEEP_MAX, else EINVAL and
 * nothing is closed). Async-signal-safe: for a child after fork. Returns
 * 0 or a positive errno value. */
int pt__close_all_but(const int *keep, size_t n);

#endif
