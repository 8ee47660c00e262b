/* pool.c - the peers of the pool suite: GLib's GThreadPool, Python's
 * concurrent.futures executors, oneTBB's task_group and pigz, on the same
 * workloads as our pools.
 *
 * Each is a small program built or copied next to the procthread tool
 * (bench/peers/CMakeLists.txt) or a tool on $PATH: pt-peer-gthreadpool,
 * built only where GLib's headers were found (Debian: libglib2.0-dev);
 * pt-peer-executor.py, run with the system python3; pt-peer-tbb, built
 * where oneTBB was found (libtbb-dev); pigz. Each run prints one figure
 * ("value N"): ns per task for latency, tasks/s for throughput.
 *
 *   GThreadPool         beside the thread pool: empty latency and
 *                       throughput, payload latency
 *   ThreadPoolExecutor  beside the thread pool, the same cases
 *   ProcessPoolExecutor beside the process pool, the same cases
 *   oneTBB              beside the thread pool: empty and cpu throughput
 *   pigz                beside the deflate workload, on the same corpus
 *
 * What differs: GThreadPool has no futures and no result path; its task
 * copies the argument and the result itself (malloc and memcpy), and a
 * waiter learns of the end through a GCond. Python pickles the argument
 * and the result; its process pool starts its workers on first use, so
 * every run submits one task before the clock starts.
 */
#include "bench/peers/peers.h"
#include "bench/workloads/deflate.h"

#include <errno.h>
#include <stdlib.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct peer_case {
	const char *workload;
	const char *mode;
	size_t size;
};

static const struct peer_case cases[] = {
	{ "empty", "latency", 0 },	   { "empty", "throughput", 0 },
	{ "payload", "latency", 64 },	   { "payload", "latency", 65536 },
	{ "payload", "latency", 1 << 20 },
};

/* Tasks per run: latency runs are one task at a time. */
static unsigned count_for(const struct bench_ctx *ctx,
			  const struct peer_case *pc, bool python_process)
{
	unsigned n = !strcmp(pc->mode, "throughput") ? 20000 : 2000;

	if (pc->size >= 65536)
		n /= 10;
	if (python_process)
		n /= 4;
	if (bench_profile(ctx) == BENCH_QUICK)
		n /= 4;
	return n ? n : 1;
}

/* A case of the pool suite that a peer's figure stands beside. */
struct pool_case {
	const char *name;
	const char *unit; /* NULL: ns */
	const char *workload;
	const char *mode;
	long long size;
	long long task_ns;
};

/* Records the runs of argv as peer's figure for pc, with kind's workers,
 * as many as there are CPUs. */
static int measure(struct bench_ctx *ctx, const struct pool_case *pc,
		   enum bench_kind kind, const char *peer, char **argv,
		   peer_parse_fn *parse, void *arg)
{
	long workers = sysconf(_SC_NPROCESSORS_ONLN);
	const struct bench_param params[] = {
		BENCH_STR("workload", pc->workload),
		BENCH_STR("mode", pc->mode),
		BENCH_INT("workers", workers > 0 ? workers : 1),
		BENCH_INT("size", pc->size),
		BENCH_INT("task_ns", pc->task_ns),
	};
	struct bench_case c = {
		.name = pc->name,
		.kind = kind,
		.place = BENCH_ANY,
		.unit = pc->unit,
		BENCH_PARAMS(params),
		.peer = peer,
	};

	return peer_measure(ctx, &c, argv, 300000, parse, arg);
}

/* Each of cases[] with a program, the first words of whose command line
 * are prefix[0 .. words), and whose last four arguments are the mode, the
 * workers, the tasks and the payload size: GThreadPool's program and
 * Python's executors. */
static int run_cases(struct bench_ctx *ctx, const char *peer,
		     enum bench_kind kind, char *const *prefix, size_t words)
{
	char w[16], n[16], s[16];
	char *argv[8];
	int rc = 0;

	if (words + 5 > sizeof(argv) / sizeof(argv[0]))
		return -1;
	memcpy(argv, prefix, words * sizeof(*argv));
	snprintf(w, sizeof(w), "%ld", sysconf(_SC_NPROCESSORS_ONLN));
	argv[words + 1] = w;
	argv[words + 2] = n;
	argv[words + 3] = s;
	argv[words + 4] = NULL;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct peer_case *pc = &cases[i];
		bool throughput = !strcmp(pc->mode, "throughput");
		const struct pool_case c = {
			.name = throughput ? "task-throughput" : "task-latency",
			.unit = throughput ? "tasks/s" : NULL,
			.workload = pc->workload,
			.mode = pc->mode,
			.size = (long long)pc->size,
		};

		argv[words] = (char *)pc->mode;
		snprintf(n, sizeof(n), "%u",
			 count_for(ctx, pc, kind == BENCH_PROCESS));
		snprintf(s, sizeof(s), "%zu", pc->size);
		if (measure(ctx, &c, kind, peer, argv, peer_parse_value, NULL))
			rc = -1;
	}
	return rc;
}

static int gthreadpool(struct bench_ctx *ctx, const char *dir)
{
	char path[PATH_MAX + 32];
	char *argv[] = { path };

	if (!peer_program(ctx, dir, "pt-peer-gthreadpool", path, sizeof(path),
			  "peer GThreadPool not built (GLib headers missing; "
			  "Debian: libglib2.0-dev); skipped"))
		return 0;
	return run_cases(ctx, "GThreadPool", BENCH_THREAD, argv, 1);
}

