/* control.c - the kernel controls each process on its own, and a
 * process's threads mostly together.
 *
 * Three operations an administrator uses, each aimed first at one of
 * several busy process units and then at one of several busy threads of a
 * single (sacrificial) process unit, with the effect measured, not assumed:
 *
 * - SIGSTOP: work counters that the units bump in shared memory show who
 *   kept running while one was stopped; /proc shows the state (T).
 * - nice: two units pinned to one CPU, one given nice 10 with
 *   setpriority() on its pid or tid; CPU time from /proc/<pid>/stat and
 *   /proc/<pid>/task/<tid>/stat shows the share each got.
 * - a resource limit: RLIMIT_NOFILE lowered with prlimit() on one unit's
 *   pid or tid; each unit then counts the descriptors it can open.
 *
 * The thread cases run inside a process unit so that stopping or limiting
 * "one thread" cannot touch the tool itself.
 */
#include "demo/demo.h"
#include "demo/control.h"

#include <procthread.h>

#include <unistd.h>

static void print_stop(FILE *out, const struct stop_result *r, const char *what)
{
	char num[32], cell[48];

	fprintf(out, "   %-16s", what);
	for (int i = 0; i < CTL_UNITS; i++) {
		snprintf(cell, sizeof(cell), "%s (%c)",
			 demo_count(num, sizeof(num), r->work_stopped[i]),
			 r->state[i]);
		fprintf(out, i + 1 < CTL_UNITS ? " %-12s" : " %s\n", cell);
	}
}

static void print_text(const struct demo_ctx *ctx,
		       const struct control_result *r)
{
	FILE *out = ctx->out;
	const char *b = demo_bold(ctx), *n = demo_plain(ctx);
	const struct nice_result *np = &r->nice[0], *nt = &r->nice[1];
	const struct limit_result *lp = &r->limit[0], *lt = &r->limit[1];
	char num[32];

	fprintf(out,
		"%scontrol%s: the kernel controls each process on its own, "
		"and a process's threads\nmostly together (pid %d)\n\n",
		b, n, (int)getpid());
	fprintf(out,
		"1. SIGSTOP to the first of %d busy units; the work each did "
		"in the next %d ms\n   (its state from /proc in brackets):\n",
		CTL_UNITS, CTL_WINDOW_MS);
	print_stop(out, &r->stop[0], "to one process:");
	print_stop(out, &r->stop[1], "to one thread:");
	fprintf(out,
		"   After SIGCONT the stopped process did %s more. "
		"pt_unit_kill() on a thread\n   unit: %s.\n",
		demo_count(num, sizeof(num), r->stop[0].work_after_cont),
		pt_strerror(r->stop[1].kill_rc));

	fprintf(out,
		"\n2. nice %d on the second of 2 busy units sharing CPU %d; "
		"the CPU time each got\n   in %d ms, from /proc/<pid>/stat "
		"and /proc/<pid>/task/<tid>/stat:\n",
		CTL_NICE, r->cpu, CTL_NICE_WINDOW_MS);
	fprintf(out,
		"   %-16s nice %ld: %.0f ms   nice %ld: %.0f ms (%.0f%%)\n",
		"to one process:", np->nice[0], demo_ms(np->cpu_ns[0]),
		np->nice[1], demo_ms(np->cpu_ns[1]), 100 * np->share_niced);
	fprintf(out,
		"   %-16s nice %ld: %.0f ms   nice %ld: %.0f ms (%.0f%%)\n"
		"   %-16s their process's main thread kept nice %ld\n",
		"to one thread:", nt->nice[0], demo_ms(nt->cpu_ns[0]),
		nt->nice[1], demo_ms(nt->cpu_ns[1]), 100 * nt->share_niced, "",
		nt->main_nice);

	fprintf(out,
		"\n3. RLIMIT_NOFILE %d set with prlimit() on the first of 2 "
		"units; each then opens\n   up to %d descriptors (how many "
		"it opened, and the limit it saw):\n",
		CTL_LIMIT_FDS, CTL_TRY_FDS);
	fprintf(out,
		"   %-16s %d (limit %ld)   %d (limit %ld)   this tool's: "
		"%ld\n",
		"to one process:", lp->opened[0], lp->soft[0], lp->opened[1],
		lp->soft[1], lp->process_soft);
	fprintf(out,
		"   %-16s %d (limit %ld)   %d (limit %ld)   their "
		"process's: %ld\n",
		"to one thread:", lt->opened[0], lt->soft[0], lt->opened[1],
		lt->soft[1], lt->process_soft);

	demo_conclude(ctx, "a process can be stopped, slowed and limited "
			   "on its own; Linux lets one thread be slowed "
			   "with nice too, but a stop or a limit aimed at "
			   "one thread holds for every thread of its "
			   "process.");
}

