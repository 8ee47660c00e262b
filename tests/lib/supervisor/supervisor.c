/* test_supervisor - strategies, restart types, the budget, back-off and
 * shutdown, each body run for thread and process children alike where the
 * kinds behave alike (the loop index is the kind). Children report to a
 * MAP_SHARED board, so process children's starts are seen too; the
 * supervisor's events are recorded by the callback. */
#include <procthread.h>

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

enum behaviour {
	RUN = 0,      /* until asked to stop */
	FAIL,	      /* return 1 while fails[k] > 0, then RUN */
	EXIT_OK,      /* return 0 at once, every time */
	EXIT_OK_ONCE, /* return 0 the first time, then RUN */
	IGNORE_TERM,  /* processes: ignore SIGTERM, run until killed */
	FAIL_ON_GO,   /* the first time: return 1 once go[k] is set; then RUN */
	HANDLE_TERM,  /* processes: end with 0 from a SIGTERM handler */
};

static volatile sig_atomic_t term_seen;

static void on_term(int sig)
{
	(void)sig;
	term_seen = 1;
}

#define NCHILD 4

struct board {
	atomic_int starts[NCHILD];
	atomic_int fails[NCHILD];
	atomic_int go[NCHILD];
	int behaviour[NCHILD];
	pid_t owner;
	atomic_int grandchild; /* the pid parent_of_grandchild() forked */
};

static struct board *board;

static int child_fn(void *arg)
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

#define MAX_EVENTS 512

static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pt_supervisor_event events[MAX_EVENTS];
static int nevents;

static void record(const struct pt_supervisor_event *ev, void *ctx)
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

static int count(enum pt_supervisor_event_type type, int child)
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
static int children_of(enum pt_supervisor_event_type type, int from, int *out,
		       int max)
{
	int n = 0;

	pthread_mutex_lock(&ev_lock);
	for (int e = from; e < nevents && n < max; e++)
		if (events[e].type == type)
			out[n++] = (int)events[e].child;
	pthread_mutex_unlock(&ev_lock);
	return n;
}

static int event_mark(void)
{
	int n;

	pthread_mutex_lock(&ev_lock);
	n = nevents;
	pthread_mutex_unlock(&ev_lock);
	return n;
}

/* Waits (up to 10 s) until count(type, child) reaches want. */
static void await_count(enum pt_supervisor_event_type type, int child, int want)
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
static void await_starts(int k, int n)
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

static void setup(void)
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

static void teardown(void)
{
	munmap(board, sizeof(*board));
}

static void specs_for(struct pt_child_spec *specs, int n, enum pt_kind kind,
		      enum pt_restart restart)
{
	static const char *const names[NCHILD] = { "c0", "c1", "c2", "c3" };

	for (int k = 0; k < n; k++)
		specs[k] = (struct pt_child_spec){
			.name = names[k],
			.fn = child_fn,
			.arg = &index_of[k],
			.arg_len = sizeof(int),
			.kind = kind,
			.restart = restart,
			.shutdown_ms = 5000,
		};
}

