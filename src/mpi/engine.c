/* engine.c - the owner's engine: the one thread that speaks MPI for a pool
 * of ranks (see pool.c for the design, serve.c for the other side).
 *
 * Each round, under the pool's lock, it hands queued tasks to ranks (each
 * rank gets one before any gets a second, up to opts.depth), resolves what
 * passed its deadline, and applies a shutdown; then, without the lock, it
 * posts the sends, tests the replies (one receive kept posted per rank),
 * and looks for dead ranks. With nothing out and nothing queued it sleeps
 * on the pool's work condition, costing nothing; with tasks out it polls
 * with the bounded back-off.
 *
 * A rank that dies is seen only when it runs on this host (its pidfd; see
 * "When a rank dies" in procthread/mpi.h). Then the task it was running
 * is retried elsewhere or resolves as crashed, the tasks sent ahead of it,
 * which it never started, go back to the head of the queue, and the rank
 * is given nothing more. A rank that leaves (BYE before being told to)
 * is treated the same way, its tasks unblamed.
 */
#include "mpi/mpi_internal.h"
#include "util/clock.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

/* How often, at most, the pidfds of the ranks are polled. */
#define DEATH_CHECK_NS ((uint64_t)5 * 1000000u)

static const struct pt__mpi_task_hdr stop_msg = { .type = PT__MPI_MSG_STOP };

struct engine {
	pt_mpi_pool *pool;
	pt_mpi_future **to_send; /* handed out this round */
	size_t n_to_send;
	int *done_idx;
	MPI_Status *done_st;
	uint64_t next_death_check;
};

static bool usable(const struct pt__mpi_rank *r)
{
	return !r->dead && !r->bye && !r->stop_sent;
}

static void set_deadline(pt_mpi_pool *pool, pt_mpi_future *f, uint64_t now)
{
	if (pool->opts.task_timeout_ms)
		f->deadline_ns =
			now + (uint64_t)pool->opts.task_timeout_ms * 1000000u;
}

/* Hands queued tasks to ranks with room, the emptiest first. Under the
 * lock. */
static void dispatch(struct engine *e)
{
	pt_mpi_pool *pool = e->pool;
	uint64_t now = pt__now_ns();

	for (unsigned level = 0; level < pool->opts.depth; level++) {
		for (unsigned i = 0; i < pool->nranks && pool->head; i++) {
			struct pt__mpi_rank *r = &pool->ranks[i];
			pt_mpi_future *f;

			if (!usable(r) || r->n_out != level)
				continue;
			f = pt__mpi_queue_pop(pool);
			atomic_store(&f->outcome.state, PT__OUTCOME_TAKEN);
			f->rank = r->rank;
			f->outcome.result.attempts++;
			f->outcome.result.worker_pid = r->pid;
			f->deadline_ns = 0;
			if (r->n_out == 0)
				set_deadline(pool, f, now);
			r->out[r->n_out++] = f;
			pool->stats.running++;
			e->to_send[e->n_to_send++] = f;
		}
	}
}

/* Resolves, as res says, the tasks out on ranks that are unresolved. */
static bool resolve_out(pt_mpi_pool *pool, const struct pt_result *res)
{
	bool any = false;

	for (unsigned i = 0; i < pool->nranks; i++)
		for (unsigned k = 0; k < pool->ranks[i].n_out; k++)
			any |= pt__mpi_future_resolve(
				pool, pool->ranks[i].out[k], res, NULL, 0);
	return any;
}

static void resolve_queued(pt_mpi_pool *pool)
{
	struct pt_result res = { .status = PT_TASK_SHUTDOWN };
	pt_mpi_future *f;

	while ((f = pt__mpi_queue_pop(pool))) {
		pt__mpi_future_resolve(pool, f, &res, NULL, 0);
		pt__mpi_future_put(f);
	}
}

/* Deadlines and shutdown, under the lock. Returns true when the ranks are
 * to be told to stop. */
