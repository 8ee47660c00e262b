/* output.c - the tool's three kinds of output file, each written through
 * results/outfile.h (a temporary file renamed into place, or a device or
 * FIFO written in place). */
#include "cli/output.h"

#include "cli/cli.h"
#include "report/html.h"
#include "results/outfile.h"
#include "report/report.h"
#include "results/io.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>

/* As results/json_write.c writes it: every double read back exactly. */
#define JSON_FLAGS (JSON_INDENT(2) | JSON_REAL_PRECISION(17))

static int json_out(FILE *out, void *arg)
{
	json_t *root = results_to_json(arg);
	int rc;

	if (!root)
		return -ENOMEM;
	rc = json_dumpf(root, out, JSON_FLAGS) ? -EIO : 0;
	if (!rc && fputc('\n', out) == EOF)
		rc = -EIO;
	json_decref(root);
	return rc;
}

static int csv_out(FILE *out, void *arg)
{
	return results_write_csv(arg, out);
}

struct html_args {
	const struct results *res;
	const char *source;
};

static int html_out(FILE *out, void *arg)
{
	const struct html_args *h = arg;

	return report_html(h->res, h->source, out);
}

int cli_write_json(const char *path, const struct results *res, char *err,
		   size_t err_len)
{
	return outfile_write(path, json_out, (void *)res, err, err_len);
}

int cli_write_csv(const char *path, const struct results *res, char *err,
		  size_t err_len)
{
	return outfile_write(path, csv_out, (void *)res, err, err_len);
}

int cli_write_html(const char *path, const struct results *res,
		   const char *source, char *err, size_t err_len)
{
	struct html_args h = { res, source };

	return outfile_write(path, html_out, &h, err, err_len);
}

int cli_check_output(const char *cmd, const char *opt, const char *path)
{
	char err[512];

	if (outfile_check(path, err, sizeof(err)))
		return cli_usage_error(cmd, "%s: %s", opt, err);
	return 0;
}