static pt_supervisor *start_or_fail(enum pt_strategy strategy,
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

/* --- strategies ------------------------------------------------------------
 */

START_TEST(one_for_one_restarts_only_the_child)
{
	struct pt_child_spec specs[3];
	pt_supervisor *sup;
	int order[8];

	board->behaviour[1] = FAIL;
	atomic_store(&board->fails[1], 1);
	specs_for(specs, 3, _i, PT_RESTART_PERMANENT);
	sup = start_or_fail(PT_ONE_FOR_ONE, specs, 3, 5, 0);
	await_count(PT_SUPERVISOR_CHILD_STARTED, 1, 2);
	await_starts(1, 2);
	ck_assert_int_eq(count(PT_SUPERVISOR_CHILD_STARTED, 0), 1);
	ck_assert_int_eq(count(PT_SUPERVISOR_CHILD_STARTED, 2), 1);
	ck_assert_int_eq(count(PT_SUPERVISOR_CHILD_STOPPED, -1), 0);
	ck_assert_uint_eq(pt_supervisor_restarts(sup), 1);
	/* Children start in order and stop in reverse order. */
	ck_assert_int_eq(children_of(PT_SUPERVISOR_CHILD_STARTED, 0, order, 8),
			 4);
	ck_assert_int_eq(order[0], 0);
	ck_assert_int_eq(order[1], 1);
	ck_assert_int_eq(order[2], 2);
	{
		int mark = event_mark();

		PT_ASSERT_OK(pt_supervisor_stop(sup));
		ck_assert_int_eq(children_of(PT_SUPERVISOR_CHILD_STOPPED, mark,
					     order, 8),
				 3);
		ck_assert_int_eq(order[0], 2);
		ck_assert_int_eq(order[1], 1);
		ck_assert_int_eq(order[2], 0);
	}
}
END_TEST

START_TEST(one_for_all_restarts_everyone)
{
	struct pt_child_spec specs[3];
	pt_supervisor *sup;
	int order[8];
	int mark;

	board->behaviour[1] = FAIL;
	atomic_store(&board->fails[1], 1);
	specs_for(specs, 3, _i, PT_RESTART_PERMANENT);
	sup = start_or_fail(PT_ONE_FOR_ALL, specs, 3, 5, 0);
	/* Counted by the supervisor: a child stopped right after its start
	 * may not have reached its first instruction. */
	await_count(PT_SUPERVISOR_CHILD_STARTED, 2, 2);
	await_starts(1, 2);
	for (int k = 0; k < 3; k++)
		ck_assert_int_eq(count(PT_SUPERVISOR_CHILD_STARTED, k), 2);
	/* The others were stopped in reverse order, then all started in
	 * order; one group restart counts once. */
	ck_assert_int_eq(children_of(PT_SUPERVISOR_CHILD_STOPPED, 0, order, 8),
			 2);
	ck_assert_int_eq(order[0], 2);
	ck_assert_int_eq(order[1], 0);
	mark = 0;
	ck_assert_int_eq(
		children_of(PT_SUPERVISOR_CHILD_STARTED, mark, order, 8), 6);
	ck_assert_int_eq(order[3], 0);
	ck_assert_int_eq(order[4], 1);
	ck_assert_int_eq(order[5], 2);
	ck_assert_uint_eq(pt_supervisor_restarts(sup), 1);
	PT_ASSERT_OK(pt_supervisor_stop(sup));
}
END_TEST

START_TEST(rest_for_one_restarts_the_rest)
{
	struct pt_child_spec specs[3];
	pt_supervisor *sup;
	int order[8];

	board->behaviour[1] = FAIL;
	atomic_store(&board->fails[1], 1);
	specs_for(specs, 3, _i, PT_RESTART_PERMANENT);
	sup = start_or_fail(PT_REST_FOR_ONE, specs, 3, 5, 0);
	await_count(PT_SUPERVISOR_CHILD_STARTED, 2, 2);
	await_starts(1, 2);
	ck_assert_int_eq(count(PT_SUPERVISOR_CHILD_STARTED, 0), 1);
	ck_assert_int_eq(count(PT_SUPERVISOR_CHILD_STARTED, 1), 2);
	ck_assert_int_eq(children_of(PT_SUPERVISOR_CHILD_STOPPED, 0, order, 8),
			 1);
	ck_assert_int_eq(order[0], 2);
	ck_assert_int_eq(children_of(PT_SUPERVISOR_CHILD_STARTED, 0, order, 8),
			 5);
	ck_assert_int_eq(order[3], 1);
	ck_assert_int_eq(order[4], 2);
	PT_ASSERT_OK(pt_supervisor_stop(sup));
}
END_TEST

/* --- restart types -----------------------------------------------------------
 */

START_TEST(restart_types_decide_who_comes_back)
{
	struct pt_child_spec specs[4];
	pt_supervisor *sup;

	specs_for(specs, 4, _i, PT_RESTART_TRANSIENT);
	board->behaviour[0] = EXIT_OK; /* transient, normal: stays down */
	board->behaviour[1] = FAIL;    /* transient, abnormal: restarted */
	atomic_store(&board->fails[1], 1);
	board->behaviour[2] = FAIL; /* temporary, abnormal: stays down */
	atomic_store(&board->fails[2], 1);
	specs[2].restart = PT_RESTART_TEMPORARY;
	board->behaviour[3] = EXIT_OK_ONCE; /* permanent, normal: restarted */
	specs[3].restart = PT_RESTART_PERMANENT;
	sup = start_or_fail(PT_ONE_FOR_ONE, specs, 4, 10, 0);
	await_count(PT_SUPERVISOR_CHILD_STARTED, 1, 2);
	await_count(PT_SUPERVISOR_CHILD_STARTED, 3, 2);
	await_count(PT_SUPERVISOR_CHILD_EXITED, 0, 1);
	await_count(PT_SUPERVISOR_CHILD_EXITED, 2, 1);
	ck_assert_uint_eq(pt_supervisor_restarts(sup), 2);
	PT_ASSERT_OK(pt_supervisor_stop(sup));
	ck_assert_int_eq(atomic_load(&board->starts[0]), 1);
	ck_assert_int_eq(atomic_load(&board->starts[2]), 1);
	ck_assert_int_eq(count(PT_SUPERVISOR_CHILD_RESTARTING, 0), 0);
	ck_assert_int_eq(count(PT_SUPERVISOR_CHILD_RESTARTING, 2), 0);
	/* Only the two still running were stopped. */
	ck_assert_int_eq(count(PT_SUPERVISOR_CHILD_STOPPED, -1), 2);
}
END_TEST

/* --- the budget
 * ---------------------------------------------------------------- */

START_TEST(budget_spent_gives_up_in_reverse_order)
{
	struct pt_child_spec specs[3];
	pt_supervisor *sup;
	int order[8];
	int mark;

	board->behaviour[1] = FAIL;
	atomic_store(&board->fails[1], 1000);
	specs_for(specs, 3, _i, PT_RESTART_PERMANENT);
	sup = start_or_fail(PT_ONE_FOR_ONE, specs, 3, 2, 0);
	PT_ASSERT_OK(pt_supervisor_wait(sup, 10000));
	/* The initial start and two restarts; the third end spent it. */
	ck_assert_int_eq(atomic_load(&board->starts[1]), 3);
	ck_assert_int_eq(count(PT_SUPERVISOR_GAVE_UP, -1), 1);
	mark = 0;
	ck_assert_int_eq(
		children_of(PT_SUPERVISOR_CHILD_STOPPED, mark, order, 8), 2);
	ck_assert_int_eq(order[0], 2);
	ck_assert_int_eq(order[1], 0);
	PT_ASSERT_ERR(pt_supervisor_stop(sup), -ECANCELED);
}
END_TEST

START_TEST(backoff_doubles)
{
	struct pt_child_spec specs[1];
	pt_supervisor *sup;
	uint32_t delays[8];
	int n = 0;

	board->behaviour[0] = FAIL;
	atomic_store(&board->fails[0], 4);
	specs_for(specs, 1, _i, PT_RESTART_PERMANENT);
	sup = start_or_fail(PT_ONE_FOR_ONE, specs, 1, 10, 10);
	await_count(PT_SUPERVISOR_CHILD_STARTED, 0, 5);
	pthread_mutex_lock(&ev_lock);
	for (int e = 0; e < nevents; e++) {
		if (events[e].type != PT_SUPERVISOR_CHILD_RESTARTING)
			continue;
		delays[n++] = events[e].delay_ms;
		/* The next start came no earlier than the delay. */
		ck_assert(e + 1 < nevents);
		ck_assert_int_eq(events[e + 1].type,
				 PT_SUPERVISOR_CHILD_STARTED);
		ck_assert_uint_ge(events[e + 1].time_ns - events[e].time_ns,
				  (uint64_t)events[e].delay_ms * 1000000u);
	}
	pthread_mutex_unlock(&ev_lock);
	ck_assert_int_eq(n, 4);
	ck_assert_uint_eq(delays[0], 10);
	ck_assert_uint_eq(delays[1], 20);
	ck_assert_uint_eq(delays[2], 40);
	ck_assert_uint_eq(delays[3], 80);
	PT_ASSERT_OK(pt_supervisor_stop(sup));
}
END_TEST

/* --- shutdown
 * ------------------------------------------------------------------ */

static const struct pt_supervisor_event *stopped_event(int child)
{
	for (int e = 0; e < nevents; e++)
		if (events[e].type == PT_SUPERVISOR_CHILD_STOPPED &&
		    (int)events[e].child == child)
			return &events[e];
	return NULL;
}

START_TEST(shutdown_escalates_to_sigkill)
{
	struct pt_child_spec specs[3];
	const struct pt_supervisor_event *ev;
	pt_supervisor *sup;
	uint64_t t0, took_ms;

	specs_for(specs, 3, PT_PROCESS, PT_RESTART_PERMANENT);
	board->behaviour[0] = IGNORE_TERM; /* killed after its 200 ms */
	specs[0].shutdown_ms = 200;
	board->behaviour[1] = IGNORE_TERM; /* brutal kill */
	specs[1].shutdown_ms = 0;
	board->behaviour[2] = RUN; /* SIGTERM is enough */
	sup = start_or_fail(PT_ONE_FOR_ONE, specs, 3, 5, 0);
	/* Running and past its signal(), so SIGTERM is ignored for sure. */
	while (atomic_load(&board->starts[0]) == 0 ||
	       atomic_load(&board->starts[1]) == 0)
		usleep(1000);
	usleep(20000);
	t0 = pt_test_now_ns();
	PT_ASSERT_OK(pt_supervisor_stop(sup));
	took_ms = (pt_test_now_ns() - t0) / 1000000u;
	ck_assert_uint_ge(took_ms, 200);
	ck_assert_uint_lt(took_ms, 5000);

	ev = stopped_event(0);
	ck_assert_ptr_nonnull(ev);
	ck_assert(ev->overran);
	ck_assert_int_eq(ev->status.signal, SIGKILL);
	ev = stopped_event(1);
	ck_assert_ptr_nonnull(ev);
	ck_assert(!ev->overran);
	ck_assert_int_eq(ev->status.signal, SIGKILL);
	ev = stopped_event(2);
	ck_assert_ptr_nonnull(ev);
	ck_assert(!ev->overran);
	ck_assert_int_eq(ev->status.how, PT_EXIT_SIGNALED);
	ck_assert_int_eq(ev->status.signal, SIGTERM);
}
END_TEST

START_TEST(stop_during_a_failing_restart_loop)
{
	struct pt_child_spec specs[2];
	struct pt_ledger before, after;
	pt_supervisor *sup;
	uint64_t t0;

	/* Warm up: the first supervisor thread makes its malloc arena and
	 * leaves a cached stack, both kept for the next one. */
	specs_for(specs, 2, _i, PT_RESTART_PERMANENT);
	sup = start_or_fail(PT_ONE_FOR_ONE, specs, 2, 1, 0);
	PT_ASSERT_OK(pt_supervisor_stop(sup));
	pt_ledger_take(&before);
	board->behaviour[0] = RUN;
	board->behaviour[1] = FAIL;
	atomic_store(&board->fails[1], 1000000);
	specs_for(specs, 2, _i, PT_RESTART_PERMANENT);
	sup = start_or_fail(PT_ONE_FOR_ALL, specs, 2, 1000000, 5);
	await_count(PT_SUPERVISOR_CHILD_RESTARTING, 1, 4);
	t0 = pt_test_now_ns();
	PT_ASSERT_OK(pt_supervisor_stop(sup));
	ck_assert_uint_lt((pt_test_now_ns() - t0) / 1000000u, 2000);
	pt_ledger_take(&after);
	pt_ledger_assert_same(&before, &after);
}
END_TEST

START_TEST(invalid_arguments_are_refused)
{
	struct pt_supervisor_opts opts =
		PT_SUPERVISOR_OPTS(.strategy = PT_ONE_FOR_ONE);
	struct pt_child_spec specs[1];
	pt_supervisor *sup = NULL;

	specs_for(specs, 1, PT_THREAD, PT_RESTART_PERMANENT);
	PT_ASSERT_ERR(pt_supervisor_start(NULL, specs, 1, &sup), -EINVAL);
	PT_ASSERT_ERR(pt_supervisor_start(&opts, specs, 0, &sup), -EINVAL);
	opts.strategy = 9;
	PT_ASSERT_ERR(pt_supervisor_start(&opts, specs, 1, &sup), -EINVAL);
	opts.strategy = PT_ONE_FOR_ONE;
	specs[0].fn = NULL;
	PT_ASSERT_ERR(pt_supervisor_start(&opts, specs, 1, &sup), -EINVAL);
	specs_for(specs, 1, PT_THREAD, 0);
	PT_ASSERT_ERR(pt_supervisor_start(&opts, specs, 1, &sup), -EINVAL);
	ck_assert_ptr_null(sup);
	PT_ASSERT_ERR(pt_supervisor_stop(NULL), -EINVAL);
	ck_assert_str_eq(pt_strategy_name(PT_REST_FOR_ONE), "rest_for_one");
	ck_assert_str_eq(pt_restart_name(PT_RESTART_TRANSIENT), "transient");
	ck_assert_str_eq(pt_supervisor_event_name(PT_SUPERVISOR_GAVE_UP),
			 "gave-up");
}
END_TEST

/* --- OTP's supervisor_SUITE, ported ------------------------------------------
 */

/* The children that have a spec now. */
static size_t which(pt_supervisor *sup, struct pt_supervisor_child *list,
		    size_t cap)
{
	size_t n = 0;

	PT_ASSERT_OK(pt_supervisor_which_children(sup, list, cap, &n));
	return n;
}

/* OTP temporary_bystander: a temporary child stopped because a sibling
 * died is not restarted, and its spec is gone. */
START_TEST(otp_temporary_bystander)
{
	struct pt_child_spec specs[2];
	struct pt_supervisor_child list[4];
	pt_supervisor *sup;

	specs_for(specs, 2, _i, PT_RESTART_PERMANENT);
	board->behaviour[0] = FAIL_ON_GO;
	specs[1].restart = PT_RESTART_TEMPORARY;
	sup = start_or_fail(PT_ONE_FOR_ALL, specs, 2, 5, 0);
	await_starts(1, 1);
	atomic_store(&board->go[0], 1);
	await_count(PT_SUPERVISOR_CHILD_STARTED, 0, 2);
	ck_assert_int_eq(count(PT_SUPERVISOR_CHILD_STOPPED, 1), 1);
	ck_assert_int_eq(count(PT_SUPERVISOR_CHILD_STARTED, 1), 1);
	ck_assert_int_eq(count(PT_SUPERVISOR_CHILD_RESTARTING, 1), 0);
	ck_assert_uint_eq(which(sup, list, 4), 1);
	ck_assert_uint_eq(list[0].index, 0);
	PT_ASSERT_OK(pt_supervisor_stop(sup));
	ck_assert_int_eq(atomic_load(&board->starts[1]), 1);
}
END_TEST

/* OTP tree (its supchild3): a transient child that ended normally keeps
 * its spec and is started again by a one_for_all restart. */
START_TEST(otp_tree_transient_restarted_with_group)
{
	struct pt_child_spec specs[2];
	struct pt_supervisor_child list[4];
	pt_supervisor *sup;

	specs_for(specs, 2, _i, PT_RESTART_PERMANENT);
	board->behaviour[0] = FAIL_ON_GO;
	board->behaviour[1] = EXIT_OK_ONCE;
	specs[1].restart = PT_RESTART_TRANSIENT;
	sup = start_or_fail(PT_ONE_FOR_ALL, specs, 2, 5, 0);
	await_count(PT_SUPERVISOR_CHILD_EXITED, 1, 1);
	/* Ended normally: not restarted, but still listed. */
	ck_assert_uint_eq(which(sup, list, 4), 2);
	ck_assert(!list[1].running);
	ck_assert_int_eq(list[1].pid, 0);
	atomic_store(&board->go[0], 1);
	await_count(PT_SUPERVISOR_CHILD_STARTED, 0, 2);
	await_count(PT_SUPERVISOR_CHILD_STARTED, 1, 2);
	await_starts(1, 2);
	PT_ASSERT_OK(pt_supervisor_stop(sup));
}
END_TEST

/* OTP child_adm and count_children: start, terminate, restart and delete a
 * child of a running supervisor, and list them with their pids. */
START_TEST(otp_child_adm)
{
	struct pt_child_spec specs[3];
	struct pt_supervisor_child list[4];
	struct pt_supervisor_counts counts;
	pt_supervisor *sup;
	size_t index = 99;

	specs_for(specs, 3, _i, PT_RESTART_PERMANENT);
	sup = start_or_fail(PT_ONE_FOR_ONE, specs, 1, 5, 0);
	PT_ASSERT_OK(pt_supervisor_start_child(sup, &specs[1], &index));
	ck_assert_uint_eq(index, 1);
	await_starts(1, 1);
	ck_assert_uint_eq(which(sup, list, 4), 2);
	ck_assert(list[0].running && list[1].running);
	ck_assert_int_gt(list[1].pid, 0);
	ck_assert_str_eq(list[1].name, "c1");
	ck_assert_int_eq(list[1].kind, _i);
	if (_i == PT_PROCESS)
		ck_assert_int_ne(list[1].pid, getpid());
	/* OTP already_present / already_started. */
	PT_ASSERT_ERR(pt_supervisor_start_child(sup, &specs[1], NULL), -EEXIST);
	PT_ASSERT_OK(pt_supervisor_terminate_child(sup, 1));
	ck_assert_uint_eq(which(sup, list, 4), 2);
	ck_assert(!list[1].running);
	ck_assert_int_eq(list[1].pid, 0);
	PT_ASSERT_OK(pt_supervisor_count_children(sup, &counts));
	ck_assert_uint_eq(counts.specs, 2);
	ck_assert_uint_eq(counts.running, 1);
	/* Terminated by us: not restarted by the supervisor. */
	ck_assert_int_eq(count(PT_SUPERVISOR_CHILD_RESTARTING, 1), 0);
	PT_ASSERT_OK(pt_supervisor_restart_child(sup, 1));
	await_starts(1, 2);
	PT_ASSERT_ERR(pt_supervisor_restart_child(sup, 1), -EBUSY);
	PT_ASSERT_ERR(pt_supervisor_delete_child(sup, 1), -EBUSY);
	PT_ASSERT_OK(pt_supervisor_terminate_child(sup, 1));
	PT_ASSERT_OK(pt_supervisor_terminate_child(sup, 1));
	PT_ASSERT_OK(pt_supervisor_delete_child(sup, 1));
	ck_assert_uint_eq(which(sup, list, 4), 1);
	PT_ASSERT_ERR(pt_supervisor_terminate_child(sup, 1), -ENOENT);
	PT_ASSERT_ERR(pt_supervisor_restart_child(sup, 1), -ENOENT);
	PT_ASSERT_ERR(pt_supervisor_delete_child(sup, 1), -ENOENT);
	PT_ASSERT_ERR(pt_supervisor_restart_child(sup, 99), -ENOENT);
	/* A deleted name may be used again; the index is new. */
	PT_ASSERT_OK(pt_supervisor_start_child(sup, &specs[1], &index));
	ck_assert_uint_eq(index, 2);
	/* A temporary child's spec goes when it is terminated. */
	specs[2].restart = PT_RESTART_TEMPORARY;
	PT_ASSERT_OK(pt_supervisor_start_child(sup, &specs[2], &index));
	ck_assert_uint_eq(index, 3);
	PT_ASSERT_OK(pt_supervisor_terminate_child(sup, 3));
	ck_assert_uint_eq(which(sup, list, 1), 2); /* the count, past cap */
	ck_assert_uint_eq(list[0].index, 0);
	specs[2].fn = NULL;
	PT_ASSERT_ERR(pt_supervisor_start_child(sup, &specs[2], NULL), -EINVAL);
	PT_ASSERT_ERR(pt_supervisor_start_child(sup, NULL, NULL), -EINVAL);
	PT_ASSERT_OK(pt_supervisor_stop(sup));
}
END_TEST

/* OTP sup_flags with intensity 0: the first restart is one too many. */
START_TEST(otp_intensity_zero_never_restarts)
{
	struct pt_child_spec specs[2];
	pt_supervisor *sup;
	size_t n;

	specs_for(specs, 2, _i, PT_RESTART_PERMANENT);
	board->behaviour[1] = FAIL;
	atomic_store(&board->fails[1], 1);
	sup = start_or_fail(PT_ONE_FOR_ONE, specs, 2, 0, 0);
	PT_ASSERT_OK(pt_supervisor_wait(sup, 10000));
	ck_assert_int_eq(atomic_load(&board->starts[1]), 1);
	ck_assert_int_eq(count(PT_SUPERVISOR_GAVE_UP, -1), 1);
	ck_assert_uint_eq(pt_supervisor_restarts(sup), 0);
	PT_ASSERT_ERR(pt_supervisor_which_children(sup, NULL, 0, &n), -ESRCH);
	PT_ASSERT_ERR(pt_supervisor_stop(sup), -ECANCELED);
}
END_TEST

static char proc_state(int pid)
{
	char path[64];
	char buf[256];
	char *close_paren;
	FILE *f;
	size_t got;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	got = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[got] = 0;
	close_paren = strrchr(buf, ')');
	return close_paren && close_paren[1] ? close_paren[2] : 0;
}

/* A stopped (SIGSTOP) child that handles SIGTERM gets SIGCONT with it, so
 * its handler runs and it ends within its shutdown time instead of running
 * out to SIGKILL. (A default SIGTERM kills even a stopped process.) */
START_TEST(stopped_child_is_continued_on_stop)
{
	struct pt_child_spec specs[1];
	struct pt_supervisor_child list[1];
	const struct pt_supervisor_event *ev;
	pt_supervisor *sup;
	uint64_t t0;

#if defined(__SANITIZE_THREAD__)
	/* TSan runs no signal handler in a child forked from a threaded
	 * parent (it ignores the child's interceptors, and defers every
	 * handler to one): the child could not end by its handler. */
	fprintf(stderr, "stopped_child_is_continued_on_stop: not under TSan\n");
	return;
#endif
	specs_for(specs, 1, PT_PROCESS, PT_RESTART_PERMANENT);
	specs[0].shutdown_ms = 10000;
	board->behaviour[0] = HANDLE_TERM;
	sup = start_or_fail(PT_ONE_FOR_ONE, specs, 1, 5, 0);
	await_starts(0, 1);
	ck_assert_uint_eq(which(sup, list, 1), 1);
	ck_assert_int_eq(kill(list[0].pid, SIGSTOP), 0);
	while (proc_state(list[0].pid) != 'T')
		usleep(1000);
	t0 = pt_test_now_ns();
	PT_ASSERT_OK(pt_supervisor_stop(sup));
	ck_assert_uint_lt((pt_test_now_ns() - t0) / 1000000u, 5000);
	ev = stopped_event(0);
	ck_assert_ptr_nonnull(ev);
	ck_assert(!ev->overran);
	ck_assert_int_eq(ev->status.how, PT_EXIT_RETURNED);
	ck_assert_int_eq(ev->status.code, 0);
}
END_TEST

/* A process child that forks a grandchild, and runs until stopped. */
static int parent_of_grandchild(void *arg)
{
	pid_t pid = fork();

	(void)arg;
	if (pid == 0) {
		signal(SIGTERM, SIG_IGN);
		for (;;)
			pause();
	}
	atomic_store(&board->grandchild, (int)pid);
	while (!pt_cancelled())
		pause();
	return 0;
}

/* A supervised process child leads its own process group, which ends with
 * it: once pt_supervisor_stop() returns, the grandchild it left (deaf to
 * SIGTERM) is dead, not reparented to init. */
START_TEST(stop_ends_a_childs_grandchildren)
{
	struct pt_child_spec spec = {
		.name = "gc",
		.fn = parent_of_grandchild,
		.kind = PT_PROCESS,
		.restart = PT_RESTART_PERMANENT,
		.shutdown_ms = 5000,
	};
	struct pollfd pfd = { .events = POLLIN };
	pt_supervisor *sup = start_or_fail(PT_ONE_FOR_ONE, &spec, 1, 5, 0);
	uint64_t until = pt_test_now_ns() + 10000000000ull;
	int pid;

	while ((pid = atomic_load(&board->grandchild)) == 0) {
		ck_assert_msg(pt_test_now_ns() < until, "no grandchild");
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
	pfd.fd = (int)syscall(SYS_pidfd_open, pid, 0);
	ck_assert_int_ge(pfd.fd, 0);
	PT_ASSERT_OK(pt_supervisor_stop(sup));
	ck_assert_msg(poll(&pfd, 1, 5000) == 1,
		      "grandchild %d outlived its supervisor", pid);
	close(pfd.fd);
}
END_TEST

static Suite *supervisor_suite(void)
{
	Suite *s = suite_create("supervisor");
	TCase *both = pt_test_tcase("both kinds");
	TCase *proc = pt_test_tcase("processes");
	int kinds = pt_test_kinds_end();

	tcase_add_checked_fixture(both, setup, teardown);
	tcase_add_loop_test(both, one_for_one_restarts_only_the_child,
			    PT_THREAD, kinds);
	tcase_add_loop_test(both, one_for_all_restarts_everyone, PT_THREAD,
			    kinds);
	tcase_add_loop_test(both, rest_for_one_restarts_the_rest, PT_THREAD,
			    kinds);
	tcase_add_loop_test(both, restart_types_decide_who_comes_back,
			    PT_THREAD, kinds);
	tcase_add_loop_test(both, budget_spent_gives_up_in_reverse_order,
			    PT_THREAD, kinds);
	tcase_add_loop_test(both, backoff_doubles, PT_THREAD, kinds);
	tcase_add_loop_test(both, stop_during_a_failing_restart_loop, PT_THREAD,
			    kinds);
	tcase_add_test(both, invalid_arguments_are_refused);
	tcase_add_loop_test(both, otp_temporary_bystander, PT_THREAD, kinds);
	tcase_add_loop_test(both, otp_tree_transient_restarted_with_group,
			    PT_THREAD, kinds);
	tcase_add_loop_test(both, otp_child_adm, PT_THREAD, kinds);
	tcase_add_loop_test(both, otp_intensity_zero_never_restarts, PT_THREAD,
			    kinds);
	suite_add_tcase(s, both);

	tcase_add_checked_fixture(proc, setup, teardown);
	tcase_add_test(proc, shutdown_escalates_to_sigkill);
	tcase_add_test(proc, stopped_child_is_continued_on_stop);
	tcase_add_test(proc, stop_ends_a_childs_grandchildren);
	tcase_set_tags(proc, "process");
	suite_add_tcase(s, proc);
	return s;
}

PT_TEST_MAIN(supervisor_suite)
