/* process_worker.c - a worker that is a process, and its proxy thread.
 *
 * The worker is a process unit (forked by the fork-server when it runs,
 * else by the pool's maker thread, process_start.c) that owns the receiving
 * side of a request channel and the sending side of a response channel, both
 * shared-memory rings (PT_CHAN_SHM). It gets them as tickets in its argument
 * bytes, with the two memfds passed at the same numbers, so the same code works
 * whether it was forked by the server (which has none of this process's memory)
 * or directly.
 *
 * What the worker process runs is in process_serve.c: the pool's
 * initializer, then one task after another, in order, each recorded in the
 * mark it shares with the pool (struct pt__pool_mark) as it starts.
 *
 * The proxy is a thread of the pool. It keeps up to slot->depth tasks in
 * flight (PT__POOL_DEPTH, fewer for large messages: pt__pool_ring_depth())
 * - more than one only while the queue holds more than a task per worker -
 * so a busy worker goes from task to task without waiting for its proxy,
 * and the proxy wakes once per batch of replies, not per task.
 * The worker answers in order, so the oldest task in flight is the one it
 * runs now: that is the slot's current task, whose deadline runs.
 *
 * When the worker dies the watcher closes both channels: the proxy's wait
 * ends with the replies completed before the death and then -ESHUTDOWN.
 * Whichever way the proxy learns of the death, it first takes every reply
 * the worker published before it (the ring delivers those, and never one
 * left half written), so a task whose result was sent resolves with it
 * even if its worker was killed a moment later. It then joins the worker
 * to learn how it ended: the task it was running resolves as crashed with
 * that cause (or goes back to the queue: the worker had not started it, or
 * retries remain), the tasks behind it go back to the queue in order, a
 * replacement is started, and no other task is touched. A worker whose
 * task crashed usually says so before it is gone (process_serve.c): that
 * reply settles the task the same way at once, and the dying worker is
 * reaped off the tasks' path (worker_crashed()).
 *
 * A task that calls pt_pool_recycle_worker() has its reply flagged; the
 * worker exits after sending it, and the proxy puts the tasks it had sent
 * behind that one back at the head of the queue, unstarted.
 */
#include "pool/backend.h"
#include "pool/process_start.h"
#include "pool/process_wire.h"
#include "util/clock.h"
#include "util/cond.h"
#include "util/nofork.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* What a worker left behind when it was retired. */
struct retired {
	struct pt_status st;
	bool started; /* it had started the task asked about */
	int init;     /* PT__POOL_INIT_*: how far its initializer got */
	int init_code;
};

/* --- in the pool: starting and retiring a worker ----------------------------
 */

/* Kills the worker, but only while it still runs task id - one that
 * finished it and began the next is left alone, so that one failure costs
 * one task. */
static void process_stop_task(pt_pool *pool, struct pt__pool_slot *slot,
			      uint64_t id)
{
	struct pt__pool_mark *mark;

	(void)pool;
	if (!slot->unit)
		return;
	mark = pt__pool_mark_of(slot->unit);
	atomic_store(&mark->doomed, id);
	/* Not on it (yet or any more): the worker sees the doom before it
	 * starts another task and leaves unstarted, or it has finished it
	 * and its next task runs on. */
	if (atomic_load(&mark->started) == id)
		pt_unit_kill(slot->unit, SIGKILL);
}

static uint64_t process_task_started(const struct pt__pool_slot *slot,
				     const pt_future *f)
{
	const struct pt__pool_mark *mark =
		slot->unit ? pt__pool_mark_of(slot->unit) : NULL;
	uint64_t started =
		mark ? atomic_load(&mark->started) : slot->retired_started;
	bool sent = false;

	/* Its own mark says when, while f is the last it began. */
	if (mark && started == f->id)
		return atomic_load(&mark->started_ns);
	/* The worker runs its flight in order: having started one behind
	 * f, it has begun f - and finished it; when is in its reply. */
	for (unsigned k = 0; k < slot->nfly; k++) {
		sent = sent || slot->fly[k] == f;
		if (sent && slot->fly[k]->id == started)
			return f->outcome.result.started_ns;
	}
	return 0;
}

