/* threads.c - reads each thread of a process for `procthread
 * inspect --threads`: what the kernel keeps per task (state, CPU time, last
 * CPU, context switches, nice, policy) and the thread's own stack.
 *
 * A thread's stack is not labelled in the maps of a process (only the main
 * thread's "[stack]" is), so it is found from the stack pointer the kernel
 * shows in task/<tid>/syscall while the thread waits in a system call:
 * the mapping that holds that pointer is its stack. A running thread, or a
 * process this user may not trace, shows none.
 */
#include "inspect/inspect.h"
#include "procfs/procfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The mapping holding addr, or NULL. */
static const struct inspect_map *map_of(const struct inspect *in, uint64_t addr)
{
	for (size_t i = 0; i < in->nmaps; i++)
		if (addr >= in->maps[i].start && addr < in->maps[i].end)
			return &in->maps[i];
	return NULL;
}

/* A thread's stack: the main thread's is the "[stack]" mapping; another
 * thread's is found from the stack pointer in its syscall file, readable
 * by whoever may trace it while it waits in the kernel. */
static void find_stack(int taskfd, const struct inspect *in,
		       struct inspect_thread *th)
{
	const struct inspect_map *m = NULL;
	char path[40], *text = NULL, *sp, *end;
	unsigned long long addr;

	if (th->task.tid == in->pid) {
		for (size_t i = 0; i < in->nmaps && !m; i++)
			if (!strcmp(in->maps[i].path, "[stack]"))
				m = &in->maps[i];
	} else {
		snprintf(path, sizeof(path), "%d/syscall", th->task.tid);
		if (procfs_read(taskfd, path, &text, NULL))
			return;
		/* "nr args... sp pc", "-1 sp pc", or "running". */
		sp = strrchr(text, ' ');
		if (sp) {
			*sp = 0;
			sp = strrchr(text, ' ');
		}
		if (sp) {
			addr = strtoull(sp + 1, &end, 16);
			if (end != sp + 1)
				m = map_of(in, addr);
		}
		free(text);
	}
	if (m) {
		th->stack_start = m->start;
		th->stack_end = m->end;
	}
}

/* Reads one thread. Returns 1 when it ended meanwhile, 0, or -errno. */
static int read_thread(int taskfd, int tid, const struct inspect *in,
		       struct inspect_thread *th)
{
	int rc = procfs_thread(taskfd, tid, &th->task);

	if (rc == -ENOENT || rc == -ESRCH)
		return 1;
	if (rc)
		return rc;
	find_stack(taskfd, in, th);
	return 0;
}

int inspect_read_threads(int dirfd, struct inspect *in)
{
	int taskfd = openat(dirfd, "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	size_t cap = 0;
	struct dirent *de;
	DIR *dir;
	int rc = 0;

	if (taskfd < 0)
		return -errno;
	dir = fdopendir(taskfd);
	if (!dir) {
		close(taskfd);
		return -errno;
	}
	/* cppcheck-suppress readdirCalled ; one stream, one thread */
	while ((de = readdir(dir))) {
		int tid;

		if (!procfs_number(de->d_name, &tid))
			continue;
		if (in->nthreads_read == cap) {
			struct inspect_thread *more;

			cap = cap ? cap * 2 : 16;
			more = realloc(in->threads, cap * sizeof(*more));
			if (!more) {
				rc = -ENOMEM;
				break;
			}
			in->threads = more;
		}
		memset(&in->threads[in->nthreads_read], 0,
		       sizeof(in->threads[0]));
		rc = read_thread(taskfd, tid, in,
				 &in->threads[in->nthreads_read]);
		if (rc < 0)
			break;
		if (rc == 0)
			in->nthreads_read++;
		rc = 0;
	}
	closedir(dir);
	return rc;
}

const char *inspect_state_name(char state)
{
	switch (state) {
	case 'R':
		return "running";
	case 'S':
		return "sleeping";
	case 'D':
		return "waiting on I/O";
	case 'T':
		return "stopped";
	case 't':
		return "stopped by a tracer";
	case 'Z':
		return "zombie";
	case 'X':
		return "dead";
	case 'I':
		return "idle";
	}
	return "unknown";
}

const char *inspect_policy_name(unsigned policy)
{
	static const char *const names[] = {
		"SCHED_OTHER", "SCHED_FIFO", "SCHED_RR",       "SCHED_BATCH",
		"SCHED_ISO",   "SCHED_IDLE", "SCHED_DEADLINE", "SCHED_EXT",
	};

	return policy < sizeof(names) / sizeof(names[0]) ? names[policy]
							 : "unknown";
}
