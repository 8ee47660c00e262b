/* suite_ipc_limits.c - the limits the ipc suite measures its
 * transports against, in the same run: a cache line passed between two
 * CPUs (the latency floor: no channel can answer faster than its counter
 * line crosses), the same token with futex sleeps between two processes
 * (the floor of a blocking wait), and memcpy of the message's size on one
 * CPU (the ceiling of a copying channel's throughput).
 */
#include "bench/ipc.h"

#include <procthread/unit.h>

#include <linux/futex.h>
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
	_Alignas(64) atomic_uint stop;
	unsigned char *src, *dst; /* memcpy */
	size_t size;
	bool futex; /* sleep instead of spinning */
	pt_unit *unit;
};

static int limit_b(void *arg)
{
	struct limit *l = arg;

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

	for (uint64_t i = 0; i < n; i++) {
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

static int pingpong_setup(void *arg, const struct pt_bench_where *where)
{
	struct limit *l = arg;
	struct pt_unit_opts opts =
		PT_UNIT_OPTS(.kind = l->futex ? PT_PROCESS : PT_THREAD,
			     .name = "pt-bench-limit",
			     .cpu_mask = pt_bench_cpu_mask(where, 1));

	return pt_unit_spawn(&opts, limit_b, l, &l->unit);
}

static void pingpong_teardown(void *arg)
{
	struct limit *l = arg;
	struct pt_status st;

	if (!l->unit)
		return;
	atomic_store(&l->stop, 1);
	atomic_store(&l->token, 1);
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
		pt_bench_keep(l->dst);
	}
	return 0;
}

/* The limit for a latency case: the atomic ping-pong (futex: the sleeping
 * one), measured once per run. Returns its median, 0 when it failed. */
double pt_ipc_limit_pingpong(struct pt_bench_ctx *ctx, bool futex)
{
	const struct pt_bench_param params[] = {
		PT_BENCH_STR("transport",
			     futex ? "limit-futex" : "limit-atomic"),
		PT_BENCH_INT("size", 0),
		PT_BENCH_STR("mode", "latency"),
		PT_BENCH_STR("wait", futex ? "block" : "spin"),
	};
	struct limit *l = mmap(NULL, sizeof(*l), PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct pt_bench_case c = {
		.name = "latency",
		.kind = PT_BENCH_NONE,
		.place = PT_BENCH_CROSS_CPU,
		.params = params,
		.n_params = 4,
		.setup = pingpong_setup,
		.run = run_pingpong,
		.teardown = pingpong_teardown,
	};
	double median = 0;

	if (l == MAP_FAILED)
		return 0;
	memset(l, 0, sizeof(*l));
	l->futex = futex;
	c.arg = l;
	if (pt_bench_measure(ctx, &c) == 0)
		median = pt_bench_last_median(ctx);
	munmap(l, sizeof(*l));
	return median;
}

double pt_ipc_limit_memcpy(struct pt_bench_ctx *ctx, size_t size)
{
	const struct pt_bench_param params[] = {
		PT_BENCH_STR("transport", "limit-memcpy"),
		PT_BENCH_INT("size", size),
		PT_BENCH_STR("mode", "throughput"),
		PT_BENCH_STR("wait", "none"),
	};
	struct limit l = { .size = size };
	struct pt_bench_case c = {
		.name = "throughput",
		.kind = PT_BENCH_NONE,
		.place = PT_BENCH_SAME_CPU,
		.unit = "msgs/s",
		.twins = { { "throughput-bytes", "B/s", (double)size } },
		.params = params,
		.n_params = 4,
		.run = run_memcpy,
		.arg = &l,
	};
	double median = 0;

	l.src = calloc(1, size);
	l.dst = calloc(1, size);
	if (l.src && l.dst && pt_bench_measure(ctx, &c) == 0)
		median = pt_bench_last_median(ctx);
	free(l.src);
	free(l.dst);
	return median;
}
