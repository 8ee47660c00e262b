/* test_supervisor_api - the supervisor's object and spec contract
 * (procthread/supervisor.h): a stop leaves the supervisor to its owner,
 * destroy frees it (stopping it first when it was not), a stop from the
 * event callback is refused, concurrent stops join once, and child specs are
 * read by the size they carry - refused when too small or mixed, walked by
 * their stride when a newer caller's struct is larger. */
#include <procthread.h>

#include "support/test.h"
#include "supervisor_support.h"
#include "support/kinds.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* --- stop and destroy ------------------------------------------------------
 */

START_TEST(stop_leaves_the_supervisor_to_its_owner)
{
	struct pt_child_spec specs[2];
	struct pt_child_spec more;
	struct pt_supervisor_child list[4];
	size_t n = 0;
	pt_supervisor *sup;

	specs_for(specs, 2, (enum pt_kind)_i, PT_RESTART_PERMANENT);
	sup = start_or_fail(PT_STRATEGY_ONE_FOR_ONE, specs, 2, 3, 0);
	await_starts(0, 1);
	await_starts(1, 1);
	PT_ASSERT_OK(pt_supervisor_stop(sup));
	/* Stopped, not freed: every call answers, and says it is over. */
	PT_ASSERT_OK(pt_supervisor_stop(sup));
	PT_ASSERT_OK(pt_supervisor_wait(sup, 0));
	PT_ASSERT_ERR(pt_supervisor_which_children(sup, list, 4, &n), -ESRCH);
	specs_for(&more, 1, (enum pt_kind)_i, PT_RESTART_PERMANENT);
	PT_ASSERT_ERR(pt_supervisor_start_child(sup, &more, NULL), -ESRCH);
	ck_assert_int_eq(count(PT_SUPERVISOR_CHILD_STOPPED, 0), 1);
	ck_assert_int_eq(count(PT_SUPERVISOR_CHILD_STOPPED, 1), 1);
	pt_supervisor_destroy(sup);
}
END_TEST

START_TEST(destroy_stops_a_running_supervisor)
{
	struct pt_child_spec specs[2];
	pt_supervisor *sup;

	specs_for(specs, 2, (enum pt_kind)_i, PT_RESTART_PERMANENT);
	sup = start_or_fail(PT_STRATEGY_ONE_FOR_ONE, specs, 2, 3, 0);
	await_starts(0, 1);
	await_starts(1, 1);
	/* No stop first: destroy stops both children (the ledger sees no
	 * child left) and frees the supervisor (ASan and valgrind see no
	 * leak). */
	pt_supervisor_destroy(sup);
	ck_assert_int_eq(count(PT_SUPERVISOR_CHILD_STOPPED, 0), 1);
	ck_assert_int_eq(count(PT_SUPERVISOR_CHILD_STOPPED, 1), 1);
	pt_supervisor_destroy(NULL);
}
END_TEST

/* Two threads stop one supervisor at once: one of them joins its thread,
 * both return 0, and the children are stopped once. */
static void *stop_in_thread(void *arg)
{
	return (void *)(intptr_t)pt_supervisor_stop(arg);
}

START_TEST(concurrent_stops_join_once)
{
	struct pt_child_spec specs[2];
	pthread_t other;
	void *other_rc;
	pt_supervisor *sup;

	specs_for(specs, 2, (enum pt_kind)_i, PT_RESTART_PERMANENT);
	sup = start_or_fail(PT_STRATEGY_ONE_FOR_ONE, specs, 2, 3, 0);
	await_starts(0, 1);
	await_starts(1, 1);
	ck_assert_int_eq(pthread_create(&other, NULL, stop_in_thread, sup), 0);
	PT_ASSERT_OK(pt_supervisor_stop(sup));
	ck_assert_int_eq(pthread_join(other, &other_rc), 0);
	ck_assert_int_eq((int)(intptr_t)other_rc, 0);
	ck_assert_int_eq(count(PT_SUPERVISOR_CHILD_STOPPED, 0), 1);
	ck_assert_int_eq(count(PT_SUPERVISOR_CHILD_STOPPED, 1), 1);
	pt_supervisor_destroy(sup);
}
END_TEST

/* The event callback stops its own supervisor: refused, recorded here. */
static pt_supervisor *_Atomic self_sup;
static atomic_int stop_from_callback = 1;

static void stop_self(const struct pt_supervisor_event *ev, void *ctx)
{
	pt_supervisor *sup = atomic_load(&self_sup);

	record(ev, ctx);
	if (sup && ev->type == PT_SUPERVISOR_CHILD_EXITED)
		atomic_store(&stop_from_callback, pt_supervisor_stop(sup));
}

