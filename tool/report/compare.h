/* compare.h - two runs, case by case: did anything get slower?
 *
 * Cases are matched as docs/results-schema.md says (suite, name, kind, peer
 * and every parameter). A difference has to pass three tests before it
 * counts, because there are three kinds of noise:
 * - sampling noise, within a run: the medians' 95% confidence intervals
 *   must not overlap;
 * - a change too small to matter: the median must move by more than the
 *   threshold (5% by default);
 * - run-to-run drift: two runs of one build on one machine differ in every
 *   case by more than their intervals say (frequency, cache and page
 *   placement, a virtual machine's neighbours). The drift is measured from
 *   the comparison itself: the typical shift of all our cases (1.4826 times
 *   the median absolute log ratio, a robust standard deviation), and a
 *   case must move by more than COMPARE_DRIFT_K times it. One case
 *   slowed while the others hold still stands out; a whole run that came
 *   out a little different does not.
 * Where both runs kept their samples (raw, schema 2), a rank test stands
 * beside the drift bound, as benchstat compares runs: the Mann-Whitney U
 * test over the two sets of samples replaces the intervals as the noise
 * test, and a case whose samples barely overlap any more (one run's sample
 * beats the other's with probability COMPARE_SEPARATED or more) need
 * only move by COMPARE_RANK_DRIFT_K robust standard deviations of the
 * run-wide drift instead of COMPARE_DRIFT_K - and by more than
 * COMPARE_TIME_DRIFT_K times the case's own drift within each run (the
 * spread of the medians of six stretches of its samples, in the order
 * taken), so that a case that wanders within a run is not judged by the
 * steady ones. Drift moves a case's whole distribution a little, as it
 * moves it within a run; a regression moves it clear of where it was: so
 * a +20% slower create-join is caught on an idle machine while two normal
 * runs still flag nothing. Files without raw keep the rule above alone.
 * Which way is worse follows the unit: more time or bytes, fewer operations
 * per second. A case flagged noisy in either run (record_noisy()) is
 * shown with its verdict but never counts: another run may differ by that
 * much. Peer tools' figures are compared and shown, but never count as a
 * regression of ours.
 */
#ifndef TOOL_REPORT_COMPARE_H
#define TOOL_REPORT_COMPARE_H

#include "results/results.h"
#include "term/term.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define COMPARE_THRESHOLD 0.05 /* the default: 5% */
/* How many robust standard deviations of the run-to-run drift a case must
 * move: few enough that one case 50% slower among steady ones is caught,
 * many enough that two normal runs of a virtual machine, whose cases move
 * by 7% typically and 72% at worst, are not flagged. */
#define COMPARE_DRIFT_K 5.0
/* The rank test (files with raw samples): the p-value below which two
 * sets of samples differ; how separated they must be (the probability
 * that a sample of one run beats one of the other, 0.5 when alike); and
 * the drift multiple that is then enough. */
#define COMPARE_ALPHA	     0.001
#define COMPARE_SEPARATED    0.9
#define COMPARE_RANK_DRIFT_K 2.5
#define COMPARE_TIME_DRIFT_K 4.0
#define COMPARE_STRETCHES    6
/* Fewer samples than this on either side, and no rank test: two per
 * stretch. */
#define COMPARE_RANK_MIN ((size_t)2 * COMPARE_STRETCHES)
/* Fewer matched cases than this, and the drift is not estimated. */
#define COMPARE_DRIFT_MIN_CASES 10

enum verdict {
	VERDICT_SAME,	/* the intervals overlap */
	VERDICT_SMALL,	/* beyond the noise, within the threshold */
	VERDICT_DRIFT,	/* beyond both, within the run-to-run drift */
	VERDICT_BETTER, /* beyond all three, the good way */
	VERDICT_WORSE,	/* beyond all three, the bad way */
	VERDICT_UNITS,	/* the units differ: not comparable */
};

struct case_diff {
	size_t base, next; /* record indices in each run */
	double ratio;	   /* next median over base median */
	bool beyond_noise, beyond_threshold, beyond_drift;
	bool noisy; /* flagged noisy in either run: never counted */
	/* The rank test, where both records kept their samples: its
	 * p-value and P(a new sample > a base sample); NAN when not run. */
	bool ranked;
	double p, superiority;
	double time_drift; /* the larger run's own drift (log), or NAN */
	enum verdict verdict;
};

struct comparison {
	double threshold;
	/* The run-to-run drift: the robust standard deviation of our cases'
	 * log ratios (0 when fewer than COMPARE_DRIFT_MIN_CASES), and the
	 * relative change a case must exceed, exp(K * drift) - 1. */
	double drift, drift_bound;
	struct case_diff *cases;
	size_t n_cases;
	size_t *only_base, *only_next; /* record indices */
	size_t n_only_base, n_only_next;
	size_t regressions;  /* VERDICT_WORSE cases of ours, not noisy */
	size_t improvements; /* VERDICT_BETTER cases of ours, not noisy */
};

/* Compares next against base with a threshold (0.05 for 5%). Returns 0 and
 * fills *out (free it with comparison_free()), or -ENOMEM, -EINVAL for
 * a negative threshold. */
int report_compare(const struct results *base, const struct results *next,
		   double threshold, struct comparison *out);
void comparison_free(struct comparison *cmp);

/* "same", "within-threshold", "within-drift", "better", "worse",
 * "units-differ". */
const char *verdict_name(enum verdict verdict);

/* The comparison as aligned text, with a header naming both runs (term:
 * colour a worse case red, a better one green, a noisy one dim; NULL: no
 * colour), and as a JSON document (schema "procthread-compare/1"). Return
 * 0 or -errno. */
int compare_print(FILE *out, const struct comparison *cmp,
		  const struct results *base, const char *base_name,
		  const struct results *next, const char *next_name,
		  const struct term *term);
int compare_json(FILE *out, const struct comparison *cmp,
		 const struct results *base, const char *base_name,
		 const struct results *next, const char *next_name);

#endif
