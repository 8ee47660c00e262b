/* chan.c (mpi) - PT_CHAN_MPI: one end of a channel between two MPI ranks.
 *
 * Each rank holds an end: the same state on both sides, of which a sender
 * uses the sending half and a receiver the receiving half (a rank that
 * names itself as peer uses both halves of one end). Messages travel on
 * the channel's tag, one MPI message each; control messages travel on
 * tag + 1, in both directions, as struct ctl:
 *
 *   CREDIT n  receiver -> sender: "I have received n messages in all".
 *             Sent once half the capacity was received since the last
 *             one, so a full pipeline never waits for a credit and a
 *             receiver never sends one per message. A sender may have at
 *             most capacity messages sent and not credited: that bounds
 *             what MPI buffers for the receiver, and makes "no room"
 *             (-EAGAIN, -ETIMEDOUT) mean what it means for the ring.
 *             No deadlock: a receiver with nothing to receive has been
 *             sent nothing more, so the sender has fewer than half the
 *             capacity uncredited, and can send.
 *   CLOSE n   either way: "I closed, having sent n messages". MPI keeps
 *             order only within one tag, so the close may overtake the
 *             last messages; the count tells the receiver how many to
 *             drain before -ESHUTDOWN.
 *
 * A send copies the bytes into the slot of its sequence number and posts
 * MPI_Isend from there; the slot's previous message has been credited, so
 * received, so its request completes at once. A receive probes
 * (MPI_Iprobe) to learn the length first: a message longer than the
 * caller's buffer stays queued and -EMSGSIZE tells its length. A control
 * receive is kept posted (MPI_Irecv) and tested, cheaper than probing.
 *
 * Waiting is polling, MPI offering nothing to sleep on, with the bounded
 * back-off of backoff.c: spin_ns of polling without pause, then yields,
 * then sleeps from 1 us doubling to 1 ms, so an idle end costs little CPU
 * and notices a message within about a millisecond. Watched pids
 * (pt_chan_watch()) are checked on each round, as the front end does for every
 * transport.
 */
#include "chan/chan_internal.h"
#include "mpi/mpi_internal.h"
#include "util/clock.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_CAPACITY 64
#define MAX_CAPACITY	 65536
/* How long destroy lets unfinished sends complete before giving up. */
#define DESTROY_GRACE_NS ((uint64_t)100 * 1000000u)

enum { CTL_CREDIT = 1, CTL_CLOSE = 2 };

struct ctl {
	uint32_t type;
	uint32_t pad;
	uint64_t count;
};

struct slot {
	MPI_Request req;
	void *buf;
	size_t cap;
};

struct where {
	MPI_Comm comm;
	int peer;
	int tag;
};

struct end {
	struct where at;
	uint32_t capacity;
	uint32_t credit_every;
	/* sending half */
	uint64_t sent;
	uint64_t credited; /* of sent, how many the receiver has taken */
	struct slot *slots;
	/* receiving half */
	uint64_t received;
	uint64_t acked; /* received as told in the last credit */
	struct ctl credit;
	MPI_Request credit_req;
	/* control messages in: one receive always posted */
	struct ctl ctl_in;
	MPI_Request ctl_req;
	/* closing */
	bool closed;	    /* this end closed */
	bool peer_closed;   /* the other end's CLOSE came */
	uint64_t peer_sent; /* ... having sent this many */
	struct ctl close_msg;
	MPI_Request close_req;
};

static struct end *end_of(pt_chan *chan)
{
	return chan->impl;
}

static int post_ctl(struct end *e)
{
	if (MPI_Irecv(&e->ctl_in, sizeof(e->ctl_in), MPI_BYTE, e->at.peer,
		      e->at.tag + 1, e->at.comm, &e->ctl_req) != MPI_SUCCESS)
		return -EIO;
	return 0;
}

static int mpi_create(pt_chan *chan)
{
	const struct where *at = chan->impl;
	struct end *e;
	int rc;

	if (chan->opts.flags & PT_CHAN_MPMC)
		return -ENOTSUP;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->at = *at;
	if (!chan->opts.capacity)
		chan->opts.capacity = DEFAULT_CAPACITY;
	if (chan->opts.capacity > MAX_CAPACITY)
		chan->opts.capacity = MAX_CAPACITY;
	e->capacity = chan->opts.capacity;
	e->credit_every = (e->capacity + 1) / 2;
	e->credit_req = MPI_REQUEST_NULL;
	e->close_req = MPI_REQUEST_NULL;
	e->slots = calloc(e->capacity, sizeof(*e->slots));
	rc = -ENOMEM;
	if (!e->slots)
		goto err_free;
	for (uint32_t i = 0; i < e->capacity; i++)
		e->slots[i].req = MPI_REQUEST_NULL;
	rc = post_ctl(e);
	if (rc)
		goto err_free;
	chan->impl = e;
	return 0;

err_free:
	free(e->slots);
	free(e);
	return rc;
}

