/* procfs.h - reading the kernel's view of processes and threads from /proc,
 * for `procthread inspect` and the demos that measure their units from
 * outside. Every reader returns 0 or -errno and writes its output only on
 * success; none prints. */
#ifndef TOOL_PROCFS_PROCFS_H
#define TOOL_PROCFS_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One task's /proc/<pid>/stat or /proc/<pid>/task/<tid>/stat. CPU times and
 * the start time are in clock ticks (sysconf(_SC_CLK_TCK)). */
struct procfs_stat {
	int pid; /* the task id: the pid, or the tid for a task/ entry */
	char comm[64];
	char state; /* R, S, D, T, t, Z, X, I */
	int ppid;
	unsigned flags; /* the kernel's PF_* flags: PROCFS_PF_KTHREAD */
	uint64_t utime_ticks;
	uint64_t stime_ticks;
	long priority; /* the kernel's view: 20 + nice for normal tasks */
	long nice;
	long num_threads;
	uint64_t start_ticks; /* after boot */
	uint64_t vsize_bytes;
	uint64_t rss_pages;
	int processor; /* the CPU it last ran on */
	unsigned rt_priority;
	unsigned policy; /* SCHED_OTHER, SCHED_FIFO, ... */
};

/* One thread as `inspect` and the demos show it: from its stat line, and
 * the context switches its status counts. */
struct procfs_thread {
	int tid;
	int tgid; /* its process */
	char name[64];
	char state;
	uint64_t cpu_ns; /* user + system, tick resolution */
	int last_cpu;
	long nice;
	unsigned policy;
	uint64_t voluntary;
	uint64_t involuntary;
};

/* PF_KTHREAD (include/linux/sched.h, not exported to user space): a
 * kernel thread, with no address space of its own. */
#define PROCFS_PF_KTHREAD 0x00200000u

/* Reads thread tid of the process whose task/ directory is taskfd (e.g.
 * /proc/self/task). Returns 0, -errno of a read (-ENOENT or -ESRCH once
 * the thread is gone), or -EBADMSG. */
int procfs_thread(int taskfd, int tid, struct procfs_thread *out);

/* Reads the whole file path, relative to dirfd (AT_FDCWD: to the working
 * directory; absolute paths ignore it), into a NUL-terminated buffer the
 * caller frees. Returns 0, or -errno of the open or read (-ENOENT or -ESRCH
 * once the process is gone, -EACCES when it may not be read). */
int procfs_read(int dirfd, const char *path, char **text, size_t *len);

/* Parses a stat line; the command may hold spaces and parentheses. Returns
 * 0 or -EBADMSG. */
int procfs_parse_stat(const char *text, struct procfs_stat *out);

/* procfs_read() then procfs_parse_stat(). An empty file (a task that
 * is being torn down) is -ESRCH. */
int procfs_stat(int dirfd, const char *path, struct procfs_stat *out);

/* In a "Key:\tvalue" text (status, smaps_rollup): copies the value of key,
 * blanks trimmed, to val (cap bytes). Returns false when key is absent. */
bool procfs_field(const char *text, const char *key, char *val, size_t cap);

/* The same, for a value that starts with a decimal number ("123 kB" gives
 * 123). */
bool procfs_field_u64(const char *text, const char *key, uint64_t *out);

/* Whether a /proc directory entry is a number (a pid, a tid, a
 * descriptor), and which. */
bool procfs_number(const char *name, int *out);

/* Clock ticks to nanoseconds. */
uint64_t procfs_ticks_ns(uint64_t ticks);

/* utime + stime of one task, in nanoseconds (tick resolution). */
uint64_t procfs_cpu_ns(const struct procfs_stat *st);

#endif
