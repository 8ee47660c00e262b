/* escape.h - text into HTML and SVG: the five characters markup gives a
 * meaning to are written as entities, so a case name or a CPU model from a
 * results file can never add markup (or a reference to anything outside
 * the page) to a report. */
#ifndef TOOL_REPORT_ESCAPE_H
#define TOOL_REPORT_ESCAPE_H

#include <stdio.h>

/* Writes s with & < > " ' escaped; NULL writes nothing. */
void xml_puts(FILE *out, const char *s);

/* printf, then escaped as xml_puts() does. */
void xml_printf(FILE *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
