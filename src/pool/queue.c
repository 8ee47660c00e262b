/* queue.c - the pool's queue and the worker bookkeeping its backends
 * report to: taking the oldest task, putting one back, a worker's start,
 * end and replacement, a broken pool. A leaf under the core (pool.c) and
 * the backends (thread_worker.c, process_worker.c, src/mpi/): the core
 * reaches a backend through its ops table, and a backend reports through
 * the functions here, so no file calls back into the one that called it.
 * Everything here runs under pool->lock unless it says otherwise. */
#include "pool/backend.h"
#include "util/clock.h"
#include "util/cpu.h"

#include <errno.h>
#include <unistd.h>

static void queue_append(pt_pool *pool, pt_future *f)
{
	f->next = NULL;
	f->prev = pool->tail;
	if (pool->tail)
		pool->tail->next = f;
	else
		pool->head = f;
	pool->tail = f;
	pool->nqueued++;
}

/* --- parking ---------------------------------------------------------------
 *
 * A slot with nothing to take parks on a stack, each on a condition of its
 * own, and a new task wakes one - the last parked, whose thread ran last
 * and is most likely still in cache - and only while no other woken slot
 * is on its way: with one shared condition and a wake per task, a burst
 * of tasks woke every idle worker of a pool much larger than the machine,
 * which then fought over the lock (64 thread workers on 2 CPUs ran empty
 * tasks at a tenth of the rate of 2). A woken slot that takes a task and
 * leaves more queued wakes the next, so the workers join in one after
 * another as long as work waits, and the rest stay asleep. A slot on its
 * way back to the queue anyway - spinning before it parks, or a process
 * proxy returning from its last reply - counts as on its way.
 *
 * Nor is a slot woken while as many slots as the pool has CPUs are busy
 * with short tasks (a process backend's judgement, from the run times of
 * its recent tasks): they come back for the queue within microseconds,
 * and each further slot woken is a proxy thread and a worker process
 * whose stacks, rings and page tables come into the caches cold. A
 * 64-worker process pool on 2 CPUs ran empty tasks at 0.49-0.53x the
 * rate of 2 workers while its bursts woke about 32 slots, and at
 * 0.78-1.15x so capped (docs/design.md). A slot whose tasks turn out
 * long is not busy for long: one that
 * waited PT__POOL_STALL_MS for a reply stalls (pt__pool_slot_stalled())
 * and wakes a parked slot in its place. */

/* Marks a slot taken off the stack as woken; its condition is signalled
 * next, by the caller. */
static pthread_cond_t *mark_woken(pt_pool *pool, struct pt__pool_slot *slot)
{
	slot->parked = false;
	if (!slot->woken) {
		slot->woken = true;
		pool->waking++;
	}
	return &slot->wake;
}

static void unpark(pt_pool *pool, struct pt__pool_slot *slot)
{
	pthread_cond_signal(mark_woken(pool, slot));
}

/* The last parked slot, taken off the stack and marked woken, while work
 * waits and no woken, returning or spinning slot is on its way to it;
 * else NULL. Its condition is the caller's to signal. */
static pthread_cond_t *to_wake_for_work(pt_pool *pool)
{
	if (pool->nqueued && pool->nparked && !pool->waking &&
	    !pool->returning && !pool->spinning && pool->busy < pool->cpus)
		return mark_woken(pool,
				  &pool->slots[pool->parked[--pool->nparked]]);
	return NULL;
}

/* Wakes the last parked slot while work waits and no other slot is on its
 * way to it. */
static void wake_for_work(pt_pool *pool)
{
	pthread_cond_t *wake = to_wake_for_work(pool);

	if (wake)
		pthread_cond_signal(wake);
}

/* Before parking, one slot at a time spins for pool->spin_ns without the
 * lock until a task is queued, as an adaptive channel wait spins before it
 * sleeps: a caller that submits the next task within that time finds a
 * worker awake instead of paying a wake-up. Returns whether it spun; the
 * caller looks at the queue again either way. */
static bool spin_for_work(pt_pool *pool)
{
	unsigned seen;
	uint64_t until;

	if (!pool->spin_ns || pool->spinning)
		return false;
	seen = atomic_load_explicit(&pool->posted, memory_order_relaxed);
	pool->spinning++;
	pthread_mutex_unlock(&pool->lock);
	until = pt__now_ns() + pool->spin_ns;
	for (unsigned i = 1;; i++) {
		if (atomic_load_explicit(&pool->posted, memory_order_relaxed) !=
		    seen)
			break;
		if (i % 64 == 0 && pt__now_ns() >= until)
			break;
		pt__spin_pause(i, true);
	}
	pthread_mutex_lock(&pool->lock);
	pool->spinning--;
	return true;
}

