/* shm.c - the PT_CHAN_SHM transport: the ring (ring.c) in a pt_region,
 * with waiting.
 *
 * ring.c does the memory work and never blocks; this file turns its
 * -EAGAIN into waiting: first a spin re-trying the operation (opts.spin_ns;
 * by default adaptive.c's budget, about what a sleep and a wake-up cost),
 * then sleeping on the ring's futex word for that direction. A sleeper costs no
 * CPU. With watched processes it sleeps in slices of PT__CHAN_WATCH_SLICE_NS
 * and looks at their pidfds between slices, so a death is reported within one
 * slice.
 *
 * The region is a memfd (pt_region_create()): a child forked after
 * creation inherits the mapping, and a crash leaves nothing behind.
 *
 * MPMC between processes: a member killed between claiming a slot and
 * publishing it would keep every other member waiting at that slot for
 * ever. A call about to wait looks at who holds the slot it waits at
 * (pt__ring_holder(), memory only); if another process holds it and that
 * process has ended (a pidfd, pt__pid_ended()), it finishes the claim
 * (pt__ring_reclaim()) and goes on. That look costs system calls only when
 * the slot is held by another process: before each sleep, and at most
 * every RECLAIM_EVERY_NS while spinning or returning -EAGAIN; a sleeper
 * kept waiting by a live holder sleeps in slices, so the holder's death is
 * seen within one. The fast path is unchanged.
 */
#include "chan/chan_internal.h"
#include "chan/ring.h"
#include "chan/shm.h"
#include "util/clock.h"
#include "util/cpu.h"
#include "util/futex.h"
#include "util/pidfd.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define DEFAULT_CAPACITY 64
#define MAX_CAPACITY	 (1u << 24)
/* Rings up to this size are given all their pages at creation. */
#define PREFAULT_MAX ((size_t)64 << 20)
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif
/* How often a call that does not sleep looks for a dead holder. */
#define RECLAIM_EVERY_NS ((uint64_t)5 * 1000000u)

struct shm_chan {
	struct pt__ring ring; /* first: its alignment is the struct's */
	pt_region *region;
	/* MPMC: when a non-sleeping call may next look for a dead holder;
	 * shared by the handle's threads, so atomic (relaxed: a hint) */
	_Atomic uint64_t next_reclaim_ns;
	uint64_t spin_ns; /* opts.spin_ns resolved: 0 sleeps at once */
};

/* What a wait spins before it sleeps, from opts.spin_ns. */
static uint64_t spin_budget(uint64_t spin_ns)
{
	if (spin_ns == PT_CHAN_SPIN_ADAPTIVE)
		return pt_chan_adaptive_spin_ns();
	return spin_ns == PT_CHAN_SPIN_NEVER ? 0 : spin_ns;
}

static struct shm_chan *impl(pt_chan *chan)
{
	return chan->impl;
}

