/* cond.h - condition variables timed against CLOCK_MONOTONIC, so a
 * deadline does not move when the wall clock is set. */
#ifndef PT_UTIL_COND_H
#define PT_UTIL_COND_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* Initialises cond to time its waits with CLOCK_MONOTONIC. */
void pt__cond_init_monotonic(pthread_cond_t *cond);

/* Waits on cond (initialised as above, lock held) until woken or until
 * deadline_ns on pt__now_ns()'s clock (0: no deadline). Returns false when
 * the deadline had passed before the wait; callers re-check their
 * condition either way. */
bool pt__cond_wait_until(pthread_cond_t *cond, pthread_mutex_t *lock,
			 uint64_t deadline_ns);

#endif
