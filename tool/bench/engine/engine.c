/* engine.c - the benchmark engine: profiles, placement, the run of the
 * suites, notes and the progress line.
 *
 * The engine runs on one thread. At the start it captures the environment
 * and measures the clock (env.c, clock.c), resolves --pin into two CPUs (side A
 * and side B of every two-party case), then runs the suites in rounds: every
 * suite once per round, each case taking its share of the samples in each, so
 * that a case's samples span the whole run and a drift of the machine's speed
 * widens its interval instead of moving its median (rounds.c merges them). A
 * suite whose figures depend on this process's state rather than the machine's
 * speed (memory: what a child inherits grows with what earlier rounds left)
 * runs once, in the first round. Each round of a suite ends with its share of
 * its peers, when enabled. Cases are timed by measure.c; this file decides
 * where they run and keeps the user informed: notes go to stderr and into the
 * results, and a one-line progress display (suite, case, ETA) is redrawn on
 * stderr when it is a terminal.
 */
#include "bench/engine/engine_internal.h"

#include <procthread/error.h>

#include <procthread/version.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

struct profile {
	const char *name;
	unsigned runs; /* samples per case, over all rounds */
	double min_time_s;
	double warmup_s; /* per case and round */
	unsigned reps;
	unsigned rounds;
};

/* quick must run every default suite in under a minute on 2 CPUs, the
 * default in under five. */
static const struct profile profiles[] = {
	[BENCH_QUICK] = { "quick", 12, 0.12, 0.01, 3, 3 },
	[BENCH_DEFAULT] = { "default", 30, 0.5, 0.05, 5, 5 },
	[BENCH_FULL] = { "full", 100, 2.0, 0.2, 10, 5 },
};

/* --- placement ---------------------------------------------------------- */

int bench_pin_self(int cpu)
{
	cpu_set_t set;

	if (cpu < 0 || cpu >= CPU_SETSIZE)
		return -EINVAL;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

uint64_t bench_cpu_mask(const struct bench_where *where, int side)
{
	int cpu = where->cpu[side];

	return cpu < 0 || cpu > 63 ? 0 : (uint64_t)1 << cpu;
}

void bench_resolve(const struct bench_ctx *ctx, enum bench_place place,
		   struct bench_where *where)
{
	where->cpu[0] = -1;
	where->cpu[1] = -1;
	where->placement = "unpinned";
	if (!ctx->pin || place == BENCH_ANY)
		return;
	if (place == BENCH_SAME_CPU) {
		where->cpu[0] = where->cpu[1] = ctx->cpu_a;
		where->placement = "same-cpu";
	} else if (ctx->cpu_b >= 0) {
		where->cpu[0] = ctx->cpu_a;
		where->cpu[1] = ctx->cpu_b;
		where->placement = "cross-cpu";
	}
}

void bench_place(struct bench_ctx *ctx, enum bench_place place,
		 struct bench_where *where)
{
	bench_resolve(ctx, place, where);
	if (where->cpu[0] >= 0)
		bench_pin_self(where->cpu[0]);
	else
		sched_setaffinity(0, sizeof(ctx->saved), &ctx->saved);
}

void bench_unplace(struct bench_ctx *ctx)
{
	sched_setaffinity(0, sizeof(ctx->saved), &ctx->saved);
}

/* The n-th CPU (0-based) of a set, or -1. */
static int nth_cpu(const cpu_set_t *set, int n)
{
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, set) && n-- == 0)
			return cpu;
	return -1;
}

/* True when a and b are SMT siblings (one core), which would make a
 * "cross-CPU" figure a same-core one. */
static bool smt_siblings(int a, int b)
{
	char path[96], line[256];
	cpu_set_t set;
	FILE *f;
	int lo, hi;
	char *p;

	snprintf(path, sizeof(path),
		 "/sys/devices/system/cpu/cpu%d/topology/thread_siblings_list",
		 a);
	f = fopen(path, "re");
	if (!f)
		return false;
	p = fgets(line, sizeof(line), f);
	fclose(f);
	if (!p)
		return false;
	CPU_ZERO(&set);
	/* The list is ranges joined by commas: "0,4" or "0-1". */
	while (*p && *p != '\n') {
		char *end;

		lo = (int)strtol(p, &end, 10);
		if (end == p)
			break;
		hi = lo;
		if (*end == '-')
			hi = (int)strtol(end + 1, &end, 10);
		for (int c = lo; c <= hi && c >= 0 && c < CPU_SETSIZE; c++)
			CPU_SET(c, &set);
		p = *end == ',' ? end + 1 : end;
	}
	return CPU_ISSET(b, &set);
}

/* Side A is the first CPU this process may use; side B the next one that
 * is not A's SMT sibling, if any, else the next one. */
