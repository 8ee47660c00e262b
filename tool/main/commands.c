/* commands.c - the command table: one entry per command, each in its own
 * folder or file, in the order `procthread --help` lists them. */
#include "main/main.h"

#include "demo/demo.h"
#include "inspect/inspect.h"
#include "try/try.h"

#include <string.h>

const struct cli_command *const cli_commands[] = {
	&cli_demo,   &cli_bench,   &cli_try, &cli_inspect,
	&cli_report, &cli_compare, NULL,
};

const struct cli_command *cli_find(const char *name)
{
	for (size_t i = 0; cli_commands[i]; i++)
		if (!strcmp(cli_commands[i]->name, name))
			return cli_commands[i];
	return NULL;
}
