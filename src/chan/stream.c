/* stream.c - length-prefixed messages over a byte stream, for the pipe,
 * UNIX stream and TCP transports.
 *
 * A message is a 4-byte length in host order, then its bytes; the length
 * 0xffffffff is the end marker pt_chan_close() writes. Both descriptors are
 * non-blocking: every call first tries the system call and poll()s only
 * when it would block, together with the watched processes' pidfds
 * (pt__chan_poll()), so a dead writer ends a wait at once.
 *
 * Every call keeps its timeout, also in the middle of a frame, and the
 * stream still stays in frame: the handle keeps what a call could not
 * finish and the next call resumes it.
 * - A receiver that has read part of a frame when its time is up copies
 *   the part into the handle (part) and returns -ETIMEDOUT (-EAGAIN for
 *   a timeout of 0); the next receive starts from there. Nothing is lost
 *   and nothing torn is delivered.
 * - A sender that has written part of a frame when its time is up copies
 *   the rest into the handle (tx) and returns 0: the message is sent as
 *   far as the caller is concerned, as if the stream's buffer were that
 *   much larger. The next send, or pt_chan_close(), writes the rest
 *   first; a send that cannot finish it in its own time returns -EAGAIN
 *   or -ETIMEDOUT with nothing of its own message written. So a try_send
 *   never waits, and a receiver never sees a frame interleaved with
 *   another.
 * A writer killed mid-frame leaves a torn frame that a watching reader
 * discards with -EPIPE; one that is not watched is indistinguishable from
 * a slow writer (the reader holds a write end of its own), and its reader
 * gets -ETIMEDOUT each time.
 *
 * The receiver reads ahead into a buffer so that a stream of small
 * messages costs one read() for many; a payload too large for the buffer
 * is read straight into the caller's. The length read from the stream is
 * checked against max_msg before any use: a peer writing garbage gets
 * -EBADMSG, for good, since the framing is lost.
 */
#include "chan/stream.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define END_MARKER 0xffffffffu
#define RX_BYTES   (64u << 10)

static struct pt__stream *impl(pt_chan *chan)
{
	return chan->impl;
}

static const struct pt__wait forever = { 0 };

int pt__stream_create(pt_chan *chan, int rfd, int wfd, bool socket,
		      size_t atomic_max)
{
	struct pt__stream *s = calloc(1, sizeof(*s));
	int rc;

	if (!s) {
		rc = -ENOMEM;
		goto err_close;
	}
	s->rx = malloc(RX_BYTES);
	if (!s->rx) {
		rc = -ENOMEM;
		goto err_free;
	}
	rc = pt__chan_ctl_create(chan);
	if (rc)
		goto err_free;
	s->rx_cap = RX_BYTES;
	s->rfd = rfd;
	s->wfd = wfd;
	s->socket = socket;
	s->atomic_max = atomic_max;
	s->max_msg = chan->opts.max_msg_bytes;
	chan->impl = s;
	return 0;

err_free:
	if (s)
		free(s->rx);
	free(s);
err_close:
	close(rfd);
	close(wfd);
	return rc;
}

void pt__stream_destroy(pt_chan *chan)
{
	struct pt__stream *s = impl(chan);

	close(s->rfd);
	close(s->wfd);
	free(s->rx);
	free(s->part);
	free(s->tx);
	free(s);
}

/* --- sending ------------------------------------------------------------ */

static ssize_t put(const struct pt__stream *s, struct iovec *iov, int n)
{
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = (size_t)n };
	ssize_t w;

	do
		w = s->socket ? sendmsg(s->wfd, &msg, MSG_NOSIGNAL)
			      : writev(s->wfd, iov, n);
	while (w < 0 && errno == EINTR);
	return w < 0 ? -errno : w;
}

/* Writes the rest of a frame an earlier call left in the handle, waiting
 * as wait says. Returns 0 once nothing is left, else as pt__chan_poll() or
 * -errno; what is still left stays for the next call. */
static int flush_held(pt_chan *chan, const struct pt__wait *wait)
{
	struct pt__stream *s = impl(chan);
	struct iovec iov;
	ssize_t w;
	int rc;

	while (s->tx_len) {
		iov = (struct iovec){ .iov_base = s->tx + s->tx_off,
				      .iov_len = s->tx_len };
		w = put(s, &iov, 1);
		if (w == -EAGAIN) {
			rc = pt__chan_poll(chan, s->wfd, POLLOUT, wait);
			if (rc)
				return rc;
			continue;
		}
		if (w < 0)
			return (int)w;
		s->tx_off += (size_t)w;
		s->tx_len -= (size_t)w;
	}
	return 0;
}

/* Keeps what is left of iov[0..n) in the handle (s->tx, allocated before
 * the frame was begun), for flush_held(). */
