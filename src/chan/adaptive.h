/* adaptive.h - the adaptive wait's calibration, open to the tests. */
#ifndef PT_CHAN_ADAPTIVE_H
#define PT_CHAN_ADAPTIVE_H

#include <stdbool.h>
#include <stdint.h>

/* One calibration, as pt_chan_adaptive_spin_ns() makes it. */
struct pt__adaptive_probe {
	uint64_t ns; /* the budget, clamped to 1..100 us */
	int cpu[2];  /* where the waker and the answerer ran (-1: unknown) */
	int allowed; /* CPUs the process may use: 1, or 2 for two or more */
	bool pinned; /* the two threads were pinned to two CPUs */
};

/* Measures a futex sleep and wake-up between two threads of their own:
 * pinned to two different CPUs of the caller's affinity mask when it has
 * two or more (the caller's own affinity is not changed), else unpinned,
 * keeping the largest of a few tries. Returns 0 and fills *out, or -errno
 * (no thread could be started) and leaves *out alone. Thread-safe. */
int pt__chan_adaptive_measure(struct pt__adaptive_probe *out);

#endif
