/* main.c - the procthread tool's entry point: dispatch.c reads the command
 * line and runs the command; what is left here is the one check of the
 * output at exit. */
#include "main/main.h"

#include <procthread.h>

#include <errno.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	int status = cli_dispatch(argc, argv);

	/* Write errors (a full disk, a closed pipe) are checked once here
	 * instead of after every printf: the stream keeps its error flag. */
	if (status == CLI_EXIT_IO)
		return status; /* already said, with its own status */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "procthread: cannot write the output: %s\n",
			pt_strerror(errno));
		return CLI_EXIT_FAIL;
	}
	return status;
}
