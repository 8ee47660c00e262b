/* ipc_limits.c - the limits the ipc suite measures its
 * transports against, in the same run: a cache line passed between two
 * CPUs (the latency floor: no channel can answer faster than its counter
 * line crosses), the same token with futex sleeps between two processes
 * (the floor of a blocking wait), and memcpy of the message's size on one
 * CPU (the ceiling of a copying channel's throughput).
 *
 * limit-memcpy's source comes from calloc() and each copy writes one byte
 * of it, so at large sizes most of it is still the kernel's shared zero
 * page: the copy reads one 4 KiB page over and over and is nearly a memset
 * into a destination that stays in L2 (about 60 GB/s at 1 MiB on the
 * development VM, where a written source gives about 16). It is kept as it
 * was, so that figures stay comparable across versions, and
 * limit-memcpy-real, measured beside it, is the same loop over a source
 * whose every page was written: what a sender copying a message it made
 * can reach at best.
 *
 * The ping-pong spins with a pause (x86 PAUSE) between loads: a spin
 * without one fills the pipeline with speculative loads of the line, and
 * when the line changes the CPU flushes them - a memory-order machine
 * clear that costs about half again as much as the transfer itself
 * (121-137 ns against 69-74 ns, measured on an idle EPYC guest). The floor
 * is the cache line's transfer, not that flush, so the loop pauses, as
 * every spinning wait of the library does. To keep the floor honest,
 * ipc_limit_check() measures it again in the same run with a loop of
 * its own outside the engine (two pthreads, no unit, no batching) and
 * says whether the two agree within 20%.
 *
 * A round trip over two one-way channels cannot share one line between
 * its directions: each needs a line of its own, written by one side and
 * read by the other, and a line that only one side writes costs an
 * invalidation on top of the transfer (on the development VM, two lines
 * take about twice the one-line floor). limit-atomic-2line measures that
 * second floor - two lines, one per direction - in the same run, so a
 * channel's round trip can be read against what two channels need at
 * least, beside the absolute floor.
 */
#include "bench/suites/ipc.h"
#include "bench/engine/stats.h"

#include <procthread/unit.h>

#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define JOIN_MS 5000

static void futex_wait_while(atomic_uint *word, unsigned val)
{
	while (atomic_load_explicit(word, memory_order_acquire) == val)
		syscall(SYS_futex, word, FUTEX_WAIT, val, NULL, NULL, 0);
}

static void futex_wake(atomic_uint *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0);
}

static void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

struct limit {
	_Alignas(64) atomic_uint token; /* the ping-pong's cache line */
	_Alignas(64) atomic_uint reply; /* two lines: B's answer */
	_Alignas(64) atomic_uint stop;
	unsigned count;		  /* two lines: A's last token */
	bool two_lines;		  /* A counts on token, B answers */
	unsigned char *src, *dst; /* memcpy */
	size_t size;
	bool futex; /* sleep instead of spinning */
	pt_unit *unit;
};

/* Side B over two lines: answers each new token on its own line. */
static int limit_b_two_lines(struct limit *l)
{
	unsigned seen = 0, v;

	for (;;) {
		while ((v = atomic_load_explicit(&l->token,
						 memory_order_acquire)) == seen)
			relax();
		if (atomic_load_explicit(&l->stop, memory_order_relaxed))
			return 0;
		seen = v;
		atomic_store_explicit(&l->reply, v, memory_order_release);
	}
}

static int limit_b(void *arg)
{
	struct limit *l = arg;

	if (l->two_lines)
		return limit_b_two_lines(l);
	for (;;) {
		if (l->futex)
			futex_wait_while(&l->token, 0);
		else
			while (atomic_load_explicit(&l->token,
						    memory_order_acquire) == 0)
				relax();
		if (atomic_load_explicit(&l->stop, memory_order_relaxed))
			return 0;
		atomic_store_explicit(&l->token, 0, memory_order_release);
		if (l->futex)
			futex_wake(&l->token);
	}
}