static uint64_t round_pow2(uint64_t n)
{
	uint64_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

/* Gives a fresh ring its pages now, so that its first lap costs no page
 * faults: a 1 MiB message into fresh memory takes 256 of them, each a trap
 * (and on a VM an exit), in the middle of the first sends. Up to
 * PREFAULT_MAX: a larger ring is more likely sized for a peak than filled,
 * and keeps getting its memory as it is used. Only this process's page
 * tables are filled: a process that maps the ring later (a forked unit, a
 * ticket's holder) still takes minor faults on its first touch of each
 * page, which cost no allocation. */
static void prefault(void *addr, size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	if (len > PREFAULT_MAX || madvise(addr, len, MADV_POPULATE_WRITE) == 0)
		return;
	/* before Linux 5.14: one write per page, zero over zero (nobody else
	 * sees the region yet) */
	for (size_t off = 0; off < len; off += page)
		((volatile unsigned char *)addr)[off] = 0;
}

static int shm_create(pt_chan *chan)
{
	struct pt_chan_opts *o = &chan->opts;
	struct shm_chan *s;
	uint64_t cap;
	size_t bytes;
	int rc;

	cap = o->capacity ? o->capacity : DEFAULT_CAPACITY;
	if (cap > MAX_CAPACITY)
		return -EINVAL;
	cap = round_pow2(cap < 2 ? 2 : cap);
	o->capacity = (uint32_t)cap;
	bytes = pt__ring_bytes(cap, o->max_msg_bytes);
	if (bytes == 0 || bytes > PT_REGION_MAX)
		return -EINVAL;
	s = aligned_alloc(PT__RING_LINE, (sizeof(*s) + PT__RING_LINE - 1) &
						 ~(size_t)(PT__RING_LINE - 1));
	if (!s)
		return -ENOMEM;
	memset(s, 0, sizeof(*s));
	s->spin_ns = spin_budget(o->spin_ns);
	rc = pt_region_create(bytes, 0, &s->region);
	if (rc) {
		free(s);
		return rc;
	}
	prefault(pt_region_addr(s->region), pt_region_len(s->region));
	pt__ring_init(&s->ring, pt_region_addr(s->region), cap,
		      o->max_msg_bytes, o->flags & PT_CHAN_MPMC);
	s->ring.sleepless = o->spin_ns == PT_CHAN_SPIN_FOREVER;
	chan->impl = s;
	return 0;
}

const pt_region *pt__chan_shm_region(const pt_chan *chan)
{
	return ((const struct shm_chan *)chan->impl)->region;
}

int pt__chan_shm_dontfork(pt_chan *chan)
{
	const pt_region *region;

	if (chan->opts.transport != PT_CHAN_SHM)
		return -EINVAL;
	region = pt__chan_shm_region(chan);
	if (madvise(pt_region_addr(region), pt_region_len(region),
		    MADV_DONTFORK))
		return -errno;
	return 0;
}

int pt__chan_shm_adopt(pt_chan *chan, pt_region *region)
{
	const struct pt_chan_opts *o = &chan->opts;
	struct shm_chan *s;
	int rc;

	s = aligned_alloc(PT__RING_LINE, (sizeof(*s) + PT__RING_LINE - 1) &
						 ~(size_t)(PT__RING_LINE - 1));
	if (!s) {
		pt_region_destroy(region);
		return -ENOMEM;
	}
	memset(s, 0, sizeof(*s));
	s->spin_ns = spin_budget(o->spin_ns);
	rc = pt__ring_attach(&s->ring, pt_region_addr(region),
			     pt_region_len(region), o->capacity,
			     o->max_msg_bytes, o->flags & PT_CHAN_MPMC);
	if (rc) {
		pt_region_destroy(region);
		free(s);
		return rc;
	}
	s->ring.sleepless = o->spin_ns == PT_CHAN_SPIN_FOREVER;
	s->region = region;
	chan->impl = s;
	return 0;
}

static void shm_destroy(pt_chan *chan)
{
	struct shm_chan *s = impl(chan);

	pt_region_destroy(s->region);
	free(s);
}

static void wake(pt_chan *chan, enum pt__ring_wait dir)
{
	pt__futex_wake(pt__ring_word(&impl(chan)->ring, dir),
		       chan->opts.flags & PT_CHAN_MPMC ? INT_MAX : 1,
		       chan->shared);
}

/* One attempt of an operation: ring.c's result, waking the other side
 * when ring.c says so. */
struct attempt {
	int (*fn)(pt_chan *chan, struct attempt *a, bool *wake);
	enum pt__ring_wait dir; /* what the caller waits for */
	uint32_t self;		/* MPMC: this process's id; 0 in SPSC */
	const void *src;
	void *dst;
	size_t len;
	size_t *out_len;
	struct pt_chan_msg *msg;
};

static int attempt(pt_chan *chan, struct attempt *a)
{
	bool woke = false;
	int rc = a->fn(chan, a, &woke);

	if (woke)
		wake(chan, a->dir == PT__RING_WAIT_DATA ? PT__RING_WAIT_SPACE
							: PT__RING_WAIT_DATA);
	return rc;
}

/* What keeps an MPMC caller waiting, by reclaim(). */
enum holder { NOT_HELD, HELD_LIVE, RECLAIMED };

/* Looks at the slot a's side waits at: when another process holds it and
 * has ended, reclaims it and wakes every waiter. With force false, looks
 * for the ended process at most every RECLAIM_EVERY_NS per handle. */
static enum holder reclaim(pt_chan *chan, struct attempt *a, bool force)
{
	struct shm_chan *s = impl(chan);
	uint32_t holder;
	uint64_t now;

	if (!a->self)
		return NOT_HELD;
	holder = pt__ring_holder(&s->ring, a->dir);
	if (!holder || holder == a->self)
		return NOT_HELD;
	if (!force) {
		now = pt__now_ns();
		if (now < atomic_load_explicit(&s->next_reclaim_ns,
					       memory_order_relaxed))
			return HELD_LIVE;
		atomic_store_explicit(&s->next_reclaim_ns,
				      now + RECLAIM_EVERY_NS,
				      memory_order_relaxed);
	}
	if (pt__pid_ended((pid_t)holder) != 1)
		return HELD_LIVE;
	if (pt__ring_reclaim(&s->ring, a->dir, holder, a->self) == 0) {
		pt__futex_wake(pt__ring_word(&s->ring, PT__RING_WAIT_DATA),
			       INT_MAX, chan->shared);
		pt__futex_wake(pt__ring_word(&s->ring, PT__RING_WAIT_SPACE),
			       INT_MAX, chan->shared);
	}
	/* reclaimed here or by another member: the slot moved on */
	return RECLAIMED;
}

/* -EAGAIN from a call that may not wait any longer: -EPIPE when a watched
 * process died, else -EAGAIN (no waiting allowed) or -ETIMEDOUT. */
static int nothing_yet(pt_chan *chan, const struct pt__wait *wait, bool force)
{
	if (pt__chan_peer_gone(chan, force))
		return -EPIPE;
	return wait->nowait ? -EAGAIN : -ETIMEDOUT;
}

/* Re-tries the operation for the spin budget. The clock is first read after
 * a round of tries, not before: a message that arrives within it (the
 * usual case when both sides are busy) costs no clock read, which on a VM
 * is a good part of a cross-CPU round trip. A spin left unanswered yields
 * now and then (util/cpu.h says why). */
static int spin(pt_chan *chan, struct attempt *a, const struct pt__wait *wait)
{
	uint64_t budget = impl(chan)->spin_ns;
	uint64_t end = 0;
	uint64_t tries = 0;
	uint64_t now;
	int rc;

	for (;;) {
		for (int i = 0; i < 64; i++, tries++) {
			pt__spin_pause(tries, budget != PT_CHAN_SPIN_FOREVER);
			rc = attempt(chan, a);
			if (rc != -EAGAIN)
				return rc;
		}
		if (reclaim(chan, a, false) == RECLAIMED)
			continue;
		now = pt__now_ns();
		if (!end)
			end = budget == PT_CHAN_SPIN_FOREVER ||
					      now + budget < now
				      ? UINT64_MAX
				      : now + budget;
		if (pt__chan_peer_gone(chan, false))
			return -EPIPE;
		if (wait->deadline_ns && now >= wait->deadline_ns)
			return -ETIMEDOUT;
		if (now >= end)
			return -EAGAIN;
	}
}

static int sleep_once(pt_chan *chan, struct attempt *a,
		      const struct pt__wait *wait)
{
	struct pt__ring *ring = &impl(chan)->ring;
	uint64_t timeout_ns = 0;
	bool slice = false;
	uint32_t seen;
	int rc;

	seen = pt__ring_wait_begin(ring, a->dir);
	rc = attempt(chan, a);
	if (rc != -EAGAIN)
		goto out;
	switch (reclaim(chan, a, true)) {
	case RECLAIMED:
		goto out; /* -EAGAIN: try again at once */
	case HELD_LIVE:
		/* nothing wakes us when the holder dies: look again */
		slice = true;
		break;
	case NOT_HELD:
		break;
	}
	if (wait->deadline_ns) {
		uint64_t now = pt__now_ns();

		if (now >= wait->deadline_ns) {
			rc = -ETIMEDOUT;
			goto out;
		}
		timeout_ns = wait->deadline_ns - now;
	}
	if ((chan->nwatch || slice) &&
	    (timeout_ns == 0 || timeout_ns > PT__CHAN_WATCH_SLICE_NS))
		timeout_ns = PT__CHAN_WATCH_SLICE_NS;
	rc = pt__futex_wait(pt__ring_word(ring, a->dir), seen, timeout_ns,
			    chan->shared);
	rc = rc == -ETIMEDOUT || rc == -EINTR || rc == 0 ? -EAGAIN : rc;
out:
	pt__ring_wait_end(ring, a->dir);
	return rc;
}

static int run(pt_chan *chan, struct attempt *a, const struct pt__wait *wait)
{
	int rc = attempt(chan, a);

	if (rc != -EAGAIN)
		return rc;
	if (wait->nowait) {
		if (reclaim(chan, a, false) == RECLAIMED) {
			rc = attempt(chan, a);
			if (rc != -EAGAIN)
				return rc;
		}
		return nothing_yet(chan, wait, false);
	}
	if (impl(chan)->spin_ns) {
		rc = spin(chan, a, wait);
		if (rc == -ETIMEDOUT)
			return nothing_yet(chan, wait, true);
		if (rc != -EAGAIN)
			return rc;
	}
	for (;;) {
		if (pt__chan_peer_gone(chan, false))
			return -EPIPE;
		rc = sleep_once(chan, a, wait);
		if (rc == -ETIMEDOUT)
			return nothing_yet(chan, wait, true);
		if (rc != -EAGAIN)
			return rc;
		rc = attempt(chan, a);
		if (rc != -EAGAIN)
			return rc;
		/* Woken or a slice ended with nothing to do: look at the
		 * watched processes now, not at the rate limit. */
		if (pt__chan_peer_gone(chan, true))
			return -EPIPE;
	}
}

/* --- the operations ---------------------------------------------------- */

static int do_send(pt_chan *chan, struct attempt *a, bool *wake_flag)
{
	return pt__ring_try_send(&impl(chan)->ring, a->src, a->len, a->self,
				 wake_flag);
}

static int do_recv(pt_chan *chan, struct attempt *a, bool *wake_flag)
{
	return pt__ring_try_recv(&impl(chan)->ring, a->dst, a->len, a->out_len,
				 a->self, wake_flag);
}

static int do_reserve(pt_chan *chan, struct attempt *a, bool *wake_flag)
{
	return pt__ring_try_reserve(&impl(chan)->ring, a->len, a->msg, a->self,
				    wake_flag);
}

static int do_peek(pt_chan *chan, struct attempt *a, bool *wake_flag)
{
	return pt__ring_try_peek(&impl(chan)->ring, a->msg, a->self, wake_flag);
}

/* The id MPMC slots are held under; SPSC needs none. */
static uint32_t self_of(const pt_chan *chan)
{
	return chan->opts.flags & PT_CHAN_MPMC ? (uint32_t)pt__self_pid() : 0;
}

/* The fast paths (chan.c tries them before it computes a deadline): one
 * call into the ring, with no waiting machinery set up. Most calls of a
 * busy channel end here. MPMC goes the long way: it needs its pid. */
static int shm_try_send(pt_chan *chan, const void *buf, size_t len)
{
	bool woke = false;
	int rc;

	if (chan->opts.flags & PT_CHAN_MPMC)
		return -EAGAIN;
	rc = pt__ring_try_send(&impl(chan)->ring, buf, len, 0, &woke);
	if (woke)
		wake(chan, PT__RING_WAIT_DATA);
	return rc;
}

static int shm_try_recv(pt_chan *chan, void *buf, size_t cap, size_t *len)
{
	bool woke = false;
	size_t got = 0;
	int rc;

	if (chan->opts.flags & PT_CHAN_MPMC)
		return -EAGAIN;
	rc = pt__ring_try_recv(&impl(chan)->ring, buf, cap, &got, 0, &woke);
	if (woke)
		wake(chan, PT__RING_WAIT_SPACE);
	if (rc == 0 || rc == -EMSGSIZE)
		*len = got;
	return rc;
}

static int shm_try_reserve(pt_chan *chan, size_t len, struct pt_chan_msg *msg)
{
	bool woke = false;

	if (chan->opts.flags & PT_CHAN_MPMC)
		return -EAGAIN;
	/* SPSC: a reservation publishes nothing, so wakes nobody */
	return pt__ring_try_reserve(&impl(chan)->ring, len, msg, 0, &woke);
}

static int shm_try_peek(pt_chan *chan, struct pt_chan_msg *msg)
{
	bool woke = false;

	if (chan->opts.flags & PT_CHAN_MPMC)
		return -EAGAIN;
	/* SPSC: a peek takes nothing yet, so wakes nobody */
	return pt__ring_try_peek(&impl(chan)->ring, msg, 0, &woke);
}

static int shm_send(pt_chan *chan, const void *buf, size_t len,
		    const struct pt__wait *wait)
{
	struct attempt a = { .fn = do_send,
			     .dir = PT__RING_WAIT_SPACE,
			     .self = self_of(chan),
			     .src = buf,
			     .len = len };

	return run(chan, &a, wait);
}

static int shm_recv(pt_chan *chan, void *buf, size_t cap, size_t *len,
		    const struct pt__wait *wait)
{
	size_t got = 0;
	struct attempt a = { .fn = do_recv,
			     .dir = PT__RING_WAIT_DATA,
			     .self = self_of(chan),
			     .dst = buf,
			     .len = cap,
			     .out_len = &got };
	int rc = run(chan, &a, wait);

	if (rc == 0 || rc == -EMSGSIZE)
		*len = got;
	return rc;
}

static int shm_reserve(pt_chan *chan, size_t len, struct pt_chan_msg *msg,
		       const struct pt__wait *wait)
{
	struct attempt a = { .fn = do_reserve,
			     .dir = PT__RING_WAIT_SPACE,
			     .self = self_of(chan),
			     .len = len,
			     .msg = msg };

	return run(chan, &a, wait);
}

static int shm_commit(pt_chan *chan, struct pt_chan_msg *msg)
{
	bool woke = false;
	int rc = pt__ring_commit(&impl(chan)->ring, msg, &woke);

	if (woke)
		wake(chan, PT__RING_WAIT_DATA);
	return rc;
}

static int shm_peek(pt_chan *chan, struct pt_chan_msg *msg,
		    const struct pt__wait *wait)
{
	struct attempt a = { .fn = do_peek,
			     .dir = PT__RING_WAIT_DATA,
			     .self = self_of(chan),
			     .msg = msg };

	return run(chan, &a, wait);
}

static int shm_release(pt_chan *chan, struct pt_chan_msg *msg)
{
	bool woke = false;
	int rc = pt__ring_release(&impl(chan)->ring, msg, &woke);

	if (woke)
		wake(chan, PT__RING_WAIT_SPACE);
	return rc;
}

static int shm_close(pt_chan *chan)
{
	int rc = pt__ring_close(&impl(chan)->ring);

	if (rc == 0) {
		pt__futex_wake(
			pt__ring_word(&impl(chan)->ring, PT__RING_WAIT_DATA),
			INT_MAX, chan->shared);
		pt__futex_wake(
			pt__ring_word(&impl(chan)->ring, PT__RING_WAIT_SPACE),
			INT_MAX, chan->shared);
	}
	return rc;
}

const struct pt__chan_ops pt__chan_shm_ops = {
	.create = shm_create,
	.send = shm_send,
	.recv = shm_recv,
	.try_send = shm_try_send,
	.try_recv = shm_try_recv,
	.try_reserve = shm_try_reserve,
	.try_peek = shm_try_peek,
	.reserve = shm_reserve,
	.commit = shm_commit,
	.peek = shm_peek,
	.release = shm_release,
	.close = shm_close,
	.destroy = shm_destroy,
};
