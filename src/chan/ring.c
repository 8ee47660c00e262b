/* ring.c - a bounded ring of fixed-size slots in shared memory.
 *
 * Two algorithms share one layout. Every slot carries a sequence number
 * that says whose turn it is. SPSC (one producer, one consumer): each side
 * keeps its counter privately; the producer publishes a message by setting
 * its slot's sequence to pos + 1, which is what the consumer polls (one
 * cache line, that also holds the length and the first bytes), and the
 * consumer frees slots by publishing head, which the producer reads only
 * when its cached copy says the ring is full. The shared tail is never
 * written: a message costs the consumer the slot's lines and nothing else.
 *
 * MPMC is Vyukov's bounded queue with the claim made on the slot: a
 * producer (or consumer) that finds the slot at tail (or head) to be its
 * turn by the sequence takes it by compare-and-swap of the slot's owner
 * word from 0 to its process id, and only then moves tail (or head) on;
 * it publishes by setting the sequence (pos + 1, or pos + capacity to free
 * it) and lets go of the owner word last. So a slot between claim and
 * publish always names the process that holds it, and one whose holder
 * died can be finished by another member (pt__ring_reclaim()): a
 * producer's claim is published as skipped (its message is lost), a
 * consumer's is freed (its message is lost), a claim that had not moved
 * the counter yet is just let go. One dead member thus costs the messages
 * its threads were in the middle of, never the ring.
 *
 * In both, a message becomes visible only by the publishing store of its
 * slot's sequence, after its length and bytes are written: a producer
 * that dies before that store leaves nothing a consumer would read.
 *
 * The other side may be hostile. Geometry comes from struct pt__ring,
 * never from shared memory; each counter or length read from shared memory
 * is loaded once into a local, checked, then used, and slot addresses are
 * always masked, so no value found there can send an access out of the
 * ring. A violation returns -EBADMSG.
 *
 * Waiting (see pt__ring_wait_begin()) follows the futex pattern: a waiter
 * raises an "asleep" flag, issues a full fence, re-checks, sleeps on a
 * sequence word; a side that publishes does so with a seq_cst exchange
 * (SPSC: of the counter or sequence; MPMC: of the owner word, after the
 * sequence, as a slot is free for the next only once let go), loads the
 * flag (seq_cst) and, only if it takes the flag down, bumps the word and
 * asks its caller to wake. Either the publisher sees the flag, or the
 * waiter's re-check sees the message (Dekker).
 */
#include "chan/ring.h"

#include <errno.h>
#include <string.h>

#define RING_MAGIC 0x676e6972746e7470ull /* "ptntring" */

/* MPMC: the length of a slot published by pt__ring_reclaim() for a dead
 * producer: consumers take and free it without delivering anything. */
#define LEN_SKIPPED UINT32_MAX

/* The waiting side of one direction. */
struct ring_wait {
	_Atomic uint32_t seq;	 /* futex word, bumped to wake */
	_Atomic uint32_t asleep; /* someone sleeps or is about to */
};

struct pt__ring_shared {
	/* written once by the creator, then only read (closed: once) */
	alignas(PT__RING_LINE) uint64_t magic;
	uint64_t capacity;
	uint64_t max_msg;
	uint32_t flags;
	_Atomic uint32_t closed;
	alignas(PT__RING_LINE) _Atomic uint64_t tail; /* producers */
	alignas(PT__RING_LINE) _Atomic uint64_t head; /* consumers */
	alignas(PT__RING_LINE) struct ring_wait data;
	alignas(PT__RING_LINE) struct ring_wait space;
	alignas(PT__RING_LINE) unsigned char slots[];
};

struct ring_slot {
	_Atomic uint64_t seq; /* MPMC: whose turn (Vyukov) */
	_Atomic uint32_t len; /* the message's length */
	/* MPMC: the pid of the process that holds the slot, from its claim
	 * until it has published; 0 when none (unused in SPSC) */
	_Atomic uint32_t owner;
	unsigned char data[];
};

_Static_assert(sizeof(struct ring_slot) == PT__RING_SLOT_HDR, "slot header");

static uint64_t slot_stride(uint64_t max_msg)
{
	return (PT__RING_SLOT_HDR + max_msg + 63) & ~(uint64_t)63;
}

