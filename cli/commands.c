/* commands.c - the command table and the helpers every command shares. */
#include "cli/cli.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const struct pt_cli_command *const pt_cli_commands[] = {
	&pt_cli_demo,	&pt_cli_bench,	 &pt_cli_inspect,
	&pt_cli_report, &pt_cli_compare, NULL,
};

bool pt_cli_dry_run;

const struct pt_cli_command *pt_cli_find(const char *name)
{
	for (size_t i = 0; pt_cli_commands[i]; i++)
		if (!strcmp(pt_cli_commands[i]->name, name))
			return pt_cli_commands[i];
	return NULL;
}

bool pt_cli_parse_long(const char *text, long min, long max, long *out)
{
	char *end;
	long v;

	if (!text || !*text)
		return false;
	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool pt_cli_use_colour(int fd)
{
	const char *no = getenv("NO_COLOR");

	return isatty(fd) && !(no && *no);
}
