/* pool_internal.h - what the pool's files share: the pool, its worker slots
 * and its futures. See pool.c for the design. */
#ifndef PT_POOL_INTERNAL_H
#define PT_POOL_INTERNAL_H

#include <procthread/chan.h>
#include <procthread/pool.h>

#include "pool/outcome.h"
#include "unit/unit_internal.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Tasks a process worker may have in flight: more than one lets it go on
 * without waiting for its proxy while the queue is long. */
#define PT__POOL_DEPTH 8

/* What a process worker and its pool share, in the result bytes of the
 * worker's unit (MAP_SHARED, however it was forked). started is the id of
 * the task the worker has begun (written by the worker, before the task
 * runs): after its death it tells the task it was running from those it
 * never started. doomed is the id of a task the pool stops by killing the
 * worker (written by the pool, deadline or cancel). Both sides store, then
 * load the other's word, sequentially consistent, so one of them always
 * sees the other: see pt__pool_stop_task() and serve_one(). halt, set by
 * a cancelling shutdown, tells the worker to start no further task
 * (pt__pool_halt()), by the same handshake. init is where the worker's
 * initializer got to (PT__POOL_INIT_*), init_code what it returned: a
 * worker that died with init still PENDING died in its initializer. */
struct pt__pool_mark {
	_Atomic uint64_t started;
	_Atomic uint64_t doomed;
	_Atomic uint64_t halt;
	_Atomic int32_t init;
	_Atomic int32_t init_code;
};

enum { PT__POOL_INIT_PENDING = 0, PT__POOL_INIT_OK, PT__POOL_INIT_FAILED };

/* outcome.state: QUEUED in the pending queue, TAKEN while a worker runs
 * it, then RESOLVING and DONE (outcome.h). */
struct pt_future {
	struct pt__outcome outcome;
	atomic_int refs; /* the caller's, the pool's, the completion queue's */
	pt_pool *pool;	 /* only touched while unresolved */
	uint64_t id;
	pt_task_fn *fn;
	size_t len;
	int slot; /* running on this worker slot; -1 */
	uint64_t deadline_ns;
	struct pt_future *next, *prev; /* pending or completion queue */
	unsigned char arg[];	       /* the argument's copy */
};

struct pt__pool_slot {
	unsigned index;
	pt_pool *pool;
	pthread_t thread; /* the worker thread or the process's proxy */
	bool joinable;
	pt_future *current; /* under pool->lock */
	uint64_t tasks;	    /* run by this slot, for stats */
	uint32_t since_start;

	/* Thread workers: what pt_cancelled() reads during a task, and where
	 * the task writes its result. */
	struct pt__unit_shared *cancel;
	void *scratch;

	/* Process workers: the process and its two channels. gen changes
	 * whenever they are replaced, so the watcher never acts on an old
	 * worker; dead is set by the watcher when the process ended. */
	pt_unit *unit;
	pt_chan *req;
	pt_chan *resp;
	unsigned gen;
	bool dead;
	/* The id its last worker had started, kept once that worker is out
	 * of the slot while its tasks are settled (pt__pool_task_started()). */
	uint64_t retired_started;
	/* Failed starts in a row; broken once PT_POOL_START_TRIES failed,
	 * until a start succeeds (counted in pool->nbroken). */
	unsigned start_fails;
	bool broken;
	int first_start; /* 1 until the proxy started its first worker */
	/* Tasks sent and not yet answered, oldest first: the worker runs
	 * them in this order, so the first is the one it runs now. */
	pt_future *fly[PT__POOL_DEPTH];
	unsigned nfly;
};

struct pt_pool {
	struct pt_pool_opts opts;
	char name[16];

	pthread_mutex_t lock;
	pthread_cond_t work;	/* a task was queued, or the pool closes */
	pthread_cond_t room;	/* the queue has room */
	pthread_cond_t quiet;	/* unresolved reached 0, or a worker ended */
	pthread_cond_t retry;	/* the pool closes: stop waiting to restart */
	pt_future *head, *tail; /* the pending queue */
	size_t nqueued;
	unsigned idle; /* workers waiting on work */
	unsigned live; /* worker loops still running */
	uint64_t unresolved;
	uint64_t next_id;
	bool closing;  /* no more submits; workers stop once idle */
	bool stopping; /* shutdown's deadline passed: nothing is re-queued */
	bool shut;     /* pt_pool_shutdown() ran */
	bool reaping;  /* a shutdown waits for the workers and joins them */
	bool reaped;   /* ... and has joined them */
	uint64_t no_worker_at_shut; /* stats.no_worker when shut was set */
	/* The initializer failed (opts.initializer): why is what every task
	 * that could not run resolves with. No worker is started again. */
	bool broken;
	struct pt_result why_broken;
	void *init_arg; /* opts.init_arg's copy */
	/* Process slots whose worker cannot be started: when all are, the
	 * pool has no worker (pt_pool_submit() says how that looks). */
	unsigned nbroken;
	struct pt_pool_stats stats;

