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
 *
 * A crash told before the death. The worker is the first to know that its
 * task crashed: the kernel runs its handler for the signal (a fault,
 * abort()), while the pool hears of the death only once the kernel has torn
 * the process down - half a millisecond on the development VM, most of
 * what a crash cost the tasks behind it. So while a task runs, what its
 * reply needs is kept where a handler reaches it, and a handler for the
 * crash signals sends that reply flagged PT__POOL_REP_CRASHED with the
 * signal, then lets the signal take its default course. The reply's slot
 * is reserved before the task begins, so the handler only writes a header
 * and commits (stores and a futex wake: safe in a handler). The handler
 * and the task's return race for the reply through one exchange; the
 * loser sends nothing (a thread of the task crashing after the task
 * returned, say). A fault the kernel raised is left to strike again on
 * return, now with the default action, so a core dump shows where it was;
 * a signal sent with kill() or raise() (abort() is one) is raised again,
 * pending until the handler returns. Crashes the handler does not see -
 * SIGKILL, a task's own handler for these signals, a crash outside a task,
 * a stack too broken for the alternate one - are found from the death, as
 * before. The pool kills the worker on such a reply in any case.
 */
#include "pool/pool_internal.h"
#include "pool/process_wire.h"
#include "util/clock.h"
#include "util/fd.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

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

/* The task running now, for the crash handler. */
enum { TASK_IDLE, TASK_RUNNING, TASK_REPORTED };
static struct {
	pt_chan *req, *resp;
	struct pt_chan_msg in, out;
	struct pt__pool_rep rp; /* the reply's header so far */
	_Atomic int state;
	pid_t worker; /* a child the task forked has this memory too */
} running;

static const int crash_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };

/* Room for the handler when the task overflowed its own stack. */
#define CRASH_STACK_BYTES ((size_t)64 << 10)

static void on_crash(int sig, siginfo_t *info, void *context)
{
	int expected = TASK_RUNNING, saved = errno;

	(void)context;
	/* A process the task forked (and that did not exec) inherits this
	 * handler and a copy of running, but the rings are shared: only the
	 * worker itself may report. */
	if (getpid() == running.worker &&
	    atomic_compare_exchange_strong(&running.state, &expected,
					   TASK_REPORTED)) {
		struct pt__pool_rep rp = running.rp;

		rp.code = sig;
		rp.flags = PT__POOL_REP_CRASHED;
		rp.len = 0;
		rp.finished_ns = pt__now_ns();
		memcpy(running.out.data, &rp, sizeof(rp));
		running.out.len = sizeof(rp);
		if (pt_chan_release(running.req, &running.in) == 0)
			(void)pt_chan_commit(running.resp, &running.out);
		/* The proxy, woken by the commit, may be queued on this CPU:
		 * let it take the reply before the kernel's teardown of this
		 * process does (a system call, as safe here as the wake). */
		sched_yield();
	}
	/* SA_RESETHAND made the action the default again. A fault strikes
	 * again on return; a sent signal would not. */
	if (info->si_code <= 0)
		raise(sig);
	errno = saved;
}

/* Installs the crash handler, on a stack of its own, before the pool's
 * initializer runs: the initializer and the tasks may install their own
 * handlers, which then take precedence. Without it (no memory, a
 * sandbox that refuses the calls) crashes are found from the death. */
static void crash_handler_install(void)
{
	struct sigaction sa = { .sa_sigaction = on_crash,
				.sa_flags = SA_SIGINFO | SA_RESETHAND };
	stack_t alt = { .ss_size = CRASH_STACK_BYTES };

	running.worker = getpid();

	/* Populated now: a fault while the kernel writes the signal's frame
	 * would cost the crash's report a page fault or two. */
	alt.ss_sp = mmap(NULL, CRASH_STACK_BYTES, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_POPULATE,
			 -1, 0);
	if (alt.ss_sp != MAP_FAILED && sigaltstack(&alt, NULL) == 0)
		sa.sa_flags |= SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	for (size_t k = 0; k < sizeof(crash_signals) / sizeof(*crash_signals);
	     k++)
		(void)sigaction(crash_signals[k], &sa, NULL);
}

/* Whether the request numbered seq on the ring is one the proxy took
 * back (pool_internal.h, skip). */
static bool taken_back(uint64_t skip, uint32_t seq)
{
	uint32_t from = (uint32_t)skip, to = (uint32_t)(skip >> 32);

	return from && (uint32_t)(seq - from) <= (uint32_t)(to - from);
}

/* Runs one task. Returns 0, 1 when the worker must run nothing more (the
 * task asked for its replacement and its reply is sent, or the pool is
 * stopping this worker: the task was not started), or the channel's
 * error. *seq counts the requests read, a request taken back included. */
static int serve_one(pt_chan *req, pt_chan *resp, uint64_t max_result,
		     const struct arena *arena, uint32_t *seq)
{
	struct pt__pool_mark *mark = (void *)pt__unit_self->result;
	uint64_t prev, prev_ns, doomed;
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
	++*seq;
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
	prev_ns = atomic_load(&mark->started_ns);
	atomic_store(&mark->started_ns, pt__now_ns());
	atomic_store(&mark->started, rq.id);
	doomed = atomic_load(&mark->doomed);
	if ((doomed && (doomed == rq.id || doomed == prev)) ||
	    atomic_load(&mark->halt)) {
		atomic_store(&mark->started, prev);
		return 1;
	}
	/* Taken back while a task before it ran long, and handed to
	 * another worker: never this one's, and never answered. */
	if (taken_back(atomic_load(&mark->skip), *seq)) {
		atomic_store(&mark->started, prev);
		atomic_store(&mark->started_ns, prev_ns);
		return pt_chan_release(req, &in);
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
	running.req = req;
	running.resp = resp;
	running.in = in;
	running.out = out;
	running.rp = rp;
	atomic_store(&running.state, TASK_RUNNING);
	pt__pool_recycle_asked = &recycle;
	rp.code = rq.fn(arg, rq.len, &task);
	pt__pool_recycle_asked = NULL;
	/* A thread of the task crashed, and the handler has sent the reply:
	 * the process is about to end by that signal. */
	if (atomic_exchange(&running.state, TASK_IDLE) != TASK_RUNNING)
		for (;;)
			pause();
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
	uint32_t seq = 0; /* requests read, for the skip range */
	int rc;

	/* Forked directly, a worker has every descriptor of the pool's
	 * process - its siblings' rings and pidfds among them, three per
	 * sibling, which also kept a dead sibling's rings in memory. It
	 * keeps its own only, as a worker the fork-server forks does (that
	 * one's parent is the server, not the owner). */
	if (getppid() == b->owner) {
		int keep[] = { b->req.fd, b->resp.fd, b->arena_fd };

		if (pt__close_all_but(keep, b->arena_fd >= 0 ? 3 : 2))
			return 120;
	}
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
	crash_handler_install();
	if (!initialized(b)) {
		rc = 122;
		goto out;
	}
	do
		rc = serve_one(req, resp, b->max_result, &arena, &seq);
	while (rc == 0);
	rc = rc == 1 || rc == -ESHUTDOWN || rc == -EPIPE ? 0 : 121;
out:
	pt_chan_destroy(req);
	pt_chan_destroy(resp);
	return rc;
}
