/* chan.c - the channel front end: one API over several transports.
 *
 * A channel is a handle that holds a transport's ops table and state
 * (shm.c, the ring, and one file per kernel transport: pipe.c, unix.c,
 * tcp.c, seqpacket.c, mqueue.c, and locked.c for the threads-only mutex
 * queue). This file validates options and arguments, turns timeouts into
 * deadlines, and keeps the pidfds of the processes a channel watches
 * (pt_chan_watch()). What the transports share - dead-peer detection, the
 * wait on a descriptor, the closed flag of kernel transports - is in
 * wait.c, a leaf, so no transport calls back into this file.
 */
#include "chan/chan_internal.h"
#include "util/clock.h"
#include "util/pidfd.h"
#include "util/sized.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct pt__chan_ops *const transports[PT_CHAN_TRANSPORT_COUNT] = {
	[PT_CHAN_SHM] = &pt__chan_shm_ops,
	[PT_CHAN_PIPE] = &pt__chan_pipe_ops,
	[PT_CHAN_UNIX] = &pt__chan_unix_ops,
	[PT_CHAN_SEQPACKET] = &pt__chan_seqpacket_ops,
	[PT_CHAN_MQUEUE] = &pt__chan_mqueue_ops,
	[PT_CHAN_TCP] = &pt__chan_tcp_ops,
	[PT_CHAN_LOCKED] = &pt__chan_locked_ops,
};

static const char *const names[PT_CHAN_TRANSPORT_COUNT] = {
	[PT_CHAN_SHM] = "shm",	     [PT_CHAN_PIPE] = "pipe",
	[PT_CHAN_UNIX] = "unix",     [PT_CHAN_SEQPACKET] = "seqpacket",
	[PT_CHAN_MQUEUE] = "mqueue", [PT_CHAN_TCP] = "tcp",
	[PT_CHAN_LOCKED] = "locked",
};

const char *pt_chan_transport_name(enum pt_chan_transport transport)
{
	if (transport == PT_CHAN_MPI)
		return "mpi";
	if ((unsigned)transport >= PT_CHAN_TRANSPORT_COUNT)
		return "unknown";
	return names[transport];
}

static bool is_stream(enum pt_chan_transport t)
{
	return t == PT_CHAN_PIPE || t == PT_CHAN_UNIX || t == PT_CHAN_TCP;
}

/* Copies opts (an older, smaller struct reads as zeros past its size) and
 * fills in defaults. */
static int take_opts(const struct pt_chan_opts *opts, struct pt_chan_opts *o)
{
	if (pt__read_sized(o, sizeof(*o), opts,
			   offsetof(struct pt_chan_opts, spin_ns)))
		return -EINVAL;
	if (o->kind == 0)
		o->kind = PT_KIND_PROCESS;
	if (o->kind != PT_KIND_THREAD && o->kind != PT_KIND_PROCESS)
		return -EINVAL;
	if (o->flags & ~PT_CHAN_MPMC)
		return -EINVAL;
	if (o->max_msg_bytes == 0)
		o->max_msg_bytes = PT__CHAN_DEFAULT_MSG;
	if (o->max_msg_bytes > PT_CHAN_MSG_MAX)
		return -EINVAL;
	if (o->transport == PT_CHAN_LOCKED && o->kind != PT_KIND_THREAD)
		return -ENOTSUP;
	if ((o->flags & PT_CHAN_MPMC) && is_stream(o->transport))
		return -ENOTSUP;
	return 0;
}

/* ops NULL: the table's transport, which opts names. Else a transport
 * from outside the table (pt__chan_create_ops()). */
static int create(const struct pt_chan_opts *opts,
		  const struct pt__chan_ops *ops, void *arg, pt_chan **out)
{
	pt_chan *chan;
	int rc;

	if (!opts || !out)
		return -EINVAL;
	chan = calloc(1, sizeof(*chan));
	if (!chan)
		return -ENOMEM;
	rc = take_opts(opts, &chan->opts);
	if (rc)
		goto err_free;
	if (!ops) {
		rc = chan->opts.transport == PT_CHAN_MPI ? -ENOTSUP : -EINVAL;
		if ((unsigned)chan->opts.transport >= PT_CHAN_TRANSPORT_COUNT)
			goto err_free;
		ops = transports[chan->opts.transport];
	}
	chan->ops = ops;
	chan->impl = arg;
	chan->shared = chan->opts.kind == PT_KIND_PROCESS;
	rc = chan->ops->create(chan);
	if (rc)
		goto err_free;
	*out = chan;
	return 0;

err_free:
	pt_region_destroy(chan->ctl);
	free(chan);
	return rc;
}

int pt_chan_create(const struct pt_chan_opts *opts, pt_chan **out)
{
	return create(opts, NULL, NULL, out);
}

int pt__chan_create_ops(const struct pt_chan_opts *opts,
			enum pt_chan_transport transport,
			const struct pt__chan_ops *ops, void *arg,
			pt_chan **out)
{
	struct pt_chan_opts o;

	if (!opts || !ops ||
	    opts->size < offsetof(struct pt_chan_opts, spin_ns))
		return -EINVAL;
	memset(&o, 0, sizeof(o));
	memcpy(&o, opts, opts->size < sizeof(o) ? opts->size : sizeof(o));
	o.size = sizeof(o);
	o.transport = transport;
	return create(&o, ops, arg, out);
}

