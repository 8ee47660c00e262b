/* fdpass.h - one message with descriptors over a UNIX socket (SCM_RIGHTS):
 * the plumbing the fork-server's two sides and pt_region_send_fd()/recv_fd()
 * share. Async-signal-safe: the fork-server calls it between fork and the
 * unit's function. */
#ifndef PT_UTIL_FDPASS_H
#define PT_UTIL_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

/* Most descriptors one message carries either way. */
#define PT__FDPASS_MAX 32

/* Sends len bytes from buf as one message with the nfds descriptors of fds
 * attached (none when nfds is 0; at most PT__FDPASS_MAX). flags go to
 * sendmsg(), MSG_NOSIGNAL always added; EINTR is retried. Returns the bytes
 * sent or -errno (-EINVAL for too many descriptors). */
ssize_t pt__fdpass_send(int sock, const void *buf, size_t len, const int *fds,
			size_t nfds, int flags);

/* Receives one message of up to len bytes into buf, with room for max_fds
 * descriptors (at most PT__FDPASS_MAX): the kernel discards what does not
 * fit and sets MSG_CTRUNC. The descriptors come close-on-exec
 * (MSG_CMSG_CLOEXEC: a concurrent exec elsewhere cannot leak them); up to
 * max_fds go into fds, in order, and *nfds says how many; any more that
 * the control buffer's rounding let through are closed. *msg_flags (when
 * not NULL) gets the message's flags. EINTR is retried. Returns the bytes
 * received (0 at end-of-file, which may still carry descriptors) or
 * -errno, with no descriptor taken. */
ssize_t pt__fdpass_recv(int sock, void *buf, size_t len, int *fds,
			size_t max_fds, size_t *nfds, int *msg_flags);

#endif