size_t pt__ring_bytes(uint64_t capacity, uint64_t max_msg)
{
	uint64_t stride = slot_stride(max_msg);

	if (capacity == 0 || stride > (UINT64_MAX - 4096) / capacity)
		return 0;
	return sizeof(struct pt__ring_shared) + (size_t)(stride * capacity);
}

static struct ring_slot *slot_at(const struct pt__ring *ring, uint64_t pos)
{
	return (struct ring_slot *)(ring->slots +
				    (pos & ring->mask) * ring->stride);
}

static void view_init(struct pt__ring *ring, void *mem, uint64_t capacity,
		      uint64_t max_msg, bool mpmc)
{
	memset(ring, 0, sizeof(*ring));
	ring->mem = mem;
	ring->sh = mem;
	ring->slots = ring->sh->slots;
	ring->capacity = capacity;
	ring->mask = capacity - 1;
	ring->stride = slot_stride(max_msg);
	ring->max_msg = max_msg;
	ring->mpmc = mpmc;
}

/* SPSC: the producer's position, which it keeps to itself. The messages
 * from head on that are still published (seq == pos + 1: unread, or read
 * and not yet written over, as a consumer never writes a slot) run up to
 * it without a gap, as one producer publishes in order; the first slot
 * that is not is where the next message goes. At most capacity steps. */
static uint64_t spsc_find_tail(const struct pt__ring *ring, uint64_t head)
{
	uint64_t pos = head;

	while (pos - head < ring->capacity &&
	       atomic_load_explicit(&slot_at(ring, pos)->seq,
				    memory_order_acquire) == pos + 1)
		pos++;
	return pos;
}

void pt__ring_init(struct pt__ring *ring, void *mem, uint64_t capacity,
		   uint64_t max_msg, bool mpmc)
{
	struct pt__ring_shared *sh = mem;

	view_init(ring, mem, capacity, max_msg, mpmc);
	sh->magic = RING_MAGIC;
	sh->capacity = capacity;
	sh->max_msg = max_msg;
	sh->flags = mpmc ? PT_CHAN_MPMC : 0;
	for (uint64_t i = 0; i < capacity; i++)
		atomic_init(&slot_at(ring, i)->seq, i);
}

int pt__ring_attach(struct pt__ring *ring, void *mem, size_t bytes,
		    uint64_t capacity, uint64_t max_msg, bool mpmc)
{
	struct pt__ring_shared *sh = mem;
	size_t need;

	if (capacity < 2 || (capacity & (capacity - 1)))
		return -EINVAL;
	need = pt__ring_bytes(capacity, max_msg);
	if (need == 0 || bytes < need)
		return -EBADMSG;
	/* The geometry is the ticket's, kept privately; the header must only
	 * agree with it, and is never used for bounds afterwards. */
	if (sh->magic != RING_MAGIC || sh->capacity != capacity ||
	    sh->max_msg != max_msg ||
	    (sh->flags & PT_CHAN_MPMC) != (mpmc ? PT_CHAN_MPMC : 0))
		return -EBADMSG;
	view_init(ring, mem, capacity, max_msg, mpmc);
	/* SPSC: pick up where the ring is, not at zero, in case this side
	 * takes over from another handle. Whatever is read here is checked
	 * like any counter before it is used. */
	ring->head = atomic_load_explicit(&sh->head, memory_order_acquire);
	ring->tail = spsc_find_tail(ring, ring->head);
	ring->head_cache = ring->head;
	return 0;
}

/* --- publishing and the wake decision ------------------------------------ */

/* Publishes v in word (a counter or a slot's sequence) and decides whether
 * the other side must be woken. The publishing store is a seq_cst
 * exchange and the load of the flag is seq_cst; a waiter raises the flag,
 * issues a seq_cst fence and re-checks (pt__ring_wait_begin()). By the
 * rules for seq_cst operations and fences, either this load sees the flag
 * or the waiter's re-check sees v (Dekker). On x86 the exchange is one
 * locked instruction, cheaper than a store and an mfence; it also orders
 * the message's bytes before v, as a release store would.
 *
 * Only the publisher that takes the flag down (exchange) bumps the word
 * and has its caller wake, and it wakes every sleeper: so while a woken
 * side is still on its way back (tens of microseconds on a busy machine),
 * the messages published meanwhile cost no system call. */
