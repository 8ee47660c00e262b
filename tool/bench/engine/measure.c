/* measure.c - timing a case: the clock's cost, warm-up, batching, the
 * sampling loop, and turning samples into a record.
 *
 * A sample is the time of one call of the case's run(n) divided by its
 * operations, less the cost of one clock read (the part of the two reads
 * that falls inside the interval). n is 1 when a call takes 1 us or more,
 * so every operation is timed on its own and the tail is the real one;
 * below that, n grows until a sample lasts ctx->target_sample_ns, so the
 * clock's cost and step disappear in it. Sampling stops once there are
 * ctx->runs samples and ctx->min_time_s has passed (or at MAX_SAMPLES).
 *
 * Around the sampling loop (the warm-up left out), getrusage(RUSAGE_SELF)
 * and getrusage(RUSAGE_CHILDREN) say what the loop cost the CPU: user and
 * system time and context switches of all the benchmark's threads, and of
 * children it reaped meanwhile. Process units are the fork-server's
 * children, not ours, so for them it is the parent's side of the work.
 */
#include "bench/engine/engine_internal.h"
#include "bench/engine/stats.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define MAX_SAMPLES 200000u
#define PARAMS_MAX  32

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* --- records ------------------------------------------------------------ */

static const char *kind_name(enum bench_kind kind)
{
	switch (kind) {
	case BENCH_THREAD:
		return "thread";
	case BENCH_PROCESS:
		return "process";
	case BENCH_NONE:
		break;
	}
	return "none";
}

static void where_cpus(const struct bench_where *where, char *buf, size_t len)
{
	if (where->cpu[0] < 0)
		snprintf(buf, len, "any");
	else if (where->cpu[1] < 0 || where->cpu[1] == where->cpu[0])
		snprintf(buf, len, "%d", where->cpu[0]);
	else
		snprintf(buf, len, "%d,%d", where->cpu[0], where->cpu[1]);
}

/* Builds the record of n samples and adds it, or merges them into the
 * record of an earlier round (rounds.c); the strings it points to are
 * borrowed (results_add copies them). Sorts values. */
static int record_case(struct bench_ctx *ctx, const struct bench_case *c,
		       const struct bench_where *where, double *values,
		       size_t n_values, uint64_t batch,
		       const struct bench_cpu_use *use)
{
	struct param params[PARAMS_MAX];
	struct record rec = {
		.suite = (char *)ctx->suite->name,
		.name = (char *)c->name,
		.kind = (char *)kind_name(c->kind),
		.unit = (char *)(c->unit ? c->unit : "ns"),
		.peer = (char *)c->peer,
		.params = params,
		.batch = batch,
		.better = c->higher_is_better ? RECORD_BETTER_HIGHER
					      : RECORD_BETTER_BY_UNIT,
	};
	char cpus[32];
	size_t n = 0;

	if (c->n_params > PARAMS_MAX - 2)
		return -E2BIG;
	for (size_t i = 0; i < c->n_params; i++, n++) {
		params[n] = (struct param){ .key = (char *)c->params[i].key };
		if (c->params[i].str) {
			params[n].type = PARAM_STR;
			params[n].str = (char *)c->params[i].str;
		} else {
			params[n].type = PARAM_INT;
			params[n].i = c->params[i].num;
		}
	}
	where_cpus(where, cpus, sizeof(cpus));
	params[n++] = (struct param){ .key = "placement",
				      .type = PARAM_STR,
				      .str = (char *)where->placement };
	/* cppcheck-suppress unreadVariable ; read through rec.params */
	params[n++] =
		(struct param){ .key = "cpus", .type = PARAM_STR, .str = cpus };
	rec.n_params = n;
	return bench_merge(ctx, &rec, c->twins, values, n_values, use);
}

double bench_last_median(const struct bench_ctx *ctx)
{
	return ctx->last_median;
}

int bench_emit(struct bench_ctx *ctx, const struct bench_case *c,
	       double *values, size_t n)
{
	struct bench_where where;
	int rc;

	bench_progress(ctx, c->name);
	bench_resolve(ctx, c->place, &where);
	rc = n ? record_case(ctx, c, &where, values, n, 0, NULL) : -EINVAL;
	if (rc)
		bench_fail(ctx, c, "recording", rc);
	return rc;
}

/* --- timing ------------------------------------------------------------- */

struct samples {
	double *v;
	size_t n, cap;
};

static int samples_push(struct samples *s, double value)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 256;
		double *grown = realloc(s->v, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		s->v = grown;
		s->cap = cap;
	}
	s->v[s->n++] = value;
	return 0;
}

static bool is_rate(const char *unit)
{
	size_t len = unit ? strlen(unit) : 0;

	return len > 2 && !strcmp(unit + len - 2, "/s");
}

/* Times one call of run(n); returns its nanoseconds in *ns. */
static int time_call(const struct bench_case *c, uint64_t n, double *ns)
{
	uint64_t t0 = bench_now_ns();
	int rc = c->run(c->arg, n);
	uint64_t t1 = bench_now_ns();

	*ns = (double)(t1 - t0);
	return rc;
}

/* Warm-up: calls of one operation until warmup_s passed (at least two);
 * returns the median call time, from which the batch follows. */
