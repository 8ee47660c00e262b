/* compare.c - `procthread compare`: two results files, case by case, with
 * an exit status a CI job can act on (report/compare.h decides). Both files
 * go through the same validating reader as `procthread report`. */
#include "cli/cli.h"

#include "report/compare.h"
#include "report/report.h"
#include "results/io.h"

#include <procthread/error.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

/* "5", "5%", "0.5": a percentage from 0 to 1000. */
static bool parse_percent(const char *text, double *out)
{
	char *end;
	double v;

	if (!text || !*text)
		return false;
	errno = 0;
	v = strtod(text, &end);
	if (*end == '%')
		end++;
	if (errno || *end || end == text || !(v >= 0 && v <= 1000))
		return false;
	*out = v / 100;
	return true;
}

static int read_both(const char *a, const char *b, struct results *base,
		     struct results *next)
{
	char err[512];

	results_init(next);
	if (results_read_file(a, base, err, sizeof(err)) ||
	    results_read_file(b, next, err, sizeof(err))) {
		fprintf(stderr, "procthread compare: %s\n", err);
		return CLI_EXIT_IO;
	}
	return CLI_EXIT_OK;
}

static int compare_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "threshold", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "color", required_argument, NULL, 'C' },
		CLI_OPTIONS_END,
	};
	double threshold = COMPARE_THRESHOLD;
	struct results base, next;
	struct comparison cmp;
	enum color_mode color = COLOR_AUTO;
	struct term term;
	bool json = false;
	int opt, rc, saved;

	opterr = 0;
	optind = 0; /* 0: glibc's full reset, so a second parse works */
	while ((opt = getopt_long(argc, argv, ":t:jh", longopts, NULL)) != -1) {
		switch (opt) {
		case 't':
			if (!parse_percent(optarg, &threshold))
				return cli_usage_error(
					"compare",
					"--threshold '%s' is not a "
					"percentage from 0 to 1000 (e.g. 5 "
					"or 2.5%%)",
					optarg);
			break;
		case 'j':
			json = true;
			break;
		case 'C':
			if (color_mode_parse(optarg, &color))
				return cli_usage_error(
					"compare",
					"--color: '%s' is not auto, always or "
					"never",
					optarg);
			break;
		case 'h':
			fputs(cli_compare.usage, stdout);
			return CLI_EXIT_OK;
		default:
			return cli_getopt_error("compare", opt, optopt,
						argv[optind - 1], longopts);
		}
	}
	if (argc - optind != 2)
		return cli_usage_error("compare",
				       "expected two results files, BASE "
				       "and NEW, got %d",
				       argc - optind);
	if (cli_dry_run)
		return CLI_EXIT_OK;
	rc = read_both(argv[optind], argv[optind + 1], &base, &next);
	if (rc)
		goto out;
	rc = report_compare(&base, &next, threshold, &cmp);
	if (rc) {
		fprintf(stderr, "procthread compare: %s\n", pt_strerror(rc));
		rc = CLI_EXIT_IO;
		goto out;
	}
	errno = 0;
	term = term_for(stdout, color);
	rc = json ? compare_json(stdout, &cmp, &base, argv[optind], &next,
				 argv[optind + 1])
		  : compare_print(stdout, &cmp, &base, argv[optind], &next,
				  argv[optind + 1], &term);
	/* A write error is not a regression: a CI job must tell them
	 * apart, so stdout is checked here rather than in main(). */
	saved = errno; /* ENOSPC where a write failed: the print says EIO */
	if (!rc && (fflush(stdout) || ferror(stdout)))
		rc = -EIO;
	if (rc == -EIO && saved > 0)
		rc = -saved;
	if (rc)
		fprintf(stderr,
			"procthread compare: cannot write the output: %s\n",
			pt_strerror(rc));
	rc = rc ? CLI_EXIT_IO : cmp.regressions ? CLI_EXIT_FAIL : CLI_EXIT_OK;
	comparison_free(&cmp);
out:
	results_free(&base);
	results_free(&next);
	return rc;
}

const struct cli_command cli_compare = {
	.name = "compare",
	.summary = "compare two results files, case by case",
	.usage = "usage: procthread compare BASE.json NEW.json "
		 "[--threshold PCT] [--json] [--color WHEN]\n\n"
		 "Matches the cases of two runs (suite, name, kind, peer and "
		 "parameters) and\nprints for each both medians, their ratio "
		 "and a verdict; cases found in one\nrun only are listed. The "
		 "runs may come from different machines or versions:\nthe "
		 "header says so.\n\n"
		 "A case is WORSE (or better) only when its change passes "
		 "three tests, one\nper kind of noise:\n"
		 "  1. beyond the sampling noise: the 95% confidence "
		 "intervals of the two\n     medians do not overlap (where "
		 "both files kept their samples, a\n     Mann-Whitney U test "
		 "over them, p < 0.001, instead);\n"
		 "  2. beyond the threshold: the median moved by more than "
		 "--threshold;\n"
		 "  3. beyond the run-to-run drift: it moved by more than 5 "
		 "robust standard\n     deviations of the shift of all the "
		 "cases (from 10 matched cases on),\n     so one case slowed "
		 "among steady ones stands out and a whole run that\n     "
		 "came out a little different does not. With samples, a case "
		 "whose\n     samples barely overlap any more (90%) needs only "
		 "2.5 of them, and\n     4 times its own drift within each "
		 "run.\n"
		 "A case flagged noisy in either run is shown but never "
		 "counts; neither do\npeer tools' figures.\n\n"
		 "options:\n"
		 "  --threshold PCT  smallest change that counts, in percent "
		 "from 0 to 1000\n                   (default 5)\n"
		 "  --json           print the comparison as JSON\n"
		 "  --color WHEN     colour worse red, better green, noisy "
		 "dim: auto (on a\n                   terminal, unless "
		 "NO_COLOR is set), always or never\n"
		 "  --help           this text\n\n"
		 "Exit status: 0 nothing of ours got worse; 1 at least one "
		 "case got worse;\n2 a bad command line; 3 a file that cannot "
		 "be read or is not a procthread\nresults file of this schema "
		 "version, or output that cannot be written.\n",
	.run = compare_main,
};
