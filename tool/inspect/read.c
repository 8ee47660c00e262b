/* read.c - reads one process's control block from /proc.
 *
 * The process is pinned twice before anything is read: a pidfd (which
 * becomes readable the moment the process ends) and a descriptor of its
 * /proc/<pid> directory (through which every file is opened, so a recycled
 * pid can never slip another process's files in; once the process is
 * reaped, opening through it fails). After the last file the pidfd and the
 * start time are checked again: a process that ended while it was read,
 * even if it is still a zombie, gives an error and no result.
 *
 * A thread that ends during the read is not an error: threads come and go,
 * and the list holds the ones that existed through it.
 */
#include "inspect/inspect.h"
#include "procfs/procfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Descriptors this reader holds on the process, left out of its
 * descriptor list when it inspects itself. */
struct target {
	int pid;
	int dirfd;
	int pidfd; /* -1 where pidfd_open() is unavailable */
	uint64_t start_ticks;
	struct inspect_error *err;
};

/* Records why a read failed; returns -1 for `return fail(...)`. */
static int fail(struct target *t, const char *file, int rc)
{
	struct inspect_error *err = t->err;

	snprintf(err->file, sizeof(err->file), "%s", file);
	err->detail = -rc;
	if (rc == -ENOENT || rc == -ESRCH)
		err->why = INSPECT_ENDED; /* it was there a moment ago */
	else if (rc == -EACCES || rc == -EPERM)
		err->why = INSPECT_DENIED;
	else
		err->why = INSPECT_OTHER;
	return -1;
}

static int read_file(struct target *t, const char *file, char **text)
{
	int rc = procfs_read(t->dirfd, file, text, NULL);

	return rc ? fail(t, file, rc) : 0;
}

/* --- opening the process ---------------------------------------------- */

/* Why pidfd_open() refused pid: no such process, or a thread's id. */
static void classify_missing(int pid, struct inspect_error *err)
{
	char path[64], *status = NULL;
	uint64_t tgid;

	err->why = INSPECT_NO_PROCESS;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (procfs_read(AT_FDCWD, path, &status, NULL))
		return;
	if (procfs_field_u64(status, "Tgid", &tgid) && tgid != (uint64_t)pid) {
		err->why = INSPECT_A_THREAD;
		err->detail = (int)tgid;
	}
	free(status);
}

static int open_target(struct target *t)
{
	char path[32];

	t->pidfd = (int)syscall(SYS_pidfd_open, t->pid, 0);
	if (t->pidfd < 0 && errno != ENOSYS) {
		classify_missing(t->pid, t->err);
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/%d", t->pid);
	t->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t->dirfd < 0) {
		if (errno == ENOENT)
			t->err->why = INSPECT_NO_PROCESS;
		else
			fail(t, "", -errno);
		return -1;
	}
	return 0;
}

static bool still_there(struct target *t)
{
	struct pollfd pfd = { .fd = t->pidfd, .events = POLLIN };
	struct procfs_stat st;

	if (t->pidfd >= 0 && poll(&pfd, 1, 0) != 0)
		return false;
	return !procfs_stat(t->dirfd, "stat", &st) &&
	       st.start_ticks == t->start_ticks && st.state != 'Z' &&
	       st.state != 'X';
}

/* --- the control block ------------------------------------------------ */

