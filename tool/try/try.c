/* try.c - `procthread try LIB.so:SYMBOL`: the user's own task as a thread
 * pool and as a process pool, side by side, and which to use (try.h).
 *
 * Everything the command line names is checked before anything runs: the
 * library is loaded, the symbols found and the inputs read first, so a
 * typo costs no time and says what was wrong in one line (exit 2).
 *
 * The tool never loads the user's code itself: a probe process checks
 * that the library loads and has the symbols (its constructors may crash,
 * exit or start threads), and each host (run.c), forked by the
 * fork-server started first, loads it before its pool starts. */
#include "cli/cli.h"
#include "cli/bench_signal.h"
#include "cli/output.h"
#include "try/try.h"

#include "bench/engine/engine.h"
#include "results/outfile.h"
#include "report/report.h"

#include <procthread/error.h>
#include <procthread/forkserver.h>
#include <procthread/unit.h>

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CMD		"try"
#define TASKS_MAX	1000000000L
#define TIME_MAX_S	86400.0
#define DEFAULT_TIME_S	2.0
#define DEFAULT_SIZE	4096
#define DEFAULT_ROUNDS	5
#define TIMEOUT_DEFAULT 10000u
#define RESULT_MIN	((size_t)64 << 10)

struct try_args {
	const char *target; /* LIB.so:SYMBOL */
	const char *arg_file, *args_dir;
	uint64_t size;
	bool size_set, tasks_set, time_set;
	long tasks;
	double time_s;
	unsigned workers, rounds;
	const char *init_symbol;
	uint64_t result_max;
	bool result_max_set;
	double timeout_s;
	const char *json_path, *html_path;
	bool quiet;
	enum color_mode color;
};

/* --- the command line ---------------------------------------------------- */

static int parse_count(const char *name, const char *arg, long max, long *out)
{
	if (!cli_parse_long(arg, 1, max, out))
		return cli_usage_error(CMD,
				       "--%s: '%s' is not a whole number "
				       "from 1 to %ld",
				       name, arg, max);
	return 0;
}

static int parse_option(struct try_args *a, int opt, const char *arg)
{
	long n = 0;
	int rc = 0;

	switch (opt) {
	case 'a':
		a->arg_file = arg;
		break;
	case 'A':
		a->args_dir = arg;
		break;
	case 's':
		if (!cli_parse_bytes(arg, PT_POOL_BYTES_MAX, &a->size))
			return cli_usage_error(
				CMD,
				"--size: '%s' is not a byte count from 0 "
				"to 16M (e.g. 4096, 64K, 1M)",
				arg);
		a->size_set = true;
		break;
	case 'n':
		rc = parse_count("tasks", arg, TASKS_MAX, &a->tasks);
		a->tasks_set = true;
		break;
	case 't':
		if (!cli_parse_seconds(arg, TIME_MAX_S, &a->time_s) ||
		    a->time_s <= 0)
			return cli_usage_error(
				CMD,
				"--time: '%s' is not a time above 0 and "
				"up to a day (e.g. 2, 2s, 500ms)",
				arg);
		a->time_set = true;
		break;
	case 'w':
		rc = parse_count("workers", arg, TRY_WORKERS_MAX, &n);
		a->workers = (unsigned)n;
		break;
	case 'R':
		rc = parse_count("rounds", arg, TRY_ROUNDS_MAX, &n);
		a->rounds = (unsigned)n;
		break;
	case 'i':
		a->init_symbol = arg;
		break;
	case 'r':
		if (!cli_parse_bytes(arg, PT_POOL_BYTES_MAX, &a->result_max) ||
		    !a->result_max)
			return cli_usage_error(
				CMD,
				"--result-max: '%s' is not a byte count "
				"from 1 to 16M (e.g. 4096, 64K, 1M)",
				arg);
		a->result_max_set = true;
		break;
	case 'T':
		if (!cli_parse_seconds(arg, TIME_MAX_S, &a->timeout_s))
			return cli_usage_error(
				CMD,
				"--timeout: '%s' is not a time from 0 "
				"(none) to a day (e.g. 10, 10s, 200ms)",
				arg);
		break;
	case 'j':
		a->json_path = arg;
		break;
	case 'H':
		a->html_path = arg;
		break;
	case 'q':
		a->quiet = true;
		break;
	case 'C':
		if (color_mode_parse(arg, &a->color))
			return cli_usage_error(
				CMD,
				"--color: '%s' is not auto, always or never",
				arg);
		break;
	default:
		return -1;
	}
	return rc;
}

