/* verdict.c - what `procthread try` measured, and which kind to use.
 *
 * Each figure is the median over the rounds that ran (throughput, memory,
 * start-up) or over every task timed alone (latency), with the 95%
 * interval of bench/engine/stats.c; the ratio's interval is the ratio of the
 * interval ends that lie farthest apart, as the bench's Summary takes it.
 *
 * The verdict, in order: a task that crashed anywhere decides for
 * processes (in a thread pool it would have taken the program down);
 * otherwise a process pool within 10% of the thread pool's throughput
 * buys isolation at almost no cost; otherwise threads. The break-even
 * says how much longer each task would have to run for the process
 * pool's extra cost per task to fall within 10%: with T a task's time on
 * a thread worker and o the process pool's extra time per task, the ratio
 * T / (T + o) reaches 0.9 at T = 9 o. */
#include "try/try.h"

#include "bench/engine/stats.h"
#include "report/report.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WITHIN	0.9 /* "within 10%" */
#define LABEL_W 18
#define COL_W	21

/* The figures of one kind. */
struct kind_figures {
	const char *name; /* "thread pool" */
	bool measured;	  /* some round ran */
	struct stats throughput, latency, memory, start;
	bool has_memory;
	double *throughput_raw, *latency_raw, *memory_raw, *start_raw;
	size_t n_throughput, n_latency, n_memory, n_start;
	double user_per_task, sys_per_task;
	bool cpu_measured; /* some round ran tasks to its end */
	uint64_t tasks;
	uint64_t outcome[TRY_OUTCOMES];
	uint64_t crash_signal[TRY_SIGNALS]; /* [0]: exits */
	int crash_exit_code;
	int first_failed_code;
	uint64_t sacrificed;
	unsigned host_deaths, host_kills, host_stalls;
	int host_signal, host_exit_code;
	int create_error;
};

struct figures {
	struct kind_figures kind[2]; /* thread, process */
	double ratio, low, high;     /* process / thread throughput */
	bool have_ratio;
	uint64_t crashes; /* tasks that crashed, either kind, + deaths */
};

static int stats_of(const double *v, size_t n, struct stats *out)
{
	double *copy;
	int rc;

	if (!n)
		return -EINVAL;
	copy = malloc(n * sizeof(*copy));
	if (!copy)
		return -ENOMEM;
	memcpy(copy, v, n * sizeof(*copy));
	rc = stats_compute(copy, n, out);
	free(copy);
	return rc;
}

static void add_round(struct kind_figures *k, const struct try_round *r)
{
	for (size_t i = 0; i < TRY_OUTCOMES; i++)
		k->outcome[i] += r->outcome[i];
	for (size_t i = 0; i < TRY_SIGNALS; i++)
		k->crash_signal[i] += r->crash_signal[i];
	if (!k->first_failed_code)
		k->first_failed_code = r->first_failed_code;
	if (!k->crash_exit_code)
		k->crash_exit_code = r->crash_exit_code;
	k->sacrificed += r->sacrificed;
	k->tasks += r->tasks;
	if (r->host_died) {
		k->host_deaths++;
		k->host_signal = r->host_signal;
		k->host_exit_code = r->host_exit_code;
	}
	k->host_kills += r->host_killed;
	k->host_stalls += r->host_stalled;
	if (r->create_error && !k->create_error)
		k->create_error = r->create_error;
	if (!r->ran)
		return;
	if (r->window_tasks && r->window_ns)
		k->throughput_raw[k->n_throughput++] =
			(double)r->window_tasks * 1e9 / (double)r->window_ns;
	if (r->mem_per_worker >= 0)
		k->memory_raw[k->n_memory++] = r->mem_per_worker;
	k->start_raw[k->n_start++] = (double)r->start_ns;
	memcpy(k->latency_raw + k->n_latency, r->latency_ns,
	       r->n_latency * sizeof(double));
	k->n_latency += r->n_latency;
}

