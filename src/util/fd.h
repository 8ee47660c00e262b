/* fd.h - waiting on descriptors. */
#ifndef PT_UTIL_FD_H
#define PT_UTIL_FD_H

/* Waits until fd is readable or timeout_ms passes (-1: forever), retrying
 * on EINTR with the time that is left. Returns 1 when readable, 0 on
 * timeout, -errno on failure. */
int pt__wait_readable(int fd, int timeout_ms);

#endif
