/* seqpacket.c - the PT_CHAN_SEQPACKET transport: a UNIX SOCK_SEQPACKET
 * socketpair, which keeps message boundaries itself.
 *
 * The end marker written by pt_chan_close() is a packet one byte longer
 * than any message may be, so no message is mistaken for it. A receiver
 * whose buffer is shorter than max_msg_bytes scatters into it and then
 * into a spill buffer of this handle: a message longer than the caller's
 * buffer is kept there whole (-EMSGSIZE now, delivered by the next call
 * with room). With PT_CHAN_MPMC the receivers of one process share the
 * handle, so there is no spill buffer: a buffer shorter than
 * max_msg_bytes is refused with -EMSGSIZE before anything is taken.
 *
 * The send buffer is enlarged so that a message of max_msg_bytes fits
 * (SO_SNDBUFFORCE where allowed, else up to net.core.wmem_max); a system
 * that refuses makes creation fail with -EMSGSIZE. The kernel also has a
 * limit of its own on one packet, below the buffer (about 4 MiB on Linux
 * 6 with 4 KiB pages: a larger send fails with ENOBUFS however large the
 * buffer), so creation sends one packet of the largest size this channel
 * will ever send, the end marker's, and reads it back: a channel is made
 * only if its messages and its end marker can be sent. (Without that, the
 * marker at the largest working message size was refused, and a receiver
 * asleep on an empty queue never learnt of the close.) How many packets
 * may wait is the kernel's net.unix.max_dgram_qlen, not opts.capacity.
 */
#include "chan/chan_internal.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/* What the kernel adds to a packet's size when it charges the buffer. */
#define PACKET_OVERHEAD 1024

struct seqpacket {
	int rfd;
	int wfd;
	size_t max_msg;
	unsigned char *spill; /* max_msg + 1 bytes */
	size_t pend_len;      /* a message kept after -EMSGSIZE */
	bool pending;	      /* SPSC only */
	atomic_bool eof;      /* the marker was read */
};

static struct seqpacket *impl(pt_chan *chan)
{
	return chan->impl;
}

static int size_buffer(int fd, size_t max_msg)
{
	size_t bytes = 2 * (max_msg + 1 + PACKET_OVERHEAD);
	int want;
	int got = 0;
	socklen_t len = sizeof(got);

	/* Checked before the cast: an int that overflowed is not negative
	 * by any rule C gives. */
	if (bytes > INT_MAX)
		return -EMSGSIZE;
	want = (int)bytes;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &want, sizeof(want)))
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want,
				 sizeof(want));
	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &got, &len) < 0)
		return -errno;
	/* The kernel doubles what it is given, and reports that. */
	return (size_t)got / 2 >= max_msg + 1 + PACKET_OVERHEAD / 2 ? 0
								    : -EMSGSIZE;
}

/* Sends one packet of max_msg + 1 bytes (zeros, from the fresh spill
 * buffer) through the new pair and discards it. Returns 0, -EMSGSIZE when
 * the kernel refuses a packet that large, or -errno. */
static int probe_packet(struct seqpacket *s)
{
	char c;
	ssize_t r;

	r = send(s->wfd, s->spill, s->max_msg + 1, MSG_NOSIGNAL);
	if (r < 0)
		return errno == ENOBUFS || errno == EMSGSIZE || errno == EAGAIN
			       ? -EMSGSIZE
			       : -errno;
	do
		r = recv(s->rfd, &c, 1, MSG_TRUNC);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

static int sp_create(pt_chan *chan)
{
	struct seqpacket *s = calloc(1, sizeof(*s));
	int sv[2];
	int rc;

	if (!s)
		return -ENOMEM;
	s->max_msg = chan->opts.max_msg_bytes;
	/* Zeroed: the close marker sends it whole, and uninitialised heap
	 * bytes must not reach the peer process. */
	s->spill = calloc(1, s->max_msg + 1);
	if (!s->spill) {
		rc = -ENOMEM;
		goto err_free;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK,
		       0, sv) < 0) {
		rc = -errno;
		goto err_free;
	}
	s->wfd = sv[0];
	s->rfd = sv[1];
	rc = size_buffer(s->wfd, s->max_msg);
	if (!rc)
		rc = probe_packet(s);
	if (!rc)
		rc = pt__chan_ctl_create(chan);
	if (rc)
		goto err_close;
	if (!chan->opts.capacity)
		chan->opts.capacity = 64;
	chan->impl = s;
	return 0;

err_close:
	close(sv[0]);
	close(sv[1]);
err_free:
	free(s->spill);
	free(s);
	return rc;
}

static void sp_destroy(pt_chan *chan)
{
	struct seqpacket *s = impl(chan);

	close(s->rfd);
	close(s->wfd);
	free(s->spill);
	free(s);
}

