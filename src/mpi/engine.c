/* engine.c - the PT_KIND_MPI backend's engine: the one thread that speaks MPI
 * for a pool of ranks (see pool.c for the design, serve.c for the other
 * side).
 *
 * Each round, under the pool's lock, it takes tasks from the core's queue
 * for ranks with room (each rank gets one before any gets a second, up to
 * opts.depth) and sees whether the pool shuts down; then, without the
 * lock, it posts the sends, tests the replies (one receive kept posted per
 * rank), and looks for dead ranks. With nothing out and nothing queued it
 * sleeps on the pool's work condition (pt__pool_wait_work()), costing
 * nothing; with tasks out it polls with the bounded back-off. Deadlines
 * are the core's (its watcher resolves the slot's current task).
 *
 * A rank that dies is seen only when it runs on this host (its pidfd; see
 * "When a rank dies" in procthread/mpi.h). Then the task it was running
 * is retried elsewhere or resolves as crashed, the tasks sent ahead of it,
 * which it never started, go back to the head of the queue, and its slot
 * is broken for good (a rank cannot be replaced). A rank that leaves (BYE
 * before being told to) is treated the same way, its tasks unblamed.
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
	pt_pool *pool;
	struct pt__mpi_pool *mp;
	/* handed out this round: rank index and place in its out list */
	unsigned *to_send_rank;
	unsigned *to_send_at;
	size_t n_to_send;
	int *done_idx;
	MPI_Status *done_st;
	uint64_t next_death_check;
};

static bool usable(const struct pt__mpi_rank *r)
{
	return !r->dead && !r->bye && !r->stop_sent;
}

/* Takes queued tasks for ranks with room, the emptiest first. Under the
 * lock. */
static void dispatch(struct engine *e)
{
	pt_pool *pool = e->pool;

	for (unsigned level = 0; level < pool->opts.depth; level++) {
		for (unsigned i = 0; i < pool->nslots && pool->nqueued; i++) {
			struct pt__mpi_rank *r = &e->mp->ranks[i];
			pt_future *f;

			if (!usable(r) || r->n_out != level)
				continue;
			f = pt__pool_take(pool, &pool->slots[i], NULL, false);
			if (!f)
				return;
			f->outcome.result.worker_pid = r->pid;
			r->sends[r->n_out] = MPI_REQUEST_NULL;
			e->to_send_rank[e->n_to_send] = i;
			e->to_send_at[e->n_to_send++] = r->n_out;
			r->out[r->n_out++] = f;
		}
	}
}

/* Sends what dispatch() handed out: the header goes into the future's
 * head, right before the argument, and both leave as one message. */
static void send_tasks(struct engine *e)
{
	pt_pool *pool = e->pool;

	for (size_t k = 0; k < e->n_to_send; k++) {
		struct pt__mpi_rank *r = &e->mp->ranks[e->to_send_rank[k]];
		unsigned at = e->to_send_at[k];
		pt_future *f = r->out[at];
		struct pt__mpi_task_hdr h = {
			.id = f->id,
			.type = PT__MPI_MSG_TASK,
			.index = (uint32_t)pt__pool_registry_find_fn(
				f->fn, pool->opts.tasks, pool->opts.n_tasks),
			.len = f->len,
		};

		memcpy(f->head, &h, sizeof(h));
		MPI_Isend(f->head, (int)(sizeof(h) + f->len), MPI_BYTE, r->rank,
			  PT__MPI_TAG_TASK, e->mp->comm, &r->sends[at]);
	}
}

/* --- replies -------------------------------------------------------------- */

static int post_reply(struct engine *e, unsigned i)
{
	return MPI_Irecv(
		e->mp->ranks[i].reply_buf,
		(int)(sizeof(struct pt__mpi_reply_hdr) + e->mp->cfg.max_result),
		MPI_BYTE, e->mp->ranks[i].rank, PT__MPI_TAG_REPLY, e->mp->comm,
		&e->mp->replies[i]);
}

/* Takes f off the front of r's list: the engine's hold on it ends. Under
 * the lock. */
static pt_future *pop_out(struct pt__mpi_rank *r)
{
	pt_future *f = r->out[0];

	r->n_out--;
	memmove(r->out, r->out + 1, r->n_out * sizeof(pt_future *));
	memmove(r->sends, r->sends + 1, r->n_out * sizeof(MPI_Request));
	return f;
}

/* Gives back the tasks out on rank index i, which will never answer them,
 * and gives its slot up: a rank is not replaced. Under the lock. crashed:
 * the rank died running the first (else it left, blameless). Tasks it
 * never started go back to the head of the queue; the one it ran is
 * retried while opts.retries allow, else resolves as crashed. A message
 * the rank never took in full cannot be sent again (MPI may still read
 * it): that task resolves as crashed, and its memory stays with MPI. */
