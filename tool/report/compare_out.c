/* compare_out.c - a comparison as people read it (an aligned table under a
 * header naming both runs) and as tools read it (JSON). */
#include "report/compare.h"

#include "report/report.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum {
	C_SUITE,
	C_CASE,
	C_PARAMS,
	C_KIND,
	C_BASE,
	C_NEW,
	C_RATIO,
	C_VERDICT,
	N_COLS
};

struct row {
	char cell[N_COLS][160];
	const char *sgr; /* the row's colour: its verdict, or dimmed */
};

/* "impl=raw stack=64K same-cpu", as the bench table writes parameters. */
static void params_text(const struct record *r, char *buf, size_t len)
{
	size_t used = 0;
	char v[96];

	buf[0] = '\0';
	for (size_t i = 0; i < r->n_params && used < len; i++) {
		const struct param *p = &r->params[i];
		int n;

		if (!strcmp(p->key, "cpus"))
			continue;
		format_param(p, v, sizeof(v));
		n = !strcmp(p->key, "placement")
			    ? snprintf(buf + used, len - used, "%s%s",
				       used ? " " : "", v)
			    : snprintf(buf + used, len - used, "%s%s=%s",
				       used ? " " : "", p->key, v);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

static void who(const struct record *r, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s", r->kind, r->peer ? " (" : "",
		 r->peer ? r->peer : "", r->peer ? ")" : "");
}

static void describe_run(FILE *out, const char *label, const struct results *r,
			 const char *name)
{
	fprintf(out,
		"%s %s: %s %s, started %s, %s, %ld CPUs, kernel %s, load "
		"%.2f at the start%s\n",
		label, name, r->tool_name, r->tool_version, r->started_at,
		r->machine.cpu_model, r->machine.cpus_online, r->machine.kernel,
		r->machine.loadavg_start[0], r->machine.busy ? " (busy)" : "");
}

static bool str_differ(const char *a, const char *b)
{
	return (!a || !b) ? a != b : strcmp(a, b) != 0;
}

static void print_rows(FILE *out, const struct row *rows, size_t n,
		       const struct term *term)
{
	size_t width[N_COLS] = { 0 };

	for (size_t i = 0; i < n; i++)
		for (int c = 0; c < N_COLS; c++)
			if (strlen(rows[i].cell[c]) > width[c])
				width[c] = strlen(rows[i].cell[c]);
	for (size_t i = 0; i < n; i++) {
		const char *sgr = rows[i].sgr ? rows[i].sgr : "";

		fputs(sgr, out);
		for (int c = 0; c < N_COLS; c++) {
			bool right = c == C_BASE || c == C_NEW || c == C_RATIO;

			/* The last column unpadded: no trailing blanks. */
			fprintf(out, right ? "%*s" : "%-*s",
				c + 1 < N_COLS ? (int)width[c] : 0,
				rows[i].cell[c]);
			if (c + 1 < N_COLS)
				fputs("  ", out);
		}
		fprintf(out, "%s\n", *sgr ? term_sgr(term, STYLE_RESET) : "");
	}
}

static void fill_row(struct row *row, const struct record *a,
		     const struct record *b, const struct case_diff *d,
		     const struct term *term)
{
	bool noisy = record_noisy(a) || record_noisy(b);

	/* worse in red, better in green, a noisy case (never counted)
	 * dimmed */
	row->sgr = noisy			  ? term_sgr(term, STYLE_DIM)
		   : d->verdict == VERDICT_WORSE  ? term_sgr(term, STYLE_WORSE)
		   : d->verdict == VERDICT_BETTER ? term_sgr(term, STYLE_BETTER)
						  : NULL;
	snprintf(row->cell[C_SUITE], sizeof(row->cell[0]), "%s", a->suite);
	snprintf(row->cell[C_CASE], sizeof(row->cell[0]), "%s", a->name);
	params_text(a, row->cell[C_PARAMS], sizeof(row->cell[0]));
	who(a, row->cell[C_KIND], sizeof(row->cell[0]));
	format_value(a->stats.median, a->unit, row->cell[C_BASE],
		     sizeof(row->cell[0]));
	format_value(b->stats.median, b->unit, row->cell[C_NEW],
		     sizeof(row->cell[0]));
	if (isfinite(d->ratio))
		snprintf(row->cell[C_RATIO], sizeof(row->cell[0]), "%.3f",
			 d->ratio);
	else
		snprintf(row->cell[C_RATIO], sizeof(row->cell[0]), "-");
	snprintf(row->cell[C_VERDICT], sizeof(row->cell[0]), "%s%s",
		 d->verdict == VERDICT_WORSE	? "WORSE"
		 : d->verdict == VERDICT_BETTER ? "better"
						: verdict_name(d->verdict),
		 noisy ? " (noisy)" : "");
}

/* The cases of one run only, aligned as the table is. */
static int print_only(FILE *out, const char *name, const struct results *r,
		      const size_t *idx, size_t n)
{
	struct row *rows;
	size_t width[C_KIND + 1] = { 0 };

	if (!n)
		return 0;
	rows = calloc(n, sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct record *rec = &r->records[idx[i]];

		snprintf(rows[i].cell[C_SUITE], sizeof(rows[i].cell[0]), "%s",
			 rec->suite);
		snprintf(rows[i].cell[C_CASE], sizeof(rows[i].cell[0]), "%s",
			 rec->name);
		params_text(rec, rows[i].cell[C_PARAMS],
			    sizeof(rows[i].cell[0]));
		who(rec, rows[i].cell[C_KIND], sizeof(rows[i].cell[0]));
		for (int c = 0; c <= C_KIND; c++)
			if (strlen(rows[i].cell[c]) > width[c])
				width[c] = strlen(rows[i].cell[c]);
	}
	fprintf(out, "\nonly in %s (%zu):\n", name, n);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "  %-*s  %-*s  %-*s  %s\n", (int)width[C_SUITE],
			rows[i].cell[C_SUITE], (int)width[C_CASE],
			rows[i].cell[C_CASE], (int)width[C_PARAMS],
			rows[i].cell[C_PARAMS], rows[i].cell[C_KIND]);
	free(rows);
	return 0;
}

int compare_print(FILE *out, const struct comparison *cmp,
		  const struct results *base, const char *base_name,
		  const struct results *next, const char *next_name,
		  const struct term *term)
{
	struct row *rows = calloc(cmp->n_cases + 1, sizeof(*rows));
	size_t same = 0, small = 0, drift = 0, worse_peer = 0, worse_noisy = 0;

	if (!rows)
		return -ENOMEM;
	describe_run(out, "base", base, base_name);
	describe_run(out, "new ", next, next_name);
	if (str_differ(base->machine.cpu_model, next->machine.cpu_model) ||
	    base->machine.cpus_online != next->machine.cpus_online ||
	    str_differ(base->machine.kernel, next->machine.kernel))
		fputs("note: the runs come from different machines or "
		      "kernels; figures may differ for that reason alone\n",
		      out);
	if (base->machine.busy || next->machine.busy)
		fputs("note: a run started on a busy machine; its figures may "
		      "differ from another run's by more than their intervals "
		      "say\n",
		      out);
	if (str_differ(base->tool_version, next->tool_version))
		fputs("note: the runs come from different procthread "
		      "versions\n",
		      out);
	if (str_differ(base->config.profile, next->config.profile))
		fprintf(out, "note: different profiles (%s, %s)\n",
			base->config.profile, next->config.profile);
	fprintf(out,
		"a case is worse or better only when the 95%% intervals of its "
		"medians do not overlap, its median moved by more than the "
		"threshold (%.1f%%), and by more than the run-to-run drift "
		"allows (%.0f times the typical shift of all cases, %.1f%%: "
		"%.1f%%)\n\n",
		100 * cmp->threshold, COMPARE_DRIFT_K, 100 * expm1(cmp->drift),
		100 * cmp->drift_bound);
	strcpy(rows[0].cell[C_SUITE], "suite");
	strcpy(rows[0].cell[C_CASE], "case");
	strcpy(rows[0].cell[C_PARAMS], "params");
	strcpy(rows[0].cell[C_KIND], "kind");
	strcpy(rows[0].cell[C_BASE], "base");
	strcpy(rows[0].cell[C_NEW], "new");
	strcpy(rows[0].cell[C_RATIO], "new/base");
	strcpy(rows[0].cell[C_VERDICT], "verdict");
	for (size_t i = 0; i < cmp->n_cases; i++) {
		const struct case_diff *d = &cmp->cases[i];
		const struct record *a = &base->records[d->base];

		fill_row(&rows[i + 1], a, &next->records[d->next], d, term);
		same += d->verdict == VERDICT_SAME;
		small += d->verdict == VERDICT_SMALL;
		drift += d->verdict == VERDICT_DRIFT;
		worse_peer += a->peer && d->verdict == VERDICT_WORSE;
		worse_noisy +=
			!a->peer && d->noisy && d->verdict == VERDICT_WORSE;
	}
	print_rows(out, rows, cmp->n_cases + 1, term);
	free(rows);
	if (print_only(out, base_name, base, cmp->only_base,
		       cmp->n_only_base) ||
	    print_only(out, next_name, next, cmp->only_next, cmp->n_only_next))
		return -ENOMEM;
	fprintf(out,
		"\n%zu cases compared: %zu worse, %zu better, %zu within the "
		"drift, %zu within the threshold, %zu within the noise",
		cmp->n_cases, cmp->regressions, cmp->improvements, drift, small,
		same);
	if (worse_noisy)
		fprintf(out, "; %zu noisy cases worse (not counted)",
			worse_noisy);
	if (worse_peer)
		fprintf(out, "; %zu peer figures worse (not counted)",
			worse_peer);
	fprintf(out, "; %zu only in base, %zu only in new\n", cmp->n_only_base,
		cmp->n_only_next);
	return ferror(out) ? -EIO : 0;
}

/* --- JSON ------------------------------------------------------------- */

static json_t *params_json(const struct record *r)
{
	json_t *o = json_object();

	for (size_t i = 0; o && i < r->n_params; i++) {
		const struct param *p = &r->params[i];
		json_t *v = p->type == PARAM_STR   ? json_string(p->str)
			    : p->type == PARAM_INT ? json_integer(p->i)
						   : json_real(p->real);

		json_object_set_new(o, p->key, v);
	}
	return o;
}

static json_t *case_json(const struct record *r)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:s}", "suite", r->suite,
			      "name", r->name, "kind", r->kind, "params",
			      params_json(r), "unit", r->unit);

	if (o && r->peer)
		json_object_set_new(o, "peer", json_string(r->peer));
	return o;
}

