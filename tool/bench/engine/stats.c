/* stats.c - statistics of samples: order statistics, moments, the median's
 * confidence interval and the outlier count.
 *
 * The median's interval comes from order statistics rather than a
 * bootstrap: it needs no random numbers, is exact for any continuous
 * distribution, and makes the same file give the same interval twice. */
#include "bench/engine/stats.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a;
	double y = *(const double *)b;

	return (x > y) - (x < y);
}

double stats_quantile(const double *sorted, size_t n, double p)
{
	double h;
	size_t lo;

	if (p <= 0 || n == 1)
		return sorted[0];
	if (p >= 1)
		return sorted[n - 1];
	h = (double)(n - 1) * p;
	lo = (size_t)floor(h);
	if (lo + 1 >= n)
		return sorted[n - 1];
	return sorted[lo] + (h - (double)lo) * (sorted[lo + 1] - sorted[lo]);
}

/* log of the binomial coefficient C(n, k), through lgamma so that large n
 * neither overflows nor underflows. */
static double log_choose(size_t n, size_t k)
{
	int sign; /* lgamma_r: lgamma's sign goes to a global */

	return lgamma_r((double)n + 1, &sign) - lgamma_r((double)k + 1, &sign) -
	       lgamma_r((double)(n - k) + 1, &sign);
}

void stats_median_ci_ranks(size_t n, size_t *lo, size_t *hi)
{
	const double half_alpha = 0.025;
	double log_half_n = (double)n * log(0.5);
	double cdf = 0; /* P(B <= k) */
	size_t k = 0;

	/* Walk k up while P(B <= k) stays within the tail; lo = k + 1 for
	 * the last k that did. */
	*lo = 0;
	while (k <= n / 2) {
		cdf += exp(log_choose(n, k) + log_half_n);
		if (cdf > half_alpha)
			break;
		*lo = k + 1;
		k++;
	}
	if (*lo == 0) {
		*lo = 1;
		*hi = n;
		return;
	}
	*hi = n + 1 - *lo;
}

static size_t count_outliers(const double *sorted, size_t n)
{
	double q1 = stats_quantile(sorted, n, 0.25);
	double q3 = stats_quantile(sorted, n, 0.75);
	double fence = 1.5 * (q3 - q1);
	size_t count = 0;

	for (size_t i = 0; i < n; i++)
		if (sorted[i] < q1 - fence || sorted[i] > q3 + fence)
			count++;
	return count;
}

int stats_compute(double *values, size_t n, struct stats *out)
{
	double sum = 0, sq = 0, mean;
	size_t lo, hi;

	if (n == 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!isfinite(values[i]))
			return -EINVAL;
	qsort(values, n, sizeof(*values), cmp_double);
	for (size_t i = 0; i < n; i++)
		sum += values[i];
	mean = sum / (double)n;
	/* Two passes: the sum of squared deviations loses no precision to
	 * a large mean, unlike sum(x^2) - n * mean^2. */
	for (size_t i = 0; i < n; i++)
		sq += (values[i] - mean) * (values[i] - mean);

	out->samples = n;
	out->min = values[0];
	out->max = values[n - 1];
	out->median = stats_quantile(values, n, 0.5);
	out->p90 = stats_quantile(values, n, 0.90);
	out->p99 = stats_quantile(values, n, 0.99);
	out->p1 = stats_quantile(values, n, 0.01);
	out->mean = mean;
	out->stddev = n > 1 ? sqrt(sq / (double)(n - 1)) : 0;
	stats_median_ci_ranks(n, &lo, &hi);
	out->ci_low = values[lo - 1];
	out->ci_high = values[hi - 1];
	out->outliers = count_outliers(values, n);
	return 0;
}

void stats_widen_ci(struct stats *s, const double *medians, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (medians[i] < s->ci_low)
			s->ci_low = medians[i];
		if (medians[i] > s->ci_high)
			s->ci_high = medians[i];
	}
}
