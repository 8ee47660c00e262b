/* futex.c - the two futex operations the channel's waits are built on.
 *
 * Process-shared words use the plain operations (the kernel keys them by
 * the page they live in); words only threads see use FUTEX_PRIVATE_FLAG,
 * which skips that lookup. Waits are relative (FUTEX_WAIT measures against
 * CLOCK_MONOTONIC), so a change of the wall clock cannot stretch them.
 */
#include "util/futex.h"

#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int pt__futex_wait(_Atomic uint32_t *word, uint32_t expected,
		   uint64_t timeout_ns, bool shared)
{
	struct timespec ts = {
		.tv_sec = (time_t)(timeout_ns / 1000000000u),
		.tv_nsec = (long)(timeout_ns % 1000000000u),
	};
	int op = FUTEX_WAIT | (shared ? 0 : FUTEX_PRIVATE_FLAG);

	if (syscall(SYS_futex, word, op, expected, timeout_ns ? &ts : NULL,
		    NULL, 0) == 0)
		return 0;
	if (errno == EAGAIN)
		return 0;
	return -errno;
}

int pt__futex_wake(_Atomic uint32_t *word, int n, bool shared)
{
	int op = FUTEX_WAKE | (shared ? 0 : FUTEX_PRIVATE_FLAG);
	long rc = syscall(SYS_futex, word, op, n, NULL, NULL, 0);

	return rc < 0 ? -errno : (int)rc;
}
