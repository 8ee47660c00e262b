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
 * Spares (opts.spares) take that cost off the path: a thread of the pool,
 * the maker, keeps that many workers started and idle, so a slot whose
 * worker died or retired takes one at once and the maker starts the next
 * in the background. A spare is started as any worker is, initializer
 * included; one that died while it waited is found out as any worker's
 * death is, once it serves a slot (the watcher polls slots' workers only),
 * and costs no task (a task it never started goes back to the queue).
 *
 * A directly forked worker's death signal follows the thread that forked
 * it, so the maker lives until every slot's loop has ended and retired its
 * worker (pt__pool_spares_join(), called by the core after it joined the
 * slots' threads); only then does it stop and end the spares not taken.
 * The maker starts nothing once the pool closes or breaks (a failing
 * initializer would fail again), and backs off after a failed start as a
 * slot does. The spares' state is pool->backend, under pool->lock. */
#include "pool/process_start.h"

#include "chan/shm.h"
#include "pool/backend.h"
#include "pool/process_wire.h"
#include "util/clock.h"
#include "util/cond.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Crashed workers the maker reaps at most, waiting at once: more are
 * reaped by the slot that discards them. */
#define DEAD_MAX 16

struct spares {
	unsigned target;				  /* opts.spares */
	struct pt__pool_worker ready[PT_POOL_SPARES_MAX]; /* oldest first */
	unsigned n;
	struct dead {
		struct pt__pool_worker w;
		pt_future *held; /* its task, put once it is reaped */
	} dead[DEAD_MAX];	 /* discarded, to be reaped */
	unsigned ndead;
	pthread_cond_t wanted; /* a spare was taken, or the maker stops */
	pthread_t maker;
	bool has_maker;
	bool stop;
};

/* --- one worker ------------------------------------------------------------
 */

/* A worker's rings are marked MADV_DONTFORK once made: it maps them from
 * their tickets, and no other fork needs them. Slots start side by side,
 * though, and a fork between one slot's mmap() of a ring and its mark
 * would hand that ring to another slot's new worker. So making a pair of
 * rings holds this lock shared, and every fork of the process takes it
 * exclusive first (pthread_atfork()); a writer goes first, so a stream of
 * starting slots never holds a fork off for long. */
static pthread_rwlock_t rings_lock =
	PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;
static pthread_once_t rings_once = PTHREAD_ONCE_INIT;

static void rings_before_fork(void)
{
	pthread_rwlock_wrlock(&rings_lock);
}

static void rings_after_fork(void)
{
	pthread_rwlock_unlock(&rings_lock);
}

/* The child is alone: the copy it has is held, and the threads that held
 * it are not there to let go. */
static void rings_in_child(void)
{
	rings_lock = (pthread_rwlock_t)
		PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;
}

static void rings_lock_init(void)
{
	(void)pthread_atfork(rings_before_fork, rings_after_fork,
			     rings_in_child);
}

static int rings_make(const struct pt_chan_opts *req_opts,
		      const struct pt_chan_opts *resp_opts,
		      struct pt__pool_worker *w)
{
	int rc;

	pthread_once(&rings_once, rings_lock_init);
	pthread_rwlock_rdlock(&rings_lock);
	rc = pt_chan_create(req_opts, &w->req);
	if (rc == 0)
		rc = pt_chan_create(resp_opts, &w->resp);
	/* Without the mark they only cost more (shm.h). */
	if (rc == 0) {
		(void)pt__chan_shm_dontfork(w->req);
		(void)pt__chan_shm_dontfork(w->resp);
	}
	pthread_rwlock_unlock(&rings_lock);
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

static int worker_make(pt_pool *pool, struct pt__pool_worker *w)
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

int pt__pool_worker_get(pt_pool *pool, struct pt__pool_worker *w)
{
	struct spares *sp = pool->backend;

	if (sp) {
		pthread_mutex_lock(&pool->lock);
		if (sp->n) {
			*w = sp->ready[0];
			memmove(&sp->ready[0], &sp->ready[1],
				--sp->n * sizeof(sp->ready[0]));
			pthread_cond_signal(&sp->wanted);
			pthread_mutex_unlock(&pool->lock);
			return 0;
		}
		pthread_mutex_unlock(&pool->lock);
	}
	return worker_make(pool, w);
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
	struct spares *sp = pool->backend;

	pthread_mutex_lock(&pool->lock);
	if (sp && sp->has_maker && !sp->stop && sp->ndead < DEAD_MAX) {
		sp->dead[sp->ndead++] = (struct dead){ *w, held };
		*w = (struct pt__pool_worker){ 0 };
		pthread_cond_signal(&sp->wanted);
		pthread_mutex_unlock(&pool->lock);
		return;
	}
	pthread_mutex_unlock(&pool->lock);
	dead_end(w, held);
}

/* --- the maker -------------------------------------------------------------
 */

static bool maker_idle(const pt_pool *pool, const struct spares *sp)
{
	return sp->n >= sp->target || pool->closing || pool->broken;
}

static void *maker_main(void *arg)
{
	pt_pool *pool = arg;
	struct spares *sp = pool->backend;
	unsigned fails = 0;

	pthread_mutex_lock(&pool->lock);
	while (!sp->stop) {
		struct pt__pool_worker w;
		int rc;

		if (sp->ndead) {
			struct dead d = sp->dead[--sp->ndead];

			pthread_mutex_unlock(&pool->lock);
			dead_end(&d.w, d.held);
			pthread_mutex_lock(&pool->lock);
			continue;
		}
		if (maker_idle(pool, sp)) {
			pthread_cond_wait(&sp->wanted, &pool->lock);
			continue;
		}
		pthread_mutex_unlock(&pool->lock);
		rc = worker_make(pool, &w);
		pthread_mutex_lock(&pool->lock);
		if (rc) {
			/* 10, 20, 40 ... ms, then PT_POOL_RETRY_MS. */
			uint64_t ms =
				fails < 6 ? 10u << fails++ : PT_POOL_RETRY_MS;

			if (!sp->stop)
				pt__cond_wait_until(&sp->wanted, &pool->lock,
						    pt__now_ns() +
							    ms * 1000000u);
			continue;
		}
		fails = 0;
		if (sp->stop || maker_idle(pool, sp)) {
			pthread_mutex_unlock(&pool->lock);
			worker_end(&w);
			pthread_mutex_lock(&pool->lock);
			continue;
		}
		sp->ready[sp->n++] = w;
	}
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

/* --- the ops ---------------------------------------------------------------
 */

/* Under pool->lock: 0 once every spare is there and past its
 * initializer, 1 while not, or why it never will be. */
static int spares_ready(const pt_pool *pool, const struct spares *sp)
{
	if (pool->broken)
		return -ENOTRECOVERABLE;
	if (pool->closing)
		return -ESHUTDOWN;
	if (sp->n < sp->target)
		return 1;
	for (unsigned k = 0; k < sp->n; k++)
		if (atomic_load(&pt__pool_mark_of(sp->ready[k].unit)->init) ==
		    PT__POOL_INIT_PENDING)
			return 1;
	return 0;
}

int pt__pool_spares_await(pt_pool *pool, int timeout_ms)
{
	struct spares *sp = pool->backend;
	uint64_t deadline =
		timeout_ms < 0 ? 0
			       : pt__now_ns() + (uint64_t)timeout_ms * 1000000u;
	const struct timespec poll = { .tv_nsec = 100000 };
	int rc;

	if (!sp)
		return 0;
	for (;;) {
		pthread_mutex_lock(&pool->lock);
		rc = spares_ready(pool, sp);
		pthread_mutex_unlock(&pool->lock);
		if (rc <= 0)
			return rc;
		if (deadline && pt__now_ns() >= deadline)
			return -ETIMEDOUT;
		nanosleep(&poll, NULL);
	}
}

int pt__pool_spares_open(pt_pool *pool, int verdict)
{
	struct spares *sp;

	if (verdict || pool->opts.spares == 0)
		return verdict;
	sp = calloc(1, sizeof(*sp));
	if (!sp)
		return -ENOMEM;
	sp->target = pool->opts.spares;
	pt__cond_init_monotonic(&sp->wanted);
	pool->backend = sp;
	return 0;
}

int pt__pool_spares_start(pt_pool *pool)
{
	struct spares *sp = pool->backend;
	int rc;

	if (!sp)
		return 0;
	rc = -pthread_create(&sp->maker, NULL, maker_main, pool);
	sp->has_maker = rc == 0;
	return rc;
}

void pt__pool_spares_join(pt_pool *pool)
{
	struct spares *sp = pool->backend;

	if (!sp)
		return;
	if (sp->has_maker) {
		pthread_mutex_lock(&pool->lock);
		sp->stop = true;
		pthread_cond_signal(&sp->wanted);
		pthread_mutex_unlock(&pool->lock);
		pthread_join(sp->maker, NULL);
		sp->has_maker = false;
	}
	while (sp->n)
		worker_end(&sp->ready[--sp->n]);
	while (sp->ndead) {
		struct dead *d = &sp->dead[--sp->ndead];

		dead_end(&d->w, d->held);
	}
}

void pt__pool_spares_close(pt_pool *pool)
{
	struct spares *sp = pool->backend;

	if (!sp)
		return;
	pt__pool_spares_join(pool);
	pthread_cond_destroy(&sp->wanted);
	free(sp);
	pool->backend = NULL;
}
