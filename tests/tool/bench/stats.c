/* test_bench_stats - the benchmark's statistics against hand-made
 * samples whose medians, percentiles and intervals are worked out by hand,
 * and the formatting the table relies on. */
#include "bench/engine/stats.h"
#include "report/report.h"

#include "support/test.h"

#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define EPS 1e-9

START_TEST(quantiles_interpolate_between_ranks)
{
	/* 1..10: h = 9p, so p90 = x[8.1] = 9.1 and p99 = x[8.91] = 9.91. */
	double x[10];

	for (int i = 0; i < 10; i++)
		x[i] = i + 1;
	ck_assert_double_eq_tol(stats_quantile(x, 10, 0.5), 5.5, EPS);
	ck_assert_double_eq_tol(stats_quantile(x, 10, 0.9), 9.1, EPS);
	ck_assert_double_eq_tol(stats_quantile(x, 10, 0.99), 9.91, EPS);
	ck_assert_double_eq_tol(stats_quantile(x, 10, 0.25), 3.25, EPS);
	ck_assert_double_eq_tol(stats_quantile(x, 10, 0), 1, EPS);
	ck_assert_double_eq_tol(stats_quantile(x, 10, 1), 10, EPS);
	ck_assert_double_eq_tol(stats_quantile(x, 1, 0.9), 1, EPS);
}
END_TEST

START_TEST(median_of_odd_and_even_counts)
{
	double odd[] = { 7, 1, 3, 9, 5 }; /* sorted: 1 3 5 7 9 */
	double even[] = { 4, 1, 3, 2 };	  /* sorted: 1 2 3 4 */
	struct stats s;

	ck_assert_int_eq(stats_compute(odd, 5, &s), 0);
	ck_assert_double_eq_tol(s.median, 5, EPS);
	ck_assert_double_eq_tol(s.min, 1, EPS);
	ck_assert_double_eq_tol(s.max, 9, EPS);
	ck_assert_double_eq_tol(s.mean, 5, EPS);
	/* deviations -4 -2 0 2 4: sum of squares 40, / 4 = 10 */
	ck_assert_double_eq_tol(s.stddev, sqrt(10), EPS);
	ck_assert_int_eq(s.samples, 5);
	ck_assert_int_eq(stats_compute(even, 4, &s), 0);
	ck_assert_double_eq_tol(s.median, 2.5, EPS);
	ck_assert_double_eq_tol(s.p90, 3.7, EPS);
	ck_assert_double_eq_tol(s.p99, 3.97, EPS);
}
END_TEST

/* The median's 95% interval by ranks, from the binomial: n and the ranks. */
static const struct {
	size_t n, lo, hi;
} median_ranks[] = {
	{ 10, 2, 9 }, /* P(B <= 1) = 11/1024 <= 0.025 < P(B <= 2) = 56/1024 */
	{ 6, 1, 6 },  /* P(B <= 0) = 1/64 <= 0.025 < P(B <= 1) = 7/64 */
	{ 5, 1, 5 },  /* P(B <= 0) = 1/32 > 0.025: the whole range */
	{ 1, 1, 1 },  { 100, 40, 61 }, /* the textbook ranks */
};

START_TEST(median_interval_from_binomial_ranks)
{
	for (size_t k = 0; k < sizeof(median_ranks) / sizeof(median_ranks[0]);
	     k++) {
		size_t lo, hi;

		stats_median_ci_ranks(median_ranks[k].n, &lo, &hi);
		ck_assert_msg(lo == median_ranks[k].lo &&
				      hi == median_ranks[k].hi,
			      "n = %zu: ranks [%zu, %zu], not [%zu, %zu]",
			      median_ranks[k].n, lo, hi, median_ranks[k].lo,
			      median_ranks[k].hi);
	}
}
END_TEST

START_TEST(interval_and_outliers_of_samples)
{
	/* 1..20 with the 20th replaced by 1000: ranks (6, 15) for n = 20
	 * (P(B <= 5) = 0.0207, P(B <= 6) = 0.0577), so [6, 15]. */
	double x[20];
	struct stats s;

	for (int i = 0; i < 20; i++)
		x[19 - i] = i + 1; /* reversed: compute must sort */
	x[0] = 1000;
	ck_assert_int_eq(stats_compute(x, 20, &s), 0);
	ck_assert_double_eq_tol(s.median, 10.5, EPS);
	ck_assert_double_eq_tol(s.ci_low, 6, EPS);
	ck_assert_double_eq_tol(s.ci_high, 15, EPS);
	ck_assert_double_eq_tol(s.max, 1000, EPS);
	/* q1 = 5.75, q3 = 15.25, fences -8.5 and 29.5: only 1000 is out. */
	ck_assert_uint_eq(s.outliers, 1);
}
END_TEST

/* Widens s by the round medians and checks the interval it ends with. */
static void expect_widened(struct stats *s, const double *medians, size_t n,
			   double low, double high)
{
	stats_widen_ci(s, medians, n);
	ck_assert_double_eq_tol(s->ci_low, low, EPS);
	ck_assert_double_eq_tol(s->ci_high, high, EPS);
}

