/* term.c - terminal width, colour and word wrap for the text writers. */
#include "term/term.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static unsigned width_of(FILE *out)
{
	const char *columns = getenv("COLUMNS");
	struct winsize ws;

	if (columns && *columns) {
		char *end;
		unsigned long n = strtoul(columns, &end, 10);

		if (!*end && n > 0 && n < 100000)
			return (unsigned)n;
	}
	if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 0;
}

struct term term_for(FILE *out, enum color_mode mode)
{
	const char *no_color = getenv("NO_COLOR");
	const char *term = getenv("TERM");
	struct term t = { .width = width_of(out) };

	if (mode == COLOR_ALWAYS)
		t.color = true;
	else if (mode == COLOR_AUTO)
		t.color = isatty(fileno(out)) && !(no_color && *no_color) &&
			  !(term && !strcmp(term, "dumb"));
	return t;
}

int color_mode_parse(const char *text, enum color_mode *mode)
{
	static const char *const names[] = { "auto", "always", "never" };

	for (int i = 0; i < 3; i++)
		if (!strcmp(text, names[i])) {
			*mode = (enum color_mode)i;
			return 0;
		}
	return -EINVAL;
}

const char *term_sgr(const struct term *term, enum style style)
{
	static const char *const sgr[] = {
		[STYLE_RESET] = "\033[0m",
		[STYLE_BOLD] = "\033[1m",
		[STYLE_DIM] = "\033[2m",
		[STYLE_THREAD] = "\033[34m",
		[STYLE_PROCESS] = "\033[38;5;208m",
		[STYLE_WORSE] = "\033[31m",
		[STYLE_BETTER] = "\033[32m",
	};

	return term && term->color ? sgr[style] : "";
}

size_t term_columns(const char *text)
{
	size_t w = 0;

	for (; *text; text++)
		w += ((unsigned char)*text & 0xc0) != 0x80;
	return w;
}

/* Columns of the word starting at s, and its length in bytes in *len. */
static size_t word_at(const char *s, size_t *len)
{
	size_t n = strcspn(s, " ");
	size_t w = 0;

	for (size_t i = 0; i < n; i++)
		w += ((unsigned char)s[i] & 0xc0) != 0x80;
	*len = n;
	return w;
}

void term_wrap(FILE *out, const struct term *term, const char *text,
	       size_t first_indent, size_t indent)
{
	size_t col = first_indent;
	bool line_empty = true;

	while (*text) {
		size_t len, w;

		while (*text == ' ')
			text++;
		if (!*text)
			break;
		w = word_at(text, &len);
		if (!line_empty && term->width && col + 1 + w > term->width) {
			fprintf(out, "\n%*s", (int)indent, "");
			col = indent;
			line_empty = true;
		}
		/* A word wider than a whole line (a path) is cut where the
		 * line ends, at a character boundary. */
		while (term->width && line_empty && w > 0 &&
		       col + w > term->width && term->width > col) {
			size_t room = term->width - col, cut = 0;

			for (size_t c = 0; c < room; c++)
				do
					cut++;
				while (cut < len && ((unsigned char)text[cut] &
						     0xc0) == 0x80);
			fwrite(text, 1, cut, out);
			fprintf(out, "\n%*s", (int)indent, "");
			text += cut;
			len -= cut;
			w -= room;
			col = indent;
		}
		if (!line_empty) {
			fputc(' ', out);
			col++;
		}
		fwrite(text, 1, len, out);
		col += w;
		line_empty = false;
		text += len;
	}
	fputc('\n', out);
}