static int kind_build(const struct try_round *rounds, size_t n,
		      struct kind_figures *k)
{
	size_t lat = 0;
	double user = 0, sys = 0;
	uint64_t tasks = 0;

	for (size_t i = 0; i < n; i++)
		lat += rounds[i].n_latency;
	k->throughput_raw = calloc(n + 1, sizeof(double));
	k->memory_raw = calloc(n + 1, sizeof(double));
	k->start_raw = calloc(n + 1, sizeof(double));
	k->latency_raw = calloc(lat + 1, sizeof(double));
	if (!k->throughput_raw || !k->memory_raw || !k->start_raw ||
	    !k->latency_raw)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		add_round(k, &rounds[i]);
		if (rounds[i].ran && rounds[i].tasks) {
			user += (double)rounds[i].user_ns;
			sys += (double)rounds[i].sys_ns;
			tasks += rounds[i].tasks;
		}
	}
	k->measured =
		!stats_of(k->throughput_raw, k->n_throughput, &k->throughput);
	if (k->measured && k->n_throughput > 1)
		stats_widen_ci(&k->throughput, k->throughput_raw,
			       k->n_throughput);
	stats_of(k->latency_raw, k->n_latency, &k->latency);
	k->has_memory = !stats_of(k->memory_raw, k->n_memory, &k->memory);
	stats_of(k->start_raw, k->n_start, &k->start);
	if (tasks) {
		k->cpu_measured = true;
		k->user_per_task = user / (double)tasks;
		k->sys_per_task = sys / (double)tasks;
	}
	return 0;
}

static void kind_free(struct kind_figures *k)
{
	free(k->throughput_raw);
	free(k->latency_raw);
	free(k->memory_raw);
	free(k->start_raw);
}

static int figures_build(const struct try_run *run, struct figures *f)
{
	const struct kind_figures *t = &f->kind[0], *p = &f->kind[1];
	int rc;

	memset(f, 0, sizeof(*f));
	f->kind[0].name = "thread pool";
	f->kind[1].name = "process pool";
	for (size_t k = 0; k < 2; k++) {
		rc = kind_build(run->rounds[k], run->n_rounds[k], &f->kind[k]);
		if (rc)
			return rc;
	}
	f->crashes = t->outcome[PT_TASK_CRASHED] + p->outcome[PT_TASK_CRASHED] +
		     t->host_deaths;
	f->have_ratio = t->measured && p->measured &&
			t->throughput.median > 0 && t->throughput.ci_low > 0;
	if (f->have_ratio) {
		f->ratio = p->throughput.median / t->throughput.median;
		f->low = p->throughput.ci_low / t->throughput.ci_high;
		f->high = p->throughput.ci_high / t->throughput.ci_low;
	}
	return 0;
}

static void figures_free(struct figures *f)
{
	kind_free(&f->kind[0]);
	kind_free(&f->kind[1]);
}

/* --- words ---------------------------------------------------------------- */

static const char *value(double v, const char *unit, char *buf, size_t len)
{
	return format_value(v, unit, buf, len);
}

/* "SIGSEGV", or "signal 40". */
static const char *signame(int sig, char *buf, size_t len)
{
	const char *abbrev = sig > 0 ? sigabbrev_np(sig) : NULL;

	if (abbrev)
		snprintf(buf, len, "SIG%s", abbrev);
	else
		snprintf(buf, len, "signal %d", sig);
	return buf;
}

/* How a process ended: "SIGSEGV", or "exit(3)" when sig is 0. */
static const char *end_text(int sig, int code, char *buf, size_t len)
{
	if (sig > 0)
		return signame(sig, buf, len);
	snprintf(buf, len, "exit(%d)", code);
	return buf;
}

/* How most of a kind's crashed tasks ended their worker ("SIGSEGV",
 * "exit(3)"), or NULL when none crashed. */
static const char *main_end(const struct kind_figures *k, char *buf, size_t len)
{
	int best = -1;

	for (int s = 0; s < TRY_SIGNALS; s++)
		if (k->crash_signal[s] &&
		    (best < 0 || k->crash_signal[s] > k->crash_signal[best]))
			best = s;
	return best < 0 ? NULL : end_text(best, k->crash_exit_code, buf, len);
}

