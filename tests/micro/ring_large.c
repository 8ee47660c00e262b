/* ring_large.c - where a large message through the ring spends its time
 * (issue 15, 4): not a test.
 *
 * One process writes messages of SIZE bytes into a ring of CAP slots, a
 * forked one reads them, both pinned (CPUs 0 and 1). Trials of each
 * variant are interleaved, so a busy machine slows all of them alike; each
 * figure is the best and the median of ROUNDS trials, in GB/s:
 *   limit-memcpy       bench ipc's limit, made the same way: a calloc'd
 *                      source of which each call dirties one byte (the
 *                      rest stays the kernel's zero page) into a 1 MiB
 *                      destination on one CPU
 *   memcpy-real        the same with a source whose pages are all real
 *   copy/plain         the copying API as it was: memcpy into the slot,
 *                      the reader copies out once
 *   copy/stream        the same with non-temporal stores (SSE2, then
 *                      SFENCE before the publishing store): the variant
 *                      measured and left out (docs/design.md)
 *   zc/plain, zc/stream  the zero-copy API: the writer produces the
 *                      message in the slot (as bench ipc does, by copying
 *                      its buffer there), the reader looks at its first
 *                      and last bytes
 * Usage: ring_large [SIZE [CAP]]   (default 1 MiB, 8 slots, as bench ipc)
 *
 * ring_large lat: zero-copy round trips from 64 B to 4 MiB, as bench ipc
 * makes them (A produces the message in a slot, B copies it into a slot
 * of the way back, A looks at it), in us, best and median, beside what
 * two copies of that size cost on one CPU from a written source (the
 * memcpy part of the round trip's floor).
 */
#include "chan/ring.h"
#include "util/clock.h"

#include <procthread/region.h>

#include <sched.h>
#include <stdint.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define ROUNDS	  15
#define PER_TRIAL ((size_t)96 << 20) /* bytes a trial moves */

enum variant { COPY_PLAIN, COPY_STREAM, ZC_PLAIN, ZC_STREAM, N_VARIANTS };
static const char *const names[N_VARIANTS] = { "copy/plain", "copy/stream",
					       "zc/plain", "zc/stream" };

struct ctl {
	_Alignas(128) _Atomic uint64_t done; /* messages the reader took */
	_Alignas(128) _Atomic int stop;
};

static size_t size = (size_t)1 << 20;

#if defined(__x86_64__)
#include <emmintrin.h>

/* Non-temporal stores, with the store fence that orders them before the
 * publishing release store. */
static void copy_stream(void *dst, const void *src, size_t len)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	size_t head = (16 - ((uintptr_t)d & 15)) & 15;

	memcpy(d, s, head);
	d += head;
	s += head;
	len -= head;
	for (; len >= 64; d += 64, s += 64, len -= 64)
		for (int k = 0; k < 64; k += 16)
			_mm_stream_si128(
				(__m128i *)(void *)(d + k),
				_mm_loadu_si128((
					const __m128i *)(const void *)(s + k)));
	_mm_sfence();
	memcpy(d, s, len);
}
#else
static void copy_stream(void *dst, const void *src, size_t len)
{
	memcpy(dst, src, len);
}
#endif
static uint64_t cap = 8;

static void pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	sched_setaffinity(0, sizeof(s), &s);
}

static void reader(struct pt__ring *ring, struct ctl *ctl)
{
	unsigned char *dst = aligned_alloc(4096, size);
	struct pt_chan_msg msg;
	volatile unsigned char sink;
	bool wake = false;

	memset(dst, 0, size);
	pin(1);
	while (!atomic_load(&ctl->stop)) {
		if (pt__ring_try_peek(ring, &msg, 0, &wake))
			continue;
		/* the first byte says whether to copy out (copying API) */
		if (((unsigned char *)msg.data)[0] & 1)
			memcpy(dst, msg.data, msg.len);
		sink = ((unsigned char *)msg.data)[msg.len - 1];
		(void)sink;
		pt__ring_release(ring, &msg, &wake);
		atomic_fetch_add(&ctl->done, 1);
	}
	free(dst);
}

