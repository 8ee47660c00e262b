/* scale.c - how throughput grows with workers, threads versus
 * processes, from 1 worker to twice the online CPUs.
 *
 * Kernels, each run by every worker on its own share:
 * - "cpu" (ops/s): a chain of xorshift-multiply steps in registers, which
 *   touches no memory: it should scale with the CPUs, whatever the kind;
 * - "membw" (B/s): a read-modify-write pass over the worker's own 16 MiB
 *   buffer, four times a round: bounded by memory bandwidth, shared by all;
 * - "counter" (ops/s): atomic increments of one counter shared by all
 *   workers (sharing=atomic), of one counter per worker packed on one
 *   cache line (sharing=false-sharing), or of one per worker on its own
 *   line (sharing=padded). Threads and processes alike use a MAP_SHARED
 *   page, so the kinds differ only in what the hardware sees: the same
 *   lines bouncing between CPUs.
 *
 * The workers are units started once per case; each sample is one round:
 * the suite wakes them all (a futex on the shared page), they run their
 * share and report, and the sample is the total work over the round's
 * wall time. Creation and start-up are outside the clock. Unpinned: the
 * scheduler spreads the workers. Parameters: kernel-specific "sharing",
 * and "workers".
 *
 * Meant for a machine with many CPUs (the 16); on 2 CPUs it shows
 * the shape only. It runs when named: `procthread bench scale`.
 */
#include "bench/engine/bench.h"

#include <procthread/unit.h>

#include <errno.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_WORKERS  512
#define LINE	     128
#define MEMBW_BYTES  ((size_t)16 << 20)
#define MEMBW_PASSES 4

enum kernel { CPU, MEMBW, COUNTER };
enum sharing { SHARED_ATOMIC, FALSE_SHARING, PADDED };

/* The page the suite and its workers share. The fields written by the
 * suite and by the workers sit on different lines. */
struct board {
	_Alignas(LINE) atomic_uint round; /* bumped by the suite to start */
	atomic_uint stop;
	_Alignas(LINE) atomic_uint done; /* workers finished this round */
	atomic_uint ready;
	_Alignas(LINE) _Atomic uint64_t shared_counter;
	_Alignas(LINE) _Atomic uint64_t packed[MAX_WORKERS];
	_Alignas(LINE) struct {
		_Alignas(LINE) _Atomic uint64_t n;
	} padded[MAX_WORKERS];
};

struct scale_case {
	enum kernel kernel;
	enum sharing sharing;
	enum pt_kind kind;
	unsigned workers;
	uint64_t iters; /* per worker per round: cpu steps, increments */
	struct board *board;
	pt_unit *units[MAX_WORKERS];
	unsigned started;
};

struct worker_arg {
	struct scale_case *c;
	unsigned index;
};

static long futex(atomic_uint *word, int op, unsigned val)
{
	return syscall(SYS_futex, word, op, val, NULL, NULL, 0);
}

/* --- the kernels ------------------------------------------------------------
 */

static uint64_t cpu_kernel(uint64_t iters, uint64_t seed)
{
	uint64_t x = seed | 1;

	for (uint64_t i = 0; i < iters; i++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		x *= 0x2545f4914f6cdd1dull;
	}
	return x;
}

static void membw_kernel(uint64_t *buf)
{
	size_t n = MEMBW_BYTES / sizeof(*buf);

	for (int pass = 0; pass < MEMBW_PASSES; pass++)
		for (size_t i = 0; i < n; i++)
			buf[i] += (uint64_t)pass;
	bench_keep(buf);
}

static void counter_kernel(struct scale_case *c, unsigned index)
{
	_Atomic uint64_t *word =
		c->sharing == SHARED_ATOMIC   ? &c->board->shared_counter
		: c->sharing == FALSE_SHARING ? &c->board->packed[index]
					      : &c->board->padded[index].n;

	for (uint64_t i = 0; i < c->iters; i++)
		atomic_fetch_add_explicit(word, 1, memory_order_relaxed);
}

/* A worker: waits for each round, runs its share, reports. */
static int worker_main(void *arg)
{
	const struct worker_arg *w = arg;
	struct scale_case *c = w->c;
	struct board *b = c->board;
	uint64_t *buf = NULL;
	unsigned seen = 0;
	uint64_t sink = 0;

	if (c->kernel == MEMBW) {
		buf = malloc(MEMBW_BYTES);
		if (!buf)
			return 1;
		memset(buf, 1, MEMBW_BYTES); /* faulted in before any round */
	}
	atomic_fetch_add(&b->ready, 1);
	futex(&b->ready, FUTEX_WAKE, 1);
	for (;;) {
		unsigned r;

		while ((r = atomic_load(&b->round)) == seen &&
		       !atomic_load(&b->stop))
			futex(&b->round, FUTEX_WAIT, seen);
		if (atomic_load(&b->stop))
			break;
		seen = r;
		if (c->kernel == CPU)
			sink += cpu_kernel(c->iters, w->index + r);
		else if (c->kernel == MEMBW)
			membw_kernel(buf);
		else
			counter_kernel(c, w->index);
		atomic_fetch_add(&b->done, 1);
		futex(&b->done, FUTEX_WAKE, 1);
	}
	bench_keep(&sink);
	free(buf);
	return 0;
}

