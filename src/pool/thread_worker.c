/* thread_worker.c - a worker that is a thread of this process.
 *
 * The slot's thread takes a task, runs it, and resolves it, taking the
 * pool's lock once per task (the resolution of one task and the taking of
 * the next share it). During a task pt_cancelled() reads the slot's cancel
 * block, which the watcher (deadline), pt_future_cancel() and shutdown set
 * and the next task clears; a late result of a task that resolved without
 * it is dropped.
 *
 * Recycling (max_tasks_per_worker, or a task's pt_pool_recycle_worker())
 * starts a fresh thread for the slot and ends this one, which detaches
 * itself: the slot always names the thread that shutdown must join. Every
 * thread, a recycled one's successor included, runs the pool's initializer
 * before it takes a task; one that fails breaks the pool (pt__pool_break())
 * and its thread ends. A task that
 * crashes or calls exit() ends the whole process: nothing here can or does try
 * to survive it.
 */
#include "pool/backend.h"
#include "util/clock.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *thread_main(void *arg);

static int start_thread(struct pt__pool_slot *slot)
{
	int rc = -pthread_create(&slot->thread, NULL, thread_main, slot);

	slot->joinable = rc == 0;
	return rc;
}

/* Runs f without the lock: fills the resolution, and the result bytes
 * (NULL, from pt__pool_buf(), or an in-place task's own result area) with
 * their length. A copied task writes into the slot's scratch, copied once
 * into a reused buffer; an in-place one reads and writes the arena where
 * its caller does. Returns whether the task asked for its worker to be
 * replaced (pt_pool_recycle_worker()). */
static bool run_task(struct pt__pool_slot *slot, pt_future *f,
		     struct pt_result *res, void **buf, size_t *len)
{
	unsigned char *in_place = pt__future_res_area(f);
	const void *arg = in_place ? pt__future_arg_area(f) : f->arg;
	struct pt_task_out out = {
		.data = in_place ? in_place : slot->scratch,
		.cap = slot->pool->opts.max_result_bytes,
	};
	bool asked = false;
	int code;

	pt__unit_self = slot->cancel;
	pt__pool_recycle_asked = &asked;
	code = f->fn(arg, f->len, &out);
	pt__pool_recycle_asked = NULL;
	pt__unit_self = NULL;
	/* A length beyond the room is the task's error, not a result; so is
	 * a result anywhere but the room or the argument (pool.h). */
	if (out.len > out.cap || (out.data == arg && out.len > f->len)) {
		code = -EMSGSIZE;
		out.len = 0;
	} else if (!out.data || (out.data != arg && out.data != slot->scratch &&
				 out.data != in_place)) {
		code = -EINVAL;
		out.len = 0;
	}
	*res = (struct pt_result){
		.status = code ? PT_TASK_FAILED : PT_TASK_OK,
		.error = code,
	};
	*buf = NULL;
	*len = out.len;
	if (*len && in_place) {
		/* read where it lies: the room, or the argument */
		*buf = out.data;
	} else if (*len) {
		*buf = pt__pool_buf(slot->pool, *len);
		if (*buf) {
			memcpy(*buf, out.data, *len);
		} else {
			res->status = PT_TASK_FAILED;
			res->error = -ENOMEM;
		}
	}
	res->finished_ns = pt__now_ns();
	slot->since_start++;
	return asked;
}

/* Runs the pool's initializer, if any, unless the pool is broken already.
 * Returns whether this thread may take tasks; when not, the pool is
 * broken. */
static bool initialized(struct pt__pool_slot *slot)
{
	pt_pool *pool = slot->pool;
	struct pt_result why = { .status = PT_TASK_INIT_FAILED };
	bool broken;

	if (!pool->opts.initializer)
		return true;
	pthread_mutex_lock(&pool->lock);
	broken = pool->broken;
	pthread_mutex_unlock(&pool->lock);
	if (!broken)
		why.error = pool->opts.initializer(pool->opts.init_arg,
						   pool->opts.init_arg_len);
	if (!broken && why.error == 0)
		return true;
	why.worker_pid = getpid();
	pthread_mutex_lock(&pool->lock);
	pt__pool_break(pool, &why);
	pthread_mutex_unlock(&pool->lock);
	return false;
}

