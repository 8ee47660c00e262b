/* procthread/supervisor.h - keep long-running units alive, by Erlang's rules.
 *
 * A supervisor starts a list of children (each a unit: a thread or a
 * process), watches them from a thread of its own, and restarts them by
 * policy when they end. The vocabulary is Erlang/OTP's:
 * - a child's restart type says when it comes back: PERMANENT always,
 *   TRANSIENT only after an abnormal end, TEMPORARY never;
 * - the strategy says who comes back with it: ONE_FOR_ONE only the child,
 *   ONE_FOR_ALL every child, REST_FOR_ONE the child and those started
 *   after it; the others are first stopped in reverse order;
 * - the restart budget: at most `intensity` restarts in `period_ms`; one
 *   more and the supervisor gives up, stops every child in reverse order
 *   and reports it (PT_SUPERVISOR_GAVE_UP); an intensity of 0 allows none;
 * - a group restart (ONE_FOR_ALL, REST_FOR_ONE) starts every child of the
 *   group that has a spec, including a transient child that had ended
 *   normally; a temporary child is never restarted, not even when a
 *   sibling's death stopped it: its spec is deleted then, as when it ends;
 * - children start in order and stop in reverse order, each with its
 *   shutdown timeout: a process gets SIGTERM, then SIGKILL once the
 *   timeout passes (0: SIGKILL at once); a thread is asked to stop
 *   (pt_cancelled()) and, since a thread cannot be killed, waited for.
 *
 * A normal end is a return (or exit) with code 0; anything else - another
 * code, a signal, a crash, a deadline - is abnormal. A thread child that
 * crashes takes the whole process with it, supervisor included: only
 * process children survive their own crashes. That is the point of the
 * kind, not a limitation of the supervisor.
 *
 * All calls return 0 or a negative errno value; see procthread/error.h.
 */
#ifndef PROCTHREAD_SUPERVISOR_H
#define PROCTHREAD_SUPERVISOR_H

#include <procthread/common.h>
#include <procthread/unit.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pt_supervisor pt_supervisor; /* made by pt_supervisor_start() */

enum pt_restart {
	PT_RESTART_PERMANENT = 1, /* always restarted */
	PT_RESTART_TRANSIENT,	  /* restarted after an abnormal end only */
	PT_RESTART_TEMPORARY,	  /* never restarted */
};

enum pt_strategy {
	PT_STRATEGY_ONE_FOR_ONE = 1, /* restart the child that ended */
	PT_STRATEGY_ONE_FOR_ALL,     /* stop all others, restart all */
	PT_STRATEGY_REST_FOR_ONE, /* stop those after it, restart it and them */
};

struct pt_child_spec {
	size_t size;	  /* set by PT_CHILD_SPEC(), so the struct can grow */
	const char *name; /* copied; shown in events and by ps(1) */
	pt_unit_fn *fn;
	/* The argument. With arg_len, its bytes are copied and every start
	 * of the child gets the supervisor's copy (a process: its own copy).
	 * Without, the pointer is passed as is and must outlive the
	 * supervisor. */
	const void *arg;
	size_t arg_len;
	/* A process child leads a process group of its own
	 * (PT_UNIT_GROUP_OWN, procthread/unit.h): what it forks ends with
	 * it, and its kill(0, sig) does not reach the supervisor's process. */
	enum pt_kind kind;
	enum pt_restart restart;
	/* How long a stop waits for the child after SIGTERM (processes) or
	 * cancellation (threads). Processes: 0 kills with SIGKILL at once.
	 * Threads: waited for beyond it; the event says it overran. */
	uint32_t shutdown_ms;
};
/* A spec with its size set: PT_CHILD_SPEC(.name = "db", .fn = serve, ...).
 * An array of specs is read with the stride its first element's size says,
 * so every element must come from the same struct definition. */
#define PT_CHILD_SPEC(...)                                                     \
	((struct pt_child_spec){ .size = sizeof(struct pt_child_spec),         \
				 __VA_ARGS__ })

enum pt_supervisor_event_type {
	PT_SUPERVISOR_CHILD_STARTED = 1,  /* pid set */
	PT_SUPERVISOR_CHILD_START_FAILED, /* error set; counts as abnormal */
	PT_SUPERVISOR_CHILD_EXITED,	  /* ended on its own: status */
	PT_SUPERVISOR_CHILD_STOPPED,	  /* stopped by the supervisor: status;
					     overran: shutdown_ms passed */
	PT_SUPERVISOR_CHILD_RESTARTING,	  /* delay_ms before it starts */
	PT_SUPERVISOR_GAVE_UP, /* the budget is spent; all children stopped */
};

