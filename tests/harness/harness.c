/* test_harness - the harness's own promises (support/test.h): the ledger
 * fixture every PT_TEST_SUITE group gets is live, in Check's fork mode and
 * without it, and fails a test that leaves a descriptor, a child or a /dev/shm
 * entry behind, naming what it left; the asserts name the error; a failure
 * names the case that failed (pt_test_case()).
 *
 * The program runs itself (argv[0] --leak WHAT) with a one-test
 * suite that leaks WHAT (or fails an assert), and reads its exit status and
 * output: Check has no way to expect a failure within one run. */
#include "support/test.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/* --- the leaky program --------------------------------------------------- */

static const char *leak_what;

static int returns(int rc)
{
	return rc;
}

#define SHM_SUFFIX "-harness-leak"

START_TEST(leaks_what_it_is_told)
{
	if (!strcmp(leak_what, "fd")) {
		ck_assert_int_ge(open("/dev/null", O_RDONLY | O_CLOEXEC), 0);
	} else if (!strcmp(leak_what, "child")) {
		pid_t pid = pt_test_fork();

		if (pid == 0)
			_exit(0); /* a zombie nobody waits for */
	} else if (!strcmp(leak_what, "shm")) {
		char name[64];
		int fd;

		/* named as the library names its regions, which the ledger
		 * counts as this process's */
		snprintf(name, sizeof(name), "/procthread-%d-%s", (int)getpid(),
			 SHM_SUFFIX + 1);
		fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
			      0600);
		ck_assert_int_ge(fd, 0);
		close(fd);
	} else if (!strcmp(leak_what, "assert-ok")) {
		PT_ASSERT_OK(returns(-EAGAIN));
	} else if (!strcmp(leak_what, "assert-err")) {
		PT_ASSERT_ERR(returns(-EPIPE), -ETIMEDOUT);
	} else if (!strcmp(leak_what, "assert-err-success")) {
		PT_ASSERT_ERR(returns(0), -ENOENT);
	} else if (!strcmp(leak_what, "named-case")) {
		pt_test_case("shm, processes");
		ck_assert_int_eq(returns(1), 2);
	} else {
		ck_assert_str_eq(leak_what, "nothing");
	}
}
END_TEST

static Suite *leaky_suite(void)
{
	return PT_TEST_SUITE(
		"leaky", { "leaky", .once = PT_TESTS(leaks_what_it_is_told) });
}

/* The program's own path, to run it again: argv[0] rather than
 * /proc/self/exe, which under valgrind is valgrind. */
static const char *self_path = "/proc/self/exe";

static int leak_helper(int argc, char **argv)
{
	if (argc >= 1 && strchr(argv[0], '/'))
		self_path = argv[0];
	if (argc < 3 || strcmp(argv[1], "--leak"))
		return -1;
	leak_what = argv[2];
	return pt_test_main(
		1, argv,
		&(const struct pt_test_main_opts){ .suite = leaky_suite });
}

/* --- the checks ---------------------------------------------------------- */

struct leak_case {
	const char *name;    /* shown when the case fails */
	const char *leak;    /* what the leaky program does */
	const char *ck_fork; /* CK_FORK for it */
	int status;	     /* its exit status */
	const char *want;    /* what its output must say, if anything */
};