static void publish(const struct pt__ring *ring, _Atomic uint64_t *word,
		    uint64_t v, struct ring_wait *w, bool *wake)
{
	/* Nobody ever sleeps on a sleepless ring, so there is no flag to
	 * look at and no Dekker pair: the release store is the whole
	 * publish, and the locked exchange (and the store buffer it drains)
	 * is saved on each side of every message. */
	if (ring->sleepless) {
		atomic_store_explicit(word, v, memory_order_release);
		return;
	}
	(void)atomic_exchange_explicit(word, v, memory_order_seq_cst);
	if (atomic_load_explicit(&w->asleep, memory_order_seq_cst) &&
	    atomic_exchange_explicit(&w->asleep, 0, memory_order_relaxed)) {
		atomic_fetch_add_explicit(&w->seq, 1, memory_order_release);
		*wake = true;
	}
}

/* MPMC: lets go of a slot this process holds. The exchange is the
 * publishing store of the Dekker pair with w's waiters, as in publish():
 * a waiter that saw the slot still held then sleeps only if this sees its
 * flag and wakes it. */
static void unhold(struct ring_slot *slot, struct ring_wait *w, bool *wake)
{
	(void)atomic_exchange_explicit(&slot->owner, 0, memory_order_seq_cst);
	if (atomic_load_explicit(&w->asleep, memory_order_seq_cst) &&
	    atomic_exchange_explicit(&w->asleep, 0, memory_order_relaxed)) {
		atomic_fetch_add_explicit(&w->seq, 1, memory_order_release);
		*wake = true;
	}
}

/* MPMC: publishes v in the slot's sequence, then lets go of it. */
static void mpmc_publish(struct ring_slot *slot, uint64_t v,
			 struct ring_wait *w, bool *wake)
{
	atomic_store_explicit(&slot->seq, v, memory_order_release);
	unhold(slot, w, wake);
}

/* MPMC: how many times a member re-reads a counter that another member's
 * claim is about to move. The claim holds the slot a few instructions
 * before it moves the counter, and lets go of it later in the other
 * side's direction, so a member of the same side that went to sleep on it
 * would not be woken by it: waiting out that window here keeps it from
 * sleeping but for a holder that was preempted or died there (the caller
 * then sleeps in slices, see shm.c). */
#define CLAIM_SPINS 256

/* MPMC: re-reads counter while it is pos, at most CLAIM_SPINS times.
 * Returns its value. */
static uint64_t counter_past(_Atomic uint64_t *counter, uint64_t pos)
{
	uint64_t c = atomic_load_explicit(counter, memory_order_acquire);

	for (int i = 0; c == pos && i < CLAIM_SPINS; i++)
		c = atomic_load_explicit(counter, memory_order_acquire);
	return c;
}

/* MPMC: takes the slot for this process: true when it was free. */
static bool hold(struct ring_slot *slot, uint32_t self)
{
	uint32_t none = 0;

	return atomic_compare_exchange_strong_explicit(
		&slot->owner, &none, self, memory_order_acquire,
		memory_order_relaxed);
}

static bool is_closed(const struct pt__ring *ring)
{
	return atomic_load_explicit(&ring->sh->closed, memory_order_acquire);
}

/* --- producer ------------------------------------------------------------- */

static int spsc_reserve(struct pt__ring *ring, struct pt_chan_msg *msg)
{
	uint64_t pos = ring->tail;
	uint64_t head;

	if (pos - ring->head_cache >= ring->capacity) {
		head = atomic_load_explicit(&ring->sh->head,
					    memory_order_acquire);
		if (pos - head > ring->capacity)
			return -EBADMSG;
		ring->head_cache = head;
		if (pos - head == ring->capacity)
			return -EAGAIN;
	}
	msg->pos = pos;
	msg->data = slot_at(ring, pos)->data;
	return 0;
}

