/* clock.c - the engine's clock: one monotonic read, and what a read costs
 * and resolves, measured once per run. A leaf: the engine, the sampling
 * loop and the suites all read time through it. */
#include "bench/engine/engine_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#define READS_PER_BATCH 32 /* clock reads timed together */

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

void bench_clock_calibrate(double *cost_ns, double *resolution_ns)
{
	static uint64_t per_batch[64];
	uint64_t step = UINT64_MAX;
	struct timespec res;

	/* Cost: the median over batches of back-to-back reads, so one
	 * interruption does not skew it. */
	for (size_t b = 0; b < 64; b++) {
		uint64_t t0 = bench_now_ns();

		for (int i = 0; i < READS_PER_BATCH - 1; i++)
			bench_now_ns();
		per_batch[b] = bench_now_ns() - t0;
	}
	qsort(per_batch, 64, sizeof(per_batch[0]), cmp_u64);
	*cost_ns = (double)per_batch[32] / READS_PER_BATCH;

	/* Resolution: the smallest non-zero difference between two reads,
	 * bounded below by what the kernel says. */
	for (int i = 0; i < 10000; i++) {
		uint64_t a = bench_now_ns(), b = bench_now_ns();

		if (b > a && b - a < step)
			step = b - a;
	}
	if (clock_getres(CLOCK_MONOTONIC, &res) == 0) {
		uint64_t kernel = (uint64_t)res.tv_sec * 1000000000u +
				  (uint64_t)res.tv_nsec;

		if (step == UINT64_MAX || kernel > step)
			step = kernel;
	}
	*resolution_ns = step == UINT64_MAX ? 1 : (double)step;
}
