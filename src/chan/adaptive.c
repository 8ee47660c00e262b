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
 */
#include "chan/chan_internal.h"
#include "util/clock.h"
#include "util/futex.h"

#include <procthread/chan.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#define TRIES	    31
#define WARMUP	    5
#define SPIN_MIN_NS ((uint64_t)1000)
#define SPIN_MAX_NS ((uint64_t)100000)
/* When the measurement cannot be made (no thread): a typical VM's. */
#define SPIN_FALLBACK_NS ((uint64_t)20000)

struct pingpong {
	_Alignas(64) _Atomic uint32_t ping;
	_Alignas(64) _Atomic uint32_t pong;
};

/* Answers each ping with a pong, sleeping between them, until ping is
 * UINT32_MAX. */
static void *answer(void *arg)
{
	struct pingpong *pp = arg;
	uint32_t seen = 0, v;

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

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static uint64_t measure(void)
{
	struct pingpong *pp = aligned_alloc(64, sizeof(*pp));
	uint64_t t[TRIES];
	pthread_t thread;

	if (!pp)
		return SPIN_FALLBACK_NS;
	atomic_init(&pp->ping, 0);
	atomic_init(&pp->pong, 0);
	if (pthread_create(&thread, NULL, answer, pp)) {
		free(pp);
		return SPIN_FALLBACK_NS;
	}
	for (uint32_t i = 1; i <= WARMUP + TRIES; i++) {
		uint64_t start = pt__now_ns();

		atomic_store(&pp->ping, i);
		pt__futex_wake(&pp->ping, 1, false);
		while (atomic_load(&pp->pong) != i)
			pt__futex_wait(&pp->pong, i - 1, 0, false);
		/* a round trip is two sleeps and two wake-ups */
		if (i > WARMUP)
			t[i - WARMUP - 1] = (pt__now_ns() - start) / 2;
	}
	atomic_store(&pp->ping, UINT32_MAX);
	pt__futex_wake(&pp->ping, 1, false);
	pthread_join(thread, NULL);
	free(pp);
	qsort(t, TRIES, sizeof(t[0]), cmp_u64);
	return t[TRIES / 2];
}

static uint64_t spin_ns;

static void calibrate(void)
{
	uint64_t ns = measure();

	spin_ns = ns < SPIN_MIN_NS   ? SPIN_MIN_NS
		  : ns > SPIN_MAX_NS ? SPIN_MAX_NS
				     : ns;
}

uint64_t pt_chan_adaptive_spin_ns(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, calibrate);
	return spin_ns;
}
