/* failure.c - the isolation claim: a failing process unit takes only
 * itself down; a failing thread takes its whole process, siblings and all.
 *
 * Blast radius: N units (2 to 16) each do FAIL_JOBS jobs of CPU work and
 * count them in shared memory; unit 0 crashes at a random job in the first
 * half (SIGSEGV on a read-only page, abort(), a stack overflow, or SIGKILL
 * aimed at its own tid). Process units run directly; thread units run in a
 * sacrificial process unit, so the benchmark survives to count. Records,
 * per kind, N ("units") and crash mode ("crash"):
 *   siblings-survived  siblings that finished and handed back their
 *                      result (units): processes N-1, threads none
 *   work-lost          share of the siblings' work that never reached the
 *                      parent (%)
 *   detect             from the crash to the parent knowing (ns): the
 *                      join returning on the unit's (or the sacrificial
 *                      process's) pidfd
 * Recovery: N units run until told to stop; unit 0 crashes (SIGSEGV).
 *   recover            from the crash until the replacement runs again
 *                      (ns): process units under a pt_supervisor
 *                      (one_for_one), which restarts the one that died;
 *                      thread units in a process the suite starts again,
 *                      with all N threads, since all of them died ("via").
 *   detect, recover    via=pool: N process workers of a pt_pool, N-1 kept
 *                      busy; a task crashes the last one. detect: until
 *                      its future resolves as crashed; recover: until a
 *                      new task starts, which only the replacement worker
 *                      can take. (A thread pool cannot recover: the crash
 *                      ends the program.)
 * (That case lives in failure_pool.c; stopping and resource limits
 * in failure_limits.c.)
 *
 * Every wait is bounded; a unit that outlives it is killed, and the case
 * is noted as failed rather than hanging the run.
 */
#include "bench/suites/failure.h"

#include <procthread/error.h>
#include <procthread/supervisor.h>

#include <errno.h>
#include <string.h>

#define FAIL_JOBS   20
#define FAIL_JOB_NS 500000ull /* 0.5 ms of CPU a job */
#define WAIT_MS	    30000

/* --- blast radius --------------------------------------------------------- */

struct blast_page;

struct blast_arg {
	struct blast_page *pg;
	int index;
};

struct blast_page {
	_Alignas(64) atomic_uint arrived;
	_Alignas(64) atomic_uint go;
	_Alignas(64) atomic_ullong crash_ns;
	struct {
		_Alignas(64) atomic_int jobs;
	} done[FAILURE_MAX_UNITS];
	_Alignas(64) struct blast_arg arg[FAILURE_MAX_UNITS];
	int n;
	int crash_at;
	enum failure_mode mode;
	int spawn_error;		   /* the sacrificial process's */
	bool delivered[FAILURE_MAX_UNITS]; /* results the sacrificial process
						 got */
};

struct blast_sample {
	double survived, lost_pct, detect_ns;
};

static int blast_worker(void *p)
{
	struct blast_arg *a = p;
	struct blast_page *pg = a->pg;
	int jobs = 0;

	failure_bump(&pg->arrived);
	if (!failure_wait_set(&pg->go, WAIT_MS))
		return 1;
	while (jobs < FAIL_JOBS) {
		if (a->index == 0 && jobs == pg->crash_at)
			failure_crash(pg->mode, &pg->crash_ns);
		failure_spin_cpu(FAIL_JOB_NS);
		atomic_store(&pg->done[a->index].jobs, ++jobs);
	}
	return pt_unit_set_result(&jobs, sizeof(jobs)) ? 1 : 0;
}

/* A unit's result reached its parent: it returned 0 with all its jobs. */
static bool delivered(pt_unit *unit, const struct pt_status *st)
{
	size_t len = 0;
	const int *jobs;

	if (st->how != PT_EXIT_RETURNED || st->code)
		return false;
	jobs = pt_unit_result(unit, &len);
	return jobs && len == sizeof(int) && *jobs == FAIL_JOBS;
}

/* The sacrificial process: runs the N units as its threads. */
static int blast_box(void *p)
{
	struct blast_page *pg = p;
	pt_unit *units[FAILURE_MAX_UNITS] = { 0 };
	struct pt_status st;
	int rc = 0;

	for (int i = 0; i < pg->n && !rc; i++) {
		struct pt_unit_opts opts =
			PT_UNIT_OPTS(.kind = PT_KIND_THREAD, .name = "pt-blast",
				     .result_capacity = sizeof(int));

		rc = pt_unit_spawn(&opts, blast_worker, &pg->arg[i], &units[i]);
	}
	if (rc) {
		pg->spawn_error = rc;
		failure_set(&pg->go); /* let those started end */
	}
	for (int i = 0; i < pg->n; i++) {
		if (units[i] && !pt_unit_join(units[i], WAIT_MS, &st))
			pg->delivered[i] = delivered(units[i], &st);
		pt_unit_destroy(units[i]);
	}
	return rc ? 1 : 0;
}

