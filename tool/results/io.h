/* io.h - results kept in files: the JSON document of
 * docs/results-schema.md and CSV rows, written, and the JSON read back.
 * The reader fills a struct results the same writers can print, so
 * `compare` and `report` work on files exactly as on a fresh run.
 *
 * Error messages are single lines meant for the user, written into a
 * caller's buffer: the return is 0 or -errno. */
#ifndef TOOL_RESULTS_IO_H
#define TOOL_RESULTS_IO_H

#include "results/results.h"

#include <jansson.h>
#include <stdio.h>

/* One CSV row per record, with a header row. Returns 0 or -errno. */
int results_write_csv(const struct results *results, FILE *out);

/* The results as the JSON document of docs/results-schema.md. Returns a
 * new reference, or NULL when out of memory. */
json_t *results_to_json(const struct results *results);

/* Writes that document to path ("-": stdout). Returns 0, or -errno with a
 * message in err. */
int results_write_json(const struct results *results, const char *path,
		       char *err, size_t err_len);

/* Validates a results document and fills *out (initialised here; freed by
 * the caller with results_free() whatever the outcome). Returns 0, or
 * -EINVAL with a message naming the field and the problem in err
 * ("results[3].median: missing"). */
int results_from_json(const json_t *root, struct results *out, char *err,
		      size_t err_len);

/* Reads and validates the file at path. Returns 0; -errno when it cannot
 * be read; -EINVAL when it is not valid JSON or not a valid procthread
 * results file of this schema. err names the file and the problem. */
int results_read_file(const char *path, struct results *out, char *err,
		      size_t err_len);

#endif