static bool expire(pt_mpi_pool *pool)
{
	struct pt_result late = { .status = PT_TASK_TIMED_OUT };
	struct pt_result shut = { .status = PT_TASK_SHUTDOWN };
	uint64_t now = pt__now_ns();

	for (unsigned i = 0; i < pool->nranks; i++) {
		struct pt__mpi_rank *r = &pool->ranks[i];

		/* the running one; those behind it have not started */
		if (r->n_out && r->out[0]->deadline_ns &&
		    now >= r->out[0]->deadline_ns)
			pt__mpi_future_resolve(pool, r->out[0], &late, NULL, 0);
	}
	if (!pool->closing)
		return false;
	if (pool->stop_ns && now >= pool->stop_ns) {
		resolve_queued(pool);
		if (resolve_out(pool, &shut))
			pool->stopped_some = true;
	}
	return pool->head == NULL;
}

/* --- replies -------------------------------------------------------------- */

static int post_reply(pt_mpi_pool *pool, unsigned i)
{
	return MPI_Irecv(
		pool->ranks[i].reply_buf,
		(int)(sizeof(struct pt__mpi_reply_hdr) + pool->cfg.max_result),
		MPI_BYTE, pool->ranks[i].rank, PT__MPI_TAG_REPLY, pool->comm,
		&pool->replies[i]);
}

/* Takes f off the front of r's list: the engine's hold on it ends. */
static pt_mpi_future *pop_out(struct pt__mpi_rank *r)
{
	pt_mpi_future *f = r->out[0];

	memmove(r->out, r->out + 1, (r->n_out - 1) * sizeof(pt_mpi_future *));
	r->n_out--;
	return f;
}

/* Gives back the tasks out on r, which will never answer them. Under the
 * lock. crashed: r died running the first (else it left, blameless).
 * Tasks it never started go back to the head of the queue; the one it
 * ran is retried while opts.retries allow, else resolves as crashed. A
 * message the rank never took in full cannot be sent again (MPI may still
 * read it): that task resolves as crashed, and its memory stays with MPI.
 */
static void give_back(pt_mpi_pool *pool, struct pt__mpi_rank *r, bool crashed)
{
	struct pt_result res = { .status = PT_TASK_CRASHED,
				 .worker_pid = r->pid };

	while (r->n_out) {
		/* from the back, so that push_front keeps their order */
		pt_mpi_future *f = r->out[--r->n_out];
		bool ran = crashed && r->n_out == 0;
		int sent = 1;

		MPI_Test(&f->send, &sent, MPI_STATUS_IGNORE);
		if (sent &&
		    atomic_load(&f->outcome.state) == PT__OUTCOME_TAKEN &&
		    (!ran ||
		     f->outcome.result.attempts <= pool->opts.retries)) {
			if (ran)
				pool->stats.retried++;
			else
				f->outcome.result.attempts--;
			atomic_store(&f->outcome.state, PT__OUTCOME_QUEUED);
			pool->stats.running--;
			pt__mpi_queue_push_front(pool, f);
			continue;
		}
		pt__mpi_future_resolve(pool, f, &res, NULL, 0);
		if (sent)
			pt__mpi_future_put(f);
		else
			MPI_Request_free(&f->send);
	}
	if (pool->live)
		pool->live--;
	if (!pool->live)
		resolve_queued(pool);
	pthread_cond_broadcast(&pool->room); /* submitters see -EPIPE */
	pthread_cond_signal(&pool->work);
}

static void take_result(pt_mpi_pool *pool, struct pt__mpi_rank *r, int bytes)
{
	const struct pt__mpi_reply_hdr *h = r->reply_buf;
	uint64_t now = pt__now_ns();
	size_t len = (size_t)bytes - sizeof(*h);
	struct pt_result res = {
		.status = h->code ? PT_TASK_FAILED : PT_TASK_OK,
		.error = h->code,
		.worker_pid = r->pid,
		.started_ns = h->run_ns < now ? now - h->run_ns : 1,
		.finished_ns = now,
	};
	pt_mpi_future *f;
	void *buf = NULL;

	if (!r->n_out || r->out[0]->msg[0].id != h->id || h->len != len)
		return; /* no correct rank sends it: dropped */
	f = pop_out(r);
	MPI_Wait(&f->send, MPI_STATUS_IGNORE); /* it was received */
	if (len) {
		buf = malloc(len);
		if (buf)
			memcpy(buf, h + 1, len);
		else
			res = (struct pt_result){ .status = PT_TASK_FAILED,
						  .error = -ENOMEM };
	}
	pthread_mutex_lock(&pool->lock);
	pt__mpi_future_resolve(pool, f, &res, buf, len);
	if (r->rank - 1 < PT_POOL_STATS_WORKERS)
		pool->stats.worker_tasks[r->rank - 1]++;
	if (r->n_out)
		set_deadline(pool, r->out[0], now);
	pthread_mutex_unlock(&pool->lock);
	pt__mpi_future_put(f);
}

