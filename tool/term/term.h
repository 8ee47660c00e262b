/* term.h - how text for a terminal is laid out: the width to fit and
 * whether to colour. The writers (table, summary, compare) take a struct
 * term so the same code prints to a terminal, a pipe or a test. */
#ifndef TOOL_TERM_TERM_H
#define TOOL_TERM_TERM_H

#include <stdbool.h>
#include <stdio.h>

enum color_mode { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };

struct term {
	unsigned width; /* columns to fit; 0: no limit (a pipe) */
	bool color;	/* ANSI colours and dimming */
};

/* The layout for writing to out: the width from COLUMNS when it is set to
 * a number, else from the terminal (TIOCGWINSZ) when out is one, else no
 * limit; colour when mode is ALWAYS, or AUTO on a terminal that is not
 * "dumb" with NO_COLOR unset or empty (https://no-color.org). */
struct term term_for(FILE *out, enum color_mode mode);

/* Parses "auto", "always" or "never". Returns 0, or -EINVAL. */
int color_mode_parse(const char *text, enum color_mode *mode);

/* SGR sequences, or "" when term does not colour. */
enum style {
	STYLE_RESET,
	STYLE_BOLD,
	STYLE_DIM,
	STYLE_THREAD,  /* blue, as in the charts */
	STYLE_PROCESS, /* orange */
	STYLE_WORSE,   /* red */
	STYLE_BETTER,  /* green */
};
const char *term_sgr(const struct term *term, enum style style);

/* Display columns of UTF-8 text (a multi-byte character is one column). */
size_t term_columns(const char *text);

/* Writes text word-wrapped to term's width: the first line after a prefix
 * of first_indent columns already printed by the caller, the following
 * ones indented by indent spaces. Ends with a newline. */
void term_wrap(FILE *out, const struct term *term, const char *text,
	       size_t first_indent, size_t indent);

#endif