/* Takes a parked slot off the stack, wherever it is in it. */
static void unstack(pt_pool *pool, struct pt__pool_slot *slot)
{
	unsigned k = 0;

	while (pool->parked[k] != slot->index)
		k++;
	pool->nparked--;
	for (; k < pool->nparked; k++)
		pool->parked[k] = pool->parked[k + 1];
	slot->parked = false;
}

/* Waits to be woken: by wake_for_work(), or for every slot at once
 * (closing, broken), or for this one (its worker died). */
static void park(pt_pool *pool, struct pt__pool_slot *slot)
{
	pt__pool_slot_busy(pool, slot, false);
	slot->parked = true;
	pool->parked[pool->nparked++] = slot->index;
	pthread_cond_wait(&slot->wake, &pool->lock);
	if (slot->parked)
		unstack(pool, slot); /* a spurious wake */
	if (slot->woken) {
		slot->woken = false;
		pool->waking--;
	}
}

void pt__pool_unpark_all(pt_pool *pool)
{
	while (pool->nparked)
		unpark(pool, &pool->slots[pool->parked[--pool->nparked]]);
}

void pt__pool_wake_slot(pt_pool *pool, struct pt__pool_slot *slot)
{
	if (!slot->parked)
		return;
	unstack(pool, slot);
	unpark(pool, slot);
}

void pt__pool_slot_returning(pt_pool *pool, struct pt__pool_slot *slot)
{
	if (!slot->returning) {
		slot->returning = true;
		pool->returning++;
	}
}

void pt__pool_slot_back(pt_pool *pool, struct pt__pool_slot *slot,
			bool can_take)
{
	if (!slot->returning)
		return;
	slot->returning = false;
	pool->returning--;
	if (!can_take)
		wake_for_work(pool);
}

void pt__pool_slot_busy(pt_pool *pool, struct pt__pool_slot *slot, bool busy)
{
	if (slot->busy == busy)
		return;
	slot->busy = busy;
	if (busy)
		pool->busy++;
	else
		pool->busy--;
}

void pt__pool_slot_stalled(pt_pool *pool, struct pt__pool_slot *slot)
{
	pt__pool_slot_busy(pool, slot, false);
	wake_for_work(pool);
}

/* --- the queue --------------------------------------------------------------
 */

static pt_future *queue_pop(pt_pool *pool)
{
	pt_future *f = pool->head;

	if (!f)
		return NULL;
	pool->head = f->next;
	if (pool->head)
		pool->head->prev = NULL;
	else
		pool->tail = NULL;
	pool->nqueued--;
	f->next = f->prev = NULL;
	return f;
}

void pt__pool_resolve_queued(pt_pool *pool, const struct pt_result *res)
{
	pt_future *f;

	while ((f = queue_pop(pool)))
		pt__future_resolve(pool, f, res, NULL, 0);
}

void pt__pool_requeue(pt_pool *pool, pt_future *f)
{
	/* Its worker is gone, or never started it: done with its slot. */
	pt__future_done_with_place(f);
	atomic_store(&f->outcome.state, PT__OUTCOME_QUEUED);
	f->slot = -1;
	f->deadline_ns = 0;
	pool->stats.running--;
	f->prev = NULL;
	f->next = pool->head;
	if (pool->head)
		pool->head->prev = f;
	else
		pool->tail = f;
	pool->head = f;
	pool->nqueued++;
	atomic_fetch_add_explicit(&pool->posted, 1, memory_order_relaxed);
	pthread_cond_signal(&pool->work);
	wake_for_work(pool);
}

void pt__pool_fail_queued(pt_pool *pool, int err)
{
	struct pt_result res = { .status = PT_TASK_NO_WORKER, .error = err };

	pt__pool_resolve_queued(pool, &res);
	pthread_cond_broadcast(&pool->room);
}

void pt__pool_break(pt_pool *pool, const struct pt_result *why)
{
	if (!pool->broken) {
		pool->broken = true;
		pool->why_broken = *why;
	}
	pt__pool_resolve_queued(pool, &pool->why_broken);
	pthread_cond_broadcast(&pool->room);
	pthread_cond_broadcast(&pool->work);
	pt__pool_unpark_all(pool);
}

bool pt__pool_no_worker(const pt_pool *pool)
{
	return pool->nbroken > 0 && pool->nbroken == pool->nslots;
}

void pt__pool_slot_broken(pt_pool *pool, struct pt__pool_slot *slot,
			  bool broken, int err)
{
	if (broken != slot->broken) {
		slot->broken = broken;
		if (broken)
			pool->nbroken++;
		else
			pool->nbroken--;
	}
	if (pt__pool_no_worker(pool))
		pt__pool_fail_queued(pool, err);
}

