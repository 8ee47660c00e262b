/* pool.c (mpi) - a pool whose workers are MPI ranks: the owner's side.
 *
 * Design. Rank 0 owns the pool; every other rank of the communicator
 * serves it (serve.c). Submitters append futures to one FIFO under the
 * pool's lock, exactly as in src/pool/. One thread, the engine (engine.c),
 * makes every MPI call of the pool: it hands queued tasks to ranks, a few
 * ahead per rank, receives the replies, and resolves futures. Waiting on a
 * future is a futex on its state, so a waiter costs no MPI call and the
 * engine is the only thread in MPI on the pool's behalf.
 *
 * A future resolves exactly once (compare-and-swap from QUEUED or SENT to
 * RESOLVING, under the pool's lock, as in src/pool/future.c): with the
 * rank's reply, at its deadline, when cancelled, at shutdown, or when its
 * rank died. A future sent to a rank stays referenced by the engine until
 * the rank answers, however it resolved, because the rank runs it anyway
 * and MPI may still read its message; the late answer is dropped.
 *
 * Lock order: pool->lock only. The engine makes MPI calls without it.
 */
#include "mpi/mpi_internal.h"
#include "util/clock.h"
#include "util/cond.h"
#include "util/pidfd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* --- futures -------------------------------------------------------------- */

void pt__mpi_future_put(pt_mpi_future *f)
{
	if (atomic_fetch_sub(&f->refs, 1) != 1)
		return;
	pt__outcome_free(&f->outcome);
	free(f);
}

bool pt__mpi_future_resolve(pt_mpi_pool *pool, pt_mpi_future *f,
			    const struct pt_result *res, void *buf, size_t len)
{
	uint32_t was;

	if (!pt__outcome_claim(&f->outcome, &was)) {
		free(buf);
		return false;
	}
	if (was == PT__OUTCOME_TAKEN)
		pool->stats.running--;
	pt__outcome_publish(&f->outcome, res, buf, len);
	pt__pool_stats_count(&pool->stats, res->status);
	if (--pool->unresolved == 0)
		pthread_cond_broadcast(&pool->quiet);
	return true;
}

int pt_mpi_future_wait(pt_mpi_future *f, int timeout_ms,
		       struct pt_result *result)
{
	if (!f || !result)
		return -EINVAL;
	return pt__outcome_wait(&f->outcome, timeout_ms, result);
}

bool pt_mpi_future_done(const pt_mpi_future *f)
{
	return f && pt__outcome_done(&f->outcome);
}

int pt_mpi_future_rank(const pt_mpi_future *f)
{
	return f ? f->rank : -1;
}

static void unlink_queued(pt_mpi_pool *pool, pt_mpi_future *f)
{
	if (f->prev)
		f->prev->next = f->next;
	else
		pool->head = f->next;
	if (f->next)
		f->next->prev = f->prev;
	else
		pool->tail = f->prev;
	f->next = f->prev = NULL;
	pool->nqueued--;
	pthread_cond_signal(&pool->room);
}

int pt_mpi_future_cancel(pt_mpi_future *f)
{
	struct pt_result res = { .status = PT_TASK_CANCELLED };
	pt_mpi_pool *pool;
	int rc = -EALREADY;

	if (!f)
		return -EINVAL;
	if (atomic_load(&f->outcome.state) >= PT__OUTCOME_RESOLVING)
		return -EALREADY;
	pool = f->pool; /* unresolved: the pool lives */
	pthread_mutex_lock(&pool->lock);
	switch (atomic_load(&f->outcome.state)) {
	case PT__OUTCOME_QUEUED:
		unlink_queued(pool, f);
		pt__mpi_future_resolve(pool, f, &res, NULL, 0);
		pt__mpi_future_put(f); /* the queue's reference */
		rc = 0;
		break;
	case PT__OUTCOME_TAKEN:
		/* the rank runs it anyway; its answer will be dropped */
		if (pt__mpi_future_resolve(pool, f, &res, NULL, 0))
			rc = 0;
		break;
	}
	pthread_mutex_unlock(&pool->lock);
	return rc;
}

void pt_mpi_future_destroy(pt_mpi_future *f)
{
	if (f)
		pt__mpi_future_put(f);
}

/* --- the queue ------------------------------------------------------------ */

pt_mpi_future *pt__mpi_queue_pop(pt_mpi_pool *pool)
{
	pt_mpi_future *f = pool->head;

	if (f)
		unlink_queued(pool, f);
	return f;
}

void pt__mpi_queue_push_front(pt_mpi_pool *pool, pt_mpi_future *f)
{
	f->prev = NULL;
	f->next = pool->head;
	if (pool->head)
		pool->head->prev = f;
	else
		pool->tail = f;
	pool->head = f;
	pool->nqueued++;
}

static void queue_append(pt_mpi_pool *pool, pt_mpi_future *f)
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

/* --- submit ----------------------------------------------------------------
 */

