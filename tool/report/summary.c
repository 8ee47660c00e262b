/* summary.c - the claims at the top of the report. Each claim is looked
 * for in the records through a list of candidate cases, best first; the
 * first candidate with both a thread and a process record gives the
 * claim's sentence and number. The number is always what processes cost
 * over threads: process over thread for costs (time, bytes), thread over
 * process for rates, so above 1 means processes are dearer. */
#include "report/summary.h"

#include "report/report.h"
#include "report/units.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fact {
	const struct results *res;
	const struct record *proc, *thr;
	char p[48], t[48], ratio[104];
};

typedef void say_fn(FILE *f, const struct fact *fact);

/* A claim's sentence is its candidate's text, in which {p} and {t} stand
 * for the process's and the thread's figure, {ratio} for the claim's
 * number, and any other {key} for the process record's parameter key; a
 * sentence that needs more than that has a say function instead. */
struct candidate {
	const char *claim;
	const char *suite;
	const char *name;    /* NULL: any case of the suite */
	const char *want[4]; /* "key=value" the case must have */
	const char *largest; /* of several matches, the largest value */
	const char *text;    /* the sentence, as above; or NULL and: */
	say_fn *say;
};

static void param_tick(FILE *f, const struct record *r, const char *key)
{
	const struct param *p = record_param(r, key);
	char v[48];

	if (!p)
		return;
	if (p->type == PARAM_STR)
		fputs(p->str, f);
	else
		fputs(fmt_tick(p->type == PARAM_INT ? (double)p->i : p->real,
			       !strcmp(key, "units") || !strcmp(key, "workers")
				       ? ""
				       : "bytes",
			       v, sizeof(v)),
		      f);
}

/* Writes a candidate's text with its {...} filled in from x. */
static void say_text(FILE *f, const char *text, const struct fact *x)
{
	const char *open, *close;
	char key[32];
	size_t n;

	while ((open = strchr(text, '{')) && (close = strchr(open, '}'))) {
		fwrite(text, 1, (size_t)(open - text), f);
		n = (size_t)(close - open - 1);
		if (n >= sizeof(key))
			n = sizeof(key) - 1;
		memcpy(key, open + 1, n);
		key[n] = '\0';
		if (!strcmp(key, "p"))
			fputs(x->p, f);
		else if (!strcmp(key, "t"))
			fputs(x->t, f);
		else if (!strcmp(key, "ratio"))
			fputs(x->ratio, f);
		else
			param_tick(f, x->proc, key);
		text = close + 1;
	}
	fputs(text, f);
}

static void say_failure(FILE *f, const struct fact *x)
{
	const struct param *n = record_param(x->proc, "units");
	const struct param *crash = record_param(x->proc, "crash");
	long long units = n && n->type == PARAM_INT ? n->i : 0;

	fprintf(f,
		"When one of %lld units crashes (%s), %g of the other %lld "
		"finish their work as processes, %g as threads: a crash in a "
		"thread takes its whole process down.",
		units,
		crash && crash->type == PARAM_STR ? crash->str : "a crash",
		x->proc->stats.median, units - 1, x->thr->stats.median);
}

/* Any pair: "suite name (params): a process P, a thread T." */
static void say_generic(FILE *f, const struct fact *x)
{
	const char *sep = " (";
	char v[64];

	fprintf(f, "%s %s", x->proc->suite, x->proc->name);
	for (size_t i = 0; i < x->proc->n_params; i++) {
		const struct param *p = &x->proc->params[i];

		if (!strcmp(p->key, "cpus"))
			continue;
		fprintf(f, "%s%s=%s", sep, p->key,
			format_param(p, v, sizeof(v)));
		sep = ", ";
	}
	if (strcmp(sep, " (") != 0)
		fputc(')', f);
	fprintf(f, ": a process %s, a thread %s (%s).", x->p, x->t,
		report_higher_is_better(x->proc) ? "higher is better"
						 : "lower is better");
}