static void process_halt(pt_pool *pool, struct pt__pool_slot *slot)
{
	struct pt_result res = { .status = PT_TASK_SHUTDOWN };
	struct pt__pool_mark *mark;
	uint64_t started;
	unsigned from = 0;

	if (!slot->unit || !slot->nfly)
		return;
	mark = pt__pool_mark_of(slot->unit);
	atomic_store(&mark->halt, 1);
	/* The worker answers in order: what it started is in flight, and
	 * everything behind it was never started, nor will be. */
	started = atomic_load(&mark->started);
	for (unsigned k = 0; k < slot->nfly; k++)
		if (slot->fly[k]->id == started)
			from = k + 1;
	for (unsigned k = from; k < slot->nfly; k++)
		pt__future_resolve(pool, slot->fly[k], &res, NULL, 0);
}

/* Gives slot a worker: a spare, or one started now (process_start.c). */
static int worker_start(struct pt__pool_slot *slot)
{
	pt_pool *pool = slot->pool;
	struct pt__pool_worker w;
	int rc = pt__pool_worker_get(pool, &w);

	if (rc)
		return rc;
	pthread_mutex_lock(&pool->lock);
	slot->unit = w.unit;
	slot->req = w.req;
	slot->resp = w.resp;
	slot->gen++;
	slot->dead = false;
	slot->since_start = 0;
	slot->sent = 0;
	pthread_mutex_unlock(&pool->lock);
	pt__pool_wake_watcher(pool);
	return 0;
}

/* Frees what is left of the slot's last worker, if anything is. */
static void bury(struct pt__pool_slot *slot)
{
	pt__pool_worker_free(&slot->corpse);
}

/* Takes the worker out of the slot and waits for its end; what it leaves
 * is freed later (bury()). With polite set it is asked to leave (its
 * request channel closed), otherwise killed. Fills *r: how it ended,
 * whether it had started task id, how far its initializer got. */
/* Takes the worker out of the slot and asks it to leave (polite: its
 * request channel closed) or kills it. Returns what it leaves. */
static struct pt__pool_worker worker_drop(struct pt__pool_slot *slot,
					  bool polite)
{
	pt_pool *pool = slot->pool;
	struct pt__pool_worker w;

	pthread_mutex_lock(&pool->lock);
	w = (struct pt__pool_worker){ slot->unit, slot->req, slot->resp };
	slot->retired_started = atomic_load(&pt__pool_mark_of(w.unit)->started);
	slot->unit = NULL;
	slot->req = NULL;
	slot->resp = NULL;
	slot->gen++;
	slot->dead = false;
	pthread_mutex_unlock(&pool->lock);
	pt__pool_wake_watcher(pool);

	if (polite)
		pt_chan_close(w.req);
	else
		pt_unit_kill(w.unit, SIGKILL);
	return w;
}

static void worker_retire(struct pt__pool_slot *slot, bool polite, uint64_t id,
			  struct retired *r)
{
	struct pt_status *st = &r->st;
	pt_pool *pool = slot->pool;
	struct pt__pool_worker w = worker_drop(slot, polite);
	pt_unit *unit = w.unit;

	memset(st, 0, sizeof(*st));
	if (pt_unit_join(unit, -1, st)) {
		/* Its status is lost with the fork-server that forked it,
		 * whose death killed it (-EPIPE, see pt_unit_join()). */
		st->how = PT_EXIT_SIGNALED;
		st->signal = SIGKILL;
	}
	r->started = id && atomic_load(&pt__pool_mark_of(unit)->started) == id;
	/* It may have begun one more before the kill landed. */
	pthread_mutex_lock(&pool->lock);
	slot->retired_started = atomic_load(&pt__pool_mark_of(unit)->started);
	pthread_mutex_unlock(&pool->lock);
	r->init = atomic_load(&pt__pool_mark_of(unit)->init);
	r->init_code = atomic_load(&pt__pool_mark_of(unit)->init_code);
	/* Freed once the replacement has its tasks (bury()): unmapping the
	 * rings and the unit's block takes tens of microseconds, which the
	 * tasks behind a crash need not wait for. */
	bury(slot);
	slot->corpse = w;
}

