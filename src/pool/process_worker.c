/* process_worker.c - a worker that is a process, and its proxy thread.
 *
 * The worker is a process unit (forked by the fork-server when it runs)
 * that owns the receiving side of a request channel and the sending side
 * of a response channel, both shared-memory rings (PT_CHAN_SHM). It gets
 * them as tickets in its argument bytes, with the two memfds passed at the
 * same numbers, so the same code works whether it was forked by the server
 * (which has none of this process's memory) or directly.
 *
 * Per task, the worker peeks the request in place (no copy), records the
 * task's id as its unit result (so that after its death the proxy knows
 * whether it had started that task), reserves the reply slot and lets the
 * task write its result straight into it, then commits and releases. The
 * function pointer in the request is valid because the worker runs the
 * same program image.
 *
 * The proxy is a thread of the pool: it takes a task, writes it into the
 * request ring, and waits for the reply. When the worker dies the watcher
 * closes the response channel, the wait ends with -ESHUTDOWN, and the
 * proxy joins the worker to learn how it ended: the task resolves as
 * crashed with that cause (or is re-queued: it never started, or retries
 * remain), a replacement is started, and no other task is touched.
 */
#include "pool/pool_internal.h"
#include "util/clock.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The wire. A request: the header, then the argument bytes. A reply: the
 * header, then the result bytes. Sizes are checked on both sides. */
struct req_hdr {
	uint64_t id;
	pt_task_fn *fn;
	uint64_t len;
	uint64_t pad;
};

struct rep_hdr {
	uint64_t id;
	int32_t code;
	uint32_t pad;
	uint64_t started_ns;
	uint64_t finished_ns;
	uint64_t len;
	uint64_t pad2;
};

/* The worker's argument bytes. */
struct boot {
	struct pt_chan_ticket req;
	struct pt_chan_ticket resp;
	int32_t owner;
	uint32_t pad;
	uint64_t max_result;
};

/* --- in the worker process -------------------------------------------------
 */

static int serve_one(pt_chan *req, pt_chan *resp, uint64_t max_result)
{
	struct pt_chan_msg in, out;
	struct req_hdr rq;
	struct rep_hdr rp = { 0 };
	struct pt_task_out task;
	int rc;

	rc = pt_chan_peek(req, &in, -1);
	if (rc)
		return rc;
	if (in.len < sizeof(rq))
		return -EBADMSG;
	memcpy(&rq, in.data, sizeof(rq));
	if (rq.len != in.len - sizeof(rq))
		return -EBADMSG;
	/* From here on, a death is this task's. */
	pt_unit_set_result(&rq.id, sizeof(rq.id));
	rc = pt_chan_reserve(resp, sizeof(rp) + max_result, &out, -1);
	if (rc)
		return rc;
	task = (struct pt_task_out){
		.data = (unsigned char *)out.data + sizeof(rp),
		.cap = max_result,
	};
	rp.id = rq.id;
	rp.started_ns = pt__now_ns();
	rp.code = rq.fn((unsigned char *)in.data + sizeof(rq), rq.len, &task);
	rp.finished_ns = pt__now_ns();
	rp.len = task.len > max_result ? max_result : task.len;
	memcpy(out.data, &rp, sizeof(rp));
	out.len = sizeof(rp) + rp.len;
	rc = pt_chan_commit(resp, &out);
	if (rc == 0)
		rc = pt_chan_release(req, &in);
	return rc;
}

static int worker_main(void *arg)
{
	const struct boot *b = arg;
	pt_chan *req = NULL, *resp = NULL;
	int rc;

	rc = pt_chan_from_ticket(&b->req, &req);
	if (rc == 0)
		rc = pt_chan_from_ticket(&b->resp, &resp);
	if (rc)
		return 120;
	/* The owner's end is also the end of the work (the server or the
	 * owner's thread dying kills us anyway; this covers the rest). */
	pt_chan_watch(req, b->owner);
	do
		rc = serve_one(req, resp, b->max_result);
	while (rc == 0);
	pt_chan_destroy(req);
	pt_chan_destroy(resp);
	return rc == -ESHUTDOWN || rc == -EPIPE ? 0 : 121;
}

/* --- in the pool: starting and retiring a worker ----------------------------
 */

