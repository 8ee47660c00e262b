/* pool.c - the pool's core: one submit/wait API over three backends.
 *
 * Design. The core owns the queue, the futures, deadlines, statistics,
 * the completion queue and shutdown; a backend (thread_worker.c,
 * process_worker.c, src/mpi/) runs the tasks. The core reaches a backend
 * only through its ops table and a backend reports back only through the
 * queue and bookkeeping functions of queue.c, a leaf below both: one way
 * each, no file calls back into the one that called it.
 *
 * Submitters append futures to one FIFO under the pool's lock. Each
 * worker *slot* has a thread in this process that takes the oldest task:
 * - in a thread pool that thread is the worker: it calls the task itself
 *   (thread_worker.c);
 * - in a process pool it is the worker's proxy (process_worker.c): it
 *   copies the argument into its worker process's request channel, waits
 *   for the reply on the response channel and resolves the future. The
 *   worker answers in order, so which task it was running when it died is
 *   never a guess; it also records the id of the task it starts in
 *   memory the pool shares with it (struct pt__pool_mark), so a task sent
 *   to a worker that died before starting it is re-queued without blame;
 * - in an MPI pool one engine thread serves every slot, a slot per rank
 *   (src/mpi/engine.c).
 * Everything else is shared: the queue and its bounds, futures and their
 * single resolution (future.c), deadlines, cancellation, statistics,
 * shutdown and the completion queue.
 *
 * A watcher thread (watcher.c) poll()s every worker process's descriptor:
 * a death is seen at once, and the watcher closes that worker's channels,
 * which wakes its proxy out of its wait; the proxy joins the
 * worker, resolves or re-queues its task and starts a replacement. The
 * watcher also enforces task deadlines for both kinds: a process past it
 * is killed (and replaced), a thread is asked to stop; the future resolves
 * as timed out at the deadline either way. A kill is aimed at one task:
 * the pool marks the task doomed and kills only while the worker still
 * runs it, and the worker, seeing the mark as it starts its next task,
 * leaves without starting it (process_stop_task() in process_worker.c), so a
 * kill is never charged to the task after the one it was meant for.
 *
 * Lock order: pool->lock is the only lock; channel calls, spawns, joins
 * and the tasks themselves run without it.
 */
#include "pool/backend.h"
#include "util/clock.h"
#include "util/cond.h"
#include "util/sized.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define DEFAULT_QUEUE 1024
#define DEFAULT_BYTES ((size_t)64 << 10)

/* --- options ------------------------------------------------------------- */

/* The backends by kind; PT_KIND_MPI's registers itself (libprocthread_mpi). */
static const struct pt__pool_ops *_Atomic backends[PT_KIND_MPI + 1] = {
	[PT_KIND_THREAD] = &pt__pool_thread_ops,
	[PT_KIND_PROCESS] = &pt__pool_process_ops,
};

void pt__pool_register(enum pt_kind kind, const struct pt__pool_ops *ops)
{
	if (kind > 0 && kind <= PT_KIND_MPI)
		atomic_store(&backends[kind], ops);
}

/* Reads *opts into *o (an older, smaller struct reads as zeros past its
 * size). Returns -EINVAL when even that fails. */
static int copy_opts(const struct pt_pool_opts *opts, struct pt_pool_opts *o)
{
	return pt__read_sized(o, sizeof(*o), opts,
			      offsetof(struct pt_pool_opts, name));
}

