/* shared.h - the block a running unit's function sees, and the calling
 * thread's pointer to it. A leaf: the unit front end (unit.c), its backends
 * (thread.c, process.c) and the pool's workers use it; it calls nothing. */
#ifndef PT_UNIT_SHARED_H
#define PT_UNIT_SHARED_H

#include <procthread/unit.h>

#include <stdatomic.h>
#include <stddef.h>

/* The part of a unit that the running function sees. For a process unit it
 * lives in a MAP_SHARED mapping made before the fork, so the parent reads
 * what the child wrote; the parent trusts none of it beyond the bounds it
 * keeps itself (result_len is clamped to the capacity it chose). */
struct pt__unit_shared {
	atomic_int cancelled; /* set by the parent, read by pt_cancelled() */
	atomic_int returned;  /* fn returned, as opposed to exit or crash */
	int code;	      /* fn's return value, once returned is set */
	atomic_size_t result_len;
	size_t result_capacity; /* a copy for the child's own checks */
	/* Written by the parent before a fork-server child starts: what it
	 * runs, and where its argument bytes lie in this block. */
	pt_unit_fn *fn;
	size_t arg_offset;
	size_t arg_len;
	size_t sandbox_offset; /* a struct pt__sandbox there; 0: none */
	unsigned char result[];
};

/* The calling thread's unit, if it runs one (thread units set it on their
 * thread, process units in the child, pool workers around each task). */
extern _Thread_local struct pt__unit_shared *pt__unit_self;

/* The bytes of the shared block for a given result capacity. */
size_t pt__unit_shared_bytes(size_t result_capacity);

/* Where a fork-server unit's argument bytes start in its shared block. */
size_t pt__unit_arg_offset(size_t result_capacity);

/* A unit's block, for the code that spawned it (the pool reads its
 * workers' marks there while they run). Defined by unit.c. */
struct pt__unit_shared *pt__unit_block(const pt_unit *unit);

#endif