static int worker_start(struct pt__pool_slot *slot)
{
	pt_pool *pool = slot->pool;
	struct pt_chan_opts copts = PT_CHAN_OPTS(.capacity = 2);
	struct boot b = { .owner = getpid(),
			  .max_result = pool->opts.max_result_bytes };
	pt_chan *req = NULL, *resp = NULL;
	pt_unit *unit;
	int fds[2];
	int rc;

	copts.max_msg_bytes = sizeof(struct req_hdr) + pool->opts.max_arg_bytes;
	rc = pt_chan_create(&copts, &req);
	if (rc)
		goto err;
	copts.max_msg_bytes =
		sizeof(struct rep_hdr) + pool->opts.max_result_bytes;
	rc = pt_chan_create(&copts, &resp);
	if (rc)
		goto err;
	pt_chan_ticket(req, &b.req);
	pt_chan_ticket(resp, &b.resp);
	fds[0] = b.req.fd;
	fds[1] = b.resp.fd;
	{
		struct pt_unit_opts uopts =
			PT_UNIT_OPTS(.kind = PT_PROCESS, .name = pool->name,
				     .result_capacity = sizeof(uint64_t),
				     .arg_len = sizeof(b), .pass_fds = fds,
				     .npass_fds = 2);

		rc = pt_unit_spawn(&uopts, worker_main, &b, &unit);
	}
	if (rc)
		goto err;
	pthread_mutex_lock(&pool->lock);
	slot->unit = unit;
	slot->req = req;
	slot->resp = resp;
	slot->gen++;
	slot->dead = false;
	slot->since_start = 0;
	pthread_mutex_unlock(&pool->lock);
	pt__pool_wake_watcher(pool);
	return 0;

err:
	pt_chan_destroy(req);
	pt_chan_destroy(resp);
	return rc;
}

/* Takes the worker out of the slot, waits for its end and frees it. With
 * polite set it is asked to leave (its request channel closed), otherwise
 * killed. Returns how it ended and whether it had started task id. */
static void worker_retire(struct pt__pool_slot *slot, bool polite,
			  struct pt_status *st, uint64_t id, bool *started)
{
	pt_pool *pool = slot->pool;
	pt_unit *unit;
	pt_chan *req, *resp;
	const void *last;
	size_t len = 0;

	pthread_mutex_lock(&pool->lock);
	unit = slot->unit;
	req = slot->req;
	resp = slot->resp;
	slot->unit = NULL;
	slot->req = NULL;
	slot->resp = NULL;
	slot->gen++;
	slot->dead = false;
	pthread_mutex_unlock(&pool->lock);
	pt__pool_wake_watcher(pool);

	if (polite)
		pt_chan_close(req);
	else
		pt_unit_kill(unit, SIGKILL);
	memset(st, 0, sizeof(*st));
	pt_unit_join(unit, -1, st);
	last = pt_unit_result(unit, &len);
	*started = last && len == sizeof(id) && memcmp(last, &id, len) == 0;
	pt_unit_destroy(unit);
	pt_chan_destroy(req);
	pt_chan_destroy(resp);
}

/* --- in the pool: one task
 * ------------------------------------------------------ */

/* Sends f and waits for its reply. Returns 0 with *res, *buf, *len set,
 * or the channel error that means the worker is gone or broken. */
static int exchange(struct pt__pool_slot *slot, pt_future *f,
		    struct pt_result *res, void **buf, size_t *len)
{
	struct req_hdr rq = { .id = f->id, .fn = f->fn, .len = f->len };
	struct rep_hdr rp;
	struct pt_chan_msg m;
	int rc;

	rc = pt_chan_reserve(slot->req, sizeof(rq) + f->len, &m, -1);
	if (rc)
		return rc;
	memcpy(m.data, &rq, sizeof(rq));
	memcpy((unsigned char *)m.data + sizeof(rq), f->arg, f->len);
	m.len = sizeof(rq) + f->len;
	rc = pt_chan_commit(slot->req, &m);
	if (rc)
		return rc;
	rc = pt_chan_peek(slot->resp, &m, -1);
	if (rc)
		return rc;
	/* The worker is not trusted: its header must match what was sent
	 * and the bounds this process keeps. */
	if (m.len < sizeof(rp)) {
		pt_chan_release(slot->resp, &m);
		return -EBADMSG;
	}
	memcpy(&rp, m.data, sizeof(rp));
	if (rp.id != f->id || rp.len != m.len - sizeof(rp) ||
	    rp.len > slot->pool->opts.max_result_bytes) {
		pt_chan_release(slot->resp, &m);
		return -EBADMSG;
	}
	*buf = NULL;
	*len = (size_t)rp.len;
	if (*len) {
		*buf = malloc(*len);
		if (*buf)
			memcpy(*buf, (unsigned char *)m.data + sizeof(rp),
			       *len);
	}
	pt_chan_release(slot->resp, &m);
	*res = (struct pt_result){
		.status = rp.code ? PT_TASK_FAILED : PT_TASK_OK,
		.error = rp.code,
		.started_ns = rp.started_ns,
		.finished_ns = rp.finished_ns,
	};
	if (*len && !*buf) {
		res->status = PT_TASK_FAILED;
		res->error = -ENOMEM;
	}
	return 0;
}