/* One candidate a row, best first within a claim (clang-format would give
 * each field a line of its own). */
/* clang-format off */
static const struct candidate candidates[] = {
	/* claim, suite, name, want, largest; then text or say */
	{ "creation", "create", "create-join", { "impl=raw" }, NULL,
	  "Creating and joining a process (fork, _exit, waitpid) takes "
	  "{ratio} as long as a thread (pthread_create, pthread_join): {p} "
	  "against {t}.", NULL },
	{ "creation", "create", "create-join", { "impl=pt_unit" }, NULL,
	  "Spawning and joining a process unit takes {ratio} as long as a "
	  "thread unit: {p} against {t}.", NULL },
	{ "creation, large parent", "create", "create-join-touched",
	  { "impl=raw" }, "touched",
	  "With {touched} of touched memory in the parent, creating a process "
	  "takes {ratio} as long as a thread ({p} against {t}): fork copies "
	  "the page tables, a thread shares them.", NULL },
	{ "memory", "memory", "pss-per-unit", { NULL }, "units",
	  "Each idle process adds {p} of memory (proportional set size), each "
	  "idle thread {t}: {ratio} as much, with {units} units alive.", NULL },
	{ "memory", "memory", "rss-per-unit", { NULL }, "units",
	  "Each idle process adds {p} of memory (resident set size), each "
	  "idle thread {t}: {ratio} as much, with {units} units alive.", NULL },
	{ "switching", "switch", "token-pass",
	  { "transport=futex", "working_set=0" }, NULL,
	  "Passing a token between two processes on one CPU takes {ratio} as "
	  "long as between two threads: {p} against {t} per round trip (two "
	  "context switches).", NULL },
	{ "switching", "switch", "token-pass", { NULL }, NULL, NULL,
	  say_generic },
	{ "communication", "ipc", NULL,
	  { "mode=latency", "size=64", "transport=shm" }, NULL,
	  "A {size} round trip over {transport} takes {ratio} as long between "
	  "processes as between threads: {p} against {t}.", NULL },
	{ "communication", "ipc", NULL, { "mode=latency" }, NULL, NULL,
	  say_generic },
	{ "communication", "ipc", NULL, { NULL }, NULL, NULL, say_generic },
	{ "pools", "pool", "task-latency", { "workload=empty" }, NULL,
	  "An empty task's round trip through a pool of {workers} workers "
	  "takes {ratio} as long with worker processes as with worker "
	  "threads: {p} against {t}.", NULL },
	{ "pools", "pool", NULL, { NULL }, NULL, NULL, say_generic },
	{ "failure", "failure", "siblings-survived", { "crash=segv" }, "units",
	  NULL, say_failure },
	{ "failure", "failure", "siblings-survived", { NULL }, "units", NULL,
	  say_failure },
	{ "failure", "failure", NULL, { NULL }, NULL, NULL, say_generic },
};
/* clang-format on */
#define N_CANDIDATES (sizeof(candidates) / sizeof(candidates[0]))

static bool has(const struct record *r, const char *want)
{
	const char *eq = strchr(want, '=');
	const struct param *p;
	char key[64], v[64];

	if (!eq || (size_t)(eq - want) >= sizeof(key))
		return false;
	memcpy(key, want, (size_t)(eq - want));
	key[eq - want] = '\0';
	p = record_param(r, key);
	if (!p)
		return false;
	param_format(p, v, sizeof(v));
	return !strcmp(v, eq + 1);
}

static double num_param(const struct record *r, const char *key)
{
	const struct param *p = record_param(r, key);

	if (!p || p->type == PARAM_STR)
		return -INFINITY;
	return p->type == PARAM_INT ? (double)p->i : p->real;
}