static int executor(struct bench_ctx *ctx, const char *dir, bool procs)
{
	const char *peer = procs ? "ProcessPoolExecutor" : "ThreadPoolExecutor";
	char script[PATH_MAX + 32];
	char *argv[] = { "python3", script, procs ? "process" : "thread" };

	snprintf(script, sizeof(script), "%spt-peer-executor.py", dir);
	if (access(script, R_OK) || !peer_found("python3")) {
		bench_note(ctx,
			   "peer Python %s not found (python3 and %s "
			   "needed); skipped",
			   peer, script);
		return 0;
	}
	return run_cases(ctx, peer, procs ? BENCH_PROCESS : BENCH_THREAD, argv,
			 3);
}

/* oneTBB's task_group beside the thread pool's throughput cases: empty
 * tasks and the cpu sweep, as many tasks per burst as ours or more (its
 * bursts are timed inside the program). */
static int tbb(struct bench_ctx *ctx, const char *dir)
{
	static const uint64_t all[] = { 0,	1000,	 10000,
					100000, 1000000, 10000000 };
	static const uint64_t quick[] = { 0, 100000 };
	bool q = bench_profile(ctx) == BENCH_QUICK;
	const uint64_t *sizes = q ? quick : all;
	size_t n_sizes = q ? 2 : 6;
	long workers = sysconf(_SC_NPROCESSORS_ONLN);
	char path[PATH_MAX + 32], w[24], n[24], t[24];
	int rc = 0;

	if (!peer_program(ctx, dir, "pt-peer-tbb", path, sizeof(path),
			  "peer oneTBB not built (Debian: libtbb-dev, from "
			  "'scripts/bootstrap.sh --optional'); skipped"))
		return 0;
	if (workers < 1)
		workers = 1;
	snprintf(w, sizeof(w), "%ld", workers);
	for (size_t i = 0; i < n_sizes; i++) {
		const struct pool_case c = {
			.name = "task-throughput",
			.unit = "tasks/s",
			.workload = sizes[i] ? "cpu" : "empty",
			.mode = "throughput",
			.task_ns = (long long)sizes[i],
		};
		/* about 40 ms of work per worker and burst, as ours */
		uint64_t count =
			sizes[i] ? 40000000u / sizes[i] * (uint64_t)workers
				 : 25600;
		char *argv[] = { path, w, n, t, NULL };

		snprintf(n, sizeof(n), "%llu",
			 (unsigned long long)(count < 4 ? 4 : count));
		snprintf(t, sizeof(t), "%llu", (unsigned long long)sizes[i]);
		if (measure(ctx, &c, BENCH_THREAD, "oneTBB", argv,
			    peer_parse_value, NULL))
			rc = -1;
	}
	return rc;
}

/* pigz's run time, printed by the shell around it, as bytes per second of
 * the corpus (arg: its length). */
static bool parse_pigz(const char *out, uint64_t cpu_ns, void *arg,
		       double *value)
{
	double ns;

	(void)cpu_ns;
	if (!peer_number_after(out, "value ", &ns) || ns <= 0)
		return false;
	*value = (double)*(const size_t *)arg / ns * 1e9;
	return true;
}

/* pigz -p WORKERS -6 on the deflate workload's corpus, written to a
 * temporary file first; beside the thread pool's deflate case. */
static int pigz(struct bench_ctx *ctx)
{
	static const char script[] =
		"s=$(date +%s%N); pigz -p \"$1\" -6 -c \"$2\" >/dev/null || "
		"exit 1; e=$(date +%s%N); echo value $((e - s))";
	long workers = sysconf(_SC_NPROCESSORS_ONLN);
	size_t len = bench_deflate_len(ctx);
	char file[] = "/tmp/pt-pigz-XXXXXX", w[24];
	const struct pool_case c = {
		.name = "deflate",
		.unit = "B/s",
		.workload = "deflate",
		.mode = "throughput",
		.size = (long long)bench_deflate_chunk(),
	};
	char *argv[] = { "sh", "-c", (char *)script, "sh", w, file, NULL };
	const unsigned char *data;
	int fd, rc;

	if (!bench_deflate_available())
		return 0;
	if (!peer_found("pigz")) {
		bench_note(ctx, "pool: pigz not installed (Debian: pigz); "
				"skipped");
		return 0;
	}
	rc = bench_deflate_corpus(len, &data);
	if (rc)
		return rc;
	fd = mkstemp(file);
	if (fd < 0)
		return -errno;
	rc = write(fd, data, len) == (ssize_t)len ? 0 : -EIO;
	close(fd);
	snprintf(w, sizeof(w), "%ld", workers > 0 ? workers : 1);
	if (!rc)
		rc = measure(ctx, &c, BENCH_THREAD, "pigz", argv, parse_pigz,
			     &len);
	unlink(file);
	return rc;
}

int bench_pool_peers(struct bench_ctx *ctx)
{
	char dir[PATH_MAX];
	int rc = 0;

	if (!peer_tool_dir(dir, sizeof(dir))) {
		bench_note(ctx, "pool peers: cannot find the tool's folder");
		return 0;
	}
	if (gthreadpool(ctx, dir))
		rc = -1;
	if (executor(ctx, dir, false))
		rc = -1;
	if (tbb(ctx, dir))
		rc = -1;
	if (pigz(ctx))
		rc = -1;
	if (executor(ctx, dir, true))
		rc = -1;
	return rc;
}
