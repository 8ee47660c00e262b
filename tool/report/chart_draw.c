/* chart_draw.c - a chart of records into the arrays report/svg.c draws:
 * each point is a record's median with its 95% interval. The axes turn
 * logarithmic where the values span more than a linear axis can show (a
 * sweep of sizes from 8 bytes to 1 MiB; times from 50 ns to 5 ms). */
#include "report/chart_build.h"

#include "report/units.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Largest to smallest value from which an axis is drawn logarithmic. */
#define LOG_X_SPAN 16.0
#define LOG_Y_SPAN 30.0

struct span {
	double min, max; /* of the positive values */
	bool zero, negative;
};

static void span_add(struct span *s, double v)
{
	if (!isfinite(v))
		return;
	if (v < 0)
		s->negative = true;
	if (v == 0)
		s->zero = true;
	if (v <= 0)
		return;
	if (v < s->min)
		s->min = v;
	if (v > s->max)
		s->max = v;
}

/* Logarithmic when the values span more than ratio; a plot needs every
 * value positive, bars show a zero as a bar of no length. */
static enum svg_scale scale_for(const struct span *s, double ratio,
				bool zero_ok)
{
	if (s->negative || (s->zero && !zero_ok) || !(s->max > 0))
		return SVG_LINEAR;
	return s->max / s->min >= ratio ? SVG_LOG : SVG_LINEAR;
}

struct arrays {
	struct svg_series *series;
	double *buf;
	size_t n_series;
};

/* One block of 4 * n doubles per series: x, y, lo, hi. */
static int fill(const struct results *res, const struct chart *chart,
		struct arrays *a, struct span *xs, struct span *ys)
{
	size_t total = 0, off = 0;

	for (size_t s = 0; s < chart->n_series; s++)
		total += chart->series[s].n;
	a->series = calloc(chart->n_series ? chart->n_series : 1,
			   sizeof(*a->series));
	a->buf = malloc((total ? total : 1) * 4 * sizeof(double));
	if (!a->series || !a->buf)
		return -ENOMEM;
	a->n_series = chart->n_series;
	for (size_t s = 0; s < chart->n_series; s++) {
		const struct chart_series *cs = &chart->series[s];
		struct svg_series *ss = &a->series[s];
		double *x = a->buf + off, *y = x + cs->n, *lo = y + cs->n,
		       *hi = lo + cs->n;

		off += 4 * cs->n;
		*ss = (struct svg_series){
			.name = cs->name,
			.style = cs->style,
			.colour = cs->colour,
			.marker = cs->marker,
			.kind = cs->kind,
			.n = cs->n,
			.x = x,
			.y = y,
			.lo = lo,
			.hi = hi,
		};
		for (size_t i = 0; i < cs->n; i++) {
			const struct record *r;

			x[i] = y[i] = lo[i] = hi[i] = NAN;
			if (cs->recs[i] == CHART_NONE)
				continue;
			r = &res->records[cs->recs[i]];
			y[i] = r->stats.median;
			/* An interval that does not hold its median is a
			 * record's mistake; draw no whisker for it. */
			if (r->stats.ci_low <= y[i] &&
			    y[i] <= r->stats.ci_high) {
				lo[i] = r->stats.ci_low;
				hi[i] = r->stats.ci_high;
			}
			span_add(ys, y[i]);
			if (chart->x_param) {
				x[i] = chart_num(
					record_param(r, chart->x_param));
				span_add(xs, x[i]);
			}
		}
	}
	/* A bar chart's rules (limits) lie along its value axis. */
	for (size_t r = 0; r < chart->n_rules; r++)
		span_add(chart->rules[r].vertical && chart->x_param ? xs : ys,
			 chart->rules[r].value);
	return 0;
}

/* An axis title in the unit its ticks are in: times, sizes and rates
 * carry their own unit in each tick ("10 us", "64 KiB", "20 k/s"), so the
 * title names the quantity ("median time"), never the raw unit ("ns")
 * the ticks have scaled away; plain numbers are titled with their unit. */
static char *axis_label(const char *what, const char *unit, bool median)
{
	size_t n = unit ? strlen(unit) : 0;
	char *t = NULL;
	int rc;

	if (!n)
		rc = asprintf(&t, "%s", what);
	else if (!strcmp(unit, "ns"))
		rc = asprintf(&t, median ? "%s time" : "%s", what);
	else if (report_unit_is_bytes(unit))
		rc = asprintf(&t, median ? "%s size" : "%s", what);
	else if (n > 2 && !strcmp(unit + n - 2, "/s"))
		rc = asprintf(&t, "%s %.*s per second", what, (int)(n - 2),
			      unit);
	else
		rc = asprintf(&t, "%s (%s)", what, unit);
	return rc < 0 ? NULL : t;
}

int chart_draw(FILE *out, const struct chart *chart,
	       const struct results *results)
{
	struct span xs = { INFINITY, -INFINITY, false, false };
	struct span ys = { INFINITY, -INFINITY, false, false };
	struct arrays a = { 0 };
	char *xl = NULL, *yl = NULL;
	int err = fill(results, chart, &a, &xs, &ys);

	if (err)
		goto out;
	yl = axis_label("median", chart->unit, true);
	if (!yl) {
		err = -ENOMEM;
		goto out;
	}
	if (chart->shape == CHART_BARS) {
		struct svg_bars bars = {
			.id = chart->id,
			.title = chart->title,
			.value = { yl, chart->unit,
				   scale_for(&ys, LOG_Y_SPAN, true) },
			.categories = (const char *const *)chart->categories,
			.n_categories = chart->n_categories,
			.series = a.series,
			.n_series = a.n_series,
			.rules = chart->rules,
			.n_rules = chart->n_rules,
		};

		err = svg_bars(out, &bars);
	} else {
		struct svg_plot plot = {
			.id = chart->id,
			.title = chart->title,
			.series = a.series,
			.n_series = a.n_series,
			.rules = chart->rules,
			.n_rules = chart->n_rules,
		};

		xl = axis_label(param_label(chart->suite, chart->x_param),
				param_unit(chart->x_param), false);
		if (!xl) {
			err = -ENOMEM;
			goto out;
		}
		plot.x = (struct svg_axis){ xl, param_unit(chart->x_param),
					    scale_for(&xs, LOG_X_SPAN, false) };
		plot.y = (struct svg_axis){ yl, chart->unit,
					    scale_for(&ys, LOG_Y_SPAN, false) };
		err = svg_plot(out, &plot);
	}
out:
	free(xl);
	free(yl);
	free(a.series);
	free(a.buf);
	return err;
}
