/* compare.c - matching two runs' cases and judging each difference (see
 * compare.h). A run has hundreds of records, so each base record is simply
 * looked for among the new ones. */
#include "report/compare.h"

#include "report/units.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *pt_verdict_name(enum pt_verdict verdict)
{
	switch (verdict) {
	case PT_VERDICT_SAME:
		return "same";
	case PT_VERDICT_SMALL:
		return "within-threshold";
	case PT_VERDICT_BETTER:
		return "better";
	case PT_VERDICT_WORSE:
		return "worse";
	case PT_VERDICT_UNITS:
		return "units-differ";
	}
	return "unknown";
}

static void judge(const struct pt_record *a, const struct pt_record *b,
		  double threshold, struct pt_case_diff *d)
{
	double ma = a->stats.median, mb = b->stats.median;
	bool up;

	if (strcmp(a->unit, b->unit) != 0) {
		d->ratio = NAN;
		d->verdict = PT_VERDICT_UNITS;
		return;
	}
	d->ratio = ma != 0 ? mb / ma : mb == 0 ? 1 : INFINITY;
	d->beyond_noise = b->stats.ci_low > a->stats.ci_high ||
			  b->stats.ci_high < a->stats.ci_low;
	d->beyond_threshold = fabs(d->ratio - 1) > threshold;
	if (!d->beyond_noise) {
		d->verdict = PT_VERDICT_SAME;
		return;
	}
	if (!d->beyond_threshold) {
		d->verdict = PT_VERDICT_SMALL;
		return;
	}
	up = mb > ma;
	d->verdict = up == pt_unit_higher_is_better(a->unit) ? PT_VERDICT_BETTER
							     : PT_VERDICT_WORSE;
}

static size_t find(const struct pt_results *in, const struct pt_record *r)
{
	for (size_t i = 0; i < in->n_records; i++)
		if (pt_record_same_case(r, &in->records[i], false, false))
			return i;
	return SIZE_MAX;
}

int pt_compare(const struct pt_results *base, const struct pt_results *next,
	       double threshold, struct pt_comparison *out)
{
	struct pt_comparison c = { .threshold = threshold };
	bool *matched;

	if (!(threshold >= 0))
		return -EINVAL;
	matched = calloc(next->n_records + 1, sizeof(*matched));
	c.cases = calloc(base->n_records + 1, sizeof(*c.cases));
	c.only_base = calloc(base->n_records + 1, sizeof(*c.only_base));
	c.only_next = calloc(next->n_records + 1, sizeof(*c.only_next));
	if (!matched || !c.cases || !c.only_base || !c.only_next) {
		free(matched);
		pt_comparison_free(&c);
		return -ENOMEM;
	}
	for (size_t i = 0; i < base->n_records; i++) {
		const struct pt_record *a = &base->records[i];
		size_t j = find(next, a);
		struct pt_case_diff *d;

		if (j == SIZE_MAX || matched[j]) {
			c.only_base[c.n_only_base++] = i;
			continue;
		}
		matched[j] = true;
		d = &c.cases[c.n_cases++];
		d->base = i;
		d->next = j;
		judge(a, &next->records[j], threshold, d);
		if (!a->peer && d->verdict == PT_VERDICT_WORSE)
			c.regressions++;
		if (!a->peer && d->verdict == PT_VERDICT_BETTER)
			c.improvements++;
	}
	for (size_t j = 0; j < next->n_records; j++)
		if (!matched[j])
			c.only_next[c.n_only_next++] = j;
	free(matched);
	*out = c;
	return 0;
}

void pt_comparison_free(struct pt_comparison *cmp)
{
	if (!cmp)
		return;
	free(cmp->cases);
	free(cmp->only_base);
	free(cmp->only_next);
	memset(cmp, 0, sizeof(*cmp));
}
