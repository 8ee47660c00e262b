/* chart_marks.c - what is drawn into plots beyond their series: physical
 * limits (a curve when the limit was measured over the plot's sweep, a
 * level line when it has one value) and the break-even task length of a
 * thread pool against a process pool. */
#include "report/chart_build.h"

#include "report/report.h"
#include "report/units.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Within this fraction of the thread figure, a process figure counts as
 * even: below it, the difference is about what repeated runs vary by. */
#define BREAK_EVEN_SLACK 0.10

static const struct record *representative(const struct results *res,
					   const struct chart *chart)
{
	for (size_t s = 0; s < chart->n_series; s++)
		if (chart->series[s].style != SVG_LIMIT && chart->series[s].n)
			return &res->records[chart->series[s].recs[0]];
	return NULL;
}

int chart_line_rec(struct chart *chart, size_t rec)
{
	size_t *grown = realloc(chart->line_recs,
				(chart->n_line_recs + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	chart->line_recs = grown;
	grown[chart->n_line_recs++] = rec;
	return 0;
}

static int limit_into(const struct results *res, struct chart *chart, size_t li)
{
	const struct record *lim = &res->records[li];
	const char *name = chart_str(lim, "transport");
	const struct param *px = record_param(lim, chart->x_param);
	char v[48], *label = NULL;
	size_t s;
	int err, idx;

	if (!name)
		name = lim->name;
	if (!px || px->type == PARAM_STR) {
		format_value(lim->stats.median, lim->unit, v, sizeof(v));
		if (asprintf(&label, "%s: %s", name, v) < 0)
			return -ENOMEM;
		err = chart_add_rule(chart, false, lim->stats.median, SVG_LIMIT,
				     label);
		free(label);
		return err ? err : chart_line_rec(chart, li);
	}
	for (s = 0; s < chart->n_series; s++)
		if (chart->series[s].style == SVG_LIMIT &&
		    !strcmp(chart->series[s].name, name))
			break;
	if (s == chart->n_series) {
		idx = chart_new_series(chart, name, SVG_LIMIT, 0);
		if (idx < 0)
			return idx;
		s = (size_t)idx;
	}
	return chart_series_push(&chart->series[s], li);
}

/* A limit measured at one point of the sweep (the atomic ping-pong, at
 * one cache line) bounds the whole plot: a level line, not a dot. */
static int level_lines(const struct results *res, struct chart *chart)
{
	for (size_t s = 0; s < chart->n_series;) {
		struct chart_series *se = &chart->series[s];
		const struct record *lim;
		char v[48], *label = NULL;
		int err;

		if (se->style != SVG_LIMIT || se->n != 1) {
			s++;
			continue;
		}
		lim = &res->records[se->recs[0]];
		format_value(lim->stats.median, lim->unit, v, sizeof(v));
		if (asprintf(&label, "%s: %s", se->name, v) < 0)
			return -ENOMEM;
		err = chart_add_rule(chart, false, lim->stats.median, SVG_LIMIT,
				     label);
		free(label);
		if (!err)
			err = chart_line_rec(chart, se->recs[0]);
		if (err)
			return err;
		free(se->name);
		free(se->recs);
		memmove(se, se + 1, (chart->n_series - s - 1) * sizeof(*se));
		chart->n_series--;
	}
	return 0;
}

/* A limit measured at other settings than the plot's (another worker
 * count, another repeat of a merged file) does not bound it: numeric
 * parameters both have agree, the swept one apart. */
static bool numbers_fit(const struct record *lim, const struct record *rep,
			const char *x)
{
	for (size_t i = 0; i < lim->n_params; i++) {
		const struct param *p = &lim->params[i], *q;

		if (p->type == PARAM_STR || chart_is_ignored_key(p->key) ||
		    !strcmp(p->key, x))
			continue;
		q = record_param(rep, p->key);
		if (q && q->type != PARAM_STR && chart_num(p) != chart_num(q))
			return false;
	}
	return true;
}

int chart_attach_limits(struct chart_build *b)
{
	const struct results *res = b->res;
	int err = 0;

	if (!res->records)
		return 0;
	for (size_t i = 0; i < b->limits.n && !err; i++) {
		const struct record *lim = &res->records[b->limits.v[i]];
		bool attached = false;

		for (size_t c = 0; c < b->plots.n && !err; c++) {
			struct chart *chart = &b->plots.c[c];
			const struct record *rep = representative(res, chart);

			/* The limit's own splitting parameters (placement,
			 * mode, ...) must agree with the plot's; a plot
			 * may split by more than the limit does. */
			if (!rep || strcmp(chart->suite, lim->suite) != 0 ||
			    strcmp(chart->unit, lim->unit) != 0 ||
			    !chart_facets_agree(lim, rep, true) ||
			    !numbers_fit(lim, rep, chart->x_param))
				continue;
			err = limit_into(res, chart, b->limits.v[i]);
			attached = true;
		}
		if (!err && !attached)
			err = idxv_push(&b->bars, b->limits.v[i]);
	}
	for (size_t c = 0; c < b->plots.n && !err; c++)
		err = level_lines(res, &b->plots.c[c]);
	for (size_t c = 0; c < b->plots.n; c++)
		chart_sort_series(res, &b->plots.c[c]);
	return err;
}

static const struct chart_series *own_series(const struct results *res,
					     const struct chart *chart,
					     const char *kind,
					     const struct chart_series *like)
{
	for (size_t s = 0; s < chart->n_series; s++) {
		const struct chart_series *se = &chart->series[s];
		const struct record *r;

		if (se->style != SVG_SOLID || !se->n)
			continue;
		r = &res->records[se->recs[0]];
		if (strcmp(r->kind, kind) != 0)
			continue;
		if (like) {
			const struct record *q = &res->records[like->recs[0]];
			const char *a = chart_variant(r);
			const char *b = chart_variant(q);

			if ((a || b) && (!a || !b || strcmp(a, b) != 0))
				continue;
		}
		return se;
	}
	return NULL;
}

static double x_of(const struct results *res, const struct chart *chart,
		   size_t rec)
{
	return chart_num(record_param(&res->records[rec], chart->x_param));
}

/* How the process figure compares with the thread figure: 1 means even,
 * below 1 means the process is worse, whichever way the unit points. */
static double evenness(double process, double thread, bool higher_better)
{
	return higher_better ? process / thread : thread / process;
}

int chart_mark_break_even(const struct results *res, struct chart *chart)
{
	const struct chart_series *ts, *ps;
	bool higher = report_unit_higher_is_better(chart->unit);
	double even_x = NAN, even_r = NAN, last_x = NAN, last_r = NAN;
	char xs[48], *label = NULL;
	int err;

	if (!chart->x_param || strcmp(chart->x_param, "task_ns") != 0)
		return 0;
	ts = own_series(res, chart, "thread", NULL);
	ps = ts ? own_series(res, chart, "process", ts) : NULL;
	if (!ts || !ps)
		return 0;
	/* From the longest task down: the break-even is where the process
	 * figure last came within the slack, and stayed there. */
	for (size_t i = ps->n; i-- > 0;) {
		double x = x_of(res, chart, ps->recs[i]), r = NAN;

		for (size_t j = 0; j < ts->n; j++)
			if (x_of(res, chart, ts->recs[j]) == x)
				r = evenness(
					res->records[ps->recs[i]].stats.median,
					res->records[ts->recs[j]].stats.median,
					higher);
		if (!isfinite(r))
			continue;
		if (isnan(last_x)) {
			last_x = x;
			last_r = r;
		}
		if (r < 1 - BREAK_EVEN_SLACK)
			break;
		even_x = x;
		even_r = r;
	}
	if (isnan(last_x))
		return 0;
	if (isnan(even_x)) {
		fmt_tick(last_x, "ns", xs, sizeof(xs));
		err = asprintf(&chart->caption,
			       "No break-even in the measured range: at the "
			       "longest task, %s, processes reach %.0f%% of "
			       "the thread figure.",
			       xs, 100 * last_r) < 0;
		return err ? -ENOMEM : 0;
	}
	fmt_tick(even_x, "ns", xs, sizeof(xs));
	if (asprintf(&label, "break-even: %s", xs) < 0)
		return -ENOMEM;
	err = chart_add_rule(chart, true, even_x, SVG_SOLID, label);
	free(label);
	if (!err &&
	    asprintf(&chart->caption,
		     "Break-even (vertical line): from tasks of %s "
		     "on, the process figure is within %.0f%% of the "
		     "thread figure (%.0f%% at %s).",
		     xs, 100 * BREAK_EVEN_SLACK, 100 * even_r, xs) < 0) {
		chart->caption = NULL;
		err = -ENOMEM;
	}
	return err;
}
