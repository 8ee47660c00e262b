/* fdpass.c - handing a region to an unrelated process over a UNIX socket.
 *
 * The message is the region's length (8 bytes) with its descriptor attached
 * as SCM_RIGHTS. The receiver trusts neither: it takes the descriptor
 * close-on-exec (MSG_CMSG_CLOEXEC, so a concurrent exec elsewhere in the
 * process cannot leak it), closes any extra descriptors a hostile sender
 * attached, and maps it only once the kernel confirms a sealed size equal
 * to the length sent (pt__region_adopt_fd()).
 */
#include "region/region_internal.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

union cmsg_space {
	struct cmsghdr hdr;
	char buf[CMSG_SPACE(sizeof(int) * 4)];
};

int pt_region_send_fd(int sock, const pt_region *region)
{
	uint64_t len;
	struct iovec iov = { .iov_base = &len, .iov_len = sizeof(len) };
	union cmsg_space ctl;
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.buf,
		.msg_controllen = CMSG_SPACE(sizeof(int)),
	};
	struct cmsghdr *cmsg;
	ssize_t n;

	if (!region)
		return -EINVAL;
	len = region->len;
	memset(&ctl, 0, sizeof(ctl));
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &region->fd, sizeof(int));
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == (ssize_t)sizeof(len) ? 0 : -EPIPE;
}

/* Collects the descriptors in msg: returns the first, closes the rest.
 * Returns -1 when none came. */
static int take_fds(struct msghdr *msg)
{
	int first = -1;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c;
	     c = CMSG_NXTHDR(msg, c)) {
		size_t n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int),
			       sizeof(int));
			if (first < 0)
				first = fd;
			else
				close(fd);
		}
	}
	return first;
}

int pt_region_recv_fd(int sock, pt_region **out)
{
	uint64_t len = 0;
	struct iovec iov = { .iov_base = &len, .iov_len = sizeof(len) };
	union cmsg_space ctl;
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf),
	};
	ssize_t n;
	int fd;

	if (!out)
		return -EINVAL;
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	fd = take_fds(&msg);
	if (n == 0 && fd < 0)
		return -EPIPE;
	if (fd < 0)
		return -EBADMSG;
	if (n != (ssize_t)sizeof(len) || (msg.msg_flags & MSG_CTRUNC) ||
	    len > PT_REGION_MAX) {
		close(fd);
		return -EBADMSG;
	}
	return pt__region_adopt_fd(fd, (size_t)len, out);
}
