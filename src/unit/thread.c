/* thread.c - the thread backend of units.
 *
 * The unit's function runs on a new pthread. Its end - a return or a
 * pthread_exit() - runs one cleanup handler that measures the thread's own
 * resource usage (RUSAGE_THREAD, only readable from inside the thread) and
 * then signals the unit's eventfd; after that write the thread touches
 * nothing of the unit, and the joiner still pthread_join()s it so the unit
 * outlives the thread. A crash or exit() in the function ends the whole
 * process: there is nothing to classify, which is the point of the kind.
 */
#include "unit/unit_internal.h"
#include "util/clock.h"
#include "util/fd.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

static void thread_finish(void *arg)
{
	pt_unit *unit = arg;
	struct rusage ru;
	uint64_t one = 1;

	unit->end_ns = pt__now_ns();
	if (getrusage(RUSAGE_THREAD, &ru) == 0) {
		unit->thread_usage.user_ns =
			pt__timeval_ns(ru.ru_utime.tv_sec, ru.ru_utime.tv_usec);
		unit->thread_usage.system_ns =
			pt__timeval_ns(ru.ru_stime.tv_sec, ru.ru_stime.tv_usec);
		unit->thread_usage.maxrss_bytes = (uint64_t)ru.ru_maxrss * 1024;
		unit->thread_usage.voluntary_switches = (uint64_t)ru.ru_nvcsw;
		unit->thread_usage.involuntary_switches =
			(uint64_t)ru.ru_nivcsw;
	}
	pt__unit_self = NULL;
	/* Cannot fail short of a bad descriptor: the counter never nears
	 * its maximum with one write per unit. */
	while (write(unit->fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

static void *thread_main(void *arg)
{
	pt_unit *unit = arg;
	int code;

	unit->tid = gettid();
	pt__unit_self = unit->shared;
	if (unit->name[0])
		pthread_setname_np(pthread_self(), unit->name);
	pthread_cleanup_push(thread_finish, unit);
	code = unit->fn(unit->arg);
	unit->shared->code = code;
	atomic_store(&unit->shared->returned, 1);
	pthread_cleanup_pop(1);
	return (void *)(intptr_t)code;
}

static int set_attr(pthread_attr_t *attr, const struct pt_unit_opts *opts)
{
	cpu_set_t cpus;
	int rc;

	if (opts->stack_bytes) {
		if (opts->stack_bytes < (size_t)PTHREAD_STACK_MIN)
			return -EINVAL;
		rc = pthread_attr_setstacksize(attr, opts->stack_bytes);
		if (rc)
			return -rc;
	}
	if (opts->cpu_mask) {
		CPU_ZERO(&cpus);
		for (int cpu = 0; cpu < 64; cpu++)
			if (opts->cpu_mask & ((uint64_t)1 << cpu))
				CPU_SET(cpu, &cpus);
		rc = pthread_attr_setaffinity_np(attr, sizeof(cpus), &cpus);
		if (rc)
			return -rc;
	}
	return 0;
}

/* A thread's block is plain memory: the function runs in this process. */
static int thread_map(pt_unit *unit, const struct pt_unit_opts *opts,
		      const void *arg)
{
	(void)opts;
	(void)arg;
	unit->shared = calloc(1, unit->shared_bytes);
	return unit->shared ? 0 : -ENOMEM;
}

static void thread_unmap(pt_unit *unit)
{
	free(unit->shared);
	unit->shared = NULL;
}

static int thread_spawn(pt_unit *unit, const struct pt_unit_opts *opts)
{
	pthread_attr_t attr;
	int rc;

	rc = pthread_attr_init(&attr);
	if (rc)
		return -rc;
	rc = set_attr(&attr, opts);
	if (rc)
		goto out_attr;
	unit->fd = eventfd(0, EFD_CLOEXEC);
	if (unit->fd < 0) {
		rc = -errno;
		goto out_attr;
	}
	rc = -pthread_create(&unit->thread, &attr, thread_main, unit);
	if (rc) {
		close(unit->fd);
		unit->fd = -1;
		goto out_attr;
	}
	unit->thread_started = true;
out_attr:
	pthread_attr_destroy(&attr);
	return rc;
}

static int thread_wait(pt_unit *unit, uint64_t until_ns)
{
	int rc;

	if (!unit->thread_started)
		return 1;
	/* With a deadline, wait for the eventfd the thread writes as its
	 * last act; then the join below returns at once. */
	if (until_ns) {
		rc = pt__wait_readable(unit->fd, pt__ms_until(until_ns));
		if (rc <= 0)
			return rc;
	}
	rc = pthread_join(unit->thread, &unit->thread_retval);
	if (rc)
		return -rc;
	unit->thread_started = false;
	return 1;
}

static int thread_reap(pt_unit *unit)
{
	struct pt_status *st = &unit->status;
	void *retval = unit->thread_retval;

	st->usage = unit->thread_usage;
	st->usage.wall_ns = unit->end_ns - unit->spawn_ns;
	st->pid = getpid();
	st->tid = unit->tid;
	st->signal = 0;
	if (atomic_load(&unit->shared->returned)) {
		st->how = PT_EXIT_RETURNED;
		st->code = unit->shared->code;
	} else {
		st->how = PT_EXIT_EXITED;
		st->code =
			retval == PTHREAD_CANCELED ? -1 : (int)(intptr_t)retval;
	}
	if (unit->deadline_hit)
		st->how = PT_EXIT_TIMED_OUT;
	return 0;
}

static void thread_abandon(pt_unit *unit)
{
	if (unit->thread_started) {
		/* A thread cannot be stopped from outside without leaving its
		 * process in an unknown state: ask, then wait. */
		atomic_store(&unit->shared->cancelled, 1);
		pthread_join(unit->thread, NULL);
	}
	if (unit->fd >= 0)
		close(unit->fd);
	unit->fd = -1;
}

static int thread_pid(const pt_unit *unit)
{
	(void)unit;
	return getpid();
}

/* No signal: a thread cannot be stopped from outside without leaving its
 * process in an unknown state, and no sandbox: it shares the process's. */
const struct pt__unit_ops pt__thread_unit_ops = {
	.map = thread_map,
	.spawn = thread_spawn,
	.wait = thread_wait,
	.reap = thread_reap,
	.abandon = thread_abandon,
	.unmap = thread_unmap,
	.signal = NULL,
	.pid = thread_pid,
	.sandboxed = false,
};
