/* process_start.c - starting a process pool's workers.
 *
 * A worker is a process unit with two fresh rings: requests to it and
 * replies from it, handed over as tickets in its argument bytes with the
 * memfds passed at the same numbers (process_worker.c says why), and the
 * pool's arena of in-place tasks. Starting one costs a fork - or a
 * request to the fork-server - and the worker's initializer: about a
 * millisecond on a small machine, which is what a crash would cost the
 * tasks behind it.
 *
 * Who forks. Through the fork-server, each slot's proxy asks for its own
 * worker, and the starts overlap. Without one, every fork is made by one
 * thread of the pool, the maker, on the proxies' behalf: the proxies run
 * on stacks no fork copies (util/nofork.h), so a worker inherits none of
 * them - forked from a proxy, the k-th worker copied k-1 proxies' stacks
 * and wrote into each of their thread descriptors, and starting n workers
 * cost O(n^2) - and a fork must be made from a stack the child has. A
 * directly forked worker's death signal follows the thread that forked
 * it, so the maker lives until every slot's loop has ended and retired its
 * worker (pt__pool_maker_join(), called by the core once the slots' loops
 * ended); only then does it stop and end the spares not taken. Forks from
 * one thread are one at a time, as they were best anyway: a fork copies
 * the page tables while every other thread's page faults wait.
 *
 * Spares (opts.spares) take the start's cost off a crash's path: the
 * maker keeps that many workers started and idle, so a slot whose worker
 * died or retired takes one at once and the maker starts the next in the
 * background. A spare is started as any worker is, initializer included;
 * one that died while it waited is found out as any worker's death is,
 * once it serves a slot (the watcher polls slots' workers only), and costs
 * no task (a task it never started goes back to the queue). The maker
 * also reaps the workers slots discard (a crashed one's end takes the
 * kernel a while). A slot's request for a worker goes first, then the
 * reaping, then the spares; the maker makes no spare once the pool closes
 * or breaks (a failing initializer would fail again), and backs off after
 * a failed start as a slot does. Its state is pool->backend, under
 * pool->lock. */
#include "pool/process_start.h"

#include <procthread/forkserver.h>

#include "chan/shm.h"
#include "pool/backend.h"
#include "pool/process_wire.h"
#include "util/clock.h"
#include "util/cond.h"
#include "util/nofork.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Crashed workers the maker reaps at most, waiting at once: more are
 * reaped by the slot that discards them. */
#define DEAD_MAX 16

/* A slot's request for a worker forked by the maker; it lives on the
 * requesting proxy's stack until done. */
struct start_request {
	struct pt__pool_worker w;
	int rc;
	bool done;
	pthread_cond_t done_cond;
	struct start_request *next;
};

struct maker {
	unsigned target;				  /* opts.spares */
	struct pt__pool_worker ready[PT_POOL_SPARES_MAX]; /* oldest first */
	unsigned n;
	struct dead {
		struct pt__pool_worker w;
		pt_future *held; /* its task, put once it is reaped */
	} dead[DEAD_MAX];	 /* discarded, to be reaped */
	unsigned ndead;
	struct start_request *first, **last; /* slots' requests, in order */
	/* A spare was taken, a worker discarded, a start asked for, or the
	 * maker stops. */
	pthread_cond_t wanted;
	pthread_t thread;
	bool running;
	bool stop;
};

/* --- one worker ------------------------------------------------------------
 */

static int rings_make(const struct pt_chan_opts *req_opts,
		      const struct pt_chan_opts *resp_opts,
		      struct pt__pool_worker *w)
{
	int rc;

	/* Marked MADV_DONTFORK once made: the worker maps them from their
	 * tickets, and no other fork needs them. Slots start side by side,
	 * and a fork between a ring's mmap() and its mark would hand that
	 * ring to another slot's new worker. */
	pt__nofork_enter();
	rc = pt_chan_create(req_opts, &w->req);
	if (rc == 0)
		rc = pt_chan_create(resp_opts, &w->resp);
	/* Without the mark they only cost more (shm.h). */
	if (rc == 0) {
		(void)pt__chan_shm_dontfork(w->req);
		(void)pt__chan_shm_dontfork(w->resp);
	}
	pt__nofork_leave();
	return rc;
}

