/* term.h - how text for a terminal is laid out: the width to fit and
 * whether to colour. The writers (table, summary, compare) take a struct
 * pt_term so the same code prints to a terminal, a pipe or a test. */
#ifndef PT_REPORT_TERM_H
#define PT_REPORT_TERM_H

#include <stdbool.h>
#include <stdio.h>

enum pt_color_mode { PT_COLOR_AUTO, PT_COLOR_ALWAYS, PT_COLOR_NEVER };

struct pt_term {
	unsigned width; /* columns to fit; 0: no limit (a pipe) */
	bool color;	/* ANSI colours and dimming */
};

/* The layout for writing to out: the width from COLUMNS when it is set to
 * a number, else from the terminal (TIOCGWINSZ) when out is one, else no
 * limit; colour when mode is ALWAYS, or AUTO on a terminal that is not
 * "dumb" with NO_COLOR unset or empty (https://no-color.org). */
struct pt_term pt_term_for(FILE *out, enum pt_color_mode mode);

/* Parses "auto", "always" or "never". Returns 0, or -EINVAL. */
int pt_color_mode_parse(const char *text, enum pt_color_mode *mode);

/* SGR sequences, or "" when term does not colour. */
enum pt_style {
	PT_STYLE_RESET,
	PT_STYLE_BOLD,
	PT_STYLE_DIM,
	PT_STYLE_THREAD,  /* blue, as in the charts */
	PT_STYLE_PROCESS, /* orange */
	PT_STYLE_WORSE,	  /* red */
	PT_STYLE_BETTER,  /* green */
};
const char *pt_term_sgr(const struct pt_term *term, enum pt_style style);

/* Display columns of UTF-8 text (a multi-byte character is one column). */
size_t pt_term_columns(const char *text);

/* Writes text word-wrapped to term's width: the first line after a prefix
 * of first_indent columns already printed by the caller, the following
 * ones indented by indent spaces. Ends with a newline. */
void pt_term_wrap(FILE *out, const struct pt_term *term, const char *text,
		  size_t first_indent, size_t indent);

#endif