START_TEST(interval_takes_in_every_rounds_median)
{
	/* 1..20: [6, 15] as above. Round medians of 4 and 12 widen it below
	 * only; 5 and 18 below and above; medians inside change nothing. */
	double x[20];
	const double below[] = { 4, 12 }, both[] = { 5, 18 }, inside[] = { 8 };
	struct stats s;

	for (int i = 0; i < 20; i++)
		x[i] = i + 1;
	ck_assert_int_eq(stats_compute(x, 20, &s), 0);
	expect_widened(&s, inside, 1, 6, 15);
	expect_widened(&s, below, 2, 4, 15);
	expect_widened(&s, both, 2, 4, 18);
	ck_assert_double_eq_tol(s.median, 10.5, EPS);
	ck_assert_double_eq_tol(s.median, 10.5, EPS);
}
END_TEST

START_TEST(bad_samples_are_refused)
{
	double x[] = { 1, NAN, 3 };
	struct stats s;

	ck_assert_int_eq(stats_compute(x, 0, &s), -EINVAL);
	ck_assert_int_eq(stats_compute(x, 3, &s), -EINVAL);
}
END_TEST

START_TEST(values_are_scaled_for_people)
{
	char buf[64];
	struct param p = { .key = "size", .type = PARAM_INT, .i = 65536 };

	ck_assert_str_eq(format_value(850, "ns", buf, sizeof(buf)), "850 ns");
	ck_assert_str_eq(format_value(38242, "ns", buf, sizeof(buf)),
			 "38.2 us");
	ck_assert_str_eq(format_value(1.5e6, "ns", buf, sizeof(buf)),
			 "1.50 ms");
	ck_assert_str_eq(format_value(1024 * 1024, "bytes", buf, sizeof(buf)),
			 "1.00 MiB");
	ck_assert_str_eq(format_value(512, "bytes", buf, sizeof(buf)), "512 B");
	ck_assert_str_eq(format_value(17500, "ops/s", buf, sizeof(buf)),
			 "17.5 kops/s");
	ck_assert_str_eq(format_param(&p, buf, sizeof(buf)), "64K");
	p.key = "units";
	ck_assert_str_eq(format_param(&p, buf, sizeof(buf)), "65536");
}
END_TEST

START_TEST(records_match_by_every_param)
{
	struct param pa[] = {
		{ .key = "impl", .type = PARAM_STR, .str = "raw" },
		{ .key = "size", .type = PARAM_INT, .i = 64 },
	};
	struct param pb[] = {
		{ .key = "size", .type = PARAM_REAL, .real = 64.0 },
		{ .key = "impl", .type = PARAM_STR, .str = "raw" },
	};
	struct record a = { .suite = "s",
			    .name = "n",
			    .kind = "thread",
			    .unit = "ns",
			    .params = pa,
			    .n_params = 2 };
	struct record b = a;

	b.params = pb;
	ck_assert(record_same_case(&a, &b, false, false));
	b.kind = "process";
	ck_assert(!record_same_case(&a, &b, false, false));
	ck_assert(record_same_case(&a, &b, true, false));
	b.peer = "perf bench";
	ck_assert(!record_same_case(&a, &b, true, false));
	ck_assert(record_same_case(&a, &b, true, true));
	pb[0].real = 65;
	ck_assert(!record_same_case(&a, &b, true, true));
}
END_TEST

START_TEST(noisy_cases_are_flagged)
{
	struct record r = {
		.suite = "s", .name = "n", .kind = "thread", .unit = "ns"
	};

	r.stats = (struct stats){ .samples = 100,
				  .median = 100,
				  .mean = 110,
				  .ci_low = 92,
				  .ci_high = 109 };
	ck_assert(!record_noisy(&r)); /* -8%, +9%: within ±10% */
	r.stats.ci_high = 111;
	ck_assert(record_noisy(&r)); /* +11% */
	r.stats.ci_high = 104;
	r.stats.ci_low = 89;
	ck_assert(record_noisy(&r)); /* -11% */
	r.stats.ci_low = 97;
	r.stats.mean = 130;
	/* skew is not noise: fork's slow tail drags the mean up */
	ck_assert(!record_noisy(&r));
}
END_TEST

static Suite *bench_stats_suite(void)
{
	return PT_TEST_SUITE(
		"bench_stats",
		{ "stats",
		  .once = PT_TESTS(quantiles_interpolate_between_ranks,
				   median_of_odd_and_even_counts,
				   median_interval_from_binomial_ranks,
				   interval_and_outliers_of_samples,
				   interval_takes_in_every_rounds_median,
				   bad_samples_are_refused,
				   values_are_scaled_for_people,
				   records_match_by_every_param,
				   noisy_cases_are_flagged) });
}

PT_TEST_MAIN(bench_stats_suite)
