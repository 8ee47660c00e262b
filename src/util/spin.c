/* spin.c - when a spinning wait gives its CPU away.
 *
 * A spin only helps while the side it waits for runs on another CPU. When
 * the scheduler has put that side on the spinner's own CPU (a wake-up
 * lands on the waker's CPU, and two busy processes often stay paired
 * there), it is queued behind the spinner and cannot answer until the
 * spin ends: on a 2-vCPU VM a process pool's task then took 45 us instead
 * of 6. sched_yield() hands the CPU to it, and returns at once when
 * nothing else is queued.
 *
 * But yield is not directed. When an unrelated busy task shares the CPU,
 * the scheduler runs that task for its whole time slice (under EEVDF the
 * yielder's deadline moves a slice later), and the answer the spinner
 * waits for sits unread meanwhile: a one-CPU ping-pong beside a busy loop
 * went from 0.1 ms a round trip to 1.4 ms. A wait that sleeps instead is
 * woken by the answer and preempts the busy task. So each offer is
 * timed: one that kept the thread off its CPU for longer than
 * SLOW_YIELD_NS (far more than a peer's hand-off back, far less than a
 * slice) means something other than the peer took the CPU, and the thread
 * makes no offer for QUIET_FACTOR times that long in a spin that ends in
 * a sleep: such spins then sleep, as they would without offers, and a busy
 * neighbour costs at most about one slice in QUIET_FACTOR. A spin that
 * never sleeps (PT_CHAN_SPIN_FOREVER) always offers: without offers its
 * peer on the same CPU would wait for the scheduler's tick, and a long
 * offer cannot tell a busy neighbour from a peer that itself spins there
 * without offering. Measured: docs/design.md, "A spin that yields".
 */
#include "util/clock.h"
#include "util/cpu.h"

#include <sched.h>

#define SLOW_YIELD_NS ((uint64_t)200000)
#define QUIET_FACTOR  32

/* No offers before this time (per thread: each thread has its own CPU). */
static _Thread_local uint64_t quiet_until_ns;

void pt__spin_yield(bool ends_in_sleep)
{
	uint64_t before = pt__now_ns(), took;

	if (ends_in_sleep && before < quiet_until_ns)
		return;
	sched_yield();
	took = pt__now_ns() - before;
	if (took > SLOW_YIELD_NS)
		quiet_until_ns = before + took + QUIET_FACTOR * took;
}
