/* watcher.c - the pool's watcher thread: worker deaths and task deadlines.
 *
 * It poll()s the descriptor the backend names for each slot
 * (ops->watch_fd: a worker process's unit descriptor, a pidfd or the
 * fork-server's status socket) and an eventfd that the pool rings when
 * workers change, with the earliest task deadline as timeout.
 *
 * A slot's descriptor becoming readable means its worker ended: the
 * watcher tells the backend (ops->watch_fired; a process slot closes its
 * two channels, which wakes its proxy to replace the worker). The slot's
 * generation is checked under the lock, so a worker that was replaced
 * meanwhile is never acted on.
 *
 * At a deadline the running task resolves as timed out, and the backend
 * is asked to stop it (ops->stop_task): a process is killed (its proxy
 * then sees the death and replaces it), a thread is asked through
 * pt_cancelled(), a rank's task runs on and its answer is dropped.
 */
#include "pool/backend.h"
#include "util/clock.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

/* A task's deadline runs from when its worker began it, which for a
 * process worker may be well after the slot took it: the task may wait
 * for a fresh worker's start and initializer, or behind the one it runs.
 * The deadline set at take is the earliest; once there, the backend says
 * when the task began. One not begun yet cannot end before now plus the
 * timeout, so that is when to ask again. Under pool->lock. */
static uint64_t due(const pt_pool *pool, const struct pt__pool_slot *slot,
		    const pt_future *f, uint64_t now)
{
	uint64_t timeout_ns = (uint64_t)pool->opts.task_timeout_ms * 1000000u;
	uint64_t began = pool->ops->task_started(slot, f);

	return (began ? began : now) + timeout_ns;
}

/* Resolves what passed its deadline; returns the next deadline (0: none).
 * Under pool->lock. */
static uint64_t expire(pt_pool *pool)
{
	struct pt_result res = { .status = PT_TASK_TIMED_OUT };
	uint64_t now = pt__now_ns();
	uint64_t next = 0;

	for (unsigned k = 0; k < pool->nslots; k++) {
		struct pt__pool_slot *slot = &pool->slots[k];
		pt_future *f = slot->current;

		if (!f || !f->deadline_ns ||
		    atomic_load(&f->outcome.state) != PT__OUTCOME_TAKEN)
			continue;
		if (f->deadline_ns <= now && pool->ops->task_started)
			f->deadline_ns = due(pool, slot, f, now);
		if (f->deadline_ns > now) {
			next = pt__deadline_min(next, f->deadline_ns);
			continue;
		}
		if (pool->ops->stop_task)
			pool->ops->stop_task(pool, slot, f->id);
		/* It ran from where its deadline counts. */
		res.started_ns =
			f->deadline_ns -
			(uint64_t)pool->opts.task_timeout_ms * 1000000u;
		pt__future_resolve(pool, f, &res, NULL, 0);
	}
	return next;
}

void *pt__pool_watcher_main(void *arg)
{
	pt_pool *pool = arg;
	struct pollfd *pfd = calloc(pool->nslots + 1, sizeof(*pfd));
	unsigned *gen = calloc(pool->nslots + 1, sizeof(*gen));
	unsigned *slot_of = calloc(pool->nslots + 1, sizeof(*slot_of));
	uint64_t drained;

	if (!pfd || !gen || !slot_of)
		goto out; /* create() then has no death detection: rare */
	pthread_mutex_lock(&pool->lock);
	while (!pool->watcher_stop) {
		uint64_t next = expire(pool);
		nfds_t n = 1;

		pool->watch_until = next;
		pfd[0] = (struct pollfd){ .fd = pool->wake_fd,
					  .events = POLLIN };
		for (unsigned k = 0; pool->ops->watch_fd && k < pool->nslots;
		     k++) {
			struct pt__pool_slot *slot = &pool->slots[k];
			int fd = pool->ops->watch_fd(slot);

			if (fd < 0)
				continue;
			pfd[n] = (struct pollfd){ .fd = fd, .events = POLLIN };
			gen[n] = slot->gen;
			slot_of[n++] = k;
		}
		pthread_mutex_unlock(&pool->lock);

		if (poll(pfd, n, pt__ms_until(next)) < 0 && errno != EINTR)
			pfd[0].revents = 0;
		if (pfd[0].revents)
			while (read(pool->wake_fd, &drained, sizeof(drained)) >
			       0)
				;

		pthread_mutex_lock(&pool->lock);
		for (nfds_t p = 1; p < n; p++) {
			struct pt__pool_slot *slot = &pool->slots[slot_of[p]];

			if (!pfd[p].revents || slot->gen != gen[p] ||
			    pool->ops->watch_fd(slot) < 0)
				continue;
			pool->ops->watch_fired(pool, slot);
		}
	}
	pthread_mutex_unlock(&pool->lock);
out:
	free(pfd);
	free(gen);
	free(slot_of);
	return NULL;
}
