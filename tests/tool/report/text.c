/* test_report_text - what `procthread bench` prints on a terminal: the
 * table fits the width it is given, says once what a suite's rows share,
 * marks wide intervals, colours only when asked; the Summary block gives
 * each claim a ratio, its interval and a verdict that follows from it. */
#include "report/report.h"
#include "results/io.h"
#include "report/summary.h"
#include "term/term.h"

#include "support/test.h"

#include <check.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *data_path(const char *name)
{
	const char *dir = getenv("PT_SOURCE_DIR");
	char *path;

	ck_assert_ptr_nonnull(dir);
	ck_assert_int_gt(asprintf(&path, "%s/tests/data/%s", dir, name), 0);
	return path;
}

static void read_data(const char *name, struct results *res)
{
	char err[512], *path = data_path(name);

	ck_assert_msg(!results_read_file(path, res, err, sizeof(err)), "%s",
		      err);
	free(path);
}

/* The table and summary of res laid out for term, as one string. */
static char *print_all(const struct results *res, const struct term *term)
{
	struct summary summary;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(out);
	report_table(res, term, out);
	ck_assert_int_eq(summary_build(res, &summary), 0);
	summary_print(&summary, term, out);
	summary_free(&summary);
	fclose(out);
	return buf;
}

/* The table and summary of data file name laid out for term. */
static char *text_of(const char *name, const struct term *term)
{
	struct results res;
	char *text;

	read_data(name, &res);
	text = print_all(&res, term);
	results_free(&res);
	return text;
}

static size_t widest_line(const char *text, char *widest, size_t len)
{
	size_t most = 0;

	for (const char *line = text; *line;) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		char *copy = strndup(line, n);
		size_t w = term_columns(copy);

		if (w > most) {
			most = w;
			snprintf(widest, len, "%s", copy);
		}
		free(copy);
		line += n + (nl != NULL);
	}
	return most;
}

START_TEST(table_fits_the_width_it_is_given)
{
	static const char *const files[] = { "results-quick.json",
					     "results-quick-2.json",
					     "results-synthetic.json" };
	static const unsigned widths[] = { 60, 80, 100, 132 };

	for (size_t f = 0; f < 3; f++) {
		struct results res;

		read_data(files[f], &res);
		for (size_t w = 0; w < 4; w++) {
			struct term term = { .width = widths[w] };
			char widest[1024], *text = print_all(&res, &term);
			size_t most = widest_line(text, widest, sizeof(widest));

			ck_assert_msg(most <= widths[w],
				      "%s at %u columns: a line of %zu: %s",
				      files[f], widths[w], most, widest);
			free(text);
		}
		results_free(&res);
	}
}
END_TEST

/* A layout of a data file at a width (0: none, so nothing is cut), and
 * what it must and must not show. */
struct layout_case {
	const char *name;
	const char *file;
	unsigned width;
	bool colour;
	const char *shows[2];
	const char *hides[2];
};

static const struct layout_case layout_cases[] = {
	/* The longest case with its parameters is on one line. */
	{ .name = "no width cuts nothing",
	  .file = "results-quick-2.json",
	  .shows = { "throughput transport=shm-zerocopy size=64 "
		     "mode=throughput wait=block cross-cpu" },
	  .hides = { "…\n" } },
	/* On a narrow terminal the slow end makes room for the case, and
	 * the heading says it was left out; a wide one keeps it. */
	{ .name = "narrow leaves out p99 and says so",
	  .file = "results-quick-2.json",
	  .width = 80,
	  .shows = { "\nipc - p99 left out to fit" } },
	{ .name = "wide keeps p99",
	  .file = "results-quick-2.json",
	  .width = 200,
	  .hides = { "p99 left out" } },
	/* Every memory case ran unpinned: the heading says it once; a suite
	 * of rates says which end p99 is; no column of peers when a block
	 * has no peer. */
	{ .name = "heading names what the rows share",
	  .file = "results-quick-2.json",
	  .shows = { "\nmemory (unpinned)\n", "p99 is the slow end" },
	  .hides = { "rss-per-unit units=1 unpinned", "ours/peer  \n" } },
	/* kernel-per-unit, 64 process units: ±336.7% in this file. */
	{ .name = "wide interval prints as beyond 100%",
	  .file = "results-quick-2.json",
	  .shows = { ">±100%" },
	  .hides = { "336.7%" } },
	{ .name = "no colour unless asked",
	  .file = "results-quick.json",
	  .width = 100,
	  .hides = { "\033" } },
	{ .name = "colour when asked",
	  .file = "results-quick.json",
	  .width = 100,
	  .colour = true,
	  .shows = { "\033[34mthread", "\033[1mSummary" } },
};

#define N_LAYOUT_CASES (int)(sizeof(layout_cases) / sizeof(layout_cases[0]))

START_TEST(layout_shows_what_it_should)
{
	const struct layout_case *c = &layout_cases[_i];
	struct term term = { .width = c->width, .color = c->colour };
	char *text;

	pt_test_case(c->name);
	text = text_of(c->file, c->width ? &term : NULL);
	for (size_t k = 0; k < 2 && c->shows[k]; k++)
		ck_assert_msg(strstr(text, c->shows[k]), "missing: %s",
			      c->shows[k]);
	for (size_t k = 0; k < 2 && c->hides[k]; k++)
		ck_assert_msg(!strstr(text, c->hides[k]), "shown: %s",
			      c->hides[k]);
	free(text);
}
END_TEST

