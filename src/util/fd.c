/* fd.c - a readiness wait that survives EINTR. */
#include "util/fd.h"
#include "util/clock.h"

#include <errno.h>
#include <poll.h>

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
