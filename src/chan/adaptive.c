/* adaptive.c - how long an adaptive wait spins before it sleeps.
 *
 * Spinning costs CPU; sleeping costs a futex sleep and a wake-up, which
 * on a VM is several microseconds on each side. Spinning for about that
 * long before sleeping (the classic competitive rule of spin-then-block:
 * at most twice the best choice made in hindsight) answers a peer that
 * replies at once at spinning speed, and one that replies late at little
 * more than sleeping's cost. parking_lot and glibc's adaptive mutexes
 * make the same bet with fixed counts; here the budget is measured, once
 * per process, as the median time for one thread to wake another through
 * a futex.
 *
 * What is measured is the wake-up a channel's two sides pay: one CPU
 * waking a sleeper on another. Two unpinned threads may both land on one
 * CPU, and a wake-up there is a context switch (about 1 us), far below a
 * cross-CPU one (tens of us on a VM): a budget taken from it would sleep
 * long before a peer on another CPU answers. So when the process may run
 * on two CPUs or more, the two calibration threads are pinned to two
 * different ones (the caller's own affinity is left alone: it only joins
 * them). With one CPU allowed, the same-CPU figure is the right one: a
 * peer cannot answer while the waiter spins on the only CPU. When pinning
 * fails, the larger of a few unpinned tries is kept, as a co-located try
 * can only read low. Each calibration stops after CALIBRATE_MAX_NS.
 */
#include "chan/adaptive.h"
#include "chan/chan_internal.h"
#include "util/clock.h"
#include "util/futex.h"

#include <procthread/chan.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#define TRIES	      31
#define WARMUP	      5
#define UNPINNED_RUNS 3
/* A calibration stops after this long: on a loaded machine a thread pinned
 * to a busy CPU may wait a time slice for each wake-up, and a process's
 * first channel call must not wait for TRIES of them. */
#define CALIBRATE_MAX_NS ((uint64_t)5000000)
#define SPIN_MIN_NS	 ((uint64_t)1000)
#define SPIN_MAX_NS	 ((uint64_t)100000)
/* When the measurement cannot be made (no thread): a typical VM's. */
#define SPIN_FALLBACK_NS ((uint64_t)20000)

struct pingpong {
	_Alignas(64) _Atomic uint32_t ping;
	_Alignas(64) _Atomic uint32_t pong;
	_Alignas(64) int cpu[2];    /* where each side ran (-1: unknown) */
	uint64_t t[WARMUP + TRIES]; /* each round's half, warm-up included */
	uint32_t rounds;	    /* rounds done */
};

/* Answers each ping with a pong, sleeping between them, until ping is
 * UINT32_MAX. */
static void *answer(void *arg)
{
	struct pingpong *pp = arg;
	uint32_t seen = 0, v;

	pp->cpu[1] = sched_getcpu();
	for (;;) {
		while ((v = atomic_load(&pp->ping)) == seen)
			pt__futex_wait(&pp->ping, seen, 0, false);
		if (v == UINT32_MAX)
			return NULL;
		seen = v;
		atomic_store(&pp->pong, v);
		pt__futex_wake(&pp->pong, 1, false);
	}
}

/* Pings the answerer WARMUP + TRIES times, timing each round, or until
 * CALIBRATE_MAX_NS have passed. */
