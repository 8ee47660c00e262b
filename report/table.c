/* table.c - the human table: what `procthread bench` prints on stdout.
 *
 * One row per case of ours, in the order the cases ran, with its median,
 * the half-width of the median's 95% interval, the p99, and two
 * comparisons: P/T, on the process row of a thread/process pair, is the
 * process median over the thread median; PEER is the same case measured by
 * an established tool, with OURS/PEER. A peer figure with no case of ours
 * beside it gets a row of its own. Cells are built first so every column
 * can be as wide as its widest cell.
 */
#include "report/report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	C_SUITE,
	C_CASE,
	C_PARAMS,
	C_KIND,
	C_MEDIAN,
	C_CI,
	C_P99,
	C_RATIO,
	C_PEER,
	C_VS,
	C_FLAG,
	N_COLS
};

static const char *const headers[N_COLS] = { "suite",	  "case",     "params",
					     "kind",	  "median",   "95% CI",
					     "p99",	  "proc/thr", "peer",
					     "ours/peer", "" };

/* Right-aligned columns: the numbers. */
static const bool right[N_COLS] = {
	[C_MEDIAN] = true, [C_CI] = true,   [C_P99] = true,
	[C_RATIO] = true,  [C_PEER] = true, [C_VS] = true
};

struct row {
	char cell[N_COLS][96];
	const char *suite; /* a blank line goes between suites */
};

static void params_text(const struct pt_record *rec, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < rec->n_params && used < len; i++) {
		const struct pt_param *p = &rec->params[i];
		char value[64];

		/* cpus is in the JSON; placement says enough here. */
		if (!strcmp(p->key, "cpus"))
			continue;
		pt_format_param(p, value, sizeof(value));
		if (!strcmp(p->key, "placement"))
			used += (size_t)snprintf(buf + used, len - used, "%s%s",
						 used ? " " : "", value);
		else
			used += (size_t)snprintf(buf + used, len - used,
						 "%s%s=%s", used ? " " : "",
						 p->key, value);
	}
}

/* The record of the other kind of the same case (same peer-ness). */
static const struct pt_record *twin(const struct pt_results *res,
				    const struct pt_record *rec,
				    const char *kind)
{
	for (size_t i = 0; i < res->n_records; i++) {
		const struct pt_record *o = &res->records[i];

		if (!strcmp(o->kind, kind) &&
		    pt_record_same_case(rec, o, true, false))
			return o;
	}
	return NULL;
}

/* A peer record for our record rec. */
static const struct pt_record *peer_of(const struct pt_results *res,
				       const struct pt_record *rec)
{
	for (size_t i = 0; i < res->n_records; i++) {
		const struct pt_record *o = &res->records[i];

		if (o->peer && pt_record_same_case(rec, o, false, true))
			return o;
	}
	return NULL;
}

/* Whether a peer record has a case of ours beside it. */
static bool has_ours(const struct pt_results *res, const struct pt_record *peer)
{
	for (size_t i = 0; i < res->n_records; i++) {
		const struct pt_record *o = &res->records[i];

		if (!o->peer && pt_record_same_case(peer, o, false, true))
			return true;
	}
	return false;
}

static void fill_row(const struct pt_results *res, const struct pt_record *rec,
		     struct row *row)
{
	const struct pt_stats *s = &rec->stats;
	const struct pt_record *thr,
		*peer = rec->peer ? NULL : peer_of(res, rec);
	char value[48];
	double half;

	memset(row, 0, sizeof(*row));
	row->suite = rec->suite;
	snprintf(row->cell[C_SUITE], 96, "%s", rec->suite);
	snprintf(row->cell[C_CASE], 96, "%s", rec->name);
	params_text(rec, row->cell[C_PARAMS], 96);
	snprintf(row->cell[C_KIND], 96, "%s", rec->kind);
	pt_format_value(s->median, rec->unit, row->cell[C_MEDIAN], 96);
	half = fmax(s->median - s->ci_low, s->ci_high - s->median);
	if (s->median != 0 && isfinite(half))
		snprintf(row->cell[C_CI], 96, "±%.1f%%",
			 100 * half / fabs(s->median));
	pt_format_value(s->p99, rec->unit, row->cell[C_P99], 96);
	thr = !strcmp(rec->kind, "process") ? twin(res, rec, "thread") : NULL;
	if (thr && thr->stats.median != 0)
		snprintf(row->cell[C_RATIO], 96, "%.2fx",
			 s->median / thr->stats.median);
	if (peer) {
		snprintf(row->cell[C_PEER], 96, "%s %s",
			 pt_format_value(peer->stats.median, peer->unit, value,
					 sizeof(value)),
			 peer->peer);
		if (peer->stats.median != 0)
			snprintf(row->cell[C_VS], 96, "%.2f",
				 s->median / peer->stats.median);
	} else if (rec->peer) {
		snprintf(row->cell[C_PEER], 96, "(%s)", rec->peer);
	}
	if (pt_record_noisy(rec))
		snprintf(row->cell[C_FLAG], 96, "noisy");
}