static json_t *ints_json(const int *v, int n)
{
	json_t *a = json_array();

	for (int i = 0; i < n; i++)
		json_array_append_new(a, json_integer(v[i]));
	return a;
}

static json_t *stop_json(const struct stop_result *r)
{
	json_t *work = json_array(), *state = json_array();
	int stopped = 0;

	for (int i = 0; i < CTL_UNITS; i++) {
		char s[2] = { r->state[i], 0 };

		json_array_append_new(
			work, json_integer((json_int_t)r->work_stopped[i]));
		json_array_append_new(state, json_string(s));
		stopped += r->work_stopped[i] == 0;
	}
	return json_pack("{s:i, s:o, s:o, s:i, s:I, s:i, s:s}", "units",
			 CTL_UNITS, "work_while_stopped", work, "states", state,
			 "units_stopped", stopped, "work_after_cont",
			 (json_int_t)r->work_after_cont, "kill_rc", r->kill_rc,
			 "kill_error",
			 r->kill_rc ? pt_strerror(r->kill_rc) : "");
}

static json_t *nice_json(const struct nice_result *r)
{
	return json_pack("{s:[f,f], s:[i,i], s:f, s:i}", "cpu_ms",
			 demo_ms(r->cpu_ns[0]), demo_ms(r->cpu_ns[1]), "nice",
			 (int)r->nice[0], (int)r->nice[1], "share_niced",
			 r->share_niced, "main_nice", (int)r->main_nice);
}

static json_t *limit_json(const struct limit_result *r)
{
	return json_pack("{s:o, s:[I,I], s:I}", "opened",
			 ints_json(r->opened, 2), "soft_limit",
			 (json_int_t)r->soft[0], (json_int_t)r->soft[1],
			 "process_soft_limit", (json_int_t)r->process_soft);
}

static int run_demo(const struct demo_ctx *ctx, json_t *facts)
{
	struct control_result r = { 0 };

	if (demo_ctl_run_stop(PT_KIND_PROCESS, &r.stop[0]) ||
	    demo_ctl_run_stop(PT_KIND_THREAD, &r.stop[1]) ||
	    demo_ctl_pick_cpu(&r.cpu) ||
	    demo_ctl_run_nice(PT_KIND_PROCESS, r.cpu, &r.nice[0]) ||
	    demo_ctl_run_nice(PT_KIND_THREAD, r.cpu, &r.nice[1]) ||
	    demo_ctl_run_limit(PT_KIND_PROCESS, &r.limit[0]) ||
	    demo_ctl_run_limit(PT_KIND_THREAD, &r.limit[1]))
		return 1;
	if (!ctx->json) {
		print_text(ctx, &r);
		return 0;
	}
	json_object_set_new(facts, "sigstop",
			    json_pack("{s:o, s:o}", "process",
				      stop_json(&r.stop[0]), "thread",
				      stop_json(&r.stop[1])));
	json_object_set_new(facts, "nice",
			    json_pack("{s:i, s:i, s:i, s:o, s:o}", "cpu", r.cpu,
				      "window_ms", CTL_NICE_WINDOW_MS,
				      "niced_to", CTL_NICE, "process",
				      nice_json(&r.nice[0]), "thread",
				      nice_json(&r.nice[1])));
	json_object_set_new(facts, "rlimit_nofile",
			    json_pack("{s:i, s:i, s:o, s:o}", "limit",
				      CTL_LIMIT_FDS, "tried", CTL_TRY_FDS,
				      "process", limit_json(&r.limit[0]),
				      "thread", limit_json(&r.limit[1])));
	return 0;
}

const struct demo demo_control = {
	.name = "control",
	.summary = "stop, nice and limit one process, then one thread",
	.run = run_demo,
};
