/* process_start.h - starting a process pool's workers (process_start.c):
 * one made when a slot needs it, or a spare kept ready (opts.spares). */
#ifndef PT_POOL_PROCESS_START_H
#define PT_POOL_PROCESS_START_H

#include "pool/pool_internal.h"

/* A worker for a slot of pool: a spare when one is ready (and another is
 * started in the background to take its place), else one started now -
 * by the fork-server when it runs, else forked by the maker. Returns 0
 * with *w filled, or the start's -errno. Without the lock, on a slot's
 * proxy thread. */
int pt__pool_worker_get(pt_pool *pool, struct pt__pool_worker *w);

/* How many slots each of a worker's rings has, and so how many tasks it
 * may have in flight: PT__POOL_DEPTH, halved while the rings would pass
 * 1 MiB each, down to two. */
unsigned pt__pool_ring_depth(const pt_pool *pool);

/* Frees what an ended, joined worker leaves - its unit and rings - and
 * zeroes *w; a zeroed *w is left as it is. */
void pt__pool_worker_free(struct pt__pool_worker *w);

/* Ends a worker taken out of its slot (killed, or dying): the maker reaps
 * it and frees what it leaves, so the caller goes on at once (or, when
 * the maker has many to reap already, the caller waits for its end).
 * held (or NULL) is a reference to the task the worker ran, put only once
 * the worker is gone: until then a thread of that task may still write
 * into its in-place slot, which must not serve another task yet. Zeroes
 * *w. Without the lock. */
void pt__pool_worker_discard(pt_pool *pool, struct pt__pool_worker *w,
			     pt_future *held);

/* The worker's half of the mark lives in its unit's result bytes. */
static inline struct pt__pool_mark *pt__pool_mark_of(pt_unit *unit)
{
	return (struct pt__pool_mark *)pt__unit_block(unit)->result;
}

/* The process backend's ops for its maker (process_start.c): open makes
 * its state; start starts the thread that forks workers without the
 * fork-server and keeps opts.spares ready; await is
 * pt_pool_await_spares(); join, once every slot's loop ended and its
 * thread was joined, stops the maker and ends the spares not taken; close
 * frees the state. */
int pt__pool_maker_open(pt_pool *pool, int verdict);
int pt__pool_maker_start(pt_pool *pool);
int pt__pool_spares_await(pt_pool *pool, int timeout_ms);
void pt__pool_maker_join(pt_pool *pool);
void pt__pool_maker_close(pt_pool *pool);

#endif
