/* test.c - the harness of support/test.h. */
#include "support/test.h"

#include "support/kinds.h"
#include "support/ledger.h"

#include <procthread/unit.h>

#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int pt_test_main(int argc, char **argv, const struct pt_test_main_opts *opts)
{
	SRunner *sr;
	int failed;

	if (opts->helper) {
		int status = opts->helper(argc, argv);

		if (status >= 0)
			return status;
	}
	sr = srunner_create(opts->suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Check runs a checked fixture in the test's own process, around one test
 * at a time, so one ledger serves. */
static struct pt_ledger before;

/* The running test's case, for its failure messages. */
static const char *case_name;

void pt_test_case(const char *name)
{
	case_name = name;
}

/* Check's failure path, reached through the linker (tests/CMakeLists.txt):
 * the message, prefixed with the case's name. Check formats msg itself or,
 * when it is NULL, reports expr; the same, then the real one. */
void __real__ck_assert_failed(const char *file, int line, const char *expr,
			      const char *msg, ...)
	__attribute__((noreturn, format(printf, 4, 5)));
void __wrap__ck_assert_failed(const char *file, int line, const char *expr,
			      const char *msg, ...)
	__attribute__((noreturn, format(printf, 4, 5)));

void __wrap__ck_assert_failed(const char *file, int line, const char *expr,
			      const char *msg, ...)
{
	char text[BUFSIZ];
	va_list ap;

	if (msg) {
		va_start(ap, msg);
		vsnprintf(text, sizeof(text), msg, ap);
		va_end(ap);
	} else {
		snprintf(text, sizeof(text), "%s", expr);
	}
	if (case_name)
		__real__ck_assert_failed(file, line, expr, "[%s] %s", case_name,
					 text);
	__real__ck_assert_failed(file, line, expr, "%s", text);
}

static void ledger_setup(void)
{
	case_name = NULL;
	pt_ledger_take(&before);
}

static void ledger_teardown(void)
{
	struct pt_ledger after;

	pt_ledger_take(&after);
	pt_ledger_assert_no_leaks(&before, &after);
}

static TCase *ledger_tcase(const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, ledger_setup, ledger_teardown);
	return tc;
}

static void add_each(TCase *tc, const TTest *const *tests, int start, int end)
{
	for (; tests && *tests; tests++)
		tcase_add_loop_test(tc, *tests, start, end);
}

Suite *pt_test_suite_of(const char *name, const struct pt_test_group *groups,
			size_t n)
{
	Suite *s = suite_create(name);

	for (const struct pt_test_group *g = groups; g < groups + n; g++) {
		TCase *tc;

		if (g->skip)
			continue;
		tc = ledger_tcase(g->name);
		if (g->setup || g->teardown)
			tcase_add_checked_fixture(tc, g->setup, g->teardown);
		add_each(tc, g->once, 0, 1);
		add_each(tc, g->for_kinds, PT_KIND_THREAD, pt_test_kinds_end());
		add_each(tc, g->for_rows, 0, g->rows);
		if (g->timeout_s)
			tcase_set_timeout(tc, g->timeout_s);
		if (g->tags)
			tcase_set_tags(tc, g->tags);
		suite_add_tcase(s, tc);
	}
	return s;
}

const char *pt_test_err_name(long rc, char buf[static 24])
{
	const char *name = NULL;

	if (rc < 0 && rc > -4096)
		name = strerrorname_np((int)-rc);
	if (name)
		snprintf(buf, 24, "-%s", name);
	else
		snprintf(buf, 24, "%ld", rc);
	return buf;
}

pid_t pt_test_fork(void)
{
	pid_t pid = fork();

	if (pid < 0)
		ck_abort_msg("fork: %s", strerror(errno));
	return pid;
}

uint64_t pt_test_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
