/* test_bench_run - the benchmark end to end: every suite runs with three
 * samples and its JSON has the fields and types docs/results-schema.md
 * promises (checked with jansson directly, not through our own reader);
 * peers are recorded beside our cases where the tools are installed; the
 * peer runner and --pin parsing behave. */
#include "bench/engine/engine.h"
#include "bench/peers/peers.h"
#include "report/report.h"
#include "results/io.h"

#include "support/test.h"

#include <check.h>
#include <dlfcn.h>
#include <errno.h>
#include <jansson.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__SANITIZE_THREAD__)
#define TSAN_BUILD 1
#else
#define TSAN_BUILD 0
#endif

/* Set by run_bench; a fresh name each time (CK_FORK=no runs every test in
 * one process). */
static char json_path[64];

static json_t *run_bench(const char *args)
{
	const char *tool = getenv("PROCTHREAD");
	char cmd[1024];
	json_error_t jerr;
	json_t *doc;
	int status, fd;

	snprintf(json_path, sizeof(json_path), "/tmp/pt-bench-run-XXXXXX");
	fd = mkstemp(json_path);

	ck_assert_msg(tool, "PROCTHREAD is not set (run through ctest)");
	ck_assert_int_ge(fd, 0);
	close(fd);
	/* Notes go to stderr, and so into the test's log on a failure. */
	snprintf(cmd, sizeof(cmd), "%s bench %s --json %s >/dev/null", tool,
		 args, json_path);
	status = system(cmd);
	ck_assert_msg(status == 0, "status %d: %s", status, cmd);
	doc = json_load_file(json_path, 0, &jerr);
	ck_assert_msg(doc, "%s: %s", json_path, jerr.text);
	return doc;
}

static void expect_type(const json_t *obj, const char *key, json_type type,
			const char *where)
{
	json_t *v = json_object_get(obj, key);

	ck_assert_msg(v, "%s.%s missing", where, key);
	if (type == JSON_REAL)
		ck_assert_msg(json_is_number(v), "%s.%s not a number", where,
			      key);
	else if (type == JSON_TRUE)
		ck_assert_msg(json_is_boolean(v), "%s.%s not a boolean", where,
			      key);
	else
		ck_assert_msg(json_typeof(v) == type, "%s.%s has type %d",
			      where, key, json_typeof(v));
}

static void check_record(const json_t *rec, size_t i)
{
	static const char *const numbers[] = { "min",	 "median", "p90",
					       "p99",	 "max",	   "mean",
					       "stddev", "ci_low", "ci_high" };
	const char *kind;
	json_t *params;
	char where[32];

	snprintf(where, sizeof(where), "results[%zu]", i);
	expect_type(rec, "suite", JSON_STRING, where);
	expect_type(rec, "name", JSON_STRING, where);
	expect_type(rec, "kind", JSON_STRING, where);
	expect_type(rec, "params", JSON_OBJECT, where);
	expect_type(rec, "unit", JSON_STRING, where);
	expect_type(rec, "samples", JSON_INTEGER, where);
	for (size_t k = 0; k < sizeof(numbers) / sizeof(numbers[0]); k++)
		expect_type(rec, numbers[k], JSON_REAL, where);
	kind = json_string_value(json_object_get(rec, "kind"));
	ck_assert_msg(!strcmp(kind, "thread") || !strcmp(kind, "process") ||
			      !strcmp(kind, "none"),
		      "%s.kind is %s", where, kind);
	params = json_object_get(rec, "params");
	expect_type(params, "placement", JSON_STRING, where);
	expect_type(params, "cpus", JSON_STRING, where);
	if (json_object_get(rec, "peer"))
		expect_type(rec, "peer", JSON_STRING, where);
	ck_assert(json_number_value(json_object_get(rec, "min")) <=
		  json_number_value(json_object_get(rec, "median")));
	ck_assert(json_number_value(json_object_get(rec, "median")) <=
		  json_number_value(json_object_get(rec, "max")));
}

