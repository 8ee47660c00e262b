/* html.c - the report page (see html.h): the frame, the summary, the
 * suite sections and the machine section. Everything that comes from the
 * results file is escaped (report/escape.h), so a file can put text on the
 * page but never markup or a reference to anything outside it. */
#include "report/html.h"

#include "report/charts.h"
#include "report/escape.h"
#include "report/report.h"
#include "report/summary.h"

#include <procthread/error.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char style[] =
	"body{font-family:system-ui,sans-serif;margin:0 auto;max-width:62em;"
	"padding:1em 1.5em;color:#1a1a1a;line-height:1.45}\n"
	"h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:2em;"
	"border-bottom:2px solid #ddd;padding-bottom:.2em}\n"
	".sub{color:#555;margin-top:0}\n"
	"nav a{margin-right:1em}\n"
	"table{border-collapse:collapse;margin:.6em 0 1.6em;font-size:.9em}\n"
	"th,td{padding:.25em .6em;border-bottom:1px solid #e5e5e5;"
	"text-align:left;vertical-align:top}\n"
	"th{background:#f4f4f4}td.num{text-align:right;"
	"font-variant-numeric:tabular-nums;white-space:nowrap}\n"
	"table.summary td.number small{font-size:0.6em;font-weight:normal;"
	"color:#555}\n"
	"table.summary td.number{font-size:1.4em;font-weight:bold;"
	"white-space:nowrap;text-align:right}\n"
	"tr.noisy td{color:#8a5a00}\n"
	".key{display:inline-block;width:.8em;height:.8em;margin-right:.4em;"
	"border-radius:2px}\n"
	"figure{margin:1.5em 0}svg.chart{width:100%;max-width:760px;"
	"height:auto;display:block}\n"
	"figcaption{color:#444;font-size:.9em;margin:.4em 0}\n"
	"details{margin:.2em 0 1.2em}summary{cursor:pointer;color:#0b5394}\n"
	"h3.facts{font-size:1em;margin:1.2em 0 .2em}\n"
	".warn{background:#fff4d6;border-left:4px solid #e69f00;"
	"padding:.5em 1em}\n"
	".missing{color:#777}\n"
	"footer{margin-top:3em;color:#666;font-size:.85em}\n";

static void h(FILE *out, const char *s)
{
	xml_puts(out, s);
}

static void head(FILE *out, const struct results *res)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	      "<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, "
	      "initial-scale=1\">\n<title>procthread results: ",
	      out);
	h(out, res->machine.cpu_model);
	fputs(", ", out);
	h(out, res->started_at);
	fprintf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", style);
	fputs("<header>\n<h1>Threads or processes, on this machine</h1>\n"
	      "<p class=\"sub\">",
	      out);
	h(out, res->tool_name);
	fputs(" ", out);
	h(out, res->tool_version);
	fputs(" · profile ", out);
	h(out, res->config.profile);
	fputs(" · started ", out);
	h(out, res->started_at);
	fputs(" · ", out);
	h(out, res->machine.cpu_model);
	fprintf(out, ", %ld CPUs</p>\n</header>\n", res->machine.cpus_online);
}

/* The suites of the file in the order they first appear (a handful, so
 * one pass over the records with a short list). Returns the number, or
 * -ENOMEM; *out is malloc'd and borrows the records' strings. */
static ssize_t suite_list(const struct results *res, const char ***out)
{
	const char **list = NULL;
	size_t n = 0;

	for (size_t i = 0; i < res->n_records; i++) {
		const char *suite = res->records[i].suite;
		size_t k = n;

		/* Most records follow one of their own suite: look back. */
		while (k > 0 && strcmp(list[k - 1], suite) != 0)
			k--;
		if (k > 0)
			continue;
		const char **grown = realloc(list, (n + 1) * sizeof(*grown));

		if (!grown) {
			free(list);
			return -ENOMEM;
		}
		list = grown;
		list[n++] = suite;
	}
	*out = list;
	return (ssize_t)n;
}

static void nav(FILE *out, const char *const *suite_names, size_t n_suites)
{
	fputs("<nav><a href=\"#summary\">Summary</a>", out);
	for (size_t i = 0; i < n_suites; i++) {
		fputs("<a href=\"#suite-", out);
		h(out, suite_names[i]);
		fputs("\">", out);
		h(out, suite_names[i]);
		fputs("</a>", out);
	}
	fputs("<a href=\"#machine\">Machine and configuration</a></nav>\n",
	      out);
}