static double trial(struct pt__ring *ring, struct ctl *ctl,
		    const unsigned char *src, enum variant v)
{
	uint64_t n = PER_TRIAL / size, base = atomic_load(&ctl->done);
	struct pt_chan_msg msg;
	bool wake = false;
	uint64_t start;

	n = n < 16 ? 16 : n;
	start = pt__now_ns();
	for (uint64_t i = 0; i < n; i++) {
		while (pt__ring_try_reserve(ring, size, &msg, 0, &wake))
			;
		if (v == COPY_STREAM || v == ZC_STREAM)
			copy_stream(msg.data, src, size);
		else
			memcpy(msg.data, src, size);
		((unsigned char *)msg.data)[0] =
			v == COPY_PLAIN || v == COPY_STREAM;
		pt__ring_commit(ring, &msg, &wake);
	}
	while (atomic_load(&ctl->done) != base + n)
		;
	return (double)(n * size) / (double)(pt__now_ns() - start);
}

static double limit(unsigned char *src, unsigned char *dst, uint64_t *i)
{
	uint64_t n = PER_TRIAL / size, start = pt__now_ns();

	for (uint64_t k = 0; k < n; k++, (*i)++) {
		src[*i % size] = (unsigned char)*i;
		memcpy(dst, src, size);
		__asm__ __volatile__("" : : "r"(dst) : "memory");
	}
	return (double)(n * size) / (double)(pt__now_ns() - start);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* --- round trips ---------------------------------------------------- */

#define LAT_ROUNDS 9

static void echo(struct pt__ring *in, struct pt__ring *out, struct ctl *ctl)
{
	struct pt_chan_msg m, r;
	bool wake = false;

	pin(1);
	while (!atomic_load(&ctl->stop)) {
		if (pt__ring_try_peek(in, &m, 0, &wake))
			continue;
		while (pt__ring_try_reserve(out, m.len, &r, 0, &wake))
			;
		memcpy(r.data, m.data, m.len);
		pt__ring_commit(out, &r, &wake);
		pt__ring_release(in, &m, &wake);
	}
}

/* The median round trip of n messages of len bytes, in ns. */
static double trips(struct pt__ring *ab, struct pt__ring *ba,
		    const unsigned char *src, size_t len, int n)
{
	struct pt_chan_msg m;
	bool wake = false;
	uint64_t start = pt__now_ns();

	for (int i = 0; i < n; i++) {
		while (pt__ring_try_reserve(ab, len, &m, 0, &wake))
			;
		memcpy(m.data, src, len);
		pt__ring_commit(ab, &m, &wake);
		while (pt__ring_try_peek(ba, &m, 0, &wake))
			;
		pt__ring_release(ba, &m, &wake);
	}
	return (double)(pt__now_ns() - start) / n;
}

static int latency(void)
{
	static const size_t sizes[] = { 64, 4096, 65536, 1 << 20, 4 << 20 };
	const size_t max = (size_t)4 << 20;
	double t[5][LAT_ROUNDS], c[5][LAT_ROUNDS];
	unsigned char *src = aligned_alloc(4096, max);
	unsigned char *dst = aligned_alloc(4096, max);
	pt_region *ra, *rb, *rc;
	struct pt__ring ab, ba;
	struct ctl *ctl;
	pid_t pid;

	if (!src || !dst || pt_region_create(pt__ring_bytes(2, max), 0, &ra) ||
	    pt_region_create(pt__ring_bytes(2, max), 0, &rb) ||
	    pt_region_create(sizeof(*ctl), 0, &rc))
		return 1;
	memset(src, 1, max);
	memset(dst, 1, max);
	ctl = pt_region_addr(rc);
	pt__ring_init(&ab, pt_region_addr(ra), 2, max, false);
	pt__ring_init(&ba, pt_region_addr(rb), 2, max, false);
	ab.sleepless = ba.sleepless = true;
	pid = fork();
	if (pid == 0) {
		echo(&ab, &ba, ctl);
		_exit(0);
	}
	pin(0);
	for (int k = 0; k < LAT_ROUNDS; k++)
		for (int i = 0; i < 5; i++) {
			size_t len = sizes[i];
			int n = len < 65536	  ? 20000
				: len < (1 << 20) ? 400
						  : 40;
			uint64_t start;

			trips(&ab, &ba, src, len, n / 10 + 1); /* warm */
			t[i][k] = trips(&ab, &ba, src, len, n);
			start = pt__now_ns();
			for (int j = 0; j < n; j++) {
				memcpy(dst, src, len);
				memcpy(src, dst, len);
			}
			c[i][k] = (double)(pt__now_ns() - start) / n;
		}
	atomic_store(&ctl->stop, 1);
	waitpid(pid, NULL, 0);
	printf("zero-copy round trip, us: best / median of %d; two copies on "
	       "one CPU\n",
	       LAT_ROUNDS);
	for (int i = 0; i < 5; i++) {
		qsort(t[i], LAT_ROUNDS, sizeof(double), cmp);
		qsort(c[i], LAT_ROUNDS, sizeof(double), cmp);
		printf("%8zu B %10.2f %10.2f   %10.2f\n", sizes[i],
		       t[i][0] / 1000, t[i][LAT_ROUNDS / 2] / 1000,
		       c[i][0] / 1000);
	}
	free(src);
	free(dst);
	pt_region_destroy(ra);
	pt_region_destroy(rb);
	pt_region_destroy(rc);
	return 0;
}

int main(int argc, char **argv)
{
	double r[N_VARIANTS + 2][ROUNDS];
	unsigned char *zsrc, *rsrc, *dst, *src;
	struct pt__ring ring;
	pt_region *region, *cregion;
	struct ctl *ctl;
	uint64_t zi = 0, ri = 0;
	pid_t pid;

	if (argc > 1 && strcmp(argv[1], "lat") == 0)
		return latency();
	if (argc > 1)
		size = strtoull(argv[1], NULL, 0);
	if (argc > 2)
		cap = strtoull(argv[2], NULL, 0);
	if (pt_region_create(pt__ring_bytes(cap, size), 0, &region) ||
	    pt_region_create(sizeof(*ctl), 0, &cregion))
		return 1;
	ctl = pt_region_addr(cregion);
	pt__ring_init(&ring, pt_region_addr(region), cap, size, false);
	ring.sleepless = true;
	pid = fork();
	if (pid == 0) {
		reader(&ring, ctl);
		_exit(0);
	}
	pin(0);
	zsrc = calloc(1, size);
	rsrc = aligned_alloc(4096, size);
	dst = calloc(1, size);
	src = aligned_alloc(4096, size);
	memset(rsrc, 1, size);
	memset(src, 1, size);
	for (int v = 0; v < N_VARIANTS; v++) /* warm-up: the first lap */
		trial(&ring, ctl, src, (enum variant)v);
	for (int k = 0; k < ROUNDS; k++) {
		r[N_VARIANTS][k] = limit(zsrc, dst, &zi);
		r[N_VARIANTS + 1][k] = limit(rsrc, dst, &ri);
		for (int v = 0; v < N_VARIANTS; v++)
			r[v][k] = trial(&ring, ctl, src, (enum variant)v);
	}
	atomic_store(&ctl->stop, 1);
	waitpid(pid, NULL, 0);
	printf("size %zu, %llu slots: GB/s best / median of %d\n", size,
	       (unsigned long long)cap, ROUNDS);
	for (int v = 0; v < N_VARIANTS + 2; v++) {
		qsort(r[v], ROUNDS, sizeof(double), cmp);
		printf("%-13s %6.2f %6.2f\n",
		       v == N_VARIANTS	     ? "limit-memcpy"
		       : v == N_VARIANTS + 1 ? "memcpy-real"
					     : names[v],
		       r[v][ROUNDS - 1], r[v][ROUNDS / 2]);
	}
	free(zsrc);
	free(rsrc);
	free(dst);
	free(src);
	pt_region_destroy(region);
	pt_region_destroy(cregion);
	return 0;
}