START_TEST(every_suite_runs_with_three_samples)
{
	json_t *doc = run_bench("--quick --runs 3 --no-peers");
	json_t *machine = json_object_get(doc, "machine");
	json_t *results = json_object_get(doc, "results");
	json_t *suites, *rec, *name;
	struct results back;
	char err[512];
	size_t i, k;

	ck_assert_str_eq(json_string_value(json_object_get(doc, "schema")),
			 RESULTS_SCHEMA);
	expect_type(doc, "tool", JSON_OBJECT, "");
	expect_type(json_object_get(doc, "tool"), "name", JSON_STRING, "tool");
	expect_type(json_object_get(doc, "tool"), "version", JSON_STRING,
		    "tool");
	expect_type(doc, "machine", JSON_OBJECT, "");
	expect_type(doc, "config", JSON_OBJECT, "");
	expect_type(doc, "started_at", JSON_STRING, "");
	expect_type(doc, "results", JSON_ARRAY, "");
	expect_type(machine, "kernel", JSON_STRING, "machine");
	expect_type(machine, "cpu_model", JSON_STRING, "machine");
	expect_type(machine, "cpus_online", JSON_INTEGER, "machine");
	expect_type(machine, "memory_bytes", JSON_INTEGER, "machine");
	expect_type(machine, "virtualised", JSON_TRUE, "machine");
	expect_type(machine, "clocksource", JSON_STRING, "machine");
	expect_type(machine, "thp", JSON_STRING, "machine");
	expect_type(machine, "loadavg_start", JSON_ARRAY, "machine");
	expect_type(machine, "loadavg_end", JSON_ARRAY, "machine");
	expect_type(machine, "clock_cost_ns", JSON_REAL, "machine");
	ck_assert(json_number_value(json_object_get(machine, "clock_cost_ns")) >
		  0);

	json_array_foreach(results, i, rec)
	{
		check_record(rec, i);
		/* Timed cases take exactly --runs samples with no
		 * --min-time; figures measured otherwise repeat 3 times. */
		ck_assert_int_eq(
			json_integer_value(json_object_get(rec, "samples")), 3);
		/* Every record keeps its samples; a timed one (batch > 0)
		 * also what its loop cost the CPU. */
		ck_assert_uint_eq(json_array_size(json_object_get(rec, "raw")),
				  3);
		if (json_integer_value(json_object_get(rec, "batch")) > 0)
			ck_assert_ptr_nonnull(json_object_get(
				json_object_get(rec, "cpu"), "user_ns"));
	}
	/* The clone(CLONE_VM) case is measured, except in a TSan build,
	 * which leaves it out and says so (tool/bench/suites/create.c). */
	{
		json_t *notes = json_object_get(doc, "notes"), *note;
		bool clone_case = false, clone_note = false;

		json_array_foreach(results, i, rec)
		{
			const char *impl = json_string_value(json_object_get(
				json_object_get(rec, "params"), "impl"));

			clone_case |= impl && !strcmp(impl, "clone-vm-vfork");
		}
		json_array_foreach(notes, i, note) clone_note |=
			strstr(json_string_value(note), "clone-vm-vfork not "
							"measured") != NULL;
		ck_assert_int_eq(clone_case, !TSAN_BUILD);
		ck_assert_int_eq(clone_note, TSAN_BUILD);
	}
	suites = json_object_get(json_object_get(doc, "config"), "suites");
	ck_assert_int_ge(json_array_size(suites), 3);
	json_array_foreach(suites, k, name)
	{
		bool found = false;

		json_array_foreach(results, i, rec) found |= !strcmp(
			json_string_value(json_object_get(rec, "suite")),
			json_string_value(name));
		ck_assert_msg(found, "suite %s has no record",
			      json_string_value(name));
	}
	ck_assert_msg(results_read_file(json_path, &back, err, sizeof(err)) ==
			      0,
		      "%s", err);
	ck_assert_uint_eq(back.n_records, json_array_size(results));
	results_free(&back);
	unlink(json_path);
	json_decref(doc);
}
END_TEST

/* Rounds merge into one record per case: with 2 rounds of 2 samples each
 * there are as many records as with one round, each of all 4 samples, and
 * no case twice. */
START_TEST(rounds_merge_into_one_record_per_case)
{
	struct results one, two;
	char err[512];
	json_t *doc;

	doc = run_bench("switch --runs 4 --rounds 1 --no-peers");
	json_decref(doc);
	ck_assert_msg(results_read_file(json_path, &one, err, sizeof(err)) == 0,
		      "%s", err);
	unlink(json_path);
	doc = run_bench("switch --runs 4 --rounds 2 --no-peers");
	ck_assert_int_eq(json_integer_value(json_object_get(
				 json_object_get(doc, "config"), "rounds")),
			 2);
	json_decref(doc);
	ck_assert_msg(results_read_file(json_path, &two, err, sizeof(err)) == 0,
		      "%s", err);
	unlink(json_path);

	ck_assert_uint_eq(one.config.rounds, 1);
	ck_assert_uint_eq(two.config.rounds, 2);
	ck_assert_uint_gt(two.n_records, 0);
	ck_assert_uint_eq(two.n_records, one.n_records);
	for (size_t i = 0; i < two.n_records; i++) {
		const struct record *r = &two.records[i];

		ck_assert_uint_eq(r->stats.samples, 4);
		ck_assert_msg(
			record_same_case(r, &one.records[i], false, false),
			"record %zu (%s) is not in the same place", i, r->name);
		for (size_t k = i + 1; k < two.n_records; k++)
			ck_assert_msg(!record_same_case(r, &two.records[k],
							false, false),
				      "records %zu and %zu are one case", i, k);
	}
	results_free(&one);
	results_free(&two);
}
END_TEST