static json_t *figure_json(const struct record *r)
{
	return json_pack("{s:f, s:f, s:f, s:I, s:b}", "median", r->stats.median,
			 "ci_low", r->stats.ci_low, "ci_high", r->stats.ci_high,
			 "samples", (json_int_t)r->stats.samples, "noisy",
			 record_noisy(r));
}

static json_t *run_json(const struct results *r, const char *name)
{
	return json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:I, s:s?, s:f, s:b}",
			 "file", name, "version", r->tool_version, "started_at",
			 r->started_at, "cpu_model", r->machine.cpu_model,
			 "kernel", r->machine.kernel, "cpus_online",
			 (json_int_t)r->machine.cpus_online, "profile",
			 r->config.profile, "loadavg_start",
			 r->machine.loadavg_start[0], "busy", r->machine.busy);
}

static json_t *only_json(const struct results *r, const size_t *idx, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, case_json(&r->records[idx[i]]));
	return a;
}

int compare_json(FILE *out, const struct comparison *cmp,
		 const struct results *base, const char *base_name,
		 const struct results *next, const char *next_name)
{
	json_t *cases = json_array(), *root;
	int rc = 0;

	for (size_t i = 0; cases && i < cmp->n_cases; i++) {
		const struct case_diff *d = &cmp->cases[i];
		json_t *c = case_json(&base->records[d->base]);

		if (!c)
			break;
		json_object_set_new(c, "base",
				    figure_json(&base->records[d->base]));
		json_object_set_new(c, "new",
				    figure_json(&next->records[d->next]));
		json_object_set_new(c, "ratio",
				    isfinite(d->ratio) ? json_real(d->ratio)
						       : json_null());
		json_object_set_new(c, "beyond_noise",
				    json_boolean(d->beyond_noise));
		json_object_set_new(c, "beyond_threshold",
				    json_boolean(d->beyond_threshold));
		json_object_set_new(c, "beyond_drift",
				    json_boolean(d->beyond_drift));
		json_object_set_new(c, "noisy", json_boolean(d->noisy));
		json_object_set_new(c, "verdict",
				    json_string(verdict_name(d->verdict)));
		json_array_append_new(cases, c);
	}
	root = json_pack("{s:s, s:o, s:o, s:f, s:f, s:f, s:o, s:o, s:o, s:I, "
			 "s:I}",
			 "schema", "procthread-compare/1", "base",
			 run_json(base, base_name), "new",
			 run_json(next, next_name), "threshold", cmp->threshold,
			 "drift", expm1(cmp->drift), "drift_bound",
			 cmp->drift_bound, "cases", cases, "only_in_base",
			 only_json(base, cmp->only_base, cmp->n_only_base),
			 "only_in_new",
			 only_json(next, cmp->only_next, cmp->n_only_next),
			 "regressions", (json_int_t)cmp->regressions,
			 "improvements", (json_int_t)cmp->improvements);
	if (!root)
		return -ENOMEM;
	if (json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER))
		rc = -EIO;
	fputc('\n', out);
	json_decref(root);
	return rc || ferror(out) ? -EIO : 0;
}