/* Checks the options the core reads and fills in defaults. */
static int take_opts(struct pt_pool_opts *o)
{
	long cpus;

	if (o->when_full != PT_POOL_WHEN_FULL_BLOCK &&
	    o->when_full != PT_POOL_WHEN_FULL_FAIL)
		return -EINVAL;
	if (o->max_arg_bytes > PT_POOL_BYTES_MAX ||
	    o->max_result_bytes > PT_POOL_BYTES_MAX)
		return -EINVAL;
	if (o->workers == 0) {
		cpus = sysconf(_SC_NPROCESSORS_ONLN);
		o->workers = cpus > 0 ? (unsigned)cpus : 1;
	}
	if (o->workers > 4096)
		return -EINVAL;
	if (o->queue_capacity == 0)
		o->queue_capacity = DEFAULT_QUEUE;
	if (o->max_arg_bytes == 0)
		o->max_arg_bytes = DEFAULT_BYTES;
	if (o->max_result_bytes == 0)
		o->max_result_bytes = DEFAULT_BYTES;
	if (o->max_reserved == 0)
		o->max_reserved = o->workers < 2 ? 8 : 4 * o->workers;
	if (o->max_reserved > 4096 || o->spares > PT_POOL_SPARES_MAX)
		return -EINVAL;
	if (o->init_arg_len > o->max_arg_bytes ||
	    (o->init_arg_len && !o->init_arg))
		return -EINVAL;
	return pt__pool_registry_check(o->tasks, o->n_tasks);
}

/* --- the API ---------------------------------------------------------------
 */

static void pool_free(pt_pool *pool)
{
	if (pool->ops && pool->ops->close)
		pool->ops->close(pool);
	for (unsigned k = 0; pool->slots && pool->parked && k < pool->nslots;
	     k++)
		pthread_cond_destroy(&pool->slots[k].wake);
	free(pool->slots);
	free(pool->parked);
	free(pool->init_arg);
	if (pool->done_fd >= 0)
		close(pool->done_fd);
	if (pool->wake_fd >= 0)
		close(pool->wake_fd);
	pthread_mutex_destroy(&pool->lock);
	pthread_cond_destroy(&pool->work);
	pthread_cond_destroy(&pool->room);
	pthread_cond_destroy(&pool->quiet);
	pthread_cond_destroy(&pool->retry);
	pt__mem_put(pool->mem);
	free(pool);
}

/* The CPUs this process may run on (at least 1). */
static unsigned cpus_allowed(void)
{
	cpu_set_t allowed;
	long online;

	if (sched_getaffinity(0, sizeof(allowed), &allowed) == 0 &&
	    CPU_COUNT(&allowed) > 0)
		return (unsigned)CPU_COUNT(&allowed);
	online = sysconf(_SC_NPROCESSORS_ONLN);
	return online > 0 ? (unsigned)online : 1;
}

/* Reads the options and finds the backend, which has its say on them:
 * a backend whose peers wait for this pool's start (MPI) hears the
 * core's verdict too. */
static int open_backend(pt_pool *pool, const struct pt_pool_opts *opts)
{
	int rc = copy_opts(opts, &pool->opts);

	if (rc)
		return rc;
	if (pool->opts.kind <= 0 || pool->opts.kind > PT_KIND_MPI)
		return -EINVAL;
	pool->ops = atomic_load(&backends[pool->opts.kind]);
	if (!pool->ops)
		return -ENOTSUP;
	rc = take_opts(&pool->opts);
	pool->nslots = pool->opts.workers;
	return pool->ops->open ? pool->ops->open(pool, rc) : rc;
}

/* Starts the backend and its slots: every slot's start is begun before
 * the first is waited for, so that the starts of worker processes (a
 * fork, the worker's own set-up and its first answer, which leave a CPU
 * idle a good part of the time) overlap. Returns 0 or the first error;
 * every slot begun has then finished starting, one way or the other. */
static int start_slots(pt_pool *pool)
{
	const struct pt__pool_ops *ops = pool->ops;
	unsigned begun = 0;
	int rc = ops->start ? ops->start(pool) : 0;

	while (ops->start_slot && begun < pool->nslots && !rc)
		if ((rc = ops->start_slot(&pool->slots[begun])) == 0)
			begun++;
	for (unsigned k = 0; ops->slot_started && k < begun; k++) {
		int started = ops->slot_started(&pool->slots[k]);

		if (!rc)
			rc = started;
	}
	return rc;
}

