/* stats.h - the statistics of one case's samples. Pure functions: no
 * clock, no I/O, so tests check them against hand-made samples. */
#ifndef TOOL_BENCH_ENGINE_STATS_H
#define TOOL_BENCH_ENGINE_STATS_H

#include "results/results.h"

#include <stddef.h>

/* The p-quantile (0 <= p <= 1) of n sorted values, interpolated linearly
 * between the two nearest ranks (type 7 of Hyndman and Fan, the default of
 * R and NumPy): with h = (n - 1) * p, it is x[floor h] plus the fraction of
 * h times the step to the next value. n must be at least 1. */
double stats_quantile(const double *sorted, size_t n, double p);

/* The 1-based ranks (lo, hi) of the order statistics that bound the median
 * of n samples with at least 95% confidence, from the binomial
 * distribution: the largest lo with P(B <= lo - 1) <= 0.025 for
 * B ~ Bin(n, 1/2), and hi = n + 1 - lo. Below 6 samples no such pair
 * exists and the whole range (1, n) is returned. n must be at least 1. */
void stats_median_ci_ranks(size_t n, size_t *lo, size_t *hi);

/* Computes every field of *out from n samples (n >= 1). Sorts values in
 * place. Returns 0, or -EINVAL for n == 0 or a value that is not finite. */
int stats_compute(double *values, size_t n, struct stats *out);

/* Widens the median's interval in *s to take in each of n medians of parts
 * of the samples taken at different times (rounds): when the machine's
 * speed drifted between them, the samples are not alike over time, and
 * the order-statistics interval, which assumes they are, is too narrow. */
void stats_widen_ci(struct stats *s, const double *medians, size_t n);

#endif