static void summary(FILE *out, const struct results *res,
		    const struct summary *sum, const struct charts *ch)
{
	fputs("<section id=\"summary\">\n<h2>Summary</h2>\n"
	      "<p>What processes cost over threads here, claim by claim. "
	      "Each number is the process figure over the thread figure "
	      "(thread over process for rates), so above 1× processes are "
	      "dearer; it is a ratio of medians from this run, and under it "
	      "the ratio's 95% interval (from the two medians' intervals). "
	      "For failure, it is the survivors of each kind.</p>\n",
	      out);
	if (res->machine.busy)
		fputs("<p class=\"warn\">The machine was busy when the run "
		      "started: the figures may be noisier than usual.</p>\n",
		      out);
	fputs("<table class=\"summary\">\n<thead><tr><th>claim</th>"
	      "<th>on this machine</th><th>number</th></tr></thead>\n"
	      "<tbody>\n",
	      out);
	for (size_t i = 0; i < sum->n; i++) {
		const struct claim *c = &sum->claims[i];
		const struct chart *chart =
			c->process != SUMMARY_NONE ? charts_find(ch, c->process)
						   : NULL;

		fputs("<tr><td>", out);
		h(out, c->claim);
		fputs("</td><td>", out);
		if (!c->sentence) {
			fputs("<span class=\"missing\">Not in this results "
			      "file: run <code>procthread bench ",
			      out);
			h(out, c->suite);
			fputs("</code>.</span></td><td></td></tr>\n", out);
			continue;
		}
		h(out, c->sentence);
		if (c->noisy)
			fputs(" <em>(noisy: the intervals are wide)</em>", out);
		if (chart) {
			fputs(" <a href=\"#", out);
			h(out, chart->id);
			fputs("\">chart</a>", out);
		}
		fputs("</td><td class=\"number\">", out);
		h(out, c->number);
		if (isfinite(c->low) && isfinite(c->high)) {
			char range[96];

			fputs("<br><small>", out);
			h(out, claim_interval(c, range, sizeof(range)));
			fputs("</small>", out);
		}
		fputs("</td></tr>\n", out);
	}
	fputs("</tbody></table>\n</section>\n", out);
}

/* A `procthread try` run (profile "try") measured the user's task, not the
 * claims: its summary is the verdict and the break-even, which the run
 * kept among its notes. */
static bool is_try_run(const struct results *res)
{
	return res->config.profile && !strcmp(res->config.profile, "try");
}

static void try_summary(FILE *out, const struct results *res)
{
	fputs("<section id=\"summary\">\n<h2>Verdict</h2>\n"
	      "<p>Your task, run in a thread pool and in a process pool "
	      "side by side (<code>procthread try</code>).</p>\n",
	      out);
	for (size_t i = 0; i < res->n_notes; i++) {
		if (strncmp(res->notes[i], "verdict: ", 9) != 0 &&
		    strncmp(res->notes[i], "break-even: ", 12) != 0)
			continue;
		fputs("<p>", out);
		h(out, res->notes[i]);
		fputs("</p>\n", out);
	}
	fputs("</section>\n", out);
}

/* Every record the chart shows has all its samples equal: survivors,
 * work lost. Such facts are a table; as lines they overlapped. */
static bool deterministic(const struct chart *chart, const struct results *res)
{
	for (size_t s = 0; s < chart->n_series; s++)
		for (size_t i = 0; i < chart->series[s].n; i++) {
			size_t rec = chart->series[s].recs[i];

			if (rec != CHART_NONE &&
			    res->records[rec].stats.min !=
				    res->records[rec].stats.max)
				return false;
		}
	return chart->n_series > 0;
}

/* The caption says what the marks of this chart mean, and only those it
 * has. */
static void caption(FILE *out, const struct chart *chart,
		    const struct results *res)
{
	bool peers = false, limits = chart->n_line_recs > 0, shapes = false;
	bool sparse = false;

	for (size_t s = 0; s < chart->n_series; s++) {
		const struct chart_series *se = &chart->series[s];
		size_t points = 0;

		peers |= se->style == SVG_PEER;
		limits |= se->style == SVG_LIMIT;
		shapes |= se->marker != 0;
		for (size_t i = 0; i < se->n; i++)
			points += se->recs[i] != CHART_NONE;
		sparse |= chart->shape == CHART_PLOT &&
			  se->style != SVG_LIMIT && points < 3;
	}
	for (size_t r = 0; r < chart->n_rules; r++)
		limits |= chart->rules[r].style == SVG_LIMIT;
	fputs("<figcaption>", out);
	if (chart->caption) {
		h(out, chart->caption);
		fputc(' ', out);
	}
	fputs(chart->shape == CHART_BARS
		      ? "Each mark is a median, its whisker the 95% confidence "
			"interval; bars start at zero on a linear axis, and on "
			"a logarithmic one medians are dots. "
		      : "Points are medians, whiskers their 95% confidence "
			"intervals. ",
	      out);
	(void)res;
	fputs("Blue is threads, orange processes.", out);
	if (shapes)
		fputs(" The marker's shape is the transport or "
		      "implementation.",
		      out);
	if (peers)
		fputs(" Hollow markers are peer tools' figures.", out);
	if (limits)
		fputs(" Grey dashed lines are physical limits.", out);
	if (sparse)
		fputs(" A series of fewer than three points is not joined by "
		      "lines.",
		      out);
	fputs("</figcaption>\n", out);
}

