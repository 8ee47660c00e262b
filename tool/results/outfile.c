/* outfile.c - output files that are replaced whole or not at all
 * (results/outfile.h says what each kind of target gets, and why).
 *
 * The target is resolved once (resolve()), by stat() and not by opening
 * it: opening a FIFO to see whether it can be written would hand its
 * reader an end of file, and opening a new name would create it before
 * there is anything to put in it. */
#include "results/outfile.h"

#include <procthread/error.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum target_kind {
	TARGET_NEW,	 /* absent: created through a temporary file */
	TARGET_REGULAR,	 /* replaced through a temporary file */
	TARGET_IN_PLACE, /* a device or FIFO: opened and written */
};

struct target {
	enum target_kind kind;
	char *path;	/* what is written or renamed over, links resolved */
	struct stat st; /* TARGET_REGULAR: the file replaced */
};

/* One slot: the tool writes one file at a time. A signal handler reads it,
 * so it is a plain array, never freed. */
static char pending[PATH_MAX + 32];

const char *outfile_pending(void)
{
	return pending;
}

static void say(char *err, size_t err_len, const char *path, int rc,
		const char *after)
{
	snprintf(err, err_len, "cannot write %s: %s%s", path, pt_strerror(rc),
		 after);
}

/* The directory part of path ("." when it has none), newly allocated. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

/* The name a chain of links ending at an absent name would create. */
static char *follow_dangling(const char *path)
{
	char *name = strdup(path);

	for (int hops = 0; name && hops < 40; hops++) {
		char link[PATH_MAX], *dir, *next;
		ssize_t n = readlink(name, link, sizeof(link) - 1);

		if (n < 0)
			break; /* not a link: the name to create */
		link[n] = '\0';
		if (link[0] == '/') {
			next = strdup(link);
		} else {
			dir = dir_of(name);
			if (!dir || asprintf(&next, "%s/%s", dir, link) < 0)
				next = NULL;
			free(dir);
		}
		free(name);
		name = next;
	}
	return name;
}

static int resolve(const char *path, struct target *t, char *err,
		   size_t err_len)
{
	struct stat st;

	memset(t, 0, sizeof(*t));
	if (!*path) {
		snprintf(err, err_len, "an empty file name");
		return -EINVAL;
	}
	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			snprintf(err, err_len,
				 "cannot write %s: it is a directory", path);
			return -EISDIR;
		}
		if (S_ISSOCK(st.st_mode)) {
			snprintf(err, err_len,
				 "cannot write %s: it is a socket (a file, "
				 "FIFO or device is accepted)",
				 path);
			return -ENOTSUP;
		}
		if (!S_ISREG(st.st_mode)) {
			t->kind = TARGET_IN_PLACE;
			t->path = strdup(path);
		} else {
			t->kind = TARGET_REGULAR;
			t->path = realpath(path, NULL);
			t->st = st;
		}
	} else if (errno == ENOENT) {
		t->kind = TARGET_NEW;
		t->path = follow_dangling(path);
	} else {
		int e = errno, rc = e > 0 ? -e : -EIO;

		say(err, err_len, path, rc, "");
		return rc;
	}
	if (!t->path) {
		say(err, err_len, path, -ENOMEM, "");
		return -ENOMEM;
	}
	return 0;
}

int outfile_check(const char *path, char *err, size_t err_len)
{
	struct target t;
	struct stat st;
	char *dir = NULL;
	int rc;

	if (!strcmp(path, "-"))
		return 0;
	rc = resolve(path, &t, err, err_len);
	if (rc || !t.path)
		return rc ? rc : -ENOMEM;
	/* access() opens nothing: a FIFO's reader sees no open and close. */
	if (t.kind != TARGET_NEW && access(t.path, W_OK)) {
		rc = -errno;
		say(err, err_len, path, rc, "");
		goto out;
	}
	if (t.kind == TARGET_IN_PLACE)
		goto out;
	dir = dir_of(t.path);
	if (!dir) {
		rc = -ENOMEM;
		say(err, err_len, path, rc, "");
	} else if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		rc = -ENOENT;
		snprintf(err, err_len,
			 "cannot write %s: directory %s does not exist", path,
			 dir);
	} else if (access(dir, W_OK | X_OK)) {
		rc = -errno;
		snprintf(err, err_len,
			 "cannot write %s: cannot create files in %s: %s", path,
			 dir, pt_strerror(rc));
	}
out:
	free(dir);
	free(t.path);
	return rc;
}

/* path with its directory resolved, for comparing names of files that do
 * not exist yet ("x" and "./x"). */
