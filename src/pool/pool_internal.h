/* pool_internal.h - the state the pool's core and its backends share: the
 * pool, its worker slots and its futures. A leaf: it calls nothing. What
 * the core offers a backend and what a backend offers the core are in
 * backend.h; see pool.c for the design. */
#ifndef PT_POOL_INTERNAL_H
#define PT_POOL_INTERNAL_H

#include <procthread/chan.h>
#include <procthread/pool.h>

#include "pool/mem.h"
#include "pool/outcome.h"
#include "unit/shared.h"
#include "util/nofork.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Tasks a process worker may have in flight: more than one lets it go on
 * without waiting for its proxy while the queue is long. */
#define PT__POOL_DEPTH 8
/* A task that runs shorter than this is cheaper to batch than to hand to
 * another worker: about what waking a worker process costs (a cross-CPU
 * pipe round trip is 13-18 us on the development VM). */
#define PT__POOL_SHORT_TASK_NS ((uint64_t)20000)
/* A process slot busy with short tasks that waited this long for the
 * first reply of a batch stops counting as busy (queue.c): its tasks were
 * not short after all, and a parked slot may take the queue. */
#define PT__POOL_STALL_MS 1

/* Bytes of pt_future.head. */
#define PT__POOL_HEADROOM 32

struct pt__pool_ops;

/* A worker process and the two rings it serves. */
struct pt__pool_worker {
	pt_unit *unit;
	pt_chan *req;  /* the proxy sends tasks on it */
	pt_chan *resp; /* the worker answers on it */
};

/* What a process worker and its pool share, in the result bytes of the
 * worker's unit (MAP_SHARED, however it was forked). started is the id of
 * the task the worker has begun (written by the worker, before the task
 * runs): after its death it tells the task it was running from those it
 * never started. doomed is the id of a task the pool stops by killing the
 * worker (written by the pool, deadline or cancel). Both sides store, then
 * load the other's word, sequentially consistent, so one of them always
 * sees the other: see process_stop_task() and serve_one(). halt, set by
 * a cancelling shutdown, tells the worker to start no further task
 * (process_halt()), by the same handshake. init is where the worker's
 * initializer got to (PT__POOL_INIT_*), init_code what it returned: a
 * worker that died with init still PENDING died in its initializer.
 * started_ns is when the worker began the task started names: stored
 * before started, so a reader that sees the id sees that task's time or a
 * later one's, never an earlier (the deadline runs from it). */
struct pt__pool_mark {
	_Atomic uint64_t started;
	_Atomic uint64_t started_ns; /* when it began started (written first) */
	_Atomic uint64_t doomed;
	_Atomic uint64_t halt;
	/* Requests the proxy took back (process_worker.c, take_back()):
	 * those whose number on the worker's ring, counted from 1, is from
	 * the low 32 bits to the high 32 bits (wrapping) are not started.
	 * One word, so that the worker never reads half of a new range. */
	_Atomic uint64_t skip;
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
	/* Where the block and the result bytes come from, and go back to. */
	struct pt__pool_mem *mem;
	/* An in-place task's arena slot (pt_pool_reserve()), else -1: its
	 * argument and result are there, not in arg[] and a block. */
	int place;
	/* Reserved and not yet submitted: on pool->reserved (next, prev),
	 * under pool->lock. */
	bool reserved;
	/* Who may still touch the arena slot: the caller until it destroys
	 * the future, and a worker that took it (place_held, the worker's
	 * own) until it is done with it - which may be before the future's
	 * last reference goes, so that a slot serves again at once. */
	atomic_int place_refs;
	bool place_held;
	uint64_t deadline_ns;
	struct pt_future *next, *prev; /* pending or completion queue */
	/* Room for a backend's message header right before the argument
	 * bytes, so that header and argument go out in one send without a
	 * copy (the MPI backend's). */
	unsigned char head[PT__POOL_HEADROOM];
	unsigned char arg[]; /* the argument's copy */
};

/* One worker's place in the pool: the core's fields, then a union of
 * what each backend keeps per slot (an MPI slot keeps its state in the
 * backend's own table, pool->backend). */
struct pt__pool_slot {
	unsigned index;
	pt_pool *pool;
	pthread_t thread; /* the worker thread or the process's proxy */
	bool joinable;
	pt_future *current; /* under pool->lock */
	uint64_t tasks;	    /* run by this slot, for stats */
	uint32_t since_start;
	/* Changes whenever the slot's worker is replaced, so the watcher
	 * never acts on an old one. */
	unsigned gen;
	/* Failed starts in a row; broken once PT_POOL_START_TRIES failed,
	 * until a start succeeds, or for good (an MPI rank that died):
	 * counted in pool->nbroken (pt__pool_slot_broken()). */
	unsigned start_fails;
	bool broken;
	/* Parked for work (queue.c): on pool->parked, woken alone through
	 * its own condition; woken set from its wake until it runs again. */
	pthread_cond_t wake;
	bool parked;
	bool woken;
	/* Busy with short tasks, and counted in pool->busy (queue.c). */
	bool busy;

