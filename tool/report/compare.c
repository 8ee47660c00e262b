/* compare.c - matching two runs' cases and judging each difference (see
 * compare.h). Two passes: the first matches cases and measures each
 * shift (with the rank test where both kept their samples), from which the
 * run-to-run drift is estimated; the second judges each case against the
 * noise, the threshold and that drift. A run has a few hundred records, so
 * each base record is simply looked for among the new ones. */
#include "report/compare.h"

#include "report/rank_test.h"
#include "report/report.h"
#include "report/units.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *verdict_name(enum verdict verdict)
{
	switch (verdict) {
	case VERDICT_SAME:
		return "same";
	case VERDICT_SMALL:
		return "within-threshold";
	case VERDICT_DRIFT:
		return "within-drift";
	case VERDICT_BETTER:
		return "better";
	case VERDICT_WORSE:
		return "worse";
	case VERDICT_UNITS:
		return "units-differ";
	}
	return "unknown";
}

static bool comparable(const struct record *a, const struct record *b)
{
	return !strcmp(a->unit, b->unit);
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

static double median_of(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* How far a case wanders within its run: the robust standard deviation
 * (1.4826 times the median absolute deviation) of the logs of the medians
 * of COMPARE_STRETCHES stretches of its samples, in the order taken.
 * NAN when a stretch's median is not positive, or out of memory (then no
 * case is judged by the rank rule). */
static double time_drift(const double *raw, size_t n)
{
	double logs[COMPARE_STRETCHES], dev[COMPARE_STRETCHES], centre;
	double *part = malloc(n * sizeof(*part));

	if (!part)
		return NAN;
	for (size_t k = 0; k < COMPARE_STRETCHES; k++) {
		size_t from = k * n / COMPARE_STRETCHES;
		size_t to = (k + 1) * n / COMPARE_STRETCHES;
		double m;

		memcpy(part, raw + from, (to - from) * sizeof(*part));
		m = median_of(part, to - from);
		if (!(m > 0)) {
			free(part);
			return NAN;
		}
		logs[k] = log(m);
	}
	free(part);
	memcpy(dev, logs, sizeof(dev));
	centre = median_of(dev, COMPARE_STRETCHES);
	for (size_t k = 0; k < COMPARE_STRETCHES; k++)
		dev[k] = fabs(logs[k] - centre);
	return 1.4826 * median_of(dev, COMPARE_STRETCHES);
}

/* The shift of one case, and whether it is beyond the noise and the
 * threshold (first pass). */
static void measure(const struct record *a, const struct record *b,
		    double threshold, struct case_diff *d)
{
	double ma = a->stats.median, mb = b->stats.median;

	d->noisy = record_noisy(a) || record_noisy(b);
	if (!comparable(a, b)) {
		d->ratio = NAN;
		return;
	}
	d->ratio = ma != 0 ? mb / ma : mb == 0 ? 1 : INFINITY;
	d->beyond_noise = b->stats.ci_low > a->stats.ci_high ||
			  b->stats.ci_high < a->stats.ci_low;
	d->beyond_threshold = fabs(d->ratio - 1) > threshold;
	d->p = d->superiority = NAN;
	if (a->n_raw >= COMPARE_RANK_MIN && b->n_raw >= COMPARE_RANK_MIN) {
		struct rank_test t;

		/* Out of memory: the intervals judge, as without raw. */
		if (rank_test(a->raw, a->n_raw, b->raw, b->n_raw, &t) == 0) {
			d->ranked = true;
			d->p = t.p;
			d->superiority = t.superiority;
			d->beyond_noise = t.p < COMPARE_ALPHA;
			d->time_drift = fmax(time_drift(a->raw, a->n_raw),
					     time_drift(b->raw, b->n_raw));
		}
	}
}

/* The samples of the two runs hardly overlap any more, and the case
 * wanders within a run less than it moved (the rank rule, compare.h). */
static bool rank_rule(const struct case_diff *d, double drift)
{
	double shift = fabs(log(d->ratio));

	return d->ranked && isfinite(d->time_drift) &&
	       (d->superiority >= COMPARE_SEPARATED ||
		d->superiority <= 1 - COMPARE_SEPARATED) &&
	       shift > COMPARE_RANK_DRIFT_K * drift &&
	       shift > COMPARE_TIME_DRIFT_K * d->time_drift;
}

/* The robust standard deviation of our cases' log ratios around 1 (no
 * change): 1.4826 times their median absolute value. */
static double drift_of(const struct comparison *c, const struct results *base)
{
	double *v = malloc((c->n_cases + 1) * sizeof(*v)), m;
	size_t n = 0;

	if (!v)
		return 0;
	for (size_t i = 0; i < c->n_cases; i++) {
		const struct case_diff *d = &c->cases[i];

		/* Cases at 0 on either side (a thread's private copy, the
		 * survivors of a crash) say nothing about drift. */
		if (base->records[d->base].peer || !isfinite(d->ratio) ||
		    !(d->ratio > 0) || base->records[d->base].stats.median == 0)
			continue;
		v[n++] = fabs(log(d->ratio));
	}
	if (n < COMPARE_DRIFT_MIN_CASES) {
		free(v);
		return 0;
	}
	qsort(v, n, sizeof(*v), cmp_double);
	m = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	free(v);
	return 1.4826 * m;
}

/* The verdict (second pass). */
static void judge(const struct record *a, const struct record *b, double drift,
		  struct case_diff *d)
{
	bool up;

	if (!comparable(a, b)) {
		d->verdict = VERDICT_UNITS;
		return;
	}
	d->beyond_drift = !(d->ratio > 0) || !isfinite(d->ratio) ||
			  fabs(log(d->ratio)) > COMPARE_DRIFT_K * drift ||
			  rank_rule(d, drift);
	if (!d->beyond_noise) {
		d->verdict = VERDICT_SAME;
		return;
	}
	if (!d->beyond_threshold) {
		d->verdict = VERDICT_SMALL;
		return;
	}
	if (!d->beyond_drift) {
		d->verdict = VERDICT_DRIFT;
		return;
	}
	up = b->stats.median > a->stats.median;
	/* A file older than the record's "better" leaves it to the unit:
	 * the newer side's word counts then. */
	d->verdict = up == report_higher_is_better(
				   a->better != RECORD_BETTER_BY_UNIT ? a : b)
			     ? VERDICT_BETTER
			     : VERDICT_WORSE;
}

static size_t find(const struct results *in, const struct record *r)
{
	for (size_t i = 0; i < in->n_records; i++)
		if (record_same_case(r, &in->records[i], false, false))
			return i;
	return SIZE_MAX;
}

int report_compare(const struct results *base, const struct results *next,
		   double threshold, struct comparison *out)
{
	struct comparison c = { .threshold = threshold };
	bool *matched;

	if (!(threshold >= 0))
		return -EINVAL;
	matched = calloc(next->n_records + 1, sizeof(*matched));
	c.cases = calloc(base->n_records + 1, sizeof(*c.cases));
	c.only_base = calloc(base->n_records + 1, sizeof(*c.only_base));
	c.only_next = calloc(next->n_records + 1, sizeof(*c.only_next));
	if (!matched || !c.cases || !c.only_base || !c.only_next) {
		free(matched);
		comparison_free(&c);
		return -ENOMEM;
	}
	for (size_t i = 0; i < base->n_records; i++) {
		const struct record *a = &base->records[i];
		size_t j = find(next, a);
		struct case_diff *d;

		if (j == SIZE_MAX || matched[j]) {
			c.only_base[c.n_only_base++] = i;
			continue;
		}
		matched[j] = true;
		d = &c.cases[c.n_cases++];
		d->base = i;
		d->next = j;
		measure(a, &next->records[j], threshold, d);
	}
	for (size_t j = 0; j < next->n_records; j++)
		if (!matched[j])
			c.only_next[c.n_only_next++] = j;
	free(matched);

	c.drift = drift_of(&c, base);
	c.drift_bound = expm1(COMPARE_DRIFT_K * c.drift);
	for (size_t i = 0; i < c.n_cases; i++) {
		struct case_diff *d = &c.cases[i];
		const struct record *a = &base->records[d->base];

		judge(a, &next->records[d->next], c.drift, d);
		if (a->peer || d->noisy)
			continue;
		c.regressions += d->verdict == VERDICT_WORSE;
		c.improvements += d->verdict == VERDICT_BETTER;
	}
	*out = c;
	return 0;
}

void comparison_free(struct comparison *cmp)
{
	if (!cmp)
		return;
	free(cmp->cases);
	free(cmp->only_base);
	free(cmp->only_next);
	memset(cmp, 0, sizeof(*cmp));
}
