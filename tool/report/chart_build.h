/* chart_build.h - what the files that make the report's charts share:
 * charts.c groups records, chart_build.c turns a group into a plot or bars,
 * chart_marks.c adds limits and break-even marks, chart_draw.c draws. */
#ifndef TOOL_REPORT_CHART_BUILD_H
#define TOOL_REPORT_CHART_BUILD_H

#include "report/charts.h"

/* A growing list of record indices. */
struct idxv {
	size_t *v;
	size_t n, cap;
};

struct chartv {
	struct chart *c;
	size_t n, cap;
};

/* The state of one charts_build() call. */
struct chart_build {
	const struct results *res;
	struct chartv plots, barcharts;
	struct idxv bars;   /* records left for bar charts */
	struct idxv limits; /* records of physical limits */
};

int idxv_push(struct idxv *v, size_t i);

/* A new chart at the end of v, zeroed, or NULL when out of memory. */
struct chart *chart_push(struct chartv *v);

/* A label or title written to a stream in memory: chart_text_open() gives
 * the stream (NULL when out of memory), chart_text_close() closes it and
 * hands back the text, malloc'd, or NULL when a write failed. */
struct chart_text {
	char *buf;
	size_t len;
};
FILE *chart_text_open(struct chart_text *text);
char *chart_text_close(struct chart_text *text, FILE *f);

/* Record and parameter helpers (chart_keys.c). */
double chart_num(const struct param *p);
const char *chart_str(const struct record *rec, const char *key);
bool chart_is_limit(const struct record *rec);
/* The colour of a kind, in every chart: SVG_THREAD, SVG_PROCESS or
 * SVG_OTHER. */
int chart_kind_colour(const char *kind);
bool chart_is_series_key(const char *key);
/* What tells a record's series apart besides kind and peer: its transport,
 * implementation, crash or recovery, or NULL. */
const char *chart_variant(const struct record *rec);
bool chart_is_ignored_key(const char *key);
bool chart_in_list(const char *const *list, const char *key);
/* A string parameter that splits charts: not a series name, not where
 * the case ran. */
bool chart_is_facet(const struct param *p);
/* The index of key in the NULL-ended list, or the list's length. */
size_t chart_list_index(const char *const *list, const char *key);
/* a's splitting string parameters have the same values in b; with
 * b_may_lack (a is a limit, b a record of a plot it may bound), b may also
 * lack them or have others, and a's placement, and parameters of a whose
 * value is "none", are not compared. */
bool chart_facets_agree(const struct record *a, const struct record *b,
			bool b_may_lack);

/* A series' name and its identity: kind, peer, transport, implementation. */
bool chart_same_series(const struct record *a, const struct record *b);

/* Makes plots of the records in sub (all with numeric parameter x), one,
 * or one per kind when there would be more than max_series series. */
int chart_add_plot(struct chart_build *b, const struct idxv *sub, const char *x,
		   size_t max_series);

/* Makes the ipc suite's overview charts (chart_overview.c): per range of
 * message sizes, the round trip between two CPUs of every way to wait,
 * with the floor across it. Returns 0 or -ENOMEM. */
int chart_add_ipc_overview(struct chart_build *b);

/* Makes the bar charts of b->bars, per suite and unit, at most max_groups
 * groups each. */
int chart_add_bars(struct chart_build *b, size_t max_groups);

/* Draws each limit into the plots it belongs to; limits that fit no plot
 * go to the bars. */
int chart_attach_limits(struct chart_build *b);

/* Lists rec under the chart's table as a level line. Returns 0 or -ENOMEM. */
int chart_line_rec(struct chart *chart, size_t rec);

/* Marks the break-even task length on a plot against task_ns. */
int chart_mark_break_even(const struct results *res, struct chart *chart);

/* Appends a series named name (copied) with no records. Returns its
 * index, or -ENOMEM. */
int chart_new_series(struct chart *chart, const char *name,
		     enum svg_style style, int colour);
int chart_series_push(struct chart_series *s, size_t rec);
int chart_add_rule(struct chart *chart, bool vertical, double value,
		   enum svg_style style, const char *label);
void chart_sort_series(const struct results *res, struct chart *chart);

/* Orders the series: ours before peers' and limits, threads before
 * processes, otherwise as they first appeared. rep(s) is a record of
 * series s. */
void chart_order_series(const struct results *res, struct chart *chart,
			size_t (*rep)(const struct chart_series *s));

void chart_free(struct chart *chart);
void chart_build_free(struct chart_build *b);

#endif
