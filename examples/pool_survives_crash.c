/* pool_survives_crash.c - a process pool that loses one task, not itself.
 *
 * Twenty tasks go to a pool of two worker processes; one of them crashes
 * (a write to a page it may not touch: SIGSEGV). The crashed task's future
 * says exactly what happened, the worker is replaced, and the other
 * nineteen tasks come back with their results. Then more tasks run on the
 * same pool, to show it is not broken.
 *
 * The same task in a thread pool would take the whole program down: a
 * thread shares its process's fate. That is why this pool's kind is
 * PT_KIND_PROCESS; switching the kind is the only change a program needs.
 *
 * Build (after `make install`):
 *   cc pool_survives_crash.c $(pkg-config --cflags --libs procthread)
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS under -std=c11 */
#include <procthread.h>

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define TASKS	 20
#define BAD_TASK 7
#define MORE	 5

/* Squares its argument; task BAD_TASK crashes instead. */
static int square(const void *arg, size_t len, struct pt_task_out *out)
{
	uint64_t n;

	if (len != sizeof(n))
		return 1;
	memcpy(&n, arg, sizeof(n));
	if (n == BAD_TASK) {
		volatile char *page = mmap(NULL, 4096, PROT_NONE,
					   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		page[0] = 1; /* SIGSEGV: this worker process ends here */
	}
	n *= n;
	memcpy(out->data, &n, sizeof(n));
	out->len = sizeof(n);
	return 0;
}

/* Submits tasks first..first+count, waits for each; returns how many came
 * back right, and reports any other outcome. */
static unsigned run_tasks(pt_pool *pool, uint64_t first, unsigned count)
{
	pt_future *futures[TASKS];
	unsigned ok = 0;

	for (unsigned i = 0; i < count; i++) {
		uint64_t n = first + i;
		int err = pt_pool_submit(pool, square, &n, sizeof(n),
					 &futures[i]);

		if (err) {
			fprintf(stderr, "submit: %s\n", pt_strerror(err));
			count = i;
			break;
		}
	}
	for (unsigned i = 0; i < count; i++) {
		struct pt_result r;
		uint64_t n = first + i, sq = 0;

		if (pt_future_wait(futures[i], -1, &r)) {
			fprintf(stderr, "wait failed\n");
		} else if (r.status == PT_TASK_OK && r.len == sizeof(sq)) {
			memcpy(&sq, r.data, sizeof(sq));
			ok += sq == n * n;
		} else {
			printf("task %llu: %s (%s, signal %d: %s) in worker "
			       "process %d\n",
			       (unsigned long long)n,
			       pt_task_status_name(r.status),
			       pt_exit_name(r.how), r.signal,
			       strsignal(r.signal), r.worker_pid);
		}
		pt_future_destroy(futures[i]);
	}
	return ok;
}

int main(void)
{
	struct pt_pool_opts opts = PT_POOL_OPTS(.kind = PT_KIND_PROCESS,
						.workers = 2, .name = "square");
	struct pt_pool_stats st;
	unsigned ok, more;
	pt_pool *pool;
	int err;

	err = pt_pool_create(&opts, &pool);
	if (err) {
		fprintf(stderr, "pool: %s\n", pt_strerror(err));
		return 1;
	}
	ok = run_tasks(pool, 0, TASKS);
	printf("%u of %d tasks came back right\n", ok, TASKS);
	more = run_tasks(pool, 100, MORE);
	printf("afterwards, %u of %d more tasks came back right\n", more, MORE);
	if (!pt_pool_get_stats(pool, &st))
		printf("pool: %llu ok, %llu crashed, %llu worker replaced\n",
		       (unsigned long long)st.ok,
		       (unsigned long long)st.crashed,
		       (unsigned long long)st.restarts);
	pt_pool_shutdown(pool, PT_POOL_SHUTDOWN_DRAIN, -1);
	pt_pool_destroy(pool);
	return ok == TASKS - 1 && more == MORE ? 0 : 1;
}
