/* pool_tasks.c - the pool suites' task bodies (pool_tasks.h). */
#include "bench/pool_tasks.h"

#include <string.h>

int pt_bench_task_empty(const void *arg, size_t len, struct pt_task_out *out)
{
	(void)arg;
	(void)len;
	out->len = 0;
	return 0;
}

int pt_bench_task_echo(const void *arg, size_t len, struct pt_task_out *out)
{
	memcpy(out->data, arg, len);
	out->len = len;
	return 0;
}
