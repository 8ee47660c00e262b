/* clock.h - monotonic time in nanoseconds. */
#ifndef PT_UTIL_CLOCK_H
#define PT_UTIL_CLOCK_H

#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC, read through the vDSO. */
static inline uint64_t pt__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Milliseconds left until deadline_ns (>= 0), or -1 for no deadline (0). */
int pt__ms_until(uint64_t deadline_ns);

/* The later-or-sooner of two deadlines where 0 means none. */
uint64_t pt__deadline_min(uint64_t a, uint64_t b);

/* A deadline timeout_ms from now; 0 (none) for a negative timeout. */
uint64_t pt__deadline_after_ms(int timeout_ms);

static inline uint64_t pt__timeval_ns(long sec, long usec)
{
	return (uint64_t)sec * 1000000000u + (uint64_t)usec * 1000u;
}

#endif