static double boottime_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int read_stat(struct target *t, struct inspect *in)
{
	struct procfs_stat st;
	char path[64], *comm = NULL;
	int rc = procfs_stat(t->dirfd, "stat", &st);

	if (rc)
		return fail(t, "stat", rc);
	if (st.state == 'Z' || st.state == 'X') {
		t->err->why = INSPECT_ENDED;
		t->err->detail = st.ppid;
		return -1;
	}
	/* Its memory, command line and descriptors are not there to read:
	 * without this, the first of them to fail reads as "it ended". */
	if (st.flags & PROCFS_PF_KTHREAD) {
		t->err->why = INSPECT_KERNEL_THREAD;
		t->err->detail = st.ppid;
		snprintf(t->err->file, sizeof(t->err->file), "%.31s", st.comm);
		return -1;
	}
	t->start_ticks = st.start_ticks;
	in->ppid = st.ppid;
	in->state = st.state;
	snprintf(in->comm, sizeof(in->comm), "%s", st.comm);
	in->user_ns = procfs_ticks_ns(st.utime_ticks);
	in->system_ns = procfs_ticks_ns(st.stime_ticks);
	in->priority = st.priority;
	in->nice = st.nice;
	in->policy = st.policy;
	in->rt_priority = st.rt_priority;
	in->nthreads = st.num_threads;
	in->elapsed_s =
		boottime_s() - (double)procfs_ticks_ns(st.start_ticks) / 1e9;
	in->start_epoch_s = (int64_t)((double)time(NULL) - in->elapsed_s);
	/* The parent's name is a courtesy: it may be gone already. */
	snprintf(path, sizeof(path), "/proc/%d/comm", st.ppid);
	if (st.ppid > 0 && !procfs_read(AT_FDCWD, path, &comm, NULL)) {
		comm[strcspn(comm, "\n")] = 0;
		snprintf(in->parent_comm, sizeof(in->parent_comm), "%s", comm);
		free(comm);
	}
	return 0;
}

/* "Uid:	real	effective	saved	filesystem" */
static bool ids(const char *status, const char *key, unsigned *real,
		unsigned *effective)
{
	char val[128], *end, *end2;
	unsigned long r, e;

	if (!procfs_field(status, key, val, sizeof(val)))
		return false;
	r = strtoul(val, &end, 10);
	e = strtoul(end, &end2, 10);
	if (end == val || end2 == end)
		return false;
	*real = (unsigned)r;
	*effective = (unsigned)e;
	return true;
}

static int read_status(struct target *t, struct inspect *in)
{
	uint64_t kb[6] = { 0 };
	static const char *const keys[6] = { "VmSize",	"VmRSS",    "RssAnon",
					     "RssFile", "RssShmem", "VmSwap" };
	char *status = NULL;
	bool ok;

	if (read_file(t, "status", &status))
		return -1;
	ok = ids(status, "Uid", &in->uid, &in->euid) &&
	     ids(status, "Gid", &in->gid, &in->egid) &&
	     procfs_field(status, "Cpus_allowed_list", in->cpus_allowed,
			  sizeof(in->cpus_allowed));
	/* Kernel threads have no memory lines: zeros are right there. */
	for (int i = 0; i < 6; i++)
		procfs_field_u64(status, keys[i], &kb[i]);
	free(status);
	if (!ok)
		return fail(t, "status", -EBADMSG);
	in->mem.virtual_bytes = kb[0] * 1024;
	in->mem.resident_bytes = kb[1] * 1024;
	in->mem.anon_bytes = kb[2] * 1024;
	in->mem.file_bytes = kb[3] * 1024;
	in->mem.shmem_bytes = kb[4] * 1024;
	in->mem.swap_bytes = kb[5] * 1024;
	t->err->owner = in->uid;
	return 0;
}

static int read_cmdline(struct target *t, struct inspect *in)
{
	size_t len = 0;
	int rc = procfs_read(t->dirfd, "cmdline", &in->cmdline, &len);

	if (rc)
		return fail(t, "cmdline", rc);
	/* Arguments end with NULs: join them with spaces. */
	while (len && in->cmdline[len - 1] == 0)
		len--;
	for (size_t i = 0; i < len; i++)
		if (in->cmdline[i] == 0)
			in->cmdline[i] = ' ';
	in->cmdline[len] = 0;
	return 0;
}

/* /proc/<pid>/limits: a header, then "%-25s %-20s %-20s %-10s" lines. */
static int read_limits(struct target *t, struct inspect *in)
{
	char *text = NULL, *line, *next;

	if (read_file(t, "limits", &text))
		return -1;
	line = strchr(text, '\n');
	for (line = line ? line + 1 : NULL; line && *line; line = next) {
		struct inspect_limit *l = &in->limits[in->nlimits];
		size_t n;

		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		if (strlen(line) < 26 || in->nlimits == 24)
			continue;
		n = 25;
		while (n && line[n - 1] == ' ')
			n--;
		snprintf(l->name, sizeof(l->name), "%.*s", (int)n, line);
		if (sscanf(line + 25, "%23s %23s %15s", l->soft, l->hard,
			   l->units) < 2)
			continue;
		in->nlimits++;
	}
	free(text);
	return in->nlimits ? 0 : fail(t, "limits", -EBADMSG);
}

