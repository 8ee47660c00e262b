/* pool.c (mpi) - the PT_KIND_MPI backend of the pool: workers that are MPI
 * ranks, the owner's side.
 *
 * Design. The pool is src/pool/'s core - queue, futures, deadlines,
 * retries, statistics, completion queue, shutdown - and this backend runs
 * its tasks on ranks: rank 0 of the communicator owns the pool
 * (pt_pool_create() with .kind = PT_KIND_MPI), every other rank serves it
 * (serve.c), and slot i of the pool is rank i + 1. One thread, the engine
 * (engine.c), makes every MPI call of the pool: it takes tasks from the
 * core's queue for ranks with room, a few ahead per rank, sends them,
 * receives the replies, and resolves the futures through the core's
 * events (src/pool/backend.h). Waiting on a future is a futex on its
 * state, so a waiter costs no MPI call and the engine is the only thread
 * in MPI on the pool's behalf.
 *
 * A future sent to a rank stays referenced by the engine until the rank
 * answers, however it resolved (deadline, cancel, shutdown), because the
 * rank runs it anyway and MPI may still read its message; the late answer
 * is dropped.
 *
 * The backend lives in libprocthread_mpi, which the core does not link:
 * it registers itself with the core (pt__pool_register()) when this
 * program is loaded, and whenever a rank serves.
 *
 * Lock order: pool->lock only. The engine makes MPI calls without it.
 */
#include "mpi/mpi_internal.h"
#include "util/pidfd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

_Static_assert(sizeof(struct pt__mpi_task_hdr) == PT__POOL_HEADROOM,
	       "a task's header fills the future's head");

__attribute__((constructor)) static void register_backend(void)
{
	pt__pool_register(PT_KIND_MPI, &pt__mpi_pool_ops);
}

/* --- open: the collective start ------------------------------------------- */

static int setup_ranks(pt_pool *pool, const struct pt__mpi_peer *peers)
{
	struct pt__mpi_pool *mp = pool->backend;
	size_t reply_bytes =
		sizeof(struct pt__mpi_reply_hdr) + mp->cfg.max_result;

	mp->ranks = calloc(pool->nslots, sizeof(*mp->ranks));
	mp->replies = calloc(pool->nslots, sizeof(MPI_Request));
	if (!mp->ranks || !mp->replies)
		return -ENOMEM;
	for (unsigned i = 0; i < pool->nslots; i++)
		mp->ranks[i].pidfd = -1; /* mpi_close() may see them */
	for (unsigned i = 0; i < pool->nslots; i++) {
		struct pt__mpi_rank *r = &mp->ranks[i];

		r->rank = (int)i + 1;
		r->pid = peers[i + 1].pid;
		r->stop = MPI_REQUEST_NULL;
		mp->replies[i] = MPI_REQUEST_NULL;
		if (pt__mpi_same_host(&peers[i + 1]))
			r->pidfd = pt__pidfd_open(r->pid);
		r->out = calloc(pool->opts.depth, sizeof(pt_future *));
		r->sends = calloc(pool->opts.depth, sizeof(MPI_Request));
		r->reply_buf = malloc(reply_bytes);
		if (!r->out || !r->sends || !r->reply_buf)
			return -ENOMEM;
	}
	return 0;
}

/* This rank's own say on the options, beyond the core's verdict. */
static int own_verdict(pt_pool *pool, MPI_Comm comm, int verdict)
{
	int rank = 0, size = 0, level = 0;

	if (!verdict)
		verdict = pt__mpi_check_opts(&pool->opts);
	if (!verdict &&
	    (pool->opts.initializer || pool->opts.max_tasks_per_worker))
		verdict = -ENOTSUP; /* a rank is never replaced */
	MPI_Comm_rank(comm, &rank);
	MPI_Comm_size(comm, &size);
	MPI_Query_thread(&level);
	if (!verdict && (rank != 0 || size < 2))
		verdict = -EINVAL;
	if (!verdict && level < MPI_THREAD_MULTIPLE)
		verdict = -ENOTSUP; /* the engine is a second thread in MPI */
	return verdict;
}

static void mpi_close(pt_pool *pool);

