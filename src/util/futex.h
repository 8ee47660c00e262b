/* futex.h - futex waits and wakes on 32-bit words, private or shared. */
#ifndef PT_UTIL_FUTEX_H
#define PT_UTIL_FUTEX_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Sleeps while *word == expected, at most timeout_ns (0: no limit).
 * shared: the word may be in memory shared between processes. Returns 0
 * when woken or when *word differed, -ETIMEDOUT, -EINTR, or -errno. */
int pt__futex_wait(_Atomic uint32_t *word, uint32_t expected,
		   uint64_t timeout_ns, bool shared);

/* Wakes up to n sleepers on word. Returns how many woke, or -errno. */
int pt__futex_wake(_Atomic uint32_t *word, int n, bool shared);

#endif
