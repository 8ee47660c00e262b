/* tasks.c - the pool suites' task bodies (tasks.h). */
#include "bench/workloads/tasks.h"

#include <string.h>

int bench_task_empty(const void *arg, size_t len, struct pt_task_out *out)
{
	(void)arg;
	(void)len;
	out->len = 0;
	return 0;
}

int bench_task_echo(const void *arg, size_t len, struct pt_task_out *out)
{
	/* Its argument is its result (pool.h): no copy of its own, as
	 * Python's echo returns the object it was given. */
	out->data = (void *)arg;
	out->len = len;
	return 0;
}
