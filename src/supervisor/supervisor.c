/* supervisor.c - Erlang-style supervision of units.
 *
 * Design. Each supervisor owns one thread, which does everything that
 * touches the children: the initial starts (so that process children are
 * forked by a thread that lives as long as they do - PR_SET_PDEATHSIG
 * follows the forking thread), the watching, every restart and every stop.
 * Nothing else touches a child's unit, so the children need no lock.
 *
 * The thread poll()s the descriptor of every running unit (a pidfd, a
 * status socket or an eventfd: pt_unit_fd()) together with an eventfd that
 * pt_supervisor_stop() rings, with a timeout that is the earliest pending
 * restart. A unit's descriptor becoming readable means it ended: it is
 * joined (without waiting), reported, and the restart policy applied:
 *   1. the restart type says whether it comes back at all;
 *   2. the budget: the restart times of the last period_ms are kept; one
 *      more than `intensity` and the supervisor gives up;
 *   3. the strategy says who comes back with it; those still running are
 *      stopped in reverse order;
 *   4. each child to restart becomes pending with a start time (now, or
 *      after the back-off), and pending children are started in order.
 * Back-off never blocks the thread: a pending restart is only a time, so a
 * stop request or another child's end is handled during the wait.
 *
 * A group restart (one_for_all, rest_for_one) counts as one restart, as in
 * Erlang. A child whose start fails is treated as one that ended
 * abnormally at once, so a child that can never start spends the budget
 * and the supervisor gives up instead of spinning. As in OTP's
 * supervisor: a temporary child is never restarted, not even when a
 * sibling's death stops it (its spec is deleted then); a transient child
 * that ended normally keeps its spec and is started again with its group.
 *
 * Calls on a running supervisor (start, terminate, restart, delete a
 * child; list them) are carried out by the same thread: the caller posts
 * the call under the lock, rings the eventfd and waits for it to be done,
 * so the children still have one owner and need no lock of their own.
 */
#include "supervisor/supervisor_internal.h"
#include "util/clock.h"
#include "util/sized.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_PERIOD_MS   5000
#define DEFAULT_BACKOFF_MAX 60000

const char *pt_strategy_name(enum pt_strategy strategy)
{
	switch (strategy) {
	case PT_STRATEGY_ONE_FOR_ONE:
		return "one_for_one";
	case PT_STRATEGY_ONE_FOR_ALL:
		return "one_for_all";
	case PT_STRATEGY_REST_FOR_ONE:
		return "rest_for_one";
	}
	return "unknown";
}

const char *pt_restart_name(enum pt_restart restart)
{
	switch (restart) {
	case PT_RESTART_PERMANENT:
		return "permanent";
	case PT_RESTART_TRANSIENT:
		return "transient";
	case PT_RESTART_TEMPORARY:
		return "temporary";
	}
	return "unknown";
}

const char *pt_supervisor_event_name(enum pt_supervisor_event_type type)
{
	switch (type) {
	case PT_SUPERVISOR_CHILD_STARTED:
		return "started";
	case PT_SUPERVISOR_CHILD_START_FAILED:
		return "start-failed";
	case PT_SUPERVISOR_CHILD_EXITED:
		return "exited";
	case PT_SUPERVISOR_CHILD_STOPPED:
		return "stopped";
	case PT_SUPERVISOR_CHILD_RESTARTING:
		return "restarting";
	case PT_SUPERVISOR_GAVE_UP:
		return "gave-up";
	}
	return "unknown";
}

/* --- the budget and the back-off --------------------------------------- */

/* Forgets restarts older than the period. */
static void budget_expire(pt_supervisor *sup, uint64_t now)
{
	uint64_t period = (uint64_t)sup->opts.period_ms * 1000000u;
	size_t keep = 0;

	for (size_t k = 0; k < sup->nrestart; k++)
		if (now - sup->restart_ns[k] < period)
			sup->restart_ns[keep++] = sup->restart_ns[k];
	sup->nrestart = keep;
}

/* Records one restart; false when that would exceed the intensity (an
 * intensity of 0 allows none). */
static bool budget_take(pt_supervisor *sup, uint64_t now)
{
	budget_expire(sup, now);
	if (sup->nrestart >= sup->opts.intensity)
		return false;
	sup->restart_ns[sup->nrestart++] = now;
	atomic_fetch_add(&sup->restarts_total, 1);
	return true;
}