/* A ring slot holds the largest message, and the worker takes a page
 * fault on its first touch of each page of a slot: eight slots of 1 MiB
 * made a 1 MiB task pay for 512 of them on each of its first 8 trips per
 * worker (7.6 ms a task against 0.35 ms warm on the development VM, where
 * the bench's quick profile never got past them), and mapped 16 MiB per
 * worker. Depth past two slots does not speed large messages up
 * (docs/design.md, "Large messages"). */
#define RING_BYTES ((size_t)1 << 20)

unsigned pt__pool_ring_depth(const pt_pool *pool)
{
	size_t arg = sizeof(struct pt__pool_req) + pool->opts.max_arg_bytes;
	size_t res = sizeof(struct pt__pool_rep) + pool->opts.max_result_bytes;
	size_t msg = arg > res ? arg : res;
	unsigned depth = PT__POOL_DEPTH;

	while (depth > 2 && depth * msg > RING_BYTES)
		depth /= 2;
	return depth;
}

/* Starts a worker, forked by the fork-server or by this thread (via). */
static int worker_make(pt_pool *pool, struct pt__pool_worker *w,
		       enum pt_unit_fork via)
{
	struct pt_chan_opts req_opts =
		PT_CHAN_OPTS(.capacity = pt__pool_ring_depth(pool));
	struct pt_chan_opts resp_opts = req_opts;
	struct pt__pool_boot b = { .owner = getpid(),
				   .max_result = pool->opts.max_result_bytes,
				   .init = pool->opts.initializer,
				   .init_len = pool->opts.init_arg_len,
				   .arena_fd = pool->mem->fd,
				   .arena_nslots = pool->mem->nslots,
				   .arena_slot_bytes = pool->mem->slot_bytes,
				   .arena_arg_cap = pool->mem->arg_cap };
	size_t boot_len = sizeof(b) + pool->opts.init_arg_len;
	unsigned char *boot_bytes = NULL;
	int fds[3];
	int rc;

	*w = (struct pt__pool_worker){ 0 };
	req_opts.max_msg_bytes =
		sizeof(struct pt__pool_req) + pool->opts.max_arg_bytes;
	resp_opts.max_msg_bytes =
		sizeof(struct pt__pool_rep) + pool->opts.max_result_bytes;
	rc = rings_make(&req_opts, &resp_opts, w);
	if (rc)
		goto err;
	pt_chan_make_ticket(w->req, &b.req);
	pt_chan_make_ticket(w->resp, &b.resp);
	fds[0] = b.req.fd;
	fds[1] = b.resp.fd;
	fds[2] = b.arena_fd;
	boot_bytes = malloc(boot_len);
	if (!boot_bytes) {
		rc = -ENOMEM;
		goto err;
	}
	memcpy(boot_bytes, &b, sizeof(b));
	if (b.init_len)
		memcpy(boot_bytes + sizeof(b), pool->opts.init_arg, b.init_len);
	{
		struct pt_unit_opts uopts =
			PT_UNIT_OPTS(.kind = PT_KIND_PROCESS,
				     .name = pool->name,
				     .result_capacity =
					     sizeof(struct pt__pool_mark),
				     .arg_len = boot_len, .pass_fds = fds,
				     .npass_fds = b.arena_fd >= 0 ? 3 : 2,
				     .fork_via = via,
				     .process_group = PT_UNIT_GROUP_OWN);

		rc = pt_unit_spawn(&uopts, pt__pool_worker_main, boot_bytes,
				   &w->unit);
	}
	free(boot_bytes);
	if (rc)
		goto err;
	return 0;

err:
	pt__pool_worker_free(w);
	return rc;
}

void pt__pool_worker_free(struct pt__pool_worker *w)
{
	pt_unit_destroy(w->unit);
	pt_chan_destroy(w->req);
	pt_chan_destroy(w->resp);
	*w = (struct pt__pool_worker){ 0 };
}

/* Ends a spare that never served: it has no task, so it is killed. */
static void worker_end(struct pt__pool_worker *w)
{
	struct pt_status st;

	pt_unit_kill(w->unit, SIGKILL);
	(void)pt_unit_join(w->unit, -1, &st);
	pt__pool_worker_free(w);
}