/* --- in the pool: the tasks in flight ----------------------------------------
 */

/* Writes f into the request ring: its header and argument, or for an
 * in-place task the header alone, naming its arena slot. Returns 0 or the
 * channel's error. */
static int send_task(struct pt__pool_slot *slot, const pt_future *f)
{
	struct pt__pool_req rq = { .id = f->id, .fn = f->fn, .len = f->len };
	size_t bytes = f->place >= 0 ? 0 : f->len;
	struct pt_chan_msg m;
	int rc;

	if (f->place >= 0) {
		rq.flags = PT__POOL_REQ_IN_PLACE;
		rq.place = (uint32_t)f->place;
	}
	rc = pt_chan_reserve(slot->req, sizeof(rq) + bytes, &m, -1);
	if (rc)
		return rc;
	memcpy(m.data, &rq, sizeof(rq));
	if (bytes)
		memcpy((unsigned char *)m.data + sizeof(rq), f->arg, bytes);
	m.len = sizeof(rq) + bytes;
	return pt_chan_commit(slot->req, &m);
}

/* Reads one reply, waiting up to timeout_ms, for the oldest task in
 * flight. Returns 0 with *res, *buf, *len and *recycle (the task asked for
 * the worker's replacement) set, or with *crashed set to the signal the
 * task crashed with (the worker's crash handler sent the reply; nothing
 * else is set); -EAGAIN when none came in time; or the channel error that
 * means the worker is gone or broken. */
