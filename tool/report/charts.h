/* charts.h - which records go in which chart of the report.
 *
 * The charts are derived from the records, not listed per suite, so a suite
 * added later gets its charts without an edit here:
 * - a case measured over a sweep of one numeric parameter (size, touched
 *   memory, task length, workers, ...: two values or more; three for a
 *   parameter not known to be a sweep) becomes a
 *   plot against that parameter, one series per kind, transport or
 *   implementation, and peer; other string parameters (placement, wait,
 *   mode, workload, ...) split it into several plots; a plot with more
 *   series than can be told apart is split by transport, never by kind,
 *   so thread and process of a case share a panel;
 * - the rest of a suite's records become bars, one group per case and one
 *   bar per kind, thread beside process: one bar chart per suite and unit
 *   (drawn as dots with whiskers when its axis is logarithmic); when they
 *   are more groups than one chart holds, one chart per case name first
 *   (the ipc round trips, with the floor across them, apart from the CPU
 *   time per message), and only then parts;
 * - physical limits (transport "limit-...") are drawn into the plots of
 *   their suite and unit as grey dashed lines: a curve over the sweep, or
 *   a level line when the limit has one value; limits that fit no plot
 *   are level lines across the bar charts of their suite and unit;
 * - one exception to "derived, not listed": the ipc suite opens with an
 *   overview per range of message sizes (chart_overview.c), the round
 *   trip between two CPUs of every way to wait (the ring spinning,
 *   adaptive and blocking, a pipe, iceoryx busy-waiting and on its
 *   wait-set) in one chart, with the cache-line floor across the small
 *   sizes; those records are also in the plots above;
 * - a plot against task length with a thread and a process series marks
 *   the break-even point: the first task length from which the process
 *   figure stays within 10% of the thread figure.
 * Colour is the kind (thread blue, process orange), the marker's shape the
 * transport; html.c shows a chart whose figures have no spread at all
 * (survivors, work lost) as a table instead.
 * Suites that are not in the file get no chart at all.
 */
#ifndef TOOL_REPORT_CHARTS_H
#define TOOL_REPORT_CHARTS_H

#include "results/results.h"
#include "report/svg.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CHART_NONE ((size_t)-1) /* no record in this slot */

enum chart_shape { CHART_BARS, CHART_PLOT };

struct chart_series {
	char *name;
	enum svg_style style;
	int colour;	  /* the kind's: SVG_THREAD, ... */
	int marker;	  /* the variant's (transport, ...) shape */
	const char *kind; /* borrowed: "thread", "process", "none", NULL */
	/* Indices into results->records: plots, sorted by x; bars, one per
	 * category (CHART_NONE where the series has no value). */
	size_t *recs;
	size_t n;
};

struct chart {
	enum chart_shape shape;
	char *id; /* "chart-3": unique in the page */
	char *title;
	char *caption;	   /* what a mark means (break-even), or NULL */
	const char *suite; /* borrowed from the records */
	const char *unit;
	char *x_param;	   /* plots: the swept parameter */
	char **categories; /* bars: one label per group */
	size_t n_categories;
	struct chart_series *series;
	size_t n_series;
	struct svg_rule *rules; /* labels owned */
	size_t n_rules;
	/* Records drawn as level lines (a limit with one value): in the
	 * table under the chart, not among the series. */
	size_t *line_recs;
	size_t n_line_recs;
};

struct charts {
	struct chart *charts;
	size_t n;
};

/* Works out the charts of results. Returns 0 and fills *out (free it with
 * charts_free()), or -ENOMEM. Results with no records give no charts. */
int charts_build(const struct results *results, struct charts *out);
void charts_free(struct charts *charts);

/* Draws one chart as an <svg> element. Returns 0 or -errno. */
int chart_draw(FILE *out, const struct chart *chart,
	       const struct results *results);

/* The chart that shows record rec, or NULL. */
const struct chart *charts_find(const struct charts *charts, size_t rec);

/* How a parameter of a suite's case reads in a label ("message size" in
 * ipc), and the unit its values are in ("bytes", "ns", or "" for counts). */
const char *param_label(const char *suite, const char *key);
const char *param_unit(const char *key);

#endif
