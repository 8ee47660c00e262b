/* mqueue.c - the PT_CHAN_MQUEUE transport: a POSIX message queue.
 *
 * The queue is created under a fresh name (O_CREAT | O_EXCL, mode 0600)
 * and unlinked at once, before anyone else could learn the name: from
 * then on it lives only as this descriptor (close-on-exec, inherited by
 * fork), so no crash leaves it in /dev/mqueue. Only a kill between those
 * two calls could, and nothing else runs between them.
 *
 * Messages go at priority 1 and the end marker of pt_chan_close() at
 * priority 0: the queue hands out higher priorities first, so the marker
 * comes out exactly when everything sent before it has been drained.
 *
 * The system limits the queue's size: opts.capacity (default 10) is cut
 * to what RLIMIT_MSGQUEUE leaves room for and, for a process without
 * CAP_SYS_RESOURCE, to fs.mqueue.msg_max; a message size over the limits
 * fails creation with -EMSGSIZE. The descriptor is pollable, so waits
 * also watch the peers' pidfds.
 *
 * mq_receive() wants a buffer of the queue's full message size: a caller's
 * shorter buffer is served through a bounce buffer of this handle, which
 * also keeps a message too long for it (-EMSGSIZE, delivered later). With
 * PT_CHAN_MPMC the receivers of one process share the handle, so such a
 * buffer is refused with -EMSGSIZE before anything is taken.
 */
#include "chan/chan_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <unistd.h>

#define DEFAULT_CAPACITY 10
#define PRIO_MSG	 1
#define PRIO_END	 0
/* The kernel's charge per message beyond its bytes (pointers and tree
 * nodes), rounded up. */
#define MSG_OVERHEAD 64

struct mq {
	mqd_t q;
	size_t max_msg;
	unsigned char *bounce; /* for a buffer smaller than max_msg */
	size_t pend_len;       /* a message kept after -EMSGSIZE */
	bool pending;	       /* SPSC only */
	atomic_bool eof;       /* the marker was read */
};

static struct mq *impl(pt_chan *chan)
{
	return chan->impl;
}

static long fits_rlimit(long maxmsg, size_t msgsize)
{
	struct rlimit rl;
	rlim_t per = msgsize + MSG_OVERHEAD;

	if (getrlimit(RLIMIT_MSGQUEUE, &rl) || rl.rlim_cur == RLIM_INFINITY)
		return maxmsg;
	if ((rlim_t)maxmsg * per > rl.rlim_cur)
		maxmsg = (long)(rl.rlim_cur / per);
	return maxmsg;
}

static long sysctl_msg_max(void)
{
	FILE *f = fopen("/proc/sys/fs/mqueue/msg_max", "re");
	long v = DEFAULT_CAPACITY;
	char line[32];
	char *end;

	if (f) {
		/* strtol, unlike fscanf, reports a number out of range. */
		if (fgets(line, sizeof(line), f)) {
			errno = 0;
			v = strtol(line, &end, 10);
			if (errno || end == line || v <= 0)
				v = DEFAULT_CAPACITY;
		}
		fclose(f);
	}
	return v > 0 ? v : DEFAULT_CAPACITY;
}

static mqd_t open_unlinked(struct mq_attr *attr)
{
	static atomic_uint counter;
	char name[64];
	unsigned rnd = 0;
	mqd_t q;

	(void)getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK);
	snprintf(name, sizeof(name), "/procthread-mq-%d-%u-%08x", (int)getpid(),
		 atomic_fetch_add(&counter, 1), rnd);
	/* The kernel makes every queue descriptor close-on-exec. */
	q = mq_open(name, O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK, 0600, attr);
	if (q != (mqd_t)-1)
		mq_unlink(name);
	return q;
}

