/* bench.c - `procthread bench`: options, then the engine
 * (bench/engine/engine.h), then the writers (report/report.h). Every option is
 * checked before anything runs, output files included, so a typo costs no
 * benchmark time. */
#include "cli/cli.h"
#include "cli/bench_signal.h"
#include "cli/output.h"

#include "bench/engine/engine.h"
#include "bench/suites/mpi.h"
#include "bench/suites/suites.h"
#include "results/outfile.h"
#include "report/report.h"
#include "report/summary.h"

#include <procthread/error.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MIN_TIME_MAX_S 3600.0

struct bench_args {
	struct bench_opts opts;
	const struct bench_suite *suites[32];
	const char *json_path;
	const char *csv_path;
	const char *html_path;
	bool list;
	bool quick, full;
	enum color_mode color;
};

static int list_suites(void)
{
	printf("suites (all run by default unless marked):\n");
	for (size_t i = 0; bench_suites[i]; i++) {
		const struct bench_suite *s = bench_suites[i];

		printf("  %-8s %s%s\n", s->name, s->summary,
		       s->not_default ? " [only when named]" : "");
		if (s->peer_tools)
			printf("  %-8s peers: %s\n", "", s->peer_tools);
	}
	return CLI_EXIT_OK;
}

/* Each output path could be written, and no two name one file: the second
 * would replace the first. Nothing is opened or created (a dry run, the
 * fuzz target, checks nothing on disk). */
static int check_outputs(const struct bench_args *a)
{
	const char *opt[] = { "--json", "--csv", "--html" };
	const char *path[] = { a->json_path, a->csv_path, a->html_path };
	int rc;

	for (int i = 0; i < 3; i++) {
		if (!path[i])
			continue;
		for (int k = 0; k < i; k++)
			if (path[k] && outfile_same(path[k], path[i]))
				return cli_usage_error(
					"bench",
					"%s and %s name the same file '%s'",
					opt[k], opt[i], path[i]);
		if (!cli_dry_run &&
		    (rc = cli_check_output("bench", opt[i], path[i])))
			return rc;
	}
	return 0;
}

static int unknown_suite(const char *name)
{
	const char *names[32];
	size_t n = 0;

	for (size_t i = 0; bench_suites[i] && n < 32; i++)
		names[n++] = bench_suites[i]->name;
	return cli_unknown_word("bench", "suite", name, names, n, ", ");
}

/* A whole number from 1 to max for option --name into *out; a usage
 * error (status 2) otherwise. */
static int parse_count(const char *name, const char *arg, unsigned max,
		       unsigned *out)
{
	long n;

	if (!cli_parse_long(arg, 1, max, &n))
		return cli_usage_error("bench",
				       "--%s: '%s' is not a whole number "
				       "from 1 to %u",
				       name, arg, max);
	*out = (unsigned)n;
	return 0;
}

