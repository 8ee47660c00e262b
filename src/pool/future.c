/* future.c - futures: the one place a task resolves, and waiting for it.
 *
 * A future resolves exactly once, through its outcome (outcome.h: one
 * resolver wins a compare-and-swap, waiters sleep on a futex). All
 * resolvers hold the pool's lock as well, which keeps the counters and
 * the completion queue consistent with the state.
 */
#include "pool/backend.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *pt_task_status_name(enum pt_task_status status)
{
	switch (status) {
	case PT_TASK_OK:
		return "ok";
	case PT_TASK_FAILED:
		return "failed";
	case PT_TASK_CRASHED:
		return "crashed";
	case PT_TASK_TIMED_OUT:
		return "timed-out";
	case PT_TASK_CANCELLED:
		return "cancelled";
	case PT_TASK_SHUTDOWN:
		return "shutdown";
	case PT_TASK_NO_WORKER:
		return "no-worker";
	case PT_TASK_INIT_FAILED:
		return "init-failed";
	}
	return "unknown";
}

pt_future *pt__future_new(pt_pool *pool, size_t len)
{
	pt_future *f = pt__mem_alloc(pool->mem, sizeof(*f) + len);

	if (!f)
		return NULL;
	memset(f, 0, sizeof(*f));
	f->len = len;
	f->pool = pool;
	f->slot = -1;
	f->place = -1;
	f->mem = pool->mem;
	pt__mem_get(f->mem);
	atomic_init(&f->refs, 2);
	return f;
}

static void place_put(pt_future *f)
{
	if (atomic_fetch_sub(&f->place_refs, 1) == 1)
		pt__mem_slot_give(f->mem, (unsigned)f->place);
}

void pt__future_done_with_place(pt_future *f)
{
	if (f->place >= 0 && f->place_held) {
		f->place_held = false;
		place_put(f);
	}
}

void pt__future_put(pt_future *f)
{
	struct pt__pool_mem *m;

	if (atomic_fetch_sub(&f->refs, 1) != 1)
		return;
	m = f->mem;
	pt__mem_free(m, f->outcome.buf);
	/* Nobody reads or writes the slot any more; it may have come back
	 * already (place_refs 0), when its worker said it was done. */
	if (f->place >= 0 && atomic_load(&f->place_refs) > 0)
		pt__mem_slot_give(m, (unsigned)f->place);
	pt__mem_free(m, f);
	pt__mem_put(m);
}

void *pt__pool_buf(pt_pool *pool, size_t len)
{
	return pt__mem_alloc(pool->mem, len);
}

unsigned char *pt__future_arg_area(const pt_future *f)
{
	return f->place >= 0 ? pt__mem_slot_arg(f->mem, (unsigned)f->place)
			     : NULL;
}

unsigned char *pt__future_res_area(const pt_future *f)
{
	return f->place >= 0 ? pt__mem_slot_res(f->mem, (unsigned)f->place)
			     : NULL;
}

void pt__future_unlink_reserved(pt_pool *pool, pt_future *f)
{
	if (f->prev)
		f->prev->next = f->next;
	else
		pool->reserved = f->next;
	if (f->next)
		f->next->prev = f->prev;
	f->next = f->prev = NULL;
	f->reserved = false;
}

void pt__future_end_reserved(pt_pool *pool, pt_future *f,
			     enum pt_task_status status)
{
	struct pt_result res = { .status = status };
	uint32_t was;

	pt__future_unlink_reserved(pool, f);
	/* Never submitted: not counted as submitted, nor as resolved. */
	if (pt__outcome_claim(&f->outcome, &was))
		pt__outcome_publish(&f->outcome, &res, NULL, 0, false, true);
	pt__future_put(f); /* the pool's reference */
}

