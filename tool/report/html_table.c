/* html_table.c - the numbers under each chart: every value the chart
 * draws, with its interval, p99 and sample count, and beside a process
 * figure its ratio to the thread figure, beside a peer's figure ours over
 * theirs - the same ratios the text table prints. */
#include "report/html.h"

#include "report/escape.h"
#include "report/report.h"
#include "report/units.h"

#include <string.h>

static void cell(FILE *out, const char *cls, const char *text)
{
	fprintf(out, "<td%s%s%s>", cls ? " class=\"" : "", cls ? cls : "",
		cls ? "\"" : "");
	xml_puts(out, text);
	fputs("</td>", out);
}

static void row(FILE *out, const struct chart_series *s, const char *where,
		const struct results *res, const struct html_pairs *pairs,
		size_t rec_index)
{
	const struct record *r = &res->records[rec_index];
	const struct record *other = NULL;
	bool ours_over_peer = r->peer != NULL;
	char v[64], lo[64], hi[64], buf[160];
	bool noisy = record_noisy(r);

	fprintf(out,
		"<tr%s><td><span class=\"key\" style=\"background:%s\">"
		"</span>",
		noisy ? " class=\"noisy\"" : "",
		s->style == SVG_LIMIT ? "#555" : svg_colour(s->colour));
	xml_puts(out, s->name);
	fputs("</td>", out);
	cell(out, NULL, where);
	cell(out, "num", format_value(r->stats.median, r->unit, v, sizeof(v)));
	snprintf(buf, sizeof(buf), "%s – %s",
		 format_value(r->stats.ci_low, r->unit, lo, sizeof(lo)),
		 format_value(r->stats.ci_high, r->unit, hi, sizeof(hi)));
	cell(out, "num", buf);
	cell(out, "num", format_value(r->stats.p99, r->unit, v, sizeof(v)));
	snprintf(buf, sizeof(buf), "%zu", r->stats.samples);
	cell(out, "num", buf);
	/* Beside a peer's figure, ours over theirs; beside a process
	 * figure, its ratio to the thread figure. */
	if (pairs->ours_of[rec_index] != RESULTS_NO_RECORD)
		other = &res->records[pairs->ours_of[rec_index]];
	else if (pairs->pair_of[rec_index] != RESULTS_NO_RECORD)
		other = &res->records[pairs->pair_of[rec_index]];
	buf[0] = '\0';
	if (other && other->stats.median != 0 && r->stats.median != 0) {
		if (ours_over_peer)
			snprintf(buf, sizeof(buf), "ours/peer %.2f",
				 other->stats.median / r->stats.median);
		else
			snprintf(buf, sizeof(buf), "proc/thr %.2f",
				 r->stats.median / other->stats.median);
	}
	cell(out, "num", buf);
	cell(out, NULL, noisy ? "noisy" : "");
	fputs("</tr>\n", out);
}

void html_chart_table(FILE *out, const struct chart *chart,
		      const struct results *results,
		      const struct html_pairs *pairs)
{
	const char *where = chart->shape == CHART_PLOT
				    ? param_label(chart->suite, chart->x_param)
				    : "case";
	char x[64];

	fputs("<table class=\"numbers\">\n<thead><tr><th>series</th><th>", out);
	xml_puts(out, where);
	fputs("</th><th>median</th><th>95% CI of the median</th><th>p99</th>"
	      "<th>samples</th><th>ratio</th><th></th></tr></thead>\n"
	      "<tbody>\n",
	      out);
	if (chart->shape == CHART_BARS) {
		for (size_t c = 0; c < chart->n_categories; c++)
			for (size_t s = 0; s < chart->n_series; s++)
				if (chart->series[s].recs[c] != CHART_NONE)
					row(out, &chart->series[s],
					    chart->categories[c], results,
					    pairs, chart->series[s].recs[c]);
	} else {
		for (size_t s = 0; s < chart->n_series; s++)
			for (size_t i = 0; i < chart->series[s].n; i++) {
				const struct record *r =
					&results->records[chart->series[s]
								  .recs[i]];
				const struct param *p =
					record_param(r, chart->x_param);

				fmt_tick(p->type == PARAM_INT ? (double)p->i
							      : p->real,
					 param_unit(chart->x_param), x,
					 sizeof(x));
				row(out, &chart->series[s], x, results, pairs,
				    chart->series[s].recs[i]);
			}
	}
	for (size_t i = 0; i < chart->n_line_recs; i++) {
		const struct record *r = &results->records[chart->line_recs[i]];
		const char *name = NULL;
		struct chart_series line = { .style = SVG_LIMIT };

		for (size_t k = 0; k < r->n_params && !name; k++)
			if (!strcmp(r->params[k].key, "transport") &&
			    r->params[k].type == PARAM_STR)
				name = r->params[k].str;
		line.name = (char *)(name ? name : r->name);
		row(out, &line, "level line", results, pairs,
		    chart->line_recs[i]);
	}
	fputs("</tbody></table>\n", out);
}