static int mpmc_reserve(struct pt__ring *ring, struct pt_chan_msg *msg,
			uint32_t self, bool *wake)
{
	uint64_t pos =
		atomic_load_explicit(&ring->sh->tail, memory_order_relaxed);
	struct ring_slot *slot;
	uint64_t old;
	int64_t dif;

	for (;;) {
		slot = slot_at(ring, pos);
		dif = (int64_t)(atomic_load_explicit(&slot->seq,
						     memory_order_acquire) -
				pos);
		if (dif < 0)
			return -EAGAIN;
		if (dif == 0 && hold(slot, self)) {
			/* Held, the sequence cannot leave pos but by us: if
			 * it is still pos, nobody claimed pos, so tail is
			 * pos (it never passes an unclaimed slot). */
			if (atomic_load_explicit(&slot->seq,
						 memory_order_acquire) == pos)
				break;
			/* Too late: taken, published and let go meanwhile. */
			unhold(slot, &ring->sh->data, wake);
		}
		/* Another member holds or took pos, so tail moves past it
		 * before the sequence does; a tail that has not moved means
		 * a claim under way (try again later: its holder may have
		 * died, see pt__ring_reclaim()), or, with the sequence
		 * ahead, garbage. */
		old = pos;
		pos = dif == 0 ? counter_past(&ring->sh->tail, pos)
			       : atomic_load_explicit(&ring->sh->tail,
						      memory_order_acquire);
		if (pos == old)
			return dif == 0 ? -EAGAIN : -EBADMSG;
	}
	atomic_store_explicit(&ring->sh->tail, pos + 1, memory_order_release);
	msg->pos = pos;
	msg->data = slot->data;
	return 0;
}

int pt__ring_try_reserve(struct pt__ring *ring, size_t len,
			 struct pt_chan_msg *msg, uint32_t self, bool *wake)
{
	int rc;

	if (len > ring->max_msg)
		return -EMSGSIZE;
	if (is_closed(ring))
		return -ESHUTDOWN;
	rc = ring->mpmc ? mpmc_reserve(ring, msg, self, wake)
			: spsc_reserve(ring, msg);
	if (rc == 0)
		msg->len = len;
	return rc;
}

int pt__ring_commit(struct pt__ring *ring, struct pt_chan_msg *msg, bool *wake)
{
	struct ring_slot *slot = slot_at(ring, msg->pos);

	if (msg->len > ring->max_msg || msg->data != slot->data ||
	    (!ring->mpmc && msg->pos != ring->tail))
		return -EINVAL;
	atomic_store_explicit(&slot->len, (uint32_t)msg->len,
			      memory_order_relaxed);
	/* SPSC: the producer's position stays private (shared tail is
	 * MPMC's): the slot's sequence is all a consumer needs, and a word
	 * written here per message would be a second line for the consumer
	 * to pull. A ticket's attach finds the position from the slots. */
	if (!ring->mpmc)
		ring->tail = msg->pos + 1;
	/* Both modes publish in the slot: a consumer waiting for it polls
	 * the one line that also holds the length and the first bytes. */
	if (ring->mpmc)
		mpmc_publish(slot, msg->pos + 1, &ring->sh->data, wake);
	else
		publish(ring, &slot->seq, msg->pos + 1, &ring->sh->data, wake);
	msg->data = NULL;
	return 0;
}

int pt__ring_try_send(struct pt__ring *ring, const void *buf, size_t len,
		      uint32_t self, bool *wake)
{
	struct pt_chan_msg msg;
	int rc = pt__ring_try_reserve(ring, len, &msg, self, wake);

	if (rc)
		return rc;
	if (len)
		memcpy(msg.data, buf, len);
	return pt__ring_commit(ring, &msg, wake);
}

/* --- consumer ------------------------------------------------------------- */

/* Nothing to read at pos: closed and drained, or just empty for now. The
 * closed flag is read before tail, so a producer's last publish, made
 * before it closed, is seen. */
static int empty_or_closed(struct pt__ring *ring, uint64_t pos)
{
	uint64_t tail;

	if (!is_closed(ring))
		return -EAGAIN;
	tail = atomic_load_explicit(&ring->sh->tail, memory_order_acquire);
	if (!ring->mpmc && tail != pos)
		return tail - pos > ring->capacity ? -EBADMSG : -EAGAIN;
	/* MPMC: a claimed slot that is not yet published is a message in
	 * flight; wait for it (or for its producer's death). */
	return tail == pos ? -ESHUTDOWN : -EAGAIN;
}