static int mq_create(pt_chan *chan)
{
	struct mq_attr attr = { .mq_msgsize = (long)chan->opts.max_msg_bytes };
	struct mq *m;
	int rc;

	attr.mq_maxmsg =
		chan->opts.capacity ? chan->opts.capacity : DEFAULT_CAPACITY;
	attr.mq_maxmsg = fits_rlimit(attr.mq_maxmsg, chan->opts.max_msg_bytes);
	if (attr.mq_maxmsg < 1)
		return -EMSGSIZE;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->max_msg = chan->opts.max_msg_bytes;
	m->bounce = malloc(m->max_msg ? m->max_msg : 1);
	if (!m->bounce) {
		rc = -ENOMEM;
		goto err_free;
	}
	m->q = open_unlinked(&attr);
	if (m->q == (mqd_t)-1 && errno == EINVAL) {
		long lim = sysctl_msg_max();

		if (attr.mq_maxmsg > lim)
			attr.mq_maxmsg = lim;
		m->q = open_unlinked(&attr);
	}
	if (m->q == (mqd_t)-1) {
		rc = errno == EINVAL ? -EMSGSIZE : -errno;
		goto err_free;
	}
	rc = pt__chan_ctl_create(chan);
	if (rc)
		goto err_close;
	chan->opts.capacity = (uint32_t)attr.mq_maxmsg;
	chan->impl = m;
	return 0;

err_close:
	mq_close(m->q);
err_free:
	free(m->bounce);
	free(m);
	return rc;
}

static void mq_destroy(pt_chan *chan)
{
	mq_close(impl(chan)->q);
	free(impl(chan)->bounce);
	free(impl(chan));
}

static int put(pt_chan *chan, const void *buf, size_t len, unsigned prio,
	       const struct pt__wait *wait)
{
	int rc;

	for (;;) {
		if (mq_send(impl(chan)->q, buf, len, prio) == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		rc = pt__chan_poll(chan, impl(chan)->q, POLLOUT, wait);
		if (rc)
			return rc;
	}
}

static int mq_chan_send(pt_chan *chan, const void *buf, size_t len,
			const struct pt__wait *wait)
{
	if (pt__chan_ctl_closed(chan))
		return -ESHUTDOWN;
	return put(chan, len ? buf : "", len, PRIO_MSG, wait);
}

static const struct pt__wait nowait = { .nowait = true };

static int mq_chan_close(pt_chan *chan)
{
	int rc = pt__chan_ctl_close(chan);

	/* A full queue has no receiver asleep: it finds the flag. */
	if (rc == 0)
		(void)put(chan, "", 0, PRIO_END, &nowait);
	return rc;
}

static int end_seen(pt_chan *chan)
{
	atomic_store_explicit(&impl(chan)->eof, true, memory_order_relaxed);
	if (chan->opts.flags & PT_CHAN_MPMC)
		(void)put(chan, "", 0, PRIO_END, &nowait);
	return -ESHUTDOWN;
}

static int mq_chan_recv(pt_chan *chan, void *buf, size_t cap, size_t *len,
			const struct pt__wait *wait)
{
	struct mq *m = impl(chan);
	bool direct = cap >= m->max_msg;
	unsigned prio = PRIO_MSG;
	bool closed;
	ssize_t r;
	int rc;

	if (chan->opts.flags & PT_CHAN_MPMC) {
		/* Receivers share this handle: no bounce buffer, no state
		 * but the end flag; a short buffer is refused up front. */
		if (!direct) {
			*len = m->max_msg;
			return -EMSGSIZE;
		}
	} else if (m->pending) {
		*len = m->pend_len;
		if (m->pend_len > cap)
			return -EMSGSIZE;
		memcpy(buf, m->bounce, m->pend_len);
		m->pending = false;
		return 0;
	}
	if (atomic_load_explicit(&m->eof, memory_order_relaxed))
		return -ESHUTDOWN;
	for (;;) {
		closed = pt__chan_ctl_closed(chan);
		r = mq_receive(m->q, direct ? buf : (char *)m->bounce,
			       m->max_msg ? m->max_msg : 1, &prio);
		if (r >= 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		if (closed)
			return end_seen(chan);
		rc = pt__chan_poll(chan, m->q, POLLIN, wait);
		if (rc)
			return rc;
	}
	if (prio == PRIO_END)
		return end_seen(chan);
	*len = (size_t)r;
	if (direct)
		return 0;
	if ((size_t)r > cap) {
		m->pend_len = (size_t)r;
		m->pending = true;
		return -EMSGSIZE;
	}
	memcpy(buf, m->bounce, (size_t)r);
	return 0;
}

const struct pt__chan_ops pt__chan_mqueue_ops = {
	.create = mq_create,
	.send = mq_chan_send,
	.recv = mq_chan_recv,
	.close = mq_chan_close,
	.destroy = mq_destroy,
};
