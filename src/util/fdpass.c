/* fdpass.c - one message with descriptors over a UNIX socket (fdpass.h).
 * Only async-signal-safe calls: sendmsg, recvmsg, close, memcpy, memset. */
#include "util/fdpass.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A control buffer for the most descriptors, aligned for its header. */
union cmsg_space {
	struct cmsghdr hdr;
	char buf[CMSG_SPACE(sizeof(int) * PT__FDPASS_MAX)];
};

ssize_t pt__fdpass_send(int sock, const void *buf, size_t len, const int *fds,
			size_t nfds, int flags)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	union cmsg_space ctl;
	struct cmsghdr *cmsg;
	ssize_t n;

	if (nfds > PT__FDPASS_MAX)
		return -EINVAL;
	if (nfds) {
		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(cmsg), fds, nfds * sizeof(int));
	}
	do
		n = sendmsg(sock, &msg, flags | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

ssize_t pt__fdpass_recv(int sock, void *buf, size_t len, int *fds,
			size_t max_fds, size_t *nfds, int *msg_flags)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	union cmsg_space ctl;
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.buf,
	};
	ssize_t n;

	*nfds = 0;
	if (max_fds > PT__FDPASS_MAX)
		return -EINVAL;
	/* Room for max_fds only, as the caller asked: a sender that attaches
	 * more gets MSG_CTRUNC, not a descriptor table filled for it. */
	msg.msg_controllen = CMSG_SPACE(max_fds * sizeof(int));
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c;
	     c = CMSG_NXTHDR(&msg, c)) {
		size_t k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			if (*nfds < max_fds)
				fds[(*nfds)++] = fd;
			else
				close(fd);
		}
	}
	if (msg_flags)
		*msg_flags = msg.msg_flags;
	return n;
}
