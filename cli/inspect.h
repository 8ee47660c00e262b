/* inspect.h - `procthread inspect`: a process's control block as the kernel
 * keeps it, read from /proc by inspect_read.c into struct pt_inspect, then
 * printed as text or JSON by inspect.c. Nothing is printed until all of it
 * was read. */
#ifndef PT_CLI_INSPECT_H
#define PT_CLI_INSPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What to read beyond the control block itself. */
struct pt_inspect_want {
	bool threads; /* every thread's own state */
	bool maps;    /* every mapping */
	bool fds;     /* every descriptor's target */
};

struct pt_inspect_limit {
	char name[32]; /* "Max open files" */
	char soft[24]; /* a number or "unlimited" */
	char hard[24];
	char units[16]; /* "files", "bytes", or "" */
};

struct pt_inspect_thread {
	int tid;
	char name[64];
	char state;
	uint64_t cpu_ns;
	int last_cpu;
	uint64_t voluntary;
	uint64_t involuntary;
	long nice;
	unsigned policy;
	/* Its stack: the mapping holding its stack pointer (0, 0 when the
	 * pointer could not be read: a running thread, or no permission). */
	uint64_t stack_start;
	uint64_t stack_end;
};

struct pt_inspect_map {
	uint64_t start;
	uint64_t end;
	char perms[5];
	uint64_t offset;
	char *path; /* "" for anonymous memory; owned */
};

struct pt_inspect_fd {
	int fd;
	char *target; /* what readlink says; owned */
};

struct pt_inspect {
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
	struct pt_inspect_limit limits[24];
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
	struct pt_inspect_thread *threads; /* want.threads: nthreads_read */
	size_t nthreads_read;
	struct pt_inspect_map *maps; /* want.maps */
	size_t nmaps;
	struct pt_inspect_fd *fds; /* want.fds */
	size_t nfds_read;
};

/* Why reading failed, for a message that says so. */
enum pt_inspect_why {
	PT_INSPECT_NO_PROCESS = 1, /* there is no such pid */
	PT_INSPECT_A_THREAD,	   /* the pid is a thread; detail: its tgid */
	PT_INSPECT_ENDED,	   /* a zombie, or it ended during the read */
	PT_INSPECT_DENIED,	   /* the user may not read a file */
	PT_INSPECT_KERNEL_THREAD,  /* no address space; file: its name */
	PT_INSPECT_OTHER,	   /* any other error: errno in detail */
};

struct pt_inspect_error {
	enum pt_inspect_why why;
	int detail;	/* a tgid, or an errno value */
	char file[32];	/* the /proc/<pid>/ file that failed, if one did */
	unsigned owner; /* PT_INSPECT_DENIED: the process's uid */
};
#define PT_INSPECT_OWNER_UNKNOWN 0xffffffffu

/* Reads everything want asks for about pid into *out (zeroed first).
 * Returns 0, or -1 with *err filled and *out left empty. The result is
 * freed with pt_inspect_free(). */
int pt_inspect_read(int pid, const struct pt_inspect_want *want,
		    struct pt_inspect *out, struct pt_inspect_error *err);
void pt_inspect_free(struct pt_inspect *in);

/* inspect_threads.c: reads every thread below the process directory dirfd
 * into in->threads, finding stacks in in->maps. A thread that ends during
 * the read is left out. Returns 0 or -errno. */
int pt_inspect_read_threads(int dirfd, struct pt_inspect *in);

/* "running", "sleeping", ... for a state letter; policy names. */
const char *pt_inspect_state_name(char state);
const char *pt_inspect_policy_name(unsigned policy);

#endif
