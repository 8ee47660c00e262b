/* procfs.c - small, strict readers of /proc files.
 *
 * A /proc file is generated when it is read, so it is read whole, in one
 * pass, into memory, and parsed from there: a second read could describe a
 * different moment. A process that ends while it is read makes the open or
 * the read fail with ENOENT or ESRCH, or (for some files of a task being
 * torn down) gives an empty file; the readers report all three as errors
 * so no caller prints half a process.
 */
#include "procfs/procfs.h" /* by its own folder: the tests build this file too */

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define READ_CHUNK 4096

int procfs_read(int dirfd, const char *path, char **text, size_t *len)
{
	size_t cap = READ_CHUNK, n = 0;
	char *buf, *bigger;
	ssize_t got;
	int fd, rc = 0;

	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno ? -errno : -EIO;
	buf = malloc(cap);
	if (!buf) {
		rc = -ENOMEM;
		goto out_close;
	}
	for (;;) {
		if (cap - n < READ_CHUNK) {
			bigger = realloc(buf, cap * 2);
			if (!bigger) {
				rc = -ENOMEM;
				goto out_free;
			}
			buf = bigger;
			cap *= 2;
		}
		got = read(fd, buf + n, cap - n - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = -errno;
			goto out_free;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	buf[n] = 0;
	*text = buf;
	if (len)
		*len = n;
	goto out_close;
out_free:
	free(buf);
out_close:
	close(fd);
	return rc;
}

/* The fields after the command, numbered as in proc(5): field 3 (state)
 * is the first. */
#define STAT_FIRST 3
#define STAT_LAST  41

int procfs_parse_stat(const char *text, struct procfs_stat *out)
{
	unsigned long long f[STAT_LAST + 1] = { 0 };
	struct procfs_stat st = { 0 };
	const char *open = strchr(text, '('), *close = strrchr(text, ')');
	const char *p;
	char *end;
	size_t comm_len;

	if (!open || !close || close < open || close[1] != ' ' || !close[2])
		return -EBADMSG;
	st.pid = (int)strtol(text, &end, 10);
	if (end == text || st.pid <= 0)
		return -EBADMSG;
	comm_len = (size_t)(close - open - 1);
	if (comm_len >= sizeof(st.comm))
		comm_len = sizeof(st.comm) - 1;
	memcpy(st.comm, open + 1, comm_len);
	st.state = close[2];
	p = close + 3;
	for (int i = STAT_FIRST + 1; i <= STAT_LAST; i++) {
		/* Some fields are signed (priority, nice): strtoll keeps
		 * their sign in the two's-complement bits. */
		f[i] = (unsigned long long)strtoll(p, &end, 10);
		if (end == p)
			return -EBADMSG;
		p = end;
	}
	st.ppid = (int)f[4];
	st.flags = (unsigned)f[9];
	st.utime_ticks = f[14];
	st.stime_ticks = f[15];
	st.priority = (long)(long long)f[18];
	st.nice = (long)(long long)f[19];
	st.num_threads = (long)f[20];
	st.start_ticks = f[22];
	st.vsize_bytes = f[23];
	st.rss_pages = f[24];
	st.processor = (int)f[39];
	st.rt_priority = (unsigned)f[40];
	st.policy = (unsigned)f[41];
	*out = st;
	return 0;
}

int procfs_stat(int dirfd, const char *path, struct procfs_stat *out)
{
	char *text = NULL;
	size_t len = 0;
	int rc = procfs_read(dirfd, path, &text, &len);

	if (rc)
		return rc;
	rc = len ? procfs_parse_stat(text, out) : -ESRCH;
	free(text);
	return rc;
}

bool procfs_field(const char *text, const char *key, char *val, size_t cap)
{
	size_t klen = strlen(key), vlen;
	const char *line = text, *v, *eol;

	while (line && *line) {
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			v = line + klen + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			eol = strchr(v, '\n');
			vlen = eol ? (size_t)(eol - v) : strlen(v);
			while (vlen &&
			       (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
				vlen--;
			if (vlen >= cap)
				vlen = cap - 1;
			memcpy(val, v, vlen);
			val[vlen] = 0;
			return true;
		}
		line = strchr(line, '\n');
		line = line ? line + 1 : NULL;
	}
	return false;
}

bool procfs_field_u64(const char *text, const char *key, uint64_t *out)
{
	char val[64], *end;
	unsigned long long v;

	if (!procfs_field(text, key, val, sizeof(val)))
		return false;
	errno = 0;
	v = strtoull(val, &end, 10);
	if (end == val || errno)
		return false;
	*out = v;
	return true;
}

uint64_t procfs_ticks_ns(uint64_t ticks)
{
	long hz = sysconf(_SC_CLK_TCK);

	return ticks * (1000000000u / (uint64_t)(hz > 0 ? hz : 100));
}

uint64_t procfs_cpu_ns(const struct procfs_stat *st)
{
	return procfs_ticks_ns(st->utime_ticks + st->stime_ticks);
}

bool procfs_number(const char *name, int *out)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)*name))
		return false;
	v = strtol(name, &end, 10);
	if (*end || v < 0 || v > INT_MAX)
		return false;
	*out = (int)v;
	return true;
}

int procfs_thread(int taskfd, int tid, struct procfs_thread *out)
{
	struct procfs_thread t = { .tid = tid };
	struct procfs_stat st;
	char path[40], *status = NULL;
	uint64_t tgid;
	int rc;

	snprintf(path, sizeof(path), "%d/stat", tid);
	rc = procfs_stat(taskfd, path, &st);
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "%d/status", tid);
	rc = procfs_read(taskfd, path, &status, NULL);
	if (rc)
		return rc;
	if (!procfs_field_u64(status, "Tgid", &tgid) ||
	    !procfs_field_u64(status, "voluntary_ctxt_switches",
			      &t.voluntary) ||
	    !procfs_field_u64(status, "nonvoluntary_ctxt_switches",
			      &t.involuntary))
		rc = -EBADMSG;
	free(status);
	if (rc)
		return rc;
	t.tgid = (int)tgid;
	snprintf(t.name, sizeof(t.name), "%s", st.comm);
	t.state = st.state;
	t.cpu_ns = procfs_cpu_ns(&st);
	t.last_cpu = st.processor;
	t.nice = st.nice;
	t.policy = st.policy;
	*out = t;
	return 0;
}
