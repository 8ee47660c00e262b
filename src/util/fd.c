/* fd.c - a readiness wait that survives EINTR, and closing all but a few
 * descriptors in a child. */
#include "util/fd.h"
#include "util/clock.h"

#include <errno.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

int pt__wait_readable(int fd, int timeout_ms)
{
	uint64_t deadline = pt__deadline_after_ms(timeout_ms);
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int rc;

	for (;;) {
		rc = poll(&pfd, 1, pt__ms_until(deadline));
		if (rc > 0)
			return 1;
		if (rc == 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

/* Closes lo..hi. Before Linux 5.9 (no close_range): one close per
 * possible descriptor. */
static int close_from_to(unsigned lo, unsigned hi)
{
	struct rlimit lim;

	if (lo > hi || syscall(SYS_close_range, lo, hi, 0) == 0)
		return 0;
	if (errno != ENOSYS)
		return errno;
	if (getrlimit(RLIMIT_NOFILE, &lim) < 0)
		return errno;
	for (rlim_t fd = lo; fd <= hi && fd < lim.rlim_max; fd++)
		close((int)fd);
	return 0;
}

int pt__close_all_but(const int *keep, size_t n)
{
	int sorted[PT__FD_KEEP_MAX] = { 0 };
	unsigned next = 3;
	int err;

	if (n > PT__FD_KEEP_MAX)
		return EINVAL;
	for (size_t i = 0; i < n; i++) {
		size_t j = i;

		for (; j > 0 && sorted[j - 1] > keep[i]; j--)
			sorted[j] = sorted[j - 1];
		sorted[j] = keep[i];
	}
	for (size_t i = 0; i < n; i++) {
		if (sorted[i] < 3 || (unsigned)sorted[i] < next)
			continue; /* below 3, or a duplicate */
		err = close_from_to(next, (unsigned)sorted[i] - 1);
		if (err)
			return err;
		next = (unsigned)sorted[i] + 1;
	}
	return close_from_to(next, ~0u);
}