static void give_back(struct engine *e, unsigned i, bool crashed)
{
	pt_pool *pool = e->pool;
	struct pt__mpi_rank *r = &e->mp->ranks[i];
	struct pt_result res = { .status = PT_TASK_CRASHED,
				 .worker_pid = r->pid };
	struct pt_result shut = { .status = PT_TASK_SHUTDOWN };

	while (r->n_out) {
		/* from the back, so that requeue keeps their order */
		unsigned k = --r->n_out;
		pt_future *f = r->out[k];
		bool ran = crashed && k == 0;
		bool taken =
			atomic_load(&f->outcome.state) == PT__OUTCOME_TAKEN;
		int sent = 1;

		MPI_Test(&r->sends[k], &sent, MPI_STATUS_IGNORE);
		if (sent && taken && !ran && pool->stopping) {
			pt__future_resolve(pool, f, &shut, NULL, 0);
		} else if (sent && taken &&
			   (!ran ||
			    (f->outcome.result.attempts <= pool->opts.retries &&
			     !pool->closing))) {
			if (ran) {
				pt__pool_retry(pool, f);
			} else {
				f->outcome.result.attempts--;
				pt__pool_requeue(pool, f);
			}
		} else {
			pt__future_resolve(pool, f, &res, NULL, 0);
		}
		if (sent)
			pt__future_put(f);
		else
			MPI_Request_free(&r->sends[k]);
	}
	pt__pool_set_current(pool, &pool->slots[i], NULL);
	pt__pool_slot_broken(pool, &pool->slots[i], true, -EPIPE);
}

static void take_result(struct engine *e, unsigned i, int bytes)
{
	pt_pool *pool = e->pool;
	struct pt__mpi_rank *r = &e->mp->ranks[i];
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
	struct pt__pool_slot *slot = &pool->slots[i];
	pt_future *f;
	void *buf = NULL;

	if (!r->n_out || r->out[0]->id != h->id || h->len != len)
		return; /* no correct rank sends it: dropped */
	MPI_Wait(&r->sends[0], MPI_STATUS_IGNORE); /* it was received */
	if (len) {
		buf = pt__pool_buf(pool, len);
		if (buf)
			memcpy(buf, h + 1, len);
		else
			res = (struct pt_result){ .status = PT_TASK_FAILED,
						  .error = -ENOMEM };
	}
	pthread_mutex_lock(&pool->lock);
	f = pop_out(r);
	pt__future_resolve(pool, f, &res, buf, len);
	slot->tasks++;
	/* the next one's deadline runs from here */
	pt__pool_set_current(pool, slot, r->n_out ? r->out[0] : NULL);
	pthread_mutex_unlock(&pool->lock);
	pt__future_put(f);
}

/* One reply from rank index i, whose receive completed with st. */
static void take_reply(struct engine *e, unsigned i, MPI_Status *st)
{
	pt_pool *pool = e->pool;
	struct pt__mpi_rank *r = &e->mp->ranks[i];
	int bytes = 0;

	MPI_Get_count(st, MPI_BYTE, &bytes);
	if (bytes < (int)sizeof(*r->reply_buf))
		bytes = (int)sizeof(*r->reply_buf); /* dropped below */
	if (r->reply_buf->type == PT__MPI_MSG_BYE) {
		r->bye = true;
		pthread_mutex_lock(&pool->lock);
		if (!r->stop_sent || r->n_out)
			give_back(e, i, false); /* it left on its own */
		pthread_mutex_unlock(&pool->lock);
		return;
	}
	take_result(e, i, bytes);
	post_reply(e, i);
}