struct pt_supervisor_event {
	enum pt_supervisor_event_type type;
	size_t child;	  /* index in the spec list */
	const char *name; /* the child's name; valid during the callback */
	int pid;	  /* STARTED: the child's pid (thread: ours) */
	int error;	  /* START_FAILED: the spawn's -errno */
	bool abnormal;	  /* EXITED: not a return/exit with code 0 */
	bool overran;	  /* STOPPED: outlived its shutdown_ms */
	struct pt_status status; /* EXITED, STOPPED: as pt_unit_join() */
	uint32_t delay_ms;	 /* RESTARTING: back-off before the start */
	uint32_t restarts;	 /* restarts within the current period */
	uint64_t time_ns;	 /* CLOCK_MONOTONIC */
};

/* Called on the supervisor's thread for every event, in order. It must not
 * call pt_supervisor_stop() or pt_supervisor_destroy() on its own
 * supervisor, and should return
 * quickly: restarts wait for it. */
typedef void pt_supervisor_event_fn(const struct pt_supervisor_event *event,
				    void *ctx);

struct pt_supervisor_opts {
	size_t size; /* set by PT_SUPERVISOR_OPTS() */
	enum pt_strategy strategy;
	/* The budget: at most intensity restarts within period_ms (0: the
	 * default period, 5000 ms). intensity 0 means never restart: the
	 * first child that would be restarted makes the supervisor give up.
	 * Erlang's default is intensity 1, period 5000 ms. */
	uint32_t intensity;
	uint32_t period_ms;
	/* Exponential back-off: the n-th restart within the period waits
	 * backoff_ms * 2^(n-1), at most backoff_max_ms (0: no cap below
	 * 60 s). 0: restart at once. */
	uint32_t backoff_ms;
	uint32_t backoff_max_ms;
	pt_supervisor_event_fn *on_event; /* NULL: none */
	void *event_ctx;
};
#define PT_SUPERVISOR_OPTS(...)                                                \
	((struct pt_supervisor_opts){                                          \
		.size = sizeof(struct pt_supervisor_opts), __VA_ARGS__ })

/* Starts children[0..n) in order, then a thread that supervises them.
 * Returns 0 and sets *out; -EINVAL for NULL arguments, n of 0, an unknown
 * strategy, kind or restart type, a child without fn, a spec whose size
 * is smaller than the first struct pt_child_spec's or differs from the
 * first spec's; the first failing child's spawn error, after the children
 * started before it were stopped in reverse order (their events reported);
 * -ENOMEM, -EAGAIN. The specs are copied. The caller owns *out: it stops
 * the supervisor with pt_supervisor_stop() and frees it with
 * pt_supervisor_destroy(). Thread-safe. */
PT_API int pt_supervisor_start(const struct pt_supervisor_opts *opts,
			       const struct pt_child_spec *children, size_t n,
			       pt_supervisor **out);

/* Waits up to timeout_ms (-1: forever) for the supervisor to give up or
 * be stopped. Returns 0 once it has (every child is stopped), -ETIMEDOUT
 * while it still supervises, -EINVAL for NULL. Thread-safe. */
PT_API int pt_supervisor_wait(pt_supervisor *sup, int timeout_ms);

/* Stops every child still running in reverse order, each within its
 * shutdown timeout, and ends the supervising thread (also in the middle of
 * a restart loop or back-off). The supervisor stays the caller's until
 * pt_supervisor_destroy(); the calls below return -ESRCH on it from then
 * on. Returns 0, also when stopped before; -ECANCELED when the supervisor
 * had given up (its children were already stopped); -EINVAL for NULL;
 * -EDEADLK from the event callback. Thread-safe. */
PT_API int pt_supervisor_stop(pt_supervisor *sup);

/* Stops the supervisor as pt_supervisor_stop() does, if it was not, and
 * frees it. NULL does nothing. Not thread-safe: no other call may be in
 * flight on sup, or follow; never from the event callback. */
PT_API void pt_supervisor_destroy(pt_supervisor *sup);