static int check_args(struct try_args *a)
{
	int inputs = !!a->arg_file + !!a->args_dir + a->size_set;
	int rc;

	if (!a->target)
		return cli_usage_error(CMD, "expected LIB.so:SYMBOL, the "
					    "library and the task to run");
	if (!strrchr(a->target, ':') || strrchr(a->target, ':') == a->target ||
	    !strrchr(a->target, ':')[1])
		return cli_usage_error(CMD,
				       "'%s' is not LIB.so:SYMBOL (a "
				       "shared object, a colon, the name "
				       "of a pt_task_fn)",
				       a->target);
	if (inputs > 1)
		return cli_usage_error(CMD, "--arg, --args and --size "
					    "exclude each other");
	if (a->tasks_set && a->time_set)
		return cli_usage_error(CMD, "--tasks and --time exclude "
					    "each other");
	if (a->json_path && a->html_path &&
	    outfile_same(a->json_path, a->html_path))
		return cli_usage_error(CMD,
				       "--json and --html name the same "
				       "file '%s'",
				       a->html_path);
	if (a->html_path && !strcmp(a->html_path, "-"))
		return cli_usage_error(CMD, "--html needs a file name "
					    "(the verdict is on stdout)");
	if (cli_dry_run)
		return 0;
	if (a->json_path &&
	    (rc = cli_check_output(CMD, "--json", a->json_path)))
		return rc;
	if (a->html_path &&
	    (rc = cli_check_output(CMD, "--html", a->html_path)))
		return rc;
	return 0;
}

static int parse_args(int argc, char **argv, struct try_args *a)
{
	static const struct option longopts[] = {
		{ "arg", required_argument, NULL, 'a' },
		{ "args", required_argument, NULL, 'A' },
		{ "size", required_argument, NULL, 's' },
		{ "tasks", required_argument, NULL, 'n' },
		{ "time", required_argument, NULL, 't' },
		{ "workers", required_argument, NULL, 'w' },
		{ "rounds", required_argument, NULL, 'R' },
		{ "init", required_argument, NULL, 'i' },
		{ "result-max", required_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "json", required_argument, NULL, 'j' },
		{ "html", required_argument, NULL, 'H' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "color", required_argument, NULL, 'C' },
		CLI_OPTIONS_END,
	};
	int opt, rc;

	opterr = 0;
	optind = 0; /* 0: glibc's full reset, so a second parse works */
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (opt == 'h') {
			fputs(cli_try.usage, stdout);
			return -1;
		}
		rc = parse_option(a, opt, optarg);
		if (rc < 0)
			return cli_getopt_error(CMD, opt, optopt,
						argv[optind - 1], longopts);
		if (rc)
			return rc;
	}
	if (optind < argc)
		a->target = argv[optind++];
	if (optind < argc)
		return cli_usage_error(CMD,
				       "unexpected argument '%s': one "
				       "LIB.so:SYMBOL is taken",
				       argv[optind]);
	return check_args(a);
}

/* --- loading ------------------------------------------------------------- */

/* What the probe is told, and how it ends: the step that failed. */
struct probe_args {
	char path[PATH_MAX];
	char symbol[TRY_SYMBOL_MAX];
	char init_symbol[TRY_SYMBOL_MAX];
};
enum { PROBE_OK, PROBE_NO_LOAD, PROBE_NO_SYMBOL, PROBE_NO_INIT };
#define PROBE_TIMEOUT_MS 30000
#define PROBE_MESSAGE	 512

/* In a process of its own: loads the library and looks its symbols up,
 * handing dlerror()'s text back. */
