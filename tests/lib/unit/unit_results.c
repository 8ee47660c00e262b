/* test_unit_results - a unit's result and how its end is classified: each
 * body runs once per kind (the loop index is the kind), except where the
 * kinds must differ, and then both sides are tested: a thread that
 * crashes or calls exit() takes its process along, so those cases run
 * inside a sacrificial child. */
#include <procthread.h>

#include "support/test.h"
#include "unit_support.h"
#include "support/kinds.h"
#include "support/ledger.h"
#include "support/units.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* --- results and exit classification ------------------------------------ */

static int hand_back(void *arg)
{
	const char *msg = arg;

	return pt_unit_set_result(msg, strlen(msg) + 1);
}

START_TEST(result_round_trips)
{
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = _i, .result_capacity = 64);
	char msg[] = "bytes from the unit";
	struct pt_status st;
	const char *res;
	size_t len = 0;
	pt_unit *unit = pt_test_spawn_opts(&opts, hand_back, msg);

	ck_assert_ptr_null(pt_unit_result(unit, &len));
	PT_ASSERT_OK(pt_unit_join(unit, -1, &st));
	ck_assert_int_eq(st.how, PT_EXIT_RETURNED);
	ck_assert_int_eq(st.code, 0);
	res = pt_unit_result(unit, &len);
	ck_assert_ptr_nonnull(res);
	ck_assert_uint_eq(len, sizeof(msg));
	ck_assert_str_eq(res, msg);
	pt_unit_destroy(unit);
}
END_TEST

static int oversize_result(void *arg)
{
	char big[65] = { 0 };

	(void)arg;
	return pt_unit_set_result(big, sizeof(big)) == -EMSGSIZE ? 7 : 1;
}

START_TEST(result_over_capacity_is_refused)
{
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = _i, .result_capacity = 64);
	struct pt_status st;
	size_t len = 99;
	pt_unit *unit = pt_test_spawn_opts(&opts, oversize_result, NULL);

	PT_ASSERT_OK(pt_unit_join(unit, -1, &st));
	ck_assert_int_eq(st.code, 7);
	ck_assert_ptr_nonnull(pt_unit_result(unit, &len));
	ck_assert_uint_eq(len, 0);
	pt_unit_destroy(unit);
	/* Outside any unit there is nowhere to put a result. */
	PT_ASSERT_ERR(pt_unit_set_result("x", 1), -ESRCH);
}
END_TEST

START_TEST(return_code_is_classified)
{
	struct pt_status st = run_unit(_i, return_42, NULL);

	ck_assert_int_eq(st.how, PT_EXIT_RETURNED);
	ck_assert_int_eq(st.code, 42);
	ck_assert_int_eq(st.signal, 0);
	if (_i == PT_KIND_PROCESS)
		ck_assert_int_ne(st.pid, getpid());
	else
		ck_assert_int_eq(st.pid, getpid());
}
END_TEST

static int call_exit(void *arg)
{
	(void)arg;
	exit(9);
}

static int call_pthread_exit(void *arg)
{
	(void)arg;
	pthread_exit((void *)(intptr_t)5);
}

START_TEST(process_exit_is_classified)
{
	struct pt_status st = run_unit(PT_KIND_PROCESS, call_exit, NULL);

	ck_assert_int_eq(st.how, PT_EXIT_EXITED);
	ck_assert_int_eq(st.code, 9);
}
END_TEST

START_TEST(thread_pthread_exit_is_classified)
{
	struct pt_status st = run_unit(PT_KIND_THREAD, call_pthread_exit, NULL);

	ck_assert_int_eq(st.how, PT_EXIT_EXITED);
	ck_assert_int_eq(st.code, 5);
}
END_TEST

struct fn_box {
	pt_unit_fn *fn;
};

static void thread_unit_then_survive(void *arg)
{
	struct pt_unit_opts opts = PT_UNIT_OPTS(.kind = PT_KIND_THREAD);
	const struct fn_box *box = arg;
	struct pt_status st;
	pt_unit *unit;

	if (pt_unit_spawn(&opts, box->fn, NULL, &unit))
		_exit(100);
	pt_unit_join(unit, -1, &st);
	/* Reached only if the thread's end spared its process. */
	_exit(101);
}

START_TEST(thread_exit_ends_its_process)
{
	struct fn_box box = { call_exit };
	int wstatus = in_sacrificial_process(thread_unit_then_survive, &box);

	ck_assert(WIFEXITED(wstatus));
	ck_assert_int_eq(WEXITSTATUS(wstatus), 9);
}
END_TEST

static int crash_bus(void *arg)
{
	volatile char *page;
	int fd = memfd_create("bus", MFD_CLOEXEC);

	(void)arg;
	/* A mapping past the end of an empty file: touching it is SIGBUS. */
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	page[0] = 1;
	return 0;
}

static int crash_ill(void *arg)
{
	(void)arg;
	__builtin_trap();
}

static int crash_fpe(void *arg)
{
	(void)arg;
	/* A real division by zero is undefined behaviour that UBSan reports
	 * as an abort; the signal itself is what is classified here. */
	raise(SIGFPE);
	return 0;
}

static const struct {
	int sig;
	pt_unit_fn *fn;
} crashes[] = {
	{ SIGSEGV, pt_test_crash_segv },
	{ SIGBUS, crash_bus },
	{ SIGILL, crash_ill },
	{ SIGFPE, crash_fpe },
	{ SIGABRT, pt_test_crash_abort },
};

START_TEST(process_crash_is_classified_and_parent_survives)
{
	for (size_t i = 0; i < sizeof(crashes) / sizeof(crashes[0]); i++) {
		struct pt_status st =
			run_unit(PT_KIND_PROCESS, crashes[i].fn, NULL);

		ck_assert_msg(st.how == PT_EXIT_CRASHED, "signal %d: how %s",
			      crashes[i].sig, pt_exit_name(st.how));
		ck_assert_int_eq(st.signal, crashes[i].sig);
	}
}
END_TEST

START_TEST(thread_crash_ends_its_process)
{
	for (size_t i = 0; i < sizeof(crashes) / sizeof(crashes[0]); i++) {
		struct fn_box box = { crashes[i].fn };
		int wstatus =
			in_sacrificial_process(thread_unit_then_survive, &box);

		ck_assert_msg(WIFSIGNALED(wstatus), "signal %d: process lived",
			      crashes[i].sig);
		ck_assert_int_eq(WTERMSIG(wstatus), crashes[i].sig);
	}
}
END_TEST

static Suite *unit_results_suite(void)
{
	return PT_TEST_SUITE(
		"unit_results",
		{ "both kinds",
		  .for_kinds = PT_TESTS(result_round_trips,
					result_over_capacity_is_refused,
					return_code_is_classified) },
		{ "kinds differ",
		  .once = PT_TESTS(
			  process_exit_is_classified,
			  thread_pthread_exit_is_classified,
			  thread_exit_ends_its_process,
			  process_crash_is_classified_and_parent_survives,
			  thread_crash_ends_its_process),
		  .tags = "process" });
}

PT_TEST_MAIN(unit_results_suite)
