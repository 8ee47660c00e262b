/* outcome.c - a task's outcome, resolved once and waited for (see
 * outcome.h for the protocol). */
#include "pool/outcome.h"
#include "util/clock.h"
#include "util/futex.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

bool pt__outcome_claim(struct pt__outcome *o, uint32_t *was)
{
	uint32_t seen = atomic_load(&o->state);

	do {
		if (seen >= PT__OUTCOME_RESOLVING)
			return false;
	} while (!atomic_compare_exchange_weak(&o->state, &seen,
					       PT__OUTCOME_RESOLVING));
	*was = seen;
	return true;
}

void pt__outcome_publish(struct pt__outcome *o, const struct pt_result *res,
			 void *data, size_t len, bool owned, bool wake)
{
	o->result.status = res->status;
	o->result.error = res->error;
	o->result.how = res->how;
	o->result.signal = res->signal;
	o->result.exit_code = res->exit_code;
	if (res->worker_pid)
		o->result.worker_pid = res->worker_pid;
	if (res->started_ns)
		o->result.started_ns = res->started_ns;
	o->result.finished_ns =
		res->finished_ns ? res->finished_ns : pt__now_ns();
	o->buf = owned ? data : NULL;
	o->result.data = data;
	o->result.len = data ? len : 0;
	atomic_store(&o->state, PT__OUTCOME_DONE);
	if (wake)
		pt__outcome_wake(o);
}

void pt__outcome_wake(struct pt__outcome *o)
{
	if (atomic_load(&o->waiters) > 0)
		pt__futex_wake(&o->state, INT_MAX, false);
}

int pt__outcome_wait(struct pt__outcome *o, int timeout_ms,
		     struct pt_result *result)
{
	uint64_t deadline = pt__deadline_after_ms(timeout_ms);
	uint32_t seen;
	int rc = 0;

	atomic_fetch_add(&o->waiters, 1);
	while ((seen = atomic_load(&o->state)) != PT__OUTCOME_DONE) {
		uint64_t wait_ns = 0;

		if (timeout_ms >= 0) {
			uint64_t now = pt__now_ns();

			if (now >= deadline) {
				rc = -ETIMEDOUT;
				break;
			}
			wait_ns = deadline - now;
		}
		pt__futex_wait(&o->state, seen, wait_ns, false);
	}
	atomic_fetch_sub(&o->waiters, 1);
	if (rc == 0)
		*result = o->result;
	return rc;
}

bool pt__outcome_done(const struct pt__outcome *o)
{
	return atomic_load(&o->state) == PT__OUTCOME_DONE;
}

void pt__pool_stats_count(struct pt_pool_stats *stats,
			  enum pt_task_status status)
{
	switch (status) {
	case PT_TASK_OK:
		stats->ok++;
		break;
	case PT_TASK_FAILED:
		stats->failed++;
		break;
	case PT_TASK_CRASHED:
		stats->crashed++;
		break;
	case PT_TASK_TIMED_OUT:
		stats->timed_out++;
		break;
	case PT_TASK_CANCELLED:
		stats->cancelled++;
		break;
	case PT_TASK_SHUTDOWN:
		stats->shut_down++;
		break;
	case PT_TASK_NO_WORKER:
		stats->no_worker++;
		break;
	case PT_TASK_INIT_FAILED:
		/* No counter: pt_pool_stats cannot grow without breaking
		 * callers built against it; submitted minus the others is
		 * this. */
		break;
	}
}