static int probe_main(void *arg)
{
	const struct probe_args *a = arg;
	void *handle = dlopen(a->path, RTLD_NOW | RTLD_LOCAL);
	char msg[PROBE_MESSAGE];
	int rc;

	if (!handle) {
		snprintf(msg, sizeof(msg), "%s", dlerror());
		pt_unit_set_result(msg, strlen(msg) + 1);
		return PROBE_NO_LOAD;
	}
	rc = !dlsym(handle, a->symbol) ? PROBE_NO_SYMBOL
	     : a->init_symbol[0] && !dlsym(handle, a->init_symbol)
		     ? PROBE_NO_INIT
		     : PROBE_OK;
	dlclose(handle);
	return rc;
}

/* Checks that the library loads and has the symbols, in a process of its
 * own: loading runs the library's constructors, and one that crashes,
 * exits or hangs must cost a clear line, not this process. The tool
 * itself never loads the user's code; the hosts do (run.c). */
static int probe(const struct try_plan *p)
{
	struct probe_args *a = calloc(1, sizeof(*a));
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = PT_KIND_PROCESS, .name = "try-probe",
			     .arg_len = sizeof(*a),
			     .result_capacity = PROBE_MESSAGE,
			     .timeout_ms = PROBE_TIMEOUT_MS,
			     .process_group = PT_UNIT_GROUP_OWN);
	struct pt_status st;
	char how[32] = "";
	const char *msg;
	pt_unit *unit;
	size_t len = 0;
	int rc;

	if (!a)
		return CLI_EXIT_FAIL;
	snprintf(a->path, sizeof(a->path), "%s", p->library_path);
	snprintf(a->symbol, sizeof(a->symbol), "%s", p->symbol);
	if (p->init_symbol)
		snprintf(a->init_symbol, sizeof(a->init_symbol), "%s",
			 p->init_symbol);
	rc = pt_unit_spawn(&opts, probe_main, a, &unit);
	free(a);
	if (rc) {
		fprintf(stderr, "procthread try: cannot start a process: %s\n",
			pt_strerror(-rc));
		return CLI_EXIT_FAIL;
	}
	rc = pt_unit_join(unit, -1, &st);
	msg = rc ? NULL : pt_unit_result(unit, &len);
	if (rc || st.how != PT_EXIT_RETURNED) {
		if (!rc && st.how == PT_EXIT_TIMED_OUT)
			snprintf(how, sizeof(how), "it did not finish in %d s",
				 PROBE_TIMEOUT_MS / 1000);
		else if (!rc && st.signal)
			snprintf(how, sizeof(how), "signal %d, %s", st.signal,
				 sigabbrev_np(st.signal)
					 ? sigabbrev_np(st.signal)
					 : "?");
		else
			snprintf(how, sizeof(how), "exit(%d)", st.code);
		pt_unit_destroy(unit);
		return cli_usage_error(CMD,
				       "library '%s' ended the process "
				       "that loaded it (%s): its "
				       "constructors run at load",
				       p->library, how);
	}
	rc = st.code;
	if (rc == PROBE_NO_LOAD)
		rc = cli_usage_error(CMD, "cannot load library: %.*s",
				     (int)(len ? len : 1), msg ? msg : "");
	else if (rc == PROBE_NO_SYMBOL)
		rc = cli_usage_error(CMD, "symbol '%s' not found in '%s'",
				     p->symbol, p->library);
	else if (rc == PROBE_NO_INIT)
		rc = cli_usage_error(CMD,
				     "--init: symbol '%s' not found in '%s'",
				     p->init_symbol, p->library);
	pt_unit_destroy(unit);
	return rc;
}