static int read_rollup(struct target *t, struct inspect *in)
{
	uint64_t pss = 0, sc = 0, sd = 0, pc = 0, pd = 0, swap = 0;
	char *text = NULL;

	if (read_file(t, "smaps_rollup", &text))
		return -1;
	/* Empty for a kernel thread, which has no memory of its own. */
	procfs_field_u64(text, "Pss", &pss);
	procfs_field_u64(text, "Shared_Clean", &sc);
	procfs_field_u64(text, "Shared_Dirty", &sd);
	procfs_field_u64(text, "Private_Clean", &pc);
	procfs_field_u64(text, "Private_Dirty", &pd);
	procfs_field_u64(text, "Swap", &swap);
	free(text);
	in->mem.pss_bytes = pss * 1024;
	in->mem.shared_bytes = (sc + sd) * 1024;
	in->mem.private_bytes = (pc + pd) * 1024;
	if (swap)
		in->mem.swap_bytes = swap * 1024;
	return 0;
}

static int read_cgroup(struct target *t, struct inspect *in)
{
	size_t len = 0;
	int rc = procfs_read(t->dirfd, "cgroup", &in->cgroup, &len);

	if (rc)
		return fail(t, "cgroup", rc);
	while (len && in->cgroup[len - 1] == '\n')
		in->cgroup[--len] = 0;
	return 0;
}

/* --- mappings and descriptors ------------------------------------------- */

/* Skips one blank-separated field and the blanks after it. */
static const char *skip_field(const char *p)
{
	p += strcspn(p, " \n");
	while (*p == ' ')
		p++;
	return p;
}

/* "start-end perms offset dev inode   path", path possibly empty.
 * Returns 0, -EBADMSG or -ENOMEM. */
static int parse_map_line(const char *line, size_t len, struct inspect_map *m)
{
	const char *p = line, *path;
	char *end;

	m->start = strtoull(p, &end, 16);
	if (end == p || *end != '-')
		return -EBADMSG;
	p = end + 1;
	m->end = strtoull(p, &end, 16);
	if (end == p || end[0] != ' ' || strcspn(end + 1, " ") != 4)
		return -EBADMSG;
	memcpy(m->perms, end + 1, 4);
	m->perms[4] = 0;
	p = end + 6;
	m->offset = strtoull(p, &end, 16);
	if (end == p || *end != ' ')
		return -EBADMSG;
	path = skip_field(skip_field(end + 1)); /* dev, inode */
	if (path > line + len)
		return -EBADMSG;
	m->path = strndup(path, len - (size_t)(path - line));
	return m->path ? 0 : -ENOMEM;
}

static int parse_maps(struct target *t, const char *text, struct inspect *in)
{
	size_t cap = 0;

	for (const char *line = text; *line;) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		struct inspect_map m = { 0 };
		int rc = parse_map_line(line, len, &m);

		if (rc)
			return fail(t, "maps", rc);
		if (in->nmaps == cap) {
			struct inspect_map *more;

			cap = cap ? cap * 2 : 64;
			more = realloc(in->maps, cap * sizeof(*more));
			if (!more) {
				free(m.path);
				return fail(t, "maps", -ENOMEM);
			}
			in->maps = more;
		}
		in->maps[in->nmaps++] = m;
		line = eol ? eol + 1 : line + len;
	}
	in->nmaps_total = in->nmaps;
	return 0;
}

static int read_maps(struct target *t, struct inspect *in)
{
	char *text = NULL;
	int rc;

	if (read_file(t, "maps", &text))
		return -1;
	rc = parse_maps(t, text, in);
	free(text);
	return rc;
}

