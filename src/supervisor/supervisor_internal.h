/* supervisor_internal.h - the supervisor's state, shared by supervisor.c
 * (the API and the supervising loop) and child.c (starting and stopping one
 * child, and reporting events). */
#ifndef PT_SUPERVISOR_INTERNAL_H
#define PT_SUPERVISOR_INTERNAL_H

#include <procthread/supervisor.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct pt__sv_child {
	char name[32];
	pt_unit_fn *fn;
	void *arg; /* the supervisor's copy when arg_len, else borrowed */
	size_t arg_len;
	enum pt_kind kind;
	enum pt_restart restart;
	uint32_t shutdown_ms;

	/* A child is running (unit set), pending (to be started at
	 * start_at_ns), stopped (neither: a transient child that ended
	 * normally, or one terminated by pt_supervisor_terminate_child(); a
	 * group restart starts it again), or deleted (its spec is gone: a
	 * temporary child that ended or was stopped, or one deleted by
	 * pt_supervisor_delete_child(); its index is never reused). */
	pt_unit *unit;
	bool pending;
	uint64_t start_at_ns;
	bool deleted;
};

/* A call on a running supervisor, carried out by its thread (which alone
 * touches the children) while the caller waits. */
enum pt__sv_op {
	PT__SV_START_CHILD = 1,
	PT__SV_TERMINATE_CHILD,
	PT__SV_RESTART_CHILD,
	PT__SV_DELETE_CHILD,
	PT__SV_WHICH_CHILDREN,
};

struct pt__sv_cmd {
	enum pt__sv_op op;
	size_t index;			  /* in: the child; START: out */
	const struct pt_child_spec *spec; /* START */
	struct pt_supervisor_child *list; /* WHICH: up to cap entries */
	size_t cap;
	size_t count; /* WHICH: children with a spec */
	int rc;
	bool done;
};

struct pt_supervisor {
	struct pt_supervisor_opts opts; /* defaults filled in */
	struct pt__sv_child *children;
	size_t n;	 /* entries used, deleted ones included */
	size_t capacity; /* entries allocated */

	pthread_t thread;
	int wake_fd; /* eventfd: stop() rings it */
	atomic_bool stopping;

	/* Recent restart times, oldest first, for the budget. */
	uint64_t *restart_ns;
	size_t nrestart;
	atomic_uint_least64_t restarts_total;

	/* Written by the supervising thread, read by start(), wait() and
	 * stop() under lock. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool started; /* the initial starts are done */
	int start_rc; /* and their outcome */
	bool gave_up;
	bool finished;		   /* the thread has stopped every child */
	struct pt__sv_cmd *cmd;	   /* the call waiting for the thread */
	pthread_mutex_t call_lock; /* one call at a time */
	bool joined; /* stop() joined the thread; under call_lock */
};

/* Reads specs[k] of a caller whose struct pt_child_spec was specs[0].size
 * bytes into *out, zeros past what the caller's struct has. Returns 0, or
 * -EINVAL for a size below the first struct's or one that differs from
 * specs[0]'s. */
int pt__sv_spec_at(const struct pt_child_spec *specs, size_t k,
		   struct pt_child_spec *out);

/* Fills c from spec s (copying the name and the argument bytes). Returns 0
 * or -EINVAL, -ENOMEM. */
int pt__sv_child_take(struct pt__sv_child *c, const struct pt_child_spec *s);

/* Starts child i (a fresh unit), reporting STARTED or START_FAILED.
 * Returns 0 or the spawn's -errno. */
int pt__sv_child_start(pt_supervisor *sup, size_t i);

/* Stops child i if it runs, within its shutdown timeout, reporting
 * STOPPED; clears a pending start. */
void pt__sv_child_stop(pt_supervisor *sup, size_t i);

/* Reports an event to the callback, filling in child, name and time. */
void pt__sv_emit(pt_supervisor *sup, struct pt_supervisor_event *ev, size_t i);

/* True when a unit's end counts as normal: a return or exit with 0. */
bool pt__sv_normal_end(const struct pt_status *status);

#endif
