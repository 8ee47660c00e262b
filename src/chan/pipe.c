/* pipe.c - the PT_CHAN_PIPE transport: a pipe(2), framed by stream.c.
 *
 * The pipe is resized (F_SETPIPE_SZ) to hold the channel's capacity in
 * messages where the system allows it, up to /proc/sys/fs/pipe-max-size;
 * a refusal keeps the default 64 KiB, which only means the writer waits
 * sooner. Every process that holds the channel holds both ends, so a
 * write never raises SIGPIPE while its own handle is open.
 */
#include "chan/stream.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#define DEFAULT_CAPACITY 64
#define PIPE_MAX	 (1u << 20)

static int pipe_create(pt_chan *chan)
{
	uint64_t want;
	int fds[2];

	if (!chan->opts.capacity)
		chan->opts.capacity = DEFAULT_CAPACITY;
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	want = (uint64_t)chan->opts.capacity *
	       (chan->opts.max_msg_bytes + sizeof(uint32_t));
	if (want > PIPE_MAX)
		want = PIPE_MAX;
	if (want > 65536)
		(void)fcntl(fds[1], F_SETPIPE_SZ, (int)want);
	return pt__stream_create(chan, fds[0], fds[1], false, PIPE_BUF);
}

const struct pt__chan_ops pt__chan_pipe_ops = PT__STREAM_OPS(pipe_create);
