/* html.h - the report: one self-contained HTML page per results file.
 *
 * The page holds everything it shows - styles inline, charts as inline SVG
 * (report/svg.h), no script, font, image or link to anything outside it -
 * so it can be mailed, archived and opened offline years later. From the
 * top: the summary (report/summary.h, claim by claim), one section per
 * suite in the file with its charts (report/charts.h), each followed by
 * the numbers it draws, and the machine and configuration the run had.
 */
#ifndef TOOL_REPORT_HTML_H
#define TOOL_REPORT_HTML_H

#include "report/charts.h"
#include "results/results.h"

#include <stdio.h>

/* Writes the page for results to out; source names the results file in
 * the page (may be NULL). Returns 0, -ENOMEM, or -EIO when writing
 * failed. */
int report_html(const struct results *results, const char *source, FILE *out);

/* Writes the page to path ("-": stdout) through a temporary file renamed
 * into place, so a failed run never leaves half a page. Returns 0, or
 * -errno with a one-line message naming path in err. */
int report_html_write(const struct results *results, const char *source,
		      const char *path, char *err, size_t err_len);

/* Each record's counterparts (results_counterparts()), found once. */
struct html_pairs {
	size_t *pair_of, *ours_of;
};

/* The table of numbers under a chart (html_table.c). */
void html_chart_table(FILE *out, const struct chart *chart,
		      const struct results *results,
		      const struct html_pairs *pairs);

#endif
