/* chart_overview.c - the ipc suite's overview: for each range of message
 * sizes, one chart of the round trip between two CPUs in every way a
 * message can wait (our ring spinning, adaptive and blocking, a pipe, and
 * iceoryx busy-waiting and on its wait-set), with the floor - one cache
 * line passed back and forth - across the chart of small messages. How
 * far each is from the limit and from the best peer is then one picture,
 * not six plots; the per-mode plots, with every transport, still follow.
 *
 * Sizes are cut into ranges because a 4 MiB round trip takes thousands of
 * times a small one's: one axis for both would flatten the small ones,
 * where the waits differ most; and the cache-line floor, which bounds a
 * small message, says nothing of a large one, whose copy dwarfs it.
 * Within a chart each size is a marker shape, each kind its colour; a
 * peer's marks are hollow. */
#include "report/chart_build.h"

#include "report/report.h"
#include "report/units.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The groups of an overview, in order: the records with this transport
 * and wait. */
static const struct contender {
	const char *label;
	const char *transport;
	const char *wait;
} contenders[] = {
	{ "ring, spin", "shm", "spin" },
	{ "ring, adaptive", "shm", "adaptive" },
	{ "ring, block", "shm", "block" },
	{ "pipe", "pipe", "block" },
	{ "iceoryx, busy-wait", "iceoryx", "spin" },
	{ "iceoryx, wait-set", "iceoryx", "block" },
};

#define N_CONTENDERS (sizeof(contenders) / sizeof(contenders[0]))

/* Message sizes up to this many bytes are small; the rest large. */
#define SMALL_MAX 4096.0

/* The marker shapes, one per size of a chart (svg.h). */
#define MAX_SIZES 4

/* The series one chart holds at most: a thread, a process and a peer at
 * each size. */
#define MAX_MARKS ((size_t)3 * MAX_SIZES)

/* A round trip between two CPUs, as the overview draws them: the ipc
 * suite's latency of one message, not the cases whose peer answers late. */
static bool is_round_trip(const struct record *r)
{
	const char *placement = chart_str(r, "placement");

	return !strcmp(r->suite, "ipc") && !strcmp(r->name, "latency") &&
	       r->unit && !strcmp(r->unit, "ns") && placement &&
	       !strcmp(placement, "cross-cpu") && !record_param(r, "late_us");
}

static size_t contender_of(const struct record *r)
{
	const char *t = chart_str(r, "transport"), *w = chart_str(r, "wait");

	for (size_t c = 0; t && w && c < N_CONTENDERS; c++)
		if (!strcmp(t, contenders[c].transport) &&
		    !strcmp(w, contenders[c].wait))
			return c;
	return N_CONTENDERS;
}

static double size_of(const struct record *r)
{
	const struct param *p = record_param(r, "size");

	return p && p->type != PARAM_STR ? chart_num(p) : NAN;
}

/* A series of the overview: one kind (or peer) at one size. */
struct mark {
	const char *kind, *peer;
	double size;
};

static int mark_rank(const struct mark *m)
{
	return m->peer ? 2 : !strcmp(m->kind, "thread") ? 0 : 1;
}

/* Sizes first (in the range's order), then threads, processes, peers. */
static int cmp_mark(const void *a, const void *b)
{
	const struct mark *x = a, *y = b;

	if (x->size != y->size)
		return x->size < y->size ? -1 : 1;
	if (mark_rank(x) != mark_rank(y))
		return mark_rank(x) - mark_rank(y);
	return strcmp(x->peer ? x->peer : "", y->peer ? y->peer : "");
}

static bool same_mark(const struct mark *m, const struct record *r)
{
	return !strcmp(m->kind, r->kind) && m->size == size_of(r) &&
	       ((!m->peer && !r->peer) ||
		(m->peer && r->peer && !strcmp(m->peer, r->peer)));
}

/* The records of one chart: those of recs in the size range [lo, hi]. */
struct range_recs {
	const size_t *v;
	size_t n;
	double lo, hi;
};

static bool in_range(const struct range_recs *in, const struct record *r)
{
	double size = size_of(r);

	return size >= in->lo && size <= in->hi;
}

/* The range's series, sorted, into marks (at most max); how many. */
static size_t collect_marks(const struct results *res,
			    const struct range_recs *in, struct mark *marks,
			    size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < in->n; i++) {
		const struct record *r = &res->records[in->v[i]];
		size_t m = 0;

		if (!in_range(in, r))
			continue;
		while (m < n && !same_mark(&marks[m], r))
			m++;
		if (m == n && n < max)
			marks[n++] = (struct mark){ .kind = r->kind,
						    .peer = r->peer,
						    .size = size_of(r) };
	}
	qsort(marks, n, sizeof(*marks), cmp_mark);
	return n;
}

static char *mark_name(const struct mark *m)
{
	char size[32], *name = NULL;

	fmt_tick(m->size, "B", size, sizeof(size));
	if (asprintf(&name, "%s, %s", m->peer ? m->peer : m->kind, size) < 0)
		return NULL;
	return name;
}

/* The chart's groups: the contenders with a record in the range, as
 * indices into contenders[] in group order; how many. */
static size_t collect_groups(const struct results *res,
			     const struct range_recs *in,
			     size_t group_of[N_CONTENDERS])
{
	bool present[N_CONTENDERS] = { false };
	size_t n = 0;

	for (size_t i = 0; i < in->n; i++) {
		const struct record *r = &res->records[in->v[i]];

		if (in_range(in, r))
			present[contender_of(r)] = true;
	}
	for (size_t c = 0; c < N_CONTENDERS; c++)
		if (present[c])
			group_of[n++] = c;
	return n;
}

