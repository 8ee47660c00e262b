/* backend.h - the seam between the pool's core and its backends.
 *
 * The core (pool.c, future.c, watcher.c) owns the queue, the futures and
 * their single resolution, deadlines, retries' bookkeeping, statistics,
 * the completion queue and shutdown. A backend runs tasks somewhere:
 * thread_worker.c (threads of this process), process_worker.c with
 * process_serve.c (worker processes), src/mpi/ (MPI ranks, in
 * libprocthread_mpi).
 *
 * Two directions, each one way:
 * - The core calls a backend only through its struct pt__pool_ops, never
 *   by name, so no backend file is a link-time dependency of the core.
 * - A backend reports to the core only through the event functions below
 *   (take a task, mark the one it runs, resolve, give back, retry, a
 *   worker replaced, a worker loop started or ended ...); it reads the
 *   shared state (closing, stopping, the queue's length) but changes the
 *   core's only through them, and never calls the core's other internals.
 * The state both see - the pool, its slots and futures - is in
 * pool_internal.h, which calls nothing.
 *
 * Locking: pool->lock is the only lock. Where a function says "under the
 * lock" its caller holds pool->lock; ops called under it must not sleep
 * or take it.
 */
#ifndef PT_POOL_BACKEND_H
#define PT_POOL_BACKEND_H

#include "pool/pool_internal.h"

/* What a backend does for the core. NULL members are optional. */
struct pt__pool_ops {
	const char *name;
	/* Runs in-place tasks (pt_pool_reserve()): its workers read the
	 * argument from, and write the result to, the pool's arena
	 * (pool->mem), which a process worker maps. */
	bool in_place;
	/* At create, after the options were read: checks the options that
	 * matter to this backend and sets up what its slots share
	 * (pool->backend), and may set pool->nslots (its workers). verdict
	 * is the core's own say on the options: 0 or -errno; a backend
	 * that agrees with peers (MPI) passes it on. Returns 0 or -errno. */
	int (*open)(pt_pool *pool, int verdict);
	/* Starts the workers: start once, for the pool (all of its
	 * workers, or what its slots share), then start_slot for each of
	 * pool->nslots slots (index and pool set) until one fails; either
	 * may be NULL. Counts pool->live for each loop it starts. Returns 0
	 * or the first start's -errno; the core then shuts the pool down. */
	int (*start)(pt_pool *pool);
	int (*start_slot)(struct pt__pool_slot *slot);
	/* Waits for the start that start_slot began and returns its 0 or
	 * -errno; the core calls it for every slot started, once each was
	 * begun, so that the slots' starts overlap. NULL: start_slot's
	 * return says it all. */
	int (*slot_started)(struct pt__pool_slot *slot);
	/* Submit: -ENOENT when the backend cannot run fn (MPI: not in the
	 * registry), else 0. Without the lock. */
	int (*check_task)(const pt_pool *pool, pt_task_fn *fn);
	/* Stops the task of this id that slot runs now (deadline, cancel):
	 * see pt_future_cancel() for what each kind can do. Under the
	 * lock. */
	void (*stop_task)(pt_pool *pool, struct pt__pool_slot *slot,
			  uint64_t id);
	/* A cancelling shutdown: slot starts no task it was sent ahead of
	 * the one it runs; those resolve as PT_TASK_SHUTDOWN. Under the
	 * lock. */
	void (*halt)(pt_pool *pool, struct pt__pool_slot *slot);
	/* Shutdown's deadline passed: stop what slot runs (its current
	 * task was resolved as shut down already). Under the lock. */
	void (*stop_slot)(pt_pool *pool, struct pt__pool_slot *slot);
	/* When slot's worker began f, which it took (a task may be sent
	 * ahead of the one running, or wait for its worker's start and
	 * initializer): pt__now_ns() then, or 0 while it has not. The task's
	 * deadline runs from there. NULL: as it was taken. Under the lock. */
	uint64_t (*task_started)(const struct pt__pool_slot *slot,
				 const pt_future *f);
	/* A descriptor the watcher polls for slot (readable: the worker
	 * ended), or -1; and what to do when it fires. Under the lock. */
	int (*watch_fd)(const struct pt__pool_slot *slot);
	void (*watch_fired)(pt_pool *pool, struct pt__pool_slot *slot);
	/* pt_pool_await_spares(): waits for the backend's spares; NULL:
	 * it keeps none. Without the lock. */
	int (*await_spares)(pt_pool *pool, int timeout_ms);
	/* Every worker loop ended (pool->live == 0) and the core joined the
	 * slots' joinable threads: joins the backend's own. */
	void (*join)(pt_pool *pool);
	/* Frees what open and start made; the pool is shut down. */
	void (*close)(pt_pool *pool);
};

extern const struct pt__pool_ops pt__pool_thread_ops;
extern const struct pt__pool_ops pt__pool_process_ops;

/* A backend that lives outside libprocthread (MPI) makes itself known;
 * until then pt_pool_create() refuses that kind with -ENOTSUP. */
void pt__pool_register(enum pt_kind kind, const struct pt__pool_ops *ops);

/* --- events: what a backend tells the core -------------------------------- */

/* Takes the oldest task for slot (waiting, parked, when wait is set) and
 * marks it running there; it becomes the slot's current task (start time,
 * deadline) unless the slot has one. The caller gets a reference of its
 * own, and drops it (pt__future_put()) when it no longer touches the task.
 * Returns NULL when the worker should end - the pool closes and, when
 * draining, nothing is queued - when stop_early says so (a process slot
 * whose worker died must replace it first), or with wait unset when
 * nothing is queued. Under the lock. */
