/* failure.c - a crash in a process unit ends that unit; a crash in a
 * thread unit ends its whole process, siblings and all.
 *
 * FAIL_UNITS units each do FAIL_JOBS jobs of FAIL_JOB_MS of CPU and count
 * the jobs they finish in shared memory; the first unit crashes after
 * FAIL_CRASH_AFTER jobs by writing to a read-only page: a real SIGSEGV,
 * not a signal sent to itself. Each sibling that finishes hands back its
 * count as its result. The units start together behind a gate, so the
 * crash happens while every sibling is at work.
 *
 * The thread units run inside one process unit (the sacrificial process),
 * the only way this tool can survive a crashing thread to report it. The
 * counters in shared memory outlive that process, so the demo can still say
 * how far each sibling got before it died with it.
 */
#include "demo/demo.h"

#include <procthread.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define FAIL_UNITS	 4
#define FAIL_JOBS	 20
#define FAIL_JOB_MS	 5
#define FAIL_CRASH_AFTER 3
#define GATE_TIMEOUT_MS	 30000

struct fail_shared;

struct fail_arg {
	struct fail_shared *sh;
	int index;
};

struct fail_shared {
	struct demo_gate gate;
	_Alignas(64) atomic_ullong crash_ns; /* when unit 0 faulted */
	struct {
		_Alignas(64) atomic_int jobs;
	} done[FAIL_UNITS];
	_Alignas(64) struct fail_arg arg[FAIL_UNITS];
	int spawn_error;
	bool collected[FAIL_UNITS]; /* by the sacrificial process, if it
				       lives to join its threads */
};

struct fail_outcome {
	enum pt_exit how; /* of the crashing unit, or of the process
			     holding the threads */
	int signal;
	int died;	       /* units that did not finish, crasher too */
	int siblings_finished; /* did all FAIL_JOBS jobs and returned */
	int results;	       /* siblings' results that reached a parent */
	int jobs[FAIL_UNITS];  /* finished, from shared memory */
	bool delivered[FAIL_UNITS]; /* its result reached its parent */
	uint64_t detect_ns;	    /* from the fault to the parent knowing */
};

/* A write to a page mapped read-only: the kind of fault a bad pointer
 * causes. Sanitizers see a valid address and let the SIGSEGV through. */
static void crash(struct fail_shared *sh)
{
	volatile int *page =
		mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	atomic_store(&sh->crash_ns, demo_now_ns());
	if (page != MAP_FAILED)
		*page = 1;
	abort(); /* not reached */
}

static int work(void *p)
{
	struct fail_arg *arg = p;
	struct fail_shared *sh = arg->sh;
	int jobs = 0;

	demo_gate_arrive(&sh->gate);
	if (!demo_gate_pass(&sh->gate, GATE_TIMEOUT_MS))
		return 1;
	while (jobs < FAIL_JOBS && !pt_cancelled()) {
		if (arg->index == 0 && jobs == FAIL_CRASH_AFTER)
			crash(sh);
		demo_spin_cpu_ns(FAIL_JOB_MS * 1000000ull);
		atomic_store(&sh->done[arg->index].jobs, ++jobs);
	}
	return pt_unit_set_result(&jobs, sizeof(jobs)) ? 1 : 0;
}

/* The sacrificial process: its threads run the same work. */
static int sacrificial(void *p)
{
	struct fail_shared *sh = p;
	struct pt_status st[FAIL_UNITS];
	pt_unit *units[FAIL_UNITS] = { 0 };
	size_t len;
	int err;

	for (int i = 0; i < FAIL_UNITS; i++) {
		struct pt_unit_opts opts =
			PT_UNIT_OPTS(.kind = PT_KIND_THREAD,
				     .name = "pt-failure",
				     .result_capacity = sizeof(int));

		err = pt_unit_spawn(&opts, work, &sh->arg[i], &units[i]);
		if (err) {
			sh->spawn_error = err;
			demo_gate_open(&sh->gate);
			break;
		}
	}
	for (int i = 0; i < FAIL_UNITS; i++) {
		if (units[i] && !pt_unit_join(units[i], -1, &st[i]) &&
		    pt_unit_result(units[i], &len) && len == sizeof(int))
			sh->collected[i] = true;
		pt_unit_destroy(units[i]);
	}
	return 0;
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "procthread demo failure: %s: %s\n", what,
		pt_strerror(err));
	return 1;
}

/* A sibling finished when it did every job and its parent got the
 * result. */
static void count_siblings(struct fail_shared *sh, struct fail_outcome *o)
{
	for (int i = 0; i < FAIL_UNITS; i++) {
		o->jobs[i] = atomic_load(&sh->done[i].jobs);
		if (i == 0 || !o->delivered[i])
			continue;
		o->results++;
		if (o->jobs[i] == FAIL_JOBS)
			o->siblings_finished++;
	}
}