START_TEST(stop_from_the_event_callback_is_refused)
{
	struct pt_child_spec specs[1];
	struct pt_supervisor_opts opts =
		PT_SUPERVISOR_OPTS(.strategy = PT_STRATEGY_ONE_FOR_ONE,
				   .intensity = 100, .period_ms = 60000,
				   .on_event = stop_self);
	pt_supervisor *sup;

	specs_for(specs, 1, (enum pt_kind)_i, PT_RESTART_TRANSIENT);
	/* The child ends once the callback knows its supervisor. */
	board->behaviour[0] = FAIL_ON_GO;
	atomic_store(&stop_from_callback, 1);
	PT_ASSERT_OK(pt_supervisor_start(&opts, specs, 1, &sup));
	atomic_store(&self_sup, sup);
	atomic_store(&board->go[0], 1);
	await_count(PT_SUPERVISOR_CHILD_EXITED, 0, 1);
	PT_ASSERT_OK(pt_supervisor_stop(sup));
	atomic_store(&self_sup, NULL);
	ck_assert_int_eq(atomic_load(&stop_from_callback), -EDEADLK);
	pt_supervisor_destroy(sup);
}
END_TEST

/* --- specs carry their size ------------------------------------------------
 */

START_TEST(child_specs_without_a_size_are_refused)
{
	struct pt_supervisor_opts opts =
		PT_SUPERVISOR_OPTS(.strategy = PT_STRATEGY_ONE_FOR_ONE);
	struct pt_child_spec specs[2];

	specs_for(specs, 2, (enum pt_kind)_i, PT_RESTART_PERMANENT);
	/* A spec written without PT_CHILD_SPEC(): size 0. */
	specs[0].size = 0;
	EXPECT_START_REFUSED(&opts, specs, 2);
	/* Smaller than the first struct pt_child_spec. */
	specs[0].size = offsetof(struct pt_child_spec, shutdown_ms);
	EXPECT_START_REFUSED(&opts, specs, 2);
	/* Two sizes in one array: not one struct definition. */
	specs[0].size = sizeof(struct pt_child_spec);
	specs[1].size = sizeof(struct pt_child_spec) + 8;
	EXPECT_START_REFUSED(&opts, specs, 2);
	/* Nothing was started. */
	ck_assert_int_eq(atomic_load(&board->starts[0]), 0);
	ck_assert_int_eq(atomic_load(&board->starts[1]), 0);
}
END_TEST

/* A later version's spec: today's fields and one more, which this
 * library does not know and must step over. */
struct newer_spec {
	struct pt_child_spec spec;
	uint64_t field_of_a_later_version;
};

START_TEST(child_specs_of_a_newer_struct_are_read_by_their_size)
{
	struct pt_supervisor_opts opts =
		PT_SUPERVISOR_OPTS(.strategy = PT_STRATEGY_ONE_FOR_ONE,
				   .on_event = record);
	struct pt_child_spec plain[3];
	struct newer_spec newer[2], third;
	struct pt_supervisor_child list[4];
	size_t n = 0;
	pt_supervisor *sup;

	specs_for(plain, 3, (enum pt_kind)_i, PT_RESTART_PERMANENT);
	for (int k = 0; k < 2; k++) {
		newer[k].spec = plain[k];
		newer[k].spec.size = sizeof(newer[k]);
		newer[k].field_of_a_later_version = UINT64_MAX;
	}
	newer[0].spec.name = "first";
	newer[1].spec.name = "second";
	PT_ASSERT_OK(pt_supervisor_start(
		&opts, (const struct pt_child_spec *)newer, 2, &sup));
	await_starts(0, 1);
	await_starts(1, 1);
	PT_ASSERT_OK(pt_supervisor_which_children(sup, list, 4, &n));
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(list[0].name, "first");
	ck_assert_str_eq(list[1].name, "second");
	/* start_child reads one newer spec the same way. */
	third.spec = plain[2];
	third.spec.size = sizeof(third);
	third.spec.name = "third";
	third.field_of_a_later_version = UINT64_MAX;
	PT_ASSERT_OK(pt_supervisor_start_child(sup, &third.spec, NULL));
	await_starts(2, 1);
	PT_ASSERT_OK(pt_supervisor_which_children(sup, list, 4, &n));
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(list[2].name, "third");
	PT_ASSERT_OK(pt_supervisor_stop(sup));
	pt_supervisor_destroy(sup);
}
END_TEST

static Suite *supervisor_api_suite(void)
{
	return PT_TEST_SUITE(
		"supervisor api",
		{ "stop and destroy",
		  .for_kinds =
			  PT_TESTS(stop_leaves_the_supervisor_to_its_owner,
				   destroy_stops_a_running_supervisor,
				   concurrent_stops_join_once,
				   stop_from_the_event_callback_is_refused),
		  .setup = setup, .teardown = teardown },
		{ "specs",
		  .for_kinds = PT_TESTS(
			  child_specs_without_a_size_are_refused,
			  child_specs_of_a_newer_struct_are_read_by_their_size),
		  .setup = setup, .teardown = teardown });
}

PT_TEST_MAIN(supervisor_api_suite)
