/* test_supervisor - strategies, restart types, the budget and back-off,
 * and OTP's supervisor_SUITE cases, each body run for thread and process
 * children alike (the loop index is the kind). Children report to a
 * MAP_SHARED board, so process children's starts are seen too; the
 * supervisor's events are recorded by the callback (supervisor_support.h).
 * Shutdown is in test_supervisor_shutdown. */
#include <procthread.h>

#include "support/test.h"
#include "supervisor_support.h"
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

/* --- strategies ------------------------------------------------------------
 */

/* What a strategy does when the second of three permanent children fails
 * its first run: the children it stops (in reverse order) and starts (in
 * order) from the supervisor's start, the child whose second start ends
 * the restart, and the restarts counted (a group restart counts once). */
struct strategy_case {
	enum pt_strategy strategy;
	int last_started;
	const char *stopped;
	const char *started;
};

static void check_strategy(const struct strategy_case *c, enum pt_kind kind)
{
	struct pt_child_spec specs[3];
	pt_supervisor *sup;
	int mark;

	pt_test_case(pt_strategy_name(c->strategy));
	board->behaviour[1] = FAIL;
	atomic_store(&board->fails[1], 1);
	specs_for(specs, 3, kind, PT_RESTART_PERMANENT);
	sup = start_or_fail(c->strategy, specs, 3, 5, 0);
	/* Counted by the supervisor: a child stopped right after its start
	 * may not have reached its first instruction. */
	await_count(PT_SUPERVISOR_CHILD_STARTED, c->last_started, 2);
	await_starts(1, 2);
	expect_children(PT_SUPERVISOR_CHILD_STOPPED, 0, c->stopped);
	expect_children(PT_SUPERVISOR_CHILD_STARTED, 0, c->started);
	ck_assert_uint_eq(pt_supervisor_restarts(sup), 1);
	/* Whatever the strategy, stop ends the children in reverse order. */
	mark = event_mark();
	PT_ASSERT_OK(pt_supervisor_stop(sup));
	pt_supervisor_destroy(sup);
	expect_children(PT_SUPERVISOR_CHILD_STOPPED, mark, "2 1 0");
}

START_TEST(one_for_one_restarts_only_the_child)
{
	static const struct strategy_case c = { PT_STRATEGY_ONE_FOR_ONE, 1, "",
						"0 1 2 1" };

	check_strategy(&c, _i);
}
END_TEST

START_TEST(one_for_all_restarts_everyone)
{
	static const struct strategy_case c = { PT_STRATEGY_ONE_FOR_ALL, 2,
						"2 0", "0 1 2 0 1 2" };

	check_strategy(&c, _i);
}
END_TEST

START_TEST(rest_for_one_restarts_the_rest)
{
	static const struct strategy_case c = { PT_STRATEGY_REST_FOR_ONE, 2,
						"2", "0 1 2 1 2" };

	check_strategy(&c, _i);
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
	sup = start_or_fail(PT_STRATEGY_ONE_FOR_ONE, specs, 4, 10, 0);
	await_count(PT_SUPERVISOR_CHILD_STARTED, 1, 2);
	await_count(PT_SUPERVISOR_CHILD_STARTED, 3, 2);
	await_count(PT_SUPERVISOR_CHILD_EXITED, 0, 1);
	await_count(PT_SUPERVISOR_CHILD_EXITED, 2, 1);
	ck_assert_uint_eq(pt_supervisor_restarts(sup), 2);
	PT_ASSERT_OK(pt_supervisor_stop(sup));
	pt_supervisor_destroy(sup);
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

	board->behaviour[1] = FAIL;
	atomic_store(&board->fails[1], 1000);
	specs_for(specs, 3, _i, PT_RESTART_PERMANENT);
	sup = start_or_fail(PT_STRATEGY_ONE_FOR_ONE, specs, 3, 2, 0);
	PT_ASSERT_OK(pt_supervisor_wait(sup, 10000));
	/* The initial start and two restarts; the third end spent it. */
	ck_assert_int_eq(atomic_load(&board->starts[1]), 3);
	ck_assert_int_eq(count(PT_SUPERVISOR_GAVE_UP, -1), 1);
	expect_children(PT_SUPERVISOR_CHILD_STOPPED, 0, "2 0");
	PT_ASSERT_ERR(pt_supervisor_stop(sup), -ECANCELED);
	pt_supervisor_destroy(sup);
}
END_TEST

