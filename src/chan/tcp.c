/* tcp.c - the PT_CHAN_TCP transport: one TCP connection over loopback,
 * framed by stream.c.
 *
 * The connection is made at creation: a listener on 127.0.0.1 with a port
 * the kernel picks, a blocking connect to it, accept, and the listener is
 * closed at once, so no port stays open for anyone else to reach. Nagle's
 * algorithm is off (TCP_NODELAY): a channel sends each message when it is
 * given, as the other transports do.
 */
#include "chan/stream.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#define DEFAULT_CAPACITY 64

static int set_options(int fd)
{
	int one = 1;
	int fl = fcntl(fd, F_GETFL);

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0 ||
	    fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

static int tcp_create(pt_chan *chan)
{
	struct sockaddr_in addr = { .sin_family = AF_INET,
				    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(addr);
	int lfd, wfd = -1, rfd = -1;
	int rc;

	if (!chan->opts.capacity)
		chan->opts.capacity = DEFAULT_CAPACITY;
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return -errno;
	if (bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(lfd, 1) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&addr, &alen) < 0)
		goto err;
	wfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (wfd < 0)
		goto err;
	while (connect(wfd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		if (errno != EINTR)
			goto err;
	do
		rfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	while (rfd < 0 && errno == EINTR);
	if (rfd < 0)
		goto err;
	close(lfd);
	rc = set_options(wfd);
	if (!rc)
		rc = set_options(rfd);
	if (rc) {
		close(wfd);
		close(rfd);
		return rc;
	}
	return pt__stream_create(chan, rfd, wfd, true, 0);

err:
	rc = -errno;
	close(lfd);
	if (wfd >= 0)
		close(wfd);
	return rc;
}

const struct pt__chan_ops pt__chan_tcp_ops = PT__STREAM_OPS(tcp_create);