int pt_pool_create(const struct pt_pool_opts *opts, pt_pool **out)
{
	pt_pool *pool;
	int rc;

	if (!opts || !out)
		return -EINVAL;
	pool = calloc(1, sizeof(*pool));
	if (!pool)
		return -ENOMEM;
	pool->done_fd = -1;
	pool->wake_fd = -1;
	pool->cpus = cpus_allowed();
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->work, NULL);
	pt__cond_init_monotonic(&pool->room);
	pt__cond_init_monotonic(&pool->quiet);
	pt__cond_init_monotonic(&pool->retry);
	rc = open_backend(pool, opts);
	if (rc) {
		pool->ops = NULL; /* nothing of it to close */
		goto err_free;
	}
	strncpy(pool->name, opts->name ? opts->name : "pt-pool",
		sizeof(pool->name) - 1);
	pool->opts.name = pool->name;
	if (pool->opts.init_arg_len) {
		pool->init_arg = malloc(pool->opts.init_arg_len);
		if (!pool->init_arg) {
			rc = -ENOMEM;
			goto err_free;
		}
		memcpy(pool->init_arg, pool->opts.init_arg,
		       pool->opts.init_arg_len);
	}
	pool->opts.init_arg = pool->init_arg;
	rc = pt__mem_create(pool->ops->in_place ? pool->opts.max_reserved : 0,
			    pool->opts.max_arg_bytes,
			    pool->opts.max_result_bytes, &pool->mem);
	if (rc)
		goto err_free;
	pool->stats.workers = pool->nslots;
	pool->slots = calloc(pool->nslots, sizeof(*pool->slots));
	pool->parked = calloc(pool->nslots, sizeof(*pool->parked));
	if (!pool->slots || !pool->parked) {
		rc = -ENOMEM;
		goto err_free;
	}
	for (unsigned k = 0; k < pool->nslots; k++) {
		pool->slots[k].index = k;
		pool->slots[k].pool = pool;
		pthread_cond_init(&pool->slots[k].wake, NULL);
	}
	if (pool->opts.completions) {
		pool->done_fd =
			eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE);
		if (pool->done_fd < 0) {
			rc = -errno;
			goto err_free;
		}
	}
	pool->has_watcher = pool->ops->watch_fd || pool->opts.task_timeout_ms;
	if (pool->has_watcher) {
		pool->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (pool->wake_fd < 0) {
			rc = -errno;
			goto err_free;
		}
		rc = -pthread_create(&pool->watcher, NULL,
				     pt__pool_watcher_main, pool);
		if (rc) {
			pool->has_watcher = false;
			goto err_free;
		}
	}
	rc = start_slots(pool);
	if (rc) {
		pt_pool_shutdown(pool, PT_POOL_SHUTDOWN_CANCEL, 0);
		pool_free(pool);
		return rc;
	}
	*out = pool;
	return 0;

err_free:
	pool_free(pool);
	return rc;
}

int pt_pool_submit(pt_pool *pool, pt_task_fn *fn, const void *arg, size_t len,
		   pt_future **out)
{
	pthread_cond_t *wake;
	pt_future *f;
	int rc;

	if (!pool || !fn || !out || (len && !arg))
		return -EINVAL;
	if (len > pool->opts.max_arg_bytes)
		return -EMSGSIZE;
	if (pool->ops->check_task) {
		rc = pool->ops->check_task(pool, fn);
		if (rc)
			return rc;
	}
	f = pt__future_new(pool, len);
	if (!f)
		return -ENOMEM;
	if (len)
		memcpy(f->arg, arg, len);
	f->fn = fn;

	pthread_mutex_lock(&pool->lock);
	rc = pt__pool_enqueue(pool, f, &wake);
	pthread_mutex_unlock(&pool->lock);
	if (wake)
		pthread_cond_signal(wake);
	if (rc) {
		atomic_store(&f->refs, 1);
		pt__future_put(f);
		return rc;
	}
	*out = f;
	return 0;
}

int pt_pool_submit_name(pt_pool *pool, const char *name, const void *arg,
			size_t len, pt_future **out)
{
	int i;

	if (!pool || !name)
		return -EINVAL;
	i = pt__pool_registry_find_name(pool->opts.tasks, pool->opts.n_tasks,
					name);
	if (i < 0)
		return i;
	return pt_pool_submit(pool, pool->opts.tasks[i].fn, arg, len, out);
}

