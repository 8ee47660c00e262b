/* reserve.c - in-place tasks: a reservation in the pool's arena, written
 * by the caller and submitted without a copy (pt_pool_reserve(), see
 * pool.h and mem.h).
 *
 * A reservation is a future that is not queued yet: it sits on
 * pool->reserved, so that a shutdown finds and resolves it, and it holds
 * its arena slot from the reservation to its last reference.
 */
#include "pool/backend.h"

#include <errno.h>

int pt_pool_reserve(pt_pool *pool, size_t len, void **arg, pt_future **out)
{
	pt_future *f;
	int place, rc = 0;

	if (!pool || !arg || !out)
		return -EINVAL;
	if (!pool->ops->in_place)
		return -ENOTSUP;
	if (len > pool->opts.max_arg_bytes)
		return -EMSGSIZE;
	place = pt__mem_slot_take(pool->mem, pool->opts.when_full ==
						     PT_POOL_WHEN_FULL_BLOCK);
	if (place < 0)
		return place;
	f = pt__future_new(pool, 0);
	if (!f) {
		pt__mem_slot_give(pool->mem, (unsigned)place);
		return -ENOMEM;
	}
	f->place = place;
	f->len = len;
	atomic_init(&f->place_refs, 1); /* the caller's */
	pthread_mutex_lock(&pool->lock);
	if (pool->closing) {
		rc = -ESHUTDOWN;
	} else if (pool->broken) {
		rc = -ENOTRECOVERABLE;
	} else {
		f->reserved = true;
		f->next = pool->reserved;
		if (pool->reserved)
			pool->reserved->prev = f;
		pool->reserved = f;
	}
	pthread_mutex_unlock(&pool->lock);
	if (rc) {
		atomic_store(&f->refs, 1);
		pt__future_put(f); /* gives the slot back */
		return rc;
	}
	*arg = pt__future_arg_area(f);
	*out = f;
	return 0;
}

/* Under the lock: f goes back on pool->reserved. */
static void relink(pt_pool *pool, pt_future *f)
{
	f->reserved = true;
	f->prev = NULL;
	f->next = pool->reserved;
	if (pool->reserved)
		pool->reserved->prev = f;
	pool->reserved = f;
}

int pt_pool_submit_reserved(pt_future *future, pt_task_fn *fn)
{
	pthread_cond_t *wake = NULL;
	pt_pool *pool;
	int rc;

	if (!future || !fn || future->place < 0)
		return -EINVAL;
	/* Resolved: cancelled, or its pool shut down (maybe destroyed, so
	 * not touched). */
	if (atomic_load(&future->outcome.state) == PT__OUTCOME_DONE)
		return future->outcome.result.status == PT_TASK_SHUTDOWN
			       ? -ESHUTDOWN
			       : -EALREADY;
	pool = future->pool;
	pthread_mutex_lock(&pool->lock);
	if (!future->reserved) {
		rc = pt__outcome_done(&future->outcome) &&
				     future->outcome.result.status ==
					     PT_TASK_SHUTDOWN
			     ? -ESHUTDOWN
			     : -EALREADY;
		goto out;
	}
	pt__future_unlink_reserved(pool, future);
	future->fn = fn;
	rc = pt__pool_enqueue(pool, future, &wake);
	if (rc) {
		relink(pool, future);
		/* Closed while it waited for room: it resolves as every
		 * other reservation did. */
		if (pool->closing)
			pt__future_end_reserved(pool, future, PT_TASK_SHUTDOWN);
	}
out:
	pthread_mutex_unlock(&pool->lock);
	if (wake)
		pthread_cond_signal(wake);
	return rc;
}
