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
#include "util/fdpass.h"

#include <errno.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

/* Descriptors a received message has room for: one is expected, the
 * others a hostile sender may add are taken and closed. */
#define RECV_FDS 4

int pt_region_send_fd(const pt_region *region, int sock)
{
	uint64_t len;
	ssize_t n;

	if (!region)
		return -EINVAL;
	len = region->len;
	n = pt__fdpass_send(sock, &len, sizeof(len), &region->fd, 1, 0);
	if (n < 0)
		return (int)n;
	return n == (ssize_t)sizeof(len) ? 0 : -EPIPE;
}

int pt_region_recv_fd(int sock, pt_region **out)
{
	uint64_t len = 0;
	int fds[RECV_FDS];
	size_t nfds;
	int flags;
	ssize_t n;
	int fd;

	if (!out)
		return -EINVAL;
	n = pt__fdpass_recv(sock, &len, sizeof(len), fds, RECV_FDS, &nfds,
			    &flags);
	if (n < 0)
		return (int)n;
	/* The first descriptor is the region's; the rest are closed. */
	for (size_t i = 1; i < nfds; i++)
		close(fds[i]);
	fd = nfds ? fds[0] : -1;
	if (n == 0 && fd < 0)
		return -EPIPE;
	if (fd < 0)
		return -EBADMSG;
	if (n != (ssize_t)sizeof(len) || (flags & MSG_CTRUNC) ||
	    len > PT_REGION_MAX) {
		close(fd);
		return -EBADMSG;
	}
	return pt__region_adopt_fd(fd, (size_t)len, out);
}
