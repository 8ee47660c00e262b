/* try_tasks.c - task libraries for tests/cli/try.sh: one task per path
 * through `procthread try` that the examples do not take. Each is a
 * pt_task_fn, as a user would write it. */
#include <procthread/pool.h>

#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

int echo_task(const void *arg, size_t len, struct pt_task_out *out);
int fail_task(const void *arg, size_t len, struct pt_task_out *out);
int crash_every_20th_task(const void *arg, size_t len, struct pt_task_out *out);
int hang_task(const void *arg, size_t len, struct pt_task_out *out);
int exit_task(const void *arg, size_t len, struct pt_task_out *out);
int init_fails(const void *arg, size_t len);
int init_opens(const void *arg, size_t len);
int needs_init_task(const void *arg, size_t len, struct pt_task_out *out);

static _Atomic unsigned calls;
static _Atomic int opened;

static bool starts(const void *arg, size_t len, const char *word)
{
	return len >= strlen(word) && !memcmp(arg, word, strlen(word));
}

/* Hands its argument back, up to the room it has. */
int echo_task(const void *arg, size_t len, struct pt_task_out *out)
{
	out->len = len < out->cap ? len : out->cap;
	memcpy(out->data, arg, out->len);
	return 0;
}

/* Fails with code 7 on an argument that starts with "fail". */
int fail_task(const void *arg, size_t len, struct pt_task_out *out)
{
	(void)out;
	return starts(arg, len, "fail") ? 7 : 0;
}

/* Crashes on every 20th call in its process: a bug that shows up now and
 * then whatever the input, so no input can be set aside for it. */
int crash_every_20th_task(const void *arg, size_t len, struct pt_task_out *out)
{
	(void)arg;
	(void)len;
	(void)out;
	if (atomic_fetch_add(&calls, 1) % 20 == 19)
		raise(SIGSEGV);
	return 0;
}

/* Never returns on an argument that starts with "hang", and never looks
 * at pt_cancelled(): the task a deadline exists for. */
int hang_task(const void *arg, size_t len, struct pt_task_out *out)
{
	(void)out;
	if (starts(arg, len, "hang"))
		for (;;)
			atomic_fetch_add(&calls, 1);
	return 0;
}

/* Calls exit(3) on an argument that starts with "exit": a library that
 * gives up on bad input the way a command-line program would. */
int exit_task(const void *arg, size_t len, struct pt_task_out *out)
{
	(void)out;
	if (starts(arg, len, "exit"))
		exit(3);
	return 0;
}

int init_fails(const void *arg, size_t len)
{
	(void)arg;
	(void)len;
	return 3;
}

int init_opens(const void *arg, size_t len)
{
	(void)arg;
	(void)len;
	opened = 1;
	return 0;
}

/* Fails with 9 unless init_opens ran in its worker first. */
int needs_init_task(const void *arg, size_t len, struct pt_task_out *out)
{
	(void)arg;
	(void)len;
	(void)out;
	return opened ? 0 : 9;
}
