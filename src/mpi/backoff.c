/* backoff.c - how procthread_mpi waits: MPI has no descriptor to sleep on,
 * so every wait is a polling loop, and this is its pause between polls
 * (mpi_internal.h). Spinning answers fastest and costs a CPU; yielding
 * lets a peer rank that shares the CPU run, which on a busy or
 * oversubscribed host is often the one that will answer; sleeping costs
 * nothing while idle, and the doubling stops at 1 ms so that a message
 * is noticed within about that long. */
#include "mpi/mpi_internal.h"
#include "util/clock.h"

#include <sched.h>
#include <time.h>

#define YIELDS	       16
#define SLEEP_FIRST_NS 1000u
#define SLEEP_MAX_NS   1000000u

bool pt__mpi_backoff_pause(struct pt__mpi_backoff *b, uint64_t spin_ns,
			   uint64_t deadline_ns)
{
	uint64_t now = pt__now_ns();
	uint64_t left;
	struct timespec ts;

	if (deadline_ns && now >= deadline_ns)
		return false;
	if (!b->spin_until) {
		b->spin_until =
			spin_ns > UINT64_MAX - now ? UINT64_MAX : now + spin_ns;
		b->sleep_ns = SLEEP_FIRST_NS;
		b->yields = 0;
	}
	if (now < b->spin_until)
		return true;
	if (b->yields < YIELDS) {
		b->yields++;
		sched_yield();
		return true;
	}
	left = b->sleep_ns;
	if (deadline_ns && deadline_ns - now < left)
		left = deadline_ns - now;
	ts.tv_sec = 0;
	ts.tv_nsec = (long)left;
	nanosleep(&ts, NULL);
	b->sleep_ns *= 2;
	if (b->sleep_ns > (b->max_sleep_ns ? b->max_sleep_ns : SLEEP_MAX_NS))
		b->sleep_ns = b->max_sleep_ns ? b->max_sleep_ns : SLEEP_MAX_NS;
	return true;
}
