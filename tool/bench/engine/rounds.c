/* rounds.c - one record per case from samples taken in several rounds.
 *
 * Why rounds: on a shared or virtual machine the speed of the whole
 * machine drifts over seconds (a neighbour on the host, the hypervisor).
 * A case sampled in one stretch of a tenth of a second sees one speed, so
 * its interval is narrow while a second run, seeing another speed, lands
 * 20-40% away. The engine therefore runs the suites several times
 * (rounds), each taking a share of every case's samples, and merges the
 * shares here: the median then averages over the whole run, and the
 * interval also spans every round's median (stats_widen_ci), so that
 * drift shows as a wide interval - a "noisy" case - instead of a
 * confident wrong figure. Google Benchmark's random interleaving and
 * repetitions answer the same problem.
 *
 * The record is added when a case is first met and updated by the later
 * rounds in place, so the records keep the order of the first round and
 * every round leaves complete results behind. A case is known by its
 * suite, name, kind, unit, peer and parameters (placement included).
 */
#include "bench/engine/engine_internal.h"
#include "bench/engine/stats.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Samples kept per case over all rounds: beyond this, each round keeps an
 * evenly spaced subset of its samples (time order), which keeps their
 * distribution and bounds the memory of a --full run. */
#define KEPT_MAX 20000u

struct bench_merged {
	char *key;
	size_t record;	/* index of the record in ctx->results */
	size_t n_twins; /* twin records that follow it */
	unsigned last_round;
	double *v; /* kept samples of every round so far, in the order
		    * taken: they become the record's raw */
	size_t n, cap;
	double *sorted; /* a copy of v for the statistics */
	struct bench_cpu_use cpu;
	bool timed;
	double *round_medians;
	size_t n_rounds;
};

static int key_append(char *buf, size_t len, size_t *used, const char *s)
{
	int n = snprintf(buf + *used, len - *used, "%s\x1f", s ? s : "");

	if (n < 0 || (size_t)n >= len - *used)
		return -E2BIG;
	*used += (size_t)n;
	return 0;
}

static int make_key(const struct record *rec, char *buf, size_t len)
{
	size_t used = 0;
	char value[128];
	int rc;

	rc = key_append(buf, len, &used, rec->suite);
	rc = rc ? rc : key_append(buf, len, &used, rec->name);
	rc = rc ? rc : key_append(buf, len, &used, rec->kind);
	rc = rc ? rc : key_append(buf, len, &used, rec->unit);
	rc = rc ? rc : key_append(buf, len, &used, rec->peer);
	for (size_t i = 0; !rc && i < rec->n_params; i++) {
		param_format(&rec->params[i], value, sizeof(value));
		rc = key_append(buf, len, &used, rec->params[i].key);
		rc = rc ? rc : key_append(buf, len, &used, value);
	}
	return rc;
}

/* The case of this key not yet met in this round, or NULL. */
static struct bench_merged *find(struct bench_ctx *ctx, const char *key)
{
	for (size_t i = 0; i < ctx->n_merged; i++) {
		struct bench_merged *m = &ctx->merged[i];

		if (m->last_round != ctx->round && !strcmp(m->key, key))
			return m;
	}
	return NULL;
}

static struct bench_merged *add(struct bench_ctx *ctx, const char *key)
{
	struct bench_merged *m;

	if (ctx->n_merged == ctx->cap_merged) {
		size_t cap = ctx->cap_merged ? 2 * ctx->cap_merged : 64;
		struct bench_merged *grown =
			realloc(ctx->merged, cap * sizeof(*grown));

		if (!grown)
			return NULL;
		ctx->merged = grown;
		ctx->cap_merged = cap;
	}
	m = &ctx->merged[ctx->n_merged];
	*m = (struct bench_merged){ .key = strdup(key) };
	/* One more than the rounds: the peers run after the last. */
	m->round_medians = calloc(ctx->rounds + 1, sizeof(double));
	if (!m->key || !m->round_medians) {
		free(m->key);
		free(m->round_medians);
		return NULL;
	}
	ctx->n_merged++;
	return m;
}

/* Appends this round's samples, an evenly spaced subset of them when the
 * round's share of KEPT_MAX is exceeded. */
