/* compare.h - two runs, case by case: did anything get slower?
 *
 * Cases are matched as docs/results-schema.md says (suite, name, kind, peer
 * and every parameter). A case is worse when two things hold at once: the
 * medians' 95% confidence intervals do not overlap (the difference is
 * beyond the noise the runs themselves show), and the median moved by more
 * than the threshold (the difference is large enough to matter). Which way
 * is worse follows the unit: more time or bytes, fewer operations per
 * second. Peer tools' figures are compared and shown, but never count as a
 * regression of ours.
 */
#ifndef PT_REPORT_COMPARE_H
#define PT_REPORT_COMPARE_H

#include "report/results.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define PT_COMPARE_THRESHOLD 0.05 /* the default: 5% */

enum pt_verdict {
	PT_VERDICT_SAME,   /* the intervals overlap */
	PT_VERDICT_SMALL,  /* beyond the noise, within the threshold */
	PT_VERDICT_BETTER, /* beyond both, the good way */
	PT_VERDICT_WORSE,  /* beyond both, the bad way */
	PT_VERDICT_UNITS,  /* the units differ: not comparable */
};

struct pt_case_diff {
	size_t base, next; /* record indices in each run */
	double ratio;	   /* next median over base median */
	bool beyond_noise, beyond_threshold;
	enum pt_verdict verdict;
};

struct pt_comparison {
	double threshold;
	struct pt_case_diff *cases;
	size_t n_cases;
	size_t *only_base, *only_next; /* record indices */
	size_t n_only_base, n_only_next;
	size_t regressions; /* PT_VERDICT_WORSE cases of ours */
	size_t improvements;
};

/* Compares next against base with a threshold (0.05 for 5%). Returns 0 and
 * fills *out (free it with pt_comparison_free()), or -ENOMEM, -EINVAL for
 * a negative threshold. */
int pt_compare(const struct pt_results *base, const struct pt_results *next,
	       double threshold, struct pt_comparison *out);
void pt_comparison_free(struct pt_comparison *cmp);

/* "same", "within-threshold", "better", "worse", "units-differ". */
const char *pt_verdict_name(enum pt_verdict verdict);

/* The comparison as aligned text, with a header naming both runs, and as
 * a JSON document (schema "procthread-compare/1"). Return 0 or -errno. */
int pt_compare_print(FILE *out, const struct pt_comparison *cmp,
		     const struct pt_results *base, const char *base_name,
		     const struct pt_results *next, const char *next_name);
int pt_compare_json(FILE *out, const struct pt_comparison *cmp,
		    const struct pt_results *base, const char *base_name,
		    const struct pt_results *next, const char *next_name);

#endif