/* One reply from rank index i, whose receive completed with st. */
static void take_reply(struct engine *e, unsigned i, MPI_Status *st)
{
	pt_mpi_pool *pool = e->pool;
	struct pt__mpi_rank *r = &pool->ranks[i];
	int bytes = 0;

	MPI_Get_count(st, MPI_BYTE, &bytes);
	if (bytes < (int)sizeof(*r->reply_buf))
		bytes = (int)sizeof(*r->reply_buf); /* dropped below */
	if (r->reply_buf->type == PT__MPI_MSG_BYE) {
		r->bye = true;
		pthread_mutex_lock(&pool->lock);
		if (!r->stop_sent || r->n_out)
			give_back(pool, r, false); /* it left on its own */
		else if (pool->live)
			pool->live--;
		pthread_mutex_unlock(&pool->lock);
		return;
	}
	take_result(pool, r, bytes);
	post_reply(pool, i);
}

static bool take_replies(struct engine *e)
{
	pt_mpi_pool *pool = e->pool;
	int n = 0;

	MPI_Testsome((int)pool->nranks, pool->replies, &n, e->done_idx,
		     e->done_st);
	if (n == MPI_UNDEFINED || n <= 0)
		return false;
	for (int k = 0; k < n; k++)
		take_reply(e, (unsigned)e->done_idx[k], &e->done_st[k]);
	return true;
}

/* --- deaths ----------------------------------------------------------------
 */

static void bury(struct engine *e, unsigned i)
{
	pt_mpi_pool *pool = e->pool;
	struct pt__mpi_rank *r = &pool->ranks[i];
	MPI_Status st;
	int cancelled = 1;

	/* an answer that came before the end is still an answer */
	MPI_Cancel(&pool->replies[i]);
	MPI_Wait(&pool->replies[i], &st);
	MPI_Test_cancelled(&st, &cancelled);
	if (!cancelled && r->reply_buf->type != PT__MPI_MSG_BYE) {
		int bytes = 0;

		MPI_Get_count(&st, MPI_BYTE, &bytes);
		take_result(pool, r, bytes);
	}
	r->dead = true;
	pthread_mutex_lock(&pool->lock);
	if (!r->bye)
		give_back(pool, r, true);
	pthread_mutex_unlock(&pool->lock);
}

static bool check_deaths(struct engine *e)
{
	pt_mpi_pool *pool = e->pool;
	uint64_t now = pt__now_ns();
	bool any = false;

	if (now < e->next_death_check)
		return false;
	e->next_death_check = now + DEATH_CHECK_NS;
	for (unsigned i = 0; i < pool->nranks; i++) {
		struct pt__mpi_rank *r = &pool->ranks[i];
		struct pollfd p = { .fd = r->pidfd, .events = POLLIN };

		if (r->pidfd < 0 || r->dead || r->bye || poll(&p, 1, 0) <= 0)
			continue;
		bury(e, i);
		any = true;
	}
	return any;
}

/* --- the loop ------------------------------------------------------------- */

static bool all_gone(const pt_mpi_pool *pool)
{
	for (unsigned i = 0; i < pool->nranks; i++)
		if (!pool->ranks[i].dead && !pool->ranks[i].bye)
			return false;
	return true;
}

static bool anything_out(const pt_mpi_pool *pool)
{
	for (unsigned i = 0; i < pool->nranks; i++)
		if (pool->ranks[i].n_out)
			return true;
	return false;
}