int pt_pool_wait_all(pt_pool *pool, int timeout_ms)
{
	uint64_t deadline;
	int rc = 0;

	if (!pool)
		return -EINVAL;
	deadline = pt__deadline_after_ms(timeout_ms);
	pthread_mutex_lock(&pool->lock);
	while (pool->unresolved > 0) {
		if (timeout_ms == 0 ||
		    !pt__cond_wait_until(&pool->quiet, &pool->lock, deadline)) {
			rc = -ETIMEDOUT;
			break;
		}
	}
	pthread_mutex_unlock(&pool->lock);
	return rc;
}

int pt_pool_fd(const pt_pool *pool)
{
	if (!pool)
		return -EINVAL;
	return pool->opts.completions ? pool->done_fd : -ENOTSUP;
}

int pt_pool_next_done(pt_pool *pool, pt_future **out)
{
	uint64_t one;
	pt_future *f;

	if (!pool || !out)
		return -EINVAL;
	if (!pool->opts.completions)
		return -ENOTSUP;
	pthread_mutex_lock(&pool->lock);
	f = pool->done_head;
	if (f) {
		pool->done_head = f->next;
		if (pool->done_head)
			pool->done_head->prev = NULL;
		else
			pool->done_tail = NULL;
		f->next = f->prev = NULL;
		/* One count per future: the descriptor stays readable while
		 * others are queued. */
		if (read(pool->done_fd, &one, sizeof(one)) < 0)
			one = 0;
	}
	pthread_mutex_unlock(&pool->lock);
	if (!f)
		return -EAGAIN;
	*out = f;
	return 0;
}

/* Stops what still runs at the deadline: its task resolves as shut down,
 * a process is killed, a thread asked to stop. Under pool->lock. */
static void stop_running(pt_pool *pool)
{
	struct pt_result res = { .status = PT_TASK_SHUTDOWN };

	for (unsigned k = 0; k < pool->nslots; k++) {
		struct pt__pool_slot *slot = &pool->slots[k];

		if (slot->current)
			pt__future_resolve(pool, slot->current, &res, NULL, 0);
		if (pool->ops->stop_slot)
			pool->ops->stop_slot(pool, slot);
	}
}

static void drop_queued(pt_pool *pool)
{
	struct pt_result res = { .status = PT_TASK_SHUTDOWN };

	pt__pool_resolve_queued(pool, &res);
}

/* Stops taking tasks and, for PT_POOL_SHUTDOWN_CANCEL, drops what is queued and
 * what was sent ahead to process workers. Under pool->lock. */
static void close_pool(pt_pool *pool, int mode)
{
	if (!pool->shut)
		pool->no_worker_at_shut = pool->stats.no_worker;
	pool->shut = true;
	pool->closing = true;
	/* Reservations can no longer be submitted: they resolve now, and
	 * whoever waits for an arena slot stops waiting. */
	while (pool->reserved)
		pt__future_end_reserved(pool, pool->reserved, PT_TASK_SHUTDOWN);
	pt__mem_close(pool->mem);
	if (mode == PT_POOL_SHUTDOWN_CANCEL) {
		drop_queued(pool);
		for (unsigned k = 0; pool->ops->halt && k < pool->nslots; k++)
			pool->ops->halt(pool, &pool->slots[k]);
	}
	pthread_cond_broadcast(&pool->work);
	pt__pool_unpark_all(pool);
	pthread_cond_broadcast(&pool->room);
	pthread_cond_broadcast(&pool->retry);
}

/* Waits until every worker loop ended, stopping what runs at the
 * deadline. Returns shutdown's code. Under pool->lock. */