/* MPMC, nothing published at p. Counters only grow, and producers never
 * run more than capacity ahead of consumers, so tail, read before a fresh
 * head, can exceed it by at most capacity: more means corrupted. */
static int mpmc_empty(struct pt__ring *ring, uint64_t p)
{
	uint64_t tail =
		atomic_load_explicit(&ring->sh->tail, memory_order_acquire);
	uint64_t head =
		atomic_load_explicit(&ring->sh->head, memory_order_acquire);

	if ((int64_t)(tail - head) > (int64_t)ring->capacity)
		return -EBADMSG;
	return empty_or_closed(ring, p);
}

static int spsc_peek(struct pt__ring *ring, struct pt_chan_msg *msg)
{
	uint64_t pos = ring->head;
	struct ring_slot *slot = slot_at(ring, pos);
	uint64_t seq;
	uint32_t len;

	/* Published for pos: the producer's exchange on the slot's sequence
	 * came after the length and the bytes. */
	seq = atomic_load_explicit(&slot->seq, memory_order_acquire);
	if (seq != pos + 1) {
		/* Not ready, the slot still says the lap before (pos + 1 -
		 * capacity) or, on the first lap, its initial pos. Anything
		 * else was not written by a producer: checked here, on the
		 * line already polled, instead of against a shared tail. */
		if (seq != pos + 1 - ring->capacity &&
		    !(seq == pos && pos < ring->capacity))
			return -EBADMSG;
		if (!is_closed(ring))
			return -EAGAIN;
		/* Closed: all that was sent before the close is published,
		 * and the acquire of closed above makes it visible. A slot
		 * still unpublished belongs to a producer that died before
		 * publishing it, or lost the race with the close: waiting
		 * for it could last for ever, as nothing wakes a waiter
		 * after the close. */
		if (atomic_load_explicit(&slot->seq, memory_order_acquire) !=
		    pos + 1)
			return -ESHUTDOWN;
	}
	len = atomic_load_explicit(&slot->len, memory_order_relaxed);
	if (len > ring->max_msg)
		return -EBADMSG;
	msg->pos = pos;
	msg->len = len;
	msg->data = slot->data;
	return 0;
}

/* Finds the next published message at or after head and loads its length,
 * without claiming it. Returns 0 with *pos and *len set, or -EAGAIN /
 * -ESHUTDOWN. */
static int mpmc_find(struct pt__ring *ring, uint64_t *pos, uint32_t *len)
{
	uint64_t p =
		atomic_load_explicit(&ring->sh->head, memory_order_relaxed);
	struct ring_slot *slot;
	uint64_t head;
	int64_t dif;

	for (;;) {
		slot = slot_at(ring, p);
		dif = (int64_t)(atomic_load_explicit(&slot->seq,
						     memory_order_acquire) -
				(p + 1));
		if (dif == 0)
			break;
		if (dif < 0)
			return mpmc_empty(ring, p);
		/* Already taken (and freed): head moved past p first, or
		 * the sequence is garbage. */
		head = atomic_load_explicit(&ring->sh->head,
					    memory_order_acquire);
		if (head == p)
			return -EBADMSG;
		p = head;
	}
	/* Published for p: the length is p's as long as the sequence still
	 * says p + 1, which the claim checks. */
	*len = atomic_load_explicit(&slot->len, memory_order_relaxed);
	*pos = p;
	return 0;
}

/* Claims p, found published by mpmc_find(): 0 when this process holds it
 * and head has moved past it; -EAGAIN when another holds it or took it. */
static int mpmc_claim(struct pt__ring *ring, uint64_t pos, uint32_t self,
		      bool *wake)
{
	struct ring_slot *slot = slot_at(ring, pos);

	if (!hold(slot, self))
		return -EAGAIN;
	/* Held, the sequence cannot leave pos + 1 but by us: if it still
	 * says so, nobody claimed pos, so head is pos. */
	if (atomic_load_explicit(&slot->seq, memory_order_acquire) != pos + 1) {
		unhold(slot, &ring->sh->space, wake);
		return -EAGAIN;
	}
	atomic_store_explicit(&ring->sh->head, pos + 1, memory_order_release);
	return 0;
}