/* Finds the library of target, and checks it loads and has the symbols. */
static int load(const struct try_args *a, struct try_plan *p, char *lib,
		size_t lib_len, char *path)
{
	const char *colon = a->target ? strrchr(a->target, ':') : NULL;
	size_t n;
	struct stat st;

	if (!colon) /* check_args() saw to it; said again for the analyzer */
		return cli_usage_error(CMD, "expected LIB.so:SYMBOL");
	n = (size_t)(colon - a->target);
	if (n + 3 > lib_len)
		return cli_usage_error(CMD, "library path too long");
	/* dlopen() searches the system's directories for a bare name: a
	 * file named here is meant, so it is asked for as a path. */
	snprintf(lib, lib_len, "%s%.*s", memchr(a->target, '/', n) ? "" : "./",
		 (int)n, a->target);
	p->library = lib;
	p->symbol = colon + 1;
	if (strlen(p->symbol) >= TRY_SYMBOL_MAX ||
	    (a->init_symbol && strlen(a->init_symbol) >= TRY_SYMBOL_MAX))
		return cli_usage_error(CMD,
				       "a symbol name is longer than %d "
				       "bytes",
				       TRY_SYMBOL_MAX - 1);
	if (stat(lib, &st))
		return cli_usage_error(CMD, "cannot open library '%s': %s", lib,
				       strerror(errno));
	if (!S_ISREG(st.st_mode))
		return cli_usage_error(CMD,
				       "library '%s' is not a regular "
				       "file",
				       lib);
	if (!realpath(lib, path))
		return cli_usage_error(CMD, "cannot open library '%s': %s", lib,
				       strerror(errno));
	p->library_path = path;
	if (a->init_symbol)
		p->init_symbol = a->init_symbol;
	return probe(p);
}

/* --- inputs -------------------------------------------------------------- */

static int read_whole(const char *path, struct try_input *in, const char *opt)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	size_t got = 0;

	if (fd < 0)
		return cli_usage_error(CMD, "%s: cannot open '%s': %s", opt,
				       path, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return cli_usage_error(CMD, "%s: '%s' is not a regular file",
				       opt, path);
	}
	if ((uint64_t)st.st_size > PT_POOL_BYTES_MAX) {
		close(fd);
		return cli_usage_error(CMD,
				       "%s: '%s' is %lld bytes; a task's "
				       "argument is at most 16 MiB",
				       opt, path, (long long)st.st_size);
	}
	in->len = (size_t)st.st_size;
	in->data = malloc(in->len ? in->len : 1);
	in->name = strdup(path);
	while (in->data && got < in->len) {
		ssize_t r = read(fd, in->data + got, in->len - got);

		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (!in->data || !in->name)
		return CLI_EXIT_FAIL;
	if (got != in->len)
		return cli_usage_error(CMD, "%s: cannot read '%s'", opt, path);
	return 0;
}

static int by_name(const void *x, const void *y)
{
	return strcmp(((const struct try_input *)x)->name,
		      ((const struct try_input *)y)->name);
}

static int read_dir(const char *dir, struct try_plan *p)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4096];
	int rc = 0;

	if (!d)
		return cli_usage_error(CMD, "--args: cannot open '%s': %s", dir,
				       strerror(errno));
	p->inputs = calloc(TRY_INPUTS_MAX, sizeof(*p->inputs));
	while (!rc && p->inputs && (e = readdir(d))) {
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) || !S_ISREG(st.st_mode))
			continue;
		if (p->n_inputs == TRY_INPUTS_MAX)
			rc = cli_usage_error(CMD,
					     "--args: '%s' holds more than "
					     "%d files",
					     dir, TRY_INPUTS_MAX);
		else
			rc = read_whole(path, &p->inputs[p->n_inputs++],
					"--args");
	}
	closedir(d);
	if (!p->inputs)
		return CLI_EXIT_FAIL;
	if (!rc && !p->n_inputs)
		rc = cli_usage_error(CMD,
				     "--args: '%s' holds no regular "
				     "file (names starting with '.' "
				     "are left out)",
				     dir);
	if (!rc)
		qsort(p->inputs, p->n_inputs, sizeof(*p->inputs), by_name);
	return rc;
}

/* size bytes of text-like data: words from a small vocabulary in a
 * fixed pseudo-random order, so compressors and parsers have real work
 * and every run gets the same bytes. */
static int generate(uint64_t size, struct try_plan *p)
{
	static const char *const words[] = {
		"thread ", "process ", "pool ",	   "task ",   "memory ",
		"signal ", "fork ",    "channel ", "worker ", "result ",
		"queue ",  "crash ",   "ring ",	   "page ",   "futex\n",
	};
	uint32_t x = 2463534242u;
	struct try_input *in;

	p->inputs = calloc(1, sizeof(*p->inputs));
	if (!p->inputs)
		return CLI_EXIT_FAIL;
	in = &p->inputs[0];
	p->n_inputs = 1;
	in->name = strdup("generated");
	in->data = malloc(size ? size : 1);
	if (!in->name || !in->data)
		return CLI_EXIT_FAIL;
	in->len = size;
	for (size_t i = 0; i < size;) {
		const char *w;

		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		w = words[x % (sizeof(words) / sizeof(words[0]))];
		for (; *w && i < size; w++)
			in->data[i++] = (unsigned char)*w;
	}
	return 0;
}