/* The worker died (or broke the protocol) under f. Under no lock. */
static void worker_died(struct pt__pool_slot *slot, pt_future *f)
{
	pt_pool *pool = slot->pool;
	struct pt_status st;
	bool started = false;

	worker_retire(slot, false, &st, f ? f->id : 0, &started);
	pthread_mutex_lock(&pool->lock);
	pool->stats.restarts++;
	if (f) {
		slot->current = NULL;
		if (atomic_load(&f->state) != PT__F_RUNNING) {
			/* Resolved already: timed out, cancelled, shut
			 * down - its killing is what ended the worker. */
		} else if (!started) {
			f->result.attempts--;
			pt__pool_requeue(pool, f);
		} else if (f->result.attempts <= pool->opts.retries &&
			   !pool->closing) {
			pool->stats.retried++;
			pt__pool_requeue(pool, f);
		} else {
			struct pt_result res = {
				.status = PT_TASK_CRASHED,
				.how = st.how,
				.signal = st.signal,
				.exit_code =
					st.how == PT_EXIT_EXITED ? st.code : 0,
			};

			pt__future_resolve(pool, f, &res, NULL, 0);
		}
		pt__future_put(f);
	}
	pthread_mutex_unlock(&pool->lock);
}

static bool worker_gone(struct pt__pool_slot *slot)
{
	return slot->dead || !slot->unit;
}

static void *proxy_main(void *arg)
{
	struct pt__pool_slot *slot = arg;
	pt_pool *pool = slot->pool;
	pt_future *f;

	for (;;) {
		pthread_mutex_lock(&pool->lock);
		f = pt__pool_take(pool, slot, worker_gone);
		if (!f && pool->closing && !worker_gone(slot)) {
			pthread_mutex_unlock(&pool->lock);
			break;
		}
		if (f)
			f->result.worker_pid = pt_unit_pid(slot->unit);
		pthread_mutex_unlock(&pool->lock);

		if (!f) {
			bool stop;

			/* The worker died while idle, or never started. */
			if (slot->unit)
				worker_died(slot, NULL);
			pthread_mutex_lock(&pool->lock);
			stop = pool->closing;
			pthread_mutex_unlock(&pool->lock);
			if (stop)
				break;
			/* A failed start (out of processes or memory) is
			 * tried again a little later rather than at once. */
			if (worker_start(slot))
				nanosleep(
					&(struct timespec){ .tv_nsec =
								    10000000 },
					NULL);
			continue;
		}

		{
			struct pt_result res;
			void *buf = NULL;
			size_t len = 0;
			int rc = exchange(slot, f, &res, &buf, &len);

			if (rc) {
				worker_died(slot, f);
				continue;
			}
			pthread_mutex_lock(&pool->lock);
			slot->current = NULL;
			slot->tasks++;
			slot->since_start++;
			pt__future_resolve(pool, f, &res, buf, len);
			pt__future_put(f);
			bool recycle = pool->opts.max_tasks_per_worker &&
				       slot->since_start >=
					       pool->opts.max_tasks_per_worker;
			if (recycle)
				pool->stats.recycled++;
			pthread_mutex_unlock(&pool->lock);
			if (recycle) {
				struct pt_status st;
				bool started;

				worker_retire(slot, true, &st, 0, &started);
			}
		}
	}
	if (slot->unit) {
		struct pt_status st;
		bool started;

		worker_retire(slot, true, &st, 0, &started);
	}
	pthread_mutex_lock(&pool->lock);
	pt__pool_worker_ended(pool);
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

int pt__pool_process_slot_start(struct pt__pool_slot *slot)
{
	pt_pool *pool = slot->pool;
	int rc;

	/* The first worker starts here, so that create reports a spawn
	 * error; replacements start on the proxy. */
	rc = worker_start(slot);
	if (rc)
		return rc;
	pthread_mutex_lock(&pool->lock);
	rc = -pthread_create(&slot->thread, NULL, proxy_main, slot);
	slot->joinable = rc == 0;
	if (rc == 0)
		pool->live++;
	pthread_mutex_unlock(&pool->lock);
	if (rc) {
		struct pt_status st;
		bool started;

		worker_retire(slot, false, &st, 0, &started);
	}
	return rc;
}
