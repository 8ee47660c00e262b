/* outcome.h - how a submitted task ends: resolved exactly once, waited
 * for by any number of threads. A pool's future (future.c) embeds one,
 * whatever the backend that runs its task.
 *
 * Several parties may try to resolve - the worker with its result, a
 * watcher at the deadline, a cancel, a shutdown - so resolving is two
 * steps: pt__outcome_claim(), a compare-and-swap of the state from QUEUED
 * or TAKEN to RESOLVING that exactly one caller wins, and then, by the
 * winner only, pt__outcome_publish(). Losers drop what they had.
 *
 * Waiting is a futex on the state word, with a count of waiters so that a
 * resolution nobody waits for costs no system call. The waiter announces
 * itself before it loads the state, the resolver publishes before it loads
 * the count (both sequentially consistent), so one of them sees the other.
 */
#ifndef PT_POOL_OUTCOME_H
#define PT_POOL_OUTCOME_H

#include <procthread/pool.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The state word's values, in the order a task goes through them. */
enum {
	PT__OUTCOME_QUEUED = 0,
	PT__OUTCOME_TAKEN,     /* running on a worker, or sent to a rank */
	PT__OUTCOME_RESOLVING, /* a resolver won and is writing the result */
	PT__OUTCOME_DONE,
};

struct pt__outcome {
	_Atomic uint32_t state; /* also the futex word of waiters */
	atomic_int waiters;
	/* Written by the pool while the task is unresolved (attempts, pid,
	 * times), then by the resolver; read by waiters after DONE. */
	struct pt_result result;
	void *buf; /* the result bytes when owned (not in place), or NULL */
};

/* True for the one caller that moves o from QUEUED or TAKEN to RESOLVING;
 * *was gets the state it had. False when another resolver came first. */
bool pt__outcome_claim(struct pt__outcome *o, uint32_t *was);

/* After a won claim: writes res's status, error, how, signal and exit
 * code, its worker pid and start time when set (the pool's otherwise), the
 * finish time (now when res has none) and the result bytes (data; kept in
 * o->buf when owned, for whoever frees the outcome), publishes DONE and,
 * with wake, wakes the waiters; without, the caller must call
 * pt__outcome_wake() next, while o lives. */
void pt__outcome_publish(struct pt__outcome *o, const struct pt_result *res,
			 void *data, size_t len, bool owned, bool wake);
void pt__outcome_wake(struct pt__outcome *o);

/* Waits until o is DONE, at most timeout_ms (< 0: no limit), and copies
 * the result out. Returns 0 or -ETIMEDOUT. */
int pt__outcome_wait(struct pt__outcome *o, int timeout_ms,
		     struct pt_result *result);

bool pt__outcome_done(const struct pt__outcome *o);

/* Counts a resolution of this status in the pool's statistics. */
void pt__pool_stats_count(struct pt_pool_stats *stats,
			  enum pt_task_status status);

#endif