static int submit_index(pt_mpi_pool *pool, int index, const void *arg,
			size_t len, pt_mpi_future **out)
{
	pt_mpi_future *f;
	int rc = 0;

	if (index < 0)
		return index;
	if (len > pool->opts.max_arg_bytes)
		return -EMSGSIZE;
	f = malloc(sizeof(*f) + sizeof(f->msg[0]) + len);
	if (!f)
		return -ENOMEM;
	memset(f, 0, sizeof(*f));
	f->msg[0] = (struct pt__mpi_task_hdr){ .type = PT__MPI_MSG_TASK,
					       .index = (uint32_t)index,
					       .len = len };
	if (len)
		memcpy(f->msg + 1, arg, len);
	f->msg_len = sizeof(f->msg[0]) + len;
	f->pool = pool;
	f->rank = -1;
	f->send = MPI_REQUEST_NULL;
	atomic_init(&f->refs, 2);
	f->outcome.result.queued_ns = pt__now_ns();

	pthread_mutex_lock(&pool->lock);
	while (!pool->closing && pool->live &&
	       pool->nqueued >= pool->opts.queue_capacity) {
		if (pool->opts.when_full == PT_POOL_FAIL) {
			rc = -EAGAIN;
			goto err_unlock;
		}
		pthread_cond_wait(&pool->room, &pool->lock);
	}
	rc = pool->closing ? -ESHUTDOWN : !pool->live ? -EPIPE : 0;
	if (rc)
		goto err_unlock;
	f->msg[0].id = ++pool->next_id;
	queue_append(pool, f);
	pool->stats.submitted++;
	pool->unresolved++;
	if (pool->engine_idle)
		pthread_cond_signal(&pool->work);
	pthread_mutex_unlock(&pool->lock);
	*out = f;
	return 0;

err_unlock:
	pthread_mutex_unlock(&pool->lock);
	free(f);
	return rc;
}

int pt_mpi_pool_submit(pt_mpi_pool *pool, pt_task_fn *fn, const void *arg,
		       size_t len, pt_mpi_future **out)
{
	if (!pool || !fn || !out || (len && !arg))
		return -EINVAL;
	return submit_index(pool,
			    pt__mpi_registry_find_fn(fn, pool->opts.tasks,
						     pool->opts.n_tasks),
			    arg, len, out);
}

int pt_mpi_pool_submit_name(pt_mpi_pool *pool, const char *name,
			    const void *arg, size_t len, pt_mpi_future **out)
{
	if (!pool || !name || !out || (len && !arg))
		return -EINVAL;
	return submit_index(pool,
			    pt__mpi_registry_find_name(
				    pool->opts.tasks, pool->opts.n_tasks, name),
			    arg, len, out);
}

int pt_mpi_pool_wait_all(pt_mpi_pool *pool, int timeout_ms)
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

int pt_mpi_pool_stats(const pt_mpi_pool *pool, struct pt_pool_stats *stats)
{
	pt_mpi_pool *p = (pt_mpi_pool *)pool; /* the lock is not state */

	if (!pool || !stats)
		return -EINVAL;
	pthread_mutex_lock(&p->lock);
	*stats = pool->stats;
	stats->queued = pool->nqueued;
	pthread_mutex_unlock(&p->lock);
	return 0;
}

/* --- create, shutdown, destroy ---------------------------------------------
 */

static void pool_free(pt_mpi_pool *pool)
{
	for (unsigned i = 0; pool->ranks && i < pool->nranks; i++) {
		struct pt__mpi_rank *r = &pool->ranks[i];

		if (r->pidfd >= 0)
			close(r->pidfd);
		free(r->out);
		free(r->reply_buf);
	}
	free(pool->ranks);
	free(pool->replies);
	if (pool->comm != MPI_COMM_NULL)
		MPI_Comm_free(&pool->comm);
	pthread_mutex_destroy(&pool->lock);
	pthread_cond_destroy(&pool->work);
	pthread_cond_destroy(&pool->room);
	pthread_cond_destroy(&pool->quiet);
	free(pool);
}

static int setup_ranks(pt_mpi_pool *pool, const struct pt__mpi_peer *peers)
{
	size_t reply_bytes =
		sizeof(struct pt__mpi_reply_hdr) + pool->cfg.max_result;

	pool->ranks = calloc(pool->nranks, sizeof(*pool->ranks));
	pool->replies = calloc(pool->nranks, sizeof(MPI_Request));
	if (!pool->ranks || !pool->replies)
		return -ENOMEM;
	for (unsigned i = 0; i < pool->nranks; i++)
		pool->ranks[i].pidfd = -1; /* pool_free() may see them */
	for (unsigned i = 0; i < pool->nranks; i++) {
		struct pt__mpi_rank *r = &pool->ranks[i];

		r->rank = (int)i + 1;
		r->pid = peers[i + 1].pid;
		r->stop = MPI_REQUEST_NULL;
		pool->replies[i] = MPI_REQUEST_NULL;
		if (pt__mpi_same_host(&peers[i + 1]))
			r->pidfd = pt__pidfd_open(r->pid);
		r->out = calloc(pool->opts.depth, sizeof(pt_mpi_future *));
		r->reply_buf = malloc(reply_bytes);
		if (!r->out || !r->reply_buf)
			return -ENOMEM;
	}
	pool->live = pool->nranks;
	pool->stats.workers = pool->nranks;
	return 0;
}