static void choose_cpus(struct bench_ctx *ctx)
{
	int first = -1;

	ctx->cpu_a = nth_cpu(&ctx->saved, 0);
	ctx->cpu_b = -1;
	for (int i = 1; i < CPU_SETSIZE; i++) {
		int cpu = nth_cpu(&ctx->saved, i);

		if (cpu < 0)
			break;
		if (first < 0)
			first = cpu;
		if (!smt_siblings(ctx->cpu_a, cpu)) {
			ctx->cpu_b = cpu;
			return;
		}
	}
	ctx->cpu_b = first;
}

int bench_parse_pin(const char *text, struct bench_opts *opts, char *err,
		    size_t err_len)
{
	cpu_set_t allowed;
	int cpus[2] = { -1, -1 };
	int n = 0;
	const char *p = text;

	opts->pin_text = text;
	if (!strcmp(text, "auto") || !strcmp(text, "none")) {
		opts->pin = text[0] == 'a' ? BENCH_PIN_AUTO : BENCH_PIN_NONE;
		return 0;
	}
	if (sched_getaffinity(0, sizeof(allowed), &allowed))
		CPU_ZERO(&allowed);
	while (*p) {
		char *end;
		long cpu;

		errno = 0;
		cpu = strtol(p, &end, 10);
		if (end == p || errno || cpu < 0 || cpu >= CPU_SETSIZE ||
		    (*end && *end != ',') || n == 2)
			goto bad;
		if (!CPU_ISSET(cpu, &allowed)) {
			snprintf(err, err_len,
				 "--pin: CPU %ld is not one this process may "
				 "run on",
				 cpu);
			return -EINVAL;
		}
		cpus[n++] = (int)cpu;
		p = *end ? end + 1 : end;
		if (end[0] == ',' && !*p)
			goto bad;
	}
	if (n == 0)
		goto bad;
	opts->pin = BENCH_PIN_LIST;
	opts->pin_cpus[0] = cpus[0];
	opts->pin_cpus[1] = cpus[1];
	return 0;
bad:
	snprintf(err, err_len,
		 "--pin: '%s' is not valid; accepted: auto, none, or one or "
		 "two CPU numbers such as 0 or 0,1",
		 text);
	return -EINVAL;
}

/* --- notes and progress ------------------------------------------------- */

static void progress_clear(struct bench_ctx *ctx)
{
	if (ctx->opts->progress)
		fputs("\r\033[K", stderr);
}

/* Notes a line once: a failure met in several rounds is one note. */
static void note_once(struct bench_ctx *ctx, const char *text)
{
	const struct results *res = ctx->results;

	for (size_t i = 0; i < res->n_notes; i++)
		if (!strcmp(res->notes[i], text))
			return;
	results_note(ctx->results, "%s", text);
	if (ctx->opts->quiet)
		return;
	progress_clear(ctx);
	fprintf(stderr, "procthread bench: %s\n", text);
}

unsigned char *bench_line_alloc(size_t len)
{
	size_t bytes = (len + 127) & ~(size_t)127;
	unsigned char *mem = aligned_alloc(128, bytes);

	if (mem)
		memset(mem, 0, bytes);
	return mem;
}

void *bench_touch_memory(struct bench_ctx *ctx, const char *suite, size_t bytes)
{
	long page = sysconf(_SC_PAGESIZE);
	char *mem;

	bench_progress(ctx, "touching memory");
	mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		bench_note(ctx,
			   "%s: cannot map %zu MiB to touch; the cases of "
			   "that size and larger are skipped",
			   suite, bytes >> 20);
		return NULL;
	}
	/* Small pages: the page tables a fork copies are what is measured. */
	madvise(mem, bytes, MADV_NOHUGEPAGE);
	for (size_t off = 0; off < bytes; off += (size_t)page)
		mem[off] = (char)off;
	return mem;
}

/* A suite says the same in every round; what it says in the last, with
 * every round's samples merged, is what counts. */
void bench_note(struct bench_ctx *ctx, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (!ctx->final)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	note_once(ctx, buf);
}

void bench_fail(struct bench_ctx *ctx, const struct bench_case *c,
		const char *step, int err)
{
	char buf[512];

	ctx->failures++;
	snprintf(buf, sizeof(buf), "%s/%s (%s): %s failed: %s",
		 ctx->suite ? ctx->suite->name : "?", c->name,
		 c->kind == BENCH_THREAD    ? "thread"
		 : c->kind == BENCH_PROCESS ? "process"
					    : "none",
		 step, pt_strerror(err < 0 ? -err : err));
	note_once(ctx, buf);
}

