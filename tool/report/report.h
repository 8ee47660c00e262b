/* report.h - turning results into something to read: numbers for people
 * and the terminal table. The writers never change the results. Files -
 * JSON and CSV, written and read back - are results/io.h's. */
#ifndef TOOL_REPORT_REPORT_H
#define TOOL_REPORT_REPORT_H

#include "results/results.h"
#include "term/term.h"

#include <stdio.h>

/* --- numbers for people ------------------------------------------------- */

/* value in unit, scaled to 3 significant digits with a fitting prefix:
 * "ns" becomes ns/us/ms/s, "bytes" B/KiB/MiB/GiB, a rate "X/s" X/s, kX/s,
 * MX/s, GX/s. Returns buf. */
const char *format_value(double value, const char *unit, char *buf, size_t len);

/* A parameter as the table shows it: byte counts (keys size, stack,
 * touched, working_set and *_bytes) as 64K, 1M, 1G. Returns buf. */
const char *format_param(const struct param *param, char *buf, size_t len);

/* True when the median's 95% interval reaches farther than
 * REPORT_NOISY_SHARE of it on either side: the table's "95% CI" column above
 * ±10%. Nothing else: a skewed distribution is not noise. */
#define REPORT_NOISY_SHARE 0.10
bool record_noisy(const struct record *rec);

/* --- writers ------------------------------------------------------------ */

/* The human table: a header naming the machine, one block per suite with
 * one row per case of ours (with the process/thread ratio of each pair and
 * the peer's figure beside it), peer-only rows, and the notes; laid out
 * for term (term/term.h; NULL: no width limit, no colour). */
void report_table(const struct results *results, const struct term *term,
		  FILE *out);

#endif