static int read_inputs(const struct try_args *a, struct try_plan *p)
{
	char lo[32], hi[32];
	size_t min = SIZE_MAX, max = 0;
	int rc;

	if (a->arg_file) {
		p->inputs = calloc(1, sizeof(*p->inputs));
		if (!p->inputs)
			return CLI_EXIT_FAIL;
		p->n_inputs = 1;
		rc = read_whole(a->arg_file, &p->inputs[0], "--arg");
	} else if (a->args_dir) {
		rc = read_dir(a->args_dir, p);
	} else {
		rc = generate(a->size_set ? a->size : DEFAULT_SIZE, p);
	}
	if (rc)
		return rc;
	for (size_t i = 0; i < p->n_inputs; i++) {
		min = p->inputs[i].len < min ? p->inputs[i].len : min;
		max = p->inputs[i].len > max ? p->inputs[i].len : max;
	}
	p->arg_max = max ? max : 1;
	format_value((double)min, "bytes", lo, sizeof(lo));
	format_value((double)max, "bytes", hi, sizeof(hi));
	if (a->args_dir && min != max)
		rc = asprintf(&p->inputs_text, "%zu files of %s (%s to %s)",
			      p->n_inputs, a->args_dir, lo, hi);
	else if (a->args_dir)
		rc = asprintf(&p->inputs_text, "%zu files of %s (%s each)",
			      p->n_inputs, a->args_dir, lo);
	else if (a->arg_file)
		rc = asprintf(&p->inputs_text, "%s (%s)", a->arg_file, lo);
	else
		rc = asprintf(&p->inputs_text, "a generated argument of %s",
			      lo);
	return rc < 0 ? CLI_EXIT_FAIL : 0;
}

static void free_plan(struct try_plan *p)
{
	for (size_t i = 0; p->inputs && i < p->n_inputs; i++) {
		free(p->inputs[i].name);
		free(p->inputs[i].data);
	}
	free(p->inputs);
	free(p->inputs_text);
}

/* --- running ------------------------------------------------------------- */

static void progress(bool show, unsigned round, unsigned rounds,
		     const char *what)
{
	bench_position.suite = what;
	bench_position.round = (sig_atomic_t)round;
	bench_position.rounds = (sig_atomic_t)rounds;
	if (show) {
		fprintf(stderr, "\r\033[K[round %u/%u] %s", round, rounds,
			what);
		fflush(stderr);
	}
}

/* Runs the rounds, a process round and then a thread round each time:
 * the process rounds say which inputs crash before a thread pool meets
 * them (try.h). */
static int run_rounds(const struct try_plan *p, bool show, struct try_run *run)
{
	static const enum pt_kind order[] = { PT_KIND_PROCESS, PT_KIND_THREAD };
	struct try_input_log log = { 0 };
	int rc = 0;

	rc = try_share_inputs(p, &log.inputs);
	if (rc)
		return rc;
	log.runs = calloc(p->n_inputs, sizeof(*log.runs));
	log.crashes = calloc(p->n_inputs, sizeof(*log.crashes));
	run->rounds[0] = calloc(p->rounds, sizeof(struct try_round));
	run->rounds[1] = calloc(p->rounds, sizeof(struct try_round));
	if (!log.runs || !log.crashes || !run->rounds[0] || !run->rounds[1])
		rc = -ENOMEM;
	for (unsigned r = 0; !rc && r < p->rounds; r++) {
		for (size_t k = 0; !rc && k < 2; k++) {
			enum pt_kind kind = order[k];
			size_t slot = kind == PT_KIND_THREAD ? 0 : 1;

			progress(show, r + 1, p->rounds,
				 kind == PT_KIND_THREAD ? "the thread pool"
							: "the process pool");
			rc = try_run_round(p, kind, r, &log,
					   &run->rounds[slot][r]);
			if (!rc)
				run->n_rounds[slot]++;
		}
	}
	if (show)
		fputs("\r\033[K", stderr);
	free(log.runs);
	free(log.crashes);
	pt_region_destroy(log.inputs);
	return rc;
}