/* Fails unless every RESTARTING event of ev[0..n) is followed, for its
 * child, by a start no sooner than its delay after it. Returns how many
 * there were, their delays in delays[]. */
static int expect_starts_after_delays(const struct pt_supervisor_event *ev,
				      int n, uint32_t *delays, int max)
{
	int restarts = 0;

	for (int e = 0; e < n; e++) {
		int next = e + 1;

		if (ev[e].type != PT_SUPERVISOR_CHILD_RESTARTING)
			continue;
		if (restarts < max)
			delays[restarts] = ev[e].delay_ms;
		restarts++;
		while (next < n &&
		       !(ev[next].type == PT_SUPERVISOR_CHILD_STARTED &&
			 ev[next].child == ev[e].child))
			next++;
		ck_assert_msg(next < n, "child %zu: no start after event %d",
			      ev[e].child, e);
		ck_assert_msg(ev[next].time_ns - ev[e].time_ns >=
				      (uint64_t)ev[e].delay_ms * 1000000u,
			      "child %zu started %.3f ms after a %u ms delay",
			      ev[e].child,
			      (double)(ev[next].time_ns - ev[e].time_ns) / 1e6,
			      ev[e].delay_ms);
	}
	return restarts;
}

START_TEST(backoff_doubles)
{
	static struct pt_supervisor_event ev[MAX_EVENTS];
	struct pt_child_spec specs[1];
	pt_supervisor *sup;
	uint32_t delays[8];
	int n;

	board->behaviour[0] = FAIL;
	atomic_store(&board->fails[0], 4);
	specs_for(specs, 1, _i, PT_RESTART_PERMANENT);
	sup = start_or_fail(PT_STRATEGY_ONE_FOR_ONE, specs, 1, 10, 10);
	await_count(PT_SUPERVISOR_CHILD_STARTED, 0, 5);
	PT_ASSERT_OK(pt_supervisor_stop(sup));
	pt_supervisor_destroy(sup);
	n = events_snapshot(ev, MAX_EVENTS);
	ck_assert_int_eq(expect_starts_after_delays(ev, n, delays, 8), 4);
	ck_assert_uint_eq(delays[0], 10);
	ck_assert_uint_eq(delays[1], 20);
	ck_assert_uint_eq(delays[2], 40);
	ck_assert_uint_eq(delays[3], 80);
}
END_TEST

/* Records the event, and takes 60 ms over child 0's RESTARTING one, as a
 * slow callback (a log write, a lock) may: child 1's event, told next,
 * comes 60 ms after the decision to restart. */
static void slow_record(const struct pt_supervisor_event *e, void *ctx)
{
	record(e, ctx);
	if (e->type == PT_SUPERVISOR_CHILD_RESTARTING && e->child == 0)
		usleep(60000);
}

/* A back-off counts from the RESTARTING event it is told in, however long
 * the callbacks and stops before that took: under one_for_all the second
 * child's event came 60 ms after the decision, and its start once came
 * right after it, not 30 ms later (found under valgrind, whose slowness
 * did what the slow callback does here). */
START_TEST(backoff_counts_from_the_restarting_event)
{
	static struct pt_supervisor_event ev[MAX_EVENTS];
	struct pt_child_spec specs[2];
	struct pt_supervisor_opts opts =
		PT_SUPERVISOR_OPTS(.strategy = PT_STRATEGY_ONE_FOR_ALL,
				   .intensity = 5, .period_ms = 10000,
				   .backoff_ms = 30, .on_event = slow_record);
	pt_supervisor *sup = NULL;
	uint32_t delays[4];
	int n;

	specs_for(specs, 2, _i, PT_RESTART_PERMANENT);
	board->behaviour[0] = FAIL;
	atomic_store(&board->fails[0], 1);
	PT_ASSERT_OK(pt_supervisor_start(&opts, specs, 2, &sup));
	await_count(PT_SUPERVISOR_CHILD_STARTED, 1, 2);
	PT_ASSERT_OK(pt_supervisor_stop(sup));
	pt_supervisor_destroy(sup);
	n = events_snapshot(ev, MAX_EVENTS);
	ck_assert_int_eq(expect_starts_after_delays(ev, n, delays, 4), 2);
}
END_TEST

/* --- OTP's supervisor_SUITE, ported ------------------------------------------
 */