static bool died(const struct pt_status *st)
{
	return st->how == PT_EXIT_CRASHED || st->how == PT_EXIT_SIGNALED;
}

static int blast_start(enum pt_kind kind, struct blast_page *pg,
		       pt_unit **units)
{
	int rc = 0;

	for (int i = 0; i < pg->n; i++)
		pg->arg[i] = (struct blast_arg){ .pg = pg, .index = i };
	if (kind == PT_KIND_THREAD) {
		struct pt_unit_opts opts =
			PT_UNIT_OPTS(.kind = PT_KIND_PROCESS,
				     .name = "pt-sacrificial");

		rc = pt_unit_spawn(&opts, blast_box, pg, &units[0]);
	}
	for (int i = 0; kind == PT_KIND_PROCESS && i < pg->n && !rc; i++) {
		struct pt_unit_opts opts =
			PT_UNIT_OPTS(.kind = PT_KIND_PROCESS,
				     .name = "pt-blast",
				     .result_capacity = sizeof(int));

		rc = pt_unit_spawn(&opts, blast_worker, &pg->arg[i], &units[i]);
	}
	if (!rc)
		rc = failure_await(&pg->arrived, (unsigned)pg->n, WAIT_MS);
	return rc ? rc : -pg->spawn_error;
}

static int blast_once(enum pt_kind kind, struct blast_page *pg,
		      struct blast_sample *out)
{
	pt_unit *units[FAILURE_MAX_UNITS] = { 0 };
	struct pt_status st;
	bool got[FAILURE_MAX_UNITS] = { false };
	uint64_t seen_ns;
	int rc, lost = 0;

	rc = blast_start(kind, pg, units);
	if (rc)
		goto out;
	failure_set(&pg->go);
	/* The crasher (or the process holding it) first: its end is the
	 * moment the parent learns of the crash. */
	rc = failure_join(units[0], WAIT_MS, &st);
	seen_ns = bench_now_ns();
	if (rc)
		goto out;
	if (!died(&st) || !atomic_load(&pg->crash_ns)) {
		rc = -EIO;
		goto out;
	}
	out->detect_ns = (double)(seen_ns - atomic_load(&pg->crash_ns));
	for (int i = 1; i < pg->n; i++) {
		if (kind == PT_KIND_THREAD) {
			got[i] = pg->delivered[i];
			continue;
		}
		rc = failure_join(units[i], WAIT_MS, &st);
		if (rc)
			goto out;
		got[i] = delivered(units[i], &st);
	}
	out->survived = 0;
	for (int i = 1; i < pg->n; i++) {
		out->survived += got[i];
		lost += got[i] ? 0 : FAIL_JOBS;
	}
	out->lost_pct = 100.0 * lost / ((pg->n - 1) * FAIL_JOBS);
out:
	failure_set(&pg->go);
	for (int i = 0; i < FAILURE_MAX_UNITS; i++)
		pt_unit_destroy(units[i]);
	return rc;
}

/* A small generator for the crash points: reproducible within a run. */
static unsigned next_random(unsigned *state)
{
	*state = *state * 1103515245u + 12345u;
	return *state >> 16;
}

static int emit_blast(struct bench_ctx *ctx, enum pt_kind kind, int n,
		      enum failure_mode mode, const struct blast_sample *s,
		      unsigned reps)
{
	const struct bench_param params[] = {
		BENCH_INT("units", n),
		BENCH_STR("crash", failure_mode_name(mode)),
	};
	struct bench_case c = {
		.kind = kind == PT_KIND_THREAD ? BENCH_THREAD : BENCH_PROCESS,
		BENCH_PARAMS(params),
	};
	double v[FAILURE_MAX_REPS];
	int rc = 0;

	c.name = "siblings-survived";
	c.unit = "units";
	c.higher_is_better = true;
	for (unsigned r = 0; r < reps; r++)
		v[r] = s[r].survived;
	rc |= bench_emit(ctx, &c, v, reps);
	c.name = "work-lost";
	c.unit = "%";
	c.higher_is_better = false;
	for (unsigned r = 0; r < reps; r++)
		v[r] = s[r].lost_pct;
	rc |= bench_emit(ctx, &c, v, reps);
	c.name = "detect";
	c.unit = "ns";
	for (unsigned r = 0; r < reps; r++)
		v[r] = s[r].detect_ns;
	rc |= bench_emit(ctx, &c, v, reps);
	return rc;
}