/* The thread record paired with process record p, or SUMMARY_NONE. */
static size_t partner(const struct results *res, size_t p)
{
	for (size_t i = 0; i < res->n_records; i++) {
		const struct record *r = &res->records[i];

		if (!r->peer && !strcmp(r->kind, "thread") &&
		    record_same_case(&res->records[p], r, true, false))
			return i;
	}
	return SUMMARY_NONE;
}

/* The process record of the best pair for candidate c. */
static size_t find_pair(const struct results *res, const struct candidate *c,
			size_t *thr)
{
	size_t best = SUMMARY_NONE, best_thr = SUMMARY_NONE;

	for (size_t i = 0; i < res->n_records; i++) {
		const struct record *r = &res->records[i];
		bool ok = !r->peer && !strcmp(r->kind, "process") &&
			  !strcmp(r->suite, c->suite) &&
			  (!c->name || !strcmp(r->name, c->name));
		size_t t;

		for (size_t w = 0; ok && w < 4 && c->want[w]; w++)
			ok = has(r, c->want[w]);
		if (!ok)
			continue;
		t = partner(res, i);
		if (t == SUMMARY_NONE)
			continue;
		if (best == SUMMARY_NONE ||
		    (c->largest &&
		     num_param(r, c->largest) >
			     num_param(&res->records[best], c->largest))) {
			best = i;
			best_thr = t;
		}
		if (!c->largest)
			break;
	}
	*thr = best_thr;
	return best;
}

