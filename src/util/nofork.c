/* nofork.c - memory this process's forks leave behind (nofork.h). */
#include "util/nofork.h"

#include <errno.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* AddressSanitizer keeps a shadow of each stack's poisoned frames, which
 * a child inherits without the stack: a mapping the child makes where a
 * stack was reads as poisoned. Its builds give such threads stacks that
 * forks copy, as any thread's. */
#if defined(__SANITIZE_ADDRESS__)
#define STACKS_STAY_BEHIND 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define STACKS_STAY_BEHIND 0
#endif
#endif
#ifndef STACKS_STAY_BEHIND
#define STACKS_STAY_BEHIND 1
#endif

/* Writer-preferring: a stream of threads entering never holds a fork off
 * for long. */
static pthread_rwlock_t guard =
	PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;
static pthread_once_t guard_once = PTHREAD_ONCE_INIT;

static void before_fork(void)
{
	pthread_rwlock_wrlock(&guard);
}

static void after_fork(void)
{
	pthread_rwlock_unlock(&guard);
}

/* The child is alone: the copy it has is held, and the threads that held
 * it are not there to let go. */
static void in_child(void)
{
	guard = (pthread_rwlock_t)
		PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;
}

static void guard_init(void)
{
	(void)pthread_atfork(before_fork, after_fork, in_child);
}

void pt__nofork_enter(void)
{
	pthread_once(&guard_once, guard_init);
	pthread_rwlock_rdlock(&guard);
}

void pt__nofork_leave(void)
{
	pthread_rwlock_unlock(&guard);
}

/* What pthread_create() would give a thread: the default attributes'
 * stack size (from RLIMIT_STACK), which is reserved, not committed. */
static size_t default_stack_bytes(void)
{
	size_t bytes = 0;
	pthread_attr_t attr;

	if (pthread_getattr_default_np(&attr) == 0) {
		(void)pthread_attr_getstacksize(&attr, &bytes);
		pthread_attr_destroy(&attr);
	}
	return bytes ? bytes : (size_t)8 << 20;
}

int pt__nofork_thread_start(struct pt__nofork_thread *t, void *(*fn)(void *),
			    void *arg)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t bytes = (default_stack_bytes() + page - 1) & ~(page - 1);
	pthread_attr_t attr;
	int rc;

	t->map_bytes = bytes + page;
	/* Mapped and marked under the guard: a fork in between would copy
	 * the stack to its child after all. */
	pt__nofork_enter();
	t->map = mmap(NULL, t->map_bytes, PROT_NONE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
		      -1, 0);
	if (t->map == MAP_FAILED) {
		rc = -errno;
		t->map = NULL;
		pt__nofork_leave();
		return rc;
	}
	rc = 0;
	if (mprotect((char *)t->map + page, bytes, PROT_READ | PROT_WRITE) <
		    0 ||
	    (STACKS_STAY_BEHIND &&
	     madvise(t->map, t->map_bytes, MADV_DONTFORK) < 0))
		rc = -errno;
	if (rc == 0) {
		pthread_attr_init(&attr);
		rc = -pthread_attr_setstack(&attr, (char *)t->map + page,
					    bytes);
		if (rc == 0)
			rc = -pthread_create(&t->id, &attr, fn, arg);
		pthread_attr_destroy(&attr);
	}
	pt__nofork_leave();
	if (rc) {
		munmap(t->map, t->map_bytes);
		t->map = NULL;
	}
	return rc;
}

void pt__nofork_thread_join(struct pt__nofork_thread *t)
{
	int rc;

	if (!t->map)
		return;
	do {
		struct timespec until;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 1000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		pt__nofork_enter();
		rc = pthread_timedjoin_np(t->id, NULL, &until);
		pt__nofork_leave();
	} while (rc == ETIMEDOUT || rc == EINTR);
	munmap(t->map, t->map_bytes);
	t->map = NULL;
}
