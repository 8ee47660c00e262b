/* supervisor_support.c - see supervisor_support.h. */
#include "supervisor_support.h"

#include "support/test.h"
#include "support/kinds.h"
#include "support/ledger.h"

#include <check.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t term_seen;

static void on_term(int sig)
{
	(void)sig;
	term_seen = 1;
}

struct board *board;

int child_fn(void *arg)
{
	int k = *(const int *)arg;
	int n = atomic_fetch_add(&board->starts[k], 1);

	switch (board->behaviour[k]) {
	case FAIL:
		if (atomic_fetch_sub(&board->fails[k], 1) > 0)
			return 1;
		break;
	case EXIT_OK:
		return 0;
	case EXIT_OK_ONCE:
		if (n == 0)
			return 0;
		break;
	case IGNORE_TERM:
		signal(SIGTERM, SIG_IGN);
		for (;;)
			pause();
	case HANDLE_TERM:
		signal(SIGTERM, on_term);
		while (!term_seen)
			pause();
		return 0;
	case FAIL_ON_GO:
		if (n > 0)
			break;
		while (!atomic_load(&board->go[k]) && !pt_cancelled())
			usleep(1000);
		return 1;
	default:
		break;
	}
	while (!pt_cancelled())
		usleep(1000);
	return 0;
}

/* --- recording events ---------------------------------------------------- */

pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
struct pt_supervisor_event events[MAX_EVENTS];
int nevents;

void record(const struct pt_supervisor_event *ev, void *ctx)
{
	(void)ctx;
	pthread_mutex_lock(&ev_lock);
	if (nevents < MAX_EVENTS) {
		events[nevents] = *ev;
		events[nevents].name = NULL; /* only valid in the callback */
		nevents++;
	}
	pthread_mutex_unlock(&ev_lock);
}

int events_snapshot(struct pt_supervisor_event *out, int max)
{
	int n;

	pthread_mutex_lock(&ev_lock);
	n = nevents < max ? nevents : max;
	memcpy(out, events, (size_t)n * sizeof(*out));
	pthread_mutex_unlock(&ev_lock);
	return n;
}

int count(enum pt_supervisor_event_type type, int child)
{
	int n = 0;

	pthread_mutex_lock(&ev_lock);
	for (int e = 0; e < nevents; e++)
		if (events[e].type == type &&
		    (child < 0 || (int)events[e].child == child))
			n++;
	pthread_mutex_unlock(&ev_lock);
	return n;
}

/* The children of the events of one type from index `from`, in order. */
int children_of(enum pt_supervisor_event_type type, int from, int *out, int max)
{
	int n = 0;

	pthread_mutex_lock(&ev_lock);
	for (int e = from; e < nevents && n < max; e++)
		if (events[e].type == type)
			out[n++] = (int)events[e].child;
	pthread_mutex_unlock(&ev_lock);
	return n;
}

void expect_children(enum pt_supervisor_event_type type, int from,
		     const char *want)
{
	int order[16], n = children_of(type, from, order, 16);
	char got[64] = "";

	for (int k = 0; k < n; k++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%d",
			 k ? " " : "", order[k]);
	ck_assert_msg(strcmp(got, want) == 0,
		      "%s events from %d: children \"%s\", not \"%s\"",
		      pt_supervisor_event_name(type), from, got, want);
}

int event_mark(void)
{
	int n;

	pthread_mutex_lock(&ev_lock);
	n = nevents;
	pthread_mutex_unlock(&ev_lock);
	return n;
}

/* Waits (up to 10 s) until count(type, child) reaches want. */
void await_count(enum pt_supervisor_event_type type, int child, int want)
{
	uint64_t end = pt_test_now_ns() + 10000000000u;

	while (count(type, child) < want) {
		ck_assert_msg(pt_test_now_ns() < end,
			      "waited for %d %s of child %d", want,
			      pt_supervisor_event_name(type), child);
		usleep(1000);
	}
}

/* Waits (up to 10 s) until child k has started n times. */
void await_starts(int k, int n)
{
	uint64_t end = pt_test_now_ns() + 10000000000u;

	while (atomic_load(&board->starts[k]) < n) {
		ck_assert_msg(pt_test_now_ns() < end,
			      "child %d: %d starts, want %d", k,
			      atomic_load(&board->starts[k]), n);
		usleep(1000);
	}
}

/* --- fixtures --------------------------------------------------------------
 */

static int index_of[NCHILD] = { 0, 1, 2, 3 };

void setup(void)
{
	board = mmap(NULL, sizeof(*board), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(board, MAP_FAILED);
	memset(board, 0, sizeof(*board));
	board->owner = getpid();
	nevents = 0;
	/* Check's SIGTERM handler would be inherited by process children,
	 * and SIGTERM is what a supervisor sends them. */
	signal(SIGTERM, SIG_DFL);
}

void teardown(void)
{
	munmap(board, sizeof(*board));
}

void specs_for(struct pt_child_spec *specs, int n, enum pt_kind kind,
	       enum pt_restart restart)
{
	static const char *const names[NCHILD] = { "c0", "c1", "c2", "c3" };

	for (int k = 0; k < n; k++)
		specs[k] =
			PT_CHILD_SPEC(.name = names[k], .fn = child_fn,
				      .arg = &index_of[k],
				      .arg_len = sizeof(int), .kind = kind,
				      .restart = restart, .shutdown_ms = 5000);
}

pt_supervisor *start_or_fail(enum pt_strategy strategy,
			     struct pt_child_spec *specs, int n,
			     uint32_t intensity, uint32_t backoff_ms)
{
	struct pt_supervisor_opts opts =
		PT_SUPERVISOR_OPTS(.strategy = strategy, .intensity = intensity,
				   .period_ms = 10000, .backoff_ms = backoff_ms,
				   .on_event = record);
	pt_supervisor *sup = NULL;
	int rc = pt_supervisor_start(&opts, specs, (size_t)n, &sup);

	ck_assert_msg(rc == 0, "start: %s", pt_strerror(rc));
	return sup;
}

/* The children that have a spec now. */
size_t which(pt_supervisor *sup, struct pt_supervisor_child *list, size_t cap)
{
	size_t n = 0;

	PT_ASSERT_OK(pt_supervisor_which_children(sup, list, cap, &n));
	return n;
}
