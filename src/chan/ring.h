/* ring.h - the shared-memory ring: layout and non-blocking operations.
 *
 * ring.c is pure memory code: no system calls. It says when a waiter must
 * be woken and which word to sleep on; shm.c does the sleeping and waking.
 * The layout and the memory-ordering argument are in docs/design.md,
 * "Channels and the ring".
 */
#ifndef PT_CHAN_RING_H
#define PT_CHAN_RING_H

#include <procthread/chan.h>

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Shared areas sit 128 bytes apart: a cache line plus the neighbour that
 * x86's adjacent-line prefetcher pulls in with it. */
#define PT__RING_LINE	  128
#define PT__RING_SLOT_HDR 16

/* The two directions a side can wait in. */
enum pt__ring_wait {
	PT__RING_WAIT_DATA,  /* a consumer waits for a message */
	PT__RING_WAIT_SPACE, /* a producer waits for a free slot */
};

/* This process's view of a ring. The geometry is a private copy, taken
 * from the creator's options, never re-read from shared memory; the
 * producer's and consumer's private counters sit on separate lines so that
 * two threads of one process do not share a line either. */
struct pt__ring {
	unsigned char *mem; /* the shared block */
	struct pt__ring_shared *sh;
	unsigned char *slots;
	uint64_t capacity; /* a power of two */
	uint64_t mask;
	uint64_t stride; /* bytes per slot, header included */
	uint64_t max_msg;
	bool mpmc;
	/* No side of this ring ever sleeps (both spin until their deadline,
	 * PT_CHAN_SPIN_FOREVER): SPSC publishes with a release store and
	 * skips the wake-up protocol. Set by the caller after init or
	 * attach, and only when every handle of the ring says so; false
	 * otherwise. */
	bool sleepless;

	/* SPSC producer: the next position to write and the last head seen */
	alignas(PT__RING_LINE) uint64_t tail;
	uint64_t head_cache;
	/* SPSC consumer: the next position to read */
	alignas(PT__RING_LINE) uint64_t head;
};

/* Bytes of shared memory a ring of capacity slots of max_msg bytes needs,
 * or 0 when that overflows. capacity must be a power of two. */
size_t pt__ring_bytes(uint64_t capacity, uint64_t max_msg);

/* Lays out a fresh ring in mem (pt__ring_bytes() bytes, zero-filled) and
 * sets up the creator's view of it. */
void pt__ring_init(struct pt__ring *ring, void *mem, uint64_t capacity,
		   uint64_t max_msg, bool mpmc);

/* Sets up a view of a ring another process laid out in mem (bytes long),
 * with the geometry this process was told. Returns 0, -EBADMSG when the
 * memory is too short or its header disagrees, -EINVAL for a capacity
 * that is not a power of two. */
int pt__ring_attach(struct pt__ring *ring, void *mem, size_t bytes,
		    uint64_t capacity, uint64_t max_msg, bool mpmc);

/* Non-blocking operations. Each returns 0, -EAGAIN when it would have to
 * wait, -ESHUTDOWN when closed (and, for the consumer, drained), -EBADMSG
 * on corrupted shared memory, -EMSGSIZE for a length out of bounds.
 * Calls with a wake argument may set *wake: a waiter of the other side
 * must then be woken (on pt__ring_word() of that side's direction). self
 * is the caller's process id (MPMC: recorded as a slot's owner while the
 * caller holds it; unused in SPSC). */
int pt__ring_try_reserve(struct pt__ring *ring, size_t len,
			 struct pt_chan_msg *msg, uint32_t self, bool *wake);
int pt__ring_commit(struct pt__ring *ring, struct pt_chan_msg *msg, bool *wake);
int pt__ring_try_peek(struct pt__ring *ring, struct pt_chan_msg *msg,
		      uint32_t self, bool *wake);
int pt__ring_release(struct pt__ring *ring, struct pt_chan_msg *msg,
		     bool *wake);

/* Copying versions of the above. try_recv sets *len also when it returns
 * -EMSGSIZE (the message is longer than cap and stays in the ring). */
int pt__ring_try_send(struct pt__ring *ring, const void *buf, size_t len,
		      uint32_t self, bool *wake);
int pt__ring_try_recv(struct pt__ring *ring, void *buf, size_t cap, size_t *len,
		      uint32_t self, bool *wake);

/* Dead members (MPMC; SPSC has no holder). A side that gets -EAGAIN may be
 * kept waiting by a slot another process holds between claim and publish:
 * pt__ring_holder() is that process's id (the slot at head for
 * PT__RING_WAIT_DATA, at tail for PT__RING_WAIT_SPACE), 0 when the slot
 * is not held. Once the caller knows that process has ended,
 * pt__ring_reclaim() finishes its claim: a message it was writing is
 * skipped, one it was reading is dropped, and the slot moves on. Returns
 * 0 (then wake every waiter, on both words), -EAGAIN when the slot is no
 * longer dead's, -EBADMSG for a sequence that fits no turn, -EINVAL for an
 * SPSC ring or a dead of 0 or self. */
uint32_t pt__ring_holder(struct pt__ring *ring, enum pt__ring_wait dir);
int pt__ring_reclaim(struct pt__ring *ring, enum pt__ring_wait dir,
		     uint32_t dead, uint32_t self);

/* Closes the ring: returns 0, or -EALREADY. Every waiter must be woken
 * afterwards, on both words. */
int pt__ring_close(struct pt__ring *ring);

/* Waiting, in three steps around a futex wait on pt__ring_word():
 *   seen = pt__ring_wait_begin(ring, dir);
 *   retry the operation; if it still returns -EAGAIN, sleep while the word
 *   equals seen;
 *   pt__ring_wait_end(ring, dir);
 * begin announces the waiter before the retry, so a side that publishes
 * after the retry looked sees the waiter and wakes it. */
uint32_t pt__ring_wait_begin(struct pt__ring *ring, enum pt__ring_wait dir);
void pt__ring_wait_end(struct pt__ring *ring, enum pt__ring_wait dir);
_Atomic uint32_t *pt__ring_word(struct pt__ring *ring, enum pt__ring_wait dir);

#endif