static int run_pingpong(void *arg, uint64_t n)
{
	struct limit *l = arg;

	for (uint64_t i = 0; i < n && l->two_lines; i++) {
		unsigned v = ++l->count;

		atomic_store_explicit(&l->token, v, memory_order_release);
		while (atomic_load_explicit(&l->reply, memory_order_acquire) !=
		       v)
			relax();
	}
	for (uint64_t i = 0; i < n && !l->two_lines; i++) {
		atomic_store_explicit(&l->token, 1, memory_order_release);
		if (l->futex) {
			futex_wake(&l->token);
			futex_wait_while(&l->token, 1);
		} else {
			while (atomic_load_explicit(&l->token,
						    memory_order_acquire))
				relax();
		}
	}
	return 0;
}

static int pingpong_setup(void *arg, const struct bench_where *where)
{
	struct limit *l = arg;
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = l->futex ? PT_KIND_PROCESS
					      : PT_KIND_THREAD,
			     .name = "pt-bench-limit",
			     .cpu_mask = bench_cpu_mask(where, 1));

	return pt_unit_spawn(&opts, limit_b, l, &l->unit);
}

static void pingpong_teardown(void *arg)
{
	struct limit *l = arg;
	struct pt_status st;

	if (!l->unit)
		return;
	atomic_store(&l->stop, 1);
	/* a token B has not seen yet, in either loop */
	atomic_store(&l->token, l->two_lines ? ++l->count : 1);
	futex_wake(&l->token);
	pt_unit_join(l->unit, JOIN_MS, &st);
	pt_unit_destroy(l->unit);
	l->unit = NULL;
}

static int run_memcpy(void *arg, uint64_t n)
{
	struct limit *l = arg;

	for (uint64_t i = 0; i < n; i++) {
		l->src[i % l->size] = (unsigned char)i;
		memcpy(l->dst, l->src, l->size);
		bench_keep(l->dst);
	}
	return 0;
}

/* A ping-pong as a case of its own: futex sleeps, or spinning on one
 * line or on two. Returns its median, 0 when it failed. */