/* The wait before the n-th restart of the period (n >= 1). */
static uint32_t backoff_ms(const pt_supervisor *sup, size_t n)
{
	uint64_t delay = sup->opts.backoff_ms;

	if (delay == 0)
		return 0;
	for (size_t k = 1; k < n && delay < sup->opts.backoff_max_ms; k++)
		delay *= 2;
	if (delay > sup->opts.backoff_max_ms)
		delay = sup->opts.backoff_max_ms;
	return (uint32_t)delay;
}

/* --- policy -------------------------------------------------------------- */

static void stop_all_reverse(pt_supervisor *sup)
{
	for (size_t k = sup->n; k-- > 0;)
		pt__sv_child_stop(sup, k);
}

static void give_up(pt_supervisor *sup, size_t i)
{
	struct pt_supervisor_event ev = { .type = PT_SUPERVISOR_GAVE_UP };

	stop_all_reverse(sup);
	ev.restarts = (uint32_t)sup->nrestart;
	pt__sv_emit(sup, &ev, i);
	pthread_mutex_lock(&sup->lock);
	sup->gave_up = true;
	pthread_mutex_unlock(&sup->lock);
}

/* Child i ended (or failed to start). Returns false when the supervisor
 * gave up. */
static bool child_ended(pt_supervisor *sup, size_t i, bool abnormal)
{
	struct pt__sv_child *c = &sup->children[i];
	size_t first = i, last = i;
	uint64_t now = pt__now_ns(), told = now;
	uint32_t delay;

	if (c->restart == PT_RESTART_TEMPORARY) {
		/* OTP deletes a temporary child's spec when it ends. */
		c->deleted = true;
		return true;
	}
	if (c->restart == PT_RESTART_TRANSIENT && !abnormal)
		return true; /* stopped: its spec stays, for group restarts */
	if (!budget_take(sup, now)) {
		give_up(sup, i);
		return false;
	}
	delay = backoff_ms(sup, sup->nrestart);
	if (sup->opts.strategy == PT_STRATEGY_ONE_FOR_ALL) {
		first = 0;
		last = sup->n - 1;
	} else if (sup->opts.strategy == PT_STRATEGY_REST_FOR_ONE) {
		last = sup->n - 1;
	}
	for (size_t k = last + 1; k-- > first;) {
		struct pt__sv_child *sib = &sup->children[k];

		if (k == i || sib->deleted)
			continue;
		pt__sv_child_stop(sup, k);
		/* Never restarted, even when a sibling's death stopped it. */
		if (sib->restart == PT_RESTART_TEMPORARY)
			sib->deleted = true;
	}
	for (size_t k = first; k <= last; k++) {
		struct pt_supervisor_event ev = {
			.type = PT_SUPERVISOR_CHILD_RESTARTING,
			.delay_ms = delay,
			.restarts = (uint32_t)sup->nrestart,
		};

		if (sup->children[k].deleted)
			continue;
		sup->children[k].pending = true;
		pt__sv_emit(sup, &ev, k);
		told = ev.time_ns;
	}
	/* The back-off counts from the last RESTARTING event told, not from
	 * the death: the stops and the callbacks before it take time, and a
	 * start must never come sooner than delay_ms after its event. */
	for (size_t k = first; k <= last; k++)
		sup->children[k].start_at_ns =
			told + (uint64_t)delay * 1000000u;
	return true;
}

/* Starts the pending children that are due, in order. Returns false when
 * the supervisor gave up. */
static bool start_due(pt_supervisor *sup)
{
	uint64_t now = pt__now_ns();

	for (size_t k = 0; k < sup->n; k++) {
		struct pt__sv_child *c = &sup->children[k];

		if (!c->pending || c->start_at_ns > now)
			continue;
		if (atomic_load(&sup->stopping))
			return true;
		if (pt__sv_child_start(sup, k) && !child_ended(sup, k, true))
			return false;
	}
	return true;
}