void bench_progress(struct bench_ctx *ctx, const char *what)
{
	uint64_t now = bench_now_ns();
	double elapsed, done, eta;

	if (!ctx->opts->progress || !ctx->suite)
		return;
	/* Redrawing more often than ten times a second only costs time. */
	if (now - ctx->last_progress_ns < 100000000u)
		return;
	ctx->last_progress_ns = now;
	elapsed = (double)(now - ctx->start_ns) / 1e9;
	/* The suite under way counts as done in proportion to its estimate;
	 * the finished ones scale the rest by how far off estimates were. */
	done = ctx->est_done_s;
	if (done > 0 && elapsed > 0)
		eta = (ctx->est_total_s - done) * elapsed / done;
	else
		eta = ctx->est_total_s - elapsed;
	if (eta < 0)
		eta = 0;
	fprintf(stderr, "\r\033[K[round %u/%u, %zu/%zu %s] %.50s  ETA %d:%02d",
		ctx->round + 1, ctx->rounds, ctx->suite_index + 1,
		ctx->n_suites, ctx->suite->name, what, (int)eta / 60,
		(int)eta % 60);
	fflush(stderr);
}

enum bench_profile bench_profile(const struct bench_ctx *ctx)
{
	return ctx->opts->profile;
}

unsigned bench_runs(const struct bench_ctx *ctx)
{
	return ctx->runs;
}

unsigned bench_reps(const struct bench_ctx *ctx)
{
	return ctx->reps;
}

bool bench_peers_enabled(const struct bench_ctx *ctx)
{
	return ctx->peers;
}

bool bench_has_two_cpus(const struct bench_ctx *ctx)
{
	return ctx->pin ? ctx->cpu_b >= 0
			: ctx->results->machine.cpus_allowed >= 2;
}

/* --- the run ------------------------------------------------------------ */

