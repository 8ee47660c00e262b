/* chart_build.h - what the files that make the report's charts share:
 * charts.c groups records, chart_build.c turns a group into a plot or bars,
 * chart_marks.c adds limits and break-even marks, chart_draw.c draws. */
#ifndef PT_REPORT_CHART_BUILD_H
#define PT_REPORT_CHART_BUILD_H

#include "report/charts.h"

/* A growing list of record indices. */
struct pt_idxv {
	size_t *v;
	size_t n, cap;
};

struct pt__chartv {
	struct pt_chart *c;
	size_t n, cap;
};

/* The state of one pt_charts_build() call. */
struct pt__chart_build {
	const struct pt_results *res;
	struct pt__chartv plots, barcharts;
	struct pt_idxv bars;   /* records left for bar charts */
	struct pt_idxv limits; /* records of physical limits */
};

int pt__idxv_push(struct pt_idxv *v, size_t i);

/* Record and parameter helpers. */
double pt__chart_num(const struct pt_param *p);
const char *pt__chart_str(const struct pt_record *rec, const char *key);
bool pt__chart_is_limit(const struct pt_record *rec);
bool pt__chart_is_series_key(const char *key);
/* What tells a record's series apart besides kind and peer: its transport,
 * implementation, crash or recovery, or NULL. */
const char *pt__chart_variant(const struct pt_record *rec);
bool pt__chart_is_ignored_key(const char *key);
bool pt__chart_in_list(const char *const *list, const char *key);
/* a's splitting string parameters have the same values in b; with
 * b_may_lack (a is a limit, b a record of a plot it may bound), b may also
 * lack them or have others, and a's placement, and parameters of a whose
 * value is "none", are not compared. */
bool pt__chart_facets_agree(const struct pt_record *a,
			    const struct pt_record *b, bool b_may_lack);

/* A series' name and its identity: kind, peer, transport, implementation. */
bool pt__chart_same_series(const struct pt_record *a,
			   const struct pt_record *b);

/* Makes plots of the records in sub (all with numeric parameter x), one,
 * or one per kind when there would be more than max_series series. */
int pt__chart_add_plot(struct pt__chart_build *b, const struct pt_idxv *sub,
		       const char *x, size_t max_series);

/* Makes the bar charts of b->bars, per suite and unit, at most max_groups
 * groups each. */
int pt__chart_add_bars(struct pt__chart_build *b, size_t max_groups);

/* Draws each limit into the plots it belongs to; limits that fit no plot
 * go to the bars. */
int pt__chart_attach_limits(struct pt__chart_build *b);

/* Lists rec under the chart's table as a level line. Returns 0 or -ENOMEM. */
int pt__chart_line_rec(struct pt_chart *chart, size_t rec);

/* Marks the break-even task length on a plot against task_ns. */
int pt__chart_mark_break_even(const struct pt_results *res,
			      struct pt_chart *chart);

/* Appends a series named name (copied) with no records. Returns its
 * index, or -ENOMEM. */
int pt__chart_new_series(struct pt_chart *chart, const char *name,
			 enum pt_svg_style style, int colour);
int pt__chart_series_push(struct pt_chart_series *s, size_t rec);
int pt__chart_add_rule(struct pt_chart *chart, bool vertical, double value,
		       enum pt_svg_style style, const char *label);
void pt__chart_sort_series(const struct pt_results *res,
			   struct pt_chart *chart);

/* Orders the series: ours before peers' and limits, threads before
 * processes, otherwise as they first appeared. rep(s) is a record of
 * series s. */
void pt__chart_order_series(const struct pt_results *res,
			    struct pt_chart *chart,
			    size_t (*rep)(const struct pt_chart_series *s));

void pt__chart_free(struct pt_chart *chart);
void pt__chart_build_free(struct pt__chart_build *b);

#endif