static int run_processes(struct fail_shared *sh, struct fail_outcome *o)
{
	pt_unit *units[FAIL_UNITS] = { 0 };
	struct pt_status st[FAIL_UNITS];
	size_t len;
	int err, rc = 1;

	for (int i = 0; i < FAIL_UNITS; i++) {
		struct pt_unit_opts opts =
			PT_UNIT_OPTS(.kind = PT_KIND_PROCESS,
				     .name = "pt-failure",
				     .result_capacity = sizeof(int));

		err = pt_unit_spawn(&opts, work, &sh->arg[i], &units[i]);
		if (err) {
			fail("create a process unit", err);
			goto out;
		}
	}
	err = demo_gate_await(&sh->gate, FAIL_UNITS, GATE_TIMEOUT_MS);
	if (err) {
		fail("waiting for the units", err);
		goto out;
	}
	demo_gate_open(&sh->gate);
	/* The crasher is joined first: its end is what the parent sees. */
	err = pt_unit_join(units[0], -1, &st[0]);
	if (err) {
		fail("join", err);
		goto out;
	}
	o->detect_ns = demo_now_ns() - atomic_load(&sh->crash_ns);
	o->how = st[0].how;
	o->signal = st[0].signal;
	o->died = 1;
	for (int i = 1; i < FAIL_UNITS; i++) {
		err = pt_unit_join(units[i], -1, &st[i]);
		if (err) {
			fail("join", err);
			goto out;
		}
		if (st[i].how != PT_EXIT_RETURNED || st[i].code != 0)
			o->died++;
		else if (pt_unit_result(units[i], &len) && len == sizeof(int))
			o->delivered[i] = true;
	}
	rc = 0;
out:
	demo_gate_open(&sh->gate);
	for (int i = 0; i < FAIL_UNITS; i++)
		pt_unit_destroy(units[i]);
	count_siblings(sh, o);
	return rc;
}

static int run_threads(struct fail_shared *sh, struct fail_outcome *o)
{
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = PT_KIND_PROCESS, .name = "pt-sacrificial");
	struct pt_status st;
	pt_unit *box;
	int err, rc = 1;

	err = pt_unit_spawn(&opts, sacrificial, sh, &box);
	if (err)
		return fail("create the sacrificial process", err);
	err = demo_gate_await(&sh->gate, FAIL_UNITS, GATE_TIMEOUT_MS);
	if (err || sh->spawn_error) {
		fail("start the threads", err ? err : sh->spawn_error);
		goto out;
	}
	demo_gate_open(&sh->gate);
	err = pt_unit_join(box, -1, &st);
	if (err) {
		fail("join", err);
		goto out;
	}
	o->detect_ns = demo_now_ns() - atomic_load(&sh->crash_ns);
	o->how = st.how;
	o->signal = st.signal;
	for (int i = 0; i < FAIL_UNITS; i++)
		o->delivered[i] = sh->collected[i];
	/* Every thread lived in that process: if it ended by a signal,
	 * they all ended with it. */
	o->died = st.how == PT_EXIT_RETURNED ? 0 : FAIL_UNITS;
	rc = 0;
out:
	demo_gate_open(&sh->gate);
	pt_unit_destroy(box);
	count_siblings(sh, o);
	return rc;
}

static int run_kind(enum pt_kind kind, struct fail_outcome *o)
{
	struct fail_shared *sh = demo_share(sizeof(*sh));
	int rc;

	if (!sh)
		return fail("memory", -ENOMEM);
	for (int i = 0; i < FAIL_UNITS; i++)
		sh->arg[i] = (struct fail_arg){ .sh = sh, .index = i };
	rc = kind == PT_KIND_PROCESS ? run_processes(sh, o)
				     : run_threads(sh, o);
	demo_unshare(sh, sizeof(*sh));
	return rc;
}

static const char *ending(char *buf, size_t cap, const struct fail_outcome *o)
{
	if (o->signal)
		snprintf(buf, cap, "%s, SIG%s", pt_exit_name(o->how),
			 sigabbrev_np(o->signal) ? sigabbrev_np(o->signal)
						 : "?");
	else
		snprintf(buf, cap, "%s", pt_exit_name(o->how));
	return buf;
}