/* The pair the OTP cases below start under one_for_all: child 0,
 * permanent, fails once told to go; child 1 has restart and behaviour. */
static pt_supervisor *start_otp_pair(enum pt_kind kind, enum pt_restart restart,
				     enum behaviour behaviour)
{
	struct pt_child_spec specs[2];

	specs_for(specs, 2, kind, PT_RESTART_PERMANENT);
	board->behaviour[0] = FAIL_ON_GO;
	board->behaviour[1] = behaviour;
	specs[1].restart = restart;
	return start_or_fail(PT_STRATEGY_ONE_FOR_ALL, specs, 2, 5, 0);
}

/* OTP temporary_bystander: a temporary child stopped because a sibling
 * died is not restarted, and its spec is gone. */
START_TEST(otp_temporary_bystander)
{
	struct pt_supervisor_child list[4];
	pt_supervisor *sup = start_otp_pair(_i, PT_RESTART_TEMPORARY, RUN);

	await_starts(1, 1);
	atomic_store(&board->go[0], 1);
	await_count(PT_SUPERVISOR_CHILD_STARTED, 0, 2);
	ck_assert_int_eq(count(PT_SUPERVISOR_CHILD_STOPPED, 1), 1);
	ck_assert_int_eq(count(PT_SUPERVISOR_CHILD_STARTED, 1), 1);
	ck_assert_int_eq(count(PT_SUPERVISOR_CHILD_RESTARTING, 1), 0);
	ck_assert_uint_eq(which(sup, list, 4), 1);
	ck_assert_uint_eq(list[0].index, 0);
	PT_ASSERT_OK(pt_supervisor_stop(sup));
	pt_supervisor_destroy(sup);
	ck_assert_int_eq(atomic_load(&board->starts[1]), 1);
}
END_TEST

/* OTP tree (its supchild3): a transient child that ended normally keeps
 * its spec and is started again by a one_for_all restart. */
START_TEST(otp_tree_transient_restarted_with_group)
{
	struct pt_supervisor_child list[4];
	pt_supervisor *sup =
		start_otp_pair(_i, PT_RESTART_TRANSIENT, EXIT_OK_ONCE);

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
	pt_supervisor_destroy(sup);
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
	sup = start_or_fail(PT_STRATEGY_ONE_FOR_ONE, specs, 1, 5, 0);
	PT_ASSERT_OK(pt_supervisor_start_child(sup, &specs[1], &index));
	ck_assert_uint_eq(index, 1);
	await_starts(1, 1);
	ck_assert_uint_eq(which(sup, list, 4), 2);
	ck_assert(list[0].running && list[1].running);
	ck_assert_int_gt(list[1].pid, 0);
	ck_assert_str_eq(list[1].name, "c1");
	ck_assert_int_eq(list[1].kind, _i);
	if (_i == PT_KIND_PROCESS)
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
	pt_supervisor_destroy(sup);
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
	sup = start_or_fail(PT_STRATEGY_ONE_FOR_ONE, specs, 2, 0, 0);
	PT_ASSERT_OK(pt_supervisor_wait(sup, 10000));
	ck_assert_int_eq(atomic_load(&board->starts[1]), 1);
	ck_assert_int_eq(count(PT_SUPERVISOR_GAVE_UP, -1), 1);
	ck_assert_uint_eq(pt_supervisor_restarts(sup), 0);
	PT_ASSERT_ERR(pt_supervisor_which_children(sup, NULL, 0, &n), -ESRCH);
	PT_ASSERT_ERR(pt_supervisor_stop(sup), -ECANCELED);
	pt_supervisor_destroy(sup);
}
END_TEST

static Suite *supervisor_suite(void)
{
	return PT_TEST_SUITE(
		"supervisor",
		{ "both kinds",
		  .for_kinds = PT_TESTS(
			  one_for_one_restarts_only_the_child,
			  one_for_all_restarts_everyone,
			  rest_for_one_restarts_the_rest,
			  restart_types_decide_who_comes_back,
			  budget_spent_gives_up_in_reverse_order,
			  backoff_doubles,
			  backoff_counts_from_the_restarting_event,
			  otp_temporary_bystander,
			  otp_tree_transient_restarted_with_group,
			  otp_child_adm, otp_intensity_zero_never_restarts),
		  .setup = setup, .teardown = teardown });
}

PT_TEST_MAIN(supervisor_suite)