/* One unit count of the blast radius: each crash mode, reps times. */
static int blast_cases(struct bench_ctx *ctx, enum pt_kind kind, int n,
		       void *page, void *seed)
{
	struct blast_page *pg = page;
	unsigned reps = failure_reps(ctx);
	struct blast_sample s[FAILURE_MAX_REPS];
	int rc = 0;

	for (int m = 0; m < FAILURE_MODES && !rc; m++) {
		bench_progress(ctx, "blast radius");
		for (unsigned r = 0; r < reps && !rc; r++) {
			memset(pg, 0, sizeof(*pg));
			pg->n = n;
			pg->mode = (enum failure_mode)m;
			pg->crash_at =
				1 + (int)(next_random(seed) % (FAIL_JOBS / 2));
			rc = blast_once(kind, pg, &s[r]);
		}
		if (!rc)
			rc = emit_blast(ctx, kind, n, (enum failure_mode)m, s,
					reps);
	}
	return rc;
}

/* --- recovery ------------------------------------------------------------- */

struct recover_page;

struct recover_arg {
	struct recover_page *pg;
	int index;
};

struct recover_page {
	_Alignas(64) atomic_uint started; /* unit starts, all generations */
	_Alignas(64) atomic_uint armed;	  /* unit 0 crashes once when set */
	_Alignas(64) atomic_uint stop;
	_Alignas(64) atomic_ullong crash_ns;
	_Alignas(64) atomic_ullong last_start_ns;
	struct recover_arg arg[FAILURE_MAX_UNITS];
	int n;
};

static int recover_worker(void *p)
{
	struct recover_arg *a = p;
	struct recover_page *pg = a->pg;
	uint64_t now = bench_now_ns();
	unsigned long long seen = atomic_load(&pg->last_start_ns);

	while (seen < now &&
	       !atomic_compare_exchange_weak(&pg->last_start_ns, &seen, now))
		;
	failure_bump(&pg->started);
	while (!atomic_load(&pg->stop) && !pt_cancelled()) {
		if (a->index == 0 && atomic_exchange(&pg->armed, 0))
			failure_crash(FAILURE_SEGV, &pg->crash_ns);
		failure_nap(a->index == 0 ? &pg->armed : &pg->stop, 20);
	}
	return 0;
}

static int recover_box(void *p)
{
	struct recover_page *pg = p;
	pt_unit *units[FAILURE_MAX_UNITS] = { 0 };
	struct pt_status st;
	int rc = 0;

	for (int i = 0; i < pg->n && !rc; i++) {
		struct pt_unit_opts opts = PT_UNIT_OPTS(.kind = PT_KIND_THREAD,
							.name = "pt-recover");

		rc = pt_unit_spawn(&opts, recover_worker, &pg->arg[i],
				   &units[i]);
	}
	for (int i = 0; i < pg->n; i++) {
		if (units[i])
			pt_unit_join(units[i], WAIT_MS, &st);
		pt_unit_destroy(units[i]);
	}
	return rc ? 1 : 0;
}

/* Process units under a supervisor: the one that crashed comes back. */
static int recover_processes(struct recover_page *pg)
{
	struct pt_supervisor_opts opts =
		PT_SUPERVISOR_OPTS(.strategy = PT_STRATEGY_ONE_FOR_ONE,
				   .intensity = 100, .period_ms = 60000);
	struct pt_child_spec specs[FAILURE_MAX_UNITS];
	pt_supervisor *sup;
	int rc;

	for (int i = 0; i < pg->n; i++)
		specs[i] =
			PT_CHILD_SPEC(.name = "pt-recover",
				      .fn = recover_worker, .arg = &pg->arg[i],
				      .kind = PT_KIND_PROCESS,
				      .restart = PT_RESTART_TRANSIENT,
				      .shutdown_ms = 0);
	rc = pt_supervisor_start(&opts, specs, (size_t)pg->n, &sup);
	if (rc)
		return rc;
	rc = failure_await(&pg->started, (unsigned)pg->n, WAIT_MS);
	if (!rc) {
		failure_set(&pg->armed);
		rc = failure_await(&pg->started, (unsigned)pg->n + 1, WAIT_MS);
	}
	failure_set(&pg->stop);
	pt_supervisor_stop(sup);
	pt_supervisor_destroy(sup);
	return rc;
}