static char *iso_time_now(void)
{
	time_t now = time(NULL);
	struct tm tm;
	char buf[32];

	gmtime_r(&now, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return strdup(buf);
}

int bench_results_begin(struct results *res)
{
	res->tool_name = strdup("procthread");
	res->tool_version = strdup(PT_VERSION_STRING);
	res->tool_build = strdup(PT_BUILD_FLAGS);
	res->started_at = iso_time_now();
	if (!res->tool_name || !res->tool_version || !res->tool_build ||
	    !res->started_at)
		return -ENOMEM;
	bench_env_capture(&res->machine);
	bench_clock_calibrate(&res->machine.clock_cost_ns,
			      &res->machine.clock_resolution_ns);
	return 0;
}

void bench_results_end(struct results *res)
{
	bench_env_finish(&res->machine);
	res->finished_at = iso_time_now();
}

static int fill_config(struct bench_ctx *ctx)
{
	const struct bench_opts *opts = ctx->opts;
	const struct profile *prof = &profiles[opts->profile];
	struct results_config *cfg = &ctx->results->config;

	unsigned runs = opts->runs ? opts->runs : prof->runs;
	unsigned reps =
		opts->runs && opts->runs < prof->reps ? opts->runs : prof->reps;
	double min_time_s;

	/* --runs alone asks for that many samples, not for more time. */
	if (opts->min_time_s >= 0)
		min_time_s = opts->min_time_s;
	else
		min_time_s = opts->runs ? 0 : prof->min_time_s;
	ctx->warmup_s = prof->warmup_s;
	if (opts->min_time_s >= 0 && opts->min_time_s / 10 < ctx->warmup_s)
		ctx->warmup_s = opts->min_time_s / 10;
	/* No more rounds than samples: each round takes one at least. */
	ctx->rounds = opts->rounds ? opts->rounds : prof->rounds;
	if (ctx->rounds > runs)
		ctx->rounds = runs;
	ctx->total_runs = runs;
	ctx->total_reps = reps;
	ctx->total_min_time_s = min_time_s;
	ctx->runs = (runs + ctx->rounds - 1) / ctx->rounds;
	ctx->reps = (reps + ctx->rounds - 1) / ctx->rounds;
	ctx->min_time_s = min_time_s / ctx->rounds;

	cfg->profile = strdup(prof->name);
	cfg->pin = strdup(opts->pin_text ? opts->pin_text : "auto");
	cfg->runs = runs;
	cfg->rounds = ctx->rounds;
	cfg->min_time_s = min_time_s;
	cfg->warmup_s = ctx->warmup_s;
	cfg->peers = ctx->peers;
	cfg->cpus[0] = ctx->pin ? ctx->cpu_a : -1;
	cfg->cpus[1] = ctx->pin ? ctx->cpu_b : -1;
	if (!cfg->profile || !cfg->pin)
		return -ENOMEM;
	return 0;
}

static int setup(struct bench_ctx *ctx)
{
	const struct bench_opts *opts = ctx->opts;
	struct results *res = ctx->results;

	if (sched_getaffinity(0, sizeof(ctx->saved), &ctx->saved))
		return -errno;
	ctx->pin = opts->pin != BENCH_PIN_NONE;
	if (opts->pin == BENCH_PIN_LIST) {
		ctx->cpu_a = opts->pin_cpus[0];
		ctx->cpu_b = opts->pin_cpus[1];
	} else {
		choose_cpus(ctx);
	}
	ctx->peers = opts->peers == BENCH_PEERS_ON ||
		     (opts->peers == BENCH_PEERS_DEFAULT && !opts->suites);

	if (bench_results_begin(res))
		return -ENOMEM;
	ctx->clock_cost_ns = res->machine.clock_cost_ns;
	/* A sample must dwarf the two clock reads around it and the clock's
	 * step: 1000 times either, and never under 10 us. */
	ctx->target_sample_ns = 10000;
	if (1000 * ctx->clock_cost_ns > ctx->target_sample_ns)
		ctx->target_sample_ns = 1000 * ctx->clock_cost_ns;
	if (1000 * res->machine.clock_resolution_ns > ctx->target_sample_ns)
		ctx->target_sample_ns = 1000 * res->machine.clock_resolution_ns;
	return fill_config(ctx);
}

static void warn_busy(struct bench_ctx *ctx)
{
	const struct results_machine *m = &ctx->results->machine;

	char buf[256];

	if (!m->busy)
		return;
	snprintf(buf, sizeof(buf),
		 "warning: the machine was busy at the start (load average "
		 "%.2f on %ld CPUs); figures may be noisy",
		 m->loadavg_start[0], m->cpus_online);
	note_once(ctx, buf);
}

struct bench_position bench_position;

/* One round of a suite and of its peers - or, for a suite that runs
 * once, all of it with every sample. */
static void run_suite(struct bench_ctx *ctx, const struct bench_suite *s)
{
	unsigned runs = ctx->runs, reps = ctx->reps;
	double min_time_s = ctx->min_time_s;
	bool final = ctx->final;
	int rc;

	ctx->suite = s;
	bench_position.suite = s->name;
	bench_position.rounds = (sig_atomic_t)ctx->rounds;
	bench_position.round = (sig_atomic_t)ctx->round + 1;
	ctx->suite_start_ns = bench_now_ns();
	ctx->last_progress_ns = 0;
	if (s->once) {
		ctx->runs = ctx->total_runs;
		ctx->reps = ctx->total_reps;
		ctx->min_time_s = ctx->total_min_time_s;
		ctx->final = true;
	}
	bench_progress(ctx, "starting");
	rc = s->run(ctx);
	if (rc)
		ctx->failures++;
	/* Peers take their share in every round too: a peer's figure taken
	 * once, at another moment than ours, would compare two machines
	 * whenever the machine's speed drifts. */
	if (ctx->peers && s->peers) {
		ctx->last_progress_ns = 0;
		bench_progress(ctx, "peers");
		s->peers(ctx);
	}
	ctx->runs = runs;
	ctx->reps = reps;
	ctx->min_time_s = min_time_s;
	ctx->final = final;
	bench_unplace(ctx);
	ctx->est_done_s +=
		s->est_s[ctx->opts->profile] / (s->once ? 1 : ctx->rounds);
}

int bench_run(const struct bench_opts *opts, struct results *out)
{
	const struct bench_suite *const *list =
		opts->suites ? opts->suites : opts->table;
	struct bench_ctx ctx = { .opts = opts, .results = out };
	size_t n = 0;
	int rc;

	results_init(out);
	rc = setup(&ctx);
	if (rc)
		return rc;
	for (size_t i = 0; opts->suites ? i < opts->n_suites : !!list[i]; i++) {
		if (!opts->suites && list[i]->not_default)
			continue;
		if (results_strv_push(&out->config.suites,
				      &out->config.n_suites, list[i]->name))
			return -ENOMEM;
		ctx.est_total_s += list[i]->est_s[opts->profile];
		n++;
	}
	ctx.n_suites = n;
	ctx.start_ns = bench_now_ns();
	warn_busy(&ctx);
	for (ctx.round = 0; ctx.round < ctx.rounds; ctx.round++) {
		ctx.final = ctx.round + 1 == ctx.rounds;
		for (size_t i = 0, k = 0; k < n; i++) {
			if (!opts->suites && list[i]->not_default)
				continue;
			ctx.suite_index = k++;
			if (!list[i]->once || ctx.round == 0)
				run_suite(&ctx, list[i]);
		}
	}
	ctx.round = ctx.rounds - 1;
	bench_merge_free(&ctx);
	progress_clear(&ctx);
	bench_results_end(out);
	return ctx.failures ? 1 : 0;
}