/* --- a running supervisor's children, as OTP's supervisor module offers.
 * A child is named by its index: its position in the spec list given to
 * pt_supervisor_start(), then in the order pt_supervisor_start_child()
 * added it. An index is never reused, not even after its spec is deleted.
 * These calls are carried out by the supervising thread and wait for it.
 * Each returns -EINVAL for a NULL argument, -ESRCH once the supervisor has
 * given up, -EDEADLK from the event callback (which runs on that thread).
 * Thread-safe, but not concurrently with pt_supervisor_destroy(). */

/* Adds a child at the end of the list and starts it (OTP start_child).
 * Returns 0 and sets *index (when not NULL); -EEXIST when a child with a
 * spec has the same non-empty name; -EINVAL for a bad spec; the spawn's
 * error, and then the child is not added. The spec is copied. Thread-safe,
 * but not concurrently with pt_supervisor_destroy() on the same supervisor. */
PT_API int pt_supervisor_start_child(pt_supervisor *sup,
				     const struct pt_child_spec *spec,
				     size_t *index);

/* Stops the child within its shutdown timeout, keeping its spec so that
 * pt_supervisor_restart_child() or a group restart can start it again; a
 * temporary child's spec is deleted (OTP terminate_child). Stopping a child
 * that is not running is not an error. Returns 0; -ENOENT for an index
 * with no spec. Thread-safe, but not concurrently with
 * pt_supervisor_destroy() on the same supervisor. */
PT_API int pt_supervisor_terminate_child(pt_supervisor *sup, size_t index);

/* Starts a child that has a spec and is not running (OTP restart_child);
 * it does not count against the budget. Returns 0; -EBUSY while it runs;
 * -ENOENT for an index with no spec; the spawn's error. Thread-safe, but
 * not concurrently with pt_supervisor_destroy() on the same supervisor. */
PT_API int pt_supervisor_restart_child(pt_supervisor *sup, size_t index);

/* Deletes the spec of a child that is not running (OTP delete_child).
 * Returns 0; -EBUSY while it runs or waits to be restarted; -ENOENT for an
 * index with no spec. Thread-safe, but not concurrently with
 * pt_supervisor_destroy() on the same supervisor. */
PT_API int pt_supervisor_delete_child(pt_supervisor *sup, size_t index);

/* One child, as pt_supervisor_which_children() reports it. */
struct pt_supervisor_child {
	size_t index;
	char name[32];
	enum pt_kind kind;
	enum pt_restart restart;
	bool running; /* pid is valid */
	bool pending; /* to be restarted after its back-off */
	int pid;      /* the process's, or ours for a thread; 0 when none */
};

/* Lists the children that have a spec, in order, into list[0..cap), and
 * sets *count to how many there are (which may exceed cap: call again with
 * more room). Returns 0. list stays the caller's. Thread-safe, but not
 * concurrently with pt_supervisor_destroy() on the same supervisor. */
PT_API int pt_supervisor_which_children(pt_supervisor *sup,
					struct pt_supervisor_child *list,
					size_t cap, size_t *count);

struct pt_supervisor_counts {
	size_t specs;	/* children with a spec */
	size_t running; /* of them, running now */
	size_t pending; /* of them, waiting to be restarted */
};

/* Counts the children (OTP count_children). Returns 0 and fills *counts;
 * -ENOMEM. Thread-safe, but not concurrently with pt_supervisor_destroy()
 * on the same supervisor. */
PT_API int pt_supervisor_count_children(pt_supervisor *sup,
					struct pt_supervisor_counts *counts);

/* Restarts made so far, over the supervisor's whole life; 0 for NULL.
 * Thread-safe, but not concurrently with pt_supervisor_destroy() on the
 * same supervisor. */
PT_API uint64_t pt_supervisor_restarts(const pt_supervisor *sup);

/* "one_for_one", "one_for_all", "rest_for_one"; "unknown" otherwise. A
 * static string. Thread-safe and async-signal-safe. */
PT_API const char *pt_strategy_name(enum pt_strategy strategy);

/* "permanent", "transient", "temporary"; "unknown" otherwise. A static
 * string. Thread-safe and async-signal-safe. */
PT_API const char *pt_restart_name(enum pt_restart restart);

/* "started", "start-failed", "exited", "stopped", "restarting",
 * "gave-up"; "unknown" otherwise. A static string. Thread-safe and
 * async-signal-safe. */
PT_API const char *pt_supervisor_event_name(enum pt_supervisor_event_type type);

#ifdef __cplusplus
}
#endif

#endif /* PROCTHREAD_SUPERVISOR_H */