/* --- the case ----------------------------------------------------------------
 */

static struct worker_arg args[MAX_WORKERS];

static void scale_teardown(void *arg)
{
	struct scale_case *c = arg;
	struct pt_status st;

	if (c->board) {
		atomic_store(&c->board->stop, 1);
		futex(&c->board->round, FUTEX_WAKE, MAX_WORKERS);
	}
	for (unsigned i = 0; i < c->started; i++) {
		pt_unit_join(c->units[i], -1, &st);
		pt_unit_destroy(c->units[i]);
	}
	c->started = 0;
	if (c->board)
		munmap(c->board, sizeof(*c->board));
	c->board = NULL;
}

static int scale_setup(void *arg, const struct bench_where *where)
{
	struct scale_case *c = arg;
	/* Forked directly: the board is MAP_SHARED memory made here, which
	 * a fork-server child would not have. */
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = c->kind, .name = "pt-bench-scale",
			     .fork_via = PT_UNIT_FORK_DIRECT);
	unsigned ready;
	int rc = 0;

	(void)where;
	c->board = mmap(NULL, sizeof(*c->board), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (c->board == MAP_FAILED) {
		c->board = NULL;
		return -errno;
	}
	for (unsigned i = 0; i < c->workers && !rc; i++) {
		args[i] = (struct worker_arg){ .c = c, .index = i };
		rc = pt_unit_spawn(&opts, worker_main, &args[i], &c->units[i]);
		if (!rc)
			c->started++;
	}
	while (!rc && (ready = atomic_load(&c->board->ready)) < c->workers)
		futex(&c->board->ready, FUTEX_WAIT, ready);
	return rc;
}

static int scale_sample(void *arg, double *value)
{
	struct scale_case *c = arg;
	struct board *b = c->board;
	uint64_t t0, t1;
	unsigned done;
	double work;

	atomic_store(&b->done, 0);
	t0 = bench_now_ns();
	atomic_fetch_add(&b->round, 1);
	futex(&b->round, FUTEX_WAKE, MAX_WORKERS);
	while ((done = atomic_load(&b->done)) < c->workers)
		futex(&b->done, FUTEX_WAIT, done);
	t1 = bench_now_ns();
	work = c->kernel == MEMBW
		       ? (double)MEMBW_BYTES * MEMBW_PASSES * 2 * c->workers
		       : (double)c->iters * c->workers;
	*value = work * 1e9 / (double)(t1 - t0);
	return 0;
}

static const char *sharing_name(enum sharing s)
{
	return s == SHARED_ATOMIC   ? "atomic"
	       : s == FALSE_SHARING ? "false-sharing"
				    : "padded";
}

static int one_case(struct bench_ctx *ctx, struct scale_case *sc)
{
	static const char *const names[] = { "cpu", "membw", "counter" };
	const struct bench_param params[] = {
		BENCH_INT("workers", sc->workers),
		BENCH_STR("sharing", sharing_name(sc->sharing)),
	};
	struct bench_case c = {
		.name = names[sc->kernel],
		.kind = sc->kind == PT_KIND_THREAD ? BENCH_THREAD
						   : BENCH_PROCESS,
		.place = BENCH_ANY,
		.unit = sc->kernel == MEMBW ? "B/s" : "ops/s",
		.params = params,
		.n_params = sc->kernel == COUNTER ? 2 : 1,
		.setup = scale_setup,
		.sample = scale_sample,
		.teardown = scale_teardown,
		.arg = sc,
	};

	return bench_measure(ctx, &c);
}

static int scale_run(struct bench_ctx *ctx)
{
	static struct scale_case sc; /* big: the unit table */
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned max = cpus > 0 ? (unsigned)cpus * 2 : 2;
	bool quick = bench_profile(ctx) == BENCH_QUICK;
	int rc = 0;

	if (max > MAX_WORKERS)
		max = MAX_WORKERS;
	bench_note(ctx, "scale: 1 to %u workers on %ld online CPUs", max, cpus);
	for (int kernel = CPU; kernel <= COUNTER; kernel++)
		for (int s = 0; s < (kernel == COUNTER ? 3 : 1); s++)
			for (unsigned w = 1; w <= max;
			     w = quick && w * 2 <= max ? w * 2 : w + 1)
				for (int k = 0; k < 2; k++) {
					memset(&sc, 0, sizeof(sc));
					sc.kernel = (enum kernel)kernel;
					sc.sharing = (enum sharing)s;
					sc.kind = k ? PT_KIND_PROCESS
						    : PT_KIND_THREAD;
					sc.workers = w;
					sc.iters = kernel == CPU       ? 2000000
						   : kernel == COUNTER ? 500000
								       : 0;
					if (one_case(ctx, &sc))
						rc = -1;
				}
	return rc;
}

const struct bench_suite bench_suite_scale = {
	.name = "scale",
	.summary = "throughput from 1 worker to 2x the CPUs, threads versus "
		   "processes: CPU-bound, memory bandwidth, a shared counter "
		   "with and without false sharing",
	.run = scale_run,
	.est_s = { 30, 90, 300 },
	.not_default = true,
};