void pt__pool_wait_work(pt_pool *pool)
{
	pool->idle++;
	pthread_cond_wait(&pool->work, &pool->lock);
	pool->idle--;
}

void pt__pool_wake_watcher(pt_pool *pool)
{
	uint64_t one = 1;

	if (!pool->has_watcher)
		return;
	while (write(pool->wake_fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

void pt__pool_set_current(pt_pool *pool, struct pt__pool_slot *slot,
			  pt_future *f)
{
	slot->current = f;
	/* One resolved while it waited in flight (cancelled, shut down) is
	 * not started, and its published result is the waiters' now. */
	if (!f || atomic_load(&f->outcome.state) != PT__OUTCOME_TAKEN)
		return;
	f->outcome.result.started_ns = pt__now_ns();
	if (pool->opts.task_timeout_ms) {
		f->deadline_ns =
			f->outcome.result.started_ns +
			(uint64_t)pool->opts.task_timeout_ms * 1000000u;
		/* Deadlines only grow, so the watcher needs a nudge only
		 * when it sleeps without one. */
		if (pool->watch_until == 0) {
			pool->watch_until = f->deadline_ns;
			pt__pool_wake_watcher(pool);
		}
	}
}

pt_future *pt__pool_take(pt_pool *pool, struct pt__pool_slot *slot,
			 bool (*stop_early)(struct pt__pool_slot *slot),
			 bool wait)
{
	bool spun = false;
	pt_future *f;

	for (;;) {
		if (stop_early && stop_early(slot)) {
			wake_for_work(pool); /* in its place */
			return NULL;
		}
		f = queue_pop(pool);
		if (f)
			break;
		if (pool->closing || !wait)
			return NULL;
		if (!spun && spin_for_work(pool))
			spun = true;
		else
			park(pool, slot);
	}
	/* More waits: the next parked slot joins in. */
	wake_for_work(pool);
	pthread_cond_signal(&pool->room);
	/* The worker's own reference: others may resolve the task (deadline,
	 * cancel, shutdown) while the worker still uses it. */
	atomic_fetch_add(&f->refs, 1);
	if (f->place >= 0) {
		atomic_fetch_add(&f->place_refs, 1);
		f->place_held = true;
	}
	atomic_store(&f->outcome.state, PT__OUTCOME_TAKEN);
	f->slot = (int)slot->index;
	f->outcome.result.attempts++;
	f->deadline_ns = 0;
	pool->stats.running++;
	if (!slot->current)
		pt__pool_set_current(pool, slot, f);
	return f;
}

void pt__pool_retry(pt_pool *pool, pt_future *f)
{
	pool->stats.retried++;
	pt__pool_requeue(pool, f);
}

void pt__pool_worker_started(pt_pool *pool)
{
	pool->live++;
}

void pt__pool_worker_replaced(pt_pool *pool, bool recycled)
{
	if (recycled)
		pool->stats.recycled++;
	else
		pool->stats.restarts++;
}

void pt__pool_worker_ended(pt_pool *pool)
{
	pool->live--;
	pthread_cond_broadcast(&pool->quiet);
}

int pt__pool_enqueue(pt_pool *pool, pt_future *f, pthread_cond_t **wake)
{
	*wake = NULL;
	while (!pool->closing && pool->nqueued >= pool->opts.queue_capacity) {
		if (pool->opts.when_full == PT_POOL_WHEN_FULL_FAIL)
			return -EAGAIN;
		pthread_cond_wait(&pool->room, &pool->lock);
	}
	if (pool->closing)
		return -ESHUTDOWN;
	if (pool->broken)
		return -ENOTRECOVERABLE;
	/* Queued, it would wait for a worker nobody can start. */
	if (pt__pool_no_worker(pool))
		return -ECHILD;
	f->id = ++pool->next_id;
	f->outcome.result.queued_ns = pt__now_ns();
	queue_append(pool, f);
	atomic_fetch_add_explicit(&pool->posted, 1, memory_order_relaxed);
	pool->stats.submitted++;
	pool->unresolved++;
	if (pool->idle)
		pthread_cond_signal(&pool->work);
	*wake = to_wake_for_work(pool);
	return 0;
}

/* --- recycling ----------------------------------------------------------- */

_Thread_local bool *pt__pool_recycle_asked;

int pt_pool_recycle_worker(void)
{
	bool *asked = pt__pool_recycle_asked;

	if (!asked)
		return -ESRCH;
	*asked = true;
	return 0;
}
