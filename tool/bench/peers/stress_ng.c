/* stress_ng.c - stress-ng's fork, vfork, pthread and clone stressors, the
 * peers of the create suite. Each runs one worker for a fixed number of
 * bogo operations with --metrics-brief; see parse_rate for how a run
 * becomes a time per operation. What one bogo operation is differs from
 * our cases in ways docs/results-schema.md spells out (a pthread operation
 * maps its own stack and makes some fifty system calls; the fork worker
 * is a larger process than ours).
 *
 *   fork, --fork-max 1    beside create-join impl=raw, process, one CPU
 *   fork, --fork-max 16   beside create-throughput in_flight=16, process
 *   vfork                 beside create-join impl=vfork, one CPU
 *   pthread, --pthread-max 1  beside create-join impl=raw, thread, one CPU
 *   clone, --clone-max 1  its own row: it clones with varying flags,
 *                         namespaces included, so nothing of ours matches
 */
#include "bench/peers/peers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct stressor {
	const char *name;    /* --NAME */
	const char *max_opt; /* --NAME-max */
	unsigned max;
	unsigned ops[3]; /* per profile */
	const char *case_name;
	enum bench_kind kind;
	enum bench_place place;
	const char *unit;
	const struct bench_param *params;
	size_t n_params;
};

static const struct bench_param raw[] = { BENCH_STR("impl", "raw") };
static const struct bench_param vf[] = { BENCH_STR("impl", "vfork") };
static const struct bench_param many[] = { BENCH_STR("impl", "raw"),
					   BENCH_INT("in_flight", 16) };
static const struct bench_param cl[] = { BENCH_STR("impl", "clone-stressor") };

static const struct stressor stressors[] = {
	{ "fork",
	  "--fork-max",
	  1,
	  { 400, 1000, 4000 },
	  "create-join",
	  BENCH_PROCESS,
	  BENCH_SAME_CPU,
	  NULL,
	  raw,
	  1 },
	{ "fork",
	  "--fork-max",
	  16,
	  { 1600, 4800, 16000 },
	  "create-throughput",
	  BENCH_PROCESS,
	  BENCH_ANY,
	  "ops/s",
	  many,
	  2 },
	{ "vfork",
	  "--vfork-max",
	  1,
	  { 3000, 8000, 30000 },
	  "create-join",
	  BENCH_PROCESS,
	  BENCH_SAME_CPU,
	  NULL,
	  vf,
	  1 },
	{ "pthread",
	  "--pthread-max",
	  1,
	  { 1000, 4000, 16000 },
	  "create-join",
	  BENCH_THREAD,
	  BENCH_SAME_CPU,
	  NULL,
	  raw,
	  1 },
	{ "clone",
	  "--clone-max",
	  1,
	  { 20, 60, 200 },
	  "clone-stressor",
	  BENCH_PROCESS,
	  BENCH_SAME_CPU,
	  NULL,
	  cl,
	  1 },
};

struct stress_run {
	const struct stressor *s;
	unsigned ops;
	unsigned base_ops;    /* a tenth of ops, for the fixed costs */
	uint64_t base_cpu_ns; /* CPU time of a run of base_ops */
};

/* "stress-ng: metrc: [pid] fork  2000  1.91  0.91  0.93  1049.74  1083.91":
 * bogo ops, real, user and system seconds, and two rates. Sets *real_rate
 * (bogo ops/s over real time). */
static bool metrics_line(const char *out, const char *name, double *real_rate)
{
	size_t len = strlen(name);

	for (const char *line = out; line && *line;
	     line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		const char *p = strstr(line, "] ");
		const char *eol = strchr(line, '\n');
		double v[6];
		int got = 0;

		if (!strstr(line, "metrc:") || !p || (eol && p > eol))
			continue;
		p += 2 + strspn(p + 2, " ");
		if (strncmp(p, name, len) != 0 || p[len] != ' ')
			continue;
		for (p += len; got < 6; got++) {
			char *end;

			v[got] = strtod(p, &end);
			if (end == p)
				break;
			p = end;
		}
		if (got == 6 && v[4] > 0) {
			*real_rate = v[4];
			return true;
		}
	}
	return false;
}

/* On one CPU the figure is CPU time per operation: the CPU time of the
 * whole run (wait4: stress-ng and every process it reaped) less that of a
 * run of a tenth of the operations, over the difference in operations, so
 * stress-ng's own start-up and the worker's set-up cancel out. Parent and
 * children take turns on the CPU, so on an idle machine this equals the
 * real-time figure, and on a busy one it leaves out other work, as our
 * median does. (stress-ng's own usr+sys rate counts the set-up and has a
 * 10 ms resolution: 40% too high for 1000 vforks.) Unpinned, with several
 * in flight, the real-time rate itself is the figure. */
static bool parse_rate(const char *out, uint64_t cpu_ns, void *arg,
		       double *value)
{
	const struct stress_run *run = arg;
	double rate;

	if (!metrics_line(out, run->s->name, &rate))
		return false;
	if (run->s->place != BENCH_SAME_CPU) {
		*value = run->s->unit ? rate : 1e9 / rate;
		return true;
	}
	if (cpu_ns <= run->base_cpu_ns)
		return false;
	*value = (double)(cpu_ns - run->base_cpu_ns) /
		 (run->ops - run->base_ops);
	return true;
}

static int run_stressor(struct bench_ctx *ctx, const struct stressor *s)
{
	struct bench_case c = {
		.name = s->case_name,
		.kind = s->kind,
		.place = s->place,
		.unit = s->unit,
		.params = s->params,
		.n_params = s->n_params,
		.peer = "stress-ng",
	};
	struct stress_run run = { .s = s, .ops = s->ops[bench_profile(ctx)] };
	char opt[32], ops_opt[32], ops[16], max[16];
	char *argv[] = { "stress-ng", opt,
			 "1",	      ops_opt,
			 ops,	      (char *)s->max_opt,
			 max,	      "--metrics-brief",
			 "--timeout", "120s",
			 NULL };

	run.base_ops = run.ops / 10;
	snprintf(opt, sizeof(opt), "--%s", s->name);
	snprintf(ops_opt, sizeof(ops_opt), "--%s-ops", s->name);
	snprintf(max, sizeof(max), "%u", s->max);
	if (s->place == BENCH_SAME_CPU) {
		snprintf(ops, sizeof(ops), "%u", run.base_ops);
		run.base_cpu_ns =
			peer_baseline_cpu_ns(ctx, s->place, argv, 180000);
	}
	snprintf(ops, sizeof(ops), "%u", run.ops);
	return peer_measure(ctx, &c, argv, 180000, parse_rate, &run);
}

int bench_create_peers(struct bench_ctx *ctx)
{
	int rc = 0;

	if (!peer_found("stress-ng")) {
		bench_note(ctx, "peer stress-ng not installed (Debian: "
				"stress-ng); skipped");
		return 0;
	}
	for (size_t i = 0; i < sizeof(stressors) / sizeof(stressors[0]); i++) {
		/* The clone stressor stands beside nothing of ours and takes
		 * the longest: not in --quick. */
		if (bench_profile(ctx) == BENCH_QUICK &&
		    !strcmp(stressors[i].case_name, "clone-stressor"))
			continue;
		if (run_stressor(ctx, &stressors[i]))
			rc = -1;
	}
	return rc;
}