static void collect(pt_supervisor *sup, size_t i, bool *alive)
{
	struct pt__sv_child *c = &sup->children[i];
	struct pt_supervisor_event ev = { .type = PT_SUPERVISOR_CHILD_EXITED };
	int rc = pt_unit_join(c->unit, 0, &ev.status);

	if (rc == -ETIMEDOUT)
		return; /* readable but not ended: cannot happen; look again */
	if (rc)
		memset(&ev.status, 0, sizeof(ev.status));
	ev.abnormal = rc || !pt__sv_normal_end(&ev.status);
	pt_unit_destroy(c->unit);
	c->unit = NULL;
	pt__sv_emit(sup, &ev, i);
	if (!child_ended(sup, i, ev.abnormal))
		*alive = false;
}

/* --- calls on a running supervisor --------------------------------------- */

/* Makes room for one more child. */
static int grow_children(pt_supervisor *sup)
{
	struct pt__sv_child *grown;
	size_t cap;

	if (sup->n < sup->capacity)
		return 0;
	cap = sup->capacity * 2;
	grown = realloc(sup->children, cap * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	sup->children = grown;
	sup->capacity = cap;
	return 0;
}

static int name_taken(const pt_supervisor *sup, const char *name)
{
	for (size_t k = 0; k < sup->n; k++)
		if (!sup->children[k].deleted && name && name[0] &&
		    strncmp(sup->children[k].name, name,
			    sizeof(sup->children[k].name) - 1) == 0)
			return true;
	return false;
}

static int call_start_child(pt_supervisor *sup, struct pt__sv_cmd *cmd)
{
	struct pt__sv_child *c;
	int rc;

	if (name_taken(sup, cmd->spec->name))
		return -EEXIST;
	rc = grow_children(sup);
	if (rc)
		return rc;
	c = &sup->children[sup->n];
	rc = pt__sv_child_take(c, cmd->spec);
	if (rc)
		return rc;
	sup->n++;
	rc = pt__sv_child_start(sup, sup->n - 1);
	if (rc) {
		/* As in OTP: a child that cannot start is not added. */
		sup->n--;
		if (c->arg_len)
			free(c->arg);
		return rc;
	}
	cmd->index = sup->n - 1;
	return 0;
}

static void list_children(pt_supervisor *sup, struct pt__sv_cmd *cmd)
{
	cmd->count = 0;
	for (size_t k = 0; k < sup->n; k++) {
		const struct pt__sv_child *c = &sup->children[k];
		struct pt_supervisor_child *out;

		if (c->deleted)
			continue;
		if (cmd->count < cmd->cap) {
			out = &cmd->list[cmd->count];
			memset(out, 0, sizeof(*out));
			out->index = k;
			memcpy(out->name, c->name, sizeof(out->name));
			out->kind = c->kind;
			out->restart = c->restart;
			out->running = c->unit != NULL;
			out->pending = c->pending;
			out->pid = c->unit ? pt_unit_pid(c->unit) : 0;
		}
		cmd->count++;
	}
}

static int run_call(pt_supervisor *sup, struct pt__sv_cmd *cmd)
{
	struct pt__sv_child *c = NULL;

	if (cmd->op == PT__SV_START_CHILD)
		return call_start_child(sup, cmd);
	if (cmd->op == PT__SV_WHICH_CHILDREN) {
		list_children(sup, cmd);
		return 0;
	}
	if (cmd->index < sup->n && !sup->children[cmd->index].deleted)
		c = &sup->children[cmd->index];
	if (!c)
		return -ENOENT;
	switch (cmd->op) {
	case PT__SV_TERMINATE_CHILD:
		pt__sv_child_stop(sup, cmd->index);
		/* OTP keeps no spec of a temporary child that stopped. */
		if (c->restart == PT_RESTART_TEMPORARY)
			c->deleted = true;
		return 0;
	case PT__SV_RESTART_CHILD:
		if (c->unit)
			return -EBUSY;
		return pt__sv_child_start(sup, cmd->index);
	case PT__SV_DELETE_CHILD:
		if (c->unit || c->pending)
			return -EBUSY;
		c->deleted = true;
		return 0;
	default:
		return -EINVAL;
	}
}

/* Carries out the call waiting, if any, and wakes its caller. */
static void serve_call(pt_supervisor *sup)
{
	struct pt__sv_cmd *cmd;
	uint64_t rung;

	while (read(sup->wake_fd, &rung, sizeof(rung)) < 0 && errno == EINTR)
		;
	pthread_mutex_lock(&sup->lock);
	cmd = sup->cmd && !sup->cmd->done ? sup->cmd : NULL;
	pthread_mutex_unlock(&sup->lock);
	if (!cmd)
		return;
	cmd->rc = run_call(sup, cmd);
	pthread_mutex_lock(&sup->lock);
	cmd->done = true;
	pthread_cond_broadcast(&sup->cond);
	pthread_mutex_unlock(&sup->lock);
}

/* --- the supervising thread ---------------------------------------------- */

static int next_timeout_ms(const pt_supervisor *sup)
{
	uint64_t next = 0;

	for (size_t k = 0; k < sup->n; k++)
		if (sup->children[k].pending)
			next = pt__deadline_min(next,
						sup->children[k].start_at_ns);
	return pt__ms_until(next);
}

/* The poll set: the eventfd and one entry per running child. */
struct watch {
	struct pollfd *pfd;
	size_t *owner;
	size_t capacity;
};

static int watch_fit(struct watch *w, size_t n)
{
	struct pollfd *pfd;
	size_t *owner;

	if (w->pfd && w->owner && n + 1 <= w->capacity)
		return 0;
	pfd = realloc(w->pfd, (n + 1) * sizeof(*pfd));
	if (!pfd)
		return -ENOMEM;
	w->pfd = pfd;
	owner = realloc(w->owner, (n + 1) * sizeof(*owner));
	if (!owner)
		return -ENOMEM;
	w->owner = owner;
	w->capacity = n + 1;
	return 0;
}

static void supervise(pt_supervisor *sup, struct watch *w)
{
	bool alive = true;

	while (alive && !atomic_load(&sup->stopping)) {
		nfds_t n = 1;

		/* Cannot fail below its first size; a larger one is retried
		 * at the next turn, watching fewer children meanwhile. */
		if (watch_fit(w, sup->n) && (!w->pfd || !w->owner))
			break;
		w->pfd[0] =
			(struct pollfd){ .fd = sup->wake_fd, .events = POLLIN };
		for (size_t k = 0; k < sup->n && n < w->capacity; k++) {
			if (!sup->children[k].unit)
				continue;
			w->pfd[n] = (struct pollfd){
				.fd = pt_unit_fd(sup->children[k].unit),
				.events = POLLIN,
			};
			w->owner[n++] = k;
		}
		if (poll(w->pfd, n, next_timeout_ms(sup)) < 0)
			continue; /* EINTR: recompute and wait again */
		for (nfds_t p = 1; p < n && alive; p++)
			if (w->pfd[p].revents &&
			    sup->children[w->owner[p]].unit)
				collect(sup, w->owner[p], &alive);
		if (alive)
			alive = start_due(sup);
		if (alive && w->pfd[0].revents)
			serve_call(sup);
	}
	if (alive)
		stop_all_reverse(sup);
}

static void *sup_main(void *arg)
{
	pt_supervisor *sup = arg;
	struct watch w = { 0 };
	int rc = watch_fit(&w, sup->n);

	for (size_t k = 0; k < sup->n && rc == 0; k++)
		rc = pt__sv_child_start(sup, k);
	if (rc)
		stop_all_reverse(sup);
	pthread_mutex_lock(&sup->lock);
	sup->started = true;
	sup->start_rc = rc;
	pthread_cond_broadcast(&sup->cond);
	pthread_mutex_unlock(&sup->lock);
	if (rc == 0)
		supervise(sup, &w);
	free(w.pfd);
	free(w.owner);
	pthread_mutex_lock(&sup->lock);
	sup->finished = true;
	pthread_cond_broadcast(&sup->cond);
	pthread_mutex_unlock(&sup->lock);
	return NULL;
}

/* --- the API ------------------------------------------------------------- */

static int take_opts(const struct pt_supervisor_opts *opts,
		     struct pt_supervisor_opts *o)
{
	if (pt__read_sized(o, sizeof(*o), opts,
			   offsetof(struct pt_supervisor_opts, event_ctx)))
		return -EINVAL;
	if (o->strategy < PT_STRATEGY_ONE_FOR_ONE ||
	    o->strategy > PT_STRATEGY_REST_FOR_ONE)
		return -EINVAL;
	if (o->period_ms == 0)
		o->period_ms = DEFAULT_PERIOD_MS;
	if (o->backoff_max_ms == 0)
		o->backoff_max_ms = DEFAULT_BACKOFF_MAX;
	return 0;
}

static void sup_free(pt_supervisor *sup)
{
	for (size_t k = 0; k < sup->n; k++)
		if (sup->children[k].arg_len)
			free(sup->children[k].arg);
	if (sup->wake_fd >= 0)
		close(sup->wake_fd);
	pthread_mutex_destroy(&sup->lock);
	pthread_mutex_destroy(&sup->call_lock);
	pthread_cond_destroy(&sup->cond);
	free(sup->restart_ns);
	free(sup->children);
	free(sup);
}

int pt_supervisor_start(const struct pt_supervisor_opts *opts,
			const struct pt_child_spec *children, size_t n,
			pt_supervisor **out)
{
	pt_supervisor *sup;
	int rc;

	if (!opts || !children || n == 0 || !out)
		return -EINVAL;
	sup = calloc(1, sizeof(*sup));
	if (!sup)
		return -ENOMEM;
	sup->wake_fd = -1;
	pthread_mutex_init(&sup->lock, NULL);
	pthread_mutex_init(&sup->call_lock, NULL);
	{
		/* wait()'s deadline is monotonic, like every other one. */
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&sup->cond, &ca);
		pthread_condattr_destroy(&ca);
	}
	rc = take_opts(opts, &sup->opts);
	if (rc)
		goto err_free;
	sup->capacity = n;
	sup->children = calloc(n, sizeof(*sup->children));
	sup->restart_ns = calloc(sup->opts.intensity ? sup->opts.intensity : 1,
				 sizeof(uint64_t));
	if (!sup->children || !sup->restart_ns) {
		rc = -ENOMEM;
		goto err_free;
	}
	for (size_t k = 0; k < n; k++) {
		struct pt_child_spec spec;

		rc = pt__sv_spec_at(children, k, &spec);
		if (rc == 0)
			rc = pt__sv_child_take(&sup->children[k], &spec);
		sup->n = k + 1; /* so that sup_free() frees what was taken */
		if (rc)
			goto err_free;
	}
	sup->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (sup->wake_fd < 0) {
		rc = -errno;
		goto err_free;
	}
	rc = -pthread_create(&sup->thread, NULL, sup_main, sup);
	if (rc)
		goto err_free;
	pthread_mutex_lock(&sup->lock);
	while (!sup->started)
		pthread_cond_wait(&sup->cond, &sup->lock);
	rc = sup->start_rc;
	pthread_mutex_unlock(&sup->lock);
	if (rc) {
		pthread_join(sup->thread, NULL);
		goto err_free;
	}
	*out = sup;
	return 0;

err_free:
	sup_free(sup);
	return rc;
}

