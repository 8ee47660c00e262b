/* fuzz_results.c - libFuzzer target: the results-file reader that compare
 * and report use (tool/results/json_read.c), fed arbitrary bytes as the file.
 *
 * Whatever the bytes, the reader returns 0 or -EINVAL with a message, and
 * frees all it made (LeakSanitizer); a document it accepts must also go
 * through a writer (CSV to /dev/null), which reads every field. */
#include "report/report.h"
#include "results/io.h"

#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	struct results res;
	json_error_t jerr;
	char err[512];
	json_t *root;
	int rc;

	if (!sink)
		sink = fopen("/dev/null", "we");
	root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
			  &jerr);
	if (!root)
		return 0;
	err[0] = 0;
	rc = results_from_json(root, &res, err, sizeof(err));
	json_decref(root);
	if (rc != 0 && rc != -EINVAL)
		abort();
	if (rc && !err[0])
		abort(); /* a refusal always says why */
	if (!rc && sink)
		results_write_csv(&res, sink);
	results_free(&res);
	return 0;
}
