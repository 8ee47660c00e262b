/* forkserver.c - ending the fork-server from outside, as a fault. */
#include "support/forkserver.h"

#include <procthread/forkserver.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int pt_test_comm_is(int pid, const char *name)
{
	char path[64];
	char comm[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = 0;
	fclose(f);
	return strncmp(comm, name, strlen(name)) == 0;
}

static int twin_of(int server)
{
	char path[64];
	FILE *f;
	int child;
	int twin = 0;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", server,
		 server);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (!twin && fscanf(f, "%d", &child) == 1)
		if (pt_test_comm_is(child, "pt-fs-standby"))
			twin = child;
	fclose(f);
	return twin;
}

int pt_test_forkserver_twin(void)
{
	int server = pt_forkserver_pid();
	int twin = 0;

	for (int i = 0; server > 0 && i < 10000 && !twin; i++) {
		twin = twin_of(server);
		if (!twin)
			nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
	return twin;
}

static int await_end(int pid)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
	int rc;

	if (pidfd < 0)
		return errno == ESRCH ? 0 : -errno;
	rc = poll(&pfd, 1, 10000) == 1 ? 0 : -ETIMEDOUT;
	close(pidfd);
	return rc;
}

int pt_test_kill_forkserver_for_good(void)
{
	int server = pt_forkserver_pid();
	int twin = pt_test_forkserver_twin();
	int rc;

	if (server <= 0)
		return server;
	/* Stopped, it cannot fork another twin while this one dies. */
	if (kill(server, SIGSTOP) < 0)
		return -errno;
	if (twin > 0 && kill(twin, SIGKILL) < 0)
		return -errno;
	if (kill(server, SIGKILL) < 0)
		return -errno;
	rc = twin > 0 ? await_end(twin) : 0;
	return rc ? rc : await_end(server);
}
