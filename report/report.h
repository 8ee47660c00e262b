/* report.h - turning results into something to read or keep, and reading
 * a kept file back. The writers never change the results; the reader fills
 * a struct pt_results (report/results.h) the same writers can print, so
 * `compare` and `report` work on files exactly as on a fresh run.
 *
 * Error messages are single lines meant for the user, written into a
 * caller's buffer: the library-style return is 0 or -errno. */
#ifndef PT_REPORT_H
#define PT_REPORT_H

#include "report/results.h"
#include "report/term.h"

#include <jansson.h>
#include <stdio.h>

/* --- numbers for people ------------------------------------------------- */

/* value in unit, scaled to 3 significant digits with a fitting prefix:
 * "ns" becomes ns/us/ms/s, "bytes" B/KiB/MiB/GiB, a rate "X/s" X/s, kX/s,
 * MX/s, GX/s. Returns buf. */
const char *pt_format_value(double value, const char *unit, char *buf,
			    size_t len);

/* A parameter as the table shows it: byte counts (keys size, stack,
 * touched, working_set and *_bytes) as 64K, 1M, 1G. Returns buf. */
const char *pt_format_param(const struct pt_param *param, char *buf,
			    size_t len);

/* True when the median's 95% interval reaches farther than
 * PT_NOISY_SHARE of it on either side: the table's "95% CI" column above
 * ±10%. Nothing else: a skewed distribution is not noise. */
#define PT_NOISY_SHARE 0.10
bool pt_record_noisy(const struct pt_record *rec);

/* --- writers ------------------------------------------------------------ */

/* The human table: a header naming the machine, one block per suite with
 * one row per case of ours (with the process/thread ratio of each pair and
 * the peer's figure beside it), peer-only rows, and the notes; laid out
 * for term (report/term.h; NULL: no width limit, no colour). */
void pt_report_table(const struct pt_results *results,
		     const struct pt_term *term, FILE *out);

/* One CSV row per record, with a header row. Returns 0 or -errno. */
int pt_report_csv(const struct pt_results *results, FILE *out);

/* The results as the JSON document of docs/results-schema.md. Returns a
 * new reference, or NULL when out of memory. */
json_t *pt_results_to_json(const struct pt_results *results);

/* Writes that document to path ("-": stdout). Returns 0, or -errno with a
 * message in err. */
int pt_report_json(const struct pt_results *results, const char *path,
		   char *err, size_t err_len);

/* --- reader ------------------------------------------------------------- */

/* Validates a results document and fills *out (initialised here; freed by
 * the caller with pt_results_free() whatever the outcome). Returns 0, or
 * -EINVAL with a message naming the field and the problem in err
 * ("results[3].median: missing"). */
int pt_results_from_json(const json_t *root, struct pt_results *out, char *err,
			 size_t err_len);

/* Reads and validates the file at path. Returns 0; -errno when it cannot
 * be read; -EINVAL when it is not valid JSON or not a valid procthread
 * results file of this schema. err names the file and the problem. */
int pt_results_read_file(const char *path, struct pt_results *out, char *err,
			 size_t err_len);

#endif