int pt_supervisor_wait(pt_supervisor *sup, int timeout_ms)
{
	uint64_t deadline = pt__deadline_after_ms(timeout_ms);
	struct timespec ts = {
		.tv_sec = (time_t)(deadline / 1000000000u),
		.tv_nsec = (long)(deadline % 1000000000u),
	};
	int rc = 0;

	if (!sup)
		return -EINVAL;
	pthread_mutex_lock(&sup->lock);
	while (!sup->gave_up && !sup->finished && rc == 0) {
		if (deadline == 0)
			pthread_cond_wait(&sup->cond, &sup->lock);
		else if (pthread_cond_timedwait(&sup->cond, &sup->lock, &ts) ==
			 ETIMEDOUT)
			rc = sup->gave_up || sup->finished ? 0 : -ETIMEDOUT;
	}
	pthread_mutex_unlock(&sup->lock);
	return rc;
}

int pt_supervisor_stop(pt_supervisor *sup)
{
	uint64_t one = 1;
	bool gave_up;

	if (!sup)
		return -EINVAL;
	/* The callback runs on that thread: it would join itself. */
	if (pthread_equal(pthread_self(), sup->thread))
		return -EDEADLK;
	/* call_lock: one stop joins, and no call is half-way meanwhile. */
	pthread_mutex_lock(&sup->call_lock);
	if (!sup->joined) {
		atomic_store(&sup->stopping, true);
		while (write(sup->wake_fd, &one, sizeof(one)) < 0 &&
		       errno == EINTR)
			;
		pthread_join(sup->thread, NULL);
		sup->joined = true;
	}
	pthread_mutex_unlock(&sup->call_lock);
	pthread_mutex_lock(&sup->lock);
	gave_up = sup->gave_up;
	pthread_mutex_unlock(&sup->lock);
	return gave_up ? -ECANCELED : 0;
}

