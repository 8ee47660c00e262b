/* pool_support.h - what the pool's test programs share: memory
 * shared with the workers (a fixture maps it around each test), tasks, and
 * calls that fail the test when the pool refuses. */
#ifndef PT_TEST_POOL_SUPPORT_H
#define PT_TEST_POOL_SUPPORT_H

#include <procthread.h>

#include <stdatomic.h>
#include <stddef.h>

struct shared {
	atomic_int gate; /* tasks that wait do so until it is non-zero */
	atomic_int waiting;
	atomic_int runs;
	atomic_int init_gate; /* gated initializers wait likewise */
	atomic_int init_runs; /* initializers that started */
};

/* Mapped by setup(), unmapped by teardown(): the checked fixture. */
extern struct shared *sh;

void setup(void);
void teardown(void);

/* Tasks: echo returns its argument; fail_with returns the int it is given;
 * gated counts itself in sh->waiting and waits for sh->gate (7 when
 * cancelled); report_worker returns its worker's thread id; until_cancelled
 * counts itself and returns 5 once cancelled; crash_abort aborts;
 * overclaim claims a result longer than its room. */
int echo(const void *arg, size_t len, struct pt_task_out *out);
int fail_with(const void *arg, size_t len, struct pt_task_out *out);
int gated(const void *arg, size_t len, struct pt_task_out *out);
int report_worker(const void *arg, size_t len, struct pt_task_out *out);
int until_cancelled(const void *arg, size_t len, struct pt_task_out *out);
int crash_abort(const void *arg, size_t len, struct pt_task_out *out);
int overclaim(const void *arg, size_t len, struct pt_task_out *out);
/* Sleeps the uint32_t milliseconds it is given (-1 without them). */
int nap_ms(const void *arg, size_t len, struct pt_task_out *out);

/* Initializers that count themselves in sh->init_runs and wait for
 * sh->init_gate, then succeed, fail with 42 (CPython's init_fail()), or
 * abort. */
int init_ok_gated(const void *arg, size_t len);
int init_fail_gated(const void *arg, size_t len);
int init_crash_gated(const void *arg, size_t len);

/* Fail the test when the pool refuses; await_waiting(n) until n tasks
 * wait (10 s at most). */
pt_pool *pool_or_fail(struct pt_pool_opts opts);
pt_future *submit_or_fail(pt_pool *pool, pt_task_fn *fn, const void *arg,
			  size_t len);
struct pt_result wait_or_fail(pt_future *f);
void await_waiting(int n);

#endif
