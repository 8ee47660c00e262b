/* inspect.h - `procthread inspect`: a process's control block as the kernel
 * keeps it, read from /proc by read.c into struct inspect, then
 * printed as text or JSON by inspect.c. Nothing is printed until all of it
 * was read. */
#ifndef TOOL_INSPECT_INSPECT_H
#define TOOL_INSPECT_INSPECT_H

#include "cli/cli.h"
#include "procfs/procfs.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What to read beyond the control block itself. */
struct inspect_want {
	bool threads; /* every thread's own state */
	bool maps;    /* every mapping */
	bool fds;     /* every descriptor's target */
};

struct inspect_limit {
	char name[32]; /* "Max open files" */
	char soft[24]; /* a number or "unlimited" */
	char hard[24];
	char units[16]; /* "files", "bytes", or "" */
};

struct inspect_thread {
	struct procfs_thread task;
	/* Its stack: the mapping holding its stack pointer (0, 0 when the
	 * pointer could not be read: a running thread, or no permission). */
	uint64_t stack_start;
	uint64_t stack_end;
};

struct inspect_map {
	uint64_t start;
	uint64_t end;
	char perms[5];
	uint64_t offset;
	char *path; /* "" for anonymous memory; owned */
};

struct inspect_fd {
	int fd;
	char *target; /* what readlink says; owned */
};

struct inspect {
	int pid;
	int ppid;
	char parent_comm[64]; /* "" when the parent could not be read */
	char state;
	char comm[64];
	char *cmdline; /* arguments joined by spaces; owned */
	unsigned uid, euid, gid, egid;
	int64_t start_epoch_s; /* wall clock */
	double elapsed_s;
	uint64_t user_ns;
	uint64_t system_ns;
	long priority;
	long nice;
	unsigned policy;
	unsigned rt_priority;
	char cpus_allowed[128]; /* "0-3,8" */
	struct inspect_limit limits[24];
	size_t nlimits;
	struct {
		uint64_t virtual_bytes, resident_bytes;
		uint64_t anon_bytes, file_bytes, shmem_bytes;
		uint64_t pss_bytes, shared_bytes, private_bytes, swap_bytes;
	} mem;
	size_t nmaps_total; /* mappings, counted even without want.maps */
	size_t nfds;	    /* open descriptors */
	char *cgroup;	    /* one line per hierarchy; owned */
	long nthreads;	    /* the kernel's count */
	struct inspect_thread *threads; /* want.threads: nthreads_read */
	size_t nthreads_read;
	struct inspect_map *maps; /* want.maps */
	size_t nmaps;
	struct inspect_fd *fds; /* want.fds */
	size_t nfds_read;
};

/* Why reading failed, for a message that says so. */
enum inspect_why {
	INSPECT_NO_PROCESS = 1, /* there is no such pid */
	INSPECT_A_THREAD,	/* the pid is a thread; detail: its tgid */
	INSPECT_ENDED,		/* a zombie, or it ended during the read */
	INSPECT_DENIED,		/* the user may not read a file */
	INSPECT_KERNEL_THREAD,	/* no address space; file: its name */
	INSPECT_OTHER,		/* any other error: errno in detail */
};

struct inspect_error {
	enum inspect_why why;
	int detail;	/* a tgid, or an errno value */
	char file[32];	/* the /proc/<pid>/ file that failed, if one did */
	unsigned owner; /* INSPECT_DENIED: the process's uid */
};
#define INSPECT_OWNER_UNKNOWN 0xffffffffu

/* Reads everything want asks for about pid into *out (zeroed first).
 * Returns 0, or -1 with *err filled and *out left empty. The result is
 * freed with inspect_free(). */
int inspect_read(int pid, const struct inspect_want *want, struct inspect *out,
		 struct inspect_error *err);
void inspect_free(struct inspect *in);

/* threads.c: reads every thread below the process directory dirfd
 * into in->threads, finding stacks in in->maps. A thread that ends during
 * the read is left out. Returns 0 or -errno. */
int inspect_read_threads(int dirfd, struct inspect *in);

/* "running", "sleeping", ... for a state letter; policy names. */
const char *inspect_state_name(char state);
const char *inspect_policy_name(unsigned policy);

/* The command, listed in the table of main/commands.c. */
extern const struct cli_command cli_inspect;

#endif
