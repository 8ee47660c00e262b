/* chart_build.c - turning a group of records into a plot or into bars:
 * series, categories, titles, colours and markers. A series is one line or
 * one bar per group: records of the same kind, transport or
 * implementation, and peer. Colour is the kind and nothing else (thread
 * blue, process orange, grey for the rest), in every chart; a transport or
 * implementation is the marker's shape; a peer is hollow. A plot with too
 * many series to read is split by transport, never by kind, so a thread
 * figure and its process figure always share a panel.
 */
#include "report/chart_build.h"

#include "report/units.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int idxv_push(struct idxv *v, size_t i)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? 2 * v->cap : 16;
		size_t *grown = realloc(v->v, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		v->v = grown;
		v->cap = cap;
	}
	v->v[v->n++] = i;
	return 0;
}

struct chart *chart_push(struct chartv *v)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? 2 * v->cap : 8;
		struct chart *grown = realloc(v->c, cap * sizeof(*grown));

		if (!grown)
			return NULL;
		v->c = grown;
		v->cap = cap;
	}
	memset(&v->c[v->n], 0, sizeof(v->c[v->n]));
	return &v->c[v->n++];
}

static bool str_equal(const char *a, const char *b)
{
	return (!a || !b) ? a == b : !strcmp(a, b);
}

bool chart_same_series(const struct record *a, const struct record *b)
{
	return !strcmp(a->kind, b->kind) && str_equal(a->peer, b->peer) &&
	       str_equal(chart_variant(a), chart_variant(b));
}

int chart_new_series(struct chart *chart, const char *name,
		     enum svg_style style, int colour)
{
	struct chart_series *grown =
		realloc(chart->series, (chart->n_series + 1) * sizeof(*grown));
	struct chart_series *s;

	if (!grown)
		return -ENOMEM;
	chart->series = grown;
	s = &grown[chart->n_series];
	memset(s, 0, sizeof(*s));
	s->name = strdup(name);
	if (!s->name)
		return -ENOMEM;
	s->style = style;
	s->colour = colour;
	s->kind = NULL;
	s->marker = 0;
	return (int)chart->n_series++;
}