int pt_mpi_pool_create(MPI_Comm comm, const struct pt_mpi_pool_opts *opts,
		       pt_mpi_pool **out)
{
	struct pt__mpi_peer *peers = NULL;
	pt_mpi_pool *pool;
	int rank = 0, size = 0, level = 0, verdict, rc;

	if (!opts || !out || comm == MPI_COMM_NULL)
		return -EINVAL;
	rc = pt__mpi_ready();
	if (rc)
		return rc;
	pool = calloc(1, sizeof(*pool));
	verdict = pool ? pt__mpi_pool_take_opts(opts, &pool->opts) : -ENOMEM;
	MPI_Comm_rank(comm, &rank);
	MPI_Comm_size(comm, &size);
	MPI_Query_thread(&level);
	if (!verdict && (rank != 0 || size < 2))
		verdict = -EINVAL;
	if (!verdict && level < MPI_THREAD_MULTIPLE)
		verdict = -ENOTSUP; /* the engine is a second thread in MPI */
	if (pool) {
		pool->cfg.max_arg = pool->opts.max_arg_bytes;
		pool->cfg.max_result = pool->opts.max_result_bytes;
	}
	rc = pt__mpi_start(comm, pool ? pool->opts.tasks : NULL,
			   pool ? pool->opts.n_tasks : 0, verdict,
			   pool ? &pool->cfg : &(struct pt__mpi_config){ 0 },
			   pool ? &pool->comm : &(MPI_Comm){ MPI_COMM_NULL },
			   &peers);
	if (rc || !pool) {
		free(pool);
		return rc ? rc : -ENOMEM;
	}
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->work, NULL);
	pthread_cond_init(&pool->room, NULL);
	pt__cond_init_monotonic(&pool->quiet);
	pool->nranks = (unsigned)size - 1;
	rc = setup_ranks(pool, peers);
	free(peers);
	if (!rc) {
		rc = -pthread_create(&pool->engine, NULL, pt__mpi_engine_main,
				     pool);
		pool->has_engine = rc == 0;
	}
	if (rc) {
		/* the servers are serving already: stop them here */
		struct pt__mpi_task_hdr stop = { .type = PT__MPI_MSG_STOP };

		for (unsigned i = 0; i < pool->nranks; i++)
			MPI_Send(&stop, sizeof(stop), MPI_BYTE, (int)i + 1,
				 PT__MPI_TAG_TASK, pool->comm);
		for (unsigned i = 0; i < pool->nranks; i++) {
			struct pt__mpi_reply_hdr bye;

			MPI_Recv(&bye, sizeof(bye), MPI_BYTE, (int)i + 1,
				 PT__MPI_TAG_REPLY, pool->comm,
				 MPI_STATUS_IGNORE);
		}
		pool_free(pool);
		return rc;
	}
	*out = pool;
	return 0;
}

int pt_mpi_pool_shutdown(pt_mpi_pool *pool, enum pt_pool_shutdown_mode mode,
			 int deadline_ms)
{
	struct pt_result res = { .status = PT_TASK_SHUTDOWN };
	pt_mpi_future *f;
	int rc;

	if (!pool || (mode != PT_POOL_DRAIN && mode != PT_POOL_CANCEL))
		return -EINVAL;
	pthread_mutex_lock(&pool->lock);
	if (pool->shut) {
		pthread_mutex_unlock(&pool->lock);
		return -EALREADY;
	}
	pool->shut = true;
	pool->closing = true;
	pool->stop_ns =
		deadline_ms >= 0 ? pt__deadline_after_ms(deadline_ms) : 0;
	if (deadline_ms == 0)
		pool->stop_ns = pt__now_ns();
	if (mode == PT_POOL_CANCEL) {
		while ((f = pt__mpi_queue_pop(pool))) {
			pt__mpi_future_resolve(pool, f, &res, NULL, 0);
			pt__mpi_future_put(f);
		}
	}
	pthread_cond_broadcast(&pool->room);
	pthread_cond_signal(&pool->work);
	while (!pool->engine_done)
		pthread_cond_wait(&pool->quiet, &pool->lock);
	rc = pool->stopped_some ? -ETIMEDOUT : 0;
	pthread_mutex_unlock(&pool->lock);
	return rc;
}

void pt_mpi_pool_destroy(pt_mpi_pool *pool)
{
	if (!pool)
		return;
	pt_mpi_pool_shutdown(pool, PT_POOL_CANCEL, 0);
	if (pool->has_engine)
		pthread_join(pool->engine, NULL);
	pool_free(pool);
}