static bool take_replies(struct engine *e)
{
	int n = 0;

	MPI_Testsome((int)e->pool->nslots, e->mp->replies, &n, e->done_idx,
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
	pt_pool *pool = e->pool;
	struct pt__mpi_rank *r = &e->mp->ranks[i];
	MPI_Status st;
	int cancelled = 1;

	/* an answer that came before the end is still an answer */
	MPI_Cancel(&e->mp->replies[i]);
	MPI_Wait(&e->mp->replies[i], &st);
	MPI_Test_cancelled(&st, &cancelled);
	if (!cancelled && r->reply_buf->type != PT__MPI_MSG_BYE) {
		int bytes = 0;

		MPI_Get_count(&st, MPI_BYTE, &bytes);
		take_result(e, i, bytes);
	}
	r->dead = true;
	pthread_mutex_lock(&pool->lock);
	if (!r->bye)
		give_back(e, i, true);
	pthread_mutex_unlock(&pool->lock);
}

static bool check_deaths(struct engine *e)
{
	uint64_t now = pt__now_ns();
	bool any = false;

	if (now < e->next_death_check)
		return false;
	e->next_death_check = now + DEATH_CHECK_NS;
	for (unsigned i = 0; i < e->pool->nslots; i++) {
		struct pt__mpi_rank *r = &e->mp->ranks[i];
		struct pollfd p = { .fd = r->pidfd, .events = POLLIN };

		if (r->pidfd < 0 || r->dead || r->bye || poll(&p, 1, 0) <= 0)
			continue;
		bury(e, i);
		any = true;
	}
	return any;
}

/* --- the loop ------------------------------------------------------------- */

static bool all_gone(const struct engine *e)
{
	for (unsigned i = 0; i < e->pool->nslots; i++)
		if (!e->mp->ranks[i].dead && !e->mp->ranks[i].bye)
			return false;
	return true;
}

static bool anything_out(const struct engine *e)
{
	for (unsigned i = 0; i < e->pool->nslots; i++)
		if (e->mp->ranks[i].n_out)
			return true;
	return false;
}

static void send_stops(struct engine *e)
{
	for (unsigned i = 0; i < e->pool->nslots; i++) {
		struct pt__mpi_rank *r = &e->mp->ranks[i];

		if (r->dead || r->bye || r->stop_sent)
			continue;
		MPI_Isend(&stop_msg, sizeof(stop_msg), MPI_BYTE, r->rank,
			  PT__MPI_TAG_TASK, e->mp->comm, &r->stop);
		r->stop_sent = true;
	}
}

static struct pt__mpi_backoff fresh_backoff(void)
{
	return (struct pt__mpi_backoff){ .max_sleep_ns =
						 PT__MPI_POOL_SLEEP_NS };
}

/* One round. Returns false once every rank is gone. */
static bool round_once(struct engine *e, struct pt__mpi_backoff *b)
{
	pt_pool *pool = e->pool;
	bool stop, progress;

	pthread_mutex_lock(&pool->lock);
	e->n_to_send = 0;
	dispatch(e);
	/* Shut down and nothing left to hand out (a cancelling shutdown
	 * emptied the queue): the ranks may go once they answered. */
	stop = pool->closing && pool->nqueued == 0;
	if (!stop && !pool->nqueued && !e->n_to_send && !anything_out(e)) {
		pt__pool_wait_work(pool);
		pthread_mutex_unlock(&pool->lock);
		*b = fresh_backoff();
		return true;
	}
	pthread_mutex_unlock(&pool->lock);

	send_tasks(e);
	if (stop)
		send_stops(e);
	progress = e->n_to_send > 0;
	progress |= take_replies(e);
	progress |= check_deaths(e);
	if (all_gone(e))
		return false;
	if (progress)
		*b = fresh_backoff();
	else
		pt__mpi_backoff_pause(b, pool->opts.spin_ns, 0);
	return true;
}

static void finish(struct engine *e)
{
	pt_pool *pool = e->pool;

	for (unsigned i = 0; i < pool->nslots; i++) {
		struct pt__mpi_rank *r = &e->mp->ranks[i];
		int done = 1;

		/* a dead rank never takes its STOP: hand it to MPI */
		MPI_Test(&r->stop, &done, MPI_STATUS_IGNORE);
		if (!done)
			MPI_Request_free(&r->stop);
	}
	pthread_mutex_lock(&pool->lock);
	pt__pool_worker_ended(pool);
	pthread_mutex_unlock(&pool->lock);
}

void pt__mpi_stop_servers(pt_pool *pool)
{
	struct pt__mpi_pool *mp = pool->backend;

	for (unsigned i = 0; i < pool->nslots; i++)
		MPI_Send(&stop_msg, sizeof(stop_msg), MPI_BYTE, (int)i + 1,
			 PT__MPI_TAG_TASK, mp->comm);
	for (unsigned i = 0; i < pool->nslots; i++) {
		struct pt__mpi_reply_hdr bye;

		MPI_Recv(&bye, sizeof(bye), MPI_BYTE, (int)i + 1,
			 PT__MPI_TAG_REPLY, mp->comm, MPI_STATUS_IGNORE);
	}
}

void *pt__mpi_engine_main(void *arg)
{
	pt_pool *pool = arg;
	size_t n = pool->nslots;
	size_t most = n * pool->opts.depth;
	struct engine e = {
		.pool = pool,
		.mp = pool->backend,
		.to_send_rank = calloc(most, sizeof(*e.to_send_rank)),
		.to_send_at = calloc(most, sizeof(*e.to_send_at)),
		.done_idx = calloc(n, sizeof(*e.done_idx)),
		.done_st = calloc(n, sizeof(*e.done_st)),
	};
	struct pt__mpi_backoff b = fresh_backoff();

	if (e.to_send_rank && e.to_send_at && e.done_idx && e.done_st) {
		for (unsigned i = 0; i < pool->nslots; i++)
			post_reply(&e, i);
		while (round_once(&e, &b))
			;
	} else {
		/* no memory for the engine: stop the ranks and give up */
		pt__mpi_stop_servers(pool);
		pthread_mutex_lock(&pool->lock);
		for (unsigned i = 0; i < pool->nslots; i++) {
			e.mp->ranks[i].bye = true;
			pt__pool_slot_broken(pool, &pool->slots[i], true,
					     -ENOMEM);
		}
		pthread_mutex_unlock(&pool->lock);
	}
	finish(&e);
	free(e.to_send_rank);
	free(e.to_send_at);
	free(e.done_idx);
	free(e.done_st);
	return NULL;
}