void pt_supervisor_destroy(pt_supervisor *sup)
{
	if (!sup)
		return;
	pt_supervisor_stop(sup);
	sup_free(sup);
}

/* Posts cmd to the supervising thread and waits for it to be done. */
static int call(pt_supervisor *sup, struct pt__sv_cmd *cmd)
{
	uint64_t one = 1;
	int rc;

	if (!sup)
		return -EINVAL;
	/* The callback runs on that thread: it would wait for itself. */
	if (pthread_equal(pthread_self(), sup->thread))
		return -EDEADLK;
	pthread_mutex_lock(&sup->call_lock);
	pthread_mutex_lock(&sup->lock);
	if (sup->gave_up || sup->finished) {
		rc = -ESRCH;
		goto out_unlock;
	}
	sup->cmd = cmd;
	while (write(sup->wake_fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
	while (!cmd->done && !sup->finished)
		pthread_cond_wait(&sup->cond, &sup->lock);
	sup->cmd = NULL;
	rc = cmd->done ? cmd->rc : -ESRCH;
out_unlock:
	pthread_mutex_unlock(&sup->lock);
	pthread_mutex_unlock(&sup->call_lock);
	return rc;
}

int pt_supervisor_start_child(pt_supervisor *sup,
			      const struct pt_child_spec *spec, size_t *index)
{
	struct pt__sv_cmd cmd = { .op = PT__SV_START_CHILD };
	struct pt_child_spec copy;
	int rc;

	if (!spec)
		return -EINVAL;
	rc = pt__sv_spec_at(spec, 0, &copy);
	if (rc)
		return rc;
	cmd.spec = &copy;
	rc = call(sup, &cmd);
	if (rc == 0 && index)
		*index = cmd.index;
	return rc;
}

int pt_supervisor_terminate_child(pt_supervisor *sup, size_t index)
{
	struct pt__sv_cmd cmd = { .op = PT__SV_TERMINATE_CHILD,
				  .index = index };

	return call(sup, &cmd);
}

int pt_supervisor_restart_child(pt_supervisor *sup, size_t index)
{
	struct pt__sv_cmd cmd = { .op = PT__SV_RESTART_CHILD, .index = index };

	return call(sup, &cmd);
}

int pt_supervisor_delete_child(pt_supervisor *sup, size_t index)
{
	struct pt__sv_cmd cmd = { .op = PT__SV_DELETE_CHILD, .index = index };

	return call(sup, &cmd);
}

int pt_supervisor_which_children(pt_supervisor *sup,
				 struct pt_supervisor_child *list, size_t cap,
				 size_t *count)
{
	struct pt__sv_cmd cmd = { .op = PT__SV_WHICH_CHILDREN,
				  .list = list,
				  .cap = cap };
	int rc;

	if ((!list && cap) || !count)
		return -EINVAL;
	rc = call(sup, &cmd);
	if (rc == 0)
		*count = cmd.count;
	return rc;
}

int pt_supervisor_count_children(pt_supervisor *sup,
				 struct pt_supervisor_counts *counts)
{
	struct pt_supervisor_child *list = NULL;
	size_t n = 0;
	int rc;

	if (!counts)
		return -EINVAL;
	/* Two calls: the first sizes the list the second fills. */
	for (;;) {
		size_t cap = n;
		struct pt_supervisor_child *grown =
			cap ? realloc(list, cap * sizeof(*list)) : list;

		if (cap && !grown) {
			free(list);
			return -ENOMEM;
		}
		list = grown;
		rc = pt_supervisor_which_children(sup, list, cap, &n);
		if (rc || n <= cap)
			break;
	}
	if (rc == 0) {
		memset(counts, 0, sizeof(*counts));
		counts->specs = n;
		for (size_t k = 0; k < n; k++) {
			counts->running += list[k].running;
			counts->pending += list[k].pending;
		}
	}
	free(list);
	return rc;
}

uint64_t pt_supervisor_restarts(const pt_supervisor *sup)
{
	return sup ? atomic_load(&sup->restarts_total) : 0;
}
