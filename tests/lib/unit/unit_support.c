/* unit_support.c - see unit_support.h. */
#include "unit_support.h"

#include "support/test.h"
#include "support/units.h"

#include <check.h>
#include <sys/wait.h>
#include <unistd.h>

struct pt_status run_unit(enum pt_kind kind, pt_unit_fn *fn, void *arg)
{
	struct pt_unit_opts opts = PT_UNIT_OPTS(.kind = kind);
	struct pt_status st;
	pt_unit *unit = pt_test_spawn_opts(&opts, fn, arg);

	PT_ASSERT_OK(pt_unit_join(unit, -1, &st));
	pt_unit_destroy(unit);
	return st;
}

int return_42(void *arg)
{
	(void)arg;
	return 42;
}

/* Runs body in a forked child and returns its wait status: the thread cases
 * that end a whole process need a process to end. */
int in_sacrificial_process(void (*body)(void *), void *arg)
{
	int wstatus;
	pid_t pid = pt_test_fork();

	if (pid == 0) {
		body(arg);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &wstatus, 0), pid);
	return wstatus;
}