/* Threads: their process died with them; start it again, all N. */
static int recover_threads(struct recover_page *pg)
{
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = PT_KIND_PROCESS, .name = "pt-sacrificial");
	pt_unit *box[2] = { 0 };
	struct pt_status st;
	int rc;

	rc = pt_unit_spawn(&opts, recover_box, pg, &box[0]);
	if (!rc)
		rc = failure_await(&pg->started, (unsigned)pg->n, WAIT_MS);
	if (!rc) {
		failure_set(&pg->armed);
		rc = failure_join(box[0], WAIT_MS, &st);
	}
	if (!rc && !died(&st))
		rc = -EIO;
	if (!rc)
		rc = pt_unit_spawn(&opts, recover_box, pg, &box[1]);
	if (!rc)
		rc = failure_await(&pg->started, 2 * (unsigned)pg->n, WAIT_MS);
	failure_set(&pg->stop);
	if (box[1])
		failure_join(box[1], WAIT_MS, &st);
	pt_unit_destroy(box[0]);
	pt_unit_destroy(box[1]);
	return rc;
}

/* One unit count of the recovery, reps times. */
static int recover_cases(struct bench_ctx *ctx, enum pt_kind kind, int n,
			 void *page, void *unused)
{
	struct recover_page *pg = page;
	bool procs = kind == PT_KIND_PROCESS;
	const struct bench_param params[] = {
		BENCH_INT("units", n),
		BENCH_STR("via", procs ? "supervisor" : "new-process"),
	};
	struct bench_case c = {
		.name = "recover",
		.kind = procs ? BENCH_PROCESS : BENCH_THREAD,
		BENCH_PARAMS(params),
	};
	unsigned reps = failure_reps(ctx);
	double v[FAILURE_MAX_REPS];
	int rc = 0;

	(void)unused;
	bench_progress(ctx, "recovery");
	for (unsigned r = 0; r < reps && !rc; r++) {
		memset(pg, 0, sizeof(*pg));
		pg->n = n;
		for (int u = 0; u < n; u++)
			pg->arg[u] =
				(struct recover_arg){ .pg = pg, .index = u };
		rc = procs ? recover_processes(pg) : recover_threads(pg);
		v[r] = (double)(atomic_load(&pg->last_start_ns) -
				atomic_load(&pg->crash_ns));
	}
	return rc ? rc : bench_emit(ctx, &c, v, reps);
}

/* --- the suite ------------------------------------------------------------ */

/* The cases of one experiment for each kind, thread units first, and each
 * unit count of the profile, on one shared page of page_bytes, until one
 * fails: cases(ctx, kind, n, page, arg). A failure is noted as
 * "failure: what: ...". */
typedef int units_cases_fn(struct bench_ctx *ctx, enum pt_kind kind, int n,
			   void *page, void *arg);

static int each_kind_and_count(struct bench_ctx *ctx, const char *what,
			       size_t page_bytes, units_cases_fn *cases,
			       void *arg)
{
	void *pg = failure_share(page_bytes);
	const int *ns;
	size_t count = failure_unit_counts(ctx, &ns);
	int rc = 0;

	if (!pg)
		return -ENOMEM;
	for (int k = 0; k < 2 && !rc; k++) {
		enum pt_kind kind = k ? PT_KIND_PROCESS : PT_KIND_THREAD;

		for (size_t i = 0; i < count && !rc; i++)
			rc = cases(ctx, kind, ns[i], pg, arg);
	}
	failure_unshare(pg, page_bytes);
	if (rc)
		bench_note(ctx, "failure: %s: %s", what, pt_strerror(rc));
	return rc;
}

static int failure_run(struct bench_ctx *ctx)
{
	unsigned seed = (unsigned)bench_now_ns();
	int rc = 0;

	rc |= each_kind_and_count(ctx, "blast radius",
				  sizeof(struct blast_page), blast_cases,
				  &seed);
	rc |= each_kind_and_count(ctx, "recovery", sizeof(struct recover_page),
				  recover_cases, NULL);
	rc |= failure_pool_cases(ctx);
	rc |= failure_stop_cases(ctx);
	rc |= failure_limit_cases(ctx);
	return rc ? -1 : 0;
}

const struct bench_suite bench_suite_failure = {
	.name = "failure",
	.summary = "blast radius of a crash, detection and recovery, stopping, "
		   "resource limits: thread versus process",
	.run = failure_run,
	.est_s = { 20, 60, 200 },
};
