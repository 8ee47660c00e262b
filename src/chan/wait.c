/* wait.c - what every transport shares: dead-peer detection, the wait on a
 * descriptor, and the closed flag of kernel transports. A leaf below the
 * front end (chan.c) and the transports, which all call it and which it
 * never calls.
 *
 * The watched processes' pidfds (pt_chan_watch()) are checked whenever a
 * call would otherwise report "nothing yet", and poll()ed alongside a
 * transport's own descriptor while a kernel transport waits. A pidfd
 * becomes readable when its process ends, so a death is noticed without
 * any message from the dead side and without a recycled pid ever being
 * mistaken for it.
 */
#include "chan/chan_internal.h"
#include "util/clock.h"

#include <errno.h>
#include <poll.h>

/* The non-blocking death check costs a poll(): at most this often. */
#define CHECK_EVERY_NS ((uint64_t)5 * 1000000u)

/* --- the closed flag of kernel transports ----------------------------------
 */

int pt__chan_ctl_create(pt_chan *chan)
{
	int rc = pt_region_create(sizeof(*chan->closed), 0, &chan->ctl);

	if (rc)
		return rc;
	chan->closed = pt_region_addr(chan->ctl);
	return 0;
}

int pt__chan_ctl_close(pt_chan *chan)
{
	return atomic_exchange(chan->closed, 1) ? -EALREADY : 0;
}

bool pt__chan_ctl_closed(const pt_chan *chan)
{
	return atomic_load_explicit(chan->closed, memory_order_acquire);
}

/* --- dead peers ------------------------------------------------------------
 */

/* Fills pfd with the pidfds of the watched processes not yet seen dead,
 * from index n on, and returns the new count; which[] maps them back. */
static int live_watches(const pt_chan *chan, struct pollfd *pfd, int n,
			int *which)
{
	for (int i = 0; i < chan->nwatch; i++) {
		if (chan->watch_ended[i])
			continue;
		which[n] = i;
		pfd[n++] = (struct pollfd){ .fd = chan->watch_fd[i],
					    .events = POLLIN };
	}
	return n;
}

/* Records the deaths poll() reported in pfd[first..n) and decides whether
 * the other side is gone: with PT_CHAN_MPMC once all watched processes
 * have died (one member's death leaves the others to carry on), else at
 * the first. */
static void note_deaths(pt_chan *chan, const struct pollfd *pfd, int first,
			int n, const int *which)
{
	for (int i = first; i < n; i++) {
		if (pfd[i].revents && !chan->watch_ended[which[i]]) {
			chan->watch_ended[which[i]] = true;
			chan->nended++;
		}
	}
	if (chan->opts.flags & PT_CHAN_MPMC)
		chan->peer_dead = chan->nended == chan->nwatch;
	else
		chan->peer_dead = chan->nended > 0;
}

bool pt__chan_peer_gone(pt_chan *chan, bool force)
{
	struct pollfd pfd[PT__CHAN_WATCH_MAX];
	int which[PT__CHAN_WATCH_MAX];
	uint64_t now;
	int n;

	if (chan->peer_dead || chan->nwatch == 0)
		return chan->peer_dead;
	now = pt__now_ns();
	if (!force && now < chan->next_check_ns)
		return false;
	chan->next_check_ns = now + CHECK_EVERY_NS;
	n = live_watches(chan, pfd, 0, which);
	if (poll(pfd, (nfds_t)n, 0) > 0)
		note_deaths(chan, pfd, 0, n, which);
	return chan->peer_dead;
}

int pt__chan_wait_ms(const struct pt__wait *wait)
{
	if (wait->nowait)
		return 0;
	return pt__ms_until(wait->deadline_ns);
}

int pt__chan_poll(pt_chan *chan, int fd, short events,
		  const struct pt__wait *wait)
{
	struct pollfd pfd[1 + PT__CHAN_WATCH_MAX];
	int which[1 + PT__CHAN_WATCH_MAX];
	int n;
	int rc;

	pfd[0] = (struct pollfd){ .fd = fd, .events = events };
	for (;;) {
		/* A process seen dead is left out: its pidfd stays
		 * readable, and with MPMC the others may still carry on. */
		n = chan->peer_dead ? 1 : live_watches(chan, pfd, 1, which);
		rc = poll(pfd, (nfds_t)n,
			  chan->peer_dead ? 0 : pt__chan_wait_ms(wait));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return -errno;
		/* Ready wins over a death: what the peer finished is
		 * delivered. */
		if (pfd[0].revents)
			return 0;
		if (rc == 0 || chan->peer_dead)
			break;
		note_deaths(chan, pfd, 1, n, which);
		if (chan->peer_dead)
			break;
	}
	if (chan->peer_dead)
		return -EPIPE;
	return wait->nowait ? -EAGAIN : -ETIMEDOUT;
}