int chart_series_push(struct chart_series *s, size_t rec)
{
	size_t *grown = realloc(s->recs, (s->n + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	s->recs = grown;
	s->recs[s->n++] = rec;
	return 0;
}

int chart_add_rule(struct chart *chart, bool vertical, double value,
		   enum svg_style style, const char *label)
{
	struct svg_rule *grown =
		realloc(chart->rules, (chart->n_rules + 1) * sizeof(*grown));
	char *copy = strdup(label);

	if (grown)
		chart->rules = grown;
	if (!grown || !copy) {
		free(copy);
		return -ENOMEM;
	}
	grown[chart->n_rules++] = (struct svg_rule){
		.vertical = vertical,
		.value = value,
		.label = copy,
		.style = style,
	};
	return 0;
}

static const char *variant_of(const struct record *r)
{
	return chart_variant(r);
}

/* "process · shm", "thread (perf bench)", "limit-memcpy". */
static char *series_name(const struct record *r, bool with_variant)
{
	const char *variant = variant_of(r);
	struct chart_text text;
	FILE *f = chart_text_open(&text);

	if (!f)
		return NULL;
	if (chart_is_limit(r)) {
		fputs(variant ? variant : r->name, f);
	} else {
		if (strcmp(r->kind, "none") != 0)
			fputs(r->kind, f);
		if (with_variant && variant)
			fprintf(f, "%s%s",
				strcmp(r->kind, "none") != 0 ? " · " : "",
				variant);
		if (r->peer)
			fprintf(f, " (%s)", r->peer);
	}
	return chart_text_close(&text, f);
}

/* Colour by kind, everywhere; a marker per variant, in the order the
 * variants first appear, so that the same transport has the same shape in
 * the thread, process and peer series. */
static void assign_colours(const struct results *res, struct chart *chart)
{
	const char *variants[8];
	size_t n_variants = 0;

	for (size_t s = 0; s < chart->n_series; s++) {
		struct chart_series *se = &chart->series[s];
		const struct record *r = &res->records[se->recs[0]];
		const char *v = variant_of(r);
		size_t k;

		se->colour = chart_kind_colour(r->kind);
		se->kind = r->kind;
		for (k = 0; k < n_variants; k++)
			if (str_equal(variants[k], v))
				break;
		if (k == n_variants && n_variants < 8)
			variants[n_variants++] = v;
		se->marker = (int)k;
	}
}

/* A parameter's value as a label reads it: "64 KiB", "same-cpu". */
static void param_text(FILE *f, const char *suite, const struct param *p,
		       bool with_key)
{
	char v[48];

	if (p->type == PARAM_STR) {
		fputs(p->str, f);
		return;
	}
	fmt_tick(chart_num(p), param_unit(p->key), v, sizeof(v));
	if (with_key)
		fprintf(f, "%s %s", param_label(suite, p->key), v);
	else
		fputs(v, f);
}

static char *plot_title(const struct record *r, const char *x,
			bool common_variant)
{
	struct chart_text text;
	FILE *f = chart_text_open(&text);
	const char *sep = " — ";

	if (!f)
		return NULL;
	/* A parameter repeating the name, or a size or length of 0 (it does
	 * not apply to this case), is left out. */
	fprintf(f, "%s: %s in %s against %s", r->suite, r->name, r->unit,
		param_label(r->suite, x));
	for (size_t i = 0; i < r->n_params; i++) {
		const struct param *p = &r->params[i];

		if (!strcmp(p->key, x) || chart_is_ignored_key(p->key) ||
		    (chart_is_series_key(p->key) && !common_variant) ||
		    (p->type == PARAM_STR && !strcmp(p->str, r->name)) ||
		    (p->type != PARAM_STR && chart_num(p) == 0))
			continue;
		fputs(sep, f);
		param_text(f, r->suite, p, true);
		sep = ", ";
	}
	return chart_text_close(&text, f);
}

static size_t first_rec(const struct chart_series *s)
{
	return s->recs[0];
}

/* Whether r belongs in a plot of variant only (NULL: of every variant). */
static bool in_plot(const struct record *r, bool one_variant,
		    const char *variant)
{
	return !one_variant || str_equal(variant_of(r), variant);
}

static int make_plot(struct chart_build *b, const struct idxv *sub,
		     const char *x, bool one_variant, const char *variant)
{
	const struct results *res = b->res;
	const struct record *first = NULL;
	struct chart *chart = chart_push(&b->plots);
	bool by_kind = true;
	int err = 0;

	if (!chart)
		return -ENOMEM;
	chart->shape = CHART_PLOT;
	/* A transport or implementation common to every line names none of
	 * them: the title carries it, and the lines are told apart by kind. */
	for (size_t i = 0; i < sub->n; i++) {
		const struct record *r = &res->records[sub->v[i]];

		if (!in_plot(r, one_variant, variant))
			continue;
		if (!first)
			first = r;
		if (!str_equal(variant_of(first), variant_of(r)))
			by_kind = false;
	}
	for (size_t i = 0; i < sub->n && !err; i++) {
		const struct record *r = &res->records[sub->v[i]];
		size_t s;

		if (!in_plot(r, one_variant, variant))
			continue;
		for (s = 0; s < chart->n_series; s++)
			if (chart_same_series(
				    &res->records[chart->series[s].recs[0]], r))
				break;
		if (s == chart->n_series) {
			char *name = series_name(r, !by_kind);
			int idx = name ? chart_new_series(chart, name,
							  r->peer ? SVG_PEER
								  : SVG_SOLID,
							  0)
				       : -ENOMEM;

			free(name);
			if (idx < 0) {
				err = idx;
				break;
			}
			s = (size_t)idx;
		}
		err = chart_series_push(&chart->series[s], sub->v[i]);
	}
	if (err)
		return err;
	if (!first) { /* no record of that variant: drop the empty chart */
		chart_free(chart);
		b->plots.n--;
		return 0;
	}
	chart->suite = first->suite;
	chart->unit = first->unit;
	chart->x_param = strdup(x);
	chart->title = plot_title(first, x, by_kind);
	if (!chart->x_param || !chart->title)
		return -ENOMEM;
	chart_sort_series(res, chart);
	chart_order_series(res, chart, first_rec);
	assign_colours(res, chart);
	return 0;
}

int chart_add_plot(struct chart_build *b, const struct idxv *sub, const char *x,
		   size_t max_series)
{
	const struct results *res = b->res;
	size_t n_series;
	int err;

	if (!res->records || !sub->n)
		return 0;
	err = make_plot(b, sub, x, false, NULL);
	if (err)
		return err;
	n_series = b->plots.c[b->plots.n - 1].n_series;
	if (n_series <= max_series)
		return 0;
	/* Too many lines to tell apart: one plot per transport or
	 * implementation instead, each with its thread, process and peer
	 * series, in the order the variants first appear. */
	chart_free(&b->plots.c[--b->plots.n]);
	for (size_t i = 0; i < sub->n && !err; i++) {
		const char *v = variant_of(&res->records[sub->v[i]]);
		bool seen = false;

		for (size_t j = 0; j < i && !seen; j++)
			seen = str_equal(variant_of(&res->records[sub->v[j]]),
					 v);
		if (!seen)
			err = make_plot(b, sub, x, true, v);
	}
	return err;
}

static const struct param *param_at(const struct results *res,
				    const struct chart_series *s, size_t i,
				    const char *key)
{
	return record_param(&res->records[s->recs[i]], key);
}

struct by_x {
	double x;
	size_t pos, rec;
};

static int cmp_by_x(const void *a, const void *b)
{
	const struct by_x *p = a, *q = b;

	if (p->x != q->x)
		return p->x < q->x ? -1 : 1;
	return (p->pos > q->pos) - (p->pos < q->pos);
}

void chart_sort_series(const struct results *res, struct chart *chart)
{
	/* By x, equal x keeping their order (qsort is not stable: the
	 * position breaks ties). */
	for (size_t s = 0; s < chart->n_series; s++) {
		struct chart_series *se = &chart->series[s];
		struct by_x *v = se->n > 1 ? malloc(se->n * sizeof(*v)) : NULL;

		/* Out of memory: the series stays in its order. */
		if (!v)
			continue;
		for (size_t i = 0; i < se->n; i++)
			v[i] = (struct by_x){
				chart_num(param_at(res, se, i, chart->x_param)),
				i, se->recs[i]
			};
		qsort(v, se->n, sizeof(*v), cmp_by_x);
		for (size_t i = 0; i < se->n; i++)
			se->recs[i] = v[i].rec;
		free(v);
	}
}

static int series_rank(const struct results *res, const struct chart_series *s,
		       size_t rec)
{
	const struct record *r = &res->records[rec];

	if (s->style == SVG_LIMIT)
		return 100;
	return (r->peer ? 10 : 0) + chart_kind_colour(r->kind);
}

void chart_order_series(const struct results *res, struct chart *chart,
			size_t (*rep)(const struct chart_series *s))
{
	/* Insertion sort, stable: a chart has a handful of series. */
	for (size_t i = 1; i < chart->n_series; i++) {
		struct chart_series moving = chart->series[i];
		int rank = series_rank(res, &moving, rep(&moving));
		size_t j = i;

		while (j > 0 &&
		       series_rank(res, &chart->series[j - 1],
				   rep(&chart->series[j - 1])) > rank) {
			chart->series[j] = chart->series[j - 1];
			j--;
		}
		chart->series[j] = moving;
	}
}

void chart_free(struct chart *chart)
{
	free(chart->id);
	free(chart->title);
	free(chart->caption);
	free(chart->x_param);
	for (size_t i = 0; i < chart->n_categories; i++)
		free(chart->categories[i]);
	free(chart->categories);
	for (size_t s = 0; s < chart->n_series; s++) {
		free(chart->series[s].name);
		free(chart->series[s].recs);
	}
	free(chart->series);
	for (size_t r = 0; r < chart->n_rules; r++)
		free((char *)chart->rules[r].label);
	free(chart->rules);
	free(chart->line_recs);
	memset(chart, 0, sizeof(*chart));
}

void chart_build_free(struct chart_build *b)
{
	for (size_t c = 0; c < b->plots.n; c++)
		chart_free(&b->plots.c[c]);
	for (size_t c = 0; c < b->barcharts.n; c++)
		chart_free(&b->barcharts.c[c]);
	free(b->plots.c);
	free(b->barcharts.c);
	free(b->bars.v);
	free(b->limits.v);
}
