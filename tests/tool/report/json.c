/* test_report_json - the results file: what the writer produces reads back
 * unchanged, and every kind of broken file is refused with a message that
 * names the problem. */
#include "report/report.h"
#include "results/io.h"

#include "sample.h"
#include "support/test.h"

#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void sample_results(struct results *r)
{
	double raw[10] = { 2.5, 1, 4, 2, 3, 2.5, 3, 2, 2.5, 3.5 };
	struct param params[] = {
		{ .key = "impl", .type = PARAM_STR, .str = "raw" },
		{ .key = "size", .type = PARAM_INT, .i = 4096 },
		{ .key = "ratio", .type = PARAM_REAL, .real = 0.5 },
	};
	struct record rec = {
		.suite = "create",
		.name = "create-join",
		.kind = "thread",
		.unit = "ns",
		.params = params,
		.n_params = 3,
		.stats = { .samples = 10,
			   .min = 1,
			   .median = 2.5,
			   .p90 = 3,
			   .p99 = 3.5,
			   .max = 4,
			   .mean = 2.25,
			   .stddev = 0.75,
			   .ci_low = 2,
			   .ci_high = 3,
			   .outliers = 1 },
		.batch = 1,
		.raw = raw,
		.n_raw = 10,
		.cpu = { .measured = true,
			 .user_ns = 1.5,
			 .sys_ns = 20,
			 .voluntary_csw = 0.25,
			 .involuntary_csw = 0.001 },
	};

	sample_run_header(r, "2025-01-31T12:00:00Z");
	r->tool_build = strdup("Debug");
	r->finished_at = strdup("2025-01-31T12:01:00Z");
	r->machine.virtualised = true;
	r->machine.loadavg_start[0] = 0.25;
	r->config.cpus[0] = 0;
	r->config.cpus[1] = 1;
	r->config.runs = 10;
	results_strv_push(&r->config.suites, &r->config.n_suites, "create");
	results_note(r, "a note %d", 7);
	ck_assert_int_eq(results_add(r, &rec), 0);
	rec.raw = NULL;
	rec.n_raw = 0;
	rec.cpu = (struct results_cpu){ 0 };
	rec.kind = "process";
	rec.peer = "stress-ng";
	rec.better = RECORD_BETTER_HIGHER;
	rec.stats.median = 3;
	ck_assert_int_eq(results_add(r, &rec), 0);
}

/* sample_results() into a, written as JSON (of this schema), edited when
 * edit is set, and read back into b: what results_from_json() returned,
 * with its message in err. The caller frees a and b. */
static int round_trip(struct results *a, struct results *b,
		      void (*edit)(json_t *doc), char err[static 256])
{
	json_t *doc;
	int rc;

	sample_results(a);
	doc = results_to_json(a);
	ck_assert_ptr_nonnull(doc);
	ck_assert_str_eq(json_string_value(json_object_get(doc, "schema")),
			 RESULTS_SCHEMA);
	if (edit)
		edit(doc);
	rc = results_from_json(doc, b, err, 256);
	json_decref(doc);
	return rc;
}

START_TEST(results_round_trip)
{
	struct results a, b;
	char err[256] = "";

	ck_assert_msg(round_trip(&a, &b, NULL, err) == 0, "%s", err);
	ck_assert_uint_eq(b.n_records, 2);
	ck_assert_str_eq(b.machine.cpu_model, "Test CPU");
	ck_assert_int_eq(b.machine.cpus_online, 2);
	ck_assert(b.machine.virtualised);
	ck_assert_int_eq(b.config.cpus[1], 1);
	ck_assert_str_eq(b.config.suites[0], "create");
	ck_assert_str_eq(b.notes[0], "a note 7");
	ck_assert_ptr_null(b.records[0].peer);
	ck_assert_str_eq(b.records[1].peer, "stress-ng");
	/* Which way is better: said for the second, by the unit for the
	 * first. */
	ck_assert_int_eq(b.records[0].better, RECORD_BETTER_BY_UNIT);
	ck_assert_int_eq(b.records[1].better, RECORD_BETTER_HIGHER);
	ck_assert_double_eq(b.records[0].stats.median, 2.5);
	ck_assert_uint_eq(b.records[0].stats.outliers, 1);
	for (size_t i = 0; i < 2; i++)
		ck_assert(record_same_case(&a.records[i], &b.records[i], false,
					   false));
	results_free(&a);
	results_free(&b);
}
END_TEST

/* Breaks a valid document with one edit and checks the message. */
static void expect_refused(void (*edit)(json_t *doc), const char *message)
{
	struct results a, b;
	char err[256] = "";

	ck_assert_int_eq(round_trip(&a, &b, edit, err), -EINVAL);
	ck_assert_msg(strstr(err, message), "'%s' lacks '%s'", err, message);
	results_free(&a);
	results_free(&b);
}

static json_t *record0(json_t *doc)
{
	return json_array_get(json_object_get(doc, "results"), 0);
}

static void other_schema(json_t *doc)
{
	json_object_set_new(doc, "schema",
			    json_string("procthread-results/99"));
}