static bool any_round_ran(const struct try_run *run)
{
	for (size_t k = 0; k < 2; k++)
		for (size_t i = 0; i < run->n_rounds[k]; i++)
			if (run->rounds[k][i].ran)
				return true;
	return false;
}

static void free_run(struct try_run *run)
{
	for (size_t k = 0; k < 2; k++) {
		for (size_t i = 0; i < run->n_rounds[k]; i++)
			try_round_free(&run->rounds[k][i]);
		free(run->rounds[k]);
	}
}

static void fill_plan(const struct try_args *a, struct try_plan *p)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	p->workers = a->workers ? a->workers : (unsigned)(cpus > 0 ? cpus : 1);
	p->rounds = a->rounds ? a->rounds : DEFAULT_ROUNDS;
	if (a->tasks_set) {
		p->tasks = (uint64_t)a->tasks;
		if (p->tasks < p->rounds)
			p->rounds = (unsigned)p->tasks;
	} else {
		p->time_s = a->time_set ? a->time_s : DEFAULT_TIME_S;
	}
	p->timeout_ms = a->timeout_s >= 0 ? (uint32_t)(a->timeout_s * 1000)
					  : TIMEOUT_DEFAULT;
	if (a->result_max_set) {
		p->result_max = a->result_max;
	} else {
		p->result_max = p->arg_max + p->arg_max / 8 + 1024;
		if (p->result_max < RESULT_MIN)
			p->result_max = RESULT_MIN;
		if (p->result_max > PT_POOL_BYTES_MAX)
			p->result_max = PT_POOL_BYTES_MAX;
	}
}

static int begin_results(const struct try_plan *p, struct results *res)
{
	if (bench_results_begin(res))
		return -ENOMEM;
	res->config.profile = strdup("try");
	res->config.pin = strdup("none");
	res->config.cpus[0] = res->config.cpus[1] = -1;
	res->config.rounds = p->rounds;
	res->config.runs = p->rounds;
	res->config.min_time_s = p->time_s;
	if (!res->config.profile || !res->config.pin)
		return -ENOMEM;
	return results_strv_push(&res->config.suites, &res->config.n_suites,
				 "try");
}

static int write_outputs(const struct try_args *a, const struct try_plan *p,
			 const struct try_run *run, struct results *res)
{
	bool json_stdout = a->json_path && !strcmp(a->json_path, "-");
	char err[512];
	int status = CLI_EXIT_OK;

	if (!json_stdout) {
		struct term term = term_for(stdout, a->color);

		try_print(p, run, &term, stdout);
	}
	if (!a->json_path && !a->html_path)
		return status;
	if (try_results(p, run, res)) {
		fprintf(stderr, "procthread try: out of memory\n");
		return CLI_EXIT_FAIL;
	}
	if (a->json_path &&
	    cli_write_json(a->json_path, res, err, sizeof(err))) {
		fprintf(stderr, "procthread try: %s\n", err);
		status = CLI_EXIT_FAIL;
	}
	if (a->html_path &&
	    cli_write_html(a->html_path, res, a->json_path, err, sizeof(err))) {
		fprintf(stderr, "procthread try: %s\n", err);
		status = CLI_EXIT_FAIL;
	}
	return status;
}