	union {
		/* PT_KIND_THREAD: what pt_cancelled() reads during a task, and
		 * where the task writes its result. */
		struct {
			struct pt__unit_shared *cancel;
			void *scratch;
		};
		/* PT_KIND_PROCESS: the process and its two channels; dead is
		 * set by the watcher when the process ended. */
		struct {
			/* Its thread; the core's thread and joinable are
			 * unused (process_worker.c, slot_start()). */
			struct pt__nofork_thread proxy;
			pt_unit *unit;
			pt_chan *req;
			pt_chan *resp;
			bool dead;
			/* The id its last worker had started, kept once that
			 * worker is out of the slot while its tasks are
			 * settled (process_task_started()). */
			uint64_t retired_started;
			int first_start; /* 1 until the first worker began */
			/* Tasks sent and not yet answered, oldest first: the
			 * worker runs them in this order, so the first is
			 * the one it runs now. */
			pt_future *fly[PT__POOL_DEPTH];
			unsigned nfly;
			/* Each one's number on the worker's request ring
			 * (sent counts them, from 1, per worker). */
			uint32_t fly_seq[PT__POOL_DEPTH];
			uint32_t sent;
			bool returning; /* counted in pool->returning */
			unsigned depth; /* its rings' slots: nfly's bound */
			/* Its recent tasks' run time, a moving average
			 * (ns; 0: none yet): how much batching costs. */
			uint64_t run_ns;
			/* The last worker, ended and joined, whose unit and
			 * rings are freed once its replacement has its
			 * tasks (process_worker.c, bury()). */
			struct pt__pool_worker corpse;
		};
	};
};

struct pt_pool {
	struct pt_pool_opts opts;
	char name[16];
	/* The backend: how the core reaches it, and its own state. */
	const struct pt__pool_ops *ops;
	void *backend;

	pthread_mutex_t lock;
	pthread_cond_t work;  /* MPI's engine: a task was queued, or closing */
	pthread_cond_t room;  /* the queue has room */
	pthread_cond_t quiet; /* unresolved reached 0, or a worker ended */
	pthread_cond_t retry; /* the pool closes: stop waiting to restart */
	pt_future *head, *tail; /* the pending queue */
	/* Futures reserved and not submitted (pt_pool_reserve()): a shutdown
	 * resolves them, so nothing waits on one for ever. */
	pt_future *reserved;
	/* Blocks used again and the in-place arena (mem.h); shared with the
	 * futures, which may outlive the pool. */
	struct pt__pool_mem *mem;
	size_t nqueued;
	/* Slots parked for work, the last parked on top, and how many of
	 * them were woken and do not run yet (queue.c). */
	unsigned *parked;
	unsigned nparked;
	unsigned waking;
	/* Process slots that resolved their last task in flight and are on
	 * their way back to the queue (process_worker.c): a task queued now
	 * is theirs, and waking a parked slot for it would be a wake-up for
	 * nothing and another worker process's cold start. */
	unsigned returning;
	/* Slots busy with short tasks, which come back to the queue soon by
	 * themselves, and the CPUs this pool may run on: while busy reaches
	 * cpus, no parked slot is woken (queue.c). */
	unsigned busy;
	unsigned cpus;
	/* Every slot's recent tasks' run time, a moving average (ns; 0:
	 * none yet), for a slot that has none of its own (process). */
	uint64_t run_ns;
	/* A slot about to park first spins this long (0: never) while no
	 * other spins, watching posted - a count of the tasks queued, read
	 * without the lock - for one to take (queue.c). */
	uint64_t spin_ns;
	unsigned spinning;
	atomic_uint posted;
	unsigned idle; /* backend threads waiting on work (MPI's engine) */
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

/* --- future.c, pool.c, watcher.c, reserve.c: the core's own ------------ */

/* A future for len argument bytes (in arg[]), from the pool's blocks,
 * with the caller's and the pool's references; NULL when out of memory. */
pt_future *pt__future_new(pt_pool *pool, size_t len);

/* Resolves every queued task with *res, oldest first (queue.c). Under the
 * lock. */
void pt__pool_resolve_queued(pt_pool *pool, const struct pt_result *res);

/* Under the lock: waits for room in the queue (opts.when_full), checks
 * that the pool takes tasks, gives f an id and queues it. Returns 0, or
 * -EAGAIN, -ESHUTDOWN, -ENOTRECOVERABLE, -ECHILD with f untouched. Sets
 * *wake to the condition of a parked worker woken for f, or NULL: the
 * caller signals it once it released the lock, so that the worker does
 * not wake only to wait for the lock (a wake-up and two system calls more
 * per task, a fifth of an empty task's latency). */
int pt__pool_enqueue(pt_pool *pool, pt_future *f, pthread_cond_t **wake);

/* Under the lock: f, reserved and never submitted, leaves pool->reserved
 * and resolves with status (not counted in the statistics: it was never
 * submitted); the pool's reference goes. */
/* Takes a reserved future off the pool's list of them (pool->lock held). */
void pt__future_unlink_reserved(pt_pool *pool, pt_future *f);
void pt__future_end_reserved(pt_pool *pool, pt_future *f,
			     enum pt_task_status status);

/* --- registry.c: opts.tasks -------------------------------------------- */

/* Checks a registry (names unique, 1 to PT_POOL_TASK_NAME_MAX bytes,
 * functions set). Returns 0 or -EINVAL. */
int pt__pool_registry_check(const struct pt_pool_task *tasks, size_t n);

/* The index of fn or name in the registry, or -ENOENT. */
int pt__pool_registry_find_fn(pt_task_fn *fn, const struct pt_pool_task *tasks,
			      size_t n);
int pt__pool_registry_find_name(const struct pt_pool_task *tasks, size_t n,
				const char *name);

/* Whether no worker of the pool can run now. */
bool pt__pool_no_worker(const pt_pool *pool);

/* The watcher's loop (watcher.c). */
void *pt__pool_watcher_main(void *arg);

#endif