static int mpi_open(pt_pool *pool, int verdict)
{
	MPI_Comm comm = pool->opts.mpi_comm
				? *(const MPI_Comm *)pool->opts.mpi_comm
				: MPI_COMM_WORLD;
	struct pt__mpi_peer *peers = NULL;
	struct pt__mpi_pool *mp;
	int size = 0, rc;

	if (comm == MPI_COMM_NULL)
		return -EINVAL;
	rc = pt__mpi_ready();
	if (rc)
		return rc;
	mp = calloc(1, sizeof(*mp));
	verdict = mp ? own_verdict(pool, comm, verdict) : -ENOMEM;
	if (mp) {
		mp->comm = MPI_COMM_NULL;
		mp->cfg.max_arg = pool->opts.max_arg_bytes;
		mp->cfg.max_result = pool->opts.max_result_bytes;
	}
	rc = pt__mpi_start(comm, pool->opts.tasks, pool->opts.n_tasks, verdict,
			   mp ? &mp->cfg : &(struct pt__mpi_config){ 0 },
			   mp ? &mp->comm : &(MPI_Comm){ MPI_COMM_NULL },
			   &peers);
	if (rc || !mp) {
		free(mp);
		return rc ? rc : -ENOMEM;
	}
	pool->backend = mp;
	MPI_Comm_size(mp->comm, &size);
	pool->nslots = (unsigned)size - 1;
	rc = setup_ranks(pool, peers);
	free(peers);
	if (rc) {
		/* the servers are serving already: stop them here */
		mpi_close(pool);
		pool->backend = NULL;
	}
	return rc;
}

/* --- the other ops ---------------------------------------------------------
 */

static int mpi_start(pt_pool *pool)
{
	struct pt__mpi_pool *mp = pool->backend;
	int rc;

	pthread_mutex_lock(&pool->lock);
	pt__pool_worker_started(pool); /* the engine: one loop for all */
	rc = -pthread_create(&mp->engine, NULL, pt__mpi_engine_main, pool);
	mp->has_engine = rc == 0;
	mp->engine_ran = rc == 0;
	if (rc)
		pt__pool_worker_ended(pool);
	pthread_mutex_unlock(&pool->lock);
	return rc;
}

static int mpi_check_task(const pt_pool *pool, pt_task_fn *fn)
{
	int i = pt__pool_registry_find_fn(fn, pool->opts.tasks,
					  pool->opts.n_tasks);

	return i < 0 ? i : 0;
}

/* What a rank runs cannot be stopped: the tasks out on slot resolve from
 * the k-th on (their rank runs them anyway; the answers are dropped). */
static void resolve_out(pt_pool *pool, struct pt__pool_slot *slot, unsigned k)
{
	struct pt__mpi_pool *mp = pool->backend;
	struct pt__mpi_rank *r = &mp->ranks[slot->index];
	struct pt_result res = { .status = PT_TASK_SHUTDOWN };

	for (; k < r->n_out; k++)
		pt__future_resolve(pool, r->out[k], &res, NULL, 0);
}

static void mpi_halt(pt_pool *pool, struct pt__pool_slot *slot)
{
	resolve_out(pool, slot, 1);
}

static void mpi_stop_slot(pt_pool *pool, struct pt__pool_slot *slot)
{
	resolve_out(pool, slot, 0);
}

/* The rank runs its oldest task, the slot's current one, from when it
 * became that (a rank's clock is not ours); the others wait in MPI's
 * queue. */
static uint64_t mpi_task_started(const struct pt__pool_slot *slot,
				 const pt_future *f)
{
	return slot->current == f ? f->outcome.result.started_ns : 0;
}

static void mpi_join(pt_pool *pool)
{
	struct pt__mpi_pool *mp = pool->backend;

	if (mp && mp->has_engine) {
		pthread_join(mp->engine, NULL);
		mp->has_engine = false;
	}
}

static void mpi_close(pt_pool *pool)
{
	struct pt__mpi_pool *mp = pool->backend;

	if (!mp)
		return;
	/* A start that failed after the servers began: stop them. */
	if (!mp->engine_ran)
		pt__mpi_stop_servers(pool);
	for (unsigned i = 0; mp->ranks && i < pool->nslots; i++) {
		struct pt__mpi_rank *r = &mp->ranks[i];

		if (r->pidfd >= 0)
			close(r->pidfd);
		free(r->out);
		free(r->sends);
		free(r->reply_buf);
	}
	free(mp->ranks);
	free(mp->replies);
	if (mp->comm != MPI_COMM_NULL)
		MPI_Comm_free(&mp->comm);
	free(mp);
	pool->backend = NULL;
}

const struct pt__pool_ops pt__mpi_pool_ops = {
	.name = "mpi",
	.open = mpi_open,
	.start = mpi_start,
	.check_task = mpi_check_task,
	.halt = mpi_halt,
	.stop_slot = mpi_stop_slot,
	.task_started = mpi_task_started,
	.join = mpi_join,
	.close = mpi_close,
};
