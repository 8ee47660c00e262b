/* main.h - the top of the tool: the table of its commands and the
 * reading of the command line that picks one. Nothing below includes it. */
#ifndef TOOL_MAIN_MAIN_H
#define TOOL_MAIN_MAIN_H

#include "cli/cli.h"

/* The table of the commands, ended by NULL; each command's own header
 * declares it. */
extern const struct cli_command *const cli_commands[];

const struct cli_command *cli_find(const char *name);

/* Reads the command line (argv[0] is the program) and runs the command;
 * returns the tool's exit status. */
int cli_dispatch(int argc, char **argv);

#endif