/* Takes every control message that has come. Returns 0, -EBADMSG for one
 * that no correct peer sends, -EIO. */
static int take_ctl(struct end *e)
{
	MPI_Status st;
	int flag, n;

	for (;;) {
		if (MPI_Test(&e->ctl_req, &flag, &st) != MPI_SUCCESS)
			return -EIO;
		if (!flag)
			return 0;
		MPI_Get_count(&st, MPI_BYTE, &n);
		if (n != (int)sizeof(e->ctl_in))
			return -EBADMSG;
		if (e->ctl_in.type == CTL_CREDIT) {
			if (e->ctl_in.count > e->sent)
				return -EBADMSG;
			if (e->ctl_in.count > e->credited)
				e->credited = e->ctl_in.count;
		} else if (e->ctl_in.type == CTL_CLOSE) {
			e->peer_closed = true;
			e->peer_sent = e->ctl_in.count;
		} else {
			return -EBADMSG;
		}
		if (post_ctl(e))
			return -EIO;
	}
}

/* After a receive: tells the sender what was taken, once half the capacity
 * is untold. A credit still in flight is let be; the next receive tries
 * again (the count is cumulative, nothing is lost). */
static int give_credit(struct end *e)
{
	int flag = 1;

	if (e->received - e->acked < e->credit_every)
		return 0;
	if (e->credit_req != MPI_REQUEST_NULL &&
	    MPI_Test(&e->credit_req, &flag, MPI_STATUS_IGNORE) != MPI_SUCCESS)
		return -EIO;
	if (!flag)
		return 0;
	e->credit = (struct ctl){ .type = CTL_CREDIT, .count = e->received };
	if (MPI_Isend(&e->credit, sizeof(e->credit), MPI_BYTE, e->at.peer,
		      e->at.tag + 1, e->at.comm, &e->credit_req) != MPI_SUCCESS)
		return -EIO;
	e->acked = e->received;
	return 0;
}

/* One round of waiting: returns 0 to poll again, or why not to: -EAGAIN
 * (nowait), -ETIMEDOUT, -EPIPE (a watched process died). */
static int pause_once(pt_chan *chan, struct pt__mpi_backoff *b,
		      const struct pt__wait *wait)
{
	if (pt__chan_peer_gone(chan, false))
		return -EPIPE;
	if (wait->nowait)
		return -EAGAIN;
	if (!pt__mpi_backoff_pause(b, chan->opts.spin_ns, wait->deadline_ns))
		return pt__chan_peer_gone(chan, true) ? -EPIPE : -ETIMEDOUT;
	return 0;
}

/* --- calls --------------------------------------------------------------- */

static int mpi_send(pt_chan *chan, const void *buf, size_t len,
		    const struct pt__wait *wait)
{
	struct end *e = end_of(chan);
	struct pt__mpi_backoff b = { 0 };
	struct slot *s;
	int rc;

	for (;;) {
		rc = take_ctl(e);
		if (rc)
			return rc;
		if (e->closed || e->peer_closed)
			return -ESHUTDOWN;
		if (e->sent - e->credited < e->capacity)
			break;
		rc = pause_once(chan, &b, wait);
		if (rc)
			return rc;
	}
	s = &e->slots[e->sent % e->capacity];
	/* credited, so received: completes without waiting on the peer */
	if (s->req != MPI_REQUEST_NULL &&
	    MPI_Wait(&s->req, MPI_STATUS_IGNORE) != MPI_SUCCESS)
		return -EIO;
	if (len > s->cap) {
		void *p = realloc(s->buf, len);

		if (!p)
			return -ENOMEM;
		s->buf = p;
		s->cap = len;
	}
	if (len)
		memcpy(s->buf, buf, len);
	if (MPI_Isend(s->buf, (int)len, MPI_BYTE, e->at.peer, e->at.tag,
		      e->at.comm, &s->req) != MPI_SUCCESS)
		return -EIO;
	e->sent++;
	return 0;
}

static int mpi_recv(pt_chan *chan, void *buf, size_t cap, size_t *len,
		    const struct pt__wait *wait)
{
	struct end *e = end_of(chan);
	struct pt__mpi_backoff b = { 0 };
	MPI_Status st;
	int flag, n, rc;

	for (;;) {
		if (MPI_Iprobe(e->at.peer, e->at.tag, e->at.comm, &flag, &st) !=
		    MPI_SUCCESS)
			return -EIO;
		if (flag)
			break;
		rc = take_ctl(e);
		if (rc)
			return rc;
		if (e->peer_closed ? e->received >= e->peer_sent : e->closed)
			return -ESHUTDOWN;
		rc = pause_once(chan, &b, wait);
		if (rc)
			return rc;
	}
	MPI_Get_count(&st, MPI_BYTE, &n);
	if (n < 0 || (size_t)n > chan->opts.max_msg_bytes)
		return -EBADMSG;
	*len = (size_t)n;
	if ((size_t)n > cap)
		return -EMSGSIZE;
	if (MPI_Recv(buf, n, MPI_BYTE, e->at.peer, e->at.tag, e->at.comm,
		     MPI_STATUS_IGNORE) != MPI_SUCCESS)
		return -EIO;
	e->received++;
	return give_credit(e);
}