static char *canonical(const char *path)
{
	char err[8], *dir = NULL, *real = NULL, *out = NULL;
	const char *base;
	struct target t;

	if (resolve(path, &t, err, sizeof(err)) || !t.path)
		return NULL;
	if (t.kind != TARGET_NEW)
		return t.path;
	base = strrchr(t.path, '/');
	base = base ? base + 1 : t.path;
	dir = dir_of(t.path);
	real = dir ? realpath(dir, NULL) : NULL;
	if (real && asprintf(&out, "%s/%s", real, base) < 0)
		out = NULL;
	free(real);
	free(dir);
	free(t.path);
	return out;
}

bool outfile_same(const char *a, const char *b)
{
	struct stat sa, sb;
	char *ca, *cb;
	bool same;

	if (!strcmp(a, "-") || !strcmp(b, "-"))
		return false;
	if (!strcmp(a, b))
		return true;
	if (!stat(a, &sa) && !stat(b, &sb))
		return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	ca = canonical(a);
	cb = canonical(b);
	same = ca && cb && !strcmp(ca, cb);
	free(ca);
	free(cb);
	return same;
}

/* fn's output, flushed, and its error - the stream's own errno where the
 * writer only saw that the stream failed. */
static int write_stream(FILE *f, outfile_fn *fn, void *arg)
{
	int rc, saved;

	errno = 0;
	rc = fn(f, arg);
	saved = errno; /* ENOSPC where a write failed, before more calls */
	if (!rc && fflush(f))
		rc = -errno;
	if (!rc && ferror(f))
		rc = -EIO;
	if (rc == -EIO && saved > 0 && saved != EIO)
		rc = -saved;
	return rc;
}

static int write_in_place(const struct target *t, outfile_fn *fn, void *arg)
{
	int fd = open(t->path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	FILE *f;
	int rc;

	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		rc = -errno;
		close(fd);
		return rc;
	}
	rc = write_stream(f, fn, arg);
	if (fclose(f) && !rc)
		rc = -errno;
	return rc;
}

/* The mode a file created by open(path, O_CREAT, 0666) would get. */
static mode_t new_file_mode(void)
{
	mode_t mask = umask(0);

	umask(mask);
	return 0666 & ~mask;
}

/* Writes a temporary file beside t->path and renames it over t->path. */
static int write_replacing(const struct target *t, outfile_fn *fn, void *arg)
{
	char *dir = dir_of(t->path);
	const char *base = strrchr(t->path, '/');
	FILE *f = NULL;
	int fd, dfd, rc = 0;

	base = base ? base + 1 : t->path;
	if (!dir)
		return -ENOMEM;
	if ((size_t)snprintf(pending, sizeof(pending), "%s/.%s.XXXXXX", dir,
			     base) >= sizeof(pending)) {
		rc = -ENAMETOOLONG;
		goto out;
	}
	fd = mkostemp(pending, O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	if (t->kind == TARGET_REGULAR) {
		/* The replacement is the same file to its owner and readers;
		 * only root may give it away, so a failed chown is fine. */
		if (fchown(fd, t->st.st_uid, t->st.st_gid))
			(void)0;
		if (fchmod(fd, t->st.st_mode & 07777))
			rc = -errno;
	} else if (fchmod(fd, new_file_mode())) {
		rc = -errno;
	}
	f = rc ? NULL : fdopen(fd, "w");
	if (!f) {
		rc = rc ? rc : -errno;
		close(fd);
		goto err_unlink;
	}
	rc = write_stream(f, fn, arg);
	/* Data on disk before the name points at it: a crash just after
	 * the rename must not leave an empty file under the old name. */
	if (!rc && fsync(fd))
		rc = -errno;
	if (fclose(f) && !rc)
		rc = -errno;
	if (!rc && rename(pending, t->path))
		rc = -errno;
	if (rc)
		goto err_unlink;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd); /* the rename itself; a failure loses no data */
		close(dfd);
	}
	goto out;
err_unlink:
	unlink(pending);
out:
	pending[0] = '\0';
	free(dir);
	return rc;
}

int outfile_write(const char *path, outfile_fn *fn, void *arg, char *err,
		  size_t err_len)
{
	struct target t;
	int rc;

	if (!strcmp(path, "-")) {
		rc = write_stream(stdout, fn, arg);
		if (rc)
			say(err, err_len, "standard output", rc, "");
		return rc;
	}
	rc = resolve(path, &t, err, err_len);
	if (rc || !t.path)
		return rc ? rc : -ENOMEM;
	if (t.kind == TARGET_IN_PLACE)
		rc = write_in_place(&t, fn, arg);
	else
		rc = write_replacing(&t, fn, arg);
	if (rc)
		say(err, err_len, path, rc,
		    t.kind == TARGET_REGULAR ? "; the previous file is left "
					       "as it was"
		    : t.kind == TARGET_NEW   ? "; nothing was written"
					     : "");
	free(t.path);
	return rc;
}
