/* report.c - `procthread report`: a results file (from `procthread bench
 * --json`) into one self-contained HTML page with charts (report/html.h).
 * The file is read and validated by the same reader compare uses. */
#include "cli/cli.h"
#include "cli/output.h"

#include "results/outfile.h"
#include "report/report.h"
#include "results/io.h"

#include <getopt.h>
#include <stdio.h>

static int report_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		CLI_OPTIONS_END,
	};
	const char *output = "report.html";
	struct results results;
	char err[512];
	int opt, rc;

	opterr = 0;
	optind = 0; /* 0: glibc's full reset, so a second parse works */
	while ((opt = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			output = optarg;
			break;
		case 'h':
			fputs(cli_report.usage, stdout);
			return CLI_EXIT_OK;
		default:
			return cli_getopt_error("report", opt, optopt,
						argv[optind - 1], longopts);
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("report",
				       "expected one results file "
				       "(from 'procthread bench --json "
				       "FILE'), got %d arguments",
				       argc - optind);
	if (!*output)
		return cli_usage_error("report",
				       "-o needs a file name, or - for "
				       "standard output");
	if (outfile_same(argv[optind], output))
		return cli_usage_error("report",
				       "-o '%s' is the results file itself; "
				       "the page would replace it",
				       output);
	if (cli_dry_run)
		return CLI_EXIT_OK;
	/* Before reading: a directory or a missing folder is a typo. */
	rc = cli_check_output("report", "-o", output);
	if (rc)
		return rc;
	rc = results_read_file(argv[optind], &results, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "procthread report: %s\n", err);
		results_free(&results);
		return CLI_EXIT_USAGE;
	}
	rc = cli_write_html(output, &results, argv[optind], err, sizeof(err));
	results_free(&results);
	if (rc) {
		fprintf(stderr, "procthread report: %s\n", err);
		return CLI_EXIT_FAIL;
	}
	if (output[0] != '-' || output[1])
		printf("procthread report: wrote %s\n", output);
	return CLI_EXIT_OK;
}

const struct cli_command cli_report = {
	.name = "report",
	.summary = "turn a results file into an HTML page with charts",
	.usage = "usage: procthread report RESULTS.json [-o FILE]\n\n"
		 "Writes one self-contained HTML page (no scripts, fonts or "
		 "links to fetch)\nfrom a results file written by "
		 "'procthread bench --json': a summary of what\nprocesses "
		 "cost over threads on that machine, claim by claim; per "
		 "suite,\ncharts (SVG) of thread versus process with peers "
		 "and physical limits, each\nwith its numbers underneath; "
		 "and the machine and configuration of the run.\n\n"
		 "options:\n"
		 "  -o, --output FILE  where to write the page (default "
		 "report.html; - for\n"
		 "                     standard output)\n"
		 "  --help             this text\n\n"
		 "The page is written to a temporary file beside FILE and "
		 "renamed over it\nonly when whole: a full disk leaves the "
		 "previous FILE as it was. A\nsymbolic link is followed; a "
		 "device or FIFO is written in place; a\ndirectory, a socket "
		 "or the results file itself is refused.\n\n"
		 "Exit status: 0 written; 1 the page could not be written; "
		 "2 a bad command\nline (an output that cannot be written "
		 "included), or a file that is not a\nreadable procthread "
		 "results file.\n",
	.run = report_main,
};
