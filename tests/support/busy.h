/* busy.h - a threaded parent holding locks: threads that take malloc's,
 * stdio's and a mutex's locks as often as they can, so that a fork from
 * this process would almost surely copy one held. The tests that fork
 * (through the fork-server) from such a parent share them. */
#ifndef PT_TEST_BUSY_H
#define PT_TEST_BUSY_H

#include <pthread.h>
#include <stdio.h>

#define PT_BUSY_THREADS 8

struct pt_busy {
	pthread_t threads[PT_BUSY_THREADS];
	FILE *sink; /* /dev/null, written under the mutex */
};

/* Starts the busy threads; fails the test when it cannot. */
void pt_busy_start(struct pt_busy *b);

/* Stops and joins them. */
void pt_busy_stop(struct pt_busy *b);

/* In a child: takes the very locks the busy threads hold in the parent
 * (malloc's, stdio's, the mutex). Returns 0, or 1 when it cannot
 * allocate; a child that deadlocks never returns. */
int pt_busy_use_locks(void);

#endif