/* Display width: the number of UTF-8 characters (the ± sign is two bytes
 * but one column). */
static size_t width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

/* Appends one cell, padded to w columns, to line. */
static size_t put_cell(char *line, size_t used, size_t cap, const char *text,
		       size_t w, bool align_right)
{
	int pad = (int)(w - width(text));

	if (used >= cap)
		return used;
	if (align_right)
		used += (size_t)snprintf(line + used, cap - used, "%*s%s  ",
					 pad, "", text);
	else
		used += (size_t)snprintf(line + used, cap - used, "%s%*s  ",
					 text, pad, "");
	return used;
}

/* Prints the cells as one line, without trailing blanks. */
static void print_line(FILE *out, char cells[][96], const size_t *w)
{
	char line[N_COLS * 100];
	size_t used = 0;

	for (int c = 0; c < N_COLS; c++)
		used = put_cell(line, used, sizeof(line), cells[c], w[c],
				right[c]);
	if (used >= sizeof(line))
		used = sizeof(line) - 1;
	while (used > 0 && line[used - 1] == ' ')
		used--;
	line[used] = '\0';
	fprintf(out, "%s\n", line);
}

/* Prints rows (one suite's) under a header line, with column widths of
 * their own; a blank line first when another block came before. */
static void print_block(FILE *out, struct row *rows, size_t n, bool gap)
{
	char head[N_COLS][96];
	size_t w[N_COLS];

	for (int c = 0; c < N_COLS; c++) {
		snprintf(head[c], sizeof(head[c]), "%s", headers[c]);
		w[c] = width(headers[c]);
		for (size_t r = 0; r < n; r++)
			if (width(rows[r].cell[c]) > w[c])
				w[c] = width(rows[r].cell[c]);
	}
	if (gap)
		fputc('\n', out);
	print_line(out, head, w);
	for (size_t r = 0; r < n; r++)
		print_line(out, rows[r].cell, w);
}

static void print_header(const struct pt_results *res, FILE *out)
{
	const struct pt_machine *m = &res->machine;
	const struct pt_config *c = &res->config;

	fprintf(out, "procthread %s bench, profile %s, %s\n",
		res->tool_version ? res->tool_version : "?",
		c->profile ? c->profile : "?",
		res->started_at ? res->started_at : "?");
	fprintf(out, "machine: %s, %ld CPUs%s%s%s, %s\n",
		m->cpu_model ? m->cpu_model : "unknown CPU", m->cpus_online,
		m->virtualised ? " (virtualised: " : "",
		m->virtualised ? (m->hypervisor ? m->hypervisor : "?") : "",
		m->virtualised ? ")" : "", m->kernel ? m->kernel : "?");
	fprintf(out,
		"clock: %.0f ns per read, %.0f ns resolution (%s); THP %s; "
		"load %.2f at start, %.2f at end\n",
		m->clock_cost_ns, m->clock_resolution_ns,
		m->clocksource ? m->clocksource : "?", m->thp ? m->thp : "?",
		m->loadavg_start[0], m->loadavg_end[0]);
	if (c->cpus[0] >= 0 && c->cpus[1] >= 0)
		fprintf(out,
			"placement: side A on CPU %d, side B on CPU %d "
			"(--pin %s)\n",
			c->cpus[0], c->cpus[1], c->pin ? c->pin : "?");
	else if (c->cpus[0] >= 0)
		fprintf(out, "placement: everything on CPU %d (--pin %s)\n",
			c->cpus[0], c->pin ? c->pin : "?");
	else
		fprintf(out, "placement: not pinned (--pin %s)\n",
			c->pin ? c->pin : "none");
	fputc('\n', out);
}

void pt_report_table(const struct pt_results *res, FILE *out)
{
	struct row *rows = calloc(res->n_records + 1, sizeof(*rows));
	size_t n = 0;

	print_header(res, out);
	if (!rows) {
		fputs("(out of memory printing the table)\n", out);
		return;
	}
	for (size_t i = 0; i < res->n_records; i++) {
		const struct pt_record *rec = &res->records[i];

		if (rec->peer && has_ours(res, rec))
			continue;
		fill_row(res, rec, &rows[n++]);
	}
	/* One block per suite, each with its own column widths, so one
	 * suite's long parameters do not widen every other suite's table. */
	for (size_t start = 0, end; start < n; start = end) {
		for (end = start + 1;
		     end < n && !strcmp(rows[end].suite, rows[start].suite);
		     end++)
			;
		print_block(out, rows + start, end - start, start > 0);
	}
	free(rows);
	if (res->n_notes)
		fputs("\nnotes:\n", out);
	for (size_t i = 0; i < res->n_notes; i++)
		fprintf(out, "  %s\n", res->notes[i]);
}
