/* fuzz_cli.c - libFuzzer target: the procthread tool's command line.
 *
 * The input is split at NUL bytes into arguments after "procthread", and
 * handed to the same dispatcher main() uses, in dry-run mode: every
 * command checks its whole command line and returns without running. The
 * exit status must be one the tool documents (0, 1, 2); ASan and UBSan,
 * built into this target, catch anything worse. scripts/fuzz.sh runs it
 * with -close_fd_mask=3, so usage errors do not flood the log. */
#include "main/main.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_ARGS 32

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	cli_dry_run = true;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1);
	char *argv[MAX_ARGS + 2];
	int argc = 1;
	int status;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = 0;
	argv[0] = "procthread";
	for (size_t at = 0; at < size && argc <= MAX_ARGS;) {
		argv[argc++] = copy + at;
		at += strlen(copy + at) + 1;
	}
	argv[argc] = NULL;
	status = cli_dispatch(argc, argv);
	if (status != CLI_EXIT_OK && status != CLI_EXIT_FAIL &&
	    status != CLI_EXIT_USAGE)
		abort();
	free(copy);
	return 0;
}
