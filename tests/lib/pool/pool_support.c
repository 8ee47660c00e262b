/* pool_support.c - see pool_support.h. */
#include "pool_support.h"

#include "support/test.h"
#include "support/kinds.h"
#include "support/ledger.h"

#include "support/units.h"

#include <check.h>
#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct shared *sh;

void setup(void)
{
	sh = pt_test_map_shared(sizeof(*sh));
}

void teardown(void)
{
	pt_test_unmap_shared(sh, sizeof(*sh));
}

/* --- tasks -----------------------------------------------------------------
 */

int echo(const void *arg, size_t len, struct pt_task_out *out)
{
	memcpy(out->data, arg, len);
	out->len = len;
	return 0;
}

int fail_with(const void *arg, size_t len, struct pt_task_out *out)
{
	int code;

	(void)out;
	if (len != sizeof(code))
		return -1;
	memcpy(&code, arg, sizeof(code));
	return code;
}

int gated(const void *arg, size_t len, struct pt_task_out *out)
{
	(void)arg;
	(void)len;
	(void)out;
	atomic_fetch_add(&sh->waiting, 1);
	while (!atomic_load(&sh->gate) && !pt_cancelled())
		usleep(500);
	return pt_cancelled() ? 7 : 0;
}

int report_worker(const void *arg, size_t len, struct pt_task_out *out)
{
	/* The thread id: one per thread worker, equal to the pid for a
	 * worker process. */
	pid_t id = gettid();

	(void)arg;
	(void)len;
	memcpy(out->data, &id, sizeof(id));
	out->len = sizeof(id);
	return 0;
}

int until_cancelled(const void *arg, size_t len, struct pt_task_out *out)
{
	(void)arg;
	(void)len;
	(void)out;
	atomic_fetch_add(&sh->waiting, 1);
	while (!pt_cancelled())
		usleep(500);
	return 5;
}

/* --- helpers -----------------------------------------------------------------
 */

pt_pool *pool_or_fail(struct pt_pool_opts opts)
{
	pt_pool *pool = NULL;
	int rc = pt_pool_create(&opts, &pool);

	ck_assert_msg(rc == 0, "create: %s", pt_strerror(rc));
	return pool;
}

pt_future *submit_or_fail(pt_pool *pool, pt_task_fn *fn, const void *arg,
			  size_t len)
{
	pt_future *f = NULL;
	int rc = pt_pool_submit(pool, fn, arg, len, &f);

	ck_assert_msg(rc == 0, "submit: %s", pt_strerror(rc));
	return f;
}

struct pt_result wait_or_fail(pt_future *f)
{
	struct pt_result r;

	PT_ASSERT_OK(pt_future_wait(f, 60000, &r));
	return r;
}

void await_waiting(int n)
{
	uint64_t end = pt_test_now_ns() + 10000000000u;

	while (atomic_load(&sh->waiting) < n) {
		ck_assert_msg(pt_test_now_ns() < end, "tasks never started");
		usleep(500);
	}
}

int crash_abort(const void *arg, size_t len, struct pt_task_out *out)
{
	(void)arg;
	(void)len;
	(void)out;
	abort();
}

/* Claims a result longer than the room it was given. */
int overclaim(const void *arg, size_t len, struct pt_task_out *out)
{
	(void)arg;
	(void)len;
	memset(out->data, 'x', out->cap);
	out->len = out->cap + 1;
	return 0;
}

int nap_ms(const void *arg, size_t len, struct pt_task_out *out)
{
	struct timespec ts = { 0, 0 };
	uint32_t ms;

	(void)out;
	if (len != sizeof(ms))
		return -1;
	memcpy(&ms, arg, sizeof(ms));
	ts.tv_nsec = (long)ms * 1000000L;
	nanosleep(&ts, NULL);
	return 0;
}

/* The gate every gated initializer waits at. */
static void init_gate(void)
{
	atomic_fetch_add(&sh->init_runs, 1);
	while (!atomic_load(&sh->init_gate))
		usleep(500);
}

int init_ok_gated(const void *arg, size_t len)
{
	(void)arg;
	(void)len;
	init_gate();
	return 0;
}

int init_fail_gated(const void *arg, size_t len)
{
	(void)arg;
	(void)len;
	init_gate();
	return 42;
}

int init_crash_gated(const void *arg, size_t len)
{
	(void)arg;
	(void)len;
	init_gate();
	abort();
}