/* Asks the maker for a worker it forks, and waits for it. Without the
 * lock. */
static int start_by_maker(pt_pool *pool, struct maker *mk,
			  struct pt__pool_worker *w)
{
	struct start_request rq = { .rc = -ESHUTDOWN };

	pthread_cond_init(&rq.done_cond, NULL);
	pthread_mutex_lock(&pool->lock);
	if (mk->running && !mk->stop) {
		*mk->last = &rq;
		/* cppcheck-suppress autoVariables ; unlinked before rq ends */
		mk->last = &rq.next;
		pthread_cond_signal(&mk->wanted);
		while (!rq.done)
			pthread_cond_wait(&rq.done_cond, &pool->lock);
	}
	pthread_mutex_unlock(&pool->lock);
	pthread_cond_destroy(&rq.done_cond);
	*w = rq.w;
	return rq.rc;
}

int pt__pool_worker_get(pt_pool *pool, struct pt__pool_worker *w)
{
	struct maker *mk = pool->backend;
	int rc;

	pthread_mutex_lock(&pool->lock);
	if (mk->n) {
		*w = mk->ready[0];
		memmove(&mk->ready[0], &mk->ready[1],
			--mk->n * sizeof(mk->ready[0]));
		pthread_cond_signal(&mk->wanted);
		pthread_mutex_unlock(&pool->lock);
		return 0;
	}
	pthread_mutex_unlock(&pool->lock);
	if (pt_forkserver_running()) {
		rc = worker_make(pool, w, PT_UNIT_FORK_SERVER);
		if (rc != -ENOTCONN) /* stopped since: fork it after all */
			return rc;
	}
	return start_by_maker(pool, mk, w);
}

/* Ends a discarded worker, then lets go of the task it may have been
 * writing to until its end. */
static void dead_end(struct pt__pool_worker *w, pt_future *held)
{
	worker_end(w);
	if (held)
		pt__future_put(held);
}

void pt__pool_worker_discard(pt_pool *pool, struct pt__pool_worker *w,
			     pt_future *held)
{
	struct maker *mk = pool->backend;

	pthread_mutex_lock(&pool->lock);
	if (mk->running && !mk->stop && mk->ndead < DEAD_MAX) {
		mk->dead[mk->ndead++] = (struct dead){ *w, held };
		*w = (struct pt__pool_worker){ 0 };
		pthread_cond_signal(&mk->wanted);
		pthread_mutex_unlock(&pool->lock);
		return;
	}
	pthread_mutex_unlock(&pool->lock);
	dead_end(w, held);
}

/* --- the maker -------------------------------------------------------------
 */

static bool spares_full(const pt_pool *pool, const struct maker *mk)
{
	return mk->n >= mk->target || pool->closing || pool->broken;
}

/* Under pool->lock, which it lets go of while it forks: serves the
 * oldest request. A draining pool may still need a worker to run what
 * is queued, so requests are served until the maker stops. */
static void serve_request(pt_pool *pool, struct maker *mk)
{
	struct start_request *rq = mk->first;
	int rc;

	mk->first = rq->next;
	if (!mk->first)
		mk->last = &mk->first;
	pthread_mutex_unlock(&pool->lock);
	rc = worker_make(pool, &rq->w, PT_UNIT_FORK_AUTO);
	pthread_mutex_lock(&pool->lock);
	rq->rc = rc;
	rq->done = true;
	pthread_cond_signal(&rq->done_cond);
}