START_TEST(colour_mode_names)
{
	enum color_mode mode;

	ck_assert_int_eq(color_mode_parse("always", &mode), 0);
	ck_assert_int_eq(mode, COLOR_ALWAYS);
	ck_assert_int_eq(color_mode_parse("never", &mode), 0);
	ck_assert_int_eq(mode, COLOR_NEVER);
	ck_assert_int_lt(color_mode_parse("yes", &mode), 0);
	/* NO_COLOR and a pipe: auto means none; COLUMNS sets the width. */
	setenv("NO_COLOR", "1", 1);
	setenv("COLUMNS", "77", 1);
	ck_assert(!term_for(stdout, COLOR_AUTO).color);
	ck_assert(term_for(stdout, COLOR_ALWAYS).color);
	ck_assert_uint_eq(term_for(stdout, COLOR_NEVER).width, 77);
	setenv("COLUMNS", "wide", 1);
	ck_assert_uint_ne(term_for(stdout, COLOR_NEVER).width, 77);
}
END_TEST

/* One pair of records, thread and process, with the given medians and
 * intervals. */
static void pair(struct results *res, const char *suite, const char *name,
		 const char *unit, double t, double t_lo, double t_hi, double p,
		 double p_lo, double p_hi)
{
	struct param params[] = {
		{ .key = "impl", .type = PARAM_STR, .str = "raw" },
	};
	struct record rec = {
		.suite = (char *)suite,
		.name = (char *)name,
		.kind = "thread",
		.unit = (char *)unit,
		.params = params,
		.n_params = 1,
		.stats = { .samples = 30,
			   .min = t_lo,
			   .median = t,
			   .p90 = t_hi,
			   .p99 = t_hi,
			   .max = t_hi,
			   .mean = t,
			   .ci_low = t_lo,
			   .ci_high = t_hi },
	};

	ck_assert_int_eq(results_add(res, &rec), 0);
	rec.kind = "process";
	rec.stats = (struct stats){ .samples = 30,
				    .min = p_lo,
				    .median = p,
				    .p90 = p_hi,
				    .p99 = p_hi,
				    .max = p_hi,
				    .mean = p,
				    .ci_low = p_lo,
				    .ci_high = p_hi };
	ck_assert_int_eq(results_add(res, &rec), 0);
}

START_TEST(summary_interval_and_verdict_follow_the_records)
{
	struct results res;
	struct summary s;

	results_init(&res);
	/* Creation: 10 us against 300 us, each ±10%. */
	pair(&res, "create", "create-join", "ns", 10e3, 9e3, 11e3, 300e3, 270e3,
	     330e3);
	/* Pools, a rate: 100 k/s against 90 k/s, overlapping intervals. */
	pair(&res, "pool", "task-throughput", "tasks/s", 100e3, 95e3, 105e3,
	     90e3, 85e3, 99e3);
	ck_assert_int_eq(summary_build(&res, &s), 0);
	for (size_t i = 0; i < s.n; i++) {
		const struct claim *c = &s.claims[i];

		if (!strcmp(c->claim, "creation")) {
			ck_assert_double_eq_tol(c->ratio, 30, 1e-9);
			ck_assert_double_eq_tol(c->low, 270.0 / 11, 1e-9);
			ck_assert_double_eq_tol(c->high, 330.0 / 9, 1e-9);
			ck_assert_str_eq(c->verdict, "processes dearer");
		} else if (!strcmp(c->claim, "pools")) {
			/* A rate: thread over process, so above 1 is
			 * dearer; the interval spans 1. */
			ck_assert_double_eq_tol(c->ratio, 100.0 / 90, 1e-9);
			ck_assert(c->low < 1 && c->high > 1);
			ck_assert_str_eq(c->verdict, "no clear difference");
		} else {
			ck_assert_ptr_null(c->sentence);
		}
	}
	summary_free(&s);
	results_free(&res);
}
END_TEST

START_TEST(summary_names_every_claim)
{
	static const char *const claims[] = {
		"creation",  "creation, large parent", "memory",
		"switching", "communication",	       "pools",
		"failure"
	};
	struct results res;
	char *text;

	read_data("results-quick-2.json", &res);
	text = print_all(&res, NULL);
	for (size_t i = 0; i < sizeof(claims) / sizeof(claims[0]); i++) {
		char line[64];

		snprintf(line, sizeof(line), "\n  %s ", claims[i]);
		ck_assert_msg(strstr(text, line), "no summary line for %s",
			      claims[i]);
	}
	ck_assert_ptr_nonnull(strstr(text, "13.9× [13.6× … 14.2×] processes "
					   "dearer"));
	free(text);
	/* the pools claim counts workers, not bytes */
	{
		struct summary s;
		bool found = false;

		ck_assert_int_eq(summary_build(&res, &s), 0);
		for (size_t i = 0; i < s.n; i++)
			found |= s.claims[i].sentence &&
				 strstr(s.claims[i].sentence,
					"a pool of 2 workers takes");
		ck_assert(found);
		summary_free(&s);
	}
	results_free(&res);
}
END_TEST

static Suite *report_text_suite(void)
{
	return PT_TEST_SUITE(
		"report_text",
		{ "text", .for_rows = PT_TESTS(layout_shows_what_it_should),
		  .rows = N_LAYOUT_CASES,
		  .once = PT_TESTS(
			  table_fits_the_width_it_is_given, colour_mode_names,
			  summary_interval_and_verdict_follow_the_records,
			  summary_names_every_claim) });
}

PT_TEST_MAIN(report_text_suite)
