/* test_procfs - the /proc readers the tool's inspect command, demos and
 * try use (tool/procfs/). */
#include "procfs/procfs.h"

#include "support/test.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

START_TEST(stat_with_a_hostile_command_name)
{
	/* A command may hold blanks and parentheses: only the last ')'
	 * ends it. */
	const char *line =
		"4242 (a) (b c)) S 17 4242 4242 0 -1 4194560 1 2 3 4 150 25 "
		"0 0 30 10 3 0 98765 1234567 321 18446744073709551615 1 2 3 "
		"4 5 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
	struct procfs_stat st;

	ck_assert_int_eq(procfs_parse_stat(line, &st), 0);
	ck_assert_int_eq(st.pid, 4242);
	ck_assert_str_eq(st.comm, "a) (b c)");
	ck_assert_int_eq(st.state, 'S');
	ck_assert_int_eq(st.ppid, 17);
	ck_assert_uint_eq(st.utime_ticks, 150);
	ck_assert_uint_eq(st.stime_ticks, 25);
	ck_assert_int_eq(st.priority, 30);
	ck_assert_int_eq(st.nice, 10);
	ck_assert_int_eq(st.num_threads, 3);
	ck_assert_uint_eq(st.start_ticks, 98765);
	ck_assert_uint_eq(st.vsize_bytes, 1234567);
	ck_assert_uint_eq(st.rss_pages, 321);
	ck_assert_int_eq(st.processor, 1);
	ck_assert_uint_eq(st.policy, 0);
}
END_TEST

START_TEST(negative_nice_keeps_its_sign)
{
	/* Fields 3 to 41: priority (18) 0, nice (19) -20, processor
	 * (39) 3. */
	const char *line = "7 (x) R 1 7 7 0 -1 0 0 0 0 0 1 1 0 0 0 -20 1 0 "
			   "5 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 3 0 0\n";
	struct procfs_stat st;

	ck_assert_int_eq(procfs_parse_stat(line, &st), 0);
	ck_assert_int_eq(st.priority, 0);
	ck_assert_int_eq(st.nice, -20);
	ck_assert_int_eq(st.processor, 3);
}
END_TEST

START_TEST(truncated_stat_is_refused)
{
	struct procfs_stat st = { .pid = 99 };

	ck_assert_int_eq(procfs_parse_stat("12 (x) S 1 2 3", &st), -EBADMSG);
	ck_assert_int_eq(procfs_parse_stat("12 x S 1", &st), -EBADMSG);
	ck_assert_int_eq(procfs_parse_stat("", &st), -EBADMSG);
	ck_assert_int_eq(st.pid, 99); /* untouched on failure */
}
END_TEST

START_TEST(own_stat_and_status)
{
	struct procfs_stat st;
	char *status = NULL, val[32];
	uint64_t tgid;

	ck_assert_int_eq(procfs_stat(AT_FDCWD, "/proc/self/stat", &st), 0);
	ck_assert_int_eq(st.pid, getpid());
	ck_assert_int_eq(st.ppid, getppid());
	ck_assert_int_eq(st.state, 'R');
	ck_assert_int_eq(
		procfs_read(AT_FDCWD, "/proc/self/status", &status, NULL), 0);
	ck_assert(procfs_field_u64(status, "Tgid", &tgid));
	ck_assert_uint_eq(tgid, (uint64_t)getpid());
	ck_assert(procfs_field(status, "State", val, sizeof(val)));
	ck_assert_int_eq(val[0], 'R');
	ck_assert(!procfs_field(status, "NoSuchKey", val, sizeof(val)));
	/* A key is matched whole: "Tgi" is not "Tgid". */
	ck_assert(!procfs_field_u64(status, "Tgi", &tgid));
	free(status);
}
END_TEST

START_TEST(missing_file_is_enoent)
{
	char *text = (char *)"untouched";

	ck_assert_int_eq(
		procfs_read(AT_FDCWD, "/proc/self/no-such-file", &text, NULL),
		-ENOENT);
	ck_assert_str_eq(text, "untouched");
}
END_TEST

START_TEST(long_file_is_read_whole)
{
	char *text = NULL;
	size_t len = 0;
	int lines = 0;

	/* maps of a process with many mappings passes several chunks. */
	ck_assert_int_eq(procfs_read(AT_FDCWD, "/proc/self/maps", &text, &len),
			 0);
	ck_assert_uint_eq(strlen(text), len);
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	ck_assert_int_gt(lines, 5);
	ck_assert_int_eq(text[len - 1], '\n');
	free(text);
}
END_TEST

START_TEST(ticks_convert_to_nanoseconds)
{
	long hz = sysconf(_SC_CLK_TCK);

	ck_assert_uint_eq(procfs_ticks_ns((uint64_t)hz), 1000000000u);
	ck_assert_uint_eq(procfs_ticks_ns(0), 0);
}
END_TEST

static Suite *procfs_suite(void)
{
	return PT_TEST_SUITE(
		"procfs",
		{ "procfs",
		  .once = PT_TESTS(stat_with_a_hostile_command_name,
				   negative_nice_keeps_its_sign,
				   truncated_stat_is_refused,
				   own_stat_and_status, missing_file_is_enoent,
				   long_file_is_read_whole,
				   ticks_convert_to_nanoseconds) });
}

PT_TEST_MAIN(procfs_suite)