void pt_chan_destroy(pt_chan *chan)
{
	if (!chan)
		return;
	chan->ops->destroy(chan);
	pt_region_destroy(chan->ctl);
	for (int i = 0; i < chan->nwatch; i++)
		close(chan->watch_fd[i]);
	free(chan);
}

int pt_chan_get_opts(const pt_chan *chan, struct pt_chan_opts *opts)
{
	if (!chan || !opts)
		return -EINVAL;
	*opts = chan->opts;
	return 0;
}

/* --- dead peers ------------------------------------------------------------
 */

int pt_chan_watch(pt_chan *chan, int pid)
{
	int fd;

	if (!chan || pid <= 0 || pid == getpid())
		return -EINVAL;
	if (chan->nwatch == PT__CHAN_WATCH_MAX)
		return -ENOSPC;
	fd = pt__pidfd_open(pid);
	if (fd < 0)
		return fd;
	chan->watch_fd[chan->nwatch++] = fd;
	return 0;
}

/* --- calls -----------------------------------------------------------------
 */

static struct pt__wait wait_for(int timeout_ms)
{
	return (struct pt__wait){
		.deadline_ns =
			timeout_ms > 0 ? pt__deadline_after_ms(timeout_ms) : 0,
		.nowait = timeout_ms == 0,
	};
}

/* Send, receive, reserve and peek try the transport's fast path first,
 * and compute the deadline only when it says -EAGAIN: a call that finds room or
 * a message reads no clock (on a VM a clock read costs as much as a tenth of a
 * cross-CPU round trip). */
int pt_chan_send(pt_chan *chan, const void *buf, size_t len, int timeout_ms)
{
	struct pt__wait wait;
	int rc;

	if (!chan || (!buf && len))
		return -EINVAL;
	if (len > chan->opts.max_msg_bytes)
		return -EMSGSIZE;
	if (chan->ops->try_send) {
		rc = chan->ops->try_send(chan, buf, len);
		if (rc != -EAGAIN)
			return rc;
	}
	wait = wait_for(timeout_ms);
	return chan->ops->send(chan, buf, len, &wait);
}

int pt_chan_recv(pt_chan *chan, void *buf, size_t cap, size_t *len,
		 int timeout_ms)
{
	struct pt__wait wait;
	int rc;

	if (!chan || !len || (!buf && cap))
		return -EINVAL;
	if (chan->ops->try_recv) {
		rc = chan->ops->try_recv(chan, buf, cap, len);
		if (rc != -EAGAIN)
			return rc;
	}
	wait = wait_for(timeout_ms);
	return chan->ops->recv(chan, buf, cap, len, &wait);
}

int pt_chan_try_send(pt_chan *chan, const void *buf, size_t len)
{
	return pt_chan_send(chan, buf, len, 0);
}

int pt_chan_try_recv(pt_chan *chan, void *buf, size_t cap, size_t *len)
{
	return pt_chan_recv(chan, buf, cap, len, 0);
}

int pt_chan_reserve(pt_chan *chan, size_t len, struct pt_chan_msg *msg,
		    int timeout_ms)
{
	struct pt__wait wait;
	int rc;

	if (!chan || !msg)
		return -EINVAL;
	if (!chan->ops->reserve)
		return -ENOTSUP;
	if (len > chan->opts.max_msg_bytes)
		return -EMSGSIZE;
	if (chan->ops->try_reserve) {
		rc = chan->ops->try_reserve(chan, len, msg);
		if (rc != -EAGAIN)
			return rc;
	}
	wait = wait_for(timeout_ms);
	return chan->ops->reserve(chan, len, msg, &wait);
}

int pt_chan_commit(pt_chan *chan, struct pt_chan_msg *msg)
{
	if (!chan || !msg)
		return -EINVAL;
	if (!chan->ops->commit)
		return -ENOTSUP;
	return chan->ops->commit(chan, msg);
}

int pt_chan_peek(pt_chan *chan, struct pt_chan_msg *msg, int timeout_ms)
{
	struct pt__wait wait;
	int rc;

	if (!chan || !msg)
		return -EINVAL;
	if (!chan->ops->peek)
		return -ENOTSUP;
	if (chan->ops->try_peek) {
		rc = chan->ops->try_peek(chan, msg);
		if (rc != -EAGAIN)
			return rc;
	}
	wait = wait_for(timeout_ms);
	return chan->ops->peek(chan, msg, &wait);
}

int pt_chan_release(pt_chan *chan, struct pt_chan_msg *msg)
{
	if (!chan || !msg)
		return -EINVAL;
	if (!chan->ops->release)
		return -ENOTSUP;
	return chan->ops->release(chan, msg);
}

int pt_chan_close(pt_chan *chan)
{
	if (!chan)
		return -EINVAL;
	return chan->ops->close(chan);
}
