/* registry.c - a pool's table of named tasks (opts.tasks): checked once at
 * create, then looked up by name (pt_pool_submit_name()) or by function
 * (the MPI backend, where a task travels as its index). */
#include "pool/pool_internal.h"

#include <errno.h>
#include <string.h>

int pt__pool_registry_check(const struct pt_pool_task *tasks, size_t n)
{
	if (n && !tasks)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		size_t len;

		if (!tasks[i].name || !tasks[i].fn)
			return -EINVAL;
		len = strnlen(tasks[i].name, PT_POOL_TASK_NAME_MAX + 1);
		if (len == 0 || len > PT_POOL_TASK_NAME_MAX)
			return -EINVAL;
		for (size_t j = 0; j < i; j++)
			if (strcmp(tasks[i].name, tasks[j].name) == 0)
				return -EINVAL;
	}
	return 0;
}

/* cppcheck-suppress constParameter ; pt_task_fn is a function type */
int pt__pool_registry_find_fn(pt_task_fn *fn, const struct pt_pool_task *tasks,
			      size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (tasks[i].fn == fn)
			return (int)i;
	return -ENOENT;
}

int pt__pool_registry_find_name(const struct pt_pool_task *tasks, size_t n,
				const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(tasks[i].name, name) == 0)
			return (int)i;
	return -ENOENT;
}