static void *maker_main(void *arg)
{
	pt_pool *pool = arg;
	struct maker *mk = pool->backend;
	unsigned fails = 0;

	pthread_mutex_lock(&pool->lock);
	while (!mk->stop) {
		struct pt__pool_worker w;
		int rc;

		if (mk->first) {
			serve_request(pool, mk);
			continue;
		}
		if (mk->ndead) {
			struct dead d = mk->dead[--mk->ndead];

			pthread_mutex_unlock(&pool->lock);
			dead_end(&d.w, d.held);
			pthread_mutex_lock(&pool->lock);
			continue;
		}
		if (spares_full(pool, mk)) {
			pthread_cond_wait(&mk->wanted, &pool->lock);
			continue;
		}
		pthread_mutex_unlock(&pool->lock);
		rc = worker_make(pool, &w, PT_UNIT_FORK_AUTO);
		pthread_mutex_lock(&pool->lock);
		if (rc) {
			/* 10, 20, 40 ... ms, then PT_POOL_RETRY_MS; a slot's
			 * request ends the wait. */
			uint64_t ms =
				fails < 6 ? 10u << fails++ : PT_POOL_RETRY_MS;

			if (!mk->stop && !mk->first)
				pt__cond_wait_until(&mk->wanted, &pool->lock,
						    pt__now_ns() +
							    ms * 1000000u);
			continue;
		}
		fails = 0;
		if (mk->stop || spares_full(pool, mk)) {
			pthread_mutex_unlock(&pool->lock);
			worker_end(&w);
			pthread_mutex_lock(&pool->lock);
			continue;
		}
		mk->ready[mk->n++] = w;
	}
	/* Nothing asks once the slots' loops ended; this is a safety net. */
	while (mk->first) {
		struct start_request *rq = mk->first;

		mk->first = rq->next;
		rq->done = true;
		pthread_cond_signal(&rq->done_cond);
	}
	mk->last = &mk->first;
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

/* --- the ops ---------------------------------------------------------------
 */

/* Under pool->lock: 0 once every spare is there and past its
 * initializer, 1 while not, or why it never will be. */
static int spares_ready(const pt_pool *pool, const struct maker *mk)
{
	if (pool->broken)
		return -ENOTRECOVERABLE;
	if (pool->closing)
		return -ESHUTDOWN;
	if (mk->n < mk->target)
		return 1;
	for (unsigned k = 0; k < mk->n; k++)
		if (atomic_load(&pt__pool_mark_of(mk->ready[k].unit)->init) ==
		    PT__POOL_INIT_PENDING)
			return 1;
	return 0;
}

int pt__pool_spares_await(pt_pool *pool, int timeout_ms)
{
	struct maker *mk = pool->backend;
	uint64_t deadline =
		timeout_ms < 0 ? 0
			       : pt__now_ns() + (uint64_t)timeout_ms * 1000000u;
	const struct timespec poll = { .tv_nsec = 100000 };
	int rc;

	if (mk->target == 0)
		return 0;
	for (;;) {
		pthread_mutex_lock(&pool->lock);
		rc = spares_ready(pool, mk);
		pthread_mutex_unlock(&pool->lock);
		if (rc <= 0)
			return rc;
		if (deadline && pt__now_ns() >= deadline)
			return -ETIMEDOUT;
		nanosleep(&poll, NULL);
	}
}

int pt__pool_maker_open(pt_pool *pool, int verdict)
{
	struct maker *mk;

	if (verdict)
		return verdict;
	mk = calloc(1, sizeof(*mk));
	if (!mk)
		return -ENOMEM;
	mk->target = pool->opts.spares;
	mk->last = &mk->first;
	pt__cond_init_monotonic(&mk->wanted);
	pool->backend = mk;
	return 0;
}

int pt__pool_maker_start(pt_pool *pool)
{
	struct maker *mk = pool->backend;
	int rc;

	/* Its stack is an ordinary one, which its forks' children have. */
	rc = -pthread_create(&mk->thread, NULL, maker_main, pool);
	mk->running = rc == 0;
	return rc;
}

void pt__pool_maker_join(pt_pool *pool)
{
	struct maker *mk = pool->backend;

	if (mk->running) {
		pthread_mutex_lock(&pool->lock);
		mk->stop = true;
		pthread_cond_signal(&mk->wanted);
		pthread_mutex_unlock(&pool->lock);
		pthread_join(mk->thread, NULL);
		mk->running = false;
	}
	while (mk->n)
		worker_end(&mk->ready[--mk->n]);
	while (mk->ndead) {
		struct dead *d = &mk->dead[--mk->ndead];

		dead_end(&d->w, d->held);
	}
}

void pt__pool_maker_close(pt_pool *pool)
{
	struct maker *mk = pool->backend;

	if (!mk)
		return;
	pt__pool_maker_join(pool);
	pthread_cond_destroy(&mk->wanted);
	free(mk);
	pool->backend = NULL;
}