static void no_schema(json_t *doc)
{
	json_object_del(doc, "schema");
}

static void no_median(json_t *doc)
{
	json_object_del(record0(doc), "median");
}

static void string_samples(json_t *doc)
{
	json_object_set_new(record0(doc), "samples", json_string("10"));
}

static void bad_kind(json_t *doc)
{
	json_object_set_new(record0(doc), "kind", json_string("fiber"));
}

static void median_above_max(json_t *doc)
{
	json_object_set_new(record0(doc), "median", json_real(99));
}

static void array_param(json_t *doc)
{
	json_object_set_new(json_object_get(record0(doc), "params"), "x",
			    json_array());
}

static void no_machine(json_t *doc)
{
	json_object_del(doc, "machine");
}

static void results_not_array(json_t *doc)
{
	json_object_set_new(doc, "results", json_object());
}

/* Sets every order statistic of record 0 to v (stddev too when spread). */
static void all_stats(json_t *doc, double v, bool spread)
{
	static const char *const keys[] = {
		"min", "median", "p90",	   "p99",
		"max", "mean",	 "ci_low", "ci_high"
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		json_object_set_new(record0(doc), keys[i], json_real(v));
	if (spread)
		json_object_set_new(record0(doc), "stddev", json_real(v));
}

static void raw_too_short(json_t *doc)
{
	json_array_remove(json_object_get(record0(doc), "raw"), 0);
}

static void raw_negative_time(json_t *doc)
{
	json_array_set_new(json_object_get(record0(doc), "raw"), 3,
			   json_real(-7));
}

static void raw_not_array(json_t *doc)
{
	json_object_set_new(record0(doc), "raw", json_real(2));
}

static void better_sideways(json_t *doc)
{
	json_object_set_new(record0(doc), "better", json_string("sideways"));
}

static void cpu_negative(json_t *doc)
{
	json_object_set_new(json_object_get(record0(doc), "cpu"), "sys_ns",
			    json_real(-1));
}

static void huge_time(json_t *doc)
{
	all_stats(doc, 1e308, false);
}

static void negative_time(json_t *doc)
{
	all_stats(doc, -5, false);
}

static void subnormal_time(json_t *doc)
{
	all_stats(doc, 5e-324, false);
}

static void femtosecond_time(json_t *doc)
{
	all_stats(doc, 1e-6, false);
}

static void negative_stddev(json_t *doc)
{
	json_object_set_new(record0(doc), "stddev", json_real(-1));
}

static void negative_rate(json_t *doc)
{
	json_object_set_new(record0(doc), "unit", json_string("msgs/s"));
	all_stats(doc, -5, false);
}

static void huge_bytes(json_t *doc)
{
	json_object_set_new(record0(doc), "unit", json_string("bytes"));
	all_stats(doc, 1e300, true);
}

/* Values out of any plausible range are refused at read, naming the file's
 * record and field and the case: drawn, they made "-nan" coordinates. */
START_TEST(absurd_values_are_refused_by_name)
{
	expect_refused(huge_time, "results[0].min: 1e+308 ns is absurd");
	expect_refused(huge_time, "in case create create-join (thread)");
	expect_refused(negative_time, "results[0].min: -5 ns is a negative "
				      "time");
	expect_refused(subnormal_time, "results[0].min: 4.94066e-324 ns is "
				       "absurd (a subnormal number)");
	expect_refused(femtosecond_time, "below a picosecond");
	expect_refused(negative_stddev, "results[0].stddev: -1 ns is negative");
	expect_refused(negative_rate, "-5 msgs/s is a negative rate");
	expect_refused(huge_bytes, "1e+300 bytes is absurd (above 1e18)");
	expect_refused(raw_too_short, "results[0].raw: 9 values for 10 "
				      "samples, in case create create-join");
	expect_refused(raw_negative_time, "results[0].raw: item 3: -7 ns is a "
					  "negative time");
	expect_refused(raw_not_array, "results[0].raw: expected an array");
	expect_refused(cpu_negative, "results[0].cpu.sys_ns: -1 is negative");
	expect_refused(better_sideways,
		       "results[0].better: expected \"higher\" or \"lower\"");
}
END_TEST

/* Raw samples keep their order and CPU figures their values; a record
 * without them (the peer's here) has none after the round trip. */
START_TEST(raw_and_cpu_round_trip)
{
	struct results a, b;
	char err[256] = "";

	ck_assert_msg(round_trip(&a, &b, NULL, err) == 0, "%s", err);
	ck_assert_uint_eq(b.records[0].n_raw, 10);
	ck_assert_double_eq(b.records[0].raw[0], 2.5);
	ck_assert_double_eq(b.records[0].raw[9], 3.5);
	ck_assert(b.records[0].cpu.measured);
	ck_assert_double_eq(b.records[0].cpu.sys_ns, 20);
	ck_assert_double_eq(b.records[0].cpu.involuntary_csw, 0.001);
	ck_assert_uint_eq(b.records[1].n_raw, 0);
	ck_assert_ptr_null(b.records[1].raw);
	ck_assert(!b.records[1].cpu.measured);
	results_free(&a);
	results_free(&b);
}
END_TEST

/* A file of schema 1 (main's, before raw samples) is still read: its
 * records have no raw and no CPU figures. */
START_TEST(schema_1_file_is_read)
{
	struct results r;
	char path[512], err[512] = "";
	const char *src = getenv("PT_SOURCE_DIR");

	snprintf(path, sizeof(path), "%s/tests/data/quick-v1.json",
		 src ? src : ".");
	ck_assert_msg(results_read_file(path, &r, err, sizeof(err)) == 0, "%s",
		      err);
	ck_assert_uint_gt(r.n_records, 100);
	for (size_t i = 0; i < r.n_records; i++) {
		ck_assert_uint_eq(r.records[i].n_raw, 0);
		ck_assert(!r.records[i].cpu.measured);
	}
	results_free(&r);
}
END_TEST

/* A memory delta may be negative (the kernel freed more than the unit
 * took): it is read as it is. */
static void negative_memory(json_t *doc)
{
	json_object_set_new(record0(doc), "unit", json_string("bytes"));
	all_stats(doc, -4096, false);
}

START_TEST(negative_memory_delta_is_read)
{
	struct results a, b;
	char err[256] = "";

	ck_assert_msg(round_trip(&a, &b, negative_memory, err) == 0, "%s", err);
	ck_assert_double_eq(b.records[0].stats.median, -4096);
	results_free(&a);
	results_free(&b);
}
END_TEST

START_TEST(broken_documents_are_refused_by_name)
{
	expect_refused(other_schema,
		       "'procthread-results/99' is not supported");
	expect_refused(no_schema, "not a procthread results file");
	expect_refused(no_median, "results[0].median: missing");
	expect_refused(string_samples,
		       "results[0].samples: expected an integer, found a "
		       "string");
	expect_refused(bad_kind, "results[0].kind: 'fiber' is not");
	expect_refused(median_above_max,
		       "results[0].median: not between min and max");
	expect_refused(array_param, "results[0].params.x: expected a string "
				    "or a number, found an array");
	expect_refused(no_machine, "machine: missing");
	expect_refused(results_not_array, "results: expected an array");
}
END_TEST

START_TEST(files_truncated_or_missing_are_refused)
{
	char path[] = "/tmp/pt-results-XXXXXX";
	struct results a, b;
	char err[512] = "", *text;
	int fd = mkstemp(path);
	json_t *doc;
	FILE *f;

	ck_assert_int_ge(fd, 0);
	close(fd);
	sample_results(&a);
	ck_assert_int_eq(results_write_json(&a, path, err, sizeof(err)), 0);
	ck_assert_msg(results_read_file(path, &b, err, sizeof(err)) == 0, "%s",
		      err);
	results_free(&b);

	/* The same document cut in half. */
	doc = results_to_json(&a);
	text = json_dumps(doc, JSON_INDENT(2));
	f = fopen(path, "w");
	fwrite(text, 1, strlen(text) / 2, f);
	fclose(f);
	ck_assert_int_eq(results_read_file(path, &b, err, sizeof(err)),
			 -EINVAL);
	ck_assert_msg(strstr(err, path) && strstr(err, "not valid JSON"), "%s",
		      err);
	results_free(&b);
	unlink(path);
	ck_assert_int_eq(results_read_file(path, &b, err, sizeof(err)),
			 -ENOENT);
	ck_assert_msg(strstr(err, "cannot read"), "%s", err);
	results_free(&b);
	free(text);
	json_decref(doc);
	results_free(&a);
}
END_TEST

START_TEST(csv_and_table_print_every_record)
{
	struct results a;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	sample_results(&a);
	ck_assert_int_eq(results_write_csv(&a, out), 0);
	fclose(out);
	ck_assert_ptr_nonnull(strstr(buf, "suite,name,kind,peer,params"));
	ck_assert_ptr_nonnull(strstr(buf, "create,create-join,process,"
					  "stress-ng,impl=raw;size=4096;"
					  "ratio=0.5,ns,10,"));
	free(buf);
	out = open_memstream(&buf, &len);
	report_table(&a, NULL, out);
	fclose(out);
	/* The thread row is ours; the process row is a peer's with no case
	 * of ours, so it gets a row of its own naming the tool. */
	ck_assert_ptr_nonnull(strstr(buf, "create-join, by stress-ng"));
	ck_assert_ptr_nonnull(strstr(buf, "2.50 ns"));
	ck_assert_ptr_nonnull(strstr(buf, "a note 7"));
	free(buf);
	results_free(&a);
}
END_TEST

static Suite *report_json_suite(void)
{
	return PT_TEST_SUITE(
		"report_json",
		{ "json", .once = PT_TESTS(
				  results_round_trip,
				  broken_documents_are_refused_by_name,
				  absurd_values_are_refused_by_name,
				  negative_memory_delta_is_read,
				  raw_and_cpu_round_trip, schema_1_file_is_read,
				  files_truncated_or_missing_are_refused,
				  csv_and_table_print_every_record) });
}

PT_TEST_MAIN(report_json_suite)
