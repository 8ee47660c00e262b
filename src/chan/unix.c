/* unix.c - the PT_CHAN_UNIX transport: a UNIX stream socketpair, framed by
 * stream.c. Messages go in at one socket and out at the other; both ends
 * stay open in every process holding the channel, so the peer's death is
 * seen through its pidfd, not through end of file. */
#include "chan/stream.h"

#include <errno.h>
#include <sys/socket.h>

#define DEFAULT_CAPACITY 64
/* A non-blocking write up to about half the send buffer (208 KiB by
 * default) goes out as one buffer, all or nothing; stay well below. */
#define UNIX_ATOMIC (32u << 10)

static int unix_create(pt_chan *chan)
{
	int sv[2];

	if (!chan->opts.capacity)
		chan->opts.capacity = DEFAULT_CAPACITY;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0,
		       sv) < 0)
		return -errno;
	return pt__stream_create(chan, sv[1], sv[0], true, UNIX_ATOMIC);
}

const struct pt__chan_ops pt__chan_unix_ops = PT__STREAM_OPS(unix_create);
