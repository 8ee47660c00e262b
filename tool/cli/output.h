/* output.h - the files the tool writes: results as JSON or CSV and the
 * HTML report, each through results/outfile.h, so a failed or interrupted
 * write never destroys what was there. */
#ifndef TOOL_CLI_OUTPUT_H
#define TOOL_CLI_OUTPUT_H

#include "results/results.h"

#include <stddef.h>

/* Each writes to path ("-": standard output) and returns 0, or -errno with
 * a one-line message naming path in err. source names the results file in
 * the page (may be NULL). */
int cli_write_json(const char *path, const struct results *res, char *err,
		   size_t err_len);
int cli_write_csv(const char *path, const struct results *res, char *err,
		  size_t err_len);
int cli_write_html(const char *path, const struct results *res,
		   const char *source, char *err, size_t err_len);

/* Checks an output option's path before anything runs (opening nothing):
 * returns 0, or prints a usage error naming the option and returns
 * CLI_EXIT_USAGE. */
int cli_check_output(const char *cmd, const char *opt, const char *path);

#endif
