/* crash_on_load.c - a task library whose constructor crashes: loading it
 * runs that code, and `procthread try` must say so in one line instead of
 * dying with it (tests/cli/try.sh). */
#include <procthread/pool.h>

#include <signal.h>

int never_task(const void *arg, size_t len, struct pt_task_out *out);

__attribute__((constructor)) static void crash_when_loaded(void)
{
	raise(SIGSEGV);
}

int never_task(const void *arg, size_t len, struct pt_task_out *out)
{
	(void)arg;
	(void)len;
	(void)out;
	return 0;
}
