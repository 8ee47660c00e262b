/* chart_bars.c - the bar charts: per suite and unit, one group of bars per
 * case and one bar per kind (and peer), so thread and process stand side by
 * side. A group is a case: the same name and parameters, whatever the kind
 * and whoever measured it. A physical limit of the suite and unit is a
 * grey dashed line across the groups, not a group of its own; only limits
 * with no figure of ours beside them make a chart of their own (grey). */
#include "report/chart_build.h"

#include "report/report.h"
#include "report/units.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What tells groups apart: every parameter but where the case ran (with
 * suite and name), whatever the kind and whoever measured it. */
static bool group_param(const struct param *p, const void *ctx)
{
	(void)ctx;
	return !chart_is_ignored_key(p->key);
}

static bool same_bar_series(const struct record *a, const struct record *b)
{
	if (strcmp(a->kind, b->kind) != 0)
		return false;
	return (!a->peer || !b->peer) ? a->peer == b->peer
				      : !strcmp(a->peer, b->peer);
}

/* What every record of a bar chart shares: its case name, and parameters
 * with one value throughout. The title says these once; the groups'
 * labels leave them out. */
static bool param_common(const struct results *res, const struct idxv *recs,
			 const size_t *group_of, size_t first, size_t n,
			 const struct param *p)
{
	for (size_t i = 0; i < recs->n; i++) {
		const struct record *r = &res->records[recs->v[i]];
		const struct param *q;

		if (group_of[i] < first || group_of[i] >= first + n)
			continue;
		q = record_param(r, p->key);
		if (!q || (q->type == PARAM_STR) != (p->type == PARAM_STR))
			return false;
		if (p->type == PARAM_STR ? strcmp(p->str, q->str) != 0
					 : chart_num(p) != chart_num(q))
			return false;
	}
	return true;
}

/* A parameter that repeats the case's name (mode=latency of "latency")
 * says nothing new. */
static bool same_as_name(const struct record *r, const struct param *p)
{
	return p->type == PARAM_STR && !strcmp(p->str, r->name);
}

static void param_text(FILE *f, const struct record *r, const struct param *p)
{
	char v[48];

	if (p->type == PARAM_STR)
		fputs(p->str, f);
	else
		fprintf(f, "%s %s", param_label(r->suite, p->key),
			fmt_tick(chart_num(p), param_unit(p->key), v,
				 sizeof(v)));
}

/* A group's label, "create-join (raw, stack size 64 KiB)", less what all
 * groups of the chart share: the name when name_common, and each
 * parameter for which is_common() holds. */
static char *group_label(const struct results *res, const struct idxv *recs,
			 const size_t *group_of, size_t first, size_t n,
			 const struct record *r, bool name_common)
{
	struct chart_text text;
	FILE *f = chart_text_open(&text);
	size_t shown = 0;

	if (!f)
		return NULL;
	if (!name_common)
		fputs(r->name, f);
	for (size_t i = 0; i < r->n_params; i++) {
		const struct param *p = &r->params[i];

		if (chart_is_ignored_key(p->key) || same_as_name(r, p) ||
		    param_common(res, recs, group_of, first, n, p))
			continue;
		fputs(shown ? ", " : name_common ? "" : " (", f);
		param_text(f, r, p);
		shown++;
	}
	if (shown && !name_common)
		fputc(')', f);
	if (!shown && name_common)
		fputs(r->name, f);
	return chart_text_close(&text, f);
}

/* " — create-join, same-cpu": what group_label() left out, for the title. */
static char *common_text(const struct results *res, const struct idxv *recs,
			 const size_t *group_of, size_t first, size_t n,
			 const struct record *r, bool name_common)
{
	struct chart_text text;
	FILE *f = chart_text_open(&text);
	const char *sep = " — ";

	if (!f)
		return NULL;
	if (name_common) {
		fprintf(f, "%s%s", sep, r->name);
		sep = ", ";
	}
	for (size_t i = 0; i < r->n_params; i++) {
		const struct param *p = &r->params[i];

		if (chart_is_ignored_key(p->key) || same_as_name(r, p) ||
		    (p->type != PARAM_STR && chart_num(p) == 0) ||
		    !param_common(res, recs, group_of, first, n, p))
			continue;
		fputs(sep, f);
		param_text(f, r, p);
		sep = ", ";
	}
	return chart_text_close(&text, f);
}