static void *thread_main(void *arg)
{
	struct pt__pool_slot *slot = arg;
	pt_pool *pool = slot->pool;
	bool recycle = false;
	pt_future *f;

	if (pool->name[0])
		pthread_setname_np(pthread_self(), pool->name);
	if (!initialized(slot)) {
		pthread_mutex_lock(&pool->lock);
		pt__pool_worker_ended(pool);
		pthread_mutex_unlock(&pool->lock);
		return NULL;
	}
	pthread_mutex_lock(&pool->lock);
	while ((f = pt__pool_take(pool, slot, NULL, true))) {
		struct pt_result res;
		void *buf;
		size_t len;
		bool asked;

		f->outcome.result.worker_pid = getpid();
		atomic_store(&slot->cancel->cancelled, 0);
		pthread_mutex_unlock(&pool->lock);

		asked = run_task(slot, f, &res, &buf, &len);
		pt__future_done_with_place(f);

		pthread_mutex_lock(&pool->lock);
		pt__pool_set_current(pool, slot, NULL);
		slot->tasks++;
		pt__future_resolve(pool, f, &res, buf, len);
		pt__future_put(f);
		if ((asked ||
		     (pool->opts.max_tasks_per_worker &&
		      slot->since_start >= pool->opts.max_tasks_per_worker)) &&
		    !pool->closing) {
			slot->since_start = 0;
			if (start_thread(slot) == 0) {
				pt__pool_worker_replaced(pool, true);
				recycle = true;
				break;
			}
		}
	}
	if (!recycle)
		pt__pool_worker_ended(pool);
	pthread_mutex_unlock(&pool->lock);
	/* Recycled: the slot's new thread took its place, and nobody joins
	 * this one. */
	if (recycle)
		pthread_detach(pthread_self());
	return NULL;
}

static int slot_start(struct pt__pool_slot *slot)
{
	pt_pool *pool = slot->pool;
	int rc;

	slot->cancel = calloc(1, pt__unit_shared_bytes(0));
	slot->scratch = malloc(pool->opts.max_result_bytes);
	if (!slot->cancel || !slot->scratch)
		return -ENOMEM;
	pthread_mutex_lock(&pool->lock);
	rc = start_thread(slot);
	if (rc == 0)
		pt__pool_worker_started(pool);
	pthread_mutex_unlock(&pool->lock);
	return rc;
}

/* --- the ops ---------------------------------------------------------------
 */

/* A thread can only be asked: pt_cancelled() turns true in its task. */
static void thread_stop_task(pt_pool *pool, struct pt__pool_slot *slot,
			     uint64_t id)
{
	(void)pool;
	(void)id;
	if (slot->cancel)
		atomic_store(&slot->cancel->cancelled, 1);
}

static void thread_stop_slot(pt_pool *pool, struct pt__pool_slot *slot)
{
	thread_stop_task(pool, slot, 0);
}

static void thread_close(pt_pool *pool)
{
	for (unsigned k = 0; pool->slots && k < pool->nslots; k++) {
		free(pool->slots[k].cancel);
		free(pool->slots[k].scratch);
	}
}

/* An idle worker spins a while before it parks (queue.c), about what
 * waking it would cost: as long as an adaptive channel wait spins. (A
 * process pool's worker spins in its ring's adaptive wait, and its proxy
 * goes back to the queue awake; see process_worker.c.) */
static int thread_open(pt_pool *pool, int verdict)
{
	pool->spin_ns = pt_chan_adaptive_spin_ns();
	return verdict;
}

const struct pt__pool_ops pt__pool_thread_ops = {
	.name = "thread",
	.in_place = true,
	.open = thread_open,
	.start_slot = slot_start,
	.stop_task = thread_stop_task,
	.stop_slot = thread_stop_slot,
	.close = thread_close,
};