static void *ping(void *arg)
{
	struct pingpong *pp = arg;
	uint64_t begin = pt__now_ns(), end = begin;

	pp->cpu[0] = sched_getcpu();
	for (uint32_t i = 1;
	     i <= WARMUP + TRIES && end - begin < CALIBRATE_MAX_NS; i++) {
		uint64_t start = end;

		atomic_store(&pp->ping, i);
		pt__futex_wake(&pp->ping, 1, false);
		while (atomic_load(&pp->pong) != i)
			pt__futex_wait(&pp->pong, i - 1, 0, false);
		end = pt__now_ns();
		/* a round trip is two sleeps and two wake-ups */
		pp->t[i - 1] = (end - start) / 2;
		pp->rounds = i;
	}
	atomic_store(&pp->ping, UINT32_MAX);
	pt__futex_wake(&pp->ping, 1, false);
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Starts fn(pp) on a thread pinned to cpu (-1: unpinned). */
static int start_pinned(pthread_t *thread, void *(*fn)(void *),
			struct pingpong *pp, int cpu)
{
	pthread_attr_t attr;
	cpu_set_t set;
	int rc;

	if (pthread_attr_init(&attr))
		return -ENOMEM;
	CPU_ZERO(&set);
	if (cpu >= 0) {
		CPU_SET(cpu, &set);
		rc = -pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
		if (rc)
			goto out;
	}
	rc = -pthread_create(thread, &attr, fn, pp);
out:
	pthread_attr_destroy(&attr);
	return rc;
}

/* One ping-pong between a thread on cpu a and one on cpu b (-1: either
 * unpinned). Returns 0 and fills *out, or -errno. */
static int pingpong_run(int a, int b, struct pt__adaptive_probe *out)
{
	struct pingpong *pp = aligned_alloc(64, sizeof(*pp));
	pthread_t pinger, answerer;
	uint32_t skip, n;
	int rc;

	if (!pp)
		return -ENOMEM;
	pp->rounds = 0;
	atomic_init(&pp->ping, 0);
	atomic_init(&pp->pong, 0);
	pp->cpu[0] = pp->cpu[1] = -1;
	rc = start_pinned(&answerer, answer, pp, b);
	if (rc)
		goto out;
	rc = start_pinned(&pinger, ping, pp, a);
	if (rc) {
		atomic_store(&pp->ping, UINT32_MAX);
		pt__futex_wake(&pp->ping, 1, false);
	} else {
		pthread_join(pinger, NULL);
	}
	pthread_join(answerer, NULL);
	if (rc)
		goto out;
	/* the median of the rounds after the warm-up, or of all rounds when
	 * the time ran out before three of those */
	skip = pp->rounds >= WARMUP + 3 ? WARMUP : 0;
	n = pp->rounds - skip;
	qsort(pp->t + skip, n, sizeof(pp->t[0]), cmp_u64);
	out->ns = pp->t[skip + n / 2];
	out->cpu[0] = pp->cpu[0];
	out->cpu[1] = pp->cpu[1];
out:
	free(pp);
	return rc;
}

static uint64_t clamp(uint64_t ns)
{
	return ns < SPIN_MIN_NS	  ? SPIN_MIN_NS
	       : ns > SPIN_MAX_NS ? SPIN_MAX_NS
				  : ns;
}

int pt__chan_adaptive_measure(struct pt__adaptive_probe *out)
{
	struct pt__adaptive_probe best = { 0 }, one;
	int cpu[2] = { -1, -1 };
	cpu_set_t allowed;
	int n = 0, rc = -EAGAIN;

	if (sched_getaffinity(0, sizeof(allowed), &allowed) == 0)
		for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
			if (CPU_ISSET(c, &allowed))
				cpu[n++] = c;
	best.allowed = n < 2 ? 1 : 2;
	if (n == 2 && pingpong_run(cpu[0], cpu[1], &one) == 0) {
		best = one;
		best.allowed = 2;
		best.pinned = true;
		goto done;
	}
	/* one CPU, or pinning refused: the larger of a few tries */
	for (int i = 0; i < UNPINNED_RUNS; i++) {
		if (pingpong_run(-1, -1, &one))
			continue;
		rc = 0;
		if (one.ns > best.ns) {
			best.ns = one.ns;
			best.cpu[0] = one.cpu[0];
			best.cpu[1] = one.cpu[1];
		}
	}
	if (rc)
		return rc;
done:
	best.ns = clamp(best.ns);
	*out = best;
	return 0;
}

static uint64_t spin_ns;

static void calibrate(void)
{
	struct pt__adaptive_probe p;

	spin_ns = pt__chan_adaptive_measure(&p) == 0 ? p.ns : SPIN_FALLBACK_NS;
}

uint64_t pt_chan_adaptive_spin_ns(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, calibrate);
	return spin_ns;
}