static char *bar_series_name(const struct record *r)
{
	char *t = NULL;

	if (asprintf(&t, "%s%s%s%s",
		     chart_is_limit(r)		    ? "physical limit"
		     : strcmp(r->kind, "none") != 0 ? r->kind
						    : r->name,
		     r->peer ? " (" : "", r->peer ? r->peer : "",
		     r->peer ? ")" : "") < 0)
		return NULL;
	return t;
}

/* The record a bar series keeps after its slots (see make_bars()). */
static size_t kept_rec(const struct chart_series *s)
{
	return s->recs[s->n];
}

/* One bar chart of the groups first..first+n of the records in recs
 * (all of one suite and unit). */
static int make_bars(struct chart_build *b, const struct idxv *recs,
		     const size_t *group_of, size_t first, size_t n,
		     size_t part, size_t parts)
{
	const struct results *res = b->res;
	struct chart *chart;
	const struct record *one = NULL;
	bool thread = false, process = false, name_common = true;
	char part_text[48] = "", *common;
	int rc;

	chart = chart_push(&b->barcharts);
	if (!chart)
		return -ENOMEM;
	chart->shape = CHART_BARS;
	chart->categories = calloc(n, sizeof(*chart->categories));
	if (!chart->categories)
		return -ENOMEM;
	chart->n_categories = n;
	for (size_t i = 0; i < recs->n; i++) {
		const struct record *r = &res->records[recs->v[i]];

		if (group_of[i] < first || group_of[i] >= first + n)
			continue;
		if (!one)
			one = r;
		if (strcmp(one->name, r->name) != 0)
			name_common = false;
	}
	for (size_t i = 0; i < recs->n; i++) {
		const struct record *r = &res->records[recs->v[i]];
		size_t g = group_of[i], s;

		if (g < first || g >= first + n)
			continue;
		chart->suite = r->suite;
		chart->unit = r->unit;
		thread |= !strcmp(r->kind, "thread");
		process |= !strcmp(r->kind, "process");
		if (!chart->categories[g - first]) {
			chart->categories[g - first] = group_label(
				res, recs, group_of, first, n, r, name_common);
			if (!chart->categories[g - first])
				return -ENOMEM;
		}
		for (s = 0; s < chart->n_series; s++)
			if (same_bar_series(
				    &res->records[chart->series[s].recs
							  [chart->series[s].n]],
				    r))
				break;
		if (s == chart->n_series) {
			char *name = bar_series_name(r);
			int idx = name ? chart_new_series(
						 chart, name,
						 chart_is_limit(r) ? SVG_LIMIT
						 : r->peer	   ? SVG_PEER
								   : SVG_SOLID,
						 chart_kind_colour(r->kind))
				       : -ENOMEM;

			free(name);
			if (idx < 0)
				return idx;
			s = (size_t)idx;
			chart->series[s].kind = r->kind;
			chart->series[s].recs =
				malloc((n + 1) * sizeof(size_t));
			if (!chart->series[s].recs)
				return -ENOMEM;
			for (size_t k = 0; k < n; k++)
				chart->series[s].recs[k] = CHART_NONE;
			/* recs[n] remembers a record of the series. */
			chart->series[s].recs[n] = recs->v[i];
			chart->series[s].n = n;
		}
		/* Two records of one series and group (should not happen):
		 * the first stays. */
		if (chart->series[s].recs[g - first] == CHART_NONE)
			chart->series[s].recs[g - first] = recs->v[i];
	}
	chart_order_series(res, chart, kept_rec);
	if (parts > 1)
		snprintf(part_text, sizeof(part_text), " (part %zu of %zu)",
			 part, parts);
	if (!one) /* no record in these groups: cannot happen */
		return -EINVAL;
	common = common_text(res, recs, group_of, first, n, one, name_common);
	if (!common)
		return -ENOMEM;
	rc = asprintf(&chart->title, "%s: %s, in %s%s%s", chart->suite,
		      thread && process ? "thread versus process"
		      : thread		? "threads"
		      : process		? "processes"
					: "figures",
		      chart->unit, common, part_text);
	free(common);
	if (rc < 0) {
		chart->title = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* The bars of one suite and unit, recs: grouped by case, then cut into
 * charts of at most max_groups groups. The records are put in group order
 * first, so that each chart looks at its own records only. */
static int bars_of(struct chart_build *b, const struct idxv *recs,
		   size_t max_groups);

/* Draws each limit of lims into the bar charts made since first_chart (a
 * level line, listed under their tables). */
static int limit_rules(struct chart_build *b, const struct idxv *lims,
		       size_t first_chart)
{
	const struct results *res = b->res;
	int err = 0;

	for (size_t c = first_chart; c < b->barcharts.n && !err; c++)
		for (size_t i = 0; i < lims->n && !err; i++) {
			const struct record *lim = &res->records[lims->v[i]];
			const char *name = chart_str(lim, "transport");
			char v[48], *label = NULL;

			format_value(lim->stats.median, lim->unit, v,
				     sizeof(v));
			if (asprintf(&label, "%s: %s", name ? name : lim->name,
				     v) < 0)
				return -ENOMEM;
			err = chart_add_rule(&b->barcharts.c[c], false,
					     lim->stats.median, SVG_LIMIT,
					     label);
			free(label);
			if (!err)
				err = chart_line_rec(&b->barcharts.c[c],
						     lims->v[i]);
		}
	return err;
}

static bool no_param(const struct param *p, const void *ctx)
{
	(void)p;
	(void)ctx;
	return false;
}

/* The limits of lims named name (a "latency" limit beside "latency"
 * records): into *out. */
static int limits_named(const struct results *res, const struct idxv *lims,
			const char *name, struct idxv *out)
{
	int err = 0;

	for (size_t i = 0; i < lims->n && !err; i++)
		if (!strcmp(res->records[lims->v[i]].name, name))
			err = idxv_push(out, lims->v[i]);
	return err;
}

/* A suite and unit with more cases than one chart holds is cut by case
 * name first - the ipc suite's round trips apart from its CPU time per
 * message - and only then into parts: a chart of one measure, with its
 * own limits across it, reads better than halves of two. Limits go to
 * the charts of their name; when none has that name, to every chart. */
static int bars_by_name(struct chart_build *b, const struct idxv *own,
			const struct idxv *lims, size_t max_groups)
{
	const struct results *res = b->res;
	size_t *name_of = malloc(own->n * sizeof(*name_of)), n_names = 0;
	struct idxv *parts = NULL;
	bool any_named = false;
	int err = name_of ? group_records(res, own->v, own->n, 0, no_param,
					  NULL, name_of, &n_names)
			  : -ENOMEM;

	if (!err && !(parts = calloc(n_names, sizeof(*parts))))
		err = -ENOMEM;
	for (size_t i = 0; i < own->n && !err; i++)
		err = idxv_push(&parts[name_of[i]], own->v[i]);
	for (size_t k = 0; k < n_names && !err; k++) {
		struct idxv mine = { 0 };

		err = limits_named(res, lims, res->records[parts[k].v[0]].name,
				   &mine);
		any_named |= mine.n > 0;
		free(mine.v);
	}
	for (size_t k = 0; k < n_names && !err; k++) {
		struct idxv mine = { 0 };
		size_t first_chart = b->barcharts.n;

		err = bars_of(b, &parts[k], max_groups);
		if (!err && any_named)
			err = limits_named(res, lims,
					   res->records[parts[k].v[0]].name,
					   &mine);
		if (!err && (any_named ? mine.n : lims->n))
			err = limit_rules(b, any_named ? &mine : lims,
					  first_chart);
		free(mine.v);
	}
	for (size_t k = 0; parts && k < n_names; k++)
		free(parts[k].v);
	free(parts);
	free(name_of);
	return err;
}

/* Our figures as groups with the limits as lines across them; limits
 * alone as groups. */
static int bars_and_limits(struct chart_build *b, const struct idxv *recs,
			   size_t max_groups)
{
	const struct results *res = b->res;
	struct idxv own = { 0 }, lims = { 0 };
	size_t first_chart = b->barcharts.n, n_groups = 0;
	size_t *group_of = NULL;
	int err = 0;

	for (size_t i = 0; i < recs->n && !err; i++)
		err = chart_is_limit(&res->records[recs->v[i]])
			      ? idxv_push(&lims, recs->v[i])
			      : idxv_push(&own, recs->v[i]);
	if (!err && own.n) {
		group_of = malloc(own.n * sizeof(*group_of));
		err = group_of
			      ? group_records(res, own.v, own.n, 0, group_param,
					      NULL, group_of, &n_groups)
			      : -ENOMEM;
	}
	if (!err && n_groups > max_groups)
		err = bars_by_name(b, &own, &lims, max_groups);
	else if (!err)
		err = bars_of(b, own.n ? &own : &lims, max_groups);
	if (!err && own.n && lims.n && n_groups <= max_groups)
		err = limit_rules(b, &lims, first_chart);
	free(group_of);
	free(own.v);
	free(lims.v);
	return err;
}

static int bars_of(struct chart_build *b, const struct idxv *recs,
		   size_t max_groups)
{
	const struct results *res = b->res;
	size_t *group_of = malloc((recs->n ? recs->n : 1) * sizeof(*group_of));
	size_t *start = NULL, *fill = NULL, *order = NULL, *sorted_group = NULL;
	size_t n_groups = 0;
	int err = group_of
			  ? group_records(res, recs->v, recs->n, 0, group_param,
					  NULL, group_of, &n_groups)
			  : -ENOMEM;

	if (!err) {
		start = calloc(n_groups + 1, sizeof(*start));
		fill = calloc(n_groups + 1, sizeof(*fill));
		/* Zeroed: the counting sort below fills every slot, which
		 * the analyzer cannot see. */
		order = calloc(recs->n ? recs->n : 1, sizeof(*order));
		sorted_group =
			calloc(recs->n ? recs->n : 1, sizeof(*sorted_group));
		if (!start || !fill || !order || !sorted_group)
			err = -ENOMEM;
	}
	if (err)
		goto out;
	for (size_t i = 0; i < recs->n; i++)
		start[group_of[i] + 1]++;
	for (size_t g = 0; g < n_groups; g++)
		start[g + 1] += start[g];
	for (size_t i = 0; i < recs->n; i++) {
		size_t at = start[group_of[i]] + fill[group_of[i]]++;

		order[at] = recs->v[i];
		sorted_group[at] = group_of[i];
	}
	for (size_t first = 0, part = 1; first < n_groups && !err;
	     first += max_groups, part++) {
		size_t n = n_groups - first < max_groups ? n_groups - first
							 : max_groups;
		struct idxv view = { .v = order + start[first],
				     .n = start[first + n] - start[first] };

		err = make_bars(b, &view, sorted_group + start[first], first, n,
				part, (n_groups + max_groups - 1) / max_groups);
	}
out:
	free(group_of);
	free(start);
	free(fill);
	free(order);
	free(sorted_group);
	return err;
}

/* Groups the records of list by suite and unit. */
static int group_suite_unit(const struct results *res, const struct idxv *list,
			    size_t *group_of, size_t *n_groups)
{
	char **keys = calloc(list->n ? list->n : 1, sizeof(*keys));
	int err = keys ? 0 : -ENOMEM;

	for (size_t i = 0; i < list->n && !err; i++) {
		const struct record *r = &res->records[list->v[i]];

		if (asprintf(&keys[i], "%s%c%s", r->suite, '\x1f', r->unit) <
		    0) {
			keys[i] = NULL;
			err = -ENOMEM;
		}
	}
	if (!err)
		err = group_by_key(keys, list->n, group_of, n_groups);
	for (size_t i = 0; keys && i < list->n; i++)
		free(keys[i]);
	free(keys);
	return err;
}

int chart_add_bars(struct chart_build *b, size_t max_groups)
{
	size_t *group_of =
		malloc((b->bars.n ? b->bars.n : 1) * sizeof(*group_of));
	struct idxv *by = NULL;
	size_t n_groups = 0;
	int err = group_of ? 0 : -ENOMEM;

	/* Each (suite, unit) once, in the order they first appear. */
	if (!err)
		err = group_suite_unit(b->res, &b->bars, group_of, &n_groups);
	if (!err && n_groups) {
		by = calloc(n_groups, sizeof(*by));
		if (!by)
			err = -ENOMEM;
	}
	for (size_t i = 0; i < b->bars.n && !err; i++)
		err = idxv_push(&by[group_of[i]], b->bars.v[i]);
	for (size_t g = 0; g < n_groups && !err; g++)
		err = bars_and_limits(b, &by[g], max_groups);
	for (size_t g = 0; by && g < n_groups; g++)
		free(by[g].v);
	free(by);
	free(group_of);
	return err;
}