/* "31.7×", or "-" for a ratio that is not a number. */
static const char *times(double r, char *buf, size_t len)
{
	if (!isfinite(r) || r <= 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.*f×", r < 10 ? 2 : r < 100 ? 1 : 0, r);
	return buf;
}

/* The claim's ratio and its interval from the two medians' intervals;
 * above 1 means processes are dearer, whichever way the unit is better. */
static void interval(const struct record *proc, const struct record *thr,
		     bool counts, struct claim *out)
{
	const struct stats *p = &proc->stats, *t = &thr->stats;
	bool rate = report_higher_is_better(proc);

	out->ratio = out->low = out->high = NAN;
	out->verdict = "";
	if (counts) {
		out->verdict = p->median > t->median
				       ? "siblings finish: processes contain "
					 "the crash"
			       : p->median < t->median
				       ? "siblings finish: threads fare better"
				       : "siblings finish, either way";
		return;
	}
	if (!(p->median > 0 && t->median > 0 && p->ci_low > 0 && t->ci_low > 0))
		return;
	out->ratio = rate ? t->median / p->median : p->median / t->median;
	out->low = rate ? t->ci_low / p->ci_high : p->ci_low / t->ci_high;
	out->high = rate ? t->ci_high / p->ci_low : p->ci_high / t->ci_low;
	out->verdict = out->low > 1    ? "processes dearer"
		       : out->high < 1 ? "processes cheaper"
				       : "no clear difference";
}

static int make_claim(const struct results *res, const struct candidate *c,
		      size_t p, size_t t, struct claim *out)
{
	struct fact x = { .res = res };
	double pm, tm, ratio;
	size_t len = 0;
	FILE *f;

	x.proc = &res->records[p];
	x.thr = &res->records[t];
	pm = x.proc->stats.median;
	tm = x.thr->stats.median;
	format_value(pm, x.proc->unit, x.p, sizeof(x.p));
	format_value(tm, x.thr->unit, x.t, sizeof(x.t));
	ratio = report_higher_is_better(x.proc) ? tm / pm : pm / tm;
	if (c->say == say_failure)
		ratio = NAN; /* counts: the number is both of them */
	if (isfinite(ratio) && ratio > 0)
		times(ratio, x.ratio, sizeof(x.ratio));
	else if (c->say == say_failure)
		snprintf(x.ratio, sizeof(x.ratio), "%g vs %g", pm, tm);
	else
		snprintf(x.ratio, sizeof(x.ratio), "%s vs %s", x.p, x.t);
	f = open_memstream(&out->sentence, &len);
	if (!f)
		return -ENOMEM;
	if (c->text)
		say_text(f, c->text, &x);
	else
		c->say(f, &x);
	if (fclose(f)) {
		out->sentence = NULL;
		return -ENOMEM;
	}
	out->number = strdup(x.ratio);
	if (!out->number)
		return -ENOMEM;
	out->process = p;
	out->thread = t;
	out->noisy = record_noisy(x.proc) || record_noisy(x.thr);
	interval(x.proc, x.thr, c->say == say_failure, out);
	return 0;
}

int summary_build(const struct results *results, struct summary *out)
{
	struct summary s = { 0 };
	int err = 0;

	s.claims = calloc(N_CANDIDATES, sizeof(*s.claims));
	if (!s.claims)
		return -ENOMEM;
	for (size_t i = 0; i < N_CANDIDATES && !err; i++) {
		const struct candidate *c = &candidates[i];
		struct claim *cl;
		size_t p, t;

		/* One entry per claim, the first candidate that matched. */
		if (s.n && !strcmp(s.claims[s.n - 1].claim, c->claim)) {
			if (s.claims[s.n - 1].sentence)
				continue;
			cl = &s.claims[s.n - 1];
		} else {
			cl = &s.claims[s.n++];
			cl->ratio = cl->low = cl->high = NAN;
			cl->claim = c->claim;
			cl->suite = c->suite;
			cl->process = cl->thread = SUMMARY_NONE;
		}
		p = find_pair(results, c, &t);
		if (p != SUMMARY_NONE)
			err = make_claim(results, c, p, t, cl);
	}
	if (err) {
		summary_free(&s);
		return err;
	}
	*out = s;
	return 0;
}

void summary_free(struct summary *summary)
{
	if (!summary)
		return;
	for (size_t i = 0; i < summary->n; i++) {
		free(summary->claims[i].sentence);
		free(summary->claims[i].number);
	}
	free(summary->claims);
	summary->claims = NULL;
	summary->n = 0;
}

const char *claim_interval(const struct claim *claim, char *buf, size_t len)
{
	char lo[32], hi[32];

	snprintf(buf, len, "[%s … %s]", times(claim->low, lo, sizeof(lo)),
		 times(claim->high, hi, sizeof(hi)));
	return buf;
}

void summary_print(const struct summary *summary, const struct term *term,
		   FILE *out)
{
	static const struct term plain = { 0 };
	size_t name_w = 0;

	if (!term)
		term = &plain;
	for (size_t i = 0; i < summary->n; i++)
		if (strlen(summary->claims[i].claim) > name_w)
			name_w = strlen(summary->claims[i].claim);
	fputs(term_sgr(term, STYLE_BOLD), out);
	fputs("Summary", out);
	fputs(term_sgr(term, STYLE_RESET), out);
	term_wrap(out, term,
		  ": processes over threads, the ratio of medians [its 95% "
		  "interval]",
		  7, 2);
	for (size_t i = 0; i < summary->n; i++) {
		const struct claim *c = &summary->claims[i];
		char line[256], r[32], range[96];

		if (!c->sentence) {
			snprintf(line, sizeof(line), "not measured (suite %s)",
				 c->suite);
		} else if (!isfinite(c->ratio)) {
			snprintf(line, sizeof(line), "%s  %s%s", c->number,
				 c->verdict, c->noisy ? " (noisy)" : "");
		} else {
			snprintf(line, sizeof(line), "%s %s %s%s",
				 times(c->ratio, r, sizeof(r)),
				 claim_interval(c, range, sizeof(range)),
				 c->verdict, c->noisy ? " (noisy)" : "");
		}
		fprintf(out, "  %s%-*s%s  ",
			c->noisy ? term_sgr(term, STYLE_DIM) : "", (int)name_w,
			c->claim, c->noisy ? term_sgr(term, STYLE_RESET) : "");
		term_wrap(out, term, line, name_w + 4, name_w + 4);
	}
}
