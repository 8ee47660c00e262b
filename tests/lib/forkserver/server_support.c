/* server_support.c - starting, stopping and watching the fork-server from
 * the fork-server's test programs. */
#include "server_support.h"

#include "support/test.h"
#include "support/forkserver.h"
#include "support/ledger.h"
#include "support/units.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <poll.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

void server_up(void)
{
	int rc = pt_forkserver_start();

	ck_assert_msg(rc == 0, "start: %s", pt_strerror(rc));
}

void server_down(void)
{
	int rc = pt_forkserver_stop();

	ck_assert_msg(rc == 0, "stop: %s", pt_strerror(rc));
}

/* Children of server pid not yet reaped by it, less its standby twin;
 * *twin (when not NULL) gets the twin's pid, or 0. */
int children_of(int pid, int *twin)
{
	char path[64];
	FILE *f;
	int n = 0;
	int child;

	if (twin)
		*twin = 0;
	ck_assert_int_gt(pid, 0);
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, pid);
	f = fopen(path, "re");
	ck_assert_ptr_nonnull(f);
	while (fscanf(f, "%d", &child) == 1) {
		if (pt_test_comm_is(child, "pt-fs-standby")) {
			if (twin)
				*twin = child;
			continue;
		}
		n++;
	}
	fclose(f);
	return n;
}

/* The twin of server pid, once it has named itself (it is forked as the
 * server starts, and names itself first thing). */
int twin_of(int pid)
{
	int twin = 0;

	for (int i = 0; i < 10000 && !twin; i++) {
		children_of(pid, &twin);
		if (!twin)
			usleep(1000);
	}
	ck_assert_int_gt(twin, 0);
	return twin;
}

int server_children(void)
{
	return children_of(pt_forkserver_pid(), NULL);
}

/* Waits until pid (not yet reaped) has ended. */
void await_end(int pid)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

	ck_assert_int_ge(pidfd, 0);
	ck_assert_int_eq(poll(&pfd, 1, 10000), 1);
	close(pidfd);
}

struct pt_status join_destroy(pt_unit *unit)
{
	struct pt_status st;

	PT_ASSERT_OK(pt_unit_join(unit, 10000, &st));
	pt_unit_destroy(unit);
	return st;
}

/* --- units both programs run ------------------------------------------ */

void *idle_thread(void *arg)
{
	(void)arg;
	pause();
	return NULL;
}

int echo_arg(void *arg)
{
	const char *msg = arg;

	if (!msg)
		return 99;
	return pt_unit_set_result(msg, strlen(msg) + 1);
}

int exit_0(void *arg)
{
	(void)arg;
	return 0;
}