static int keep(struct bench_merged *m, const double *values, size_t n,
		unsigned rounds)
{
	size_t share = KEPT_MAX / rounds, take = n < share ? n : share;

	if (m->n + take > m->cap) {
		size_t cap = m->n + take;
		double *grown = realloc(m->v, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		m->v = grown;
		m->cap = cap;
	}
	for (size_t i = 0; i < take; i++)
		m->v[m->n++] = values[i * n / take]; /* i itself when all fit */
	return 0;
}

/* The record's raw samples and CPU figures from the merged ones; a twin's
 * raw is scaled as its statistics are. */
static int set_raw(struct record *t, const struct bench_merged *m, double scale)
{
	double *raw = realloc(t->raw, (m->n ? m->n : 1) * sizeof(*raw));

	if (!raw)
		return -ENOMEM;
	for (size_t i = 0; i < m->n; i++)
		raw[i] = m->v[i] * scale;
	t->raw = raw;
	t->n_raw = m->n;
	t->cpu = (struct results_cpu){ .measured = m->timed && m->cpu.ops > 0 };
	if (t->cpu.measured) {
		t->cpu.user_ns = m->cpu.user_ns / m->cpu.ops;
		t->cpu.sys_ns = m->cpu.sys_ns / m->cpu.ops;
		t->cpu.voluntary_csw = m->cpu.voluntary_csw / m->cpu.ops;
		t->cpu.involuntary_csw = m->cpu.involuntary_csw / m->cpu.ops;
	}
	return 0;
}

static void set_twin(struct record *t, const struct stats *stats, double scale)
{
	t->stats = *stats;
	t->stats.min = stats->min * scale;
	t->stats.median = stats->median * scale;
	t->stats.p90 = stats->p90 * scale;
	t->stats.p99 = stats->p99 * scale;
	t->stats.p1 = stats->p1 * scale;
	t->stats.max = stats->max * scale;
	t->stats.mean = stats->mean * scale;
	t->stats.stddev = stats->stddev * scale;
	t->stats.ci_low = stats->ci_low * scale;
	t->stats.ci_high = stats->ci_high * scale;
}

/* The statistics of every kept sample, computed on a copy: stats_compute()
 * sorts, and v keeps the order taken. */
static int sorted_stats(struct bench_merged *m, struct stats *all)
{
	double *copy = realloc(m->sorted, (m->n ? m->n : 1) * sizeof(*copy));

	if (!copy)
		return -ENOMEM;
	m->sorted = copy;
	if (m->n)
		memcpy(copy, m->v, m->n * sizeof(*copy));
	return stats_compute(copy, m->n, all);
}

int bench_merge(struct bench_ctx *ctx, struct record *rec,
		const struct bench_twin twins[2], double *values, size_t n,
		const struct bench_cpu_use *use)
{
	struct bench_merged *m;
	struct stats round, all;
	size_t n_twins = 0;
	char key[1024];
	int rc;

	while (n_twins < 2 && twins[n_twins].name)
		n_twins++;
	rc = make_key(rec, key, sizeof(key));
	if (rc)
		return rc;
	m = find(ctx, key);
	if (m && m->n_twins != n_twins)
		return -EINVAL; /* a suite changed the case's shape */
	if (!m) {
		m = add(ctx, key);
		if (!m)
			return -ENOMEM;
		m->n_twins = n_twins;
		m->record = SIZE_MAX;
	}
	m->last_round = ctx->round;
	/* Kept in the order taken, before this round's median sorts them. */
	rc = keep(m, values, n, ctx->rounds);
	if (rc)
		return rc;
	if (use) {
		m->timed = true;
		m->cpu.user_ns += use->user_ns;
		m->cpu.sys_ns += use->sys_ns;
		m->cpu.voluntary_csw += use->voluntary_csw;
		m->cpu.involuntary_csw += use->involuntary_csw;
		m->cpu.ops += use->ops;
	}
	rc = stats_compute(values, n, &round);
	if (rc)
		return rc;
	m->round_medians[m->n_rounds++] = round.median;
	rc = sorted_stats(m, &all);
	if (rc)
		return rc;
	stats_widen_ci(&all, m->round_medians, m->n_rounds);
	ctx->last_median = all.median;

	if (m->record == SIZE_MAX) {
		struct record first = *rec;

		first.raw = NULL;
		first.stats = all;
		rc = set_raw(&first, m, 1);
		rc = rc ? rc : results_add(ctx->results, &first);
		free(first.raw);
		if (rc)
			return rc;
		m->record = ctx->results->n_records - 1;
		for (size_t t = 0; t < n_twins; t++) {
			struct record tw = *rec;

			tw.raw = NULL;
			tw.name = (char *)twins[t].name;
			tw.unit = (char *)twins[t].unit;
			tw.better = twins[t].higher_is_better
					    ? RECORD_BETTER_HIGHER
					    : RECORD_BETTER_BY_UNIT;
			set_twin(&tw, &all, twins[t].scale);
			rc = set_raw(&tw, m, twins[t].scale);
			rc = rc ? rc : results_add(ctx->results, &tw);
			free(tw.raw);
			if (rc)
				return rc;
		}
		return 0;
	}
	/* A later round: the record and its twins, in place. A twin's scale
	 * may come from a figure of this round (a ratio to a limit measured
	 * just before), so the latest one applies. */
	ctx->results->records[m->record].stats = all;
	ctx->results->records[m->record].batch = rec->batch;
	rc = set_raw(&ctx->results->records[m->record], m, 1);
	for (size_t t = 0; t < n_twins && !rc; t++) {
		set_twin(&ctx->results->records[m->record + 1 + t], &all,
			 twins[t].scale);
		rc = set_raw(&ctx->results->records[m->record + 1 + t], m,
			     twins[t].scale);
	}
	return rc;
}

void bench_merge_free(struct bench_ctx *ctx)
{
	for (size_t i = 0; i < ctx->n_merged; i++) {
		free(ctx->merged[i].key);
		free(ctx->merged[i].v);
		free(ctx->merged[i].sorted);
		free(ctx->merged[i].round_medians);
	}
	free(ctx->merged);
	ctx->merged = NULL;
	ctx->n_merged = ctx->cap_merged = 0;
}