static json_t *outcome_json(const struct fail_outcome *o)
{
	json_t *jobs = json_array();
	char how[48];

	for (int i = 1; i < FAIL_UNITS; i++)
		json_array_append_new(jobs, json_integer(o->jobs[i]));
	return json_pack(
		"{s:s, s:s, s:i, s:i, s:i, s:i, s:o, s:i, s:f}", "crash_ended",
		ending(how, sizeof(how), o), "how", pt_exit_name(o->how),
		"signal", o->signal, "units_died", o->died, "siblings_finished",
		o->siblings_finished, "siblings_died", o->died - (o->died > 0),
		"sibling_jobs_done", jobs, "results_delivered", o->results,
		"detect_ms", demo_ms(o->detect_ns));
}

static void sibling_jobs(char *buf, size_t cap, const struct fail_outcome *o)
{
	size_t n = 0;

	for (int i = 1; i < FAIL_UNITS && n < cap; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%s%d",
				      i > 1 ? ", " : "", o->jobs[i]);
}

static void print_text(const struct demo_ctx *ctx, const struct fail_outcome *p,
		       const struct fail_outcome *t)
{
	FILE *out = ctx->out;
	const char *b = demo_bold(ctx), *n = demo_plain(ctx);
	char pv[48], tv[48];

	fprintf(out,
		"%sfailure%s: a crash ends one process, but a crashing "
		"thread ends its whole\nprocess (pid %d)\n\n",
		b, n, (int)getpid());
	fprintf(out,
		"%d units each do %d jobs of %d ms of CPU; the first writes "
		"to a read-only page\n(SIGSEGV) after %d jobs. The threads "
		"run inside one sacrificial process unit,\nso that this tool "
		"lives to report.\n\n",
		FAIL_UNITS, FAIL_JOBS, FAIL_JOB_MS, FAIL_CRASH_AFTER);
	fprintf(out, "%-28s %-22s %s\n", "", "process units",
		"thread units (1 process)");
	fprintf(out, "%-28s %-22s %s\n", "the crashing unit",
		ending(pv, sizeof(pv), p), ending(tv, sizeof(tv), t));
	snprintf(pv, sizeof(pv), "%d of %d", p->died, FAIL_UNITS);
	snprintf(tv, sizeof(tv), "%d of %d", t->died, FAIL_UNITS);
	fprintf(out, "%-28s %-22s %s\n", "units that died", pv, tv);
	snprintf(pv, sizeof(pv), "%d of %d", p->siblings_finished,
		 FAIL_UNITS - 1);
	snprintf(tv, sizeof(tv), "%d of %d", t->siblings_finished,
		 FAIL_UNITS - 1);
	fprintf(out, "%-28s %-22s %s\n", "siblings that finished", pv, tv);
	sibling_jobs(pv, sizeof(pv), p);
	sibling_jobs(tv, sizeof(tv), t);
	fprintf(out, "%-28s %-22s %s\n", "jobs each sibling finished", pv, tv);
	snprintf(pv, sizeof(pv), "%d of %d", p->results, FAIL_UNITS - 1);
	snprintf(tv, sizeof(tv), "%d of %d", t->results, FAIL_UNITS - 1);
	fprintf(out, "%-28s %-22s %s\n", "siblings' results delivered", pv, tv);
	snprintf(pv, sizeof(pv), "%.2f ms", demo_ms(p->detect_ns));
	snprintf(tv, sizeof(tv), "%.2f ms", demo_ms(t->detect_ns));
	fprintf(out, "%-28s %-22s %s\n", "crash seen by the parent", pv, tv);
	fprintf(out,
		"\n(crash seen: from the faulting write to the parent's join "
		"returning; while\nprocess siblings keep the CPUs busy the "
		"parent may wait for its turn to run.)\n");
	demo_conclude(ctx,
		      "the crashing process died alone and its %d siblings "
		      "finished their work; the crashing thread took all %d "
		      "threads of its process down, and the work they had "
		      "in hand was lost.",
		      p->siblings_finished, t->died);
}

static int run_demo(const struct demo_ctx *ctx, json_t *facts)
{
	struct fail_outcome p = { 0 }, t = { 0 };

	if (run_kind(PT_KIND_PROCESS, &p) || run_kind(PT_KIND_THREAD, &t))
		return 1;
	if (!ctx->json) {
		print_text(ctx, &p, &t);
		return 0;
	}
	json_object_set_new(facts, "units", json_integer(FAIL_UNITS));
	json_object_set_new(facts, "jobs_per_unit", json_integer(FAIL_JOBS));
	json_object_set_new(facts, "crash_after_jobs",
			    json_integer(FAIL_CRASH_AFTER));
	json_object_set_new(facts, "process", outcome_json(&p));
	json_object_set_new(facts, "thread", outcome_json(&t));
	return 0;
}

const struct demo demo_failure = {
	.name = "failure",
	.summary = "a crashing process dies alone; a crashing thread does not",
	.run = run_demo,
};