static int fill_series(const struct results *res, const struct range_recs *in,
		       const struct mark *marks, size_t n_marks,
		       const size_t *groups, size_t n_groups,
		       struct chart *chart)
{
	for (size_t m = 0; m < n_marks; m++) {
		char *name = mark_name(&marks[m]);
		int s = name ? chart_new_series(
				       chart, name,
				       marks[m].peer ? SVG_PEER : SVG_SOLID,
				       chart_kind_colour(marks[m].kind))
			     : -ENOMEM;
		struct chart_series *cs;

		free(name);
		if (s < 0)
			return s;
		cs = &chart->series[s];
		cs->kind = marks[m].kind;
		/* The marker's shape is the size (marks are sorted by size). */
		cs->marker = 0;
		for (size_t k = 1; k <= m; k++)
			if (marks[k].size != marks[k - 1].size)
				cs->marker = (cs->marker + 1) % MAX_SIZES;
		/* As make_bars() lays them out: a slot per group, then a
		 * record of the series. */
		cs->recs = malloc((n_groups + 1) * sizeof(*cs->recs));
		if (!cs->recs)
			return -ENOMEM;
		cs->n = n_groups;
		for (size_t g = 0; g <= n_groups; g++)
			cs->recs[g] = CHART_NONE;
		for (size_t i = 0; i < in->n; i++) {
			const struct record *r = &res->records[in->v[i]];
			size_t c = contender_of(r);

			if (!in_range(in, r) || !same_mark(&marks[m], r))
				continue;
			for (size_t g = 0; g < n_groups; g++)
				if (groups[g] == c && cs->recs[g] == CHART_NONE)
					cs->recs[g] = in->v[i];
			cs->recs[n_groups] = in->v[i];
		}
	}
	return 0;
}

/* The floor across the chart: the cross-CPU atomic ping-pong. */
static int add_floor(const struct results *res, const struct idxv *limits,
		     struct chart *chart)
{
	for (size_t i = 0; i < limits->n; i++) {
		const struct record *r = &res->records[limits->v[i]];
		const char *t = chart_str(r, "transport");
		char v[32], label[96];
		int err;

		if (!is_round_trip(r) || !t || strcmp(t, "limit-atomic") != 0)
			continue;
		format_value(r->stats.median, r->unit, v, sizeof(v));
		snprintf(label, sizeof(label),
			 "floor, one cache line both ways: %s", v);
		err = chart_add_rule(chart, false, r->stats.median, SVG_LIMIT,
				     label);
		return err ? err : chart_line_rec(chart, limits->v[i]);
	}
	return 0;
}

static int make_overview(struct chart_build *b, const struct range_recs *in)
{
	const struct results *res = b->res;
	struct mark marks[MAX_MARKS];
	size_t groups[N_CONTENDERS], n_groups, n_marks;
	char from[32], to[32];
	/* The floor bounds small messages; a large one's copy dwarfs it. */
	bool with_floor = in->hi <= SMALL_MAX;
	struct chart *chart;
	int err;

	n_groups = collect_groups(res, in, groups);
	n_marks = collect_marks(res, in, marks, MAX_MARKS);
	/* One way to wait alone is no comparison. */
	if (n_groups < 2 || !n_marks)
		return 0;
	chart = chart_push(&b->barcharts);
	if (!chart)
		return -ENOMEM;
	chart->shape = CHART_BARS;
	chart->suite = "ipc";
	chart->unit = "ns";
	chart->categories = calloc(n_groups, sizeof(*chart->categories));
	if (!chart->categories)
		return -ENOMEM;
	chart->n_categories = n_groups;
	for (size_t g = 0; g < n_groups; g++) {
		chart->categories[g] = strdup(contenders[groups[g]].label);
		if (!chart->categories[g])
			return -ENOMEM;
	}
	fmt_tick(marks[0].size, "B", from, sizeof(from));
	fmt_tick(marks[n_marks - 1].size, "B", to, sizeof(to));
	if (asprintf(&chart->title,
		     "ipc: round trip between two CPUs, %s%s%s, every wait%s",
		     from, strcmp(from, to) ? " to " : "",
		     strcmp(from, to) ? to : "",
		     with_floor ? " beside the floor" : "") < 0) {
		chart->title = NULL;
		return -ENOMEM;
	}
	if (asprintf(&chart->caption,
		     "A group per way to wait: our ring (transport shm) "
		     "spinning, adaptive and blocking, a pipe, and iceoryx "
		     "busy-waiting and on its wait-set; a mark per kind and "
		     "message size (its shape).%s",
		     with_floor ? " The grey line is the floor: one cache line "
				  "passed back and forth between the two CPUs."
				: "") < 0) {
		chart->caption = NULL;
		return -ENOMEM;
	}
	err = fill_series(res, in, marks, n_marks, groups, n_groups, chart);
	return err || !with_floor ? err : add_floor(res, &b->limits, chart);
}

int chart_add_ipc_overview(struct chart_build *b)
{
	const struct results *res = b->res;
	struct idxv trips = { 0 };
	int err = 0;

	for (size_t i = 0; i < res->n_records && !err; i++) {
		const struct record *r = &res->records[i];

		if (is_round_trip(r) && contender_of(r) < N_CONTENDERS &&
		    isfinite(size_of(r)))
			err = idxv_push(&trips, i);
	}
	if (!err && trips.n) {
		struct range_recs small = { trips.v, trips.n, 0, SMALL_MAX };
		struct range_recs large = { trips.v, trips.n, SMALL_MAX + 1,
					    INFINITY };

		err = make_overview(b, &small);
		if (!err)
			err = make_overview(b, &large);
	}
	free(trips.v);
	return err;
}
