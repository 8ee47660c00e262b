/* mem.h - a pool's memory: futures and result buffers used again instead
 * of malloc()ed and freed per task, and the arena of in-place tasks.
 *
 * Futures outlive their pool (a caller may read a result after
 * pt_pool_destroy()), so this memory is not the pool's alone: every future
 * made from it holds a reference, and the last of the pool and its
 * futures to let go frees it.
 *
 * Blocks come in power-of-two size classes, each with a short free list;
 * a block's class is in the 16 bytes before what the caller sees. The
 * arena is one memfd (MAP_SHARED, so a process worker maps the same pages)
 * cut into page-aligned slots of arg_cap + res_cap bytes: a reserved task
 * writes its argument at the start of its slot and its worker writes the
 * result right after, where the caller reads it until it destroys the
 * future. The pages stay faulted in from one task to the next.
 *
 * Thread-safe: one mutex, never held across anything else.
 */
#ifndef PT_POOL_MEM_H
#define PT_POOL_MEM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PT__MEM_CLASSES 26 /* 64 B << 25: past PT_POOL_BYTES_MAX's blocks */

struct pt__pool_mem {
	atomic_int refs; /* the pool's and one per future */
	pthread_mutex_t lock;
	pthread_cond_t freed; /* an arena slot came free, or closed set */
	void *blocks[PT__MEM_CLASSES]; /* free lists, through the first word */
	unsigned nblocks[PT__MEM_CLASSES];
	/* The arena; fd -1 and nslots 0 when there is none. */
	int fd;
	unsigned char *base;
	size_t bytes;	   /* mapped */
	size_t slot_bytes; /* arg_cap + res_cap, page-aligned */
	size_t arg_cap;	   /* page-aligned max_arg_bytes */
	unsigned nslots;
	unsigned nfree;
	unsigned *free; /* the free slots' indices, a stack */
	bool closed;	/* the pool shut down: reservers stop waiting */
};

/* Makes the memory of a pool, with an arena of nslots slots (0: none).
 * Returns 0 and sets *out, or -errno. */
int pt__mem_create(unsigned nslots, size_t arg_max, size_t res_max,
		   struct pt__pool_mem **out);

/* One more holder; and one fewer: the last frees it. */
void pt__mem_get(struct pt__pool_mem *m);
void pt__mem_put(struct pt__pool_mem *m);

/* A block of at least len bytes, or NULL (out of memory). */
void *pt__mem_alloc(struct pt__pool_mem *m, size_t len);

/* Gives a block back (NULL does nothing). */
void pt__mem_free(struct pt__pool_mem *m, void *p);

/* Takes a free arena slot, waiting for one with wait set. Returns its
 * index, -EAGAIN (none, wait unset), -ESHUTDOWN (closed) or -ENOTSUP (no
 * arena). */
int pt__mem_slot_take(struct pt__pool_mem *m, bool wait);

/* Gives a slot back and wakes one waiter. */
void pt__mem_slot_give(struct pt__pool_mem *m, unsigned slot);

/* Wakes every waiter for good: the pool shuts down. */
void pt__mem_close(struct pt__pool_mem *m);

/* Where slot's argument and result bytes are. */
static inline unsigned char *pt__mem_slot_arg(const struct pt__pool_mem *m,
					      unsigned slot)
{
	return m->base + (size_t)slot * m->slot_bytes;
}

static inline unsigned char *pt__mem_slot_res(const struct pt__pool_mem *m,
					      unsigned slot)
{
	return pt__mem_slot_arg(m, slot) + m->arg_cap;
}

#endif
