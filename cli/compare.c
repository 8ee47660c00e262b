/* compare.c - `procthread compare`: two results files, case by case, with
 * an exit status a CI job can act on (report/compare.h decides). Both files
 * go through the same validating reader as `procthread report`. */
#include "cli/cli.h"

#include "report/compare.h"
#include "report/report.h"

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

static int read_both(const char *a, const char *b, struct pt_results *base,
		     struct pt_results *next)
{
	char err[512];

	pt_results_init(next);
	if (pt_results_read_file(a, base, err, sizeof(err)) ||
	    pt_results_read_file(b, next, err, sizeof(err))) {
		fprintf(stderr, "procthread compare: %s\n", err);
		return PT_EXIT_USAGE;
	}
	return PT_EXIT_OK;
}

static int compare_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "threshold", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	double threshold = PT_COMPARE_THRESHOLD;
	struct pt_results base, next;
	struct pt_comparison cmp;
	bool json = false;
	int opt, rc;

	opterr = 0;
	optind = 0; /* 0: glibc's full reset, so a second parse works */
	while ((opt = getopt_long(argc, argv, ":t:jh", longopts, NULL)) != -1) {
		switch (opt) {
		case 't':
			if (!parse_percent(optarg, &threshold))
				return pt_cli_usage_error(
					"compare",
					"--threshold '%s' is not a "
					"percentage from 0 to 1000 (e.g. 5 "
					"or 2.5%%)",
					optarg);
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(pt_cli_compare.usage, stdout);
			return PT_EXIT_OK;
		default:
			return pt_cli_getopt_error("compare", opt, optopt,
						   argv[optind - 1]);
		}
	}
	if (argc - optind != 2)
		return pt_cli_usage_error("compare",
					  "expected two results files, BASE "
					  "and NEW, got %d",
					  argc - optind);
	if (pt_cli_dry_run)
		return PT_EXIT_OK;
	rc = read_both(argv[optind], argv[optind + 1], &base, &next);
	if (rc)
		goto out;
	rc = pt_compare(&base, &next, threshold, &cmp);
	if (rc) {
		fprintf(stderr, "procthread compare: %s\n", pt_strerror(rc));
		rc = PT_EXIT_FAIL;
		goto out;
	}
	rc = json ? pt_compare_json(stdout, &cmp, &base, argv[optind], &next,
				    argv[optind + 1])
		  : pt_compare_print(stdout, &cmp, &base, argv[optind], &next,
				     argv[optind + 1]);
	if (rc)
		fprintf(stderr, "procthread compare: writing: %s\n",
			pt_strerror(rc));
	rc = rc || cmp.regressions ? PT_EXIT_FAIL : PT_EXIT_OK;
	pt_comparison_free(&cmp);
out:
	pt_results_free(&base);
	pt_results_free(&next);
	return rc;
}

const struct pt_cli_command pt_cli_compare = {
	.name = "compare",
	.summary = "compare two results files, case by case",
	.usage = "usage: procthread compare BASE.json NEW.json "
		 "[--threshold PCT] [--json]\n\n"
		 "Matches the cases of two runs (suite, name, kind, peer and "
		 "parameters) and\nprints for each both medians, their ratio "
		 "and a verdict; cases found in one\nrun only are listed. A "
		 "case is worse (or better) only when the 95%\nconfidence "
		 "intervals of its two medians do not overlap - the "
		 "difference is\nbeyond the noise - and its median moved by "
		 "more than the threshold. The runs\nmay come from different "
		 "machines or versions: the header says so.\n\n"
		 "options:\n"
		 "  --threshold PCT  smallest change that counts, in percent "
		 "(default 5)\n"
		 "  --json           print the comparison as JSON\n"
		 "  --help           this text\n\n"
		 "Exit status: 0 nothing of ours got worse; 1 at least one "
		 "case got worse\n(peer tools' figures never count); 2 a bad "
		 "command line, or a file that\nis not a readable procthread "
		 "results file of this schema version.\n",
	.run = compare_main,
};
