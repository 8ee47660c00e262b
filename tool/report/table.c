/* table.c - the human table: what `procthread bench` prints on stdout.
 *
 * One block per suite, in the order the cases ran. A block's heading names
 * the suite and the parameters every row of it shares, so the rows show
 * only what varies: the case, its other parameters, the kind, the median,
 * the half-width of the median's 95% interval, the slow end (p99 of a time
 * or size, p1 of a rate), and proc/thr: on the process row of a
 * thread/process pair, the process median over the thread median. The
 * same case measured by an established tool follows its row on a line of
 * its own ("peer stress-ng: 260 us, ours/peer 0.12"); a peer figure with
 * no case of ours beside it gets a row of its own. Columns empty in a
 * whole block are left out.
 *
 * The block fits the terminal's width (term/term.h): the parameters
 * column wraps onto continuation lines first; a line still too wide is cut
 * with an ellipsis, so that no line is wider than the width.
 */
#include "report/report.h"
#include "term/term.h"
#include "report/units.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	C_CASE, /* the case's name and the parameters that vary */
	C_KIND,
	C_MEDIAN,
	C_CI,
	C_SLOW,
	C_RATIO,
	C_FLAG,
	N_COLS
};

#define CELL	  128
#define CASE_ROOM 30 /* the narrowest case column before p99 goes */

static const char *const headers[N_COLS] = {
	[C_CASE] = "case", [C_KIND] = "kind", [C_MEDIAN] = "median",
	[C_CI] = "95% CI", [C_SLOW] = "p99",  [C_RATIO] = "proc/thr",
	[C_FLAG] = "",
};

/* Right-aligned columns: the numbers. */
static const bool right[N_COLS] = {
	[C_MEDIAN] = true,
	[C_CI] = true,
	[C_SLOW] = true,
	[C_RATIO] = true,
};

struct row {
	const struct record *rec;
	char cell[N_COLS][CELL];
	char peer[CELL * 2]; /* the peer's line under the row, or "" */
	bool noisy;
};

struct block {
	struct row *rows;
	size_t n;
	bool shared[64]; /* per parameter of rows[0]: the same in every row */
	bool show[N_COLS];
	size_t w[N_COLS];
	bool has_rate;
	bool slow_dropped; /* p99 left out to leave the case room */
};

/* The columns the shown cells take, with the gaps between them. */
static size_t total_width(const struct block *b)
{
	size_t total = 0, shown = 0;

	for (int c = 0; c < N_COLS; c++)
		if (b->show[c]) {
			total += b->w[c];
			shown++;
		}
	return total + 2 * (shown - 1);
}

/* The slow end of a record's samples: the 99th percentile of a cost, the
 * 1st of a rate (when the file has it; older files have only p99). */
static double slow_end(const struct record *rec)
{
	if (!report_unit_higher_is_better(rec->unit))
		return rec->stats.p99;
	return rec->stats.p1 > 0 ? rec->stats.p1 : NAN;
}

/* Whether parameter p of rec is the same in every row of b. */
static bool param_shared(const struct block *b, const struct param *p)
{
	char v[64], o[64];

	param_format(p, v, sizeof(v));
	for (size_t r = 0; r < b->n; r++) {
		const struct param *q = record_param(b->rows[r].rec, p->key);

		if (!q)
			return false;
		param_format(q, o, sizeof(o));
		if (strcmp(v, o) != 0)
			return false;
	}
	return true;
}

static bool is_shared(const struct block *b, const char *key)
{
	const struct record *first = b->rows[0].rec;

	for (size_t i = 0; i < first->n_params && i < 64; i++)
		if (!strcmp(first->params[i].key, key))
			return b->shared[i];
	return false;
}

/* The parameters as "key=value ..." (placement by its value alone),
 * leaving out cpus (placement says enough) and, with b, those its heading
 * shows. */
