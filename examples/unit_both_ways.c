/* unit_both_ways.c - one function run as a thread and then as a process.
 *
 * Everything that changes with the kind, in one program:
 * - a thread writes the caller's memory; a process writes its own copy, so
 *   its answer has to come back as result bytes (pt_unit_set_result());
 * - a unit that overruns its deadline: a thread can only be asked to stop
 *   (it notices, and returns), a process is killed.
 *
 * Build (after `make install`):
 *   cc unit_both_ways.c $(pkg-config --cflags --libs procthread)
 * It prints, for each kind, what the caller saw; the test suite runs it and
 * checks those lines (tests/cli/examples.sh).
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep(), strsignal() under -std=c11 */
#include <procthread.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

struct job {
	long n;	  /* in: add up 1..n */
	long sum; /* out: written in place by the unit */
};

static long calls; /* how many times sum_to ran, as this memory sees it */

static int sum_to(void *arg)
{
	struct job *job = arg;
	long sum = 0;

	for (long i = 1; i <= job->n; i++)
		sum += i;
	job->sum = sum;
	calls++;
	/* The way back that works for both kinds. */
	return pt_unit_set_result(&sum, sizeof(sum)) ? 1 : 0;
}

/* Runs until asked to stop; only a thread ever gets to return. */
static int wait_for_cancel(void *arg)
{
	const struct timespec tick = { .tv_nsec = 1000000 };

	(void)arg;
	while (!pt_cancelled())
		nanosleep(&tick, NULL);
	return 7;
}

/* Starts fn(arg) and waits for its end: 0 with *unit (to destroy) and
 * *st, or 1 after saying what failed. */
static int spawn_and_join(const struct pt_unit_opts *opts, pt_unit_fn *fn,
			  void *arg, pt_unit **unit, struct pt_status *st)
{
	int err = pt_unit_spawn(opts, fn, arg, unit);

	if (err) {
		fprintf(stderr, "spawn: %s\n", pt_strerror(err));
		return 1;
	}
	err = pt_unit_join(*unit, -1, st);
	if (err) {
		fprintf(stderr, "join: %s\n", pt_strerror(err));
		pt_unit_destroy(*unit);
		return 1;
	}
	return 0;
}

static int run_job(enum pt_kind kind)
{
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = kind, .name = "sum_to",
			     .result_capacity = sizeof(long));
	struct job job = { .n = 1000, .sum = 0 };
	struct pt_status st;
	const void *res;
	pt_unit *unit;
	long answer = 0;
	size_t len = 0;

	calls = 0;
	if (spawn_and_join(&opts, sum_to, &job, &unit, &st))
		return 1;
	res = pt_unit_result(unit, &len);
	if (res && len == sizeof(answer))
		memcpy(&answer, res, sizeof(answer));
	printf("%s: %s with code %d; job.sum in my memory = %ld, "
	       "calls = %ld, result bytes = %ld\n",
	       pt_kind_name(kind), pt_exit_name(st.how), st.code, job.sum,
	       calls, answer);
	printf("%s: pid %d tid %d, %" PRIu64 " us wall, %" PRIu64
	       " KiB peak RSS of its process\n",
	       pt_kind_name(kind), st.pid, st.tid, st.usage.wall_ns / 1000,
	       st.usage.maxrss_bytes >> 10);
	pt_unit_destroy(unit);
	return 0;
}

static int run_overrun(enum pt_kind kind)
{
	struct pt_unit_opts opts = PT_UNIT_OPTS(.kind = kind, .timeout_ms = 50);
	struct pt_status st;
	pt_unit *unit;

	if (spawn_and_join(&opts, wait_for_cancel, NULL, &unit, &st))
		return 1;
	if (kind == PT_KIND_THREAD)
		printf("%s past its deadline: %s, returned %d after it was "
		       "asked to stop\n",
		       pt_kind_name(kind), pt_exit_name(st.how), st.code);
	else
		printf("%s past its deadline: %s, killed by signal %d (%s)\n",
		       pt_kind_name(kind), pt_exit_name(st.how), st.signal,
		       strsignal(st.signal));
	pt_unit_destroy(unit);
	return 0;
}

int main(void)
{
	for (enum pt_kind k = PT_KIND_THREAD; k <= PT_KIND_PROCESS; k++)
		if (run_job(k))
			return 1;
	for (enum pt_kind k = PT_KIND_THREAD; k <= PT_KIND_PROCESS; k++)
		if (run_overrun(k))
			return 1;
	return 0;
}