static int parse_option(struct bench_args *a, int opt, const char *arg)
{
	char err[256];

	switch (opt) {
	case 'q':
		a->quick = true;
		break;
	case 'F':
		a->full = true;
		break;
	case 'r':
		return parse_count("runs", arg, BENCH_RUNS_MAX, &a->opts.runs);
	case 'R':
		return parse_count("rounds", arg, BENCH_ROUNDS_MAX,
				   &a->opts.rounds);
	case 't':
		if (!cli_parse_seconds(arg, MIN_TIME_MAX_S,
				       &a->opts.min_time_s))
			return cli_usage_error(
				"bench",
				"--min-time: '%s' is not a time from "
				"0 to %.0f seconds (e.g. 0.5, 2s, "
				"500ms)",
				arg, MIN_TIME_MAX_S);
		break;
	case 'p':
		if (bench_parse_pin(arg, &a->opts, err, sizeof(err)))
			return cli_usage_error("bench", "%s", err);
		break;
	case 'j':
		a->json_path = arg;
		break;
	case 'c':
		a->csv_path = arg;
		break;
	case 'H':
		a->html_path = arg;
		break;
	case 'Q':
		a->opts.quiet = true;
		break;
	case 'l':
		a->list = true;
		break;
	case 'P':
		a->opts.peers = BENCH_PEERS_ON;
		break;
	case 'N':
		a->opts.peers = BENCH_PEERS_OFF;
		break;
	case 'C':
		if (color_mode_parse(arg, &a->color))
			return cli_usage_error(
				"bench",
				"--color: '%s' is not auto, always or never",
				arg);
		break;
	default:
		return -1;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct bench_args *a)
{
	static const struct option longopts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "full", no_argument, NULL, 'F' },
		{ "runs", required_argument, NULL, 'r' },
		{ "rounds", required_argument, NULL, 'R' },
		{ "min-time", required_argument, NULL, 't' },
		{ "pin", required_argument, NULL, 'p' },
		{ "json", required_argument, NULL, 'j' },
		{ "csv", required_argument, NULL, 'c' },
		{ "html", required_argument, NULL, 'H' },
		{ "quiet", no_argument, NULL, 'Q' },
		{ "list", no_argument, NULL, 'l' },
		{ "peers", no_argument, NULL, 'P' },
		{ "no-peers", no_argument, NULL, 'N' },
		{ "color", required_argument, NULL, 'C' },
		CLI_OPTIONS_END,
	};
	size_t n = 0;
	int opt, rc;

	opterr = 0;
	optind = 0; /* 0: glibc's full reset, so a second parse works */
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (opt == 'h') {
			fputs(cli_bench.usage, stdout);
			return -1;
		}
		rc = parse_option(a, opt, optarg);
		if (rc < 0)
			return cli_getopt_error("bench", opt, optopt,
						argv[optind - 1], longopts);
		if (rc)
			return rc;
	}
	if (a->opts.runs && a->opts.rounds > a->opts.runs)
		return cli_usage_error("bench",
				       "--rounds %u is more than --runs %u: "
				       "each round takes one sample at "
				       "least",
				       a->opts.rounds, a->opts.runs);
	if (a->quick && a->full)
		return cli_usage_error("bench", "--quick and --full "
						"exclude each other");
	for (int i = optind; i < argc; i++) {
		const struct bench_suite *s = bench_suite_find(argv[i]);

		if (!s)
			return unknown_suite(argv[i]);
		for (size_t k = 0; k < n; k++)
			if (a->suites[k] == s)
				return cli_usage_error("bench",
						       "suite '%s' named twice",
						       argv[i]);
		if (n == sizeof(a->suites) / sizeof(a->suites[0]))
			return cli_usage_error("bench", "too many suites");
		a->suites[n++] = s;
	}
	if (n) {
		a->opts.suites = a->suites;
		a->opts.n_suites = n;
	}
	if (a->json_path && a->csv_path && !strcmp(a->json_path, "-") &&
	    !strcmp(a->csv_path, "-"))
		return cli_usage_error("bench", "--json - and --csv - "
						"cannot both use stdout");
	if (a->html_path && !strcmp(a->html_path, "-"))
		return cli_usage_error("bench", "--html needs a file name "
						"(the table is on stdout)");
	rc = check_outputs(a);
	if (rc)
		return rc;
	a->opts.profile = a->quick  ? BENCH_QUICK
			  : a->full ? BENCH_FULL
				    : BENCH_DEFAULT;
	return 0;
}

static int write_outputs(const struct bench_args *a, const struct results *res)
{
	bool to_stdout = (a->json_path && !strcmp(a->json_path, "-")) ||
			 (a->csv_path && !strcmp(a->csv_path, "-"));
	char err[512];
	int status = CLI_EXIT_OK;

	if (!to_stdout) {
		struct term term = term_for(stdout, a->color);
		struct summary summary;

		report_table(res, &term, stdout);
		if (!summary_build(res, &summary)) {
			fputc('\n', stdout);
			summary_print(&summary, &term, stdout);
			summary_free(&summary);
		}
	}
	if (a->json_path &&
	    cli_write_json(a->json_path, res, err, sizeof(err))) {
		fprintf(stderr, "procthread bench: %s\n", err);
		status = CLI_EXIT_FAIL;
	}
	if (a->csv_path && cli_write_csv(a->csv_path, res, err, sizeof(err))) {
		fprintf(stderr, "procthread bench: %s\n", err);
		status = CLI_EXIT_FAIL;
	}
	if (a->html_path &&
	    cli_write_html(a->html_path, res, a->json_path, err, sizeof(err))) {
		fprintf(stderr, "procthread bench: %s\n", err);
		status = CLI_EXIT_FAIL;
	}
	fflush(stdout);
	return status;
}