static void params_text(const struct record *rec, const struct block *b,
			bool want_shared, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < rec->n_params && used < len; i++) {
		const struct param *p = &rec->params[i];
		char value[64];

		if (!strcmp(p->key, "cpus") ||
		    is_shared(b, p->key) != want_shared)
			continue;
		format_param(p, value, sizeof(value));
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
static const struct record *twin(const struct results *res,
				 const struct record *rec, const char *kind)
{
	for (size_t i = 0; i < res->n_records; i++) {
		const struct record *o = &res->records[i];

		if (!strcmp(o->kind, kind) &&
		    record_same_case(rec, o, true, false))
			return o;
	}
	return NULL;
}

/* A peer record for our record rec. */
static const struct record *peer_of(const struct results *res,
				    const struct record *rec)
{
	for (size_t i = 0; i < res->n_records; i++) {
		const struct record *o = &res->records[i];

		if (o->peer && record_same_case(rec, o, false, true))
			return o;
	}
	return NULL;
}

/* Whether a peer record has a case of ours beside it. */
static bool has_ours(const struct results *res, const struct record *peer)
{
	for (size_t i = 0; i < res->n_records; i++) {
		const struct record *o = &res->records[i];

		if (!o->peer && record_same_case(peer, o, false, true))
			return true;
	}
	return false;
}

/* The half-width of the median's interval as a share of it. */
static void ci_text(const struct stats *s, char *buf, size_t len)
{
	double half = fmax(s->median - s->ci_low, s->ci_high - s->median);
	double share;

	buf[0] = '\0';
	if (s->median == 0 || !isfinite(half))
		return;
	share = 100 * half / fabs(s->median);
	if (share > 100)
		snprintf(buf, len, ">±100%%");
	else
		snprintf(buf, len, "±%.1f%%", share);
}

static void fill_row(const struct results *res, const struct block *b,
		     struct row *row)
{
	const struct record *rec = row->rec;
	const struct stats *s = &rec->stats;
	const struct record *thr, *peer = rec->peer ? NULL : peer_of(res, rec);
	char value[48], params[CELL], vs[48] = "";
	int n;

	params_text(rec, b, false, params, sizeof(params));
	n = snprintf(row->cell[C_CASE], CELL, "%s%s%s%s%s", rec->name,
		     rec->peer ? ", by " : "", rec->peer ? rec->peer : "",
		     *params ? " " : "", params);
	if (n >= CELL) /* cut: say so */
		memcpy(row->cell[C_CASE] + CELL - 4, "…", sizeof("…"));
	snprintf(row->cell[C_KIND], CELL, "%s", rec->kind);
	format_value(s->median, rec->unit, row->cell[C_MEDIAN], CELL);
	ci_text(s, row->cell[C_CI], CELL);
	if (isfinite(slow_end(rec)))
		format_value(slow_end(rec), rec->unit, row->cell[C_SLOW], CELL);
	thr = !strcmp(rec->kind, "process") ? twin(res, rec, "thread") : NULL;
	if (thr && thr->stats.median != 0)
		snprintf(row->cell[C_RATIO], CELL, "%.2fx",
			 s->median / thr->stats.median);
	if (peer) {
		if (peer->stats.median != 0)
			snprintf(vs, sizeof(vs), ", ours/peer %.2f",
				 s->median / peer->stats.median);
		snprintf(row->peer, sizeof(row->peer), "peer %s: %s%s",
			 peer->peer,
			 format_value(peer->stats.median, peer->unit, value,
				      sizeof(value)),
			 vs);
	}
	row->noisy = record_noisy(rec);
	if (row->noisy)
		snprintf(row->cell[C_FLAG], CELL, "noisy");
}

/* --- layout -------------------------------------------------------------- */

/* Fills b's shared parameters, its cells, which columns show and their
 * widths, the parameters column narrowed to fit term. */
static void lay_out(const struct results *res, struct block *b,
		    const struct term *term)
{
	const struct record *first = b->rows[0].rec;
	size_t total;

	for (size_t i = 0; i < first->n_params && i < 64; i++)
		b->shared[i] = b->n > 1 && param_shared(b, &first->params[i]);
	for (size_t r = 0; r < b->n; r++) {
		fill_row(res, b, &b->rows[r]);
		b->has_rate |=
			report_unit_higher_is_better(b->rows[r].rec->unit);
	}
	for (int c = 0; c < N_COLS; c++) {
		b->w[c] = term_columns(headers[c]);
		for (size_t r = 0; r < b->n; r++) {
			size_t w = term_columns(b->rows[r].cell[c]);

			b->show[c] |= w > 0;
			if (w > b->w[c])
				b->w[c] = w;
		}
	}
	/* Every row has a case and a kind; a lone row keeps its columns. */
	b->show[C_CASE] = b->show[C_KIND] = true;
	if (b->has_rate)
		b->w[C_SLOW] = b->w[C_SLOW] > 8 ? b->w[C_SLOW] : 8;
	total = total_width(b);
	/* A case column squeezed below CASE_ROOM wraps into a tower of short
	 * lines: the slow end goes first (the JSON keeps it). */
	if (term->width && b->show[C_SLOW] &&
	    total - b->w[C_CASE] + CASE_ROOM > term->width) {
		b->show[C_SLOW] = false;
		b->slow_dropped = true;
		total = total_width(b);
	}
	if (term->width && total > term->width) {
		size_t over = total - term->width, least = 16;

		b->w[C_CASE] = b->w[C_CASE] > least + over ? b->w[C_CASE] - over
							   : least;
	}
}

/* Cuts line to width columns, the last one an ellipsis. */
static void fit(char *line, unsigned width)
{
	size_t col = 0;

	if (!width || term_columns(line) <= width)
		return;
	for (char *p = line; *p; p++) {
		if (((unsigned char)*p & 0xc0) == 0x80)
			continue;
		if (++col == width) {
			/* within line: longer than width, in a buffer of
			 * many more bytes */
			memcpy(p, "…", sizeof("…"));
			return;
		}
	}
}

/* The next piece of a wrapped cell: up to w columns of text, broken at a
 * space where one fits. Advances *text past it and the space. */
static void take_piece(const char **text, size_t w, char *out, size_t len)
{
	const char *s = *text;
	size_t n = 0, col = 0, last_space = 0;

	while (s[n] && col < w && n + 4 < len) {
		if (s[n] == ' ')
			last_space = n;
		n++;
		while (((unsigned char)s[n] & 0xc0) == 0x80)
			n++;
		col++;
	}
	if (s[n] && last_space && s[n] != ' ')
		n = last_space;
	memcpy(out, s, n);
	out[n] = '\0';
	*text = s + n + (s[n] == ' ');
}

static size_t put_cell(char *line, size_t used, size_t cap, const char *text,
		       size_t w, bool align_right)
{
	int pad = (int)w - (int)term_columns(text);

	if (pad < 0)
		pad = 0;
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

/* Prints one row (or the header): cells, the parameters wrapped onto as
 * many lines as they need. */
static void print_row(FILE *out, const struct block *b,
		      const char (*cells)[CELL], const char *kind_sgr, bool dim,
		      const struct term *term)
{
	const char *rest = cells[C_CASE];
	bool first = true;

	do {
		char line[N_COLS * (CELL + 8) + 8], piece[CELL];
		size_t used = 0;

		/* Continuation lines of the case are indented by two. */
		piece[0] = piece[1] = ' ';
		take_piece(&rest, b->w[C_CASE] - (first ? 0 : 2),
			   piece + (first ? 0 : 2), sizeof(piece) - 2);
		for (int c = 0; c < N_COLS; c++) {
			const char *text = c == C_CASE ? piece
					   : first     ? cells[c]
						       : "";

			if (b->show[c])
				used = put_cell(line, used, sizeof(line), text,
						b->w[c], right[c]);
		}
		if (used >= sizeof(line))
			used = sizeof(line) - 1;
		while (used > 0 && line[used - 1] == ' ')
			used--;
		line[used] = '\0';
		fit(line, term->width);
		if (first && kind_sgr && *kind_sgr && !dim) {
			/* Colour the kind: print up to it, it, the rest. */
			size_t at = 0;

			for (int c = 0; c < C_KIND; c++)
				if (b->show[c])
					at += b->w[c] + 2;
			at = strlen(line) < at ? strlen(line) : at;
			fprintf(out, "%.*s%s%.*s%s%s\n", (int)at, line,
				kind_sgr, (int)b->w[C_KIND], line + at,
				term_sgr(term, STYLE_RESET),
				strlen(line) > at + b->w[C_KIND]
					? line + at + b->w[C_KIND]
					: "");
		} else {
			fprintf(out, "%s%s%s\n",
				dim ? term_sgr(term, STYLE_DIM) : "", line,
				dim ? term_sgr(term, STYLE_RESET) : "");
		}
		first = false;
	} while (*rest);
}

/* The peer's line under a row, indented past the case's own
 * continuation lines. */
static void print_peer(FILE *out, const char *text, const struct term *term)
{
	fputs("    ", out);
	term_wrap(out, term, text, 4, 6);
}

static void print_heading(FILE *out, const struct block *b,
			  const struct term *term)
{
	char shared[CELL * 2], text[CELL * 3];

	params_text(b->rows[0].rec, b, true, shared, sizeof(shared));
	snprintf(text, sizeof(text), "%s%s%s%s%s", b->rows[0].rec->suite,
		 *shared ? " (" : "", shared, *shared ? ")" : "",
		 b->slow_dropped ? " - p99 left out to fit the width"
		 : b->has_rate	 ? " - p99 is the slow end: of a rate, its 1st "
				   "percentile"
				 : "");
	fputs(term_sgr(term, STYLE_BOLD), out);
	term_wrap(out, term, text, 0, 2);
	fputs(term_sgr(term, STYLE_RESET), out);
}

static const char *kind_sgr(const struct term *term, const struct record *rec)
{
	if (!strcmp(rec->kind, "thread"))
		return term_sgr(term, STYLE_THREAD);
	if (!strcmp(rec->kind, "process"))
		return term_sgr(term, STYLE_PROCESS);
	return "";
}

static void print_block(FILE *out, const struct results *res, struct block *b,
			const struct term *term, bool gap)
{
	char head[N_COLS][CELL];

	lay_out(res, b, term);
	for (int c = 0; c < N_COLS; c++)
		snprintf(head[c], CELL, "%s", headers[c]);
	if (gap)
		fputc('\n', out);
	print_heading(out, b, term);
	print_row(out, b, (const char(*)[CELL])head, NULL, false, term);
	for (size_t r = 0; r < b->n; r++) {
		print_row(out, b, (const char(*)[CELL])b->rows[r].cell,
			  kind_sgr(term, b->rows[r].rec), b->rows[r].noisy,
			  term);
		if (b->rows[r].peer[0])
			print_peer(out, b->rows[r].peer, term);
	}
}

/* Prints text, which may be long, within term's width after prefix. */
static void print_wrapped(FILE *out, const struct term *term,
			  const char *prefix, const char *text)
{
	fputs(prefix, out);
	term_wrap(out, term, text, term_columns(prefix), term_columns(prefix));
}

static void print_header(const struct results *res, FILE *out,
			 const struct term *term)
{
	const struct results_machine *m = &res->machine;
	const struct results_config *c = &res->config;
	char text[1024];

	snprintf(text, sizeof(text), "procthread %s bench, profile %s, %s",
		 res->tool_version ? res->tool_version : "?",
		 c->profile ? c->profile : "?",
		 res->started_at ? res->started_at : "?");
	print_wrapped(out, term, "", text);
	snprintf(text, sizeof(text), "%s, %ld CPUs%s%s%s",
		 m->cpu_model ? m->cpu_model : "unknown CPU", m->cpus_online,
		 m->virtualised ? " (virtualised: " : "",
		 m->virtualised ? (m->hypervisor ? m->hypervisor : "?") : "",
		 m->virtualised ? ")" : "");
	print_wrapped(out, term, "machine: ", text);
	print_wrapped(out, term, "kernel: ", m->kernel ? m->kernel : "?");
	snprintf(text, sizeof(text),
		 "%.0f ns per read, %.0f ns resolution (%s); THP %s; load "
		 "%.2f at start, %.2f at end",
		 m->clock_cost_ns, m->clock_resolution_ns,
		 m->clocksource ? m->clocksource : "?", m->thp ? m->thp : "?",
		 m->loadavg_start[0], m->loadavg_end[0]);
	print_wrapped(out, term, "clock: ", text);
	if (c->cpus[0] >= 0 && c->cpus[1] >= 0)
		snprintf(text, sizeof(text),
			 "side A on CPU %d, side B on CPU %d (--pin %s)",
			 c->cpus[0], c->cpus[1], c->pin ? c->pin : "?");
	else if (c->cpus[0] >= 0)
		snprintf(text, sizeof(text), "everything on CPU %d (--pin %s)",
			 c->cpus[0], c->pin ? c->pin : "?");
	else
		snprintf(text, sizeof(text), "not pinned (--pin %s)",
			 c->pin ? c->pin : "none");
	print_wrapped(out, term, "placement: ", text);
	fputc('\n', out);
}

void report_table(const struct results *results, const struct term *term,
		  FILE *out)
{
	static const struct term plain = { 0 };
	struct row *rows = calloc(results->n_records + 1, sizeof(*rows));
	size_t n = 0;

	if (!term)
		term = &plain;
	print_header(results, out, term);
	if (!rows) {
		fputs("(out of memory printing the table)\n", out);
		return;
	}
	for (size_t i = 0; i < results->n_records; i++) {
		const struct record *rec = &results->records[i];

		if (rec->peer && has_ours(results, rec))
			continue;
		rows[n++].rec = rec;
	}
	/* One block per suite, each with its own column widths, so one
	 * suite's long parameters do not widen every other suite's table. */
	for (size_t start = 0, end; start < n; start = end) {
		struct block b = { .rows = rows + start };

		for (end = start + 1;
		     end < n &&
		     !strcmp(rows[end].rec->suite, rows[start].rec->suite);
		     end++)
			;
		b.n = end - start;
		print_block(out, results, &b, term, start > 0);
	}
	free(rows);
	if (results->n_notes)
		fputs("\nnotes:\n", out);
	for (size_t i = 0; i < results->n_notes; i++)
		print_wrapped(out, term, "  ", results->notes[i]);
}
