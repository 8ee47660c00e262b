/* cli.h - what the procthread tool's commands share: the command table,
 * usage errors and strict number parsing. Each command lives in its own
 * file (cli/<command>.c) and is listed in main.c. */
#ifndef TOOL_CLI_CLI_H
#define TOOL_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit statuses of the tool. */
#define CLI_EXIT_OK    0
#define CLI_EXIT_FAIL  1 /* the command ran and failed */
#define CLI_EXIT_USAGE 2 /* the command line was wrong */
/* compare only, where 1 means a regression: a file could not be read or
 * written. The command reports it itself; main() does not repeat it. */
#define CLI_EXIT_IO 3

struct cli_command {
	const char *name;
	const char *summary; /* one line, for `procthread --help` */
	const char *usage;   /* full help, for `procthread help NAME` */
	int (*run)(int argc, char **argv); /* argv[0] is the command name */
};

/* The commands that live in cli/ itself, over the benchmark and the
 * results files; demo, inspect and try have folders of their own. */
extern const struct cli_command cli_bench;
extern const struct cli_command cli_report;
extern const struct cli_command cli_compare;

/* When true, commands check their whole command line and then return
 * CLI_EXIT_OK instead of running (set only by the fuzz target). Every
 * command therefore returns before it reads or writes a file or runs
 * anything when it is set, and starts getopt_long() with optind = 0 (not
 * 1: glibc resets fully only then), so it can parse more than once. */
extern bool cli_dry_run;

/* Prints "procthread CMD: MESSAGE" and a pointer to the help, one line on
 * stderr, and
 * returns CLI_EXIT_USAGE, so commands can `return cli_usage_error(...)`. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Parses all of text as a decimal integer within [min, max]. */
bool cli_parse_long(const char *text, long min, long max, long *out);

/* Parses seconds as "0.5", "2s" or "500ms", from 0 to max. */
bool cli_parse_seconds(const char *text, double max, double *out);

/* Parses a byte count as "4096", "64K", "1M" (K and M are 1024 and
 * 1024 * 1024; KiB and MiB are accepted too), from 0 to max. */
bool cli_parse_bytes(const char *text, uint64_t max, uint64_t *out);

/* Handles the getopt_long() results every command shares: '?' (an unknown
 * option, an ambiguous abbreviation, or a value given to an option that
 * takes none) and ':' (a missing value); arg is the option's text
 * (argv[optind - 1]). Prints one line, with the nearest option of
 * longopts for a near miss, and returns CLI_EXIT_USAGE; the caller returns
 * it. (cli/usage.c) */
struct option;
int cli_getopt_error(const char *cmd, int opt, int opt_char, const char *arg,
		     const struct option *longopts);

/* The end of every command's getopt_long() table (from <getopt.h>): --help,
 * as 'h', which each command answers with its usage on stdout, and the
 * terminator. */
/* clang-format off */
#define CLI_OPTIONS_END \
	{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
/* clang-format on */

/* The name of names[0..n) nearest to word - one or two typing slips away
 * (cli/usage.c says how near) - or NULL when none is near. */
const char *cli_nearest(const char *word, const char *const *names, size_t n);

/* The usage error for a word that names none of names[0..n) - "unknown
 * WHAT 'word'; did you mean 'X'?" for a near miss, else the accepted names
 * joined by sep - as cli_usage_error() prints and returns it. */
int cli_unknown_word(const char *cmd, const char *what, const char *word,
		     const char *const *names, size_t n, const char *sep);

/* True when colour may be used on this stream: a terminal, and NO_COLOR is
 * not set. */
bool cli_use_colour(int fd);

#endif
