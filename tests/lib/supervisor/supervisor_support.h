/* supervisor_support.h - what the supervisor's test programs share: the
 * children (child_fn, told what to do through a MAP_SHARED board the
 * checked fixture maps), the supervisor's events as the callback records
 * them, and starting a supervisor that fails the test when it cannot. */
#ifndef PT_TEST_SUPERVISOR_SUPPORT_H
#define PT_TEST_SUPERVISOR_SUPPORT_H

#include <procthread.h>

#include "support/test.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>

enum behaviour {
	RUN = 0,      /* until asked to stop */
	FAIL,	      /* return 1 while fails[k] > 0, then RUN */
	EXIT_OK,      /* return 0 at once, every time */
	EXIT_OK_ONCE, /* return 0 the first time, then RUN */
	IGNORE_TERM,  /* processes: ignore SIGTERM, run until killed */
	FAIL_ON_GO,   /* the first time: return 1 once go[k] is set; then RUN */
	HANDLE_TERM,  /* processes: end with 0 from a SIGTERM handler */
};

#define NCHILD 4

struct board {
	atomic_int starts[NCHILD];
	atomic_int fails[NCHILD];
	atomic_int go[NCHILD];
	int behaviour[NCHILD];
	pid_t owner;
	atomic_int grandchild; /* the pid parent_of_grandchild() forked */
};

#define MAX_EVENTS 512

extern struct board *board;
extern pthread_mutex_t ev_lock; /* held while reading events[] */
extern struct pt_supervisor_event events[MAX_EVENTS];
extern int nevents;

/* Each described where it is defined (supervisor_support.c). */
int child_fn(void *arg);
void record(const struct pt_supervisor_event *ev, void *ctx);
/* The events recorded so far, copied into out (at most max); how many.
 * A test asserts on the copy, never under ev_lock: a failed assert under
 * CK_FORK=no would leave the lock held and hang the next test. */
int events_snapshot(struct pt_supervisor_event *out, int max);
int count(enum pt_supervisor_event_type type, int child);
int children_of(enum pt_supervisor_event_type type, int from, int *out,
		int max);
/* Fails unless the children of the events of type from index from are,
 * in order, want ("2 1 0"). */
void expect_children(enum pt_supervisor_event_type type, int from,
		     const char *want);
int event_mark(void);
void await_count(enum pt_supervisor_event_type type, int child, int want);
void await_starts(int k, int n);
void setup(void);
void teardown(void);
void specs_for(struct pt_child_spec *specs, int n, enum pt_kind kind,
	       enum pt_restart restart);
pt_supervisor *start_or_fail(enum pt_strategy strategy,
			     struct pt_child_spec *specs, int n,
			     uint32_t intensity, uint32_t backoff_ms);
size_t which(pt_supervisor *sup, struct pt_supervisor_child *list, size_t cap);

/* pt_supervisor_start(opts, specs, n, ...) refuses with -EINVAL and makes
 * no supervisor (a macro, so a failure names the caller's line). */
#define EXPECT_START_REFUSED(opts, specs, n)                                   \
	do {                                                                   \
		pt_supervisor *refused_ = NULL;                                \
		PT_ASSERT_ERR(                                                 \
			pt_supervisor_start((opts), (specs), (n), &refused_),  \
			-EINVAL);                                              \
		ck_assert_ptr_null(refused_);                                  \
	} while (0)

#endif
