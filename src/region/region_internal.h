/* region_internal.h - the region handle, shared by region.c and fdpass.c. */
#ifndef PT_REGION_INTERNAL_H
#define PT_REGION_INTERNAL_H

#include <procthread/region.h>

#include <sys/types.h>

#define PT__REGION_NAME_MAX 64

struct pt_region {
	void *addr;
	size_t len;
	int fd;
	pid_t creator; /* named regions: the pid that unlinks the name */
	char name[PT__REGION_NAME_MAX]; /* empty for an unnamed region */
};

/* Checks a received descriptor (a memfd with its size sealed at len) and
 * maps it into a new handle. Takes fd: it is closed on failure. Returns 0,
 * -EBADMSG for a descriptor that is not such a region, or -errno. */
int pt__region_adopt_fd(int fd, size_t len, pt_region **out);

#endif
