/* rank_test.c - the Mann-Whitney U test (see rank_test.h).
 *
 * Both sets are ranked together, ties taking the average of their ranks;
 * U of b is the sum of b's ranks less nb(nb+1)/2. Under the null
 * hypothesis U has mean na*nb/2 and variance na*nb/12 * ((n+1) - T), with T
 * the ties' correction sum(t^3 - t) / (n(n-1)). With the thousands of
 * samples a case keeps, the normal approximation is exact to many digits;
 * it stays usable down to about 8 samples a side.
 */
#include "report/rank_test.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

struct ranked {
	double v;
	bool from_b;
};

static int cmp_ranked(const void *x, const void *y)
{
	double a = ((const struct ranked *)x)->v;
	double b = ((const struct ranked *)y)->v;

	return (a > b) - (a < b);
}

int rank_test(const double *a, size_t na, const double *b, size_t nb,
	      struct rank_test *out)
{
	size_t n = na + nb;
	struct ranked *all;
	double rank_sum_b = 0, ties = 0, u, mean, var, z;

	if (!na || !nb)
		return -EINVAL;
	all = malloc(n * sizeof(*all));
	if (!all)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		all[i].from_b = i >= na;
		all[i].v = i < na ? a[i] : b[i - na];
		if (!isfinite(all[i].v)) {
			free(all);
			return -EINVAL;
		}
	}
	qsort(all, n, sizeof(*all), cmp_ranked);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		double t, avg;

		while (j < n && all[j].v == all[i].v)
			j++;
		/* Ranks i+1 .. j, 1-based: their average. */
		avg = ((double)i + 1 + (double)j) / 2;
		t = (double)(j - i);
		ties += t * t * t - t;
		for (size_t k = i; k < j; k++)
			rank_sum_b += all[k].from_b ? avg : 0;
		i = j;
	}
	free(all);
	u = rank_sum_b - (double)nb * ((double)nb + 1) / 2;
	mean = (double)na * (double)nb / 2;
	var = (double)na * (double)nb / 12 *
	      ((double)n + 1 -
	       (n > 1 ? ties / ((double)n * (double)(n - 1)) : 0));
	out->superiority = u / ((double)na * (double)nb);
	if (!(var > 0)) { /* every sample equal: nothing tells them apart */
		out->p = 1;
		return 0;
	}
	z = (fabs(u - mean) - 0.5) / sqrt(var);
	out->p = z > 0 ? erfc(z / sqrt(2)) : 1;
	return 0;
}