pt_future *pt__pool_take(pt_pool *pool, struct pt__pool_slot *slot,
			 bool (*stop_early)(struct pt__pool_slot *slot),
			 bool wait);

/* Makes f (NULL: none) the task slot runs now: its start and deadline
 * count from here. Under the lock. */
void pt__pool_set_current(pt_pool *pool, struct pt__pool_slot *slot,
			  pt_future *f);

/* Resolves f with *res (status and the fields that go with it; the pool
 * fills attempts, pid and times it keeps) if nobody did before: the one
 * place a future ends. Takes buf (result bytes from pt__pool_buf(), or an
 * in-place task's own result area, pt__future_res_area()) either way.
 * Under the lock. Returns true when this call resolved it. */
bool pt__future_resolve(pt_pool *pool, pt_future *f,
			const struct pt_result *res, void *buf, size_t len);

/* pt__future_resolve() without waking f's waiters: the caller, holding a
 * reference to f, calls pt__future_wake() once it released the lock when
 * this returned true - else the woken waiter's next call on the pool
 * (destroy, submit) finds the lock held and sleeps once more. */
bool pt__future_resolve_quietly(pt_pool *pool, pt_future *f,
				const struct pt_result *res, void *buf,
				size_t len);
void pt__future_wake(pt_future *f);

/* Room for len result bytes, from the pool's reusable blocks; NULL when
 * out of memory. Any thread. */
void *pt__pool_buf(pt_pool *pool, size_t len);

/* An in-place task's argument and result area in the arena; NULL for a
 * copied task. */
unsigned char *pt__future_arg_area(const pt_future *f);
unsigned char *pt__future_res_area(const pt_future *f);

/* The worker that took f is done with its arena slot (an in-place task):
 * it replied, or it is gone. The slot comes back once the caller has
 * destroyed the future too. Nothing for a copied task. By the worker that
 * holds f. */
void pt__future_done_with_place(pt_future *f);

/* Drops one reference; the last frees the future. Any thread. */
void pt__future_put(pt_future *f);

/* Puts a task that did not run to its end back at the head of the queue.
 * Under the lock. */
void pt__pool_requeue(pt_pool *pool, pt_future *f);

/* The worker running f died and retries remain: counts a retry
 * (stats.retried) and puts f back at the head of the queue. Under the
 * lock. */
void pt__pool_retry(pt_pool *pool, pt_future *f);

/* Resolves every queued task as PT_TASK_NO_WORKER with err: no worker of
 * the pool can be started to run it. Under the lock. */
void pt__pool_fail_queued(pt_pool *pool, int err);

/* A worker slot cannot run tasks (its worker cannot be started, or is
 * gone for good: broken set), or can again (unset). When no slot can,
 * the queue fails with err (pt_pool_submit() says what follows). Under
 * the lock. */
void pt__pool_slot_broken(pt_pool *pool, struct pt__pool_slot *slot,
			  bool broken, int err);

/* The initializer failed: marks the pool broken (the first why is kept)
 * and resolves every queued task with it. Under the lock. */
void pt__pool_break(pt_pool *pool, const struct pt_result *why);

/* Waits on the pool's work condition, counted as idle so that a submit
 * wakes it: for a backend thread that serves every slot (MPI's engine)
 * with nothing to do. Under the lock. */
void pt__pool_wait_work(pt_pool *pool);

/* A slot that waits in pt__pool_take() for work is woken: every one
 * (the pool closes or breaks), or this one (its worker died, which it
 * must see to). Under the lock. */
void pt__pool_unpark_all(pt_pool *pool);
void pt__pool_wake_slot(pt_pool *pool, struct pt__pool_slot *slot);

/* A slot of a process pool resolved its last task in flight and goes
 * straight back to the queue: no parked slot is woken for what is queued
 * meanwhile (pool->returning). pt__pool_slot_back() ends that, at the
 * slot's next look at the queue; when its worker is gone and it cannot
 * take, a parked slot is woken in its place. Under the lock. */
void pt__pool_slot_returning(pt_pool *pool, struct pt__pool_slot *slot);
void pt__pool_slot_back(pt_pool *pool, struct pt__pool_slot *slot,
			bool can_take);

/* A slot takes tasks it expects to be short (busy set), or is back at the
 * queue (unset): while the pool's CPUs are all taken by busy slots, no
 * parked slot is woken for queued work. pt__pool_slot_stalled() unsets it
 * for a slot whose tasks outlasted PT__POOL_STALL_MS, and wakes a parked
 * slot in its place. Under the lock. */
void pt__pool_slot_busy(pt_pool *pool, struct pt__pool_slot *slot, bool busy);
void pt__pool_slot_stalled(pt_pool *pool, struct pt__pool_slot *slot);

/* Wakes the watcher (to rebuild its descriptor set or deadline). */
void pt__pool_wake_watcher(pt_pool *pool);

/* A worker loop starts, or ends (which tells shutdown): the loops the pool
 * waits for at shutdown. Under the lock. */
void pt__pool_worker_started(pt_pool *pool);
void pt__pool_worker_ended(pt_pool *pool);

/* A slot's worker was replaced: after it died (stats.restarts) or, with
 * recycled set, after max_tasks_per_worker or a task's request
 * (stats.recycled). Under the lock. */
void pt__pool_worker_replaced(pt_pool *pool, bool recycled);

#endif