static int recv_reply(struct pt__pool_slot *slot, int timeout_ms,
		      struct pt_result *res, void **buf, size_t *len,
		      bool *recycle, int *crashed)
{
	const pt_future *f = slot->fly[0];
	unsigned char *in_place = pt__future_res_area(f);
	struct pt_chan_msg m;
	struct pt__pool_rep rp;
	size_t bytes;
	int rc;

	rc = pt_chan_peek(slot->resp, &m, timeout_ms);
	if (rc)
		return rc;
	/* The worker is not trusted: its header must match what was sent
	 * and the bounds this process keeps. */
	if (m.len < sizeof(rp)) {
		pt_chan_release(slot->resp, &m);
		return -EBADMSG;
	}
	memcpy(&rp, m.data, sizeof(rp));
	*crashed = 0;
	if (rp.flags & PT__POOL_REP_CRASHED) {
		pt_chan_release(slot->resp, &m);
		if (rp.id != f->id || m.len != sizeof(rp) || rp.len ||
		    rp.flags != PT__POOL_REP_CRASHED || rp.code <= 0 ||
		    rp.code >= NSIG)
			return -EBADMSG;
		*crashed = rp.code;
		return 0;
	}
	/* An in-place result is in the task's arena slot, not the ring. */
	bytes = in_place ? 0 : rp.len;
	if (rp.id != f->id || bytes != m.len - sizeof(rp) ||
	    rp.len > slot->pool->opts.max_result_bytes ||
	    ((rp.flags & PT__POOL_REP_IN_ARG) &&
	     (!in_place || rp.len > f->len))) {
		pt_chan_release(slot->resp, &m);
		return -EBADMSG;
	}
	*recycle = rp.flags & PT__POOL_REP_RECYCLE;
	*buf = NULL;
	*len = (size_t)rp.len;
	if (*len && in_place) {
		*buf = rp.flags & PT__POOL_REP_IN_ARG ? pt__future_arg_area(f)
						      : in_place;
	} else if (*len) {
		*buf = pt__pool_buf(slot->pool, *len);
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

/* Drops the oldest task in flight; the next one is what the worker runs
 * now. Under pool->lock. */
static pt_future *fly_pop(struct pt__pool_slot *slot)
{
	pt_future *f = slot->fly[0];

	slot->nfly--;
	for (unsigned k = 0; k < slot->nfly; k++) {
		slot->fly[k] = slot->fly[k + 1];
		slot->fly_seq[k] = slot->fly_seq[k + 1];
	}
	pt__pool_set_current(slot->pool, slot,
			     slot->nfly ? slot->fly[0] : NULL);
	return f;
}

/* A task in flight that its worker never finished goes back to the queue,
 * or - once shutdown's deadline passed - resolves as shut down. */
static void give_back(pt_pool *pool, pt_future *f)
{
	struct pt_result res = { .status = PT_TASK_SHUTDOWN };

	if (atomic_load(&f->outcome.state) != PT__OUTCOME_TAKEN)
		return; /* resolved: timed out, cancelled, shut down */
	if (pool->stopping)
		pt__future_resolve(pool, f, &res, NULL, 0);
	else
		pt__pool_requeue(pool, f);
}

/* Under pool->lock: the tasks in flight from the k-th on, which the worker
 * never started, go back to the head of the queue in their order. */
static void give_back_from(struct pt__pool_slot *slot, unsigned k)
{
	for (unsigned i = slot->nfly; i-- > k;) {
		slot->fly[i]->outcome.result.attempts--;
		give_back(slot->pool, slot->fly[i]);
		pt__future_put(slot->fly[i]);
	}
	slot->nfly = k;
	if (k == 0)
		pt__pool_set_current(slot->pool, slot, NULL);
}

/* Resolves the oldest task in flight with its reply. When the task asked
 * for its worker's replacement, the tasks sent behind it go back to the
 * queue. Returns whether the worker is to be replaced now: asked, or it
 * ran max_tasks_per_worker tasks and has none in flight. */
static bool resolve_reply(struct pt__pool_slot *slot,
			  const struct pt_result *res, void *buf, size_t len,
			  bool asked)
{
	pt_pool *pool = slot->pool;
	bool replace, resolved;
	pt_future *f;

	pthread_mutex_lock(&pool->lock);
	f = fly_pop(slot);
	slot->tasks++;
	slot->since_start++;
	if (res->finished_ns >= res->started_ns) {
		uint64_t ran = res->finished_ns - res->started_ns;

		slot->run_ns =
			slot->run_ns ? (slot->run_ns * 7 + ran) / 8 : ran + 1;
		pool->run_ns =
			pool->run_ns ? (pool->run_ns * 7 + ran) / 8 : ran + 1;
	}
	/* It replied: its worker writes nothing more into its slot. */
	pt__future_done_with_place(f);
	resolved = pt__future_resolve_quietly(pool, f, res, buf, len);
	if (asked)
		give_back_from(slot, 0);
	replace = asked ||
		  (pool->opts.max_tasks_per_worker &&
		   slot->since_start >= pool->opts.max_tasks_per_worker &&
		   slot->nfly == 0);
	/* Its proxy goes straight back to the queue (proxy_main()). */
	if (!replace && slot->nfly == 0)
		pt__pool_slot_returning(pool, slot);
	pthread_mutex_unlock(&pool->lock);
	if (resolved)
		pt__future_wake(f);
	pt__future_put(f);
	return replace;
}

/* Whether the retired worker died in its initializer, which breaks the
 * pool: fills *why then. A worker stopped by shutdown's deadline does not
 * count, whatever it was doing. Under pool->lock. */
static bool init_failed(pt_pool *pool, const struct retired *r,
			struct pt_result *why)
{
	if (!pool->opts.initializer || r->init == PT__POOL_INIT_OK ||
	    pool->stopping)
		return false;
	*why = (struct pt_result){ .status = PT_TASK_INIT_FAILED };
	if (r->init == PT__POOL_INIT_FAILED) {
		why->error = r->init_code;
	} else {
		why->how = r->st.how;
		why->signal = r->st.signal;
		why->exit_code = r->st.how == PT_EXIT_EXITED ? r->st.code : 0;
	}
	return true;
}

/* The pool is broken: the tasks sent to this slot's worker never ran and
 * resolve with why, as does the queue. Under pool->lock. */
static void break_pool(struct pt__pool_slot *slot, struct pt_result *why,
		       int pid)
{
	pt_pool *pool = slot->pool;

	why->worker_pid = pid;
	for (unsigned k = 0; k < slot->nfly; k++) {
		/* Sent, never started: the proxy's start time is void. */
		slot->fly[k]->outcome.result.attempts--;
		slot->fly[k]->outcome.result.started_ns = 0;
		pt__future_resolve(pool, slot->fly[k], why, NULL, 0);
		pt__future_put(slot->fly[k]);
	}
	slot->nfly = 0;
	pt__pool_set_current(pool, slot, NULL);
	pt__pool_break(pool, why);
}

/* Resolves the task the dead worker was running (head, taken from the
 * flight): crashed with the cause of death, unless it resolved already,
 * the worker had not started it, or retries remain. Under pool->lock. */
static void settle_head(pt_pool *pool, pt_future *head, const struct retired *r)
{
	if (atomic_load(&head->outcome.state) != PT__OUTCOME_TAKEN) {
		/* Resolved already: timed out, cancelled, shut down - its
		 * killing is what ended the worker. */
	} else if (!r->started) {
		head->outcome.result.attempts--;
		give_back(pool, head);
	} else if (head->outcome.result.attempts <= pool->opts.retries &&
		   !pool->closing) {
		pt__pool_retry(pool, head);
	} else {
		struct pt_result res = {
			.status = PT_TASK_CRASHED,
			.how = r->st.how,
			.signal = r->st.signal,
			.exit_code =
				r->st.how == PT_EXIT_EXITED ? r->st.code : 0,
		};

		pt__future_resolve(pool, head, &res, NULL, 0);
	}
}

/* The worker died, or broke the protocol (drain unset), with tasks in
 * flight. First the replies it published before it died are taken: those
 * tasks ended, whatever came after. Of the rest, the first was running: it
 * resolves with the cause, unless the worker had not started it or
 * retries remain; the others never started and go back, in order. A
 * worker that died in its initializer breaks the pool instead. */
static void worker_died(struct pt__pool_slot *slot, bool drain)
{
	pt_pool *pool = slot->pool;
	pt_future *head;
	struct pt_result why;
	struct retired r;
	bool asked = false;
	int pid = pt_unit_pid(slot->unit), crashed = 0;

	while (drain && !asked && !crashed && slot->nfly) {
		struct pt_result res;
		void *buf = NULL;
		size_t len = 0;
		bool recycle = false;

		if (recv_reply(slot, 0, &res, &buf, &len, &recycle, &crashed))
			break;
		if (!crashed)
			resolve_reply(slot, &res, buf, len, recycle);
		asked = recycle; /* it left on request, after this reply */
	}
	head = slot->nfly ? slot->fly[0] : NULL;
	worker_retire(slot, false, head ? head->id : 0, &r);
	if (crashed) {
		/* Its handler said how head ended; the kill that followed, if
		 * it came first, is not the cause. */
		r.st = (struct pt_status){ .how = PT_EXIT_CRASHED,
					   .signal = crashed };
		r.started = true;
	}
	pthread_mutex_lock(&pool->lock);
	if (init_failed(pool, &r, &why)) {
		break_pool(slot, &why, pid);
		pthread_mutex_unlock(&pool->lock);
		return;
	}
	pt__pool_worker_replaced(pool, asked);
	give_back_from(slot, head ? 1 : 0);
	if (head) {
		fly_pop(slot);
		settle_head(pool, head, &r);
		pt__future_put(head);
	}
	pthread_mutex_unlock(&pool->lock);
}

/* The worker's crash handler reported that the task it ran crashed with
 * sig (process_serve.c), and the worker is dying of it. The task resolves
 * as crashed now - or goes back for a retry - the tasks behind it go back
 * to the queue, and the worker, killed to be sure, is left to end away
 * from the tasks' path (pt__pool_worker_discard()): the kernel's teardown
 * of a process is what a crash cost the tasks behind it. */
static void worker_crashed(struct pt__pool_slot *slot, int sig)
{
	pt_pool *pool = slot->pool;
	struct retired r = {
		/* the handler catches crash signals only (common.h) */
		.st = { .how = PT_EXIT_CRASHED, .signal = sig },
		.started = true,
		.init = PT__POOL_INIT_OK,
	};
	struct pt__pool_worker w;
	pt_future *head;

	/* The task's waiters first: the worker's end is no news to them. */
	pthread_mutex_lock(&pool->lock);
	pt__pool_worker_replaced(pool, false);
	give_back_from(slot, 1);
	head = fly_pop(slot);
	settle_head(pool, head, &r);
	pthread_mutex_unlock(&pool->lock);
	w = worker_drop(slot, false);
	/* The worker's reference to the task goes with the worker: a thread
	 * of the task may write into its in-place slot until the end. */
	pt__pool_worker_discard(pool, &w, head);
}

static bool worker_gone(struct pt__pool_slot *slot)
{
	return slot->dead || !slot->unit;
}

/* Whether slot's recent tasks ran short - or, before it ran any, the
 * pool's: a slot woken for the first time in a pool of short tasks is
 * busy as briefly as the others. Under pool->lock. */
static bool short_tasks(const struct pt__pool_slot *slot)
{
	uint64_t ns = slot->run_ns ? slot->run_ns : slot->pool->run_ns;

	return ns && ns < PT__POOL_SHORT_TASK_NS;
}

/* Under pool->lock: fills the flight with queued tasks. The first waits
 * when nothing is in flight; more are taken only while the queue holds
 * more than one task per worker, so that prefetching never leaves another
 * worker idle - or, when this worker's tasks are short, more than one
 * per awake worker: parked slots (queue.c) are then not worth waking,
 * since the batch ends before a woken worker would have begun. Counting
 * every slot, a pool of more workers than tasks at a time sent each
 * worker one task at a time, and paid two processes' wake-ups per task.
 * Returns how many were taken. */
static unsigned take_more(struct pt__pool_slot *slot)
{
	pt_pool *pool = slot->pool;
	unsigned n = 0;

	while (slot->nfly < slot->depth) {
		bool first = slot->nfly == 0;
		pt_future *f;

		if (!first && pool->nqueued <= pool->nslots &&
		    !(short_tasks(slot) &&
		      pool->nqueued > pool->nslots - pool->nparked))
			break;
		/* A worker due for recycling takes no more than it runs. */
		if (pool->opts.max_tasks_per_worker &&
		    slot->since_start + slot->nfly >=
			    pool->opts.max_tasks_per_worker)
			break;
		f = pt__pool_take(pool, slot, worker_gone, first);
		if (!f)
			break;
		f->outcome.result.worker_pid = pt_unit_pid(slot->unit);
		slot->fly[slot->nfly++] = f;
		n++;
		/* Before the next take, which may wake a parked slot. */
		if (short_tasks(slot))
			pt__pool_slot_busy(pool, slot, true);
	}
	return n;
}

/* Under pool->lock, when the task slot's worker runs has not answered in
 * time: the tasks sent behind it that the worker has not started go back
 * to the head of the queue, for the parked slot the stall wakes - a batch
 * sent while tasks ran short must not wait for one that turned out long.
 * The worker skips them when it reaches them (process_serve.c): the range
 * is stored before started is loaded, and the worker stores started
 * before it loads the range, so a task either counts as started here or
 * is skipped there, never neither. */
static void take_back(struct pt__pool_slot *slot)
{
	struct pt__pool_mark *mark;
	uint64_t started;
	unsigned k = 0;

	if (slot->nfly < 2 || worker_gone(slot))
		return;
	mark = pt__pool_mark_of(slot->unit);
	atomic_store(&mark->skip,
		     (uint64_t)slot->fly_seq[1] |
			     (uint64_t)slot->fly_seq[slot->nfly - 1] << 32);
	started = atomic_load(&mark->started);
	for (unsigned i = 1; i < slot->nfly; i++)
		if (slot->fly[i]->id == started)
			k = i;
	give_back_from(slot, k + 1);
}

/* One round: send what was taken, then take every reply that is there,
 * waiting for the first. Returns 0, or the error that ended the worker. */
static int round_trip(struct pt__pool_slot *slot, unsigned from)
{
	pt_pool *pool = slot->pool;
	/* A busy slot waits for its first reply only so long before it
	 * makes way for a parked one (queue.c). */
	int timeout = slot->busy ? PT__POOL_STALL_MS : -1, crashed;
	int rc = 0;

	for (unsigned k = from; k < slot->nfly && !rc; k++) {
		rc = send_task(slot, slot->fly[k]);
		slot->fly_seq[k] = ++slot->sent;
	}
	/* The new worker has its tasks: now the old one's remains. */
	bury(slot);
	while (!rc && slot->nfly) {
		struct pt_result res;
		void *buf = NULL;
		size_t len = 0;
		bool asked;

		rc = recv_reply(slot, timeout, &res, &buf, &len, &asked,
				&crashed);
		if ((rc == -EAGAIN || rc == -ETIMEDOUT) && timeout > 0) {
			pthread_mutex_lock(&pool->lock);
			take_back(slot);
			pt__pool_slot_stalled(pool, slot);
			pthread_mutex_unlock(&pool->lock);
			timeout = -1;
			rc = 0;
			continue;
		}
		if (rc == -EAGAIN || rc == -ETIMEDOUT)
			return 0;
		if (rc)
			break;
		if (crashed) {
			worker_crashed(slot, crashed);
			return 0;
		}
		timeout = 0; /* the rest only if already there */
		if (resolve_reply(slot, &res, buf, len, asked)) {
			struct retired r;

			pthread_mutex_lock(&pool->lock);
			pt__pool_worker_replaced(pool, true);
			pthread_mutex_unlock(&pool->lock);
			worker_retire(slot, true, 0, &r);
			return 0;
		}
	}
	return rc;
}

/* After a start of slot's worker: counts a failure, gives the slot up
 * after PT_POOL_START_TRIES of them in a row, and when no slot of the pool
 * can start a worker, fails what is queued. Then waits before the next
 * try - 10, 20, 40 ... ms, and PT_POOL_RETRY_MS once given up - unless
 * the pool closes. A success ends all that. */
static void after_start(struct pt__pool_slot *slot, int rc)
{
	pt_pool *pool = slot->pool;
	uint64_t delay_ms;

	pthread_mutex_lock(&pool->lock);
	if (rc == 0) {
		pt__pool_slot_broken(pool, slot, false, 0);
		slot->start_fails = 0;
		pthread_mutex_unlock(&pool->lock);
		return;
	}
	pt__pool_slot_broken(
		pool, slot,
		++slot->start_fails >= PT_POOL_START_TRIES || slot->broken, rc);
	delay_ms = slot->broken ? PT_POOL_RETRY_MS
				: 10u << (slot->start_fails - 1);
	if (!pool->closing)
		pt__cond_wait_until(&pool->retry, &pool->lock,
				    pt__now_ns() + delay_ms * 1000000u);
	pthread_mutex_unlock(&pool->lock);
}

static void *proxy_main(void *arg)
{
	struct pt__pool_slot *slot = arg;
	pt_pool *pool = slot->pool;
	int rc = worker_start(slot);

	pthread_mutex_lock(&pool->lock);
	slot->first_start = rc;
	pthread_cond_broadcast(&pool->quiet);
	if (rc) {
		pt__pool_worker_ended(pool);
		pthread_mutex_unlock(&pool->lock);
		return NULL;
	}
	pthread_mutex_unlock(&pool->lock);

	for (;;) {
		unsigned from;
		bool stop, gone;

		pthread_mutex_lock(&pool->lock);
		pt__pool_slot_back(pool, slot, !worker_gone(slot));
		from = slot->nfly;
		if (!worker_gone(slot))
			take_more(slot);
		gone = worker_gone(slot); /* dead is the watcher's to set */
		/* Busy from the last round until here, so that its own
		 * takes woke no parked slot in its place. */
		pt__pool_slot_busy(pool, slot,
				   !gone && slot->nfly && short_tasks(slot));
		/* A draining pool ends a slot only once nothing is queued:
		 * a worker that retired politely (max_tasks_per_worker, a
		 * task's request) left the slot without one, and the queue
		 * still needs a replacement to run it. */
		stop = pool->closing && slot->nfly == 0 && !slot->dead &&
		       pool->nqueued == 0;
		pthread_mutex_unlock(&pool->lock);
		if (stop)
			break;
		if (gone) {
			/* Died idle, or with tasks in flight the watcher
			 * noticed first; or no worker yet. */
			if (slot->unit)
				worker_died(slot, true);
			/* A broken pool starts no worker again: one whose
			 * initializer fails would fail again. */
			pthread_mutex_lock(&pool->lock);
			stop = (pool->closing && pool->nqueued == 0) ||
			       pool->broken;
			pthread_mutex_unlock(&pool->lock);
			if (stop)
				break;
			after_start(slot, worker_start(slot));
			continue;
		}
		rc = round_trip(slot, from);
		/* A reply that broke the protocol: trust none after it. */
		if (rc)
			worker_died(slot, rc != -EBADMSG);
	}
	if (slot->unit) {
		struct retired r;

		worker_retire(slot, true, 0, &r);
	}
	bury(slot);
	pthread_mutex_lock(&pool->lock);
	pt__pool_worker_ended(pool);
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

/* Waits for the first start of slot's worker: 0 or its -errno. */
static int slot_started(struct pt__pool_slot *slot)
{
	pt_pool *pool = slot->pool;
	int rc;

	pthread_mutex_lock(&pool->lock);
	while (slot->first_start == 1)
		pthread_cond_wait(&pool->quiet, &pool->lock);
	rc = slot->first_start;
	pthread_mutex_unlock(&pool->lock);
	return rc;
}

/* Starts slot's proxy, which starts the first worker; create waits for
 * it (slot_started()), so that it reports a spawn error, once every
 * slot's start was begun: through the fork-server the starts overlap,
 * and the maker's forks follow one another without waiting for the
 * proxies. The proxy's stack is one no fork copies (process_start.c). */
static int slot_start(struct pt__pool_slot *slot)
{
	pt_pool *pool = slot->pool;
	int rc;

	slot->depth = pt__pool_ring_depth(pool);
	pthread_mutex_lock(&pool->lock);
	slot->first_start = 1;
	rc = pt__nofork_thread_start(&slot->proxy, proxy_main, slot);
	if (rc == 0)
		pt__pool_worker_started(pool);
	pthread_mutex_unlock(&pool->lock);
	return rc;
}

/* Every slot's loop ended: joins the proxies, then the maker, whose
 * forks' death signals follow it. */
static void process_join(pt_pool *pool)
{
	for (unsigned k = 0; k < pool->nslots; k++)
		pt__nofork_thread_join(&pool->slots[k].proxy);
	pt__pool_maker_join(pool);
}

/* --- the ops ---------------------------------------------------------------
 */

static void process_stop_slot(pt_pool *pool, struct pt__pool_slot *slot)
{
	(void)pool;
	if (slot->unit)
		pt_unit_kill(slot->unit, SIGKILL);
}

static int process_watch_fd(const struct pt__pool_slot *slot)
{
	return slot->unit && !slot->dead ? pt_unit_fd(slot->unit) : -1;
}

/* The worker ended: closing both channels wakes its proxy, whether it
 * waits to send or to receive; and so does its wake, if it waits for
 * work. */
static void process_watch_fired(pt_pool *pool, struct pt__pool_slot *slot)
{
	slot->dead = true;
	pt_chan_close(slot->req);
	pt_chan_close(slot->resp);
	pt__pool_wake_slot(pool, slot);
}

const struct pt__pool_ops pt__pool_process_ops = {
	.name = "process",
	.in_place = true,
	.open = pt__pool_maker_open,
	.start = pt__pool_maker_start,
	.start_slot = slot_start,
	.slot_started = slot_started,
	.stop_task = process_stop_task,
	.halt = process_halt,
	.stop_slot = process_stop_slot,
	.task_started = process_task_started,
	.watch_fd = process_watch_fd,
	.watch_fired = process_watch_fired,
	.await_spares = pt__pool_spares_await,
	.join = process_join,
	.close = pt__pool_maker_close,
};
