/* usage.c - usage errors: one line that says what was wrong and what is
 * accepted, with a "did you mean" for a near miss of a command, suite,
 * demo or option, and exit status 2.
 *
 * Long options may be abbreviated, as getopt_long() allows, to any prefix
 * that names one option (--qui is ambiguous in bench: --quick or --quiet;
 * --li is --list). A prefix that names several is refused with their
 * names, rather than getopt_long()'s silent '?'. */
#include "cli/cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NEAR_MAX_LEN 64

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "procthread %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	/* One line: the error, then where the whole story is. */
	fprintf(stderr, " (see 'procthread help %s')\n", cmd);
	return CLI_EXIT_USAGE;
}

/* The optimal string alignment distance: edits of one character
 * (insert, delete, replace) and swaps of two neighbours, each costing 1 -
 * the usual typing slips. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t d[NEAR_MAX_LEN + 1][NEAR_MAX_LEN + 1];

	if (la > NEAR_MAX_LEN || lb > NEAR_MAX_LEN)
		return (size_t)-1;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t best = d[i - 1][j - 1] + cost;

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

const char *cli_nearest(const char *word, const char *const *names, size_t n)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1;

	for (size_t i = 0; i < n; i++) {
		size_t d = distance(word, names[i]);

		/* Near: one slip in a short name, two in one of six or more
		 * letters - not "ipc" for "abc". */
		if (d <= 2 && d * 3 <= strlen(names[i]) && d < best_d) {
			best = names[i];
			best_d = d;
		}
	}
	return best;
}

/* The options whose names start with name (n of them, up to 8 named). */
static size_t prefixed(const struct option *longopts, const char *name,
		       size_t len, const char *found[8])
{
	size_t n = 0;

	for (const struct option *o = longopts; o->name; o++) {
		if (strncmp(o->name, name, len) != 0)
			continue;
		if (strlen(o->name) == len)
			return found[0] = o->name, 1; /* exact */
		if (n < 8)
			found[n] = o->name;
		n++;
	}
	return n;
}

static int long_option_error(const char *cmd, int opt, const char *arg,
			     const struct option *longopts)
{
	const char *name = arg + 2, *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	const char *found[8], *names[32];
	char word[NEAR_MAX_LEN + 1], list[256] = "";
	size_t n = prefixed(longopts, name, len, found), k = 0;
	const struct option *o;

	if (n > 1) {
		for (size_t i = 0; i < n && i < 8; i++) {
			strncat(list, i ? ", --" : "--",
				sizeof(list) - strlen(list) - 1);
			strncat(list, found[i],
				sizeof(list) - strlen(list) - 1);
		}
		return cli_usage_error(cmd,
				       "option '--%.*s' is ambiguous: it "
				       "may be %s",
				       (int)len, name, list);
	}
	if (n == 1) {
		for (o = longopts; strcmp(o->name, found[0]) != 0; o++)
			;
		if (opt == ':')
			return cli_usage_error(
				cmd, "option '--%s' needs a value", o->name);
		if (eq && o->has_arg == no_argument)
			return cli_usage_error(cmd,
					       "option '--%s' takes no "
					       "value, but was given '%s'",
					       o->name, eq + 1);
	}
	for (o = longopts; o->name && k < 32; o++)
		names[k++] = o->name;
	snprintf(word, sizeof(word), "%.*s", (int)len, name);
	name = cli_nearest(word, names, k);
	if (name)
		return cli_usage_error(cmd,
				       "unknown option '--%s'; did you "
				       "mean '--%s'?",
				       word, name);
	return cli_usage_error(cmd, "unknown option '--%s'", word);
}

int cli_getopt_error(const char *cmd, int opt, int opt_char, const char *arg,
		     const struct option *longopts)
{
	/* A long option's trouble sets optopt to its value too, so the
	 * text decides: "--json=x" is a value given to --json, not -j. */
	if (arg && !strncmp(arg, "--", 2) && arg[2])
		return long_option_error(cmd, opt, arg, longopts);
	if (opt == ':')
		return cli_usage_error(cmd, "option '-%c' needs a value",
				       opt_char);
	if (opt_char)
		return cli_usage_error(cmd, "unknown option '-%c'", opt_char);
	return cli_usage_error(cmd, "unknown option '%s'", arg);
}

int cli_unknown_word(const char *cmd, const char *what, const char *word,
		     const char *const *names, size_t n, const char *sep)
{
	const char *near = cli_nearest(word, names, n);
	char accepted[256] = "";

	if (near)
		return cli_usage_error(cmd,
				       "unknown %s '%s'; did you mean '%s'?",
				       what, word, near);
	for (size_t i = 0; i < n; i++) {
		if (i)
			strncat(accepted, sep,
				sizeof(accepted) - strlen(accepted) - 1);
		strncat(accepted, names[i],
			sizeof(accepted) - strlen(accepted) - 1);
	}
	return cli_usage_error(cmd, "unknown %s '%s'; accepted: %s", what, word,
			       accepted);
}