static int try_main(int argc, char **argv)
{
	struct try_args a = { .timeout_s = -1 };
	struct try_plan p = { 0 };
	struct try_run run = { 0 };
	struct results res;
	char lib[4096], path[PATH_MAX];
	bool show;
	int rc;

	rc = parse_args(argc, argv, &a);
	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	if (cli_dry_run)
		return CLI_EXIT_OK;
	/* Without a server (out of processes), hosts fork from here. */
	pt_forkserver_start();
	rc = load(&a, &p, lib, sizeof(lib), path);
	if (!rc)
		rc = read_inputs(&a, &p);
	if (rc) {
		free_plan(&p);
		pt_forkserver_stop();
		return rc;
	}
	fill_plan(&a, &p);
	results_init(&res);
	if (begin_results(&p, &res)) {
		fprintf(stderr, "procthread try: out of memory\n");
		results_free(&res);
		free_plan(&p);
		pt_forkserver_stop();
		return CLI_EXIT_FAIL;
	}
	show = !a.quiet && isatty(STDERR_FILENO);
	cli_bench_signals_install(CMD, show);
	rc = run_rounds(&p, show, &run);
	cli_bench_signals_writing();
	if (rc) {
		fprintf(stderr, "procthread try: cannot run a round: %s\n",
			pt_strerror(-rc));
		rc = CLI_EXIT_FAIL;
	} else {
		bench_results_end(&res);
		rc = write_outputs(&a, &p, &run, &res);
		if (!rc && !any_round_ran(&run))
			rc = CLI_EXIT_FAIL;
	}
	fflush(stdout);
	cli_bench_signals_restore();
	results_free(&res);
	free_run(&run);
	free_plan(&p);
	pt_forkserver_stop();
	return rc;
}

const struct cli_command cli_try = {
	.name = "try",
	.summary = "run your own task as threads and as processes: which "
		   "to use",
	.usage =
		"usage: procthread try LIB.so:SYMBOL [--arg FILE | --args DIR "
		"| --size BYTES]\n"
		"                      [--tasks N | --time T] [--workers N] "
		"[--rounds N]\n"
		"                      [--init SYMBOL] [--result-max BYTES] "
		"[--timeout T]\n"
		"                      [--json FILE] [--html FILE] [--quiet] "
		"[--color WHEN]\n\n"
		"Loads your shared object and runs SYMBOL, a pt_task_fn "
		"(<procthread/pool.h>),\nin a thread pool and in a process "
		"pool, round by round in one run, and says\nwhich to use and "
		"why: throughput and latency, CPU and memory per worker, "
		"the\npool's start-up, and what happened to every task. A task "
		"that crashes is\nrun in a sacrificial process when the thread "
		"pool meets it, so try lives to\nsay what it would have cost "
		"you.\n\n"
		"options:\n"
		"  --arg FILE         one argument, the file's bytes, for "
		"every task\n"
		"  --args DIR         one task per regular file of DIR, "
		"cycled (up to 4096)\n"
		"  --size BYTES       a generated text-like argument (4096, "
		"64K, 1M);\n"
		"                     the default: --size 4K\n"
		"  --tasks N          N tasks per kind (1-1000000000)\n"
		"  --time T           run each kind for T (2, 2s, 500ms); the "
		"default: 2s\n"
		"  --workers N        workers per pool (1-1024); default: the "
		"online CPUs\n"
		"  --rounds N         alternate the kinds N times (1-100; "
		"default 5), so that\n"
		"                     drift shows as spread\n"
		"  --init SYMBOL      a pt_pool_init_fn run once in each "
		"worker first\n"
		"  --result-max BYTES room for a task's result (default: the "
		"largest\n"
		"                     argument plus an eighth, at least 64K)\n"
		"  --timeout T        a task's deadline (default 10s; 0: "
		"none): a process\n"
		"                     worker past it is killed, a thread only "
		"asked to stop\n"
		"  --json FILE        write the results (suite try, "
		"docs/results-schema.md);\n"
		"                     - for stdout instead of the verdict\n"
		"  --html FILE        write the results as an HTML report\n"
		"  --quiet            no progress line\n"
		"  --color WHEN       auto, always or never\n"
		"  --help             this text\n\n"
		"try never loads your code itself: a probe process checks that "
		"the library\nloads (a constructor that crashes is one line, "
		"exit 2), and each pool's host\nprocess loads it before its "
		"workers start, so they have it mapped. A task\nmay call "
		"pt_cancelled() and pt_pool_recycle_worker(); the tool "
		"provides "
		"them.\n\n"
		"Ctrl-C (SIGINT) or SIGTERM stops the run: every process it "
		"started is\nkilled and nothing is written.\n\n"
		"Exit status: 0 when a round ran (even when tasks failed or "
		"crashed: that is\na finding), 1 when none could run (an "
		"initializer that fails) or an output\ncould not be written, 2 "
		"for a bad command "
		"line, a missing file, a library that does not\nload or a "
		"symbol it lacks, 130 or 143 when interrupted.\n",
	.run = try_main,
};