static size_t table_rows(const struct chart *chart)
{
	size_t n = chart->n_line_recs;

	for (size_t s = 0; s < chart->n_series; s++)
		for (size_t i = 0; i < chart->series[s].n; i++)
			n += chart->series[s].recs[i] != CHART_NONE;
	return n;
}

/* One chart: its SVG, caption and numbers folded under it; or, for
 * figures without spread, the table alone, open. */
static int chart_figure(FILE *out, const struct chart *chart,
			const struct results *res,
			const struct html_pairs *pairs)
{
	int err = 0;

	fputs("<figure>\n", out);
	if (deterministic(chart, res)) {
		fputs("<h3 class=\"facts\" id=\"", out);
		h(out, chart->id);
		fputs("\">", out);
		h(out, chart->title);
		fputs("</h3>\n<figcaption>Every sample of these figures was "
		      "the same: they are facts, not measurements with a "
		      "spread, so they are a table, not a "
		      "chart.</figcaption>\n",
		      out);
		html_chart_table(out, chart, res, pairs);
		fputs("</figure>\n", out);
		return 0;
	}
	err = chart_draw(out, chart, res);
	caption(out, chart, res);
	fprintf(out, "<details><summary>Numbers (%zu rows)</summary>\n",
		table_rows(chart));
	html_chart_table(out, chart, res, pairs);
	fputs("</details>\n</figure>\n", out);
	return err;
}

static int suites(FILE *out, const struct results *res, const struct charts *ch,
		  const char *const *suite_names, size_t n_suites,
		  const struct html_pairs *pairs)
{
	int err = 0;

	for (size_t i = 0; i < n_suites && !err; i++) {
		const char *suite = suite_names[i];

		fputs("<section id=\"suite-", out);
		h(out, suite);
		fputs("\">\n<h2>Suite ", out);
		h(out, suite);
		fputs("</h2>\n", out);
		for (size_t c = 0; c < ch->n && !err; c++) {
			const struct chart *chart = &ch->charts[c];

			if (strcmp(chart->suite, suite) != 0)
				continue;
			err = chart_figure(out, chart, res, pairs);
		}
		fputs("</section>\n", out);
	}
	return err;
}

static void dl_row(FILE *out, const char *key, const char *value)
{
	fputs("<tr><th>", out);
	h(out, key);
	fputs("</th><td>", out);
	h(out, value ? value : "-");
	fputs("</td></tr>\n", out);
}

