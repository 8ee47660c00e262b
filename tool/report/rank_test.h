/* rank_test.h - the Mann-Whitney U test of two sets of samples, as
 * benchstat compares two runs: no assumption on the shape of the
 * distributions (benchmark times are skewed, with a long slow tail), only
 * that the samples of each set are alike. Pure: no I/O, no state. */
#ifndef TOOL_REPORT_RANK_TEST_H
#define TOOL_REPORT_RANK_TEST_H

#include <stddef.h>

struct rank_test {
	/* P(a sample of b > a sample of a), ties counting half: 0.5 when
	 * the two are alike, 1 when every sample of b is above every
	 * sample of a (Vargha and Delaney's A, U / (n_a * n_b)). */
	double superiority;
	/* Two-sided p-value of "a and b come from one distribution", from
	 * the normal approximation of U with the correction for ties and
	 * for continuity. */
	double p;
};

/* Tests a[0..na) against b[0..nb) (na, nb >= 1; the arrays are not
 * changed). Returns 0, -EINVAL for an empty set or a value that is not
 * finite, or -ENOMEM. */
int rank_test(const double *a, size_t na, const double *b, size_t nb,
	      struct rank_test *out);

#endif