static void hold(struct pt__stream *s, const struct iovec *iov, int n)
{
	size_t off = 0;

	for (int i = 0; i < n; i++) {
		memcpy(s->tx + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	s->tx_off = 0;
	s->tx_len = off;
}

/* Writes iov[0..n) (total bytes), first the rest of an earlier frame,
 * waiting as wait says. Until the first byte of this frame is out, a
 * timeout returns with nothing of it written; after that, the rest is
 * held in the handle and the call returns 0 (see the top of this file).
 * A frame the kernel would take all or nothing is just tried; a larger
 * one first waits for the descriptor to poll writable, which promises
 * room for a good part of the send buffer, so that a frame is rarely
 * held. */
static int put_all(pt_chan *chan, struct iovec *iov, int n, size_t total,
		   const struct pt__wait *wait)
{
	struct pt__stream *s = impl(chan);
	bool begun = false;
	ssize_t w;
	int rc;

	rc = flush_held(chan, wait);
	if (rc)
		return rc;
	if (total > s->atomic_max) {
		/* Before any byte: holding the rest must not fail later. */
		if (!s->tx) {
			s->tx = malloc(s->max_msg + sizeof(uint32_t));
			if (!s->tx)
				return -ENOMEM;
		}
		rc = pt__chan_poll(chan, s->wfd, POLLOUT, wait);
		if (rc)
			return rc;
	}
	while (n > 0) {
		w = put(s, iov, n);
		if (w == -EAGAIN) {
			/* A frame the kernel should have taken whole but cut
			 * short has no room allocated yet: find some, or
			 * (out of memory) finish it waiting, as framing
			 * matters more than the timeout. */
			if (begun && !s->tx)
				s->tx = malloc(s->max_msg + sizeof(uint32_t));
			rc = pt__chan_poll(chan, s->wfd, POLLOUT,
					   begun && !s->tx ? &forever : wait);
			/* Only with room: a poll without a deadline does
			 * not run out. */
			if (begun && s->tx &&
			    (rc == -EAGAIN || rc == -ETIMEDOUT)) {
				hold(s, iov, n);
				return 0;
			}
			if (rc)
				return rc;
			continue;
		}
		if (w < 0)
			return (int)w;
		begun = true;
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

int pt__stream_send(pt_chan *chan, const void *buf, size_t len,
		    const struct pt__wait *wait)
{
	uint32_t hdr = (uint32_t)len;
	struct iovec iov[2] = {
		{ .iov_base = &hdr, .iov_len = sizeof(hdr) },
		{ .iov_base = (void *)buf, .iov_len = len },
	};

	if (pt__chan_ctl_closed(chan))
		return -ESHUTDOWN;
	return put_all(chan, iov, len ? 2 : 1, sizeof(hdr) + len, wait);
}

int pt__stream_close(pt_chan *chan)
{
	uint32_t marker = END_MARKER;
	struct iovec iov = { .iov_base = &marker, .iov_len = sizeof(marker) };
	ssize_t w;
	int rc = pt__chan_ctl_close(chan);

	if (rc)
		return rc;
	/* A message this handle holds in part was sent as far as its
	 * sender knows: it goes out before the end. Its first bytes are in
	 * the stream, so a receiver is still reading and makes room; only a
	 * watched death stops this, and then nobody reads anyway. */
	if (flush_held(chan, &forever))
		return 0;
	/* The marker only wakes a receiver asleep on an empty stream. If
	 * there is no room, the stream is not empty and the receiver will
	 * find the flag once it has drained it. */
	w = put(impl(chan), &iov, 1);
	if (w > 0 && (size_t)w < sizeof(marker)) {
		iov.iov_base = (char *)&marker + w;
		iov.iov_len -= (size_t)w;
		/* Begun: finish it, or the stream is out of frame. With
		 * no deadline nothing is held: this waits, as above. */
		(void)put_all(chan, &iov, 1, 0, &forever);
	}
	return 0;
}

/* --- receiving ------------------------------------------------------------ */

static size_t avail(const struct pt__stream *s)
{
	return s->rx_tail - s->rx_head;
}

/* Reads what the stream has into the read-ahead buffer. Returns the bytes
 * read, -EAGAIN, -EPIPE at end of file (every writer's descriptor closed),
 * or -errno. */
static ssize_t fill(struct pt__stream *s)
{
	ssize_t r;

	if (s->rx_head == s->rx_tail) {
		s->rx_head = 0;
		s->rx_tail = 0;
	} else if (s->rx_head > 0) {
		memmove(s->rx, s->rx + s->rx_head, avail(s));
		s->rx_tail -= s->rx_head;
		s->rx_head = 0;
	}
	do
		r = read(s->rfd, s->rx + s->rx_tail, s->rx_cap - s->rx_tail);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -EPIPE;
	s->rx_tail += (size_t)r;
	return r;
}

/* Nothing at all to read: closed and drained, or wait for more. */
static int wait_for_header(pt_chan *chan, const struct pt__wait *wait)
{
	struct pt__stream *s = impl(chan);
	ssize_t r;

	if (avail(s) == 0 && pt__chan_ctl_closed(chan)) {
		/* What was sent before the close is queued by now. */
		r = fill(s);
		if (r == -EAGAIN) {
			s->eof = true;
			return -ESHUTDOWN;
		}
		return r < 0 ? (int)r : 0;
	}
	/* A header begun keeps its bytes in the read-ahead buffer: waiting
	 * for the rest may time out like any wait. */
	return pt__chan_poll(chan, s->rfd, POLLIN, wait);
}

static int read_header(pt_chan *chan, const struct pt__wait *wait)
{
	struct pt__stream *s = impl(chan);
	ssize_t r;
	int rc;

	while (avail(s) < sizeof(uint32_t)) {
		r = fill(s);
		if (r > 0)
			continue;
		if (r != -EAGAIN)
			return (int)r;
		rc = wait_for_header(chan, wait);
		if (rc)
			return rc;
	}
	memcpy(&s->msg_len, s->rx + s->rx_head, sizeof(uint32_t));
	s->rx_head += sizeof(uint32_t);
	if (s->msg_len == END_MARKER) {
		s->eof = true;
		return -ESHUTDOWN;
	}
	if (s->msg_len > s->max_msg) {
		s->broken = true;
		return -EBADMSG;
	}
	s->have_hdr = true;
	return 0;
}

/* Reads the payload's len bytes into buf: what an earlier call kept
 * (s->part), then the read-ahead buffer, then the stream, waiting as wait
 * says. A wait that runs out keeps what was read in s->part and returns
 * -ETIMEDOUT or -EAGAIN; any other error leaves the frame torn. */
static int read_payload(pt_chan *chan, unsigned char *buf, size_t len,
			const struct pt__wait *wait)
{
	struct pt__stream *s = impl(chan);
	size_t got = s->part_got;
	size_t n;
	ssize_t r;
	int rc;

	/* part_got is set only where part was allocated. */
	if (got && s->part)
		memcpy(buf, s->part, got);
	n = avail(s) < len - got ? avail(s) : len - got;
	if (n)
		memcpy(buf + got, s->rx + s->rx_head, n);
	s->rx_head += n;
	got += n;
	while (got < len) {
		if (len - got >= s->rx_cap / 2) {
			do
				r = read(s->rfd, buf + got, len - got);
			while (r < 0 && errno == EINTR);
			r = r < 0 ? -errno : r == 0 ? -EPIPE : r;
			if (r > 0)
				got += (size_t)r;
		} else {
			r = fill(s);
			if (r > 0) {
				n = avail(s) < len - got ? avail(s) : len - got;
				memcpy(buf + got, s->rx + s->rx_head, n);
				s->rx_head += n;
				got += n;
			}
		}
		if (r == -EAGAIN) {
			rc = pt__chan_poll(chan, s->rfd, POLLIN, wait);
			/* part was allocated before a payload that was not
			 * all read ahead, the only kind that waits. */
			if ((rc == -EAGAIN || rc == -ETIMEDOUT) && s->part) {
				memcpy(s->part, buf, got);
				s->part_got = got;
				return rc;
			}
			if (rc)
				return rc;
		} else if (r < 0) {
			return (int)r;
		}
	}
	s->part_got = 0;
	return 0;
}

int pt__stream_recv(pt_chan *chan, void *buf, size_t cap, size_t *len,
		    const struct pt__wait *wait)
{
	struct pt__stream *s = impl(chan);
	int rc;

	if (s->eof)
		return -ESHUTDOWN;
	if (s->broken)
		return -EBADMSG;
	if (s->torn)
		return s->torn;
	if (!s->have_hdr) {
		rc = read_header(chan, wait);
		if (rc)
			return rc;
	}
	if (s->msg_len > cap) {
		*len = s->msg_len;
		return -EMSGSIZE;
	}
	/* A payload not all read ahead may have to wait, and a wait may
	 * run out: have room to keep its part before reading any of it. */
	if (!s->part && s->msg_len > avail(s)) {
		s->part = malloc(s->max_msg);
		if (!s->part)
			return -ENOMEM;
	}
	rc = read_payload(chan, buf, s->msg_len, wait);
	if (rc == -EAGAIN || rc == -ETIMEDOUT)
		return rc;
	if (rc) {
		/* A torn frame: what was read of it is lost, and so is the
		 * framing. Only a dead writer or a broken descriptor gets
		 * here, so the stream stays in this state. */
		s->torn = rc;
		return rc;
	}
	s->have_hdr = false;
	*len = s->msg_len;
	return 0;
}
