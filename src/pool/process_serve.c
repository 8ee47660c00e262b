/* process_serve.c - a pool's worker process: runs the pool's initializer,
 * then serves tasks from its request channel until the pool closes it.
 *
 * Per task it peeks the request in place (no copy), records the task's id
 * in the mark it shares with the pool (so that after its death the proxy
 * knows whether it had started that task), reserves the reply slot and
 * lets the task write its result straight into it, then releases the
 * request and commits the reply. The initializer's outcome goes into the
 * same mark, so a death in it is told from a task's. The function pointers
 * it is sent are valid because it runs the same program image. See
 * process_worker.c for the pool's side.
 */
#include "pool/pool_internal.h"
#include "pool/process_wire.h"
#include "util/clock.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

/* The pool's arena of in-place tasks, as this worker maps it. */
struct arena {
	unsigned char *base;
	uint64_t nslots;
	uint64_t slot_bytes;
	uint64_t arg_cap;
};

/* Finds an in-place request's argument and result room in the arena. The
 * proxy is trusted less than nothing else, but a slot out of range would
 * only be our own bug: refused all the same. Returns 0 or -EBADMSG. */
static int in_place(const struct arena *a, const struct pt__pool_req *rq,
		    uint64_t max_result, unsigned char **arg,
		    unsigned char **res)
{
	if (!a->base || rq->place >= a->nslots || rq->len > a->arg_cap ||
	    max_result > a->slot_bytes - a->arg_cap)
		return -EBADMSG;
	*arg = a->base + rq->place * a->slot_bytes;
	*res = *arg + a->arg_cap;
	return 0;
}

/* Runs one task. Returns 0, 1 when the worker must run nothing more (the
 * task asked for its replacement and its reply is sent, or the pool is
 * stopping this worker: the task was not started), or the channel's
 * error. */
static int serve_one(pt_chan *req, pt_chan *resp, uint64_t max_result,
		     const struct arena *arena)
{
	struct pt__pool_mark *mark = (void *)pt__unit_self->result;
	uint64_t prev, doomed;
	struct pt_chan_msg in, out;
	struct pt__pool_req rq;
	struct pt__pool_rep rp = { 0 };
	struct pt_task_out task;
	unsigned char *arg, *res = NULL;
	size_t bytes;
	bool recycle = false;
	int rc;

	rc = pt_chan_peek(req, &in, -1);
	if (rc)
		return rc;
	if (in.len < sizeof(rq))
		return -EBADMSG;
	memcpy(&rq, in.data, sizeof(rq));
	arg = (unsigned char *)in.data + sizeof(rq);
	bytes = rq.flags & PT__POOL_REQ_IN_PLACE ? 0 : rq.len;
	if (bytes != in.len - sizeof(rq))
		return -EBADMSG;
	if ((rq.flags & PT__POOL_REQ_IN_PLACE) &&
	    in_place(arena, &rq, max_result, &arg, &res))
		return -EBADMSG;
	/* From here on, a death is this task's - unless the pool has doomed
	 * this task, or the one before it, which it may have seen us still
	 * run and killed us for: then this task must not start, lest that
	 * kill be charged to it. The pool stores doomed before it loads
	 * started, we the other way round (process_stop_task()). */
	prev = atomic_load(&mark->started);
	atomic_store(&mark->started_ns, pt__now_ns());
	atomic_store(&mark->started, rq.id);
	doomed = atomic_load(&mark->doomed);
	if ((doomed && (doomed == rq.id || doomed == prev)) ||
	    atomic_load(&mark->halt)) {
		atomic_store(&mark->started, prev);
		return 1;
	}
	/* An in-place task writes its result into its arena slot, where
	 * the caller reads it; a copied one straight into the reply. */
	rc = pt_chan_reserve(resp, sizeof(rp) + (res ? 0 : max_result), &out,
			     -1);
	if (rc)
		return rc;
	task = (struct pt_task_out){
		.data = res ? res : (unsigned char *)out.data + sizeof(rp),
		.cap = max_result,
	};
	rp.id = rq.id;
	rp.started_ns = pt__now_ns();
	pt__pool_recycle_asked = &recycle;
	rp.code = rq.fn(arg, rq.len, &task);
	pt__pool_recycle_asked = NULL;
	rp.finished_ns = pt__now_ns();
	rp.flags = recycle ? PT__POOL_REP_RECYCLE : 0;
	rp.len = task.len;
	/* A length beyond the room is the task's error, not a result; so is
	 * a result anywhere but the room or the argument (pool.h). */
	if (task.len > max_result || (task.data == arg && task.len > rq.len)) {
		rp.code = -EMSGSIZE;
		rp.len = 0;
	} else if (task.data == arg && res) {
		rp.flags |= PT__POOL_REP_IN_ARG; /* read where it lies */
	} else if (task.data == arg) {
		memcpy((unsigned char *)out.data + sizeof(rp), arg, rp.len);
	} else if (task.data !=
		   (res ? res : (unsigned char *)out.data + sizeof(rp))) {
		rp.code = -EINVAL;
		rp.len = 0;
	}
	memcpy(out.data, &rp, sizeof(rp));
	out.len = sizeof(rp) + (res ? 0 : rp.len);
	/* The request's slot first: once the proxy sees the reply it may
	 * send again, and must find the room this task held. */
	rc = pt_chan_release(req, &in);
	if (rc == 0)
		rc = pt_chan_commit(resp, &out);
	return rc == 0 && recycle ? 1 : rc;
}

/* Runs the pool's initializer and says in the mark how it went: the
 * proxy reads that after the worker's end. Returns whether it succeeded. */
static bool initialized(const struct pt__pool_boot *b)
{
	struct pt__pool_mark *mark = (void *)pt__unit_self->result;
	int code = 0;

	if (b->init)
		code = b->init(b + 1, b->init_len);
	atomic_store(&mark->init_code, code);
	atomic_store(&mark->init,
		     code ? PT__POOL_INIT_FAILED : PT__POOL_INIT_OK);
	return code == 0;
}

int pt__pool_worker_main(void *arg)
{
	const struct pt__pool_boot *b = arg;
	pt_chan *req = NULL, *resp = NULL;
	struct arena arena = { 0 };
	int rc;

	rc = pt_chan_from_ticket(&b->req, &req);
	if (rc == 0)
		rc = pt_chan_from_ticket(&b->resp, &resp);
	if (rc)
		return 120;
	if (b->arena_fd >= 0 && b->arena_nslots) {
		size_t bytes = b->arena_nslots * b->arena_slot_bytes;
		void *base = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
				  MAP_SHARED, b->arena_fd, 0);

		if (base == MAP_FAILED)
			return 123;
		arena = (struct arena){ .base = base,
					.nslots = b->arena_nslots,
					.slot_bytes = b->arena_slot_bytes,
					.arg_cap = b->arena_arg_cap };
	}
	/* The owner's end is also the end of the work (the server or the
	 * owner's thread dying kills us anyway; this covers the rest). */
	pt_chan_watch(req, b->owner);
	if (!initialized(b)) {
		rc = 122;
		goto out;
	}
	do
		rc = serve_one(req, resp, b->max_result, &arena);
	while (rc == 0);
	rc = rc == 1 || rc == -ESHUTDOWN || rc == -EPIPE ? 0 : 121;
out:
	pt_chan_destroy(req);
	pt_chan_destroy(resp);
	return rc;
}
