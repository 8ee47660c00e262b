/* dispatch.c - the procthread tool's command line: the command word, the
 * options taken before it, and the hand-over to the command's own file.
 * Apart from main() so that the fuzz target (fuzz/fuzz_cli.c) can call it
 * without running anything (cli_dry_run). */
#include "main/main.h"

#include <procthread.h>

#include <stdio.h>
#include <string.h>

static void print_help(FILE *out)
{
	fprintf(out,
		"usage: procthread COMMAND [OPTIONS]\n"
		"       procthread help COMMAND | --help | --version\n\n"
		"Should this work run as threads or as processes? procthread "
		"measures it.\n\ncommands:\n");
	for (size_t i = 0; cli_commands[i]; i++)
		fprintf(out, "  %-10s %s\n", cli_commands[i]->name,
			cli_commands[i]->summary);
}

/* "unknown command 'bnch'; did you mean 'bench'?", or the list. */
static int unknown_command(const char *name)
{
	const char *names[16] = { NULL };
	const char *near;
	size_t n = 0;

	for (size_t i = 0; cli_commands[i] && n < 16; i++)
		names[n++] = cli_commands[i]->name;
	near = cli_nearest(name, names, n);
	if (near) {
		fprintf(stderr,
			"procthread: unknown command '%s'; did you mean "
			"'%s'?\n",
			name, near);
		return CLI_EXIT_USAGE;
	}
	fprintf(stderr, "procthread: unknown command '%s'; commands:", name);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, " %s", names[i]);
	fputc('\n', stderr);
	return CLI_EXIT_USAGE;
}

static int help_command(int argc, char **argv)
{
	const struct cli_command *cmd;

	if (argc < 2) {
		print_help(stdout);
		return CLI_EXIT_OK;
	}
	if (argc > 2)
		return cli_usage_error("help",
				       "expected one command name, "
				       "got %d arguments",
				       argc - 1);
	cmd = cli_find(argv[1]);
	if (!cmd)
		return unknown_command(argv[1]);
	fputs(cmd->usage, stdout);
	return CLI_EXIT_OK;
}

int cli_dispatch(int argc, char **argv)
{
	const struct cli_command *cmd;

	if (argc < 2) {
		print_help(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		print_help(stdout);
		return CLI_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("procthread %s (%s)\n", PT_VERSION_STRING,
		       PT_BUILD_FLAGS);
		return CLI_EXIT_OK;
	}
	if (!strcmp(argv[1], "help"))
		return help_command(argc - 1, argv + 1);
	if (argv[1][0] == '-') {
		fprintf(stderr,
			"procthread: unknown option '%s'; accepted before a "
			"command: --help, --version\n",
			argv[1]);
		return CLI_EXIT_USAGE;
	}
	cmd = cli_find(argv[1]);
	if (!cmd)
		return unknown_command(argv[1]);
	return cmd->run(argc - 1, argv + 1);
}