/* "1,000" */
static const char *count(uint64_t n, char *buf, size_t len)
{
	char raw[32];
	size_t digits, o = 0;

	snprintf(raw, sizeof(raw), "%llu", (unsigned long long)n);
	digits = strlen(raw);
	for (size_t i = 0; i < digits && o + 2 < len; i++) {
		if (i && (digits - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = raw[i];
	}
	buf[o] = '\0';
	return buf;
}

/* Why a pool ran no round, from the error its host met. */
static const char *why_not(int error)
{
	if (error == -ENOTRECOVERABLE)
		return "the initializer (--init) failed in a worker, which "
		       "breaks the pool: no task runs";
	if (!error)
		return "no task resolved";
	return strerror(-error);
}

/* What happened to the tasks of one kind, e.g. "995 ok, 5 crashed
 * (SIGSEGV)". */
static void outcomes_text(const struct kind_figures *k, char *buf, size_t len)
{
	static const struct {
		enum pt_task_status status;
		const char *word;
	} words[] = {
		{ PT_TASK_OK, "ok" },
		{ PT_TASK_FAILED, "failed" },
		{ PT_TASK_CRASHED, "crashed" },
		{ PT_TASK_TIMED_OUT, "timed out" },
		{ PT_TASK_CANCELLED, "cancelled" },
		{ PT_TASK_SHUTDOWN, "shut down" },
		{ PT_TASK_NO_WORKER, "no worker" },
		{ PT_TASK_INIT_FAILED, "initializer failed" },
	};
	size_t o = 0;
	char n[32], sig[32];

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		uint64_t c = k->outcome[words[i].status];

		if (!c || o + 1 >= len)
			continue;
		o += (size_t)snprintf(buf + o, len - o, "%s%s %s",
				      o ? ", " : "", count(c, n, sizeof(n)),
				      words[i].word);
		if (words[i].status == PT_TASK_CRASHED &&
		    main_end(k, sig, sizeof(sig)) && o + 1 < len)
			o += (size_t)snprintf(buf + o, len - o, " (%s)", sig);
		if (words[i].status == PT_TASK_FAILED && o + 1 < len)
			o += (size_t)snprintf(buf + o, len - o,
					      " (first code %d)",
					      k->first_failed_code);
	}
	if (!o)
		snprintf(buf, len, "none ran (%s)", why_not(k->create_error));
}

/* --- the table ----------------------------------------------------------- */

static void row(FILE *out, const struct term *term, const char *label,
		const char *thread, const char *process, const char *ratio)
{
	size_t tw = term_columns(thread), pw = term_columns(process);

	fprintf(out, "  %-*s %s%s%s%*s %s%s%s%*s %s\n", LABEL_W, label,
		term_sgr(term, STYLE_THREAD), thread,
		term_sgr(term, STYLE_RESET), (int)(tw < COL_W ? COL_W - tw : 0),
		"", term_sgr(term, STYLE_PROCESS), process,
		term_sgr(term, STYLE_RESET), (int)(pw < COL_W ? COL_W - pw : 0),
		"", ratio);
}

static const char *times(double r, char *buf, size_t len)
{
	snprintf(buf, len, r < 10 ? "%.2fx" : r < 100 ? "%.1fx" : "%.0fx", r);
	return buf;
}

static void stat_row(FILE *out, const struct term *term, const char *label,
		     const struct figures *f, size_t field, const char *unit)
{
	const struct kind_figures *t = &f->kind[0], *p = &f->kind[1];
	char a[48] = "-", b[48] = "-", r[48] = "";
	const struct stats *ts =
		(const struct stats *)((const char *)t + field);
	const struct stats *ps =
		(const struct stats *)((const char *)p + field);

	if (ts->samples)
		value(ts->median, unit, a, sizeof(a));
	if (ps->samples)
		value(ps->median, unit, b, sizeof(b));
	if (ts->samples && ps->samples && ts->median > 0)
		times(ps->median / ts->median, r, sizeof(r));
	row(out, term, label, a, b, r);
}

static void p99_row(FILE *out, const struct term *term, const struct figures *f)
{
	const struct stats *ts = &f->kind[0].latency, *ps = &f->kind[1].latency;
	char a[48] = "-", b[48] = "-", r[48] = "";

	if (ts->samples)
		value(ts->p99, "ns", a, sizeof(a));
	if (ps->samples)
		value(ps->p99, "ns", b, sizeof(b));
	if (ts->samples && ps->samples && ts->p99 > 0)
		times(ps->p99 / ts->p99, r, sizeof(r));
	row(out, term, "latency p99", a, b, r);
}

static void cpu_row(FILE *out, const struct term *term, const struct figures *f)
{
	char cell[2][64], u[24], s[24];

	for (size_t k = 0; k < 2; k++) {
		const struct kind_figures *kf = &f->kind[k];

		if (!kf->cpu_measured) {
			snprintf(cell[k], sizeof(cell[k]), "-");
			continue;
		}
		snprintf(cell[k], sizeof(cell[k]), "%s + %s",
			 value(kf->user_per_task, "ns", u, sizeof(u)),
			 value(kf->sys_per_task, "ns", s, sizeof(s)));
	}
	row(out, term, "CPU user + sys", cell[0], cell[1], "");
}

static void memory_row(FILE *out, const struct term *term,
		       const struct figures *f)
{
	const struct kind_figures *t = &f->kind[0], *p = &f->kind[1];
	char a[48] = "-", b[48] = "-", d[64] = "", v[32];

	if (t->has_memory)
		value(t->memory.median, "bytes", a, sizeof(a));
	if (p->has_memory)
		value(p->memory.median, "bytes", b, sizeof(b));
	if (t->has_memory && p->has_memory)
		snprintf(d, sizeof(d), "%s%s",
			 p->memory.median >= t->memory.median ? "+" : "-",
			 value(fabs(p->memory.median - t->memory.median),
			       "bytes", v, sizeof(v)));
	row(out, term, "memory per worker", a, b, d);
}

static void throughput_row(FILE *out, const struct term *term,
			   const struct figures *f)
{
	char a[48] = "-", b[48] = "-", r[24] = "";

	if (f->kind[0].measured)
		value(f->kind[0].throughput.median, "tasks/s", a, sizeof(a));
	if (f->kind[1].measured)
		value(f->kind[1].throughput.median, "tasks/s", b, sizeof(b));
	/* Its interval is in the verdict, which is about it. */
	if (f->have_ratio)
		times(f->ratio, r, sizeof(r));
	row(out, term, "throughput", a, b, r);
}

/* A line under the tasks row, in the table's last columns. */
static void note_line(FILE *out, const struct term *term, const char *text)
{
	fprintf(out, "  %-*s ", LABEL_W, "");
	term_wrap(out, term, text, LABEL_W + 3, LABEL_W + 3);
}

/* "(in 2 rounds WHAT: SIGSEGV)" when a kind's host died. */
static void death_line(FILE *out, const struct term *term,
		       const struct kind_figures *k, const char *what)
{
	char line[256], how[32];

	if (!k->host_deaths)
		return;
	snprintf(line, sizeof(line), "(in %u round%s %s: %s)", k->host_deaths,
		 k->host_deaths == 1 ? "" : "s", what,
		 end_text(k->host_signal, k->host_exit_code, how, sizeof(how)));
	note_line(out, term, line);
}

static void task_lines(FILE *out, const struct term *term,
		       const struct figures *f)
{
	char text[2][256], n[32], line[256];

	for (size_t k = 0; k < 2; k++)
		outcomes_text(&f->kind[k], text[k], sizeof(text[k]));
	fprintf(out, "  %-*s ", LABEL_W, "tasks");
	fprintf(out, "%sthread pool%s: ", term_sgr(term, STYLE_THREAD),
		term_sgr(term, STYLE_RESET));
	term_wrap(out, term, text[0], LABEL_W + 16, LABEL_W + 3);
	if (f->kind[0].sacrificed) {
		snprintf(line, sizeof(line),
			 "(%s tasks of inputs that had crashed every process "
			 "worker ran in a sacrificial process, not in the "
			 "thread pool)",
			 count(f->kind[0].sacrificed, n, sizeof(n)));
		note_line(out, term, line);
	}
	death_line(out, term, &f->kind[0],
		   "a task ended the thread pool's whole process");
	if (f->kind[0].host_stalls) {
		snprintf(line, sizeof(line),
			 "(in %u round%s every thread worker was stuck in a "
			 "task past its deadline and the pool ran nothing "
			 "more; try ended its process)",
			 f->kind[0].host_stalls,
			 f->kind[0].host_stalls == 1 ? "" : "s");
		note_line(out, term, line);
	}
	fprintf(out, "  %-*s ", LABEL_W, "");
	fprintf(out, "%sprocess pool%s: ", term_sgr(term, STYLE_PROCESS),
		term_sgr(term, STYLE_RESET));
	term_wrap(out, term, text[1], LABEL_W + 17, LABEL_W + 3);
	/* Its tasks ran in other processes: the host itself should not
	 * die, but if it does (the OOM killer, a kill from outside) the
	 * rounds it lost are said. */
	death_line(out, term, &f->kind[1],
		   "the process pool's own process ended");
}

/* --- the verdict -----------------------------------------------------------
 */

/* "process pool: 0.96x the thread pool's throughput [0.93x … 0.99x], +1.2
 * MiB per worker" */
static void cost_clause(const struct figures *f, char *buf, size_t len)
{
	const struct kind_figures *t = &f->kind[0], *p = &f->kind[1];
	char x[24], lo[24], hi[24], v[32];
	size_t o;

	o = (size_t)snprintf(buf, len,
			     "process pool: %s the thread pool's throughput "
			     "[%s … %s]",
			     times(f->ratio, x, sizeof(x)),
			     times(f->low, lo, sizeof(lo)),
			     times(f->high, hi, sizeof(hi)));
	if (t->has_memory && p->has_memory && o < len)
		snprintf(buf + o, len - o, ", %s%s per worker",
			 p->memory.median >= t->memory.median ? "+" : "-",
			 value(fabs(p->memory.median - t->memory.median),
			       "bytes", v, sizeof(v)));
}

/* Tasks crashed: where, how often, and what each kind made of it. */
static void crash_verdict(const struct figures *f, const char *cost, char *buf,
			  size_t len)
{
	const struct kind_figures *t = &f->kind[0], *p = &f->kind[1];
	uint64_t crashed = p->outcome[PT_TASK_CRASHED];
	char n[32], all[32], sig[32], deaths[160] = "";

	if (!main_end(p, sig, sizeof(sig)) && !main_end(t, sig, sizeof(sig)))
		end_text(t->host_signal, t->host_exit_code, sig, sizeof(sig));
	if (t->host_deaths)
		snprintf(deaths, sizeof(deaths),
			 " A task did take the thread pool's whole process "
			 "down in %u of its rounds.",
			 t->host_deaths);
	if (crashed)
		snprintf(buf, len,
			 "use processes. %s of %s tasks (%.1f%%) crashed "
			 "with %s: in the process pool each cost that one "
			 "task and the pool went on; in a thread pool the "
			 "first would have taken your program down.%s%s%s%s",
			 count(crashed, n, sizeof(n)),
			 count(p->tasks, all, sizeof(all)),
			 100.0 * (double)crashed / (double)p->tasks, sig,
			 deaths, cost[0] ? " Cost: " : "", cost[0] ? cost : "",
			 cost[0] ? "." : "");
	else
		snprintf(buf, len,
			 "use processes. Your task crashed the thread pool "
			 "(%s), though not the process pool this time: in a "
			 "process pool a crash costs one task.%s%s%s%s",
			 sig, deaths, cost[0] ? " Cost: " : "",
			 cost[0] ? cost : "", cost[0] ? "." : "");
}

static void verdict_text(const struct figures *f, char *buf, size_t len)
{
	const struct kind_figures *t = &f->kind[0], *p = &f->kind[1];
	char cost[256] = "";

	if (f->have_ratio)
		cost_clause(f, cost, sizeof(cost));
	if (!p->measured && !t->measured) {
		snprintf(buf, len, "no verdict: neither pool ran a round (%s)",
			 why_not(p->create_error ? p->create_error
						 : t->create_error));
		return;
	}
	if (f->crashes) {
		crash_verdict(f, cost, buf, len);
		return;
	}
	if (t->outcome[PT_TASK_TIMED_OUT] &&
	    (t->host_kills || t->host_stalls)) {
		char n[32], m[32];

		snprintf(buf, len,
			 "use processes. Tasks ran past their deadline (%s in "
			 "the thread pool, %s in the process pool): the "
			 "process pool killed and replaced their workers and "
			 "went on; the thread pool could only ask them to "
			 "stop, and its threads stayed stuck%s.%s%s%s",
			 count(t->outcome[PT_TASK_TIMED_OUT], n, sizeof(n)),
			 count(p->outcome[PT_TASK_TIMED_OUT], m, sizeof(m)),
			 t->host_stalls ? " until it ran nothing more" : "",
			 cost[0] ? " Cost: " : "", cost[0] ? cost : "",
			 cost[0] ? "." : "");
		return;
	}
	if (!f->have_ratio) {
		snprintf(buf, len, "no verdict: the %s ran no round to compare",
			 t->measured ? "process pool" : "thread pool");
		return;
	}
	if (f->ratio >= WITHIN)
		snprintf(buf, len,
			 "use processes: %s; they isolate failures %s%s.", cost,
			 f->low > 1 ? "and are faster here"
				    : "at almost no cost",
			 f->low < WITHIN ? " (the interval reaches below "
					   "0.90x: a longer run gives a firmer "
					   "answer)"
					 : "");
	else
		snprintf(buf, len,
			 "use threads: %s; processes would cost %.0f%% of the "
			 "throughput for isolation your task has not needed "
			 "here%s.",
			 cost, (1 - f->ratio) * 100,
			 f->high >= WITHIN ? " (the interval reaches 0.90x: "
					     "a longer run gives a firmer "
					     "answer)"
					   : "");
}

/* The break-even line, from the per-task worker time of each kind. */
static void break_even_text(const struct try_plan *plan,
			    const struct figures *f, char *buf, size_t len)
{
	double tt, tp, o, need;
	char a[32], b[32], c[32];

	buf[0] = '\0';
	if (!f->have_ratio)
		return;
	tt = plan->workers / f->kind[0].throughput.median * 1e9;
	tp = plan->workers / f->kind[1].throughput.median * 1e9;
	o = tp - tt;
	if (o <= 0) {
		snprintf(buf, len,
			 "break-even: none needed - a task costs the process "
			 "pool no more worker time than the thread pool (%s "
			 "against %s).",
			 value(tp, "ns", a, sizeof(a)),
			 value(tt, "ns", b, sizeof(b)));
		return;
	}
	need = 9 * o;
	if (tt >= need)
		snprintf(buf, len,
			 "break-even: the process pool costs %s more worker "
			 "time per task (%s against %s); a task of %s is "
			 "already long enough for that to stay within 10%%.",
			 value(o, "ns", a, sizeof(a)),
			 value(tp, "ns", b, sizeof(b)),
			 value(tt, "ns", c, sizeof(c)),
			 value(tt, "ns", c, sizeof(c)));
	else
		snprintf(buf, len,
			 "break-even: the process pool costs %s more worker "
			 "time per task; it comes within 10%% of the thread "
			 "pool once a task takes %s or more, %.1fx the %s "
			 "yours takes now.",
			 value(o, "ns", a, sizeof(a)),
			 value(need, "ns", b, sizeof(b)), need / tt,
			 value(tt, "ns", c, sizeof(c)));
}

static void timeouts_text(const struct figures *f, char *buf, size_t len)
{
	uint64_t tt = f->kind[0].outcome[PT_TASK_TIMED_OUT];
	uint64_t tp = f->kind[1].outcome[PT_TASK_TIMED_OUT];
	char a[32], b[32];

	buf[0] = '\0';
	if (!tt && !tp)
		return;
	snprintf(
		buf, len,
		"timeouts: %s in the thread pool, %s in the process pool. A "
		"process worker past its deadline is killed and replaced; a "
		"thread can only be asked to stop and stays busy until its "
		"task returns%s.",
		count(tt, a, sizeof(a)), count(tp, b, sizeof(b)),
		f->kind[0].host_kills || f->kind[0].host_stalls
			? " (here one never did: try ended that pool's process)"
			: "");
}

void try_print(const struct try_plan *plan, const struct try_run *run,
	       const struct term *term, FILE *out)
{
	struct figures f;
	char head[512], text[1024];
	char n[32];

	if (figures_build(run, &f)) {
		fputs("procthread try: out of memory\n", stderr);
		figures_free(&f);
		return;
	}
	snprintf(head, sizeof(head),
		 "%s:%s, %u worker%s per pool, %s, %s %s in %u round%s",
		 plan->library, plan->symbol, plan->workers,
		 plan->workers == 1 ? "" : "s", plan->inputs_text,
		 plan->tasks ? count(plan->tasks, n, sizeof(n)) : "",
		 plan->tasks ? "tasks per kind" : "timed", plan->rounds,
		 plan->rounds == 1 ? "" : "s");
	if (!plan->tasks) {
		char t[32];

		snprintf(head, sizeof(head),
			 "%s:%s, %u worker%s per pool, %s, %s per kind in "
			 "%u round%s",
			 plan->library, plan->symbol, plan->workers,
			 plan->workers == 1 ? "" : "s", plan->inputs_text,
			 value(plan->time_s * 1e9, "ns", t, sizeof(t)),
			 plan->rounds, plan->rounds == 1 ? "" : "s");
	}
	fprintf(out, "%sprocthread try%s ", term_sgr(term, STYLE_BOLD),
		term_sgr(term, STYLE_RESET));
	term_wrap(out, term, head, 15, 2);
	fputc('\n', out);
	fprintf(out, "  %-*s %s%-*s%s %s%-*s%s %s\n", LABEL_W, "",
		term_sgr(term, STYLE_THREAD), COL_W, "thread pool",
		term_sgr(term, STYLE_RESET), term_sgr(term, STYLE_PROCESS),
		COL_W, "process pool", term_sgr(term, STYLE_RESET),
		"process/thread");
	throughput_row(out, term, &f);
	stat_row(out, term, "latency median", &f,
		 offsetof(struct kind_figures, latency), "ns");
	p99_row(out, term, &f);
	cpu_row(out, term, &f);
	memory_row(out, term, &f);
	stat_row(out, term, "pool start-up", &f,
		 offsetof(struct kind_figures, start), "ns");
	task_lines(out, term, &f);
	fputc('\n', out);
	verdict_text(&f, text, sizeof(text));
	fprintf(out, "%sverdict%s: ", term_sgr(term, STYLE_BOLD),
		term_sgr(term, STYLE_RESET));
	term_wrap(out, term, text, 9, 2);
	break_even_text(plan, &f, text, sizeof(text));
	if (text[0])
		term_wrap(out, term, text, 0, 2);
	timeouts_text(&f, text, sizeof(text));
	if (text[0])
		term_wrap(out, term, text, 0, 2);
	figures_free(&f);
}

/* --- results ----------------------------------------------------------------
 */

static int add_record(struct results *res, const struct try_plan *plan,
		      const char *name, const char *kind, const char *unit,
		      const double *raw, size_t n,
		      const struct results_cpu *cpu, const char *outcome)
{
	struct param params[5];
	struct record rec = { 0 };
	double *copy;
	size_t np = 0;
	int rc;

	if (!n)
		return 0;
	copy = malloc(n * sizeof(*copy));
	if (!copy)
		return -ENOMEM;
	memcpy(copy, raw, n * sizeof(*copy));
	params[np++] = (struct param){ .key = "library",
				       .type = PARAM_STR,
				       .str = (char *)plan->library };
	params[np++] = (struct param){ .key = "symbol",
				       .type = PARAM_STR,
				       .str = (char *)plan->symbol };
	params[np++] = (struct param){ .key = "workers",
				       .type = PARAM_INT,
				       .i = plan->workers };
	params[np++] = (struct param){ .key = "arg_bytes",
				       .type = PARAM_INT,
				       .i = (long long)plan->arg_max };
	if (outcome)
		params[np++] = (struct param){ .key = "outcome",
					       .type = PARAM_STR,
					       .str = (char *)outcome };
	rec.suite = "try";
	rec.name = (char *)name;
	rec.kind = (char *)kind;
	rec.unit = (char *)unit;
	rec.params = params;
	rec.n_params = np;
	rec.raw = copy;
	rec.n_raw = n;
	if (cpu)
		rec.cpu = *cpu;
	rc = stats_compute(copy, n, &rec.stats);
	if (!rc) {
		memcpy(copy, raw, n * sizeof(*copy));
		rc = results_add(res, &rec);
	}
	free(copy);
	return rc == -EINVAL ? 0 : rc;
}

static int kind_records(struct results *res, const struct try_plan *plan,
			const struct kind_figures *k, const char *kind)
{
	static const char *const outcome_names[TRY_OUTCOMES] = {
		[PT_TASK_OK] = "ok",
		[PT_TASK_FAILED] = "failed",
		[PT_TASK_CRASHED] = "crashed",
		[PT_TASK_TIMED_OUT] = "timed-out",
		[PT_TASK_CANCELLED] = "cancelled",
		[PT_TASK_SHUTDOWN] = "shut-down",
		[PT_TASK_NO_WORKER] = "no-worker",
		[PT_TASK_INIT_FAILED] = "init-failed",
	};
	struct results_cpu cpu = { .measured = k->cpu_measured,
				   .user_ns = k->user_per_task,
				   .sys_ns = k->sys_per_task };
	int rc;

	rc = add_record(res, plan, "throughput", kind, "tasks/s",
			k->throughput_raw, k->n_throughput, &cpu, NULL);
	rc = rc ? rc
		: add_record(res, plan, "latency", kind, "ns", k->latency_raw,
			     k->n_latency, NULL, NULL);
	rc = rc ? rc
		: add_record(res, plan, "memory-per-worker", kind, "bytes",
			     k->memory_raw, k->n_memory, NULL, NULL);
	rc = rc ? rc
		: add_record(res, plan, "pool-start", kind, "ns", k->start_raw,
			     k->n_start, NULL, NULL);
	for (size_t s = 1; !rc && s < TRY_OUTCOMES; s++) {
		double n = (double)k->outcome[s];

		if (k->outcome[s] || s == PT_TASK_OK)
			rc = add_record(res, plan, "tasks", kind, "tasks", &n,
					1, NULL, outcome_names[s]);
	}
	return rc;
}

int try_results(const struct try_plan *plan, const struct try_run *run,
		struct results *res)
{
	struct figures f;
	char text[1024];
	int rc;

	rc = figures_build(run, &f);
	rc = rc ? rc : kind_records(res, plan, &f.kind[0], "thread");
	rc = rc ? rc : kind_records(res, plan, &f.kind[1], "process");
	if (!rc) {
		verdict_text(&f, text, sizeof(text));
		rc = results_note(res, "verdict: %s", text);
	}
	if (!rc) {
		break_even_text(plan, &f, text, sizeof(text));
		if (text[0])
			rc = results_note(res, "%s", text);
	}
	figures_free(&f);
	return rc;
}