/* Frees an MPMC slot for the producer one lap ahead. */
static void mpmc_free(struct pt__ring *ring, uint64_t pos, bool *wake)
{
	mpmc_publish(slot_at(ring, pos), pos + ring->capacity, &ring->sh->space,
		     wake);
}

/* Claims the next message (MPMC), passing over skipped ones. A corrupt
 * length is found only after the claim: the slot is freed, so the ring
 * moves on, and -EBADMSG returned. A slot held by another member, with
 * head not moved past it, is -EAGAIN: its holder is about to move head,
 * or died (pt__ring_reclaim()). */
static int mpmc_peek(struct pt__ring *ring, struct pt_chan_msg *msg, size_t cap,
		     uint32_t self, bool *wake)
{
	uint64_t pos = 0;
	uint32_t len = 0;
	int rc;

	for (;;) {
		rc = mpmc_find(ring, &pos, &len);
		if (rc)
			return rc;
		if (len <= ring->max_msg && len > cap) {
			msg->len = len;
			return -EMSGSIZE;
		}
		rc = mpmc_claim(ring, pos, self, wake);
		if (rc) {
			if (counter_past(&ring->sh->head, pos) == pos)
				return rc;
			continue;
		}
		len = atomic_load_explicit(&slot_at(ring, pos)->len,
					   memory_order_relaxed);
		if (len != LEN_SKIPPED)
			break;
		mpmc_free(ring, pos, wake);
	}
	if (len > ring->max_msg) {
		mpmc_free(ring, pos, wake);
		return -EBADMSG;
	}
	msg->pos = pos;
	msg->len = len;
	msg->data = slot_at(ring, pos)->data;
	return 0;
}

int pt__ring_try_peek(struct pt__ring *ring, struct pt_chan_msg *msg,
		      uint32_t self, bool *wake)
{
	if (!ring->mpmc)
		return spsc_peek(ring, msg);
	return mpmc_peek(ring, msg, SIZE_MAX, self, wake);
}

int pt__ring_release(struct pt__ring *ring, struct pt_chan_msg *msg, bool *wake)
{
	if (!msg->data || msg->data != slot_at(ring, msg->pos)->data)
		return -EINVAL;
	msg->data = NULL;
	if (ring->mpmc) {
		mpmc_free(ring, msg->pos, wake);
		return 0;
	}
	if (msg->pos != ring->head)
		return -EINVAL;
	ring->head = msg->pos + 1;
	publish(ring, &ring->sh->head, ring->head, &ring->sh->space, wake);
	return 0;
}

int pt__ring_try_recv(struct pt__ring *ring, void *buf, size_t cap, size_t *len,
		      uint32_t self, bool *wake)
{
	struct pt_chan_msg msg = { 0 };
	int rc;

	if (ring->mpmc)
		rc = mpmc_peek(ring, &msg, cap, self, wake);
	else
		rc = spsc_peek(ring, &msg);
	if (rc == -EMSGSIZE || (rc == 0 && msg.len > cap)) {
		*len = msg.len;
		return -EMSGSIZE;
	}
	if (rc)
		return rc;
	if (msg.len)
		memcpy(buf, msg.data, msg.len);
	*len = msg.len;
	return pt__ring_release(ring, &msg, wake);
}

/* --- closing and waiting ------------------------------------------------- */

int pt__ring_close(struct pt__ring *ring)
{
	uint32_t was = atomic_exchange_explicit(&ring->sh->closed, 1,
						memory_order_seq_cst);

	if (was)
		return -EALREADY;
	atomic_fetch_add_explicit(&ring->sh->data.seq, 1, memory_order_release);
	atomic_fetch_add_explicit(&ring->sh->space.seq, 1,
				  memory_order_release);
	return 0;
}

static struct ring_wait *wait_of(struct pt__ring *ring, enum pt__ring_wait dir)
{
	return dir == PT__RING_WAIT_DATA ? &ring->sh->data : &ring->sh->space;
}