static double pingpong(struct bench_ctx *ctx, bool futex, bool two_lines)
{
	const struct bench_param params[] = {
		BENCH_STR("transport", futex	   ? "limit-futex"
				       : two_lines ? "limit-atomic-2line"
						   : "limit-atomic"),
		BENCH_INT("size", 0),
		BENCH_STR("mode", "latency"),
		BENCH_STR("wait", futex ? "block" : "spin"),
	};
	struct limit *l = mmap(NULL, sizeof(*l), PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct bench_case c = {
		.name = "latency",
		.kind = BENCH_NONE,
		.place = BENCH_CROSS_CPU,
		BENCH_PARAMS(params),
		.setup = pingpong_setup,
		.run = run_pingpong,
		.teardown = pingpong_teardown,
	};
	double median = 0;

	if (l == MAP_FAILED)
		return 0;
	memset(l, 0, sizeof(*l));
	l->futex = futex;
	l->two_lines = two_lines;
	c.arg = l;
	if (bench_measure(ctx, &c) == 0)
		median = bench_last_median(ctx);
	munmap(l, sizeof(*l));
	return median;
}

double ipc_limit_pingpong(struct bench_ctx *ctx, bool futex)
{
	return pingpong(ctx, futex, false);
}

double ipc_limit_two_lines(struct bench_ctx *ctx)
{
	return pingpong(ctx, false, true);
}

/* memcpy of size bytes on one CPU, from a calloc'd source (real: one
 * whose every page was written first). */
static double memcpy_case(struct bench_ctx *ctx, size_t size, bool real)
{
	const struct bench_param params[] = {
		BENCH_STR("transport",
			  real ? "limit-memcpy-real" : "limit-memcpy"),
		BENCH_INT("size", size),
		BENCH_STR("mode", "throughput"),
		BENCH_STR("wait", "none"),
	};
	struct limit l = { .size = size };
	struct bench_case c = {
		.name = "throughput",
		.kind = BENCH_NONE,
		.place = BENCH_SAME_CPU,
		.unit = "msgs/s",
		.twins = { { .name = "throughput-bytes",
			     .unit = "B/s",
			     .scale = (double)size } },
		BENCH_PARAMS(params),
		.run = run_memcpy,
		.arg = &l,
	};
	double median = 0;

	l.src = calloc(1, size);
	l.dst = calloc(1, size);
	if (real && l.src)
		memset(l.src, 1, size);
	if (l.src && l.dst && bench_measure(ctx, &c) == 0)
		median = bench_last_median(ctx);
	free(l.src);
	free(l.dst);
	return median;
}

double ipc_limit_memcpy(struct bench_ctx *ctx, size_t size)
{
	return memcpy_case(ctx, size, false);
}

double ipc_limit_memcpy_real(struct bench_ctx *ctx, size_t size)
{
	return memcpy_case(ctx, size, true);
}

/* --- the floor, checked --------------------------------------------------- */

#define CHECK_TRIPS   20000
#define CHECK_BATCHES 5

struct plain {
	_Alignas(64) atomic_uint token;
	int cpu;
};

/* Side B of the plain loop: hands every 1 back as 0, until it sees 2. */
static void *plain_b(void *arg)
{
	struct plain *p = arg;
	unsigned v;

	if (p->cpu >= 0)
		bench_pin_self(p->cpu);
	for (;;) {
		while ((v = atomic_load_explicit(&p->token,
						 memory_order_acquire)) == 0)
			relax();
		if (v == 2)
			return NULL;
		atomic_store_explicit(&p->token, 0, memory_order_release);
	}
}

void ipc_limit_check(struct bench_ctx *ctx, double atomic_ns)
{
	const struct bench_param params[] = {
		BENCH_STR("transport", "limit-atomic-plain"),
		BENCH_INT("size", 0),
		BENCH_STR("mode", "latency"),
		BENCH_STR("wait", "spin"),
	};
	struct bench_case c = {
		.name = "latency",
		.kind = BENCH_NONE,
		.place = BENCH_CROSS_CPU,
		BENCH_PARAMS(params),
	};
	struct plain *p = aligned_alloc(64, sizeof(*p));
	double per[CHECK_BATCHES], plain_ns, ratio;
	struct stats st;
	struct bench_where where;
	pthread_t thread;

	if (!p || atomic_ns <= 0) {
		free(p);
		return;
	}
	bench_place(ctx, BENCH_CROSS_CPU, &where);
	atomic_init(&p->token, 0);
	p->cpu = where.cpu[1];
	if (pthread_create(&thread, NULL, plain_b, p)) {
		bench_unplace(ctx);
		free(p);
		return;
	}
	for (int b = -1; b < CHECK_BATCHES; b++) { /* -1: a warm-up */
		uint64_t start = bench_now_ns();

		for (int i = 0; i < CHECK_TRIPS; i++) {
			atomic_store_explicit(&p->token, 1,
					      memory_order_release);
			while (atomic_load_explicit(&p->token,
						    memory_order_acquire))
				relax();
		}
		if (b >= 0)
			per[b] = (double)(bench_now_ns() - start) / CHECK_TRIPS;
	}
	atomic_store_explicit(&p->token, 2, memory_order_release);
	pthread_join(thread, NULL);
	bench_unplace(ctx);
	free(p);
	if (stats_compute(per, CHECK_BATCHES, &st))
		return;
	plain_ns = st.median;
	/* one value a round, as the engine's own figures (rounds.c) */
	bench_emit(ctx, &c, &plain_ns, 1);
	ratio = atomic_ns / plain_ns;
	bench_note(ctx,
		   "ipc: the atomic floor %s a plain C11 ping-pong of the "
		   "same run: %.0f ns against %.0f ns (%.2fx)",
		   ratio > 0.8 && ratio < 1.2 ? "agrees with"
					      : "differs by over 20%% from",
		   atomic_ns, plain_ns, ratio);
}