	struct pt__pool_slot *slots;
	unsigned nslots;

	/* The completion queue (opts.completions). */
	int done_fd;
	pt_future *done_head, *done_tail;

	/* The watcher thread: worker deaths and task deadlines. */
	pthread_t watcher;
	bool has_watcher;
	int wake_fd;
	bool watcher_stop;
	uint64_t watch_until; /* the watcher's next deadline; 0: none */
};

/* Set by a worker around each task it runs: where pt_pool_recycle_worker()
 * records the task's request (pool.c); NULL outside a task. */
extern _Thread_local bool *pt__pool_recycle_asked;

/* --- future.c ------------------------------------------------------------ */

/* Resolves f with *res (status and the fields that go with it; the pool
 * fills attempts, pid and times it keeps) if nobody did before: the one
 * place a future ends. Takes buf (result bytes, malloc()ed) either way.
 * Called with pool->lock held. Returns true when this call resolved it. */
bool pt__future_resolve(pt_pool *pool, pt_future *f,
			const struct pt_result *res, void *buf, size_t len);

/* Drops one reference; the last frees the future. */
void pt__future_put(pt_future *f);

/* --- pool.c: the queue, under pool->lock -----------------------------------
 */

/* Takes the oldest task for slot (waiting for one when wait is set) and
 * marks it running there; it becomes the slot's current task (start time,
 * deadline) unless the slot has one. The caller gets a reference of its
 * own, and drops it (pt__future_put()) when it no longer touches the task.
 * Returns NULL when the worker should end - the pool closes and, when
 * draining, nothing is queued - when stop_early says so (a process slot
 * whose worker died must replace it first), or with wait unset when
 * nothing is queued. */
pt_future *pt__pool_take(pt_pool *pool, struct pt__pool_slot *slot,
			 bool (*stop_early)(struct pt__pool_slot *slot),
			 bool wait);

/* Makes f (NULL: none) the task slot runs now: its start and deadline
 * count from here. */
void pt__pool_set_current(pt_pool *pool, struct pt__pool_slot *slot,
			  pt_future *f);

/* Stops the task (of this id) that slot runs now, its deadline passed or
 * it cancelled: a thread is asked through pt_cancelled(); a process worker
 * is killed, but only while it still runs that task - one that finished
 * it and began the next is left alone, so that one failure costs one
 * task. Under pool->lock. */
void pt__pool_stop_task(pt_pool *pool, struct pt__pool_slot *slot, uint64_t id);

/* A cancelling shutdown: the process worker of slot runs on the task it
 * has started, if any, and starts none of those sent to it behind that
 * one, which resolve as PT_TASK_SHUTDOWN now. Under pool->lock. */
void pt__pool_halt(pt_pool *pool, struct pt__pool_slot *slot);

/* Puts a task that did not run to its end back at the head of the queue. */
void pt__pool_requeue(pt_pool *pool, pt_future *f);

/* Resolves every queued task as PT_TASK_NO_WORKER with err: no worker of
 * the pool can be started to run it. */
void pt__pool_fail_queued(pt_pool *pool, int err);

/* The initializer failed: marks the pool broken (the first why is kept)
 * and resolves every queued task with it. Under pool->lock. */
void pt__pool_break(pt_pool *pool, const struct pt_result *why);

/* Whether the process worker of slot has begun f, which it was sent:
 * f or a task behind it is the one it started. Under pool->lock. */
bool pt__pool_task_started(const struct pt__pool_slot *slot,
			   const pt_future *f);

/* Whether no worker of the pool can run now. */
bool pt__pool_no_worker(const pt_pool *pool);

/* Wakes the watcher (to rebuild its descriptor set or deadline). */
void pt__pool_wake_watcher(pt_pool *pool);

/* A worker loop ends: counts it, and tells shutdown. */
void pt__pool_worker_ended(pt_pool *pool);

/* --- thread_worker.c, process_worker.c ----------------------------------- */

/* Start the loop of one slot on a new thread. Return 0 or -errno. */
int pt__pool_thread_slot_start(struct pt__pool_slot *slot);
int pt__pool_process_slot_start(struct pt__pool_slot *slot);

/* The watcher's loop (watcher.c). */
void *pt__pool_watcher_main(void *arg);

#endif
