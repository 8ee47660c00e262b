/* test_report_scale - `report` stays near-linear in the number of
 * records. Pairing and grouping once compared every record with every
 * other: 9,200 records took 10 s and 36,800 over two minutes. Here 40,960
 * distinct records (several suites, both kinds, peers, limits, a sweep and
 * a repeat parameter, as several runs merged into one file make) must
 * render within the ctest TIMEOUT of this test (tests/CMakeLists.txt),
 * which a quadratic pass overruns by minutes; the elapsed time is printed.
 * The page is checked in chunks, as it is over 100 MB. */
#include "report/html.h"
#include "report/report.h"

#include "sample.h"
#include "support/test.h"

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* 64 records a repeat: 40,960 records, the size of the file that took
 * 2 minutes (issue 14). */
#define REPEATS 640

static void add(struct results *res, const char *suite, const char *name,
		const char *kind, const char *peer, const char *transport,
		long long size, long long rep, double median)
{
	struct param params[] = {
		{ .key = "transport",
		  .type = PARAM_STR,
		  .str = (char *)transport },
		{ .key = "placement", .type = PARAM_STR, .str = "same-cpu" },
		{ .key = "size", .type = PARAM_INT, .i = size },
		{ .key = "rep", .type = PARAM_INT, .i = rep },
	};
	struct record rec = {
		.suite = (char *)suite,
		.name = (char *)name,
		.kind = (char *)kind,
		.unit = "ns",
		.peer = (char *)peer,
		.params = params,
		.n_params = 4,
		.stats = { .samples = 10,
			   .min = median * 0.9,
			   .median = median,
			   .p90 = median * 1.1,
			   .p99 = median * 1.2,
			   .max = median * 1.3,
			   .mean = median,
			   .stddev = median * 0.05,
			   .ci_low = median * 0.95,
			   .ci_high = median * 1.05 },
		.batch = 1,
	};

	ck_assert_int_eq(results_add(res, &rec), 0);
}

/* The records of a repeat beside the ipc sweep: a limit, peers and
 * kinds of other suites. */
static const struct {
	const char *suite, *name, *kind, *peer, *transport;
	long long size;
	double median;
} fixed[] = {
	{ "ipc", "latency", "none", NULL, "limit-memcpy", 8, 100 },
	{ "create", "create-join", "thread", NULL, "raw", 0, 20000 },
	{ "create", "create-join", "process", NULL, "raw", 0, 600000 },
	{ "create", "create-join", "process", "stress-ng", "raw", 0, 700000 },
	{ "failure", "survivors", "none", NULL, "segv", 0, 15 },
	{ "failure", "survivors", "none", NULL, "abort", 0, 15 },
	{ "memory", "rss", "thread", NULL, "raw", 4096, 4096 },
	{ "memory", "rss", "process", NULL, "raw", 4096, 8192 },
	{ "memory", "rss", "thread", NULL, "raw", 65536, 4096 },
	{ "memory", "rss", "process", NULL, "raw", 65536, 8192 },
};

static void many_records(struct results *res)
{
	static const long long sizes[] = { 8, 64, 512, 4096, 32768, 262144 };
	static const char *const transports[] = { "pipe", "shm", "socket" };

	sample_run_header(res, "2026-12-06T12:00:00Z");
	for (long long rep = 0; rep < REPEATS; rep++) {
		for (size_t t = 0; t < 3; t++)
			for (size_t s = 0; s < 6; s++) {
				double base = 1000.0 + 10.0 * (double)s;

				add(res, "ipc", "latency", "thread", NULL,
				    transports[t], sizes[s], rep, base);
				add(res, "ipc", "latency", "process", NULL,
				    transports[t], sizes[s], rep, 2 * base);
				add(res, "ipc", "latency", "process",
				    "perf bench", transports[t], sizes[s], rep,
				    3 * base);
			}
		for (size_t k = 0; k < sizeof(fixed) / sizeof(fixed[0]); k++)
			add(res, fixed[k].suite, fixed[k].name, fixed[k].kind,
			    fixed[k].peer, fixed[k].transport, fixed[k].size,
			    rep, fixed[k].median);
	}
}

/* Whether the file holds needle, read in chunks that overlap by the
 * needle's length. */
static bool file_has(FILE *f, const char *needle)
{
	static char buf[1 << 20];
	size_t keep = strlen(needle) - 1, have = 0, got;
	bool found = false;

	rewind(f);
	while (!found &&
	       (got = fread(buf + have, 1, sizeof(buf) - 1 - have, f)) > 0) {
		have += got;
		buf[have] = '\0';
		found = strstr(buf, needle) != NULL;
		memmove(buf, buf + have - keep, keep);
		have = keep;
	}
	return found;
}

START_TEST(forty_thousand_records_render)
{
	struct results res;
	struct timespec t0, t1;
	FILE *out = tmpfile();
	char tail[9] = "";

	ck_assert_ptr_nonnull(out);
	many_records(&res);
	ck_assert_uint_ge(res.n_records, 40000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(report_html(&res, "many.json", out), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_int_eq(fflush(out), 0);
	printf("report of %zu records: %.2f s, %ld bytes\n", res.n_records,
	       (double)(t1.tv_sec - t0.tv_sec) +
		       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	       ftell(out));
	ck_assert_int_eq(fseek(out, -8, SEEK_END), 0);
	ck_assert_uint_eq(fread(tail, 1, 8, out), 8);
	ck_assert_str_eq(tail, "</html>\n");
	/* Ratios are still found through the pairing: ours over the peer's,
	 * process over thread. */
	ck_assert(file_has(out, "ours/peer 0.67"));
	ck_assert(file_has(out, "proc/thr 2.00"));
	ck_assert(!file_has(out, "nan"));
	fclose(out);
	results_free(&res);
}
END_TEST

static Suite *report_scale_suite(void)
{
	return PT_TEST_SUITE(
		"report_scale",
		{ "scale", .once = PT_TESTS(forty_thousand_records_render) });
}

PT_TEST_MAIN(report_scale_suite)