uint32_t pt__ring_wait_begin(struct pt__ring *ring, enum pt__ring_wait dir)
{
	struct ring_wait *w = wait_of(ring, dir);
	uint32_t seen = atomic_load_explicit(&w->seq, memory_order_acquire);

	/* Raised before the caller's re-check, and ordered before it by the
	 * fence; pairs with the seq_cst operations in publish(). A waker that
	 * took the flag down for another sleeper bumped seq after seen was
	 * read, so the sleep below returns at once: nobody is left asleep with
	 * the flag down. */
	atomic_store_explicit(&w->asleep, 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
	return seen;
}

void pt__ring_wait_end(struct pt__ring *ring, enum pt__ring_wait dir)
{
	/* SPSC: the caller is the only one who sleeps in this direction,
	 * and it is awake: spare the other side a needless wake. MPMC: the
	 * flag stays up, another sleeper may rely on it; a stale flag costs
	 * one needless wake at most. */
	if (!ring->mpmc)
		atomic_store_explicit(&wait_of(ring, dir)->asleep, 0,
				      memory_order_relaxed);
}

_Atomic uint32_t *pt__ring_word(struct pt__ring *ring, enum pt__ring_wait dir)
{
	return &wait_of(ring, dir)->seq;
}

/* --- dead members (MPMC) ------------------------------------------------- */

static _Atomic uint64_t *counter_of(struct pt__ring *ring,
				    enum pt__ring_wait dir)
{
	return dir == PT__RING_WAIT_DATA ? &ring->sh->head : &ring->sh->tail;
}

uint32_t pt__ring_holder(struct pt__ring *ring, enum pt__ring_wait dir)
{
	uint64_t pos;

	if (!ring->mpmc)
		return 0;
	pos = atomic_load_explicit(counter_of(ring, dir), memory_order_acquire);
	return atomic_load_explicit(&slot_at(ring, pos)->owner,
				    memory_order_acquire);
}

/* The slot's sequence says whose turn it is and for which position; the
 * counter of that turn's side says whether the holder had claimed it. A
 * producer's claim moved tail past the slot's position: its message was
 * being written, and is published as skipped. A consumer's claim moved
 * head past it: its message was being read, and the slot is freed. A
 * claim that had not moved the counter, or a holder that had published
 * and not yet let go, leaves the slot as it is: it is only let go. */
int pt__ring_reclaim(struct pt__ring *ring, enum pt__ring_wait dir,
		     uint32_t dead, uint32_t self)
{
	uint64_t pos = atomic_load_explicit(counter_of(ring, dir),
					    memory_order_acquire);
	struct ring_slot *slot = slot_at(ring, pos);
	uint64_t idx = pos & ring->mask;
	uint64_t seq, c;
	int rc = 0;

	if (!ring->mpmc || !dead || dead == self)
		return -EINVAL;
	if (!atomic_compare_exchange_strong_explicit(&slot->owner, &dead, self,
						     memory_order_acquire,
						     memory_order_relaxed))
		return -EAGAIN; /* let go, or reclaimed by another */
	seq = atomic_load_explicit(&slot->seq, memory_order_acquire);
	if (((seq - idx) & ring->mask) == 0) {
		/* the producers' turn at seq */
		c = atomic_load_explicit(&ring->sh->tail, memory_order_acquire);
		if ((int64_t)(c - seq) > 0 && c - seq <= ring->capacity) {
			atomic_store_explicit(&slot->len, LEN_SKIPPED,
					      memory_order_relaxed);
			atomic_store_explicit(&slot->seq, seq + 1,
					      memory_order_release);
		}
	} else if (((seq - 1 - idx) & ring->mask) == 0) {
		/* published for seq - 1: the consumers' turn */
		c = atomic_load_explicit(&ring->sh->head, memory_order_acquire);
		if ((int64_t)(c - (seq - 1)) > 0 &&
		    c - (seq - 1) <= ring->capacity)
			atomic_store_explicit(&slot->seq,
					      seq - 1 + ring->capacity,
					      memory_order_release);
	} else {
		rc = -EBADMSG;
	}
	(void)atomic_exchange_explicit(&slot->owner, 0, memory_order_seq_cst);
	return rc;
}
