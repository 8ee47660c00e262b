/* charts.c - grouping a run's records into the report's charts (see
 * charts.h for the rules). Records are referred to by their index in
 * results->records; a chart owns its labels and index lists only.
 *
 * The grouping runs in phases: records are put in base groups (same suite,
 * case name, unit and string parameters, apart from the parameters that
 * name a series); a base group with a swept numeric parameter becomes one
 * plot per value of its other numeric parameters; what is left becomes
 * bars; then limits are attached to plots and break-even points marked
 * (chart_marks.c). Records are grouped by sorting keys (grouping.c), never
 * by comparing every record with every other: a file may hold tens of
 * thousands of records (several runs merged, a long sweep).
 */
#include "report/charts.h"

#include "report/chart_build.h"
#include "report/units.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Which numeric parameter is the x axis when several are swept. */
static const char *const sweep_order[] = { "size",	"touched",
					   "task_ns",	"workers",
					   "units",	"working_set",
					   "in_flight", NULL };

#define MAX_PLOT_SERIES 8
#define MAX_BAR_GROUPS	16

static bool is_number(const struct param *p)
{
	return p && p->type != PARAM_STR;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* How many distinct values key takes in the group. */
static size_t distinct_values(const struct results *res, const struct idxv *g,
			      const char *key)
{
	double *v = malloc(g->n * sizeof(*v));
	size_t n = 0, distinct = 0;

	if (!v)
		return 0;
	for (size_t i = 0; i < g->n; i++) {
		const struct param *p =
			record_param(&res->records[g->v[i]], key);

		if (is_number(p))
			v[n++] = chart_num(p);
	}
	qsort(v, n, sizeof(*v), cmp_double);
	for (size_t i = 0; i < n; i++)
		distinct += i == 0 || v[i] != v[i - 1];
	free(v);
	return distinct;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The swept parameter of a group: a numeric one with at least three
 * values, the first of sweep_order if several are, or NULL. Each numeric
 * key is counted once, whatever the number of records that have it. */
static const char *pick_sweep(const struct results *res, const struct idxv *g)
{
	const char *best = NULL, **keys = NULL;
	size_t best_rank = SIZE_MAX, best_n = 0, n_keys = 0, total = 0;

	for (size_t i = 0; i < g->n; i++)
		total += res->records[g->v[i]].n_params;
	keys = malloc((total ? total : 1) * sizeof(*keys));
	if (!keys)
		return NULL;
	for (size_t i = 0; i < g->n; i++) {
		const struct record *r = &res->records[g->v[i]];

		for (size_t k = 0; k < r->n_params; k++)
			if (is_number(&r->params[k]) &&
			    !chart_is_ignored_key(r->params[k].key))
				keys[n_keys++] = r->params[k].key;
	}
	qsort(keys, n_keys, sizeof(*keys), cmp_str);
	for (size_t k = 0; k < n_keys; k++) {
		size_t n, rank;

		if (k > 0 && !strcmp(keys[k], keys[k - 1]))
			continue;
		n = distinct_values(res, g, keys[k]);
		rank = chart_list_index(sweep_order, keys[k]);
		/* A known sweep (sizes, workers, ...) is one from two values
		 * on; any other numeric parameter from three, so that a pair
		 * of settings stays bars. */
		if (n < (sweep_order[rank] ? 2u : 3u))
			continue;
		if (rank < best_rank || (rank == best_rank && n > best_n)) {
			best = keys[k];
			best_rank = rank;
			best_n = n;
		}
	}
	free(keys);
	return best;
}

/* The numeric parameters that split a sweep's records into plots: all but
 * the swept one (and those ignored). */
static bool other_number(const struct param *p, const void *x)
{
	return is_number(p) && !chart_is_ignored_key(p->key) &&
	       strcmp(p->key, (const char *)x) != 0;
}

/* Splits a base group with sweep x into plots: one per combination of the
 * other numeric parameters, in the order of their first records. Records
 * without x go to the bars. */
static int split_plots(struct chart_build *b, const struct idxv *g,
		       const char *x)
{
	const struct results *res = b->res;
	struct idxv swept = { 0 };
	size_t *group_of = NULL, *start = NULL, *fill = NULL, *order = NULL;
	size_t n_groups = 0;
	int err = 0;

	for (size_t i = 0; i < g->n && !err; i++)
		err = is_number(record_param(&res->records[g->v[i]], x))
			      ? idxv_push(&swept, g->v[i])
			      : idxv_push(&b->bars, g->v[i]);
	if (err || !swept.n)
		goto out;
	group_of = malloc(swept.n * sizeof(*group_of));
	order = calloc(swept.n, sizeof(*order)); /* see bars_of() */
	err = group_of && order
		      ? group_records(res, swept.v, swept.n, 0, other_number, x,
				      group_of, &n_groups)
		      : -ENOMEM;
	if (err)
		goto out;
	/* Counting sort by group, records keeping their order. */
	start = calloc(n_groups + 1, sizeof(*start));
	fill = calloc(n_groups + 1, sizeof(*fill));
	if (!start || !fill) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < swept.n; i++)
		start[group_of[i] + 1]++;
	for (size_t k = 0; k < n_groups; k++)
		start[k + 1] += start[k];
	for (size_t i = 0; i < swept.n; i++)
		order[start[group_of[i]] + fill[group_of[i]]++] = swept.v[i];
	for (size_t k = 0; k < n_groups && !err; k++) {
		struct idxv sub = { .v = order + start[k],
				    .n = start[k + 1] - start[k] };

		err = chart_add_plot(b, &sub, x, MAX_PLOT_SERIES);
	}
out:
	free(swept.v);
	free(group_of);
	free(order);
	free(start);
	free(fill);
	return err;
}

/* Splitting string parameters: what same_base() compares. */
static bool facet_param(const struct param *p, const void *ctx)
{
	(void)ctx;
	return chart_is_facet(p);
}

static int group_chart_records(struct chart_build *b)
{
	const struct results *res = b->res;
	struct idxv rest = { 0 }, *groups = NULL;
	size_t *group_of = NULL, n_groups = 0;
	int err = 0;

	for (size_t i = 0; i < res->n_records && !err; i++)
		err = chart_is_limit(&res->records[i])
			      ? idxv_push(&b->limits, i)
			      : idxv_push(&rest, i);
	if (!err && rest.n) {
		group_of = malloc(rest.n * sizeof(*group_of));
		err = group_of ? group_records(res, rest.v, rest.n,
					       RESULTS_KEY_UNIT, facet_param,
					       NULL, group_of, &n_groups)
			       : -ENOMEM;
	}
	if (!err && n_groups) {
		groups = calloc(n_groups, sizeof(*groups));
		if (!groups)
			err = -ENOMEM;
	}
	for (size_t i = 0; i < rest.n && !err; i++)
		err = idxv_push(&groups[group_of[i]], rest.v[i]);
	for (size_t g = 0; g < n_groups && !err; g++) {
		const char *x = pick_sweep(res, &groups[g]);

		if (x)
			err = split_plots(b, &groups[g], x);
		else
			for (size_t i = 0; i < groups[g].n && !err; i++)
				err = idxv_push(&b->bars, groups[g].v[i]);
	}
	for (size_t g = 0; groups && g < n_groups; g++)
		free(groups[g].v);
	free(groups);
	free(group_of);
	free(rest.v);
	return err;
}

/* Puts the charts in page order: suite by suite, in the order the suites
 * first appear, bars before plots; then numbers them. */
static int order_charts(struct chart_build *b, struct charts *out)
{
	size_t total = b->plots.n + b->barcharts.n, k = 0;
	const struct results *res = b->res;

	out->charts = calloc(total ? total : 1, sizeof(*out->charts));
	if (!out->charts)
		return -ENOMEM;
	for (size_t i = 0; i < res->n_records; i++) {
		const char *suite = res->records[i].suite;
		bool seen = false;

		/* A suite is placed once, at its first record; its charts
		 * carry its name, so placed suites need no list. */
		for (size_t c = 0; c < k && !seen; c++)
			seen = !strcmp(out->charts[c].suite, suite);
		if (seen ||
		    (i > 0 && !strcmp(res->records[i - 1].suite, suite)))
			continue;
		for (size_t c = 0; c < b->barcharts.n; c++)
			if (!strcmp(b->barcharts.c[c].suite, suite))
				out->charts[k++] = b->barcharts.c[c];
		for (size_t c = 0; c < b->plots.n; c++)
			if (!strcmp(b->plots.c[c].suite, suite))
				out->charts[k++] = b->plots.c[c];
	}
	out->n = k;
	free(b->barcharts.c);
	free(b->plots.c);
	b->barcharts = (struct chartv){ 0 };
	b->plots = (struct chartv){ 0 };
	for (size_t c = 0; c < out->n; c++)
		if (asprintf(&out->charts[c].id, "chart-%zu", c + 1) < 0) {
			out->charts[c].id = NULL;
			return -ENOMEM;
		}
	return 0;
}

int charts_build(const struct results *results, struct charts *out)
{
	struct chart_build b = { .res = results };
	struct charts charts = { 0 };
	int err;

	err = group_chart_records(&b);
	if (!err)
		err = chart_add_ipc_overview(&b);
	if (!err)
		err = chart_attach_limits(&b);
	if (!err)
		err = chart_add_bars(&b, MAX_BAR_GROUPS);
	if (!err)
		for (size_t c = 0; c < b.plots.n && !err; c++)
			err = chart_mark_break_even(results, &b.plots.c[c]);
	if (!err)
		err = order_charts(&b, &charts);
	chart_build_free(&b);
	if (err) {
		charts_free(&charts);
		return err;
	}
	*out = charts;
	return 0;
}

void charts_free(struct charts *charts)
{
	if (!charts)
		return;
	for (size_t c = 0; c < charts->n; c++)
		chart_free(&charts->charts[c]);
	free(charts->charts);
	charts->charts = NULL;
	charts->n = 0;
}

const struct chart *charts_find(const struct charts *charts, size_t rec)
{
	for (size_t c = 0; c < charts->n; c++) {
		const struct chart *ch = &charts->charts[c];

		for (size_t s = 0; s < ch->n_series; s++)
			for (size_t i = 0; i < ch->series[s].n; i++)
				if (ch->series[s].recs[i] == rec)
					return ch;
		for (size_t i = 0; i < ch->n_line_recs; i++)
			if (ch->line_recs[i] == rec)
				return ch;
	}
	return NULL;
}