static int add_fd(struct inspect *in, size_t *cap, int fd, const char *target)
{
	if (in->nfds_read == *cap) {
		struct inspect_fd *more;

		*cap = *cap ? *cap * 2 : 32;
		more = realloc(in->fds, *cap * sizeof(*more));
		if (!more)
			return -ENOMEM;
		in->fds = more;
	}
	in->fds[in->nfds_read].fd = fd;
	in->fds[in->nfds_read].target = strdup(target);
	if (!in->fds[in->nfds_read].target)
		return -ENOMEM;
	in->nfds_read++;
	return 0;
}

static int read_fds(struct target *t, const struct inspect_want *want,
		    struct inspect *in)
{
	int dfd = openat(t->dirfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	bool self = t->pid == getpid();
	size_t cap = 0;
	struct dirent *de;
	char target[4096];
	DIR *dir;
	int rc = 0;

	if (dfd < 0)
		return fail(t, "fd", -errno);
	dir = fdopendir(dfd);
	if (!dir) {
		close(dfd);
		return fail(t, "fd", -errno);
	}
	/* cppcheck-suppress readdirCalled ; one stream, one thread */
	while ((de = readdir(dir))) {
		int fd;
		ssize_t n;

		if (!procfs_number(de->d_name, &fd))
			continue;
		/* Inspecting itself, leave out what this reader opened. */
		if (self && (fd == t->dirfd || fd == t->pidfd || fd == dfd))
			continue;
		in->nfds++;
		if (!want->fds)
			continue;
		n = readlinkat(dfd, de->d_name, target, sizeof(target) - 1);
		if (n < 0 && errno == ENOENT)
			continue; /* closed meanwhile */
		if (n < 0) {
			rc = fail(t, "fd", -errno);
			break;
		}
		target[n] = 0;
		rc = add_fd(in, &cap, fd, target);
		if (rc) {
			rc = fail(t, "fd", rc);
			break;
		}
	}
	closedir(dir);
	return rc;
}

static int read_threads(struct target *t, struct inspect *in)
{
	int rc = inspect_read_threads(t->dirfd, in);

	return rc ? fail(t, "task", rc) : 0;
}

/* --- the whole ---------------------------------------------------------- */

static void drop_unwanted(const struct inspect_want *want, struct inspect *in)
{
	if (want->maps)
		return;
	for (size_t i = 0; i < in->nmaps; i++)
		free(in->maps[i].path);
	free(in->maps);
	in->maps = NULL;
	in->nmaps = 0;
}

int inspect_read(int pid, const struct inspect_want *want, struct inspect *out,
		 struct inspect_error *err)
{
	struct target t = { .pid = pid, .dirfd = -1, .pidfd = -1, .err = err };
	int rc = -1;

	memset(out, 0, sizeof(*out));
	memset(err, 0, sizeof(*err));
	err->owner = INSPECT_OWNER_UNKNOWN;
	out->pid = pid;
	if (open_target(&t) || read_stat(&t, out) || read_status(&t, out) ||
	    read_cmdline(&t, out) || read_limits(&t, out) ||
	    read_cgroup(&t, out) || read_rollup(&t, out) ||
	    read_maps(&t, out) || read_fds(&t, want, out) ||
	    (want->threads && read_threads(&t, out)))
		goto out;
	if (!still_there(&t)) {
		err->why = INSPECT_ENDED;
		goto out;
	}
	drop_unwanted(want, out);
	rc = 0;
out:
	if (rc)
		inspect_free(out);
	if (t.dirfd >= 0)
		close(t.dirfd);
	if (t.pidfd >= 0)
		close(t.pidfd);
	return rc;
}

void inspect_free(struct inspect *in)
{
	for (size_t i = 0; i < in->nmaps; i++)
		free(in->maps[i].path);
	for (size_t i = 0; i < in->nfds_read; i++)
		free(in->fds[i].target);
	free(in->maps);
	free(in->fds);
	free(in->threads);
	free(in->cmdline);
	free(in->cgroup);
	memset(in, 0, sizeof(*in));
}
