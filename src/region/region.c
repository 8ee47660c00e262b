/* region.c - shared memory regions: memfd by default, shm_open by choice.
 *
 * An unnamed region is a memfd: it exists only as long as some process
 * holds its descriptor or a mapping, so no crash can leave it behind. Its
 * size is sealed (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) before anyone
 * else can see it, so a peer that receives the descriptor cannot truncate
 * it and make this process fault with SIGBUS on memory it believes mapped.
 * A received descriptor is checked for those seals before it is mapped.
 *
 * A named region uses shm_open(O_CREAT | O_EXCL, 0600) under a name made of
 * the pid, a counter and random bits, so two creators never share a name by
 * accident and another user cannot open it. Only its creator (the pid that
 * made it, not a forked child holding a copy of the handle) unlinks it.
 * Its pages are reserved at create (posix_fallocate): tmpfs sizes a file
 * lazily, so without that a region larger than the free space in /dev/shm
 * is made fine and its first write dies of SIGBUS.
 *
 * A named file cannot be sealed (shm_open's files refuse F_ADD_SEALS), so
 * open checks what can be checked - a regular file owned by this user with
 * no access for anyone else, a whole number of pages - and region.h says
 * what it cannot: the owner may still truncate it.
 */
#include "region/region_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define SEALS	    (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)
#define NAME_PREFIX "/procthread-"

static size_t page_round(size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return (len + page - 1) & ~(page - 1);
}

/* Maps fd's len bytes and fills a new handle around it. Takes fd: closes
 * it on failure. */
static int map_fd(int fd, size_t len, pt_region **out)
{
	pt_region *region;
	void *addr;

	region = calloc(1, sizeof(*region));
	if (!region) {
		close(fd);
		return -ENOMEM;
	}
	addr = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (addr == MAP_FAILED) {
		int rc = -errno;

		close(fd);
		free(region);
		return rc;
	}
	region->addr = addr;
	region->len = len;
	region->fd = fd;
	*out = region;
	return 0;
}

static int create_memfd(size_t len)
{
	int fd = memfd_create("procthread-region",
			      MFD_CLOEXEC | MFD_ALLOW_SEALING);
	int rc;

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)len) < 0 || fcntl(fd, F_ADD_SEALS, SEALS) < 0)
		goto err_close;
	return fd;

err_close:
	rc = -errno;
	close(fd);
	return rc;
}

static int make_name(char *name, size_t cap)
{
	static atomic_uint counter;
	unsigned rnd;

	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
		rnd = (unsigned)getpid() * 2654435761u ^ atomic_load(&counter);
	return snprintf(name, cap, NAME_PREFIX "%d-%u-%08x", (int)getpid(),
			atomic_fetch_add(&counter, 1), rnd) < (int)cap
		       ? 0
		       : -ENAMETOOLONG;
}

static int create_named(size_t len, char *name, size_t cap)
{
	int rc;
	int fd;

	for (int tries = 0; tries < 8; tries++) {
		rc = make_name(name, cap);
		if (rc)
			return rc;
		fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
			      0600);
		if (fd >= 0)
			break;
		if (errno != EEXIST)
			return -errno;
	}
	if (fd < 0)
		return -EEXIST;
	if (ftruncate(fd, (off_t)len) < 0) {
		rc = -errno;
		goto err_unlink;
	}
	/* posix_fallocate returns the error instead of setting errno. */
	rc = -posix_fallocate(fd, 0, (off_t)len);
	if (rc)
		goto err_unlink;
	return fd;

err_unlink:
	close(fd);
	shm_unlink(name);
	return rc;
}

int pt_region_create(size_t len, unsigned flags, pt_region **out)
{
	char name[PT__REGION_NAME_MAX];
	int rc;
	int fd;

	if (!out || len == 0 || len > PT_REGION_MAX ||
	    (flags & ~PT_REGION_NAMED))
		return -EINVAL;
	len = page_round(len);
	if (flags & PT_REGION_NAMED)
		fd = create_named(len, name, sizeof(name));
	else
		fd = create_memfd(len);
	if (fd < 0)
		return fd;
	rc = map_fd(fd, len, out);
	if (rc) {
		if (flags & PT_REGION_NAMED)
			shm_unlink(name);
		return rc;
	}
	if (flags & PT_REGION_NAMED) {
		memcpy((*out)->name, name, sizeof(name));
		(*out)->creator = getpid();
	}
	return 0;
}

int pt_region_open(const char *name, pt_region **out)
{
	struct stat st;
	size_t len;
	int rc;
	int fd;

	if (!name || !out ||
	    strncmp(name, NAME_PREFIX, strlen(NAME_PREFIX)) != 0 ||
	    strlen(name) >= PT__REGION_NAME_MAX || strchr(name + 1, '/'))
		return -EINVAL;
	fd = shm_open(name, O_RDWR | O_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	/* pt_region_create() makes a regular file of mode 0600 owned by its
	 * effective user. Anything else was planted by someone else (root
	 * passes the permission check, so the owner must be checked here). */
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077)) {
		close(fd);
		return -EACCES;
	}
	/* Named regions cannot be sealed: a size that is not a whole number
	 * of pages was never made by pt_region_create(). */
	len = (size_t)st.st_size;
	if (len == 0 || len != page_round(len) || len > PT_REGION_MAX) {
		close(fd);
		return -EBADMSG;
	}
	rc = map_fd(fd, len, out);
	if (rc)
		return rc;
	memcpy((*out)->name, name, strlen(name) + 1);
	return 0;
}

int pt__region_adopt_fd(int fd, size_t len, pt_region **out)
{
	struct stat st;
	int seals;

	/* A peer's descriptor is trusted only once the kernel says its size
	 * can no longer change and matches what the peer claims. */
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || (seals & SEALS) != SEALS || fstat(fd, &st) < 0 ||
	    (size_t)st.st_size != len || len == 0 || len != page_round(len)) {
		close(fd);
		return -EBADMSG;
	}
	return map_fd(fd, len, out);
}

void *pt_region_addr(const pt_region *region)
{
	return region ? region->addr : NULL;
}

size_t pt_region_len(const pt_region *region)
{
	return region ? region->len : 0;
}

const char *pt_region_name(const pt_region *region)
{
	return region && region->name[0] ? region->name : NULL;
}

int pt_region_fd(const pt_region *region)
{
	return region ? region->fd : -EINVAL;
}

void pt_region_destroy(pt_region *region)
{
	if (!region)
		return;
	munmap(region->addr, region->len);
	close(region->fd);
	if (region->name[0] && region->creator == getpid())
		shm_unlink(region->name);
	free(region);
}
