/* cond.c - condition variables timed against CLOCK_MONOTONIC. */
#include "util/cond.h"
#include "util/clock.h"

#include <time.h>

void pt__cond_init_monotonic(pthread_cond_t *cond)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(cond, &ca);
	pthread_condattr_destroy(&ca);
}

bool pt__cond_wait_until(pthread_cond_t *cond, pthread_mutex_t *lock,
			 uint64_t deadline_ns)
{
	struct timespec ts;

	if (deadline_ns == 0) {
		pthread_cond_wait(cond, lock);
		return true;
	}
	if (pt__now_ns() >= deadline_ns)
		return false;
	ts.tv_sec = (time_t)(deadline_ns / 1000000000u);
	ts.tv_nsec = (long)(deadline_ns % 1000000000u);
	pthread_cond_timedwait(cond, lock, &ts);
	return true;
}
