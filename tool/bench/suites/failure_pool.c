/* failure_pool.c - recovery in a pool, for the failure suite: how
 * long a pt_pool of process workers takes to see that a worker died under
 * a task and to have a replacement take the next one.
 *
 * N workers (N = 2..16), N-1 kept busy; a task crashes the last worker
 * (SIGSEGV). Records, kind process, params units and via=pool:
 *   detect   from the fault to the crashed task's future resolving
 *   recover  from the fault to a new task starting, which only the
 *            replacement worker can take
 * There is no thread row: a crash in a thread pool ends the program; the
 * thread figure to compare with is recover via=new-process
 * (failure.c).
 */
#include "bench/suites/failure.h"

#include <procthread/error.h>
#include <procthread/pool.h>

#include <errno.h>
#include <string.h>

#define WAIT_MS 30000

/* --- recovery in a pool -----------------------------------------------------
 */

struct pool_page {
	_Alignas(64) atomic_ullong crash_ns;
	_Alignas(64) atomic_uint busy;
	_Alignas(64) atomic_uint release;
};

/* Tasks get the page's address as their argument bytes: the pool's
 * workers are forked directly here (no fork-server runs), so the mapping
 * is at the same address in each. */
static struct pool_page *page_of(const void *arg, size_t len)
{
	uintptr_t addr = 0;

	if (len == sizeof(addr))
		memcpy(&addr, arg, sizeof(addr));
	return (struct pool_page *)addr;
}

static int pool_busy_task(const void *arg, size_t len, struct pt_task_out *out)
{
	struct pool_page *pg = page_of(arg, len);

	(void)out;
	if (!pg)
		return 1;
	failure_bump(&pg->busy);
	while (!atomic_load(&pg->release))
		failure_nap(&pg->release, 20);
	return 0;
}

static int pool_crash_task(const void *arg, size_t len, struct pt_task_out *out)
{
	struct pool_page *pg = page_of(arg, len);

	(void)out;
	if (!pg)
		return 1;
	failure_crash(FAILURE_SEGV, &pg->crash_ns);
}

static int pool_noop_task(const void *arg, size_t len, struct pt_task_out *out)
{
	(void)arg;
	(void)len;
	(void)out;
	return 0;
}

/* N process workers, N-1 kept busy; a task crashes the last one. detect:
 * until the crashed task's future resolved; recover: until a new task
 * started, which only the replacement worker can take. */
static int recover_pool_once(int n, struct pool_page *pg, double *detect,
			     double *recover)
{
	struct pt_pool_opts opts =
		PT_POOL_OPTS(.kind = PT_KIND_PROCESS, .workers = (unsigned)n,
			     .name = "pt-recover");
	pt_future *futures[FAILURE_MAX_UNITS + 1] = { 0 };
	uintptr_t addr = (uintptr_t)pg;
	struct pt_result res = { 0 };
	pt_pool *pool;
	int rc;

	rc = pt_pool_create(&opts, &pool);
	if (rc)
		return rc;
	for (int i = 0; i < n - 1 && !rc; i++)
		rc = pt_pool_submit(pool, pool_busy_task, &addr, sizeof(addr),
				    &futures[i]);
	if (!rc)
		rc = failure_await(&pg->busy, (unsigned)n - 1, WAIT_MS);
	if (!rc)
		rc = pt_pool_submit(pool, pool_crash_task, &addr, sizeof(addr),
				    &futures[n - 1]);
	if (!rc)
		rc = pt_future_wait(futures[n - 1], WAIT_MS, &res);
	if (!rc && res.status != PT_TASK_CRASHED)
		rc = -EIO;
	if (!rc) {
		*detect =
			(double)(res.finished_ns - atomic_load(&pg->crash_ns));
		rc = pt_pool_submit(pool, pool_noop_task, NULL, 0, &futures[n]);
	}
	if (!rc)
		rc = pt_future_wait(futures[n], WAIT_MS, &res);
	if (!rc && res.status != PT_TASK_OK)
		rc = -EIO;
	if (!rc)
		*recover =
			(double)(res.started_ns - atomic_load(&pg->crash_ns));
	failure_set(&pg->release);
	pt_pool_shutdown(pool, PT_POOL_SHUTDOWN_CANCEL, WAIT_MS);
	for (int i = 0; i <= n; i++)
		pt_future_destroy(futures[i]);
	pt_pool_destroy(pool);
	return rc;
}

int failure_pool_cases(struct bench_ctx *ctx)
{
	struct pool_page *pg = failure_share(sizeof(*pg));
	unsigned reps = failure_reps(ctx);
	double detect[FAILURE_MAX_REPS], recover[FAILURE_MAX_REPS];
	const int *ns;
	size_t count = failure_unit_counts(ctx, &ns);
	int rc = 0;

	if (!pg)
		return -ENOMEM;
	for (size_t i = 0; i < count && !rc; i++) {
		const struct bench_param params[] = {
			BENCH_INT("units", ns[i]),
			BENCH_STR("via", "pool"),
		};
		struct bench_case c = {
			.kind = BENCH_PROCESS,
			BENCH_PARAMS(params),
		};

		bench_progress(ctx, "recovery in a pool");
		for (unsigned r = 0; r < reps && !rc; r++) {
			memset(pg, 0, sizeof(*pg));
			rc = recover_pool_once(ns[i], pg, &detect[r],
					       &recover[r]);
		}
		if (rc)
			break;
		c.name = "detect";
		rc |= bench_emit(ctx, &c, detect, reps);
		c.name = "recover";
		rc |= bench_emit(ctx, &c, recover, reps);
	}
	failure_unshare(pg, sizeof(*pg));
	if (rc)
		bench_note(ctx, "failure: recovery in a pool: %s",
			   pt_strerror(rc));
	return rc;
}
