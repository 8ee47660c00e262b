/* future.c - futures: the one place a task resolves, and waiting for it.
 *
 * A future resolves exactly once. Several parties may try - the worker
 * with its result, the watcher at the deadline, a cancel, a shutdown - so
 * resolution is a compare-and-swap of the state from QUEUED or RUNNING to
 * RESOLVING: the winner writes the result and publishes DONE; the losers
 * drop what they had. All resolvers hold the pool's lock as well, which
 * keeps the counters and the completion queue consistent with the state.
 *
 * Waiting is a futex on the state word, with a count of waiters so that a
 * resolution nobody waits for costs no system call. The waiter announces
 * itself before it loads the state, the resolver publishes before it loads
 * the count (both sequentially consistent), so one of them sees the other.
 */
#include "pool/pool_internal.h"
#include "util/clock.h"
#include "util/futex.h"

#include <errno.h>
#include <limits.h>
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
	}
	return "unknown";
}

void pt__future_put(pt_future *f)
{
	if (atomic_fetch_sub(&f->refs, 1) != 1)
		return;
	free(f->result_buf);
	free(f);
}

static void count(struct pt_pool_stats *st, enum pt_task_status status)
{
	switch (status) {
	case PT_TASK_OK:
		st->ok++;
		break;
	case PT_TASK_FAILED:
		st->failed++;
		break;
	case PT_TASK_CRASHED:
		st->crashed++;
		break;
	case PT_TASK_TIMED_OUT:
		st->timed_out++;
		break;
	case PT_TASK_CANCELLED:
		st->cancelled++;
		break;
	case PT_TASK_SHUTDOWN:
		st->shut_down++;
		break;
	}
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

bool pt__future_resolve(pt_pool *pool, pt_future *f,
			const struct pt_result *res, void *buf, size_t len)
{
	uint32_t seen = atomic_load(&f->state);
	bool was_running;

	do {
		if (seen >= PT__F_RESOLVING) {
			free(buf);
			return false;
		}
	} while (!atomic_compare_exchange_weak(&f->state, &seen,
					       PT__F_RESOLVING));
	was_running = seen == PT__F_RUNNING;
	f->result.status = res->status;
	f->result.error = res->error;
	f->result.how = res->how;
	f->result.signal = res->signal;
	f->result.exit_code = res->exit_code;
	if (res->worker_pid)
		f->result.worker_pid = res->worker_pid;
	if (res->started_ns)
		f->result.started_ns = res->started_ns;
	f->result.finished_ns =
		res->finished_ns ? res->finished_ns : pt__now_ns();
	f->result_buf = buf;
	f->result.data = buf;
	f->result.len = buf ? len : 0;
	atomic_store(&f->state, PT__F_DONE);
	if (atomic_load(&f->waiters) > 0)
		pt__futex_wake(&f->state, INT_MAX, false);

	count(&pool->stats, res->status);
	if (was_running)
		pool->stats.running--;
	if (pool->opts.completions)
		completion_push(pool, f);
	if (--pool->unresolved == 0)
		pthread_cond_broadcast(&pool->quiet);
	pt__future_put(f); /* the pool's reference */
	return true;
}

int pt_future_wait(pt_future *f, int timeout_ms, struct pt_result *result)
{
	uint64_t deadline;
	uint32_t seen;
	int rc = 0;

	if (!f || !result)
		return -EINVAL;
	deadline = pt__deadline_after_ms(timeout_ms);
	atomic_fetch_add(&f->waiters, 1);
	while ((seen = atomic_load(&f->state)) != PT__F_DONE) {
		uint64_t wait_ns = 0;

		if (timeout_ms >= 0) {
			uint64_t now = pt__now_ns();

			if (now >= deadline) {
				rc = -ETIMEDOUT;
				break;
			}
			wait_ns = deadline - now;
		}
		pt__futex_wait(&f->state, seen, wait_ns, false);
	}
	atomic_fetch_sub(&f->waiters, 1);
	if (rc == 0)
		*result = f->result;
	return rc;
}

bool pt_future_done(const pt_future *f)
{
	return f && atomic_load(&f->state) == PT__F_DONE;
}

int pt_future_cancel(pt_future *f)
{
	struct pt_result res = { .status = PT_TASK_CANCELLED };
	pt_pool *pool;
	int rc = 0;

	if (!f)
		return -EINVAL;
	if (atomic_load(&f->state) >= PT__F_RESOLVING)
		return -EALREADY;
	/* Unresolved: the pool is alive (destroy resolves everything). */
	pool = f->pool;
	pthread_mutex_lock(&pool->lock);
	switch (atomic_load(&f->state)) {
	case PT__F_QUEUED:
		if (f->prev)
			f->prev->next = f->next;
		else
			pool->head = f->next;
		if (f->next)
			f->next->prev = f->prev;
		else
			pool->tail = f->prev;
		pool->nqueued--;
		pthread_cond_signal(&pool->room);
		pt__future_resolve(pool, f, &res, NULL, 0);
		break;
	case PT__F_RUNNING: {
		struct pt__pool_slot *slot = &pool->slots[f->slot];

		pt__future_resolve(pool, f, &res, NULL, 0);
		/* Stop what runs it: a process is killed (the proxy then
		 * replaces it), a thread is asked. A task a process worker
		 * has only queued is left to run; its answer is dropped. */
		if (slot->current != f)
			break;
		if (slot->unit)
			pt_unit_kill(slot->unit, SIGKILL);
		else if (slot->cancel)
			atomic_store(&slot->cancel->cancelled, 1);
		break;
	}
	default:
		rc = -EALREADY;
	}
	pthread_mutex_unlock(&pool->lock);
	return rc;
}

void pt_future_destroy(pt_future *f)
{
	if (f)
		pt__future_put(f);
}
