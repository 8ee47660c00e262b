/* test.h - the harness every Check program shares: its main(), the TCases
 * whose tests run inside the leak ledger, asserts that name the error, and
 * the clock the tests time themselves with.
 *
 * A program declares its Suite as data (PT_TEST_SUITE, one
 * struct pt_test_group per TCase) in a function and ends with
 * PT_TEST_MAIN(that_suite); the ledger (support/ledger.h) is taken before
 * and compared after every test, in the process that runs the test (the forked
 * child in Check's CK_FORK mode, the program itself under CK_FORK=no).
 *
 * Every program that links tests/support/ has Check's assertion failures
 * pass through the harness (-Wl,--wrap=_ck_assert_failed), which puts the
 * name of the running case (pt_test_case()) in front of the message. */
#ifndef PT_TEST_TEST_H
#define PT_TEST_TEST_H

#include <procthread/error.h>

#include <check.h>
#include <stdint.h>
#include <sys/types.h>

/* --- main ---------------------------------------------------------------- */

struct pt_test_main_opts {
	Suite *(*suite)(void); /* the program's tests */
	/* When set, called first with main's arguments: a program that
	 * execs itself for a helper mode (test_sandbox's --count-fds)
	 * returns its exit status from here; -1 runs the suite. */
	int (*helper)(int argc, char **argv);
};

/* Runs the suite (Check's CK_FORK, CK_RUN_SUITE... from the environment)
 * and returns EXIT_SUCCESS when no test failed, else EXIT_FAILURE. */
int pt_test_main(int argc, char **argv, const struct pt_test_main_opts *opts);

/* PT_TEST_MAIN(suite_fn) or PT_TEST_MAIN(suite_fn, .helper = fn): the
 * program's main(). */
#define PT_TEST_MAIN(...)                                                      \
	int main(int argc, char **argv)                                        \
	{                                                                      \
		return pt_test_main(argc, argv,                                \
				    &(const struct pt_test_main_opts){         \
					    .suite = __VA_ARGS__ });           \
	}

/* --- test cases ---------------------------------------------------------- */

/* --- suites as data ------------------------------------------------------ */

/* One TCase of a program's suite. Every test in it runs inside the leak
 * ledger: a descriptor, child or /dev/shm entry of this process's that a
 * test leaves behind fails it. (Mappings are not compared around a whole
 * test: a joined thread's stack stays cached by glibc, a new thread's
 * malloc arena stays mapped; the tests that count them do so by hand,
 * after a warm-up.) Its tests run in the order once, for_kinds, for_rows;
 * for_kinds loops over PT_KIND_THREAD .. pt_test_kinds_end()
 * (support/kinds.h). */
struct pt_test_group {
	const char *name;
	const TTest *const *once;      /* PT_TESTS(...): each runs once */
	const TTest *const *for_kinds; /* each loops over the unit kinds */
	const TTest *const *for_rows;  /* each loops over _i in [0, rows) */
	int rows;
	void (*setup)(void);	/* a checked fixture after the ledger's, */
	void (*teardown)(void); /* or NULL */
	int timeout_s;		/* 0: Check's default */
	/* Selected by CK_INCLUDE_TAGS/CK_EXCLUDE_TAGS: "process" starts
	 * process units or workers, "crash" crashes a process on purpose;
	 * scripts/valgrind.sh leaves both out (valgrind 3.19 knows no
	 * pidfd, and rightly reports the crash). */
	const char *tags;
	int skip; /* left out of the suite when set */
};

/* A NULL-ended list of tests for a pt_test_group. */
#define PT_TESTS(...) ((const TTest *const[]){ __VA_ARGS__, NULL })

/* The suite named name with one TCase per group, in order. */
Suite *pt_test_suite_of(const char *name, const struct pt_test_group *groups,
			size_t n);

/* PT_TEST_SUITE("name", { "group", .once = PT_TESTS(a, b) }, ...) */
#define PT_TEST_SUITE(name, ...)                                               \
	pt_test_suite_of(                                                      \
		name, (const struct pt_test_group[]){ __VA_ARGS__ },           \
		sizeof((const struct pt_test_group[]){ __VA_ARGS__ }) /        \
			sizeof(struct pt_test_group))

/* The configuration a loop test runs (its row of a table of named cases,
 * picked by _i): every failure message of the test from here on starts
 * with "[name] ". The fixture forgets it before the next test. name must
 * outlive the test (a string literal, a static table). */
void pt_test_case(const char *name);

/* --- asserts ------------------------------------------------------------- */

/* "-EINVAL", "0", or the number when it has no name; for messages. */
const char *pt_test_err_name(long rc, char buf[static 24]);

/* expr returns 0 or -errno (the library's convention): fails the test
 * unless it returned 0, naming the call and the error. */
#define PT_ASSERT_OK(expr)                                                     \
	do {                                                                   \
		long pt_rc_ = (long)(expr);                                    \
		char pt_nb_[24];                                               \
		ck_assert_msg(pt_rc_ == 0, "%s returned %s: %s", #expr,        \
			      pt_test_err_name(pt_rc_, pt_nb_),                \
			      pt_strerror((int)pt_rc_));                       \
	} while (0)

/* expr must return exactly err (a -errno): fails naming the call, what it
 * returned and what it should have. */
#define PT_ASSERT_ERR(expr, err)                                               \
	do {                                                                   \
		long pt_rc_ = (long)(expr);                                    \
		long pt_want_ = (long)(err);                                   \
		char pt_nb_[24], pt_wb_[24];                                   \
		ck_assert_msg(pt_rc_ == pt_want_,                              \
			      "%s returned %s (%s), not %s (%s)", #expr,       \
			      pt_test_err_name(pt_rc_, pt_nb_),                \
			      pt_strerror((int)pt_rc_),                        \
			      pt_test_err_name(pt_want_, pt_wb_),              \
			      pt_strerror((int)pt_want_));                     \
	} while (0)

/* --- forking ------------------------------------------------------------- */

/* fork(), failing the test when it fails - in the parent only. The child
 * must make no Check call before it ends (_exit()): each assert, passing
 * or not, writes a record into Check's message channel, which a forked
 * child shares with its parent, and two writers garbled it ("Bad message
 * type", test_harness 1 run in 10). So no assert on the pid right after
 * fork() either: the child would make it too. */
pid_t pt_test_fork(void);

/* --- time ---------------------------------------------------------------- */

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t pt_test_now_ns(void);

#endif