static int put(pt_chan *chan, const void *buf, size_t len,
	       const struct pt__wait *wait)
{
	ssize_t w;
	int rc;

	for (;;) {
		w = send(impl(chan)->wfd, buf, len, MSG_NOSIGNAL);
		if (w >= 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		rc = pt__chan_poll(chan, impl(chan)->wfd, POLLOUT, wait);
		if (rc)
			return rc;
	}
}

static int sp_send(pt_chan *chan, const void *buf, size_t len,
		   const struct pt__wait *wait)
{
	if (pt__chan_ctl_closed(chan))
		return -ESHUTDOWN;
	return put(chan, buf, len, wait);
}

/* Queues the end marker if there is room, without waiting: it only wakes
 * a receiver asleep on an empty queue, and a full queue has none. Its
 * bytes are a fresh buffer's: the spill buffer belongs to receivers. */
static void send_marker(pt_chan *chan)
{
	static const struct pt__wait nowait = { .nowait = true };
	void *marker = calloc(1, impl(chan)->max_msg + 1);

	if (marker)
		(void)put(chan, marker, impl(chan)->max_msg + 1, &nowait);
	free(marker);
}

static int sp_close(pt_chan *chan)
{
	int rc = pt__chan_ctl_close(chan);

	if (rc == 0)
		send_marker(chan);
	return rc;
}

/* The marker was read: this handle is done. With many receivers, pass it
 * on, so the next sleeping one wakes too. */
static int end_seen(pt_chan *chan)
{
	atomic_store_explicit(&impl(chan)->eof, true, memory_order_relaxed);
	if (chan->opts.flags & PT_CHAN_MPMC)
		send_marker(chan);
	return -ESHUTDOWN;
}

static int take_pending(struct seqpacket *s, void *buf, size_t cap, size_t *len)
{
	*len = s->pend_len;
	if (s->pend_len > cap)
		return -EMSGSIZE;
	memcpy(buf, s->spill, s->pend_len);
	s->pending = false;
	return 0;
}

/* One packet into buf, and into the spill buffer what does not fit when
 * cap < max_msg. Only the marker is longer than max_msg: a packet cut
 * short is the marker. */
static ssize_t get(struct seqpacket *s, void *buf, size_t cap)
{
	bool spill = cap < s->max_msg;
	size_t first = spill ? cap : s->max_msg + (cap > s->max_msg);
	struct iovec iov[2] = {
		{ .iov_base = buf, .iov_len = first },
		{ .iov_base = s->spill, .iov_len = s->max_msg + 1 - first },
	};
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = spill ? 2 : 1 };
	ssize_t r;

	do
		r = recvmsg(s->rfd, &msg, MSG_DONTWAIT);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (msg.msg_flags & MSG_TRUNC)
		return (ssize_t)s->max_msg + 1;
	if (spill && (size_t)r > cap && (size_t)r <= s->max_msg) {
		/* keep it whole in the spill buffer */
		memmove(s->spill + first, s->spill, (size_t)r - first);
		memcpy(s->spill, buf, first);
	}
	return r;
}

static int sp_recv(pt_chan *chan, void *buf, size_t cap, size_t *len,
		   const struct pt__wait *wait)
{
	struct seqpacket *s = impl(chan);
	bool closed;
	ssize_t r;
	int rc;

	if (chan->opts.flags & PT_CHAN_MPMC) {
		/* Receivers share this handle: no spill buffer, no state
		 * but the end flag; a short buffer is refused up front. */
		if (cap < s->max_msg) {
			*len = s->max_msg;
			return -EMSGSIZE;
		}
	} else if (s->pending) {
		return take_pending(s, buf, cap, len);
	}
	if (atomic_load_explicit(&s->eof, memory_order_relaxed))
		return -ESHUTDOWN;
	for (;;) {
		/* the flag first: what was sent before it is queued */
		closed = pt__chan_ctl_closed(chan);
		r = get(s, buf, cap);
		if (r >= 0)
			break;
		if (r != -EAGAIN)
			return (int)r;
		if (closed)
			return end_seen(chan);
		rc = pt__chan_poll(chan, s->rfd, POLLIN, wait);
		if (rc)
			return rc;
	}
	if ((size_t)r == s->max_msg + 1)
		return end_seen(chan);
	*len = (size_t)r;
	if ((size_t)r > cap) {
		s->pend_len = (size_t)r;
		s->pending = true;
		return -EMSGSIZE;
	}
	return 0;
}

const struct pt__chan_ops pt__chan_seqpacket_ops = {
	.create = sp_create,
	.send = sp_send,
	.recv = sp_recv,
	.close = sp_close,
	.destroy = sp_destroy,
};