static void completion_push(pt_pool *pool, pt_future *f)
{
	uint64_t one = 1;

	atomic_fetch_add(&f->refs, 1);
	f->next = NULL;
	f->prev = pool->done_tail;
	if (pool->done_tail)
		pool->done_tail->next = f;
	else
		pool->done_head = f;
	pool->done_tail = f;
	/* A semaphore eventfd: one count per queued future. */
	while (write(pool->done_fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

static bool resolve(pt_pool *pool, pt_future *f, const struct pt_result *res,
		    void *buf, size_t len, bool wake)
{
	/* An in-place result stays where its worker wrote it. */
	bool owned = buf && buf != (void *)pt__future_res_area(f) &&
		     buf != (void *)pt__future_arg_area(f);
	uint32_t was;

	if (!pt__outcome_claim(&f->outcome, &was)) {
		if (owned)
			pt__mem_free(pool->mem, buf);
		return false;
	}
	/* Into the completion queue (and its descriptor readable) before
	 * the waiters wake: a thread that saw the future resolved must find
	 * it there. Nobody takes it out before it is published, since
	 * pt_pool_next_done() needs the lock this resolver holds. */
	if (pool->opts.completions)
		completion_push(pool, f);
	pt__outcome_publish(&f->outcome, res, buf, len, owned, wake);
	pt__pool_stats_count(&pool->stats, res->status);
	if (was == PT__OUTCOME_TAKEN)
		pool->stats.running--;
	if (--pool->unresolved == 0)
		pthread_cond_broadcast(&pool->quiet);
	pt__future_put(f); /* the pool's reference */
	return true;
}

bool pt__future_resolve(pt_pool *pool, pt_future *f,
			const struct pt_result *res, void *buf, size_t len)
{
	return resolve(pool, f, res, buf, len, true);
}

bool pt__future_resolve_quietly(pt_pool *pool, pt_future *f,
				const struct pt_result *res, void *buf,
				size_t len)
{
	return resolve(pool, f, res, buf, len, false);
}

void pt__future_wake(pt_future *f)
{
	pt__outcome_wake(&f->outcome);
}

int pt_future_wait(pt_future *future, int timeout_ms, struct pt_result *result)
{
	if (!future || !result)
		return -EINVAL;
	return pt__outcome_wait(&future->outcome, timeout_ms, result);
}

bool pt_future_done(const pt_future *future)
{
	return future && pt__outcome_done(&future->outcome);
}

int pt_future_state(const pt_future *future)
{
	pt_future *f = (pt_future *)future;
	pt_pool *pool;
	int state;

	if (!f)
		return -EINVAL;
	switch (atomic_load(&f->outcome.state)) {
	case PT__OUTCOME_QUEUED:
		return PT_FUTURE_QUEUED;
	case PT__OUTCOME_DONE:
		return PT_FUTURE_DONE;
	}
	/* Taken or resolving, so unresolved a moment ago: the pool is alive
	 * (destroy resolves everything). Resolvers hold its lock, so under it
	 * the state is QUEUED, TAKEN or DONE. */
	pool = f->pool;
	pthread_mutex_lock(&pool->lock);
	switch (atomic_load(&f->outcome.state)) {
	case PT__OUTCOME_QUEUED:
		state = PT_FUTURE_QUEUED;
		break;
	case PT__OUTCOME_TAKEN:
		/* A thread runs what it takes; a process worker may have it
		 * only sent ahead, or still run its initializer. */
		state = !pool->ops->task_started ||
					pool->ops->task_started(
						&pool->slots[f->slot], f)
				? PT_FUTURE_RUNNING
				: PT_FUTURE_QUEUED;
		break;
	default:
		state = PT_FUTURE_DONE;
	}
	pthread_mutex_unlock(&pool->lock);
	return state;
}

int pt_future_cancel(pt_future *future)
{
	struct pt_result res = { .status = PT_TASK_CANCELLED };
	pt_pool *pool;
	int rc = 0;

	if (!future)
		return -EINVAL;
	if (atomic_load(&future->outcome.state) >= PT__OUTCOME_RESOLVING)
		return -EALREADY;
	/* Unresolved: the pool is alive (destroy resolves everything). */
	pool = future->pool;
	pthread_mutex_lock(&pool->lock);
	switch (atomic_load(&future->outcome.state)) {
	case PT__OUTCOME_QUEUED:
		if (future->reserved) {
			pt__future_end_reserved(pool, future,
						PT_TASK_CANCELLED);
			break;
		}
		if (future->prev)
			future->prev->next = future->next;
		else
			pool->head = future->next;
		if (future->next)
			future->next->prev = future->prev;
		else
			pool->tail = future->prev;
		pool->nqueued--;
		pthread_cond_signal(&pool->room);
		pt__future_resolve(pool, future, &res, NULL, 0);
		break;
	case PT__OUTCOME_TAKEN: {
		struct pt__pool_slot *slot = &pool->slots[future->slot];
		uint64_t id = future->id;
		bool current = slot->current == future;

		pt__future_resolve(pool, future, &res, NULL, 0);
		/* Stop what runs it: a process is killed (the proxy then
		 * replaces it), a thread is asked. A task a process worker
		 * has only queued is left to run; its answer is dropped. */
		if (current && pool->ops->stop_task)
			pool->ops->stop_task(pool, slot, id);
		break;
	}
	default:
		rc = -EALREADY;
	}
	pthread_mutex_unlock(&pool->lock);
	return rc;
}

void pt_future_destroy(pt_future *future)
{
	pt_pool *pool;

	if (!future)
		return;
	/* A reservation never submitted gives its slot back now, not at
	 * the pool's shutdown. Unresolved, so the pool is alive. */
	if (future->place >= 0 &&
	    atomic_load(&future->outcome.state) == PT__OUTCOME_QUEUED) {
		pool = future->pool;
		pthread_mutex_lock(&pool->lock);
		if (future->reserved)
			pt__future_end_reserved(pool, future,
						PT_TASK_CANCELLED);
		pthread_mutex_unlock(&pool->lock);
	}
	/* The caller is done with the slot: it comes back now unless a
	 * worker still has it. */
	if (future->place >= 0)
		place_put(future);
	pt__future_put(future);
}
