/* svg.h - charts as inline SVG, drawn by procthread itself so a report
 * needs no script, font or file from anywhere else.
 *
 * Two shapes: a plot (points against a numeric x axis, linear or
 * logarithmic, joined by lines only where three points or more follow one
 * another, with reference lines for limits and thresholds) and horizontal
 * groups (one group per case, one mark per series): bars from zero on a
 * linear axis, and on a logarithmic one, where a bar's length means
 * nothing, a dot with its whisker. Both draw axis titles, tick labels
 * scaled by report/units.h, a legend, and the 95% interval of each value as
 * a whisker. This file knows nothing of results: report/charts.c decides
 * what goes in a chart.
 *
 * What a mark means is fixed (the README's legend): its colour is the kind
 * (thread blue, process orange, anything else grey); a peer's marks are
 * hollow and its lines dashed; a physical limit is a grey dashed line; a
 * transport or variant is the marker's shape. Every series' marks sit in a
 * <g class="series" data-kind="..."> so tests can check this.
 */
#ifndef TOOL_REPORT_SVG_H
#define TOOL_REPORT_SVG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum svg_scale { SVG_LINEAR, SVG_LOG };

/* How a series is drawn. */
enum svg_style {
	SVG_SOLID, /* our own figures: solid line, filled points */
	SVG_PEER,  /* an established tool's: dashed, hollow points */
	SVG_LIMIT, /* a physical limit: thick grey dashes, no points */
};

struct svg_axis {
	const char *label; /* with its unit: "message size (bytes)" */
	const char *unit;  /* of the values, for tick labels ("ns", ...) */
	enum svg_scale scale;
};

/* Palette indices: the colour of a kind. */
#define SVG_THREAD  0
#define SVG_PROCESS 1
#define SVG_OTHER   2

struct svg_series {
	const char *name; /* in the legend */
	enum svg_style style;
	int colour;	  /* SVG_THREAD, SVG_PROCESS or SVG_OTHER */
	int marker;	  /* shape: 0 circle, 1 square, 2 triangle, 3 diamond */
	const char *kind; /* data-kind of its <g>: "thread", ..., "limit" */
	size_t n;
	const double *x;       /* plots: the x values; bars: unused */
	const double *y;       /* the values; NAN: none (bars: no bar) */
	const double *lo, *hi; /* the 95% interval, or NULL */
};

/* A straight reference line across the plot, with its label. */
struct svg_rule {
	bool vertical; /* at x = value; else at y = value */
	double value;
	const char *label; /* e.g. "atomic ping-pong floor: 80 ns" */
	enum svg_style style;
};

struct svg_plot {
	const char *id; /* the element id, for links; may be NULL */
	const char *title;
	struct svg_axis x, y;
	const struct svg_series *series;
	size_t n_series;
	const struct svg_rule *rules;
	size_t n_rules;
};

struct svg_bars {
	const char *id;
	const char *title;
	struct svg_axis value;	       /* the horizontal axis */
	const char *const *categories; /* one group of bars each */
	size_t n_categories;
	/* series[s].y[c] is series s's value for category c (n must equal
	 * n_categories). */
	const struct svg_series *series;
	size_t n_series;
	/* Lines across the groups at a value (limits); vertical unused. */
	const struct svg_rule *rules;
	size_t n_rules;
};

/* Writes one <svg> element. Points that cannot be drawn (non-finite, or
 * not positive on a logarithmic axis) are left out. Returns 0, or -EIO
 * when writing failed, -EINVAL for an empty chart. */
int svg_plot(FILE *out, const struct svg_plot *plot);
int svg_bars(FILE *out, const struct svg_bars *bars);

/* The colour a palette index draws with ("#0072b2" for SVG_THREAD), for
 * the tables that sit under the charts. */
const char *svg_colour(int colour);

#endif