static void send_stops(pt_mpi_pool *pool)
{
	for (unsigned i = 0; i < pool->nranks; i++) {
		struct pt__mpi_rank *r = &pool->ranks[i];

		if (r->dead || r->bye || r->stop_sent)
			continue;
		MPI_Isend(&stop_msg, sizeof(stop_msg), MPI_BYTE, r->rank,
			  PT__MPI_TAG_TASK, pool->comm, &r->stop);
		r->stop_sent = true;
	}
}

/* One round. Returns false once every rank is gone. */
static bool round_once(struct engine *e, struct pt__mpi_backoff *b)
{
	pt_mpi_pool *pool = e->pool;
	bool stop, progress;

	pthread_mutex_lock(&pool->lock);
	e->n_to_send = 0;
	dispatch(e);
	stop = expire(pool);
	if (!stop && !pool->head && !anything_out(pool) && !pool->closing) {
		pool->engine_idle = true;
		pthread_cond_wait(&pool->work, &pool->lock);
		pool->engine_idle = false;
		pthread_mutex_unlock(&pool->lock);
		*b = (struct pt__mpi_backoff){ .max_sleep_ns =
						       PT__MPI_POOL_SLEEP_NS };
		return true;
	}
	pthread_mutex_unlock(&pool->lock);

	for (size_t k = 0; k < e->n_to_send; k++) {
		pt_mpi_future *f = e->to_send[k];

		MPI_Isend(f->msg, (int)f->msg_len, MPI_BYTE, f->rank,
			  PT__MPI_TAG_TASK, pool->comm, &f->send);
	}
	if (stop)
		send_stops(pool);
	progress = e->n_to_send > 0;
	progress |= take_replies(e);
	progress |= check_deaths(e);
	if (all_gone(pool))
		return false;
	if (progress)
		*b = (struct pt__mpi_backoff){ .max_sleep_ns =
						       PT__MPI_POOL_SLEEP_NS };
	else
		pt__mpi_backoff_pause(b, pool->opts.spin_ns, 0);
	return true;
}

static void finish(pt_mpi_pool *pool)
{
	for (unsigned i = 0; i < pool->nranks; i++) {
		struct pt__mpi_rank *r = &pool->ranks[i];
		int done = 1;

		/* a dead rank never takes its STOP: hand it to MPI */
		MPI_Test(&r->stop, &done, MPI_STATUS_IGNORE);
		if (!done)
			MPI_Request_free(&r->stop);
	}
	pthread_mutex_lock(&pool->lock);
	resolve_queued(pool);
	pool->live = 0;
	pool->engine_done = true;
	pthread_cond_broadcast(&pool->quiet);
	pthread_cond_broadcast(&pool->room);
	pthread_mutex_unlock(&pool->lock);
}

void *pt__mpi_engine_main(void *arg)
{
	pt_mpi_pool *pool = arg;
	size_t n = pool->nranks;
	struct engine e = {
		.pool = pool,
		.to_send =
			calloc(n * pool->opts.depth, sizeof(pt_mpi_future *)),
		.done_idx = calloc(n, sizeof(*e.done_idx)),
		.done_st = calloc(n, sizeof(*e.done_st)),
	};
	struct pt__mpi_backoff b = { .max_sleep_ns = PT__MPI_POOL_SLEEP_NS };

	if (e.to_send && e.done_idx && e.done_st) {
		for (unsigned i = 0; i < pool->nranks; i++)
			post_reply(pool, i);
		while (round_once(&e, &b))
			;
	} else {
		/* no memory for the engine: stop the ranks and give up */
		pthread_mutex_lock(&pool->lock);
		pool->closing = true;
		pthread_mutex_unlock(&pool->lock);
		send_stops(pool);
		for (unsigned i = 0; i < pool->nranks; i++) {
			struct pt__mpi_reply_hdr bye;

			MPI_Recv(&bye, sizeof(bye), MPI_BYTE,
				 pool->ranks[i].rank, PT__MPI_TAG_REPLY,
				 pool->comm, MPI_STATUS_IGNORE);
		}
	}
	finish(pool);
	free(e.to_send);
	free(e.done_idx);
	free(e.done_st);
	return NULL;
}