static const struct leak_case leak_cases[] = {
	{ "fd, forked", "fd", "yes", EXIT_FAILURE, "after->fds" },
	{ "fd, no fork", "fd", "no", EXIT_FAILURE, "after->fds" },
	{ "child, forked", "child", "yes", EXIT_FAILURE, "after->children" },
	{ "child, no fork", "child", "no", EXIT_FAILURE, "after->children" },
	{ "shm, forked", "shm", "yes", EXIT_FAILURE, "after->shm" },
	{ "shm, no fork", "shm", "no", EXIT_FAILURE, "after->shm" },
	{ "nothing, forked", "nothing", "yes", EXIT_SUCCESS, NULL },
	{ "nothing, no fork", "nothing", "no", EXIT_SUCCESS, NULL },
	{ "PT_ASSERT_OK fails", "assert-ok", "yes", EXIT_FAILURE,
	  "returns(-EAGAIN) returned -EAGAIN: " },
	{ "PT_ASSERT_ERR fails", "assert-err", "yes", EXIT_FAILURE,
	  "returns(-EPIPE) returned -EPIPE (" },
	{ "PT_ASSERT_ERR names the wanted error", "assert-err", "yes",
	  EXIT_FAILURE, "not -ETIMEDOUT (" },
	{ "PT_ASSERT_ERR fails on success", "assert-err-success", "yes",
	  EXIT_FAILURE, "returns(0) returned 0 (" },
	{ "case name, forked", "named-case", "yes", EXIT_FAILURE,
	  "[shm, processes] Assertion 'returns(1) == 2' failed" },
	{ "case name, no fork", "named-case", "no", EXIT_FAILURE,
	  "[shm, processes] Assertion 'returns(1) == 2' failed" },
};
#define N_LEAK_CASES (int)(sizeof(leak_cases) / sizeof(leak_cases[0]))

/* Unlinks the entries the leaky program left in /dev/shm. */
static void unlink_leaked_shm(void)
{
	DIR *dir = opendir("/dev/shm");
	struct dirent *ent;
	size_t n = strlen(SHM_SUFFIX);

	if (!dir)
		return;
	while ((ent = readdir(dir))) {
		size_t len = strlen(ent->d_name);
		char name[300];

		if (strncmp(ent->d_name, "procthread-", 11) || len < n ||
		    strcmp(ent->d_name + len - n, SHM_SUFFIX))
			continue;
		snprintf(name, sizeof(name), "/%s", ent->d_name);
		shm_unlink(name);
	}
	closedir(dir);
}

START_TEST(fixture_fails_a_test_that_leaks)
{
	const struct leak_case *c = &leak_cases[_i];
	char out[8192];
	size_t len = 0;
	int pipefd[2], status;
	ssize_t n;
	pid_t pid;

	pt_test_case(c->name);

	ck_assert_int_eq(pipe2(pipefd, O_CLOEXEC), 0);
	pid = pt_test_fork();
	if (pid == 0) {
		char *argv[] = { "test_harness", "--leak", (char *)c->leak,
				 NULL };

		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		setenv("CK_FORK", c->ck_fork, 1);
		unsetenv("CK_RUN_SUITE");
		unsetenv("CK_RUN_CASE");
		execv(self_path, argv);
		_exit(127);
	}
	close(pipefd[1]);
	while (len < sizeof(out) - 1 &&
	       (n = read(pipefd[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(pipefd[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	unlink_leaked_shm();
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == c->status,
		      "%s: status %#x, output:\n%s", c->name, status, out);
	if (c->want)
		ck_assert_msg(strstr(out, c->want), "%s: no \"%s\" in:\n%s",
			      c->name, c->want, out);
}
END_TEST

START_TEST(asserts_pass_what_they_should)
{
	PT_ASSERT_OK(returns(0));
	PT_ASSERT_ERR(returns(-EINVAL), -EINVAL);
}
END_TEST

START_TEST(error_names)
{
	char buf[24];

	ck_assert_str_eq(pt_test_err_name(-EINVAL, buf), "-EINVAL");
	ck_assert_str_eq(pt_test_err_name(0, buf), "0");
	ck_assert_str_eq(pt_test_err_name(7, buf), "7");
	ck_assert_str_eq(pt_test_err_name(-100000, buf), "-100000");
}
END_TEST

static Suite *harness_suite(void)
{
	return PT_TEST_SUITE(
		"harness",
		{ "ledger fixture",
		  .for_rows = PT_TESTS(fixture_fails_a_test_that_leaks),
		  .rows = N_LEAK_CASES, .timeout_s = 60 },
		{ "asserts", .once = PT_TESTS(asserts_pass_what_they_should,
					      error_names) });
}

PT_TEST_MAIN(harness_suite, .helper = leak_helper)