/* The peer record stands beside ours: same name, kind and params. */
static bool has_peer_beside_ours(const struct results *r, const char *peer)
{
	for (size_t i = 0; i < r->n_records; i++) {
		if (!r->records[i].peer || strcmp(r->records[i].peer, peer))
			continue;
		for (size_t k = 0; k < r->n_records; k++)
			if (!r->records[k].peer &&
			    record_same_case(&r->records[i], &r->records[k],
					     false, true))
				return true;
	}
	return false;
}

START_TEST(peers_stand_beside_our_cases)
{
	struct results r;
	char err[512];
	json_t *doc;

	if (!peer_found("perf") && !peer_found("hackbench")) {
		fprintf(stderr, "perf and hackbench not installed; the peer "
				"run is not checked\n");
		return;
	}
	doc = run_bench("switch --quick --runs 3 --peers");
	json_decref(doc);
	ck_assert_msg(results_read_file(json_path, &r, err, sizeof(err)) == 0,
		      "%s", err);
	if (peer_found("perf"))
		ck_assert(has_peer_beside_ours(&r, "perf bench"));
	if (peer_found("hackbench")) {
		bool found = false;

		for (size_t i = 0; i < r.n_records; i++)
			found |= r.records[i].peer &&
				 !strcmp(r.records[i].peer, "hackbench");
		ck_assert(found);
	}
	results_free(&r);
	unlink(json_path);
}
END_TEST

/* A record of the ipc suite with this name, transport and kind (NULL:
 * ours; else the peer's name), positive where it should be. */
static bool has_ipc(const struct results *r, const char *name,
		    const char *transport, const char *kind, const char *peer)
{
	for (size_t i = 0; i < r->n_records; i++) {
		const struct record *rec = &r->records[i];
		const struct param *t = record_param(rec, "transport");

		if (strcmp(rec->suite, "ipc") || strcmp(rec->name, name) ||
		    strcmp(rec->kind, kind) || !t || !t->str ||
		    strcmp(t->str, transport) || !rec->peer != !peer ||
		    (peer && strcmp(rec->peer, peer)))
			continue;
		if (rec->stats.median > 0)
			return true;
	}
	return false;
}

/* The ipc suite: each transport of the quick plan for both kinds, the
 * limits, the bytes/s twins and the ratios to the limits; ZeroMQ beside
 * them when libzmq can be loaded. */