static int mpi_close(pt_chan *chan)
{
	struct end *e = end_of(chan);
	int rc = take_ctl(e);

	if (rc)
		return rc;
	if (e->closed || e->peer_closed) {
		e->closed = true;
		return -EALREADY;
	}
	e->closed = true;
	e->close_msg = (struct ctl){ .type = CTL_CLOSE, .count = e->sent };
	if (MPI_Isend(&e->close_msg, sizeof(e->close_msg), MPI_BYTE, e->at.peer,
		      e->at.tag + 1, e->at.comm, &e->close_req) != MPI_SUCCESS)
		return -EIO;
	return 0;
}

/* Lets the end's sends complete, for a short while: a message the peer
 * never receives may never complete. Returns true when all did. */
static bool settle(struct end *e)
{
	uint64_t until = pt__now_ns() + DESTROY_GRACE_NS;
	struct timespec ts = { .tv_nsec = 100000 };
	bool done;
	int flag;

	do {
		done = true;
		for (uint32_t i = 0; i < e->capacity; i++) {
			MPI_Test(&e->slots[i].req, &flag, MPI_STATUS_IGNORE);
			done = done && flag;
		}
		MPI_Test(&e->credit_req, &flag, MPI_STATUS_IGNORE);
		done = done && flag;
		MPI_Test(&e->close_req, &flag, MPI_STATUS_IGNORE);
		done = done && flag;
	} while (!done && pt__now_ns() < until && !nanosleep(&ts, NULL));
	return done;
}

static void mpi_destroy(pt_chan *chan)
{
	struct end *e = end_of(chan);
	bool done = settle(e);

	MPI_Cancel(&e->ctl_req);
	MPI_Wait(&e->ctl_req, MPI_STATUS_IGNORE);
	if (!done) {
		/* MPI may still read the buffers of what is left: hand the
		 * requests to MPI and leave the memory to the process. */
		for (uint32_t i = 0; i < e->capacity; i++)
			if (e->slots[i].req != MPI_REQUEST_NULL)
				MPI_Request_free(&e->slots[i].req);
		if (e->credit_req != MPI_REQUEST_NULL)
			MPI_Request_free(&e->credit_req);
		if (e->close_req != MPI_REQUEST_NULL)
			MPI_Request_free(&e->close_req);
		return;
	}
	for (uint32_t i = 0; i < e->capacity; i++)
		free(e->slots[i].buf);
	free(e->slots);
	free(e);
}

static const struct pt__chan_ops mpi_ops = {
	.create = mpi_create,
	.send = mpi_send,
	.recv = mpi_recv,
	.close = mpi_close,
	.destroy = mpi_destroy,
};

/* peer_rank and tag must name a rank and leave room for tag + 1. */
static int check_where(MPI_Comm comm, int peer, int tag)
{
	int inter = 0, size = 0, flag = 0;
	int *tag_ub = NULL;

	if (comm == MPI_COMM_NULL)
		return -EINVAL;
	if (MPI_Comm_test_inter(comm, &inter) != MPI_SUCCESS)
		return -EINVAL;
	if (inter)
		MPI_Comm_remote_size(comm, &size);
	else
		MPI_Comm_size(comm, &size);
	if (peer < 0 || peer >= size)
		return -EINVAL;
	/* a predefined attribute of MPI_COMM_WORLD, the same for every
	 * communicator (Open MPI leaves it off MPI_COMM_SELF) */
	MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_TAG_UB, &tag_ub, &flag);
	if (tag < 0 || !flag || !tag_ub || tag >= *tag_ub)
		return -EINVAL;
	return 0;
}

int pt_mpi_chan_create(MPI_Comm comm, int peer_rank, int tag,
		       const struct pt_chan_opts *opts, pt_chan **out)
{
	struct where at = { .comm = comm, .peer = peer_rank, .tag = tag };
	int rc;

	if (!opts || !out)
		return -EINVAL;
	rc = pt__mpi_ready();
	if (rc)
		return rc;
	rc = check_where(comm, peer_rank, tag);
	if (rc)
		return rc;
	return pt__chan_create_ops(opts, PT_CHAN_MPI, &mpi_ops, &at, out);
}