static int await_workers(pt_pool *pool, int deadline_ms)
{
	uint64_t deadline = pt__deadline_after_ms(deadline_ms);
	int rc = 0;

	while (pool->live > 0) {
		if (deadline_ms == 0 ||
		    !pt__cond_wait_until(&pool->quiet, &pool->lock, deadline)) {
			/* Past the deadline: what runs is stopped and what
			 * waits is dropped, then the workers end on their
			 * own. */
			rc = pool->unresolved ? -ETIMEDOUT : 0;
			pool->stopping = true;
			drop_queued(pool);
			stop_running(pool);
			pthread_cond_broadcast(&pool->retry);
			while (pool->live > 0)
				pthread_cond_wait(&pool->quiet, &pool->lock);
			break;
		}
	}
	/* Every worker loop ended: what is still queued has nobody to run
	 * it (a slot ends only once the queue is empty, so this is a
	 * safety net), and 0 would promise it did run. */
	if (pool->nqueued) {
		drop_queued(pool);
		rc = rc ? rc : -ECHILD;
	}
	if (rc == 0 && pool->stats.no_worker != pool->no_worker_at_shut)
		rc = -ECHILD;
	return rc;
}

/* Joins the worker threads and the watcher, which all ended or end now. */
static void join_threads(pt_pool *pool)
{
	for (unsigned k = 0; k < pool->nslots; k++)
		if (pool->slots[k].joinable) {
			pthread_join(pool->slots[k].thread, NULL);
			pool->slots[k].joinable = false;
		}
	if (pool->ops->join)
		pool->ops->join(pool);
	if (pool->has_watcher) {
		pthread_mutex_lock(&pool->lock);
		pool->watcher_stop = true;
		pthread_mutex_unlock(&pool->lock);
		pt__pool_wake_watcher(pool);
		pthread_join(pool->watcher, NULL);
		pool->has_watcher = false;
	}
}

int pt_pool_shutdown(pt_pool *pool, enum pt_pool_shutdown_mode mode,
		     int deadline_ms)
{
	int how = (int)mode & ~PT_POOL_SHUTDOWN_NOWAIT;
	bool nowait = (int)mode & PT_POOL_SHUTDOWN_NOWAIT;
	int rc;

	if (!pool ||
	    (how != PT_POOL_SHUTDOWN_DRAIN && how != PT_POOL_SHUTDOWN_CANCEL) ||
	    (nowait && deadline_ms != -1))
		return -EINVAL;
	pthread_mutex_lock(&pool->lock);
	/* After a NOWAIT shutdown one that waits may still reap; anything
	 * else after a shutdown is too late. */
	if (pool->reaping || (pool->shut && nowait)) {
		while (pool->reaping && !pool->reaped)
			pthread_cond_wait(&pool->quiet, &pool->lock);
		pthread_mutex_unlock(&pool->lock);
		return -EALREADY;
	}
	close_pool(pool, how);
	if (nowait) {
		pthread_mutex_unlock(&pool->lock);
		return 0;
	}
	pool->reaping = true;
	rc = await_workers(pool, deadline_ms);
	pthread_mutex_unlock(&pool->lock);

	join_threads(pool);
	pthread_mutex_lock(&pool->lock);
	pool->reaped = true;
	pthread_cond_broadcast(&pool->quiet);
	pthread_mutex_unlock(&pool->lock);
	return rc;
}

int pt_pool_await_spares(pt_pool *pool, int timeout_ms)
{
	if (!pool)
		return -EINVAL;
	return pool->ops->await_spares
		       ? pool->ops->await_spares(pool, timeout_ms)
		       : 0;
}

int pt_pool_get_stats(const pt_pool *pool, struct pt_pool_stats *stats)
{
	pt_pool *p = (pt_pool *)pool;

	if (!pool || !stats)
		return -EINVAL;
	pthread_mutex_lock(&p->lock);
	*stats = p->stats;
	stats->queued = p->nqueued;
	for (unsigned k = 0; k < p->nslots && k < PT_POOL_STATS_WORKERS; k++)
		stats->worker_tasks[k] = p->slots[k].tasks;
	pthread_mutex_unlock(&p->lock);
	return 0;
}

void pt_pool_destroy(pt_pool *pool)
{
	pt_future *f;

	if (!pool)
		return;
	pt_pool_shutdown(pool, PT_POOL_SHUTDOWN_CANCEL, 0);
	while ((f = pool->done_head)) {
		pool->done_head = f->next;
		pt__future_put(f);
	}
	pool_free(pool);
}