START_TEST(ipc_suite_records_transports_limits_and_ratios)
{
	static const char *const ours[] = { "shm", "shm-zerocopy", "pipe",
					    "unix" };
	struct results r;
	char err[512];
	/* NODELETE: TSan ends a program that unloads a library named by
	 * called_from_lib in tests/tsan.supp, as libzmq is. */
	void *zmq =
		dlopen("libzmq.so.5", RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	json_t *doc = run_bench("ipc --quick --runs 3 --peers");

	json_decref(doc);
	ck_assert_msg(results_read_file(json_path, &r, err, sizeof(err)) == 0,
		      "%s", err);
	for (size_t t = 0; t < 4; t++) {
		ck_assert_msg(has_ipc(&r, "latency", ours[t], "thread", NULL) &&
				      has_ipc(&r, "latency", ours[t], "process",
					      NULL),
			      "latency %s", ours[t]);
		ck_assert_msg(
			has_ipc(&r, "throughput", ours[t], "process", NULL) &&
				has_ipc(&r, "throughput-bytes", ours[t],
					"process", NULL),
			"throughput %s", ours[t]);
		if (sysconf(_SC_NPROCESSORS_ONLN) > 1)
			ck_assert_msg(has_ipc(&r, "vs-limit", ours[t],
					      "process", NULL),
				      "vs-limit %s", ours[t]);
	}
	ck_assert(has_ipc(&r, "throughput", "limit-memcpy", "none", NULL));
	if (sysconf(_SC_NPROCESSORS_ONLN) > 1) {
		ck_assert(has_ipc(&r, "latency", "limit-atomic", "none", NULL));
		ck_assert(has_ipc(&r, "latency", "limit-futex", "none", NULL));
	}
	if (zmq && sysconf(_SC_NPROCESSORS_ONLN) > 1) {
		ck_assert(
			has_ipc(&r, "latency", "zmq-ipc", "process", "zeromq"));
		ck_assert(has_ipc(&r, "latency", "zmq-inproc", "thread",
				  "zeromq"));
		ck_assert(has_ipc(&r, "throughput", "zmq-ipc", "process",
				  "zeromq"));
	}
	if (zmq)
		dlclose(zmq);
	results_free(&r);
	unlink(json_path);
}
END_TEST

START_TEST(peer_runner_reports_status_and_output)
{
	/* The loop burns some CPU in a child of the shell: the usage must
	 * cover what the tool reaped. */
	char *argv_ok[] = { "sh", "-c",
			    "sh -c 'i=0; while [ $i -lt 30000 ]; do "
			    "i=$((i+1)); done'; "
			    "echo ' 12.5 usecs/op'; echo 'Time: 0.25'",
			    NULL };
	char *argv_fail[] = { "sh", "-c", "echo broken >&2; exit 3", NULL };
	char *argv_slow[] = { "sleep", "10", NULL };
	char *argv_none[] = { "pt-no-such-tool", NULL };
	uint64_t t0, cpu = 0;
	char *out = NULL;
	double v;

	ck_assert_int_eq(peer_run(argv_ok, 30000, &out, &cpu), 0);
	ck_assert_uint_gt(cpu, 1000000); /* over 1 ms */
	ck_assert(peer_number_before(out, "usecs/op", &v));
	ck_assert_double_eq(v, 12.5);
	ck_assert(peer_number_after(out, "Time:", &v));
	ck_assert_double_eq(v, 0.25);
	ck_assert(!peer_number_before(out, "msecs/op", &v));
	free(out);
	ck_assert_int_eq(peer_run(argv_fail, 5000, &out, NULL), -ECHILD);
	ck_assert_ptr_nonnull(strstr(out, "broken"));
	free(out);
	t0 = bench_now_ns();
	ck_assert_int_eq(peer_run(argv_slow, 200, &out, NULL), -ETIMEDOUT);
	ck_assert_uint_lt(bench_now_ns() - t0, 5000000000u);
	free(out);
	ck_assert_int_eq(peer_run(argv_none, 1000, &out, NULL), -ENOENT);
	ck_assert(!peer_found("pt-no-such-tool"));
	ck_assert(peer_found("sh"));
}
END_TEST

START_TEST(pin_values_are_checked)
{
	struct bench_opts o = { 0 };
	cpu_set_t set;
	char err[256];

	ck_assert_int_eq(bench_parse_pin("auto", &o, err, sizeof(err)), 0);
	ck_assert_int_eq(o.pin, BENCH_PIN_AUTO);
	ck_assert_int_eq(bench_parse_pin("none", &o, err, sizeof(err)), 0);
	ck_assert_int_eq(o.pin, BENCH_PIN_NONE);
	sched_getaffinity(0, sizeof(set), &set);
	if (CPU_ISSET(0, &set)) {
		ck_assert_int_eq(bench_parse_pin("0", &o, err, sizeof(err)), 0);
		ck_assert_int_eq(o.pin_cpus[0], 0);
		ck_assert_int_eq(o.pin_cpus[1], -1);
	}
	if (CPU_ISSET(0, &set) && CPU_ISSET(1, &set)) {
		ck_assert_int_eq(bench_parse_pin("0,1", &o, err, sizeof(err)),
				 0);
		ck_assert_int_eq(o.pin_cpus[1], 1);
	}
	ck_assert_int_eq(bench_parse_pin("0,1,0", &o, err, sizeof(err)),
			 -EINVAL);
	ck_assert_int_eq(bench_parse_pin("0,", &o, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(bench_parse_pin("cpu0", &o, err, sizeof(err)),
			 -EINVAL);
	ck_assert_int_eq(bench_parse_pin("", &o, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(bench_parse_pin("1000", &o, err, sizeof(err)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "1000"));
}
END_TEST

static Suite *bench_run_suite(void)
{
	return PT_TEST_SUITE(
		"bench_run",
		{ "run",
		  .once = PT_TESTS(
			  every_suite_runs_with_three_samples,
			  rounds_merge_into_one_record_per_case,
			  peers_stand_beside_our_cases,
			  ipc_suite_records_transports_limits_and_ratios,
			  peer_runner_reports_status_and_output,
			  pin_values_are_checked),
		  .timeout_s = 300 });
}

PT_TEST_MAIN(bench_run_suite)
