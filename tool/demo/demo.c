/* demo.c - `procthread demo`: option parsing and the list of demos. Each
 * demo lives in its own file (demo/<name>.c). */
#include "cli/cli.h"
#include "demo/demo.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct demo *const demos[] = {
	&demo_isolation,
	&demo_overhead,
	&demo_communication,
	&demo_scheduling,
	&demo_control,
	&demo_failure,
	NULL,
};

static const struct demo *find_demo(const char *name)
{
	for (size_t i = 0; demos[i]; i++)
		if (!strcmp(demos[i]->name, name))
			return demos[i];
	return NULL;
}

static int unknown_demo(const char *name)
{
	const char *names[16];
	size_t n = 0;

	for (size_t i = 0; demos[i] && n < 15; i++)
		names[n++] = demos[i]->name;
	names[n++] = "all";
	return cli_unknown_word("demo", "demo", name, names, n, "|");
}

static int run_demos(const struct demo *const *list, size_t n, bool json)
{
	struct demo_ctx ctx = {
		.out = stdout,
		.json = json,
		.colour = !json && cli_use_colour(STDOUT_FILENO),
	};
	json_t *root = json ? json_object() : NULL;
	int status = CLI_EXIT_OK;

	for (size_t i = 0; i < n; i++) {
		json_t *facts = json ? json_object() : NULL;

		if (i > 0 && !json)
			fputc('\n', stdout);
		fflush(stdout);
		if (list[i]->run(&ctx, facts))
			status = CLI_EXIT_FAIL;
		if (json)
			json_object_set_new(root, list[i]->name, facts);
	}
	if (json) {
		json_dumpf(root, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		fputc('\n', stdout);
		json_decref(root);
	}
	return status;
}

static int demo_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		CLI_OPTIONS_END,
	};
	const struct demo *one;
	bool json = false;
	int opt;

	opterr = 0;
	/* 0, not 1: glibc then forgets where a previous parse stopped inside
	 * an argument, so the parser can run again (fuzz/fuzz_cli.c). */
	optind = 0;
	while ((opt = getopt_long(argc, argv, ":jh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(cli_demo.usage, stdout);
			return CLI_EXIT_OK;
		default:
			return cli_getopt_error("demo", opt, optopt,
						argv[optind - 1], longopts);
		}
	}
	if (argc - optind > 1)
		return cli_usage_error("demo",
				       "expected one demo name, "
				       "got %d",
				       argc - optind);
	if (argc > optind && strcmp(argv[optind], "all") != 0 &&
	    !find_demo(argv[optind]))
		return unknown_demo(argv[optind]);
	if (cli_dry_run)
		return CLI_EXIT_OK;
	if (argc == optind || !strcmp(argv[optind], "all")) {
		size_t n = 0;

		while (demos[n])
			n++;
		return run_demos(demos, n, json);
	}
	one = find_demo(argv[optind]);
	return run_demos(&one, 1, json);
}

const struct cli_command cli_demo = {
	.name = "demo",
	.summary = "show each difference between processes and threads, live",
	.usage = "usage: procthread demo [NAME|all] [--json]\n\n"
		 "Shows one difference between processes and threads with "
		 "values measured\non the spot, and a one-sentence "
		 "conclusion.\n\n"
		 "demos:\n"
		 "  isolation      a thread changes its parent's memory and "
		 "descriptors; a\n"
		 "                 process changes its own copy (one address "
		 "space versus two)\n"
		 "  overhead       create and join 1,000 threads and 1,000 "
		 "processes: time,\n"
		 "                 memory, and the ratio\n"
		 "  communication  pass 100,000 messages between two threads "
		 "through a shared\n"
		 "                 variable, and between two processes through "
		 "a pipe and\n"
		 "                 through the shared-memory channel\n"
		 "  scheduling     each thread has its own tid, state and CPU "
		 "time inside one\n"
		 "                 process (/proc/<pid>/task/<tid>/stat)\n"
		 "  control        SIGSTOP, nice and a resource limit aimed at "
		 "one process, then\n"
		 "                 at one thread\n"
		 "  failure        a crashing process unit dies alone; a "
		 "crashing thread takes\n"
		 "                 its whole process down\n"
		 "  all            every demo, in this order (the default)\n\n"
		 "options:\n"
		 "  --json         print the measured facts as JSON, one "
		 "object per demo\n"
		 "  --help         this text\n\n"
		 "Colour is used only on a terminal and never with NO_COLOR "
		 "set.\n",
	.run = demo_main,
};