static int run_bench(int argc, char **argv)
{
	struct bench_args a = {
		.opts = { .min_time_s = -1,
			  .pin = BENCH_PIN_AUTO,
			  .table = bench_suites },
	};
	struct results res;
	int rc, status;

	rc = parse_args(argc, argv, &a);
	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	if (cli_dry_run)
		return CLI_EXIT_OK;
	if (a.list)
		return list_suites();
	a.opts.progress = !a.opts.quiet && isatty(STDERR_FILENO);
	cli_bench_signals_install("bench", a.opts.progress);
	rc = bench_run(&a.opts, &res);
	cli_bench_signals_writing();
	if (rc < 0) {
		cli_bench_signals_restore();
		fprintf(stderr, "procthread bench: cannot start: %s\n",
			pt_strerror(-rc));
		results_free(&res);
		return CLI_EXIT_FAIL;
	}
	status = write_outputs(&a, &res);
	cli_bench_signals_restore();
	results_free(&res);
	return rc ? CLI_EXIT_FAIL : status;
}

/* Under mpirun, ranks other than 0 serve rank 0's MPI cases instead
 * (bench/suites/mpi.h). */
static int bench_main(int argc, char **argv)
{
	int rc = bench_mpi_begin(&argc, &argv);

	if (rc)
		return rc < 0 ? CLI_EXIT_FAIL : CLI_EXIT_OK;
	rc = run_bench(argc, argv);
	bench_mpi_end();
	return rc;
}

const struct cli_command cli_bench = {
	.name = "bench",
	.summary = "measure threads against processes on this machine",
	.usage =
		"usage: procthread bench [SUITE...] [--quick|--full] [--runs "
		"N]\n"
		"                        [--rounds N] [--min-time T] [--pin "
		"auto|none|LIST]\n"
		"                        [--json FILE] [--csv FILE] [--html "
		"FILE] [--quiet]\n"
		"                        [--peers|--no-peers] [--list]\n\n"
		"Measures what threads and processes cost on this machine - "
		"creation, memory,\nswitching - with each figure's spread, and "
		"beside it the same figure from\nestablished tools (perf "
		"bench, "
		"hackbench, stress-ng) where installed.\n\n"
		"options:\n"
		"  SUITE          run only these suites (see --list); default: "
		"all\n"
		"  --quick        short runs: every default suite in under a "
		"minute\n"
		"  --full         long runs, more sizes and samples\n"
		"  --runs N       at least N samples per case (1-100000); "
		"with it alone,\n"
		"                 no minimum time applies\n"
		"  --rounds N     run the suites N times (1-100), each case "
		"taking its share\n"
		"                 of the samples in each, so that drift "
		"over the run shows\n"
		"                 as spread (quick 3, default and full 5; at "
		"most --runs)\n"
		"  --min-time T   sample each case for at least T (0.5, 2s, "
		"500ms)\n"
		"  --pin P        auto: two-party cases on one CPU or two, as "
		"each case says;\n"
		"                 none: never pin; LIST: side A's CPU and "
		"side B's (0,1)\n"
		"  --json FILE    write the results as JSON "
		"(docs/results-schema.md); - for\n"
		"                 stdout instead of the table\n"
		"  --csv FILE     write one CSV row per result; - for stdout\n"
		"  --html FILE    write the report: one HTML page with charts "
		"(as\n"
		"                 'procthread report' makes from a JSON file)\n"
		"  --peers        run the peer tools also with named suites\n"
		"  --no-peers     never run the peer tools\n"
		"  --quiet        no progress line and no notes on stderr\n"
		"  --color WHEN   colour the table: auto (on a terminal, "
		"unless\n"
		"                 NO_COLOR is set), always or never\n"
		"  --list         list the suites and their peers\n"
		"  --help         this text\n\n"
		"Output files are written only when the run is over, each "
		"replaced whole or\nnot at all (as 'procthread help report' "
		"says); two options may not name\none file.\n\n"
		"Ctrl-C (SIGINT) or SIGTERM stops the run: every process it "
		"started is\nkilled, one line says where it stopped, and "
		"nothing is written - a partial\nresults file would compare "
		"as a whole one.\n\n"
		"Exit status: 0 when every case ran, 1 when one failed or an "
		"output could\nnot be written, 2 for a bad command line, 130 "
		"when interrupted by SIGINT\nand 143 by SIGTERM (128 + the "
		"signal's number, as a shell reports it).\n",
	.run = bench_main,
};