static void machine(FILE *out, const struct results *res, const char *source)
{
	const struct results_machine *m = &res->machine;
	const struct results_config *c = &res->config;
	char buf[256], v[64];

	fputs("<section id=\"machine\">\n<h2>Machine and configuration</h2>\n"
	      "<table class=\"machine\">\n",
	      out);
	dl_row(out, "CPU", m->cpu_model);
	snprintf(buf, sizeof(buf), "%ld online, %ld allowed to this run",
		 m->cpus_online, m->cpus_allowed);
	dl_row(out, "CPUs", buf);
	dl_row(out, "memory",
	       format_value((double)m->memory_bytes, "bytes", v, sizeof(v)));
	dl_row(out, "architecture", m->arch);
	dl_row(out, "kernel", m->kernel);
	snprintf(buf, sizeof(buf), "%s%s%s", m->virtualised ? "yes" : "no",
		 m->virtualised && m->hypervisor ? ", " : "",
		 m->virtualised && m->hypervisor ? m->hypervisor : "");
	dl_row(out, "virtualised", buf);
	dl_row(out, "clock source", m->clocksource);
	snprintf(buf, sizeof(buf), "%.1f ns per read, %.1f ns resolution",
		 m->clock_cost_ns, m->clock_resolution_ns);
	dl_row(out, "clock", buf);
	dl_row(out, "transparent huge pages", m->thp);
	snprintf(buf, sizeof(buf),
		 "%.2f %.2f %.2f at the start, %.2f %.2f %.2f at the end%s",
		 m->loadavg_start[0], m->loadavg_start[1], m->loadavg_start[2],
		 m->loadavg_end[0], m->loadavg_end[1], m->loadavg_end[2],
		 m->busy ? " (busy)" : "");
	dl_row(out, "load average", buf);
	snprintf(buf, sizeof(buf), "%s %s", res->tool_name, res->tool_version);
	dl_row(out, "tool", buf);
	dl_row(out, "build", res->tool_build);
	dl_row(out, "profile", c->profile);
	snprintf(buf, sizeof(buf),
		 "%s (side A on %d, side B on %d; -1: not "
		 "pinned)",
		 c->pin ? c->pin : "-", c->cpus[0], c->cpus[1]);
	dl_row(out, "placement", buf);
	snprintf(buf, sizeof(buf),
		 "at least %u samples and %.2f s per case over %u rounds, "
		 "%.2f s warm-up per round",
		 c->runs, c->min_time_s, c->rounds, c->warmup_s);
	dl_row(out, "sampling", buf);
	dl_row(out, "peer tools", c->peers ? "run" : "not run");
	fputs("<tr><th>suites</th><td>", out);
	for (size_t i = 0; i < c->n_suites; i++) {
		h(out, c->suites[i]);
		if (i + 1 < c->n_suites)
			fputs(", ", out);
	}
	fputs("</td></tr>\n", out);
	dl_row(out, "started", res->started_at);
	dl_row(out, "finished", res->finished_at);
	if (source)
		dl_row(out, "results file", source);
	fputs("</table>\n", out);
	if (res->n_notes) {
		fputs("<h3>Notes from the run</h3>\n<ul>\n", out);
		for (size_t i = 0; i < res->n_notes; i++) {
			fputs("<li>", out);
			h(out, res->notes[i]);
			fputs("</li>\n", out);
		}
		fputs("</ul>\n", out);
	}
	fputs("</section>\n", out);
}

int report_html(const struct results *results, const char *source, FILE *out)
{
	struct charts charts = { 0 };
	struct summary sum = { 0 };
	size_t n = results->n_records ? results->n_records : 1;
	struct html_pairs pairs = {
		.pair_of = malloc(n * sizeof(size_t)),
		.ours_of = malloc(n * sizeof(size_t)),
	};
	const char **suite_names = NULL;
	ssize_t n_suites = suite_list(results, &suite_names);
	int err = n_suites < 0 ? (int)n_suites : 0;

	if (!err && (!pairs.pair_of || !pairs.ours_of))
		err = -ENOMEM;
	if (!err)
		err = results_counterparts(results, pairs.pair_of,
					   pairs.ours_of);
	if (!err)
		err = charts_build(results, &charts);
	if (!err)
		err = summary_build(results, &sum);
	if (err)
		goto out;
	head(out, results);
	nav(out, suite_names, (size_t)n_suites);
	if (is_try_run(results))
		try_summary(out, results);
	else
		summary(out, results, &sum, &charts);
	err = suites(out, results, &charts, suite_names, (size_t)n_suites,
		     &pairs);
	if (err)
		goto out;
	machine(out, results, source);
	fputs("<footer>Written by <code>procthread report</code>. "
	      "Compare two runs with <code>procthread compare BASE.json "
	      "NEW.json</code>.</footer>\n</body>\n</html>\n",
	      out);
	if (ferror(out))
		err = -EIO;
out:
	summary_free(&sum);
	charts_free(&charts);
	free(suite_names);
	free(pairs.pair_of);
	free(pairs.ours_of);
	return err;
}

int report_html_write(const struct results *results, const char *source,
		      const char *path, char *err, size_t err_len)
{
	char *tmp = NULL;
	FILE *f;
	int rc;

	if (!strcmp(path, "-")) {
		rc = report_html(results, source, stdout);
		if (!rc && fflush(stdout))
			rc = -errno;
		if (rc)
			snprintf(err, err_len, "writing the report: %s",
				 pt_strerror(rc));
		return rc;
	}
	if (asprintf(&tmp, "%s.tmp.%ld", path, (long)getpid()) < 0) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	f = fopen(tmp, "we");
	if (!f) {
		rc = -errno;
		snprintf(err, err_len, "%s: cannot write: %s", path,
			 pt_strerror(rc));
		free(tmp);
		return rc;
	}
	rc = report_html(results, source, f);
	if (fclose(f) && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc) {
		snprintf(err, err_len, "%s: cannot write: %s", path,
			 pt_strerror(rc));
		unlink(tmp);
	}
	free(tmp);
	return rc;
}
