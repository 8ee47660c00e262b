/* units.h - what the charts need to know about units beyond
 * format_value() (report/report.h): short tick labels, and which way is
 * better. */
#ifndef TOOL_REPORT_UNITS_H
#define TOOL_REPORT_UNITS_H

#include "results/results.h"

#include <stdbool.h>
#include <stddef.h>

/* v in unit as short as an axis tick allows, scaled as format_value()
 * scales it: "64 KiB", "1 ms", "200 k/s", "2.5 M/s". Writes at most len
 * bytes, NUL-terminated; returns buf. */
char *fmt_tick(double v, const char *unit, char *buf, size_t len);

/* True when a larger value of unit is better (rates: "ops/s", "B/s", ...);
 * false for costs (time, bytes). */
bool report_unit_higher_is_better(const char *unit);

/* True when a larger figure of rec is better: what its case said
 * (rec->better), or else what its unit says. A share of a limit reached
 * ("vs-limit" of a throughput), survivors or work done in time are better
 * higher whatever their unit; their cases say so. */
bool report_higher_is_better(const struct record *rec);

/* True for a unit of bytes (sizes, not rates), whose axes step in powers
 * of two. */
bool report_unit_is_bytes(const char *unit);

#endif