static int warm_up(struct bench_ctx *ctx, const struct bench_case *c,
		   uint64_t *batch)
{
	double times[64], t;
	uint64_t end = bench_now_ns() + (uint64_t)(ctx->warmup_s * 1e9);
	size_t n = 0;
	int rc;

	do {
		rc = time_call(c, 1, &t);
		if (rc)
			return rc;
		times[n++ % 64] = t;
	} while (n < 2 || (bench_now_ns() < end && n < 100000));
	n = n < 64 ? n : 64;
	qsort(times, n, sizeof(times[0]), cmp_double);
	t = times[n / 2];
	*batch = 1;
	if (t < 1000) {
		double want = ceil(ctx->target_sample_ns / (t > 1 ? t : 1));

		*batch = (uint64_t)want;
		if (c->max_batch && *batch > c->max_batch)
			*batch = c->max_batch;
	}
	return 0;
}

static bool enough(const struct bench_ctx *ctx, size_t n, uint64_t start)
{
	if (n >= MAX_SAMPLES)
		return true;
	if (n < ctx->runs)
		return false;
	return (double)(bench_now_ns() - start) >= ctx->min_time_s * 1e9;
}

/* Our threads' use plus that of children reaped, at one moment. */
struct usage {
	double user_ns, sys_ns, voluntary_csw, involuntary_csw;
};

static double tv_ns(struct timeval tv)
{
	return (double)tv.tv_sec * 1e9 + (double)tv.tv_usec * 1e3;
}

static void usage_now(struct usage *u)
{
	struct rusage self, children;

	*u = (struct usage){ 0 };
	if (getrusage(RUSAGE_SELF, &self) ||
	    getrusage(RUSAGE_CHILDREN, &children))
		return;
	u->user_ns = tv_ns(self.ru_utime) + tv_ns(children.ru_utime);
	u->sys_ns = tv_ns(self.ru_stime) + tv_ns(children.ru_stime);
	u->voluntary_csw = (double)self.ru_nvcsw + (double)children.ru_nvcsw;
	u->involuntary_csw =
		(double)self.ru_nivcsw + (double)children.ru_nivcsw;
}

static int sample_loop(struct bench_ctx *ctx, const struct bench_case *c,
		       struct samples *s, uint64_t *batch,
		       struct bench_cpu_use *use)
{
	struct usage before, after;
	unsigned per_call = c->ops_per_call ? c->ops_per_call : 1;
	bool rate = is_rate(c->unit);
	uint64_t start;
	double v;
	int rc = 0;

	if (c->run) {
		rc = warm_up(ctx, c, batch);
	} else {
		uint64_t end = bench_now_ns() + (uint64_t)(ctx->warmup_s * 1e9);

		for (int i = 0; !rc && (i < 2 || bench_now_ns() < end); i++)
			rc = c->sample(c->arg, &v);
	}
	usage_now(&before);
	start = bench_now_ns();
	while (!rc && !enough(ctx, s->n, start)) {
		if (c->sample) {
			rc = c->sample(c->arg, &v);
		} else {
			rc = time_call(c, *batch, &v);
			v -= ctx->clock_cost_ns;
			v = v > 0 ? v / (double)(*batch * per_call) : 0;
			if (rate)
				v = v > 0 ? 1e9 / v : 0;
		}
		if (!rc)
			rc = samples_push(s, v);
		if ((s->n & 63) == 0)
			bench_progress(ctx, c->name);
	}
	usage_now(&after);
	*use = (struct bench_cpu_use){
		.user_ns = after.user_ns - before.user_ns,
		.sys_ns = after.sys_ns - before.sys_ns,
		.voluntary_csw = after.voluntary_csw - before.voluntary_csw,
		.involuntary_csw =
			after.involuntary_csw - before.involuntary_csw,
		/* A case that reports its own samples: one per sample. */
		.ops = (double)s->n *
		       (c->run ? (double)*batch * (double)per_call : 1),
	};
	return rc;
}

int bench_measure(struct bench_ctx *ctx, const struct bench_case *c)
{
	struct samples s = { 0 };
	struct bench_where where;
	struct bench_cpu_use use = { 0 };
	uint64_t batch = 1;
	const char *step = "setup";
	char what[sizeof(bench_position.what)];
	int rc;

	if (!c->run == !c->sample) {
		bench_fail(ctx, c, "describing", -EINVAL);
		return -EINVAL;
	}
	ctx->last_progress_ns = 0;
	snprintf(what, sizeof(what), "%s (%s)", c->name, kind_name(c->kind));
	bench_progress(ctx, what);
	bench_position.what_len = 0;
	memcpy(bench_position.what, what, sizeof(what));
	bench_position.what_len = (sig_atomic_t)strlen(what);
	bench_place(ctx, c->place, &where);
	rc = c->setup ? c->setup(c->arg, &where) : 0;
	if (!rc) {
		step = "measuring";
		rc = sample_loop(ctx, c, &s, &batch, &use);
	}
	/* Also after a failed setup, which may have done half its work. */
	if (c->teardown)
		c->teardown(c->arg);
	bench_unplace(ctx);
	if (!rc) {
		step = "recording";
		rc = record_case(
			ctx, c, &where, s.v, s.n,
			c->run ? batch * (c->ops_per_call ? c->ops_per_call : 1)
			       : 0,
			&use);
	}
	if (rc)
		bench_fail(ctx, c, step, rc);
	bench_position.what_len = 0;
	free(s.v);
	return rc;
}
